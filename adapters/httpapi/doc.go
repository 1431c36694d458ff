// Package httpapi serves the valmennus engine over JSON and HTTP: an
// [http.Handler] a host mounts under any prefix of its own [http.ServeMux],
// beside its own routes. It enrols participants and imports a student
// information system's CSV export, fires events, records a group's
// attendance in one call, serves a case with its audit trail, the HOKS as
// eHOKS JSON (read, update with If-Match, approve), notices, the VALO table
// and ESF indicators, and the models as JSON documents and Mermaid
// diagrams. Its OpenAPI 3.1 document ([OpenAPI], served at /openapi.json)
// lists exactly the routes it registers (a test compares them), with each
// event's payload schema generated from the models' Go payload types.
//
// # Getting started
//
// Build the engine with [EngineOptions] (the models and features the
// document describes), then the handler with an [Authenticator]:
//
//	opts, _ := httpapi.EngineOptions()
//	eng, _ := coaching.New(store, opts)
//	api, _ := httpapi.New(eng, &httpapi.Options{Authenticator: auth, Logger: log})
//	mux.Handle("/coaching/", http.StripPrefix("/coaching", api))
//
// The handler starts no goroutines: the host runs the engine's
// [coaching.Dispatcher] and calls [coaching.Engine.Tick] beside it.
//
// # Identity
//
// Every route but /healthz and /openapi.json asks the [Authenticator] for
// the caller, and the engine's access policy applies to that actor. There
// is no default. Package adapters/httpauth provides authenticators that
// verify something (an OpenID Connect bearer token, a gateway that proves
// itself with an HMAC) and development identities that take the identity
// from request headers anyone can set, for development and tests only; the
// handler answers their refusals with their status and WWW-Authenticate
// challenge.
//
// # Errors
//
// Every error is an RFC 9457 problem-details body: a validation error a
// 422 listing every field with its JSON path, a policy denial a 403 naming
// the rule — except a denial of another organisation's case, which is
// answered exactly as a case id that does not exist (the same 404, or in
// POST /attendance the same field problem), so that nobody learns which
// ids another organisation holds; its denial is in the access log all the
// same ([coaching.ForbiddenError.NotFound]) — a stale version a 409 with
// the current version, a transition
// the state does not allow a 409 with the allowed events, a body larger
// than [Options].MaxBody a 413, anything unexpected a 500 whose details go
// to the log only. Every answer carries the request's id
// ([HeaderRequestID]), and so do the problem body and every log line
// ([LogHandler] adds it to the engine's lines).
package httpapi
