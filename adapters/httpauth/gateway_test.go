package httpauth_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/coaching"
)

var (
	gatewaySecret = []byte("0123456789abcdef0123456789abcdef-gateway")
	oldSecret     = []byte("an older secret, still accepted while rotating")
)

// mustSignGateway is httpauth.SignGateway for a body that reads.
func mustSignGateway(secret []byte, r *http.Request) string {
	sig, err := httpauth.SignGateway(secret, r)
	if err != nil {
		panic(err)
	}
	return sig
}

func newGateway(t *testing.T) *httpauth.Gateway {
	t.Helper()
	o := &httpauth.GatewayOptions{Secrets: [][]byte{gatewaySecret, oldSecret}}
	o.Test.Now = func() time.Time { return now }
	g, err := httpauth.NewGateway(o)
	require.NoError(t, err)
	return g
}

// proxied is a request as the proxy forwards it: identity headers, the
// timestamp, and (unless sign is nil) the proof.
func proxied(at time.Time, secret []byte, edit func(*http.Request)) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/coaching/cases/c-1?view=full", nil)
	r.Header.Set(httpauth.HeaderActorID, "tutor-1")
	r.Header.Set(httpauth.HeaderActorRoles, "personal_tutor, teacher")
	r.Header.Set(httpauth.HeaderOrganisation, "school-1")
	r.Header.Set(httpauth.HeaderGatewayTimestamp, strconv.FormatInt(at.Unix(), 10))
	if secret != nil {
		r.Header.Set(httpauth.HeaderGatewaySignature, mustSignGateway(secret, r))
	}
	if edit != nil {
		edit(r)
	}
	return r
}

func TestGateway(t *testing.T) {
	g := newGateway(t)
	tests := []struct {
		name   string
		req    *http.Request
		reason httpauth.Reason // "" = accepted
		status int
	}{
		{"valid", proxied(now, gatewaySecret, nil), "", 0},
		{"valid with the older secret", proxied(now, oldSecret, nil), "", 0},
		{"valid, a little early", proxied(now.Add(20*time.Second), gatewaySecret, nil), "", 0},
		{"stale timestamp", proxied(now.Add(-31*time.Second), gatewaySecret, nil), httpauth.ReasonExpired, 401},
		{"timestamp in the future", proxied(now.Add(time.Minute), gatewaySecret, nil), httpauth.ReasonExpired, 401},
		{"bad MAC: another secret", proxied(now, []byte("not the shared secret, but long enough"), nil), httpauth.ReasonInvalidToken, 401},
		{"bad MAC: a role added after signing", proxied(now, gatewaySecret, func(r *http.Request) {
			r.Header.Set(httpauth.HeaderActorRoles, "personal_tutor, teacher, head_of_studies")
		}), httpauth.ReasonInvalidToken, 401},
		{"bad MAC: the timestamp moved after signing", proxied(now.Add(-time.Hour), gatewaySecret, func(r *http.Request) {
			r.Header.Set(httpauth.HeaderGatewayTimestamp, strconv.FormatInt(now.Unix(), 10))
		}), httpauth.ReasonInvalidToken, 401},
		{"bad MAC: replayed on another path", proxied(now, gatewaySecret, func(r *http.Request) {
			r.RequestURI = "/coaching/cases/c-2?view=full"
		}), httpauth.ReasonInvalidToken, 401},
		{"bad MAC: not hex", proxied(now, gatewaySecret, func(r *http.Request) {
			r.Header.Set(httpauth.HeaderGatewaySignature, "zz")
		}), httpauth.ReasonInvalidToken, 401},
		{"missing proof", proxied(now, nil, nil), httpauth.ReasonInvalidToken, 401},
		{"missing timestamp", proxied(now, gatewaySecret, func(r *http.Request) { r.Header.Del(httpauth.HeaderGatewayTimestamp) }), httpauth.ReasonInvalidToken, 401},
		{"nothing at all", httptest.NewRequest(http.MethodGet, "/", nil), httpauth.ReasonMissing, 401},
		{"duplicate id", proxied(now, gatewaySecret, func(r *http.Request) { r.Header.Add(httpauth.HeaderActorID, "head-1") }), httpauth.ReasonMalformedRequest, 400},
		{"duplicate roles", proxied(now, gatewaySecret, func(r *http.Request) { r.Header.Add(httpauth.HeaderActorRoles, "head_of_studies") }), httpauth.ReasonMalformedRequest, 400},
		{"duplicate signature", proxied(now, gatewaySecret, func(r *http.Request) {
			r.Header.Add(httpauth.HeaderGatewaySignature, r.Header.Get(httpauth.HeaderGatewaySignature))
		}), httpauth.ReasonMalformedRequest, 400},
		{"duplicate purpose", proxied(now, gatewaySecret, func(r *http.Request) {
			r.Header.Add(httpauth.HeaderPurpose, "a")
			r.Header.Add(httpauth.HeaderPurpose, "b")
		}), httpauth.ReasonMalformedRequest, 400},
		{"a comma-joined id", proxied(now, gatewaySecret, func(r *http.Request) { r.Header.Set(httpauth.HeaderActorID, "tutor-1,head-1") }), httpauth.ReasonMalformedRequest, 400},
		{"a relation header", proxied(now, gatewaySecret, func(r *http.Request) { r.Header.Set(httpauth.HeaderSelf, "p-1") }), httpauth.ReasonMalformedRequest, 400},
		{"the system role, signed", proxied(now, nil, func(r *http.Request) {
			r.Header.Set(httpauth.HeaderActorRoles, "system")
			r.Header.Set(httpauth.HeaderGatewaySignature, mustSignGateway(gatewaySecret, r))
		}), httpauth.ReasonIdentity, 401},
		{"an unknown role, signed", proxied(now, nil, func(r *http.Request) {
			r.Header.Set(httpauth.HeaderActorRoles, "janitor")
			r.Header.Set(httpauth.HeaderGatewaySignature, mustSignGateway(gatewaySecret, r))
		}), httpauth.ReasonIdentity, 401},
		{"no organisation, signed", proxied(now, nil, func(r *http.Request) {
			r.Header.Del(httpauth.HeaderOrganisation)
			r.Header.Set(httpauth.HeaderGatewaySignature, mustSignGateway(gatewaySecret, r))
		}), httpauth.ReasonIdentity, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			actor, err := g.Authenticate(tt.req)
			if tt.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, coaching.Actor{ID: "tutor-1", Organisation: "school-1",
					Roles: []coaching.Role{coaching.RolePersonalTutor, coaching.RoleTeacher}}, actor)
				return
			}
			var ae *httpauth.Error
			require.ErrorAs(t, err, &ae)
			assert.ErrorIs(t, err, httpauth.ErrUnauthenticated)
			assert.Equal(t, tt.reason, ae.Reason, "%v", err)
			assert.Equal(t, tt.status, ae.Status())
			assert.Empty(t, ae.Challenge(), "the gateway sends no challenge")
			if sig := tt.req.Header.Get(httpauth.HeaderGatewaySignature); len(sig) > 8 {
				assert.NotContains(t, err.Error(), sig, "the error never holds the MAC")
			}
			assert.Empty(t, actor)
		})
	}
}

// The proof covers the body, the host and the purpose: a captured signed
// POST does not carry another command within the replay window (review 5).
func TestGatewayProofCoversBodyHostAndPurpose(t *testing.T) {
	g := newGateway(t)
	post := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/coaching/enrolments", strings.NewReader(body))
		r.Header.Set(httpauth.HeaderActorID, "tutor-1")
		r.Header.Set(httpauth.HeaderActorRoles, "personal_tutor")
		r.Header.Set(httpauth.HeaderOrganisation, "school-1")
		r.Header.Set(httpauth.HeaderPurpose, "enrolment")
		r.Header.Set(httpauth.HeaderGatewayTimestamp, strconv.FormatInt(now.Unix(), 10))
		return r
	}
	signed := post(`{"case_id":"c-1"}`)
	sig := mustSignGateway(gatewaySecret, signed)
	signed.Header.Set(httpauth.HeaderGatewaySignature, sig)
	actor, err := g.Authenticate(signed)
	require.NoError(t, err)
	assert.Equal(t, "enrolment", actor.Purpose)
	body, err := io.ReadAll(signed.Body)
	require.NoError(t, err)
	assert.Equal(t, `{"case_id":"c-1"}`, string(body), "the handler reads the whole body after the gateway")

	refused := func(name string, r *http.Request) {
		t.Helper()
		r.Header.Set(httpauth.HeaderGatewaySignature, sig)
		_, err := g.Authenticate(r)
		var ae *httpauth.Error
		if assert.ErrorAs(t, err, &ae, name) {
			assert.Equal(t, httpauth.ReasonInvalidToken, ae.Reason, name)
		}
	}
	refused("another body", post(`{"case_id":"c-2"}`))
	refused("no body", post(""))
	r := post(`{"case_id":"c-1"}`)
	r.Host = "other-service.example"
	refused("another host", r)
	r = post(`{"case_id":"c-1"}`)
	r.Header.Set(httpauth.HeaderPurpose, "something else")
	refused("another purpose", r)
	r = post(`{"case_id":"c-1"}`)
	r.Header.Del(httpauth.HeaderPurpose)
	refused("the purpose removed", r)

	o := &httpauth.GatewayOptions{Secrets: [][]byte{gatewaySecret}, MaxBody: 8}
	o.Test.Now = func() time.Time { return now }
	small, err := httpauth.NewGateway(o)
	require.NoError(t, err)
	big := post(`{"case_id":"c-1"}`)
	big.Header.Set(httpauth.HeaderGatewaySignature, mustSignGateway(gatewaySecret, big))
	_, err = small.Authenticate(big)
	var mbe *http.MaxBytesError
	require.ErrorAs(t, err, &mbe, "a body past MaxBody is too large, not a bad proof")
	assert.NotErrorIs(t, err, httpauth.ErrUnauthenticated)
}

func TestNewGatewayRefuses(t *testing.T) {
	_, err := httpauth.NewGateway(nil)
	assert.Error(t, err)
	_, err = httpauth.NewGateway(&httpauth.GatewayOptions{Secrets: [][]byte{[]byte("short")}})
	assert.ErrorContains(t, err, "shorter than 32 bytes")
	_, err = httpauth.NewGateway(&httpauth.GatewayOptions{Secrets: [][]byte{gatewaySecret}, ReplayWindow: time.Hour})
	assert.ErrorContains(t, err, "ReplayWindow")
}

func TestDevIdentities(t *testing.T) {
	req := func(h http.Header) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header = h
		return r
	}
	base := func(extra ...string) http.Header {
		h := http.Header{httpauth.HeaderActorID: {"parent-1"}, httpauth.HeaderActorRoles: {"guardian"}, httpauth.HeaderOrganisation: {"school-1"}}
		for i := 0; i+1 < len(extra); i += 2 {
			h.Add(extra[i], extra[i+1])
		}
		return h
	}
	tests := []struct {
		name      string
		relations bool
		header    http.Header
		reason    httpauth.Reason
		want      coaching.Actor
	}{
		{"valid", false, base(httpauth.HeaderPurpose, "curl"), "",
			coaching.Actor{ID: "parent-1", Organisation: "school-1", Roles: []coaching.Role{coaching.RoleGuardian}, Purpose: "curl"}},
		{"relations asserted when told", true, base(httpauth.HeaderGuardianOf, "p-1, p-2"), "",
			coaching.Actor{ID: "parent-1", Organisation: "school-1", Roles: []coaching.Role{coaching.RoleGuardian}, Relations: []coaching.Relation{
				{Kind: coaching.RelationGuardianOf, Participant: "p-1"}, {Kind: coaching.RelationGuardianOf, Participant: "p-2"}}}},
		{"relations refused by default", false, base(httpauth.HeaderGuardianOf, "p-1"), httpauth.ReasonMalformedRequest, coaching.Actor{}},
		{"no id", false, http.Header{}, httpauth.ReasonMissing, coaching.Actor{}},
		{"duplicate id", false, base(httpauth.HeaderActorID, "head-1"), httpauth.ReasonMalformedRequest, coaching.Actor{}},
		{"duplicate roles", false, base(httpauth.HeaderActorRoles, "head_of_studies"), httpauth.ReasonMalformedRequest, coaching.Actor{}},
		{"duplicate participant", true, base(httpauth.HeaderSelf, "p-1", httpauth.HeaderSelf, "p-2"), httpauth.ReasonMalformedRequest, coaching.Actor{}},
		{"a comma-joined participant", true, base(httpauth.HeaderSelf, "p-1,p-2"), httpauth.ReasonMalformedRequest, coaching.Actor{}},
		{"the system role", false, http.Header{httpauth.HeaderActorID: {"x"}, httpauth.HeaderActorRoles: {"coach, System"}}, httpauth.ReasonMalformedRequest, coaching.Actor{}},
		{"the system id", false, http.Header{httpauth.HeaderActorID: {" system"}, httpauth.HeaderActorRoles: {"coach"}}, httpauth.ReasonMalformedRequest, coaching.Actor{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := httpauth.NewDevIdentities(&httpauth.DevOptions{AssertRelations: tt.relations})
			actor, err := d.Authenticate(req(tt.header))
			if tt.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, actor)
				return
			}
			var ae *httpauth.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.reason, ae.Reason, "%v", err)
		})
	}
}

// authenticator is the port the HTTP adapter declares; every
// authenticator here satisfies it.
type authenticator interface {
	Authenticate(r *http.Request) (coaching.Actor, error)
}

var (
	_ authenticator = (*httpauth.OIDC)(nil)
	_ authenticator = (*httpauth.Gateway)(nil)
	_ authenticator = (*httpauth.DevIdentities)(nil)
)
