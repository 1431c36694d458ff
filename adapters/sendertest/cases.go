package sendertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// promptly is how soon Send must give up on a cancelled or expired
// context.
const promptly = 2 * time.Second

func deliveryCases() []testCase {
	return []testCase{
		{
			name: "Notice",
			rule: "a notice is delivered once to its recipient, with its ID as the idempotency key and its subject and body intact",
			run: func(e *env) {
				s := e.sender()
				n := notice(1)
				require.NoError(e, e.send(s, e.ctx, n), "Send to an accepting receiver failed")
				rs := e.received()
				require.Len(e, rs, 1, "the receiver must see exactly one delivery")
				checkDelivery(e, rs[0], n)
				assert.NotEmpty(e, rs[0].Raw, "the harness reported no raw bytes for the delivery")
			},
		},
		{
			name: "MinimalNotice",
			rule: "a notice without a case id, data or phone number is delivered like any other",
			run: func(e *env) {
				s := e.sender()
				n := minimalNotice(1)
				require.NoError(e, e.send(s, e.ctx, n), "Send of a minimal notice failed")
				rs := e.received()
				require.Len(e, rs, 1, "the receiver must see exactly one delivery")
				checkDelivery(e, rs[0], n)
			},
		},
		{
			name: "FinnishAndSwedish",
			rule: "Finnish and Swedish letters (ä, ö, å, Ä, Ö, Å) survive delivery in the subject, the body and the recipient's name",
			run: func(e *env) {
				s := e.sender()
				n := nordicNotice(1)
				require.NoError(e, e.send(s, e.ctx, n), "Send of a notice in Finnish and Swedish failed")
				rs := e.received()
				require.Len(e, rs, 1, "the receiver must see exactly one delivery")
				checkDelivery(e, rs[0], n)
				if !rawContains(rs[0].Raw, n.Recipient.Name) {
					e.Errorf("the recipient's name %q cannot be read from the bytes received (as UTF-8, in a JSON string or in an RFC 2047 mail header):\n%s",
						n.Recipient.Name, excerpt(rs[0].Raw))
				}
			},
		},
		{
			name: "SequentialInOrder",
			rule: "notices sent one after another arrive in the order sent, each exactly once",
			run: func(e *env) {
				s := e.sender()
				var want []string
				sent := map[string]coaching.Notice{}
				for i := 1; i <= 20; i++ {
					n := notice(i)
					require.NoError(e, e.send(s, e.ctx, n), "Send of notice %d of 20 failed", i)
					want = append(want, n.ID)
					sent[n.ID] = n
				}
				rs := e.received()
				require.Equal(e, want, keys(rs), "the receiver must see the 20 notices once each, in the order sent")
				for _, r := range rs {
					checkDelivery(e, r, sent[r.IdempotencyKey])
				}
			},
		},
	}
}

// The dispatcher treats a Send error as temporary unless it is marked
// with coaching.Permanent, and marks the notice dead on the first
// permanent one. The receiver refusing a delivery must leave no trace
// the harness counts as received: what the channel's "try later" or
// "never" answers mean is that the message was not taken.
func failureCases() []testCase {
	return []testCase{
		{
			name: "TransientIsRetryable",
			rule: "a delivery the receiver refuses for now fails with an error that is not coaching.Permanent (the dispatcher retries it) and is not received",
			run: func(e *env) {
				s := e.sender()
				e.fail(FailTransient)
				err := e.send(s, e.ctx, notice(1))
				require.Error(e, err, "Send must fail when the receiver refuses for now")
				assert.False(e, coaching.IsPermanent(err), "a transient refusal must not be permanent, got %q", err)
				assert.Empty(e, keys(e.received()), "a refused delivery must not count as received")
			},
		},
		{
			name: "PermanentIsPermanent",
			rule: "a delivery the receiver refuses for good fails with an error for which coaching.IsPermanent is true, is not received, and does not stop the sender delivering the next notice",
			run: func(e *env) {
				s := e.sender()
				e.fail(FailPermanent)
				err := e.send(s, e.ctx, notice(1))
				require.Error(e, err, "Send must fail when the receiver refuses for good")
				assert.True(e, coaching.IsPermanent(err), "a permanent refusal must be marked with coaching.Permanent, got %q", err)
				assert.Empty(e, keys(e.received()), "a refused delivery must not count as received")

				e.fail(Accept)
				n := notice(2)
				require.NoError(e, e.send(s, e.ctx, n), "Send after a permanent refusal, to an accepting receiver, failed")
				assert.Equal(e, []string{n.ID}, keys(e.received()), "the next notice must arrive")
			},
		},
		{
			name: "RetryAfterTransientArrivesOnce",
			rule: "a notice sent again after a transient failure arrives, and the receiver sees it exactly once",
			run: func(e *env) {
				s := e.sender()
				n := notice(1)
				e.fail(FailTransient)
				require.Error(e, e.send(s, e.ctx, n), "Send must fail when the receiver refuses for now")
				e.fail(Accept)
				require.NoError(e, e.send(s, e.ctx, n), "sending the same notice again to an accepting receiver failed")
				rs := e.received()
				require.Equal(e, []string{n.ID}, keys(rs), "the receiver must see the notice exactly once")
				checkDelivery(e, rs[0], n)
			},
		},
		{
			name: "ErrorsCarryNoPersonalData",
			rule: "a Send error never contains the recipient's name, e-mail address or phone number, nor the subject or body: the dispatcher logs it and stores it as Notice.LastError",
			run: func(e *env) {
				s := e.sender()
				for i, n := range []coaching.Notice{notice(1), nordicNotice(2)} {
					e.fail(FailTransient)
					checkNoPersonalData(e, e.send(s, e.ctx, n), n, fmt.Sprintf("notice %d, transient refusal", i+1))
					e.fail(FailPermanent)
					checkNoPersonalData(e, e.send(s, e.ctx, n), n, fmt.Sprintf("notice %d, permanent refusal", i+1))
					e.fail(Accept)
					checkNoPersonalData(e, e.send(s, cancelled(e.ctx), n), n, fmt.Sprintf("notice %d, cancelled context", i+1))
				}
				if !e.opts.AddressOptional {
					n := unaddressedNotice(3)
					checkNoPersonalData(e, e.send(s, e.ctx, n), n, "notice without an address")
				}
			},
		},
	}
}

// A cancelled context is the caller giving up (the dispatcher shutting
// down), not the notice being undeliverable, so the error must not be
// permanent. The suite does not require that nothing was delivered: an
// at-least-once sender may have handed the message over before it saw
// the cancellation, and the idempotency key takes care of the duplicate.
func contextCases() []testCase {
	return []testCase{
		{
			name: "Cancelled",
			rule: "Send with a cancelled or expired context returns an error within 2 s that is not coaching.Permanent, and the sender still delivers afterwards",
			run: func(e *env) {
				s := e.sender()
				ctx := cancelled(e.ctx)
				err := within(e, promptly, "Send with a cancelled context", func() error { return s.Send(ctx, notice(1)) })
				require.Error(e, err, "Send with a cancelled context must fail")
				assert.False(e, coaching.IsPermanent(err), "a cancelled context must not make the error permanent, got %q", err)

				dctx, cancel := context.WithDeadline(e.ctx, time.Now().Add(-time.Second))
				defer cancel()
				err = within(e, promptly, "Send with an expired deadline", func() error { return s.Send(dctx, notice(2)) })
				require.Error(e, err, "Send with an expired deadline must fail")
				assert.False(e, coaching.IsPermanent(err), "an expired deadline must not make the error permanent, got %q", err)

				n := notice(3)
				require.NoError(e, e.send(s, e.ctx, n), "Send with a live context after cancelled ones failed")
				assert.Equal(e, 1, count(keys(e.received()), n.ID), "the notice sent after the cancelled ones must arrive exactly once")
			},
		},
	}
}

func concurrencyCases() []testCase {
	return []testCase{
		{
			name: "ParallelSends",
			rule: "Send may be called concurrently: 8 goroutines sending at once all succeed, every notice arrives exactly once and intact, and each goroutine's notices arrive in the order it sent them",
			run: func(e *env) {
				s := e.sender()
				const workers, each = 8, 5
				errs := make([]error, workers*each)
				sent := map[string]coaching.Notice{}
				order := make([][]string, workers)
				for w := range workers {
					for i := range each {
						n := notice(w*each + i + 1)
						sent[n.ID] = n
						order[w] = append(order[w], n.ID)
					}
				}
				var wg sync.WaitGroup
				start := make(chan struct{})
				for w := range workers {
					wg.Go(func() {
						<-start
						for i := range each {
							k := w*each + i
							errs[k] = s.Send(e.ctx, sent[order[w][i]])
						}
					})
				}
				close(start)
				within(e, sendTimeout, "8 goroutines sending 5 notices each", func() error { wg.Wait(); return nil })
				for k, err := range errs {
					assert.NoError(e, err, "concurrent Send of notice %d failed", k+1)
				}
				rs := e.received()
				got := keys(rs)
				for id := range sent {
					assert.Equal(e, 1, count(got, id), "notice %s must arrive exactly once", id)
				}
				assert.Len(e, rs, workers*each, "the receiver must see exactly the %d notices sent", workers*each)
				for _, r := range rs {
					if n, ok := sent[r.IdempotencyKey]; ok {
						checkDelivery(e, r, n)
					}
				}
				for w := range workers {
					var seen []string
					for _, id := range got {
						if slices.Contains(order[w], id) {
							seen = append(seen, id)
						}
					}
					assert.Equal(e, order[w], seen, "goroutine %d sent its notices one after another; they must arrive in that order", w+1)
				}
			},
		},
	}
}

func recipientCases() []testCase {
	return []testCase{
		{
			name: "NoAddress",
			ruleFor: func(o Options) string {
				if o.AddressOptional {
					return "a channel that needs no address (Options.AddressOptional) delivers a notice whose recipient has an empty Contact, to the recipient's id"
				}
				return "a notice whose recipient has no address for the channel (an empty Contact) fails with a coaching.Permanent error and reaches no one; the next notice is delivered"
			},
			run: func(e *env) {
				s := e.sender()
				n := unaddressedNotice(1)
				err := e.send(s, e.ctx, n)
				if e.opts.AddressOptional {
					require.NoError(e, err, "Send to a recipient without contact details failed, though the channel declares AddressOptional")
					rs := e.received()
					require.Len(e, rs, 1, "the receiver must see exactly one delivery")
					checkDelivery(e, rs[0], n)
					return
				}
				require.Error(e, err, "Send to a recipient without an address must fail")
				assert.True(e, coaching.IsPermanent(err), "no address is not worth retrying: the error must be coaching.Permanent, got %q", err)
				assert.Empty(e, keys(e.received()), "a notice without an address must reach no one")

				next := notice(2)
				require.NoError(e, e.send(s, e.ctx, next), "Send of an addressed notice after an unaddressed one failed")
				assert.Equal(e, []string{next.ID}, keys(e.received()), "the addressed notice must arrive")
			},
		},
	}
}

// ---- checks -------------------------------------------------------------

// checkDelivery checks one delivery against the notice sent.
func checkDelivery(e *env, r Received, n coaching.Notice) {
	e.Helper()
	assert.Equal(e, n.ID, r.IdempotencyKey, "the idempotency key must be the notice ID")
	assert.Equal(e, n.Subject, r.Subject, "the subject must arrive intact (notice %s)", n.ID)
	if !sameText(n.Body, r.Body) {
		e.Errorf("the body must arrive intact (notice %s; CRLF read as LF, trailing line breaks ignored)\n\twant: %q\n\tgot:  %q", n.ID, n.Body, r.Body)
	}
	if ids := recipientIDs(n.Recipient); !slices.Contains(ids, r.To) {
		e.Errorf("the delivery went to %q, which is none of the recipient's identifiers %q (notice %s)", r.To, ids, n.ID)
	}
}

// recipientIDs lists what a channel may address the recipient by.
func recipientIDs(r coaching.Recipient) []string {
	var out []string
	for _, s := range []string{r.Contact.Email, r.Contact.Phone, r.ID} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// checkNoPersonalData checks a Send error names no personal data of n.
// The body is checked whole and line by line (lines of 20 bytes or more),
// so an error quoting part of it is caught as well.
func checkNoPersonalData(e *env, err error, n coaching.Notice, what string) {
	e.Helper()
	if err == nil {
		e.Errorf("%s: Send must fail", what)
		return
	}
	msg := strings.ToLower(err.Error())
	check := func(field, v string) {
		if v != "" && strings.Contains(msg, strings.ToLower(v)) {
			e.Errorf("%s: the error contains the %s %q:\n\t%s", what, field, v, err)
		}
	}
	r := n.Recipient
	check("recipient's name", r.Name)
	check("recipient's e-mail address", r.Contact.Email)
	check("recipient's phone number", r.Contact.Phone)
	check("subject", n.Subject)
	check("body", normText(n.Body))
	for line := range strings.SplitSeq(n.Body, "\n") {
		if len(line) >= 20 {
			check("body line", line)
		}
	}
}

// ---- helpers ------------------------------------------------------------

// cancelled returns a context that is already cancelled.
func cancelled(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	cancel()
	return ctx
}

func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// excerpt shows the start of raw bytes in a failure message.
func excerpt(raw []byte) string {
	const limit = 2000
	if len(raw) > limit {
		return string(raw[:limit]) + "…"
	}
	return string(raw)
}
