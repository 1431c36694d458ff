package hoks_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// Advisories never block the lifecycle: a plan eHOKS accepts is saved and
// approved, and every change returns the plan's advisories.
func TestLifecycleKeepsAdvisoriesBesideTheChange(t *testing.T) {
	e := newHoksEnv(t)
	ctx := context.Background()
	const (
		demoEnd = "hankittavat-ammat-tutkinnon-osat[0].osaamisen-osoittaminen[0].loppu"
		dupID   = "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1].yksiloiva-tunniste"
	)
	p := draftPlan(t)
	d := &p.VocationalUnits[0].Demonstrations[0]
	d.End = d.Start.AddDays(-1)                                    // eHOKS does not check a demonstration's dates
	p.VocationalUnits[0].Methods[1].PeriodID = hoks.Ref("jakso-1") // nor that period identifiers are unique
	fields := func(list []coaching.FieldProblem) []string {
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = a.Field
		}
		return out
	}

	tests := []struct {
		name   string
		change func(basedOn int64) (hoks.Version, error)
		status hoks.Status
	}{
		{"save a draft", func(int64) (hoks.Version, error) { return e.svc.SaveDraft(ctx, ct.Tutor, e.id, 0, p) }, hoks.StatusDraft},
		{"approve", func(n int64) (hoks.Version, error) {
			return e.svc.Approve(ctx, ct.Tutor, e.id, n, coaching.DateOf(e.Clock.Now()))
		}, hoks.StatusApproved},
		{"start", func(n int64) (hoks.Version, error) { return e.svc.Start(ctx, ct.Tutor, e.id, n) }, hoks.StatusInProgress},
		{"update", func(n int64) (hoks.Version, error) {
			prev, err := e.svc.Version(ctx, ct.Tutor, e.id, n)
			require.NoError(t, err)
			prev.Plan.Phone = hoks.Ref("+358 40 765 4321")
			return e.svc.SaveDraft(ctx, ct.Tutor, e.id, n, prev.Plan)
		}, hoks.StatusUpdated},
		{"re-approve", func(n int64) (hoks.Version, error) {
			return e.svc.Approve(ctx, ct.Tutor, e.id, n, coaching.DateOf(e.Clock.Now()))
		}, hoks.StatusApproved},
	}
	var n int64
	for _, tt := range tests {
		v, err := tt.change(n)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.status, v.Status, tt.name)
		assert.Equal(t, []string{dupID, demoEnd}, fields(v.Advisories), tt.name)
		n = v.Number
	}

	// A version read back has the same advisories through hoks.Advisories.
	cur, err := e.svc.Current(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	assert.Nil(t, cur.Advisories, "set only on the version a change returns")
	assert.Equal(t, []string{dupID, demoEnd}, fields(hoks.Advisories(cur.Plan)))

	// A plan that breaks an eHOKS rule is refused; the error carries the
	// problems as a *coaching.ValidationError and the advisories beside them.
	bad := cur.Plan
	bad.VocationalUnits[0].Methods[0].PeriodID = nil // a workplace period needs one
	_, err = e.svc.SaveDraft(ctx, ct.Tutor, e.id, n, bad)
	require.ErrorIs(t, err, coaching.ErrInvalid)
	var ve *coaching.ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, []string{"hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0].yksiloiva-tunniste"}, fields(ve.Problems))
	var pe *hoks.PlanError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, []string{demoEnd}, fields(pe.Advisories), "with the first period unnamed, the identifier is no longer a duplicate")
}
