package webui

import (
	"encoding/json"
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
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	coachsession "github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/hoks"
)

// The case page: what a coach or a personal tutor needs of one student on
// one page — the phase timeline, the events they may record now, the
// team, the coaching sessions, the planned items, the contact log, the
// open alerts, the attendance of the last weeks and the HOKS with its
// versions. Every section is read through the engine or a feature as the
// signed-in actor, and each is shown only when the policy allows its read
// (asked first with Scope.MayRead, so that a section the actor may not see
// leaves no denial in the access log): a section the policy refuses is
// left out, never a 403 of the whole page, while a store failure is an
// error page. Welfare information (a welfare worker's session, planned
// item or alert) reaches only those the features show it to.

// Bounds of the case page's lists.
const (
	// caseSessions is how many of the newest coaching sessions are shown.
	caseSessions = 10
	// casePlanned is how many upcoming and how many recent planned items
	// are shown.
	casePlanned = 10
	// casePlannedAhead and casePlannedBack are the days ahead an upcoming
	// item and back a held or cancelled one is looked for.
	casePlannedAhead, casePlannedBack = 366, 60
	// caseContacts is how many of the newest contacts are shown.
	caseContacts = 10
	// caseAlerts is how many active alerts are shown.
	caseAlerts = 10
	// caseAttendanceDays is how many days of attendance are shown: four
	// weeks.
	caseAttendanceDays = 28
)

// caseView is the case page's data. A nil section is one the policy does
// not show the actor (or a feature the host did not give).
type caseView struct {
	Case       coaching.Case
	Name       string // empty: the policy does not show it
	Model      string
	StateKind  coaching.StateKind
	Phases     []phaseView
	Endings    []phaseView
	Overdue    bool
	NameHidden bool
	// Events are those the actor may fire now; Fired confirms the one
	// just fired (events.go).
	Events []eventLink
	Fired  string
	// Work links the work forms the actor may use (casework.go); Done
	// confirms the one just saved.
	Work caseWorkLinks
	Done string

	Sessions   *caseSessionsView
	Planned    *casePlannedView
	Contacts   *caseContactsView
	Alerts     *caseAlertsView
	Attendance *caseAttendanceView
	HOKS       *caseHOKSView
}

// phaseView is one phase of the timeline: Entered is when the case last
// entered it (zero: never); the current phase carries its deadline.
type phaseView struct {
	Model, Name, Title string
	Current, Done      bool
	Entered            time.Time
	Due                time.Time
	Overdue            bool
}

type caseSessionsView struct {
	Rows []sessionRow
	// Older counts the sessions older than those shown.
	Older int
	// Hours are the listed sessions' hours together.
	Hours string
}

type sessionRow struct {
	Date     coaching.Date
	Kind     coachsession.Kind
	Hours    string
	Staff    []string
	Elements []coachsession.ApproachElement
	Topic    string
}

type casePlannedView struct {
	Upcoming, Recent         []plannedRow
	MoreUpcoming, MoreRecent bool
}

type plannedRow struct {
	On      coaching.Date
	Time    string // the planned start, "" when none was set
	Kind    caseload.PlannedKind
	Title   string
	Owner   string
	Status  caseload.PlannedStatus
	Reason  string
	Overdue bool
	// Others counts the item's other cases the actor may read (a group
	// session's other participants), never named here.
	Others int
}

type caseContactsView struct {
	Rows []contactRow
	More bool
}

type contactRow struct {
	On           coaching.Date
	Kind         caseload.ContactKind
	WithGuardian bool
	Note         string
	By           string
}

type caseAlertsView struct {
	Rows []alertRow
	More bool
}

type alertRow struct {
	Cause   caseload.CauseKind
	Title   string // a manual alert's own title; the others are named by their cause
	Status  caseload.AlertStatus
	Due     coaching.Date
	Overdue bool
	Owner   string
}

// caseAttendanceView is the attendance of the last four weeks by day,
// newest first, with the period's totals.
type caseAttendanceView struct {
	From, To coaching.Date
	Days     []attendanceDay
	Total    attendanceCounts
}

// attendanceCounts count lessons; an absence through illness is counted
// as explained.
type attendanceCounts struct {
	Present, Late, Unexplained, Explained int
}

type attendanceDay struct {
	Date coaching.Date
	attendanceCounts
	Lessons []lessonMark
}

type lessonMark struct {
	Lesson, Title string
	Status        attendance.Status
	Href          string // the mark's revisions
}

// caseHOKSView is the HOKS section: the summary when the policy shows
// it, the versions and the compare form when it shows the whole plan.
type caseHOKSView struct {
	None     bool // the case has no HOKS
	Summary  *hoks.Summary
	Versions []hoksVersionRow // nil: not shown to the actor
	// From and To are the compare form's defaults (defaultCompare).
	From, To  int64
	DiffHref  string
	Proposals string // the student's proposals page, when the host has one
}

type hoksVersionRow struct {
	Number  int64
	Status  hoks.Status
	At      time.Time
	By      string
	InForce bool
}

// casePage answers GET /cases/{case}: the case read through the engine
// under the policy (another organisation's case is the same 404 as a
// missing one), its participant's name if the policy shows it, the
// model's phases with the dates the case entered them, and each section
// the policy lets the actor see.
func (h *handler) casePage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	actor := s.actor()
	id := coaching.CaseID(r.PathValue("case"))
	c, err := h.eng.Case(r.Context(), actor, id)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	cv := caseView{Case: c, Model: c.Model}
	may, err := h.readCaseHead(r, actor, id, &cv)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	now := h.clock.Now()
	cv.Phases, cv.Endings, cv.StateKind = h.timeline(c, now)
	cv.Overdue = !c.Closed() && !c.Paused() && !c.Phase.DueAt.IsZero() && now.After(c.Phase.DueAt)
	if cv.Events, err = h.availableEvents(r, actor, c, s.Lang); err != nil {
		h.failed(w, r, err)
		return
	}
	cv.Fired = h.firedMessage(r, c.Model, s.Lang)
	cv.Work, cv.Done = h.workLinks(actor, c, may), workDone(r, s.Lang)
	if err := h.caseSections(r, s, c, may, &cv); err != nil {
		h.failed(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "case.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: cv})
}

// caseReads are the reads the policy allows the actor on the case, asked
// once without a denial being logged.
type caseReads struct {
	attendance, schedule, hoks, hoksSummary bool
	// change and recordAttendance decide the work forms (mayWork).
	change, recordAttendance bool
}

// readCaseHead reads the participant's name, if the policy shows it, and
// asks the policy which of the sections' reads it allows.
func (h *handler) readCaseHead(r *http.Request, actor coaching.Actor, id coaching.CaseID, cv *caseView) (caseReads, error) {
	var may caseReads
	err := h.eng.Read(r.Context(), actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpReadCase, id)
		if err != nil {
			return err
		}
		may = caseReads{attendance: sc.MayRead(coaching.OpReadAttendance, c), schedule: sc.MayRead(coaching.OpReadSchedule, c),
			hoks: sc.MayRead(coaching.OpReadHOKS, c), hoksSummary: sc.MayRead(coaching.OpReadHOKSSummary, c),
			change: sc.MayRead(coaching.OpChangeCase, c), recordAttendance: sc.MayRead(coaching.OpRecordAttendance, c)}
		return nil
	})
	if err != nil {
		return caseReads{}, err
	}
	err = h.eng.ReadCase(r.Context(), actor, coaching.OpReadCase, id, func(v *coaching.CaseView) error {
		p, err := v.Participant()
		switch {
		case errors.Is(err, coaching.ErrForbidden):
			cv.NameHidden = true
			return nil
		case err != nil:
			return err
		}
		cv.Name = strings.TrimSpace(p.GivenNames + " " + p.FamilyName)
		return nil
	})
	return may, err
}

// timeline is the model's phases in order, each with the date the case
// last entered it (Case.History) and, for the current one, its deadline;
// a hold state is listed only while the case is in it; the terminal
// states apart.
func (h *handler) timeline(c coaching.Case, now time.Time) (phases, endings []phaseView, kind coaching.StateKind) {
	m, ok := h.eng.Model(c.Model)
	if !ok {
		return nil, nil, ""
	}
	entered := map[string]time.Time{}
	for _, e := range c.History {
		entered[e.State] = e.At // the history is oldest first: the last entry wins
	}
	for _, name := range m.States() {
		st, _ := m.State(name)
		cur := name == c.State
		pv := phaseView{Model: c.Model, Name: name, Title: st.Title, Current: cur, Done: !entered[name].IsZero() && !cur,
			Entered: entered[name]}
		if cur {
			kind = st.Kind
			if !c.Closed() {
				pv.Due = c.Phase.DueAt
				pv.Overdue = !c.Paused() && !pv.Due.IsZero() && now.After(pv.Due)
			}
		}
		switch st.Kind {
		case coaching.Active:
			phases = append(phases, pv)
		case coaching.Terminal:
			endings = append(endings, pv)
		default: // a hold state: listed among the phases only while the case is in it
			if cur {
				phases = append(phases, pv)
			}
		}
	}
	return phases, endings, kind
}

// caseSections reads the page's sections the policy allows.
func (h *handler) caseSections(r *http.Request, s session, c coaching.Case, may caseReads, cv *caseView) error {
	names := teamNames(c.Team)
	var err error
	if may.schedule {
		if cv.Sessions, err = h.caseSessionsOf(r, s, c.ID, names); err != nil {
			return err
		}
	}
	if cv.Planned, err = h.casePlannedOf(r, s, c.ID, names); err != nil {
		return err
	}
	if cv.Contacts, err = h.caseContactsOf(r, s, c.ID, names); err != nil {
		return err
	}
	if cv.Alerts, err = h.caseAlertsOf(r, s, c.ID, names); err != nil {
		return err
	}
	if may.attendance {
		if cv.Attendance, err = h.caseAttendanceOf(r, s, c.ID); err != nil {
			return err
		}
	}
	if h.hoks != nil && (may.hoks || may.hoksSummary) {
		if cv.HOKS, err = h.caseHOKSOf(r, s, c.ID, may, names); err != nil {
			return err
		}
	}
	return nil
}

// teamNames maps the team's actor ids to "Name (role)" labels' parts.
type staffName struct {
	Name string
	Role coaching.Role
}

func teamNames(team []coaching.TeamMember) map[string]staffName {
	out := make(map[string]staffName, len(team))
	for _, m := range team {
		if _, ok := out[m.ActorID]; !ok {
			out[m.ActorID] = staffName{Name: m.Name, Role: m.Role}
		}
	}
	return out
}

// who names a staff member for the page: their name and role when they
// are on the team, else their role (known from the record) alone — never
// a bare actor id.
func who(names map[string]staffName, id string, role coaching.Role, lang coaching.Language) string {
	n, ok := names[id]
	if role == "" {
		role = n.Role
	}
	rl := ""
	if role != "" {
		rl = label("role.", string(role), lang)
	}
	switch {
	case ok && n.Name != "" && rl != "":
		return n.Name + " (" + strings.ToLower(rl) + ")"
	case ok && n.Name != "":
		return n.Name
	}
	return rl
}

// ignoreForbidden turns a refusal into "not shown": the policy was asked
// first, so a refusal here is a change of mind between the two reads.
func ignoreForbidden(err error) (shown bool, _ error) {
	if errors.Is(err, coaching.ErrForbidden) {
		return false, nil
	}
	return err == nil, err
}

// caseSessionsOf lists the case's coaching sessions, newest first.
func (h *handler) caseSessionsOf(r *http.Request, s session, id coaching.CaseID, names map[string]staffName) (*caseSessionsView, error) {
	all, err := h.sess.List(r.Context(), s.actor(), coachsession.Query{CaseID: id})
	if ok, err := ignoreForbidden(err); !ok {
		return nil, err
	}
	slices.SortStableFunc(all, func(a, b coachsession.Session) int {
		if c := b.Date.Compare(a.Date); c != 0 {
			return c
		}
		return b.At.Compare(a.At)
	})
	sv := &caseSessionsView{}
	total := decimal.Zero
	for i, se := range all {
		total = total.Add(se.Hours)
		if i >= caseSessions {
			sv.Older++
			continue
		}
		row := sessionRow{Date: se.Date, Kind: se.Kind, Hours: formatHours(se.Hours, s.Lang), Elements: se.Elements, Topic: se.Topic}
		for _, st := range se.Staff {
			if n := who(names, st.ActorID, st.Role, s.Lang); n != "" {
				row.Staff = append(row.Staff, n)
			}
		}
		sv.Rows = append(sv.Rows, row)
	}
	sv.Hours = formatHours(total, s.Lang)
	return sv, nil
}

// formatHours writes decimal hours as their readers do: 1,5 in Finnish
// and Swedish, 1.5 in English.
func formatHours(d decimal.Decimal, lang coaching.Language) string {
	out := d.String()
	if lang != coaching.English {
		out = strings.Replace(out, ".", ",", 1)
	}
	return out
}

// casePlannedOf lists the case's planned items still to be held (an open
// one past its date among them, marked overdue) and those held or
// cancelled in the last casePlannedBack days, newest first.
func (h *handler) casePlannedOf(r *http.Request, s session, id coaching.CaseID, names map[string]staffName) (*casePlannedView, error) {
	actor := s.actor()
	today := coaching.DateOf(h.clock.Now())
	up, err := h.cl.CaseItems(r.Context(), actor, id, caseload.CaseItemsQuery{Statuses: []caseload.PlannedStatus{caseload.PlannedOpen},
		To: today.AddDays(casePlannedAhead), Limit: casePlanned + 1})
	if ok, err := ignoreForbidden(err); !ok {
		return nil, err
	}
	past, err := h.cl.CaseItems(r.Context(), actor, id, caseload.CaseItemsQuery{
		Statuses: []caseload.PlannedStatus{caseload.PlannedHeld, caseload.PlannedCancelled},
		From:     today.AddDays(-casePlannedBack), Limit: caseload.MaxLimit})
	if ok, err := ignoreForbidden(err); !ok {
		return nil, err
	}
	pv := &casePlannedView{MoreUpcoming: len(up) > casePlanned, MoreRecent: len(past) > casePlanned}
	row := func(p caseload.Planned) plannedRow {
		pr := plannedRow{On: p.On, Kind: p.Kind, Title: p.Title, Status: p.Status, Reason: p.Reason,
			Owner:   who(names, p.Owner.ActorID, p.Owner.Role, s.Lang),
			Overdue: p.Status == caseload.PlannedOpen && p.On.Before(today), Others: max(len(p.Cases)-1, 0)}
		if !p.Start.IsZero() {
			pr.Time = p.Start.In(coaching.Helsinki).Format("15.04")
		}
		return pr
	}
	for _, p := range up[:min(len(up), casePlanned)] {
		pv.Upcoming = append(pv.Upcoming, row(p))
	}
	slices.Reverse(past) // newest first
	for _, p := range past[:min(len(past), casePlanned)] {
		pv.Recent = append(pv.Recent, row(p))
	}
	return pv, nil
}

// caseContactsOf lists the newest contacts of the case.
func (h *handler) caseContactsOf(r *http.Request, s session, id coaching.CaseID, names map[string]staffName) (*caseContactsView, error) {
	cs, err := h.cl.Contacts(r.Context(), s.actor(), id, caseContacts+1)
	if ok, err := ignoreForbidden(err); !ok {
		return nil, err
	}
	cv := &caseContactsView{More: len(cs) > caseContacts}
	for _, c := range cs[:min(len(cs), caseContacts)] {
		cv.Rows = append(cv.Rows, contactRow{On: c.On, Kind: c.Kind, WithGuardian: c.WithGuardian, Note: c.Note,
			By: who(names, c.By, "", s.Lang)})
	}
	return cv, nil
}

// caseAlertsOf lists the case's active alerts the actor may see (the
// caseload shows welfare alerts only to those allowed read_welfare, and
// no alert to a student or a guardian): nil for someone shown none by
// rule, so that the section is left out rather than said to be empty.
func (h *handler) caseAlertsOf(r *http.Request, s session, id coaching.CaseID, names map[string]staffName) (*caseAlertsView, error) {
	if !slices.ContainsFunc(s.Roles, coaching.Role.IsStaff) {
		return nil, nil // alerts are staff work
	}
	page, err := h.cl.Alerts(r.Context(), s.actor(), caseload.AlertQuery{CaseID: id, Limit: caseAlerts})
	if ok, err := ignoreForbidden(err); !ok {
		return nil, err
	}
	today := coaching.DateOf(h.clock.Now())
	av := &caseAlertsView{More: page.Next != ""}
	for _, a := range page.Alerts {
		row := alertRow{Cause: a.Cause.Kind, Status: a.Status, Due: a.Due, Overdue: !a.Due.IsZero() && a.Due.Before(today),
			Owner: who(names, a.Owner.ActorID, a.Owner.Role, s.Lang)}
		if a.Cause.Kind == caseload.CauseManual {
			row.Title = a.Title
		}
		av.Rows = append(av.Rows, row)
	}
	return av, nil
}

// caseAttendanceOf summarises the marks of the last four weeks by day,
// newest first; each lesson links to its revisions.
func (h *handler) caseAttendanceOf(r *http.Request, s session, id coaching.CaseID) (*caseAttendanceView, error) {
	to := coaching.DateOf(h.clock.Now())
	from := to.AddDays(1 - caseAttendanceDays)
	marks, err := h.att.Marks(r.Context(), s.actor(), id, from, to)
	if ok, err := ignoreForbidden(err); !ok {
		return nil, err
	}
	av := &caseAttendanceView{From: from, To: to}
	for _, m := range marks { // by date, then lesson
		if n := len(av.Days); n == 0 || av.Days[n-1].Date != m.Date {
			av.Days = append(av.Days, attendanceDay{Date: m.Date})
		}
		d := &av.Days[len(av.Days)-1]
		for _, c := range []*attendanceCounts{&d.attendanceCounts, &av.Total} {
			switch m.Status {
			case attendance.Present:
				c.Present++
			case attendance.Late:
				c.Late++
			case attendance.Unexplained:
				c.Unexplained++
			case attendance.Explained, attendance.Sick:
				c.Explained++
			}
		}
		d.Lessons = append(d.Lessons, lessonMark{Lesson: m.Lesson, Title: m.Title, Status: m.Status,
			Href: h.historyHref(id, gridLesson{date: m.Date, lesson: m.Lesson})})
	}
	slices.Reverse(av.Days)
	return av, nil
}

// caseHOKSOf reads the HOKS summary and, for an actor who may read the
// whole plan, its versions with the compare form's defaults.
func (h *handler) caseHOKSOf(r *http.Request, s session, id coaching.CaseID, may caseReads, names map[string]staffName) (*caseHOKSView, error) {
	actor := s.actor()
	hv := &caseHOKSView{DiffHref: h.prefix + "/cases/" + url.PathEscape(string(id)) + "/hoks/diff"}
	if may.hoksSummary {
		sum, err := h.hoks.Summary(r.Context(), actor, id)
		switch {
		case errors.Is(err, coaching.ErrNotFound):
			hv.None = true
			return hv, nil
		case errors.Is(err, coaching.ErrForbidden):
			// Refused between the policy's answer and the read: not shown.
		case err != nil:
			return nil, err
		default:
			hv.Summary = &sum
		}
	}
	if !may.hoks {
		return hv, nil
	}
	vs, err := h.hoks.History(r.Context(), actor, id)
	switch {
	case errors.Is(err, coaching.ErrNotFound) || err == nil && len(vs) == 0:
		hv.None = true
		return hv, nil
	case errors.Is(err, coaching.ErrForbidden):
		return hv, nil
	case err != nil:
		return nil, err
	}
	hv.Versions = versionRows(vs, names, s.Lang)
	hv.From, hv.To = defaultCompare(vs)
	if h.hasRoute(http.MethodGet, h.prefix+"/cases/"+url.PathEscape(string(id))+"/proposals") {
		hv.Proposals = h.prefix + "/cases/" + url.PathEscape(string(id)) + "/proposals"
	}
	return hv, nil
}

// hasRoute reports whether the interface serves a page at path.
func (h *handler) hasRoute(method, path string) bool {
	req := &http.Request{Method: method, URL: &url.URL{Path: path}, Host: "localhost"}
	_, pattern := h.mux.Handler(req)
	return pattern != ""
}

// versionRows are the versions newest first, the one in force marked.
func versionRows(vs []hoks.Version, names map[string]staffName, lang coaching.Language) []hoksVersionRow {
	force := inForce(vs)
	out := make([]hoksVersionRow, 0, len(vs))
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		out = append(out, hoksVersionRow{Number: v.Number, Status: v.Status, At: v.At, By: who(names, v.By, "", lang), InForce: v.Number == force})
	}
	return out
}

// approvedContent reports whether a version's content was approved (the
// statuses hoks counts as in force).
func approvedContent(st hoks.Status) bool {
	switch st {
	case hoks.StatusApproved, hoks.StatusInProgress, hoks.StatusCompetenceReached, hoks.StatusCompleted:
		return true
	}
	return false
}

// inForce is the number of the version in force, as hoks.Service.InForce
// finds it (the latest approved one, none after an archiving), or 0.
func inForce(vs []hoks.Version) int64 {
	for i := len(vs) - 1; i >= 0; i-- {
		switch {
		case vs[i].Status == hoks.StatusArchived:
			return 0
		case approvedContent(vs[i].Status):
			return vs[i].Number
		}
	}
	return 0
}

// defaultCompare is what the compare form offers first. While an update
// awaits approval (a version after the one in force), the version in
// force against the latest: what the approval would change. Otherwise the
// version in force (else the latest) against the latest approved version
// before it whose plan differs — what changed since the plan was last
// approved —, else the version just before it. 0, 0 when there is only
// one version.
func defaultCompare(vs []hoks.Version) (from, to int64) {
	if len(vs) < 2 {
		return 0, 0
	}
	last := len(vs) - 1
	ti := last
	if n := inForce(vs); n > 0 {
		ti = slices.IndexFunc(vs, func(v hoks.Version) bool { return v.Number == n })
		if ti < last {
			return vs[ti].Number, vs[last].Number
		}
	}
	for i := ti - 1; i >= 0; i-- {
		if approvedContent(vs[i].Status) && len(hoks.Diff(vs[i].Plan, vs[ti].Plan)) > 0 {
			return vs[i].Number, vs[ti].Number
		}
	}
	return vs[ti-1].Number, vs[ti].Number
}

// hoksDiffView is the plan diff page's data.
type hoksDiffView struct {
	Name       string
	NameHidden bool
	CaseHref   string
	Action     string
	From, To   int64
	Versions   []hoksVersionRow
	Changes    []changeRow
}

// changeRow is one change in words: its kind, where in the plan, the
// values before and after.
type changeRow struct {
	Kind          string // the catalogue key's name part, see changeKey
	Where         string
	Subject       string
	Before, After string
}

// hoksDiff answers GET /cases/{case}/hoks/diff?from=N&to=M: what changed
// in the plan from version N to version M (hoks.Diff), in words; without
// from and to, the compare form's defaults. A from or to that is not a
// version number is the 400 page, a version the case does not have the
// 404 page; the plan is read under read_hoks (another organisation's case
// is the 404 of a missing one).
func (h *handler) hoksDiff(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if h.hoks == nil {
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
		return
	}
	q := r.URL.Query()
	from, errFrom := versionParam(q, "from")
	to, errTo := versionParam(q, "to")
	if errFrom != nil || errTo != nil || (from == 0) != (to == 0) {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return
	}
	actor := s.actor()
	id := coaching.CaseID(r.PathValue("case"))
	vs, err := h.hoks.History(r.Context(), actor, id)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if from == 0 {
		if from, to = defaultCompare(vs); from == 0 {
			h.errorPage(w, r, http.StatusNotFound, "error.404.body") // one version: nothing to compare
			return
		}
	}
	var a, b *hoks.Plan
	for _, v := range vs {
		if v.Number == from {
			a = v.Plan
		}
		if v.Number == to {
			b = v.Plan
		}
	}
	if a == nil || b == nil {
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
		return
	}
	c, err := h.eng.Case(r.Context(), actor, id)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	cv := caseView{}
	if _, err := h.readCaseHead(r, actor, id, &cv); err != nil {
		h.failed(w, r, err)
		return
	}
	caseHref := h.prefix + "/cases/" + url.PathEscape(string(id))
	dv := hoksDiffView{Name: cv.Name, NameHidden: cv.NameHidden, CaseHref: caseHref, Action: caseHref + "/hoks/diff",
		From: from, To: to, Versions: versionRows(vs, teamNames(c.Team), s.Lang)}
	docA, docB := planDoc(a), planDoc(b)
	for _, ch := range hoks.Diff(a, b) {
		where := readablePath(ch.Path, s.Lang)
		// The path names the item in b, or in a when it is gone from b.
		name := pathName(docB, ch.Path)
		if name == "" {
			name = pathName(docA, ch.Path)
		}
		if name != "" {
			where += " (" + name + ")"
		}
		row := changeRow{Kind: changeKey(ch.Kind), Where: where, Before: localValue(ch.Before, s.Lang), After: localValue(ch.After, s.Lang)}
		if s.Lang == coaching.English {
			row.Subject = ch.Subject // hoks words it in English only
		}
		dv.Changes = append(dv.Changes, row)
	}
	h.render(w, r, http.StatusOK, "hoks_diff.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: dv})
}

// versionParam reads a version number: absent is 0; anything but a
// positive integer is an error.
func versionParam(q url.Values, name string) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, errors.New("not a version number")
	}
	return n, nil
}

// changeKey is a change kind's name in the catalogue ("hoks.change." +
// it): its English words joined by underscores, e.g. period_moved.
func changeKey(k hoks.ChangeKind) string {
	return strings.ReplaceAll(strings.ToLower(k.String()), " ", "_")
}

// planDoc is p as its eHOKS JSON document, for [pathName]; nil when it
// does not encode (a stored plan always does).
func planDoc(p *hoks.Plan) any {
	data, err := hoks.Encode(p)
	if err != nil {
		return nil
	}
	var doc any
	if json.Unmarshal(data, &doc) != nil {
		return nil
	}
	return doc
}

// nameMembers are the members that name an item of a plan, in the order
// they are preferred: a local unit's or a person's name, a unit's or a
// sub-area's code, a workplace's name, a period's identifier (a workplace
// period is named by its workplace).
var nameMembers = []string{"nimi", "tutkinnon-osa-koodi-uri", "osa-alue-koodi-uri", "tyopaikan-nimi", "yksiloiva-tunniste"}

// pathName is the name of the item a change's path leads to in doc, when
// the item is an object with one of nameMembers; "" otherwise.
func pathName(doc any, path string) string {
	node := doc
	for seg := range strings.SplitSeq(path, ".") {
		name, idx, indexed := strings.Cut(seg, "[")
		obj, ok := node.(map[string]any)
		if !ok {
			return ""
		}
		node = obj[name]
		if indexed {
			i, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			list, ok := node.([]any)
			if err != nil || !ok || i < 0 || i >= len(list) {
				return ""
			}
			node = list[i]
		}
	}
	obj, ok := node.(map[string]any)
	if !ok {
		return ""
	}
	if wp, ok := obj["tyopaikalla-jarjestettava-koulutus"].(map[string]any); ok {
		obj = wp // a workplace period is named by its workplace
	}
	for _, m := range nameMembers {
		if v, ok := obj[m].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

// isoDate finds the civil dates hoks writes in a change's values.
var isoDate = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)

// localValue writes a change's value as the page's readers write dates: a
// time (an approval's) as its Helsinki date and minute, each civil date
// as formatDate does; anything else as it is.
func localValue(v string, lang coaching.Language) string {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return formatDate(coaching.DateOf(t), lang) + " " + t.In(coaching.Helsinki).Format("15.04")
	}
	return isoDate.ReplaceAllStringFunc(v, func(s string) string {
		d, err := coaching.ParseDate(s)
		if err != nil {
			return s
		}
		return formatDate(d, lang)
	})
}

// readablePath writes a change's JSON path as words: each member by its
// catalogue name ("hoks.path." + member; an unknown member as its own
// words), each index counted from 1, e.g. "Hankittavat ammatilliset
// tutkinnon osat 1 › Osaamisen hankkimistavat 2".
func readablePath(p string, lang coaching.Language) string {
	var parts []string
	for seg := range strings.SplitSeq(p, ".") {
		name, idx, _ := strings.Cut(seg, "[")
		word := label("hoks.path.", name, lang)
		if word == name {
			word = strings.ReplaceAll(name, "-", " ")
		}
		if idx = strings.TrimSuffix(idx, "]"); idx != "" {
			if n, err := strconv.Atoi(idx); err == nil {
				word += " " + strconv.Itoa(n+1)
			}
		}
		parts = append(parts, word)
	}
	return strings.Join(parts, " › ")
}
