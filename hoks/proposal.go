package hoks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Rules this feature refuses by, as named in a *coaching.ForbiddenError
// and the access log.
const (
	// RuleStudentVoice: only the student themself proposes changes to,
	// comments on, or withdraws a proposal to their plan.
	RuleStudentVoice = "hoks_student_voice"
	// RuleProposalDecider: only the personal tutor or study counsellor on
	// the case's team, or the head of studies, decides a proposal.
	RuleProposalDecider = "hoks_proposal_decider"
)

// DeciderRoles are the team roles that decide the student's proposals to
// their plan (besides the head of studies).
var DeciderRoles = []coaching.Role{coaching.RolePersonalTutor, coaching.RoleStudyCounsellor}

// ProposalStatus is where a proposal is.
type ProposalStatus string

// Proposal statuses.
const (
	ProposalSubmitted ProposalStatus = "submitted"
	ProposalAccepted  ProposalStatus = "accepted"
	ProposalDeclined  ProposalStatus = "declined"
	ProposalWithdrawn ProposalStatus = "withdrawn"
)

// Open reports whether the proposal awaits a decision.
func (s ProposalStatus) Open() bool { return s == ProposalSubmitted }

// Proposal events.
const (
	ProposalAccept   = "accept"
	ProposalDecline  = "decline"
	ProposalWithdraw = "withdraw"
)

// proposalMachine is the proposal's state machine.
var proposalMachine = coaching.MustMachine(string(ProposalSubmitted), []coaching.Edge{
	{Event: ProposalAccept, From: []string{string(ProposalSubmitted)}, To: string(ProposalAccepted)},
	{Event: ProposalDecline, From: []string{string(ProposalSubmitted)}, To: string(ProposalDeclined)},
	{Event: ProposalWithdraw, From: []string{string(ProposalSubmitted)}, To: string(ProposalWithdrawn)},
})

// ProposalDiagram renders the proposal state machine as Mermaid.
func ProposalDiagram() string { return proposalMachine.Mermaid() }

// Notice kinds of proposals (their texts are in coaching.DefaultTexts).
const (
	// NoticeKindProposalSubmitted tells the team's personal tutor of a new
	// proposal (fields case, number, title).
	NoticeKindProposalSubmitted = "hoks_proposal_submitted"
	// NoticeKindProposalDecided tells the student of the decision on their
	// proposal, in their language (fields title, decision — accepted or
	// declined — and version). It never carries the reason or the staff's
	// note.
	NoticeKindProposalDecided = "hoks_proposal_decided"
)

// The document families.
const (
	proposalPrefix  = "hoks_proposal_"
	commentPrefix   = "hoks_comment_"
	staffNotePrefix = "hoks_staffnote_"
)

func proposalKind(n int64) string  { return proposalPrefix + strconv.FormatInt(n, 10) }
func commentKind(n int64) string   { return commentPrefix + strconv.FormatInt(n, 10) }
func staffNoteKind(n int64) string { return staffNotePrefix + strconv.FormatInt(n, 10) }

// Proposal is a student's proposal to change their plan — the student's
// voice in the plan: a student comments on their HOKS and
// proposes changes to it; the personal tutor accepts a proposal into a new
// version of the plan — through the plan's own lifecycle, so eHOKS's rules
// hold — or declines it with a reason; the student may withdraw it while it
// is open. A proposal runs on its own small state machine (submitted →
// accepted / declined / withdrawn, [ProposalDiagram]).
//
// Every proposal and every comment is a case document of its own
// ("hoks_proposal_<n>", "hoks_comment_<n>", numbered 1, 2, … per case), so
// a write costs the same however many the case has; a decision adds a
// version to the proposal's document, and the staff's internal note on a
// decision is a document of its own ("hoks_staffnote_<n>") that only staff
// who may decide read. The host registers the families with the engine
// (coaching.Options.Documents: [ProposalDocuments]); without them the
// commands fail before anything is written.
//
// Who may do what (the default policy, plus this feature's own rules):
//
//   - propose, comment, withdraw (propose_change): the student themself —
//     an actor with the student role and a self relation to the case's
//     participant. The policy also lets a guardian propose changes (to
//     contact details); a plan proposal is the student's own voice, so a
//     guardian is refused by the rule [RuleStudentVoice]. Guardians take
//     part in a minor's plan in the HOKS discussions with the tutor and
//     write to the team through messages; they see the open proposals'
//     titles in the plan's [Summary].
//   - decide (decide_request): the student's personal tutor or study
//     counsellor on the case's team, or the head of studies; other staff
//     on the team are refused by [RuleProposalDecider].
//   - read (read_requests, and read_hoks: a proposal is part of the plan):
//     the student, the support team and the head of studies.
type Proposal struct {
	// Number counts the case's proposals from 1.
	Number int64           `json:"number"`
	CaseID coaching.CaseID `json:"case_id"`
	Status ProposalStatus  `json:"status"`
	// Version is the version of the proposal's own document: pass it as
	// the BasedOn of a decision or a withdrawal, so that of two people
	// acting at once one wins and the other gets a *coaching.ConflictError.
	Version int64 `json:"-"`
	// Title is a one-line heading; the plan's summary shows it to the
	// guardians of a minor while the proposal is open.
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Change is the concrete change proposed, if any.
	Change *PlanChange `json:"change,omitempty"`
	// PlanVersion is the version of the plan the proposal was made
	// against.
	PlanVersion int64     `json:"plan_version"`
	ProposedBy  string    `json:"proposed_by"`
	ProposedAt  time.Time `json:"proposed_at"`
	// DecidedBy and DecidedAt are set by the decision or the withdrawal.
	DecidedBy string    `json:"decided_by,omitempty"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
	// Reason is the decline's reason, shown to the student.
	Reason string `json:"reason,omitempty"`
	// Applied is the change the tutor applied instead of the proposed one
	// (an adjustment), if any.
	Applied *PlanChange `json:"applied,omitempty"`
	// AcceptedAs is the plan version the accepted change was saved as (a
	// draft, or an update awaiting approval); ApprovedAs the version that
	// approved it, when the tutor approved it at once.
	AcceptedAs int64 `json:"accepted_as,omitempty"`
	ApprovedAs int64 `json:"approved_as,omitempty"`
	// StaffNote is the staff's internal note on the decision: filled in
	// only for a reader the policy allows decide_request (staff), never
	// for the student or a guardian. It is stored apart.
	StaffNote string `json:"-"`
}

// Comment is a student's comment on their plan: no decision follows, but
// it is kept, audited and shown to the team.
type Comment struct {
	Number int64           `json:"number"`
	CaseID coaching.CaseID `json:"case_id"`
	Text   string          `json:"text"`
	// Proposal is the proposal the comment is about (0: the plan).
	Proposal int64 `json:"proposal,omitempty"`
	// PlanVersion is the latest version of the plan when it was written.
	PlanVersion int64     `json:"plan_version"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// ProposalInput is a student's proposal.
type ProposalInput struct {
	// Title is required: one line, at most 200 bytes.
	Title string
	// Description is free text, at most 4000 bytes; required when there is
	// no Change.
	Description string
	// Change is the concrete change proposed, if any.
	Change *PlanChange
	// PlanVersion is the version of the plan the student read; 0 means
	// the latest.
	PlanVersion int64
}

// AcceptInput is a tutor's acceptance of a proposal. The change applied
// is the proposal's own, or Change (the tutor's adjustment of it, or a
// concrete change for a proposal in words), or Plan (the plan as the tutor
// edited it from version PlanBasedOn, the latest) — at most one of the two.
type AcceptInput struct {
	// BasedOn is the proposal's version the tutor decided on
	// (Proposal.Version). Required.
	BasedOn int64
	// Change replaces the proposed change.
	Change *PlanChange
	// Plan is the plan to save instead of applying a change, made from
	// version PlanBasedOn of the plan.
	Plan        *Plan
	PlanBasedOn int64
	// ApproveOn, if set, approves the new version at once on that date
	// (not in the future); otherwise it awaits approval (a draft stays a
	// draft, an approved plan becomes an update).
	ApproveOn coaching.Date
	// Note is the staff's internal note (at most 4000 bytes): never shown
	// to the student or the guardians.
	Note string
}

// DeclineInput is a tutor's refusal of a proposal.
type DeclineInput struct {
	// BasedOn is the proposal's version the tutor decided on. Required.
	BasedOn int64
	// Reason is shown to the student. Required, at most 4000 bytes.
	Reason string
	// Note is the staff's internal note, as in [AcceptInput].
	Note string
}

// CommentInput is a student's comment.
type CommentInput struct {
	// Text is required, at most 4000 bytes.
	Text string
	// Proposal names the proposal the comment is about (0: the plan).
	Proposal int64
}

// StaleProposalError refuses an acceptance whose change no longer applies:
// the plan has moved on since the version the proposal was made against,
// and the part of it the change names is no longer as the student saw it.
// It is a conflict (errors.As finds its *coaching.ConflictError, and it
// matches coaching.ErrConflict) with what no longer matches. The tutor can
// accept with an adjusted change made against the latest version
// (AcceptInput.Change), or decline. A proposal whose part of the plan is
// unchanged is applied to the latest version without this error, however
// far the plan has moved on.
type StaleProposalError struct {
	*coaching.ConflictError
	// Number is the proposal's.
	Number int64
	// Problem names the change's field and what no longer matches.
	Problem coaching.FieldProblem
}

// Error says what no longer matches.
func (e *StaleProposalError) Error() string {
	return fmt.Sprintf("hoks: proposal %d of case %q was made against version %d of the plan, now at version %d, and no longer applies: %s: %s",
		e.Number, e.CaseID, e.Expected, e.Current, e.Problem.Field, e.Problem.Message)
}

// Unwrap returns the conflict.
func (e *StaleProposalError) Unwrap() error { return e.ConflictError }

// ProposalDocuments returns the document families of the student's
// proposals and comments, for coaching.Options.Documents: proposals and
// comments ("hoks_proposal_", "hoks_comment_") are part of the plan and
// guarded by the policy's read_hoks rule; the staff's notes on decisions
// ("hoks_staffnote_") by decide_request, so that the student and the
// guardians never see them, nor their audit entries. All three are written
// only through the [Service]'s commands.
func ProposalDocuments() []coaching.DocumentKind {
	facts := func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, kind string) (coaching.DocumentFacts, error) {
		d, err := tx.Document(ctx, c.ID, kind, 0)
		if err != nil {
			return coaching.DocumentFacts{}, err
		}
		var by struct {
			ProposedBy string `json:"proposed_by"`
			By         string `json:"by"`
		}
		if err := json.Unmarshal(d.Data, &by); err != nil {
			return coaching.DocumentFacts{}, fmt.Errorf("hoks: stored %s of case %s does not decode: %w", kind, c.ID, err)
		}
		if by.ProposedBy != "" {
			return coaching.DocumentFacts{By: by.ProposedBy}, nil
		}
		return coaching.DocumentFacts{By: by.By}, nil
	}
	return []coaching.DocumentKind{
		{Prefix: proposalPrefix, Guard: coaching.OpReadHOKS, Reserved: true, Facts: facts,
			Notices: []string{NoticeKindProposalSubmitted, NoticeKindProposalDecided}, Events: []string{"hoks_proposal_"}},
		{Prefix: commentPrefix, Guard: coaching.OpReadHOKS, Reserved: true, Facts: facts, Events: []string{"hoks_comment_"}},
		{Prefix: staffNotePrefix, Guard: coaching.OpDecideRequest, Reserved: true, Events: []string{"hoks_staffnote_"}},
	}
}

// Input checks.

func problem(field, format string, args ...any) coaching.FieldProblem {
	return coaching.FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)}
}

func invalid(subject string, pr []coaching.FieldProblem) error {
	if len(pr) == 0 {
		return nil
	}
	return &coaching.ValidationError{Subject: subject, Problems: pr}
}

func (in *ProposalInput) check() []coaching.FieldProblem {
	var pr []coaching.FieldProblem
	if strings.TrimSpace(in.Title) == "" {
		pr = append(pr, problem("title", "required"))
	}
	pr = append(pr, coaching.TextProblems("title", in.Title, 200, false)...)
	pr = append(pr, coaching.TextProblems("description", in.Description, 4000, true)...)
	if in.Change == nil && strings.TrimSpace(in.Description) == "" {
		pr = append(pr, problem("description", "required when no concrete change is proposed"))
	}
	if in.Change != nil {
		pr = append(pr, in.Change.check("change")...)
	}
	if in.PlanVersion < 0 {
		pr = append(pr, problem("plan_version", "must not be negative"))
	}
	return pr
}

func basedOnProblems(basedOn int64) []coaching.FieldProblem {
	if basedOn < 1 {
		return []coaching.FieldProblem{problem("based_on", "required: the proposal's version the decision was made on")}
	}
	return nil
}

func noteProblems(note string) []coaching.FieldProblem {
	return coaching.TextProblems("note", note, 4000, true)
}

// Access.

// self reports whether actor is the student of participant pid: the
// student role and a self relation to them.
func self(a coaching.Actor, pid coaching.ParticipantID) bool {
	return a.HasRole(coaching.RoleStudent) && slices.ContainsFunc(a.Relations, func(r coaching.Relation) bool {
		return r.Kind == coaching.RelationSelf && r.Participant == pid
	})
}

// studentVoice reads case id for the scope's actor after the policy allowed
// propose_change on it and the actor is the case's student themself.
func studentVoice(sc *coaching.Scope, id coaching.CaseID) (coaching.Case, error) {
	c, err := sc.Case(coaching.OpProposeChange, id)
	if err != nil {
		return coaching.Case{}, err
	}
	if !self(sc.Actor(), c.ParticipantID) {
		return coaching.Case{}, sc.Deny(coaching.OpProposeChange, RuleStudentVoice,
			"only the student themself proposes changes to, comments on or withdraws proposals to their plan")
	}
	// A student who proposes changes to the plan reads it.
	return sc.Case(coaching.OpReadHOKS, id)
}

// decider reads case id after the policy allowed decide_request on it and
// the actor is one who decides proposals to the plan.
func decider(sc *coaching.Scope, id coaching.CaseID) (coaching.Case, error) {
	c, err := sc.Case(coaching.OpDecideRequest, id)
	if err != nil {
		return coaching.Case{}, err
	}
	a := sc.Actor()
	ok := a.HasRole(coaching.RoleHeadOfStudies)
	for _, m := range c.Team {
		ok = ok || m.ActorID == a.ID && slices.Contains(DeciderRoles, m.Role) && a.HasRole(m.Role)
	}
	if !ok {
		return coaching.Case{}, sc.Deny(coaching.OpDecideRequest, RuleProposalDecider,
			"a proposal to the plan is decided by the student's personal tutor or study counsellor, or the head of studies")
	}
	return c, nil
}

// reader reads case id after the policy allowed read_requests and
// read_hoks on it.
func reader(sc *coaching.Scope, id coaching.CaseID) (coaching.Case, error) {
	if _, err := sc.Case(coaching.OpReadRequests, id); err != nil {
		return coaching.Case{}, err
	}
	return sc.Case(coaching.OpReadHOKS, id)
}

// Stored documents.

// lastNumber returns the highest number of the case's documents of prefix
// (0 when there is none). Numbers are dense from 1, so it finds it in
// O(log n) reads: doubling, then halving.
func lastNumber(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, prefix string) (int64, error) {
	exists := func(n int64) (bool, error) {
		_, err := tx.Document(ctx, id, prefix+strconv.FormatInt(n, 10), 0)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, coaching.ErrNotFound):
			return false, nil
		}
		return false, err
	}
	ok, err := exists(1)
	if err != nil || !ok {
		return 0, err
	}
	lo := int64(1) // exists
	hi := int64(2)
	for {
		ok, err := exists(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 { // lo exists, hi does not
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// readProposal reads proposal n of the case through tx.
func readProposal(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, n int64) (Proposal, error) {
	if n < 1 {
		return Proposal{}, &coaching.NotFoundError{Kind: "HOKS proposal", ID: strconv.FormatInt(n, 10)}
	}
	d, err := tx.Document(ctx, id, proposalKind(n), 0)
	if errors.Is(err, coaching.ErrNotFound) {
		return Proposal{}, &coaching.NotFoundError{Kind: "HOKS proposal", ID: string(id) + "/" + strconv.FormatInt(n, 10)}
	}
	if err != nil {
		return Proposal{}, err
	}
	var p Proposal
	if err := json.Unmarshal(d.Data, &p); err != nil {
		return Proposal{}, fmt.Errorf("hoks: stored proposal %d of case %s does not decode: %w", n, id, err)
	}
	p.Version = d.Version
	return p, nil
}

// saveProposal stores p as the next version of its document. The audit
// entry names the proposal's number and status, never its text.
func saveProposal(sc *coaching.Scope, op coaching.Operation, p *Proposal, basedOn int64, event string, notices []coaching.Notice) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	d, err := sc.SaveDocumentAs(op, p.CaseID, coaching.DocumentChange{Kind: proposalKind(p.Number), BasedOn: basedOn, Status: string(p.Status),
		Data: data, Event: event, Reason: "proposal " + strconv.FormatInt(p.Number, 10) + " to the plan", Notices: notices})
	if err != nil {
		return err
	}
	p.Version = d.Version
	return nil
}

// saveNote stores the staff's note on proposal n's decision.
func saveNote(sc *coaching.Scope, id coaching.CaseID, n int64, note string) error {
	if note == "" {
		return nil
	}
	data, err := json.Marshal(struct {
		Note string `json:"note"`
	}{note})
	if err != nil {
		return err
	}
	_, err = sc.SaveDocumentAs(coaching.OpDecideRequest, id, coaching.DocumentChange{Kind: staffNoteKind(n), Status: "internal", Data: data, Event: "hoks_staffnote_recorded"})
	return err
}

// visible checks that the scope's actor may know of proposal p — the
// question its audit entries and notices are shown by — and fills in the
// staff's note when they may decide requests.
func visible(sc *coaching.Scope, p Proposal) (Proposal, error) {
	c, err := sc.Guard(p.CaseID, proposalKind(p.Number))
	if err != nil {
		return Proposal{}, err
	}
	p.StaffNote = ""
	ok, err := sc.Reveal(coaching.OpDecideRequest, c, "")
	if err != nil || !ok {
		return p, err
	}
	d, err := sc.ReadTx().Document(sc.Context(), p.CaseID, staffNoteKind(p.Number), 0)
	switch {
	case errors.Is(err, coaching.ErrNotFound):
		return p, nil
	case err != nil:
		return Proposal{}, err
	}
	var n struct {
		Note string `json:"note"`
	}
	if err := json.Unmarshal(d.Data, &n); err != nil {
		return Proposal{}, fmt.Errorf("hoks: stored note on proposal %d of case %s does not decode: %w", p.Number, p.CaseID, err)
	}
	p.StaffNote = n.Note
	return p, nil
}

// latestPlan reads the case's latest plan version through tx; a case
// without a plan is a *coaching.NotFoundError.
func latestPlan(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, n int64) (Version, error) {
	d, err := tx.Document(ctx, id, DocumentKind, n)
	if errors.Is(err, coaching.ErrNotFound) {
		return Version{}, &coaching.NotFoundError{Kind: "HOKS", ID: string(id)}
	}
	if err != nil {
		return Version{}, err
	}
	return decodeVersion(d)
}

// isConflict reports whether err is a *coaching.ConflictError.
func isConflict(err error) bool {
	var ce *coaching.ConflictError
	return errors.As(err, &ce)
}

// Commands.

// Propose records the student's proposal to change their plan and tells the
// team's personal tutor (each personal tutor on the case's team, in their
// language). Only the student themself proposes (propose_change, and the
// rule [RuleStudentVoice]). A concrete change must name a part of the plan
// version it is made against (in.PlanVersion, 0: the latest) — the period
// of a unit, by its current dates — and is kept with what the student saw
// there. Bad input is a *coaching.ValidationError naming every bad field;
// a case without a plan is a *coaching.NotFoundError.
func (s *Service) Propose(ctx context.Context, actor coaching.Actor, id coaching.CaseID, in ProposalInput) (Proposal, error) {
	if err := invalid("HOKS proposal", in.check()); err != nil {
		return Proposal{}, err
	}
	var change *PlanChange
	if in.Change != nil {
		c := *in.Change
		change = &c
	}
	var out Proposal
	// Two proposals written at once take the same number: the second
	// conflicts and is written again with the next one.
	for attempt := 0; ; attempt++ {
		err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
			c, err := studentVoice(sc, id)
			if err != nil {
				return err
			}
			tx := sc.ReadTx()
			latest, err := latestPlan(ctx, tx, id, 0)
			if err != nil {
				return err
			}
			pv := in.PlanVersion
			if pv == 0 {
				pv = latest.Number
			}
			if pv > latest.Number {
				return invalid("HOKS proposal", []coaching.FieldProblem{problem("plan_version", "the plan has versions 1–%d", latest.Number)})
			}
			if change != nil {
				base, err := latestPlan(ctx, tx, id, pv)
				if err != nil {
					return err
				}
				if change.Kind == ChangeGoal {
					change.GoalBefore = deref(base.Plan.CareerPlanCodeURI)
					if change.Goal == change.GoalBefore {
						return invalid("HOKS proposal", []coaching.FieldProblem{problem("change.goal", "the plan's goal is already %s", change.Goal)})
					}
				}
				if field, why := change.applies(base.Plan); why != "" {
					return invalid("HOKS proposal", []coaching.FieldProblem{problem(field, "%s (version %d)", why, pv)})
				}
			}
			n, err := lastNumber(ctx, tx, id, proposalPrefix)
			if err != nil {
				return err
			}
			now := sc.Now()
			p := Proposal{Number: n + 1, CaseID: id, Status: ProposalSubmitted, Title: in.Title, Description: in.Description,
				Change: change, PlanVersion: pv, ProposedBy: actor.ID, ProposedAt: now}
			notices, err := s.tutorNotices(c, p, now)
			if err != nil {
				return err
			}
			if err := saveProposal(sc, coaching.OpProposeChange, &p, 0, "hoks_proposal_submitted", notices); err != nil {
				return err
			}
			out, err = visible(sc, p)
			return err
		})
		if err != nil && isConflict(err) && attempt < 3 {
			continue
		}
		if err != nil {
			return Proposal{}, err
		}
		return out, nil
	}
}

// tutorNotices tells each personal tutor on the case's team of proposal p.
func (s *Service) tutorNotices(c coaching.Case, p Proposal, now time.Time) ([]coaching.Notice, error) {
	var out []coaching.Notice
	for _, m := range c.Team {
		if m.Role != coaching.RolePersonalTutor {
			continue
		}
		lang := m.Language
		if !lang.Valid() {
			lang = coaching.Finnish
		}
		num := strconv.FormatInt(p.Number, 10)
		subject, body, err := s.eng.Texts().Render(NoticeKindProposalSubmitted, lang, map[string]string{"case": string(c.ID), "number": num, "title": p.Title})
		if err != nil {
			return nil, fmt.Errorf("hoks: the proposal notice's text: %w", err)
		}
		out = append(out, coaching.Notice{ID: "hoks_proposal:" + string(c.ID) + ":" + num + ":submitted:" + m.ActorID, CaseID: c.ID,
			Kind:      NoticeKindProposalSubmitted,
			Recipient: coaching.Recipient{ID: m.ActorID, Name: m.Name, Role: m.Role, Contact: m.Contact, Language: lang},
			Subject:   subject, Body: body,
			Data:      map[string]string{"case_id": string(c.ID), "proposal": num},
			CreatedAt: now, NotBefore: now, Status: coaching.NoticePending})
	}
	return out, nil
}

// decisionNotice tells the student who made proposal p of the decision, in
// their language: to their contact details, read by the deciding actor
// under the policy's read_participant rule. A student with no e-mail
// address or phone number gets none (they see the decision with their
// proposals).
func (s *Service) decisionNotice(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, p Proposal, version int64, now time.Time) ([]coaching.Notice, error) {
	var part coaching.Participant
	err := eng.ReadCase(ctx, actor, coaching.OpReadParticipant, p.CaseID, func(v *coaching.CaseView) error {
		var err error
		part, err = v.Participant()
		return err
	})
	if err != nil {
		return nil, err
	}
	if part.Contact.Email == "" && part.Contact.Phone == "" {
		return nil, nil
	}
	lang := part.Language
	if !lang.Valid() {
		lang = coaching.Finnish
	}
	decision, ver := string(p.Status), ""
	if version > 0 {
		ver = strconv.FormatInt(version, 10)
	}
	num := strconv.FormatInt(p.Number, 10)
	subject, body, err := s.eng.Texts().Render(NoticeKindProposalDecided, lang, map[string]string{"title": p.Title, "decision": decision, "version": ver})
	if err != nil {
		return nil, fmt.Errorf("hoks: the decision notice's text: %w", err)
	}
	return []coaching.Notice{{ID: "hoks_proposal:" + string(p.CaseID) + ":" + num + ":" + decision, CaseID: p.CaseID, Kind: NoticeKindProposalDecided,
		Recipient: coaching.Recipient{ID: p.ProposedBy, Name: part.Name(), Role: coaching.RoleStudent, Contact: part.Contact, Language: lang},
		Subject:   subject, Body: body,
		Data:      map[string]string{"case_id": string(p.CaseID), "proposal": num, "decision": decision},
		CreatedAt: now, NotBefore: now, Status: coaching.NoticePending}}, nil
}

// decide runs a decision on proposal n: the decider's access, the
// proposal's version (a decision made on an older version is a
// *coaching.ConflictError, so that of two decisions at once exactly one
// wins), and the state machine's event.
func decide(ctx context.Context, sc *coaching.Scope, id coaching.CaseID, n, basedOn int64, event string, access func(*coaching.Scope, coaching.CaseID) (coaching.Case, error)) (coaching.Case, Proposal, error) {
	c, err := access(sc, id)
	if err != nil {
		return coaching.Case{}, Proposal{}, err
	}
	p, err := readProposal(ctx, sc.ReadTx(), id, n)
	if err != nil {
		return coaching.Case{}, Proposal{}, err
	}
	if _, err := sc.Guard(id, proposalKind(n)); err != nil {
		return coaching.Case{}, Proposal{}, err
	}
	if p.Version != basedOn {
		return coaching.Case{}, Proposal{}, &coaching.ConflictError{CaseID: id, Subject: "document " + proposalKind(n), Expected: basedOn, Current: p.Version}
	}
	to, err := proposalMachine.Fire(ctx, string(p.Status), event, nil)
	if err != nil {
		return coaching.Case{}, Proposal{}, err
	}
	p.Status = ProposalStatus(to)
	p.DecidedBy, p.DecidedAt = sc.Actor().ID, sc.Now()
	return c, p, nil
}

// AcceptProposal accepts proposal n into a new version of the plan, through
// the plan's lifecycle ([Service.SaveDraft], and [Service.Approve] when
// in.ApproveOn is set), so that eHOKS's rules hold: a plan the change
// would make invalid is a *PlanError, a plan whose status allows no change
// (competence reached, completed, archived) a *coaching.TransitionError.
// The change is applied to the latest version of the plan; when the part of
// the plan it names has changed since the version the proposal was made
// against, it is refused with a *StaleProposalError. The student is told of
// the decision. Only the personal tutor or study counsellor on the team or
// the head of studies decides ([RuleProposalDecider]). Everything — the
// plan's new versions, the proposal's decision, the staff's note, the
// notice — is written in one transaction, or nothing is. It returns the
// proposal and the plan's newest version.
func (s *Service) AcceptProposal(ctx context.Context, actor coaching.Actor, id coaching.CaseID, n int64, in AcceptInput) (Proposal, Version, error) {
	pr := basedOnProblems(in.BasedOn)
	if in.Change != nil {
		pr = append(pr, in.Change.check("change")...)
	}
	if in.Change != nil && in.Plan != nil {
		pr = append(pr, problem("plan", "give a change or a plan, not both"))
	}
	if in.Plan != nil && in.PlanBasedOn < 1 {
		pr = append(pr, problem("plan_based_on", "required with a plan: the version it was made from"))
	}
	if !in.ApproveOn.IsZero() && (!in.ApproveOn.Valid() || in.ApproveOn.After(s.today())) {
		pr = append(pr, problem("approve_on", "must be a date not in the future"))
	}
	pr = append(pr, noteProblems(in.Note)...)
	if err := invalid("HOKS proposal decision", pr); err != nil {
		return Proposal{}, Version{}, err
	}
	var (
		out Proposal
		ver Version
	)
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		_, p, err := decide(ctx, sc, id, n, in.BasedOn, ProposalAccept, decider)
		if err != nil {
			return err
		}
		// The plan's versions are written in the scope's transaction, by
		// the lifecycle's own commands, under the policy's change_case.
		eng := s.eng.In(sc.Tx())
		plans := &Service{eng: eng}
		cur, err := plans.Current(ctx, actor, id)
		if err != nil {
			return err
		}
		var next *Plan
		change := p.Change
		if in.Change != nil {
			c := *in.Change
			if c.Kind == ChangeGoal {
				c.GoalBefore = deref(cur.Plan.CareerPlanCodeURI)
			}
			change, p.Applied = &c, &c
		}
		switch {
		case in.Plan != nil:
			if in.PlanBasedOn != cur.Number {
				return &coaching.ConflictError{CaseID: id, Subject: "document " + DocumentKind, Expected: in.PlanBasedOn, Current: cur.Number}
			}
			next = in.Plan
		case change != nil:
			if field, why := change.applies(cur.Plan); why != "" {
				return &StaleProposalError{ConflictError: &coaching.ConflictError{CaseID: id, Subject: "plan of proposal " + strconv.FormatInt(n, 10),
					Expected: p.PlanVersion, Current: cur.Number}, Number: n, Problem: problem(field, "%s", why)}
			}
			next = cur.Plan
			change.apply(next)
		default:
			return invalid("HOKS proposal decision", []coaching.FieldProblem{problem("change",
				"the proposal names no concrete change: accept it with a change or with the plan as edited")})
		}
		if ver, err = plans.SaveDraft(ctx, actor, id, cur.Number, next); err != nil {
			return err
		}
		p.AcceptedAs = ver.Number
		if !in.ApproveOn.IsZero() {
			if ver, err = plans.Approve(ctx, actor, id, ver.Number, in.ApproveOn); err != nil {
				return err
			}
			p.ApprovedAs = ver.Number
		}
		notices, err := s.decisionNotice(ctx, eng, actor, p, ver.Number, sc.Now())
		if err != nil {
			return err
		}
		if err := saveProposal(sc, coaching.OpDecideRequest, &p, in.BasedOn, "hoks_proposal_accepted", notices); err != nil {
			return err
		}
		if err := saveNote(sc, id, n, in.Note); err != nil {
			return err
		}
		out, err = visible(sc, p)
		return err
	})
	if err != nil {
		return Proposal{}, Version{}, err
	}
	return out, ver, nil
}

// DeclineProposal declines proposal n with a reason the student sees, and
// tells them, under the rules of [Service.AcceptProposal]; the plan does
// not change.
func (s *Service) DeclineProposal(ctx context.Context, actor coaching.Actor, id coaching.CaseID, n int64, in DeclineInput) (Proposal, error) {
	pr := basedOnProblems(in.BasedOn)
	if strings.TrimSpace(in.Reason) == "" {
		pr = append(pr, problem("reason", "required: the student is told why"))
	}
	pr = append(pr, coaching.TextProblems("reason", in.Reason, 4000, true)...)
	pr = append(pr, noteProblems(in.Note)...)
	if err := invalid("HOKS proposal decision", pr); err != nil {
		return Proposal{}, err
	}
	var out Proposal
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		_, p, err := decide(ctx, sc, id, n, in.BasedOn, ProposalDecline, decider)
		if err != nil {
			return err
		}
		p.Reason = in.Reason
		notices, err := s.decisionNotice(ctx, s.eng.In(sc.Tx()), actor, p, 0, sc.Now())
		if err != nil {
			return err
		}
		if err := saveProposal(sc, coaching.OpDecideRequest, &p, in.BasedOn, "hoks_proposal_declined", notices); err != nil {
			return err
		}
		if err := saveNote(sc, id, n, in.Note); err != nil {
			return err
		}
		out, err = visible(sc, p)
		return err
	})
	if err != nil {
		return Proposal{}, err
	}
	return out, nil
}

// WithdrawProposal withdraws the student's open proposal n (basedOn: its
// version, as for a decision). Only the student themself withdraws
// ([RuleStudentVoice]).
func (s *Service) WithdrawProposal(ctx context.Context, actor coaching.Actor, id coaching.CaseID, n, basedOn int64) (Proposal, error) {
	if err := invalid("HOKS proposal withdrawal", basedOnProblems(basedOn)); err != nil {
		return Proposal{}, err
	}
	var out Proposal
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		_, p, err := decide(ctx, sc, id, n, basedOn, ProposalWithdraw, studentVoice)
		if err != nil {
			return err
		}
		if err := saveProposal(sc, coaching.OpProposeChange, &p, basedOn, "hoks_proposal_withdrawn", nil); err != nil {
			return err
		}
		out, err = visible(sc, p)
		return err
	})
	if err != nil {
		return Proposal{}, err
	}
	return out, nil
}

// Proposal returns proposal n of the case, as the actor may see it: the
// student, the support team and the head of studies (read_requests and
// read_hoks); the staff's note only for staff who may decide.
func (s *Service) Proposal(ctx context.Context, actor coaching.Actor, id coaching.CaseID, n int64) (Proposal, error) {
	var out Proposal
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if _, err := reader(sc, id); err != nil {
			return err
		}
		p, err := readProposal(ctx, sc.ReadTx(), id, n)
		if err != nil {
			return err
		}
		out, err = visible(sc, p)
		return err
	})
	if err != nil {
		return Proposal{}, err
	}
	return out, nil
}

// Proposals returns the case's proposals, oldest first, under the rule of
// [Service.Proposal].
func (s *Service) Proposals(ctx context.Context, actor coaching.Actor, id coaching.CaseID) ([]Proposal, error) {
	var out []Proposal
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if _, err := reader(sc, id); err != nil {
			return err
		}
		for n := int64(1); ; n++ {
			p, err := readProposal(ctx, sc.ReadTx(), id, n)
			if errors.Is(err, coaching.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if p, err = visible(sc, p); err != nil {
				return err
			}
			out = append(out, p)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Comment records the student's comment on their plan (or on one of their
// proposals, in.Proposal). Only the student themself comments
// ([RuleStudentVoice]); the comment is audited and shown to the team
// ([Service.Comments]).
func (s *Service) Comment(ctx context.Context, actor coaching.Actor, id coaching.CaseID, in CommentInput) (Comment, error) {
	var pr []coaching.FieldProblem
	if strings.TrimSpace(in.Text) == "" {
		pr = append(pr, problem("text", "required"))
	}
	pr = append(pr, coaching.TextProblems("text", in.Text, 4000, true)...)
	if in.Proposal < 0 {
		pr = append(pr, problem("proposal", "must not be negative"))
	}
	if err := invalid("HOKS comment", pr); err != nil {
		return Comment{}, err
	}
	var out Comment
	for attempt := 0; ; attempt++ {
		err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
			if _, err := studentVoice(sc, id); err != nil {
				return err
			}
			tx := sc.ReadTx()
			latest, err := latestPlan(ctx, tx, id, 0)
			if err != nil {
				return err
			}
			if in.Proposal > 0 {
				if _, err := readProposal(ctx, tx, id, in.Proposal); errors.Is(err, coaching.ErrNotFound) {
					return invalid("HOKS comment", []coaching.FieldProblem{problem("proposal", "the plan has no proposal %d", in.Proposal)})
				} else if err != nil {
					return err
				}
			}
			n, err := lastNumber(ctx, tx, id, commentPrefix)
			if err != nil {
				return err
			}
			cm := Comment{Number: n + 1, CaseID: id, Text: in.Text, Proposal: in.Proposal, PlanVersion: latest.Number, By: actor.ID, At: sc.Now()}
			data, err := json.Marshal(cm)
			if err != nil {
				return err
			}
			if _, err := sc.SaveDocumentAs(coaching.OpProposeChange, id, coaching.DocumentChange{Kind: commentKind(cm.Number), Status: "comment", Data: data,
				Event: "hoks_comment_added", Reason: "comment " + strconv.FormatInt(cm.Number, 10) + " on the plan"}); err != nil {
				return err
			}
			if _, err := sc.Guard(id, commentKind(cm.Number)); err != nil {
				return err
			}
			out = cm
			return nil
		})
		if err != nil && isConflict(err) && attempt < 3 {
			continue
		}
		if err != nil {
			return Comment{}, err
		}
		return out, nil
	}
}

// Comments returns the comments on the case's plan, oldest first, under
// the rule of [Service.Proposal].
func (s *Service) Comments(ctx context.Context, actor coaching.Actor, id coaching.CaseID) ([]Comment, error) {
	var out []Comment
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if _, err := reader(sc, id); err != nil {
			return err
		}
		for n := int64(1); ; n++ {
			d, err := sc.ReadTx().Document(ctx, id, commentKind(n), 0)
			if errors.Is(err, coaching.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if _, err := sc.Guard(id, commentKind(n)); err != nil {
				return err
			}
			var cm Comment
			if err := json.Unmarshal(d.Data, &cm); err != nil {
				return fmt.Errorf("hoks: stored comment %d of case %s does not decode: %w", n, id, err)
			}
			out = append(out, cm)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// openProposals returns the titles of the case's open proposals, oldest
// first, for the plan's summary: read after the policy allowed the actor
// read_hoks_summary, and nothing of a proposal but its title.
func (s *Service) openProposals(ctx context.Context, actor coaching.Actor, id coaching.CaseID) ([]string, error) {
	var titles []string
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if _, err := sc.Case(coaching.OpReadHOKSSummary, id); err != nil {
			return err
		}
		for n := int64(1); ; n++ {
			p, err := readProposal(ctx, sc.ReadTx(), id, n)
			if errors.Is(err, coaching.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if p.Status.Open() {
				titles = append(titles, p.Title)
			}
		}
	})
	return titles, err
}
