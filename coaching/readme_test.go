package coaching_test

import (
	"flag"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the diagrams in README.md from the built-in models")

// README shows the built-in models' diagrams; they must match what the
// models render now.
func TestREADMEDiagramsAreCurrent(t *testing.T) {
	const path = "../README.md"
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	readme := string(b)
	for _, m := range []*coaching.Model{coaching.VALO(), coaching.Pilot()} {
		re := regexp.MustCompile("(?s)(<!-- diagram:" + m.Name() + " -->\n```mermaid\n)(.*?)(```\n<!-- /diagram:" + m.Name() + " -->)")
		match := re.FindStringSubmatch(readme)
		require.NotNil(t, match, "README has no diagram block for model %s", m.Name())
		want := m.Mermaid()
		if *updateReadme {
			readme = re.ReplaceAllLiteralString(readme, match[1]+want+match[3])
			continue
		}
		require.Equal(t, want, match[2], "README's diagram of %s is stale: run go test ./coaching -run TestREADMEDiagrams -update-readme", m.Name())
	}
	if *updateReadme {
		require.NoError(t, os.WriteFile(path, []byte(readme), 0o644))
	}
}
