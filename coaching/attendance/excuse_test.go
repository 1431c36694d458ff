package attendance_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// The Excuses port: an accepted excuse turns an unexplained mark into the
// excuse's status with no guardian notice, a pending one keeps the mark
// unexplained but out of the guardians' digest (the family told the
// school themselves) and out of the unexplained rule's count; recording
// asks the port for the dates of the marks, the digest for its day, and
// the review for the window's days.
func TestExcusesPort(t *testing.T) {
	mon, tue := coaching.DateOf(monday), coaching.DateOf(monday).AddDays(1)
	var asked [][2]coaching.Date
	port := attendance.ExcusesFunc(func(_ context.Context, _ coaching.ReadTx, _ coaching.CaseID, from, to coaching.Date) ([]attendance.Excuse, error) {
		asked = append(asked, [2]coaching.Date{from, to})
		return []attendance.Excuse{
			{Date: mon, Lessons: []string{"1"}, Status: attendance.Explained, Reason: attendance.ReasonFamily},
			{Date: mon, Lessons: []string{"2", "3"}, Pending: true},
			{Date: tue, Pending: true},
		}, nil
	})
	rules := []attendance.WarningRule{attendance.UnexplainedRule{RuleName: "u2", Count: 2, SchoolDays: 10, NotifyRoles: []coaching.Role{coaching.RolePersonalTutor}}}
	env := ct.New(t, &ct.Options{Start: monday, Attendance: &attendance.Options{Excuses: port, WarningRules: rules}})
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))

	res := record(t, env, lesson(c.ID, mon, 1, attendance.Unexplained), lesson(c.ID, mon, 2, attendance.Unexplained),
		lesson(c.ID, mon, 3, attendance.Unexplained), lesson(c.ID, mon, 4, attendance.Unexplained), lesson(c.ID, mon, 5, attendance.Present))
	assert.Equal(t, 1, res.Excused)
	assert.Equal(t, attendance.Explained, res.Written[0].Status)
	assert.Equal(t, attendance.ReasonFamily, res.Written[0].Reason)
	assert.Equal(t, attendance.Unexplained, res.Written[1].Status, "a pending excuse changes no mark")
	require.Len(t, res.Notices, 1)
	assert.Equal(t, "4", res.Notices[0].Data["lessons"], "neither the excused lesson nor the pending ones are told")
	assert.Empty(t, res.Raised, "three unexplained, two of them pending: not counted")
	assert.Equal(t, [][2]coaching.Date{{mon, mon}, {mon, mon}, {mon, mon}}, asked, "once recording, once for the digest, once reviewing the window")

	env.Clock.AdvanceDays(1)
	res = record(t, env, lesson(c.ID, tue, 1, attendance.Unexplained), lesson(c.ID, tue, 2, attendance.Present))
	assert.Empty(t, res.Raised)
	env.Clock.AdvanceDays(1)
	res = record(t, env, lesson(c.ID, tue.AddDays(1), 1, attendance.Unexplained), lesson(c.ID, tue.AddDays(1), 2, attendance.Unexplained))
	require.Len(t, res.Raised, 1, "unexplained absences with no excuse")
	assert.Contains(t, res.Raised[0].Flag.Reason, "3 unexplained", "two on Wednesday and the one of Monday not pending")
}
