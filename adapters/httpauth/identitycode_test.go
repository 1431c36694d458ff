package httpauth_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
)

// Actor ids are logged and printed: none of the three authenticators
// accepts one shaped like a personal identity code, and the refusal does
// not echo it (review 5, item 2).
func TestActorIDShapedLikeAnIdentityCodeIsRefused(t *testing.T) {
	const code = "010101-123N"
	refused := func(t *testing.T, err error) {
		t.Helper()
		var ae *httpauth.Error
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, httpauth.ReasonIdentity, ae.Reason, "%v", err)
		assert.Equal(t, http.StatusUnauthorized, ae.Status())
		w := httptest.NewRecorder()
		httpauth.WriteError(w, err)
		assert.NotContains(t, w.Body.String(), "123N")
		assert.NotContains(t, w.Header().Get("WWW-Authenticate"), "123N")
	}

	t.Run("OIDC subject", func(t *testing.T) {
		iss := newTestIssuer()
		defer iss.Close()
		a := newOIDC(t, iss, staffOptions(iss))
		_, err := a.Authenticate(bearerRequest(sign(iss.Current(), claims(set("sub", code))(iss.URL()))))
		refused(t, err)
		_, err = a.Authenticate(bearerRequest(sign(iss.Current(), claims(set("sub", "fi:010101a123n"))(iss.URL()))))
		refused(t, err) // lower case, inside a longer id
		_, err = a.Authenticate(bearerRequest(sign(iss.Current(), claims()(iss.URL()))))
		require.NoError(t, err)
	})
	t.Run("OIDC subject with a prefix", func(t *testing.T) {
		iss := newTestIssuer()
		defer iss.Close()
		o := staffOptions(iss)
		o.IDPrefix = "staff:"
		a := newOIDC(t, iss, o)
		_, err := a.Authenticate(bearerRequest(sign(iss.Current(), claims(set("sub", "010101A123N"))(iss.URL()))))
		refused(t, err)
	})
	t.Run("gateway", func(t *testing.T) {
		g := newGateway(t)
		r := httptest.NewRequest(http.MethodGet, "/cases/c-1", nil)
		r.Header.Set(httpauth.HeaderActorID, code)
		r.Header.Set(httpauth.HeaderActorRoles, "coach")
		r.Header.Set(httpauth.HeaderOrganisation, "school-1")
		r.Header.Set(httpauth.HeaderGatewayTimestamp, strconv.FormatInt(now.Unix(), 10))
		r.Header.Set(httpauth.HeaderGatewaySignature, mustSignGateway(gatewaySecret, r))
		_, err := g.Authenticate(r)
		refused(t, err)
	})
	t.Run("development identities", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/cases/c-1", nil)
		r.Header.Set(httpauth.HeaderActorID, code)
		r.Header.Set(httpauth.HeaderActorRoles, "coach")
		_, err := httpauth.NewDevIdentities(nil).Authenticate(r)
		refused(t, err)
	})
}
