package httpauth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/coaching"
)

// Every authenticator refuses an X-Purpose longer than the engine takes
// with a 400 naming the header — the early, clear answer; the engine
// refuses such an actor too, before it loads any case, so that the answer
// never tells whether an id exists. A purpose at the bound is taken.
// (Review 16b.)
func TestAuthenticatorsBoundPurpose(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	oidc := newOIDC(t, iss, staffOptions(iss))
	tok := sign(iss.Current(), claims()(iss.URL()))
	dev := httpauth.NewDevIdentities(nil)
	gw := newGateway(t)

	auths := []struct {
		name string
		auth interface {
			Authenticate(*http.Request) (coaching.Actor, error)
		}
		req func(purpose string) *http.Request
	}{
		{"oidc", oidc, func(p string) *http.Request {
			r := bearerRequest(tok)
			r.Header.Set(httpauth.HeaderPurpose, p)
			return r
		}},
		{"dev", dev, func(p string) *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set(httpauth.HeaderActorID, "tutor-1")
			r.Header.Set(httpauth.HeaderActorRoles, "personal_tutor")
			r.Header.Set(httpauth.HeaderPurpose, p)
			return r
		}},
		{"gateway", gw, func(p string) *http.Request {
			// Signed by the gateway with the purpose: the proof is valid.
			return proxied(now, nil, func(r *http.Request) {
				r.Header.Set(httpauth.HeaderPurpose, p)
				r.Header.Set(httpauth.HeaderGatewaySignature, mustSignGateway(gatewaySecret, r))
			})
		}},
	}
	for _, a := range auths {
		t.Run(a.name, func(t *testing.T) {
			long := strings.Repeat("p", coaching.MaxPurposeBytes+1)
			_, err := a.auth.Authenticate(a.req(long))
			var ae *httpauth.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, httpauth.ReasonMalformedRequest, ae.Reason)
			assert.Equal(t, http.StatusBadRequest, ae.Status())
			assert.Equal(t, httpauth.HeaderPurpose, ae.Header)
			assert.Contains(t, ae.Description, httpauth.HeaderPurpose)
			assert.NotContains(t, ae.Description, long[:50], "nothing the client sent is echoed")

			at := strings.Repeat("p", coaching.MaxPurposeBytes)
			actor, err := a.auth.Authenticate(a.req(at))
			require.NoError(t, err)
			assert.Equal(t, at, actor.Purpose)
		})
	}
}
