package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a log destination written by the server's goroutines and
// read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startRun runs the command with args until the test ends (then checks
// it shut down gracefully) and returns its address and its log.
func startRun(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	return startRunWith(t, nil, args...)
}

// startRunWith is startRun with the tests' hooks.
func startRunWith(t *testing.T, hooks *testHooks, args ...string) (string, *syncBuffer) {
	t.Helper()
	base, logs, stop := startRunStoppable(t, hooks, args...)
	t.Cleanup(stop)
	return base, logs
}

// startRunStoppable is startRunWith that returns a stop function to
// shut the command down (and check it did, gracefully) before the test
// ends; the test calls it once.
func startRunStoppable(t *testing.T, hooks *testHooks, args ...string) (string, *syncBuffer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	logs := &syncBuffer{}
	done := make(chan error, 1)
	// Any free port for the API and the metrics (the default metrics
	// port, 9464, may be taken); args may name others.
	go func() {
		done <- runWith(ctx, append([]string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"}, args...), logs, ready, hooks)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("run ended early: %v", err)
	}
	stop := func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("no graceful shutdown")
		}
		assert.Contains(t, logs.String(), "shutting down")
	}
	return "http://" + addr, logs, stop
}

func get(t *testing.T, url string, headers ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var body map[string]any
	_ = json.Unmarshal(data, &body)
	return res, body
}

var coach = []string{"X-Actor-Id", "coach-1", "X-Actor-Roles", "coach", "X-Actor-Organisation", "school-1"}

// The command starts, serves and shuts down gracefully on its context.
// Without -dev-identities no sign-on is configured, so the identity
// headers are not believed: every signed-in request is a 401.
func TestRunServesAndShutsDown(t *testing.T) {
	base, logs := startRun(t)
	res, _ := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	res, p := get(t, base+"/cases/case-1", coach...)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Contains(t, p["detail"], "-dev-identities")
	assert.NotContains(t, logs.String(), "UNSAFE")

	assert.Error(t, run(context.Background(), []string{"-sqlite", "a.db", "-postgres", "x"}, io.Discard, nil), "one store")
}

// With -dev-identities (logged as unsafe) the headers are the caller,
// but not whose guardian it is; the request's id is in the answer's
// header, its problem body and its log line.
func TestRunWithDevIdentities(t *testing.T) {
	base, logs := startRun(t, "-dev-identities")
	assert.Contains(t, logs.String(), "UNSAFE")
	res, p := get(t, base+"/cases/case-1", append([]string{"X-Request-Id", "req-42"}, coach...)...)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, "req-42", res.Header.Get("X-Request-Id"))
	assert.Equal(t, "req-42", p["request_id"])
	assert.Contains(t, logs.String(), "request_id=req-42")

	// Relations come from the records: a caller naming its own ward is refused.
	res, p = get(t, base+"/cases/case-1", "X-Actor-Id", "parent-9", "X-Actor-Roles", "guardian", "X-Actor-Organisation", "school-1",
		"X-Actor-Guardian-Of", "p-1")
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "X-Actor-Guardian-Of", p["header"])
}
