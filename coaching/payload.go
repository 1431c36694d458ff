package coaching

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

// maxPayloadBytes bounds a JSON payload; coaching payloads are small
// structured assessments, never documents.
const maxPayloadBytes = 256 << 10

var (
	validatorOnce sync.Once
	validate      *validator.Validate
)

// payloadValidator returns the shared validator. It is configured once and
// only read afterwards, so sharing it is safe.
func payloadValidator() *validator.Validate {
	validatorOnce.Do(func() {
		validate = validator.New(validator.WithRequiredStructEnabled())
		validate.RegisterTagNameFunc(func(f reflect.StructField) string {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				return ""
			}
			if name == "" {
				return f.Name
			}
			return name
		})
	})
	return validate
}

// ValidateStruct validates v with its `validate` struct tags and returns a
// *ValidationError listing every failing field by its JSON path, or nil.
func ValidateStruct(subject string, v any) error {
	err := payloadValidator().Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return &ValidationError{Subject: subject, Problems: []FieldProblem{{Message: err.Error()}}}
	}
	pr := problems{subject: subject}
	for _, fe := range verrs {
		ns := fe.Namespace()
		if i := strings.IndexByte(ns, '.'); i >= 0 {
			ns = ns[i+1:] // drop the root type name
		} else {
			ns = ""
		}
		pr.add(ns, "%s", tagMessage(fe))
	}
	return pr.err()
}

func tagMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "required"
	case "min":
		return "must be at least " + fe.Param()
	case "max":
		return "must be at most " + fe.Param()
	case "oneof":
		return "must be one of: " + fe.Param()
	case "gte":
		return "must be ≥ " + fe.Param()
	case "lte":
		return "must be ≤ " + fe.Param()
	case "email":
		return "not a valid e-mail address"
	}
	if fe.Param() != "" {
		return fmt.Sprintf("fails %s=%s", fe.Tag(), fe.Param())
	}
	return "fails " + fe.Tag()
}

// decodePayload turns the caller's payload into a validated *T of the
// event's declared type, and its JSON. It accepts a T, a *T, or JSON bytes
// (json.RawMessage or []byte) that decode into T with no unknown fields.
func decodePayload(ev *compiledEvent, payload any) (any, json.RawMessage, error) {
	if payload == nil && !ev.spec.RequirePayload {
		return nil, nil, nil
	}
	name := "payload of event " + ev.spec.Name
	if payload == nil {
		if ev.spec.RequirePayload {
			return nil, nil, &ValidationError{Subject: name, Problems: []FieldProblem{{Field: "payload", Message: "required"}}}
		}
		return nil, nil, nil
	}
	if ev.payloadType == nil {
		return nil, nil, &ValidationError{Subject: name, Problems: []FieldProblem{{Field: "payload", Message: "this event takes no payload"}}}
	}
	ptr, err := coercePayload(name, ev.payloadType, payload)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckPayload(name, ptr); err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(ptr)
	if err != nil {
		return nil, nil, &ValidationError{Subject: name, Problems: []FieldProblem{{Field: "payload", Message: "cannot be encoded as JSON: " + err.Error()}}}
	}
	return ptr, raw, nil
}

// coercePayload turns payload — a T, a *T, or JSON bytes (json.RawMessage
// or []byte) that decode into T with no unknown fields — into a new *T.
func coercePayload(subject string, t reflect.Type, payload any) (any, error) {
	ptr := reflect.New(t)
	bad := func(msg string) error {
		return &ValidationError{Subject: subject, Problems: []FieldProblem{{Field: "payload", Message: msg}}}
	}
	switch v := payload.(type) {
	case json.RawMessage:
		if err := decodeJSONPayload(v, ptr.Interface()); err != nil {
			return nil, bad(err.Error())
		}
	case []byte:
		if err := decodeJSONPayload(v, ptr.Interface()); err != nil {
			return nil, bad(err.Error())
		}
	case map[string]any:
		// A payload that arrived as JSON and was decoded generically (an
		// HTTP body's nested object): decode it into T as JSON.
		b, err := json.Marshal(v)
		if err != nil {
			return nil, bad(err.Error())
		}
		if err := decodeJSONPayload(b, ptr.Interface()); err != nil {
			return nil, bad(err.Error())
		}
	default:
		rv := reflect.ValueOf(payload)
		switch {
		case rv.Type() == t:
			ptr.Elem().Set(rv)
		case rv.Kind() == reflect.Pointer && rv.Type().Elem() == t:
			if rv.IsNil() {
				return nil, bad("nil pointer")
			}
			ptr.Elem().Set(rv.Elem())
		default:
			return nil, bad(fmt.Sprintf("want %s, got %T", t, payload))
		}
	}
	return ptr.Interface(), nil
}

// Validator is implemented by payload and record types whose rules go
// beyond their struct tags (a consent given after the handover it allows,
// a date range that ends before it starts). Validate returns a
// *ValidationError listing every problem, or nil.
type Validator interface {
	Validate() error
}

// CheckPayload validates a payload or record value the way the engine does
// on every write path: its `validate` struct tags, then — when v (or the
// value v points to) implements [Validator] — its own Validate. Problems
// from both are reported together, each once.
func CheckPayload(subject string, v any) error {
	pr := problems{subject: subject}
	rv := reflect.ValueOf(v)
	isStruct := rv.Kind() == reflect.Struct || (rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Kind() == reflect.Struct)
	if isStruct {
		pr.merge("", ValidateStruct(subject, v))
	}
	val, ok := v.(Validator)
	if !ok && rv.Kind() == reflect.Pointer && !rv.IsNil() {
		val, ok = rv.Elem().Interface().(Validator)
	}
	if ok && !(rv.Kind() == reflect.Pointer && rv.IsNil()) {
		if err := val.Validate(); err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				pr.add("", "%v", err)
			} else {
				for _, p := range ve.Problems {
					if !slices.Contains(pr.list, p) {
						pr.list = append(pr.list, p)
					}
				}
			}
		}
	}
	return pr.err()
}

func decodeJSONPayload(b []byte, into any) error {
	if len(b) > maxPayloadBytes {
		return fmt.Errorf("larger than %d bytes", maxPayloadBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("not valid JSON for this event: %v", err)
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
