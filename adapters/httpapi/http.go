package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/internal/strictjson"
)

// problem is an RFC 9457 problem-details body.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors lists every field problem of a 422, with JSON paths.
	Errors []coaching.FieldProblem `json:"errors,omitempty"`
	// Failures lists every rule that rejected a transition.
	Failures []coaching.RuleFailure `json:"failures,omitempty"`
	// Rule names the access-policy rule that denied a 403.
	Rule string `json:"rule,omitempty"`
	// CurrentVersion is the version a 409 conflict found.
	CurrentVersion *int64 `json:"current_version,omitempty"`
	// AllowedEvents are the events the case's state allows (a 409 for a
	// transition not allowed).
	AllowedEvents *[]string `json:"allowed_events,omitempty"`
	// Header names the request header a 400 refused.
	Header string `json:"header,omitempty"`
	// Advisories are a refused HOKS plan's findings that are stricter than
	// eHOKS: reported beside the errors, never the reason for the refusal.
	Advisories []coaching.FieldProblem `json:"advisories,omitempty"`
	// RequestID is the request's id, as in its X-Request-Id answer header
	// and its log lines.
	RequestID string `json:"request_id,omitempty"`
	// Checks are the readiness checks of a 503 from /readyz, each "ok" or
	// "failing".
	Checks map[string]string `json:"checks,omitempty"`

	// challenge is the WWW-Authenticate header of a refused sign-on.
	challenge string
	// retryAfter is the Retry-After of a 503 (the identity provider or
	// the store unavailable) or a 429; 0 for none.
	retryAfter time.Duration
	// noStore marks an answer about the caller's credentials: never cached.
	noStore bool
}

// reservedError is an actor claiming the engine's own identity.
type reservedError struct{ what, reason string }

func (e *reservedError) Error() string { return "the " + e.what + " " + e.reason }

// reservedIdentity refuses the engine's reserved system identity (role or
// id "system"), which no sign-on vouches for; the engine refuses it too.
func reservedIdentity(a coaching.Actor) *reservedError {
	if strings.EqualFold(a.ID, reservedSystem) {
		return &reservedError{what: "id", reason: `"system" is the engine's own reserved identity`}
	}
	for _, role := range a.Roles {
		if strings.EqualFold(string(role), string(coaching.RoleSystem)) {
			return &reservedError{what: "role", reason: `"system" is reserved for the engine itself`}
		}
	}
	return nil
}

// reservedSystem is the engine's own actor id, which no caller may claim.
const reservedSystem = "system"

const problemBase = "https://valmennus.example/problems/"

// problemOf maps an error to its problem: validation 422 with every field,
// forbidden 403 with the rule, not found 404, conflicts 409 with the
// current version, a transition not allowed 409 with the allowed events.
func problemOf(err error) problem {
	var (
		ve   *coaching.ValidationError
		de   *hoks.DecodeError
		rej  *coaching.RulesRejectedError
		fe   *coaching.ForbiddenError
		ce   *coaching.ConflictError
		te   *coaching.TransitionError
		body *bodyError
		he   *HeaderError
		re   *reservedError
		mbe  *http.MaxBytesError
		ae   *httpauth.Error
		bre  *bodyReadError
		rl   *rateLimitedError
		nr   *notReadyError
	)
	switch {
	case errors.As(err, &ae):
		// The authenticators of adapters/httpauth: their status and
		// challenge, and their fixed description (never the cause).
		// A 503 (the provider's keys cannot be fetched) is not a refusal:
		// the credentials may well be valid, so it has a type of its own
		// and says when to try again.
		p := problem{Type: problemBase + "unauthenticated", Title: "Not signed in", Status: ae.Status(), Detail: ae.Description,
			Header: ae.Header, challenge: ae.Challenge(), noStore: true}
		if ae.Header != "" {
			p.Detail = "header " + ae.Header + ": " + ae.Description
		}
		switch p.Status {
		case http.StatusBadRequest:
			p.Type, p.Title = problemBase+"invalid-sign-on-header", "Invalid sign-on header"
		case http.StatusServiceUnavailable:
			p.Type, p.Title = problemBase+"identity-provider-unavailable", "Identity provider unavailable"
			p.retryAfter = ae.RetryAfter
		}
		return p
	case errors.As(err, &he):
		return problem{Type: problemBase + "invalid-sign-on-header", Title: "Invalid sign-on header", Status: http.StatusBadRequest,
			Detail: he.Error(), Header: he.Header}
	case errors.As(err, &re):
		return problem{Type: problemBase + "reserved-identity", Title: "Reserved identity", Status: http.StatusBadRequest,
			Detail: "the sign-on gave " + re.Error()}
	case errors.As(err, &bre):
		return problem{Type: problemBase + "incomplete-body", Title: "Incomplete request body", Status: http.StatusBadRequest,
			Detail: bre.Error()}
	case errors.As(err, &body):
		return problem{Type: problemBase + "invalid", Title: "The request body is not valid", Status: http.StatusUnprocessableEntity,
			Detail: body.Error(), Errors: body.problems}
	case errors.Is(err, ErrUnauthenticated):
		return problem{Type: problemBase + "unauthenticated", Title: "Not signed in", Status: http.StatusUnauthorized, Detail: err.Error()}
	case errors.Is(err, hoks.ErrTooLarge):
		return problem{Type: problemBase + "too-large", Title: "Too large", Status: http.StatusRequestEntityTooLarge, Detail: err.Error()}
	case errors.As(err, &mbe):
		// An import's CSV read straight from the body.
		return problem{Type: problemBase + "too-large", Title: "Too large", Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the body is larger than %d bytes", mbe.Limit)}
	case errors.As(err, &ve):
		p := problem{Type: problemBase + "invalid", Title: "Invalid " + ve.Subject, Status: http.StatusUnprocessableEntity,
			Detail: err.Error(), Errors: ve.Problems}
		var pe *hoks.PlanError
		if errors.As(err, &pe) {
			p.Advisories = pe.Advisories
		}
		return p
	case errors.As(err, &de):
		return problem{Type: problemBase + "invalid", Title: "Invalid eHOKS document", Status: http.StatusUnprocessableEntity,
			Detail: err.Error(), Errors: de.Problems}
	case errors.As(err, &rej):
		return problem{Type: problemBase + "rules-rejected", Title: "The rules rejected the transition", Status: http.StatusUnprocessableEntity,
			Detail: err.Error(), Failures: rej.Failures}
	case errors.As(err, &fe):
		if nf := fe.NotFound(); nf != nil {
			// Another organisation's case: answered as a missing id,
			// word for word (its denial is in the access log).
			return notFoundProblem(nf)
		}
		return problem{Type: problemBase + "forbidden", Title: "Forbidden", Status: http.StatusForbidden, Detail: err.Error(), Rule: fe.Rule}
	case errors.As(err, &ce):
		cur := ce.Current
		return problem{Type: problemBase + "conflict", Title: "Changed by someone else", Status: http.StatusConflict, Detail: err.Error(), CurrentVersion: &cur}
	case errors.As(err, &te):
		allowed := te.Allowed
		if allowed == nil {
			allowed = []string{}
		}
		return problem{Type: problemBase + "transition-not-allowed", Title: "Transition not allowed", Status: http.StatusConflict,
			Detail: err.Error(), AllowedEvents: &allowed}
	case errors.Is(err, coaching.ErrIdempotencyMismatch):
		return problem{Type: problemBase + "idempotency-key-reused", Title: "Idempotency key reused for another command", Status: http.StatusUnprocessableEntity, Detail: err.Error()}
	case errors.Is(err, coaching.ErrNotFound):
		var nf *coaching.NotFoundError
		if errors.As(err, &nf) {
			return notFoundProblem(nf)
		}
		return problem{Type: problemBase + "not-found", Title: "Not found", Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, coaching.ErrDuplicate):
		return problem{Type: problemBase + "duplicate", Title: "Already exists", Status: http.StatusConflict, Detail: err.Error()}
	case errors.As(err, &rl):
		return problem{Type: problemBase + "rate-limited", Title: "Too many requests", Status: http.StatusTooManyRequests,
			Detail: rl.Error(), retryAfter: rl.wait, noStore: true}
	case errors.As(err, &nr):
		return problem{Type: problemBase + "not-ready", Title: "Not ready", Status: http.StatusServiceUnavailable,
			Detail: nr.Error(), Checks: nr.checks, noStore: true}
	case errors.Is(err, coaching.ErrUnavailable):
		// Last: a denial or a conflict that also failed to write its
		// access-log entry is still that answer. The store's error (it may
		// name a host) goes to the log only; the handler sets Retry-After.
		// The handler words the detail for the route (unavailableDetail).
		return problem{Type: problemBase + "store-unavailable", Title: "Store unavailable", Status: http.StatusServiceUnavailable,
			Detail: "the data store cannot be reached; try again later"}
	}
	return problem{Type: "about:blank", Title: "Internal Server Error", Status: http.StatusInternalServerError,
		Detail: "the request failed; the server log has the details"}
}

// notFoundProblem is the 404 of a record that does not exist — or that
// exists in another organisation than the caller's: the detail is the
// missing record's own text (its kind and id, as the caller gave it), so
// the two answers are the same to the byte, and nothing a store may have
// joined to the error reaches the caller.
func notFoundProblem(nf *coaching.NotFoundError) problem {
	return problem{Type: problemBase + "not-found", Title: "Not found", Status: http.StatusNotFound, Detail: nf.Error()}
}

// authenticate establishes the actor of a signed-in request, within the
// limits (see [Options].SignOnFailuresPerSecond). The client address's
// bucket of failed sign-ons is spent before the credentials are verified:
// a token is taken first, given back when they are accepted and kept when
// they are refused (401, or 400 for a sign-on header), so that sign-ons
// verified at once cannot together exceed the tokens left. With none left
// the request is answered 429 unverified — unless the Authenticator
// remembers its credentials ([RememberingAuthenticator]), which then cost
// nothing worth limiting. An actor with no request left in its own
// bucket is refused (429) before the route runs.
func (h *Handler) authenticate(r *http.Request) (coaching.Actor, error) {
	var (
		key    string
		failed bool // a refused sign-on (401, or 400 for a sign-on header)
	)
	if h.signOnRate != nil {
		key = signOnKey(h.clientIP(r))
		ok, wait := h.signOnRate.begin(key)
		switch {
		case ok:
			// Settled however Authenticate ends (a panic included: the
			// token is given back rather than held for ever).
			defer func() { h.signOnRate.end(key, failed) }()
		case h.remembered(r):
			defer func() {
				if failed {
					// Remembered credentials the authenticator then
					// refused (an expired token): a failure all the same.
					h.signOnRate.spend(key)
				}
			}()
		default:
			return coaching.Actor{}, &rateLimitedError{signOn: true, wait: wait}
		}
	}
	actor, err := h.auth.Authenticate(r)
	if err == nil {
		if re := reservedIdentity(actor); re != nil {
			err = re
		}
	}
	if err != nil {
		st := problemOf(err).Status
		failed = st == http.StatusUnauthorized || st == http.StatusBadRequest
		return coaching.Actor{}, err
	}
	if h.actorRate != nil {
		if ok, wait := h.actorRate.allow(actorKey(actor)); !ok {
			return coaching.Actor{}, &rateLimitedError{wait: wait}
		}
	}
	return actor, nil
}

// remembered reports whether the Authenticator remembers r's credentials.
func (h *Handler) remembered(r *http.Request) bool {
	ra, ok := h.auth.(RememberingAuthenticator)
	return ok && ra.Remembered(r)
}

// handle adapts a route's handler: the actor from the Authenticator, the
// result as JSON, an error as problem details.
// statusClientClosed is the status the request log gives a request its
// client abandoned (nginx's 499): nobody reads an answer to it.
const statusClientClosed = 499

// requestContextEnded answers a request that failed because its own
// context ended, which is neither the request's fault nor a bug, so never
// a 500 logged as an error: a client that went away gets nothing (499 in
// the request log, an Info line); a deadline the host set on the request
// (a timeout middleware, http.TimeoutHandler) a 503 timeout with
// Retry-After and the route's advice on repeating it, logged at Warn.
func (h *Handler) requestContextEnded(w http.ResponseWriter, r *http.Request, rt route, ctxErr, err error) {
	id := RequestID(r.Context())
	if errors.Is(ctxErr, context.Canceled) {
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "request abandoned by the client", slog.String("request_id", id),
			slog.String("method", r.Method), slog.String("route", r.Pattern))
		w.WriteHeader(statusClientClosed)
		return
	}
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "request deadline passed", slog.String("request_id", id),
		slog.String("method", r.Method), slog.String("route", r.Pattern), slog.Any("error", err))
	p := problem{Type: problemBase + "timeout", Title: "Timed out", Status: http.StatusServiceUnavailable,
		Detail: "the request's deadline passed before it was served; " + unavailableAdvice(rt), Instance: instanceOf(r), RequestID: id}
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(h.retryAfter)))
	writeJSON(w, p.Status, "application/problem+json", p)
}

func (h *Handler) handle(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
		var (
			actor coaching.Actor
			err   error
		)
		if !rt.public {
			actor, err = h.authenticate(r)
		}
		status, body := http.StatusOK, any(nil)
		if err == nil {
			status, body, err = rt.handler(r, actor)
		}
		if ctxErr := r.Context().Err(); err != nil && ctxErr != nil && errors.Is(err, ctxErr) {
			h.requestContextEnded(w, r, rt, ctxErr, err)
			return
		}
		if err != nil {
			p := problemOf(err)
			p.Instance = instanceOf(r)
			if coaching.ContainsIdentityCode(p.Detail) {
				// e.g. the engine's "case \"<what the client put in the
				// path>\" not found": no answer repeats an identity code.
				p.Detail = "the detail is left out: it would repeat something shaped like a personal identity code"
			}
			p.RequestID = RequestID(r.Context())
			if p.challenge != "" {
				w.Header().Set("WWW-Authenticate", p.challenge)
			}
			if p.Type == problemBase+"store-unavailable" {
				p.retryAfter = h.retryAfter
				p.Detail = unavailableDetail(rt)
			}
			if p.Status == http.StatusServiceUnavailable && p.retryAfter <= 0 && p.Type != problemBase+"not-ready" {
				// Every 503 but /readyz's says when to try again (an
				// authenticator's that gave no time: the store's).
				p.retryAfter = h.retryAfter
			}
			if p.retryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(p.retryAfter)))
			}
			if p.noStore || p.Status == http.StatusUnauthorized || p.Type == problemBase+"invalid-sign-on-header" {
				w.Header().Set("Cache-Control", "no-store")
			}
			switch {
			case p.Status == http.StatusInternalServerError:
				h.log.LogAttrs(r.Context(), slog.LevelError, "request failed", slog.String("request_id", p.RequestID),
					slog.String("method", r.Method), slog.String("route", r.Pattern), slog.Any("error", err))
			case p.Type == problemBase+"store-unavailable":
				// Not the request's fault nor a bug: a Warn, which an
				// outage repeats for every request.
				h.log.LogAttrs(r.Context(), slog.LevelWarn, "store unavailable", slog.String("request_id", p.RequestID),
					slog.String("method", r.Method), slog.String("route", r.Pattern), slog.Any("error", err))
			}
			writeJSON(w, p.Status, "application/problem+json", p)
			return
		}
		switch b := body.(type) {
		case nil:
			w.WriteHeader(status)
		case versioned:
			w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(b.v.Number, 10)))
			w.Header().Set("Content-Type", b.contentType)
			w.WriteHeader(status)
			_, _ = w.Write(b.data)
		case rawBody:
			w.Header().Set("Content-Type", b.contentType)
			w.WriteHeader(status)
			_, _ = w.Write(b.data)
		default:
			writeJSON(w, status, "application/json", body)
		}
	}
}

// unavailableDetail is the detail of a 503 store-unavailable on rt: what
// a client may safely do, which depends on the route. A read is repeated
// as it is. A write may or may not have taken effect (a commit whose
// answer was lost): an event and an enrolment are repeated with the same
// Idempotency-Key (an enrolment: or the same case_id, answered 409 if it
// was made), which is answered from the first attempt if it took effect;
// the other writes take no key, so their current state is read first.
func unavailableDetail(rt route) string {
	if rt.method == "GET" {
		return "the data store cannot be reached; " + unavailableAdvice(rt)
	}
	return "the data store cannot be reached and " + unavailableAdvice(rt)
}

// unavailableAdvice says whether a request that failed on rt may have
// taken effect, and how to repeat it safely.
func unavailableAdvice(rt route) string {
	switch {
	case rt.method == "GET":
		return "try again later"
	case rt.method == "POST" && rt.pattern == "/cases/{case}/events/{event}":
		return "the event may or may not have been recorded; " +
			"repeat it later with the same Idempotency-Key, which is answered from the first attempt if it was"
	case rt.method == "POST" && rt.pattern == "/enrolments":
		return "the enrolment may or may not have been made; " +
			"repeat it later with the same Idempotency-Key, which is answered with its case if it was " +
			"(or with the same case_id: answered 409 if it was)"
	}
	return "the request may or may not have taken effect; " +
		"read the current state before repeating it (this route takes no Idempotency-Key)"
}

// rawBody is a response written as is.
type rawBody struct {
	contentType string
	data        []byte
}

// writeJSON writes v indented (a person reads these with curl), followed
// by a newline. The encoders and their buffers are reused, so that an
// answer costs its encoding and not a fresh buffer of its size twice (for
// the value and again for its indentation).
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	e := jsonWriters.Get().(*jsonWriter)
	defer e.release()
	b := []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}` + "\n")
	if err := e.enc.Encode(v); err != nil {
		status, contentType = http.StatusInternalServerError, "application/problem+json"
	} else {
		b = e.buf.Bytes()
	}
	w.Header().Set("Content-Type", contentType)
	// Known: the answer goes out in one piece, not chunked.
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// jsonWriter is an indenting encoder over its own buffer.
type jsonWriter struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonWriters = sync.Pool{New: func() any {
	e := &jsonWriter{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetIndent("", "  ")
	return e
}}

// release returns e to the pool, unless an answer made its buffer large
// (a whole figures table): that one is left to the collector.
func (e *jsonWriter) release() {
	if e.buf.Cap() > 1<<20 {
		return
	}
	e.buf.Reset()
	jsonWriters.Put(e)
}

// bodyError is a request body that does not decode: malformed JSON, wrong
// types, unknown members — each with its JSON path.
type bodyError struct{ problems []coaching.FieldProblem }

func (e *bodyError) Error() string {
	parts := make([]string, len(e.problems))
	for i, p := range e.problems {
		parts[i] = strings.TrimPrefix(p.Field+": "+p.Message, ": ")
	}
	return "the request body does not decode: " + strings.Join(parts, "; ")
}

// bodyOptions read a request body as encoding/json would (null leaves a
// value as it is, a member given twice is read twice, a member may name a
// field in another case) but strictly: unknown members, wrong types,
// numbers that do not fit and trailing data are errors.
var bodyOptions = &strictjson.Options{AllowNull: true, Duplicates: strictjson.DecodeEveryDuplicate, FoldCase: true}

// decodeBody decodes a JSON request body into v strictly: unknown members,
// wrong types and trailing data are errors, every one reported with its
// JSON path.
func decodeBody(r *http.Request, v any) error {
	data, err := readAll(r)
	if err != nil {
		return err
	}
	err = strictjson.Decode(data, v, bodyOptions)
	var se *strictjson.Error
	if !errors.As(err, &se) {
		return err
	}
	problems := make([]coaching.FieldProblem, len(se.Problems))
	for i, p := range se.Problems {
		problems[i] = bodyProblem(data, p)
	}
	return &bodyError{problems: problems}
}

// bodyProblem words a problem of a request body.
func bodyProblem(data []byte, p strictjson.Problem) coaching.FieldProblem {
	switch p.Code {
	case strictjson.Empty:
		return coaching.FieldProblem{Message: "the body is empty; a JSON object is expected"}
	case strictjson.Syntax, strictjson.TooDeep:
		// Counted as encoding/json counts: the offending byte as read.
		line, col := strictjson.Position(data, p.Offset+1)
		what := "exceeded max depth"
		if p.Code == strictjson.Syntax {
			what = p.Err.Error()
		}
		return coaching.FieldProblem{Message: fmt.Sprintf("malformed JSON at line %d, column %d: %s", line, col, what)}
	case strictjson.Truncated:
		return coaching.FieldProblem{Message: "malformed JSON: the body ends too early"}
	case strictjson.Trailing:
		return coaching.FieldProblem{Message: "unexpected data after the JSON value"}
	case strictjson.Unknown:
		return coaching.FieldProblem{Field: p.Path, Message: "unknown member"}
	case strictjson.WrongType:
		return coaching.FieldProblem{Field: p.Path, Message: fmt.Sprintf("must be a JSON %s, got %s", jsonWant(p.Want), jsonGot(p.Got))}
	}
	// NotInteger, OutOfRange and Invalid (a field's UnmarshalJSON or
	// UnmarshalText refused the value): the decoder's words, at the path.
	return coaching.FieldProblem{Field: p.Path, Message: p.Message}
}

// jsonWant and jsonGot name JSON types without articles, as the body's
// messages always have.
func jsonWant(w strictjson.Want) string {
	switch w {
	case strictjson.WantString:
		return "string"
	case strictjson.WantBool:
		return "boolean"
	case strictjson.WantArray:
		return "array"
	case strictjson.WantObject:
		return "object"
	case strictjson.WantInteger, strictjson.WantNumber:
		return "number"
	}
	return "value"
}

func jsonGot(t strictjson.Type) string {
	return [...]string{strictjson.Null: "null", strictjson.Bool: "bool", strictjson.Number: "number",
		strictjson.String: "string", strictjson.Array: "array", strictjson.Object: "object"}[t]
}

// ifMatch reads an If-Match version ("5" or W/"5"); 0 when absent.
func ifMatch(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" {
		return 0, nil
	}
	v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, &coaching.ValidationError{Subject: "request", Problems: []coaching.FieldProblem{{Field: "If-Match", Message: "must be a version number, e.g. \"5\""}}}
	}
	return n, nil
}

// bodyReader marks the failures of reading a request body (the client cut
// the upload short: io.ErrUnexpectedEOF; its connection failed) as a
// [*bodyReadError], so that a consumer reading it as a stream (an
// import's CSV) reports the client's failure as such, not as the server's.
// The end of the body (io.EOF) and a body over the size limit
// (*http.MaxBytesError) are returned as they are.
type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var mbe *http.MaxBytesError
	if err != nil && err != io.EOF && !errors.As(err, &mbe) {
		err = &bodyReadError{err: err}
	}
	return n, err
}

// bodyReadError is a request body that could not be read to its end
// (400): the client's doing, never the server's failure.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string {
	if errors.Is(e.err, io.ErrUnexpectedEOF) {
		return "the request body ended before it was complete (the upload was cut short); send it again"
	}
	return "the request body could not be read to its end; send it again"
}

func (e *bodyReadError) Unwrap() error { return e.err }

// readAll reads the (size-limited) request body.
func readAll(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: the body is larger than %d bytes", hoks.ErrTooLarge, mbe.Limit)
		}
		return nil, &bodyError{problems: []coaching.FieldProblem{{Message: "could not read the body: " + err.Error()}}}
	}
	return data, nil
}
