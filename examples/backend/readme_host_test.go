package main

import (
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/valmennus/valmennus/adapters/httpauth/oidctest"
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
	idp, err := oidctest.Start(nil) // the provider's sign-on service
	require.NoError(t, err)
	t.Cleanup(idp.Close)
	cmd := exec.CommandContext(ctx, bin, "-addr", addr, "-issuer", idp.URL())
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

	token := func(sub string, roles ...string) string {
		c := idp.Claims(sub, "valmennus-api", 5*time.Minute)
		c["roles"] = roles
		return "Bearer " + idp.Token(c)
	}
	coach := []string{"Authorization", token("coach-1", "valmentaja")}
	head := []string{"Authorization", token("head-1", "opintojohtaja")}

	res, _ := get(t, base+"/coaching/models", coach...)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	res, p := get(t, base+"/coaching/models")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	assert.Equal(t, `Bearer realm="valmennus"`, res.Header.Get("WWW-Authenticate"))
	assert.NotEmpty(t, p["request_id"])
	res, p = get(t, base+"/coaching/cases/school-1:case-1", coach...)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, "/cases/school-1:case-1", p["instance"], "the API sees its own paths")
	res, p = get(t, base+"/coaching/openapi.json")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotEmpty(t, p["paths"])

	// The coach signed in by the provider opens a case; the head of
	// studies reads it; the provider's other roles are not the API's.
	enrol := `{"model":"valo","case_id":"school-1:case-1","participant":{"given_names":"Aino","family_name":"Virtanen","birth_date":"1994-05-17","language":"fi","organisation":"school-1"},"team":[{"actor_id":"coach-1","role":"coach","name":"Maija Kares"}]}`
	res, p = send(t, "POST", base+"/coaching/enrolments", enrol, coach...)
	require.Equal(t, http.StatusCreated, res.StatusCode, "%v", p)
	res, p = get(t, base+"/coaching/cases/school-1:case-1", head...)
	assert.Equal(t, http.StatusOK, res.StatusCode, "%v", p)
	assert.Equal(t, "recruitment", p["case"].(map[string]any)["state"])

	// What the sign-on refuses: a forged signature, another audience, a
	// role outside the allow-list, a token from a key the provider
	// never published, and identity headers beside a token.
	stranger, err := idp.NewKey("key-1")
	require.NoError(t, err)
	other := idp.Claims("coach-1", "another-api", 5*time.Minute)
	other["roles"] = []string{"valmentaja"}
	forged := idp.Claims("coach-1", "valmennus-api", 5*time.Minute)
	forged["roles"] = []string{"valmentaja"}
	for name, authz := range map[string]string{
		"tampered":        oidctest.Tamper(coach[1]),
		"other audience":  "Bearer " + idp.Token(other),
		"unmapped role":   token("coach-1", "valmentaja", "admin"),
		"unpublished key": "Bearer " + stranger.Sign("JWT", forged),
	} {
		res, _ = get(t, base+"/coaching/cases/school-1:case-1", "Authorization", authz)
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode, name)
		assert.Contains(t, res.Header.Get("WWW-Authenticate"), `error="invalid_token"`, name)
	}
	res, p = get(t, base+"/coaching/cases/school-1:case-1", append([]string{"X-Actor-Id", "head-1"}, coach...)...)
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "X-Actor-Id", p["header"])

	req, err := http.Get(base + "/")
	require.NoError(t, err)
	defer req.Body.Close()
	var front bytes.Buffer
	_, _ = front.ReadFrom(req.Body)
	assert.Equal(t, "the host's own front page\n", front.String())
	res, _ = get(t, base+"/elsewhere")
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "the host's mux answers outside /coaching/")
}

// send is get with a method and a JSON body.
func send(t *testing.T, method, url, body string, headers ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res, out
}
