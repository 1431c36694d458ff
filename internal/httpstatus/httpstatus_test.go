package httpstatus_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/internal/httpstatus"
)

func TestWriter(t *testing.T) {
	rec := httptest.NewRecorder()
	w := httpstatus.NewWriter(rec)
	assert.Zero(t, w.Status())
	w.WriteHeader(http.StatusEarlyHints)
	assert.Zero(t, w.Status(), "an informational answer is not final")
	w.WriteHeader(http.StatusTeapot)
	_, _ = w.Write([]byte("x"))
	assert.Equal(t, http.StatusTeapot, w.Status())

	w = httpstatus.NewWriter(httptest.NewRecorder())
	_, _ = w.Write([]byte("x"))
	assert.Equal(t, http.StatusOK, w.Status(), "a body without a header is a 200")

	flushed := httptest.NewRecorder()
	w = httpstatus.NewWriter(flushed)
	w.Flush()
	assert.True(t, flushed.Flushed)
	assert.Equal(t, http.StatusOK, w.Status())
	assert.Same(t, flushed, w.Unwrap().(*httptest.ResponseRecorder))
}

func TestRecorder(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a", func(http.ResponseWriter, *http.Request) {})
	r := httpstatus.NewRecorder()
	_, pattern := mux.Handler(httptest.NewRequest(http.MethodPost, "/a", nil))
	assert.Empty(t, pattern)
	h, _ := mux.Handler(httptest.NewRequest(http.MethodPost, "/a", nil))
	h.ServeHTTP(r, httptest.NewRequest(http.MethodPost, "/a", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, r.Status())
	assert.Contains(t, r.Header().Get("Allow"), "GET")

	r = httpstatus.NewRecorder()
	h, _ = mux.Handler(httptest.NewRequest(http.MethodGet, "/nothing", nil))
	h.ServeHTTP(r, httptest.NewRequest(http.MethodGet, "/nothing", nil))
	assert.Equal(t, http.StatusNotFound, r.Status())
}
