package webui

import (
	"crypto/rand"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// A form's problems, as every form of the interface shows them: each
// beside its control (the first problem of a control; the control names
// it with aria-describedby) and in the form's error summary, linked to the
// control and prefixed with its label; a problem of no control of the form
// in the summary only. The services write their problems in English for
// developers: wording turns each into the catalogue's text in the page's
// language, and a message no table knows is the catalogue's general one —
// never the service's English on the page.

// control is where a form puts the problem of one field: the text beside
// the control (Slot), the control's element id as a link (Href, "#a-from")
// and the catalogue key of its label. Key, when set, is the catalogue key
// of the message shown instead of the service's (worded) one.
type control struct {
	Slot  *string
	Href  string
	Label string
	Key   string
}

// placeProblems puts ve's problems on a form: controls are its controls
// by field name (a problem of "change.goal" or "lessons[2]" is the
// change's or the lessons'; one of no control is in the summary only),
// words the service's messages the form's own texts (worded). errs is the
// form's error summary.
func placeProblems(errs *[]formError, ve *coaching.ValidationError, lang coaching.Language, words []wording, controls map[string]control) {
	for _, p := range ve.Problems {
		msg := worded(p.Message, lang, words)
		c, ok := controls[fieldName(p.Field)]
		if c.Key != "" {
			msg = catalogue[c.Key].in(lang)
		}
		if !ok || c.Slot == nil {
			*errs = append(*errs, formError{Message: msg})
			continue
		}
		place(errs, c.Slot, c.Href, c.Label, msg, lang)
	}
}

// place puts msg beside a form's control — in slot, unless it holds a
// problem already — and into the form's error summary (errs), linked to
// the control (href) and prefixed with its label (the catalogue's key).
func place(errs *[]formError, slot *string, href, key, msg string, lang coaching.Language) {
	if *slot != "" {
		return
	}
	*slot = msg
	*errs = append(*errs, formError{Href: href, Message: catalogue[key].in(lang) + ": " + msg})
}

// fieldName is the control a problem's field belongs to: "change.goal"
// and "lessons[2]" are the change's and the lessons' controls.
func fieldName(field string) string {
	if i := strings.IndexAny(field, ".["); i >= 0 {
		return field[:i]
	}
	return field
}

// wording is one of a service's (English) messages a catalogue text says
// in the page's language: a message beginning with Prefix, or containing
// it when Anywhere.
type wording struct {
	Prefix, Key string
	Anywhere    bool
}

// worded returns the catalogue text of the first of table's wordings that
// matches msg, else problemMessage's general wording.
func worded(msg string, lang coaching.Language, table []wording) string {
	for _, w := range table {
		if strings.HasPrefix(msg, w.Prefix) || w.Anywhere && strings.Contains(msg, w.Prefix) {
			return catalogue[w.Key].in(lang)
		}
	}
	return problemMessage(msg, lang)
}

// keyField is the field a service names when a form's idempotency key
// (absence.Input.Key, hoks.CommentInput.Key, hoks.ProposalInput.Key) was
// used already for something else: the form was sent before with other
// content (back, edit, send again). The form shown again carries a fresh
// key and says so (keyResent), or every resend would fail the same way.
const keyField = "key"

// keyResent reports whether ve refuses the form's key (keyField), and
// returns ve's other problems: the form says instead that it was sent
// already (the catalogue's form.resent) and carries a fresh key.
func keyResent(ve *coaching.ValidationError) (*coaching.ValidationError, bool) {
	rest := &coaching.ValidationError{Subject: ve.Subject}
	for _, p := range ve.Problems {
		if p.Field != keyField {
			rest.Problems = append(rest.Problems, p)
		}
	}
	return rest, len(rest.Problems) < len(ve.Problems)
}

// resentForm handles a refused key (keyResent) on a form: a
// fresh key (*key) and the summary's word that the form was sent already.
// It returns ve's other problems.
func resentForm(key *string, errs *[]formError, ve *coaching.ValidationError, lang coaching.Language) *coaching.ValidationError {
	ve, resent := keyResent(ve)
	if resent {
		*key = rand.Text()
		*errs = append(*errs, formError{Message: catalogue["form.resent"].in(lang)})
	}
	return ve
}
