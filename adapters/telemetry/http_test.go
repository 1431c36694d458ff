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

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// An HTTP request carrying a trace context fires an event whose notice is
// stored with the request's trace; the dispatcher's send of that notice,
// later and under a dispatch span of its own, joins the request's trace as
// the fire span's child, and records the send's outcome. The server span
// is named after the method only, never the path (which holds the case's
// id).
func TestHTTPToFireToSend(t *testing.T) {
	r := newRig(t, nil)
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
