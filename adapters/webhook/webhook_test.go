package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/webhook"
	"github.com/valmennus/valmennus/coaching"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	// sentAt is the fixed clock of the tests: 15:00 in Helsinki.
	sentAt = time.Date(2025, 10, 14, 12, 0, 0, 0, time.UTC)
	clock  = coaching.ClockFunc(func() time.Time { return sentAt })
)

func testNotice() coaching.Notice {
	return coaching.Notice{
		ID:     "K7QX3VZD2M4HNWTB6YJR5PELCA:3:attendance_digest:g-1",
		CaseID: "K7QX3VZD2M4HNWTB6YJR5PELCA",
		Kind:   "attendance_digest",
		Recipient: coaching.Recipient{
			ID: "g-1", Name: "Åsa Äijälä Öhman", Role: coaching.RoleGuardian,
			Contact: coaching.Contact{Email: "asa.ohman@example.fi"}, Language: coaching.Swedish,
		},
		Subject:    "Frånvaro i dag: Östen & lektionerna 3–4",
		Body:       "Östen var frånvarande från lektionerna 3–4 i dag.\nKontakt: Ärla Ståhlberg.",
		Data:       map[string]string{"date": "2025-10-14", "lessons": "3,4"},
		CreatedAt:  sentAt.Add(-3 * time.Hour),
		NotBefore:  sentAt,
		Status:     coaching.NoticeClaimed,
		Attempts:   2,
		LeaseUntil: sentAt.Add(2 * time.Minute),
		LastError:  "webhook: notice x: the endpoint answered 503",
	}
}

// request is one request as a test server saw it.
type request struct {
	method, path string
	header       http.Header
	body         []byte
}

// recorder is a plain-HTTP test endpoint that records requests and answers
// with status (200 when zero).
type recorder struct {
	srv    *httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	reqs   []request
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, request{r.Method, r.URL.Path, r.Header.Clone(), body})
		rec.mu.Unlock()
		code := int(rec.status.Load())
		if code == 0 {
			code = http.StatusOK
		}
		// Echo the body: Send must never put it in an error.
		w.WriteHeader(code)
		_, _ = w.Write(body)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) requests() []request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]request(nil), rec.reqs...)
}

func newSender(t *testing.T, opts webhook.Options) *webhook.Sender {
	t.Helper()
	if opts.Secret == nil {
		opts.Secret = secret
	}
	if opts.Clock == nil {
		opts.Clock = clock
	}
	opts.AllowInsecureHTTP = true
	s, err := webhook.New(opts)
	require.NoError(t, err)
	return s
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		what string
		opts webhook.Options
		want string // substring of the error; "" for success
	}{
		{"https", webhook.Options{URL: "https://hooks.example.fi/valmennus", Secret: secret}, ""},
		{"http allowed", webhook.Options{URL: "http://127.0.0.1:8080/h", Secret: secret, AllowInsecureHTTP: true}, ""},
		{"no URL", webhook.Options{Secret: secret}, "URL is required"},
		{"http not allowed", webhook.Options{URL: "http://hooks.example.fi/tok-1234", Secret: secret}, "must use https"},
		{"other scheme", webhook.Options{URL: "ftp://hooks.example.fi/x", Secret: secret}, `scheme "ftp"`},
		{"relative", webhook.Options{URL: "/hooks/valmennus", Secret: secret}, "absolute URL"},
		{"no host", webhook.Options{URL: "https:///hooks", Secret: secret}, "absolute URL"},
		{"unparsable", webhook.Options{URL: "https://hooks.example.fi/%zz-tok-1234", Secret: secret}, "not a valid URL"},
		{"no secret", webhook.Options{URL: "https://hooks.example.fi/"}, "0 bytes; want at least 32"},
		{"short secret", webhook.Options{URL: "https://hooks.example.fi/", Secret: secret[:31]}, "31 bytes; want at least 32"},
	} {
		s, err := webhook.New(tc.opts)
		if tc.want == "" {
			assert.NoError(t, err, tc.what)
			assert.NotNil(t, s, tc.what)
			continue
		}
		if assert.Error(t, err, tc.what) {
			assert.Contains(t, err.Error(), tc.want, tc.what)
			assert.NotContains(t, err.Error(), "tok-1234", "%s: errors must not quote the URL (it may hold a token)", tc.what)
		}
	}
}

// The request carries the payload, the idempotency key and a signature a
// receiver can check without this package.
func TestRequest(t *testing.T) {
	rec := newRecorder(t)
	s := newSender(t, webhook.Options{URL: rec.srv.URL + "/hooks/valmennus"})
	n := testNotice()
	require.NoError(t, s.Send(t.Context(), n))

	reqs := rec.requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodPost, r.method)
	assert.Equal(t, "/hooks/valmennus", r.path)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.Equal(t, webhook.DefaultUserAgent, r.header.Get("User-Agent"))
	assert.Equal(t, n.ID, r.header.Get("Idempotency-Key"))
	ts := r.header.Get("Webhook-Timestamp")
	assert.Equal(t, strconv.FormatInt(sentAt.Unix(), 10), ts, "the timestamp is the clock's, in unix seconds")

	// The signature, computed independently.
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "." + string(r.body)))
	assert.Equal(t, "v1="+hex.EncodeToString(m.Sum(nil)), r.header.Get("Webhook-Signature"))
	assert.NoError(t, webhook.Verify(secret, r.header, r.body, sentAt, time.Minute))

	// The body: the notice as written, not its delivery state.
	var got map[string]any
	require.NoError(t, json.Unmarshal(r.body, &got))
	assert.Equal(t, map[string]any{
		"id":      n.ID,
		"kind":    "attendance_digest",
		"case_id": "K7QX3VZD2M4HNWTB6YJR5PELCA",
		"recipient": map[string]any{
			"id": "g-1", "name": "Åsa Äijälä Öhman", "role": "guardian",
			"contact": map[string]any{"email": "asa.ohman@example.fi"}, "language": "sv",
		},
		"subject":    n.Subject,
		"body":       n.Body,
		"data":       map[string]any{"date": "2025-10-14", "lessons": "3,4"},
		"created_at": "2025-10-14T09:00:00Z",
	}, got)
	assert.Contains(t, string(r.body), "Östen & lektionerna", "UTF-8 and & are written as they are")
	assert.False(t, strings.HasSuffix(string(r.body), "\n"), "no trailing newline")

	var p webhook.Payload
	require.NoError(t, json.Unmarshal(r.body, &p))
	assert.Equal(t, webhook.PayloadOf(n), p, "the body decodes into the Payload of the notice")

	// A notice without a case or data leaves them out.
	n.CaseID, n.Data, n.ID = "", nil, "notice-2"
	s = newSender(t, webhook.Options{URL: rec.srv.URL + "/hooks/valmennus", UserAgent: "school-sis/2.1"})
	require.NoError(t, s.Send(t.Context(), n))
	r = rec.requests()[1]
	assert.Equal(t, "school-sis/2.1", r.header.Get("User-Agent"))
	got = nil
	require.NoError(t, json.Unmarshal(r.body, &got))
	assert.NotContains(t, got, "case_id")
	assert.NotContains(t, got, "data")
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"n-1"}`)
	ts := strconv.FormatInt(sentAt.Unix(), 10)
	sig := func(key []byte, ts string, body []byte) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(ts + "." + string(body)))
		return "v1=" + hex.EncodeToString(m.Sum(nil))
	}
	header := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	good := sig(secret, ts, body)
	other := []byte("another-secret-another-secret-32")
	for _, tc := range []struct {
		what   string
		header http.Header
		body   []byte
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{"good", header("Webhook-Timestamp", ts, "Webhook-Signature", good), body, sentAt, time.Minute, nil},
		{"tampered body", header("Webhook-Timestamp", ts, "Webhook-Signature", good), []byte(`{"id":"n-2"}`), sentAt, time.Minute, webhook.ErrBadSignature},
		{"wrong secret", header("Webhook-Timestamp", ts, "Webhook-Signature", sig(other, ts, body)), body, sentAt, time.Minute, webhook.ErrBadSignature},
		{"timestamp swapped", header("Webhook-Timestamp", strconv.FormatInt(sentAt.Unix()+1, 10), "Webhook-Signature", good), body, sentAt, time.Minute, webhook.ErrBadSignature},
		{"truncated signature", header("Webhook-Timestamp", ts, "Webhook-Signature", good[:40]), body, sentAt, time.Minute, webhook.ErrNoSignature},
		{"not hex", header("Webhook-Timestamp", ts, "Webhook-Signature", "v1="+strings.Repeat("zz", 32)), body, sentAt, time.Minute, webhook.ErrNoSignature},
		{"other scheme only", header("Webhook-Timestamp", ts, "Webhook-Signature", "v0="+good[3:]), body, sentAt, time.Minute, webhook.ErrNoSignature},
		{"stale", header("Webhook-Timestamp", ts, "Webhook-Signature", good), body, sentAt.Add(61 * time.Second), time.Minute, webhook.ErrStale},
		{"from the future", header("Webhook-Timestamp", ts, "Webhook-Signature", good), body, sentAt.Add(-61 * time.Second), time.Minute, webhook.ErrStale},
		{"at the tolerance", header("Webhook-Timestamp", ts, "Webhook-Signature", good), body, sentAt.Add(time.Minute), time.Minute, nil},
		{"default tolerance accepts 4m", header("Webhook-Timestamp", ts, "Webhook-Signature", good), body, sentAt.Add(4 * time.Minute), 0, nil},
		{"default tolerance rejects 6m", header("Webhook-Timestamp", ts, "Webhook-Signature", good), body, sentAt.Add(6 * time.Minute), 0, webhook.ErrStale},
		{"stale and forged", header("Webhook-Timestamp", ts, "Webhook-Signature", sig(other, ts, body)), body, sentAt.Add(time.Hour), time.Minute, webhook.ErrBadSignature},
		{"no timestamp", header("Webhook-Signature", good), body, sentAt, time.Minute, webhook.ErrNoSignature},
		{"no signature", header("Webhook-Timestamp", ts), body, sentAt, time.Minute, webhook.ErrNoSignature},
		{"no headers", http.Header{}, body, sentAt, time.Minute, webhook.ErrNoSignature},
		{"timestamp not a number", header("Webhook-Timestamp", "yesterday", "Webhook-Signature", good), body, sentAt, time.Minute, webhook.ErrNoSignature},
		{"signed timestamp", header("Webhook-Timestamp", "+"+ts, "Webhook-Signature", sig(secret, "+"+ts, body)), body, sentAt, time.Minute, webhook.ErrNoSignature},
		{"rotation: old and new", header("Webhook-Timestamp", ts, "Webhook-Signature", sig(other, ts, body)+", "+good), body, sentAt, time.Minute, nil},
		{"rotation: two headers", header("Webhook-Timestamp", ts, "Webhook-Signature", sig(other, ts, body), "Webhook-Signature", good), body, sentAt, time.Minute, nil},
	} {
		err := webhook.Verify(secret, tc.header, tc.body, tc.now, tc.tol)
		if tc.want == nil {
			assert.NoError(t, err, tc.what)
		} else {
			assert.ErrorIs(t, err, tc.want, tc.what)
		}
	}
	assert.Error(t, webhook.Verify(nil, header("Webhook-Timestamp", ts, "Webhook-Signature", good), body, sentAt, time.Minute), "no secret")
}

// Send classifies the answer; it does not retry.
func TestStatusClassification(t *testing.T) {
	rec := newRecorder(t)
	s := newSender(t, webhook.Options{URL: rec.srv.URL})
	n := testNotice()
	for _, tc := range []struct {
		codes     []int
		transient bool
	}{
		{[]int{200, 201, 202, 204}, false},
		{[]int{500, 502, 503, 504, 408, 429}, true},
		{[]int{400, 401, 403, 404, 405, 409, 410, 413, 415, 422}, false},
	} {
		for _, code := range tc.codes {
			before := len(rec.requests())
			rec.status.Store(int32(code))
			err := s.Send(t.Context(), n)
			assert.Len(t, rec.requests(), before+1, "%d: exactly one request, no retry loop in the sender", code)
			if code < 300 {
				assert.NoError(t, err, "%d", code)
				continue
			}
			require.Error(t, err, "%d", code)
			assert.Equal(t, !tc.transient, coaching.IsPermanent(err), "%d: permanent? %v", code, err)
			var se *webhook.StatusError
			require.ErrorAs(t, err, &se, "%d", code)
			assert.Equal(t, code, se.StatusCode)
			assert.Equal(t, n.ID, se.NoticeID)
			assert.Contains(t, err.Error(), strconv.Itoa(code))
			assert.Contains(t, err.Error(), n.ID)
		}
	}
}

// A webhook that redirects is misconfigured: the redirect is not followed
// (the signed personal data does not go to the new location) and the error
// is permanent.
func TestRedirectsAreNotFollowed(t *testing.T) {
	target := newRecorder(t)
	for _, code := range []int{301, 302, 303, 307, 308} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.srv.URL+"/elsewhere", code)
		}))
		s := newSender(t, webhook.Options{URL: redirector.URL})
		err := s.Send(t.Context(), testNotice())
		redirector.Close()
		require.Error(t, err, "%d", code)
		assert.True(t, coaching.IsPermanent(err), "%d must be permanent: %v", code, err)
		assert.Contains(t, err.Error(), "redirects are not followed")
		var se *webhook.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, code, se.StatusCode)
	}
	assert.Empty(t, target.requests(), "the redirect target must never be called")

	// The caller's client is copied, not changed.
	client := &http.Client{}
	_, err := webhook.New(webhook.Options{URL: "https://hooks.example.fi/", Secret: secret, Client: client})
	require.NoError(t, err)
	assert.Nil(t, client.CheckRedirect, "New must not modify the caller's client")
	assert.Zero(t, client.Timeout, "New must not modify the caller's client")
}

func TestRetryAfter(t *testing.T) {
	var header atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", header.Load().(string))
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	s := newSender(t, webhook.Options{URL: srv.URL})
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"120", 2 * time.Minute},
		{sentAt.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"", 0},
		{"soon", 0},
		{"-5", 0},
		{sentAt.Add(-time.Hour).Format(http.TimeFormat), 0},
	} {
		header.Store(tc.header)
		err := s.Send(t.Context(), testNotice())
		require.Error(t, err)
		assert.False(t, coaching.IsPermanent(err), "429 is transient")
		var se *webhook.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, tc.want, se.RetryAfter, "Retry-After %q", tc.header)
	}
}

// slowServer answers nothing until the client gives up or the test ends.
func slowServer(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body lets the server notice the client hanging up.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first
	return srv
}

// An endpoint slower than the client's timeout is a transient failure, and
// Send gives up at the timeout.
func TestTimeoutIsTransient(t *testing.T) {
	srv := slowServer(t)
	s := newSender(t, webhook.Options{URL: srv.URL, Client: &http.Client{Timeout: 200 * time.Millisecond}})
	start := time.Now()
	err := s.Send(t.Context(), testNotice())
	elapsed := time.Since(start)
	require.Error(t, err)
	assert.False(t, coaching.IsPermanent(err), "a timeout is transient: %v", err)
	assert.Less(t, elapsed, 2*time.Second, "Send must give up at the client timeout")
	var ne net.Error
	assert.True(t, errors.As(err, &ne) && ne.Timeout(), "the error is a timeout: %v", err)
	assert.Contains(t, err.Error(), testNotice().ID)
}

// A context deadline shorter than the client's timeout ends the request
// too, as a transient error.
func TestContextDeadlineIsTransient(t *testing.T) {
	srv := slowServer(t)
	s := newSender(t, webhook.Options{URL: srv.URL})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err := s.Send(ctx, testNotice())
	require.Error(t, err)
	assert.False(t, coaching.IsPermanent(err))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestConnectionRefusedIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hooks/tok-5ecret"
	srv.Close()
	s := newSender(t, webhook.Options{URL: url})
	err := s.Send(t.Context(), testNotice())
	require.Error(t, err)
	assert.False(t, coaching.IsPermanent(err), "a refused connection is transient: %v", err)
	assert.NotContains(t, err.Error(), "tok-5ecret", "errors must not quote the URL (it may hold a token)")
	assert.Contains(t, err.Error(), testNotice().ID)
}

// Errors name the notice and the status only: the dispatcher logs them and
// stores them with the notice. The recorder echoes the body back, so an
// error quoting the response would show it.
func TestErrorsCarryNoPersonalData(t *testing.T) {
	rec := newRecorder(t)
	s := newSender(t, webhook.Options{URL: rec.srv.URL + "/hooks/tok-5ecret"})
	n := testNotice()
	for _, code := range []int{400, 404, 500, 503} {
		rec.status.Store(int32(code))
		err := s.Send(t.Context(), n)
		require.Error(t, err)
		msg := err.Error()
		for _, personal := range []string{n.Subject, n.Body, n.Recipient.Name, n.Recipient.Contact.Email, "Östen", "tok-5ecret"} {
			assert.NotContains(t, msg, personal, "%d", code)
		}
		assert.Contains(t, msg, n.ID)
		assert.Contains(t, msg, strconv.Itoa(code))
	}
}

// A notice that cannot carry its idempotency key is not sent at all.
func TestUnusableIDIsPermanent(t *testing.T) {
	rec := newRecorder(t)
	s := newSender(t, webhook.Options{URL: rec.srv.URL})
	for _, id := range []string{"", "n-1\r\nX-Injected: 1", " n-1", "n\x00"} {
		n := testNotice()
		n.ID = id
		err := s.Send(t.Context(), n)
		require.Error(t, err, "%q", id)
		assert.True(t, coaching.IsPermanent(err), "%q: %v", id, err)
	}
	assert.Empty(t, rec.requests())

	// A UTF-8 id passes as it is.
	n := testNotice()
	n.ID = "K7QX:3:phase_overdue:anna.äijälä"
	require.NoError(t, s.Send(t.Context(), n))
	assert.Equal(t, n.ID, rec.requests()[0].header.Get("Idempotency-Key"))
}

func TestCancelledContextSendsNothing(t *testing.T) {
	rec := newRecorder(t)
	s := newSender(t, webhook.Options{URL: rec.srv.URL})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Send(ctx, testNotice())
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, coaching.IsPermanent(err))
	assert.Empty(t, rec.requests())
}

// New copies the secret: changing the caller's slice later does not change
// the signatures.
func TestSecretIsCopied(t *testing.T) {
	rec := newRecorder(t)
	key := []byte(string(secret))
	s := newSender(t, webhook.Options{URL: rec.srv.URL, Secret: key})
	key[0] ^= 0xff
	require.NoError(t, s.Send(t.Context(), testNotice()))
	r := rec.requests()[0]
	assert.NoError(t, webhook.Verify(secret, r.header, r.body, sentAt, time.Minute))
}

// An httptest TLS server with its client works without AllowInsecureHTTP.
func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if webhook.Verify(secret, r.Header, body, time.Now(), time.Minute) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	s, err := webhook.New(webhook.Options{URL: srv.URL, Secret: secret, Client: srv.Client()})
	require.NoError(t, err)
	require.NoError(t, s.Send(t.Context(), testNotice()))

	// Without the server's certificate the TLS handshake fails: transient.
	s, err = webhook.New(webhook.Options{URL: srv.URL, Secret: secret})
	require.NoError(t, err)
	err = s.Send(t.Context(), testNotice())
	require.Error(t, err)
	assert.False(t, coaching.IsPermanent(err))
}
