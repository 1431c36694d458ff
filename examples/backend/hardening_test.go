package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// /readyz checks the store, the dispatcher, the ticker, the outbox and the
// e-mail channel; /healthz only that the process is up.
func TestRunReadiness(t *testing.T) {
	base, _ := startRun(t)
	res, body := get(t, base+"/readyz")
	require.Equal(t, http.StatusOK, res.StatusCode, "%v", body)
	assert.Equal(t, map[string]any{"store": "ok", "dispatcher": "ok", "ticker": "ok", "outbox": "ok", "email": "ok"}, body["checks"])
	res, body = get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "ok", body["status"])

	for _, lag := range []string{"0", "-1m", "soon"} {
		assert.Error(t, run(context.Background(), []string{"-addr", "127.0.0.1:0", "-ready-max-lag", lag}, io.Discard, nil), lag)
	}
	assert.Error(t, run(context.Background(), []string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:notaport"}, io.Discard, nil))
	assert.Error(t, run(context.Background(), []string{"-addr", "127.0.0.1:0", "-metrics-addr", ""}, io.Discard, nil))
}

// plainSMTP is an SMTP server that offers no STARTTLS: it greets, answers
// EHLO with PIPELINING only, and says goodbye to QUIT.
func plainSMTP(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.WriteString(c, "220 plain.test ESMTP\r\n")
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "EHLO"):
						_, _ = io.WriteString(c, "250-plain.test\r\n250 PIPELINING\r\n")
					case cmd == "QUIT":
						_, _ = io.WriteString(c, "221 bye\r\n")
						return
					default:
						_, _ = io.WriteString(c, "502 not here\r\n")
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// An SMTP server without STARTTLS is refused at start unless
// -smtp-insecure allows it; the credentials, from the environment, appear
// in no log line and no flag help.
func TestRunSMTPRequiresStartTLS(t *testing.T) {
	const secret = "s3cret-Passw0rd"
	t.Setenv(envSMTPUsername, "valmennus-mailer")
	t.Setenv(envSMTPPassword, secret)
	addr := plainSMTP(t)

	var out syncBuffer
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-smtp", addr}, &out, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "STARTTLS")
	assert.Contains(t, err.Error(), "-smtp-insecure")
	assert.NotContains(t, err.Error()+out.String(), secret)

	_, logs := startRun(t, "-smtp", addr, "-smtp-insecure")
	assert.Contains(t, logs.String(), "-smtp-insecure")
	assert.Contains(t, logs.String(), "credentials=true")
	assert.NotContains(t, logs.String(), secret)
	assert.NotContains(t, logs.String(), "valmennus-mailer")

	var help syncBuffer
	require.Error(t, run(context.Background(), []string{"-h"}, &help, nil))
	assert.Contains(t, help.String(), "-smtp-insecure")
	assert.Contains(t, help.String(), envSMTPPassword)
	assert.NotContains(t, help.String(), secret)
}

// A password without a user name is refused at start, naming neither.
func TestRunSMTPPasswordNeedsUsername(t *testing.T) {
	t.Setenv(envSMTPUsername, "")
	t.Setenv(envSMTPPassword, "only-a-password")
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-smtp", plainSMTP(t), "-smtp-insecure"}, io.Discard, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "only-a-password")
}

// With -max-connections 1, a second connection is not served while the
// first is open, and is served once it closes.
func TestRunMaxConnections(t *testing.T) {
	base, _ := startRun(t, "-max-connections", "1")
	addr := strings.TrimPrefix(base, "http://")

	first, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = io.WriteString(first, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	res, err := http.ReadResponse(bufio.NewReader(first), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	_ = res.Body.Close() // the connection stays open (keep-alive), holding the one slot

	second := make(chan int, 1)
	go func() {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := client.Get(base + "/healthz")
		if err != nil {
			second <- 0
			return
		}
		_ = res.Body.Close()
		second <- res.StatusCode
	}()
	select {
	case status := <-second:
		t.Fatalf("a second connection was served (%d) while the first held the only slot", status)
	case <-time.After(200 * time.Millisecond):
		// Not served: it waits to be accepted. (Only a broken limit could
		// end this wait early; a slow machine cannot make it fail.)
	}
	require.NoError(t, first.Close())
	assert.Equal(t, http.StatusOK, <-second)

	assert.Error(t, run(context.Background(), []string{"-max-connections", "-1"}, io.Discard, nil))
}
