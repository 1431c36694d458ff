package absence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// ledger is the per-case document recording and reviewing read: the days
// of the pending requests and of the accepted ones not long past. It is
// bounded however many requests the case has had, so that recording reads
// one small document: at most MaxOpen pending requests, each lapsing
// coverKeep days after its last day, and the accepted ones whose last day
// is at most coverKeep days past, each starting at most MaxAhead days
// ahead — dropped by date on every write, and ignored by date when read.
type ledger struct {
	// Next numbers the case's requests: the last one is Next.
	Next    int     `json:"next"`
	Pending []entry `json:"pending,omitempty"`
	Covered []entry `json:"covered,omitempty"`
	// Keys are the idempotency keys of the case's last MaxKeys keyed
	// requests, oldest first: what a repeated Submit is recognised by
	// within the ledger's own transaction, so that two submissions at
	// once with one key record one request.
	Keys []keyed `json:"keys,omitempty"`
}

// keyed is one keyed request: its submitter's key.
type keyed struct {
	Key     string `json:"key"`
	By      string `json:"by"`
	Request string `json:"request"`
}

// keyed returns the request actor submitted with key ("" when none of the
// ledger's keys is theirs).
func (l *ledger) keyed(actor, key string) string {
	for _, k := range l.Keys {
		if k.Key == key && k.By == actor {
			return k.Request
		}
	}
	return ""
}

// remember records request r's key, keeping the last MaxKeys.
func (l *ledger) remember(r Request) {
	if r.Key == "" {
		return
	}
	l.Keys = append(l.Keys, keyed{Key: r.Key, By: r.SubmittedBy, Request: r.ID})
	if n := len(l.Keys) - MaxKeys; n > 0 {
		l.Keys = slices.Delete(l.Keys, 0, n)
	}
}

// entry is one request's days.
type entry struct {
	Request string        `json:"request"`
	From    coaching.Date `json:"from"`
	To      coaching.Date `json:"to"`
	Lessons []string      `json:"lessons,omitempty"`
	// Guardian: a pending request a guardian submitted (it lapses when the
	// student turns 18 without consent).
	Guardian bool                     `json:"guardian,omitempty"`
	Status   attendance.Status        `json:"status,omitempty"`
	Reason   attendance.AbsenceReason `json:"reason,omitempty"`
}

func entryOf(r Request) entry {
	e := entry{Request: r.ID, From: r.From, To: r.To, Lessons: r.Lessons}
	if r.Status.Open() {
		e.Guardian = r.SubmittedAs == coaching.RoleGuardian
	} else {
		e.Status, e.Reason = r.excuse()
	}
	return e
}

// readLedger reads a case's ledger and its version (0: none yet).
func readLedger(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID) (ledger, int64, error) {
	doc, err := tx.Document(ctx, id, ledgerKind, 0)
	if errors.Is(err, coaching.ErrNotFound) {
		return ledger{}, 0, nil
	}
	if err != nil {
		return ledger{}, 0, err
	}
	var l ledger
	if err := json.Unmarshal(doc.Data, &l); err != nil {
		return ledger{}, 0, fmt.Errorf("absence: the stored ledger of case %q does not decode: %w", id, err)
	}
	return l, doc.Version, nil
}

// settle moves request r's days in the ledger to where its status puts
// them: pending while submitted, covered once accepted or granted, gone
// otherwise — but an accepted request withdrawn once its days have begun
// still covers the days before today. Covered days past coverKeep are
// dropped.
func (l *ledger) settle(r Request, today coaching.Date) {
	drop := func(e entry) bool { return e.Request == r.ID }
	was := slices.IndexFunc(l.Covered, drop)
	var before entry
	if was >= 0 {
		before = l.Covered[was]
	}
	l.Pending = slices.DeleteFunc(l.Pending, drop)
	l.Covered = slices.DeleteFunc(l.Covered, drop)
	switch r.Status {
	case Submitted:
		l.Pending = append(l.Pending, entryOf(r))
	case Accepted, Granted:
		l.Covered = append(l.Covered, entryOf(r))
	case Withdrawn:
		if was >= 0 && before.From.Before(today) {
			before.To = minDate(before.To, today.AddDays(-1))
			l.Covered = append(l.Covered, before)
		}
	}
	l.prune(today)
}

// prune drops the covered days past coverKeep.
func (l *ledger) prune(today coaching.Date) {
	l.Covered = slices.DeleteFunc(l.Covered, func(e entry) bool { return e.To.AddDays(coverKeep).Before(today) })
}

// expired returns the pending requests whose last day is more than
// coverKeep days past: they lapse.
func (l *ledger) expired(today coaching.Date) []string {
	var out []string
	for _, e := range l.Pending {
		if e.To.AddDays(coverKeep).Before(today) {
			out = append(out, e.Request)
		}
	}
	return out
}

// illnessSpan returns the school days of an illness from..to together
// with the accepted illnesses of the ledger it overlaps or adjoins (no
// school day between them): what the rule of accepting a short illness at
// once counts, so that one long illness split into short reports is not
// accepted piece by piece.
func (l *ledger) illnessSpan(from, to coaching.Date) int {
	lo, hi := from, to
	used := make([]bool, len(l.Covered))
	for grown := true; grown; {
		grown = false
		for i, e := range l.Covered {
			if used[i] || e.Status != attendance.Sick {
				continue
			}
			if schoolDays(e.To.AddDays(1), lo.AddDays(-1)) == 0 && schoolDays(hi.AddDays(1), e.From.AddDays(-1)) == 0 {
				used[i], grown = true, true
				lo, hi = minDate(lo, e.From), maxDate(hi, e.To)
			}
		}
	}
	return schoolDays(lo, hi)
}

// saveLedger stores the ledger's next version, under op, by the scope's
// actor: one audit entry naming the request it changed for.
func saveLedger(sc *coaching.Scope, op coaching.Operation, id coaching.CaseID, l ledger, basedOn int64, requests string) error {
	data, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = sc.SaveDocumentAs(op, id, coaching.DocumentChange{Kind: ledgerKind, BasedOn: basedOn, Status: "current", Data: data,
		Event: "absence_days_updated", Reason: "the days of request " + requests})
	return err
}

// Excuses returns attendance's port to the requests' days, for
// attendance.Options.Excuses: the days of pending requests (their
// unexplained absences are not counted by the early-warning rule) and of
// accepted ones (an absence marked on them is recorded as sick, or
// explained with the request's reason category — leave for a leave). It
// reads the case's ledger only.
func Excuses() attendance.Excuses {
	return attendance.ExcusesFunc(func(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, from, to coaching.Date) ([]attendance.Excuse, error) {
		l, _, err := readLedger(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		var out []attendance.Excuse
		add := func(e entry, pending bool) {
			for d := maxDate(e.From, from); !d.After(e.To) && !d.After(to); d = d.AddDays(1) {
				x := attendance.Excuse{Date: d, Lessons: e.Lessons, Pending: pending}
				if !pending {
					x.Status, x.Reason = e.Status, e.Reason
				}
				out = append(out, x)
			}
		}
		for _, e := range l.Covered {
			add(e, false)
		}
		for _, e := range l.Pending {
			add(e, true)
		}
		return out, nil
	})
}

func minDate(a, b coaching.Date) coaching.Date {
	if a.Before(b) {
		return a
	}
	return b
}

func maxDate(a, b coaching.Date) coaching.Date {
	if a.After(b) {
		return a
	}
	return b
}
