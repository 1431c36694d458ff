package coaching

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sender delivers one notice through a channel (e-mail, webhook, SMS, an
// in-app inbox). Send must pass n.ID on as the message's idempotency key
// (SMTP Message-ID, webhook webhook-id), because delivery is
// at-least-once: a crash between sending and recording the result sends the
// same notice again. Return an error wrapped with [Permanent] when retrying
// cannot help (a rejected address, an HTTP 4xx or SMTP 5xx answer); a cancelled context is
// never permanent. An error may implement RetryAfter() time.Duration to ask
// for a later retry (an HTTP Retry-After). The error text is logged and
// stored as the notice's LastError, so it must not contain personal data
// (addresses, names, the message). Send may be called concurrently.
type Sender interface {
	Send(ctx context.Context, n Notice) error
}

// SenderFunc adapts a function to [Sender].
type SenderFunc func(ctx context.Context, n Notice) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, n Notice) error { return f(ctx, n) }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks a send error as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked with [Permanent].
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type misconfiguredError struct{ err error }

func (e *misconfiguredError) Error() string { return "channel misconfigured: " + e.err.Error() }
func (e *misconfiguredError) Unwrap() error { return e.err }

// Misconfigured marks a send error as the channel's fault, not the
// notice's: the server refused the sender's credentials, its TLS
// certificate does not verify, the endpoint does not exist. Retrying other
// notices cannot help and killing them would lose them, so the dispatcher
// pauses the channel ([DispatcherOptions.Pause]): the notice goes back to
// the outbox without the attempt counting against it, the rest of the
// round is released unsent, and nothing more is claimed until the pause
// ends, when the next send tries the channel again.
func Misconfigured(err error) error {
	if err == nil {
		return nil
	}
	return &misconfiguredError{err: err}
}

// IsMisconfigured reports whether err was marked with [Misconfigured].
func IsMisconfigured(err error) bool {
	var m *misconfiguredError
	return errors.As(err, &m)
}

// ErrChannelPaused is matched (errors.Is) by a [*ChannelPausedError].
var ErrChannelPaused = errors.New("valmennus: the channel is paused")

// ChannelPausedError is what [Dispatcher.RunOnce] returns while its
// channel is paused after a [Misconfigured] send error.
type ChannelPausedError struct {
	Channel string
	// Until is when the pause ends.
	Until time.Time
	// Cause is the text of the send error that paused the channel, with
	// the failing notice's id taken out (a Sender's errors hold no
	// addresses or message text, but name the notice, whose id holds case
	// and recipient ids).
	Cause string
}

func (e *ChannelPausedError) Error() string {
	name := e.Channel
	if name == "" {
		name = "the channel"
	}
	return fmt.Sprintf("valmennus: %s is paused until %s: %s", name, e.Until.Format(time.RFC3339), e.Cause)
}

// Is matches [ErrChannelPaused].
func (e *ChannelPausedError) Is(target error) bool { return target == ErrChannelPaused }

// pausedError is the LastError of a notice put back unsent because its
// channel is paused: the pause's end only, not its cause, which another
// notice's send met.
func pausedError(p *ChannelPausedError) string {
	return "channel paused until " + p.Until.Format(time.RFC3339)
}

// withoutNoticeID returns a send error's text with the notice's id taken
// out (a Sender's errors name the notice, and notice ids hold case and
// recipient ids), so that it can describe the channel's fault to others:
// the log, OnPause, a readiness check.
func withoutNoticeID(msg, id string) string {
	if id == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, strconv.Quote(id), "<notice>")
	return strings.ReplaceAll(msg, id, "<notice>")
}

// DispatcherOptions configure a [Dispatcher].
type DispatcherOptions struct {
	// Clock tells the time. Defaults to [SystemClock].
	Clock Clock
	// Logger receives delivery logs (ids and kinds only). Defaults to discard.
	Logger *slog.Logger
	// BatchSize is how many notices one round claims. Defaults to 50.
	BatchSize int
	// Lease is how long a claim holds before another dispatcher may take
	// the notice over. Defaults to 2 minutes. A round is claimed while the
	// round before it is being sent, so keep Lease above the time two
	// rounds of sends take (about 2 × BatchSize / Concurrency times the
	// slowest Send). A notice whose lease has run out before its send
	// started is not sent (it is released instead).
	Lease time.Duration
	// MaxAttempts is how many tries a notice gets before it is marked dead.
	// Defaults to 10.
	MaxAttempts int
	// BaseBackoff is the wait after the first failure. After the n-th
	// failure the wait is drawn uniformly from [BaseBackoff, BaseBackoff ×
	// 2^(n-1)] (capped at MaxBackoff): exponential backoff with full
	// jitter above the base, so that the notices of a digest that failed
	// together do not all come back at the same instant and meet the
	// recovering server together again. Defaults to 30 seconds.
	BaseBackoff time.Duration
	// MaxBackoff caps the wait between tries. Defaults to 1 hour.
	MaxBackoff time.Duration
	// Concurrency is how many Sends one dispatcher runs at once. Defaults
	// to [DefaultDispatchConcurrency]; 1 sends one notice at a time, in
	// claim order. The bound is per channel: a dispatcher has one [Sender],
	// the channel it delivers through, and never has more than Concurrency
	// calls of it in flight. Every dispatcher has its own bound, so an
	// endpoint shared by n dispatchers (processes) sees up to
	// n × Concurrency requests at once; a host with several channels runs a
	// dispatcher per channel and sizes each for its endpoint. Within one
	// round, notices start in claim order (oldest first) but may finish in
	// any order, so a Sender must not rely on the order of delivery (it
	// never could: a retry overtakes nothing).
	Concurrency int
	// Interval is how often [Dispatcher.Run] polls. Defaults to 5 seconds.
	Interval time.Duration
	// OnDead is called once for every notice that becomes undeliverable,
	// so the host can alert someone. Optional.
	OnDead func(ctx context.Context, n Notice)
	// Pause is how long the channel is paused after a send failed with a
	// [Misconfigured] error. Defaults to 5 minutes.
	Pause time.Duration
	// OnPause is called once each time the channel is paused, so that the
	// host can alert whoever configures it. Optional.
	OnPause func(ctx context.Context, p *ChannelPausedError)
	// Observer receives the outcome of every send (sent, retried, dead,
	// by notice kind and Channel, with the delivery latency of a sent
	// one) and a CycleEvent per RunOnce. Optional: nil costs nothing.
	Observer Observer
	// Channel names the channel this dispatcher delivers through (e.g.
	// "email", "webhook") in the Observer's events: a fixed name, never an
	// address. At most 64 printable ASCII characters; may be empty.
	Channel string

	// Test holds settings for tests.
	Test struct {
		// Jitter returns the uniform draws, in [0, 1], that place each
		// wait within its backoff range (0 its bottom, 1 its top).
		// Defaults to math/rand/v2's Float64. A test gives a seeded
		// source for a repeatable schedule, or 1 for the exponential
		// schedule exactly. The dispatcher never calls it from two
		// sends at once, so a source that is not safe for concurrent
		// use will do.
		Jitter func() float64
	}
}

// DefaultDispatchConcurrency is the default of
// [DispatcherOptions.Concurrency].
const DefaultDispatchConcurrency = 8

// Dispatcher drains the outbox: it claims due notices, sends them, and
// records each outcome, retrying failures with exponential backoff up to a
// cap and marking a notice dead after MaxAttempts tries. Several dispatchers
// (goroutines or processes) may share one outbox.
//
// A round claims up to BatchSize notices in one call, sends them with up to
// Concurrency Sends at once, and records every outcome of the round in one
// call when the outbox is a [NoticeCompleter] (one CompleteNotice per
// notice otherwise). Rounds overlap: the next round is claimed while one is
// being sent, and the outcomes of the one before are recorded meanwhile
// (see [Dispatcher.RunOnce]). The lease rules are the outbox's: each notice
// is sent at most once per claim, never after its lease ran out, and only
// after its lease expires (a dispatcher that crashed or stalled) may another
// dispatcher claim it and send it again; the stale dispatcher's outcome is
// then refused with a *ConflictError and logged as a lost lease.
type Dispatcher struct {
	outbox    Outbox
	completer NoticeCompleter // nil when the outbox cannot complete in batches
	sender    Sender
	o         DispatcherOptions

	pause atomic.Pointer[ChannelPausedError] // the latest pause; never modified once stored

	jitterMu sync.Mutex // Test.Jitter is called by one send at a time
}

// Paused returns the channel's pause when one holds now (the dispatcher's
// Clock), or nil. A host's readiness check may use it.
func (d *Dispatcher) Paused() *ChannelPausedError {
	return d.pausedAt(d.o.Clock.Now())
}

func (d *Dispatcher) pausedAt(at time.Time) *ChannelPausedError {
	if p := d.pause.Load(); p != nil && at.Before(p.Until) {
		c := *p
		return &c
	}
	return nil
}

// pausing pauses the channel from at because of n's send error, unless a
// pause already holds. It returns the pause that holds, and whether it is
// new.
func (d *Dispatcher) pausing(at time.Time, n Notice, sendErr error) (*ChannelPausedError, bool) {
	next := &ChannelPausedError{Channel: d.o.Channel, Until: at.Add(d.o.Pause), Cause: withoutNoticeID(sendErr.Error(), n.ID)}
	for {
		cur := d.pause.Load()
		if cur != nil && at.Before(cur.Until) {
			return cur, false
		}
		if d.pause.CompareAndSwap(cur, next) {
			return next, true
		}
	}
}

// NewDispatcher returns a dispatcher from outbox to sender.
func NewDispatcher(outbox Outbox, sender Sender, opts *DispatcherOptions) (*Dispatcher, error) {
	if outbox == nil || sender == nil {
		return nil, errors.New("valmennus: NewDispatcher: outbox and sender are required")
	}
	o := DispatcherOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Test.Jitter == nil {
		o.Test.Jitter = rand.Float64
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 50
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 30 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Hour
	}
	if o.MaxBackoff < o.BaseBackoff {
		return nil, fmt.Errorf("valmennus: NewDispatcher: MaxBackoff %s is below BaseBackoff %s", o.MaxBackoff, o.BaseBackoff)
	}
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.Pause <= 0 {
		o.Pause = 5 * time.Minute
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultDispatchConcurrency
	}
	if len(o.Channel) > MaxChannelBytes || !printableASCII(o.Channel) {
		return nil, fmt.Errorf("valmennus: NewDispatcher: Channel %q is not a name of at most 64 printable ASCII characters", o.Channel)
	}
	d := &Dispatcher{outbox: outbox, sender: sender, o: o}
	d.completer, _ = outbox.(NoticeCompleter)
	return d, nil
}

// DispatchReport counts what one round did.
type DispatchReport struct {
	Claimed int
	Sent    int
	Retried int
	Dead    int
	// Paused counts the notices put back unsent, their attempts refunded,
	// because the channel was or became paused (see [Misconfigured]).
	Paused int
}

// Add adds another report's counts.
func (r *DispatchReport) Add(o DispatchReport) {
	r.Claimed += o.Claimed
	r.Sent += o.Sent
	r.Retried += o.Retried
	r.Dead += o.Dead
	r.Paused += o.Paused
}

// RunOnce claims and handles due notices until none is left due, and
// returns what it did.
//
// It works in rounds of up to BatchSize notices, as a pipeline of three
// stages that overlap: while one round is being sent, the next is claimed
// (at most one round ahead) and the previous one's outcomes are recorded.
// Claiming stops after a round that claims fewer than BatchSize notices,
// after an error, or when ctx is done; a round claimed before ctx was done
// is not sent but released (see sendAll).
func (d *Dispatcher) RunOnce(ctx context.Context) (DispatchReport, error) {
	obs := d.o.Observer
	if obs == nil {
		return d.runOnce(ctx)
	}
	start := time.Now()
	call := Call{Name: CallDispatch, Channel: d.o.Channel}
	ctx = obs.Begin(ctx, call)
	rep, err := d.runOnce(ctx)
	outcome := OutcomeOf(err)
	obs.Cycle(ctx, CycleEvent{Kind: CallDispatch, Channel: d.o.Channel, Items: rep.Claimed, Outcome: outcome, Start: start, Duration: time.Since(start)})
	obs.End(ctx, call, outcome)
	return rep, err
}

// sendResult is one claimed notice's outcome; paused is set when it was
// put back because the channel was or became paused.
type sendResult struct {
	NoticeResult
	paused bool
}

// runOnce is RunOnce, unobserved.
func (d *Dispatcher) runOnce(ctx context.Context) (DispatchReport, error) {
	if p := d.Paused(); p != nil {
		return DispatchReport{}, p
	}
	var (
		total    DispatchReport
		claimErr error
		doneErr  error
		failed   atomic.Bool // a round's outcomes could not be recorded
	)
	// Unbuffered: the claimer claims round k+1 while round k is sent and
	// hands it over only when round k has been sent, so a claim waits at
	// most one round before its sends start.
	claims := make(chan []Notice)
	go func() {
		defer close(claims)
		for ctx.Err() == nil && !failed.Load() {
			now := d.o.Clock.Now()
			if d.pausedAt(now) != nil {
				return
			}
			claimed, err := d.outbox.ClaimNotices(ctx, ClaimParams{Now: now, Limit: d.o.BatchSize, Lease: d.o.Lease})
			if err != nil {
				claimErr = err
				return
			}
			if len(claimed) > 0 {
				claims <- claimed
			}
			if len(claimed) < d.o.BatchSize {
				return
			}
		}
	}()
	type sentRound struct {
		claimed []Notice
		results []sendResult
	}
	sent := make(chan sentRound, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for r := range sent {
			rep, err := d.finish(ctx, r.claimed, r.results)
			total.Add(rep)
			if err != nil {
				failed.Store(true)
				doneErr = errors.Join(doneErr, err)
			}
		}
	}()
	skipped := 0 // claimed after recording failed, and left to their leases
	for claimed := range claims {
		if failed.Load() {
			// Recording outcomes fails: sending more would only send
			// notices again once their leases expire.
			skipped += len(claimed)
			continue
		}
		results := make([]sendResult, len(claimed))
		d.sendAll(ctx, claimed, results)
		sent <- sentRound{claimed, results}
	}
	close(sent)
	<-finished
	total.Claimed += skipped
	if err := errors.Join(claimErr, doneErr); err != nil {
		return total, err
	}
	if err := ctx.Err(); err != nil {
		return total, err
	}
	if total.Paused > 0 {
		if p := d.pause.Load(); p != nil {
			c := *p
			return total, &c
		}
	}
	return total, nil
}

// finish records the outcomes of one round and reports them.
func (d *Dispatcher) finish(ctx context.Context, claimed []Notice, results []sendResult) (DispatchReport, error) {
	rep := DispatchReport{Claimed: len(claimed)}
	cs := make([]NoticeCompletion, len(claimed))
	for i, n := range claimed {
		results[i].Channel = d.o.Channel
		cs[i] = NoticeCompletion{ID: n.ID, Attempt: n.Attempts, Result: results[i].NoticeResult}
		switch {
		case results[i].Status == NoticeSent:
			rep.Sent++
		case results[i].Status == NoticeDead:
			rep.Dead++
		case results[i].paused:
			rep.Paused++
		default:
			rep.Retried++
		}
	}
	// The outcomes are recorded even if ctx was cancelled meanwhile: the
	// sends already happened.
	errs, err := d.complete(context.WithoutCancel(ctx), cs)
	if err != nil {
		return rep, err
	}
	var failed []error
	for i, n := range claimed {
		switch cerr := errs[i]; {
		case cerr == nil:
		case errors.Is(cerr, ErrConflict):
			// Our lease expired and another dispatcher took the notice.
			d.o.Logger.LogAttrs(ctx, slog.LevelWarn, "notice lease lost", slog.Any("notice", n))
			continue
		case errors.Is(cerr, ErrNotFound):
			// The notice was removed meanwhile (its case was erased).
			d.o.Logger.LogAttrs(ctx, slog.LevelWarn, "notice removed while it was sent", slog.Any("notice", n))
			continue
		default:
			failed = append(failed, cerr)
			continue
		}
		if obs := d.o.Observer; obs != nil {
			d.observe(ctx, obs, n, results[i])
		}
		if res := results[i]; res.Status == NoticeDead {
			d.o.Logger.LogAttrs(ctx, slog.LevelError, "notice undeliverable", slog.Any("notice", n), slog.String("error", res.Error))
			if d.o.OnDead != nil {
				n.Status, n.LastError, n.Channel = NoticeDead, res.Error, d.o.Channel
				d.o.OnDead(ctx, n)
			}
		}
	}
	return rep, errors.Join(failed...)
}

// observe reports the recorded outcome of n's send.
func (d *Dispatcher) observe(ctx context.Context, obs Observer, n Notice, res sendResult) {
	ev := NoticeEvent{Kind: n.Kind, Channel: d.o.Channel, Outcome: NoticeRetried}
	switch {
	case res.Status == NoticeSent:
		ev.Outcome = NoticeSentOK
		if !n.CreatedAt.IsZero() && res.At.After(n.CreatedAt) {
			ev.Latency = res.At.Sub(n.CreatedAt)
		}
	case res.Status == NoticeDead:
		ev.Outcome = NoticeDeadEnd
	case res.paused:
		ev.Outcome = NoticePaused
	}
	obs.Notice(ctx, ev)
}

// sendAll sends the claimed notices, at most Concurrency at once, starting
// them in claim order, and writes each outcome to results. A notice is not
// sent once ctx is done, once its lease has run out before its turn came,
// or once the channel is paused: it is released (pending again) and the
// claim does not count against it.
func (d *Dispatcher) sendAll(ctx context.Context, claimed []Notice, results []sendResult) {
	workers := min(d.o.Concurrency, len(claimed))
	if workers <= 1 {
		for i := range claimed {
			results[i] = d.sendOne(ctx, claimed[i])
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(claimed) {
					return
				}
				results[i] = d.sendOne(ctx, claimed[i])
			}
		})
	}
	wg.Wait()
}

// sendOne sends n unless ctx is done and returns the result to record.
func (d *Dispatcher) sendOne(ctx context.Context, n Notice) sendResult {
	at := d.o.Clock.Now()
	if err := ctx.Err(); err != nil {
		return sendResult{NoticeResult: NoticeResult{Status: NoticePending, At: at, RetryAt: at, Error: "interrupted: " + err.Error(), Refund: true}}
	}
	if !n.LeaseUntil.IsZero() && !at.Before(n.LeaseUntil) {
		// The claim ran out while the notice waited for its turn: another
		// dispatcher may hold it now, so it is not sent under this one.
		return sendResult{NoticeResult: NoticeResult{Status: NoticePending, At: at, RetryAt: at, Error: "lease expired before the send", Refund: true}}
	}
	if p := d.pausedAt(at); p != nil {
		return sendResult{NoticeResult: NoticeResult{Status: NoticePending, At: at, RetryAt: p.Until, Error: pausedError(p), Refund: true}, paused: true}
	}
	var sendErr error
	if obs := d.o.Observer; obs != nil {
		call := Call{Name: CallSend, Trace: n.Trace, Kind: n.Kind, Channel: d.o.Channel}
		sctx := obs.Begin(ctx, call)
		sendErr = d.sender.Send(sctx, n)
		outcome := OutcomeOf(sendErr)
		if IsMisconfigured(sendErr) {
			outcome = OutcomePaused
		}
		obs.End(sctx, call, outcome)
	} else {
		sendErr = d.sender.Send(ctx, n)
	}
	at = d.o.Clock.Now()
	switch {
	case sendErr == nil:
		return sendResult{NoticeResult: NoticeResult{Status: NoticeSent, At: at}}
	case ctx.Err() != nil:
		// Shutting down: the attempt does not count against the notice.
		return sendResult{NoticeResult: NoticeResult{Status: NoticePending, At: at, RetryAt: at, Error: "interrupted: " + ctx.Err().Error(), Refund: true}}
	case IsMisconfigured(sendErr):
		p, fresh := d.pausing(at, n, sendErr)
		if fresh {
			d.o.Logger.LogAttrs(ctx, slog.LevelError, "channel paused", slog.String("channel", d.o.Channel),
				slog.Time("until", p.Until), slog.String("error", p.Cause))
			if d.o.OnPause != nil {
				c := *p
				d.o.OnPause(ctx, &c)
			}
		}
		return sendResult{NoticeResult: NoticeResult{Status: NoticePending, At: at, RetryAt: p.Until, Error: sendErr.Error(), Refund: true}, paused: true}
	case IsPermanent(sendErr) || n.Attempts >= d.o.MaxAttempts:
		return sendResult{NoticeResult: NoticeResult{Status: NoticeDead, At: at, Error: sendErr.Error()}}
	default:
		wait := d.backoff(n.Attempts)
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(sendErr, &ra) && ra.RetryAfter() > wait && ra.RetryAfter() <= d.o.MaxBackoff {
			wait = ra.RetryAfter()
		}
		return sendResult{NoticeResult: NoticeResult{Status: NoticePending, At: at, RetryAt: at.Add(wait), Error: sendErr.Error()}}
	}
}

// complete records the outcomes of a round: in one call when the outbox is
// a [NoticeCompleter], else one CompleteNotice each.
func (d *Dispatcher) complete(ctx context.Context, cs []NoticeCompletion) ([]error, error) {
	if d.completer != nil {
		errs, err := d.completer.CompleteNotices(ctx, cs)
		if err == nil && len(errs) != len(cs) {
			err = fmt.Errorf("valmennus: CompleteNotices returned %d results for %d completions", len(errs), len(cs))
		}
		return errs, err
	}
	errs := make([]error, len(cs))
	for i, c := range cs {
		errs[i] = d.outbox.CompleteNotice(ctx, c.ID, c.Attempt, c.Result)
	}
	return errs, nil
}

// backoff returns the wait after the attempt-th failure: uniform in
// [BaseBackoff, min(MaxBackoff, BaseBackoff × 2^(attempt-1))].
func (d *Dispatcher) backoff(attempt int) time.Duration {
	base, ceiling := d.o.BaseBackoff, d.o.BaseBackoff
	for i := 1; i < attempt && ceiling < d.o.MaxBackoff; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, d.o.MaxBackoff)
	d.jitterMu.Lock()
	u := d.o.Test.Jitter()
	d.jitterMu.Unlock()
	return base + time.Duration(u*float64(ceiling-base))
}

// Run dispatches every Interval until ctx is done, then returns nil. Errors
// of a round are logged and the next round tries again.
func (d *Dispatcher) Run(ctx context.Context) error {
	t := time.NewTicker(d.o.Interval)
	defer t.Stop()
	for {
		// A paused channel was logged (and OnPause called) when the pause
		// began; the rounds it skips are not logged again.
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, ErrChannelPaused) {
			d.o.Logger.LogAttrs(ctx, slog.LevelWarn, "dispatch round failed", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
