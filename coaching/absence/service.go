package absence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// Service takes and decides requests over an engine and its attendance.
type Service struct {
	eng  *coaching.Engine
	att  *attendance.Service
	opts *Options
}

// New returns the requests of eng, correcting and excusing absences
// through att. The engine must have been given [Documents], and att built
// with [Excuses] in attendance.Options.Excuses (without them, an accepted
// report does not excuse the absences marked later); every command of an
// engine without the request family is refused with an error saying so
// (New itself opens no transaction to ask). A bound engine
// ([coaching.Engine.In], with att.In) runs the commands in the host's
// transaction.
func New(eng *coaching.Engine, att *attendance.Service, opts *Options) (*Service, error) {
	if eng == nil {
		return nil, errors.New("absence: New: engine is nil")
	}
	if att == nil {
		return nil, errors.New("absence: New: attendance is nil")
	}
	var o *Options
	if opts != nil {
		for org, r := range opts.Organisations {
			if r.AutoAcceptIllnessDays < 0 {
				return nil, fmt.Errorf("absence: New: Organisations[%q].AutoAcceptIllnessDays is negative", org)
			}
		}
		if opts.Rules.AutoAcceptIllnessDays < 0 {
			return nil, errors.New("absence: New: Rules.AutoAcceptIllnessDays is negative")
		}
		cp := *opts
		cp.Organisations = maps.Clone(opts.Organisations)
		o = &cp
	}
	return &Service{eng: eng, att: att, opts: o}, nil
}

// In returns the service in the host's transaction tx.
func (s *Service) In(tx coaching.Tx) *Service {
	b := *s
	b.eng, b.att = s.eng.In(tx), s.att.In(tx)
	return &b
}

// errUnregistered: the engine was not given Documents().
var errUnregistered = errors.New("absence: the engine was not given absence.Documents() (coaching.Options.Documents): requests would be unguarded case documents")

// registered refuses an engine without the request family as Documents
// returns it (guarded, reserved and private).
func registered(sc *coaching.Scope) error {
	fam, ok := sc.NoticeDocument(coaching.Notice{Kind: NoticeKindSubmitted})
	if !ok || fam.Prefix != prefix || !fam.Private || !fam.Reserved || fam.Guard != coaching.OpReadRequests {
		return errUnregistered
	}
	return nil
}

// write runs fn in a write scope, run again after a conflict on the case
// or on the family's documents (a teacher recording the student's
// absences, another request saved at the same moment) unless the service
// is bound ([coaching.WriteRetrying]), so that a family is not told to
// try again for what they did not cause. A conflict on the request itself
// (Decision.Version) is returned at once: running again cannot help.
func (s *Service) write(ctx context.Context, actor coaching.Actor, fn func(sc *coaching.Scope) error) error {
	err := coaching.WriteRetrying(ctx, s.eng, actor, func(sc *coaching.Scope) error {
		if err := registered(sc); err != nil {
			return err
		}
		return fn(sc)
	})
	var st *staleRequest
	if errors.As(err, &st) {
		return st.err
	}
	return err
}

// staleRequest carries a conflict on a request's version past
// coaching.WriteRetrying, which would run it again (it is no
// *coaching.ConflictError itself).
type staleRequest struct{ err *coaching.ConflictError }

func (e *staleRequest) Error() string { return e.err.Error() }

// Submit records a request for case id. The policy's report_absence rule
// must allow actor (the default: a guardian of a minor, or of an adult
// who consents; the adult student themself; the school's staff on the
// team on the family's behalf); student-welfare staff are refused with a
// *coaching.ForbiddenError naming [RuleWelfareStaff]. The request goes to
// its decider (a notice to the personal tutor — the coach, when the team
// has no personal tutor —, or to the head of studies on the team for a
// long leave, else to the personal tutor, naming who decides; to the
// head of studies on the team when nobody else on it may decide) — or,
// for an
// illness the organisation's rules accept at once, is accepted there and
// then (counted with the accepted illnesses it adjoins: a long illness
// reported in short pieces goes to the personal tutor). A pending report
// or explanation keeps the lessons it covers out of the guardians'
// absence digest, and stops them counting as unexplained for early
// warning. Bad input is a *coaching.ValidationError naming every bad
// field, and nothing is saved; so is a request of a case with MaxOpen
// requests waiting already. A repeat of a request with its [Input].Key
// records nothing and returns the first request.
func (s *Service) Submit(ctx context.Context, actor coaching.Actor, id coaching.CaseID, in Input) (Request, error) {
	in.Lessons = slices.Clone(in.Lessons)
	if err := validate(&in, coaching.DateOf(s.eng.Clock().Now())); err != nil {
		return Request{}, err
	}
	var out Request
	err := s.write(ctx, actor, func(sc *coaching.Scope) error {
		now := sc.Now()
		today := coaching.DateOf(now)
		c, err := sc.Case(coaching.OpReportAbsence, id)
		if err != nil {
			return err
		}
		p, err := participant(sc, c)
		if err != nil {
			return err
		}
		if welfareStaff(actor, c, p) {
			return sc.DenyCase(coaching.OpReportAbsence, c, RuleWelfareStaff,
				"student-welfare staff do not submit a family's requests, which the family and the deciders read: the family or the personal tutor does")
		}
		l, lv, err := readLedger(ctx, sc.ReadTx(), id)
		if err != nil {
			return err
		}
		if in.Key != "" {
			if rid := l.keyed(actor.ID, in.Key); rid != "" {
				// A repeat: the first request answers it.
				_, first, err := read(ctx, sc.ReadTx(), id, rid)
				if err != nil {
					return err
				}
				if !first.same(in) {
					return &coaching.ValidationError{Subject: "absence request", Problems: []coaching.FieldProblem{{Field: "key",
						Message: "already used for request " + rid + ", which asked for other days or said something else: a new request needs a new key"}}}
				}
				out = first
				return nil
			}
		}
		if c.Closed() {
			return closedError()
		}
		if in.Kind == Explanation {
			if err := requireUnexplained(ctx, sc, id, in); err != nil {
				return err
			}
		}
		if lv, err = s.expire(sc, coaching.OpReportAbsence, c, &l, lv, today); err != nil {
			return err
		}
		if len(l.Pending) >= MaxOpen {
			return &coaching.ValidationError{Subject: "absence request", Problems: []coaching.FieldProblem{{Field: "case",
				Message: fmt.Sprintf("%d requests of the case wait for a decision already: at most %d", len(l.Pending), MaxOpen)}}}
		}
		rules := s.opts.rules(c.Organisation)
		r := Request{ID: strconv.Itoa(l.Next + 1), CaseID: id, Kind: in.Kind, Status: Submitted, From: in.From, To: in.To,
			Lessons: in.Lessons, Reason: in.Reason, Text: in.Text, SchoolDays: schoolDays(in.From, in.To),
			SubmittedBy: actor.ID, SubmittedAs: submitterRole(actor, p), SubmittedAt: now, UpdatedAt: now,
			History: []string{"submitted " + today.String() + " by " + actor.ID}, Key: in.Key}
		switch {
		case r.Kind == Leave && (rules.LeaveTutorDays < 0 || r.SchoolDays > rules.LeaveTutorDays):
			r.Decider = DeciderHead
		case r.Kind != Leave && r.Reason == ReasonIllness && l.illnessSpan(r.From, r.To) <= rules.AutoAcceptIllnessDays:
			r.Decider = DeciderAutomatic
		default:
			r.Decider = DeciderTutor
		}
		var notices []coaching.Notice
		if r.Decider != DeciderAutomatic {
			notices = s.deciderNotices(c, r, now)
		}
		if err := save(sc, coaching.OpReportAbsence, r, 0, "absence_submitted", notices); err != nil {
			return err
		}
		r.Version = 1
		l.Next++
		if r.Decider == DeciderAutomatic {
			if r, err = s.decide(sc, coaching.OpReportAbsence, c, r, EventAccept, ""); err != nil {
				return err
			}
		}
		l.settle(r, today)
		l.remember(r)
		if err := saveLedger(sc, coaching.OpReportAbsence, id, l, lv, r.ID); err != nil {
			return err
		}
		if err := s.attend(sc, coaching.OpReportAbsence, r, today); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return Request{}, err
	}
	return out, nil
}

// closedError refuses a request's change on a closed case, as attendance
// refuses recording on one.
func closedError() error {
	return &coaching.ValidationError{Subject: "absence request", Problems: []coaching.FieldProblem{{Field: "case", Message: "the case is closed"}}}
}

// expire lapses the pending requests of ledger l whose days are more than
// coverKeep days past (nobody decided them in time), saving each and the
// ledger; it returns the ledger's version.
func (s *Service) expire(sc *coaching.Scope, op coaching.Operation, c coaching.Case, l *ledger, lv int64, today coaching.Date) (int64, error) {
	ids := l.expired(today)
	if len(ids) == 0 {
		return lv, nil
	}
	for _, rid := range ids {
		_, r, err := read(sc.Context(), sc.ReadTx(), c.ID, rid)
		if err != nil {
			return 0, err
		}
		if r, err = s.decide(sc, op, c, r, EventLapse, ""); err != nil {
			return 0, err
		}
		l.settle(r, today)
	}
	if err := saveLedger(sc, op, c.ID, *l, lv, strings.Join(ids, ", ")); err != nil {
		return 0, err
	}
	return lv + 1, nil
}

// requireUnexplained refuses an explanation of days without an
// unexplained absence marked on them.
func requireUnexplained(ctx context.Context, sc *coaching.Scope, id coaching.CaseID, in Input) error {
	rd, ok := sc.ReadTx().(attendance.Reader)
	if !ok {
		return errors.New("absence: the store does not keep attendance (its transactions do not implement attendance.Reader)")
	}
	marks, err := rd.Marks(ctx, id, in.From, in.To)
	if err != nil {
		return err
	}
	for _, m := range marks {
		if m.Status == attendance.Unexplained && (len(in.Lessons) == 0 || slices.Contains(in.Lessons, m.Lesson)) {
			return nil
		}
	}
	return &coaching.ValidationError{Subject: "absence request", Problems: []coaching.FieldProblem{{Field: "from",
		Message: "no unexplained absence is marked on these days (report an absence to come instead)"}}}
}

// attend brings attendance up to date with request r: an accepted one
// corrects the absences already marked; any other that concerns days
// begun rewrites the guardians' digests of its days and runs early
// warning again (a pending request keeps its lessons out of the digest
// and the unexplained count, a rejected or withdrawn one puts them back).
func (s *Service) attend(sc *coaching.Scope, op coaching.Operation, r Request, today coaching.Date) error {
	if r.From.After(today) {
		return nil
	}
	if r.Status == Accepted || r.Status == Granted {
		st, reason := r.excuse()
		by := "" // the decider
		if r.Decider == DeciderAutomatic {
			by = MarkedByRule
		}
		_, err := s.att.CorrectIn(sc, op, r.CaseID, attendance.Correction{From: r.From, To: r.To, Lessons: r.Lessons, Status: st, Reason: reason, By: by})
		return err
	}
	_, err := s.att.RefreshIn(sc, op, r.CaseID, r.From, r.To)
	return err
}

// relation is what actor is to participant p as the policy sees it: a
// guardian (asserted, or recorded on p), the student themself, or neither
// ("").
func relation(a coaching.Actor, p coaching.Participant) coaching.Role {
	// Whatever role the actor signed in with: a tutor who is the student's
	// guardian is family here (they do not decide their own child's
	// request), as recognised by coaching.Participant.GuardianOf and
	// IsStudent.
	as := func(r coaching.Role) coaching.Actor {
		return coaching.Actor{ID: a.ID, Roles: []coaching.Role{r}, Relations: a.Relations}
	}
	if _, ok := p.GuardianOf(as(coaching.RoleGuardian)); ok {
		return coaching.RoleGuardian
	}
	if p.IsStudent(as(coaching.RoleStudent)) {
		return coaching.RoleStudent
	}
	return ""
}

// participant reads the case's participant (zero when it is not stored).
func participant(sc *coaching.Scope, c coaching.Case) (coaching.Participant, error) {
	p, err := sc.ReadTx().Participant(sc.Context(), c.Organisation, c.ParticipantID)
	if errors.Is(err, coaching.ErrNotFound) {
		return coaching.Participant{}, nil
	}
	return p, err
}

// submitterRole is the role a request is submitted in, by the actor's
// relation to the case's participant: guardian, student (themself), or
// else the first staff role (on the family's behalf).
func submitterRole(a coaching.Actor, p coaching.Participant) coaching.Role {
	if r := relation(a, p); r != "" {
		return r
	}
	for _, r := range a.Roles {
		if r.IsStaff() {
			return r
		}
	}
	for _, r := range []coaching.Role{coaching.RoleGuardian, coaching.RoleStudent} {
		if a.HasRole(r) {
			return r
		}
	}
	if len(a.Roles) > 0 {
		return a.Roles[0]
	}
	return ""
}

// Decide accepts or rejects an absence report or explanation, or grants
// or refuses a leave. The policy's decide_request rule must allow actor,
// and the request's decider must be the actor: the personal tutor on the
// student's team — its coach, when it has no personal tutor — (or the
// head of studies) for absences and short leaves,
// the head of studies for a long leave — anyone else is refused with a
// *coaching.ForbiddenError naming [RuleDecider]; nobody decides a request
// they submitted or one for their own child or themself
// ([RuleOwnDecision]). A request changed since d.Version is a
// *coaching.ConflictError; a decided one a *coaching.TransitionError; a
// closed case's a *coaching.ValidationError. A guardian's request for a
// student who has turned 18 without consenting to their guardians acting
// for them, or by a guardian no longer recorded as theirs, lapses
// instead: it is marked lapsed and a [*LapsedError] returned with it (see
// there for a bound service). Whoever submitted the request is told the
// decision in their language; an accepted request corrects the absences
// already marked and excuses those marked later.
func (s *Service) Decide(ctx context.Context, actor coaching.Actor, id coaching.CaseID, requestID string, d Decision) (Request, error) {
	if err := validateDecision(d); err != nil {
		return Request{}, err
	}
	var out Request
	lapsed := false
	err := s.write(ctx, actor, func(sc *coaching.Scope) error {
		lapsed = false
		today := coaching.DateOf(sc.Now())
		c, err := sc.Case(coaching.OpDecideRequest, id)
		if err != nil {
			return err
		}
		_, r, err := read(ctx, sc.ReadTx(), id, requestID)
		if err != nil {
			return err
		}
		if !mayDecide(actor, c, r.Decider) {
			return sc.DenyCase(coaching.OpDecideRequest, c, RuleDecider, deciderText(r.Decider))
		}
		p, err := participant(sc, c)
		if err != nil {
			return err
		}
		if r.SubmittedBy == actor.ID || relation(actor, p) != "" {
			return sc.DenyCase(coaching.OpDecideRequest, c, RuleOwnDecision, "nobody decides a request they submitted, or one for their own child or themself")
		}
		if r.Version != d.Version {
			return &staleRequest{&coaching.ConflictError{CaseID: id, Subject: "absence request " + requestID, Expected: d.Version, Current: r.Version}}
		}
		if c.Closed() {
			return closedError()
		}
		event := map[bool]string{true: EventAccept, false: EventReject}[d.Accept]
		if r.Kind == Leave {
			event = map[bool]string{true: EventGrant, false: EventRefuse}[d.Accept]
		}
		if r.SubmittedAs == coaching.RoleGuardian && r.Status.Open() {
			if !p.GuardiansInformedOn(today) || !slices.ContainsFunc(p.Guardians, func(g coaching.Guardian) bool { return g.ID == r.SubmittedBy }) {
				event, lapsed = EventLapse, true
			}
		}
		if out, err = s.settle(sc, coaching.OpDecideRequest, c, r, event, d.Reason, today); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return Request{}, err
	}
	if lapsed {
		return out, &LapsedError{CaseID: id, RequestID: requestID}
	}
	return out, nil
}

// settle fires event on request r, saves it, moves its days in the ledger
// (lapsing the requests expired meanwhile) and brings attendance up to
// date, all under op by the scope's actor.
func (s *Service) settle(sc *coaching.Scope, op coaching.Operation, c coaching.Case, r Request, event, reason string, today coaching.Date) (Request, error) {
	ctx := sc.Context()
	l, lv, err := readLedger(ctx, sc.ReadTx(), c.ID)
	if err != nil {
		return Request{}, err
	}
	if r, err = s.decide(sc, op, c, r, event, reason); err != nil {
		return Request{}, err
	}
	l.settle(r, today)
	if lv, err = s.expire(sc, op, c, &l, lv, today); err != nil {
		return Request{}, err
	}
	if err := saveLedger(sc, op, c.ID, l, lv, r.ID); err != nil {
		return Request{}, err
	}
	if err := s.attend(sc, op, r, today); err != nil {
		return Request{}, err
	}
	return r, nil
}

// decide fires event on request r and saves its next version, with the
// decision's notice to whoever submitted it (none for a withdrawal or a
// lapse).
func (s *Service) decide(sc *coaching.Scope, op coaching.Operation, c coaching.Case, r Request, event, reason string) (Request, error) {
	to, err := machineOf(r.Kind).Fire(sc.Context(), string(r.Status), event, nil)
	if err != nil {
		return Request{}, err
	}
	now := sc.Now()
	actor := sc.Actor()
	r.Status, r.UpdatedAt = Status(to), now
	by := actor.ID
	if r.Decider == DeciderAutomatic && event == EventAccept || event == EventLapse {
		by = "the organisation's rule"
	}
	r.History = append(r.History, string(r.Status)+" "+coaching.DateOf(now).String()+" by "+by)
	var notices []coaching.Notice
	switch event {
	case EventWithdraw, EventLapse:
	default:
		r.DecidedAt, r.DecisionReason = now, reason
		if by == actor.ID {
			r.DecidedBy = actor.ID
		}
		notices, err = s.decisionNotices(sc, c, r, now)
		if err != nil {
			return Request{}, err
		}
	}
	if err := save(sc, op, r, r.Version, "absence_"+string(r.Status), notices); err != nil {
		return Request{}, err
	}
	r.Version++
	return r, nil
}

// save stores request r as the next version of its document (basedOn is
// the version it was read at; 0 for a new one), under op. The audit entry
// names the kind and the days, never the reason category or the text.
func save(sc *coaching.Scope, op coaching.Operation, r Request, basedOn int64, event string, notices []coaching.Notice) error {
	r.Version = 0
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = sc.SaveDocumentAs(op, r.CaseID, coaching.DocumentChange{Kind: kind(r.ID), BasedOn: basedOn, Status: string(r.Status),
		Data: data, Event: event, Reason: r.what(), Notices: notices})
	return err
}

// mayDecide reports whether actor is the decider a request names: the
// head of studies decides every request, the personal tutor on the
// student's team — its coach, when it has no personal tutor — what is not
// the head's.
func mayDecide(a coaching.Actor, c coaching.Case, d Decider) bool {
	if a.HasRole(coaching.RoleHeadOfStudies) {
		return true
	}
	if d == DeciderHead {
		return false
	}
	return slices.ContainsFunc(c.Responsible(), func(m coaching.TeamMember) bool {
		return m.ActorID == a.ID && a.HasRole(m.Role)
	})
}

// welfareStaff reports whether actor, acting as staff rather than as the
// student's family, is a student-welfare worker: on case c's team only in
// welfare roles (or, off the team, holding no other staff role), and not
// the head of studies.
func welfareStaff(a coaching.Actor, c coaching.Case, p coaching.Participant) bool {
	if relation(a, p) != "" || a.HasRole(coaching.RoleHeadOfStudies) {
		return false
	}
	var roles []coaching.Role
	for _, m := range c.Team {
		if m.ActorID == a.ID && m.Role.IsStaff() && a.HasRole(m.Role) {
			roles = append(roles, m.Role)
		}
	}
	if len(roles) == 0 {
		roles = slices.DeleteFunc(slices.Clone(a.Roles), func(r coaching.Role) bool { return !r.IsStaff() })
	}
	return len(roles) > 0 && !slices.ContainsFunc(roles, func(r coaching.Role) bool { return !r.IsWelfare() })
}

func deciderText(d Decider) string {
	if d == DeciderHead {
		return "a leave this long is decided by the head of studies"
	}
	return "this request is decided by the student's personal tutor (the coach, when the team has no personal tutor) or the head of studies"
}

// Withdraw withdraws a request. The policy's report_absence rule must
// allow actor. Whoever submitted it withdraws a pending request; an
// accepted report or explanation, or a granted leave, is withdrawn by
// whoever submitted it or its deciders (the child recovered, the trip was
// cancelled): the days from today on are no longer covered, the absences
// already corrected stay as they are. Anyone else is refused with a
// *coaching.ForbiddenError naming [RuleOwnRequest]; a rejected, refused,
// lapsed or withdrawn request is a *coaching.TransitionError, a closed
// case's a *coaching.ValidationError.
func (s *Service) Withdraw(ctx context.Context, actor coaching.Actor, id coaching.CaseID, requestID string) (Request, error) {
	var out Request
	err := s.write(ctx, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpReportAbsence, id)
		if err != nil {
			return err
		}
		_, r, err := read(ctx, sc.ReadTx(), id, requestID)
		if err != nil {
			return err
		}
		decided := r.Status == Accepted || r.Status == Granted
		if r.SubmittedBy != actor.ID && !(decided && mayDecide(actor, c, r.Decider)) {
			return sc.DenyCase(coaching.OpReportAbsence, c, RuleOwnRequest, "only whoever submitted a request withdraws it (an accepted one, also its deciders)")
		}
		if c.Closed() {
			return closedError()
		}
		out, err = s.settle(sc, coaching.OpReportAbsence, c, r, EventWithdraw, "", coaching.DateOf(sc.Now()))
		return err
	})
	if err != nil {
		return Request{}, err
	}
	return out, nil
}

// Get returns a request as actor may see it, if the policy's
// read_requests rule allows (the default: the student's family, staff on
// the team, the head of studies). Its Reason, Text and DecisionReason are
// shown to whoever submitted it, the student's family and the request's
// deciders; they are empty for anyone else.
func (s *Service) Get(ctx context.Context, actor coaching.Actor, id coaching.CaseID, requestID string) (Request, error) {
	var out Request
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if err := registered(sc); err != nil {
			return err
		}
		if !coaching.ValidDocumentID(reqPrefix, requestID) {
			return &coaching.NotFoundError{Kind: "absence request", ID: requestID}
		}
		c, err := sc.Guard(id, kind(requestID))
		if err != nil {
			return err
		}
		_, r, err := read(ctx, sc.ReadTx(), id, requestID)
		if err != nil {
			return err
		}
		p, err := participant(sc, c)
		if err != nil {
			return err
		}
		out = visible(actor, c, p, r)
		return nil
	})
	if err != nil {
		return Request{}, err
	}
	return out, nil
}

// ListQuery selects requests for [Service.List].
type ListQuery struct {
	// OpenOnly keeps the requests waiting for a decision.
	OpenOnly bool
	// Limit is how many to return at most, newest first; defaults to 50.
	Limit int
}

// List returns a case's requests, newest first, as actor may see them
// (read_requests; Reason, Text and DecisionReason as [Service.Get] shows
// them). It reads at most Limit requests, or with OpenOnly the open ones.
func (s *Service) List(ctx context.Context, actor coaching.Actor, id coaching.CaseID, q ListQuery) ([]Request, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	var out []Request
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if err := registered(sc); err != nil {
			return err
		}
		c, err := sc.Case(coaching.OpReadRequests, id)
		if err != nil {
			return err
		}
		l, _, err := readLedger(ctx, sc.ReadTx(), id)
		if err != nil {
			return err
		}
		p, err := participant(sc, c)
		if err != nil {
			return err
		}
		var ids []string
		if q.OpenOnly {
			for i := len(l.Pending) - 1; i >= 0; i-- {
				ids = append(ids, l.Pending[i].Request)
			}
		} else {
			for n := l.Next; n > 0 && len(ids) < q.Limit; n-- {
				ids = append(ids, strconv.Itoa(n))
			}
		}
		for _, rid := range ids[:min(len(ids), q.Limit)] {
			_, r, err := read(ctx, sc.ReadTx(), id, rid)
			if err != nil {
				return err
			}
			out = append(out, visible(actor, c, p, r))
		}
		return nil
	})
	return out, err
}

// visible blanks a request's reason category, text and decision reason
// for a reader who is neither its submitter, the student's family nor
// one of the request's deciders.
func visible(a coaching.Actor, c coaching.Case, p coaching.Participant, r Request) Request {
	if a.ID != r.SubmittedBy && relation(a, p) == "" && !mayDecide(a, c, r.Decider) {
		r.Reason, r.Text, r.DecisionReason = "", "", ""
	}
	r.Lessons = slices.Clone(r.Lessons)
	r.History = slices.Clone(r.History)
	return r
}

// LapsedRequest is a request [Service.Lapse] marked lapsed.
type LapsedRequest struct {
	CaseID    coaching.CaseID
	RequestID string
}

// lapsePage is how many open cases Lapse reads before it looks at them,
// each in a transaction of its own.
const lapsePage = 500

// Lapse marks lapsed every pending request a guardian submitted for a
// student who has turned 18 since and has not consented to their
// guardians acting for them — the nightly counterpart of what a decision
// on one does. No actor asks for it: it runs with the key the host gave
// the engine (coaching.Options.SystemKey) as the engine's own actor under
// [RuleLapse]. It reads the open cases a page at a time, and only the
// ledger of a case whose student is an adult without that consent. A case
// that fails (a decision on it at the same moment) does not stop the
// others: the requests lapsed are returned with every case's error
// joined, and the next run tries that case again.
func (s *Service) Lapse(ctx context.Context, key *coaching.SystemKey) ([]LapsedRequest, error) {
	sys, actor, err := s.eng.System(key, RuleLapse)
	if err != nil {
		return nil, err
	}
	var out []LapsedRequest
	var errs []error
	var after coaching.CaseID
	for {
		src, err := sys.Figures(ctx, actor, coaching.CaseQuery{OpenOnly: true, AfterID: after})
		if err != nil {
			return out, err
		}
		var page, due []coaching.CaseID
		now := s.eng.Clock().Now()
		today := coaching.DateOf(now)
		for row, err := range src.Rows(ctx) {
			if err != nil {
				return out, err
			}
			page = append(page, row.Case.ID)
			if p := row.Participant; p != nil && len(p.Guardians) > 0 && !p.GuardiansInformedOn(today) {
				due = append(due, row.Case.ID)
			}
			if len(page) == lapsePage {
				break
			}
		}
		for _, id := range due {
			var lapsed []LapsedRequest
			err := sys.Write(ctx, actor, func(sc *coaching.Scope) error {
				c, err := sc.Case(coaching.OpDecideRequest, id)
				if errors.Is(err, coaching.ErrNotFound) {
					return nil
				}
				if err != nil {
					return err
				}
				if c.Closed() {
					return nil
				}
				l, _, err := readLedger(ctx, sc.ReadTx(), id)
				if err != nil {
					return err
				}
				lapsed = nil
				for _, e := range l.Pending {
					if !e.Guardian {
						continue
					}
					_, r, err := read(ctx, sc.ReadTx(), id, e.Request)
					if err != nil {
						return err
					}
					if _, err := s.settle(sc, coaching.OpDecideRequest, c, r, EventLapse, "", coaching.DateOf(sc.Now())); err != nil {
						return err
					}
					lapsed = append(lapsed, LapsedRequest{CaseID: id, RequestID: r.ID})
				}
				return nil
			})
			if err != nil {
				// One case's failure (a conflict with a decision at the
				// same moment) does not stop the others': it is reported,
				// and tried again the next night.
				errs = append(errs, fmt.Errorf("absence: lapse of case %q: %w", id, err))
				continue
			}
			out = append(out, lapsed...)
		}
		if len(page) < lapsePage {
			return out, errors.Join(errs...)
		}
		after = page[len(page)-1]
	}
}

// deciderNotices tell the deciders a request waits for them: the team's
// members who decide it — the personal tutors (the coaches, when the team
// has none) or the head of studies — but never whoever submitted it, who
// may not decide it; or, when there are none, the others (the personal
// tutors for a long leave when no head of studies is on the team, the
// head of studies on the team for a request when no other personal tutor
// is). They name the kind and the days, never the reason or the text. A
// team with none of them gets no notice (the library knows no directory
// of an organisation's heads of studies): the request waits for the head
// of studies to decide it, until it lapses.
func (s *Service) deciderNotices(c coaching.Case, r Request, now time.Time) []coaching.Notice {
	groups := [][]coaching.TeamMember{c.Responsible(), c.Members(coaching.RoleHeadOfStudies)}
	if r.Decider == DeciderHead {
		groups[0], groups[1] = groups[1], groups[0]
	}
	var members []coaching.TeamMember
	for _, g := range groups {
		members = slices.DeleteFunc(g, func(m coaching.TeamMember) bool { return m.ActorID == r.SubmittedBy })
		if len(members) > 0 {
			break
		}
	}
	var out []coaching.Notice
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.ActorID] {
			continue
		}
		seen[m.ActorID] = true
		to := m.Recipient()
		if !to.Language.Valid() {
			to.Language = coaching.Finnish
		}
		lang := to.Language
		fields := map[string]string{"case": string(c.ID), "kind": string(r.Kind), "days": formatDays(r, lang), "decider": string(r.Decider)}
		subject, body := s.eng.Texts().RenderNotice(NoticeKindSubmitted, lang, fields)
		out = append(out, coaching.Notice{ID: "absence-request:" + string(c.ID) + ":" + r.ID + ":submitted:" + m.ActorID, CaseID: c.ID,
			Kind: NoticeKindSubmitted, Recipient: to,
			Subject: subject, Body: body, Data: map[string]string{"case_id": string(c.ID), "request": r.ID, "kind": string(r.Kind)},
			CreatedAt: now, NotBefore: now, Status: coaching.NoticePending})
	}
	return out
}

// decisionNotices tell whoever submitted r its decision, in their
// language: a guardian recorded on the participant, the student, or a
// team member; nobody else (a requester without contact details is not
// told).
func (s *Service) decisionNotices(sc *coaching.Scope, c coaching.Case, r Request, now time.Time) ([]coaching.Notice, error) {
	p, err := sc.Tx().Participant(sc.Context(), c.Organisation, c.ParticipantID)
	if errors.Is(err, coaching.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var to coaching.Recipient
	switch r.SubmittedAs {
	case coaching.RoleGuardian:
		i := slices.IndexFunc(p.Guardians, func(g coaching.Guardian) bool { return g.ID == r.SubmittedBy })
		if i < 0 {
			return nil, nil
		}
		g := p.Guardians[i]
		lang := g.Language
		if !lang.Valid() {
			lang = p.Language
		}
		to = coaching.Recipient{ID: g.ID, Name: g.Name, Role: coaching.RoleGuardian, Contact: g.Contact, Language: lang}
	case coaching.RoleStudent:
		to = coaching.Recipient{ID: r.SubmittedBy, Name: p.Name(), Role: coaching.RoleStudent, Contact: p.Contact, Language: p.Language}
	default:
		i := slices.IndexFunc(c.Team, func(m coaching.TeamMember) bool { return m.ActorID == r.SubmittedBy })
		if i < 0 {
			return nil, nil
		}
		to = c.Team[i].Recipient()
	}
	if !to.Contact.Reachable() {
		return nil, nil
	}
	if !to.Language.Valid() {
		to.Language = coaching.Finnish
	}
	fields := map[string]string{"given_names": p.GivenNames, "kind": string(r.Kind), "days": formatDays(r, to.Language),
		"decision": string(r.Status)}
	subject, body := s.eng.Texts().RenderNotice(NoticeKindDecided, to.Language, fields)
	return []coaching.Notice{{ID: "absence-request:" + string(c.ID) + ":" + r.ID + ":" + string(r.Status) + ":" + to.ID, CaseID: c.ID,
		Kind: NoticeKindDecided, Recipient: to, Subject: subject, Body: body,
		Data:      map[string]string{"case_id": string(c.ID), "request": r.ID, "kind": string(r.Kind), "decision": string(r.Status)},
		CreatedAt: now, NotBefore: now, Status: coaching.NoticePending}}, nil
}

// formatDays writes a request's days for a reader of language l: one
// date, or the first and the last.
func formatDays(r Request, l coaching.Language) string {
	if r.From == r.To {
		return attendance.FormatDate(r.From, l)
	}
	return attendance.FormatDate(r.From, l) + "–" + attendance.FormatDate(r.To, l)
}
