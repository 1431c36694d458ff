package main

import (
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// collector is an OTLP/HTTP trace receiver on loopback that keeps the
// spans it is sent.
type collector struct {
	url string

	mu    sync.Mutex
	spans []*tracepb.Span
}

func startCollector(t *testing.T) *collector {
	t.Helper()
	c := &collector{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				c.spans = append(c.spans, ss.GetSpans()...)
			}
		}
		c.mu.Unlock()
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	c.url = "http://" + l.Addr().String()
	return c
}

func (c *collector) received() []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*tracepb.Span(nil), c.spans...)
}

// With OTEL_EXPORTER_OTLP_ENDPOINT set, the spans go to that collector,
// flushed at shutdown: the request that marked the absence and the send
// of the digest it enqueued, hours later, are one trace. No span
// attribute holds personal data.
func TestRunExportsTracesOverOTLP(t *testing.T) {
	col := startCollector(t)
	t.Setenv(envOTLPEndpoint, col.url)
	t.Setenv(envOTLPTracesEndpoint, "")
	mail := startMailServer(t)
	clock := ct.NewClock(pilotStart)
	base, logs, stop := startRunStoppable(t, &testHooks{clock: clock, dispatchInterval: 10 * time.Millisecond},
		"-dev-identities", "-smtp", mail.addr, "-smtp-insecure")
	assert.Contains(t, logs.String(), "traces are exported over OTLP")
	caseID := enrolMinorAbsent(t, base)
	clock.Set(time.Date(2024, 4, 2, 15, 1, 0, 0, coaching.Helsinki))
	eventually(t, "the digest delivered", func() bool { return len(mail.messages()) == 1 })
	stop()

	spans := col.received()
	byName := map[string][]*tracepb.Span{}
	for _, s := range spans {
		byName[s.GetName()] = append(byName[s.GetName()], s)
	}
	require.Len(t, byName["HTTP POST"], 2, "the enrolment and the attendance marks")
	require.Len(t, byName["valmennus.send"], 1)
	send := byName["valmennus.send"][0]
	posts := map[string]bool{}
	for _, s := range byName["HTTP POST"] {
		posts[string(s.GetTraceId())] = true
	}
	assert.True(t, posts[string(send.GetTraceId())], "the send belongs to the trace of the request that enqueued its notice")

	personal := append([]string{caseID}, minorsData...)
	for _, s := range spans {
		for _, a := range s.GetAttributes() {
			for _, pd := range personal {
				assert.NotContains(t, a.GetValue().GetStringValue(), pd, "%s %s", s.GetName(), a.GetKey())
			}
		}
	}
}

// A request's span starts a new trace linked to the trace context the
// caller sent, unless -trust-incoming-trace says the proxy in front is
// trusted: then it continues it.
func TestRunIncomingTrace(t *testing.T) {
	const (
		callerTrace = "0af7651916cd43dd8448eb211c80319c"
		callerSpan  = "b7ad6b7169203331"
	)
	for _, trusted := range []bool{false, true} {
		col := startCollector(t)
		t.Setenv(envOTLPEndpoint, col.url)
		t.Setenv(envOTLPTracesEndpoint, "")
		var args []string
		if trusted {
			args = append(args, "-trust-incoming-trace")
		}
		base, _, stop := startRunStoppable(t, nil, args...)
		res, _ := get(t, base+"/healthz", "traceparent", "00-"+callerTrace+"-"+callerSpan+"-01", "tracestate", "vendor=caller-text")
		require.Equal(t, http.StatusOK, res.StatusCode)
		stop()

		var span *tracepb.Span
		for _, s := range col.received() {
			if s.GetName() == "HTTP GET" {
				span = s
			}
		}
		require.NotNil(t, span, "trusted=%v", trusted)
		if trusted {
			assert.Equal(t, "vendor=caller-text", span.GetTraceState(), "the trusted caller's tracestate goes on")
			assert.Equal(t, callerTrace, hex.EncodeToString(span.GetTraceId()), "continued")
			assert.Equal(t, callerSpan, hex.EncodeToString(span.GetParentSpanId()))
			assert.Empty(t, span.GetLinks())
			continue
		}
		assert.NotEqual(t, callerTrace, hex.EncodeToString(span.GetTraceId()), "a new trace")
		assert.Empty(t, span.GetParentSpanId(), "a root")
		assert.Empty(t, span.GetTraceState())
		require.Len(t, span.GetLinks(), 1)
		link := span.GetLinks()[0]
		assert.Equal(t, callerTrace, hex.EncodeToString(link.GetTraceId()))
		assert.Equal(t, callerSpan, hex.EncodeToString(link.GetSpanId()))
		assert.Empty(t, link.GetTraceState(), "the caller's tracestate is dropped")
	}
}
