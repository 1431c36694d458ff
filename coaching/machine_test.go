package coaching_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/looplab/fsm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// doorEdges is a small machine: closed ⇄ open, closed → locked → closed.
var doorEdges = []coaching.Edge{
	{Event: "open", From: []string{"closed"}, To: "open"},
	{Event: "close", From: []string{"open"}, To: "closed"},
	{Event: "lock", From: []string{"closed"}, To: "locked"},
	{Event: "unlock", From: []string{"locked"}, To: "closed"},
	{Event: "break", From: []string{"closed", "locked"}, To: "broken"},
}

func doorMachine(t testing.TB) *coaching.Machine {
	t.Helper()
	m, err := coaching.NewMachine("closed", doorEdges)
	require.NoError(t, err)
	return m
}

// Build a machine once and fire events on it from stored states; a guard
// can stop a step.
func ExampleMachine() {
	door := coaching.MustMachine("closed", []coaching.Edge{
		{Event: "open", From: []string{"closed"}, To: "open"},
		{Event: "close", From: []string{"open"}, To: "closed"},
		{Event: "lock", From: []string{"closed"}, To: "locked"},
		{Event: "unlock", From: []string{"locked"}, To: "closed"},
	})
	ctx := context.Background()

	state, err := door.Fire(ctx, "closed", "open", nil)
	fmt.Println(state, err)

	_, err = door.Fire(ctx, "open", "lock", nil)
	fmt.Println(err)

	noKey := coaching.GuardFunc(func(_ context.Context, s coaching.Step) error {
		return fmt.Errorf("no key to %s the door", s.Event)
	})
	_, err = door.Fire(ctx, "locked", "unlock", noKey)
	fmt.Println(err)

	fmt.Println(door.Allowed("closed"))
	fmt.Print(door.Mermaid())
	// Output:
	// open <nil>
	// valmennus: event "lock" is not allowed from state "open" (allowed: close)
	// no key to unlock the door
	// [lock open]
	// stateDiagram-v2
	//     [*] --> closed
	//     closed --> locked: lock
	//     closed --> open: open
	//     locked --> closed: unlock
	//     open --> closed: close
}

func TestNewMachineReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name    string
		initial string
		edges   []coaching.Edge
		want    []coaching.FieldProblem
	}{
		{name: "no edges", initial: "a", want: []coaching.FieldProblem{
			{Field: "edges", Message: "at least one edge is required"},
			{Field: "initial", Message: `state "a" is in no edge`},
		}},
		{name: "no initial", edges: []coaching.Edge{{Event: "go", From: []string{"a"}, To: "b"}}, want: []coaching.FieldProblem{
			{Field: "initial", Message: "required"},
		}},
		{name: "initial in no edge", initial: "c", edges: []coaching.Edge{{Event: "go", From: []string{"a"}, To: "b"}}, want: []coaching.FieldProblem{
			{Field: "initial", Message: `state "c" is in no edge`},
		}},
		{name: "bad names", initial: "a", edges: []coaching.Edge{{Event: "Go", From: []string{"a", "b c"}, To: ""}}, want: []coaching.FieldProblem{
			{Field: "edges[0].event", Message: `must be a lower-case identifier (letters, digits, underscores), got "Go"`},
			{Field: "edges[0].from[1]", Message: `must be a lower-case identifier (letters, digits, underscores), got "b c"`},
			{Field: "edges[0].to", Message: `must be a lower-case identifier (letters, digits, underscores), got ""`},
		}},
		{name: "no source", initial: "b", edges: []coaching.Edge{{Event: "go", To: "b"}}, want: []coaching.FieldProblem{
			{Field: "edges[0].from", Message: "at least one source state is required"},
		}},
		{name: "self-loop", initial: "a", edges: []coaching.Edge{{Event: "stay", From: []string{"a"}, To: "a"}}, want: []coaching.FieldProblem{
			{Field: "edges[0].from[0]", Message: `event "stay" may not lead from "a" back to itself`},
		}},
		{name: "duplicate source", initial: "a", edges: []coaching.Edge{
			{Event: "go", From: []string{"a"}, To: "b"},
			{Event: "go", From: []string{"c", "a"}, To: "d"},
			{Event: "go", From: []string{"c"}, To: "e"},
		}, want: []coaching.FieldProblem{
			{Field: "edges[1].from[1]", Message: `event "go" already leaves "a"`},
			{Field: "edges[2].from[0]", Message: `event "go" already leaves "c"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := coaching.NewMachine(tt.initial, tt.edges)
			assert.Nil(t, m)
			require.ErrorIs(t, err, coaching.ErrInvalid)
			var ve *coaching.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "state machine", ve.Subject)
			assert.Equal(t, tt.want, ve.Problems)
			assert.Panics(t, func() { coaching.MustMachine(tt.initial, tt.edges) })
		})
	}
}

func TestMachineFire(t *testing.T) {
	m := doorMachine(t)
	tests := []struct {
		name, from, event string
		want              string
		wantErr           *coaching.TransitionError
		wantMsg           string
	}{
		{name: "allowed", from: "closed", event: "open", want: "open"},
		{name: "one event from two sources", from: "locked", event: "break", want: "broken"},
		{name: "not from this state", from: "open", event: "lock",
			wantErr: &coaching.TransitionError{Event: "lock", State: "open", Allowed: []string{"close"}},
			wantMsg: `valmennus: event "lock" is not allowed from state "open" (allowed: close)`},
		{name: "several allowed, sorted", from: "closed", event: "unlock",
			wantErr: &coaching.TransitionError{Event: "unlock", State: "closed", Allowed: []string{"break", "lock", "open"}},
			wantMsg: `valmennus: event "unlock" is not allowed from state "closed" (allowed: break, lock, open)`},
		{name: "unknown event", from: "closed", event: "paint",
			wantErr: &coaching.TransitionError{Event: "paint", State: "closed", Allowed: []string{"break", "lock", "open"}, Unknown: true},
			wantMsg: `valmennus: unknown event "paint" (from state "closed" the model allows: break, lock, open)`},
		{name: "from a final state", from: "broken", event: "open",
			wantErr: &coaching.TransitionError{Event: "open", State: "broken"},
			wantMsg: `valmennus: event "open" is not allowed from state "broken" (allowed: none)`},
		{name: "from a state the machine does not have", from: "ajar", event: "close",
			wantErr: &coaching.TransitionError{Event: "close", State: "ajar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Fire(context.Background(), tt.from, tt.event, nil)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			assert.Empty(t, got)
			require.ErrorIs(t, err, coaching.ErrTransitionNotAllowed)
			var te *coaching.TransitionError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tt.wantErr, te)
			if tt.wantMsg != "" {
				assert.EqualError(t, err, tt.wantMsg)
			}
			// Target agrees with Fire and runs nothing.
			_, ok := m.Target(tt.event, tt.from)
			assert.False(t, ok)
		})
	}
}

// A Fire without a guard runs on a looplab machine without callbacks; it
// must agree with a Fire whose guard allows every step, for every state and
// event (and for names the machine does not have).
func TestMachineFireWithoutGuardAgreesWithAnAllowingGuard(t *testing.T) {
	allow := coaching.GuardFunc(func(context.Context, coaching.Step) error { return nil })
	states := []string{"closed", "open", "locked", "broken", "ajar", ""}
	events := []string{"open", "close", "lock", "unlock", "break", "paint", ""}
	valo := coaching.VALO().Spec()
	var valoEdges []coaching.Edge
	for _, e := range valo.Events {
		valoEdges = append(valoEdges, coaching.Edge{Event: e.Name, From: e.From, To: e.To})
		events = append(events, e.Name)
	}
	for _, s := range valo.States {
		states = append(states, s.Name)
	}
	for _, m := range []*coaching.Machine{doorMachine(t), coaching.MustMachine(valo.Initial, valoEdges)} {
		for _, from := range states {
			for _, ev := range events {
				for range 2 { // a second round on the pooled machines
					got, err := m.Fire(context.Background(), from, ev, nil)
					want, wantErr := m.Fire(context.Background(), from, ev, allow)
					assert.Equal(t, want, got, "%s from %s", ev, from)
					assert.Equal(t, wantErr, err, "%s from %s", ev, from)
				}
			}
		}
	}
}

type ctxKey struct{}

func TestMachineGuard(t *testing.T) {
	errNo := errors.New("no")
	tests := []struct {
		name     string
		guard    func(ctx context.Context, s coaching.Step) error
		want     string
		wantErr  error
		wantStep coaching.Step
	}{
		{name: "allows", guard: func(context.Context, coaching.Step) error { return nil },
			want: "locked", wantStep: coaching.Step{Event: "lock", From: "closed", To: "locked"}},
		{name: "refuses with its own error", guard: func(context.Context, coaching.Step) error { return fmt.Errorf("guard: %w", errNo) },
			wantErr: errNo, wantStep: coaching.Step{Event: "lock", From: "closed", To: "locked"}},
		{name: "refuses with a typed error", guard: func(context.Context, coaching.Step) error {
			return &coaching.RulesRejectedError{Event: "lock", From: "closed", To: "locked"}
		}, wantErr: coaching.ErrRulesRejected, wantStep: coaching.Step{Event: "lock", From: "closed", To: "locked"}},
	}
	m := doorMachine(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen coaching.Step
			var value any
			ctx := context.WithValue(context.Background(), ctxKey{}, tt.name)
			got, err := m.Fire(ctx, "closed", "lock", coaching.GuardFunc(func(ctx context.Context, s coaching.Step) error {
				seen, value = s, ctx.Value(ctxKey{})
				return tt.guard(ctx, s)
			}))
			assert.Equal(t, tt.wantStep, seen)
			assert.Equal(t, tt.name, value, "the guard gets the caller's context")
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Empty(t, got)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
			// A refusal leaves the machine usable.
			got, err = m.Fire(context.Background(), "closed", "lock", nil)
			require.NoError(t, err)
			assert.Equal(t, "locked", got)
		})
	}

	t.Run("not run for a step the machine does not allow", func(t *testing.T) {
		ran := false
		_, err := m.Fire(context.Background(), "open", "lock", coaching.GuardFunc(func(context.Context, coaching.Step) error {
			ran = true
			return nil
		}))
		require.ErrorIs(t, err, coaching.ErrTransitionNotAllowed)
		assert.False(t, ran)
	})
}

// A cancelled or expiring context reaches the guard but never looplab, so no
// pooled machine is ever left mid-transition (looplab's wedge: every later
// Event would fail with InTransitionError).
func TestMachineCancelledContextNeverWedges(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		guard   coaching.Guard
		wantErr error
	}{
		{name: "cancelled before, no guard",
			ctx: func() (context.Context, context.CancelFunc) { return cancelled, func() {} }},
		{name: "cancelled before, guard returns ctx.Err",
			ctx:     func() (context.Context, context.CancelFunc) { return cancelled, func() {} },
			guard:   coaching.GuardFunc(func(ctx context.Context, _ coaching.Step) error { return ctx.Err() }),
			wantErr: context.Canceled},
		{name: "deadline passes inside the guard, which allows the step",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), time.Millisecond)
			},
			guard: coaching.GuardFunc(func(ctx context.Context, _ coaching.Step) error {
				<-ctx.Done()
				return nil
			})},
		{name: "deadline passes inside the guard, which refuses",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), time.Millisecond)
			},
			guard: coaching.GuardFunc(func(ctx context.Context, _ coaching.Step) error {
				<-ctx.Done()
				return ctx.Err()
			}),
			wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := doorMachine(t)
			for range 20 {
				ctx, cancel := tt.ctx()
				got, err := m.Fire(ctx, "closed", "open", tt.guard)
				cancel()
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
				} else {
					require.NoError(t, err)
					assert.Equal(t, "open", got)
				}
				// Every pooled machine still fires.
				got, err = m.Fire(context.Background(), "open", "close", nil)
				require.NoError(t, err)
				assert.Equal(t, "closed", got)
			}
		})
	}
}

// A guard that panics takes its looplab machine with it out of the pool;
// the Machine goes on working.
func TestMachineSurvivesAPanickingGuard(t *testing.T) {
	m := doorMachine(t)
	for range 5 {
		assert.PanicsWithValue(t, "boom", func() {
			_, _ = m.Fire(context.Background(), "closed", "open", coaching.GuardFunc(func(context.Context, coaching.Step) error { panic("boom") }))
		})
		got, err := m.Fire(context.Background(), "closed", "open", nil)
		require.NoError(t, err)
		assert.Equal(t, "open", got)
	}
}

// Run with -race: one Machine fired from many goroutines, with its
// diagram and allowed events read at the same time.
func TestMachineConcurrentUse(t *testing.T) {
	m := doorMachine(t)
	want := m.Mermaid()
	type step struct{ from, event, to string }
	cycle := []step{{"closed", "open", "open"}, {"open", "close", "closed"}, {"closed", "lock", "locked"}, {"locked", "unlock", "closed"}}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var guarded int
			guard := coaching.GuardFunc(func(_ context.Context, s coaching.Step) error {
				guarded++ // each call's guard is its own goroutine's
				if s.Event == "lock" && g%2 == 0 {
					return errors.New("even goroutines keep the door unlocked")
				}
				return nil
			})
			for i := range 300 {
				s := cycle[i%len(cycle)]
				if g%2 == 0 && s.event == "lock" {
					if _, err := m.Fire(context.Background(), s.from, s.event, guard); err == nil {
						errs <- errors.New("the guard's refusal was lost")
						return
					}
					continue
				}
				if s.event == "unlock" && g%2 == 0 {
					continue
				}
				got, err := m.Fire(context.Background(), s.from, s.event, guard)
				if err != nil || got != s.to {
					errs <- fmt.Errorf("%s from %s: got %q, %v", s.event, s.from, got, err)
					return
				}
				if m.Mermaid() != want || len(m.Allowed(s.from)) == 0 {
					errs <- errors.New("diagram or allowed events changed")
					return
				}
			}
			if guarded == 0 {
				errs <- errors.New("the guard never ran")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestMachineMermaidIsLooplabsFromTheInitialState(t *testing.T) {
	m := doorMachine(t)
	evs := make(fsm.Events, 0, len(doorEdges))
	for _, e := range doorEdges {
		evs = append(evs, fsm.EventDesc{Name: e.Event, Src: e.From, Dst: e.To})
	}
	want, err := fsm.VisualizeWithType(fsm.NewFSM("closed", evs, nil), fsm.MermaidStateDiagram)
	require.NoError(t, err)
	// Firing does not move the diagram's starting point.
	_, err = m.Fire(context.Background(), "closed", "lock", nil)
	require.NoError(t, err)
	assert.Equal(t, want, m.Mermaid())
	assert.Equal(t, "closed", m.Initial())
}

// A case model's rules still run inside the machine with the caller's
// context, and a command whose context expires in a rule leaves the model's
// machines usable for the next command.
func TestModelRulesSeeTheCallersContextAndNeverWedge(t *testing.T) {
	tests := []struct {
		name string
		// refuse: the rule reports the expired context; otherwise it
		// allows the step once the deadline has passed.
		refuse bool
	}{
		{name: "the rule refuses when the deadline passes", refuse: true},
		{name: "the rule allows after the deadline passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The caller's context expires while the rule runs, never
			// before the engine reaches it (a wall-clock timeout could
			// pass while the case is loaded on a busy machine).
			var current *expiringContext
			slow := coaching.NewRule("waits_for_deadline", func(ctx context.Context, _ *coaching.Transition) error {
				if _, ok := ctx.Deadline(); !ok {
					return nil
				}
				current.expire()
				<-ctx.Done()
				if tt.refuse {
					return ctx.Err()
				}
				return nil
			})
			model, err := coaching.BuildModel(coaching.ModelSpec{
				Name: "door", Initial: "closed", Openers: []coaching.Role{coaching.RoleCoach},
				States: []coaching.StateSpec{{Name: "closed", Kind: coaching.Active}, {Name: "open", Kind: coaching.Active},
					{Name: "gone", Kind: coaching.Terminal}},
				Events: []coaching.EventSpec{
					{Name: "open_door", From: []string{"closed"}, To: "open", Roles: []coaching.Role{coaching.RoleCoach}, Rules: []coaching.Rule{slow}},
					{Name: "close_door", From: []string{"open"}, To: "closed", Roles: []coaching.Role{coaching.RoleCoach}},
					{Name: "leave", From: []string{"closed", "open"}, To: "gone", Roles: []coaching.Role{coaching.RoleCoach}},
				},
			})
			require.NoError(t, err)
			now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
			eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{model},
				Clock: coaching.ClockFunc(func() time.Time { return now })})
			require.NoError(t, err)
			ctx := context.Background()
			c, err := eng.Enrol(ctx, exampleCoach, coaching.EnrolParams{Model: "door", Participant: exampleParticipant(), Team: exampleTeam()})
			require.NoError(t, err)
			for range 5 {
				current = newExpiringContext()
				res, err := eng.Fire(current, exampleCoach, c.ID, "open_door", nil)
				if tt.refuse {
					var rej *coaching.RulesRejectedError
					require.ErrorAs(t, err, &rej)
					assert.Equal(t, []coaching.RuleFailure{{Rule: "waits_for_deadline", Reason: context.DeadlineExceeded.Error()}}, rej.Failures)
				} else if err != nil {
					// The store may refuse to write under an expired
					// context; the machine itself never fails.
					require.ErrorIs(t, err, context.DeadlineExceeded)
					assert.NotContains(t, err.Error(), "state machine failed")
				} else {
					assert.Equal(t, "open", res.Case.State)
					_, err = eng.Fire(ctx, exampleCoach, c.ID, "close_door", nil)
					require.NoError(t, err)
				}

				res, err = eng.Fire(ctx, exampleCoach, c.ID, "open_door", nil)
				require.NoError(t, err)
				assert.Equal(t, "open", res.Case.State)
				_, err = eng.Fire(ctx, exampleCoach, c.ID, "close_door", nil)
				require.NoError(t, err)
			}
		})
	}
}

// expiringContext has a deadline and expires (Err: DeadlineExceeded) when
// expire is called, not when a clock says so.
type expiringContext struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newExpiringContext() *expiringContext {
	return &expiringContext{Context: context.Background(), done: make(chan struct{})}
}

func (c *expiringContext) Deadline() (time.Time, bool) {
	return time.Date(2026, 9, 1, 10, 0, 0, 0, coaching.Helsinki), true
}

func (c *expiringContext) Done() <-chan struct{} { return c.done }

func (c *expiringContext) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func (c *expiringContext) expire() { c.once.Do(func() { close(c.done) }) }
