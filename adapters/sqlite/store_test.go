package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/session"
)

var testNow = time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)

func newEngine(t testing.TB, store coaching.Store, models ...*coaching.Model) *coaching.Engine {
	t.Helper()
	if len(models) == 0 {
		models = []*coaching.Model{coaching.VALO()}
	}
	eng, err := coaching.New(store, &coaching.Options{Models: models,
		Clock: coaching.ClockFunc(func() time.Time { return testNow })})
	require.NoError(t, err)
	return eng
}

// hostFixture is a host's own table in the store's database.
func hostFixture(t *testing.T, db *sql.DB) {
	t.Helper()
	_, err := db.ExecContext(t.Context(), `CREATE TABLE host_log (id INTEGER PRIMARY KEY, note TEXT NOT NULL)`)
	require.NoError(t, err)
}

func hostRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRowContext(t.Context(), `SELECT count(*) FROM host_log`).Scan(&n))
	return n
}

// A host's own write and a Fire on Engine.In(tx) in one host transaction: rolled
// back, neither is stored; committed, both are.
func TestHostTransaction(t *testing.T) {
	tests := []struct {
		name string
		open func(t *testing.T) *sqlite.Store
	}{
		{"Open", func(t *testing.T) *sqlite.Store { return openTemp(t) }},
		{"New", func(t *testing.T) *sqlite.Store {
			// The host opens the database itself, with the store's
			// settings, and hands the pool to New.
			db, err := sql.Open(sqlite.DriverName, sqlite.DSN(filepath.Join(t.TempDir(), "host.db"), nil))
			require.NoError(t, err)
			db.SetMaxOpenConns(1)
			t.Cleanup(func() { _ = db.Close() })
			s, err := sqlite.New(t.Context(), db, &sqlite.Options{Migrate: true})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			store := tt.open(t)
			db := store.DB()
			hostFixture(t, db)
			eng := newEngine(t, store)
			id := benchCase(t, eng, 0)
			before, err := eng.Case(ctx, inspector, id)
			require.NoError(t, err)
			pause := &coaching.FireOptions{Reason: "sick leave"}

			// Rolled back: neither the host's row nor the transition.
			tx, err := db.BeginTx(ctx, nil)
			require.NoError(t, err)
			_, err = tx.ExecContext(ctx, `INSERT INTO host_log (note) VALUES (?)`, "paused "+string(id))
			require.NoError(t, err)
			res, err := eng.In(store.Tx(tx)).Fire(ctx, coach, id, coaching.ValoPause, pause)
			require.NoError(t, err)
			assert.Equal(t, coaching.ValoPaused, res.Case.State, "the bound Fire returns the new state")
			require.NoError(t, tx.Rollback())

			assert.Zero(t, hostRows(t, db), "the host's row was rolled back")
			after, err := eng.Case(ctx, inspector, id)
			require.NoError(t, err)
			assert.Equal(t, before.Version, after.Version, "the transition was rolled back with the host's transaction")
			assert.Equal(t, coaching.ValoSkillAcquisition, after.State)
			trail, err := ct.ReadCase(ctx, eng, inspector, coaching.OpReadCase, id, (*coaching.CaseView).AuditTrail)
			require.NoError(t, err)
			assert.Len(t, trail, int(before.Version), "no audit entry of the rolled-back transition")

			// Committed: both.
			tx, err = db.BeginTx(ctx, nil)
			require.NoError(t, err)
			_, err = tx.ExecContext(ctx, `INSERT INTO host_log (note) VALUES (?)`, "paused "+string(id))
			require.NoError(t, err)
			_, err = eng.In(store.Tx(tx)).Fire(ctx, coach, id, coaching.ValoPause, pause)
			require.NoError(t, err)
			require.NoError(t, tx.Commit())

			assert.Equal(t, 1, hostRows(t, db), "the host's row was committed")
			after, err = eng.Case(ctx, inspector, id)
			require.NoError(t, err)
			assert.Equal(t, before.Version+1, after.Version)
			assert.Equal(t, coaching.ValoPaused, after.State)
			trail, err = ct.ReadCase(ctx, eng, inspector, coaching.OpReadCase, id, (*coaching.CaseView).AuditTrail)
			require.NoError(t, err)
			require.Len(t, trail, int(after.Version))
			assert.Equal(t, coaching.ValoPause, trail[len(trail)-1].Event)

			// A failing engine call inside the host's transaction leaves
			// the host free to roll back or to commit its own work alone.
			tx, err = db.BeginTx(ctx, nil)
			require.NoError(t, err)
			_, err = eng.In(store.Tx(tx)).Fire(ctx, coach, id, coaching.ValoPause, pause)
			require.ErrorIs(t, err, coaching.ErrTransitionNotAllowed, "a paused case cannot be paused")
			_, err = tx.ExecContext(ctx, `INSERT INTO host_log (note) VALUES (?)`, "tried")
			require.NoError(t, err)
			require.NoError(t, tx.Commit())
			assert.Equal(t, 2, hostRows(t, db))
		})
	}
}

// New refuses a pool whose connections have foreign keys off.
func TestNewNeedsForeignKeys(t *testing.T) {
	db, err := sql.Open(sqlite.DriverName, "file:"+filepath.Join(t.TempDir(), "nofk.db"))
	require.NoError(t, err)
	defer db.Close()
	_, err = sqlite.New(t.Context(), db, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "foreign keys")
}

// Open refuses an in-memory database: the writer and the readers would
// each see a database of their own.
func TestOpenRefusesMemory(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x?mode=memory"} {
		_, err := sqlite.Open(t.Context(), p, nil)
		assert.Error(t, err, "Open(%q)", p)
	}
}

// A panic inside a transaction rolls it back before the panic continues,
// and the writer connection is usable afterwards.
func TestPanicRollsBack(t *testing.T) {
	store := openTemp(t)
	ctx := t.Context()
	func() {
		defer func() { assert.Equal(t, "bug", recover()) }()
		_ = store.Update(ctx, func(tx coaching.Tx) error {
			if err := tx.InsertParticipant(ctx, participant("p")); err != nil {
				return err
			}
			panic("bug")
		})
	}()
	err := store.View(ctx, func(tx coaching.ReadTx) error {
		_, err := tx.Participant(ctx, "", "p")
		return err
	})
	require.ErrorIs(t, err, coaching.ErrNotFound, "the participant of a panicked transaction was kept")
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(ctx, participant("p")) }))
}

func participant(id coaching.ParticipantID) coaching.Participant {
	return coaching.Participant{ID: id, GivenNames: "Liisa", FamilyName: "Esimerkki",
		BirthDate: coaching.NewDate(2007, time.May, 17), Language: coaching.Swedish}
}

// Migrations are versioned: a fresh database is at 0, Migrate brings it to
// the build's version, and Migrate again (also from several stores on the
// same file at once) changes nothing.
func TestMigrate(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")
	store, err := sqlite.Open(ctx, path, nil) // no Options.Migrate: nothing happens implicitly
	require.NoError(t, err)
	defer store.Close()
	v, err := store.DatabaseVersion(ctx)
	require.NoError(t, err)
	assert.Zero(t, v, "Open does not migrate")
	err = store.Update(ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(ctx, participant("p")) })
	require.Error(t, err, "no tables before Migrate")

	require.Positive(t, sqlite.SchemaVersion())
	require.NoError(t, store.Migrate(ctx))
	v, err = store.DatabaseVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, sqlite.SchemaVersion(), v)
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(ctx, participant("p")) }),
		"the store works once migrated (its statements are prepared after Migrate)")

	// Again, and from four more stores (four more connections with pools
	// of their own, as separate processes would have) at the same time.
	require.NoError(t, store.Migrate(ctx))
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := sqlite.Open(ctx, path, &sqlite.Options{Migrate: true})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "concurrent Migrate %d", i)
	}
	var rows int
	require.NoError(t, store.DB().QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&rows))
	assert.Equal(t, migrationFiles(t), rows, "each migration recorded once")
	err = store.View(ctx, func(tx coaching.ReadTx) error {
		_, err := tx.Participant(ctx, "", "p")
		return err
	})
	require.NoError(t, err, "the data survived the repeated migrations")

	// A database from a newer build is refused, not "downgraded".
	_, err = store.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)`, sqlite.SchemaVersion()+1)
	require.NoError(t, err)
	err = store.Migrate(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "newer than this build")
}

// A database written at schema version 1 (before the access log, session
// organisations and the erasure of audit reasons) migrates with its data:
// old sessions belong to no organisation, old cases are found by
// participant, and the new methods work on old rows.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := t.Context()
	store, db := openAt(t, 1,
		`INSERT INTO participants (id, identity_code, data) VALUES ('p-1', NULL, '{"given_names":"Liisa","family_name":"Esimerkki"}')`,
		`INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data) VALUES
			('c-1', 'p-1', 'valo', 'intake', 'org-a', 0, 1, '{}'), ('c-2', 'p-2', 'valo', 'intake', 'org-a', 0, 1, '{}')`,
		`INSERT INTO audit (case_id, seq, at, kind, actor_id, roles, event, from_state, to_state, reason, payload, idempotency_key)
			VALUES ('c-1', 1, 0, 'opened', 'coach-1', '["coach"]', '', '', 'intake', 'syy', X'7B7D', 'k-1')`,
		`INSERT INTO sessions (id, kind, day, hours, staff, cases, elements, peer_support, contacts, topic, at, by_actor)
			VALUES ('s-1', 'group', 20250304, '1.5', NULL, '["c-1"]', NULL, '', 0, 'ryhmä', 0, 'coach-1')`)
	v, err := store.DatabaseVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, v)

	requireLatest(t, store)

	var ids []coaching.CaseID
	for c, err := range store.Cases(ctx, coaching.CaseQuery{Participant: "p-1"}) {
		require.NoError(t, err)
		ids = append(ids, c.ID)
	}
	assert.Equal(t, []coaching.CaseID{"c-1"}, ids, "old cases are found by participant")
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		ss, err := tx.(session.Reader).Sessions(ctx, session.Query{})
		require.NoError(t, err)
		require.Len(t, ss, 1)
		assert.Empty(t, ss[0].Organisation, "a session from before the migration has no organisation")
		assert.Equal(t, []coaching.CaseID{"c-1"}, ss[0].Cases)
		if err := tx.AppendAccess(ctx, coaching.AccessEntry{At: testNow, ActorID: "head-1", Operation: coaching.OpErase, CaseID: "c-1", Allowed: true}); err != nil {
			return err
		}
		return tx.PurgeCase(ctx, "c-1")
	}))
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		trail, err := tx.AuditTrail(ctx, "c-1", 0)
		require.NoError(t, err)
		require.Len(t, trail, 1)
		assert.Empty(t, trail[0].Reason)
		assert.Empty(t, trail[0].Payload)
		assert.Equal(t, []coaching.Role{coaching.RoleCoach}, trail[0].Roles)
		log, err := tx.AccessLog(ctx, coaching.AccessQuery{})
		require.NoError(t, err)
		require.Len(t, log, 1)
		assert.Equal(t, int64(1), log[0].Seq)
		return nil
	}))

	// The access log is append-only in the database itself.
	_, err = db.ExecContext(ctx, `UPDATE access_log SET allowed = 0`)
	assert.ErrorContains(t, err, "append-only")
	_, err = db.ExecContext(ctx, `DELETE FROM access_log`)
	assert.ErrorContains(t, err, "append-only")
	require.NoError(t, store.Close())
}

// Cancelling the context of a write in progress rolls it back and leaves
// the single writer connection usable.
func TestCancelledWriteReleasesWriter(t *testing.T) {
	store := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	err := store.Update(ctx, func(tx coaching.Tx) error {
		if err := tx.InsertParticipant(ctx, participant("p")); err != nil {
			return err
		}
		cancel()
		return tx.InsertParticipant(ctx, participant("q"))
	})
	require.Error(t, err)
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)
	require.NoError(t, store.Update(t.Context(), func(tx coaching.Tx) error { return tx.InsertParticipant(t.Context(), participant("p")) }))
}

// CasesWithParticipants joins each case with its participant, and reports
// a case whose participant is not stored (the port allows one).
func TestCasesWithParticipants(t *testing.T) {
	store := openTemp(t)
	ctx := t.Context()
	code, err := coaching.ParseIdentityCode("131052-308T")
	require.NoError(t, err)
	p := participant("p-1")
	p.IdentityCode = code
	p.BirthDate = coaching.NewDate(1952, time.October, 13)
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		if err := tx.InsertParticipant(ctx, p); err != nil {
			return err
		}
		for i, pid := range []coaching.ParticipantID{"p-1", "p-missing", "p-1"} {
			c := coaching.Case{ID: coaching.CaseID("c-" + string(rune('a'+i))), ParticipantID: pid, Model: "valo", State: "intake", Version: 1}
			if err := tx.InsertCase(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}))
	var got []string
	for row, err := range store.CasesWithParticipants(ctx, coaching.CaseQuery{}) {
		require.NoError(t, err)
		if row.HasParticipant {
			require.NotNil(t, row.Participant)
			assert.Equal(t, "131052-308T", row.Participant.IdentityCode.Reveal(), "the identity code comes from its own column")
			got = append(got, string(row.Case.ID)+"+"+string(row.Participant.ID))
		} else {
			assert.Nil(t, row.Participant)
			got = append(got, string(row.Case.ID)+"-")
		}
	}
	assert.Equal(t, []string{"c-a+p-1", "c-b-", "c-c+p-1"}, got)

	// The code never reaches the JSON column.
	var data string
	require.NoError(t, store.DB().QueryRowContext(ctx, `SELECT data FROM participants WHERE id = 'p-1'`).Scan(&data))
	assert.NotContains(t, data, "131052")
}

// Cases streams in batches without holding a connection between them:
// with a batch of 2, a write in the loop body goes through.
func TestCasesBatchesReleaseConnection(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "b.db"), &sqlite.Options{Migrate: true, CaseBatch: 2, ReadConns: 1})
	require.NoError(t, err)
	defer store.Close()
	ctx := t.Context()
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		for i := range 7 {
			c := coaching.Case{ID: coaching.CaseID("c-" + string(rune('a'+i))), ParticipantID: "p", Model: "valo", State: "intake", Version: 1}
			if err := tx.InsertCase(ctx, c); err != nil {
				return err
			}
		}
		return nil
	}))
	n := 0
	for c, err := range store.Cases(ctx, coaching.CaseQuery{}) {
		require.NoError(t, err)
		n++
		// One read connection: a View here would wait for ever if the
		// stream held it.
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			_, err := tx.Case(ctx, c.ID)
			return err
		}))
	}
	assert.Equal(t, 7, n)
}

// Two stores on one file (two writer connections, as two processes would
// have): their writes serialise on the file's lock (BEGIN IMMEDIATE and the
// busy timeout, no SQLITE_BUSY failures), and dispatchers claiming through
// both never receive the same notice.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "shared.db")
	a, err := sqlite.Open(ctx, path, &sqlite.Options{Migrate: true})
	require.NoError(t, err)
	defer a.Close()
	b, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer b.Close()
	stores := []*sqlite.Store{a, b}

	const perStore = 150
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Go(func() {
			for k := range perStore {
				id := coaching.CaseID(fmt.Sprintf("c-%d-%03d", i, k))
				err := s.Update(ctx, func(tx coaching.Tx) error {
					if err := tx.InsertCase(ctx, coaching.Case{ID: id, ParticipantID: "p", Model: "valo", State: "intake", Version: 1}); err != nil {
						return err
					}
					_, err := tx.Enqueue(ctx, coaching.Notice{ID: "n-" + string(id), CaseID: id, Kind: "k", CreatedAt: testNow, NotBefore: testNow})
					return err
				})
				if err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "writer %d", i)
	}

	claimed := make([][]string, 4)
	claimErrs := make([]error, len(claimed))
	for i := range claimed {
		s := stores[i%2]
		wg.Go(func() {
			for {
				ns, err := s.ClaimNotices(ctx, coaching.ClaimParams{Now: testNow, Limit: 7, Lease: time.Hour})
				if err != nil || len(ns) == 0 {
					claimErrs[i] = err
					return
				}
				for _, n := range ns {
					claimed[i] = append(claimed[i], n.ID)
				}
			}
		})
	}
	wg.Wait()
	for i, err := range claimErrs {
		require.NoError(t, err, "claimer %d", i)
	}
	seen := map[string]int{}
	for _, ids := range claimed {
		for _, id := range ids {
			seen[id]++
		}
	}
	assert.Len(t, seen, 2*perStore, "every notice claimed")
	for id, n := range seen {
		assert.Equal(t, 1, n, "notice %s claimed %d times", id, n)
	}
}

// Open maps the database file (as much as SQLite will by default, as
// set) and a negative MmapSize turns the map off.
func TestOpenMapsTheFile(t *testing.T) {
	for _, c := range []struct {
		set, want int64
	}{{0, 2<<30 - 64<<10}, {64 << 20, 64 << 20}, {-1, 0}} {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "mmap.db"), &sqlite.Options{MmapSize: c.set})
		require.NoError(t, err)
		var got int64
		require.NoError(t, st.DB().QueryRowContext(t.Context(), "PRAGMA mmap_size").Scan(&got))
		assert.Equal(t, c.want, got, "MmapSize %d", c.set)
		require.NoError(t, st.Close())
	}
}
