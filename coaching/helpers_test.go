package coaching_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

var teacher = coaching.Actor{ID: "teacher-1", Name: "Opettaja", Roles: []coaching.Role{coaching.RoleTeacher}}

// Monday 2026-09-07, 09:00 in Helsinki.
var monday = time.Date(2026, 9, 7, 9, 0, 0, 0, coaching.Helsinki)

// lesson is a 45-minute lesson mark.
func lesson(id coaching.CaseID, d coaching.Date, n int, s attendance.Status) attendance.MarkInput {
	return attendance.MarkInput{CaseID: id, Date: d, Lesson: string(rune('0' + n)), Title: "Tunti", Minutes: 45, Status: s}
}

// attendanceOf returns the attendance feature over eng, with its defaults.
func attendanceOf(t testing.TB, eng *coaching.Engine) *attendance.Service {
	t.Helper()
	a, err := attendance.New(eng, nil)
	require.NoError(t, err)
	return a
}
