package oidctest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth/oidctest"
)

const (
	redirectURI = "http://127.0.0.1:1/callback"
	verifier    = "a-verifier-of-forty-three-characters-or-more-0123456789"
)

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func challenge(v string) string {
	s := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

func codeFlowProvider(t *testing.T) *oidctest.Provider {
	t.Helper()
	p, err := oidctest.Start(nil)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	require.NoError(t, p.AddClient(oidctest.Client{ID: "ui", RedirectURIs: []string{redirectURI}}))
	require.NoError(t, p.AddClient(oidctest.Client{ID: "conf", Secret: "s3cret", RedirectURIs: []string{redirectURI}}))
	require.NoError(t, p.AddUser("tutor", map[string]any{"name": "Tiina Tutor", "roles": []string{"omaohjaaja"}, "org": "org-a"}))
	return p
}

func authParams(client string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirectURI}, "scope": {"openid"},
		"state": {"st-1"}, "nonce": {"n-1"}, "code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"},
		"login_hint": {"tutor"}}
}

// authorize returns the status and the redirect's query (nil if none).
func authorize(t *testing.T, p *oidctest.Provider, q url.Values) (int, url.Values) {
	t.Helper()
	res, err := noRedirects.Get(p.URL() + "/authorize?" + q.Encode())
	require.NoError(t, err)
	defer res.Body.Close()
	if res.StatusCode != http.StatusFound {
		return res.StatusCode, nil
	}
	u, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(u.String(), redirectURI+"?"), u.String())
	return res.StatusCode, u.Query()
}

func code(t *testing.T, p *oidctest.Provider, client string) string {
	t.Helper()
	_, back := authorize(t, p, authParams(client))
	require.NotEmpty(t, back.Get("code"), back.Encode())
	assert.Equal(t, "st-1", back.Get("state"))
	return back.Get("code")
}

func exchange(t *testing.T, p *oidctest.Provider, form url.Values, user, pass string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.URL()+"/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(res.Body)
	require.NoError(t, json.Unmarshal(b, &out), string(b))
	return res.StatusCode, out
}

func tokenForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"code_verifier": {verifier}, "client_id": {"ui"}}
}

// A code exchanged with its verifier gives an ID token that go-oidc
// verifies, carrying the nonce and the user's claims; the same code a
// second time is invalid_grant.
func TestCodeFlowIssuesVerifiableIDToken(t *testing.T) {
	p := codeFlowProvider(t)
	c := code(t, p, "ui")
	status, tok := exchange(t, p, tokenForm(c), "", "")
	require.Equal(t, http.StatusOK, status, tok)
	assert.Equal(t, "Bearer", tok["token_type"])
	assert.NotEmpty(t, tok["access_token"])
	assert.EqualValues(t, 300, tok["expires_in"])
	prov, err := oidc.NewProvider(t.Context(), p.URL())
	require.NoError(t, err)
	idt, err := prov.Verifier(&oidc.Config{ClientID: "ui"}).Verify(t.Context(), tok["id_token"].(string))
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, idt.Claims(&claims))
	assert.Equal(t, "n-1", idt.Nonce)
	assert.Equal(t, "tutor", idt.Subject)
	assert.Equal(t, "ui", claims["azp"])
	assert.Equal(t, "org-a", claims["org"])
	assert.Equal(t, []any{"omaohjaaja"}, claims["roles"])
	assert.Equal(t, 0, p.Codes())

	status, tok = exchange(t, p, tokenForm(c), "", "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", tok["error"])

	// A confidential client authenticates with Basic.
	c = code(t, p, "conf")
	form := tokenForm(c)
	form.Del("client_id")
	status, tok = exchange(t, p, form, "conf", "s3cret")
	require.Equal(t, http.StatusOK, status, tok)
}

func TestAuthorizeRefusals(t *testing.T) {
	p := codeFlowProvider(t)
	for name, tc := range map[string]struct {
		edit   func(url.Values)
		status int
		err    string
	}{
		"unknown client":            {func(q url.Values) { q.Set("client_id", "other") }, http.StatusBadRequest, ""},
		"redirect not exact":        {func(q url.Values) { q.Set("redirect_uri", redirectURI+"/x") }, http.StatusBadRequest, ""},
		"redirect missing":          {func(q url.Values) { q.Del("redirect_uri") }, http.StatusBadRequest, ""},
		"implicit flow":             {func(q url.Values) { q.Set("response_type", "id_token") }, http.StatusFound, "unsupported_response_type"},
		"no openid scope":           {func(q url.Values) { q.Set("scope", "profile") }, http.StatusFound, "invalid_scope"},
		"no challenge":              {func(q url.Values) { q.Del("code_challenge") }, http.StatusFound, "invalid_request"},
		"plain challenge":           {func(q url.Values) { q.Set("code_challenge_method", "plain") }, http.StatusFound, "invalid_request"},
		"no challenge method":       {func(q url.Values) { q.Del("code_challenge_method") }, http.StatusFound, "invalid_request"},
		"unknown user":              {func(q url.Values) { q.Set("login_hint", "nobody") }, http.StatusFound, "access_denied"},
		"challenge of wrong length": {func(q url.Values) { q.Set("code_challenge", "short") }, http.StatusFound, "invalid_request"},
	} {
		t.Run(name, func(t *testing.T) {
			q := authParams("ui")
			tc.edit(q)
			status, back := authorize(t, p, q)
			require.Equal(t, tc.status, status)
			if tc.err != "" {
				assert.Equal(t, tc.err, back.Get("error"))
				assert.Equal(t, "st-1", back.Get("state"))
				assert.Empty(t, back.Get("code"))
			}
		})
	}
	assert.Equal(t, 0, p.Codes())
}

// Without a login_hint, /authorize shows a page with a labelled button per
// user; the button sends the same request with the login_hint.
func TestAuthorizeChooser(t *testing.T) {
	p := codeFlowProvider(t)
	require.NoError(t, p.AddUser("head", nil))
	q := authParams("ui")
	q.Del("login_hint")
	res, err := noRedirects.Get(p.URL() + "/authorize?" + q.Encode())
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	body := string(b)
	assert.Contains(t, body, `<button type="submit" name="login_hint" value="tutor">Sign in as Tiina Tutor (tutor)</button>`)
	assert.Contains(t, body, `value="head">Sign in as head</button>`)
	assert.Contains(t, body, `name="code_challenge" value="`+challenge(verifier)+`"`)
	assert.Contains(t, body, `<form method="get" action="/authorize">`)
}

func TestTokenRefusals(t *testing.T) {
	p := codeFlowProvider(t)
	for name, tc := range map[string]struct {
		edit       func(url.Values)
		user, pass string
		status     int
		err        string
	}{
		"wrong verifier":      {edit: func(f url.Values) { f.Set("code_verifier", verifier+"x") }, status: 400, err: "invalid_grant"},
		"no verifier":         {edit: func(f url.Values) { f.Del("code_verifier") }, status: 400, err: "invalid_grant"},
		"other redirect_uri":  {edit: func(f url.Values) { f.Set("redirect_uri", redirectURI+"/x") }, status: 400, err: "invalid_grant"},
		"unknown code":        {edit: func(f url.Values) { f.Set("code", "nope") }, status: 400, err: "invalid_grant"},
		"wrong grant type":    {edit: func(f url.Values) { f.Set("grant_type", "password") }, status: 400, err: "unsupported_grant_type"},
		"code of another":     {edit: func(f url.Values) { f.Del("client_id") }, user: "conf", pass: "s3cret", status: 400, err: "invalid_grant"},
		"unknown client":      {edit: func(f url.Values) { f.Set("client_id", "who") }, status: 401, err: "invalid_client"},
		"public with secret":  {edit: func(f url.Values) { f.Del("client_id") }, user: "ui", pass: "guess", status: 401, err: "invalid_client"},
		"confidential no pwd": {edit: func(f url.Values) { f.Set("client_id", "conf") }, status: 401, err: "invalid_client"},
		"confidential wrong":  {edit: func(f url.Values) { f.Del("client_id") }, user: "conf", pass: "wrong", status: 401, err: "invalid_client"},
	} {
		t.Run(name, func(t *testing.T) {
			c := code(t, p, "ui")
			form := tokenForm(c)
			tc.edit(form)
			status, out := exchange(t, p, form, tc.user, tc.pass)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.err, out["error"])
			assert.Nil(t, out["id_token"])
			if form.Get("code") != c {
				return // another code was sent: c is unspent
			}
			// The code was spent by the refused attempt: the right
			// request cannot use it now.
			status, out = exchange(t, p, tokenForm(c), "", "")
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, "invalid_grant", out["error"])
		})
	}
}

func TestCodeFlowKnobs(t *testing.T) {
	p := codeFlowProvider(t)
	p.SetCodeTTL(0)
	status, out := exchange(t, p, tokenForm(code(t, p, "ui")), "", "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", out["error"])

	p.SetCodeTTL(time.Minute)
	p.SetIDTokenEdit(func(c map[string]any) { c["nonce"] = "other" })
	status, out = exchange(t, p, tokenForm(code(t, p, "ui")), "", "")
	require.Equal(t, http.StatusOK, status)
	prov, err := oidc.NewProvider(t.Context(), p.URL())
	require.NoError(t, err)
	idt, err := prov.Verifier(&oidc.Config{ClientID: "ui"}).Verify(t.Context(), out["id_token"].(string))
	require.NoError(t, err)
	assert.Equal(t, "other", idt.Nonce)
}

func TestCodeFlowRegistrationErrors(t *testing.T) {
	p, err := oidctest.Start(nil)
	require.NoError(t, err)
	defer p.Close()
	assert.Error(t, p.AddClient(oidctest.Client{RedirectURIs: []string{redirectURI}}))
	assert.Error(t, p.AddClient(oidctest.Client{ID: "x"}))
	assert.Error(t, p.AddClient(oidctest.Client{ID: "x", RedirectURIs: []string{"/relative"}}))
	assert.Error(t, p.AddUser("", nil))
	assert.ErrorContains(t, p.AddUser("u", map[string]any{"nonce": "n"}), `"nonce"`)
	assert.Error(t, p.AddUser("u", map[string]any{"bad": func() {}}))
}
