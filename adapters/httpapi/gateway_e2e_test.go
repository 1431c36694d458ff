package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
)

// gatewayReq is what the signing proxy forwards: identity headers, a
// timestamp and the proof over the request it signed (which a test may
// then change before sending).
type gatewayReq struct {
	method, path, body string
	id, roles, org     string
	at                 time.Time
}

// headers signs g with secret as the proxy does and returns the headers
// it sets.
func (g gatewayReq) headers(t testing.TB, s *liveService, secret []byte) [][2]string {
	t.Helper()
	var body io.Reader
	if g.body != "" {
		body = bytes.NewReader([]byte(g.body))
	}
	r, err := http.NewRequest(g.method, s.base+g.path, body)
	require.NoError(t, err)
	hs := [][2]string{{httpauth.HeaderActorID, g.id}, {httpauth.HeaderActorRoles, g.roles}, {httpauth.HeaderOrganisation, g.org},
		{httpauth.HeaderGatewayTimestamp, strconv.FormatInt(g.at.Unix(), 10)}}
	for _, h := range hs {
		r.Header.Set(h[0], h[1])
	}
	sig, err := httpauth.SignGateway(secret, r)
	require.NoError(t, err)
	return append(hs, [2]string{httpauth.HeaderGatewaySignature, sig})
}

func (g gatewayReq) send(t testing.TB, s *liveService, hs [][2]string) response {
	t.Helper()
	var body io.Reader
	if g.body != "" {
		body = bytes.NewReader([]byte(g.body))
	}
	return s.rawDo(t, g.method, g.path, body, hs)
}

// Gateway mode through the real handler on a loopback port: a request the
// proxy signed is accepted; a stale timestamp, another secret, a changed
// body, path or identity, or identity without a proof are refused 401
// before the engine sees an actor; a relation header is a 400. In OIDC
// mode the same signed headers are a 400: identity headers are accepted
// only where a gateway is configured.
func TestGatewayModeOverHTTP(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef-gateway")
	g, err := httpauth.NewGateway(&httpauth.GatewayOptions{Secrets: [][]byte{secret}})
	require.NoError(t, err)
	s := startServiceWith(t, memory.New(), g)
	body := mustJSON(t, enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach")))
	coach := gatewayReq{method: "POST", path: "/enrolments", body: body, id: "coach-1", roles: "coach", org: "school-1", at: time.Now()}

	r := coach.send(t, s, coach.headers(t, s, secret))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	id := r.json(t)["id"].(string)
	read := gatewayReq{method: "GET", path: "/cases/" + id, id: "coach-1", roles: "coach", org: "school-1", at: time.Now()}
	r = read.send(t, s, read.headers(t, s, secret))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, "coach-1", r.json(t)["audit"].([]any)[0].(map[string]any)["actor_id"])

	refused := func(name string, r response, status int) {
		t.Helper()
		requireProblem(t, r, status)
		assert.NotContains(t, string(r.body), `"participant_id"`, name)
		assert.Empty(t, r.header.Get("WWW-Authenticate"), "%s: the gateway has no challenge", name)
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"), name)
	}
	stale := read
	stale.at = time.Now().Add(-time.Minute) // the window is 30 s
	refused("stale", stale.send(t, s, stale.headers(t, s, secret)), http.StatusUnauthorized)
	ahead := read
	ahead.at = time.Now().Add(time.Minute)
	refused("from the future", ahead.send(t, s, ahead.headers(t, s, secret)), http.StatusUnauthorized)
	refused("another secret", read.send(t, s, read.headers(t, s, []byte("another-secret-of-at-least-32-bytes!!"))), http.StatusUnauthorized)

	changedBody := coach
	hs := coach.headers(t, s, secret)
	changedBody.body = mustJSON(t, enrolment("valo", "Eino", "1994-05-17", team("coach-1", "coach")))
	refused("changed body", changedBody.send(t, s, hs), http.StatusUnauthorized)

	other := coach
	other.body = mustJSON(t, enrolment("valo", "Eino", "1994-05-17", team("coach-1", "coach")))
	r = other.send(t, s, other.headers(t, s, secret))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	otherID := r.json(t)["id"].(string)
	changedPath := read
	hs = read.headers(t, s, secret)
	changedPath.path = "/cases/" + otherID
	refused("changed path", changedPath.send(t, s, hs), http.StatusUnauthorized)
	changedQuery := read
	changedQuery.path = "/cases/" + id + "?x=1"
	refused("changed query", changedQuery.send(t, s, hs), http.StatusUnauthorized)

	changedID := read.headers(t, s, secret)
	changedID[0][1] = "head-1"
	refused("changed identity", read.send(t, s, changedID), http.StatusUnauthorized)
	changedRoles := read.headers(t, s, secret)
	changedRoles[1][1] = "head_of_studies"
	refused("changed roles", read.send(t, s, changedRoles), http.StatusUnauthorized)
	unsigned := read.headers(t, s, secret)
	refused("no proof", read.send(t, s, unsigned[:4]), http.StatusUnauthorized)
	refused("no credentials", read.send(t, s, nil), http.StatusUnauthorized)
	refused("a relation header", read.send(t, s, append(read.headers(t, s, secret), [2]string{httpauth.HeaderGuardianOf, "p-1"})), http.StatusBadRequest)

	// OIDC mode: the signed headers are a malformed request.
	k := newOIDCKit(t)
	o := startServiceWith(t, memory.New(), k.auth)
	r = read.send(t, o, read.headers(t, o, secret))
	p := requireProblem(t, r, http.StatusBadRequest)
	assert.Contains(t, []any{httpauth.HeaderActorID, httpauth.HeaderActorRoles, httpauth.HeaderOrganisation,
		httpauth.HeaderGatewayTimestamp, httpauth.HeaderGatewaySignature}, p["header"])
}
