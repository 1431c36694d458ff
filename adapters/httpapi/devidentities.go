package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// The headers [DevIdentities] reads the caller's identity from.
const (
	HeaderActorID      = "X-Actor-Id"           // the user's id
	HeaderActorRoles   = "X-Actor-Roles"        // comma-separated roles
	HeaderOrganisation = "X-Actor-Organisation" // the education provider
	HeaderGuardianOf   = "X-Actor-Guardian-Of"  // comma-separated participant ids (guardian links)
	HeaderSelf         = "X-Actor-Participant"  // the participant id of a signed-in student
	HeaderPurpose      = "X-Purpose"            // why: recorded in the access log
)

// DevIdentities is an [Authenticator] for development and tests only:
// UNSAFE in any deployment, because the caller says who it is. It takes
// the actor from request headers ([HeaderActorID], [HeaderActorRoles],
// [HeaderOrganisation], [HeaderGuardianOf], [HeaderSelf], [HeaderPurpose])
// that anyone reaching the port can set: a student header reads that
// student's case, a guardian header names its own wards. Behind a reverse
// proxy that authenticated the user and strips these headers from
// clients it is only as safe as that proxy; a deployment uses a real
// sign-on (OpenID Connect, or a gateway that proves itself) instead.
//
// An ambiguous identity is refused (a [*HeaderError], answered 400): a
// header given more than once — where a client's duplicate could
// otherwise be read instead of the gateway's value, or the other way
// round — or a single-valued one holding a comma-joined list (how proxies
// merge duplicates). So is the engine's reserved system identity (role or
// id "system"). Without [HeaderActorID] the request is not signed in
// ([ErrUnauthenticated]).
type DevIdentities struct{}

// Authenticate implements [Authenticator].
func (DevIdentities) Authenticate(r *http.Request) (coaching.Actor, error) {
	for _, h := range identityHeaders {
		if n := len(r.Header.Values(h.name)); n > 1 {
			return coaching.Actor{}, &HeaderError{Header: h.name, Reason: fmt.Sprintf("given %d times; a sign-on header must be given once", n)}
		}
		if v := r.Header.Get(h.name); h.single && strings.Contains(v, ",") {
			return coaching.Actor{}, &HeaderError{Header: h.name, Reason: "holds a comma-separated list; it takes one value"}
		}
	}
	a := coaching.Actor{
		ID:           strings.TrimSpace(r.Header.Get(HeaderActorID)),
		Organisation: coaching.OrganisationID(strings.TrimSpace(r.Header.Get(HeaderOrganisation))),
		Purpose:      r.Header.Get(HeaderPurpose),
	}
	if a.ID == "" {
		return a, fmt.Errorf("%w: no %s header", ErrUnauthenticated, HeaderActorID)
	}
	for _, role := range splitList(r.Header.Get(HeaderActorRoles)) {
		a.Roles = append(a.Roles, coaching.Role(role))
	}
	for _, p := range splitList(r.Header.Get(HeaderGuardianOf)) {
		a.Relations = append(a.Relations, coaching.Relation{Kind: coaching.RelationGuardianOf, Participant: coaching.ParticipantID(p)})
	}
	if p := strings.TrimSpace(r.Header.Get(HeaderSelf)); p != "" {
		a.Relations = append(a.Relations, coaching.Relation{Kind: coaching.RelationSelf, Participant: coaching.ParticipantID(p)})
	}
	if err := reservedIdentity(a); err != nil {
		return coaching.Actor{}, &HeaderError{Header: map[string]string{"id": HeaderActorID, "role": HeaderActorRoles}[err.what], Reason: err.reason}
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

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
