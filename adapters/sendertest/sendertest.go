// Package sendertest is the conformance suite every [coaching.Sender]
// passes: e-mail (adapters/smtp), webhooks (adapters/webhook) and any
// channel a host adds. A sender proves itself with one test that connects
// the suite to the sender and to a real receiving end started in the test:
//
//	func TestConformance(t *testing.T) {
//		sendertest.Run(t, func(t *testing.T) sendertest.Harness {
//			return newHarness(t) // starts a receiver, e.g. an httptest or SMTP server
//		})
//	}
//
// Like adapters/storetest, every case is a named subtest ("Group/Case", see
// [Cases]) that gets a fresh [Harness], runs in parallel with the others,
// and ends every failure message with the documented rule it checks
// ("Rule: ..."). The rules come from coaching/dispatch.go (the Sender port
// and how the Dispatcher treats its errors) and coaching/notice.go (the
// notice ID is the idempotency key; logs never carry the recipient's
// address or the message text).
//
// # What the suite reads into the port
//
//   - "Send may be called concurrently" and "delivery is at-least-once":
//     a sequential stream of notices arrives in order, each once; parallel
//     sends all arrive.
//   - [coaching.Permanent] is for errors retrying cannot help. A refusal the
//     receiver calls temporary, and a cancelled or expired context (the
//     dispatcher shutting down), must therefore not be permanent: the
//     dispatcher marks a notice dead on the first permanent error.
//   - The dispatcher stores err.Error() as Notice.LastError and logs it, and
//     notice logs never carry the recipient's address or the message text.
//     So a Send error never contains the recipient's name, e-mail address
//     or phone number, nor the subject or body.
//   - A recipient the channel has no address for (an empty
//     [coaching.Contact]) cannot be reached by retrying: the error is
//     permanent. Channels that address the recipient some other way declare
//     it with [Options.AddressOptional] and must then deliver such a notice.
//
// # Notices
//
// The suite's notice IDs have the shape the engine gives them: a case id, an
// audit sequence number, the notice kind and the recipient's id joined by
// colons ("K7QX3VZD2M4HNWTB6YJR5PELCA:3:attendance_digest:g-1"). A channel
// that cannot carry such an ID as it is (an SMTP Message-ID) encodes it,
// and its harness decodes it back: [Received.IdempotencyKey] must equal
// [coaching.Notice.ID].
package sendertest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// Received is one delivery as the receiving end saw it. The harness
// decodes what the channel encoded (an RFC 2047 subject, a
// quoted-printable body, an encoded Message-ID), so the fields compare
// with the notice that was sent.
type Received struct {
	// IdempotencyKey is the notice ID as the channel carries it (webhook
	// webhook-id header; SMTP Message-ID local part), decoded back to
	// the notice ID.
	IdempotencyKey string
	// To is the address (e-mail) or the endpoint-specific recipient id: the
	// suite accepts any of the recipient's Contact.Email, Contact.Phone and
	// ID.
	To string
	// Subject is the subject as the receiver decoded it.
	Subject string
	// Body is the text as the receiver decoded it. The suite compares it
	// with line breaks normalised: CRLF reads as LF and trailing line
	// breaks are ignored, since mail channels convert line endings.
	Body string
	// Raw is the bytes received (the HTTP body, the SMTP DATA). The suite
	// looks for the recipient's name in it: as UTF-8 text, inside a JSON
	// string, or in an RFC 2047 encoded-word of a mail header.
	Raw []byte
}

// Failure is what the receiving end does with the next deliveries.
type Failure int

const (
	// Accept receives every delivery (the initial state).
	Accept Failure = iota
	// FailTransient refuses every delivery the way the channel says "try
	// again later" (HTTP 503, SMTP 451).
	FailTransient
	// FailPermanent refuses every delivery the way the channel says
	// "never" (HTTP 400, SMTP 550).
	FailPermanent
)

// String returns the failure's Go name.
func (f Failure) String() string {
	switch f {
	case Accept:
		return "Accept"
	case FailTransient:
		return "FailTransient"
	case FailPermanent:
		return "FailPermanent"
	}
	return "Failure(" + strconv.Itoa(int(f)) + ")"
}

// Harness connects the suite to one sender and the receiving end it
// delivers to. The suite calls a harness's methods from one goroutine (the
// case's), while Send, and so the receiver, may run on several.
type Harness interface {
	// Sender returns a fresh sender delivering to this harness's receiver.
	// A case may ask for more than one.
	Sender(t *testing.T) coaching.Sender
	// Received returns everything the receiver accepted so far, in the
	// order it accepted it. A delivery it refused (see Fail) is not
	// included. The receiver records a delivery before it acknowledges
	// it, so every delivery of a Send that returned nil is included.
	Received(t *testing.T) []Received
	// Fail makes the receiver accept, fail transiently or fail
	// permanently from now on, until the next call. A new harness accepts.
	Fail(t *testing.T, f Failure)
}

// Options adapt the suite to what a channel documents. The zero Options is
// the strictest suite, and [Run] uses it; a sender relaxes a case only by
// saying so in its own test file.
type Options struct {
	// AddressOptional declares that the channel does not need an address
	// from the recipient's Contact: a webhook names the recipient by
	// Recipient.ID and leaves reaching them to the endpoint. By default the
	// Recipient/NoAddress case requires that a notice whose recipient has
	// an empty Contact fails with a permanent error and reaches no one (no
	// e-mail address for SMTP, no phone number for SMS); with
	// AddressOptional it requires that such a notice is delivered.
	AddressOptional bool
}

// Run runs every conformance case as a subtest of t with the zero
// [Options]: the channel needs an address from the recipient's Contact.
// newHarness gives each case a fresh receiver; it is called from parallel
// subtests, so it must be safe for concurrent use, and it may register
// clean-up with t.Cleanup.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	RunWith(t, Options{}, newHarness)
}

// RunWith runs every conformance case as a subtest of t, with the cases
// adapted to opts. The subtests are grouped ("Failures/TransientIsRetryable"
// and so on), so a single case can be run with go test -run.
func RunWith(t *testing.T, opts Options, newHarness func(t *testing.T) Harness) {
	t.Helper()
	if newHarness == nil {
		t.Fatal("sendertest.Run: the harness constructor is nil")
	}
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					// Every case has a receiver of its own, so all of
					// them can run in parallel.
					t.Parallel()
					h := newHarness(t)
					require.NotNil(t, h, "the harness constructor returned nil")
					e := &env{T: t, rule: tc.rule, h: h, opts: opts, ctx: t.Context()}
					if tc.ruleFor != nil {
						e.rule = tc.ruleFor(opts)
					}
					tc.run(e)
				})
			}
		})
	}
}

// Cases returns the names of the conformance cases RunWith runs, as
// "Group/Case", in order. Every case runs whatever the Options: an option
// changes what a case expects, never whether it runs.
func Cases() []string {
	var out []string
	for _, g := range groups() {
		for _, tc := range g.cases {
			out = append(out, g.name+"/"+tc.name)
		}
	}
	return out
}

type group struct {
	name  string
	cases []testCase
}

// testCase is one conformance case: its subtest name, a one-line statement
// of the documented rule it checks (or a function giving it when the rule
// depends on the Options), and the check.
type testCase struct {
	name    string
	rule    string
	ruleFor func(Options) string
	run     func(e *env)
}

func groups() []group {
	return []group{
		{"Delivery", deliveryCases()},
		{"Failures", failureCases()},
		{"Context", contextCases()},
		{"Concurrency", concurrencyCases()},
		{"Recipient", recipientCases()},
	}
}

// env is what a case runs with. It is a require.TestingT whose failure
// messages end with the case's rule.
type env struct {
	*testing.T
	rule string
	h    Harness
	opts Options
	ctx  context.Context
}

// Errorf reports a failure with the rule the case checks appended.
func (e *env) Errorf(format string, args ...any) {
	e.T.Helper()
	e.T.Errorf(format+"\n\tRule:       \t%s", append(args, e.rule)...)
}

// Fatalf reports a failure with the rule appended and stops the case.
func (e *env) Fatalf(format string, args ...any) {
	e.T.Helper()
	e.T.Fatalf(format+"\n\tRule:       \t%s", append(args, e.rule)...)
}

func (e *env) sender() coaching.Sender {
	e.Helper()
	s := e.h.Sender(e.T)
	require.NotNil(e, s, "the harness returned a nil sender")
	return s
}

func (e *env) received() []Received {
	e.Helper()
	return e.h.Received(e.T)
}

func (e *env) fail(f Failure) {
	e.Helper()
	e.h.Fail(e.T, f)
}

// send calls s.Send on another goroutine and returns its error, failing
// the case if it has not returned after sendTimeout: a sender that hangs
// would otherwise hang the whole test binary.
func (e *env) send(s coaching.Sender, ctx context.Context, n coaching.Notice) error {
	e.Helper()
	return within(e, sendTimeout, "Send("+n.ID+")", func() error { return s.Send(ctx, n) })
}

// sendTimeout bounds a Send to a receiver started in the test. It is far
// above what a local delivery takes, and below the dispatcher's default
// lease.
const sendTimeout = 30 * time.Second

// within runs fn and returns its error, failing the case if fn has not
// returned after d. fn runs on another goroutine, so it must not call
// require.
func within(e *env, d time.Duration, what string, fn func() error) error {
	e.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		e.Fatalf("%s did not return within %s", what, d)
		return nil
	}
}

// keys returns the idempotency keys of rs, in order.
func keys(rs []Received) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.IdempotencyKey
	}
	return out
}

// sameText compares two texts with CRLF read as LF and trailing line
// breaks ignored.
func sameText(a, b string) bool { return normText(a) == normText(b) }

func normText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimRight(s, "\n")
}
