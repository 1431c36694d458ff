package coaching

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AttendanceOptions configure attendance, guardian notices and early
// warning ([Options.Attendance]).
type AttendanceOptions struct {
	// DigestHour and DigestMinute are the Helsinki wall-clock time of the
	// daily guardian digest. Defaults to 15:00 (both zero).
	DigestHour, DigestMinute int
	// LateDelay is how soon after recording, a mark recorded after the
	// day's digest time is told to guardians. Defaults to 5 minutes.
	LateDelay time.Duration
	// WarningRules are the early-warning rules. Nil means
	// [DefaultWarningRules]; an empty non-nil slice turns early warning off.
	WarningRules []WarningRule
}

func (o AttendanceOptions) withDefaults() AttendanceOptions {
	if o.DigestHour == 0 && o.DigestMinute == 0 {
		o.DigestHour = 15
	}
	if o.LateDelay <= 0 {
		o.LateDelay = 5 * time.Minute
	}
	if o.WarningRules == nil {
		o.WarningRules = DefaultWarningRules()
	}
	return o
}

// Notice kinds of attendance.
const (
	NoticeKindAbsence             = "guardian_absence"
	NoticeKindAbsenceCorrection   = "guardian_absence_correction"
	NoticeKindGuardianUnreachable = "guardian_unreachable"
	NoticeKindRiskAlert           = "risk_alert"
)

// AttendanceResult says what [Engine.RecordAttendance] did.
type AttendanceResult struct {
	// Written are the marks stored: new marks and corrections.
	Written []Mark `json:"written"`
	// Unchanged counts marks identical to the stored ones.
	Unchanged int `json:"unchanged"`
	// Notices are the notices enqueued (absence digests, corrections,
	// alerts).
	Notices []Notice `json:"notices"`
	// Revised are the ids of pending digests rewritten or cancelled.
	Revised []string `json:"revised,omitempty"`
	// Unreachable lists guardians who should have been told but have no
	// contact details; their personal tutor is told instead.
	Unreachable []UnreachableGuardian `json:"unreachable,omitempty"`
	// Raised and Cleared are the early-warning flags that changed.
	Raised  []FlagChange `json:"raised,omitempty"`
	Cleared []FlagChange `json:"cleared,omitempty"`
}

// UnreachableGuardian is a guardian without contact details.
type UnreachableGuardian struct {
	CaseID     CaseID `json:"case_id"`
	GuardianID string `json:"guardian_id"`
	Date       Date   `json:"date"`
}

// FlagChange is a risk flag raised or cleared on a case.
type FlagChange struct {
	CaseID CaseID   `json:"case_id"`
	Flag   RiskFlag `json:"flag"`
}

// IsStaff reports whether r is a staff role of the education provider (the
// support team's professional roles and the head of studies; not a
// guardian, a student, a peer coach or the engine).
func (r Role) IsStaff() bool { return slices.Contains(staffRoles, r) }

// staffRoles may record attendance.
var staffRoles = []Role{RolePersonalTutor, RoleCoach, RoleTeacher, RoleSpecialNeedsTeacher, RoleStudyCounsellor,
	RoleCurator, RolePsychologist, RoleNurse, RoleWorkplaceInstructor, RoleHeadOfStudies}

// RecordAttendance stores attendance marks — one lesson, or a whole
// group's day, in one call and one transaction — and does what follows from
// them in the same transaction:
//
//   - a changed mark is stored as a new revision (the history shows who
//     changed what); an identical mark is left alone;
//   - each guardian of a student who is a minor on the mark's date (or an
//     adult who consents) gets one digest a day of the unexplained
//     absences, at the digest time (15:00 by default); marks recorded after
//     the digest go out within minutes, still that day; a correction before
//     the digest is sent rewrites it (or cancels it when nothing is left),
//     after it a correction notice follows; a guardian without contact
//     details is reported and the personal tutor told;
//   - the early-warning rules run over the student's marks: a condition
//     that starts to hold flags the case and alerts the rule's roles once;
//     one that no longer holds clears the flag.
//
// Any invalid mark rejects the whole call with every problem listed.
func (e *Engine) RecordAttendance(ctx context.Context, actor Actor, marks []MarkInput) (*AttendanceResult, error) {
	return e.recordAttendance(ctx, e.run(ctx), actor, marks)
}

func (e *Engine) recordAttendance(ctx context.Context, run txRunner, actor Actor, marks []MarkInput) (*AttendanceResult, error) {
	if err := e.screen(run, actor, OpRecordAttendance); err != nil {
		return nil, err
	}
	now := e.clock.Now()
	today := DateOf(now)
	pr := problems{subject: "attendance"}
	if len(marks) == 0 {
		pr.add("marks", "no marks given")
	}
	if len(marks) > 10000 {
		pr.add("marks", "at most 10000 marks in one call")
	}
	seen := make(map[caseMarkKey]int, len(marks))
	for i, in := range marks {
		path := fmt.Sprintf("marks[%d]", i)
		in.validate(&pr, path, today)
		k := caseMarkKey{in.CaseID, MarkKey{in.Date, in.Lesson}}
		if j, dup := seen[k]; dup {
			pr.add(path, "the same case, date and lesson as marks[%d]", j)
		}
		seen[k] = i
	}
	if err := pr.err(); err != nil {
		return nil, err
	}
	// Marks grouped by case, in the order cases first appear.
	var order []CaseID
	byCase := map[CaseID][]int{}
	for i, in := range marks {
		if _, ok := byCase[in.CaseID]; !ok {
			order = append(order, in.CaseID)
		}
		byCase[in.CaseID] = append(byCase[in.CaseID], i)
	}
	res := &AttendanceResult{}
	err := run(func(tx Tx) error {
		*res = AttendanceResult{}
		// Every case is checked before anything is written, so a denied
		// or unknown case in a host's transaction leaves nothing behind.
		cases := make([]Case, len(order))
		for i, id := range order {
			c, err := e.attendanceCase(ctx, tx, actor, id, byCase[id][0])
			if err != nil {
				return err
			}
			cases[i] = c
		}
		for i, id := range order {
			if err := e.recordCase(ctx, tx, actor, cases[i], marks, byCase[id], now, res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

type caseMarkKey struct {
	id  CaseID
	key MarkKey
}

// attendanceCase loads a case for marks and asks the policy; the marks'
// first index names it in errors.
func (e *Engine) attendanceCase(ctx context.Context, tx ReadTx, actor Actor, id CaseID, first int) (Case, error) {
	c, err := tx.Case(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Case{}, &ValidationError{Subject: "attendance", Problems: []FieldProblem{{Field: fmt.Sprintf("marks[%d].case_id", first), Message: fmt.Sprintf("unknown case %q", id)}}}
	}
	if err != nil {
		return Case{}, err
	}
	if _, _, err := e.authorize(ctx, tx, actor, OpRecordAttendance, &c, "", "", nil); err != nil {
		return Case{}, err
	}
	if c.Closed() {
		return Case{}, &ValidationError{Subject: "attendance", Problems: []FieldProblem{{Field: fmt.Sprintf("marks[%d].case_id", first), Message: fmt.Sprintf("case %q is closed", id)}}}
	}
	return c, nil
}

// recordCase writes one case's marks and what follows from them.
func (e *Engine) recordCase(ctx context.Context, tx Tx, actor Actor, c Case, all []MarkInput, idx []int, now time.Time, res *AttendanceResult) error {
	id := c.ID
	var write []Mark
	var days []Date
	for _, i := range idx {
		in := all[i]
		m := Mark{CaseID: id, Date: in.Date, Lesson: in.Lesson, Title: in.Title, Minutes: in.Minutes, Status: in.Status,
			Reason: in.Reason, At: now, By: actor.ID}
		hist, err := tx.MarkHistory(ctx, id, m.Key())
		if err != nil {
			return err
		}
		if n := len(hist); n > 0 && hist[n-1].sameContent(m) {
			res.Unchanged++
			continue
		}
		m.Revision = len(hist) + 1
		write = append(write, m)
		if !slices.Contains(days, m.Date) {
			days = append(days, m.Date)
		}
	}
	if len(write) == 0 {
		return nil
	}
	if err := tx.PutMarks(ctx, write); err != nil {
		return err
	}
	res.Written = append(res.Written, write...)
	p, err := tx.Participant(ctx, c.ParticipantID)
	switch {
	case err == nil:
		for _, d := range days {
			if err := e.guardianNotices(ctx, tx, c, p, d, now, res); err != nil {
				return err
			}
		}
	case !errors.Is(err, ErrNotFound):
		return err
	}
	return e.reviewCase(ctx, tx, c, now, res)
}

// digestTime is when the guardian digest of date d goes out.
func (e *Engine) digestTime(d Date) time.Time {
	return d.At(e.att.DigestHour, e.att.DigestMinute)
}

// guardianNotices brings the guardians' absence notices of one case and
// date up to date with the day's unexplained absences.
func (e *Engine) guardianNotices(ctx context.Context, tx Tx, c Case, p Participant, d Date, now time.Time, res *AttendanceResult) error {
	if !p.GuardiansInformedOn(d) || len(p.Guardians) == 0 {
		return nil
	}
	day, err := tx.Marks(ctx, c.ID, d, d)
	if err != nil {
		return err
	}
	var unexplained []Mark
	for _, m := range day {
		if m.Status == AttendanceUnexplained {
			unexplained = append(unexplained, m)
		}
	}
	contact := contactPerson(c)
	for _, g := range p.Guardians {
		if !g.Contact.Reachable() {
			if len(unexplained) > 0 {
				if err := e.unreachable(ctx, tx, c, g, d, now, res); err != nil {
					return err
				}
			}
			continue
		}
		if err := e.guardianDigest(ctx, tx, c, p, g, d, unexplained, contact, now, res); err != nil {
			return err
		}
	}
	return nil
}

// guardianDigest keeps one guardian's chain of absence notices for a day:
// the digest ("absence:<case>:<date>:<guardian>") and follow-ups for later
// marks (":2", ":3", …). A pending notice of the chain is rewritten; sent
// ones are never repeated, and lessons told that are no longer unexplained
// get a correction notice.
func (e *Engine) guardianDigest(ctx context.Context, tx Tx, c Case, p Participant, g Guardian, d Date, unexplained []Mark, contact *TeamMember, now time.Time, res *AttendanceResult) error {
	base := "absence:" + string(c.ID) + ":" + d.String() + ":" + g.ID
	told := map[string]bool{}
	var pending *Notice
	seq := 0
	for ; ; seq++ {
		id := base
		if seq > 0 {
			id = base + ":" + strconv.Itoa(seq+1)
		}
		n, err := tx.Notice(ctx, id)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return err
		}
		switch n.Status {
		case NoticePending:
			pending = &n
		case NoticeCancelled:
		default:
			for _, l := range strings.Split(n.Data["lessons"], "\x1f") {
				told[l] = true
			}
		}
	}
	var fresh []Mark
	for _, m := range unexplained {
		if !told[m.Lesson] {
			fresh = append(fresh, m)
		}
	}
	lang := g.Language
	if !lang.Valid() {
		lang = p.Language
	}
	if !lang.Valid() {
		lang = Finnish
	}
	notBefore := e.digestTime(d)
	late := false
	if !now.Before(notBefore) {
		notBefore = now.Add(e.att.LateDelay)
		late = DateOf(now) != d
	}
	recipient := Recipient{ID: g.ID, Name: g.Name, Role: RoleGuardian, Contact: g.Contact, Language: lang}
	build := func(id string, ms []Mark) Notice {
		subject, body := e.absenceText(lang, p, d, ms, contact)
		keys := make([]string, len(ms))
		for i, m := range ms {
			keys[i] = m.Lesson
		}
		data := map[string]string{"case_id": string(c.ID), "date": d.String(), "lessons": strings.Join(keys, "\x1f")}
		if late {
			data["late"] = "true"
		}
		return Notice{ID: id, CaseID: c.ID, Kind: NoticeKindAbsence, Recipient: recipient, Subject: subject, Body: body,
			Data: data, CreatedAt: now, NotBefore: notBefore, Status: NoticePending}
	}
	if pending != nil {
		n := build(pending.ID, fresh)
		n.NotBefore = pending.NotBefore
		if len(fresh) == 0 {
			n.Status = NoticeCancelled
		}
		ok, err := tx.UpdateNotice(ctx, n)
		if err != nil {
			return err
		}
		if ok {
			res.Revised = append(res.Revised, n.ID)
			pending = n.ptr()
		} else {
			// A dispatcher claimed it meanwhile: what it lists counts as
			// told, and the rest goes in a follow-up.
			for _, l := range strings.Split(pending.Data["lessons"], "\x1f") {
				told[l] = true
			}
			fresh = fresh[:0]
			for _, m := range unexplained {
				if !told[m.Lesson] {
					fresh = append(fresh, m)
				}
			}
			pending = nil
		}
	}
	switch {
	case pending != nil:
	case len(fresh) > 0:
		id := base
		if seq > 0 {
			id = base + ":" + strconv.Itoa(seq+1)
		}
		n := build(id, fresh)
		inserted, err := tx.Enqueue(ctx, n)
		if err != nil {
			return err
		}
		if inserted {
			res.Notices = append(res.Notices, n)
		}
	}
	// Lessons told that are no longer unexplained: a correction notice.
	var corrected []string
	var titles []Mark
	still := map[string]bool{}
	for _, m := range unexplained {
		still[m.Lesson] = true
	}
	day, err := tx.Marks(ctx, c.ID, d, d)
	if err != nil {
		return err
	}
	for _, m := range day {
		if told[m.Lesson] && !still[m.Lesson] {
			corrected = append(corrected, m.Lesson)
			titles = append(titles, m)
		}
	}
	if len(corrected) == 0 {
		return nil
	}
	subject, body := e.correctionText(lang, p, d, titles)
	n := Notice{ID: "absence-correction:" + string(c.ID) + ":" + d.String() + ":" + g.ID + ":" + strings.Join(corrected, "\x1f"),
		CaseID: c.ID, Kind: NoticeKindAbsenceCorrection, Recipient: recipient, Subject: subject, Body: body,
		Data:      map[string]string{"case_id": string(c.ID), "date": d.String(), "lessons": strings.Join(corrected, "\x1f")},
		CreatedAt: now, NotBefore: now.Add(e.att.LateDelay), Status: NoticePending}
	inserted, err := tx.Enqueue(ctx, n)
	if err != nil {
		return err
	}
	if inserted {
		res.Notices = append(res.Notices, n)
	}
	return nil
}

// unreachable reports a guardian without contact details and tells the
// personal tutor (once per guardian and case).
func (e *Engine) unreachable(ctx context.Context, tx Tx, c Case, g Guardian, d Date, now time.Time, res *AttendanceResult) error {
	res.Unreachable = append(res.Unreachable, UnreachableGuardian{CaseID: c.ID, GuardianID: g.ID, Date: d})
	for _, tm := range teamFor(c, []Role{RolePersonalTutor}, "") {
		r := recipientOf(tm)
		subject, body := e.unreachableText(r.Language, c.ID, g.Name)
		n := Notice{ID: "guardian-unreachable:" + string(c.ID) + ":" + g.ID + ":" + tm.ActorID, CaseID: c.ID,
			Kind: NoticeKindGuardianUnreachable, Recipient: r, Subject: subject, Body: body,
			Data:      map[string]string{"case_id": string(c.ID), "guardian_id": g.ID},
			CreatedAt: now, NotBefore: now, Status: NoticePending}
		inserted, err := tx.Enqueue(ctx, n)
		if err != nil {
			return err
		}
		if inserted {
			res.Notices = append(res.Notices, n)
		}
	}
	return nil
}

// contactPerson is who guardians are told to contact: the personal tutor,
// else the coach.
func contactPerson(c Case) *TeamMember {
	for _, r := range []Role{RolePersonalTutor, RoleCoach} {
		if ms := c.Members(r); len(ms) > 0 {
			return &ms[0]
		}
	}
	return nil
}

// reviewCase runs the early-warning rules over a case's marks and raises
// or clears its flags, with one audit entry and the alerts, in tx.
func (e *Engine) reviewCase(ctx context.Context, tx Tx, c Case, now time.Time, res *AttendanceResult) error {
	if len(e.att.WarningRules) == 0 {
		return nil
	}
	today := DateOf(now)
	marks, err := tx.Marks(ctx, c.ID, Date{}, today)
	if err != nil {
		return err
	}
	h := &AttendanceHistory{Case: c, Marks: marks, Today: today}
	hits := map[string]string{}
	for _, w := range EvaluateWarnings(e.att.WarningRules, h) {
		hits[w.Rule.Name()] = w.Reason
	}
	var raised []RiskFlag
	var cleared []RiskFlag
	var flags []RiskFlag
	seq := c.Version + 1
	for _, f := range c.Flags {
		if _, still := hits[f.Rule]; still {
			flags = append(flags, f)
		} else {
			cleared = append(cleared, f)
		}
	}
	var alerts []Notice
	for _, r := range e.att.WarningRules {
		reason, hit := hits[r.Name()]
		if !hit {
			continue
		}
		if _, had := c.Flag(r.Name()); had {
			continue
		}
		f := RiskFlag{Rule: r.Name(), Reason: reason, Since: now, Seq: seq}
		flags = append(flags, f)
		raised = append(raised, f)
		alerts = append(alerts, e.riskAlerts(c, f, r.Notify(), now)...)
	}
	if len(raised) == 0 && len(cleared) == 0 {
		return nil
	}
	next := c
	next.Version = seq
	next.Flags = flags
	var words []string
	for _, f := range raised {
		words = append(words, "raised "+f.Rule+": "+f.Reason)
		res.Raised = append(res.Raised, FlagChange{CaseID: c.ID, Flag: f})
	}
	for _, f := range cleared {
		words = append(words, "cleared "+f.Rule)
		res.Cleared = append(res.Cleared, FlagChange{CaseID: c.ID, Flag: f})
	}
	entry := AuditEntry{CaseID: c.ID, Seq: seq, At: now, Kind: AuditRisk, ActorID: systemActorID, Roles: []Role{RoleSystem},
		Event: "early_warning", From: c.State, To: c.State, Reason: strings.Join(words, "; ")}
	if err := tx.UpdateCase(ctx, next, c.Version); err != nil {
		return err
	}
	if err := tx.AppendAudit(ctx, entry); err != nil {
		return err
	}
	for _, n := range alerts {
		inserted, err := tx.Enqueue(ctx, n)
		if err != nil {
			return err
		}
		if inserted {
			res.Notices = append(res.Notices, n)
		}
	}
	return nil
}

// riskAlerts tells the rule's roles on the team that a flag was raised.
func (e *Engine) riskAlerts(c Case, f RiskFlag, roles []Role, now time.Time) []Notice {
	var out []Notice
	for _, tm := range teamFor(c, roles, "") {
		r := recipientOf(tm)
		subject, body := e.riskText(r.Language, c.ID, f.Reason)
		out = append(out, Notice{ID: "risk:" + string(c.ID) + ":" + f.Rule + ":" + strconv.FormatInt(f.Seq, 10) + ":" + tm.ActorID,
			CaseID: c.ID, Kind: NoticeKindRiskAlert, Recipient: r, Subject: subject, Body: body,
			Data:      map[string]string{"case_id": string(c.ID), "rule": f.Rule},
			CreatedAt: now, NotBefore: now, Status: NoticePending})
	}
	return out
}

// ReviewRisks runs the early-warning rules over every open case and
// raises or clears flags (a nightly sweep catches conditions that change
// without new marks). It returns the flags that changed.
func (e *Engine) ReviewRisks(ctx context.Context) (raised, cleared []FlagChange, err error) {
	if e.bound {
		return nil, nil, errBound
	}
	for c, err := range e.store.Cases(ctx, CaseQuery{OpenOnly: true}) {
		if err != nil {
			return raised, cleared, err
		}
		res := &AttendanceResult{}
		err := e.store.Update(ctx, func(tx Tx) error {
			*res = AttendanceResult{}
			cur, err := tx.Case(ctx, c.ID)
			if err != nil {
				return err
			}
			return e.reviewCase(ctx, tx, cur, e.clock.Now(), res)
		})
		if err != nil {
			return raised, cleared, err
		}
		raised = append(raised, res.Raised...)
		cleared = append(cleared, res.Cleared...)
	}
	return raised, cleared, nil
}

// Marks returns a case's current attendance marks dated from..to
// (inclusive; a zero end is open), ordered by date then lesson, if the
// policy lets actor read the case's attendance.
func (e *Engine) Marks(ctx context.Context, actor Actor, id CaseID, from, to Date) ([]Mark, error) {
	var out []Mark
	err := e.readCase(ctx, actor, OpReadAttendance, id, func(tx ReadTx, _ *Case) error {
		ms, err := tx.Marks(ctx, id, from, to)
		out = slices.Clone(ms) // the store's slice is read-only
		return err
	})
	return out, err
}

// MarkHistory returns every revision of one mark, oldest first: who
// recorded or corrected what, and when.
func (e *Engine) MarkHistory(ctx context.Context, actor Actor, id CaseID, key MarkKey) ([]Mark, error) {
	var out []Mark
	err := e.readCase(ctx, actor, OpReadAttendance, id, func(tx ReadTx, _ *Case) error {
		var err error
		out, err = tx.MarkHistory(ctx, id, key)
		return err
	})
	return out, err
}
