package sendertest

import (
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// caseID has the shape of the engine's case ids (crypto/rand.Text).
const caseID coaching.CaseID = "K7QX3VZD2M4HNWTB6YJR5PELCA"

// created is when the suite's notices were written to the outbox.
var created = time.Date(2025, 10, 14, 12, 0, 0, 0, time.UTC)

// noticeID returns an ID of the engine's shape: case id, audit sequence,
// kind and recipient id joined by colons.
func noticeID(seq int, kind, recipientID string) string {
	return string(caseID) + ":" + strconv.Itoa(seq) + ":" + kind + ":" + recipientID
}

// guardian is an ASCII-only recipient with every way of reaching them, so
// the basic cases do not depend on how a channel encodes non-ASCII text.
func guardian() coaching.Recipient {
	return coaching.Recipient{
		ID:       "g-1",
		Name:     "Maria Virtanen",
		Role:     coaching.RoleGuardian,
		Contact:  coaching.Contact{Email: "maria.virtanen@example.fi", Phone: "+358 40 123 4567"},
		Language: coaching.English,
	}
}

// notice is an ASCII attendance digest number seq to the guardian.
func notice(seq int) coaching.Notice {
	r := guardian()
	return coaching.Notice{
		ID:        noticeID(seq, "attendance_digest", r.ID),
		CaseID:    caseID,
		Kind:      "attendance_digest",
		Recipient: r,
		Subject:   "Absences on Tuesday 14 October 2025 (digest " + strconv.Itoa(seq) + ")",
		Body: "Dear guardian,\n\n" +
			"Leo Virtanen was absent without an explanation from lessons 3 and 4 today.\n" +
			"Please contact the personal tutor, Anna Teacher, on 040 765 4321.\n" +
			// A long line (mail channels must wrap or encode it) and a line
			// that starts with a dot (SMTP dot-stuffing).
			strings.Repeat("This line is long on purpose. ", 9) + "\n" +
			"..and this one starts with two dots.\n\n" +
			"Notice " + strconv.Itoa(seq) + "\n",
		Data:      map[string]string{"date": "2025-10-14", "lessons": "3,4", "seq": strconv.Itoa(seq)},
		CreatedAt: created.Add(time.Duration(seq) * time.Second),
		NotBefore: created.Add(time.Duration(seq) * time.Second),
		Status:    coaching.NoticeClaimed,
		Attempts:  1,
	}
}

// nordicNotice carries Finnish and Swedish letters in the recipient's
// name, the subject and the body. The subject is long enough that a mail
// channel splits it into several encoded-words, and the body has a long
// line of two-byte characters that a quoted-printable encoder must not cut
// in the middle of a character.
func nordicNotice(seq int) coaching.Notice {
	r := coaching.Recipient{
		ID:       "g-2",
		Name:     "Åsa Äijälä Öhman",
		Role:     coaching.RoleGuardian,
		Contact:  coaching.Contact{Email: "asa.ohman@example.fi"},
		Language: coaching.Swedish,
	}
	return coaching.Notice{
		ID:        noticeID(seq, "attendance_digest", r.ID),
		CaseID:    caseID,
		Kind:      "attendance_digest",
		Recipient: r,
		Subject:   "Frånvaro i dag – Poissaolo tänään: Östen Äijälä, lektionerna 3–4 (Åbo yrkesinstitut)",
		Body: "Bästa vårdnadshavare Åsa Äijälä Öhman,\n\n" +
			"Östen Äijälä var frånvarande utan förklaring från lektionerna 3–4 i dag.\n" +
			"Hyvä huoltaja: Östen oli tänään luvatta poissa tunneilta 3–4. Ystävällisin terveisin, Åbo.\n" +
			strings.Repeat("äöåÄÖÅ", 30) + "\n" +
			"Kontakt / yhteys: Ärla Ståhlberg, 040 765 4321 (€ 0,00)\n",
		Data:      map[string]string{"date": "2025-10-14", "student": "Östen"},
		CreatedAt: created,
		NotBefore: created,
		Status:    coaching.NoticeClaimed,
		Attempts:  1,
	}
}

// minimalNotice has only what every notice has: no case, no data, no
// phone number.
func minimalNotice(seq int) coaching.Notice {
	r := guardian()
	r.Contact.Phone = ""
	return coaching.Notice{
		ID:        "notice-" + strconv.Itoa(seq),
		Kind:      "announcement",
		Recipient: r,
		Subject:   "Autumn break",
		Body:      "The school is closed in week 43.",
		CreatedAt: created,
	}
}

// unaddressedNotice is a notice to a guardian with no contact details.
func unaddressedNotice(seq int) coaching.Notice {
	n := notice(seq)
	n.Recipient.ID = "g-3"
	n.Recipient.Contact = coaching.Contact{}
	n.ID = noticeID(seq, n.Kind, n.Recipient.ID)
	return n
}
