package coaching_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/coachingtest"
)

var updateModels = flag.Bool("update-models", false, "rewrite coaching/models/*.json from the built-in models")

// builtinModelFiles are the built-in models and their JSON files.
var builtinModelFiles = []struct {
	file  string
	model func() *coaching.Model
}{
	{"models/valo.json", coaching.VALO},
	{"models/pilot.json", coaching.Pilot},
}

// The JSON files are what ModelJSON writes for the built-in models, so they
// never drift from the Go definitions.
func TestBuiltinModelJSONFilesAreCurrent(t *testing.T) {
	for _, b := range builtinModelFiles {
		t.Run(b.file, func(t *testing.T) {
			want, err := coaching.ModelJSON(b.model(), coaching.BuiltinRegistry())
			require.NoError(t, err)
			if *updateModels {
				require.NoError(t, os.WriteFile(filepath.FromSlash(b.file), want, 0o644))
				return
			}
			got, err := os.ReadFile(filepath.FromSlash(b.file))
			require.NoError(t, err)
			require.Equal(t, string(want), string(got),
				"%s is stale: run go test ./coaching -run TestBuiltinModelJSONFilesAreCurrent -update-models", b.file)
			embedded, ok := coaching.BuiltinModelJSON(b.model().Name())
			require.True(t, ok)
			assert.Equal(t, string(got), string(embedded), "the embedded document is the file")

			nilReg, err := coaching.ModelJSON(b.model(), nil)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(nilReg), "a nil registry is the built-in one")
		})
	}
	_, ok := coaching.BuiltinModelJSON("no_such_model")
	assert.False(t, ok)
}

func TestBuiltinModelJSONReturnsACopy(t *testing.T) {
	a, _ := coaching.BuiltinModelJSON(coaching.ModelVALO)
	a[0] = 'X'
	b, _ := coaching.BuiltinModelJSON(coaching.ModelVALO)
	assert.Equal(t, byte('{'), b[0])
}

// specView is a spec with its Go values (rules, payload, effects) replaced
// by what identifies them, so that specs compare with deep equality.
type specView struct {
	Spec     coaching.ModelSpec
	Rules    map[string][]string
	Payloads map[string]reflect.Type
	Effects  map[string][]string
}

func viewOf(spec coaching.ModelSpec) specView {
	v := specView{Spec: spec.Clone(), Rules: map[string][]string{}, Payloads: map[string]reflect.Type{}, Effects: map[string][]string{}}
	for i := range v.Spec.Events {
		e := &v.Spec.Events[i]
		for _, r := range e.Rules {
			v.Rules[e.Name] = append(v.Rules[e.Name], r.Name())
		}
		for _, eff := range e.Effects {
			v.Effects[e.Name] = append(v.Effects[e.Name], eff.Name())
		}
		if e.Payload != nil {
			v.Payloads[e.Name] = reflect.TypeOf(e.Payload)
		}
		e.Rules, e.Effects, e.Payload = nil, nil, nil
	}
	return v
}

func TestBuiltinModelsLoadFromJSONEqual(t *testing.T) {
	for _, b := range builtinModelFiles {
		want := b.model()
		t.Run(want.Name(), func(t *testing.T) {
			doc, ok := coaching.BuiltinModelJSON(want.Name())
			require.True(t, ok)
			got, err := coaching.LoadModel(doc, coaching.BuiltinRegistry())
			require.NoError(t, err)

			assert.Equal(t, viewOf(want.Spec()), viewOf(got.Spec()))
			assert.NotEmpty(t, viewOf(got.Spec()).Rules, "the named rules are resolved")
			assert.NotEmpty(t, viewOf(got.Spec()).Payloads, "the named payload types are resolved")
			assert.Equal(t, want.Mermaid(), got.Mermaid())
			for _, s := range want.States() {
				assert.Equal(t, want.EventsFrom(s), got.EventsFrom(s), "events from %s", s)
			}

			again, err := coaching.ModelJSON(got, coaching.BuiltinRegistry())
			require.NoError(t, err)
			assert.Equal(t, string(doc), string(again), "load and export round-trip byte for byte")

			withNil, err := coaching.LoadModel(doc, nil)
			require.NoError(t, err, "a nil registry is the built-in one")
			assert.Equal(t, want.Mermaid(), withNil.Mermaid())
		})
	}
}

// The models loaded from JSON run on the engine with their rules: the
// admission's rule rejects unmet criteria and lets met ones through, and
// the pilot's mapping rule runs.
func TestModelsLoadedFromJSONRunOnTheEngine(t *testing.T) {
	ctx := context.Background()
	var models []*coaching.Model
	for _, name := range []string{coaching.ModelVALO, coaching.ModelPilot} {
		doc, _ := coaching.BuiltinModelJSON(name)
		m, err := coaching.LoadModel(doc, coaching.BuiltinRegistry())
		require.NoError(t, err)
		models = append(models, m)
	}
	env := coachingtest.New(t, &coachingtest.Options{Models: models})

	t.Run("valo", func(t *testing.T) {
		c := env.Enrol(t, coaching.ModelVALO, coachingtest.Participant(),
			coachingtest.TeamMember(coachingtest.Coach, coaching.RoleCoach))
		met, notMet := coaching.CriterionMet, coaching.CriterionNotMet
		a := coaching.EntryAssessment{Motivation: met, WorkingLifeSkills: met, AttendanceCommitment: met, WorkCommitment: met, GoalCommitment: notMet}
		_, err := env.Engine.Fire(ctx, coachingtest.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: a})
		var rej *coaching.RulesRejectedError
		require.ErrorAs(t, err, &rej)
		require.Len(t, rej.Failures, 1)
		assert.Equal(t, "entry_criteria_met", rej.Failures[0].Rule)

		a.GoalCommitment = met
		res, err := env.Engine.Fire(ctx, coachingtest.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: a})
		require.NoError(t, err)
		assert.Equal(t, coaching.ValoInduction, res.Case.State)
		got, err := env.Engine.Case(ctx, coachingtest.Coach, c.ID)
		require.NoError(t, err)
		require.NotEmpty(t, got.Records)
		assert.Equal(t, coaching.RecordEntryAssessment, got.Records[0].Name)
	})
	t.Run("pilot", func(t *testing.T) {
		c := env.Enrol(t, coaching.ModelPilot, coachingtest.Participant(),
			coachingtest.TeamMember(coachingtest.Tutor, coaching.RolePersonalTutor))
		_, err := env.Engine.Fire(ctx, coachingtest.Tutor, c.ID, coaching.PilotMapInitialSituation, &coaching.FireOptions{
			Payload: coaching.InitialSituation{LiteracyScreening: coaching.ScreeningNoNeed, MathsScreening: coaching.ScreeningNoNeed}})
		var rej *coaching.RulesRejectedError
		require.ErrorAs(t, err, &rej)
		assert.Equal(t, "initial_situation_complete", rej.Failures[0].Rule)

		today := coaching.DateOf(env.Clock.Now())
		res, err := env.Engine.Fire(ctx, coachingtest.Tutor, c.ID, coaching.PilotMapInitialSituation, &coaching.FireOptions{
			Payload: coaching.InitialSituation{LiteracyScreening: coaching.ScreeningNoNeed, MathsScreening: coaching.ScreeningNoNeed,
				InitialInterviewDate: today, HOKSDraftingStarted: today}})
		require.NoError(t, err)
		assert.Equal(t, coaching.PilotCoaching, res.Case.State)
	})
}

// Placement is a host's payload type in the tests.
type Placement struct {
	Employer string `json:"employer" validate:"required"`
}

// hostRegistry is the built-in registry plus a host's rule, payload type
// and effect.
func hostRegistry() *coaching.ModelRegistry {
	reg := coaching.BuiltinRegistry()
	reg.Rules["has_placement"] = okRule("has_placement")
	reg.Payloads["placement"] = Placement{}
	reg.Effects["follow_up"] = coaching.NewEffect("follow_up", func(context.Context, *coaching.Transition, coaching.Case) (coaching.EffectWrites, error) {
		return coaching.EffectWrites{}, nil
	})
	return reg
}

// hostDoc is a small valid model written by a host.
const hostDoc = `{
  "name": "workshop_trial",
  "title": "Workshop trial",
  "initial": "trial",
  "openers": ["coach"],
  "states": [
    {"name": "trial", "kind": "active", "deadline": {"days": 14}, "notify_overdue": ["coach"]},
    {"name": "placed", "kind": "terminal"},
    {"name": "dropped", "kind": "terminal", "exit": "discontinued"}
  ],
  "events": [
    {"name": "place", "from": ["trial"], "to": "placed", "roles": ["coach"], "rules": ["has_placement"],
     "payload": "placement", "require_payload": true, "effects": ["follow_up"]},
    {"name": "drop", "from": ["trial"], "to": "dropped", "roles": ["coach"], "require_reason": true}
  ]
}`

func TestLoadModelHostModel(t *testing.T) {
	m, err := coaching.LoadModel([]byte(hostDoc), hostRegistry())
	require.NoError(t, err)
	assert.Equal(t, "workshop_trial", m.Name())
	place, ok := m.Event("place")
	require.True(t, ok)
	require.Len(t, place.Rules, 1)
	assert.Equal(t, "has_placement", place.Rules[0].Name())
	assert.Equal(t, Placement{}, place.Payload)
	require.Len(t, place.Effects, 1)
	assert.Equal(t, "follow_up", place.Effects[0].Name())
	assert.Empty(t, place.RuleNames, "names are resolved to Go values, so Spec rebuilds with BuildModel")
	_, err = coaching.BuildModel(m.Spec())
	require.NoError(t, err)
	st, _ := m.State("trial")
	assert.Equal(t, coaching.Days(14), st.Deadline)

	out, err := coaching.ModelJSON(m, hostRegistry())
	require.NoError(t, err)
	assert.Contains(t, string(out), "\n  \"name\": \"workshop_trial\",\n", "indented by two spaces")
	assert.Contains(t, string(out), `"exit": "completed"`, "a terminal state's exit kind is written")
	again, err := coaching.LoadModel(out, hostRegistry())
	require.NoError(t, err)
	out2, err := coaching.ModelJSON(again, hostRegistry())
	require.NoError(t, err)
	assert.Equal(t, string(out), string(out2))
	assert.Equal(t, viewOf(m.Spec()), viewOf(again.Spec()))
}

func TestModelJSONNamesWhatTheRegistryDoesNotKnow(t *testing.T) {
	spec := miniSpec()
	spec.Events[1].Rules = []coaching.Rule{okRule("secret_rule")}
	spec.Events[1].Payload = &Placement{}
	spec.Events[1].Effects = []coaching.Effect{coaching.NewEffect("secret_effect", nil)}
	spec.Events[0].Rules = []coaching.Rule{coaching.EntryCriteriaMet()}
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)

	_, err = coaching.ModelJSON(m, coaching.BuiltinRegistry())
	ve := requireValidationError(t, err)
	assert.Equal(t, []string{"events[1].effects[0]", "events[1].payload", "events[1].rules[0]"}, problemFields(ve), "%v", ve.Problems)
	assert.Contains(t, err.Error(), `"secret_rule"`)
	assert.Contains(t, err.Error(), `"secret_effect"`)
	assert.Contains(t, err.Error(), "*coaching_test.Placement")

	reg := hostRegistry()
	reg.Rules["secret_rule"] = okRule("secret_rule")
	reg.Effects["secret_effect"] = coaching.NewEffect("secret_effect", nil)
	out, err := coaching.ModelJSON(m, reg)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"payload": "placement"`, "a pointer payload is named by its struct type")

	_, err = coaching.ModelJSON(nil, reg)
	requireValidationError(t, err)
}

func TestModelRegistryProblems(t *testing.T) {
	reg := &coaching.ModelRegistry{
		Rules:    coaching.RuleRegistry{"alias": okRule("real_name"), "gone": nil},
		Payloads: map[string]any{"a_placement": Placement{}, "b_placement": &Placement{}, "number": 42, "nothing": nil},
		Effects:  map[string]coaching.Effect{"e": coaching.NewEffect("other", nil)},
	}
	want := []string{"effects.e", "payloads.b_placement", "payloads.nothing", "payloads.number", "rules.alias", "rules.gone"}
	_, err := coaching.LoadModel([]byte(hostDoc), reg)
	ve := requireValidationError(t, err)
	assert.Equal(t, "model registry", ve.Subject)
	assert.Equal(t, want, problemFields(ve), "%v", ve.Problems)

	_, err = coaching.ModelJSON(coaching.VALO(), reg)
	ve = requireValidationError(t, err)
	assert.Equal(t, want, problemFields(ve), "%v", ve.Problems)

	m, err := coaching.LoadModel([]byte(`{"name": "x"}`), &coaching.ModelRegistry{})
	assert.Nil(t, m)
	requireModelProblems(t, err) // the zero registry is an empty one
}

func TestLoadModelErrors(t *testing.T) {
	const (
		placed  = `{"name": "placed", "kind": "terminal"}`
		days14  = `{"days": 14}`
		rules   = `"rules": ["has_placement"]`
		initial = `"initial": "trial",`
	)
	tests := []struct {
		name     string
		old, new string // the edit to hostDoc
		raw      string // or the whole document, when old is empty
		want     []wantProblem
	}{
		{name: "unknown key", old: placed, new: `{"name": "placed", "kind": "terminal", "colour": "red"}`,
			want: []wantProblem{{"states[1].colour", `unknown key "colour"`}}},
		{name: "unknown key at the top", old: `"title": "Workshop trial",`, new: `"version": 2,`,
			want: []wantProblem{{"version", `unknown key "version"`}}},
		{name: "unknown key in a deadline", old: days14, new: `{"weeks": 2}`,
			want: []wantProblem{{"states[0].deadline.weeks", `unknown key "weeks"`}}},
		{name: "unknown key that is not an identifier", old: initial, new: `"initial": "trial", "two words": 1,`,
			want: []wantProblem{{`["two words"]`, `unknown key "two words"`}}},
		{name: "duplicate key", old: initial, new: `"initial": "trial", "initial": "placed",`,
			want: []wantProblem{{"initial", `duplicate key "initial"`}}},
		{name: "wrong type: string for an array", old: `"to": "dropped", "roles": ["coach"]`, new: `"to": "dropped", "roles": "coach"`,
			want: []wantProblem{{"events[1].roles", "must be an array, got a string"}}},
		{name: "wrong type: string for a boolean", old: `"require_reason": true`, new: `"require_reason": "yes"`,
			want: []wantProblem{{"events[1].require_reason", "must be true or false, got a string"}}},
		{name: "wrong type: null", old: `"title": "Workshop trial"`, new: `"title": null`,
			want: []wantProblem{{"title", "must be a string, got null"}}},
		{name: "wrong type: string for a state", old: placed + ",", new: placed + `, "limbo",`,
			want: []wantProblem{{"states[2]", "must be an object, got a string"}}},
		{name: "wrong type in an array element", old: `"openers": ["coach"]`, new: `"openers": ["coach", 7]`,
			want: []wantProblem{{"openers[1]", "must be a string, got a number"}}},
		{name: "wrong type of a rule name", old: rules, new: `"rules": ["has_placement", true]`,
			want: []wantProblem{{"events[0].rules[1]", "must be a string, got a boolean"}}},
		{name: "unknown rule name", old: rules, new: `"rules": ["has_placement", "entry_criteria_met", "has_no_placement"]`,
			want: []wantProblem{{"events[0].rules[2]", `unknown rule "has_no_placement"`}}},
		{name: "rule named twice", old: rules, new: `"rules": ["has_placement", "has_placement"]`,
			want: []wantProblem{{"events[0].rules[1]", `"has_placement" attached twice`}}},
		{name: "unknown payload name", old: `"payload": "placement"`, new: `"payload": "placement_v2"`,
			want: []wantProblem{{"events[0].payload", `unknown payload "placement_v2"`}}},
		{name: "wrong type of a payload name", old: `"payload": "placement"`, new: `"payload": {"employer": "x"}`,
			want: []wantProblem{{"events[0].payload", "must be a string, got an object"}}},
		{name: "unknown effect name", old: `"effects": ["follow_up"]`, new: `"effects": ["follow_up", "send_flowers"]`,
			want: []wantProblem{{"events[0].effects[1]", `unknown effect "send_flowers"`}}},
		{name: "unreachable state", old: placed + ",", new: placed + `, {"name": "limbo", "kind": "terminal"},`,
			want: []wantProblem{{"states[2]", `state "limbo" is unreachable`}}},
		{name: "event from a terminal state", old: `"require_reason": true}`,
			new:  `"require_reason": true}, {"name": "reopen", "from": ["placed"], "to": "trial", "roles": ["coach"]}`,
			want: []wantProblem{{"events[2].from[0]", `no event may leave terminal state "placed"`}}},
		{name: "duplicate state", old: placed + ",", new: placed + `, {"name": "trial", "kind": "active"},`,
			want: []wantProblem{{"states[2].name", `duplicate state "trial"`}}},
		{name: "bad deadline: not a whole number", old: days14, new: `{"days": 1.5, "months": "one"}`,
			want: []wantProblem{{"states[0].deadline.days", "must be a whole number, got 1.5"}, {"states[0].deadline.months", "must be a whole number, got a string"}}},
		{name: "bad deadline: out of range", old: days14, new: `{"months": 99999999999}`,
			want: []wantProblem{{"states[0].deadline.months", "out of range"}}},
		{name: "bad deadline: negative", old: days14, new: `{"days": -14}`,
			want: []wantProblem{{"states[0].deadline", "must not be negative"}}},
		{name: "bad deadline: on a terminal state", old: placed, new: `{"name": "placed", "kind": "terminal", "deadline": {"months": 1}}`,
			want: []wantProblem{{"states[1].deadline", "terminal state cannot have a deadline"}}},
		{name: "bad deadline: not an object", old: days14, new: `14`,
			want: []wantProblem{{"states[0].deadline", "must be an object, got a number"}}},
		{name: "malformed: a missing comma", old: `"to": "placed", "roles"`, new: `"to": "placed" "roles"`,
			want: []wantProblem{{"events[0]", `malformed JSON at line 12, column 57: invalid character '"' after object key:value pair`}}},
		{name: "trailing garbage", raw: hostDoc + "\n}x",
			want: []wantProblem{{"", "unexpected data after the JSON document at line 17, column 1"}}},
		{name: "two documents", raw: hostDoc + hostDoc,
			want: []wantProblem{{"", "unexpected data after the JSON document at line 16, column 2"}}},
		{name: "empty input", raw: "",
			want: []wantProblem{{"", "empty document"}}},
		{name: "only white space", raw: " \n\t ",
			want: []wantProblem{{"", "empty document"}}},
		{name: "not an object", raw: `["valo"]`,
			want: []wantProblem{{"", "must be a JSON object, got an array"}}},
		{name: "null document", raw: `null`,
			want: []wantProblem{{"", "must be a JSON object, got null"}}},
		{name: "malformed: cut short", raw: `{"name": "x", "states": [{"name": `,
			want: []wantProblem{{"states[0].name", "malformed JSON at line 1, column 35: unexpected end of the document"}}},
		{name: "malformed: a bare word", raw: `{"name": valo}`,
			want: []wantProblem{{"name", "malformed JSON at line 1, column 10: invalid character 'v'"}}},
		{name: "nested too deeply", raw: `{"x": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
			want: []wantProblem{{"x" + strings.Repeat("[0]", 31), "nested more than 32 levels deep"}}},
		{name: "over 1 MiB", raw: `{"name": "` + strings.Repeat("a", 1<<20) + `"}`,
			want: []wantProblem{{"", "at most 1048576 are accepted"}}},
		{name: "too many states", raw: `{"name": "big", "states": [` + strings.Repeat(`{"name": "s", "kind": "active"},`, 200) + `{"name": "s", "kind": "active"}]}`,
			want: []wantProblem{{"states", "at most 200 states are accepted, got 201"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.raw
			if tt.old != "" {
				require.Equal(t, 1, strings.Count(hostDoc, tt.old), "hostDoc must contain %q once", tt.old)
				doc = strings.Replace(hostDoc, tt.old, tt.new, 1)
			}
			m, err := coaching.LoadModel([]byte(doc), hostRegistry())
			assert.Nil(t, m)
			require.ErrorIs(t, err, coaching.ErrInvalid)
			ve := requireModelProblems(t, err)
			var fields []string
			for _, w := range tt.want {
				fields = append(fields, w.field)
				assert.True(t, hasProblem(ve, w), "want a problem at %q containing %q; got %v", w.field, w.msg, ve.Problems)
			}
			assert.ElementsMatch(t, fields, problemFields(ve), "%v", ve.Problems)
		})
	}
}

// Problems of form, of names and of the model itself come in one error.
func TestLoadModelReportsEveryProblemAtOnce(t *testing.T) {
	doc := `{
  "name": "Workshop",
  "initial": "trial",
  "openers": ["coach"],
  "owner": "me",
  "states": [
    {"name": "trial", "kind": "active", "deadline": {"days": "14"}},
    {"name": "placed", "kind": "terminal"},
    {"name": "limbo", "kind": "terminal", "exit": "vanished"}
  ],
  "events": [
    {"name": "place", "from": ["trial"], "to": "placed", "roles": ["coach"], "rules": ["nope"], "payload": "nada", "effects": ["zilch"]},
    {"name": "place", "from": ["trial"], "to": "placed", "roles": []}
  ]
}`
	_, err := coaching.LoadModel([]byte(doc), hostRegistry())
	ve := requireModelProblems(t, err)
	assert.Equal(t, `model "Workshop"`, ve.Subject)
	assert.Equal(t, []string{
		"events[0].effects[0]",
		"events[0].payload",
		"events[0].rules[0]",
		"events[1].name",
		"name",
		"owner",
		"states[0].deadline.days",
		"states[2]",
		"states[2].exit",
	}, problemFields(ve), "%v", ve.Problems)
}

func FuzzLoadModel(f *testing.F) {
	for _, name := range []string{coaching.ModelVALO, coaching.ModelPilot} {
		doc, _ := coaching.BuiltinModelJSON(name)
		f.Add(doc)
	}
	for _, s := range []string{hostDoc, "", "{", "[]", "null", `{"name": "x"}`, `{"states": [{"deadline": {"months": 1e400}}]}`,
		`{"events": [{"rules": [1, "x"], "payload": null, "effects": {}}]}`, `{"a": {"b": [[[[{}]]]]}} x`} {
		f.Add([]byte(s))
	}
	reg := hostRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := coaching.LoadModel(data, reg)
		if err != nil {
			var ve *coaching.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, coaching.ErrInvalid) || len(ve.Problems) == 0 {
				t.Fatalf("want a *ValidationError with problems, got %T: %v", err, err)
			}
			if m != nil {
				t.Fatal("a model with an error")
			}
			return
		}
		_ = m.Mermaid()
		out, err := coaching.ModelJSON(m, reg)
		if err != nil {
			t.Fatalf("a loaded model does not export: %v", err)
		}
		again, err := coaching.LoadModel(out, reg)
		if err != nil {
			t.Fatalf("an exported model does not load: %v\n%s", err, out)
		}
		out2, err := coaching.ModelJSON(again, reg)
		if err != nil || string(out) != string(out2) {
			t.Fatalf("export is not stable (%v):\n%s\n---\n%s", err, out, out2)
		}
	})
}
