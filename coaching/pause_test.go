package coaching_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// A misconfigured channel (the SMTP server refuses the sender's password)
// is paused: the notice that met it and the rest of its round go back to
// the outbox with their attempts refunded, nothing is claimed or sent
// until the pause ends, the host hears of it once, and after the pause the
// next send tries the channel again and delivers everything. No notice
// dies of it, however long the fault lasts.
func TestDispatcherPausesAMisconfiguredChannel(t *testing.T) {
	store := memory.New()
	clock := ct.NewClock(ct.DefaultStart)
	sender := &ct.Sender{}
	obs := &ct.Observer{}
	var pauses []*coaching.ChannelPausedError
	d, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{
		Clock: clock, Channel: "email", Concurrency: 1, MaxAttempts: 2, Pause: 10 * time.Minute, Observer: obs,
		OnPause: func(_ context.Context, p *coaching.ChannelPausedError) { pauses = append(pauses, p) },
	})
	require.NoError(t, err)
	enqueue(t, store, "n1", "n2", "n3")
	ctx := context.Background()
	assert.Nil(t, d.Paused())

	sender.FailWith(coaching.Misconfigured(errors.New("auth: server replied 535 5.7.8")))
	start := clock.Now()
	rep, err := d.RunOnce(ctx)
	var pe *coaching.ChannelPausedError
	require.ErrorAs(t, err, &pe, "the round that paused the channel says so")
	assert.ErrorIs(t, err, coaching.ErrChannelPaused)
	assert.Equal(t, "email", pe.Channel)
	assert.Equal(t, start.Add(10*time.Minute), pe.Until)
	assert.Contains(t, pe.Cause, "535")
	assert.Equal(t, coaching.DispatchReport{Claimed: 3, Paused: 3}, rep)
	assert.Equal(t, 1, sender.Calls(), "the first failure pauses the channel: the rest of the round is not sent")
	require.Len(t, pauses, 1)
	require.NotNil(t, d.Paused())

	for _, id := range []string{"n1", "n2", "n3"} {
		n, err := store.Notice(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, coaching.NoticePending, n.Status, id)
		assert.Equal(t, 0, n.Attempts, "%s: a paused channel's claim does not count against the notice", id)
		assert.Equal(t, pe.Until, n.NotBefore, "%s waits for the end of the pause", id)
		assert.Equal(t, "email", n.Channel, id)
	}

	// During the pause nothing is claimed; the rounds say the channel is
	// paused, and the host is not told again.
	clock.Advance(5 * time.Minute)
	rep, err = d.RunOnce(ctx)
	assert.ErrorIs(t, err, coaching.ErrChannelPaused)
	assert.Zero(t, rep)
	assert.Equal(t, 1, sender.Calls())
	assert.Len(t, pauses, 1)

	// The pause ends with the server still refusing: paused again, and
	// still no notice dies although MaxAttempts is 2.
	clock.Advance(5 * time.Minute)
	assert.Nil(t, d.Paused())
	_, err = d.RunOnce(ctx)
	assert.ErrorIs(t, err, coaching.ErrChannelPaused)
	assert.Equal(t, 2, sender.Calls())
	assert.Len(t, pauses, 2, "a new pause is announced")
	clock.Advance(10 * time.Minute)
	_, err = d.RunOnce(ctx)
	assert.ErrorIs(t, err, coaching.ErrChannelPaused)
	assert.Equal(t, 3, sender.Calls(), "each pause's end is tried with one send")
	assert.Len(t, pauses, 3)
	dead, err := store.Notices(ctx, coaching.NoticeQuery{Status: coaching.NoticeDead})
	require.NoError(t, err)
	assert.Empty(t, dead)

	// Fixed: after the pause everything goes out.
	sender.FailWith(nil)
	clock.Advance(10 * time.Minute)
	rep, err = d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Sent)
	assert.Len(t, sender.Sent(), 3)
	for _, id := range []string{"n1", "n2", "n3"} {
		n, err := store.Notice(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, 1, n.Attempts, "%s: only the successful send counts", id)
		assert.Equal(t, start, n.DueAt, "%s: the pause moved NotBefore, not DueAt", id)
	}

	assert.Equal(t, 3, obs.NoticeCount("", coaching.NoticeSentOK))
	assert.Equal(t, 3*3, obs.NoticeCount("", coaching.NoticePaused), "the notices of each round that paused are counted paused")
	assert.Zero(t, obs.NoticeCount("", coaching.NoticeDeadEnd))
	var pausedCycles int
	for _, c := range obs.Cycles() {
		if c.Outcome == coaching.OutcomePaused {
			pausedCycles++
		}
	}
	assert.Equal(t, 4, pausedCycles)
	assert.Empty(t, obs.Unended(), "every dispatch and send that began ended")
	assert.Equal(t, 3+3, obs.BeginCount(coaching.CallSend), "a send span only for a notice actually sent")
}

// Permanent and misconfigured are different classes: a permanent error
// kills the one notice, a transient one retries it, and neither pauses.
func TestDispatcherErrorClasses(t *testing.T) {
	assert.False(t, coaching.IsMisconfigured(coaching.Permanent(errors.New("550 no such user"))))
	assert.False(t, coaching.IsPermanent(coaching.Misconfigured(errors.New("535 auth failed"))))
	assert.Nil(t, coaching.Misconfigured(nil))
	inner := errors.New("x509: certificate signed by unknown authority")
	assert.ErrorIs(t, coaching.Misconfigured(inner), inner, "the cause stays reachable")
	assert.Equal(t, coaching.OutcomePaused, coaching.OutcomeOf(&coaching.ChannelPausedError{Until: time.Now(), Cause: "x"}))

	store := memory.New()
	clock := ct.NewClock(ct.DefaultStart)
	sender := &ct.Sender{}
	d, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{Clock: clock, Concurrency: 1})
	require.NoError(t, err)
	enqueue(t, store, "p1")
	sender.FailWith(coaching.Permanent(errors.New("550 no such user")))
	rep, err := d.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Dead)
	assert.Nil(t, d.Paused())
}

// A dispatcher that is stopped mid-round releases the unsent notices and
// refunds their claims: shutting down never uses up a notice's attempts.
func TestDispatcherReleaseRefundsTheClaim(t *testing.T) {
	store := memory.New()
	clock := ct.NewClock(ct.DefaultStart)
	ctx, cancel := context.WithCancel(context.Background())
	sender := coaching.SenderFunc(func(context.Context, coaching.Notice) error {
		cancel()
		return nil
	})
	d, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{Clock: clock, Concurrency: 1})
	require.NoError(t, err)
	enqueue(t, store, "r1", "r2", "r3")
	_, err = d.RunOnce(ctx)
	require.ErrorIs(t, err, context.Canceled)
	sent, released := 0, 0
	for _, id := range []string{"r1", "r2", "r3"} {
		n, err := store.Notice(context.Background(), id)
		require.NoError(t, err)
		switch n.Status {
		case coaching.NoticeSent:
			sent++
			assert.Equal(t, 1, n.Attempts)
		case coaching.NoticePending:
			released++
			assert.Equal(t, 0, n.Attempts, "%s was released unsent: its claim is refunded", id)
		default:
			t.Fatalf("%s is %s", id, n.Status)
		}
	}
	assert.Equal(t, 1, sent)
	assert.Equal(t, 2, released)
}

// The pause's cause names the channel's fault, never the notice that met
// it (notice ids hold case and guardian ids): not in the error RunOnce
// returns, not in OnPause, and not in the LastError of the other
// notices the pause put back.
func TestChannelPauseCauseNamesNoNotice(t *testing.T) {
	store := memory.New()
	clock := ct.NewClock(ct.DefaultStart)
	const first = "absence:case-a:2026-09-07:guardian-a"
	sender := coaching.SenderFunc(func(_ context.Context, n coaching.Notice) error {
		return coaching.Misconfigured(fmt.Errorf("smtp: notice %q: mail: server replied 553 5.7.1 (notice %s)", n.ID, n.ID))
	})
	var told string
	d, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{Clock: clock, Concurrency: 1,
		OnPause: func(_ context.Context, p *coaching.ChannelPausedError) { told = p.Error() }})
	require.NoError(t, err)
	enqueue(t, store, first, "absence:case-b:2026-09-07:guardian-b")
	_, err = d.RunOnce(context.Background())
	require.ErrorIs(t, err, coaching.ErrChannelPaused)
	for _, text := range []string{err.Error(), told} {
		assert.Contains(t, text, "553")
		assert.NotContains(t, text, "case-a")
		assert.NotContains(t, text, "guardian-a")
	}
	other, err := store.Notice(context.Background(), "absence:case-b:2026-09-07:guardian-b")
	require.NoError(t, err)
	assert.Equal(t, coaching.NoticePending, other.Status)
	assert.NotContains(t, other.LastError, "case-a", "another family's notice id never reaches this notice")
	assert.Contains(t, other.LastError, "channel paused until")
	failed, err := store.Notice(context.Background(), first)
	require.NoError(t, err)
	assert.Contains(t, failed.LastError, "553", "the notice that met the fault keeps its own error")
}
