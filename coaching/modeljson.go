package coaching

import (
	"bytes"
	"context"
	_ "embed" // the built-in models' JSON documents
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Limits of a model document read by [LoadModel]. A model is a short,
// hand-written definition; the limits keep a hostile document from costing
// more than a moment to reject.
const (
	maxModelJSONBytes = 1 << 20 // 1 MiB
	maxModelStates    = 200
	maxModelEvents    = 500
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
	if len(data) > maxModelJSONBytes {
		pr.add("", "the document is %d bytes; at most %d are accepted", len(data), maxModelJSONBytes)
		return nil, pr.err()
	}
	root, ok := parseJSONDocument(data, &pr)
	if !ok {
		return nil, pr.err()
	}
	d := &specDecoder{pr: &pr, reg: reg, reported: map[string]bool{}}
	spec, buildable := d.model(root)
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

// jsonKind is the type of a parsed JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// jsonValue is a parsed JSON value that keeps its object keys in document
// order, so every problem can be reported with its path.
type jsonValue struct {
	kind   jsonKind
	keys   []string     // object
	fields []*jsonValue // object, parallel to keys
	elems  []*jsonValue // array
	str    string
	num    json.Number
	b      bool
}

// jsonParseError is a malformed document, at the path being read.
type jsonParseError struct {
	path   string
	offset int64
	err    error
}

// parseJSONDocument parses exactly one JSON value. Duplicate keys are
// reported (their later values dropped); malformed JSON, an empty document
// and data after the document are reported and make it return false.
func parseJSONDocument(data []byte, pr *problems) (*jsonValue, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := &jsonParser{data: data, dec: dec, pr: pr}
	if len(bytes.TrimLeft(data, " \t\r\n")) == 0 {
		pr.add("", "empty document: expected a JSON object")
		return nil, false
	}
	root, perr := p.value("", 0)
	if perr != nil {
		msg := perr.err.Error()
		if errors.Is(perr.err, io.EOF) || errors.Is(perr.err, io.ErrUnexpectedEOF) {
			msg, perr.offset = "unexpected end of the document", int64(len(data))
		}
		pr.add(perr.path, "malformed JSON at %s: %s", position(data, perr.offset), msg)
		return nil, false
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		for end < int64(len(data)) && strings.IndexByte(" \t\r\n", data[end]) >= 0 {
			end++
		}
		pr.add("", "unexpected data after the JSON document at %s", position(data, end))
		return nil, false
	}
	return root, true
}

// position returns "line L, column C" (1-based, columns in bytes) of a
// byte offset.
func position(data []byte, offset int64) string {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

type jsonParser struct {
	data []byte
	dec  *json.Decoder
	pr   *problems
}

func (p *jsonParser) fail(path string, err error) *jsonParseError {
	off := p.dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The token reader's offset can point before the offending byte;
		// the validating scanner's points just past it.
		var raw json.RawMessage
		if errors.As(json.Unmarshal(p.data, &raw), &se) {
			off = se.Offset - 1
		}
	}
	return &jsonParseError{path: path, offset: off, err: err}
}

func (p *jsonParser) value(path string, depth int) (*jsonValue, *jsonParseError) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.fail(path, err)
	}
	switch t := tok.(type) {
	case nil:
		return &jsonValue{kind: jsonNull}, nil
	case bool:
		return &jsonValue{kind: jsonBool, b: t}, nil
	case json.Number:
		return &jsonValue{kind: jsonNumber, num: t}, nil
	case string:
		return &jsonValue{kind: jsonString, str: t}, nil
	case json.Delim:
		if depth >= maxJSONDepth {
			return nil, p.fail(path, fmt.Errorf("nested more than %d levels deep", maxJSONDepth))
		}
		switch t {
		case '{':
			v := &jsonValue{kind: jsonObject}
			seen := map[string]bool{}
			for p.dec.More() {
				kt, err := p.dec.Token()
				if err != nil {
					return nil, p.fail(path, err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, p.fail(path, errors.New("expected an object key"))
				}
				fp := jsonKeyPath(path, key)
				fv, perr := p.value(fp, depth+1)
				if perr != nil {
					return nil, perr
				}
				if seen[key] {
					p.pr.add(fp, "duplicate key %q", key)
					continue
				}
				seen[key] = true
				v.keys = append(v.keys, key)
				v.fields = append(v.fields, fv)
			}
			if _, err := p.dec.Token(); err != nil { // the closing '}'
				return nil, p.fail(path, err)
			}
			return v, nil
		case '[':
			v := &jsonValue{kind: jsonArray}
			for i := 0; p.dec.More(); i++ {
				ev, perr := p.value(fmt.Sprintf("%s[%d]", path, i), depth+1)
				if perr != nil {
					return nil, perr
				}
				v.elems = append(v.elems, ev)
			}
			if _, err := p.dec.Token(); err != nil { // the closing ']'
				return nil, p.fail(path, err)
			}
			return v, nil
		}
	}
	// The decoder returns ']' or '}' only where they close a value it opened.
	return nil, p.fail(path, fmt.Errorf("unexpected %v", tok))
}

// jsonKeyPath appends an object key to a path: "events[0].title", or
// `events[0]["two words"]` for a key that is not a plain identifier.
func jsonKeyPath(path, key string) string {
	plain := key != ""
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	default:
		return path + "." + key
	}
}

// specDecoder turns a parsed document into a ModelSpec, reporting every
// problem of form and every unknown name. Where a value is wrong it leaves
// a zero value (or a stand-in for an unknown name) in its place, so that
// the indexes the build reports stay those of the document.
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

// fields calls set for each key of an object at path, reporting the keys
// set does not know (it returns false for them) and a value that is not an
// object. It returns false for the latter.
func (d *specDecoder) fields(v *jsonValue, path string, set func(key string, v *jsonValue, path string) bool) bool {
	if v.kind != jsonObject {
		d.bad(path, "must be an object, got %s", v.kind)
		return false
	}
	for i, k := range v.keys {
		fp := jsonKeyPath(path, k)
		if !set(k, v.fields[i], fp) {
			d.bad(fp, "unknown key %q", k)
		}
	}
	return true
}

func (d *specDecoder) str(v *jsonValue, path string) string {
	if v.kind != jsonString {
		d.bad(path, "must be a string, got %s", v.kind)
		return ""
	}
	return v.str
}

func (d *specDecoder) boolean(v *jsonValue, path string) bool {
	if v.kind != jsonBool {
		d.bad(path, "must be true or false, got %s", v.kind)
		return false
	}
	return v.b
}

func (d *specDecoder) integer(v *jsonValue, path string) int {
	if v.kind != jsonNumber {
		d.bad(path, "must be a whole number, got %s", v.kind)
		return 0
	}
	n, err := strconv.ParseInt(v.num.String(), 10, 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			d.bad(path, "%s is out of range", v.num)
		} else {
			d.bad(path, "must be a whole number, got %s", v.num)
		}
		return 0
	}
	return int(n)
}

func (d *specDecoder) array(v *jsonValue, path string) ([]*jsonValue, bool) {
	if v.kind != jsonArray {
		d.bad(path, "must be an array, got %s", v.kind)
		return nil, false
	}
	return v.elems, true
}

// strs decodes an array of strings, leaving "" where an element is not one.
func (d *specDecoder) strs(v *jsonValue, path string) []string {
	elems, ok := d.array(v, path)
	if !ok {
		return nil
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = d.str(e, fmt.Sprintf("%s[%d]", path, i))
	}
	return out
}

func (d *specDecoder) roles(v *jsonValue, path string) []Role {
	s := d.strs(v, path)
	if s == nil {
		return nil
	}
	out := make([]Role, len(s))
	for i, r := range s {
		out[i] = Role(r)
	}
	return out
}

// model decodes the document; it returns false when the model is too large
// (or the document not an object) to be worth building.
func (d *specDecoder) model(v *jsonValue) (ModelSpec, bool) {
	var spec ModelSpec
	buildable := true
	if v.kind != jsonObject {
		d.bad("", "the document must be a JSON object, got %s", v.kind)
		return spec, false
	}
	d.fields(v, "", func(k string, fv *jsonValue, p string) bool {
		switch k {
		case "name":
			spec.Name = d.str(fv, p)
		case "title":
			spec.Title = d.str(fv, p)
		case "description":
			spec.Description = d.str(fv, p)
		case "initial":
			spec.Initial = d.str(fv, p)
		case "openers":
			spec.Openers = d.roles(fv, p)
		case "states":
			var ok bool
			spec.States, ok = decodeList(d, fv, p, maxModelStates, "states", d.state)
			buildable = buildable && ok
		case "events":
			var ok bool
			spec.Events, ok = decodeList(d, fv, p, maxModelEvents, "events", d.event)
			buildable = buildable && ok
		default:
			return false
		}
		return true
	})
	return spec, buildable
}

func (d *specDecoder) state(v *jsonValue, path string) StateSpec {
	var s StateSpec
	d.fields(v, path, func(k string, fv *jsonValue, p string) bool {
		switch k {
		case "name":
			s.Name = d.str(fv, p)
		case "title":
			s.Title = d.str(fv, p)
		case "kind":
			s.Kind = StateKind(d.str(fv, p))
		case "deadline":
			d.fields(fv, p, func(k string, fv *jsonValue, p string) bool {
				switch k {
				case "months":
					s.Deadline.Months = d.integer(fv, p)
				case "days":
					s.Deadline.Days = d.integer(fv, p)
				default:
					return false
				}
				return true
			})
		case "notify_overdue":
			s.NotifyOverdue = d.roles(fv, p)
		case "exit":
			s.Exit = ExitKind(d.str(fv, p))
		default:
			return false
		}
		return true
	})
	return s
}

func (d *specDecoder) event(v *jsonValue, path string) EventSpec {
	var e EventSpec
	d.fields(v, path, func(k string, fv *jsonValue, p string) bool {
		switch k {
		case "name":
			e.Name = d.str(fv, p)
		case "title":
			e.Title = d.str(fv, p)
		case "from":
			e.From = d.strs(fv, p)
		case "to":
			e.To = d.str(fv, p)
		case "roles":
			e.Roles = d.roles(fv, p)
		case "rules":
			for i, name := range d.strs(fv, p) {
				e.Rules = append(e.Rules, d.rule(name, fmt.Sprintf("%s[%d]", p, i)))
			}
		case "payload":
			if fv.kind != jsonString {
				d.str(fv, p)
				e.Payload = struct{}{} // a stand-in, so that the build does not ask for one
				return true
			}
			payload, ok := d.reg.Payloads[fv.str]
			if !ok {
				d.bad(p, "unknown payload %q (not in the registry)", fv.str)
				payload = struct{}{}
			}
			e.Payload = payload
		case "record":
			e.Record = d.str(fv, p)
		case "require_payload":
			e.RequirePayload = d.boolean(fv, p)
		case "require_reason":
			e.RequireReason = d.boolean(fv, p)
		case "notify":
			e.Notify = d.roles(fv, p)
		case "effects":
			for i, name := range d.strs(fv, p) {
				e.Effects = append(e.Effects, d.effect(name, fmt.Sprintf("%s[%d]", p, i)))
			}
		default:
			return false
		}
		return true
	})
	return e
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

// decodeList decodes a JSON array of at most max elements with elem; a
// longer one is reported and makes the model unbuildable (false).
func decodeList[T any](d *specDecoder, v *jsonValue, path string, max int, what string, elem func(*jsonValue, string) T) ([]T, bool) {
	elems, ok := d.array(v, path)
	if len(elems) > max {
		d.bad(path, "at most %d %s are accepted, got %d", max, what, len(elems))
		return nil, false
	}
	if !ok {
		return nil, true
	}
	out := make([]T, len(elems))
	for i, e := range elems {
		out[i] = elem(e, fmt.Sprintf("%s[%d]", path, i))
	}
	return out, true
}
