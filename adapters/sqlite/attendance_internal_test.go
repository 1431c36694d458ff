package sqlite

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// An encoded window that is not one — empty, an unknown first byte, a day
// cut short — is an error for both the read and the update, never a panic
// or a window read wrong.
func TestWindowRefusesBadBytes(t *testing.T) {
	good := encodeWindow([]windowDay{{day: 20260908, t: attendance.Totals{Marks: 2, Minutes: 90}}, {day: 20260907, t: attendance.Totals{Marks: 1, Minutes: 300}}}, true)
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", []byte{}},
		{"unknown first byte", append([]byte{'x'}, good[1:]...)},
		{"a day cut short", good[:len(good)-1]},
		{"a varint cut short", append(append([]byte{}, good...), 0x80)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := windowRecent(tc.b, 20261231, 5)
			assert.Error(t, err)
			_, err = windowAdd(tc.b, []windowDay{{day: 20260909, t: attendance.Totals{Marks: 1}}}, windowDays)
			assert.Error(t, err)
		})
	}
	days, ok, err := windowRecent(good, 20261231, 5)
	require.NoError(t, err)
	assert.True(t, ok, "a window of every day tells any number of days")
	assert.Equal(t, []attendance.Day{
		{Date: coaching.NewDate(2026, 9, 7), Totals: attendance.Totals{Marks: 1, Minutes: 300}},
		{Date: coaching.NewDate(2026, 9, 8), Totals: attendance.Totals{Marks: 2, Minutes: 90}},
	}, days, "oldest first")
}

// windowAdd keeps the latest limit days: a new latest day pushes the
// oldest out (and the window no longer holds every day), a day older than
// a window of the latest days stays out, and a window of the latest days
// cannot tell more days than it holds.
func TestWindowKeepsTheLatestDays(t *testing.T) {
	one := attendance.Totals{Marks: 1, Minutes: 45}
	b := encodeWindow(nil, true)
	var err error
	for _, d := range []int64{20260901, 20260903, 20260902} {
		b, err = windowAdd(b, []windowDay{{day: d, t: one}}, 3)
		require.NoError(t, err)
	}
	_, ok, err := windowRecent(b, 20261231, 4)
	require.NoError(t, err)
	assert.True(t, ok, "3 days of 3: every day")

	b, err = windowAdd(b, []windowDay{{day: 20260904, t: one}, {day: 20260902, t: one}}, 3)
	require.NoError(t, err)
	assert.Equal(t, windowLatest, b[0], "the oldest day left")
	days, ok, err := windowRecent(b, 20261231, 3)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, []attendance.Day{
		{Date: coaching.NewDate(2026, 9, 2), Totals: attendance.Totals{Marks: 2, Minutes: 90}},
		{Date: coaching.NewDate(2026, 9, 3), Totals: one},
		{Date: coaching.NewDate(2026, 9, 4), Totals: one},
	}, days)
	_, ok, err = windowRecent(b, 20261231, 4)
	require.NoError(t, err)
	assert.False(t, ok, "a fourth day may exist before the window")
	_, ok, err = windowRecent(b, 20260903, 3)
	require.NoError(t, err)
	assert.False(t, ok, "three days up to 3 September reach before the window")

	older, err := windowAdd(b, []windowDay{{day: 20260831, t: one}}, 3)
	require.NoError(t, err)
	assert.Equal(t, b, older, "a day before a window of the latest days changes nothing")
}
