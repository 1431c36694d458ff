package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/valmennus/valmennus/adapters/telemetry"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// Under TrustIncomingTrace, an HTTP request carrying a trace context fires an event whose notice is
// stored with the request's trace; the dispatcher's send of that notice,
// later and under a dispatch span of its own, joins the request's trace as
// the fire span's child, and records the send's outcome. The server span
// is named after the method only, never the path (which holds the case's
// id).
func TestHTTPToFireToSend(t *testing.T) {
	r := newRig(t, &telemetry.Options{TrustIncomingTrace: true})
	e := env(t, r)
	counsellor := coaching.Actor{ID: "counsellor-1", Name: "Test Counsellor", Roles: []coaching.Role{coaching.RoleStudyCounsellor}}
	p := ct.Participant()
	c := e.Enrol(t, coaching.ModelPilot, p, ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(counsellor, coaching.RoleStudyCounsellor))

	var fired coaching.FireResult
	api := http.NewServeMux()
	api.HandleFunc("POST /cases/{id}/redirect", func(w http.ResponseWriter, req *http.Request) {
		res, err := e.Engine.Fire(req.Context(), ct.Tutor, coaching.CaseID(req.PathValue("id")), coaching.PilotRedirect,
			&coaching.FireOptions{Reason: "Siirtyy toiselle alalle."})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fired = *res
		w.WriteHeader(http.StatusAccepted)
	})
	api.HandleFunc("GET /fail", func(w http.ResponseWriter, req *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(r.obs.Handler(api))
	defer srv.Close()

	clientCtx, client := r.tp.Tracer("client").Start(context.Background(), "client")
	req, err := http.NewRequestWithContext(clientCtx, http.MethodPost, srv.URL+"/cases/"+string(c.ID)+"/redirect", nil)
	require.NoError(t, err)
	propagation.TraceContext{}.Inject(clientCtx, propagation.HeaderCarrier(req.Header))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	client.End()
	traceID := client.SpanContext().TraceID()

	spans := r.spans.GetSpans()
	server := byName(spans, "HTTP POST")
	require.Len(t, server, 1)
	assert.Equal(t, trace.SpanKindServer, server[0].SpanKind)
	assert.Equal(t, traceID, server[0].SpanContext.TraceID())
	assert.Equal(t, client.SpanContext().SpanID(), server[0].Parent.SpanID(), "the server span continues the incoming trace")
	sc, _ := attr(server[0].Attributes, "http.response.status_code")
	assert.Equal(t, "202", sc)
	fire := byName(spans, "valmennus.fire")
	require.Len(t, fire, 1)
	assert.Equal(t, server[0].SpanContext.SpanID(), fire[0].Parent.SpanID(), "the Fire under the request is its child")

	// A 5xx answer is an error span; an unknown method is not a span name.
	resp, err = http.Get(srv.URL + "/fail")
	require.NoError(t, err)
	resp.Body.Close()
	req, err = http.NewRequest("BREW", srv.URL+"/"+string(c.ID), nil)
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	spans = r.spans.GetSpans()
	get := byName(spans, "HTTP GET")
	require.Len(t, get, 1)
	assert.Equal(t, codes.Error, get[0].Status.Code)
	require.Len(t, byName(spans, "HTTP _OTHER"), 1)

	require.NotEmpty(t, fired.Notices, "the redirection notifies the counsellor")
	requireNoPersonal(t, r.collect(t), r.spans.GetSpans(), string(c.ID), string(c.ParticipantID), p.GivenNames, p.FamilyName,
		p.Contact.Email, ct.Tutor.ID, ct.Tutor.Name, counsellor.ID, counsellor.Name, fired.Notices[0].ID, fired.Notices[0].Recipient.Contact.Email)

	require.NotEmpty(t, fired.Notices, "the redirection notifies the counsellor")
	stored, err := e.Store.Notices(context.Background(), coaching.NoticeQuery{})
	require.NoError(t, err)
	require.Len(t, stored, len(fired.Notices))
	for _, n := range stored {
		assert.True(t, strings.HasPrefix(n.Trace, "00-"+traceID.String()+"-"+fire[0].SpanContext.SpanID().String()+"-"),
			"the notice carries the fire span's trace context: %q", n.Trace)
	}

	r.spans.Reset()
	sent := e.Deliver(t) // no trace in the dispatcher's context: a trace of its own
	require.Len(t, sent, len(stored))
	spans = r.spans.GetSpans()
	dispatch := byName(spans, "valmennus.dispatch")
	require.Len(t, dispatch, 1)
	assert.NotEqual(t, traceID, dispatch[0].SpanContext.TraceID())
	sends := byName(spans, "valmennus.send")
	require.Len(t, sends, len(stored))
	for _, s := range sends {
		assert.Equal(t, traceID, s.SpanContext.TraceID(), "the send joins the HTTP request's trace")
		assert.Equal(t, fire[0].SpanContext.SpanID(), s.Parent.SpanID())
		require.Len(t, s.Links, 1)
		assert.Equal(t, dispatch[0].SpanContext.SpanID(), s.Links[0].SpanContext.SpanID(), "linked to the round that sent it")
		o, _ := attr(s.Attributes, "outcome")
		assert.Equal(t, "ok", o)
		k, _ := attr(s.Attributes, "kind")
		assert.Equal(t, stored[0].Kind, k)
	}
}

// incoming is a caller's trace context: sampled, with a tracestate of the
// caller's free text.
func incoming(t *testing.T) trace.SpanContext {
	t.Helper()
	ts, err := trace.ParseTraceState("vendor=eetu.testinen")
	require.NoError(t, err)
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{0xab, 1}, SpanID: trace.SpanID{0xcd, 2},
		TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
}

// serveTraced serves one request carrying in's traceparent and tracestate
// through obs's middleware and returns the context the handler saw.
func serveTraced(t *testing.T, r *rig, in trace.SpanContext) context.Context {
	t.Helper()
	var seen context.Context
	h := r.obs.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { seen = req.Context() }))
	req := httptest.NewRequest(http.MethodPost, "/cases/case-1/events/admit", nil)
	propagation.TraceContext{}.Inject(trace.ContextWithRemoteSpanContext(context.Background(), in), propagation.HeaderCarrier(req.Header))
	require.NotEmpty(t, req.Header.Get("tracestate"))
	h.ServeHTTP(httptest.NewRecorder(), req)
	require.NotNil(t, seen)
	return seen
}

// By default the middleware does not continue a caller's trace: the
// request's span is a new root linked to the incoming span context
// (without its tracestate), and the propagation form notices are stored
// with is the new span's traceparent.
func TestHTTPIncomingTraceUntrusted(t *testing.T) {
	r := newRig(t, nil)
	in := incoming(t)
	ctx := serveTraced(t, r, in)
	spans := byName(r.spans.GetSpans(), "HTTP POST")
	require.Len(t, spans, 1)
	s := spans[0]
	assert.NotEqual(t, in.TraceID(), s.SpanContext.TraceID(), "a new trace")
	assert.False(t, s.Parent.IsValid(), "a root")
	assert.Empty(t, s.SpanContext.TraceState().String(), "the caller's tracestate is not carried on")
	require.Len(t, s.Links, 1)
	assert.Equal(t, in.TraceID(), s.Links[0].SpanContext.TraceID())
	assert.Equal(t, in.SpanID(), s.Links[0].SpanContext.SpanID())
	assert.Empty(t, s.Links[0].SpanContext.TraceState().String(), "the link drops the caller's tracestate")
	assert.Equal(t, "00-"+s.SpanContext.TraceID().String()+"-"+s.SpanContext.SpanID().String()+"-01", coaching.TraceFrom(ctx))

	// No incoming context: a root without links.
	r.spans.Reset()
	h := r.obs.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/healthz", nil))
	spans = byName(r.spans.GetSpans(), "HTTP GET")
	require.Len(t, spans, 1)
	assert.False(t, spans[0].Parent.IsValid())
	assert.Empty(t, spans[0].Links)
}

// With TrustIncomingTrace the middleware continues the caller's trace,
// tracestate included in the process's span context, but the propagation
// form notices are stored with is the traceparent only: the tracestate is
// the caller's free text.
func TestHTTPIncomingTraceTrusted(t *testing.T) {
	r := newRig(t, &telemetry.Options{TrustIncomingTrace: true})
	in := incoming(t)
	ctx := serveTraced(t, r, in)
	spans := byName(r.spans.GetSpans(), "HTTP POST")
	require.Len(t, spans, 1)
	s := spans[0]
	assert.Equal(t, in.TraceID(), s.SpanContext.TraceID())
	assert.Equal(t, in.SpanID(), s.Parent.SpanID())
	assert.Empty(t, s.Links)
	assert.Equal(t, "vendor=eetu.testinen", trace.SpanContextFromContext(ctx).TraceState().String(), "in the process's context")
	form := coaching.TraceFrom(ctx)
	assert.Equal(t, "00-"+in.TraceID().String()+"-"+s.SpanContext.SpanID().String()+"-01", form)
	assert.NotContains(t, form, "eetu")
}
