package httpapi

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// lockedBuffer is a log written by the handler and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve sends one request to h in the process.
func serve(h http.Handler, method, path string, body string, headers ...string) response {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

var coachHeaders = []string{httpauth.HeaderActorID, "coach-1", httpauth.HeaderActorRoles, "coach", httpauth.HeaderOrganisation, "school-1"}

// An import file or a body larger than MaxBody is a 413, not a 500, and
// is not logged as a failure.
func TestOversizedBodiesAre413(t *testing.T) {
	var logs lockedBuffer
	_, h := newAPI(t, memory.New(), nil, &Options{MaxBody: 512, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	csv := "external_id;given_names;family_name;birth_date;email;language;group;start_date\r\n" +
		strings.Repeat("S1;Eetu;Esimerkki;2008-06-30;eetu@example.fi;fi;TVO24A;2024-03-01\r\n", 20)
	tutor := []string{httpauth.HeaderActorID, "tutor-1", httpauth.HeaderActorRoles, "personal_tutor", httpauth.HeaderOrganisation, "school-1"}
	for _, tc := range []struct{ name, method, path, body string }{
		{"an import CSV", "POST", "/imports?model=first_year_pilot", csv},
		{"a strict import CSV", "POST", "/imports?model=first_year_pilot&strict=true", csv},
		{"an enrolment", "POST", "/enrolments", `{"model": "valo", "participant": {"given_names": "` + strings.Repeat("A", 600) + `"}}`},
		{"an eHOKS plan", "PUT", "/cases/x/hoks", `{"oppija-oid": "` + strings.Repeat("1", 600) + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := serve(h, tc.method, tc.path, tc.body, tutor...)
			p := requireProblem(t, r, http.StatusRequestEntityTooLarge)
			assert.Contains(t, p["detail"], "512 bytes")
		})
	}
	assert.NotContains(t, logs.String(), "request failed")
	assert.Contains(t, logs.String(), "status=413")
}

// Every answer names the request's id in X-Request-Id, every problem body
// in request_id, and every log line of the request — the handler's and,
// through LogHandler, the engine's.
func TestRequestIDs(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(LogHandler(slog.NewTextHandler(&logs, nil)))
	eo, err := EngineOptions()
	require.NoError(t, err)
	eo.Logger = log
	eng, err := coaching.New(memory.New(), eo)
	require.NoError(t, err)
	h, err := New(eng, &Options{Authenticator: httpauth.NewDevIdentities(nil), Logger: log})
	require.NoError(t, err)

	r := serve(h, "GET", "/cases/nope", "", append([]string{HeaderRequestID, "abc-123"}, coachHeaders...)...)
	p := requireProblem(t, r, http.StatusNotFound)
	assert.Equal(t, "abc-123", r.header.Get(HeaderRequestID), "the client's id is kept")
	assert.Equal(t, "abc-123", p["request_id"])
	assert.Contains(t, logs.String(), "request_id=abc-123")

	generated := regexp.MustCompile(`^[0-9a-f]{24}$`)
	for _, given := range [][]string{nil, {HeaderRequestID, "two words"}, {HeaderRequestID, strings.Repeat("x", 65)},
		{HeaderRequestID, "a", HeaderRequestID, "b"}, {HeaderRequestID, "x\ninjected=1"}} {
		r := serve(h, "GET", "/nowhere", "", given...)
		p := requireProblem(t, r, http.StatusNotFound)
		id := r.header.Get(HeaderRequestID)
		assert.Regexp(t, generated, id, "a new id instead of %q", given)
		assert.Equal(t, id, p["request_id"])
	}
	r = serve(h, "GET", "/healthz", "")
	assert.Regexp(t, generated, r.header.Get(HeaderRequestID))

	r = serve(h, "POST", "/enrolments", mustJSON(t, enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach"))),
		append([]string{HeaderRequestID, "enrol-1"}, coachHeaders...)...)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var opened, requested bool
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, `msg="case opened"`) {
			opened = true
			assert.Contains(t, line, "request_id=enrol-1", "the engine's line")
		}
		if strings.Contains(line, "msg=request") && strings.Contains(line, `route="POST /enrolments"`) {
			requested = true
			assert.Contains(t, line, "request_id=enrol-1")
			assert.Contains(t, line, "status=201")
			assert.Equal(t, 1, strings.Count(line, "request_id="), "named once")
		}
	}
	assert.True(t, opened && requested, "%s", logs.String())
}

// The request log names the route's pattern, never the path (which holds
// ids, or whatever a client typed); an answer repeats no path holding
// something shaped like an identity code (review 5).
func TestLogsAndAnswersHoldNoPath(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(LogHandler(slog.NewTextHandler(&logs, nil)))
	eo, err := EngineOptions()
	require.NoError(t, err)
	eo.Logger = log
	eng, err := coaching.New(memory.New(), eo)
	require.NoError(t, err)
	h, err := New(eng, &Options{Authenticator: httpauth.NewDevIdentities(nil), Logger: log})
	require.NoError(t, err)

	for _, path := range []string{"/cases/010101-123N", "/nothing/010101-123N", "/cases/010101a123n/attendance"} {
		r := serve(h, "GET", path, "", coachHeaders...)
		p := requireProblem(t, r, http.StatusNotFound)
		assert.NotContains(t, strings.ToUpper(string(r.body)), "123N", path)
		assert.Empty(t, p["instance"], path)
	}
	r := serve(h, "GET", "/cases/case-9", "", coachHeaders...)
	assert.Equal(t, "/cases/case-9", requireProblem(t, r, http.StatusNotFound)["instance"], "an ordinary path is the instance")
	r = serve(h, "GET", "/nowhere/else", "", coachHeaders...)
	assert.Contains(t, requireProblem(t, r, http.StatusNotFound)["detail"], "/nowhere/else")

	out := logs.String()
	assert.NotContains(t, strings.ToUpper(out), "123N", "no identity code in the log")
	assert.NotContains(t, out, "case-9", "no path in the log")
	assert.Contains(t, out, `route="GET /cases/{case}"`)
	assert.Contains(t, out, "route=unmatched")
}

// The handler asks the Authenticator for every route but /healthz and
// /openapi.json, and answers its errors: ErrUnauthenticated a 401, a
// HeaderError a 400 naming the header, anything else a 500 that is logged
// and tells the client nothing more. An actor with the engine's reserved
// identity is refused whatever authenticator gave it.
func TestTheAuthenticatorPort(t *testing.T) {
	var (
		logs  lockedBuffer
		mu    sync.Mutex
		calls int
		give  func() (coaching.Actor, error)
	)
	auth := AuthenticatorFunc(func(r *http.Request) (coaching.Actor, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return give()
	})
	_, h := newAPI(t, memory.New(), nil, &Options{Authenticator: auth, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	give = func() (coaching.Actor, error) { return coaching.Actor{}, errors.New("should not be asked") }
	for _, path := range []string{"/healthz", "/openapi.json"} {
		assert.Equal(t, http.StatusOK, serve(h, "GET", path, "").status, path)
	}
	assert.Zero(t, calls, "public routes ask no one")

	coach := coaching.Actor{ID: "coach-1", Organisation: "school-1", Roles: []coaching.Role{coaching.RoleCoach}}
	for _, tc := range []struct {
		name   string
		actor  coaching.Actor
		err    error
		status int
		check  func(t *testing.T, p map[string]any)
	}{
		{name: "an actor", actor: coach, status: http.StatusNotFound},
		{name: "no credentials", err: errors.Join(errors.New("token expired"), ErrUnauthenticated), status: http.StatusUnauthorized,
			check: func(t *testing.T, p map[string]any) { assert.Contains(t, p["detail"], "token expired") }},
		{name: "an ambiguous header", err: &HeaderError{Header: "Authorization", Reason: "given twice"}, status: http.StatusBadRequest,
			check: func(t *testing.T, p map[string]any) { assert.Equal(t, "Authorization", p["header"]) }},
		{name: "a failing identity store", err: errors.New("directory unreachable: secret detail"), status: http.StatusInternalServerError,
			check: func(t *testing.T, p map[string]any) {
				assert.NotContains(t, mustJSON(t, p), "secret detail")
				assert.Contains(t, logs.String(), "secret detail")
				assert.Contains(t, logs.String(), "request_id="+p["request_id"].(string))
			}},
		{name: "an httpauth token refused", err: &httpauth.Error{Reason: httpauth.ReasonInvalidToken, Scheme: "Bearer", Realm: "valmennus",
			Description: "the token does not verify", Err: errors.New("cause for the log only")}, status: http.StatusUnauthorized,
			check: func(t *testing.T, p map[string]any) {
				assert.Equal(t, "the token does not verify", p["detail"])
				assert.NotContains(t, mustJSON(t, p), "cause for the log only")
			}},
		{name: "an httpauth header refused", err: &httpauth.Error{Reason: httpauth.ReasonMalformedRequest, Header: httpauth.HeaderActorID,
			Description: "given twice"}, status: http.StatusBadRequest,
			check: func(t *testing.T, p map[string]any) { assert.Equal(t, httpauth.HeaderActorID, p["header"]) }},
		{name: "the identity provider unavailable", err: &httpauth.Error{Reason: httpauth.ReasonUnavailable, Scheme: "Bearer", Realm: "valmennus",
			Description: "the keys cannot be fetched", RetryAfter: 1500 * time.Millisecond, Err: errors.New("dial tcp: refused")}, status: http.StatusServiceUnavailable,
			check: func(t *testing.T, p map[string]any) {
				// review 5, item 5: a 503 is not "Not signed in", and keeps Retry-After.
				assert.Equal(t, "https://valmennus.example/problems/identity-provider-unavailable", p["type"])
				assert.Equal(t, "Identity provider unavailable", p["title"])
				assert.Equal(t, "the keys cannot be fetched", p["detail"])
				assert.NotContains(t, mustJSON(t, p), "dial tcp")
			}},
		{name: "the reserved role", actor: coaching.Actor{ID: "x", Organisation: "school-1", Roles: []coaching.Role{coaching.RoleSystem}},
			status: http.StatusBadRequest},
		{name: "the reserved id", actor: coaching.Actor{ID: "System", Organisation: "school-1", Roles: []coaching.Role{coaching.RoleCoach}},
			status: http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			give = func() (coaching.Actor, error) { return tc.actor, tc.err }
			r := serve(h, "GET", "/cases/nope", "")
			p := requireProblem(t, r, tc.status)
			var ae *httpauth.Error
			if errors.As(tc.err, &ae) && ae.Challenge() != "" {
				assert.Equal(t, ae.Challenge(), r.header.Get("WWW-Authenticate"))
				assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="invalid_token"`)
			} else {
				assert.Empty(t, r.header.Get("WWW-Authenticate"))
			}
			if tc.err != nil && r.status != http.StatusInternalServerError {
				assert.Equal(t, "no-store", r.header.Get("Cache-Control"), "an answer about credentials is not cached")
			}
			if r.status == http.StatusServiceUnavailable {
				assert.Equal(t, "2", r.header.Get("Retry-After"), "Retry-After in whole seconds, rounded up")
			} else {
				assert.Empty(t, r.header.Get("Retry-After"))
			}
			if tc.check != nil {
				tc.check(t, p)
			}
		})
	}
}

// The handler works under any prefix a host strips, beside the host's own
// routes.
func TestMountedUnderAPrefix(t *testing.T) {
	_, h := newAPI(t, memory.New(), nil, nil)
	mux := http.NewServeMux()
	mux.Handle("/coaching/", http.StripPrefix("/coaching", h))
	mux.HandleFunc("GET /own", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "the host's") })

	r := serve(mux, "POST", "/coaching/enrolments", mustJSON(t, enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach"))), coachHeaders...)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	id := r.json(t)["id"].(string)
	assert.Equal(t, http.StatusOK, serve(mux, "GET", "/coaching/cases/"+id, "", coachHeaders...).status)
	assert.Equal(t, "the host's", string(serve(mux, "GET", "/own", "").body))
	assert.Equal(t, OpenAPI(), serve(mux, "GET", "/coaching/openapi.json", "").body)
	requireProblem(t, serve(mux, "GET", "/coaching/nowhere", ""), http.StatusNotFound)
}

// New refuses to serve without an Authenticator, and Models names models
// the engine runs: GET /models lists exactly those.
func TestNewOptions(t *testing.T) {
	eo, err := EngineOptions()
	require.NoError(t, err)
	eng, err := coaching.New(memory.New(), eo)
	require.NoError(t, err)
	_, err = New(eng, nil)
	assert.ErrorContains(t, err, "Authenticator")
	_, err = New(nil, &Options{Authenticator: httpauth.NewDevIdentities(nil)})
	assert.Error(t, err)
	_, err = New(eng, &Options{Authenticator: httpauth.NewDevIdentities(nil), Models: []string{"valo", "nope"}})
	assert.ErrorContains(t, err, "nope")

	h, err := New(eng, &Options{Authenticator: httpauth.NewDevIdentities(nil), Models: []string{coaching.ModelPilot}})
	require.NoError(t, err)
	r := serve(h, "GET", "/models", "", coachHeaders...)
	require.Equal(t, http.StatusOK, r.status)
	assert.JSONEq(t, `{"models":["first_year_pilot"]}`, string(r.body))
	requireProblem(t, serve(h, "GET", "/models/valo", "", coachHeaders...), http.StatusNotFound)
	assert.Equal(t, http.StatusOK, serve(h, "GET", "/models/first_year_pilot", "", coachHeaders...).status)
}

// The authenticators of adapters/httpauth satisfy the port.
var (
	_ Authenticator = (*httpauth.OIDC)(nil)
	_ Authenticator = (*httpauth.Gateway)(nil)
	_ Authenticator = (*httpauth.DevIdentities)(nil)
)
