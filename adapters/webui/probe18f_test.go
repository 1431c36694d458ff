package webui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// The curator's appointment is hidden from the tutor while planned
// (CaseItems); once the curator marks it held, the contact log on the
// tutor's case page must not reveal it either (who met the student, when).
func TestProbeHeldWelfareItemInContacts(t *testing.T) {
	f := newCaseFixture(t)
	ctx := context.Background()
	cl, err := caseload.New(f.env.Engine, nil)
	require.NoError(t, err)
	today := coaching.DateOf(f.env.Clock.Now())
	p, err := cl.Plan(ctx, curatorA, caseload.Planned{Kind: caseload.PlanIndividualSession, Title: "Welfare talk", Cases: []coaching.CaseID{f.one.ID}, On: today})
	require.NoError(t, err)
	_, err = cl.Held(ctx, curatorA, p.ID, p.Version, caseload.HeldSession{Hours: decimal.RequireFromString("1")})
	require.NoError(t, err)
	c := f.client(t, "teacher-a", "en")
	rec := c.get("/cases/" + string(f.one.ID))
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	i := strings.Index(text, "Contacts")
	t.Log(text[i:min(len(text), i+400)])
	assert.NotContains(t, text[i:], "Kaisa", "the curator's held appointment appears in the teacher's contact log")
}
