package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/smtp"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/internal/mailtest"
)

// e2eStart is a Tuesday in the HOKS test plan's financing period.
var e2eStart = time.Date(2024, 4, 2, 9, 0, 0, 0, coaching.Helsinki)

// liveService is the real service on a loopback port, with a controllable
// clock and an SMTP server in the process for its notices.
type liveService struct {
	base  string
	srv   *Handler
	eng   *coaching.Engine
	disp  *coaching.Dispatcher
	clock *ct.Clock
	mail  *mailtest.Server
	http  *http.Client
}

func startService(t testing.TB, store coaching.Store) *liveService {
	t.Helper()
	return startServiceAt(t, store, e2eStart)
}

func startServiceAt(t testing.TB, store coaching.Store, start time.Time) *liveService {
	t.Helper()
	mail, err := mailtest.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = mail.Close() })
	clock := ct.NewClock(start)
	sender, err := smtp.New(smtp.Options{Addr: mail.Addr, From: "Valmennus <valmennus@school.example>", AllowInsecure: true,
		Timeout: 10 * time.Second, Clock: clock})
	require.NoError(t, err)
	eng, srv := newAPI(t, store, clock, nil)
	disp, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{Clock: clock})
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { _ = hs.Close() })
	return &liveService{base: "http://" + l.Addr().String(), srv: srv, eng: eng, disp: disp, clock: clock, mail: mail,
		http: &http.Client{Timeout: 30 * time.Second}}
}

// newAPI is the engine with the API's options over store, and the handler
// over it with the development identities; opts adds to the handler's.
func newAPI(t testing.TB, store coaching.Store, clock coaching.Clock, opts *Options) (*coaching.Engine, *Handler) {
	t.Helper()
	eo, err := EngineOptions()
	require.NoError(t, err)
	eo.Clock = clock
	eng, err := coaching.New(store, eo)
	require.NoError(t, err)
	if opts == nil {
		opts = &Options{}
	}
	if opts.Authenticator == nil {
		opts.Authenticator = httpauth.NewDevIdentities(nil) // relations come from the records
	}
	// The rate limits are off unless a test sets them (limit_test.go):
	// the other tests send one persona's requests, or a row of refused
	// sign-ons, from one address as fast as they can.
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = -1
	}
	if opts.SignOnFailuresPerSecond == 0 {
		opts.SignOnFailuresPerSecond = -1
	}
	h, err := New(eng, opts)
	require.NoError(t, err)
	return eng, h
}

// caller is a signed-in user: the headers the sign-on gateway would set.
type caller map[string]string

var (
	coachHdr   = caller{httpauth.HeaderActorID: "coach-1", httpauth.HeaderActorRoles: "coach", httpauth.HeaderOrganisation: "school-1"}
	tutorHdr   = caller{httpauth.HeaderActorID: "tutor-1", httpauth.HeaderActorRoles: "personal_tutor", httpauth.HeaderOrganisation: "school-1"}
	teacherHdr = caller{httpauth.HeaderActorID: "teacher-1", httpauth.HeaderActorRoles: "teacher", httpauth.HeaderOrganisation: "school-1"}
	headHdr    = caller{httpauth.HeaderActorID: "head-1", httpauth.HeaderActorRoles: "head_of_studies", httpauth.HeaderOrganisation: "school-1"}
)

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

func (s *liveService) do(t testing.TB, who caller, method, path string, body any, hdr ...string) response {
	t.Helper()
	var (
		rd      io.Reader
		reqBody []byte
	)
	switch b := body.(type) {
	case nil:
	case string:
		reqBody = []byte(b)
	case []byte:
		reqBody = b
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		reqBody = data
	}
	if reqBody != nil {
		rd = bytes.NewReader(reqBody)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	require.NoError(t, err)
	for k, v := range who {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := s.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	out := response{status: res.StatusCode, header: res.Header, body: data}
	validateExchange(t, req, reqBody, out) // every answer as the OpenAPI document has it
	return out
}

func requireProblem(t testing.TB, r response, status int) map[string]any {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	p := r.json(t)
	assert.EqualValues(t, status, p["status"])
	assert.NotEmpty(t, p["title"])
	return p
}

func team(members ...string) []map[string]any {
	var out []map[string]any
	for i := 0; i+1 < len(members); i += 2 {
		out = append(out, map[string]any{"actor_id": members[i], "role": members[i+1], "name": members[i],
			"contact": map[string]string{"email": members[i] + "@school.example"}})
	}
	return out
}

func enrolment(model, given string, born string, members []map[string]any, extra ...func(map[string]any)) map[string]any {
	p := map[string]any{"given_names": given, "family_name": "Testinen", "birth_date": born, "language": "fi",
		"organisation": "school-1", "contact": map[string]string{"email": strings.ToLower(given) + "@example.fi"}}
	for _, e := range extra {
		e(p)
	}
	return map[string]any{"model": model, "participant": p, "team": members}
}

// hoksDraft is the test plan as eHOKS JSON, not yet approved.
func hoksDraft(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../hoks/testdata/valid_plan.json")
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	delete(m, "ensikertainen-hyvaksyminen")
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// A VALO participant from enrolment to closing with a destination, over
// HTTP: admission, HOKS drafted and approved as eHOKS JSON, skill
// acquisition, a demonstration, onward guidance, closing.
func TestVALOParticipantOverHTTP(t *testing.T) {
	s := startService(t, memory.New())
	r := s.do(t, coachHdr, "POST", "/enrolments", enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach")))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	id := r.json(t)["id"].(string)

	r = s.do(t, coachHdr, "POST", "/cases/"+id+"/events/admit", map[string]any{"payload": allMet})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "induction", r.json(t)["case"].(map[string]any)["state"])

	induction := map[string]any{"payload": map[string]any{"field_suitability": "good", "working_life_skills": "punctual",
		"current_competence": "home cleaning", "target_units": []string{"Perussiivouspalvelut"}}}
	r = s.do(t, coachHdr, "POST", "/cases/"+id+"/events/start_acquisition", induction)
	p := requireProblem(t, r, http.StatusUnprocessableEntity)
	assert.Equal(t, "approved_hoks_with_units", p["failures"].([]any)[0].(map[string]any)["rule"], "no approved HOKS yet")

	r = s.do(t, coachHdr, "PUT", "/cases/"+id+"/hoks", hoksDraft(t))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.EqualValues(t, 1, r.json(t)["version"])
	r = s.do(t, coachHdr, "POST", "/cases/"+id+"/hoks/approval", map[string]string{"on": "2024-04-02"}, "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "approved", r.json(t)["status"])
	r = s.do(t, coachHdr, "GET", "/cases/"+id+"/hoks", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, `"2"`, r.header.Get("ETag"))
	assert.Contains(t, string(r.body), `"ensikertainen-hyvaksyminen":"2024-04-02"`)

	for _, step := range []struct {
		event string
		body  any
		state string
	}{
		{"start_acquisition", induction, "skill_acquisition"},
		{"start_demonstration", nil, "demonstration"},
		{"start_onward_guidance", nil, "onward_guidance"},
		{"close", map[string]any{"payload": map[string]string{"destination": "work_open", "date": "2024-04-02"}}, "closed"},
	} {
		s.clock.AdvanceDays(7)
		r = s.do(t, coachHdr, "POST", "/cases/"+id+"/events/"+step.event, step.body)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", step.event, r.body)
		assert.Equal(t, step.state, r.json(t)["case"].(map[string]any)["state"])
	}

	r = s.do(t, coachHdr, "GET", "/cases/"+id, nil)
	require.Equal(t, http.StatusOK, r.status)
	view := r.json(t)
	c := view["case"].(map[string]any)
	assert.Equal(t, "closed", c["state"])
	audit := view["audit"].([]any)
	assert.EqualValues(t, c["version"], len(audit), "one audit entry per version")
	last := audit[len(audit)-1].(map[string]any)
	assert.Equal(t, "close", last["event"])
	assert.JSONEq(t, `{"destination":"work_open","date":"2024-04-02"}`, mustJSON(t, last["payload"]))

	r = s.do(t, coachHdr, "POST", "/cases/"+id+"/events/discontinue", map[string]string{"reason": "late"})
	p = requireProblem(t, r, http.StatusConflict)
	assert.Equal(t, []any{}, p["allowed_events"], "nothing leaves a terminal state")

	r = s.do(t, headHdr, "GET", "/figures/valo", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Contains(t, string(r.body), `"denominator": 1`)
	assert.NotContains(t, string(r.body), `"suppressed"`, "the organisation's own figures are exact")
	// A funder's figures leave the organisation: the one participant's
	// cells are suppressed (count null), never shown as 1.
	funder := caller{httpauth.HeaderActorID: "funder-1", httpauth.HeaderActorRoles: "funder", httpauth.HeaderOrganisation: "school-1"}
	r = s.do(t, funder, "GET", "/figures/valo", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	figures := r.json(t)
	for _, row := range figures["valo"].(map[string]any)["rows"].([]any) {
		row := row.(map[string]any)
		if row["suppressed"] == true {
			assert.Nil(t, row["count"], "%v", row["key"])
			continue
		}
		assert.EqualValues(t, 0, row["count"], "%v: a published count of one participant", row["key"])
	}
	for _, in := range figures["esf"].(map[string]any)["indicators"].([]any) {
		in := in.(map[string]any)
		if in["total"] == nil {
			assert.Contains(t, in["suppressed"], "total", "%v", in["code"])
		} else {
			assert.EqualValues(t, 0, in["total"], "%v: a published count of one participant", in["code"])
		}
	}
	r = s.do(t, coachHdr, "GET", "/figures/valo", nil)
	assert.Equal(t, "figures", requireProblem(t, r, http.StatusForbidden)["rule"])
}

// allMet is the entry assessment with every admission criterion met.
var allMet = map[string]string{"motivation": "met", "working_life_skills": "met", "attendance_commitment": "met", "work_commitment": "met", "goal_commitment": "met"}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// A minor's unexplained absence reaches the guardian by e-mail the same
// day, through the dispatcher beside the server.
func TestMinorsAbsenceEmailsTheGuardian(t *testing.T) {
	s := startService(t, memory.New())
	minor := enrolment(coaching.ModelPilot, "Eetu", "2008-06-30", team("tutor-1", "personal_tutor"), func(p map[string]any) {
		p["guardians"] = []map[string]any{{"id": "parent-1", "name": "Maija Testinen", "contact": map[string]string{"email": "maija@koti.example"}}}
	})
	r := s.do(t, tutorHdr, "POST", "/enrolments", minor)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	id := r.json(t)["id"].(string)

	marks := map[string]any{"marks": []map[string]any{
		{"case_id": id, "date": "2024-04-02", "lesson": "1", "title": "Matematiikka 8.15–9.45", "minutes": 90, "status": "absent_unexplained"},
	}}
	r = s.do(t, teacherHdr, "POST", "/attendance", marks)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Len(t, r.json(t)["notices"], 1, "the day's digest, due at 15:00")

	s.clock.Set(time.Date(2024, 4, 2, 15, 1, 0, 0, coaching.Helsinki))
	rep, err := s.disp.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, rep.Sent)
	got := s.mail.Received()
	require.Len(t, got, 1)
	assert.Equal(t, []string{"maija@koti.example"}, got[0].To)
	assert.Contains(t, string(got[0].Data), "Matematiikka")

	parent := caller{httpauth.HeaderActorID: "parent-1", httpauth.HeaderActorRoles: "guardian", httpauth.HeaderOrganisation: "school-1"}
	r = s.do(t, parent, "GET", "/cases/"+id+"/notices", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Len(t, r.json(t)["notices"], 1, "the guardian sees the notice sent to them")
	r = s.do(t, parent, "GET", "/cases/"+id+"/attendance", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

// Three unexplained absences within ten school days raise an early-warning
// flag, which the case's team reads from GET /cases/{case}/flags (flags are
// attendance's, not the case row's); a guardian does not.
func TestEarlyWarningFlags(t *testing.T) {
	s := startService(t, memory.New())
	r := s.do(t, tutorHdr, "POST", "/enrolments", enrolment(coaching.ModelPilot, "Eetu", "2008-06-30", team("tutor-1", "personal_tutor")))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	id := r.json(t)["id"].(string)
	r = s.do(t, tutorHdr, "GET", "/cases/"+id+"/flags", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.JSONEq(t, `{"flags":[]}`, string(r.body))

	var marks []map[string]any
	for l := 1; l <= 3; l++ {
		marks = append(marks, map[string]any{"case_id": id, "date": "2024-04-02", "lesson": fmt.Sprint(l), "minutes": 45, "status": "absent_unexplained"})
	}
	r = s.do(t, teacherHdr, "POST", "/attendance", map[string]any{"marks": marks})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = s.do(t, tutorHdr, "GET", "/cases/"+id+"/flags", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	flags := r.json(t)["flags"].([]any)
	require.Len(t, flags, 1)
	assert.Equal(t, "unexplained_3_in_10", flags[0].(map[string]any)["rule"])
	r = s.do(t, tutorHdr, "GET", "/cases/"+id, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.NotContains(t, r.json(t)["case"], "flags", "the case row keeps no flags")

	parent := caller{httpauth.HeaderActorID: "parent-1", httpauth.HeaderActorRoles: "guardian", httpauth.HeaderOrganisation: "school-1"}
	r = s.do(t, parent, "GET", "/cases/"+id+"/flags", nil)
	requireProblem(t, r, http.StatusForbidden)
}

// A guardian reading another student is a 403 naming the rule, and so is
// a guardian reading the case itself. Whose guardian a caller is comes
// from the participant's record (here the guardian's sign-on id), never
// from the request: a relation header is refused.
func TestGuardianReadingAnotherStudent(t *testing.T) {
	s := startService(t, memory.New())
	var ids []string
	for _, who := range []string{"Eetu", "Ella"} {
		r := s.do(t, tutorHdr, "POST", "/enrolments", enrolment(coaching.ModelPilot, who, "2008-06-30", team("tutor-1", "personal_tutor"), func(p map[string]any) {
			if who == "Eetu" {
				p["guardians"] = []map[string]any{{"id": "g-1", "sign_on": "parent-1", "name": "Maija Testinen"}}
			}
		}))
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
		ids = append(ids, r.json(t)["id"].(string))
	}
	r := s.do(t, tutorHdr, "GET", "/cases/"+ids[1], nil)
	ella := r.json(t)["case"].(map[string]any)["participant_id"].(string)
	parent := caller{httpauth.HeaderActorID: "parent-1", httpauth.HeaderActorRoles: "guardian", httpauth.HeaderOrganisation: "school-1"}
	claiming := caller{httpauth.HeaderActorID: "parent-1", httpauth.HeaderActorRoles: "guardian", httpauth.HeaderOrganisation: "school-1",
		httpauth.HeaderGuardianOf: ella}
	assert.Equal(t, httpauth.HeaderGuardianOf, requireProblem(t, s.do(t, claiming, "GET", "/cases/"+ids[1]+"/attendance", nil), http.StatusBadRequest)["header"])

	r = s.do(t, parent, "GET", "/cases/"+ids[0]+"/attendance", nil)
	assert.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = s.do(t, parent, "GET", "/cases/"+ids[1]+"/attendance", nil)
	assert.Equal(t, "guardian_relation", requireProblem(t, r, http.StatusForbidden)["rule"])
	r = s.do(t, parent, "GET", "/cases/"+ids[0], nil)
	assert.Equal(t, "guardian_scope", requireProblem(t, r, http.StatusForbidden)["rule"])
	r = s.do(t, caller{}, "GET", "/cases/"+ids[0], nil)
	requireProblem(t, r, http.StatusUnauthorized)
	r = s.do(t, tutorHdr, "GET", "/cases/nope", nil)
	requireProblem(t, r, http.StatusNotFound)
}

// A change made from a stale version is a 409 with the current version.
func TestStaleUpdate(t *testing.T) {
	s := startService(t, memory.New())
	r := s.do(t, coachHdr, "POST", "/enrolments", enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach")))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	id := r.json(t)["id"].(string)
	r = s.do(t, coachHdr, "POST", "/cases/"+id+"/events/admit", map[string]any{"payload": allMet})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = s.do(t, coachHdr, "POST", "/cases/"+id+"/events/pause", map[string]string{"reason": "sick leave"}, "If-Match", `"2"`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	// Someone else, still looking at version 2, resumes: a conflict.
	r = s.do(t, coachHdr, "POST", "/cases/"+id+"/events/resume_induction", nil, "If-Match", `"2"`)
	p := requireProblem(t, r, http.StatusConflict)
	assert.EqualValues(t, 3, p["current_version"])

	// Two people editing one HOKS: the second save is made from version 1.
	r = s.do(t, coachHdr, "PUT", "/cases/"+id+"/hoks", hoksDraft(t))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = s.do(t, coachHdr, "PUT", "/cases/"+id+"/hoks", hoksDraft(t), "If-Match", `"1"`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = s.do(t, coachHdr, "PUT", "/cases/"+id+"/hoks", hoksDraft(t), "If-Match", `"1"`)
	p = requireProblem(t, r, http.StatusConflict)
	assert.EqualValues(t, 2, p["current_version"])
}

// Malformed bodies are 422s naming every problem with its path.
func TestMalformedBodies(t *testing.T) {
	s := startService(t, memory.New())
	r := s.do(t, coachHdr, "POST", "/enrolments", `{"model": "valo", "participant": {"given_names": 42}}`)
	p := requireProblem(t, r, http.StatusUnprocessableEntity)
	assert.Equal(t, "participant.given_names", p["errors"].([]any)[0].(map[string]any)["field"])

	r = s.do(t, coachHdr, "POST", "/enrolments", `{"model": "valo", "participant": {"given_names": "A"`)
	p = requireProblem(t, r, http.StatusUnprocessableEntity)
	assert.Contains(t, p["detail"], "malformed JSON")

	r = s.do(t, coachHdr, "POST", "/enrolments", `{"model": "valo", "colour": "blue"}`)
	p = requireProblem(t, r, http.StatusUnprocessableEntity)
	assert.Equal(t, "colour", p["errors"].([]any)[0].(map[string]any)["field"])

	// Well-formed but invalid: every problem, each with its path.
	r = s.do(t, coachHdr, "POST", "/enrolments", map[string]any{"model": "valo", "participant": map[string]any{
		"given_names": "", "family_name": "Testinen", "birth_date": "2090-01-01", "language": "de", "contact": map[string]string{"email": "not-an-address"}}})
	p = requireProblem(t, r, http.StatusUnprocessableEntity)
	var fields []string
	for _, e := range p["errors"].([]any) {
		fields = append(fields, e.(map[string]any)["field"].(string))
	}
	assert.Subset(t, fields, []string{"participant.given_names", "participant.birth_date", "participant.language", "participant.contact.email"})

	r = s.do(t, teacherHdr, "POST", "/attendance", map[string]any{"marks": []map[string]any{{"case_id": "x", "date": "2024-04-02", "minutes": -5, "status": "asleep"}}})
	p = requireProblem(t, r, http.StatusUnprocessableEntity)
	assert.Contains(t, mustJSON(t, p["errors"]), `marks[0].status`)

	r = s.do(t, coachHdr, "PUT", "/cases/x/hoks", `{"oppija-oid": 5}`)
	p = requireProblem(t, r, http.StatusUnprocessableEntity)
	assert.Contains(t, mustJSON(t, p["errors"]), `oppija-oid`)
}

// An import file with bad rows: every bad row reported with its line
// number, the good rows enrolled; strict mode enrols nothing.
func TestImportWithBadRows(t *testing.T) {
	s := startService(t, memory.New())
	csv := "external_id;given_names;family_name;birth_date;email;language;group;start_date;guardian1_name;guardian1_email\r\n" +
		"S1;Eetu;Esimerkki;2008-06-30;eetu@example.fi;fi;TVO24A;2024-03-01;Maija Esimerkki;maija@koti.example\r\n" +
		"S2;Ella;Esimerkki;2008-13-40;ella@example.fi;fi;TVO24A;2024-03-01;;\r\n" +
		"S3;Otto;Esimerkki;2007-01-15;otto@example.fi;de;TVO24A;2024-03-01;;\r\n" +
		"S4;Sara;Esimerkki;2007-02-15;sara@example.fi;sv;TVO24A;2024-03-01;;\r\n"
	r := s.do(t, tutorHdr, "POST", "/imports?model=first_year_pilot&strict=true", csv)
	p := requireProblem(t, r, http.StatusUnprocessableEntity)
	assert.Contains(t, mustJSON(t, p["errors"]), "line 3")
	assert.Contains(t, mustJSON(t, p["errors"]), "line 4")

	r = s.do(t, tutorHdr, "POST", "/imports?model=first_year_pilot&team_role=personal_tutor", csv)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	rep := r.json(t)
	assert.Len(t, rep["enrolled"], 2)
	first := rep["enrolled"].([]any)[0].(map[string]any)
	r = s.do(t, tutorHdr, "GET", "/cases/"+first["case"].(string), nil)
	require.Equal(t, http.StatusOK, r.status, "the importing tutor is on the new case's team: %s", r.body)
	c := r.json(t)["case"].(map[string]any)
	assert.Equal(t, "sis:school-1:S1", c["participant_id"], "the SIS id maps back")
	assert.Contains(t, mustJSON(t, c["records"]), `"group":"TVO24A"`)
	var lines []float64
	for _, pr := range rep["problems"].([]any) {
		lines = append(lines, pr.(map[string]any)["line"].(float64))
	}
	assert.ElementsMatch(t, []float64{3, 4}, uniq(lines))

	r = s.do(t, tutorHdr, "POST", "/imports?model=first_year_pilot", "nonsense\n")
	requireProblem(t, r, http.StatusUnprocessableEntity)
}

func uniq(xs []float64) []float64 {
	seen := map[float64]bool{}
	var out []float64
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// The models are served as JSON documents that load back into equal
// models, and as Mermaid diagrams.
func TestModelsAsJSON(t *testing.T) {
	s := startService(t, memory.New())
	r := s.do(t, coachHdr, "GET", "/models", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, []any{"valo", "first_year_pilot"}, r.json(t)["models"])
	for _, name := range []string{"valo", "first_year_pilot"} {
		r = s.do(t, coachHdr, "GET", "/models/"+name, nil)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		loaded, err := coaching.LoadModel(r.body, Registry())
		require.NoError(t, err)
		served, ok := s.eng.Model(name)
		require.True(t, ok)
		assert.Equal(t, served.Mermaid(), loaded.Mermaid())
		r = s.do(t, coachHdr, "GET", "/models/"+name+"/diagram", nil)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, served.Mermaid(), string(r.body))
	}
	requireProblem(t, s.do(t, coachHdr, "GET", "/models/nope", nil), http.StatusNotFound)
}

// Requests no route takes are problem details too.
func TestUnknownRoutes(t *testing.T) {
	s := startService(t, memory.New())
	p := requireProblem(t, s.do(t, coachHdr, "GET", "/nowhere", nil), http.StatusNotFound)
	assert.Contains(t, p["detail"], "GET /nowhere")
	r := s.do(t, coachHdr, "DELETE", "/cases/x", nil)
	requireProblem(t, r, http.StatusMethodNotAllowed)
	assert.Contains(t, r.header.Get("Allow"), "GET")
}

// A plan eHOKS accepts is saved even when a stricter check finds
// something: the advisory comes back beside the version, at its JSON path;
// a refused plan's problem lists the advisories beside the errors.
func TestHOKSAdvisoriesOverHTTP(t *testing.T) {
	s := startService(t, memory.New())
	r := s.do(t, coachHdr, "POST", "/enrolments", enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach")))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	id := r.json(t)["id"].(string)

	var m map[string]any
	require.NoError(t, json.Unmarshal(hoksDraft(t), &m))
	m["oppija-oid"] = m["oppija-oid"].(string) + "\r\n" // eHOKS's regex accepts a final line break
	r = s.do(t, coachHdr, "PUT", "/cases/"+id+"/hoks", m)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	adv := r.json(t)["advisories"].([]any)
	require.Len(t, adv, 1)
	assert.Equal(t, "oppija-oid", adv[0].(map[string]any)["field"])

	m["opiskeluoikeus-oid"] = "not an oid"
	r = s.do(t, coachHdr, "PUT", "/cases/"+id+"/hoks", m, "If-Match", `"1"`)
	p := requireProblem(t, r, http.StatusUnprocessableEntity)
	require.NotEmpty(t, p["errors"])
	assert.Equal(t, "opiskeluoikeus-oid", p["errors"].([]any)[0].(map[string]any)["field"])
	assert.Equal(t, "oppija-oid", p["advisories"].([]any)[0].(map[string]any)["field"])
}
