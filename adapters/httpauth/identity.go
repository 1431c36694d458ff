package httpauth

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// Identity headers: the headers by which a gateway (and, unsafely, a
// development client) states who the caller is. They are the names
// examples/backend has used.
const (
	HeaderActorID      = "X-Actor-Id"           // the user's id (one value)
	HeaderActorRoles   = "X-Actor-Roles"        // comma-separated roles
	HeaderOrganisation = "X-Actor-Organisation" // the education provider (one value)
	HeaderPurpose      = "X-Purpose"            // why the user asks: recorded in the access log; at most coaching.MaxPurposeBytes (longer: 400)
	// HeaderGuardianOf and HeaderSelf assert relations. Only
	// [DevIdentities] with [DevOptions].AssertRelations reads them; every
	// other authenticator refuses a request that carries them, since
	// relations come from the engine's records.
	HeaderGuardianOf = "X-Actor-Guardian-Of" // comma-separated participant ids
	HeaderSelf       = "X-Actor-Participant" // the participant id of a signed-in student
	// HeaderGatewayTimestamp and HeaderGatewaySignature carry a gateway's
	// proof (see [GatewayOptions]).
	HeaderGatewayTimestamp = "X-Actor-Timestamp"
	HeaderGatewaySignature = "X-Actor-Signature"
)

// IdentityHeaders lists every header by which a caller could state an
// identity. An authenticator that does not read them (OIDC) refuses a
// request carrying any of them; those that do refuse each given twice.
var IdentityHeaders = []string{
	HeaderActorID, HeaderActorRoles, HeaderOrganisation, HeaderGuardianOf, HeaderSelf,
	HeaderGatewayTimestamp, HeaderGatewaySignature,
}

// refuseIdentityCode refuses an actor id shaped like a Finnish personal
// identity code: actor ids are logged and shown (the access log, notices,
// the event trail), so a host that took a sign-on broker's national
// identification number as the subject would otherwise print identity
// codes wherever actor ids are printed. The description does not echo
// the id.
func refuseIdentityCode(id, header string) *Error {
	if !coaching.ContainsIdentityCode(id) {
		return nil
	}
	return &Error{Reason: ReasonIdentity, Header: header,
		Description: "the user id is shaped like a personal identity code; actor ids must not hold one"}
}

// reservedSystem is the engine's own id and role, which no caller gets.
const reservedSystem = "system"

func isReserved(s string) bool { return strings.EqualFold(strings.TrimSpace(s), reservedSystem) }

// acceptedRole reports whether a caller may hold r: every role but the
// engine's own — the team roles, the head of studies, the student and the
// funder (coaching.RoleFunder, whom the default policy lets read figures
// across organisations and nothing else).
func acceptedRole(r coaching.Role) bool {
	return slices.Contains(coaching.TeamRoles, r) || r == coaching.RoleHeadOfStudies || r == coaching.RoleStudent ||
		r == coaching.RoleFunder
}

// onlyFunder reports whether every role is the funder's. A funder belongs
// to no education provider: the default policy decides on them before
// organisation isolation (funder_aggregate: figures across organisations,
// never a case or a person, whatever their organisation), so an
// authenticator lets a funder-only caller have no organisation. Anyone
// holding another role too needs one.
func onlyFunder(roles []coaching.Role) bool {
	return len(roles) > 0 && !slices.ContainsFunc(roles, func(r coaching.Role) bool { return r != coaching.RoleFunder })
}

// refuseDuplicates refuses a request that gives any of the headers more
// than once, or the single-valued ones as a comma-joined list (how proxies
// merge duplicates).
func refuseDuplicates(r *http.Request, single map[string]bool, headers ...string) *Error {
	for _, h := range headers {
		if n := len(r.Header.Values(h)); n > 1 {
			return &Error{Reason: ReasonMalformedRequest, Header: h,
				Description: fmt.Sprintf("the header %s is given %d times; an identity header must be given once", h, n)}
		}
		if single[h] && strings.Contains(r.Header.Get(h), ",") {
			return &Error{Reason: ReasonMalformedRequest, Header: h,
				Description: "the header " + h + " holds a comma-separated list; it takes one value"}
		}
	}
	return nil
}

// refuseLongPurpose refuses an X-Purpose longer than the engine takes
// (coaching.MaxPurposeBytes) with a 400 naming the header, before any
// credential is checked or any record read. The engine refuses such an
// actor too, before it loads a case, so that the refusal never depends on
// whether an id exists; this is the early and clear answer.
func refuseLongPurpose(r *http.Request) *Error {
	if len(r.Header.Get(HeaderPurpose)) <= coaching.MaxPurposeBytes {
		return nil
	}
	return &Error{Reason: ReasonMalformedRequest, Header: HeaderPurpose,
		Description: fmt.Sprintf("the header %s is at most %d bytes", HeaderPurpose, coaching.MaxPurposeBytes)}
}

// refusePresent refuses a request that carries any of the headers.
func refusePresent(r *http.Request, headers ...string) *Error {
	for _, h := range headers {
		if _, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
			return &Error{Reason: ReasonMalformedRequest, Header: h,
				Description: "the header " + h + " is not accepted: identity is authenticated, and relations come from the records"}
		}
	}
	return nil
}

// parseRoles splits a comma-separated role list and keeps only accepted
// coaching roles: an unknown role or the system role refuses the request.
func parseRoles(list, header string) ([]coaching.Role, *Error) {
	var roles []coaching.Role
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		r := coaching.Role(part)
		if isReserved(part) {
			return nil, &Error{Reason: ReasonIdentity, Header: header, Description: `the role "system" is reserved for the engine itself`}
		}
		if !acceptedRole(r) {
			return nil, &Error{Reason: ReasonIdentity, Header: header, Description: "a role is not one of the roles this service accepts"}
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return nil, &Error{Reason: ReasonIdentity, Header: header, Description: "no role is given"}
	}
	return roles, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
