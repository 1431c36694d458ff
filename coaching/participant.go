package coaching

import (
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ParticipantID identifies a participant (a coached person, "valmentautuja",
// or a student). Hosts may supply their own ids; the engine generates one
// when it is empty.
type ParticipantID string

// OrganisationID identifies an education provider or workshop organiser
// (typically an Opetushallitus organisation OID or a business id).
type OrganisationID string

// Language is a preferred language for communication.
type Language string

// The languages notices are written in.
const (
	Finnish Language = "fi"
	Swedish Language = "sv"
	English Language = "en"
)

// Valid reports whether l is one of fi, sv, en.
func (l Language) Valid() bool { return l == Finnish || l == Swedish || l == English }

// Contact holds the ways to reach a person. Any field may be empty.
type Contact struct {
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Reachable reports whether there is at least one way to reach the person.
func (c Contact) Reachable() bool { return c.Email != "" || c.Phone != "" }

// Validate checks the e-mail address and the phone number (digits, spaces,
// dashes and an optional leading +; 5–15 digits) and returns a
// *ValidationError naming "email" and "phone", or nil.
func (c Contact) Validate() error {
	pr := problems{subject: "contact"}
	c.validate(&pr, "")
	for i := range pr.list {
		pr.list[i].Field = strings.TrimPrefix(pr.list[i].Field, ".")
	}
	return pr.err()
}

func (c Contact) validate(p *problems, prefix string) {
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			p.add(prefix+".email", "not a valid e-mail address")
		}
	}
	if c.Phone != "" && !validPhone(c.Phone) {
		p.add(prefix+".phone", "not a valid phone number (digits, spaces and an optional leading +)")
	}
}

func validPhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-':
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 15
}

// Guardian is a legal guardian (huoltaja) of a participant who is a minor.
type Guardian struct {
	// ID identifies the guardian on this participant (a SIS import makes
	// one from the student's id when the SIS gives none).
	ID string `json:"id"`
	// SignOn is the actor id the host's authentication gives this guardian
	// when they sign in (e.g. their OpenID Connect subject, as the
	// authenticator forms it), linked at import from the student
	// information system: an actor with the guardian role whose id equals
	// it is this participant's guardian (RelationGuardianOf). Without a
	// SignOn an actor whose id equals ID is (a host whose actor ids are
	// its own records'); with one, ID no longer is, so that an id made up
	// at import is no credential. Relations are never taken from the
	// caller.
	SignOn   string   `json:"sign_on,omitempty"`
	Name     string   `json:"name"`
	Contact  Contact  `json:"contact"`
	Language Language `json:"language,omitempty"`
	// ContactChangedOn is the civil date the guardian's contact details
	// were last changed in valmennus (the day a proposal was approved,
	// package coaching/contactchange); zero when they are as imported. A
	// re-import from the SIS keeps them unless the SIS's own value changed
	// since the last import (package sis).
	ContactChangedOn Date `json:"contact_changed_on,omitzero"`
	// SISContact is the guardian's contact details as the student
	// information system last gave them (package sis), field by field: a
	// re-import tells by them whether the SIS's value itself changed.
	SISContact Contact `json:"sis_contact,omitzero"`
}

// Gender is recorded as the participant reports it; ESF+ figures break down
// women, men and non-binary. The zero value is unknown.
type Gender string

// Genders.
const (
	GenderUnknown   Gender = ""
	GenderFemale    Gender = "female"
	GenderMale      Gender = "male"
	GenderNonBinary Gender = "non_binary"
)

// EducationLevel is the highest level of education attained at entry,
// mapped to ISCED 2011 by [EducationLevel.ISCED]. The zero value is unknown.
type EducationLevel string

// Education levels (Statistics Finland's national classification, level 1).
const (
	EducationUnknown EducationLevel = ""
	// EducationBelowBasic: basic education not completed (ISCED 0–1).
	EducationBelowBasic EducationLevel = "below_basic"
	// EducationBasic: basic education, peruskoulu (ISCED 2).
	EducationBasic EducationLevel = "basic"
	// EducationGeneralUpperSecondary: general upper secondary, lukio (ISCED 3).
	EducationGeneralUpperSecondary EducationLevel = "general_upper_secondary"
	// EducationVocational: a vocational qualification, perustutkinto or
	// ammattitutkinto (ISCED 3).
	EducationVocational EducationLevel = "vocational"
	// EducationSpecialistVocational: erikoisammattitutkinto (ISCED 4).
	EducationSpecialistVocational EducationLevel = "specialist_vocational"
	// EducationHigher: a university or university of applied sciences degree (ISCED 5–8).
	EducationHigher EducationLevel = "higher"
)

// ISCED returns the lowest and highest ISCED 2011 level the education level
// covers; ok is false for unknown levels.
func (l EducationLevel) ISCED() (lo, hi int, ok bool) {
	switch l {
	case EducationBelowBasic:
		return 0, 1, true
	case EducationBasic:
		return 2, 2, true
	case EducationGeneralUpperSecondary, EducationVocational:
		return 3, 3, true
	case EducationSpecialistVocational:
		return 4, 4, true
	case EducationHigher:
		return 5, 8, true
	}
	return 0, 0, false
}

// LabourStatus is the participant's labour-market status at entry.
type LabourStatus string

// Labour-market statuses (ESF definitions). The zero value is unknown.
const (
	LabourUnknown    LabourStatus = ""
	LabourUnemployed LabourStatus = "unemployed"
	LabourEmployed   LabourStatus = "employed"
	// LabourInactive: outside the labour force and not in education.
	LabourInactive LabourStatus = "inactive"
	// LabourInEducation: outside the labour force, in education or training.
	LabourInEducation LabourStatus = "in_education"
)

// Background holds the facts at entry that reports need. Every fact may be
// unknown (zero or nil); figures count unknowns in an explicit row.
type Background struct {
	Gender         Gender         `json:"gender,omitempty"`
	EducationLevel EducationLevel `json:"education_level,omitempty"`
	LabourStatus   LabourStatus   `json:"labour_status,omitempty"`
	// UnemployedMonths is the length of the continuous unemployment at
	// entry, in whole months; nil when unknown.
	UnemployedMonths *int `json:"unemployed_months,omitempty"`
	// ForeignBackground: immigrant or foreign background; nil when unknown.
	ForeignBackground *bool `json:"foreign_background,omitempty"`
	// Disability: nil when unknown or not asked (a special category of data).
	Disability *bool `json:"disability,omitempty"`
	// ThirdCountryNational: not a citizen of an EU member state (the ESF+
	// entry indicator EECO13); nil when unknown. Nationality is personal
	// data, read like the rest of the background: by those the policy
	// allows read_participant (the student, the case's support team, the
	// organisation's head of studies) and, counted, in figures.
	ThirdCountryNational *bool `json:"third_country_national,omitempty"`
	// Minority: belongs to a minority, marginalised communities such as
	// the Roma included (the ESF+ entry indicator EECO15); nil when
	// unknown. Ethnic origin is a special category of data (GDPR art. 9):
	// it is asked only with the participant's consent, a participant may
	// decline to answer, and a declined answer stays nil — unknown is not
	// "no", and nothing may fill it in by default. Read like the rest of
	// the background (read_participant); figures count it only in
	// aggregate.
	Minority *bool `json:"minority,omitempty"`
}

// Participant is a person being coached. Personal data: the identity code is
// masked in every printed form, and [Participant.LogValue] logs only the id.
type Participant struct {
	ID           ParticipantID  `json:"id"`
	Organisation OrganisationID `json:"organisation,omitempty"`
	GivenNames   string         `json:"given_names"`
	FamilyName   string         `json:"family_name"`
	BirthDate    Date           `json:"birth_date"`
	IdentityCode IdentityCode   `json:"identity_code,omitempty"`
	Contact      Contact        `json:"contact"`
	Language     Language       `json:"language"`
	Guardians    []Guardian     `json:"guardians,omitempty"`
	Background   Background     `json:"background"`
	// GuardianConsent is the adult participant's consent to keep informing
	// their guardians after the 18th birthday.
	GuardianConsent ConsentRecord `json:"guardian_consent,omitzero"`
	// SignOn is the actor id the host's authentication gives the student
	// when they sign in (e.g. their OpenID Connect subject, as the
	// authenticator forms it), linked at import: an actor with the student
	// role whose id equals it is this participant (RelationSelf). Empty:
	// the student is recognised only by a relation the host asserts.
	SignOn string `json:"sign_on,omitempty"`
	// ExternalIDs maps a host system to its id for the person (e.g.
	// "sis" → "S1234", "oppija_oid" → "1.2.246.562.24.…"), so hosts can map back.
	ExternalIDs map[string]string `json:"external_ids,omitempty"`
	// ContactChangedOn is the civil date Contact was last changed in
	// valmennus (the day a proposal was approved, package
	// coaching/contactchange); zero when it is as imported. A re-import
	// from the SIS keeps it unless the SIS's own value changed since the
	// last import (package sis).
	ContactChangedOn Date `json:"contact_changed_on,omitzero"`
	// SISContact is Contact as the student information system last gave
	// it (package sis), field by field: a re-import tells by it whether the
	// SIS's value itself changed since.
	SISContact Contact `json:"sis_contact,omitzero"`
	// ErasedOn is set when the participant's personal data was erased
	// (package coaching/erasure): what remains is pseudonymous, kept for
	// figures.
	ErasedOn Date `json:"erased_on,omitzero"`
}

// SignOnTaken returns the error a store gives when a participant's sign-on
// id ([Participant.SignOn]) is already linked to another participant of the
// same organisation: a *ValidationError (matching [ErrInvalid]) whose one
// problem names the field sign_on. Sign-on ids are unique among the
// participants of one organisation — the policy recognises the student by
// it, so two participants sharing one would each be the other — and free
// across organisations. The message does not repeat the id.
func SignOnTaken() error {
	return &ValidationError{Subject: "participant", Problems: []FieldProblem{{Field: "sign_on",
		Message: "is already linked to another participant of the organisation"}}}
}

// Name returns "Given Family".
func (p Participant) Name() string {
	return strings.TrimSpace(p.GivenNames + " " + p.FamilyName)
}

// AgeOn returns the participant's age on a civil date.
func (p Participant) AgeOn(d Date) int { return p.BirthDate.AgeOn(d) }

// MinorOn reports whether the participant is under 18 on the civil date d.
// The 18th birthday itself is a day of adulthood.
func (p Participant) MinorOn(d Date) bool { return p.BirthDate.AgeOn(d) < 18 }

// LogValue logs only the id: names, contacts and codes stay out of logs.
func (p Participant) LogValue() slog.Value {
	return slog.GroupValue(slog.String("participant_id", string(p.ID)))
}

// Validate checks the participant and returns a *ValidationError listing
// every problem. today is the civil date used to reject birth dates in the
// future.
func (p Participant) Validate(today Date) error {
	pr := problems{subject: "participant"}
	checkName(&pr, "given_names", p.GivenNames)
	checkName(&pr, "family_name", p.FamilyName)
	checkText(&pr, "id", string(p.ID), 200)
	checkText(&pr, "organisation", string(p.Organisation), 200)
	checkText(&pr, "sign_on", p.SignOn, 255)
	if ContainsIdentityCode(p.SignOn) {
		pr.add("sign_on", "looks like a personal identity code: link the sign-on's pseudonymous subject instead")
	}
	switch {
	case p.BirthDate.IsZero():
		pr.add("birth_date", "required")
	case !p.BirthDate.Valid():
		pr.add("birth_date", "not a calendar date")
	case !today.IsZero() && p.BirthDate.After(today):
		pr.add("birth_date", "is in the future")
	case p.BirthDate.Year < 1900:
		pr.add("birth_date", "before 1900")
	}
	if !p.ErasedOn.IsZero() {
		pr.add("erased_on", "set only by an erasure")
	}
	if p.IdentityCode.Withheld() {
		pr.add("identity_code", "withheld from this reader: a participant read through the engine cannot be stored back with it")
	}
	if !p.IdentityCode.IsZero() && !p.IdentityCode.Withheld() && p.BirthDate.Valid() && p.IdentityCode.BirthDate() != p.BirthDate {
		pr.add("identity_code", "does not match the birth date")
	}
	if !p.Language.Valid() {
		pr.add("language", "must be fi, sv or en")
	}
	p.Contact.validate(&pr, "contact")
	seen, signOns := map[string]bool{}, map[string]bool{}
	for i, g := range p.Guardians {
		prefix := fmt.Sprintf("guardians[%d]", i)
		if strings.TrimSpace(g.ID) == "" {
			pr.add(prefix+".id", "required")
		} else if seen[g.ID] {
			pr.add(prefix+".id", "duplicate guardian id %q", g.ID)
		}
		seen[g.ID] = true
		checkName(&pr, prefix+".name", g.Name)
		checkText(&pr, prefix+".id", g.ID, 200)
		checkText(&pr, prefix+".sign_on", g.SignOn, 255)
		switch {
		case g.SignOn == "":
		case g.SignOn == p.SignOn:
			pr.add(prefix+".sign_on", "is the student's own sign-on id")
		case signOns[g.SignOn]:
			pr.add(prefix+".sign_on", "is another guardian's sign-on id")
		}
		signOns[g.SignOn] = true
		if ContainsIdentityCode(g.SignOn) {
			pr.add(prefix+".sign_on", "looks like a personal identity code: link the sign-on's pseudonymous subject instead")
		}
		if g.Language != "" && !g.Language.Valid() {
			pr.add(prefix+".language", "must be fi, sv or en")
		}
		g.Contact.validate(&pr, prefix+".contact")
	}
	switch p.Background.Gender {
	case GenderUnknown, GenderFemale, GenderMale, GenderNonBinary:
	default:
		pr.add("background.gender", "unknown value %q", p.Background.Gender)
	}
	if _, _, ok := p.Background.EducationLevel.ISCED(); !ok && p.Background.EducationLevel != EducationUnknown {
		pr.add("background.education_level", "unknown value %q", p.Background.EducationLevel)
	}
	switch p.Background.LabourStatus {
	case LabourUnknown, LabourUnemployed, LabourEmployed, LabourInactive, LabourInEducation:
	default:
		pr.add("background.labour_status", "unknown value %q", p.Background.LabourStatus)
	}
	if c := p.GuardianConsent; !c.GivenOn.IsZero() || !c.WithdrawnOn.IsZero() {
		switch {
		case c.GivenOn.IsZero():
			pr.add("guardian_consent.given_on", "required when a withdrawal is recorded")
		case !c.GivenOn.Valid():
			pr.add("guardian_consent.given_on", "not a calendar date")
		case !c.WithdrawnOn.IsZero() && (!c.WithdrawnOn.Valid() || c.WithdrawnOn.Before(c.GivenOn)):
			pr.add("guardian_consent.withdrawn_on", "must be a date on or after the consent")
		}
	}
	if m := p.Background.UnemployedMonths; m != nil && (*m < 0 || *m > 12*60) {
		pr.add("background.unemployed_months", "must be between 0 and 720")
	}
	for k, v := range p.ExternalIDs {
		if strings.TrimSpace(k) == "" {
			pr.add("external_ids", "empty system name")
		}
		checkText(&pr, "external_ids", k, 100)
		checkText(&pr, "external_ids."+k, v, 200)
	}
	return pr.err()
}

// TextProblems checks a free-text field the way the engine checks its own:
// valid UTF-8, at most max bytes, no control characters (NUL included) —
// except newline and tab when multiline —, no line or paragraph separators
// and no bidirectional-override characters (which can make a text display
// as something else). It returns the problems for field, or nil. Packages
// that add their own fields use it so every field is checked alike.
func TextProblems(field, s string, max int, multiline bool) []FieldProblem {
	if len(s) <= max && printableASCII(s) {
		return nil
	}
	return textProblems(field, s, max, multiline)
}

// textProblems is TextProblems decoding s.
func textProblems(field, s string, max int, multiline bool) []FieldProblem {
	var out []FieldProblem
	if len(s) > max {
		out = append(out, FieldProblem{Field: field, Message: fmt.Sprintf("longer than %d bytes", max)})
	}
	if !utf8.ValidString(s) {
		return append(out, FieldProblem{Field: field, Message: "is not valid UTF-8"})
	}
	for _, r := range s {
		switch {
		case multiline && (r == '\n' || r == '\t'):
		case unicode.IsControl(r):
			return append(out, FieldProblem{Field: field, Message: "contains a control character"})
		case unicode.In(r, unicode.Zl, unicode.Zp):
			return append(out, FieldProblem{Field: field, Message: "contains a line or paragraph separator"})
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return append(out, FieldProblem{Field: field, Message: "contains a bidirectional-override character"})
		}
	}
	return out
}

// checkText is TextProblems for a single-line field.
func checkText(pr *problems, field, s string, max int) {
	pr.list = append(pr.list, TextProblems(field, s, max, false)...)
}

// checkMultiline is TextProblems for a multi-line field (reasons, notes).
func checkMultiline(pr *problems, field, s string, max int) {
	pr.list = append(pr.list, TextProblems(field, s, max, true)...)
}

// checkName is checkText for a required personal name, which must also
// contain at least one letter (not only spaces or invisible characters).
func checkName(pr *problems, field, s string) {
	if strings.TrimSpace(s) == "" {
		pr.add(field, "required")
		return
	}
	checkText(pr, field, s, 200)
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		pr.add(field, "must contain a letter")
	}
}

func (p Participant) clone() Participant {
	q := p
	if p.Guardians != nil {
		q.Guardians = append([]Guardian(nil), p.Guardians...)
	}
	if p.ExternalIDs != nil {
		q.ExternalIDs = make(map[string]string, len(p.ExternalIDs))
		for k, v := range p.ExternalIDs {
			q.ExternalIDs[k] = v
		}
	}
	b := p.Background
	b.UnemployedMonths = clonePointer(b.UnemployedMonths)
	b.ForeignBackground = clonePointer(b.ForeignBackground)
	b.Disability = clonePointer(b.Disability)
	b.ThirdCountryNational = clonePointer(b.ThirdCountryNational)
	b.Minority = clonePointer(b.Minority)
	q.Background = b
	return q
}

// clonePointer returns a pointer to a copy of *v, or nil for nil.
func clonePointer[T any](v *T) *T {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

// Clone returns a deep copy, so a store can hand out participants without
// sharing mutable slices or maps.
func (p Participant) Clone() Participant { return p.clone() }

// ConsentRecord is an adult student's consent to let their guardians keep
// seeing their studies after they turn 18 (given and possibly withdrawn,
// both as civil dates).
type ConsentRecord struct {
	GivenOn     Date `json:"given_on,omitzero"`
	WithdrawnOn Date `json:"withdrawn_on,omitzero"`
	// GivenVia says how the consent was given: by the student signed in
	// (ConsentBySelf) or in writing, recorded by staff (ConsentInWriting).
	GivenVia ConsentVia `json:"given_via,omitempty"`
	// RecordedBy is the actor who recorded the consent's latest change, at
	// RecordedAt (package coaching/consent records and withdraws it).
	RecordedBy string    `json:"recorded_by,omitempty"`
	RecordedAt time.Time `json:"recorded_at,omitzero"`
}

// ConsentVia is how a consent was given.
type ConsentVia string

// Ways of giving consent.
const (
	// ConsentBySelf: the student recorded it themself, signed in.
	ConsentBySelf ConsentVia = "self"
	// ConsentInWriting: staff recorded the student's written consent.
	ConsentInWriting ConsentVia = "written"
)

// ActiveOn reports whether the consent holds on d: given on or before d and
// not withdrawn on or before d.
func (c ConsentRecord) ActiveOn(d Date) bool {
	return !c.GivenOn.IsZero() && !c.GivenOn.After(d) && (c.WithdrawnOn.IsZero() || c.WithdrawnOn.After(d))
}

// GuardiansInformedOn reports whether the participant's guardians may be
// told about the participant on civil date d: while the participant is
// under 18, and afterwards only with the adult's consent in force.
func (p Participant) GuardiansInformedOn(d Date) bool {
	return p.MinorOn(d) || p.GuardianConsent.ActiveOn(d)
}

// GuardianOf returns the guardian recorded on p whom actor a is, when a
// holds the guardian role and is p's guardian as the policy sees it:
// recorded on p by sign-on id (or by record id when none is linked,
// [Guardian.SignOn]), or named in a guardian_of relation the host asserts
// for p — a guardian not recorded on p is then returned with only their
// id. Features ask it rather than matching ids themselves, so that they
// recognise exactly whom the policy does.
func (p Participant) GuardianOf(a Actor) (Guardian, bool) {
	if !a.HasRole(RoleGuardian) || a.ID == "" {
		return Guardian{}, false
	}
	if g, ok := p.recordedGuardian(a.ID); ok {
		return g, true
	}
	for _, rel := range a.Relations {
		if rel.Kind == RelationGuardianOf && rel.Participant == p.ID && p.ID != "" {
			return Guardian{ID: a.ID}, true
		}
	}
	return Guardian{}, false
}

// IsStudent reports whether actor a is p themself as the policy sees it:
// the student role, and p's sign-on id ([Participant.SignOn]) or a self
// relation the host asserts for p.
func (p Participant) IsStudent(a Actor) bool {
	if !a.HasRole(RoleStudent) || a.ID == "" || p.ID == "" {
		return false
	}
	if p.SignOn != "" && p.SignOn == a.ID {
		return true
	}
	for _, rel := range a.Relations {
		if rel.Kind == RelationSelf && rel.Participant == p.ID {
			return true
		}
	}
	return false
}

// recordedGuardian returns the guardian recorded on p whose sign-on id is
// id — or whose record id is, when none is linked: a guardian linked to a
// sign-on id is recognised by it alone, so that their record id (made up
// at import) is no credential.
func (p *Participant) recordedGuardian(id string) (Guardian, bool) {
	for _, g := range p.Guardians {
		if g.SignOn != "" && g.SignOn == id || g.SignOn == "" && g.ID != "" && g.ID == id {
			return g, true
		}
	}
	return Guardian{}, false
}
