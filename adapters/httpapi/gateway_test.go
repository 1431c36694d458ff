package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
)

// Behind the signing gateway the handler gets the whole body the proof
// covers; a body past the handler's limit is a 413, not a bad proof; a
// signed body swapped for another is refused (review 5).
func TestBehindTheSigningGateway(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef-gateway")
	g, err := httpauth.NewGateway(&httpauth.GatewayOptions{Secrets: [][]byte{secret}})
	require.NoError(t, err)
	_, h := newAPI(t, memory.New(), nil, &Options{Authenticator: g, MaxBody: 64 << 10})

	post := func(body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/enrolments", strings.NewReader(body))
		r.Header.Set(httpauth.HeaderActorID, "coach-1")
		r.Header.Set(httpauth.HeaderActorRoles, "coach")
		r.Header.Set(httpauth.HeaderOrganisation, "school-1")
		r.Header.Set(httpauth.HeaderGatewayTimestamp, strconv.FormatInt(time.Now().Unix(), 10))
		return r
	}
	do := func(r *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	body := mustJSON(t, enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach")))
	r := post(body)
	sig, err := httpauth.SignGateway(secret, r)
	require.NoError(t, err)
	r.Header.Set(httpauth.HeaderGatewaySignature, sig)
	w := do(r)
	require.Equal(t, http.StatusCreated, w.Code, "%s", w.Body)

	swapped := post(strings.Replace(body, "Aino", "Eino", 1))
	swapped.Header.Set(httpauth.HeaderGatewaySignature, sig)
	w = do(swapped)
	assert.Equal(t, http.StatusUnauthorized, w.Code, "%s", w.Body)

	big := post(body + strings.Repeat(" ", 64<<10))
	sig, err = httpauth.SignGateway(secret, big)
	require.NoError(t, err)
	big.Header.Set(httpauth.HeaderGatewaySignature, sig)
	w = do(big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code, "%s", w.Body)
}
