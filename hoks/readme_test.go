package hoks_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/hoks"
)

// README shows the HOKS lifecycle diagram as the package renders it now.
func TestREADMELifecycleDiagramIsCurrent(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	const open, close = "<!-- diagram:hoks -->\n```mermaid\n", "```\n<!-- /diagram:hoks -->"
	s := string(b)
	i, j := strings.Index(s, open), strings.Index(s, close)
	require.True(t, i >= 0 && j > i, "README has no diagram:hoks block")
	require.Equal(t, hoks.LifecycleDiagram(), s[i+len(open):j], "README's HOKS lifecycle diagram is stale")
}
