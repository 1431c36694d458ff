package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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
	// key is the test's HMAC key; secret is its text form.
	key    = []byte("0123456789abcdef0123456789abcdef")
	secret = webhook.SecretPrefix + base64.StdEncoding.EncodeToString(key)
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
	if opts.Secrets == nil {
		opts.Secrets = []string{secret}
	}
	if opts.Clock == nil {
		opts.Clock = clock
	}
	opts.AllowInsecureHTTP = true
	s, err := webhook.New(opts)
	require.NoError(t, err)
	return s
}

// newVerifier returns a receiver's verifier of secrets at the tests' clock
// (or at now when given).
func newVerifier(t *testing.T, now time.Time, tolerance time.Duration, secrets ...string) *webhook.Verifier {
	t.Helper()
	if now.IsZero() {
		now = sentAt
	}
	v, err := webhook.NewVerifier(&webhook.VerifierOptions{Secrets: secrets, Tolerance: tolerance,
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	require.NoError(t, err)
	return v
}

func TestNewValidates(t *testing.T) {
	short := webhook.SecretPrefix + base64.StdEncoding.EncodeToString(key[:23])
	for _, tc := range []struct {
		what string
		opts webhook.Options
		want string // substring of the error; "" for success
	}{
		{"https", webhook.Options{URL: "https://hooks.example.fi/valmennus", Secrets: []string{secret}}, ""},
		{"http allowed", webhook.Options{URL: "http://127.0.0.1:8080/h", Secrets: []string{secret}, AllowInsecureHTTP: true}, ""},
		{"no URL", webhook.Options{Secrets: []string{secret}}, "URL is required"},
		{"http not allowed", webhook.Options{URL: "http://hooks.example.fi/tok-1234", Secrets: []string{secret}}, "must use https"},
		{"other scheme", webhook.Options{URL: "ftp://hooks.example.fi/x", Secrets: []string{secret}}, `scheme "ftp"`},
		{"relative", webhook.Options{URL: "/hooks/valmennus", Secrets: []string{secret}}, "absolute URL"},
		{"no host", webhook.Options{URL: "https:///hooks", Secrets: []string{secret}}, "absolute URL"},
		{"unparsable", webhook.Options{URL: "https://hooks.example.fi/%zz-tok-1234", Secrets: []string{secret}}, "not a valid URL"},
		{"24-byte secret", webhook.Options{URL: "https://hooks.example.fi/", Secrets: []string{webhook.SecretPrefix + base64.StdEncoding.EncodeToString(key[:24])}}, ""},
		{"two secrets", webhook.Options{URL: "https://hooks.example.fi/", Secrets: []string{secret, otherSecret}}, ""},
		{"no secret", webhook.Options{URL: "https://hooks.example.fi/"}, "Options.Secrets is required"},
		{"empty secret", webhook.Options{URL: "https://hooks.example.fi/", Secrets: []string{""}}, `Options.Secrets[0] does not start with "whsec_"`},
		{"raw secret", webhook.Options{URL: "https://hooks.example.fi/", Secrets: []string{string(key)}}, `Options.Secrets[0] does not start with "whsec_"`},
		{"prefix only", webhook.Options{URL: "https://hooks.example.fi/", Secrets: []string{"whsec_"}}, "Options.Secrets[0] has 0 bytes; want at least 24"},
		{"short secret", webhook.Options{URL: "https://hooks.example.fi/", Secrets: []string{secret, short}}, "Options.Secrets[1] has 23 bytes; want at least 24"},
		{"not base64", webhook.Options{URL: "https://hooks.example.fi/", Secrets: []string{"whsec_" + string(key) + "!?"}}, "Options.Secrets[0] is not standard base64"},
		{"repeated", webhook.Options{URL: "https://hooks.example.fi/", Secrets: []string{secret, otherSecret, secret}}, "Options.Secrets[2] repeats Options.Secrets[0]"},
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
			for _, s := range tc.opts.Secrets {
				if len(s) > len("whsec_") {
					assert.NotContains(t, err.Error(), s[len("whsec_"):], "%s: errors must not quote a secret", tc.what)
				}
			}
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
	assert.Empty(t, r.header.Get("Idempotency-Key"), "the earlier unsigned key is gone: webhook-id is signed")
	id := r.header.Get("webhook-id")
	assert.Equal(t, "msg_"+base64.RawURLEncoding.EncodeToString([]byte(n.ID)), id)
	back, err := webhook.NoticeID(id)
	require.NoError(t, err)
	assert.Equal(t, n.ID, back)
	ts := r.header.Get("webhook-timestamp")
	assert.Equal(t, strconv.FormatInt(sentAt.Unix(), 10), ts, "the timestamp is the clock's, in unix seconds")

	// The signature, computed independently.
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + string(r.body)))
	assert.Equal(t, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)), r.header.Get("webhook-signature"))
	assert.NoError(t, newVerifier(t, time.Time{}, time.Minute, secret).Verify(r.header, r.body))

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

// otherKey and otherSecret are a second secret, for rotation.
var (
	otherKey    = []byte("another-secret-another-secret-32")
	otherSecret = webhook.SecretPrefix + base64.StdEncoding.EncodeToString(otherKey)
)

// v1 signs as the specification says, independently of the package.
func v1(k []byte, id, ts string, body []byte) string {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(id + "." + ts + "." + string(body)))
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"n-1"}`)
	id := "msg_bi0x"
	ts := strconv.FormatInt(sentAt.Unix(), 10)
	header := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	good := v1(key, id, ts, body)
	old := v1(otherKey, id, ts, body)
	full := func(sig string) http.Header {
		return header("webhook-id", id, "webhook-timestamp", ts, "webhook-signature", sig)
	}
	for _, tc := range []struct {
		what   string
		header http.Header
		body   []byte
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{"good", full(good), body, sentAt, time.Minute, nil},
		{"canonical header names", header("Webhook-Id", id, "Webhook-Timestamp", ts, "Webhook-Signature", good), body, sentAt, time.Minute, nil},
		{"tampered body", full(good), []byte(`{"id":"n-2"}`), sentAt, time.Minute, webhook.ErrNoMatchingSignature},
		{"body with a stray space", full(good), []byte(`{"id": "n-1"}`), sentAt, time.Minute, webhook.ErrNoMatchingSignature},
		{"wrong secret", full(v1([]byte("a-third-secret-a-third-secret-32"), id, ts, body)), body, sentAt, time.Minute, webhook.ErrNoMatchingSignature},
		{"id swapped", header("webhook-id", "msg_bi0y", "webhook-timestamp", ts, "webhook-signature", good), body, sentAt, time.Minute, webhook.ErrNoMatchingSignature},
		{"timestamp swapped", header("webhook-id", id, "webhook-timestamp", strconv.FormatInt(sentAt.Unix()+1, 10), "webhook-signature", good), body, sentAt, time.Minute, webhook.ErrNoMatchingSignature},
		{"dot moved from id to body", header("webhook-id", "msg", "webhook-timestamp", ts, "webhook-signature", v1(key, "msg", ts, []byte("x."+string(body)))), body, sentAt, time.Minute, webhook.ErrNoMatchingSignature},
		{"truncated signature", full(good[:40]), body, sentAt, time.Minute, webhook.ErrNoMatchingSignature},
		{"empty v1", full("v1,"), body, sentAt, time.Minute, webhook.ErrNoMatchingSignature},
		{"v1a only", full("v1a," + good[3:]), body, sentAt, time.Minute, webhook.ErrNoMatchingSignature},
		{"the earlier v1= form", full("v1=" + good[3:]), body, sentAt, time.Minute, webhook.ErrNoMatchingSignature},
		{"stale", full(good), body, sentAt.Add(61 * time.Second), time.Minute, webhook.ErrTooOld},
		{"from the future", full(good), body, sentAt.Add(-61 * time.Second), time.Minute, webhook.ErrTooNew},
		{"at the tolerance, old", full(good), body, sentAt.Add(time.Minute), time.Minute, nil},
		{"at the tolerance, new", full(good), body, sentAt.Add(-time.Minute), time.Minute, nil},
		{"default tolerance accepts 5m old", full(good), body, sentAt.Add(5 * time.Minute), 0, nil},
		{"default tolerance rejects 5m1s old", full(good), body, sentAt.Add(5*time.Minute + time.Second), 0, webhook.ErrTooOld},
		{"default tolerance rejects 5m1s new", full(good), body, sentAt.Add(-5*time.Minute - time.Second), 0, webhook.ErrTooNew},
		{"stale and forged", full(v1([]byte("a-third-secret-a-third-secret-32"), id, ts, body)), body, sentAt.Add(time.Hour), time.Minute, webhook.ErrNoMatchingSignature},
		{"no id", header("webhook-timestamp", ts, "webhook-signature", good), body, sentAt, time.Minute, webhook.ErrMissingHeader},
		{"no timestamp", header("webhook-id", id, "webhook-signature", good), body, sentAt, time.Minute, webhook.ErrMissingHeader},
		{"no signature", header("webhook-id", id, "webhook-timestamp", ts), body, sentAt, time.Minute, webhook.ErrMissingHeader},
		{"blank signature", full("  "), body, sentAt, time.Minute, webhook.ErrMissingHeader},
		{"no headers", http.Header{}, body, sentAt, time.Minute, webhook.ErrMissingHeader},
		{"timestamp not a number", header("webhook-id", id, "webhook-timestamp", "yesterday", "webhook-signature", good), body, sentAt, time.Minute, webhook.ErrBadTimestamp},
		{"timestamp in ms overflows", header("webhook-id", id, "webhook-timestamp", "99999999999999999999", "webhook-signature", good), body, sentAt, time.Minute, webhook.ErrBadTimestamp},
		{"signed timestamp", header("webhook-id", id, "webhook-timestamp", "+"+ts, "webhook-signature", v1(key, id, "+"+ts, body)), body, sentAt, time.Minute, webhook.ErrBadTimestamp},
		{"timestamp in ms", header("webhook-id", id, "webhook-timestamp", ts+"000", "webhook-signature", v1(key, id, ts+"000", body)), body, sentAt, time.Minute, webhook.ErrTooNew},
		{"several, one good", full("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2," + good[3:] + " " + good + " v1,x"), body, sentAt, time.Minute, nil},
		{"two header lines", header("webhook-id", id, "webhook-timestamp", ts, "webhook-signature", old, "webhook-signature", good), body, sentAt, time.Minute, nil},
	} {
		err := newVerifier(t, tc.now, tc.tol, secret).Verify(tc.header, tc.body)
		if tc.want == nil {
			assert.NoError(t, err, tc.what)
		} else {
			assert.ErrorIs(t, err, tc.want, tc.what)
		}
	}
}

// A receiver rotating its secret knows the old and the new one: a request
// signed with either verifies; one signed with neither does not.
func TestVerifyRotation(t *testing.T) {
	body := []byte(`{"id":"n-1"}`)
	id, ts := "msg_bi0x", strconv.FormatInt(sentAt.Unix(), 10)
	h := func(sig string) http.Header {
		return http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}}
	}
	both := newVerifier(t, time.Time{}, 0, otherSecret, secret)
	assert.NoError(t, both.Verify(h(v1(key, id, ts, body)), body), "new secret")
	assert.NoError(t, both.Verify(h(v1(otherKey, id, ts, body)), body), "old secret")
	assert.ErrorIs(t, newVerifier(t, time.Time{}, 0, secret).Verify(h(v1(otherKey, id, ts, body)), body), webhook.ErrNoMatchingSignature)
}

func TestNewVerifierValidates(t *testing.T) {
	for _, tc := range []struct {
		what string
		opts *webhook.VerifierOptions
		want string
	}{
		{"nil", nil, "VerifierOptions.Secrets is required"},
		{"no secret", &webhook.VerifierOptions{}, "VerifierOptions.Secrets is required"},
		{"raw", &webhook.VerifierOptions{Secrets: []string{string(key)}}, `VerifierOptions.Secrets[0] does not start with "whsec_"`},
		{"negative tolerance", &webhook.VerifierOptions{Secrets: []string{secret}, Tolerance: -time.Second}, "Tolerance is negative"},
		{"negative bound", &webhook.VerifierOptions{Secrets: []string{secret}, MaxBodyBytes: -1}, "MaxBodyBytes is negative"},
	} {
		_, err := webhook.NewVerifier(tc.opts)
		if assert.Error(t, err, tc.what) {
			assert.Contains(t, err.Error(), tc.want, tc.what)
			assert.NotContains(t, err.Error(), string(key), tc.what)
		}
	}
}

// VerifyRequest reads at most MaxBodyBytes and returns the body only when
// it verifies.
func TestVerifyRequest(t *testing.T) {
	body := []byte(`{"id":"n-1","body":"` + strings.Repeat("x", 100) + `"}`)
	id, ts := "msg_bi0x", strconv.FormatInt(sentAt.Unix(), 10)
	req := func(b []byte, sig string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(string(b)))
		r.Header.Set("webhook-id", id)
		r.Header.Set("webhook-timestamp", ts)
		r.Header.Set("webhook-signature", sig)
		return r
	}
	mk := func(max int64) *webhook.Verifier {
		v, err := webhook.NewVerifier(&webhook.VerifierOptions{Secrets: []string{secret}, MaxBodyBytes: max, Clock: clock})
		require.NoError(t, err)
		return v
	}
	got, err := mk(0).VerifyRequest(req(body, v1(key, id, ts, body)))
	require.NoError(t, err)
	assert.Equal(t, body, got)

	got, err = mk(int64(len(body))).VerifyRequest(req(body, v1(key, id, ts, body)))
	require.NoError(t, err, "a body of exactly the bound")
	assert.Equal(t, body, got)

	_, err = mk(int64(len(body)) - 1).VerifyRequest(req(body, v1(key, id, ts, body)))
	assert.ErrorIs(t, err, webhook.ErrBodyTooLarge)

	// The bound holds against an endless body: the read stops.
	r := req(nil, v1(key, id, ts, body))
	endless := &countingReader{}
	r.Body = io.NopCloser(endless)
	_, err = mk(1 << 10).VerifyRequest(r)
	assert.ErrorIs(t, err, webhook.ErrBodyTooLarge)
	assert.LessOrEqual(t, endless.n, int64(64<<10), "read %d bytes of an endless body", endless.n)

	got, err = mk(0).VerifyRequest(req(body, v1(otherKey, id, ts, body)))
	assert.ErrorIs(t, err, webhook.ErrNoMatchingSignature)
	assert.Nil(t, got, "no body for a request that does not verify")
}

// countingReader is an endless body of 'x' that counts what was read.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	c.n += int64(len(p))
	return len(p), nil
}

// Send classifies the answer; it does not retry.
func TestStatusClassification(t *testing.T) {
	rec := newRecorder(t)
	s := newSender(t, webhook.Options{URL: rec.srv.URL})
	n := testNotice()
	const transient, permanent, misconfigured, delivered = 0, 1, 2, 3
	for _, tc := range []struct {
		codes []int
		class int
	}{
		{[]int{200, 201, 202, 204}, delivered},
		{[]int{500, 502, 503, 504, 408, 429}, transient},
		{[]int{400, 409, 413, 415, 422}, permanent},
		{[]int{401, 403, 404, 405, 410}, misconfigured},
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
			assert.Equal(t, tc.class == permanent, coaching.IsPermanent(err), "%d: permanent? %v", code, err)
			assert.Equal(t, tc.class == misconfigured, coaching.IsMisconfigured(err), "%d: misconfigured? %v", code, err)
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
// (the signed personal data does not go to the new location) and the
// channel is misconfigured: the dispatcher pauses it.
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
		assert.True(t, coaching.IsMisconfigured(err) && !coaching.IsPermanent(err), "%d must be a misconfigured channel: %v", code, err)
		assert.Contains(t, err.Error(), "redirects are not followed")
		var se *webhook.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, code, se.StatusCode)
	}
	assert.Empty(t, target.requests(), "the redirect target must never be called")

	// The caller's client is copied, not changed.
	client := &http.Client{}
	_, err := webhook.New(webhook.Options{URL: "https://hooks.example.fi/", Secrets: []string{secret}, Client: client})
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

// A notice without an id (its idempotency key) is not sent at all. Any
// other id is sent, encoded in webhook-id, and decodes back.
func TestNoticeIDs(t *testing.T) {
	rec := newRecorder(t)
	s := newSender(t, webhook.Options{URL: rec.srv.URL})
	n := testNotice()
	n.ID = ""
	err := s.Send(t.Context(), n)
	require.Error(t, err)
	assert.True(t, coaching.IsPermanent(err), "%v", err)
	assert.Empty(t, rec.requests())

	v := newVerifier(t, time.Time{}, 0, secret)
	ids := []string{"K7QX:3:phase_overdue:anna.äijälä", "n-1\r\nX-Injected: 1", " n-1", "n\x00", "a.1614265330.b"}
	for i, id := range ids {
		n.ID = id
		require.NoError(t, s.Send(t.Context(), n), "%q", id)
		r := rec.requests()[i]
		wid := r.header.Get("webhook-id")
		assert.NotContains(t, wid, ".", "%q: the specification forbids dots in the id", id)
		for _, c := range []byte(wid) {
			assert.True(t, c > 0x20 && c < 0x7f, "%q: webhook-id is printable ASCII", id)
		}
		back, err := webhook.NoticeID(wid)
		require.NoError(t, err)
		assert.Equal(t, id, back)
		assert.Empty(t, r.header.Values("X-Injected"))
		assert.NoError(t, v.Verify(r.header, r.body), "%q", id)
	}
	for _, bad := range []string{"", "msg_", "K7QX:3", "msg_!!", "evt_bg"} {
		_, err := webhook.NoticeID(bad)
		assert.Error(t, err, "%q", bad)
	}
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

// An httptest TLS server with its client works without AllowInsecureHTTP.
func TestTLS(t *testing.T) {
	v := newVerifier(t, time.Now(), time.Minute, secret)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if v.Verify(r.Header, body) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	s, err := webhook.New(webhook.Options{URL: srv.URL, Secrets: []string{secret}, Client: srv.Client()})
	require.NoError(t, err)
	require.NoError(t, s.Send(t.Context(), testNotice()))

	// Without the server's certificate the TLS handshake fails: the
	// channel is misconfigured (the dispatcher pauses it), the notice is
	// not at fault.
	s, err = webhook.New(webhook.Options{URL: srv.URL, Secrets: []string{secret}})
	require.NoError(t, err)
	err = s.Send(t.Context(), testNotice())
	require.Error(t, err)
	assert.False(t, coaching.IsPermanent(err))
	assert.True(t, coaching.IsMisconfigured(err), "%v", err)
}
