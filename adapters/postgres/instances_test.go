package postgres_test

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/adapters/webhook"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// The multi-instance and crash tests run the store in other OS processes:
// the test binary runs itself again with -test.run=^TestHelperInstance$ and
// the helper's role in the environment.
const (
	envHelper    = "VALMENNUS_PG_HELPER" // instance, writer or claimer
	envSchema    = "VALMENNUS_PG_HELPER_SCHEMA"
	envCases     = "VALMENNUS_PG_HELPER_CASES"
	envSink      = "VALMENNUS_PG_HELPER_SINK"
	envSecret    = "VALMENNUS_PG_HELPER_SECRET"
	envFireUntil = "VALMENNUS_PG_HELPER_FIRE_UNTIL" // unix milliseconds
	envLease     = "VALMENNUS_PG_HELPER_LEASE"
	resultPrefix = "HELPER-RESULT "
)

// helperResult is what an instance reports on stdout.
type helperResult struct {
	Fired     int `json:"fired"`
	Conflicts int `json:"conflicts"`
	Claimed   int `json:"claimed"`
	Sent      int `json:"sent"`
	Retried   int `json:"retried"`
}

// startHelper starts the test binary as a helper process.
func startHelper(t *testing.T, ctx context.Context, role string, env map[string]string) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperInstance$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), envHelper+"="+role)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	return cmd, out
}

// TestHelperInstance is not a test: it is the body of the helper processes.
func TestHelperInstance(t *testing.T) {
	role := os.Getenv(envHelper)
	if role == "" {
		t.Skip("runs only as a helper process of the multi-instance and crash tests")
	}
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(testDSN(t))
	require.NoError(t, err)
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	defer pool.Close()
	store, err := postgres.New(pool, &postgres.Options{Schema: os.Getenv(envSchema)})
	require.NoError(t, err)
	cases := strings.Split(os.Getenv(envCases), ",")
	switch role {
	case "instance":
		helperInstance(t, ctx, store, cases)
	case "writer":
		helperWriter(t, ctx, store, cases)
	case "claimer":
		lease, err := time.ParseDuration(os.Getenv(envLease))
		require.NoError(t, err)
		got, err := store.ClaimNotices(ctx, coaching.ClaimParams{Now: time.Now(), Limit: 3, Lease: lease})
		require.NoError(t, err)
		for _, n := range got {
			fmt.Printf("CLAIMED %d %s\n", n.Attempts, n.ID)
		}
		fmt.Println("READY")
		time.Sleep(time.Minute) // killed before it completes anything
	default:
		t.Fatalf("unknown helper role %q", role)
	}
}

// helperInstance is one application instance: it fires pause/resume on
// random cases until the deadline, retrying on conflicts, while a
// dispatcher delivers the outbox to the webhook sink; then it dispatches
// until the outbox has nothing left to deliver.
func helperInstance(t *testing.T, ctx context.Context, store *postgres.Store, cases []string) {
	until, err := strconv.ParseInt(os.Getenv(envFireUntil), 10, 64)
	require.NoError(t, err)
	secret, err := hex.DecodeString(os.Getenv(envSecret))
	require.NoError(t, err)
	sender, err := webhook.New(webhook.Options{URL: os.Getenv(envSink), Secrets: []string{webhook.SecretPrefix + base64.StdEncoding.EncodeToString(secret)}, AllowInsecureHTTP: true})
	require.NoError(t, err)
	disp, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{BatchSize: 5, Lease: 10 * time.Second,
		BaseBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, MaxAttempts: 50})
	require.NoError(t, err)
	eng := newEngine(t, store)

	var res helperResult
	var rmu sync.Mutex
	dctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for dctx.Err() == nil {
			rep, err := disp.RunOnce(dctx)
			if err != nil && dctx.Err() == nil {
				t.Errorf("dispatch: %v", err)
			}
			rmu.Lock()
			res.Claimed += rep.Claimed
			res.Sent += rep.Sent
			res.Retried += rep.Retried
			rmu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
	})

	deadline := time.UnixMilli(until)
	for time.Now().Before(deadline) {
		id := coaching.CaseID(cases[rand.IntN(len(cases))])
		for attempt := 0; ; attempt++ {
			_, err := toggle(ctx, eng, id)
			if err == nil {
				res.Fired++
				break
			}
			if !errors.Is(err, coaching.ErrConflict) || attempt == 50 {
				t.Fatalf("firing on %s: %v", id, err)
			}
			res.Conflicts++
		}
	}
	// Drain: wait until no notice is pending or claimed (every instance
	// stopped firing at the same deadline).
	drainBy := time.Now().Add(20 * time.Second)
	for quiet := 0; quiet < 3 && time.Now().Before(drainBy); {
		pending, err := store.Notices(ctx, coaching.NoticeQuery{Status: coaching.NoticePending})
		require.NoError(t, err)
		claimed, err := store.Notices(ctx, coaching.NoticeQuery{Status: coaching.NoticeClaimed})
		require.NoError(t, err)
		if len(pending)+len(claimed) == 0 {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	wg.Wait()
	b, _ := json.Marshal(res)
	fmt.Println(resultPrefix + string(b))
}

// helperWriter fires in a loop from four goroutines and reports each
// committed transition on stdout, until it is killed (or, restarted with a
// deadline, until the deadline).
func helperWriter(t *testing.T, ctx context.Context, store *postgres.Store, cases []string) {
	eng := newEngine(t, store)
	var until time.Time
	if v := os.Getenv(envFireUntil); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		require.NoError(t, err)
		until = time.UnixMilli(ms)
	}
	var out sync.Mutex
	// A restarted writer commits at least once, however late a loaded
	// machine started it.
	var committed atomic.Int64
	fmt.Println("READY")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for until.IsZero() || time.Now().Before(until) || committed.Load() == 0 {
				id := coaching.CaseID(cases[rand.IntN(len(cases))])
				r, err := toggle(ctx, eng, id)
				if errors.Is(err, coaching.ErrConflict) {
					continue
				}
				if err != nil {
					t.Errorf("firing on %s: %v", id, err)
					return
				}
				committed.Add(1)
				out.Lock()
				fmt.Printf("COMMITTED %d %s\n", r.Entry.Seq, id)
				out.Unlock()
			}
		})
	}
	wg.Wait()
}

// sink is the webhook receiver: it verifies each request, keeps the
// notice ids it has taken and drops repeats. Every lossEvery-th new notice
// it takes but answers 503, as if the answer were lost on the way back, so
// the dispatcher sends it again and the dedup is exercised.
type sink struct {
	verifier  *webhook.Verifier
	lossEvery int

	mu        sync.Mutex
	seen      map[string]int
	taken     int
	dropped   int
	bad       []string
	requests  atomic.Int64
	lostAcks  int
	bodyIDBad int
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	key, _ := webhook.NoticeID(r.Header.Get(webhook.HeaderID)) // "" if malformed: counted in bodyIDBad
	var p struct {
		ID string `json:"id"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.verifier.Verify(r.Header, body); err != nil {
		s.bad = append(s.bad, err.Error())
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if json.Unmarshal(body, &p) != nil || p.ID != key {
		s.bodyIDBad++
	}
	s.seen[key]++
	if s.seen[key] > 1 {
		s.dropped++
		w.WriteHeader(http.StatusOK) // already have it: acknowledge, do nothing
		return
	}
	s.taken++
	if s.lossEvery > 0 && s.taken%s.lossEvery == 0 {
		s.lostAcks++
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Four OS processes, each with its own pool, fire events on the same eight
// cases and dispatch the outbox to one webhook sink.
func TestMultiInstance(t *testing.T) {
	testDSN(t)
	t.Parallel()
	ctx := context.Background()
	store := newStore(t)
	eng := newEngine(t, store)
	var ids []string
	for i := range 8 {
		id := fmt.Sprintf("mi-%d", i)
		openValo(t, eng, coaching.CaseID(id))
		ids = append(ids, id)
	}
	secret := make([]byte, 32)
	_, _ = crand.Read(secret)
	verifier, err := webhook.NewVerifier(&webhook.VerifierOptions{Secrets: []string{webhook.SecretPrefix + base64.StdEncoding.EncodeToString(secret)}, Tolerance: time.Minute})
	require.NoError(t, err)
	sk := &sink{verifier: verifier, lossEvery: 25, seen: map[string]int{}}
	srv := httptest.NewServer(sk) // loopback only
	defer srv.Close()

	const instances = 4
	fireFor := 3 * time.Second
	until := time.Now().Add(fireFor + 2*time.Second) // + start-up of the processes
	env := map[string]string{envSchema: store.Schema(), envCases: strings.Join(ids, ","), envSink: srv.URL,
		envSecret: hex.EncodeToString(secret), envFireUntil: strconv.FormatInt(until.UnixMilli(), 10)}
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	results := make([]helperResult, instances)
	var wg sync.WaitGroup
	for i := range instances {
		cmd, out := startHelper(t, pctx, "instance", env)
		wg.Go(func() {
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				if line, ok := strings.CutPrefix(sc.Text(), resultPrefix); ok {
					assert.NoError(t, json.Unmarshal([]byte(line), &results[i]))
				}
			}
			assert.NoError(t, cmd.Wait(), "instance %d", i)
		})
	}
	wg.Wait()

	var fired, conflicts, sent int
	for i, r := range results {
		t.Logf("instance %d: %d transitions fired, %d conflicts retried, %d notices claimed, %d sent, %d retried", i, r.Fired, r.Conflicts, r.Claimed, r.Sent, r.Retried)
		assert.Positive(t, r.Fired, "instance %d fired nothing", i)
		fired += r.Fired
		conflicts += r.Conflicts
		sent += r.Sent
	}

	// Every transition is in the audit trail exactly once.
	transitions := 0
	for _, id := range ids {
		c, err := eng.Case(ctx, inspector, coaching.CaseID(id))
		require.NoError(t, err)
		trail, err := ct.ReadCase(ctx, eng, inspector, coaching.OpReadCase, coaching.CaseID(id), (*coaching.CaseView).AuditTrail)
		require.NoError(t, err)
		requireExplained(t, c, trail)
		for _, a := range trail {
			if a.Event == coaching.ValoPause || a.Event == coaching.ValoResumeAcquisition {
				transitions++
			}
		}
	}
	assert.Equal(t, fired, transitions, "the successful Fire calls of all instances equal the transitions in the audit trails")

	// Every notice reached the sink, and after dedup none twice.
	all, err := store.Notices(ctx, coaching.NoticeQuery{})
	require.NoError(t, err)
	assert.Len(t, all, 2*len(ids)+transitions, "one notice per transition (to the counsellor)")
	sk.mu.Lock()
	defer sk.mu.Unlock()
	for _, n := range all {
		assert.Equal(t, coaching.NoticeSent, n.Status, "notice %s", n.ID)
		assert.Positive(t, sk.seen[n.ID], "notice %s never reached the sink", n.ID)
	}
	assert.Len(t, sk.seen, len(all), "the sink took exactly the notices of the outbox")
	assert.Empty(t, sk.bad, "every request was signed")
	assert.Zero(t, sk.bodyIDBad, "the webhook-id decodes to the body's id")
	// A lost acknowledgement makes the dispatcher retry (a repeat the sink
	// drops); any other repeat would be a second dispatcher sending a
	// notice whose lease had expired.
	assert.Equal(t, sent, len(all)+sk.dropped-sk.lostAcks, "sent results: every notice once, plus repeats after expired leases")
	t.Logf("multi-instance: %d instances, %d transitions, %d conflicts retried, %d notices, %d requests, %d acknowledgements lost on purpose, %d duplicates dropped by the sink",
		instances, transitions, conflicts, len(all), sk.requests.Load(), sk.lostAcks, sk.dropped)
}

// requireExplained checks that a case's audit trail explains it: entries
// numbered 1..n without gaps, n = the case's version, and the case's state
// is the last entry's To.
func requireExplained(t *testing.T, c coaching.Case, trail []coaching.AuditEntry) {
	t.Helper()
	require.NotEmpty(t, trail, "case %s has no audit trail", c.ID)
	for i, a := range trail {
		require.Equal(t, int64(i+1), a.Seq, "case %s: audit entries must be numbered without gaps", c.ID)
	}
	assert.Equal(t, int64(len(trail)), c.Version, "case %s: version = last audit seq", c.ID)
	assert.Equal(t, trail[len(trail)-1].To, c.State, "case %s: state = the last entry's To", c.ID)
	for _, h := range c.History {
		assert.LessOrEqual(t, h.Seq, c.Version)
	}
}
