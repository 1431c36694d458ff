package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/valmennus/valmennus/coaching"
)

// DefaultSchema is the schema a [Store] uses when [Options.Schema] is empty.
const DefaultSchema = "valmennus"

// Options configure a [Store]. A nil *Options means every default.
type Options struct {
	// Schema is the PostgreSQL schema that holds the store's tables.
	// Every statement names its tables with the schema, so the store needs
	// no search_path and works inside a host's transaction whatever that
	// connection's search_path is. Several stores (tenants, tests) can
	// share one database and one pool with a schema each. It must be a
	// plain identifier: a letter or an underscore, then letters, digits or
	// underscores, at most 63 bytes. Defaults to [DefaultSchema]
	// ("valmennus").
	Schema string
	// CaseBatch is how many cases [Store.Cases] and
	// [Store.CasesWithParticipants] fetch per query. Defaults to 500.
	CaseBatch int
}

var schemaName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.Schema == "" {
		out.Schema = DefaultSchema
	}
	if out.CaseBatch <= 0 {
		out.CaseBatch = 500
	}
	return out
}

func (o Options) validate() error {
	if !schemaName.MatchString(o.Schema) {
		return fmt.Errorf("postgres: Options.Schema %q is not a plain identifier (a letter or _, then letters, digits or _, at most 63 bytes)", o.Schema)
	}
	return nil
}

// Store is a [coaching.Store] on PostgreSQL. It is safe for concurrent use
// by many goroutines and by many processes sharing one database: the
// version checks, the audit sequence and the outbox claims are decided by
// the database, not by the process.
type Store struct {
	pool  *pgxpool.Pool
	opts  Options
	ident string // the schema as a quoted identifier
	q     *queries
}

var (
	_ coaching.Store        = (*Store)(nil)
	_ coaching.CaseStreamer = (*Store)(nil)
)

// New returns a store over pool. It does not touch the database: call
// [Store.Migrate] once (at deployment or start-up) to create or upgrade the
// tables. pool is required.
func New(pool *pgxpool.Pool, opts *Options) (*Store, error) {
	if pool == nil {
		return nil, errors.New("postgres: New: pool is nil")
	}
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	ident := pgx.Identifier{o.Schema}.Sanitize()
	return &Store{pool: pool, opts: o, ident: ident, q: buildQueries(ident)}, nil
}

// Schema returns the schema the store's tables live in.
func (s *Store) Schema() string { return s.opts.Schema }

// dbtx is what statements run on: the pool (one statement, its own
// transaction), a host's pgx.Tx, or a transaction the store began.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// View implements coaching.Store. fn runs in a read-only REPEATABLE READ
// transaction, so every read in it sees one snapshot of committed data.
// The transaction begins with fn's first statement (in the same round
// trip), and a View whose fn reads nothing costs nothing. fn's error is
// returned unchanged, except that a failure of the store's own connection
// (see [Store.Update]) also matches coaching.ErrUnavailable.
func (s *Store) View(ctx context.Context, fn func(tx coaching.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	own := &ownTx{pool: s.pool, begin: beginView}
	return callersDeadline(ctx, own.run(ctx, func() error { return fn(&txn{s: s, db: own}) }))
}

// Update implements coaching.Store. fn runs in one READ COMMITTED
// transaction; the port's checks (versions, audit sequence, duplicates)
// are made by the statements themselves, so concurrent writers from any
// number of processes cannot both win. If fn returns an error, panics, or
// ctx is done before the commit, the transaction is rolled back (with a
// context that cannot be cancelled) and nothing is written; fn's error is
// returned unchanged, except that an error saying the database could not
// be reached also matches coaching.ErrUnavailable (the commit's answer may
// have been lost: the transaction may have committed).
//
// Only the store's own failures are classified so: taking a connection,
// BEGIN, COMMIT and the store's statements, and an error fn returns after
// the store's connection broke under it. An error of fn's own making (a
// request body cut short, a host's HTTP call: io.EOF, a net.Error) is
// returned as it is, whatever it wraps. Nor is ctx's own end: once ctx is
// done (a host's request deadline), the error matches ctx.Err() and never
// coaching.ErrUnavailable — the caller gave up, the database did not fail.
func (s *Store) Update(ctx context.Context, fn func(tx coaching.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	own := &ownTx{pool: s.pool, begin: beginUpdate, deferrable: true}
	var kept []coaching.AccessEntry
	err := own.run(ctx, func() error { return fn(&txn{s: s, db: own, kept: &kept}) })
	if err != nil && len(kept) > 0 {
		// The transaction rolled back (run commits only on success): the
		// denials the engine asked to keep are written in one of their own.
		ctx := context.WithoutCancel(ctx)
		kerr := s.Update(ctx, func(tx coaching.Tx) error {
			for _, e := range kept {
				if err := tx.AppendAccess(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if kerr != nil {
			return callersDeadline(ctx, errors.Join(err, fmt.Errorf("postgres: the access log could not keep a denial: %w", kerr)))
		}
	}
	return callersDeadline(ctx, err)
}

// Tx returns the store's view of a transaction the host owns, for the
// engine bound to it (coaching.Engine.In): the case change
// then commits or rolls back with the host's own writes, and the host
// commits. The store never commits or rolls back tx, and its checks never
// put tx into the failed state: a version conflict or a duplicate is
// returned as an error and tx stays usable. A returned error the host
// cannot handle is a reason to roll tx back.
//
// The transaction should be READ COMMITTED (PostgreSQL's default); under
// REPEATABLE READ or SERIALIZABLE a concurrent change surfaces as a
// serialization failure, which the store reports as a
// *coaching.ConflictError.
func (s *Store) Tx(tx pgx.Tx) coaching.Tx {
	return &txn{s: s, db: tx}
}

// ownTx is a transaction the store begins itself (View, Update). It saves
// round trips by pipelining, which pgx's batches allow:
//
//   - it begins lazily: BEGIN travels with the first statement, and a
//     transaction that runs no statement takes no connection at all;
//   - some writes are deferred: they travel with the next statement or
//     with COMMIT, in the same round trip. Reads see them, since they are
//     sent before anything that follows them. A deferred write that fails
//     fails the transaction: its error (interpreted as its own) surfaces
//     from the next statement or the commit, and nothing is written.
//
// Which writes are deferred, and why that cannot hide an outcome, is
// explained at their call sites (txn.PutTimer, txn.AppendAudit).
type ownTx struct {
	pool     *pgxpool.Pool
	begin    string // BEGIN with the isolation level and access mode
	conn     *pgxpool.Conn
	begun    bool
	deferred []deferredWrite
	// deferrable is false for read-only transactions.
	deferrable bool
	// statements counts the statements sent, so a write can tell whether
	// anything ran since an earlier one (see txn.AppendAudit).
	statements int
	// updated is the case the last successful UpdateCase wrote, or the
	// last UpdateCaseLater queued (whose failure fails the transaction),
	// with the version it set and the statement count right after it.
	updated struct {
		id         coaching.CaseID
		version    int64
		statements int
	}
}

type deferredWrite struct {
	q *pgx.QueuedQuery
	t target
}

const (
	beginView   = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	beginUpdate = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
)

// send sends b's queries, preceded by BEGIN (the first time) and the
// deferred writes, in one round trip, and returns the results of b's own
// queries.
func (o *ownTx) send(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	o.statements++
	if o.conn == nil {
		conn, err := o.pool.Acquire(ctx)
		if err != nil {
			return errBatch{acquireError(ctx, err)}
		}
		o.conn = conn
	}
	if o.begun && len(o.deferred) == 0 {
		return o.conn.SendBatch(ctx, b)
	}
	nb := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 1+len(o.deferred)+len(b.QueuedQueries))}
	begin := !o.begun
	if begin {
		nb.Queue(o.begin)
	}
	deferred := o.deferred
	o.deferred = nil
	for _, d := range deferred {
		nb.QueuedQueries = append(nb.QueuedQueries, d.q)
	}
	nb.QueuedQueries = append(nb.QueuedQueries, b.QueuedQueries...)
	o.begun = true
	br := o.conn.SendBatch(ctx, nb)
	if begin {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return errBatch{err}
		}
	}
	for _, d := range deferred {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return errBatch{interpretError(err, d.t)}
		}
	}
	return br
}

// deferExec queues a write to be sent with the next statement or the
// commit. Outside a read-write transaction it runs at once.
func (o *ownTx) deferExec(ctx context.Context, t target, sql string, args ...any) error {
	if !o.deferrable {
		_, err := o.Exec(ctx, sql, args...)
		return interpretError(err, t)
	}
	o.deferred = append(o.deferred, deferredWrite{q: &pgx.QueuedQuery{SQL: sql, Arguments: args}, t: t})
	return nil
}

// Exec runs one statement in the transaction.
func (o *ownTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if o.begun && len(o.deferred) == 0 {
		o.statements++
		return o.conn.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br := o.send(ctx, b)
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query runs one query in the transaction.
func (o *ownTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if o.begun && len(o.deferred) == 0 {
		o.statements++
		return o.conn.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br := o.send(ctx, b)
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// SendBatch sends a batch in the transaction.
func (o *ownTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return o.send(ctx, b)
}

// run runs fn in the transaction and commits, or rolls back if fn fails,
// panics or exits its goroutine (runtime.Goexit, as t.FailNow does): the
// connection always goes back to the pool.
func (o *ownTx) run(ctx context.Context, fn func() error) error {
	done := false
	defer func() {
		if !done {
			o.rollback(ctx)
		}
	}()
	err := fn()
	done = true
	if err != nil {
		if o.conn != nil && o.conn.Conn().IsClosed() {
			// The store's connection broke under fn (pgconn closes it on
			// a network failure, a timeout, a FATAL from the server): the
			// driver's error fn returned is the database's unavailability.
			// With the connection sound, fn's error is fn's own.
			err = unavailable(err)
		}
		o.rollback(ctx)
		return err
	}
	return o.commit(ctx)
}

// rollback ends the transaction with a context that cannot be cancelled,
// so a cancelled caller still leaves a clean connection; a connection that
// is not cleanly outside a transaction afterwards is closed by the pool
// when it is released. Deferred writes are dropped unsent.
func (o *ownTx) rollback(ctx context.Context) {
	o.deferred = nil
	if o.conn == nil {
		return
	}
	if o.begun && o.conn.Conn().PgConn().TxStatus() != 'I' {
		if _, err := o.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
			_ = o.conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}
	o.release()
}

func (o *ownTx) release() {
	o.conn.Release()
	o.conn = nil
}

// commit sends the deferred writes and COMMIT in one round trip. A
// transaction a failed statement left aborted answers COMMIT with
// ROLLBACK: that is an error, never a silent success.
func (o *ownTx) commit(ctx context.Context) error {
	if o.conn == nil && len(o.deferred) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		o.rollback(ctx)
		return err
	}
	var (
		tag pgconn.CommandTag
		err error
	)
	if o.begun && len(o.deferred) == 0 {
		// Nothing to pipeline: a plain COMMIT (simple protocol) is cheaper
		// than a batch.
		tag, err = o.conn.Exec(ctx, "COMMIT")
	} else {
		b := &pgx.Batch{}
		b.Queue("COMMIT")
		br := o.send(ctx, b) // BEGIN if need be, the deferred writes, COMMIT
		tag, err = br.Exec()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil && tag.String() == "ROLLBACK" {
		err = pgx.ErrTxCommitRollback
	}
	if err != nil {
		o.rollback(ctx)
		return interpretError(err, target{})
	}
	o.release()
	return nil
}

// batchRows closes its batch when the rows are closed.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.Rows.Close()
	_ = r.br.Close()
}

// errBatch is the results of a batch that failed before its queries ran.
type errBatch struct{ err error }

func (e errBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, e.err }
func (e errBatch) Query() (pgx.Rows, error)         { return nil, e.err }
func (e errBatch) QueryRow() pgx.Row                { return errRow{e.err} }
func (e errBatch) Close() error                     { return e.err }
func (e errBatch) Tx() pgx.Tx                       { return nil }

type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }
