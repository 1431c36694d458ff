package smtp_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/mail"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/valmennus/valmennus/adapters/smtp"
	"github.com/valmennus/valmennus/coaching"
)

// inbox is a minimal go-smtp backend: it accepts every message and hands
// its bytes to the channel.
type inbox chan []byte

func (in inbox) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return inboxSession{in}, nil }

type inboxSession struct{ in inbox }

func (inboxSession) Mail(string, *gosmtp.MailOptions) error { return nil }
func (inboxSession) Rcpt(string, *gosmtp.RcptOptions) error { return nil }
func (inboxSession) Reset()                                 {}
func (inboxSession) Logout() error                          { return nil }
func (s inboxSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err == nil {
		s.in <- b
	}
	return err
}

// Mail a same-day absence notice to a guardian through an SMTP server
// running in the example.
func Example() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	received := make(inbox, 1)
	server := gosmtp.NewServer(received)
	server.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = server.Serve(l) }()
	defer server.Close()

	sender, err := smtp.New(smtp.Options{
		Addr: l.Addr().String(),
		From: "Valmennus <noreply@koulu.example>",
		// The example server has no TLS. In production leave this false:
		// STARTTLS is then required.
		AllowInsecure: true,
	})
	if err != nil {
		log.Fatal(err)
	}

	n := coaching.Notice{
		ID:   "K7QX3VZD2M4HNWTB6YJR5PELCA:3:attendance_digest:g-1",
		Kind: "attendance_digest",
		Recipient: coaching.Recipient{
			ID:       "g-1",
			Name:     "Äijälä Öhman",
			Role:     coaching.RoleGuardian,
			Contact:  coaching.Contact{Email: "huoltaja@example.fi"},
			Language: coaching.Finnish,
		},
		Subject: "Poissaolo tänään: Östen Äijälä",
		Body:    "Östen oli tänään luvatta poissa tunneilta 3–4.\nYhteys: omaopettaja, 040 765 4321.\n",
	}
	if err := sender.Send(context.Background(), n); err != nil {
		log.Fatal(err)
	}

	msg, err := mail.ReadMessage(bytes.NewReader(<-received))
	if err != nil {
		log.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		log.Fatal(err)
	}
	id, _, err := smtp.ParseMessageID(msg.Header.Get("Message-ID"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Subject:   ", subject)
	fmt.Println("Message-ID:", msg.Header.Get("Message-ID"))
	fmt.Println("notice:    ", id)
	// Output:
	// Subject:    Poissaolo tänään: Östen Äijälä
	// Message-ID: <K7QX3VZD2M4HNWTB6YJR5PELCA%3A3%3Aattendance_digest%3Ag-1@koulu.example>
	// notice:     K7QX3VZD2M4HNWTB6YJR5PELCA:3:attendance_digest:g-1
}
