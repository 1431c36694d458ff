package openapigen

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

type inner struct {
	N uint8 `json:"n" validate:"lte=9"`
}

type Embedded struct {
	Flat string `json:"flat"`
}

type sample struct {
	Embedded
	Name     string            `json:"name" validate:"required,max=10"`
	Kind     string            `json:"kind,omitempty" validate:"omitempty,oneof=a b"`
	When     time.Time         `json:"when"`
	Day      coaching.Date     `json:"day" validate:"required"`
	Maybe    coaching.Date     `json:"maybe"`
	Skipped  coaching.Date     `json:"skipped,omitzero"`
	Ptr      *int              `json:"ptr,omitempty"`
	Tags     []string          `json:"tags" validate:"max=3,dive,required,max=5"`
	Labels   map[string]string `json:"labels,omitempty"`
	Inner    inner             `json:"inner"`
	Any      any               `json:"any"`
	Hidden   string            `json:"-"`
	internal string
}

func schemaJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := marshal(v)
	require.NoError(t, err)
	return string(b)
}

// A struct's schema follows encoding/json (names, embedded fields
// flattened, "-" and unexported fields left out) and the validator's tags
// (required, max, oneof with omitempty allowing "", dive on the items).
func TestStructSchema(t *testing.T) {
	s := newSchemas(map[string]bool{})
	ref, err := s.ref(reflect.TypeFor[sample]())
	require.NoError(t, err)
	assert.JSONEq(t, `{"$ref":"#/components/schemas/sample"}`, schemaJSON(t, ref))
	assert.JSONEq(t, `{
		"type":"object","description":"Go type openapigen.sample.",
		"properties":{
			"flat":{"type":"string"},
			"name":{"type":"string","minLength":1,"maxLength":10},
			"kind":{"type":"string","enum":["a","b",""]},
			"when":{"type":"string","format":"date-time"},
			"day":{"type":"string","format":"date"},
			"maybe":{"anyOf":[{"type":"string","format":"date"},{"const":""}],"description":"a date YYYY-MM-DD, or \"\" for none"},
			"skipped":{"anyOf":[{"type":"string","format":"date"},{"const":""}],"description":"a date YYYY-MM-DD, or \"\" for none"},
			"ptr":{"type":["integer","null"]},
			"tags":{"type":"array","items":{"type":"string","maxLength":5,"minLength":1},"maxItems":3},
			"labels":{"type":"object","additionalProperties":{"type":"string"}},
			"inner":{"$ref":"#/components/schemas/inner"},
			"any":{}
		},
		"required":["name","day"],
		"additionalProperties":false}`, schemaJSON(t, s.byName["sample"]))
	assert.JSONEq(t, `{"type":"object","description":"Go type openapigen.inner.","properties":{"n":{"type":"integer","minimum":0,"maximum":9}},"additionalProperties":false}`,
		schemaJSON(t, s.byName["inner"]))
}

type selfMarshaling struct{}

func (selfMarshaling) MarshalJSON() ([]byte, error) { return []byte(`1`), nil }

type withSelfMarshaling struct {
	V selfMarshaling `json:"v"`
}

type Case struct{}

// A type whose JSON form the generator cannot tell, and a name the base
// document already uses, are errors rather than a wrong schema.
func TestSchemaErrors(t *testing.T) {
	_, err := newSchemas(map[string]bool{}).ref(reflect.TypeFor[withSelfMarshaling]())
	assert.ErrorContains(t, err, "marshals itself")
	_, err = newSchemas(map[string]bool{"Case": true}).ref(reflect.TypeFor[Case]())
	assert.ErrorContains(t, err, "is taken")
}

// The written document keeps the base's member order and adds the
// payload schemas; a base without the fire operation is an error.
func TestGenerateKeepsTheBase(t *testing.T) {
	pilot := coaching.Pilot()
	base := `{"openapi":"3.1.0","info":{"title":"t & <u>"},"paths":{"/cases/{case}/events/{event}":{"post":{"requestBody":{"content":{"application/json":{"schema":{"properties":{"payload":{}}}}}}}}},"components":{"schemas":{"Z":{},"A":{}}}}`
	out, err := Generate(&Options{Base: []byte(base), Models: []*coaching.Model{pilot}})
	require.NoError(t, err)
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(out, &doc))
	assert.Contains(t, doc.Components.Schemas, "InitialSituation")
	assert.Contains(t, doc.Components.Schemas, "Payload_first_year_pilot_map_initial_situation")
	assert.Regexp(t, `(?s)^\{\n  "openapi": "3.1.0",\n  "info": \{\n    "title": "t & <u>"\n  \},\n  "paths".*"Z": \{\},\n      "A": \{\},`, string(out))

	_, err = Generate(&Options{Base: []byte(`{"components":{"schemas":{}},"paths":{}}`), Models: []*coaching.Model{pilot}})
	assert.ErrorContains(t, err, "no member")
}
