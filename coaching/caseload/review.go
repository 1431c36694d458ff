package caseload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// ReviewResult says what one [Service.Review] did.
type ReviewResult struct {
	// Raised are the alerts raised; Resolved those resolved because their
	// condition no longer holds.
	Raised   []Alert
	Resolved []Alert
}

// reviewPage is how many summaries, alerts or planned items Review reads
// at a time.
const reviewPage = 500

// want is a cause Review found on a case.
type want struct {
	id    coaching.CaseID
	in    AlertInput
	owner Owner // a planned item's owner
}

// Review is the nightly system job (run with the key the host gave the
// engine, coaching.Options.SystemKey, under the rule [RuleReview]): it
// raises alerts for the open cases whose phase is overdue (one per phase
// entry), for each early-warning flag raised (one per rule) and for the
// planned items still planned Options.PlannedGrace days after their date
// (one per item and case), and resolves — by "system", reason "cleared" —
// the active phase_overdue and early_warning alerts whose condition no
// longer holds. A cause whose alert was dismissed, or resolved by a
// person, is not raised again; running it twice raises nothing new. Each
// alert is raised or resolved in a transaction of its own. Like Tick, it
// runs its own transactions: not on a service over a bound engine.
func (s *Service) Review(ctx context.Context, key *coaching.SystemKey) (ReviewResult, error) {
	var res ReviewResult
	sys, actor, err := s.eng.System(key, RuleReview)
	if err != nil {
		return res, err
	}
	orgs, err := organisations(ctx, sys, actor)
	if err != nil {
		return res, err
	}
	for _, org := range orgs {
		wants, stale, err := s.survey(ctx, sys, actor, org)
		if err != nil {
			return res, err
		}
		for _, w := range wants {
			err := sys.Write(ctx, actor, func(sc *coaching.Scope) error {
				c, err := sc.Case(coaching.OpChangeCase, w.id)
				if errors.Is(err, coaching.ErrNotFound) {
					return nil
				}
				if err != nil {
					return err
				}
				st, err := writePort(sc)
				if err != nil {
					return err
				}
				if done, err := handled(ctx, st, w.id, w.in.Cause); err != nil || done {
					return err
				}
				a, added, err := s.raiseIn(sc, c, w.in, w.owner)
				if added {
					res.Raised = append(res.Raised, a)
				}
				return err
			})
			if err != nil {
				return res, err
			}
		}
		for _, a := range stale {
			err := sys.Write(ctx, actor, func(sc *coaching.Scope) error {
				st, err := writePort(sc)
				if err != nil {
					return err
				}
				cur, err := st.Alert(ctx, a.ID)
				if errors.Is(err, coaching.ErrNotFound) {
					return nil
				}
				if err != nil || !cur.Active() {
					return err
				}
				c, err := sc.Case(coaching.OpChangeCase, cur.CaseID)
				if err != nil {
					return err
				}
				done, err := s.updateIn(sc, c, cur, cur.Version, "resolve", func(n *Alert, now time.Time) error {
					n.ClosedAt, n.ClosedBy, n.Reason = now, actor.ID, "cleared"
					return nil
				})
				if err == nil {
					res.Resolved = append(res.Resolved, done)
				}
				return err
			})
			if err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// organisations lists the organisations with open cases.
func organisations(ctx context.Context, sys *coaching.Engine, actor coaching.Actor) ([]coaching.OrganisationID, error) {
	src, err := sys.Figures(ctx, actor, coaching.CaseQuery{OpenOnly: true})
	if err != nil {
		return nil, err
	}
	var orgs []coaching.OrganisationID
	for row, err := range src.Rows(ctx) {
		if err != nil {
			return nil, err
		}
		if o := row.Case.Organisation; o != "" && !slices.Contains(orgs, o) {
			orgs = append(orgs, o)
		}
	}
	slices.Sort(orgs)
	return orgs, nil
}

// survey reads, for org, the causes its open cases have now and the
// active phase_overdue / early_warning alerts whose cause is gone.
func (s *Service) survey(ctx context.Context, sys *coaching.Engine, actor coaching.Actor, org coaching.OrganisationID) ([]want, []Alert, error) {
	var (
		wants []want
		stale []Alert
	)
	err := sys.Read(ctx, actor, func(sc *coaching.Scope) error {
		rd, err := readPort(sc)
		if err != nil {
			return err
		}
		now := sc.Now().Truncate(time.Microsecond) // see Filter.Now
		holds := map[coaching.CaseID][]Cause{}
		f := Filter{Organisation: org, Status: StatusOpen, Sort: SortOpened, Now: now, Limit: reviewPage}
		for {
			batch, err := rd.Summaries(ctx, f)
			if err != nil {
				return err
			}
			for _, sm := range batch {
				k := KeyOf(sm, f.Sort, now)
				f.After = &k
				var causes []Cause
				add := func(c Cause, title string) {
					causes = append(causes, c)
					wants = append(wants, want{id: sm.CaseID, in: AlertInput{Cause: c, Title: title}})
				}
				if sm.Overdue(now) {
					add(Cause{Kind: CausePhaseOverdue, Key: sm.Phase.State + "@" + strconv.FormatInt(sm.Phase.EntrySeq, 10)},
						titleOf(CausePhaseOverdue, sm.State))
				}
				for _, fl := range sm.Flags {
					add(Cause{Kind: CauseEarlyWarning, Key: fl.Rule + "@" + strconv.FormatInt(fl.Seq, 10)},
						titleOf(CauseEarlyWarning, sm.State)+": "+fl.Rule)
				}
				holds[sm.CaseID] = causes
			}
			if len(batch) < f.Limit {
				break
			}
		}
		q := AlertQuery{Organisation: org, Kinds: []CauseKind{CausePhaseOverdue, CauseEarlyWarning},
			Statuses: []AlertStatus{AlertOpen, AlertAcknowledged}, Limit: reviewPage}
		for {
			batch, err := rd.Alerts(ctx, q)
			if err != nil {
				return err
			}
			for _, a := range batch {
				q.After = a.ID
				if !slices.Contains(holds[a.CaseID], a.Cause) {
					stale = append(stale, a)
				}
			}
			if len(batch) < q.Limit {
				break
			}
		}
		pq := PlannedQuery{Organisation: org, Statuses: []PlannedStatus{PlannedOpen}, To: coaching.DateOf(now).AddDays(-s.grace - 1), Limit: reviewPage}
		for {
			batch, err := rd.PlannedItems(ctx, pq)
			if err != nil {
				return err
			}
			for _, p := range batch {
				pq.After = p.ID
				for _, id := range p.Cases {
					wants = append(wants, want{id: id, owner: p.Owner,
						in: AlertInput{Cause: Cause{Kind: CausePlannedOverdue, Key: p.ID}, Title: titleOf(CausePlannedOverdue, "")}})
				}
			}
			if len(batch) < pq.Limit {
				break
			}
		}
		return nil
	})
	return wants, stale, err
}

// handled reports whether cause on case id has an alert Review must not
// raise again: an active one, a dismissed one, or one a person resolved.
func handled(ctx context.Context, rd Reader, id coaching.CaseID, cause Cause) (bool, error) {
	as, err := rd.Alerts(ctx, AlertQuery{CaseID: id, Kinds: []CauseKind{cause.Kind},
		Statuses: []AlertStatus{AlertOpen, AlertAcknowledged, AlertResolved, AlertDismissed}})
	if err != nil {
		return false, err
	}
	for _, a := range as {
		if a.Cause == cause && (a.Active() || a.Status == AlertDismissed || a.ClosedBy != systemID) {
			return true, nil
		}
	}
	return false, nil
}

// systemID is the engine's own actor's id (coaching.Engine.System).
const systemID = "system"

// AlertOnTimer wraps the handler h of a timer kind (a referral's
// follow-up, a pathway checkpoint) so that when the timer fires and h
// handles it (returns notices or an audit entry: a timer h finds stale
// raises nothing), an alert of kind is raised on the case in the same
// transaction, for cause(timer) — a referral follow-up's alert is a
// welfare alert — owned by the default owner (DefaultOwnerRoles). An
// active alert for the same cause is not duplicated. The alert is written
// through TimerResult.Writes; the timer's own audit entry records it (when
// h writes none, one named "caseload_alert" is added).
func AlertOnTimer(kind CauseKind, h coaching.TimerHandler, cause func(coaching.Timer) Cause) coaching.TimerHandler {
	roles := DefaultOwnerRoles()
	return coaching.TimerHandlerFunc(func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, t coaching.Timer, now time.Time) (coaching.TimerResult, error) {
		if h == nil || cause == nil {
			return coaching.TimerResult{}, errors.New("caseload: AlertOnTimer: handler and cause are required")
		}
		res, err := h.HandleTimer(ctx, tx, c, t, now)
		if err != nil || (len(res.Notices) == 0 && res.Audit == "") {
			return res, err
		}
		cs := cause(t)
		cs.Kind = kind
		if cs.Key == "" {
			cs.Key = t.Key
		}
		cs = causeOf(cs, kind == CauseReferralFollowUp)
		a := Alert{ID: newAlertID(), CaseID: c.ID, Organisation: c.Organisation, Cause: cs, Title: titleOf(kind, c.State),
			Welfare: kind == CauseReferralFollowUp, Owner: ownerFor(roles, c.Team, kind, coaching.Actor{}, Owner{}, kind == CauseReferralFollowUp),
			Status: AlertOpen, Due: coaching.DateOf(now).AddDays(7), RaisedAt: now, RaisedBy: systemID, Version: 1}
		if res.Audit == "" {
			res.Audit = "caseload_alert"
		}
		res.Writes = append(res.Writes, func(ctx context.Context, tx coaching.Tx) error {
			st, ok := tx.(Store)
			if !ok {
				return errNoPort
			}
			if _, ok, err := activeFor(ctx, st, a.CaseID, a.Cause); err != nil || ok {
				return err
			}
			return st.PutAlert(ctx, a)
		})
		return res, nil
	})
}

// newAlertID is an id for an alert raised outside a scope (a timer's).
func newAlertID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
