package httpauth

import (
	"net/http"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// DevOptions configures [DevIdentities].
type DevOptions struct {
	// AssertRelations makes X-Actor-Guardian-Of and X-Actor-Participant
	// assert guardian_of and self relations, as the example back end's
	// curl session did before relations came from the records. Defaults to
	// false: a request carrying them is refused.
	AssertRelations bool
}

// DevIdentities is UNSAFE: it believes the identity headers of any caller
// (X-Actor-Id, X-Actor-Roles, X-Actor-Organisation, X-Purpose, and with
// [DevOptions].AssertRelations the relation headers), so whoever reaches
// the port is whoever they say. It exists for development and the README's
// curl session (the example's -dev-identities flag, off by default); never
// use it where anyone but the developer can connect.
//
// It still refuses an identity header given twice or a single-valued one
// holding a comma-joined list (400), the reserved system role or id, and
// a role that is not a coaching role, and an id shaped like a personal
// identity code ([ReasonIdentity]).
type DevIdentities struct {
	opts DevOptions
}

// NewDevIdentities builds the UNSAFE development authenticator.
func NewDevIdentities(opts *DevOptions) *DevIdentities {
	d := &DevIdentities{}
	if opts != nil {
		d.opts = *opts
	}
	return d
}

var devSingle = map[string]bool{HeaderActorID: true, HeaderOrganisation: true, HeaderSelf: true}

// Remembered reports whether Authenticate accepts r: development
// identities verify nothing, so an acceptable request costs what a
// remembered one does. It implements adapters/httpapi's
// RememberingAuthenticator.
func (d *DevIdentities) Remembered(r *http.Request) bool {
	_, err := d.Authenticate(r)
	return err == nil
}

// Authenticate returns the actor the headers state, or an [*Error].
func (d *DevIdentities) Authenticate(r *http.Request) (coaching.Actor, error) {
	if e := refuseDuplicates(r, devSingle, append(IdentityHeaders, HeaderPurpose)...); e != nil {
		return coaching.Actor{}, e
	}
	if e := refuseLongPurpose(r); e != nil {
		return coaching.Actor{}, e
	}
	if !d.opts.AssertRelations {
		if e := refusePresent(r, HeaderGuardianOf, HeaderSelf); e != nil {
			return coaching.Actor{}, e
		}
	}
	id := strings.TrimSpace(r.Header.Get(HeaderActorID))
	if id == "" {
		return coaching.Actor{}, &Error{Reason: ReasonMissing, Header: HeaderActorID, Description: "no " + HeaderActorID + " header: the request is not signed in"}
	}
	if isReserved(id) {
		return coaching.Actor{}, &Error{Reason: ReasonMalformedRequest, Header: HeaderActorID, Description: `"system" is the engine's own reserved identity`}
	}
	if e := refuseIdentityCode(id, HeaderActorID); e != nil {
		return coaching.Actor{}, e
	}
	roles, e := parseRoles(r.Header.Get(HeaderActorRoles), HeaderActorRoles)
	if e != nil {
		e.Reason = ReasonMalformedRequest
		return coaching.Actor{}, e
	}
	a := coaching.Actor{
		ID:           id,
		Organisation: coaching.OrganisationID(strings.TrimSpace(r.Header.Get(HeaderOrganisation))),
		Roles:        roles,
		Purpose:      r.Header.Get(HeaderPurpose),
	}
	if d.opts.AssertRelations {
		for _, p := range splitList(r.Header.Get(HeaderGuardianOf)) {
			a.Relations = append(a.Relations, coaching.Relation{Kind: coaching.RelationGuardianOf, Participant: coaching.ParticipantID(p)})
		}
		if p := strings.TrimSpace(r.Header.Get(HeaderSelf)); p != "" {
			a.Relations = append(a.Relations, coaching.Relation{Kind: coaching.RelationSelf, Participant: coaching.ParticipantID(p)})
		}
	}
	return a, nil
}
