package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/internal/benchkit"
)

// Fire on PostgreSQL against its own history and against raw pgx.
//
// Every Fire here is pause or resume on notifyingVALO (helpers_test.go), so
// it updates the case with its version check, appends the audit entry,
// deletes (pause) or puts (resume) the phase-deadline timer and enqueues
// one notice to the study counsellor: the shape of rawPgx.fire.
//
// BenchmarkFirePostgresHistory fires (one client) on cases with 10, 100 and
// 1 000 prior events. Each case takes at most benchkit.Budget(events) timed
// fires, so every fire sees between events and 1.2 × events prior events
// (the mean is "prior-events"). It reports "x-history10" (ns/op ÷
// history=10's, issue 13's target ≤ 1.2) and WAL bytes per Fire:
// "wal-B/op" is the difference of pg_current_wal_lsn() over the timed loop
// ÷ b.N, which counts every session of the server (other tests running
// at the time inflate it); "wal-B/fire-median" is the median over 9 extra
// untimed fires, each bracketed by its own pg_current_wal_lsn(), which
// other sessions rarely reach.
//
// BenchmarkFirePostgresVsPgx compares Fire (cases of 10 prior events) with
// rawPgx.fire at 1 and 8 clients; "fire" reports "x-raw-throughput", its
// throughput ÷ the baseline's (target ≥ 0.85). With -count, each ratio's
// baseline is the median of the baseline's repetitions (see benchkit.PerCount).
//
// Each also has an "interleaved" sub-benchmark, whose op is one of each
// (a 10-event and a 1 000-event fire; a rawPgx.fire and a Fire, in turn on
// every client), each timed on its own, and whose x-history10 or
// x-raw-throughput is the ratio of the sums: both sides are sampled in the
// same moments. On a 2-core machine shared with other benchmarks the load
// swings within seconds, and the sequential sub-benchmarks compare runs
// made minutes apart (the same code gave x-raw-throughput 0.54 to 1.21 at 8
// clients in one -count 5 run). Its tx/s counts ops, two transactions each.

// walSamples is how many bracketed fires measure wal-B/fire-median.
const walSamples = 9

// pgCase is a case of the benchmarks: version counts its audit entries,
// fired the timed fires it took.
type pgCase struct {
	id      coaching.CaseID
	version int64
	fired   int
}

// pgCases are one client's cases of one history size, built as needed.
type pgCases struct {
	eng    *coaching.Engine
	name   string // unique among the store's pgCases
	events int
	cases  []pgCase
	next   int
	built  time.Duration
}

// ensure builds cases until n more fires fit, workers cases at a time.
func (h *pgCases) ensure(n, workers int) error {
	budget := benchkit.Budget(h.events)
	room := 0
	for _, c := range h.cases[h.next:] {
		room += budget - c.fired
	}
	need := 0
	for ; room < n; room += budget {
		need++
	}
	if need == 0 {
		return nil
	}
	start := time.Now()
	first := len(h.cases)
	h.cases = slices.Grow(h.cases, need)[:first+need]
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := first + w; k < first+need; k += workers {
				c := pgCase{id: coaching.CaseID(fmt.Sprintf("%s-%06d", h.name, k)), version: 3}
				if err := openValoErr(h.eng, c.id); err != nil {
					errs[w] = err
					return
				}
				for c.version < int64(h.events) {
					if err := pgToggle(h.eng, &c); err != nil {
						errs[w] = err
						return
					}
				}
				h.cases[k] = c
			}
		})
	}
	wg.Wait()
	h.built += time.Since(start)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// fire fires the next event on the next case with room and returns the
// case's prior events.
func (h *pgCases) fire() (int64, error) {
	for h.cases[h.next].fired >= benchkit.Budget(h.events) {
		h.next++
	}
	c := &h.cases[h.next]
	prior := c.version
	c.fired++
	return prior, pgToggle(h.eng, c)
}

// pgToggle pauses a case in skill acquisition (odd versions: enrol, admit
// and start make 3) and resumes a paused one.
func pgToggle(eng *coaching.Engine, c *pgCase) error {
	err := benchkit.Toggle(eng, coach, c.id, c.version)
	c.version++
	return err
}

// walLSN is the server's current WAL position in bytes.
func walLSN(b *testing.B, pool *pgxpool.Pool) int64 {
	var n int64
	if err := pool.QueryRow(context.Background(), `SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

func BenchmarkFirePostgresHistory(b *testing.B) {
	const workers = 4
	pool, store := benchStore(b, workers)
	eng := newEngine(b, store)
	var ns10 benchkit.PerCount
	hs := map[int]*pgCases{}
	for _, events := range benchkit.HistoryEvents {
		h := &pgCases{eng: eng, name: "h" + strconv.Itoa(events), events: events}
		hs[events] = h
		b.Run("history="+strconv.Itoa(events), func(b *testing.B) {
			if benchkit.SkipLongHistory(events) {
				b.Skip("1 000-event cases are built only without -short and -benchtime 1x")
			}
			if err := h.ensure(b.N+walSamples, workers); err != nil {
				b.Fatal(err)
			}
			var prior int64
			b.ReportAllocs()
			wal0 := walLSN(b, pool)
			b.ResetTimer()
			for range b.N {
				p, err := h.fire()
				if err != nil {
					b.Fatal(err)
				}
				prior += p
			}
			b.StopTimer()
			wal := walLSN(b, pool) - wal0
			samples := make([]int64, walSamples)
			for i := range samples {
				before := walLSN(b, pool)
				if _, err := h.fire(); err != nil {
					b.Fatal(err)
				}
				samples[i] = walLSN(b, pool) - before
			}
			slices.Sort(samples)
			b.ReportMetric(float64(wal)/float64(b.N), "wal-B/op")
			b.ReportMetric(float64(samples[walSamples/2]), "wal-B/fire-median")
			b.ReportMetric(float64(prior)/float64(b.N), "prior-events")
			if events == benchkit.HistoryEvents[0] {
				ns10.Set(b, benchkit.NsPerOp(b))
			} else if ns := ns10.Median(); ns > 0 {
				b.ReportMetric(benchkit.NsPerOp(b)/ns, "x-history10")
			}
			b.Logf("%d cases of %d events built in %v so far (%d workers)", len(h.cases), events, h.built.Round(time.Millisecond), workers)
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		small, long := hs[benchkit.HistoryEvents[0]], hs[benchkit.HistoryEvents[len(benchkit.HistoryEvents)-1]]
		if benchkit.SkipLongHistory(long.events) {
			b.Skip("1 000-event cases are built only without -short and -benchtime 1x")
		}
		if err := small.ensure(b.N, workers); err != nil {
			b.Fatal(err)
		}
		if err := long.ensure(b.N, workers); err != nil {
			b.Fatal(err)
		}
		var wall [2]time.Duration
		b.ResetTimer()
		for range b.N {
			for k, h := range [2]*pgCases{small, long} {
				t0 := time.Now()
				if _, err := h.fire(); err != nil {
					b.Fatal(err)
				}
				wall[k] += time.Since(t0)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(wall[0].Nanoseconds())/float64(b.N), "history10-ns/op")
		b.ReportMetric(float64(wall[1].Nanoseconds())/float64(b.N), "history1000-ns/op")
		b.ReportMetric(float64(wall[1])/float64(wall[0]), "x-history10")
	})
}

// rawPgx is the baseline a good engineer would write with pgx for one
// Fire, on tables of its own (rawPgxSchema): in one transaction read the
// case row, then send the writes as one pipelined batch — UPDATE with the
// version check, the audit INSERT, the timer DELETE (pause) or upsert
// (resume), the notice INSERT — and commit once the UPDATE is known to
// have hit its row: BEGIN, SELECT, batch, COMMIT, four round trips. It
// writes the row's JSON back as it read it (no decoding).
type rawPgx struct {
	pool                                  *pgxpool.Pool
	schema                                string // quoted
	read, update, audit, put, del, notice string
	caseData, recipient                   []byte
	subject, body                         string
	rows                                  int
}

// rawPgxSchema has the four tables a Fire writes with the columns, keys
// and indexes the store's migrations give them today, so both pay for the
// same index upkeep. {s} is the schema.
const rawPgxSchema = `
CREATE TABLE {s}.cases (id text COLLATE "C" PRIMARY KEY, participant_id text COLLATE "C" NOT NULL,
	organisation text COLLATE "C" NOT NULL DEFAULT '', model text COLLATE "C" NOT NULL, state text COLLATE "C" NOT NULL,
	version bigint NOT NULL, opened_at timestamptz NOT NULL, closed_at timestamptz, data jsonb NOT NULL) WITH (fillfactor = 80);
CREATE INDEX ON {s}.cases (model, id);
CREATE INDEX ON {s}.cases (organisation, id);
CREATE INDEX ON {s}.cases (id) WHERE closed_at IS NULL;
CREATE INDEX ON {s}.cases (participant_id);
CREATE TABLE {s}.audit (case_id text COLLATE "C" NOT NULL REFERENCES {s}.cases (id), seq bigint NOT NULL CHECK (seq > 0),
	at timestamptz NOT NULL, kind text NOT NULL, actor_id text NOT NULL, roles text[], event text NOT NULL,
	from_state text NOT NULL, to_state text NOT NULL, reason text NOT NULL, payload jsonb, idempotency_key text NOT NULL,
	PRIMARY KEY (case_id, seq));
CREATE TABLE {s}.timers (key text COLLATE "C" PRIMARY KEY, case_id text COLLATE "C" NOT NULL, kind text NOT NULL,
	due_at timestamptz NOT NULL, ref bigint NOT NULL);
CREATE INDEX ON {s}.timers (due_at, key);
CREATE TABLE {s}.notices (id text COLLATE "C" PRIMARY KEY, seq bigint GENERATED ALWAYS AS IDENTITY,
	case_id text COLLATE "C" NOT NULL DEFAULT '', kind text NOT NULL, recipient jsonb NOT NULL, subject text NOT NULL,
	body text NOT NULL, data jsonb, created_at timestamptz NOT NULL, not_before timestamptz NOT NULL, status text NOT NULL,
	attempts integer NOT NULL DEFAULT 0, lease_until timestamptz, sent_at timestamptz, last_error text NOT NULL DEFAULT '');
CREATE INDEX ON {s}.notices (not_before, id) WHERE status IN ('pending', 'claimed');
CREATE INDEX ON {s}.notices (lease_until) WHERE status = 'claimed';
CREATE INDEX ON {s}.notices (case_id, created_at, seq);
CREATE INDEX ON {s}.notices (created_at, seq);
`

// newRawPgx makes the baseline's schema on pool. The row's data is the
// JSON of a real case of 10 prior events and the notice the one its last
// Fire enqueued, so both write rows of the same size.
func newRawPgx(b *testing.B, pool *pgxpool.Pool, eng *coaching.Engine) *rawPgx {
	ctx := context.Background()
	c := pgCase{id: "template", version: 3}
	openValo(b, eng, c.id)
	for c.version < 9 {
		if err := pgToggle(eng, &c); err != nil {
			b.Fatal(err)
		}
	}
	res, err := eng.Fire(ctx, coach, c.id, coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave"})
	if err != nil {
		b.Fatal(err)
	}
	schema := schemaName()
	s := pgx.Identifier{schema}.Sanitize()
	r := &rawPgx{pool: pool, schema: s, subject: res.Notices[0].Subject, body: res.Notices[0].Body}
	if r.caseData, err = json.Marshal(res.Case); err != nil {
		b.Fatal(err)
	}
	if r.recipient, err = json.Marshal(res.Notices[0].Recipient); err != nil {
		b.Fatal(err)
	}
	dropSchema(b, pool, schema)
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+s); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, strings.ReplaceAll(rawPgxSchema, "{s}", s)); err != nil {
		b.Fatal(err)
	}
	r.read = `SELECT version, state, data FROM ` + s + `.cases WHERE id = $1`
	r.update = `UPDATE ` + s + `.cases SET state = $2, version = $3, data = $4 WHERE id = $1 AND version = $5`
	r.audit = `INSERT INTO ` + s + `.audit (case_id, seq, at, kind, actor_id, roles, event, from_state, to_state, reason, payload, idempotency_key)
		VALUES ($1, $2, $3, 'transition', $4, '{coach}', $5, $6, $7, $8, NULL, '')`
	r.put = `INSERT INTO ` + s + `.timers (key, case_id, kind, due_at, ref) VALUES ($1, $2, 'phase_deadline', $3, $4)
		ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at, ref = excluded.ref`
	r.del = `DELETE FROM ` + s + `.timers WHERE key = $1`
	r.notice = `INSERT INTO ` + s + `.notices (id, case_id, kind, recipient, subject, body, created_at, not_before, status)
		VALUES ($1, $2, 'transition', $3, $4, $5, $6, $6, 'pending')`
	return r
}

// addRows inserts n rows at version 10 (paused) for each of clients
// clients, in one statement, and returns the number of the first.
func (r *rawPgx) addRows(b *testing.B, clients, n int) int {
	first := r.rows
	_, err := r.pool.Exec(context.Background(), `INSERT INTO `+r.schema+`.cases (id, participant_id, model, state, version, opened_at, data)
		SELECT 'r' || c || '-' || lpad(g::text, 6, '0'), 'p-' || c || '-' || g, 'valo', 'paused', 10, now(), $4
		FROM generate_series(0, $1::int - 1) c, generate_series($2::int, $2::int + $3::int - 1) g`,
		clients, first, n, r.caseData)
	if err != nil {
		b.Fatal(err)
	}
	r.rows += n
	return first
}

// rawID is the id of row k of client c.
func rawID(c, k int) string { return fmt.Sprintf("r%d-%06d", c, k) }

// fire is one hand-written Fire on row id.
func (r *rawPgx) fire(ctx context.Context, id string, now time.Time) error {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	var (
		version int64
		state   string
		data    []byte
	)
	if err := tx.QueryRow(ctx, r.read, id).Scan(&version, &state, &data); err != nil {
		return err
	}
	event, to, reason := coaching.ValoResumeAcquisition, coaching.ValoSkillAcquisition, ""
	if state == coaching.ValoSkillAcquisition {
		event, to, reason = coaching.ValoPause, coaching.ValoPaused, "sick leave"
	}
	batch := &pgx.Batch{}
	batch.Queue(r.update, id, to, version+1, data, version)
	batch.Queue(r.audit, id, version+1, now, coach.ID, event, state, to, reason)
	key := "phase_deadline:" + id
	if to == coaching.ValoPaused {
		batch.Queue(r.del, key)
	} else {
		batch.Queue(r.put, key, id, now.AddDate(0, 2, 0), version+1)
	}
	batch.Queue(r.notice, id+"/"+strconv.FormatInt(version+1, 10), id, r.recipient, r.subject, r.body, now)
	br := tx.SendBatch(ctx, batch)
	tag, err := br.Exec()
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("update of %s at version %d changed %d rows", id, version, tag.RowsAffected())
	}
	for range 3 {
		if err != nil {
			break
		}
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// BenchmarkFirePostgresVsPgx runs, at 1 and 8 clients (each on rows or
// cases of its own, each taking 2 fires, as history=10's cases):
// "pgx-batch", rawPgx.fire, and "fire", Engine.Fire on cases of 10 prior
// events, which reports "x-raw-throughput" (its tx/s ÷ pgx-batch's).
func BenchmarkFirePostgresVsPgx(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			ctx := context.Background()
			pool, store := benchStore(b, clients)
			eng := newEngine(b, store)
			raw := newRawPgx(b, pool, eng)
			budget := benchkit.Budget(benchkit.HistoryEvents[0])
			var rawTput benchkit.PerCount
			b.Run("pgx-batch", func(b *testing.B) {
				first := raw.addRows(b, clients, (b.N/clients+budget)/budget)
				now := time.Now()
				parallel(b, clients, func(c, i int) error {
					return raw.fire(ctx, rawID(c, first+i/budget), now)
				})
				rawTput.Set(b, float64(b.N)/b.Elapsed().Seconds())
			})
			hs := make([]*pgCases, clients)
			for c := range hs {
				hs[c] = &pgCases{eng: eng, name: "c" + strconv.Itoa(c), events: benchkit.HistoryEvents[0]}
			}
			b.Run("fire", func(b *testing.B) {
				ensureAll(b, hs, b.N/len(hs)+1)
				parallel(b, clients, func(c, _ int) error {
					_, err := hs[c].fire()
					return err
				})
				if tput := rawTput.Median(); tput > 0 {
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/tput, "x-raw-throughput")
				}
			})
			b.Run("interleaved", func(b *testing.B) {
				first := raw.addRows(b, clients, (b.N/clients+budget)/budget)
				ensureAll(b, hs, b.N/len(hs)+1)
				now := time.Now()
				walls := make([][2]time.Duration, clients)
				parallel(b, clients, func(c, i int) error {
					for k := range 2 {
						t0 := time.Now()
						var err error
						if (i+k)%2 == 0 {
							err = raw.fire(ctx, rawID(c, first+i/budget), now)
						} else {
							_, err = hs[c].fire()
						}
						if err != nil {
							return err
						}
						walls[c][(i+k)%2] += time.Since(t0)
					}
					return nil
				})
				var raw, fire time.Duration
				for _, w := range walls {
					raw, fire = raw+w[0], fire+w[1]
				}
				b.ReportMetric(float64(raw.Nanoseconds())/float64(b.N), "pgx-batch-ns/op")
				b.ReportMetric(float64(fire.Nanoseconds())/float64(b.N), "fire-ns/op")
				if fire > 0 {
					b.ReportMetric(float64(raw)/float64(fire), "x-raw-throughput")
				}
			})
		})
	}
}

// ensureAll gives every client's cases room for n more fires each, the
// clients preparing theirs in parallel.
func ensureAll(b *testing.B, hs []*pgCases, n int) {
	b.Helper()
	errs := make([]error, len(hs))
	var wg sync.WaitGroup
	for c, h := range hs {
		wg.Go(func() { errs[c] = h.ensure(n, 1) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}
