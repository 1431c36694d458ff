package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching/caseload"
)

// The curator's planned item is welfare information and the curator's own
// work: a tutor on the team must not cancel it through the week page's
// action (the id is a path value, not one of the tutor's own items).
func TestProbeTutorCancelsCuratorsPlannedItem(t *testing.T) {
	f := newCaseFixture(t)
	cl, err := caseload.New(f.env.Engine, nil)
	require.NoError(t, err)
	items, err := cl.CaseItems(context.Background(), curatorA, f.one.ID, caseload.CaseItemsQuery{})
	require.NoError(t, err)
	var item caseload.Planned
	for _, p := range items {
		if p.Title == welfarePlanned {
			item = p
		}
	}
	require.NotEmpty(t, item.ID)
	c := f.client(t, "tutor-a", "en")
	rec := c.post("/week/items/"+item.ID+"/cancel", url.Values{"version": {strconv.FormatInt(item.Version, 10)}, "reason": {"x"}})
	t.Logf("tutor cancels the curator's item: %d %s", rec.Code, rec.Header().Get("Location"))
	assert.NotEqual(t, http.StatusSeeOther, rec.Code, "a tutor cancelled the curator's welfare appointment")
}
