package sis

import (
	"maps"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Ignore, as the column an alias maps to ([Options.Aliases]), makes an
// import skip the header's column: it is read as CSV and otherwise
// ignored.
const Ignore = "-"

// defaultAliases maps the header names Finnish student information system
// exports commonly use (Wilma and Primus style, in Finnish and in Swedish)
// to the documented columns. The keys are written as people write them;
// they are matched normalised ([normalizeHeader]). The package
// documentation lists the table; [Aliases] returns it.
var defaultAliases = map[string]string{
	// external_id
	"Opiskelijanumero": colExternalID, "Opiskelijatunnus": colExternalID, "Opiskelijan tunnus": colExternalID,
	"Oppilasnumero": colExternalID, "Primus-numero": colExternalID, "Primustunnus": colExternalID,
	"Studerandenummer": colExternalID, "Studerandenummer i SIS": colExternalID, "Elevnummer": colExternalID,
	// given_names, family_name, calling_name
	"Etunimet": colGivenNames, "Etunimi": colGivenNames, "Förnamn": colGivenNames,
	"Sukunimi": colFamilyName, "Efternamn": colFamilyName, "Släktnamn": colFamilyName,
	"Kutsumanimi": colCallingName, "Tilltalsnamn": colCallingName,
	// birth_date, identity_code
	"Syntymäaika": colBirthDate, "Syntymäpäivä": colBirthDate, "Syntymäpvm": colBirthDate,
	"Födelsedatum": colBirthDate, "Födelsetid": colBirthDate,
	"Henkilötunnus": colIdentityCode, "Hetu": colIdentityCode, "Personbeteckning": colIdentityCode,
	// email, phone
	"Sähköposti": colEmail, "Sähköpostiosoite": colEmail, "Opiskelijan sähköposti": colEmail,
	"E-mail": colEmail, "E-post": colEmail, "E-postadress": colEmail,
	"Matkapuhelin": colPhone, "Matkapuhelinnumero": colPhone, "Puhelin": colPhone, "Puhelinnumero": colPhone,
	"Opiskelijan matkapuhelin": colPhone, "Mobiltelefon": colPhone, "Mobilnummer": colPhone, "Telefon": colPhone,
	"Telefonnummer": colPhone,
	// language
	"Äidinkieli": colLanguage, "Opetuskieli": colLanguage, "Asiointikieli": colLanguage, "Kieli": colLanguage,
	"Modersmål": colLanguage, "Undervisningsspråk": colLanguage, "Kontaktspråk": colLanguage, "Språk": colLanguage,
	// group, start_date
	"Ryhmä": colGroup, "Ryhmätunnus": colGroup, "Perusryhmä": colGroup, "Luokka": colGroup,
	"Grupp": colGroup, "Basgrupp": colGroup, "Klass": colGroup,
	"Aloituspäivä": colStartDate, "Aloituspvm": colStartDate, "Opintojen alkamispäivä": colStartDate,
	"Alkamispäivä": colStartDate, "Läsnä alkaen": colStartDate,
	"Startdatum": colStartDate, "Studiernas början": colStartDate, "Inskrivningsdatum": colStartDate,
	// learner_oid
	"Oppijanumero": colLearnerOID, "Oppija-OID": colLearnerOID, "Oppijan OID": colLearnerOID,
	"Studerandens OID": colLearnerOID,
	// updated_on
	"Muokattu": colUpdatedOn, "Muokkauspäivä": colUpdatedOn, "Päivitetty": colUpdatedOn, "Viimeksi muokattu": colUpdatedOn,
	"Muutettu": colUpdatedOn, "Ändrad": colUpdatedOn, "Uppdaterad": colUpdatedOn, "Senast ändrad": colUpdatedOn,
}

// guardianAliases adds the guardians' columns: "Huoltaja", "Huoltajan
// sähköposti", "Huoltaja 1 puhelin", "Vårdnadshavare 2 e-post", … (the
// unnumbered names are the first guardian's).
func init() {
	fields := []struct {
		field  string
		fi, sv []string
		fiBare []string
		svBare []string
	}{
		{"name", []string{"", " nimi"}, []string{"", " namn"}, []string{"Huoltaja", "Huoltajan nimi"}, []string{"Vårdnadshavare", "Vårdnadshavarens namn"}},
		{"email", []string{" sähköposti"}, []string{" e-post"}, []string{"Huoltajan sähköposti"}, []string{"Vårdnadshavarens e-post"}},
		{"phone", []string{" puhelin", " matkapuhelin"}, []string{" telefon", " mobiltelefon"},
			[]string{"Huoltajan puhelin", "Huoltajan matkapuhelin"}, []string{"Vårdnadshavarens telefon", "Vårdnadshavarens mobiltelefon"}},
		{"language", []string{" kieli", " asiointikieli"}, []string{" språk"}, []string{"Huoltajan kieli", "Huoltajan asiointikieli"}, []string{"Vårdnadshavarens språk"}},
	}
	for _, f := range fields {
		for n := 1; n <= guardians; n++ {
			num := string(rune('0' + n))
			for _, s := range f.fi {
				defaultAliases["Huoltaja "+num+s] = guardianCol(n, f.field)
			}
			for _, s := range f.sv {
				defaultAliases["Vårdnadshavare "+num+s] = guardianCol(n, f.field)
			}
		}
		for _, s := range append(slices.Clone(f.fiBare), f.svBare...) {
			defaultAliases[s] = guardianCol(1, f.field)
		}
	}
}

// Aliases returns the default header aliases: a header name as Finnish
// student information systems write it → the documented column it means.
// A header is matched normalised (see [Options.Aliases]).
func Aliases() map[string]string { return maps.Clone(defaultAliases) }

// normalizeHeader is the form in which header names are compared: lower
// case, without diacritics (ä → a, å → a, ö → o), keeping only letters and
// digits ("Huoltaja 1 sähköposti" and "huoltaja1_sahkoposti" are one name).
func normalizeHeader(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// headerTable maps normalised header names to documented columns (or
// [Ignore]): the documented names themselves, the default aliases, then
// the host's, which override a default alias of the same normalised name.
func headerTable(host map[string]string) map[string]string {
	t := make(map[string]string, len(columns)+len(defaultAliases)+len(host))
	for alias, col := range defaultAliases {
		t[normalizeHeader(alias)] = col
	}
	for _, c := range columns {
		t[normalizeHeader(c)] = c
	}
	for alias, col := range host {
		t[normalizeHeader(alias)] = col
	}
	return t
}
