// Package contactchange lets a guardian or an adult student propose a
// change to their own contact details, for staff to approve or decline
// (the "data updater" of Gibbon): a guardian proposes the guardian's
// e-mail address and phone number as recorded on the student, the student
// their own. An approved change is written to the participant
// ([coaching.Participant.Contact] or the guardian's) with the date it was
// approved ([coaching.Participant.ContactChangedOn],
// [coaching.Guardian.ContactChangedOn]), so that a later re-import from
// the student information system does not silently overwrite the newer
// address (package sis keeps it and reports the conflict).
//
// A proposal has its own small state machine (a [coaching.Machine]):
//
//	submitted → approved | declined (with a reason) | withdrawn | lapsed
//
// A guardian's pending proposal lapses when, at the time it is decided,
// the guardian is no longer recorded on the student, or the student has
// turned 18 and has not consented to their guardians being informed
// ([coaching.Participant.GuardiansInformedOn]): it is neither approved
// nor declined, and the guardian is not told.
//
// An approval writes the fields the proposal gives (an empty one leaves
// the recorded value) dated the day it is approved, and only while
// the recorded details are still those the proposal was made against: a
// proposal overtaken by a newer change (another approval, a re-import) is
// a [StaleProposalError], for staff to decline. No one decides a proposal
// of their own or of their own family's ([RuleNotOwnDecision]). A new
// proposal replaces the same person's pending one, so each person has at
// most one open proposal of their details; [Service.Pending] lists the
// open ones.
//
// It is a feature built on the coaching kernel's extension points: a
// proposal is the reserved case document "contactchange_<id>" on the case
// it was proposed through, written under the policy's propose_change rule
// ([coaching.Scope.SaveDocumentAs]); a decision is a policy-scoped change
// of the participant under decide_request
// ([coaching.Engine.ChangeParticipant]) that stores the decision, the
// changed participant and an audit entry on each of the participant's
// cases in one transaction. The host registers the family:
//
//	eng, err := coaching.New(store, &coaching.Options{
//		Models:    models,
//		Documents: append(message.Documents(), contactchange.Documents()...),
//	})
//
// Audit entries name the proposal, whose details and its state — never
// the addresses themselves. A proposal's document is read only through
// [Service.Get] ([coaching.DocumentKind.Private]): the generic case read
// refuses it, so that the student does not read a guardian's new address.
package contactchange

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Status is where a proposal is.
type Status string

// Proposal statuses.
const (
	Submitted Status = "submitted"
	Approved  Status = "approved"
	Declined  Status = "declined"
	Withdrawn Status = "withdrawn"
	Lapsed    Status = "lapsed"
)

// The proposal's events.
const (
	eventApprove  = "approve"
	eventDecline  = "decline"
	eventWithdraw = "withdraw"
	eventLapse    = "lapse"
)

var machine = coaching.MustMachine(string(Submitted), []coaching.Edge{
	{Event: eventApprove, From: []string{string(Submitted)}, To: string(Approved)},
	{Event: eventDecline, From: []string{string(Submitted)}, To: string(Declined)},
	{Event: eventWithdraw, From: []string{string(Submitted)}, To: string(Withdrawn)},
	{Event: eventLapse, From: []string{string(Submitted)}, To: string(Lapsed)},
})

// Diagram renders the proposal's state machine as Mermaid.
func Diagram() string { return machine.Mermaid() }

// Whose says whose contact details a proposal changes.
type Whose string

// Whose details.
const (
	OfStudent  Whose = "student"
	OfGuardian Whose = "guardian"
)

// Proposal is a proposed change of contact details.
type Proposal struct {
	ID          string                 `json:"id"`
	CaseID      coaching.CaseID        `json:"case_id"`
	Participant coaching.ParticipantID `json:"participant"`
	Whose       Whose                  `json:"whose"`
	// GuardianID is the guardian whose details change (Whose guardian).
	GuardianID string `json:"guardian_id,omitempty"`
	// Contact are the proposed details. An empty field leaves the
	// recorded value as it is: an approval writes the fields given.
	Contact coaching.Contact `json:"contact"`
	// Recorded are the details recorded when the proposal was made: an
	// approval is refused ([StaleProposalError]) when they changed since.
	Recorded   coaching.Contact `json:"recorded"`
	Status     Status           `json:"status"`
	ProposedBy string           `json:"proposed_by"`
	ProposedAt time.Time        `json:"proposed_at"`
	// DecidedBy is the staff member who approved or declined it (empty
	// for a withdrawn or lapsed proposal).
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// Reason is why a proposal was declined.
	Reason string `json:"reason,omitempty"`
	// ReplacedBy is the proposal that replaced this one: a new proposal
	// of the same person's same details withdraws their pending one.
	ReplacedBy string `json:"replaced_by,omitempty"`
	// Version is the proposal's version (its document's): pass it to
	// [Service.Decide] in [Decision.Version].
	Version int64 `json:"version"`
}

// StaleProposalError is an approval refused because the recorded contact
// details changed after the proposal was made (another approved proposal,
// a re-import from the student information system): approving it would
// overwrite newer details with older ones. The proposal stays pending;
// staff decline it (the family proposes again). It matches
// coaching.ErrConflict.
type StaleProposalError struct {
	*coaching.ConflictError
	// ID is the proposal's.
	ID string
}

func (e *StaleProposalError) Error() string {
	return fmt.Sprintf("contactchange: proposal %s of case %q no longer applies: the contact details recorded were changed after it was made; decline it", e.ID, e.CaseID)
}

// Unwrap returns the conflict.
func (e *StaleProposalError) Unwrap() error { return e.ConflictError }

// Notice kinds (their texts are in coaching.DefaultTexts).
const (
	// NoticeKindProposed tells the case's responsible staff of a new
	// proposal (fields case, from, whose).
	NoticeKindProposed = "contact_change_proposed"
	// NoticeKindDecided tells whoever proposed of the decision (fields
	// case, decision, reason).
	NoticeKindDecided = "contact_change_decided"
)

// DataProposal is the key of a proposal notice's Data naming the
// proposal.
const DataProposal = "proposal"

// DataDecidedBy is the key of a decision notice's Data naming the staff
// member who approved or declined (package coaching/message's
// DataDecidedBy: a reply to the notice reaches them while they are on the
// case's team).
const DataDecidedBy = "decided_by"

// AuditKind is the kind of the audit entries an approved change leaves on
// the participant's other cases.
const AuditKind coaching.AuditKind = "contact_change"

// Rules of this package, as named in a *coaching.ForbiddenError and the
// access log; the policy's propose_change, decide_request and
// read_requests rules are asked first.
const (
	// RuleOwnDetails: contact details are proposed by the guardian or the
	// student whose details they are.
	RuleOwnDetails = "contact_own_details"
	// RuleOwnProposal: a family member withdraws and reads only their own
	// proposals.
	RuleOwnProposal = "contact_own_proposal"
	// RuleNotOwnDecision: no one decides a proposal they made, nor one
	// of their own family's (a guardian or the student of the case),
	// whatever staff role they also hold.
	RuleNotOwnDecision = "contact_not_own_decision"
	// RuleDecider: a proposal is decided by the case's personal tutor or
	// study counsellor, its coach when the team has no personal tutor, or
	// the head of studies ([MayDecide]) — never by a teacher or
	// student-welfare staff, whom the policy's decide_request rule lets
	// act on the case.
	RuleDecider = "contact_decider"
)

// MayDecide reports whether actor decides the contact-detail changes of
// the student of case c: the head of studies, or — on c's team in a role
// the actor holds — a personal tutor, a study counsellor, or a coach when
// the team has no personal tutor. Teachers, workplace instructors, peer
// coaches and student-welfare staff (curator, psychologist, nurse) never
// do. Package sis asks it of an importer updating contact details.
func MayDecide(actor coaching.Actor, c coaching.Case) bool {
	if actor.HasRole(coaching.RoleHeadOfStudies) {
		return true
	}
	tutors := len(c.Members(coaching.RolePersonalTutor)) > 0
	for _, m := range c.Team {
		if m.ActorID != actor.ID || !actor.HasRole(m.Role) {
			continue
		}
		switch m.Role {
		case coaching.RolePersonalTutor, coaching.RoleStudyCounsellor:
			return true
		case coaching.RoleCoach:
			if !tutors {
				return true
			}
		}
	}
	return false
}

const prefix = "contactchange_"

func kind(id string) string { return prefix + id }

// Documents returns the document family of proposals, for
// coaching.Options.Documents: a proposal ("contactchange_<id>") is kept by
// this package alone (Reserved), and whether an actor may know of it — its
// audit entries and notices included — is the policy's read_requests
// rule, asked with whoever proposed it.
func Documents() []coaching.DocumentKind {
	return []coaching.DocumentKind{{
		Prefix: prefix, Guard: coaching.OpReadRequests, Reserved: true, Private: true,
		Notices: []string{NoticeKindProposed, NoticeKindDecided}, Events: []string{"contact_change_"},
		Facts: func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, k string) (coaching.DocumentFacts, error) {
			_, pr, err := read(ctx, tx, c.ID, strings.TrimPrefix(k, prefix))
			if err != nil {
				return coaching.DocumentFacts{}, err
			}
			return coaching.DocumentFacts{By: pr.ProposedBy}, nil
		},
	}}
}

// Options configure [New]; nil means the defaults. It has no fields yet:
// every public constructor takes its options struct, so that options can
// be added later without changing New's signature.
type Options struct{}

// Service proposes and decides changes of contact details over an engine.
type Service struct {
	eng   *coaching.Engine
	texts *coaching.Texts
}

// New returns the contact-detail proposals of eng (which must have been
// given [Documents]; without them every call fails before anything is
// written or shown). Decisions change the participant through
// coaching.Engine.ChangeParticipant, which a bound engine cannot run.
func New(eng *coaching.Engine, opts *Options) (*Service, error) {
	if eng == nil {
		return nil, errors.New("contactchange: New: engine is nil")
	}
	return &Service{eng: eng, texts: eng.Texts()}, nil
}

// Propose records the actor's proposal to change their own contact
// details, through case id of the student: a guardian recorded on the
// student proposes the guardian's details, the student (the actor whose
// self relation names the case's participant) their own. The policy's
// propose_change rule decides who may (the default: a guardian of a
// minor or with the adult student's consent, and the student); a student
// under 18 is refused ([coaching.RuleStudentMinor]: their guardians
// propose), and anyone else — staff, a guardian not recorded on the
// student — with [RuleOwnDetails]. An empty field of contact leaves the
// recorded value as it is (a value cannot be removed this way: staff
// change the record). Bad details are a *coaching.ValidationError naming
// every bad field ("contact.email", "contact.phone", or "contact" when
// neither is given or nothing would change). The case's responsible staff
// (its personal tutors, or its coaches when it has none) are told. The
// actor's pending proposal of the same details on the case, if any, is
// replaced: withdrawn, its ReplacedBy naming the new one — a person has
// one open proposal of their details at a time ([Service.Pending] lists
// the open ones).
func (s *Service) Propose(ctx context.Context, actor coaching.Actor, id coaching.CaseID, contact coaching.Contact) (Proposal, error) {
	var pr []coaching.FieldProblem
	if err := contact.Validate(); err != nil {
		var ve *coaching.ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				pr = append(pr, coaching.FieldProblem{Field: "contact." + p.Field, Message: p.Message})
			}
		}
	}
	if !contact.Reachable() {
		pr = append(pr, coaching.FieldProblem{Field: "contact", Message: "give an e-mail address or a phone number"})
	}
	if len(pr) > 0 {
		return Proposal{}, &coaching.ValidationError{Subject: "contact change", Problems: pr}
	}
	var out Proposal
	err := coaching.WriteRetrying(ctx, s.eng, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpProposeChange, id)
		if err != nil {
			return err
		}
		p, err := sc.ReadTx().Participant(sc.Context(), c.Organisation, c.ParticipantID)
		if err != nil {
			return err
		}
		now := sc.Now()
		pro := Proposal{CaseID: id, Participant: p.ID, Contact: contact, Status: Submitted, ProposedBy: actor.ID, ProposedAt: now}
		from := actor.Name
		if g, ok := p.GuardianOf(actor); ok && guardianIndex(p, g.ID) >= 0 { // a guardian recorded on the student
			pro.Whose, pro.GuardianID, pro.Recorded = OfGuardian, g.ID, g.Contact
			if from == "" {
				from = g.Name
			}
		} else {
			switch {
			case !p.IsStudent(actor):
				return sc.DenyCase(coaching.OpProposeChange, c, RuleOwnDetails,
					"contact details are proposed by the guardian recorded on the student or by the student, for their own details")
			case p.MinorOn(coaching.DateOf(now)):
				return sc.DenyCase(coaching.OpProposeChange, c, coaching.RuleStudentMinor,
					"a student under 18 does not propose changes to their contact details: their guardian does")
			}
			pro.Whose, pro.Recorded = OfStudent, p.Contact
			if from == "" {
				from = p.Name()
			}
		}
		if apply(pro.Recorded, contact) == pro.Recorded {
			return &coaching.ValidationError{Subject: "contact change", Problems: []coaching.FieldProblem{{Field: "contact",
				Message: "is the contact details already recorded"}}}
		}
		pro.ID = coaching.DocumentID(sc.NewID())
		if pro.ID == "" {
			return errors.New("contactchange: the id generator gave no usable proposal id (letters and digits)")
		}
		// The proposer's pending proposal of the same details is
		// replaced: one open proposal per person and details.
		pending, err := pendingOf(sc.Context(), sc.ReadTx(), id)
		if err != nil {
			return err
		}
		for _, old := range pending {
			if old.ProposedBy != actor.ID || old.Whose != pro.Whose || old.GuardianID != pro.GuardianID {
				continue
			}
			old.Status, old.DecidedAt, old.ReplacedBy = Withdrawn, now, pro.ID
			data, err := json.Marshal(old)
			if err != nil {
				return err
			}
			if _, err := sc.SaveDocumentAs(coaching.OpProposeChange, id, coaching.DocumentChange{Kind: kind(old.ID), BasedOn: old.Version,
				Status: string(Withdrawn), Data: data, Event: "contact_change_replaced", Reason: "contact details of the " + string(old.Whose) + ", replaced by a new proposal"}); err != nil {
				return err
			}
		}
		var notices []coaching.Notice
		for _, m := range c.Responsible() {
			to := m.Recipient()
			subject, body := s.texts.RenderNotice(NoticeKindProposed, to.Language, map[string]string{"case": string(id), "from": from, "whose": string(pro.Whose)})
			notices = append(notices, coaching.Notice{ID: NoticeKindProposed + ":" + string(id) + ":" + pro.ID + ":" + m.ActorID, CaseID: id,
				Kind: NoticeKindProposed, Recipient: to, Subject: subject, Body: body, Data: map[string]string{"case_id": string(id), DataProposal: pro.ID},
				CreatedAt: now, NotBefore: now, Status: coaching.NoticePending})
		}
		data, err := json.Marshal(pro)
		if err != nil {
			return err
		}
		doc, err := sc.SaveDocumentAs(coaching.OpProposeChange, id, coaching.DocumentChange{Kind: kind(pro.ID), Status: string(Submitted),
			Data: data, Event: "contact_change_submitted", Reason: "contact details of the " + string(pro.Whose), Notices: notices})
		if err != nil {
			return err
		}
		pro.Version = doc.Version
		out = pro
		return nil
	})
	if err != nil {
		return Proposal{}, err
	}
	return out, nil
}

// Decision is staff's answer to a proposal.
type Decision struct {
	// Approve approves the proposal; otherwise it is declined.
	Approve bool
	// Version is the proposal's version the decision was made on
	// ([Proposal.Version]; required): a proposal changed since is a
	// *coaching.ConflictError, so that of two decisions at once exactly
	// one wins.
	Version int64
	// Reason is why it is declined (required then; at most 2000 bytes). It
	// is told to whoever proposed, and kept with the proposal, not in the
	// audit trail.
	Reason string
}

// Decide approves or declines proposal proposalID of case id. The
// policy's decide_request rule decides who may act on the case (the
// default: the school's staff on one of the student's cases, and the head
// of studies); of them only the deciders [MayDecide] names decide — the
// personal tutor or study counsellor on the case's team, its coach when
// the team has no personal tutor, the head of studies — and anyone else
// is refused with [RuleDecider]; whoever proposed, and any guardian of
// the student or the student themself, is refused with
// [RuleNotOwnDecision] whatever staff role they hold. On approval the participant's contact details (or the
// guardian's) get the proposed fields — an empty one leaves the recorded
// value — with the day of the approval in ContactChangedOn, and
// each of the participant's cases gets an audit entry; whoever proposed
// is told of the decision in their language — of an approval at the new
// details and, in a notice of its own, at the e-mail address or phone
// number replaced, so that a change its holder did not make is noticed. An approval after the
// recorded details changed since the proposal was made is a
// [*StaleProposalError] writing nothing (decline it instead).
//
// A guardian's proposal lapses instead — whether approved or declined —
// when the guardian is no longer recorded on the student, or their ward
// has turned 18 without consenting to their guardians being informed: it
// is returned with Status [Lapsed] and no error, nothing of the
// participant changes, and the guardian is not told.
//
// A decision, like a proposal and a withdrawal, that loses a case's (or
// the participant's) version to another writer at the same moment —
// attendance and messages write the case at any time — is run again in a
// fresh transaction after a short random pause (as
// [coaching.WriteRetrying]; a proposal or withdrawal on an engine bound to
// a host's transaction is not retried). A decision made on an older
// version than the proposal's (among two decisions at once, the one that
// lost) is a *coaching.ConflictError, never retried; a
// proposal already decided, withdrawn or lapsed a
// *coaching.TransitionError; an unknown one a *coaching.NotFoundError; a
// decline without a reason, or a decision without a version, a
// *coaching.ValidationError naming "reason" or "version".
func (s *Service) Decide(ctx context.Context, actor coaching.Actor, id coaching.CaseID, proposalID string, d Decision) (Proposal, error) {
	pr := coaching.TextProblems("reason", d.Reason, 2000, true)
	if !d.Approve && strings.TrimSpace(d.Reason) == "" {
		pr = append(pr, coaching.FieldProblem{Field: "reason", Message: "required when a proposal is declined"})
	}
	if d.Version < 1 {
		pr = append(pr, coaching.FieldProblem{Field: "version", Message: "required: the proposal's version the decision was made on"})
	}
	if len(pr) > 0 {
		return Proposal{}, &coaching.ValidationError{Subject: "contact change decision", Problems: pr}
	}
	var pid coaching.ParticipantID
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpDecideRequest, id)
		if err != nil {
			return err
		}
		pid = c.ParticipantID
		_, pro, err := read(sc.Context(), sc.ReadTx(), id, proposalID)
		if err != nil {
			return err
		}
		p, err := sc.ReadTx().Participant(sc.Context(), c.Organisation, pid)
		if err != nil {
			return err
		}
		// Whatever role the actor signed in with: a staff member who is the
		// student's guardian does not decide for their child.
		asGuardian := coaching.Actor{ID: actor.ID, Roles: []coaching.Role{coaching.RoleGuardian}, Relations: actor.Relations}
		if _, isGuardian := p.GuardianOf(asGuardian); pro.ProposedBy == actor.ID || isGuardian || p.IsStudent(actor) {
			return sc.DenyCase(coaching.OpDecideRequest, c, RuleNotOwnDecision,
				"no one decides a proposal of their own or of their own family's: another member of staff does")
		}
		if !MayDecide(actor, c) {
			return sc.DenyCase(coaching.OpDecideRequest, c, RuleDecider,
				"contact details are changed by the student's personal tutor or study counsellor, the coach when the team has no personal tutor, or the head of studies")
		}
		return nil
	})
	if err != nil {
		return Proposal{}, err
	}
	var out Proposal
	// The decision is run again while it loses a case's or the
	// participant's version to another writer (attendance, messages write
	// the case at any moment) — not when its own proposal changed.
	err = changeRetrying(ctx, func(own *bool) error {
		_, err := s.eng.ChangeParticipant(ctx, actor, coaching.OpDecideRequest, pid, func(ch *coaching.ParticipantChange) error {
			return s.decide(ctx, ch, actor, id, proposalID, pid, d, own, &out)
		})
		return err
	})
	if err != nil {
		return Proposal{}, err
	}
	return out, nil
}

// changeRetrying runs change again, as coaching.RetryConflicts does, while
// it fails with a *coaching.ConflictError it did not raise itself (own).
func changeRetrying(ctx context.Context, change func(own *bool) error) error {
	return coaching.RetryConflicts(ctx, func() (bool, error) {
		own := false
		err := change(&own)
		return own, err
	})
}

// decide is one attempt at a decision, in participant change ch; own is
// set when it fails with a conflict of its own (the proposal changed, or
// the recorded details did), which is not retried.
func (s *Service) decide(ctx context.Context, ch *coaching.ParticipantChange, actor coaching.Actor, id coaching.CaseID, proposalID string, pid coaching.ParticipantID, d Decision, own *bool, result *Proposal) error {
	doc, pro, err := read(ctx, ch.Tx(), id, proposalID)
	if err != nil {
		return err
	}
	if pro.Participant != pid {
		return &coaching.NotFoundError{Kind: "contact change", ID: proposalID}
	}
	if doc.Version != d.Version {
		*own = true
		return &coaching.ConflictError{CaseID: id, Subject: "contact change " + proposalID, Expected: d.Version, Current: doc.Version}
	}
	now := ch.Now()
	today := coaching.DateOf(now)
	p := ch.Participant()
	gi := -1
	if pro.Whose == OfGuardian {
		gi = guardianIndex(p, pro.GuardianID)
	}
	event := eventDecline
	switch {
	case pro.Whose == OfGuardian && (gi < 0 || !p.GuardiansInformedOn(today)):
		event = eventLapse
	case d.Approve:
		event = eventApprove
	}
	to, err := machine.Fire(ctx, string(pro.Status), event, nil)
	if err != nil {
		return err
	}
	pro.Status, pro.DecidedAt = Status(to), now
	if pro.Status != Lapsed {
		pro.DecidedBy = actor.ID
	}
	if pro.Status == Declined {
		pro.Reason = d.Reason
	}
	current := &p.Contact
	changedOn := &p.ContactChangedOn
	if gi >= 0 {
		current, changedOn = &p.Guardians[gi].Contact, &p.Guardians[gi].ContactChangedOn
	}
	previous := *current
	if pro.Status == Approved {
		if *current != pro.Recorded {
			*own = true
			return &StaleProposalError{ID: pro.ID, ConflictError: &coaching.ConflictError{CaseID: id, Subject: "contact details of proposal " + pro.ID}}
		}
		*current, *changedOn = apply(*current, pro.Contact), today
		if err := ch.Update(p); err != nil {
			return err
		}
	}
	var told *coaching.Recipient
	switch {
	case pro.Status == Lapsed:
		// The guardian is gone, or the adult has not consented to
		// their guardians being informed: not told.
	case gi >= 0:
		g := p.Guardians[gi]
		r := coaching.TeamMember{ActorID: g.ID, Name: g.Name, Role: coaching.RoleGuardian, Contact: g.Contact, Language: cmp.Or(g.Language, p.Language)}.Recipient()
		told = &r
	default:
		r := coaching.TeamMember{ActorID: string(p.ID), Name: p.Name(), Role: coaching.RoleStudent, Contact: p.Contact, Language: p.Language}.Recipient()
		told = &r
	}
	var notices []coaching.Notice
	if told != nil {
		reason := ""
		if pro.Status == Declined {
			reason = pro.Reason
		}
		recipients := []coaching.Recipient{*told}
		if pro.Status == Approved {
			// The address or number replaced is told too, so that a
			// change its holder did not make does not go unnoticed.
			old := *told
			old.Contact = coaching.Contact{}
			if previous.Email != told.Contact.Email {
				old.Contact.Email = previous.Email
			}
			if previous.Phone != told.Contact.Phone {
				old.Contact.Phone = previous.Phone
			}
			if old.Contact.Reachable() {
				recipients = append(recipients, old)
			}
		}
		for i, r := range recipients {
			subject, body := s.texts.RenderNotice(NoticeKindDecided, r.Language, map[string]string{"case": string(id), "decision": string(pro.Status), "reason": reason})
			nid := NoticeKindDecided + ":" + string(id) + ":" + pro.ID + ":" + r.ID
			if i > 0 {
				nid += ":previous"
			}
			notices = append(notices, coaching.Notice{ID: nid, CaseID: id,
				Kind: NoticeKindDecided, Recipient: r, Subject: subject, Body: body,
				Data:      map[string]string{"case_id": string(id), DataProposal: pro.ID, "decision": string(pro.Status), DataDecidedBy: pro.DecidedBy},
				CreatedAt: now, NotBefore: now, Status: coaching.NoticePending})
		}
	}
	data, err := json.Marshal(pro)
	if err != nil {
		return err
	}
	found := false
	err = ch.EachCase(func(cc *coaching.CaseChange) error {
		if cc.Case().ID == id {
			found = true
			saved, err := cc.SaveFeatureDocument(coaching.DocumentChange{Kind: kind(pro.ID), BasedOn: doc.Version, Status: string(pro.Status),
				Data: data, Event: "contact_change_" + string(pro.Status), Reason: "contact details of the " + string(pro.Whose), Notices: notices})
			pro.Version = saved.Version
			return err
		}
		if pro.Status == Approved {
			cc.Audit(AuditKind, "contact_change_approved", "contact details of the "+string(pro.Whose)+" changed (an approved proposal)", nil)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		return &coaching.NotFoundError{Kind: "contact change", ID: proposalID}
	}
	*result = pro
	return nil
}

// Withdraw withdraws the actor's own pending proposal. The policy's
// propose_change rule decides who may act on the case; only whoever
// proposed withdraws ([RuleOwnProposal]). A proposal no longer pending is
// a *coaching.TransitionError.
func (s *Service) Withdraw(ctx context.Context, actor coaching.Actor, id coaching.CaseID, proposalID string) (Proposal, error) {
	var out Proposal
	err := coaching.WriteRetrying(ctx, s.eng, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpProposeChange, id)
		if err != nil {
			return err
		}
		doc, pro, err := read(sc.Context(), sc.ReadTx(), id, proposalID)
		if err != nil {
			return err
		}
		if pro.ProposedBy != actor.ID {
			return sc.DenyCase(coaching.OpProposeChange, c, RuleOwnProposal, "only whoever proposed a change withdraws it")
		}
		to, err := machine.Fire(sc.Context(), string(pro.Status), eventWithdraw, nil)
		if err != nil {
			return err
		}
		pro.Status, pro.DecidedAt = Status(to), sc.Now()
		data, err := json.Marshal(pro)
		if err != nil {
			return err
		}
		saved, err := sc.SaveDocumentAs(coaching.OpProposeChange, id, coaching.DocumentChange{Kind: kind(pro.ID), BasedOn: doc.Version,
			Status: string(pro.Status), Data: data, Event: "contact_change_withdrawn", Reason: "contact details of the " + string(pro.Whose)})
		if err != nil {
			return err
		}
		pro.Version = saved.Version
		out = pro
		return nil
	})
	if err != nil {
		return Proposal{}, err
	}
	return out, nil
}

// Get returns proposal proposalID of case id. The policy's read_requests
// rule decides who may read the case's requests (the default: the
// school's staff on the team, the head of studies, the student, a
// guardian of a minor or with the adult's consent); a family member reads
// only their own proposals ([RuleOwnProposal]). A proposal's document is
// read only here: the generic case read refuses it
// ([coaching.DocumentKind.Private]).
func (s *Service) Get(ctx context.Context, actor coaching.Actor, id coaching.CaseID, proposalID string) (Proposal, error) {
	var out Proposal
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpReadRequests, id)
		if err != nil {
			return err
		}
		if !coaching.ValidDocumentID(prefix, proposalID) {
			return &coaching.NotFoundError{Kind: "contact change", ID: proposalID}
		}
		if _, err := sc.Guard(id, kind(proposalID)); err != nil {
			return err
		}
		_, pro, err := read(sc.Context(), sc.ReadTx(), id, proposalID)
		if err != nil {
			return err
		}
		if pro.ProposedBy != actor.ID && !onTeam(actor, c) && !actor.HasRole(coaching.RoleHeadOfStudies) {
			return sc.DenyCase(coaching.OpReadRequests, c, RuleOwnProposal, "a guardian or a student reads only their own proposals")
		}
		out = pro
		return nil
	})
	if err != nil {
		return Proposal{}, err
	}
	return out, nil
}

// Pending lists the pending proposals of case id, oldest first: staff
// every one, a guardian or the student their own. The policy's
// read_requests rule decides who may read the case's requests. The
// proposals are found in the case's audit trail, so a listing costs a
// read of the case's history.
func (s *Service) Pending(ctx context.Context, actor coaching.Actor, id coaching.CaseID) ([]Proposal, error) {
	var out []Proposal
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpReadRequests, id)
		if err != nil {
			return err
		}
		all, err := pendingOf(sc.Context(), sc.ReadTx(), id)
		if err != nil {
			return err
		}
		staff := onTeam(actor, c) || actor.HasRole(coaching.RoleHeadOfStudies)
		for _, pro := range all {
			if staff || pro.ProposedBy == actor.ID {
				out = append(out, pro)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pendingOf returns the case's pending proposals, oldest first, found by
// the audit entries of their documents' versions.
func pendingOf(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID) ([]Proposal, error) {
	trail, err := tx.AuditTrail(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	var out []Proposal
	seen := map[string]bool{}
	for _, e := range trail {
		var doc struct {
			Kind string `json:"kind"`
		}
		if e.Kind != coaching.AuditDocument || json.Unmarshal(e.Payload, &doc) != nil {
			continue
		}
		pid, ok := strings.CutPrefix(doc.Kind, prefix)
		if !ok || seen[pid] {
			continue
		}
		seen[pid] = true
		_, pro, err := read(ctx, tx, id, pid)
		if err != nil {
			return nil, err
		}
		if pro.Status == Submitted {
			out = append(out, pro)
		}
	}
	return out, nil
}

// read reads a proposal through tx, its Version the document's.
func read(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, proposalID string) (coaching.Document, Proposal, error) {
	doc, pro, err := coaching.ReadDocumentJSON[Proposal](ctx, tx, id, prefix, proposalID, "contact change")
	pro.Version = doc.Version
	return doc, pro, err
}

// apply returns cur with the non-empty fields of proposed.
func apply(cur, proposed coaching.Contact) coaching.Contact {
	if proposed.Email != "" {
		cur.Email = proposed.Email
	}
	if proposed.Phone != "" {
		cur.Phone = proposed.Phone
	}
	return cur
}

func guardianIndex(p coaching.Participant, id string) int {
	for i, g := range p.Guardians {
		if g.ID != "" && g.ID == id {
			return i
		}
	}
	return -1
}

// onTeam reports whether the actor is on the case's team in a staff role.
func onTeam(actor coaching.Actor, c coaching.Case) bool {
	for _, m := range c.Team {
		if m.ActorID == actor.ID && m.Role != coaching.RoleGuardian && m.Role != coaching.RoleStudent && actor.HasRole(m.Role) {
			return true
		}
	}
	return false
}
