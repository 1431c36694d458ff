package hoks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// DocumentKind is the kind under which a case's HOKS is stored as a
// [coaching.Document].
const DocumentKind = "hoks"

// Documents returns the document families of the hoks package, for
// coaching.Options.Documents: the plan itself and the student's proposals,
// comments and the staff's notes on them (see [ProposalDocuments]).
//
// The plan's family (kind [DocumentKind], exact) is reserved: only the
// [Service]'s commands write a version — under the policy's change_hoks
// (drafts, changes) and approve_hoks (approval and the lifecycle) —, so
// an actor the policy allows change_case (a workplace instructor on the
// team) cannot save or approve a plan through Engine.ChangeCase and
// CaseChange.SaveDocument, which refuse the kind. It is guarded by
// read_hoks_summary, which the default policy allows everyone who reads
// the plan or its summary: the plan's versions, and the audit entries and
// notices written with them, are shown only to an actor allowed it (a host
// policy that allows read_hoks must allow read_hoks_summary too). The
// Service's writes refuse to run on an engine not given the plan's
// family (an error naming the kind), so a plan is never stored unguarded.
func Documents() []coaching.DocumentKind {
	return append([]coaching.DocumentKind{{Prefix: DocumentKind, Exact: true, Guard: coaching.OpReadHOKSSummary, Reserved: true}},
		proposalDocuments()...)
}

// Status is where a HOKS is in its life.
type Status string

// Statuses of a HOKS.
const (
	// StatusDraft: being drawn up, never approved.
	StatusDraft Status = "draft"
	// StatusApproved: approved (the first approval sets
	// ensikertainen-hyvaksyminen), not yet being carried out.
	StatusApproved Status = "approved"
	// StatusInProgress: the learner is acquiring competence under it.
	StatusInProgress Status = "in_progress"
	// StatusUpdated: an approved plan is being updated; the changes need
	// re-approval. Until then the last approved version is in force.
	StatusUpdated Status = "updated"
	// StatusCompetenceReached: the competence-reached date is set.
	StatusCompetenceReached Status = "competence_reached"
	// StatusCompleted: the studies under the plan have ended.
	StatusCompleted Status = "completed"
	// StatusArchived: kept for the record only.
	StatusArchived Status = "archived"
)

// InForce reports whether a version with this status is an approved plan
// in force (its content was approved): approved, in progress, competence
// reached or completed.
func (s Status) InForce() bool { return s.inForce() }

// inForce reports whether a version with this status is an approved plan
// in force (its content was approved).
func (s Status) inForce() bool {
	switch s {
	case StatusApproved, StatusInProgress, StatusCompetenceReached, StatusCompleted:
		return true
	}
	return false
}

// Lifecycle actions: the events of the HOKS state machine.
const (
	ActionApprove         = "approve"
	ActionStart           = "start"
	ActionRevise          = "revise"
	ActionReachCompetence = "reach_competence"
	ActionComplete        = "complete"
	ActionArchive         = "archive"
)

// lifecycle is the HOKS state machine. Saving a draft while in draft or
// updated is not a transition (the status stays).
var lifecycle = coaching.MustMachine(string(StatusDraft), []coaching.Edge{
	{Event: ActionApprove, From: []string{string(StatusDraft), string(StatusUpdated)}, To: string(StatusApproved)},
	{Event: ActionStart, From: []string{string(StatusApproved)}, To: string(StatusInProgress)},
	{Event: ActionRevise, From: []string{string(StatusApproved), string(StatusInProgress)}, To: string(StatusUpdated)},
	{Event: ActionReachCompetence, From: []string{string(StatusApproved), string(StatusInProgress)}, To: string(StatusCompetenceReached)},
	{Event: ActionComplete, From: []string{string(StatusCompetenceReached)}, To: string(StatusCompleted)},
	{Event: ActionArchive, From: []string{string(StatusDraft), string(StatusApproved), string(StatusInProgress), string(StatusUpdated),
		string(StatusCompetenceReached), string(StatusCompleted)}, To: string(StatusArchived)},
})

// next runs action from status on the lifecycle machine. An action it does
// not allow is a *coaching.TransitionError listing the actions it does.
func next(from Status, action string) (Status, error) {
	to, err := lifecycle.Fire(context.Background(), string(from), action, nil)
	if err != nil {
		return "", err
	}
	return Status(to), nil
}

// LifecycleDiagram renders the HOKS lifecycle as a Mermaid state diagram
// with looplab/fsm's visualiser.
func LifecycleDiagram() string { return lifecycle.Mermaid() }

// Version is one stored version of a case's HOKS. Versions are immutable:
// every change, and every approval, stores a new one.
type Version struct {
	Number int64
	Status Status
	At     time.Time
	By     string
	Plan   *Plan
	// Surveys says what was decided about the AMIS feedback surveys this
	// version triggers (set only on the version returned by the change).
	Surveys []SurveyDecision
	// Advisories are the plan's advisories (see [Check]): things eHOKS
	// accepts but that are probably mistakes. They never block a change.
	// Set only on the version returned by a change; for a version read
	// back, call [Advisories] on its Plan.
	Advisories []coaching.FieldProblem
}

// PlanError is the error of a lifecycle change whose plan breaks eHOKS's
// rules. It is the *[coaching.ValidationError] with the problems (errors.As
// finds it, and it matches [coaching.ErrInvalid]) and carries the plan's
// advisories beside them, so that a caller can show both at once.
type PlanError struct {
	*coaching.ValidationError
	// Advisories are the plan's advisories, as in [Report].
	Advisories []coaching.FieldProblem
}

// Unwrap returns the validation error with the problems.
func (e *PlanError) Unwrap() error { return e.ValidationError }

// Service keeps a case's HOKS through the engine: every version is a case
// document saved with an audit entry, and the survey notices go through
// the engine's outbox in the same transaction. It is safe for concurrent
// use.
type Service struct {
	eng     *coaching.Engine
	inForce func(id coaching.CaseID, v Version) []coaching.Notice
}

// ServiceOptions configure a [Service] ([NewServiceWith]).
type ServiceOptions struct {
	// InForce, when set, is asked for notices about every version the
	// service stores that comes into force — an approval, and the start,
	// competence-reached and completion versions after it (the statuses
	// [Status.InForce] names) — and the notices it returns are enqueued in
	// the transaction that stores the version. They are delivered after
	// commit, and only when it commits; a notice's ID is its idempotency
	// key, so one built from the case and v.Number is enqueued once per
	// version. v is the version being stored: its Number, Status, At and
	// Plan are set (At is the engine's clock when the change began; the
	// function must not change the plan). This
	// is how a sync with another system is told of a plan to send (package
	// adapters/ehoks: ehoks.PushNotices queues the push to eHOKS); the hoks
	// package itself knows of no such system.
	InForce func(id coaching.CaseID, v Version) []coaching.Notice
}

// NewService returns a HOKS service over eng. The engine must have been
// given [Documents] (coaching.Options.Documents), or NewService returns
// an error: without the plan's family the plan would be an ordinary case
// document that anyone allowed change_case could overwrite.
func NewService(eng *coaching.Engine) (*Service, error) {
	return NewServiceWith(eng, ServiceOptions{})
}

// NewServiceWith is [NewService] with options.
func NewServiceWith(eng *coaching.Engine, opts ServiceOptions) (*Service, error) {
	if eng == nil {
		return nil, errors.New("hoks: NewService: engine is nil")
	}
	// The plan is a reserved document family: an engine without it would
	// refuse every plan written (or, before that guard, show plans to
	// whoever reads the case).
	if err := coaching.RequireDocuments(eng, DocumentKind); err != nil {
		return nil, fmt.Errorf("hoks: NewService: %w (hoks.Documents())", err)
	}
	return &Service{eng: eng, inForce: opts.InForce}, nil
}

func (s *Service) today() coaching.Date { return coaching.DateOf(s.eng.Clock().Now()) }

// decodeVersion turns a stored document into a Version.
func decodeVersion(d coaching.Document) (Version, error) {
	p, err := Decode(d.Data, &DecodeOptions{KeepUnknown: true})
	if err != nil {
		return Version{}, fmt.Errorf("hoks: stored version %d of case %s does not decode: %w", d.Version, d.CaseID, err)
	}
	return Version{Number: d.Version, Status: Status(d.Status), At: d.At, By: d.By, Plan: p}, nil
}

// documents reads the case's HOKS versions (one version when n > 0, the
// latest when n == 0, all when n < 0) after the engine's policy allowed
// actor op on the case.
func (s *Service) documents(ctx context.Context, actor coaching.Actor, op coaching.Operation, id coaching.CaseID, n int64) ([]coaching.Document, error) {
	_, ds, err := s.caseDocuments(ctx, actor, op, id, n)
	return ds, err
}

// caseDocuments is [Service.documents] that also returns the case the
// policy was asked about.
func (s *Service) caseDocuments(ctx context.Context, actor coaching.Actor, op coaching.Operation, id coaching.CaseID, n int64) (coaching.Case, []coaching.Document, error) {
	var (
		c  coaching.Case
		ds []coaching.Document
	)
	err := s.eng.ReadCase(ctx, actor, op, id, func(v *coaching.CaseView) error {
		c = v.Case()
		if n < 0 {
			var err error
			ds, err = v.Documents(DocumentKind)
			return err
		}
		d, err := v.Document(DocumentKind, n)
		ds = []coaching.Document{d}
		return err
	})
	return c, ds, err
}

// Current returns the latest version of the case's HOKS, or a
// *coaching.NotFoundError when it has none. The policy's read_hoks rule
// decides who may read it (the default: the support team, the head of
// studies, the student; guardians read the [Service.Summary]).
func (s *Service) Current(ctx context.Context, actor coaching.Actor, id coaching.CaseID) (Version, error) {
	ds, err := s.documents(ctx, actor, coaching.OpReadHOKS, id, 0)
	if err != nil {
		return Version{}, err
	}
	return decodeVersion(ds[0])
}

// Version returns version n of the case's HOKS, under the same rule as
// [Service.Current].
func (s *Service) Version(ctx context.Context, actor coaching.Actor, id coaching.CaseID, n int64) (Version, error) {
	if n <= 0 {
		return Version{}, &coaching.ValidationError{Subject: "HOKS version", Problems: []coaching.FieldProblem{{Field: "version", Message: "must be 1 or more"}}}
	}
	ds, err := s.documents(ctx, actor, coaching.OpReadHOKS, id, n)
	if err != nil {
		return Version{}, err
	}
	return decodeVersion(ds[0])
}

// History returns every version, oldest first, under the same rule as
// [Service.Current].
func (s *Service) History(ctx context.Context, actor coaching.Actor, id coaching.CaseID) ([]Version, error) {
	ds, err := s.documents(ctx, actor, coaching.OpReadHOKS, id, -1)
	if err != nil {
		return nil, err
	}
	out := make([]Version, 0, len(ds))
	for _, d := range ds {
		v, err := decodeVersion(d)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// InForce returns the latest approved version in force (approved, in
// progress, competence reached or completed), or a *coaching.NotFoundError
// when the plan was never approved. While an update awaits re-approval, the
// previous approved version stays in force. Same rule as [Service.Current].
func (s *Service) InForce(ctx context.Context, actor coaching.Actor, id coaching.CaseID) (Version, error) {
	ds, err := s.documents(ctx, actor, coaching.OpReadHOKS, id, -1)
	if err != nil {
		return Version{}, err
	}
	return inForce(id, ds)
}

func inForce(id coaching.CaseID, ds []coaching.Document) (Version, error) {
	for i := len(ds) - 1; i >= 0; i-- {
		st := Status(ds[i].Status)
		if st == StatusArchived {
			break
		}
		if st.inForce() {
			return decodeVersion(ds[i])
		}
	}
	return Version{}, &coaching.NotFoundError{Kind: "approved HOKS", ID: string(id)}
}

// SaveDraft stores a changed plan. The first version (basedOn 0) starts a
// draft; saving a draft or an update keeps its status; saving over an
// approved or in-progress plan starts an update that needs re-approval.
// basedOn must be the latest version: a change made from an older version
// is a *coaching.ConflictError (eHOKS has no locking; this has). The plan is
// validated as eHOKS would, except that a draft needs no first approval date
// yet.
func (s *Service) SaveDraft(ctx context.Context, actor coaching.Actor, id coaching.CaseID, basedOn int64, p *Plan) (Version, error) {
	status := StatusDraft
	if basedOn > 0 {
		cur, err := s.Version(ctx, actor, id, basedOn)
		if err != nil {
			return Version{}, err
		}
		switch cur.Status {
		case StatusDraft, StatusUpdated:
			status = cur.Status
		default:
			if status, err = next(cur.Status, ActionRevise); err != nil {
				return Version{}, err
			}
		}
	}
	advisories, err := s.validate(p, status == StatusDraft)
	if err != nil {
		return Version{}, err
	}
	return s.save(ctx, actor, id, basedOn, coaching.OpChangeHOKS, status, p, "hoks_saved", nil, advisories)
}

// Approve approves the plan of version basedOn as it is, on the civil date
// on: the first approval sets ensikertainen-hyvaksyminen; every approval
// sets hyvaksytty and keeps an immutable version. The first approval
// enqueues the AMIS start survey (aloituskysely) unless eHOKS's exclusion
// rules apply.
func (s *Service) Approve(ctx context.Context, actor coaching.Actor, id coaching.CaseID, basedOn int64, on coaching.Date) (Version, error) {
	cur, err := s.Version(ctx, actor, id, basedOn)
	if err != nil {
		return Version{}, err
	}
	status, err := next(cur.Status, ActionApprove)
	if err != nil {
		return Version{}, err
	}
	if !on.Valid() || on.After(s.today()) {
		return Version{}, &coaching.ValidationError{Subject: "HOKS approval", Problems: []coaching.FieldProblem{{Field: "on", Message: "must be a date not in the future"}}}
	}
	p := cur.Plan
	first := p.FirstApproved.IsZero()
	if first {
		p.FirstApproved = on
	}
	p.Approved = InstantOf(s.eng.Clock().Now())
	advisories, err := s.validate(p, false)
	if err != nil {
		return Version{}, err
	}
	var decisions []SurveyDecision
	if first {
		d, err := s.survey(ctx, actor, id, p, StartSurvey, p.FirstApproved)
		if err != nil {
			return Version{}, err
		}
		decisions = append(decisions, d)
	}
	return s.save(ctx, actor, id, basedOn, coaching.OpApproveHOKS, status, p, "hoks_approved", decisions, advisories)
}

// Start marks an approved plan as being carried out.
func (s *Service) Start(ctx context.Context, actor coaching.Actor, id coaching.CaseID, basedOn int64) (Version, error) {
	return s.transition(ctx, actor, id, basedOn, ActionStart, "hoks_started", nil)
}

// ReachCompetence sets the competence-reached date (osaamisen
// saavuttamisen päivämäärä) and enqueues the AMIS end survey
// (päättökysely) unless eHOKS's exclusion rules apply.
func (s *Service) ReachCompetence(ctx context.Context, actor coaching.Actor, id coaching.CaseID, basedOn int64, on coaching.Date) (Version, error) {
	if !on.Valid() || on.After(s.today()) {
		return Version{}, &coaching.ValidationError{Subject: "HOKS", Problems: []coaching.FieldProblem{{Field: "osaamisen-saavuttamisen-pvm", Message: "must be a date not in the future"}}}
	}
	return s.transition(ctx, actor, id, basedOn, ActionReachCompetence, "hoks_competence_reached", func(p *Plan) { p.CompetenceReached = on })
}

// Complete marks the studies under the plan as ended.
func (s *Service) Complete(ctx context.Context, actor coaching.Actor, id coaching.CaseID, basedOn int64) (Version, error) {
	return s.transition(ctx, actor, id, basedOn, ActionComplete, "hoks_completed", nil)
}

// Archive keeps the plan for the record only.
func (s *Service) Archive(ctx context.Context, actor coaching.Actor, id coaching.CaseID, basedOn int64) (Version, error) {
	return s.transition(ctx, actor, id, basedOn, ActionArchive, "hoks_archived", nil)
}

func (s *Service) transition(ctx context.Context, actor coaching.Actor, id coaching.CaseID, basedOn int64, action, event string, change func(*Plan)) (Version, error) {
	cur, err := s.Version(ctx, actor, id, basedOn)
	if err != nil {
		return Version{}, err
	}
	status, err := next(cur.Status, action)
	if err != nil {
		return Version{}, err
	}
	p := cur.Plan
	var advisories []coaching.FieldProblem
	if change != nil {
		change(p)
		if advisories, err = s.validate(p, false); err != nil {
			return Version{}, err
		}
	} else {
		advisories = Advisories(p)
	}
	var decisions []SurveyDecision
	if action == ActionReachCompetence {
		d, err := s.survey(ctx, actor, id, p, EndSurvey, p.CompetenceReached)
		if err != nil {
			return Version{}, err
		}
		decisions = append(decisions, d)
	}
	return s.save(ctx, actor, id, basedOn, coaching.OpApproveHOKS, status, p, event, decisions, advisories)
}

// validate checks p as eHOKS would and returns its advisories, or a
// *PlanError when it breaks eHOKS's rules.
func (s *Service) validate(p *Plan, draft bool) ([]coaching.FieldProblem, error) {
	r := Check(p, ValidateOptions{Today: s.today()})
	if draft && p.FirstApproved.IsZero() {
		// A draft has no first approval date yet; every other problem counts.
		kept := r.Problems[:0:0]
		for _, pr := range r.Problems {
			if pr.Field != "ensikertainen-hyvaksyminen" {
				kept = append(kept, pr)
			}
		}
		r.Problems = kept
	}
	if r.Valid() {
		return r.Advisories, nil
	}
	return nil, &PlanError{ValidationError: &coaching.ValidationError{Subject: "HOKS", Problems: r.Problems}, Advisories: r.Advisories}
}

// save stores p as the next version under op: the policy's change_hoks
// decides who drafts and changes the plan, approve_hoks who approves it
// and moves it through its lifecycle (the provider's staff, not every
// member of the support team).
func (s *Service) save(ctx context.Context, actor coaching.Actor, id coaching.CaseID, basedOn int64, op coaching.Operation, status Status, p *Plan, event string, decisions []SurveyDecision, advisories []coaching.FieldProblem) (Version, error) {
	data, err := Encode(p)
	if err != nil {
		return Version{}, err
	}
	var notices []coaching.Notice
	for _, d := range decisions {
		if d.Notice != nil {
			notices = append(notices, *d.Notice)
		}
	}
	if s.inForce != nil && status.inForce() {
		// The document's version will be basedOn+1: SaveFeatureDocument
		// refuses a change not based on the latest version.
		notices = append(notices, s.inForce(id, Version{Number: basedOn + 1, Status: status, At: s.eng.Clock().Now(), Plan: p})...)
	}
	var doc coaching.Document
	_, err = s.eng.ChangeCase(ctx, actor, op, id, func(ch *coaching.CaseChange) error {
		var err error
		// The plan's family is reserved (Documents): the service writes it
		// as its feature, the policy having allowed op above.
		doc, err = ch.SaveFeatureDocument(coaching.DocumentChange{Kind: DocumentKind, BasedOn: basedOn, Status: string(status),
			Data: json.RawMessage(data), Event: event, Notices: notices})
		return err
	})
	if err != nil {
		return Version{}, err
	}
	return Version{Number: doc.Version, Status: status, At: doc.At, By: doc.By, Plan: p, Surveys: decisions, Advisories: advisories}, nil
}
