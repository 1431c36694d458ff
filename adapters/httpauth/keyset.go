package httpauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// keySet holds the provider's published signing keys for go-oidc's
// verifier (it implements oidc.KeySet). go-oidc's own RemoteKeySet
// fetches the keys again whenever a token fails to verify against the
// cached ones — a bad signature as well as an unknown kid — so every
// forged token would cost a request to the provider and wait for it. This
// one fetches again only for a kid it does not hold, and at most once per
// refresh interval; a token naming a key it holds is verified against that
// key alone. The keys held are trusted for at most maxAge after the fetch
// that brought them: after it, a token naming a held kid makes the set be
// fetched again first (still at most once per interval), so that a key the
// provider stopped publishing — retired, or withdrawn as compromised —
// stops verifying tokens within maxAge even when no token names a new kid.
// A key set answered with a shorter Cache-Control max-age (or no-cache,
// no-store) is trusted that long instead, but never less than the
// interval.
// The signature itself is verified by go-jose.
type keySet struct {
	url      string
	client   *http.Client
	algs     []jose.SignatureAlgorithm
	interval time.Duration
	maxAge   time.Duration // how long fetched keys are trusted without a fetch
	now      func() time.Time

	mu          sync.RWMutex
	keys        []jose.JSONWebKey
	fetched     time.Time     // the last fetch, failed or not; zero before the first
	keysFetched time.Time     // the last successful fetch, which brought keys
	keysMaxAge  time.Duration // how long those keys are trusted
	fetchErr    error         // the last fetch's error, nil when it succeeded

	fetchMu sync.Mutex // one fetch at a time
}

// maxJWKS bounds the size of the provider's key set document.
const maxJWKS = 1 << 20

// errKeysUnavailable: the provider's keys could not be fetched.
var errKeysUnavailable = errors.New("the provider's signing keys are unavailable")

// verifiedByKey is the context key under which Authenticate passes the
// key set a *string to learn the id of the key that verified a token.
type verifiedByKey struct{}

// fetchFailedKey is the context key under which Authenticate passes the
// key set a *error to report a failed fetch through.
type fetchFailedKey struct{}

// errKeyNotFound: no published key has the token's kid.
var errKeyNotFound = errors.New("no published signing key has the token's key id")

// VerifySignature verifies jwt's signature against the provider's key
// named by its kid and returns the payload.
func (s *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSigned(jwt, s.algs)
	if err != nil {
		return nil, fmt.Errorf("malformed token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("the token must have exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, held, stale := s.lookup(kid)
	if !held || stale {
		if err := s.refresh(ctx); err != nil {
			if p, ok := ctx.Value(fetchFailedKey{}).(*error); ok {
				*p = err // go-oidc does not wrap the KeySet's error: tell Authenticate here
			}
			return nil, err
		}
		if keys, held, _ = s.lookup(kid); !held {
			return nil, errKeyNotFound
		}
	}
	for i := range keys {
		if payload, err := jws.Verify(&keys[i]); err == nil {
			if p, ok := ctx.Value(verifiedByKey{}).(*string); ok {
				*p = keys[i].KeyID // the key that verified, as go-jose read the header
			}
			return payload, nil
		}
	}
	return nil, errors.New("the token's signature does not verify")
}

// lookup returns the keys with kid (every key when kid is empty), whether
// there are any, and whether the keys held are older than maxAge (then
// they must be fetched again before they are trusted).
func (s *keySet) lookup(kid string) (keys []jose.JSONWebKey, held, stale bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	stale = s.keysFetched.IsZero() || s.now().Sub(s.keysFetched) >= s.keysMaxAge
	if kid == "" {
		return s.keys, len(s.keys) > 0, stale
	}
	for _, k := range s.keys {
		if k.KeyID == kid {
			return []jose.JSONWebKey{k}, true, stale
		}
	}
	return nil, false, stale
}

// refresh fetches the key set again unless it was fetched within the
// interval.
func (s *keySet) refresh(ctx context.Context) error {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	s.mu.RLock()
	fetched, lastErr := s.fetched, s.fetchErr
	s.mu.RUnlock()
	if !fetched.IsZero() && s.now().Sub(fetched) < s.interval {
		return lastErr // fetched recently (possibly by the caller queued before us)
	}
	// Not cancelled with the request that asked: a client hanging up must
	// not count as the provider failing for everyone else.
	keys, age, err := s.fetch(context.WithoutCancel(ctx))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetched = s.now() // a failed fetch waits the interval too
	if err != nil {
		s.fetchErr = fmt.Errorf("%w: %w", errKeysUnavailable, err)
		return s.fetchErr
	}
	s.keys, s.keysFetched, s.keysMaxAge, s.fetchErr = keys, s.fetched, age, nil
	return nil
}

// fetch returns the published signing keys and how long to trust them.
func (s *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := s.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("fetching the provider's keys: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("fetching the provider's keys: %s", res.Status)
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxJWKS)).Decode(&doc); err != nil {
		return nil, 0, fmt.Errorf("reading the provider's keys: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue // a key type go-jose does not support, as go-oidc skips it
		}
		if k.Use == "enc" || !k.IsPublic() || !k.Valid() {
			continue // only public signing keys verify tokens
		}
		keys = append(keys, k)
	}
	return keys, s.trustFor(res.Header.Get("Cache-Control")), nil
}

// trustFor is how long keys answered with this Cache-Control are trusted:
// maxAge, or the header's shorter max-age (zero for no-cache or no-store),
// never less than the refresh interval.
func (s *keySet) trustFor(cacheControl string) time.Duration {
	age := s.maxAge
	for _, d := range strings.Split(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-cache", "no-store":
			age = 0
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64); err == nil && n >= 0 && time.Duration(n) < age/time.Second {
				age = time.Duration(n) * time.Second
			}
		}
	}
	return max(age, s.interval)
}

// trustedUntil is when the keys held stop being trusted without a fetch:
// what was verified with them is not to be honoured longer.
func (k *keySet) trustedUntil() time.Time {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keysFetched.Add(k.keysMaxAge)
}

// holds tells whether the keys held include one named kid: a remembered
// token is honoured only while the key that verified it is held.
func (k *keySet) holds(kid string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, key := range k.keys {
		if key.KeyID == kid {
			return true
		}
	}
	return false
}
