package httpauth

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// ClaimsMapping is how the verified claims of an OpenID Connect token
// become an actor: the rules [OIDC] applies to a bearer token, exported so
// that a sign-in elsewhere (the web interface's authorization-code flow,
// adapters/webui.OIDCLogin) maps an ID token's claims the same way. Its
// fields mean what the [OIDCOptions] fields of the same names mean;
// SubjectClaim, NameClaim and RolesClaim default to "sub", "name" and
// "roles".
type ClaimsMapping struct {
	SubjectClaim      string
	IDPrefix          string
	NameClaim         string
	RolesClaim        string
	Roles             map[string]coaching.Role
	OrganisationClaim string
	Organisation      coaching.OrganisationID
	// Organisations, when set with OrganisationClaim, is the allow-list of
	// organisations: a claim naming another one is refused. Empty (the
	// default, and always for [OIDC]): any organisation the claim names.
	Organisations []coaching.OrganisationID
}

func (m ClaimsMapping) withDefaults() ClaimsMapping {
	if m.SubjectClaim == "" {
		m.SubjectClaim = "sub"
	}
	if m.NameClaim == "" {
		m.NameClaim = "name"
	}
	if m.RolesClaim == "" {
		m.RolesClaim = "roles"
	}
	return m
}

// Validate reports what is wrong with the mapping: a subject claim that
// is reassigned (email, preferred_username), no roles allow-list, a role
// that is not a coaching role or is the engine's reserved "system", not
// exactly one of OrganisationClaim and Organisation, or Organisations
// without OrganisationClaim.
func (m ClaimsMapping) Validate() error {
	if p := m.problems(); len(p) > 0 {
		return errors.New("httpauth: claims mapping: " + strings.Join(p, "; "))
	}
	return nil
}

func (m ClaimsMapping) problems() []string {
	var problems []string
	switch strings.ToLower(strings.TrimSpace(m.SubjectClaim)) {
	case "email", "preferred_username":
		problems = append(problems, fmt.Sprintf("SubjectClaim %q is refused: it can change and be reassigned to another person; use sub or the provider's object id", m.SubjectClaim))
	}
	if len(m.Roles) == 0 {
		problems = append(problems, "Roles (the allow-list of role claim values) is required")
	}
	for k, r := range m.Roles {
		switch {
		case isReserved(k) || isReserved(string(r)):
			problems = append(problems, fmt.Sprintf("Roles[%q]: the system role is never mapped", k))
		case !acceptedRole(r):
			problems = append(problems, fmt.Sprintf("Roles[%q]: %q is not a coaching role", k, r))
		}
	}
	if (m.OrganisationClaim == "") == (m.Organisation == "") {
		problems = append(problems, "exactly one of OrganisationClaim and Organisation is required")
	}
	if len(m.Organisations) > 0 && m.OrganisationClaim == "" {
		problems = append(problems, "Organisations (an allow-list of the organisation claim) needs OrganisationClaim")
	}
	return problems
}

// Actor maps claims (already verified: signature, issuer, audience,
// times) to the actor: the subject its id (after IDPrefix; "system" and
// ids shaped like a personal identity code are refused), every value of
// the roles claim through the allow-list (a value not in it, or none at
// all, is refused), the organisation from its claim (required unless the
// only role is the funder; within Organisations when set) or fixed, the
// name from its claim. Relations and purpose are not taken from claims.
// A refusal is an [*Error] with [ReasonIdentity], whose Description names
// no claim value.
func (m ClaimsMapping) Actor(claims map[string]any) (coaching.Actor, error) {
	a, e := m.withDefaults().actor(claims)
	if e != nil {
		return coaching.Actor{}, e
	}
	return a, nil
}

func (m ClaimsMapping) actor(claims map[string]any) (coaching.Actor, *Error) {
	sub, _ := claim(claims, m.SubjectClaim).(string)
	if strings.TrimSpace(sub) == "" {
		return coaching.Actor{}, &Error{Reason: ReasonIdentity, Description: "the token has no subject"}
	}
	id := m.IDPrefix + sub
	if isReserved(sub) || isReserved(id) {
		return coaching.Actor{}, &Error{Reason: ReasonIdentity, Description: `the subject "system" is reserved for the engine itself`}
	}
	if e := refuseIdentityCode(id, ""); e != nil {
		return coaching.Actor{}, e
	}
	var values []string
	switch v := claim(claims, m.RolesClaim).(type) {
	case string:
		values = strings.Fields(v) // a space-separated string, as scope is
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return coaching.Actor{}, &Error{Reason: ReasonIdentity, Description: "the token's role claim holds a value that is not a string"}
			}
			values = append(values, s)
		}
	case nil:
	default:
		return coaching.Actor{}, &Error{Reason: ReasonIdentity, Description: "the token's role claim is neither a string nor a list"}
	}
	var roles []coaching.Role
	for _, v := range values {
		if isReserved(v) {
			return coaching.Actor{}, &Error{Reason: ReasonIdentity, Description: `the role "system" is reserved for the engine itself`}
		}
		r, ok := m.Roles[v]
		if !ok {
			return coaching.Actor{}, &Error{Reason: ReasonIdentity, Description: "the token holds a role this service does not accept"}
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return coaching.Actor{}, &Error{Reason: ReasonIdentity, Description: "the token holds no role"}
	}
	org := m.Organisation
	if m.OrganisationClaim != "" {
		s, _ := claim(claims, m.OrganisationClaim).(string)
		if s = strings.TrimSpace(s); s == "" && !onlyFunder(roles) {
			return coaching.Actor{}, &Error{Reason: ReasonIdentity, Description: "the token names no organisation"}
		}
		org = coaching.OrganisationID(s)
		if s != "" && len(m.Organisations) > 0 && !slices.Contains(m.Organisations, org) {
			return coaching.Actor{}, &Error{Reason: ReasonIdentity, Description: "the token names an organisation this service does not serve"}
		}
	}
	name, _ := claim(claims, m.NameClaim).(string)
	return coaching.Actor{ID: id, Name: name, Organisation: org, Roles: roles}, nil
}

// claim returns the claim at a dotted path, or nil.
func claim(claims map[string]any, path string) any {
	var cur any = claims
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}
