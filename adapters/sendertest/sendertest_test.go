package sendertest_test

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sendertest"
	"github.com/valmennus/valmennus/coaching"
)

// fakeChannel is an in-memory mail-like channel: its sender writes a MIME
// message (RFC 2047 names and subject, a quoted-printable body) straight
// into its receiver. Well-behaved, it passes the suite; with broken set it
// misbehaves in one way, which the suite must catch.
type fakeChannel struct {
	broken          string
	addressOptional bool
	hung            atomic.Bool // ignores-context hangs once per channel

	mu      sync.Mutex
	failure sendertest.Failure
	got     []sendertest.Received
}

func (c *fakeChannel) Sender(*testing.T) coaching.Sender { return coaching.SenderFunc(c.send) }

func (c *fakeChannel) Received(*testing.T) []sendertest.Received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

func (c *fakeChannel) Fail(_ *testing.T, f sendertest.Failure) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failure = f
}

func (c *fakeChannel) send(ctx context.Context, n coaching.Notice) error {
	if c.broken == "ignores-context" && ctx.Err() != nil {
		if c.hung.CompareAndSwap(false, true) {
			time.Sleep(2200 * time.Millisecond) // longer than the suite allows
		}
	} else if err := ctx.Err(); err != nil {
		return fmt.Errorf("fake: notice %s: %w", n.ID, err)
	}
	to := n.Recipient.Contact.Email
	if to == "" {
		if !c.addressOptional && c.broken != "no-address-check" {
			return coaching.Permanent(fmt.Errorf("fake: notice %s: the recipient has no e-mail address", n.ID))
		}
		to = n.Recipient.ID
	}
	subject, name := n.Subject, n.Recipient.Name
	if c.broken == "ascii-only" {
		subject, name = asciiOnly(subject), asciiOnly(name)
	}
	r := sendertest.Received{IdempotencyKey: n.ID, To: to, Subject: subject, Body: n.Body, Raw: message(n, name, subject)}

	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.failure {
	case sendertest.FailTransient:
		if c.broken == "records-refused" {
			c.got = append(c.got, r)
		}
		err := fmt.Errorf("fake: notice %s: 451 try again later", n.ID)
		switch c.broken {
		case "transient-as-permanent":
			return coaching.Permanent(err)
		case "leaks-personal-data":
			return fmt.Errorf("%w (to %s)", err, n.Recipient.Contact.Email)
		}
		return err
	case sendertest.FailPermanent:
		err := fmt.Errorf("fake: notice %s: 550 rejected", n.ID)
		if c.broken == "permanent-as-transient" {
			return err
		}
		return coaching.Permanent(err)
	}
	switch c.broken {
	case "wrong-key":
		r.IdempotencyKey = "msg-" + strconv.Itoa(len(c.got)+1)
	case "duplicates":
		c.got = append(c.got, r)
	}
	c.got = append(c.got, r)
	return nil
}

// message writes n as a MIME message, as an e-mail channel would.
func message(n coaching.Notice, name, subject string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: school@example.fi\r\n")
	fmt.Fprintf(&b, "To: %s\r\n", (&mail.Address{Name: name, Address: n.Recipient.Contact.Email}).String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Message-ID: <%s@example.fi>\r\n", strings.ReplaceAll(n.ID, ":", "."))
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(strings.ReplaceAll(n.Body, "\n", "\r\n")))
	_ = w.Close()
	return []byte(b.String())
}

func asciiOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r > 127 {
			return '?'
		}
		return r
	}, s)
}

func TestReferenceSender(t *testing.T) {
	sendertest.Run(t, func(*testing.T) sendertest.Harness { return &fakeChannel{} })
}

func TestReferenceSenderAddressOptional(t *testing.T) {
	sendertest.RunWith(t, sendertest.Options{AddressOptional: true}, func(*testing.T) sendertest.Harness {
		return &fakeChannel{addressOptional: true}
	})
}

// brokenEnv names the misbehaviour TestBrokenSender runs the suite with.
const brokenEnv = "SENDERTEST_BROKEN"

// TestBrokenSender runs the suite against a broken fake; it only runs in
// the child process TestSuiteCatchesBrokenSenders starts, which expects it
// to fail.
func TestBrokenSender(t *testing.T) {
	broken := os.Getenv(brokenEnv)
	if broken == "" {
		t.Skip("run by TestSuiteCatchesBrokenSenders")
	}
	if broken == "refuses-unaddressed" {
		// Claims AddressOptional but still needs an e-mail address.
		sendertest.RunWith(t, sendertest.Options{AddressOptional: true}, func(*testing.T) sendertest.Harness { return &fakeChannel{} })
		return
	}
	sendertest.Run(t, func(*testing.T) sendertest.Harness { return &fakeChannel{broken: broken} })
}

// The suite is only as good as the broken senders it rejects: each
// misbehaviour must fail the case that checks the rule it breaks, with
// the rule in the message.
func TestSuiteCatchesBrokenSenders(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child test processes")
	}
	for _, tc := range []struct {
		broken string
		fails  []string
	}{
		{"wrong-key", []string{"Delivery/Notice", "Delivery/SequentialInOrder", "Failures/RetryAfterTransientArrivesOnce"}},
		{"duplicates", []string{"Delivery/Notice", "Delivery/SequentialInOrder", "Concurrency/ParallelSends"}},
		{"ascii-only", []string{"Delivery/FinnishAndSwedish"}},
		{"transient-as-permanent", []string{"Failures/TransientIsRetryable"}},
		{"permanent-as-transient", []string{"Failures/PermanentIsPermanent"}},
		{"records-refused", []string{"Failures/TransientIsRetryable", "Failures/RetryAfterTransientArrivesOnce"}},
		{"leaks-personal-data", []string{"Failures/ErrorsCarryNoPersonalData"}},
		{"ignores-context", []string{"Context/Cancelled"}},
		{"no-address-check", []string{"Recipient/NoAddress"}},
		{"refuses-unaddressed", []string{"Recipient/NoAddress"}},
	} {
		t.Run(tc.broken, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenSender$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), brokenEnv+"="+tc.broken)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "the suite passed a sender that is broken (%s), or the child did not run: %v\n%s", tc.broken, err, out)
			for _, c := range tc.fails {
				require.Contains(t, string(out), "--- FAIL: TestBrokenSender/"+c+" (", "the case %s did not fail", c)
			}
			require.Contains(t, string(out), "Rule:", "failures must name the rule")
		})
	}
}

func TestFailureString(t *testing.T) {
	require.Equal(t, "Accept", sendertest.Accept.String())
	require.Equal(t, "FailTransient", sendertest.FailTransient.String())
	require.Equal(t, "FailPermanent", sendertest.FailPermanent.String())
	require.Equal(t, "Failure(7)", sendertest.Failure(7).String())
}
