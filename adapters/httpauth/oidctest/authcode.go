package oidctest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636, OpenID
// Connect Core §3.1) that the discovery document advertises: GET
// /authorize signs a registered user in (chosen by login_hint, or with a
// button on a chooser page) and redirects back with a single-use code;
// POST /token exchanges the code and its PKCE verifier for an ID token
// signed with the current key.

// DefaultCodeTTL is how long an authorization code can be exchanged.
const DefaultCodeTTL = 60 * time.Second

// IDTokenTTL is how long the ID tokens of the code flow are valid.
const IDTokenTTL = 5 * time.Minute

// Client is a relying party registered with the provider's code flow.
type Client struct {
	// ID is the client_id; required.
	ID string
	// Secret, when set, makes the client confidential: it must
	// authenticate at /token with HTTP Basic (client_secret_basic).
	// Empty: a public client, which sends no secret (method "none").
	Secret string
	// RedirectURIs are the exact redirect_uri values accepted (no prefix
	// or pattern matching, as OAuth 2.0 Security BCP requires); at least
	// one.
	RedirectURIs []string
}

// reservedClaims are set by the provider on every ID token; a user's
// claims may not name them.
var reservedClaims = []string{"iss", "aud", "azp", "iat", "exp", "nbf", "nonce", "auth_time"}

type user struct {
	login  string
	claims map[string]any
}

// grant is what an issued code stands for.
type grant struct {
	client, redirectURI, challenge, nonce string
	user                                  user
	expires                               time.Time
}

type codeFlow struct {
	mu      sync.Mutex
	clients map[string]Client
	users   []user // in the order added: the chooser's order
	codes   map[string]grant
	codeTTL time.Duration
	edit    func(claims map[string]any)
}

func newCodeFlow() *codeFlow {
	return &codeFlow{clients: map[string]Client{}, codes: map[string]grant{}, codeTTL: DefaultCodeTTL}
}

// AddClient registers (or replaces) a client of the code flow.
func (p *Provider) AddClient(c Client) error {
	if c.ID == "" {
		return errors.New("oidctest: a client needs an id")
	}
	if len(c.RedirectURIs) == 0 {
		return fmt.Errorf("oidctest: client %q has no redirect URI", c.ID)
	}
	for _, u := range c.RedirectURIs {
		if pu, err := url.Parse(u); err != nil || !pu.IsAbs() || pu.Fragment != "" {
			return fmt.Errorf("oidctest: client %q: redirect URI %q is not an absolute URL without a fragment", c.ID, u)
		}
	}
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	p.flow.mu.Lock()
	p.flow.clients[c.ID] = c
	p.flow.mu.Unlock()
	return nil
}

// AddUser registers (or replaces) a person who can sign in at /authorize,
// chosen by login (the login_hint, or the chooser's button). claims are
// put in their ID tokens as given (roles, organisation, name...); "sub"
// defaults to login. The claims the provider sets itself (iss, aud, azp,
// iat, exp, nbf, nonce, auth_time) are refused.
func (p *Provider) AddUser(login string, claims map[string]any) error {
	if login == "" {
		return errors.New("oidctest: a user needs a login")
	}
	for _, c := range reservedClaims {
		if _, ok := claims[c]; ok {
			return fmt.Errorf("oidctest: user %q: the claim %q is set by the provider", login, c)
		}
	}
	u := user{login: login, claims: maps.Clone(claims)}
	if u.claims == nil {
		u.claims = map[string]any{}
	}
	if _, ok := u.claims["sub"]; !ok {
		u.claims["sub"] = login
	}
	if _, err := json.Marshal(u.claims); err != nil {
		return fmt.Errorf("oidctest: user %q: the claims do not marshal: %w", login, err)
	}
	f := p.flow
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := slices.IndexFunc(f.users, func(x user) bool { return x.login == login }); i >= 0 {
		f.users[i] = u
	} else {
		f.users = append(f.users, u)
	}
	return nil
}

// SetCodeTTL sets how long the codes issued from now on can be exchanged
// (default [DefaultCodeTTL]); zero or negative issues codes already
// expired, for a test of an expired code.
func (p *Provider) SetCodeTTL(d time.Duration) {
	p.flow.mu.Lock()
	p.flow.codeTTL = d
	p.flow.mu.Unlock()
}

// SetIDTokenEdit makes /token pass every ID token's claims through edit
// before signing them (nil: no edit), for tests of what a relying party
// must refuse: a wrong nonce, another audience, a role it does not map.
func (p *Provider) SetIDTokenEdit(edit func(claims map[string]any)) {
	p.flow.mu.Lock()
	p.flow.edit = edit
	p.flow.mu.Unlock()
}

// Codes is how many issued codes have not been exchanged (nor refused).
func (p *Provider) Codes() int {
	p.flow.mu.Lock()
	defer p.flow.mu.Unlock()
	return len(p.flow.codes)
}

// authorize answers GET /authorize. A request that names no registered
// client or redirect URI is answered 400 here (never redirected, as RFC
// 6749 §4.1.2.1 requires); any other error is sent back to the redirect
// URI as error=invalid_request (or access_denied for an unknown login).
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := p.flow
	f.mu.Lock()
	c, known := f.clients[q.Get("client_id")]
	f.mu.Unlock()
	redirect := q.Get("redirect_uri")
	if !known || !slices.Contains(c.RedirectURIs, redirect) {
		http.Error(w, "invalid_request: unknown client_id or redirect_uri", http.StatusBadRequest)
		return
	}
	back := func(v url.Values) {
		u, _ := url.Parse(redirect) // parsed by AddClient
		rq := u.Query()
		for k, vs := range v {
			rq[k] = vs
		}
		if s := q.Get("state"); s != "" {
			rq.Set("state", s)
		}
		u.RawQuery = rq.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	fail := func(code, desc string) { back(url.Values{"error": {code}, "error_description": {desc}}) }
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code is served")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		fail("invalid_scope", "the scope must include openid")
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		fail("invalid_request", "PKCE with code_challenge_method=S256 and a code_challenge is required")
		return
	}
	login := q.Get("login_hint")
	if login == "" {
		p.chooser(w, q)
		return
	}
	f.mu.Lock()
	i := slices.IndexFunc(f.users, func(u user) bool { return u.login == login })
	if i < 0 {
		f.mu.Unlock()
		fail("access_denied", "no such user")
		return
	}
	code := rand.Text()
	f.codes[code] = grant{client: c.ID, redirectURI: redirect, challenge: q.Get("code_challenge"), nonce: q.Get("nonce"),
		user: f.users[i], expires: time.Now().Add(f.codeTTL)}
	f.mu.Unlock()
	back(url.Values{"code": {code}})
}

var chooserPage = template.Must(template.New("chooser").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in – oidctest</title></head>
<body><main><h1>Sign in (test identity provider)</h1>
<form method="get" action="/authorize">
{{range $k, $vs := .Params}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">
{{end}}{{end}}<ul>
{{range .Users}}<li><button type="submit" name="login_hint" value="{{.Login}}">Sign in as {{.Label}}</button></li>
{{end}}</ul></form></main></body></html>
`))

// chooser renders the page on which a person picks who to sign in as: a
// GET form back to /authorize with the same parameters and the chosen
// login_hint, a labelled button per user.
func (p *Provider) chooser(w http.ResponseWriter, q url.Values) {
	type choice struct{ Login, Label string }
	var users []choice
	p.flow.mu.Lock()
	for _, u := range p.flow.users {
		label := u.login
		if n, ok := u.claims["name"].(string); ok && n != "" {
			label = n + " (" + u.login + ")"
		}
		users = append(users, choice{u.login, label})
	}
	p.flow.mu.Unlock()
	params := url.Values{}
	for k, vs := range q {
		if k != "login_hint" {
			params[k] = vs
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = chooserPage.Execute(w, struct {
		Params url.Values
		Users  []choice
	}{params, users})
}

// tokenError answers /token's refusals (RFC 6749 §5.2).
func tokenError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="oidctest"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// token answers POST /token. The code is deleted as it is read, whatever
// follows: a code refused for a bad verifier cannot be tried again.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	form := r.PostForm
	f := p.flow
	f.mu.Lock()
	code := form.Get("code")
	g, found := f.codes[code]
	delete(f.codes, code)
	edit := f.edit
	f.mu.Unlock()

	if form.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	// Client authentication: HTTP Basic for a client with a secret;
	// none (client_id in the form, or Basic with an empty password) for
	// a public one.
	clientID, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: the Basic credentials are form-urlencoded.
		id, err1 := url.QueryUnescape(clientID)
		sec, err2 := url.QueryUnescape(secret)
		if err1 != nil || err2 != nil {
			tokenError(w, http.StatusUnauthorized, "invalid_client")
			return
		}
		clientID, secret = id, sec
	} else {
		clientID = form.Get("client_id")
	}
	f.mu.Lock()
	c, known := f.clients[clientID]
	f.mu.Unlock()
	switch {
	case !known,
		c.Secret != "" && (!basic || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1),
		c.Secret == "" && secret != "":
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	sum := sha256.Sum256([]byte(form.Get("code_verifier")))
	switch {
	case !found, g.client != c.ID, !time.Now().Before(g.expires), form.Get("redirect_uri") != g.redirectURI,
		subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(g.challenge)) != 1:
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	now := time.Now()
	claims := maps.Clone(g.user.claims)
	claims["iss"], claims["aud"], claims["azp"] = p.URL(), c.ID, c.ID
	claims["iat"], claims["exp"] = now.Unix(), now.Add(IDTokenTTL).Unix()
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	if edit != nil {
		edit(claims)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": rand.Text(), "token_type": "Bearer", "expires_in": int(IDTokenTTL.Seconds()),
		"id_token": p.Token(claims),
	})
}
