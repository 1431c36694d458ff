package storetest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valmennus/valmennus/adapters/webhook"
	"github.com/valmennus/valmennus/coaching"
)

// DispatchBenchNotices is how many notices one iteration of [BenchDispatch]
// delivers (four rounds of the default BatchSize).
const DispatchBenchNotices = 200

// BenchDispatch measures a [coaching.Dispatcher] draining newStore's
// outbox through the webhook sender (adapters/webhook) to a loopback HTTP
// sink (an httptest server that reads each body and answers 204), against
// its baseline in the same iterations: a raw loop POSTing the same notice
// bodies, marshalled beforehand, one after another to the same sink with
// the same HTTP client. Each iteration enqueues DispatchBenchNotices
// notices (not timed), runs the raw loop over their bodies, then
// Dispatcher.RunOnce until the outbox is drained, and checks that the sink
// received every notice id exactly once from each.
//
// Sub-benchmarks:
//
//   - "sequential": the round trips of the dispatcher before batching —
//     Concurrency 1 and the store seen only as a [coaching.Outbox], so
//     every outcome is its own CompleteNotice (rounds still overlap);
//   - "batched-c1": batched claims and completions and the overlapping
//     rounds of the batched dispatcher, but Concurrency 1, to tell what
//     batching gains from what concurrent sends gain;
//   - "batched": the defaults — claims of BatchSize, outcomes recorded with
//     one CompleteNotices per round when the store is a
//     [coaching.NoticeCompleter], DefaultDispatchConcurrency sends at once.
//     It also times a second baseline, the raw loop with as many
//     goroutines as the dispatcher has sends in flight.
//
// Metrics: raw-ns/notice and dispatch-ns/notice; ratio = dispatcher
// throughput / raw-loop throughput (raw time / dispatcher time, the
// figure issue 13 asks ≥ 0.5 of on PostgreSQL); and, for "batched",
// parallel-raw-ns/notice and ratio-vs-parallel.
func BenchDispatch(b *testing.B, newStore func(tb testing.TB) coaching.Store) {
	sink := newBenchSink()
	srv := httptest.NewServer(sink)
	b.Cleanup(srv.Close)
	// One client for the raw loop and the sender, keeping as many idle
	// connections as there are requests in flight.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute,
	}}
	b.Cleanup(client.CloseIdleConnections)
	sender, err := webhook.New(webhook.Options{URL: srv.URL + "/hook", Secrets: []string{webhook.SecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("k"), webhook.MinSecretLen))},
		Client: client, AllowInsecureHTTP: true})
	if err != nil {
		b.Fatal(err)
	}
	modes := []struct {
		name        string
		concurrency int
		batch       bool
	}{
		{"sequential", 1, false},
		{"batched-c1", 1, true},
		{"batched", coaching.DefaultDispatchConcurrency, true},
	}
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			store := newStore(b)
			var outbox coaching.Outbox = store
			if !m.batch {
				outbox = struct{ coaching.Outbox }{store} // hides NoticeCompleter
			}
			d, err := coaching.NewDispatcher(outbox, sender, &coaching.DispatcherOptions{Concurrency: m.concurrency})
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			var raw, parallel, disp time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				ns := benchNotices(fmt.Sprintf("%s-%d", m.name, i), time.Now())
				bodies := make([][]byte, len(ns))
				for j, n := range ns {
					if bodies[j], err = json.Marshal(webhook.PayloadOf(n)); err != nil {
						b.Fatal(err)
					}
				}
				if err := store.Update(ctx, func(tx coaching.Tx) error {
					for _, n := range ns {
						if _, err := tx.Enqueue(ctx, n); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				sink.reset()
				b.StartTimer()

				start := time.Now()
				rawPost(b, client, srv.URL+"/raw", ns, bodies, 1)
				raw += time.Since(start)
				if m.concurrency > 1 {
					start = time.Now()
					rawPost(b, client, srv.URL+"/raw", ns, bodies, m.concurrency)
					parallel += time.Since(start)
				}
				start = time.Now()
				rep, err := d.RunOnce(ctx)
				disp += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}

				b.StopTimer()
				if rep.Sent != len(ns) {
					b.Fatalf("the dispatcher sent %d of %d notices: %+v", rep.Sent, len(ns), rep)
				}
				runs := 1
				if m.concurrency > 1 {
					runs = 2
				}
				if err := sink.check(ns, runs); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			total := float64(b.N * DispatchBenchNotices)
			b.ReportMetric(float64(raw.Nanoseconds())/total, "raw-ns/notice")
			b.ReportMetric(float64(disp.Nanoseconds())/total, "dispatch-ns/notice")
			b.ReportMetric(raw.Seconds()/disp.Seconds(), "ratio")
			if m.concurrency > 1 {
				b.ReportMetric(float64(parallel.Nanoseconds())/total, "parallel-raw-ns/notice")
				b.ReportMetric(parallel.Seconds()/disp.Seconds(), "ratio-vs-parallel")
			}
		})
	}
}

// benchNotices returns DispatchBenchNotices notices due at now, to as many
// guardians, of the size the engine writes.
func benchNotices(prefix string, now time.Time) []coaching.Notice {
	ns := make([]coaching.Notice, DispatchBenchNotices)
	for i := range ns {
		g := fmt.Sprintf("g-%03d", i)
		ns[i] = coaching.Notice{
			ID:   fmt.Sprintf("absence:bench-%s:%s", prefix, g),
			Kind: "absence",
			Recipient: coaching.Recipient{ID: g, Name: "Huoltaja " + g, Role: coaching.RoleGuardian,
				Contact: coaching.Contact{Email: g + "@example.fi"}, Language: coaching.Finnish},
			Subject:   "Poissaolo 7.9.2026",
			Body:      strings.Repeat("Opiskelija oli tänään poissa oppitunnilta ilman ilmoitusta. ", 4),
			Data:      map[string]string{"date": "2026-09-07", "lessons": "2"},
			CreatedAt: now,
			NotBefore: now,
			Status:    coaching.NoticePending,
		}
	}
	return ns
}

// rawPost POSTs bodies to url with workers goroutines, as a hand-written
// delivery loop would: JSON body, the notice id as webhook-id, the
// response drained and closed.
func rawPost(b *testing.B, client *http.Client, url string, ns []coaching.Notice, bodies [][]byte, workers int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(bodies[i]))
				if err != nil {
					failed.Store(err)
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(webhook.HeaderID, webhook.MessageID(ns[i].ID))
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					failed.Store(fmt.Errorf("raw POST: status %d", resp.StatusCode))
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

// benchSink is the loopback receiver: it reads every body and counts the
// notice ids (decoded from webhook-id) it received on each path.
type benchSink struct {
	mu   sync.Mutex
	seen map[string]map[string]int // path → id → count
}

func newBenchSink() *benchSink { return &benchSink{seen: map[string]map[string]int{}} }

func (s *benchSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	// The notice's id, as the webhook-id encodes it; one that does not
	// decode is counted under what was sent, which no notice matches.
	id := r.Header.Get(webhook.HeaderID)
	if nid, err := webhook.NoticeID(id); err == nil {
		id = nid
	}
	s.mu.Lock()
	m := s.seen[r.URL.Path]
	if m == nil {
		m = map[string]int{}
		s.seen[r.URL.Path] = m
	}
	m[id]++
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *benchSink) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = map[string]map[string]int{}
}

// check reports an error unless the dispatcher delivered every notice once
// and the raw loop delivered each rawRuns times.
func (s *benchSink) check(ns []coaching.Notice, rawRuns int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for path, want := range map[string]int{"/hook": 1, "/raw": rawRuns} {
		got := s.seen[path]
		if len(got) != len(ns) {
			return fmt.Errorf("%s received %d distinct notices, want %d", path, len(got), len(ns))
		}
		for _, n := range ns {
			if got[n.ID] != want {
				return fmt.Errorf("%s received notice %s %d times, want %d", path, n.ID, got[n.ID], want)
			}
		}
	}
	return nil
}
