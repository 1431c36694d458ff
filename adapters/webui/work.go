package webui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// The staff's work pages: the alerts (GET /alerts) and the week's plan
// (GET /week), each item's actions a plain form POST carrying the version
// the page was shown with. A refused form is the page again (422) with the
// problems beside the item's controls, its disclosure open; an item
// changed meanwhile is the fresh page (409) saying so.

// maxWorkForm bounds a work page's form body: a few short fields.
const maxWorkForm = 16 << 10

// Scopes of the caseload and the alerts: the signed-in person's own (their
// teams' cases, the alerts they own) or their organisation's.
const (
	scopeMine = "mine"
	scopeOrg  = "org"
)

// orgRoles are offered the organisation's caseload and alerts (and get
// them by default); the lists themselves ask the policy case by case, so a
// host's own policy still decides what they hold.
var orgRoles = []coaching.Role{coaching.RoleHeadOfStudies}

// ReadsOrganisation reports whether the scope choice (mine or the
// organisation's) is offered.
func (u *userView) ReadsOrganisation() bool {
	return slices.ContainsFunc(u.Roles, func(r coaching.Role) bool { return slices.Contains(orgRoles, r) })
}

// Works reports whether the menu offers the alerts and the week's plan:
// they are staff work.
func (u *userView) Works() bool { return slices.ContainsFunc(u.Roles, coaching.Role.IsStaff) }

// readScope reads the scope parameter: mine or org, by default org for
// those offered it. A value that is neither is "" (a 400).
func readScope(v string, u *userView) string {
	switch v {
	case "":
		if u.ReadsOrganisation() {
			return scopeOrg
		}
		return scopeMine
	case scopeMine, scopeOrg:
		return v
	}
	return ""
}

// staffOnly answers a session that is no staff member's with the 403 page
// (a family's, a funder's): the work pages are staff's.
func (h *handler) staffOnly(w http.ResponseWriter, r *http.Request, s session) bool {
	if (&userView{Roles: s.Roles}).Works() {
		return true
	}
	h.errorPage(w, r, http.StatusForbidden, "error.403.body")
	return false
}

// caseInfo is what a work page shows of a case: its participant's name,
// where the policy lets the actor read the participant (as the case page
// does), and its team (the owners' names, the reassignment choices).
type caseInfo struct {
	Name string
	Team []coaching.TeamMember
}

// caseInfos reads the cases ids in one read transaction, under the policy:
// a case the actor may not read, or that is gone, gets a zero caseInfo.
func (h *handler) caseInfos(ctx context.Context, actor coaching.Actor, ids []coaching.CaseID) (map[coaching.CaseID]caseInfo, error) {
	out := make(map[coaching.CaseID]caseInfo, len(ids))
	err := h.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		for _, id := range ids {
			if _, ok := out[id]; ok {
				continue
			}
			out[id] = caseInfo{}
			c, err := sc.ReadTx().Case(ctx, id)
			if errors.Is(err, coaching.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !sc.MayRead(coaching.OpReadCase, c) {
				continue
			}
			ci := caseInfo{Team: c.Team}
			if sc.MayRead(coaching.OpReadParticipant, c) {
				p, err := sc.ReadTx().Participant(ctx, c.Organisation, c.ParticipantID)
				switch {
				case err == nil:
					ci.Name = strings.TrimSpace(p.GivenNames + " " + p.FamilyName)
				case !errors.Is(err, coaching.ErrNotFound):
					return err
				}
			}
			out[id] = ci
		}
		return nil
	})
	return out, err
}

// caseLink is a link to a case page, named by its participant or, where
// the policy hides the name, by the case's number on the page.
type caseLink struct {
	Href, Name string
}

func (h *handler) caseLink(id coaching.CaseID, ci caseInfo, lang coaching.Language) caseLink {
	name := ci.Name
	if name == "" {
		name = catalogue["work.case.unnamed"].in(lang)
	}
	return caseLink{Href: h.prefix + "/cases/" + url.PathEscape(string(id)), Name: name}
}

// workField is one control of a work form, its texts in the page's
// language.
type workField struct {
	// Key names the field in the service's problems ("action.kind") and
	// in a refused form's values; Name is its form name.
	Key, Name string
	ID        string
	Label     string
	Control   string // text, decimal (a number typed as text), date, textarea or select
	Required  bool
	MaxLen    int
	Min, Max  string // a date's bounds
	Hint      string
	Options   []fieldOption
	Value     string
	Error     string
}

// DescribedBy are the ids of the field's hint and error, for
// aria-describedby.
func (f workField) DescribedBy() string { return describedBy(f.ID, f.Hint, f.Error) }

// describedBy are the ids of a control's hint and error (id+"-h",
// id+"-e"), those it has, for aria-describedby.
func describedBy(id, hint, err string) string {
	var ids []string
	if hint != "" {
		ids = append(ids, id+"-h")
	}
	if err != "" {
		ids = append(ids, id+"-e")
	}
	return strings.Join(ids, " ")
}

// hiddenField is a form's hidden input.
type hiddenField struct{ Name, Value string }

// workForm is one action on an item as a form (work_form.html).
type workForm struct {
	Action, Class, Legend, Submit string
	Hidden                        []hiddenField
	Fields                        []workField
}

// itemForms are an item's action forms and, on the page shown again after
// one was refused, its problems.
type itemForms struct {
	// Label opens the disclosure of the item (its Title), for a screen
	// reader's list of controls.
	Label, Title string
	Forms        []workForm
	// Open shows the item's actions open; Errors are the problems with
	// links to their controls (parts.html's form.summary).
	Open   bool
	Errors []formError
}

// refused puts a refused form's values back on the item's fields (the
// keys of each form's fields are distinct) and ve's problems beside
// them; a problem of no field of the item is in the summary only.
func (f *itemForms) refused(values map[string]string, ve *coaching.ValidationError, lang coaching.Language) {
	f.Open = true
	var fields []*workField
	for i := range f.Forms {
		for j := range f.Forms[i].Fields {
			fd := &f.Forms[i].Fields[j]
			if v, ok := values[fd.Key]; ok {
				fd.Value = v
				for k := range fd.Options {
					fd.Options[k].Selected = fd.Options[k].Value == v
				}
			}
			fields = append(fields, fd)
		}
	}
	for _, p := range ve.Problems {
		msg := workProblem(p.Message, lang)
		i := slices.IndexFunc(fields, func(fd *workField) bool { return fd.Key == p.Field })
		if i < 0 {
			if cut := strings.IndexAny(p.Field, ".["); cut >= 0 {
				i = slices.IndexFunc(fields, func(fd *workField) bool { return fd.Key == p.Field[:cut] })
			}
		}
		if i < 0 {
			f.Errors = append(f.Errors, formError{Message: msg})
			continue
		}
		if fd := fields[i]; fd.Error == "" {
			fd.Error = msg
			f.Errors = append(f.Errors, formError{Href: "#" + fd.ID, Message: fd.Label + ": " + msg})
		}
	}
}

// workProblem words one of the caseload's (English) validation messages
// in lang.
func workProblem(msg string, lang coaching.Language) string {
	switch {
	case strings.HasPrefix(msg, "must be more than 0"):
		return catalogue["form.positive"].in(lang)
	case msg == "is in the past":
		return catalogue["form.past"].in(lang)
	case msg == "is in the future":
		return catalogue["form.future"].in(lang)
	}
	return problemMessage(msg, lang)
}

// postedValues are the values of a work form's fields by their keys,
// given as key and form name pairs: only those the form sent, so that
// the other forms of the item keep theirs when the page is shown again.
func postedValues(form url.Values, keyNames ...string) map[string]string {
	out := map[string]string{}
	for i := 0; i+1 < len(keyNames); i += 2 {
		if v, ok := form[keyNames[i+1]]; ok && len(v) > 0 {
			out[keyNames[i]] = v[0]
		}
	}
	return out
}

// postedAction reads a work form's POST: the session (staff only), the
// action (one of actions, else the 404 page) and the version the page was
// shown with (else the 400 page); false when the request has been
// answered.
func (h *handler) postedAction(w http.ResponseWriter, r *http.Request, actions []string) (session, string, int64, bool) {
	s, ok := h.signedIn(w, r)
	if !ok || !h.staffOnly(w, r, s) {
		return s, "", 0, false
	}
	action := r.PathValue("action")
	if !slices.Contains(actions, action) {
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
		return s, "", 0, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxWorkForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return s, "", 0, false
	}
	v, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if err != nil || v <= 0 {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return s, "", 0, false
	}
	return s, action, v, true
}

// actionDone answers a work action's result: 303 to done when it was
// taken; again(422, the problems) for a refused form, again(409, nil) for
// an item changed meanwhile (or no longer open to the action); the error
// page for anything else.
func (h *handler) actionDone(w http.ResponseWriter, r *http.Request, err error, done string,
	again func(status int, ve *coaching.ValidationError)) {
	var ve *coaching.ValidationError
	switch {
	case err == nil:
		http.Redirect(w, r, done, http.StatusSeeOther)
	case errors.As(err, &ve):
		again(http.StatusUnprocessableEntity, ve)
	case errors.Is(err, coaching.ErrConflict), errors.Is(err, coaching.ErrTransitionNotAllowed):
		again(http.StatusConflict, nil)
	default:
		h.failed(w, r, err)
	}
}

// The alerts page.

// alertActions are the actions of POST /alerts/{alert}/{action}.
var alertActions = []string{"acknowledge", "resolve", "dismiss", "reassign"}

// resolveActions are the action kinds a resolution is recorded with.
var resolveActions = []caseload.ActionKind{caseload.ActionSession, caseload.ActionReferral, caseload.ActionGuardianContact,
	caseload.ActionNote}

// alertsView is the alerts page's data.
type alertsView struct {
	Scope, Status string
	OrgScope      bool
	Alerts        []alertItem
	Next, First   string
	// Done confirms an action just taken; Conflict says an alert changed
	// before the action reached it.
	Done     string
	Conflict bool
	Invalid  bool // the query's parameters are not valid
}

// alertItem is one alert on the page.
type alertItem struct {
	N       int // its place on the page, for the controls' ids
	ID      string
	Action  string // the path its forms post to, without the action
	Version int64
	Case    caseLink
	Cause   string
	Title   string
	Due     coaching.Date
	Overdue bool
	Status  caseload.AlertStatus
	Owner   string
	Raised  string // when and by whom
	Open    bool   // may be acknowledged
	Active  bool   // may be resolved, dismissed or reassigned
	// Forms are the actions behind the disclosure (resolve, dismiss,
	// reassign); the acknowledgement is a button of its own.
	Forms    itemForms
	Resolved *caseload.Action
	Reason   string
}

// alertQuery reads the page's query: scope (mine, org), status (active,
// closed) and the page's after.
func alertQuery(v url.Values, u *userView) (scope, status string, q caseload.AlertQuery, ok bool) {
	scope = readScope(v.Get("scope"), u)
	status = v.Get("status")
	switch status {
	case "", "active":
		status = "active"
	case "closed":
		q.Statuses = []caseload.AlertStatus{caseload.AlertResolved, caseload.AlertDismissed}
	default:
		return scope, "active", q, false
	}
	q.After = v.Get("after")
	return scope, status, q, scope != ""
}

// alertsPage answers GET /alerts.
func (h *handler) alertsPage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok || !h.staffOnly(w, r, s) {
		return
	}
	av, err := h.alertsData(r, s, r.URL.Query())
	if err != nil {
		h.failed(w, r, err)
		return
	}
	status := http.StatusOK
	if av.Invalid {
		status = http.StatusBadRequest
	}
	av.Done = doneMessage(r, "alert", alertActions, s.Lang)
	h.render(w, r, status, "alerts.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: av})
}

// alertsData reads the alerts the query asks for.
func (h *handler) alertsData(r *http.Request, s session, v url.Values) (*alertsView, error) {
	u := &userView{Roles: s.Roles}
	scope, status, q, ok := alertQuery(v, u)
	av := &alertsView{Scope: scope, Status: status, OrgScope: u.ReadsOrganisation()}
	if scope == "" {
		av.Scope = scopeMine
	}
	if !ok {
		av.Invalid = true
		return av, nil
	}
	actor := s.actor()
	var (
		page caseload.AlertPage
		err  error
	)
	if scope == scopeOrg {
		page, err = h.cl.Alerts(r.Context(), actor, q)
	} else {
		page, err = h.cl.MyAlerts(r.Context(), actor, q)
	}
	var ve *coaching.ValidationError
	if errors.As(err, &ve) {
		av.Invalid = true
		return av, nil
	}
	if err != nil {
		return nil, err
	}
	if err := h.alertItems(r.Context(), actor, av, page.Alerts, s.Lang); err != nil {
		return nil, err
	}
	base := url.Values{"scope": {av.Scope}, "status": {av.Status}}
	if page.Next != "" {
		nq := url.Values{"scope": {av.Scope}, "status": {av.Status}, "after": {page.Next}}
		av.Next = h.prefix + "/alerts?" + nq.Encode()
	}
	if q.After != "" {
		av.First = h.prefix + "/alerts?" + base.Encode()
	}
	return av, nil
}

// alertItems turns alerts into the page's items.
func (h *handler) alertItems(ctx context.Context, actor coaching.Actor, av *alertsView, alerts []caseload.Alert, lang coaching.Language) error {
	ids := make([]coaching.CaseID, 0, len(alerts))
	for _, a := range alerts {
		ids = append(ids, a.CaseID)
	}
	infos, err := h.caseInfos(ctx, actor, ids)
	if err != nil {
		return err
	}
	today := coaching.DateOf(h.clock.Now())
	av.Alerts = make([]alertItem, 0, len(alerts))
	for _, a := range alerts {
		av.Alerts = append(av.Alerts, h.alertItem(len(av.Alerts), a, infos[a.CaseID], av.Scope, today, lang))
	}
	return nil
}

// alertItem is alert a as the page shows it, its forms returning to the
// list in scope.
func (h *handler) alertItem(n int, a caseload.Alert, ci caseInfo, scope string, today coaching.Date, lang coaching.Language) alertItem {
	it := alertItem{N: n, ID: a.ID, Action: h.prefix + "/alerts/" + url.PathEscape(a.ID) + "/", Version: a.Version,
		Case: h.caseLink(a.CaseID, ci, lang), Cause: label("alert.cause.", string(a.Cause.Kind), lang), Title: a.Title,
		Due: a.Due, Overdue: a.Active() && !a.Due.IsZero() && a.Due.Before(today), Status: a.Status,
		Owner: ownerName(a.Owner, ci.Team, lang), Open: a.Status == caseload.AlertOpen, Active: a.Active(),
		Resolved: a.Action, Reason: a.Reason,
		Raised: formatDate(coaching.DateOf(a.RaisedAt), lang) + ", " + raiserName(a.RaisedBy, ci.Team, lang)}
	if !it.Active {
		return it
	}
	tx := func(key string) string { return catalogue[key].in(lang) }
	id := func(key string) string { return fmt.Sprintf("a%d-%s", n, strings.ReplaceAll(key, ".", "-")) }
	hidden := []hiddenField{{"version", strconv.FormatInt(a.Version, 10)}, {"scope", scope}}
	kinds := make([]fieldOption, 0, len(resolveActions))
	for _, k := range resolveActions {
		kinds = append(kinds, fieldOption{Value: string(k), Label: label("resolution.", string(k), lang)})
	}
	it.Forms.Label, it.Forms.Title = tx("alerts.more"), a.Title
	it.Forms.Forms = []workForm{
		{Action: it.Action + "resolve", Legend: tx("alert.resolve"), Submit: tx("alert.resolve.submit"), Hidden: hidden, Fields: []workField{
			{Key: "action.kind", Name: "action_kind", ID: id("action.kind"), Label: tx("alert.resolve.kind"), Control: "select", Required: true, Options: kinds},
			{Key: "action.note", Name: "action_note", ID: id("action.note"), Label: tx("alert.resolve.note"), Control: "text", MaxLen: 500, Hint: tx("work.note.hint")},
		}},
		{Action: it.Action + "dismiss", Legend: tx("alert.dismiss"), Submit: tx("alert.dismiss.submit"), Hidden: hidden, Fields: []workField{
			{Key: "reason", Name: "reason", ID: id("reason"), Label: tx("alert.dismiss.reason"), Control: "textarea", Required: true, MaxLen: 500},
		}},
	}
	var owners []fieldOption
	for _, m := range ci.Team {
		if !m.Role.IsStaff() || (a.Welfare && !m.Role.IsWelfare()) || (m.ActorID == a.Owner.ActorID && m.Role == a.Owner.Role) {
			continue
		}
		owners = append(owners, fieldOption{Value: string(m.Role) + ":" + m.ActorID, Label: memberName(m, lang)})
	}
	if len(owners) > 0 {
		it.Forms.Forms = append(it.Forms.Forms, workForm{Action: it.Action + "reassign", Legend: tx("alert.reassign"),
			Submit: tx("alert.reassign.submit"), Hidden: hidden, Fields: []workField{
				{Key: "owner", Name: "owner", ID: id("owner"), Label: tx("alert.reassign.owner"), Control: "select", Required: true, Options: owners},
			}})
	}
	return it
}

// The work pages name people by the case team's record of them (name and
// role), never by their actor id: an id may be an identity code. Someone
// not on the team (any more) is named by their role, or as not on the
// team where the role is not known.

// ownerName names an alert's or an item's owner by the team's record of
// them, or by their role when they are not on the team.
func ownerName(o caseload.Owner, team []coaching.TeamMember, lang coaching.Language) string {
	if o.ActorID == "" {
		return catalogue["work.owner.none"].in(lang)
	}
	for _, m := range team {
		if m.ActorID == o.ActorID && m.Role == o.Role {
			return memberName(m, lang)
		}
	}
	return label("role.", string(o.Role), lang) + " (" + catalogue["work.person.offteam"].in(lang) + ")"
}

// raiserName names who raised an alert: a member of the case's team by
// the team's record, the nightly review as the system, anyone else as
// someone not on the team.
func raiserName(id string, team []coaching.TeamMember, lang coaching.Language) string {
	for _, m := range team {
		if m.ActorID == id {
			return memberName(m, lang)
		}
	}
	if id == "system" { // the engine's own actor (caseload.Service.Review)
		return catalogue["alerts.raised.system"].in(lang)
	}
	return catalogue["work.person.other"].in(lang)
}

// memberName is a team member's name and role, or the role alone when the
// team's record has no name.
func memberName(m coaching.TeamMember, lang coaching.Language) string {
	role := label("role.", string(m.Role), lang)
	if m.Name == "" {
		return role
	}
	return m.Name + " (" + role + ")"
}

// doneMessage is the confirmation of an action just taken (?done=), or ""
// for a value that is not one of actions.
func doneMessage(r *http.Request, what string, actions []string, lang coaching.Language) string {
	d := r.URL.Query().Get("done")
	if !slices.Contains(actions, d) {
		return ""
	}
	return catalogue["work.done."+what+"."+d].in(lang)
}

// alertAction answers POST /alerts/{alert}/{action}: acknowledge, resolve
// (with the action taken), dismiss (with a reason) or reassign the alert
// at the version the page was shown with, then 303 back to the list. The
// alert is read first under the policy, so that an alert the actor may
// not see is the 404 page (another organisation's, or a family's
// session) or the 403 page, as on a GET.
func (h *handler) alertAction(w http.ResponseWriter, r *http.Request) {
	s, action, version, ok := h.postedAction(w, r, alertActions)
	if !ok {
		return
	}
	actor, id := s.actor(), r.PathValue("alert")
	if _, err := h.cl.Alert(r.Context(), actor, id); err != nil {
		h.failed(w, r, err)
		return
	}
	f := r.PostForm
	values := postedValues(f, "reason", "reason", "action.kind", "action_kind", "action.note", "action_note", "owner", "owner")
	var err error
	switch action {
	case "acknowledge":
		_, err = h.cl.Acknowledge(r.Context(), actor, id, version)
	case "resolve":
		_, err = h.cl.Resolve(r.Context(), actor, id, version, caseload.Action{Kind: caseload.ActionKind(values["action.kind"]),
			Note: strings.TrimSpace(values["action.note"])})
	case "dismiss":
		_, err = h.cl.Dismiss(r.Context(), actor, id, version, values["reason"])
	case "reassign":
		role, who, found := strings.Cut(values["owner"], ":")
		if !found || who == "" {
			err = &coaching.ValidationError{Subject: "alert", Problems: []coaching.FieldProblem{{Field: "owner", Message: "required"}}}
			break
		}
		_, err = h.cl.Reassign(r.Context(), actor, id, version, caseload.Owner{ActorID: who, Role: coaching.Role(role)})
	}
	scope := readScope(f.Get("scope"), &userView{Roles: s.Roles})
	if scope == "" {
		scope = scopeMine
	}
	back := url.Values{"scope": {scope}, "status": {"active"}}
	done := url.Values{"scope": {scope}, "status": {"active"}, "done": {action}}
	h.actionDone(w, r, err, h.prefix+"/alerts?"+done.Encode(), func(status int, ve *coaching.ValidationError) {
		h.alertsAgain(w, r, s, back, status, id, values, ve)
	})
}

// alertsAgain shows the alerts page again with status: with the refused
// form's values and problems on its alert (read again, and put first when
// it is not among the list's), or, for a conflict (ve nil), fresh and
// saying so.
func (h *handler) alertsAgain(w http.ResponseWriter, r *http.Request, s session, q url.Values, status int, id string,
	values map[string]string, ve *coaching.ValidationError) {
	av, err := h.alertsData(r, s, q)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if ve == nil {
		av.Conflict = true
	} else {
		i := slices.IndexFunc(av.Alerts, func(it alertItem) bool { return it.ID == id })
		if i < 0 {
			a, err := h.cl.Alert(r.Context(), s.actor(), id)
			if err != nil {
				h.failed(w, r, err)
				return
			}
			infos, err := h.caseInfos(r.Context(), s.actor(), []coaching.CaseID{a.CaseID})
			if err != nil {
				h.failed(w, r, err)
				return
			}
			it := h.alertItem(len(av.Alerts), a, infos[a.CaseID], av.Scope, coaching.DateOf(h.clock.Now()), s.Lang)
			av.Alerts, i = slices.Insert(av.Alerts, 0, it), 0
		}
		av.Alerts[i].Forms.refused(values, ve, s.Lang)
	}
	h.render(w, r, status, "alerts.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: av})
}

// The week's plan.

// plannedActions are the actions of POST /week/items/{item}/{action}.
var plannedActions = []string{"held", "move", "cancel"}

// weekView is the week page's data.
type weekView struct {
	Monday, Sunday    coaching.Date
	Prev, Next, Today string // links to the weeks around it and to this week
	ThisWeek          bool
	Days              []weekDay
	Count             int
	Done              string
	Conflict          bool
	// DateError is the catalogue key of what is wrong with the date asked
	// for ("" when nothing is); Date is the value as it was sent, for its
	// control.
	DateError, Date string
	// Summary is a refused form's problems of no item shown this week.
	Summary []formError
}

// weekDay is one day of the week with its items.
type weekDay struct {
	Date  coaching.Date
	ID    string // the heading's id
	Today bool
	Items []weekItem
}

// weekItem is one planned item on the page.
type weekItem struct {
	N       int
	ID      string
	Action  string // the path its forms post to, without the action
	Version int64
	Kind    string
	Title   string
	Time    string // the start's time of day in Helsinki, or ""
	Cases   []caseLink
	Moves   int
	// Forms are its actions: held, move, cancel.
	Forms itemForms
}

// weekInRange reports whether the week from monday lies within the
// calendar's years 1–9999 (coaching.Date.Valid), as an agenda's dates must.
func weekInRange(monday coaching.Date) bool {
	return monday.Valid() && monday.AddDays(6).Valid()
}

// mondayOf is the Monday of d's week.
func mondayOf(d coaching.Date) coaching.Date {
	return d.AddDays(-((int(d.Weekday()) + 6) % 7))
}

// weekPage answers GET /week?date=YYYY-MM-DD: the signed-in person's
// planned items (caseload.Service.Agenda) from Monday to Sunday of the
// week holding date (default today in Helsinki).
func (h *handler) weekPage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok || !h.staffOnly(w, r, s) {
		return
	}
	wv, err := h.weekData(r, s, r.URL.Query().Get("date"))
	if err != nil {
		h.failed(w, r, err)
		return
	}
	status := http.StatusOK
	if wv.DateError != "" {
		status = http.StatusBadRequest
	}
	wv.Done = doneMessage(r, "planned", plannedActions, s.Lang)
	h.render(w, r, status, "week.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: wv})
}

// weekData reads the week holding the date given. A date that is not one,
// or whose week leaves the calendar (years 1–9999: 9999-12-31 is a Friday
// of a week ending in the year 10000), is this week, with DateError set.
func (h *handler) weekData(r *http.Request, s session, date string) (*weekView, error) {
	today := coaching.DateOf(h.clock.Now())
	day, wv := today, &weekView{Date: date}
	if date != "" {
		d, err := coaching.ParseDate(date)
		switch {
		case err != nil:
			wv.DateError = "week.date.invalid"
		case !weekInRange(mondayOf(d)):
			wv.DateError = "week.date.range"
		default:
			day = d
		}
	}
	wv.Monday = mondayOf(day)
	wv.Sunday = wv.Monday.AddDays(6)
	wv.ThisWeek = wv.Monday == mondayOf(today)
	if wv.DateError == "" {
		wv.Date = wv.Monday.String()
	}
	link := func(d coaching.Date) string {
		if !weekInRange(d) {
			return "" // no link past the calendar's ends
		}
		return h.prefix + "/week?date=" + d.String()
	}
	wv.Prev, wv.Next, wv.Today = link(wv.Monday.AddDays(-7)), link(wv.Monday.AddDays(7)), h.prefix+"/week"
	actor := s.actor()
	items, err := h.cl.Agenda(r.Context(), actor, wv.Monday, wv.Sunday)
	if err != nil {
		return nil, err
	}
	var ids []coaching.CaseID
	for _, p := range items {
		ids = append(ids, p.Cases...)
	}
	infos, err := h.caseInfos(r.Context(), actor, ids)
	if err != nil {
		return nil, err
	}
	for i := range 7 {
		d := wv.Monday.AddDays(i)
		wv.Days = append(wv.Days, weekDay{Date: d, ID: "d-" + d.String(), Today: d == today})
	}
	for _, p := range items {
		n := slices.IndexFunc(wv.Days, func(d weekDay) bool { return d.Date == p.On })
		if n < 0 {
			continue // not this week's (Agenda answers from..to only)
		}
		it := weekItem{N: wv.Count, ID: p.ID, Action: h.prefix + "/week/items/" + url.PathEscape(p.ID) + "/", Version: p.Version,
			Kind: label("planned.", string(p.Kind), s.Lang), Title: p.Title, Moves: p.Moves}
		it.Forms = itemForms{Label: catalogue["week.actions"].in(s.Lang), Title: p.Title,
			Forms: plannedForms(it, p, wv.Monday, today, s.Lang)}
		if !p.Start.IsZero() {
			sep := "."
			if s.Lang == coaching.English {
				sep = ":"
			}
			hh, mm, _ := p.Start.In(coaching.Helsinki).Clock()
			it.Time = fmt.Sprintf("%d%s%02d", hh, sep, mm)
		}
		for _, id := range p.Cases {
			it.Cases = append(it.Cases, h.caseLink(id, infos[id], s.Lang))
		}
		wv.Days[n].Items = append(wv.Days[n].Items, it)
		wv.Count++
	}
	return wv, nil
}

// plannedForms are the forms of planned item p (it on the page of the
// week from monday): held — on a date no later than today, by default the
// item's own or today for one later in the week, with the hours for a
// coaching session (recorded as one) —, move to a date from today on, and
// cancel with a reason.
func plannedForms(it weekItem, p caseload.Planned, monday, today coaching.Date, lang coaching.Language) []workForm {
	tx := func(key string) string { return catalogue[key].in(lang) }
	id := func(key string) string { return fmt.Sprintf("p%d-%s", it.N, key) }
	hidden := []hiddenField{{"version", strconv.FormatInt(it.Version, 10)}, {"week", monday.String()}}
	heldOn := p.On
	if heldOn.After(today) {
		heldOn = today
	}
	held := workForm{Action: it.Action + "held", Class: "held", Legend: tx("week.held"), Submit: tx("week.held.submit"), Hidden: hidden,
		Fields: []workField{{Key: "on", Name: "on", ID: id("on"), Label: tx("week.held.on"), Control: "date", Max: today.String(),
			Value: heldOn.String()}}}
	if p.Kind == caseload.PlanIndividualSession || p.Kind == caseload.PlanGroupSession {
		held.Fields = append(held.Fields, workField{Key: "hours", Name: "hours", ID: id("hours"), Label: tx("week.held.hours"),
			Control: "decimal", Required: true, MaxLen: 5})
	}
	held.Fields = append(held.Fields, workField{Key: "note", Name: "note", ID: id("note"), Label: tx("week.held.note"), Control: "text",
		MaxLen: 500, Hint: tx("work.note.hint")})
	return []workForm{held,
		{Action: it.Action + "move", Legend: tx("week.move"), Submit: tx("week.move.submit"), Hidden: hidden, Fields: []workField{
			{Key: "move_on", Name: "move_on", ID: id("move_on"), Label: tx("week.move.on"), Control: "date", Required: true, Min: today.String()},
		}},
		{Action: it.Action + "cancel", Legend: tx("week.cancel"), Submit: tx("week.cancel.submit"), Hidden: hidden, Fields: []workField{
			{Key: "reason", Name: "reason", ID: id("reason"), Label: tx("week.cancel.reason"), Control: "textarea", Required: true, MaxLen: 500},
		}},
	}
}

// plannedAction answers POST /week/items/{item}/{action}: mark the item
// held (a session kind with its hours, recorded as a coaching session),
// move it to another date or cancel it with a reason, at the version the
// page was shown with, then 303 back to the week (the form's week). The
// item is read first under the policy (caseload.Service.PlannedItem), so
// that an item the actor may not see — another organisation's, or one
// owned by welfare staff for someone not allowed read_welfare — is the
// 404 page, as on a GET. Who may act on an item the service decides: its
// owner, a colleague with change_case on its cases for an item not owned
// by welfare staff, and for a welfare-owned one only its owner or those
// allowed read_welfare.
func (h *handler) plannedAction(w http.ResponseWriter, r *http.Request) {
	s, action, version, ok := h.postedAction(w, r, plannedActions)
	if !ok {
		return
	}
	f := r.PostForm
	week := f.Get("week")
	if d, err := coaching.ParseDate(week); err != nil || !weekInRange(mondayOf(d)) {
		week = ""
	}
	actor, id := s.actor(), r.PathValue("item")
	if _, err := h.cl.PlannedItem(r.Context(), actor, id); err != nil {
		h.failed(w, r, err)
		return
	}
	values := postedValues(f, "on", "on", "hours", "hours", "note", "note", "move_on", "move_on", "reason", "reason")
	var (
		local []coaching.FieldProblem
		err   error
	)
	date := func(field string) coaching.Date {
		v := strings.TrimSpace(values[field])
		if v == "" {
			return coaching.Date{}
		}
		d, err := coaching.ParseDate(v)
		if err != nil {
			local = append(local, coaching.FieldProblem{Field: field, Message: "not a date"})
		}
		return d
	}
	switch action {
	case "held":
		held := caseload.HeldSession{On: date("on"), Note: strings.TrimSpace(values["note"])}
		if v := strings.TrimSpace(strings.Replace(values["hours"], ",", ".", 1)); v != "" {
			if held.Hours, err = decimal.NewFromString(v); err != nil {
				local = append(local, coaching.FieldProblem{Field: "hours", Message: "not a number"})
			}
		}
		if len(local) == 0 {
			_, err = h.cl.Held(r.Context(), actor, id, version, held)
		}
	case "move":
		on := date("move_on")
		if on.IsZero() && len(local) == 0 {
			local = append(local, coaching.FieldProblem{Field: "move_on", Message: "required"})
		}
		if len(local) == 0 {
			_, err = h.cl.Move(r.Context(), actor, id, version, on)
			var ve *coaching.ValidationError
			if errors.As(err, &ve) {
				// The service names the date "on"; on this form it is
				// the move's.
				for i := range ve.Problems {
					if ve.Problems[i].Field == "on" {
						ve.Problems[i].Field = "move_on"
					}
				}
			}
		}
	case "cancel":
		_, err = h.cl.Cancel(r.Context(), actor, id, version, values["reason"])
	}
	if len(local) > 0 {
		err = &coaching.ValidationError{Subject: "planned", Problems: local}
	}
	done := h.prefix + "/week?"
	if week != "" {
		done += "date=" + week + "&"
	}
	h.actionDone(w, r, err, done+"done="+action, func(status int, ve *coaching.ValidationError) {
		h.weekAgain(w, r, s, week, status, id, values, ve)
	})
}

// weekAgain shows the week page again with status: with the refused
// form's values and problems on its item, or, for a conflict (ve nil),
// fresh and saying so.
func (h *handler) weekAgain(w http.ResponseWriter, r *http.Request, s session, week string, status int, id string,
	values map[string]string, ve *coaching.ValidationError) {
	wv, err := h.weekData(r, s, week)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if ve == nil {
		wv.Conflict = true
	} else {
		found := false
		for d := range wv.Days {
			for i := range wv.Days[d].Items {
				if it := &wv.Days[d].Items[i]; it.ID == id {
					it.Forms.refused(values, ve, s.Lang)
					found = true
				}
			}
		}
		if !found {
			// Not an item of the week shown (a form kept from another
			// page): the problems on top.
			var f itemForms
			f.refused(values, ve, s.Lang)
			wv.Summary = f.Errors
		}
	}
	h.render(w, r, status, "week.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: wv})
}
