package coaching

import (
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Role is a part a person plays around a participant. Events name the roles
// allowed to fire them.
type Role string

// The roles of a support team ("tukijajoukkue") and of the coaching process.
const (
	RolePersonalTutor       Role = "personal_tutor" // omaohjaaja
	RoleCoach               Role = "coach"          // valmentaja
	RoleTeacher             Role = "teacher"        // opettaja
	RoleSpecialNeedsTeacher Role = "special_needs_teacher"
	RoleStudyCounsellor     Role = "study_counsellor" // opinto-ohjaaja
	RoleCurator             Role = "curator"          // kuraattori (welfare)
	RolePsychologist        Role = "psychologist"     // psykologi (welfare)
	RoleNurse               Role = "nurse"            // terveydenhoitaja (welfare)
	RoleGuardian            Role = "guardian"         // huoltaja
	RoleWorkplaceInstructor Role = "workplace_instructor"
	RolePeerCoach           Role = "peer_coach" // vertaisvalmentaja
	RoleHeadOfStudies       Role = "head_of_studies"
	RoleStudent             Role = "student"
	// RoleSystem is the role of the engine's own actor (ticks, retention,
	// risk reviews). It is reserved: an Actor a host builds with it — from a
	// header, a token claim, a configuration string — is refused by every
	// engine call and logged as a denial (rule [RuleReservedSystem]). Only
	// the engine constructs its own actor.
	RoleSystem Role = "system"
)

// TeamRoles lists the roles a support-team member can have, in display order.
var TeamRoles = []Role{
	RolePersonalTutor, RoleCoach, RoleTeacher, RoleSpecialNeedsTeacher, RoleStudyCounsellor,
	RoleCurator, RolePsychologist, RoleNurse, RoleGuardian, RoleWorkplaceInstructor, RolePeerCoach,
}

// IsWelfare reports whether the role belongs to student welfare
// (opiskeluhuolto): curator, psychologist or nurse.
func (r Role) IsWelfare() bool {
	return r == RoleCurator || r == RolePsychologist || r == RoleNurse
}

func (r Role) known() bool {
	return slices.Contains(TeamRoles, r) || r == RoleHeadOfStudies || r == RoleStudent || r == RoleSystem
}

// Actor is whoever calls the engine: an authenticated person, as the host's
// sign-on established it, or the engine's own clock.
type Actor struct {
	ID           string
	Name         string
	Organisation OrganisationID
	Roles        []Role
	// Relations are the actor's relations the host's sign-on vouches for:
	// guardian_of and self (see [Relation]). Team memberships come from the
	// case's team, not from here.
	Relations []Relation
	// Purpose says why the actor is asking (e.g. "welfare group meeting");
	// the access log records it with every welfare or identity-code read.
	Purpose string

	// engine marks the engine's own actor. It cannot be set outside this
	// package, so no string a caller sends can make an Actor the engine.
	engine bool
}

// IsEngine reports whether a is the engine's own actor, which only the
// engine itself constructs (a host-built Actor holding [RoleSystem] is not
// it, and is refused).
func (a Actor) IsEngine() bool { return a.engine }

// claimsSystem reports whether a host-built actor claims what is reserved
// for the engine's own actor: the system role or its id.
// The comparison ignores case and surrounding space: "System " must not
// pass for the engine in an audit entry either.
func (a Actor) claimsSystem() bool {
	if a.engine {
		return false
	}
	reserved := func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), systemActorID) }
	return reserved(a.ID) || slices.ContainsFunc(a.Roles, func(r Role) bool { return reserved(string(r)) })
}

// auditRoles returns an actor's roles for an audit entry, which keeps
// them: a copy of its own, so that the entry changes neither when the
// caller's slice does nor when another entry's does (a one-element slice
// shared between entries let one caller's edit of its FireResult rewrite
// the stored entries of every other case).
func auditRoles(rs []Role) []Role { return slices.Clone(rs) }

// HasRole reports whether the actor has role r.
func (a Actor) HasRole(r Role) bool { return slices.Contains(a.Roles, r) }

// LogValue logs the actor's id and roles, never the name.
func (a Actor) LogValue() slog.Value {
	roles := make([]string, len(a.Roles))
	for i, r := range a.Roles {
		roles[i] = string(r)
	}
	return slog.GroupValue(slog.String("id", a.ID), slog.Any("roles", roles))
}

// systemActorID is the id the engine's own actor writes into audit entries
// and the access log; host-built actors may not use it.
const systemActorID = "system"

// systemActor returns the engine's own actor, for its own actions (ticks,
// retention, risk reviews). It is a function, not a variable, so that no
// package can change it and none outside this one can obtain it.
func systemActor() Actor {
	return Actor{ID: systemActorID, Name: "valmennus", Roles: []Role{RoleSystem}, engine: true}
}

// CaseID identifies a case.
type CaseID string

// TeamMember is a person in a case's support team.
type TeamMember struct {
	ActorID  string   `json:"actor_id"`
	Role     Role     `json:"role"`
	Name     string   `json:"name"`
	Contact  Contact  `json:"contact"`
	Language Language `json:"language,omitempty"`
}

// PhaseEntry records one entry into a state.
type PhaseEntry struct {
	State string    `json:"state"`
	At    time.Time `json:"at"`
	// Seq is the audit sequence number of the transition that entered it.
	Seq int64 `json:"seq"`
}

// PhaseClock is the deadline clock of the case's current phase.
type PhaseClock struct {
	// State is the phase the clock runs for. While the case is in a hold
	// state (paused) the clock keeps the phase it was paused from.
	State string `json:"state"`
	// EnteredAt is when the phase was entered (resuming is not an entry).
	EnteredAt time.Time `json:"entered_at"`
	// EntrySeq is the audit sequence of the entry; deadline keys use it.
	EntrySeq int64 `json:"entry_seq"`
	// PausedAt is set while the case is paused.
	PausedAt time.Time `json:"paused_at,omitzero"`
	// PausedFor is the total time the phase has been paused, measured on
	// the Helsinki wall clock (a pause across a daylight-saving change from
	// 09:00 to 09:00 is whole days).
	PausedFor time.Duration `json:"paused_for,omitempty"`
	// DueAt is the phase deadline, zero when the phase has none. It moves
	// later by the time spent paused.
	DueAt time.Time `json:"due_at,omitzero"`
	// OverdueAt is set when the engine noticed the deadline had passed.
	OverdueAt time.Time `json:"overdue_at,omitzero"`
}

// Record is a named, structured fact recorded on a case by an event's
// payload, e.g. the entry assessment or the induction findings. Data is the
// payload as JSON.
type Record struct {
	Name string          `json:"name"`
	At   time.Time       `json:"at"`
	By   string          `json:"by"`
	Seq  int64           `json:"seq"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Case is one participant's period in one model. Cases change only through
// the engine; every change bumps Version and appends exactly one audit entry
// whose Seq equals the new Version.
//
// A Case is a snapshot and its slices are read-only: they may be shared with
// the store and with other snapshots. Use [Case.Clone] before modifying one.
type Case struct {
	ID            CaseID         `json:"id"`
	ParticipantID ParticipantID  `json:"participant_id"`
	Organisation  OrganisationID `json:"organisation,omitempty"`
	Model         string         `json:"model"`
	State         string         `json:"state"`
	Version       int64          `json:"version"`
	OpenedAt      time.Time      `json:"opened_at"`
	// ClosedAt is set when the case reaches a terminal state.
	ClosedAt time.Time  `json:"closed_at,omitzero"`
	Phase    PhaseClock `json:"phase"`
	// History lists the phases entered, oldest first. It is the audit
	// trail's, not the case row's: stores do not keep it, so a change costs
	// the same however long the case has run. [Engine.Case] fills it from
	// the audit trail; a case read in a store transaction (ReadTx.Case),
	// in a rule or an effect, or returned by a command has none.
	History []PhaseEntry `json:"history,omitempty"`
	Team    []TeamMember `json:"team,omitempty"`
	// Records are the case's records, oldest first. They are not the case
	// row's either: stores keep them append-only beside it
	// ([Tx.AppendRecords]), so a change costs the same however many the
	// case has. [Engine.Case] and the report streams
	// ([CaseStreamer.CasesWithParticipants], [FigureSource.Rows]) fill them;
	// a case read in a store transaction (ReadTx.Case, Store.Cases), in a
	// rule, an effect or a timer handler, or returned by a command has
	// none — those read what they need with [ReadTx.Records],
	// [Transition.Records] or [CaseView.Records].
	Records []Record `json:"records,omitempty"`
}

// Closed reports whether the case has reached a terminal state.
func (c Case) Closed() bool { return !c.ClosedAt.IsZero() }

// Paused reports whether the case is in a hold state.
func (c Case) Paused() bool { return !c.Phase.PausedAt.IsZero() }

// Record returns the latest record with the given name among c.Records
// (see [Case.Records] for which cases carry them).
func (c Case) Record(name string) (Record, bool) {
	for i := len(c.Records) - 1; i >= 0; i-- {
		if c.Records[i].Name == name {
			return c.Records[i], true
		}
	}
	return Record{}, false
}

// DecodeRecord unmarshals the latest record called name into v. It returns
// a *NotFoundError when the case has no such record.
func (c Case) DecodeRecord(name string, v any) error {
	r, ok := c.Record(name)
	if !ok {
		return &NotFoundError{Kind: "record", ID: name}
	}
	return json.Unmarshal(r.Data, v)
}

// Members returns the team members with role r.
func (c Case) Members(r Role) []TeamMember {
	var out []TeamMember
	for _, m := range c.Team {
		if m.Role == r {
			out = append(out, m)
		}
	}
	return out
}

// Responsible returns who answers for a student's day-to-day matters on
// the team: its personal tutors, or its coaches when it has none. A
// family's requests, replies and proposed changes go to them.
func (c Case) Responsible() []TeamMember {
	if ms := c.Members(RolePersonalTutor); len(ms) > 0 {
		return ms
	}
	return c.Members(RoleCoach)
}

// OnTeam reports whether the actor id is a member of the team in any role.
func (c Case) OnTeam(actorID string) bool {
	for _, m := range c.Team {
		if m.ActorID == actorID {
			return true
		}
	}
	return false
}

// EnteredAt returns the last time the case entered state s, from its
// History: only a case read through [Engine.Case] has one (see
// [Case.History]); for any other it reports false.
func (c Case) EnteredAt(s string) (time.Time, bool) {
	for i := len(c.History) - 1; i >= 0; i-- {
		if c.History[i].State == s {
			return c.History[i].At, true
		}
	}
	return time.Time{}, false
}

// Clone returns a deep copy of the case.
func (c Case) Clone() Case {
	q := c
	q.History = slices.Clone(c.History)
	q.Team = slices.Clone(c.Team)
	q.Records = slices.Clone(c.Records)
	for i := range q.Records {
		q.Records[i].Data = slices.Clone(q.Records[i].Data)
	}
	return q
}

// AuditKind tells what an audit entry records.
type AuditKind string

// Audit entry kinds.
const (
	AuditOpened     AuditKind = "opened"     // the case was created
	AuditTransition AuditKind = "transition" // an event moved the case
	AuditOverdue    AuditKind = "overdue"    // a phase deadline passed
	AuditTeam       AuditKind = "team"       // the support team changed
	AuditErased     AuditKind = "erased"     // the participant's personal data was erased
)

// AuditEntry is one append-only line of a case's history. Entries of a case
// are numbered 1, 2, 3, ... without gaps; Seq equals the case version the
// change produced.
type AuditEntry struct {
	CaseID  CaseID    `json:"case_id"`
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Kind    AuditKind `json:"kind"`
	ActorID string    `json:"actor_id"`
	Roles   []Role    `json:"roles,omitempty"`
	Event   string    `json:"event,omitempty"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	// Payload is the event's payload as JSON, when it had one.
	Payload json.RawMessage `json:"payload,omitempty"`
	// IdempotencyKey is the key of the command that made the change.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// Clone returns a deep copy of the entry.
func (a AuditEntry) Clone() AuditEntry {
	a.Roles = slices.Clone(a.Roles)
	a.Payload = slices.Clone(a.Payload)
	return a
}

// CommandRecord remembers the outcome of an idempotent command, so a repeated
// command returns the first result.
type CommandRecord struct {
	CaseID CaseID `json:"case_id"`
	Key    string `json:"key"`
	// Fingerprint identifies the command (event and payload); reusing a key
	// for a different command is an error.
	Fingerprint string `json:"fingerprint"`
	// Seq is the audit entry the command produced.
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
}

// IsStaff reports whether r is a staff role of the education provider (the
// support team's professional roles and the head of studies; not a
// guardian, a student, a peer coach or the engine).
func (r Role) IsStaff() bool { return slices.Contains(staffRoles, r) }

// staffRoles may record attendance.
var staffRoles = []Role{RolePersonalTutor, RoleCoach, RoleTeacher, RoleSpecialNeedsTeacher, RoleStudyCounsellor,
	RoleCurator, RolePsychologist, RoleNurse, RoleWorkplaceInstructor, RoleHeadOfStudies}
