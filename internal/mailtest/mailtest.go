// Package mailtest is an SMTP server in the process, on 127.0.0.1, that
// accepts every message and keeps it: the mailboxes of the examples and of
// their end-to-end tests.
package mailtest

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/mail"
	"sync"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// Server is an SMTP server in the process, on 127.0.0.1, that accepts
// every message and keeps it.
type Server struct {
	Addr string
	srv  *gosmtp.Server

	mu       sync.Mutex
	received []Message
}

// Message is one message the server accepted.
type Message struct {
	MessageID string
	To        []string
	// Data is the whole message as received (headers and body).
	Data []byte
}

// Start listens on a free port of 127.0.0.1 (plain SMTP, no
// STARTTLS: the sender is configured with AllowInsecure).
func Start() (*Server, error) {
	ms := &Server{}
	s := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &mailSession{srv: ms}, nil
	}))
	s.Domain = "mx.koti.example"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.MaxMessageBytes = 1 << 20
	s.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the SMTP server: %w", err)
	}
	ms.Addr = l.Addr().String()
	ms.srv = s
	go func() { _ = s.Serve(l) }()
	return ms, nil
}

// Close stops the server.
func (ms *Server) Close() error { return ms.srv.Close() }

// Received returns the messages accepted so far.
func (ms *Server) Received() []Message {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]Message(nil), ms.received...)
}

type mailSession struct {
	srv *Server
	to  []string
}

func (s *mailSession) Mail(string, *gosmtp.MailOptions) error { return nil }

func (s *mailSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return &gosmtp.SMTPError{Code: 554, Message: "malformed message: " + err.Error()}
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.srv.received = append(s.srv.received, Message{MessageID: msg.Header.Get("Message-ID"), To: append([]string(nil), s.to...), Data: data})
	return nil
}

func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }
