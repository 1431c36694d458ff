package workplace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// Status is where a workplace period is.
type Status string

// Statuses of a workplace period.
const (
	// Drafted: the agreement (koulutussopimus or oppisopimus) is being
	// drawn up for a period of the HOKS in force.
	Drafted Status = "drafted"
	// Signed: the agreement is signed; the workplace instructor is on the
	// case's team and the notices before the start and the end are set.
	Signed Status = "signed"
	// Running: the student is learning at the workplace.
	Running Status = "running"
	// Interrupted: the period is interrupted (keskeytymisajanjakso).
	Interrupted Status = "interrupted"
	// Ended: the period has ended; the TEP survey was decided.
	Ended Status = "ended"
	// Cancelled: the agreement was cancelled before the period ended; no
	// TEP survey.
	Cancelled Status = "cancelled"
)

// Events of the workplace period's state machine.
const (
	EventSign      = "sign"
	EventStart     = "start"
	EventInterrupt = "interrupt"
	EventResume    = "resume"
	EventEnd       = "end"
	EventCancel    = "cancel"
)

// machine is the workplace period's state machine.
var machine = coaching.MustMachine(string(Drafted), []coaching.Edge{
	{Event: EventSign, From: []string{string(Drafted)}, To: string(Signed)},
	{Event: EventStart, From: []string{string(Signed)}, To: string(Running)},
	{Event: EventInterrupt, From: []string{string(Running)}, To: string(Interrupted)},
	{Event: EventResume, From: []string{string(Interrupted)}, To: string(Running)},
	{Event: EventEnd, From: []string{string(Running), string(Interrupted)}, To: string(Ended)},
	{Event: EventCancel, From: []string{string(Drafted), string(Signed), string(Running), string(Interrupted)}, To: string(Cancelled)},
})

// Diagram renders the workplace period's state machine as Mermaid.
func Diagram() string { return machine.Mermaid() }

// Interruption is a span of days the period was interrupted; a zero End
// is open-ended (the period is interrupted still). No reason is kept: why
// a student was away from the workplace may be health information.
type Interruption struct {
	Start coaching.Date `json:"start"`
	End   coaching.Date `json:"end,omitzero"`
}

// covers reports whether the interruption covers day d.
func (i Interruption) covers(d coaching.Date) bool {
	return !i.Start.After(d) && (i.End.IsZero() || !i.End.Before(d))
}

// Facts are what a period's HOKS entry (an osaamisen hankkimistapa of the
// plan in force) says, as read by the last command on the period.
type Facts struct {
	// HOKSVersion is the number of the in-force HOKS version read.
	HOKSVersion int64 `json:"hoks_version"`
	// EHOKSID is the plan's eHOKS id ("id"), when the plan carries one.
	EHOKSID *int64 `json:"ehoks_id,omitempty"`
	// Path locates the period in the plan, in the hoks package's path
	// syntax ("hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1]").
	Path string `json:"path"`
	// Method is osaamisen-hankkimistapa-koodi-uri (hoks.MethodTrainingAgreement
	// or hoks.MethodApprenticeship).
	Method string        `json:"method"`
	Start  coaching.Date `json:"start"`
	End    coaching.Date `json:"end"`
	// PartTimePercent is osa-aikaisuustieto, nil when the plan has none.
	PartTimePercent *int   `json:"part_time_percent,omitempty"`
	WorkplaceName   string `json:"workplace_name,omitempty"`
	BusinessID      string `json:"business_id,omitempty"` // Y-tunnus
	InstructorName  string `json:"instructor_name,omitempty"`
	InstructorEmail string `json:"instructor_email,omitempty"`
	InstructorPhone string `json:"instructor_phone,omitempty"`
	// Interruptions are the plan's keskeytymisajanjaksot of the period.
	Interruptions []Interruption `json:"interruptions,omitempty"`
}

// Period is one workplace period of a case's HOKS followed as a process.
// It is keyed by the period's yksiloiva-tunniste (PeriodID), which stays
// the same across the plan's versions and in eHOKS.
type Period struct {
	CaseID   coaching.CaseID `json:"case_id"`
	PeriodID string          `json:"period_id"`
	Status   Status          `json:"status"`
	// Plan is what the HOKS in force said when last read (by every
	// command but Cancel; a period the plan no longer has keeps the
	// facts read before).
	Plan Facts `json:"plan"`
	// Instructor is the workplace instructor put on the case's team when
	// the agreement was signed.
	Instructor *coaching.TeamMember `json:"instructor,omitempty"`
	SignedOn   coaching.Date        `json:"signed_on,omitzero"`
	SignedBy   string               `json:"signed_by,omitempty"`
	StartedOn  coaching.Date        `json:"started_on,omitzero"`
	EndedOn    coaching.Date        `json:"ended_on,omitzero"`
	// Interruptions are those recorded here, oldest first.
	Interruptions []Interruption `json:"interruptions,omitempty"`
	// TEP is the decision on the workplace-instructor feedback survey,
	// made when the period ended.
	TEP       *TEPDecision `json:"tep,omitempty"`
	DraftedBy string       `json:"drafted_by"`
	UpdatedAt time.Time    `json:"updated_at"`
	// History lists the status changes: "signed 2026-10-05 by tutor-1".
	History []string `json:"history"`
}

// PlanProposals returns the interruptions recorded here that the HOKS
// (as last read) does not list among the period's keskeytymisajanjaksot:
// what the staff should carry to the plan in its next version (the plan
// is never written by this package: a HOKS change is approved by the
// plan's own process, hoks.Service).
func (p Period) PlanProposals() []hoks.Interruption {
	var out []hoks.Interruption
	for _, i := range p.Interruptions {
		if slices.Contains(p.Plan.Interruptions, i) {
			continue
		}
		out = append(out, hoks.Interruption{Start: i.Start, End: i.End})
	}
	return out
}

// PlanEndProposal returns the day the ended period ended when the HOKS
// (as read at the end) gives the period another last day (its loppu): the
// TEP survey is dated from the recorded end, eHOKS's from the plan's
// loppu, so the staff should carry the end into the plan's next version
// (approved by hoks.Service) for the two to agree. ok is false while the
// period has not ended, or when it ended on the plan's last day.
func (p Period) PlanEndProposal() (end coaching.Date, ok bool) {
	if p.EndedOn.IsZero() || p.EndedOn == p.Plan.End {
		return coaching.Date{}, false
	}
	return p.EndedOn, true
}

// prefix begins the document kind of a workplace period.
const prefix = "workplace_"

// key is the document kind of period id: a yksiloiva-tunniste is the
// source system's free text ("jakso-1", a 30-digit number), so the kind
// carries a hash of it; the id itself is in the document.
func key(periodID string) string {
	sum := sha256.Sum256([]byte(periodID))
	return prefix + hex.EncodeToString(sum[:10])
}

// Documents returns the document family of workplace periods, for
// coaching.Options.Documents: a period ("workplace_<hash>") is written
// only by this package (reserved) and known to whoever may read the case's
// HOKS (the policy's read_hoks: the support team, the workplace
// instructor on it, the head of studies, the student) — for the period
// itself, its audit entries and its notices alike.
func Documents() []coaching.DocumentKind {
	return []coaching.DocumentKind{{
		Prefix: prefix, Guard: coaching.OpReadHOKS, Reserved: true,
		Notices: []string{NoticeKindStarting, NoticeKindEnding, NoticeKindTEP}, Events: []string{"workplace_"},
	}}
}

// Options configure a [Service] and [TimerHandlers].
type Options struct {
	// NoticeDaysBeforeStart is how many days before a signed period's
	// first day its starting notice is due (at 09:00 Helsinki time).
	// Defaults to 7.
	NoticeDaysBeforeStart int
	// NoticeDaysBeforeEnd is how many days before a running period's last
	// day its ending notice is due (at 09:00). Defaults to 7.
	NoticeDaysBeforeEnd int
	// Texts word the notices; defaults to coaching.DefaultTexts. Pass the
	// engine's (coaching.Options.Texts) for the host's wording.
	Texts *coaching.Texts
}

func (o *Options) withDefaults() (Options, error) {
	var out Options
	if o != nil {
		out = *o
	}
	if out.NoticeDaysBeforeStart == 0 {
		out.NoticeDaysBeforeStart = 7
	}
	if out.NoticeDaysBeforeEnd == 0 {
		out.NoticeDaysBeforeEnd = 7
	}
	if out.NoticeDaysBeforeStart < 1 || out.NoticeDaysBeforeStart > 90 || out.NoticeDaysBeforeEnd < 1 || out.NoticeDaysBeforeEnd > 90 {
		return Options{}, errors.New("workplace: the notice days before the start and the end must be 1–90")
	}
	if out.Texts == nil {
		out.Texts = coaching.DefaultTexts()
	}
	return out, nil
}

// Service follows the workplace periods of cases' HOKS over an engine. It
// is safe for concurrent use.
type Service struct {
	eng  *coaching.Engine
	opts Options
}

// New returns the workplace periods of eng. The engine must have been
// given [Documents] and hoks.Documents (and, to send the notices before
// the start and the end, [TimerHandlers] with the same options); without
// the documents New returns an error.
func New(eng *coaching.Engine, opts *Options) (*Service, error) {
	if eng == nil {
		return nil, errors.New("workplace: New: engine is nil")
	}
	if err := coaching.RequireDocuments(eng, key("x"), hoks.DocumentKind); err != nil {
		return nil, fmt.Errorf("workplace: New: %w (workplace.Documents(), hoks.Documents())", err)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Service{eng: eng, opts: o}, nil
}

// invalid is a validation error of a workplace command.
func invalid(field, format string, args ...any) error {
	return &coaching.ValidationError{Subject: "workplace period", Problems: []coaching.FieldProblem{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

// Draft starts following the workplace period periodID (its
// yksiloiva-tunniste) of the case's HOKS in force: the period must be a
// training agreement or an apprenticeship with both dates, and not
// followed already. The school's staff on the case's team or the head of
// studies may (the policy's change_hoks rule): not a workplace instructor,
// a student or a guardian. Another organisation's case is a
// *coaching.ForbiddenError whose NotFound is set: answer it as not found.
func (s *Service) Draft(ctx context.Context, actor coaching.Actor, id coaching.CaseID, periodID string) (Period, error) {
	if periodID == "" || len(periodID) > 200 {
		return Period{}, invalid("period_id", "required, at most 200 characters")
	}
	var out Period
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		if _, err := sc.Case(coaching.OpChangeHOKS, id); err != nil {
			return err
		}
		switch _, err := sc.ReadTx().Document(ctx, id, key(periodID), 0); {
		case err == nil:
			return invalid("period_id", "the period is followed already")
		case !isNotFound(err):
			return err
		}
		facts, err := planFacts(ctx, sc.ReadTx(), id, periodID)
		if err != nil {
			return err
		}
		now := sc.Now()
		p := Period{CaseID: id, PeriodID: periodID, Status: Drafted, Plan: facts, DraftedBy: actor.ID, UpdatedAt: now,
			History: []string{"drafted " + coaching.DateOf(now).String() + " by " + actor.ID}}
		out = p
		return save(sc, p, 0, "workplace_drafted", "workplace period drafted", nil, nil)
	})
	return out, err
}

// SignInput records a signed agreement.
type SignInput struct {
	// On is the day the agreement was signed: not after today, and not
	// after the period's first day (an agreement is made before the
	// period starts).
	On coaching.Date
	// Instructor is the workplace instructor as the host knows them: an
	// ActorID (their account, or a stable id the host gives them) is
	// required; the name, e-mail and phone default to the HOKS's
	// vastuullinen-tyopaikka-ohjaaja. The role is always
	// coaching.RoleWorkplaceInstructor.
	Instructor coaching.TeamMember
}

// Sign records the signed agreement: the workplace instructor joins the
// case's team (the engine's team change, audited as team_add:
// workplace_instructor) and the notices before the start and the end are
// set as timers, in one transaction. The plan is read again, so the
// agreement is on the HOKS in force at signing. Same rule as [Service.Draft].
func (s *Service) Sign(ctx context.Context, actor coaching.Actor, id coaching.CaseID, periodID string, in SignInput) (Period, error) {
	return s.advance(ctx, actor, id, periodID, EventSign, func(sc *coaching.Scope, p *Period) ([]coaching.Timer, error) {
		facts, err := planFacts(ctx, sc.ReadTx(), id, periodID)
		if err != nil {
			return nil, err
		}
		p.Plan = facts
		today := coaching.DateOf(sc.Now())
		switch {
		case !in.On.Valid():
			return nil, invalid("on", "required")
		case in.On.After(today):
			return nil, invalid("on", "must not be in the future")
		case in.On.After(facts.Start):
			return nil, invalid("on", "must not be after the period's first day %s", facts.Start)
		}
		m := in.Instructor
		m.Role = coaching.RoleWorkplaceInstructor
		if m.Name == "" {
			m.Name = facts.InstructorName
		}
		if m.Contact.Email == "" {
			m.Contact.Email = facts.InstructorEmail
		}
		if m.Contact.Phone == "" {
			m.Contact.Phone = facts.InstructorPhone
		}
		if !m.Language.Valid() {
			m.Language = coaching.Finnish
		}
		if m.ActorID == "" {
			return nil, invalid("instructor.actor_id", "required")
		}
		if _, err := sc.ChangeCase(coaching.OpChangeCase, id, func(ch *coaching.CaseChange) error {
			return ch.ChangeTeam(coaching.TeamChange{Add: &m, Reason: "workplace instructor of a signed workplace period"})
		}); err != nil {
			return nil, err
		}
		p.Instructor, p.SignedOn, p.SignedBy = &m, in.On, actor.ID
		p.Instructor, p.SignedOn, p.SignedBy = &m, in.On, actor.ID
		return []coaching.Timer{
			timer(TimerStarting, id, periodID, facts.Start, s.opts.NoticeDaysBeforeStart),
			timer(TimerEnding, id, periodID, facts.End, s.opts.NoticeDaysBeforeEnd),
		}, nil
	})
}

// refresh reads period p's entry in the plan in force into p.Plan (an
// approved HOKS update may have moved its dates since the last read; a
// period the plan no longer has keeps the facts last read) and, when its
// last day moved, returns the ending notice's timer set again for the new
// day (it replaces the one set at signing; the notice names its date, so
// one already sent for the old day does not stop the new one).
func (s *Service) refresh(sc *coaching.Scope, p *Period) ([]coaching.Timer, error) {
	facts, _, err := planInForce(sc.Context(), sc.ReadTx(), p.CaseID, *p)
	if err != nil {
		return nil, err
	}
	var timers []coaching.Timer
	if facts.End != p.Plan.End {
		timers = append(timers, timer(TimerEnding, p.CaseID, p.PeriodID, facts.End, s.opts.NoticeDaysBeforeEnd))
	}
	p.Plan = facts
	return timers, nil
}

// Start records that the period started on day on: within the dates of
// the period in the plan in force and not after today.
func (s *Service) Start(ctx context.Context, actor coaching.Actor, id coaching.CaseID, periodID string, on coaching.Date) (Period, error) {
	return s.advance(ctx, actor, id, periodID, EventStart, func(sc *coaching.Scope, p *Period) ([]coaching.Timer, error) {
		timers, err := s.refresh(sc, p)
		if err != nil {
			return nil, err
		}
		if err := checkDay(on, sc.Now(), p.Plan.Start, p.Plan.End); err != nil {
			return nil, err
		}
		p.StartedOn = on
		return timers, nil
	})
}

// Interrupt records that the running period is interrupted from day from
// (within the period as the plan in force has it, not before its start
// nor after today) until it is
// resumed. The interruption is kept here and offered for the HOKS's
// keskeytymisajanjaksot ([Period.PlanProposals]); the plan is not written.
func (s *Service) Interrupt(ctx context.Context, actor coaching.Actor, id coaching.CaseID, periodID string, from coaching.Date) (Period, error) {
	return s.advance(ctx, actor, id, periodID, EventInterrupt, func(sc *coaching.Scope, p *Period) ([]coaching.Timer, error) {
		timers, err := s.refresh(sc, p)
		if err != nil {
			return nil, err
		}
		if err := checkDay(from, sc.Now(), p.StartedOn, p.Plan.End); err != nil {
			return nil, err
		}
		if n := len(p.Interruptions); n > 0 && !from.After(p.Interruptions[n-1].End) {
			return nil, invalid("on", "must be after the previous interruption")
		}
		p.Interruptions = append(p.Interruptions, Interruption{Start: from})
		return timers, nil
	})
}

// Resume records that the interrupted period continues on day on (after
// the interruption's first day, not after the last day of the plan in
// force nor today): the interruption ends the day before.
func (s *Service) Resume(ctx context.Context, actor coaching.Actor, id coaching.CaseID, periodID string, on coaching.Date) (Period, error) {
	return s.advance(ctx, actor, id, periodID, EventResume, func(sc *coaching.Scope, p *Period) ([]coaching.Timer, error) {
		timers, err := s.refresh(sc, p)
		if err != nil {
			return nil, err
		}
		last := &p.Interruptions[len(p.Interruptions)-1]
		if err := checkDay(on, sc.Now(), last.Start.AddDays(1), p.Plan.End); err != nil {
			return nil, err
		}
		last.End = on.AddDays(-1)
		return timers, nil
	})
}

// End records that the period ended on day on (its last day: not before
// its start, not after the end date of the plan in force nor today) and decides the
// workplace-instructor feedback survey (TEP) as eHOKS does ([DecideTEP]):
// queued in the outbox with the change, or not, with the reason, in the
// period and its audit entry. The plan is read again: a period no longer
// in the HOKS in force gets no survey. A period ended while interrupted
// has its interruption run through the end.
func (s *Service) End(ctx context.Context, actor coaching.Actor, id coaching.CaseID, periodID string, on coaching.Date) (Period, error) {
	var notices []coaching.Notice
	p, err := s.advanceWith(ctx, actor, id, periodID, EventEnd, func(sc *coaching.Scope, p *Period) ([]coaching.Timer, error) {
		// The plan in force decides the last day allowed (an approved
		// update may have moved it) and the survey.
		facts, removed, err := planInForce(ctx, sc.ReadTx(), id, *p)
		if err != nil {
			return nil, err
		}
		if err := checkDay(on, sc.Now(), p.StartedOn, facts.End); err != nil {
			return nil, err
		}
		p.Plan, p.EndedOn = facts, on
		if n := len(p.Interruptions); p.Status == Interrupted && n > 0 {
			p.Interruptions[n-1].End = on
		}
		if removed {
			p.TEP = &TEPDecision{TriggerDate: on, Excluded: "the period is no longer in the HOKS in force"}
			return nil, nil
		}
		d, n := s.tep(*p, sc.Now())
		p.TEP = &d
		if n != nil {
			notices = append(notices, *n)
		}
		return nil, nil
	}, func() []coaching.Notice { return notices })
	return p, err
}

// Cancel records that the agreement was cancelled before the period
// ended: no survey follows, and the notices still due are not sent.
func (s *Service) Cancel(ctx context.Context, actor coaching.Actor, id coaching.CaseID, periodID string) (Period, error) {
	return s.advance(ctx, actor, id, periodID, EventCancel, func(*coaching.Scope, *Period) ([]coaching.Timer, error) { return nil, nil })
}

// Get returns the period as stored, to whoever may read the case's HOKS
// (the policy's read_hoks rule: the team, the workplace instructor on it,
// the head of studies, the student).
func (s *Service) Get(ctx context.Context, actor coaching.Actor, id coaching.CaseID, periodID string) (Period, error) {
	var out Period
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if _, err := sc.Guard(id, key(periodID)); err != nil {
			return err
		}
		_, p, err := read(ctx, sc.ReadTx(), id, periodID)
		out = p
		return err
	})
	return out, err
}

// checkDay checks a day a command records: valid, not after today, within
// [from, to].
func checkDay(d coaching.Date, now time.Time, from, to coaching.Date) error {
	switch {
	case !d.Valid():
		return invalid("on", "required")
	case d.After(coaching.DateOf(now)):
		return invalid("on", "must not be in the future")
	case d.Before(from):
		return invalid("on", "must not be before %s", from)
	case d.After(to):
		return invalid("on", "must not be after the period's last day %s", to)
	}
	return nil
}

// advance runs event on the period in a write scope: the policy's
// change_hoks rule is asked first, then the state machine, then change
// (which may refuse the command), and the period is saved as a new version
// of its document with the timers change returns.
func (s *Service) advance(ctx context.Context, actor coaching.Actor, id coaching.CaseID, periodID, event string,
	change func(sc *coaching.Scope, p *Period) ([]coaching.Timer, error)) (Period, error) {
	return s.advanceWith(ctx, actor, id, periodID, event, change, nil)
}

// advanceWith is advance with the notices notices returns (after change
// ran) enqueued with the period's new version.
func (s *Service) advanceWith(ctx context.Context, actor coaching.Actor, id coaching.CaseID, periodID, event string,
	change func(sc *coaching.Scope, p *Period) ([]coaching.Timer, error), notices func() []coaching.Notice) (Period, error) {
	var out Period
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		if _, err := sc.Case(coaching.OpChangeHOKS, id); err != nil {
			return err
		}
		doc, p, err := read(ctx, sc.ReadTx(), id, periodID)
		if err != nil {
			return err
		}
		to, err := machine.Fire(ctx, string(p.Status), event, nil)
		if err != nil {
			return err
		}
		timers, err := change(sc, &p)
		if err != nil {
			return err
		}
		now := sc.Now()
		p.Status, p.UpdatedAt = Status(to), now
		p.History = append(p.History, to+" "+coaching.DateOf(now).String()+" by "+actor.ID)
		reason := "workplace period " + to
		var ns []coaching.Notice
		if notices != nil {
			ns = notices()
		}
		if p.TEP != nil && event == EventEnd {
			if p.TEP.Excluded != "" {
				reason += "; TEP survey not queued: " + p.TEP.Excluded
			} else {
				reason += "; TEP survey queued"
			}
			if end, ok := p.PlanEndProposal(); ok {
				reason += "; ended " + end.String() + ", not on the HOKS's last day " + p.Plan.End.String() + ": the HOKS should be updated"
			}
		}
		out = p
		return save(sc, p, doc.Version, "workplace_"+to, reason, timers, ns)
	})
	return out, err
}

// read reads period periodID of case id through tx.
func read(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, periodID string) (coaching.Document, Period, error) {
	return readKind(ctx, tx, id, key(periodID), periodID)
}

// readKind reads the period stored as document kind of case id; a
// missing one is a *coaching.NotFoundError naming name.
func readKind(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, kind, name string) (coaching.Document, Period, error) {
	doc, err := tx.Document(ctx, id, kind, 0)
	if isNotFound(err) {
		return coaching.Document{}, Period{}, &coaching.NotFoundError{Kind: "workplace period", ID: name}
	}
	if err != nil {
		return coaching.Document{}, Period{}, err
	}
	var p Period
	if err := json.Unmarshal(doc.Data, &p); err != nil {
		return coaching.Document{}, Period{}, fmt.Errorf("workplace: stored period of case %s does not decode: %w", id, err)
	}
	return doc, p, nil
}

// save stores the period as a new version of its document, with its
// audit entry (event, reason: never personal data), timers and notices.
func save(sc *coaching.Scope, p Period, basedOn int64, event, reason string, timers []coaching.Timer, notices []coaching.Notice) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = sc.ChangeCase(coaching.OpChangeHOKS, p.CaseID, func(ch *coaching.CaseChange) error {
		_, err := ch.SaveFeatureDocument(coaching.DocumentChange{Kind: key(p.PeriodID), BasedOn: basedOn, Status: string(p.Status),
			Data: data, Event: event, Reason: reason, Timers: timers, Notices: notices})
		return err
	})
	return err
}

func isNotFound(err error) bool {
	var nf *coaching.NotFoundError
	return errors.Is(err, coaching.ErrNotFound) || errors.As(err, &nf)
}

// inForce are the HOKS statuses whose content was approved.
var inForce = []hoks.Status{hoks.StatusApproved, hoks.StatusInProgress, hoks.StatusCompetenceReached, hoks.StatusCompleted}

// planFacts reads period periodID from the case's HOKS in force. It reads
// the plan's versions from the latest back to the first in force (one or
// two reads: only the drafts of a pending update lie between), so its cost
// does not grow with the case's history.
func planFacts(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, periodID string) (Facts, error) {
	last, err := tx.Document(ctx, id, hoks.DocumentKind, 0)
	if isNotFound(err) {
		return Facts{}, &coaching.NotFoundError{Kind: "approved HOKS", ID: string(id)}
	}
	if err != nil {
		return Facts{}, err
	}
	doc := last
	for !slices.Contains(inForce, hoks.Status(doc.Status)) {
		if doc.Status == string(hoks.StatusArchived) || doc.Version <= 1 {
			return Facts{}, &coaching.NotFoundError{Kind: "approved HOKS", ID: string(id)}
		}
		if doc, err = tx.Document(ctx, id, hoks.DocumentKind, doc.Version-1); err != nil {
			return Facts{}, err
		}
	}
	plan, err := hoks.Decode(doc.Data, &hoks.DecodeOptions{KeepUnknown: true})
	if err != nil {
		return Facts{}, fmt.Errorf("workplace: HOKS version %d of case %s does not decode: %w", doc.Version, id, err)
	}
	m, path := findPeriod(plan, periodID)
	if m == nil {
		return Facts{}, &coaching.NotFoundError{Kind: "workplace period", ID: periodID}
	}
	if !m.IsWorkplacePeriod() {
		return Facts{}, invalid("period_id", "the period is not a training agreement or an apprenticeship")
	}
	f := Facts{HOKSVersion: doc.Version, EHOKSID: plan.ID, Path: path, Method: *m.MethodCodeURI, Start: m.Start, End: m.End,
		PartTimePercent: m.PartTimePercent}
	if f.Start.IsZero() || f.End.IsZero() {
		return Facts{}, invalid("period_id", "the period has no start or end date in the HOKS")
	}
	if w := m.Workplace; w != nil {
		f.WorkplaceName, f.BusinessID = deref(w.WorkplaceName), deref(w.BusinessID)
		if in := w.Instructor; in != nil {
			f.InstructorName, f.InstructorEmail, f.InstructorPhone = deref(in.Name), deref(in.Email), deref(in.Phone)
		}
	}
	for _, i := range m.Interruptions {
		f.Interruptions = append(f.Interruptions, Interruption{Start: i.Start, End: i.End})
	}
	return f, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// findPeriod finds the method with yksiloiva-tunniste id in the plan and
// its path.
func findPeriod(p *hoks.Plan, id string) (*hoks.AcquisitionMethod, string) {
	find := func(path string, ms []hoks.AcquisitionMethod) (*hoks.AcquisitionMethod, string) {
		for i := range ms {
			if ms[i].PeriodID != nil && *ms[i].PeriodID == id {
				return &ms[i], fmt.Sprintf("%s.osaamisen-hankkimistavat[%d]", path, i)
			}
		}
		return nil, ""
	}
	for i := range p.VocationalUnits {
		if m, path := find(fmt.Sprintf("hankittavat-ammat-tutkinnon-osat[%d]", i), p.VocationalUnits[i].Methods); m != nil {
			return m, path
		}
	}
	for i := range p.LocalUnits {
		if m, path := find(fmt.Sprintf("hankittavat-paikalliset-tutkinnon-osat[%d]", i), p.LocalUnits[i].Methods); m != nil {
			return m, path
		}
	}
	for i := range p.CommonUnits {
		for j := range p.CommonUnits[i].SubAreas {
			if m, path := find(fmt.Sprintf("hankittavat-yhteiset-tutkinnon-osat[%d].osa-alueet[%d]", i, j), p.CommonUnits[i].SubAreas[j].Methods); m != nil {
				return m, path
			}
		}
	}
	return nil, ""
}
