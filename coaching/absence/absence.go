// Package absence lets families report and explain absences and apply for
// leave, and the school decide on them: a guardian of a minor (or an adult
// student, or a guardian with the adult's consent; staff on the team on
// the family's behalf) reports an absence in advance, explains one already
// marked, or applies for leave (lomahakemus), and the decision follows the
// organisation's rules — the personal tutor decides absences, or illness
// of a few days is accepted at once; a short leave the personal tutor, a
// longer one the head of studies. A team without a personal tutor has its
// coach decide what the personal tutor would; the head of studies may
// decide every request, and is told of one only when on the team (the
// library knows no directory of an organisation's heads). Student-welfare
// staff do not submit requests ([RuleWelfareStaff]): what they would write
// is read by the family and the deciders.
//
// Each request has its own small state machine ([coaching.Machine]):
// submitted → accepted / rejected / withdrawn / lapsed for absence reports
// and explanations, submitted → granted / refused / withdrawn / lapsed for
// leave. An accepted request corrects the absences already marked (a new
// revision of each mark, the unexplained one kept in its history) and
// excuses those marked later: a teacher's "absent" on a covered lesson is
// recorded as sick or explained, and no absence notice goes to the
// guardians for it (unless the teacher overrides it:
// attendance.MarkInput.Override); it can be withdrawn, by whoever
// submitted it or its deciders, for the days to come. A pending request
// keeps what it covers out of the guardians' absence digest (a rejection
// puts it back) and out of the early-warning rule of unexplained
// absences. Nobody decides a request they submitted, or one for their own
// child or themself.
//
// It is a feature built on the coaching kernel's extension points: its
// commands run in policy-scoped transactions ([coaching.Engine.Write],
// [coaching.Engine.Read]) under the policy's report_absence,
// decide_request and read_requests rules; a request is a case document of
// the reserved family "absence_" (one document per request, and one small
// per-case ledger of the pending and accepted days that recording reads,
// so that no write costs more as the case's history grows); it works with
// attendance through attendance's own port. The host registers two
// things:
//
//	eng, err := coaching.New(store, &coaching.Options{
//		Models:    models,
//		Documents: absence.Documents(), // who may know of a request
//	})
//	att, err := attendance.New(eng, &attendance.Options{Excuses: absence.Excuses()})
//	abs, err := absence.New(eng, att, nil)
//
// The family's words stay with the deciders: the reason category and the
// family's free text are stored in the request only, a document of a
// private family (coaching.DocumentKind.Private: the generic case
// document read refuses it), and the requests' commands show them, and
// the decision's reason, only to whoever submitted the request, the
// student's family and the request's deciders. What an accepted request
// makes of the absences is not private: an accepted illness becomes a
// sick mark (attendance.Sick), the others an explained one with its
// category (family, other, leave), and every reader of the student's
// attendance (the policy's read_attendance: the team, a workplace
// instructor and a peer coach on it included, the family) sees that
// status — as they always saw a teacher's own sick mark. The corrected
// marks name the decider as their author, or [MarkedByRule] for an
// illness accepted when reported, never the family member who reported
// it.
//
// What a case keeps is bounded: a request starts at most MaxAhead days
// ahead and spans at most MaxDays, at most MaxOpen wait for a decision,
// and one still waiting attendance.ExcuseKeep days after its last day
// lapses (its days no longer count). Audit entries
// name the kind of request and its days; notices name the kind, the days
// and the decision — never the reason category or the text.
package absence

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// Kind is what a family asks for.
type Kind string

// Kinds of request.
const (
	// Report is an absence reported in advance, for today or later days.
	Report Kind = "report"
	// Explanation explains absences already marked unexplained.
	Explanation Kind = "explanation"
	// Leave is an application for leave (lomahakemus) for planned days.
	Leave Kind = "leave"
)

// Reason is the category of a reported or explained absence. As a
// request's field it is the decider's to see: notices and audit entries
// never carry it, and a request read by anyone but its submitter, the
// student's family and its deciders shows none. Once the request is
// accepted, though, the absences it covers are marked accordingly — an
// illness as sick (attendance.Sick), the others explained with their
// category — and whoever reads the student's attendance sees that mark.
type Reason string

// Reason categories.
const (
	ReasonIllness Reason = "illness"
	ReasonFamily  Reason = "family"
	ReasonOther   Reason = "other"
)

// Status is where a request is.
type Status string

// Request statuses.
const (
	Submitted Status = "submitted"
	Accepted  Status = "accepted" // an absence report or explanation
	Rejected  Status = "rejected"
	Granted   Status = "granted" // a leave
	Refused   Status = "refused"
	Withdrawn Status = "withdrawn"
	// Lapsed: submitted by a guardian for a student who has turned 18
	// since and has not consented to their guardians acting for them.
	Lapsed Status = "lapsed"
)

// Open reports whether the request still waits for a decision.
//
// An accepted report or explanation and a granted leave may still be
// withdrawn (the child recovered, the trip was cancelled) by whoever
// submitted it or its deciders: the days not begun stop being covered,
// the absences already corrected stay as they are.
func (s Status) Open() bool { return s == Submitted }

// Request events.
const (
	EventAccept   = "accept"
	EventReject   = "reject"
	EventGrant    = "grant"
	EventRefuse   = "refuse"
	EventWithdraw = "withdraw"
	EventLapse    = "lapse"
)

var (
	absenceMachine = coaching.MustMachine(string(Submitted), []coaching.Edge{
		{Event: EventAccept, From: []string{string(Submitted)}, To: string(Accepted)},
		{Event: EventReject, From: []string{string(Submitted)}, To: string(Rejected)},
		{Event: EventWithdraw, From: []string{string(Submitted), string(Accepted)}, To: string(Withdrawn)},
		{Event: EventLapse, From: []string{string(Submitted)}, To: string(Lapsed)},
	})
	leaveMachine = coaching.MustMachine(string(Submitted), []coaching.Edge{
		{Event: EventGrant, From: []string{string(Submitted)}, To: string(Granted)},
		{Event: EventRefuse, From: []string{string(Submitted)}, To: string(Refused)},
		{Event: EventWithdraw, From: []string{string(Submitted), string(Granted)}, To: string(Withdrawn)},
		{Event: EventLapse, From: []string{string(Submitted)}, To: string(Lapsed)},
	})
)

func machineOf(k Kind) *coaching.Machine {
	if k == Leave {
		return leaveMachine
	}
	return absenceMachine
}

// Diagram renders the state machine of a kind of request as Mermaid.
func Diagram(k Kind) string { return machineOf(k).Mermaid() }

// Decider says who decides a request.
type Decider string

// Deciders.
const (
	// DeciderAutomatic: accepted when submitted (illness of at most
	// Rules.AutoAcceptIllnessDays school days).
	DeciderAutomatic Decider = "automatic"
	// DeciderTutor: the personal tutor on the student's team — its coach
	// when the team has no personal tutor — or the head of studies.
	DeciderTutor Decider = "personal_tutor"
	// DeciderHead: the organisation's head of studies.
	DeciderHead Decider = "head_of_studies"
)

// Request is an absence report, an explanation or a leave application, and
// its decision.
type Request struct {
	ID     string          `json:"id"`
	CaseID coaching.CaseID `json:"case_id"`
	Kind   Kind            `json:"kind"`
	Status Status          `json:"status"`
	// From and To are the days asked for, inclusive.
	From coaching.Date `json:"from"`
	To   coaching.Date `json:"to"`
	// Lessons are the lessons of a one-day request; empty is the whole
	// day(s).
	Lessons []string `json:"lessons,omitempty"`
	// Reason is the category of a report or an explanation (a leave has
	// none). Like Text and DecisionReason, it is shown to whoever
	// submitted the request, the student's family (a guardian of the
	// student, the student themself) and the request's deciders, and
	// empty to anyone else. (An accepted illness is nevertheless marked
	// sick in the attendance every reader of it sees; see [Reason].)
	Reason Reason `json:"reason,omitempty"`
	// Text is the family's own words, for the decider: it never leaves
	// the request.
	Text string `json:"text,omitempty"`
	// SchoolDays counts the weekdays From..To.
	SchoolDays int `json:"school_days"`
	// Decider is who decides it.
	Decider Decider `json:"decider"`
	// SubmittedBy is the actor who submitted it, as SubmittedAs: the
	// guardian, the student, or a staff role recording it on the family's
	// behalf.
	SubmittedBy string        `json:"submitted_by"`
	SubmittedAs coaching.Role `json:"submitted_as"`
	SubmittedAt time.Time     `json:"submitted_at"`
	// DecidedBy is who decided it ("" for an automatic acceptance), at
	// DecidedAt; DecisionReason is why it was rejected or refused.
	DecidedBy      string    `json:"decided_by,omitempty"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	DecisionReason string    `json:"decision_reason,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
	// History lists the status changes: "accepted 2026-09-14 by tutor-1".
	History []string `json:"history"`
	// Version is the request's document version: pass it in
	// [Decision.Version]. (The stored document does not carry it: it is
	// the document's own.)
	Version int64 `json:"version,omitempty"`
	// Key is the submitter's idempotency key ([Input].Key), if they gave
	// one.
	Key string `json:"key,omitempty"`
}

// Input is a request a family submits.
type Input struct {
	Kind Kind
	// From and To are the days (To zero: From only).
	From, To coaching.Date
	// Lessons name the lessons of a one-day report or explanation; empty
	// is the whole day(s).
	Lessons []string
	// Reason is the category of a report or explanation; a leave has none.
	Reason Reason
	// Text is the family's own words, for the decider (required for a
	// leave: why it is needed).
	Text string
	// Key makes the submission safe to repeat (an idempotency key: a
	// form's hidden token, a client's request id), so that a double click,
	// a resent form or a retry after a timeout does not record the
	// request twice. A Submit whose Key is that of one of the case's last
	// [MaxKeys] requests the same actor submitted records nothing and
	// returns that request as it is now, whatever became of it since; the
	// same Key with other days, kind, lessons, reason or text is a
	// *coaching.ValidationError naming key. Keys are the submitter's own:
	// another actor's request with the same Key is not theirs to repeat.
	// Empty: every call records a request. At most 100 bytes, printable
	// (a random token's 22–32 characters is plenty).
	Key string
}

// Decision decides a request.
type Decision struct {
	// Version is the version of the request the decider saw
	// ([Request.Version]): a request changed since is a
	// *coaching.ConflictError, so two deciders never both decide it.
	Version int64
	// Accept accepts an absence report or explanation or grants a leave;
	// false rejects or refuses it.
	Accept bool
	// Reason says why a request is rejected or refused (required then).
	Reason string
}

// Rules are an organisation's rules of who decides.
type Rules struct {
	// AutoAcceptIllnessDays: a report or explanation of illness covering
	// at most this many school days is accepted when it is submitted (the
	// guardian's word suffices for a short illness). Zero: the personal
	// tutor decides every report.
	AutoAcceptIllnessDays int
	// LeaveTutorDays: a leave of at most this many school days is decided
	// by the personal tutor, a longer one by the head of studies. Zero
	// means 3; a negative value has the head of studies decide every
	// leave.
	LeaveTutorDays int
}

// Options configure the requests.
type Options struct {
	// Rules are the rules of organisations Organisations does not name.
	Rules Rules
	// Organisations are rules by organisation.
	Organisations map[coaching.OrganisationID]Rules
}

func (o *Options) rules(org coaching.OrganisationID) Rules {
	if o == nil {
		return Rules{LeaveTutorDays: 3}
	}
	r, ok := o.Organisations[org]
	if !ok {
		r = o.Rules
	}
	if r.LeaveTutorDays == 0 {
		r.LeaveTutorDays = 3
	}
	return r
}

// The package's own rules, named in its *coaching.ForbiddenError.
const (
	// RuleDecider: only the decider a request's rules name decides it.
	RuleDecider = "request_decider"
	// RuleOwnRequest: only whoever submitted a request (or, once it is
	// accepted or granted, its deciders) withdraws it.
	RuleOwnRequest = "own_request"
	// RuleOwnDecision: nobody decides a request they submitted, or one for
	// a student they are the guardian of or are themself.
	RuleOwnDecision = "own_request_decision"
	// RuleLapse is the rule the nightly lapse runs under as the engine's
	// own actor ([Service.Lapse]).
	RuleLapse = "absence_lapse"
	// RuleWelfareStaff: student-welfare staff (curator, psychologist,
	// nurse) do not submit requests on the family's behalf: the request's
	// text is read by the family and the deciders, and welfare information
	// is not theirs to read (as message.RuleWelfareStaff keeps them out of
	// messages).
	RuleWelfareStaff = "absence_welfare_staff"
)

// MarkedByRule is the author ([attendance.Mark].By) of the absences an
// illness accepted when it is reported corrects: the organisation's rule,
// not the family member who reported it, whose id would otherwise stay
// beside a health status after the student's data are erased (the
// request records who submitted it).
const MarkedByRule = "absence_rule"

// Notice kinds (their texts are in coaching.DefaultTexts).
const (
	// NoticeKindSubmitted tells the deciders a request waits for them
	// (fields case, kind, days, decider).
	NoticeKindSubmitted = "absence_request_submitted"
	// NoticeKindDecided tells whoever submitted a request its decision
	// (fields given_names, kind, days, decision).
	NoticeKindDecided = "absence_request_decided"
)

// ErrLapsed is matched (errors.Is) by a [*LapsedError].
var ErrLapsed = errors.New("absence: the request lapsed")

// LapsedError is what deciding a guardian's request returns once the
// student has turned 18 without consenting to their guardians acting for
// them, or the guardian is no longer recorded as theirs: the request was
// marked lapsed, not decided. The lapse is written: Decide returns the
// lapsed request with it, and on a bound service ([Service.In]) the host
// must commit its transaction despite the error to keep the lapse (else
// the request stays submitted, and lapses at the next decision or
// [Service.Lapse]).
type LapsedError struct {
	CaseID    coaching.CaseID
	RequestID string
}

// Error implements error.
func (e *LapsedError) Error() string {
	return fmt.Sprintf("absence: request %s of case %q lapsed instead of being decided: a guardian submitted it, and the student has turned 18 without consenting to their guardians acting for them", e.RequestID, e.CaseID)
}

// Is matches [ErrLapsed].
func (e *LapsedError) Is(target error) bool { return target == ErrLapsed }

// Bounds of the requests, so that what a case keeps stays small however
// long it runs.
const (
	// MaxDays bounds the days of one request (From..To, inclusive).
	MaxDays = 60
	// MaxAhead: a request starts at most this many days from today.
	MaxAhead = 365
	// MaxOpen bounds the requests of a case waiting for a decision.
	MaxOpen = 20
	// MaxLessons bounds the lessons a one-day request names.
	MaxLessons = 20
	// MaxKeys is how many of a case's latest keyed requests a repeated
	// Submit is recognised by ([Input].Key): a repeat comes within
	// seconds or minutes, long before fifty more requests of the case.
	MaxKeys = 50
)

// coverKeep is how many days past its end an accepted request still
// excuses marks recorded late, and a pending one stays pending: after it,
// attendance ignores the request's days ([attendance.ExcuseKeep]), the
// ledger drops them and a request still pending lapses.
const coverKeep = attendance.ExcuseKeep

// The document kinds: a request is "absence_request_<n>", numbered per
// case; the ledger "absence_ledger" is what recording reads.
const (
	prefix     = "absence_"
	reqPrefix  = "absence_request_"
	ledgerKind = "absence_ledger"
)

func kind(id string) string { return reqPrefix + id }

// Documents returns the document kinds of requests, for
// coaching.Options.Documents: whether an actor may know of a request is
// the policy's read_requests rule (asked with who submitted it,
// Request.OwnRecord), for the request and for its audit entries and
// notices alike; only this package writes them.
func Documents() []coaching.DocumentKind {
	return []coaching.DocumentKind{{
		Prefix: prefix, Guard: coaching.OpReadRequests, Reserved: true, Private: true,
		Notices: []string{NoticeKindSubmitted, NoticeKindDecided}, Events: []string{prefix},
		Facts: func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, k string) (coaching.DocumentFacts, error) {
			if !strings.HasPrefix(k, reqPrefix) {
				return coaching.DocumentFacts{}, nil
			}
			_, r, err := read(ctx, tx, c.ID, strings.TrimPrefix(k, reqPrefix))
			if err != nil {
				return coaching.DocumentFacts{}, err
			}
			return coaching.DocumentFacts{By: r.SubmittedBy}, nil
		},
	}}
}

// read reads a request through tx.
func read(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, requestID string) (coaching.Document, Request, error) {
	doc, r, err := coaching.ReadDocumentJSON[Request](ctx, tx, id, reqPrefix, requestID, "absence request")
	if err != nil {
		return coaching.Document{}, Request{}, err
	}
	r.Version = doc.Version
	return doc, r, nil
}

// same reports whether r is what in asks for (in checked by validate):
// a repeat of the request with its key.
func (r Request) same(in Input) bool {
	return r.Kind == in.Kind && r.From == in.From && r.To == in.To && slices.Equal(r.Lessons, in.Lessons) &&
		r.Reason == in.Reason && r.Text == in.Text
}

// schoolDays counts the weekdays from..to.
func schoolDays(from, to coaching.Date) int {
	n := 0
	for d := from; !d.After(to); d = d.AddDays(1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return n
}

// validate checks a request before anything is read or stored, reporting
// every problem at once; it fills in To.
func validate(in *Input, today coaching.Date) error {
	var pr []coaching.FieldProblem
	add := func(field, format string, args ...any) {
		pr = append(pr, coaching.FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !slices.Contains([]Kind{Report, Explanation, Leave}, in.Kind) {
		add("kind", "must be report, explanation or leave, got %q", in.Kind)
	}
	if in.To.IsZero() {
		in.To = in.From
	}
	datesOK := false
	switch {
	case in.From.IsZero() || !in.From.Valid():
		add("from", "required: a calendar date")
	case !in.To.Valid():
		add("to", "not a calendar date")
	case in.To.Before(in.From):
		add("to", "before from")
	case in.From.AddDays(MaxDays - 1).Before(in.To):
		add("to", "a request covers at most %d days", MaxDays)
	default:
		datesOK = true
	}
	if datesOK {
		switch {
		case (in.Kind == Report || in.Kind == Leave) && in.From.Before(today):
			add("from", "is in the past: a report or a leave is for today or later (explain an absence already marked)")
		case in.Kind == Explanation && in.To.After(today):
			add("to", "is in the future: an explanation is of absences already marked (report future ones)")
		case in.Kind == Explanation && in.From.AddDays(coverKeep).Before(today):
			add("from", "more than %d days ago: explain absences within a month", coverKeep)
		case in.From.After(today.AddDays(MaxAhead)):
			add("from", "more than %d days ahead", MaxAhead)
		}
		if schoolDays(in.From, in.To) == 0 {
			add("from", "the days include no school day (Monday to Friday)")
		}
	}
	if len(in.Lessons) > 0 && in.From != in.To {
		add("lessons", "name lessons only for a one-day request")
	}
	if len(in.Lessons) > MaxLessons {
		// Nothing more is looked at: the lessons are not checked one by
		// one past the bound.
		add("lessons", "at most %d lessons", MaxLessons)
	} else {
		seen := make(map[string]int, len(in.Lessons))
		for i, l := range in.Lessons {
			f := fmt.Sprintf("lessons[%d]", i)
			if strings.TrimSpace(l) == "" {
				add(f, "empty")
			}
			pr = append(pr, coaching.TextProblems(f, l, 100, false)...)
			if j, dup := seen[l]; dup {
				add(f, "the same lesson as lessons[%d]", j)
			} else {
				seen[l] = i
			}
		}
	}
	switch {
	case in.Kind == Leave && in.Reason != "":
		add("reason", "a leave has no reason category: say why in the text")
	case in.Kind != Leave && !slices.Contains([]Reason{ReasonIllness, ReasonFamily, ReasonOther}, in.Reason):
		add("reason", "must be illness, family or other, got %q", in.Reason)
	}
	if in.Kind == Leave && strings.TrimSpace(in.Text) == "" {
		add("text", "required: why the leave is needed")
	}
	pr = append(pr, coaching.TextProblems("text", in.Text, 2000, true)...)
	pr = append(pr, coaching.TextProblems("key", in.Key, 100, false)...)
	if len(pr) > 0 {
		return &coaching.ValidationError{Subject: "absence request", Problems: pr}
	}
	return nil
}

func validateDecision(d Decision) error {
	var pr []coaching.FieldProblem
	if d.Version < 1 {
		pr = append(pr, coaching.FieldProblem{Field: "version", Message: "required: the version of the request decided on"})
	}
	if !d.Accept && strings.TrimSpace(d.Reason) == "" {
		pr = append(pr, coaching.FieldProblem{Field: "reason", Message: "required: why the request is rejected"})
	}
	pr = append(pr, coaching.TextProblems("reason", d.Reason, 2000, true)...)
	if len(pr) > 0 {
		return &coaching.ValidationError{Subject: "absence decision", Problems: pr}
	}
	return nil
}

// excuse is what an accepted request makes of an absence: sick for an
// illness, explained with a reason category otherwise.
func (r Request) excuse() (attendance.Status, attendance.AbsenceReason) {
	switch {
	case r.Kind == Leave:
		return attendance.Explained, attendance.ReasonLeave
	case r.Reason == ReasonIllness:
		return attendance.Sick, ""
	case r.Reason == ReasonFamily:
		return attendance.Explained, attendance.ReasonFamily
	}
	return attendance.Explained, attendance.ReasonOther
}

// what names a request in audit entries: its kind and days, never its
// reason or text.
func (r Request) what() string {
	days := r.From.String()
	if r.To != r.From {
		days += "–" + r.To.String()
	}
	return map[Kind]string{Report: "absence report", Explanation: "absence explanation", Leave: "leave request"}[r.Kind] + " " + days
}
