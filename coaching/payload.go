package coaching

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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
	ptr := reflect.New(ev.payloadType)
	switch v := payload.(type) {
	case json.RawMessage:
		if err := decodeJSONPayload(v, ptr.Interface()); err != nil {
			return nil, nil, &ValidationError{Subject: name, Problems: []FieldProblem{{Field: "payload", Message: err.Error()}}}
		}
	case []byte:
		if err := decodeJSONPayload(v, ptr.Interface()); err != nil {
			return nil, nil, &ValidationError{Subject: name, Problems: []FieldProblem{{Field: "payload", Message: err.Error()}}}
		}
	default:
		rv := reflect.ValueOf(payload)
		switch {
		case rv.Type() == ev.payloadType:
			ptr.Elem().Set(rv)
		case rv.Kind() == reflect.Pointer && rv.Type().Elem() == ev.payloadType:
			if rv.IsNil() {
				return nil, nil, &ValidationError{Subject: name, Problems: []FieldProblem{{Field: "payload", Message: "nil pointer"}}}
			}
			ptr.Elem().Set(rv.Elem())
		default:
			return nil, nil, &ValidationError{Subject: name, Problems: []FieldProblem{{Field: "payload",
				Message: fmt.Sprintf("want %s, got %T", ev.payloadType, payload)}}}
		}
	}
	if err := ValidateStruct(name, ptr.Interface()); err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(ptr.Interface())
	if err != nil {
		return nil, nil, &ValidationError{Subject: name, Problems: []FieldProblem{{Field: "payload", Message: "cannot be encoded as JSON: " + err.Error()}}}
	}
	return ptr.Interface(), raw, nil
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
