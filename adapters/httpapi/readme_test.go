package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// readmeCurl is one curl command line of the README: the request, the
// answer the line's "# STATUS {members}" comment promises (none: a
// success), and whether it is part of the marked session.
type readmeCurl struct {
	line    string
	req     curlReq
	status  int
	members map[string]any
	session bool
}

// annotation is a curl line's expected answer: "# 403 {"rule": "…"}".
var annotation = regexp.MustCompile(`\s+#\s+(\d{3})(?:\s+(\{.*\}))?\s*$`)

// readmeCurls reads every curl line of the README, in order, from every
// shell block, expanding the blocks' variables (H='…'). The session marked
// with <!-- backend-curl --> comes first in its section.
func readmeCurls(t *testing.T) []readmeCurl {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var (
		out     []readmeCurl
		vars    = map[string]string{}
		inSh    bool
		fenced  bool
		marked  bool
		session bool
	)
	for line := range strings.Lines(string(readme)) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "```"):
			if fenced {
				fenced, inSh, session = false, false, false
			} else {
				fenced, inSh, session = true, line == "```sh", marked
			}
			marked = false
			continue
		case !fenced:
			marked = line == "<!-- backend-curl -->"
			assert.NotContains(t, line, "`curl ", "a curl command belongs in a shell block, where a test runs it: %s", line)
			continue
		case !inSh:
			continue
		}
		if name, value, ok := strings.Cut(line, "="); ok && !strings.Contains(name, " ") && !strings.HasPrefix(line, "curl") {
			words, err := shellWords(value)
			require.NoError(t, err, line)
			vars["$"+name] = strings.Join(words, " ")
			continue
		}
		if !strings.HasPrefix(strings.TrimSpace(line), "curl ") {
			continue
		}
		c := readmeCurl{line: line, session: session}
		cmd := line
		if m := annotation.FindStringSubmatchIndex(line); m != nil {
			cmd = line[:m[0]]
			c.status, err = strconv.Atoi(line[m[2]:m[3]])
			require.NoError(t, err, line)
			if m[4] >= 0 {
				require.NoError(t, json.Unmarshal([]byte(line[m[4]:m[5]]), &c.members), "the expected members are a JSON object: %s", line)
			}
		} else {
			require.NotContains(t, line, " # ", "a curl line's comment is \"# STATUS {members}\": %s", line)
		}
		for name, value := range vars {
			cmd = strings.ReplaceAll(cmd, name, value)
		}
		c.req, err = curlRequest(cmd)
		require.NoError(t, err, line)
		out = append(out, c)
	}
	require.False(t, fenced, "every block in README.md is closed")
	return out
}

// Every curl line of the README runs against the service, in order: the
// session marked <!-- backend-curl --> takes a VALO participant from
// enrolment to a closed case (every answer a success), and every other line
// gives the status and the problem members its comment names. An import
// leaves the importer able to read every case it enrolled.
func TestREADMECurlLines(t *testing.T) {
	curls := readmeCurls(t)
	s := startServiceAt(t, memory.New(), time.Date(2026, 11, 23, 10, 0, 0, 0, coaching.Helsinki))
	var (
		sessionLast response
		sessionN    int
		imports     int
	)
	for _, c := range curls {
		r := s.rawDo(t, c.req.method, c.req.path, c.req.bodyReader(), c.req.headers)
		if c.status == 0 {
			assert.True(t, r.status >= 200 && r.status < 300, "%s\n→ %d %s", c.line, r.status, r.body)
		} else {
			assert.Equal(t, c.status, r.status, "%s\n→ %s", c.line, r.body)
		}
		if c.session {
			sessionLast = r
			sessionN++
		}
		if len(c.members) > 0 || strings.Contains(c.req.path, "/imports") {
			got := r.json(t)
			for k, want := range c.members {
				assert.Equal(t, mustJSON(t, want), mustJSON(t, got[k]), "%s: member %q of %s", c.line, k, r.body)
			}
			if enrolled, ok := got["enrolled"].([]any); ok {
				imports++
				assert.NotEmpty(t, enrolled, c.line)
				for _, e := range enrolled {
					id := e.(map[string]any)["case"].(string)
					r := s.rawDo(t, "GET", "/cases/"+id, nil, c.req.headers)
					assert.Equal(t, http.StatusOK, r.status, "the importer reads the new case %s: %s", id, r.body)
				}
			}
		}
	}
	assert.Equal(t, 9, sessionN, "the session's requests ran")
	view := sessionLast.json(t)
	assert.Equal(t, "closed", view["case"].(map[string]any)["state"])
	assert.Len(t, view["audit"], 8)
	assert.Equal(t, 1, imports, "the README's import ran")

	// Nothing that looks like a curl command escaped the parser.
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	var all int
	for line := range strings.Lines(string(readme)) {
		if strings.HasPrefix(strings.TrimSpace(line), "curl ") {
			all++
		}
	}
	assert.Equal(t, all, len(curls), "every curl line of the README ran")
}

type curlReq struct {
	method, path string
	headers      [][2]string // in order, repeats kept, as curl sends them
	body         []byte
}

func (r curlReq) bodyReader() io.Reader {
	if r.body == nil {
		return nil
	}
	return bytes.NewReader(r.body)
}

// curlRequest reads the curl command lines the README uses: -s, -X, -H,
// -d and --data-binary @file, and one URL.
func curlRequest(line string) (curlReq, error) {
	words, err := shellWords(line)
	if err != nil {
		return curlReq{}, err
	}
	if len(words) == 0 || words[0] != "curl" {
		return curlReq{}, fmt.Errorf("not a curl command")
	}
	r := curlReq{method: http.MethodGet}
	for i := 1; i < len(words); i++ {
		arg := func() (string, error) {
			if i+1 >= len(words) {
				return "", fmt.Errorf("%s needs a value", words[i])
			}
			i++
			return words[i], nil
		}
		switch w := words[i]; w {
		case "-s":
		case "-X":
			if r.method, err = arg(); err != nil {
				return r, err
			}
		case "-H":
			h, err := arg()
			if err != nil {
				return r, err
			}
			k, v, ok := strings.Cut(h, ":")
			if !ok {
				return r, fmt.Errorf("header %q", h)
			}
			r.headers = append(r.headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		case "-d", "--data-binary":
			d, err := arg()
			if err != nil {
				return r, err
			}
			if file, ok := strings.CutPrefix(d, "@"); ok {
				data, err := os.ReadFile(filepath.Join("../..", file))
				if err != nil {
					return r, err
				}
				r.body = data
			} else {
				r.body = []byte(d)
			}
			if r.method == http.MethodGet {
				r.method = http.MethodPost
			}
		default:
			if strings.HasPrefix(w, "-") {
				return r, fmt.Errorf("unknown option %s", w)
			}
			_, path, ok := strings.Cut(w, "localhost:8080")
			if !ok {
				return r, fmt.Errorf("URL %q", w)
			}
			r.path = path
		}
	}
	return r, nil
}

// shellWords splits a line as sh would for the README's commands: words
// separated by blanks, '…' and "…" quoting.
func shellWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool
		quote rune
	)
	for _, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote")
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}
