package webui

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// Login is the port through which a person signs in to the interface: a
// begin and a finish, the shape of every sign-in the interface has or will
// have — a page of development identities ([DevLogin]) or an OpenID
// Connect authorization-code flow with PKCE (Begin redirects to the
// provider with its state in a cookie of its own; the provider sends the
// browser back to the callback, where Finish exchanges the code). A Login
// must be safe for concurrent use.
//
// The handler calls Begin on GET {prefix}/login and Finish on GET and POST
// {prefix}/login/callback (a POST has passed the cross-origin check; a GET
// is the provider's redirect back, which is cross-site by nature and must
// be verified by the Login itself, e.g. its state cookie). The handler
// logs a Login's errors, so they must not carry personal data (an
// identity, a name, a token).
type Login interface {
	// Begin starts a sign-in. It either returns a *Chooser, which the
	// handler renders as a sign-in page (one form POSTing to p.Callback,
	// a labelled button per choice), or answers the request itself (a
	// redirect to an identity provider) and returns nil, nil. An error is
	// answered with the sign-in failure page (400).
	Begin(w http.ResponseWriter, r *http.Request, p BeginParams) (*Chooser, error)
	// Finish completes a sign-in and returns who signed in. An error
	// wrapping [ErrSignInRefused] is answered with the sign-in failure page
	// (400); any other with the 500 page. The handler checks
	// SignedIn.Return again (a local path under its prefix only) and
	// refuses an actor with no id or with the engine's reserved identity.
	Finish(w http.ResponseWriter, r *http.Request) (SignedIn, error)
}

// BeginParams are what the handler tells [Login.Begin].
type BeginParams struct {
	// Return is the local path to land on after signing in, already
	// checked (a path under the handler's prefix, never another site).
	Return string
	// Callback is the path of the sign-in callback as the browser sees it
	// ({prefix}/login/callback).
	Callback string
	// Language is the language the sign-in page is shown in.
	Language coaching.Language
}

// Chooser is a sign-in page's choices: one form, a button per choice.
// The form posts "identity" (the chosen Key), "lang" and "return".
type Chooser struct {
	Choices []Choice
	// Unsafe marks a development sign-in: the page says so in large type.
	Unsafe bool
}

// Choice is one button of a [Chooser].
type Choice struct {
	Key   string // the form value posted as "identity"
	Label string // the button's text, e.g. "Tiina Tutor (personal tutor)"
}

// SignedIn is a finished sign-in.
type SignedIn struct {
	Actor coaching.Actor
	// Language is the interface language chosen while signing in; empty:
	// Finnish.
	Language coaching.Language
	// Return is where to land (checked again by the handler).
	Return string
}

// ErrSignInRefused is wrapped by a [Login]'s refusal of a sign-in (an
// unknown identity, a state that does not match); the handler answers 400
// with the sign-in failure page.
var ErrSignInRefused = errors.New("webui: sign-in refused")

// DevIdentity is one identity of a [DevLogin].
type DevIdentity struct {
	// Key is the form value that selects it: short, unique, printable.
	Key string
	// Label is the text of its button on the sign-in page.
	Label string
	// Actor is who signs in, exactly as given (its roles and relations
	// are trusted: that is why DevLogin is for development only).
	Actor coaching.Actor
}

// DevLogin signs in as any of a fixed list of identities, chosen with a
// button on the sign-in page. It is UNSAFE: anyone who can reach the page
// signs in as anyone on the list, a head of studies included. It is for
// development, demonstrations on the embedded store and tests only, and
// a host opts in by passing one as [Options].Login; the page says it is a
// development sign-in.
type DevLogin struct {
	ids []DevIdentity
}

// NewDevLogin returns a [DevLogin] over ids, which must be non-empty with
// unique, non-empty keys and labels, and actors that have an id and do not
// claim the engine's reserved identity ("system").
func NewDevLogin(ids []DevIdentity) (*DevLogin, error) {
	if len(ids) == 0 {
		return nil, errors.New("webui: NewDevLogin: no identities")
	}
	seen := map[string]bool{}
	for i, id := range ids {
		switch {
		case strings.TrimSpace(id.Key) == "" || len(id.Key) > 100 || strings.ContainsFunc(id.Key, func(r rune) bool { return r < 0x21 || r == 0x7f }):
			return nil, fmt.Errorf("webui: NewDevLogin: identity %d: the key must be 1–100 printable characters without spaces", i)
		case seen[id.Key]:
			return nil, fmt.Errorf("webui: NewDevLogin: identity %d: key %q given twice", i, id.Key)
		case strings.TrimSpace(id.Label) == "":
			return nil, fmt.Errorf("webui: NewDevLogin: identity %q: no label", id.Key)
		case refusedActor(id.Actor) != "":
			return nil, fmt.Errorf("webui: NewDevLogin: identity %q: %s", id.Key, refusedActor(id.Actor))
		}
		seen[id.Key] = true
	}
	out := make([]DevIdentity, len(ids))
	for i, id := range ids {
		id.Actor.Roles = slices.Clone(id.Actor.Roles)
		id.Actor.Relations = slices.Clone(id.Actor.Relations)
		out[i] = id
	}
	return &DevLogin{ids: out}, nil
}

// Begin returns the identities as choices of an unsafe sign-in page.
func (d *DevLogin) Begin(_ http.ResponseWriter, _ *http.Request, _ BeginParams) (*Chooser, error) {
	ch := &Chooser{Unsafe: true}
	for _, id := range d.ids {
		ch.Choices = append(ch.Choices, Choice{Key: id.Key, Label: id.Label})
	}
	return ch, nil
}

// Finish signs in as the identity the form chose. Only a POST is accepted
// (signing in changes state; the handler has already refused a
// cross-origin one).
func (d *DevLogin) Finish(_ http.ResponseWriter, r *http.Request) (SignedIn, error) {
	if r.Method != http.MethodPost {
		return SignedIn{}, fmt.Errorf("%w: the development sign-in takes a form POST", ErrSignInRefused)
	}
	if err := r.ParseForm(); err != nil {
		return SignedIn{}, fmt.Errorf("%w: the form does not parse", ErrSignInRefused)
	}
	key := r.PostForm.Get("identity")
	i := slices.IndexFunc(d.ids, func(id DevIdentity) bool { return id.Key == key })
	if i < 0 {
		return SignedIn{}, fmt.Errorf("%w: no such development identity", ErrSignInRefused)
	}
	a := d.ids[i].Actor
	a.Roles, a.Relations = slices.Clone(a.Roles), slices.Clone(a.Relations)
	return SignedIn{Actor: a, Language: coaching.Language(r.PostForm.Get("lang")), Return: r.PostForm.Get("return")}, nil
}

// refusedActor says why an actor cannot have a session ("" when it can):
// no id, the engine's reserved identity, which no sign-in vouches for, or
// an id or name holding a personal identity code — a sign-on that names
// people by it (the code as the subject) would put the code in the
// session cookie, the audit trail's actor ids and every page that names
// who did what. The reason never repeats the code.
func refusedActor(a coaching.Actor) string {
	reserved := func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), string(coaching.RoleSystem)) }
	switch {
	case strings.TrimSpace(a.ID) == "":
		return "the actor has no id"
	case reserved(a.ID) || slices.ContainsFunc(a.Roles, func(r coaching.Role) bool { return reserved(string(r)) }):
		return `"system" is the engine's own reserved identity`
	case coaching.ContainsIdentityCode(a.ID) || coaching.ContainsIdentityCode(a.Name):
		return "the actor's id or name holds a personal identity code: the sign-on must name people by a pseudonymous subject"
	}
	return ""
}
