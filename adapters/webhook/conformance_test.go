package webhook_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sendertest"
	"github.com/valmennus/valmennus/adapters/webhook"
	"github.com/valmennus/valmennus/coaching"
)

// A webhook names the recipient by Recipient.ID and leaves reaching them
// to the endpoint, so it needs no address: AddressOptional.
func TestConformance(t *testing.T) {
	sendertest.RunWith(t, sendertest.Options{AddressOptional: true}, newHarness)
}

// harness is a webhook endpoint on an httptest TLS server. It verifies the
// signature of every request with a Verifier, records what it accepts, and
// answers 503 (transient) or 400 (permanent) on demand.
type harness struct {
	t        *testing.T
	srv      *httptest.Server
	secret   string
	verifier *webhook.Verifier

	mu      sync.Mutex
	failure sendertest.Failure
	got     []sendertest.Received
}

func newHarness(t *testing.T) sendertest.Harness {
	secret, err := webhook.NewSecret()
	require.NoError(t, err)
	v, err := webhook.NewVerifier(&webhook.VerifierOptions{Secrets: []string{secret}, Tolerance: time.Minute})
	require.NoError(t, err)
	h := &harness{t: t, secret: secret, verifier: v}
	h.srv = httptest.NewTLSServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) Sender(t *testing.T) coaching.Sender {
	s, err := webhook.New(webhook.Options{URL: h.srv.URL + "/hooks/valmennus", Secrets: []string{h.secret}, Client: h.srv.Client()})
	require.NoError(t, err)
	return s
}

func (h *harness) Received(*testing.T) []sendertest.Received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

func (h *harness) Fail(_ *testing.T, f sendertest.Failure) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failure = f
}

func (h *harness) serve(w http.ResponseWriter, r *http.Request) {
	body, err := h.verifier.VerifyRequest(r)
	if err != nil {
		h.t.Errorf("the endpoint got a request that does not verify: %v", err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		h.t.Errorf("the endpoint got %s with Content-Type %q; want POST application/json", r.Method, r.Header.Get("Content-Type"))
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		h.t.Errorf("the body is not a webhook.Payload: %v", err)
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	key, err := webhook.NoticeID(r.Header.Get(webhook.HeaderID))
	if err != nil {
		h.t.Errorf("webhook-id: %v", err)
	}
	if key != p.ID {
		h.t.Errorf("webhook-id %q decodes to %q, not the body's id %q", r.Header.Get(webhook.HeaderID), key, p.ID)
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.failure {
	case sendertest.FailTransient:
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	case sendertest.FailPermanent:
		http.Error(w, "unknown recipient", http.StatusBadRequest)
		return
	}
	// Recorded before the answer is written, so a Send that returned nil
	// is always in Received.
	h.got = append(h.got, sendertest.Received{
		IdempotencyKey: key,
		To:             p.Recipient.ID,
		Subject:        p.Subject,
		Body:           p.Body,
		Raw:            body,
	})
	w.WriteHeader(http.StatusNoContent)
}
