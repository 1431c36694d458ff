// Package referral refers a case's student to a service — the curator,
// the psychologist, the employment office, outreach youth work — and
// follows the referral through its own small state machine (proposed →
// made → accepted → completed, or declined / not reached), with an overdue
// follow-up notice to whoever proposed it. The referral's reason is
// confidential student-welfare information: it is stored apart, shown only
// to the welfare roles on the student's team, and never reaches the audit
// trail or a notice.
//
// It is a feature built on the coaching kernel's extension points: its
// commands run in policy-scoped transactions ([coaching.Engine.Write],
// [coaching.Engine.Read]), a referral and its reason are case documents
// ("referral_<id>", and the welfare record "welfare_referral_<id>"), its
// state machine is a [coaching.Machine], and the host registers two things
// with the engine:
//
//	eng, err := coaching.New(store, &coaching.Options{
//		Models:        models,
//		Documents:     referral.Documents(),        // who may know of a referral
//		TimerHandlers: referral.TimerHandlers(nil), // the follow-ups
//	})
//
// [Documents] tells the kernel how a referral is guarded, so that its audit
// entries and its follow-up notice are shown only to those who may know
// of the referral itself (the need-to-know rule); without it the Service
// refuses to run. [TimerHandlers] sends the follow-ups; without them a
// follow-up timer is dropped as unhandled. Erasing a participant erases
// their referrals with every other case document: nothing of a referral
// lives outside them.
package referral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// ServiceKind is a service a student can be referred to.
type ServiceKind string

// Services.
const (
	ServiceCurator             ServiceKind = "curator"
	ServicePsychologist        ServiceKind = "psychologist"
	ServiceNurse               ServiceKind = "nurse"
	ServiceSpecialNeedsTeacher ServiceKind = "special_needs_teacher"
	ServiceStudyCounsellor     ServiceKind = "study_counsellor"
	ServiceEmploymentOffice    ServiceKind = "employment_office"   // TE-toimisto
	ServiceYouthWorkshop       ServiceKind = "youth_workshop"      // nuorten työpaja
	ServiceOutreachYouthWork   ServiceKind = "outreach_youth_work" // etsivä nuorisotyö
	ServiceOther               ServiceKind = "other"
)

// Services lists the services in order.
var Services = []ServiceKind{ServiceCurator, ServicePsychologist, ServiceNurse, ServiceSpecialNeedsTeacher, ServiceStudyCounsellor,
	ServiceEmploymentOffice, ServiceYouthWorkshop, ServiceOutreachYouthWork, ServiceOther}

// Status is where a referral is.
type Status string

// Referral statuses.
const (
	Proposed   Status = "proposed"
	Made       Status = "made"
	Accepted   Status = "accepted"
	Completed  Status = "completed"
	Declined   Status = "declined"
	NotReached Status = "not_reached"
)

// Referral events, for [Service.Advance].
const (
	Make      = "make"
	Accept    = "accept"
	Complete  = "complete"
	Decline   = "decline"
	Unreached = "not_reached"
)

// machine is the referral's own small state machine.
var machine = coaching.MustMachine(string(Proposed), []coaching.Edge{
	{Event: Make, From: []string{string(Proposed)}, To: string(Made)},
	{Event: Accept, From: []string{string(Made)}, To: string(Accepted)},
	{Event: Complete, From: []string{string(Accepted)}, To: string(Completed)},
	{Event: Decline, From: []string{string(Proposed), string(Made)}, To: string(Declined)},
	{Event: Unreached, From: []string{string(Made)}, To: string(NotReached)},
})

// Diagram renders the referral state machine as Mermaid.
func Diagram() string { return machine.Mermaid() }

// Referral is a referral of a case's student to a service. The Reason is
// confidential student-welfare information: it is stored apart from
// everything else, only welfare roles on the case's team see it
// ([Service.Get]), and it never reaches the audit trail or a notice.
type Referral struct {
	ID      string          `json:"id"`
	CaseID  coaching.CaseID `json:"case_id"`
	Service ServiceKind     `json:"service"`
	Status  Status          `json:"status"`
	// Reason is empty unless the reader may see it. It is stored apart,
	// as the welfare document welfare_referral_<id>.
	Reason string `json:"-"`
	// ExternalRef is an opaque reference to the service's own record.
	ExternalRef string `json:"external_ref,omitempty"`
	// SharedForTeaching: whoever proposed the referral judged that its
	// existence is information needed for arranging teaching (the
	// need-to-know exception of the Student Welfare Act), so the support
	// team's other staff see that it exists. The reason stays with the
	// welfare roles either way.
	SharedForTeaching bool `json:"shared_for_teaching,omitempty"`
	// FollowUpDays is how long after the referral is made its follow-up
	// is due; an overdue follow-up is a notice to whoever made it.
	FollowUpDays int       `json:"follow_up_days"`
	ProposedBy   string    `json:"proposed_by"`
	ProposedAt   time.Time `json:"proposed_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	// History lists the status changes: "made 2026-09-07 by tutor-1".
	History []string `json:"history"`
}

// prefix begins the document kind a referral is stored under; its reason
// is stored apart under reasonKind, a welfare record the policy reserves
// for student-welfare roles.
const prefix = "referral_"

func kind(id string) string { return prefix + id }

func reasonKind(id string) string { return "welfare_referral_" + id }

// note is the confidential part of a referral.
type note struct {
	Reason string `json:"reason"`
}

// TimerFollowUp is the timer kind of referral follow-ups.
const TimerFollowUp = "referral_follow_up"

// NoticeKindFollowUp is the notice kind of an overdue referral follow-up
// (fields case and service; its texts are in coaching.DefaultTexts).
const NoticeKindFollowUp = "referral_follow_up"

// Documents returns the document kinds of referrals, for
// coaching.Options.Documents: a referral ("referral_<id>") is welfare
// information kept by this package alone; whether an actor may know that
// it exists is the policy's read_referral rule, asked with whoever
// proposed it (Request.OwnRecord) and whether it was shared for teaching
// (Request.SharedForTeaching) — for the referral itself and for its audit
// entries and follow-up notices alike. Its reason is a welfare record of
// the kernel's ("welfare_referral_<id>", read_welfare).
func Documents() []coaching.DocumentKind {
	return []coaching.DocumentKind{{
		Prefix: prefix, Guard: coaching.OpReadReferral, Welfare: true, Reserved: true,
		Notices: []string{NoticeKindFollowUp}, Events: []string{"referral_"},
		Facts: func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, k string) (coaching.DocumentFacts, error) {
			_, r, err := read(ctx, tx, c.ID, strings.TrimPrefix(k, prefix))
			if err != nil {
				return coaching.DocumentFacts{}, err
			}
			return coaching.DocumentFacts{By: r.ProposedBy, SharedForTeaching: r.SharedForTeaching}, nil
		},
	}}
}

// Input proposes a referral.
type Input struct {
	Service      ServiceKind
	Reason       string
	ExternalRef  string
	FollowUpDays int // defaults to 14
	// SharedForTeaching lets the team's other staff see that the referral
	// exists (see [Referral.SharedForTeaching]).
	SharedForTeaching bool
}

// Service proposes, advances and shows referrals over an engine.
type Service struct {
	eng *coaching.Engine
}

// New returns the referrals of eng (a bound engine, coaching.Engine.In,
// runs them in the host's transaction). The engine must have been given
// [Documents] (and, to send the follow-ups, [TimerHandlers]); without the
// documents every call fails before anything is written or shown.
func New(eng *coaching.Engine) (*Service, error) {
	if eng == nil {
		return nil, errors.New("referral: New: engine is nil")
	}
	return &Service{eng: eng}, nil
}

// validate checks a proposal before anything is stored, reporting every
// problem at once; it fills in the default follow-up days.
func validate(in *Input) error {
	var pr []coaching.FieldProblem
	add := func(field, format string, args ...any) {
		pr = append(pr, coaching.FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !slices.Contains(Services, in.Service) {
		add("service", "unknown service %q", in.Service)
	}
	if strings.TrimSpace(in.Reason) == "" {
		add("reason", "required")
	}
	pr = append(pr, coaching.TextProblems("reason", in.Reason, 4000, true)...)
	pr = append(pr, coaching.TextProblems("external_ref", in.ExternalRef, 200, false)...)
	if in.FollowUpDays == 0 {
		in.FollowUpDays = 14
	}
	if in.FollowUpDays < 1 || in.FollowUpDays > 365 {
		add("follow_up_days", "must be 1–365")
	}
	if len(pr) > 0 {
		return &coaching.ValidationError{Subject: "referral", Problems: pr}
	}
	return nil
}

// Propose records a proposed referral of the case's student. Staff on the
// case's team may propose one (the policy's change_case rule); the
// proposer need not be a welfare role, and gets the referral back without
// its reason unless they may read welfare records.
func (s *Service) Propose(ctx context.Context, actor coaching.Actor, id coaching.CaseID, in Input) (Referral, error) {
	if err := validate(&in); err != nil {
		return Referral{}, err
	}
	text, err := json.Marshal(note{Reason: in.Reason})
	if err != nil {
		return Referral{}, err
	}
	// The referral and its reason are stored in one transaction: a
	// referral never exists without its reason, nor a reason without it.
	return s.run(ctx, actor, true, id, func(sc *coaching.Scope) (Referral, error) {
		refID := coaching.DocumentID(sc.NewID())
		if refID == "" {
			return Referral{}, errors.New("referral: the id generator gave no usable referral id (letters and digits)")
		}
		now := sc.Now()
		r := Referral{ID: refID, CaseID: id, Service: in.Service, Status: Proposed, ExternalRef: in.ExternalRef,
			FollowUpDays: in.FollowUpDays, SharedForTeaching: in.SharedForTeaching, ProposedBy: actor.ID, ProposedAt: now, UpdatedAt: now,
			History: []string{"proposed " + coaching.DateOf(now).String() + " by " + actor.ID}}
		if err := save(sc, r, 0, "referral_proposed", nil); err != nil {
			return Referral{}, err
		}
		_, err := sc.SaveDocument(id, coaching.DocumentChange{Kind: reasonKind(r.ID), Status: "confidential", Data: text,
			Event: "referral_reason_recorded"})
		return r, err
	})
}

// run runs fn in a write scope (or a read scope) for actor and returns the
// referral fn stored or read, as the actor may see it ([visible]).
func (s *Service) run(ctx context.Context, actor coaching.Actor, write bool, id coaching.CaseID, fn func(sc *coaching.Scope) (Referral, error)) (Referral, error) {
	scope := s.eng.Read
	if write {
		scope = s.eng.Write
	}
	var out Referral
	err := scope(ctx, actor, func(sc *coaching.Scope) error {
		r, err := fn(sc)
		if err != nil {
			return err
		}
		out, err = visible(ctx, sc, id, r)
		return err
	})
	if err != nil {
		return Referral{}, err
	}
	return out, nil
}

// Advance moves a referral through its states: make, accept, complete,
// decline, not_reached. Making it sets the follow-up timer. An event the
// state does not allow is a *coaching.TransitionError listing those it
// does.
func (s *Service) Advance(ctx context.Context, actor coaching.Actor, id coaching.CaseID, referralID, event string) (Referral, error) {
	return s.run(ctx, actor, true, id, func(sc *coaching.Scope) (Referral, error) {
		doc, r, err := read(ctx, sc.ReadTx(), id, referralID)
		if err != nil {
			return Referral{}, err
		}
		to, err := machine.Fire(ctx, string(r.Status), event, nil)
		if err != nil {
			return Referral{}, err
		}
		now := sc.Now()
		r.Status = Status(to)
		r.UpdatedAt = now
		r.History = append(r.History, string(r.Status)+" "+coaching.DateOf(now).String()+" by "+actor.ID)
		var timers []coaching.Timer
		if event == Make {
			timers = append(timers, coaching.Timer{Key: TimerFollowUp + ":" + string(id) + ":" + r.ID, CaseID: id, Kind: TimerFollowUp,
				DueAt: now.In(coaching.Helsinki).AddDate(0, 0, r.FollowUpDays)})
		}
		return r, save(sc, r, doc.Version, "referral_"+string(r.Status), timers)
	})
}

// Get returns a referral as the actor may see it. Who may know that it
// exists is the policy's read_referral rule (the default: welfare roles on
// the team always, the team's other staff and the head of studies only
// when it was shared for teaching or they proposed it, the student); the
// reason is filled in only when the policy's read_welfare rule allows it
// (the default: a curator, psychologist or nurse on the student's team),
// and that read is written to the access log.
func (s *Service) Get(ctx context.Context, actor coaching.Actor, id coaching.CaseID, referralID string) (Referral, error) {
	return s.run(ctx, actor, false, id, func(sc *coaching.Scope) (Referral, error) {
		_, r, err := read(ctx, sc.ReadTx(), id, referralID)
		return r, err
	})
}

// visible checks that the scope's actor may know of the referral — the
// question its audit entries and notices are shown by — and fills in the
// reason when they may read welfare records, logging that read.
func visible(ctx context.Context, sc *coaching.Scope, id coaching.CaseID, r Referral) (Referral, error) {
	c, err := sc.Guard(id, kind(r.ID))
	if err != nil {
		return Referral{}, err
	}
	r.Reason = ""
	ok, err := sc.Reveal(coaching.OpReadWelfare, c, "referral "+r.ID)
	if err != nil || !ok {
		// A refusal is not a denial of what was asked (the referral):
		// the reason is simply not shown.
		return r, err
	}
	doc, err := sc.ReadTx().Document(ctx, id, reasonKind(r.ID), 0)
	if err != nil {
		return Referral{}, err
	}
	var n note
	if err := json.Unmarshal(doc.Data, &n); err != nil {
		return Referral{}, fmt.Errorf("referral: stored reason %s does not decode: %w", r.ID, err)
	}
	r.Reason = n.Reason
	return r, nil
}

// read reads a referral (without its reason) through tx.
func read(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, referralID string) (coaching.Document, Referral, error) {
	return coaching.ReadDocumentJSON[Referral](ctx, tx, id, prefix, referralID, "referral")
}

// save stores the referral as a new version of its case document. The
// audit entry names the service and the status, never the reason.
func save(sc *coaching.Scope, r Referral, basedOn int64, event string, timers []coaching.Timer) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = sc.SaveDocument(r.CaseID, coaching.DocumentChange{Kind: kind(r.ID), BasedOn: basedOn, Status: string(r.Status),
		Data: data, Event: event, Reason: "referral to " + string(r.Service), Timers: timers})
	return err
}

// FollowUpOptions configure [TimerHandlers].
type FollowUpOptions struct {
	// Texts word the follow-up notices (kind [NoticeKindFollowUp]: fields
	// case and service). Defaults to coaching.DefaultTexts; pass the
	// engine's (coaching.Options.Texts) to use the host's wording.
	Texts *coaching.Texts
}

// TimerHandlers returns the engine timer handler of overdue referral
// follow-ups, for coaching.Options.TimerHandlers: whoever proposed the
// referral is told to follow it up, if it is still made (not yet
// accepted, declined or unreached). The notice names the case and the
// service, never the reason, and concerns the referral's document, so it
// is shown only to those who may know of the referral.
func TimerHandlers(opts *FollowUpOptions) map[string]coaching.TimerHandler {
	texts := coaching.DefaultTexts()
	if opts != nil && opts.Texts != nil {
		texts = opts.Texts
	}
	return map[string]coaching.TimerHandler{TimerFollowUp: coaching.TimerHandlerFunc(
		func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, t coaching.Timer, now time.Time) (coaching.TimerResult, error) {
			refID := t.Key[strings.LastIndexByte(t.Key, ':')+1:]
			_, r, err := read(ctx, tx, c.ID, refID)
			if errors.Is(err, coaching.ErrNotFound) {
				return coaching.TimerResult{}, nil
			}
			if err != nil {
				return coaching.TimerResult{}, err
			}
			if r.Status != Made {
				return coaching.TimerResult{}, nil
			}
			var res coaching.TimerResult
			for _, m := range c.Team {
				if m.ActorID != r.ProposedBy {
					continue
				}
				to := m.Recipient()
				subject, body, err := texts.Render(NoticeKindFollowUp, to.Language, map[string]string{"case": string(c.ID), "service": string(r.Service)})
				if err != nil {
					return coaching.TimerResult{}, fmt.Errorf("referral: the follow-up notice's text: %w", err)
				}
				res.Notices = append(res.Notices, coaching.Notice{ID: t.Key + ":" + m.ActorID, CaseID: c.ID, Kind: NoticeKindFollowUp,
					Recipient: to,
					Subject:   subject, Body: body,
					Data: map[string]string{"case_id": string(c.ID), "service": string(r.Service),
						coaching.NoticeDataDocument: kind(r.ID)},
					CreatedAt: now, NotBefore: now, Status: coaching.NoticePending})
				break
			}
			res.Audit, res.Document = "referral_follow_up_due", kind(r.ID)
			return res, nil
		})}
}
