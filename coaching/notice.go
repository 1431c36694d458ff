package coaching

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"time"
)

// NoticeStatus is where a notice is in its delivery.
type NoticeStatus string

// Notice statuses.
const (
	// NoticePending: waiting for its NotBefore time or for a dispatcher.
	NoticePending NoticeStatus = "pending"
	// NoticeClaimed: a dispatcher holds a lease on it and is sending it.
	NoticeClaimed NoticeStatus = "claimed"
	// NoticeSent: delivered to the Sender without error.
	NoticeSent NoticeStatus = "sent"
	// NoticeDead: undeliverable after the allowed attempts; kept and surfaced.
	NoticeDead NoticeStatus = "dead"
	// NoticeCancelled: withdrawn before it was sent (e.g. the absence it
	// reported was explained).
	NoticeCancelled NoticeStatus = "cancelled"
)

// Recipient is who a notice goes to.
type Recipient struct {
	// ID is the recipient's actor or guardian id.
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Role     Role     `json:"role"`
	Contact  Contact  `json:"contact"`
	Language Language `json:"language"`
}

// Notice is one message in the outbox. It is written in the same
// transaction as the change that caused it and delivered afterwards by a
// [Dispatcher]. Its ID is stable and doubles as the idempotency key every
// Sender passes on (SMTP Message-ID, webhook webhook-id), so a receiver
// can discard the rare duplicate of an at-least-once delivery. The engine
// builds ids from case ids, kinds, dates and recipient ids joined with ':'
// (e.g. "absence:<case>:2026-09-07:<guardian>"); they contain no control
// characters but may contain any other character a host put in an id, so
// every channel encodes them for its own syntax.
type Notice struct {
	ID     string `json:"id"`
	CaseID CaseID `json:"case_id,omitempty"`
	// Kind names the notice type, e.g. "phase_overdue".
	Kind      string    `json:"kind"`
	Recipient Recipient `json:"recipient"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	// Data carries the notice's facts for senders that format their own
	// message (webhooks). It never holds welfare information or identity codes.
	Data      map[string]string `json:"data,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	// NotBefore is the earliest time the notice may be sent.
	NotBefore time.Time    `json:"not_before"`
	Status    NoticeStatus `json:"status"`
	// Attempts counts delivery attempts (claims) so far.
	Attempts int `json:"attempts"`
	// LeaseUntil is when a claim expires and another dispatcher may take it.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	SentAt     time.Time `json:"sent_at,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
	// DueAt is when the notice first became due: its NotBefore when it
	// was enqueued (its CreatedAt when it had none), or when it was last
	// rewritten before any claim ([Tx.UpdateNotice]). Retries move
	// NotBefore, never DueAt, so the outbox can tell how long a notice has
	// waited to be delivered ([OutboxHealth]; a zero DueAt is left out).
	// The outbox sets it; a caller's value is ignored.
	DueAt time.Time `json:"due_at,omitzero"`
	// Channel is the [DispatcherOptions.Channel] of the dispatcher that
	// recorded the notice's latest outcome (empty before any, or when the
	// dispatcher has no channel name).
	Channel string `json:"channel,omitempty"`
	// Trace is the trace context of the call that enqueued the notice
	// (see [WithTrace]; at most [MaxTraceBytes]), handed to the observer
	// when the notice is sent so that the send's span joins that trace.
	// Empty when no trace was propagated. It holds no personal data.
	Trace string `json:"trace,omitempty"`
}

func (n Notice) ptr() *Notice { return &n }

// Clone returns a deep copy.
func (n Notice) Clone() Notice {
	n.Data = maps.Clone(n.Data)
	return n
}

// LogValue logs the notice id, kind and status; never the recipient's
// address or the message text.
func (n Notice) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", n.ID), slog.String("kind", n.Kind), slog.String("status", string(n.Status)))
}

// Outbox is the part of a [Store] a [Dispatcher] uses. Every method is its
// own transaction.
type Outbox interface {
	// ClaimNotices leases up to p.Limit notices that are pending with
	// NotBefore ≤ p.Now, or claimed with an expired lease, oldest first. A
	// claimed notice has Status NoticeClaimed, Attempts incremented and
	// LeaseUntil = p.Now + p.Lease. Two concurrent callers never receive
	// the same notice while its lease holds.
	ClaimNotices(ctx context.Context, p ClaimParams) ([]Notice, error)
	// CompleteNotice records the outcome of a claim. attempt must equal the
	// notice's Attempts (the claim it answers) or a *ConflictError is
	// returned, so a dispatcher whose lease expired cannot overwrite the
	// newer claim's result. A result [CheckNoticeResult] refuses (a bad
	// Channel) is an error and changes nothing.
	CompleteNotice(ctx context.Context, id string, attempt int, r NoticeResult) error
	// Notice returns one notice or a *NotFoundError.
	Notice(ctx context.Context, id string) (Notice, error)
	// Notices lists notices matching q, oldest first.
	Notices(ctx context.Context, q NoticeQuery) ([]Notice, error)
}

// NoticeCompleter is an optional capability of an [Outbox]: it records the
// outcomes of many claims in one round trip. A [Dispatcher] detects it with
// a type assertion and completes each round's notices with one call;
// without it, the dispatcher calls [Outbox.CompleteNotice] once per notice.
// The adapters in this module (memory, sqlite, postgres) implement it, and
// the conformance suite (adapters/storetest, Outbox/CompleteBatch…) checks
// it whenever a store has it. It is stable for third-party adapters.
type NoticeCompleter interface {
	// CompleteNotices records the outcome of every completion in cs as
	// [Outbox.CompleteNotice] would, and returns one error per completion,
	// in the order of cs: nil when it was recorded, a *ConflictError when
	// Attempt is not the notice's current claim (the lease was lost; the
	// notice is left as it is), a *NotFoundError when the notice is not in
	// the outbox, a *ValidationError when [CheckNoticeResult] refuses its
	// result. The batch is one transaction (or one statement): when the
	// call as a whole fails (a cancelled context, a lost connection, an id
	// that appears twice in cs) it returns a nil slice and the error, and
	// none of the completions is recorded. An empty cs does nothing.
	CompleteNotices(ctx context.Context, cs []NoticeCompletion) ([]error, error)
}

// NoticeCompletion is one entry of [NoticeCompleter.CompleteNotices]: the
// arguments of one [Outbox.CompleteNotice].
type NoticeCompletion struct {
	ID string
	// Attempt is the claim the result answers (the claimed notice's
	// Attempts).
	Attempt int
	Result  NoticeResult
}

// ClaimParams are the arguments of [Outbox.ClaimNotices].
type ClaimParams struct {
	Now   time.Time
	Limit int
	Lease time.Duration
}

// NoticeResult is the outcome of one delivery attempt.
type NoticeResult struct {
	// Status is NoticeSent, NoticePending (retry at RetryAt) or NoticeDead.
	Status  NoticeStatus
	At      time.Time
	RetryAt time.Time
	Error   string
	// Channel is the recording dispatcher's channel name, stored as the
	// notice's Channel.
	Channel string
	// Refund, with NoticePending, says the claim did not count as an
	// attempt (the notice was released unsent, or its channel was
	// misconfigured): the outbox takes one off the notice's Attempts.
	Refund bool
}

// NoticeQuery filters [Outbox.Notices]. Zero fields do not filter.
type NoticeQuery struct {
	CaseID CaseID
	Kind   string
	Status NoticeStatus
	// Limit caps the result; 0 means no cap.
	Limit int
}

// Match reports whether n passes the filter.
func (q NoticeQuery) Match(n Notice) bool {
	switch {
	case q.CaseID != "" && n.CaseID != q.CaseID:
		return false
	case q.Kind != "" && n.Kind != q.Kind:
		return false
	case q.Status != "" && n.Status != q.Status:
		return false
	}
	return true
}

// OutboxInspector is an optional capability of an [Outbox]: it reports the
// outbox's health as data, for readiness checks and metrics. The adapters
// in this module (memory, sqlite, postgres) implement it and the
// conformance suite (adapters/storetest, Outbox/Health…) checks it
// whenever a store has it. It only reads: its cost does not depend on how
// many notices have been sent, only on how many wait and how many died.
type OutboxInspector interface {
	// OutboxHealth returns the outbox's state at now.
	OutboxHealth(ctx context.Context, now time.Time) (OutboxHealth, error)
}

// OutboxHealth is the state of an outbox at one instant.
type OutboxHealth struct {
	// At is the instant it describes.
	At time.Time
	// Pending counts notices waiting to be sent, due or not (status
	// pending); Claimed those a dispatcher holds (status claimed). Their
	// sum is the outbox's depth.
	Pending int
	Claimed int
	// Due counts the pending notices whose NotBefore has come, and the
	// claimed ones whose lease ran out: what a dispatcher would claim now.
	Due int
	// Retrying counts the pending and claimed notices that have been
	// claimed and not delivered at least once: a send failed, or the claim
	// was released unsent (a paused channel, a dispatcher stopping) —
	// every such notice has a LastError.
	Retrying int
	// OldestDueAt is the earliest DueAt among the pending and claimed
	// notices whose DueAt has come (zero when there is none): the notice
	// that has waited longest to be delivered, however many times it was
	// retried. See [OutboxHealth.Lag].
	OldestDueAt time.Time
	// Dead counts dead notices by the Channel that gave up on them ("" for
	// a dispatcher without a channel name).
	Dead map[string]int
}

// Depth is how many notices are not yet delivered (pending or claimed).
func (h OutboxHealth) Depth() int { return h.Pending + h.Claimed }

// Lag is how long the longest-waiting due notice has waited (At −
// OldestDueAt), zero when none waits.
func (h OutboxHealth) Lag() time.Duration {
	if h.OldestDueAt.IsZero() || !h.At.After(h.OldestDueAt) {
		return 0
	}
	return h.At.Sub(h.OldestDueAt)
}

// DeadTotal is the number of dead notices on every channel.
func (h OutboxHealth) DeadTotal() int {
	n := 0
	for _, c := range h.Dead {
		n += c
	}
	return n
}

// NoticeDueAt is the DueAt an outbox gives a notice that becomes due at
// notBefore: notBefore, or createdAt when notBefore is zero (due at once,
// so waiting since it was created; a zero DueAt would read as waiting
// since year 1).
func NoticeDueAt(notBefore, createdAt time.Time) time.Time {
	if notBefore.IsZero() {
		return createdAt
	}
	return notBefore
}

// MaxChannelBytes bounds a channel name ([DispatcherOptions.Channel],
// [NoticeResult.Channel]).
const MaxChannelBytes = 64

// PrepareEnqueue returns n as an outbox stores it at [Tx.Enqueue]: DueAt
// from its NotBefore ([NoticeDueAt]), Channel empty (only a completion
// records one), Trace, when empty, the one ctx carries ([TraceFrom]). A
// Trace that [WithTrace] would not carry is refused with a
// *ValidationError (field "trace"; the message never repeats the value).
// Every outbox in this module calls it; a third-party outbox should.
func PrepareEnqueue(ctx context.Context, n Notice) (Notice, error) {
	if msg := labelProblem(n.Trace, MaxTraceBytes); msg != "" {
		return n, &ValidationError{Subject: "notice", Problems: []FieldProblem{{Field: "trace", Message: msg}}}
	}
	if n.Trace == "" {
		n.Trace = TraceFrom(ctx)
	}
	n.DueAt, n.Channel = NoticeDueAt(n.NotBefore, n.CreatedAt), ""
	return n, nil
}

// CheckNoticeResult refuses a completion's result an outbox must not
// record: a Channel longer than [MaxChannelBytes] or holding other than
// printable ASCII, as [NewDispatcher] refuses it (a *ValidationError,
// field "channel"; the message never repeats the value).
func CheckNoticeResult(r NoticeResult) error {
	if msg := labelProblem(r.Channel, MaxChannelBytes); msg != "" {
		return &ValidationError{Subject: "notice result", Problems: []FieldProblem{{Field: "channel", Message: msg}}}
	}
	return nil
}

// labelProblem says why s is not at most max bytes of printable ASCII, or
// returns "".
func labelProblem(s string, max int) string {
	if len(s) > max {
		return fmt.Sprintf("longer than %d bytes", max)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return fmt.Sprintf("byte %d is not printable ASCII", i)
		}
	}
	return ""
}
