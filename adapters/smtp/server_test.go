package smtp_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// delivery is one message the test server accepted.
type delivery struct {
	From     string   // MAIL FROM
	To       []string // RCPT TO
	Data     []byte   // the DATA bytes, dot-unstuffed, CRLF kept
	TLS      bool     // the session ran over TLS
	Hostname string   // the EHLO name of the session
	User     string   // the authenticated user, if any
}

type serverOptions struct {
	// TLS, if set, makes the server offer STARTTLS.
	TLS *tls.Config
	// Users, if set, makes the server offer AUTH PLAIN with these
	// user → password pairs.
	Users map[string]string
	// AllowInsecureAuth offers AUTH without TLS too.
	AllowInsecureAuth bool
}

// testServer is a go-smtp server on 127.0.0.1 that records what it accepts
// and can be told to refuse.
type testServer struct {
	Addr string

	mu       sync.Mutex
	accepted []delivery
	mails    int // MAIL commands seen
	auths    int // AUTH attempts seen
	rcptErr  error
	dataErr  error
	mailErr  error
}

func startServer(t testing.TB, o serverOptions) *testServer {
	t.Helper()
	ts := &testServer{}
	s := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{srv: ts, users: o.Users, d: delivery{TLS: isTLS, Hostname: c.Hostname()}}, nil
	}))
	s.Domain = "mx.test.example"
	s.TLSConfig = o.TLS
	s.AllowInsecureAuth = o.AllowInsecureAuth
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts.Addr = l.Addr().String()
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return ts
}

// refuse makes the server answer RCPT and DATA with these errors (nil:
// accept) from now on.
func (ts *testServer) refuse(rcpt, data error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.rcptErr, ts.dataErr = rcpt, data
}

// refuseSender makes MAIL FROM fail with err.
func (ts *testServer) refuseSender(err error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.mailErr = err
}

func (ts *testServer) deliveries() []delivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]delivery(nil), ts.accepted...)
}

func (ts *testServer) counts() (mails, auths int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.mails, ts.auths
}

type session struct {
	srv   *testServer
	users map[string]string
	d     delivery
}

func (s *session) AuthMechanisms() []string {
	if s.users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	s.srv.mu.Lock()
	s.srv.auths++
	s.srv.mu.Unlock()
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if want, ok := s.users[user]; !ok || want != pass || identity != "" {
			return gosmtp.ErrAuthFailed
		}
		s.d.User = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *gosmtp.MailOptions) error {
	s.srv.mu.Lock()
	s.srv.mails++
	err := s.srv.mailErr
	s.srv.mu.Unlock()
	if err != nil {
		return err
	}
	s.d.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.srv.mu.Lock()
	err := s.srv.rcptErr
	s.srv.mu.Unlock()
	if err != nil {
		return err
	}
	s.d.To = append(s.d.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.dataErr != nil {
		return s.srv.dataErr
	}
	d := s.d
	d.Data = data
	d.To = append([]string(nil), s.d.To...)
	s.srv.accepted = append(s.srv.accepted, d)
	return nil
}

func (s *session) Reset() { s.d.From, s.d.To = "", nil }

func (s *session) Logout() error { return nil }

// selfSigned returns a server TLS config with a fresh self-signed
// certificate for 127.0.0.1 and the pool a client needs to trust it.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "valmennus test SMTP"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}, pool
}

// silentListener accepts connections and never says a word, like a server
// that hangs before its greeting.
func silentListener(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// closedAddr returns a 127.0.0.1 address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// parsed is a received message taken apart.
type parsed struct {
	Header    mail.Header
	RawHeader string // the header section as sent, CRLFs included
	Subject   string // RFC 2047 decoded
	Body      string // quoted-printable decoded
}

func parseMessage(t testing.TB, raw []byte) parsed {
	t.Helper()
	head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	require.True(t, ok, "no blank line after the header:\n%s", raw)
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	require.NoError(t, err)
	return parsed{Header: m.Header, RawHeader: string(head) + "\r\n", Subject: subject, Body: string(body)}
}

// guardianNotice is an attendance digest to a guardian with a Finnish name.
func guardianNotice() coaching.Notice {
	return coaching.Notice{
		ID:   "K7QX3VZD2M4HNWTB6YJR5PELCA:3:attendance_digest:g-1",
		Kind: "attendance_digest",
		Recipient: coaching.Recipient{
			ID:       "g-1",
			Name:     "Äijälä Öhman",
			Role:     coaching.RoleGuardian,
			Contact:  coaching.Contact{Email: "huoltaja.ohman@example.fi"},
			Language: coaching.Finnish,
		},
		Subject: "Poissaolo tänään: Östen Äijälä",
		Body: "Hyvä huoltaja,\n\n" +
			"Östen Äijälä oli tänään luvatta poissa tunneilta 3–4 (äidinkieli ja matematiikka, yhteensä 3 h).\n" +
			".\n" +
			"..kaksi pistettä rivin alussa\n" +
			"Rivi, jonka lopussa on välilyönti \n" +
			"Kysymykset: omaopettaja Ärla Ståhlberg, 040 765 4321.\n",
	}
}

// lines splits a header section or message into its CRLF lines and fails
// on a bare LF or CR.
func lines(t testing.TB, s string) []string {
	t.Helper()
	require.True(t, strings.HasSuffix(s, "\r\n"), "does not end with CRLF")
	out := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	for _, l := range out {
		require.NotContains(t, l, "\n", "bare LF")
		require.NotContains(t, l, "\r", "bare CR")
	}
	return out
}
