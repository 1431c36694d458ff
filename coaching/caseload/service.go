package caseload

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/valmennus/valmennus/coaching"
)

// AuditCaseload is the audit kind of the caseload's changes on a case: an
// alert raised or changed, a planned item, a contact. Its payload names
// the alert, item or contact and its kind, never a title or a note (they
// may be welfare-related).
const AuditCaseload coaching.AuditKind = "caseload"

// RuleReview is the system rule under which [Service.Review] runs.
const RuleReview = "caseload_review"

// RuleWelfareAlert names the refusal of a welfare alert to an actor the
// policy does not allow the case's welfare information.
const RuleWelfareAlert = "caseload_welfare_alert"

// errNoPort: the engine's store keeps no caseload data.
var errNoPort = errors.New("caseload: the store does not keep caseload data (its transactions do not implement caseload.Store)")

// Options configure a [Service]; nil or zero fields take the defaults
// documented on each.
type Options struct {
	// OwnerRoles are, per cause kind, the team roles an alert's default
	// owner is looked for in, in order: the first team member holding
	// the first role found owns it. Kinds not given keep their defaults:
	// phase_overdue → coach, personal_tutor; early_warning →
	// personal_tutor, coach; referral_follow_up → curator, psychologist,
	// study_counsellor; checkpoint_due → coach, study_counsellor;
	// manual → the raising actor's own role on the team, else the
	// phase_overdue roles. A planned_overdue alert is owned by the item's
	// owner.
	OwnerRoles map[CauseKind][]coaching.Role
	// PlannedGrace is how many days a planned item may stay planned past
	// its date before Review raises a planned_overdue alert (default 3).
	PlannedGrace int
	// AlertDueDays is how many days after it is raised an alert is due
	// when its input sets no due date (default 7).
	AlertDueDays int
	// CursorKey is the secret List's cursors are signed with
	// (HMAC-SHA256), so that a cursor that was altered, or issued for
	// another query or to another actor, is refused. At least 32 bytes.
	// Default: a random key of the Service's own, so cursors do not carry
	// over a restart or to another instance; a host serving one API from
	// several processes gives them all the same key.
	CursorKey []byte
}

// minCursorKey is the shortest Options.CursorKey.
const minCursorKey = 32

// DefaultOwnerRoles returns the default owner roles by cause kind.
func DefaultOwnerRoles() map[CauseKind][]coaching.Role {
	return map[CauseKind][]coaching.Role{
		CausePhaseOverdue:     {coaching.RoleCoach, coaching.RolePersonalTutor},
		CauseEarlyWarning:     {coaching.RolePersonalTutor, coaching.RoleCoach},
		CauseReferralFollowUp: {coaching.RoleCurator, coaching.RolePsychologist, coaching.RoleStudyCounsellor},
		CauseCheckpointDue:    {coaching.RoleCoach, coaching.RoleStudyCounsellor},
		CauseManual:           {coaching.RoleCoach, coaching.RolePersonalTutor},
	}
}

// Service is the caseload feature over an engine: lists, alerts, planning
// and the contact log.
type Service struct {
	eng   *coaching.Engine
	roles map[CauseKind][]coaching.Role
	grace int
	due   int
	seal  sealer
}

// New returns the caseload of eng with opts (nil: the defaults).
func New(eng *coaching.Engine, opts *Options) (*Service, error) {
	if eng == nil {
		return nil, errors.New("caseload: New: engine is nil")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	s := &Service{eng: eng, roles: DefaultOwnerRoles(), grace: 3, due: 7}
	for k, rs := range o.OwnerRoles {
		if len(rs) > 0 {
			s.roles[k] = slices.Clone(rs)
		}
	}
	switch {
	case o.PlannedGrace < 0 || o.PlannedGrace > 365:
		return nil, fmt.Errorf("caseload: New: PlannedGrace must be 0–365 days, got %d", o.PlannedGrace)
	case o.PlannedGrace > 0:
		s.grace = o.PlannedGrace
	}
	switch {
	case o.AlertDueDays < 0 || o.AlertDueDays > 365:
		return nil, fmt.Errorf("caseload: New: AlertDueDays must be 0–365 days, got %d", o.AlertDueDays)
	case o.AlertDueDays > 0:
		s.due = o.AlertDueDays
	}
	switch {
	case o.CursorKey == nil:
		s.seal = make(sealer, minCursorKey)
		_, _ = rand.Read(s.seal) // crypto/rand.Read never fails
	case len(o.CursorKey) < minCursorKey:
		return nil, fmt.Errorf("caseload: New: CursorKey must be at least %d bytes, got %d", minCursorKey, len(o.CursorKey))
	default:
		s.seal = slices.Clone(sealer(o.CursorKey))
	}
	return s, nil
}

// OwnerRoles returns the service's owner roles by cause kind (a copy).
func (s *Service) OwnerRoles() map[CauseKind][]coaching.Role { return maps.Clone(s.roles) }

func readPort(sc *coaching.Scope) (Reader, error) {
	rd, ok := sc.ReadTx().(Reader)
	if !ok {
		return nil, errNoPort
	}
	return rd, nil
}

func writePort(sc *coaching.Scope) (Store, error) {
	st, ok := sc.Tx().(Store)
	if !ok {
		return nil, errNoPort
	}
	return st, nil
}

// auditPayload is what the audit trail keeps of a caseload change: ids
// and kinds, never free text.
type auditPayload struct {
	Alert   string `json:"alert,omitempty"`
	Planned string `json:"planned,omitempty"`
	Contact string `json:"contact,omitempty"`
	Session string `json:"session,omitempty"`
	Kind    string `json:"kind,omitempty"`
	// Cause is a welfare alert's cause kind: its entry's Kind names the
	// kernel's welfare family instead (see change).
	Cause  string `json:"cause,omitempty"`
	Status string `json:"status,omitempty"`
	Owner  string `json:"owner,omitempty"`
	On     string `json:"on,omitempty"`
}

// welfareAlertDocument names the kernel's welfare family ("welfare_") in
// the audit entry of a welfare alert's change: the kernel then shows the
// entry only to those the policy allows read_welfare on the case, as it
// shows welfare records, so that not even the existence of a welfare alert
// (a referral's follow-up) reaches the rest of the team through the trail.
const welfareAlertDocument = "welfare_alert"

// welfarePlannedDocument and welfareContactDocument are
// welfareAlertDocument for a planned item owned by welfare staff and for a
// welfare contact (Contact.Welfare): their audit entries, too, reach only
// those the policy allows read_welfare.
const (
	welfarePlannedDocument = "welfare_planned"
	welfareContactDocument = "welfare_contact"
)

// change writes fn's store writes on case id with one audit entry of
// event, after the policy allowed the scope's actor to change the case.
// welfare marks the change of welfare information — an alert, a planned
// item or a contact (see welfareAlertDocument).
func change(sc *coaching.Scope, id coaching.CaseID, event string, p auditPayload, welfare bool, fn func(st Store) error) error {
	st, err := writePort(sc)
	if err != nil {
		return err
	}
	kind := AuditCaseload
	if welfare {
		doc := welfareAlertDocument
		switch {
		case p.Planned != "":
			doc = welfarePlannedDocument
		case p.Contact != "":
			doc = welfareContactDocument
		}
		kind, p.Cause, p.Kind = coaching.AuditDocument, p.Kind, doc
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = sc.ChangeCase(coaching.OpChangeCase, id, func(ch *coaching.CaseChange) error {
		if err := fn(st); err != nil {
			return err
		}
		ch.Audit(kind, event, "", raw)
		return nil
	})
	return err
}

// rolesOn returns actorID's roles on team.
func rolesOn(team []coaching.TeamMember, actorID string) []coaching.Role {
	var out []coaching.Role
	for _, m := range team {
		if m.ActorID == actorID && !slices.Contains(out, m.Role) {
			out = append(out, m.Role)
		}
	}
	return out
}

// welfareOn reports whether actorID is on team as welfare staff.
func welfareOn(team []coaching.TeamMember, actorID string) bool {
	return slices.ContainsFunc(rolesOn(team, actorID), coaching.Role.IsWelfare)
}

// onTeam reports whether o is a member of team in its role.
func onTeam(team []coaching.TeamMember, o Owner) bool {
	return slices.ContainsFunc(team, func(m coaching.TeamMember) bool { return m.ActorID == o.ActorID && m.Role == o.Role })
}

// firstWithRole returns the first team member holding the first of roles
// found on team.
func firstWithRole(team []coaching.TeamMember, roles []coaching.Role) (Owner, bool) {
	for _, r := range roles {
		for _, m := range team {
			if m.Role == r {
				return Owner{ActorID: m.ActorID, Role: m.Role}, true
			}
		}
	}
	return Owner{}, false
}

func invalid(subject, field, format string, args ...any) error {
	return &coaching.ValidationError{Subject: subject, Problems: []coaching.FieldProblem{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

func problemsErr(subject string, pr []coaching.FieldProblem) error {
	if len(pr) == 0 {
		return nil
	}
	return &coaching.ValidationError{Subject: subject, Problems: pr}
}

// ctxOf is the scope's context.
func ctxOf(sc *coaching.Scope) context.Context { return sc.Context() }
