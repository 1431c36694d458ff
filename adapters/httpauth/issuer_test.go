package httpauth_test

import (
	"github.com/valmennus/valmennus/adapters/httpauth/oidctest"
)

// The tests' in-process OpenID provider is the host test kit's
// ([oidctest]); these short names keep the tables readable.

type signingKey = oidctest.Key

func newTestIssuer() *oidctest.Provider {
	p, err := oidctest.Start(nil)
	if err != nil {
		panic(err)
	}
	return p
}

// newKey is a key no provider publishes.
func newKey(kid string) *signingKey {
	k, err := unpublishedSource.NewKey(kid)
	if err != nil {
		panic(err)
	}
	return k
}

// unpublishedSource makes keys that are never published.
var unpublishedSource = newTestIssuer()

func rotate(p *oidctest.Provider, kid string) *signingKey {
	k, err := p.Rotate(kid)
	if err != nil {
		panic(err)
	}
	return k
}

func sign(k *signingKey, claims map[string]any) string { return k.Sign("JWT", claims) }

func signTyped(k *signingKey, typ string, claims map[string]any) string { return k.Sign(typ, claims) }

var (
	unsigned = oidctest.Unsigned
	tamper   = oidctest.Tamper
)
