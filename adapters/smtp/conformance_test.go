package smtp_test

import (
	"crypto/tls"
	"testing"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sendertest"
	"github.com/valmennus/valmennus/adapters/smtp"
	"github.com/valmennus/valmennus/coaching"
)

// The sender conformance suite, against a real go-smtp server with
// STARTTLS (the default, secure configuration). The server refuses either
// at RCPT or after the whole message at DATA, so both places a refusal can
// come are covered.
func TestConformance(t *testing.T) {
	for _, stage := range []string{"RefuseAtRCPT", "RefuseAtDATA"} {
		t.Run(stage, func(t *testing.T) {
			sendertest.Run(t, func(t *testing.T) sendertest.Harness {
				ts, clientTLS := tlsServer(t, serverOptions{})
				return &harness{ts: ts, clientTLS: clientTLS, atData: stage == "RefuseAtDATA"}
			})
		})
	}
}

type harness struct {
	ts        *testServer
	clientTLS *tls.Config
	atData    bool
}

func (h *harness) Sender(t *testing.T) coaching.Sender {
	return newSender(t, h.ts.Addr, func(o *smtp.Options) { o.TLSConfig = h.clientTLS })
}

// Received decodes what the server accepted: the notice ID from the
// Message-ID, the RCPT address, the RFC 2047 subject and the
// quoted-printable body.
func (h *harness) Received(t *testing.T) []sendertest.Received {
	var out []sendertest.Received
	for _, d := range h.ts.deliveries() {
		require.True(t, d.TLS, "a delivery without TLS")
		require.Len(t, d.To, 1, "one RCPT per notice")
		m := parseMessage(t, d.Data)
		id, _, err := smtp.ParseMessageID(m.Header.Get("Message-ID"))
		require.NoError(t, err)
		out = append(out, sendertest.Received{
			IdempotencyKey: id,
			To:             d.To[0],
			Subject:        m.Subject,
			Body:           m.Body,
			Raw:            d.Data,
		})
	}
	return out
}

func (h *harness) Fail(t *testing.T, f sendertest.Failure) {
	var reply error
	switch f {
	case sendertest.Accept:
	case sendertest.FailTransient:
		reply = &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	case sendertest.FailPermanent:
		reply = &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	default:
		t.Fatalf("unknown failure %v", f)
	}
	if h.atData {
		h.ts.refuse(nil, reply)
	} else {
		h.ts.refuse(reply, nil)
	}
}
