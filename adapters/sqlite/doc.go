// Package sqlite is the durable, embedded [coaching.Store]: one SQLite
// database file, through modernc.org/sqlite (pure Go, no cgo; driver name
// "sqlite"). It passes the same conformance suite (adapters/storetest) as
// the memory and PostgreSQL stores.
//
// # Getting started
//
//	store, err := sqlite.Open(ctx, "valmennus.db", &sqlite.Options{Migrate: true})
//	if err != nil { ... }
//	defer store.Close()
//	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}})
//
// # Schema migrations
//
// The schema is embedded in the binary as numbered migrations
// (migrations/NNNN_name.sql) and recorded in a schema_migrations table.
// They are applied only by [Store.Migrate], or by Open when
// [Options.Migrate] is set: never implicitly, never inside a host's
// transaction. Migrate runs the pending migrations in one BEGIN IMMEDIATE
// transaction on a connection of its own, so it is safe to call twice and
// from several processes at once (the write lock serialises them; the later
// ones find nothing to do). A database migrated by a newer build is
// refused. [SchemaVersion] and [Store.DatabaseVersion] tell the versions.
//
// # Connections, locking and the quirks of SQLite
//
// SQLite allows one writer at a time per database file, and any number of
// readers. Open sets the database up for that:
//
//   - WAL journal mode: readers see the last committed state and never
//     block the writer, nor it them.
//   - One writer connection (database/sql pool of 1). Write transactions
//     (Update, ClaimNotices, CompleteNotice) queue for it inside the
//     process and begin with BEGIN IMMEDIATE, which takes the file's write
//     lock at once. A transaction therefore never fails half-way because
//     another writer got in between; optimistic version checks
//     (UPDATE ... WHERE version = ?) and the outbox claim
//     (UPDATE ... RETURNING) need no further locking.
//   - A pool of read-only connections (query_only) for View, Cases,
//     DueTimers, Notice and Notices.
//   - A busy timeout (default 5 s): a write waits that long for another
//     process's write lock before it fails with an error saying so.
//   - Foreign keys on: audit entries, commands, documents and attendance
//     marks belong to a stored case (a write of one for an unknown case is
//     refused, as a *coaching.NotFoundError of the case). Participants are
//     keyed by organisation and id, their sign-on ids unique within the
//     organisation (migrations/0012_participant_keys.sql). Cases do not reference participants and
//     notices and timers reference nothing: the port allows a case whose
//     participant is not stored, and notices about no case.
//   - synchronous=NORMAL: a commit survives the application crashing
//     (the crash test kills a writer process with SIGKILL mid-load and
//     loses nothing committed), but the last commits before a power cut or
//     an OS crash may be lost; the file is never corrupted.
//     [Options.FullSync] makes every commit durable at the cost of an
//     fsync each.
//
// Inside an Update, do not call Update again (the single writer is busy:
// it waits for ever, as a second lock of a mutex would). With Open (or New
// with a separate [Options.ReadDB]) View and the reads may be called from
// inside Update; they see committed data only. Store.Cases holds no
// connection while the loop body runs, so the body may write.
//
// # Several processes
//
// Several processes may open the same file on one machine (not on a
// network file system: SQLite's locks need a local one). Writes are
// serialised across them by the file lock, one writer at a time, each
// waiting up to the busy timeout; reads run in parallel in every process.
// Claiming the outbox is a write transaction, so dispatchers in several
// processes never receive the same notice while its lease holds. Run one
// Migrate (or all of them: it is idempotent) before the processes start
// working. For many writers on several machines use adapters/postgres.
//
// # Host-owned transactions
//
// A host that keeps its own tables in the same file can make its writes and
// the engine's commit together: begin a transaction on [Store.DB] and wrap
// it with [Store.Tx]:
//
//	tx, err := store.DB().BeginTx(ctx, nil)
//	...
//	_, err = tx.ExecContext(ctx, `INSERT INTO school_log (note) VALUES (?)`, "paused")
//	res, err := eng.In(store.Tx(tx)).Fire(ctx, actor, caseID, coaching.ValoPause, opts)
//	...
//	err = tx.Commit() // or Rollback: the case change goes with it
//
// With Open the writer pool has one connection, so while the host holds
// such a transaction every other write of the store waits for it.
//
// Hosts that open the database themselves pass their *sql.DB to [New];
// [DSN] returns a data source name with every setting the store needs.
//
// # Storage
//
// Ids and keys are TEXT compared in SQLite's BINARY collation, which is
// Go's byte order (the order of [coaching.CaseQuery.AfterID]). Instants are
// stored as INTEGER microseconds (anything finer is dropped; times come
// back in UTC), civil dates as yyyymmdd. A case is kept as JSON next to the
// columns Cases filters on; [Store.Cases] streams them in batches by keyset
// pagination (WHERE id > ? ORDER BY id LIMIT n), holding no connection
// while the loop body runs. A participant's identity code is kept in a
// column of its own, never in the participant's JSON (whose encoding masks
// it). Audit payloads and document data are kept as bytes, exactly. A
// case's records are rows of the records table beside the case row,
// appended and never rewritten (but by erasure), so a change writes the
// same however many records the case has.
// For the figures (outcomes.FactsStreamer) the store also keeps narrow
// copies of what the reports read (migration 0005): a case's opening and
// closing instants in columns, a participant's birth date and background
// JSON members in columns, and the latest record of each name per case in
// latest_records, kept by triggers on records; and (migration 0006) one
// narrow row per case in case_figures with all of it, kept by triggers on
// cases, participants and latest_records and read as one stored value —
// so a report is one pass over one table, reads no JSON document and
// makes no step through the records table. A transition writes one row
// of it more (the case's state), a closing or a destination one.
//
// Values are kept exactly, whatever bytes they hold, NUL and quotes
// included: every query is parameterised. One limit: text that is stored
// inside a JSON column (participant fields, the case's team and flags,
// roles, notice recipients and data, session staff)
// must be valid UTF-8, because JSON cannot hold anything else; such a value
// is refused with a *coaching.ValidationError naming the field, never
// stored altered. The engine's own validation already refuses it. A
// record's Data must be valid JSON (coaching.Record.Data), though its
// column would keep anything.
//
// Attendance keeps running totals beside the marks (migration 0004): per
// case in attendance_state and per case and day in attendance_days. The
// state row also holds the case's window of latest days (migration 0007):
// the totals of its latest 40 dates with marks in one small encoded
// value, rewritten by each PutMarks, from which RecentDays answers the
// early-warning rules with one row instead of a row a day: the driver's
// cost is per row, and a row a day made the rules' read about three times
// as costly after a school year (a full window of 21 days) as after a
// week. Longer windows, and windows that end before those days, are read
// from attendance_days.
//
// The caseload (coaching/caseload, migration 0011) keeps alerts, planned
// items and contacts in tables of their own, and its list
// (caseload.Reader.Summaries) is one query per page in the order of
// caseload.Key.Less, after the previous page's key. "My caseload" reads
// the member's cases from case_team, which triggers keep in step with a
// compact team_key column of the case: the usual UpdateCase compares that
// key instead of assigning it, so a transition runs no trigger for it,
// and only a team change rewrites the membership rows. The phase deadline
// the urgency order needs is a narrow unindexed column (phase_due), and
// the order by name reads participants.sort_name (caseload.NameKey,
// written by the store on every participant write). Alerts, planned
// items and contacts are not written by a Fire.
//
// # Erasure
//
// coaching/erasure's Service.Erase and Service.ApplyRetention delete and
// overwrite rows; in SQLite the old bytes would stay in the file (in the
// free space of a page, on a page put on the free list) and in the WAL
// (older images of the pages) until the space happened to be reused. The
// store makes the erasure overwrite them:
//
//   - secure_delete is on for every connection Open makes (and in [DSN];
//     [New] refuses a pool without it): deleted content is overwritten
//     with zeros, and a page put on the free list is zeroed. It has to be
//     on from the start, not only during the erasure: every update, delete
//     and page split before the erasure frees space too, and with
//     secure_delete off that space keeps copies of the rows (see
//     TestSecureDeleteFromTheStart). A database file written by an older
//     build, without secure_delete, may hold such copies of anything
//     written before: run VACUUM once (it rebuilds the file), then
//     [Store.Checkpoint];
//   - after every transaction that erased (a purged case, or a
//     participant stored as erased) the store checkpoints the WAL in
//     TRUNCATE mode ([Store.Checkpoint]): the pages are copied into the
//     database file and the WAL is cut to zero bytes, so it holds no older
//     image of them. A reader on an older snapshot keeps the checkpoint
//     from completing; the store then tries again after its next write,
//     and [Store.Checkpoint] reports it. After an erasure made in a host
//     transaction ([Store.Tx]), call Checkpoint after the commit.
//
// TestErasureOverwrites erases through the engine and scans the raw bytes
// of the database file and the WAL for the identity code, names, e-mail
// addresses and reasons: none is found, while the store is open and after
// it is closed. The file does not shrink (zeroed free pages are reused by
// later writes); run VACUUM yourself to return the space.
//
// What remains after erasure, outside the store's reach:
//
//   - copies made before it: backups of the file, replicas (Litestream and
//     similar WAL shippers keep the WAL frames they copied for their
//     retention period), VACUUM INTO copies. They keep the data for as long
//     as they are kept; restoring one brings the erased data back, so
//     repeat the erasures after a restore (the host's own list of erased
//     participants; the access log of the restored copy may predate them);
//   - the disk blocks the truncated WAL occupied, and a deleted rollback
//     journal or temporary file: the filesystem frees them without
//     overwriting them, and copy-on-write filesystems (btrfs, ZFS, APFS),
//     snapshots and SSD wear levelling keep older versions of overwritten
//     blocks; the data stays readable with forensic tools until the device
//     reuses the blocks, which may be never. Full-disk encryption, with the
//     key destroyed when the disk is retired, is the remedy;
//   - what erasure keeps on purpose: ids, the participant's organisation,
//     language, background facts and coarsened birth date, the cases'
//     states, dates, team (without guardians), flags and kept records,
//     attendance marks, and the access log.
//
// # Errors
//
// Driver errors are mapped to the engine's errors in one function:
// missing rows to *coaching.NotFoundError, key violations to
// *coaching.DuplicateError (or *coaching.ConflictError for numbered
// records), foreign-key violations to a *coaching.NotFoundError of the
// case, and a busy timeout to an error that says another writer holds the
// lock.
package sqlite
