package pathway

import (
	"fmt"

	"github.com/valmennus/valmennus/coaching"
)

// CheckpointKind names a follow-up checkpoint after leaving.
type CheckpointKind string

// Checkpoint kinds.
const (
	// UponLeaving is the ESF+ immediate-result checkpoint: the 28 days
	// (4 weeks) after leaving.
	UponLeaving CheckpointKind = "upon_leaving"
	// SixMonths is the longer-term result checkpoint six months after leaving.
	SixMonths CheckpointKind = "six_months"
	// Alumni is an optional later alumni contact.
	Alumni CheckpointKind = "alumni"
)

// Record names under which an engine can store the status found at a
// checkpoint (a [CheckpointResult] payload).
const (
	RecordUponLeaving = "follow_up_upon_leaving"
	RecordSixMonths   = "follow_up_six_months"
)

// UponLeavingDays is the length of the ESF+ "upon leaving" window.
const UponLeavingDays = 28

// Checkpoint is one follow-up contact. Observations dated From..To
// (inclusive, Helsinki civil dates) count for it; Due is the day the
// follow-up is due (a due notice goes out then).
type Checkpoint struct {
	Kind CheckpointKind `json:"kind" validate:"required,oneof=upon_leaving six_months alumni"`
	// N numbers alumni contacts 1, 2, ...; 0 for the others.
	N    int           `json:"n,omitempty" validate:"gte=0"`
	From coaching.Date `json:"from" validate:"required"`
	To   coaching.Date `json:"to" validate:"required"`
	Due  coaching.Date `json:"due" validate:"required"`
}

// Key identifies the checkpoint in a schedule ("upon_leaving", "six_months",
// "alumni_1", ...); engines can use it in timer and notice keys.
func (c Checkpoint) Key() string {
	if c.Kind == Alumni {
		return fmt.Sprintf("%s_%d", c.Kind, c.N)
	}
	return string(c.Kind)
}

// Contains reports whether d falls inside the checkpoint's window.
func (c Checkpoint) Contains(d coaching.Date) bool {
	return !d.Before(c.From) && !d.After(c.To)
}

// Schedule is the follow-up checkpoints of one leaving, in date order.
type Schedule struct {
	Leaving     coaching.Date `json:"leaving" validate:"required"`
	Checkpoints []Checkpoint  `json:"checkpoints" validate:"dive"`
}

// MaxAlumniContacts bounds the alumni contacts of a schedule.
const MaxAlumniContacts = 10

// NewSchedule returns the follow-up schedule for someone who left on
// leaving (a Helsinki civil date):
//
//   - upon leaving: window leaving .. leaving+28 days, due on day 28;
//   - six months: window from leaving+6 months for 28 days, due on the
//     first day of the window;
//   - one alumni contact per period in alumni (e.g. coaching.Months(12)),
//     each with the same 28-day window starting leaving+period.
//
// Months are added on the calendar; when the target month has no such day
// the period ends on the month's last day (31 August + 6 months is
// 28/29 February), as in the Finnish Act on the Calculation of Statutory
// Time Limits (150/1930 §3). The six-month window and the alumni windows
// are the library's choice (the ESF guidance fixes only the 4-week upon
// leaving window). Alumni periods must be longer than six months, at most
// ten of them, in increasing order.
func NewSchedule(leaving coaching.Date, alumni ...coaching.Period) (Schedule, error) {
	if leaving.IsZero() || !leaving.Valid() {
		return Schedule{}, &coaching.ValidationError{Subject: "follow-up schedule",
			Problems: []coaching.FieldProblem{{Field: "leaving", Message: "not a calendar date"}}}
	}
	var pr []coaching.FieldProblem
	if len(alumni) > MaxAlumniContacts {
		pr = append(pr, coaching.FieldProblem{Field: "alumni", Message: fmt.Sprintf("at most %d contacts", MaxAlumniContacts)})
		alumni = alumni[:MaxAlumniContacts]
	}
	s := Schedule{Leaving: leaving, Checkpoints: make([]Checkpoint, 0, 2+len(alumni))}
	s.Checkpoints = append(s.Checkpoints, Checkpoint{Kind: UponLeaving, From: leaving,
		To: leaving.AddDays(UponLeavingDays), Due: leaving.AddDays(UponLeavingDays)})
	six := AddPeriod(leaving, coaching.Months(6))
	s.Checkpoints = append(s.Checkpoints, Checkpoint{Kind: SixMonths, From: six, To: six.AddDays(UponLeavingDays), Due: six})
	prev := six
	for i, p := range alumni {
		field := fmt.Sprintf("alumni[%d]", i)
		if p.Months < 0 || p.Days < 0 || p.Months > 12*50 || p.Days > 366*50 {
			pr = append(pr, coaching.FieldProblem{Field: field, Message: "must be a positive period of at most 50 years"})
			continue
		}
		at := AddPeriod(leaving, p)
		if !at.After(prev) {
			pr = append(pr, coaching.FieldProblem{Field: field, Message: "must come after the previous checkpoint"})
			continue
		}
		prev = at
		s.Checkpoints = append(s.Checkpoints, Checkpoint{Kind: Alumni, N: i + 1, From: at, To: at.AddDays(UponLeavingDays), Due: at})
	}
	if len(pr) > 0 {
		return Schedule{}, &coaching.ValidationError{Subject: "follow-up schedule", Problems: pr}
	}
	return s, nil
}

// AddPeriod adds a calendar period to a civil date: months first, clamped
// to the last day of the target month, then days.
func AddPeriod(d coaching.Date, p coaching.Period) coaching.Date { return p.AddTo(d) }

// Observation is a status found on a date: from a follow-up call, a
// register, or the destination recorded at closing.
type Observation struct {
	Date   coaching.Date `json:"date" validate:"required"`
	Status Kind          `json:"status"`
	Note   string        `json:"note,omitempty" validate:"max=2000"`
}

// CheckpointResult is the status that counts for one checkpoint.
type CheckpointResult struct {
	Checkpoint Checkpoint `json:"checkpoint"`
	// Found is false when no usable observation fell in the window; Status
	// is then Unknown.
	Found  bool `json:"found"`
	Status Kind `json:"status"`
	// ObservedOn is the date of the observation that counted.
	ObservedOn coaching.Date `json:"observed_on,omitzero"`
}

// Validate checks the result and returns a *coaching.ValidationError
// listing every problem: a found status must be a known destination
// observed inside the checkpoint's window.
func (r CheckpointResult) Validate() error {
	var pr []coaching.FieldProblem
	if r.Found && (!r.Status.Valid() || r.Status == Unknown) {
		pr = append(pr, coaching.FieldProblem{Field: "status", Message: "a found status must be a known destination"})
	}
	if !r.Found && r.Status != Unknown {
		pr = append(pr, coaching.FieldProblem{Field: "status", Message: "a result not found has no status"})
	}
	if r.Found && !r.Checkpoint.Contains(r.ObservedOn) {
		pr = append(pr, coaching.FieldProblem{Field: "observed_on", Message: "outside the checkpoint's window " +
			r.Checkpoint.From.String() + "–" + r.Checkpoint.To.String()})
	}
	return validationError("checkpoint result", pr)
}

// Evaluate returns, for each checkpoint of s, the status that counts under
// the ESF rule: the last observation dated inside the checkpoint's window.
// Observations on the same date count in the order given (a later one wins).
// Observations with an Unknown, invalid or impossible status or date are
// ignored, so "we could not reach them" never overrides a known status.
// Observations need not be sorted, and the slice is not modified.
func Evaluate(s Schedule, obs []Observation) []CheckpointResult {
	out := make([]CheckpointResult, len(s.Checkpoints))
	for i, c := range s.Checkpoints {
		out[i] = CheckpointResult{Checkpoint: c}
		for _, o := range obs {
			if o.Status == Unknown || !o.Status.Valid() || !o.Date.Valid() || !c.Contains(o.Date) {
				continue
			}
			if !out[i].Found || !o.Date.Before(out[i].ObservedOn) {
				out[i].Found, out[i].Status, out[i].ObservedOn = true, o.Status, o.Date
			}
		}
	}
	return out
}

// Result returns the result for the checkpoint with the given key.
func Result(results []CheckpointResult, key string) (CheckpointResult, bool) {
	for _, r := range results {
		if r.Checkpoint.Key() == key {
			return r, true
		}
	}
	return CheckpointResult{}, false
}

// Due returns the checkpoints of s due on or before today whose results are
// not yet Found in results (matched by key); an engine sends a due notice
// for each.
func (s Schedule) Due(today coaching.Date, results []CheckpointResult) []Checkpoint {
	var out []Checkpoint
	for _, c := range s.Checkpoints {
		if c.Due.After(today) {
			continue
		}
		if r, ok := Result(results, c.Key()); ok && r.Found {
			continue
		}
		out = append(out, c)
	}
	return out
}
