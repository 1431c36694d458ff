package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock when [Verify] is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// The errors [Verify] returns; each is wrapped with details.
var (
	// ErrNoSignature: the timestamp or signature header is missing or
	// malformed.
	ErrNoSignature = errors.New("webhook: no valid signature headers")
	// ErrBadSignature: no signature in the request matches the body and
	// timestamp under the secret.
	ErrBadSignature = errors.New("webhook: signature does not match")
	// ErrStale: the signature is valid but the timestamp is further from
	// now than the tolerance (a replayed or long-delayed request).
	ErrStale = errors.New("webhook: timestamp outside the tolerance")
)

// sign returns the hex HMAC-SHA256 of timestamp + "." + body.
func sign(secret []byte, timestamp string, body []byte) string {
	return hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a webhook request as a receiver got it: header is the
// request's header, body its exact bytes, now the receiver's time. It
// returns nil when a "v1=" signature in the Webhook-Signature header is the
// HMAC-SHA256 under secret of the Webhook-Timestamp header, ".", and body,
// and that timestamp is within tolerance of now (either way; tolerance ≤ 0
// means [DefaultTolerance]). Otherwise it returns an error matching
// [ErrNoSignature], [ErrBadSignature] or [ErrStale].
//
// The signature header may list several signatures, separated by commas or
// spaces ("v1=<hex>, v1=<hex>"), so a sender can sign with an old and a new
// secret while the secret is rotated; one match is enough. Signatures are
// compared in constant time, and the timestamp is only judged once the
// signature holds, so an unsigned request learns nothing about the clock.
func Verify(secret []byte, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return errors.New("webhook: Verify: no secret")
	}
	ts := header.Get(HeaderTimestamp)
	if ts == "" {
		return fmt.Errorf("%w: %s header missing", ErrNoSignature, HeaderTimestamp)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts[0] == '+' || ts[0] == '-' {
		return fmt.Errorf("%w: %s is not unix seconds", ErrNoSignature, HeaderTimestamp)
	}
	var sigs [][]byte
	for _, v := range header.Values(HeaderSignature) {
		for f := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			hexSig, ok := strings.CutPrefix(f, "v1=")
			if !ok {
				continue // another scheme version
			}
			if sig, err := hex.DecodeString(hexSig); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, sig)
			}
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: %s header missing or without a v1 signature", ErrNoSignature, HeaderSignature)
	}
	want := mac(secret, ts, body)
	ok := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			ok = true
		}
	}
	if !ok {
		return ErrBadSignature
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	age := now.Sub(time.Unix(unix, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: timestamp %s is %s from now, tolerance %s", ErrStale, ts, age.Round(time.Second), tolerance)
	}
	return nil
}
