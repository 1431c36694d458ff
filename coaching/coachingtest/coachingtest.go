// Package coachingtest is the test kit for hosts that unit-test their own
// process rules and models: a controllable clock, a recording notice
// sender, valid participants to start from, an engine on the in-memory
// store, helpers that drive a case through a model, and assertions that
// fail with a clear message.
//
// Helpers take [testing.TB]; each delegates to a twin that takes a narrow
// interface, so the kit tests its own failure messages. Nothing here is
// safe for production use.
package coachingtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// failureHeader starts every assertion failure, so kit failures are easy
// to tell from the host's own.
const failureHeader = "valmennus assertion failure: "

// testingT is the part of testing.TB the kit uses.
type testingT interface {
	Helper()
	Errorf(format string, args ...any)
	FailNow()
}

func fail(t testingT, format string, args ...any) {
	t.Helper()
	t.Errorf(failureHeader+format, args...)
	t.FailNow()
}

// Clock is a controllable [coaching.Clock], safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t (backwards too).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// AdvanceDays moves the clock n civil days forward in Helsinki, keeping the
// wall-clock time (a day across a DST change is 23 or 25 hours).
func (c *Clock) AdvanceDays(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.In(coaching.Helsinki).AddDate(0, 0, n)
}

// Sender records the notices it is asked to send. It can be told to fail,
// to test retries and dead letters. Safe for concurrent use.
type Sender struct {
	mu      sync.Mutex
	sent    []coaching.Notice
	failing error
	calls   int
}

var _ coaching.Sender = (*Sender)(nil)

// Send records n, or returns the error set with FailWith.
func (s *Sender) Send(_ context.Context, n coaching.Notice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.failing != nil {
		return s.failing
	}
	s.sent = append(s.sent, n.Clone())
	return nil
}

// FailWith makes every following Send return err (nil: succeed again).
// Wrap err with [coaching.Permanent] to simulate a permanent failure.
func (s *Sender) FailWith(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = err
}

// Sent returns the notices delivered so far, in order.
func (s *Sender) Sent() []coaching.Notice {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// Calls returns how many times Send was called, failures included.
func (s *Sender) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Actors the kit uses by default. Staff has every support-team role, so
// driving a case never trips over roles; use the narrower actors, or your
// own, to test role checks.
var (
	Staff = coaching.Actor{ID: "staff-1", Name: "Test Staff", Roles: append(slices.Clone(coaching.TeamRoles), coaching.RoleHeadOfStudies)}
	Coach = coaching.Actor{ID: "coach-1", Name: "Test Coach", Roles: []coaching.Role{coaching.RoleCoach}}
	Tutor = coaching.Actor{ID: "tutor-1", Name: "Test Tutor", Roles: []coaching.Role{coaching.RolePersonalTutor}}
)

// DefaultStart is the time a kit environment starts at: Monday 2026-08-10
// 09:00 in Helsinki, the start of an autumn term.
var DefaultStart = time.Date(2026, 8, 10, 9, 0, 0, 0, coaching.Helsinki)

// Participant returns a valid adult participant (born 2000-03-15, Finnish,
// e-mail contact, full background) with the edits applied.
func Participant(edits ...func(*coaching.Participant)) coaching.Participant {
	months := 8
	foreign := false
	p := coaching.Participant{
		GivenNames: "Testi",
		FamilyName: "Osallistuja",
		BirthDate:  coaching.NewDate(2000, 3, 15),
		Language:   coaching.Finnish,
		Contact:    coaching.Contact{Email: "testi.osallistuja@example.fi", Phone: "+358 40 123 4567"},
		Background: coaching.Background{
			Gender: coaching.GenderFemale, EducationLevel: coaching.EducationBasic,
			LabourStatus: coaching.LabourUnemployed, UnemployedMonths: &months, ForeignBackground: &foreign,
		},
	}
	for _, e := range edits {
		e(&p)
	}
	return p
}

// Minor returns a participant who turns 18 on eighteenth, with one guardian
// who has an e-mail address.
func Minor(eighteenth coaching.Date, edits ...func(*coaching.Participant)) coaching.Participant {
	p := Participant(func(p *coaching.Participant) {
		p.BirthDate = coaching.NewDate(eighteenth.Year-18, eighteenth.Month, eighteenth.Day)
		p.Guardians = []coaching.Guardian{{ID: "guardian-1", Name: "Huoltaja Osallistuja",
			Contact: coaching.Contact{Email: "huoltaja@example.fi"}, Language: coaching.Finnish}}
	})
	for _, e := range edits {
		e(&p)
	}
	return p
}

// EnrolPilotMinor opens a pilot case (coaching.ModelPilot) for a [Minor]
// who turns 18 on eighteenth, acting as Staff, with the kit's Tutor as
// personal tutor (named "Tiina Tutor", with an e-mail: guardians are told
// whom to contact) and a curator ("curator-1") on the team: the student of
// attendance and referral tests.
func (e *Env) EnrolPilotMinor(t testing.TB, eighteenth coaching.Date, edits ...func(*coaching.Participant)) coaching.Case {
	t.Helper()
	tutor := TeamMember(Tutor, coaching.RolePersonalTutor)
	tutor.Name = "Tiina Tutor"
	curator := coaching.TeamMember{ActorID: "curator-1", Role: coaching.RoleCurator, Name: "Kuraattori", Contact: coaching.Contact{Email: "kuraattori@example.fi"}}
	return e.enrol(t, coaching.ModelPilot, Minor(eighteenth, edits...), []coaching.TeamMember{tutor, curator})
}

// TeamMember returns a team member for actor a in role r, with an e-mail.
func TeamMember(a coaching.Actor, r coaching.Role) coaching.TeamMember {
	name := a.Name
	if name == "" {
		name = a.ID
	}
	return coaching.TeamMember{ActorID: a.ID, Role: r, Name: name, Contact: coaching.Contact{Email: a.ID + "@example.fi"}, Language: coaching.Finnish}
}

// Options configure [New].
type Options struct {
	// Models defaults to Engine.Models, and when both are empty to the
	// built-in VALO and pilot models.
	Models []*coaching.Model
	// Start defaults to DefaultStart.
	Start time.Time
	// Engine are the engine's options — timer handlers (e.g.
	// pathway.TimerHandlers, referral.TimerHandlers), the features'
	// guarded document kinds (e.g. referral.Documents()), the policy, the
	// texts, the logger, id generation — exactly as the host passes them
	// to coaching.New. The kit sets Clock to its own clock (an Engine.Clock
	// given here is an error: drive time with Env.Clock).
	Engine coaching.Options
	// Attendance are the attendance feature's options (digest time,
	// early-warning rules), exactly as the host passes them to
	// attendance.New; nil is its defaults. Env.Attendance is built with
	// them.
	Attendance *attendance.Options
	// Dispatcher options; the kit sets Clock. Defaults to the dispatcher's
	// own defaults.
	Dispatcher *coaching.DispatcherOptions
}

// Env is an engine on a fresh in-memory store with a controllable clock, a
// recording sender and a dispatcher between them.
type Env struct {
	Engine     *coaching.Engine
	Store      *memory.Store
	Clock      *Clock
	Sender     *Sender
	Dispatcher *coaching.Dispatcher
	// Attendance is the attendance feature over Engine (Options.Attendance).
	Attendance *attendance.Service
}

// New returns a fresh environment; it fails the test if the models or
// options are invalid.
func New(t testing.TB, opts *Options) *Env {
	t.Helper()
	return newEnv(t, opts)
}

func newEnv(t testingT, opts *Options) *Env {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	eopts := opts.Engine
	if eopts.Clock != nil {
		fail(t, "Options.Engine.Clock is set: the kit drives time with its own clock (Env.Clock)")
		return nil
	}
	if len(opts.Models) > 0 {
		eopts.Models = opts.Models
	}
	if len(eopts.Models) == 0 {
		eopts.Models = []*coaching.Model{coaching.VALO(), coaching.Pilot()}
	}
	start := opts.Start
	if start.IsZero() {
		start = DefaultStart
	}
	env := &Env{Store: memory.New(), Clock: NewClock(start), Sender: &Sender{}}
	eopts.Clock = env.Clock
	eng, err := coaching.New(env.Store, &eopts)
	if err != nil {
		fail(t, "cannot build the engine: %v", err)
		return nil
	}
	env.Engine = eng
	Inspect(eng, env.Store)
	if env.Attendance, err = attendance.New(eng, opts.Attendance); err != nil {
		fail(t, "cannot build attendance: %v", err)
		return nil
	}
	dopts := coaching.DispatcherOptions{}
	if opts.Dispatcher != nil {
		dopts = *opts.Dispatcher
	}
	dopts.Clock = env.Clock
	d, err := coaching.NewDispatcher(env.Store, env.Sender, &dopts)
	if err != nil {
		fail(t, "cannot build the dispatcher: %v", err)
		return nil
	}
	env.Dispatcher = d
	return env
}

// Enrol opens a case in model for p with the team, acting as Staff. With
// no team given, the kit's Coach (as coach) and Tutor (as personal tutor)
// form it, so that the kit's actors may act on the case under the access
// policy (only the support team and the head of studies may).
func (e *Env) Enrol(t testing.TB, model string, p coaching.Participant, team ...coaching.TeamMember) coaching.Case {
	t.Helper()
	return e.enrol(t, model, p, team)
}

func (e *Env) enrol(t testingT, model string, p coaching.Participant, team []coaching.TeamMember) coaching.Case {
	t.Helper()
	if len(team) == 0 {
		team = []coaching.TeamMember{TeamMember(Coach, coaching.RoleCoach), TeamMember(Tutor, coaching.RolePersonalTutor)}
	}
	c, err := e.Engine.Enrol(context.Background(), Staff, coaching.EnrolParams{Model: model, Participant: p, Team: team})
	if err != nil {
		fail(t, "enrolling in model %q: %v", model, err)
	}
	return c
}

// Step is one event to fire while driving a case.
type Step struct {
	Event string
	// As is the actor; defaults to Staff.
	As coaching.Actor
	// Options are passed to Fire as they are.
	Options *coaching.FireOptions
	// After advances the clock by this much before the event.
	After time.Duration
}

// Fire returns a step that fires event with no options.
func Fire(event string) Step { return Step{Event: event} }

// FireWith returns a step that fires event with a payload.
func FireWith(event string, payload any) Step {
	return Step{Event: event, Options: &coaching.FireOptions{Payload: payload}}
}

// Because returns a step that fires event with a written reason.
func Because(event, reason string) Step {
	return Step{Event: event, Options: &coaching.FireOptions{Reason: reason}}
}

// Drive fires the steps in order on the case and returns the case after the
// last one, with its records (read from the store: a command's result
// carries none, see coaching.Case.Records). It fails the test at the first
// step that errors, naming the step, the state and the error.
func (e *Env) Drive(t testing.TB, id coaching.CaseID, steps ...Step) coaching.Case {
	t.Helper()
	return e.drive(t, id, steps)
}

func (e *Env) drive(t testingT, id coaching.CaseID, steps []Step) coaching.Case {
	t.Helper()
	c, err := readCase(e.Store, id)
	if err != nil {
		fail(t, "driving case %q: %v", id, err)
		return c
	}
	for i, s := range steps {
		if s.After > 0 {
			e.Clock.Advance(s.After)
		}
		as := s.As
		if as.ID == "" {
			as = Staff
		}
		res, err := e.Engine.Fire(context.Background(), as, id, s.Event, s.Options)
		if err != nil {
			fail(t, "driving case %q: step %d (%s) from state %q failed: %v", id, i+1, s.Event, c.State, err)
			return c
		}
		c = res.Case
	}
	var records []coaching.Record
	err = e.Store.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		records, err = tx.Records(context.Background(), id, coaching.RecordQuery{})
		return err
	})
	if err != nil {
		fail(t, "driving case %q: reading its records: %v", id, err)
		return c
	}
	if len(records) > 0 {
		c.Records = records
	}
	return c
}

// Deliver runs the dispatcher once and returns the notices the sender
// received during that run.
func (e *Env) Deliver(t testing.TB) []coaching.Notice {
	t.Helper()
	before := len(e.Sender.Sent())
	if _, err := e.Dispatcher.RunOnce(context.Background()); err != nil {
		t.Fatalf(failureHeader+"dispatching: %v", err)
	}
	return e.Sender.Sent()[before:]
}

// Tick runs the engine's Tick at the clock's current time. It fails the
// test when a due timer was dropped because no handler was given for its
// kind — a follow-up that silently never happens — naming the kind, so
// that the handlers go into Options.Engine.TimerHandlers. Call
// Env.Engine.Tick directly to test that dropping.
func (e *Env) Tick(t testing.TB) coaching.TickReport {
	t.Helper()
	return e.tick(t)
}

func (e *Env) tick(t testingT) coaching.TickReport {
	t.Helper()
	rep, err := e.Engine.Tick(context.Background(), e.Clock.Now())
	if err != nil {
		fail(t, "tick: %v", err)
		return rep
	}
	if len(rep.Unhandled) > 0 {
		fail(t, "tick dropped timers of kind %s: no handler was given for them; pass the package's handlers in Options.Engine.TimerHandlers (e.g. pathway.TimerHandlers(nil))",
			strings.Join(rep.Unhandled, ", "))
	}
	return rep
}

// RequireState fails unless the case is in state; it returns the case.
func RequireState(t testing.TB, eng *coaching.Engine, id coaching.CaseID, state string) coaching.Case {
	t.Helper()
	return requireState(t, eng, id, state)
}

func requireState(t testingT, eng *coaching.Engine, id coaching.CaseID, state string) coaching.Case {
	t.Helper()
	c, err := storedCase(eng, id)
	if err != nil {
		fail(t, "case %q: %v", id, err)
		return c
	}
	if c.State != state {
		fail(t, "case %q is in state %q, want %q", id, c.State, state)
	}
	return c
}

// RequireRejected fails unless err is a *coaching.RulesRejectedError whose
// reasons include every given fragment; it returns the error.
func RequireRejected(t testing.TB, err error, fragments ...string) *coaching.RulesRejectedError {
	t.Helper()
	return requireRejected(t, err, fragments)
}

func requireRejected(t testingT, err error, fragments []string) *coaching.RulesRejectedError {
	t.Helper()
	var rej *coaching.RulesRejectedError
	if !errors.As(err, &rej) {
		fail(t, "want the rules to reject the transition, got %v", describe(err))
		return nil
	}
	all := strings.Join(rej.Reasons(), "\n")
	for _, f := range fragments {
		if !strings.Contains(all, f) {
			fail(t, "rejection reasons do not mention %q; they are:\n%s", f, all)
		}
	}
	return rej
}

// RequireInvalid fails unless err is a *coaching.ValidationError naming
// every given field; it returns the error.
func RequireInvalid(t testing.TB, err error, fields ...string) *coaching.ValidationError {
	t.Helper()
	return requireInvalid(t, err, fields)
}

func requireInvalid(t testingT, err error, fields []string) *coaching.ValidationError {
	t.Helper()
	var ve *coaching.ValidationError
	if !errors.As(err, &ve) {
		fail(t, "want a validation error, got %v", describe(err))
		return nil
	}
	for _, f := range fields {
		found := false
		for _, p := range ve.Problems {
			if p.Field == f {
				found = true
			}
		}
		if !found {
			fail(t, "validation problems do not name field %q; they are: %v", f, ve.Problems)
		}
	}
	return ve
}

// RequireForbidden fails unless err is a *coaching.ForbiddenError.
func RequireForbidden(t testing.TB, err error) *coaching.ForbiddenError {
	t.Helper()
	return requireForbidden(t, err)
}

func requireForbidden(t testingT, err error) *coaching.ForbiddenError {
	t.Helper()
	var fe *coaching.ForbiddenError
	if !errors.As(err, &fe) {
		fail(t, "want a forbidden error, got %v", describe(err))
	}
	return fe
}

// RequireNotAllowed fails unless err is a *coaching.TransitionError whose
// allowed events are exactly allowed (in any order).
func RequireNotAllowed(t testing.TB, err error, allowed ...string) *coaching.TransitionError {
	t.Helper()
	return requireNotAllowed(t, err, allowed)
}

func requireNotAllowed(t testingT, err error, allowed []string) *coaching.TransitionError {
	t.Helper()
	var te *coaching.TransitionError
	if !errors.As(err, &te) {
		fail(t, "want a transition-not-allowed error, got %v", describe(err))
		return nil
	}
	got, want := slices.Clone(te.Allowed), slices.Clone(allowed)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		fail(t, "allowed events from %q are %v, want %v", te.State, got, want)
	}
	return te
}

// RequireAuditTrail fails unless the case's audit trail is numbered 1..n
// without gaps and ends at the case's version; it returns the trail.
func RequireAuditTrail(t testing.TB, eng *coaching.Engine, id coaching.CaseID) []coaching.AuditEntry {
	t.Helper()
	return requireAuditTrail(t, eng, id)
}

func requireAuditTrail(t testingT, eng *coaching.Engine, id coaching.CaseID) []coaching.AuditEntry {
	t.Helper()
	c, err := storedCase(eng, id)
	if err != nil {
		fail(t, "case %q: %v", id, err)
		return nil
	}
	trail, err := storedTrail(eng, id)
	if err != nil {
		fail(t, "audit trail of case %q: %v", id, err)
		return nil
	}
	for i, e := range trail {
		if e.Seq != int64(i+1) {
			fail(t, "audit trail of case %q has a gap: entry %d has seq %d", id, i+1, e.Seq)
			return trail
		}
	}
	if int64(len(trail)) != c.Version {
		fail(t, "audit trail of case %q has %d entries but the case is at version %d", id, len(trail), c.Version)
	}
	return trail
}

// RequireTransition fails unless the case's audit trail has a transition
// from → to; it returns the last such entry.
func RequireTransition(t testing.TB, eng *coaching.Engine, id coaching.CaseID, from, to string) coaching.AuditEntry {
	t.Helper()
	return requireTransition(t, eng, id, from, to)
}

func requireTransition(t testingT, eng *coaching.Engine, id coaching.CaseID, from, to string) coaching.AuditEntry {
	t.Helper()
	trail := requireAuditTrail(t, eng, id)
	for i := len(trail) - 1; i >= 0; i-- {
		if e := trail[i]; e.Kind == coaching.AuditTransition && e.From == from && e.To == to {
			return e
		}
	}
	var seen []string
	for _, e := range trail {
		if e.Kind == coaching.AuditTransition {
			seen = append(seen, e.From+"→"+e.To)
		}
	}
	fail(t, "case %q never moved %s→%s; its transitions: %v", id, from, to, seen)
	return coaching.AuditEntry{}
}

// NoticeMatch selects notices; zero fields match anything.
type NoticeMatch struct {
	Kind        string
	CaseID      coaching.CaseID
	RecipientID string
	// SubjectContains and BodyContains are substrings.
	SubjectContains string
	BodyContains    string
}

func (m NoticeMatch) match(n coaching.Notice) bool {
	return (m.Kind == "" || n.Kind == m.Kind) &&
		(m.CaseID == "" || n.CaseID == m.CaseID) &&
		(m.RecipientID == "" || n.Recipient.ID == m.RecipientID) &&
		strings.Contains(n.Subject, m.SubjectContains) &&
		strings.Contains(n.Body, m.BodyContains)
}

// String shows the match for failure messages.
func (m NoticeMatch) String() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("kind", m.Kind)
	add("case", string(m.CaseID))
	add("recipient", m.RecipientID)
	add("subject~", m.SubjectContains)
	add("body~", m.BodyContains)
	return "{" + strings.Join(parts, " ") + "}"
}

// RequireNotice fails unless exactly one of notices matches; it returns it.
func RequireNotice(t testing.TB, notices []coaching.Notice, m NoticeMatch) coaching.Notice {
	t.Helper()
	return requireNotice(t, notices, m)
}

func requireNotice(t testingT, notices []coaching.Notice, m NoticeMatch) coaching.Notice {
	t.Helper()
	var found []coaching.Notice
	for _, n := range notices {
		if m.match(n) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 1:
		return found[0]
	case 0:
		var have []string
		for _, n := range notices {
			have = append(have, fmt.Sprintf("%s to %s: %q", n.Kind, n.Recipient.ID, n.Subject))
		}
		fail(t, "no notice matches %s among %d notice(s): %v", m, len(notices), have)
	default:
		fail(t, "%d notices match %s, want exactly one", len(found), m)
	}
	return coaching.Notice{}
}

// RequireNoNotice fails if any of notices matches.
func RequireNoNotice(t testing.TB, notices []coaching.Notice, m NoticeMatch) {
	t.Helper()
	requireNoNotice(t, notices, m)
}

func requireNoNotice(t testingT, notices []coaching.Notice, m NoticeMatch) {
	t.Helper()
	for _, n := range notices {
		if m.match(n) {
			fail(t, "unexpected notice matching %s: %s to %s: %q", m, n.Kind, n.Recipient.ID, n.Subject)
		}
	}
}

func describe(err error) string {
	if err == nil {
		return "no error"
	}
	return fmt.Sprintf("%T: %v", err, err)
}

// stores remembers the store of every engine the kit built, or a test
// named with Inspect: the kit's assertions inspect what was stored,
// whoever could read it, and the engine has no accessor for its raw store.
var stores sync.Map // *coaching.Engine → coaching.Store

// Inspect lets the kit's assertions (RequireState, RequireAuditTrail,
// RequireTransition) read eng's cases straight from store, for an engine a
// test built itself rather than with New.
func Inspect(eng *coaching.Engine, store coaching.Store) {
	stores.Store(eng, store)
}

func storeOf(eng *coaching.Engine) (coaching.Store, error) {
	if s, ok := stores.Load(eng); ok {
		return s.(coaching.Store), nil
	}
	return nil, errors.New("the engine was not built by coachingtest.New: call coachingtest.Inspect(eng, store) first")
}

// storedCase reads a case straight from the engine's store. The kit's
// assertions inspect what was stored, whoever could read it: the engine's
// own actor is not something a test (or a host) can construct.
func storedCase(eng *coaching.Engine, id coaching.CaseID) (coaching.Case, error) {
	store, err := storeOf(eng)
	if err != nil {
		return coaching.Case{}, err
	}
	return readCase(store, id)
}

func readCase(store coaching.Store, id coaching.CaseID) (coaching.Case, error) {
	var c coaching.Case
	err := store.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		c, err = tx.Case(context.Background(), id)
		return err
	})
	return c, err
}

// storedTrail reads a case's whole audit trail straight from the store.
func storedTrail(eng *coaching.Engine, id coaching.CaseID) ([]coaching.AuditEntry, error) {
	store, err := storeOf(eng)
	if err != nil {
		return nil, err
	}
	var trail []coaching.AuditEntry
	err = store.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		trail, err = tx.AuditTrail(context.Background(), id, 0)
		return err
	})
	return trail, err
}
