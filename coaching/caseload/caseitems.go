package caseload

import (
	"context"
	"fmt"
	"slices"

	"github.com/valmennus/valmennus/coaching"
)

// CaseItemsQuery selects one case's planned items for
// [Service.CaseItems]. From and To are inclusive civil dates of the
// items' On; a zero one leaves that end open. Statuses defaults to every
// status (planned, held, cancelled). Limit is how many items at most (0:
// 100; at most [MaxLimit]).
type CaseItemsQuery struct {
	From, To coaching.Date
	Statuses []PlannedStatus
	Limit    int
}

// CaseItems returns case id's planned items matching q, by date (On, then
// id), if the policy lets actor read the case (read_case; another
// organisation's case is the engine's concealed refusal, as for a case
// that does not exist). It is a case page's list, where [Service.Agenda]
// is an actor's own.
//
// What an item shows depends on who asks, as the coaching sessions do:
//   - An item owned by welfare staff (a curator, psychologist or nurse)
//     is welfare information: it is listed only to its owner and to those
//     the policy allows read_welfare on the case (access-logged).
//   - A staff member sees, of an item planned for several cases (a group
//     session), only the cases the policy lets them read; the others are
//     left out of the item, never named.
//   - A student or a guardian who may read the case sees when and what
//     kind of item was planned and whether it was held, but neither its
//     title nor a cancellation's reason (the staff's working words, as a
//     contact's note is), and no case but this one.
func (s *Service) CaseItems(ctx context.Context, actor coaching.Actor, id coaching.CaseID, q CaseItemsQuery) ([]Planned, error) {
	var pr []coaching.FieldProblem
	if id == "" {
		pr = append(pr, coaching.FieldProblem{Field: "case", Message: "required"})
	}
	for _, f := range []struct {
		name string
		d    coaching.Date
	}{{"from", q.From}, {"to", q.To}} {
		if !f.d.IsZero() && !f.d.Valid() {
			pr = append(pr, coaching.FieldProblem{Field: f.name, Message: "not a calendar date"})
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
		pr = append(pr, coaching.FieldProblem{Field: "from", Message: "is after to"})
	}
	statuses := q.Statuses
	if len(statuses) == 0 {
		statuses = []PlannedStatus{PlannedOpen, PlannedHeld, PlannedCancelled}
	}
	for i, st := range statuses {
		if !slices.Contains([]PlannedStatus{PlannedOpen, PlannedHeld, PlannedCancelled}, st) {
			pr = append(pr, coaching.FieldProblem{Field: fmt.Sprintf("statuses[%d]", i), Message: fmt.Sprintf("unknown status %q", st)})
		}
	}
	limit, lp := listLimit(q.Limit)
	if lp != nil {
		pr = append(pr, *lp)
	}
	if err := problemsErr("case items", pr); err != nil {
		return nil, err
	}
	out := []Planned{}
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpReadCase, id)
		if err != nil {
			return err
		}
		rd, err := readPort(sc)
		if err != nil {
			return err
		}
		staff := isStaff(actor)
		cases := map[coaching.CaseID]*seen{c.ID: {c: c, read: true, welfare: -1}}
		pq := PlannedQuery{Organisation: c.Organisation, CaseID: id, Statuses: statuses, From: q.From, To: q.To, Limit: limit + 1}
		for range maxFetches {
			batch, err := rd.PlannedItems(ctx, pq)
			if err != nil {
				return err
			}
			for _, p := range batch {
				pq.After = p.ID
				ok, err := s.caseItem(sc, cases, c, &p, staff)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				out = append(out, p)
				if len(out) == limit {
					return nil
				}
			}
			if len(batch) < pq.Limit {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// caseItem decides whether the scope's actor sees planned item p of case
// c and trims it to what they may see (see [Service.CaseItems]).
func (s *Service) caseItem(sc *coaching.Scope, cases map[coaching.CaseID]*seen, c coaching.Case, p *Planned, staff bool) (bool, error) {
	actor := sc.Actor()
	if p.Owner.Role.IsWelfare() && p.Owner.ActorID != actor.ID {
		v := cases[c.ID]
		if v.welfare < 0 {
			ok, err := sc.Reveal(coaching.OpReadWelfare, c, "caseload_case_items")
			if err != nil {
				return false, err
			}
			v.welfare = 0
			if ok {
				v.welfare = 1
			}
		}
		if v.welfare == 0 {
			return false, nil
		}
	}
	if !staff {
		p.Cases = []coaching.CaseID{c.ID}
		p.Title, p.Reason = "", ""
		return true, nil
	}
	keep := p.Cases[:0:0]
	for _, id := range p.Cases {
		v, err := readable(sc, cases, id)
		if err != nil {
			return false, err
		}
		if v.read {
			keep = append(keep, id)
		}
	}
	p.Cases = keep
	return true, nil
}
