package webui_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

const orgA, orgB coaching.OrganisationID = "org-a", "org-b"

var (
	headA  = coaching.Actor{ID: "head-a", Name: "Helena Head", Organisation: orgA, Roles: append(slices.Clone(coaching.TeamRoles), coaching.RoleHeadOfStudies)}
	headB  = coaching.Actor{ID: "head-b", Name: "Hannu Head", Organisation: orgB, Roles: append(slices.Clone(coaching.TeamRoles), coaching.RoleHeadOfStudies)}
	tutorA = coaching.Actor{ID: "tutor-a", Name: "Tiina Tutor", Organisation: orgA, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	tutorB = coaching.Actor{ID: "tutor-b", Name: "Tuomas Tutor", Organisation: orgB, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	// otherA is a personal tutor of organisation A on no case's team.
	otherA = coaching.Actor{ID: "other-a", Name: "Olli Other", Organisation: orgA, Roles: []coaching.Role{coaching.RolePersonalTutor}}
)

// sessionKey is the tests' session key (32 bytes).
var sessionKey = []byte("0123456789abcdef0123456789abcdef")

// fixture is an engine with pilot cases in two organisations and the
// interface over it.
type fixture struct {
	env  *ct.Env
	h    http.Handler
	logs *syncBuffer
	// cases by family name
	cases map[string]coaching.Case
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func devLogin(t testing.TB) *webui.DevLogin {
	t.Helper()
	l, err := webui.NewDevLogin([]webui.DevIdentity{
		{Key: "tutor-a", Label: "Tiina Tutor (omaohjaaja, A)", Actor: tutorA},
		{Key: "tutor-b", Label: "Tuomas Tutor (omaohjaaja, B)", Actor: tutorB},
		{Key: "other-a", Label: "Olli Other (omaohjaaja, A)", Actor: otherA},
		{Key: "head-a", Label: "Helena Head (A)", Actor: headA},
	})
	require.NoError(t, err)
	return l
}

// newFixture enrols three pilot students with tutorA on their team
// (Aho, Böök and Virtanen) and one in organisation B (Berg, tutorB's),
// and marks Virtanen's lessons of today unexplained, which raises an
// early-warning flag.
func newFixture(t testing.TB, prefix string) *fixture {
	t.Helper()
	env := ct.New(t, nil)
	f := &fixture{env: env, logs: &syncBuffer{}, cases: map[string]coaching.Case{}}
	enrol := func(head coaching.Actor, family string, tutor coaching.Actor) {
		p := ct.Participant(func(p *coaching.Participant) {
			p.GivenNames, p.FamilyName, p.Organisation = "Testi", family, head.Organisation
		})
		c, err := env.Engine.Enrol(context.Background(), head, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
			Team: []coaching.TeamMember{ct.TeamMember(tutor, coaching.RolePersonalTutor)}})
		require.NoError(t, err)
		f.cases[family] = c
	}
	for _, n := range []string{"Aho", "Böök", "Virtanen"} {
		enrol(headA, n, tutorA)
	}
	enrol(headB, "Berg", tutorB)
	today := coaching.DateOf(env.Clock.Now())
	var marks []attendance.MarkInput
	for i := 1; i <= 3; i++ {
		marks = append(marks, attendance.MarkInput{CaseID: f.cases["Virtanen"].ID, Date: today, Lesson: fmt.Sprint(i), Minutes: 45,
			Status: attendance.Unexplained})
	}
	_, err := env.Attendance.Record(context.Background(), tutorA, marks)
	require.NoError(t, err)
	h, err := webui.New(env.Engine, &webui.Options{Prefix: prefix, SessionKey: sessionKey, Login: devLogin(t),
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	f.h = h
	if prefix != "" {
		mux := http.NewServeMux()
		mux.Handle(strings.TrimSuffix(prefix, "/")+"/", h)
		f.h = mux
	}
	return f
}

// client is a browser of one person: it keeps the session cookie.
type client struct {
	t      testing.TB
	h      http.Handler
	cookie string
}

func (f *fixture) client(t testing.TB) *client { return &client{t: t, h: f.h} }

func (c *client) do(req *http.Request) *httptest.ResponseRecorder {
	c.t.Helper()
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: webui.CookieName, Value: c.cookie})
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == webui.CookieName {
			c.cookie = ck.Value
			if ck.MaxAge < 0 {
				c.cookie = ""
			}
		}
	}
	return rec
}

func (c *client) get(path string) *httptest.ResponseRecorder {
	c.t.Helper()
	return c.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// post sends a same-origin form POST, as a browser does from the page.
func (c *client) post(path string, form url.Values) *httptest.ResponseRecorder {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// signIn signs in as the development identity key, in lang.
func (c *client) signIn(prefix, key, lang string) {
	c.t.Helper()
	rec := c.post(prefix+"/login/callback", url.Values{"identity": {key}, "lang": {lang}, "return": {prefix + "/"}})
	require.Equal(c.t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.NotEmpty(c.t, c.cookie)
}

// checkHeaders asserts the security headers every answer carries.
func checkHeaders(t testing.TB, rec *httptest.ResponseRecorder) {
	t.Helper()
	h := rec.Header()
	assert.Equal(t, webui.ContentSecurityPolicy, h.Get("Content-Security-Policy"))
	assert.Contains(t, h.Get("Content-Security-Policy"), "default-src 'none'")
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	assert.Equal(t, "same-origin", h.Get("Referrer-Policy"))
}

// checkPage asserts what every page is: the headers, HTML that parses
// with a lang attribute, exactly one h1, a label for every control, scope
// on every table header, no inline script or style; it returns the
// document's text.
func checkPage(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	checkHeaders(t, rec)
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	body := rec.Body.String()
	checkWellFormed(t, body)
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err)
	var (
		h1s, skip int
		lang      string
		labels    = map[string]bool{}
		controls  []string
		text      strings.Builder
	)
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			text.WriteString(n.Data)
			text.WriteString(" ")
		}
		if n.Type == html.ElementNode {
			_, hasStyle := attr(n, "style")
			assert.False(t, hasStyle, "a style attribute on <%s> (the CSP blocks it)", n.Data)
			for _, a := range n.Attr {
				assert.False(t, strings.HasPrefix(a.Key, "on"), "an inline event handler %s on <%s>", a.Key, n.Data)
			}
			switch n.Data {
			case "html":
				lang, _ = attr(n, "lang")
			case "h1":
				h1s++
			case "script", "style":
				t.Errorf("a <%s> element (the CSP blocks inline ones; the interface needs none)", n.Data)
			case "label":
				if f, ok := attr(n, "for"); ok {
					labels[f] = true
				}
			case "a":
				if href, _ := attr(n, "href"); href == "#main" {
					skip++
				}
			case "th":
				if n.Parent != nil && n.Parent.Parent != nil && n.Parent.Parent.Data == "thead" {
					s, _ := attr(n, "scope")
					assert.Equal(t, "col", s, "a column header without scope")
				}
				if n.Parent != nil && n.Parent.Parent != nil && n.Parent.Parent.Data == "tbody" {
					s, _ := attr(n, "scope")
					assert.Equal(t, "row", s, "a row header without scope")
				}
			case "input", "select", "textarea":
				typ, _ := attr(n, "type")
				if typ != "hidden" && typ != "submit" {
					id, _ := attr(n, "id")
					controls = append(controls, id)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	assert.Contains(t, []string{"fi", "sv", "en"}, lang, "the html element's lang")
	assert.Equal(t, 1, h1s, "exactly one h1")
	assert.Equal(t, 1, skip, "one skip link to #main")
	assert.Contains(t, body, `id="main"`)
	for _, id := range controls {
		assert.True(t, id != "" && labels[id], "a control without a label (id %q)", id)
	}
	return strings.Join(strings.Fields(text.String()), " ")
}

// checkWellFormed checks that every element the page opens is closed in
// order (void elements excepted): the tokenizer, unlike the parser, does
// not repair a page.
func checkWellFormed(t testing.TB, body string) {
	t.Helper()
	void := map[string]bool{"meta": true, "link": true, "input": true, "br": true, "img": true, "hr": true}
	// Elements whose end tag HTML lets a page leave out; the templates
	// close them all the same, so they are checked too.
	var stack []string
	z := html.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			require.ErrorIs(t, z.Err(), io.EOF)
			assert.Empty(t, stack, "elements left open")
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			if !void[string(name)] {
				stack = append(stack, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			require.NotEmpty(t, stack, "</%s> closes nothing", name)
			require.Equal(t, stack[len(stack)-1], string(name), "</%s> closes <%s>", name, stack[len(stack)-1])
			stack = stack[:len(stack)-1]
		}
	}
}
