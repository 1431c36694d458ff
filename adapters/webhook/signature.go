package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Standard Webhooks (https://www.standardwebhooks.com/) constants.
const (
	// SecretPrefix starts every secret in its text form: "whsec_" and the
	// key's bytes in standard base64.
	SecretPrefix = "whsec_"
	// MinSecretLen is the shortest key New and NewVerifier accept, in bytes
	// after base64 decoding: the specification's minimum (24 bytes, 192
	// bits; it recommends 24 to 64).
	MinSecretLen = 24
	// DefaultTolerance is how far a request's timestamp may be from the
	// receiver's clock, either way, when VerifierOptions.Tolerance is zero.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBodyBytes bounds the body [Verifier.VerifyRequest] reads
	// when VerifierOptions.MaxBodyBytes is zero. A notice is a few KiB.
	DefaultMaxBodyBytes = 1 << 20
)

// The errors a [Verifier] returns; each is wrapped with details that name
// the header, never a secret.
var (
	// ErrMissingHeader: webhook-id, webhook-timestamp or
	// webhook-signature is absent or empty.
	ErrMissingHeader = errors.New("webhook: required header missing")
	// ErrBadTimestamp: webhook-timestamp is not Unix seconds (digits only).
	ErrBadTimestamp = errors.New("webhook: webhook-timestamp is not unix seconds")
	// ErrNoMatchingSignature: no v1 signature in webhook-signature matches
	// the id, timestamp and body under any of the secrets.
	ErrNoMatchingSignature = errors.New("webhook: no matching signature")
	// ErrTooOld: the signature holds but the timestamp is older than the
	// tolerance (a replayed or long-delayed request).
	ErrTooOld = errors.New("webhook: timestamp too old")
	// ErrTooNew: the signature holds but the timestamp is further in the
	// future than the tolerance.
	ErrTooNew = errors.New("webhook: timestamp too new")
	// ErrBodyTooLarge: the request's body is longer than
	// VerifierOptions.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("webhook: body too large")
)

// NewSecret returns a new random secret in its text form: "whsec_" and 32
// random bytes in base64. Give it to the receiver and put it in
// Options.Secrets.
func NewSecret() (string, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("webhook: generating a secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// parseSecrets decodes the "whsec_<base64>" secrets of field (an option's
// name, for errors). Errors name the field and index, never the secret.
func parseSecrets(field string, secrets []string) ([][]byte, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("webhook: %s is required (a %q secret; see NewSecret)", field, SecretPrefix+"…")
	}
	keys := make([][]byte, 0, len(secrets))
	for i, s := range secrets {
		b64, ok := strings.CutPrefix(s, SecretPrefix)
		if !ok {
			return nil, fmt.Errorf("webhook: %s[%d] does not start with %q", field, i, SecretPrefix)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("webhook: %s[%d] is not standard base64 after %q", field, i, SecretPrefix)
		}
		if len(key) < MinSecretLen {
			return nil, fmt.Errorf("webhook: %s[%d] has %d bytes; want at least %d", field, i, len(key), MinSecretLen)
		}
		for j, k := range keys {
			if hmac.Equal(k, key) {
				return nil, fmt.Errorf("webhook: %s[%d] repeats %s[%d]", field, i, field, j)
			}
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// sign returns the base64 HMAC-SHA256 under key of id "." timestamp "."
// body, the Standard Webhooks v1 signature without its "v1," prefix.
func sign(key []byte, id, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signatureHeader returns the webhook-signature value: one "v1,<base64>"
// per key, separated by spaces.
func signatureHeader(keys [][]byte, id, timestamp string, body []byte) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(sign(k, id, timestamp, body))
	}
	return b.String()
}

// MessageID returns the webhook-id of a notice: "msg_" and the notice id
// in unpadded base64url. It is the same on every attempt, so receivers
// use it as their idempotency key. The notice id is encoded, not sent as
// it is, because it may hold "." (which the specification forbids in an id,
// since the signed content is joined by dots) and UTF-8 (which some HTTP
// stacks read as Latin-1, breaking the signature); the body's "id" holds
// it as it is, and [NoticeID] decodes it.
func MessageID(noticeID string) string {
	return "msg_" + base64.RawURLEncoding.EncodeToString([]byte(noticeID))
}

// NoticeID decodes a webhook-id made by [MessageID] back to the notice id.
func NoticeID(messageID string) (string, error) {
	enc, ok := strings.CutPrefix(messageID, "msg_")
	if !ok {
		return "", errors.New(`webhook: the webhook-id does not start with "msg_"`)
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(b) == 0 {
		return "", errors.New("webhook: the webhook-id is not a notice id in base64url")
	}
	return string(b), nil
}

// VerifierOptions configure a [Verifier].
type VerifierOptions struct {
	// Secrets are the secrets a signature may be made with, each
	// "whsec_<base64>". Required. Give the old and the new one while the
	// sender's secret is rotated; one matching signature is enough.
	Secrets []string
	// Tolerance is how far the webhook-timestamp may be from now, either
	// way. Zero means [DefaultTolerance]; negative is refused.
	Tolerance time.Duration
	// MaxBodyBytes bounds the body VerifyRequest reads. Zero means
	// [DefaultMaxBodyBytes]; negative is refused.
	MaxBodyBytes int64
	// Clock gives "now" for the tolerance. Defaults to
	// [coaching.SystemClock].
	Clock coaching.Clock
}

// Verifier checks Standard Webhooks signatures for a receiver: a Go host
// taking this package's deliveries (any Standard Webhooks library does the
// same). It is safe for concurrent use.
type Verifier struct {
	keys      [][]byte
	tolerance time.Duration
	maxBody   int64
	clock     coaching.Clock
}

// NewVerifier returns a verifier for opts, or an error naming the option
// that is missing or malformed (never the secret's value).
func NewVerifier(opts *VerifierOptions) (*Verifier, error) {
	if opts == nil {
		opts = &VerifierOptions{}
	}
	keys, err := parseSecrets("VerifierOptions.Secrets", opts.Secrets)
	if err != nil {
		return nil, err
	}
	v := &Verifier{keys: keys, tolerance: opts.Tolerance, maxBody: opts.MaxBodyBytes, clock: opts.Clock}
	switch {
	case v.tolerance < 0:
		return nil, errors.New("webhook: VerifierOptions.Tolerance is negative")
	case v.tolerance == 0:
		v.tolerance = DefaultTolerance
	}
	switch {
	case v.maxBody < 0:
		return nil, errors.New("webhook: VerifierOptions.MaxBodyBytes is negative")
	case v.maxBody == 0:
		v.maxBody = DefaultMaxBodyBytes
	}
	if v.clock == nil {
		v.clock = coaching.SystemClock{}
	}
	return v, nil
}

// VerifyRequest reads r's body, at most MaxBodyBytes of it (a longer one
// is ErrBodyTooLarge, and not read further), and verifies it with
// [Verifier.Verify]. It returns the body only when it verifies. It does
// not close r.Body (the server does).
func (v *Verifier) VerifyRequest(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, v.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("webhook: reading the body: %w", err)
	}
	if int64(len(body)) > v.maxBody {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, v.maxBody)
	}
	if err := v.Verify(r.Header, body); err != nil {
		return nil, err
	}
	return body, nil
}

// Verify checks a request as the receiver got it: header its headers,
// body its exact bytes (before any JSON decoding). It returns nil when a
// "v1,<base64>" signature among the space-separated ones of
// webhook-signature is the HMAC-SHA256, under one of the secrets, of
// webhook-id "." webhook-timestamp "." body, and the timestamp is within
// the tolerance of now. Otherwise its error matches one of
// [ErrMissingHeader], [ErrBadTimestamp], [ErrNoMatchingSignature],
// [ErrTooOld] and [ErrTooNew].
//
// Signatures of other versions (v1a) are skipped. Signatures are compared
// in constant time, and the timestamp is only judged once a signature
// holds, so an unsigned request learns nothing about the receiver's clock.
// A receiver keeps the webhook-ids it has taken and answers a repeat with
// 2xx without acting on it again.
func (v *Verifier) Verify(header http.Header, body []byte) error {
	id := header.Get(HeaderID)
	ts := header.Get(HeaderTimestamp)
	sigs := strings.Join(header.Values(HeaderSignature), " ")
	for _, h := range []struct{ name, value string }{{HeaderID, id}, {HeaderTimestamp, ts}, {HeaderSignature, sigs}} {
		if strings.TrimSpace(h.value) == "" {
			return fmt.Errorf("%w: %s", ErrMissingHeader, h.name)
		}
	}
	unix, ok := parseUnix(ts)
	if !ok {
		return fmt.Errorf("%w: %q", ErrBadTimestamp, ts)
	}
	if !v.matches(id, ts, body, sigs) {
		return ErrNoMatchingSignature
	}
	age := v.clock.Now().Sub(time.Unix(unix, 0))
	switch {
	case age > v.tolerance:
		return fmt.Errorf("%w: timestamp %s is %s old, tolerance %s", ErrTooOld, ts, age.Round(time.Second), v.tolerance)
	case age < -v.tolerance:
		return fmt.Errorf("%w: timestamp %s is %s ahead, tolerance %s", ErrTooNew, ts, (-age).Round(time.Second), v.tolerance)
	}
	return nil
}

// matches reports whether a v1 signature in sigs is the signature of id,
// ts and body under one of the keys.
func (v *Verifier) matches(id, ts string, body []byte, sigs string) bool {
	want := make([][]byte, len(v.keys))
	for i, k := range v.keys {
		want[i] = []byte(sign(k, id, ts, body))
	}
	for f := range strings.FieldsSeq(sigs) {
		got, ok := strings.CutPrefix(f, "v1,")
		if !ok {
			continue // another version, or not a signature
		}
		for _, w := range want {
			if hmac.Equal([]byte(got), w) {
				return true
			}
		}
	}
	return false
}

// parseUnix parses a webhook-timestamp: decimal digits only (no sign, no
// spaces), fitting an int64.
func parseUnix(ts string) (int64, bool) {
	if ts == "" || ts[0] < '0' || ts[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	return n, err == nil
}
