package webui

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpapi"
	"github.com/valmennus/valmennus/coaching"
)

// Every built-in model's event has a name, every field of its payload a
// label and every allowed value of an enum-like field a text, in all three
// languages (TestCatalogueComplete checks that each entry has all three);
// so does every rule the events name.
func TestBuiltinEventTextsInCatalogue(t *testing.T) {
	// The models as the library's own back end deploys them: the exits
	// carry pathway's destination.
	deployed, err := httpapi.DefaultModels()
	require.NoError(t, err)
	for _, m := range append([]*coaching.Model{coaching.VALO(), coaching.Pilot()}, deployed...) {
		for _, st := range m.States() {
			for _, name := range m.EventsFrom(st) {
				ev, ok := m.Event(name)
				if !assert.True(t, ok) {
					continue
				}
				_, ok = catalogue["event."+m.Name()+"."+name]
				assert.True(t, ok, "event.%s.%s", m.Name(), name)
				for _, r := range ev.Rules {
					_, ok := catalogue["rule."+r.Name()]
					assert.True(t, ok, "rule.%s", r.Name())
				}
				if ev.Payload == nil {
					continue
				}
				fields := payloadFields(reflect.TypeOf(ev.Payload), coaching.English)
				assert.Len(t, fields, reflect.TypeOf(ev.Payload).NumField(), "a control for every field of %s's payload", name)
				for _, f := range fields {
					_, ok := catalogue["field."+f.Name]
					assert.True(t, ok, "field.%s (event %s.%s)", f.Name, m.Name(), name)
					assert.NotEqual(t, controlJSON, f.Control, "%s: a built-in payload field needs no JSON", f.Name)
					for _, o := range f.Options {
						_, ok := catalogue["option."+o.Value]
						assert.True(t, ok, "option.%s", o.Value)
					}
				}
			}
		}
	}
}

// The controls follow the payload's types and validate tags.
func TestPayloadFieldControls(t *testing.T) {
	type p struct {
		Choice  string         `json:"choice" validate:"required,oneof=a b"`
		Short   string         `json:"short" validate:"max=40"`
		Long    string         `json:"long" validate:"required,max=4000"`
		Flag    bool           `json:"flag" validate:"required"`
		Count   int            `json:"count"`
		Share   float64        `json:"share"`
		Day     coaching.Date  `json:"day"`
		Items   []string       `json:"items" validate:"max=3,dive,max=10"`
		Nested  map[string]int `json:"nested"`
		Skipped string         `json:"-"`
		hidden  string
	}
	_ = p{}.hidden
	got := map[string]formField{}
	for _, f := range payloadFields(reflect.TypeFor[p](), coaching.Finnish) {
		got[f.Name] = f
	}
	assert.Len(t, got, 9)
	assert.Equal(t, controlSelect, got["choice"].Control)
	assert.True(t, got["choice"].Required)
	assert.Len(t, got["choice"].Options, 2)
	assert.Equal(t, controlText, got["short"].Control)
	assert.Equal(t, 40, got["short"].Max)
	assert.Equal(t, controlTextarea, got["long"].Control)
	assert.Equal(t, controlCheckbox, got["flag"].Control)
	assert.False(t, got["flag"].Required, "false is a value of a checkbox")
	assert.Equal(t, controlNumber, got["count"].Control)
	assert.True(t, got["count"].Integer)
	assert.False(t, got["share"].Integer)
	assert.Equal(t, controlDate, got["day"].Control)
	assert.Equal(t, controlList, got["items"].Control)
	assert.Equal(t, 0, got["items"].Max, "the list's max counts items, not characters")
	assert.Equal(t, controlJSON, got["nested"].Control)
	assert.Equal(t, "nested", got["nested"].Label, "a field the catalogue lacks is labelled by its name")
}

// The engine's English validation messages are worded in the page's
// language; an unknown one gets the general text, never the English.
func TestProblemMessage(t *testing.T) {
	for msg, want := range map[string]string{
		"required":                     "Pakollinen tieto puuttuu.",
		"required for event x":         "Pakollinen tieto puuttuu.",
		"must be one of: a b":          "Valitse jokin vaihtoehdoista.",
		"must be at most 4000":         "Liian suuri tai pitkä (enintään 4000).",
		"must be at least 2":           "Liian pieni tai lyhyt (vähintään 2).",
		"must be at most <b>":          "Arvo ei kelpaa.",
		"json: unknown field \"evil\"": "Arvo ei kelpaa.",
	} {
		got := problemMessage(msg, coaching.Finnish)
		assert.Equal(t, want, got, msg)
	}
}

// Every key the event forms' Go code names is in the catalogue (a missing
// one would be an empty text on the page).
func TestEventKeysInCatalogue(t *testing.T) {
	for _, k := range []string{"form.list.hint", "form.json.hint", "form.missing", "form.oneof", "form.number", "form.date",
		"form.json", "form.max", "form.min", "form.invalid", "form.reason", "event.fired", "event.notnow"} {
		_, ok := catalogue[k]
		assert.True(t, ok, k)
	}
}
