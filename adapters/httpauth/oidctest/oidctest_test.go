package oidctest_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth/oidctest"
)

func keyIDs(t *testing.T, p *oidctest.Provider) (int, []string) {
	t.Helper()
	res, err := http.Get(p.URL() + "/jwks")
	require.NoError(t, err)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, nil
	}
	var set jose.JSONWebKeySet
	require.NoError(t, json.NewDecoder(res.Body).Decode(&set))
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.KeyID)
	}
	return res.StatusCode, ids
}

func TestProviderPublishesRotatesAndFails(t *testing.T) {
	p, err := oidctest.Start(nil)
	require.NoError(t, err)
	defer p.Close()

	res, err := http.Get(p.URL() + "/.well-known/openid-configuration")
	require.NoError(t, err)
	var disc map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&disc))
	_ = res.Body.Close()
	require.Equal(t, p.URL(), disc["issuer"])
	require.Equal(t, p.URL()+"/jwks", disc["jwks_uri"])

	_, ids := keyIDs(t, p)
	require.Equal(t, []string{"key-1"}, ids)
	k2, err := p.Rotate("key-2")
	require.NoError(t, err)
	require.Equal(t, k2, p.Current())
	_, ids = keyIDs(t, p)
	require.Equal(t, []string{"key-2", "key-1"}, ids)
	p.Retire()
	_, ids = keyIDs(t, p)
	require.Equal(t, []string{"key-2"}, ids)
	require.Equal(t, int64(3), p.JWKSFetches())

	p.SetUnavailable(true)
	status, _ := keyIDs(t, p)
	require.Equal(t, http.StatusServiceUnavailable, status)
	p.SetUnavailable(false)
	status, _ = keyIDs(t, p)
	require.Equal(t, http.StatusOK, status)

	// A token carries the kid of the key that signed it and verifies with
	// the published key, and not after tampering.
	tok := p.Token(p.Claims("u-1", "api", time.Minute))
	jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	require.NoError(t, err)
	require.Equal(t, "key-2", jws.Signatures[0].Header.KeyID)
	_, jwks := keyIDs(t, p)
	require.Len(t, jwks, 1)
	res, err = http.Get(p.URL() + "/jwks")
	require.NoError(t, err)
	var set jose.JSONWebKeySet
	require.NoError(t, json.NewDecoder(res.Body).Decode(&set))
	_ = res.Body.Close()
	_, err = jws.Verify(set.Keys[0])
	require.NoError(t, err)
	bad, err := jose.ParseSigned(oidctest.Tamper(tok), []jose.SignatureAlgorithm{jose.RS256})
	require.NoError(t, err)
	_, err = bad.Verify(set.Keys[0])
	require.Error(t, err)

	_, err = oidctest.Start(&oidctest.Options{KeyBits: 1024})
	require.ErrorContains(t, err, "KeyBits 1024")
}
