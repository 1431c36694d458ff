package coaching

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// StateKind classifies a state.
type StateKind string

// State kinds.
const (
	// Active is a working phase: it may have a deadline, and the case
	// spends coaching time in it.
	Active StateKind = "active"
	// Hold is a pause (sick leave, parental leave): the deadline clock of the
	// phase the case was paused from stops, and the case can only resume to
	// that phase or leave through an exit.
	Hold StateKind = "hold"
	// Terminal ends the case. No event leaves a terminal state.
	Terminal StateKind = "terminal"
)

// ExitKind classifies how a terminal state ends a case.
type ExitKind string

// Exit kinds.
const (
	// ExitCompleted: the period was completed as planned.
	ExitCompleted ExitKind = "completed"
	// ExitPositive: left early in a good direction, e.g. redirected to a
	// better-suited field (the pilot counts this as a success).
	ExitPositive ExitKind = "positive"
	// ExitDiscontinued: dropped out or discontinued.
	ExitDiscontinued ExitKind = "discontinued"
	// ExitNotAdmitted: the period never started (entry criteria not met).
	ExitNotAdmitted ExitKind = "not_admitted"
)

// StateSpec describes a state (a phase) of a model.
type StateSpec struct {
	Name  string    `json:"name"`
	Title string    `json:"title,omitempty"`
	Kind  StateKind `json:"kind"`
	// Deadline is how long after entering the phase it should be done.
	// Time spent in a Hold state does not count. Zero means no deadline.
	Deadline Period `json:"deadline,omitzero"`
	// NotifyOverdue are the team roles told when the deadline passes.
	NotifyOverdue []Role `json:"notify_overdue,omitempty"`
	// Exit classifies a terminal state; defaults to ExitCompleted.
	Exit ExitKind `json:"exit,omitempty"`
}

// EventSpec describes an event (a transition) of a model.
type EventSpec struct {
	Name  string   `json:"name"`
	Title string   `json:"title,omitempty"`
	From  []string `json:"from"`
	To    string   `json:"to"`
	// Roles may fire the event. At least one is required.
	Roles []Role `json:"roles"`
	// Rules must all pass for the transition to happen; every failing
	// rule is reported.
	Rules []Rule `json:"-"`
	// RuleNames refers to rules by name; [BuildModelWith] resolves them
	// from a registry. Used by models written as data.
	RuleNames []string `json:"rules,omitempty"`
	// Payload, when set, is a value of the struct type the event's payload
	// must have. The payload is validated with its `validate` struct tags
	// and stored on the case as a [Record] named Record.
	Payload any `json:"-"`
	// Record names the record the payload is stored as; defaults to the
	// event name.
	Record string `json:"record,omitempty"`
	// RequirePayload rejects the event without a payload.
	RequirePayload bool `json:"require_payload,omitempty"`
	// RequireReason rejects the event without a written reason.
	RequireReason bool `json:"require_reason,omitempty"`
	// Notify are the team roles told when the event happens (the actor who
	// fired it is never told about their own action).
	Notify []Role `json:"notify,omitempty"`
	// Effects add timers and notices to the transition, in its transaction.
	Effects []Effect `json:"-"`
}

// ModelSpec is the definition of a coaching process. Build it with
// [BuildModel]; the result is immutable and safe for concurrent use.
type ModelSpec struct {
	Name        string      `json:"name"`
	Title       string      `json:"title,omitempty"`
	Description string      `json:"description,omitempty"`
	Initial     string      `json:"initial"`
	States      []StateSpec `json:"states"`
	Events      []EventSpec `json:"events"`
	// Openers may open (enrol) a case in the model.
	Openers []Role `json:"openers"`
	// Records declares the type of each named record that hosts and
	// packages add to the model's cases with [CaseChange.Record] or at
	// enrolment ([EnrolParams.Records]): name → a value of the struct type.
	// A declared record, whether given as a value or as JSON, is decoded
	// into its type and validated ([CheckPayload]) on every write; an
	// event's payload record (EventSpec.Payload) is declared by the event
	// and need not be repeated. Undeclared names take any JSON value (a
	// struct value is still checked). Go types are not part of a model's
	// JSON: a model loaded from JSON gets its record types from the Go
	// code that attaches to it (pathway.Attach, hoks.AttachRules) or from
	// SetRecord before it is built.
	Records map[string]any `json:"-"`
}

// SetRecord declares the type of the record name (see
// [ModelSpec.Records]). Packages use it to attach their record types to a
// model (pathway declares its warm handovers).
func (s *ModelSpec) SetRecord(name string, prototype any) {
	s.Records = maps.Clone(s.Records)
	if s.Records == nil {
		s.Records = map[string]any{}
	}
	s.Records[name] = prototype
}

// AddRules appends rules to the named event and reports an error when the
// event does not exist. Hosts use it to add their own rules to a built-in
// model's spec before building it.
func (s *ModelSpec) AddRules(event string, rules ...Rule) error {
	for i := range s.Events {
		if s.Events[i].Name == event {
			s.Events[i].Rules = append(slices.Clone(s.Events[i].Rules), rules...)
			return nil
		}
	}
	return &NotFoundError{Kind: "event", ID: event}
}

// Clone returns a copy of the spec whose slices can be changed freely.
func (s ModelSpec) Clone() ModelSpec {
	out := s
	out.States = slices.Clone(s.States)
	for i := range out.States {
		out.States[i].NotifyOverdue = slices.Clone(out.States[i].NotifyOverdue)
	}
	out.Events = slices.Clone(s.Events)
	for i := range out.Events {
		e := &out.Events[i]
		e.From = slices.Clone(e.From)
		e.Roles = slices.Clone(e.Roles)
		e.Rules = slices.Clone(e.Rules)
		e.RuleNames = slices.Clone(e.RuleNames)
		e.Notify = slices.Clone(e.Notify)
		e.Effects = slices.Clone(e.Effects)
	}
	out.Openers = slices.Clone(s.Openers)
	out.Records = maps.Clone(s.Records)
	return out
}

// Rule is a guard an event must pass. Check returns nil to allow the
// transition, or an error whose message is the plain-language reason (it is
// shown to coordinators). Rules must not change anything: they run before
// the transaction and may run again when a conflict is retried.
type Rule interface {
	Name() string
	Check(ctx context.Context, t *Transition) error
}

// RuleFunc is the function form of a rule's check.
type RuleFunc func(ctx context.Context, t *Transition) error

type namedRule struct {
	name string
	fn   RuleFunc
}

func (r namedRule) Name() string                                   { return r.name }
func (r namedRule) Check(ctx context.Context, t *Transition) error { return r.fn(ctx, t) }

// NewRule returns a Rule with the given name and check.
func NewRule(name string, check RuleFunc) Rule { return namedRule{name: name, fn: check} }

// RuleRegistry resolves rule names in models written as data.
type RuleRegistry map[string]Rule

// Model is a validated, immutable process definition. It executes its
// transitions with a [Machine] (looplab/fsm machines built once per model
// and reused from a pool, because building one costs far more than firing
// it).
type Model struct {
	spec   ModelSpec
	states map[string]*StateSpec
	events map[string]*compiledEvent
	edges  map[edgeKey]string
	// steps are the edges with what Fire needs of each, found with one
	// lookup per command.
	steps   map[edgeKey]*step
	fromMap map[string][]string // state -> sorted event names allowed from it
	machine *Machine
	// records maps every declared record name (ModelSpec.Records and the
	// events' payload records) to its struct type.
	records map[string]reflect.Type
	// eventRecords maps the records events write to the first such event:
	// they are written only by firing it.
	eventRecords map[string]string
}

type edgeKey struct{ event, from string }

// step is one edge of a model, compiled once: its event, its states and
// which of the engine's own checks apply to it.
type step struct {
	ev *compiledEvent
	to string
	// src and dst are the specs of the states it leaves and enters.
	src, dst *StateSpec
	// resume is set when the edge leads from a hold state to an active
	// one: the case may only resume to the phase it was paused from
	// (the engine's rule resume_to_paused_phase).
	resume bool
}

type compiledEvent struct {
	spec *EventSpec
	// rules are the spec's Rules followed by the rules its RuleNames
	// resolved to; the spec itself keeps only what it was given, so a
	// model's Spec rebuilds with the same registry.
	rules       []Rule
	payloadType reflect.Type // struct type, nil when the event takes no payload
	record      string
}

// BuildModel validates the spec and returns the model, or a
// *ValidationError listing every problem (unknown states, events from
// terminal states, unreachable states, no terminal state, duplicates, ...).
func BuildModel(spec ModelSpec) (*Model, error) {
	return BuildModelWith(spec, nil)
}

// BuildModelWith is [BuildModel] that also resolves EventSpec.RuleNames from
// the registry.
func BuildModelWith(spec ModelSpec, registry RuleRegistry) (*Model, error) {
	spec = spec.Clone()
	pr := problems{subject: "model " + quoteOr(spec.Name, "(unnamed)")}
	m := &Model{
		spec:    spec,
		states:  make(map[string]*StateSpec, len(spec.States)),
		events:  make(map[string]*compiledEvent, len(spec.Events)),
		edges:   make(map[edgeKey]string),
		fromMap: make(map[string][]string),
	}
	if !validName(spec.Name) {
		pr.add("name", "must be a lower-case identifier (letters, digits, underscores), got %q", spec.Name)
	}
	if len(spec.Openers) == 0 {
		pr.add("openers", "at least one role must be allowed to open a case")
	}
	for i := range spec.States {
		s := &m.spec.States[i]
		path := fmt.Sprintf("states[%d]", i)
		if !validName(s.Name) {
			pr.add(path+".name", "must be a lower-case identifier (letters, digits, underscores), got %q", s.Name)
		}
		if _, dup := m.states[s.Name]; dup {
			pr.add(path+".name", "duplicate state %q", s.Name)
			continue
		}
		m.states[s.Name] = s
		switch s.Kind {
		case Active, Hold:
			if s.Exit != "" {
				pr.add(path+".exit", "only terminal states have an exit kind")
			}
		case Terminal:
			if s.Exit == "" {
				s.Exit = ExitCompleted
			}
			switch s.Exit {
			case ExitCompleted, ExitPositive, ExitDiscontinued, ExitNotAdmitted:
			default:
				pr.add(path+".exit", "unknown exit kind %q", s.Exit)
			}
			if !s.Deadline.IsZero() {
				pr.add(path+".deadline", "a terminal state cannot have a deadline")
			}
		default:
			pr.add(path+".kind", "must be active, hold or terminal, got %q", s.Kind)
		}
		if s.Kind == Hold && !s.Deadline.IsZero() {
			pr.add(path+".deadline", "a hold state cannot have a deadline (its clock is stopped)")
		}
		if s.Deadline.Months < 0 || s.Deadline.Days < 0 {
			pr.add(path+".deadline", "must not be negative")
		}
	}
	switch init, ok := m.states[spec.Initial]; {
	case spec.Initial == "":
		pr.add("initial", "required")
	case !ok:
		pr.add("initial", "unknown state %q", spec.Initial)
	case init.Kind != Active:
		pr.add("initial", "the initial state must be an active state")
	}
	for i := range m.spec.Events {
		e := &m.spec.Events[i]
		path := fmt.Sprintf("events[%d]", i)
		if !validName(e.Name) {
			pr.add(path+".name", "must be a lower-case identifier (letters, digits, underscores), got %q", e.Name)
		}
		if _, dup := m.events[e.Name]; dup {
			pr.add(path+".name", "duplicate event %q", e.Name)
			continue
		}
		if _, clash := m.states[e.Name]; clash {
			pr.add(path+".name", "event %q has the same name as a state", e.Name)
		}
		ce := &compiledEvent{spec: e, record: e.Record}
		m.events[e.Name] = ce
		if len(e.From) == 0 {
			pr.add(path+".from", "at least one source state is required")
		}
		seen := map[string]bool{}
		for j, f := range e.From {
			fp := fmt.Sprintf("%s.from[%d]", path, j)
			st, ok := m.states[f]
			switch {
			case !ok:
				pr.add(fp, "unknown state %q", f)
			case seen[f]:
				pr.add(fp, "duplicate source state %q", f)
			case st.Kind == Terminal:
				pr.add(fp, "no event may leave terminal state %q", f)
			case f == e.To:
				pr.add(fp, "an event may not lead from %q back to itself", f)
			}
			seen[f] = true
		}
		if _, ok := m.states[e.To]; !ok {
			pr.add(path+".to", "unknown state %q", e.To)
		}
		if len(e.Roles) == 0 {
			pr.add(path+".roles", "at least one role must be allowed to fire the event")
		}
		for j, r := range e.Roles {
			if strings.TrimSpace(string(r)) == "" {
				pr.add(fmt.Sprintf("%s.roles[%d]", path, j), "empty role")
			}
		}
		ce.rules = slices.Clone(e.Rules)
		for _, name := range e.RuleNames {
			r, ok := registry[name]
			if !ok {
				pr.add(path+".rules", "unknown rule %q (not registered)", name)
				continue
			}
			ce.rules = append(ce.rules, r)
		}
		ruleNames := map[string]bool{}
		for j, r := range ce.rules {
			if r == nil {
				pr.add(fmt.Sprintf("%s.rules[%d]", path, j), "nil rule")
				continue
			}
			if strings.TrimSpace(r.Name()) == "" {
				pr.add(fmt.Sprintf("%s.rules[%d]", path, j), "rule without a name")
			} else if ruleNames[r.Name()] {
				pr.add(fmt.Sprintf("%s.rules[%d]", path, j), "rule %q attached twice", r.Name())
			}
			ruleNames[r.Name()] = true
		}
		for j, eff := range e.Effects {
			if eff == nil || eff.Name() == "" {
				pr.add(fmt.Sprintf("%s.effects[%d]", path, j), "nil or unnamed effect")
			}
		}
		if e.Payload != nil {
			t := reflect.TypeOf(e.Payload)
			if t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if t.Kind() != reflect.Struct {
				pr.add(path+".payload", "must be a struct type, got %s", t)
			} else {
				ce.payloadType = t
			}
			if ce.record == "" {
				ce.record = e.Name
			}
		} else if e.RequirePayload {
			pr.add(path+".require_payload", "requires a payload but declares no payload type")
		}
		if e.Record != "" && e.Payload == nil {
			pr.add(path+".record", "names a record but declares no payload type")
		}
		for _, f := range e.From {
			m.edges[edgeKey{e.Name, f}] = e.To
			m.fromMap[f] = append(m.fromMap[f], e.Name)
		}
	}
	for _, names := range m.fromMap {
		sort.Strings(names)
	}
	m.checkGraph(&pr)
	m.compileRecords(&pr)
	if err := pr.err(); err != nil {
		return nil, err
	}
	edges := make([]Edge, 0, len(m.spec.Events))
	for _, e := range m.spec.Events {
		edges = append(edges, Edge{Event: e.Name, From: e.From, To: e.To})
	}
	machine, err := NewMachine(m.spec.Initial, edges)
	if err != nil {
		// The checks above are stricter than the machine's.
		return nil, fmt.Errorf("valmennus: model %q: %w", m.spec.Name, err)
	}
	m.machine = machine
	m.steps = make(map[edgeKey]*step, len(m.edges))
	for k, to := range m.edges {
		from, dest := m.states[k.from], m.states[to]
		m.steps[k] = &step{ev: m.events[k.event], to: to, src: from, dst: dest, resume: from.Kind == Hold && dest.Kind == Active}
	}
	return m, nil
}

// compileRecords collects the declared record types: the spec's Records
// and the events' payload records. A name declared with two types is a
// problem: a record must mean one thing on every write path.
func (m *Model) compileRecords(pr *problems) {
	m.records = map[string]reflect.Type{}
	m.eventRecords = map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(m.spec.Records)) {
		path := "records." + name
		if !validName(name) {
			pr.add(path, "must be a lower-case identifier, got %q", name)
			continue
		}
		proto := m.spec.Records[name]
		if proto == nil {
			pr.add(path, "declares no type")
			continue
		}
		t := reflect.TypeOf(proto)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			pr.add(path, "must be a struct type, got %s", t)
			continue
		}
		m.records[name] = t
	}
	for _, e := range m.spec.Events {
		ce := m.events[e.Name]
		if ce == nil || ce.payloadType == nil {
			continue
		}
		if t, ok := m.records[ce.record]; ok && t != ce.payloadType {
			pr.add("events."+e.Name+".record", "record %q is declared as %s and as %s", ce.record, t, ce.payloadType)
			continue
		}
		m.records[ce.record] = ce.payloadType
		if _, ok := m.eventRecords[ce.record]; !ok {
			m.eventRecords[ce.record] = e.Name
		}
	}
}

// RecordType returns the struct type declared for the record name, if any.
func (m *Model) RecordType(name string) (reflect.Type, bool) {
	t, ok := m.records[name]
	return t, ok
}

// checkGraph reports unreachable states, a missing terminal state, active
// states with no way out, and states from which no terminal state can be
// reached.
func (m *Model) checkGraph(pr *problems) {
	hasTerminal := false
	for _, s := range m.spec.States {
		if s.Kind == Terminal {
			hasTerminal = true
		}
	}
	if !hasTerminal {
		pr.add("states", "the model has no terminal state")
	}
	if _, ok := m.states[m.spec.Initial]; !ok {
		return
	}
	reach := map[string]bool{m.spec.Initial: true}
	queue := []string{m.spec.Initial}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, ev := range m.fromMap[s] {
			if to := m.edges[edgeKey{ev, s}]; !reach[to] {
				if _, ok := m.states[to]; ok {
					reach[to] = true
					queue = append(queue, to)
				}
			}
		}
	}
	// Reverse reachability from terminal states.
	canEnd := map[string]bool{}
	for _, s := range m.spec.States {
		if s.Kind == Terminal {
			canEnd[s.Name] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for k, to := range m.edges {
			if canEnd[to] && !canEnd[k.from] {
				canEnd[k.from] = true
				changed = true
			}
		}
	}
	for i, s := range m.spec.States {
		path := fmt.Sprintf("states[%d]", i)
		if !reach[s.Name] {
			pr.add(path, "state %q is unreachable from the initial state %q", s.Name, m.spec.Initial)
			continue
		}
		if s.Kind != Terminal && len(m.fromMap[s.Name]) == 0 {
			pr.add(path, "state %q is not terminal but no event leaves it", s.Name)
			continue
		}
		if hasTerminal && !canEnd[s.Name] {
			pr.add(path, "no terminal state can be reached from state %q", s.Name)
		}
	}
}

func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func quoteOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return fmt.Sprintf("%q", s)
}

// firing is the case model's [Guard] for one command: it runs the event's
// rules in the machine's before_event callback. It lives in the command's
// plan, so a fire allocates nothing for it.
type firing struct {
	t  *Transition
	st *step
}

// Check runs the rules on the transition; ctx is the caller's context.
func (f *firing) Check(ctx context.Context, _ Step) error {
	if rej := f.st.check(ctx, f.t); rej != nil {
		return rej
	}
	return nil
}

// check runs every rule of the step's event and the engine's own checks
// on t, a transition along the step, and collects every failure.
func (s *step) check(ctx context.Context, t *Transition) *RulesRejectedError {
	var failures []RuleFailure
	if s.resume && t.Case.Phase.State != "" && t.To != t.Case.Phase.State {
		failures = append(failures, RuleFailure{Rule: "resume_to_paused_phase",
			Reason: fmt.Sprintf("the case was paused from %q, so it can only resume to %q", t.Case.Phase.State, t.Case.Phase.State)})
	}
	for _, r := range s.ev.rules {
		if err := r.Check(ctx, t); err != nil {
			failures = append(failures, RuleFailure{Rule: r.Name(), Reason: err.Error()})
		}
	}
	if len(failures) == 0 {
		return nil
	}
	return &RulesRejectedError{Event: t.Event, From: t.From, To: t.To, Failures: failures}
}

// Name returns the model's name.
func (m *Model) Name() string { return m.spec.Name }

// Title returns the model's human title.
func (m *Model) Title() string { return m.spec.Title }

// Spec returns a copy of the model's definition.
func (m *Model) Spec() ModelSpec { return m.spec.Clone() }

// Initial returns the initial state.
func (m *Model) Initial() string { return m.spec.Initial }

// State returns a state's definition.
func (m *Model) State(name string) (StateSpec, bool) {
	s, ok := m.states[name]
	if !ok {
		return StateSpec{}, false
	}
	out := *s
	out.NotifyOverdue = slices.Clone(s.NotifyOverdue)
	return out, true
}

// States returns the state names in definition order.
func (m *Model) States() []string {
	out := make([]string, len(m.spec.States))
	for i, s := range m.spec.States {
		out[i] = s.Name
	}
	return out
}

// Event returns an event's definition; its Rules are the rules in effect,
// including those resolved from RuleNames.
func (m *Model) Event(name string) (EventSpec, bool) {
	e, ok := m.events[name]
	if !ok {
		return EventSpec{}, false
	}
	out := *e.spec
	out.From = slices.Clone(out.From)
	out.Roles = slices.Clone(out.Roles)
	out.Rules = slices.Clone(e.rules) // the effective rules, named ones resolved
	out.RuleNames = slices.Clone(out.RuleNames)
	out.Notify = slices.Clone(out.Notify)
	out.Effects = slices.Clone(out.Effects)
	return out, true
}

// EventsFrom returns the names of the events defined from state s, sorted.
func (m *Model) EventsFrom(s string) []string { return slices.Clone(m.fromMap[s]) }

// Target returns the state event leads to from state from.
func (m *Model) Target(event, from string) (string, bool) {
	to, ok := m.edges[edgeKey{event, from}]
	return to, ok
}

// Mermaid renders the model as a Mermaid state diagram with looplab/fsm's
// visualiser, drawn from the initial state ([Machine.Mermaid]).
func (m *Model) Mermaid() string { return m.machine.Mermaid() }
