package webui

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// The student's voice on their plan (hoks.Service's comments and
// proposals) on the family page: the student reads their comments and
// proposals with each one's status, decision and reason, writes a
// comment, proposes a change — in words, or a new career-plan goal, the
// one concrete change a select offers simply — and withdraws a proposal
// still open. A guardian reads no proposals (the policy's read_hoks is
// not theirs): the HOKS summary shows them the open proposals' titles.
// Every write goes to the service as the signed-in actor, whose rules
// decide: a guardian's comment or proposal is refused (the 403 page).

// Bounds of the student's forms.
const (
	// maxVoiceForm bounds a comment's or a proposal's form body: the
	// service takes at most 4000 bytes of text, escaped up to three times
	// that.
	maxVoiceForm = 32 << 10
)

// careerGoals are the career-plan goals (eHOKS's urasuunnitelma codes) a
// proposal, or a decider accepting one in words, may set.
var careerGoals = []string{"urasuunnitelma_0001", "urasuunnitelma_0002", "urasuunnitelma_0003"}

// voiceView is the student's comments and proposals on one case's page.
type voiceView struct {
	Proposals []proposalView
	// Comments are those on the plan itself; a proposal's own are with it.
	Comments []commentView
	// Comment and Propose are the student's forms (nil: not offered —
	// not the student themself, or the plan takes no more proposals).
	Comment *commentForm
	Propose *proposeForm
	// Done confirms what was just done; Conflict says why the page was
	// shown again instead (409).
	Done, Conflict string
}

// proposalView is one proposal, on the family page or the staff's.
type proposalView struct {
	Number, Version     int64
	Anchor              string
	Title, Description  string
	Change              string // the concrete change, in words
	Status              hoks.ProposalStatus
	Open                bool
	ProposedAt          time.Time
	DecidedAt           time.Time
	Reason              string
	Applied             []string
	AcceptedAs          int64
	ApprovedAs          int64
	StaffNote           string // the staff's page only
	Comments            []commentView
	WithdrawAction      string // the student's withdrawal; "" none
	Decide              *decideForm
	NeedsConcreteChange bool // a proposal in words: accepting it takes a change
	WithdrawError       string
	proposedBy          string
}

type commentView struct {
	Paragraphs []string
	At         time.Time
}

// commentForm is the student's comment form.
type commentForm struct {
	Action string
	// Key is the form's idempotency key (hoks.CommentInput.Key), a hidden
	// field: a form sent twice records one comment. A form shown again
	// with problems keeps its key (nothing was recorded under it).
	Key                      string
	Text                     string
	Proposal                 string
	Proposals                []proposalChoice
	TextError, ProposalError string
	Errors                   []formError
}

type proposalChoice struct {
	Number   int64
	Title    string
	Selected bool
}

// proposeForm is the student's proposal form.
type proposeForm struct {
	Action string
	// Key is the form's idempotency key (hoks.ProposalInput.Key), as the
	// comment form's.
	Key                                     string
	Title, Description, Goal                string
	Goals                                   []string
	TitleError, DescriptionError, GoalError string
	Errors                                  []formError
}

// voice reads the case's comments and proposals as the actor may see
// them: nil, without an error, when the policy lets the actor read none
// (a guardian) or the case has no plan (sum nil). A student gets the
// forms: to comment, to withdraw an open proposal and, while the plan can
// still change (sum's status), to propose.
func (h *handler) voice(r *http.Request, actor coaching.Actor, id coaching.CaseID, href string, sum *hoks.Summary, lang coaching.Language) (*voiceView, error) {
	if h.hoks == nil || sum == nil {
		return nil, nil
	}
	ps, cs, err := h.readVoice(r, actor, id)
	if errors.Is(err, coaching.ErrForbidden) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := &voiceView{}
	v.Proposals, v.Comments = proposalViews(ps, cs, lang)
	if !actor.HasRole(coaching.RoleStudent) {
		return v, nil
	}
	for i := range v.Proposals {
		if v.Proposals[i].Open {
			v.Proposals[i].WithdrawAction = href + "/proposals/" + strconv.FormatInt(v.Proposals[i].Number, 10) + "/withdraw"
		}
	}
	v.Comment = &commentForm{Action: href + "/comments", Key: rand.Text()}
	v.Comment.choices(v.Proposals, "")
	if planTakesProposals(sum.Status) {
		v.Propose = &proposeForm{Action: href + "/proposals", Goals: careerGoals, Key: rand.Text()}
	}
	return v, nil
}

// readVoice reads the case's proposals and comments.
func (h *handler) readVoice(r *http.Request, actor coaching.Actor, id coaching.CaseID) ([]hoks.Proposal, []hoks.Comment, error) {
	ps, err := h.hoks.Proposals(r.Context(), actor, id)
	if err != nil {
		return nil, nil, err
	}
	cs, err := h.hoks.Comments(r.Context(), actor, id)
	if err != nil {
		return nil, nil, err
	}
	return ps, cs, nil
}

// planTakesProposals reports whether a plan in status st can still change
// (hoks.Service.Propose refuses the others).
func planTakesProposals(st hoks.Status) bool {
	return st != hoks.StatusCompetenceReached && st != hoks.StatusCompleted && st != hoks.StatusArchived
}

// proposalViews are the proposals, newest first, each with its comments,
// and the comments on the plan itself, newest first.
func proposalViews(ps []hoks.Proposal, cs []hoks.Comment, lang coaching.Language) ([]proposalView, []commentView) {
	byProposal := map[int64][]commentView{}
	for i := len(cs) - 1; i >= 0; i-- {
		c := cs[i]
		byProposal[c.Proposal] = append(byProposal[c.Proposal], commentView{Paragraphs: paragraphs(c.Text), At: c.At})
	}
	out := make([]proposalView, 0, len(ps))
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		out = append(out, proposalView{Number: p.Number, Version: p.Version, Anchor: "p-" + strconv.FormatInt(p.Number, 10),
			Title: p.Title, Description: p.Description, Change: changeText(p.Change, lang),
			Status: p.Status, Open: p.Status.Open(), ProposedAt: p.ProposedAt, DecidedAt: p.DecidedAt, Reason: p.Reason,
			Applied: p.AppliedChanges, AcceptedAs: p.AcceptedAs, ApprovedAs: p.ApprovedAs, StaffNote: p.StaffNote,
			Comments: byProposal[p.Number], NeedsConcreteChange: p.Change == nil, proposedBy: p.ProposedBy})
	}
	return out, byProposal[0]
}

// textarea is a textarea's value as written: browsers send its line
// breaks as CRLF, which the services refuse as a control character.
func textarea(v string) string { return strings.ReplaceAll(v, "\r\n", "\n") }

// paragraphs splits text at blank lines.
func paragraphs(text string) []string {
	var out []string
	for p := range strings.SplitSeq(strings.TrimSpace(text), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// changeText says a concrete change in lang: the new goal, or the period
// moved (its unit as the plan names it).
func changeText(c *hoks.PlanChange, lang coaching.Language) string {
	if c == nil {
		return ""
	}
	switch c.Kind {
	case hoks.ChangeGoal:
		return fmt.Sprintf(catalogue["voice.change.goal"].in(lang), label("voice.goal.", c.Goal, lang))
	case hoks.ChangeSchedule:
		unit := c.Unit
		if c.SubArea != "" {
			unit += " / " + c.SubArea
		}
		return fmt.Sprintf(catalogue["voice.change.schedule"].in(lang), unit,
			formatDate(c.From.Start, lang)+"–"+formatDate(c.From.End, lang), formatDate(c.To.Start, lang)+"–"+formatDate(c.To.End, lang))
	}
	return string(c.Kind)
}

// choices fills in the proposals a comment may be about.
func (f *commentForm) choices(ps []proposalView, selected string) {
	f.Proposals = f.Proposals[:0]
	for _, p := range ps {
		f.Proposals = append(f.Proposals, proposalChoice{Number: p.Number, Title: p.Title, Selected: strconv.FormatInt(p.Number, 10) == selected})
	}
}

// voiceForm reads a student's form POST: the signed-in session, the case
// and the parsed form; false when it has answered already.
func (h *handler) voiceForm(w http.ResponseWriter, r *http.Request) (session, coaching.CaseID, bool) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return session{}, "", false
	}
	if h.hoks == nil {
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
		return session{}, "", false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxVoiceForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return session{}, "", false
	}
	return s, coaching.CaseID(r.PathValue("case")), true
}

// voiceDone sends the student back to the case's page with what was done
// (303).
func (h *handler) voiceDone(w http.ResponseWriter, r *http.Request, id coaching.CaseID, done, anchor string) {
	http.Redirect(w, r, h.prefix+"/family/"+url.PathEscape(string(id))+"?done="+done+"#"+anchor, http.StatusSeeOther)
}

// voiceAgain shows the case's page again with status after a refused
// write: edit puts the refused form (and its problems) in place of the
// fresh one. A refusal of the policy and a missing case are their error
// pages.
func (h *handler) voiceAgain(w http.ResponseWriter, r *http.Request, s session, id coaching.CaseID, status int, edit func(v *voiceView)) {
	fc, err := h.familyCase(r, s.actor(), id, s.Lang, nil)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	if fc.Voice == nil {
		h.errorPage(w, r, http.StatusForbidden, "error.403.body")
		return
	}
	edit(fc.Voice)
	h.render(w, r, status, "family.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles},
		Data: familyView{Single: true, Cases: []familyCase{fc}}})
}

// voiceRefused answers a write the service refused for the state of the
// plan or the proposal: a version changed meanwhile, or a proposal
// decided or a plan closed since the page was shown, is the page again
// with the fresh state and why (409); anything else is failed's.
func (h *handler) voiceRefused(w http.ResponseWriter, r *http.Request, s session, id coaching.CaseID, err error) bool {
	var ce *coaching.ConflictError
	var te *coaching.TransitionError
	switch {
	case errors.As(err, &ce):
		h.voiceAgain(w, r, s, id, http.StatusConflict, func(v *voiceView) { v.Conflict = catalogue["voice.conflict"].in(s.Lang) })
	case errors.As(err, &te):
		h.voiceAgain(w, r, s, id, http.StatusConflict, func(v *voiceView) { v.Conflict = catalogue["voice.closed"].in(s.Lang) })
	default:
		return false
	}
	return true
}

// postComment answers POST /family/{case}/comments: the student's comment
// on their plan or one of their proposals.
func (h *handler) postComment(w http.ResponseWriter, r *http.Request) {
	s, id, ok := h.voiceForm(w, r)
	if !ok {
		return
	}
	form := &commentForm{Text: textarea(r.PostForm.Get("text")), Proposal: r.PostForm.Get("proposal"), Key: r.PostForm.Get("key")}
	in := hoks.CommentInput{Text: form.Text, Key: form.Key}
	if form.Proposal != "" {
		n, err := strconv.ParseInt(form.Proposal, 10, 64)
		if err != nil || n < 1 {
			h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
			return
		}
		in.Proposal = n
	}
	c, err := h.hoks.Comment(r.Context(), s.actor(), id, in)
	var ve *coaching.ValidationError
	switch {
	case err == nil:
		anchor := "comments"
		if c.Proposal > 0 {
			anchor = "p-" + strconv.FormatInt(c.Proposal, 10)
		}
		h.voiceDone(w, r, id, "comment", anchor)
	case errors.As(err, &ve):
		form.problems(ve, s.Lang)
		h.voiceAgain(w, r, s, id, http.StatusUnprocessableEntity, func(v *voiceView) {
			if v.Comment == nil {
				return
			}
			form.Action = v.Comment.Action
			form.choices(v.Proposals, form.Proposal)
			v.Comment = form
		})
	case h.voiceRefused(w, r, s, id, err):
	default:
		h.failed(w, r, err)
	}
}

// postProposal answers POST /family/{case}/proposals: the student's
// proposal to change their plan.
func (h *handler) postProposal(w http.ResponseWriter, r *http.Request) {
	s, id, ok := h.voiceForm(w, r)
	if !ok {
		return
	}
	pf := r.PostForm
	form := &proposeForm{Title: strings.TrimSpace(pf.Get("title")), Description: textarea(pf.Get("description")), Goal: pf.Get("goal"), Goals: careerGoals,
		Key: pf.Get("key")}
	in := hoks.ProposalInput{Title: form.Title, Description: form.Description, Key: form.Key}
	if form.Goal != "" {
		in.Change = &hoks.PlanChange{Kind: hoks.ChangeGoal, Goal: form.Goal}
	}
	p, err := h.hoks.Propose(r.Context(), s.actor(), id, in)
	var ve *coaching.ValidationError
	switch {
	case err == nil:
		h.voiceDone(w, r, id, "proposal", "p-"+strconv.FormatInt(p.Number, 10))
	case errors.As(err, &ve):
		form.problems(ve, s.Lang)
		h.voiceAgain(w, r, s, id, http.StatusUnprocessableEntity, func(v *voiceView) {
			if v.Propose == nil {
				v.Conflict = catalogue["voice.closed"].in(s.Lang)
				return
			}
			form.Action = v.Propose.Action
			v.Propose = form
		})
	case h.voiceRefused(w, r, s, id, err):
	default:
		h.failed(w, r, err)
	}
}

// withdrawProposal answers POST /family/{case}/proposals/{n}/withdraw:
// the student withdraws their open proposal n, as of the version the page
// showed.
func (h *handler) withdrawProposal(w http.ResponseWriter, r *http.Request) {
	s, id, ok := h.voiceForm(w, r)
	if !ok {
		return
	}
	n, version, ok := h.proposalVersion(w, r)
	if !ok {
		return
	}
	_, err := h.hoks.WithdrawProposal(r.Context(), s.actor(), id, n, hoks.WithdrawInput{BasedOn: version})
	var ve *coaching.ValidationError
	switch {
	case err == nil:
		h.voiceDone(w, r, id, "withdrawn", "p-"+strconv.FormatInt(n, 10))
	case errors.As(err, &ve):
		h.voiceAgain(w, r, s, id, http.StatusUnprocessableEntity, func(v *voiceView) {
			for i := range v.Proposals {
				if v.Proposals[i].Number == n {
					v.Proposals[i].WithdrawError = catalogue["form.invalid"].in(s.Lang)
				}
			}
		})
	case h.voiceRefused(w, r, s, id, err):
	default:
		h.failed(w, r, err)
	}
}

// proposalVersion reads the proposal's number from the path and the
// version the form was shown with; a path that names no proposal is the
// 404 page, a form without a version the 400 page.
func (h *handler) proposalVersion(w http.ResponseWriter, r *http.Request) (int64, int64, bool) {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n < 1 {
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
		return 0, 0, false
	}
	version, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if err != nil || version < 1 {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return 0, 0, false
	}
	return n, version, true
}

// voiceDoneText is the confirmation of ?done= on the family page.
func voiceDoneText(done string, lang coaching.Language) string {
	if slices.Contains([]string{"comment", "proposal", "withdrawn"}, done) {
		return catalogue["voice.done."+done].in(lang)
	}
	return ""
}

// problems puts the service's problems beside the comment form's controls.
func (f *commentForm) problems(ve *coaching.ValidationError, lang coaching.Language) {
	ve = resentForm(&f.Key, &f.Errors, ve, lang)
	controls := map[string]control{
		"text":     {Slot: &f.TextError, Href: "#c-text", Label: "voice.comment.text"},
		"proposal": {Slot: &f.ProposalError, Href: "#c-proposal", Label: "voice.comment.about"},
	}
	placeProblems(&f.Errors, ve, lang, voiceProblems, controls)
}

// problems puts the service's problems beside the proposal form's
// controls.
func (f *proposeForm) problems(ve *coaching.ValidationError, lang coaching.Language) {
	ve = resentForm(&f.Key, &f.Errors, ve, lang)
	controls := map[string]control{
		"title":          {Slot: &f.TitleError, Href: "#p-title", Label: "voice.propose.title"},
		"description":    {Slot: &f.DescriptionError, Href: "#p-description", Label: "voice.propose.description"},
		"change":         {Slot: &f.GoalError, Href: "#p-goal", Label: "voice.propose.goal", Key: "voice.err.goal"},
		"open_proposals": {Key: "voice.err.toomany"},
	}
	placeProblems(&f.Errors, ve, lang, voiceProblems, controls)
}

// voiceProblems word the plan service's (English) validation messages.
var voiceProblems = []wording{
	{Prefix: "required when no concrete change", Key: "voice.err.description"},
	{Prefix: "longer than", Key: "voice.err.long"},
	{Prefix: "bytes", Key: "voice.err.long", Anywhere: true},
	{Prefix: "the plan has no proposal", Key: "form.oneof"},
}
