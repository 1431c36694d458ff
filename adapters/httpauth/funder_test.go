package httpauth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/coaching"
)

// A funder signs in by every authenticator when the host maps the role:
// the default policy lets a funder read figures across organisations and
// nothing else (funder_aggregate, decided before organisation isolation),
// so a caller whose only role is the funder may have no organisation; one
// holding another role as well still needs one. The system role stays
// refused.
func TestFunderSignsIn(t *testing.T) {
	t.Run("OIDC", func(t *testing.T) {
		iss := newTestIssuer()
		defer iss.Close()
		o := staffOptions(iss)
		o.Roles["rahoittaja"] = coaching.RoleFunder
		a := newOIDC(t, iss, o)
		roles := func(rs ...string) func(map[string]any) {
			return set("realm_access", map[string]any{"roles": rs})
		}
		for _, tt := range []struct {
			name   string
			edits  []func(map[string]any)
			want   coaching.Actor
			reason httpauth.Reason
		}{
			{"a funder without an organisation", []func(map[string]any){roles("rahoittaja"), del("org"), set("sub", "u-funder-1")}, coaching.Actor{
				ID: "u-funder-1", Name: "Vilja Valmentaja", Roles: []coaching.Role{coaching.RoleFunder}}, ""},
			{"a funder of a funder organisation", []func(map[string]any){roles("rahoittaja"), set("org", "ely-centre"), set("sub", "u-funder-1")}, coaching.Actor{
				ID: "u-funder-1", Name: "Vilja Valmentaja", Organisation: "ely-centre", Roles: []coaching.Role{coaching.RoleFunder}}, ""},
			{"a funder who is a coach too needs an organisation", []func(map[string]any){roles("rahoittaja", "valmentaja"), del("org")}, coaching.Actor{}, httpauth.ReasonIdentity},
			{"a coach without an organisation", []func(map[string]any){del("org")}, coaching.Actor{}, httpauth.ReasonIdentity},
		} {
			t.Run(tt.name, func(t *testing.T) {
				actor, err := a.Authenticate(bearerRequest(sign(iss.Current(), claims(tt.edits...)(iss.URL()))))
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
	})

	t.Run("gateway", func(t *testing.T) {
		g := newGateway(t)
		signed := func(roles, org string) *http.Request {
			return proxied(now, nil, func(r *http.Request) {
				r.Header.Set(httpauth.HeaderActorID, "funder-1")
				r.Header.Set(httpauth.HeaderActorRoles, roles)
				r.Header.Set(httpauth.HeaderOrganisation, org)
				r.Header.Set(httpauth.HeaderGatewaySignature, mustSignGateway(gatewaySecret, r))
			})
		}
		actor, err := g.Authenticate(signed("funder", ""))
		require.NoError(t, err)
		assert.Equal(t, coaching.Actor{ID: "funder-1", Roles: []coaching.Role{coaching.RoleFunder}}, actor)
		actor, err = g.Authenticate(signed("funder", "ely-centre"))
		require.NoError(t, err)
		assert.Equal(t, coaching.Actor{ID: "funder-1", Organisation: "ely-centre", Roles: []coaching.Role{coaching.RoleFunder}}, actor)
		for _, roles := range []string{"funder, teacher", "teacher", "funder, system"} {
			_, err = g.Authenticate(signed(roles, ""))
			var ae *httpauth.Error
			require.ErrorAs(t, err, &ae, roles)
			assert.Equal(t, httpauth.ReasonIdentity, ae.Reason, "%s: %v", roles, err)
		}
	})

	t.Run("development identities", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(httpauth.HeaderActorID, "funder-1")
		r.Header.Set(httpauth.HeaderActorRoles, "funder")
		actor, err := httpauth.NewDevIdentities(nil).Authenticate(r)
		require.NoError(t, err)
		assert.Equal(t, coaching.Actor{ID: "funder-1", Roles: []coaching.Role{coaching.RoleFunder}}, actor)
		r.Header.Set(httpauth.HeaderActorRoles, "funder, system")
		_, err = httpauth.NewDevIdentities(nil).Authenticate(r)
		var ae *httpauth.Error
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, httpauth.ReasonMalformedRequest, ae.Reason)
	})
}
