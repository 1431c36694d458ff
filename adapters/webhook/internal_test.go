package webhook

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

func TestDefaults(t *testing.T) {
	secret := SecretPrefix + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	s, err := New(Options{URL: "https://hooks.example.fi/", Secrets: []string{secret}})
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, s.client.Timeout)
	assert.NotNil(t, s.client.CheckRedirect)
	assert.Equal(t, DefaultUserAgent, s.userAgent)
	assert.IsType(t, coaching.SystemClock{}, s.clock)

	s, err = New(Options{URL: "https://hooks.example.fi/", Secrets: []string{secret}, Client: &http.Client{}})
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, s.client.Timeout, "a client without a timeout gets the default")

	s, err = New(Options{URL: "https://hooks.example.fi/", Secrets: []string{secret}, Client: &http.Client{Timeout: 200 * time.Millisecond}})
	require.NoError(t, err)
	assert.Equal(t, 200*time.Millisecond, s.client.Timeout, "a client's own timeout is kept")
}

// The signing code itself gives the specification's published vector (see
// standard_test.go): secret, id, timestamp and payload from its reference
// libraries' TestWebhookSign.
func TestSignPublishedVector(t *testing.T) {
	keys, err := parseSecrets("secrets", []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	require.NoError(t, err)
	got := signatureHeader(keys, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
	assert.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", got)
}
