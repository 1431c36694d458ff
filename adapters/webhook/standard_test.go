package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/webhook"
	"github.com/valmennus/valmennus/coaching"
)

// The published test vector of the Standard Webhooks specification, as its
// reference libraries test it (libraries/go/webhook_test.go TestWebhookSign
// and libraries/javascript/src/webhook.test.ts in
// github.com/standard-webhooks/standard-webhooks, commit b2fa7b87).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	// vectorAltered is the Python library's "invalid signature" case: the
	// vector with its last base64 digit changed.
	vectorAltered = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
	// vectorForeign is the libraries' "invalid signature" of another message.
	vectorForeign = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
)

// specVerify is a receiver written from the specification alone (section
// "Verifying webhook authenticity" and "Webhook headers"), not from this
// package: the key is the base64 after "whsec_"; the signed content is
// webhook-id "." webhook-timestamp "." body; webhook-signature is a
// space-delimited list of "<version>,<base64>" entries, of which a "v1"
// entry equal to the base64 HMAC-SHA256 of the content is a match; the
// timestamp must be within tolerance of now.
func specVerify(secrets []string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, ts, sig := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sig == "" {
		return errors.New("missing required headers")
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return errors.New("timestamp outside tolerance")
	}
	for _, s := range secrets {
		k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil {
			return err
		}
		m := hmac.New(sha256.New, k)
		fmt.Fprintf(m, "%s.%s.%s", id, ts, body)
		want := base64.StdEncoding.EncodeToString(m.Sum(nil))
		for _, entry := range strings.Split(sig, " ") {
			version, value, ok := strings.Cut(entry, ",")
			if ok && version == "v1" && hmac.Equal([]byte(value), []byte(want)) {
				return nil
			}
		}
	}
	return errors.New("no matching signature")
}

func vectorHeader(sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", vectorID)
	h.Set("webhook-timestamp", strconv.Itoa(vectorTimestamp))
	h.Set("webhook-signature", sig)
	return h
}

// The independent receiver and the Verifier both take the published vector
// and refuse its altered forms; the receiver is thereby checked too.
func TestPublishedVector(t *testing.T) {
	at := time.Unix(vectorTimestamp, 0)
	body := []byte(vectorPayload)
	require.NoError(t, specVerify([]string{vectorSecret}, vectorHeader(vectorSignature), body, at, 5*time.Minute))
	for _, bad := range []string{vectorAltered, vectorForeign, "v1,", "v2," + vectorSignature[3:]} {
		assert.Error(t, specVerify([]string{vectorSecret}, vectorHeader(bad), body, at, 5*time.Minute), bad)
	}

	v, err := webhook.NewVerifier(&webhook.VerifierOptions{Secrets: []string{vectorSecret},
		Clock: coaching.ClockFunc(func() time.Time { return at.Add(4 * time.Minute) })})
	require.NoError(t, err)
	assert.NoError(t, v.Verify(vectorHeader(vectorSignature), body))
	// The libraries' multi-signature case: the good one among others.
	assert.NoError(t, v.Verify(vectorHeader(vectorForeign+" v2,"+vectorSignature[3:]+" "+vectorSignature+" "+vectorForeign), body))
	for _, bad := range []string{vectorAltered, vectorForeign, "v1,", "v2," + vectorSignature[3:]} {
		assert.ErrorIs(t, v.Verify(vectorHeader(bad), body), webhook.ErrNoMatchingSignature, bad)
	}
	assert.ErrorIs(t, v.Verify(vectorHeader(vectorSignature), []byte(`{"test":2432232314}`)), webhook.ErrNoMatchingSignature,
		"the body is signed as it was sent: re-encoded JSON does not verify")

	late, err := webhook.NewVerifier(&webhook.VerifierOptions{Secrets: []string{vectorSecret},
		Clock: coaching.ClockFunc(func() time.Time { return at.Add(5*time.Minute + time.Second) })})
	require.NoError(t, err)
	assert.ErrorIs(t, late.Verify(vectorHeader(vectorSignature), body), webhook.ErrTooOld)
}

// Every delivery the Sender makes is accepted by the receiver written from
// the specification, and rejected by it once tampered with.
func TestDeliveriesVerifyUnderTheSpecification(t *testing.T) {
	rec := newRecorder(t)
	s := newSender(t, webhook.Options{URL: rec.srv.URL})
	n := testNotice()
	require.NoError(t, s.Send(t.Context(), n))
	n.ID += ".2" // a dot in the notice id: it must not reach the signed content as a separator
	require.NoError(t, s.Send(t.Context(), n))
	for _, r := range rec.requests() {
		require.NoError(t, specVerify([]string{secret}, r.header, r.body, sentAt, 5*time.Minute))
		assert.Error(t, specVerify([]string{otherSecret}, r.header, r.body, sentAt, 5*time.Minute), "another secret")
		assert.Error(t, specVerify([]string{secret}, r.header, r.body, sentAt.Add(6*time.Minute), 5*time.Minute), "late")

		tampered := append([]byte(nil), r.body...)
		tampered[len(tampered)-2] ^= 1
		assert.Error(t, specVerify([]string{secret}, r.header, tampered, sentAt, 5*time.Minute), "tampered body")

		h := r.header.Clone()
		h.Set("webhook-id", webhook.MessageID("another notice"))
		assert.Error(t, specVerify([]string{secret}, h, r.body, sentAt, 5*time.Minute), "another id")
		h = r.header.Clone()
		h.Set("webhook-timestamp", strconv.FormatInt(sentAt.Unix()+1, 10))
		assert.Error(t, specVerify([]string{secret}, h, r.body, sentAt, 5*time.Minute), "another timestamp")
	}
}

// During a rotation the Sender signs with both secrets; a receiver that
// knows either one (the old one still, or the new one already) accepts the
// delivery, under the specification's receiver and under Verifier.
func TestSenderRotation(t *testing.T) {
	rec := newRecorder(t)
	s := newSender(t, webhook.Options{URL: rec.srv.URL, Secrets: []string{otherSecret, secret}})
	require.NoError(t, s.Send(t.Context(), testNotice()))
	r := rec.requests()[0]
	sigs := strings.Split(r.header.Get("webhook-signature"), " ")
	require.Len(t, sigs, 2, "one signature per secret, space-separated")
	assert.Equal(t, v1(otherKey, r.header.Get("webhook-id"), r.header.Get("webhook-timestamp"), r.body), sigs[0])
	assert.Equal(t, v1(key, r.header.Get("webhook-id"), r.header.Get("webhook-timestamp"), r.body), sigs[1])

	for _, receiver := range [][]string{{otherSecret}, {secret}, {secret, otherSecret}} {
		assert.NoError(t, specVerify(receiver, r.header, r.body, sentAt, 5*time.Minute), "%d secrets", len(receiver))
		assert.NoError(t, newVerifier(t, time.Time{}, 0, receiver...).Verify(r.header, r.body))
	}
	third, err := webhook.NewSecret()
	require.NoError(t, err)
	assert.Error(t, specVerify([]string{third}, r.header, r.body, sentAt, 5*time.Minute))
	assert.ErrorIs(t, newVerifier(t, time.Time{}, 0, third).Verify(r.header, r.body), webhook.ErrNoMatchingSignature)
}

// Retries carry the same webhook-id (the receiver's idempotency key) and
// the timestamp of their own attempt.
func TestRetryKeepsTheID(t *testing.T) {
	rec := newRecorder(t)
	now := sentAt
	s := newSender(t, webhook.Options{URL: rec.srv.URL, Clock: coaching.ClockFunc(func() time.Time { return now })})
	rec.status.Store(http.StatusServiceUnavailable)
	require.Error(t, s.Send(t.Context(), testNotice()))
	now = now.Add(90 * time.Second)
	rec.status.Store(0)
	require.NoError(t, s.Send(t.Context(), testNotice()))
	reqs := rec.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, reqs[0].header.Get("webhook-id"), reqs[1].header.Get("webhook-id"))
	assert.Equal(t, strconv.FormatInt(sentAt.Unix(), 10), reqs[0].header.Get("webhook-timestamp"))
	assert.Equal(t, strconv.FormatInt(now.Unix(), 10), reqs[1].header.Get("webhook-timestamp"))
	assert.NoError(t, specVerify([]string{secret}, reqs[1].header, reqs[1].body, now, 5*time.Minute))
}

func TestNewSecret(t *testing.T) {
	a, err := webhook.NewSecret()
	require.NoError(t, err)
	b, err := webhook.NewSecret()
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
	require.True(t, strings.HasPrefix(a, "whsec_"))
	k, err := base64.StdEncoding.DecodeString(a[len("whsec_"):])
	require.NoError(t, err)
	assert.Len(t, k, 32)
	_, err = webhook.New(webhook.Options{URL: "https://hooks.example.fi/", Secrets: []string{a, b}})
	assert.NoError(t, err)
}
