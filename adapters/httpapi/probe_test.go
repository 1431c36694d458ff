package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/referral"
	"github.com/valmennus/valmennus/hoks"
)

// The cross-organisation probe: seventeen personas, all signed in by OpenID
// Connect tokens of the in-process provider, each send every route of the
// API against a case of their own organisation that they stand in a
// relation to (or pointedly do not), against a case of the other
// organisation, and against a case id that does not exist. Each answer is
// the one the table below states from the access policy
// (coaching/policy.go); every denial is a 403 or a 404 — never a 200 or a
// 500 — and every 403 has exactly its access-log entry (actor, operation,
// case, rule); a 404 for an id that does not exist has none (no case was
// read and the policy was not asked). Another organisation's case is
// answered exactly as the missing id — the same status and the same body
// but for the id itself and the request's own id — while its denial's
// entry is written (the access log records the probe; the caller does not
// learn that the id exists); an organisation-level route answers another
// organisation and one that does not exist alike. Every allowed answer
// goes through liveService.do, which validates it against the OpenAPI
// document.
//
// The expected outcomes are written out, not derived from the policy's
// code: a change of the policy or of a route that changes an answer fails
// here and has to be stated.

// Outcomes: "ok" (a 2xx), "403 <rule>", "404", "422". An outcome the
// policy gives today but that looks wrong is stated with finding: the
// probe asserts it (so that a change of it is noticed) and lists it in
// its log, for the policy's owners to decide.
const ok = "ok"

func deny(rule string) string { return "403 " + rule }

// hidden is the outcome of a case route denied to a caller of another
// organisation than the case's (or of none): the missing id's answer, with
// the denial by rule in the access log.
func hidden(rule string) string { return "hidden " + rule }

func finding(outcome, why string) string { return outcome + " !" + why }

func otherOrg(org string) string {
	if org == school2 {
		return school1
	}
	return school2
}

// probePersona is one signed-in user of the probe.
type probePersona struct {
	name    string
	sub     string
	org     string
	roles   []string // the provider's role names
	model   string   // the model of the persona's home case and of what they enrol
	dflt    string   // the outcome of a policy-checked route unless want says otherwise
	want    map[string]string
	home    string // the case probed in their own organisation
	foreign string // a case of the other organisation
	// foreignWant, when set, is the outcome on the other organisation's
	// targets instead of organisation_isolation (a funder's rule decides
	// before it).
	foreignWant string
	// noOrg: the persona's token names no organisation (a funder's need
	// not); org is then only the organisation whose data is probed as
	// their "own".
	noOrg bool
	who   caller
}

func (p *probePersona) id() string { return oidcPrefix + p.sub }

func (p *probePersona) expect(route string) string {
	if w, found := p.want[route]; found {
		return w
	}
	return p.dflt
}

// Routes of the probe.
const (
	rEnrol     = "POST /enrolments"
	rImport    = "POST /imports"
	rCase      = "GET /cases/{case}"
	rEvents    = "GET /cases/{case}/events"
	rFire      = "POST /cases/{case}/events/{event}"
	rMark      = "POST /attendance"
	rAtt       = "GET /cases/{case}/attendance"
	rFlags     = "GET /cases/{case}/flags"
	rHOKS      = "GET /cases/{case}/hoks"
	rPutHOKS   = "PUT /cases/{case}/hoks"
	rApprove   = "POST /cases/{case}/hoks/approval"
	rSummary   = "GET /cases/{case}/hoks/summary"
	rNotices   = "GET /cases/{case}/notices"
	rFigures   = "GET /figures/valo"
	rModels    = "GET /models"
	rModel     = "GET /models/{model}"
	rDiagram   = "GET /models/{model}/diagram"
	missingID  = "case-that-does-not-exist"
	missingOrg = "organisation-that-does-not-exist"
	school1    = "school-1"
	school2    = "school-2"
	setupTutor = "setup-tutor"
	setupCoach = "setup-coach"
)

// probeRoute is how the probe sends one route.
type probeRoute struct {
	// op is the operation a denial's access-log entry names; also is the
	// other one it may name (a change of the plan reads it first: a
	// denial names the read, or the change when only that is denied).
	op, also coaching.Operation
	// target: "case" routes are probed on the home case, the other
	// organisation's case and a missing id; "org" routes on the persona's
	// organisation and (enrolment, attendance) on the other one; "none"
	// routes ask no policy.
	target string
	// everyone, when set, is every persona's outcome (no policy asked).
	everyone string
	send     func(t *testing.T, s *liveService, p *probePersona, target string) response
}

// probeRoutes covers every route the handler registers but the public
// ones (which ask for no identity, and which the probe sends by
// themselves); the test fails on a route without an entry here.
func probeRoutes(pr *probeRun) map[string]probeRoute {
	get := func(suffix string) func(t *testing.T, s *liveService, p *probePersona, c string) response {
		return func(t *testing.T, s *liveService, p *probePersona, c string) response {
			return s.do(t, p.who, "GET", "/cases/"+c+suffix, nil)
		}
	}
	return map[string]probeRoute{
		rModels: {target: "none", everyone: ok, send: func(t *testing.T, s *liveService, p *probePersona, _ string) response {
			return s.do(t, p.who, "GET", "/models", nil)
		}},
		rModel: {target: "none", everyone: ok, send: func(t *testing.T, s *liveService, p *probePersona, _ string) response {
			return s.do(t, p.who, "GET", "/models/"+p.model, nil)
		}},
		rDiagram: {target: "none", everyone: ok, send: func(t *testing.T, s *liveService, p *probePersona, _ string) response {
			return s.do(t, p.who, "GET", "/models/"+p.model+"/diagram", nil)
		}},
		rFigures: {op: coaching.OpReadFigures, target: "own-org", send: func(t *testing.T, s *liveService, p *probePersona, _ string) response {
			return s.do(t, p.who, "GET", "/figures/valo", nil)
		}},
		rEnrol: {op: coaching.OpEnrol, target: "org", send: func(t *testing.T, s *liveService, p *probePersona, org string) response {
			e := enrolment(p.model, "Uusi", "2000-01-01", pr.setupTeam(p.model, org), func(m map[string]any) { m["organisation"] = org })
			return s.do(t, p.who, "POST", "/enrolments", e)
		}},
		rImport: {op: coaching.OpEnrol, target: "own-org", send: func(t *testing.T, s *liveService, p *probePersona, _ string) response {
			csv := "external_id;given_names;family_name;birth_date;email;language;group;start_date\r\n" +
				"X-" + p.sub + ";Tuotu;Esimerkki;2000-01-01;tuotu@example.fi;fi;TVO24A;2024-03-01\r\n"
			return s.do(t, p.who, "POST", "/imports?model="+p.model, csv)
		}},
		rCase:   {op: coaching.OpReadCase, target: "case", send: get("")},
		rEvents: {op: coaching.OpFireEvent, target: "case", send: get("/events")},
		rFire: {op: coaching.OpFireEvent, target: "case", send: func(t *testing.T, s *liveService, p *probePersona, c string) response {
			if p.model == coaching.ModelVALO {
				return s.do(t, p.who, "POST", "/cases/"+c+"/events/admit", map[string]any{"payload": allMet})
			}
			return s.do(t, p.who, "POST", "/cases/"+c+"/events/map_initial_situation", map[string]any{"payload": initialSituation})
		}},
		rMark: {op: coaching.OpRecordAttendance, target: "case", send: func(t *testing.T, s *liveService, p *probePersona, c string) response {
			return s.do(t, p.who, "POST", "/attendance", map[string]any{"marks": []map[string]any{
				{"case_id": c, "date": "2024-04-02", "lesson": "probe-" + p.sub, "minutes": 45, "status": "present"}}})
		}},
		rAtt:     {op: coaching.OpReadAttendance, target: "case", send: get("/attendance")},
		rFlags:   {op: coaching.OpReadCase, target: "case", send: get("/flags")},
		rHOKS:    {op: coaching.OpReadHOKS, target: "case", send: get("/hoks")},
		rSummary: {op: coaching.OpReadHOKSSummary, target: "case", send: get("/hoks/summary")},
		rNotices: {op: coaching.OpReadNotices, target: "case", send: get("/notices")},
		rPutHOKS: {op: coaching.OpReadHOKS, also: coaching.OpChangeHOKS, target: "case", send: func(t *testing.T, s *liveService, p *probePersona, c string) response {
			return s.do(t, p.who, "PUT", "/cases/"+c+"/hoks", pr.plan, "If-Match", pr.etag(t, c))
		}},
		rApprove: {op: coaching.OpReadHOKS, also: coaching.OpApproveHOKS, target: "case", send: func(t *testing.T, s *liveService, p *probePersona, c string) response {
			return s.do(t, p.who, "POST", "/cases/"+c+"/hoks/approval", map[string]string{"on": "2024-04-02"}, "If-Match", pr.etag(t, c))
		}},
	}
}

// initialSituation is a complete mapping for the pilot's first event.
var initialSituation = map[string]any{"support_needs": []string{}, "literacy_screening": "no_support_need",
	"maths_screening": "no_support_need", "initial_interview_date": "2024-03-20", "hoks_drafting_started": "2024-03-25"}

// probeRun is the probe's service, provider and data.
type probeRun struct {
	k     *oidcKit
	s     *liveService
	store coaching.Store
	plan  []byte
	setup map[string]caller // the setup staff of each organisation
	// referrals are the referral ids of the cases.
	referrals map[string]string
	seq       int64 // the access log's last entry seen
}

func (pr *probeRun) setupTeam(model, org string) []map[string]any {
	if model == coaching.ModelVALO {
		return oidcTeam(oidcPrefix+setupCoach+"-"+org, "coach")
	}
	return oidcTeam(oidcPrefix+setupTutor+"-"+org, "personal_tutor")
}

// etag is the case's latest HOKS version as an If-Match value, read from
// the store (not over HTTP, which would add to the access log); "1" for a
// case without a plan.
func (pr *probeRun) etag(t *testing.T, c string) string {
	n := int64(1)
	require.NoError(t, pr.store.View(context.Background(), func(tx coaching.ReadTx) error {
		ds, err := tx.Documents(context.Background(), coaching.CaseID(c), hoks.DocumentKind)
		if len(ds) > 0 {
			n = ds[len(ds)-1].Version
		}
		return err
	}))
	return strconv.Quote(strconv.FormatInt(n, 10))
}

// newEntries returns the access-log entries written since the last call.
func (pr *probeRun) newEntries(t *testing.T) []coaching.AccessEntry {
	es := accessLog(t, pr.store, coaching.AccessQuery{AfterSeq: pr.seq})
	if len(es) > 0 {
		pr.seq = es[len(es)-1].Seq
	}
	return es
}

// enrolCase enrols a participant for the probe by the organisation's setup
// staff, with extra members on the team, and stores a HOKS draft and an
// unexplained absence (which notifies the guardians of a minor).
func (pr *probeRun) enrolCase(t *testing.T, org, model, given, born string, members []map[string]any, participant func(map[string]any)) string {
	t.Helper()
	staff := pr.setup[org+"/"+model]
	e := enrolment(model, given, born, append(pr.setupTeam(model, org), members...), func(m map[string]any) {
		m["organisation"] = org
		if participant != nil {
			participant(m)
		}
	})
	r := pr.s.do(t, staff, "POST", "/enrolments", e)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	id := r.json(t)["id"].(string)
	r = pr.s.do(t, staff, "PUT", "/cases/"+id+"/hoks", pr.plan)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = pr.s.do(t, pr.setup[org+"/"+coaching.ModelPilot], "POST", "/attendance", map[string]any{"marks": []map[string]any{
		{"case_id": id, "date": "2024-04-02", "lesson": "1", "minutes": 90, "status": "absent_unexplained"}}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	// A welfare referral, not shared for teaching, proposed by the setup
	// staff (there is no route for referrals: it is made through the
	// engine, as a host's own screen would).
	refs, err := referral.New(pr.s.eng)
	require.NoError(t, err)
	role := coaching.RolePersonalTutor
	if model == coaching.ModelVALO {
		role = coaching.RoleCoach
	}
	setupActor := coaching.Actor{ID: pr.setupTeam(model, org)[0]["actor_id"].(string), Organisation: coaching.OrganisationID(org), Roles: []coaching.Role{role}}
	ref, err := refs.Propose(context.Background(), setupActor, coaching.CaseID(id), referral.Input{Service: referral.ServiceCurator, Reason: welfareReason + id})
	require.NoError(t, err)
	pr.referrals[id] = ref.ID
	return id
}

// welfareReason begins the reason of every referral of the probe: no
// answer to anyone may hold it (no route shows welfare records).
const welfareReason = "WELFARE-REASON-"

func TestCrossOrganisationProbe(t *testing.T) {
	k := newOIDCKit(t)
	store := memory.New()
	pr := &probeRun{k: k, s: startServiceWith(t, store, k.auth), store: store, plan: hoksDraft(t), setup: map[string]caller{}, referrals: map[string]string{}}
	for _, org := range []string{school1, school2} {
		pr.setup[org+"/"+coaching.ModelPilot] = k.bearer(setupTutor+"-"+org, org, "omaohjaaja")
		pr.setup[org+"/"+coaching.ModelVALO] = k.bearer(setupCoach+"-"+org, org, "valmentaja")
	}
	member := func(sub, role string) []map[string]any { return oidcTeam(oidcPrefix+sub, role) }
	guardian := func(signOn string) func(map[string]any) {
		return func(p map[string]any) {
			p["guardians"] = []map[string]any{{"id": "g-" + signOn, "sign_on": oidcPrefix + signOn, "name": "Huoltaja",
				"contact": map[string]string{"email": signOn + "@koti.example"}}}
		}
	}
	const minor, adult = "2008-06-30", "2000-01-01" // 15 and 24 on the service's date, 2024-04-02

	// What support-team staff may do on their case: everything the routes
	// offer but firing the model's events reserved to other roles and
	// reading figures.
	team := map[string]string{rEnrol: deny(coaching.RuleModelOpeners), rImport: deny(coaching.RuleModelOpeners),
		rFire: deny(coaching.RuleEventRoles), rFigures: deny(coaching.RuleFigures)}
	with := func(base map[string]string, over map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range over {
			out[k] = v
		}
		return out
	}
	notStaff := func(rule string) map[string]string {
		return map[string]string{rEnrol: deny(rule), rImport: deny(rule), rFigures: deny(coaching.RuleFigures)}
	}
	// A peer coach or a workplace instructor is on the team without being
	// the school's staff: they read the case and the HOKS (the instructor
	// takes part in drafting its workplace parts) but neither record
	// attendance (the teaching staff's) nor write or approve the plan (the
	// education provider's).
	nonStaffMember := map[string]string{
		rMark:    deny(coaching.RuleTeachingStaff),
		rPutHOKS: deny(coaching.RuleSupportTeam),
		rApprove: deny(coaching.RuleSupportTeam),
	}
	// Welfare staff on the team may write to the plan's draft but neither
	// approve it nor mark attendance.
	welfareMember := map[string]string{
		rMark:    deny(coaching.RuleTeachingStaff),
		rApprove: deny(coaching.RuleHOKSApprovers),
	}
	personas := []*probePersona{
		{name: "coach on the team", sub: "coach-1", roles: []string{"valmentaja"}, model: coaching.ModelVALO, dflt: ok,
			want: with(team, map[string]string{rEnrol: ok, rImport: ok, rFire: ok})},
		{name: "personal tutor on the team", sub: "tutor-1", roles: []string{"omaohjaaja"}, model: coaching.ModelPilot, dflt: ok,
			want: with(team, map[string]string{rEnrol: ok, rImport: ok, rFire: ok})},
		{name: "teacher not on the team", sub: "teacher-9", roles: []string{"opettaja"}, model: coaching.ModelPilot, dflt: deny(coaching.RuleSupportTeam),
			want: with(team, map[string]string{rMark: ok, rFire: deny(coaching.RuleSupportTeam)})},
		{name: "special needs teacher on the team", sub: "sne-1", roles: []string{"erityisopettaja"}, model: coaching.ModelPilot, dflt: ok, want: team},
		{name: "study counsellor on the team", sub: "counsellor-1", roles: []string{"opinto-ohjaaja"}, model: coaching.ModelPilot, dflt: ok,
			want: with(team, map[string]string{rEnrol: ok, rImport: ok})},
		{name: "curator on the team", sub: "curator-1", roles: []string{"kuraattori"}, model: coaching.ModelPilot, dflt: ok, want: with(team, welfareMember)},
		{name: "psychologist not on the team", sub: "psychologist-9", roles: []string{"psykologi"}, model: coaching.ModelPilot, dflt: deny(coaching.RuleSupportTeam),
			want: with(team, map[string]string{rFire: deny(coaching.RuleSupportTeam)})},
		{name: "nurse on the team", sub: "nurse-1", roles: []string{"terveydenhoitaja"}, model: coaching.ModelPilot, dflt: ok, want: with(team, welfareMember)},
		{name: "head of studies", sub: "head-1", roles: []string{"koulutuspaallikko"}, model: coaching.ModelPilot, dflt: ok,
			want: with(team, map[string]string{rFigures: ok})},
		{name: "workplace instructor on the team", sub: "instructor-1", roles: []string{"tyopaikkaohjaaja"}, model: coaching.ModelVALO, dflt: ok,
			want: with(team, nonStaffMember)},
		{name: "peer coach on the team", sub: "peer-1", roles: []string{"vertaisvalmentaja"}, model: coaching.ModelVALO, dflt: ok,
			want: with(with(team, notStaff(coaching.RuleNotPermitted)), nonStaffMember)},
		{name: "student (a minor) themself", sub: "student-m", roles: []string{"opiskelija"}, model: coaching.ModelPilot, dflt: ok,
			want: with(notStaff(coaching.RuleStudentOther), map[string]string{rFire: deny(coaching.RuleEventRoles), rMark: deny(coaching.RuleStudentSelf),
				rPutHOKS: deny(coaching.RuleStudentSelf), rApprove: deny(coaching.RuleStudentSelf)})},
		{name: "another student", sub: "student-b", roles: []string{"opiskelija"}, model: coaching.ModelPilot, dflt: deny(coaching.RuleStudentOther),
			want: notStaff(coaching.RuleStudentOther)},
		{name: "guardian of the minor", sub: "parent-m", roles: []string{"huoltaja"}, model: coaching.ModelPilot, dflt: deny(coaching.RuleGuardianScope),
			want: with(notStaff(coaching.RuleGuardianRelation), map[string]string{rAtt: ok, rSummary: ok, rNotices: ok})},
		{name: "guardian of an adult student", sub: "parent-b", roles: []string{"huoltaja"}, model: coaching.ModelPilot, dflt: deny(coaching.RuleGuardianScope),
			want: with(notStaff(coaching.RuleGuardianRelation), map[string]string{rAtt: deny(coaching.RuleGuardianAge),
				rSummary: deny(coaching.RuleGuardianAge), rNotices: deny(coaching.RuleGuardianAge)})},
		{name: "head of studies of the other organisation", sub: "head-2", org: school2, roles: []string{"koulutuspaallikko"}, model: coaching.ModelPilot, dflt: ok,
			want: with(team, map[string]string{rFigures: ok})},
		// A funder signs in with no organisation and reads the figures
		// across organisations, never a case or a person, in no
		// organisation (their "own" targets are school-1's).
		{name: "funder", sub: "funder-1", roles: []string{"rahoittaja"}, model: coaching.ModelPilot, noOrg: true,
			// Every case is another organisation's to them: answered as
			// a missing id, the denial logged.
			dflt: hidden(coaching.RuleFunderAggregate), foreignWant: deny(coaching.RuleFunderAggregate),
			want: map[string]string{rFigures: ok, rEnrol: deny(coaching.RuleFunderAggregate), rImport: deny(coaching.RuleFunderAggregate)}},
	}
	require.Len(t, personas, 17)

	// The data: each persona's home case, with the relation it probes.
	byName := map[string]*probePersona{}
	for _, p := range personas {
		if p.org == "" {
			p.org = school1
		}
		byName[p.sub] = p
	}
	homes := map[string]string{}
	for _, p := range personas {
		var members []map[string]any
		var part func(map[string]any)
		born := adult
		switch p.sub {
		case "coach-1":
			members = member(p.sub, "coach")
		case "tutor-1":
			members = member(p.sub, "personal_tutor")
		case "sne-1":
			members = member(p.sub, "special_needs_teacher")
		case "counsellor-1":
			members = member(p.sub, "study_counsellor")
		case "curator-1":
			members = member(p.sub, "curator")
		case "nurse-1":
			members = member(p.sub, "nurse")
		case "instructor-1":
			members = member(p.sub, "workplace_instructor")
		case "peer-1":
			members = member(p.sub, "peer_coach")
		case "student-m", "parent-m":
			// One minor: the student signs in as themself, the guardian as
			// the guardian recorded on them.
			born, part = minor, func(m map[string]any) {
				m["sign_on"] = oidcPrefix + "student-m"
				guardian("parent-m")(m)
			}
			if id, done := homes["minor"]; done {
				p.home = id
				continue
			}
		case "student-b":
			born = minor // another student's case: a minor with a guardian of their own
			part = guardian("parent-x")
		case "parent-b":
			// Student B is an adult who has not consented to their guardian
			// seeing their data; B's own sign-on is probed as "another
			// student" on a minor's case.
			part = func(m map[string]any) {
				m["sign_on"] = oidcPrefix + "student-b"
				guardian("parent-b")(m)
			}
		}
		p.home = pr.enrolCase(t, p.org, p.model, "Opiskelija", born, members, part)
		if p.sub == "student-m" {
			homes["minor"] = p.home
		}
	}
	for _, p := range personas {
		p.foreign = byName["head-2"].home
		if p.org == school2 {
			p.foreign = byName["tutor-1"].home
		}
		org := p.org
		if p.noOrg {
			org = ""
		}
		p.who = k.bearer(p.sub, org, p.roles...)
	}
	pr.newEntries(t) // the setup's entries

	routes := probeRoutes(pr)
	for _, rt := range pr.s.srv.routes {
		// The public routes (health, readiness, the API document) ask for
		// no identity: every persona gets their answer.
		if name := rt.method + " " + rt.pattern; rt.public {
			require.NotContains(t, routes, name, "a public route needs no entry")
			require.Equal(t, "GET", rt.method, name)
			require.NotContains(t, rt.pattern, "{", name)
			path := rt.pattern
			routes[name] = probeRoute{target: "none", everyone: ok, send: func(t *testing.T, s *liveService, p *probePersona, _ string) response {
				return s.do(t, p.who, "GET", path, nil)
			}}
		}
	}
	registered := pr.s.srv.Routes()
	for _, rt := range registered {
		require.Contains(t, routes, rt, "route %s is not in the probe: add it to probeRoutes and state every persona's outcome", rt)
	}
	require.Len(t, routes, len(registered), "the probe names a route the handler no longer registers")
	order := slices.Clone(registered)

	type tally struct{ ok, forbidden, notFound, other int }
	counts := map[string]*tally{}
	var existenceLeaks, findings, seesReferral []string
	for _, p := range personas {
		c := &tally{}
		counts[p.name] = c
		for _, name := range order {
			rt := routes[name]
			// logged: the target's answer is the missing id's, but the
			// denial by this rule is in the access log, in org's.
			type variant struct {
				label, target, want string
				logged, org         string
			}
			var variants []variant
			switch {
			case rt.everyone != "":
				variants = append(variants, variant{label: "", want: rt.everyone})
			case rt.target == "case":
				missing := "404"
				if name == rMark {
					// Attendance names its cases in the body: an unknown
					// one is a field problem of the marks (422).
					missing = "422"
				}
				home := variant{label: "home", target: p.home, want: p.expect(name)}
				if rule, found := strings.CutPrefix(home.want, "hidden "); found {
					home.want, home.logged, home.org = missing, rule, p.org
				}
				variants = append(variants, home,
					variant{label: "other organisation's", target: p.foreign, want: missing,
						logged: strings.TrimPrefix(cmp.Or(p.foreignWant, deny(coaching.RuleOrganisation)), "403 "), org: otherOrg(p.org)},
					variant{label: "missing", target: missingID, want: missing})
			case rt.target == "org":
				// The caller names the organisation: its answer is the
				// same whether it exists or not.
				other, foreign := otherOrg(p.org), cmp.Or(p.foreignWant, deny(coaching.RuleOrganisation))
				variants = append(variants,
					variant{label: "own", target: p.org, want: p.expect(name)},
					variant{label: "other organisation's", target: other, want: foreign},
					variant{label: "missing", target: missingOrg, want: foreign})
			default:
				variants = append(variants, variant{label: "own", target: p.org, want: p.expect(name)})
			}
			answers := map[string]string{}
			for _, v := range variants {
				what := fmt.Sprintf("%s: %s on the %s target", p.name, name, v.label)
				r := rt.send(t, pr.s, p, v.target)
				answers[v.label] = comparableAnswer(t, r, v.target)
				entries := pr.newEntries(t)
				assert.Less(t, r.status, 500, "%s: %s", what, r.body)
				switch {
				case r.status < 300:
					c.ok++
				case r.status == http.StatusForbidden:
					c.forbidden++
				case r.status == http.StatusNotFound:
					c.notFound++
				default:
					c.other++
				}
				var denials []coaching.AccessEntry
				for _, e := range entries {
					if !e.Allowed {
						denials = append(denials, e)
					}
				}
				want, why, surprising := strings.Cut(v.want, " !")
				if surprising {
					findings = append(findings, fmt.Sprintf("%s: %s → %s: %s", p.name, name, want, why))
				}
				assert.NotContains(t, string(r.body), welfareReason, "%s: a welfare record in the answer", what)
				if rt.target == "case" {
					// No answer about a case names the organisation it
					// belongs to.
					assert.NotContains(t, string(r.body), `"`+otherOrg(p.org)+`"`, "%s", what)
					assert.NotContains(t, string(r.body), `\"`+otherOrg(p.org)+`\"`, "%s", what)
				}
				if name == rCase && r.status == http.StatusOK {
					if strings.Contains(string(r.body), pr.referrals[v.target]) {
						seesReferral = append(seesReferral, p.name)
					}
				}
				switch {
				case want == ok:
					assert.True(t, r.status >= 200 && r.status < 300, "%s: want allowed, got %d: %s", what, r.status, r.body)
					assert.Empty(t, denials, "%s: an allowed request logs no denial", what)
				case strings.HasPrefix(want, "403 "):
					rule := strings.TrimPrefix(want, "403 ")
					if !assert.Equal(t, http.StatusForbidden, r.status, "%s: want %s: %s", what, want, r.body) {
						continue
					}
					assert.Equal(t, rule, r.json(t)["rule"], "%s", what)
					// Exactly the denial's entry: this actor, the route's
					// operation, the case asked about, the rule.
					if assert.Len(t, denials, 1, "%s: a denial has its access-log entry", what) {
						e := denials[0]
						assert.Equal(t, p.id(), e.ActorID, what)
						assert.Equal(t, rule, e.Rule, what)
						assert.Contains(t, []coaching.Operation{rt.op, cmp.Or(rt.also, rt.op)}, e.Operation, what)
						if rt.target == "case" {
							assert.Equal(t, coaching.CaseID(v.target), e.CaseID, what)
						}
					}
				case v.logged != "":
					status, _ := strconv.Atoi(want)
					assert.Equal(t, status, r.status, "%s: %s", what, r.body)
					// Answered as a missing id, but the probe of another
					// organisation's case is in the access log: this
					// actor, the route's operation, the case, the rule
					// that denied (isolation; a funder's own rule comes
					// first).
					if assert.Len(t, denials, 1, "%s: the denial has its access-log entry", what) {
						e := denials[0]
						assert.Equal(t, p.id(), e.ActorID, what)
						assert.Equal(t, v.logged, e.Rule, what)
						assert.Contains(t, []coaching.Operation{rt.op, cmp.Or(rt.also, rt.op)}, e.Operation, what)
						assert.Equal(t, coaching.CaseID(v.target), e.CaseID, what)
						assert.Equal(t, coaching.OrganisationID(v.org), e.Organisation, "%s: the entry is in the owning organisation's log", what)
					}
				default:
					status, _ := strconv.Atoi(want)
					assert.Equal(t, status, r.status, "%s: %s", what, r.body)
					// Nothing was read and the policy was not asked: no
					// entry names an id that does not exist.
					assert.Empty(t, denials, "%s", what)
				}
			}
			if _, probed := answers["missing"]; probed && answers["other organisation's"] != answers["missing"] {
				existenceLeaks = append(existenceLeaks, fmt.Sprintf("%s: other organisation's %s, missing %s", name, answers["other organisation's"], answers["missing"]))
			}
		}
	}

	// The summary: each persona's answers by outcome.
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%-42s %4s %4s %4s %5s\n", "persona", "2xx", "403", "404", "other")
	for _, n := range names {
		c := counts[n]
		fmt.Fprintf(&b, "%-42s %4d %4d %4d %5d\n", n, c.ok, c.forbidden, c.notFound, c.other)
	}
	t.Logf("cross-organisation probe, %d personas × %d routes:\n%s", len(personas), len(order), b.String())
	slices.Sort(existenceLeaks)
	existenceLeaks = slices.Compact(existenceLeaks)
	// Whether an id exists in another organisation is not told: the
	// answers (status and body, the id and the request's own id aside)
	// are the same.
	assert.Empty(t, existenceLeaks, "routes answering another organisation's id and a missing one differently")
	t.Logf("outcomes the policy gives that look wrong:\n%s", strings.Join(findings, "\n"))
	// A referral not shared for teaching: its existence is for the welfare
	// roles on the team (need_to_know) and the student themself
	// (studentOps has read_referral); the case's answer names it to them
	// alone.
	assert.Equal(t, []string{"curator on the team", "nurse on the team", "student (a minor) themself"}, seesReferral)
}

// Enrolling another organisation's participant by id is answered exactly
// as enrolling an id that does not exist, for OIDC-signed callers: a 404
// for an actor who may enrol, the same 403 for one who may not (the
// policy is asked before the id is looked up, so a denied caller cannot
// probe ids either), with no access-log entry naming the participant
// (participant ids are scoped per organisation; ids_test.go has the
// allowed caller under the development identities).
func TestEnrolmentOfAnotherOrganisationsParticipant(t *testing.T) {
	k := newOIDCKit(t)
	store := memory.New()
	s := startServiceWith(t, store, k.auth)
	r := s.do(t, k.bearer("tutor-2", school2, "omaohjaaja"), "POST", "/enrolments",
		enrolment(coaching.ModelPilot, "Ella", "2008-02-10", oidcTeam(oidcPrefix+"tutor-2", "personal_tutor"), func(p map[string]any) { p["organisation"] = school2 }))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	theirs := r.json(t)["participant_id"].(string)

	for _, who := range []struct {
		sub, role string
		status    int
	}{{"tutor-1", "omaohjaaja", http.StatusNotFound}, {"teacher-1", "opettaja", http.StatusForbidden}} {
		var answers []string
		for _, id := range []string{theirs, "participant-that-does-not-exist"} {
			before := accessLog(t, store, coaching.AccessQuery{})
			e := map[string]any{"model": coaching.ModelPilot, "existing_participant": id, "team": oidcTeam(oidcPrefix+"tutor-1", "personal_tutor")}
			r := s.do(t, k.bearer(who.sub, school1, who.role), "POST", "/enrolments", e)
			p := requireProblem(t, r, who.status)
			answers = append(answers, fmt.Sprint(r.status, " ", p["rule"], " ", p["type"]))
			for _, entry := range accessLog(t, store, coaching.AccessQuery{AfterSeq: seqOf(before)}) {
				assert.Empty(t, entry.ParticipantID, "%s: no entry names the participant asked for", who.sub)
			}
		}
		assert.Equal(t, answers[0], answers[1], "%s: the same answer for another organisation's participant and a missing one", who.sub)
	}
}

// comparableAnswer is r's status and body with what may differ between
// two answers that tell the same thing left out: the request's own id and
// instance, and the id the request asked about (as "{id}").
func comparableAnswer(t *testing.T, r response, id string) string {
	t.Helper()
	body := r.body
	if id != "" {
		body = bytes.ReplaceAll(body, []byte(id), []byte("{id}"))
	}
	var m map[string]any
	if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, &m) != nil {
		return fmt.Sprintf("%d %s", r.status, body)
	}
	delete(m, "request_id")
	delete(m, "instance")
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return fmt.Sprintf("%d %s", r.status, b)
}

func seqOf(es []coaching.AccessEntry) int64 {
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].Seq
}
