// Package caseload answers the question a coach or a personal tutor starts
// the day with — who needs me today? It is a feature built on the coaching
// kernel's extension points, like coaching/session: its commands and reads
// run in policy-scoped transactions ([coaching.Engine.Write],
// [coaching.Engine.Read]) and its own data lives behind a small store port
// ([Store]) that the store adapters implement and
// adapters/storetest.RunCaseload proves.
//
// It has four parts:
//
//   - the caseload list ([Service.List]): cases filtered by team membership,
//     organisation, model, state, overdue phase, early-warning flags, days
//     without contact, participant, SIS group and opening date, sorted by
//     urgency, name or opening, in pages behind an opaque cursor, each row a
//     small [Row] — and only the cases the policy lets the actor read;
//   - alerts as work ([Alert]): an overdue phase, an early-warning flag, an
//     overdue referral follow-up, a checkpoint due or an overdue planned
//     item becomes an alert with an owner, a status (open → acknowledged →
//     resolved or dismissed with a reason), a due date and the action taken;
//     a cause raised again while its alert is open does not duplicate it;
//   - planning ([Planned]): sessions, meetings, visits, demonstrations and
//     tasks dated in the future, then held, cancelled or moved, and
//     action-plan templates ([Template]) that create a phase's tasks when a
//     case enters it; listed as their owner's agenda ([Service.Agenda]) or
//     as a case's ([Service.CaseItems]);
//   - the contact log ([Contact]): every contact moves the case's last
//     contact date, which the list filters and sorts on.
//
// Welfare (opiskeluhuolto) information stays with the welfare roles: a
// welfare alert, a planned item owned by a curator, psychologist or nurse,
// and a contact of theirs ([Contact].Welfare) are listed, shown as a
// row's next item, or acted on only by their owner or those the policy
// allows read_welfare on the case, and their audit entries are in the
// kernel's welfare family.
package caseload

import (
	"context"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Sort orders a caseload list.
type Sort string

// Sorts. The zero value is SortUrgency.
const (
	// SortUrgency: cases whose phase is overdue first, then cases with an
	// early-warning flag or an open alert, then the rest; within each, the
	// oldest last contact first (never contacted counts as oldest), then
	// the case id.
	SortUrgency Sort = "urgency"
	// SortName: by the participant's family name, given names, case id.
	SortName Sort = "name"
	// SortOpened: newest first by the case's opening instant, then case id.
	SortOpened Sort = "opened"
)

// CaseStatus selects open or closed cases. The zero value is StatusOpen.
type CaseStatus string

// Case statuses of a query.
const (
	StatusOpen   CaseStatus = "open"
	StatusClosed CaseStatus = "closed"
	StatusAny    CaseStatus = "any"
)

// Query is a caseload list request. Zero fields do not filter.
type Query struct {
	// Organisation restricts the list to one organisation; empty means
	// the actor's own (Actor.Organisation).
	Organisation coaching.OrganisationID `json:"organisation,omitempty"`
	// Member lists only cases on whose team this actor is; with
	// MemberRole, only in that role. Service.Mine sets it to the actor.
	Member     string        `json:"member,omitempty"`
	MemberRole coaching.Role `json:"member_role,omitempty"`
	Models     []string      `json:"models,omitempty"`
	States     []string      `json:"states,omitempty"`
	Status     CaseStatus    `json:"status,omitempty"`
	// Overdue: only cases whose phase deadline has passed (not paused).
	Overdue bool `json:"overdue,omitempty"`
	// Flagged: only cases with an early-warning flag raised; FlagRule
	// narrows to one rule's flag.
	Flagged  bool   `json:"flagged,omitempty"`
	FlagRule string `json:"flag_rule,omitempty"`
	// NoContactDays: only cases without a contact in the last N civil days
	// (never contacted included).
	NoContactDays int                    `json:"no_contact_days,omitempty"`
	Participant   coaching.ParticipantID `json:"participant,omitempty"`
	// Group is the SIS enrolment group (sis.EnrolmentRecord.Group).
	Group      string        `json:"group,omitempty"`
	OpenedFrom coaching.Date `json:"opened_from,omitzero"`
	OpenedTo   coaching.Date `json:"opened_to,omitzero"`
	Sort       Sort          `json:"sort,omitempty"`
	// Limit is the page size: default 50, at most 500.
	Limit int `json:"limit,omitempty"`
	// Cursor continues a list where the page that returned it ended.
	Cursor string `json:"cursor,omitempty"`
}

// Row is one case of a caseload list: a summary, not the case.
type Row struct {
	CaseID        coaching.CaseID         `json:"case_id"`
	ParticipantID coaching.ParticipantID  `json:"participant_id"`
	Organisation  coaching.OrganisationID `json:"organisation,omitempty"`
	// Name is the participant's display name ("Given Family").
	Name     string    `json:"name"`
	Group    string    `json:"group,omitempty"`
	Model    string    `json:"model"`
	State    string    `json:"state"`
	OpenedAt time.Time `json:"opened_at"`
	Closed   bool      `json:"closed,omitempty"`
	// PhaseDue is the current phase's deadline (zero: none); Overdue is
	// true when it has passed and the case is not paused.
	PhaseDue time.Time `json:"phase_due,omitzero"`
	Paused   bool      `json:"paused,omitempty"`
	Overdue  bool      `json:"overdue,omitempty"`
	// Flags are the rules of the early-warning flags raised.
	Flags []string `json:"flags,omitempty"`
	// OpenAlerts counts the case's open and acknowledged alerts the actor
	// may see.
	OpenAlerts  int           `json:"open_alerts,omitempty"`
	LastContact coaching.Date `json:"last_contact,omitzero"`
	// Next is the earliest planned item not yet held or cancelled that
	// the actor may see: an item owned by welfare staff only where the
	// policy allows read_welfare on the case (see Summary.NextWelfare).
	Next *Upcoming `json:"next,omitempty"`
	// Roles are the actor's roles on the case's team.
	Roles []coaching.Role `json:"roles,omitempty"`
}

// Upcoming is the next planned item of a row.
type Upcoming struct {
	ID    string        `json:"id"`
	Kind  PlannedKind   `json:"kind"`
	Title string        `json:"title"`
	On    coaching.Date `json:"on"`
}

// Page is one page of a list; Next is the cursor of the next page, empty
// after the last.
type Page struct {
	Rows []Row  `json:"rows"`
	Next string `json:"next,omitempty"`
}

// CauseKind is what raised an alert.
type CauseKind string

// Causes of alerts.
const (
	// CausePhaseOverdue: the case's phase deadline passed (Key: the state
	// and the audit sequence that entered it, "state@seq").
	CausePhaseOverdue CauseKind = "phase_overdue"
	// CauseEarlyWarning: an early-warning rule flagged the case (Key: the
	// rule's name and the audit sequence that raised the flag, "rule@seq":
	// each raising is a cause of its own, so a flag a person resolved that
	// clears and comes back raises a new alert).
	CauseEarlyWarning CauseKind = "early_warning"
	// CauseReferralFollowUp: a referral's follow-up fell due (Key: the
	// referral's document name). Welfare-related: only welfare roles see it.
	CauseReferralFollowUp CauseKind = "referral_follow_up"
	// CauseCheckpointDue: a follow-up checkpoint after leaving fell due
	// (Key: the checkpoint).
	CauseCheckpointDue CauseKind = "checkpoint_due"
	// CausePlannedOverdue: a planned item is overdue by the grace days
	// (Key: the item's id).
	CausePlannedOverdue CauseKind = "planned_overdue"
	// CauseManual: raised by a person (Key: the alert's id).
	CauseManual CauseKind = "manual"
)

// Cause identifies what an alert is about: while an alert for a cause is
// open or acknowledged, raising the same cause on the same case does not
// add another.
type Cause struct {
	Kind CauseKind `json:"kind"`
	Key  string    `json:"key"`
}

// AlertStatus is an alert's place in its life: open → acknowledged →
// resolved or dismissed (both final; open may go straight to either).
type AlertStatus string

// Alert statuses.
const (
	AlertOpen         AlertStatus = "open"
	AlertAcknowledged AlertStatus = "acknowledged"
	AlertResolved     AlertStatus = "resolved"
	AlertDismissed    AlertStatus = "dismissed"
)

// Owner is who an alert or a planned item is for.
type Owner struct {
	ActorID string        `json:"actor_id"`
	Role    coaching.Role `json:"role"`
}

// ActionKind is what was done about an alert.
type ActionKind string

// Actions.
const (
	ActionSession         ActionKind = "session"
	ActionReferral        ActionKind = "referral"
	ActionGuardianContact ActionKind = "guardian_contact"
	ActionNote            ActionKind = "note"
)

// Action is what was done about an alert: Ref names the session, referral
// or contact; Note is short and never holds welfare details.
type Action struct {
	Kind ActionKind `json:"kind"`
	Ref  string     `json:"ref,omitempty"`
	Note string     `json:"note,omitempty"`
}

// Alert is a cause on a case that needs someone to act.
type Alert struct {
	ID           string                  `json:"id"`
	CaseID       coaching.CaseID         `json:"case_id"`
	Organisation coaching.OrganisationID `json:"organisation,omitempty"`
	Cause        Cause                   `json:"cause"`
	// Title is short and non-confidential ("Phase overdue: induction").
	Title string `json:"title"`
	// Welfare alerts are shown only to those the policy allows
	// coaching.OpReadWelfare on the case.
	Welfare  bool          `json:"welfare,omitempty"`
	Owner    Owner         `json:"owner"`
	Status   AlertStatus   `json:"status"`
	Due      coaching.Date `json:"due,omitzero"`
	RaisedAt time.Time     `json:"raised_at"`
	RaisedBy string        `json:"raised_by"`
	// AcknowledgedAt/By are set when someone took it on.
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	AcknowledgedBy string    `json:"acknowledged_by,omitempty"`
	// ClosedAt/By and Reason are set when it was resolved or dismissed;
	// a dismissal always has a reason.
	ClosedAt time.Time `json:"closed_at,omitzero"`
	ClosedBy string    `json:"closed_by,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Action   *Action   `json:"action,omitempty"`
	// Version counts the alert's changes, from 1; an update states the
	// version it read.
	Version int64 `json:"version"`
}

// Active reports whether the alert is open or acknowledged.
func (a Alert) Active() bool { return a.Status == AlertOpen || a.Status == AlertAcknowledged }

// AlertQuery filters alerts; zero fields do not filter. Statuses defaults
// to the active ones (open, acknowledged).
type AlertQuery struct {
	Organisation coaching.OrganisationID `json:"organisation,omitempty"`
	Owner        string                  `json:"owner,omitempty"`
	CaseID       coaching.CaseID         `json:"case_id,omitempty"`
	Statuses     []AlertStatus           `json:"statuses,omitempty"`
	Kinds        []CauseKind             `json:"kinds,omitempty"`
	// After and Limit page by id: alerts with an id greater than After,
	// at most Limit (store: 0 means all). Service.Alerts takes After from
	// the previous page's AlertPage.Next.
	After string `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// AlertPage is a page of Service.Alerts.
type AlertPage struct {
	Alerts []Alert `json:"alerts"`
	// Next, when set, is the After of the next page: more alerts may
	// follow (a page shorter than the limit has one too when the scan
	// was bounded). Empty: the list ended.
	Next string `json:"next,omitempty"`
}

// PlannedKind is the kind of a planned item.
type PlannedKind string

// Planned item kinds.
const (
	PlanIndividualSession PlannedKind = "individual_session"
	PlanGroupSession      PlannedKind = "group_session"
	PlanGuardianMeeting   PlannedKind = "guardian_meeting"
	PlanHOKSDiscussion    PlannedKind = "hoks_discussion"
	PlanWorkplaceVisit    PlannedKind = "workplace_visit"
	PlanDemonstration     PlannedKind = "demonstration"
	PlanTask              PlannedKind = "task"
)

// PlannedStatus is a planned item's status.
type PlannedStatus string

// Planned item statuses: planned → held or cancelled (final); moving keeps
// it planned on a new date.
const (
	PlannedOpen      PlannedStatus = "planned"
	PlannedHeld      PlannedStatus = "held"
	PlannedCancelled PlannedStatus = "cancelled"
)

// Planned is a session, meeting, visit, demonstration or task dated in the
// future (or today).
type Planned struct {
	ID           string                  `json:"id"`
	Kind         PlannedKind             `json:"kind"`
	Title        string                  `json:"title"`
	Cases        []coaching.CaseID       `json:"cases"`
	Organisation coaching.OrganisationID `json:"organisation,omitempty"`
	Owner        Owner                   `json:"owner"`
	On           coaching.Date           `json:"on"`
	// Start is the planned start, if a time was set (its civil date in
	// Helsinki is On).
	Start  time.Time     `json:"start,omitzero"`
	Status PlannedStatus `json:"status"`
	// Moves counts how many times it was moved to another date.
	Moves int `json:"moves,omitempty"`
	// Session is the id of the coaching session recorded when a session
	// kind was held; Reason is a cancellation's.
	Session string `json:"session,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Template names the action-plan template that created it.
	Template  string    `json:"template,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
	Version   int64     `json:"version"`
}

// PlannedQuery filters planned items; zero fields do not filter. From and
// To are inclusive civil dates of On. Statuses defaults to planned only.
type PlannedQuery struct {
	Organisation coaching.OrganisationID `json:"organisation,omitempty"`
	Owner        string                  `json:"owner,omitempty"`
	CaseID       coaching.CaseID         `json:"case_id,omitempty"`
	Statuses     []PlannedStatus         `json:"statuses,omitempty"`
	From         coaching.Date           `json:"from,omitzero"`
	To           coaching.Date           `json:"to,omitzero"`
	After        string                  `json:"after,omitempty"`
	Limit        int                     `json:"limit,omitempty"`
}

// ContactKind is the kind of a contact with a participant or family.
type ContactKind string

// Contact kinds.
const (
	ContactSession         ContactKind = "session"
	ContactPhone           ContactKind = "phone"
	ContactMessage         ContactKind = "message"
	ContactMeeting         ContactKind = "meeting"
	ContactGuardianMeeting ContactKind = "guardian_meeting"
	ContactVisit           ContactKind = "visit"
)

// Contact is one contact with a participant (or their guardians) on a
// case. Note is short and non-confidential.
//
// Welfare marks a contact of the student welfare staff (a curator's,
// psychologist's or nurse's, or a held item one of them owned): welfare
// information, listed only to those the policy allows read_welfare on the
// case. [Service.LogContact] and [Service.Held] set it; it never clears.
type Contact struct {
	ID           string                  `json:"id"`
	CaseID       coaching.CaseID         `json:"case_id"`
	Organisation coaching.OrganisationID `json:"organisation,omitempty"`
	Kind         ContactKind             `json:"kind"`
	On           coaching.Date           `json:"on"`
	WithGuardian bool                    `json:"with_guardian,omitempty"`
	Note         string                  `json:"note,omitempty"`
	Welfare      bool                    `json:"welfare,omitempty"`
	At           time.Time               `json:"at"`
	By           string                  `json:"by"`
}

// Filter is a caseload query as a store answers it: the service resolves
// defaults and the cursor before asking. Every field is set or means "no
// filter" as in Query.
type Filter struct {
	// Organisation is always set.
	Organisation coaching.OrganisationID
	Member       string
	MemberRole   coaching.Role
	Models       []string
	States       []string
	// Status is never zero here.
	Status   CaseStatus
	Overdue  bool
	Flagged  bool
	FlagRule string
	// ContactBefore keeps only cases whose last contact is before this
	// date, or that have none; zero: no filter.
	ContactBefore coaching.Date
	Participant   coaching.ParticipantID
	Group         string
	// OpenedFrom and OpenedTo bound OpenedAt: From ≤ OpenedAt < To; zero:
	// unbounded.
	OpenedFrom, OpenedTo time.Time
	// Now decides which phases are overdue (due before Now and the case
	// not paused) and so the urgency rank; a list keeps the first page's
	// Now in its cursor, so that its order holds from page to page. The
	// Service passes whole microseconds, the SQL stores' precision: a
	// phase due within Now's microsecond is then overdue in every store
	// alike (a stored due truncated to microseconds is before a
	// microsecond-aligned Now exactly when the due itself is).
	Now  time.Time
	Sort Sort
	// After is the key of the last row of the previous page: only rows
	// after it in the order are returned. Nil: from the start.
	After *Key
	// Limit is how many rows to return at most (> 0).
	Limit int
}

// Summary is what a store returns for one case of a list: the case's small
// fields and its participant's names, with the feature data beside them.
// The service turns it into a Row after the policy has allowed it.
type Summary struct {
	CaseID        coaching.CaseID
	ParticipantID coaching.ParticipantID
	Organisation  coaching.OrganisationID
	Model         string
	State         string
	OpenedAt      time.Time
	ClosedAt      time.Time
	Phase         coaching.PhaseClock
	Team          []coaching.TeamMember
	GivenNames    string
	FamilyName    string
	Group         string
	// Flags are the case's raised early-warning flags.
	Flags       []Flag
	LastContact coaching.Date
	// Next is the earliest planned item listing the case (status planned,
	// by On, then id) whose owner is not welfare staff; NextWelfare the
	// earliest whose owner is (Owner.Role.IsWelfare). A welfare-owned
	// item is welfare information: the list shows it only where the
	// policy allows read_welfare, so the store keeps the two apart and a
	// row costs the same whoever reads it.
	Next        *Upcoming
	NextWelfare *Upcoming
	// ActiveAlerts and ActiveWelfareAlerts count the case's open and
	// acknowledged alerts, the welfare ones apart (only welfare roles see
	// them).
	ActiveAlerts        int
	ActiveWelfareAlerts int
}

// WelfareRoleNames are the names of the roles coaching.Role.IsWelfare
// holds of, in coaching.TeamRoles' order: a planned item owned in one of
// them is a Summary's NextWelfare, not its Next. A store adapter's query
// that keeps the two apart names them.
func WelfareRoleNames() []string {
	var out []string
	for _, r := range coaching.TeamRoles {
		if r.IsWelfare() {
			out = append(out, string(r))
		}
	}
	return out
}

// Flag is an early-warning flag raised on a case, as the caseload reads it
// (attendance.RiskFlag's rule and seq).
type Flag struct {
	Rule string
	// Seq is the audit entry that raised the flag. A flag that clears and is
	// raised again is a new raising with a new Seq, and so a new cause for
	// an alert (see Service.Review).
	Seq int64
}

// Rules are the rules of flags, in order.
func Rules(flags []Flag) []string {
	if len(flags) == 0 {
		return nil
	}
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = f.Rule
	}
	return out
}

// Case is the summary as a coaching.Case for the policy: the fields a
// policy decides on (no history, no records).
func (s Summary) Case() coaching.Case {
	return coaching.Case{ID: s.CaseID, ParticipantID: s.ParticipantID, Organisation: s.Organisation, Model: s.Model,
		State: s.State, OpenedAt: s.OpenedAt, ClosedAt: s.ClosedAt, Phase: s.Phase, Team: s.Team}
}

// Reader is the read side of the caseload's store port: the transactions
// of a store adapter that keeps caseload data implement it (the memory,
// SQLite and PostgreSQL stores do; adapters/storetest.RunCaseload proves
// one).
type Reader interface {
	// Summaries returns at most f.Limit cases matching f, in f.Sort's
	// order as Key.Less defines it, after f.After.
	Summaries(ctx context.Context, f Filter) ([]Summary, error)
	// Alerts returns the alerts matching q, ordered by id.
	Alerts(ctx context.Context, q AlertQuery) ([]Alert, error)
	// Alert returns one alert; a *coaching.NotFoundError when missing.
	Alert(ctx context.Context, id string) (Alert, error)
	// PlannedItems returns the planned items matching q, ordered by On,
	// then id.
	PlannedItems(ctx context.Context, q PlannedQuery) ([]Planned, error)
	// PlannedItem returns one planned item; a *coaching.NotFoundError
	// when missing.
	PlannedItem(ctx context.Context, id string) (Planned, error)
	// Contacts returns case id's contacts, newest (On, then At) first, at
	// most limit (0: all).
	Contacts(ctx context.Context, id coaching.CaseID, limit int) ([]Contact, error)
}

// Store is the caseload's store port: a write transaction of an adapter
// that keeps caseload data. Every method checks its argument's ids and
// returns the coaching package's typed errors.
type Store interface {
	Reader
	// PutAlert stores a new alert (Version 1). A *coaching.DuplicateError
	// (Kind "alert") when the id exists, or when the case already has an
	// active alert for the same cause (ID: that alert's id).
	PutAlert(ctx context.Context, a Alert) error
	// UpdateAlert replaces the alert whose version is expected with a
	// (a.Version = expected+1); a *coaching.ConflictError (Subject "alert
	// <id>") when the version moved, a *coaching.NotFoundError when there
	// is no such alert. An alert's id, case and cause never change.
	UpdateAlert(ctx context.Context, a Alert, expected int64) error
	// PutPlanned stores a new planned item (Version 1); a
	// *coaching.DuplicateError (Kind "planned") when the id exists.
	PutPlanned(ctx context.Context, p Planned) error
	// UpdatePlanned replaces a planned item as UpdateAlert does (Subject
	// "planned <id>").
	UpdatePlanned(ctx context.Context, p Planned, expected int64) error
	// PutContact stores a contact and moves its case's last contact date
	// if it is later; a *coaching.DuplicateError (Kind "contact") when
	// the id exists.
	PutContact(ctx context.Context, c Contact) error
	// FeatureEraser: the erasure of a case's participant clears the free
	// text of its contacts (Note), alerts (Title kept only as the cause's
	// kind, Reason, Action.Note) and planned items (Title, Reason) that
	// concern the case alone; dates, kinds, owners and statuses stay.
	coaching.FeatureEraser
}
