// Package openapigen writes the HTTP API's OpenAPI 3.1 document: the
// hand-written base (paths, responses, the hand-written component
// schemas) with the payload schema of every event of the models generated
// from the event's Go payload type, so that the document cannot drift
// from the types the engine decodes payloads into.
//
// For each model event with a payload type it adds
//   - a component schema per Go struct type reached (named after the type,
//     e.g. EntryAssessment, Destination; a name the base already uses is
//     an error), from its json tags and its go-playground/validator tags
//     (required, min, max, gte, lte, oneof, email, dive);
//   - a component schema Payload_<model>_<event> (allOf the type's
//     schema, with a description naming the event);
//
// and it sets the payload member of the fire operation's request body
// (POST /cases/{case}/events/{event}) to anyOf the payload types (or
// null), with x-event-payloads mapping model → event → the Payload_
// schema: which payload an event takes depends on the event in the path
// and the case's model, which a request body schema cannot select by.
package openapigen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// Options are what [Generate] writes the document from.
type Options struct {
	// Base is the hand-written document (JSON).
	Base []byte
	// Models are the models whose event payloads are described, in order.
	Models []*coaching.Model
}

// firePayload is where the fire operation's request payload is.
var firePayload = []string{"paths", "/cases/{case}/events/{event}", "post", "requestBody", "content", "application/json", "schema", "properties", "payload"}

// Generate returns the document: Base with the models' payload schemas,
// indented by two spaces and ending in a newline. It fails when the base
// is not a JSON object with the fire operation's payload member, when a
// generated component's name is taken, or when a payload type has a Go
// type whose JSON form it cannot describe.
func Generate(opts *Options) ([]byte, error) {
	if opts == nil || len(opts.Base) == 0 {
		return nil, errors.New("openapigen: no base document")
	}
	root, err := decodeOrdered(opts.Base)
	if err != nil {
		return nil, fmt.Errorf("openapigen: the base document: %w", err)
	}
	comps, err := lookup(root, "components", "schemas")
	if err != nil {
		return nil, fmt.Errorf("openapigen: the base document: %w", err)
	}
	payload, err := lookup(root, firePayload...)
	if err != nil {
		return nil, fmt.Errorf("openapigen: the base document: %w", err)
	}
	taken := map[string]bool{}
	for _, k := range comps.keys {
		taken[k] = true
	}
	s := newSchemas(taken)
	perEvent := newObject() // Payload_<model>_<event> schemas
	eventMap := newObject() // model → event → $ref
	var anyOf []any
	seen := map[reflect.Type]bool{}
	for _, m := range opts.Models {
		events := newObject()
		for _, e := range m.Spec().Events {
			if e.Payload == nil {
				continue
			}
			t := reflect.TypeOf(e.Payload)
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t.Kind() != reflect.Struct {
				return nil, fmt.Errorf("openapigen: model %s, event %s: the payload type %s is not a struct", m.Name(), e.Name, t)
			}
			ref, err := s.ref(t)
			if err != nil {
				return nil, fmt.Errorf("openapigen: model %s, event %s: %w", m.Name(), e.Name, err)
			}
			if !seen[t] {
				seen[t] = true
				anyOf = append(anyOf, ref)
			}
			name := "Payload_" + m.Name() + "_" + e.Name
			if taken[name] {
				return nil, fmt.Errorf("openapigen: the component schema %s is taken by the base document", name)
			}
			desc := fmt.Sprintf("The payload of event %s of model %s", e.Name, m.Name())
			if e.RequirePayload {
				desc += " (required)"
			} else {
				desc += " (optional)"
			}
			perEvent.set(name, newObject().set("description", desc+"; stored as the case's record "+record(e)+".").
				set("allOf", []any{ref}))
			events.set(e.Name, "#/components/schemas/"+name)
		}
		if len(events.keys) > 0 {
			eventMap.set(m.Name(), events)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.byName)) {
		comps.set(name, s.byName[name])
	}
	for _, name := range perEvent.keys {
		comps.set(name, perEvent.vals[name])
	}
	anyOf = append(anyOf, newObject().set("type", "null"))
	payload.set("description", firePayloadDescription(eventMap))
	payload.set("anyOf", anyOf)
	payload.set("x-event-payloads", eventMap)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("openapigen: %w", err)
	}
	return buf.Bytes(), nil
}

// firePayloadDescription says which payload each event takes.
func firePayloadDescription(eventMap *object) string {
	var b strings.Builder
	b.WriteString("The event's payload: its type depends on the event and the case's model (x-event-payloads maps model → event → schema):")
	for _, model := range eventMap.keys {
		events := eventMap.vals[model].(*object)
		for _, ev := range events.keys {
			name := strings.TrimPrefix(events.vals[ev].(string), "#/components/schemas/")
			fmt.Fprintf(&b, " %s/%s → %s;", model, ev, name)
		}
	}
	b.WriteString(" an event not listed takes none (a payload given is a 422).")
	return b.String()
}

func record(e coaching.EventSpec) string {
	if e.Record != "" {
		return e.Record
	}
	return e.Name
}
