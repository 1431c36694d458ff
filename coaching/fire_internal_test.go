package coaching

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestFireWithoutRulesAgreesWithTheGuardedPath: an event without rules runs
// the engine's own checks before the machine, which then has no callback
// (Model.fire); through the guard, as events with rules run, every step of
// the built-in models must come out the same, whatever phase the case's
// clock holds (the check that a resume goes back to the paused phase), and
// the compiled steps must agree with the model's edges and states.
func TestFireWithoutRulesAgreesWithTheGuardedPath(t *testing.T) {
	ctx := context.Background()
	rejected := 0
	for _, m := range []*Model{VALO(), Pilot()} {
		if len(m.steps) != len(m.edges) {
			t.Fatalf("%s: %d steps for %d edges", m.Name(), len(m.steps), len(m.edges))
		}
		phases := append(m.States(), "")
		for k, st := range m.steps {
			if st.to != m.edges[k] || st.ev != m.events[k.event] || st.src != m.states[k.from] || st.dst != m.states[st.to] {
				t.Fatalf("%s: step %v does not match the model", m.Name(), k)
			}
			if st.resume != (st.src.Kind == Hold && st.dst.Kind == Active) {
				t.Fatalf("%s: step %v: resume %v", m.Name(), k, st.resume)
			}
			if len(st.ev.rules) > 0 {
				continue // always guarded
			}
			for _, phase := range phases {
				tr := &Transition{Case: Case{ID: "c", Model: m.Name(), State: k.from, Phase: PhaseClock{State: phase}},
					Event: k.event, From: k.from, To: st.to}
				name := fmt.Sprintf("%s: %s from %s (phase %q)", m.Name(), k.event, k.from, phase)
				fast := m.fireUnguarded(ctx, &firing{t: tr, st: st})
				slow := m.fireGuarded(ctx, &firing{t: tr, st: st})
				if fmt.Sprint(fast) != fmt.Sprint(slow) || errors.Is(fast, ErrRulesRejected) != errors.Is(slow, ErrRulesRejected) {
					t.Fatalf("%s: unguarded %v, guarded %v", name, fast, slow)
				}
				var fr, sr *RulesRejectedError
				if errors.As(fast, &fr) != errors.As(slow, &sr) || fr != nil && fmt.Sprint(*fr) != fmt.Sprint(*sr) {
					t.Fatalf("%s: unguarded %#v, guarded %#v", name, fr, sr)
				}
				if fr != nil {
					rejected++
				}
			}
		}
	}
	if rejected == 0 {
		t.Fatal("no step was rejected: the resume check went untested")
	}
}

// FireCopiesLoaded lets the package's external tests run Fire as when
// someone else sees the Transition (see fireCopiesLoaded).
var FireCopiesLoaded = &fireCopiesLoaded
