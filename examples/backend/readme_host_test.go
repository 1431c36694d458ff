package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeHostProgram is the Go block of the README marked
// <!-- host-example -->.
func readmeHostProgram(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, after, ok := strings.Cut(string(readme), "<!-- host-example -->\n```go\n")
	require.True(t, ok, "the README has a Go block marked <!-- host-example -->")
	code, _, ok := strings.Cut(after, "\n```\n")
	require.True(t, ok, "the block is closed")
	return code + "\n"
}

// The README's host program builds and runs: the API answers under
// /coaching/ beside the host's own front page.
func TestREADMEHostProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	// Inside the module (so its packages resolve), in a directory the
	// go command's ./... patterns skip (a leading underscore).
	dir, err := os.MkdirTemp(".", "_readme-host-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(readmeHostProgram(t)), 0o644))
	bin := filepath.Join(t.TempDir(), "host")
	build := exec.Command("go", "build", "-o", bin, "./"+filepath.Base(dir))
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin, "-addr", addr)
	logs := &syncBuffer{} // written by the command's copying goroutine
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })

	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/coaching/healthz")
		if err == nil {
			res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode)
			break
		}
		require.True(t, time.Now().Before(deadline), "the host program did not start: %v\n%s", err, logs.String())
		time.Sleep(50 * time.Millisecond)
	}

	res, _ := get(t, base+"/coaching/models", coach...)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	res, p := get(t, base+"/coaching/models")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.NotEmpty(t, p["request_id"])
	res, p = get(t, base+"/coaching/cases/case-1", coach...)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, "/cases/case-1", p["instance"], "the API sees its own paths")
	res, p = get(t, base+"/coaching/openapi.json")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotEmpty(t, p["paths"])

	req, err := http.Get(base + "/")
	require.NoError(t, err)
	defer req.Body.Close()
	var front bytes.Buffer
	_, _ = front.ReadFrom(req.Body)
	assert.Equal(t, "the host's own front page\n", front.String())
	res, _ = get(t, base+"/elsewhere")
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "the host's mux answers outside /coaching/")
}
