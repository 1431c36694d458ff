package caseload

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// alertMachine is an alert's life: open → acknowledged → resolved or
// dismissed; open may go straight to either.
var alertMachine = coaching.MustMachine(string(AlertOpen), []coaching.Edge{
	{Event: "acknowledge", From: []string{string(AlertOpen)}, To: string(AlertAcknowledged)},
	{Event: "resolve", From: []string{string(AlertOpen), string(AlertAcknowledged)}, To: string(AlertResolved)},
	{Event: "dismiss", From: []string{string(AlertOpen), string(AlertAcknowledged)}, To: string(AlertDismissed)},
})

// AlertDiagram renders the alert state machine as Mermaid.
func AlertDiagram() string { return alertMachine.Mermaid() }

// AlertInput is an alert to raise.
type AlertInput struct {
	// Cause is what the alert is about; a zero Kind is a manual alert
	// (its key is the alert's id).
	Cause Cause `json:"cause"`
	// Title is short and non-confidential; empty: a title from the cause.
	Title string `json:"title,omitempty"`
	// Welfare makes the alert visible only to those the policy allows
	// read_welfare on the case; a referral follow-up always is.
	Welfare bool `json:"welfare,omitempty"`
	// Owner: zero is the default owner (Options.OwnerRoles); else a
	// member of the case's team in that role.
	Owner Owner `json:"owner,omitzero"`
	// Due: zero is Options.AlertDueDays from today.
	Due coaching.Date `json:"due,omitzero"`
}

// Raise raises an alert on case id, if the policy lets actor change the
// case (change_case; a welfare alert also needs read_welfare). An active
// alert for the same cause is returned instead of a duplicate, with false.
// The raise is audited on the case (the alert's id and cause kind only).
func (s *Service) Raise(ctx context.Context, actor coaching.Actor, id coaching.CaseID, in AlertInput) (Alert, bool, error) {
	var (
		out   Alert
		added bool
	)
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		c, err := sc.Case(coaching.OpChangeCase, id)
		if err != nil {
			return err
		}
		if in.Cause.Kind == CauseReferralFollowUp {
			in.Welfare = true
		}
		if in.Welfare && !sc.MayRead(coaching.OpReadWelfare, c) {
			return sc.Deny(coaching.OpReadWelfare, RuleWelfareAlert, "a welfare alert is raised by those who may read the case's welfare information")
		}
		out, added, err = s.raiseIn(sc, c, in, Owner{})
		return err
	})
	var dup *coaching.DuplicateError
	if errors.As(err, &dup) && dup.Kind == "alert" && dup.ID != "" {
		// Raised meanwhile: the store refused the duplicate.
		a, gerr := s.alert(ctx, actor, dup.ID)
		if gerr == nil {
			return a, false, nil
		}
	}
	if err != nil {
		return Alert{}, false, err
	}
	return out, added, nil
}

// raiseIn raises an alert on c in the scope's transaction; planned is the
// owner of a planned_overdue alert.
func (s *Service) raiseIn(sc *coaching.Scope, c coaching.Case, in AlertInput, planned Owner) (Alert, bool, error) {
	st, err := writePort(sc)
	if err != nil {
		return Alert{}, false, err
	}
	ctx, now := ctxOf(sc), sc.Now()
	a := Alert{ID: sc.NewID(), CaseID: c.ID, Organisation: c.Organisation, Cause: in.Cause, Title: strings.TrimSpace(in.Title),
		Welfare: in.Welfare || in.Cause.Kind == CauseReferralFollowUp, Owner: in.Owner, Status: AlertOpen, Due: in.Due,
		RaisedAt: now, RaisedBy: sc.Actor().ID, Version: 1}
	var pr []coaching.FieldProblem
	switch a.Cause.Kind {
	case "":
		a.Cause.Kind = CauseManual
		fallthrough
	case CauseManual:
		if a.Cause.Key == "" {
			a.Cause.Key = a.ID
		}
	case CausePhaseOverdue, CauseEarlyWarning, CauseReferralFollowUp, CauseCheckpointDue, CausePlannedOverdue:
		if strings.TrimSpace(a.Cause.Key) == "" {
			pr = append(pr, coaching.FieldProblem{Field: "cause.key", Message: "required"})
		}
	default:
		pr = append(pr, coaching.FieldProblem{Field: "cause.kind", Message: fmt.Sprintf("unknown cause %q", a.Cause.Kind)})
	}
	pr = append(pr, coaching.TextProblems("cause.key", a.Cause.Key, 200, false)...)
	if !a.Welfare && strings.HasPrefix(a.Cause.Key, welfareKey) {
		pr = append(pr, coaching.FieldProblem{Field: "cause.key", Message: "the prefix " + welfareKey + " is kept for welfare alerts"})
	}
	a.Cause = causeOf(a.Cause, a.Welfare)
	if a.Title == "" {
		a.Title = titleOf(a.Cause.Kind, c.State)
	}
	pr = append(pr, coaching.TextProblems("title", a.Title, 200, false)...)
	if a.Due.IsZero() {
		a.Due = coaching.DateOf(now).AddDays(s.due)
	} else if !a.Due.Valid() {
		pr = append(pr, coaching.FieldProblem{Field: "due", Message: "not a calendar date"})
	}
	switch {
	case a.Owner == (Owner{}):
		a.Owner = s.defaultOwner(c.Team, a.Cause.Kind, sc.Actor(), planned, a.Welfare)
	case !onTeam(c.Team, a.Owner):
		pr = append(pr, coaching.FieldProblem{Field: "owner", Message: fmt.Sprintf("%s is not on the case's team as %s", a.Owner.ActorID, a.Owner.Role)})
	case a.Welfare && !a.Owner.Role.IsWelfare():
		pr = append(pr, coaching.FieldProblem{Field: "owner", Message: "a welfare alert is owned by a welfare role (curator, psychologist, nurse)"})
	}
	if err := problemsErr("alert", pr); err != nil {
		return Alert{}, false, err
	}
	if old, ok, err := activeFor(ctx, st, c.ID, a.Cause); err != nil || ok {
		return old, false, err
	}
	err = change(sc, c.ID, "alert_raised", auditPayload{Alert: a.ID, Kind: string(a.Cause.Kind), Status: string(a.Status), Owner: a.Owner.ActorID}, a.Welfare,
		func(st Store) error { return st.PutAlert(ctx, a) })
	if err != nil {
		return Alert{}, false, err
	}
	return a, true, nil
}

// welfareKey begins the cause key of every welfare alert, so that a welfare
// alert and any other never share a cause: raising a cause that only a
// welfare alert holds would otherwise hand that alert, or its id in a
// duplicate error, to an actor who may not know of it.
const welfareKey = "welfare:"

// causeOf is cause as a welfare alert's or another's.
func causeOf(c Cause, welfare bool) Cause {
	if welfare && !strings.HasPrefix(c.Key, welfareKey) {
		c.Key = welfareKey + c.Key
	}
	return c
}

// activeFor returns case id's active alert for cause, if any.
func activeFor(ctx context.Context, rd Reader, id coaching.CaseID, cause Cause) (Alert, bool, error) {
	as, err := rd.Alerts(ctx, AlertQuery{CaseID: id, Kinds: []CauseKind{cause.Kind}, Statuses: []AlertStatus{AlertOpen, AlertAcknowledged}})
	if err != nil {
		return Alert{}, false, err
	}
	for _, a := range as {
		if a.Cause == cause {
			return a, true, nil
		}
	}
	return Alert{}, false, nil
}

// defaultOwner picks an alert's owner on team.
func (s *Service) defaultOwner(team []coaching.TeamMember, kind CauseKind, actor coaching.Actor, planned Owner, welfare bool) Owner {
	return ownerFor(s.roles, team, kind, actor, planned, welfare)
}

func ownerFor(roles map[CauseKind][]coaching.Role, team []coaching.TeamMember, kind CauseKind, actor coaching.Actor, planned Owner, welfare bool) Owner {
	if welfare {
		// Only someone who may see a welfare alert owns it: the cause's
		// welfare roles in order, else any welfare role on the team, else
		// no one (an unowned alert the welfare roles see in Alerts).
		var wr []coaching.Role
		for _, r := range roles[kind] {
			if r.IsWelfare() {
				wr = append(wr, r)
			}
		}
		if o, ok := firstWithRole(team, wr); ok {
			return o
		}
		for _, m := range team {
			if m.Role.IsWelfare() {
				return Owner{ActorID: m.ActorID, Role: m.Role}
			}
		}
		return Owner{}
	}
	if kind == CausePlannedOverdue && planned != (Owner{}) {
		return planned
	}
	if kind == CauseManual {
		if rs := rolesOn(team, actor.ID); len(rs) > 0 {
			return Owner{ActorID: actor.ID, Role: rs[0]}
		}
	}
	if o, ok := firstWithRole(team, roles[kind]); ok {
		return o
	}
	for _, m := range team {
		if m.Role.IsStaff() {
			return Owner{ActorID: m.ActorID, Role: m.Role}
		}
	}
	return Owner{}
}

// titleOf is a cause's default title: never welfare details.
func titleOf(kind CauseKind, state string) string {
	switch kind {
	case CausePhaseOverdue:
		return "Phase overdue: " + state
	case CauseEarlyWarning:
		return "Early warning"
	case CauseReferralFollowUp:
		return "Referral follow-up due"
	case CauseCheckpointDue:
		return "Follow-up checkpoint due"
	case CausePlannedOverdue:
		return "Planned item overdue"
	}
	return "Alert"
}

// Acknowledge marks alert id taken on by actor.
func (s *Service) Acknowledge(ctx context.Context, actor coaching.Actor, id string, version int64) (Alert, error) {
	return s.update(ctx, actor, id, version, "acknowledge", func(a *Alert, now time.Time) error {
		a.AcknowledgedAt, a.AcknowledgedBy = now, actor.ID
		return nil
	})
}

// Resolve closes alert id with the action taken.
func (s *Service) Resolve(ctx context.Context, actor coaching.Actor, id string, version int64, action Action) (Alert, error) {
	return s.update(ctx, actor, id, version, "resolve", func(a *Alert, now time.Time) error {
		var pr []coaching.FieldProblem
		switch action.Kind {
		case ActionSession, ActionReferral, ActionGuardianContact, ActionNote:
		default:
			pr = append(pr, coaching.FieldProblem{Field: "action.kind", Message: fmt.Sprintf("must be session, referral, guardian_contact or note, got %q", action.Kind)})
		}
		pr = append(pr, coaching.TextProblems("action.ref", action.Ref, 200, false)...)
		pr = append(pr, coaching.TextProblems("action.note", action.Note, 500, false)...)
		if err := problemsErr("alert", pr); err != nil {
			return err
		}
		a.ClosedAt, a.ClosedBy, a.Action = now, actor.ID, &action
		return nil
	})
}

// Dismiss closes alert id without action; the reason is required.
func (s *Service) Dismiss(ctx context.Context, actor coaching.Actor, id string, version int64, reason string) (Alert, error) {
	return s.update(ctx, actor, id, version, "dismiss", func(a *Alert, now time.Time) error {
		pr := coaching.TextProblems("reason", reason, 500, false)
		if strings.TrimSpace(reason) == "" {
			pr = append(pr, coaching.FieldProblem{Field: "reason", Message: "required to dismiss an alert"})
		}
		if err := problemsErr("alert", pr); err != nil {
			return err
		}
		a.ClosedAt, a.ClosedBy, a.Reason = now, actor.ID, strings.TrimSpace(reason)
		return nil
	})
}

// Reassign gives active alert id to another member of its case's team (a
// welfare alert: to a welfare role).
func (s *Service) Reassign(ctx context.Context, actor coaching.Actor, id string, version int64, to Owner) (Alert, error) {
	return s.update(ctx, actor, id, version, "reassign", func(a *Alert, _ time.Time) error {
		a.Owner = to
		return nil
	})
}

// update changes alert id at version by event under the policy, audited.
func (s *Service) update(ctx context.Context, actor coaching.Actor, id string, version int64, event string, fn func(a *Alert, now time.Time) error) (Alert, error) {
	var out Alert
	err := s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
		st, err := writePort(sc)
		if err != nil {
			return err
		}
		a, err := st.Alert(ctx, id)
		if err != nil {
			return err
		}
		c, err := sc.Case(coaching.OpChangeCase, a.CaseID)
		if err != nil {
			return err
		}
		if a.Welfare && !sc.MayRead(coaching.OpReadWelfare, c) {
			return sc.Deny(coaching.OpReadWelfare, RuleWelfareAlert, "a welfare alert is handled by those who may read the case's welfare information")
		}
		out, err = s.updateIn(sc, c, a, version, event, fn)
		return err
	})
	if err != nil {
		return Alert{}, err
	}
	return out, nil
}

// updateIn applies event to alert a of case c in the scope.
func (s *Service) updateIn(sc *coaching.Scope, c coaching.Case, a Alert, version int64, event string, fn func(a *Alert, now time.Time) error) (Alert, error) {
	ctx := ctxOf(sc)
	if version != a.Version {
		return Alert{}, &coaching.ConflictError{CaseID: a.CaseID, Subject: "alert " + a.ID, Expected: version, Current: a.Version}
	}
	if event == "reassign" {
		if !a.Active() {
			return Alert{}, &coaching.TransitionError{Event: event, State: string(a.Status)}
		}
	} else {
		to, err := alertMachine.Fire(ctx, string(a.Status), event, nil)
		if err != nil {
			return Alert{}, err
		}
		a.Status = AlertStatus(to)
	}
	next := a
	if err := fn(&next, sc.Now()); err != nil {
		return Alert{}, err
	}
	if event == "reassign" {
		switch {
		case !onTeam(c.Team, next.Owner):
			return Alert{}, invalid("alert", "owner", "%s is not on the case's team as %s", next.Owner.ActorID, next.Owner.Role)
		case next.Welfare && !next.Owner.Role.IsWelfare():
			return Alert{}, invalid("alert", "owner", "a welfare alert is owned by a welfare role, not %s", next.Owner.Role)
		}
	}
	next.Version = version + 1
	err := change(sc, a.CaseID, "alert_"+event, auditPayload{Alert: a.ID, Kind: string(a.Cause.Kind), Status: string(next.Status), Owner: next.Owner.ActorID}, a.Welfare,
		func(st Store) error { return st.UpdateAlert(ctx, next, version) })
	if err != nil {
		return Alert{}, err
	}
	return next, nil
}

// alert reads one alert for actor under the policy.
func (s *Service) alert(ctx context.Context, actor coaching.Actor, id string) (Alert, error) {
	var out Alert
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		rd, err := readPort(sc)
		if err != nil {
			return err
		}
		a, err := rd.Alert(ctx, id)
		if err != nil {
			return err
		}
		c, err := sc.Case(coaching.OpReadCase, a.CaseID)
		if err != nil {
			return err
		}
		if !isStaff(actor) {
			return &coaching.NotFoundError{Kind: "alert", ID: id}
		}
		if a.Welfare {
			ok, err := sc.Reveal(coaching.OpReadWelfare, c, "caseload_alert")
			if err != nil {
				return err
			}
			if !ok {
				return &coaching.NotFoundError{Kind: "alert", ID: id}
			}
		}
		out = a
		return nil
	})
	return out, err
}

// Alert returns alert id, if the policy lets actor read its case (a
// welfare alert: read_welfare, logged).
func (s *Service) Alert(ctx context.Context, actor coaching.Actor, id string) (Alert, error) {
	return s.alert(ctx, actor, id)
}

// Alerts returns a page of the alerts matching q that actor may see, by
// id: those on cases the policy lets actor read (alerts are staff work: a
// student or a guardian sees none), and welfare alerts only where it
// allows read_welfare (each such read is access-logged). Defaults: the
// actor's organisation, active alerts, 100 at most (500 at most). The
// next page is q with After set to the page's Next; an empty Next means
// the list ended.
func (s *Service) Alerts(ctx context.Context, actor coaching.Actor, q AlertQuery) (AlertPage, error) {
	if q.Organisation == "" {
		q.Organisation = actor.Organisation
	}
	if len(q.Statuses) == 0 {
		q.Statuses = []AlertStatus{AlertOpen, AlertAcknowledged}
	}
	var pr []coaching.FieldProblem
	for i, st := range q.Statuses {
		if !slices.Contains([]AlertStatus{AlertOpen, AlertAcknowledged, AlertResolved, AlertDismissed}, st) {
			pr = append(pr, coaching.FieldProblem{Field: fmt.Sprintf("statuses[%d]", i), Message: fmt.Sprintf("unknown status %q", st)})
		}
	}
	for i, k := range q.Kinds {
		if !slices.Contains([]CauseKind{CausePhaseOverdue, CauseEarlyWarning, CauseReferralFollowUp, CauseCheckpointDue, CausePlannedOverdue, CauseManual}, k) {
			pr = append(pr, coaching.FieldProblem{Field: fmt.Sprintf("kinds[%d]", i), Message: fmt.Sprintf("unknown cause %q", k)})
		}
	}
	limit, lp := listLimit(q.Limit)
	if lp != nil {
		pr = append(pr, *lp)
	}
	if len(q.After) > 256 {
		pr = append(pr, coaching.FieldProblem{Field: "after", Message: "longer than an alert id"})
	}
	if err := problemsErr("alert query", pr); err != nil {
		return AlertPage{}, err
	}
	page := AlertPage{Alerts: []Alert{}}
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		rd, err := readPort(sc)
		if err != nil {
			return err
		}
		cases := map[coaching.CaseID]*seen{}
		q.Limit = limit + 1
		for range maxFetches {
			batch, err := rd.Alerts(ctx, q)
			if err != nil {
				return err
			}
			for i, a := range batch {
				q.After = a.ID
				ok, err := visible(sc, cases, a)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				page.Alerts = append(page.Alerts, a)
				if len(page.Alerts) == limit {
					if i < len(batch)-1 || len(batch) == q.Limit {
						page.Next = a.ID
					}
					return nil
				}
			}
			if len(batch) < q.Limit {
				return nil
			}
		}
		// The scan bound: more alerts may follow the last one read.
		page.Next = q.After
		return nil
	})
	if err != nil {
		return AlertPage{}, err
	}
	return page, nil
}

// MyAlerts is Alerts of the alerts actor owns (q.Owner = actor.ID):
// by default, the active ones.
func (s *Service) MyAlerts(ctx context.Context, actor coaching.Actor, q AlertQuery) (AlertPage, error) {
	q.Owner = actor.ID
	return s.Alerts(ctx, actor, q)
}

func isStaff(a coaching.Actor) bool { return slices.ContainsFunc(a.Roles, coaching.Role.IsStaff) }

// readable asks the policy (once per listing) whether the scope's actor
// may read case id; a case gone meanwhile is not readable.
func readable(sc *coaching.Scope, cases map[coaching.CaseID]*seen, id coaching.CaseID) (*seen, error) {
	if v, ok := cases[id]; ok {
		return v, nil
	}
	c, err := sc.ReadTx().Case(ctxOf(sc), id)
	if errors.Is(err, coaching.ErrNotFound) {
		v := &seen{}
		cases[id] = v
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	v := &seen{c: c, read: sc.MayRead(coaching.OpReadCase, c), welfare: -1}
	cases[id] = v
	return v, nil
}

// seen caches what the policy said of one case in a listing.
type seen struct {
	c       coaching.Case
	read    bool
	welfare int // -1 not asked yet, 0 no, 1 yes
}

// visible reports whether the scope's actor may see a. Alerts are staff
// work: students and guardians see none, even on a case they may read.
func visible(sc *coaching.Scope, cases map[coaching.CaseID]*seen, a Alert) (bool, error) {
	if !isStaff(sc.Actor()) {
		return false, nil
	}
	v, err := readable(sc, cases, a.CaseID)
	if err != nil {
		return false, err
	}
	if !v.read {
		return false, nil
	}
	if a.Welfare {
		if v.welfare < 0 {
			ok, err := sc.Reveal(coaching.OpReadWelfare, v.c, "caseload_alerts")
			if err != nil {
				return false, err
			}
			v.welfare = 0
			if ok {
				v.welfare = 1
			}
		}
		return v.welfare == 1, nil
	}
	return true, nil
}
