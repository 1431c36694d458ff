package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpapi"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// The states of a mailServer.
const (
	mailUp            int32 = iota // accepts every message
	mailDown                       // 451 to MAIL FROM: try again later
	mailMisconfigured              // 550 to MAIL FROM: this sender is refused
)

// mailServer is a plain SMTP server on loopback whose state the test
// switches: up, down (a transient refusal), or refusing the sender (the
// channel's misconfiguration).
type mailServer struct {
	addr    string
	state   atomic.Int32
	refused atomic.Int32 // MAIL FROM refused so far

	mu       sync.Mutex
	received []string // the recipients of each accepted message
}

func startMailServer(t *testing.T) *mailServer {
	t.Helper()
	ms := &mailServer{}
	s := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) { return &mailSession{ms: ms}, nil }))
	s.Domain = "mx.koti.example"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ms.addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return ms
}

func (ms *mailServer) messages() []string {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]string(nil), ms.received...)
}

type mailSession struct {
	ms *mailServer
	to string
}

func (s *mailSession) Mail(string, *gosmtp.MailOptions) error {
	switch s.ms.state.Load() {
	case mailDown:
		s.ms.refused.Add(1)
		return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	case mailMisconfigured:
		s.ms.refused.Add(1)
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Message: "sender refused"}
	}
	return nil
}

func (s *mailSession) Rcpt(to string, _ *gosmtp.RcptOptions) error { s.to = to; return nil }

func (s *mailSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	s.ms.received = append(s.ms.received, s.to)
	return nil
}

func (s *mailSession) Reset()        { s.to = "" }
func (s *mailSession) Logout() error { return nil }

// eventually waits, a bounded while, until cond holds; the bound only
// ends a test whose behaviour broke, a slow machine just waits longer.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readyz is /readyz's status and its checks.
func readyz(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	res, body := get(t, base+"/readyz")
	checks, _ := body["checks"].(map[string]any)
	return res.StatusCode, checks
}

// pilotStart is a Tuesday morning: a minor's absence marked now makes the
// guardians' digest due at 15:00.
var pilotStart = time.Date(2024, 4, 2, 9, 0, 0, 0, coaching.Helsinki)

var (
	tutor   = []string{"X-Actor-Id", "tutor-1", "X-Actor-Roles", "personal_tutor", "X-Actor-Organisation", "school-1"}
	teacher = []string{"X-Actor-Id", "teacher-1", "X-Actor-Roles", "teacher", "X-Actor-Organisation", "school-1"}
)

// The personal data of the minor the tests enrol, which no log line or
// metric label may hold.
var minorsData = []string{"Eetu", "Testinen", "300608A1237", "eetu@example.fi", "Maija", "maija@koti.example", "parent-1", "tutor-1", "teacher-1"}

// enrolMinorAbsent enrols a minor with a guardian and marks an unexplained
// absence, which enqueues the guardians' digest due at 15:00; it returns
// the case id.
func enrolMinorAbsent(t *testing.T, base string) string {
	t.Helper()
	minor := `{"model":"first_year_pilot","participant":{"given_names":"Eetu","family_name":"Testinen","birth_date":"2008-06-30",
		"identity_code":"300608A1237","language":"fi","organisation":"school-1","contact":{"email":"eetu@example.fi"},
		"guardians":[{"id":"parent-1","name":"Maija Testinen","contact":{"email":"maija@koti.example"}}]},
		"team":[{"actor_id":"tutor-1","role":"personal_tutor","name":"Tuula Tutor"}]}`
	res, p := send(t, "POST", base+"/enrolments", minor, tutor...)
	require.Equal(t, http.StatusCreated, res.StatusCode, "%v", p)
	id := p["id"].(string)
	marks := `{"marks":[{"case_id":"` + id + `","date":"2024-04-02","lesson":"1","minutes":90,"status":"absent_unexplained"}]}`
	res, p = send(t, "POST", base+"/attendance", marks, teacher...)
	require.Equal(t, http.StatusOK, res.StatusCode, "%v", p)
	require.Len(t, p["notices"], 1, "the guardians' digest")
	return id
}

// /readyz turns not ready, naming "outbox", when the mail server has been
// down longer than -ready-max-lag since the guardians' 15:00 digest became
// due, and ready again, well within -ready-max-lag, once the server is
// back: however long the outage, the dispatcher's backoff never exceeds a
// third of -ready-max-lag.
func TestRunReadyzOutboxLag(t *testing.T) {
	const maxLag = 10 * time.Minute
	mail := startMailServer(t)
	clock := ct.NewClock(pilotStart)
	metricsAt := make(chan string, 1)
	base, logs := startRunWith(t, &testHooks{clock: clock, dispatchInterval: 10 * time.Millisecond, metricsListening: metricsAt},
		"-dev-identities", "-smtp", mail.addr, "-smtp-insecure", "-ready-max-lag", maxLag.String())
	metrics := "http://" + <-metricsAt + "/metrics"
	// retried is how many failed sends the dispatcher has recorded (the
	// server refuses a send before the dispatcher records it, at the
	// clock's time then).
	retried := func() float64 {
		return series(t, scrape(t, metrics), "valmennus_notices_total", map[string]string{"outcome": "retried"})["channel=email,kind=guardian_absence"]
	}
	all := map[string]any{"store": "ok", "dispatcher": "ok", "ticker": "ok", "outbox": "ok", "email": "ok"}
	status, checks := readyz(t, base)
	require.Equal(t, http.StatusOK, status, "%v", checks)
	assert.Equal(t, all, checks)

	enrolMinorAbsent(t, base)
	mail.state.Store(mailDown)
	clock.Set(time.Date(2024, 4, 2, 15, 9, 0, 0, coaching.Helsinki))
	eventually(t, "a send refused", func() bool { return retried() == 1 })
	status, checks = readyz(t, base)
	assert.Equal(t, http.StatusOK, status, "9 minutes late is within -ready-max-lag: %v", checks)

	clock.Set(time.Date(2024, 4, 2, 15, 10, 1, 0, coaching.Helsinki))
	eventually(t, "the retry due at 15:09:30 refused", func() bool { return retried() == 2 })
	status, checks = readyz(t, base)
	require.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, map[string]any{"store": "ok", "dispatcher": "ok", "ticker": "ok", "outbox": "failing", "email": "ok"}, checks)
	assert.Contains(t, logs.String(), "check=outbox")
	assert.Contains(t, logs.String(), "a due notice has waited 10m1s")

	// A long outage: each step of a third of -ready-max-lag brings the
	// next retry due, however many have failed (with the dispatcher's
	// default one-hour cap, the backoff soon outgrows the step and the
	// retry does not come).
	step := maxLag / 3
	for i := range 12 {
		before := retried()
		clock.Advance(step)
		eventually(t, fmt.Sprintf("retry %d within %s of the last", i+1, step), func() bool { return retried() > before })
	}

	// Back up: the next retry falls due within a third of -ready-max-lag,
	// the digest goes out and /readyz passes again.
	mail.state.Store(mailUp)
	clock.Advance(step)
	eventually(t, "the digest delivered", func() bool { return len(mail.messages()) == 1 })
	assert.Equal(t, []string{"maija@koti.example"}, mail.messages())
	eventually(t, "ready again", func() bool { status, _ := readyz(t, base); return status == http.StatusOK })
	_, checks = readyz(t, base)
	assert.Equal(t, all, checks)
	for _, pd := range minorsData {
		assert.NotContains(t, logs.String(), pd)
	}
}

// The dispatcher's backoff is capped at a third of -ready-max-lag, within
// [1s, 1h], and starts at 30 seconds or the cap when that is shorter; the
// tries are as many more as keep a failing notice retrying at least as
// long, on average, as the dispatcher's defaults.
func TestDispatcherBackoff(t *testing.T) {
	want := meanRetrySpan(30*time.Second, time.Hour, 10)
	assert.Equal(t, 5640*time.Second, want, "the defaults: 30s, 45s, 75s, 135s, 255s, 495s, 975s, 1815s, 1815s")
	for _, c := range []struct{ lag, base, max time.Duration }{
		{15 * time.Minute, 30 * time.Second, 5 * time.Minute},
		{10 * time.Minute, 30 * time.Second, 200 * time.Second},
		{6 * time.Hour, 30 * time.Second, time.Hour},
		{time.Minute, 20 * time.Second, 20 * time.Second},
		{time.Millisecond, time.Second, time.Second},
	} {
		base, maxWait, attempts := dispatcherBackoff(c.lag)
		assert.Equal(t, c.base, base, "base for %s", c.lag)
		assert.Equal(t, c.max, maxWait, "max for %s", c.lag)
		span := meanRetrySpan(base, maxWait, attempts)
		assert.GreaterOrEqual(t, span, want, "the retries for %s last as long as the defaults'", c.lag)
		assert.Less(t, meanRetrySpan(base, maxWait, attempts-1), want, "no more tries than that for %s", c.lag)
	}
	_, _, attempts := dispatcherBackoff(httpapi.DefaultOutboxMaxLag)
	assert.Equal(t, 38, attempts, "the README's figure at the default -ready-max-lag")
	_, _, attempts = dispatcherBackoff(6 * time.Hour)
	assert.Equal(t, 10, attempts, "the defaults, when the cap is the default's")
}
