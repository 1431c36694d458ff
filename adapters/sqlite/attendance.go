package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// windowDays is how many of a case's latest days (dates with marks) the
// store keeps in attendance_state.recent beside the case's totals, so that
// attendance.Reader.RecentDays reads one row for a window of up to this
// many days however many days the case has: the driver's cost is per row
// returned (the default early-warning rules read 21 days, and reading them
// a row a day cost a case at 190 days about three times what it cost a
// case at 5). A longer window, or one ending before the oldest of these
// days, walks attendance_days.
const windowDays = 40

// A case's window of latest days, as attendance_state.recent keeps it, is
// exactly the case's latest dates with marks (at most windowDays of them),
// newest first, each with the totals of its current marks. It is encoded
// as one byte, windowAll when the window holds every date the case has
// marks on and windowLatest when older ones may exist, then each day as
// six signed varints: the day (as dayOf writes it), marks, minutes,
// absent marks, absent minutes and unexplained absences. Reads and
// updates walk the bytes, without decoding the window into a slice.
const (
	windowLatest byte = 'l'
	windowAll    byte = 'a'
)

// windowDay is one day of a window: the date as the store keeps dates
// (dayOf) and the totals of its current marks.
type windowDay struct {
	day int64
	t   attendance.Totals
}

// errWindow: the bytes are not an encoded window.
var errWindow = errors.New("not an encoded window of days")

// windowHead checks an encoded window's first byte and returns whether
// the window holds every day, and its days' bytes.
func windowHead(b []byte) (all bool, days []byte, err error) {
	if len(b) == 0 || (b[0] != windowAll && b[0] != windowLatest) {
		return false, nil, errWindow
	}
	return b[0] == windowAll, b[1:], nil
}

// nextWindowDay decodes the day at the start of b (non-empty) and returns
// it with the bytes after it.
func nextWindowDay(b []byte) (windowDay, []byte, error) {
	var nums [6]int64
	for i := range nums {
		n, size := binary.Varint(b)
		if size <= 0 {
			return windowDay{}, nil, errWindow
		}
		nums[i], b = n, b[size:]
	}
	return windowDay{day: nums[0], t: attendance.Totals{Marks: int(nums[1]), Minutes: int(nums[2]),
		AbsentMarks: int(nums[3]), AbsentMinutes: int(nums[4]), Unexplained: int(nums[5])}}, b, nil
}

// appendWindowDay encodes d after b.
func appendWindowDay(b []byte, d windowDay) []byte {
	b = binary.AppendVarint(b, d.day)
	for _, n := range [...]int{d.t.Marks, d.t.Minutes, d.t.AbsentMarks, d.t.AbsentMinutes, d.t.Unexplained} {
		b = binary.AppendVarint(b, int64(n))
	}
	return b
}

// encodeWindow encodes days, newest first.
func encodeWindow(days []windowDay, all bool) []byte {
	b := make([]byte, 1, 1+len(days)*12)
	b[0] = windowLatest
	if all {
		b[0] = windowAll
	}
	for _, d := range days {
		b = appendWindowDay(b, d)
	}
	return b
}

// windowRecent returns the last n days on or before hi of an encoded
// window, oldest first, and whether the window could tell them: it holds n
// such days, or every day of the case.
func windowRecent(b []byte, hi int64, n int) ([]attendance.Day, bool, error) {
	all, rest, err := windowHead(b)
	if err != nil {
		return nil, false, err
	}
	var out []attendance.Day
	for len(rest) > 0 && len(out) < n {
		var d windowDay
		if d, rest, err = nextWindowDay(rest); err != nil {
			return nil, false, err
		}
		if d.day > hi {
			continue
		}
		if out == nil {
			out = make([]attendance.Day, 0, n)
		}
		out = append(out, attendance.Day{Date: dateOf(d.day), Totals: d.t})
	}
	if len(out) < n && !all {
		return nil, false, nil
	}
	if out == nil {
		out = []attendance.Day{}
	}
	slices.Reverse(out)
	return out, true, nil
}

// windowAdd returns the encoded window b after changes of the current
// marks on the days of deltas (newest first, one each), keeping at most
// limit days. A day in the window takes its change; a date newer than the
// window's oldest, or any when the window holds every day, is a new day of
// the case and joins it, and the oldest days leave when the window is
// over limit (then it no longer holds every day). A date older than a
// window of the latest days is none of its business.
func windowAdd(b []byte, deltas []windowDay, limit int) ([]byte, error) {
	all, rest, err := windowHead(b)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1, len(b)+len(deltas)*12)
	kept, cut := 0, false
	emit := func(d windowDay) {
		if kept == limit {
			cut = true
			return
		}
		out = appendWindowDay(out, d)
		kept++
	}
	for len(rest) > 0 {
		var e windowDay
		if e, rest, err = nextWindowDay(rest); err != nil {
			return nil, err
		}
		for len(deltas) > 0 && deltas[0].day > e.day {
			emit(deltas[0])
			deltas = deltas[1:]
		}
		if len(deltas) > 0 && deltas[0].day == e.day {
			e.t = addTotals(e.t, deltas[0].t)
			deltas = deltas[1:]
		}
		emit(e)
	}
	if all {
		for _, d := range deltas {
			emit(d)
		}
	}
	out[0] = windowLatest
	if all && !cut {
		out[0] = windowAll
	}
	return out, nil
}

// addTotals returns a + b.
func addTotals(a, b attendance.Totals) attendance.Totals {
	return attendance.Totals{Marks: a.Marks + b.Marks, Minutes: a.Minutes + b.Minutes, AbsentMarks: a.AbsentMarks + b.AbsentMarks,
		AbsentMinutes: a.AbsentMinutes + b.AbsentMinutes, Unexplained: a.Unexplained + b.Unexplained}
}

// window reads a case's encoded window of latest days; nil when the case
// has no attendance state or its state no window yet (written before
// migration 0007, or by PutFlags alone).
func (r *reader) window(ctx context.Context, id coaching.CaseID) ([]byte, error) {
	var b []byte
	err := r.queryRow(ctx, qAttendanceWindow, string(id)).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, interpretError(err, ref{kind: "attendance state", id: string(id)})
	}
	return b, nil
}

// windowError explains a window that does not decode.
func windowError(id coaching.CaseID, err error) error {
	return fmt.Errorf("sqlite: the window of attendance days of case %q does not decode: %w", id, err)
}

// walkDays reads the last n days of a case on or before hi from
// attendance_days, newest first: n rows along the primary key.
func (r *reader) walkDays(ctx context.Context, id coaching.CaseID, hi int64, n int) ([]windowDay, error) {
	rf := ref{kind: "attendance days", id: string(id)}
	rows, err := r.query(ctx, qRecentDays, string(id), hi, n)
	if err != nil {
		return nil, interpretError(err, rf)
	}
	defer rows.Close()
	var out []windowDay
	for rows.Next() {
		var d windowDay
		if err := rows.Scan(&d.day, &d.t.Marks, &d.t.Minutes, &d.t.AbsentMarks, &d.t.AbsentMinutes, &d.t.Unexplained); err != nil {
			return nil, interpretError(err, rf)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, interpretError(err, rf)
	}
	return out, nil
}

// RecentDays implements attendance.Reader: from the case's window of
// latest days (one row) when it holds the days asked for, else walking
// attendance_days.
func (r *reader) RecentDays(ctx context.Context, id coaching.CaseID, to coaching.Date, days int) ([]attendance.Day, error) {
	if days <= 0 {
		return []attendance.Day{}, nil
	}
	hi, err := dayOf("to", to)
	if err != nil {
		return nil, err
	}
	b, err := r.window(ctx, id)
	if err != nil {
		return nil, err
	}
	if b != nil {
		out, ok, err := windowRecent(b, hi, days)
		if err != nil {
			return nil, windowError(id, err)
		}
		if ok {
			return out, nil
		}
	}
	walked, err := r.walkDays(ctx, id, hi, days)
	if err != nil {
		return nil, err
	}
	out := make([]attendance.Day, len(walked))
	for i, d := range walked {
		out[len(walked)-1-i] = attendance.Day{Date: dateOf(d.day), Totals: d.t}
	}
	return out, nil
}

// nextWindow returns a case's encoded window of latest days after
// PutMarks changed the days of deltas (newest first; attendance_days
// already written): the stored window with the changes added, or, for a
// case without one, a window read from attendance_days.
func (w *writer) nextWindow(ctx context.Context, id coaching.CaseID, deltas []windowDay) ([]byte, error) {
	b, err := w.window(ctx, id)
	if err != nil {
		return nil, err
	}
	if b == nil {
		days, err := w.walkDays(ctx, id, math.MaxInt64, windowDays+1)
		if err != nil {
			return nil, err
		}
		if len(days) > windowDays {
			return encodeWindow(days[:windowDays], false), nil
		}
		return encodeWindow(days, true), nil
	}
	if b, err = windowAdd(b, deltas, windowDays); err != nil {
		return nil, windowError(id, err)
	}
	return b, nil
}
