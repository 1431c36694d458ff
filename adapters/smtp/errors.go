package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/valmennus/valmennus/coaching"
)

// Steps of a Send, as reported in [Error].Op.
const (
	OpCompose  = "compose"  // building the message from the notice
	OpDial     = "dial"     // connecting
	OpStartTLS = "starttls" // greeting, first EHLO and STARTTLS
	OpTLS      = "tls"      // the TLS handshake
	OpHello    = "ehlo"     // greeting (plaintext) and EHLO/HELO
	OpAuth     = "auth"     // SASL PLAIN
	OpMail     = "mail"     // MAIL FROM
	OpRcpt     = "rcpt"     // RCPT TO
	OpData     = "data"     // DATA, the message and the server's verdict
)

// Errors that describe why a notice cannot be sent at all. Send wraps them
// in an [*Error] marked with [coaching.Permanent]; test with errors.Is.
var (
	// ErrNoNoticeID: the notice has no ID, so it has no Message-ID either.
	ErrNoNoticeID = errors.New("notice has no id")
	// ErrNoEmail: the recipient has no e-mail address.
	ErrNoEmail = errors.New("recipient has no e-mail address")
	// ErrInvalidAddress: the recipient's e-mail address is not a plain
	// RFC 5321 address this sender can use (one address, ASCII, no
	// display name, no quoting needed).
	ErrInvalidAddress = errors.New("recipient e-mail address is not valid")
	// ErrNoStartTLS: the server does not offer STARTTLS and
	// [Options].AllowInsecure is false.
	ErrNoStartTLS = errors.New("server does not offer STARTTLS, which is required")
	// ErrInsecureAuth: credentials are configured but the connection has no
	// TLS; they are not sent.
	ErrInsecureAuth = errors.New("refusing to authenticate without TLS")
)

// Error is a failed Send. Its message names the notice, the step and the
// SMTP reply code; the server's reply text is left out because servers
// often echo the recipient's address in it, and the error ends up in logs
// and in the outbox (Notice.LastError). Get the full reply with errors.As
// and *gosmtp.SMTPError.
type Error struct {
	// NoticeID is the ID of the notice that was not sent.
	NoticeID string
	// Op is the step that failed: one of the Op constants.
	Op string
	// Code is the SMTP reply code, or 0 when the failure was not an SMTP
	// reply (a network error, a missing address, …).
	Code int
	// EnhancedCode is the RFC 3463 status code of the reply, if the server
	// sent one, as "5.1.1"; empty otherwise.
	EnhancedCode string
	// Err is the cause.
	Err error
}

// Error implements error; it names the notice, the step and the SMTP code, never an address or the message.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "smtp: notice %q: %s: ", e.NoticeID, e.Op)
	if e.Code != 0 {
		fmt.Fprintf(&b, "server replied %d", e.Code)
		if e.EnhancedCode != "" {
			b.WriteString(" " + e.EnhancedCode)
		}
		return b.String()
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// fail builds the error Send returns for a failure in step op.
func (s *Sender) fail(ctx context.Context, id, op string, err error) error {
	var se *gosmtp.SMTPError
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) && !errors.As(err, &se) && op != OpCompose {
		// The connection was closed under the session because ctx ended;
		// the I/O error says less than the context does.
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	e := &Error{NoticeID: id, Op: op, Err: err}
	if errors.As(err, &se) {
		e.Code = se.Code
		if c := se.EnhancedCode; c != gosmtp.EnhancedCodeNotSet && c != gosmtp.NoEnhancedCode {
			e.EnhancedCode = fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
		}
	}
	switch {
	case misconfigured(op, err):
		return coaching.Misconfigured(e)
	case permanent(err):
		return coaching.Permanent(e)
	}
	return e
}

// misconfigured classifies a cause: true when the failure is the
// channel's, not the notice's — every notice would fail the same way until
// the sender's configuration or the server changes (a wrong password, a
// sender address the server refuses, a certificate that does not verify,
// TLS that is required but not offered). The dispatcher then pauses the
// channel instead of killing the notices one by one.
func misconfigured(op string, err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, ErrNoStartTLS) || errors.Is(err, ErrInsecureAuth) {
		return true
	}
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) {
		return true
	}
	var se *gosmtp.SMTPError
	if errors.As(err, &se) {
		// 530: authentication required, whatever the step. A 5xx before
		// the recipient is named refuses this sender, not the notice.
		if se.Code == 530 {
			return true
		}
		switch op {
		case OpMail:
			// 552 / 5.3.4 to MAIL FROM refuses the message's declared
			// SIZE (RFC 1870): this notice is too large, not the channel
			// wrong.
			if se.Code == 552 || se.EnhancedCode == (gosmtp.EnhancedCode{5, 3, 4}) {
				return false
			}
			return se.Code >= 500 && se.Code <= 599
		case OpStartTLS, OpTLS, OpHello, OpAuth:
			return se.Code >= 500 && se.Code <= 599
		}
		return false
	}
	var ae tls.AlertError
	var re tls.RecordHeaderError
	// The TLS handshake itself failed (no common version or cipher, a
	// plaintext server on a TLS port): the configuration must change.
	return op == OpTLS && (errors.As(err, &ae) || errors.As(err, &re))
}

// permanent classifies a cause: true when sending the same message to the
// same server again cannot succeed.
func permanent(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	for _, p := range []error{ErrNoNoticeID, ErrNoEmail, ErrInvalidAddress, ErrNoStartTLS, ErrInsecureAuth, errMessage} {
		if errors.Is(err, p) {
			return true
		}
	}
	var se *gosmtp.SMTPError
	if errors.As(err, &se) {
		return se.Code >= 500 && se.Code <= 599
	}
	// The server's certificate does not verify against TLSConfig: the
	// configuration (or the server's certificate) has to change first.
	var ce *tls.CertificateVerificationError
	return errors.As(err, &ce)
}
