package storetest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

func iterationCases() []testCase {
	return []testCase{
		{
			name: "AscendingIDOrder",
			rule: "Store.Cases streams cases in ascending id order, whatever the insertion order, field for field",
			run:  testCasesOrder,
		},
		{
			name: "ByteOrderIDs",
			rule: "Store.Cases: ascending id order is Go string (byte) order, the order CaseQuery.Match uses for AfterID",
			run:  testCasesByteOrder,
		},
		{
			name: "Filters",
			rule: "Store.Cases yields exactly the cases CaseQuery.Match accepts (Model, State, Organisation, AfterID, OpenOnly, Participant; zero fields do not filter)",
			run:  testCasesFilters,
		},
		{
			name: "ByParticipant",
			rule: "Store.Cases and CaseStreamer.CasesWithParticipants with CaseQuery.Participant yield only that participant's cases (by the case's current ParticipantID), combined with the other filters",
			run:  testCasesByParticipant,
		},
		{
			name: "BreakEarly",
			rule: "Store.Cases: leaving the range loop early is safe; the store stays usable (no lock or connection left held)",
			run:  testCasesBreak,
		},
		{
			name: "Thousand",
			rule: "Store.Cases streams every case of a large store (1000) in ascending id order, and pages with AfterID",
			run:  testCasesThousand,
		},
		{
			name: "Empty",
			rule: "Store.Cases of an empty store, or with a filter nothing matches, yields nothing",
			run: func(e *env) {
				assert.Empty(e, e.cases(coaching.CaseQuery{}), "empty store")
				e.seed("c-1")
				assert.Empty(e, e.cases(coaching.CaseQuery{Model: "none"}), "nothing matches")
				assert.Empty(e, e.cases(coaching.CaseQuery{AfterID: "c-1"}), "nothing after the last id")
			},
		},
	}
}

func testCasesOrder(e *env) {
	ids := []coaching.CaseID{"c-05", "c-01", "c-10", "c-03", "c-02", "c-09"}
	var want []coaching.Case
	for _, id := range ids {
		c := fullCase(id)
		e.insertCase(c) // one transaction each, in this order
		want = append(want, c)
	}
	slices.SortFunc(want, func(a, b coaching.Case) int { return compareIDs(a.ID, b.ID) })
	got := e.cases(coaching.CaseQuery{})
	assert.Equal(e, caseIDs(want), caseIDs(got), "ascending id order")
	assert.Equal(e, normalizeAll(want, NormalizeCase), normalizeAll(got, NormalizeCase), "the streamed cases field for field")
}

func compareIDs(a, b coaching.CaseID) int { return cmp.Compare(a, b) }

func testCasesByteOrder(e *env) {
	// Locale collations (en_US.UTF-8 and friends) sort these differently
	// from byte order: they ignore case and punctuation at first.
	ids := []coaching.CaseID{"b-2", "B-1", "a_3", "a-3", "A10", "a10", "ä-1", "z", "Z-9", "a.3"}
	for _, id := range ids {
		e.insertCase(basicCase(id, "valo", "intake", "org-a", false))
	}
	want := slices.Clone(ids)
	slices.SortFunc(want, compareIDs)
	assert.Equal(e, want, caseIDs(e.cases(coaching.CaseQuery{})), "byte order of ids")

	// AfterID pages consistently with that order.
	for i, after := range want {
		assert.Equal(e, nilIfEmpty(want[i+1:]), nilIfEmpty(caseIDs(e.cases(coaching.CaseQuery{AfterID: after}))), "AfterID %q", after)
	}
}

func testCasesFilters(e *env) {
	models := []string{"valo", "first_year"}
	states := []string{"intake", "induction", "done"}
	orgs := []coaching.OrganisationID{"org-a", "org-b", ""}
	var all []coaching.Case
	n := 0
	for _, m := range models {
		for _, s := range states {
			for _, o := range orgs {
				for _, closed := range []bool{false, true} {
					n++
					all = append(all, basicCase(coaching.CaseID(fmt.Sprintf("c-%03d", n*7%100)), m, s, o, closed))
				}
			}
		}
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	e.insertCase(all...)
	slices.SortFunc(all, func(a, b coaching.Case) int { return compareIDs(a.ID, b.ID) })
	require.Len(e, e.cases(coaching.CaseQuery{}), len(all))

	mid := all[len(all)/2].ID
	queries := []coaching.CaseQuery{
		{},
		{Model: "valo"},
		{Model: "first_year"},
		{Model: "unknown"},
		{State: "induction"},
		{Organisation: "org-b"},
		{OpenOnly: true},
		{AfterID: mid},
		{AfterID: mid + "0"}, // an id between two stored ids
		{AfterID: "a"},       // before every id
		{AfterID: "zzz"},     // after every id
		{Model: "valo", State: "done"},
		{Model: "first_year", Organisation: "org-a", OpenOnly: true},
		{State: "intake", OpenOnly: true, AfterID: mid},
		{Model: "valo", State: "induction", Organisation: "org-a", OpenOnly: true, AfterID: "c-000"},
		{Participant: all[3].ParticipantID},
		{Participant: all[3].ParticipantID, AfterID: all[3].ID},
		{Participant: all[5].ParticipantID, Model: all[5].Model, State: all[5].State, Organisation: all[5].Organisation},
		{Participant: all[5].ParticipantID, Model: "unknown"},
		{Participant: "p-none"},
	}
	for _, q := range queries {
		var want []coaching.CaseID
		for _, c := range all {
			if q.Match(c) {
				want = append(want, c.ID)
			}
		}
		got := e.cases(q)
		assert.Equal(e, want, nilIfEmpty(caseIDs(got)), "Cases(%+v)", q)
		for _, c := range got {
			assert.True(e, q.Match(c), "Cases(%+v) yielded %s, which the query does not match", q, c.ID)
		}
	}
	// The filtered values are whole cases.
	q := coaching.CaseQuery{Model: "first_year", State: "done", Organisation: "org-b"}
	var want []coaching.Case
	for _, c := range all {
		if q.Match(c) {
			want = append(want, c)
		}
	}
	assert.Equal(e, normalizeAll(want, NormalizeCase), normalizeAll(e.cases(q), NormalizeCase))
}

func testCasesBreak(e *env) {
	var ids []coaching.CaseID
	for i := range 20 {
		ids = append(ids, coaching.CaseID(fmt.Sprintf("c-%02d", i)))
	}
	e.seed(ids...)

	for round := range 3 {
		var seen []coaching.CaseID
		for c, err := range e.store.Cases(e.ctx, coaching.CaseQuery{}) {
			require.NoError(e, err)
			seen = append(seen, c.ID)
			if len(seen) == 3 {
				break
			}
		}
		assert.Equal(e, ids[:3], seen, "round %d: the first three cases", round)
	}

	// After leaving loops early, writes and reads still go through.
	err := within(e, 30*time.Second, "Update after breaking out of Cases", func() error {
		return e.store.Update(e.ctx, func(tx coaching.Tx) error {
			c, err := tx.Case(e.ctx, "c-00")
			if err != nil {
				return err
			}
			return tx.UpdateCase(e.ctx, nextVersion(c, "induction", at(day)), 1)
		})
	})
	require.NoError(e, err)
	assert.Equal(e, int64(2), e.mustCase("c-00").Version)
	assert.Len(e, e.cases(coaching.CaseQuery{}), 20, "a full iteration after breaking out early")

	// Breaking out at the very first case.
	for range e.store.Cases(e.ctx, coaching.CaseQuery{}) {
		break
	}
	err = within(e, 30*time.Second, "Update after breaking out of Cases at the first case", func() error {
		return e.store.Update(e.ctx, func(tx coaching.Tx) error {
			return tx.InsertParticipant(e.ctx, minimalParticipant("p-after-break"))
		})
	})
	require.NoError(e, err)
}

func testCasesThousand(e *env) {
	const total, batch = 1000, 100
	ids := make([]coaching.CaseID, total)
	for i := range ids {
		ids[i] = coaching.CaseID(fmt.Sprintf("c-%04d", i))
	}
	shuffled := slices.Clone(ids)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for start := 0; start < total; start += batch {
		var cs []coaching.Case
		for _, id := range shuffled[start : start+batch] {
			closed := id[len(id)-1] == '7'
			cs = append(cs, basicCase(id, "valo", "intake", "org-a", closed))
		}
		e.insertCase(cs...)
	}

	got := caseIDs(e.cases(coaching.CaseQuery{}))
	assert.Len(e, got, total)
	assert.Equal(e, ids, got, "all 1000 in ascending id order")

	open := caseIDs(e.cases(coaching.CaseQuery{OpenOnly: true}))
	assert.Len(e, open, total-total/10, "OpenOnly skips the 100 closed cases")

	// Paging with AfterID, 100 at a time, leaving each loop early.
	var paged []coaching.CaseID
	after := coaching.CaseID("")
	for page := 0; page < 20; page++ {
		n := 0
		for c, err := range e.store.Cases(e.ctx, coaching.CaseQuery{AfterID: after}) {
			require.NoError(e, err)
			paged = append(paged, c.ID)
			after = c.ID
			if n++; n == 100 {
				break
			}
		}
		if n < 100 {
			break
		}
	}
	assert.Equal(e, ids, paged, "paging by AfterID visits every case once, in order")
}

func testCasesByParticipant(e *env) {
	// Participants with several cases; "p-a" is a prefix of "p-ab", which
	// must not match it. Ids are scoped per organisation: "p-a" of org-a
	// and "p-a" of org-b are two participants, each joined to the cases
	// of its own organisation.
	in := func(org coaching.OrganisationID, id coaching.ParticipantID) coaching.Participant {
		p := minimalParticipant(id)
		p.Organisation = org
		p.GivenNames = "Liisa " + string(org)
		return p
	}
	e.insertParticipant(in("org-a", "p-a"), in("org-b", "p-a"), in("org-a", "p-ab"), in("org-a", "p-b"))
	mk := func(id coaching.CaseID, p coaching.ParticipantID, org coaching.OrganisationID, closed bool) coaching.Case {
		c := basicCase(id, "valo", "intake", org, closed)
		c.ParticipantID = p
		return c
	}
	cases := []coaching.Case{
		mk("c-5", "p-a", "org-b", false),
		mk("c-1", "p-a", "org-a", false),
		mk("c-2", "p-b", "org-a", false),
		mk("c-3", "p-a", "org-a", true),
		mk("c-4", "p-ab", "org-a", false),
		mk("c-6", "p-gone", "org-a", false), // a participant not stored (as p-many below)
	}
	e.update(func(tx coaching.Tx) error {
		for _, c := range cases {
			if err := tx.InsertCase(e.ctx, c); err != nil {
				return err
			}
		}
		return nil
	})

	check := func(q coaching.CaseQuery, want ...coaching.CaseID) {
		e.Helper()
		assert.Equal(e, nilIfEmpty(want), nilIfEmpty(caseIDs(e.cases(q))), "Cases(%+v)", q)
		streamer, ok := e.store.(coaching.CaseStreamer)
		if !ok {
			return
		}
		var got []coaching.CaseID
		for row, err := range streamer.CasesWithParticipants(e.ctx, q) {
			require.NoError(e, err, "CasesWithParticipants(%+v) yielded an error", q)
			got = append(got, row.Case.ID)
			if q.Participant == "" {
				continue
			}
			assert.Equal(e, q.Participant, row.Case.ParticipantID, "CasesWithParticipants(%+v): the case's participant", q)
			if q.Participant == "p-gone" || q.Participant == "p-many" {
				assert.False(e, row.HasParticipant, "CasesWithParticipants(%+v): the participant is not stored", q)
			} else if assert.True(e, row.HasParticipant, "CasesWithParticipants(%+v): HasParticipant", q) {
				assert.Equal(e, q.Participant, row.Participant.ID, "CasesWithParticipants(%+v): the joined participant", q)
				assert.Equal(e, row.Case.Organisation, row.Participant.Organisation, "CasesWithParticipants(%+v): the participant of the case's organisation", q)
				assert.Equal(e, "Liisa "+string(row.Case.Organisation), row.Participant.GivenNames, "CasesWithParticipants(%+v): the participant of the case's organisation", q)
			}
		}
		assert.Equal(e, nilIfEmpty(want), nilIfEmpty(got), "CasesWithParticipants(%+v)", q)
	}
	check(coaching.CaseQuery{Participant: "p-a"}, "c-1", "c-3", "c-5")
	check(coaching.CaseQuery{Participant: "p-ab"}, "c-4")
	check(coaching.CaseQuery{Participant: "p-b"}, "c-2")
	check(coaching.CaseQuery{Participant: "p-gone"}, "c-6")
	check(coaching.CaseQuery{Participant: "p-"})
	check(coaching.CaseQuery{Participant: "P-A"})
	check(coaching.CaseQuery{Participant: "p-a", OpenOnly: true}, "c-1", "c-5")
	check(coaching.CaseQuery{Participant: "p-a", Organisation: "org-b"}, "c-5")
	check(coaching.CaseQuery{Participant: "p-a", AfterID: "c-1"}, "c-3", "c-5")
	check(coaching.CaseQuery{Participant: "p-a", Model: "valo", State: "intake"}, "c-1", "c-3", "c-5")
	check(coaching.CaseQuery{Participant: "p-a", State: "induction"})
	check(coaching.CaseQuery{}, "c-1", "c-2", "c-3", "c-4", "c-5", "c-6")

	// A case moved to another participant is found under the new one.
	c2 := e.mustCase("c-2")
	moved := nextVersion(c2, "induction", at(day))
	moved.ParticipantID = "p-a"
	e.update(func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, moved, c2.Version) })
	check(coaching.CaseQuery{Participant: "p-a"}, "c-1", "c-2", "c-3", "c-5")
	check(coaching.CaseQuery{Participant: "p-b"})
	check(coaching.CaseQuery{Participant: "p-a", State: "induction"}, "c-2")

	// Many cases of one participant page across batches.
	var many []coaching.CaseID
	e.update(func(tx coaching.Tx) error {
		for i := range 1200 {
			c := mk(coaching.CaseID(fmt.Sprintf("m-%04d", i)), "p-many", "org-a", false)
			if i%3 == 0 {
				c.ParticipantID = "p-other"
			} else {
				many = append(many, c.ID)
			}
			if err := tx.InsertCase(e.ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	check(coaching.CaseQuery{Participant: "p-many"}, many...)
}
