package sqlite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valmennus/valmennus/coaching"
)

// zeroMicros is how the zero time.Time is stored: its own instant, so that
// it orders before every other time as it does in Go.
var zeroMicros = time.Time{}.UnixMicro()

// micros returns t as INTEGER microseconds since the epoch (anything below
// a microsecond is dropped, rounding towards the past).
func micros(t time.Time) int64 { return t.UnixMicro() }

// closedMicros is the closed_at column of a case closed at t: NULL while
// it is open (t is zero).
func closedMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

// fromMicros is the inverse of micros; times come back in UTC.
func fromMicros(v int64) time.Time {
	if v == zeroMicros {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// dayOf stores a civil date as yyyymmdd. Only calendar dates (and the zero
// Date, stored as 0) are accepted: a date SQLite could not order like
// coaching.Date.Compare, or JSON could not read back, is refused here.
func dayOf(field string, d coaching.Date) (int64, error) {
	if d.IsZero() {
		return 0, nil
	}
	if !d.Valid() {
		return 0, invalid(field, fmt.Sprintf("%04d-%02d-%02d is not a calendar date", d.Year, int(d.Month), d.Day))
	}
	return int64(d.Year)*10000 + int64(d.Month)*100 + int64(d.Day), nil
}

func dateOf(v int64) coaching.Date {
	if v == 0 {
		return coaching.Date{}
	}
	return coaching.Date{Year: int(v / 10000), Month: time.Month(v / 100 % 100), Day: int(v % 100)}
}

// invalid is the error for a value the store cannot keep exactly.
func invalid(field, msg string) error {
	return &coaching.ValidationError{Subject: "value for the sqlite store",
		Problems: []coaching.FieldProblem{{Field: field, Message: msg}}}
}

// marshal encodes v as JSON for a JSON column. encoding/json would replace
// invalid UTF-8 with U+FFFD (writing the escape \ufffd), so a value it
// cannot keep byte for byte is refused with a *coaching.ValidationError
// naming the field, instead of being stored altered. The check costs one
// scan of the output unless it holds that escape.
func marshal(subject string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &coaching.ValidationError{Subject: subject,
			Problems: []coaching.FieldProblem{{Message: "cannot be stored as JSON: " + err.Error()}}}
	}
	if bytes.Contains(b, []byte(`\ufffd`)) {
		if field, bad := badUTF8(reflect.ValueOf(v), ""); bad {
			return nil, &coaching.ValidationError{Subject: subject,
				Problems: []coaching.FieldProblem{{Field: field, Message: "is not valid UTF-8 (the sqlite store keeps it in a JSON column)"}}}
		}
	}
	return b, nil
}

// marshalOrNull is marshal for an optional value: nil when empty.
func marshalOrNull[T any](subject string, v []T) (any, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := marshal(subject, v)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// badUTF8 finds a string that is not valid UTF-8 in v's exported fields,
// elements, map keys and values, and returns its path. Byte slices
// (json.RawMessage) are skipped: JSON keeps them as they are.
func badUTF8(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return path, true
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return badUTF8(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			if p, bad := badUTF8(v.Field(i), joinPath(path, name)); bad {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false
		}
		for i := range v.Len() {
			if p, bad := badUTF8(v.Index(i), path+"["+strconv.Itoa(i)+"]"); bad {
				return p, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if p, bad := badUTF8(it.Key(), path+" (a key)"); bad {
				return p, true
			}
			if p, bad := badUTF8(it.Value(), path+"["+strconv.Quote(fmt.Sprint(it.Key()))+"]"); bad {
				return p, true
			}
		}
	}
	return "", false
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// encodeParticipant returns the participant's JSON without its identity
// code, and the code for its own column (nil when unset).
func encodeParticipant(p coaching.Participant) (data []byte, code any, err error) {
	if f, ok := badParticipantDate(p); ok {
		return nil, nil, invalid(f, "not a calendar date (the sqlite store keeps dates as YYYY-MM-DD)")
	}
	if !p.IdentityCode.IsZero() {
		code = p.IdentityCode.Reveal()
	}
	subject := "participant " + strconv.Quote(string(p.ID))
	p.IdentityCode, p.ID = coaching.IdentityCode{}, "" // both have columns of their own
	data, err = marshal(subject, p)
	return data, code, err
}

func badParticipantDate(p coaching.Participant) (string, bool) {
	for _, d := range []struct {
		f string
		d coaching.Date
	}{{"birth_date", p.BirthDate}, {"guardian_consent.given_on", p.GuardianConsent.GivenOn}, {"guardian_consent.withdrawn_on", p.GuardianConsent.WithdrawnOn}} {
		if !d.d.IsZero() && !d.d.Valid() {
			return d.f, true
		}
	}
	return "", false
}

// decodeParticipant restores a participant from its id, its JSON and its
// identity code column. Errors never contain the code.
func decodeParticipant(id string, data []byte, code *string, p *coaching.Participant) error {
	*p = coaching.Participant{}
	if err := json.Unmarshal(data, p); err != nil {
		return fmt.Errorf("sqlite: participant %q: stored JSON does not decode: %w", id, err)
	}
	p.ID = coaching.ParticipantID(id)
	if code != nil && *code != "" {
		c, err := coaching.ParseIdentityCode(*code)
		if err != nil {
			return fmt.Errorf("sqlite: participant %q: the stored identity code is not valid: %w", p.ID, err)
		}
		p.IdentityCode = c
	}
	return nil
}

// encodeCase returns the case's JSON without the fields that have columns
// of their own (id, participant, model, state, organisation, version) or
// are not the row's (history, records). A case with records is refused.
func encodeCase(c coaching.Case) ([]byte, error) {
	subject := "case " + strconv.Quote(string(c.ID))
	c.ID, c.ParticipantID, c.Model, c.State, c.Organisation, c.Version = "", "", "", "", "", 0
	c.History = nil // the audit trail's, not the row's (coaching.Case.History)
	if len(c.Records) > 0 {
		return nil, &coaching.ValidationError{Subject: subject, Problems: []coaching.FieldProblem{{Field: "records",
			Message: "are not stored in the case row: append them with AppendRecords"}}}
	}
	c.Records = nil
	return marshal(subject, c)
}

// caseScan receives the columns of caseCols.
type caseScan struct {
	id, participant, model, state, organisation string
	version                                     int64
	data                                        []byte
}

func (s *caseScan) dest() []any {
	return []any{&s.id, &s.participant, &s.model, &s.state, &s.organisation, &s.version, &s.data}
}

func (s *caseScan) decode(c *coaching.Case) error {
	*c = coaching.Case{}
	if err := json.Unmarshal(s.data, c); err != nil {
		return fmt.Errorf("sqlite: case %q: stored JSON does not decode: %w", s.id, err)
	}
	c.ID, c.ParticipantID, c.Model, c.State = coaching.CaseID(s.id), coaching.ParticipantID(s.participant), s.model, s.state
	c.Organisation, c.Version = coaching.OrganisationID(s.organisation), s.version
	c.History = nil // rows written before history left the row still carry it
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// nullBytes stores an empty byte slice as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
