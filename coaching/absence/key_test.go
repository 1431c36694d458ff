package absence_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// A request sent again with its key — a double click, a resent form —
// records nothing: the first request answers, as it is now, even after
// an illness was accepted at once and the marks it explained are no
// longer unexplained. The tutor is told once.
func TestSubmitKeyRepeats(t *testing.T) {
	f := newFixture(t, monday, &absence.Options{Rules: absence.Rules{AutoAcceptIllnessDays: 3}})
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	mon := coaching.DateOf(monday)
	f.record(t, lesson(c.ID, mon, 1, attendance.Unexplained), lesson(c.ID, mon, 2, attendance.Unexplained))

	in := absence.Input{Kind: absence.Explanation, From: mon, Reason: absence.ReasonIllness, Key: "form-7f3a"}
	first, err := f.abs.Submit(ctx, guardian, c.ID, in)
	require.NoError(t, err)
	require.Equal(t, absence.Accepted, first.Status, "a short illness is accepted at once")
	assert.Equal(t, "form-7f3a", first.Key)
	trail := len(ct.RequireAuditTrail(t, f.env.Engine, c.ID))
	again, err := f.abs.Submit(ctx, guardian, c.ID, in)
	require.NoError(t, err, "the repeat is not refused for explaining what is explained now")
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, first.Status, again.Status)
	assert.Len(t, ct.RequireAuditTrail(t, f.env.Engine, c.ID), trail, "the repeat wrote nothing")

	report := absence.Input{Kind: absence.Report, From: mon.AddDays(1), Reason: absence.ReasonFamily, Text: "hammaslääkäri", Key: "form-8b21"}
	r1, err := f.abs.Submit(ctx, guardian, c.ID, report)
	require.NoError(t, err)
	r2, err := f.abs.Submit(ctx, guardian, c.ID, report)
	require.NoError(t, err)
	assert.Equal(t, r1.ID, r2.ID)
	assert.Equal(t, r1.Version, r2.Version)
	reqs, err := f.abs.List(ctx, ct.Tutor, c.ID, absence.ListQuery{})
	require.NoError(t, err)
	assert.Len(t, reqs, 2, "two requests, not four")
	assert.Len(t, f.notices(t, absence.NoticeKindSubmitted), 1, "the tutor is told of the report once")

	// Without a key every call records a request.
	report.Key = ""
	r3, err := f.abs.Submit(ctx, guardian, c.ID, report)
	require.NoError(t, err)
	assert.NotEqual(t, r1.ID, r3.ID)
}

// A key is its submitter's: the same key with another request is refused
// (naming key, nothing saved), another actor's same key records their
// own request, and a key longer than 100 bytes is refused.
func TestSubmitKeyMismatch(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	tue := coaching.NewDate(2026, 9, 8)
	in := absence.Input{Kind: absence.Report, From: tue, Reason: absence.ReasonFamily, Key: "k1"}
	first, err := f.abs.Submit(ctx, guardian, c.ID, in)
	require.NoError(t, err)

	other := in
	other.To = tue.AddDays(1)
	trail := len(ct.RequireAuditTrail(t, f.env.Engine, c.ID))
	_, err = f.abs.Submit(ctx, guardian, c.ID, other)
	ct.RequireInvalid(t, err, "key")
	assert.Len(t, ct.RequireAuditTrail(t, f.env.Engine, c.ID), trail)

	mine, err := f.abs.Submit(ctx, ct.Tutor, c.ID, in)
	require.NoError(t, err, "the tutor records a request on the family's behalf with the same key")
	assert.NotEqual(t, first.ID, mine.ID)

	in.Key = strings.Repeat("k", 101)
	_, err = f.abs.Submit(ctx, guardian, c.ID, in)
	ct.RequireInvalid(t, err, "key")
}

// Two submissions with one key at once record one request: the second
// conflicts on the case's ledger, runs again and finds the first.
func TestSubmitKeyConcurrent(t *testing.T) {
	f := newFixture(t, monday, nil)
	ctx := context.Background()
	c := f.minor(t, coaching.NewDate(2027, 5, 1))
	in := absence.Input{Kind: absence.Report, From: coaching.NewDate(2026, 9, 9), Reason: absence.ReasonOther, Key: "double-click"}
	var wg sync.WaitGroup
	ids := make([]string, 4)
	errs := make([]error, 4)
	for i := range ids {
		wg.Go(func() {
			r, err := f.abs.Submit(ctx, guardian, c.ID, in)
			ids[i], errs[i] = r.ID, err
		})
	}
	wg.Wait()
	for i := range ids {
		require.NoError(t, errs[i])
		assert.Equal(t, ids[0], ids[i])
	}
	reqs, err := f.abs.List(ctx, ct.Tutor, c.ID, absence.ListQuery{})
	require.NoError(t, err)
	assert.Len(t, reqs, 1)
}
