package httpauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/coaching"
)

// A host authenticates staff by their provider's OpenID Connect tokens:
// the provider's "roles" claim values are mapped to coaching roles by an
// allow-list, and the organisation is fixed. A refused request is
// answered with 401 and a WWW-Authenticate challenge.
func ExampleOIDC() {
	idp := newTestIssuer() // stands in for the provider's identity service
	defer idp.Close()

	opts := &httpauth.OIDCOptions{
		Issuer:       idp.URL(),
		Audience:     "valmennus-api",
		Roles:        map[string]coaching.Role{"coach": coaching.RoleCoach, "tutor": coaching.RolePersonalTutor},
		Organisation: "school-1",
	}
	opts.Test.Now = func() time.Time { return now } // the example's tokens are dated
	auth, err := httpauth.NewOIDC(context.Background(), opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, err := auth.Authenticate(r)
		if err != nil {
			httpauth.WriteError(w, err)
			return
		}
		fmt.Fprintf(w, "%s %s %v", actor.ID, actor.Organisation, actor.Roles)
	})

	token := sign(idp.Current(), map[string]any{
		"iss": idp.URL(), "aud": "valmennus-api", "sub": "u-42", "roles": []string{"coach"},
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	})
	for _, authz := range []string{"Bearer " + token, "Bearer " + tamper(token), ""} {
		r := httptest.NewRequest(http.MethodGet, "/coaching/cases", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			fmt.Println(w.Code, w.Body.String())
		} else {
			fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	// Output:
	// 200 u-42 school-1 [coach]
	// 401 Bearer realm="valmennus", error="invalid_token", error_description="the token could not be verified"
	// 401 Bearer realm="valmennus"
}

// A trusted reverse proxy that signed the user in sets the identity
// headers and proves it did with an HMAC over them, the request and a
// timestamp; the proxy's side is SignGateway.
func ExampleGateway() {
	secret := []byte("a secret of at least 32 bytes shared with the proxy")
	opts := &httpauth.GatewayOptions{Secrets: [][]byte{secret}}
	opts.Test.Now = func() time.Time { return now }
	auth, err := httpauth.NewGateway(opts)
	if err != nil {
		fmt.Println(err)
		return
	}

	// What the proxy does, after removing any identity header the client sent:
	r := httptest.NewRequest(http.MethodGet, "/coaching/cases/c-1", nil)
	r.Header.Set(httpauth.HeaderActorID, "tutor-1")
	r.Header.Set(httpauth.HeaderActorRoles, "personal_tutor")
	r.Header.Set(httpauth.HeaderOrganisation, "school-1")
	r.Header.Set(httpauth.HeaderGatewayTimestamp, strconv.FormatInt(now.Unix(), 10))
	sig, err := httpauth.SignGateway(secret, r)
	if err != nil {
		fmt.Println(err)
		return
	}
	r.Header.Set(httpauth.HeaderGatewaySignature, sig)

	actor, err := auth.Authenticate(r)
	fmt.Println(actor.ID, actor.Organisation, actor.Roles, err)

	// A client that sets the headers itself has no proof.
	forged := httptest.NewRequest(http.MethodGet, "/coaching/cases/c-1", nil)
	forged.Header.Set(httpauth.HeaderActorID, "head-1")
	forged.Header.Set(httpauth.HeaderActorRoles, "head_of_studies")
	_, err = auth.Authenticate(forged)
	fmt.Println(err)
	// Output:
	// tutor-1 school-1 [personal_tutor] <nil>
	// httpauth: invalid_token: identity headers without the gateway's proof are refused
}

// DevIdentities is UNSAFE (whoever sends the headers is who they say): it
// is for a developer's own machine, behind the example's -dev-identities
// flag. It still refuses the engine's reserved role.
func ExampleDevIdentities() {
	auth := httpauth.NewDevIdentities(nil)

	r := httptest.NewRequest(http.MethodGet, "/coaching/cases", nil)
	r.Header.Set(httpauth.HeaderActorID, "coach-1")
	r.Header.Set(httpauth.HeaderActorRoles, "coach")
	r.Header.Set(httpauth.HeaderOrganisation, "school-1")
	actor, err := auth.Authenticate(r)
	fmt.Println(actor.ID, actor.Roles, err)

	r.Header.Set(httpauth.HeaderActorRoles, "system")
	_, err = auth.Authenticate(r)
	fmt.Println(err)
	// Output:
	// coach-1 [coach] <nil>
	// httpauth: malformed_request: the role "system" is reserved for the engine itself
}
