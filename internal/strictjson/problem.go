package strictjson

import (
	"fmt"
	"strconv"
	"strings"
)

// Type is the type of a JSON value.
type Type uint8

// The JSON types.
const (
	Null Type = iota
	Bool
	Number
	String
	Array
	Object
)

// String names the type with its article, as messages use it: "null",
// "a boolean", "a number", "a string", "an array", "an object".
func (t Type) String() string {
	switch t {
	case Null:
		return "null"
	case Bool:
		return "a boolean"
	case Number:
		return "a number"
	case String:
		return "a string"
	case Array:
		return "an array"
	case Object:
		return "an object"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Want describes the JSON value a Go value takes, as a message would say
// it after "must be": "a string", "an integer", or a custom decoder's own
// words such as "a date string YYYY-MM-DD".
type Want string

// What the built-in Go kinds take.
const (
	WantString  Want = "a string"
	WantBool    Want = "true or false"
	WantInteger Want = "an integer"
	WantNumber  Want = "a number"
	WantArray   Want = "an array"
	WantObject  Want = "an object"
	WantAny     Want = "a JSON value"
)

// Code is the kind of a [Problem].
type Code uint8

// The kinds of problem. The first six end reading at once (nothing is
// decoded after them); the others are collected, every one, while the
// document is decoded.
const (
	// TooLarge: the document is longer than [Options.MaxBytes]. Limit and
	// Size are set.
	TooLarge Code = iota + 1
	// Empty: the document is empty or only white space.
	Empty
	// Syntax: the document is not JSON. Offset, Line and Column point at
	// the offending byte; Message is encoding/json's description of it
	// ("invalid character '}' looking for beginning of object key string").
	Syntax
	// Truncated: the document ends inside a value. Offset is its length.
	Truncated
	// TooDeep: arrays and objects are nested more than [Options.MaxDepth]
	// levels deep. Offset points at the bracket that opens one too many;
	// Limit is the depth.
	TooDeep
	// Trailing: there is more than white space after the value. Offset
	// points at the first byte of it.
	Trailing

	// Duplicate: an object gives a member twice (with [RejectDuplicates]).
	// Key is the member's name; the later value is dropped.
	Duplicate
	// Unknown: an object has a member its Go struct does not name. Key is
	// the member's name.
	Unknown
	// WrongType: the value is of a JSON type the Go value does not take.
	// Want and Got are set.
	WrongType
	// NullValue: the value is null where null is not allowed (see
	// [Options.AllowNull]). Want is set; Got is [Null].
	NullValue
	// NotInteger: a number with a fraction or exponent for an integer.
	// Want and Literal are set.
	NotInteger
	// OutOfRange: a number that does not fit the Go value. Want and
	// Literal are set.
	OutOfRange
	// TooLong: an array longer than its field's maxlen (see [Decode]) or
	// than a Go array. Limit and Size are set; its elements are not read.
	TooLong
	// Invalid: a custom decoder, an UnmarshalJSON or an UnmarshalText
	// method rejected the value, or the Go type cannot be decoded into.
	// Err is the error; Message is its text.
	Invalid
)

var codeNames = [...]string{
	TooLarge: "too large", Empty: "empty", Syntax: "syntax", Truncated: "truncated", TooDeep: "too deep",
	Trailing: "trailing data", Duplicate: "duplicate member", Unknown: "unknown member", WrongType: "wrong type",
	NullValue: "null", NotInteger: "not an integer", OutOfRange: "out of range", TooLong: "too long", Invalid: "invalid",
}

// String names the code.
func (c Code) String() string {
	if int(c) < len(codeNames) && codeNames[c] != "" {
		return codeNames[c]
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

// Fatal reports whether a problem of this kind ends reading: the document
// as a whole is refused and nothing in it is decoded.
func (c Code) Fatal() bool { return c >= TooLarge && c <= Trailing }

// Problem is one thing wrong with a document, at its JSON path.
//
// Path is "" for the document itself, "events[2].rules[0]" inside it; a
// key that is not a plain name (letters, digits, '_' and '-') is written
// quoted in brackets, `["two words"]`. Message is a complete English
// sentence fragment in the library's style ("must be a string, got a
// number"); a caller that words its errors differently builds its own from
// the other fields, which are set as each [Code] says.
type Problem struct {
	Code    Code
	Path    string
	Message string

	// Key is the member's name (Unknown, Duplicate).
	Key string
	// Want is what the Go value takes and Got what the document has
	// (WrongType, NullValue; Want also for NotInteger and OutOfRange).
	Want Want
	Got  Type
	// Literal is the number as written (NotInteger, OutOfRange).
	Literal string
	// Offset is a 0-based byte offset and Line and Column (1-based,
	// columns in bytes) its place (Syntax, Truncated, TooDeep, Trailing).
	Offset       int
	Line, Column int
	// Limit and Size are the limit and what exceeded it (TooLarge in
	// bytes, TooLong in elements, TooDeep in levels).
	Limit, Size int
	// Err is the rejecting error (Invalid).
	Err error
}

// Error lists every problem of a document. Decode returns one whenever the
// document is not accepted; it has at least one problem.
type Error struct {
	Problems []Problem
}

// Error lists the problems as "path: message", separated by "; ".
func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "strictjson: " + strings.Join(parts, "; ")
}

// String returns "path: message", or the message alone at the document.
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// message words a problem in the library's style.
func (p *Problem) message() string {
	switch p.Code {
	case TooLarge:
		return fmt.Sprintf("the document is %d bytes; at most %d are accepted", p.Size, p.Limit)
	case Empty:
		return "empty document: expected a JSON value"
	case Syntax:
		return fmt.Sprintf("malformed JSON at line %d, column %d: %s", p.Line, p.Column, p.Err)
	case Truncated:
		return fmt.Sprintf("malformed JSON at line %d, column %d: unexpected end of the document", p.Line, p.Column)
	case TooDeep:
		return fmt.Sprintf("malformed JSON at line %d, column %d: nested more than %d levels deep", p.Line, p.Column, p.Limit)
	case Trailing:
		return fmt.Sprintf("unexpected data after the JSON document at line %d, column %d", p.Line, p.Column)
	case Duplicate:
		return fmt.Sprintf("duplicate member %q", p.Key)
	case Unknown:
		return fmt.Sprintf("unknown member %q", p.Key)
	case WrongType, NullValue:
		return fmt.Sprintf("must be %s, got %s", p.Want, p.Got)
	case NotInteger:
		return fmt.Sprintf("must be a whole number, got %s", p.Literal)
	case OutOfRange:
		return fmt.Sprintf("%s is out of range", p.Literal)
	case TooLong:
		return fmt.Sprintf("at most %d elements are accepted, got %d", p.Limit, p.Size)
	case Invalid:
		if p.Err != nil {
			return strings.TrimPrefix(p.Err.Error(), "json: ")
		}
	}
	return p.Code.String()
}

// segment is one step of a path: an object key or an array index.
type segment struct {
	key   string
	index int // -1 for a key
}

// formatPath writes a path of segments, e.g. `events[2].rules[0]` or
// `["two words"].x`.
func formatPath(segs []segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		b.WriteString(joinKey("", s.key, b.Len() == 0))
	}
	return b.String()
}

// JoinKey appends an object key to a path in the form [Problem].Path uses:
// "events[0].title", or `events[0]["two words"]` for a key that is not a
// plain name.
func JoinKey(path, key string) string {
	return joinKey(path, key, path == "")
}

func joinKey(path, key string, first bool) string {
	plain := key != ""
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		return path + "[" + strconv.Quote(key) + "]"
	case first:
		return path + key
	default:
		return path + "." + key
	}
}

// JoinIndex appends an array index to a path: "states[3]".
func JoinIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// Position returns the 1-based line and column (in bytes) of a byte offset
// in data; an offset past the end counts as the end. A caller that counts
// as encoding/json does, the offending byte as read, asks for Offset+1.
func Position(data []byte, offset int) (line, col int) {
	offset = min(max(offset, 0), len(data))
	line, col = 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
