// Package session records coaching sessions — individual and group
// coaching, and welfare staff's outreach among the students
// ("jalkautuminen") — with their decimal hours, the coaching-approach
// elements worked on and peer support, and adds them up to hours per team
// member. It is a feature built on the coaching kernel's extension points:
// its commands and reads run in policy-scoped transactions
// ([coaching.Engine.Write], [coaching.Engine.Read]) and its data lives
// behind its own small store port ([Store]), which the store adapters
// implement.
package session

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
)

// Kind is the kind of a coaching session.
type Kind string

// Session kinds.
const (
	// Individual: individual coaching ("walking alongside").
	Individual Kind = "individual"
	// Group: group coaching, including community-building activity.
	Group Kind = "group"
	// Outreach: welfare staff going out among the students
	// ("jalkautuminen") to lower the threshold to contact them.
	Outreach Kind = "outreach"
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

// Staff is a support-team member's time in a session.
type Staff struct {
	ActorID string        `json:"actor_id"`
	Role    coaching.Role `json:"role"`
}

// Session is a coaching session: individual or group coaching, or a welfare
// outreach visit. Hours are decimal hours (1.5 = 1 h 30 min), counted for
// every staff member present.
type Session struct {
	ID    string          `json:"id"`
	Kind  Kind            `json:"kind"`
	Date  coaching.Date   `json:"date"`
	Hours decimal.Decimal `json:"hours"`
	// Staff are the coaches and other team members present.
	Staff []Staff `json:"staff"`
	// Cases are the participants present (their cases).
	Cases []coaching.CaseID `json:"cases,omitempty"`
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
	Organisation coaching.OrganisationID `json:"organisation,omitempty"`
	At           time.Time               `json:"at"`
	By           string                  `json:"by"`
}

// Clone returns a deep copy.
func (s Session) Clone() Session {
	s.Staff = slices.Clone(s.Staff)
	s.Cases = slices.Clone(s.Cases)
	s.Elements = slices.Clone(s.Elements)
	return s
}

// Query filters sessions; zero fields do not filter. From and To are
// inclusive civil dates.
type Query struct {
	From, To coaching.Date
	ActorID  string
	CaseID   coaching.CaseID
	Kind     Kind
}

// Match reports whether s passes the filter.
func (q Query) Match(s Session) bool {
	switch {
	case !q.From.IsZero() && s.Date.Before(q.From):
		return false
	case !q.To.IsZero() && s.Date.After(q.To):
		return false
	case q.Kind != "" && s.Kind != q.Kind:
		return false
	case q.CaseID != "" && !slices.Contains(s.Cases, q.CaseID):
		return false
	case q.ActorID != "" && !slices.ContainsFunc(s.Staff, func(m Staff) bool { return m.ActorID == q.ActorID }):
		return false
	}
	return true
}

// maxSessionHours bounds one session.
var maxSessionHours = decimal.NewFromInt(24)

// Reader is the read side of the sessions' store port: the transactions
// of a store adapter that keeps sessions implement it (the memory, SQLite
// and PostgreSQL stores do; adapters/storetest.RunSessions proves one).
type Reader interface {
	// Sessions returns the coaching sessions matching q, ordered by date
	// then id.
	Sessions(ctx context.Context, q Query) ([]Session, error)
}

// Store is the sessions' store port: a write transaction of an adapter
// that keeps sessions.
type Store interface {
	Reader
	// PutSession stores a new coaching session; a *coaching.DuplicateError
	// when the id exists.
	PutSession(ctx context.Context, s Session) error
	// FeatureEraser erases a case's share of the sessions when its
	// participant is erased (coaching.CaseChange.Erase calls it): the
	// Topic and PeerSupport of every session listing the case are cleared
	// — free text that may name the student — while the hours, staff,
	// dates, kinds, elements, contacts and cases stay, so the team hours
	// are the same after an erasure. Embedding it here means a store
	// cannot keep sessions without erasing them.
	coaching.FeatureEraser
}

// KeyID is the ID a session recorded by actorID with idempotency key
// key is stored under: a digest of the two, so that one actor's key never
// names another actor's session and the key itself is not stored.
func KeyID(actorID, key string) string {
	sum := sha256.Sum256([]byte(actorID + "\x00" + key))
	return "k-" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// RuleStaff names the refusal of a session recorded by someone without a
// staff role.
const RuleStaff = "session_staff"

// errNoPort: the engine's store keeps no sessions.
var errNoPort = errors.New("session: the store does not keep coaching sessions (its transactions do not implement session.Store)")

// Service records and lists coaching sessions over an engine.
type Service struct {
	eng *coaching.Engine
}

// New returns the sessions of eng (a bound engine, coaching.Engine.In,
// runs them in the host's transaction).
func New(eng *coaching.Engine) (*Service, error) {
	if eng == nil {
		return nil, errors.New("session: New: engine is nil")
	}
	return &Service{eng: eng}, nil
}

// maxHours bounds one session.
var maxHours = decimal.NewFromInt(24)

// Record stores a coaching session or an outreach visit. Staff record
// their own sessions; every staff member listed must have a staff role.
// Recording who was present is attendance, which the policy's
// record_attendance rule allows the school's teaching staff on any case
// of their organisation; anyone else (a curator recording a meeting they
// held) records a session only on a case whose change the policy allows
// them (change_case: a case they are on). The hours must be positive, at
// most 24, with at most two decimals.
func (s *Service) Record(ctx context.Context, actor coaching.Actor, in Session) (Session, error) {
	return s.record(ctx, actor, "", in)
}

// RecordKeyed is [Service.Record] made safe to repeat with an idempotency
// key (a form's hidden token, a client's request id), so that a double
// click, a resent form or a retry after a timeout does not count the
// hours twice. The session is stored under [KeyID](actor.ID, key), which
// in.ID must leave empty. A RecordKeyed with a key actor recorded a
// session with on the same date stores nothing and returns that session
// as stored; the same key with any other detail (another date, hours,
// staff, participants, elements or text) is a *coaching.ValidationError
// naming key: a new session needs a new key. Two calls at once with one
// key record one session: the second, whose store refuses the ID the first
// took, is run again and finds the first. The key is required, at most
// 100 bytes, and not stored.
func (s *Service) RecordKeyed(ctx context.Context, actor coaching.Actor, key string, in Session) (Session, error) {
	if pr := keyProblems(key, in.ID); len(pr) > 0 {
		return Session{}, &coaching.ValidationError{Subject: "session", Problems: pr}
	}
	return s.record(ctx, actor, key, in)
}

// keyProblems checks RecordKeyed's key and the session's id.
func keyProblems(key, id string) []coaching.FieldProblem {
	pr := coaching.TextProblems("key", key, 100, false)
	if strings.TrimSpace(key) == "" {
		pr = append(pr, coaching.FieldProblem{Field: "key", Message: "required"})
	}
	if id != "" {
		pr = append(pr, coaching.FieldProblem{Field: "id", Message: "a keyed session has no id of its own (KeyID derives it)"})
	}
	return pr
}

// record is Record, keyed when key is set.
func (s *Service) record(ctx context.Context, actor coaching.Actor, key string, in Session) (Session, error) {
	var out Session
	write := func() error {
		return s.eng.Write(ctx, actor, func(sc *coaching.Scope) error {
			var err error
			out, err = recordIn(sc, key, in)
			return err
		})
	}
	err := write()
	var dup *coaching.DuplicateError
	if key != "" && errors.As(err, &dup) {
		// A keyed call committed meanwhile: run again to answer with
		// it (or to refuse the key if it recorded something else).
		err = write()
		if errors.As(err, &dup) {
			err = keyUsed(dup.ID)
		}
	}
	if err != nil {
		return Session{}, err
	}
	return out, nil
}

// keyUsed refuses a key the actor recorded another session with.
func keyUsed(id string) error {
	return &coaching.ValidationError{Subject: "session", Problems: []coaching.FieldProblem{{Field: "key",
		Message: "already used for session " + id + ", recorded with other details: a new session needs a new key"}}}
}

// same reports whether stored session s is what in asks for: a repeat of
// the session with its key.
func (s Session) same(in Session) bool {
	return s.Kind == in.Kind && s.Date == in.Date && s.Hours.Equal(in.Hours) && slices.Equal(s.Staff, in.Staff) &&
		slices.Equal(s.Cases, in.Cases) && slices.Equal(s.Elements, in.Elements) &&
		s.PeerSupport == in.PeerSupport && s.Contacts == in.Contacts && s.Topic == in.Topic
}

// RecordIn is [Service.Record] inside a write scope another feature
// opened (caseload records a planned session held together with its own
// writes): the same checks, by the scope's actor, in the scope's
// transaction. A read scope records nothing.
func RecordIn(sc *coaching.Scope, in Session) (Session, error) {
	return recordIn(sc, "", in)
}

// recordIn is RecordIn, keyed when key is set (RecordKeyed).
func recordIn(sc *coaching.Scope, key string, in Session) (Session, error) {
	if sc == nil || sc.Tx() == nil {
		return Session{}, errors.New("session: RecordIn needs a write scope (coaching.Engine.Write)")
	}
	actor := sc.Actor()
	if !slices.ContainsFunc(actor.Roles, coaching.Role.IsStaff) {
		return Session{}, sc.Deny(coaching.OpChangeCase, RuleStaff, "recording sessions needs a staff role")
	}
	now := sc.Now()
	in = in.Clone()
	if key != "" {
		in.ID = KeyID(actor.ID, key)
	}
	if in.ID == "" {
		in.ID = sc.NewID()
	}
	if err := validate(&in, coaching.DateOf(now)); err != nil {
		return Session{}, err
	}
	for i, id := range in.Cases {
		// Recording who was present is attendance: teaching staff of
		// the organisation record it for a whole group. Whoever the
		// policy does not let record attendance (welfare staff, since
		// attendance marks are the teaching staff's) records the
		// sessions they held on the cases they may change.
		op := coaching.OpRecordAttendance
		if c, err := sc.ReadTx().Case(sc.Context(), id); err == nil && !sc.MayRead(op, c) {
			op = coaching.OpChangeCase
		}
		if _, err := sc.Case(op, id); err != nil {
			unknown := &coaching.ValidationError{Subject: "session", Problems: []coaching.FieldProblem{
				{Field: fmt.Sprintf("cases[%d]", i), Message: fmt.Sprintf("unknown case %q", id)}}}
			var nf *coaching.NotFoundError
			if errors.As(err, &nf) {
				return Session{}, unknown
			}
			// Another organisation's case is answered exactly as a
			// missing one (ForbiddenError.NotFound), its denial logged.
			var fe *coaching.ForbiddenError
			if errors.As(err, &fe) && fe.NotFound() != nil {
				return Session{}, fe.Conceal(unknown)
			}
			return Session{}, err
		}
	}
	st, ok := sc.Tx().(Store)
	if !ok {
		return Session{}, errNoPort
	}
	if key != "" {
		// A repeat is stored under the same ID on the same date: read
		// the day's sessions (a few) rather than ask the store for an
		// ID, which the port does not offer. A repeat on another date is
		// refused by PutSession's duplicate ID (RecordKeyed: keyUsed).
		day, err := st.Sessions(sc.Context(), Query{From: in.Date, To: in.Date})
		if err != nil {
			return Session{}, err
		}
		for _, first := range day {
			if first.ID == in.ID {
				if !first.same(in) {
					return Session{}, keyUsed(first.ID)
				}
				return first, nil
			}
		}
	}
	in.At, in.By, in.Organisation = now, actor.ID, actor.Organisation
	if err := st.PutSession(sc.Context(), in); err != nil {
		return Session{}, err
	}
	return in, nil
}

// validate checks a session before anything is stored, reporting every
// problem at once.
func validate(in *Session, today coaching.Date) error {
	var pr []coaching.FieldProblem
	add := func(field, format string, args ...any) {
		pr = append(pr, coaching.FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	pr = append(pr, coaching.TextProblems("id", in.ID, 200, false)...)
	switch in.Kind {
	case Individual, Group, Outreach:
	default:
		add("kind", "must be individual, group or outreach, got %q", in.Kind)
	}
	switch {
	case in.Date.IsZero() || !in.Date.Valid():
		add("date", "required: a calendar date")
	case in.Date.After(today):
		add("date", "is in the future")
	}
	switch {
	case !in.Hours.IsPositive():
		add("hours", "must be more than 0")
	case in.Hours.GreaterThan(maxHours):
		add("hours", "must be at most 24")
	case !in.Hours.Equal(in.Hours.Round(2)):
		add("hours", "at most two decimals")
	}
	if len(in.Staff) == 0 {
		add("staff", "at least one staff member")
	}
	seenStaff := map[string]bool{}
	for i, m := range in.Staff {
		path := fmt.Sprintf("staff[%d]", i)
		if strings.TrimSpace(m.ActorID) == "" {
			add(path+".actor_id", "required")
		} else if seenStaff[m.ActorID] {
			add(path+".actor_id", "listed twice")
		}
		seenStaff[m.ActorID] = true
		if !m.Role.IsStaff() {
			add(path+".role", "must be a staff role, got %q", m.Role)
		}
	}
	if in.Kind == Outreach {
		if in.Contacts < 0 || in.Contacts > 10000 {
			add("contacts", "must be 0–10000")
		}
		for i, m := range in.Staff {
			if !m.Role.IsWelfare() {
				add(fmt.Sprintf("staff[%d].role", i), "an outreach visit is made by welfare staff (curator, psychologist, nurse)")
			}
		}
	} else {
		if in.Contacts != 0 {
			add("contacts", "only outreach visits count contacts")
		}
		if len(in.Cases) == 0 {
			add("cases", "at least one participant")
		}
		if in.Kind == Individual && len(in.Cases) > 1 {
			add("cases", "an individual session has one participant")
		}
	}
	seenCase := map[coaching.CaseID]bool{}
	for i, id := range in.Cases {
		if seenCase[id] {
			add(fmt.Sprintf("cases[%d]", i), "listed twice")
		}
		seenCase[id] = true
	}
	for i, el := range in.Elements {
		if !slices.Contains(ApproachElements, el) {
			add(fmt.Sprintf("elements[%d]", i), "unknown coaching-approach element %q", el)
		}
	}
	pr = append(pr, coaching.TextProblems("peer_support", in.PeerSupport, 2000, true)...)
	pr = append(pr, coaching.TextProblems("topic", in.Topic, 500, false)...)
	if len(pr) > 0 {
		return &coaching.ValidationError{Subject: "session", Problems: pr}
	}
	return nil
}

// List returns the sessions matching q, by date. With q.CaseID set, the
// policy must let actor read that case's schedule (read_schedule); without
// it, the request is for the organisation's sessions (the default policy:
// its head of studies), and only sessions recorded in actor's organisation
// are listed. An individual session with welfare staff (a curator,
// psychologist or nurse) is welfare information: for a case it is listed
// only to its staff, the student themself and those who may read the
// student's welfare records; in the organisation's list it appears
// without the cases (its hours still count). A student or a guardian sees
// only their own presence in a group session, never who else was there.
func (s *Service) List(ctx context.Context, actor coaching.Actor, q Query) ([]Session, error) {
	var out []Session
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		var (
			c    coaching.Case
			self bool
		)
		if q.CaseID != "" {
			var err error
			if c, err = sc.Case(coaching.OpReadSchedule, q.CaseID); err != nil {
				return err
			}
			self = actor.HasRole(coaching.RoleStudent) && slices.ContainsFunc(actor.Relations, func(r coaching.Relation) bool {
				return r.Kind == coaching.RelationSelf && r.Participant == c.ParticipantID
			})
		} else if err := sc.Organisation(coaching.OpReadSchedule, actor.Organisation); err != nil {
			return err
		}
		rd, ok := sc.ReadTx().(Reader)
		if !ok {
			return errNoPort
		}
		all, err := rd.Sessions(ctx, q)
		if err != nil {
			return err
		}
		staff := slices.ContainsFunc(actor.Roles, coaching.Role.IsStaff)
		welfare := -1 // whether actor may read c's welfare records, asked once
		for _, se := range all {
			if q.CaseID == "" && se.Organisation != actor.Organisation {
				continue
			}
			if se.welfareContact() && !se.hasStaff(actor.ID) && !self {
				if q.CaseID == "" {
					se.Cases = nil
				} else {
					if welfare < 0 {
						welfare = 0
						if sc.MayRead(coaching.OpReadWelfare, c) {
							welfare = 1
						}
					}
					if welfare == 0 {
						continue
					}
				}
			}
			if q.CaseID != "" && !staff {
				se.Cases = []coaching.CaseID{q.CaseID}
			}
			out = append(out, se)
		}
		return nil
	})
	return out, err
}

// welfareContact reports whether the session is an individual meeting
// with welfare staff (a curator, psychologist or nurse).
func (s *Session) welfareContact() bool {
	return s.Kind == Individual && slices.ContainsFunc(s.Staff, func(m Staff) bool { return m.Role.IsWelfare() })
}

func (s *Session) hasStaff(actorID string) bool {
	return slices.ContainsFunc(s.Staff, func(m Staff) bool { return m.ActorID == actorID })
}

// StaffHours are one staff member's coaching hours in a period.
type StaffHours struct {
	ActorID string
	Role    coaching.Role
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
func (s *Service) TeamHours(ctx context.Context, actor coaching.Actor, from, to coaching.Date) ([]StaffHours, error) {
	var sessions []Session
	err := s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if err := sc.Organisation(coaching.OpReadFigures, actor.Organisation); err != nil {
			return err
		}
		rd, ok := sc.ReadTx().(Reader)
		if !ok {
			return errNoPort
		}
		all, err := rd.Sessions(ctx, Query{From: from, To: to})
		for _, se := range all {
			if se.Organisation == actor.Organisation {
				sessions = append(sessions, se)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	type key struct {
		actor string
		role  coaching.Role
	}
	sum := map[key]*StaffHours{}
	for _, se := range sessions {
		for _, m := range se.Staff {
			k := key{m.ActorID, m.Role}
			h, ok := sum[k]
			if !ok {
				h = &StaffHours{ActorID: m.ActorID, Role: m.Role}
				sum[k] = h
			}
			h.Hours = h.Hours.Add(se.Hours)
			h.Sessions++
			h.Contacts += se.Contacts
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
