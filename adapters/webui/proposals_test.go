package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// bergProposes has the adult student Berg propose a change in words and
// comment on it; it returns the proposal.
func (f *voiceFixture) bergProposes(t *testing.T, title string) hoks.Proposal {
	t.Helper()
	ctx := context.Background()
	berg := coaching.Actor{ID: "student-berg", Organisation: orgA, Roles: []coaching.Role{coaching.RoleStudent}}
	p, err := f.svc.Propose(ctx, berg, f.cases["Berg"].ID, hoks.ProposalInput{Title: title, Description: "Haluan jatkaa opintoja."})
	require.NoError(t, err)
	_, err = f.svc.Comment(ctx, berg, f.cases["Berg"].ID, hoks.CommentInput{Text: "Tämä on minulle tärkeää.", Proposal: p.Number})
	require.NoError(t, err)
	return p
}

// The personal tutor opens the proposals page: the student's proposal
// with her comment and the forms to decide it. A decline without a reason
// is the page again with the error beside the reason (422), one made on
// an older version is the page with the proposal as it is (409), a valid
// one declines it (303 back with a confirmation); the student reads the
// reason on her page, never the staff's internal note.
func TestProposalsPageDecline(t *testing.T) {
	f := newVoiceFixture(t)
	p := f.bergProposes(t, "Jatko-opinnot tavoitteeksi")
	id := string(f.cases["Berg"].ID)
	c := f.client(t, "tutor-a")
	page := "/cases/" + id + "/proposals"

	rec := c.get(page)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	text := checkPage(t, rec)
	assert.Contains(t, text, "HOKS-ehdotukset: Testi Berg")
	assert.Contains(t, text, "Jatko-opinnot tavoitteeksi")
	assert.Contains(t, text, "Haluan jatkaa opintoja.")
	assert.Contains(t, text, "Tämä on minulle tärkeää.")
	assert.Contains(t, rec.Body.String(), `action="`+page+`/1/accept"`)
	assert.Contains(t, rec.Body.String(), `action="`+page+`/1/decline"`)

	rec = c.post(page+"/1/decline", url.Values{"version": {"1"}, "reason": {" "}, "note": {"sisäinen"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	assert.Contains(t, rec.Body.String(), `id="d-1-reason-e"`)
	assert.Contains(t, rec.Body.String(), `href="#d-1-reason"`)
	assert.Contains(t, rec.Body.String(), ">sisäinen</textarea>", "the values are kept")

	rec = c.post(page+"/1/decline", url.Values{"version": {"9"}, "reason": {"Ei nyt."}})
	require.Equal(t, http.StatusConflict, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Ehdotus oli muuttunut sillä välin.")

	rec = c.post(page+"/1/decline", url.Values{"version": {"1"}, "reason": {"Tavoite käydään läpi HOKS-keskustelussa.\r\nSovitaan aika."},
		"note": {"Keskusteltu opon kanssa"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, page+"?decided=declined#p-1", rec.Header().Get("Location"))
	got, err := f.svc.Proposal(context.Background(), tutorA, f.cases["Berg"].ID, p.Number)
	require.NoError(t, err)
	assert.Equal(t, hoks.ProposalDeclined, got.Status)
	assert.Equal(t, "Keskusteltu opon kanssa", got.StaffNote)

	rec = c.get(page + "?decided=declined")
	text = checkPage(t, rec)
	assert.Contains(t, text, "Ehdotus hylättiin")
	assert.Contains(t, text, "hylätty")
	assert.Contains(t, text, "Keskusteltu opon kanssa", "the staff read their note")
	assert.NotContains(t, rec.Body.String(), "/1/decline", "a decided proposal has no forms")

	rec = f.client(t, "student-berg").get("/family/" + id)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Tavoite käydään läpi HOKS-keskustelussa.")
	assert.Contains(t, text, "hylätty")
	assert.NotContains(t, text, "Keskusteltu opon kanssa", "never the staff's note")
}

// A proposal in words is accepted with the tutor's concrete change: without
// one it is the page again with the error beside the goal (422); with a
// career goal the plan changes, and the page shows what changed.
func TestProposalsPageAccept(t *testing.T) {
	f := newVoiceFixture(t)
	f.bergProposes(t, "Jatko-opinnot tavoitteeksi")
	id := string(f.cases["Berg"].ID)
	c := f.client(t, "tutor-a")
	page := "/cases/" + id + "/proposals"

	rec := c.post(page+"/1/accept", url.Values{"version": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	assert.Contains(t, rec.Body.String(), `id="d-1-goal-e"`)

	rec = c.post(page+"/1/accept", url.Values{"version": {"1"}, "goal": {"urasuunnitelma_0001"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, page+"?decided=accepted#p-1", rec.Header().Get("Location"))
	cur, err := f.svc.Current(context.Background(), tutorA, f.cases["Berg"].ID)
	require.NoError(t, err)
	require.NotNil(t, cur.Plan.CareerPlanCodeURI)
	assert.Equal(t, "urasuunnitelma_0001", *cur.Plan.CareerPlanCodeURI)

	rec = c.get(page + "?decided=accepted")
	text := checkPage(t, rec)
	assert.Contains(t, text, "Ehdotus hyväksyttiin")
	assert.Contains(t, text, "Tallennettu HOKSin versioksi 2")

	rec = c.post(page+"/1/accept", url.Values{"version": {"2"}, "goal": {"urasuunnitelma_0002"}})
	require.Equal(t, http.StatusConflict, rec.Code, "decided already")
	checkPage(t, rec)
}

// Who gets the page: the head of studies decides too; the student reads
// her proposals there without the forms; a guardian is refused (403); a
// personal tutor of another organisation is answered as if the case did
// not exist (404), and so is a decision they send.
func TestProposalsPageAccess(t *testing.T) {
	f := newVoiceFixture(t)
	f.bergProposes(t, "Jatko-opinnot tavoitteeksi")
	id := string(f.cases["Berg"].ID)
	page := "/cases/" + id + "/proposals"

	rec := f.client(t, "head-a").get(page)
	require.Equal(t, http.StatusOK, rec.Code)
	checkPage(t, rec)
	assert.Contains(t, rec.Body.String(), `/1/decline"`)

	rec = f.client(t, "student-berg").get(page)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Jatko-opinnot tavoitteeksi")
	assert.NotContains(t, rec.Body.String(), `/1/decline"`, "the student decides nothing")

	rec = f.client(t, "guardian-v").get("/cases/" + string(f.cases["Virtanen"].ID) + "/proposals")
	assert.Equal(t, http.StatusForbidden, rec.Code)
	checkPage(t, rec)

	other := f.client(t, "tutor-b")
	rec = other.get(page)
	assert.Equal(t, http.StatusNotFound, rec.Code)
	checkPage(t, rec)
	rec = other.post(page+"/1/decline", url.Values{"version": {"1"}, "reason": {"Ei."}})
	assert.Equal(t, http.StatusNotFound, rec.Code)
	rec = f.client(t, "student-berg").post(page+"/1/decline", url.Values{"version": {"1"}, "reason": {"Ei."}})
	assert.Equal(t, http.StatusForbidden, rec.Code, "the student does not decide her own proposal")
	ps, err := f.svc.Proposals(context.Background(), tutorA, f.cases["Berg"].ID)
	require.NoError(t, err)
	assert.True(t, ps[0].Status.Open())
}

// The new forms' POSTs pass the cross-origin check like every other: a
// cross-site one is the 403 page before anything is read or written.
func TestProposalsCrossOriginRefused(t *testing.T) {
	f := newVoiceFixture(t)
	f.bergProposes(t, "Jatko-opinnot tavoitteeksi")
	id := string(f.cases["Berg"].ID)
	for _, tc := range []struct {
		key, path string
		form      url.Values
	}{
		{"student-berg", "/family/" + id + "/proposals", url.Values{"title": {"Toinen"}, "description": {"x"}}},
		{"student-berg", "/family/" + id + "/comments", url.Values{"text": {"x"}}},
		{"student-berg", "/family/" + id + "/proposals/1/withdraw", url.Values{"version": {"1"}}},
		{"tutor-a", "/cases/" + id + "/proposals/1/decline", url.Values{"version": {"1"}, "reason": {"Ei."}}},
		{"tutor-a", "/cases/" + id + "/proposals/1/accept", url.Values{"version": {"1"}, "goal": {"urasuunnitelma_0001"}}},
	} {
		c := f.client(t, tc.key)
		req, err := http.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		rec := c.do(req)
		assert.Equal(t, http.StatusForbidden, rec.Code, tc.path)
		assert.Contains(t, checkPage(t, rec), "toiselta sivustolta", tc.path)
	}
	ps, err := f.svc.Proposals(context.Background(), tutorA, f.cases["Berg"].ID)
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.True(t, ps[0].Status.Open())
	cs, err := f.svc.Comments(context.Background(), tutorA, f.cases["Berg"].ID)
	require.NoError(t, err)
	assert.Len(t, cs, 1, "only bergProposes' own comment")
}
