// Package httpauth authenticates HTTP requests for valmennus: it turns a
// request into the [coaching.Actor] the engine's policy decides on, or
// refuses it with an [*Error] that says how to answer (401 with a
// WWW-Authenticate challenge, or 400).
//
// Every authenticator here has the method
//
//	Authenticate(r *http.Request) (coaching.Actor, error)
//
// which is the port an HTTP adapter asks for on every request. Three are
// provided:
//
//   - [OIDC]: OpenID Connect bearer tokens (the provider's sign-on for
//     staff, a broker's for guardians), verified with
//     github.com/coreos/go-oidc/v3 and go-jose — issuer discovery, the
//     provider's signing keys fetched again when a token names a key not
//     yet seen (rotation; at most once per interval, so forged tokens do
//     not flood the provider), issuer, audience, expiry and not-before with
//     a bounded clock skew — and its claims mapped to roles and an organisation by the
//     host's allow-list ([OIDCOptions]).
//   - [Gateway]: identity set by a trusted reverse proxy that authenticated
//     the user, accepted only with the proxy's proof: an HMAC-SHA256 over
//     the identity headers, the request (method, host, target and a digest
//     of the body) and a timestamp, with a secret
//     shared with the proxy ([GatewayOptions] documents the headers and the
//     exact string signed).
//   - [DevIdentities]: UNSAFE, for development only: whoever sends the
//     identity headers is who they say.
//
// # Relations come from the store
//
// None of the authenticators puts guardian_of or self relations into the
// actor (except [DevIdentities] when told to): a token or a header does
// not say whose guardian the caller is. The engine derives them from its
// own records — a guardian recorded on a participant with
// [coaching.Guardian].ID equal to the actor's id is that participant's
// guardian — so the actor id an authenticator gives must be the id the
// student information system import writes (for OIDC the token's subject,
// optionally namespaced with [OIDCOptions].IDPrefix).
//
// # The system role
//
// The engine's own role and id ("system") are never given to a caller: a
// role mapping naming it is refused when the authenticator is built, and
// a token, header or subject claiming it is refused.
//
// # Errors
//
// Authenticate returns an [*Error] (matching [ErrUnauthenticated] with
// [errors.Is]) for every refusal. [WriteError] answers with it: the status,
// a WWW-Authenticate challenge for a 401 (RFC 6750 §3: error="invalid_token"
// and a fixed error_description) and a small problem body; a 503 with
// Retry-After when the provider's keys cannot be fetched. An HTTP adapter
// that writes its own problem bodies uses [Error.Status] and
// [Error.Challenge]. No error, log line or answer ever holds the token or
// the gateway's MAC.
package httpauth
