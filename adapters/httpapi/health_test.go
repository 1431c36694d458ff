package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// pingFunc is a Pinger.
type pingFunc func(ctx context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

// manualClock is a clock the test moves.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// With every check passing, /readyz is a 200 naming each; with none
// configured it is a 200 too.
func TestReadyzAllPass(t *testing.T) {
	_, h := newAPI(t, memory.New(), nil, nil)
	r := serve(h, "GET", "/readyz", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, map[string]any{"status": "ready", "checks": map[string]any{}}, r.json(t))

	store := memory.New()
	hb, err := NewHeartbeat(&HeartbeatOptions{Name: "dispatcher", Interval: time.Second})
	require.NoError(t, err)
	_, h = newAPI(t, store, nil, &Options{Ready: []Check{StoreCheck(store), hb.Check()}})
	r = serve(h, "GET", "/readyz", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, map[string]any{"status": "ready", "checks": map[string]any{"store": "ok", "dispatcher": "ok"}}, r.json(t))
	documented(t, "GET", "/readyz", "", r)
}

// A store that cannot be reached makes /readyz a 503 naming the store, and
// its error (which names the database) goes to the log, never the
// answer; /healthz asks no check and stays 200.
func TestReadyzStoreUnreachable(t *testing.T) {
	var logs lockedBuffer
	dead := pingFunc(func(context.Context) error {
		return errors.New("failed to connect to postgres://valmennus:hunter2@db.internal:5432/prod")
	})
	_, h := newAPI(t, memory.New(), nil, &Options{Ready: []Check{StoreCheck(dead)}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r := serve(h, "GET", "/readyz", "")
	p := requireProblem(t, r, http.StatusServiceUnavailable)
	assert.Equal(t, problemBase+"not-ready", p["type"])
	assert.Equal(t, map[string]any{"store": "failing"}, p["checks"])
	assert.Contains(t, p["detail"], "store")
	documented(t, "GET", "/readyz", "", r)
	assert.NotContains(t, string(r.body), "hunter2")
	assert.NotContains(t, string(r.body), "db.internal")
	assert.Contains(t, logs.String(), "level=WARN msg=\"readiness check failed\"")
	assert.Contains(t, logs.String(), "check=store")

	assert.Equal(t, http.StatusOK, serve(h, "GET", "/healthz", "").status)
}

// A loop whose heartbeat is older than Missed intervals is not ready; a
// beat makes it ready again. Only the failing check is named failing.
func TestReadyzStalledLoops(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	disp, err := NewHeartbeat(&HeartbeatOptions{Name: "dispatcher", Interval: 5 * time.Second, Clock: clock})
	require.NoError(t, err)
	tick, err := NewHeartbeat(&HeartbeatOptions{Name: "ticker", Interval: time.Minute, Missed: 2, Clock: clock})
	require.NoError(t, err)
	store := memory.New()
	_, h := newAPI(t, store, nil, &Options{Ready: []Check{StoreCheck(store), disp.Check(), tick.Check()}})

	clock.advance(15 * time.Second) // three dispatcher intervals: late, not stalled
	require.Equal(t, http.StatusOK, serve(h, "GET", "/readyz", "").status)

	clock.advance(time.Second)
	p := requireProblem(t, serve(h, "GET", "/readyz", ""), http.StatusServiceUnavailable)
	assert.Equal(t, map[string]any{"store": "ok", "dispatcher": "failing", "ticker": "ok"}, p["checks"])

	disp.Beat()
	tick.Beat()
	clock.advance(2 * time.Minute) // the ticker's two intervals, the dispatcher's 24
	p = requireProblem(t, serve(h, "GET", "/readyz", ""), http.StatusServiceUnavailable)
	assert.Equal(t, map[string]any{"store": "ok", "dispatcher": "failing", "ticker": "ok"}, p["checks"])
	clock.advance(time.Second)
	p = requireProblem(t, serve(h, "GET", "/readyz", ""), http.StatusServiceUnavailable)
	assert.Equal(t, map[string]any{"store": "ok", "dispatcher": "failing", "ticker": "failing"}, p["checks"])
	assert.Contains(t, p["detail"], "dispatcher, ticker")

	disp.Beat()
	tick.Beat()
	require.Equal(t, http.StatusOK, serve(h, "GET", "/readyz", "").status)
}

// A check that does not return by the ready timeout counts as failing
// (the answer does not wait for it).
func TestReadyzCheckTimeout(t *testing.T) {
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	hang := Check{Name: "mail", Func: func(context.Context) error { <-stuck; return nil }}
	_, h := newAPI(t, memory.New(), nil, &Options{Ready: []Check{hang}, ReadyTimeout: time.Millisecond})
	p := requireProblem(t, serve(h, "GET", "/readyz", ""), http.StatusServiceUnavailable)
	assert.Equal(t, map[string]any{"mail": "failing"}, p["checks"])
}

// Readiness checks and heartbeats are validated.
func TestReadyOptionsValidated(t *testing.T) {
	eo, err := EngineOptions()
	require.NoError(t, err)
	eng, err := coaching.New(memory.New(), eo)
	require.NoError(t, err)
	ok := func(context.Context) error { return nil }
	for _, checks := range [][]Check{{{Name: "", Func: ok}}, {{Name: "a"}}, {{Name: "a", Func: ok}, {Name: "a", Func: ok}}} {
		_, err := New(eng, &Options{Authenticator: AuthenticatorFunc(nil), Ready: checks})
		assert.ErrorContains(t, err, "readiness check", "%v", checks)
	}
	for _, o := range []*HeartbeatOptions{nil, {Interval: time.Second}, {Name: "x"}, {Name: "x", Interval: time.Second, Missed: -1}} {
		_, err := NewHeartbeat(o)
		assert.Error(t, err, "%+v", o)
	}
}
