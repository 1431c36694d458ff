package smtp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"mime"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/smtp"
	"github.com/valmennus/valmennus/coaching"
)

var helsinki = mustLoad("Europe/Helsinki")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// fixedClock is 15 September 2025, 15:00 in Helsinki (EEST, +03:00).
var fixedClock = coaching.ClockFunc(func() time.Time { return time.Date(2025, 9, 15, 15, 0, 0, 0, helsinki) })

// newSender builds a sender for ts; tweak adjusts the options.
func newSender(t testing.TB, addr string, tweak func(*smtp.Options)) *smtp.Sender {
	t.Helper()
	o := smtp.Options{Addr: addr, From: "Valmennus <noreply@koulu.example>", Clock: fixedClock, Timeout: 10 * time.Second}
	if tweak != nil {
		tweak(&o)
	}
	s, err := smtp.New(o)
	require.NoError(t, err)
	return s
}

// tlsServer starts a server offering STARTTLS with a self-signed
// certificate and returns it with client options that trust it.
func tlsServer(t testing.TB, o serverOptions) (*testServer, *tls.Config) {
	t.Helper()
	serverTLS, roots := selfSigned(t)
	o.TLS = serverTLS
	return startServer(t, o), &tls.Config{RootCAs: roots}
}

// The message as it arrives: every header required, in RFC 5322/2045/2047
// form, with CRLF line endings, and every header and the body decoding back
// to the notice.
func TestMessage(t *testing.T) {
	ts, clientTLS := tlsServer(t, serverOptions{})
	s := newSender(t, ts.Addr, func(o *smtp.Options) { o.TLSConfig = clientTLS })
	n := guardianNotice()
	require.NoError(t, s.Send(t.Context(), n))

	ds := ts.deliveries()
	require.Len(t, ds, 1)
	d := ds[0]
	assert.Equal(t, "noreply@koulu.example", d.From, "envelope sender")
	assert.Equal(t, []string{"huoltaja.ohman@example.fi"}, d.To, "envelope recipient")

	raw := string(d.Data)
	t.Logf("received:\n%s", raw)
	for i, l := range lines(t, raw) {
		if strings.HasPrefix(l, "Message-ID: ") {
			continue // a msg-id cannot be folded
		}
		assert.LessOrEqual(t, len(l), 78, "line %d is longer than 78 characters: %q", i+1, l)
	}
	for _, b := range []byte(raw) {
		if b >= 0x80 {
			t.Fatalf("the message is not 7-bit clean:\n%s", raw)
		}
	}

	m := parseMessage(t, d.Data)
	h := m.Header
	// Exact values.
	assert.Equal(t, "Mon, 15 Sep 2025 15:00:00 +0300", h.Get("Date"), "Date comes from the Clock, RFC 5322 form")
	assert.Equal(t, "1.0", h.Get("MIME-Version"))
	assert.Equal(t, "text/plain; charset=UTF-8", h.Get("Content-Type"))
	assert.Equal(t, "quoted-printable", h.Get("Content-Transfer-Encoding"))
	assert.Equal(t, "auto-generated", h.Get("Auto-Submitted"))
	assert.Equal(t, "fi", h.Get("Content-Language"))
	assert.Equal(t, "<K7QX3VZD2M4HNWTB6YJR5PELCA%3A3%3Aattendance_digest%3Ag-1@koulu.example>", h.Get("Message-ID"))
	assert.Contains(t, m.RawHeader, "\r\nMessage-ID: <K7QX3VZD2M4HNWTB6YJR5PELCA%3A3%3Aattendance_digest%3Ag-1@koulu.example>\r\n")
	date, err := h.Date()
	require.NoError(t, err)
	assert.True(t, date.Equal(fixedClock.Now()))

	// The Message-ID decodes back to the notice ID.
	id, domain, err := smtp.ParseMessageID(h.Get("Message-ID"))
	require.NoError(t, err)
	assert.Equal(t, n.ID, id)
	assert.Equal(t, "koulu.example", domain, "MessageIDDomain defaults to the From domain")

	// Encoded headers decode back to the UTF-8 text.
	dec := new(mime.WordDecoder)
	assert.Equal(t, "Poissaolo tänään: Östen Äijälä", m.Subject)
	assert.Regexp(t, `^=\?UTF-8\?q\?Poissaolo_t=C3=A4n`, h.Get("Subject"), "a non-ASCII subject is Q-encoded")
	assert.Contains(t, m.RawHeader, "\r\nSubject: =?UTF-8?q?")
	to, err := mail.ParseAddress(h.Get("To"))
	require.NoError(t, err)
	assert.Equal(t, "huoltaja.ohman@example.fi", to.Address)
	assert.Equal(t, "Äijälä Öhman", to.Name)
	rawName, _, ok := strings.Cut(h.Get("To"), " <")
	require.True(t, ok, "To has no display name: %q", h.Get("To"))
	name, err := dec.DecodeHeader(rawName)
	require.NoError(t, err)
	assert.Equal(t, "Äijälä Öhman", name, "the To display name RFC 2047-decodes back")
	from, err := mail.ParseAddress(h.Get("From"))
	require.NoError(t, err)
	assert.Equal(t, mail.Address{Name: "Valmennus", Address: "noreply@koulu.example"}, *from)

	// The body: quoted-printable, decoding to the text with CRLF line
	// breaks, the dot lines and the trailing space intact.
	want := strings.ReplaceAll(n.Body, "\n", "\r\n")
	assert.Equal(t, want, m.Body)
	assert.Contains(t, raw, "=C3=84rla St=C3=A5hlberg", "UTF-8 bytes are quoted-printable encoded")
	assert.Contains(t, raw, "v=C3=A4lily=C3=B6nti=20\r\n", "trailing white space is encoded")

	// Exactly these header fields, each once, in this order.
	var names []string
	for _, l := range lines(t, m.RawHeader) {
		if l[0] != ' ' && l[0] != '\t' {
			names = append(names, l[:strings.IndexByte(l, ':')])
		}
	}
	assert.Equal(t, []string{"Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding", "Auto-Submitted", "Content-Language"}, names)
}

// Long and awkward subjects stay within the line limits and decode back
// exactly.
func TestSubjects(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, ts.Addr, func(o *smtp.Options) { o.AllowInsecure = true })
	long := strings.Repeat("Poissaoloilmoitus: Östen Äijälä ja Åsa Öhman, tunnit 3–4. ", 6)
	cases := []struct{ name, subject, want string }{
		{"ascii", "Absences on Tuesday", "Absences on Tuesday"},
		{"long UTF-8 folded", long, strings.TrimSpace(long)},
		{"long ASCII folded", strings.Repeat("Absence digest for the week ", 8), strings.TrimSpace(strings.Repeat("Absence digest for the week ", 8))},
		{"looks encoded", "=?UTF-8?q?x?= is not an encoded word", "=?UTF-8?q?x?= is not an encoded word"},
		{"one very long word", strings.Repeat("x", 1200), strings.Repeat("x", 1200)},
		{"empty", "", ""},
		{"white space", "  Poissaolo\t tänään  ", "Poissaolo tänään"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := guardianNotice()
			n.ID = n.ID + "-" + tc.name
			n.Subject = tc.subject
			before := len(ts.deliveries())
			require.NoError(t, s.Send(t.Context(), n))
			ds := ts.deliveries()
			require.Len(t, ds, before+1)
			m := parseMessage(t, ds[before].Data)
			assert.Equal(t, tc.want, m.Subject)
			for _, l := range lines(t, m.RawHeader) {
				if strings.Contains(l, "=?") {
					assert.LessOrEqual(t, len(l), 76, "RFC 2047: a line with encoded-words is at most 76 long: %q", l)
				}
				if !strings.HasPrefix(l, "Message-ID: ") {
					assert.LessOrEqual(t, len(l), 78, "header line too long: %q", l)
				}
				assert.NotEqual(t, "Subject:", l, "the subject starts on the field's line")
			}
		})
	}
}

// A subject or name carrying CR/LF cannot add header fields or recipients,
// and a notice ID cannot break out of the Message-ID.
func TestHeaderInjection(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, ts.Addr, func(o *smtp.Options) { o.AllowInsecure = true })
	n := guardianNotice()
	n.ID = "n-1>\r\nBcc: <evil@example.com"
	n.Subject = "Poissaolo\r\nBcc: evil@example.com\r\n\r\nInjected body"
	n.Recipient.Name = "Äijälä\r\nX-Injected: 1\nCc: evil2@example.com"
	require.NoError(t, s.Send(t.Context(), n))

	ds := ts.deliveries()
	require.Len(t, ds, 1)
	assert.Equal(t, []string{"huoltaja.ohman@example.fi"}, ds[0].To, "no extra envelope recipient")
	m := parseMessage(t, ds[0].Data)
	for _, l := range lines(t, m.RawHeader) {
		for _, bad := range []string{"bcc:", "cc:", "x-injected:"} {
			assert.False(t, strings.HasPrefix(strings.ToLower(l), bad), "injected header line %q", l)
		}
	}
	assert.Empty(t, m.Header.Get("Bcc"))
	assert.Empty(t, m.Header.Get("Cc"))
	assert.Empty(t, m.Header.Get("X-Injected"))
	assert.Equal(t, "Poissaolo Bcc: evil@example.com Injected body", m.Subject, "CR/LF become spaces")
	to, err := mail.ParseAddress(m.Header.Get("To"))
	require.NoError(t, err)
	assert.Equal(t, "Äijälä X-Injected: 1 Cc: evil2@example.com", to.Name)
	assert.Equal(t, "huoltaja.ohman@example.fi", to.Address)
	id, _, err := smtp.ParseMessageID(m.Header.Get("Message-ID"))
	require.NoError(t, err)
	assert.Equal(t, n.ID, id)
	assert.Equal(t, strings.ReplaceAll(guardianNotice().Body, "\n", "\r\n"), m.Body)
}

// STARTTLS is required by default: a server without it gets no MAIL
// command, and the error is permanent.
func TestStartTLSRequired(t *testing.T) {
	ts := startServer(t, serverOptions{})
	s := newSender(t, ts.Addr, nil)
	err := s.Send(t.Context(), guardianNotice())
	require.Error(t, err)
	assert.True(t, coaching.IsMisconfigured(err) && !coaching.IsPermanent(err), "%v", err)
	assert.ErrorIs(t, err, smtp.ErrNoStartTLS)
	var se *smtp.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, smtp.OpStartTLS, se.Op)
	assert.Contains(t, err.Error(), guardianNotice().ID)
	assert.Empty(t, ts.deliveries())
	mails, _ := ts.counts()
	assert.Zero(t, mails, "nothing may be sent in plaintext")
}

func TestStartTLS(t *testing.T) {
	ts, clientTLS := tlsServer(t, serverOptions{})
	s := newSender(t, ts.Addr, func(o *smtp.Options) {
		o.TLSConfig = clientTLS
		o.Hostname = "valmennus.koulu.example"
	})
	require.NoError(t, s.Send(t.Context(), guardianNotice()))
	ds := ts.deliveries()
	require.Len(t, ds, 1)
	assert.True(t, ds[0].TLS, "the server saw the message over TLS")
	assert.Equal(t, "valmennus.koulu.example", ds[0].Hostname, "Hostname is the EHLO name after STARTTLS")
}

// AllowInsecure delivers to a server without STARTTLS in plaintext, and
// still uses STARTTLS where it is offered.
func TestAllowInsecure(t *testing.T) {
	t.Run("no STARTTLS", func(t *testing.T) {
		ts := startServer(t, serverOptions{})
		s := newSender(t, ts.Addr, func(o *smtp.Options) { o.AllowInsecure = true })
		require.NoError(t, s.Send(t.Context(), guardianNotice()))
		ds := ts.deliveries()
		require.Len(t, ds, 1)
		assert.False(t, ds[0].TLS)
		assert.Equal(t, "localhost", ds[0].Hostname, "the default EHLO name")
		m := parseMessage(t, ds[0].Data)
		assert.Equal(t, "Poissaolo tänään: Östen Äijälä", m.Subject)
	})
	t.Run("STARTTLS offered", func(t *testing.T) {
		ts, clientTLS := tlsServer(t, serverOptions{})
		s := newSender(t, ts.Addr, func(o *smtp.Options) { o.AllowInsecure = true; o.TLSConfig = clientTLS })
		require.NoError(t, s.Send(t.Context(), guardianNotice()))
		ds := ts.deliveries()
		require.Len(t, ds, 1)
		assert.True(t, ds[0].TLS, "STARTTLS is used when offered")
	})
}

// A certificate that does not verify stops the session before MAIL; retrying
// with the same configuration cannot help.
func TestUntrustedCertificate(t *testing.T) {
	for _, allow := range []bool{false, true} {
		ts, _ := tlsServer(t, serverOptions{})
		s := newSender(t, ts.Addr, func(o *smtp.Options) { o.AllowInsecure = allow })
		err := s.Send(t.Context(), guardianNotice())
		require.Error(t, err)
		assert.True(t, coaching.IsMisconfigured(err) && !coaching.IsPermanent(err), "AllowInsecure=%v: %v", allow, err)
		var se *smtp.Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, smtp.OpTLS, se.Op)
		assert.Empty(t, ts.deliveries())
	}
}

func TestAuth(t *testing.T) {
	users := map[string]string{"valmennus": "s3cret"}
	t.Run("PLAIN over TLS", func(t *testing.T) {
		ts, clientTLS := tlsServer(t, serverOptions{Users: users})
		s := newSender(t, ts.Addr, func(o *smtp.Options) {
			o.TLSConfig, o.Username, o.Password = clientTLS, "valmennus", "s3cret"
		})
		require.NoError(t, s.Send(t.Context(), guardianNotice()))
		ds := ts.deliveries()
		require.Len(t, ds, 1)
		assert.Equal(t, "valmennus", ds[0].User)
		assert.True(t, ds[0].TLS)
	})
	t.Run("wrong password", func(t *testing.T) {
		ts, clientTLS := tlsServer(t, serverOptions{Users: users})
		s := newSender(t, ts.Addr, func(o *smtp.Options) {
			o.TLSConfig, o.Username, o.Password = clientTLS, "valmennus", "wrong"
		})
		err := s.Send(t.Context(), guardianNotice())
		require.Error(t, err)
		assert.True(t, coaching.IsMisconfigured(err) && !coaching.IsPermanent(err), "%v", err)
		assert.NotContains(t, err.Error(), "wrong")
		var se *smtp.Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, smtp.OpAuth, se.Op)
		assert.Equal(t, 535, se.Code)
		assert.Empty(t, ts.deliveries())
	})
	t.Run("never without TLS", func(t *testing.T) {
		// The server would take AUTH in plaintext; the sender must not
		// offer the password.
		ts := startServer(t, serverOptions{Users: users, AllowInsecureAuth: true})
		s := newSender(t, ts.Addr, func(o *smtp.Options) {
			o.AllowInsecure, o.Username, o.Password = true, "valmennus", "s3cret"
		})
		err := s.Send(t.Context(), guardianNotice())
		require.Error(t, err)
		assert.True(t, coaching.IsMisconfigured(err) && !coaching.IsPermanent(err), "%v", err)
		assert.ErrorIs(t, err, smtp.ErrInsecureAuth)
		mails, auths := ts.counts()
		assert.Zero(t, auths, "no AUTH over plaintext")
		assert.Zero(t, mails)
		assert.Empty(t, ts.deliveries())
	})
}

// SMTP replies: 4xx is worth retrying, 5xx is not; a 5xx before the
// recipient is named, or a 530 anywhere, is the channel's fault. Errors name
// the notice and the code, never the text, the subject or the address.
func TestReplies(t *testing.T) {
	cases := []struct {
		name          string
		rcpt          error
		data          error
		op            string
		code          int
		enhanced      string
		permanent     bool
		misconfigured bool
		mail          error
	}{
		{name: "MAIL 553", mail: &gosmtp.SMTPError{Code: 553, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Message: "sender address rejected"},
			op: smtp.OpMail, code: 553, enhanced: "5.7.1", misconfigured: true},
		{name: "MAIL 552 message too large", mail: &gosmtp.SMTPError{Code: 552, EnhancedCode: gosmtp.EnhancedCode{5, 3, 4}, Message: "message size exceeds fixed limit"},
			op: smtp.OpMail, code: 552, enhanced: "5.3.4", permanent: true},
		{name: "MAIL 554 5.3.4", mail: &gosmtp.SMTPError{Code: 554, EnhancedCode: gosmtp.EnhancedCode{5, 3, 4}, Message: "too big"},
			op: smtp.OpMail, code: 554, enhanced: "5.3.4", permanent: true},
		{name: "MAIL 451", mail: &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try later"},
			op: smtp.OpMail, code: 451, enhanced: "4.3.0"},
		{name: "RCPT 530", rcpt: &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "authentication required"},
			op: smtp.OpRcpt, code: 530, enhanced: "5.7.0", misconfigured: true},
		{"RCPT 451", &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try later"}, nil, smtp.OpRcpt, 451, "4.3.0", false, false, nil},
		{"RCPT 550", &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "<huoltaja.ohman@example.fi>: no such user"}, nil, smtp.OpRcpt, 550, "5.1.1", true, false, nil},
		{"DATA 451", nil, &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try later"}, smtp.OpData, 451, "4.3.0", false, false, nil},
		{"DATA 452", nil, &gosmtp.SMTPError{Code: 452, EnhancedCode: gosmtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}, smtp.OpData, 452, "4.2.2", false, false, nil},
		{"DATA 554", nil, &gosmtp.SMTPError{Code: 554, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Message: "rejected as spam"}, smtp.OpData, 554, "5.7.1", true, false, nil},
		{"DATA 550 without enhanced code", nil, &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.NoEnhancedCode, Message: "no"}, smtp.OpData, 550, "", true, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, serverOptions{})
			ts.refuse(tc.rcpt, tc.data)
			ts.refuseSender(tc.mail)
			s := newSender(t, ts.Addr, func(o *smtp.Options) { o.AllowInsecure = true })
			n := guardianNotice()
			err := s.Send(t.Context(), n)
			require.Error(t, err)
			assert.Equal(t, tc.permanent, coaching.IsPermanent(err), "%v", err)
			assert.Equal(t, tc.misconfigured, coaching.IsMisconfigured(err), "%v", err)
			var se *smtp.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.op, se.Op)
			assert.Equal(t, tc.code, se.Code)
			assert.Equal(t, tc.enhanced, se.EnhancedCode)
			assert.Equal(t, n.ID, se.NoticeID)
			var reply *gosmtp.SMTPError
			require.ErrorAs(t, err, &reply, "the server's reply is reachable with errors.As")
			assert.Equal(t, tc.code, reply.Code)

			msg := err.Error()
			assert.Contains(t, msg, n.ID)
			assert.Contains(t, msg, "server replied "+strings.TrimSpace(strings.Join([]string{strconv.Itoa(tc.code), tc.enhanced}, " ")))
			for _, secret := range []string{n.Recipient.Contact.Email, n.Recipient.Name, n.Subject, "Östen", "luvatta", "no such user"} {
				assert.NotContains(t, msg, secret)
			}
			assert.Empty(t, ts.deliveries())

			// The server accepting again, the notice goes through.
			ts.refuse(nil, nil)
			ts.refuseSender(nil)
			require.NoError(t, s.Send(t.Context(), n))
			assert.Len(t, ts.deliveries(), 1)
		})
	}
}

// Recipients that can never be mailed fail permanently before any
// connection is made.
func TestRecipientErrors(t *testing.T) {
	// Nothing listens at addr: a dial would fail transiently, so a
	// permanent error shows the notice was rejected before dialling.
	s := newSender(t, closedAddr(t), nil)
	cases := []struct {
		name  string
		email string
		want  error
	}{
		{"no address", "", smtp.ErrNoEmail},
		{"blank address", "   ", smtp.ErrNoEmail},
		{"not an address", "huoltaja at example.fi", smtp.ErrInvalidAddress},
		{"display name", "Äijälä <huoltaja@example.fi>", smtp.ErrInvalidAddress},
		{"two addresses", "a@example.fi, b@example.fi", smtp.ErrInvalidAddress},
		{"CRLF", "a@example.fi\r\nRCPT TO:<evil@example.com>", smtp.ErrInvalidAddress},
		{"non-ASCII", "äiti@example.fi", smtp.ErrInvalidAddress},
		{"needs quoting", `"a b"@example.fi`, smtp.ErrInvalidAddress},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := guardianNotice()
			n.Recipient.Contact.Email = tc.email
			err := s.Send(t.Context(), n)
			require.Error(t, err)
			assert.True(t, coaching.IsPermanent(err), "%v", err)
			assert.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), n.ID)
			if tc.email != "" && strings.TrimSpace(tc.email) != "" {
				assert.NotContains(t, err.Error(), tc.email)
			}
		})
	}
	t.Run("header line over 998 characters", func(t *testing.T) {
		longName := guardianNotice()
		longName.Recipient.Name = strings.Repeat("A", 1000) // one quoted word
		longID := guardianNotice()
		longID.ID = strings.Repeat("n", 1000) // a msg-id cannot be folded
		for _, n := range []coaching.Notice{longName, longID} {
			err := s.Send(t.Context(), n)
			assert.True(t, coaching.IsPermanent(err), "%v", err)
			var se *smtp.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, smtp.OpCompose, se.Op)
		}
	})
	t.Run("no notice id", func(t *testing.T) {
		n := guardianNotice()
		n.ID = ""
		err := s.Send(t.Context(), n)
		assert.True(t, coaching.IsPermanent(err), "%v", err)
		assert.ErrorIs(t, err, smtp.ErrNoNoticeID)
	})
}

func TestConnectionRefused(t *testing.T) {
	s := newSender(t, closedAddr(t), nil)
	n := guardianNotice()
	err := s.Send(t.Context(), n)
	require.Error(t, err)
	assert.False(t, coaching.IsPermanent(err), "%v", err)
	var se *smtp.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, smtp.OpDial, se.Op)
	assert.Contains(t, err.Error(), n.ID)
}

// A server that says nothing: cancelling the context, or the Timeout,
// ends Send promptly with a transient error.
func TestContext(t *testing.T) {
	addr := silentListener(t)
	t.Run("cancelled mid-session", func(t *testing.T) {
		s := newSender(t, addr, nil)
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := s.Send(ctx, guardianNotice())
		assert.Less(t, time.Since(start), 2*time.Second)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, coaching.IsPermanent(err), "%v", err)
	})
	t.Run("already cancelled", func(t *testing.T) {
		ts := startServer(t, serverOptions{})
		s := newSender(t, ts.Addr, func(o *smtp.Options) { o.AllowInsecure = true })
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := s.Send(ctx, guardianNotice())
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, coaching.IsPermanent(err), "%v", err)
		assert.Empty(t, ts.deliveries())
	})
	t.Run("Timeout", func(t *testing.T) {
		s := newSender(t, addr, func(o *smtp.Options) { o.Timeout = 200 * time.Millisecond })
		start := time.Now()
		err := s.Send(t.Context(), guardianNotice())
		assert.Less(t, time.Since(start), 2*time.Second)
		require.Error(t, err)
		assert.False(t, coaching.IsPermanent(err), "%v", err)
		assert.True(t, errors.Is(err, context.DeadlineExceeded) || isTimeout(err), "%v", err)
	})
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func TestNew(t *testing.T) {
	ok := smtp.Options{Addr: "smtp.koulu.example:587", From: "noreply@koulu.example"}
	_, err := smtp.New(ok)
	require.NoError(t, err)
	for name, tweak := range map[string]func(*smtp.Options){
		"no Addr":            func(o *smtp.Options) { o.Addr = "" },
		"Addr without port":  func(o *smtp.Options) { o.Addr = "smtp.koulu.example" },
		"no From":            func(o *smtp.Options) { o.From = "" },
		"bad From":           func(o *smtp.Options) { o.From = "not an address" },
		"non-ASCII From":     func(o *smtp.Options) { o.From = "pää@koulu.example" },
		"Password alone":     func(o *smtp.Options) { o.Password = "x" },
		"negative Timeout":   func(o *smtp.Options) { o.Timeout = -time.Second },
		"Hostname with CRLF": func(o *smtp.Options) { o.Hostname = "a\r\nMAIL FROM:<x@y>" },
		"bad MessageIDDomain": func(o *smtp.Options) {
			o.MessageIDDomain = "koulu example"
		},
		"From domain literal without MessageIDDomain": func(o *smtp.Options) { o.From = "noreply@[1.2.3.4]" },
	} {
		t.Run(name, func(t *testing.T) {
			o := ok
			tweak(&o)
			_, err := smtp.New(o)
			assert.Error(t, err)
		})
	}
	t.Run("display name with non-ASCII", func(t *testing.T) {
		ts := startServer(t, serverOptions{})
		s := newSender(t, ts.Addr, func(o *smtp.Options) {
			o.AllowInsecure = true
			o.From = "Valmennus – Äänekosken ammattiopisto <noreply@koulu.example>"
			o.MessageIDDomain = "notices.koulu.example"
		})
		require.NoError(t, s.Send(t.Context(), guardianNotice()))
		m := parseMessage(t, ts.deliveries()[0].Data)
		from, err := mail.ParseAddress(m.Header.Get("From"))
		require.NoError(t, err)
		assert.Equal(t, "Valmennus – Äänekosken ammattiopisto", from.Name)
		assert.True(t, strings.HasSuffix(m.Header.Get("Message-ID"), "@notices.koulu.example>"))
	})
}

// msgIDLeft is RFC 5322 dot-atom-text.
var msgIDLeft = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")

func TestMessageID(t *testing.T) {
	ids := []string{
		"n-1", "K7QX3VZD2M4HNWTB6YJR5PELCA:3:attendance_digest:g-1", "a.b", "a%2Eb", "%", "%%41",
		"with space", "<angle>", "x@y", "äiti", "\r\n", "..", "a\x00b", "a_b-c", strings.Repeat("z", 300),
	}
	seen := map[string]string{}
	for _, id := range ids {
		mid := smtp.MessageID(id, "koulu.example")
		require.True(t, strings.HasPrefix(mid, "<") && strings.HasSuffix(mid, "@koulu.example>"), mid)
		left := strings.TrimSuffix(strings.TrimPrefix(mid, "<"), "@koulu.example>")
		assert.Regexp(t, msgIDLeft, left, "id %q", id)
		if other, dup := seen[mid]; dup {
			t.Errorf("ids %q and %q map to the same Message-ID %s", id, other, mid)
		}
		seen[mid] = id
		got, domain, err := smtp.ParseMessageID(" " + mid + " ")
		require.NoError(t, err)
		assert.Equal(t, id, got)
		assert.Equal(t, "koulu.example", domain)
		assert.Equal(t, mid, smtp.MessageID(id, "koulu.example"), "deterministic")
	}
	for _, bad := range []string{"", "n-1@x", "<n-1>", "<@x>", "<n-1@>", "<a%2@x>", "<a%zz@x>", "<a%41@x>", "<a%2e@x>", "<a.b@x>", "<a b@x>"} {
		_, _, err := smtp.ParseMessageID(bad)
		assert.Error(t, err, "%q", bad)
	}
}
