package smtp

import (
	"bytes"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/valmennus/valmennus/coaching"
)

// errMessage marks a notice that cannot be turned into a valid message.
var errMessage = errors.New("message cannot be built")

const (
	// maxLine is the RFC 5322 limit of a line, without CRLF.
	maxLine = 998
	// foldAt is the RFC 5322 recommended line length headers are folded
	// to where they have spaces to fold at.
	foldAt = 78
	// maxPlainWord is the longest word a Subject keeps as plain text; a
	// longer one is encoded, since encoded-words can be split across lines.
	maxPlainWord = 900
)

// compose returns the RCPT address and the complete message (CRLF line
// endings, not dot-stuffed) for n. It fails only with permanent errors.
func (s *Sender) compose(n coaching.Notice) (rcpt string, msg []byte, err error) {
	if n.ID == "" {
		return "", nil, ErrNoNoticeID
	}
	email := strings.TrimSpace(n.Recipient.Contact.Email)
	if email == "" {
		return "", nil, ErrNoEmail
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Name != "" || a.Address != email || !plainAddress(a.Address) {
		return "", nil, ErrInvalidAddress
	}
	to := &mail.Address{Name: headerText(n.Recipient.Name), Address: email}

	var b bytes.Buffer
	headers := []struct{ name, value string }{
		{"Date", s.clock.Now().Format(time.RFC1123Z)},
		{"From", s.fromHeader},
		{"To", to.String()},
		{"Subject", encodeText(headerText(n.Subject), len("Subject: "))},
		{"Message-ID", MessageID(n.ID, s.msgIDDomain)},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=UTF-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
		{"Auto-Submitted", "auto-generated"},
	}
	if n.Recipient.Language.Valid() {
		headers = append(headers, struct{ name, value string }{"Content-Language", string(n.Recipient.Language)})
	}
	for _, h := range headers {
		if err := writeHeader(&b, h.name, h.value); err != nil {
			return "", nil, err
		}
	}
	b.WriteString("\r\n")

	// The quoted-printable writer turns LF, CRLF and a lone CR into CRLF,
	// keeps lines within 76 characters and encodes trailing white space.
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ToValidUTF8(n.Body, "\uFFFD"))); err != nil {
		return "", nil, err
	}
	if err := qp.Close(); err != nil {
		return "", nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return email, b.Bytes(), nil
}

// writeHeader writes "name: value" folded at the value's spaces to lines of
// at most foldAt characters where the words allow. An RFC 2047 encoded-word
// (at most 75 characters) that does not fit after the field name starts on
// the next line, so lines with encoded-words keep within 76 characters;
// other first words (a msg-id) stay on the field name's line. Unfolding
// (removing the inserted CRLFs) gives the value back exactly. value must not
// contain CR or LF.
func writeHeader(b *bytes.Buffer, name, value string) error {
	b.WriteString(name)
	b.WriteString(":")
	line := len(name) + 1
	for i, word := range strings.Split(value, " ") {
		if (i > 0 || strings.HasPrefix(word, "=?")) && word != "" && line+1+len(word) > foldAt {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteByte(' ')
		b.WriteString(word)
		line += 1 + len(word)
		if line > maxLine {
			return fmt.Errorf("%w: the %s header has a line longer than %d characters", errMessage, name, maxLine)
		}
	}
	b.WriteString("\r\n")
	return nil
}

// headerText makes text from a notice safe for a header: invalid UTF-8 is
// replaced, every control character (CR and LF included, so no header can
// be injected) becomes a space, and runs of spaces collapse to one, trimmed
// at both ends.
func headerText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || unicode.IsControl(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// encodeText encodes unstructured header text (the Subject) for a field
// whose "Name: " takes prefix characters. Printable ASCII stays as it is;
// anything else becomes RFC 2047 Q-encoded words (see qEncode). Plain ASCII
// is encoded too when it holds "=?" (a reader would take it for an
// encoded-word) or a word too long for a line.
func encodeText(s string, prefix int) string {
	plain := !strings.Contains(s, "=?")
	word := 0
	for i := 0; i < len(s) && plain; i++ {
		switch c := s[i]; {
		case c >= 0x80:
			plain = false
		case c == ' ':
			word = 0
		default:
			if word++; word > maxPlainWord {
				plain = false
			}
		}
	}
	if plain {
		return s
	}
	return qEncode(s, prefix)
}

// qEncode writes s, valid UTF-8, as RFC 2047 Q-encoded words separated by
// spaces (where [writeHeader] folds). Words end on character boundaries and
// are sized so that every line of the folded field keeps within the 76
// characters RFC 2047 allows a line with encoded-words: the first word
// fits after the field name (prefix characters), the others on a
// continuation line of their own. (mime.QEncoding fills every word to 75
// characters, which makes the first line 84 long.) Letters, digits and
// "!*+-/" stand for themselves, a space is "_", every other byte is "=XX";
// that is safe in any header, phrases included.
func qEncode(s string, prefix int) string {
	const open, closing = "=?UTF-8?q?", "?="
	const lineMax = 76
	room := max(lineMax-prefix-len(open)-len(closing), 9) // 9: one 3-byte character
	var words []string
	var cur strings.Builder
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < utf8.RuneSelf && qLiteral(byte(r)):
			enc = string(r)
		default:
			var buf [utf8.UTFMax]byte
			for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
				enc += fmt.Sprintf("=%02X", c)
			}
		}
		if cur.Len() > 0 && cur.Len()+len(enc) > room {
			words = append(words, open+cur.String()+closing)
			cur.Reset()
			room = lineMax - 1 - len(open) - len(closing)
		}
		cur.WriteString(enc)
	}
	words = append(words, open+cur.String()+closing)
	return strings.Join(words, " ")
}

func qLiteral(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!*+-/", c) >= 0
}

// plainAddress reports whether addr can go into MAIL FROM / RCPT TO and a
// header as it is: printable ASCII, local@domain, and no quoting needed.
func plainAddress(addr string) bool {
	for i := 0; i < len(addr); i++ {
		if addr[i] <= ' ' || addr[i] >= 0x7f {
			return false
		}
	}
	at := lastAt(addr)
	if at <= 0 || at == len(addr)-1 {
		return false
	}
	return (&mail.Address{Address: addr}).String() == "<"+addr+">"
}

func lastAt(s string) int { return strings.LastIndexByte(s, '@') }

// validHostname accepts what can follow EHLO: a domain name or an address
// literal, in printable ASCII without spaces.
func validHostname(h string) bool {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") && len(h) > 2 {
		for i := 1; i < len(h)-1; i++ {
			if c := h[i]; c <= ' ' || c >= 0x7f || c == '[' || c == ']' {
				return false
			}
		}
		return true
	}
	return validMsgIDDomain(h)
}

// validMsgIDDomain accepts an ASCII domain name: labels of letters, digits
// and hyphens, separated by single dots.
func validMsgIDDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !idSafe(c) || c == '_' {
				return false
			}
		}
	}
	return true
}

// idSafe reports whether c stands for itself in the left part of a
// Message-ID. Every other byte, '%' included, is written as %XX.
func idSafe(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// MessageID returns the Message-ID of the notice with the given ID:
// "<left@domain>", where left is noticeID with every byte other than ASCII
// letters, digits, '-' and '_' written as '%' and two upper-case hex
// digits. left is always an RFC 5322 dot-atom-text, and the mapping is
// injective, so [ParseMessageID] recovers the notice ID exactly. noticeID
// must not be empty.
func MessageID(noticeID, domain string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(noticeID) + len(domain) + 3)
	b.WriteByte('<')
	for i := 0; i < len(noticeID); i++ {
		c := noticeID[i]
		if idSafe(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	b.WriteByte('@')
	b.WriteString(domain)
	b.WriteByte('>')
	return b.String()
}

// ParseMessageID is the inverse of [MessageID]: it returns the notice ID and
// the domain of a Message-ID in the form MessageID makes (surrounding white
// space is ignored). A Message-ID in any other form is an error, so a
// receiver can tell notices from other mail.
func ParseMessageID(msgID string) (noticeID, domain string, err error) {
	s := strings.TrimSpace(msgID)
	if len(s) < 2 || s[0] != '<' || s[len(s)-1] != '>' {
		return "", "", fmt.Errorf("smtp: Message-ID %q is not in angle brackets", msgID)
	}
	s = s[1 : len(s)-1]
	at := lastAt(s)
	if at <= 0 || at == len(s)-1 {
		return "", "", fmt.Errorf("smtp: Message-ID %q is not <left@domain>", msgID)
	}
	left, domain := s[:at], s[at+1:]
	unhex := func(c byte) (byte, bool) {
		switch {
		case '0' <= c && c <= '9':
			return c - '0', true
		case 'A' <= c && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	id := make([]byte, 0, len(left))
	for i := 0; i < len(left); i++ {
		c := left[i]
		switch {
		case idSafe(c):
			id = append(id, c)
		case c == '%' && i+2 < len(left):
			hi, ok1 := unhex(left[i+1])
			lo, ok2 := unhex(left[i+2])
			if !ok1 || !ok2 || idSafe(hi<<4|lo) {
				return "", "", fmt.Errorf("smtp: Message-ID %q has a bad escape at %d", msgID, i)
			}
			id = append(id, hi<<4|lo)
			i += 2
		default:
			return "", "", fmt.Errorf("smtp: Message-ID %q was not made by MessageID (byte %q at %d)", msgID, c, i)
		}
	}
	return string(id), domain, nil
}
