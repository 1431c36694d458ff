package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
)

// HeaderRequestID carries a request's id: a client (or a proxy in front)
// may set it; every answer has it, as does every problem body
// ("request_id") and every log line of the request.
const HeaderRequestID = "X-Request-Id"

type requestIDKey struct{}

// RequestID returns the id of the request whose context ctx is (or
// derives from); "" outside a request the [Handler] serves.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// requestIDOf is the request's X-Request-Id when it is a single short
// token of letters, digits, '-', '_' and '.' (safe in a log line), else a
// new random one.
func requestIDOf(r *http.Request) string {
	if vs := r.Header.Values(HeaderRequestID); len(vs) == 1 && validRequestID(vs[0]) {
		return vs[0]
	}
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// LogHandler wraps next so that every record logged with the context of
// a request the [Handler] serves (the engine logs with it) carries the
// request's id as "request_id". Give the engine a logger built on it:
//
//	log := slog.New(httpapi.LogHandler(slog.NewTextHandler(os.Stderr, nil)))
func LogHandler(next slog.Handler) slog.Handler { return requestIDHandler{next} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" && !hasRequestID(r) {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// hasRequestID: the handler's own lines already name the id.
func hasRequestID(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == "request_id"
		return !found
	})
	return found
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
