package webui

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// maxEventForm bounds an event form's body: payloads are small structured
// assessments (the engine refuses any above 256 KiB as JSON).
const maxEventForm = 256 << 10

// payloadPrefix starts the form name of every payload field, so that no
// field of a host's payload type can collide with the form's own fields
// (version, reason).
const payloadPrefix = "payload."

// Kinds of a payload field's control.
const (
	controlText     = "text"     // a one-line string
	controlTextarea = "textarea" // a long string (max above longText, or none given)
	controlNumber   = "number"   // an integer or a decimal number
	controlDate     = "date"     // a coaching.Date
	controlSelect   = "select"   // a string with oneof= values
	controlCheckbox = "checkbox" // a bool
	controlList     = "list"     // a []string, one item a line
	controlJSON     = "json"     // any other type, written as JSON
)

// maxKey is the longest idempotency key a form may send (the engine's
// limit); the forms' own are rand.Text's 26 characters.
const maxKey = 200

// longText is the longest max= of a string still given a one-line input.
const longText = 200

// eventLink is an event the actor may fire now, on the case page.
type eventLink struct {
	Name, Label, Href string
}

// formField is one payload field's control on an event form: its label
// and texts are already in the page's language.
type formField struct {
	Name     string // the payload's JSON name
	Input    string // the form name: payloadPrefix + Name
	ID       string // the control's id
	Label    string
	Control  string
	Required bool
	Max      int // maxlength of a text, 0 for none
	Integer  bool
	Options  []fieldOption
	Value    string
	Checked  bool
	Hint     string
	HintID   string
	Error    string
	ErrorID  string
	goType   reflect.Type
}

// DescribedBy are the ids of the field's hint and error, for
// aria-describedby.
func (f formField) DescribedBy() string {
	if f.Error == "" {
		return f.HintID
	}
	return strings.TrimSpace(f.HintID + " " + f.ErrorID)
}

type fieldOption struct {
	Value, Label string
	Selected     bool
}

// formError is an entry of the error summary: Href is the control's
// anchor, empty for a problem of the whole form.
type formError struct {
	Href, Message string
}

// eventView is the event form page's data.
type eventView struct {
	CaseID   coaching.CaseID
	CaseHref string
	Action   string
	Event    string
	Title    string
	Version  int64
	// Key is the form's idempotency key: a form sent twice fires once.
	Key    string
	Fields []formField
	// Reason is shown when the model asks for a written reason (Required)
	// or lets one be given.
	Reason         string
	ReasonRequired bool
	ReasonError    string
	Errors         []formError
	// Rules are the failing rules' messages; Conflict says the case
	// changed meanwhile.
	Rules    []string
	Conflict bool
}

// availableEvents are the events actor may fire on c now, as the engine
// decides (OpFireEvent under the policy, the event's roles, the state);
// an actor the policy does not let fire events gets none.
func (h *handler) availableEvents(r *http.Request, actor coaching.Actor, c coaching.Case, lang coaching.Language) ([]eventLink, error) {
	var names []string
	err := h.eng.ReadCase(r.Context(), actor, coaching.OpFireEvent, c.ID, func(v *coaching.CaseView) error {
		var err error
		names, err = v.Available()
		return err
	})
	if errors.Is(err, coaching.ErrForbidden) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]eventLink, 0, len(names))
	for _, n := range names {
		out = append(out, eventLink{Name: n, Label: eventLabel(c.Model, n, lang),
			Href: h.prefix + "/cases/" + url.PathEscape(string(c.ID)) + "/events/" + url.PathEscape(n)})
	}
	return out, nil
}

// eventLabel is the catalogue's name of a model's event, or the event's
// own name for a host's model.
func eventLabel(model, event string, lang coaching.Language) string {
	return label("event."+model+".", event, lang)
}

// eventForm answers GET /cases/{case}/events/{event}: the form of an
// event the actor may fire now.
func (h *handler) eventForm(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	c, spec, ok := h.firable(w, r, s, true)
	if !ok {
		return
	}
	v := h.newEventView(c, spec, s.Lang)
	v.Key = rand.Text()
	h.render(w, r, http.StatusOK, "event.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: v})
}

// firable reads the case and the event's definition and, with available,
// checks that the event is one the actor may fire on it now; it answers
// the request itself (404, 403, 409) when not. A form's POST leaves the
// last check to Fire, so that a form sent twice (a double click, a
// reload) is answered with the first result by its idempotency key.
func (h *handler) firable(w http.ResponseWriter, r *http.Request, s session, available bool) (coaching.Case, coaching.EventSpec, bool) {
	actor := s.actor()
	id := coaching.CaseID(r.PathValue("case"))
	event := r.PathValue("event")
	c, err := h.eng.Case(r.Context(), actor, id)
	if err != nil {
		h.failed(w, r, err)
		return c, coaching.EventSpec{}, false
	}
	m, ok := h.eng.Model(c.Model)
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
		return c, coaching.EventSpec{}, false
	}
	spec, ok := m.Event(event)
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
		return c, coaching.EventSpec{}, false
	}
	if !available {
		return c, spec, true
	}
	var avail []string
	err = h.eng.ReadCase(r.Context(), actor, coaching.OpFireEvent, id, func(v *coaching.CaseView) error {
		var err error
		avail, err = v.Available()
		return err
	})
	if err != nil {
		h.failed(w, r, err) // a policy denial is the 403 page
		return c, spec, false
	}
	if !slices.Contains(avail, event) {
		if !slices.ContainsFunc(spec.Roles, func(role coaching.Role) bool { return slices.Contains(s.Roles, role) }) {
			h.errorPage(w, r, http.StatusForbidden, "error.403.body")
		} else {
			h.errorPage(w, r, http.StatusConflict, "event.notnow")
		}
		return c, spec, false
	}
	return c, spec, true
}

// newEventView is the empty form of spec on c.
func (h *handler) newEventView(c coaching.Case, spec coaching.EventSpec, lang coaching.Language) *eventView {
	base := h.prefix + "/cases/" + url.PathEscape(string(c.ID))
	v := &eventView{CaseID: c.ID, CaseHref: base, Action: base + "/events/" + url.PathEscape(spec.Name), Event: spec.Name,
		Title: eventLabel(c.Model, spec.Name, lang), Version: c.Version, ReasonRequired: spec.RequireReason}
	if spec.Payload != nil {
		v.Fields = payloadFields(reflect.TypeOf(spec.Payload), lang)
	}
	return v
}

// payloadFields are the controls of a payload type's fields: one per
// exported field with a JSON name, its kind chosen from the Go type and
// its `validate` tag (required, oneof=, max=).
func payloadFields(t reflect.Type, lang coaching.Language) []formField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []formField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ff := formField{Name: name, Input: payloadPrefix + name, ID: "f-" + name, Label: fieldLabel(name, lang), goType: f.Type,
			ErrorID: "e-" + name}
		var oneof []string
		for tag := range strings.SplitSeq(f.Tag.Get("validate"), ",") {
			if tag == "dive" {
				break // the rest applies to the items of a list
			}
			k, arg, _ := strings.Cut(tag, "=")
			switch k {
			case "required":
				ff.Required = true
			case "oneof":
				oneof = strings.Fields(arg)
			case "max":
				ff.Max, _ = strconv.Atoi(arg)
			}
		}
		switch {
		case f.Type == reflect.TypeFor[coaching.Date]():
			ff.Control = controlDate
		case f.Type.Kind() == reflect.String && len(oneof) > 0:
			ff.Control = controlSelect
			for _, o := range oneof {
				ff.Options = append(ff.Options, fieldOption{Value: o, Label: label("option.", o, lang)})
			}
		case f.Type.Kind() == reflect.String && ff.Max > 0 && ff.Max <= longText:
			ff.Control = controlText
		case f.Type.Kind() == reflect.String:
			ff.Control = controlTextarea
		case f.Type.Kind() == reflect.Bool:
			ff.Control = controlCheckbox
			ff.Required = false // false is a value
		case f.Type.Kind() >= reflect.Int && f.Type.Kind() <= reflect.Uint64:
			ff.Control, ff.Integer = controlNumber, true
		case f.Type.Kind() == reflect.Float32 || f.Type.Kind() == reflect.Float64:
			ff.Control = controlNumber
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			ff.Control, ff.Max = controlList, 0
			ff.Hint, ff.HintID = catalogue["form.list.hint"].in(lang), "h-"+name
		default:
			ff.Control, ff.Max = controlJSON, 0
			ff.Hint, ff.HintID = catalogue["form.json.hint"].in(lang), "h-"+name
		}
		out = append(out, ff)
	}
	return out
}

// fieldLabel is the catalogue's label of a payload field, or its JSON
// name with the underscores as spaces for a host's own payload.
func fieldLabel(name string, lang coaching.Language) string {
	if tx, ok := catalogue["field."+name]; ok {
		return tx.in(lang)
	}
	return strings.ReplaceAll(name, "_", " ")
}

// fireEvent answers POST /cases/{case}/events/{event}: it fires the event
// with the form's payload, reason and the case version the form was
// shown with, and sends the browser back to the case page (303). A
// payload the engine refuses is the form again (422) with each problem
// beside its control; a rules rejection (422) lists the failing rules; a
// case changed meanwhile (409) is the fresh form with the values kept.
func (h *handler) fireEvent(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxEventForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return
	}
	c, spec, ok := h.firable(w, r, s, false)
	if !ok {
		return
	}
	event := spec.Name
	v := h.newEventView(c, spec, s.Lang)
	version, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if err != nil || version <= 0 {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return
	}
	v.Reason = r.PostForm.Get("reason")
	if v.Key = r.PostForm.Get("key"); len(v.Key) > maxKey {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return
	}
	payload, local := formPayload(v.Fields, r.PostForm)
	if len(local) > 0 {
		// The engine is not asked with a value that is not even of its
		// type; the rest of the form is checked here all the same, so
		// that every problem is shown at once.
		if spec.Payload != nil {
			local = append(local, checkRest(reflect.TypeOf(spec.Payload), payload)...)
		}
		if spec.RequireReason && strings.TrimSpace(v.Reason) == "" {
			local = append(local, coaching.FieldProblem{Field: "reason", Message: "required"})
		}
		v.problems(&coaching.ValidationError{Problems: local}, s.Lang)
		h.render(w, r, http.StatusUnprocessableEntity, "event.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: v})
		return
	}
	opts := &coaching.FireOptions{Reason: v.Reason, ExpectedVersion: version, IdempotencyKey: v.Key}
	if spec.Payload != nil {
		opts.Payload = payload
	}
	_, err = h.eng.Fire(r.Context(), s.actor(), c.ID, event, opts)
	var (
		ve *coaching.ValidationError
		re *coaching.RulesRejectedError
	)
	switch {
	case err == nil:
		http.Redirect(w, r, v.CaseHref+"?fired="+url.QueryEscape(event), http.StatusSeeOther)
		return
	case errors.As(err, &ve):
		v.problems(ve, s.Lang)
		h.render(w, r, http.StatusUnprocessableEntity, "event.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: v})
	case errors.As(err, &re):
		for _, f := range re.Failures {
			msg := f.Reason
			if tx, ok := catalogue["rule."+f.Rule]; ok {
				msg = tx.in(s.Lang)
			}
			v.Rules = append(v.Rules, msg)
		}
		h.render(w, r, http.StatusUnprocessableEntity, "event.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: v})
	case errors.Is(err, coaching.ErrConflict), errors.Is(err, coaching.ErrIdempotencyMismatch):
		// c was read after the change: v already carries the new version.
		// A form sent again changed (back, edit, send) after its key
		// fired is the same: the case is not as the form was shown.
		v.Conflict, v.Key = true, rand.Text()
		h.render(w, r, http.StatusConflict, "event.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: v})
	case errors.Is(err, coaching.ErrTransitionNotAllowed):
		h.errorPage(w, r, http.StatusConflict, "event.notnow")
	default:
		h.failed(w, r, err)
	}
}

// formPayload turns the posted values of fields into the payload's JSON
// and keeps each value on its field for the form shown again. An empty
// control leaves its field out (the type's zero value, which `required`
// refuses); a value that cannot be of the field's type (a number, a date,
// JSON) is a problem found here, before the engine is asked.
func formPayload(fields []formField, form url.Values) (json.RawMessage, []coaching.FieldProblem) {
	obj := map[string]any{}
	var probs []coaching.FieldProblem
	for i := range fields {
		f := &fields[i]
		raw := form.Get(f.Input)
		f.Value = raw
		val := strings.TrimSpace(raw)
		switch f.Control {
		case controlCheckbox:
			f.Checked = raw != ""
			obj[f.Name] = f.Checked
			continue
		case controlList:
			var items []string
			for line := range strings.Lines(raw) {
				if line = strings.TrimSpace(line); line != "" {
					items = append(items, line)
				}
			}
			if items != nil {
				obj[f.Name] = items
			}
			continue
		}
		if val == "" {
			continue
		}
		switch f.Control {
		case controlNumber:
			if f.Integer {
				if _, err := strconv.ParseInt(val, 10, 64); err != nil {
					probs = append(probs, coaching.FieldProblem{Field: f.Name, Message: "not a whole number"})
					continue
				}
			} else if _, err := strconv.ParseFloat(val, 64); err != nil {
				probs = append(probs, coaching.FieldProblem{Field: f.Name, Message: "not a number"})
				continue
			}
			obj[f.Name] = json.Number(val)
		case controlDate:
			if _, err := coaching.ParseDate(val); err != nil {
				probs = append(probs, coaching.FieldProblem{Field: f.Name, Message: "not a date"})
				continue
			}
			obj[f.Name] = val
		case controlJSON:
			if !json.Valid([]byte(val)) {
				probs = append(probs, coaching.FieldProblem{Field: f.Name, Message: "not JSON"})
				continue
			}
			obj[f.Name] = json.RawMessage(val)
		default:
			obj[f.Name] = raw
		}
		for j := range f.Options {
			f.Options[j].Selected = f.Options[j].Value == raw
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, append(probs, coaching.FieldProblem{Message: err.Error()})
	}
	return b, probs
}

// checkRest validates the fields of payload (the form's JSON without the
// values found unfit) as the engine would ([coaching.CheckPayload]).
func checkRest(t reflect.Type, payload json.RawMessage) []coaching.FieldProblem {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	ptr := reflect.New(t)
	if err := json.Unmarshal(payload, ptr.Interface()); err != nil {
		return nil // the engine would say so; the fields' own problems are shown
	}
	var ve *coaching.ValidationError
	if errors.As(coaching.CheckPayload("payload", ptr.Interface()), &ve) {
		return ve.Problems
	}
	return nil
}

// problems puts each of ve's problems beside its control (the first for
// a control with several) and into the error summary; a problem of no
// control of the form is in the summary only.
func (v *eventView) problems(ve *coaching.ValidationError, lang coaching.Language) {
	for _, p := range ve.Problems {
		msg := problemMessage(p.Message, lang)
		name := p.Field
		if i := strings.IndexAny(name, ".["); i >= 0 {
			name = name[:i] // a list's item or a nested field: the control
		}
		if name == "reason" {
			if v.ReasonError == "" {
				v.ReasonError = msg
				v.Errors = append(v.Errors, formError{Href: "#f-reason", Message: catalogue["form.reason"].in(lang) + ": " + msg})
			}
			continue
		}
		i := slices.IndexFunc(v.Fields, func(f formField) bool { return f.Name == name })
		if i < 0 {
			v.Errors = append(v.Errors, formError{Message: msg})
			continue
		}
		f := &v.Fields[i]
		if f.Error == "" {
			f.Error = msg
			v.Errors = append(v.Errors, formError{Href: "#" + f.ID, Message: f.Label + ": " + msg})
		}
	}
}

// problemMessage words one of the engine's (English) validation messages
// in lang: the ones the payload validator writes have their own texts,
// any other the general one.
func problemMessage(msg string, lang coaching.Language) string {
	num := func(prefix string) (string, bool) {
		rest, ok := strings.CutPrefix(msg, prefix)
		if !ok {
			return "", false
		}
		if _, err := strconv.ParseFloat(rest, 64); err != nil {
			return "", false
		}
		return rest, true
	}
	switch {
	case msg == "required" || strings.HasPrefix(msg, "required "):
		return catalogue["form.missing"].in(lang)
	case strings.HasPrefix(msg, "must be one of"):
		return catalogue["form.oneof"].in(lang)
	case msg == "not a whole number" || msg == "not a number":
		return catalogue["form.number"].in(lang)
	case msg == "not a date":
		return catalogue["form.date"].in(lang)
	case msg == "not JSON":
		return catalogue["form.json"].in(lang)
	}
	if n, ok := num("must be at most "); ok {
		return fmt.Sprintf(catalogue["form.max"].in(lang), n)
	}
	if n, ok := num("must be at least "); ok {
		return fmt.Sprintf(catalogue["form.min"].in(lang), n)
	}
	return catalogue["form.invalid"].in(lang)
}

// firedMessage is the case page's confirmation of an event just fired
// (?fired=), or "" for a name the model does not know.
func (h *handler) firedMessage(r *http.Request, model string, lang coaching.Language) string {
	ev := r.URL.Query().Get("fired")
	if ev == "" {
		return ""
	}
	m, ok := h.eng.Model(model)
	if !ok {
		return ""
	}
	if _, ok := m.Event(ev); !ok {
		return ""
	}
	return fmt.Sprintf(catalogue["event.fired"].in(lang), eventLabel(model, ev, lang))
}
