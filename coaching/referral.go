package coaching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Service is a service a student can be referred to.
type Service string

// Services.
const (
	ServiceCurator             Service = "curator"
	ServicePsychologist        Service = "psychologist"
	ServiceNurse               Service = "nurse"
	ServiceSpecialNeedsTeacher Service = "special_needs_teacher"
	ServiceStudyCounsellor     Service = "study_counsellor"
	ServiceEmploymentOffice    Service = "employment_office"   // TE-toimisto
	ServiceYouthWorkshop       Service = "youth_workshop"      // nuorten työpaja
	ServiceOutreachYouthWork   Service = "outreach_youth_work" // etsivä nuorisotyö
	ServiceOther               Service = "other"
)

// Services lists the services in order.
var Services = []Service{ServiceCurator, ServicePsychologist, ServiceNurse, ServiceSpecialNeedsTeacher, ServiceStudyCounsellor,
	ServiceEmploymentOffice, ServiceYouthWorkshop, ServiceOutreachYouthWork, ServiceOther}

// ReferralStatus is where a referral is.
type ReferralStatus string

// Referral statuses.
const (
	ReferralProposed   ReferralStatus = "proposed"
	ReferralMade       ReferralStatus = "made"
	ReferralAccepted   ReferralStatus = "accepted"
	ReferralCompleted  ReferralStatus = "completed"
	ReferralDeclined   ReferralStatus = "declined"
	ReferralNotReached ReferralStatus = "not_reached"
)

// Referral events.
const (
	ReferralMake      = "make"
	ReferralAccept    = "accept"
	ReferralComplete  = "complete"
	ReferralDecline   = "decline"
	ReferralUnreached = "not_reached"
)

// referralMachine is the referral's own small state machine.
var referralMachine = MustMachine(string(ReferralProposed), []Edge{
	{Event: ReferralMake, From: []string{string(ReferralProposed)}, To: string(ReferralMade)},
	{Event: ReferralAccept, From: []string{string(ReferralMade)}, To: string(ReferralAccepted)},
	{Event: ReferralComplete, From: []string{string(ReferralAccepted)}, To: string(ReferralCompleted)},
	{Event: ReferralDecline, From: []string{string(ReferralProposed), string(ReferralMade)}, To: string(ReferralDeclined)},
	{Event: ReferralUnreached, From: []string{string(ReferralMade)}, To: string(ReferralNotReached)},
})

// ReferralDiagram renders the referral state machine as Mermaid.
func ReferralDiagram() string { return referralMachine.Mermaid() }

// Referral is a referral of a case's student to a service. The Reason is
// confidential student-welfare information: it is stored apart from
// everything else, only welfare roles on the case's team see it
// ([Engine.Referral]), and it never reaches the audit trail or a notice.
type Referral struct {
	ID      string         `json:"id"`
	CaseID  CaseID         `json:"case_id"`
	Service Service        `json:"service"`
	Status  ReferralStatus `json:"status"`
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

// referralKind is the document kind a referral is stored under; its
// reason is stored apart under welfareKind, a kind the access policy
// reserves for student-welfare roles.
func referralKind(id string) string { return "referral_" + id }

func welfareKind(id string) string { return "welfare_referral_" + id }

// welfareNote is the confidential part of a referral.
type welfareNote struct {
	Reason string `json:"reason"`
}

// TimerReferralFollowUp is the timer kind of referral follow-ups.
const TimerReferralFollowUp = "referral_follow_up"

// NoticeKindReferralFollowUp is the notice kind of an overdue referral
// follow-up.
const NoticeKindReferralFollowUp = "referral_follow_up"

// ReferralInput proposes a referral.
type ReferralInput struct {
	Service      Service
	Reason       string
	ExternalRef  string
	FollowUpDays int // defaults to 14
	// SharedForTeaching lets the team's other staff see that the referral
	// exists (see [Referral.SharedForTeaching]).
	SharedForTeaching bool
}

// ProposeReferral records a proposed referral of the case's student. Staff
// on the case's team may propose one.
func (e *Engine) ProposeReferral(ctx context.Context, actor Actor, id CaseID, in ReferralInput) (Referral, error) {
	pr := problems{subject: "referral"}
	if !slices.Contains(Services, in.Service) {
		pr.add("service", "unknown service %q", in.Service)
	}
	if strings.TrimSpace(in.Reason) == "" {
		pr.add("reason", "required")
	}
	checkMultiline(&pr, "reason", in.Reason, 4000)
	checkText(&pr, "external_ref", in.ExternalRef, 200)
	if in.FollowUpDays == 0 {
		in.FollowUpDays = 14
	}
	if in.FollowUpDays < 1 || in.FollowUpDays > 365 {
		pr.add("follow_up_days", "must be 1–365")
	}
	if err := pr.err(); err != nil {
		return Referral{}, err
	}
	now := e.clock.Now()
	r := Referral{ID: e.newID(), CaseID: id, Service: in.Service, Status: ReferralProposed, Reason: in.Reason, ExternalRef: in.ExternalRef,
		FollowUpDays: in.FollowUpDays, SharedForTeaching: in.SharedForTeaching, ProposedBy: actor.ID, ProposedAt: now, UpdatedAt: now,
		History: []string{"proposed " + DateOf(now).String() + " by " + actor.ID}}
	r.ID = strings.ToLower(strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' {
			return c
		}
		return -1
	}, r.ID))
	if len(r.ID) > 32 {
		r.ID = r.ID[:32]
	}
	if r.ID == "" {
		return Referral{}, errors.New("valmennus: the id generator gave no usable referral id (letters and digits)")
	}
	note, err := json.Marshal(welfareNote{Reason: in.Reason})
	if err != nil {
		return Referral{}, err
	}
	// The referral and its reason are stored in one transaction: a
	// referral never exists without its reason, nor a reason without it.
	var out Referral
	err = e.update(ctx, func(tx Tx) error {
		if err := e.saveReferral(ctx, tx, actor, r, 0, "referral_proposed", nil); err != nil {
			return err
		}
		if _, err := e.saveDocument(ctx, inTx(ctx, tx), actor, id, DocumentChange{Kind: welfareKind(r.ID), Status: "confidential", Data: note,
			Event: "referral_reason_recorded"}, true); err != nil {
			return err
		}
		out, err = e.visibleReferral(ctx, tx, actor, r)
		return err
	})
	return out, err
}

// AdvanceReferral moves a referral through its states: make, accept,
// complete, decline, not_reached. Making it sets the follow-up timer.
func (e *Engine) AdvanceReferral(ctx context.Context, actor Actor, id CaseID, referralID, event string) (Referral, error) {
	var out Referral
	err := e.update(ctx, func(tx Tx) error {
		doc, r, err := readReferral(ctx, tx, id, referralID)
		if err != nil {
			return err
		}
		to, err := referralMachine.Fire(ctx, string(r.Status), event, nil)
		if err != nil {
			return err
		}
		now := e.clock.Now()
		r.Status = ReferralStatus(to)
		r.UpdatedAt = now
		r.History = append(r.History, string(r.Status)+" "+DateOf(now).String()+" by "+actor.ID)
		var timers []Timer
		if event == ReferralMake {
			timers = append(timers, Timer{Key: TimerReferralFollowUp + ":" + string(id) + ":" + r.ID, CaseID: id, Kind: TimerReferralFollowUp,
				DueAt: now.In(Helsinki).AddDate(0, 0, r.FollowUpDays)})
		}
		if err := e.saveReferral(ctx, tx, actor, r, doc.Version, "referral_"+string(r.Status), timers); err != nil {
			return err
		}
		out, err = e.visibleReferral(ctx, tx, actor, r)
		return err
	})
	return out, err
}

// Referral returns a referral as the actor may see it. Who may see that it
// exists is the policy's read_referral rule (the default: welfare roles on
// the team always, the team's other staff and the head of studies only when
// it was shared for teaching, the student); the reason is filled in only when
// the policy's read_welfare rule allows it (the default: a curator,
// psychologist or nurse on the student's team), and that read is written
// to the access log.
func (e *Engine) Referral(ctx context.Context, actor Actor, id CaseID, referralID string) (Referral, error) {
	var out Referral
	err := e.update(ctx, func(tx Tx) error {
		_, r, err := readReferral(ctx, tx, id, referralID)
		if err != nil {
			return err
		}
		out, err = e.visibleReferral(ctx, tx, actor, r)
		return err
	})
	return out, err
}

// visibleReferral checks that actor may see the referral and fills in the
// reason when they may read welfare records, logging that read in tx.
func (e *Engine) visibleReferral(ctx context.Context, tx Tx, actor Actor, r Referral) (Referral, error) {
	c, err := tx.Case(ctx, r.CaseID)
	if err != nil {
		return Referral{}, err
	}
	shared := func(req *Request) {
		req.SharedForTeaching, req.OwnRecord = r.SharedForTeaching, r.ProposedBy == actor.ID
	}
	if _, _, err := e.authorize(ctx, tx, actor, OpReadReferral, &c, "", "", shared); err != nil {
		return Referral{}, err
	}
	r.Reason = ""
	req, d, err := e.authorize(ctx, tx, actor, OpReadWelfare, &c, "", "", nil)
	if err != nil {
		// Not a denial of what was asked (the referral): the reason is
		// simply not shown.
		return r, nil
	}
	if err := tx.AppendAccess(ctx, e.accessEntry(req, d, "referral "+r.ID)); err != nil {
		return Referral{}, err
	}
	doc, err := tx.Document(ctx, r.CaseID, welfareKind(r.ID), 0)
	if err != nil {
		return Referral{}, err
	}
	var note welfareNote
	if err := json.Unmarshal(doc.Data, &note); err != nil {
		return Referral{}, fmt.Errorf("valmennus: stored referral reason %s does not decode: %w", r.ID, err)
	}
	r.Reason = note.Reason
	return r, nil
}

// readReferral reads a referral (without its reason) through tx.
func readReferral(ctx context.Context, tx ReadTx, id CaseID, referralID string) (Document, Referral, error) {
	if !validName("referral_" + referralID) {
		return Document{}, Referral{}, &NotFoundError{Kind: "referral", ID: referralID}
	}
	doc, err := tx.Document(ctx, id, referralKind(referralID), 0)
	if errors.Is(err, ErrNotFound) {
		return Document{}, Referral{}, &NotFoundError{Kind: "referral", ID: referralID}
	}
	if err != nil {
		return Document{}, Referral{}, err
	}
	var r Referral
	if err := json.Unmarshal(doc.Data, &r); err != nil {
		return Document{}, Referral{}, fmt.Errorf("valmennus: stored referral %s does not decode: %w", referralID, err)
	}
	return doc, r, nil
}

// saveReferral stores the referral as a new version of its case document.
// The audit entry names the service and the status, never the reason.
func (e *Engine) saveReferral(ctx context.Context, tx Tx, actor Actor, r Referral, basedOn int64, event string, timers []Timer) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = e.saveDocument(ctx, inTx(ctx, tx), actor, r.CaseID, DocumentChange{Kind: referralKind(r.ID), BasedOn: basedOn, Status: string(r.Status),
		Data: data, Event: event, Reason: "referral to " + string(r.Service), Timers: timers}, true)
	return err
}

// referralFollowUp is the engine's handler of overdue referral follow-ups:
// whoever proposed the referral is told to follow it up, if it is still
// made (not yet accepted, declined or unreached). The notice names the
// service, never the reason.
func (e *Engine) referralFollowUp(ctx context.Context, tx ReadTx, c Case, t Timer, now time.Time) (TimerResult, error) {
	refID := t.Key[strings.LastIndexByte(t.Key, ':')+1:]
	_, r, err := readReferral(ctx, tx, c.ID, refID)
	if err != nil {
		if isNotFound(err) {
			return TimerResult{}, nil
		}
		return TimerResult{}, err
	}
	if r.Status != ReferralMade {
		return TimerResult{}, nil
	}
	var res TimerResult
	for _, tm := range c.Team {
		if tm.ActorID != r.ProposedBy {
			continue
		}
		rc := recipientOf(tm)
		subject, body := referralText(rc.Language, c.ID, r.Service)
		res.Notices = append(res.Notices, Notice{ID: t.Key + ":" + tm.ActorID, CaseID: c.ID, Kind: NoticeKindReferralFollowUp,
			Recipient: rc, Subject: subject, Body: body,
			Data:      map[string]string{"case_id": string(c.ID), "service": string(r.Service), NoticeDataDocument: referralKind(r.ID)},
			CreatedAt: now, NotBefore: now, Status: NoticePending})
		break
	}
	res.Audit, res.Document = "referral_follow_up_due", referralKind(r.ID)
	return res, nil
}

func referralText(l Language, id CaseID, s Service) (subject, body string) {
	switch l {
	case Swedish:
		return fmt.Sprintf("Följ upp hänvisningen (ärende %s)", id), fmt.Sprintf("Hänvisningen i ärendet %s till tjänsten %s har ännu inte tagits emot: följ upp den.", id, s)
	case English:
		return fmt.Sprintf("Follow up the referral (case %s)", id), fmt.Sprintf("The referral of case %s to %s has not been accepted yet: follow it up.", id, s)
	default:
		return fmt.Sprintf("Seuraa ohjausta palveluun (asia %s)", id), fmt.Sprintf("Asian %s ohjausta palveluun %s ei ole vielä otettu vastaan: seuraa sitä.", id, s)
	}
}
