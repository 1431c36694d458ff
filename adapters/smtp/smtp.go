// Package smtp delivers coaching notices as e-mail over SMTP.
//
// A [Sender] is a [coaching.Sender]: the [coaching.Dispatcher] hands it one
// claimed notice at a time and it mails the notice to
// n.Recipient.Contact.Email as a single-part text/plain message in UTF-8,
// quoted-printable encoded, with RFC 2047 encoded headers so Finnish and
// Swedish names survive every mail client.
//
// # Idempotency
//
// Delivery is at-least-once: when the connection breaks after the message
// was sent but before the server's answer arrived, Send reports a transient
// error and the dispatcher sends the notice again. Every message therefore
// carries Message-ID <ID@domain>, derived injectively from the notice ID
// (see [MessageID] and [ParseMessageID]), so a receiving system can discard
// the duplicate.
//
// # Transport security
//
// STARTTLS is required by default: if the server does not offer it, Send
// fails with a permanent error (errors.Is(err, [ErrNoStartTLS])) and nothing
// is transmitted after the EHLO. [Options].AllowInsecure turns the
// requirement off for a relay on a trusted network or a test server: STARTTLS
// is still used when offered, and only a server that does not offer it gets
// the message in plaintext. Credentials are never sent without TLS.
//
// With STARTTLS the go-smtp client always introduces itself as "localhost"
// before the TLS handshake (a deliberate choice of that library: the
// pre-TLS greeting can be tampered with and RFC 3207 makes the server forget
// it); [Options].Hostname is used for the EHLO after the handshake and for
// plaintext sessions.
//
// # Connections
//
// Each Send dials its own connection and closes it afterwards; there is no
// pool. Notices are few (a digest per student a day, staff alerts) and a
// fresh connection cannot inherit a half-broken session. Send may be called
// concurrently.
//
// # Errors
//
// A failed Send returns an [*Error] naming the notice ID, the step that
// failed and the SMTP reply code, never the message text or the recipient's
// address. Errors worth retrying are returned plain: connection refused,
// timeouts, a cancelled context, a broken connection and SMTP 4xx replies.
// Errors that are the channel's fault, not the notice's, are wrapped with
// [coaching.Misconfigured], so that the dispatcher pauses the channel
// rather than kill every notice on it: a missing STARTTLS when it is
// required, a server certificate that does not verify, a failed TLS
// handshake, credentials configured for a connection without TLS, an SMTP
// 530 (authentication required) at any step, and any other 5xx reply
// before the recipient is named (to STARTTLS, EHLO, AUTH — a wrong
// password — or MAIL FROM — a sender address the server refuses, except
// 552 or 5.3.4, a message larger than the server takes, which is the
// notice's own and permanent). Errors
// of the one notice that retrying cannot fix are wrapped with
// [coaching.Permanent]: SMTP 5xx replies to RCPT TO and DATA, a notice
// without an ID, a recipient without an e-mail address or with an invalid
// one, and a notice that makes a header line longer than RFC 5322 allows.
package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/valmennus/valmennus/coaching"
)

// DefaultTimeout bounds one Send (dial and the whole SMTP session) when
// [Options].Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Options configure a [Sender].
type Options struct {
	// Addr is the server's host:port, e.g. "smtp.koulu.example:587".
	// Required.
	Addr string
	// From is the sender as an RFC 5322 address, optionally with a display
	// name: "Valmennus <noreply@koulu.example>". Its address is also the
	// envelope sender (MAIL FROM) and must be plain ASCII. Required.
	From string
	// Username and Password, when set, authenticate with SASL PLAIN after
	// STARTTLS. They are never sent over a connection without TLS: Send
	// fails permanently instead. Optional; Password requires Username.
	Username string
	Password string
	// AllowInsecure permits delivery to a server that does not offer
	// STARTTLS, in plaintext. By default (false) STARTTLS is required and a
	// server without it is a permanent error. Even when true, STARTTLS is
	// used if the server offers it; a server without STARTTLS then costs a
	// second connection per Send, because the first one cannot be
	// downgraded. Certificate checking is not affected: it follows
	// TLSConfig.
	AllowInsecure bool
	// TLSConfig is used for STARTTLS. Defaults to a config with TLS 1.2 as
	// the minimum; if ServerName is empty it is set to the host of Addr.
	// The config is cloned by New.
	TLSConfig *tls.Config
	// Timeout bounds one Send: dial, TLS handshake and the whole SMTP
	// session, on top of the context's own deadline. Defaults to
	// [DefaultTimeout] (30 seconds).
	Timeout time.Duration
	// Hostname is the name given in EHLO/HELO. Defaults to "localhost".
	// With STARTTLS it is used for the EHLO after the handshake (see the
	// package documentation).
	Hostname string
	// MessageIDDomain is the right-hand side of every Message-ID. Defaults
	// to the domain of From.
	MessageIDDomain string
	// Clock gives the Date header. Defaults to [coaching.SystemClock].
	Clock coaching.Clock
}

// Sender mails notices over SMTP. It implements [coaching.Sender]; create it
// with [New]. It is safe for concurrent use.
type Sender struct {
	addr          string
	from          *mail.Address
	fromHeader    string
	username      string
	password      string
	allowInsecure bool
	tlsConfig     *tls.Config
	timeout       time.Duration
	hostname      string
	msgIDDomain   string
	clock         coaching.Clock
}

var _ coaching.Sender = (*Sender)(nil)

// New validates opts, applies the defaults and returns a Sender. It does not
// connect to the server.
func New(opts Options) (*Sender, error) {
	bad := func(format string, args ...any) (*Sender, error) {
		return nil, fmt.Errorf("smtp: New: "+format, args...)
	}
	if opts.Addr == "" {
		return bad("Addr is required")
	}
	host, port, err := net.SplitHostPort(opts.Addr)
	if err != nil || host == "" || port == "" {
		return bad("Addr %q is not host:port", opts.Addr)
	}
	if opts.From == "" {
		return bad("From is required")
	}
	from, err := mail.ParseAddress(opts.From)
	if err != nil {
		return bad("From %q is not an e-mail address: %v", opts.From, err)
	}
	if !plainAddress(from.Address) {
		return bad("the From address %q must be ASCII and need no quoting", from.Address)
	}
	from.Name = headerText(from.Name)
	if opts.Password != "" && opts.Username == "" {
		return bad("Password is set without Username")
	}
	if opts.Timeout < 0 {
		return bad("Timeout %s is negative", opts.Timeout)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Hostname == "" {
		opts.Hostname = "localhost"
	}
	if !validHostname(opts.Hostname) {
		return bad("Hostname %q is not a host name or address literal", opts.Hostname)
	}
	if opts.MessageIDDomain == "" {
		opts.MessageIDDomain = from.Address[lastAt(from.Address)+1:]
		if !validMsgIDDomain(opts.MessageIDDomain) {
			return bad("the domain of From (%q) cannot be a Message-ID domain; set MessageIDDomain", opts.MessageIDDomain)
		}
	} else if !validMsgIDDomain(opts.MessageIDDomain) {
		return bad("MessageIDDomain %q is not an ASCII domain name", opts.MessageIDDomain)
	}
	if opts.Clock == nil {
		opts.Clock = coaching.SystemClock{}
	}
	var tlsConfig *tls.Config
	if opts.TLSConfig != nil {
		tlsConfig = opts.TLSConfig.Clone()
	} else {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	return &Sender{
		addr:          opts.Addr,
		from:          from,
		fromHeader:    from.String(),
		username:      opts.Username,
		password:      opts.Password,
		allowInsecure: opts.AllowInsecure,
		tlsConfig:     tlsConfig,
		timeout:       opts.Timeout,
		hostname:      opts.Hostname,
		msgIDDomain:   opts.MessageIDDomain,
		clock:         opts.Clock,
	}, nil
}

// Send mails n to n.Recipient.Contact.Email over a connection of its own.
// It returns nil once the server accepted the message (250 after DATA).
// Errors are [*Error]; those retrying cannot fix are wrapped with
// [coaching.Permanent] (see the package documentation).
func (s *Sender) Send(ctx context.Context, n coaching.Notice) error {
	rcpt, msg, err := s.compose(n)
	if err != nil {
		return s.fail(ctx, n.ID, OpCompose, err)
	}
	if err := ctx.Err(); err != nil {
		return s.fail(ctx, n.ID, OpDial, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	op, err := s.deliver(ctx, rcpt, msg, true)
	if err != nil && s.allowInsecure && errors.Is(err, ErrNoStartTLS) {
		op, err = s.deliver(ctx, rcpt, msg, false)
	}
	if err != nil {
		return s.fail(ctx, n.ID, op, err)
	}
	return nil
}

// deliver runs one SMTP session. It returns the step that failed, if any.
func (s *Sender) deliver(ctx context.Context, rcpt string, msg []byte, startTLS bool) (string, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return OpDial, err
	}
	// Cancelling ctx (or reaching its deadline) aborts whatever I/O is in
	// flight; the deadline on the connection does the same for the
	// timeout even if this callback is late.
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	defer stop()
	deadline, _ := ctx.Deadline()
	conn := &deadlineConn{Conn: raw, limit: deadline}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		_ = raw.Close()
		return OpDial, err
	}

	var c *gosmtp.Client
	if startTLS {
		c, err = gosmtp.NewClientStartTLS(conn, s.tlsConfig)
		if err != nil {
			_ = raw.Close()
			if isNoStartTLS(err) {
				err = ErrNoStartTLS
			}
			return OpStartTLS, err
		}
	} else {
		c = gosmtp.NewClient(conn)
	}
	defer func() { _ = c.Close() }()
	c.CommandTimeout = s.timeout
	c.SubmissionTimeout = s.timeout

	// With STARTTLS this EHLO is the first traffic over TLS and so also
	// runs the handshake.
	if err := c.Hello(s.hostname); err != nil {
		if st, ok := c.TLSConnectionState(); ok && !st.HandshakeComplete {
			return OpTLS, err
		}
		return OpHello, err
	}
	if s.username != "" {
		if _, ok := c.TLSConnectionState(); !ok {
			return OpAuth, ErrInsecureAuth
		}
		if err := c.Auth(sasl.NewPlainClient("", s.username, s.password)); err != nil {
			return OpAuth, err
		}
	}
	if err := c.Mail(s.from.Address, &gosmtp.MailOptions{Size: int64(len(msg))}); err != nil {
		return OpMail, err
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return OpRcpt, err
	}
	w, err := c.Data()
	if err != nil {
		return OpData, err
	}
	if _, err := w.Write(msg); err != nil {
		return OpData, err
	}
	if err := w.Close(); err != nil {
		return OpData, err
	}
	// The message is accepted; a failed QUIT changes nothing.
	_ = c.Quit()
	return "", nil
}

// deadlineConn keeps every deadline the SMTP client sets (it sets one per
// command and clears it afterwards) within limit, so no step of the session
// outlives the Send's context.
type deadlineConn struct {
	net.Conn
	limit time.Time
}

func (c *deadlineConn) clamp(t time.Time) time.Time {
	if !c.limit.IsZero() && (t.IsZero() || t.After(c.limit)) {
		return c.limit
	}
	return t
}

func (c *deadlineConn) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.clamp(t))
}
func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.clamp(t))
}

// isNoStartTLS recognises go-smtp's error for a server that does not
// advertise STARTTLS; the library has no sentinel for it. A test pins the
// text for the go-smtp version in go.mod.
func isNoStartTLS(err error) bool {
	var se *gosmtp.SMTPError
	return !errors.As(err, &se) && err.Error() == "smtp: server doesn't support STARTTLS"
}
