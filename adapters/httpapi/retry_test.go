package httpapi

// Regression tests of the review of issue 16: what a 503 tells a client
// to repeat is safe to repeat (enrolments honour Idempotency-Key), every
// 429 and 503 is documented with its Retry-After, and an upload the
// client cut short is its 400, not the server's 500.

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// enrolWithKey posts an enrolment with an Idempotency-Key as the coach.
func enrolWithKey(h http.Handler, key, body string, who ...string) response {
	if len(who) == 0 {
		who = coachHeaders
	}
	return serve(h, "POST", "/enrolments", body, append([]string{"Content-Type", "application/json", "Idempotency-Key", key}, who...)...)
}

// casesOf counts the cases of participant pid in school-1.
func casesOf(t *testing.T, store coaching.Store, pid string) int {
	t.Helper()
	n := 0
	for _, err := range store.Cases(t.Context(), coaching.CaseQuery{Participant: coaching.ParticipantID(pid), Organisation: "school-1"}) {
		require.NoError(t, err)
		n++
	}
	return n
}

// An enrolment whose COMMIT answer is lost (the client gets a 503 telling
// it to repeat with the same Idempotency-Key) is repeated as told: one
// case, and the repeat is answered with it.
func TestEnrolmentRetryAfter503IsIdempotent(t *testing.T) {
	store, proxy := postgresBehindProxy(t)
	_, h := newAPI(t, store, nil, nil)
	r := enrolWithKey(h, "enrol-1", mustJSON(t, enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach"))))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	first := r.json(t)
	pid := first["participant_id"].(string)

	again := mustJSON(t, map[string]any{"model": "valo", "existing_participant": pid, "team": team("coach-1", "coach")})
	dropped := proxy.armCommitDrop()
	r = enrolWithKey(h, "enrol-2", again)
	<-dropped
	p := requireProblem(t, r, http.StatusServiceUnavailable)
	assert.Equal(t, problemBase+"store-unavailable", p["type"])
	assert.Contains(t, p["detail"], "same Idempotency-Key")
	assert.NotEmpty(t, r.header.Get("Retry-After"))
	documented(t, "POST", "/enrolments", again, r)

	r = enrolWithKey(h, "enrol-2", again) // the repeat the answer asked for
	require.Equal(t, http.StatusOK, r.status, "answered with the case the lost commit made: %s", r.body)
	documented(t, "POST", "/enrolments", again, r)
	assert.Equal(t, 2, casesOf(t, store, pid), "the first enrolment and the one repeated under its Idempotency-Key: one case each")
	assert.NotEqual(t, first["id"], r.json(t)["id"])
}

// The Idempotency-Key of an enrolment: a repeat is answered 200 with the
// case the first opened (a new participant included: no second participant
// nor case), the key with another model or participant is 422
// idempotency-key-reused, another actor's same key is its own enrolment,
// and a key beside a case_id, or a malformed key, is refused.
func TestEnrolmentIdempotencyKey(t *testing.T) {
	store := memory.New()
	_, h := newAPI(t, store, nil, nil)
	body := mustJSON(t, enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach")))
	r := enrolWithKey(h, "k1", body)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	documented(t, "POST", "/enrolments", body, r)
	c := r.json(t)
	assert.True(t, strings.HasPrefix(c["id"].(string), "school-1:"), "the key's case id is the organisation's: %v", c["id"])

	r = enrolWithKey(h, "k1", body)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	documented(t, "POST", "/enrolments", body, r)
	assert.Equal(t, c["id"], r.json(t)["id"])
	assert.Equal(t, c["participant_id"], r.json(t)["participant_id"], "the repeat made no second participant")
	assert.Equal(t, 1, casesOf(t, store, c["participant_id"].(string)))

	pilot := mustJSON(t, map[string]any{"model": "first_year_pilot", "existing_participant": c["participant_id"], "team": team("coach-1", "coach")})
	p := requireProblem(t, enrolWithKey(h, "k1", pilot), http.StatusUnprocessableEntity)
	assert.Equal(t, problemBase+"idempotency-key-reused", p["type"])
	other := mustJSON(t, enrolment("valo", "Eetu", "2001-02-03", team("coach-1", "coach"), func(p map[string]any) { p["id"] = "p-eetu" }))
	p = requireProblem(t, enrolWithKey(h, "k1", other), http.StatusUnprocessableEntity)
	assert.Equal(t, problemBase+"idempotency-key-reused", p["type"])

	// A new participant with an id of the body's: its repeat is the same
	// case, not a 409 for the participant.
	r = enrolWithKey(h, "k2", other)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	r = enrolWithKey(h, "k2", other)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "p-eetu", r.json(t)["participant_id"])

	colleague := []string{httpauth.HeaderActorID, "coach-2", httpauth.HeaderActorRoles, "coach", httpauth.HeaderOrganisation, "school-1"}
	r = enrolWithKey(h, "k1", body, colleague...)
	require.Equal(t, http.StatusCreated, r.status, "another actor's key is its own: %s", r.body)
	assert.NotEqual(t, c["id"], r.json(t)["id"])

	withID := enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach"))
	withID["case_id"] = "school-1:c9"
	p = requireProblem(t, enrolWithKey(h, "k3", mustJSON(t, withID)), http.StatusUnprocessableEntity)
	assert.Contains(t, fmt.Sprint(p["errors"]), "case_id")
	for _, bad := range []string{strings.Repeat("k", 201), "tab\there", "ä"} {
		p = requireProblem(t, enrolWithKey(h, bad, body), http.StatusUnprocessableEntity)
		assert.Contains(t, fmt.Sprint(p["errors"]), "Idempotency-Key", "%q", bad)
	}
}

// The 503 store-unavailable says, per route, how to repeat the request
// safely: the key of an event or an enrolment, a read as it is, and for
// the writes that take no key, to read the state first.
func TestStoreUnavailableDetailNamesTheRoutesRetry(t *testing.T) {
	for _, tc := range []struct{ method, pattern, want string }{
		{"GET", "/cases/{case}", "try again later"},
		{"POST", "/cases/{case}/events/{event}", "same Idempotency-Key"},
		{"POST", "/enrolments", "same Idempotency-Key"},
		{"PUT", "/cases/{case}/hoks", "takes no Idempotency-Key"},
		{"POST", "/attendance", "takes no Idempotency-Key"},
	} {
		assert.Contains(t, unavailableDetail(route{method: tc.method, pattern: tc.pattern}), tc.want, tc.method+" "+tc.pattern)
	}
}

// truncated is a request body the client stopped sending: net/http's body
// reader then returns io.ErrUnexpectedEOF (a Content-Length not reached).
type truncated struct{ r io.Reader }

func (b truncated) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// A client that drops its import upload half-way gets a 400 naming the
// body (problem type incomplete-body), not a 500 logged as a server
// failure.
func TestTruncatedImportIs400(t *testing.T) {
	var logs lockedBuffer
	_, h := newAPI(t, memory.New(), nil, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	csv := "external_id;given_names;family_name;birth_date;email;language;group;start_date\r\n" +
		"S1;Eetu;Esimerkki;2008-06-30;eetu@example.fi;fi;TVO24A;2024-03-01\r\nS2;El"
	req := httptest.NewRequest("POST", "/imports?model=first_year_pilot", truncated{strings.NewReader(csv)})
	for _, kv := range [][2]string{{httpauth.HeaderActorID, "tutor-1"}, {httpauth.HeaderActorRoles, "personal_tutor"},
		{httpauth.HeaderOrganisation, "school-1"}, {"Content-Type", "text/csv"}} {
		req.Header.Set(kv[0], kv[1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	p := requireProblem(t, r, http.StatusBadRequest)
	assert.Equal(t, problemBase+"incomplete-body", p["type"])
	assert.Contains(t, p["detail"], "request body")
	documented(t, "POST", "/imports?model=first_year_pilot", "", r)
	assert.NotContains(t, logs.String(), "level=ERROR")
}

// The document's 429 and 503 answers require Retry-After, so an answer
// that drops it fails the response validation the end-to-end tests rely
// on.
func TestValidationRequiresRetryAfter(t *testing.T) {
	hdr := http.Header{"Content-Type": {"application/problem+json"}}
	for _, st := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		body := []byte(fmt.Sprintf(`{"type":"https://valmennus.example/problems/rate-limited","title":"x","status":%d}`, st))
		req, err := http.NewRequest("GET", "http://127.0.0.1:1/cases/c1", nil)
		require.NoError(t, err)
		rt := &recordingT{TB: t}
		validateExchange(rt, req, nil, response{status: st, header: hdr, body: body})
		assert.NotEmpty(t, rt.errs, "a %d without Retry-After is drift", st)
	}
}

// An authenticator's 503 that gives no Retry-After still has one: every
// 503 of a route says when to try again.
func TestEvery503HasRetryAfter(t *testing.T) {
	auth := AuthenticatorFunc(func(*http.Request) (coaching.Actor, error) {
		return coaching.Actor{}, fmt.Errorf("the identity store: %w", coaching.ErrUnavailable)
	})
	_, h := newAPI(t, memory.New(), nil, &Options{Authenticator: auth})
	r := serve(h, "GET", "/cases/x", "")
	requireProblem(t, r, http.StatusServiceUnavailable)
	assert.Equal(t, "5", r.header.Get("Retry-After"))
	documented(t, "GET", "/cases/x", "", r)
}
