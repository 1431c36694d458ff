package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/valmennus/valmennus/coaching"
)

// DriverName is the database/sql driver name of modernc.org/sqlite, which
// this package registers by importing it.
const DriverName = "sqlite"

// Options configure [Open] and [New]. A nil *Options means the defaults.
type Options struct {
	// Migrate makes Open (and New) apply the pending schema migrations
	// before returning, as [Store.Migrate] does. Defaults to false: a host
	// that deploys schema changes on purpose calls Migrate itself.
	Migrate bool
	// BusyTimeout is how long a statement waits for a lock another
	// connection (another process) holds before it fails. Used by Open
	// only. Defaults to 5 seconds.
	BusyTimeout time.Duration
	// ReadConns is the number of read connections Open keeps for View,
	// Cases and the outbox reads. Used by Open only. Defaults to
	// max(4, GOMAXPROCS).
	ReadConns int
	// FullSync sets synchronous=FULL instead of NORMAL. With NORMAL (the
	// default) in WAL mode a commit survives the application crashing but
	// the last commits before a power loss or an OS crash may be lost
	// (the database is never corrupted); FULL syncs every commit, at the
	// cost of an fsync per transaction. Used by Open only.
	FullSync bool
	// ReadDB is, for New only, a second pool on the same database file used
	// for reads, so that reads do not queue behind the writer. Defaults to
	// the pool given to New.
	ReadDB *sql.DB
	// CaseBatch is how many cases Store.Cases reads per query. Defaults
	// to 256.
	CaseBatch int
	// MmapSize is how many bytes of the database file each connection
	// reads through a memory map (PRAGMA mmap_size) instead of a read
	// system call per page not in its page cache. A report passing over a
	// million cases made a system call per page without it and spent as
	// long in them as in SQLite. Defaults to 2 GiB less 64 KiB, the
	// largest map this build of SQLite makes (a larger value is cut to
	// it); it is address space, not memory: the pages are the operating
	// system's file cache, shared by every connection. Negative turns it
	// off. Used by Open and DSN.
	MmapSize int64
}

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.BusyTimeout <= 0 {
		out.BusyTimeout = 5 * time.Second
	}
	if out.ReadConns <= 0 {
		out.ReadConns = max(4, runtime.GOMAXPROCS(0))
	}
	if out.MmapSize == 0 {
		out.MmapSize = 2<<30 - 64<<10
	}
	if out.CaseBatch <= 0 {
		out.CaseBatch = 256
	}
	return out
}

// Store is a [coaching.Store] on a SQLite database. It is safe for
// concurrent use. Create it with [Open] or [New]; the zero value is not
// usable.
type Store struct {
	w, r   *sql.DB // the writer (one connection with Open) and the readers
	own    bool    // Close closes w and r
	batch  int
	wc, rc *stmtCache
	// checkpointDue is set when the checkpoint after an erasure could not
	// complete (a reader held an old snapshot); the next write tries again.
	checkpointDue atomic.Bool
}

var (
	_ coaching.Store        = (*Store)(nil)
	_ coaching.CaseStreamer = (*Store)(nil)
)

// Open opens (creating if needed) the SQLite database file at path with the
// settings this store needs, and returns a store on it:
//
//   - WAL journal mode, so readers never block the writer nor the writer
//     the readers;
//   - one writer connection: write transactions queue in the process and
//     begin with BEGIN IMMEDIATE, so a writer in another process makes
//     them wait (up to BusyTimeout) instead of failing half-way;
//   - a pool of read-only connections (query_only) for View and the reads;
//   - foreign keys on, a busy timeout, synchronous=NORMAL (see
//     [Options.FullSync]);
//   - secure_delete on every connection: deleted and overwritten content
//     is overwritten with zeros, so erased personal data does not stay in
//     the free space of the file's pages (see "Erasure" in the package
//     documentation).
//
// Open does not change the schema unless opts.Migrate is set; call
// [Store.Migrate] otherwise. path must be a file: an in-memory database
// cannot be shared by the writer and the readers (use adapters/memory).
func Open(ctx context.Context, path string, opts *Options) (*Store, error) {
	o := opts.withDefaults()
	if path == "" || path == ":memory:" || strings.Contains(path, "mode=memory") {
		return nil, errors.New("sqlite: Open needs a database file path; for an in-memory store use adapters/memory")
	}
	w, err := sql.Open(DriverName, dsn(path, o, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: open %s: the database is in journal mode %q, not WAL", path, mode)
	}
	r, err := sql.Open(DriverName, dsn(path, o, true))
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(o.ReadConns)
	r.SetMaxIdleConns(o.ReadConns)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	if err := r.PingContext(ctx); err != nil {
		_ = w.Close()
		_ = r.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := newStore(w, r, o)
	s.own = true
	if o.Migrate {
		if err := s.Migrate(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return s, nil
}

// DSN returns the modernc.org/sqlite data source name Open uses for its
// writer connection on the file at path: WAL, a busy timeout, foreign keys,
// secure_delete, synchronous=NORMAL (FULL with opts.FullSync), the memory
// map of opts.MmapSize and BEGIN IMMEDIATE for read-write transactions. Hosts that open the database
// themselves for [New] can use it with sql.Open([DriverName], DSN(path,
// nil)).
func DSN(path string, opts *Options) string {
	return dsn(path, opts.withDefaults(), false)
}

func dsn(path string, o Options, readOnly bool) string {
	// A "file:" URI, so that SQLite decodes %-escapes; escape what would
	// otherwise end the path.
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	sync := "NORMAL"
	if o.FullSync {
		sync = "FULL"
	}
	var b strings.Builder
	b.WriteString("file:")
	b.WriteString(p)
	b.WriteString("?_pragma=busy_timeout(")
	b.WriteString(strconv.FormatInt(o.BusyTimeout.Milliseconds(), 10))
	b.WriteString(")&_pragma=foreign_keys(1)&_pragma=secure_delete(1)&_pragma=synchronous(")
	b.WriteString(sync)
	b.WriteString(")&_pragma=mmap_size(")
	b.WriteString(strconv.FormatInt(max(o.MmapSize, 0), 10))
	b.WriteString(")")
	if readOnly {
		b.WriteString("&_pragma=query_only(1)")
	} else {
		b.WriteString("&_pragma=journal_mode(WAL)&_txlock=immediate")
	}
	return b.String()
}

// New returns a store on a database the host opened itself, for hosts that
// manage their own *sql.DB (for example to write their own tables in the
// same transactions, see [Store.Tx]). The host owns the pool's settings;
// the store needs:
//
//   - foreign keys on in every connection (New checks one and fails
//     otherwise);
//   - secure_delete on in every connection (New checks one and fails
//     otherwise): an erasure overwrites what it deletes, but only a
//     connection with secure_delete on overwrites what every earlier
//     delete, update and page split freed. With it off from the start,
//     copies of a row moved or rewritten before the erasure stay in the
//     file's free space (TestErasureOverwrites finds them);
//   - a busy timeout, and WAL journal mode for readers and a writer to run
//     at the same time (rollback-journal mode works, with less
//     concurrency);
//   - read-write transactions that begin with BEGIN IMMEDIATE (modernc
//     and mattn: _txlock=immediate in the DSN). Otherwise two connections
//     that read and then write can fail with SQLITE_BUSY;
//   - preferably one connection (SetMaxOpenConns(1)) for writing, with
//     reads on a second pool given as [Options.ReadDB].
//
// [DSN] returns a data source name with all of these. Close does not
// close the host's pools. The driver may be modernc.org/sqlite or another
// SQLite driver; constraint errors are recognised by the SQLite extended
// result code of errors with a Code() int method (modernc's *sqlite.Error).
func New(ctx context.Context, db *sql.DB, opts *Options) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlite: New: db is nil")
	}
	o := opts.withDefaults()
	r := o.ReadDB
	if r == nil {
		r = db
	}
	var fk, secure int
	err := func() error {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			return err
		}
		return conn.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&secure)
	}()
	if err != nil {
		return nil, fmt.Errorf("sqlite: New: %w", err)
	}
	if fk != 1 {
		return nil, errors.New("sqlite: New: foreign keys are off; open the database with PRAGMA foreign_keys=ON (modernc: _pragma=foreign_keys(1)), see sqlite.DSN")
	}
	if secure != 1 {
		return nil, errors.New("sqlite: New: secure_delete is off, so erased data would stay in the file's free space; open the database with PRAGMA secure_delete=ON (modernc: _pragma=secure_delete(1)), see sqlite.DSN")
	}
	s := newStore(db, r, o)
	if o.Migrate {
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func newStore(w, r *sql.DB, o Options) *Store {
	return &Store{w: w, r: r, batch: o.CaseBatch, wc: &stmtCache{db: w}, rc: &stmtCache{db: r}}
}

// DB returns the pool the store writes through. A host that wants its own
// writes and the engine's in one transaction begins it here and wraps it
// with [Store.Tx]. With [Open] this pool has one connection: while the host
// holds a transaction on it, every other write of the store waits.
func (s *Store) DB() *sql.DB { return s.w }

// Close releases the store's prepared statements and, if the store was
// made by Open, closes the database. It does not close pools given to New.
func (s *Store) Close() error {
	err := errors.Join(s.wc.close(), s.rc.close())
	if s.own {
		err = errors.Join(err, s.r.Close(), s.w.Close())
	}
	return err
}

// View implements coaching.Store: fn reads one consistent snapshot (a
// read transaction on a read connection). View returns fn's error.
func (s *Store) View(ctx context.Context, fn func(tx coaching.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := s.rc.get(ctx)
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return interpretError(err, ref{kind: "read transaction"})
	}
	// A read transaction has nothing to commit; rolling back ends it.
	defer func() { _ = tx.Rollback() }()
	return fn(&reader{tx: tx, c: c})
}

// Update implements coaching.Store: fn runs in one write transaction
// (BEGIN IMMEDIATE on the writer connection). It is rolled back if fn
// returns an error, if fn panics (the panic continues), or if ctx is done
// before the commit; Update then returns fn's error unchanged, or the
// context's error.
func (s *Store) Update(ctx context.Context, fn func(tx coaching.Tx) error) error {
	return s.write(ctx, func(w *writer) error { return fn(w) })
}

// keep writes, after a transaction failed with err, the access-log entries
// the engine asked it to keep (coaching.DenialKeeper) in a transaction of
// their own, and returns err (joined with a failure to keep them).
func (s *Store) keep(ctx context.Context, kept []coaching.AccessEntry, err error) error {
	if len(kept) == 0 {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	kerr := s.write(ctx, func(w *writer) error {
		for _, e := range kept {
			if err := w.AppendAccess(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if kerr != nil {
		return errors.Join(err, fmt.Errorf("sqlite: the access log could not keep a denial: %w", kerr))
	}
	return err
}

func (s *Store) write(ctx context.Context, fn func(w *writer) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := s.wc.get(ctx)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return interpretError(err, ref{kind: "write transaction"})
	}
	finished := false
	var kept []coaching.AccessEntry
	defer func() {
		if !finished { // fn panicked
			_ = tx.Rollback()
		}
	}()
	w := &writer{reader: reader{tx: tx, c: c}, kept: &kept}
	err = fn(w)
	finished = true
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		_ = tx.Rollback()
		return s.keep(ctx, kept, err)
	}
	if err := tx.Commit(); err != nil {
		if ctx.Err() != nil {
			return s.keep(ctx, kept, ctx.Err())
		}
		return s.keep(ctx, kept, interpretError(err, ref{kind: "commit"}))
	}
	if w.erased || s.checkpointDue.Load() {
		// The erasure is committed whatever happens here. Right after it
		// the checkpoint waits for readers (up to the busy timeout); one
		// that still cannot complete is tried again after each later write
		// without waiting, until one completes. A host that must know
		// calls Checkpoint.
		if s.checkpoint(context.WithoutCancel(ctx), w.erased) != nil {
			s.checkpointDue.Store(true)
		}
	}
	// The writer connection is the store's one serial resource, and the
	// writer waiting for it was readied onto this goroutine's processor,
	// where it would wait until this goroutine blocks: yield, so that it
	// writes while this one goes on with its answer.
	runtime.Gosched()
	return nil
}

// Checkpoint copies every page the WAL holds into the database file and
// truncates the WAL to zero bytes (PRAGMA wal_checkpoint(TRUNCATE)), so
// that the WAL keeps no image of a page from before the last write. The
// store does this itself after every transaction that erased (PurgeCase,
// or UpdateParticipant of an erased participant): together with
// secure_delete, the erased bytes are then in neither the database file
// nor the WAL.
//
// Call it after committing an erasure in a host transaction ([Store.Tx]),
// or to make sure: the automatic checkpoint does not report its failure
// (the erasure has committed) but is tried again after later writes.
// Checkpoint waits up to the busy timeout for readers on older snapshots
// and for another process's writer; if they keep it from finishing it
// returns an error and the old pages may still be in the WAL. In
// rollback-journal mode there is no WAL and it does nothing. It needs a
// connection of the writer pool: do not call it while holding a
// transaction on [Store.DB] (with Open's single writer connection it would
// wait for ever).
func (s *Store) Checkpoint(ctx context.Context) error {
	return s.checkpoint(ctx, true)
}

// checkpoint runs the TRUNCATE checkpoint on a writer connection; without
// wait it sets the connection's busy timeout to zero meanwhile, so that a
// reader makes it fail at once instead of holding up the writer.
func (s *Store) checkpoint(ctx context.Context, wait bool) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return interpretError(err, ref{kind: "checkpoint"})
	}
	defer conn.Close()
	if !wait {
		var prev int64
		if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&prev); err != nil {
			return interpretError(err, ref{kind: "checkpoint"})
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
			return interpretError(err, ref{kind: "checkpoint"})
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA busy_timeout = "+strconv.FormatInt(prev, 10))
		}()
	}
	var busy, logFrames, done int64
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil {
		return interpretError(err, ref{kind: "checkpoint"})
	}
	if busy != 0 || logFrames != done {
		return fmt.Errorf("sqlite: checkpoint: %d of %d WAL frames copied; a reader or another writer kept it from completing (try again)", done, logFrames)
	}
	s.checkpointDue.Store(false)
	return nil
}

// Tx wraps a transaction the host began on this store's database (see
// [Store.DB]) as a [coaching.Tx], so that engine calls with a Tx variant
// (on coaching.Engine.In) write in it: the case change, its audit entry,
// its notices and timers commit or roll back with the host's own writes.
// The host commits or rolls back; the returned value must not be used
// afterwards. The transaction should have been begun with BEGIN IMMEDIATE
// (Open's pool and [DSN] do that).
func (s *Store) Tx(tx *sql.Tx) coaching.Tx {
	return &writer{reader: reader{tx: tx}}
}

// stmtCache holds the store's fixed statements prepared once per pool.
// database/sql prepares a cached statement again on each connection it
// meets (inside a transaction, on the transaction's own connection) and
// keeps it there, so a statement is parsed once per connection instead of
// once per call.
//
// The statements are prepared outside any transaction, before one begins,
// never while the caller holds a connection of the pool: with Open's single
// writer connection a prepare inside a write transaction would wait for
// that very connection. Preparing fails while the schema is missing (before
// Migrate); the store then runs its statements unprepared and tries again
// on the next call.
type stmtCache struct {
	db    *sql.DB
	ready atomic.Bool
	mu    sync.Mutex
	m     map[string]*sql.Stmt
}

// get returns the cache once its statements are prepared, else nil.
func (c *stmtCache) get(ctx context.Context) *stmtCache {
	if c.ready.Load() {
		return c
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready.Load() {
		return c
	}
	m := make(map[string]*sql.Stmt, len(statements))
	for _, q := range statements {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			for _, st := range m {
				_ = st.Close()
			}
			return nil
		}
		m[q] = st
	}
	c.m = m
	c.ready.Store(true)
	return c
}

// stmt returns the prepared statement for q, nil for a query not in
// statements.
func (c *stmtCache) stmt(q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	return c.m[q]
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for _, st := range c.m {
		err = errors.Join(err, st.Close())
	}
	c.m = nil
	c.ready.Store(false)
	return err
}
