package webuidemo_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/examples/webui/webuidemo"
)

// TestWork: the demo's tutor owns two open alerts about the flagged
// student (the teacher's and the coach's), the coach one; both have items
// planned for today: the tutor's goal discussion with the first student (a
// coaching session, the flagged student's of today is held already), the
// coach's group session among three items.
func TestWork(t *testing.T) {
	d, err := webuidemo.New(context.Background(), nil)
	require.NoError(t, err)
	cl, err := caseload.New(d.Engine, nil)
	require.NoError(t, err)
	actor := func(key string) coaching.Actor {
		for _, id := range d.Identities {
			if id.Key == key {
				return id.Actor
			}
		}
		t.Fatalf("no identity %q", key)
		return coaching.Actor{}
	}
	ctx := context.Background()
	mine, err := cl.MyAlerts(ctx, actor(webuidemo.KeyTutor), caseload.AlertQuery{})
	require.NoError(t, err)
	require.Len(t, mine.Alerts, 2)
	for _, a := range mine.Alerts {
		assert.Equal(t, d.Flagged, a.CaseID, "the alerts are about the flagged student")
	}
	coach, err := cl.MyAlerts(ctx, actor(webuidemo.KeyCoach), caseload.AlertQuery{})
	require.NoError(t, err)
	assert.Len(t, coach.Alerts, 1)

	today := coaching.DateOf(time.Now())
	items, err := cl.Agenda(ctx, actor(webuidemo.KeyTutor), today, today)
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, caseload.PlanIndividualSession, items[0].Kind)
	assert.Equal(t, []coaching.CaseID{d.Cases[0]}, items[0].Cases)
	items, err = cl.Agenda(ctx, actor(webuidemo.KeyCoach), today, today.AddDays(7))
	require.NoError(t, err)
	assert.Len(t, items, 3)
}
