package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
)

// flakyProxy forwards TCP connections to PostgreSQL and can fail them: down
// closes every connection and refuses new ones (the database gone), and
// dropCommit lets the next read-write transaction's COMMIT through to the
// server but drops the server's answer and the connection, so that the
// transaction commits and its client cannot know it did.
type flakyProxy struct {
	l      net.Listener
	target string

	mu         sync.Mutex
	down       bool
	dropCommit bool
	dropped    chan struct{} // closed when a COMMIT's answer has been dropped
	conns      map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *flakyProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &flakyProxy{l: l, target: target, conns: map[net.Conn]struct{}{}}
	go p.accept()
	t.Cleanup(func() {
		_ = l.Close()
		p.setDown(true)
	})
	return p
}

func (p *flakyProxy) accept() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go p.pipe(c, s)
	}
}

// pipe forwards one connection both ways, chunk by chunk. While
// dropCommit is armed it watches the server's answers (statements may be
// sent by the name they were prepared under, answers always carry their
// command tags): the first COMMIT of a transaction that wrote (an INSERT
// or an UPDATE tag since the last COMMIT or ROLLBACK) is not passed on,
// and the connection is closed.
func (p *flakyProxy) pipe(client, server net.Conn) {
	closeBoth := func() {
		_ = client.Close()
		_ = server.Close()
	}
	go func() {
		defer closeBoth()
		_, _ = io.Copy(server, client)
	}()
	defer closeBoth()
	wrote := false
	buf := make([]byte, 64<<10)
	for {
		n, err := server.Read(buf)
		if err != nil {
			return
		}
		chunk := buf[:n]
		if bytes.Contains(chunk, []byte("INSERT 0 ")) || bytes.Contains(chunk, []byte("UPDATE ")) {
			wrote = true
		}
		if bytes.Contains(chunk, []byte("COMMIT\x00")) {
			p.mu.Lock()
			drop := p.dropCommit && wrote
			if drop {
				p.dropCommit = false
				close(p.dropped)
			}
			p.mu.Unlock()
			if drop {
				// The server has committed (CommandComplete COMMIT); the
				// client never hears it.
				return
			}
			wrote = false
		}
		if bytes.Contains(chunk, []byte("ROLLBACK\x00")) {
			wrote = false
		}
		if _, err := client.Write(chunk); err != nil {
			return
		}
	}
}

// setDown takes the database away (every connection closed, new ones
// refused) or gives it back.
func (p *flakyProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			_ = c.Close()
		}
		clear(p.conns)
	}
}

// armCommitDrop arms the drop of the next read-write COMMIT's answer and
// returns a channel closed once it has been dropped.
func (p *flakyProxy) armCommitDrop() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropCommit, p.dropped = true, make(chan struct{})
	return p.dropped
}

// postgresBehindProxy is a PostgreSQL store in a schema of its own, whose
// pool connects through a flakyProxy.
func postgresBehindProxy(t *testing.T) (*postgres.Store, *flakyProxy) {
	t.Helper()
	dsn := os.Getenv("VALMENNUS_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("VALMENNUS_REQUIRE_POSTGRES") != "" {
			t.Fatal("VALMENNUS_POSTGRES_DSN is not set and VALMENNUS_REQUIRE_POSTGRES is")
		}
		t.Skip("VALMENNUS_POSTGRES_DSN is not set")
	}
	ctx := context.Background()
	direct, err := pgxpool.New(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(direct.Close)
	schema := fmt.Sprintf("unavailable_%d", rand.Uint64()%1e12)
	s, err := postgres.New(direct, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	t.Cleanup(func() { _, _ = direct.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })

	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	proxy := startProxy(t, net.JoinHostPort(cfg.ConnConfig.Host, fmt.Sprint(cfg.ConnConfig.Port)))
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Host = proxy.l.Addr().String()
	pool, err := pgxpool.New(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	viaProxy, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	return viaProxy, proxy
}

// fireWithKey posts an event with an Idempotency-Key.
func fireWithKey(t *testing.T, h http.Handler, id, event, key, body string) response {
	t.Helper()
	return serve(h, "POST", "/cases/"+id+"/events/"+event, body, append([]string{"Idempotency-Key", key, "Content-Type", "application/json"}, coachHeaders...)...)
}

// A PostgreSQL store that cannot be reached is a 503 with Retry-After
// (problem type store-unavailable), logged at Warn, not a 500; /readyz
// names the store. When the database is back the same request, repeated
// with its Idempotency-Key, is done once. And when a COMMIT's answer is
// lost (the transaction committed, the client got a 503), the repeated
// request is answered from the first one's record: one audit entry, not
// two.
func TestStoreUnavailableIs503AndSafeToRetry(t *testing.T) {
	store, proxy := postgresBehindProxy(t)
	var logs lockedBuffer
	_, h := newAPI(t, store, nil, &Options{RetryAfter: 7 * time.Second, Ready: []Check{StoreCheck(store)},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	r := serve(h, "POST", "/enrolments", mustJSON(t, enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach"))),
		append([]string{"Content-Type", "application/json"}, coachHeaders...)...)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	id := r.json(t)["id"].(string)
	r = fireWithKey(t, h, id, "admit", "admit-1", mustJSON(t, map[string]any{"payload": allMet}))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)

	// The database goes away.
	proxy.setDown(true)
	require.ErrorIs(t, store.Ping(context.Background()), coaching.ErrUnavailable)
	r = fireWithKey(t, h, id, "pause", "pause-1", `{"reason":"holiday"}`)
	p := requireProblem(t, r, http.StatusServiceUnavailable)
	assert.Equal(t, problemBase+"store-unavailable", p["type"])
	assert.Equal(t, "7", r.header.Get("Retry-After"))
	documented(t, "POST", "/cases/"+id+"/events/pause", `{"reason":"holiday"}`, r)
	assert.NotContains(t, string(r.body), "127.0.0.1", "the store's error stays in the log")
	p = requireProblem(t, serve(h, "GET", "/cases/"+id, "", coachHeaders...), http.StatusServiceUnavailable)
	assert.Equal(t, problemBase+"store-unavailable", p["type"])
	p = requireProblem(t, serve(h, "GET", "/readyz", ""), http.StatusServiceUnavailable)
	assert.Equal(t, map[string]any{"store": "failing"}, p["checks"])
	assert.Contains(t, logs.String(), `level=WARN msg="store unavailable"`)
	assert.NotContains(t, logs.String(), "level=ERROR")

	// It is back: the repeated request is done, once.
	proxy.setDown(false)
	require.Equal(t, http.StatusOK, serve(h, "GET", "/readyz", "").status)
	r = fireWithKey(t, h, id, "pause", "pause-1", `{"reason":"holiday"}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, false, r.json(t)["replayed"])

	// The answer to a COMMIT is lost: the client sees a 503 and repeats.
	dropped := proxy.armCommitDrop()
	r = fireWithKey(t, h, id, "resume_induction", "resume-1", "")
	<-dropped
	p = requireProblem(t, r, http.StatusServiceUnavailable)
	assert.Equal(t, problemBase+"store-unavailable", p["type"])
	r = fireWithKey(t, h, id, "resume_induction", "resume-1", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, true, r.json(t)["replayed"], "answered from the committed first attempt")

	r = serve(h, "GET", "/cases/"+id, "", coachHeaders...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	count := map[string]int{}
	for _, e := range r.json(t)["audit"].([]any) {
		if ev, ok := e.(map[string]any)["event"].(string); ok {
			count[ev]++
		}
	}
	assert.Equal(t, 1, count["pause"], "one pause: %v", count)
	assert.Equal(t, 1, count["resume_induction"], "one resume: %v", count)
	assert.NotContains(t, logs.String(), "level=ERROR")
}

// A pool pointed at a port where nothing listens: every request is a 503,
// and the store's Ping says unavailable.
func TestDeadDatabaseIs503(t *testing.T) {
	if os.Getenv("VALMENNUS_POSTGRES_DSN") == "" && os.Getenv("VALMENNUS_REQUIRE_POSTGRES") == "" {
		t.Skip("VALMENNUS_POSTGRES_DSN is not set")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@"+addr+"/test?sslmode=disable&connect_timeout=5")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	store, err := postgres.New(pool, nil)
	require.NoError(t, err)
	assert.ErrorIs(t, store.Ping(context.Background()), coaching.ErrUnavailable)
	_, h := newAPI(t, store, nil, nil)
	r := serve(h, "GET", "/cases/case-1", "", coachHeaders...)
	p := requireProblem(t, r, http.StatusServiceUnavailable)
	assert.Equal(t, problemBase+"store-unavailable", p["type"])
	assert.Equal(t, "5", r.header.Get("Retry-After"), "the default")
}
