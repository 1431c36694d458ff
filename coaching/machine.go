package coaching

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/looplab/fsm"
)

// Edge is one transition of a [Machine]: Event leads from each of the From
// states to To. An event may appear in several edges (with different
// sources) but a source may be given only once for each event.
type Edge struct {
	Event string
	From  []string
	To    string
}

// Step is the transition a [Machine] is about to make, as its [Guard] sees
// it.
type Step struct {
	Event string
	From  string
	To    string
}

// Guard decides whether a step may happen. The machine calls Check inside
// looplab/fsm's before_event callback, with the context the caller gave
// [Machine.Fire] (its cancellation included); a non-nil error cancels the
// transition and Fire returns that error as it is.
//
// Check runs while looplab holds the machine's locks: it must not call back
// into the machine.
type Guard interface {
	Check(ctx context.Context, s Step) error
}

// GuardFunc adapts a function to a [Guard].
type GuardFunc func(ctx context.Context, s Step) error

// Check calls f(ctx, s).
func (f GuardFunc) Check(ctx context.Context, s Step) error { return f(ctx, s) }

// Machine is a state machine built once from its edges and run with
// looplab/fsm. It is the one state-machine type behind case models,
// referrals and the HOKS lifecycle, and it keeps looplab's traps away
// from them:
//
//   - It holds no current state: the caller stores the state and passes it
//     to [Machine.Fire], which returns the destination.
//   - looplab machines are built once and reused from a pool, because
//     building one costs far more than firing it; a machine is used by one
//     call at a time, so a Machine is safe for concurrent use.
//   - looplab only ever sees a context that cannot be cancelled: a
//     cancellation inside its Event would wedge the machine for good. The
//     caller's context still reaches the [Guard].
//   - A looplab machine that fails in any unexpected way is dropped from
//     the pool rather than reused.
//   - An event that cannot be fired returns a *[TransitionError] listing
//     the events allowed from the state.
//
// The zero value is not usable; build one with [NewMachine].
type Machine struct {
	initial string
	events  fsm.Events
	edges   map[edgeKey]string
	from    map[string][]string // state -> sorted event names allowed from it
	known   map[string]bool     // event names
	// pool holds looplab machines whose before_event callback runs the
	// guard; plain holds machines without callbacks, for a Fire without a
	// guard, on which looplab looks up no callback at all.
	pool    sync.Pool
	plain   sync.Pool
	mermaid func() string
}

// NewMachine validates the edges and returns the machine, or a
// *[ValidationError] listing every problem. Names of states and events are
// lower-case identifiers (letters, digits, underscores; looplab's diagrams
// do not quote them); every edge has at least one source; no event leads
// from a state back to itself (looplab runs such a step only half way and
// reports it as an error); no (event, source) pair appears twice (looplab
// would silently keep the last); and the initial state, which diagrams
// start from, is a state of some edge.
func NewMachine(initial string, edges []Edge) (*Machine, error) {
	pr := problems{subject: "state machine"}
	m := &Machine{
		initial: initial,
		events:  make(fsm.Events, 0, len(edges)),
		edges:   make(map[edgeKey]string),
		from:    make(map[string][]string),
		known:   make(map[string]bool, len(edges)),
	}
	states := map[string]bool{}
	if len(edges) == 0 {
		pr.add("edges", "at least one edge is required")
	}
	for i, e := range edges {
		path := fmt.Sprintf("edges[%d]", i)
		if !validName(e.Event) {
			pr.add(path+".event", "must be a lower-case identifier (letters, digits, underscores), got %q", e.Event)
		}
		if !validName(e.To) {
			pr.add(path+".to", "must be a lower-case identifier (letters, digits, underscores), got %q", e.To)
		}
		if len(e.From) == 0 {
			pr.add(path+".from", "at least one source state is required")
		}
		for j, f := range e.From {
			fp := fmt.Sprintf("%s.from[%d]", path, j)
			_, dup := m.edges[edgeKey{e.Event, f}]
			switch {
			case !validName(f):
				pr.add(fp, "must be a lower-case identifier (letters, digits, underscores), got %q", f)
			case f == e.To:
				pr.add(fp, "event %q may not lead from %q back to itself", e.Event, f)
			case dup:
				pr.add(fp, "event %q already leaves %q", e.Event, f)
			default:
				m.edges[edgeKey{e.Event, f}] = e.To
				m.from[f] = append(m.from[f], e.Event)
			}
			states[f] = true
		}
		states[e.To] = true
		m.known[e.Event] = true
		m.events = append(m.events, fsm.EventDesc{Name: e.Event, Src: slices.Clone(e.From), Dst: e.To})
	}
	switch {
	case initial == "":
		pr.add("initial", "required")
	case !states[initial]:
		pr.add("initial", "state %q is in no edge", initial)
	}
	if err := pr.err(); err != nil {
		return nil, err
	}
	for _, names := range m.from {
		sort.Strings(names)
	}
	m.pool.New = func() any { return &pooled{fsm: m.newLooplab()} }
	m.plain.New = func() any { return &pooled{fsm: fsm.NewFSM(m.initial, m.events, fsm.Callbacks{})} }
	m.mermaid = sync.OnceValue(func() string {
		// A fresh machine, so the diagram starts from the initial state
		// and no other call can touch it while it is drawn.
		out, err := fsm.VisualizeWithType(m.newLooplab(), fsm.MermaidStateDiagram)
		if err != nil {
			// VisualizeWithType only fails for an unknown diagram type.
			return ""
		}
		return out
	})
	return m, nil
}

// MustMachine is [NewMachine] for machines written in the program: it
// panics if the edges are invalid.
func MustMachine(initial string, edges []Edge) *Machine {
	m, err := NewMachine(initial, edges)
	if err != nil {
		panic(err)
	}
	return m
}

func (m *Machine) newLooplab() *fsm.FSM {
	return fsm.NewFSM(m.initial, m.events, fsm.Callbacks{"before_event": guardCallback})
}

// pooled is a looplab machine of the pool with the array its events'
// arguments (the caller's context and the guard) are passed in, so that a
// Fire allocates no argument slice of its own.
type pooled struct {
	fsm  *fsm.FSM
	args [2]any
}

// guardCallback is every pooled machine's before_event callback. Fire
// passes the caller's context and the guard as Event's args, so pooled
// machines hold no per-call data.
func guardCallback(_ context.Context, e *fsm.Event) {
	if len(e.Args) != 2 {
		return
	}
	g, _ := e.Args[1].(Guard)
	if g == nil {
		return
	}
	ctx, _ := e.Args[0].(context.Context)
	if err := g.Check(ctx, Step{Event: e.Event, From: e.Src, To: e.Dst}); err != nil {
		e.Cancel(err)
	}
}

// Fire runs event from state from and returns the state it leads to. The
// guard, if not nil, is checked first with ctx (see [Guard]); its error is
// returned as it is and the step does not happen. Without a guard the step
// runs on a looplab machine that has no callbacks: the outcome is the same
// as with a guard that allows every step. An event the machine does
// not allow from the state is a *[TransitionError] listing the events it
// does allow (Unknown when no edge has the event at all).
//
// looplab runs the step with a context that cannot be cancelled, so a
// cancelled or expiring ctx never leaves a machine half-way through a
// transition; only the guard sees it.
func (m *Machine) Fire(ctx context.Context, from, event string, guard Guard) (string, error) {
	pool := &m.pool
	if guard == nil {
		pool = &m.plain
	}
	p := pool.Get().(*pooled)
	machine := p.fsm
	machine.SetState(from)
	// context.Background rather than context.WithoutCancel(ctx): looplab
	// only needs a context that cannot be cancelled, the guard gets ctx
	// from the arguments, and Background costs no allocation.
	var err error
	if guard == nil {
		err = machine.Event(context.Background(), event)
	} else {
		p.args = [2]any{ctx, guard}
		err = machine.Event(context.Background(), event, p.args[:]...)
		p.args = [2]any{} // the pool keeps no caller's context or guard
	}
	// looplab returns its errors as plain values, never wrapped.
	switch e := err.(type) {
	case nil:
		to := machine.Current()
		pool.Put(p)
		return to, nil
	case fsm.CanceledError:
		pool.Put(p)
		if e.Err != nil {
			return "", e.Err
		}
		return "", err
	case fsm.InvalidEventError, fsm.UnknownEventError:
		pool.Put(p)
		return "", &TransitionError{Event: event, State: from, Allowed: m.Allowed(from), Unknown: !m.known[event]}
	default:
		// Anything else may leave the machine mid-transition: drop it.
		return "", fmt.Errorf("valmennus: state machine failed on event %q: %w", event, err)
	}
}

// Allowed returns the events that can be fired from state from, sorted
// (nil when there are none).
func (m *Machine) Allowed(from string) []string { return slices.Clone(m.from[from]) }

// Target returns the state event leads to from state from, without firing
// it (no guard runs).
func (m *Machine) Target(event, from string) (string, bool) {
	to, ok := m.edges[edgeKey{event, from}]
	return to, ok
}

// Initial returns the state diagrams start from.
func (m *Machine) Initial() string { return m.initial }

// Mermaid renders the machine as a Mermaid state diagram with looplab/fsm's
// visualiser, drawn from the initial state. The edges are sorted, so the
// output is deterministic.
func (m *Machine) Mermaid() string { return m.mermaid() }
