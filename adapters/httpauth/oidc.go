package httpauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/valmennus/valmennus/coaching"
)

// OIDCOptions configures an [OIDC] authenticator. Issuer, Audience and
// Roles are required; so is exactly one of OrganisationClaim and
// Organisation.
type OIDCOptions struct {
	// Issuer is the OpenID provider's issuer URL. Its discovery document
	// (Issuer + "/.well-known/openid-configuration") is fetched by [NewOIDC]
	// and must name the same issuer; tokens must carry it in "iss".
	Issuer string
	// Audience is this service's client id or API identifier: a token's
	// "aud" must contain it.
	Audience string
	// AuthorizedParties, when set, lists the client ids whose tokens are
	// accepted: a token carrying "azp" (the party it was issued to) must
	// name one of them, so that an ID token the provider issued to another
	// application that lists this service among its audiences is not an
	// API credential here. A token without "azp" is not refused by it.
	// Empty (the default): "azp" is not checked.
	AuthorizedParties []string
	// TokenType, when set, is the JOSE header "typ" a token must carry,
	// compared without case and with or without "application/": "at+jwt"
	// accepts only RFC 9068 access tokens, refusing ID tokens ("JWT").
	// Empty (the default): "typ" is not checked.
	TokenType string

	// SubjectClaim names the claim that becomes the actor's id. Defaults
	// to "sub". It must name a stable, never reassigned identifier (sub,
	// or a provider's object id such as Entra ID's "oid"): "email" and
	// "preferred_username" are refused, since OpenID Connect Core §5.7
	// warns they change and are reassigned — a new holder of an address
	// would become the old one's actor, with their cases.
	SubjectClaim string
	// IDPrefix, when set, is put before the subject to make the actor id
	// (e.g. "staff:"), so that two providers' subjects cannot collide. The
	// student information system import must write guardian ids the same
	// way for guardian relations to be found.
	IDPrefix string
	// NameClaim names the claim that becomes the actor's display name.
	// Defaults to "name"; a token without it gives an empty name.
	NameClaim string

	// RolesClaim names the claim that carries the caller's roles: a string
	// or an array of strings. A dotted name reaches into objects
	// ("realm_access.roles"). Defaults to "roles".
	RolesClaim string
	// Roles is the allow-list mapping a value of RolesClaim to a coaching
	// role, e.g. {"valmentaja": coaching.RoleCoach, "rahoittaja":
	// coaching.RoleFunder}. A token holding a value not in it is refused,
	// as is one holding none. No value may map to the system role, and
	// "system" is not a key.
	Roles map[string]coaching.Role

	// OrganisationClaim names the claim that carries the caller's
	// organisation (dotted names allowed); a token without it is refused,
	// unless its only role is the funder (coaching.RoleFunder), who
	// belongs to no education provider and then has no organisation (the
	// default policy lets a funder read figures across organisations
	// whatever their organisation, and nothing else).
	OrganisationClaim string
	// Organisation is the fixed organisation of every caller, for a
	// provider whose identity service serves only itself.
	Organisation coaching.OrganisationID

	// ClockSkew is how far the provider's clock and this one may differ:
	// a token is accepted until exp + ClockSkew and from nbf (and iat) −
	// ClockSkew. Zero means the default, 1 minute; a negative value means
	// no skew at all. At most 5 minutes.
	ClockSkew time.Duration
	// SigningAlgorithms are the JWS algorithms accepted. Defaults to RS256,
	// ES256 and PS256. "none" and the HMAC algorithms are refused here.
	SigningAlgorithms []string
	// KeyRefreshInterval is the least time between two fetches of the
	// provider's signing keys. A token naming a key id not held makes the
	// keys be fetched again, unless they were fetched within the interval
	// (the token is then refused), so that forged tokens cannot make this
	// service flood the provider. Defaults to 10 seconds.
	KeyRefreshInterval time.Duration
	// KeyMaxAge is how long fetched signing keys are trusted. After it, a
	// token naming a key held makes the keys be fetched again before it
	// is verified (still at most once per KeyRefreshInterval), so that a
	// key the provider stopped publishing — retired, or withdrawn as
	// compromised — stops verifying tokens within KeyMaxAge. If that fetch
	// fails, tokens are refused with [ReasonUnavailable] (503) until the
	// provider answers again: stale keys are not trusted. Defaults to 10
	// minutes; it must not be less than KeyRefreshInterval. When the
	// provider answers the keys with a shorter Cache-Control max-age (or
	// no-cache), they are trusted that long, but at least
	// KeyRefreshInterval.
	KeyMaxAge time.Duration
	// VerifiedTokens is how long a token that verified is remembered, so
	// that a client sending the same token with each request does not cost
	// a signature check and a parse of its claims every time. A remembered
	// token's expiry, not-before and the mapping of its claims are checked
	// on every request all the same; it is forgotten at the latest when
	// the keys it was verified with stop being trusted (KeyMaxAge), so a
	// withdrawn key stops being honoured within KeyMaxAge as promised.
	// Defaults to one minute; negative remembers nothing.
	VerifiedTokens time.Duration
	// VerifiedTokensMax bounds how many verified tokens are remembered;
	// defaults to 10 000 (about 3 MB at a typical token's size).
	VerifiedTokensMax int
	// HTTPClient fetches the discovery document and the signing keys.
	// Defaults to a client with a 10-second timeout.
	HTTPClient *http.Client
	// Realm is the realm of the WWW-Authenticate challenge. Defaults to
	// "valmennus".
	Realm string

	// Test holds settings for tests.
	Test struct {
		// Now is the clock tokens are checked against. Defaults to time.Now.
		Now func() time.Time
	}
}

const maxClockSkew = 5 * time.Minute

func (o OIDCOptions) withDefaults() OIDCOptions {
	// The claim names' defaults are ClaimsMapping's (mapping applies them).
	switch {
	case o.ClockSkew == 0:
		o.ClockSkew = time.Minute
	case o.ClockSkew < 0:
		o.ClockSkew = 0 // asked for explicitly: none
	}
	if len(o.SigningAlgorithms) == 0 {
		o.SigningAlgorithms = []string{oidc.RS256, oidc.ES256, oidc.PS256}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.KeyRefreshInterval == 0 {
		o.KeyRefreshInterval = 10 * time.Second
	}
	if o.KeyMaxAge == 0 {
		o.KeyMaxAge = 10 * time.Minute
	}
	if o.Realm == "" {
		o.Realm = "valmennus"
	}
	switch {
	case o.VerifiedTokens == 0:
		o.VerifiedTokens = time.Minute
	case o.VerifiedTokens < 0:
		o.VerifiedTokens = 0
	}
	if o.VerifiedTokensMax <= 0 {
		o.VerifiedTokensMax = 10_000
	}
	if o.Test.Now == nil {
		o.Test.Now = time.Now
	}
	return o
}

func (o OIDCOptions) validate() error {
	var problems []string
	if o.Issuer == "" {
		problems = append(problems, "Issuer is required")
	}
	if o.Audience == "" {
		problems = append(problems, "Audience is required")
	}
	problems = append(problems, o.mapping().problems()...)
	if o.KeyRefreshInterval < 0 {
		problems = append(problems, "KeyRefreshInterval must not be negative")
	}
	for _, p := range o.AuthorizedParties {
		if strings.TrimSpace(p) == "" {
			problems = append(problems, "AuthorizedParties: an empty client id")
		}
	}
	if o.KeyMaxAge < o.KeyRefreshInterval {
		problems = append(problems, "KeyMaxAge must not be less than KeyRefreshInterval")
	}
	if o.ClockSkew < 0 || o.ClockSkew > maxClockSkew {
		problems = append(problems, fmt.Sprintf("ClockSkew must be between 0 and %s", maxClockSkew))
	}
	for _, alg := range o.SigningAlgorithms {
		if strings.EqualFold(alg, "none") || strings.HasPrefix(strings.ToUpper(alg), "HS") {
			problems = append(problems, fmt.Sprintf("SigningAlgorithms: %q is not accepted", alg))
		}
	}
	if len(problems) > 0 {
		return errors.New("httpauth: OIDC options: " + strings.Join(problems, "; "))
	}
	return nil
}

// OIDC authenticates requests by an OpenID Connect bearer token in the
// Authorization header (RFC 6750 §2.1; a token in the query or the body is
// not read). It is safe for concurrent use.
//
// The token's algorithm, issuer and audience are verified by go-oidc, its
// signature by go-jose against the provider's published key named by the
// token's kid; a kid not yet seen makes the keys be fetched again (at most
// once per [OIDCOptions].KeyRefreshInterval), so the provider's key
// rotation needs no restart, while a bad signature under a known kid costs
// no fetch. Keys held longer than [OIDCOptions].KeyMaxAge are fetched again
// before they are trusted, so a key the provider withdraws stops verifying.
// With [OIDCOptions].AuthorizedParties and TokenType a host accepts only
// its own clients' tokens, or only access tokens. Expiry ("exp", required), "nbf" and "iat" are
// checked here, with [OIDCOptions].ClockSkew (go-oidc itself allows no
// skew on exp and a fixed five minutes on nbf). The claims then become the
// actor: the subject its id, the roles by the host's allow-list, the
// organisation from a claim or fixed. Relations are not taken from the
// token (see the package documentation).
//
// A request carrying any of [IdentityHeaders] is refused (400): with
// OIDC, identity comes only from the token.
type OIDC struct {
	opts     OIDCOptions
	verifier *oidc.IDTokenVerifier
	keys     *keySet
	algs     []jose.SignatureAlgorithm
	verified *verifiedTokens
}

// NewOIDC builds an OIDC authenticator. It fetches the provider's
// discovery document with ctx (which bounds only that fetch); the signing
// keys are fetched when first needed.
func NewOIDC(ctx context.Context, opts *OIDCOptions) (*OIDC, error) {
	if opts == nil {
		opts = &OIDCOptions{}
	}
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, o.HTTPClient), o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("httpauth: OIDC discovery for %s: %w", o.Issuer, err)
	}
	var meta struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := provider.Claims(&meta); err != nil || meta.JWKSURL == "" {
		return nil, fmt.Errorf("httpauth: OIDC discovery for %s names no jwks_uri", o.Issuer)
	}
	keys := &keySet{url: meta.JWKSURL, client: o.HTTPClient, interval: o.KeyRefreshInterval, maxAge: o.KeyMaxAge, now: o.Test.Now}
	for _, alg := range o.SigningAlgorithms {
		keys.algs = append(keys.algs, jose.SignatureAlgorithm(alg))
	}
	verifier := oidc.NewVerifier(o.Issuer, keys, &oidc.Config{
		ClientID:             o.Audience,
		SupportedSigningAlgs: o.SigningAlgorithms,
		SkipExpiryCheck:      true, // checked in Authenticate, with the host's clock skew
	})
	return &OIDC{opts: o, verifier: verifier, keys: keys, algs: keys.algs,
		verified: newVerifiedTokens(o.VerifiedTokens, o.VerifiedTokensMax, o.Test.Now)}, nil
}

// Authenticate returns the actor of the request's bearer token, or an
// [*Error]: [ReasonMissing] without a token, [ReasonMalformedRequest] for
// two Authorization headers or an identity header,
// [ReasonInvalidToken] for a token that does not verify,
// [ReasonExpired], [ReasonNotYetValid], [ReasonIdentity] for claims
// the mapping refuses, and [ReasonUnavailable] (503) when the token names
// a key not held, or the keys held are older than KeyMaxAge, and the
// provider's keys cannot be fetched. The request's context bounds a fetch of the keys.
func (a *OIDC) Authenticate(r *http.Request) (coaching.Actor, error) {
	actor, err := a.authenticate(r)
	if err != nil {
		err.Scheme, err.Realm = "Bearer", a.opts.Realm
		return coaching.Actor{}, err
	}
	return actor, nil
}

// Remembered reports whether r's bearer token is one a recent
// Authenticate verified and remembers (OIDCOptions.VerifiedTokens), under
// a key still held: a digest and a map lookup, no verification, no fetch.
// It implements adapters/httpapi's RememberingAuthenticator, whose handler
// serves such a request from an address whose failed sign-ons are spent.
// Authenticate still decides (the token may have expired since).
func (a *OIDC) Remembered(r *http.Request) bool {
	raw, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return false
	}
	_, kid, ok := a.verified.get(tokenKey(raw))
	return ok && a.keys.holds(kid)
}

func (a *OIDC) authenticate(r *http.Request) (coaching.Actor, *Error) {
	if e := refusePresent(r, IdentityHeaders...); e != nil {
		return coaching.Actor{}, e
	}
	if e := refuseDuplicates(r, nil, "Authorization", HeaderPurpose); e != nil {
		return coaching.Actor{}, e
	}
	if e := refuseLongPurpose(r); e != nil {
		return coaching.Actor{}, e
	}
	raw, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return coaching.Actor{}, &Error{Reason: ReasonMissing, Description: "a bearer token is required"}
	}
	claims, e := a.verify(r, raw)
	if e != nil {
		return coaching.Actor{}, e
	}
	if e := a.checkTimes(claims); e != nil {
		return coaching.Actor{}, e
	}
	return a.actorOf(claims, r.Header.Get(HeaderPurpose))
}

// verify returns the claims of raw once its signature, issuer, audience
// and party have been verified, now or (remembered) within
// VerifiedTokens. The claims are the caller's to read, never to change:
// a remembered token's are shared by its requests.
func (a *OIDC) verify(r *http.Request, raw string) (map[string]any, *Error) {
	key := tokenKey(raw)
	if claims, kid, ok := a.verified.get(key); ok && a.keys.holds(kid) {
		return claims, nil
	}
	var fetchErr error
	var kid string
	ctx := context.WithValue(context.WithValue(r.Context(), fetchFailedKey{}, &fetchErr), verifiedByKey{}, &kid)
	tok, err := a.verifier.Verify(ctx, raw)
	if fetchErr != nil {
		return nil, &Error{Reason: ReasonUnavailable, Description: "the identity provider's signing keys cannot be fetched; try again later",
			RetryAfter: a.opts.KeyRefreshInterval, Err: fetchErr}
	}
	if err != nil {
		return nil, &Error{Reason: ReasonInvalidToken, Description: "the token could not be verified", Err: err}
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, &Error{Reason: ReasonInvalidToken, Description: "the token's claims could not be read", Err: err}
	}
	if e := a.checkParty(raw, claims); e != nil {
		return nil, e
	}
	until := a.keys.trustedUntil()
	if exp, ok := numericDate(claims["exp"]); ok && exp.Add(a.opts.ClockSkew).Before(until) {
		until = exp.Add(a.opts.ClockSkew)
	}
	if kid != "" {
		a.verified.put(key, claims, kid, until)
	}
	return claims, nil
}

// bearer returns the token of an "Authorization: Bearer <token>" value.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// checkParty checks the token's type and authorized party, when the host
// configured them. The token has verified: nothing here is reported for a
// forged one.
func (a *OIDC) checkParty(raw string, claims map[string]any) *Error {
	if want := a.opts.TokenType; want != "" {
		jws, err := jose.ParseSigned(raw, a.algs)
		if err != nil || len(jws.Signatures) != 1 {
			return &Error{Reason: ReasonInvalidToken, Description: "the token could not be verified", Err: err}
		}
		typ, _ := jws.Signatures[0].Header.ExtraHeaders[jose.HeaderType].(string)
		if !strings.EqualFold(mediaType(typ), mediaType(want)) {
			return &Error{Reason: ReasonInvalidToken, Description: "the token is not of the type this service accepts"}
		}
	}
	if len(a.opts.AuthorizedParties) > 0 {
		if v, present := claims["azp"]; present {
			azp, _ := v.(string)
			if !slices.Contains(a.opts.AuthorizedParties, azp) {
				return &Error{Reason: ReasonInvalidToken, Description: "the token was issued to a client this service does not accept"}
			}
		}
	}
	return nil
}

// mediaType drops the "application/" of a JOSE "typ" (RFC 7515 §4.1.9).
func mediaType(typ string) string {
	if len(typ) > len("application/") && strings.EqualFold(typ[:len("application/")], "application/") {
		return typ[len("application/"):]
	}
	return typ
}

func (a *OIDC) checkTimes(claims map[string]any) *Error {
	now, skew := a.opts.Test.Now(), a.opts.ClockSkew
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return &Error{Reason: ReasonInvalidToken, Description: "the token has no expiry"}
	}
	if !now.Before(exp.Add(skew)) {
		return &Error{Reason: ReasonExpired, Description: "the token has expired"}
	}
	for _, c := range []string{"nbf", "iat"} {
		v, present := claims[c]
		if !present {
			continue
		}
		t, ok := numericDate(v)
		if !ok {
			return &Error{Reason: ReasonInvalidToken, Description: "the token's " + c + " is not a date"}
		}
		if now.Add(skew).Before(t) {
			return &Error{Reason: ReasonNotYetValid, Description: "the token is not valid yet"}
		}
	}
	return nil
}

// numericDate reads a JWT NumericDate (seconds since the epoch).
func numericDate(v any) (time.Time, bool) {
	f, ok := v.(float64)
	if !ok || f <= 0 {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true
}

func (a *OIDC) actorOf(claims map[string]any, purpose string) (coaching.Actor, *Error) {
	actor, e := a.opts.mapping().actor(claims)
	if e != nil {
		return coaching.Actor{}, e
	}
	actor.Purpose = purpose
	return actor, nil
}

// mapping is the options' claims mapping (defaults already applied).
func (o OIDCOptions) mapping() ClaimsMapping {
	return ClaimsMapping{SubjectClaim: o.SubjectClaim, IDPrefix: o.IDPrefix, NameClaim: o.NameClaim, RolesClaim: o.RolesClaim,
		Roles: o.Roles, OrganisationClaim: o.OrganisationClaim, Organisation: o.Organisation}.withDefaults()
}
