package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// myCaseloadSQL is the hand-written baseline of "my caseload" (a member's
// open, flagged cases by urgency, 50 rows): the same tables and columns
// as Summaries, the query a developer would write for this one list.
const myCaseloadSQL = `SELECT c.id, c.participant_id, c.organisation, c.model, c.state, c.opened_at, c.closed_at, c.data -> 'phase', c.data -> 'team',
	p.data ->> 'given_names', p.data ->> 'family_name', lr.data ->> 'group', st.flags, lc."on", nx.id, nx.data, al.active, al.welfare
FROM {s}.case_team m
	JOIN {s}.cases c ON c.id = m.case_id
	JOIN {s}.attendance_state st ON st.case_id = c.id AND jsonb_array_length(st.flags) > 0
	LEFT JOIN {s}.participants p ON p.id = c.participant_id
	LEFT JOIN {s}.latest_records lr ON lr.case_id = c.id AND lr.name = 'sis_enrolment'
	LEFT JOIN LATERAL (SELECT max(k."on") AS "on" FROM {s}.contacts k WHERE k.case_id = c.id) lc ON true
	LEFT JOIN LATERAL (SELECT pl.id, pl.data FROM {s}.planned_cases pc JOIN {s}.planned pl ON pl.id = pc.planned_id
		WHERE pc.case_id = c.id AND pc.status = 'planned' ORDER BY pc."on", pc.planned_id LIMIT 1) nx ON true
	LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE NOT a.welfare) AS active, count(*) FILTER (WHERE a.welfare) AS welfare
		FROM {s}.alerts a WHERE a.case_id = c.id AND a.status IN ('open', 'acknowledged')) al ON true
WHERE m.actor_id = $1 AND c.organisation = $2 AND c.closed_at IS NULL
ORDER BY CASE WHEN (c.data -> 'phase' ->> 'paused_at') IS NULL AND (c.data -> 'phase' ->> 'due_at')::timestamptz < $3 THEN 0 ELSE 1 END,
	lc."on" NULLS FIRST, c.id
LIMIT 50`

func rawCaseload(ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql, member string, now time.Time) ([]coaching.CaseID, error) {
	rows, err := db.Query(ctx, sql, member, "big", now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []coaching.CaseID
	for rows.Next() {
		var (
			id, pid, org, model, state string
			opened                     time.Time
			closed                     *time.Time
			phase, team, flags, next   []byte
			given, family, group, nxID *string
			on                         *time.Time
			active, welfare            int64
		)
		if err := rows.Scan(&id, &pid, &org, &model, &state, &opened, &closed, &phase, &team, &given, &family, &group, &flags, &on,
			&nxID, &next, &active, &welfare); err != nil {
			return nil, err
		}
		out = append(out, coaching.CaseID(id))
	}
	return out, rows.Err()
}

// BenchmarkMyCaseloadPostgres: "my caseload" (a coach's open flagged
// cases by urgency, at most 50 rows) over 100 000 cases of one
// organisation, through Summaries (in a read transaction, as the service
// asks) and the hand-written query (myCaseloadSQL, on the pool), in turn
// on every reader: x-raw is the ratio of the sums of their times, p50-*
// each side's median.
func BenchmarkMyCaseloadPostgres(b *testing.B) {
	testDSN(b)
	store := newStore(b)
	loadCaseload(b, store, 100_000)
	pool := sharedPool(b)
	ctx := context.Background()
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	sql := replaceSchema(myCaseloadSQL, store)
	filter := func(member string) caseload.Filter {
		return caseload.Filter{Organisation: "big", Member: member, Status: caseload.StatusOpen, Flagged: true, Now: now,
			Sort: caseload.SortUrgency, Limit: 50}
	}
	viaStore := func(member string) ([]coaching.CaseID, error) {
		var out []coaching.CaseID
		err := store.View(ctx, func(tx coaching.ReadTx) error {
			rows, err := tx.(caseload.Reader).Summaries(ctx, filter(member))
			for _, r := range rows {
				out = append(out, r.CaseID)
			}
			return err
		})
		return out, err
	}
	// coach-1, coach-6, …: every one of their 50 cases is flagged, and
	// each tenth overdue.
	member := func(i int) string { return fmt.Sprintf("coach-%d", 1+5*(i%400)) }
	for i := range 3 {
		want, err := rawCaseload(ctx, pool, sql, member(i), now)
		if err != nil {
			b.Fatal(err)
		}
		got, err := viaStore(member(i))
		if err != nil {
			b.Fatal(err)
		}
		if len(want) == 0 || !slices.Equal(want, got) {
			b.Fatalf("%s: the store's rows %v are not the hand-written query's %v", member(i), got, want)
		}
	}
	for _, readers := range []int{1, 8} {
		b.Run(fmt.Sprintf("readers=%d/interleaved", readers), func(b *testing.B) {
			var (
				mu         sync.Mutex
				raw, store []time.Duration
				wg         sync.WaitGroup
				failed     error
			)
			b.ResetTimer()
			for r := range readers {
				n := b.N / readers
				if r < b.N%readers {
					n++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					myRaw, myStore := make([]time.Duration, 0, n), make([]time.Duration, 0, n)
					for i := range n {
						m := member(r*7919 + i)
						for side := range 2 {
							start := time.Now()
							var err error
							if (side+i)%2 == 0 {
								_, err = rawCaseload(ctx, pool, sql, m, now)
								myRaw = append(myRaw, time.Since(start))
							} else {
								_, err = viaStore(m)
								myStore = append(myStore, time.Since(start))
							}
							if err != nil {
								mu.Lock()
								failed = err
								mu.Unlock()
								return
							}
						}
					}
					mu.Lock()
					raw, store = append(raw, myRaw...), append(store, myStore...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			b.StopTimer()
			if failed != nil {
				b.Fatal(failed)
			}
			sum := func(ds []time.Duration) (s time.Duration) {
				for _, d := range ds {
					s += d
				}
				return s
			}
			p50 := func(ds []time.Duration) time.Duration {
				slices.Sort(ds)
				return ds[len(ds)/2]
			}
			b.ReportMetric(float64(sum(raw))/float64(len(raw)), "raw-ns/op")
			b.ReportMetric(float64(sum(store))/float64(len(store)), "store-ns/op")
			b.ReportMetric(float64(sum(store))/float64(sum(raw)), "x-raw")
			b.ReportMetric(float64(p50(raw).Microseconds()), "p50-raw-µs")
			b.ReportMetric(float64(p50(store).Microseconds()), "p50-store-µs")
		})
	}
}

func replaceSchema(sql string, store *postgres.Store) string {
	return stringsReplaceAll(sql, "{s}", pgx.Identifier{store.Schema()}.Sanitize())
}
