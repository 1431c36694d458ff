package attendance

import (
	"context"
	"fmt"
	"slices"

	"github.com/valmennus/valmennus/coaching"
)

// Excuse is an absence a family reported or explained (coaching/absence
// keeps them): the lessons of one date it covers, and what an absence
// marked on them is recorded as.
type Excuse struct {
	Date coaching.Date `json:"date"`
	// Lessons are the lessons covered; empty covers the whole day.
	Lessons []string `json:"lessons,omitempty"`
	// Pending: submitted and not yet decided. A pending excuse changes no
	// mark; an unexplained mark it covers is not counted by
	// [UnexplainedRule] while it is pending.
	Pending bool `json:"pending,omitempty"`
	// Status (Sick or Explained) and Reason are what an absence marked on
	// a covered lesson is recorded as, once the excuse is accepted.
	Status Status        `json:"status,omitempty"`
	Reason AbsenceReason `json:"reason,omitempty"`
}

// Covers reports whether the excuse covers a mark's lesson on its date.
func (x Excuse) Covers(k MarkKey) bool {
	return x.Date == k.Date && (len(x.Lessons) == 0 || slices.Contains(x.Lessons, k.Lesson))
}

// Excuses is attendance's port to the absences families reported in
// advance or explained ([Options.Excuses]; coaching/absence implements
// it): while recording, attendance asks it once per case for the dates of
// the marks, and while reviewing for the dates of the rules' windows.
type Excuses interface {
	// Excuses returns the case's excuses dated from..to inclusive, read
	// through tx (the recording's transaction) only. What it reads must
	// not grow with the case's history: it is asked on every recording.
	Excuses(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, from, to coaching.Date) ([]Excuse, error)
}

// ExcusesFunc adapts a function to [Excuses].
type ExcusesFunc func(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, from, to coaching.Date) ([]Excuse, error)

// Excuses calls f.
func (f ExcusesFunc) Excuses(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, from, to coaching.Date) ([]Excuse, error) {
	return f(ctx, tx, id, from, to)
}

// excusesFor returns the excuses of a case over the dates of its marks
// being recorded that are unexplained absences (none without
// Options.Excuses).
func (s *Service) excusesFor(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, all []MarkInput, idx []int, today coaching.Date) ([]Excuse, error) {
	if s.o.Excuses == nil {
		return nil, nil
	}
	var from, to coaching.Date
	for _, i := range idx {
		in := all[i]
		if in.Status != Unexplained {
			continue
		}
		if from.IsZero() || in.Date.Before(from) {
			from = in.Date
		}
		if to.IsZero() || in.Date.After(to) {
			to = in.Date
		}
	}
	if from.IsZero() {
		return nil, nil
	}
	return s.excuses(ctx, tx, id, from, to, today)
}

// ExcuseKeep is how many days after its date an excuse still counts: an
// accepted one excuses an absence recorded up to ExcuseKeep days late, a
// pending one keeps the absence out of the guardians' digest and the
// unexplained rule for as long. Older excuses are ignored whatever the
// port returns, so what a recording makes of a mark depends on the mark's
// date and today only (coaching/absence drops them from its ledger, and
// lapses a request still pending by then).
const ExcuseKeep = 31

// excuses asks the port for a case's excuses dated from..to and keeps
// those still counting today.
func (s *Service) excuses(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, from, to, today coaching.Date) ([]Excuse, error) {
	xs, err := s.o.Excuses.Excuses(ctx, tx, id, from, to)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(xs, func(x Excuse) bool { return x.Date.AddDays(ExcuseKeep).Before(today) }), nil
}

// excusedBy returns the first excuse, pending or accepted as asked, that
// covers k.
func excusedBy(xs []Excuse, k MarkKey, pending bool) (Excuse, bool) {
	for _, x := range xs {
		if x.Pending == pending && x.Covers(k) {
			return x, true
		}
	}
	return Excuse{}, false
}

// pendingExplanations counts, for each of days that has unexplained
// absences, those a pending excuse covers: it reads the excuses of the
// window's dates and the marks of those days only.
func (s *Service) pendingExplanations(ctx context.Context, tx coaching.ReadTx, st Reader, id coaching.CaseID, days []Day, today coaching.Date) (map[coaching.Date]int, error) {
	if s.o.Excuses == nil || len(days) == 0 {
		return nil, nil
	}
	some := false
	for _, d := range days {
		some = some || d.Unexplained > 0
	}
	if !some {
		return nil, nil
	}
	xs, err := s.excuses(ctx, tx, id, days[0].Date, days[len(days)-1].Date, today)
	if err != nil {
		return nil, err
	}
	var out map[coaching.Date]int
	for _, d := range days {
		if d.Unexplained == 0 || !slices.ContainsFunc(xs, func(x Excuse) bool { return x.Pending && x.Date == d.Date }) {
			continue
		}
		ms, err := st.Marks(ctx, id, d.Date, d.Date)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if _, ok := excusedBy(xs, m.Key(), true); ok && m.Status == Unexplained {
				if out == nil {
					out = map[coaching.Date]int{}
				}
				out[d.Date]++
			}
		}
	}
	return out, nil
}

// Correction excuses a case's unexplained absences already marked: an
// accepted explanation, or an accepted report whose days have begun
// ([Service.CorrectIn]).
type Correction struct {
	From, To coaching.Date
	// Lessons are the lessons corrected; empty corrects every lesson of
	// the days.
	Lessons []string
	// Status is Sick or Explained; an explained absence needs its Reason.
	Status Status
	Reason AbsenceReason
	// By is who the corrected marks name as their author ([Mark].By);
	// empty names the scope's actor. A feature correcting under a rule
	// rather than by a person's decision names the rule
	// (coaching/absence: an illness accepted when it is reported), so
	// that no family member's id is kept next to a health status.
	By string
}

func (c Correction) validate() error {
	var pr []coaching.FieldProblem
	add := func(field, format string, args ...any) {
		pr = append(pr, coaching.FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.From.IsZero() || !c.From.Valid():
		add("from", "required: a calendar date")
	case c.To.IsZero() || !c.To.Valid():
		add("to", "required: a calendar date")
	case c.To.Before(c.From):
		add("to", "before from")
	case c.From.AddDays(366).Before(c.To):
		add("to", "more than a year after from")
	}
	switch {
	case c.Status == Sick && c.Reason != "":
		add("reason", "a sick absence has no reason category")
	case c.Status == Sick:
	case c.Status == Explained && !c.Reason.Valid():
		add("reason", "an explained absence needs a reason category")
	case c.Status != Explained:
		add("status", "must be sick or absent_explained, got %q", c.Status)
	}
	pr = append(pr, coaching.TextProblems("by", c.By, 100, false)...)
	if len(pr) > 0 {
		return &coaching.ValidationError{Subject: "attendance correction", Problems: pr}
	}
	return nil
}

// CorrectIn corrects a case's unexplained absences inside a write scope
// another feature opened (coaching/absence, when an explanation or a
// report is accepted): each unexplained mark dated From..To (not after
// today) on the Lessons becomes a new revision with the correction's
// status (the history keeps the unexplained one), and what follows is
// done as [Service.Record] does it — the guardians' digest of the day is
// rewritten while it is pending (cancelled when nothing unexplained is
// left; a correction notice follows one already sent) and the
// early-warning rules run again, so a flag the absences raised clears.
//
// The policy is asked op on the case (the feature's operation: e.g.
// decide_request for the personal tutor, report_absence when a family's
// report is accepted at once), and the flags' change is recorded under it
// by the scope's actor. It reads the marks of the correction's days only.
func (s *Service) CorrectIn(sc *coaching.Scope, op coaching.Operation, id coaching.CaseID, c Correction) (*Result, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	cs, st, err := featureCase(sc, op, id, "CorrectIn")
	if err != nil {
		return nil, err
	}
	ctx, now := sc.Context(), sc.Now()
	today := coaching.DateOf(now)
	res := &Result{}
	to := c.To
	if to.After(today) {
		to = today
	}
	by := c.By
	if by == "" {
		by = sc.Actor().ID
	}
	var write []Mark
	var days []coaching.Date
	if !c.From.After(to) {
		marks, err := st.Marks(ctx, id, c.From, to)
		if err != nil {
			return nil, err
		}
		for _, m := range marks {
			if m.Status != Unexplained || (len(c.Lessons) > 0 && !slices.Contains(c.Lessons, m.Lesson)) {
				continue
			}
			m.Status, m.Reason, m.Revision, m.At, m.By = c.Status, c.Reason, m.Revision+1, now, by
			write = append(write, m)
			if !slices.Contains(days, m.Date) {
				days = append(days, m.Date)
			}
		}
	}
	if len(write) > 0 {
		if err := st.PutMarks(ctx, write); err != nil {
			return nil, err
		}
		res.Written = write
		if err := s.notifyDays(ctx, sc, st, cs, days, now, res); err != nil {
			return nil, err
		}
	}
	if err := s.review(ctx, sc, op, st, cs, now, res); err != nil {
		return nil, err
	}
	return res, nil
}

// ReviewIn runs the early-warning rules over a case inside a write scope
// another feature opened, as recording does (coaching/absence, when an
// explanation is submitted: the absences it explains stop counting as
// unexplained at once). The policy is asked op on the case, and a flag's
// change is recorded under it by the scope's actor.
func (s *Service) ReviewIn(sc *coaching.Scope, op coaching.Operation, id coaching.CaseID) (*Result, error) {
	c, st, err := featureCase(sc, op, id, "ReviewIn")
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if err := s.review(sc.Context(), sc, op, st, c, sc.Now(), res); err != nil {
		return nil, err
	}
	return res, nil
}

// RefreshIn brings a case's attendance up to date with its families'
// requests inside a write scope another feature opened (coaching/absence,
// when a request is submitted, rejected, withdrawn or lapses): the
// guardians' digests of the days from..to (not after today; at most
// [ExcuseKeep] days) are rewritten as [Service.Record] would write them —
// lessons a pending request covers are left out, and come back when it
// is rejected — and the early-warning rules run again. The policy is
// asked op on the case, and a change is recorded under it by the scope's
// actor. A closed case is refused, as Record refuses it.
func (s *Service) RefreshIn(sc *coaching.Scope, op coaching.Operation, id coaching.CaseID, from, to coaching.Date) (*Result, error) {
	c, st, err := featureCase(sc, op, id, "RefreshIn")
	if err != nil {
		return nil, err
	}
	ctx, now := sc.Context(), sc.Now()
	today := coaching.DateOf(now)
	if to.After(today) {
		to = today
	}
	if f := today.AddDays(-ExcuseKeep); from.Before(f) {
		from = f
	}
	res := &Result{}
	if !from.After(to) {
		marks, err := st.Marks(ctx, id, from, to)
		if err != nil {
			return nil, err
		}
		var days []coaching.Date
		for _, m := range marks {
			if !slices.Contains(days, m.Date) {
				days = append(days, m.Date)
			}
		}
		if err := s.notifyDays(ctx, sc, st, c, days, now, res); err != nil {
			return nil, err
		}
	}
	if err := s.review(ctx, sc, op, st, c, now, res); err != nil {
		return nil, err
	}
	return res, nil
}

// featureCase reads a case for a feature's change of its attendance
// under op, in the feature's write scope (call names the method in the
// error): a closed case is refused as [Service.Record] refuses it.
func featureCase(sc *coaching.Scope, op coaching.Operation, id coaching.CaseID, call string) (coaching.Case, Store, error) {
	if sc == nil || sc.Tx() == nil {
		return coaching.Case{}, nil, fmt.Errorf("attendance: %s needs a write scope (coaching.Engine.Write)", call)
	}
	c, err := sc.Case(op, id)
	if err != nil {
		return coaching.Case{}, nil, err
	}
	if c.Closed() {
		return coaching.Case{}, nil, &coaching.ValidationError{Subject: "attendance", Problems: []coaching.FieldProblem{{Field: "case_id", Message: fmt.Sprintf("case %q is closed", id)}}}
	}
	st, ok := sc.Tx().(Store)
	if !ok {
		return coaching.Case{}, nil, errNoPort
	}
	return c, st, nil
}
