package coaching_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// coachOnly() returns a fresh slice each time, so tests that mutate one
// cannot affect another.
func coachOnly() []coaching.Role { return []coaching.Role{coaching.RoleCoach} }

func okRule(name string) coaching.Rule {
	return coaching.NewRule(name, func(context.Context, *coaching.Transition) error { return nil })
}

// miniSpec is a small valid model:
//
//	start → work → done, work ⇄ paused, {start, work, paused} → dropped
func miniSpec() coaching.ModelSpec {
	return coaching.ModelSpec{
		Name:    "mini",
		Title:   "Mini model",
		Initial: "start",
		Openers: []coaching.Role{coaching.RoleCoach},
		States: []coaching.StateSpec{
			{Name: "start", Kind: coaching.Active, Deadline: coaching.Months(1)},                           // 0
			{Name: "work", Kind: coaching.Active, Deadline: coaching.Days(30), NotifyOverdue: coachOnly()}, // 1
			{Name: "paused", Kind: coaching.Hold},                                                          // 2
			{Name: "done", Kind: coaching.Terminal},                                                        // 3
			{Name: "dropped", Kind: coaching.Terminal, Exit: coaching.ExitDiscontinued},                    // 4
		},
		Events: []coaching.EventSpec{
			{Name: "begin", From: []string{"start"}, To: "work", Roles: coachOnly()},                                          // 0
			{Name: "finish", From: []string{"work"}, To: "done", Roles: coachOnly()},                                          // 1
			{Name: "pause", From: []string{"work"}, To: "paused", Roles: coachOnly()},                                         // 2
			{Name: "resume", From: []string{"paused"}, To: "work", Roles: coachOnly()},                                        // 3
			{Name: "drop", From: []string{"start", "work", "paused"}, To: "dropped", Roles: coachOnly(), RequireReason: true}, // 4
		},
	}
}

type wantProblem struct {
	field string
	msg   string // substring of the message
}

func requireModelProblems(t *testing.T, err error) *coaching.ValidationError {
	t.Helper()
	ve := requireValidationError(t, err)
	assert.True(t, strings.HasPrefix(ve.Subject, "model"), "subject %q", ve.Subject)
	return ve
}

func hasProblem(ve *coaching.ValidationError, w wantProblem) bool {
	for _, p := range ve.Problems {
		if p.Field == w.field && strings.Contains(p.Message, w.msg) {
			return true
		}
	}
	return false
}

func TestBuiltinModelsBuild(t *testing.T) {
	for name, spec := range map[string]func() coaching.ModelSpec{"valo": coaching.VALOSpec, "pilot": coaching.PilotSpec} {
		t.Run(name, func(t *testing.T) {
			m, err := coaching.BuildModel(spec())
			require.NoError(t, err)
			require.NotNil(t, m)
			assert.Equal(t, spec().Name, m.Name())
			assert.Equal(t, spec().Title, m.Title())
			assert.Equal(t, spec().Initial, m.Initial())

			// Structural invariants of a built model.
			for _, s := range m.States() {
				st, ok := m.State(s)
				require.True(t, ok)
				evs := m.EventsFrom(s)
				if st.Kind == coaching.Terminal {
					assert.Empty(t, evs, "terminal state %s has events", s)
					assert.NotEmpty(t, st.Exit, "terminal state %s has an exit kind", s)
				} else {
					assert.NotEmpty(t, evs, "non-terminal state %s has no events", s)
				}
				assert.True(t, sort.StringsAreSorted(evs))
			}
		})
	}
	assert.NotPanics(t, func() { coaching.VALO() })
	assert.NotPanics(t, func() { coaching.Pilot() })
	assert.Equal(t, coaching.ModelVALO, coaching.VALO().Name())
	assert.Equal(t, coaching.ModelPilot, coaching.Pilot().Name())
}

func TestModelMiniSpecBuilds(t *testing.T) {
	m, err := coaching.BuildModel(miniSpec())
	require.NoError(t, err)
	st, ok := m.State("done")
	require.True(t, ok)
	assert.Equal(t, coaching.ExitCompleted, st.Exit, "a terminal state's exit defaults to completed")
	st, ok = m.State("dropped")
	require.True(t, ok)
	assert.Equal(t, coaching.ExitDiscontinued, st.Exit)
}

func TestBuildModelRejectsBrokenSpecs(t *testing.T) {
	addState := func(s *coaching.ModelSpec, st coaching.StateSpec) { s.States = append(s.States, st) }
	addEvent := func(s *coaching.ModelSpec, e coaching.EventSpec) { s.Events = append(s.Events, e) }
	tests := []struct {
		name string
		mut  func(s *coaching.ModelSpec)
		want []wantProblem
	}{
		{"unknown initial state", func(s *coaching.ModelSpec) { s.Initial = "nowhere" },
			[]wantProblem{{"initial", `unknown state "nowhere"`}}},
		{"no initial state", func(s *coaching.ModelSpec) { s.Initial = "" },
			[]wantProblem{{"initial", "required"}}},
		{"initial state is terminal", func(s *coaching.ModelSpec) { s.Initial = "done" },
			[]wantProblem{{"initial", "active"}}},
		{"initial state is a hold", func(s *coaching.ModelSpec) { s.Initial = "paused" },
			[]wantProblem{{"initial", "active"}}},
		{"duplicate state", func(s *coaching.ModelSpec) {
			addState(s, coaching.StateSpec{Name: "work", Kind: coaching.Active})
		}, []wantProblem{{"states[5].name", `duplicate state "work"`}}},
		{"duplicate event", func(s *coaching.ModelSpec) {
			addEvent(s, coaching.EventSpec{Name: "finish", From: []string{"start"}, To: "done", Roles: coachOnly()})
		}, []wantProblem{{"events[5].name", `duplicate event "finish"`}}},
		{"event from an unknown state", func(s *coaching.ModelSpec) { s.Events[0].From = []string{"start", "limbo"} },
			[]wantProblem{{"events[0].from[1]", `unknown state "limbo"`}}},
		{"event without a source state", func(s *coaching.ModelSpec) { s.Events[4].From = nil },
			[]wantProblem{{"events[4].from", "source"}}},
		{"duplicate source state", func(s *coaching.ModelSpec) { s.Events[4].From = []string{"start", "work", "start"} },
			[]wantProblem{{"events[4].from[2]", `duplicate source state "start"`}}},
		{"event to an unknown state", func(s *coaching.ModelSpec) { s.Events[4].To = "limbo" },
			[]wantProblem{{"events[4].to", `unknown state "limbo"`}}},
		{"event from a terminal state", func(s *coaching.ModelSpec) {
			addEvent(s, coaching.EventSpec{Name: "reopen", From: []string{"done"}, To: "work", Roles: coachOnly()})
		}, []wantProblem{{"events[5].from[0]", `terminal state "done"`}}},
		{"self-loop", func(s *coaching.ModelSpec) {
			addEvent(s, coaching.EventSpec{Name: "redo", From: []string{"start", "work"}, To: "work", Roles: coachOnly()})
		}, []wantProblem{{"events[5].from[1]", "itself"}}},
		{"event with no roles", func(s *coaching.ModelSpec) { s.Events[1].Roles = nil },
			[]wantProblem{{"events[1].roles", "at least one role"}}},
		{"event with an empty role", func(s *coaching.ModelSpec) { s.Events[1].Roles = []coaching.Role{coaching.RoleCoach, " "} },
			[]wantProblem{{"events[1].roles[1]", "empty role"}}},
		{"unreachable state", func(s *coaching.ModelSpec) {
			addState(s, coaching.StateSpec{Name: "orphan", Kind: coaching.Active})
			addEvent(s, coaching.EventSpec{Name: "orphan_done", From: []string{"orphan"}, To: "done", Roles: coachOnly()})
		}, []wantProblem{{"states[5]", `"orphan" is unreachable`}}},
		{"unreachable terminal state", func(s *coaching.ModelSpec) {
			addState(s, coaching.StateSpec{Name: "never", Kind: coaching.Terminal})
		}, []wantProblem{{"states[5]", `"never" is unreachable`}}},
		{"model with no terminal state", func(s *coaching.ModelSpec) {
			s.States = []coaching.StateSpec{{Name: "start", Kind: coaching.Active}, {Name: "work", Kind: coaching.Active}}
			s.Events = []coaching.EventSpec{
				{Name: "begin", From: []string{"start"}, To: "work", Roles: coachOnly()},
				{Name: "restart", From: []string{"work"}, To: "start", Roles: coachOnly()},
			}
		}, []wantProblem{{"states", "no terminal state"}}},
		{"active state with no outgoing event", func(s *coaching.ModelSpec) {
			addState(s, coaching.StateSpec{Name: "stuck", Kind: coaching.Active})
			addEvent(s, coaching.EventSpec{Name: "get_stuck", From: []string{"start"}, To: "stuck", Roles: coachOnly()})
		}, []wantProblem{{"states[5]", `"stuck" is not terminal but no event leaves it`}}},
		{"hold state with no outgoing event", func(s *coaching.ModelSpec) {
			s.Events[3].From = []string{"start"} // resume now leads start → work; nothing leaves paused
			s.Events[4].From = []string{"start", "work"}
		}, []wantProblem{{"states[2]", `"paused" is not terminal but no event leaves it`}}},
		{"trap cycle with no way to a terminal state", func(s *coaching.ModelSpec) {
			addState(s, coaching.StateSpec{Name: "loop_a", Kind: coaching.Active})
			addState(s, coaching.StateSpec{Name: "loop_b", Kind: coaching.Active})
			addEvent(s, coaching.EventSpec{Name: "enter_loop", From: []string{"start"}, To: "loop_a", Roles: coachOnly()})
			addEvent(s, coaching.EventSpec{Name: "to_b", From: []string{"loop_a"}, To: "loop_b", Roles: coachOnly()})
			addEvent(s, coaching.EventSpec{Name: "to_a", From: []string{"loop_b"}, To: "loop_a", Roles: coachOnly()})
		}, []wantProblem{
			{"states[5]", `no terminal state can be reached from state "loop_a"`},
			{"states[6]", `no terminal state can be reached from state "loop_b"`},
		}},
		{"model name not snake_case", func(s *coaching.ModelSpec) { s.Name = "Mini-Model" },
			[]wantProblem{{"name", "lower-case identifier"}}},
		{"empty model name", func(s *coaching.ModelSpec) { s.Name = "" },
			[]wantProblem{{"name", "lower-case identifier"}}},
		{"state name with upper case", func(s *coaching.ModelSpec) {
			s.States[1].Name = "Work"
			for i := range s.Events {
				for j, f := range s.Events[i].From {
					if f == "work" {
						s.Events[i].From[j] = "Work"
					}
				}
				if s.Events[i].To == "work" {
					s.Events[i].To = "Work"
				}
			}
		}, []wantProblem{{"states[1].name", `got "Work"`}}},
		{"state name with a space", func(s *coaching.ModelSpec) {
			s.States[3].Name = "all done"
			s.Events[1].To = "all done"
		}, []wantProblem{{"states[3].name", "lower-case identifier"}}},
		{"state name starting with a digit", func(s *coaching.ModelSpec) {
			s.States[4].Name = "2dropped"
			s.Events[4].To = "2dropped"
		}, []wantProblem{{"states[4].name", "lower-case identifier"}}},
		{"state name too long", func(s *coaching.ModelSpec) {
			long := strings.Repeat("d", 65)
			s.States[4].Name = long
			s.Events[4].To = long
		}, []wantProblem{{"states[4].name", "lower-case identifier"}}},
		{"event name in camelCase", func(s *coaching.ModelSpec) { s.Events[1].Name = "finishWork" },
			[]wantProblem{{"events[1].name", `got "finishWork"`}}},
		{"event name with a dash", func(s *coaching.ModelSpec) { s.Events[1].Name = "finish-work" },
			[]wantProblem{{"events[1].name", "lower-case identifier"}}},
		{"event named like a state", func(s *coaching.ModelSpec) { s.Events[1].Name = "done" },
			[]wantProblem{{"events[1].name", `"done" has the same name as a state`}}},
		{"hold state with a deadline", func(s *coaching.ModelSpec) { s.States[2].Deadline = coaching.Days(14) },
			[]wantProblem{{"states[2].deadline", "hold state"}}},
		{"terminal state with a deadline", func(s *coaching.ModelSpec) { s.States[3].Deadline = coaching.Months(1) },
			[]wantProblem{{"states[3].deadline", "terminal state"}}},
		{"negative deadline months", func(s *coaching.ModelSpec) { s.States[1].Deadline = coaching.Months(-1) },
			[]wantProblem{{"states[1].deadline", "negative"}}},
		{"negative deadline days", func(s *coaching.ModelSpec) { s.States[0].Deadline = coaching.Period{Months: 1, Days: -3} },
			[]wantProblem{{"states[0].deadline", "negative"}}},
		{"unknown state kind", func(s *coaching.ModelSpec) { s.States[1].Kind = "waiting" },
			[]wantProblem{{"states[1].kind", `got "waiting"`}}},
		{"missing state kind", func(s *coaching.ModelSpec) { s.States[1].Kind = "" },
			[]wantProblem{{"states[1].kind", "active, hold or terminal"}}},
		{"exit kind on an active state", func(s *coaching.ModelSpec) { s.States[1].Exit = coaching.ExitCompleted },
			[]wantProblem{{"states[1].exit", "only terminal"}}},
		{"unknown exit kind", func(s *coaching.ModelSpec) { s.States[3].Exit = "vanished" },
			[]wantProblem{{"states[3].exit", `unknown exit kind "vanished"`}}},
		{"RequirePayload without a payload type", func(s *coaching.ModelSpec) { s.Events[1].RequirePayload = true },
			[]wantProblem{{"events[1].require_payload", "no payload type"}}},
		{"record without a payload type", func(s *coaching.ModelSpec) { s.Events[1].Record = "finding" },
			[]wantProblem{{"events[1].record", "no payload type"}}},
		{"payload that is not a struct", func(s *coaching.ModelSpec) { s.Events[1].Payload = 42 },
			[]wantProblem{{"events[1].payload", "struct"}}},
		{"payload that is a map", func(s *coaching.ModelSpec) { s.Events[1].Payload = map[string]any{} },
			[]wantProblem{{"events[1].payload", "struct"}}},
		{"nil rule", func(s *coaching.ModelSpec) { s.Events[1].Rules = []coaching.Rule{okRule("a"), nil} },
			[]wantProblem{{"events[1].rules[1]", "nil rule"}}},
		{"two rules with the same name", func(s *coaching.ModelSpec) {
			s.Events[1].Rules = []coaching.Rule{okRule("same"), okRule("other"), okRule("same")}
		}, []wantProblem{{"events[1].rules[2]", `"same" attached twice`}}},
		{"rule without a name", func(s *coaching.ModelSpec) { s.Events[1].Rules = []coaching.Rule{okRule(" ")} },
			[]wantProblem{{"events[1].rules[0]", "without a name"}}},
		{"no openers", func(s *coaching.ModelSpec) { s.Openers = nil },
			[]wantProblem{{"openers", "at least one role"}}},
		{"rule names without a registry", func(s *coaching.ModelSpec) { s.Events[1].RuleNames = []string{"registered_nowhere"} },
			[]wantProblem{{"events[1].rules", `unknown rule "registered_nowhere"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := miniSpec()
			tt.mut(&spec)
			m, err := coaching.BuildModel(spec)
			assert.Nil(t, m)
			ve := requireModelProblems(t, err)
			for _, w := range tt.want {
				assert.True(t, hasProblem(ve, w), "want a problem %q containing %q; got %v", w.field, w.msg, ve.Problems)
				assert.Contains(t, err.Error(), w.field)
			}
		})
	}
}

// Each single problem above is reported exactly once and nothing else is
// reported, for the cases that do not cascade into graph problems.
func TestBuildModelReportsOnlyTheProblem(t *testing.T) {
	tests := []struct {
		name  string
		mut   func(s *coaching.ModelSpec)
		field string
	}{
		{"hold deadline", func(s *coaching.ModelSpec) { s.States[2].Deadline = coaching.Days(1) }, "states[2].deadline"},
		{"no roles", func(s *coaching.ModelSpec) { s.Events[0].Roles = nil }, "events[0].roles"},
		{"no openers", func(s *coaching.ModelSpec) { s.Openers = []coaching.Role{} }, "openers"},
		{"nil rule", func(s *coaching.ModelSpec) { s.Events[0].Rules = []coaching.Rule{nil} }, "events[0].rules[0]"},
		{"require payload", func(s *coaching.ModelSpec) { s.Events[0].RequirePayload = true }, "events[0].require_payload"},
		{"bad model name", func(s *coaching.ModelSpec) { s.Name = "Mini" }, "name"},
		{"event named like a state", func(s *coaching.ModelSpec) { s.Events[1].Name = "work" }, "events[1].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := miniSpec()
			tt.mut(&spec)
			_, err := coaching.BuildModel(spec)
			ve := requireModelProblems(t, err)
			assert.Equal(t, []string{tt.field}, problemFields(ve), "%v", ve.Problems)
		})
	}
}

func TestBuildModelListsEveryProblem(t *testing.T) {
	spec := miniSpec()
	spec.Name = "Bad Name"                                                                         // 1 name
	spec.Openers = nil                                                                             // 2 openers
	spec.States[2].Deadline = coaching.Days(3)                                                     // 3 states[2].deadline
	spec.States[1].Deadline = coaching.Months(-2)                                                  // 4 states[1].deadline
	spec.Events[0].Roles = nil                                                                     // 5 events[0].roles
	spec.Events[1].RequirePayload = true                                                           // 6 events[1].require_payload
	spec.Events[2].Rules = []coaching.Rule{okRule("x"), okRule("x")}                               // 7 events[2].rules[1]
	spec.Events[3].Rules = []coaching.Rule{nil}                                                    // 8 events[3].rules[0]
	spec.Events[4].From = []string{"start", "work", "paused", "limbo"}                             // 9 events[4].from[3]
	spec.States = append(spec.States, coaching.StateSpec{Name: "orphan", Kind: coaching.Terminal}) // 10 states[5]

	_, err := coaching.BuildModel(spec)
	ve := requireModelProblems(t, err)
	want := []string{
		"events[0].roles",
		"events[1].require_payload",
		"events[2].rules[1]",
		"events[3].rules[0]",
		"events[4].from[3]",
		"name",
		"openers",
		"states[1].deadline",
		"states[2].deadline",
		"states[5]",
	}
	assert.ElementsMatch(t, want, problemFields(ve), "%v", ve.Problems)
	require.Len(t, ve.Problems, 10)
	assert.Contains(t, err.Error(), "10 problem(s)")
	assert.Contains(t, err.Error(), `model "Bad Name"`)
}

func TestBuildModelWithRuleRegistry(t *testing.T) {
	registry := coaching.RuleRegistry{
		"always_ok":  okRule("always_ok"),
		"also_fine":  okRule("also_fine"),
		"never_used": okRule("never_used"),
	}
	spec := miniSpec()
	spec.Events[1].RuleNames = []string{"always_ok", "also_fine"}
	spec.Events[1].Rules = []coaching.Rule{okRule("inline")}

	m, err := coaching.BuildModelWith(spec, registry)
	require.NoError(t, err)
	ev, ok := m.Event("finish")
	require.True(t, ok)
	var names []string
	for _, r := range ev.Rules {
		names = append(names, r.Name())
	}
	assert.ElementsMatch(t, []string{"inline", "always_ok", "also_fine"}, names)
	assert.Equal(t, []string{"always_ok", "also_fine"}, ev.RuleNames)

	// The caller's spec is untouched by the resolution.
	assert.Len(t, spec.Events[1].Rules, 1)

	t.Run("the model's spec rebuilds with the same registry", func(t *testing.T) {
		again, err := coaching.BuildModelWith(m.Spec(), registry)
		require.NoError(t, err, "Spec() of a model built from rule names must build again")
		ev, ok := again.Event("finish")
		require.True(t, ok)
		assert.Len(t, ev.Rules, 3, "each rule attached once")
	})
	t.Run("unknown rule name", func(t *testing.T) {
		spec := miniSpec()
		spec.Events[0].RuleNames = []string{"always_ok", "missing_rule"}
		_, err := coaching.BuildModelWith(spec, registry)
		ve := requireModelProblems(t, err)
		assert.True(t, hasProblem(ve, wantProblem{"events[0].rules", `"missing_rule"`}), "%v", ve.Problems)
		assert.Len(t, ve.Problems, 1, "%v", ve.Problems)
	})
	t.Run("named rule also attached inline", func(t *testing.T) {
		spec := miniSpec()
		spec.Events[0].Rules = []coaching.Rule{okRule("always_ok")}
		spec.Events[0].RuleNames = []string{"always_ok"}
		_, err := coaching.BuildModelWith(spec, registry)
		ve := requireModelProblems(t, err)
		assert.True(t, hasProblem(ve, wantProblem{"events[0].rules[1]", "attached twice"}), "%v", ve.Problems)
	})
	t.Run("nil registry", func(t *testing.T) {
		spec := miniSpec()
		spec.Events[0].RuleNames = []string{"always_ok"}
		_, err := coaching.BuildModelWith(spec, nil)
		requireModelProblems(t, err)
	})
}

func TestModelSpecAddRules(t *testing.T) {
	spec := coaching.VALOSpec()
	before := len(eventSpec(t, spec, coaching.ValoAdmit).Rules)
	require.NoError(t, spec.AddRules(coaching.ValoAdmit, okRule("host_rule_1"), okRule("host_rule_2")))
	assert.Len(t, eventSpec(t, spec, coaching.ValoAdmit).Rules, before+2)
	assert.Len(t, eventSpec(t, coaching.VALOSpec(), coaching.ValoAdmit).Rules, before, "a fresh spec is unaffected")

	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	ev, ok := m.Event(coaching.ValoAdmit)
	require.True(t, ok)
	assert.Len(t, ev.Rules, before+2)

	// AddRules on a copy of a spec does not change the spec it was copied from.
	base := miniSpec()
	base.Events[0].Rules = make([]coaching.Rule, 1, 10)
	base.Events[0].Rules[0] = okRule("first")
	cp1, cp2 := base, base
	cp1.Events = slices.Clone(base.Events)
	cp2.Events = slices.Clone(base.Events)
	require.NoError(t, cp1.AddRules("begin", okRule("second")))
	require.NoError(t, cp2.AddRules("begin", okRule("third")))
	assert.Len(t, base.Events[0].Rules, 1)
	require.Len(t, cp1.Events[0].Rules, 2)
	require.Len(t, cp2.Events[0].Rules, 2)
	assert.Equal(t, "second", cp1.Events[0].Rules[1].Name(), "copies sharing a rules array must not overwrite each other")
	assert.Equal(t, "third", cp2.Events[0].Rules[1].Name())

	err = spec.AddRules("no_such_event", okRule("x"))
	require.Error(t, err)
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	var nf *coaching.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "event", nf.Kind)
	assert.Equal(t, "no_such_event", nf.ID)
}

func eventSpec(t *testing.T, s coaching.ModelSpec, name string) coaching.EventSpec {
	t.Helper()
	for _, e := range s.Events {
		if e.Name == name {
			return e
		}
	}
	require.Failf(t, "no event", "%s", name)
	return coaching.EventSpec{}
}

func TestModelAccessorsVALO(t *testing.T) {
	m := coaching.VALO()
	assert.Equal(t, []string{
		coaching.ValoRecruitment, coaching.ValoInduction, coaching.ValoSkillAcquisition, coaching.ValoDemonstration,
		coaching.ValoOnwardGuidance, coaching.ValoPaused, coaching.ValoClosed, coaching.ValoDeclined,
		coaching.ValoDiscontinued, coaching.ValoRedirected,
	}, m.States())

	tests := []struct {
		state string
		want  []string
	}{
		{coaching.ValoRecruitment, []string{"admit", "decline", "discontinue"}},
		{coaching.ValoInduction, []string{"discontinue", "pause", "redirect", "start_acquisition"}},
		{coaching.ValoDemonstration, []string{"discontinue", "pause", "redirect", "return_to_acquisition", "start_onward_guidance"}},
		{coaching.ValoPaused, []string{"discontinue", "resume_demonstration", "resume_induction", "resume_onward_guidance", "resume_skill_acquisition"}},
		{coaching.ValoOnwardGuidance, []string{"close", "discontinue", "pause", "redirect"}},
		{coaching.ValoClosed, nil},
		{"no_such_state", nil},
	}
	for _, tt := range tests {
		t.Run("EventsFrom "+tt.state, func(t *testing.T) {
			got := m.EventsFrom(tt.state)
			if tt.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tt.want, got)
		})
	}
	evs := m.EventsFrom(coaching.ValoRecruitment)
	evs[0] = "mutated"
	assert.Equal(t, "admit", m.EventsFrom(coaching.ValoRecruitment)[0], "EventsFrom returns a copy")

	targets := []struct {
		event, from, to string
		ok              bool
	}{
		{coaching.ValoAdmit, coaching.ValoRecruitment, coaching.ValoInduction, true},
		{coaching.ValoDiscontinue, coaching.ValoPaused, coaching.ValoDiscontinued, true},
		{coaching.ValoDiscontinue, coaching.ValoRecruitment, coaching.ValoDiscontinued, true},
		{coaching.ValoReturnToAcquisition, coaching.ValoDemonstration, coaching.ValoSkillAcquisition, true},
		{coaching.ValoResumeAcquisition, coaching.ValoPaused, coaching.ValoSkillAcquisition, true},
		{coaching.ValoAdmit, coaching.ValoInduction, "", false},
		{coaching.ValoRedirect, coaching.ValoRecruitment, "", false},
		{"no_such_event", coaching.ValoRecruitment, "", false},
		{coaching.ValoClose, coaching.ValoClosed, "", false},
	}
	for _, tt := range targets {
		to, ok := m.Target(tt.event, tt.from)
		assert.Equal(t, tt.ok, ok, "Target(%s, %s)", tt.event, tt.from)
		assert.Equal(t, tt.to, to, "Target(%s, %s)", tt.event, tt.from)
	}

	st, ok := m.State(coaching.ValoSkillAcquisition)
	require.True(t, ok)
	assert.Equal(t, coaching.Active, st.Kind)
	assert.Equal(t, coaching.Months(2), st.Deadline)
	st, ok = m.State(coaching.ValoPaused)
	require.True(t, ok)
	assert.Equal(t, coaching.Hold, st.Kind)
	assert.True(t, st.Deadline.IsZero())
	st, ok = m.State(coaching.ValoRedirected)
	require.True(t, ok)
	assert.Equal(t, coaching.Terminal, st.Kind)
	assert.Equal(t, coaching.ExitPositive, st.Exit)
	_, ok = m.State("no_such_state")
	assert.False(t, ok)

	ev, ok := m.Event(coaching.ValoAdmit)
	require.True(t, ok)
	assert.Equal(t, coaching.ValoInduction, ev.To)
	assert.Equal(t, []string{coaching.ValoRecruitment}, ev.From)
	assert.True(t, ev.RequirePayload)
	assert.Equal(t, coaching.RecordEntryAssessment, ev.Record)
	assert.Equal(t, []coaching.Role{coaching.RoleCoach}, ev.Roles)
	require.Len(t, ev.Rules, 1)
	assert.Equal(t, "entry_criteria_met", ev.Rules[0].Name())
	_, ok = m.Event("no_such_event")
	assert.False(t, ok)
}

func TestModelAccessorsDoNotExposeInternals(t *testing.T) {
	spec := miniSpec()
	spec.Events[4].Rules = []coaching.Rule{okRule("r")}
	spec.Events[4].Notify = []coaching.Role{coaching.RoleCurator}
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)

	ev, ok := m.Event("drop")
	require.True(t, ok)
	ev.From[0] = "mutated"
	ev.Roles[0] = "mutated"
	ev.Rules[0] = nil
	ev.Notify[0] = "mutated"
	ev2, _ := m.Event("drop")
	assert.Equal(t, []string{"start", "work", "paused"}, ev2.From, "Event must not let callers change the model")
	assert.Equal(t, coachOnly(), ev2.Roles, "Event must not let callers change the model")
	if assert.Len(t, ev2.Rules, 1) {
		assert.NotNil(t, ev2.Rules[0], "Event must not let callers change the model's rules")
	}
	assert.Equal(t, []coaching.Role{coaching.RoleCurator}, ev2.Notify, "Event must not let callers change the model")
	assert.Equal(t, []string{"start", "work", "paused"}, m.Spec().Events[4].From)

	st, ok := m.State("work")
	require.True(t, ok)
	st.NotifyOverdue[0] = "mutated"
	st2, _ := m.State("work")
	assert.Equal(t, coachOnly(), st2.NotifyOverdue, "State must not let callers change the model")

	names := m.States()
	names[0] = "mutated"
	assert.Equal(t, "start", m.States()[0])
}

func TestModelIsIndependentOfItsSpec(t *testing.T) {
	spec := miniSpec()
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)

	spec.States[0].Name = "mutated"
	spec.Events[4].From[0] = "mutated"
	spec.Events[0].Roles[0] = "mutated"
	spec.Openers[0] = "mutated"
	assert.Equal(t, "start", m.States()[0])
	ev, _ := m.Event("drop")
	assert.Equal(t, []string{"start", "work", "paused"}, ev.From)
	want := miniSpec()
	want.States[3].Exit = coaching.ExitCompleted // the default is filled in
	assert.Equal(t, want, m.Spec())
}

func TestModelSpecReturnsACopy(t *testing.T) {
	m := coaching.VALO()
	want := m.Spec()

	s := m.Spec()
	s.Name = "mutated"
	s.States[0].Name = "mutated"
	s.States[0].NotifyOverdue[0] = "mutated"
	s.States = append(s.States, coaching.StateSpec{Name: "extra"})
	s.Events[0].From[0] = "mutated"
	s.Events[0].Roles[0] = "mutated"
	s.Events[0].Rules[0] = nil
	s.Events[0].To = "mutated"
	s.Openers[0] = "mutated"

	got := m.Spec()
	assert.Equal(t, want.Name, got.Name)
	assert.Equal(t, want.States, got.States)
	assert.Equal(t, want.Openers, got.Openers)
	assert.Equal(t, want.Events[0].From, got.Events[0].From)
	assert.Equal(t, want.Events[0].Roles, got.Events[0].Roles)
	assert.Equal(t, want.Events[0].To, got.Events[0].To)
	require.Len(t, got.Events[0].Rules, 1)
	assert.NotNil(t, got.Events[0].Rules[0])
	assert.Equal(t, coaching.ValoRecruitment, m.States()[0])
	to, ok := m.Target(coaching.ValoAdmit, coaching.ValoRecruitment)
	assert.True(t, ok)
	assert.Equal(t, coaching.ValoInduction, to)

	// The copy builds into an equivalent model.
	m2, err := coaching.BuildModel(m.Spec())
	require.NoError(t, err)
	assert.Equal(t, m.States(), m2.States())
	assert.Equal(t, m.Mermaid(), m2.Mermaid())
}

func mermaidEdges(t *testing.T, spec coaching.ModelSpec) []string {
	t.Helper()
	var out []string
	for _, e := range spec.Events {
		for _, f := range e.From {
			out = append(out, fmt.Sprintf("    %s --> %s: %s", f, e.To, e.Name))
		}
	}
	return out
}

// mermaidKey splits "    src --> dst: event" into src and event.
func mermaidKey(line string) (src, event string) {
	src, rest, _ := strings.Cut(strings.TrimSpace(line), " --> ")
	_, event, _ = strings.Cut(rest, ": ")
	return src, event
}

func TestModelMermaid(t *testing.T) {
	tests := []struct {
		name    string
		model   *coaching.Model
		initial string
		exact   []string
	}{
		{"valo", coaching.VALO(), "    [*] --> recruitment", []string{
			"    recruitment --> induction: admit",
			"    recruitment --> declined: decline",
			"    paused --> discontinued: discontinue",
			"    paused --> skill_acquisition: resume_skill_acquisition",
			"    demonstration --> skill_acquisition: return_to_acquisition",
			"    onward_guidance --> closed: close",
			"    induction --> redirected: redirect",
		}},
		{"pilot", coaching.Pilot(), "    [*] --> start_of_studies", []string{
			"    start_of_studies --> coaching: map_initial_situation",
			"    end_of_first_year --> continuing: continue_studies",
			"    coaching --> discontinued: discontinue",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.model.Mermaid()
			require.True(t, strings.HasPrefix(out, "stateDiagram-v2\n"), "got:\n%s", out)
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			require.GreaterOrEqual(t, len(lines), 2)
			assert.Equal(t, tt.initial, lines[1])
			assert.Contains(t, lines, "    [*] --> "+tt.model.Initial())
			for _, e := range tt.exact {
				assert.Contains(t, lines, e)
			}
			edges := mermaidEdges(t, tt.model.Spec())
			for _, e := range edges {
				assert.Contains(t, lines, e)
			}
			assert.Len(t, lines, 2+len(edges), "one line per (from, event) pair:\n%s", out)
			// looplab sorts edges by source state, then event.
			assert.True(t, sort.SliceIsSorted(lines[2:], func(i, j int) bool {
				si, ei := mermaidKey(lines[2+i])
				sj, ej := mermaidKey(lines[2+j])
				return si < sj || si == sj && ei < ej
			}), "edges sorted by source, then event:\n%s", out)
			assert.Equal(t, out, tt.model.Mermaid(), "output is deterministic")
		})
	}
}

func TestModelMermaidMini(t *testing.T) {
	m, err := coaching.BuildModel(miniSpec())
	require.NoError(t, err)
	want := strings.Join([]string{
		"stateDiagram-v2",
		"    [*] --> start",
		"    paused --> dropped: drop",
		"    paused --> work: resume",
		"    start --> work: begin",
		"    start --> dropped: drop",
		"    work --> dropped: drop",
		"    work --> done: finish",
		"    work --> paused: pause",
	}, "\n") + "\n"
	assert.Equal(t, want, m.Mermaid())
}

func TestModelConcurrentReads(t *testing.T) {
	m := coaching.VALO()
	done := make(chan struct{})
	for i := 0; i < 8; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 50; j++ {
				_ = m.Mermaid()
				_ = m.EventsFrom(coaching.ValoPaused)
				_, _ = m.Target(coaching.ValoAdmit, coaching.ValoRecruitment)
				_ = m.Spec()
			}
		}()
	}
	for i := 0; i < 8; i++ {
		<-done
	}
}

func TestBuildModelErrorIsInvalid(t *testing.T) {
	spec := miniSpec()
	spec.Openers = nil
	_, err := coaching.BuildModel(spec)
	wrapped := fmt.Errorf("loading model: %w", err)
	assert.True(t, errors.Is(wrapped, coaching.ErrInvalid))
	assert.False(t, errors.Is(wrapped, coaching.ErrNotFound))
	var ve *coaching.ValidationError
	require.True(t, errors.As(wrapped, &ve))
	assert.Equal(t, `model "mini"`, ve.Subject)
}
