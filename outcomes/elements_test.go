package outcomes_test

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// Wilson 95 % intervals against values computed independently, from the
// count form (k + z²/2 ± z√(k(n−k)/n + z²/4)) / (n + z²), not the code's.
func TestWilsonKnownValues(t *testing.T) {
	const z = 1.959963984540054
	for _, c := range []struct {
		k, n   int64
		lo, hi float64
	}{
		{0, 10, 0, 0.2775328},
		{5, 10, 0.2365931, 0.7634069},
		{10, 10, 0.7224672, 1},
		{1, 1000, 0.0001765, 0.0056426},
		{35, 77, 0.3481416, 0.5652692},
	} {
		lo, hi, err := outcomes.Wilson(c.k, c.n, z)
		require.NoError(t, err)
		assert.InDelta(t, c.lo, lo, 5e-7, "%d/%d low", c.k, c.n)
		assert.InDelta(t, c.hi, hi, 5e-7, "%d/%d high", c.k, c.n)
	}
	for _, bad := range [][2]int64{{0, 0}, {-1, 10}, {11, 10}} {
		_, _, err := outcomes.Wilson(bad[0], bad[1], z)
		assert.Error(t, err, "%d/%d", bad[0], bad[1])
	}
	_, _, err := outcomes.Wilson(1, 2, 0)
	assert.Error(t, err)
}

// elementsCohort is 20 leavers and one participant still in coaching:
// c01–c10 had trust in 12 h of sessions and all went to work; c11–c20 had
// no trust element in 45 h, c11 was redirected and the rest became
// unemployed; c01 alone was in a peer group; c21 has not left.
func elementsCohort(t *testing.T) *outcomes.ElementsAggregator {
	t.Helper()
	id := func(i int) coaching.CaseID { return coaching.CaseID(fmt.Sprintf("c%02d", i)) }
	var sessions []session.Session
	for i := 1; i <= 21; i++ {
		s := session.Session{Kind: session.Individual, Cases: []coaching.CaseID{id(i)}, Hours: decimal.NewFromInt(12),
			Elements: []session.ApproachElement{session.ElementTrust, session.ElementPresence}}
		if i > 10 {
			s.Hours, s.Elements = decimal.RequireFromString("22.5"), []session.ApproachElement{session.ElementPresence}
			sessions = append(sessions, s)
		}
		sessions = append(sessions, s)
	}
	sessions = append(sessions,
		session.Session{Kind: session.Group, Cases: []coaching.CaseID{id(1)}, Hours: decimal.NewFromInt(1), PeerSupport: "vertaisryhmä"},
		// An outreach visit is not coaching of a case: its hours and
		// elements are not counted.
		session.Session{Kind: session.Outreach, Cases: []coaching.CaseID{id(12)}, Hours: decimal.NewFromInt(20),
			Elements: []session.ApproachElement{session.ElementTrust}})
	a := outcomes.NewElements(nil, sessions)
	yes, no := true, false
	for i := 1; i <= 21; i++ {
		in := &outcomes.Input{Case: coaching.Case{ID: id(i)}, Left: &yes}
		switch {
		case i <= 10:
			in.Destination = &pathway.Destination{Kind: pathway.WorkOpen}
		case i == 11:
			in.Destination = &pathway.Destination{Kind: pathway.Redirected}
		case i <= 20:
			in.Destination = &pathway.Destination{Kind: pathway.Unemployed}
		default:
			in.Left = &no
		}
		a.Add(in)
	}
	return a
}

func group(t *testing.T, r outcomes.ElementsReport, factor, label string) outcomes.ElementsGroup {
	t.Helper()
	for _, g := range r.Groups {
		if g.Factor == factor && g.Label == label {
			return g
		}
	}
	t.Fatalf("no group %s %s", factor, label)
	return outcomes.ElementsGroup{}
}

func TestElementsGroupsLeavers(t *testing.T) {
	r := elementsCohort(t).Report()
	assert.EqualValues(t, 20, r.Leavers, "c21 has not left")
	with, without := group(t, r, "trust", "with"), group(t, r, "trust", "without")
	assert.EqualValues(t, 10, with.N)
	assert.EqualValues(t, 10, with.Positive.Count)
	assert.EqualValues(t, 0, with.Retained.Count)
	assert.Equal(t, "100.0 (72.2–100.0)", with.Positive.String())
	assert.Equal(t, "0.0 (0.0–27.8)", with.Retained.String())
	assert.EqualValues(t, 10, without.N, "the outreach visit's trust does not count")
	assert.EqualValues(t, 0, without.Positive.Count)
	assert.EqualValues(t, 1, without.Retained.Count, "redirected counts as retained")
	assert.Equal(t, "10.0 (1.8–40.4)", without.Retained.String())
	assert.EqualValues(t, 20, group(t, r, "presence", "with").N)
	assert.EqualValues(t, 0, group(t, r, "presence", "without").N)
	assert.Equal(t, "–", group(t, r, "presence", "without").Positive.String())
	assert.EqualValues(t, 10, group(t, r, "hours", "10–<20 h").N, "12 h; the 20 outreach hours are not coaching")
	assert.EqualValues(t, 10, group(t, r, "hours", "≥ 40 h").N, "2 × 22.5 h")
	assert.EqualValues(t, 0, group(t, r, "hours", "0–<10 h").N)
	for _, f := range []string{"trust", "participation", "presence", "appreciation", "interaction", "emotional_connection", "peer_support", "hours"} {
		var n int64
		for _, g := range r.Groups {
			if g.Factor == f {
				n += g.N
			}
		}
		assert.EqualValues(t, r.Leavers, n, "%s partitions the leavers", f)
	}
	assert.Contains(t, r.Notes[2], "trust with vs without (positive path)")
	assert.Contains(t, r.Notes[2], "hours 10–<20 h vs ≥ 40 h (positive path)")
	assert.NotContains(t, r.Notes[2], "(retained)", "0/10 and 1/10 overlap")
	assert.Contains(t, r.Notes[3], "not effect")
	assert.True(t, with.Retained.Overlaps(without.Retained))
	assert.False(t, with.Positive.Overlaps(without.Positive))
}

// A group under MinGroup shows its counts, never a rate or an interval.
func TestElementsSmallGroupsShowCountsOnly(t *testing.T) {
	r := elementsCohort(t).Report()
	peer := group(t, r, "peer_support", "with")
	assert.EqualValues(t, 1, peer.N)
	assert.EqualValues(t, 1, peer.Positive.Count)
	assert.True(t, peer.Positive.TooFew)
	assert.False(t, peer.Positive.Percent.Valid)
	assert.False(t, peer.Positive.Low.Valid)
	assert.Equal(t, "too few", peer.Positive.String())
	assert.False(t, peer.Positive.Overlaps(group(t, r, "peer_support", "without").Positive), "no interval, no comparison")
	assert.NotContains(t, r.Notes[2], "peer_support")
	md := r.Markdown()
	assert.Contains(t, md, "| peer_support: with | 1 | 1 | too few | 0 | too few |")
	assert.Contains(t, md, "association, not effect")

	empty := outcomes.NewElements(nil, nil).Report()
	assert.Zero(t, empty.Leavers)
	assert.Contains(t, empty.Markdown(), "| trust: with | 0 | 0 | – | 0 | – |")
}
