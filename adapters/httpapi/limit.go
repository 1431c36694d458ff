package httpapi

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/valmennus/valmennus/coaching"
)

// Defaults of the limits in [Options].
const (
	// DefaultMaxConcurrent is the default cap on requests served at once.
	DefaultMaxConcurrent = 256
	// DefaultRatePerSecond and DefaultRateBurst are the default token
	// bucket of each signed-in actor: 20 requests a second on average,
	// 40 at once (a page that loads a case, its events, flags and HOKS
	// several times over).
	DefaultRatePerSecond = 20
	DefaultRateBurst     = 40
	// DefaultSignOnFailuresPerSecond and DefaultSignOnFailureBurst are the
	// default bucket of failed sign-ons per client address: 10 at once,
	// then one a second.
	DefaultSignOnFailuresPerSecond = 1
	DefaultSignOnFailureBurst      = 10
	// DefaultRetryAfter is the default Retry-After of a 503 for a store
	// that cannot be reached.
	DefaultRetryAfter = 5 * time.Second
)

// maxTracked bounds the buckets a limiter keeps (one per actor or client
// address): see buckets.sweep.
const maxTracked = 100_000

// buckets keeps one token bucket (golang.org/x/time/rate) per key. Its
// memory is bounded: a bucket that has refilled is dropped (a new one
// would be the same), and past maxTracked keys arbitrary ones are
// dropped too (they start again with a full bucket: more lenient, never
// stricter). It is safe for concurrent use.
type buckets struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	m       map[string]*rate.Limiter
	sweepAt int
	// pending counts, per key, the tokens taken by begin and not yet
	// settled by end: sign-ons whose credentials are being verified.
	pending map[string]int
}

// newBuckets returns the buckets for perSecond and burst as the options
// give them: nil (no limit) for a negative rate, the defaults for zero.
func newBuckets(perSecond float64, burst int, defRate float64, defBurst int) *buckets {
	if perSecond < 0 || burst < 0 {
		return nil
	}
	if perSecond == 0 {
		perSecond = defRate
	}
	if burst == 0 {
		burst = defBurst
	}
	return &buckets{limit: rate.Limit(perSecond), burst: burst, m: map[string]*rate.Limiter{}, sweepAt: 1024,
		pending: map[string]int{}}
}

// get returns key's bucket, creating it (full) when there is none.
// b.mu is held.
func (b *buckets) get(key string, now time.Time) *rate.Limiter {
	lim := b.m[key]
	if lim == nil {
		if len(b.m) >= b.sweepAt {
			b.sweep(now)
		}
		lim = rate.NewLimiter(b.limit, b.burst)
		b.m[key] = lim
	}
	return lim
}

// sweep drops the buckets that are full again (idle long enough to
// refill), and if more than maxTracked remain, any of them down to half
// that. It runs when the map has doubled since the last sweep, so its
// cost is spread over the insertions. b.mu is held.
func (b *buckets) sweep(now time.Time) {
	for k, lim := range b.m {
		if lim.TokensAt(now) >= float64(b.burst) {
			delete(b.m, k)
		}
	}
	if len(b.m) > maxTracked {
		for k := range b.m {
			if len(b.m) <= maxTracked/2 {
				break
			}
			delete(b.m, k)
		}
	}
	b.sweepAt = max(2*len(b.m), 1024)
}

// allow spends a token of key's bucket; when there is none it returns
// false and how long until there is.
func (b *buckets) allow(key string) (bool, time.Duration) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	lim := b.get(key, now)
	if lim.AllowN(now, 1) {
		return true, 0
	}
	return false, b.wait(lim, now)
}

// begin takes a token of key's bucket for an outcome not yet known (a
// sign-on whose credentials are about to be verified): it counts against
// the bucket until end settles it, so that requests verified at once can
// never together exceed the tokens left. When no token is left (spent, or
// taken by sign-ons still being verified) it returns false and how long
// until one is.
func (b *buckets) begin(key string) (bool, time.Duration) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	lim := b.get(key, now)
	if lim.TokensAt(now)-float64(b.pending[key]) < 1 {
		return false, b.waitFor(lim, now, 1+float64(b.pending[key]))
	}
	b.pending[key]++
	return true, 0
}

// end settles a token begin took: spent when spend (a failed sign-on),
// given back otherwise.
func (b *buckets) end(key string, spend bool) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending[key]--; b.pending[key] <= 0 {
		delete(b.pending, key)
	}
	if spend {
		b.get(key, now).AllowN(now, 1)
	}
}

// spend spends a token of key's bucket if one is left.
func (b *buckets) spend(key string) {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.get(key, now).AllowN(now, 1)
}

// wait is how long until lim has a whole token again.
func (b *buckets) wait(lim *rate.Limiter, now time.Time) time.Duration {
	return b.waitFor(lim, now, 1)
}

// waitFor is how long until lim has tokens tokens.
func (b *buckets) waitFor(lim *rate.Limiter, now time.Time, tokens float64) time.Duration {
	need := tokens - lim.TokensAt(now)
	if need <= 0 || b.limit <= 0 {
		return time.Second
	}
	return time.Duration(need / float64(b.limit) * float64(time.Second))
}

// retryAfterSeconds is a Retry-After value: whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := math.Ceil(d.Seconds())
	if s < 1 {
		return 1
	}
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(s)
}

// actorKey keys the per-actor bucket: the same id in two organisations is
// two actors.
func actorKey(a coaching.Actor) string {
	return string(a.Organisation) + "\x00" + a.ID
}

// signOnKey keys the failed sign-ons of a client address: an IPv4
// address as it is (an IPv4-mapped IPv6 one as its IPv4 address), an IPv6
// address by its /64 (one subscriber's or host's network: a client that
// holds one has 2^64 addresses to rotate through), and anything else
// ([Options].ClientIP may return what it likes) as it is.
func signOnKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

// remoteIP is the default Options.ClientIP: the address of the connection's
// peer, without its port.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rateLimitedError is a request refused by a token bucket (429).
type rateLimitedError struct {
	signOn bool
	wait   time.Duration
}

func (e *rateLimitedError) Error() string {
	if e.signOn {
		return "too many failed sign-ons from this address; try again later"
	}
	return "too many requests; try again later"
}

// overloaded answers a request the concurrency cap turned away: 503, with
// Retry-After of one second (a cap is full for as long as the slowest
// request in it, not for a window).
func (h *Handler) overloaded(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, "application/problem+json", problem{Type: problemBase + "overloaded",
		Title: "Overloaded", Status: http.StatusServiceUnavailable,
		Detail:   "the server is serving as many requests as it takes at once; try again shortly",
		Instance: instanceOf(r), RequestID: RequestID(r.Context())})
}

// limits sets up the handler's limits and readiness checks from opts.
func (h *Handler) limits(opts *Options) error {
	h.retryAfter = opts.RetryAfter
	if h.retryAfter <= 0 {
		h.retryAfter = DefaultRetryAfter
	}
	switch n := opts.MaxConcurrent; {
	case n == 0:
		h.slots = make(chan struct{}, DefaultMaxConcurrent)
	case n > 0:
		h.slots = make(chan struct{}, n)
	}
	if opts.RatePerSecond >= 0 {
		h.actorRate = newBuckets(opts.RatePerSecond, max(opts.RateBurst, 0), DefaultRatePerSecond, DefaultRateBurst)
	}
	if opts.SignOnFailuresPerSecond >= 0 {
		h.signOnRate = newBuckets(opts.SignOnFailuresPerSecond, max(opts.SignOnFailureBurst, 0),
			DefaultSignOnFailuresPerSecond, DefaultSignOnFailureBurst)
	}
	h.clientIP = opts.ClientIP
	if h.clientIP == nil {
		h.clientIP = remoteIP
	}
	if err := checkNames(opts.Ready); err != nil {
		return err
	}
	h.checks = append([]Check(nil), opts.Ready...)
	h.readyTimeout = opts.ReadyTimeout
	if h.readyTimeout <= 0 {
		h.readyTimeout = DefaultReadyTimeout
	}
	return nil
}
