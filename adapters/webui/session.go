package webui

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// CookieName is the session cookie's name. The __Host- prefix makes
// browsers accept it only when it is Secure, has Path=/ and no Domain, so
// that no other host (a sibling subdomain) can set or overwrite it.
const CookieName = "__Host-valmennus"

// sessionVersion is the version of the cookie's encoding.
const sessionVersion = 1

// maxCookie bounds the cookie value a request may carry before it is
// even decoded.
const maxCookie = 4096

// session is what the cookie carries: who is signed in, in which language,
// until when. It is signed, not encrypted: it holds nothing the person does
// not already know about themself, and the browser only sends it over
// HTTPS (or to a loopback address) and never lets a script read it.
type session struct {
	V         int                     `json:"v"`
	ID        string                  `json:"id"`
	Name      string                  `json:"n,omitempty"`
	Org       coaching.OrganisationID `json:"o,omitempty"`
	Roles     []coaching.Role         `json:"r,omitempty"`
	Relations []coaching.Relation     `json:"rel,omitempty"`
	Lang      coaching.Language       `json:"l"`
	Exp       int64                   `json:"e"` // Unix seconds
}

// actor is the engine's actor for the session.
func (s session) actor() coaching.Actor {
	return coaching.Actor{ID: s.ID, Name: s.Name, Organisation: s.Org, Roles: slices.Clone(s.Roles),
		Relations: slices.Clone(s.Relations)}
}

// sessionMAC is the domain of the cookie's HMAC: a key shared with another
// use cannot turn that use's signatures into sessions.
const sessionMAC = "valmennus webui session v1\x00"

// seal encodes s as payload.signature, both base64url.
func seal(key []byte, s session) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac(key, payload)), nil
}

func mac(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(sessionMAC))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// errSession is a cookie that is not a valid, current session.
var errSession = errors.New("webui: no valid session")

// open verifies and decodes a cookie value; a value altered, signed with
// another key, of another version, expired at now or incomplete is
// errSession.
func open(key []byte, value string, now time.Time) (session, error) {
	payload, sig, ok := strings.Cut(value, ".")
	if !ok || len(value) > maxCookie {
		return session{}, errSession
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, payload)) {
		return session{}, errSession
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return session{}, errSession
	}
	var s session
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return session{}, errSession
	}
	if s.V != sessionVersion || s.ID == "" || !knownLanguage(s.Lang) || now.Unix() >= s.Exp {
		return session{}, errSession
	}
	return s, nil
}

// knownLanguage reports whether l is one of the interface's languages.
func knownLanguage(l coaching.Language) bool { return slices.Contains(languages, l) }

// sessionCookie is the cookie carrying value until exp. SameSite=Lax: it
// is sent on a top-level navigation from elsewhere (a link in an e-mail, an
// identity provider's redirect back) but not on another site's POST; the
// cross-origin check refuses those anyway.
func sessionCookie(value string, exp time.Time) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: value, Path: "/", Expires: exp.UTC(), Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode}
}

// clearedCookie deletes the session cookie.
func clearedCookie() *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode}
}
