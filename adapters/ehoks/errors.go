package ehoks

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valmennus/valmennus/coaching"
)

var (
	// ErrNotFound means eHOKS has no such HOKS: no HOKS with that id, or
	// none for that study right (404). It matches [coaching.ErrNotFound].
	ErrNotFound = fmt.Errorf("ehoks: HOKS not found: %w", coaching.ErrNotFound)
	// ErrExists means eHOKS already has a HOKS for the study right (the
	// 400 "HOKS with the same opiskeluoikeus-oid already exists", or an
	// archived one). It matches [coaching.ErrDuplicate].
	ErrExists = fmt.Errorf("ehoks: a HOKS for the study right already exists: %w", coaching.ErrDuplicate)
	// ErrUnauthorized means eHOKS refused the caller: a 401 that a fresh
	// ticket did not cure (no privilege for the school), a 403 (the CAS
	// account is not a service account) or CAS refusing the credentials.
	// It matches [coaching.ErrForbidden]; the client returns it wrapped in
	// [coaching.Misconfigured].
	ErrUnauthorized = fmt.Errorf("ehoks: access refused: %w", coaching.ErrForbidden)
)

// APIError is an eHOKS answer that is not a success. Status is the HTTP
// status; Message is eHOKS's "error" text when it sent one. For a 400,
// Problems lists what eHOKS found wrong, each under the JSON path of the
// [hoks] package's syntax ("hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1]"),
// and the error unwraps to a *[coaching.ValidationError] with them, so
// errors.Is(err, coaching.ErrInvalid) holds. The error never repeats the
// request body (eHOKS echoes it in its 400 answers; it is personal data).
//
// It matches [ErrNotFound] for a 404, [ErrExists] for the duplicate study
// right and [ErrUnauthorized] for 401 and 403.
type APIError struct {
	// Method and Route name the call, e.g. "POST" and "/hoks"; the route
	// has no identifiers in it.
	Method, Route string
	Status        int
	Message       string
	Problems      []coaching.FieldProblem
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ehoks: %s %s: %d %s", e.Method, e.Route, e.Status, http.StatusText(e.Status))
	if len(e.Problems) > 0 {
		b.WriteString(": ")
		b.WriteString(e.Unwrap().Error())
	} else if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns the validation error of a 400 answer (the only answer
// with problems), nil otherwise.
func (e *APIError) Unwrap() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return &coaching.ValidationError{Subject: "HOKS (eHOKS)", Problems: e.Problems}
}

// Is matches the sentinels, and the coaching ones they wrap, by status
// and message.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound, coaching.ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrExists, coaching.ErrDuplicate:
		return e.Status == http.StatusBadRequest && duplicateMessage(e.Message)
	case ErrUnauthorized, coaching.ErrForbidden:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	}
	return false
}

// duplicateMessage recognises eHOKS's answers to a second HOKS for a study
// right: db_operations/hoks.clj insert-hoks! (":opiskeluoikeus-already-exists")
// and the archived-HOKS check.
func duplicateMessage(msg string) bool {
	return strings.HasPrefix(msg, "HOKS with the same opiskeluoikeus-oid already exists") ||
		strings.HasPrefix(msg, "Archived HOKS with given opiskeluoikeus oid found")
}

// maxProblems caps how many problems one answer yields.
const maxProblems = 100

// errorBody is what eHOKS answers on failure: {"error": "..."} from its
// own handlers, or compojure-api's request-validation body with the
// prismatic-schema error tree in "errors" (and the request echoed in
// "value", which is never read).
type errorBody struct {
	Error  string          `json:"error"`
	Errors json.RawMessage `json:"errors"`
}

// parseError builds the APIError for a non-success answer.
func parseError(method, route string, status int, body []byte) *APIError {
	e := &APIError{Method: method, Route: route, Status: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return e
	}
	e.Message = safeMessage(eb.Error)
	if status != http.StatusBadRequest {
		return e
	}
	if len(eb.Errors) > 0 && string(eb.Errors) != "null" {
		var tree any
		if json.Unmarshal(eb.Errors, &tree) == nil {
			e.Problems = problemsOf(tree)
		}
		if len(e.Problems) == 0 {
			e.Problems = []coaching.FieldProblem{{Message: "eHOKS refused the document"}}
		}
		return e
	}
	if e.Message != "" {
		e.Problems = []coaching.FieldProblem{{Field: fieldOfMessage(e.Message), Message: e.Message}}
	}
	return e
}

// problemsOf flattens a prismatic-schema error tree: an object holds only
// the members in error, an array has null for the elements without one, and
// a string leaf says what is wrong there. Problems are sorted by path.
func problemsOf(tree any) []coaching.FieldProblem {
	var out []coaching.FieldProblem
	var walk func(v any, path string)
	walk = func(v any, path string) {
		if len(out) >= maxProblems {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(v[k], joinPath(path, safeKey(k)))
			}
		case []any:
			for i, x := range v {
				walk(x, path+"["+strconv.Itoa(i)+"]")
			}
		case string:
			out = append(out, coaching.FieldProblem{Field: path, Message: humanMessage(v)})
		case nil:
		default:
			// A number or a boolean where eHOKS's schema has a string:
			// it would be the rejected value itself.
			out = append(out, coaching.FieldProblem{Field: path, Message: refusedValue})
		}
	}
	walk(tree, "")
	return out
}

// safeKey returns a member name of eHOKS's error tree for a problem's
// path. The names are its schema's, but a map keyed by data would put the
// data in the path: a name shaped like an identity code, or longer than
// any schema's, becomes "?".
func safeKey(k string) string {
	if len(k) > 64 || coaching.ContainsIdentityCode(k) {
		return "?"
	}
	return k
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// constraintText finds the description of a failed eHOKS constraint in a
// schema leaf: (not ("Lisää osa-aikaisuustieto, joka on välillä 1-100." a-clojure.lang.PersistentArrayMap)).
var constraintText = regexp.MustCompile(`^\(not \("((?:[^"\\]|\\.)+)" `)

// maxMessage caps the bytes of one message taken from an eHOKS answer.
const maxMessage = 200

// refusedValue stands for a schema leaf, or an eHOKS message, that could
// not be shown without the value eHOKS refused (or an identity code).
const refusedValue = "eHOKS refused the value"

// humanMessage words a schema leaf: the two key errors in English, a
// constraint by its Finnish description as eHOKS wrote it, a failed
// predicate as (not (pred …)) with the rejected value left out, anything
// else as [refusedValue]. A leaf echoes the value it refuses
// ((not (re-find #"^[0-9]{7}-[0-9]$" "1234567-1 ")),
// (not (string-shorter-than? "…free text…"))), and a value in a HOKS may
// be free text about the learner: the message is logged by callers, so the
// value never reaches it. The result goes through [safeMessage].
func humanMessage(leaf string) string {
	switch leaf {
	case "missing-required-key":
		return "is required"
	case "disallowed-key":
		return "is not allowed here"
	}
	if m := constraintText.FindStringSubmatch(leaf); m != nil {
		s, err := strconv.Unquote(`"` + m[1] + `"`)
		if err != nil {
			s = m[1]
		}
		return safeMessage(s)
	}
	if pred, ok := failedPredicate(leaf); ok {
		return safeMessage(pred)
	}
	return refusedValue
}

// failedPredicate rewrites a prismatic-schema predicate failure,
// (not (pred arg… value)), as (not (pred arg… …)): the last element of the
// inner form is the value that failed, the ones before it name the
// predicate (a symbol, and for re-find its regex, for an enum its set). It
// reports false when leaf is not of that shape.
func failedPredicate(leaf string) (string, bool) {
	inner, ok := strings.CutPrefix(leaf, "(not (")
	if !ok {
		return "", false
	}
	inner, ok = strings.CutSuffix(inner, "))")
	if !ok {
		return "", false
	}
	elems, ok := formElements(inner)
	if !ok || len(elems) < 2 {
		return "", false
	}
	return "(not (" + strings.Join(elems[:len(elems)-1], " ") + " …))", true
}

// formElements splits the inside of a Clojure list as printed by
// prismatic schema into its top-level elements: atoms, strings, regexes
// (#"…"), sets (#{…}) and bracketed forms. It reports false on an
// unbalanced or unterminated form.
func formElements(s string) ([]string, bool) {
	var out []string
	for i := 0; i < len(s); {
		if c := s[i]; c == ' ' || c == ',' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		end, ok := formEnd(s, i)
		if !ok {
			return nil, false
		}
		out = append(out, s[i:end])
		i = end
	}
	return out, true
}

// formEnd returns the index just after the element starting at s[i].
func formEnd(s string, i int) (int, bool) {
	depth := 0
	for j := i; j < len(s); j++ {
		switch c := s[j]; c {
		case '"':
			k, ok := stringEnd(s, j)
			if !ok {
				return 0, false
			}
			j = k - 1
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth == 0 {
				return 0, false
			}
			depth--
		case ' ', ',', '\t', '\n', '\r':
			if depth == 0 {
				return j, true
			}
			continue
		case '#':
			continue
		}
		if depth == 0 && (s[j] == '"' || s[j] == ')' || s[j] == ']' || s[j] == '}') {
			return j + 1, true
		}
	}
	return len(s), depth == 0
}

// stringEnd returns the index just after the string literal opening at
// s[i].
func stringEnd(s string, i int) (int, bool) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// safeMessage makes a text from eHOKS fit for an error that callers log:
// anything shaped like an identity code turns the whole text into
// [refusedValue], and the text is cut to maxMessage bytes (on a rune
// boundary, with "…" marking the cut).
func safeMessage(s string) string {
	if coaching.ContainsIdentityCode(s) {
		return refusedValue
	}
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// fieldOfMessage names the member an eHOKS "error" message is about, or
// "" for the document as a whole.
func fieldOfMessage(msg string) string {
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "opiskeluoikeus"):
		return "opiskeluoikeus-oid"
	case strings.Contains(lower, "oppija"):
		return "oppija-oid"
	}
	return ""
}

// misconfigured marks an authorisation failure as the channel's fault.
func misconfigured(err error) error { return coaching.Misconfigured(err) }

// errorsAsAPI returns the *APIError in err, if any.
func errorsAsAPI(err error) (*APIError, bool) {
	var ae *APIError
	ok := errors.As(err, &ae)
	return ae, ok
}
