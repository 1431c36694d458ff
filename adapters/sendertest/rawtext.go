package sendertest

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/mail"
	"strings"
)

// rawContains reports whether the text s can be read from raw, the bytes a
// receiver got: literally (UTF-8), inside a JSON string (which may escape
// it as \u00c4), or in a header of a mail message (which may carry it as an
// RFC 2047 encoded-word, possibly split over several words and folded
// lines).
func rawContains(raw []byte, s string) bool {
	if bytes.Contains(raw, []byte(s)) {
		return true
	}
	if json.Valid(raw) {
		var v any
		if json.Unmarshal(raw, &v) == nil && jsonContains(v, s) {
			return true
		}
	}
	return mailHeaderContains(raw, s)
}

func jsonContains(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, s)
	case []any:
		for _, x := range v {
			if jsonContains(x, s) {
				return true
			}
		}
	case map[string]any:
		for k, x := range v {
			if strings.Contains(k, s) || jsonContains(x, s) {
				return true
			}
		}
	}
	return false
}

func mailHeaderContains(raw []byte, s string) bool {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return false
	}
	dec := new(mime.WordDecoder)
	for _, values := range msg.Header {
		for _, v := range values {
			if d, err := dec.DecodeHeader(v); err == nil && strings.Contains(d, s) {
				return true
			}
			// Address headers may quote an encoded-word, which
			// DecodeHeader leaves alone and ParseAddressList decodes.
			if as, err := mail.ParseAddressList(v); err == nil {
				for _, a := range as {
					if strings.Contains(a.Name, s) {
						return true
					}
				}
			}
		}
	}
	return false
}
