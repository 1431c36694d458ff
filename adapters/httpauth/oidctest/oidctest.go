// Package oidctest is a real OpenID Connect provider in the test's process,
// for hosts and for valmennus's own tests: discovery and a JSON Web Key Set
// over HTTP (an [httptest.Server]), RS256 signing keys that can be rotated
// and retired while it runs, tokens signed with whatever claims a test
// names, and the malformed tokens an authenticator must refuse (unsigned,
// tampered, signed by a key the provider never published).
//
// A host tests its wiring of [httpauth.OIDC] against it:
//
//	idp, err := oidctest.Start(nil)
//	...
//	defer idp.Close()
//	auth, err := httpauth.NewOIDC(ctx, &httpauth.OIDCOptions{Issuer: idp.URL(), ...})
//	req.Header.Set("Authorization", "Bearer "+idp.Token(idp.Claims("staff-1", "valmennus", time.Hour)))
//
// It is a test kit: nothing here is fit to issue real credentials.
//
// For a sign-in in a browser it serves the authorization-code flow with
// PKCE as well ([Provider.AddClient], [Provider.AddUser]): GET /authorize
// and POST /token, with knobs for the refusals a relying party must
// handle ([Provider.SetCodeTTL], [Provider.SetIDTokenEdit]).
//
// [httpauth.OIDC]: https://pkg.go.dev/github.com/valmennus/valmennus/adapters/httpauth#OIDC
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Options configure a [Provider]; the zero value is usable.
type Options struct {
	// KeyID is the id of the first signing key; default "key-1".
	KeyID string
	// KeyBits is the size of the RSA keys; default 2048 (smaller keys are
	// refused by current verifiers).
	KeyBits int
}

// Provider is the in-process OpenID provider. Its methods are safe for
// concurrent use.
type Provider struct {
	srv  *httptest.Server
	bits int

	mu          sync.Mutex
	keys        []*Key // published; keys[0] signs
	cacheCtl    string
	unavailable bool

	jwksFetches atomic.Int64

	flow *codeFlow // the authorization-code flow's clients, users and codes (authcode.go)
}

// Key is a signing key of the provider (or one it never published).
type Key struct {
	ID   string
	priv *rsa.PrivateKey
}

// Start starts a provider on a loopback port with one signing key.
func Start(opts *Options) (*Provider, error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.KeyID == "" {
		o.KeyID = "key-1"
	}
	if o.KeyBits == 0 {
		o.KeyBits = 2048
	}
	if o.KeyBits < 2048 {
		return nil, fmt.Errorf("oidctest: KeyBits %d is below 2048, which verifiers refuse", o.KeyBits)
	}
	p := &Provider{bits: o.KeyBits, flow: newCodeFlow()}
	k, err := p.NewKey(o.KeyID)
	if err != nil {
		return nil, err
	}
	p.keys = []*Key{k}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	// Assigned before the server runs: its handlers read p.srv.
	p.srv = httptest.NewUnstartedServer(mux)
	p.srv.Start()
	return p, nil
}

// URL is the provider's issuer URL (what OIDCOptions.Issuer names).
func (p *Provider) URL() string { return p.srv.URL }

// Close shuts the provider down.
func (p *Provider) Close() { p.srv.Close() }

// JWKSFetches is how many times the key set has been fetched.
func (p *Provider) JWKSFetches() int64 { return p.jwksFetches.Load() }

// SetCacheControl sets the Cache-Control header of the key set's answer
// ("" for none).
func (p *Provider) SetCacheControl(v string) {
	p.mu.Lock()
	p.cacheCtl = v
	p.mu.Unlock()
}

// SetUnavailable makes the key set answer 503 (true) or serve again
// (false): an identity provider that is down.
func (p *Provider) SetUnavailable(down bool) {
	p.mu.Lock()
	p.unavailable = down
	p.mu.Unlock()
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                p.URL(),
		"authorization_endpoint":                p.URL() + "/authorize",
		"token_endpoint":                        p.URL() + "/token",
		"jwks_uri":                              p.URL() + "/jwks",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code"},
		"subject_types_supported":               []string{"public"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"none", "client_secret_basic"},
		"scopes_supported":                      []string{"openid"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	p.jwksFetches.Add(1)
	p.mu.Lock()
	down, cc := p.unavailable, p.cacheCtl
	var set jose.JSONWebKeySet
	for _, k := range p.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.ID, Algorithm: "RS256", Use: "sig"})
	}
	p.mu.Unlock()
	if down {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if cc != "" {
		w.Header().Set("Cache-Control", cc)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// NewKey returns a new RSA key named kid that the provider does not
// publish (sign with it for a token of an unknown key, or publish it with
// [Provider.Publish]).
func (p *Provider) NewKey(kid string) (*Key, error) {
	if kid == "" {
		return nil, errors.New("oidctest: a key needs an id")
	}
	priv, err := rsa.GenerateKey(rand.Reader, p.bits)
	if err != nil {
		return nil, err
	}
	return &Key{ID: kid, priv: priv}, nil
}

// Publish adds k to the key set and signs with it from now on; the keys
// published before stay published.
func (p *Provider) Publish(k *Key) {
	p.mu.Lock()
	p.keys = append([]*Key{k}, p.keys...)
	p.mu.Unlock()
}

// Rotate publishes a new key named kid and signs with it from now on; the
// old keys stay published until [Provider.Retire].
func (p *Provider) Rotate(kid string) (*Key, error) {
	k, err := p.NewKey(kid)
	if err != nil {
		return nil, err
	}
	p.Publish(k)
	return k, nil
}

// Retire stops publishing every key but the current one.
func (p *Provider) Retire() {
	p.mu.Lock()
	p.keys = p.keys[:1]
	p.mu.Unlock()
}

// Current is the key the provider signs with.
func (p *Provider) Current() *Key {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[0]
}

// Claims returns the usual claims of an access token for subject and
// audience: iss (the provider), sub, aud, iat and nbf (now) and exp (now +
// ttl). Add the role and organisation claims the host maps.
func (p *Provider) Claims(subject, audience string, ttl time.Duration) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": p.URL(), "sub": subject, "aud": audience,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(ttl).Unix(),
	}
}

// Token signs claims with the current key (RS256, kid in the header, typ
// JWT).
func (p *Provider) Token(claims map[string]any) string { return p.Current().Sign("JWT", claims) }

// Sign signs claims with k, with typ in the header (e.g. "JWT", "at+jwt").
// It panics only when the claims cannot be marshalled or the key cannot
// sign, which is a mistake in the test.
func (k *Key) Sign(typ string, claims map[string]any) string {
	return k.SignWithHeaders(typ, nil, claims)
}

// SignWithHeaders is Sign with extra members in the token's protected
// header (e.g. a second key id spelt "KID", which a verifier must not be
// confused by).
func (k *Key) SignWithHeaders(typ string, extra map[string]any, claims map[string]any) string {
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", k.ID)
	for name, v := range extra {
		opts = opts.WithHeader(jose.HeaderKey(name), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.priv}, opts)
	if err != nil {
		panic(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return tok
}

// Unsigned returns claims as a JWT with "alg": "none" and no signature.
func Unsigned(claims map[string]any) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "."
}

// Tamper changes one character inside tok's signature, so that the
// signature no longer verifies.
func Tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 5
	if i >= len(tok) {
		return tok + "A"
	}
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// WithID returns k's private key under another id: a token that names a
// key id the provider does not publish, or one it publishes for another
// key, without the cost of generating a key.
func (k *Key) WithID(kid string) *Key { return &Key{ID: kid, priv: k.priv} }
