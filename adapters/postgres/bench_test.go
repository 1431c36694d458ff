package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// The benchmarks of Fire on PostgreSQL, each with its baseline in the same
// run (history_bench_test.go has BenchmarkFirePostgresHistory and
// BenchmarkFirePostgresVsPgx):
//
//	go test -run '^$' -bench . -count 5 ./adapters/postgres/

// firesPerCase moves BenchmarkBaselineRawPgxSequentialWrites to a fresh
// row every 12 transactions.
const firesPerCase = 12

// benchClients runs run as a sub-benchmark for 1 and 8 clients. The store
// (a pool of clients+2 connections and a schema) is made once per client
// count; the framework calls run several times with a growing b.N, each
// time on fresh cases (round numbers them).
func benchClients(b *testing.B, run func(b *testing.B, pool *pgxpool.Pool, store *postgres.Store, clients, round int)) {
	for _, clients := range []int{1, 8} {
		pool, store := benchStore(b, clients)
		round := 0
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			round++
			run(b, pool, store, clients, round)
		})
	}
}

// parallel runs b.N operations split over clients goroutines; op gets the
// client number and the client's operation count so far.
func parallel(b *testing.B, clients int, op func(client, i int) error) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make([]error, clients)
	b.ResetTimer()
	for c := range clients {
		n := b.N / clients
		if c < b.N%clients {
			n++
		}
		wg.Go(func() {
			for i := range n {
				if err := op(c, i); err != nil {
					errs[c] = err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

func benchStore(b *testing.B, clients int) (*pgxpool.Pool, *postgres.Store) {
	pool := newPool(b, int32(clients)+2)
	return pool, newStoreOn(b, pool)
}

// BenchmarkBaselineRawPgxSequentialWrites is the old raw pgx baseline,
// kept for comparison with earlier figures: BEGIN, an UPDATE of the case
// row (same JSON, version check), an audit INSERT, a timer upsert, COMMIT —
// five sequential round trips, no read of the case and no outbox row, a
// fresh row every firesPerCase transactions. It is not the shape of a Fire:
// BenchmarkFirePostgresVsPgx compares Fire with a pipelined baseline.
func BenchmarkBaselineRawPgxSequentialWrites(b *testing.B) {
	benchClients(b, func(b *testing.B, pool *pgxpool.Pool, store *postgres.Store, clients, round int) {
		ctx := context.Background()
		eng := newEngine(b, store, coaching.VALO())
		// One real case gives the row's JSON, so both write the same bytes.
		openValo(b, eng, coaching.CaseID(fmt.Sprintf("template-%d", round)))
		var data []byte
		if err := pool.QueryRow(ctx, `SELECT data FROM `+pgx.Identifier{store.Schema(), "cases"}.Sanitize()+` WHERE id = $1`, fmt.Sprintf("template-%d", round)).Scan(&data); err != nil {
			b.Fatal(err)
		}
		cases := pgx.Identifier{store.Schema(), "cases"}.Sanitize()
		audit := pgx.Identifier{store.Schema(), "audit"}.Sanitize()
		timers := pgx.Identifier{store.Schema(), "timers"}.Sanitize()
		now := time.Now()
		n := b.N/clients/firesPerCase + 1
		for c := range clients {
			for k := range n {
				if _, err := pool.Exec(ctx, `INSERT INTO `+cases+` (id, participant_id, model, state, version, opened_at, data) VALUES ($1, 'p', 'valo', 'skill_acquisition', 3, $2, $3)`,
					fmt.Sprintf("r-%d-%d-%05d", round, c, k), now, data); err != nil {
					b.Fatal(err)
				}
			}
		}
		states := [2]string{coaching.ValoPaused, coaching.ValoSkillAcquisition}
		parallel(b, clients, func(c, i int) error {
			id := fmt.Sprintf("r-%d-%d-%05d", round, c, i/firesPerCase)
			version := int64(3 + i%firesPerCase)
			tx, err := pool.Begin(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = tx.Rollback(ctx) }()
			if _, err := tx.Exec(ctx, `UPDATE `+cases+` SET state = $2, version = $3, data = $4 WHERE id = $1 AND version = $5`,
				id, states[i%2], version+1, data, version); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+audit+` (case_id, seq, at, kind, actor_id, roles, event, from_state, to_state, reason, payload, idempotency_key)
				VALUES ($1, $2, $3, 'transition', 'coach-1', '{coach}', 'pause', 'a', 'b', 'sick leave', NULL, '')`, id, version+1, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+timers+` (key, case_id, kind, due_at, ref) VALUES ($1, $2, 'phase_deadline', $3, $4)
				ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, ref = excluded.ref`, "phase_deadline:"+id, id, now, version+1); err != nil {
				return err
			}
			return tx.Commit(ctx)
		})
	})
}

// BenchmarkBulkMarks stores a national day of attendance: 2,000,000 marks
// (250,000 students, 8 lessons) by default, VALMENNUS_BENCH_MARKS to
// change it. "store" is Store.BulkMarks (checks, the cases' existence,
// COPY, in one transaction); "raw_copy" is pgx CopyFrom of the same rows
// into the same table. Each iteration starts from an empty marks table.
func BenchmarkBulkMarks(b *testing.B) {
	ctx := context.Background()
	total := 2_000_000
	if v := os.Getenv("VALMENNUS_BENCH_MARKS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 8 {
			b.Fatalf("VALMENNUS_BENCH_MARKS=%q: want a number of marks (at least 8)", v)
		}
		total = n
	}
	const lessons = 8
	students := total / lessons
	pool, store := benchStore(b, 2)
	casesTable := pgx.Identifier{store.Schema(), "cases"}
	marksTable := pgx.Identifier{store.Schema(), "marks"}
	now := time.Now()
	_, err := pool.CopyFrom(ctx, casesTable, []string{"id", "participant_id", "model", "state", "version", "opened_at", "data"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := -1
			return func() ([]any, error) {
				i++
				if i == students {
					return nil, nil
				}
				id := fmt.Sprintf("s-%06d", i)
				return []any{id, "p-" + id, "first_year_pilot", "coaching", 1, now, []byte(`{"id":"` + id + `"}`)}, nil
			}
		}()))
	if err != nil {
		b.Fatal(err)
	}
	day := coaching.NewDate(2026, 9, 7)
	statuses := []attendance.Status{attendance.Present, attendance.Present, attendance.Present,
		attendance.Late, attendance.Unexplained, attendance.Sick}
	marks := make([]attendance.Mark, 0, students*lessons)
	titles := make([]string, lessons)
	lessonIDs := make([]string, lessons)
	for l := range lessons {
		lessonIDs[l] = strconv.Itoa(l + 1)
		titles[l] = fmt.Sprintf("Oppitunti %d %d.15–%d.00", l+1, 8+l, 9+l)
	}
	for s := range students {
		id := coaching.CaseID(fmt.Sprintf("s-%06d", s))
		for l := range lessons {
			marks = append(marks, attendance.Mark{CaseID: id, Date: day, Lesson: lessonIDs[l], Title: titles[l], Minutes: 45,
				Status: statuses[(s+l)%len(statuses)], Revision: 1, At: now, By: "teacher-1"})
		}
	}
	truncate := func(b *testing.B) {
		b.StopTimer()
		if _, err := pool.Exec(ctx, `TRUNCATE `+marksTable.Sanitize()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(len(marks))*float64(b.N)/b.Elapsed().Seconds(), "marks/s")
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/day")
	}
	b.Run("raw_copy", func(b *testing.B) {
		for range b.N {
			truncate(b)
			n, err := pool.CopyFrom(ctx, marksTable, []string{"case_id", "date", "lesson", "revision", "title", "minutes", "status", "reason", "at", "by"},
				pgx.CopyFromSlice(len(marks), func(i int) ([]any, error) {
					m := &marks[i]
					return []any{string(m.CaseID), time.Date(m.Date.Year, m.Date.Month, m.Date.Day, 0, 0, 0, 0, time.UTC), m.Lesson, int32(m.Revision),
						m.Title, int32(m.Minutes), string(m.Status), string(m.Reason), m.At, m.By}, nil
				}))
			if err != nil || n != int64(len(marks)) {
				b.Fatal(n, err)
			}
		}
		report(b)
	})
	b.Run("store", func(b *testing.B) {
		for range b.N {
			truncate(b)
			if err := store.BulkMarks(ctx, marks); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
}
