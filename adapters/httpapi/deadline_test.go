package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
)

// A request whose own context ended is neither the request's fault nor a
// bug: a deadline the host set is a 503 timeout with Retry-After and the
// route's advice on repeating it, logged at Warn; a client that went away
// is a 499 in the request log, at Info. Neither is a 500 logged as an
// error.
func TestRequestContextEndedIsNot500(t *testing.T) {
	var logs lockedBuffer
	_, h := newAPI(t, memory.New(), nil, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	send := func(ctx context.Context, method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
		for i := 0; i+1 < len(coachHeaders); i += 2 {
			req.Header.Set(coachHeaders[i], coachHeaders[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	enrol := `{"model":"valo","participant":{"given_names":"Aino","family_name":"Virtanen","birth_date":"1994-05-17","language":"fi","organisation":"school-1"},"team":[{"actor_id":"coach-1","role":"coach","name":"Maija Kares"}]}`

	passed, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	rec := send(passed, "POST", "/enrolments", enrol)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
	assert.Contains(t, rec.Body.String(), problemBase+"timeout")
	assert.Contains(t, rec.Body.String(), "Idempotency-Key", "the advice on repeating an enrolment")
	rec = send(passed, "GET", "/cases/school-1:nobody", "")
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), "try again later")

	gone, stop := context.WithCancel(context.Background())
	stop()
	rec = send(gone, "POST", "/enrolments", enrol)
	assert.Equal(t, statusClientClosed, rec.Code)
	assert.Empty(t, rec.Body.String())

	out := logs.String()
	assert.NotContains(t, out, "request failed")
	assert.NotContains(t, out, "level=ERROR")
	assert.Contains(t, out, `level=WARN msg="request deadline passed"`)
	assert.Contains(t, out, `level=INFO msg="request abandoned by the client"`)
	assert.Contains(t, out, "status=499")
}
