package httpapi

// Regression tests of the failed-sign-on limit (review of issue 16): it
// holds under concurrency, keys IPv6 clients by their /64, and does not
// lock out the users of an address whose sign-on is established.

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// Concurrent bad sign-ons from one address cannot have more credentials
// verified than the bucket has tokens: a token is taken before verifying,
// not spent after.
func TestSignOnLimitHoldsUnderConcurrency(t *testing.T) {
	const n = 20
	var checked atomic.Int32
	arrived := make(chan struct{}, n)
	release := make(chan struct{})
	auth := AuthenticatorFunc(func(r *http.Request) (coaching.Actor, error) {
		checked.Add(1) // a credential guess the server evaluated
		arrived <- struct{}{}
		<-release // a verification that takes a while (RSA, a JWKS fetch)
		return coaching.Actor{}, ErrUnauthenticated
	})
	_, h := newAPI(t, memory.New(), nil, &Options{Authenticator: auth, SignOnFailuresPerSecond: 1e-6, SignOnFailureBurst: 1})
	var (
		wg       sync.WaitGroup
		statuses sync.Map
	)
	for i := range n {
		wg.Go(func() { statuses.Store(i, serveFrom(h, "203.0.113.9:4000", "GET", "/cases/x").status) })
	}
	select { // the one admitted arrives; the others are refused unverified
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("no sign-on was verified")
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		refused := 0
		statuses.Range(func(_, st any) bool {
			if st == http.StatusTooManyRequests {
				refused++
			}
			return true
		})
		if refused == n-1 || time.Now().After(deadline) {
			assert.Equal(t, n-1, refused, "all but the one being verified are 429")
			break
		}
	}
	close(release)
	wg.Wait()
	assert.Equal(t, 1, int(checked.Load()), "a bucket of one failed sign-on let %d concurrent guesses be checked", checked.Load())
}

// A sign-on that succeeds gives its token back: an address's valid users
// are never limited, however many of them sign on.
func TestSignOnLimitIsNotSpentBySuccesses(t *testing.T) {
	_, h := newAPI(t, memory.New(), nil, &Options{SignOnFailuresPerSecond: 1e-6, SignOnFailureBurst: 1})
	for range 5 {
		r := serveFrom(h, "198.51.100.7:1", "GET", "/cases/x", coachHeaders...)
		requireProblem(t, r, http.StatusNotFound)
	}
	requireProblem(t, serveFrom(h, "198.51.100.7:2", "GET", "/cases/x"), http.StatusUnauthorized)
	requireProblem(t, serveFrom(h, "198.51.100.7:2", "GET", "/cases/x"), http.StatusTooManyRequests)
}

// One client's failures do not lock out the valid users of its address (a
// school's NAT): development identities cost nothing to verify, so
// acceptable ones are served; unacceptable ones are still 429.
func TestSignOnLimitServesEstablishedSignOnsOfALimitedAddress(t *testing.T) {
	_, h := newAPI(t, memory.New(), nil, &Options{SignOnFailuresPerSecond: 1e-6, SignOnFailureBurst: 3})
	for range 3 { // a student on the school network, no credentials
		requireProblem(t, serveFrom(h, "198.51.100.7:1", "GET", "/cases/x"), http.StatusUnauthorized)
	}
	r := serveFrom(h, "198.51.100.7:2", "GET", "/cases/x", coachHeaders...) // a coach, valid sign-on
	requireProblem(t, r, http.StatusNotFound)
	requireProblem(t, serveFrom(h, "198.51.100.7:1", "GET", "/cases/x"), http.StatusTooManyRequests)
}

// Over OIDC: a token the authenticator verified and remembers is served
// from an address whose failed sign-ons are spent; a token it has not
// verified (valid or not) is refused 429 there without being verified,
// and is served from another address.
func TestSignOnLimitServesRememberedTokensOverOIDC(t *testing.T) {
	k := newOIDCKit(t)
	_, h := newAPI(t, memory.New(), nil, &Options{Authenticator: k.auth, SignOnFailuresPerSecond: 1e-6, SignOnFailureBurst: 2})
	const school = "198.51.100.7:1"
	known := k.bearer("coach-1", "school-1", "valmentaja")["Authorization"]
	requireProblem(t, serveFrom(h, school, "GET", "/cases/x", "Authorization", known), http.StatusNotFound)
	for range 2 {
		requireProblem(t, serveFrom(h, school, "GET", "/cases/x", "Authorization", "Bearer forged"), http.StatusUnauthorized)
	}
	requireProblem(t, serveFrom(h, school, "GET", "/cases/x", "Authorization", "Bearer forged"), http.StatusTooManyRequests)
	requireProblem(t, serveFrom(h, school, "GET", "/cases/x", "Authorization", known), http.StatusNotFound)
	fresh := k.bearer("coach-2", "school-1", "valmentaja")["Authorization"]
	requireProblem(t, serveFrom(h, school, "GET", "/cases/x", "Authorization", fresh), http.StatusTooManyRequests)
	requireProblem(t, serveFrom(h, "192.0.2.1:1", "GET", "/cases/x", "Authorization", fresh), http.StatusNotFound)
}

// IPv6 clients are counted by their /64 (a client holds 2^64 addresses to
// rotate through); IPv4-mapped IPv6 addresses as their IPv4 address.
func TestSignOnLimitKeysIPv6ByPrefix(t *testing.T) {
	_, h := newAPI(t, memory.New(), nil, &Options{SignOnFailuresPerSecond: 1e-6, SignOnFailureBurst: 2})
	requireProblem(t, serveFrom(h, "[2001:db8:1:2::1]:443", "GET", "/cases/x"), http.StatusUnauthorized)
	requireProblem(t, serveFrom(h, "[2001:db8:1:2:ffff::9]:443", "GET", "/cases/x"), http.StatusUnauthorized)
	requireProblem(t, serveFrom(h, "[2001:db8:1:2:abcd::7]:443", "GET", "/cases/x"), http.StatusTooManyRequests)
	requireProblem(t, serveFrom(h, "[2001:db8:1:3::1]:443", "GET", "/cases/x"), http.StatusUnauthorized) // another /64

	requireProblem(t, serveFrom(h, "192.0.2.44:1", "GET", "/cases/x"), http.StatusUnauthorized)
	requireProblem(t, serveFrom(h, "[::ffff:192.0.2.44]:1", "GET", "/cases/x"), http.StatusUnauthorized)
	requireProblem(t, serveFrom(h, "192.0.2.44:2", "GET", "/cases/x"), http.StatusTooManyRequests)
	requireProblem(t, serveFrom(h, "192.0.2.45:2", "GET", "/cases/x"), http.StatusUnauthorized) // IPv4: each address
}

func TestSignOnKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":              "192.0.2.1",
		"::ffff:192.0.2.1":       "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":   "2001:db8:1:2::/64",
		"fe80::1%eth0":           "fe80::/64",
		"not an address":         "not an address",
		"2001:db8:1:2::1/64-ish": "2001:db8:1:2::1/64-ish",
	} {
		assert.Equal(t, want, signOnKey(in), in)
	}
}
