package postgres

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valmennus/valmennus/coaching"
)

// What PostgreSQL cannot store, and what the store therefore refuses with a
// *coaching.ValidationError naming the field instead of letting the server
// fail the statement (and with it the transaction):
//
//   - a NUL character in any text (text and jsonb cannot hold U+0000);
//   - invalid UTF-8 (the server rejects it; encoding/json would silently
//     replace it with U+FFFD inside jsonb, so it would not read back
//     exactly);
//   - a key longer than the limits below: ids and keys live in B-tree
//     indexes, whose entries are limited to about 2.7 kB.
//
// Everything else, quotes, SQL, emoji and values of many megabytes
// included, is stored and read back exactly: every value is a parameter.
const (
	// maxIDBytes bounds ids and keys: participant, case, session and
	// guardian ids, participants' sign-on ids, command keys, document
	// kinds, mark lessons.
	maxIDBytes = 1024
	// maxNameBytes bounds the indexed names of a case: model, state and
	// organisation.
	maxNameBytes = 512
	// maxComposedBytes bounds notice ids and timer keys, which the engine
	// composes from case ids, kinds and actor ids.
	maxComposedBytes = 2048
)

// checker collects field problems.
type checker struct {
	subject  string
	problems []coaching.FieldProblem
}

func (c *checker) add(field, format string, args ...any) {
	c.problems = append(c.problems, coaching.FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return &coaching.ValidationError{Subject: c.subject, Problems: c.problems}
}

// key checks a key column: not longer than max bytes (its text is checked
// by the walk of the whole value).
func (c *checker) key(field, s string, max int) {
	if len(s) > max {
		c.add(field, "longer than %d bytes (PostgreSQL keeps it in an index)", max)
	}
}

// text checks every string in v (struct fields, slices, maps, pointers and
// JSON documents, recursively) and adds a problem for each one PostgreSQL
// cannot store. The check runs on every write, so the clean case walks the
// value once without building field paths.
func (c *checker) text(field string, v any) {
	rv := reflect.ValueOf(v)
	if cleanValue(rv) {
		return
	}
	c.walk(field, rv)
}

// checkText is text for one value, returning the error.
func checkText(subject string, v any) error {
	c := checker{subject: subject}
	c.text("", v)
	return c.err()
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
	identType   = reflect.TypeFor[coaching.IdentityCode]()
)

// storableText reports whether PostgreSQL text can hold s exactly.
func storableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// storableCopy returns s with what PostgreSQL text cannot hold replaced by
// U+FFFD: each run of bytes that is not valid UTF-8, and each NUL. It is
// for text the store must keep whatever it holds and that need not come
// back byte for byte: a sender's error (CompleteNotice). (The access log
// uses coaching.AccessEntry.Sanitized, which also bounds the text.) Every
// other value is refused with a *coaching.ValidationError instead, so that
// what is stored is what comes back.
func storableCopy(s string) string {
	if storableText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// storableJSON reports whether jsonb can hold the JSON document b: empty
// (stored as NULL), or valid JSON in valid UTF-8 without a \u0000 escape
// (jsonb refuses it).
func storableJSON(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if !utf8.Valid(b) || !json.Valid(b) {
		return false
	}
	for i := 0; i+5 < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if b[i+1] == 'u' && string(b[i+2:i+6]) == "0000" {
			return false
		}
		i++ // skip the escaped character (so "\\u0000" is not a match)
	}
	return true
}

func problemOf(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	return "contains a NUL character, which PostgreSQL cannot store in text"
}

func cleanValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return storableText(v.String())
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || cleanValue(v.Elem())
	case reflect.Slice:
		if v.Type() == rawJSONType {
			return storableJSON(v.Bytes())
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return true
		}
		fallthrough
	case reflect.Array:
		for i := range v.Len() {
			if !cleanValue(v.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if !cleanValue(it.Key()) || !cleanValue(it.Value()) {
				return false
			}
		}
		return true
	case reflect.Struct:
		t := v.Type()
		if t == timeType || t == identType {
			return true
		}
		for i := range t.NumField() {
			if t.Field(i).IsExported() && !cleanValue(v.Field(i)) {
				return false
			}
		}
		return true
	}
	return true
}

// walk is cleanValue with field paths, run only when something is wrong.
func (c *checker) walk(path string, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if !storableText(v.String()) {
			c.add(path, "%s", problemOf(v.String()))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			c.walk(path, v.Elem())
		}
	case reflect.Slice, reflect.Array:
		if v.Type() == rawJSONType {
			if !storableJSON(v.Bytes()) {
				c.add(path, "is not JSON that PostgreSQL can store (invalid JSON, invalid UTF-8 or a \\u0000 escape)")
			}
			return
		}
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			c.walk(path+"["+strconv.Itoa(i)+"]", v.Index(i))
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			if !cleanValue(k) {
				c.add(path, "has a key that %s", problemOf(k.String()))
				continue
			}
			name := path + "[" + strconv.Quote(fmt.Sprint(k.Interface())) + "]"
			c.walk(name, it.Value())
		}
	case reflect.Struct:
		t := v.Type()
		if t == timeType || t == identType {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := jsonName(f)
			if path != "" {
				name = path + "." + name
			}
			c.walk(name, v.Field(i))
		}
	}
}

// jsonName is the field's name in the JSON form of its type, which is how
// the engine's own validation errors name fields.
func jsonName(f reflect.StructField) string {
	if tag, ok := f.Tag.Lookup("json"); ok {
		if name, _, _ := strings.Cut(tag, ","); name != "" && name != "-" {
			return name
		}
	}
	return f.Name
}

// lookupKey reports whether s could be a stored key at all; reads with a
// key that could not have been stored answer "not found" without asking
// the server (which would fail the transaction on a NUL).
func lookupKey(s string, max int) bool {
	return len(s) <= max && storableText(s)
}
