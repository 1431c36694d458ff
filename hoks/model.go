package hoks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Conventions of the model:
//
//   - Scalars are pointers, lists are slices and dates and instants are
//     zero-means-absent types ([coaching.Date], [Instant]), so that
//     "absent", "false", "0" and "" stay distinct and a decoded document
//     encodes back to the same JSON. eHOKS's "required" means "present": a
//     required string may be empty, as in eHOKS. [Ref] makes a pointer.
//   - A nil slice is an absent key; an empty non-nil slice is "[]".
//   - Extra holds JSON members this package does not model. It is filled only
//     when decoding with [DecodeOptions.KeepUnknown] and is re-emitted by
//     [Encode].

// Ref returns a pointer to v, for filling optional fields.
func Ref[T any](v T) *T { return &v }

// Extra holds unknown JSON members of an object, by key, as raw JSON.
type Extra map[string]json.RawMessage

// Instant is a point in time (eHOKS "hyväksytty", "päivitetty",
// "poistettu"). It keeps the text it was decoded from, so that re-encoding
// writes the exact same string (eHOKS writes e.g. "2017-10-25T21:00:00.000Z").
// The zero Instant means "not set".
type Instant struct {
	Time time.Time
	text string
}

// InstantOf returns an Instant for t. It is encoded in UTC with millisecond
// precision, the form eHOKS itself writes.
func InstantOf(t time.Time) Instant { return Instant{Time: t} }

// IsZero reports whether the instant is unset.
func (i Instant) IsZero() bool { return i.Time.IsZero() && i.text == "" }

// String returns the text the instant is encoded as.
func (i Instant) String() string {
	if i.IsZero() {
		return ""
	}
	if i.text != "" {
		if t, err := parseISOInstant(i.text); err == nil && t.Equal(i.Time) {
			return i.text
		}
	}
	return i.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// rfc3339 reports whether the instant was written in RFC 3339 (or not
// decoded from text at all).
func (i Instant) rfc3339() bool {
	if i.text == "" {
		return true
	}
	_, err := time.Parse(time.RFC3339Nano, i.text)
	return err == nil
}

func parseInstant(s string) (Instant, error) {
	t, err := parseISOInstant(s)
	if err != nil {
		return Instant{}, err
	}
	return Instant{Time: t, text: s}, nil
}

// isoInstant is the subset of ISO 8601 that eHOKS reads as an instant: it
// parses them with Joda-Time's ISODateTimeFormat.dateTimeParser in UTC
// (ring.swagger.coerce parse-date-time with clj-time's :date-time-parser),
// so the time, its seconds and fraction and the offset may be left out.
var isoInstant = regexp.MustCompile(`^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$`)

// parseISOInstant reads RFC 3339, or the other ISO 8601 forms eHOKS accepts:
// "2024-01-02", "2024-01", "2024-01-02T10:20", "2024-01-02T10:20:30,5+0200",
// … A missing month or day is the first, a missing offset means UTC, as in
// eHOKS. (Joda-Time also reads week and ordinal dates, a time without a
// date and fractions of hours or minutes; those are not supported.)
func parseISOInstant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	m := isoInstant.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("%q is not an ISO 8601 timestamp", s)
	}
	num := func(i int) int {
		n, _ := strconv.Atoi(m[i]) // digits only; "" is 0
		return n
	}
	frac := m[7]
	if len(frac) > 9 {
		frac = frac[:9] // Joda-Time keeps milliseconds; Go nanoseconds
	}
	ns := 0
	if frac != "" {
		ns, _ = strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
	}
	loc := time.UTC
	if off := m[8]; off != "" && off != "Z" {
		sign := 1
		if off[0] == '-' {
			sign = -1
		}
		digits := strings.ReplaceAll(off[1:], ":", "")
		h, _ := strconv.Atoi(digits[:2])
		mins := 0
		if len(digits) == 4 {
			mins, _ = strconv.Atoi(digits[2:])
		}
		if h > 23 || mins > 59 {
			return time.Time{}, fmt.Errorf("%q: offset out of range", s)
		}
		loc = time.FixedZone("", sign*(h*3600+mins*60))
	}
	y, mo, d, h, mi, sec := num(1), num(2), num(3), num(4), num(5), num(6)
	if m[2] == "" {
		mo = 1
	}
	if m[3] == "" {
		d = 1
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc)
	if mo < 1 || mo > 12 || t.Day() != d || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, fmt.Errorf("%q: no such date or time", s)
	}
	return t, nil
}

// Plan is one HOKS (henkilökohtainen osaamisen kehittämissuunnitelma, the
// learner's personal competence development plan) as eHOKS holds it
// (HOKSModel). A vocational plan lists qualification units; a TUVA plan
// (tutkintokoulutukseen valmentava koulutus, preparatory training) lists only
// training parts ([Plan.TUVAParts]).
type Plan struct {
	// ID is the eHOKS database id ("id"); read-only, absent when creating.
	ID *int64 `json:"id,omitempty"`
	// EID is eHOKS's generated external id ("eid", a UUID); read-only.
	EID *string `json:"eid,omitempty"`
	// LearnerOID is the learner's person OID in the national learner register
	// ("oppija-oid", node 24).
	LearnerOID *string `json:"oppija-oid,omitempty" validate:"required,oppija_oid"`
	// StudyRightOID is the KOSKI study right the plan belongs to
	// ("opiskeluoikeus-oid", node 15); one plan per study right.
	StudyRightOID *string `json:"opiskeluoikeus-oid,omitempty" validate:"required,opiskeluoikeus_oid"`
	// TUVAStudyRightOID links a vocational plan to a parallel TUVA study
	// right ("tuva-opiskeluoikeus-oid"); not allowed on a TUVA plan.
	TUVAStudyRightOID *string `json:"tuva-opiskeluoikeus-oid,omitempty" validate:"omitnil,opiskeluoikeus_oid"`
	// Email is the learner's e-mail ("sahkoposti"), used for feedback surveys.
	Email *string `json:"sahkoposti,omitempty"`
	// Phone is the learner's phone number ("puhelinnumero").
	Phone *string `json:"puhelinnumero,omitempty"`
	// CareerPlanCodeURI is the career-plan goal ("urasuunnitelma-koodi-uri",
	// koodisto urasuunnitelma: 0001 further studies, 0002 move to working
	// life, 0003 career advancement).
	CareerPlanCodeURI *string `json:"urasuunnitelma-koodi-uri,omitempty" validate:"omitnil,koodi=urasuunnitelma"`
	// CareerPlanCodeVersion is the koodisto version ("urasuunnitelma-koodi-versio").
	CareerPlanCodeVersion *int `json:"urasuunnitelma-koodi-versio,omitempty"`
	// Version is a client-supplied document version ("versio"); eHOKS does
	// not use it for locking.
	Version *int `json:"versio,omitempty"`
	// FirstApproved is the date the plan was first approved
	// ("ensikertainen-hyvaksyminen"); it triggers the start-of-studies survey.
	FirstApproved coaching.Date `json:"ensikertainen-hyvaksyminen,omitzero" validate:"required"`
	// Approved is the latest approval time ("hyvaksytty").
	Approved Instant `json:"hyvaksytty,omitzero"`
	// Updated is the latest update time ("paivitetty").
	Updated Instant `json:"paivitetty,omitzero"`
	// Deleted is the soft-delete time ("poistettu"), only in exports.
	Deleted Instant `json:"poistettu,omitzero"`
	// CompetenceReached is the date the learner reached the competence
	// ("osaamisen-saavuttamisen-pvm", ≈ studies completed); it triggers the
	// end-of-studies survey.
	CompetenceReached coaching.Date `json:"osaamisen-saavuttamisen-pvm,omitzero"`
	// NeedsCompetence is the outcome of recognising prior learning: does the
	// learner need to acquire competence at all ("osaamisen-hankkimisen-tarve").
	NeedsCompetence *bool `json:"osaamisen-hankkimisen-tarve,omitempty" validate:"required"`
	// ManualEntry is true when the plan was entered in the officials' UI
	// ("manuaalisyotto"); read-only.
	ManualEntry *bool `json:"manuaalisyotto,omitempty"`

	// PriorVocationalUnits are previously acquired vocational units
	// ("aiemmin-hankitut-ammat-tutkinnon-osat").
	PriorVocationalUnits []PriorVocationalUnit `json:"aiemmin-hankitut-ammat-tutkinnon-osat,omitzero" validate:"dive"`
	// PriorCommonUnits are previously acquired common units (YTO, yhteiset
	// tutkinnon osat) ("aiemmin-hankitut-yhteiset-tutkinnon-osat").
	PriorCommonUnits []PriorCommonUnit `json:"aiemmin-hankitut-yhteiset-tutkinnon-osat,omitzero" validate:"dive"`
	// PriorLocalUnits are previously acquired local units
	// ("aiemmin-hankitut-paikalliset-tutkinnon-osat").
	PriorLocalUnits []PriorLocalUnit `json:"aiemmin-hankitut-paikalliset-tutkinnon-osat,omitzero" validate:"dive"`
	// VocationalUnits are the vocational units to acquire
	// ("hankittavat-ammat-tutkinnon-osat").
	VocationalUnits []VocationalUnit `json:"hankittavat-ammat-tutkinnon-osat,omitzero" validate:"dive"`
	// CommonUnits are the common units (YTO) to acquire
	// ("hankittavat-yhteiset-tutkinnon-osat").
	CommonUnits []CommonUnit `json:"hankittavat-yhteiset-tutkinnon-osat,omitzero" validate:"dive"`
	// LocalUnits are the local units to acquire
	// ("hankittavat-paikalliset-tutkinnon-osat").
	LocalUnits []LocalUnit `json:"hankittavat-paikalliset-tutkinnon-osat,omitzero" validate:"dive"`
	// SupportingStudies are studies that support study skills
	// ("opiskeluvalmiuksia-tukevat-opinnot"), being replaced by LearningSupport.
	SupportingStudies []SupportingStudy `json:"opiskeluvalmiuksia-tukevat-opinnot,omitzero" validate:"dive"`
	// LearningSupport are learning-support measures ("oppimisen-tuki").
	LearningSupport []LearningSupport `json:"oppimisen-tuki,omitzero" validate:"dive"`
	// TUVAParts are the TUVA training parts to acquire
	// ("hankittavat-koulutuksen-osat"); only on a TUVA plan.
	TUVAParts []TUVAPart `json:"hankittavat-koulutuksen-osat,omitzero" validate:"dive"`

	Extra Extra `json:"-"`
}

// IsTUVA reports whether the plan is a TUVA plan, i.e. lists TUVA training
// parts. eHOKS decides it from the KOSKI study right's type; a document on
// its own shows it only through its parts.
func (p *Plan) IsTUVA() bool { return len(p.TUVAParts) > 0 }

// VocationalUnit is a vocational qualification unit to acquire
// (hankittava ammatillinen tutkinnon osa, HATO).
type VocationalUnit struct {
	ID       *int64  `json:"id,omitempty"`
	ModuleID *string `json:"module-id,omitempty"`
	// UnitCodeURI is the national unit code ("tutkinnon-osa-koodi-uri",
	// koodisto tutkinnonosat).
	UnitCodeURI     *string `json:"tutkinnon-osa-koodi-uri,omitempty" validate:"required,koodi=tutkinnonosat"`
	UnitCodeVersion *int    `json:"tutkinnon-osa-koodi-versio,omitempty" validate:"required"`
	// CurriculumDiaryNumber is the diary number of the curriculum (peruste)
	// the unit comes from ("tutkinnon-osan-perusteen-diaarinro").
	CurriculumDiaryNumber *string `json:"tutkinnon-osan-perusteen-diaarinro,omitempty"`
	// Deviations is free text on deviations from the requirements
	// ("vaatimuksista-tai-tavoitteista-poikkeaminen").
	Deviations *string `json:"vaatimuksista-tai-tavoitteista-poikkeaminen,omitempty"`
	// Demonstrations are the planned competence demonstrations
	// ("osaamisen-osoittaminen", näytöt).
	Demonstrations []Demonstration `json:"osaamisen-osoittaminen,omitzero" validate:"dive"`
	// Methods say how and where the competence is acquired
	// ("osaamisen-hankkimistavat").
	Methods []AcquisitionMethod `json:"osaamisen-hankkimistavat,omitzero" validate:"dive"`
	// ProviderOID is the education provider or its unit ("koulutuksen-jarjestaja-oid").
	ProviderOID *string `json:"koulutuksen-jarjestaja-oid,omitempty" validate:"omitnil,organisaatio_oid"`
	// EssentialCircumstance flags an essential circumstance for this unit
	// ("olennainen-seikka").
	EssentialCircumstance *bool `json:"olennainen-seikka,omitempty"`
	// TeachingHours is the planned amount of teaching and guidance in hours
	// ("opetus-ja-ohjaus-maara").
	TeachingHours *float64 `json:"opetus-ja-ohjaus-maara,omitempty" validate:"omitnil,gte=0"`

	Extra Extra `json:"-"`
}

// LocalUnit is a local qualification unit to acquire (hankittava
// paikallinen tutkinnon osa, HPTO); every field is optional.
type LocalUnit struct {
	ID       *int64  `json:"id,omitempty"`
	ModuleID *string `json:"module-id,omitempty"`
	// AMOSAAID is the id in ePerusteet AMOSAA, the providers' local
	// curriculum tool ("amosaa-tunniste").
	AMOSAAID *string `json:"amosaa-tunniste,omitempty"`
	// Name is the unit's name ("nimi").
	Name *string `json:"nimi,omitempty"`
	// CompetencePoints is the unit's size in competence points
	// (osaamispisteet, "laajuus").
	CompetencePoints *int `json:"laajuus,omitempty"`
	// Objectives are the local requirements and contents ("tavoitteet-ja-sisallot").
	Objectives            *string             `json:"tavoitteet-ja-sisallot,omitempty"`
	Deviations            *string             `json:"vaatimuksista-tai-tavoitteista-poikkeaminen,omitempty"`
	Demonstrations        []Demonstration     `json:"osaamisen-osoittaminen,omitzero" validate:"dive"`
	Methods               []AcquisitionMethod `json:"osaamisen-hankkimistavat,omitzero" validate:"dive"`
	ProviderOID           *string             `json:"koulutuksen-jarjestaja-oid,omitempty" validate:"omitnil,organisaatio_oid"`
	EssentialCircumstance *bool               `json:"olennainen-seikka,omitempty"`
	TeachingHours         *float64            `json:"opetus-ja-ohjaus-maara,omitempty" validate:"omitnil,gte=0"`

	Extra Extra `json:"-"`
}

// CommonUnit is a common unit (YTO, yhteinen tutkinnon osa) to acquire
// (HYTO). Acquisition methods and demonstrations hang off its sub-areas.
type CommonUnit struct {
	ID              *int64  `json:"id,omitempty"`
	ModuleID        *string `json:"module-id,omitempty"`
	UnitCodeURI     *string `json:"tutkinnon-osa-koodi-uri,omitempty" validate:"required,koodi=tutkinnonosat"`
	UnitCodeVersion *int    `json:"tutkinnon-osa-koodi-versio,omitempty" validate:"required"`
	// SubAreas are the unit's sub-areas (osa-alueet).
	SubAreas    []CommonUnitSubArea `json:"osa-alueet,omitzero" validate:"required,dive"`
	ProviderOID *string             `json:"koulutuksen-jarjestaja-oid,omitempty" validate:"omitnil,organisaatio_oid"`

	Extra Extra `json:"-"`
}

// CommonUnitSubArea is a sub-area (osa-alue) of a common unit to acquire.
type CommonUnitSubArea struct {
	ID       *int64  `json:"id,omitempty"`
	ModuleID *string `json:"module-id,omitempty"`
	// SubAreaCodeURI is the sub-area code ("osa-alue-koodi-uri", koodisto
	// ammatillisenoppiaineet, e.g. ammatillisenoppiaineet_vvai).
	SubAreaCodeURI        *string             `json:"osa-alue-koodi-uri,omitempty" validate:"required,koodi=ammatillisenoppiaineet"`
	SubAreaCodeVersion    *int                `json:"osa-alue-koodi-versio,omitempty" validate:"required"`
	Methods               []AcquisitionMethod `json:"osaamisen-hankkimistavat,omitzero" validate:"dive"`
	Deviations            *string             `json:"vaatimuksista-tai-tavoitteista-poikkeaminen,omitempty"`
	Demonstrations        []Demonstration     `json:"osaamisen-osoittaminen,omitzero" validate:"dive"`
	ProviderOID           *string             `json:"koulutuksen-jarjestaja-oid,omitempty" validate:"omitnil,organisaatio_oid"`
	EssentialCircumstance *bool               `json:"olennainen-seikka,omitempty"`
	TeachingHours         *float64            `json:"opetus-ja-ohjaus-maara,omitempty" validate:"omitnil,gte=0"`

	Extra Extra `json:"-"`
}

// PriorVocationalUnit is a previously acquired vocational unit (aiemmin
// hankittu ammatillinen tutkinnon osa, AHATO).
type PriorVocationalUnit struct {
	ID                    *int64  `json:"id,omitempty"`
	ModuleID              *string `json:"module-id,omitempty"`
	UnitCodeURI           *string `json:"tutkinnon-osa-koodi-uri,omitempty" validate:"required,koodi=tutkinnonosat"`
	UnitCodeVersion       *int    `json:"tutkinnon-osa-koodi-versio,omitempty" validate:"required"`
	CurriculumDiaryNumber *string `json:"tutkinnon-osan-perusteen-diaarinro,omitempty"`
	Deviations            *string `json:"vaatimuksista-tai-tavoitteista-poikkeaminen,omitempty"`
	ProviderOID           *string `json:"koulutuksen-jarjestaja-oid,omitempty" validate:"omitnil,organisaatio_oid"`
	EssentialCircumstance *bool   `json:"olennainen-seikka,omitempty"`
	// VerificationCodeURI says how the prior competence is verified
	// ("valittu-todentamisen-prosessi-koodi-uri": 0001 recognised directly,
	// 0002 via assessors, 0003 guided to a demonstration).
	VerificationCodeURI     *string `json:"valittu-todentamisen-prosessi-koodi-uri,omitempty" validate:"omitnil,koodi=osaamisentodentamisenprosessi"`
	VerificationCodeVersion *int    `json:"valittu-todentamisen-prosessi-koodi-versio,omitempty"`
	// DemonstrationDetails describe the demonstration when verified through
	// one ("tarkentavat-tiedot-naytto").
	DemonstrationDetails []Demonstration `json:"tarkentavat-tiedot-naytto,omitzero" validate:"dive"`
	// AssessmentDetails describe the assessors when verified through them
	// ("tarkentavat-tiedot-osaamisen-arvioija").
	AssessmentDetails *VerifiedAssessment `json:"tarkentavat-tiedot-osaamisen-arvioija,omitempty"`

	Extra Extra `json:"-"`
}

// PriorLocalUnit is a previously acquired local unit (AHPTO). The
// verification process is required.
type PriorLocalUnit struct {
	ID                      *int64              `json:"id,omitempty"`
	ModuleID                *string             `json:"module-id,omitempty"`
	AMOSAAID                *string             `json:"amosaa-tunniste,omitempty"`
	Name                    *string             `json:"nimi,omitempty"`
	CompetencePoints        *int                `json:"laajuus,omitempty"`
	Objectives              *string             `json:"tavoitteet-ja-sisallot,omitempty"`
	Deviations              *string             `json:"vaatimuksista-tai-tavoitteista-poikkeaminen,omitempty"`
	ProviderOID             *string             `json:"koulutuksen-jarjestaja-oid,omitempty" validate:"omitnil,organisaatio_oid"`
	EssentialCircumstance   *bool               `json:"olennainen-seikka,omitempty"`
	VerificationCodeURI     *string             `json:"valittu-todentamisen-prosessi-koodi-uri,omitempty" validate:"required,koodi=osaamisentodentamisenprosessi"`
	VerificationCodeVersion *int                `json:"valittu-todentamisen-prosessi-koodi-versio,omitempty" validate:"required"`
	DemonstrationDetails    []Demonstration     `json:"tarkentavat-tiedot-naytto,omitzero" validate:"dive"`
	AssessmentDetails       *VerifiedAssessment `json:"tarkentavat-tiedot-osaamisen-arvioija,omitempty"`

	Extra Extra `json:"-"`
}

// PriorCommonUnit is a previously acquired common unit (AHYTO).
type PriorCommonUnit struct {
	ID                      *int64                   `json:"id,omitempty"`
	ModuleID                *string                  `json:"module-id,omitempty"`
	UnitCodeURI             *string                  `json:"tutkinnon-osa-koodi-uri,omitempty" validate:"required,koodi=tutkinnonosat"`
	UnitCodeVersion         *int                     `json:"tutkinnon-osa-koodi-versio,omitempty" validate:"required"`
	SubAreas                []PriorCommonUnitSubArea `json:"osa-alueet,omitzero" validate:"required,dive"`
	ProviderOID             *string                  `json:"koulutuksen-jarjestaja-oid,omitempty" validate:"omitnil,organisaatio_oid"`
	VerificationCodeURI     *string                  `json:"valittu-todentamisen-prosessi-koodi-uri,omitempty" validate:"omitnil,koodi=osaamisentodentamisenprosessi"`
	VerificationCodeVersion *int                     `json:"valittu-todentamisen-prosessi-koodi-versio,omitempty"`
	DemonstrationDetails    []Demonstration          `json:"tarkentavat-tiedot-naytto,omitzero" validate:"dive"`
	AssessmentDetails       *VerifiedAssessment      `json:"tarkentavat-tiedot-osaamisen-arvioija,omitempty"`

	Extra Extra `json:"-"`
}

// PriorCommonUnitSubArea is a sub-area of a previously acquired common
// unit. The verification process is required.
type PriorCommonUnitSubArea struct {
	ID                      *int64              `json:"id,omitempty"`
	ModuleID                *string             `json:"module-id,omitempty"`
	SubAreaCodeURI          *string             `json:"osa-alue-koodi-uri,omitempty" validate:"required,koodi=ammatillisenoppiaineet"`
	SubAreaCodeVersion      *int                `json:"osa-alue-koodi-versio,omitempty" validate:"required"`
	ProviderOID             *string             `json:"koulutuksen-jarjestaja-oid,omitempty" validate:"omitnil,organisaatio_oid"`
	EssentialCircumstance   *bool               `json:"olennainen-seikka,omitempty"`
	Deviations              *string             `json:"vaatimuksista-tai-tavoitteista-poikkeaminen,omitempty"`
	VerificationCodeURI     *string             `json:"valittu-todentamisen-prosessi-koodi-uri,omitempty" validate:"required,koodi=osaamisentodentamisenprosessi"`
	VerificationCodeVersion *int                `json:"valittu-todentamisen-prosessi-koodi-versio,omitempty" validate:"required"`
	DemonstrationDetails    []Demonstration     `json:"tarkentavat-tiedot-naytto,omitzero" validate:"dive"`
	AssessmentDetails       *VerifiedAssessment `json:"tarkentavat-tiedot-osaamisen-arvioija,omitempty"`

	Extra Extra `json:"-"`
}

// VerifiedAssessment carries the details of verifying prior competence
// through assessors (TodennettuArviointiLisatiedot).
type VerifiedAssessment struct {
	// SentForAssessment is the date sent for assessment ("lahetetty-arvioitavaksi").
	SentForAssessment coaching.Date `json:"lahetetty-arvioitavaksi,omitzero"`
	// Assessors are the provider's assessors ("aiemmin-hankitun-osaamisen-arvioijat").
	Assessors []ProviderAssessor `json:"aiemmin-hankitun-osaamisen-arvioijat,omitzero" validate:"dive"`

	Extra Extra `json:"-"`
}

// Work-based methods of acquiring competence (osaamisen hankkimistapa).
// Periods of these two types are workplace periods (työpaikkajaksot).
const (
	// MethodTrainingAgreement is training under a training agreement
	// (koulutussopimus, unpaid workplace learning).
	MethodTrainingAgreement = "osaamisenhankkimistapa_koulutussopimus"
	// MethodApprenticeship is apprenticeship training (oppisopimus,
	// employment-based).
	MethodApprenticeship = "osaamisenhankkimistapa_oppisopimus"
	// MethodSchool is institution-based training (oppilaitosmuotoinen koulutus).
	MethodSchool = "osaamisenhankkimistapa_oppilaitosmuotoinenkoulutus"
)

// AcquisitionMethod is one period of acquiring competence in one way
// (osaamisen hankkimistapa, OHT): at school, under a training agreement or
// in apprenticeship.
type AcquisitionMethod struct {
	ID       *int64  `json:"id,omitempty"`
	ModuleID *string `json:"module-id,omitempty"`
	// Start and End bound the period ("alku", "loppu").
	Start coaching.Date `json:"alku,omitzero" validate:"required"`
	End   coaching.Date `json:"loppu,omitzero" validate:"required"`
	// PeriodID identifies the period within the plan, supplied by the source
	// system ("yksiloiva-tunniste"); required for workplace periods and the
	// key of the workplace-instructor feedback.
	PeriodID *string `json:"yksiloiva-tunniste,omitempty"`
	// PeriodNote clarifies overlapping periods ("ajanjakson-tarkenne").
	PeriodNote *string `json:"ajanjakson-tarkenne,omitempty"`
	// MethodCodeURI is the type ("osaamisen-hankkimistapa-koodi-uri"), see
	// MethodTrainingAgreement, MethodApprenticeship, MethodSchool.
	MethodCodeURI     *string `json:"osaamisen-hankkimistapa-koodi-uri,omitempty" validate:"required,koodi=osaamisenhankkimistapa"`
	MethodCodeVersion *int    `json:"osaamisen-hankkimistapa-koodi-versio,omitempty" validate:"required"`
	// ProviderRepresentative is the education provider's representative
	// ("jarjestajan-edustaja").
	ProviderRepresentative *SchoolPerson `json:"jarjestajan-edustaja,omitempty"`
	// ProcurerRepresentative represents the provider who procured the
	// apprenticeship training ("hankkijan-edustaja").
	ProcurerRepresentative *SchoolPerson `json:"hankkijan-edustaja,omitempty"`
	// Workplace describes the workplace and its responsible instructor
	// ("tyopaikalla-jarjestettava-koulutus").
	Workplace *WorkplaceTraining `json:"tyopaikalla-jarjestettava-koulutus,omitempty"`
	// OtherEnvironments are other learning environments ("muut-oppimisymparistot").
	OtherEnvironments []OtherLearningEnvironment `json:"muut-oppimisymparistot,omitzero" validate:"dive"`
	// PartTimePercent is the part-time percentage, 100 = full time
	// ("osa-aikaisuustieto").
	PartTimePercent *int `json:"osa-aikaisuustieto,omitempty"`
	// ApprenticeshipBasisCodeURI is the basis of an apprenticeship
	// ("oppisopimuksen-perusta-koodi-uri").
	ApprenticeshipBasisCodeURI     *string `json:"oppisopimuksen-perusta-koodi-uri,omitempty" validate:"omitnil,koodi=oppisopimuksenperusta"`
	ApprenticeshipBasisCodeVersion *int    `json:"oppisopimuksen-perusta-koodi-versio,omitempty"`
	// Interruptions are periods of interruption at the workplace
	// ("keskeytymisajanjaksot").
	Interruptions []Interruption `json:"keskeytymisajanjaksot,omitzero" validate:"dive"`

	Extra Extra `json:"-"`
}

// IsWorkplacePeriod reports whether the method is a workplace period
// (työpaikkajakso): a training agreement or an apprenticeship.
func (m *AcquisitionMethod) IsWorkplacePeriod() bool {
	return m.MethodCodeURI != nil && (*m.MethodCodeURI == MethodTrainingAgreement || *m.MethodCodeURI == MethodApprenticeship)
}

// WorkplaceTraining is training arranged at a workplace
// (TyopaikallaJarjestettavaKoulutus).
type WorkplaceTraining struct {
	ID *int64 `json:"id,omitempty"`
	// Instructor is the responsible workplace instructor
	// ("vastuullinen-tyopaikka-ohjaaja").
	Instructor *WorkplaceInstructor `json:"vastuullinen-tyopaikka-ohjaaja,omitempty" validate:"required"`
	// WorkplaceName is the workplace's name ("tyopaikan-nimi").
	WorkplaceName *string `json:"tyopaikan-nimi,omitempty" validate:"required"`
	// BusinessID is the workplace's business ID ("tyopaikan-y-tunnus").
	BusinessID *string `json:"tyopaikan-y-tunnus,omitempty" validate:"omitnil,y_tunnus"`
	// KeyTasks are the key work tasks ("keskeiset-tyotehtavat").
	KeyTasks []string `json:"keskeiset-tyotehtavat,omitzero" validate:"required"`

	Extra Extra `json:"-"`
}

// WorkplaceInstructor is the responsible workplace instructor
// (vastuullinen työpaikkaohjaaja).
type WorkplaceInstructor struct {
	ID    *int64  `json:"id,omitempty"`
	Name  *string `json:"nimi,omitempty" validate:"required"`
	Email *string `json:"sahkoposti,omitempty"`
	Phone *string `json:"puhelinnumero,omitempty" validate:"omitnil,ohjaaja_puhelin"`

	Extra Extra `json:"-"`
}

// OtherLearningEnvironment is another learning environment used during a
// period (muu oppimisympäristö).
type OtherLearningEnvironment struct {
	ID          *int64        `json:"id,omitempty"`
	CodeURI     *string       `json:"oppimisymparisto-koodi-uri,omitempty" validate:"required,koodi=oppimisymparistot"`
	CodeVersion *int          `json:"oppimisymparisto-koodi-versio,omitempty" validate:"required"`
	Start       coaching.Date `json:"alku,omitzero" validate:"required"`
	End         coaching.Date `json:"loppu,omitzero" validate:"required"`

	Extra Extra `json:"-"`
}

// Interruption is a period of interruption at a workplace
// (keskeytymisajanjakso); an unset End means open-ended.
type Interruption struct {
	ID    *int64        `json:"id,omitempty"`
	Start coaching.Date `json:"alku,omitzero" validate:"required"`
	End   coaching.Date `json:"loppu,omitzero"`

	Extra Extra `json:"-"`
}

// SchoolPerson is a person of an educational institution (Oppilaitoshenkilo).
type SchoolPerson struct {
	ID             *int64  `json:"id,omitempty"`
	Name           *string `json:"nimi,omitempty" validate:"required"`
	Role           *string `json:"rooli,omitempty"`
	InstitutionOID *string `json:"oppilaitos-oid,omitempty" validate:"required,organisaatio_oid"`

	Extra Extra `json:"-"`
}

// Demonstration is a competence demonstration (osaamisen osoittaminen,
// näyttö) planned for a unit or sub-area, or the details of one that
// verified prior competence.
type Demonstration struct {
	ID       *int64  `json:"id,omitempty"`
	ModuleID *string `json:"module-id,omitempty"`
	// Organiser organises the demonstration ("jarjestaja").
	Organiser *DemonstrationOrganiser `json:"jarjestaja,omitempty"`
	// SubAreas are YTO sub-areas included in a vocational-unit demonstration
	// ("osa-alueet").
	SubAreas []CodeRef `json:"osa-alueet,omitzero" validate:"dive"`
	// Environment is where the competence is shown ("nayttoymparisto").
	Environment *DemonstrationEnvironment `json:"nayttoymparisto,omitempty" validate:"required"`
	// Content lists the work situations and processes through which the
	// competence is shown ("sisallon-kuvaus").
	Content []string `json:"sisallon-kuvaus,omitzero" validate:"required"`
	// Start and End are the demonstration's dates ("alku", "loppu").
	Start coaching.Date `json:"alku,omitzero" validate:"required"`
	End   coaching.Date `json:"loppu,omitzero" validate:"required"`
	// ProviderAssessors are the education provider's assessors
	// ("koulutuksen-jarjestaja-osaamisen-arvioijat").
	ProviderAssessors []ProviderAssessor `json:"koulutuksen-jarjestaja-osaamisen-arvioijat,omitzero" validate:"dive"`
	// WorkingLifeAssessors are the working-life assessors
	// ("tyoelama-osaamisen-arvioijat").
	WorkingLifeAssessors []WorkingLifeAssessor `json:"tyoelama-osaamisen-arvioijat,omitzero" validate:"dive"`
	Deviations           *string               `json:"vaatimuksista-tai-tavoitteista-poikkeaminen,omitempty"`
	// IndividualCriteria are individualised assessment criteria
	// ("yksilolliset-kriteerit").
	IndividualCriteria []string `json:"yksilolliset-kriteerit,omitzero"`

	Extra Extra `json:"-"`
}

// DemonstrationOrganiser is the organiser of a demonstration (NaytonJarjestaja).
type DemonstrationOrganiser struct {
	ID             *int64  `json:"id,omitempty"`
	InstitutionOID *string `json:"oppilaitos-oid,omitempty" validate:"omitnil,organisaatio_oid"`

	Extra Extra `json:"-"`
}

// CodeRef is a koodisto code with its version (KoodistoKoodi).
type CodeRef struct {
	CodeURI     *string `json:"koodi-uri,omitempty" validate:"required"`
	CodeVersion *int    `json:"koodi-versio,omitempty" validate:"required"`

	Extra Extra `json:"-"`
}

// DemonstrationEnvironment is where a demonstration takes place (Nayttoymparisto).
type DemonstrationEnvironment struct {
	ID          *int64  `json:"id,omitempty"`
	Name        *string `json:"nimi,omitempty" validate:"required"`
	BusinessID  *string `json:"y-tunnus,omitempty" validate:"omitnil,y_tunnus"`
	Description *string `json:"kuvaus,omitempty"`

	Extra Extra `json:"-"`
}

// ProviderAssessor is an assessor from the education provider
// (KoulutuksenJarjestajaArvioija).
type ProviderAssessor struct {
	ID           *int64                `json:"id,omitempty"`
	Name         *string               `json:"nimi,omitempty" validate:"required"`
	Organisation *ProviderOrganisation `json:"organisaatio,omitempty" validate:"required"`

	Extra Extra `json:"-"`
}

// ProviderOrganisation is the institution of a provider assessor.
type ProviderOrganisation struct {
	InstitutionOID *string `json:"oppilaitos-oid,omitempty" validate:"omitnil,organisaatio_oid"`

	Extra Extra `json:"-"`
}

// WorkingLifeAssessor is an assessor from working life (TyoelamaOsaamisenArvioija).
type WorkingLifeAssessor struct {
	ID           *int64        `json:"id,omitempty"`
	Name         *string       `json:"nimi,omitempty" validate:"required"`
	Organisation *Organisation `json:"organisaatio,omitempty" validate:"required"`

	Extra Extra `json:"-"`
}

// Organisation is a working-life organisation (Organisaatio).
type Organisation struct {
	Name       *string `json:"nimi,omitempty" validate:"required"`
	BusinessID *string `json:"y-tunnus,omitempty" validate:"omitnil,y_tunnus"`

	Extra Extra `json:"-"`
}

// SupportingStudy is a study that supports study skills
// (opiskeluvalmiuksia tukeva opinto, OTO).
type SupportingStudy struct {
	ID          *int64        `json:"id,omitempty"`
	Name        *string       `json:"nimi,omitempty" validate:"required"`
	Description *string       `json:"kuvaus,omitempty" validate:"required"`
	Start       coaching.Date `json:"alku,omitzero" validate:"required"`
	End         coaching.Date `json:"loppu,omitzero" validate:"required"`

	Extra Extra `json:"-"`
}

// Learning-support types (ammatillinenkoulutusoppimisentuentyyppi).
const (
	// SupportRemedialTeaching is a teacher's remedial teaching (tukiopetus):
	// dated and linked to a unit type.
	SupportRemedialTeaching = "ammatillinenkoulutusoppimisentuentyyppi_01"
)

// LearningSupport is a learning-support measure (oppimisen tuki). Type 01
// (remedial teaching) needs Start, End and UnitTypeCodeURI; types 02 and 03
// must have none of them.
type LearningSupport struct {
	TypeCodeURI *string       `json:"oppimisen-tuen-tyyppi-koodi-uri,omitempty" validate:"required,koodi=oppimisentuentyyppi"`
	Start       coaching.Date `json:"alku,omitzero"`
	End         coaching.Date `json:"loppu,omitzero"`
	// UnitTypeCodeURI is the unit group the support concerns
	// ("tutkinnon-osan-tyyppi-koodi-uri": _1 vocational, _2 common units).
	UnitTypeCodeURI *string `json:"tutkinnon-osan-tyyppi-koodi-uri,omitempty" validate:"omitnil,koodi=tutkinnonosanryhma"`

	Extra Extra `json:"-"`
}

// TUVAPart is a TUVA training part to acquire (hankittava koulutuksen osa).
type TUVAPart struct {
	ID          *int64        `json:"id,omitempty"`
	CodeURI     *string       `json:"koulutuksen-osa-koodi-uri,omitempty" validate:"required,koodi=koulutuksenosattuva"`
	CodeVersion *int          `json:"koulutuksen-osa-koodi-versio,omitempty" validate:"required"`
	Start       coaching.Date `json:"alku,omitzero" validate:"required"`
	End         coaching.Date `json:"loppu,omitzero" validate:"required"`
	// Extent is the part's size in TUVA weeks ("laajuus").
	Extent *float64 `json:"laajuus,omitempty" validate:"required,gte=0"`

	Extra Extra `json:"-"`
}
