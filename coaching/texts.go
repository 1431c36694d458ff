package coaching

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"
)

// Text is the wording of one kind of notice in one language: a subject and
// a body, each a text/template over the notice's fields (a
// map[string]string: {{.case}}, {{if .contact}}…{{end}}). The fields are
// already formatted for the language (dates as a reader of it writes them).
// A notice is plain text: nothing is escaped.
type Text struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// Texts is the one home of the notice texts the library sends — the
// engine's, and those of the packages built on it — in Finnish, Swedish
// and English. A host overrides any of them per kind and language with
// [Texts.Set] and gives the result to the engine ([Options.Texts]) and to
// the packages that take texts in their options. Build it before use; it is
// safe for concurrent rendering once built.
type Texts struct {
	texts map[textKey]*compiledText
}

type textKey struct {
	kind string
	lang Language
}

type compiledText struct {
	src           Text
	subject, body *template.Template
}

// textSpec declares a built-in kind: the fields its notices carry, which
// an override may use, and its wording.
type textSpec struct {
	fields []string
	texts  map[Language]Text
}

// TextFields returns the fields a built-in kind's texts may use, sorted,
// or nil for a kind the library does not send.
func TextFields(kind string) []string {
	spec, ok := builtinTexts[kind]
	if !ok {
		return nil
	}
	return slices.Sorted(slices.Values(spec.fields))
}

// DefaultTexts returns a new catalogue with every built-in text.
func DefaultTexts() *Texts {
	t := &Texts{texts: map[textKey]*compiledText{}}
	for kind, spec := range builtinTexts {
		for lang, text := range spec.texts {
			if err := t.Set(kind, lang, text); err != nil {
				// The built-in texts are tested; a failure here is a bug
				// in this file, not input.
				panic(fmt.Sprintf("valmennus: built-in text %s/%s: %v", kind, lang, err))
			}
		}
	}
	return t
}

// Set replaces (or adds) the text of kind in language lang. The templates
// must parse and, for a built-in kind, render with its fields
// ([TextFields]); an error names the kind, the language and the part.
func (t *Texts) Set(kind string, lang Language, text Text) error {
	if t.texts == nil {
		t.texts = map[textKey]*compiledText{}
	}
	var problems []FieldProblem
	if !validName(kind) {
		problems = append(problems, FieldProblem{Field: "kind", Message: fmt.Sprintf("must be a lower-case identifier, got %q", kind)})
	}
	if !lang.Valid() {
		problems = append(problems, FieldProblem{Field: "language", Message: "must be fi, sv or en"})
	}
	c := &compiledText{src: text}
	// The subject is parsed into the body's template set, so that both may
	// use a {{define}} the body makes.
	var err error
	if c.body, err = parseText(template.New(kind+".body"), text.Body); err != nil {
		problems = append(problems, FieldProblem{Field: "body", Message: err.Error()})
	} else if c.subject, err = parseText(c.body.New(kind+".subject"), text.Subject); err != nil {
		problems = append(problems, FieldProblem{Field: "subject", Message: err.Error()})
	}
	if strings.ContainsAny(text.Subject, "\r\n") {
		problems = append(problems, FieldProblem{Field: "subject", Message: "must be one line"})
	}
	if len(problems) == 0 {
		if spec, ok := builtinTexts[kind]; ok {
			sample := map[string]string{}
			for _, f := range spec.fields {
				sample[f] = "x"
			}
			if _, _, err := c.render(sample); err != nil {
				problems = append(problems, FieldProblem{Field: "body", Message: fmt.Sprintf("uses a field %s notices do not carry (they carry %s): %v",
					kind, strings.Join(spec.fields, ", "), err)})
			}
		}
	}
	if len(problems) > 0 {
		return &ValidationError{Subject: "text " + kind + "/" + string(lang), Problems: problems}
	}
	t.texts[textKey{kind, lang}] = c
	return nil
}

func parseText(t *template.Template, src string) (*template.Template, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("required")
	}
	return t.Option("missingkey=error").Parse(src)
}

// Text returns the text of kind in lang as set, falling back to Finnish.
func (t *Texts) Text(kind string, lang Language) (Text, bool) {
	c := t.lookup(kind, lang)
	if c == nil {
		return Text{}, false
	}
	return c.src, true
}

// Kinds lists the kinds the catalogue has a text for, sorted.
func (t *Texts) Kinds() []string {
	seen := map[string]bool{}
	for k := range t.texts {
		seen[k.kind] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

func (t *Texts) lookup(kind string, lang Language) *compiledText {
	if t == nil {
		return nil
	}
	if c, ok := t.texts[textKey{kind, lang}]; ok {
		return c
	}
	return t.texts[textKey{kind, Finnish}]
}

// Render writes the subject and body of a notice of kind in lang (Finnish
// when the catalogue has no text in lang) from its fields.
func (t *Texts) Render(kind string, lang Language, fields map[string]string) (subject, body string, err error) {
	c := t.lookup(kind, lang)
	if c == nil {
		return "", "", &NotFoundError{Kind: "notice text", ID: kind}
	}
	return c.render(fields)
}

func (c *compiledText) render(fields map[string]string) (string, string, error) {
	var s, b strings.Builder
	if err := c.subject.Execute(&s, fields); err != nil {
		return "", "", err
	}
	if err := c.body.Execute(&b, fields); err != nil {
		return "", "", err
	}
	return strings.TrimSpace(s.String()), strings.TrimSpace(b.String()), nil
}

// RenderNotice renders a built-in kind for a notice the library (or a
// feature) sends: the fields always match the built-in texts, and an
// override was checked against them by Set, so a failure falls back to
// the built-in wording — and, for a kind with no text at all, to the
// kind's name — rather than losing the notice.
func (t *Texts) RenderNotice(kind string, lang Language, fields map[string]string) (subject, body string) {
	if s, b, err := t.Render(kind, lang, fields); err == nil {
		return s, b
	}
	s, b, err := defaultTexts.Render(kind, lang, fields)
	if err != nil {
		return kind, kind
	}
	return s, b
}

// defaultTexts is the built-in catalogue, for fallback; never changed.
var defaultTexts = DefaultTexts()

// builtinTexts are the texts of every notice kind the library sends: the
// kernel's and its features' own, each feature's in a file of its own
// (texts_<feature>.go). The wording names cases, phases, services and
// dates — never a reason, a health matter or anything from a welfare
// record.
var builtinTexts = joinTexts(coreTexts, absenceTexts, messageTexts, proposalTexts, workplaceTexts)

// joinTexts merges catalogues of kinds; a kind declared twice is a bug in
// this package, caught by every test run.
func joinTexts(parts ...map[string]textSpec) map[string]textSpec {
	out := map[string]textSpec{}
	for _, p := range parts {
		for kind, spec := range p {
			if _, dup := out[kind]; dup {
				panic("valmennus: built-in text kind declared twice: " + kind)
			}
			out[kind] = spec
		}
	}
	return out
}

// coreTexts are the kernel's and the older features' texts.
var coreTexts = map[string]textSpec{
	NoticeKindTransition: {fields: []string{"case", "from", "to", "when"}, texts: map[Language]Text{
		Finnish: {"Valmennusasia {{.case}}: {{.to}}", `Asia {{.case}} siirtyi vaiheesta "{{.from}}" vaiheeseen "{{.to}}" {{.when}}.`},
		Swedish: {"Coachningsärende {{.case}}: {{.to}}", `Ärendet {{.case}} flyttades från fasen "{{.from}}" till fasen "{{.to}}" {{.when}}.`},
		English: {"Coaching case {{.case}}: {{.to}}", `Case {{.case}} moved from the phase "{{.from}}" to the phase "{{.to}}" on {{.when}}.`},
	}},
	NoticeKindPhaseOverdue: {fields: []string{"case", "phase", "due", "deadline"}, texts: map[Language]Text{
		Finnish: {"Määräaika ylittyi: {{.phase}} (asia {{.case}})", `Asian {{.case}} vaiheen "{{.phase}}" piti valmistua {{.due}} ({{.deadline}} vaiheen alusta, tauot pois lukien).`},
		Swedish: {"Tidsfristen har gått ut: {{.phase}} (ärende {{.case}})", `Fasen "{{.phase}}" i ärendet {{.case}} skulle ha varit klar {{.due}} ({{.deadline}} efter att fasen började, pauser oräknade).`},
		English: {"Deadline passed: {{.phase}} (case {{.case}})", `The phase "{{.phase}}" of case {{.case}} was due on {{.due}} ({{.deadline}} after it began, pauses excluded).`},
	}},
	NoticeKindAbsence: {fields: []string{"given_names", "name", "date", "lessons", "contact"}, texts: map[Language]Text{
		Finnish: {"Poissaolo {{.date}}: {{.given_names}}", "{{.name}} oli selvittämättä poissa {{.date}} seuraavilta tunneilta: {{.lessons}}.{{if .contact}} Lisätietoja: {{.contact}}.{{end}}"},
		Swedish: {"Frånvaro {{.date}}: {{.given_names}}", "{{.name}} var frånvarande utan förklaring {{.date}} från följande lektioner: {{.lessons}}.{{if .contact}} Kontakta vid behov {{.contact}}.{{end}}"},
		English: {"Absence on {{.date}}: {{.given_names}}", "{{.name}} was absent without an explanation on {{.date}} from these lessons: {{.lessons}}.{{if .contact}} If you have questions, contact {{.contact}}.{{end}}"},
	}},
	NoticeKindAbsenceCorrection: {fields: []string{"given_names", "name", "date", "lessons"}, texts: map[Language]Text{
		Finnish: {"Korjaus poissaoloon {{.date}}: {{.given_names}}", "Korjaus: {{.name}} ei enää ole selvittämättä poissa {{.date}} tunneilta {{.lessons}}."},
		Swedish: {"Rättelse om frånvaro {{.date}}: {{.given_names}}", "Rättelse: {{.name}}:s frånvaro {{.date}} från lektionerna {{.lessons}} är inte längre oförklarad."},
		English: {"Correction to the absence on {{.date}}: {{.given_names}}", "Correction: {{.name}}'s absence on {{.date}} from {{.lessons}} is no longer unexplained."},
	}},
	NoticeKindGuardianUnreachable: {fields: []string{"case", "guardian"}, texts: map[Language]Text{
		Finnish: {"Huoltajaa ei tavoiteta (asia {{.case}})", "Asian {{.case}} huoltajalla {{.guardian}} ei ole yhteystietoja: poissaoloilmoituksia ei voi lähettää."},
		Swedish: {"Vårdnadshavaren kan inte nås (ärende {{.case}})", "Vårdnadshavaren {{.guardian}} i ärendet {{.case}} har inga kontaktuppgifter: frånvaromeddelanden kan inte skickas."},
		English: {"Guardian cannot be reached (case {{.case}})", "Guardian {{.guardian}} of case {{.case}} has no contact details: absence notices cannot be sent."},
	}},
	NoticeKindRiskAlert: {fields: []string{"case", "reason"}, texts: map[Language]Text{
		Finnish: {"Varhainen varoitus: asia {{.case}}", "Asia {{.case}}: {{.reason}}."},
		Swedish: {"Tidig varning: ärende {{.case}}", "Ärende {{.case}}: {{.reason}}."},
		English: {"Early warning: case {{.case}}", "Case {{.case}}: {{.reason}}."},
	}},
	// coaching/referral's overdue follow-ups (referral.NoticeKindFollowUp).
	"referral_follow_up": {fields: []string{"case", "service"}, texts: map[Language]Text{
		Finnish: {"Seuraa ohjausta palveluun (asia {{.case}})", "Asian {{.case}} ohjausta palveluun {{.service}} ei ole vielä otettu vastaan: seuraa sitä."},
		Swedish: {"Följ upp hänvisningen (ärende {{.case}})", "Hänvisningen i ärendet {{.case}} till tjänsten {{.service}} har ännu inte tagits emot: följ upp den."},
		English: {"Follow up the referral (case {{.case}})", "The referral of case {{.case}} to {{.service}} has not been accepted yet: follow it up."},
	}},
	// pathway's follow-up checkpoints (pathway.NoticeKindFollowUp).
	"follow_up_due": {fields: []string{"case", "checkpoint", "alumni"}, texts: map[Language]Text{
		Finnish: {`Seuranta: {{template "cp" .}} (asia {{.case}})`, `Ota yhteyttä asian {{.case}} osallistujaan ja kirjaa, missä hän on nyt: seuranta {{template "cp" .}} on ajankohtainen.` +
			`{{define "cp"}}{{if eq .checkpoint "upon_leaving"}}päättymisen jälkeen (28 päivää){{else if eq .checkpoint "six_months"}}kuusi kuukautta päättymisen jälkeen{{else}}alumniyhteydenotto {{.alumni}}{{end}}{{end}}`},
		Swedish: {`Uppföljning: {{template "cp" .}} (ärende {{.case}})`, `Kontakta deltagaren i ärendet {{.case}} och registrera var hen är nu: uppföljningen {{template "cp" .}} ska göras.` +
			`{{define "cp"}}{{if eq .checkpoint "upon_leaving"}}vid avslutet (28 dagar){{else if eq .checkpoint "six_months"}}sex månader efter avslutet{{else}}alumnkontakt {{.alumni}}{{end}}{{end}}`},
		English: {`Follow-up due: {{template "cp" .}} (case {{.case}})`, `Contact the participant of case {{.case}} and record where they are now: the follow-up {{template "cp" .}} is due.` +
			`{{define "cp"}}{{if eq .checkpoint "upon_leaving"}}upon leaving (28 days){{else if eq .checkpoint "six_months"}}six months after leaving{{else}}alumni contact {{.alumni}}{{end}}{{end}}`},
	}},
	// hoks's student feedback survey invitations (hoks.NoticeKindSurvey).
	"amis_survey": {fields: []string{"stage"}, texts: map[Language]Text{
		Finnish: {`{{if eq .stage "start"}}Palaute opintojen alusta{{else}}Palaute opinnoista{{end}}`,
			`{{if eq .stage "start"}}Henkilökohtainen osaamisen kehittämissuunnitelmasi (HOKS) on hyväksytty. Kerro, miten opintojen alku on sujunut{{else}}Olet saavuttanut HOKSisi osaamisen. Kerro, miten opinnot sujuivat{{end}}: vastaa valtakunnalliseen opiskelijapalautekyselyyn (Arvo).`},
		Swedish: {`{{if eq .stage "start"}}Respons om början av studierna{{else}}Respons om studierna{{end}}`,
			`{{if eq .stage "start"}}Din personliga utvecklingsplan för kunnande (PUK) har godkänts. Berätta hur början av studierna har gått{{else}}Du har uppnått kunnandet i din PUK. Berätta hur studierna har gått{{end}}: svara på den nationella enkäten för studerande (Arvo).`},
		English: {`{{if eq .stage "start"}}Feedback on the start of your studies{{else}}Feedback on your studies{{end}}`,
			`{{if eq .stage "start"}}Your personal competence development plan (HOKS) has been approved. Tell us how the start of your studies went{{else}}You have reached the competence in your HOKS. Tell us how your studies went{{end}}: answer the national student feedback survey (Arvo).`},
	}},
}
