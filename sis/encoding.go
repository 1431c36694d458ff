package sis

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// The encodings [Report.Encoding] names.
const (
	// EncodingUTF8 is UTF-8 without a byte order mark.
	EncodingUTF8 = "utf-8"
	// EncodingUTF8BOM is UTF-8 with a byte order mark (Excel's "CSV UTF-8").
	EncodingUTF8BOM = "utf-8-bom"
	// EncodingWindows1252 is Windows-1252 (Excel's "CSV (semicolon
	// delimited)" on a Finnish or Swedish Windows), converted to UTF-8.
	EncodingWindows1252 = "windows-1252"
)

// MaxFileSize is the largest input an import reads, in bytes (64 MiB): the
// whole file is read before its encoding is decided, since a file can be
// plain ASCII for its first megabytes and hold an "ä" after them.
const MaxFileSize = 64 << 20

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decode reads the whole input (at most limit bytes) and returns it as
// UTF-8 with the encoding it was found in: a UTF-8 byte order mark is
// dropped; input that is valid UTF-8 is UTF-8; input that is not, but
// holds a valid multi-byte UTF-8 sequence, mixes encodings and is refused
// ([mixedLines]); anything else is read as Windows-1252 — unless it holds one of the five bytes Windows-1252 leaves
// undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D), which means another code page,
// and the file is refused. UTF-16 (Excel's "Unicode text") is refused.
// Errors never quote the input.
func decode(r io.Reader, limit int64) ([]byte, string, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("sis: reading the input: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, "", fileError(fmt.Sprintf("the file is larger than %d MiB; split it", limit>>20))
	}
	switch {
	case bytes.HasPrefix(b, utf8BOM):
		b = b[len(utf8BOM):]
		if !utf8.Valid(b) {
			return nil, "", fileError("the file starts with a UTF-8 byte order mark but is not valid UTF-8; save it again as CSV UTF-8")
		}
		return b, EncodingUTF8BOM, nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}), bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return nil, "", fileError("the file is UTF-16 text; save it as CSV UTF-8")
	case utf8.Valid(b):
		return b, EncodingUTF8, nil
	}
	if utf8Line, otherLine := mixedLines(b); utf8Line > 0 {
		return nil, "", fileError(fmt.Sprintf("the file mixes encodings: line %d holds UTF-8 text and line %d text in another encoding (e.g. Windows-1252), as when two exports are pasted together; save it again as CSV UTF-8 and check those lines", utf8Line, otherLine))
	}
	for i, c := range b {
		switch c {
		case 0x81, 0x8D, 0x8F, 0x90, 0x9D:
			return nil, "", fileError(fmt.Sprintf("the file is neither UTF-8 nor Windows-1252 text (byte %d is not a Windows-1252 character); save it as CSV UTF-8", i+1))
		}
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return nil, "", fmt.Errorf("sis: converting the input from Windows-1252: %w", err)
	}
	return out, EncodingWindows1252, nil
}

// mixedLines looks at input that is not valid UTF-8 for a valid
// multi-byte UTF-8 sequence: text in two encodings, typically two exports
// pasted together, which read as Windows-1252 as a whole would turn every
// UTF-8 "ä" into "Ã¤" without a word. It returns the (physical) lines of
// the first such sequence and of the first byte that is not UTF-8, or 0
// and 0 when the input holds no valid multi-byte sequence.
//
// (Windows-1252 text can hold a valid UTF-8 pair by chance, such as "Ã"
// followed by a character from 0xA0 to 0xBF; that is rare in the text of
// an export, and such a file is refused rather than misread.)
func mixedLines(b []byte) (utf8Line, otherLine int) {
	line := 1
	for i := 0; i < len(b); {
		c := b[i]
		if c == '\n' {
			line++
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			if otherLine == 0 {
				otherLine = line
			}
		case utf8Line == 0:
			utf8Line = line
		}
		i += n
	}
	if utf8Line == 0 || otherLine == 0 {
		return 0, 0
	}
	return utf8Line, otherLine
}
