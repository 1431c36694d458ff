package memory

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// ClaimNotices implements coaching.Outbox.
func (s *Store) ClaimNotices(ctx context.Context, p coaching.ClaimParams) ([]coaching.Notice, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*coaching.Notice
	for id := range s.active {
		n := s.notices[id]
		switch n.Status {
		case coaching.NoticePending:
			if !n.NotBefore.After(p.Now) {
				due = append(due, n)
			}
		case coaching.NoticeClaimed:
			if !n.LeaseUntil.After(p.Now) {
				due = append(due, n)
			}
		}
	}
	sort.Slice(due, func(i, j int) bool {
		a, b := due[i], due[j]
		if !a.NotBefore.Equal(b.NotBefore) {
			return a.NotBefore.Before(b.NotBefore)
		}
		return a.ID < b.ID
	})
	if p.Limit > 0 && len(due) > p.Limit {
		due = due[:p.Limit]
	}
	out := make([]coaching.Notice, len(due))
	for i, n := range due {
		n.Status = coaching.NoticeClaimed
		n.Attempts++
		n.LeaseUntil = p.Now.Add(p.Lease)
		out[i] = n.Clone()
	}
	return out, nil
}

var _ coaching.NoticeCompleter = (*Store)(nil)

// CompleteNotice implements coaching.Outbox.
func (s *Store) CompleteNotice(ctx context.Context, id string, attempt int, r coaching.NoticeResult) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.completeLocked(id, attempt, r)
}

// CompleteNotices implements coaching.NoticeCompleter: every completion
// under one hold of the store's lock.
func (s *Store) CompleteNotices(ctx context.Context, cs []coaching.NoticeCompletion) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := duplicateCompletion(cs); err != nil {
		return nil, err
	}
	errs := make([]error, len(cs))
	if len(cs) == 0 {
		return errs, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range cs {
		errs[i] = s.completeLocked(c.ID, c.Attempt, c.Result)
	}
	return errs, nil
}

// duplicateCompletion refuses a batch that names a notice twice.
func duplicateCompletion(cs []coaching.NoticeCompletion) error {
	seen := make(map[string]struct{}, len(cs))
	for _, c := range cs {
		if _, dup := seen[c.ID]; dup {
			return fmt.Errorf("memory: CompleteNotices: notice %q appears more than once", c.ID)
		}
		seen[c.ID] = struct{}{}
	}
	return nil
}

// completeLocked records one outcome; s.mu is held for writing.
func (s *Store) completeLocked(id string, attempt int, r coaching.NoticeResult) error {
	if err := coaching.CheckNoticeResult(r); err != nil {
		return err
	}
	n, ok := s.notices[id]
	if !ok {
		return &coaching.NotFoundError{Kind: "notice", ID: id}
	}
	if n.Status != coaching.NoticeClaimed || n.Attempts != attempt {
		return &coaching.ConflictError{Expected: int64(attempt), Current: int64(n.Attempts)}
	}
	n.LastError = r.Error
	n.LeaseUntil = r.At
	n.Channel = r.Channel
	switch r.Status {
	case coaching.NoticeSent:
		n.Status = coaching.NoticeSent
		n.SentAt = r.At
	case coaching.NoticeDead:
		n.Status = coaching.NoticeDead
	default:
		n.Status = coaching.NoticePending
		n.NotBefore = r.RetryAt
		if r.Refund && n.Attempts > 0 {
			n.Attempts--
		}
	}
	s.indexNotice(n)
	return nil
}

// indexNotice files the notice's id under its status: in active while it
// is pending or claimed, in dead once it is dead, in neither otherwise.
// s.mu is held for writing.
func (s *Store) indexNotice(n *coaching.Notice) {
	s.unindexNotice(n.ID)
	switch n.Status {
	case coaching.NoticePending, coaching.NoticeClaimed:
		s.active[n.ID] = struct{}{}
	case coaching.NoticeDead:
		s.dead[n.ID] = struct{}{}
	}
}

// unindexNotice removes the id from active and dead.
func (s *Store) unindexNotice(id string) {
	delete(s.active, id)
	delete(s.dead, id)
}

var _ coaching.OutboxInspector = (*Store)(nil)

// OutboxHealth implements coaching.OutboxInspector. It reads the notices
// waiting (pending or claimed) and the dead ones, never the sent or
// cancelled ones, under the store's read lock.
func (s *Store) OutboxHealth(ctx context.Context, now time.Time) (coaching.OutboxHealth, error) {
	if err := ctx.Err(); err != nil {
		return coaching.OutboxHealth{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	h := coaching.OutboxHealth{At: now, Dead: make(map[string]int)}
	for id := range s.active {
		n := s.notices[id]
		switch n.Status {
		case coaching.NoticePending:
			h.Pending++
			if !n.NotBefore.After(now) {
				h.Due++
			}
		case coaching.NoticeClaimed:
			h.Claimed++
			if !n.LeaseUntil.After(now) {
				h.Due++
			}
		}
		if n.LastError != "" {
			h.Retrying++
		}
		// A zero DueAt is no instant the notice waited from (the stores
		// never set one, a host's row may hold one): it is left out, or
		// it would be the minimum and hide every other notice's lag.
		if !n.DueAt.IsZero() && !n.DueAt.After(now) && (h.OldestDueAt.IsZero() || n.DueAt.Before(h.OldestDueAt)) {
			h.OldestDueAt = n.DueAt
		}
	}
	for id := range s.dead {
		h.Dead[s.notices[id].Channel]++
	}
	return h, nil
}

// Notice implements coaching.Outbox.
func (s *Store) Notice(ctx context.Context, id string) (coaching.Notice, error) {
	if err := ctx.Err(); err != nil {
		return coaching.Notice{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.notices[id]
	if !ok {
		return coaching.Notice{}, &coaching.NotFoundError{Kind: "notice", ID: id}
	}
	return n.Clone(), nil
}

// Notices implements coaching.Outbox.
func (s *Store) Notices(ctx context.Context, q coaching.NoticeQuery) ([]coaching.Notice, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return (*readTx)(s).Notices(ctx, q)
}

// Notices implements coaching.ReadTx: the outbox as the transaction sees
// it, oldest (CreatedAt) first, ties in the order they were enqueued.
func (t *readTx) Notices(_ context.Context, q coaching.NoticeQuery) ([]coaching.Notice, error) {
	var out []coaching.Notice
	for _, n := range t.notices {
		if q.Match(*n) {
			out = append(out, n.Clone())
		}
	}
	order := t.noticeOrder
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return order[a.ID] < order[b.ID]
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}
