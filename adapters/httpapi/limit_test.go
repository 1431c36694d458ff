package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// serveFrom is serve from a client address of its own.
func serveFrom(h http.Handler, addr, method, path string, headers ...string) response {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = addr
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// documented validates an answer against the OpenAPI document, as the
// end-to-end tests do every answer.
func documented(t *testing.T, method, path, body string, r response) {
	t.Helper()
	req, err := http.NewRequest(method, "http://127.0.0.1:1"+path, nil)
	require.NoError(t, err)
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	validateExchange(t, req, b, r)
}

// requireRetryAfter checks a refusal's problem body and its Retry-After:
// a whole number of seconds, at least one.
func requireRetryAfter(t *testing.T, r response, status int, problemType string) {
	t.Helper()
	p := requireProblem(t, r, status)
	assert.Equal(t, problemBase+problemType, p["type"])
	assert.NotEmpty(t, p["request_id"])
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q is whole seconds", r.header.Get("Retry-After"))
	assert.GreaterOrEqual(t, secs, 1)
}

// Each actor has a bucket of its own: a burst past it is a 429 with
// Retry-After, while the same id in another organisation, and another
// actor, are served. (The rate is so slow that no token comes back while
// the test runs.)
func TestActorRateLimit(t *testing.T) {
	_, h := newAPI(t, memory.New(), nil, &Options{RatePerSecond: 1e-6, RateBurst: 3})
	for range 3 {
		r := serve(h, "GET", "/cases/nope", "", coachHeaders...)
		requireProblem(t, r, http.StatusNotFound)
	}
	r := serve(h, "GET", "/cases/nope", "", coachHeaders...)
	requireRetryAfter(t, r, http.StatusTooManyRequests, "rate-limited")
	documented(t, "GET", "/cases/nope", "", r)

	otherSchool := []string{httpauth.HeaderActorID, "coach-1", httpauth.HeaderActorRoles, "coach", httpauth.HeaderOrganisation, "school-2"}
	requireProblem(t, serve(h, "GET", "/cases/nope", "", otherSchool...), http.StatusNotFound)
	teacher := []string{httpauth.HeaderActorID, "teacher-1", httpauth.HeaderActorRoles, "teacher", httpauth.HeaderOrganisation, "school-1"}
	requireProblem(t, serve(h, "GET", "/cases/nope", "", teacher...), http.StatusNotFound)
	// The public routes take no actor's token.
	assert.Equal(t, http.StatusOK, serve(h, "GET", "/healthz", "").status)
	assert.Equal(t, http.StatusOK, serve(h, "GET", "/readyz", "").status)
}

// Refused sign-ons spend the client address's bucket; once it is empty,
// a request from that address is a 429 without its credentials being
// checked (valid ones included, unless the Authenticator remembers them:
// a guess would not be told it was right), while another address signs
// on as usual.
func TestFailedSignOnsAreLimitedByAddress(t *testing.T) {
	// An Authenticator that remembers nothing (not a RememberingAuthenticator).
	auth := AuthenticatorFunc(httpauth.NewDevIdentities(nil).Authenticate)
	_, h := newAPI(t, memory.New(), nil, &Options{Authenticator: auth, SignOnFailuresPerSecond: 1e-6, SignOnFailureBurst: 2})
	const guesser, other = "203.0.113.9:4000", "198.51.100.7:5000"
	requireProblem(t, serveFrom(h, guesser, "GET", "/cases/nope"), http.StatusUnauthorized)
	requireProblem(t, serveFrom(h, guesser, "GET", "/cases/nope", append(coachHeaders, httpauth.HeaderActorID, "x")...), http.StatusBadRequest)
	// A good sign-on spends nothing, and the bucket is now empty.
	r := serveFrom(h, guesser, "GET", "/cases/nope", coachHeaders...)
	requireRetryAfter(t, r, http.StatusTooManyRequests, "rate-limited")
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))

	requireProblem(t, serveFrom(h, other, "GET", "/cases/nope", coachHeaders...), http.StatusNotFound)
	requireProblem(t, serveFrom(h, other, "GET", "/cases/nope"), http.StatusUnauthorized)
}

// A ClientIP option decides whose bucket a failure spends (behind a
// proxy, the header the proxy sets).
func TestClientIPOption(t *testing.T) {
	_, h := newAPI(t, memory.New(), nil, &Options{SignOnFailuresPerSecond: 1e-6, SignOnFailureBurst: 1,
		ClientIP: func(r *http.Request) string { return r.Header.Get("X-Test-Client") }})
	requireProblem(t, serveFrom(h, "10.0.0.1:1", "GET", "/cases/nope", "X-Test-Client", "a"), http.StatusUnauthorized)
	requireRetryAfter(t, serveFrom(h, "10.0.0.1:1", "GET", "/cases/nope", "X-Test-Client", "a"), http.StatusTooManyRequests, "rate-limited")
	requireProblem(t, serveFrom(h, "10.0.0.1:1", "GET", "/cases/nope", "X-Test-Client", "b"), http.StatusUnauthorized)
}

// blockingStore holds every View until release is closed, and says on
// entered when one starts to wait.
type blockingStore struct {
	coaching.Store
	entered chan struct{}
	release chan struct{}
}

func (s *blockingStore) View(ctx context.Context, fn func(tx coaching.ReadTx) error) error {
	s.entered <- struct{}{}
	<-s.release
	return s.Store.View(ctx, fn)
}

// Past MaxConcurrent requests in flight, the next is a 503 with
// Retry-After at once (not queued); /healthz is still answered; once the
// requests in flight end, requests are served again.
func TestConcurrencyCap(t *testing.T) {
	store := &blockingStore{Store: memory.New(), entered: make(chan struct{}, 16), release: make(chan struct{})}
	_, h := newAPI(t, store, nil, &Options{MaxConcurrent: 2})
	var wg sync.WaitGroup
	results := make([]response, 2)
	for i := range results {
		wg.Go(func() { results[i] = serve(h, "GET", "/cases/nope", "", coachHeaders...) })
	}
	<-store.entered
	<-store.entered // both hold a slot, inside the store

	r := serve(h, "GET", "/cases/nope", "", coachHeaders...)
	requireRetryAfter(t, r, http.StatusServiceUnavailable, "overloaded")
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	documented(t, "GET", "/cases/nope", "", r)
	assert.Equal(t, http.StatusOK, serve(h, "GET", "/healthz", "").status, "/healthz is never turned away")

	close(store.release)
	wg.Wait()
	for _, r := range results {
		requireProblem(t, r, http.StatusNotFound)
	}
	requireProblem(t, serve(h, "GET", "/cases/nope", "", coachHeaders...), http.StatusNotFound)
}

// The buckets' memory is bounded: buckets that have refilled are dropped
// (a new one would be the same), and past maxTracked keys the map is cut
// to half of it.
func TestBucketsAreBounded(t *testing.T) {
	later := time.Now().Add(time.Hour)
	fast := newBuckets(1, 1, 0, 0)
	for i := range 1000 {
		fast.allow(strconv.Itoa(i))
	}
	fast.sweep(later)
	assert.Empty(t, fast.m, "an hour later every bucket is full again")

	slow := newBuckets(1e-6, 1, 0, 0)
	for i := range 1000 {
		slow.allow(strconv.Itoa(i))
	}
	slow.sweep(later)
	assert.Len(t, slow.m, 1000, "a bucket still refilling is kept")
	ok, _ := slow.allow("0")
	assert.False(t, ok, "and still counts")

	for i := range maxTracked + 1 {
		slow.allow(strconv.Itoa(i))
		require.LessOrEqual(t, len(slow.m), maxTracked+1)
	}
	slow.sweep(later)
	assert.LessOrEqual(t, len(slow.m), maxTracked/2)

	assert.Nil(t, newBuckets(-1, 0, 1, 1), "a negative rate is no limit")
}

// Retry-After is whole seconds, rounded up, at least one.
func TestRetryAfterSeconds(t *testing.T) {
	assert.Equal(t, 1, retryAfterSeconds(0))
	assert.Equal(t, 1, retryAfterSeconds(time.Millisecond))
	assert.Equal(t, 2, retryAfterSeconds(1500*time.Millisecond))
	assert.Equal(t, 5, retryAfterSeconds(5*time.Second))
}
