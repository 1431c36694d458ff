package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/hoks"
)

// voiceFixture is the family fixture with a draft HOKS on Virtanen's and
// Berg's cases, and an interface whose sign-in also knows Virtanen
// herself (a self relation), a guardian of both minors and a guardian and
// a personal tutor of another organisation.
type voiceFixture struct {
	*familyFixture
	svc *hoks.Service
}

func newVoiceFixture(t *testing.T) *voiceFixture {
	t.Helper()
	f := newFamilyFixture(t)
	svc, err := hoks.NewService(f.env.Engine)
	require.NoError(t, err)
	b, err := os.ReadFile("../../hoks/testdata/valid_plan.json")
	require.NoError(t, err)
	for _, family := range []string{"Virtanen", "Berg"} {
		plan, err := hoks.Decode(b, nil)
		require.NoError(t, err)
		plan.FirstApproved = coaching.Date{}
		_, err = svc.SaveDraft(context.Background(), tutorA, f.cases[family].ID, 0, plan)
		require.NoError(t, err)
	}
	rel := func(kind coaching.RelationKind, families ...string) []coaching.Relation {
		var out []coaching.Relation
		for _, fam := range families {
			out = append(out, coaching.Relation{Kind: kind, Participant: f.cases[fam].ParticipantID})
		}
		return out
	}
	guardian := func(id string, org coaching.OrganisationID, families ...string) coaching.Actor {
		return coaching.Actor{ID: id, Name: "Huoltaja", Organisation: org, Roles: []coaching.Role{coaching.RoleGuardian},
			Relations: rel(coaching.RelationGuardianOf, families...)}
	}
	login, err := webui.NewDevLogin([]webui.DevIdentity{
		{Key: "guardian-v", Label: "Huoltaja Virtanen", Actor: guardian("guardian-v", orgA, "Virtanen")},
		{Key: "guardian-a", Label: "Huoltaja Aho", Actor: guardian("guardian-a", orgA, "Aho")},
		{Key: "guardian-both", Label: "Huoltaja molempien", Actor: guardian("guardian-v", orgA, "Virtanen", "Aho")},
		{Key: "guardian-b", Label: "Huoltaja B", Actor: guardian("guardian-v", orgB, "Virtanen")},
		{Key: "student-v", Label: "Testi Virtanen", Actor: coaching.Actor{ID: "student-v", Name: "Testi Virtanen", Organisation: orgA,
			Roles: []coaching.Role{coaching.RoleStudent}, Relations: rel(coaching.RelationSelf, "Virtanen")}},
		{Key: "student-berg", Label: "Testi Berg", Actor: coaching.Actor{ID: "student-berg", Name: "Testi Berg", Organisation: orgA,
			Roles: []coaching.Role{coaching.RoleStudent}}},
		{Key: "tutor-a", Label: "Tiina Tutor", Actor: tutorA},
		{Key: "tutor-b", Label: "Tuomas Tutor", Actor: tutorB},
		{Key: "head-a", Label: "Helena Head", Actor: headA},
	})
	require.NoError(t, err)
	f.h, err = webui.New(f.env.Engine, &webui.Options{SessionKey: sessionKey, Login: login, Attendance: f.env.Attendance, Absence: f.abs, HOKS: svc})
	require.NoError(t, err)
	return &voiceFixture{familyFixture: f, svc: svc}
}

// The student writes a comment and a proposal on her own page: first
// with nothing filled in (422, the problem beside each control and in a
// summary linking to it), then valid (303 back with a confirmation); the
// page lists them with their status, and a comment on the proposal is
// shown with it. A textarea's CRLF line breaks are taken as written.
func TestFamilyStudentCommentsAndProposes(t *testing.T) {
	f := newVoiceFixture(t)
	c := f.client(t, "student-berg")
	id := string(f.cases["Berg"].ID)
	page := "/family/" + id

	rec := c.get(page)
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Kommentit ja muutosehdotukset HOKSiin")
	assert.Contains(t, text, "Ei muutosehdotuksia.")
	assert.Contains(t, rec.Body.String(), `action="/family/`+id+`/proposals"`)
	assert.Contains(t, rec.Body.String(), `action="/family/`+id+`/comments"`)

	rec = c.post(page+"/comments", url.Values{"text": {"  "}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, rec.Body.String(), `id="e-c-text"`)
	assert.Contains(t, rec.Body.String(), `href="#c-text"`)
	assert.Contains(t, text, "Kommentti: Pakollinen tieto puuttuu.")

	rec = c.post(page+"/comments", url.Values{"text": {"Työssäoppiminen alkaa liian aikaisin.\r\n\r\nVoisiko sitä siirtää?"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, page+"?done=comment#comments", rec.Header().Get("Location"))

	rec = c.post(page+"/proposals", url.Values{"title": {""}, "description": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	assert.Contains(t, rec.Body.String(), `id="e-p-title"`)
	assert.Contains(t, rec.Body.String(), `id="e-p-description"`)
	assert.Contains(t, rec.Body.String(), "Kerro, mitä ehdotat, tai valitse uusi uratavoite.")
	rec = c.post(page+"/proposals", url.Values{"title": {"Jatko-opinnot tavoitteeksi"}, "goal": {"urasuunnitelma_9"}})
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	checkPage(t, rec)
	assert.Contains(t, rec.Body.String(), `id="e-p-goal"`)
	assert.Contains(t, rec.Body.String(), `value="Jatko-opinnot tavoitteeksi"`, "the values are kept")

	rec = c.post(page+"/proposals", url.Values{"title": {"Jatko-opinnot tavoitteeksi"}, "goal": {"urasuunnitelma_0001"},
		"description": {"Haluan ammattikorkeakouluun."}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, page+"?done=proposal#p-1", rec.Header().Get("Location"))
	rec = c.post(page+"/comments", url.Values{"text": {"Lisäys ehdotukseen"}, "proposal": {"1"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, page+"?done=comment#p-1", rec.Header().Get("Location"))

	rec = c.get(page + "?done=proposal")
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Ehdotus lähetettiin omaohjaajallesi.")
	assert.Contains(t, text, "Jatko-opinnot tavoitteeksi")
	assert.Contains(t, text, "Uratavoitteeksi: Jatko-opinnot")
	assert.Contains(t, text, "odottaa päätöstä")
	assert.Contains(t, text, "Lisäys ehdotukseen")
	assert.Contains(t, text, "Työssäoppiminen alkaa liian aikaisin. Voisiko sitä siirtää?", "two paragraphs")
	assert.Contains(t, rec.Body.String(), `action="/family/`+id+`/proposals/1/withdraw"`)

	cs, err := f.svc.Comments(context.Background(), tutorA, f.cases["Berg"].ID)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	assert.Equal(t, "Työssäoppiminen alkaa liian aikaisin.\n\nVoisiko sitä siirtää?", cs[0].Text)
	assert.Equal(t, int64(1), cs[1].Proposal)
}

// The student withdraws her open proposal with the version the page
// showed: an older version is the page again with the current state
// (409), the right one withdraws it (303), and a second withdrawal of the
// decided proposal is 409 too.
func TestFamilyStudentWithdrawsProposal(t *testing.T) {
	f := newVoiceFixture(t)
	ctx := context.Background()
	berg := coaching.Actor{ID: "student-berg", Organisation: orgA, Roles: []coaching.Role{coaching.RoleStudent}}
	p, err := f.svc.Propose(ctx, berg, f.cases["Berg"].ID, hoks.ProposalInput{Title: "Lisää tukea", Description: "Enemmän ohjausta"})
	require.NoError(t, err)
	c := f.client(t, "student-berg")
	path := "/family/" + string(f.cases["Berg"].ID) + "/proposals/1/withdraw"

	rec := c.post(path, url.Values{"version": {"7"}})
	require.Equal(t, http.StatusConflict, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Ehdotus oli muuttunut sillä välin.")
	rec = c.post(path, url.Values{})
	assert.Equal(t, http.StatusBadRequest, rec.Code, "no version")
	rec = c.post("/family/"+string(f.cases["Berg"].ID)+"/proposals/x/withdraw", url.Values{"version": {"1"}})
	assert.Equal(t, http.StatusNotFound, rec.Code)

	rec = c.post(path, url.Values{"version": {"1"}})
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	got, err := f.svc.Proposal(ctx, tutorA, f.cases["Berg"].ID, p.Number)
	require.NoError(t, err)
	assert.Equal(t, hoks.ProposalWithdrawn, got.Status)
	rec = c.get("/family/" + string(f.cases["Berg"].ID) + "?done=withdrawn")
	text := checkPage(t, rec)
	assert.Contains(t, text, "Ehdotus peruttiin.")
	assert.Contains(t, text, "peruttu")
	assert.NotContains(t, rec.Body.String(), "/withdraw", "nothing left to withdraw")

	rec = c.post(path, url.Values{"version": {"2"}})
	require.Equal(t, http.StatusConflict, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Tätä ei voi enää tehdä")
}

// A guardian reads no comments or proposals (the HOKS summary shows them
// the open proposals' titles) and may write none: their own child's
// proposal or comment is refused by the student-voice rule (403), so is
// another student's, and a guardian of another organisation is answered
// as if the case did not exist (404). Nothing is recorded.
func TestFamilyGuardianCannotPropose(t *testing.T) {
	f := newVoiceFixture(t)
	ctx := context.Background()
	virtanen := f.cases["Virtanen"].ID
	student := coaching.Actor{ID: "student-v", Organisation: orgA, Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: f.cases["Virtanen"].ParticipantID}}}
	_, err := f.svc.Propose(ctx, student, virtanen, hoks.ProposalInput{Title: "Lisää matematiikan tukea", Description: "Tukiopetusta"})
	require.NoError(t, err)
	_, err = f.svc.Comment(ctx, student, virtanen, hoks.CommentInput{Text: "Oma kommenttini"})
	require.NoError(t, err)

	g := f.client(t, "guardian-v")
	rec := g.get("/family/" + string(virtanen))
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Lisää matematiikan tukea", "the summary's open proposal's title")
	assert.NotContains(t, text, "Kommentit ja muutosehdotukset", "no voice section for a guardian")
	assert.NotContains(t, text, "Tukiopetusta")
	assert.NotContains(t, text, "Oma kommenttini")
	assert.NotContains(t, rec.Body.String(), "/proposals")

	proposal := url.Values{"title": {"Huoltajan ehdotus"}, "description": {"Muutos"}}
	for _, tc := range []struct {
		key    string
		status int
	}{
		{"guardian-v", http.StatusForbidden}, // their own child's plan: the student's voice
		{"guardian-a", http.StatusForbidden}, // another student
		{"guardian-b", http.StatusNotFound},  // another organisation
	} {
		c := f.client(t, tc.key)
		rec := c.post("/family/"+string(virtanen)+"/proposals", proposal)
		assert.Equal(t, tc.status, rec.Code, tc.key)
		checkPage(t, rec)
		rec = c.post("/family/"+string(virtanen)+"/comments", url.Values{"text": {"Huoltajan kommentti"}})
		assert.Equal(t, tc.status, rec.Code, tc.key)
		rec = c.post("/family/"+string(virtanen)+"/proposals/1/withdraw", url.Values{"version": {"1"}})
		assert.Equal(t, tc.status, rec.Code, tc.key)
	}
	ps, err := f.svc.Proposals(ctx, tutorA, virtanen)
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.True(t, ps[0].Status.Open())
	cs, err := f.svc.Comments(ctx, tutorA, virtanen)
	require.NoError(t, err)
	assert.Len(t, cs, 1)

	// The student herself (a self relation) has the forms.
	rec = f.client(t, "student-v").get("/family/" + string(virtanen))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Tukiopetusta")
}

// A guardian's page heads a case by its programme as their child's
// studies, never by a name the policy withholds; two children in one
// programme are told apart by the day each case was opened.
func TestFamilyGuardianHeadings(t *testing.T) {
	f := newVoiceFixture(t)
	rec := f.client(t, "guardian-v").get("/")
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Contains(t, text, "Lapsesi opinnot: ")
	assert.NotContains(t, text, "(alkaen", "one child: no date needed")
	assert.NotContains(t, text, "Testi Virtanen")

	rec = f.client(t, "guardian-both").get("/")
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Equal(t, 2, strings.Count(text, "Lapsesi opinnot: "), text)
	assert.Equal(t, 2, strings.Count(text, "(alkaen "))
	assert.NotContains(t, text, "Testi ")
}

// The absence form carries a per-form key: the same form sent twice (a
// double click, the browser resending it) records one request, and
// answers the second time as the first (303 to the confirmation).
func TestFamilyAbsenceFormSentTwice(t *testing.T) {
	f := newVoiceFixture(t)
	c := f.client(t, "guardian-v")
	id := f.cases["Virtanen"].ID
	rec := c.get("/family/" + string(id))
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	i := strings.Index(body, `name="key" value="`)
	require.GreaterOrEqual(t, i, 0, "the form's key")
	key := body[i+len(`name="key" value="`):]
	key = key[:strings.IndexByte(key, '"')]
	require.GreaterOrEqual(t, len(key), 20)

	today := coaching.DateOf(f.env.Clock.Now())
	form := url.Values{"kind": {"explanation"}, "from": {today.String()}, "reason": {"family"}, "key": {key}}
	for range 2 {
		rec = c.post("/family/"+string(id)+"/absences", form)
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	}
	reqs, err := f.abs.List(context.Background(), tutorA, id, absence.ListQuery{})
	require.NoError(t, err)
	assert.Len(t, reqs, 1, "one request")

	// A fresh form has a fresh key.
	rec = c.get("/family/" + string(id))
	assert.NotContains(t, rec.Body.String(), key)
}

// actionKey is the key of the form posting to action on a page.
func actionKey(t *testing.T, body, action string) string {
	t.Helper()
	i := strings.Index(body, `action="`+action+`"`)
	require.GreaterOrEqual(t, i, 0, "the form posting to %s", action)
	body = body[i:]
	i = strings.Index(body, `name="key" value="`)
	require.GreaterOrEqual(t, i, 0, "the form's key")
	key := body[i+len(`name="key" value="`):]
	key = key[:strings.IndexByte(key, '"')]
	require.GreaterOrEqual(t, len(key), 20)
	return key
}

// The student's comment and proposal forms carry a per-form key: each
// sent twice (a double click) is recorded once. The form sent again with
// its key but edited is shown again with a fresh key, saying it was sent
// already, and then goes through.
func TestFamilyVoiceFormsSentTwice(t *testing.T) {
	f := newVoiceFixture(t)
	c := f.client(t, "student-berg")
	id := f.cases["Berg"].ID
	page := "/family/" + string(id)
	rec := c.get(page)
	require.Equal(t, http.StatusOK, rec.Code)
	comment := url.Values{"text": {"Sama kommentti"}, "key": {actionKey(t, rec.Body.String(), page+"/comments")}}
	proposal := url.Values{"title": {"Sama ehdotus"}, "description": {"x"}, "key": {actionKey(t, rec.Body.String(), page+"/proposals")}}
	for range 2 {
		rec = c.post(page+"/comments", comment)
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
		rec = c.post(page+"/proposals", proposal)
		require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	}
	cs, err := f.svc.Comments(context.Background(), tutorA, id)
	require.NoError(t, err)
	ps, err := f.svc.Proposals(context.Background(), tutorA, id)
	require.NoError(t, err)
	assert.Len(t, cs, 1, "comments after a double submit")
	assert.Len(t, ps, 1, "proposals after a double submit")

	comment.Set("text", "Muokattu kommentti")
	rec = c.post(page+"/comments", comment)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Tämä lomake oli jo lähetetty")
	fresh := actionKey(t, rec.Body.String(), page+"/comments")
	assert.NotEqual(t, comment.Get("key"), fresh, "the form shown again has a fresh key")
	assert.Contains(t, rec.Body.String(), "Muokattu kommentti", "the edited text is kept")
	comment.Set("key", fresh)
	rec = c.post(page+"/comments", comment)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	cs, err = f.svc.Comments(context.Background(), tutorA, id)
	require.NoError(t, err)
	assert.Len(t, cs, 2)
}
