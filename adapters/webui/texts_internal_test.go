package webui

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/hoks"
)

// Every entry of the catalogue has all three languages.
func TestCatalogueComplete(t *testing.T) {
	for key, tx := range catalogue {
		assert.NotEmpty(t, strings.TrimSpace(tx.fi), "%s: no Finnish", key)
		assert.NotEmpty(t, strings.TrimSpace(tx.sv), "%s: no Swedish", key)
		assert.NotEmpty(t, strings.TrimSpace(tx.en), "%s: no English", key)
	}
}

// textKey is a literal key a template passes to t.
var textKey = regexp.MustCompile(`\bt "([^"]+)"`)

// Every key a template names is in the catalogue, and so is every key a
// template builds (the language names) or the Go code names (the error
// pages, the caseload rows' badges); every template uses t (a template with no text of its own
// would be a sign of text written into it directly).
func TestTemplateKeysInCatalogue(t *testing.T) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	require.NoError(t, err)
	require.Len(t, files, len(pageFiles)+len(partialFiles)+1, "every page file is parsed (pageFiles), and so is every part (partialFiles), and there is one layout")
	for _, name := range files {
		b, err := fs.ReadFile(templateFS, name)
		require.NoError(t, err)
		keys := textKey.FindAllStringSubmatch(string(b), -1)
		if name != "templates/error.html" {
			assert.NotEmpty(t, keys, name)
		}
		for _, k := range keys {
			_, ok := catalogue[k[1]]
			assert.True(t, ok, "%s uses %q, which the catalogue lacks", name, k[1])
		}
	}
	for _, l := range languages {
		_, ok := catalogue["lang."+string(l)]
		assert.True(t, ok, "lang.%s", l)
	}
	for _, k := range []string{"error.400.title", "error.400.body", "error.403.title", "error.403.body", "error.csrf.body",
		"error.404.title", "error.404.body", "error.500.title", "error.500.body", "error.503.title", "error.503.body",
		"badge.paused", "badge.closed", "badge.overdue"} {
		_, ok := catalogue[k]
		assert.True(t, ok, k)
	}
}

// The literal text a template writes outside {{…}} is markup and
// punctuation only: every word a person reads comes from the catalogue.
func TestTemplatesHaveNoLiteralWords(t *testing.T) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	require.NoError(t, err)
	action := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	tag := regexp.MustCompile(`(?s)<[^>]*>`)
	word := regexp.MustCompile(`\p{L}{2,}`)
	for _, name := range files {
		b, err := fs.ReadFile(templateFS, name)
		require.NoError(t, err)
		s := tag.ReplaceAllString(action.ReplaceAllString(string(b), " "), " ")
		assert.Empty(t, word.FindAllString(s, -1), "%s: literal words outside the catalogue", name)
	}
}

// Every kind and status of a family's request, every HOKS status and
// every confirmation the family page names is in the catalogue (the page
// looks them up by name and would otherwise show the bare name).
func TestFamilyLabelsInCatalogue(t *testing.T) {
	var keys []string
	for _, k := range []absence.Kind{absence.Report, absence.Explanation, absence.Leave} {
		keys = append(keys, "family.kind."+string(k), "family.sent."+string(k))
	}
	for _, st := range []absence.Status{absence.Submitted, absence.Accepted, absence.Rejected, absence.Granted,
		absence.Refused, absence.Withdrawn, absence.Lapsed} {
		keys = append(keys, "family.status."+string(st))
	}
	for _, st := range []hoks.Status{hoks.StatusDraft, hoks.StatusApproved, hoks.StatusInProgress, hoks.StatusUpdated,
		hoks.StatusCompetenceReached, hoks.StatusCompleted, hoks.StatusArchived} {
		keys = append(keys, "family.hoks.status."+string(st))
	}
	for _, table := range [][]wording{absenceProblems, voiceProblems, caseloadProblems, attendanceProblems} {
		for _, w := range table {
			keys = append(keys, w.Key)
		}
	}
	keys = append(keys, "form.resent", "att.by.other")
	keys = append(keys, "family.err.toomany", "nav.family")
	for _, f := range []string{"kind", "from", "to", "reason", "text"} {
		keys = append(keys, "family.form."+f)
	}
	for _, k := range keys {
		_, ok := catalogue[k]
		assert.True(t, ok, k)
	}
}
