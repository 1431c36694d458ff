// Package quickstart holds only a test: it runs the README's quick start.
package quickstart

import (
	"bytes"
	"context"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// section returns the fenced block between <!-- name --> and
// <!-- /name --> in the README.
func section(t *testing.T, readme, name, lang string) string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "<!-- "+name+" -->\n```"+lang+"\n")
	require.True(t, ok, "the README marks a ```%s block with <!-- %s -->", lang, name)
	block, rest, ok := strings.Cut(rest, "```\n")
	require.True(t, ok, "the %s block ends", name)
	require.True(t, strings.HasPrefix(rest, "<!-- /"+name+" -->"), "<!-- /%s --> follows the block", name)
	return block
}

// The README's quick start is a whole program that compiles against the
// public API, is gofmt-formatted, runs, and prints what the README says it
// prints.
func TestREADMEQuickStart(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(data)
	src := section(t, readme, "quickstart", "go")
	want := section(t, readme, "quickstart-output", "text")

	formatted, err := format.Source([]byte(src))
	require.NoError(t, err)
	assert.Equal(t, string(formatted), src, "the quick start is gofmt-formatted")
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", src, parser.ImportsOnly)
	require.NoError(t, err)
	assert.Equal(t, "main", f.Name.Name)
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		require.NoError(t, err)
		assert.NotContains(t, path, "/internal", "the quick start uses only the public API")
		assert.NotContains(t, path, "coachingtest", "the quick start uses only the library, not the test kit")
	}

	// A main package inside the module, so that it builds against this
	// checkout; testdata keeps it out of ./... while it exists.
	require.NoError(t, os.MkdirAll("testdata", 0o755))
	dir, err := os.MkdirTemp("testdata", "quickstart-")
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = os.RemoveAll(dir)
		_ = os.Remove("testdata") // only when empty
	})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(t), "run", "main.go")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "go run of the quick start: %s", stderr.String())
	assert.Equal(t, want, stdout.String(), "the README shows the quick start's output")
}

// goTool finds the go command that runs the tests.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("the go command is not on PATH (nor in $GOROOT/bin): the quick start cannot be run")
	return ""
}
