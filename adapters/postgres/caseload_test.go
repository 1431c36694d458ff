package postgres_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
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

// TestCaseTeamFollowsTheTeam: the membership rows follow a team change
// (the trigger on team_key), and the store writes the participant's sort
// key. (storetest.RunCaseload proves the port itself.)
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
