package webui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/httpauth/oidctest"
	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// oidcEnv is the interface behind a real HTTP server, signing in through
// an in-process OpenID provider.
type oidcEnv struct {
	idp   *oidctest.Provider
	srv   *httptest.Server
	h     atomic.Pointer[http.Handler]
	logs  *syncBuffer
	env   *ct.Env
	clock struct {
		sync.Mutex
		skew time.Duration
	}
	mu    sync.Mutex
	codes []string // every code seen on a callback URL
}

var oidcMapping = httpauth.ClaimsMapping{IDPrefix: "staff:",
	Roles:             map[string]coaching.Role{"omaohjaaja": coaching.RolePersonalTutor, "opinto-ohjaaja": coaching.RoleStudyCounsellor},
	OrganisationClaim: "org", Organisations: []coaching.OrganisationID{orgA, orgB}}

func newOIDCEnv(t *testing.T) *oidcEnv {
	t.Helper()
	e := &oidcEnv{logs: &syncBuffer{}, env: ct.New(t, nil)}
	idp, err := oidctest.Start(nil)
	require.NoError(t, err)
	t.Cleanup(idp.Close)
	e.idp = idp
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ui/login/callback" {
			e.mu.Lock()
			if c := r.URL.Query().Get("code"); c != "" {
				e.codes = append(e.codes, c)
			}
			e.mu.Unlock()
		}
		(*e.h.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	require.NoError(t, idp.AddClient(oidctest.Client{ID: "valmennus-ui", RedirectURIs: []string{e.srv.URL + "/ui/login/callback"}}))
	for login, claims := range map[string]map[string]any{
		"tutor":     {"sub": "tutor-a", "name": "Tiina Tutor", "roles": []string{"omaohjaaja"}, "org": string(orgA)},
		"principal": {"sub": "p-1", "roles": []string{"rehtori"}, "org": string(orgA)},
		"elsewhere": {"sub": "x-1", "roles": []string{"omaohjaaja"}, "org": "org-z"},
		"system":    {"sub": "s-1", "roles": []string{"system"}, "org": string(orgA)},
		"hetu":      {"sub": "010203A123X", "roles": []string{"omaohjaaja"}, "org": string(orgA)},
	} {
		require.NoError(t, idp.AddUser(login, claims))
	}
	e.serve(t, sessionKey)
	return e
}

// serve makes the server answer with an interface whose OIDCLogin signs
// its login cookie with cookieKey.
func (e *oidcEnv) serve(t *testing.T, cookieKey []byte) {
	t.Helper()
	opts := &webui.OIDCLoginOptions{Issuer: e.idp.URL(), ClientID: "valmennus-ui", RedirectURL: e.srv.URL + "/ui/login/callback",
		Mapping: oidcMapping, CookieKey: cookieKey}
	opts.Test.Now = func() time.Time {
		e.clock.Lock()
		defer e.clock.Unlock()
		return time.Now().Add(e.clock.skew)
	}
	login, err := webui.NewOIDCLogin(t.Context(), opts)
	require.NoError(t, err)
	// The wall clock: a real cookie jar drops a session cookie that
	// expires by the engine's test clock, which is not today.
	ui, err := webui.New(e.env.Engine, &webui.Options{Prefix: "/ui", SessionKey: sessionKey, Login: login, Clock: coaching.SystemClock{},
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/ui/", ui)
	var h http.Handler = mux
	e.h.Store(&h)
}

// browser is a person's browser: a cookie jar, following redirects
// except, when stopAtCallback, the provider's redirect to the callback.
type browser struct {
	t   *testing.T
	c   *http.Client
	jar http.CookieJar
	e   *oidcEnv
}

func (e *oidcEnv) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, jar: jar, e: e, c: &http.Client{Jar: jar}}
}

func (b *browser) get(u string, stopAtCallback bool) (*http.Response, string) {
	b.t.Helper()
	c := *b.c
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if stopAtCallback && req.URL.Path == "/ui/login/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	res, err := c.Get(u)
	require.NoError(b.t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(b.t, err)
	res.Body.Close()
	return res, string(body)
}

// begin signs in up to the provider's redirect back and returns the
// callback URL (the code and state in it).
func (b *browser) begin(loginHint string) string {
	b.t.Helper()
	u := b.e.srv.URL + "/ui/login?lang=en&return=%2Fui%2F"
	if loginHint != "" {
		u += "&login_hint=" + url.QueryEscape(loginHint)
	}
	res, _ := b.get(u, true)
	require.Equal(b.t, http.StatusFound, res.StatusCode)
	loc, err := res.Location()
	require.NoError(b.t, err)
	require.Equal(b.t, "/ui/login/callback", loc.Path)
	return loc.String()
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.e.srv.URL + "/")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// refusedAt asserts that following callback ends on the sign-in failure
// page, with no session.
func (b *browser) refusedAt(callback string) {
	b.t.Helper()
	res, body := b.get(callback, false)
	assert.Equal(b.t, http.StatusBadRequest, res.StatusCode, body)
	assert.Contains(b.t, body, "Kirjautuminen ei onnistunut") // the callback carries no lang
	assert.Empty(b.t, b.cookie(webui.CookieName), "a refused sign-in has no session")
	assert.Empty(b.t, b.cookie(webui.LoginCookieName), "the login cookie is deleted")
	assert.NotContains(b.t, body, "code=", "the page's links never repeat the provider's code")
	assert.NotContains(b.t, body, "state=", "nor its state")
}

// checkLogs asserts that no code and no token reached the log.
func (e *oidcEnv) checkLogs(t *testing.T) {
	t.Helper()
	logs := e.logs.String()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.codes {
		assert.NotContains(t, logs, c)
	}
	assert.NotContains(t, logs, "eyJ", "no JWT in the log")
	assert.NotContains(t, logs, "tutor-a")
}

// A person signs in through the provider's chooser page and lands on
// their caseload; a login_hint skips the chooser.
func TestOIDCSignIn(t *testing.T) {
	e := newOIDCEnv(t)
	b := e.browser(t)
	res, page := b.get(e.srv.URL+"/ui/login?lang=en&return=%2Fui%2F", false)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.True(t, strings.HasPrefix(res.Request.URL.String(), e.idp.URL()+"/authorize?"), "on the provider's chooser")
	assert.Equal(t, "en", res.Request.URL.Query().Get("ui_locales"))
	assert.Equal(t, "S256", res.Request.URL.Query().Get("code_challenge_method"))
	assert.NotEmpty(t, b.cookie(webui.LoginCookieName))

	res, page = b.get(chooserButton(t, e.idp.URL(), page, "Sign in as Tiina Tutor (tutor)"), false)
	require.Equal(t, http.StatusOK, res.StatusCode, page)
	assert.Equal(t, "/ui/", res.Request.URL.Path)
	assert.Contains(t, page, "My caseload")
	assert.Contains(t, page, "Tiina Tutor")
	assert.NotEmpty(t, b.cookie(webui.CookieName))
	assert.Empty(t, b.cookie(webui.LoginCookieName), "the login cookie is spent")
	assert.Equal(t, 0, e.idp.Codes())

	b = e.browser(t)
	res, page = b.get(b.begin("tutor"), false)
	require.Equal(t, http.StatusOK, res.StatusCode, page)
	assert.Contains(t, page, "My caseload")
	e.checkLogs(t)
}

// chooserButton is the URL the chooser's form sends for the button
// labelled label.
func chooserButton(t *testing.T, base, page, label string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	q := url.Values{}
	action := ""
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		attr := func(k string) string {
			for _, a := range n.Attr {
				if a.Key == k {
					return a.Val
				}
			}
			return ""
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				action = attr("action")
			case "input":
				q.Add(attr("name"), attr("value"))
			case "button":
				if n.FirstChild != nil && n.FirstChild.Data == label {
					q.Set(attr("name"), attr("value"))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	require.NotEmpty(t, q.Get("login_hint"), "no button labelled %q", label)
	return base + action + "?" + q.Encode()
}

func TestOIDCSignInRefusals(t *testing.T) {
	e := newOIDCEnv(t)

	t.Run("tampered state", func(t *testing.T) {
		b := e.browser(t)
		before := e.idp.Codes()
		cb, err := url.Parse(b.begin("tutor"))
		require.NoError(t, err)
		q := cb.Query()
		q.Set("state", q.Get("state")+"x")
		cb.RawQuery = q.Encode()
		b.refusedAt(cb.String())
		assert.Equal(t, before+1, e.idp.Codes(), "the code is not exchanged")
	})
	t.Run("replayed code", func(t *testing.T) {
		b := e.browser(t)
		cb := b.begin("tutor")
		loginCookie := b.cookie(webui.LoginCookieName)
		res, _ := b.get(cb, false)
		require.Equal(t, http.StatusOK, res.StatusCode)
		// An attacker holding the callback URL and the login cookie
		// (both spent) replays them.
		c := e.browser(t)
		u, _ := url.Parse(e.srv.URL + "/")
		c.jar.SetCookies(u, []*http.Cookie{{Name: webui.LoginCookieName, Value: loginCookie, Path: "/", Secure: true}})
		c.refusedAt(cb)
	})
	t.Run("expired code", func(t *testing.T) {
		e.idp.SetCodeTTL(0)
		defer e.idp.SetCodeTTL(oidctest.DefaultCodeTTL)
		b := e.browser(t)
		b.refusedAt(b.begin("tutor"))
	})
	t.Run("wrong nonce", func(t *testing.T) {
		e.idp.SetIDTokenEdit(func(c map[string]any) { c["nonce"] = "another-sign-in" })
		defer e.idp.SetIDTokenEdit(nil)
		b := e.browser(t)
		b.refusedAt(b.begin("tutor"))
		assert.Contains(t, e.logs.String(), "nonce is not this sign-in")
	})
	t.Run("no nonce", func(t *testing.T) {
		e.idp.SetIDTokenEdit(func(c map[string]any) { delete(c, "nonce") })
		defer e.idp.SetIDTokenEdit(nil)
		b := e.browser(t)
		b.refusedAt(b.begin("tutor"))
	})
	t.Run("another audience", func(t *testing.T) {
		e.idp.SetIDTokenEdit(func(c map[string]any) { c["aud"], c["azp"] = "other-app", "other-app" })
		defer e.idp.SetIDTokenEdit(nil)
		b := e.browser(t)
		b.refusedAt(b.begin("tutor"))
	})
	t.Run("another authorized party", func(t *testing.T) {
		e.idp.SetIDTokenEdit(func(c map[string]any) { c["aud"], c["azp"] = []string{"valmennus-ui", "other-app"}, "other-app" })
		defer e.idp.SetIDTokenEdit(nil)
		b := e.browser(t)
		b.refusedAt(b.begin("tutor"))
		assert.Contains(t, e.logs.String(), "issued to another client")
	})
	t.Run("role outside the allow-list", func(t *testing.T) {
		b := e.browser(t)
		b.refusedAt(b.begin("principal"))
		assert.Contains(t, e.logs.String(), "a role this service does not accept")
	})
	t.Run("system role", func(t *testing.T) {
		b := e.browser(t)
		b.refusedAt(b.begin("system"))
	})
	t.Run("identity code as the subject", func(t *testing.T) {
		b := e.browser(t)
		b.refusedAt(b.begin("hetu"))
		assert.Contains(t, e.logs.String(), "personal identity code")
		assert.NotContains(t, e.logs.String(), "010203A123X", "the code is never logged")
	})
	t.Run("unknown organisation", func(t *testing.T) {
		b := e.browser(t)
		b.refusedAt(b.begin("elsewhere"))
		assert.Contains(t, e.logs.String(), "an organisation this service does not serve")
	})
	t.Run("provider refuses", func(t *testing.T) {
		b := e.browser(t)
		b.refusedAt(b.begin("nobody"))
		assert.Contains(t, e.logs.String(), "the identity provider answered access_denied")
	})
	t.Run("no login cookie", func(t *testing.T) {
		cb := e.browser(t).begin("tutor")
		e.browser(t).refusedAt(cb) // another browser: login CSRF
	})
	t.Run("login cookie of another key", func(t *testing.T) {
		b := e.browser(t)
		before := e.idp.Codes()
		cb := b.begin("tutor")
		e.serve(t, []byte("another key, another key, another key!"))
		defer e.serve(t, sessionKey)
		b.refusedAt(cb)
		assert.Equal(t, before+1, e.idp.Codes(), "the code is not exchanged")
	})
	t.Run("expired login cookie", func(t *testing.T) {
		b := e.browser(t)
		cb := b.begin("tutor")
		e.clock.Lock()
		e.clock.skew = webui.LoginCookieTTL + time.Second
		e.clock.Unlock()
		defer func() { e.clock.Lock(); e.clock.skew = 0; e.clock.Unlock() }()
		b.refusedAt(cb)
	})
	t.Run("a POST to the callback", func(t *testing.T) {
		b := e.browser(t)
		cb := b.begin("tutor")
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, cb, nil)
		require.NoError(t, err)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res, err := b.c.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	})
	e.checkLogs(t)
}

func TestNewOIDCLoginOptions(t *testing.T) {
	idp, err := oidctest.Start(nil)
	require.NoError(t, err)
	defer idp.Close()
	good := func() *webui.OIDCLoginOptions {
		return &webui.OIDCLoginOptions{Issuer: idp.URL(), ClientID: "c", RedirectURL: "https://ui.example/ui/login/callback",
			Mapping: oidcMapping, CookieKey: sessionKey}
	}
	_, err = webui.NewOIDCLogin(t.Context(), good())
	require.NoError(t, err)
	for name, edit := range map[string]func(*webui.OIDCLoginOptions){
		"no issuer":         func(o *webui.OIDCLoginOptions) { o.Issuer = "" },
		"no client":         func(o *webui.OIDCLoginOptions) { o.ClientID = "" },
		"relative redirect": func(o *webui.OIDCLoginOptions) { o.RedirectURL = "/ui/login/callback" },
		"not the callback":  func(o *webui.OIDCLoginOptions) { o.RedirectURL = "https://ui.example/cb" },
		"short key":         func(o *webui.OIDCLoginOptions) { o.CookieKey = []byte("short") },
		"no roles":          func(o *webui.OIDCLoginOptions) { o.Mapping.Roles = nil },
		"system role": func(o *webui.OIDCLoginOptions) {
			o.Mapping.Roles = map[string]coaching.Role{"x": coaching.RoleSystem}
		},
		"issuer elsewhere": func(o *webui.OIDCLoginOptions) { o.Issuer = idp.URL() + "/nothing" },
	} {
		_, err := webui.NewOIDCLogin(t.Context(), func() *webui.OIDCLoginOptions { o := good(); edit(o); return o }())
		assert.Error(t, err, name)
	}
	_, err = webui.NewOIDCLogin(t.Context(), nil)
	assert.Error(t, err)
}
