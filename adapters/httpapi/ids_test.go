package httpapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// Participant ids are scoped per organisation: a host-given id another
// organisation holds does not block an enrolment, and POST /enrolments
// with an existing_participant of another organisation is answered exactly
// as one no organisation has — 404 with the same problem, no access-log
// entry — while the organisation's own is found.
func TestEnrolmentIDsPerOrganisation(t *testing.T) {
	store := memory.New()
	s := startService(t, store)
	coachIn := func(org string) caller {
		return caller{httpauth.HeaderActorID: "coach-" + org, httpauth.HeaderActorRoles: "coach", httpauth.HeaderOrganisation: org}
	}
	withID := func(org, id string) func(map[string]any) {
		return func(p map[string]any) { p["id"], p["organisation"] = id, org }
	}
	for _, org := range []string{"school-1", "school-2"} {
		r := s.do(t, coachIn(org), "POST", "/enrolments", enrolment("valo", "Aino", "1994-05-17", team("coach-"+org, "coach"), withID(org, "p-shared")))
		require.Equal(t, http.StatusCreated, r.status, "%s enrols p-shared: %s", org, r.body)
		c := r.json(t)
		assert.Equal(t, "p-shared", c["participant_id"])
		assert.Equal(t, org, c["organisation"])
	}
	r := s.do(t, coachIn("school-1"), "POST", "/enrolments", enrolment("valo", "Aino", "1994-05-17", team("coach-school-1", "coach"), withID("school-1", "p-only-1")))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)

	accessEntries := func() int {
		var n int
		require.NoError(t, store.View(t.Context(), func(tx coaching.ReadTx) error {
			es, err := tx.AccessLog(t.Context(), coaching.AccessQuery{})
			n = len(es)
			return err
		}))
		return n
	}
	before := accessEntries()
	existing := func(id string) map[string]any {
		return map[string]any{"model": "valo", "existing_participant": id, "team": team("coach-1", "coach")}
	}
	// school-2 asks for school-1's participant; school-3, which has no
	// participant at all, asks for the same id.
	elsewhere := requireProblem(t, s.do(t, coachIn("school-2"), "POST", "/enrolments", existing("p-only-1")), http.StatusNotFound)
	missing := requireProblem(t, s.do(t, coachIn("school-3"), "POST", "/enrolments", existing("p-only-1")), http.StatusNotFound)
	for _, k := range []string{"type", "title", "status", "detail"} {
		assert.Equal(t, missing[k], elsewhere[k], "the problem's %s is that of a participant that does not exist", k)
	}
	assert.NotContains(t, elsewhere, "rule", "no policy rule: nothing was refused")
	assert.Equal(t, before, accessEntries(), "no access-log entry for either")

	r = s.do(t, coachIn("school-1"), "POST", "/enrolments", existing("p-only-1"))
	require.Equal(t, http.StatusCreated, r.status, "the organisation's own participant: %s", r.body)
	r = s.do(t, coachIn("school-2"), "POST", "/enrolments", existing("p-shared"))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	assert.Equal(t, "school-2", r.json(t)["organisation"], "school-2's own p-shared")
}

// A sign-on id is unique among one organisation's participants: a second
// enrolment linking it is a 422 naming sign_on; another organisation may
// link the same one.
func TestEnrolmentSignOnPerOrganisation(t *testing.T) {
	s := startService(t, memory.New())
	signOn := func(org, sub string) func(map[string]any) {
		return func(p map[string]any) { p["organisation"], p["sign_on"] = org, sub }
	}
	coach2 := caller{httpauth.HeaderActorID: "coach-2", httpauth.HeaderActorRoles: "coach", httpauth.HeaderOrganisation: "school-2"}
	r := s.do(t, coachHdr, "POST", "/enrolments", enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach"), signOn("school-1", "oidc|aino")))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	r = s.do(t, coach2, "POST", "/enrolments", enrolment("valo", "Aino", "1994-05-17", team("coach-2", "coach"), signOn("school-2", "oidc|aino")))
	require.Equal(t, http.StatusCreated, r.status, "the same sign-on id in another organisation: %s", r.body)
	p := requireProblem(t, s.do(t, coachHdr, "POST", "/enrolments", enrolment("valo", "Eero", "1994-05-17", team("coach-1", "coach"), signOn("school-1", "oidc|aino"))),
		http.StatusUnprocessableEntity)
	errs, ok := p["errors"].([]any)
	require.True(t, ok, "%v", p)
	require.Len(t, errs, 1)
	assert.Equal(t, "sign_on", errs[0].(map[string]any)["field"])
}

// A host-given case id is the organisation's id, a colon and an id of its
// own: another organisation's id — taken or not — is the same 422 naming
// case_id and saying how, never a 409 that would tell it exists (or let one
// organisation block another's); a 409 is the organisation's own case.
func TestEnrolmentCaseIDsPerOrganisation(t *testing.T) {
	s := startService(t, memory.New())
	coachIn := func(org string) caller {
		return caller{httpauth.HeaderActorID: "coach-" + org, httpauth.HeaderActorRoles: "coach", httpauth.HeaderOrganisation: org}
	}
	enrol := func(org, caseID string) response {
		e := enrolment("valo", "Aino", "1994-05-17", team("coach-"+org, "coach"), func(p map[string]any) { p["organisation"] = org })
		e["case_id"] = caseID
		return s.do(t, coachIn(org), "POST", "/enrolments", e)
	}
	r := enrol("school-1", "school-1:case-1")
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	assert.Equal(t, "school-1:case-1", r.json(t)["id"])

	var answers []string
	for _, id := range []string{"school-1:case-1", "school-1:case-2"} {
		p := requireProblem(t, enrol("school-2", id), http.StatusUnprocessableEntity)
		errs := p["errors"].([]any)
		require.Len(t, errs, 1)
		fp := errs[0].(map[string]any)
		assert.Equal(t, "case_id", fp["field"])
		assert.Contains(t, fp["message"], `"school-2:case-1"`, "says how")
		answers = append(answers, fp["message"].(string))
	}
	assert.Equal(t, answers[0], answers[1], "school-1's taken id and an unused one: the same answer")
	p := requireProblem(t, enrol("school-2", "case-1"), http.StatusUnprocessableEntity)
	assert.Contains(t, p["detail"], "leave case_id empty")

	r = enrol("school-2", "school-2:case-1")
	require.Equal(t, http.StatusCreated, r.status, "school-2's own case-1: %s", r.body)
	requireProblem(t, enrol("school-1", "school-1:case-1"), http.StatusConflict)
}
