package coaching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"
)

// TickReport says what one [Engine.Tick] did.
type TickReport struct {
	// Overdue is how many phase deadlines were found passed and recorded.
	Overdue int
	// Notices is how many notices were enqueued.
	Notices int
	// Stale is how many timers were dropped because their case had moved on
	// (or nobody handles their kind).
	Stale int
	// Unhandled lists, once each, the kinds of the timers dropped because
	// no handler was given for them (they are also counted in Stale): a
	// package's timers fall here when its handlers were not passed in
	// Options.TimerHandlers (e.g. pathway.TimerHandlers).
	Unhandled []string
	// Handled is how many package or host timers their handlers handled.
	Handled int
}

// errTimerGone aborts a tick transaction whose timer another ticker took.
var errTimerGone = errors.New("timer already handled")

// Tick handles every timer due at or before now: for a passed phase
// deadline it marks the case overdue (one audit entry) and enqueues a notice
// to each team member whose role the phase names, all in one transaction
// that also deletes the timer. A deadline is therefore noticed exactly once,
// even when several processes tick at the same time or a process was down
// when the deadline passed.
func (e *Engine) Tick(ctx context.Context, now time.Time) (TickReport, error) {
	if e.bound {
		return TickReport{}, errBound
	}
	if e.obs == nil {
		return e.tick(ctx, now)
	}
	start := time.Now()
	call := Call{Name: CallTick}
	ctx = e.obs.Begin(ctx, call)
	rep, err := e.tick(ctx, now)
	outcome := OutcomeOf(err)
	e.obs.Cycle(ctx, CycleEvent{Kind: CallTick, Items: rep.Overdue + rep.Stale + rep.Handled, Outcome: outcome, Start: start, Duration: time.Since(start)})
	e.obs.End(ctx, call, outcome)
	return rep, err
}

// tick is Tick, unobserved.
func (e *Engine) tick(ctx context.Context, now time.Time) (TickReport, error) {
	var rep TickReport
	for {
		timers, err := e.store.DueTimers(ctx, now, e.tickBatch)
		if err != nil {
			return rep, err
		}
		handled := 0
		for _, t := range timers {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			var (
				r   TickReport
				err error
			)
			for attempt := 0; attempt < 3; attempt++ {
				r, err = e.handleTimer(ctx, t, now)
				if !errors.Is(err, ErrConflict) {
					break
				}
			}
			switch {
			case errors.Is(err, errTimerGone):
			case err != nil:
				e.log.LogAttrs(ctx, slog.LevelWarn, "timer not handled", slog.String("timer", t.Key), slog.String("error", err.Error()))
				return rep, fmt.Errorf("valmennus: tick: timer %s: %w", t.Key, err)
			default:
				handled++
				rep.Overdue += r.Overdue
				rep.Notices += r.Notices
				rep.Stale += r.Stale
				rep.Handled += r.Handled
				for _, k := range r.Unhandled {
					if !slices.Contains(rep.Unhandled, k) {
						rep.Unhandled = append(rep.Unhandled, k)
					}
				}
			}
		}
		if len(timers) < e.tickBatch || handled == 0 {
			return rep, nil
		}
	}
}

func (e *Engine) handleTimer(ctx context.Context, t Timer, now time.Time) (TickReport, error) {
	var (
		rep      TickReport
		start    time.Time
		enqueued []string // the kinds of the notices enqueued, when observed
	)
	if e.obs != nil {
		start = time.Now()
	}
	err := e.store.Update(ctx, func(tx Tx) error {
		rep, enqueued = TickReport{}, enqueued[:0]
		rep = TickReport{}
		if err := tx.DeleteTimer(ctx, t.Key); err != nil {
			if errors.Is(err, ErrNotFound) {
				return errTimerGone
			}
			return err
		}
		c, err := tx.Case(ctx, t.CaseID)
		if errors.Is(err, ErrNotFound) {
			rep.Stale++
			return nil
		}
		if err != nil {
			return err
		}
		if t.Kind != TimerPhaseDeadline {
			return e.handleOther(ctx, tx, c, t, now, &rep, &enqueued)
		}
		m, ok := e.models[c.Model]
		if !ok || c.Closed() || c.Paused() || c.Phase.EntrySeq != t.Ref || !c.Phase.OverdueAt.IsZero() || c.Phase.DueAt.After(now) {
			rep.Stale++
			if ok && !c.Closed() && !c.Paused() && c.Phase.EntrySeq == t.Ref && c.Phase.OverdueAt.IsZero() && c.Phase.DueAt.After(now) {
				// Moved later (a resume) but the old row survived: keep it.
				return tx.PutTimer(ctx, deadlineTimer(&c))
			}
			return nil
		}
		next := c.Clone()
		next.Version++
		next.Phase.OverdueAt = now
		entry := AuditEntry{CaseID: c.ID, Seq: next.Version, At: now, Kind: AuditOverdue, ActorID: systemActorID, Roles: []Role{RoleSystem},
			From: c.State, To: c.State, Reason: "deadline " + c.Phase.DueAt.In(Helsinki).Format(time.RFC3339) + " passed"}
		if err := tx.UpdateCase(ctx, next, c.Version); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, entry); err != nil {
			return err
		}
		st := m.states[c.State]
		for _, n := range e.overdueNotices(m, next, st, now) {
			inserted, err := tx.Enqueue(ctx, n)
			if err != nil {
				return err
			}
			if inserted {
				rep.Notices++
				if e.obs != nil {
					enqueued = append(enqueued, n.Kind)
				}
			}
		}
		rep.Overdue++
		return nil
	})
	if e.obs != nil {
		e.txDone(ctx, true, start, err)
		if err == nil {
			for _, k := range enqueued {
				e.obs.Notice(ctx, NoticeEvent{Kind: k, Outcome: NoticeEnqueued})
			}
		}
	}
	return rep, err
}

// handleOther runs the handler of a package's or host's timer kind.
// The kinds of the notices enqueued go to enqueued when the engine is
// observed.
func (e *Engine) handleOther(ctx context.Context, tx Tx, c Case, t Timer, now time.Time, rep *TickReport, enqueued *[]string) error {
	h, ok := e.handlers[t.Kind]
	if !ok {
		e.log.LogAttrs(ctx, slog.LevelWarn, "timer dropped", slog.String("timer", t.Key), slog.String("error", errNoHandler.Error()))
		rep.Stale++
		rep.Unhandled = append(rep.Unhandled, t.Kind)
		return nil
	}
	res, err := h.HandleTimer(ctx, tx, c, t, now)
	if err != nil {
		return fmt.Errorf("handler of %s: %w", t.Kind, err)
	}
	for _, n := range e.stampNotices(res.Document, res.Notices) {
		inserted, err := tx.Enqueue(ctx, n)
		if err != nil {
			return err
		}
		if inserted {
			rep.Notices++
			if e.obs != nil {
				*enqueued = append(*enqueued, n.Kind)
			}
		}
	}
	if res.Audit != "" {
		next := c
		next.Version++
		entry := AuditEntry{CaseID: c.ID, Seq: next.Version, At: now, Kind: AuditTimer, ActorID: systemActorID, Roles: []Role{RoleSystem},
			Event: res.Audit, From: c.State, To: c.State}
		if res.Document != "" {
			entry.Payload = json.RawMessage(`{"kind":` + strconv.Quote(res.Document) + `}`)
		}
		if err := tx.UpdateCase(ctx, next, c.Version); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, entry); err != nil {
			return err
		}
	}
	if err := runWrites(ctx, tx, res.Writes); err != nil {
		return err
	}
	rep.Handled++
	return nil
}
