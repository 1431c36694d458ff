package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
)

// The benchmarks compare coaching.Engine.Fire on the SQLite store with a
// raw database/sql transaction of the same shape on the same kind of file
// (WAL, synchronous=NORMAL, one writer connection, BEGIN IMMEDIATE): update
// one row, insert two rows. Run them in the same go test -bench run and
// compare ns/op.
//
// Fire does more than the baseline: it reads the case in a read
// transaction first (the engine checks roles and rules before it writes),
// decodes and encodes the case as JSON, and writes the audit entry and the
// phase-deadline timer (deleted on pause, put on resume).

const firesPerCase = 12 // as in coaching/bench_test.go: a realistic history

// BenchmarkFireSQLite is Engine.Fire on the SQLite store, events alternating
// pause / resume on VALO cases in skill acquisition, a fresh case every
// firesPerCase commands (opened before the timer starts).
func BenchmarkFireSQLite(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), &sqlite.Options{Migrate: true})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]coaching.CaseID, b.N/firesPerCase+1)
	for i := range ids {
		ids[i] = benchCase(b, eng, i)
	}
	pause := &coaching.FireOptions{Reason: "sick leave"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := ids[i/firesPerCase]
		var err error
		if i%firesPerCase%2 == 0 {
			_, err = eng.Fire(ctx, coach, id, coaching.ValoPause, pause)
		} else {
			_, err = eng.Fire(ctx, coach, id, coaching.ValoResumeAcquisition, nil)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

var coach = coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}

// inspector reads the tests' cases: the head of studies of their
// organisation (coach enrols them with none, so they belong to
// organisation "").
var inspector = coaching.Actor{ID: "inspector", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}

// benchCase enrols a VALO case and drives it to skill acquisition.
func benchCase(b testing.TB, eng *coaching.Engine, i int) coaching.CaseID {
	b.Helper()
	ctx := context.Background()
	months := 14
	c, err := eng.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO,
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: fmt.Sprintf("Virtanen %d", i),
			BirthDate: coaching.NewDate(1990, 5, 17), Language: coaching.Finnish,
			Contact:    coaching.Contact{Email: "aino.virtanen@example.fi"},
			Background: coaching.Background{Gender: coaching.GenderFemale, EducationLevel: coaching.EducationBasic, UnemployedMonths: &months}},
		Team: []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: "Maija Kares"}}})
	if err != nil {
		b.Fatal(err)
	}
	met := coaching.CriterionMet
	if _, err := eng.Fire(ctx, coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: coaching.EntryAssessment{
		Motivation: met, WorkingLifeSkills: met, AttendanceCommitment: met, WorkCommitment: met, GoalCommitment: met}}); err != nil {
		b.Fatal(err)
	}
	if _, err := eng.Fire(ctx, coach, c.ID, coaching.ValoStartAcquisition, &coaching.FireOptions{Payload: coaching.InductionFindings{
		FieldSuitability: "good", WorkingLifeSkills: "good", CurrentCompetence: "basic"}}); err != nil {
		b.Fatal(err)
	}
	return c.ID
}

// rawFixture opens a database file with the store's settings (sqlite.DSN,
// one connection) and a minimal table per row kind.
func rawFixture(b *testing.B, rows int) *sql.DB {
	ctx := context.Background()
	db, err := sql.Open(sqlite.DriverName, sqlite.DSN(filepath.Join(b.TempDir(), "raw.db"), nil))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE cases (id TEXT PRIMARY KEY, version INTEGER NOT NULL, data TEXT NOT NULL)`,
		`CREATE TABLE audit (case_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (case_id, seq)) WITHOUT ROWID`,
		`CREATE TABLE timers (key TEXT PRIMARY KEY, due_at INTEGER NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	for i := range rows {
		if _, err := db.ExecContext(ctx, `INSERT INTO cases (id, version, data) VALUES (?, 0, ?)`, rawID(i), caseJSON); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

func rawID(i int) string { return fmt.Sprintf("case-%08d", i) }

// caseJSON and auditJSON are about the size of a VALO case in skill
// acquisition and of one audit entry as the store writes them.
var (
	caseJSON  = `{"pad":"` + strings.Repeat("x", 1400) + `"}`
	auditJSON = `{"pad":"` + strings.Repeat("y", 200) + `"}`
)

// BenchmarkBaselineRawSQL is the same shape of work as one Fire, written
// by hand with database/sql: BEGIN IMMEDIATE; UPDATE the case row (version
// check in the WHERE clause); INSERT an audit row; INSERT a timer row;
// COMMIT. Statements are sent as text, as most hand-written code does.
func BenchmarkBaselineRawSQL(b *testing.B) {
	benchRaw(b, false)
}

// BenchmarkBaselineRawSQLPrepared is BenchmarkBaselineRawSQL with the three
// statements prepared once (tx.Stmt), the fastest way database/sql offers.
func BenchmarkBaselineRawSQLPrepared(b *testing.B) {
	benchRaw(b, true)
}

func benchRaw(b *testing.B, prepared bool) {
	ctx := context.Background()
	n := b.N/firesPerCase + 1
	db := rawFixture(b, n)
	defer db.Close()
	const (
		upd   = `UPDATE cases SET version = ?, data = ? WHERE id = ? AND version = ?`
		audit = `INSERT INTO audit (case_id, seq, data) VALUES (?, ?, ?)`
		timer = `INSERT INTO timers (key, due_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET due_at = excluded.due_at`
	)
	var stmts [3]*sql.Stmt
	if prepared {
		for i, q := range []string{upd, audit, timer} {
			st, err := db.PrepareContext(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			stmts[i] = st
		}
	}
	exec := func(tx *sql.Tx, i int, q string, args ...any) (sql.Result, error) {
		if prepared {
			return tx.StmtContext(ctx, stmts[i]).ExecContext(ctx, args...)
		}
		return tx.ExecContext(ctx, q, args...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := rawID(i / firesPerCase)
		v := int64(i % firesPerCase)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := exec(tx, 0, upd, v+1, caseJSON, id, v)
		if err != nil {
			b.Fatal(err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			b.Fatalf("update of %s at version %d changed %d rows", id, v, k)
		}
		if _, err := exec(tx, 1, audit, id, v+1, auditJSON); err != nil {
			b.Fatal(err)
		}
		if _, err := exec(tx, 2, timer, "deadline:"+id, int64(i)); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
