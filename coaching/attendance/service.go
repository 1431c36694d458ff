package attendance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Options configure attendance, guardian notices and early warning. The
// zero value of every field is a documented default.
type Options struct {
	// DigestHour and DigestMinute are the Helsinki wall-clock time of the
	// daily guardian digest. Defaults to 15:00 (both zero).
	DigestHour, DigestMinute int
	// LateDelay is how soon after recording, a mark recorded after the
	// day's digest time is told to guardians. Defaults to 5 minutes.
	LateDelay time.Duration
	// WarningRules are the early-warning rules. Nil means
	// [DefaultWarningRules]; an empty non-nil slice turns early warning off.
	WarningRules []WarningRule
	// Excuses are the absences families reported in advance or explained
	// (coaching/absence provides them): an absence a teacher marks that an
	// accepted report covers is recorded excused, and an unexplained mark
	// whose explanation is pending is not counted by [UnexplainedRule].
	// Nil: none.
	Excuses Excuses
}

func (o *Options) withDefaults() (Options, error) {
	var out Options
	if o != nil {
		out = *o
	}
	if out.DigestHour == 0 && out.DigestMinute == 0 {
		out.DigestHour = 15
	}
	if h, m := out.DigestHour, out.DigestMinute; h < 0 || h > 23 || m < 0 || m > 59 {
		return Options{}, fmt.Errorf("attendance: New: the digest time %02d:%02d is not a time of day", h, m)
	}
	if out.LateDelay <= 0 {
		out.LateDelay = 5 * time.Minute
	}
	if out.WarningRules == nil {
		out.WarningRules = DefaultWarningRules()
	}
	for i, r := range out.WarningRules {
		if r == nil {
			return Options{}, fmt.Errorf("attendance: New: WarningRules[%d] is nil", i)
		}
		if r.Window().SchoolDays < 0 {
			return Options{}, fmt.Errorf("attendance: New: the window of warning rule %q is negative", r.Name())
		}
	}
	return out, nil
}

// Result says what [Service.Record] did.
type Result struct {
	// Written are the marks stored: new marks and corrections.
	Written []Mark `json:"written"`
	// Unchanged counts marks identical to the stored ones.
	Unchanged int `json:"unchanged"`
	// Notices are the notices enqueued (absence digests, corrections,
	// alerts).
	Notices []coaching.Notice `json:"notices"`
	// Revised are the ids of pending digests rewritten or cancelled.
	Revised []string `json:"revised,omitempty"`
	// Unreachable lists guardians who should have been told but have no
	// contact details; their personal tutor is told instead.
	Unreachable []UnreachableGuardian `json:"unreachable,omitempty"`
	// Excused counts the absences marked unexplained that were recorded
	// excused instead, because a family's accepted report covers them
	// ([Options.Excuses]).
	Excused int `json:"excused,omitempty"`
	// Raised and Cleared are the early-warning flags that changed.
	Raised  []FlagChange `json:"raised,omitempty"`
	Cleared []FlagChange `json:"cleared,omitempty"`
}

// enqueue adds n to the outbox in tx and, when it was not there already,
// to the result's notices.
func (r *Result) enqueue(sc *coaching.Scope, n coaching.Notice) error {
	inserted, err := sc.Enqueue(n)
	if err == nil && inserted {
		r.Notices = append(r.Notices, n)
	}
	return err
}

// UnreachableGuardian is a guardian without contact details.
type UnreachableGuardian struct {
	CaseID     coaching.CaseID `json:"case_id"`
	GuardianID string          `json:"guardian_id"`
	Date       coaching.Date   `json:"date"`
}

// FlagChange is a risk flag raised or cleared on a case.
type FlagChange struct {
	CaseID coaching.CaseID `json:"case_id"`
	Flag   RiskFlag        `json:"flag"`
}

// errNoPort: the engine's store keeps no attendance.
var errNoPort = errors.New("attendance: the store does not keep attendance (its transactions do not implement attendance.Store)")

// Service records and reads attendance over an engine.
type Service struct {
	eng    *coaching.Engine
	o      Options
	window Window // the rules' largest window
}

// New returns the attendance of eng with opts (nil: the defaults). A bound
// engine ([coaching.Engine.In]) runs Record, Marks, MarkHistory and Flags
// in the host's transaction.
func New(eng *coaching.Engine, opts *Options) (*Service, error) {
	if eng == nil {
		return nil, errors.New("attendance: New: engine is nil")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Service{eng: eng, o: o, window: windowOf(o.WarningRules)}, nil
}

// In returns the service over eng.In(tx): its commands and reads run in
// the host's transaction tx.
func (s *Service) In(tx coaching.Tx) *Service {
	b := *s
	b.eng = s.eng.In(tx)
	return &b
}

// Record stores attendance marks — one lesson, or a whole group's day, in
// one call and one transaction — and does what follows from them in the
// same transaction:
//
//   - a changed mark is stored as a new revision (the history shows who
//     changed what); an identical mark is left alone;
//   - each guardian of a student who is a minor (or an adult who
//     consents) both on the mark's date and today gets one digest a day
//     of the unexplained absences, at the digest time (15:00 by default);
//     marks recorded after the digest go out within minutes, still that
//     day; a correction before the digest is sent rewrites it (or cancels
//     it when nothing is left), after it a correction notice follows; a
//     guardian without contact details is reported and the personal tutor
//     told; once the student is an adult without consent, nothing more
//     goes to the guardians, and a digest still pending is cancelled;
//   - the early-warning rules run over the student's marks in their
//     windows and the running totals: a condition that starts to hold
//     flags the case and alerts the rule's roles once; one that no longer
//     holds clears the flag.
//
// The policy's record_attendance rule must allow actor on every case. Any
// invalid mark rejects the whole call with every problem listed.
//
// With [Options.Excuses], recording an absence checks it against the
// families' requests and is a new version of the case (an audit entry of
// kind [AuditAbsences]): a request decided at the same moment conflicts
// with it rather than both missing the other. An unbound service runs the
// recording again after a conflict ([coaching.WriteRetrying]); a bound
// one ([Service.In]) returns the *coaching.ConflictError.
func (s *Service) Record(ctx context.Context, actor coaching.Actor, marks []MarkInput) (*Result, error) {
	var res *Result
	err := coaching.WriteRetrying(ctx, s.eng, actor, func(sc *coaching.Scope) error {
		res = &Result{}
		now := sc.Now()
		if err := validate(marks, coaching.DateOf(now)); err != nil {
			return err
		}
		// Marks grouped by case, in the order cases first appear.
		var order []coaching.CaseID
		byCase := map[coaching.CaseID][]int{}
		for i, in := range marks {
			if _, ok := byCase[in.CaseID]; !ok {
				order = append(order, in.CaseID)
			}
			byCase[in.CaseID] = append(byCase[in.CaseID], i)
		}
		st, ok := sc.Tx().(Store)
		if !ok {
			return errNoPort
		}
		// Every case is checked before anything is written, so a denied
		// or unknown case in a host's transaction leaves nothing behind.
		cases := make([]coaching.Case, len(order))
		for i, id := range order {
			c, err := caseFor(sc, id, byCase[id][0])
			if err != nil {
				return err
			}
			cases[i] = c
		}
		for i, id := range order {
			if err := s.recordCase(ctx, sc, st, cases[i], marks, byCase[id], now, res); err != nil {
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

// validate checks the marks before anything is read or written, reporting
// every problem at once.
func validate(marks []MarkInput, today coaching.Date) error {
	var pr []coaching.FieldProblem
	if len(marks) == 0 {
		pr = append(pr, coaching.FieldProblem{Field: "marks", Message: "no marks given"})
	}
	if len(marks) > 10000 {
		pr = append(pr, coaching.FieldProblem{Field: "marks", Message: "at most 10000 marks in one call"})
	}
	seen := make(map[caseMarkKey]int, len(marks))
	for i, in := range marks {
		path := fmt.Sprintf("marks[%d]", i)
		pr = append(pr, in.validate(path, today)...)
		k := caseMarkKey{in.CaseID, MarkKey{in.Date, in.Lesson}}
		if j, dup := seen[k]; dup {
			pr = append(pr, coaching.FieldProblem{Field: path, Message: fmt.Sprintf("the same case, date and lesson as marks[%d]", j)})
		}
		seen[k] = i
	}
	if len(pr) > 0 {
		return &coaching.ValidationError{Subject: "attendance", Problems: pr}
	}
	return nil
}

type caseMarkKey struct {
	id  coaching.CaseID
	key MarkKey
}

// caseFor loads a case for marks after the policy allowed recording; the
// marks' first index names it in errors.
func caseFor(sc *coaching.Scope, id coaching.CaseID, first int) (coaching.Case, error) {
	c, err := sc.Case(coaching.OpRecordAttendance, id)
	unknown := func() error {
		return &coaching.ValidationError{Subject: "attendance", Problems: []coaching.FieldProblem{{Field: fmt.Sprintf("marks[%d].case_id", first), Message: fmt.Sprintf("unknown case %q", id)}}}
	}
	if errors.Is(err, coaching.ErrNotFound) {
		return coaching.Case{}, unknown()
	}
	// Another organisation's case is answered exactly as a missing one
	// (ForbiddenError.NotFound), its denial logged.
	var fe *coaching.ForbiddenError
	if errors.As(err, &fe) && fe.NotFound() != nil {
		return coaching.Case{}, fe.Conceal(unknown())
	}
	if err != nil {
		return coaching.Case{}, err
	}
	if c.Closed() {
		return coaching.Case{}, &coaching.ValidationError{Subject: "attendance", Problems: []coaching.FieldProblem{{Field: fmt.Sprintf("marks[%d].case_id", first), Message: fmt.Sprintf("case %q is closed", id)}}}
	}
	return c, nil
}

// recordCase writes one case's marks and what follows from them.
func (s *Service) recordCase(ctx context.Context, sc *coaching.Scope, st Store, c coaching.Case, all []MarkInput, idx []int, now time.Time, res *Result) error {
	id := c.ID
	actor := sc.Actor()
	excuses, err := s.excusesFor(ctx, sc.ReadTx(), id, all, idx, coaching.DateOf(now))
	if err != nil {
		return err
	}
	var write []Mark
	var days []coaching.Date
	checked := false // a mark written depends on the excuses read
	for _, i := range idx {
		in := all[i]
		m := Mark{CaseID: id, Date: in.Date, Lesson: in.Lesson, Title: in.Title, Minutes: in.Minutes, Status: in.Status,
			Reason: in.Reason, At: now, By: actor.ID}
		if m.Status == Unexplained {
			checked = checked || s.o.Excuses != nil
			if x, ok := excusedBy(excuses, m.Key(), false); ok && !in.Override {
				m.Status, m.Reason = x.Status, x.Reason
				res.Excused++
			}
		}
		hist, err := st.MarkHistory(ctx, id, m.Key())
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
	if err := st.PutMarks(ctx, write); err != nil {
		return err
	}
	res.Written = append(res.Written, write...)
	if checked {
		if err := s.checkedAgainst(sc, c, write); err != nil {
			return err
		}
	}
	if err := s.notifyDays(ctx, sc, st, c, days, now, res); err != nil {
		return err
	}
	return s.review(ctx, sc, coaching.OpRecordAttendance, st, c, now, res)
}

// notifyDays brings the guardians' absence notices of case c up to date
// for each of days. The participant is read for the guardians' notices
// only: who they are, whether they are told (a minor, or an adult's
// consent), their language and the student's name for the notice.
func (s *Service) notifyDays(ctx context.Context, sc *coaching.Scope, st Store, c coaching.Case, days []coaching.Date, now time.Time, res *Result) error {
	tx := sc.Tx()
	if len(days) == 0 {
		return nil
	}
	p, err := tx.Participant(ctx, c.Organisation, c.ParticipantID)
	if errors.Is(err, coaching.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, d := range days {
		if err := s.guardianNotices(ctx, sc, st, c, p, d, now, res); err != nil {
			return err
		}
	}
	return nil
}

// checkedAgainst records, as a new version of case c, that marks were
// written against the excuses read at c's version: the change is
// refused with a *coaching.ConflictError when the case changed since c
// was read (a family's request accepted meanwhile), and a request
// decided concurrently conflicts on the same version. So a recording and
// a decision on the same case never both commit having each missed the
// other's writes (PostgreSQL runs them under READ COMMITTED).
func (s *Service) checkedAgainst(sc *coaching.Scope, c coaching.Case, write []Mark) error {
	var days []string
	for _, m := range write {
		if d := m.Date.String(); !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	_, err := sc.ChangeCase(coaching.OpRecordAttendance, c.ID, func(ch *coaching.CaseChange) error {
		if v := ch.Case().Version; v != c.Version {
			return &coaching.ConflictError{CaseID: c.ID, Expected: c.Version, Current: v}
		}
		ch.Audit(AuditAbsences, "absences_recorded", fmt.Sprintf("%d marks recorded on %s, checked against the family's requests", len(write), strings.Join(days, ", ")), nil)
		return nil
	})
	return err
}

// digestTime is when the guardian digest of date d goes out.
func (s *Service) digestTime(d coaching.Date) time.Time {
	return d.At(s.o.DigestHour, s.o.DigestMinute)
}

// guardianNotices brings the guardians' absence notices of one case and
// date up to date with the day's unexplained absences. The guardians are
// told of a day only while the student is a minor (or an adult who
// consents) both on that day and on the day the notice is made: of an
// adult without consent today, nothing new goes to them — no late
// digest, no correction, no digest rebuilt when a family's request is
// rejected or lapses — whatever the day of the absence, and a digest of
// theirs still pending is cancelled.
func (s *Service) guardianNotices(ctx context.Context, sc *coaching.Scope, st Store, c coaching.Case, p coaching.Participant, d coaching.Date, now time.Time, res *Result) error {
	tx := sc.Tx()
	if !p.GuardiansInformedOn(d) || len(p.Guardians) == 0 {
		return nil
	}
	if !p.GuardiansInformedOn(coaching.DateOf(now)) {
		for _, g := range p.Guardians {
			if err := s.cancelDigests(ctx, tx, c, g, d, res); err != nil {
				return err
			}
		}
		return nil
	}
	day, err := st.Marks(ctx, c.ID, d, d)
	if err != nil {
		return err
	}
	var unexplained []Mark
	for _, m := range day {
		if m.Status == Unexplained {
			unexplained = append(unexplained, m)
		}
	}
	if len(unexplained) > 0 && s.o.Excuses != nil {
		// The family has reported or explained these lessons and their
		// request waits for a decision: they are not told of what they
		// told the school themselves; a rejection tells them then.
		xs, err := s.excuses(ctx, tx, c.ID, d, d, coaching.DateOf(now))
		if err != nil {
			return err
		}
		unexplained = slices.DeleteFunc(unexplained, func(m Mark) bool {
			_, ok := excusedBy(xs, m.Key(), true)
			return ok
		})
	}
	contact := contactPerson(c)
	for _, g := range p.Guardians {
		if !g.Contact.Reachable() {
			if len(unexplained) > 0 {
				if err := s.unreachable(ctx, sc, c, g, d, now, res); err != nil {
					return err
				}
			}
			continue
		}
		if err := s.guardianDigest(ctx, sc, st, c, p, g, d, unexplained, day, contact, now, res); err != nil {
			return err
		}
	}
	return nil
}

// digestID is the id of the seq-th notice (from 0) of a guardian's chain
// of absence notices for a day: base, then base:2, base:3, ….
func digestID(base string, seq int) string {
	if seq == 0 {
		return base
	}
	return base + ":" + strconv.Itoa(seq+1)
}

// digestBase is the id of a guardian's absence digest of case c for day d.
func digestBase(c coaching.Case, d coaching.Date, g coaching.Guardian) string {
	return "absence:" + string(c.ID) + ":" + d.String() + ":" + g.ID
}

// cancelDigests cancels the notices of a guardian's chain for day d that
// are still pending (one a dispatcher has claimed is left as it is).
func (s *Service) cancelDigests(ctx context.Context, tx coaching.Tx, c coaching.Case, g coaching.Guardian, d coaching.Date, res *Result) error {
	base := digestBase(c, d, g)
	for seq := 0; ; seq++ {
		n, err := tx.Notice(ctx, digestID(base, seq))
		if errors.Is(err, coaching.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if n.Status != coaching.NoticePending {
			continue
		}
		n.Status = coaching.NoticeCancelled
		ok, err := tx.UpdateNotice(ctx, n)
		if err != nil {
			return err
		}
		if ok {
			res.Revised = append(res.Revised, n.ID)
		}
	}
}

// guardianDigest keeps one guardian's chain of absence notices for a day:
// the digest ("absence:<case>:<date>:<guardian>") and follow-ups for later
// marks (":2", ":3", …). A pending notice of the chain is rewritten; sent
// ones are never repeated, and lessons told that are no longer unexplained
// get a correction notice.
func (s *Service) guardianDigest(ctx context.Context, sc *coaching.Scope, st Store, c coaching.Case, p coaching.Participant, g coaching.Guardian, d coaching.Date, unexplained, day []Mark, contact *coaching.TeamMember, now time.Time, res *Result) error {
	tx := sc.Tx()
	base := digestBase(c, d, g)
	told := map[string]bool{}
	var pending *coaching.Notice
	seq := 0
	for ; ; seq++ {
		n, err := tx.Notice(ctx, digestID(base, seq))
		if errors.Is(err, coaching.ErrNotFound) {
			break
		}
		if err != nil {
			return err
		}
		switch n.Status {
		case coaching.NoticePending:
			pending = &n
		case coaching.NoticeCancelled:
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
		lang = coaching.Finnish
	}
	notBefore := s.digestTime(d)
	late := false
	if !now.Before(notBefore) {
		notBefore = now.Add(s.o.LateDelay)
		late = coaching.DateOf(now) != d
	}
	recipient := coaching.Recipient{ID: g.ID, Name: g.Name, Role: coaching.RoleGuardian, Contact: g.Contact, Language: lang}
	build := func(id string, ms []Mark) coaching.Notice {
		subject, body := s.text(coaching.NoticeKindAbsence, lang, absenceFields(lang, p, d, ms, contact))
		keys := make([]string, len(ms))
		for i, m := range ms {
			keys[i] = m.Lesson
		}
		data := map[string]string{"case_id": string(c.ID), "date": d.String(), "lessons": strings.Join(keys, "\x1f")}
		if late {
			data["late"] = "true"
		}
		return coaching.Notice{ID: id, CaseID: c.ID, Kind: coaching.NoticeKindAbsence, Recipient: recipient, Subject: subject, Body: body,
			Data: data, CreatedAt: now, NotBefore: notBefore, Status: coaching.NoticePending}
	}
	if pending != nil {
		n := build(pending.ID, fresh)
		n.NotBefore = pending.NotBefore
		if len(fresh) == 0 {
			n.Status = coaching.NoticeCancelled
		}
		ok, err := tx.UpdateNotice(ctx, n)
		if err != nil {
			return err
		}
		if ok {
			res.Revised = append(res.Revised, n.ID)
			pending = &n
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
		if err := res.enqueue(sc, build(digestID(base, seq), fresh)); err != nil {
			return err
		}
	}
	// Lessons told that are no longer unexplained: a correction notice.
	var corrected []string
	var titles []Mark
	still := map[string]bool{}
	for _, m := range day {
		if m.Status == Unexplained {
			still[m.Lesson] = true
		}
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
	subject, body := s.text(coaching.NoticeKindAbsenceCorrection, lang, correctionFields(lang, p, d, titles))
	n := coaching.Notice{ID: "absence-correction:" + string(c.ID) + ":" + d.String() + ":" + g.ID + ":" + strings.Join(corrected, "\x1f"),
		CaseID: c.ID, Kind: coaching.NoticeKindAbsenceCorrection, Recipient: recipient, Subject: subject, Body: body,
		Data:      map[string]string{"case_id": string(c.ID), "date": d.String(), "lessons": strings.Join(corrected, "\x1f")},
		CreatedAt: now, NotBefore: now.Add(s.o.LateDelay), Status: coaching.NoticePending}
	return res.enqueue(sc, n)
}

// unreachable reports a guardian without contact details and tells the
// personal tutor (once per guardian and case).
func (s *Service) unreachable(ctx context.Context, sc *coaching.Scope, c coaching.Case, g coaching.Guardian, d coaching.Date, now time.Time, res *Result) error {
	res.Unreachable = append(res.Unreachable, UnreachableGuardian{CaseID: c.ID, GuardianID: g.ID, Date: d})
	for _, tm := range teamFor(c, []coaching.Role{coaching.RolePersonalTutor}) {
		r := tm.Recipient()
		subject, body := s.text(coaching.NoticeKindGuardianUnreachable, r.Language, map[string]string{"case": string(c.ID), "guardian": g.Name})
		n := coaching.Notice{ID: "guardian-unreachable:" + string(c.ID) + ":" + g.ID + ":" + tm.ActorID, CaseID: c.ID,
			Kind: coaching.NoticeKindGuardianUnreachable, Recipient: r, Subject: subject, Body: body,
			Data:      map[string]string{"case_id": string(c.ID), "guardian_id": g.ID},
			CreatedAt: now, NotBefore: now, Status: coaching.NoticePending}
		if err := res.enqueue(sc, n); err != nil {
			return err
		}
	}
	return nil
}

// contactPerson is who guardians are told to contact: the personal tutor,
// else the coach.
func contactPerson(c coaching.Case) *coaching.TeamMember {
	for _, r := range []coaching.Role{coaching.RolePersonalTutor, coaching.RoleCoach} {
		if ms := c.Members(r); len(ms) > 0 {
			return &ms[0]
		}
	}
	return nil
}

// review runs the early-warning rules over a case's days in the rules'
// windows and its running totals, and raises or clears its flags — in the
// feature's state, with one audit entry on the case (a new case version)
// and the alerts, in the scope's transaction. It reads the same few days
// however long the case has run.
//
// The change is asked of the policy under op: record_attendance when staff
// record marks or the engine reviews, the feature's own operation when a
// feature reviews a case in its scope ([Service.ReviewIn]).
func (s *Service) review(ctx context.Context, sc *coaching.Scope, op coaching.Operation, st Store, c coaching.Case, now time.Time, res *Result) error {
	if len(s.o.WarningRules) == 0 {
		return nil
	}
	today := coaching.DateOf(now)
	state, err := st.State(ctx, c.ID)
	if err != nil {
		return err
	}
	h := &History{Case: c, Totals: state.Totals, Today: today}
	if n := s.window.SchoolDays; n > 0 {
		if h.Days, err = st.RecentDays(ctx, c.ID, today, n); err != nil {
			return err
		}
		if s.window.Marks {
			if h.Marks, err = st.RecentMarks(ctx, c.ID, today, n); err != nil {
				return err
			}
		}
		if h.Pending, err = s.pendingExplanations(ctx, sc.ReadTx(), st, c.ID, h.Days, today); err != nil {
			return err
		}
	}
	hits := map[string]string{}
	for _, w := range EvaluateWarnings(s.o.WarningRules, h) {
		hits[w.Rule.Name()] = w.Reason
	}
	var raised, cleared, flags []RiskFlag
	for _, f := range state.Flags {
		if _, still := hits[f.Rule]; still {
			flags = append(flags, f)
		} else {
			cleared = append(cleared, f)
		}
	}
	type alert struct {
		f     RiskFlag
		roles []coaching.Role
	}
	var alerts []alert
	for _, r := range s.o.WarningRules {
		reason, hit := hits[r.Name()]
		if !hit {
			continue
		}
		if _, had := state.Flag(r.Name()); had {
			continue
		}
		f := RiskFlag{Rule: r.Name(), Reason: reason, Since: now}
		raised = append(raised, f)
		alerts = append(alerts, alert{f, r.Notify()})
	}
	if len(raised) == 0 && len(cleared) == 0 {
		return nil
	}
	var words []string
	for _, f := range raised {
		words = append(words, "raised "+f.Rule+": "+f.Reason)
	}
	for _, f := range cleared {
		words = append(words, "cleared "+f.Rule)
	}
	// The flags' change is one entry in the case's audit trail, by the
	// scope's actor (the recording staff member, or the engine's own actor
	// in the nightly review); the flags raised carry its seq, and the
	// alerts go with it.
	var sent []coaching.Notice
	_, err = sc.ChangeCase(op, c.ID, func(ch *coaching.CaseChange) error {
		seq := ch.Case().Version + 1
		for i := range raised {
			raised[i].Seq = seq
			flags = append(flags, raised[i])
		}
		for _, a := range alerts {
			a.f.Seq = seq
			sent = append(sent, s.riskAlerts(ch.Case(), a.f, a.roles, now)...)
		}
		ch.Notify(sent...)
		ch.Audit(AuditRisk, "early_warning", strings.Join(words, "; "), nil)
		return nil
	})
	if err != nil {
		return err
	}
	if err := st.PutFlags(ctx, c.ID, flags); err != nil {
		return err
	}
	for _, f := range raised {
		res.Raised = append(res.Raised, FlagChange{CaseID: c.ID, Flag: f})
	}
	for _, f := range cleared {
		res.Cleared = append(res.Cleared, FlagChange{CaseID: c.ID, Flag: f})
	}
	res.Notices = append(res.Notices, sent...)
	return nil
}

// riskAlerts tells the rule's roles on the team that a flag was raised.
func (s *Service) riskAlerts(c coaching.Case, f RiskFlag, roles []coaching.Role, now time.Time) []coaching.Notice {
	var out []coaching.Notice
	for _, tm := range teamFor(c, roles) {
		r := tm.Recipient()
		subject, body := s.text(coaching.NoticeKindRiskAlert, r.Language, map[string]string{"case": string(c.ID), "reason": f.Reason})
		out = append(out, coaching.Notice{ID: "risk:" + string(c.ID) + ":" + f.Rule + ":" + strconv.FormatInt(f.Seq, 10) + ":" + tm.ActorID,
			CaseID: c.ID, Kind: coaching.NoticeKindRiskAlert, Recipient: r, Subject: subject, Body: body,
			Data:      map[string]string{"case_id": string(c.ID), "rule": f.Rule},
			CreatedAt: now, NotBefore: now, Status: coaching.NoticePending})
	}
	return out
}

// RuleReview is the rule under which the nightly review runs as the
// engine's own actor ([coaching.Engine.System]).
const RuleReview = "early_warning_review"

// reviewPage is how many open cases the review reads before it reviews
// them, each in a transaction of its own.
const reviewPage = 500

// ReviewRisks runs the early-warning rules over every open case and
// raises or clears flags (a nightly sweep catches conditions that change
// without new marks: a day completed, a window moved on). No actor asks
// for it: it runs with the key the host gave the engine
// (coaching.Options.SystemKey) as the engine's own actor, not through the
// policy, under the rule [RuleReview]. It reads the open cases through the
// engine's figures source, a page at a time, and reviews each case in a
// transaction of its own; it returns the flags that changed. Like Tick, it
// runs its own transactions: not on a service over a bound engine.
func (s *Service) ReviewRisks(ctx context.Context, key *coaching.SystemKey) (raised, cleared []FlagChange, err error) {
	sys, actor, err := s.eng.System(key, RuleReview)
	if err != nil {
		return nil, nil, err
	}
	var after coaching.CaseID
	for {
		src, err := sys.Figures(ctx, actor, coaching.CaseQuery{OpenOnly: true, AfterID: after})
		if err != nil {
			return raised, cleared, err
		}
		var page []coaching.CaseID
		for row, err := range src.Rows(ctx) {
			if err != nil {
				return raised, cleared, err
			}
			page = append(page, row.Case.ID)
			if len(page) == reviewPage {
				break
			}
		}
		for _, id := range page {
			res := &Result{}
			err := sys.Write(ctx, actor, func(sc *coaching.Scope) error {
				c, err := sc.Case(coaching.OpRecordAttendance, id)
				switch {
				case errors.Is(err, coaching.ErrNotFound):
					return nil // gone meanwhile
				case err != nil:
					return err
				case c.Closed():
					return nil // closed meanwhile
				}
				st, ok := sc.Tx().(Store)
				if !ok {
					return errNoPort
				}
				return s.review(ctx, sc, coaching.OpRecordAttendance, st, c, sc.Now(), res)
			})
			if err != nil {
				return raised, cleared, err
			}
			raised = append(raised, res.Raised...)
			cleared = append(cleared, res.Cleared...)
		}
		if len(page) < reviewPage {
			return raised, cleared, nil
		}
		after = page[len(page)-1]
	}
}

// Marks returns a case's current attendance marks dated from..to
// (inclusive; a zero end is open), ordered by date then lesson, if the
// policy lets actor read the case's attendance (read_attendance).
func (s *Service) Marks(ctx context.Context, actor coaching.Actor, id coaching.CaseID, from, to coaching.Date) ([]Mark, error) {
	return readCase(ctx, s, actor, coaching.OpReadAttendance, id, func(rd Reader) ([]Mark, error) {
		ms, err := rd.Marks(ctx, id, from, to)
		return slices.Clone(ms), err // the store's slice is read-only
	})
}

// MarkHistory returns every revision of one mark, oldest first: who
// recorded or corrected what, and when (read_attendance).
func (s *Service) MarkHistory(ctx context.Context, actor coaching.Actor, id coaching.CaseID, key MarkKey) ([]Mark, error) {
	return readCase(ctx, s, actor, coaching.OpReadAttendance, id, func(rd Reader) ([]Mark, error) {
		ms, err := rd.MarkHistory(ctx, id, key)
		return slices.Clone(ms), err
	})
}

// Flags returns the early-warning flags raised on a case and not cleared,
// in the order they were raised, to those the policy lets read the case
// (read_case: the flags were part of the case before they moved here).
func (s *Service) Flags(ctx context.Context, actor coaching.Actor, id coaching.CaseID) ([]RiskFlag, error) {
	return readCase(ctx, s, actor, coaching.OpReadCase, id, func(rd Reader) ([]RiskFlag, error) {
		st, err := rd.State(ctx, id)
		return slices.Clone(st.Flags), err
	})
}

// readCase runs read with the store's attendance reader in a
// policy-scoped read, if the policy lets actor do op on case id; what read
// returns is the caller's to keep (a copy of the store's slices).
func readCase[T any](ctx context.Context, s *Service, actor coaching.Actor, op coaching.Operation, id coaching.CaseID, read func(rd Reader) (T, error)) (T, error) {
	var out T
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if _, err := sc.Case(op, id); err != nil {
			return err
		}
		rd, ok := sc.ReadTx().(Reader)
		if !ok {
			return errNoPort
		}
		var err error
		out, err = read(rd)
		return err
	})
	return out, err
}

// text renders a notice from the engine's texts ([coaching.Engine.Texts]);
// an override that fails with these fields falls back to the built-in
// wording rather than losing the notice.
func (s *Service) text(kind string, lang coaching.Language, fields map[string]string) (subject, body string) {
	return s.eng.Texts().RenderNotice(kind, lang, fields)
}

// absenceFields are a guardian's absence notice's: the student's name, the
// date and the lessons missed, and whom to contact. Never a reason, never
// welfare or health information.
func absenceFields(l coaching.Language, p coaching.Participant, d coaching.Date, ms []Mark, contact *coaching.TeamMember) map[string]string {
	return map[string]string{"given_names": p.GivenNames, "name": p.Name(),
		"date": FormatDate(d, l), "lessons": lessonList(ms), "contact": contactWays(contact)}
}

// correctionFields tell a guardian that absences they were told about are
// no longer unexplained.
func correctionFields(l coaching.Language, p coaching.Participant, d coaching.Date, ms []Mark) map[string]string {
	return map[string]string{"given_names": p.GivenNames, "name": p.Name(), "date": FormatDate(d, l), "lessons": lessonList(ms)}
}

// FormatDate writes a civil date for a reader of language l: 14.9.2026,
// or 2026-09-14 in English.
func FormatDate(d coaching.Date, l coaching.Language) string {
	if l == coaching.English {
		return d.String()
	}
	return fmt.Sprintf("%d.%d.%d", d.Day, int(d.Month), d.Year)
}

// contactWays says whom a guardian can contact, with what guardians may
// see of that person: name, e-mail, phone ("" for nobody).
func contactWays(contact *coaching.TeamMember) string {
	if contact == nil {
		return ""
	}
	ways := contact.Name
	if contact.Contact.Email != "" {
		ways += ", " + contact.Contact.Email
	}
	if contact.Contact.Phone != "" {
		ways += ", " + contact.Contact.Phone
	}
	return ways
}

// teamFor returns the members with any of the roles, in team order, each
// person once.
func teamFor(c coaching.Case, roles []coaching.Role) []coaching.TeamMember {
	var out []coaching.TeamMember
	seen := map[string]bool{}
	for _, tm := range c.Team {
		if seen[tm.ActorID] || !slices.Contains(roles, tm.Role) {
			continue
		}
		seen[tm.ActorID] = true
		out = append(out, tm)
	}
	return out
}
