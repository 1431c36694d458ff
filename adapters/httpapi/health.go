package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Check is one readiness check of GET /readyz (see [Options].Ready).
type Check struct {
	// Name names the check in /readyz's answer, e.g. "store",
	// "dispatcher". Required, unique among the checks.
	Name string
	// Func returns nil when the part it checks is ready. Its error is
	// logged (at Warn, with the request id), never answered: it may name
	// a host or a database. Func must return once ctx is done.
	Func func(ctx context.Context) error

	// invalid is why a constructor of this package could not build the
	// check (a nil outbox, a negative threshold): [New] refuses it.
	invalid error
}

// Pinger is what a store offers for its readiness check: Ping returns nil
// when its database answers. The stores of adapters/postgres,
// adapters/sqlite and adapters/memory implement it; it is not a part of
// the coaching.Store port.
type Pinger interface {
	Ping(ctx context.Context) error
}

// StoreCheck returns the check "store": ready when s's Ping succeeds.
func StoreCheck(s Pinger) Check {
	return Check{Name: "store", Func: s.Ping}
}

// HeartbeatOptions configure a [Heartbeat].
type HeartbeatOptions struct {
	// Name names the loop's check in /readyz ("dispatcher", "ticker").
	// Required.
	Name string
	// Interval is how often the loop beats (its own interval). Required.
	Interval time.Duration
	// Missed is how many intervals may pass without a beat before the
	// loop counts as stalled (not ready). Default 3: one late round is not
	// a stall, a loop stuck in a round (a mail server that never answers,
	// a lock never released) or ended is.
	Missed int
	// Clock tells the time; default coaching.SystemClock.
	Clock coaching.Clock
}

// Heartbeat tells whether a background loop the host runs (the engine's
// dispatcher, its deadline ticker) is alive: the loop calls Beat after
// every round, failed or not (a round that failed because the store is
// down still ran: the store has its own check), and [Heartbeat.Check] is
// not ready when the last beat is older than Missed intervals. Creating
// it counts as a beat, so a loop has Missed intervals to start. It is
// safe for concurrent use.
type Heartbeat struct {
	name  string
	max   time.Duration
	clock coaching.Clock
	// last is the time of the last beat, with its monotonic reading when
	// the clock gives one, so that a step of the wall clock neither
	// stalls nor revives the loop.
	last atomic.Pointer[time.Time]
}

// NewHeartbeat returns a heartbeat as opts say; Name and Interval are
// required.
func NewHeartbeat(opts *HeartbeatOptions) (*Heartbeat, error) {
	if opts == nil || opts.Name == "" {
		return nil, errors.New("httpapi: a heartbeat needs a Name")
	}
	if opts.Interval <= 0 {
		return nil, errors.New("httpapi: heartbeat " + opts.Name + ": the Interval must be positive")
	}
	missed := opts.Missed
	if missed < 0 {
		return nil, errors.New("httpapi: heartbeat " + opts.Name + ": Missed must not be negative")
	}
	if missed == 0 {
		missed = 3
	}
	hb := &Heartbeat{name: opts.Name, max: time.Duration(missed) * opts.Interval, clock: opts.Clock}
	if hb.clock == nil {
		hb.clock = coaching.SystemClock{}
	}
	hb.Beat()
	return hb, nil
}

// Beat records that the loop has run a round now.
func (hb *Heartbeat) Beat() {
	now := hb.clock.Now()
	hb.last.Store(&now)
}

// errStalled is a heartbeat missed for too long.
var errStalled = errors.New("no round within the allowed intervals")

// Check returns the heartbeat's readiness check, named as the heartbeat.
func (hb *Heartbeat) Check() Check {
	return Check{Name: hb.name, Func: func(context.Context) error {
		since := hb.clock.Now().Sub(*hb.last.Load())
		if since > hb.max {
			return errStalled
		}
		return nil
	}}
}

// Defaults of the readiness checks.
const (
	// DefaultReadyTimeout bounds each readiness check.
	DefaultReadyTimeout = 2 * time.Second
	// DefaultOutboxMaxLag is how long a due notice may wait to be
	// delivered before [OutboxCheck] is not ready: a 15:00 digest still
	// unsent at 15:15 is late enough for someone to look.
	DefaultOutboxMaxLag = 15 * time.Minute
)

// OutboxCheckOptions configure an [OutboxCheck].
type OutboxCheckOptions struct {
	// MaxLag is the longest a due notice may wait to be delivered
	// ([coaching.OutboxHealth.Lag]: since it first became due, however
	// many times it was retried) before the check is not ready; a lag of
	// exactly MaxLag is still ready. Defaults to [DefaultOutboxMaxLag]
	// (15 minutes); it must not be negative. Set it well above the
	// dispatcher's Interval and a send's timeout, and above the backoff
	// of a retry you consider normal.
	MaxLag time.Duration
	// Clock tells the time the outbox's health is taken at; default
	// [coaching.SystemClock]. It should be the dispatcher's clock.
	Clock coaching.Clock
}

// OutboxCheck returns the check "outbox": not ready while a due notice
// has waited longer than opts.MaxLag to be delivered (the senders are
// down, refuse, or the dispatcher cannot keep up), or when o cannot tell
// its health; ready again as soon as the lag is back under MaxLag (the
// late notices sent, or dead). Its error gives the lag and how many
// notices are due, never a notice's id or anything about a person.
//
// Dead notices do not make it fail: they stay dead whatever an instance
// does, so a check on them would stay failing until someone cleared the
// outbox, and taking instances out of service delivers none of them.
// Alert on them instead ([coaching.DispatcherOptions].OnDead, or the
// telemetry adapter's outbox gauges).
//
// Every instance that shares the store sees the same outbox, so a lag
// makes all of them not ready at once: where a failing readiness check
// takes an instance out of a load balancer (Kubernetes readiness probes)
// rather than only alerting, that stops the API too while mail is late.
// Such a host serves this check on a /readyz its monitoring probes and
// the balancer does not, or raises MaxLag.
//
// o is typically the store (adapters memory, sqlite and postgres
// implement [coaching.OutboxInspector]); [New] refuses a nil o or a
// negative MaxLag.
func OutboxCheck(o coaching.OutboxInspector, opts *OutboxCheckOptions) Check {
	const name = "outbox"
	var oo OutboxCheckOptions
	if opts != nil {
		oo = *opts
	}
	switch {
	case o == nil:
		return Check{Name: name, invalid: errors.New("httpapi: OutboxCheck needs an outbox (a coaching.OutboxInspector)")}
	case oo.MaxLag < 0:
		return Check{Name: name, invalid: errors.New("httpapi: OutboxCheck: MaxLag must not be negative")}
	}
	if oo.MaxLag == 0 {
		oo.MaxLag = DefaultOutboxMaxLag
	}
	if oo.Clock == nil {
		oo.Clock = coaching.SystemClock{}
	}
	return Check{Name: name, Func: func(ctx context.Context) error {
		h, err := o.OutboxHealth(ctx, oo.Clock.Now())
		if err != nil {
			return fmt.Errorf("the outbox cannot tell its health: %w", err)
		}
		if lag := h.Lag(); lag > oo.MaxLag {
			return &OutboxLagError{Lag: lag, MaxLag: oo.MaxLag, Due: h.Due}
		}
		return nil
	}}
}

// OutboxLagError is the error of an [OutboxCheck] whose outbox lags: it
// holds counts and durations only.
type OutboxLagError struct {
	// Lag is how long the longest-waiting due notice has waited.
	Lag time.Duration
	// MaxLag is the check's threshold.
	MaxLag time.Duration
	// Due is how many notices a dispatcher could claim now.
	Due int
}

func (e *OutboxLagError) Error() string {
	return fmt.Sprintf("the outbox lags: a due notice has waited %s to be delivered (more than %s); %d due now",
		e.Lag.Round(time.Second), e.MaxLag, e.Due)
}

// DispatcherCheck returns the check name (e.g. "email", the channel's
// name; required): not ready while d's channel is paused after a
// [coaching.Misconfigured] send error (refused credentials, a
// certificate that does not verify), ready again when the pause ends
// (the next send tries the channel; if it is still misconfigured, it
// pauses again). Its error is the [*coaching.ChannelPausedError]: the
// channel, until when, and the send error's text (which may name the
// server, never a person). The dispatcher's own clock decides. A stalled
// dispatcher is a [Heartbeat]'s to find; [New] refuses a nil d.
func DispatcherCheck(d *coaching.Dispatcher, name string) Check {
	if d == nil {
		return Check{Name: name, invalid: errors.New("httpapi: DispatcherCheck " + name + " needs a dispatcher")}
	}
	return Check{Name: name, Func: func(context.Context) error {
		if p := d.Paused(); p != nil {
			return p
		}
		return nil
	}}
}

// checkNames validates the configured checks.
func checkNames(checks []Check) error {
	seen := map[string]bool{}
	for _, c := range checks {
		if c.invalid != nil {
			return c.invalid
		}
		if c.Name == "" || c.Func == nil {
			return errors.New("httpapi: every readiness check needs a Name and a Func")
		}
		if seen[c.Name] {
			return errors.New("httpapi: two readiness checks are named " + c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

// notReadyError is a /readyz whose checks did not all pass.
type notReadyError struct {
	failing []string
	checks  map[string]string
}

func (e *notReadyError) Error() string { return "not ready: failing " + strings.Join(e.failing, ", ") }

// readiness is the answer of a /readyz whose checks all passed.
type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// health: GET /healthz, the process is up (no store call, no check).
func (h *Handler) health(*http.Request, coaching.Actor) (int, any, error) {
	return http.StatusOK, map[string]string{"status": "ok"}, nil
}

// ready: GET /readyz runs every check at once, each bounded by the
// ready timeout, and answers 200 with each one's status ("ok"), or 503
// naming those that failed ("failing"; the errors go to the log only).
func (h *Handler) ready(r *http.Request, _ coaching.Actor) (int, any, error) {
	errs := make([]error, len(h.checks))
	var wg sync.WaitGroup
	for i, c := range h.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), h.readyTimeout)
			defer cancel()
			errs[i] = runCheck(ctx, c)
		})
	}
	wg.Wait()
	checks := map[string]string{}
	var failing []string
	for i, c := range h.checks {
		if errs[i] == nil {
			checks[c.Name] = "ok"
			continue
		}
		checks[c.Name] = "failing"
		failing = append(failing, c.Name)
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "readiness check failed", slog.String("request_id", RequestID(r.Context())),
			slog.String("check", c.Name), slog.Any("error", errs[i]))
	}
	if len(failing) > 0 {
		slices.Sort(failing)
		return 0, nil, &notReadyError{failing: failing, checks: checks}
	}
	return http.StatusOK, readiness{Status: "ready", Checks: checks}, nil
}

// runCheck runs c, and counts a check that ignores its context's deadline
// as failing once the deadline has passed (its goroutine is left to end).
func runCheck(ctx context.Context, c Check) error {
	done := make(chan error, 1)
	go func() { done <- c.Func(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
