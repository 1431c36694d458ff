package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/httpauth/oidctest"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// The end-to-end tests of OpenID Connect sign-on: the real handler on a
// loopback port, httpauth.OIDC in front of it, and the in-process
// provider of oidctest issuing (and mis-issuing) the tokens.

// requireChallenge checks a refused sign-on: status, problem details, no
// caching, and a Bearer challenge of the service's realm carrying the
// error code (none for a request without a token, RFC 6750 §3.1).
func requireChallenge(t testing.TB, r response, status int, code string) {
	t.Helper()
	requireProblem(t, r, status)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	ch := r.header.Get("WWW-Authenticate")
	require.True(t, strings.HasPrefix(ch, `Bearer realm="valmennus"`), "challenge %q", ch)
	if code == "" {
		assert.Equal(t, `Bearer realm="valmennus"`, ch, "no error code without a token")
	} else {
		assert.Contains(t, ch, `error="`+code+`"`)
	}
	assert.NotContains(t, string(r.body), `"participant_id"`, "no case in the answer")
}

// enrolOIDC enrols a VALO participant of school-1 with coach on the team
// and returns the case id.
func enrolOIDC(t testing.TB, s *liveService, who caller, coach string) string {
	t.Helper()
	r := s.do(t, who, "POST", "/enrolments", enrolment("valo", "Aino", "1994-05-17", oidcTeam(coach, "coach")))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	return r.json(t)["id"].(string)
}

// Every way a bearer token fails is a 401 with a Bearer challenge
// (error="invalid_token" when a token was given) and problem details,
// and reveals nothing of the case.
func TestOIDCTokenFailuresOverHTTP(t *testing.T) {
	k := newOIDCKit(t)
	s := startServiceWith(t, memory.New(), k.auth)
	coach := k.bearer("coach-1", "school-1", "valmentaja")
	id := enrolOIDC(t, s, coach, oidcPrefix+"coach-1")
	path := "/cases/" + id
	r := s.do(t, coach, "GET", path, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, oidcPrefix+"coach-1", r.json(t)["audit"].([]any)[0].(map[string]any)["actor_id"], "the actor is the prefixed subject")

	good := func() map[string]any { return k.claims("coach-1", "school-1", "valmentaja") }
	with := func(change func(map[string]any)) string {
		c := good()
		change(c)
		return k.idp.Token(c)
	}
	now := time.Now()
	never, err := k.idp.NewKey("never-published")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		tok  string
	}{
		{"expired", with(func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-3*time.Hour).Unix(), now.Add(-3*time.Hour).Unix(), now.Add(-2*time.Hour).Unix()
		})},
		{"expired just beyond the skew", with(func(c map[string]any) { c["exp"] = now.Add(-61 * time.Second).Unix() })},
		{"not yet valid", with(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() })},
		{"issued in the future", with(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() })},
		{"without expiry", with(func(c map[string]any) { delete(c, "exp") })},
		{"wrong audience", with(func(c map[string]any) { c["aud"] = "another-service" })},
		{"wrong issuer", with(func(c map[string]any) { c["iss"] = "https://idp.attacker.example" })},
		{"bad signature", oidctest.Tamper(k.idp.Token(good()))},
		{"alg none", oidctest.Unsigned(good())},
		{"unknown kid (a key never published)", never.Sign("JWT", good())},
		{"the provider's key under an unpublished kid", k.idp.Current().WithID("key-9").Sign("JWT", good())},
		{"not a JWT", "not-a-token"},
		{"a token with a space", "abc def"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireChallenge(t, s.do(t, bearerOf(tc.tok), "GET", path, nil), http.StatusUnauthorized, "invalid_token")
		})
	}

	// Without a token, or with another scheme: the bare challenge.
	for _, h := range []string{"", "Basic Y29hY2gtMTpzZWNyZXQ=", "Bearer", "Bearer    ", "bearer"} {
		var who caller
		if h != "" {
			who = caller{"Authorization": h}
		}
		requireChallenge(t, s.do(t, who, "GET", path, nil), http.StatusUnauthorized, "")
	}
	// Two Authorization headers: an ambiguous request, 400 invalid_request.
	tok := k.idp.Token(good())
	r = s.rawDo(t, "GET", path, nil, [][2]string{{"Authorization", "Bearer " + tok}, {"Authorization", "Bearer " + tok}})
	requireChallenge(t, r, http.StatusBadRequest, "invalid_request")
	// Identity headers beside a valid token: with OIDC, identity comes only
	// from the token (400 naming the header); relation headers too.
	for _, h := range []string{httpauth.HeaderActorID, httpauth.HeaderActorRoles, httpauth.HeaderOrganisation,
		httpauth.HeaderGuardianOf, httpauth.HeaderSelf, httpauth.HeaderGatewaySignature} {
		r = s.rawDo(t, "GET", path, nil, [][2]string{{"Authorization", "Bearer " + tok}, {h, "head-1"}})
		p := requireProblem(t, r, http.StatusBadRequest)
		assert.Equal(t, h, p["header"])
		assert.NotContains(t, string(r.body), `"participant_id"`)
	}
	// The refusals changed nothing and the good token still works.
	r = s.do(t, coach, "GET", path, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.EqualValues(t, 1, r.json(t)["case"].(map[string]any)["version"])
}

// The provider rotates its key while the service runs: tokens of the new
// key are accepted without a restart; a retired key's tokens keep working
// only until the keys held reach their maximum age (10 minutes here);
// when the provider's key set cannot be fetched for a key not yet seen the
// answer is 503 with Retry-After — not a 401, for the token may be valid —
// and the same token is accepted once the provider answers again.
func TestOIDCKeyRotationOverHTTP(t *testing.T) {
	k := newOIDCKit(t)
	s := startServiceWith(t, memory.New(), k.auth)
	old := k.bearer("coach-1", "school-1", "valmentaja")
	id := enrolOIDC(t, s, old, oidcPrefix+"coach-1")
	path := "/cases/" + id
	fetches := k.idp.JWKSFetches()

	_, err := k.idp.Rotate("key-2")
	require.NoError(t, err)
	fresh := k.bearer("coach-1", "school-1", "valmentaja")
	k.advance(11 * time.Second) // past the refresh interval since the first fetch
	r := s.do(t, fresh, "GET", path, nil)
	require.Equal(t, http.StatusOK, r.status, "a new key's token, no restart: %s", r.body)
	assert.Equal(t, fetches+1, k.idp.JWKSFetches(), "the unseen kid made the keys be fetched once")
	require.Equal(t, http.StatusOK, s.do(t, old, "GET", path, nil).status, "the old key is still published")

	k.idp.Retire()
	k.advance(time.Minute)
	assert.Equal(t, http.StatusOK, s.do(t, old, "GET", path, nil).status, "a retired key verifies until the keys held reach their maximum age")
	k.advance(10 * time.Minute)
	requireChallenge(t, s.do(t, old, "GET", path, nil), http.StatusUnauthorized, "invalid_token")
	r = s.do(t, fresh, "GET", path, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	// The provider is down when a token of a key not yet seen arrives.
	k.idp.SetUnavailable(true)
	_, err = k.idp.Rotate("key-3")
	require.NoError(t, err)
	newest := k.bearer("coach-1", "school-1", "valmentaja")
	k.advance(11 * time.Second)
	r = s.do(t, newest, "GET", path, nil)
	p := requireProblem(t, r, http.StatusServiceUnavailable)
	assert.Equal(t, problemBase+"identity-provider-unavailable", p["type"])
	assert.Equal(t, "10", r.header.Get("Retry-After"))
	assert.Empty(t, r.header.Get("WWW-Authenticate"), "no challenge: the token may be valid")
	assert.NotContains(t, string(r.body), `"participant_id"`)
	require.Equal(t, http.StatusOK, s.do(t, fresh, "GET", path, nil).status, "a key held and within its age needs no fetch")

	k.idp.SetUnavailable(false)
	k.advance(11 * time.Second)
	r = s.do(t, newest, "GET", path, nil)
	require.Equal(t, http.StatusOK, r.status, "the same token once the provider answers: %s", r.body)
}

// The token's roles are the provider's names, mapped through the host's
// allow-list: a value outside it refuses the token (it is not dropped, so
// a token cannot carry extra roles past the mapping), a coaching role's
// own name is not a provider role, and "system" is never accepted —
// neither in a token nor in the mapping. The organisation comes from the
// token's claim.
func TestOIDCRoleMappingOverHTTP(t *testing.T) {
	k := newOIDCKit(t)
	s := startServiceWith(t, memory.New(), k.auth)

	// Mapped: a coach opens a VALO case (the model's openers are the coach
	// and the study counsellor); a teacher may not, by the model.
	id := enrolOIDC(t, s, k.bearer("coach-1", "school-1", "valmentaja"), oidcPrefix+"coach-1")
	r := s.do(t, k.bearer("teacher-1", "school-1", "opettaja"), "POST", "/enrolments", enrolment("valo", "Eino", "1990-01-01", nil))
	assert.Equal(t, coaching.RuleModelOpeners, requireProblem(t, r, http.StatusForbidden)["rule"])
	// Several provider roles, as a list or a space-separated string.
	both := k.claims("coach-2", "school-1")
	both["roles"] = "opettaja valmentaja"
	r = s.do(t, bearerOf(k.idp.Token(both)), "POST", "/enrolments", enrolment("valo", "Eino", "1990-01-01", oidcTeam(oidcPrefix+"coach-2", "coach")))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	r = s.do(t, k.bearer("head-1", "school-1", "koulutuspaallikko"), "GET", "/figures/valo", nil)
	require.Equal(t, http.StatusOK, r.status, "a head of studies reads the figures: %s", r.body)

	for _, tc := range []struct {
		name  string
		roles any
	}{
		{"an unknown role", []string{"rehtori"}},
		{"an unknown role beside a known one", []string{"valmentaja", "rehtori"}},
		{"a coaching role's own name", []string{"coach"}},
		{"the reserved role", []string{"system"}},
		{"the reserved role beside a known one", []string{"koulutuspaallikko", "SYSTEM"}},
		{"no role", []string{}},
		{"a role that is not a string", []any{"valmentaja", 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := k.claims("coach-1", "school-1")
			c["roles"] = tc.roles
			requireChallenge(t, s.do(t, bearerOf(k.idp.Token(c)), "GET", "/cases/"+id, nil), http.StatusUnauthorized, "invalid_token")
		})
	}
	// The reserved subject; no organisation.
	requireChallenge(t, s.do(t, k.bearer("system", "school-1", "valmentaja"), "GET", "/cases/"+id, nil), http.StatusUnauthorized, "invalid_token")
	requireChallenge(t, s.do(t, k.bearer("coach-1", "", "valmentaja"), "GET", "/cases/"+id, nil), http.StatusUnauthorized, "invalid_token")

	// The organisation is the claim's: the same subject and role signed in
	// for another organisation is that organisation's coach.
	// Their answer about school-1's case is that of a missing id.
	r = s.do(t, k.bearer("coach-1", "school-2", "valmentaja"), "GET", "/cases/"+id, nil)
	assert.Equal(t, "valmennus: case \""+id+"\" not found", requireProblem(t, r, http.StatusNotFound)["detail"])
	r = s.do(t, k.bearer("coach-1", "school-2", "valmentaja"), "POST", "/enrolments", enrolment("valo", "Eino", "1990-01-01", nil))
	assert.Equal(t, coaching.RuleOrganisation, requireProblem(t, r, http.StatusForbidden)["rule"], "enrolling into school-1 from school-2")

	// The mapping itself can never name the system role.
	for _, roles := range []map[string]coaching.Role{{"jarjestelma": coaching.RoleSystem}, {"system": coaching.RoleCoach}, {"x": "nobody"}} {
		_, err := httpauth.NewOIDC(context.Background(), &httpauth.OIDCOptions{Issuer: k.idp.URL(), Audience: oidcAudience, Roles: roles, OrganisationClaim: "org"})
		assert.Error(t, err, "%v", roles)
	}
}

// Guardian and student relations come from the participant records: a
// guardian whose sign-on id (the prefixed subject) is recorded on a minor
// reads the ward's attendance, notices and plan summary, not the case
// itself and not another student's; a student signed in by their own
// sign-on id reads their own case only. A token naming relations or
// participants in any claim changes nothing.
func TestRelationsFromTheStoreOverHTTP(t *testing.T) {
	k := newOIDCKit(t)
	store := memory.New()
	s := startServiceWith(t, store, k.auth)
	tutor := k.bearer("tutor-1", "school-1", "omaohjaaja")
	enrol := func(given, born, signOn, guardianSignOn string) (caseID, participant string) {
		e := enrolment(coaching.ModelPilot, given, born, oidcTeam(oidcPrefix+"tutor-1", "personal_tutor"), func(p map[string]any) {
			if signOn != "" {
				p["sign_on"] = signOn
			}
			if guardianSignOn != "" {
				p["guardians"] = []map[string]any{{"id": "g-" + given, "sign_on": guardianSignOn, "name": "Huoltaja " + given}}
			}
		})
		r := s.do(t, tutor, "POST", "/enrolments", e)
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
		m := r.json(t)
		return m["id"].(string), m["participant_id"].(string)
	}
	ward, wardID := enrol("Eetu", "2008-06-30", oidcPrefix+"eetu", oidcPrefix+"parent-1")
	other, otherID := enrol("Ella", "2008-02-10", oidcPrefix+"ella", oidcPrefix+"parent-2")
	// A guardian recorded by the unprefixed subject is not the signed-in
	// "parent-3" (whose actor id is prefixed).
	unprefixed, _ := enrol("Otto", "2008-03-03", "", "parent-3")

	parent := k.bearer("parent-1", "school-1", "huoltaja")
	for _, route := range []string{"/attendance", "/notices", "/hoks/summary"} {
		r := s.do(t, parent, "GET", "/cases/"+ward+route, nil)
		assert.NotEqual(t, http.StatusForbidden, r.status, "%s: %s", route, r.body)
		assert.Less(t, r.status, 500, "%s: %s", route, r.body)
	}
	r := s.do(t, parent, "GET", "/cases/"+ward+"/attendance", nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, coaching.RuleGuardianScope, requireProblem(t, s.do(t, parent, "GET", "/cases/"+ward, nil), http.StatusForbidden)["rule"])
	assert.Equal(t, coaching.RuleGuardianRelation, requireProblem(t, s.do(t, parent, "GET", "/cases/"+other+"/attendance", nil), http.StatusForbidden)["rule"])
	assert.Equal(t, coaching.RuleGuardianRelation,
		requireProblem(t, s.do(t, k.bearer("parent-3", "school-1", "huoltaja"), "GET", "/cases/"+unprefixed+"/attendance", nil), http.StatusForbidden)["rule"])

	// Claims asserting relations: ignored, the store's records decide.
	claiming := k.claims("parent-1", "school-1", "huoltaja")
	claiming["guardian_of"] = []string{otherID}
	claiming["relations"] = []map[string]any{{"kind": "guardian_of", "participant": otherID}, {"kind": "self", "participant": otherID}}
	claiming["self"] = otherID
	claiming["participant"] = otherID
	r = s.do(t, bearerOf(k.idp.Token(claiming)), "GET", "/cases/"+other+"/attendance", nil)
	assert.Equal(t, coaching.RuleGuardianRelation, requireProblem(t, r, http.StatusForbidden)["rule"])
	r = s.do(t, bearerOf(k.idp.Token(claiming)), "GET", "/cases/"+ward+"/attendance", nil)
	assert.Equal(t, http.StatusOK, r.status, "the recorded ward still: %s", r.body)

	// The student by their own sign-on id.
	eetu := k.bearer("eetu", "school-1", "opiskelija")
	r = s.do(t, eetu, "GET", "/cases/"+ward, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, wardID, r.json(t)["case"].(map[string]any)["participant_id"])
	assert.Equal(t, coaching.RuleStudentOther, requireProblem(t, s.do(t, eetu, "GET", "/cases/"+other, nil), http.StatusForbidden)["rule"])
	selfClaim := k.claims("eetu", "school-1", "opiskelija")
	selfClaim["self"], selfClaim["participant_id"] = otherID, otherID
	r = s.do(t, bearerOf(k.idp.Token(selfClaim)), "GET", "/cases/"+other, nil)
	assert.Equal(t, coaching.RuleStudentOther, requireProblem(t, r, http.StatusForbidden)["rule"])
	// A student whose subject is no participant's sign-on reads nothing.
	r = s.do(t, k.bearer("eetu-2", "school-1", "opiskelija"), "GET", "/cases/"+ward, nil)
	assert.Equal(t, coaching.RuleStudentOther, requireProblem(t, r, http.StatusForbidden)["rule"])

	// Each denial above has its access-log entry, with the rule.
	var rules []string
	for _, e := range accessLog(t, store, coaching.AccessQuery{ActorID: oidcPrefix + "parent-1"}) {
		if !e.Allowed {
			rules = append(rules, e.Rule)
		}
	}
	assert.Equal(t, []string{coaching.RuleGuardianScope, coaching.RuleGuardianRelation, coaching.RuleGuardianRelation}, rules)
}

// The sign-on links of a student information system import are the
// relations: the student's sign_on and the guardian's guardian1_sign_on
// (the identity provider's subjects, with the host's prefix) make the
// signed-in student and guardian theirs, and nobody else's.
func TestRelationsFromAnImportOverHTTP(t *testing.T) {
	k := newOIDCKit(t)
	s := startServiceWith(t, memory.New(), k.auth)
	csv := "external_id;given_names;family_name;birth_date;email;language;group;start_date;sign_on;guardian1_name;guardian1_email;guardian1_sign_on\r\n" +
		"S1;Eetu;Esimerkki;2008-06-30;eetu@example.fi;fi;TVO24A;2024-03-01;" + oidcPrefix + "eetu;Maija Esimerkki;maija@koti.example;" + oidcPrefix + "maija\r\n" +
		"S2;Ella;Esimerkki;2008-02-10;ella@example.fi;fi;TVO24A;2024-03-01;;;;\r\n"
	r := s.do(t, k.bearer("tutor-1", "school-1", "omaohjaaja"), "POST", "/imports?model="+coaching.ModelPilot+"&strict=true", csv)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	enrolled := r.json(t)["enrolled"].([]any)
	require.Len(t, enrolled, 2)
	eetu, ella := enrolled[0].(map[string]any)["case"].(string), enrolled[1].(map[string]any)["case"].(string)

	maija := k.bearer("maija", "school-1", "huoltaja")
	r = s.do(t, maija, "GET", "/cases/"+eetu+"/attendance", nil)
	assert.Equal(t, http.StatusOK, r.status, "the imported guardian reads the ward's attendance: %s", r.body)
	assert.Equal(t, coaching.RuleGuardianRelation, requireProblem(t, s.do(t, maija, "GET", "/cases/"+ella+"/attendance", nil), http.StatusForbidden)["rule"])
	assert.Equal(t, coaching.RuleGuardianScope, requireProblem(t, s.do(t, maija, "GET", "/cases/"+eetu, nil), http.StatusForbidden)["rule"])

	student := k.bearer("eetu", "school-1", "opiskelija")
	r = s.do(t, student, "GET", "/cases/"+eetu, nil)
	assert.Equal(t, http.StatusOK, r.status, "the imported student reads their own case: %s", r.body)
	assert.Equal(t, coaching.RuleStudentOther, requireProblem(t, s.do(t, student, "GET", "/cases/"+ella, nil), http.StatusForbidden)["rule"])
	// The same subjects of another organisation are other people.
	r = s.do(t, k.bearer("maija", "school-2", "huoltaja"), "GET", "/cases/"+eetu+"/attendance", nil)
	assert.Equal(t, "valmennus: case \""+eetu+"\" not found", requireProblem(t, r, http.StatusNotFound)["detail"], "school-1's case is not found in school-2")
}
