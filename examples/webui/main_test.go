package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is the command's log, written by the server's goroutines and
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

// TestRun starts the command on a free port, gets the sign-in page (the
// caseload sends someone not signed in there) with the development
// identities, and cancels its context: it shuts down and returns nil.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	addr, done := start(t, ctx, logs, "-addr", "127.0.0.1:0")

	resp, err := http.Get("http://" + addr + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the redirect to the sign-in page, followed")
	assert.Equal(t, "/login", resp.Request.URL.Path)
	page := string(body)
	assert.Contains(t, page, `action="/login/callback"`)
	for _, key := range []string{"tutor", "coach", "teacher", "head", "guardian"} {
		assert.Contains(t, page, `name="identity" value="`+key+`"`)
	}

	stop(t, cancel, done)
	log := logs.String()
	assert.Contains(t, log, "UNSAFE DEVELOPMENT MODE")
	assert.Contains(t, log, "shutting down")
	assert.NotContains(t, log, "Kuvitteellinen", "the log names no student")
}

// TestRunRefusesBadArguments: a bad flag or a stray argument is an error,
// not a server.
func TestRunRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-addr", "not an address"}} {
		err := run(context.Background(), args, io.Discard, nil)
		assert.Error(t, err, "%q", args)
	}
}

// The unsafe development sign-in is served on a loopback address only:
// ":0" (every interface) is refused before anything listens, unless
// -unsafe-public says so explicitly.
func TestRunRefusesAPublicAddress(t *testing.T) {
	logs := &syncBuffer{}
	err := run(context.Background(), []string{"-addr", ":0"}, logs, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a loopback address")
	assert.Contains(t, err.Error(), "-unsafe-public")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, done := start(t, ctx, logs, "-addr", ":0", "-unsafe-public")
	stop(t, cancel, done)
}

// start runs the command with args until ctx is done and returns the
// address it listens on and the channel of what run returns.
func start(t *testing.T, ctx context.Context, logs *syncBuffer, args ...string) (string, <-chan error) {
	t.Helper()
	listening := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, logs, listening) }()
	select {
	case addr := <-listening:
		return addr, done
	case err := <-done:
		t.Fatalf("run returned before listening: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("not listening after 30 s\n%s", logs)
	}
	return "", nil
}

// stop cancels the command's context: it returns nil within 15 s.
func stop(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return 15 s after its context was cancelled")
	}
}
