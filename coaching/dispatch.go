package coaching

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Sender delivers one notice through a channel (e-mail, webhook, SMS, an
// in-app inbox). Send must pass n.ID on as the message's idempotency key
// (SMTP Message-ID, webhook Idempotency-Key), because delivery is
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

// DispatcherOptions configure a [Dispatcher].
type DispatcherOptions struct {
	// Clock tells the time. Defaults to [SystemClock].
	Clock Clock
	// Logger receives delivery logs (ids and kinds only). Defaults to discard.
	Logger *slog.Logger
	// BatchSize is how many notices one round claims. Defaults to 50.
	BatchSize int
	// Lease is how long a claim holds before another dispatcher may take
	// the notice over. Defaults to 2 minutes; keep it above the slowest
	// Send.
	Lease time.Duration
	// MaxAttempts is how many tries a notice gets before it is marked dead.
	// Defaults to 10.
	MaxAttempts int
	// BaseBackoff is the wait after the first failure; each further failure
	// doubles it. Defaults to 30 seconds.
	BaseBackoff time.Duration
	// MaxBackoff caps the wait between tries. Defaults to 1 hour.
	MaxBackoff time.Duration
	// Interval is how often [Dispatcher.Run] polls. Defaults to 5 seconds.
	Interval time.Duration
	// OnDead is called once for every notice that becomes undeliverable,
	// so the host can alert someone. Optional.
	OnDead func(ctx context.Context, n Notice)
}

// Dispatcher drains the outbox: it claims due notices, sends them, and
// records each outcome, retrying failures with exponential backoff up to a
// cap and marking a notice dead after MaxAttempts tries. Several dispatchers
// (goroutines or processes) may share one outbox.
type Dispatcher struct {
	outbox Outbox
	sender Sender
	o      DispatcherOptions
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
	return &Dispatcher{outbox: outbox, sender: sender, o: o}, nil
}

// DispatchReport counts what one round did.
type DispatchReport struct {
	Claimed int
	Sent    int
	Retried int
	Dead    int
}

// Add adds another report's counts.
func (r *DispatchReport) Add(o DispatchReport) {
	r.Claimed += o.Claimed
	r.Sent += o.Sent
	r.Retried += o.Retried
	r.Dead += o.Dead
}

// RunOnce claims and handles due notices until none is left due, and
// returns what it did.
func (d *Dispatcher) RunOnce(ctx context.Context) (DispatchReport, error) {
	var total DispatchReport
	for {
		rep, err := d.round(ctx)
		total.Add(rep)
		if err != nil || rep.Claimed < d.o.BatchSize {
			return total, err
		}
	}
}

func (d *Dispatcher) round(ctx context.Context) (DispatchReport, error) {
	var rep DispatchReport
	now := d.o.Clock.Now()
	claimed, err := d.outbox.ClaimNotices(ctx, ClaimParams{Now: now, Limit: d.o.BatchSize, Lease: d.o.Lease})
	if err != nil {
		return rep, err
	}
	rep.Claimed = len(claimed)
	for _, n := range claimed {
		sendErr := d.sender.Send(ctx, n)
		at := d.o.Clock.Now()
		res := NoticeResult{Status: NoticeSent, At: at}
		switch {
		case sendErr == nil:
			rep.Sent++
		case ctx.Err() != nil:
			// Shutting down: the attempt does not count against the notice.
			res = NoticeResult{Status: NoticePending, At: at, RetryAt: at, Error: "interrupted: " + ctx.Err().Error()}
			rep.Retried++
		case IsPermanent(sendErr) || n.Attempts >= d.o.MaxAttempts:
			res = NoticeResult{Status: NoticeDead, At: at, Error: sendErr.Error()}
			rep.Dead++
		default:
			wait := d.backoff(n.Attempts)
			var ra interface{ RetryAfter() time.Duration }
			if errors.As(sendErr, &ra) && ra.RetryAfter() > wait && ra.RetryAfter() <= d.o.MaxBackoff {
				wait = ra.RetryAfter()
			}
			res = NoticeResult{Status: NoticePending, At: at, RetryAt: at.Add(wait), Error: sendErr.Error()}
			rep.Retried++
		}
		// The outcome is recorded even if ctx was cancelled meanwhile: the
		// send already happened.
		if err := d.outbox.CompleteNotice(context.WithoutCancel(ctx), n.ID, n.Attempts, res); err != nil {
			if errors.Is(err, ErrConflict) {
				// Our lease expired and another dispatcher took the notice.
				d.o.Logger.LogAttrs(ctx, slog.LevelWarn, "notice lease lost", slog.Any("notice", n))
				continue
			}
			return rep, err
		}
		if res.Status == NoticeDead {
			d.o.Logger.LogAttrs(ctx, slog.LevelError, "notice undeliverable", slog.Any("notice", n), slog.String("error", res.Error))
			if d.o.OnDead != nil {
				n.Status, n.LastError = NoticeDead, res.Error
				d.o.OnDead(ctx, n)
			}
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// backoff returns the wait after the attempt-th failure.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	w := d.o.BaseBackoff
	for i := 1; i < attempt; i++ {
		w *= 2
		if w >= d.o.MaxBackoff {
			return d.o.MaxBackoff
		}
	}
	return w
}

// Run dispatches every Interval until ctx is done, then returns nil. Errors
// of a round are logged and the next round tries again.
func (d *Dispatcher) Run(ctx context.Context) error {
	t := time.NewTicker(d.o.Interval)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.o.Logger.LogAttrs(ctx, slog.LevelWarn, "dispatch round failed", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
