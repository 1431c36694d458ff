// Package webhook is a [coaching.Sender] that POSTs each notice as JSON to
// one URL, signed with HMAC-SHA256, so a host's own service (a student
// information system, a message hub) can take notices over and deliver or
// show them itself. Requests are signed as the Standard Webhooks
// specification (https://www.standardwebhooks.com/) says, so a receiver
// can check them with any Standard Webhooks library or with [Verifier].
//
// # The request
//
//	POST <Options.URL>
//	Content-Type: application/json
//	User-Agent: valmennus-webhook/1
//	webhook-id: <MessageID(notice id)>, the same on every attempt
//	webhook-timestamp: <unix seconds of this attempt>
//	webhook-signature: v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)> …
//
//	{"id":"…","kind":"attendance_digest","case_id":"…",
//	 "recipient":{"id":"g-1","name":"…","role":"guardian","contact":{"email":"…"},"language":"fi"},
//	 "subject":"…","body":"…","data":{…},"created_at":"2025-10-14T12:00:00Z"}
//
// The body is a [Payload]. It holds the notice as written to the outbox,
// not its delivery state (status, attempts, lease). Delivery is
// at-least-once: the same notice may arrive more than once, always with the
// same webhook-id, so a receiver keeps the ids it has taken and answers a
// repeat with 2xx without acting on it again.
//
// # Secrets and rotation
//
// A secret is "whsec_" and at least [MinSecretLen] random bytes in
// standard base64 ([NewSecret] makes one); the key is the decoded bytes.
// Options.Secrets may hold several: the request then carries one
// signature per secret, space-separated, and a receiver that knows any of
// them accepts it. To rotate, give the sender the old and the new secret,
// move every receiver to the new one, then drop the old one. New refuses a
// malformed secret; no error or log names a secret's value.
//
// This replaces the package's earlier scheme (Idempotency-Key and a hex
// "v1=" signature over timestamp.body with a raw secret), which was never
// in a released version.
//
// # Receiving
//
// A receiver reads the body, checks it with a Standard Webhooks library or
// [Verifier.VerifyRequest] before anything else, and answers:
//
//   - 2xx when it has taken the notice (or already had it);
//   - 5xx, 408 or 429 when it cannot take it now: the dispatcher retries
//     with backoff (a Retry-After is reported in [StatusError]);
//   - any other 4xx when the notice will never be acceptable: the
//     dispatcher marks it dead and surfaces it.
//
// Redirects are not followed: a webhook URL that redirects is
// misconfigured, and following it would send personal data, signed, to
// wherever the redirect points. A 3xx is a misconfigured channel.
//
// # Errors
//
// Send does not retry: the [coaching.Dispatcher] is the retry loop. Send
// classifies: nil for 2xx; a transient error for 5xx, 408, 429, timeouts,
// connection errors and a cancelled context; an error marked with
// [coaching.Misconfigured] — the dispatcher pauses the channel instead of
// killing its notices — when the fault is the endpoint's configuration,
// not the notice: a redirect (3xx), 401 and 403 (the receiver refuses the
// signature: a secret not rotated on both sides), 404, 405 and 410 (no
// such endpoint), and a TLS certificate that does not verify; an error
// marked with [coaching.Permanent] for every other answer (400, 413, 422:
// the receiver refuses this notice) and for a notice it cannot send at all
// (no id). Errors name the notice id and the status code (or,
// for a failed connection, the network error, which may name the host),
// never the URL's path or query (they may hold a token), the body or the
// recipient (they are personal data): the dispatcher logs errors and
// stores them with the notice. The package logs nothing.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Defaults of [Options].
const (
	// DefaultTimeout bounds one Send when Options.Client has no Timeout.
	// Keep it well below the dispatcher's lease (2 minutes by default).
	DefaultTimeout = 10 * time.Second
	// DefaultUserAgent is the User-Agent header when Options.UserAgent is
	// empty.
	DefaultUserAgent = "valmennus-webhook/1"
)

// The Standard Webhooks headers a request carries besides Content-Type and
// User-Agent (in canonical form; header names are case-insensitive).
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// maxDrain is how much of a response body Send reads (and discards) so the
// connection can be reused.
const maxDrain = 64 << 10

// Options configure a [Sender].
type Options struct {
	// URL is the endpoint notices are POSTed to. Required. It must be an
	// absolute https URL unless AllowInsecureHTTP is set.
	URL string
	// Secrets are the signing secrets, each "whsec_<base64>" of at least
	// [MinSecretLen] bytes. Required. Every request is signed with each of
	// them (several only while rotating; see the package documentation).
	Secrets []string
	// Client sends the requests. Defaults to a client with a
	// [DefaultTimeout] timeout. New uses a copy of it that never follows
	// redirects; a Client whose Timeout is zero gets DefaultTimeout, since
	// a Send with no time limit could outlast the dispatcher's lease. Pass
	// httptest.Server.Client() to test against an httptest TLS server.
	Client *http.Client
	// Clock gives the signature's timestamp. Defaults to
	// [coaching.SystemClock].
	Clock coaching.Clock
	// UserAgent is the User-Agent header. Defaults to [DefaultUserAgent].
	UserAgent string
	// AllowInsecureHTTP allows a plain http URL. Only for tests and for
	// endpoints on the same host: the body carries personal data.
	AllowInsecureHTTP bool
}

// Sender POSTs notices to one webhook endpoint. It is safe for concurrent
// use.
type Sender struct {
	url       string
	keys      [][]byte
	client    *http.Client
	clock     coaching.Clock
	userAgent string
}

var _ coaching.Sender = (*Sender)(nil)

// New returns a sender for opts, or an error naming the option that is
// missing or invalid.
func New(opts Options) (*Sender, error) {
	if opts.URL == "" {
		return nil, errors.New("webhook: Options.URL is required")
	}
	u, err := url.Parse(opts.URL)
	if err != nil {
		// The parse error quotes the URL, which may hold a token.
		return nil, errors.New("webhook: Options.URL is not a valid URL")
	}
	switch {
	case !u.IsAbs() || u.Host == "":
		return nil, errors.New("webhook: Options.URL must be an absolute URL with a host")
	case u.Scheme == "https":
	case u.Scheme == "http" && opts.AllowInsecureHTTP:
	case u.Scheme == "http":
		return nil, errors.New("webhook: Options.URL must use https (set AllowInsecureHTTP to allow plain http in tests)")
	default:
		return nil, fmt.Errorf("webhook: Options.URL has the scheme %q; want https", u.Scheme)
	}
	keys, err := parseSecrets("Options.Secrets", opts.Secrets)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: DefaultTimeout}
	if opts.Client != nil {
		c := *opts.Client
		client = &c
		if client.Timeout <= 0 {
			client.Timeout = DefaultTimeout
		}
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if opts.Clock == nil {
		opts.Clock = coaching.SystemClock{}
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	return &Sender{
		url:       u.String(),
		keys:      keys,
		client:    client,
		clock:     opts.Clock,
		userAgent: opts.UserAgent,
	}, nil
}

// Payload is the JSON body of a webhook request.
type Payload struct {
	ID        string             `json:"id"`
	Kind      string             `json:"kind"`
	CaseID    coaching.CaseID    `json:"case_id,omitempty"`
	Recipient coaching.Recipient `json:"recipient"`
	Subject   string             `json:"subject"`
	Body      string             `json:"body"`
	Data      map[string]string  `json:"data,omitempty"`
	CreatedAt time.Time          `json:"created_at"`
}

// PayloadOf returns the payload Send posts for n.
func PayloadOf(n coaching.Notice) Payload {
	return Payload{
		ID:        n.ID,
		Kind:      n.Kind,
		CaseID:    n.CaseID,
		Recipient: n.Recipient,
		Subject:   n.Subject,
		Body:      n.Body,
		Data:      n.Data,
		CreatedAt: n.CreatedAt,
	}
}

// encode writes p as compact JSON without HTML escaping (a subject with
// "&" stays readable), with no trailing newline.
func encode(p Payload) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Send POSTs n once and classifies the outcome (see the package
// documentation). It does not retry.
func (s *Sender) Send(ctx context.Context, n coaching.Notice) error {
	if n.ID == "" {
		return coaching.Permanent(errors.New("webhook: a notice without an id (its idempotency key) cannot be sent"))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("webhook: notice %s: %w", n.ID, err)
	}
	body, err := encode(PayloadOf(n))
	if err != nil {
		// A time outside years 0-9999; the error names no personal data.
		return coaching.Permanent(fmt.Errorf("webhook: notice %s: encoding the payload: %w", n.ID, err))
	}
	ts := strconv.FormatInt(s.clock.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return coaching.Permanent(fmt.Errorf("webhook: notice %s: building the request failed", n.ID))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.userAgent)
	id := MessageID(n.ID)
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, signatureHeader(s.keys, id, ts, body))

	resp, err := s.client.Do(req)
	if err != nil {
		var ce *tls.CertificateVerificationError
		if errors.As(err, &ce) {
			return coaching.Misconfigured(transportError(n.ID, err))
		}
		return transportError(n.ID, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	return classify(n.ID, resp, s.clock.Now())
}

// transportError wraps a failed round trip as a transient error. The
// *url.Error the client returns quotes the URL, so only its cause is kept.
func transportError(id string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("webhook: notice %s: request failed: %w", id, err)
}

// classify turns a response into Send's result.
func classify(id string, resp *http.Response, now time.Time) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	se := &StatusError{NoticeID: id, StatusCode: code}
	switch {
	case retryable(code):
		se.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
		return se
	case misconfigured(code):
		return coaching.Misconfigured(se)
	}
	return coaching.Permanent(se)
}

// misconfigured reports whether an answer means the endpoint, not the
// notice, is wrong: every other notice would get the same answer.
func misconfigured(code int) bool {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusGone:
		return true
	}
	return code >= 300 && code < 400
}

// retryable reports whether an answer means "try again later".
func retryable(code int) bool {
	return code >= 500 && code < 600 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests
}

// retryAfter parses a Retry-After header (seconds or an HTTP date); zero
// when absent, malformed or in the past.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 || secs > int64(24*time.Hour/time.Second) {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// StatusError is the error of an answer other than 2xx. Send returns it
// as it is for an answer worth retrying (5xx, 408, 429) and wrapped with
// [coaching.Misconfigured] or [coaching.Permanent] otherwise (see the
// package documentation); errors.As finds it either way.
type StatusError struct {
	NoticeID   string
	StatusCode int
	// RetryAfter is the wait the endpoint asked for in a Retry-After
	// header of a retryable answer; zero if it asked for none. The
	// dispatcher's own backoff does not read it yet.
	RetryAfter time.Duration
}

// Error names the notice and the status, never the response body.
func (e *StatusError) Error() string {
	msg := "webhook: notice " + e.NoticeID + ": the endpoint answered " + strconv.Itoa(e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		msg += " " + t
	}
	if e.StatusCode >= 300 && e.StatusCode < 400 {
		msg += " (redirects are not followed: configure the final URL)"
	}
	if e.RetryAfter > 0 {
		msg += " (retry after " + e.RetryAfter.String() + ")"
	}
	return msg
}
