package coaching

import (
	"context"
	"fmt"
	"slices"
)

// Operation names what an actor asks the engine to do. The engine asks its
// [Policy] about every operation before it reads or changes anything.
type Operation string

// The operations the engine asks the policy about.
const (
	// OpReadCase: a case, its audit trail, records and (non-welfare)
	// documents.
	OpReadCase Operation = "read_case"
	// OpReadParticipant: a participant's personal details, the identity
	// code withheld.
	OpReadParticipant Operation = "read_participant"
	// OpReadIdentityCode: the identity code itself. Always access-logged.
	OpReadIdentityCode Operation = "read_identity_code"
	// OpEnrol: enrol a participant into a model.
	OpEnrol Operation = "enrol"
	// OpFireEvent: fire an event on a case (the model's event roles are
	// checked as well).
	OpFireEvent Operation = "fire_event"
	// OpChangeCase: change the team, add a record or a document, record a
	// session, propose or advance a referral.
	OpChangeCase Operation = "change_case"
	// OpRecordAttendance: record attendance marks for a case (and who was
	// present at a coaching session) — the school's teaching and guidance
	// staff's task.
	OpRecordAttendance Operation = "record_attendance"
	// OpReadAttendance: a case's attendance marks and their history.
	OpReadAttendance Operation = "read_attendance"
	// OpReadSchedule: the coaching sessions of a case.
	OpReadSchedule Operation = "read_schedule"
	// OpReadHOKS: the full personal competence development plan.
	OpReadHOKS Operation = "read_hoks"
	// OpChangeHOKS: draft or change the content of the personal competence
	// development plan (a new draft or update, a student's proposal taken
	// into it). The education provider draws the plan up (Act 531/2017
	// §44): the school's staff on the team write it, not a peer coach or a
	// workplace instructor, who take part in drafting through the staff.
	OpChangeHOKS Operation = "change_hoks"
	// OpApproveHOKS: approve the plan (eHOKS's first approval and every
	// re-approval) and move it through its lifecycle (start, competence
	// reached, completed, archived) — the provider's teaching and guidance
	// staff's decision.
	OpApproveHOKS Operation = "approve_hoks"
	// OpReadHOKSSummary: the plan's status, dates, units and progress —
	// what a guardian sees — and, for a reader the policy also allows
	// read_requests, the titles of the student's open proposals to it
	// (words the student wrote, at most hoks.MaxOpenProposals).
	OpReadHOKSSummary Operation = "read_hoks_summary"
	// OpReadNotices: the notices sent about a case.
	OpReadNotices Operation = "read_notices"
	// OpReadReferral: that a referral exists, to which service, and its
	// state — never its reason.
	OpReadReferral Operation = "read_referral"
	// OpReadWelfare: welfare (opiskeluhuolto) records — referral reasons
	// and welfare notes. Always access-logged.
	OpReadWelfare Operation = "read_welfare"
	// OpReadFigures: outcome figures; an organisation's own, or in
	// aggregate for a funder (Request.Case is nil).
	OpReadFigures Operation = "read_figures"
	// OpErase: erase (pseudonymise) a participant. Always access-logged.
	OpErase Operation = "erase"
	// OpReadAccessLog: read the access log of an organisation.
	OpReadAccessLog Operation = "read_access_log"
	// OpRecordConsent: record or withdraw an adult student's consent to
	// their guardians being informed.
	OpRecordConsent Operation = "record_consent"
	// OpReportAbsence: report an absence in advance, explain one already
	// marked, apply for leave, or withdraw such a request of one's own —
	// what a guardian of a minor, an adult student (or a guardian with the
	// adult's consent) and the support team on their behalf do.
	OpReportAbsence Operation = "report_absence"
	// OpDecideRequest: accept or reject a request a family made (an absence
	// report or explanation, a leave application, a proposed change to the
	// plan or to contact details). Which role decides which request is the
	// feature's to say; the policy says who may decide at all.
	OpDecideRequest Operation = "decide_request"
	// OpReadRequests: a case's requests and messages and their decisions.
	OpReadRequests Operation = "read_requests"
	// OpSendMessage: write on a case — a guardian's or student's reply to a
	// notice, staff's message to a student or their guardians.
	OpSendMessage Operation = "send_message"
	// OpProposeChange: propose a change to one's own plan (a student) or
	// contact details (a guardian or student), for staff to accept or
	// decline.
	OpProposeChange Operation = "propose_change"
)

// Operations lists every operation, in declaration order.
var Operations = []Operation{
	OpReadCase, OpReadParticipant, OpReadIdentityCode, OpEnrol, OpFireEvent, OpChangeCase,
	OpRecordAttendance, OpReadAttendance, OpReadSchedule, OpReadHOKS, OpChangeHOKS, OpApproveHOKS, OpReadHOKSSummary, OpReadNotices,
	OpReadReferral, OpReadWelfare, OpReadFigures, OpErase, OpReadAccessLog, OpRecordConsent,
	OpReportAbsence, OpDecideRequest, OpReadRequests, OpSendMessage, OpProposeChange,
}

// loggedOperations are written to the access log even when allowed.
func (o Operation) logged() bool {
	return o == OpReadWelfare || o == OpReadIdentityCode || o == OpErase
}

// RelationKind is how an actor stands to a participant or a case.
type RelationKind string

// Relations.
const (
	// RelationGuardianOf: the actor is a guardian (huoltaja) of
	// Relation.Participant.
	RelationGuardianOf RelationKind = "guardian_of"
	// RelationSelf: the actor is Relation.Participant (a student signed in).
	RelationSelf RelationKind = "self"
	// RelationTeamMember: the actor is on the support team of
	// Relation.Case in Relation.Role.
	RelationTeamMember RelationKind = "team_member"
)

// Relation is one of an actor's relations. Hosts assert guardian_of and
// self relations from their sign-on (e.g. the guardian links of the student
// information system) in [Actor.Relations]; the engine adds team_member
// relations from the case's team, which is the only source it trusts for
// them, and guardian_of relations for guardians recorded on the participant
// whose [Guardian.ID] is the actor's id.
type Relation struct {
	Kind        RelationKind  `json:"kind"`
	Participant ParticipantID `json:"participant,omitempty"`
	Case        CaseID        `json:"case,omitempty"`
	Role        Role          `json:"role,omitempty"`
}

// Request is what the policy decides on. The engine fills it from its own
// records: the case, the participant and the relations are the stored ones,
// not what the caller claims.
type Request struct {
	Actor     Actor
	Operation Operation
	// Organisation owns the data asked for: the case's or participant's
	// organisation, or for figures the organisation asked about (empty for
	// a funder's aggregate across organisations).
	Organisation OrganisationID
	// Case is the case asked about; nil for requests about a participant
	// or an organisation.
	Case *Case
	// Participant is set for requests about a participant or a case when
	// the decision may depend on them: always for OpReadParticipant,
	// OpReadIdentityCode and OpErase, and whenever the actor holds the
	// guardian or student role or asserts a relation.
	Participant *Participant
	// Relations are the actor's relations to this case and participant.
	Relations []Relation
	// SharedForTeaching is set when the guarded document asked about (a
	// referral, under OpReadReferral) was marked by whoever made it as
	// information necessary for arranging teaching (the need-to-know
	// exception of the Student Welfare Act); see [DocumentFacts].
	SharedForTeaching bool
	// OwnRecord is set when the actor made the guarded document asked
	// about (they proposed the referral): they know it exists.
	OwnRecord bool
	// Today is the Helsinki civil date of the request; ages are measured
	// on it.
	Today Date

	// relBuf holds the usual one or two relations in the request's own
	// allocation.
	relBuf [2]Relation
}

// Has reports whether the request carries a relation of kind k (for
// team_member: in a role the actor holds).
func (r *Request) Has(k RelationKind) bool {
	for _, rel := range r.Relations {
		if rel.Kind == k {
			return true
		}
	}
	return false
}

// Decision is a policy's answer. Rule names the rule that decided, for the
// access log and for [ForbiddenError].
type Decision struct {
	Allowed bool
	Rule    string
	Reason  string
}

// Allow returns an allowing decision by rule.
func Allow(rule string) Decision { return Decision{Allowed: true, Rule: rule} }

// Deny returns a denying decision by rule, with a reason a person can read.
func Deny(rule, reason string, args ...any) Decision {
	return Decision{Rule: rule, Reason: fmt.Sprintf(reason, args...)}
}

// Policy decides who may do what. The engine asks it before every read and
// every change; hosts wrap [DefaultPolicy] to add rules or replace it.
// Decide must not block: it sees everything it needs in the request.
type Policy interface {
	Decide(ctx context.Context, r *Request) Decision
}

// PolicyFunc adapts a function to [Policy].
type PolicyFunc func(ctx context.Context, r *Request) Decision

// Decide calls f.
func (f PolicyFunc) Decide(ctx context.Context, r *Request) Decision { return f(ctx, r) }

// RoleFunder is a funder's or a programme's reporting officer: they see
// figures in aggregate, never a person.
const RoleFunder Role = "funder"

// The default policy's rules, as named in decisions, errors and the access
// log.
const (
	RuleAuthenticated       = "authenticated"
	RuleSystem              = "system"
	RuleReservedSystem      = "reserved_system_actor"
	RuleActorIdentity       = "actor_identity"
	RuleEventRoles          = "event_roles"
	RuleModelOpeners        = "model_openers"
	RuleFunderAggregate     = "funder_aggregate"
	RuleOrganisation        = "organisation_isolation"
	RuleWelfareRecords      = "welfare_records"
	RuleIdentityCode        = "identity_code"
	RuleGuardianOfMinor     = "guardian_of_minor"
	RuleGuardianWithConsent = "guardian_with_consent"
	RuleGuardianAge         = "guardian_age"
	RuleGuardianScope       = "guardian_scope"
	RuleGuardianRelation    = "guardian_relation"
	RuleStudentSelf         = "student_self"
	RuleStudentOther        = "student_other"
	RuleStudentMinor        = "student_minor"
	RuleWelfareChannel      = "welfare_channel"
	RuleDeciders            = "deciders"
	RuleSupportTeam         = "support_team"
	RuleNeedToKnow          = "need_to_know"
	RuleOwnRecord           = "own_record"
	RuleHeadOfStudies       = "head_of_studies"
	RuleTeachingStaff       = "teaching_staff"
	RuleHOKSApprovers       = "hoks_approvers"
	RuleEnrol               = "enrol"
	RuleFigures             = "figures"
	RuleErasure             = "erasure"
	RuleAccessLog           = "access_log"
	RuleNotPermitted        = "not_permitted"
	// RuleFeatureDocument is the kernel's refusal to show a private
	// document family's versions through the generic read
	// ([DocumentKind.Private]); no policy decides it.
	RuleFeatureDocument      = "feature_document"
	ruleGuardianScopeOpsText = "attendance, coaching schedule, HOKS summary and notices, and report absences, write and propose changes to contact details"
)

// guardianOps are what a guardian may see of a ward (attendance, schedule
// of coaching, HOKS summary and notices) and do for them (report and
// explain absences and apply for leave, read those requests, reply and
// write to the staff, propose changes to contact details).
var guardianOps = []Operation{OpReadAttendance, OpReadSchedule, OpReadHOKSSummary, OpReadNotices,
	OpReportAbsence, OpReadRequests, OpSendMessage, OpProposeChange}

// studentOps are what students may do with their own data.
var studentOps = []Operation{OpReadCase, OpReadParticipant, OpReadIdentityCode, OpFireEvent, OpReadAttendance,
	OpReadSchedule, OpReadHOKS, OpReadHOKSSummary, OpReadNotices, OpReadReferral, OpRecordConsent,
	OpReportAbsence, OpReadRequests, OpSendMessage, OpProposeChange}

// teamOps are what support-team staff may do with the cases they are on.
// Recording attendance and writing or approving the HOKS are not among
// them: they are the school's staff's (teachingRoles, schoolRoles,
// hoksApproverRoles), whoever else is on the team.
var teamOps = []Operation{OpReadCase, OpReadParticipant, OpFireEvent, OpChangeCase,
	OpReadAttendance, OpReadSchedule, OpReadHOKS, OpReadHOKSSummary, OpReadNotices, OpReadReferral,
	OpReportAbsence, OpDecideRequest, OpReadRequests, OpSendMessage}

// deciderRoles may decide a family's request (decide_request) on a case
// they are on: the student's guidance staff. Each feature narrows it
// further (the coach only when the team has no personal tutor, a long
// leave the head of studies), never widens it.
var deciderRoles = []Role{RolePersonalTutor, RoleStudyCounsellor, RoleCoach}

// schoolRoles are the school's own staff on a case: they may record a
// student's written consent to guardian notices, decide a family's
// requests, report an absence on the family's behalf, write to the
// student and their guardians and read those requests and messages on a
// case they are on — peer coaches and
// workplace instructors, who are on a team without being the school's
// staff, may not.
var schoolRoles = []Role{RolePersonalTutor, RoleCoach, RoleTeacher, RoleSpecialNeedsTeacher, RoleStudyCounsellor,
	RoleCurator, RolePsychologist, RoleNurse}

// headOps are what a head of studies may do with the organisation's data.
var headOps = append(slices.Clone(teamOps), OpReadIdentityCode, OpReadFigures, OpErase, OpReadAccessLog, OpEnrol,
	OpRecordAttendance, OpChangeHOKS, OpApproveHOKS)

// teachingRoles are the school's teaching and guidance staff. They may
// record attendance for any student of their organisation (a teacher marks
// a whole group, most of whom they are not on the support team of) — and
// nobody else but the head of studies may: not welfare staff, peer coaches
// or workplace instructors, whatever team they are on.
var teachingRoles = []Role{RoleTeacher, RoleSpecialNeedsTeacher, RoleCoach, RolePersonalTutor, RoleStudyCounsellor}

// hoksApproverRoles approve a HOKS on a case they are on: the education
// provider's teaching and guidance staff (eHOKS's approver is the
// provider's), not welfare staff, peer coaches or workplace instructors.
var hoksApproverRoles = teachingRoles

// DefaultPolicy returns the policy the engine uses unless Options.Policy
// says otherwise. Its rules, first match deciding:
//
//   - authenticated: an actor needs an id.
//   - system: the engine's own actor ([Actor.IsEngine], which no host can
//     build) may do anything except read welfare records or identity codes
//     and erase. A host-built actor claiming the system role is denied
//     (reserved_system_actor) before any policy is asked.
//   - funder_aggregate: a funder reads figures across organisations and
//     nothing else — never a case or a person.
//   - organisation_isolation: nobody reads or changes another
//     organisation's participants, cases, plans, notices or figures (an
//     empty organisation is an organisation of its own). Its denial of a
//     case or a participant, like any denial of another organisation's
//     record, is to be answered to the caller as the id not found
//     ([ForbiddenError.NotFound]): that the id exists in another
//     organisation is for the access log, not for the caller.
//   - welfare_records: welfare records are read only by a welfare role
//     (curator, psychologist, nurse) on the student's support team — not by
//     teachers, heads of studies or administrators.
//   - identity_code: only the student themself and the head of studies.
//   - support_team: staff on the case's team read and change the case;
//     the school's staff on it (not peer coaches or workplace
//     instructors) also write the HOKS (change_hoks), report absences on
//     the family's behalf, decide the family's requests, write to the
//     student and their guardians and read those requests and messages;
//     a workplace instructor reads the HOKS (they take part in drafting
//     its workplace parts) but does not write it; welfare_channel: a curator,
//     psychologist or nurse (on the team in no other school role) reads
//     them but does not decide, report absences or write through this
//     channel, which the whole team reads;
//     need_to_know: staff who are not welfare roles see that a referral
//     exists only when it was shared for teaching (own_record: or when
//     they proposed it themselves).
//   - head_of_studies: the organisation's cases, figures, access log and
//     erasure.
//   - record_consent: an adult student's consent to guardian notices is
//     recorded by the student themself, by school staff on one of their
//     cases (tutors, coaches, teachers, counsellors, welfare roles — not
//     peer coaches or workplace instructors) or by the head of studies.
//   - teaching_staff: teachers, special needs teachers, coaches, tutors
//     and counsellors record attendance for any student of their
//     organisation; nobody else on a team does (welfare staff, peer
//     coaches, workplace instructors), the head of studies does.
//   - hoks_approvers: the HOKS is approved and moved through its
//     lifecycle (approve_hoks) by the teaching and guidance staff on the
//     case's team (tutor, teacher, special needs teacher, counsellor,
//     coach) or the head of studies — not by welfare staff, who may write
//     to a draft; peer coaches and workplace instructors are denied by
//     support_team.
//   - student_self / student_other: students see their own case, plan,
//     attendance, schedule and notices, record or withdraw their own
//     consent to guardian notices, reply and write to the staff, propose
//     changes to their plan and contact details and read their requests;
//     never another student's. student_minor: a student reports and
//     explains their own absences only from 18 on (before that, the
//     guardian does).
//   - guardian_of_minor / guardian_with_consent / guardian_age /
//     guardian_scope / guardian_relation: a guardian sees their ward's
//     attendance, schedule, plan summary and notices, reports and explains
//     their absences and applies for leave, reads those requests, replies
//     and writes to the staff and proposes changes to contact details,
//     while the ward is under 18 on today's Helsinki date, afterwards only
//     while the adult's recorded consent holds; never anything else and
//     never other students.
//   - enrol: staff of the organisation enrol participants (the model's
//     opener roles are checked as well).
//   - not_permitted: everything else is denied.
func DefaultPolicy() Policy { return PolicyFunc(defaultDecide) }

func defaultDecide(_ context.Context, r *Request) Decision {
	a, op := r.Actor, r.Operation
	switch {
	case a.ID == "":
		return Deny(RuleAuthenticated, "the actor has no id")
	case a.claimsSystem():
		return Deny(RuleReservedSystem, "the role %q and the id %q are reserved for the engine's own actor", RoleSystem, systemActorID)
	case a.IsEngine():
		if op == OpReadWelfare || op == OpReadIdentityCode || op == OpErase {
			return Deny(RuleSystem, "the engine's own actor does not read welfare records or identity codes or erase")
		}
		return Allow(RuleSystem)
	case a.HasRole(RoleFunder):
		if op == OpReadFigures && r.Case == nil && r.Participant == nil {
			return Allow(RuleFunderAggregate)
		}
		return Deny(RuleFunderAggregate, "a funder sees figures only in aggregate, never a case or a person")
	case r.Organisation != a.Organisation:
		// The reason names no organisation: it is in the denial's Error
		// text, which a host may show to the caller, who must not learn
		// where the record is (see ForbiddenError.NotFound).
		return Deny(RuleOrganisation, "the data belongs to another organisation than the actor's")
	}
	onTeam, welfareOnTeam, schoolOnTeam, teachingOnTeam, deciderOnTeam, approverOnTeam := false, false, false, false, false, false
	for _, rel := range r.Relations {
		if rel.Kind == RelationTeamMember {
			onTeam = true
			deciderOnTeam = deciderOnTeam || slices.Contains(deciderRoles, rel.Role)
			approverOnTeam = approverOnTeam || slices.Contains(hoksApproverRoles, rel.Role)
			welfareOnTeam = welfareOnTeam || rel.Role.IsWelfare()
			schoolOnTeam = schoolOnTeam || slices.Contains(schoolRoles, rel.Role)
			teachingOnTeam = teachingOnTeam || slices.Contains(schoolRoles, rel.Role) && !rel.Role.IsWelfare()
		}
	}
	head := a.HasRole(RoleHeadOfStudies)
	switch op {
	case OpReadWelfare:
		if welfareOnTeam {
			return Allow(RuleWelfareRecords)
		}
		return Deny(RuleWelfareRecords, "welfare records are read only by a curator, psychologist or nurse on the student's support team")
	case OpReadIdentityCode:
		if r.Has(RelationSelf) && a.HasRole(RoleStudent) {
			return Allow(RuleStudentSelf)
		}
		if head {
			return Allow(RuleHeadOfStudies)
		}
		return Deny(RuleIdentityCode, "identity codes are shown only to the student themself and the head of studies")
	case OpReadReferral:
		if welfareOnTeam {
			return Allow(RuleWelfareRecords)
		}
		if (onTeam || head) && r.OwnRecord {
			return Allow(RuleOwnRecord)
		}
		if (onTeam || head) && !r.SharedForTeaching {
			return Deny(RuleNeedToKnow, "the welfare staff have not shared this referral as needed for teaching")
		}
	case OpRecordConsent:
		if head {
			return Allow(RuleHeadOfStudies)
		}
		if r.Case != nil && schoolOnTeam {
			return Allow(RuleSupportTeam)
		}
	case OpDecideRequest, OpReportAbsence, OpSendMessage, OpReadRequests:
		if r.Case != nil && onTeam && !schoolOnTeam && !head {
			return Deny(RuleSupportTeam, "only the school's staff on the team (not peer coaches or workplace instructors) may do %s", op)
		}
		if op == OpDecideRequest && r.Case != nil && onTeam && !deciderOnTeam && !head && !(welfareOnTeam && !teachingOnTeam) {
			return Deny(RuleDeciders, "a family's requests are decided by the personal tutor, the study counsellor or the coach on the team, or the head of studies")
		}
		if op != OpReadRequests && r.Case != nil && welfareOnTeam && !teachingOnTeam && !head {
			return Deny(RuleWelfareChannel, "student-welfare staff do not decide families' requests, report absences or write to families through the school's channel, which the whole team reads: their contacts are welfare records")
		}
	case OpEnrol:
		if head || anyRole(a, staffRoles) {
			return Allow(RuleEnrol)
		}
	case OpRecordAttendance:
		if anyRole(a, teachingRoles) {
			return Allow(RuleTeachingStaff)
		}
		if onTeam && !head {
			return Deny(RuleTeachingStaff, "attendance is recorded by the school's teaching and guidance staff (teachers, special needs teachers, coaches, personal tutors, study counsellors) and the head of studies")
		}
	case OpChangeHOKS, OpApproveHOKS:
		if r.Case != nil && onTeam && !schoolOnTeam && !head {
			return Deny(RuleSupportTeam, "only the school's staff on the team (not peer coaches or workplace instructors) may do %s", op)
		}
		if op == OpApproveHOKS && r.Case != nil && onTeam && !approverOnTeam && !head {
			return Deny(RuleHOKSApprovers, "a HOKS is approved by the education provider's teaching and guidance staff on the team (personal tutor, teacher, special needs teacher, study counsellor, coach) or the head of studies, not by student-welfare staff")
		}
		if r.Case != nil && (schoolOnTeam || head) {
			return Allow(RuleSupportTeam)
		}
	case OpReadFigures, OpErase, OpReadAccessLog:
		if head {
			return Allow(RuleHeadOfStudies)
		}
		rule := map[Operation]string{OpReadFigures: RuleFigures, OpErase: RuleErasure, OpReadAccessLog: RuleAccessLog}[op]
		return Deny(rule, "only the organisation's head of studies may do %s", op)
	}
	if r.Case != nil && onTeam && slices.Contains(teamOps, op) {
		return Allow(RuleSupportTeam)
	}
	if head && slices.Contains(headOps, op) {
		return Allow(RuleHeadOfStudies)
	}
	if a.HasRole(RoleStudent) {
		if !r.Has(RelationSelf) {
			return Deny(RuleStudentOther, "students see only their own data")
		}
		if op == OpReportAbsence && (r.Participant == nil || r.Participant.MinorOn(r.Today)) {
			return Deny(RuleStudentMinor, "a student under 18 has their guardian report and explain absences")
		}
		if slices.Contains(studentOps, op) {
			return Allow(RuleStudentSelf)
		}
		return Deny(RuleStudentSelf, "students may not do %s", op)
	}
	if a.HasRole(RoleGuardian) {
		return decideGuardian(r)
	}
	if anyRole(a, staffRoles) {
		return Deny(RuleSupportTeam, "only the case's support team and the organisation's head of studies may do %s", op)
	}
	return Deny(RuleNotPermitted, "no rule allows %s for roles %s", op, joinRoles(a.Roles))
}

func decideGuardian(r *Request) Decision {
	if !r.Has(RelationGuardianOf) {
		return Deny(RuleGuardianRelation, "the actor is not a guardian of this participant")
	}
	if !slices.Contains(guardianOps, r.Operation) {
		return Deny(RuleGuardianScope, "guardians see only their ward's %s", ruleGuardianScopeOpsText)
	}
	p := r.Participant
	if p == nil {
		return Deny(RuleGuardianAge, "the ward's age is not known")
	}
	if p.MinorOn(r.Today) {
		return Allow(RuleGuardianOfMinor)
	}
	if p.GuardianConsent.ActiveOn(r.Today) {
		return Allow(RuleGuardianWithConsent)
	}
	return Deny(RuleGuardianAge, "the ward is 18 or over and has not consented to their guardians seeing their data")
}

// relations returns the actor's relations to c and p: the asserted
// guardian and self relations that name p (participant pid of
// organisation org: an asserted relation names an id of the actor's own
// organisation, ids being scoped per organisation), the guardians
// recorded on p (by their id or sign-on id), the student whose sign-on id
// p records, and the team memberships of c in roles the actor holds.
func relations(out []Relation, a Actor, c *Case, p *Participant, pid ParticipantID, org OrganisationID) []Relation {
	for _, rel := range a.Relations {
		if (rel.Kind == RelationGuardianOf || rel.Kind == RelationSelf) && rel.Participant == pid && pid != "" && a.Organisation == org {
			out = append(out, rel)
		}
	}
	// Recorded on p (Participant.GuardianOf and IsStudent say the same;
	// asserted relations are appended above).
	if p != nil && a.HasRole(RoleGuardian) {
		if _, ok := p.recordedGuardian(a.ID); ok {
			out = append(out, Relation{Kind: RelationGuardianOf, Participant: p.ID})
		}
	}
	if p != nil && p.SignOn != "" && p.SignOn == a.ID && a.HasRole(RoleStudent) {
		out = append(out, Relation{Kind: RelationSelf, Participant: p.ID})
	}
	if c != nil {
		for i := range c.Team {
			m := &c.Team[i] // not a copy: a member is six strings, of which two are read
			if m.ActorID == a.ID && m.Role != RoleGuardian && m.Role != RoleStudent && a.HasRole(m.Role) {
				out = append(out, Relation{Kind: RelationTeamMember, Case: c.ID, Role: m.Role})
			}
		}
	}
	return out
}
