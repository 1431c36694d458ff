package webui

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	coachsession "github.com/valmennus/valmennus/coaching/session"
)

// The case page's work forms: a coach or a personal tutor records a
// coaching session held with the student (coaching/session's Record), plans
// an item for the case (caseload's Plan) and logs a contact (caseload's
// LogContact), each on a page of its own reached from its section of the
// case page: GET {prefix}/cases/{case}/{work}/new shows the form, POST to
// the same path saves it and answers 303 to the case page with a
// confirmation, or the form again (422) with each problem beside its
// control and in a summary on top. The pages are staff's (a family's
// session gets the 403 page); another organisation's case is the 404
// page; whoever the policy does not let do the work gets the 403 page.
//
// Each form carries a hidden per-form key, so that the form sent twice —
// a double click, the browser resending it, a retry after a timeout —
// saves once: a session's is coaching/session's RecordKeyed; the caseload
// has no key, so a planned item's and a contact's id is derived from the
// signed-in person and the key (formID), a second save of it is refused by
// the store as a duplicate, and the page answers as the first save did
// when what was saved is what the form says.

// Works of the case page's forms: the path segment, the confirmation's
// ?done= value and the texts' middle part ("casework.<work>.…").
const (
	workSession = "sessions"
	workPlanned = "planned"
	workContact = "contacts"
)

// caseWorks are the works in the order the case page offers them.
var caseWorks = []string{workSession, workPlanned, workContact}

// maxCaseworkForm bounds a work form's body: a few short fields and
// texts of at most 2000 bytes.
const maxCaseworkForm = 32 << 10

// caseworkView is a work form page's data (casework.html).
type caseworkView struct {
	Work       string // workSession, workPlanned or workContact
	Name       string // the participant's, when the policy shows it
	NameHidden bool
	CaseHref   string
	Action     string
	// Key is the form's idempotency key, kept when the form is shown
	// again and new after a repeat that differs (Resent).
	Key    string
	Parts  []workPart
	Errors []formError
}

// workPart is one control of a work form: a field (work_form.html's
// work-field, or a single checkbox) or a group of checkboxes.
type workPart struct {
	Field *workField
	Group *checkGroup
}

// checkGroup is a fieldset of checkboxes sharing a form name, e.g. the
// staff present. Fixed, when set, is a member who is always included (the
// signed-in person), said in words rather than as a checkbox that cannot
// be cleared.
type checkGroup struct {
	Key, ID, Legend, Hint, Fixed, Error string
	Options                             []checkOption
}

// checkOption is one checkbox of a group.
type checkOption struct {
	ID, Name, Value, Label string
	Checked                bool
}

// DescribedBy are the ids of the group's hint and error.
func (g *checkGroup) DescribedBy() string { return describedBy(g.ID, g.Hint, g.Error) }

// caseWorkLinks are the case page's links to the work forms the policy
// lets the signed-in person use ("" for one it does not).
type caseWorkLinks struct {
	Session, Planned, Contact string
}

// mayWork reports whether actor may do work on the case c (read with
// may): staff only. A session is recorded by whoever may record the
// case's attendance or change the case (session.Record's rule); an item is
// planned by a team member who may change the case (its owner is the
// planner); a contact is logged by whoever may change the case.
func mayWork(work string, actor coaching.Actor, c coaching.Case, may caseReads) bool {
	if !slices.ContainsFunc(actor.Roles, coaching.Role.IsStaff) {
		return false
	}
	switch work {
	case workSession:
		return may.change || may.recordAttendance
	case workPlanned:
		return may.change && teamRole(c.Team, actor.ID) != ""
	case workContact:
		return may.change
	}
	return false
}

// workLinks are the links to the work forms actor may use on c.
func (h *handler) workLinks(actor coaching.Actor, c coaching.Case, may caseReads) caseWorkLinks {
	href := func(work string) string {
		if !mayWork(work, actor, c, may) {
			return ""
		}
		return h.workHref(c.ID, work)
	}
	return caseWorkLinks{Session: href(workSession), Planned: href(workPlanned), Contact: href(workContact)}
}

func (h *handler) workHref(id coaching.CaseID, work string) string {
	return h.prefix + "/cases/" + url.PathEscape(string(id)) + "/" + work + "/new"
}

// workDone is the case page's confirmation of a work form just saved
// (?done=), or "" for a value that is not a work.
func workDone(r *http.Request, lang coaching.Language) string {
	d := r.URL.Query().Get("done")
	if !slices.Contains(caseWorks, d) {
		return ""
	}
	return catalogue["casework."+d+".done"].in(lang)
}

// teamRole is actor's first staff role on the team, or "".
func teamRole(team []coaching.TeamMember, actorID string) coaching.Role {
	for _, m := range team {
		if m.ActorID == actorID && m.Role.IsStaff() {
			return m.Role
		}
	}
	return ""
}

// workCase reads the case of a work form's request under the policy and
// checks that the signed-in person may do the work: false when the
// request has been answered (the 403 page for a family's session or for
// work the policy does not allow, the 404 page for another organisation's
// case).
func (h *handler) workCase(w http.ResponseWriter, r *http.Request, work string) (session, coaching.Case, *caseworkView, bool) {
	s, ok := h.signedIn(w, r)
	if !ok || !h.staffOnly(w, r, s) {
		return s, coaching.Case{}, nil, false
	}
	actor := s.actor()
	id := coaching.CaseID(r.PathValue("case"))
	c, err := h.eng.Case(r.Context(), actor, id)
	if err != nil {
		h.failed(w, r, err)
		return s, coaching.Case{}, nil, false
	}
	var head caseView
	may, err := h.readCaseHead(r, actor, id, &head)
	if err != nil {
		h.failed(w, r, err)
		return s, coaching.Case{}, nil, false
	}
	if !mayWork(work, actor, c, may) {
		h.errorPage(w, r, http.StatusForbidden, "error.403.body")
		return s, coaching.Case{}, nil, false
	}
	href := h.prefix + "/cases/" + url.PathEscape(string(id))
	return s, c, &caseworkView{Work: work, Name: head.Name, NameHidden: head.NameHidden, CaseHref: href,
		Action: h.workHref(id, work)}, true
}

// workForm answers GET /cases/{case}/{work}/new: the empty form with a new
// key.
func (h *handler) workForm(work string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, c, v, ok := h.workCase(w, r, work)
		if !ok {
			return
		}
		v.Key = rand.Text()
		v.Parts = h.workParts(work, s, c, nil)
		h.renderWork(w, r, s, http.StatusOK, v)
	}
}

func (h *handler) renderWork(w http.ResponseWriter, r *http.Request, s session, status int, v *caseworkView) {
	h.render(w, r, status, "casework.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: v})
}

// workParts are work's controls on case c, filled from form (a refused
// form's values; empty for a new form, which gets the defaults).
func (h *handler) workParts(work string, s session, c coaching.Case, form url.Values) []workPart {
	lang := s.Lang
	tx := func(key string) string { return catalogue[key].in(lang) }
	today := coaching.DateOf(h.clock.Now()).String()
	fresh := form == nil
	value := func(name, def string) string {
		if fresh {
			return def
		}
		return form.Get(name)
	}
	field := func(f workField) workPart {
		f.ID, f.Name, f.Value = "f-"+f.Key, f.Key, value(f.Key, f.Value)
		if f.Control == "checkbox" && f.Value != "" {
			f.Value = "1" // checked (casework.html)
		}
		for i := range f.Options {
			f.Options[i].Selected = f.Options[i].Value == f.Value
		}
		return workPart{Field: &f}
	}
	group := func(g checkGroup) workPart {
		g.ID = "g-" + g.Key
		for i := range g.Options {
			o := &g.Options[i]
			o.ID, o.Name = g.ID+"-"+strconv.Itoa(i), g.Key
			o.Checked = slices.Contains(form[g.Key], o.Value)
		}
		return workPart{Group: &g}
	}
	prefix := "casework." + work + "."
	switch work {
	case workSession:
		kinds := []fieldOption{{Value: string(coachsession.Individual), Label: label("session.kind.", string(coachsession.Individual), lang)},
			{Value: string(coachsession.Group), Label: label("session.kind.", string(coachsession.Group), lang)}}
		me := sessionRole(s.actor(), c.Team)
		if me.IsWelfare() {
			kinds = append(kinds, fieldOption{Value: string(coachsession.Outreach), Label: label("session.kind.", string(coachsession.Outreach), lang)})
		}
		var staff []checkOption
		seen := map[string]bool{s.ID: true}
		for _, m := range c.Team {
			if !m.Role.IsStaff() || seen[m.ActorID] {
				continue
			}
			seen[m.ActorID] = true
			staff = append(staff, checkOption{Value: string(m.Role) + ":" + m.ActorID, Label: memberName(m, lang)})
		}
		var elements []checkOption
		for _, e := range coachsession.ApproachElements {
			elements = append(elements, checkOption{Value: string(e), Label: label("session.element.", string(e), lang)})
		}
		parts := []workPart{
			field(workField{Key: "kind", Label: tx(prefix + "kind"), Control: "select", Required: true, Options: kinds,
				Value: string(coachsession.Individual)}),
			field(workField{Key: "date", Label: tx(prefix + "date"), Control: "date", Required: true, Max: today, Value: today}),
			field(workField{Key: "hours", Label: tx(prefix + "hours"), Control: "decimal", Required: true, MaxLen: 6, Hint: tx(prefix + "hours.hint")}),
		}
		staffGroup := checkGroup{Key: "staff", Legend: tx(prefix + "staff"),
			Fixed: memberName(coaching.TeamMember{ActorID: s.ID, Name: s.Name, Role: me}, lang)}
		if len(staff) > 0 {
			staffGroup.Hint = tx(prefix + "staff.hint")
		}
		staffGroup.Options = staff
		parts = append(parts, group(staffGroup),
			group(checkGroup{Key: "elements", Legend: tx(prefix + "elements"), Options: elements}),
			field(workField{Key: "peer_support", Label: tx(prefix + "peer"), Control: "textarea", MaxLen: 2000, Hint: tx(prefix + "peer.hint")}),
			field(workField{Key: "topic", Label: tx(prefix + "topic"), Control: "text", MaxLen: 500, Hint: tx(prefix + "topic.hint")}))
		if me.IsWelfare() {
			parts = append(parts, field(workField{Key: "contacts", Label: tx(prefix + "contacts"), Control: "number", Min: "0",
				Max: "10000", Hint: tx(prefix + "contacts.hint")}))
		}
		return parts
	case workPlanned:
		var kinds []fieldOption
		for _, k := range caseload.PlannedKinds {
			kinds = append(kinds, fieldOption{Value: string(k), Label: label("planned.", string(k), lang)})
		}
		return []workPart{
			field(workField{Key: "kind", Label: tx(prefix + "kind"), Control: "select", Required: true, Options: kinds}),
			field(workField{Key: "title", Label: tx(prefix + "name"), Control: "text", Required: true, MaxLen: 200, Hint: tx("work.note.hint")}),
			field(workField{Key: "on", Label: tx(prefix + "on"), Control: "date", Required: true, Min: today}),
			field(workField{Key: "start", Label: tx(prefix + "start"), Control: "time", Hint: tx(prefix + "start.hint")}),
		}
	default: // workContact
		var kinds []fieldOption
		for _, k := range caseload.ContactKinds {
			kinds = append(kinds, fieldOption{Value: string(k), Label: label("contact.", string(k), lang)})
		}
		return []workPart{
			field(workField{Key: "kind", Label: tx(prefix + "kind"), Control: "select", Required: true, Options: kinds}),
			field(workField{Key: "on", Label: tx(prefix + "on"), Control: "date", Required: true, Max: today, Value: today}),
			field(workField{Key: "with_guardian", Label: tx(prefix + "guardian"), Control: "checkbox"}),
			field(workField{Key: "note", Label: tx(prefix + "note"), Control: "text", MaxLen: 500, Hint: tx(prefix + "note.hint")}),
		}
	}
}

// sessionRole is the role the signed-in person records a session in:
// their role on the case's team, else their first staff role (a teacher
// of the organisation recording attendance).
func sessionRole(actor coaching.Actor, team []coaching.TeamMember) coaching.Role {
	if r := teamRole(team, actor.ID); r != "" {
		return r
	}
	for _, r := range actor.Roles {
		if r.IsStaff() {
			return r
		}
	}
	return ""
}

// workSave answers POST /cases/{case}/{work}/new: the form saved as the
// signed-in person, then 303 to the case page with the confirmation; a
// form the service refuses is the page again (422).
func (h *handler) workSave(work string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, c, v, ok := h.workCase(w, r, work)
		if !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxCaseworkForm)
		if err := r.ParseForm(); err != nil {
			h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
			return
		}
		form := r.PostForm
		if form == nil {
			form = url.Values{} // not nil: a form sent back gets no defaults
		}
		v.Key = form.Get("key")
		var err error
		switch work {
		case workSession:
			err = h.saveSession(r, s, c, form)
		case workPlanned:
			err = h.savePlanned(r, s, c, form)
		default:
			err = h.saveContact(r, s, c, form)
		}
		var ve *coaching.ValidationError
		switch {
		case err == nil:
			http.Redirect(w, r, v.CaseHref+"?done="+work, http.StatusSeeOther)
		case errors.As(err, &ve):
			v.Parts = h.workParts(work, s, c, form)
			v.refused(ve, s.Lang)
			if v.Key == "" || slices.ContainsFunc(ve.Problems, func(p coaching.FieldProblem) bool { return p.Field == "key" }) {
				v.Key = rand.Text() // the form was saved before: sending it again saves anew
			}
			h.renderWork(w, r, s, http.StatusUnprocessableEntity, v)
		default:
			h.failed(w, r, err)
		}
	}
}

// decimalInput matches a number as people type one: digits with a decimal
// comma or point ("1,5", "1.5", ",5"); no sign, exponent or grouping.
var decimalInput = regexp.MustCompile(`^(\d+([.,]\d*)?|[.,]\d+)$`)

// parseDecimal reads a number typed as text, a decimal comma or point.
func parseDecimal(v string) (decimal.Decimal, bool) {
	v = strings.TrimSpace(v)
	if !decimalInput.MatchString(v) || len(v) > 12 {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(strings.Replace(v, ",", ".", 1))
	return d, err == nil
}

// formDate reads a date field: zero when empty, a problem when not a
// date.
func formDate(form url.Values, field string, local *[]coaching.FieldProblem) coaching.Date {
	v := strings.TrimSpace(form.Get(field))
	if v == "" {
		return coaching.Date{}
	}
	d, err := coaching.ParseDate(v)
	if err != nil {
		*local = append(*local, coaching.FieldProblem{Field: field, Message: "not a date"})
	}
	return d
}

// kindRequired is the problem of a form sent without its kind chosen
// (the services would call the empty kind unknown).
func kindRequired(form url.Values) []coaching.FieldProblem {
	if strings.TrimSpace(form.Get("kind")) == "" {
		return []coaching.FieldProblem{{Field: "kind", Message: "required"}}
	}
	return nil
}

// formInvalid is local's problems as the service's error, or nil.
func formInvalid(subject string, local []coaching.FieldProblem) error {
	if len(local) == 0 {
		return nil
	}
	return &coaching.ValidationError{Subject: subject, Problems: local}
}

// saveSession records the form's coaching session on case c: the signed-in
// person and the team members checked present, this case as its
// participant, with the form's key (session.Service.RecordKeyed).
func (h *handler) saveSession(r *http.Request, s session, c coaching.Case, form url.Values) error {
	actor := s.actor()
	local := kindRequired(form)
	in := coachsession.Session{Kind: coachsession.Kind(form.Get("kind")), Date: formDate(form, "date", &local),
		Cases: []coaching.CaseID{c.ID}, PeerSupport: strings.TrimSpace(textarea(form.Get("peer_support"))),
		Topic: strings.TrimSpace(form.Get("topic")),
		Staff: []coachsession.Staff{{ActorID: actor.ID, Role: sessionRole(actor, c.Team)}}}
	if in.Date.IsZero() && len(local) == 0 {
		local = append(local, coaching.FieldProblem{Field: "date", Message: "required"})
	}
	switch hours := strings.TrimSpace(form.Get("hours")); {
	case hours == "":
		local = append(local, coaching.FieldProblem{Field: "hours", Message: "required"})
	default:
		d, ok := parseDecimal(hours)
		if !ok {
			local = append(local, coaching.FieldProblem{Field: "hours", Message: "not a number"})
		}
		in.Hours = d
	}
	if v := strings.TrimSpace(form.Get("contacts")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			local = append(local, coaching.FieldProblem{Field: "contacts", Message: "not a whole number"})
		}
		in.Contacts = n
	}
	for _, v := range form["staff"] {
		role, id, _ := strings.Cut(v, ":")
		// Only members of the case's team are offered; anything else
		// is refused as the form's own mistake, never recorded.
		if !slices.ContainsFunc(c.Team, func(m coaching.TeamMember) bool { return m.ActorID == id && string(m.Role) == role && m.Role.IsStaff() }) {
			local = append(local, coaching.FieldProblem{Field: "staff", Message: "must be one of the team"})
			break
		}
		if id != actor.ID {
			in.Staff = append(in.Staff, coachsession.Staff{ActorID: id, Role: coaching.Role(role)})
		}
	}
	for _, e := range form["elements"] {
		in.Elements = append(in.Elements, coachsession.ApproachElement(e))
	}
	if err := formInvalid("session", local); err != nil {
		return err
	}
	if key := form.Get("key"); key != "" {
		_, err := h.sess.RecordKeyed(r.Context(), actor, key, in)
		return err
	}
	_, err := h.sess.Record(r.Context(), actor, in)
	return err
}

// formID is the id of an item saved from a form with key by actorID: a
// digest of the two, so that the form sent again names the same item,
// and one person's key never another's. "" without a key.
func formID(kind, actorID, key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(kind + "\x00" + actorID + "\x00" + key))
	return "w" + kind[:1] + "-" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// resent is the refusal of a form saved before with other values: the
// page shows it again with a new key.
func resent(subject string) error {
	return &coaching.ValidationError{Subject: subject, Problems: []coaching.FieldProblem{{Field: "key", Message: "resent"}}}
}

// savePlanned plans the form's item on case c, owned by the signed-in
// person. A second save with the form's key finds the first (the store
// refuses its id as a duplicate): the same item is the first save's
// answer, another one the form again with a new key.
func (h *handler) savePlanned(r *http.Request, s session, c coaching.Case, form url.Values) error {
	actor := s.actor()
	local := kindRequired(form)
	p := caseload.Planned{ID: formID("planned", actor.ID, form.Get("key")), Kind: caseload.PlannedKind(form.Get("kind")),
		Title: strings.TrimSpace(form.Get("title")), Cases: []coaching.CaseID{c.ID}, On: formDate(form, "on", &local)}
	if p.On.IsZero() && len(local) == 0 {
		local = append(local, coaching.FieldProblem{Field: "on", Message: "required"})
	}
	if v := strings.TrimSpace(form.Get("start")); v != "" {
		t, err := time.Parse("15:04", strings.Replace(v, ".", ":", 1))
		switch {
		case err != nil:
			local = append(local, coaching.FieldProblem{Field: "start", Message: "not a time"})
		case !p.On.IsZero():
			p.Start = p.On.At(t.Hour(), t.Minute())
		}
	}
	if err := formInvalid("planned", local); err != nil {
		return err
	}
	_, err := h.cl.Plan(r.Context(), actor, p)
	var dup *coaching.DuplicateError
	if p.ID == "" || !errors.As(err, &dup) {
		return err
	}
	items, err := h.cl.CaseItems(r.Context(), actor, c.ID, caseload.CaseItemsQuery{From: p.On, To: p.On, Limit: caseload.MaxLimit,
		Statuses: []caseload.PlannedStatus{caseload.PlannedOpen, caseload.PlannedHeld, caseload.PlannedCancelled}})
	if err != nil {
		return err
	}
	for _, first := range items {
		if first.ID == p.ID && first.Kind == p.Kind && first.Title == p.Title && first.Start.Equal(p.Start) {
			return nil
		}
	}
	return resent("planned")
}

// saveContact logs the form's contact on case c, as savePlanned plans.
func (h *handler) saveContact(r *http.Request, s session, c coaching.Case, form url.Values) error {
	actor := s.actor()
	local := kindRequired(form)
	ct := caseload.Contact{ID: formID("contact", actor.ID, form.Get("key")), CaseID: c.ID, Kind: caseload.ContactKind(form.Get("kind")),
		On: formDate(form, "on", &local), WithGuardian: form.Get("with_guardian") == "1", Note: strings.TrimSpace(form.Get("note"))}
	if ct.On.IsZero() && len(local) == 0 {
		local = append(local, coaching.FieldProblem{Field: "on", Message: "required"}) // LogContact would take today
	}
	if ct.Kind == caseload.ContactGuardianMeeting {
		ct.WithGuardian = true
	}
	if err := formInvalid("contact", local); err != nil {
		return err
	}
	_, err := h.cl.LogContact(r.Context(), actor, ct)
	var dup *coaching.DuplicateError
	if ct.ID == "" || !errors.As(err, &dup) {
		return err
	}
	cs, err := h.cl.Contacts(r.Context(), actor, c.ID, caseload.MaxLimit)
	if err != nil {
		return err
	}
	for _, first := range cs {
		if first.ID == ct.ID && first.Kind == ct.Kind && first.On == ct.On && first.WithGuardian == ct.WithGuardian && first.Note == ct.Note {
			return nil
		}
	}
	return resent("contact")
}

// refused puts ve's problems beside the form's controls and into the
// summary; a problem of no control (the case, the key) in the summary
// only.
func (v *caseworkView) refused(ve *coaching.ValidationError, lang coaching.Language) {
	prefix := "casework." + v.Work + "."
	for _, p := range ve.Problems {
		name := p.Field
		if i := strings.IndexAny(name, ".["); i >= 0 {
			name = name[:i]
		}
		msg := caseworkProblem(p, lang)
		if name == "key" {
			v.Errors = append(v.Errors, formError{Message: catalogue[prefix+"resent"].in(lang)})
			continue
		}
		placed := false
		for _, part := range v.Parts {
			switch {
			case part.Field != nil && part.Field.Key == name:
				if part.Field.Error == "" {
					part.Field.Error = msg
					v.Errors = append(v.Errors, formError{Href: "#" + part.Field.ID, Message: part.Field.Label + ": " + msg})
				}
				placed = true
			case part.Group != nil && part.Group.Key == name:
				if part.Group.Error == "" {
					part.Group.Error = msg
					href := "#" + part.Group.ID
					if len(part.Group.Options) > 0 {
						href = "#" + part.Group.Options[0].ID
					}
					v.Errors = append(v.Errors, formError{Href: href, Message: part.Group.Legend + ": " + msg})
				}
				placed = true
			}
		}
		if !placed {
			v.Errors = append(v.Errors, formError{Message: msg})
		}
	}
}

// caseworkProblem words one of the services' (English) problems in lang.
func caseworkProblem(p coaching.FieldProblem, lang coaching.Language) string {
	switch {
	case p.Message == "at most two decimals":
		return catalogue["casework.problem.decimals"].in(lang)
	case strings.HasPrefix(p.Message, "an outreach visit is made by welfare staff"):
		return catalogue["casework.problem.outreach"].in(lang)
	case p.Message == "not a time":
		return catalogue["casework.problem.time"].in(lang)
	case p.Message == "must be one of the team":
		return catalogue["form.oneof"].in(lang)
	case strings.HasPrefix(p.Message, "longer than "):
		return catalogue["casework.problem.long"].in(lang)
	case strings.HasPrefix(p.Message, "contains "), p.Message == "is not valid UTF-8":
		return catalogue["casework.problem.characters"].in(lang)
	case strings.HasPrefix(p.Message, "is not on the planned date"):
		return catalogue["casework.problem.time"].in(lang)
	}
	return workProblem(p.Message, lang)
}
