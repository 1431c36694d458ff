// Package memory is the in-memory [coaching.Store]: the embedded default,
// and the store tests and examples run on. It passes the same conformance
// suite (adapters/storetest) as the SQL stores.
//
// Data lives only as long as the process: use adapters/sqlite or
// adapters/postgres for anything that must survive a restart. Transactions
// are serialised by one lock (readers share it), which is plenty for one
// process and keeps every transaction trivially isolated; a failed
// transaction is rolled back from an undo log, so nothing is half-saved.
package memory

import (
	"cmp"
	"container/heap"
	"context"
	"iter"
	"maps"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/coaching/signon"
)

// Store is an in-memory coaching.Store. The zero value is not usable; call
// [New].
type Store struct {
	mu sync.RWMutex
	// participants holds one slot per participant key (organisation and
	// id: ids are scoped per organisation) a participant or a case has
	// named; a slot with a nil p holds no participant. Case rows point at
	// their participant's slot, so streaming cases with their participants
	// needs no lookup.
	participants map[participantKey]*participantSlot
	// signOns maps each organisation's linked sign-on ids to the
	// participant holding it (unique per organisation).
	signOns map[signOnKey]coaching.ParticipantID
	cases   map[coaching.CaseID]*caseRow
	order   []*caseRow // every case row; sorted by id when !dirty
	dirty   bool
	// timers and timerHeap hold every timer, and timers deleted lately
	// (dead) until they are swept: a deadline timer deleted when its case
	// pauses comes back with the same key when it resumes, and then only
	// its item changes (see putTimer, deleteTimer).
	timers      map[string]*timerItem
	timerHeap   timerHeap
	deadTimers  int
	notices     map[string]*coaching.Notice
	active      map[string]struct{} // notices pending or claimed
	dead        map[string]struct{} // dead notices, which OutboxHealth counts
	noticeSeq   int64
	sessions    map[string]*session.Session
	noticeOrder map[string]int64 // insertion order, for stable listing
	access      []coaching.AccessEntry
	cl          caseloadData
	// wtx is the write transaction Update hands out: one at a time, under
	// the write lock, so one value serves them all without an allocation
	// each.
	wtx tx
}

var _ coaching.Store = (*Store)(nil)

// caseRow holds a case as an immutable snapshot: an update swaps the
// pointer, so readers can share it without copying.
type caseRow struct {
	id          coaching.CaseID
	participant *participantSlot
	c           *coaching.Case
	audit       []coaching.AuditEntry
	commands    map[string]coaching.CommandRecord
	docs        map[string][]coaching.Document // by kind, ascending version
	// marks are the current marks ordered by key; history every revision;
	// totals count the current marks (attendance.Totals) and flags are the
	// early-warning flags (attendance.State).
	marks   []attendance.Mark
	history map[attendance.MarkKey][]attendance.Mark
	totals  attendance.Totals
	flags   []attendance.RiskFlag
	// records are the case's records, oldest first, append-only: readers
	// get capped slices, so an append never shows in one (ReplaceRecords
	// swaps the array).
	records []coaching.Record
	// cl is the case's caseload data (caseload.go).
	cl caseloadRow
}

// New returns an empty store.
func New() *Store {
	return &Store{
		participants: make(map[participantKey]*participantSlot),
		signOns:      make(map[signOnKey]coaching.ParticipantID),
		cases:        make(map[coaching.CaseID]*caseRow),
		timers:       make(map[string]*timerItem),
		notices:      make(map[string]*coaching.Notice),
		active:       make(map[string]struct{}),
		dead:         make(map[string]struct{}),
		noticeOrder:  make(map[string]int64),
		sessions:     make(map[string]*session.Session),
		cl: caseloadData{alerts: make(map[string]*caseload.Alert), planned: make(map[string]*caseload.Planned),
			contacts: make(map[string]*caseload.Contact), active: make(map[causeKey]string), members: make(map[string]map[*caseRow]struct{})},
	}
}

// View implements coaching.Store.
func (s *Store) View(ctx context.Context, fn func(tx coaching.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn((*readTx)(s))
}

// Update implements coaching.Store. fn runs under the write lock; its
// writes are applied at once and undone in reverse order if fn fails or the
// context is cancelled before it returns.
func (s *Store) Update(ctx context.Context, fn func(tx coaching.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.wtx
	t.readTx, t.s, t.last = (*readTx)(s), s, nil
	if t.undo == nil || cap(t.undo) > maxKeptUndo {
		t.undo = t.undoBuf[:0]
	}
	if cap(t.timerUndo) > maxKeptUndo {
		t.timerUndo = nil
	}
	committed := false
	defer func() {
		// A panic inside fn must not leave half a transaction behind.
		if !committed {
			t.rollback()
			// Denials the engine asked to keep outlive the rollback.
			for _, e := range t.kept {
				_ = t.AppendAccess(ctx, e)
			}
		}
		// The next transaction starts empty, and the store keeps no
		// snapshot, timer or notice alive through an old undo entry.
		clear(t.undo)
		t.undo = t.undo[:0]
		clear(t.timerUndo)
		t.timerUndo = t.timerUndo[:0]
		t.kept, t.last = nil, nil
		s.sweepTimers()
	}()
	err := fn(t)
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return err
	}
	committed = true
	return nil
}

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i].revert(t.s)
	}
	clear(t.undo)
	t.undo = t.undo[:0]
}

// participantSlot holds a participant, or nothing yet (p nil).
type participantSlot struct {
	p *coaching.Participant
}

// participantKey is a participant's key: ids are scoped per organisation.
type participantKey struct {
	org coaching.OrganisationID
	id  coaching.ParticipantID
}

// signOnKey is a sign-on id within an organisation.
type signOnKey struct {
	org    coaching.OrganisationID
	signOn string
}

// slot returns the slot of a participant of org with id, creating an
// empty one. Empty slots are never removed: a case's row keeps pointing at
// its slot.
func (s *Store) slot(org coaching.OrganisationID, id coaching.ParticipantID) *participantSlot {
	k := participantKey{org, id}
	sl, ok := s.participants[k]
	if !ok {
		sl = &participantSlot{}
		s.participants[k] = sl
	}
	return sl
}

// participantUndo restores a slot's participant and the sign-on index.
type participantUndo struct {
	slot *participantSlot
	old  *coaching.Participant
}

// setParticipant puts p (nil: none) into the slot sl and keeps the
// sign-on index: the slot's old sign-on id is released, p's taken.
func (s *Store) setParticipant(sl *participantSlot, p *coaching.Participant) {
	if o := sl.p; o != nil && o.SignOn != "" {
		if k := (signOnKey{o.Organisation, o.SignOn}); s.signOns[k] == o.ID {
			delete(s.signOns, k)
		}
	}
	sl.p = p
	if p != nil && p.SignOn != "" {
		s.signOns[signOnKey{p.Organisation, p.SignOn}] = p.ID
	}
}

// signOnTaken reports whether another participant of p's organisation
// than p holds p's sign-on id.
func (s *Store) signOnTaken(p *coaching.Participant) bool {
	if p.SignOn == "" {
		return false
	}
	holder, ok := s.signOns[signOnKey{p.Organisation, p.SignOn}]
	return ok && holder != p.ID
}

// readTx implements coaching.ReadTx over the store while a lock is held.
// It is the Store itself under another method set, so a read transaction
// costs no allocation.
type readTx Store

// maxKeptUndo bounds the undo log's capacity the store keeps between
// transactions: a bigger one (a bulk write's) is let go.
const maxKeptUndo = 64

// tx implements coaching.Tx over the write-locked store. The store's one
// tx (Store.wtx) serves every Update in turn; fn must not use it after it
// returns (as no transaction may be used after it ends).
type tx struct {
	*readTx
	s       *Store
	undo    []undoOp
	undoBuf [6]undoOp
	// timerUndo holds the timer values undo entries restore (they point
	// into it), so that a timer write allocates no copy of its own. A
	// value once appended never changes until the transaction ends.
	timerUndo []coaching.Timer
	// last is the case row the transaction last read or wrote: a command
	// reads its case and then writes the row, audit entry and records of
	// the same case, one map lookup for them all. Rows never leave the
	// map during a transaction (only a rollback removes an inserted one).
	last *caseRow
	// kept are access-log entries written again if the transaction rolls
	// back (coaching.DenialKeeper).
	kept []coaching.AccessEntry
}

// row returns case id's row for a write, or a *coaching.NotFoundError.
func (t *tx) row(id coaching.CaseID) (*caseRow, error) {
	if r := t.last; r != nil && r.id == id {
		return r, nil
	}
	r, ok := t.s.cases[id]
	if !ok {
		return nil, &coaching.NotFoundError{Kind: "case", ID: string(id)}
	}
	t.last = r
	return r, nil
}

// Case is ReadTx.Case for the write transaction, which remembers the row
// for the writes that follow (see tx.last).
func (t *tx) Case(_ context.Context, id coaching.CaseID) (coaching.Case, error) {
	r, err := t.row(id)
	if err != nil {
		return coaching.Case{}, err
	}
	return *r.c, nil
}

// replaceSlice sets the slice field of case id's row to a copy of v; a
// rollback puts the old slice back (kind's undo restores it from old).
func replaceSlice[T any](t *tx, id coaching.CaseID, kind undoKind, field func(*caseRow) *[]T, v []T) error {
	r, err := t.row(id)
	if err != nil {
		return err
	}
	f := field(r)
	t.undo = append(t.undo, undoOp{kind: kind, row: r, old: *f})
	*f = slices.Clone(v)
	return nil
}

// KeepOnRollback implements coaching.DenialKeeper.
func (t *tx) KeepOnRollback(e coaching.AccessEntry) { t.kept = append(t.kept, e.Clone()) }

// undoOp reverts one write of a failed transaction.
//
// It is kept small (every Update carries a few inline): old holds the value
// to restore — *coaching.Participant, *coaching.Case, *coaching.Timer,
// *coaching.Notice or *markUndo — by kind.
type undoOp struct {
	kind     undoKind
	wasDirty bool
	row      *caseRow
	id       string
	old      any
}

// markUndo restores a case's marks and totals.
type markUndo struct {
	key    attendance.MarkKey
	marks  []attendance.Mark
	totals attendance.Totals
}

type undoKind uint8

const (
	undoInsertParticipant undoKind = iota
	undoUpdateParticipant
	undoInsertCase
	undoUpdateCase
	undoAppendAudit
	undoPutCommand
	undoEnqueue
	undoPutTimer
	undoDeleteTimer
	undoPutDocument
	undoPutMark
	undoPutFlags
	undoUpdateNotice
	undoPutSession
	undoAppendAccess
	undoPurgeCase
	undoCaseParticipant
	undoAppendRecords
	undoReplaceRecords
	undoEraseSession
	undoCaseload // old: a func() that undoes a caseload write (caseload.go)
)

func (u *undoOp) revert(s *Store) {
	switch u.kind {
	case undoInsertParticipant, undoUpdateParticipant:
		pu := u.old.(participantUndo)
		s.setParticipant(pu.slot, pu.old)
	case undoInsertCase:
		delete(s.cases, coaching.CaseID(u.id))
		// The id is the last appended: the lock is held for the whole tx
		// and undo runs in reverse order.
		s.order[len(s.order)-1] = nil
		s.order = s.order[:len(s.order)-1]
		s.dirty = u.wasDirty
	case undoUpdateCase:
		u.row.c = u.old.(*coaching.Case)
	case undoCaseParticipant:
		u.row.participant = u.old.(*participantSlot)
	case undoAppendRecords:
		n := u.old.(int)
		clear(u.row.records[n:]) // no reader saw them: they were never committed
		u.row.records = u.row.records[:n]
	case undoReplaceRecords:
		u.row.records = u.old.([]coaching.Record)
	case undoAppendAudit:
		u.row.audit = u.row.audit[:len(u.row.audit)-1]
	case undoPutCommand:
		delete(u.row.commands, u.id)
	case undoEnqueue:
		delete(s.notices, u.id)
		delete(s.noticeOrder, u.id)
		s.unindexNotice(u.id)
	case undoPutTimer:
		if prev, ok := u.old.(*coaching.Timer); ok && prev != nil {
			s.putTimer(*prev)
		} else {
			s.deleteTimer(u.id)
		}
	case undoDeleteTimer:
		s.putTimer(*u.old.(*coaching.Timer))
	case undoPutDocument:
		d := u.row.docs[u.id]
		u.row.docs[u.id] = d[:len(d)-1]
	case undoPutMark:
		mu := u.old.(*markUndo)
		h := u.row.history[mu.key]
		if len(h) == 1 {
			delete(u.row.history, mu.key)
		} else {
			u.row.history[mu.key] = h[:len(h)-1]
		}
		u.row.marks, u.row.totals = mu.marks, mu.totals
	case undoPutFlags:
		u.row.flags, _ = u.old.([]attendance.RiskFlag)
	case undoPutSession:
		delete(s.sessions, u.id)
	case undoEraseSession:
		s.sessions[u.id] = u.old.(*session.Session)
	case undoCaseload:
		u.old.(func())()
	case undoAppendAccess:
		s.access = s.access[:len(s.access)-1]
	case undoPurgeCase:
		pu := u.old.(*purgeUndo)
		u.row.docs, u.row.audit, u.row.commands = pu.docs, pu.audit, pu.commands
		for _, n := range pu.notices {
			s.notices[n.ID] = n
			s.noticeOrder[n.ID] = pu.order[n.ID]
			s.indexNotice(n)
		}
		for _, t := range pu.timers {
			s.putTimer(t)
		}
	case undoUpdateNotice:
		n := s.notices[u.id]
		*n = *u.old.(*coaching.Notice)
		s.indexNotice(n)
	}
}

func (t *readTx) Participant(_ context.Context, org coaching.OrganisationID, id coaching.ParticipantID) (coaching.Participant, error) {
	slot, ok := t.participants[participantKey{org, id}]
	if !ok || slot.p == nil {
		return coaching.Participant{}, &coaching.NotFoundError{Kind: "participant", ID: string(id)}
	}
	return slot.p.Clone(), nil
}

func (t *readTx) Case(_ context.Context, id coaching.CaseID) (coaching.Case, error) {
	r, ok := t.cases[id]
	if !ok {
		return coaching.Case{}, &coaching.NotFoundError{Kind: "case", ID: string(id)}
	}
	return *r.c, nil
}

func (t *readTx) AuditTrail(_ context.Context, id coaching.CaseID, afterSeq int64) ([]coaching.AuditEntry, error) {
	r, ok := t.cases[id]
	if !ok {
		return []coaching.AuditEntry{}, nil
	}
	start := 0
	if afterSeq > 0 {
		start = sort.Search(len(r.audit), func(i int) bool { return r.audit[i].Seq > afterSeq })
	}
	return slices.Clone(r.audit[start:len(r.audit):len(r.audit)]), nil
}

func (t *readTx) Command(_ context.Context, id coaching.CaseID, key string) (coaching.CommandRecord, error) {
	if r, ok := t.cases[id]; ok {
		if c, ok := r.commands[key]; ok {
			return c, nil
		}
	}
	return coaching.CommandRecord{}, &coaching.NotFoundError{Kind: "command", ID: string(id) + "/" + key}
}

func (t *readTx) Document(_ context.Context, id coaching.CaseID, kind string, version int64) (coaching.Document, error) {
	if r, ok := t.cases[id]; ok {
		ds := r.docs[kind]
		switch {
		case version == 0 && len(ds) > 0:
			return ds[len(ds)-1].Clone(), nil
		case version > 0 && version <= int64(len(ds)):
			return ds[version-1].Clone(), nil
		}
	}
	return coaching.Document{}, &coaching.NotFoundError{Kind: "document", ID: string(id) + "/" + kind + "/" + strconv.FormatInt(version, 10)}
}

func (t *readTx) Documents(_ context.Context, id coaching.CaseID, kind string) ([]coaching.Document, error) {
	out := []coaching.Document{}
	if r, ok := t.cases[id]; ok {
		for _, d := range r.docs[kind] {
			out = append(out, d.Clone())
		}
	}
	return out, nil
}

// findMark returns the index of the mark with key k in the sorted current
// marks, or where it would go.
func (r *caseRow) findMark(k attendance.MarkKey) (int, bool) {
	return slices.BinarySearchFunc(r.marks, k, func(m attendance.Mark, k attendance.MarkKey) int {
		mk := m.Key()
		switch {
		case mk.Less(k):
			return -1
		case k.Less(mk):
			return 1
		}
		return 0
	})
}

func (t *readTx) Marks(_ context.Context, id coaching.CaseID, from, to coaching.Date) ([]attendance.Mark, error) {
	r, ok := t.cases[id]
	if !ok {
		return []attendance.Mark{}, nil
	}
	lo := 0
	if !from.IsZero() {
		lo, _ = r.findMark(attendance.MarkKey{Date: from})
	}
	hi := len(r.marks)
	if !to.IsZero() {
		hi, _ = r.findMark(attendance.MarkKey{Date: to.AddDays(1)})
	}
	if hi < lo {
		hi = lo
	}
	// Shared, read-only (ReadTx.Marks): capped so an append cannot show.
	return r.marks[lo:hi:hi], nil
}

func (t *readTx) MarkHistory(_ context.Context, id coaching.CaseID, k attendance.MarkKey) ([]attendance.Mark, error) {
	if r, ok := t.cases[id]; ok {
		return slices.Clone(r.history[k]), nil
	}
	return []attendance.Mark{}, nil
}

func (t *readTx) RecentMarks(_ context.Context, id coaching.CaseID, to coaching.Date, days int) ([]attendance.Mark, error) {
	r, ok := t.cases[id]
	if !ok || days <= 0 {
		return []attendance.Mark{}, nil
	}
	// Walk back from the end of to's day over days distinct dates: the
	// window's marks only, however many the case has.
	hi, _ := r.findMark(attendance.MarkKey{Date: to.AddDays(1)})
	lo, n := hi, 0
	var last coaching.Date
	for lo > 0 {
		d := r.marks[lo-1].Date
		if d != last {
			if n == days {
				break
			}
			n++
			last = d
		}
		lo--
	}
	// Shared, read-only (attendance.Reader): capped so an append cannot show.
	return r.marks[lo:hi:hi], nil
}

// RecentDays adds up the window's marks by day (attendance.DaysOf): the
// memory store keeps no per-day rows, its marks are at hand.
func (t *readTx) RecentDays(ctx context.Context, id coaching.CaseID, to coaching.Date, days int) ([]attendance.Day, error) {
	ms, err := t.RecentMarks(ctx, id, to, days)
	if err != nil {
		return nil, err
	}
	out := attendance.DaysOf(ms)
	if out == nil {
		out = []attendance.Day{}
	}
	return out, nil
}

func (t *readTx) State(_ context.Context, id coaching.CaseID) (attendance.State, error) {
	r, ok := t.cases[id]
	if !ok {
		return attendance.State{}, nil
	}
	return attendance.State{Flags: slices.Clone(r.flags), Totals: r.totals}, nil
}

func (t *tx) PutFlags(_ context.Context, id coaching.CaseID, flags []attendance.RiskFlag) error {
	return replaceSlice(t, id, undoPutFlags, func(r *caseRow) *[]attendance.RiskFlag { return &r.flags }, flags)
}

func (t *readTx) Notice(_ context.Context, id string) (coaching.Notice, error) {
	n, ok := t.notices[id]
	if !ok {
		return coaching.Notice{}, &coaching.NotFoundError{Kind: "notice", ID: id}
	}
	return n.Clone(), nil
}

func (t *readTx) Sessions(_ context.Context, q session.Query) ([]session.Session, error) {
	out := []session.Session{}
	for _, s := range t.sessions {
		if q.Match(*s) {
			out = append(out, s.Clone())
		}
	}
	slices.SortFunc(out, func(a, b session.Session) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (t *tx) PutSession(_ context.Context, s session.Session) error {
	if _, dup := t.s.sessions[s.ID]; dup {
		return &coaching.DuplicateError{Kind: "session", ID: s.ID}
	}
	cp := s.Clone()
	t.s.sessions[s.ID] = &cp
	t.undo = append(t.undo, undoOp{kind: undoPutSession, id: s.ID})
	return nil
}

// EraseFeatureData implements coaching.FeatureEraser for the features
// this store keeps data of: the topic and the peer-support text of every
// coaching session the case attended are cleared (session.Store); the
// hours, staff, dates and cases stay for the team hours. The free text of
// the case's caseload data is cleared too (caseload.Store, eraseCaseload).
func (t *tx) EraseFeatureData(_ context.Context, id coaching.CaseID) error {
	for sid, se := range t.s.sessions {
		if !slices.Contains(se.Cases, id) || se.Topic == "" && se.PeerSupport == "" {
			continue
		}
		cp := se.Clone()
		cp.Topic, cp.PeerSupport = "", ""
		t.s.sessions[sid] = &cp
		t.undo = append(t.undo, undoOp{kind: undoEraseSession, id: sid, old: se})
	}
	t.eraseCaseload(id)
	return nil
}

func (t *tx) PutMarks(_ context.Context, marks []attendance.Mark) error {
	for _, m := range marks {
		r, err := t.row(m.CaseID)
		if err != nil {
			return err
		}
		k := m.Key()
		latest := len(r.history[k])
		if m.Revision != latest+1 {
			return &coaching.ConflictError{CaseID: m.CaseID, Subject: "attendance mark " + m.Date.String() + "/" + m.Lesson,
				Expected: int64(m.Revision - 1), Current: int64(latest)}
		}
		if r.history == nil {
			r.history = make(map[attendance.MarkKey][]attendance.Mark)
		}
		var prev *attendance.Mark
		if latest > 0 {
			prev = &r.history[k][latest-1]
		}
		oldTotals := r.totals
		r.totals.Apply(prev, m)
		r.history[k] = append(r.history[k], m)
		old := r.marks
		// Copy on write: readers may hold the current array (Marks shares
		// it), so only an append past every reader's length reuses it.
		i, found := r.findMark(k)
		switch {
		case !found && i == len(r.marks):
			r.marks = append(r.marks, m)
		case found:
			r.marks = slices.Clone(r.marks)
			r.marks[i] = m
		default:
			next := make([]attendance.Mark, 0, len(r.marks)+1+len(r.marks)/4)
			next = append(append(append(next, r.marks[:i]...), m), r.marks[i:]...)
			r.marks = next
		}
		t.undo = append(t.undo, undoOp{kind: undoPutMark, row: r, old: &markUndo{key: k, marks: old, totals: oldTotals}})
	}
	return nil
}

func (t *tx) UpdateNotice(_ context.Context, n coaching.Notice) (bool, error) {
	cur, ok := t.s.notices[n.ID]
	if !ok {
		return false, &coaching.NotFoundError{Kind: "notice", ID: n.ID}
	}
	if cur.Status != coaching.NoticePending {
		return false, nil
	}
	old := cur.Clone()
	cur.Recipient, cur.Subject, cur.Body, cur.Data, cur.NotBefore = n.Recipient, n.Subject, n.Body, maps.Clone(n.Data), n.NotBefore
	if cur.Attempts == 0 && cur.LastError == "" {
		// Never claimed: the notice has not waited yet, it becomes due
		// anew. A refunded or released claim leaves Attempts at 0 but
		// always a LastError; such a notice has waited since its DueAt.
		cur.DueAt = coaching.NoticeDueAt(cur.NotBefore, cur.CreatedAt)
	}
	if n.Status == coaching.NoticeCancelled {
		cur.Status = coaching.NoticeCancelled
		t.s.unindexNotice(n.ID)
	}
	t.undo = append(t.undo, undoOp{kind: undoUpdateNotice, id: n.ID, old: &old})
	return true, nil
}

func (t *tx) PutDocument(_ context.Context, d coaching.Document) error {
	r, err := t.row(d.CaseID)
	if err != nil {
		return err
	}
	latest := int64(len(r.docs[d.Kind]))
	if d.Version != latest+1 {
		return &coaching.ConflictError{CaseID: d.CaseID, Subject: "document " + d.Kind, Expected: d.Version - 1, Current: latest}
	}
	if r.docs == nil {
		r.docs = make(map[string][]coaching.Document, 1)
	}
	r.docs[d.Kind] = append(r.docs[d.Kind], d.Clone())
	t.undo = append(t.undo, undoOp{kind: undoPutDocument, row: r, id: d.Kind})
	return nil
}

func (t *tx) InsertParticipant(_ context.Context, p coaching.Participant) error {
	if sl, ok := t.s.participants[participantKey{p.Organisation, p.ID}]; ok && sl.p != nil {
		return &coaching.DuplicateError{Kind: "participant", ID: string(p.ID)}
	}
	if t.s.signOnTaken(&p) {
		return coaching.SignOnTaken()
	}
	slot := t.s.slot(p.Organisation, p.ID)
	cp := p.Clone()
	t.s.setParticipant(slot, &cp)
	t.undo = append(t.undo, undoOp{kind: undoInsertParticipant, old: participantUndo{slot: slot}})
	return nil
}

func (t *tx) UpdateParticipant(_ context.Context, p coaching.Participant) error {
	slot, ok := t.s.participants[participantKey{p.Organisation, p.ID}]
	if !ok || slot.p == nil {
		return &coaching.NotFoundError{Kind: "participant", ID: string(p.ID)}
	}
	if t.s.signOnTaken(&p) {
		return coaching.SignOnTaken()
	}
	cp := p.Clone()
	old := slot.p
	t.s.setParticipant(slot, &cp)
	t.undo = append(t.undo, undoOp{kind: undoUpdateParticipant, old: participantUndo{slot: slot, old: old}})
	return nil
}

// errRecordsInRow refuses a case row that carries records: they are
// appended beside it (coaching.Tx.AppendRecords).
func errRecordsInRow(c *coaching.Case) error {
	return &coaching.ValidationError{Subject: "case " + strconv.Quote(string(c.ID)), Problems: []coaching.FieldProblem{{Field: "records",
		Message: "are not stored in the case row: append them with AppendRecords"}}}
}

func (t *tx) InsertCase(_ context.Context, c coaching.Case) error {
	c.History = nil // the audit trail's, not the row's (coaching.Case.History)
	if len(c.Records) > 0 {
		return errRecordsInRow(&c)
	}
	c.Records = nil
	if _, ok := t.s.cases[c.ID]; ok {
		return &coaching.DuplicateError{Kind: "case", ID: string(c.ID)}
	}
	row := &caseRow{c: &c, id: c.ID, participant: t.s.slot(c.Organisation, c.ParticipantID)}
	t.s.cases[c.ID] = row
	t.s.order = append(t.s.order, row)
	wasDirty := t.s.dirty
	if n := len(t.s.order); n > 1 && t.s.order[n-2].id > c.ID {
		t.s.dirty = true
	}
	t.undo = append(t.undo, undoOp{kind: undoInsertCase, id: string(c.ID), wasDirty: wasDirty})
	t.reindexMembers(row, nil, c.Team)
	return nil
}

func (t *tx) UpdateCase(_ context.Context, c coaching.Case, expected int64) error {
	r, err := t.row(c.ID)
	if err != nil {
		return err
	}
	if r.c.Version != expected {
		return &coaching.ConflictError{CaseID: c.ID, Expected: expected, Current: r.c.Version}
	}
	c.History = nil // the audit trail's, not the row's (coaching.Case.History)
	if len(c.Records) > 0 {
		return errRecordsInRow(&c)
	}
	c.Records = nil
	t.undo = append(t.undo, undoOp{kind: undoUpdateCase, row: r, old: r.c})
	if c.ParticipantID != r.c.ParticipantID || c.Organisation != r.c.Organisation {
		// The row follows the case to its new participant's slot.
		t.undo = append(t.undo, undoOp{kind: undoCaseParticipant, row: r, old: r.participant})
		r.participant = t.s.slot(c.Organisation, c.ParticipantID)
	}
	t.reindexMembers(r, r.c.Team, c.Team)
	r.c = &c
	return nil
}

func (t *readTx) Records(_ context.Context, id coaching.CaseID, q coaching.RecordQuery) ([]coaching.Record, error) {
	r, ok := t.cases[id]
	if !ok {
		return []coaching.Record{}, nil
	}
	return q.Select(r.records), nil
}

func (t *tx) AppendRecords(_ context.Context, id coaching.CaseID, records []coaching.Record) error {
	r, err := t.row(id)
	if err != nil {
		return err
	}
	t.undo = append(t.undo, undoOp{kind: undoAppendRecords, row: r, old: len(r.records)})
	r.records = append(r.records, records...)
	return nil
}

func (t *tx) ReplaceRecords(_ context.Context, id coaching.CaseID, records []coaching.Record) error {
	return replaceSlice(t, id, undoReplaceRecords, func(r *caseRow) *[]coaching.Record { return &r.records }, records)
}

func (t *tx) AppendAudit(_ context.Context, e coaching.AuditEntry) error {
	r, err := t.row(e.CaseID)
	if err != nil {
		return err
	}
	var last int64
	if n := len(r.audit); n > 0 {
		last = r.audit[n-1].Seq
	}
	if e.Seq != last+1 {
		return &coaching.ConflictError{CaseID: e.CaseID, Expected: e.Seq - 1, Current: last}
	}
	r.audit = append(r.audit, e)
	t.undo = append(t.undo, undoOp{kind: undoAppendAudit, row: r})
	return nil
}

func (t *tx) PutCommand(_ context.Context, c coaching.CommandRecord) error {
	r, err := t.row(c.CaseID)
	if err != nil {
		return err
	}
	if _, dup := r.commands[c.Key]; dup {
		return &coaching.DuplicateError{Kind: "command", ID: string(c.CaseID) + "/" + c.Key}
	}
	if r.commands == nil {
		r.commands = make(map[string]coaching.CommandRecord, 1)
	}
	r.commands[c.Key] = c
	t.undo = append(t.undo, undoOp{kind: undoPutCommand, row: r, id: c.Key})
	return nil
}

func (t *tx) Enqueue(ctx context.Context, n coaching.Notice) (bool, error) {
	n, err := coaching.PrepareEnqueue(ctx, n)
	if err != nil {
		return false, err
	}
	if _, dup := t.s.notices[n.ID]; dup {
		return false, nil
	}
	cp := n.Clone()
	if cp.Status == "" {
		cp.Status = coaching.NoticePending
	}
	t.s.notices[n.ID] = &cp
	t.s.noticeSeq++
	t.s.noticeOrder[n.ID] = t.s.noticeSeq
	t.s.indexNotice(&cp)
	t.undo = append(t.undo, undoOp{kind: undoEnqueue, id: n.ID})
	return true, nil
}

func (t *tx) PutTimer(_ context.Context, tm coaching.Timer) error {
	var prev *coaching.Timer
	if it, had := t.s.timers[tm.Key]; had && !it.dead {
		prev = t.keepTimer(it.t)
	}
	t.s.putTimer(tm)
	t.undo = append(t.undo, undoOp{kind: undoPutTimer, id: tm.Key, old: prev})
	return nil
}

func (t *tx) DeleteTimer(_ context.Context, key string) error {
	it, ok := t.s.timers[key]
	if !ok || it.dead {
		return &coaching.NotFoundError{Kind: "timer", ID: key}
	}
	t.undo = append(t.undo, undoOp{kind: undoDeleteTimer, old: t.keepTimer(it.t)})
	t.s.killTimer(it)
	return nil
}

// keepTimer keeps v for an undo entry until the transaction ends.
func (t *tx) keepTimer(v coaching.Timer) *coaching.Timer {
	t.timerUndo = append(t.timerUndo, v)
	return &t.timerUndo[len(t.timerUndo)-1]
}

// Cases implements coaching.Store. It holds the read lock only while it
// collects a batch of cases, so writers are not starved by a long
// iteration; cases inserted during the iteration may or may not be seen.
func (s *Store) Cases(ctx context.Context, q coaching.CaseQuery) iter.Seq2[coaching.Case, error] {
	return func(yield func(coaching.Case, error) bool) {
		s.batches(ctx, q, func(r *coaching.CaseRow) bool { return yield(*r.Case, nil) },
			func(err error) { yield(coaching.Case{}, err) }, false)
	}
}

// CasesWithParticipants implements coaching.CaseStreamer: one pass, no
// read per case: the rows point at the stored snapshots (a case with
// records is copied once, to carry them).
func (s *Store) CasesWithParticipants(ctx context.Context, q coaching.CaseQuery) iter.Seq2[*coaching.CaseRow, error] {
	return func(yield func(*coaching.CaseRow, error) bool) {
		s.batches(ctx, q, func(r *coaching.CaseRow) bool { return yield(r, nil) },
			func(err error) { yield(nil, err) }, true)
	}
}

var _ coaching.CaseStreamer = (*Store)(nil)

func (s *Store) sortOrder() {
	slices.SortFunc(s.order, func(a, b *caseRow) int { return cmp.Compare(a.id, b.id) })
	s.dirty = false
}

// batches walks the cases matching q in id order, a batch at a time under
// the read lock, and hands each to yield outside the lock. Case snapshots
// are immutable (an update swaps the row's pointer), so the rows can point
// at them after the lock is released.
func (s *Store) batches(ctx context.Context, q coaching.CaseQuery, yield func(*coaching.CaseRow) bool, fail func(error), withParticipants bool) {
	const batch = 512
	after := q.AfterID
	buf := make([]coaching.CaseRow, 0, batch)
	var withRecords []coaching.Case // the batch's cases that carry records
	if withParticipants {
		withRecords = make([]coaching.Case, 0, batch)
	}
	for {
		if err := ctx.Err(); err != nil {
			fail(err)
			return
		}
		buf = buf[:0]
		withRecords = withRecords[:0]
		s.mu.RLock()
		for s.dirty { // inserted out of order: sort under the write lock
			s.mu.RUnlock()
			s.mu.Lock()
			if s.dirty {
				s.sortOrder()
			}
			s.mu.Unlock()
			s.mu.RLock()
		}
		i, found := slices.BinarySearchFunc(s.order, after, func(r *caseRow, id coaching.CaseID) int { return cmp.Compare(r.id, id) })
		if after != "" && found {
			i++
		}
		scanned := 0
		for ; i < len(s.order) && len(buf) < batch; i++ {
			r := s.order[i]
			after = r.id
			scanned++
			if !q.Match(*r.c) {
				continue
			}
			row := coaching.CaseRow{Case: r.c}
			if withParticipants {
				if n := len(r.records); n > 0 {
					withRecords = append(withRecords, *r.c)
					row.Case = &withRecords[len(withRecords)-1]
					row.Case.Records = r.records[:n:n]
				}
				if p := r.participant.p; p != nil {
					row.Participant, row.HasParticipant = p, true
				}
			}
			buf = append(buf, row)
		}
		s.mu.RUnlock()
		for j := range buf {
			if !yield(&buf[j]) {
				return
			}
		}
		if scanned == 0 {
			return
		}
	}
}

// DueTimers implements coaching.Store.
func (s *Store) DueTimers(ctx context.Context, now time.Time, limit int) ([]coaching.Timer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock() // the heap is reordered while peeking
	defer s.mu.Unlock()
	var out []coaching.Timer
	var popped []*timerItem
	for s.timerHeap.Len() > 0 && (limit <= 0 || len(out) < limit) {
		it := s.timerHeap[0]
		if it.t.DueAt.After(now) {
			break
		}
		heap.Pop(&s.timerHeap)
		if it.dead { // due and deleted: gone for good
			delete(s.timers, it.t.Key)
			s.deadTimers--
			continue
		}
		popped = append(popped, it)
		out = append(out, it.t)
	}
	for _, it := range popped {
		heap.Push(&s.timerHeap, it)
	}
	return out, nil
}

// putTimer creates or replaces the timer with t.Key. A dead item of the
// key comes back to life; the heap is reordered only when the due time
// changed (the order is by due time, then key).
func (s *Store) putTimer(t coaching.Timer) {
	if it, ok := s.timers[t.Key]; ok {
		if it.dead {
			it.dead = false
			s.deadTimers--
		}
		moved := !it.t.DueAt.Equal(t.DueAt)
		it.t = t
		if moved {
			heap.Fix(&s.timerHeap, it.index)
		}
		return
	}
	it := &timerItem{t: t}
	s.timers[t.Key] = it
	heap.Push(&s.timerHeap, it)
}

// deleteTimer removes the timer with key, if there is one.
func (s *Store) deleteTimer(key string) {
	if it, ok := s.timers[key]; ok && !it.dead {
		s.killTimer(it)
	}
}

// killTimer marks a live timer deleted. Its item stays in the map and the
// heap, in its place, until the key is put again (putTimer), it falls due
// (DueTimers drops it) or a sweep removes it (sweepTimers): every read
// skips it.
func (s *Store) killTimer(it *timerItem) {
	it.dead = true
	s.deadTimers++
}

// minTimerSweep is how many dead timers the store keeps at least before
// it sweeps them (a variable for the tests).
var minTimerSweep = 4096

// sweepTimers removes the dead timers once they outnumber both the live
// ones and minTimerSweep, so that they never hold more than about as much
// memory as the live timers (and a sweep's cost is spread over as many
// deletions). It runs between transactions, when no undo entry refers to
// an item.
func (s *Store) sweepTimers() {
	if s.deadTimers <= minTimerSweep || s.deadTimers <= len(s.timerHeap)-s.deadTimers {
		return
	}
	live := s.timerHeap[:0]
	for _, it := range s.timerHeap {
		if it.dead {
			delete(s.timers, it.t.Key)
			continue
		}
		it.index = len(live)
		live = append(live, it)
	}
	clear(s.timerHeap[len(live):])
	s.timerHeap = live
	s.deadTimers = 0
	heap.Init(&s.timerHeap)
}

// timerItem is a timer in the heap at index; a dead one was deleted (see
// killTimer).
type timerItem struct {
	t     coaching.Timer
	index int
	dead  bool
}

// timerHeap orders timers by due time, then key.
type timerHeap []*timerItem

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].t.DueAt.Equal(h[j].t.DueAt) {
		return h[i].t.DueAt.Before(h[j].t.DueAt)
	}
	return h[i].t.Key < h[j].t.Key
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	it := x.(*timerItem)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	it := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return it
}

// purgeUndo restores what PurgeCase removed.
type purgeUndo struct {
	docs     map[string][]coaching.Document
	audit    []coaching.AuditEntry
	commands map[string]coaching.CommandRecord
	notices  []*coaching.Notice
	order    map[string]int64
	timers   []coaching.Timer
}

func (t *readTx) AccessLog(_ context.Context, q coaching.AccessQuery) ([]coaching.AccessEntry, error) {
	out := []coaching.AccessEntry{}
	start := sort.Search(len(t.access), func(i int) bool { return t.access[i].Seq > q.AfterSeq })
	for _, e := range t.access[start:] {
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
		if q.Match(e) {
			out = append(out, e.Clone())
		}
	}
	return out, nil
}

// AppendAccess keeps the entry's text as [coaching.AccessEntry.Sanitized]
// returns it, as every store does.
func (t *tx) AppendAccess(_ context.Context, e coaching.AccessEntry) error {
	e = e.Clone().Sanitized()
	e.Seq = 1
	if n := len(t.s.access); n > 0 {
		e.Seq = t.s.access[n-1].Seq + 1
	}
	t.s.access = append(t.s.access, e)
	t.undo = append(t.undo, undoOp{kind: undoAppendAccess})
	return nil
}

func (t *tx) PurgeCase(_ context.Context, id coaching.CaseID) error {
	r, err := t.row(id)
	if err != nil {
		return err
	}
	pu := &purgeUndo{docs: r.docs, audit: r.audit, commands: r.commands, order: map[string]int64{}}
	// Readers may share the audit array: build a new one.
	audit := make([]coaching.AuditEntry, len(r.audit))
	for i, e := range r.audit {
		e.Reason, e.Payload = "", nil
		audit[i] = e
	}
	r.docs, r.audit, r.commands = nil, audit, nil
	for nid, n := range t.s.notices {
		if n.CaseID != id {
			continue
		}
		pu.notices = append(pu.notices, n)
		pu.order[nid] = t.s.noticeOrder[nid]
		delete(t.s.notices, nid)
		delete(t.s.noticeOrder, nid)
		t.s.unindexNotice(nid)
	}
	for _, it := range t.s.timers {
		if it.t.CaseID == id && !it.dead {
			pu.timers = append(pu.timers, it.t)
			t.s.killTimer(it)
		}
	}
	t.undo = append(t.undo, undoOp{kind: undoPurgeCase, row: r, old: pu})
	return nil
}

// ParticipantBySignOn implements signon.Reader from the store's sign-on
// index (one per organisation, kept by every participant write).
func (t *readTx) ParticipantBySignOn(_ context.Context, org coaching.OrganisationID, signOn string) (coaching.ParticipantID, error) {
	id, ok := t.signOns[signOnKey{org, signOn}]
	if !ok || signOn == "" {
		return "", &coaching.NotFoundError{Kind: "sign-on id", ID: signOn}
	}
	return id, nil
}

var _ signon.Reader = (*readTx)(nil)
