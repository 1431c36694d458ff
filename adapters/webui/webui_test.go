package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

func TestNewRefusesBadOptions(t *testing.T) {
	env := ct.New(t, nil)
	login := devLogin(t)
	for name, tc := range map[string]struct {
		eng  *coaching.Engine
		opts *webui.Options
		want string
	}{
		"no engine":    {nil, &webui.Options{SessionKey: sessionKey, Login: login}, "engine"},
		"no options":   {env.Engine, nil, "SessionKey"},
		"short key":    {env.Engine, &webui.Options{SessionKey: sessionKey[:31], Login: login}, "at least 32 bytes"},
		"no login":     {env.Engine, &webui.Options{SessionKey: sessionKey}, "Login"},
		"relative":     {env.Engine, &webui.Options{SessionKey: sessionKey, Login: login, Prefix: "ui"}, "Prefix"},
		"pattern":      {env.Engine, &webui.Options{SessionKey: sessionKey, Login: login, Prefix: "/{x}"}, "Prefix"},
		"dot dot":      {env.Engine, &webui.Options{SessionKey: sessionKey, Login: login, Prefix: "/a/../b"}, "Prefix"},
		"negative TTL": {env.Engine, &webui.Options{SessionKey: sessionKey, Login: login, SessionTTL: -time.Second}, "SessionTTL"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := webui.New(tc.eng, tc.opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestNewDevLoginRefusesBadIdentities(t *testing.T) {
	for name, ids := range map[string][]webui.DevIdentity{
		"none":      nil,
		"empty key": {{Key: "", Label: "x", Actor: tutorA}},
		"space":     {{Key: "a b", Label: "x", Actor: tutorA}},
		"twice":     {{Key: "a", Label: "x", Actor: tutorA}, {Key: "a", Label: "y", Actor: tutorB}},
		"no label":  {{Key: "a", Actor: tutorA}},
		"no id":     {{Key: "a", Label: "x", Actor: coaching.Actor{Roles: []coaching.Role{coaching.RoleCoach}}}},
		"system":    {{Key: "a", Label: "x", Actor: coaching.Actor{ID: "x", Roles: []coaching.Role{coaching.RoleSystem}}}},
		// An identity code as the id or in the name would be in the
		// session, the audit trail and the pages.
		"identity code id":   {{Key: "a", Label: "x", Actor: coaching.Actor{ID: "010203A123X", Roles: []coaching.Role{coaching.RoleCoach}}}},
		"identity code name": {{Key: "a", Label: "x", Actor: coaching.Actor{ID: "x", Name: "Opettaja 010203-123X", Roles: []coaching.Role{coaching.RoleCoach}}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := webui.NewDevLogin(ids)
			assert.Error(t, err)
		})
	}
}

// Mounted at the root and under /ui/: not signed in, a page sends the
// person to sign in with the page as the return path; the sign-in page
// lists the development identities as buttons of one POST form; signing in
// sets the session cookie and lands on the page; signing out deletes it.
func TestSignInAndOut(t *testing.T) {
	for _, prefix := range []string{"", "/ui"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			f := newFixture(t, prefix)
			c := f.client(t)
			virtanen := f.cases["Virtanen"].ID

			rec := c.get(prefix + "/cases/" + string(virtanen))
			checkHeaders(t, rec)
			require.Equal(t, http.StatusSeeOther, rec.Code)
			loc := rec.Header().Get("Location")
			assert.Equal(t, prefix+"/login?return="+url.QueryEscape(prefix+"/cases/"+string(virtanen)), loc)

			rec = c.get(loc)
			require.Equal(t, http.StatusOK, rec.Code)
			text := checkPage(t, rec)
			assert.Contains(t, text, "Kehitystila", "the development sign-in says it is unsafe")
			assert.Contains(t, rec.Body.String(), `<form method="post" action="`+prefix+`/login/callback"`)
			assert.Contains(t, rec.Body.String(), `name="identity" value="tutor-a"`)
			assert.Contains(t, rec.Body.String(), `name="return" value="`+prefix+`/cases/`+string(virtanen)+`"`)

			rec = c.post(prefix+"/login/callback", url.Values{"identity": {"tutor-a"}, "lang": {"sv"},
				"return": {prefix + "/cases/" + string(virtanen)}})
			checkHeaders(t, rec)
			require.Equal(t, http.StatusSeeOther, rec.Code)
			assert.Equal(t, prefix+"/cases/"+string(virtanen), rec.Header().Get("Location"))
			var ck *http.Cookie
			for _, k := range rec.Result().Cookies() {
				if k.Name == webui.CookieName {
					ck = k
				}
			}
			require.NotNil(t, ck)
			assert.True(t, ck.Secure)
			assert.True(t, ck.HttpOnly)
			assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
			assert.Equal(t, "/", ck.Path)
			assert.Empty(t, ck.Domain)
			assert.WithinDuration(t, f.env.Clock.Now().Add(webui.DefaultSessionTTL), ck.Expires, time.Second)

			rec = c.get(prefix + "/")
			require.Equal(t, http.StatusOK, rec.Code)
			text = checkPage(t, rec)
			assert.Contains(t, rec.Body.String(), `<html lang="sv">`)
			assert.Contains(t, text, "Tiina Tutor")
			assert.Contains(t, text, "Egen handledare", "the role in Swedish")
			assert.Contains(t, text, "Logga ut")

			rec = c.post(prefix+"/logout", nil)
			checkHeaders(t, rec)
			require.Equal(t, http.StatusSeeOther, rec.Code)
			assert.Equal(t, prefix+"/login?lang=sv", rec.Header().Get("Location"))
			assert.Empty(t, c.cookie, "the cookie is deleted")
			rec = c.get(prefix + "/")
			assert.Equal(t, http.StatusSeeOther, rec.Code)
		})
	}
}

func TestSignInRefused(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	rec := c.post("/login/callback", url.Values{"identity": {"nobody"}})
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Kirjautuminen ei onnistunut")
	assert.Empty(t, c.cookie)
	// A GET cannot sign in: it changes state.
	rec = c.get("/login/callback?identity=tutor-a")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Empty(t, c.cookie)
	// Signing in is not a GET link either.
	rec = c.get("/login")
	assert.NotContains(t, rec.Body.String(), "callback?identity")
}

// A form posted from another site (Sec-Fetch-Site: cross-site, or an
// Origin that is not the host) is refused with the localized 403 page and
// changes nothing.
func TestCrossOriginPostRefused(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.signIn("", "tutor-a", "en")
	cookie := c.cookie

	for name, set := range map[string]func(*http.Request){
		"sec-fetch-site": func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") },
		"same-site":      func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-site") },
		"origin":         func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
	} {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/logout", "/language", "/login/callback"} {
				req, _ := http.NewRequest(http.MethodPost, "https://example.com"+path, strings.NewReader("lang=sv&identity=head-a"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				set(req)
				rec := c.do(req)
				assert.Equal(t, http.StatusForbidden, rec.Code, path)
				text := checkPage(t, rec)
				assert.Contains(t, text, "came from another site", path)
				assert.Empty(t, rec.Result().Cookies(), "%s: no cookie set or deleted", path)
				assert.Equal(t, cookie, c.cookie)
			}
		})
	}
	rec := c.get("/")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `<html lang="en">`, "the language did not change")
}

// An altered, foreign or expired session cookie is not a session: the
// person is sent to sign in and the cookie deleted.
func TestBadSessionCookieRefused(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.signIn("", "tutor-a", "fi")
	good := c.cookie
	payload, sig, ok := strings.Cut(good, ".")
	require.True(t, ok)
	flip := func(s string) string {
		b := []byte(s)
		if b[5] == 'A' {
			b[5] = 'B'
		} else {
			b[5] = 'A'
		}
		return string(b)
	}
	other, err := webui.New(f.env.Engine, &webui.Options{SessionKey: []byte("another key of thirty-two bytes!"), Login: devLogin(t)})
	require.NoError(t, err)
	oc := &client{t: t, h: other}
	oc.signIn("", "head-a", "fi")

	for name, value := range map[string]string{
		"payload altered":   flip(payload) + "." + sig,
		"signature altered": payload + "." + flip(sig),
		"no signature":      payload,
		"another key":       oc.cookie,
		"garbage":           "x.y",
		"too long":          strings.Repeat("a", 5000) + "." + sig,
	} {
		t.Run(name, func(t *testing.T) {
			bc := &client{t: t, h: f.h, cookie: value}
			rec := bc.get("/")
			assert.Equal(t, http.StatusSeeOther, rec.Code)
			assert.Equal(t, "/login?return=%2F", rec.Header().Get("Location"))
			assert.Empty(t, bc.cookie, "the bad cookie is deleted")
		})
	}

	rec := c.get("/")
	assert.Equal(t, http.StatusOK, rec.Code)
	f.env.Clock.Advance(webui.DefaultSessionTTL - time.Second)
	rec = c.get("/")
	assert.Equal(t, http.StatusOK, rec.Code, "still valid a second before it expires")
	f.env.Clock.Advance(time.Second)
	rec = c.get("/")
	assert.Equal(t, http.StatusSeeOther, rec.Code, "expired")
}

// A return path is only ever a page of the interface: anything else lands
// on the start page.
func TestOpenRedirectRefused(t *testing.T) {
	for _, prefix := range []string{"", "/ui"} {
		f := newFixture(t, prefix)
		home := prefix + "/"
		for ret, want := range map[string]string{
			"//evil.example/":                  home,
			"https://evil.example/":            home,
			"/\\evil.example":                  home,
			"\\\\evil.example":                 home,
			"javascript:alert(1)":              home,
			"/%2F%2Fevil.example":              home + "",
			"":                                 home,
			"evil.example":                     home,
			"/ui-other/x":                      home,
			"/\r\nLocation: https://e.example": home,
			prefix + "/login?return=//e.x":     home,
			prefix + "/cases/x?y=1":            prefix + "/cases/x?y=1",
		} {
			if prefix == "" && ret == "/%2F%2Fevil.example" {
				// At the root, a local path that merely looks odd is a
				// page of the interface (the 404 page), not another site.
				want = ret
			}
			if prefix == "" && ret == "/ui-other/x" {
				want = ret
			}
			c := f.client(t)
			rec := c.post(prefix+"/login/callback", url.Values{"identity": {"tutor-a"}, "return": {ret}})
			require.Equal(t, http.StatusSeeOther, rec.Code)
			assert.Equal(t, want, rec.Header().Get("Location"), "prefix %q return %q", prefix, ret)

			rec = c.post(prefix+"/language", url.Values{"lang": {"en"}, "return": {ret}})
			require.Equal(t, http.StatusSeeOther, rec.Code)
			assert.Equal(t, want, rec.Header().Get("Location"), "language switch: prefix %q return %q", prefix, ret)
		}
		// The sign-in page carries only a checked return path.
		c := f.client(t)
		rec := c.get(prefix + "/login?return=" + url.QueryEscape("https://evil.example/"))
		assert.NotContains(t, rec.Body.String(), "evil.example")
	}
}

// The caseload is the tutor's own students in urgency order: the flagged
// student first; another organisation's student is not on it.
func TestCaseloadFlaggedFirst(t *testing.T) {
	f := newFixture(t, "/ui")
	c := f.client(t)
	c.signIn("/ui", "tutor-a", "fi")
	rec := c.get("/ui/")
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	body := rec.Body.String()
	iV, iA, iB := strings.Index(body, "Testi Virtanen"), strings.Index(body, "Testi Aho"), strings.Index(body, "Testi Böök")
	require.True(t, iV > 0 && iA > 0 && iB > 0, text)
	assert.Less(t, iV, iA, "the flagged student first")
	assert.Less(t, iV, iB, "the flagged student first")
	assert.Contains(t, text, "3 selvittämätöntä poissaoloa 10 päivässä", "the flag, in Finnish")
	assert.Contains(t, body, `<tr class="flagged">`)
	assert.Contains(t, body, `href="/ui/cases/`+string(f.cases["Virtanen"].ID)+`"`)
	assert.NotContains(t, text, "Berg", "another organisation's student")
	assert.Contains(t, text, "Opintojen alku", "the phase, in Finnish")

	// Filters are GET parameters of a plain form.
	rec = c.get("/ui/?flagged=1")
	require.Equal(t, http.StatusOK, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Testi Virtanen")
	assert.NotContains(t, text, "Testi Aho")
	assert.Contains(t, rec.Body.String(), `id="f-flagged" name="flagged" value="1" checked`)

	// A bad filter is said in the page's language beside its control,
	// and a number that is not one as such.
	rec = c.get("/ui/?sort=name&no_contact=x")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Rajaus ei kelpaa")
	assert.Contains(t, text, "Ei yhteydenottoa vähintään (päivää): Anna luku.")
	assert.NotContains(t, text, "no_contact_days")
	assert.Contains(t, rec.Body.String(), `<span class="field-error" id="e-nocontact">Anna luku.</span>`)
	assert.Contains(t, rec.Body.String(), `value="x" aria-invalid="true" aria-describedby="e-nocontact">`)
	rec = c.get("/ui/?no_contact=99999")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Anna päivien määrä väliltä 0–3660.")

	// A head of studies is on no team: their own caseload is empty, said
	// so (their start page is the organisation's, work_test.go).
	hc := f.client(t)
	hc.signIn("/ui", "head-a", "en")
	rec = hc.get("/ui/?scope=mine")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, checkPage(t, rec), "No cases match this filter.")
}

// The case page shows the case under the policy; another organisation's
// case is the same 404 page as a case that does not exist, without its
// name; a case of one's own organisation that the policy denies is the
// 403 page.
func TestCasePage(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.signIn("", "tutor-a", "en")
	virtanen := f.cases["Virtanen"]
	rec := c.get("/cases/" + string(virtanen.ID))
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	body := rec.Body.String()
	assert.Contains(t, body, "<h1>Testi Virtanen</h1>")
	assert.Contains(t, text, "First-year coaching")
	assert.Contains(t, body, `<li class="current" aria-current="step">Start of studies`)
	assert.Contains(t, text, "Individual and group coaching")
	assert.Contains(t, text, virtanen.Phase.DueAt.In(coaching.Helsinki).Format("2006-01-02"), "the phase deadline")
	assert.Contains(t, text, "Personal tutor Tiina Tutor", "the team")

	// Another organisation's case and a missing one: the same 404 page.
	missing := c.get("/cases/no-such-case")
	require.Equal(t, http.StatusNotFound, missing.Code)
	checkPage(t, missing)
	rec = c.get("/cases/" + string(f.cases["Berg"].ID))
	require.Equal(t, http.StatusNotFound, rec.Code)
	assert.Equal(t, checkPage(t, missing), checkPage(t, rec), "another organisation's case is answered as a missing one")
	assert.NotContains(t, rec.Body.String(), "Berg")

	// Organisation A's tutor on none of its teams: denied, 403.
	oc := f.client(t)
	oc.signIn("", "other-a", "fi")
	rec = oc.get("/cases/" + string(virtanen.ID))
	require.Equal(t, http.StatusForbidden, rec.Code)
	text = checkPage(t, rec)
	assert.Contains(t, text, "Ei käyttöoikeutta")
	assert.NotContains(t, text, "Virtanen")

	// The case moves on: the timeline marks the phase done and the next
	// one current.
	f.env.Drive(t, virtanen.ID, ct.Step{Event: coaching.PilotMapInitialSituation, As: tutorA,
		Options: &coaching.FireOptions{Payload: initialSituation(f)}})
	rec = c.get("/cases/" + string(virtanen.ID))
	require.Equal(t, http.StatusOK, rec.Code)
	body = rec.Body.String()
	assert.Contains(t, body, `<li class="done">Start of studies`)
	assert.Contains(t, body, `<li class="current" aria-current="step">Individual and group coaching`)
}

// The language switch is a POST that keeps the session and changes its
// language.
func TestLanguageSwitch(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.signIn("", "tutor-a", "fi")
	rec := c.get("/")
	body := rec.Body.String()
	assert.Contains(t, body, `<html lang="fi">`)
	assert.Contains(t, body, `<form method="post" action="/language"`)
	assert.Contains(t, body, `name="return" value="/"`)
	rec = c.post("/language", url.Values{"lang": {"en"}, "return": {"/?sort=name"}})
	require.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "/?sort=name", rec.Header().Get("Location"))
	rec = c.get("/?sort=name")
	assert.Contains(t, rec.Body.String(), `<html lang="en">`)
	assert.Contains(t, checkPage(t, rec), "My caseload")
	rec = c.post("/language", url.Values{"lang": {"de"}})
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	checkPage(t, rec)
}

// Pages that are not: a localized 404 page with the headers; a method a
// page does not take: 405 with Allow. The style sheet is served with a
// long cache under its hash.
func TestNotFoundAndStatic(t *testing.T) {
	f := newFixture(t, "/ui")
	c := f.client(t)
	rec := c.get("/ui/nope")
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Contains(t, checkPage(t, rec), "Sivua ei löytynyt")
	rec = c.get("/ui/nope?lang=sv")
	assert.Contains(t, checkPage(t, rec), "Sidan hittades inte")

	rec = c.post("/ui/cases/x", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Contains(t, rec.Header().Get("Allow"), "GET")
	checkPage(t, rec)

	rec = c.get("/ui/login")
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	i := strings.Index(body, `<link rel="stylesheet" href="`)
	require.Positive(t, i)
	href := body[i+len(`<link rel="stylesheet" href="`):]
	href = href[:strings.Index(href, `"`)]
	assert.True(t, strings.HasPrefix(href, "/ui/static/style.") && strings.HasSuffix(href, ".css"), href)
	rec = c.get(href)
	require.Equal(t, http.StatusOK, rec.Code)
	checkHeaders(t, rec)
	assert.Equal(t, "text/css; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Header().Get("Cache-Control"), "immutable")
	assert.Contains(t, rec.Body.String(), ":focus-visible")
	rec = c.get("/ui/static/style.0000.css")
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

// The log has one line per request with the route and status, and never
// a person's name, a case id or a participant id.
func TestNoPersonalDataInLogs(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.get("/")
	c.signIn("", "tutor-a", "fi")
	c.get("/")
	c.get("/cases/" + string(f.cases["Virtanen"].ID))
	c.get("/cases/" + string(f.cases["Berg"].ID))
	c.get("/cases/010101-123N")
	c.post("/language", url.Values{"lang": {"sv"}})
	c.post("/logout", nil)
	logs := f.logs.String()
	require.Contains(t, logs, "route=\"GET /cases/{case}\"")
	for _, fam := range []string{"Virtanen", "Berg", "Aho"} {
		cs := f.cases[fam]
		assert.NotContains(t, logs, fam)
		assert.NotContains(t, logs, string(cs.ID))
		assert.NotContains(t, logs, string(cs.ParticipantID))
	}
	for _, s := range []string{"Tiina", "tutor-a", "010101-123N"} {
		assert.NotContains(t, logs, s)
	}
}

// initialSituation is a complete pilot initial situation mapped today.
func initialSituation(f *fixture) coaching.InitialSituation {
	today := coaching.DateOf(f.env.Clock.Now())
	return coaching.InitialSituation{LiteracyScreening: coaching.ScreeningNoNeed, MathsScreening: coaching.ScreeningNoNeed,
		InitialInterviewDate: today, HOKSDraftingStarted: today}
}

// Names are data: markup in a name is shown as text, on the caseload
// (whose rows are written in Go, see rowHTML) and on the case page.
func TestHostileNamesEscaped(t *testing.T) {
	f := newFixture(t, "")
	p := ct.Participant(func(p *coaching.Participant) {
		p.GivenNames, p.FamilyName, p.Organisation = `<script>x</script>`, `"><img src=x>&'`, orgA
	})
	c0, err := f.env.Engine.Enrol(context.Background(), headA, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
		Team: []coaching.TeamMember{ct.TeamMember(tutorA, coaching.RolePersonalTutor)}})
	require.NoError(t, err)
	c := f.client(t)
	c.signIn("", "tutor-a", "fi")
	for _, path := range []string{"/", "/cases/" + string(c0.ID)} {
		rec := c.get(path)
		require.Equal(t, http.StatusOK, rec.Code)
		text := checkPage(t, rec) // no <script> element, no <img>
		body := rec.Body.String()
		assert.Contains(t, text, `<script>x</script> "><img src=x>&'`, path)
		assert.NotContains(t, body, "<img", path)
	}
}

// A caseload longer than a page links to the next page (the list's
// cursor in the query), and a later page back to the first.
func TestCaseloadPages(t *testing.T) {
	f := newFixture(t, "/ui")
	for i := range 48 {
		p := ct.Participant(func(p *coaching.Participant) {
			p.GivenNames, p.FamilyName, p.Organisation = "Testi", "Lisä"+strings.Repeat("a", i+1), orgA
		})
		_, err := f.env.Engine.Enrol(context.Background(), headA, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
			Team: []coaching.TeamMember{ct.TeamMember(tutorA, coaching.RolePersonalTutor)}})
		require.NoError(t, err)
	}
	c := f.client(t)
	c.signIn("/ui", "tutor-a", "en")
	rec := c.get("/ui/?sort=name")
	require.Equal(t, http.StatusOK, rec.Code)
	checkPage(t, rec)
	body := rec.Body.String()
	assert.Equal(t, 50, strings.Count(body, `<th scope="row">`))
	i := strings.Index(body, `rel="next"`)
	require.Positive(t, i, "a link to the next page")
	start := strings.LastIndex(body[:i], `href="`) + len(`href="`)
	next := strings.ReplaceAll(body[start:start+strings.Index(body[start:], `"`)], "&amp;", "&")
	assert.True(t, strings.HasPrefix(next, "/ui/?"), next)
	assert.Contains(t, next, "sort=name")
	rec = c.get(next)
	require.Equal(t, http.StatusOK, rec.Code)
	text := checkPage(t, rec)
	assert.Equal(t, 1, strings.Count(rec.Body.String(), `<th scope="row">`), "51 cases: one on the second page")
	assert.Contains(t, text, "Testi Virtanen", "by name: Virtanen is last")
	assert.Contains(t, text, "First page")
	assert.NotContains(t, rec.Body.String(), `rel="next"`)
}
