package httpapi

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/httpauth/oidctest"
	"github.com/valmennus/valmennus/coaching"
)

// startServiceWith is startService with auth as the handler's
// Authenticator instead of the development identities. It starts the
// service exactly as startService does and only then replaces the
// authenticator, before any request is sent, so that whatever the shared
// harness adds to every request (the OpenAPI validation of do and rawDo,
// for one) applies to these tests too.
func startServiceWith(t testing.TB, store coaching.Store, auth Authenticator) *liveService {
	t.Helper()
	require.NotNil(t, auth)
	s := startService(t, store)
	s.srv.auth = auth
	return s
}

// oidcAudience is the audience the tests' authenticator expects.
const oidcAudience = "valmennus-api"

// oidcPrefix is the authenticator's IDPrefix: an actor's id is it and the
// token's subject, which is what a participant's or guardian's sign_on
// must hold for the store's relations to be found.
const oidcPrefix = "idp:"

// providerRoles is the host's allow-list: the identity provider's own
// role names (Finnish, as a school's directory has them) mapped to
// coaching roles, the funder's among them (a funder's token names no
// organisation).
var providerRoles = map[string]coaching.Role{
	"valmentaja":        coaching.RoleCoach,
	"omaohjaaja":        coaching.RolePersonalTutor,
	"opettaja":          coaching.RoleTeacher,
	"erityisopettaja":   coaching.RoleSpecialNeedsTeacher,
	"opinto-ohjaaja":    coaching.RoleStudyCounsellor,
	"kuraattori":        coaching.RoleCurator,
	"psykologi":         coaching.RolePsychologist,
	"terveydenhoitaja":  coaching.RoleNurse,
	"koulutuspaallikko": coaching.RoleHeadOfStudies,
	"tyopaikkaohjaaja":  coaching.RoleWorkplaceInstructor,
	"vertaisvalmentaja": coaching.RolePeerCoach,
	"opiskelija":        coaching.RoleStudent,
	"huoltaja":          coaching.RoleGuardian,
	"rahoittaja":        coaching.RoleFunder,
}

// oidcKit is the in-process OpenID provider and an authenticator that
// trusts it, with a clock the test moves (token times are checked
// against it, and the key set's refresh interval and maximum age run on
// it).
type oidcKit struct {
	idp  *oidctest.Provider
	auth *httpauth.OIDC

	mu  sync.Mutex
	now time.Time
}

// newOIDCKit starts a provider and builds the authenticator: audience
// oidcAudience, roles from "roles" through providerRoles, organisation
// from "org", subjects prefixed with oidcPrefix, the default key refresh
// interval (10 s) and maximum age (10 min).
func newOIDCKit(t testing.TB) *oidcKit {
	t.Helper()
	idp, err := oidctest.Start(nil)
	require.NoError(t, err)
	t.Cleanup(idp.Close)
	k := &oidcKit{idp: idp, now: time.Now()}
	opts := &httpauth.OIDCOptions{Issuer: idp.URL(), Audience: oidcAudience, Roles: providerRoles,
		OrganisationClaim: "org", IDPrefix: oidcPrefix}
	opts.Test.Now = k.clock
	k.auth, err = httpauth.NewOIDC(context.Background(), opts)
	require.NoError(t, err)
	return k
}

func (k *oidcKit) clock() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.now
}

// advance moves the authenticator's clock (not the provider's: its
// tokens are minted on the real clock, and live for an hour).
func (k *oidcKit) advance(d time.Duration) {
	k.mu.Lock()
	k.now = k.now.Add(d)
	k.mu.Unlock()
}

// claims are a token's claims for subject in org with the provider's
// role names, valid for an hour.
func (k *oidcKit) claims(subject, org string, roles ...string) map[string]any {
	c := k.idp.Claims(subject, oidcAudience, time.Hour)
	if org != "" {
		c["org"] = org
	}
	if len(roles) > 0 {
		c["roles"] = roles
	}
	return c
}

// bearer is the caller holding a token of the provider's current key for
// subject in org with roles.
func (k *oidcKit) bearer(subject, org string, roles ...string) caller {
	return bearerOf(k.idp.Token(k.claims(subject, org, roles...)))
}

// bearerOf is the caller presenting tok.
func bearerOf(tok string) caller { return caller{"Authorization": "Bearer " + tok} }

// accessLog is the store's access log as q selects it.
func accessLog(t testing.TB, store coaching.Store, q coaching.AccessQuery) []coaching.AccessEntry {
	t.Helper()
	var out []coaching.AccessEntry
	require.NoError(t, store.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		out, err = tx.AccessLog(context.Background(), q)
		return err
	}))
	return out
}

// oidcTeam is team() for signed-in staff: each member's actor id is the
// prefixed subject, their e-mail address the subject's.
func oidcTeam(members ...string) []map[string]any {
	out := team(members...)
	for _, m := range out {
		sub := strings.TrimPrefix(m["actor_id"].(string), oidcPrefix)
		m["contact"] = map[string]string{"email": sub + "@school.example"}
	}
	return out
}
