package outcomes

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"
)

// A small reader for the JSON the stores keep, used by the figures port to
// pick a few members out of a case or participant document without
// decoding the rest. It does not validate what it skips; whenever a
// document is not in the plain form encoding/json writes (an escaped or
// differently cased key, a value of an unexpected form) the callers hand
// it to encoding/json instead, so the result is what encoding/json gives.

var errJSON = errors.New("malformed JSON")

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index after the string starting at b[i] (a
// quote) and whether it holds an escape.
func skipString(b []byte, i int) (int, bool, error) {
	start := i + 1
	for i = start; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, false, errJSON
		}
		j += i
		k := j
		for k > start && b[k-1] == '\\' {
			k--
		}
		if (j-k)%2 == 0 {
			return j + 1, bytes.IndexByte(b[start:j], '\\') >= 0, nil
		}
		i = j + 1
	}
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errJSON
	}
	switch b[i] {
	case '"':
		end, _, err := skipString(b, i)
		return end, err
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, _, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
		}
		return 0, errJSON
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			if i == start {
				return 0, errJSON
			}
			return i, nil
		}
		i++
	}
	if i == start {
		return 0, errJSON
	}
	return i, nil
}

// eachMember calls fn with the key (without quotes, as written) and the
// raw value of each member of the object b, in order, until fn returns
// false. A key holding an escape is passed with its quotes, so it never
// equals a plain name (and foldsTo reports it).
func eachMember(b []byte, fn func(key, val []byte) bool) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return trailing(b, i+1)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errJSON
		}
		end, escaped, err := skipString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : end-1]
		if escaped {
			key = b[i:end]
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return errJSON
		}
		i = skipSpace(b, i+1)
		vend, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if !fn(key, b[i:vend]) {
			return nil
		}
		var done bool
		if i, done, err = separator(b, vend, '}'); done || err != nil {
			return err
		}
	}
}

// eachElement calls fn with each raw element of the array b, in order,
// until fn returns false.
func eachElement(b []byte, fn func(el []byte) bool) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return errJSON
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return trailing(b, i+1)
	}
	for {
		end, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if !fn(b[i:end]) {
			return nil
		}
		var done bool
		if i, done, err = separator(b, end, ']'); done || err != nil {
			return err
		}
	}
}

// separator reads what follows a member or element ending at b[i]: a
// comma (it returns where the next one starts) or the closing bracket,
// which must end the document (done).
func separator(b []byte, i int, closing byte) (next int, done bool, err error) {
	i = skipSpace(b, i)
	switch {
	case i >= len(b):
		return 0, true, errJSON
	case b[i] == ',':
		return skipSpace(b, i+1), false, nil
	case b[i] == closing:
		return 0, true, trailing(b, i+1)
	}
	return 0, true, errJSON
}

func trailing(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errJSON
	}
	return nil
}

// foldsTo reports whether key is one of names in another case, or holds
// an escape, a control character (which encoding/json refuses) or a
// non-ASCII byte: a key encoding/json might match to one of
// names (it folds case, and the Kelvin sign and the long s) though it is
// not written as it.
func foldsTo(key []byte, names ...string) bool {
	for _, c := range key {
		if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return true
		}
	}
	for _, n := range names {
		if len(key) == len(n) && string(key) != n && bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// plainString returns the contents of a JSON string that holds no escape
// or control character and is valid UTF-8 (so encoding/json would return
// the same bytes), sharing b's memory.
func plainString(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return nil, false
	}
	s := b[1 : len(b)-1]
	ascii := true
	for _, c := range s {
		switch {
		case c == '\\' || c == '"' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
	}
	return s, ascii || utf8.Valid(s)
}

// plainInt reads a JSON integer as encoding/json reads it into an int.
func plainInt(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	s := b
	if s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(string(b))
	return n, err == nil
}

func plainBool(b []byte) (bool, bool) {
	switch string(b) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
