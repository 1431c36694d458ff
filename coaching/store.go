package coaching

import (
	"context"
	"errors"
	"iter"
	"math"
	"slices"
	"time"
)

// Store is the persistence port the engine needs. Adapters implement it
// (adapters/memory, adapters/sqlite, adapters/postgres) and prove it by
// passing the conformance suite in adapters/storetest; hosts normally only
// construct one and hand it to [New].
//
// Every method takes a context first. A cancelled context aborts the call
// and rolls back any open transaction; nothing is half-written. Methods may
// be called concurrently from many goroutines.
type Store interface {
	// View runs fn with a read-only view of committed data.
	View(ctx context.Context, fn func(tx ReadTx) error) error
	// Update runs fn inside one read-write transaction: either every write
	// fn made is committed, or (if fn or the commit returns an error) none
	// is. Update returns fn's error unchanged.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Cases streams cases matching q in ascending id order without loading
	// them all into memory. Iteration stops at the first error, which is
	// yielded with a zero Case.
	Cases(ctx context.Context, q CaseQuery) iter.Seq2[Case, error]
	// DueTimers returns up to limit timers due at or before now, earliest
	// first.
	DueTimers(ctx context.Context, now time.Time, limit int) ([]Timer, error)
	Outbox
}

// ReadTx reads inside a transaction.
//
// Values returned are snapshots. Changing a returned struct's fields never
// changes the store, but the slices inside a [Case] or an [AuditEntry]
// (Team, Records, Roles, Payload) may share memory with the store
// (the memory store shares them so that reading and streaming cases costs no
// copying): treat them as read-only and call Clone before changing one.
// Writers (the engine) never modify a slice in place; they build new ones.
type ReadTx interface {
	// Participant returns the participant of organisation org with id, or
	// a *NotFoundError when that organisation has none with it. Participant
	// ids are scoped per organisation: the same id in two organisations is
	// two participants, and a participant of another organisation is not
	// found — exactly as one that does not exist — so no read by id can
	// reach across organisations.
	Participant(ctx context.Context, org OrganisationID, id ParticipantID) (Participant, error)
	// Case returns a *NotFoundError when the id is unknown.
	Case(ctx context.Context, id CaseID) (Case, error)
	// AuditTrail returns the case's audit entries with Seq > afterSeq in
	// ascending Seq order.
	AuditTrail(ctx context.Context, id CaseID, afterSeq int64) ([]AuditEntry, error)
	// Command returns the record of an idempotent command, or a
	// *NotFoundError.
	Command(ctx context.Context, id CaseID, key string) (CommandRecord, error)
	// Document returns a version of a case's document (kind), version 0
	// meaning the latest, or a *NotFoundError.
	Document(ctx context.Context, id CaseID, kind string, version int64) (Document, error)
	// Documents returns every version of a case's document in ascending
	// version order (empty when there is none).
	Documents(ctx context.Context, id CaseID, kind string) ([]Document, error)
	// Records returns the case's records that q selects, in the order
	// they were appended (oldest first); empty when there is none, or the
	// case is unknown. Records are not in the case row ([Case.Records]):
	// this is how a read asks for them, and only for what it needs, so
	// that reading one (the latest of a name) costs the same however many
	// the case has.
	Records(ctx context.Context, id CaseID, q RecordQuery) ([]Record, error)
	// Notice returns a notice of the outbox as this transaction sees it,
	// or a *NotFoundError.
	Notice(ctx context.Context, id string) (Notice, error)
	// Notices lists the outbox's notices matching q as this transaction
	// sees them (a notice enqueued in it included), oldest first, as
	// [Outbox.Notices] does.
	Notices(ctx context.Context, q NoticeQuery) ([]Notice, error)
	// AccessLog returns the access-log entries matching q in ascending Seq
	// order.
	AccessLog(ctx context.Context, q AccessQuery) ([]AccessEntry, error)
}

// Tx reads and writes inside one transaction. Write methods may keep the
// slices of the values they are given (see [ReadTx]); callers must not
// modify them afterwards.
type Tx interface {
	ReadTx
	// InsertParticipant stores a new participant under its key
	// (p.Organisation, p.ID); a *DuplicateError when that organisation has
	// a participant with the id (another organisation's never conflicts).
	// A non-empty p.SignOn already linked to another participant of the
	// organisation is refused with the *ValidationError [SignOnTaken]
	// returns (field sign_on); nothing is stored then. The same sign-on id
	// in two organisations is allowed.
	InsertParticipant(ctx context.Context, p Participant) error
	// UpdateParticipant replaces the participant with the key
	// (p.Organisation, p.ID); a *NotFoundError when the organisation has
	// none with the id (a participant cannot move between organisations).
	// A sign-on id taken by another participant of the organisation is
	// refused as by InsertParticipant.
	UpdateParticipant(ctx context.Context, p Participant) error
	// InsertCase stores a new case (its Version must be 1); a
	// *DuplicateError when the id exists. The case row holds no history
	// and no records: c.History is not stored, and a case with Records is
	// refused with a *ValidationError (append them with AppendRecords).
	InsertCase(ctx context.Context, c Case) error
	// UpdateCase replaces the case if its stored version is expected, and
	// returns a *ConflictError otherwise. c.Version must be expected+1. As
	// with InsertCase, c.History is not stored and Records are refused;
	// the case's stored records are not touched.
	UpdateCase(ctx context.Context, c Case, expected int64) error
	// AppendRecords appends records to the case's records, in the order
	// given, after every record it has. Records are append-only: no
	// method but ReplaceRecords changes or removes one, so writing one
	// costs the same however many the case has. A *NotFoundError when the
	// case is unknown; nothing is appended then.
	AppendRecords(ctx context.Context, id CaseID, records []Record) error
	// ReplaceRecords replaces every record of the case with records, in
	// the order given: erasure's, which keeps the records the figures
	// count (scrubbed) and removes the others — the one change of records
	// other than appending. A *NotFoundError when the case is unknown.
	ReplaceRecords(ctx context.Context, id CaseID, records []Record) error
	// AppendAudit appends an entry; its Seq must be exactly one more than
	// the case's last entry, or a *ConflictError is returned.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// PutCommand records an idempotent command's outcome; a
	// *DuplicateError when the (case, key) pair is taken.
	PutCommand(ctx context.Context, r CommandRecord) error
	// Enqueue adds a notice to the outbox. A notice whose ID is already in
	// the outbox is not added again, and inserted is false. The outbox
	// sets the notice's DueAt to its NotBefore (its CreatedAt when
	// NotBefore is zero), its Channel to "" (only a dispatcher's
	// completion sets it), and its Trace, when empty, to [TraceFrom](ctx);
	// a Trace longer than [MaxTraceBytes] or holding other than printable
	// ASCII is refused (ErrInvalid) and nothing is written. [PrepareEnqueue]
	// applies these rules.
	Enqueue(ctx context.Context, n Notice) (inserted bool, err error)
	// PutTimer creates or replaces the timer with t.Key.
	PutTimer(ctx context.Context, t Timer) error
	// DeleteTimer removes a timer; a *NotFoundError when it does not exist,
	// which is how two tickers agree that only one of them fires it.
	DeleteTimer(ctx context.Context, key string) error
	// UpdateNotice replaces the content (recipient, subject, body, data,
	// NotBefore) and status (pending or cancelled) of a notice that is
	// still pending, and reports true. A notice already claimed, sent, dead
	// or cancelled is left as it is and false is returned; a missing one is
	// a *NotFoundError. A notice never claimed (Attempts 0 and no
	// LastError: a refunded or released claim always leaves an error)
	// gets DueAt = [NoticeDueAt] of its new NotBefore; one that was
	// claimed keeps its DueAt, so a rewrite never hides how long it has
	// waited.
	UpdateNotice(ctx context.Context, n Notice) (updated bool, err error)
	// PutDocument stores a document version. Its Version must be exactly
	// one more than the latest version of that (case, kind) — 1 for the
	// first — or a *ConflictError is returned; versions are never
	// replaced.
	PutDocument(ctx context.Context, d Document) error
	// AppendAccess appends an entry to the access log. The store assigns
	// Seq, unique across the store and ascending in insertion order (two
	// transactions appending at once may commit in the other order, as
	// with any database sequence); the caller's Seq is ignored. The entry
	// commits or rolls back with the transaction.
	// The store keeps every entry, its text as e.Sanitized() returns
	// it: a store whose columns cannot hold invalid UTF-8 or NUL must not
	// refuse the entry (storetest's Access/UntrustedText).
	AppendAccess(ctx context.Context, e AccessEntry) error
	// PurgeCase removes what a case holds beyond the facts its figures
	// need, for erasure: every version of every document of the case, the
	// case's notices (whatever their status), its idempotency records and
	// its timers, and it clears the Reason and Payload of every audit entry
	// of the case (Seq, time, kind, actor, event and states stay). The case
	// row itself, its attendance marks and the access log are kept. A
	// *NotFoundError when the case is unknown.
	PurgeCase(ctx context.Context, id CaseID) error
}

// CaseStreamer is an optional capability of a [Store]: it streams each
// case together with its participant in one pass (a join), for reports over
// large cohorts. Callers detect it with a type assertion and fall back to
// Store.Cases plus a participant read per case.
type CaseStreamer interface {
	// CasesWithParticipants streams the cases matching q in ascending id
	// order, each with its participant. The *CaseRow is reused: it is valid
	// only until the next iteration, and its values are read-only snapshots
	// (see [ReadTx]). Iteration stops at the first error, yielded with a nil
	// row.
	CasesWithParticipants(ctx context.Context, q CaseQuery) iter.Seq2[*CaseRow, error]
}

// CaseRow is a case with its participant. Both point at read-only
// snapshots. The case carries its records (Case.Records, oldest first):
// reports read them; it carries no history.
type CaseRow struct {
	Case *Case
	// Participant is nil when the case's participant is not stored
	// (erased, or a case written without one).
	Participant *Participant
	// HasParticipant reports whether Participant is set.
	HasParticipant bool
}

// CaseQuery filters [Store.Cases]. Zero fields do not filter.
type CaseQuery struct {
	Model        string
	State        string
	Organisation OrganisationID
	// AfterID starts the stream after this id (for paging).
	AfterID CaseID
	// OpenOnly skips closed cases.
	OpenOnly bool
	// Participant keeps only the cases of participants with this id. Ids
	// are scoped per organisation ([ReadTx.Participant]): set Organisation
	// too to get one participant's cases.
	Participant ParticipantID
}

// RecordQuery selects a case's records for [ReadTx.Records]. The zero
// value selects every record.
type RecordQuery struct {
	// Names keeps only the records with one of these names; empty keeps
	// every name.
	Names []string
	// AfterSeq, when positive, keeps only the records written by changes
	// after that audit sequence (Record.Seq > AfterSeq), for reading a
	// range.
	AfterSeq int64
	// Latest keeps only the latest record of each name (of those the
	// other fields select), as [Case.Record] picks it.
	Latest bool
}

// Match reports whether r passes the Names and AfterSeq filters (Latest
// is a property of the whole list, not of one record). Stores may use it
// to filter in memory; SQL stores filter in the query.
func (q RecordQuery) Match(r Record) bool {
	if q.AfterSeq > 0 && r.Seq <= q.AfterSeq {
		return false
	}
	return len(q.Names) == 0 || slices.Contains(q.Names, r.Name)
}

// SeqFloor is the smallest Record.Seq q selects: AfterSeq+1, or the
// smallest int64 when AfterSeq does not filter (for a store's query).
func (q RecordQuery) SeqFloor() int64 {
	switch {
	case q.AfterSeq == math.MaxInt64:
		return math.MaxInt64 // no Seq follows it; the audit never gets there
	case q.AfterSeq > 0:
		return q.AfterSeq + 1
	}
	return math.MinInt64
}

// Select returns the records of all (a case's records, oldest first) that
// q selects, oldest first, as [ReadTx.Records] returns them: a new slice,
// sharing the records' Data.
func (q RecordQuery) Select(all []Record) []Record {
	out := []Record{}
	if !q.Latest {
		for _, r := range all {
			if q.Match(r) {
				out = append(out, r)
			}
		}
		return out
	}
	seen := map[string]bool{}
	for i := len(all) - 1; i >= 0; i-- {
		if r := all[i]; q.Match(r) && !seen[r.Name] {
			seen[r.Name] = true
			out = append(out, r)
		}
	}
	slices.Reverse(out)
	return out
}

// Match reports whether c passes the filter. Stores may use it to filter in
// memory; SQL stores filter in the query.
func (q CaseQuery) Match(c Case) bool {
	switch {
	case q.Model != "" && c.Model != q.Model:
		return false
	case q.State != "" && c.State != q.State:
		return false
	case q.Organisation != "" && c.Organisation != q.Organisation:
		return false
	case q.AfterID != "" && c.ID <= q.AfterID:
		return false
	case q.OpenOnly && c.Closed():
		return false
	case q.Participant != "" && c.ParticipantID != q.Participant:
		return false
	}
	return true
}

// Timer is a durable reminder: when DueAt passes, [Engine.Tick] handles it
// once. Timers are written in the same transaction as the change that set
// them, so a process that was down at the deadline fires it on restart.
type Timer struct {
	// Key is unique; by convention "<kind>:<case>:<discriminator>".
	Key    string    `json:"key"`
	CaseID CaseID    `json:"case_id"`
	Kind   string    `json:"kind"`
	DueAt  time.Time `json:"due_at"`
	// Ref ties the timer to what set it (e.g. the phase's entry seq).
	Ref int64 `json:"ref"`
}

// Timer kinds the engine sets.
const (
	TimerPhaseDeadline = "phase_deadline"
)

// PipelinedTx is an optional capability of a [Tx]: writes whose outcome the
// caller does not need, which a store that pipelines may send later, with
// its next statement or the commit, instead of waiting a round trip for
// each (adapters/postgres does). The engine uses them when the transaction
// offers them and falls back to [Tx.Enqueue] and [Tx.DeleteTimer]
// otherwise, so a store need not implement them.
//
// Contract: each method checks its argument at once (a problem with it is
// returned as from the plain method); a failure of the write itself fails
// the whole transaction, at the next statement or at the commit, so nothing
// is written — it is never lost silently. Later statements of the
// transaction see the write.
type PipelinedTx interface {
	// EnqueueLater adds n to the outbox like Enqueue (with the same
	// DueAt, Channel and Trace rules: [PrepareEnqueue]), leaving a notice
	// whose ID is already there as it is, and does not report which.
	EnqueueLater(ctx context.Context, n Notice) error
	// DropTimer removes the timer with key if there is one. Where a
	// missing timer matters (two tickers agreeing which fires it), use
	// DeleteTimer.
	DropTimer(ctx context.Context, key string) error
}

// PipelinedCaseTx is a second optional capability of a [Tx], apart from
// [PipelinedTx] so that a store written against that one keeps matching
// it: the case update of a transition, sent later like PipelinedTx's
// writes, under the same contract. The engine uses it only in a
// transaction it began itself (Engine.Fire on an unbound engine): a bound
// engine ([Engine.In]) runs in a transaction that must stay usable after a
// refused update, and a Fire there must report its own conflict at once, so
// it uses [Tx.UpdateCase].
type PipelinedCaseTx interface {
	// UpdateCaseLater saves c like UpdateCase, with the same optimistic
	// check of the stored version against expectVersion. If the check
	// fails (or the case is missing), the transaction fails and the error
	// UpdateCase would return (a *ConflictError, a *NotFoundError) comes
	// from the next statement or the commit.
	UpdateCaseLater(ctx context.Context, c Case, expectVersion int64) error
}

// updateCase saves c with its version check, pipelined where the store can
// and the transaction is the engine's own (pipelined false: at once).
func updateCase(ctx context.Context, tx Tx, c Case, expectVersion int64, pipelined bool) error {
	if pt, ok := tx.(PipelinedCaseTx); ok && pipelined {
		return pt.UpdateCaseLater(ctx, c, expectVersion)
	}
	return tx.UpdateCase(ctx, c, expectVersion)
}

// enqueueAll adds notices to the outbox, pipelined where the store can.
func enqueueAll(ctx context.Context, tx Tx, ns []Notice) error {
	pt, _ := tx.(PipelinedTx)
	for _, n := range ns {
		var err error
		if pt != nil {
			err = pt.EnqueueLater(ctx, n)
		} else {
			_, err = tx.Enqueue(ctx, n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// dropTimer removes a timer if it exists, pipelined where the store can.
func dropTimer(ctx context.Context, tx Tx, key string) error {
	if pt, ok := tx.(PipelinedTx); ok {
		return pt.DropTimer(ctx, key)
	}
	if err := tx.DeleteTimer(ctx, key); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}
