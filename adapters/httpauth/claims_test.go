package httpauth_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/coaching"
)

// ClaimsMapping is OIDC's mapping on its own: the same allow-list and
// organisation rules, plus an optional allow-list of organisations.
func TestClaimsMapping(t *testing.T) {
	m := httpauth.ClaimsMapping{IDPrefix: "staff:", Roles: map[string]coaching.Role{"omaohjaaja": coaching.RolePersonalTutor},
		OrganisationClaim: "org", Organisations: []coaching.OrganisationID{"org-a"}}
	require.NoError(t, m.Validate())
	a, err := m.Actor(map[string]any{"sub": "t1", "name": "Tiina", "roles": []any{"omaohjaaja"}, "org": "org-a"})
	require.NoError(t, err)
	assert.Equal(t, coaching.Actor{ID: "staff:t1", Name: "Tiina", Organisation: "org-a",
		Roles: []coaching.Role{coaching.RolePersonalTutor}}, a)

	for name, claims := range map[string]map[string]any{
		"unknown organisation": {"sub": "t1", "roles": "omaohjaaja", "org": "org-b"},
		"no organisation":      {"sub": "t1", "roles": "omaohjaaja"},
		"role not allowed":     {"sub": "t1", "roles": []any{"omaohjaaja", "rehtori"}, "org": "org-a"},
		"system role":          {"sub": "t1", "roles": "system", "org": "org-a"},
		"system subject":       {"sub": "system", "roles": "omaohjaaja", "org": "org-a"},
		"no subject":           {"roles": "omaohjaaja", "org": "org-a"},
	} {
		_, err := m.Actor(claims)
		var e *httpauth.Error
		require.True(t, errors.As(err, &e), name)
		assert.Equal(t, httpauth.ReasonIdentity, e.Reason, name)
	}

	assert.ErrorContains(t, httpauth.ClaimsMapping{Roles: m.Roles, Organisation: "x", Organisations: m.Organisations}.Validate(), "needs OrganisationClaim")
	assert.ErrorContains(t, httpauth.ClaimsMapping{Roles: map[string]coaching.Role{"s": coaching.RoleSystem}, Organisation: "x"}.Validate(), "never mapped")
	assert.ErrorContains(t, httpauth.ClaimsMapping{SubjectClaim: "email", Roles: m.Roles, Organisation: "x"}.Validate(), "reassigned")
	assert.ErrorContains(t, httpauth.ClaimsMapping{Roles: m.Roles}.Validate(), "exactly one of")
}
