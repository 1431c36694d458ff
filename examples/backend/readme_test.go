package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// The README's curl session runs, request by request, against the
// service: every answer is a success and the case ends closed.
func TestREADMECurlSession(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, block, ok := strings.Cut(string(readme), "<!-- backend-curl -->\n```sh\n")
	require.True(t, ok, "the README marks its curl session with <!-- backend-curl -->")
	block, _, ok = strings.Cut(block, "```")
	require.True(t, ok)

	s := startServiceAt(t, memory.New(), time.Date(2026, 11, 23, 10, 0, 0, 0, coaching.Helsinki))
	vars := map[string]string{}
	var last response
	n := 0
	for line := range strings.SplitSeq(strings.TrimSpace(block), "\n") {
		if name, value, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "curl") {
			words, err := shellWords(value)
			require.NoError(t, err, line)
			vars["$"+name] = strings.Join(words, " ")
			continue
		}
		for name, value := range vars {
			line = strings.ReplaceAll(line, name, value)
		}
		req, err := curlRequest(line)
		require.NoError(t, err, line)
		last = s.do(t, caller(req.headers), req.method, req.path, req.body)
		assert.True(t, last.status >= 200 && last.status < 300, "%s\n→ %d %s", line, last.status, last.body)
		n++
	}
	assert.Equal(t, 9, n, "the session's requests ran")
	view := last.json(t)
	assert.Equal(t, "closed", view["case"].(map[string]any)["state"])
	assert.Len(t, view["audit"], 8)
}

type curlReq struct {
	method, path string
	headers      map[string]string
	body         any
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
	r := curlReq{method: http.MethodGet, headers: map[string]string{}}
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
			r.headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
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
				r.body = d
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
