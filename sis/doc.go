// Package sis imports students from a student information system (SIS,
// e.g. Primus, Wilma or Peppi) export: it reads a CSV file, checks every
// row, and enrols the good rows into a coaching model with one call to
// [Import].
//
// # Getting started
//
//	rep, err := sis.Import(ctx, eng, actor, file, sis.Options{
//		Model:        coaching.ModelPilot,
//		Organisation: "1.2.246.562.10.00000000001",
//	})
//	if err != nil {
//		// The import stopped: unreadable input, a bad header, a forbidden
//		// actor, a cancelled context or a store failure.
//	}
//	for _, p := range rep.Problems {
//		fmt.Printf("line %d, %s: %s\n", p.Line, p.Column, p.Message)
//	}
//
// # File format
//
// The file is CSV with a header row. Columns are found by their header
// name, in any order: the documented name below or an alias (see Header
// names). A header that names an unknown column, names a column twice (two
// aliases of one column count) or lacks a required column stops the
// import. The delimiter is a comma or a semicolon (what Finnish Excel
// writes for "CSV"), chosen by which of the two the header row holds more
// of. Lines end in LF or CRLF. A field that holds the delimiter, a quote
// or a line break is quoted ("…", with "" for a quote inside), as RFC 4180
// and Excel write it. Spaces around values are trimmed; a row whose fields
// are all empty (Excel writes ";;;;" for a cleared row) is skipped.
//
// The text is UTF-8, with or without a byte order mark (Excel's "CSV
// UTF-8"), or Windows-1252 (Excel's "CSV (semicolon delimited)" on a
// Finnish or Swedish Windows): the whole file (at most [MaxFileSize]) is
// read first, a UTF-8 byte order mark is dropped, a file that is valid
// UTF-8 is UTF-8, and any other is converted from Windows-1252 with
// golang.org/x/text/encoding/charmap — unless it also holds valid
// multi-byte UTF-8 ("ä" as two bytes beside "ä" as one: two exports pasted
// together), which as a whole would read as "Ã¤" without a word: such a
// file mixes encodings and is refused, the error naming the first line of
// each kind (and no value). A file holding a byte Windows-1252
// leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) is in another code page
// and is refused, as is UTF-16 ("Unicode text"). [Report.Encoding] names
// what was found. (A Windows-1252 file that happens to be valid UTF-8 —
// "Ã¤" where "ä" was meant — cannot be told apart and is read as UTF-8.)
//
// A byte order mark or a zero-width character (U+FEFF, U+200B–U+200D,
// U+2060: a file saved twice by a tool that adds a byte order mark, a copy
// from a web page) inside a header name or an id cell (external_id,
// learner_oid and the sign_on columns) is dropped: it does not show, and
// left in it would make "S1" another student. An external id that starts
// with =, +, - or @ is a problem of the row: a spreadsheet reads such a
// cell as a formula when a report or the ESF+ form listing it is opened.
//
// Dates are d.m.yyyy or dd.mm.yyyy, as Finnish exports write them
// ("17.5.2009", "07.05.2009"), or YYYY-MM-DD. A two-digit year
// ("17.5.09") is refused: it could be 1909 or 2009. Languages are the
// codes fi, sv and en or their names in Finnish, Swedish or English
// (suomi, ruotsi, englanti; finska, svenska, engelska; finnish, swedish,
// english), in any case; any other language (a mother tongue such as
// arabia) is a problem of the row — export the language of instruction
// or service (opetuskieli, asiointikieli) instead, or leave the column
// out.
//
//	column              required  content
//	external_id         yes       the student's id in the SIS (at most 100 bytes; not an identity code; not starting with = + - @)
//	given_names         yes       given names
//	family_name         yes       family name
//	birth_date          yes       date of birth
//	identity_code       no        Finnish personal identity code (henkilötunnus); must match birth_date
//	email               no        the student's e-mail address
//	phone               no        the student's phone number (digits, spaces, dashes, optional leading +)
//	language            no        fi, sv or en (or a name of one); empty means fi
//	group               no        teaching group, e.g. TVO25A (at most 100 bytes)
//	start_date          no        start of studies
//	learner_oid         no        OPH learner OID (oppijanumero), 1.2.246.562.24.…
//	guardian1_name      no        first guardian's name (required when any other guardian1_ field is set)
//	guardian1_email     no        first guardian's e-mail address
//	guardian1_phone     no        first guardian's phone number
//	guardian1_language  no        first guardian's language, as language; empty means the student's
//	guardian2_name      no        second guardian, as guardian1_
//	guardian2_email     no
//	guardian2_phone     no
//	guardian2_language  no
//	updated_on          no        the date the SIS record was last changed (see Re-import)
//	sign_on             no        the student's sign-on id: the actor id the host's authentication gives them (see Sign-on)
//	guardian1_sign_on   no        the first guardian's sign-on id (e.g. the guardians' sign-on broker's subject)
//	guardian2_sign_on   no        the second guardian's sign-on id
//	calling_name        no        the calling name (kutsumanimi): checked as text, not stored (a participant has given names only)
//	gender              no        female, male or non_binary (nainen, mies; kvinna, man; 2, 1 as in the national code set)
//	education_level     no        below_basic, basic, general_upper_secondary, vocational, specialist_vocational or higher
//	                              (or peruskoulu, lukio, ammatillinen, erikoisammattitutkinto, korkeakoulu …; grundskola, gymnasium …)
//	labour_status       no        unemployed, employed, inactive or in_education (työtön, työllinen, työvoiman ulkopuolella, opiskelija; arbetslös …)
//	unemployed_months   no        the length of the unemployment at entry, whole months 0–720
//	foreign_background  no        yes or no (kyllä, ei; ja, nej; 1, 0)
//	disability          no        yes or no (a special category of data: import it only when it was asked for this purpose)
//	third_country_national no     yes or no: not a citizen of an EU member state (ESF+ EECO13)
//	minority            no        yes or no (ESF+ EECO15; a special category of data, asked with consent)
//
// The background columns fill [coaching.Background]; an empty cell is
// unknown (nil), never "no".
//
// "Required" means the header must name the column and every row must
// fill it. [Columns] lists the column names in this order.
//
// # Header names
//
// A header name is compared normalised: in lower case, without
// diacritics (ä → a, å → a, ö → o) and without spaces and punctuation, so
// "Huoltaja 1 sähköposti", "HUOLTAJA_1_SAHKOPOSTI" and
// "huoltaja1sähköposti" are one name, and so are "given_names" and
// "Given names". Besides the documented names, the header names Finnish
// student information system exports commonly use (Wilma and Primus
// style, in Finnish and Swedish) are aliases of the columns ([Aliases]
// returns the table):
//
//	column          Finnish                                                   Swedish
//	external_id     Opiskelijanumero, Opiskelijatunnus, Opiskelijan tunnus,   Studerandenummer, Elevnummer
//	                Oppilasnumero, Primus-numero, Primustunnus
//	given_names     Etunimet, Etunimi                                         Förnamn
//	family_name     Sukunimi                                                  Efternamn, Släktnamn
//	calling_name    Kutsumanimi                                               Tilltalsnamn
//	birth_date      Syntymäaika, Syntymäpäivä, Syntymäpvm                     Födelsedatum, Födelsetid
//	identity_code   Henkilötunnus, Hetu                                       Personbeteckning
//	email           Sähköposti, Sähköpostiosoite, Opiskelijan sähköposti      E-post, E-postadress (and E-mail)
//	phone           Matkapuhelin, Matkapuhelinnumero, Puhelin, Puhelinnumero, Mobiltelefon, Mobilnummer, Telefon,
//	                Opiskelijan matkapuhelin                                  Telefonnummer
//	language        Äidinkieli, Opetuskieli, Asiointikieli, Kieli             Modersmål, Undervisningsspråk, Kontaktspråk, Språk
//	group           Ryhmä, Ryhmätunnus, Perusryhmä, Luokka                    Grupp, Basgrupp, Klass
//	start_date      Aloituspäivä, Aloituspvm, Alkamispäivä,                   Startdatum, Studiernas början, Inskrivningsdatum
//	                Opintojen alkamispäivä, Läsnä alkaen
//	learner_oid     Oppijanumero, Oppija-OID, Oppijan OID                     Studerandens OID
//	updated_on      Muokattu, Muokkauspäivä, Päivitetty, Viimeksi muokattu,   Ändrad, Uppdaterad, Senast ändrad
//	                Muutettu
//	guardianN_name  Huoltaja N, Huoltaja N nimi                               Vårdnadshavare N, Vårdnadshavare N namn
//	guardianN_email Huoltaja N sähköposti                                     Vårdnadshavare N e-post
//	guardianN_phone Huoltaja N puhelin, Huoltaja N matkapuhelin               Vårdnadshavare N telefon, Vårdnadshavare N mobiltelefon
//	guardianN_language Huoltaja N kieli, Huoltaja N asiointikieli             Vårdnadshavare N språk
//	gender          Sukupuoli                                                 Kön
//	education_level Koulutustaso, Pohjakoulutus                               Utbildningsnivå, Grundutbildning
//	labour_status   Työmarkkina-asema                                         Ställning på arbetsmarknaden
//	unemployed_months Työttömyyden kesto, Työttömyyden kesto (kk)             Arbetslöshetens längd
//	foreign_background Maahanmuuttajatausta, Ulkomaalaistausta                Utländsk bakgrund, Invandrarbakgrund
//	disability      Vamma, Vammaisuus                                         Funktionsnedsättning
//	third_country_national Kolmannen maan kansalainen                         Tredjelandsmedborgare
//	minority        Vähemmistö, Vähemmistöön kuuluva                          Minoritet
//
// N is 1 or 2; without a number (Huoltaja, Huoltajan nimi, Huoltajan
// sähköposti, Huoltajan puhelin, Huoltajan matkapuhelin, Huoltajan kieli,
// Huoltajan asiointikieli; Vårdnadshavare, Vårdnadshavarens namn,
// Vårdnadshavarens e-post, Vårdnadshavarens telefon, Vårdnadshavarens
// mobiltelefon, Vårdnadshavarens språk) the names are the first
// guardian's. A host adds its own names, or overrides these, with
// [Options.Aliases]; mapping a name to [Ignore] skips its column (an
// export with both Puhelin and Matkapuhelin names the phone twice: map
// one of them to Ignore). The identity code's column is read like any
// other, and its values are never logged, echoed or reported.
//
// # Rows and problems
//
// Every row is checked in full and every problem is reported, not only a
// row's first, as a [RowProblem] with the physical line number the row
// starts on (the header is line 1; line breaks inside quoted fields and
// CRLF line ends are counted as the file shows them), the column and a
// message. Messages never repeat a cell's value, so a report can be
// logged or shown without leaking personal data; in particular an
// identity code never appears in a message or an error. Two rows with
// the same external id, or the same identity code, are both reported and
// neither is enrolled.
//
// Without [Options.Strict] every good row is enrolled in a transaction of
// its own: a row the store rejects (typically "already enrolled") is
// reported and the others go on. With Strict, a file with any problem
// enrols nothing and writes nothing; a file without problems is enrolled
// in one transaction, all rows or none.
//
// # Identities
//
// The participant's id is derived from the organisation and the external
// id ([ParticipantID]: "sis:<organisation>:<external_id>"), and the
// guardians' ids from the participant's, so importing the same file twice
// creates no duplicates: the second time each row is reported as already
// enrolled. The participant's [coaching.Participant.ExternalIDs] hold
// "sis" → external id and, when given, "oppija_oid" → learner OID, so a
// host can map a participant back to its own records. The group and the
// start date are stored on the new case as a record named "sis_enrolment"
// ([RecordName], payload [EnrolmentRecord]) in the enrolment's
// transaction: it is stored with the case's opening
// ([coaching.EnrolParams.Records]), by the importer, whose permission to
// enrol is all it needs — the importer need not be on the new case's team.
// The opening audit entry is the importer's and its reason names the line
// ("SIS import, line 2").
//
// # Sign-on
//
// The sign_on columns link a student and their guardians to the ids the
// host's authentication gives them when they sign in (for OpenID Connect,
// the subject as the authenticator forms it, e.g. with its IDPrefix): a
// signed-in student whose id is the participant's sign-on id is that
// student, and a signed-in guardian whose id is a guardian's sign-on id is
// that student's guardian (coaching.Participant.SignOn,
// coaching.Guardian.SignOn). The relation comes from these records,
// never from what the caller says. A sign-on id shaped like a personal
// identity code is refused: link the sign-on broker's pseudonymous subject,
// not the national identification number. A re-import writes the sign-on
// columns it names like the contact columns' SIS side: the SIS is where
// the link is kept.
//
// # Re-import
//
// With [Options.Update], a row whose participant is already enrolled in
// the organisation updates the participant instead of being reported as
// already enrolled: the contact details (the student's e-mail address and
// phone number and each guardian's), the sign-on ids, the language, the
// guardians, the background facts not yet known and the group and start
// date. Only the columns the header names are written: a file without the
// phone column leaves every phone number as it is, while an empty cell in
// a column the header names clears the value (the SIS has none) — except
// in the background columns.
//
// Names, the birth date, the identity code and the learner OID are not
// changed by a re-import. A given name, family name or birth date the SIS
// now gives otherwise (a change of name, a corrected typo) is reported in
// [Report.Conflicts] ("not updated by an import", the column, both values
// in [Conflict.Kept] and [Conflict.SIS]) for a person to change by hand;
// so is an identity code the row gives that differs from the recorded one
// (or where none is recorded) — compared, never echoed: that conflict
// names the column only and holds neither value. An empty identity code
// cell is not compared.
//
// The background ([coaching.Background]) is the facts at entry, which the
// ESF+ participant data reports ("labour market status at entry"): once
// the participant has a case — as every participant a re-import updates
// has — a background column is written only where the recorded value is
// unknown (a fact missing at entry filled in, with a diff). A value that
// differs from a known one (the student unemployed at entry has since
// found work) is not written but reported as a conflict with both values
// in Kept and SIS, and an empty cell erases nothing.
//
// Guardians are matched by their number in the file (the guardian ids an
// import makes, "<participant>:guardian1" and ":guardian2"). A recorded
// guardian the row names under the same name (but for case and spacing)
// is updated; under another name — guardians in another order, or
// replaced — it is a conflict ([Report.Conflicts], column guardianN_name)
// and nothing of theirs is written (a replaced guardian is removed by one
// import and added by the next, or changed by hand). A guardian the row
// gives under a number the participant has none under is added; a
// recorded guardian the row leaves empty, when the header names the
// guardian's name column, is removed. Guardians a host recorded under
// other ids are left as they are. The group and the start date are those
// of a new [RecordName] record on each of the participant's open cases of
// [Options.Model] whose latest record differs (the cases' earlier records
// stay; closed cases are not changed).
//
// A contact detail changed in valmennus (an approved proposal of the
// guardian or the student, package coaching/contactchange, which records
// the day of the approval in [coaching.Participant.ContactChangedOn] and
// [coaching.Guardian.ContactChangedOn]) is not silently overwritten: an
// import keeps, field by field, the values the SIS gave
// ([coaching.Participant.SISContact], [coaching.Guardian.SISContact]), and
// a field changed in valmennus is overwritten only when the SIS's own
// value changed since the last import and the row's updated_on date is
// after the change. Otherwise — the SIS still giving its old value (the
// row's date may have moved for another column), a change dated on or
// before the valmennus one (a same-day tie is never decided silently), or
// a row without a date — the valmennus value is kept and reported in
// [Report.Conflicts], with both values for the importer ([Conflict.Kept],
// [Conflict.SIS]). A guardian whose details were changed in valmennus is
// likewise not removed by a record dated on or before the change. When
// no field is kept and every field is the SIS's, the contact is the SIS's
// again (its ContactChangedOn cleared). The language, the group and the
// start date have no date of change inside the library: a re-import
// always writes them.
//
// What a re-import wrote is listed in [Report.Updated], row by row, with
// a [FieldDiff] per field — the column and the values before and after —
// for the importer to check. The values are in the report only: a diff's
// String and LogValue, a conflict's message and LogValue, and the audit
// trail name columns, never values. Each update is audited on each of the
// participant's cases (kind [AuditKind], event [EventUpdated], the reason
// naming the line, the payload the columns, and [Updated.SISAgain] names
// whose details are the SIS's again when only a valmennus date was
// cleared). Update runs each row in a change of its own under the
// policy's decide_request rule, by one who decides the student's contact
// changes ([contactchange.MayDecide]: the personal tutor or study
// counsellor on one of the student's teams, the coach of a team without a
// personal tutor, or the head of studies — never a teacher or
// student-welfare staff): importing (enrol) is not enough to change a
// student's details, and a row the importer may not update is reported as
// a problem ("not updated") — and cannot be combined with Strict.
//
// # Dry run
//
// With [Options.DryRun] an import does everything it would — every row
// checked, every enrolment and every update run in its transaction with
// the store's and the policy's checks — and rolls each transaction back.
// The report is the import's ([Report.DryRun] set; an enrolled row has no
// case id, since no case was made), and nothing is written: no
// participant, case, record, audit entry, notice or timer. (A policy
// denial is still written to the access log, as any refused request is.)
//
// # Full export
//
// With [Options.FullExport] the file is taken to list every student of
// the organisation the SIS has. The students an import made in the
// organisation (participant ids "sis:<organisation>:…") who have an open
// case of [Options.Model] and whom the file does not list by external id
// are reported in [Report.Missing], with their open cases. They are only
// reported: no case is closed and no participant deleted — a student who
// left is closed by a person, with the reason. A row with problems still
// lists its student; a row whose external id cannot be read lists no one.
// Listing the organisation's students is what the policy's read_figures
// rule allows (the head of studies, under [coaching.DefaultPolicy]); it is
// checked before the file is read.
//
// # Access
//
// The actor must be allowed to enrol in the organisation by the engine's
// policy (staff, or the organisation's head of studies, under
// [coaching.DefaultPolicy]) and hold one of the model's opener roles. This
// is checked before the file is read; a denied actor gets a
// *[coaching.ForbiddenError] and nothing is read or enrolled.
package sis
