package coaching_test

import (
	"flag"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/contactchange"
	"github.com/valmennus/valmennus/hoks"
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

// README shows the family features' request machines; they must match
// what the packages render now.
func TestREADMEFeatureDiagramsAreCurrent(t *testing.T) {
	const path = "../README.md"
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	readme := string(b)
	for _, d := range []struct{ name, mermaid string }{
		{"absence_report", absence.Diagram(absence.Report)},
		{"absence_leave", absence.Diagram(absence.Leave)},
		{"contact_change", contactchange.Diagram()},
		{"hoks_proposal", hoks.ProposalDiagram()},
	} {
		re := regexp.MustCompile("(?s)(<!-- diagram:" + d.name + " -->\n```mermaid\n)(.*?)(```\n<!-- /diagram:" + d.name + " -->)")
		match := re.FindStringSubmatch(readme)
		require.NotNil(t, match, "README has no diagram block %s", d.name)
		if *updateReadme {
			readme = re.ReplaceAllLiteralString(readme, match[1]+d.mermaid+match[3])
			continue
		}
		require.Equal(t, d.mermaid, match[2], "README's diagram %s is stale: run go test ./coaching -run TestREADME -update-readme", d.name)
	}
	if *updateReadme {
		require.NoError(t, os.WriteFile(path, []byte(readme), 0o644))
	}
}
