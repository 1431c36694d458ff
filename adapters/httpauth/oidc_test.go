package httpauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/httpauth/oidctest"
	"github.com/valmennus/valmennus/coaching"
)

const audience = "valmennus-api"

var now = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

func staffOptions(iss *oidctest.Provider) *httpauth.OIDCOptions {
	o := &httpauth.OIDCOptions{
		Issuer:            iss.URL(),
		Audience:          audience,
		RolesClaim:        "realm_access.roles",
		Roles:             map[string]coaching.Role{"valmentaja": coaching.RoleCoach, "ryhmanohjaaja": coaching.RolePersonalTutor, "opintojohtaja": coaching.RoleHeadOfStudies},
		OrganisationClaim: "org",
	}
	o.Test.Now = func() time.Time { return now }
	return o
}

func newOIDC(t *testing.T, iss *oidctest.Provider, o *httpauth.OIDCOptions) *httpauth.OIDC {
	t.Helper()
	a, err := httpauth.NewOIDC(context.Background(), o)
	require.NoError(t, err)
	return a
}

// claims are a valid token's claims at now; edits change them.
func claims(edits ...func(map[string]any)) func(iss string) map[string]any {
	return func(iss string) map[string]any {
		c := map[string]any{
			"iss": iss, "aud": []string{audience, "other-client"}, "sub": "u-coach-1", "name": "Vilja Valmentaja",
			"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(10 * time.Minute).Unix(),
			"realm_access": map[string]any{"roles": []string{"valmentaja"}}, "org": "school-1",
		}
		for _, e := range edits {
			e(c)
		}
		return c
	}
}

func set(k string, v any) func(map[string]any) { return func(c map[string]any) { c[k] = v } }
func del(k string) func(map[string]any)        { return func(c map[string]any) { delete(c, k) } }

func bearerRequest(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/coaching/cases", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

func TestOIDCTokens(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	a := newOIDC(t, iss, staffOptions(iss))
	stranger := newKey("key-1") // same kid as the issuer's key, another key
	unknownKid := newKey("key-unknown")

	tests := []struct {
		name   string
		token  func() string
		reason httpauth.Reason // "" = accepted
	}{
		{"valid", func() string { return sign(iss.Current(), claims()(iss.URL())) }, ""},
		{"expired, beyond the skew", func() string {
			return sign(iss.Current(), claims(set("exp", now.Add(-2*time.Minute).Unix()))(iss.URL()))
		}, httpauth.ReasonExpired},
		{"expired within the skew", func() string {
			return sign(iss.Current(), claims(set("exp", now.Add(-30*time.Second).Unix()))(iss.URL()))
		}, ""},
		{"no expiry", func() string { return sign(iss.Current(), claims(del("exp"))(iss.URL())) }, httpauth.ReasonInvalidToken},
		{"not yet valid (nbf)", func() string {
			return sign(iss.Current(), claims(set("nbf", now.Add(2*time.Minute).Unix()))(iss.URL()))
		}, httpauth.ReasonNotYetValid},
		{"nbf within the skew", func() string {
			return sign(iss.Current(), claims(set("nbf", now.Add(30*time.Second).Unix()))(iss.URL()))
		}, ""},
		{"issued in the future (iat)", func() string {
			return sign(iss.Current(), claims(set("iat", now.Add(3*time.Minute).Unix()))(iss.URL()))
		}, httpauth.ReasonNotYetValid},
		{"wrong audience", func() string { return sign(iss.Current(), claims(set("aud", "someone-else"))(iss.URL())) }, httpauth.ReasonInvalidToken},
		{"wrong issuer", func() string { return sign(iss.Current(), claims()("https://idp.example.org")) }, httpauth.ReasonInvalidToken},
		{"bad signature", func() string { return tamper(sign(iss.Current(), claims()(iss.URL()))) }, httpauth.ReasonInvalidToken},
		{"signed by another key under the issuer's kid", func() string { return sign(stranger, claims()(iss.URL())) }, httpauth.ReasonInvalidToken},
		{"alg none", func() string { return unsigned(claims()(iss.URL())) }, httpauth.ReasonInvalidToken},
		{"unknown kid", func() string { return sign(unknownKid, claims()(iss.URL())) }, httpauth.ReasonInvalidToken},
		{"not a JWT", func() string { return "not.a.jwt" }, httpauth.ReasonInvalidToken},
		{"unknown role claim", func() string {
			return sign(iss.Current(), claims(set("realm_access", map[string]any{"roles": []string{"valmentaja", "kanttiini"}}))(iss.URL()))
		}, httpauth.ReasonIdentity},
		{"the system role", func() string {
			return sign(iss.Current(), claims(set("realm_access", map[string]any{"roles": []string{"system"}}))(iss.URL()))
		}, httpauth.ReasonIdentity},
		{"the system subject", func() string { return sign(iss.Current(), claims(set("sub", "System"))(iss.URL())) }, httpauth.ReasonIdentity},
		{"no role", func() string { return sign(iss.Current(), claims(del("realm_access"))(iss.URL())) }, httpauth.ReasonIdentity},
		{"a role claim that is not a list of strings", func() string {
			return sign(iss.Current(), claims(set("realm_access", map[string]any{"roles": []any{1}}))(iss.URL()))
		}, httpauth.ReasonIdentity},
		{"missing organisation", func() string { return sign(iss.Current(), claims(del("org"))(iss.URL())) }, httpauth.ReasonIdentity},
		{"no subject", func() string { return sign(iss.Current(), claims(del("sub"))(iss.URL())) }, httpauth.ReasonIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token()
			actor, err := a.Authenticate(bearerRequest(tok))
			if tt.reason == "" {
				require.NoError(t, err)
				assert.Equal(t, coaching.Actor{ID: "u-coach-1", Name: "Vilja Valmentaja", Organisation: "school-1", Roles: []coaching.Role{coaching.RoleCoach}}, actor)
				return
			}
			var ae *httpauth.Error
			require.ErrorAs(t, err, &ae)
			assert.True(t, errors.Is(err, httpauth.ErrUnauthenticated))
			assert.Equal(t, tt.reason, ae.Reason, "%v", err)
			assert.Equal(t, http.StatusUnauthorized, ae.Status())
			assert.Contains(t, ae.Challenge(), `Bearer realm="valmennus", error="invalid_token", error_description="`)
			assert.NotContains(t, err.Error(), tok, "the error never holds the token")
			assert.NotContains(t, ae.Challenge(), tok)
			assert.Empty(t, actor)
		})
	}
}

func TestOIDCKeyRotationMidRun(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	o := staffOptions(iss)
	clock := now
	o.Test.Now = func() time.Time { return clock }
	a := newOIDC(t, iss, o)
	old := iss.Current()
	valid := func(k *signingKey) error {
		_, err := a.Authenticate(bearerRequest(sign(k, claims()(iss.URL()))))
		return err
	}

	require.NoError(t, valid(old))
	require.NoError(t, valid(old))
	assert.Equal(t, int64(1), iss.JWKSFetches(), "the keys are fetched once and held")

	clock = clock.Add(11 * time.Second) // past the refresh interval
	next := rotate(iss, "key-2")
	require.NoError(t, valid(next), "a token signed with the new key is accepted without a restart")
	assert.Equal(t, int64(2), iss.JWKSFetches(), "the unknown kid made the keys be fetched again")
	require.NoError(t, valid(old), "the old key is still published")

	iss.Retire()
	clock = clock.Add(11 * time.Second)
	third := rotate(iss, "key-3")
	require.NoError(t, valid(third))
	assert.ErrorIs(t, valid(old), httpauth.ErrUnauthenticated, "a retired key no longer verifies once the keys were fetched again")
	require.NoError(t, valid(next))
}

// A key the provider stops publishing stops verifying within KeyMaxAge
// although no token names a new kid (review 5, item 1): the next key was
// published before the first fetch, so no unknown kid ever makes the keys
// be fetched again.
func TestOIDCWithdrawnKeyStopsVerifyingAfterMaxAge(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	o := staffOptions(iss)
	clock := now
	o.Test.Now = func() time.Time { return clock }
	a := newOIDC(t, iss, o)
	old := iss.Current()
	next := rotate(iss, "key-2") // published with key-1 from the start
	valid := func(k *signingKey) error {
		c := claims()(iss.URL())
		c["iat"], c["exp"] = clock.Add(-time.Minute).Unix(), clock.Add(10*time.Minute).Unix()
		_, err := a.Authenticate(bearerRequest(sign(k, c)))
		return err
	}
	require.NoError(t, valid(old))
	require.NoError(t, valid(next))
	require.Equal(t, int64(1), iss.JWKSFetches())

	iss.Retire() // the provider withdraws key-1
	clock = clock.Add(9 * time.Minute)
	require.NoError(t, valid(old), "within KeyMaxAge the held keys are trusted")
	assert.Equal(t, int64(1), iss.JWKSFetches(), "no fetch within KeyMaxAge")

	clock = clock.Add(2 * time.Minute) // past the default 10 minutes
	require.NoError(t, valid(next))
	assert.Equal(t, int64(2), iss.JWKSFetches(), "a held kid past KeyMaxAge makes the keys be fetched again first")
	var ae *httpauth.Error
	require.ErrorAs(t, valid(old), &ae, "a withdrawn key no longer verifies")
	assert.Equal(t, httpauth.ReasonInvalidToken, ae.Reason)
	require.NoError(t, valid(next))
	assert.Equal(t, int64(2), iss.JWKSFetches(), "fresh keys again: no more fetches")

	clock = clock.Add(11 * time.Minute)
	iss.Close() // the provider is down when the keys are stale
	require.ErrorAs(t, valid(next), &ae)
	assert.Equal(t, httpauth.ReasonUnavailable, ae.Reason, "stale keys are not trusted when they cannot be fetched again")
}

// The provider's Cache-Control max-age, when shorter than KeyMaxAge,
// bounds how long the keys are trusted; never below the refresh interval.
func TestOIDCKeysTrustedForTheProvidersMaxAge(t *testing.T) {
	for _, tc := range []struct {
		cacheControl string
		after        time.Duration // when a held kid fetches again
	}{
		{"public, max-age=60", 60 * time.Second},
		{"max-age=3600", 10 * time.Minute}, // KeyMaxAge bounds it
		{"no-cache", 10 * time.Second},     // the refresh interval bounds it
		{"max-age=1", 10 * time.Second},
	} {
		t.Run(tc.cacheControl, func(t *testing.T) {
			iss := newTestIssuer()
			defer iss.Close()
			iss.SetCacheControl(tc.cacheControl)
			o := staffOptions(iss)
			clock := now
			o.Test.Now = func() time.Time { return clock }
			a := newOIDC(t, iss, o)
			valid := func() {
				t.Helper()
				c := claims()(iss.URL())
				c["iat"], c["exp"] = clock.Add(-time.Minute).Unix(), clock.Add(10*time.Minute).Unix()
				_, err := a.Authenticate(bearerRequest(sign(iss.Current(), c)))
				require.NoError(t, err)
			}
			valid()
			start := clock
			clock = start.Add(tc.after - time.Second)
			valid()
			assert.Equal(t, int64(1), iss.JWKSFetches(), "trusted until then")
			clock = start.Add(tc.after)
			valid()
			assert.Equal(t, int64(2), iss.JWKSFetches(), "fetched again after it")
		})
	}
}

// An ID token the provider issued to another application that lists this
// service among its audiences is no credential here when the host names
// its authorized parties, or asks for access tokens by type (review 5).
func TestOIDCAuthorizedPartiesAndTokenType(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	o := staffOptions(iss)
	o.AuthorizedParties = []string{"valmennus-web"}
	a := newOIDC(t, iss, o)
	auth := func(tok string) error { _, err := a.Authenticate(bearerRequest(tok)); return err }
	k := iss.Current()
	require.NoError(t, auth(sign(k, claims(set("azp", "valmennus-web"))(iss.URL()))))
	require.NoError(t, auth(sign(k, claims()(iss.URL()))), "a token without azp is not refused by it")
	var ae *httpauth.Error
	require.ErrorAs(t, auth(sign(k, claims(set("azp", "other-client"))(iss.URL()))), &ae)
	assert.Equal(t, httpauth.ReasonInvalidToken, ae.Reason)
	require.ErrorAs(t, auth(sign(k, claims(set("azp", 7))(iss.URL()))), &ae)
	assert.Equal(t, httpauth.ReasonInvalidToken, ae.Reason)

	o = staffOptions(iss)
	o.TokenType = "at+jwt"
	a = newOIDC(t, iss, o)
	require.NoError(t, auth(signTyped(k, "at+jwt", claims()(iss.URL()))))
	require.NoError(t, auth(signTyped(k, "application/AT+JWT", claims()(iss.URL()))))
	require.ErrorAs(t, auth(sign(k, claims()(iss.URL()))), &ae, "an ID token (typ JWT) is refused")
	assert.Equal(t, httpauth.ReasonInvalidToken, ae.Reason)
	require.ErrorAs(t, auth(signTyped(k, "", claims()(iss.URL()))), &ae, "no typ is refused")
	assert.Equal(t, httpauth.ReasonInvalidToken, ae.Reason)
}

func TestOIDCForgedTokensDoNotFloodTheProvider(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	o := staffOptions(iss)
	clock := now
	o.Test.Now = func() time.Time { return clock }
	a := newOIDC(t, iss, o)
	_, err := a.Authenticate(bearerRequest(sign(iss.Current(), claims()(iss.URL()))))
	require.NoError(t, err)
	require.Equal(t, int64(1), iss.JWKSFetches())

	forger := newKey("key-1") // the issuer's kid, another key
	for i := range 20 {
		_, err := a.Authenticate(bearerRequest(sign(forger, claims()(iss.URL()))))
		require.ErrorIs(t, err, httpauth.ErrUnauthenticated)
		_, err = a.Authenticate(bearerRequest(tamper(sign(iss.Current(), claims()(iss.URL())))))
		require.ErrorIs(t, err, httpauth.ErrUnauthenticated)
		_, err = a.Authenticate(bearerRequest(sign(newKeyCached(i), claims()(iss.URL()))))
		require.ErrorIs(t, err, httpauth.ErrUnauthenticated)
	}
	assert.Equal(t, int64(1), iss.JWKSFetches(), "bad signatures under a known kid cost no fetch, unknown kids none within the interval")

	clock = clock.Add(11 * time.Second)
	_, err = a.Authenticate(bearerRequest(sign(newKeyCached(99), claims()(iss.URL()))))
	require.ErrorIs(t, err, httpauth.ErrUnauthenticated)
	assert.Equal(t, int64(2), iss.JWKSFetches(), "after the interval an unknown kid fetches the keys once more")
}

// newKeyCached returns one of a few unpublished keys with distinct kids
// (RSA key generation is slow).
func newKeyCached(i int) *signingKey {
	k := unpublished[i%len(unpublished)]
	return k.WithID(fmt.Sprintf("unknown-%d", i))
}

var unpublished = []*signingKey{newKey("u-0"), newKey("u-1")}

func TestOIDCRequests(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	a := newOIDC(t, iss, staffOptions(iss))
	tok := sign(iss.Current(), claims()(iss.URL()))

	tests := []struct {
		name      string
		header    http.Header
		reason    httpauth.Reason
		status    int
		challenge string
	}{
		{"no token", http.Header{}, httpauth.ReasonMissing, 401, `Bearer realm="valmennus"`},
		{"another scheme", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, httpauth.ReasonMissing, 401, `Bearer realm="valmennus"`},
		{"two Authorization headers", http.Header{"Authorization": {"Bearer " + tok, "Bearer " + tok}}, httpauth.ReasonMalformedRequest, 400,
			`Bearer realm="valmennus", error="invalid_request", error_description="the header Authorization is given 2 times; an identity header must be given once"`},
		{"an identity header beside the token", http.Header{"Authorization": {"Bearer " + tok}, httpauth.HeaderActorRoles: {"head_of_studies"}}, httpauth.ReasonMalformedRequest, 400, ""},
		{"a relation header beside the token", http.Header{"Authorization": {"Bearer " + tok}, httpauth.HeaderGuardianOf: {"p-1"}}, httpauth.ReasonMalformedRequest, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header = tt.header
			_, err := a.Authenticate(r)
			var ae *httpauth.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.reason, ae.Reason)
			assert.Equal(t, tt.status, ae.Status())
			if tt.challenge != "" {
				assert.Equal(t, tt.challenge, ae.Challenge())
			}
			w := httptest.NewRecorder()
			httpauth.WriteError(w, err)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, ae.Challenge(), w.Header().Get("WWW-Authenticate"))
			assert.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
			assert.NotContains(t, w.Body.String(), tok)
		})
	}

	t.Run("purpose and a string role claim", func(t *testing.T) {
		r := bearerRequest(sign(iss.Current(), claims(set("realm_access", map[string]any{"roles": "opintojohtaja valmentaja"}))(iss.URL())))
		r.Header.Set(httpauth.HeaderPurpose, "welfare group meeting")
		actor, err := a.Authenticate(r)
		require.NoError(t, err)
		assert.Equal(t, []coaching.Role{coaching.RoleHeadOfStudies, coaching.RoleCoach}, actor.Roles)
		assert.Equal(t, "welfare group meeting", actor.Purpose)
		assert.Empty(t, actor.Relations, "relations never come from a token")
	})
}

// ClockSkew zero is the default minute; a negative one is none at all
// (review 5: an explicit zero was silently a minute).
func TestOIDCClockSkewNone(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	expiredAt := func(ago time.Duration) string {
		return sign(iss.Current(), claims(set("exp", now.Add(-ago).Unix()), set("iat", now.Add(-time.Hour).Unix()))(iss.URL()))
	}
	a := newOIDC(t, iss, staffOptions(iss))
	_, err := a.Authenticate(bearerRequest(expiredAt(30 * time.Second)))
	require.NoError(t, err, "the default skew is a minute")

	o := staffOptions(iss)
	o.ClockSkew = -1
	a = newOIDC(t, iss, o)
	_, err = a.Authenticate(bearerRequest(expiredAt(time.Second)))
	var ae *httpauth.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, httpauth.ReasonExpired, ae.Reason)
	_, err = a.Authenticate(bearerRequest(sign(iss.Current(), claims(set("nbf", now.Add(time.Second).Unix()))(iss.URL()))))
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, httpauth.ReasonNotYetValid, ae.Reason)
	_, err = a.Authenticate(bearerRequest(sign(iss.Current(), claims()(iss.URL()))))
	require.NoError(t, err)
}

func TestOIDCFixedOrganisationAndPrefix(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	o := staffOptions(iss)
	o.OrganisationClaim, o.Organisation = "", "school-2"
	o.SubjectClaim, o.IDPrefix = "oid", "staff:"
	a := newOIDC(t, iss, o)
	actor, err := a.Authenticate(bearerRequest(sign(iss.Current(), claims(set("oid", "abc"), set("org", "school-1"))(iss.URL()))))
	require.NoError(t, err)
	assert.Equal(t, "staff:abc", actor.ID)
	assert.Equal(t, coaching.OrganisationID("school-2"), actor.Organisation, "a fixed organisation is not taken from the token")
}

func TestNewOIDCRefuses(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	tests := []struct {
		name string
		edit func(*httpauth.OIDCOptions)
		want string
	}{
		{"the system role as a value", func(o *httpauth.OIDCOptions) { o.Roles["admin"] = coaching.RoleSystem }, "system role is never mapped"},
		{"the system role as a key", func(o *httpauth.OIDCOptions) { o.Roles["SYSTEM"] = coaching.RoleCoach }, "system role is never mapped"},
		{"not a coaching role", func(o *httpauth.OIDCOptions) { o.Roles["x"] = "janitor" }, "not a coaching role"},
		{"no roles", func(o *httpauth.OIDCOptions) { o.Roles = nil }, "Roles"},
		{"both organisations", func(o *httpauth.OIDCOptions) { o.Organisation = "school-1" }, "exactly one of OrganisationClaim and Organisation"},
		{"no audience", func(o *httpauth.OIDCOptions) { o.Audience = "" }, "Audience is required"},
		{"too much skew", func(o *httpauth.OIDCOptions) { o.ClockSkew = time.Hour }, "ClockSkew"},
		{"email as the subject", func(o *httpauth.OIDCOptions) { o.SubjectClaim = "email" }, "SubjectClaim"},
		{"preferred_username as the subject", func(o *httpauth.OIDCOptions) { o.SubjectClaim = "Preferred_Username" }, "SubjectClaim"},
		{"an empty authorized party", func(o *httpauth.OIDCOptions) { o.AuthorizedParties = []string{" "} }, "AuthorizedParties"},
		{"keys trusted for less than the refresh interval", func(o *httpauth.OIDCOptions) { o.KeyMaxAge = time.Second }, "KeyMaxAge"},
		{"an HMAC algorithm", func(o *httpauth.OIDCOptions) { o.SigningAlgorithms = []string{"HS256"} }, "not accepted"},
		{"a discovery document naming another issuer", func(o *httpauth.OIDCOptions) { o.Issuer = iss.URL() + "/" }, "discovery"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := staffOptions(iss)
			tt.edit(o)
			_, err := httpauth.NewOIDC(context.Background(), o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestOIDCProviderKeysUnavailable(t *testing.T) {
	iss := newTestIssuer()
	o := staffOptions(iss)
	a := newOIDC(t, iss, o) // discovery done; no key fetched yet
	tok := sign(iss.Current(), claims()(iss.URL()))
	iss.Close()

	_, err := a.Authenticate(bearerRequest(tok))
	var ae *httpauth.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, httpauth.ReasonUnavailable, ae.Reason, "%v", err)
	assert.Equal(t, http.StatusServiceUnavailable, ae.Status())
	assert.Empty(t, ae.Challenge(), "a 503 carries no challenge: the token may be valid")
	w := httptest.NewRecorder()
	httpauth.WriteError(w, err)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "10", w.Header().Get("Retry-After"))

	_, err = a.Authenticate(bearerRequest(tok))
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, httpauth.ReasonUnavailable, ae.Reason, "within the interval the failed fetch is not repeated, and still reported as unavailable")
}

func TestWriteErrorOtherErrors(t *testing.T) {
	w := httptest.NewRecorder()
	httpauth.WriteError(w, errors.New("the token abc.def.ghi broke something"))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.NotContains(t, w.Body.String(), "abc.def.ghi")
}

// A verified token is remembered (VerifiedTokens), but never past its
// expiry, nor past the trust in the keys that verified it.
func TestOIDCRemembersVerifiedTokensWithinTheirLimits(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	o := staffOptions(iss)
	clock := now
	o.Test.Now = func() time.Time { return clock }
	a := newOIDC(t, iss, o)
	c := claims()(iss.URL())
	c["exp"] = now.Add(30 * time.Second).Unix()
	short := sign(iss.Current(), c)
	long := sign(iss.Current(), claims(set("exp", now.Add(time.Hour).Unix()))(iss.URL()))
	for range 3 {
		_, err := a.Authenticate(bearerRequest(short))
		require.NoError(t, err)
		_, err = a.Authenticate(bearerRequest(long))
		require.NoError(t, err)
	}
	clock = clock.Add(30*time.Second + time.Minute + time.Second) // past exp and the default skew
	var ae *httpauth.Error
	_, err := a.Authenticate(bearerRequest(short))
	require.ErrorAs(t, err, &ae, "a remembered token that expired is refused")
	assert.Equal(t, httpauth.ReasonExpired, ae.Reason)

	iss.Close()
	clock = clock.Add(10 * time.Minute) // the keys held are past KeyMaxAge
	_, err = a.Authenticate(bearerRequest(long))
	require.ErrorAs(t, err, &ae, "a remembered token is not honoured past the trust in its key")
	assert.Equal(t, httpauth.ReasonUnavailable, ae.Reason)
}

// BenchmarkOIDCAuthenticate: a client sending its token with each request,
// remembered (the default) against verified every time (VerifiedTokens
// negative), in the same run.
func BenchmarkOIDCAuthenticate(b *testing.B) {
	iss := newTestIssuer()
	defer iss.Close()
	tok := iss.Token(claims(set("iat", time.Now().Unix()), set("exp", time.Now().Add(time.Hour).Unix()))(iss.URL()))
	run := func(remember time.Duration) float64 {
		o := staffOptions(iss)
		o.Test.Now = nil
		o.VerifiedTokens = remember
		a, err := httpauth.NewOIDC(context.Background(), o)
		require.NoError(b, err)
		r := bearerRequest(tok)
		const n = 2000
		start := time.Now()
		for range n {
			if _, err := a.Authenticate(r); err != nil {
				b.Fatal(err)
			}
		}
		return float64(time.Since(start).Nanoseconds()) / n
	}
	for b.Loop() {
		remembered, verified := run(0), run(-1)
		b.ReportMetric(remembered, "remembered-ns/op")
		b.ReportMetric(verified, "verified-ns/op")
		b.ReportMetric(verified/remembered, "verified/remembered")
	}
}

// A remembered token is tied to the key that verified it, as the verifier
// read the header, not to another spelling of "kid" in it: once that key
// is withdrawn, the token is refused although the other key is held.
func TestOIDCRemembersTheKeyThatVerified(t *testing.T) {
	iss := newTestIssuer()
	defer iss.Close()
	o := staffOptions(iss)
	clock := now
	o.Test.Now = func() time.Time { return clock }
	a := newOIDC(t, iss, o)
	first := iss.Current()
	rotate(iss, "key-2") // both published
	tok := first.SignWithHeaders("JWT", map[string]any{"KID": "key-2"}, claims(set("exp", now.Add(time.Hour).Unix()))(iss.URL()))
	_, err := a.Authenticate(bearerRequest(tok))
	require.NoError(t, err)

	iss.Retire() // key-1 withdrawn
	clock = clock.Add(11 * time.Second)
	_, err = a.Authenticate(bearerRequest(sign(newKey("key-3"), claims()(iss.URL())))) // an unseen kid: the keys are fetched again
	require.ErrorIs(t, err, httpauth.ErrUnauthenticated)
	require.Equal(t, int64(2), iss.JWKSFetches())
	_, err = a.Authenticate(bearerRequest(tok))
	require.ErrorIs(t, err, httpauth.ErrUnauthenticated, "the key that verified it is no longer held")
}
