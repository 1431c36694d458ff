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
	// RuleOwnProposal: nobody decides a proposal they made themselves, nor
	// one to their own plan (an actor who is both the student and staff).
	RuleOwnProposal = "hoks_own_proposal"
)

// MaxOpenProposals is how many proposals a plan may have awaiting a
// decision at once: [Service.Propose] refuses the next one (a
// *coaching.ValidationError naming open_proposals) until one is decided
// or withdrawn, so that neither the personal tutor's inbox nor the
// guardians' summary fills up.
const MaxOpenProposals = 10

// MaxKeys is how many of a case's latest keyed proposals, and of its
// latest keyed comments, a repeated [Service.Propose] or [Service.Comment]
// is recognised by ([ProposalInput].Key, [CommentInput].Key): a repeat
// comes within seconds or minutes, long before fifty more.
const MaxKeys = 50

// deciderRoles are the team roles that decide the student's proposals to
// their plan (besides the head of studies).
var deciderRoles = []coaching.Role{coaching.RolePersonalTutor, coaching.RoleStudyCounsellor}

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

// The proposal machine's events.
const (
	proposalAccept   = "accept"
	proposalDecline  = "decline"
	proposalWithdraw = "withdraw"
)

// proposalMachine is the proposal's state machine.
var proposalMachine = coaching.MustMachine(string(ProposalSubmitted), []coaching.Edge{
	{Event: proposalAccept, From: []string{string(ProposalSubmitted)}, To: string(ProposalAccepted)},
	{Event: proposalDecline, From: []string{string(ProposalSubmitted)}, To: string(ProposalDeclined)},
	{Event: proposalWithdraw, From: []string{string(ProposalSubmitted)}, To: string(ProposalWithdrawn)},
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

func number(n int64) string        { return strconv.FormatInt(n, 10) }
func proposalKind(n int64) string  { return proposalPrefix + number(n) }
func commentKind(n int64) string   { return commentPrefix + number(n) }
func staffNoteKind(n int64) string { return staffNotePrefix + number(n) }

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
// commands fail before anything is written. The families are private: the
// generic document read (coaching.CaseView.Document) refuses them, and
// their audit entries and notices are shown only to those who may read the
// family's requests.
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
//     on the team are refused by [RuleProposalDecider], and nobody decides
//     a proposal they made or one to their own plan ([RuleOwnProposal]).
//   - read (read_requests, and read_hoks: a proposal is part of the plan):
//     the student, the school's staff on the support team and the head of
//     studies — never a workplace instructor or a peer coach on the team,
//     who may be the very person a student's proposal is about. The
//     policy refuses them read_requests, and the proposals' documents,
//     audit entries, notices and the summary's titles are all guarded by
//     it.
type Proposal struct {
	// Number counts the case's proposals from 1.
	Number int64           `json:"number"`
	CaseID coaching.CaseID `json:"case_id"`
	Status ProposalStatus  `json:"status"`
	// Version is the version of the proposal's own document: pass it as
	// the BasedOn of a decision or a withdrawal, so that of two people
	// acting at once one wins and the other gets a *coaching.ConflictError.
	// It is not stored in the document's data (the document's version is
	// the truth).
	Version int64 `json:"version,omitempty"`
	// Title is a one-line heading; the plan's summary shows it to the
	// guardians of a minor (and to everyone else who may read the family's
	// requests) while the proposal is open.
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
	// AppliedChanges are what the acceptance changed in the plan, one
	// line each ([Change.String]): the proposed change, the tutor's
	// adjustment or the plan as the tutor edited it. Empty when the plan
	// already was as accepted (no version was written).
	AppliedChanges []string `json:"applied_changes,omitempty"`
	// AcceptedAs is the plan version the accepted change was saved as (a
	// draft, or an update awaiting approval) — the latest version when
	// the plan already was as accepted; ApprovedAs the version that
	// approved it, when the tutor approved it at once.
	AcceptedAs int64 `json:"accepted_as,omitempty"`
	ApprovedAs int64 `json:"approved_as,omitempty"`
	// Key is the student's idempotency key ([ProposalInput].Key), if they
	// gave one.
	Key string `json:"key,omitempty"`
	// StaffNote is the staff's internal note on the decision: filled in
	// only for a reader the policy allows decide_request (the school's
	// staff on the team, the head of studies), never for the student or a
	// guardian. It is stored apart, never in the proposal's document.
	StaffNote string `json:"staff_note,omitempty"`
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
	// Key is the student's idempotency key ([CommentInput].Key), if they
	// gave one.
	Key string `json:"key,omitempty"`
}

// storedComment is a comment as stored: with the keys of the case's last
// [MaxKeys] keyed comments, its own included, oldest first — the ledger a
// repeated [Service.Comment] is recognised by, which it reads from the
// latest comment in its one transaction, so that two comments at once
// with one key (both numbered next) conflict and the second, run again,
// finds the first.
type storedComment struct {
	Comment
	Keys []commentKey `json:"keys,omitempty"`
}

// commentKey is one keyed comment: its submitter's key and its number.
type commentKey struct {
	Key    string `json:"key"`
	By     string `json:"by"`
	Number int64  `json:"number"`
}

// ProposalInput is a student's proposal.
type ProposalInput struct {
	// Title is required: one line, at most 200 bytes. The guardians of a
	// minor see it in the plan's [Summary] while the proposal is open, and
	// the personal tutor in the notice of it.
	Title string
	// Description is free text, at most 4000 bytes; required when there is
	// no Change.
	Description string
	// Change is the concrete change proposed, if any. A schedule change
	// must not move a period into the past: its new dates are today or
	// later (an ongoing period keeps its start).
	Change *PlanChange
	// PlanVersion is the version of the plan the student read; 0 means
	// the latest.
	PlanVersion int64
	// Key makes the submission safe to repeat (an idempotency key: a
	// form's hidden token, a client's request id), so that a double click,
	// a resent form or a retry after a timeout does not record it twice:
	// a call whose Key is that of one of the case's last [MaxKeys] keyed
	// proposals the same actor made records nothing and returns that proposal as
	// it is now; the same Key with other content is a
	// *coaching.ValidationError naming key. Keys are the submitter's own.
	// Empty: every call records one. At most 100 bytes, printable.
	Key string
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
	// Approve approves the new version at once, today; otherwise it
	// awaits approval (a draft stays a draft, an approved plan becomes an
	// update). It is refused (a *coaching.ValidationError naming approve)
	// while the plan has changes by someone else awaiting approval: those
	// are reviewed and approved apart ([Service.Approve]).
	Approve bool
	// Note is the staff's internal note (at most 4000 bytes): never shown
	// to the student or the guardians. It is read by the school's staff on
	// the team: never write welfare information (opiskeluhuolto) in it.
	Note string
}

// WithdrawInput is the student's withdrawal of their open proposal.
type WithdrawInput struct {
	// BasedOn is the proposal's version the student saw. Required.
	BasedOn int64
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
	// Key makes the submission safe to repeat (an idempotency key: a
	// form's hidden token, a client's request id), so that a double click,
	// a resent form or a retry after a timeout does not record it twice:
	// a call whose Key is that of one of the case's last [MaxKeys] keyed
	// comments the same actor made records nothing and returns that comment as
	// it is now; the same Key with other content is a
	// *coaching.ValidationError naming key. Keys are the submitter's own.
	// Empty: every call records one. At most 100 bytes, printable.
	Key string
}

// StaleProposalError refuses an acceptance whose proposed change no
// longer applies: the plan has moved on since the version the proposal
// was made against, and the part of it the change names is no longer as
// the student saw it (the period's dates, its kind, its identifier or its
// workplace; the goal). Retrying does not help: errors.As finds its
// *coaching.ValidationError (it matches coaching.ErrInvalid), naming the
// change's field. The tutor can accept with an adjusted change made
// against the latest version (AcceptInput.Change), or decline. A proposal
// whose part of the plan is unchanged is applied to the latest version
// without this error, however far the plan has moved on.
type StaleProposalError struct {
	*coaching.ValidationError
	CaseID coaching.CaseID
	// Number is the proposal's.
	Number int64
	// PlanVersion is the version the proposal was made against, Current
	// the plan's latest.
	PlanVersion, Current int64
	// Problem names the change's field and what no longer matches.
	Problem coaching.FieldProblem
}

// Error says what no longer matches.
func (e *StaleProposalError) Error() string {
	return fmt.Sprintf("hoks: proposal %d of case %q was made against version %d of the plan, now at version %d, and no longer applies: %s: %s",
		e.Number, e.CaseID, e.PlanVersion, e.Current, e.Problem.Field, e.Problem.Message)
}

// Unwrap returns the validation error.
func (e *StaleProposalError) Unwrap() error { return e.ValidationError }

// ProposalDocuments returns [Documents]: the plan's family and those of
// the proposals.
//
// Deprecated: use Documents. ProposalDocuments once returned the
// proposals' families alone; it returns the plan's too, so that a host
// that registers it keeps the plan guarded.
func ProposalDocuments() []coaching.DocumentKind { return Documents() }

// proposalDocuments returns the document families of the student's
// proposals and comments: proposals and
// comments ("hoks_proposal_", "hoks_comment_") are guarded by the policy's
// read_requests rule, so that their audit entries and notices reach only
// those who may read the family's requests (not a workplace instructor or
// a peer coach on the team); the staff's notes on decisions
// ("hoks_staffnote_") by decide_request, so that the student and the
// guardians never see them, nor their audit entries. All three are
// private (the generic CaseView.Document read refuses them: who may read
// what of them is the [Service]'s to say) and reserved (written only
// through the [Service]'s commands).
func proposalDocuments() []coaching.DocumentKind {
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
		{Prefix: proposalPrefix, Guard: coaching.OpReadRequests, Reserved: true, Private: true, Facts: facts,
			Notices: []string{NoticeKindProposalSubmitted, NoticeKindProposalDecided}, Events: []string{"hoks_proposal_"}},
		{Prefix: commentPrefix, Guard: coaching.OpReadRequests, Reserved: true, Private: true, Facts: facts, Events: []string{"hoks_comment_"}},
		{Prefix: staffNotePrefix, Guard: coaching.OpDecideRequest, Reserved: true, Private: true, Events: []string{"hoks_staffnote_"}},
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

func (in *ProposalInput) check(today coaching.Date) []coaching.FieldProblem {
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
		pr = append(pr, in.Change.pastProblems("change", today)...)
	}
	if in.PlanVersion < 0 {
		pr = append(pr, problem("plan_version", "must not be negative"))
	}
	pr = append(pr, coaching.TextProblems("key", in.Key, 100, false)...)
	return pr
}

// same reports whether p is what in asks for (in checked): a repeat of
// the proposal with its key. The change is compared by what the student
// gave, not by what Propose filled in from the plan.
func (p Proposal) same(in ProposalInput) bool {
	given := func(c *PlanChange) *PlanChange {
		if c == nil {
			return nil
		}
		g := *c
		g.GoalBefore, g.Period = "", nil
		return &g
	}
	a, b := given(p.Change), given(in.Change)
	return p.Title == in.Title && p.Description == in.Description && (in.PlanVersion == 0 || in.PlanVersion == p.PlanVersion) &&
		(a == nil) == (b == nil) && (a == nil || *a == *b)
}

// keyRefused refuses a key used already for other content.
func keyRefused(subject, what string) error {
	return invalid(subject, []coaching.FieldProblem{problem("key",
		"already used for %s, which said something else: a new %s needs a new key", what, subject)})
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

// self reports whether the scope's actor is case c's student themself, as
// the policy sees it (coaching.Participant.IsStudent).
func self(sc *coaching.Scope, c coaching.Case) (bool, error) {
	a := sc.Actor()
	if !a.HasRole(coaching.RoleStudent) {
		return false, nil
	}
	p, err := sc.ReadTx().Participant(sc.Context(), c.Organisation, c.ParticipantID)
	if errors.Is(err, coaching.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return p.IsStudent(a), nil
}

// studentVoice reads case id for the scope's actor after the policy allowed
// propose_change on it and the actor is the case's student themself.
func studentVoice(sc *coaching.Scope, id coaching.CaseID) (coaching.Case, error) {
	c, err := sc.Case(coaching.OpProposeChange, id)
	if err != nil {
		return coaching.Case{}, err
	}
	if me, err := self(sc, c); err != nil {
		return coaching.Case{}, err
	} else if !me {
		return coaching.Case{}, sc.DenyCase(coaching.OpProposeChange, c, RuleStudentVoice,
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
	if !decides(sc.Actor(), c) {
		return coaching.Case{}, sc.DenyCase(coaching.OpDecideRequest, c, RuleProposalDecider,
			"a proposal to the plan is decided by the student's personal tutor or study counsellor, or the head of studies")
	}
	return c, nil
}

// decides reports whether a is one who decides proposals to case c's
// plan: the head of studies, or the personal tutor or study counsellor on
// its team (in that role).
func decides(a coaching.Actor, c coaching.Case) bool {
	ok := a.HasRole(coaching.RoleHeadOfStudies)
	for _, m := range c.Team {
		ok = ok || m.ActorID == a.ID && slices.Contains(deciderRoles, m.Role) && a.HasRole(m.Role)
	}
	return ok
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
		_, err := tx.Document(ctx, id, prefix+number(n), 0)
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
	d, p, err := coaching.ReadDocumentJSON[Proposal](ctx, tx, id, proposalPrefix, number(n), "HOKS proposal")
	if err != nil {
		return Proposal{}, err
	}
	p.Version, p.StaffNote = d.Version, ""
	return p, nil
}

// proposals reads the case's proposals through tx, oldest first.
func proposals(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID) ([]Proposal, error) {
	var out []Proposal
	for n := int64(1); ; n++ {
		p, err := readProposal(ctx, tx, id, n)
		if errors.Is(err, coaching.ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
}

// saveProposal stores p as the next version of its document. The audit
// entry names the proposal's number and status, never its text.
func saveProposal(sc *coaching.Scope, op coaching.Operation, p *Proposal, basedOn int64, notices []coaching.Notice) error {
	stored := *p
	stored.Version, stored.StaffNote = 0, "" // the document's own version; the note is stored apart
	data, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	d, err := sc.SaveDocumentAs(op, p.CaseID, coaching.DocumentChange{Kind: proposalKind(p.Number), BasedOn: basedOn, Status: string(p.Status),
		Data: data, Event: "hoks_proposal_" + string(p.Status), Reason: "proposal " + number(p.Number) + " to the plan", Notices: notices})
	if err != nil {
		return err
	}
	p.Version = d.Version
	return nil
}

// store saves p (made from its version basedOn, under op, with its
// notices) and the staff's note on it, and returns it as the scope's
// actor sees it.
func store(sc *coaching.Scope, op coaching.Operation, p Proposal, basedOn int64, notices []coaching.Notice, note string) (Proposal, error) {
	if err := saveProposal(sc, op, &p, basedOn, notices); err != nil {
		return Proposal{}, err
	}
	if err := saveNote(sc, p.CaseID, p.Number, note); err != nil {
		return Proposal{}, err
	}
	return visible(sc, p)
}

// staffNote is the stored staff's note on a decision.
type staffNote struct {
	Note string `json:"note"`
}

// saveNote stores the staff's note on proposal n's decision.
func saveNote(sc *coaching.Scope, id coaching.CaseID, n int64, note string) error {
	if note == "" {
		return nil
	}
	data, err := json.Marshal(staffNote{note})
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
	_, n, err := coaching.ReadDocumentJSON[staffNote](sc.Context(), sc.ReadTx(), p.CaseID, staffNotePrefix, number(p.Number), "HOKS staff note")
	switch {
	case errors.Is(err, coaching.ErrNotFound):
		return p, nil
	case err != nil:
		return Proposal{}, err
	}
	p.StaffNote = n.Note
	return p, nil
}

// latestPlan reads the case's plan version n (0: the latest) through tx; a
// case without a plan is a *coaching.NotFoundError.
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

// Commands.

// Propose records the student's proposal to change their plan and tells the
// team's personal tutor (each personal tutor on the case's team, in their
// language). Only the student themself proposes (propose_change, and the
// rule [RuleStudentVoice]), to a plan that can still change (a plan whose
// competence was reached, or that is completed or archived, refuses with a
// *coaching.TransitionError), and with at most [MaxOpenProposals] open. A
// concrete change must name a part of the plan version it is made against
// (in.PlanVersion, 0: the latest) — the period of a unit, by its current
// dates — and is kept with what the student saw there (the period's kind,
// identifier and workplace: [PlanChange.Period]). Bad input is a
// *coaching.ValidationError naming every bad field; a case without a plan
// is a *coaching.NotFoundError.
func (s *Service) Propose(ctx context.Context, actor coaching.Actor, id coaching.CaseID, in ProposalInput) (Proposal, error) {
	if err := invalid("HOKS proposal", in.check(s.today())); err != nil {
		return Proposal{}, err
	}
	var out Proposal
	err := coaching.WriteRetrying(ctx, s.eng, actor, func(sc *coaching.Scope) error {
		c, err := studentVoice(sc, id)
		if err != nil {
			return err
		}
		tx := sc.ReadTx()
		latest, err := latestPlan(ctx, tx, id, 0)
		if err != nil {
			return err
		}
		ps, err := proposals(ctx, tx, id)
		if err != nil {
			return err
		}
		if first, ok := keyed(ps, actor.ID, in.Key); ok {
			if !first.same(in) {
				return keyRefused("HOKS proposal", "proposal "+number(first.Number))
			}
			// A repeat: the first proposal answers it, whatever
			// became of it or of the plan since.
			out, err = visible(sc, first)
			return err
		}
		if latest.Status != StatusDraft && latest.Status != StatusUpdated {
			if _, err := next(latest.Status, ActionRevise); err != nil {
				return err
			}
		}
		pv := in.PlanVersion
		if pv == 0 {
			pv = latest.Number
		}
		if pv > latest.Number {
			return invalid("HOKS proposal", []coaching.FieldProblem{problem("plan_version", "the plan has versions 1–%d", latest.Number)})
		}
		var change *PlanChange
		if in.Change != nil {
			cp := *in.Change
			change = &cp
			base, err := latestPlan(ctx, tx, id, pv)
			if err != nil {
				return err
			}
			if pr := change.seen(base.Plan); pr != nil {
				return invalid("HOKS proposal", []coaching.FieldProblem{problem(pr.Field, "%s (version %d)", pr.Message, pv)})
			}
		}
		if open := len(slices.DeleteFunc(slices.Clone(ps), func(p Proposal) bool { return !p.Status.Open() })); open >= MaxOpenProposals {
			return invalid("HOKS proposal", []coaching.FieldProblem{problem("open_proposals",
				"the plan has %d proposals awaiting a decision, the most it may have: withdraw one or wait for the decisions", open)})
		}
		now := sc.Now()
		p := Proposal{Number: int64(len(ps)) + 1, CaseID: id, Status: ProposalSubmitted, Title: in.Title, Description: in.Description,
			Change: change, PlanVersion: pv, ProposedBy: actor.ID, ProposedAt: now, Key: in.Key}
		out, err = store(sc, coaching.OpProposeChange, p, 0, s.tutorNotices(c, p, now), "")
		return err
	})
	if err != nil {
		return Proposal{}, err
	}
	return out, nil
}

// keyed returns the proposal of the last MaxKeys keyed ones of ps that
// actor made with key (false: none, or no key).
func keyed(ps []Proposal, actor, key string) (Proposal, bool) {
	if key == "" {
		return Proposal{}, false
	}
	seen := 0
	for i := len(ps) - 1; i >= 0 && seen < MaxKeys; i-- {
		if ps[i].Key == "" {
			continue
		}
		seen++
		if ps[i].Key == key && ps[i].ProposedBy == actor {
			return ps[i], true
		}
	}
	return Proposal{}, false
}

// tutorNotices tells each personal tutor on the case's team of proposal p.
func (s *Service) tutorNotices(c coaching.Case, p Proposal, now time.Time) []coaching.Notice {
	var out []coaching.Notice
	num := number(p.Number)
	for _, m := range c.Team {
		if m.Role != coaching.RolePersonalTutor {
			continue
		}
		r := m.Recipient()
		subject, body := s.eng.Texts().RenderNotice(NoticeKindProposalSubmitted, r.Language, map[string]string{"case": string(c.ID), "number": num, "title": p.Title})
		out = append(out, coaching.Notice{ID: "hoks_proposal:" + string(c.ID) + ":" + num + ":submitted:" + m.ActorID, CaseID: c.ID,
			Kind: NoticeKindProposalSubmitted, Recipient: r, Subject: subject, Body: body,
			Data:      map[string]string{"case_id": string(c.ID), "proposal": num},
			CreatedAt: now, NotBefore: now, Status: coaching.NoticePending})
	}
	return out
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
		ver = number(version)
	}
	num := number(p.Number)
	subject, body := s.eng.Texts().RenderNotice(NoticeKindProposalDecided, lang, map[string]string{"title": p.Title, "decision": decision, "version": ver})
	return []coaching.Notice{{ID: "hoks_proposal:" + string(p.CaseID) + ":" + num + ":" + decision, CaseID: p.CaseID, Kind: NoticeKindProposalDecided,
		Recipient: coaching.Recipient{ID: p.ProposedBy, Name: part.Name(), Role: coaching.RoleStudent, Contact: part.Contact, Language: lang},
		Subject:   subject, Body: body,
		Data:      map[string]string{"case_id": string(p.CaseID), "proposal": num, "decision": decision},
		CreatedAt: now, NotBefore: now, Status: coaching.NoticePending}}, nil
}

// decide runs event on proposal n in one write transaction: the actor's
// access (the student's own withdrawal, or a decider's decision — never
// on a proposal of their own), the proposal's version (a decision made on
// an older version is a *coaching.ConflictError, so that of two decisions
// at once exactly one wins) and the state machine's event; then apply's
// part (its notices), the proposal's new version and the staff's note.
func (s *Service) decide(ctx context.Context, actor coaching.Actor, id coaching.CaseID, n, basedOn int64, event, note string,
	apply func(sc *coaching.Scope, p *Proposal) ([]coaching.Notice, error)) (Proposal, error) {
	access, op := decider, coaching.OpDecideRequest
	if event == proposalWithdraw {
		access, op = studentVoice, coaching.OpProposeChange
	}
	var out Proposal
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		c, err := access(sc, id)
		if err != nil {
			return err
		}
		p, err := readProposal(ctx, sc.ReadTx(), id, n)
		if err != nil {
			return err
		}
		if _, err := sc.Guard(id, proposalKind(n)); err != nil {
			return err
		}
		me, err := self(sc, c)
		if err != nil {
			return err
		}
		if op == coaching.OpDecideRequest && (p.ProposedBy == actor.ID || me) {
			return sc.DenyCase(op, c, RuleOwnProposal, "nobody decides a proposal they made, or one to their own plan")
		}
		if p.Version != basedOn {
			return &coaching.ConflictError{CaseID: id, Subject: "document " + proposalKind(n), Expected: basedOn, Current: p.Version}
		}
		to, err := proposalMachine.Fire(ctx, string(p.Status), event, nil)
		if err != nil {
			return err
		}
		p.Status = ProposalStatus(to)
		p.DecidedBy, p.DecidedAt = actor.ID, sc.Now()
		var notices []coaching.Notice
		if apply != nil {
			if notices, err = apply(sc, &p); err != nil {
				return err
			}
		}
		out, err = store(sc, op, p, basedOn, notices, note)
		return err
	})
	if err != nil {
		return Proposal{}, err
	}
	return out, nil
}

// othersPending refuses to approve the plan at once while a version not
// yet approved — the latest and those it continues since the last
// approval — was saved by someone other than actor: the decider would
// approve changes they have not reviewed.
func othersPending(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, actor string) error {
	ds, err := tx.Documents(ctx, id, DocumentKind)
	if err != nil {
		return err
	}
	for i := len(ds) - 1; i >= 0; i-- {
		st := Status(ds[i].Status)
		if st != StatusDraft && st != StatusUpdated {
			return nil
		}
		if ds[i].By != actor {
			return invalid("HOKS proposal decision", []coaching.FieldProblem{problem("approve",
				"version %d of the plan, saved by %s, awaits approval: review and approve it apart, or accept without approving", ds[i].Version, ds[i].By)})
		}
	}
	return nil
}

// AcceptProposal accepts proposal n into a new version of the plan, through
// the plan's lifecycle ([Service.SaveDraft], and [Service.Approve] today
// when in.Approve is set), so that eHOKS's rules hold: a plan the change
// would make invalid is a *PlanError, a plan whose status allows no change
// (competence reached, completed, archived) a *coaching.TransitionError.
// The change is applied to the latest version of the plan; when the part of
// the plan it names has changed since the version the proposal was made
// against, it is refused with a *StaleProposalError; a change of the
// tutor's own (in.Change) that does not apply to the latest version is a
// *coaching.ValidationError naming it. When the plan already is as
// accepted, no version is written (AcceptedAs is the latest). The student
// is told of the decision. Only the personal tutor or study counsellor on
// the team or the head of studies decides ([RuleProposalDecider]), never
// on a proposal of their own ([RuleOwnProposal]). Everything — the plan's
// new versions, the proposal's decision, the staff's note, the notice —
// is written in one transaction, or nothing is. It returns the proposal
// and the plan's newest version.
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
	pr = append(pr, noteProblems(in.Note)...)
	if err := invalid("HOKS proposal decision", pr); err != nil {
		return Proposal{}, Version{}, err
	}
	var ver Version
	out, err := s.decide(ctx, actor, id, n, in.BasedOn, proposalAccept, in.Note, func(sc *coaching.Scope, p *Proposal) ([]coaching.Notice, error) {
		// The plan's versions are written in the scope's transaction, by
		// the lifecycle's own commands, under the policy's change_hoks
		// (and approve_hoks when the tutor approves the result).
		eng := s.eng.In(sc.Tx())
		plans := &Service{eng: eng}
		cur, err := plans.Current(ctx, actor, id)
		if err != nil {
			return nil, err
		}
		before, err := latestPlan(ctx, sc.ReadTx(), id, cur.Number) // a copy the change leaves as it is
		if err != nil {
			return nil, err
		}
		if in.Approve {
			if err := othersPending(ctx, sc.ReadTx(), id, actor.ID); err != nil {
				return nil, err
			}
		}
		next := cur.Plan
		switch {
		case in.Plan != nil:
			if in.PlanBasedOn != cur.Number {
				return nil, &coaching.ConflictError{CaseID: id, Subject: "document " + DocumentKind, Expected: in.PlanBasedOn, Current: cur.Number}
			}
			next = in.Plan
		case in.Change != nil:
			c := *in.Change
			c.Period, c.GoalBefore = nil, "" // the tutor's change names the period as the latest version has it
			if c.Kind == ChangeGoal {
				c.GoalBefore = deref(cur.Plan.CareerPlanCodeURI)
			}
			if field, why := c.applies(cur.Plan); why != "" {
				return nil, invalid("HOKS proposal decision", []coaching.FieldProblem{problem(field, "%s (the latest version, %d)", why, cur.Number)})
			}
			c.apply(next)
			p.Applied = &c
		case p.Change != nil:
			if field, why := p.Change.applies(cur.Plan); why != "" {
				pr := problem(field, "%s", why)
				return nil, &StaleProposalError{ValidationError: &coaching.ValidationError{Subject: "HOKS proposal " + number(n), Problems: []coaching.FieldProblem{pr}},
					CaseID: id, Number: n, PlanVersion: p.PlanVersion, Current: cur.Number, Problem: pr}
			}
			p.Change.apply(next)
		default:
			return nil, invalid("HOKS proposal decision", []coaching.FieldProblem{problem("change",
				"the proposal names no concrete change: accept it with a change or with the plan as edited")})
		}
		ver = cur
		p.AppliedChanges = nil
		if changes := Diff(before.Plan, next); len(changes) > 0 {
			if ver, err = plans.SaveDraft(ctx, actor, id, cur.Number, next); err != nil {
				return nil, err
			}
			for _, ch := range changes {
				p.AppliedChanges = append(p.AppliedChanges, ch.String())
			}
		}
		p.AcceptedAs = ver.Number
		if in.Approve && (ver.Status == StatusDraft || ver.Status == StatusUpdated) {
			if ver, err = plans.Approve(ctx, actor, id, ver.Number, coaching.DateOf(sc.Now())); err != nil {
				return nil, err
			}
			p.ApprovedAs = ver.Number
		}
		return s.decisionNotice(ctx, eng, actor, *p, ver.Number, sc.Now())
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
	return s.decide(ctx, actor, id, n, in.BasedOn, proposalDecline, in.Note, func(sc *coaching.Scope, p *Proposal) ([]coaching.Notice, error) {
		p.Reason = in.Reason
		return s.decisionNotice(ctx, s.eng.In(sc.Tx()), actor, *p, 0, sc.Now())
	})
}

// WithdrawProposal withdraws the student's open proposal n. Only the
// student themself withdraws ([RuleStudentVoice]).
func (s *Service) WithdrawProposal(ctx context.Context, actor coaching.Actor, id coaching.CaseID, n int64, in WithdrawInput) (Proposal, error) {
	if err := invalid("HOKS proposal withdrawal", basedOnProblems(in.BasedOn)); err != nil {
		return Proposal{}, err
	}
	return s.decide(ctx, actor, id, n, in.BasedOn, proposalWithdraw, "", nil)
}

// readAs runs read in a read scope after the policy allowed the actor to
// read the case's proposals (read_requests and read_hoks).
func readAs[T any](ctx context.Context, s *Service, actor coaching.Actor, id coaching.CaseID, read func(sc *coaching.Scope) (T, error)) (T, error) {
	var out T
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if _, err := reader(sc, id); err != nil {
			return err
		}
		var err error
		out, err = read(sc)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// Proposal returns proposal n of the case, as the actor may see it: the
// student, the school's staff on the support team and the head of studies
// (read_requests and read_hoks); the staff's note only for those who may
// decide requests.
func (s *Service) Proposal(ctx context.Context, actor coaching.Actor, id coaching.CaseID, n int64) (Proposal, error) {
	return readAs(ctx, s, actor, id, func(sc *coaching.Scope) (Proposal, error) {
		p, err := readProposal(ctx, sc.ReadTx(), id, n)
		if err != nil {
			return Proposal{}, err
		}
		return visible(sc, p)
	})
}

// Proposals returns the case's proposals, oldest first, under the rule of
// [Service.Proposal].
func (s *Service) Proposals(ctx context.Context, actor coaching.Actor, id coaching.CaseID) ([]Proposal, error) {
	return readAs(ctx, s, actor, id, func(sc *coaching.Scope) ([]Proposal, error) {
		ps, err := proposals(ctx, sc.ReadTx(), id)
		for i := range ps {
			if err != nil {
				break
			}
			ps[i], err = visible(sc, ps[i])
		}
		return ps, err
	})
}

// MayDecide reports whether actor may decide proposals to the case's plan
// as [Service.AcceptProposal] and [Service.DeclineProposal] check it
// before they look at the proposal: the policy's decide_request, the rule
// [RuleProposalDecider], and not the actor's own plan ([RuleOwnProposal];
// a proposal the actor made themself is refused when decided). It is for
// an interface deciding whether to offer the decision: asking is no
// denial, so a false is neither an error nor an access-log entry. An
// actor who may not read the case's proposals gets the error
// [Service.Proposals] would (a *coaching.ForbiddenError; another
// organisation's case is answered as one that does not exist).
func (s *Service) MayDecide(ctx context.Context, actor coaching.Actor, id coaching.CaseID) (bool, error) {
	ok := false
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		c, err := reader(sc, id)
		if err != nil {
			return err
		}
		if !sc.MayRead(coaching.OpDecideRequest, c) || !decides(actor, c) {
			return nil
		}
		me, err := self(sc, c)
		ok = err == nil && !me
		return err
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}

// Comment records the student's comment on their plan (or on one of their
// proposals, in.Proposal). Only the student themself comments
// ([RuleStudentVoice]); the comment is audited and shown to those who read
// the proposals ([Service.Comments]).
func (s *Service) Comment(ctx context.Context, actor coaching.Actor, id coaching.CaseID, in CommentInput) (Comment, error) {
	var pr []coaching.FieldProblem
	if strings.TrimSpace(in.Text) == "" {
		pr = append(pr, problem("text", "required"))
	}
	pr = append(pr, coaching.TextProblems("text", in.Text, 4000, true)...)
	if in.Proposal < 0 {
		pr = append(pr, problem("proposal", "must not be negative"))
	}
	pr = append(pr, coaching.TextProblems("key", in.Key, 100, false)...)
	if err := invalid("HOKS comment", pr); err != nil {
		return Comment{}, err
	}
	var out Comment
	err := coaching.WriteRetrying(ctx, s.eng, actor, func(sc *coaching.Scope) error {
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
		var last storedComment
		if n > 0 {
			if _, last, err = coaching.ReadDocumentJSON[storedComment](ctx, tx, id, commentPrefix, number(n), "HOKS comment"); err != nil {
				return err
			}
		}
		if k := slices.IndexFunc(last.Keys, func(k commentKey) bool { return in.Key != "" && k.Key == in.Key && k.By == actor.ID }); k >= 0 {
			_, first, err := coaching.ReadDocumentJSON[Comment](ctx, tx, id, commentPrefix, number(last.Keys[k].Number), "HOKS comment")
			if err != nil {
				return err
			}
			if first.Text != in.Text || first.Proposal != in.Proposal {
				return keyRefused("HOKS comment", "comment "+number(first.Number))
			}
			// A repeat: the first comment answers it.
			out = first
			return nil
		}
		cm := Comment{Number: n + 1, CaseID: id, Text: in.Text, Proposal: in.Proposal, PlanVersion: latest.Number, By: actor.ID, At: sc.Now(), Key: in.Key}
		keys := last.Keys
		if in.Key != "" {
			keys = append(keys, commentKey{Key: in.Key, By: actor.ID, Number: cm.Number})
			keys = keys[max(0, len(keys)-MaxKeys):]
		}
		data, err := json.Marshal(storedComment{Comment: cm, Keys: keys})
		if err != nil {
			return err
		}
		if _, err := sc.SaveDocumentAs(coaching.OpProposeChange, id, coaching.DocumentChange{Kind: commentKind(cm.Number), Status: "comment", Data: data,
			Event: "hoks_comment_added", Reason: "comment " + number(cm.Number) + " on the plan"}); err != nil {
			return err
		}
		if _, err := sc.Guard(id, commentKind(cm.Number)); err != nil {
			return err
		}
		out = cm
		return nil
	})
	if err != nil {
		return Comment{}, err
	}
	return out, nil
}

// Comments returns the comments on the case's plan, oldest first, under
// the rule of [Service.Proposal].
func (s *Service) Comments(ctx context.Context, actor coaching.Actor, id coaching.CaseID) ([]Comment, error) {
	return readAs(ctx, s, actor, id, func(sc *coaching.Scope) ([]Comment, error) {
		var out []Comment
		for n := int64(1); ; n++ {
			_, cm, err := coaching.ReadDocumentJSON[Comment](ctx, sc.ReadTx(), id, commentPrefix, number(n), "HOKS comment")
			if errors.Is(err, coaching.ErrNotFound) {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			if _, err := sc.Guard(id, commentKind(n)); err != nil {
				return nil, err
			}
			out = append(out, cm)
		}
	})
}
