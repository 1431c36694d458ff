// Package httpstatus records the status an HTTP handler answers with, for
// the request log lines and spans of the adapters' middleware (httpapi,
// webui, telemetry), and catches the status and headers of the standard
// mux's own fallback answers (404, 405), which the adapters render in
// their own format.
package httpstatus

import "net/http"

// Writer wraps a ResponseWriter and remembers the final status written:
// informational (1xx) answers are not final. Unwrap lets
// http.ResponseController reach the connection (deadlines, Hijack), and
// Flush flushes when the underlying writer can, so streaming handlers keep
// working under a middleware.
type Writer struct {
	http.ResponseWriter
	status int
}

// NewWriter wraps w.
func NewWriter(w http.ResponseWriter) *Writer { return &Writer{ResponseWriter: w} }

// Status is the final status written so far: 0 when nothing was.
func (w *Writer) Status() int { return w.status }

// WriteHeader implements http.ResponseWriter.
func (w *Writer) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (w *Writer) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap returns the wrapped writer.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush flushes the answer so far when the wrapped writer can.
func (w *Writer) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Recorder keeps the status and headers a handler writes and drops its
// body: given to the mux's fallback handler, it tells which answer (404,
// 405 with its Allow header) the mux would have written.
type Recorder struct {
	header http.Header
	status int
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{header: http.Header{}} }

// Header implements http.ResponseWriter.
func (r *Recorder) Header() http.Header { return r.header }

// WriteHeader implements http.ResponseWriter.
func (r *Recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// Write implements http.ResponseWriter; the body is dropped.
func (r *Recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return len(b), nil
}

// Status is the status written: 0 when nothing was.
func (r *Recorder) Status() int { return r.status }
