// Package postgres is the PostgreSQL [coaching.Store], built on pgx v5
// (pgxpool), for deployments where several application instances share one
// database. It passes the same conformance suite (adapters/storetest) as the
// memory store.
//
// # Getting started
//
// The host owns the pool; the store only borrows connections from it:
//
//	pool, err := pgxpool.New(ctx, "postgres://app@db:5432/school")
//	...
//	store, err := postgres.New(pool, &postgres.Options{Schema: "valmennus"})
//	...
//	if err := store.Migrate(ctx); err != nil { ... } // once, at deployment or start-up
//	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}})
//
// # Schema and migrations
//
// Every table lives in one schema, [Options.Schema] ("valmennus" by
// default), and every statement names it, so the store needs no search_path
// and several stores (tenants, parallel tests) can share a database and a
// pool. Ids and keys use COLLATE "C": the port orders ids in byte order.
//
// The tables are created by versioned migrations embedded in the binary
// (migrations/NNNN_name.sql) and applied only by an explicit [Store.Migrate],
// which records them in the schema's schema_migrations table. Migrate takes
// its own connection and transaction (never a host's), holds a
// transaction-level advisory lock keyed on the schema
// ([MigrationLockKey]) while it works, and applies all pending migrations
// or none. Two instances that start together therefore migrate once: the
// second waits, then finds nothing to do. [Store.Version] tells a host
// whether the database is at [LatestVersion]. The code expects the schema
// it was built with: run Migrate before an upgraded binary serves (a Fire
// on a schema older than 0009 fails, for lack of the function its case
// update calls; a host that cannot migrate first should refuse to start
// when Version is below LatestVersion).
//
// Tables: participants (keyed by organisation and id, ids being scoped per
// organisation; the identity code in a column of its own, never in the
// JSON; the birth_date, background and sign_on members in generated
// columns, the sign-on id unique within the organisation:
// migrations/0012_participant_keys.sql), cases (the case as jsonb, beside copies of its id, version,
// model, state, organisation, participant and closing time for filtering;
// no index holds the state, which every transition changes, so a transition
// updates the row in place, a HOT update: migrations/0008_fire_path.sql),
// audit (append-only: a trigger refuses DELETE and every UPDATE except the
// one erasure makes, which clears an entry's reason and payload and nothing
// else), commands, documents, marks (every revision), sessions, notices (the
// outbox), timers, access_log (append-only; its Seq is an identity
// column: unique, ascending in insertion order, see
// migrations/0002_access_log.sql), records (a case's records, appended
// beside the case row) and latest_records (the latest record of each name
// per case, kept by a trigger on records; see
// migrations/0005_figures.sql) and case_figures (one narrow row per case
// with what the figures read, kept by triggers on cases, participants and
// latest_records; see migrations/0006_case_figures.sql). The caseload
// (coaching/caseload) keeps alerts (one active alert per case and cause:
// a partial unique index), planned items with the cases they list
// (planned_cases), contacts, and case_team, each case's (actor, role)
// pairs, which "my caseload" starts from: a trigger rewrites a case's rows
// when the compact team_key the store writes beside the case changes,
// and team_key is in no index, so a transition stays a HOT update.
// participants.sort_name is caseload.NameKey, written by the store (and
// filled by Migrate for rows written before). A list is one statement
// whose plans read cases by index only (TestCaseloadPlansUseIndexes;
// migrations/0011_caseload.sql).
//
// # Transactions
//
// [Store.View] runs in a read-only REPEATABLE READ transaction: all its
// reads see one snapshot. [Store.Update] runs in a READ COMMITTED
// transaction in which the port's checks are made by the statements
// themselves, so they hold across processes: UpdateCase is
// UPDATE ... WHERE id = $1 AND version = $2 (no row: a
// *coaching.ConflictError with the current version, or a
// *coaching.NotFoundError); AppendAudit inserts only if Seq follows the
// case's last entry; inserts of existing ids and keys use ON CONFLICT DO
// NOTHING and report a *coaching.DuplicateError. None of these checks puts
// the transaction into PostgreSQL's failed state. A transaction whose fn
// fails, panics, or whose context ends before the commit is rolled back
// with a context that cannot be cancelled.
//
// Both save round trips by pipelining: BEGIN travels with the first
// statement, and writes whose outcome the engine need not wait for travel
// with the next statement or the COMMIT: a timer upsert (PutTimer), the
// writes of coaching.PipelinedTx (Fire's case update, UpdateCaseLater; its
// notices and dropped timers), and the audit entry the engine appends right
// after the case update moved the case to that entry's version. A Fire is
// then two round trips: BEGIN with the case's read, and everything else
// with the COMMIT. The checks of a pipelined write still run, in a form
// that raises an error instead of writing nothing (the case update's
// version check: migrations/0009_case_update_later.sql); if one fails, the
// transaction fails with the *coaching.ConflictError (or
// *coaching.NotFoundError) the plain method returns and nothing is
// written. Each such check reads the case's last entry only (one
// backward step along the primary key), however long its trail: it asks
// for that entry with ORDER BY ... DESC LIMIT 1, whose generic plan — the
// one a prepared statement keeps — is that step even when it was made on
// empty tables without statistics, where max() was planned as an
// aggregate over the whole trail (migrations/0008_fire_path.sql).
//
// Driver errors are mapped to the engine's errors in one place: pgx.ErrNoRows
// becomes a *coaching.NotFoundError, unique violations a
// *coaching.DuplicateError or (for versioned records) a
// *coaching.ConflictError, serialization failures and deadlocks a
// *coaching.ConflictError. The pgconn error stays in the chain.
//
// # Host-owned transactions
//
// A host that keeps its own tables in the same database changes a case and
// its own rows in one transaction, as river's InsertTx does: [Store.Tx]
// wraps the host's pgx.Tx for an engine bound to it (Engine.In), and the host
// commits or rolls back.
//
//	tx, err := pool.Begin(ctx)
//	...
//	defer tx.Rollback(ctx)
//	_, err = tx.Exec(ctx, `INSERT INTO sis.absences ...`, ...)
//	_, err = eng.In(store.Tx(tx)).Fire(ctx, actor, caseID, coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave"})
//	...
//	err = tx.Commit(ctx) // the case change, its audit entry, its notices and the host's row, or none of them
//
// The store never commits or rolls back a host's transaction, pipelines
// nothing in it, and its checks leave it usable: a conflict or a duplicate
// is returned as an error and the host decides.
//
// # Several instances
//
// Any number of processes may share the database:
//
//   - version checks, the audit sequence, idempotency keys and timer
//     deletion are decided by the database, so of two instances changing a
//     case at once one wins and the other gets a *coaching.ConflictError
//     (reload and retry; [coaching.Engine.Fire] reports it as such);
//   - the outbox is claimed with SELECT ... FOR UPDATE SKIP LOCKED and a
//     lease in one statement, so dispatchers in every instance claim
//     disjoint notices without waiting for each other; a notice whose
//     dispatcher died is claimed again once its lease (LeaseUntil) has
//     passed, and the dead claim's late answer is refused (the attempt
//     number no longer matches). Delivery is at-least-once: receivers drop
//     repeats by the notice id (the Idempotency-Key of adapters/webhook);
//   - migrations are serialised by the advisory lock.
//
// Keep each instance's pool small (the default pgxpool size is the number
// of CPUs): PostgreSQL's max_connections (100 by default) is shared by all
// instances.
//
// # Streaming
//
// [Store.Cases] and [Store.CasesWithParticipants] page through the cases
// with keyset queries (WHERE id > last ORDER BY id LIMIT [Options.CaseBatch]):
// each page is read and its connection released before the loop body sees
// its cases, so a report over a whole cohort holds no connection, lock or
// snapshot while it works and keeps one page in memory.
//
// # Bulk attendance
//
// [Store.BulkMarks] loads brand-new attendance marks (a national day:
// millions of rows) with COPY in one transaction, after checking their text
// and that their cases exist. Corrections go through the engine.
//
// # Text PostgreSQL cannot store
//
// Every value is a statement parameter; quotes, SQL, emoji and values of
// many megabytes are stored and read back exactly. PostgreSQL text cannot
// hold a NUL character or invalid UTF-8, and index entries are limited to
// about 2.7 kB: the store refuses such values before they reach the server
// (which would fail the transaction) with a *coaching.ValidationError that
// names the field. Ids and keys are limited to 1024 bytes, a case's model,
// state and organisation to 512, notice ids and timer keys to 2048.
//
// # Erasure
//
// coaching/erasure's Service.Erase and Service.ApplyRetention change rows
// with UPDATE and DELETE, which in PostgreSQL only mark the old row versions
// dead: the identity code, names, e-mail addresses and reasons stay byte
// for byte in the table files. A plain VACUUM (and autovacuum) removes the
// dead versions from the pages' item lists but does not overwrite their
// bytes (on PostgreSQL 15 the identity code, an audit reason and a case's
// record note are still in the pages after VACUUM (INDEX_CLEANUP ON), see
// TestPlainVacuumLeavesBytes). After erasing, the host calls
// [Store.VacuumErased], which waits until no transaction older than the
// call can still see the erased rows and then runs VACUUM (FULL, ANALYZE)
// on [ErasedTables]: the live rows are copied into new files (table, TOAST
// table and rebuilt indexes), the old files are truncated, and the planner
// statistics are sampled again. TestVacuumErased reads every page of the
// schema's tables, TOAST tables and indexes with pageinspect's
// get_raw_page after an erasure: the values are there before VacuumErased
// and in no page after it. VACUUM FULL locks each table exclusively while
// it copies it; run it when that is acceptable (after the nightly
// retention run, say), once for a batch of erasures.
//
// What remains after erasure and VacuumErased, outside the store's reach:
//
//   - the WAL: the original inserts and updates (and full-page images)
//     stay in pg_wal until their segments are recycled after later
//     checkpoints, typically minutes to hours (longer with wal_keep_size,
//     replication slots or a lagging standby);
//   - WAL archives and base backups (archive_command, pgBackRest, WAL-G,
//     pg_basebackup): for as long as they are kept, e.g. the 30 days of a
//     backup policy. Restoring one brings the erased data back; repeat the
//     erasures after a restore from the host's own list of erased
//     participants (the restored access log may predate them);
//   - replicas: a streaming standby replays VACUUM FULL and its files lose
//     the bytes too, but it keeps its own WAL (and a delayed standby,
//     recovery_min_apply_delay, keeps the data until it applies it); a
//     logical replica applies the UPDATEs and DELETEs to its own tables,
//     which need their own VACUUM FULL;
//   - the disk blocks of the old relation files: VACUUM FULL truncates and
//     unlinks them (the first segment at the next checkpoint), which frees
//     the blocks without overwriting them; copy-on-write filesystems,
//     storage snapshots and SSD wear levelling keep older versions. Until
//     the device reuses the blocks, which may be never; full-disk
//     encryption with the key destroyed at retirement is the remedy;
//   - the old rows of pg_statistic, which ANALYZE replaced: dead versions
//     in the catalog until it is vacuumed (a superuser can run VACUUM FULL
//     pg_catalog.pg_statistic); and the server log, if it logs statements
//     with their parameters (log_statement = 'all', or errors with
//     log_parameter_max_length_on_error);
//   - what erasure keeps on purpose: ids, the participant's organisation,
//     language, background facts and coarsened birth date, the cases'
//     states, dates, team (without guardians), flags and kept records,
//     attendance marks, and the access log.
//
// # Testing
//
// The package's tests need a server: set VALMENNUS_POSTGRES_DSN (e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Without it they
// are skipped, and the package prints one note at the end saying how many
// and why (go test ./... shows it with -v or -json; go test shows a passing
// package's output only then). VALMENNUS_REQUIRE_POSTGRES=1 (CI) makes
// every one of them fail instead. Each test runs in a schema of its own,
// dropped afterwards. The erasure tests read raw pages with the
// pageinspect extension, which they create: the DSN's role must be a
// superuser.
package postgres
