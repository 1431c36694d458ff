package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/valmennus/valmennus/adapters/httpapi"
	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// A host mounts the API under /coaching/ in its own mux, beside its own
// routes. httpauth.DevIdentities is for development only: the caller says who it
// is in X-Actor-* headers.
func Example() {
	opts, err := httpapi.EngineOptions()
	if err != nil {
		panic(err)
	}
	eng, err := coaching.New(memory.New(), opts)
	if err != nil {
		panic(err)
	}
	api, err := httpapi.New(eng, &httpapi.Options{Authenticator: httpauth.NewDevIdentities(nil)})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/coaching/", http.StripPrefix("/coaching", api))

	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/coaching/healthz", nil),
		httptest.NewRequest("GET", "/coaching/models", nil), // not signed in
		signedIn(httptest.NewRequest("GET", "/coaching/models", nil)),
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.Join(strings.Fields(rec.Body.String())[:4], " "))
	}
	// Output:
	// 200 { "status": "ok" }
	// 401 { "type": "https://valmennus.example/problems/unauthenticated", "title":
	// 200 { "models": [ "valo",
}

func signedIn(r *http.Request) *http.Request {
	r.Header.Set(httpauth.HeaderActorID, "coach-1")
	r.Header.Set(httpauth.HeaderActorRoles, "coach")
	r.Header.Set(httpauth.HeaderOrganisation, "school-1")
	return r
}
