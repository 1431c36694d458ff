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

// actorOf is the demo's identity key's actor.
func actorOf(t *testing.T, d *webuidemo.Demo, key string) coaching.Actor {
	t.Helper()
	for _, id := range d.Identities {
		if id.Key == key {
			return id.Actor
		}
	}
	t.Fatalf("no identity %q", key)
	return coaching.Actor{}
}

// TestNew builds the demo on each day of a week (and on a Monday morning
// before the first lesson): the cohort has a past — no case was opened
// today or entered its phase today, most students have moved on from the
// first phase, and exactly the second tutor's two students whose initial
// situation is not mapped are past their phase deadline, at the top of the organisation's and the coach's caseloads
// (the organisation's also lists the workshop's five open cases, none overdue)
// (the morning tick noticed each the day after its deadline). The tutor's
// caseload has the twelve students, exactly one flagged and at the top
// of the urgency order (the overdue cases are not the tutor's); the other
// organisation's tutor sees only their own student.
func TestNew(t *testing.T) {
	ctx := context.Background()
	monday := time.Date(2026, 11, 30, 12, 0, 0, 0, coaching.Helsinki) // today's lessons are not a completed day
	nows := []time.Time{monday.Add(-5 * time.Hour)}                   // before the day's first lesson
	for n := range 7 {
		nows = append(nows, monday.AddDate(0, 0, -n))
	}
	for _, now := range nows {
		t.Run(now.Weekday().String()+now.Format("T1504"), func(t *testing.T) {
			d, err := webuidemo.New(ctx, &webuidemo.Options{Now: now})
			require.NoError(t, err)
			require.Len(t, d.Cases, 16)
			assert.Equal(t, coaching.DateOf(now), d.Today)
			assert.Equal(t, coaching.DateOf(now), coaching.DateOf(d.Engine.Clock().Now()), "the demo's clock stays on its day")
			cl, err := caseload.New(d.Engine, nil)
			require.NoError(t, err)

			org, err := cl.List(ctx, actorOf(t, d, webuidemo.KeyHead), caseload.Query{})
			require.NoError(t, err)
			require.Len(t, d.WorkshopOpen, 5)
			require.Len(t, org.Rows, 16+5, "the group and the workshop's open cases")
			var overdue []coaching.CaseID
			moved := 0
			for _, r := range org.Rows {
				c, err := d.Engine.Case(ctx, actorOf(t, d, webuidemo.KeyHead), r.CaseID)
				require.NoError(t, err)
				assert.True(t, coaching.DateOf(c.OpenedAt).Before(d.Today), "%s opened before today", r.Name)
				assert.True(t, coaching.DateOf(c.Phase.EnteredAt).Before(d.Today), "%s entered the phase before today", r.Name)
				if r.Overdue {
					overdue = append(overdue, r.CaseID)
					// The morning tick noticed the deadline the day after.
					require.False(t, c.Phase.OverdueAt.IsZero(), "%s marked overdue by a tick", r.Name)
					assert.Equal(t, coaching.DateOf(c.Phase.DueAt).AddDays(1), coaching.DateOf(c.Phase.OverdueAt))
				}
				if c.State == coaching.PilotCoaching {
					moved++
				}
			}
			assert.ElementsMatch(t, d.Overdue, overdue, "exactly the intended cases are overdue")
			require.Len(t, d.Overdue, 2)
			assert.ElementsMatch(t, d.Overdue, []coaching.CaseID{org.Rows[0].CaseID, org.Rows[1].CaseID}, "overdue first")
			assert.NotContains(t, d.Overdue, d.Flagged)
			assert.Equal(t, 12, moved, "most students have moved on from the first phase")

			page, err := cl.Mine(ctx, actorOf(t, d, webuidemo.KeyTutor), caseload.Query{})
			require.NoError(t, err)
			require.Len(t, page.Rows, 12)
			assert.Equal(t, d.Flagged, page.Rows[0].CaseID, "the flagged student is the most urgent")
			assert.Equal(t, d.FlaggedName, page.Rows[0].Name)
			assert.NotEmpty(t, page.Rows[0].Flags)
			for _, r := range page.Rows {
				assert.False(t, r.Overdue, "none of the tutor's students is overdue")
			}
			for _, r := range page.Rows[1:] {
				assert.Empty(t, r.Flags, "only one student is flagged")
			}
			flagged, err := d.Engine.Case(ctx, actorOf(t, d, webuidemo.KeyTutor), d.Flagged)
			require.NoError(t, err)
			assert.Equal(t, coaching.PilotStartOfStudies, flagged.State, "the flagged student's initial situation is still to map")

			coached, err := cl.Mine(ctx, actorOf(t, d, webuidemo.KeyCoach), caseload.Query{})
			require.NoError(t, err)
			require.Len(t, coached.Rows, 8)
			assert.ElementsMatch(t, d.Overdue, []coaching.CaseID{coached.Rows[0].CaseID, coached.Rows[1].CaseID}, "both overdue students are the coach's")
			assert.Equal(t, d.Flagged, coached.Rows[2].CaseID)

			second, err := cl.Mine(ctx, actorOf(t, d, webuidemo.KeySecondTutor), caseload.Query{})
			require.NoError(t, err)
			require.Len(t, second.Rows, 4)
			assert.True(t, second.Rows[0].Overdue && second.Rows[1].Overdue, "the second tutor's overdue students first")

			other, err := cl.Mine(ctx, actorOf(t, d, webuidemo.KeyOtherTutor), caseload.Query{})
			require.NoError(t, err)
			require.Len(t, other.Rows, 1)
			assert.NotContains(t, d.Cases, other.Rows[0].CaseID)
		})
	}
}

// TestNewRefusesAFutureDay: a present after the system clock's is an
// error, not a demo ahead of the world.
func TestNewRefusesAFutureDay(t *testing.T) {
	_, err := webuidemo.New(context.Background(), &webuidemo.Options{Now: time.Now().AddDate(0, 0, 7)})
	assert.ErrorContains(t, err, "future")
}

// TestNewCaseData: the flagged student's case has a HOKS drafted and
// approved after the student joined, whose version in force (approved
// today) differs from the one approved before it by a unit added and the
// workplace period moved, and guidance work to show — sessions since the
// student joined, contacts, planned items held, cancelled and to come.
func TestNewCaseData(t *testing.T) {
	ctx := context.Background()
	d, err := webuidemo.New(ctx, &webuidemo.Options{Now: time.Date(2026, 11, 30, 12, 0, 0, 0, coaching.Helsinki)})
	require.NoError(t, err)
	tutor := actorOf(t, d, webuidemo.KeyTutor)
	c, err := d.Engine.Case(ctx, tutor, d.Flagged)
	require.NoError(t, err)
	joined := coaching.DateOf(c.OpenedAt)

	plans, err := hoks.NewService(d.Engine)
	require.NoError(t, err)
	vs, err := plans.History(ctx, tutor, d.Flagged)
	require.NoError(t, err)
	require.Len(t, vs, 4)
	assert.Equal(t, []hoks.Status{hoks.StatusDraft, hoks.StatusApproved, hoks.StatusUpdated, hoks.StatusApproved},
		[]hoks.Status{vs[0].Status, vs[1].Status, vs[2].Status, vs[3].Status})
	for i, v := range vs {
		assert.True(t, joined.Before(coaching.DateOf(v.At)), "version %d after the student joined", i+1)
		if i > 0 {
			assert.True(t, vs[i-1].At.Before(v.At), "version %d after the one before", i+1)
		}
	}
	assert.Equal(t, d.Today, coaching.DateOf(vs[3].At), "the update approved today")
	assert.True(t, coaching.DateOf(vs[1].At).Before(d.Today.AddDays(-7)), "the first approval weeks ago")
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
	for _, s := range got {
		assert.False(t, s.Date.Before(joined), "%s on %s, after the student joined", s.Topic, s.Date)
		assert.False(t, s.Date.After(d.Today), s.Topic)
	}
	cl, err := caseload.New(d.Engine, nil)
	require.NoError(t, err)
	contacts, err := cl.Contacts(ctx, tutor, d.Flagged, 0)
	require.NoError(t, err)
	assert.Len(t, contacts, 3, "two logged, one of the session held")
	agenda, err := cl.Agenda(ctx, tutor, d.Today, d.Today.AddDays(30))
	require.NoError(t, err)
	assert.Len(t, agenda, 4, "the follow-up, the HOKS discussion, another student's guardian meeting, and the first student's goal discussion of today (work.go)")
}
