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
	secret := make([]byte, MinSecretLen)
	s, err := New(Options{URL: "https://hooks.example.fi/", Secret: secret})
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, s.client.Timeout)
	assert.NotNil(t, s.client.CheckRedirect)
	assert.Equal(t, DefaultUserAgent, s.userAgent)
	assert.IsType(t, coaching.SystemClock{}, s.clock)

	s, err = New(Options{URL: "https://hooks.example.fi/", Secret: secret, Client: &http.Client{}})
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, s.client.Timeout, "a client without a timeout gets the default")

	s, err = New(Options{URL: "https://hooks.example.fi/", Secret: secret, Client: &http.Client{Timeout: 200 * time.Millisecond}})
	require.NoError(t, err)
	assert.Equal(t, 200*time.Millisecond, s.client.Timeout, "a client's own timeout is kept")
}
