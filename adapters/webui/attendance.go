package webui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// The teacher's attendance grid: a group's students for one lesson, one
// row each, marked in one form and recorded in one call
// (attendance.Service.Record); a changed mark is a correction, a new
// revision whose history GET /attendance/history shows.
//
// Who is listed: there is no group listing for teachers, and the caseload
// list shows only the cases the actor may read (read_case: their team's),
// whereas a teacher records attendance for any student of their
// organisation (the policy's teaching_staff rule). So the grid lists the
// open cases of the actor's own organisation in the chosen SIS group
// (the caseload's Group filter, read through its store port) on which the
// policy allows record_attendance, each with the participant's name: the
// name is what marking a student needs, and the policy has already let
// the actor record for them. Current marks are shown only where the
// policy also allows read_attendance; elsewhere the row is recorded
// without one (attendance leaves an identical mark alone).

const (
	// maxGridRows is how many students one grid shows; a larger group is
	// cut there and says so.
	maxGridRows = 200
	// defaultLessonMinutes is the grid's lesson length until the teacher
	// gives another.
	defaultLessonMinutes = 45
	// maxGridForm bounds a grid form's body.
	maxGridForm = 1 << 20
)

// gridStatuses are the statuses a grid offers, in the order of its radio
// buttons.
var gridStatuses = []attendance.Status{attendance.Present, attendance.Late, attendance.Unexplained,
	attendance.Explained, attendance.Sick}

// gridReasons are the reason categories of an explained absence.
var gridReasons = []attendance.AbsenceReason{attendance.ReasonAppointment, attendance.ReasonFamily,
	attendance.ReasonOfficial, attendance.ReasonLeave, attendance.ReasonSchool, attendance.ReasonOther}

// gridView is the attendance page's data.
type gridView struct {
	// The lesson as the form gave it.
	Group, Date, Lesson, Minutes string
	// Problems are the lesson fields' problems by field name (group,
	// date, lesson, minutes), in the page's language.
	Problems map[string]string
	// Listed: the lesson is valid and Rows are the group's students
	// (possibly none).
	Listed    bool
	Truncated bool
	Rows      []gridRow
	Statuses  []attendance.Status
	Reasons   []attendance.AbsenceReason
	// Result is what a recording did; nil on the form.
	Result *gridResult
	// Back is the grid's own link after a recording.
	Back string
}

// gridRow is one student of the grid.
type gridRow struct {
	I    int
	Case coaching.CaseID
	Name string
	// Current is the stored mark; nil when there is none or the actor may
	// not read it (Readable).
	Current  *attendance.Mark
	Readable bool
	// Status and Reason are the form's choice: the current mark, or what
	// was posted.
	Status, Reason string
	// Was is the choice the form was rendered with ("status|reason"): a
	// row posted back unchanged is not recorded.
	Was     string
	Problem string
	History string
}

// gridResult is what a recording did, for the result page.
type gridResult struct {
	Changes []gridChange
	// Unchanged counts the rows left as they were.
	Unchanged int
	// Digests and Corrections count the guardians' absence digests and
	// correction notices queued; Revised the pending digests rewritten or
	// cancelled; Excused the absences a family's accepted report excused.
	Digests, Corrections, Revised, Excused int
}

type gridChange struct {
	Name             string
	From, FromReason string // empty From: a new mark
	To, ToReason     string
	Correction       bool
	History          string
	Revision         int
}

// gridLesson is the lesson a grid is about.
type gridLesson struct {
	group   string
	date    coaching.Date
	lesson  string
	minutes int
}

// parseLesson reads the lesson fields (group, date, lesson, minutes) of
// a query or form into gv, with a problem beside each field that does not
// hold. A missing date is today's, missing minutes the default.
func (h *handler) parseLesson(v url.Values, lang coaching.Language, gv *gridView) (gridLesson, bool) {
	gv.Group, gv.Date, gv.Lesson, gv.Minutes = strings.TrimSpace(v.Get("group")), strings.TrimSpace(v.Get("date")),
		strings.TrimSpace(v.Get("lesson")), strings.TrimSpace(v.Get("minutes"))
	gv.Problems = map[string]string{}
	problem := func(field, key string) { gv.Problems[field] = catalogue[key].in(lang) }
	today := coaching.DateOf(h.clock.Now())
	l := gridLesson{group: gv.Group, lesson: gv.Lesson, minutes: defaultLessonMinutes}
	if gv.Date == "" {
		gv.Date = today.String()
	}
	d, err := coaching.ParseDate(gv.Date)
	switch {
	case err != nil:
		problem("date", "att.err.date")
	case d.After(today):
		problem("date", "att.err.future")
	}
	l.date = d
	if gv.Minutes == "" {
		gv.Minutes = strconv.Itoa(defaultLessonMinutes)
	}
	if n, err := strconv.Atoi(gv.Minutes); err != nil || n < 1 || n > 24*60 {
		problem("minutes", "att.err.minutes")
	} else {
		l.minutes = n
	}
	if len(gv.Group) > 200 || strings.ContainsFunc(gv.Group, isControl) {
		problem("group", "att.err.text")
	}
	if len(gv.Lesson) > 100 || strings.ContainsFunc(gv.Lesson, isControl) {
		problem("lesson", "att.err.text")
	}
	return l, len(gv.Problems) == 0
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// listGroup reads the students of l's group the actor may record
// attendance for, in name order, each with their current mark of the
// lesson where the actor may read it. An actor the policy does not let
// record attendance in their organisation gets its *ForbiddenError.
func (h *handler) listGroup(ctx context.Context, s session, l gridLesson) (rows []gridRow, truncated bool, err error) {
	actor := s.actor()
	err = h.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if err := sc.Organisation(coaching.OpRecordAttendance, actor.Organisation); err != nil {
			return err
		}
		cr, ok := sc.ReadTx().(caseload.Reader)
		if !ok {
			return errors.New("webui: the store does not keep the caseload (its transactions do not implement caseload.Reader)")
		}
		ar, ok := sc.ReadTx().(attendance.Reader)
		if !ok {
			return errors.New("webui: the store does not keep attendance (its transactions do not implement attendance.Reader)")
		}
		sums, err := cr.Summaries(ctx, caseload.Filter{Organisation: actor.Organisation, Status: caseload.StatusOpen,
			Group: l.group, Sort: caseload.SortName, Now: sc.Now().Truncate(time.Microsecond), Limit: maxGridRows + 1})
		if err != nil {
			return err
		}
		for _, sm := range sums {
			c := sm.Case()
			if c.Organisation != actor.Organisation || !sc.MayRead(coaching.OpRecordAttendance, c) {
				continue
			}
			if len(rows) == maxGridRows {
				truncated = true
				break
			}
			r := gridRow{I: len(rows), Case: c.ID, Name: strings.TrimSpace(sm.GivenNames + " " + sm.FamilyName)}
			if sc.MayRead(coaching.OpReadAttendance, c) {
				r.Readable = true
				ms, err := ar.Marks(ctx, c.ID, l.date, l.date)
				if err != nil {
					return err
				}
				for _, m := range ms {
					if m.Lesson == l.lesson {
						m := m
						r.Current = &m
						r.Status, r.Reason = string(m.Status), string(m.Reason)
					}
				}
			}
			r.Was = r.Status + "|" + r.Reason
			if r.Current != nil {
				r.History = h.historyHref(c.ID, l)
			}
			rows = append(rows, r)
		}
		return nil
	})
	return rows, truncated, err
}

// historyHref is the history page of one mark.
func (h *handler) historyHref(id coaching.CaseID, l gridLesson) string {
	q := url.Values{"case": {string(id)}, "date": {l.date.String()}}
	if l.lesson != "" {
		q.Set("lesson", l.lesson)
	}
	return h.prefix + "/attendance/history?" + q.Encode()
}

// gridHref is the grid of a lesson.
func (h *handler) gridHref(l gridLesson) string {
	q := url.Values{"group": {l.group}, "date": {l.date.String()}, "minutes": {strconv.Itoa(l.minutes)}}
	if l.lesson != "" {
		q.Set("lesson", l.lesson)
	}
	return h.prefix + "/attendance?" + q.Encode()
}

func (h *handler) renderGrid(w http.ResponseWriter, r *http.Request, s session, status int, gv *gridView) {
	gv.Statuses, gv.Reasons = gridStatuses, gridReasons
	h.render(w, r, status, "attendance.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: gv})
}

// attendancePage answers GET /attendance: the lesson's form, and with a
// group chosen, the grid of its students. A lesson field that does not
// hold is a 400 (a bad query; 422 is for a refused form POST) with the
// problem beside it; someone the policy does not
// let record attendance gets the 403 page.
func (h *handler) attendancePage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	gv := &gridView{}
	l, valid := h.parseLesson(r.URL.Query(), s.Lang, gv)
	if !valid {
		h.renderGrid(w, r, s, http.StatusBadRequest, gv)
		return
	}
	if gv.Group == "" {
		// Nothing chosen yet: the lesson form alone, once the policy lets
		// the actor record at all.
		err := h.eng.Read(r.Context(), s.actor(), func(sc *coaching.Scope) error {
			return sc.Organisation(coaching.OpRecordAttendance, s.Org)
		})
		if err != nil {
			h.failed(w, r, err)
			return
		}
		h.renderGrid(w, r, s, http.StatusOK, gv)
		return
	}
	rows, truncated, err := h.listGroup(r.Context(), s, l)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	gv.Listed, gv.Rows, gv.Truncated = true, rows, truncated
	h.renderGrid(w, r, s, http.StatusOK, gv)
}

// recordAttendance answers POST /attendance: every row whose choice
// differs from the one the form was rendered with is recorded, all in one
// attendance.Service.Record call; rows left unmarked or unchanged are not.
// Only the students the grid lists are recorded, whatever else the form
// names. A problem (an unknown status, an explained absence without a
// reason, a date that is not one) is a 422 with the grid as posted and
// the problem beside its control; success is the result page: what
// changed, and how many notices went to guardians.
func (h *handler) recordAttendance(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxGridForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return
	}
	form := r.PostForm
	gv := &gridView{}
	l, valid := h.parseLesson(form, s.Lang, gv)
	if !valid || gv.Group == "" {
		if gv.Group == "" {
			gv.Problems["group"] = catalogue["att.err.group"].in(s.Lang)
		}
		h.renderGrid(w, r, s, http.StatusUnprocessableEntity, gv)
		return
	}
	rows, truncated, err := h.listGroup(r.Context(), s, l)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	gv.Listed, gv.Rows, gv.Truncated = true, rows, truncated
	var (
		inputs    []attendance.MarkInput
		rowOf     []int // inputs[i] is rows[rowOf[i]]
		unchanged int
		invalid   bool
	)
	for i := range rows {
		row := &rows[i]
		id := string(row.Case)
		st, rs := form.Get("status:"+id), form.Get("reason:"+id)
		if !form.Has("status:" + id) {
			continue // not in the form (a student listed since, or a row left unmarked)
		}
		row.Status, row.Reason = st, rs
		status := attendance.Status(st)
		switch {
		case st == "":
			continue
		case !status.Valid():
			row.Problem, invalid = catalogue["att.err.status"].in(s.Lang), true
			continue
		case status == attendance.Explained && !attendance.AbsenceReason(rs).Valid():
			row.Problem, invalid = catalogue["att.err.reason"].in(s.Lang), true
			continue
		case status != attendance.Explained:
			rs, row.Reason = "", ""
		}
		if st+"|"+rs == form.Get("was:"+id) {
			unchanged++
			continue
		}
		inputs = append(inputs, attendance.MarkInput{CaseID: row.Case, Date: l.date, Lesson: l.lesson, Minutes: l.minutes,
			Status: status, Reason: attendance.AbsenceReason(rs)})
		rowOf = append(rowOf, i)
	}
	if invalid {
		h.renderGrid(w, r, s, http.StatusUnprocessableEntity, gv)
		return
	}
	res := &attendance.Result{}
	if len(inputs) > 0 {
		res, err = h.att.Record(r.Context(), s.actor(), inputs)
		var ve *coaching.ValidationError
		if errors.As(err, &ve) {
			// A problem only the service sees (a case closed meanwhile):
			// beside the row it names, or the date.
			for _, p := range ve.Problems {
				msg := worded(p.Message, s.Lang, attendanceProblems)
				var i int
				var field string
				if err := markField(p.Field, &i, &field); err == nil && i >= 0 && i < len(rowOf) {
					if field == "date" {
						gv.Problems["date"] = msg
					} else {
						rows[rowOf[i]].Problem = msg
					}
					continue
				}
				gv.Problems["group"] = msg
			}
			h.renderGrid(w, r, s, http.StatusUnprocessableEntity, gv)
			return
		}
		if err != nil {
			h.failed(w, r, err)
			return
		}
	}
	byCase := map[coaching.CaseID]int{}
	for _, i := range rowOf {
		byCase[rows[i].Case] = i
	}
	out := &gridResult{Unchanged: unchanged + res.Unchanged, Revised: len(res.Revised), Excused: res.Excused}
	for _, m := range res.Written {
		i, ok := byCase[m.CaseID]
		if !ok {
			continue
		}
		row := rows[i]
		ch := gridChange{Name: row.Name, To: string(m.Status), ToReason: string(m.Reason), Correction: m.Revision > 1,
			Revision: m.Revision}
		if row.Current != nil {
			ch.From, ch.FromReason = string(row.Current.Status), string(row.Current.Reason)
		}
		if row.Readable {
			ch.History = h.historyHref(m.CaseID, l)
		}
		out.Changes = append(out.Changes, ch)
	}
	for _, n := range res.Notices {
		switch n.Kind {
		case coaching.NoticeKindAbsence:
			out.Digests++
		case coaching.NoticeKindAbsenceCorrection:
			out.Corrections++
		}
	}
	gv.Result, gv.Back = out, h.gridHref(l)
	h.renderGrid(w, r, s, http.StatusOK, gv)
}

// attendanceProblems word the attendance service's (English) problems
// with a recording that only the service sees.
var attendanceProblems = []wording{
	{Prefix: "is closed", Key: "att.err.closed", Anywhere: true},
	{Prefix: "unknown case", Key: "att.err.unknown"},
	{Prefix: "is in the future", Key: "att.err.future"},
	{Prefix: "not a calendar date", Key: "form.date"},
	{Prefix: "must be 0–1440", Key: "att.err.minutes"},
	{Prefix: "at most 10000 marks", Key: "att.err.toomany"},
}

// markField reads a Record problem's field, "marks[3].status", into
// its index and field name.
func markField(f string, i *int, field *string) error {
	rest, ok := strings.CutPrefix(f, "marks[")
	if !ok {
		return errors.New("not a mark's field")
	}
	num, name, ok := strings.Cut(rest, "]")
	if !ok {
		return errors.New("not a mark's field")
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return err
	}
	*i, *field = n, strings.TrimPrefix(name, ".")
	return nil
}

// historyView is the history page's data.
type historyView struct {
	Name       string
	NameHidden bool
	Date       coaching.Date
	Lesson     string
	Revisions  []revisionView
	Back       string
}

type revisionView struct {
	Revision         int
	At               string
	By               string
	From, FromReason string
	To, ToReason     string
}

// attendanceHistory answers GET /attendance/history?case=&date=&lesson=:
// every revision of one mark, oldest first — who recorded or corrected
// it, when, and from what to what — to the staff the policy lets read the
// case's attendance (read_attendance; another organisation's case is the
// 404 of a missing one). It is a staff tool beside the grid: a guardian
// or a student gets the 403 page, for it shows the raw status (sickness),
// which the family page deliberately counts as explained, and who marked
// it. The one who marked a revision is named by the case's team (name
// and role), the viewer as themselves, and anyone else only as another
// staff member: an actor id is never shown.
func (h *handler) attendanceHistory(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if s.isFamily() {
		h.errorPage(w, r, http.StatusForbidden, "error.403.body")
		return
	}
	q := r.URL.Query()
	id := coaching.CaseID(q.Get("case"))
	d, err := coaching.ParseDate(q.Get("date"))
	if id == "" || err != nil || len(q.Get("lesson")) > 100 {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return
	}
	actor := s.actor()
	key := attendance.MarkKey{Date: d, Lesson: q.Get("lesson")}
	hist, err := h.att.MarkHistory(r.Context(), actor, id, key)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	hv := historyView{Date: d, Lesson: key.Lesson, Back: h.prefix + "/attendance"}
	names := map[string]string{}
	err = h.eng.ReadCase(r.Context(), actor, coaching.OpReadAttendance, id, func(v *coaching.CaseView) error {
		c := v.Case()
		for _, tm := range c.Team {
			if _, ok := names[tm.ActorID]; ok {
				continue // named by their first role on the team
			}
			names[tm.ActorID] = label("role.", string(tm.Role), s.Lang)
			if tm.Name != "" {
				names[tm.ActorID] = tm.Name + " (" + names[tm.ActorID] + ")"
			}
		}
		p, err := v.Participant()
		switch {
		case errors.Is(err, coaching.ErrForbidden):
			hv.NameHidden = true
			return nil
		case err != nil:
			return err
		}
		hv.Name = strings.TrimSpace(p.GivenNames + " " + p.FamilyName)
		return nil
	})
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if s.Name != "" {
		names[s.ID] = s.Name
	}
	for i, m := range hist {
		rv := revisionView{Revision: m.Revision, By: catalogue["att.by.other"].in(s.Lang), To: string(m.Status), ToReason: string(m.Reason),
			At: formatDate(coaching.DateOf(m.At), s.Lang) + " " + m.At.In(coaching.Helsinki).Format("15.04")}
		if n, ok := names[m.By]; ok {
			rv.By = n
		}
		if i > 0 {
			rv.From, rv.FromReason = string(hist[i-1].Status), string(hist[i-1].Reason)
		}
		hv.Revisions = append(hv.Revisions, rv)
	}
	h.render(w, r, http.StatusOK, "attendance_history.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: hv})
}
