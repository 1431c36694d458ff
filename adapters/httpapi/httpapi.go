package httpapi

import (
	_ "embed"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/referral"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/internal/httpstatus"
	"github.com/valmennus/valmennus/pathway"
)

// openAPI is the API's OpenAPI 3.1 document, served at /openapi.json; a
// test checks it against the routes registered in handlers.go.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the API's OpenAPI 3.1 document (a copy), as served at
// /openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

// Authenticator is the port the handler asks for the caller's identity on
// every request that needs one (every route but /healthz and
// /openapi.json). It must be safe for concurrent use.
//
// Authenticate returns the engine's actor for r, or an error:
//   - an [*httpauth.Error] (the authenticators of adapters/httpauth):
//     answered with its status (401 or 400), its WWW-Authenticate
//     challenge and its description, never its cause, with
//     Cache-Control: no-store; a 503 (the identity provider's keys cannot
//     be fetched: the credentials may be valid) has the problem type
//     identity-provider-unavailable and the error's Retry-After;
//   - one wrapping [ErrUnauthenticated] when r carries no acceptable
//     credentials (answered 401);
//   - a [*HeaderError] when r's identity is ambiguous or reserved
//     (answered 400 naming the header);
//   - one wrapping [coaching.ErrUnavailable] when the store the identity
//     is read from cannot be reached (answered 503 with Retry-After, as a
//     route's own store error is);
//   - any other error when the identity could not be established,
//     answered 500 and logged.
//
// The actor's roles and relations are what the access policy trusts: an
// Authenticator must never take them from anything the client controls
// unless something it verifies vouches for them. The handler refuses an
// actor with the engine's reserved system role or id itself (400).
type Authenticator interface {
	Authenticate(r *http.Request) (coaching.Actor, error)
}

// RememberingAuthenticator is an [Authenticator] that remembers the
// credentials it has verified (adapters/httpauth's OIDC remembers verified
// tokens for OIDCOptions.VerifiedTokens; its development identities verify
// nothing, so every acceptable request is as cheap as a remembered one).
//
// Remembered reports whether r carries credentials the authenticator has
// verified and would accept again without verifying them: a memory lookup,
// never a signature verification, a key fetch or any other I/O, with no
// side effect. A true answer is not a sign-on: the handler still calls
// Authenticate, whose answer decides. The handler asks only while r's
// client address has no failed sign-on left ([Options].SignOnFailureBurst):
// a remembered request is then served rather than answered 429, so that
// one client's failures (a pupil behind a school's NAT, a proxy's
// address) do not lock out the users of its address whose sign-on is
// already established, while credentials not remembered from that address
// are still refused unverified. It must be safe for concurrent use.
type RememberingAuthenticator interface {
	Authenticator
	Remembered(r *http.Request) bool
}

// AuthenticatorFunc adapts a function to [Authenticator].
type AuthenticatorFunc func(r *http.Request) (coaching.Actor, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (coaching.Actor, error) { return f(r) }

// ErrUnauthenticated is the error an [Authenticator] wraps when a request
// carries no acceptable credentials; the handler answers 401.
var ErrUnauthenticated = errors.New("httpapi: the request is not signed in")

// HeaderError is a request header an [Authenticator] refuses because the
// identity it gives is ambiguous (given twice, a list where one value is
// expected) or reserved; the handler answers 400 naming Header.
type HeaderError struct {
	Header string // the header's canonical name
	Reason string
}

func (e *HeaderError) Error() string { return "header " + e.Header + ": " + e.Reason }

// Options configure a [Handler]. Authenticator is required; every other
// field has a default, documented beside it.
type Options struct {
	// Authenticator establishes the caller of every signed-in request.
	// Required: there is no default, so that a host cannot serve the API
	// without deciding how its users sign in. Package adapters/httpauth
	// has OpenID Connect, a gateway that proves itself with an HMAC, and
	// development identities (unsafe) read from request headers.
	Authenticator Authenticator
	// Logger receives one line per request and the details of every 500;
	// each line carries the request's id. Default: discarded. Wrap the
	// handler of the engine's logger with [LogHandler] to have the
	// engine's lines carry the request id too.
	Logger *slog.Logger
	// Plans is the HOKS service behind /cases/{case}/hoks; default
	// hoks.NewService(eng).
	Plans *hoks.Service
	// Attendance is the attendance service behind /attendance and the
	// flags; default attendance.New(eng, nil).
	Attendance *attendance.Service
	// Models names the models GET /models lists and /models/{model}
	// serves, in that order; each must be one the engine runs. Default:
	// those of [DefaultModels] the engine runs.
	Models []string
	// Registry names the rules, payloads and effects of the models for
	// their JSON documents; default [Registry].
	Registry *coaching.ModelRegistry
	// MaxBody bounds a request body, an import CSV included; a larger one
	// is answered 413. Default 4 MiB (a class's attendance, an eHOKS
	// document, an import file).
	MaxBody int64

	// RetryAfter is the Retry-After of a 503 answered because the store
	// cannot be reached (an error matching coaching.ErrUnavailable;
	// problem type store-unavailable). Default [DefaultRetryAfter] (5s).
	// Such a request may or may not have taken effect (a commit whose
	// answer was lost), and the problem's detail says how to repeat it on
	// its route: a POST of an event or of an enrolment with the same
	// Idempotency-Key, answered with the first outcome (an enrolment: the
	// case it opened, 200) instead of acting twice; an enrolment given a
	// case_id with the same case_id (409 if it was made); for the other
	// writes, which take no key, after reading the current state. Every
	// 503 of a route carries a Retry-After: an authenticator's that gives
	// none has this one too.
	RetryAfter time.Duration
	// MaxConcurrent caps the requests served at once (GET /healthz
	// excepted); one more is answered 503 (problem type overloaded) with
	// Retry-After: 1 at once, never queued: capacity is the server's
	// state, not the caller's fault, so it is not a 429. Default
	// [DefaultMaxConcurrent] (256); negative for no cap. The connections
	// themselves are the host's to cap (examples/backend: -max-connections).
	MaxConcurrent int
	// RatePerSecond and RateBurst are each signed-in actor's token bucket
	// (golang.org/x/time/rate), keyed by organisation and actor id: a
	// request with no token left is answered 429 (problem type
	// rate-limited) with Retry-After, before the route runs. Defaults
	// [DefaultRatePerSecond] (20) and [DefaultRateBurst] (40); a negative
	// RatePerSecond turns the limit off.
	RatePerSecond float64
	RateBurst     int
	// SignOnFailuresPerSecond and SignOnFailureBurst are each client
	// address's bucket of failed sign-ons (a 401, or a 400 for a sign-on
	// header), so that guessing tokens or gateway signatures is slow and
	// the CPU spent verifying forged ones is bounded. A token is taken
	// before a request's credentials are verified and given back once they
	// are accepted, so the sign-ons verified at once from an address never
	// exceed the tokens left; while none is left, a signed-in request from
	// the address is answered 429 with Retry-After without its credentials
	// being checked — except credentials the Authenticator remembers
	// ([RememberingAuthenticator]), which are served, so that one client's
	// failures do not lock out the signed-in users sharing its address.
	// An address is an IPv4 address (an IPv4-mapped IPv6 one counts as
	// IPv4) or an IPv6 /64 network. Defaults
	// [DefaultSignOnFailuresPerSecond] (1) and
	// [DefaultSignOnFailureBurst] (10); negative turns the limit off.
	SignOnFailuresPerSecond float64
	SignOnFailureBurst      int
	// ClientIP is the client address failed sign-ons are counted by;
	// default the connection's peer address. Behind a proxy every client
	// has the proxy's address: give a function that reads the header the
	// proxy sets (and that the proxy overwrites, never passes on).
	ClientIP func(r *http.Request) string
	// Ready are the checks of GET /readyz, which answers 200 when all
	// pass and 503 naming those that fail: typically [StoreCheck] and
	// the [Heartbeat] of the dispatcher and of the ticker. None: /readyz
	// answers 200 as /healthz does. GET /healthz never runs a check.
	Ready []Check
	// ReadyTimeout bounds each readiness check; default
	// [DefaultReadyTimeout] (2s).
	ReadyTimeout time.Duration
}

// Handler serves the API: an [http.Handler] a host mounts under any
// prefix (with [http.StripPrefix]). Its routes are those of the OpenAPI
// document ([OpenAPI]); a request no route takes gets a 404 or 405 as
// problem details. A Handler is safe for concurrent use; it starts no
// goroutines (the host runs the engine's dispatcher and ticker).
type Handler struct {
	eng      *coaching.Engine
	plans    *hoks.Service
	att      *attendance.Service
	auth     Authenticator
	log      *slog.Logger
	models   []string
	registry *coaching.ModelRegistry
	maxBody  int64
	mux      *http.ServeMux
	routes   []route

	retryAfter   time.Duration
	slots        chan struct{} // the concurrency cap; nil for none
	actorRate    *buckets      // nil: no per-actor limit
	signOnRate   *buckets      // nil: no limit on failed sign-ons
	clientIP     func(*http.Request) string
	checks       []Check
	readyTimeout time.Duration
}

// route is one registered operation; the OpenAPI test compares them with
// the document.
type route struct {
	method, pattern string
	handler         func(*http.Request, coaching.Actor) (int, any, error)
	public          bool // no actor needed (health, the API document)
}

// Registry names everything the default models use: the built-in rules
// and payloads, the HOKS rules, pathway's destination and follow-ups.
func Registry() *coaching.ModelRegistry {
	reg := coaching.BuiltinRegistry()
	hoks.Register(reg)
	pathway.Register(reg, nil)
	return reg
}

// DefaultModels are the models the OpenAPI document describes: VALO (with
// pathway's destinations and follow-ups on its exits and the HOKS rules)
// and the first-year pilot.
func DefaultModels() ([]*coaching.Model, error) {
	spec := coaching.VALOSpec()
	if err := pathway.Attach(&spec, nil, coaching.ValoClose, coaching.ValoDiscontinue, coaching.ValoRedirect); err != nil {
		return nil, err
	}
	if err := hoks.AttachRules(&spec, coaching.ValoStartAcquisition, coaching.ValoStartDemonstration); err != nil {
		return nil, err
	}
	valo, err := coaching.BuildModel(spec)
	if err != nil {
		return nil, err
	}
	return []*coaching.Model{valo, coaching.Pilot()}, nil
}

// EngineOptions returns engine options for the API as documented: the
// [DefaultModels], pathway's and referral's timer handlers, referral's
// guarded documents (a store may hold referrals written by another host of
// the same database, whose follow-ups the engine's ticks send and whose
// traces it shows only as the referral rule allows) and hoks's
// (hoks.Documents: the plan is written only through the HOKS routes, under
// change_hoks and approve_hoks, which refuse to write on an engine without
// them). A host sets its
// Clock, Logger and the rest on the result before [coaching.New].
func EngineOptions() (*coaching.Options, error) {
	models, err := DefaultModels()
	if err != nil {
		return nil, err
	}
	handlers := pathway.TimerHandlers(nil)
	maps.Copy(handlers, referral.TimerHandlers(nil))
	return &coaching.Options{Models: models, TimerHandlers: handlers, Documents: append(referral.Documents(), hoks.Documents()...)}, nil
}

// New returns the API's handler over eng. opts must name an
// Authenticator; its other fields default as documented on [Options].
func New(eng *coaching.Engine, opts *Options) (*Handler, error) {
	if eng == nil {
		return nil, errors.New("httpapi: the engine is nil")
	}
	if opts == nil || opts.Authenticator == nil {
		return nil, errors.New("httpapi: an Authenticator is required (see adapters/httpauth)")
	}
	h := &Handler{eng: eng, auth: opts.Authenticator, log: opts.Logger, plans: opts.Plans, att: opts.Attendance,
		registry: opts.Registry, maxBody: opts.MaxBody, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = 4 << 20
	}
	if h.registry == nil {
		h.registry = Registry()
	}
	if err := h.limits(opts); err != nil {
		return nil, err
	}
	var err error
	if h.plans == nil {
		if h.plans, err = hoks.NewService(eng); err != nil {
			return nil, err
		}
	}
	if h.att == nil {
		if h.att, err = attendance.New(eng, nil); err != nil {
			return nil, err
		}
	}
	if opts.Models != nil {
		for _, name := range opts.Models {
			if _, ok := eng.Model(name); !ok {
				return nil, errors.New("httpapi: the engine runs no model " + name)
			}
		}
		h.models = append([]string{}, opts.Models...)
	} else {
		defaults, err := DefaultModels()
		if err != nil {
			return nil, err
		}
		h.models = []string{}
		for _, m := range defaults {
			if _, ok := eng.Model(m.Name()); ok {
				h.models = append(h.models, m.Name())
			}
		}
	}
	h.register()
	return h, nil
}

// ServeHTTP implements http.Handler. Every answer carries the request's
// id (X-Request-Id: the client's when it is a short token, else a new
// one), and so does every problem body and log line. A request no route
// takes gets the mux's 404 or 405 (with its Allow header) as problem
// details too. Past [Options].MaxConcurrent requests at once, the next is
// answered 503 at once (GET /healthz is never turned away).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := requestIDOf(r)
	r = r.WithContext(withRequestID(r.Context(), id))
	w.Header().Set(HeaderRequestID, id)
	sw := httpstatus.NewWriter(w)
	handler, pattern := h.mux.Handler(r)
	defer func() {
		// The route's pattern, never the path: a path holds ids (a case id,
		// a participant id, or whatever a client typed, an identity code
		// included), and this line is written for every request.
		route := pattern
		if route == "" {
			route = "unmatched"
		}
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", id), slog.String("method", r.Method),
			slog.String("route", route), slog.Int("status", sw.Status()), slog.Duration("duration", time.Since(start)))
	}()
	if h.slots != nil && pattern != "GET /healthz" {
		select {
		case h.slots <- struct{}{}:
			defer func() { <-h.slots }()
		default:
			h.overloaded(sw, r)
			return
		}
	}
	if pattern != "" {
		h.mux.ServeHTTP(sw, r)
		return
	}
	rec := httpstatus.NewRecorder()
	handler.ServeHTTP(rec, r)
	if rec.Status() != http.StatusNotFound && rec.Status() != http.StatusMethodNotAllowed {
		h.mux.ServeHTTP(sw, r) // e.g. a redirect to the clean path
		return
	}
	if allow := rec.Header().Get("Allow"); allow != "" {
		sw.Header().Set("Allow", allow)
	}
	detail := "no route takes " + r.Method + " " + r.URL.Path
	if coaching.ContainsIdentityCode(r.URL.Path) {
		detail = "no route takes " + r.Method + " this path"
	}
	writeJSON(sw, rec.Status(), "application/problem+json", problem{Type: "about:blank", Title: http.StatusText(rec.Status()), Status: rec.Status(),
		Detail: detail, Instance: instanceOf(r), RequestID: id})
}

// instanceOf is a problem's instance: the request's path, unless it holds
// something shaped like a personal identity code (a client that put one in
// a path); then none, so that no answer (nor a proxy's log of it) repeats
// it.
func instanceOf(r *http.Request) string {
	if coaching.ContainsIdentityCode(r.URL.Path) {
		return ""
	}
	return r.URL.Path
}
