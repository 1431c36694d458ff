package coaching

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// SessionKind is the kind of a coaching session.
type SessionKind string

// Session kinds.
const (
	// SessionIndividual: individual coaching ("walking alongside").
	SessionIndividual SessionKind = "individual"
	// SessionGroup: group coaching, including community-building activity.
	SessionGroup SessionKind = "group"
	// SessionOutreach: welfare staff going out among the students
	// ("jalkautuminen") to lower the threshold to contact them.
	SessionOutreach SessionKind = "outreach"
)

// ApproachElement is an element of the coaching approach (valmentava
// työote, "Kohdaten ja kohdentaen") a session worked on.
type ApproachElement string

// The elements of the coaching approach.
const (
	ElementTrust               ApproachElement = "trust"                // luottamus
	ElementParticipation       ApproachElement = "participation"        // osallisuuden tukeminen
	ElementPresence            ApproachElement = "presence"             // läsnäolo
	ElementAppreciation        ApproachElement = "appreciation"         // arvostus
	ElementInteraction         ApproachElement = "interaction"          // vuorovaikutus
	ElementEmotionalConnection ApproachElement = "emotional_connection" // tunneyhteys
)

// ApproachElements lists the elements in order.
var ApproachElements = []ApproachElement{ElementTrust, ElementParticipation, ElementPresence, ElementAppreciation, ElementInteraction, ElementEmotionalConnection}

// SessionStaff is a support-team member's time in a session.
type SessionStaff struct {
	ActorID string `json:"actor_id"`
	Role    Role   `json:"role"`
}

// Session is a coaching session: individual or group coaching, or a welfare
// outreach visit. Hours are decimal hours (1.5 = 1 h 30 min), counted for
// every staff member present.
type Session struct {
	ID    string          `json:"id"`
	Kind  SessionKind     `json:"kind"`
	Date  Date            `json:"date"`
	Hours decimal.Decimal `json:"hours"`
	// Staff are the coaches and other team members present.
	Staff []SessionStaff `json:"staff"`
	// Cases are the participants present (their cases).
	Cases []CaseID `json:"cases,omitempty"`
	// Elements are the coaching-approach elements worked on.
	Elements []ApproachElement `json:"elements,omitempty"`
	// PeerSupport describes peer-support activity (vertaistuki), if any.
	PeerSupport string `json:"peer_support,omitempty"`
	// Contacts counts the students met on an outreach visit.
	Contacts int `json:"contacts,omitempty"`
	// Topic is a short, non-confidential description ("group coaching:
	// study skills"). Welfare notes never go here.
	Topic string `json:"topic,omitempty"`
	// Organisation is the recording staff member's organisation; the
	// engine sets it, and lists an organisation's sessions by it.
	Organisation OrganisationID `json:"organisation,omitempty"`
	At           time.Time      `json:"at"`
	By           string         `json:"by"`
}

// Clone returns a deep copy.
func (s Session) Clone() Session {
	s.Staff = slices.Clone(s.Staff)
	s.Cases = slices.Clone(s.Cases)
	s.Elements = slices.Clone(s.Elements)
	return s
}

// SessionQuery filters sessions; zero fields do not filter. From and To are
// inclusive civil dates.
type SessionQuery struct {
	From, To Date
	ActorID  string
	CaseID   CaseID
	Kind     SessionKind
}

// Match reports whether s passes the filter.
func (q SessionQuery) Match(s Session) bool {
	switch {
	case !q.From.IsZero() && s.Date.Before(q.From):
		return false
	case !q.To.IsZero() && s.Date.After(q.To):
		return false
	case q.Kind != "" && s.Kind != q.Kind:
		return false
	case q.CaseID != "" && !slices.Contains(s.Cases, q.CaseID):
		return false
	case q.ActorID != "" && !slices.ContainsFunc(s.Staff, func(m SessionStaff) bool { return m.ActorID == q.ActorID }):
		return false
	}
	return true
}

// maxSessionHours bounds one session.
var maxSessionHours = decimal.NewFromInt(24)

// RecordSession stores a coaching session or an outreach visit. Staff
// record their own sessions; every staff member listed must have a team
// role. The hours must be positive, at most 24, in quarter-hour steps or
// finer (two decimals).
func (e *Engine) RecordSession(ctx context.Context, actor Actor, s Session) (Session, error) {
	return e.recordSession(ctx, e.run(ctx), actor, s)
}

func (e *Engine) recordSession(ctx context.Context, run txRunner, actor Actor, s Session) (Session, error) {
	if err := e.screen(run, actor, OpChangeCase); err != nil {
		return Session{}, err
	}
	if !anyRole(actor, staffRoles) {
		req := &Request{Actor: actor, Operation: OpChangeCase, Organisation: actor.Organisation, Today: DateOf(e.clock.Now())}
		return Session{}, run(func(Tx) error {
			return e.deny(req, Deny(RuleSessionStaff, "recording sessions needs a staff role"))
		})
	}
	now := e.clock.Now()
	pr := problems{subject: "session"}
	if s.ID == "" {
		s.ID = e.newID()
	}
	checkText(&pr, "id", s.ID, 200)
	switch s.Kind {
	case SessionIndividual, SessionGroup, SessionOutreach:
	default:
		pr.add("kind", "must be individual, group or outreach, got %q", s.Kind)
	}
	switch {
	case s.Date.IsZero() || !s.Date.Valid():
		pr.add("date", "required: a calendar date")
	case s.Date.After(DateOf(now)):
		pr.add("date", "is in the future")
	}
	switch {
	case !s.Hours.IsPositive():
		pr.add("hours", "must be more than 0")
	case s.Hours.GreaterThan(maxSessionHours):
		pr.add("hours", "must be at most 24")
	case !s.Hours.Equal(s.Hours.Round(2)):
		pr.add("hours", "at most two decimals")
	}
	if len(s.Staff) == 0 {
		pr.add("staff", "at least one staff member")
	}
	seenStaff := map[string]bool{}
	for i, m := range s.Staff {
		path := fmt.Sprintf("staff[%d]", i)
		if strings.TrimSpace(m.ActorID) == "" {
			pr.add(path+".actor_id", "required")
		} else if seenStaff[m.ActorID] {
			pr.add(path+".actor_id", "listed twice")
		}
		seenStaff[m.ActorID] = true
		if !slices.Contains(staffRoles, m.Role) {
			pr.add(path+".role", "must be a staff role, got %q", m.Role)
		}
	}
	if s.Kind == SessionOutreach {
		if s.Contacts < 0 || s.Contacts > 10000 {
			pr.add("contacts", "must be 0–10000")
		}
		for i, m := range s.Staff {
			if !m.Role.IsWelfare() {
				pr.add(fmt.Sprintf("staff[%d].role", i), "an outreach visit is made by welfare staff (curator, psychologist, nurse)")
			}
		}
	} else {
		if s.Contacts != 0 {
			pr.add("contacts", "only outreach visits count contacts")
		}
		if len(s.Cases) == 0 {
			pr.add("cases", "at least one participant")
		}
		if s.Kind == SessionIndividual && len(s.Cases) > 1 {
			pr.add("cases", "an individual session has one participant")
		}
	}
	seenCase := map[CaseID]bool{}
	for i, id := range s.Cases {
		if seenCase[id] {
			pr.add(fmt.Sprintf("cases[%d]", i), "listed twice")
		}
		seenCase[id] = true
	}
	for i, el := range s.Elements {
		if !slices.Contains(ApproachElements, el) {
			pr.add(fmt.Sprintf("elements[%d]", i), "unknown coaching-approach element %q", el)
		}
	}
	checkMultiline(&pr, "peer_support", s.PeerSupport, 2000)
	checkText(&pr, "topic", s.Topic, 500)
	if err := pr.err(); err != nil {
		return Session{}, err
	}
	s = s.Clone()
	s.At, s.By, s.Organisation = now, actor.ID, actor.Organisation
	err := run(func(tx Tx) error {
		for i, id := range s.Cases {
			c, err := tx.Case(ctx, id)
			if err != nil {
				if isNotFound(err) {
					return &ValidationError{Subject: "session", Problems: []FieldProblem{{Field: fmt.Sprintf("cases[%d]", i), Message: fmt.Sprintf("unknown case %q", id)}}}
				}
				return err
			}
			// Recording who was present is attendance: teaching staff of
			// the organisation record it for a whole group.
			if _, _, err := e.authorize(ctx, tx, actor, OpRecordAttendance, &c, "", "", nil); err != nil {
				return err
			}
		}
		return tx.PutSession(ctx, s)
	})
	if err != nil {
		return Session{}, err
	}
	return s, nil
}

// Sessions lists the sessions matching q, by date. With q.CaseID set, the
// policy must let actor read that case's schedule (read_schedule); without
// it, the request is for the organisation's sessions (the default policy:
// its head of studies), and only sessions recorded in actor's organisation
// are listed. An individual session with welfare staff (a curator,
// psychologist or nurse) is welfare information: for a case it is listed
// only to its staff, the student themself and those who may read the
// student's welfare records; in the organisation's list it appears
// without the cases (its hours still count).
func (e *Engine) Sessions(ctx context.Context, actor Actor, q SessionQuery) ([]Session, error) {
	var out []Session
	err := e.readAs(ctx, OpReadSchedule, func(tx ReadTx, _ func(*Request, Decision, string) error) error {
		var filter *welfareFilter
		self := false
		if q.CaseID != "" {
			c, err := tx.Case(ctx, q.CaseID)
			if err != nil {
				return err
			}
			if _, _, err := e.authorize(ctx, tx, actor, OpReadSchedule, &c, "", "", nil); err != nil {
				return err
			}
			filter = e.welfareFilter(tx, actor, &c)
			self = actor.HasRole(RoleStudent) && slices.ContainsFunc(actor.Relations, func(r Relation) bool {
				return r.Kind == RelationSelf && r.Participant == c.ParticipantID
			})
		} else if _, _, err := e.authorize(ctx, tx, actor, OpReadSchedule, nil, "", actor.Organisation, nil); err != nil {
			return err
		}
		all, err := tx.Sessions(ctx, q)
		if err != nil {
			return err
		}
		out = all[:0]
		for _, s := range all {
			if q.CaseID == "" && s.Organisation != actor.Organisation {
				continue
			}
			if s.welfareContact() && !s.hasStaff(actor.ID) && !self {
				// An individual meeting with a curator, psychologist or
				// nurse is welfare information: whom they met is shown
				// only to those who may read the student's welfare records.
				if filter == nil {
					s.Cases = nil
				} else if ok, err := filter.visible(ctx, welfareUnknown); err != nil {
					return err
				} else if !ok {
					continue
				}
			}
			if q.CaseID != "" && !anyRole(actor, staffRoles) {
				// A student or a guardian sees their own presence in a group
				// session, never who else was there.
				s.Cases = []CaseID{q.CaseID}
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// welfareContact reports whether the session is an individual meeting
// with welfare staff (a curator, psychologist or nurse).
func (s *Session) welfareContact() bool {
	return s.Kind == SessionIndividual && slices.ContainsFunc(s.Staff, func(m SessionStaff) bool { return m.Role.IsWelfare() })
}

func (s *Session) hasStaff(actorID string) bool {
	return slices.ContainsFunc(s.Staff, func(m SessionStaff) bool { return m.ActorID == actorID })
}

// StaffHours are one staff member's coaching hours in a period.
type StaffHours struct {
	ActorID string
	Role    Role
	Hours   decimal.Decimal
	// Sessions counts the sessions; Contacts the outreach contacts.
	Sessions int
	Contacts int
}

// TeamHours adds up each staff member's session hours from..to (inclusive),
// by actor and role, sorted by actor id then role. Compare them with the
// allocation (the pilot: 40–100 hours a year by role) with
// outcomes.TeamHours.
//
// The hours are figures of actor's organisation: the policy's read_figures
// rule decides (the default: the head of studies).
func (e *Engine) TeamHours(ctx context.Context, actor Actor, from, to Date) ([]StaffHours, error) {
	if err := e.AuthorizeOrganisation(ctx, actor, OpReadFigures, actor.Organisation); err != nil {
		return nil, err
	}
	var sessions []Session
	err := e.view(ctx, func(tx ReadTx) error {
		all, err := tx.Sessions(ctx, SessionQuery{From: from, To: to})
		for _, s := range all {
			if s.Organisation == actor.Organisation {
				sessions = append(sessions, s)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	type key struct {
		actor string
		role  Role
	}
	sum := map[key]*StaffHours{}
	for _, s := range sessions {
		for _, m := range s.Staff {
			k := key{m.ActorID, m.Role}
			h, ok := sum[k]
			if !ok {
				h = &StaffHours{ActorID: m.ActorID, Role: m.Role}
				sum[k] = h
			}
			h.Hours = h.Hours.Add(s.Hours)
			h.Sessions++
			h.Contacts += s.Contacts
		}
	}
	out := make([]StaffHours, 0, len(sum))
	for _, h := range sum {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b StaffHours) int {
		if c := strings.Compare(a.ActorID, b.ActorID); c != 0 {
			return c
		}
		return strings.Compare(string(a.Role), string(b.Role))
	})
	return out, nil
}
