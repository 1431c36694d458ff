package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// Another organisation's case must be answered as a missing
// id on every route. A caller-chosen X-Purpose longer than the engine's
// bound is refused (422) only once a case was loaded and handed to the
// policy: another organisation's case id gives 422, a missing id 404, so
// any signed-in user could tell which ids exist elsewhere. The
// authenticator now refuses such a header with 400 before anything is
// read, and the engine refuses the actor before it loads a case.
// (Review 16b.)
func TestLongPurposeAnsweredAlikeForForeignAndMissingCase(t *testing.T) {
	s := startService(t, memory.New())
	coach2 := caller{httpauth.HeaderActorID: "coach-2", httpauth.HeaderActorRoles: "coach", httpauth.HeaderOrganisation: "school-2"}
	e := enrolment("valo", "Aino", "1994-05-17", team("coach-2", "coach"), func(p map[string]any) { p["organisation"] = "school-2" })
	e["case_id"] = "school-2:case-1"
	r := s.do(t, coach2, "POST", "/enrolments", e)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)

	long := strings.Repeat("p", coaching.MaxPurposeBytes+1)
	for _, path := range []string{"/cases/%s", "/cases/%s/notices", "/cases/%s/hoks/summary", "/cases/%s/attendance"} {
		foreign := s.do(t, coachHdr, "GET", strings.Replace(path, "%s", "school-2:case-1", 1), nil, httpauth.HeaderPurpose, long)
		missing := s.do(t, coachHdr, "GET", strings.Replace(path, "%s", "school-2:case-9", 1), nil, httpauth.HeaderPurpose, long)
		assert.Equal(t, missing.status, foreign.status, "%s: foreign %s / missing %s", path, foreign.body, missing.body)
		assert.Equal(t, http.StatusBadRequest, foreign.status, "%s: %s", path, foreign.body)
		assert.Contains(t, string(foreign.body), httpauth.HeaderPurpose)
	}
	// At the bound the purpose is taken.
	ok := s.do(t, coach2, "GET", "/cases/school-2:case-1", nil, httpauth.HeaderPurpose, strings.Repeat("p", 1000))
	assert.Equal(t, http.StatusOK, ok.status, "%s", ok.body)
}
