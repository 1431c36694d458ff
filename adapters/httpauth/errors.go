package httpauth

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrUnauthenticated is matched (with [errors.Is]) by every [*Error] an
// authenticator returns: the request did not authenticate.
var ErrUnauthenticated = errors.New("httpauth: request not authenticated")

// Reason says why a request was refused.
type Reason string

// Reasons.
const (
	// ReasonMissing: the request carries no credentials (no bearer token, no
	// identity headers). A 401 whose challenge has no error code (RFC 6750
	// §3.1).
	ReasonMissing Reason = "missing"
	// ReasonMalformedRequest: the credentials are ambiguous or malformed —
	// an identity header given twice, two Authorization headers, a header
	// this authenticator does not accept. A 400 (invalid_request).
	ReasonMalformedRequest Reason = "malformed_request"
	// ReasonInvalidToken: the token (or the gateway's proof) does not
	// verify: signature, key, algorithm, issuer or audience. A 401.
	ReasonInvalidToken Reason = "invalid_token"
	// ReasonExpired: the token has expired, or the gateway's timestamp is
	// outside the replay window. A 401.
	ReasonExpired Reason = "expired"
	// ReasonNotYetValid: the token's nbf or iat is in the future beyond
	// the allowed clock skew. A 401.
	ReasonNotYetValid Reason = "not_yet_valid"
	// ReasonIdentity: the credentials verify but the identity they carry
	// is not accepted: a role outside the host's allow-list, the reserved
	// system role or id, an id shaped like a personal identity code, no
	// role, no subject, no organisation. A 401.
	ReasonIdentity Reason = "identity"
	// ReasonUnavailable: the credentials cannot be checked now — the
	// identity provider's signing keys cannot be fetched. A 503 with
	// Retry-After and no challenge: the token may well be valid.
	ReasonUnavailable Reason = "unavailable"
)

// Error is an authenticator's refusal. It matches [ErrUnauthenticated].
// Its message and Description never hold the token or the MAC.
type Error struct {
	// Reason says why.
	Reason Reason
	// Description is a fixed, human-readable sentence for the client (the
	// error_description of the challenge). It holds no secret and nothing
	// the client sent.
	Description string
	// Header names the request header refused, if one was.
	Header string
	// Scheme is the authentication scheme of the challenge: "Bearer" for
	// [OIDC], "" for the others (no WWW-Authenticate is sent).
	Scheme string
	// Realm is the challenge's realm, when Scheme is set.
	Realm string
	// RetryAfter is when to try again, for [ReasonUnavailable].
	RetryAfter time.Duration
	// Err is the underlying cause, for the server's log (e.g. go-oidc's
	// verification error); nil when there is none. It is never sent to the
	// client.
	Err error
}

// Error returns the reason, the description and the cause.
func (e *Error) Error() string {
	s := "httpauth: " + string(e.Reason) + ": " + e.Description
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is [ErrUnauthenticated].
func (e *Error) Is(target error) bool { return target == ErrUnauthenticated }

// Status is the HTTP status to answer with: 400 for
// [ReasonMalformedRequest], 503 for [ReasonUnavailable], otherwise 401.
func (e *Error) Status() int {
	switch e.Reason {
	case ReasonMalformedRequest:
		return http.StatusBadRequest
	case ReasonUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnauthorized
}

// Challenge is the WWW-Authenticate header value to answer with, or ""
// when the authenticator has no scheme (the gateway, the development
// identities) or the status is not 401 or 400. For a request without credentials it is the bare challenge
// (`Bearer realm="valmennus"`); otherwise it carries the error code
// (invalid_request or invalid_token) and the description, as RFC 6750 §3
// describes.
func (e *Error) Challenge() string {
	if e.Scheme == "" || e.Reason == ReasonUnavailable {
		return ""
	}
	var b strings.Builder
	b.WriteString(e.Scheme)
	b.WriteString(` realm="`)
	b.WriteString(quotable(e.Realm))
	b.WriteString(`"`)
	if e.Reason == ReasonMissing {
		return b.String()
	}
	code := "invalid_token"
	if e.Reason == ReasonMalformedRequest {
		code = "invalid_request"
	}
	b.WriteString(`, error="` + code + `", error_description="`)
	b.WriteString(quotable(e.Description))
	b.WriteString(`"`)
	return b.String()
}

// quotable keeps the characters RFC 6750 allows in a quoted challenge
// attribute (%x20-21 / %x23-5B / %x5D-7E): no quote, backslash or control.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}

// WriteError answers a refused request: for an [*Error] its status, its
// WWW-Authenticate challenge (if any), Retry-After (for a 503) and an RFC 9457 problem body with the
// description; for any other error a 500 without detail. Nothing the
// client sent is echoed.
func WriteError(w http.ResponseWriter, err error) {
	var ae *Error
	if !errors.As(err, &ae) {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	if c := ae.Challenge(); c != "" {
		w.Header().Set("WWW-Authenticate", c)
	}
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ae.RetryAfter.Seconds()))))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(ae.Status())
	_ = json.NewEncoder(w).Encode(struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Header string `json:"header,omitempty"`
	}{"about:blank", http.StatusText(ae.Status()), ae.Status(), ae.Description, ae.Header})
}
