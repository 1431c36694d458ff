package webuidemo_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/examples/webui/webuidemo"
	"github.com/valmennus/valmennus/hoks"
)

// TestNew builds the demo on a week ending on a Monday and on a Sunday:
// the tutor's caseload has the twelve students, exactly one flagged and
// at the top of the urgency order; the other organisation's tutor sees
// only their own student.
func TestNew(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, 11, 30, 12, 0, 0, 0, coaching.Helsinki), // a Monday: today's lessons are not a completed day
		time.Date(2026, 11, 29, 12, 0, 0, 0, coaching.Helsinki), // a Sunday
	} {
		t.Run(now.Weekday().String(), func(t *testing.T) {
			d, err := webuidemo.New(context.Background(), &webuidemo.Options{Now: now})
			require.NoError(t, err)
			require.Len(t, d.Cases, 12)
			actor := func(key string) coaching.Actor {
				for _, id := range d.Identities {
					if id.Key == key {
						return id.Actor
					}
				}
				t.Fatalf("no identity %q", key)
				return coaching.Actor{}
			}
			cl, err := caseload.New(d.Engine, nil)
			require.NoError(t, err)
			page, err := cl.Mine(context.Background(), actor(webuidemo.KeyTutor), caseload.Query{})
			require.NoError(t, err)
			require.Len(t, page.Rows, 12)
			assert.Equal(t, d.Flagged, page.Rows[0].CaseID, "the flagged student is the most urgent")
			assert.Equal(t, d.FlaggedName, page.Rows[0].Name)
			assert.NotEmpty(t, page.Rows[0].Flags)
			for _, r := range page.Rows[1:] {
				assert.Empty(t, r.Flags, "only one student is flagged")
			}
			other, err := cl.Mine(context.Background(), actor(webuidemo.KeyOtherTutor), caseload.Query{})
			require.NoError(t, err)
			require.Len(t, other.Rows, 1)
			assert.NotContains(t, d.Cases, other.Rows[0].CaseID)
		})
	}
}

// TestNewRefusesAFutureWeek: a week after the system clock's today is an
// error, not a demo with no attendance.
func TestNewRefusesAFutureWeek(t *testing.T) {
	_, err := webuidemo.New(context.Background(), &webuidemo.Options{Now: time.Now().AddDate(0, 0, 7)})
	assert.ErrorContains(t, err, "future")
}

// TestNewCaseData: the flagged student's case has a HOKS whose version in
// force differs from the one approved before it by a unit added and the
// workplace period moved, and guidance work to show — sessions, contacts,
// planned items held, cancelled and to come.
func TestNewCaseData(t *testing.T) {
	ctx := context.Background()
	d, err := webuidemo.New(ctx, &webuidemo.Options{Now: time.Date(2026, 11, 30, 12, 0, 0, 0, coaching.Helsinki)})
	require.NoError(t, err)
	var tutor coaching.Actor
	for _, id := range d.Identities {
		if id.Key == webuidemo.KeyTutor {
			tutor = id.Actor
		}
	}
	plans, err := hoks.NewService(d.Engine)
	require.NoError(t, err)
	vs, err := plans.History(ctx, tutor, d.Flagged)
	require.NoError(t, err)
	require.Len(t, vs, 4)
	assert.Equal(t, []hoks.Status{hoks.StatusDraft, hoks.StatusApproved, hoks.StatusUpdated, hoks.StatusApproved},
		[]hoks.Status{vs[0].Status, vs[1].Status, vs[2].Status, vs[3].Status})
	var kinds []hoks.ChangeKind
	for _, c := range hoks.Diff(vs[1].Plan, vs[3].Plan) {
		kinds = append(kinds, c.Kind)
	}
	assert.Contains(t, kinds, hoks.UnitAdded)
	assert.Contains(t, kinds, hoks.PeriodMoved)
	assert.Contains(t, kinds, hoks.InstructorChanged)

	ss, err := session.New(d.Engine)
	require.NoError(t, err)
	got, err := ss.List(ctx, tutor, session.Query{CaseID: d.Flagged})
	require.NoError(t, err)
	assert.Len(t, got, 4, "two individual sessions, the group session, the planned session held")
	cl, err := caseload.New(d.Engine, nil)
	require.NoError(t, err)
	contacts, err := cl.Contacts(ctx, tutor, d.Flagged, 0)
	require.NoError(t, err)
	assert.Len(t, contacts, 3, "two logged, one of the session held")
	agenda, err := cl.Agenda(ctx, tutor, coaching.DateOf(time.Now()), coaching.DateOf(time.Now()).AddDays(30))
	require.NoError(t, err)
	assert.Len(t, agenda, 4, "the follow-up, the HOKS discussion, another student's guardian meeting, and the first student's goal discussion of today (work.go)")
}
