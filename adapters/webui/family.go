package webui

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/signon"
	"github.com/valmennus/valmennus/hoks"
)

// The family page: what a guardian or a student signed in sees instead of
// a caseload — their own (or their children's) cases, each with the
// notices addressed to them, the attendance of the last weeks, the family's
// absence requests, a form to explain an absence, report one to come or
// apply for leave, the HOKS summary and, for the student, their comments
// on and proposals to the plan (voice.go). Every read and the form's
// submission go through the engine and its features as the signed-in
// actor, so the policy decides what is shown: a guardian of another
// student opening that student's page gets the 403 page.

// Bounds of the family page.
const (
	// familyDays is how many days of attendance the page shows: the days
	// an absence may still be explained (attendance.ExcuseKeep).
	familyDays = attendance.ExcuseKeep
	// familyNotices is how many of the newest notices a case shows.
	familyNotices = 10
	// familyRequests is how many of the newest requests a case shows.
	familyRequests = 10
	// maxFamilyCases bounds the cases one participant's listing reads.
	maxFamilyCases = 20
	// maxFamilyForm bounds an absence form's body.
	maxFamilyForm = 16 << 10
)

// familyRoles are the roles the family page is for.
var familyRoles = []coaching.Role{coaching.RoleGuardian, coaching.RoleStudent}

// isFamily reports whether the session is a guardian's or a student's
// and no staff member's: they land on the family page, not a caseload.
func (s session) isFamily() bool {
	family := false
	for _, r := range s.Roles {
		if r.IsStaff() {
			return false
		}
		family = family || slices.Contains(familyRoles, r)
	}
	return family
}

// Family reports whether the menu is a family's (their own page, no
// caseload or grid).
func (u *userView) Family() bool {
	return session{Roles: u.Roles}.isFamily()
}

// familyView is the family page's data: the signed-in person's cases on
// the start page, or one case on its own page (Single).
type familyView struct {
	Single bool
	Cases  []familyCase
}

// familyCase is one case on the family page.
type familyCase struct {
	ID      coaching.CaseID
	Href    string
	Heading string
	// Sent confirms a request just submitted (?sent=).
	Sent     string
	Notices  []noticeView
	Days     []familyDay
	Requests []requestView
	// Attendance is false when the policy does not show it.
	Attendance bool
	HOKS       *hoks.Summary
	// Voice is the student's comments and proposals on the plan (nil: the
	// actor reads none, e.g. a guardian, or there is no plan).
	Voice *voiceView
	Form  *absenceForm // nil: the actor may not submit requests
	// opened and programme tell apart, on a guardian's page, two cases
	// headed by the same programme.
	opened    time.Time
	programme bool
}

type noticeView struct {
	Subject string
	Body    []string // paragraphs
	At      time.Time
}

// familyDay is one day with absences: how many lessons unexplained and
// how many explained. Sickness is counted as explained: the page shows no
// health detail.
type familyDay struct {
	Date        coaching.Date
	Unexplained int
	Explained   int
	Lessons     []string // the unexplained lessons' titles
	ExplainHref string   // the form prefilled to explain the day
}

type requestView struct {
	Kind   absence.Kind
	From   coaching.Date
	To     coaching.Date
	Status absence.Status
}

// absenceForm is the request form with its values and problems.
type absenceForm struct {
	Action                       string
	Kind, From, To, Reason, Text string
	// Key is the form's idempotency key (absence.Input.Key), a hidden
	// field: a form sent twice — a double click, the browser resending
	// it, a retry after a timeout — records one request. A form shown
	// again with problems keeps its key (nothing was recorded under it).
	Key string
	KindError, FromError, ToError,
	ReasonError, TextError string
	Errors []formError
}

// home answers GET /: the family page for a guardian or a student, the
// caseload for anyone else.
func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if !s.isFamily() {
		h.caseloadPage(w, r)
		return
	}
	actor := s.actor()
	ids, err := h.familyCaseIDs(r, actor)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	fv := familyView{}
	for _, id := range ids {
		fc, err := h.familyCase(r, actor, id, s.Lang, nil)
		if errors.Is(err, coaching.ErrForbidden) || errors.Is(err, coaching.ErrNotFound) {
			continue // listed, but not theirs to see (e.g. a ward who turned 18)
		}
		if err != nil {
			h.failed(w, r, err)
			return
		}
		fv.Cases = append(fv.Cases, fc)
	}
	distinguish(fv.Cases, s.Lang)
	h.render(w, r, http.StatusOK, "family.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: fv})
}

// familyCaseIDs lists the open cases of the participants the actor stands
// in a guardian_of or self relation to (as the sign-on asserts them), and
// of the participant whose sign-on id is a student's own id. Only the
// cases whose notices or attendance the policy lets the actor read are
// kept; the listing reads candidates in the actor's own scope and asks
// the policy of each, as the caseload does.
//
// A guardian recorded on a participant's record (coaching.Guardian) whom
// the sign-on does not name in a guardian_of relation is not listed,
// although the policy recognises them on the case's own page: the
// listing starts only from what the sign-on vouches for in this session
// (the relations, the actor's own sign-on id), never from a search of
// the records for the actor's id, which would need an index of every
// guardian the stores do not keep. A host lists a guardian's children by
// asserting the relations its sign-on knows (Suomi.fi e-Authorizations,
// the student information system's guardian links); the notices still
// link a guardian so recognised to the case's page.
func (h *handler) familyCaseIDs(r *http.Request, actor coaching.Actor) ([]coaching.CaseID, error) {
	var out []coaching.CaseID
	err := h.eng.Read(r.Context(), actor, func(sc *coaching.Scope) error {
		var pids []coaching.ParticipantID
		for _, rel := range actor.Relations {
			if (rel.Kind == coaching.RelationGuardianOf || rel.Kind == coaching.RelationSelf) && rel.Participant != "" &&
				!slices.Contains(pids, rel.Participant) {
				pids = append(pids, rel.Participant)
			}
		}
		if actor.HasRole(coaching.RoleStudent) {
			if rd, ok := sc.ReadTx().(signon.Reader); ok && len(actor.ID) <= signon.MaxBytes {
				pid, err := rd.ParticipantBySignOn(sc.Context(), actor.Organisation, actor.ID)
				switch {
				case err == nil:
					if !slices.Contains(pids, pid) {
						pids = append(pids, pid)
					}
				case !errors.Is(err, coaching.ErrNotFound):
					return err
				}
			}
		}
		if len(pids) == 0 {
			return nil
		}
		rd, ok := sc.ReadTx().(caseload.Reader)
		if !ok {
			return errors.New("webui: the store does not list cases by participant (its transactions do not implement caseload.Reader)")
		}
		for _, pid := range pids {
			sums, err := rd.Summaries(sc.Context(), caseload.Filter{Organisation: actor.Organisation, Participant: pid,
				Status: caseload.StatusOpen, Sort: caseload.SortOpened, Now: sc.Now().Truncate(time.Microsecond), Limit: maxFamilyCases})
			if err != nil {
				return err
			}
			for _, sm := range sums {
				c := sm.Case()
				if sc.MayRead(coaching.OpReadNotices, c) || sc.MayRead(coaching.OpReadAttendance, c) {
					out = append(out, c.ID)
				}
			}
		}
		return nil
	})
	return out, err
}

// familyCasePage answers GET /family/{case}: one case of the family page.
func (h *handler) familyCasePage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id := coaching.CaseID(r.PathValue("case"))
	var form *absenceForm
	if d := r.URL.Query().Get("explain"); d != "" {
		if _, err := coaching.ParseDate(d); err == nil {
			form = &absenceForm{Kind: string(absence.Explanation), From: d}
		}
	}
	fc, err := h.familyCase(r, s.actor(), id, s.Lang, form)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "family.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles},
		Data: familyView{Single: true, Cases: []familyCase{fc}}})
}

// familyCase reads what the actor may see of case id. The case itself is
// asked under read_notices, what every guardian and student may read of
// their own: a refusal is the caller's 403. Attendance, requests and the
// HOKS summary are each shown when the policy allows them. form carries
// the form's values (nil: an empty form).
func (h *handler) familyCase(r *http.Request, actor coaching.Actor, id coaching.CaseID, lang coaching.Language, form *absenceForm) (familyCase, error) {
	ctx := r.Context()
	fc := familyCase{ID: id, Href: h.prefix + "/family/" + url.PathEscape(string(id))}
	var c coaching.Case
	mayReport := false
	err := h.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		var err error
		if c, err = sc.Case(coaching.OpReadNotices, id); err != nil {
			return err
		}
		mayReport = sc.MayRead(coaching.OpReportAbsence, c)
		if sc.MayRead(coaching.OpReadParticipant, c) {
			p, err := sc.Participant(coaching.OpReadParticipant, c.ParticipantID)
			if err == nil {
				fc.Heading = strings.TrimSpace(p.GivenNames + " " + p.FamilyName)
			} else if !errors.Is(err, coaching.ErrNotFound) && !errors.Is(err, coaching.ErrForbidden) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return familyCase{}, err
	}
	if fc.Heading == "" {
		// A guardian reads no participant record, and the sign-on's
		// relation names the participant by id only: the case is headed
		// by its programme, as the guardian's child's studies. The
		// student's name is not shown from anywhere else (a notice's
		// text, the session): the policy withholds the record, and the
		// page does not work around it.
		fc.Heading, fc.programme = fmt.Sprintf(catalogue["family.child"].in(lang), label("model.", c.Model, lang)), true
		fc.opened = c.OpenedAt
	}
	now := h.clock.Now()
	err = h.eng.ReadCase(ctx, actor, coaching.OpReadNotices, id, func(v *coaching.CaseView) error {
		ns, err := v.Notices()
		if err != nil {
			return err
		}
		// Newest first; a notice not yet due (a digest waiting for its
		// hour) or cancelled is not shown.
		for i := len(ns) - 1; i >= 0 && len(fc.Notices) < familyNotices; i-- {
			n := ns[i]
			if n.Status == coaching.NoticeCancelled || n.NotBefore.After(now) {
				continue
			}
			var paras []string
			for p := range strings.SplitSeq(strings.TrimSpace(n.Body), "\n\n") {
				if p = strings.TrimSpace(p); p != "" {
					paras = append(paras, p)
				}
			}
			fc.Notices = append(fc.Notices, noticeView{Subject: n.Subject, Body: paras, At: n.CreatedAt})
		}
		return nil
	})
	if err != nil {
		return familyCase{}, err
	}
	today := coaching.DateOf(now)
	marks, err := h.att.Marks(ctx, actor, id, today.AddDays(1-familyDays), today)
	switch {
	case err == nil:
		fc.Attendance = true
		fc.Days = familyDaysOf(marks)
	case !errors.Is(err, coaching.ErrForbidden):
		return familyCase{}, err
	}
	if h.abs != nil {
		reqs, err := h.abs.List(ctx, actor, id, absence.ListQuery{Limit: familyRequests})
		switch {
		case err == nil:
			for _, q := range reqs {
				// Kind, days and status only: the reason category and
				// the family's words stay with the deciders' view.
				fc.Requests = append(fc.Requests, requestView{Kind: q.Kind, From: q.From, To: q.To, Status: q.Status})
			}
		case !errors.Is(err, coaching.ErrForbidden):
			return familyCase{}, err
		}
		if mayReport && !c.Closed() {
			if form == nil {
				form = &absenceForm{}
			}
			if form.Key == "" {
				form.Key = rand.Text()
			}
			form.Action = fc.Href + "/absences"
			fc.Form = form
			for i := range fc.Days {
				if fc.Days[i].Unexplained > 0 {
					fc.Days[i].ExplainHref = fc.Href + "?explain=" + fc.Days[i].Date.String() + "#absence"
				}
			}
		}
	}
	if h.hoks != nil {
		sum, err := h.hoks.Summary(ctx, actor, id)
		switch {
		case err == nil:
			fc.HOKS = &sum
		case !errors.Is(err, coaching.ErrForbidden) && !errors.Is(err, coaching.ErrNotFound):
			return familyCase{}, err
		}
		if fc.Voice, err = h.voice(r, actor, id, fc.Href, fc.HOKS, lang); err != nil {
			return familyCase{}, err
		}
		if fc.Voice != nil {
			fc.Voice.Done = voiceDoneText(r.URL.Query().Get("done"), lang)
		}
	}
	if k := r.URL.Query().Get("sent"); slices.Contains([]absence.Kind{absence.Report, absence.Explanation, absence.Leave}, absence.Kind(k)) {
		fc.Sent = catalogue["family.sent."+k].in(lang)
	}
	return fc, nil
}

// distinguish adds the day a case was opened to the headings of cases
// headed by the same programme (a guardian of two children in one
// programme), so that the page tells them apart without a name.
func distinguish(cases []familyCase, lang coaching.Language) {
	count := map[string]int{}
	for _, c := range cases {
		if c.programme {
			count[c.Heading]++
		}
	}
	for i := range cases {
		if c := &cases[i]; c.programme && count[c.Heading] > 1 {
			c.Heading += " " + fmt.Sprintf(catalogue["family.opened"].in(lang), formatDate(coaching.DateOf(c.opened), lang))
		}
	}
}

// familyDaysOf groups marks (ordered by date) into the days that had an
// absence, newest first.
func familyDaysOf(marks []attendance.Mark) []familyDay {
	var out []familyDay
	for _, m := range marks {
		if !m.Status.Absent() {
			continue
		}
		if n := len(out); n == 0 || out[n-1].Date != m.Date {
			out = append(out, familyDay{Date: m.Date})
		}
		d := &out[len(out)-1]
		if m.Status == attendance.Unexplained {
			d.Unexplained++
			t := m.Title
			if t == "" {
				t = m.Lesson
			}
			if t != "" {
				d.Lessons = append(d.Lessons, t)
			}
		} else {
			d.Explained++
		}
	}
	slices.Reverse(out)
	return out
}

// submitAbsence answers POST /family/{case}/absences: the form's request
// submitted to the absence service as the signed-in actor, then back to
// the case's page (303). A request the service refuses as invalid is the
// page again (422) with each problem beside its control.
func (h *handler) submitAbsence(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if h.abs == nil {
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFamilyForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return
	}
	id := coaching.CaseID(r.PathValue("case"))
	pf := r.PostForm
	form := &absenceForm{Kind: pf.Get("kind"), From: strings.TrimSpace(pf.Get("from")), To: strings.TrimSpace(pf.Get("to")),
		Reason: pf.Get("reason"), Text: textarea(pf.Get("text")), Key: pf.Get("key")}
	in := absence.Input{Kind: absence.Kind(form.Kind), Text: form.Text, Key: form.Key}
	if in.Kind != absence.Leave {
		in.Reason = absence.Reason(form.Reason)
	}
	var local []coaching.FieldProblem
	for _, d := range []struct {
		field, value string
		to           *coaching.Date
	}{{"from", form.From, &in.From}, {"to", form.To, &in.To}} {
		if d.value == "" {
			continue
		}
		v, err := coaching.ParseDate(d.value)
		if err != nil {
			local = append(local, coaching.FieldProblem{Field: d.field, Message: "not a date"})
			continue
		}
		*d.to = v
	}
	var err error
	if len(local) > 0 {
		err = &coaching.ValidationError{Subject: "absence request", Problems: local}
	} else {
		_, err = h.abs.Submit(r.Context(), s.actor(), id, in)
	}
	var ve *coaching.ValidationError
	switch {
	case err == nil:
		http.Redirect(w, r, h.prefix+"/family/"+url.PathEscape(string(id))+"?sent="+url.QueryEscape(string(in.Kind))+"#requests", http.StatusSeeOther)
		return
	case errors.As(err, &ve):
		form.problems(ve, s.Lang)
		fc, err := h.familyCase(r, s.actor(), id, s.Lang, form)
		if err != nil {
			h.failed(w, r, err)
			return
		}
		if fc.Form == nil {
			// The policy let the request be checked but shows no form
			// (e.g. the case closed meanwhile): the problems are shown
			// all the same.
			fc.Form = form
			form.Action = fc.Href + "/absences"
		}
		h.render(w, r, http.StatusUnprocessableEntity, "family.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles},
			Data: familyView{Single: true, Cases: []familyCase{fc}}})
	default:
		h.failed(w, r, err)
	}
}

// problems puts each of ve's problems beside its control (the first for
// a control with several) and into the error summary. A refused key is
// the form sent already with other content: the form shown again says so
// and gets a fresh key.
func (f *absenceForm) problems(ve *coaching.ValidationError, lang coaching.Language) {
	ve = resentForm(&f.Key, &f.Errors, ve, lang)
	controls := map[string]control{
		"kind":   {Slot: &f.KindError, Href: "#a-kind", Label: "family.form.kind"},
		"from":   {Slot: &f.FromError, Href: "#a-from", Label: "family.form.from"},
		"to":     {Slot: &f.ToError, Href: "#a-to", Label: "family.form.to"},
		"reason": {Slot: &f.ReasonError, Href: "#a-reason", Label: "family.form.reason"},
		"text":   {Slot: &f.TextError, Href: "#a-text", Label: "family.form.text"},
	}
	controls["lessons"] = controls["from"]
	placeProblems(&f.Errors, ve, lang, absenceProblems, controls)
}

// absenceProblems word the absence service's (English) validation
// messages, by how they begin.
var absenceProblems = []wording{
	{Prefix: "required: why the leave", Key: "family.err.leavetext"},
	{Prefix: "is in the past", Key: "family.err.past"},
	{Prefix: "is in the future", Key: "family.err.future"},
	{Prefix: "before from", Key: "family.err.order"},
	{Prefix: "a request covers at most", Key: "family.err.span"},
	{Prefix: "more than", Key: "family.err.range"},
	{Prefix: "the days include no school day", Key: "family.err.weekend"},
	{Prefix: "must be report, explanation or leave", Key: "form.oneof"},
	{Prefix: "must be illness, family or other", Key: "family.err.reason"},
	{Prefix: "a leave has no reason category", Key: "family.err.leavereason"},
	{Prefix: "no unexplained absence is marked", Key: "family.err.nounexplained"},
	{Prefix: "the case is closed", Key: "family.err.closed"},
	{Prefix: "requests of the case wait for a decision", Key: "family.err.toomany", Anywhere: true},
}
