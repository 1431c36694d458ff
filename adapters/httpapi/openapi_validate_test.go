package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// openAPIRouter is the served document, loaded and validated by
// kin-openapi once, and a router over its operations. The document's
// servers are dropped so that its paths match a test server on any port.
var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	doc.Servers = nil
	closeObjects(doc)
	return legacy.NewRouter(doc)
})

// closeObjects makes every object schema of doc with properties and no
// additionalProperties refuse members it does not list, so that a member
// the service writes (or reads) and the document does not describe fails
// the tests. The published document leaves them open, so that a client
// written against it keeps working when a member is added; the tests hold
// the service to the document as it is.
func closeObjects(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(ref *openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			s.AdditionalProperties.Has = openapi3.Ptr(false)
		}
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
		for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range list {
				walk(r)
			}
		}
	}
	for _, s := range doc.Components.Schemas {
		walk(s)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(mt.Schema)
				}
			}
			for _, res := range op.Responses.Map() {
				if res.Value != nil {
					for _, mt := range res.Value.Content {
						walk(mt.Schema)
					}
				}
			}
		}
	}
}

// validateExchange checks one request and the service's answer to it
// against the OpenAPI document:
//   - a request no operation takes is skipped when the service answered
//     it with its 404 or 405 (a test asking for a route that is not
//     there), and is an error otherwise (a route the document lacks);
//   - the request is validated (its sign-on is not: the document's
//     security says how a caller signs in, the tests sign in with the
//     development headers); a request the document refuses is an error
//     only when the service accepted it (a 2xx): a test may send a bad
//     request on purpose, and the service then answers 4xx;
//   - the response is validated always: its status must be one the
//     operation documents, its body (problem details included) must match
//     the status's schema.
//
// Benchmarks are not validated: the figures are the service's, not the
// validator's.
func validateExchange(t testing.TB, req *http.Request, reqBody []byte, res response) {
	t.Helper()
	if _, bench := t.(*testing.B); bench {
		return
	}
	router, err := openAPIRouter()
	require.NoError(t, err, "kin-openapi loads and validates openapi.json")
	route, params, err := router.FindRoute(req)
	if err != nil {
		var re *routers.RouteError
		if errors.As(err, &re) && (res.status == http.StatusNotFound || res.status == http.StatusMethodNotAllowed) {
			return
		}
		t.Errorf("OpenAPI: %s %s answered %d has no operation in the document: %v", req.Method, req.URL.Path, res.status, err)
		return
	}
	ctx := context.Background()
	r := req.Clone(ctx)
	r.Body = http.NoBody
	if reqBody != nil {
		r.Body = readCloser{bytes.NewReader(reqBody)}
		// The service reads a body as the operation's media type whatever
		// the request's Content-Type says, and the tests mostly send none:
		// validate the body as that media type.
		if rb := route.Operation.RequestBody; r.Header.Get("Content-Type") == "" && rb != nil && rb.Value != nil && len(rb.Value.Content) == 1 {
			for mt := range rb.Value.Content {
				r.Header.Set("Content-Type", mt)
			}
		}
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && res.status/100 == 2 {
		t.Errorf("OpenAPI: the document refuses %s %s, which the service accepted (%d): %v", req.Method, req.URL.Path, res.status, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.status, Header: res.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(res.body)
	assert.NoError(t, openapi3filter.ValidateResponse(ctx, out), "OpenAPI: the answer to %s %s (%d) matches the document; body: %.2000s",
		req.Method, req.URL.Path, res.status, res.body)
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// The document loads in kin-openapi as OpenAPI 3.1 and passes its
// validation, with the bearer scheme.
func TestOpenAPILoadsInKinOpenAPI(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(loader.Context))
	assert.True(t, doc.IsOpenAPI31OrLater())
	require.NotNil(t, doc.Components.SecuritySchemes["bearer"])
	assert.Equal(t, "bearer", doc.Components.SecuritySchemes["bearer"].Value.Scheme)
	_, err = openAPIRouter()
	require.NoError(t, err)
}

// recordingT keeps the errors a check reports instead of failing the test.
type recordingT struct {
	testing.TB
	errs []string
}

func (r *recordingT) Helper() {}
func (r *recordingT) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// validateExchange finds an answer or an accepted request that the
// document does not describe, and lets a refused bad request or a path no
// route takes pass.
func TestValidateExchangeFindsDrift(t *testing.T) {
	problemHdr := http.Header{"Content-Type": {"application/problem+json"}}
	jsonHdr := http.Header{"Content-Type": {"application/json"}}
	problem := []byte(`{"type":"about:blank","title":"Not Found","status":404}`)
	for _, c := range []struct {
		name       string
		method     string
		path, body string
		res        response
		drift      bool
	}{
		{"a documented problem", "GET", "/cases/c1", "", response{status: 404, header: problemHdr, body: problem}, false},
		{"a case of the wrong shape", "GET", "/cases/c1", "", response{status: 200, header: jsonHdr, body: []byte(`{"case":{"id":5},"audit":[]}`)}, true},
		{"a status the operation does not document", "GET", "/models", "", response{status: 418, header: problemHdr, body: problem}, true},
		{"a problem without its status", "GET", "/models", "", response{status: 401, header: problemHdr, body: []byte(`{"type":"x","title":"y"}`)}, true},
		{"a payload of no payload type, accepted", "POST", "/cases/c1/events/admit", `{"payload":{"motivation":"perhaps"}}`,
			response{status: 200, header: jsonHdr, body: []byte(`{"case":{},"entry":{}}`)}, true},
		{"the same payload, refused", "POST", "/cases/c1/events/admit", `{"payload":{"motivation":"perhaps"}}`,
			response{status: 422, header: problemHdr, body: []byte(`{"type":"x","title":"y","status":422}`)}, false},
		{"a path no route takes, answered 404", "GET", "/nowhere", "", response{status: 404, header: problemHdr, body: problem}, false},
		{"a path no route takes, answered 200", "GET", "/nowhere", "", response{status: 200, header: jsonHdr, body: []byte(`{}`)}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, "http://127.0.0.1:1"+c.path, nil)
			require.NoError(t, err)
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			rt := &recordingT{TB: t}
			validateExchange(rt, req, body, c.res)
			if c.drift {
				assert.NotEmpty(t, rt.errs, "drift found")
			} else {
				assert.Empty(t, rt.errs)
			}
		})
	}
}

// The sign-on failures of every signed-in route are answered as the
// document's 400, 401 and 503 responses have them: problem details, the
// challenge in WWW-Authenticate, Retry-After for an unavailable identity
// provider, never cached.
func TestSignOnFailuresAsDocumented(t *testing.T) {
	failures := map[string]*httpauth.Error{
		"missing": {Reason: httpauth.ReasonMissing, Description: "no bearer token", Scheme: "Bearer", Realm: "valmennus"},
		"expired": {Reason: httpauth.ReasonExpired, Description: "the token has expired", Scheme: "Bearer", Realm: "valmennus"},
		"twice": {Reason: httpauth.ReasonMalformedRequest, Description: "given twice", Header: "Authorization", Scheme: "Bearer",
			Realm: "valmennus"},
		"unavailable": {Reason: httpauth.ReasonUnavailable, Description: "the identity provider cannot be reached", Scheme: "Bearer",
			RetryAfter: 30 * time.Second},
	}
	auth := AuthenticatorFunc(func(r *http.Request) (coaching.Actor, error) {
		return coaching.Actor{}, failures[r.Header.Get("X-Test-Failure")]
	})
	_, h := newAPI(t, memory.New(), nil, &Options{Authenticator: auth})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, rt := range h.routes {
		if rt.public {
			continue
		}
		route, method, pattern := rt.method+" "+rt.pattern, rt.method, rt.pattern
		path := strings.NewReplacer("{case}", "c1", "{event}", "admit", "{model}", "valo").Replace(pattern)
		for name, f := range failures {
			t.Run(route+" "+name, func(t *testing.T) {
				req, err := http.NewRequest(method, srv.URL+path, nil)
				require.NoError(t, err)
				req.Header.Set("X-Test-Failure", name)
				res, err := srv.Client().Do(req)
				require.NoError(t, err)
				defer res.Body.Close()
				body, err := io.ReadAll(res.Body)
				require.NoError(t, err)
				r := response{status: res.StatusCode, header: res.Header, body: body}
				require.Equal(t, f.Status(), r.status, "body: %s", body)
				validateExchange(t, req, nil, r)
				assert.Equal(t, f.Challenge(), r.header.Get("WWW-Authenticate"))
				assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
				if f.Reason == httpauth.ReasonUnavailable {
					assert.Equal(t, "30", r.header.Get("Retry-After"))
				}
			})
		}
	}
}
