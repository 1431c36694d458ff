package webui

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/coaching"
)

// LoginCookieName is the cookie that carries a sign-in in progress from
// [OIDCLogin.Begin] to [OIDCLogin.Finish]. The __Host- prefix keeps other
// hosts from setting it.
const LoginCookieName = "__Host-valmennus-login"

// LoginCookieTTL is how long a sign-in may take, from Begin to the
// provider's redirect back.
const LoginCookieTTL = 10 * time.Minute

// OIDCLoginOptions configure [NewOIDCLogin]. Issuer, ClientID,
// RedirectURL, Mapping and CookieKey are required.
type OIDCLoginOptions struct {
	// Issuer is the OpenID provider's issuer URL; its discovery document
	// is fetched by NewOIDCLogin and must name the same issuer.
	Issuer string
	// ClientID is the interface's client id at the provider: ID tokens
	// must name it in "aud" (and in "azp" when they carry one).
	ClientID string
	// ClientSecret, when set, authenticates the interface at the token
	// endpoint with HTTP Basic (a confidential client). Empty: a public
	// client, which PKCE alone protects.
	ClientSecret string
	// RedirectURL is the absolute URL of the sign-in callback as
	// registered with the provider: the handler's {prefix}/login/callback
	// on the host's public origin, e.g. "https://ui.example.fi/ui/login/callback".
	// Begin refuses to start when its path is not the handler's callback.
	RedirectURL string
	// Scopes are asked for besides "openid" (e.g. "profile" or a scope
	// that makes the provider put the roles claim in the ID token).
	Scopes []string
	// Mapping turns the ID token's claims into the actor, by the same
	// rules as the HTTP API's bearer tokens ([httpauth.OIDC]): give the
	// same values as its OIDCOptions so that a person is the same actor
	// in both.
	Mapping httpauth.ClaimsMapping
	// CookieKey signs the sign-in-in-progress cookie (HMAC-SHA256); at
	// least [MinSessionKey] bytes of secret randomness, the same on every
	// instance. It may be the handler's SessionKey: the two cookies' MACs
	// are domain-separated.
	CookieKey []byte
	// HTTPClient fetches the discovery document and the signing keys and
	// exchanges codes. Default: a client with a 10-second timeout.
	HTTPClient *http.Client

	// Test holds settings for tests.
	Test struct {
		// Now is the clock the cookie and the ID token are checked
		// against. Default time.Now.
		Now func() time.Time
	}
}

// OIDCLogin is the [Login] of an OpenID Connect provider: the
// authorization-code flow with PKCE (S256) and a nonce. Begin keeps the
// state, the nonce and the PKCE verifier in a signed, HttpOnly cookie
// ([LoginCookieName], SameSite=Lax so that the provider's redirect back
// carries it, 10 minutes) and redirects to the provider; Finish checks the
// cookie and the state, deletes the cookie, exchanges the code with the
// verifier, verifies the ID token (signature, issuer, audience, expiry by
// go-oidc; the nonce and the authorized party here) and maps its claims
// with [httpauth.ClaimsMapping]. A person signing in in two tabs at once
// completes only the later sign-in (one cookie). Safe for concurrent use.
type OIDCLogin struct {
	conf     oauth2.Config
	verifier *oidc.IDTokenVerifier
	mapping  httpauth.ClaimsMapping
	key      []byte
	client   *http.Client
	callback string // RedirectURL's path
	now      func() time.Time
}

// NewOIDCLogin checks opts and fetches the provider's discovery document
// with ctx (which bounds only that fetch).
func NewOIDCLogin(ctx context.Context, opts *OIDCLoginOptions) (*OIDCLogin, error) {
	if opts == nil {
		return nil, errors.New("webui: NewOIDCLogin: options are required")
	}
	o := *opts
	var problems []string
	if o.Issuer == "" {
		problems = append(problems, "Issuer is required")
	}
	if o.ClientID == "" {
		problems = append(problems, "ClientID is required")
	}
	u, err := url.Parse(o.RedirectURL)
	if err != nil || !u.IsAbs() || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || !strings.HasSuffix(u.Path, "/login/callback") {
		problems = append(problems, "RedirectURL must be the absolute URL of the handler's {prefix}/login/callback, without a query")
	}
	if len(o.CookieKey) < MinSessionKey {
		problems = append(problems, fmt.Sprintf("CookieKey must be at least %d bytes", MinSessionKey))
	}
	if err := o.Mapping.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return nil, errors.New("webui: NewOIDCLogin: " + strings.Join(problems, "; "))
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Test.Now == nil {
		o.Test.Now = time.Now
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, o.HTTPClient), o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("webui: OIDC discovery for %s: %w", o.Issuer, err)
	}
	ep := provider.Endpoint()
	// An explicit style: auto-detection retries a refused exchange in the
	// other style, sending the (then spent) code twice.
	ep.AuthStyle = oauth2.AuthStyleInParams
	if o.ClientSecret != "" {
		ep.AuthStyle = oauth2.AuthStyleInHeader
	}
	scopes := []string{oidc.ScopeOpenID}
	for _, s := range o.Scopes {
		if s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return &OIDCLogin{
		conf: oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: ep, RedirectURL: o.RedirectURL,
			Scopes: scopes},
		verifier: provider.Verifier(&oidc.Config{ClientID: o.ClientID, Now: o.Test.Now}),
		mapping:  o.Mapping,
		key:      append([]byte(nil), o.CookieKey...),
		client:   o.HTTPClient,
		callback: u.Path,
		now:      o.Test.Now,
	}, nil
}

// loginState is what the login cookie carries.
type loginState struct {
	V        int               `json:"v"`
	State    string            `json:"s"`
	Nonce    string            `json:"n"`
	Verifier string            `json:"pv"`
	Return   string            `json:"r"`
	Lang     coaching.Language `json:"l"`
	Exp      int64             `json:"e"`
}

// loginMAC is the domain of the login cookie's HMAC: never a session's.
const loginMAC = "valmennus webui oidc login v1\x00"

func loginSig(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(loginMAC))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

func sealLogin(key []byte, s loginState) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + base64.RawURLEncoding.EncodeToString(loginSig(key, p)), nil
}

func openLogin(key []byte, value string, now time.Time) (loginState, bool) {
	p, sig, ok := strings.Cut(value, ".")
	if !ok || len(value) > maxCookie {
		return loginState{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, loginSig(key, p)) {
		return loginState{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return loginState{}, false
	}
	var s loginState
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if dec.Decode(&s) != nil || s.V != 1 || s.State == "" || s.Nonce == "" || s.Verifier == "" || now.Unix() >= s.Exp {
		return loginState{}, false
	}
	return s, true
}

func loginCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: LoginCookieName, Value: value, Path: "/", MaxAge: maxAge, Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode}
}

// Begin redirects to the provider's authorization endpoint with a new
// state, nonce and PKCE challenge, kept in the login cookie. A
// "login_hint" in the request's query is passed on (a host's link may
// name who signs in); the interface language is passed as ui_locales.
func (l *OIDCLogin) Begin(w http.ResponseWriter, r *http.Request, p BeginParams) (*Chooser, error) {
	if p.Callback != l.callback {
		return nil, errors.New("webui: OIDCLogin: RedirectURL's path is not the handler's sign-in callback")
	}
	st := loginState{V: 1, State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(), Return: p.Return,
		Lang: p.Language, Exp: l.now().Add(LoginCookieTTL).Unix()}
	v, err := sealLogin(l.key, st)
	if err != nil {
		return nil, err
	}
	if len(v) > maxCookie {
		return nil, errors.New("webui: OIDCLogin: the return path does not fit the login cookie")
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(st.Verifier), oidc.Nonce(st.Nonce)}
	if p.Language != "" {
		opts = append(opts, oauth2.SetAuthURLParam("ui_locales", string(p.Language)))
	}
	if hint := r.URL.Query().Get("login_hint"); hint != "" && len(hint) <= 256 && printable(hint) {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", hint))
	}
	http.SetCookie(w, loginCookie(v, int(LoginCookieTTL.Seconds())))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, l.conf.AuthCodeURL(st.State, opts...), http.StatusFound)
	return nil, nil
}

func printable(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// refused is a refusal of the sign-in; why never holds a code, a token or
// a claim's value.
func refused(why string) error { return fmt.Errorf("%w: %s", ErrSignInRefused, why) }

// Finish completes the sign-in on the provider's redirect back (a GET).
// Every failure but an unreachable provider is a refusal ([ErrSignInRefused]):
// no login cookie or one altered, signed with another key or expired; a
// state that differs; an error from the provider; a code the token
// endpoint refuses (used, expired, a verifier that does not match); an ID
// token that does not verify, names another nonce or authorized party, or
// whose claims the mapping refuses. The login cookie is deleted whatever
// happens: a callback is answered once.
func (l *OIDCLogin) Finish(w http.ResponseWriter, r *http.Request) (SignedIn, error) {
	if r.Method != http.MethodGet {
		return SignedIn{}, refused("the identity provider's callback is a GET")
	}
	ck, err := r.Cookie(LoginCookieName)
	if err != nil {
		return SignedIn{}, refused("no sign-in in progress (no login cookie)")
	}
	http.SetCookie(w, loginCookie("", -1))
	st, ok := openLogin(l.key, ck.Value, l.now())
	if !ok {
		return SignedIn{}, refused("the login cookie is not valid (altered, another key's, or expired)")
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1 {
		return SignedIn{}, refused("the state does not match the login cookie's")
	}
	if e := q.Get("error"); e != "" {
		return SignedIn{}, refused("the identity provider answered " + errorCode(e))
	}
	code := q.Get("code")
	if code == "" {
		return SignedIn{}, refused("the callback carries no code")
	}
	ctx := oidc.ClientContext(r.Context(), l.client)
	tok, err := l.conf.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 {
			return SignedIn{}, refused("the token endpoint refused the code: " + errorCode(re.ErrorCode))
		}
		// Not the raw error: a RetrieveError holds the provider's answer.
		return SignedIn{}, fmt.Errorf("webui: OIDCLogin: the code could not be exchanged (%T)", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return SignedIn{}, refused("the token endpoint answered no ID token")
	}
	idt, err := l.verifier.Verify(ctx, raw)
	if err != nil {
		return SignedIn{}, refused("the ID token does not verify: " + err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return SignedIn{}, refused("the ID token's nonce is not this sign-in's")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return SignedIn{}, refused("the ID token's claims do not parse")
	}
	if azp, present := claims["azp"]; present && azp != l.conf.ClientID {
		return SignedIn{}, refused("the ID token was issued to another client")
	}
	actor, err := l.mapping.Actor(claims)
	if err != nil {
		var he *httpauth.Error
		if errors.As(err, &he) {
			return SignedIn{}, refused(he.Description)
		}
		return SignedIn{}, refused("the ID token's claims are not accepted")
	}
	return SignedIn{Actor: actor, Language: st.Lang, Return: st.Return}, nil
}

// errorCode is an OAuth error code fit for a log: its characters are
// those RFC 6749 allows an error code, at most 64 of them.
func errorCode(s string) string {
	if s == "" {
		return "(none)"
	}
	if len(s) > 64 || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e || r == '"' || r == '\\' }) {
		return "(unreadable)"
	}
	return s
}
