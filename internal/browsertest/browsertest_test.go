package browsertest

import (
	"bytes"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// csp is the web interface's policy: no inline script or style, forms
// post to the same origin only.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; form-action 'self'"

const head = `<!doctype html><html lang="fi"><head><meta charset="utf-8"><title>%s</title>
<link rel="stylesheet" href="/app.css"><script src="/app.js" defer></script></head><body><main>`

// The form page: a labelled field, a named submit button, and a paragraph
// that /app.js rewrites, which shows whether the page's scripts ran.
var formPage = fmt.Sprintf(head, "Lomake") + `<h1>Tervehdys</h1>
<p id="js">JavaScript is off</p>
<form method="post" action="/greet">
<label for="name">Nimi</label> <input id="name" name="name" value="luonnos">
<button type="submit" name="action" value="greet">Lähetä</button>
</form><div class="tall">Pitkä sivu</div></main></body></html>`

var greetPage = template.Must(template.New("greet").Parse(fmt.Sprintf(head, "Tulos") +
	`<h1>Tulos</h1><p id="greeting">Hei, {{.Name}}!</p><p id="action">{{.Action}}</p></main></body></html>`))

// The bad page: an input with no label, which axe's rule "label" finds.
var badPage = fmt.Sprintf(head, "Huono") + `<h1>Huono</h1>
<form method="post" action="/greet"><input id="unlabelled" name="name"><button type="submit">Lähetä</button></form></main></body></html>`

var forbiddenPage = fmt.Sprintf(head, "Ei oikeutta") + `<h1>Ei oikeutta</h1><p id="why">Sinulla ei ole oikeutta tähän sivuun.</p></main></body></html>`

var cookiePage = template.Must(template.New("cookie").Parse(fmt.Sprintf(head, "Eväste") +
	`<h1>Eväste</h1><p id="who">{{.}}</p></main></body></html>`))

// server serves the pages with the strict policy.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	page := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	mux.HandleFunc("GET /{$}", page(http.StatusOK, formPage))
	mux.HandleFunc("GET /bad", page(http.StatusOK, badPage))
	mux.HandleFunc("GET /forbidden", page(http.StatusForbidden, forbiddenPage))
	mux.HandleFunc("POST /greet", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = greetPage.Execute(w, struct{ Name, Action string }{r.PostFormValue("name"), r.PostFormValue("action")})
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write([]byte(`document.getElementById("js").textContent = "JavaScript is on";`))
	})
	mux.HandleFunc("GET /app.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		_, _ = w.Write([]byte(`body { font: 16px sans-serif; color: #111; background: #fff } .tall { height: 2000px }`))
	})
	// A __Host- cookie (Secure, HttpOnly), as the web interface's session
	// cookie will be: Chromium keeps and sends it on http://127.0.0.1,
	// a trustworthy origin.
	mux.HandleFunc("GET /cookie/set", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "__Host-who", Value: r.URL.Query().Get("v"), Path: "/",
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = cookiePage.Execute(w, "set")
	})
	mux.HandleFunc("GET /cookie", func(w http.ResponseWriter, r *http.Request) {
		who := "none"
		if c, err := r.Cookie("__Host-who"); err == nil {
			who = c.Value
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = cookiePage.Execute(w, who)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestNoJavaScript: with the page's scripts off, the script-rewritten
// paragraph keeps its static text (and with them on it does not, so the
// switch is what the test sees), and a labelled form posted by a click
// on its button changes the page, the button's name and value included.
func TestNoJavaScript(t *testing.T) {
	t.Parallel()
	b := Start(t)
	srv := server(t)

	on := b.NewSession(t, nil)
	on.Navigate(srv.URL + "/")
	if got := on.Text("#js"); got != "JavaScript is on" {
		t.Fatalf("with scripts on, #js = %q; want the text app.js writes", got)
	}

	s := b.NewSession(t, &Options{NoJavaScript: true})
	if status := s.Navigate(srv.URL + "/"); status != http.StatusOK {
		t.Fatalf("GET / status %d", status)
	}
	if got := s.Text("#js"); got != "JavaScript is off" {
		t.Fatalf("with NoJavaScript, #js = %q; want the static text", got)
	}
	s.Fill("#name", "Beata")
	s.Fill("#name", "Aino") // replaces what the first Fill typed, not only the server's value
	if status := s.Submit("button[type=submit]"); status != http.StatusOK {
		t.Fatalf("POST /greet status %d", status)
	}
	if got := s.Text("#greeting"); got != "Hei, Aino!" {
		t.Fatalf("after the post, #greeting = %q; want %q (Fill replaces the value)", got, "Hei, Aino!")
	}
	if got := s.Text("#action"); got != "greet" {
		t.Fatalf("the button's value = %q; want greet (Submit clicks the button)", got)
	}
	if !strings.HasSuffix(s.URL(), "/greet") {
		t.Fatalf("URL after the post = %s", s.URL())
	}

	// axe needs scripts; it switches them on for its run and off again.
	s.RequireNoViolations()
	s.Navigate(srv.URL + "/")
	if got := s.Text("#js"); got != "JavaScript is off" {
		t.Fatalf("after an axe run, #js = %q; want scripts still off", got)
	}
}

// TestAxe: the unlabelled input breaks axe's rule "label"; the good page
// breaks none; RequireNoViolations reports the rule, its impact and the
// element.
func TestAxe(t *testing.T) {
	t.Parallel()
	b := Start(t)
	srv := server(t)
	s := b.NewSession(t, nil)

	s.Navigate(srv.URL + "/")
	if vs := s.Axe(); len(vs) != 0 {
		t.Fatalf("the good page: %+v; want no violations", vs)
	}
	s.RequireNoViolations() // axe is in the page now: the second run reuses it

	s.Navigate(srv.URL + "/bad") // a new document: axe is injected again
	vs := s.Axe()
	i := slices.IndexFunc(vs, func(v Violation) bool { return v.ID == "label" })
	if i < 0 {
		t.Fatalf("the bad page: %+v; want the rule label", vs)
	}
	if v := vs[i]; v.Impact != "critical" || len(v.Nodes) != 1 || !slices.Equal(v.Nodes[0].Target, []string{"#unlabelled"}) {
		t.Fatalf("label violation = %+v; want critical, on #unlabelled", v)
	}

	rec := &recorder{TB: t}
	rs := *s
	rs.t = rec
	rs.RequireNoViolations()
	if len(rec.fatals) != 1 {
		t.Fatalf("RequireNoViolations on the bad page: %d fatal messages; want 1", len(rec.fatals))
	}
	for _, want := range []string{"label (critical)", "#unlabelled", "/bad", "https://dequeuniversity.com/rules/axe/"} {
		if !strings.Contains(rec.fatals[0], want) {
			t.Errorf("RequireNoViolations says\n%s\nwithout %q", rec.fatals[0], want)
		}
	}
}

// TestScreenshot: the file is a PNG of the whole page, longer than the
// 800-pixel window.
func TestScreenshot(t *testing.T) {
	t.Parallel()
	b := Start(t)
	srv := server(t)
	dir := filepath.Join(t.TempDir(), "shots")
	s := b.NewSession(t, &Options{ScreenshotDir: dir})
	s.Navigate(srv.URL + "/")
	path := s.Screenshot("form")
	if path != filepath.Join(dir, "form.png") {
		t.Fatalf("path %s; want form.png in %s", path, dir)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s does not start with the PNG signature", path)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	if cfg.Width < 1000 || cfg.Height < 2000 {
		t.Fatalf("screenshot %dx%d; want the whole page (a 2000-pixel block, the stylesheet's) in the 1280-pixel window", cfg.Width, cfg.Height)
	}

	rec := &recorder{TB: t}
	rs := *s
	rs.t = rec
	rs.Screenshot("../escape")
	if len(rec.fatals) != 1 || !strings.Contains(rec.fatals[0], "without a directory") {
		t.Fatalf("a name with a directory: %q; want one failure", rec.fatals)
	}
}

// TestSessionsDoNotShareCookies: a cookie one session gets is not sent by
// another, and the first keeps sending it.
func TestSessionsDoNotShareCookies(t *testing.T) {
	t.Parallel()
	b := Start(t)
	srv := server(t)
	tutor := b.NewSession(t, nil)
	guardian := b.NewSession(t, nil)

	tutor.Navigate(srv.URL + "/cookie/set?v=tutor")
	guardian.Navigate(srv.URL + "/cookie")
	if got := guardian.Text("#who"); got != "none" {
		t.Fatalf("the second session sends the cookie %q; want none", got)
	}
	tutor.Navigate(srv.URL + "/cookie")
	if got := tutor.Text("#who"); got != "tutor" {
		t.Fatalf("the first session sends %q; want tutor", got)
	}
}

// TestStatus: a 403 page's status is seen, and the next navigation's
// replaces it.
func TestStatus(t *testing.T) {
	t.Parallel()
	b := Start(t)
	srv := server(t)
	s := b.NewSession(t, nil)
	if s.Status() != 0 {
		t.Fatalf("Status before any navigation = %d", s.Status())
	}
	if got := s.Navigate(srv.URL + "/forbidden"); got != http.StatusForbidden || s.Status() != http.StatusForbidden {
		t.Fatalf("Navigate = %d, Status = %d; want 403", got, s.Status())
	}
	if got := s.Text("#why"); !strings.Contains(got, "oikeutta") {
		t.Fatalf("the 403 page's text %q", got)
	}
	if n := s.Count("#why"); n != 1 {
		t.Fatalf("Count(#why) = %d", n)
	}
	s.Navigate(srv.URL + "/")
	if s.Status() != http.StatusOK {
		t.Fatalf("Status after GET / = %d", s.Status())
	}
	if n := s.Count("#why"); n != 0 {
		t.Fatalf("Count(#why) on another page = %d", n)
	}
	if v, ok := s.Attribute("#name", "value"); !ok || v != "luonnos" {
		t.Fatalf("Attribute(#name, value) = %q, %v", v, ok)
	}
	if _, ok := s.Attribute("#name", "aria-invalid"); ok {
		t.Fatal("Attribute reports an attribute the element lacks")
	}
}

// TestUnavailable: without a browser or axe the tests skip, unless CI=true
// or VALMENNUS_REQUIRE_BROWSER=1 makes them fail.
func TestUnavailable(t *testing.T) {
	for _, c := range []struct {
		ci, require string
		fatal       bool
	}{
		{"", "", false},
		{"false", "0", false},
		{"true", "", true},
		{"", "1", true},
	} {
		t.Run(fmt.Sprintf("CI=%q,require=%q", c.ci, c.require), func(t *testing.T) {
			t.Setenv("CI", c.ci)
			t.Setenv(EnvRequire, c.require)
			rec := &recorder{TB: t}
			unavailable(rec, "no chromium")
			if c.fatal {
				if len(rec.fatals) != 1 || len(rec.skips) != 0 || !strings.Contains(rec.fatals[0], "no chromium") {
					t.Fatalf("fatals %q, skips %q; want one failure", rec.fatals, rec.skips)
				}
				return
			}
			if len(rec.skips) != 1 || len(rec.fatals) != 0 || !strings.Contains(rec.skips[0], "no chromium") {
				t.Fatalf("fatals %q, skips %q; want one skip", rec.fatals, rec.skips)
			}
		})
	}

	t.Run("chromium", func(t *testing.T) {
		t.Setenv(EnvChromium, filepath.Join(t.TempDir(), "no-such-chromium"))
		if _, _, err := chromiumPath(); err == nil || !strings.Contains(err.Error(), EnvChromium) {
			t.Fatalf("a VALMENNUS_CHROMIUM that is not there: %v; want an error naming it", err)
		}
		t.Setenv(EnvChromium, "")
		t.Setenv("PATH", t.TempDir())
		if _, missing, err := chromiumPath(); err != nil || missing == "" {
			t.Fatalf("no chromium on PATH: missing %q, err %v; want missing", missing, err)
		}
	})

	t.Run("axe", func(t *testing.T) {
		if _, missing, err := readAxe(""); missing == "" || err != nil {
			t.Fatalf("unset: missing %q, err %v", missing, err)
		}
		if _, _, err := readAxe("axe.min.js"); err == nil || !strings.Contains(err.Error(), "absolute") {
			t.Fatalf("a relative path: %v", err)
		}
		dir := t.TempDir()
		if _, _, err := readAxe(filepath.Join(dir, "none.js")); err == nil {
			t.Fatal("a missing file: no error")
		}
		other := filepath.Join(dir, "other.js")
		if err := os.WriteFile(other, []byte("console.log(1)"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := readAxe(other); err == nil {
			t.Fatal("a file that is not axe: no error")
		}
	})
}

// recorder is a testing.TB whose Fatal, Fatalf and Skipf record the
// message and return, so a test can see what a helper reports.
type recorder struct {
	testing.TB
	fatals, skips []string
}

func (r *recorder) Fatal(args ...any) { r.fatals = append(r.fatals, fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skips = append(r.skips, fmt.Sprintf(format, args...))
}
