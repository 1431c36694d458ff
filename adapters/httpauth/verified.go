package httpauth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// verifiedTokens remembers the claims of tokens that verified, by a
// digest of the token (never the token itself), each until a given time.
// It is bounded: when full, the expired entries go first, then arbitrary
// ones (a forgotten token is only verified again).
type verifiedTokens struct {
	ttl time.Duration // 0: remember nothing
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[[sha256.Size]byte]verifiedToken
}

type verifiedToken struct {
	claims map[string]any
	kid    string // the key that verified it
	until  time.Time
}

func newVerifiedTokens(ttl time.Duration, max int, now func() time.Time) *verifiedTokens {
	return &verifiedTokens{ttl: ttl, max: max, now: now, entries: map[[sha256.Size]byte]verifiedToken{}}
}

func tokenKey(raw string) [sha256.Size]byte { return sha256.Sum256([]byte(raw)) }

// get returns the claims remembered under key and the id of the key that
// verified them.
func (v *verifiedTokens) get(key [sha256.Size]byte) (map[string]any, string, bool) {
	if v.ttl == 0 {
		return nil, "", false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.entries[key]
	if !ok {
		return nil, "", false
	}
	if !v.now().Before(e.until) {
		delete(v.entries, key)
		return nil, "", false
	}
	return e.claims, e.kid, true
}

// put remembers claims until the earlier of until and now + ttl.
func (v *verifiedTokens) put(key [sha256.Size]byte, claims map[string]any, kid string, until time.Time) {
	if v.ttl == 0 {
		return
	}
	now := v.now()
	if limit := now.Add(v.ttl); limit.Before(until) {
		until = limit
	}
	if !now.Before(until) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.entries) >= v.max {
		for k, e := range v.entries {
			if !now.Before(e.until) {
				delete(v.entries, k)
			}
		}
		// Still full: make room for a tenth, so that a flood of new
		// tokens does not sweep the map on every request.
		for k := range v.entries {
			if len(v.entries) < v.max-v.max/10 {
				break
			}
			delete(v.entries, k)
		}
	}
	v.entries[key] = verifiedToken{claims: claims, kid: kid, until: until}
}
