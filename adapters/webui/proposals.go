package webui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// The proposals page: a student's proposals to their plan and comments on
// it, for the staff who read them (the school's staff on the team, the
// head of studies: hoks.Service.Proposals), with the forms to accept or
// decline an open proposal for those who decide (the personal tutor or
// study counsellor on the team, the head of studies:
// hoks.Service.MayDecide). A decision is a form POST with the proposal's
// version the page showed, so that of two deciders at once one wins and
// the other sees the page again with the proposal as decided (409).

// maxDecisionForm bounds a decision's form body (a reason and a note of
// at most 4000 bytes each, escaped).
const maxDecisionForm = 64 << 10

// proposalsView is the proposals page's data.
type proposalsView struct {
	Heading  string
	CaseHref string
	// MayDecide: the forms are shown.
	MayDecide bool
	Proposals []proposalView
	Comments  []commentView
	// Done confirms a decision just made; Conflict says why the page was
	// shown again instead (409).
	Done, Conflict string
}

// decideForm is an open proposal's two forms, accept and decline, with
// their values and problems.
type decideForm struct {
	Accept, Decline string // actions
	Version         int64
	// Accept's: the tutor's concrete change for a proposal in words (a
	// career-plan goal), approving the new version at once, the note.
	Goal       string
	Goals      []string
	Approve    bool
	AcceptNote string
	// Decline's: the reason the student reads, the note.
	Reason, DeclineNote string
	GoalError, ApproveError, AcceptNoteError,
	ReasonError, DeclineNoteError string
	Errors []formError
}

// proposalsPage answers GET /cases/{case}/proposals.
func (h *handler) proposalsPage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	pv, err := h.proposals(r, s.actor(), coaching.CaseID(r.PathValue("case")), s.Lang)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	switch d := r.URL.Query().Get("decided"); d {
	case "accepted", "declined":
		pv.Done = catalogue["proposals.done."+d].in(s.Lang)
	}
	h.renderProposals(w, r, s, http.StatusOK, pv)
}

func (h *handler) renderProposals(w http.ResponseWriter, r *http.Request, s session, status int, pv *proposalsView) {
	h.render(w, r, status, "proposals.html", &view{Lang: s.Lang, User: &userView{Name: s.Name, Roles: s.Roles}, Data: pv})
}

// proposals reads the page's data as the actor: the proposals and
// comments (the policy's read_requests and read_hoks: a refusal is the
// caller's 403, another organisation's case its 404), the participant's
// name as the policy allows it, and whether the actor decides.
func (h *handler) proposals(r *http.Request, actor coaching.Actor, id coaching.CaseID, lang coaching.Language) (*proposalsView, error) {
	if h.hoks == nil {
		return nil, &coaching.NotFoundError{Kind: "HOKS", ID: string(id)}
	}
	ps, cs, err := h.readVoice(r, actor, id)
	if err != nil {
		return nil, err
	}
	pv := &proposalsView{CaseHref: h.prefix + "/cases/" + url.PathEscape(string(id))}
	pv.Proposals, pv.Comments = proposalViews(ps, cs, lang)
	if pv.MayDecide, err = h.hoks.MayDecide(r.Context(), actor, id); err != nil {
		return nil, err
	}
	err = h.eng.ReadCase(r.Context(), actor, coaching.OpReadRequests, id, func(v *coaching.CaseView) error {
		pv.Heading = label("model.", v.Case().Model, lang)
		p, err := v.Participant()
		switch {
		case err == nil:
			pv.Heading = p.Name()
		case !errors.Is(err, coaching.ErrForbidden):
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if pv.MayDecide {
		base := pv.CaseHref + "/proposals/"
		for i := range pv.Proposals {
			p := &pv.Proposals[i]
			if p.Open && p.proposedByOther(actor) {
				n := strconv.FormatInt(p.Number, 10)
				p.Decide = &decideForm{Accept: base + n + "/accept", Decline: base + n + "/decline", Version: p.Version, Goals: careerGoals}
			}
		}
	}
	return pv, nil
}

// proposedByOther reports whether someone other than actor made the
// proposal: nobody decides their own (hoks.RuleOwnProposal), and
// MayDecide already refused a decider on their own plan.
func (p *proposalView) proposedByOther(actor coaching.Actor) bool { return p.proposedBy != actor.ID }

// decision reads a decision's form POST: the session, the case, the
// proposal's number and version; false when it has answered already.
func (h *handler) decision(w http.ResponseWriter, r *http.Request) (session, coaching.CaseID, int64, int64, bool) {
	s, ok := h.signedIn(w, r)
	if !ok {
		return session{}, "", 0, 0, false
	}
	if h.hoks == nil {
		h.errorPage(w, r, http.StatusNotFound, "error.404.body")
		return session{}, "", 0, 0, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxDecisionForm)
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "error.400.body")
		return session{}, "", 0, 0, false
	}
	n, version, ok := h.proposalVersion(w, r)
	if !ok {
		return session{}, "", 0, 0, false
	}
	return s, coaching.CaseID(r.PathValue("case")), n, version, true
}

// acceptProposal answers POST /cases/{case}/proposals/{n}/accept.
func (h *handler) acceptProposal(w http.ResponseWriter, r *http.Request) {
	s, id, n, version, ok := h.decision(w, r)
	if !ok {
		return
	}
	pf := r.PostForm
	form := &decideForm{Goal: pf.Get("goal"), Approve: pf.Get("approve") == "1", AcceptNote: textarea(pf.Get("note"))}
	in := hoks.AcceptInput{BasedOn: version, Approve: form.Approve, Note: form.AcceptNote}
	if form.Goal != "" {
		in.Change = &hoks.PlanChange{Kind: hoks.ChangeGoal, Goal: form.Goal}
	}
	_, _, err := h.hoks.AcceptProposal(r.Context(), s.actor(), id, n, in)
	h.decided(w, r, s, id, n, "accepted", form, err)
}

// declineProposal answers POST /cases/{case}/proposals/{n}/decline.
func (h *handler) declineProposal(w http.ResponseWriter, r *http.Request) {
	s, id, n, version, ok := h.decision(w, r)
	if !ok {
		return
	}
	pf := r.PostForm
	form := &decideForm{Reason: textarea(pf.Get("reason")), DeclineNote: textarea(pf.Get("note"))}
	_, err := h.hoks.DeclineProposal(r.Context(), s.actor(), id, n, hoks.DeclineInput{BasedOn: version, Reason: form.Reason, Note: form.DeclineNote})
	h.decided(w, r, s, id, n, "declined", form, err)
}

// decided answers a decision: 303 back to the page, the page again with
// the form's problems beside its controls (422), or with the fresh state
// and why (409) when the proposal or the plan changed meanwhile.
func (h *handler) decided(w http.ResponseWriter, r *http.Request, s session, id coaching.CaseID, n int64, decision string, form *decideForm, err error) {
	anchor := "#p-" + strconv.FormatInt(n, 10)
	var (
		ve *coaching.ValidationError
		ce *coaching.ConflictError
		te *coaching.TransitionError
	)
	switch {
	case err == nil:
		http.Redirect(w, r, h.prefix+"/cases/"+url.PathEscape(string(id))+"/proposals?decided="+decision+anchor, http.StatusSeeOther)
		return
	case errors.As(err, &ce), errors.As(err, &te):
		msg := "voice.conflict"
		if te != nil {
			msg = "voice.closed"
		}
		pv, err := h.proposals(r, s.actor(), id, s.Lang)
		if err != nil {
			h.failed(w, r, err)
			return
		}
		pv.Conflict = catalogue[msg].in(s.Lang)
		h.renderProposals(w, r, s, http.StatusConflict, pv)
		return
	case !errors.As(err, &ve):
		h.failed(w, r, err)
		return
	}
	pv, err := h.proposals(r, s.actor(), id, s.Lang)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	for i := range pv.Proposals {
		p := &pv.Proposals[i]
		if p.Number != n || p.Decide == nil {
			continue
		}
		form.Accept, form.Decline, form.Version, form.Goals = p.Decide.Accept, p.Decide.Decline, p.Decide.Version, careerGoals
		form.problems(err, ve, decision == "accepted", n, s.Lang)
		p.Decide = form
	}
	h.renderProposals(w, r, s, http.StatusUnprocessableEntity, pv)
}

// problems puts the service's problems (err, whose validation error is
// ve) beside the decision form's controls: accept's or decline's. A
// change that no longer applies to the plan, or would make it invalid, is
// said once at the top.
func (f *decideForm) problems(err error, ve *coaching.ValidationError, accept bool, n int64, lang coaching.Language) {
	num := strconv.FormatInt(n, 10)
	var (
		stale *hoks.StaleProposalError
		plan  *hoks.PlanError
	)
	switch {
	case errors.As(err, &stale):
		f.Errors = append(f.Errors, formError{Message: catalogue["proposals.err.stale"].in(lang)})
		return
	case errors.As(err, &plan):
		f.Errors = append(f.Errors, formError{Message: catalogue["proposals.err.plan"].in(lang)})
		return
	}
	d := "#d-" + num
	controls := map[string]control{"note": {Slot: &f.DeclineNoteError, Href: d + "-dnote", Label: "proposals.note"}}
	if accept {
		controls = map[string]control{
			"change":  {Slot: &f.GoalError, Href: d + "-goal", Label: "proposals.goal", Key: "proposals.err.change"},
			"plan":    {Slot: &f.GoalError, Href: d + "-goal", Label: "proposals.goal", Key: "proposals.err.change"},
			"approve": {Slot: &f.ApproveError, Href: d + "-approve", Label: "proposals.approve", Key: "proposals.err.approve"},
			"note":    {Slot: &f.AcceptNoteError, Href: d + "-anote", Label: "proposals.note"},
		}
	} else {
		controls["reason"] = control{Slot: &f.ReasonError, Href: d + "-reason", Label: "proposals.reason"}
	}
	placeProblems(&f.Errors, ve, lang, voiceProblems, controls)
}
