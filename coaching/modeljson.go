package coaching

import (
	"bytes"
	"context"
	_ "embed" // the built-in models' JSON documents
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/valmennus/valmennus/internal/strictjson"
)

// Limits of a model document read by [LoadModel]. A model is a short,
// hand-written definition; the limits keep a hostile document from costing
// more than a moment to reject. (At most 200 states and 500 events: the
// maxlen tags of modelIn.)
const (
	maxModelJSONBytes = 1 << 20 // 1 MiB
	maxJSONDepth      = 32
)

// ModelRegistry names the Go parts a model written as JSON refers to: the
// rules (guards), the payload types and the effects of its events. The
// host registers them in Go; the document only names them. The zero value
// is an empty registry, and a nil *ModelRegistry passed to [LoadModel] or
// [ModelJSON] means [BuiltinRegistry].
//
// The name of a rule or effect is its Name(), so each map key must equal
// the registered value's Name(). A payload type may be registered under one
// name only, so that [ModelJSON] can write it back by that name.
//
// LoadModel and ModelJSON only read a registry, so concurrent calls may
// share one as long as nothing changes it meanwhile.
type ModelRegistry struct {
	// Rules by name. It is a [RuleRegistry], so [BuildModelWith] takes it
	// as it is.
	Rules RuleRegistry
	// Payloads by name: each value is a value of a struct type (or a
	// pointer to one), as in [EventSpec].Payload, e.g. EntryAssessment{}.
	Payloads map[string]any
	// Effects by name.
	Effects map[string]Effect
}

// BuiltinRegistry returns a new registry of the rules and payload types the
// built-in models use, by the names their JSON documents give them:
//
//	rules:    entry_criteria_met, initial_situation_complete
//	payloads: entry_assessment (EntryAssessment), induction_findings
//	          (InductionFindings), initial_situation (InitialSituation)
//
// The built-in models have no effects. The names are stable. Each call
// returns a fresh registry, so the caller may add its own rules, payloads
// and effects to it.
func BuiltinRegistry() *ModelRegistry {
	reg := &ModelRegistry{
		Rules: RuleRegistry{},
		Payloads: map[string]any{
			"entry_assessment":   EntryAssessment{},
			"induction_findings": InductionFindings{},
			"initial_situation":  InitialSituation{},
		},
		Effects: map[string]Effect{},
	}
	for _, r := range []Rule{EntryCriteriaMet(), InitialSituationComplete()} {
		reg.Rules[r.Name()] = r
	}
	return reg
}

// check reports every inconsistency of the registry: nil entries, a key
// that is not the registered rule's or effect's name, a payload that is not
// a struct type, a payload type registered under two names.
func (r *ModelRegistry) check() error {
	pr := problems{subject: "model registry"}
	for _, k := range sortedKeys(r.Rules) {
		p := jsonKeyPath("rules", k)
		switch rule := r.Rules[k]; {
		case isNil(rule):
			pr.add(p, "nil rule")
		case rule.Name() != k:
			pr.add(p, "the rule is named %q; register it under its name", rule.Name())
		}
	}
	byType := map[reflect.Type]string{}
	for _, k := range sortedKeys(r.Payloads) {
		p := jsonKeyPath("payloads", k)
		t := payloadStructType(r.Payloads[k])
		switch {
		case r.Payloads[k] == nil:
			pr.add(p, "nil payload")
		case t == nil:
			pr.add(p, "must be a value of a struct type, got %T", r.Payloads[k])
		case byType[t] != "":
			pr.add(p, "type %s is also registered as %q", t, byType[t])
		default:
			byType[t] = k
		}
	}
	for _, k := range sortedKeys(r.Effects) {
		p := jsonKeyPath("effects", k)
		switch eff := r.Effects[k]; {
		case isNil(eff):
			pr.add(p, "nil effect")
		case eff.Name() != k:
			pr.add(p, "the effect is named %q; register it under its name", eff.Name())
		}
	}
	return pr.err()
}

// payloadName returns the name the payload's type is registered under.
func (r *ModelRegistry) payloadName(payload any) (string, bool) {
	t := payloadStructType(payload)
	if t == nil {
		return "", false
	}
	for _, k := range sortedKeys(r.Payloads) {
		if payloadStructType(r.Payloads[k]) == t {
			return k, true
		}
	}
	return "", false
}

// payloadStructType returns the struct type of a payload value (a struct or
// a non-nil pointer to one), or nil.
func payloadStructType(v any) reflect.Type {
	t := reflect.TypeOf(v)
	if t == nil {
		return nil
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	return t
}

// isNil reports whether v is nil or an interface holding a nil pointer,
// map, slice or func.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// LoadModel reads a model written as a JSON document, resolves the names
// of its rules, payload types and effects from reg (nil means
// [BuiltinRegistry]) and builds it with [BuildModel].
//
// The document is the JSON form of a [ModelSpec], with Go values replaced
// by registered names:
//
//	{
//	  "name": "valo", "title": "...", "description": "...",
//	  "initial": "recruitment",
//	  "openers": ["coach", "study_counsellor"],
//	  "states": [
//	    {"name": "recruitment", "title": "...", "kind": "active",
//	     "deadline": {"months": 1, "days": 0}, "notify_overdue": ["coach"]},
//	    {"name": "closed", "kind": "terminal", "exit": "completed"}
//	  ],
//	  "events": [
//	    {"name": "admit", "title": "...", "from": ["recruitment"], "to": "induction",
//	     "roles": ["coach"], "rules": ["entry_criteria_met"],
//	     "payload": "entry_assessment", "record": "entry_assessment",
//	     "require_payload": true, "require_reason": false,
//	     "notify": ["personal_tutor"], "effects": ["..."]}
//	  ]
//	}
//
// Only name, kind (states), from, to and roles (events) and the model's
// name, initial, openers, states and events are required; keys may come in
// any order. Reading is strict: a key the format does not know, a key given
// twice, a value of the wrong JSON type (null included), a number that is
// not a whole number, malformed JSON, data after the document, an empty
// document, one over 1 MiB, more than 200 states or 500 events are all
// errors.
//
// The error is a *[ValidationError] (matching [ErrInvalid]) that lists
// every problem found — in the document's form, in the names it refers to
// and in the model it defines — each with the JSON path of its place, e.g.
// "events[2].rules[0]" or "states[1].deadline.months", the same paths
// [BuildModel] reports. A problem the build would report again at a path
// already reported (or inside it) is left out. Malformed JSON stops reading
// at the first syntax error, reported at the path being read with its line
// and column. LoadModel never panics on any input.
//
// A broken registry (a key that is not the rule's name, a payload that is
// not a struct type, a payload type under two names, a nil entry) is
// reported as a *ValidationError on the "model registry".
func LoadModel(data []byte, reg *ModelRegistry) (*Model, error) {
	if reg == nil {
		reg = BuiltinRegistry()
	}
	if err := reg.check(); err != nil {
		return nil, err
	}
	pr := problems{subject: "model"}
	d := &specDecoder{pr: &pr, reg: reg, reported: map[string]bool{}}
	spec, buildable, read := d.decode(data)
	if !read {
		return nil, pr.err()
	}
	pr.subject = "model " + quoteOr(spec.Name, "(unnamed)")
	if !buildable {
		return nil, pr.err()
	}
	m, err := BuildModel(spec)
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		for _, p := range ve.Problems {
			if !d.covered(p.Field) {
				pr.list = append(pr.list, p)
			}
		}
	}
	if err := pr.err(); err != nil {
		return nil, err
	}
	return m, nil
}

// ModelJSON returns the model as the JSON document [LoadModel] reads, with
// its rules, payload types and effects written by the names reg (nil means
// [BuiltinRegistry]) knows them by: a rule or effect by its Name(), which
// the registry must hold, a payload by the name its type is registered
// under. Loading the document with the same registry gives an equal model.
//
// The document is indented by two spaces and ends with a newline; keys come
// in a fixed order (name, title, description, initial, openers, states,
// events; within states and events as in [StateSpec] and [EventSpec]) and
// empty optional keys are left out, so the same model always gives the
// same bytes. A terminal state's exit kind is always written.
//
// A rule, payload type or effect the registry has no name for is an error:
// a *[ValidationError] listing each by its JSON path and name.
func ModelJSON(m *Model, reg *ModelRegistry) ([]byte, error) {
	if m == nil {
		return nil, &ValidationError{Subject: "model", Problems: []FieldProblem{{Message: "nil model"}}}
	}
	if reg == nil {
		reg = BuiltinRegistry()
	}
	if err := reg.check(); err != nil {
		return nil, err
	}
	pr := problems{subject: "model " + quoteOr(m.spec.Name, "(unnamed)") + " as JSON"}
	doc := modelDoc{
		Name:        m.spec.Name,
		Title:       m.spec.Title,
		Description: m.spec.Description,
		Initial:     m.spec.Initial,
		Openers:     nonNil(m.spec.Openers),
		// A state has no Go-only fields: its document is the spec itself.
		States: m.spec.States,
		Events: make([]eventDoc, len(m.spec.Events)),
	}
	for i, e := range m.spec.Events {
		path := fmt.Sprintf("events[%d]", i)
		ed := eventDoc{Name: e.Name, Title: e.Title, From: nonNil(e.From), To: e.To, Roles: nonNil(e.Roles),
			Record: e.Record, RequirePayload: e.RequirePayload, RequireReason: e.RequireReason, Notify: e.Notify}
		for j, r := range m.events[e.Name].rules {
			if _, ok := reg.Rules[r.Name()]; !ok {
				pr.add(fmt.Sprintf("%s.rules[%d]", path, j), "rule %q is not in the registry", r.Name())
			}
			ed.Rules = append(ed.Rules, r.Name())
		}
		if e.Payload != nil {
			name, ok := reg.payloadName(e.Payload)
			if !ok {
				pr.add(path+".payload", "payload type %s has no name in the registry", reflect.TypeOf(e.Payload))
			}
			ed.Payload = name
		}
		for j, eff := range e.Effects {
			if _, ok := reg.Effects[eff.Name()]; !ok {
				pr.add(fmt.Sprintf("%s.effects[%d]", path, j), "effect %q is not in the registry", eff.Name())
			}
			ed.Effects = append(ed.Effects, eff.Name())
		}
		doc.Events[i] = ed
	}
	if err := pr.err(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("valmennus: encoding model %q: %w", m.spec.Name, err)
	}
	return buf.Bytes(), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// The document's form, in the order ModelJSON writes its keys.
type modelDoc struct {
	Name        string      `json:"name"`
	Title       string      `json:"title,omitempty"`
	Description string      `json:"description,omitempty"`
	Initial     string      `json:"initial"`
	Openers     []Role      `json:"openers"`
	States      []StateSpec `json:"states"`
	Events      []eventDoc  `json:"events"`
}

type eventDoc struct {
	Name           string   `json:"name"`
	Title          string   `json:"title,omitempty"`
	From           []string `json:"from"`
	To             string   `json:"to"`
	Roles          []Role   `json:"roles"`
	Rules          []string `json:"rules,omitempty"`
	Payload        string   `json:"payload,omitempty"`
	Record         string   `json:"record,omitempty"`
	RequirePayload bool     `json:"require_payload,omitempty"`
	RequireReason  bool     `json:"require_reason,omitempty"`
	Notify         []Role   `json:"notify,omitempty"`
	Effects        []string `json:"effects,omitempty"`
}

var (
	//go:embed models/valo.json
	valoJSON string
	//go:embed models/pilot.json
	pilotJSON string
)

// BuiltinModelJSON returns the JSON document of the built-in model with the
// given name ([ModelVALO] or [ModelPilot]): what [ModelJSON] writes for it
// with [BuiltinRegistry], so that [LoadModel] with that registry gives a
// model equal to [VALO] or [Pilot]. The caller owns the returned bytes.
func BuiltinModelJSON(name string) ([]byte, bool) {
	switch name {
	case ModelVALO:
		return []byte(valoJSON), true
	case ModelPilot:
		return []byte(pilotJSON), true
	}
	return nil, false
}

// The document's form as LoadModel reads it: names where ModelSpec has Go
// values, a pointer where present and empty differ, 32-bit deadlines.
type modelIn struct {
	Name        string    `json:"name"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Initial     string    `json:"initial"`
	Openers     []Role    `json:"openers"`
	States      []stateIn `json:"states" strictjson:"maxlen=200"`
	Events      []eventIn `json:"events" strictjson:"maxlen=500"`
}

type stateIn struct {
	Name          string    `json:"name"`
	Title         string    `json:"title"`
	Kind          StateKind `json:"kind"`
	Deadline      periodIn  `json:"deadline"`
	NotifyOverdue []Role    `json:"notify_overdue"`
	Exit          ExitKind  `json:"exit"`
}

type periodIn struct {
	Months int32 `json:"months"`
	Days   int32 `json:"days"`
}

type eventIn struct {
	Name           string   `json:"name"`
	Title          string   `json:"title"`
	From           []string `json:"from"`
	To             string   `json:"to"`
	Roles          []Role   `json:"roles"`
	Rules          []string `json:"rules"`
	Payload        *string  `json:"payload"`
	Record         string   `json:"record"`
	RequirePayload bool     `json:"require_payload"`
	RequireReason  bool     `json:"require_reason"`
	Notify         []Role   `json:"notify"`
	Effects        []string `json:"effects"`
}

// modelJSONOptions is the strictness of a model document: nothing lenient,
// 1 MiB, nested at most 32 levels.
var modelJSONOptions = &strictjson.Options{MaxBytes: maxModelJSONBytes, MaxDepth: maxJSONDepth}

// specDecoder turns a document into a ModelSpec, reporting every problem
// of form and every unknown name. Where a value is wrong it leaves a zero
// value (or a stand-in for an unknown name) in its place, so that the
// indexes the build reports stay those of the document.
type specDecoder struct {
	pr       *problems
	reg      *ModelRegistry
	reported map[string]bool
}

func (d *specDecoder) bad(path, format string, args ...any) {
	d.pr.add(path, format, args...)
	d.reported[path] = true
}

// covered reports whether a problem at path is at, or inside, a place
// already reported.
func (d *specDecoder) covered(path string) bool {
	for p := path; ; {
		if d.reported[p] {
			return true
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			return false
		}
		p = p[:i]
	}
}

// decode reads the document. It returns read false when the document is
// not JSON (or too large, or empty), and buildable false also when it is
// not an object or defines too large a model to be worth building.
func (d *specDecoder) decode(data []byte) (spec ModelSpec, buildable, read bool) {
	var in modelIn
	buildable, read = true, true
	err := strictjson.Decode(data, &in, modelJSONOptions)
	var se *strictjson.Error
	if err != nil && !errors.As(err, &se) {
		d.bad("", "%v", err) // not reached: &in is a pointer
		return ModelSpec{}, false, false
	}
	if se != nil {
		for _, p := range se.Problems {
			msg := modelJSONMessage(p)
			if p.Code.Fatal() {
				read = false
			}
			if !read || p.Path == "" || p.Code == strictjson.TooLong {
				buildable = false
			}
			if p.Code == strictjson.Duplicate {
				d.pr.add(p.Path, "%s", msg) // the build may still speak of the first value
			} else {
				d.bad(p.Path, "%s", msg)
			}
		}
	}
	spec = ModelSpec{Name: in.Name, Title: in.Title, Description: in.Description, Initial: in.Initial, Openers: in.Openers}
	if in.States != nil {
		spec.States = make([]StateSpec, len(in.States))
	}
	for i, s := range in.States {
		spec.States[i] = StateSpec{Name: s.Name, Title: s.Title, Kind: s.Kind, NotifyOverdue: s.NotifyOverdue, Exit: s.Exit,
			Deadline: Period{Months: int(s.Deadline.Months), Days: int(s.Deadline.Days)}}
	}
	if in.Events != nil {
		spec.Events = make([]EventSpec, len(in.Events))
	}
	for i, e := range in.Events {
		path := fmt.Sprintf("events[%d]", i)
		ev := EventSpec{Name: e.Name, Title: e.Title, From: e.From, To: e.To, Roles: e.Roles, Record: e.Record,
			RequirePayload: e.RequirePayload, RequireReason: e.RequireReason, Notify: e.Notify}
		for j, name := range e.Rules {
			ev.Rules = append(ev.Rules, d.rule(name, fmt.Sprintf("%s.rules[%d]", path, j)))
		}
		for j, name := range e.Effects {
			ev.Effects = append(ev.Effects, d.effect(name, fmt.Sprintf("%s.effects[%d]", path, j)))
		}
		switch p := path + ".payload"; {
		case d.reported[p]:
			ev.Payload = struct{}{} // a stand-in, so that the build does not ask for one
		case e.Payload != nil:
			payload, ok := d.reg.Payloads[*e.Payload]
			if !ok {
				d.bad(p, "unknown payload %q (not in the registry)", *e.Payload)
				payload = struct{}{}
			}
			ev.Payload = payload
		}
		spec.Events[i] = ev
	}
	return spec, buildable, read
}

// modelJSONMessage words a problem of form as LoadModel reports it.
func modelJSONMessage(p strictjson.Problem) string {
	switch p.Code {
	case strictjson.TooLarge:
		return fmt.Sprintf("the document is %d bytes; at most %d are accepted", p.Size, p.Limit)
	case strictjson.Empty:
		return "empty document: expected a JSON object"
	case strictjson.Syntax:
		return fmt.Sprintf("malformed JSON at line %d, column %d: %v", p.Line, p.Column, p.Err)
	case strictjson.Unknown:
		return fmt.Sprintf("unknown key %q", p.Key)
	case strictjson.Duplicate:
		return fmt.Sprintf("duplicate key %q", p.Key)
	case strictjson.WrongType, strictjson.NullValue:
		want := p.Want
		if want == strictjson.WantInteger {
			want = "a whole number"
		}
		if p.Path == "" {
			return fmt.Sprintf("the document must be a JSON object, got %s", p.Got)
		}
		return fmt.Sprintf("must be %s, got %s", want, p.Got)
	case strictjson.TooLong:
		what := p.Path[strings.LastIndexAny(p.Path, ".[")+1:]
		return fmt.Sprintf("at most %d %s are accepted, got %d", p.Limit, what, p.Size)
	}
	// Truncated, TooDeep, Trailing, NotInteger, OutOfRange: the
	// decoder's own words.
	return p.Message
}

// rule resolves a rule name; an unknown one is reported and replaced by a
// stand-in of the same name, so the rules keep their indexes.
func (d *specDecoder) rule(name, path string) Rule {
	if r, ok := d.reg.Rules[name]; ok {
		return r
	}
	if !d.reported[path] {
		d.bad(path, "unknown rule %q (not in the registry)", name)
	}
	return NewRule(name, func(context.Context, *Transition) error { return errUnresolved })
}

// effect resolves an effect name like rule.
func (d *specDecoder) effect(name, path string) Effect {
	if e, ok := d.reg.Effects[name]; ok {
		return e
	}
	if !d.reported[path] {
		d.bad(path, "unknown effect %q (not in the registry)", name)
	}
	return NewEffect(name, func(context.Context, *Transition, Case) (EffectWrites, error) {
		return EffectWrites{}, errUnresolved
	})
}

// errUnresolved is what a stand-in for an unknown name returns; a model
// with one is never returned, so it is never seen.
var errUnresolved = errors.New("valmennus: unresolved name in a model document")

// jsonKeyPath appends an object key to a path: "events[0].title", or
// `events[0]["two words"]` for a key that is not a plain identifier.
func jsonKeyPath(path, key string) string { return strictjson.JoinKey(path, key) }
