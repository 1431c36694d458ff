package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
)

// The PostgreSQL tests need a server: VALMENNUS_POSTGRES_DSN names it, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Without it they
// skip, unless VALMENNUS_REQUIRE_POSTGRES=1 (CI), which makes them fail.
const (
	envDSN     = "VALMENNUS_POSTGRES_DSN"
	envRequire = "VALMENNUS_REQUIRE_POSTGRES"
)

// exampleDSN is the DSN the messages suggest.
const exampleDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// withoutServer counts the tests that found no server (skipped, or failed
// under VALMENNUS_REQUIRE_POSTGRES=1); TestMain reports them once.
var withoutServer atomic.Int64

func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		withoutServer.Add(1)
		if os.Getenv(envRequire) == "1" {
			t.Fatalf("%s is not set but %s=1: the PostgreSQL tests must run (e.g. %s=%s)", envDSN, envRequire, envDSN, exampleDSN)
		}
		t.Skipf("%s is not set (see the note at the end of the package's output)", envDSN)
	}
	return dsn
}

// newPool returns a pool of at most maxConns connections, closed when the
// test ends.
func newPool(t testing.TB, maxConns int32) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testDSN(t))
	if err != nil {
		t.Fatalf("parsing %s: %v", envDSN, err)
	}
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// The conformance suite runs ~90 cases in parallel, each with a schema of
// its own; they share one pool so that the server's max_connections (100
// by default) is never the limit.
var shared struct {
	once sync.Once
	pool *pgxpool.Pool
	err  error
}

const sharedMaxConns = 16

func sharedPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn := testDSN(t)
	shared.once.Do(func() {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			shared.err = err
			return
		}
		cfg.MaxConns = sharedMaxConns
		shared.pool, shared.err = pgxpool.NewWithConfig(context.Background(), cfg)
	})
	if shared.err != nil {
		t.Fatalf("connecting to %s: %v", envDSN, shared.err)
	}
	return shared.pool
}

// TestMain reports once, after the tests, how many found no server and why,
// instead of leaving a silent skip in each. (go test ./... shows a passing
// package's output only with -v or -json; a failing package's always.)
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.pool != nil {
		if n := shared.pool.Stat().AcquiredConns(); n > 0 {
			fmt.Fprintf(os.Stderr, "postgres tests: %d connections of the shared pool were never released\n", n)
			code = 1
		} else {
			shared.pool.Close()
		}
	}
	if msg := withoutServerNote(withoutServer.Load(), os.Getenv(envRequire) == "1"); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	os.Exit(code)
}

// withoutServerNote is TestMain's note about n tests that found no server.
func withoutServerNote(n int64, required bool) string {
	tests := "tests"
	if n == 1 {
		tests = "test"
	}
	switch {
	case n == 0:
		return ""
	case required:
		return fmt.Sprintf("adapters/postgres: %s is not set but %s=1: %d PostgreSQL %s failed — set it, e.g. %s=%s",
			envDSN, envRequire, n, tests, envDSN, exampleDSN)
	default:
		return fmt.Sprintf("adapters/postgres: %s is not set; %d PostgreSQL %s skipped — set it, e.g. %s=%s (%s=1 makes them fail instead)",
			envDSN, n, tests, envDSN, exampleDSN, envRequire)
	}
}

// schemaName returns a fresh random schema name.
func schemaName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "vt_" + hex.EncodeToString(b)
}

// dropSchema drops a test schema when the test ends.
func dropSchema(t testing.TB, pool *pgxpool.Pool, schema string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
}

// newStoreOn returns a migrated store in a fresh schema on pool; the schema
// is dropped when the test ends.
func newStoreOn(t testing.TB, pool *pgxpool.Pool) *postgres.Store {
	t.Helper()
	schema := schemaName()
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	dropSchema(t, pool, schema)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrating schema %s: %v", schema, err)
	}
	return store
}

// newStore is newStoreOn the shared pool.
func newStore(t testing.TB) *postgres.Store {
	t.Helper()
	return newStoreOn(t, sharedPool(t))
}

// coach fires the VALO events in the tests; counsellor is told about every
// transition (so transitions leave notices in the outbox).
var (
	coach = coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	// inspector reads the tests' cases: the head of studies of their
	// organisation (the coach enrols them with none, so they belong to
	// organisation "").
	inspector = coaching.Actor{ID: "inspector", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	team      = []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: "Maija Kares"}, {ActorID: "sc-1", Role: coaching.RoleStudyCounsellor, Name: "Olli Opo", Contact: coaching.Contact{Email: "olli@example.fi"}}}
)

// notifyingVALO is the VALO model with every event notifying the study
// counsellor.
func notifyingVALO(t testing.TB) *coaching.Model {
	t.Helper()
	spec := coaching.VALOSpec()
	for i := range spec.Events {
		spec.Events[i].Notify = []coaching.Role{coaching.RoleStudyCounsellor}
	}
	m, err := coaching.BuildModel(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newEngine(t testing.TB, store coaching.Store, models ...*coaching.Model) *coaching.Engine {
	t.Helper()
	if len(models) == 0 {
		models = []*coaching.Model{notifyingVALO(t)}
	}
	eng, err := coaching.New(store, &coaching.Options{Models: models})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// openValo enrols a VALO case with id and drives it to skill acquisition
// (three audit entries, two transition notices).
func openValo(t testing.TB, eng *coaching.Engine, id coaching.CaseID) {
	t.Helper()
	if err := openValoErr(eng, id); err != nil {
		t.Fatal(err)
	}
}

func openValoErr(eng *coaching.Engine, id coaching.CaseID) error {
	ctx := context.Background()
	m := coaching.CriterionMet
	_, err := eng.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO, CaseID: id, Team: team,
		Participant: coaching.Participant{ID: coaching.ParticipantID("p-" + string(id)), GivenNames: "Aino", FamilyName: "Virtanen",
			BirthDate: coaching.NewDate(1995, 5, 17), Language: coaching.Finnish}})
	if err != nil {
		return err
	}
	if _, err := eng.Fire(ctx, coach, id, coaching.ValoAdmit, &coaching.FireOptions{Payload: coaching.EntryAssessment{
		Motivation: m, WorkingLifeSkills: m, AttendanceCommitment: m, WorkCommitment: m, GoalCommitment: m}}); err != nil {
		return err
	}
	_, err = eng.Fire(ctx, coach, id, coaching.ValoStartAcquisition, &coaching.FireOptions{Payload: coaching.InductionFindings{
		FieldSuitability: "good", WorkingLifeSkills: "good", CurrentCompetence: "basic"}})
	return err
}

// toggle fires pause or resume, whichever the case's state allows.
func toggle(ctx context.Context, eng *coaching.Engine, id coaching.CaseID) (*coaching.FireResult, error) {
	c, err := eng.Case(ctx, inspector, id)
	if err != nil {
		return nil, err
	}
	if c.State == coaching.ValoPaused {
		return eng.Fire(ctx, coach, id, coaching.ValoResumeAcquisition, &coaching.FireOptions{ExpectedVersion: c.Version})
	}
	return eng.Fire(ctx, coach, id, coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave", ExpectedVersion: c.Version})
}

// lazyPool is a pool that never connects (nothing listens on port 1): for
// tests that need a pool but no database.
func lazyPool(t testing.TB) *pgxpool.Pool {
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// The note TestMain prints when tests found no server.
func TestWithoutServerNote(t *testing.T) {
	tests := []struct {
		name     string
		n        int64
		required bool
		want     []string
	}{
		{"every test had a server", 0, false, nil},
		{"skipped", 22, false, []string{"VALMENNUS_POSTGRES_DSN is not set; 22 PostgreSQL tests skipped", exampleDSN, "VALMENNUS_REQUIRE_POSTGRES=1 makes them fail"}},
		{"required", 3, true, []string{"VALMENNUS_REQUIRE_POSTGRES=1: 3 PostgreSQL tests failed", exampleDSN}},
		{"one", 1, false, []string{"1 PostgreSQL test skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withoutServerNote(tt.n, tt.required)
			if tt.want == nil {
				assert.Empty(t, got)
				return
			}
			assert.True(t, strings.HasPrefix(got, "adapters/postgres: "), got)
			assert.NotContains(t, got, "\n", "one line")
			for _, w := range tt.want {
				assert.Contains(t, got, w)
			}
		})
	}
}
