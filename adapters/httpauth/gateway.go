package httpauth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// GatewayOptions configures a [Gateway] authenticator.
//
// The trusted reverse proxy authenticates the user, removes every identity
// header the client sent, and sets these (each exactly once):
//
//	X-Actor-Id            the user's id (one value; not "system")
//	X-Actor-Roles         comma-separated coaching roles (not "system"; "funder" is one)
//	X-Actor-Organisation  the user's organisation (one value; empty for a caller whose only role is "funder")
//	X-Actor-Timestamp     the time of signing, in decimal Unix seconds
//	X-Actor-Signature     the proof: lowercase hex of HMAC-SHA256(secret, S)
//
// where the signed string S is these ten lines joined by "\n" (no
// trailing newline), each header value byte for byte as sent:
//
//	valmennus-gateway-v2
//	<X-Actor-Timestamp>
//	<request method, e.g. POST>
//	<Host, as sent in the Host header, e.g. api.example.fi>
//	<request target as sent on the request line, e.g. /coaching/cases/c-1?x=1>
//	<lowercase hex SHA-256 of the request body (of nothing when there is none)>
//	<X-Actor-Id>
//	<X-Actor-Roles>
//	<X-Actor-Organisation>
//	<X-Purpose, empty when not sent>
//
// The request target is [http.Request].RequestURI as this server receives
// it, before any prefix is stripped: a proxy that rewrites paths signs the
// rewritten one. Signing the method, the host, the target and the body
// binds the proof to one request: a captured proof does not authenticate
// another path, another host's service sharing the secret, or the same
// path with another body (a replayed POST within the window carries the
// very same command, which the engine's idempotency keys and versions
// guard), and is refused after the replay window. The stated purpose of
// the access is signed too, since it is recorded in the access log.
// X-Actor-Guardian-Of and X-Actor-Participant are refused: relations come
// from the records.
//
// To check the body's digest the gateway reads the whole body (at most
// MaxBody bytes) before the handler does, and hands the handler a copy.
type GatewayOptions struct {
	// Secrets are the keys shared with the proxy, each at least 32 bytes.
	// A proof made with any of them is accepted, so that a key can be
	// rotated: add the new one, move the proxy to it, remove the old.
	// Required.
	Secrets [][]byte
	// ReplayWindow is how far the timestamp may lie from this server's
	// clock, either way. Defaults to 30 seconds; at most 5 minutes.
	ReplayWindow time.Duration
	// MaxBody bounds the body the gateway reads to check its digest; a
	// larger body is refused with an error wrapping [*http.MaxBytesError]
	// (an HTTP adapter answers 413). Defaults to 32 MiB. The HTTP adapter's
	// own, smaller, limit applies first when it wraps the body before
	// asking the authenticator (adapters/httpapi does).
	MaxBody int64

	// Test holds settings for tests.
	Test struct {
		// Now is the clock timestamps are checked against. Defaults to
		// time.Now.
		Now func() time.Time
	}
}

// GatewaySignatureVersion is the first line of the string a gateway signs.
const GatewaySignatureVersion = "valmennus-gateway-v2"

const minGatewaySecret = 32

// Gateway authenticates requests by identity headers set by a trusted
// reverse proxy that proves itself with an HMAC (see [GatewayOptions]).
// Use it only when the proxy is explicitly configured to sign; it is safe
// for concurrent use.
type Gateway struct {
	secrets [][]byte
	window  time.Duration
	maxBody int64
	now     func() time.Time
}

const defaultGatewayMaxBody = 32 << 20

// NewGateway builds a Gateway authenticator.
func NewGateway(opts *GatewayOptions) (*Gateway, error) {
	if opts == nil || len(opts.Secrets) == 0 {
		return nil, errors.New("httpauth: gateway options: at least one secret is required")
	}
	g := &Gateway{window: opts.ReplayWindow, maxBody: opts.MaxBody, now: opts.Test.Now}
	if g.maxBody < 0 {
		return nil, errors.New("httpauth: gateway options: MaxBody must not be negative")
	}
	if g.maxBody == 0 {
		g.maxBody = defaultGatewayMaxBody
	}
	for i, s := range opts.Secrets {
		if len(s) < minGatewaySecret {
			return nil, fmt.Errorf("httpauth: gateway options: secret %d is shorter than %d bytes", i, minGatewaySecret)
		}
		g.secrets = append(g.secrets, append([]byte(nil), s...))
	}
	if g.window == 0 {
		g.window = 30 * time.Second
	}
	if g.window < 0 || g.window > 5*time.Minute {
		return nil, errors.New("httpauth: gateway options: ReplayWindow must be between 0 and 5 minutes")
	}
	if g.now == nil {
		g.now = time.Now
	}
	return g, nil
}

// SignGateway returns the proof a gateway sets in X-Actor-Signature for a
// request with these identity header values, as [GatewayOptions]
// describes. It is for the proxy's side (and tests); it reads the method,
// the host, the request target, the body and the identity, purpose and
// timestamp headers from r. It reads r's body to digest it and puts back
// an unread copy (setting GetBody and ContentLength too); the error is
// the body's read error.
func SignGateway(secret []byte, r *http.Request) (string, error) {
	digest, err := bodyDigest(r, -1)
	if err != nil {
		return "", fmt.Errorf("httpauth: signing for the gateway: %w", err)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(gatewayString(r, digest)))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// bodyDigest reads r's body (at most limit bytes when limit ≥ 0), puts
// back an unread copy and returns the lowercase hex SHA-256 of it.
func bodyDigest(r *http.Request, limit int64) (string, error) {
	var data []byte
	if r.Body != nil && r.Body != http.NoBody {
		src := io.Reader(r.Body)
		if limit >= 0 {
			src = io.LimitReader(r.Body, limit+1)
		}
		var err error
		data, err = io.ReadAll(src)
		_ = r.Body.Close()
		if err != nil {
			return "", err
		}
		if limit >= 0 && int64(len(data)) > limit {
			return "", &http.MaxBytesError{Limit: limit}
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		r.ContentLength = int64(len(data))
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// gatewayString is the string signed.
func gatewayString(r *http.Request, digest string) string {
	target := r.RequestURI
	if target == "" { // a client-side request, as a proxy builds it
		target = r.URL.RequestURI()
	}
	host := r.Host
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	return strings.Join([]string{
		GatewaySignatureVersion,
		r.Header.Get(HeaderGatewayTimestamp),
		r.Method,
		host,
		target,
		digest,
		r.Header.Get(HeaderActorID),
		r.Header.Get(HeaderActorRoles),
		r.Header.Get(HeaderOrganisation),
		r.Header.Get(HeaderPurpose),
	}, "\n")
}

var gatewaySingle = map[string]bool{
	HeaderActorID: true, HeaderOrganisation: true, HeaderGatewayTimestamp: true, HeaderGatewaySignature: true,
}

// Authenticate returns the actor the proxy vouches for, or an [*Error]:
// [ReasonMalformedRequest] for an identity header given twice (always,
// before anything else), an X-Purpose longer than
// coaching.MaxPurposeBytes or a relation header; [ReasonMissing] for a
// request with neither identity nor proof; [ReasonInvalidToken] for
// identity without a proof or with a wrong one; [ReasonExpired] for a
// timestamp outside the replay window (the proof covers the body, which is
// read first: a body that cannot be read or is larger than MaxBody gives
// an error that is not an *Error); [ReasonIdentity] for an unknown
// role, the system role or id, an id shaped like a personal identity
// code, or a missing organisation (which only a caller whose one role is
// the funder may have: empty X-Actor-Organisation).
func (g *Gateway) Authenticate(r *http.Request) (coaching.Actor, error) {
	if e := refuseDuplicates(r, gatewaySingle, append(IdentityHeaders, HeaderPurpose)...); e != nil {
		return coaching.Actor{}, e
	}
	if e := refuseLongPurpose(r); e != nil {
		return coaching.Actor{}, e
	}
	if e := refusePresent(r, HeaderGuardianOf, HeaderSelf); e != nil {
		return coaching.Actor{}, e
	}
	present := func(h string) bool { _, ok := r.Header[http.CanonicalHeaderKey(h)]; return ok }
	sig := r.Header.Get(HeaderGatewaySignature)
	if sig == "" {
		if present(HeaderActorID) || present(HeaderActorRoles) || present(HeaderOrganisation) || present(HeaderGatewayTimestamp) {
			return coaching.Actor{}, &Error{Reason: ReasonInvalidToken, Header: HeaderGatewaySignature, Description: "identity headers without the gateway's proof are refused"}
		}
		return coaching.Actor{}, &Error{Reason: ReasonMissing, Description: "the request is not signed in"}
	}
	ts, err := strconv.ParseInt(r.Header.Get(HeaderGatewayTimestamp), 10, 64)
	if err != nil {
		return coaching.Actor{}, &Error{Reason: ReasonInvalidToken, Header: HeaderGatewayTimestamp, Description: "the gateway's timestamp is missing or not a number"}
	}
	mac, err := hex.DecodeString(sig)
	if err != nil || len(mac) != sha256.Size {
		return coaching.Actor{}, &Error{Reason: ReasonInvalidToken, Header: HeaderGatewaySignature, Description: "the gateway's proof is not valid"}
	}
	digest, err := bodyDigest(r, g.maxBody)
	if err != nil {
		// Not an *Error: the body could not be read (or is too large), which
		// says nothing about the credentials.
		return coaching.Actor{}, fmt.Errorf("httpauth: reading the body to check the gateway's proof: %w", err)
	}
	signed := []byte(gatewayString(r, digest))
	ok := false
	for _, s := range g.secrets {
		m := hmac.New(sha256.New, s)
		m.Write(signed)
		// hmac.Equal compares in constant time; every secret is tried so
		// the time does not tell which matched.
		if hmac.Equal(m.Sum(nil), mac) {
			ok = true
		}
	}
	if !ok {
		return coaching.Actor{}, &Error{Reason: ReasonInvalidToken, Header: HeaderGatewaySignature, Description: "the gateway's proof is not valid"}
	}
	// The timestamp is checked after the MAC, so that an unsigned one is
	// never reported on.
	if d := g.now().Sub(time.Unix(ts, 0)); d > g.window || d < -g.window {
		return coaching.Actor{}, &Error{Reason: ReasonExpired, Header: HeaderGatewayTimestamp, Description: "the gateway's timestamp is outside the replay window"}
	}
	id := strings.TrimSpace(r.Header.Get(HeaderActorID))
	if id == "" {
		return coaching.Actor{}, &Error{Reason: ReasonIdentity, Header: HeaderActorID, Description: "no user id is given"}
	}
	if isReserved(id) {
		return coaching.Actor{}, &Error{Reason: ReasonIdentity, Header: HeaderActorID, Description: `"system" is the engine's own reserved identity`}
	}
	if e := refuseIdentityCode(id, HeaderActorID); e != nil {
		return coaching.Actor{}, e
	}
	roles, e := parseRoles(r.Header.Get(HeaderActorRoles), HeaderActorRoles)
	if e != nil {
		return coaching.Actor{}, e
	}
	org := strings.TrimSpace(r.Header.Get(HeaderOrganisation))
	if org == "" && !onlyFunder(roles) {
		return coaching.Actor{}, &Error{Reason: ReasonIdentity, Header: HeaderOrganisation, Description: "no organisation is given"}
	}
	return coaching.Actor{ID: id, Organisation: coaching.OrganisationID(org), Roles: roles, Purpose: r.Header.Get(HeaderPurpose)}, nil
}
