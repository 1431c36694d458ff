// Package storetest is the conformance suite every [coaching.Store] adapter
// passes. An adapter proves itself with one test file:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) coaching.Store { return memory.New() })
//	}
//
// The suite is modelled on river's riverdrivertest, go-cloud's drivertest and
// the standard library's testing/slogtest: every case is a named subtest that
// gets a fresh, empty store from the [Harness], runs in parallel with the
// others, and names the documented rule of the port it checks in every
// failure message ("Rule: ...").
//
// The suite is strict, but only about what the port documents in
// coaching/store.go, coaching/notice.go, coaching/case.go and
// coaching/errors.go. Where the documentation leaves room, it takes the
// reading a SQL store can also satisfy; each such choice is explained in a
// comment next to the case that makes it. In particular:
//
//   - Times are compared as instants with at least microsecond precision:
//     a store may drop the monotonic clock reading, the location and
//     anything below a microsecond (see [NormalizeTime]).
//   - Nil and empty slices and maps are the same value, and JSON payloads
//     (Record.Data, AuditEntry.Payload) are compared as JSON values, so a
//     store may keep them as jsonb (see the Normalize functions).
//   - "Ascending id order" is Go's string (byte) order, the order
//     [coaching.CaseQuery.Match] uses for AfterID; a SQL store needs a binary
//     collation (COLLATE "C") for its id columns.
//   - The access log keeps every entry it is given, with its text as
//     [coaching.AccessEntry.Sanitized] returns it (case Access/UntrustedText):
//     a store whose columns cannot hold invalid UTF-8 or NUL must not lose
//     the entry.
//
// Run is the kernel's suite (the coaching.Store port). Each feature's port
// has a suite of its own, run beside it by a store that keeps the
// feature's data: [RunSessions] (coaching/session) and [RunAttendance]
// (coaching/attendance). [RunErasure] and [RunDenials] drive the engine
// end to end over a store, and [EraseParticipant] leaves one erased
// participant behind for a store's own test to scan its files for the
// erased bytes. [BenchDispatch] and [BenchAttendance] are benchmarks a
// store runs on itself.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// Harness makes a fresh, empty store for each subtest. The suite calls it
// from parallel subtests, so it must be safe to call concurrently. It may
// register clean-up with t.Cleanup.
type Harness func(t *testing.T) coaching.Store

// Run runs every conformance case as a subtest of t. The subtests are
// grouped by area (t.Run("Outbox/ClaimLeasesDueNotices") and so on), so a
// single case can be run with go test -run.
func Run(t *testing.T, newStore Harness) {
	t.Helper()
	runGroups(t, newStore, groups())
}

// runGroups runs groups of cases, each case in parallel on a store of its
// own.
func runGroups(t *testing.T, newStore Harness, groups []group) {
	t.Helper()
	if newStore == nil {
		t.Fatal("storetest: the harness is nil")
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					// Every case has a store of its own and uses only
					// explicit times (never the wall clock for store
					// logic), so all of them can run in parallel.
					t.Parallel()
					s := newStore(t)
					require.NotNil(t, s, "the harness returned a nil store")
					tc.run(&env{T: t, rule: tc.rule, store: s, ctx: t.Context()})
				})
			}
		})
	}
}

// Cases returns the names of the conformance cases Run runs, as
// "Group/Case", in order. Adapters can use it to document or skip
// selectively; Run itself is what matters.
func Cases() []string {
	var out []string
	for _, g := range groups() {
		for _, tc := range g.cases {
			out = append(out, g.name+"/"+tc.name)
		}
	}
	return out
}

type group struct {
	name  string
	cases []testCase
}

// testCase is one conformance case: its subtest name, a one-line statement
// of the documented rule it checks, and the check.
type testCase struct {
	name string
	rule string
	run  func(e *env)
}

func groups() []group {
	return []group{
		{"Participants", participantCases()},
		{"Cases", caseCases()},
		{"Versions", versionCases()},
		{"Records", recordCases()},
		{"Transactions", transactionCases()},
		{"Context", contextCases()},
		{"Commands", commandCases()},
		{"Audit", auditCases()},
		{"Outbox", outboxCases()},
		{"Timers", timerCases()},
		{"Pipelined", pipelinedCases()},
		{"Iteration", iterationCases()},
		{"Documents", documentCases()},
		{"Access", accessCases()},
		{"Purge", purgeCases()},
		{"Concurrency", concurrencyCases()},
	}
}

// env is what a case runs with. It is a require.TestingT whose failure
// messages end with the case's rule.
type env struct {
	*testing.T
	rule  string
	store coaching.Store
	ctx   context.Context
}

// Errorf reports a failure with the rule the case checks appended.
func (e *env) Errorf(format string, args ...any) {
	e.T.Helper()
	e.T.Errorf(format+"\n\tRule:       \t%s", append(args, e.rule)...)
}

// Fatalf reports a failure with the rule appended and stops the case.
func (e *env) Fatalf(format string, args ...any) {
	e.T.Helper()
	e.T.Fatalf(format+"\n\tRule:       \t%s", append(args, e.rule)...)
}

// ---- transactions -------------------------------------------------------

func (e *env) update(fn func(tx coaching.Tx) error) {
	e.Helper()
	require.NoError(e, e.store.Update(e.ctx, fn), "Update failed")
}

func (e *env) view(fn func(tx coaching.ReadTx) error) {
	e.Helper()
	require.NoError(e, e.store.View(e.ctx, fn), "View failed")
}

// viewed returns what read returns from a read transaction of its own
// (e.view: an error fails the case).
func viewed[T any](e *env, read func(tx coaching.ReadTx) (T, error)) T {
	e.Helper()
	var out T
	e.view(func(tx coaching.ReadTx) error {
		var err error
		out, err = read(tx)
		return err
	})
	return out
}

// ---- writes -------------------------------------------------------------

func (e *env) insertParticipant(ps ...coaching.Participant) {
	e.Helper()
	e.update(func(tx coaching.Tx) error {
		for _, p := range ps {
			if err := tx.InsertParticipant(e.ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertCase inserts cases together with a participant of their own
// ("p-"+case id), so that a store with foreign keys accepts them.
func (e *env) insertCase(cs ...coaching.Case) {
	e.Helper()
	e.update(func(tx coaching.Tx) error {
		for _, c := range cs {
			// The case's participant, in the case's organisation
			// (participant ids are scoped per organisation).
			p := minimalParticipant(c.ParticipantID)
			p.Organisation = c.Organisation
			if err := tx.InsertParticipant(e.ctx, p); err != nil {
				return err
			}
			if err := tx.InsertCase(e.ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// seed inserts a basic open case (with its participant) for each id.
func (e *env) seed(ids ...coaching.CaseID) []coaching.Case {
	e.Helper()
	out := make([]coaching.Case, len(ids))
	for i, id := range ids {
		out[i] = basicCase(id, "valo", "intake", "org-a", false)
	}
	e.insertCase(out...)
	return out
}

func (e *env) appendRecords(id coaching.CaseID, rs ...coaching.Record) {
	e.Helper()
	e.update(func(tx coaching.Tx) error { return tx.AppendRecords(e.ctx, id, rs) })
}

func (e *env) records(id coaching.CaseID, q coaching.RecordQuery) []coaching.Record {
	e.Helper()
	return viewed(e, func(tx coaching.ReadTx) ([]coaching.Record, error) { return tx.Records(e.ctx, id, q) })
}

func (e *env) appendAudit(es ...coaching.AuditEntry) {
	e.Helper()
	e.update(func(tx coaching.Tx) error {
		for _, a := range es {
			if err := tx.AppendAudit(e.ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *env) enqueue(ns ...coaching.Notice) {
	e.Helper()
	e.update(func(tx coaching.Tx) error {
		for _, n := range ns {
			inserted, err := tx.Enqueue(e.ctx, n)
			if err != nil {
				return err
			}
			if !inserted {
				return errors.New("storetest: Enqueue of a new notice " + n.ID + " returned inserted=false")
			}
		}
		return nil
	})
}

func (e *env) putTimer(ts ...coaching.Timer) {
	e.Helper()
	e.update(func(tx coaching.Tx) error {
		for _, t := range ts {
			if err := tx.PutTimer(e.ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// ---- reads --------------------------------------------------------------

func (e *env) getParticipant(org coaching.OrganisationID, id coaching.ParticipantID) (coaching.Participant, error) {
	var p coaching.Participant
	err := e.store.View(e.ctx, func(tx coaching.ReadTx) error {
		var err error
		p, err = tx.Participant(e.ctx, org, id)
		return err
	})
	return p, err
}

func (e *env) mustParticipant(org coaching.OrganisationID, id coaching.ParticipantID) coaching.Participant {
	e.Helper()
	p, err := e.getParticipant(org, id)
	require.NoError(e, err, "reading participant %q", id)
	return p
}

func (e *env) getCase(id coaching.CaseID) (coaching.Case, error) {
	var c coaching.Case
	err := e.store.View(e.ctx, func(tx coaching.ReadTx) error {
		var err error
		c, err = tx.Case(e.ctx, id)
		return err
	})
	return c, err
}

func (e *env) mustCase(id coaching.CaseID) coaching.Case {
	e.Helper()
	c, err := e.getCase(id)
	require.NoError(e, err, "reading case %q", id)
	return c
}

func (e *env) trail(id coaching.CaseID, afterSeq int64) []coaching.AuditEntry {
	e.Helper()
	return viewed(e, func(tx coaching.ReadTx) ([]coaching.AuditEntry, error) { return tx.AuditTrail(e.ctx, id, afterSeq) })
}

func (e *env) getCommand(id coaching.CaseID, key string) (coaching.CommandRecord, error) {
	var r coaching.CommandRecord
	err := e.store.View(e.ctx, func(tx coaching.ReadTx) error {
		var err error
		r, err = tx.Command(e.ctx, id, key)
		return err
	})
	return r, err
}

func (e *env) mustNotice(id string) coaching.Notice {
	e.Helper()
	n, err := e.store.Notice(e.ctx, id)
	require.NoError(e, err, "reading notice %q", id)
	return n
}

func (e *env) notices(q coaching.NoticeQuery) []coaching.Notice {
	e.Helper()
	out, err := e.store.Notices(e.ctx, q)
	require.NoError(e, err, "Notices(%+v)", q)
	return out
}

func (e *env) claim(now time.Time, limit int, lease time.Duration) []coaching.Notice {
	e.Helper()
	out, err := e.store.ClaimNotices(e.ctx, coaching.ClaimParams{Now: now, Limit: limit, Lease: lease})
	require.NoError(e, err, "ClaimNotices(now=%s, limit=%d)", now, limit)
	return out
}

func (e *env) complete(id string, attempt int, r coaching.NoticeResult) {
	e.Helper()
	require.NoError(e, e.store.CompleteNotice(e.ctx, id, attempt, r), "CompleteNotice(%q, %d, %s)", id, attempt, r.Status)
}

func (e *env) dueTimers(now time.Time, limit int) []coaching.Timer {
	e.Helper()
	out, err := e.store.DueTimers(e.ctx, now, limit)
	require.NoError(e, err, "DueTimers(%s, %d)", now, limit)
	return out
}

// cases collects Store.Cases, failing on any yielded error.
func (e *env) cases(q coaching.CaseQuery) []coaching.Case {
	e.Helper()
	var out []coaching.Case
	for c, err := range e.store.Cases(e.ctx, q) {
		require.NoError(e, err, "Cases(%+v) yielded an error", q)
		out = append(out, c)
	}
	return out
}

// ---- error checks -------------------------------------------------------

// requireNotFound checks err is a *coaching.NotFoundError matching
// ErrNotFound. kind and id are checked when not empty: the Kind values
// ("participant", "case", "notice", "command", "timer") are listed on
// NotFoundError itself.
func requireNotFound(e *env, err error, kind, id string, what string) {
	e.Helper()
	require.Error(e, err, "%s: want a *coaching.NotFoundError, got nil", what)
	require.ErrorIs(e, err, coaching.ErrNotFound, "%s: want an error matching coaching.ErrNotFound", what)
	var nf *coaching.NotFoundError
	require.ErrorAs(e, err, &nf, "%s: want a *coaching.NotFoundError in the chain", what)
	if kind != "" {
		require.Equal(e, kind, nf.Kind, "%s: NotFoundError.Kind", what)
	}
	if id != "" {
		require.Equal(e, id, nf.ID, "%s: NotFoundError.ID", what)
	}
}

func requireDuplicate(e *env, err error, what string) *coaching.DuplicateError {
	e.Helper()
	require.Error(e, err, "%s: want a *coaching.DuplicateError, got nil", what)
	require.ErrorIs(e, err, coaching.ErrDuplicate, "%s: want an error matching coaching.ErrDuplicate", what)
	var de *coaching.DuplicateError
	require.ErrorAs(e, err, &de, "%s: want a *coaching.DuplicateError in the chain", what)
	return de
}

func requireConflict(e *env, err error, what string) *coaching.ConflictError {
	e.Helper()
	require.Error(e, err, "%s: want a *coaching.ConflictError, got nil", what)
	require.ErrorIs(e, err, coaching.ErrConflict, "%s: want an error matching coaching.ErrConflict", what)
	var ce *coaching.ConflictError
	require.ErrorAs(e, err, &ce, "%s: want a *coaching.ConflictError in the chain", what)
	return ce
}

// within runs fn and returns its error, failing the case if fn has not
// returned after d: a store that leaks a lock (for example when a range loop
// over Cases is left early) would otherwise hang the whole test binary. fn
// runs on another goroutine, so it must not call require.
func within(e *env, d time.Duration, what string, fn func() error) error {
	e.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		e.Fatalf("%s did not return within %s (deadlock? a lock or connection left held?)", what, d)
		return nil
	}
}

// cancelled returns a context that is already cancelled.
func cancelled(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	cancel()
	return ctx
}
