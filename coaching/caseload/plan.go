package caseload

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/session"
)

// PlannedKinds lists the planned item kinds.
var PlannedKinds = []PlannedKind{PlanIndividualSession, PlanGroupSession, PlanGuardianMeeting, PlanHOKSDiscussion, PlanWorkplaceVisit, PlanDemonstration, PlanTask}

// maxPlannedCases bounds one planned item's cases (a group session).
const maxPlannedCases = 200

// Plan stores a planned item dated today or later, on cases the policy
// lets actor change (change_case). Its owner (zero: the actor, in the
// actor's first role on the first case's team) must be on every case's
// team. Audited on each case; an item owned by welfare staff is welfare
// information (see [Service.CaseItems]) and so is its audit entry.
func (s *Service) Plan(ctx context.Context, actor coaching.Actor, p Planned) (Planned, error) {
	var out Planned
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		now := sc.Now()
		p.Cases = slices.Clone(p.Cases)
		if p.ID == "" {
			p.ID = sc.NewID()
		}
		p.Title = strings.TrimSpace(p.Title)
		pr := coaching.TextProblems("id", p.ID, 200, false)
		if !slices.Contains(PlannedKinds, p.Kind) {
			pr = append(pr, coaching.FieldProblem{Field: "kind", Message: fmt.Sprintf("unknown planned kind %q", p.Kind)})
		}
		if p.Title == "" {
			pr = append(pr, coaching.FieldProblem{Field: "title", Message: "required"})
		}
		pr = append(pr, coaching.TextProblems("title", p.Title, 200, false)...)
		pr = append(pr, dateProblems(p.On, coaching.DateOf(now))...)
		if !p.Start.IsZero() && coaching.DateOf(p.Start) != p.On {
			pr = append(pr, coaching.FieldProblem{Field: "start", Message: "is not on the planned date (Helsinki time)"})
		}
		switch {
		case len(p.Cases) == 0:
			pr = append(pr, coaching.FieldProblem{Field: "cases", Message: "at least one case"})
		case len(p.Cases) > maxPlannedCases:
			pr = append(pr, coaching.FieldProblem{Field: "cases", Message: fmt.Sprintf("at most %d", maxPlannedCases)})
		case p.Kind == PlanIndividualSession && len(p.Cases) > 1:
			pr = append(pr, coaching.FieldProblem{Field: "cases", Message: "an individual session has one participant"})
		}
		for i, id := range p.Cases {
			if slices.Index(p.Cases, id) < i {
				pr = append(pr, coaching.FieldProblem{Field: fmt.Sprintf("cases[%d]", i), Message: "listed twice"})
			}
		}
		if err := problemsErr("planned", pr); err != nil {
			return err
		}
		cs, err := casesFor(sc, p.Cases)
		if err != nil {
			return err
		}
		if p.Owner == (Owner{}) {
			rs := rolesOn(cs[0].Team, actor.ID)
			if len(rs) == 0 {
				return invalid("planned", "owner", "required: %s is not on the team of case %s", actor.ID, cs[0].ID)
			}
			p.Owner = Owner{ActorID: actor.ID, Role: rs[0]}
		}
		for _, c := range cs {
			if !onTeam(c.Team, p.Owner) {
				return invalid("planned", "owner", "%s is not on the team of case %s as %s", p.Owner.ActorID, c.ID, p.Owner.Role)
			}
		}
		p.Organisation, p.Status, p.Moves, p.Session, p.Reason = actor.Organisation, PlannedOpen, 0, "", ""
		p.CreatedAt, p.CreatedBy, p.UpdatedAt, p.UpdatedBy, p.Version = now, actor.ID, now, actor.ID, 1
		for i, c := range cs {
			err := change(sc, c.ID, "planned", auditPayload{Planned: p.ID, Kind: string(p.Kind), Status: string(p.Status), On: p.On.String()}, p.Owner.Role.IsWelfare(), func(st Store) error {
				if i == 0 {
					return st.PutPlanned(ctx, p)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		out = p
		return nil
	})
	if err != nil {
		return Planned{}, err
	}
	return out, nil
}

// dateProblems checks a planned date (today or later) and its start.
func dateProblems(on, today coaching.Date) []coaching.FieldProblem {
	var pr []coaching.FieldProblem
	switch {
	case on.IsZero() || !on.Valid():
		pr = append(pr, coaching.FieldProblem{Field: "on", Message: "required: a calendar date"})
	case on.Before(today):
		pr = append(pr, coaching.FieldProblem{Field: "on", Message: "is in the past"})
	}
	return pr
}

// casesFor reads every case after the policy allowed change_case.
func casesFor(sc *coaching.Scope, ids []coaching.CaseID) ([]coaching.Case, error) {
	cs := make([]coaching.Case, 0, len(ids))
	for _, id := range ids {
		c, err := sc.Case(coaching.OpChangeCase, id)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// Move moves planned item id to another date (today or later).
func (s *Service) Move(ctx context.Context, actor coaching.Actor, id string, version int64, on coaching.Date) (Planned, error) {
	return s.updatePlanned(ctx, actor, id, version, "planned_moved", func(sc *coaching.Scope, p *Planned, _ []coaching.Case) error {
		if err := problemsErr("planned", dateProblems(on, coaching.DateOf(sc.Now()))); err != nil {
			return err
		}
		if !p.Start.IsZero() {
			// Keep the time of day on the new date.
			h, m, _ := p.Start.In(coaching.Helsinki).Clock()
			p.Start = on.At(h, m)
		}
		p.On = on
		p.Moves++
		return nil
	})
}

// Cancel cancels planned item id; the reason is required.
func (s *Service) Cancel(ctx context.Context, actor coaching.Actor, id string, version int64, reason string) (Planned, error) {
	return s.updatePlanned(ctx, actor, id, version, "planned_cancelled", func(_ *coaching.Scope, p *Planned, _ []coaching.Case) error {
		reason = strings.TrimSpace(reason)
		pr := coaching.TextProblems("reason", reason, 500, false)
		if reason == "" {
			pr = append(pr, coaching.FieldProblem{Field: "reason", Message: "required to cancel"})
		}
		if err := problemsErr("planned", pr); err != nil {
			return err
		}
		p.Status, p.Reason = PlannedCancelled, reason
		return nil
	})
}

// HeldSession is how a planned item was held.
type HeldSession struct {
	// On is the date it was held (zero: today); never in the future.
	On coaching.Date `json:"on,omitzero"`
	// Hours, Elements, PeerSupport and Topic are the recorded coaching
	// session's (session kinds only; Hours required there).
	Hours       decimal.Decimal           `json:"hours"`
	Elements    []session.ApproachElement `json:"elements,omitempty"`
	PeerSupport string                    `json:"peer_support,omitempty"`
	Topic       string                    `json:"topic,omitempty"`
	// Staff present (zero: the item's owner).
	Staff []session.Staff `json:"staff,omitempty"`
	// Note is the contacts' note (short, non-confidential).
	Note string `json:"note,omitempty"`
}

// Held marks planned item id held. A session kind becomes a recorded
// coaching session (session.RecordIn, in the same transaction); every
// held item logs a contact on each of its cases, a welfare contact
// (Contact.Welfare) when the item's owner or the actor is welfare staff on
// the case.
func (s *Service) Held(ctx context.Context, actor coaching.Actor, id string, version int64, h HeldSession) (Planned, error) {
	return s.updatePlanned(ctx, actor, id, version, "planned_held", func(sc *coaching.Scope, p *Planned, cs []coaching.Case) error {
		today := coaching.DateOf(sc.Now())
		on := h.On
		switch {
		case on.IsZero():
			on = today
		case !on.Valid():
			return invalid("held", "on", "not a calendar date")
		case on.After(today):
			return invalid("held", "on", "is in the future")
		}
		pr := coaching.TextProblems("note", h.Note, 500, false)
		if err := problemsErr("held", pr); err != nil {
			return err
		}
		p.Status = PlannedHeld
		if kind, ok := sessionKind(p.Kind); ok {
			staff := h.Staff
			if len(staff) == 0 {
				staff = []session.Staff{{ActorID: p.Owner.ActorID, Role: p.Owner.Role}}
			}
			se, err := session.RecordIn(sc, session.Session{Kind: kind, Date: on, Hours: h.Hours, Staff: staff, Cases: slices.Clone(p.Cases),
				Elements: h.Elements, PeerSupport: h.PeerSupport, Topic: h.Topic})
			if err != nil {
				return err
			}
			p.Session = se.ID
		}
		st, err := writePort(sc)
		if err != nil {
			return err
		}
		ck := contactKind(p.Kind)
		for _, c := range cs {
			ct := Contact{ID: sc.NewID(), CaseID: c.ID, Organisation: c.Organisation, Kind: ck, On: on,
				WithGuardian: p.Kind == PlanGuardianMeeting, Note: h.Note, At: sc.Now(), By: actor.ID,
				Welfare: p.Owner.Role.IsWelfare() || welfareOn(c.Team, actor.ID)}
			if err := st.PutContact(ctx, ct); err != nil {
				return err
			}
		}
		return nil
	})
}

func sessionKind(k PlannedKind) (session.Kind, bool) {
	switch k {
	case PlanIndividualSession:
		return session.Individual, true
	case PlanGroupSession:
		return session.Group, true
	}
	return "", false
}

func contactKind(k PlannedKind) ContactKind {
	switch k {
	case PlanIndividualSession, PlanGroupSession:
		return ContactSession
	case PlanGuardianMeeting:
		return ContactGuardianMeeting
	case PlanWorkplaceVisit:
		return ContactVisit
	}
	return ContactMeeting
}

// updatePlanned changes planned item id at version, audited on each case.
//
// Who may act on an item (hold, move or cancel it): the policy must allow
// the actor change_case on every case it lists; then its owner may, and so
// may a colleague standing in for an owner who is not welfare staff. An
// item owned by welfare staff is welfare information, listed only to its
// owner and to those allowed read_welfare (see [Service.CaseItems]): only
// they may act on it, and to anyone else it is a *coaching.NotFoundError,
// as an item that does not exist.
func (s *Service) updatePlanned(ctx context.Context, actor coaching.Actor, id string, version int64, event string,
	fn func(sc *coaching.Scope, p *Planned, cs []coaching.Case) error) (Planned, error) {
	var out Planned
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		st, err := writePort(sc)
		if err != nil {
			return err
		}
		p, err := st.PlannedItem(ctx, id)
		if err != nil {
			return err
		}
		cs, err := casesFor(sc, p.Cases)
		if err != nil {
			return err
		}
		if ok, err := welfareItemVisible(sc, p, cs, "caseload_planned"); err != nil || !ok {
			if err == nil {
				err = &coaching.NotFoundError{Kind: "planned", ID: p.ID}
			}
			return err
		}
		if version != p.Version {
			return &coaching.ConflictError{Subject: "planned " + p.ID, Expected: version, Current: p.Version}
		}
		if p.Status != PlannedOpen {
			return &coaching.TransitionError{Event: strings.TrimPrefix(event, "planned_"), State: string(p.Status)}
		}
		next := p
		next.Cases = slices.Clone(p.Cases)
		if err := fn(sc, &next, cs); err != nil {
			return err
		}
		next.UpdatedAt, next.UpdatedBy, next.Version = sc.Now(), actor.ID, version+1
		for i, c := range cs {
			err := change(sc, c.ID, event, auditPayload{Planned: p.ID, Kind: string(p.Kind), Status: string(next.Status), On: next.On.String(), Session: next.Session}, p.Owner.Role.IsWelfare(),
				func(st Store) error {
					if i == 0 {
						return st.UpdatePlanned(ctx, next, version)
					}
					return nil
				})
			if err != nil {
				return err
			}
		}
		out = next
		return nil
	})
	if err != nil {
		return Planned{}, err
	}
	return out, nil
}

// welfareItemVisible reports whether the scope's actor may see planned
// item p of cases cs (read by the scope): any item not owned by welfare
// staff, and a welfare-owned one by its owner or where the policy allows
// read_welfare on every case (each access-logged with subject).
func welfareItemVisible(sc *coaching.Scope, p Planned, cs []coaching.Case, subject string) (bool, error) {
	if !p.Owner.Role.IsWelfare() || p.Owner.ActorID == sc.Actor().ID {
		return true, nil
	}
	for _, c := range cs {
		ok, err := sc.Reveal(coaching.OpReadWelfare, c, subject)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// PlannedItem returns planned item id as actor may see it, for acting on
// it ([Service.Held], [Service.Move], [Service.Cancel]): staff only, if the
// policy lets actor read one of its cases at least, with only the cases
// it may read; a welfare-owned item only to its owner or where the policy
// allows read_welfare on those cases (access-logged). When actor may read
// none of its cases, the error is the policy's on the first, as for an
// alert (a *coaching.ForbiddenError, or the concealed not-found of another
// organisation's case); a student's or a guardian's asking, or a welfare
// item hidden from actor, is a *coaching.NotFoundError, as an item that
// does not exist.
func (s *Service) PlannedItem(ctx context.Context, actor coaching.Actor, id string) (Planned, error) {
	if id == "" {
		return Planned{}, invalid("planned", "id", "required")
	}
	var out Planned
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		rd, err := readPort(sc)
		if err != nil {
			return err
		}
		p, err := rd.PlannedItem(ctx, id)
		if err != nil {
			return err
		}
		notFound := &coaching.NotFoundError{Kind: "planned", ID: id}
		if !isStaff(actor) {
			return notFound
		}
		cases := map[coaching.CaseID]*seen{}
		var keep []coaching.CaseID
		var cs []coaching.Case
		for _, cid := range p.Cases {
			v, err := readable(sc, cases, cid)
			if err != nil {
				return err
			}
			if v.read {
				keep, cs = append(keep, cid), append(cs, v.c)
			}
		}
		if len(keep) == 0 {
			if len(p.Cases) > 0 {
				if _, err := sc.Case(coaching.OpReadCase, p.Cases[0]); err != nil {
					return err
				}
			}
			return notFound
		}
		ok, err := welfareItemVisible(sc, p, cs, "caseload_planned")
		if err != nil {
			return err
		}
		if !ok {
			return notFound
		}
		p.Cases, out = keep, p
		return nil
	})
	if err != nil {
		return Planned{}, err
	}
	return out, nil
}

// Agenda returns actor's own planned items dated from..to (inclusive), by
// date: a coach's week plan. Cases the policy no longer lets actor read
// are left out of each item, and an item with none is left out.
func (s *Service) Agenda(ctx context.Context, actor coaching.Actor, from, to coaching.Date) ([]Planned, error) {
	switch {
	case from.IsZero() || !from.Valid():
		return nil, invalid("agenda", "from", "required: a calendar date")
	case to.IsZero() || !to.Valid():
		return nil, invalid("agenda", "to", "required: a calendar date")
	case from.After(to):
		return nil, invalid("agenda", "from", "is after to")
	case from.AddDays(366).Before(to):
		return nil, invalid("agenda", "to", "at most a year after from")
	}
	out := []Planned{}
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		rd, err := readPort(sc)
		if err != nil {
			return err
		}
		items, err := rd.PlannedItems(ctx, PlannedQuery{Organisation: actor.Organisation, Owner: actor.ID, From: from, To: to})
		if err != nil {
			return err
		}
		cases := map[coaching.CaseID]*seen{}
		for _, p := range items {
			var keep []coaching.CaseID
			for _, id := range p.Cases {
				v, err := readable(sc, cases, id)
				if err != nil {
					return err
				}
				if v.read {
					keep = append(keep, id)
				}
			}
			if len(keep) > 0 {
				p.Cases = keep
				out = append(out, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ContactKinds lists the contact kinds.
var ContactKinds = []ContactKind{ContactSession, ContactPhone, ContactMessage, ContactMeeting, ContactGuardianMeeting, ContactVisit}

// LogContact logs a contact on its case (today or earlier), if the policy
// lets actor change the case; the case's last contact date moves with it.
// A contact by welfare staff on the case's team is a welfare contact
// (Contact.Welfare, which the caller may also set): welfare information.
func (s *Service) LogContact(ctx context.Context, actor coaching.Actor, c Contact) (Contact, error) {
	var out Contact
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		now := sc.Now()
		if c.ID == "" {
			c.ID = sc.NewID()
		}
		c.Note = strings.TrimSpace(c.Note)
		pr := coaching.TextProblems("id", c.ID, 200, false)
		if !slices.Contains(ContactKinds, c.Kind) {
			pr = append(pr, coaching.FieldProblem{Field: "kind", Message: fmt.Sprintf("unknown contact kind %q", c.Kind)})
		}
		switch {
		case c.On.IsZero():
			c.On = coaching.DateOf(now)
		case !c.On.Valid():
			pr = append(pr, coaching.FieldProblem{Field: "on", Message: "not a calendar date"})
		case c.On.After(coaching.DateOf(now)):
			pr = append(pr, coaching.FieldProblem{Field: "on", Message: "is in the future"})
		}
		pr = append(pr, coaching.TextProblems("note", c.Note, 500, false)...)
		if c.CaseID == "" {
			pr = append(pr, coaching.FieldProblem{Field: "case_id", Message: "required"})
		}
		if err := problemsErr("contact", pr); err != nil {
			return err
		}
		cs, err := sc.Case(coaching.OpChangeCase, c.CaseID)
		if err != nil {
			return err
		}
		c.Organisation, c.At, c.By = cs.Organisation, now, actor.ID
		c.Welfare = c.Welfare || welfareOn(cs.Team, actor.ID)
		err = change(sc, c.CaseID, "contact", auditPayload{Contact: c.ID, Kind: string(c.Kind), On: c.On.String()}, c.Welfare,
			func(st Store) error { return st.PutContact(ctx, c) })
		if err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return Contact{}, err
	}
	return out, nil
}

// Contacts returns case id's contacts, newest first, at most limit (0:
// 100; at most 500), if the policy lets actor read the case. Welfare
// contacts (Contact.Welfare) are left out unless the policy allows
// read_welfare on the case (asked once, access-logged), so a page may be
// shorter than the limit.
func (s *Service) Contacts(ctx context.Context, actor coaching.Actor, id coaching.CaseID, limit int) ([]Contact, error) {
	limit, lp := listLimit(limit)
	if lp != nil {
		return nil, problemsErr("contacts", []coaching.FieldProblem{*lp})
	}
	var out []Contact
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpReadCase, id)
		if err != nil {
			return err
		}
		rd, err := readPort(sc)
		if err != nil {
			return err
		}
		out, err = rd.Contacts(ctx, id, limit)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(out, func(ct Contact) bool { return ct.Welfare }) {
			ok, err := sc.Reveal(coaching.OpReadWelfare, c, "caseload_contacts")
			if err != nil {
				return err
			}
			if !ok {
				out = slices.DeleteFunc(out, func(ct Contact) bool { return ct.Welfare })
			}
		}
		// The notes are staff's working notes, which may touch on the
		// student's welfare: a student or a guardian who may read the
		// case sees when and how contact was made, not what was noted.
		if !isStaff(actor) {
			for i := range out {
				out[i].Note = ""
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
