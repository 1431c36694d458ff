package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// NormalizeAccessEntry normalises an access-log entry for comparison.
func NormalizeAccessEntry(a coaching.AccessEntry) coaching.AccessEntry {
	q := a.Clone()
	q.At = NormalizeTime(q.At)
	if len(q.Roles) == 0 {
		q.Roles = nil
	}
	return q
}

// accessEntry is a full entry: every field set, the Seq a nonsense value
// the store must ignore.
func accessEntry(actor string, caseID coaching.CaseID, when time.Time) coaching.AccessEntry {
	return coaching.AccessEntry{
		Seq:           -7,
		At:            when,
		ActorID:       actor,
		Roles:         []coaching.Role{coaching.RoleCurator, coaching.RoleCoach},
		Organisation:  "org-a",
		Operation:     coaching.OpReadWelfare,
		CaseID:        caseID,
		ParticipantID: coaching.ParticipantID("p-" + string(caseID)),
		Allowed:       true,
		Rule:          coaching.RuleWelfareRecords,
		Purpose:       "oppilashuoltoryhmän kokous: 'ääkköset' & \"lainausmerkit\"",
		Subject:       "referral-1",
	}
}

func (e *env) appendAccess(es ...coaching.AccessEntry) {
	e.Helper()
	e.update(func(tx coaching.Tx) error {
		for _, a := range es {
			if err := tx.AppendAccess(e.ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *env) accessLog(q coaching.AccessQuery) []coaching.AccessEntry {
	e.Helper()
	var out []coaching.AccessEntry
	e.view(func(tx coaching.ReadTx) error {
		var err error
		out, err = tx.AccessLog(e.ctx, q)
		return err
	})
	return out
}

func accessSeqs(es []coaching.AccessEntry) []int64 {
	out := make([]int64, len(es))
	for i, a := range es {
		out[i] = a.Seq
	}
	return out
}

// withoutSeq returns the entries normalised with Seq cleared, to compare
// what was written with what was read.
func withoutSeq(es []coaching.AccessEntry) []coaching.AccessEntry {
	return normalizeAll(es, func(a coaching.AccessEntry) coaching.AccessEntry {
		a = NormalizeAccessEntry(a)
		a.Seq = 0
		return a
	})
}

func requireAscending(e *env, seqs []int64, what string) {
	e.Helper()
	for i, s := range seqs {
		require.Positive(e, s, "%s: Seq must be positive (a zero AccessQuery.AfterSeq returns every entry)", what)
		if i > 0 {
			require.Greater(e, s, seqs[i-1], "%s: Seq must be strictly ascending: %v", what, seqs)
		}
	}
}

func accessCases() []testCase {
	return []testCase{
		{
			name: "AppendAndRead",
			rule: "Tx.AppendAccess stores an entry that ReadTx.AccessLog returns field for field, with a Seq the store assigns (the caller's is ignored), ascending in commit order",
			run:  testAccessAppendAndRead,
		},
		{
			name: "Filters",
			rule: "ReadTx.AccessLog returns exactly the entries AccessQuery.Match accepts (ActorID, CaseID, ParticipantID, Organisation, From inclusive, To exclusive, AfterSeq; zero fields do not filter), in ascending Seq order",
			run:  testAccessFilters,
		},
		{
			name: "Paging",
			rule: "ReadTx.AccessLog: Limit caps the result (0 means no limit) after filtering; AfterSeq with Limit pages through the log, every entry once, in order",
			run:  testAccessPaging,
		},
		{
			name: "RolledBack",
			rule: "Store.Update: an access-log entry appended by a failed transaction is not stored; the transaction itself reads it; later entries still get ascending Seqs",
			run:  testAccessRollback,
		},
		{
			name: "UntrustedText",
			rule: "Tx.AppendAccess stores every entry, whatever bytes its text holds (invalid UTF-8, NUL, control characters, over-long text in every field, roles included), as coaching.AccessEntry.Sanitized returns it; AccessLog returns it so and finds it by its sanitized text; clean text is kept as it is",
			run:  testAccessUntrustedText,
		},
		{
			name: "ConcurrentAppendsUnique",
			rule: "Tx.AppendAccess: Seq is unique across the store, also when many transactions append at once",
			run:  testAccessConcurrent,
		},
	}
}

func testAccessUntrustedText(e *env) {
	long := strings.Repeat("ä", 1000) // 2000 bytes
	tests := []struct{ name, text string }{
		{"invalid UTF-8", "bad \xff\xfe bytes \xc3"},
		{"NUL", "before\x00after\x00"},
		{"NUL next to invalid UTF-8", "\x00\xff"},
		{"control characters", "line\nbreak\r\x1b[31m\x7f"},
		{"over-long", long},
		{"over-long, cut inside a character", "x" + long},
		{"over-long after the replacement", strings.Repeat("\xffa", 500)},
		{"everything", "\x00" + long + "\xff"},
	}
	for i, tt := range tests {
		in := coaching.AccessEntry{At: at(time.Duration(i) * time.Minute), ActorID: tt.text, Roles: []coaching.Role{coaching.Role(tt.text), coaching.RoleCoach},
			Organisation: coaching.OrganisationID(tt.text), Operation: coaching.Operation(tt.text), CaseID: coaching.CaseID(tt.text),
			ParticipantID: coaching.ParticipantID(tt.text), Allowed: i%2 == 0, Rule: tt.text, Purpose: tt.text, Subject: tt.text}
		want := in.Sanitized()
		require.NotEqual(e, in.ActorID, want.ActorID, "%s: the fixture needs cleaning", tt.name)
		e.appendAccess(in) // never refused
		got := e.accessLog(coaching.AccessQuery{ActorID: want.ActorID, From: in.At, To: in.At.Add(time.Microsecond)})
		if assert.Len(e, got, 1, "%s: the entry is stored and found by its sanitized actor id", tt.name) {
			assert.Equal(e, withoutSeq([]coaching.AccessEntry{want}), withoutSeq(got), "%s: stored as AccessEntry.Sanitized returns it", tt.name)
		}
	}
	clean := accessEntry("a-clean 'ääkköset' 🧑‍🏫", "c-1", at(time.Hour))
	e.appendAccess(clean)
	all := e.accessLog(coaching.AccessQuery{})
	require.Len(e, all, len(tests)+1, "no entry is dropped")
	assert.Equal(e, withoutSeq([]coaching.AccessEntry{clean}), withoutSeq(all[len(all)-1:]), "clean text is kept as it is")
	for _, a := range all {
		for _, s := range append([]string{a.ActorID, string(a.Organisation), string(a.Operation), string(a.CaseID), string(a.ParticipantID), a.Rule, a.Purpose, a.Subject},
			roleTexts(a.Roles)...) {
			assert.True(e, utf8.ValidString(s) && !strings.Contains(s, "\x00") && len(s) <= coaching.MaxAccessTextBytes, "stored text %.40q", s)
		}
	}
}

func roleTexts(rs []coaching.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func testAccessAppendAndRead(e *env) {
	assert.Empty(e, e.accessLog(coaching.AccessQuery{}), "an empty access log")

	full := accessEntry("a-curator", "c-1", at(hour+7*time.Microsecond))
	denied := coaching.AccessEntry{
		At:        at(2 * hour),
		ActorID:   "a-teacher",
		Operation: coaching.OpReadIdentityCode,
		Rule:      coaching.RuleIdentityCode,
		// Not allowed; no roles, organisation, case, participant, purpose
		// or subject: optional fields may be empty.
	}
	figures := coaching.AccessEntry{Seq: 12345, At: at(3 * hour), ActorID: "a-funder", Roles: []coaching.Role{coaching.RoleFunder},
		Operation: coaching.OpReadFigures, Allowed: true, Rule: coaching.RuleFunderAggregate}
	e.appendAccess(full)
	e.appendAccess(denied, figures) // two in one transaction
	// An entry older (by At) than the ones before it still comes last: the
	// log is in Seq (commit) order, not time order.
	late := accessEntry("a-head", "c-2", at(-day))
	late.Operation, late.Rule, late.Roles = coaching.OpErase, coaching.RuleErasure, []coaching.Role{coaching.RoleHeadOfStudies}
	e.appendAccess(late)

	want := []coaching.AccessEntry{full, denied, figures, late}
	got := e.accessLog(coaching.AccessQuery{})
	require.Len(e, got, len(want))
	requireAscending(e, accessSeqs(got), "AccessLog({})")
	assert.Equal(e, withoutSeq(want), withoutSeq(got), "the entries field for field, in the order they were committed")
	assert.False(e, got[1].Allowed, "Allowed false must survive")
	assert.True(e, got[0].At.Equal(full.At), "At keeps its microseconds")
	assert.Empty(e, got[1].Roles, "an entry without roles comes back without them")

	// Seqs go on ascending in later transactions.
	e.appendAccess(accessEntry("a-curator", "c-1", at(4*hour)))
	all := e.accessLog(coaching.AccessQuery{})
	require.Len(e, all, 5)
	requireAscending(e, accessSeqs(all), "after one more append")
	assert.Equal(e, accessSeqs(got), accessSeqs(all[:4]), "the Seqs of stored entries never change")
}

// accessFixture appends a mixed log, in several transactions, and returns
// it as read back.
func accessFixture(e *env) []coaching.AccessEntry {
	e.Helper()
	actors := []string{"a-curator", "a-head", "a-teacher"}
	cases := []coaching.CaseID{"c-1", "c-2", ""}
	orgs := []coaching.OrganisationID{"org-a", "org-b", ""}
	var batch []coaching.AccessEntry
	n := 0
	for _, actor := range actors {
		for _, c := range cases {
			for _, org := range orgs {
				n++
				a := accessEntry(actor, c, at(time.Duration(n*37%27)*hour+time.Duration(n)*time.Microsecond))
				a.Organisation = org
				if c == "" {
					a.ParticipantID = ""
				}
				if n%4 == 0 {
					a.ParticipantID = "p-other" // a participant read, no case of theirs
					a.CaseID = ""
				}
				a.Allowed = n%3 != 0
				batch = append(batch, a)
				if len(batch) == 4 {
					e.appendAccess(batch...)
					batch = nil
				}
			}
		}
	}
	e.appendAccess(batch...)
	all := e.accessLog(coaching.AccessQuery{})
	require.Len(e, all, n)
	requireAscending(e, accessSeqs(all), "AccessLog({})")
	return all
}

func testAccessFilters(e *env) {
	all := accessFixture(e)
	mid := all[len(all)/2].Seq
	queries := []coaching.AccessQuery{
		{},
		{ActorID: "a-head"},
		{ActorID: "a-nobody"},
		{CaseID: "c-1"},
		{CaseID: "c-"}, // a prefix of stored ids matches nothing
		{ParticipantID: "p-c-2"},
		{ParticipantID: "p-other"},
		{Organisation: "org-b"},
		{From: at(5 * hour)},
		{To: at(5 * hour)},
		{From: all[3].At, To: all[3].At.Add(time.Microsecond)}, // exactly one instant
		{From: all[3].At, To: all[3].At},                       // an empty range
		{From: at(2 * hour), To: at(20 * hour)},
		{AfterSeq: mid},
		{AfterSeq: all[len(all)-1].Seq},
		{ActorID: "a-curator", CaseID: "c-2", Organisation: "org-a"},
		{ActorID: "a-teacher", ParticipantID: "p-c-1", From: at(hour), AfterSeq: all[2].Seq},
		{Organisation: "org-a", From: at(0), To: at(24 * hour), AfterSeq: all[1].Seq},
	}
	for _, q := range queries {
		var want []int64
		for _, a := range all {
			if q.Match(a) {
				want = append(want, a.Seq)
			}
		}
		got := e.accessLog(q)
		assert.Equal(e, nilIfEmpty(want), nilIfEmpty(accessSeqs(got)), "AccessLog(%+v)", q)
		for _, a := range got {
			assert.True(e, q.Match(a), "AccessLog(%+v) returned Seq %d, which the query does not match", q, a.Seq)
		}
	}

	// From is inclusive and To exclusive, to the microsecond.
	t := all[5].At
	var exact []int64
	for _, a := range all {
		if a.At.Equal(t) {
			exact = append(exact, a.Seq)
		}
	}
	require.NotEmpty(e, exact)
	assert.Equal(e, exact, accessSeqs(e.accessLog(coaching.AccessQuery{From: t, To: t.Add(time.Microsecond)})), "From is inclusive")
	for _, a := range e.accessLog(coaching.AccessQuery{To: t}) {
		assert.True(e, a.At.Before(t), "To is exclusive: Seq %d at %s", a.Seq, a.At)
	}
	for _, a := range e.accessLog(coaching.AccessQuery{From: t.Add(time.Microsecond)}) {
		assert.True(e, a.At.After(t), "From one microsecond later leaves the entries at t out: Seq %d", a.Seq)
	}

	// The filtered values are whole entries.
	q := coaching.AccessQuery{ActorID: "a-head", CaseID: "c-1"}
	var want []coaching.AccessEntry
	for _, a := range all {
		if q.Match(a) {
			want = append(want, a)
		}
	}
	assert.Equal(e, normalizeAll(want, NormalizeAccessEntry), normalizeAll(e.accessLog(q), NormalizeAccessEntry))
}

func testAccessPaging(e *env) {
	all := accessFixture(e)
	assert.Len(e, e.accessLog(coaching.AccessQuery{Limit: 0}), len(all), "Limit 0 means no limit")
	assert.Equal(e, accessSeqs(all[:1]), accessSeqs(e.accessLog(coaching.AccessQuery{Limit: 1})), "Limit 1: the first entry")
	assert.Len(e, e.accessLog(coaching.AccessQuery{Limit: len(all) + 10}), len(all), "a Limit above the count")

	// Pages of 4, each after the last Seq of the one before.
	var paged []int64
	after := int64(0)
	for page := 0; page <= len(all); page++ {
		got := e.accessLog(coaching.AccessQuery{AfterSeq: after, Limit: 4})
		require.LessOrEqual(e, len(got), 4, "Limit 4")
		if len(got) == 0 {
			break
		}
		paged = append(paged, accessSeqs(got)...)
		after = got[len(got)-1].Seq
	}
	assert.Equal(e, accessSeqs(all), paged, "paging by AfterSeq visits every entry once, in order")

	// The limit applies to the filtered entries: pages of one actor's.
	q := coaching.AccessQuery{ActorID: "a-teacher", Organisation: "org-a"}
	var want []int64
	for _, a := range all {
		if q.Match(a) {
			want = append(want, a.Seq)
		}
	}
	require.GreaterOrEqual(e, len(want), 2, "the fixture has several matching entries")
	paged = nil
	for after := int64(0); ; {
		page := q
		page.AfterSeq, page.Limit = after, 1
		got := e.accessLog(page)
		if len(got) == 0 {
			break
		}
		require.Len(e, got, 1, "AccessLog(%+v)", page)
		paged = append(paged, got[0].Seq)
		after = got[0].Seq
		require.LessOrEqual(e, len(paged), len(all), "paging does not end")
	}
	assert.Equal(e, want, paged, "Limit counts only the entries that pass the filter")
}

func testAccessRollback(e *env) {
	e.appendAccess(accessEntry("a-curator", "c-1", at(hour)))
	before := e.accessLog(coaching.AccessQuery{})
	require.Len(e, before, 1)

	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if err := tx.AppendAccess(e.ctx, accessEntry("a-rolled-back", "c-1", at(2*hour))); err != nil {
			return err
		}
		own, err := tx.AccessLog(e.ctx, coaching.AccessQuery{ActorID: "a-rolled-back"})
		require.NoError(e, err)
		if assert.Len(e, own, 1, "the transaction reads its own entry") {
			assert.Greater(e, own[0].Seq, before[0].Seq, "the entry's Seq follows the committed ones")
		}
		return errMarked
	})
	require.ErrorIs(e, err, errMarked)
	assert.Equal(e, accessSeqs(before), accessSeqs(e.accessLog(coaching.AccessQuery{})), "the rolled-back entry is not stored")
	assert.Empty(e, e.accessLog(coaching.AccessQuery{ActorID: "a-rolled-back"}))

	// A Seq may or may not be reused after a rollback (a sequence is not
	// rolled back); the next entry's is still above every stored one.
	e.appendAccess(accessEntry("a-after", "c-1", at(3*hour)))
	after := e.accessLog(coaching.AccessQuery{})
	require.Len(e, after, 2)
	requireAscending(e, accessSeqs(after), "after a rolled-back append")
	assert.Equal(e, "a-after", after[1].ActorID)
}

func testAccessConcurrent(e *env) {
	const writers, each = 8, 5
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					return tx.AppendAccess(e.ctx, accessEntry(fmt.Sprintf("a-%d-%d", w, i), "c-1", at(time.Duration(i)*time.Minute)))
				})
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		require.NoError(e, err, "writer %d", w)
	}
	all := e.accessLog(coaching.AccessQuery{})
	require.Len(e, all, writers*each, "every entry stored once")
	seqs := accessSeqs(all)
	requireAscending(e, seqs, "AccessLog({}) after concurrent appends")
	assert.Len(e, slices.Compact(slices.Clone(seqs)), writers*each, "Seqs are unique")
	actors := map[string]bool{}
	for _, a := range all {
		actors[a.ActorID] = true
	}
	assert.Len(e, actors, writers*each, "every writer's entries are there")
}
