package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// clUpdate runs fn on the store's write transaction as a caseload.Store.
func clUpdate(t testing.TB, store *postgres.Store, fn func(tx coaching.Tx, cl caseload.Store) error) {
	t.Helper()
	require.NoError(t, store.Update(context.Background(), func(tx coaching.Tx) error { return fn(tx, tx.(caseload.Store)) }))
}

func clSummaries(t testing.TB, store *postgres.Store, f caseload.Filter) []caseload.Summary {
	t.Helper()
	var out []caseload.Summary
	require.NoError(t, store.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		out, err = tx.(caseload.Reader).Summaries(context.Background(), f)
		return err
	}))
	return out
}

// TestCaseloadSummaries: every sort and filter of Summaries agrees with
// caseload.Key.Less and the filters' definitions applied in Go to the
// whole list, and paging by the last row's key returns the same rows.
func TestCaseloadSummaries(t *testing.T) {
	testDSN(t)
	t.Parallel()
	store := newStore(t)
	ctx := context.Background()
	base := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	now := base.Add(20 * 24 * time.Hour)
	families := []string{"Aho", "Ahonen", "Östman", "Äijälä", "Virtanen", "Åberg", "Mäkelä", "Zetterberg"}
	const n = 40
	clUpdate(t, store, func(tx coaching.Tx, cl caseload.Store) error {
		for i := range n {
			pid := coaching.ParticipantID(fmt.Sprintf("p-%02d", i))
			require.NoError(t, tx.InsertParticipant(ctx, coaching.Participant{ID: pid, GivenNames: fmt.Sprintf("Given %d", i%3),
				FamilyName: families[i%len(families)], BirthDate: coaching.NewDate(2005, 1, 1), Language: coaching.Finnish}))
			c := coaching.Case{ID: coaching.CaseID(fmt.Sprintf("c-%02d", i)), ParticipantID: pid, Organisation: "org", Model: "valo",
				State: []string{"induction", "skills"}[i%2], Version: 1, OpenedAt: base.Add(time.Duration(i%7) * time.Hour),
				Team: []coaching.TeamMember{{ActorID: fmt.Sprintf("coach-%d", i%3), Role: coaching.RoleCoach}, {ActorID: "sc", Role: coaching.RoleStudyCounsellor}}}
			if i%4 != 3 {
				c.Phase = coaching.PhaseClock{State: c.State, EnteredAt: base, DueAt: base.Add(time.Duration(i) * 24 * time.Hour)}
			}
			if i%9 == 0 {
				c.Phase.PausedAt = base
			}
			if i%11 == 0 {
				c.ClosedAt = base.Add(time.Hour)
			}
			require.NoError(t, tx.InsertCase(ctx, c))
			if i%5 == 0 {
				require.NoError(t, tx.(attendance.Store).PutFlags(ctx, c.ID, []attendance.RiskFlag{{Rule: []string{"absence", "lateness"}[i%2], Since: base}}))
			}
			if i%3 != 0 {
				require.NoError(t, cl.PutContact(ctx, caseload.Contact{ID: fmt.Sprintf("k-%02d", i), CaseID: c.ID, Organisation: "org",
					Kind: caseload.ContactPhone, On: coaching.DateOf(base).AddDays(i % 6), At: base, By: "coach", Note: "called"}))
			}
			if i%7 == 0 {
				require.NoError(t, cl.PutAlert(ctx, caseload.Alert{ID: fmt.Sprintf("a-%02d", i), CaseID: c.ID, Organisation: "org",
					Cause: caseload.Cause{Kind: caseload.CauseManual, Key: "x"}, Title: "look", Welfare: i%2 == 0, Status: caseload.AlertOpen,
					Owner: caseload.Owner{ActorID: "coach-0", Role: coaching.RoleCoach}, RaisedAt: base, RaisedBy: "coach"}))
			}
			if i%6 == 0 {
				require.NoError(t, cl.PutPlanned(ctx, caseload.Planned{ID: fmt.Sprintf("pl-%02d", i), Kind: caseload.PlanTask, Title: "meet",
					Cases: []coaching.CaseID{c.ID}, Organisation: "org", On: coaching.DateOf(now).AddDays(i % 4), Status: caseload.PlannedOpen,
					CreatedAt: base, CreatedBy: "coach", UpdatedAt: base, UpdatedBy: "coach"}))
			}
		}
		return nil
	})
	all := func(s caseload.Sort) []caseload.Summary {
		return clSummaries(t, store, caseload.Filter{Organisation: "org", Status: caseload.StatusAny, Now: now, Sort: s, Limit: 1000})
	}
	for _, s := range []caseload.Sort{caseload.SortUrgency, caseload.SortName, caseload.SortOpened} {
		rows := all(s)
		require.Len(t, rows, n, s)
		for i := 1; i < len(rows); i++ {
			assert.True(t, caseload.KeyOf(rows[i-1], s, now).Less(caseload.KeyOf(rows[i], s, now), s), "%s: %s before %s", s, rows[i-1].CaseID, rows[i].CaseID)
		}
	}
	ids := func(ss []caseload.Summary) []coaching.CaseID {
		out := []coaching.CaseID{}
		for _, s := range ss {
			out = append(out, s.CaseID)
		}
		return out
	}
	everything := all(caseload.SortUrgency)
	byID := map[coaching.CaseID]caseload.Summary{}
	for _, s := range everything {
		byID[s.CaseID] = s
	}
	c5 := byID["c-05"]
	assert.Equal(t, []string{"lateness"}, c5.Flags)
	assert.Equal(t, coaching.DateOf(base).AddDays(5), c5.LastContact)
	assert.Equal(t, "Åberg", c5.FamilyName)
	assert.Len(t, c5.Team, 2)
	assert.Equal(t, 1, byID["c-14"].ActiveWelfareAlerts)
	assert.Equal(t, 1, byID["c-07"].ActiveAlerts)
	require.NotNil(t, byID["c-06"].Next)
	assert.Equal(t, "pl-06", byID["c-06"].Next.ID)

	filters := map[string]struct {
		f    caseload.Filter
		keep func(s caseload.Summary) bool
	}{
		"member":      {caseload.Filter{Member: "coach-1"}, func(s caseload.Summary) bool { return s.Team[0].ActorID == "coach-1" }},
		"member role": {caseload.Filter{Member: "sc", MemberRole: coaching.RoleCoach}, func(s caseload.Summary) bool { return false }},
		"open":        {caseload.Filter{Status: caseload.StatusOpen}, func(s caseload.Summary) bool { return s.ClosedAt.IsZero() }},
		"closed":      {caseload.Filter{Status: caseload.StatusClosed}, func(s caseload.Summary) bool { return !s.ClosedAt.IsZero() }},
		"models":      {caseload.Filter{Models: []string{"other"}}, func(s caseload.Summary) bool { return false }},
		"states":      {caseload.Filter{States: []string{"skills"}}, func(s caseload.Summary) bool { return s.State == "skills" }},
		"overdue":     {caseload.Filter{Overdue: true}, func(s caseload.Summary) bool { return s.Overdue(now) }},
		"flagged":     {caseload.Filter{Flagged: true}, func(s caseload.Summary) bool { return len(s.Flags) > 0 }},
		"flag rule":   {caseload.Filter{FlagRule: "absence"}, func(s caseload.Summary) bool { return slices.Contains(s.Flags, "absence") }},
		"contact before": {caseload.Filter{ContactBefore: coaching.DateOf(base).AddDays(3)}, func(s caseload.Summary) bool {
			return s.LastContact.IsZero() || s.LastContact.Before(coaching.DateOf(base).AddDays(3))
		}},
		"participant": {caseload.Filter{Participant: "p-04"}, func(s caseload.Summary) bool { return s.ParticipantID == "p-04" }},
		"opened": {caseload.Filter{OpenedFrom: base.Add(2 * time.Hour), OpenedTo: base.Add(4 * time.Hour)}, func(s caseload.Summary) bool {
			return !s.OpenedAt.Before(base.Add(2*time.Hour)) && s.OpenedAt.Before(base.Add(4*time.Hour))
		}},
	}
	for name, tc := range filters {
		for _, s := range []caseload.Sort{caseload.SortUrgency, caseload.SortName, caseload.SortOpened} {
			f := tc.f
			f.Organisation, f.Now, f.Sort, f.Limit = "org", now, s, 1000
			if f.Status == "" {
				f.Status = caseload.StatusAny
			}
			want := []coaching.CaseID{}
			for _, r := range all(s) {
				if tc.keep(r) {
					want = append(want, r.CaseID)
				}
			}
			assert.Equal(t, want, ids(clSummaries(t, store, f)), "%s, %s", name, s)
			// Paged by 3, each page after the last row's key.
			var got []coaching.CaseID
			f.Limit = 3
			for {
				page := clSummaries(t, store, f)
				got = append(got, ids(page)...)
				if len(page) < 3 {
					break
				}
				k := caseload.KeyOf(page[len(page)-1], s, now)
				f.After = &k
			}
			if got == nil {
				got = []coaching.CaseID{}
			}
			assert.Equal(t, want, got, "%s, %s, paged", name, s)
		}
	}
}

// TestCaseloadAlertsPlannedContacts: the port's writes, reads and errors.
func TestCaseloadAlertsPlannedContacts(t *testing.T) {
	testDSN(t)
	t.Parallel()
	store := newStore(t)
	ctx := context.Background()
	eng := newEngine(t, store)
	openValo(t, eng, "c-1")
	at := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	a := caseload.Alert{ID: "a-1", CaseID: "c-1", Cause: caseload.Cause{Kind: caseload.CauseEarlyWarning, Key: "absence"}, Title: "Absent",
		Owner: caseload.Owner{ActorID: "coach-1", Role: coaching.RoleCoach}, Status: caseload.AlertOpen, RaisedAt: at, RaisedBy: "system", Reason: ""}
	clUpdate(t, store, func(tx coaching.Tx, cl caseload.Store) error {
		require.NoError(t, cl.PutAlert(ctx, a))
		var dup *coaching.DuplicateError
		require.ErrorAs(t, cl.PutAlert(ctx, a), &dup)
		b := a
		b.ID = "a-2"
		require.ErrorAs(t, cl.PutAlert(ctx, b), &dup)
		assert.Equal(t, "a-1", dup.ID)
		var nf *coaching.NotFoundError
		b.CaseID = "nope"
		require.ErrorAs(t, cl.PutAlert(ctx, b), &nf)
		a.Status, a.Reason, a.Action = caseload.AlertResolved, "done", &caseload.Action{Kind: caseload.ActionNote, Note: "talked"}
		require.NoError(t, cl.UpdateAlert(ctx, a, 1))
		var conflict *coaching.ConflictError
		require.ErrorAs(t, cl.UpdateAlert(ctx, a, 1), &conflict)
		assert.Equal(t, int64(2), conflict.Current)
		b = a
		b.ID = "a-9"
		require.ErrorAs(t, cl.UpdateAlert(ctx, b, 1), &nf)
		// Resolved: the cause may be raised again.
		b = a
		b.ID, b.Status, b.Reason, b.Action = "a-2", caseload.AlertOpen, "", nil
		require.NoError(t, cl.PutAlert(ctx, b))
		got, err := cl.Alerts(ctx, caseload.AlertQuery{CaseID: "c-1"})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "a-2", got[0].ID)
		got, err = cl.Alerts(ctx, caseload.AlertQuery{Statuses: []caseload.AlertStatus{caseload.AlertResolved}})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, int64(2), got[0].Version)

		p := caseload.Planned{ID: "pl-1", Kind: caseload.PlanGuardianMeeting, Title: "Meeting", Cases: []coaching.CaseID{"c-1"},
			Owner: caseload.Owner{ActorID: "coach-1", Role: coaching.RoleCoach}, On: coaching.NewDate(2026, 9, 10), Status: caseload.PlannedOpen,
			CreatedAt: at, CreatedBy: "coach-1", UpdatedAt: at, UpdatedBy: "coach-1"}
		require.NoError(t, cl.PutPlanned(ctx, p))
		require.ErrorAs(t, cl.PutPlanned(ctx, p), &dup)
		q := p
		q.ID, q.Cases = "pl-2", []coaching.CaseID{"nope"}
		require.ErrorAs(t, cl.PutPlanned(ctx, q), &nf)
		q.Cases, q.On = nil, coaching.NewDate(2026, 9, 5)
		require.NoError(t, cl.PutPlanned(ctx, q))
		p.On, p.Moves = coaching.NewDate(2026, 9, 12), 1
		require.NoError(t, cl.UpdatePlanned(ctx, p, 1))
		require.ErrorAs(t, cl.UpdatePlanned(ctx, p, 1), &conflict)
		q.Status = caseload.PlannedCancelled
		require.NoError(t, cl.UpdatePlanned(ctx, q, 1))
		items, err := cl.PlannedItems(ctx, caseload.PlannedQuery{Statuses: []caseload.PlannedStatus{caseload.PlannedOpen, caseload.PlannedCancelled}})
		require.NoError(t, err)
		require.Len(t, items, 2)
		assert.Equal(t, "pl-2", items[0].ID)
		items, err = cl.PlannedItems(ctx, caseload.PlannedQuery{CaseID: "c-1"})
		require.NoError(t, err)
		require.Len(t, items, 1)
		assert.Equal(t, coaching.NewDate(2026, 9, 12), items[0].On)
		assert.Equal(t, int64(2), items[0].Version)
		items, err = cl.PlannedItems(ctx, caseload.PlannedQuery{Statuses: []caseload.PlannedStatus{caseload.PlannedOpen, caseload.PlannedCancelled}, After: "pl-2"})
		require.NoError(t, err)
		require.Len(t, items, 1)
		assert.Equal(t, "pl-1", items[0].ID)
		_, err = cl.PlannedItem(ctx, "nope")
		require.ErrorAs(t, err, &nf)

		for i, on := range []coaching.Date{coaching.NewDate(2026, 9, 3), coaching.NewDate(2026, 9, 8), coaching.NewDate(2026, 9, 6)} {
			require.NoError(t, cl.PutContact(ctx, caseload.Contact{ID: fmt.Sprintf("k-%d", i), CaseID: "c-1", Kind: caseload.ContactPhone, On: on, At: at, By: "coach-1", Note: "secret note"}))
		}
		require.ErrorAs(t, cl.PutContact(ctx, caseload.Contact{ID: "k-0", CaseID: "c-1", On: at2date(at), At: at}), &dup)
		require.ErrorAs(t, cl.PutContact(ctx, caseload.Contact{ID: "k-x", CaseID: "nope", On: at2date(at), At: at}), &nf)
		ks, err := cl.Contacts(ctx, "c-1", 2)
		require.NoError(t, err)
		require.Len(t, ks, 2)
		assert.Equal(t, "k-1", ks[0].ID)

		// Erasure clears the free text.
		require.NoError(t, cl.EraseFeatureData(ctx, "c-1"))
		ks, err = cl.Contacts(ctx, "c-1", 0)
		require.NoError(t, err)
		for _, k := range ks {
			assert.Empty(t, k.Note)
		}
		al, err := cl.Alert(ctx, "a-1")
		require.NoError(t, err)
		assert.Equal(t, string(caseload.CauseEarlyWarning), al.Title)
		assert.Empty(t, al.Reason)
		require.NotNil(t, al.Action)
		assert.Empty(t, al.Action.Note)
		pl, err := cl.PlannedItem(ctx, "pl-1")
		require.NoError(t, err)
		assert.Empty(t, pl.Title)
		pl, err = cl.PlannedItem(ctx, "pl-2")
		require.NoError(t, err)
		assert.Equal(t, "Meeting", pl.Title) // lists no case of the erasure
		return nil
	})
	rows := clSummaries(t, store, caseload.Filter{Status: caseload.StatusAny, Now: at, Limit: 10, Member: "coach-1", MemberRole: coaching.RoleCoach})
	require.Len(t, rows, 1)
	assert.Equal(t, coaching.NewDate(2026, 9, 8), rows[0].LastContact)
	assert.Equal(t, 1, rows[0].ActiveAlerts)
	require.NotNil(t, rows[0].Next)
	assert.Equal(t, "pl-1", rows[0].Next.ID)
}

func at2date(t time.Time) coaching.Date { return coaching.DateOf(t) }

// TestCaseTeamFollowsTheTeam: membership rows follow a team change and a
// transition leaves them alone; the sort key follows the participant.
func TestCaseTeamFollowsTheTeam(t *testing.T) {
	testDSN(t)
	t.Parallel()
	store := newStore(t)
	ctx := context.Background()
	eng := newEngine(t, store)
	openValo(t, eng, "c-1")
	members := func() []string {
		rows, err := sharedPool(t).Query(ctx, `SELECT actor_id || '/' || role FROM `+pgx.Identifier{store.Schema()}.Sanitize()+`.case_team ORDER BY 1`)
		require.NoError(t, err)
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return out
	}
	assert.Equal(t, []string{"coach-1/coach", "sc-1/study_counsellor"}, members())
	clUpdate(t, store, func(tx coaching.Tx, _ caseload.Store) error {
		c, err := tx.Case(ctx, "c-1")
		require.NoError(t, err)
		c.Team = append(c.Team[:1], coaching.TeamMember{ActorID: "t-2", Role: coaching.RoleTeacher})
		c.Version++
		return tx.UpdateCase(ctx, c, c.Version-1)
	})
	assert.Equal(t, []string{"coach-1/coach", "t-2/teacher"}, members())
	var sortName string
	require.NoError(t, sharedPool(t).QueryRow(ctx, `SELECT sort_name FROM `+pgx.Identifier{store.Schema()}.Sanitize()+`.participants LIMIT 1`).Scan(&sortName))
	assert.NotEmpty(t, sortName)
}

// loadCaseload fills a store's schema with n cases in organisation "big",
// each with a participant, a coach (coach-0 … coach-1999, 50 cases
// each) and a study counsellor; a fifth flagged, a third with contacts,
// a tenth with a phase overdue; then ANALYZE.
func loadCaseload(t testing.TB, store *postgres.Store, n int) {
	t.Helper()
	ctx := context.Background()
	pool := sharedPool(t)
	s := pgx.Identifier{store.Schema()}.Sanitize()
	for _, sql := range []string{
		`INSERT INTO ` + s + `.participants (id, organisation, data, sort_name)
			SELECT 'p' || lpad(g::text, 6, '0'), 'big', jsonb_build_object('given_names', 'Given' || g, 'family_name', 'Family' || (g * 7919 % 100000)),
				'family' || (g * 7919 % 100000) || E'\x01' || 'given' || g
			FROM generate_series(0, $1::int - 1) g`,
		`INSERT INTO ` + s + `.cases (id, participant_id, organisation, model, state, version, opened_at, data)
			SELECT 'c' || lpad(g::text, 6, '0'), 'p' || lpad(g::text, 6, '0'), 'big', 'valo', 'skills', 3,
				timestamptz '2026-01-01 00:00Z' + g * interval '1 minute',
				jsonb_build_object('id', 'c' || lpad(g::text, 6, '0'),
					'phase', jsonb_build_object('state', 'skills', 'entered_at', '2026-01-01T00:00:00Z', 'entry_seq', 3,
						'due_at', CASE WHEN g % 10 = 0 THEN '2026-02-01T00:00:00Z' ELSE '2027-02-01T00:00:00Z' END),
					'team', jsonb_build_array(jsonb_build_object('actor_id', 'coach-' || (g % 2000), 'role', 'coach', 'name', 'C'),
						jsonb_build_object('actor_id', 'sc-' || (g % 100), 'role', 'study_counsellor', 'name', 'S')))
			FROM generate_series(0, $1::int - 1) g`,
		`INSERT INTO ` + s + `.attendance_state (case_id, flags)
			SELECT 'c' || lpad(g::text, 6, '0'), jsonb_build_array(jsonb_build_object('rule', 'absence', 'since', '2026-03-01T00:00:00Z'))
			FROM generate_series(0, $1::int - 1) g WHERE g % 5 = 1 OR g % 10 = 0`,
		`INSERT INTO ` + s + `.contacts (id, case_id, organisation, "on", at, data)
			SELECT 'k' || g, 'c' || lpad(g::text, 6, '0'), 'big', date '2026-03-01' + (g % 60), now(),
				jsonb_build_object('id', 'k' || g, 'case_id', 'c' || lpad(g::text, 6, '0'), 'kind', 'phone', 'on', (date '2026-03-01' + (g % 60))::text)
			FROM generate_series(0, $1::int - 1) g WHERE g % 3 = 0`,
	} {
		_, err := pool.Exec(ctx, sql, n)
		require.NoError(t, err)
	}
	_, err := pool.Exec(ctx, `ANALYZE `+s+`.participants, `+s+`.cases, `+s+`.case_team, `+s+`.attendance_state, `+s+`.contacts, `+s+`.alerts, `+s+`.planned_cases`)
	require.NoError(t, err)
}

// TestCaseloadPlansUseIndexes: over 100 000 cases of one organisation,
// the common caseload queries read no part of cases sequentially
// (EXPLAIN with the query's own parameters: the plan a call gets).
func TestCaseloadPlansUseIndexes(t *testing.T) {
	testDSN(t)
	if testing.Short() {
		t.Skip("loads 100 000 cases")
	}
	store := newStore(t)
	loadCaseload(t, store, 100_000)
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	after := caseload.Key{Rank: 1, Contact: coaching.NewDate(2026, 3, 5), CaseID: "c000100"}
	tests := map[string]caseload.Filter{
		"member, urgency":             {Member: "coach-7", Sort: caseload.SortUrgency},
		"member, flagged":             {Member: "coach-1", Flagged: true, Sort: caseload.SortUrgency},
		"member, urgency, after":      {Member: "coach-7", Sort: caseload.SortUrgency, After: &after},
		"member role, name":           {Member: "sc-7", MemberRole: coaching.RoleStudyCounsellor, Sort: caseload.SortName},
		"participant":                 {Participant: "p000042", Sort: caseload.SortUrgency},
		"organisation, opened":        {Sort: caseload.SortOpened},
		"organisation, opened, after": {Sort: caseload.SortOpened, After: &caseload.Key{Opened: time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC), CaseID: "c010000"}},
	}
	for name, f := range tests {
		f.Organisation, f.Status, f.Now, f.Limit = "big", caseload.StatusOpen, now, 50
		sql, args := postgres.SummariesSQL(store, f)
		var plan []byte
		require.NoError(t, sharedPool(t).QueryRow(context.Background(), `EXPLAIN (FORMAT JSON) `+sql, args...).Scan(&plan))
		var doc []struct{ Plan planNode }
		require.NoError(t, json.Unmarshal(plan, &doc), name)
		var scans []string
		doc[0].Plan.walk(func(n *planNode) {
			if n.Relation == "cases" {
				scans = append(scans, n.Type)
			}
		})
		t.Logf("%s: cases read by %v", name, scans)
		if slices.Contains(scans, "Seq Scan") {
			t.Errorf("%s: a sequential scan of cases:\n%s", name, plan)
		}
		assert.NotEmpty(t, clSummaries(t, store, f), name)
	}
}

type planNode struct {
	Type     string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Plans    []planNode `json:"Plans"`
}

func (n *planNode) walk(fn func(*planNode)) {
	fn(n)
	for i := range n.Plans {
		n.Plans[i].walk(fn)
	}
}

var stringsReplaceAll = strings.ReplaceAll
