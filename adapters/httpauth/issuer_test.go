package httpauth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"

	jose "github.com/go-jose/go-jose/v4"
)

// testIssuer is a real in-process OpenID provider: discovery and JWKS
// over HTTP, RSA signing keys that can be rotated while it runs.
type testIssuer struct {
	srv *httptest.Server

	mu        sync.Mutex
	keys      []*signingKey // published; keys[0] signs
	cacheCtl  string        // the JWKS answer's Cache-Control, if any
	jwksFetch atomic.Int64  // how many times the JWKS was fetched
}

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

func newTestIssuer() *testIssuer {
	iss := &testIssuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss.URL(),
			"authorization_endpoint":                iss.URL() + "/authorize",
			"token_endpoint":                        iss.URL() + "/token",
			"jwks_uri":                              iss.URL() + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		iss.jwksFetch.Add(1)
		iss.mu.Lock()
		var set jose.JSONWebKeySet
		for _, k := range iss.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"})
		}
		cc := iss.cacheCtl
		iss.mu.Unlock()
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	})
	iss.srv = httptest.NewServer(mux)
	iss.rotate("key-1")
	return iss
}

func (i *testIssuer) URL() string { return i.srv.URL }
func (i *testIssuer) Close()      { i.srv.Close() }

func newKey(kid string) *signingKey {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return &signingKey{kid: kid, priv: priv}
}

// rotate publishes a new key and signs with it from now on; the old keys
// stay published.
func (i *testIssuer) rotate(kid string) *signingKey {
	k := newKey(kid)
	i.mu.Lock()
	i.keys = append([]*signingKey{k}, i.keys...)
	i.mu.Unlock()
	return k
}

// retire stops publishing every key but the current one.
func (i *testIssuer) retire() {
	i.mu.Lock()
	i.keys = i.keys[:1]
	i.mu.Unlock()
}

func (i *testIssuer) current() *signingKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[0]
}

// sign signs claims with k (RS256, kid in the header, typ JWT).
func sign(k *signingKey, claims map[string]any) string { return signTyped(k, "JWT", claims) }

// signTyped signs claims with k and typ in the header.
func signTyped(k *signingKey, typ jose.ContentType, claims map[string]any) string {
	opts := (&jose.SignerOptions{}).WithType(typ).WithHeader("kid", k.kid)
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

// unsigned is the claims as a JWT with "alg": "none" and no signature.
func unsigned(claims map[string]any) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]any{"alg": "none", "typ": "JWT"})
	p, _ := json.Marshal(claims)
	return enc.EncodeToString(h) + "." + enc.EncodeToString(p) + "."
}

// tamper changes one character of the signature part.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 5
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}
