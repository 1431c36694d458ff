package sendertest

import (
	"mime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRawContains(t *testing.T) {
	const name = "Åsa Äijälä Öhman"
	for _, tc := range []struct {
		what string
		raw  string
		want bool
	}{
		{"literal UTF-8", `{"name":"Åsa Äijälä Öhman"}`, true},
		{"JSON escapes", `{"recipient":{"name":"\u00c5sa \u00c4ij\u00e4l\u00e4 \u00d6hman"}}`, true},
		{"mail Q-encoded", "To: " + mime.QEncoding.Encode("utf-8", name) + " <a@example.fi>\r\n\r\nbody", true},
		{"mail B-encoded, folded", "Subject: x\r\nTo: =?UTF-8?B?w4VzYSDDhGlq?=\r\n =?UTF-8?B?w6Rsw6Qgw5ZobWFu?= <a@example.fi>\r\n\r\n", true},
		{"mail, quoted encoded-word", "To: \"" + mime.QEncoding.Encode("utf-8", name) + "\" <a@example.fi>\r\n\r\n", true},
		{"mangled", `{"name":"?sa ?ij?l? ?hman"}`, false},
		{"Latin-1 bytes", "To: \xc5sa \xc4ij\xe4l\xe4 \xd6hman <a@example.fi>\r\n\r\n", false},
		{"only in the body of a mail", "To: a@example.fi\r\n\r\n" + "=C3=85sa =C3=84ij=C3=A4l=C3=A4 =C3=96hman", false},
	} {
		assert.Equal(t, tc.want, rawContains([]byte(tc.raw), name), tc.what)
	}
}

func TestSameText(t *testing.T) {
	assert.True(t, sameText("a\nb\n", "a\r\nb\r\n"))
	assert.True(t, sameText("a\nb", "a\r\nb\r\n\r\n"))
	assert.False(t, sameText("a\nb", "a b"))
	assert.False(t, sameText("a\n\nb", "a\nb"))
}
