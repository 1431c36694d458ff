package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/internal/strictjson"
)

// The caller's identity comes from these request headers. They stand in
// for the school's single sign-on: in production a gateway that
// authenticated the user (SAML/OIDC against the school's identity
// provider) sets them and strips any the client sent. They become the
// engine's Actor, so the access policy applies to every request.
const (
	HeaderActorID      = "X-Actor-Id"           // the user's id
	HeaderActorRoles   = "X-Actor-Roles"        // comma-separated roles
	HeaderOrganisation = "X-Actor-Organisation" // the education provider
	HeaderGuardianOf   = "X-Actor-Guardian-Of"  // comma-separated participant ids (the sign-on's guardian links)
	HeaderSelf         = "X-Actor-Participant"  // the participant id of a signed-in student
	HeaderPurpose      = "X-Purpose"            // why: recorded in the access log
)

// actorOf builds the engine's actor from the sign-on headers. An
// ambiguous identity is refused before anything else (a 400 naming the
// header): a sign-on header given more than once — where a client's
// duplicate could otherwise be read instead of the gateway's value, or the
// other way round — or a single-valued one holding a comma-joined list
// (how proxies merge duplicates). So is the engine's reserved system
// identity (role or id "system"), which no sign-on vouches for; the engine
// refuses it too.
func actorOf(r *http.Request) (coaching.Actor, error) {
	for _, h := range identityHeaders {
		if n := len(r.Header.Values(h.name)); n > 1 {
			return coaching.Actor{}, &headerError{header: h.name, reason: fmt.Sprintf("given %d times; a sign-on header must be given once", n)}
		}
		if v := r.Header.Get(h.name); h.single && strings.Contains(v, ",") {
			return coaching.Actor{}, &headerError{header: h.name, reason: "holds a comma-separated list; it takes one value"}
		}
	}
	a := coaching.Actor{
		ID:           strings.TrimSpace(r.Header.Get(HeaderActorID)),
		Organisation: coaching.OrganisationID(strings.TrimSpace(r.Header.Get(HeaderOrganisation))),
		Purpose:      r.Header.Get(HeaderPurpose),
	}
	if a.ID == "" {
		return a, errUnauthenticated
	}
	if strings.EqualFold(a.ID, reservedSystem) {
		return coaching.Actor{}, &headerError{header: HeaderActorID, reason: `"system" is the engine's own reserved identity`}
	}
	for _, role := range splitList(r.Header.Get(HeaderActorRoles)) {
		if strings.EqualFold(role, string(coaching.RoleSystem)) {
			return coaching.Actor{}, &headerError{header: HeaderActorRoles, reason: `the role "system" is reserved for the engine itself`}
		}
		a.Roles = append(a.Roles, coaching.Role(role))
	}
	for _, p := range splitList(r.Header.Get(HeaderGuardianOf)) {
		a.Relations = append(a.Relations, coaching.Relation{Kind: coaching.RelationGuardianOf, Participant: coaching.ParticipantID(p)})
	}
	if p := strings.TrimSpace(r.Header.Get(HeaderSelf)); p != "" {
		a.Relations = append(a.Relations, coaching.Relation{Kind: coaching.RelationSelf, Participant: coaching.ParticipantID(p)})
	}
	return a, nil
}

// identityHeaders are the sign-on headers; single ones take one value, the
// others a comma-separated list in a single header line.
var identityHeaders = []struct {
	name   string
	single bool
}{
	{HeaderActorID, true},
	{HeaderActorRoles, false},
	{HeaderOrganisation, true},
	{HeaderGuardianOf, false},
	{HeaderSelf, true},
	{HeaderPurpose, false}, // free text, may contain commas; still given once
}

// reservedSystem is the engine's own actor id, which no caller may claim.
const reservedSystem = "system"

// headerError is a sign-on header the service refuses (400).
type headerError struct{ header, reason string }

func (e *headerError) Error() string { return "header " + e.header + ": " + e.reason }

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

var errUnauthenticated = errors.New("no " + HeaderActorID + " header: the request is not signed in")

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
}

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
		he   *headerError
	)
	switch {
	case errors.As(err, &he):
		return problem{Type: problemBase + "invalid-sign-on-header", Title: "Invalid sign-on header", Status: http.StatusBadRequest,
			Detail: he.Error(), Header: he.header}
	case errors.As(err, &body):
		return problem{Type: problemBase + "invalid", Title: "The request body is not valid", Status: http.StatusUnprocessableEntity,
			Detail: body.Error(), Errors: body.problems}
	case errors.Is(err, errUnauthenticated):
		return problem{Type: problemBase + "unauthenticated", Title: "Not signed in", Status: http.StatusUnauthorized, Detail: err.Error()}
	case errors.Is(err, hoks.ErrTooLarge):
		return problem{Type: problemBase + "too-large", Title: "Too large", Status: http.StatusRequestEntityTooLarge, Detail: err.Error()}
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
		return problem{Type: problemBase + "not-found", Title: "Not found", Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, coaching.ErrDuplicate):
		return problem{Type: problemBase + "duplicate", Title: "Already exists", Status: http.StatusConflict, Detail: err.Error()}
	}
	return problem{Type: "about:blank", Title: "Internal Server Error", Status: http.StatusInternalServerError,
		Detail: "the request failed; the server log has the details"}
}

// handle adapts a route's handler: the actor from the sign-on headers, the
// result as JSON, an error as problem details.
func (s *Server) handle(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		var (
			actor coaching.Actor
			err   error
		)
		if !rt.public {
			actor, err = actorOf(r)
		}
		status, body := http.StatusOK, any(nil)
		if err == nil {
			status, body, err = rt.handler(r, actor)
		}
		if err != nil {
			p := problemOf(err)
			p.Instance = r.URL.Path
			if p.Status == http.StatusInternalServerError {
				s.log.Error("request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
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

// rawBody is a response written as is.
type rawBody struct {
	contentType string
	data        []byte
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status, contentType = http.StatusInternalServerError, "application/problem+json"
		b = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
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
