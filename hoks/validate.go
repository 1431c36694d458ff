package hoks

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/go-playground/validator/v10"

	"github.com/valmennus/valmennus/coaching"
)

// Dates at which eHOKS's workplace-period rules start to apply (hoks.md §3.3).
var (
	// businessIDRequiredAfter: workplace periods ending after this date need
	// the workplace's business ID.
	businessIDRequiredAfter = coaching.NewDate(2021, time.August, 25)
	// apprenticeshipBasisFrom: apprenticeships ending on or after this date
	// need the basis of the apprenticeship.
	apprenticeshipBasisFrom = coaching.NewDate(2021, time.July, 1)
	// partTimeRequiredAfter: workplace periods ending after this date need
	// the part-time percentage.
	partTimeRequiredAfter = coaching.NewDate(2023, time.June, 30)
	// competenceReachedAfter: the competence-reached date must be after it.
	competenceReachedAfter = coaching.NewDate(2018, time.January, 1)
)

// ValidateOptions tune [ValidateWith]. The zero value validates as eHOKS
// validates an API caller's document, today in Helsinki.
type ValidateOptions struct {
	// Today is the date "today" for rules relative to it; zero means the
	// current date in Helsinki.
	Today coaching.Date
	// OfficialsUI validates as for the officials' user interface, where
	// eHOKS fills in a missing period identifier itself.
	OfficialsUI bool
	// NotFeedbackTarget says the study right is outside the feedback target
	// group (it has a TELMA suoritus); eHOKS then does not require the
	// part-time percentage.
	NotFeedbackTarget bool
}

// Validate checks p against eHOKS's rules (hoks.md §3) and returns nil or
// one *[coaching.ValidationError] listing every problem with its JSON path,
// sorted by path. A plan eHOKS accepts never fails Validate: the checks that
// are stricter than eHOKS (a demonstration that ends before it starts, a
// period identifier used twice, …) are advisories, which Validate leaves out;
// [Check] returns them beside the problems, and [Advisories] alone. It
// validates as for a create (POST) or replace (PUT) body, but accepts the
// read-only members of a read document (id, eid, module-id, manuaalisyotto,
// poistettu).
func Validate(p *Plan) error { return ValidateWith(p, ValidateOptions{}) }

// ValidateWith is [Validate] with options.
func ValidateWith(p *Plan, opts ValidateOptions) error { return Check(p, opts).Err() }

// Report is the outcome of [Check]: the problems, which break eHOKS's own
// rules (eHOKS would reject the plan), and the advisories, which point at
// things eHOKS accepts but that are probably mistakes or lose data later
// (hoks.md §3; the list is in [Check]). Both use the same JSON paths, such
// as "hankittavat-ammat-tutkinnon-osat[0].osaamisen-osoittaminen[1].loppu",
// and both are sorted by path. Advisories never block decoding, saving or
// approving a plan.
type Report struct {
	// Problems break eHOKS's rules; the plan is invalid when there is one.
	Problems []coaching.FieldProblem `json:"problems,omitempty"`
	// Advisories are checks stricter than eHOKS; they do not make the plan
	// invalid.
	Advisories []coaching.FieldProblem `json:"advisories,omitempty"`
}

// Valid reports whether the plan has no problems (advisories do not count).
func (r Report) Valid() bool { return len(r.Problems) == 0 }

// Err returns nil when the plan is valid, otherwise a
// *[coaching.ValidationError] (matching [coaching.ErrInvalid]) with the
// problems. The advisories are not part of it.
func (r Report) Err() error {
	if r.Valid() {
		return nil
	}
	return &coaching.ValidationError{Subject: "HOKS", Problems: r.Problems}
}

// Check validates p as [ValidateWith] does and also returns the advisories:
// what eHOKS accepts but this package considers suspect. The advisories are
//
//   - a demonstration (osaamisen-osoittaminen, tarkentavat-tiedot-naytto),
//     another learning environment, an interruption, a supporting study, a
//     TUVA part or a remedial-teaching support that ends before it starts
//     (eHOKS checks the order of dates only for acquisition periods);
//   - a period identifier (yksiloiva-tunniste) used by two periods of the
//     plan (eHOKS keys workplace feedback by plan and identifier, so the
//     second period's feedback record replaces the first's);
//   - a competence-reached date before the first approval;
//   - a part-time percentage outside 1–100 where eHOKS does not check it
//     (not a workplace period, a period that ended by 2023-06-30, or a study
//     right outside the feedback target group);
//   - learning support (oppimisen-tuki) on a TUVA plan (eHOKS forbids the
//     other parts there, but not this one);
//   - a code URI or OID that passes eHOKS's pattern only because Java's "$"
//     matches before a final line break;
//   - an instant (hyvaksytty, paivitetty, poistettu) that is ISO 8601 but not
//     RFC 3339, such as "2024-01-02" or "2024-01-02T10:00" (eHOKS reads it
//     in UTC).
func Check(p *Plan, opts ValidateOptions) Report {
	if p == nil {
		return Report{Problems: []coaching.FieldProblem{{Message: "plan is missing"}}}
	}
	if opts.Today.IsZero() {
		opts.Today = coaching.DateOf(time.Now())
	}
	c := checker{opts: opts}
	c.structural(p)
	c.lineBreaks(reflect.ValueOf(p).Elem(), "")
	c.plan(p)
	return c.report()
}

// Advisories returns p's advisories (see [Check]) without its problems, as
// for the zero [ValidateOptions]; call [Check] to validate with others. The
// lifecycle returns them on every version it stores ([Version.Advisories]);
// call Advisories for a version read back.
func Advisories(p *Plan) []coaching.FieldProblem {
	if p == nil {
		return nil
	}
	c := checker{opts: ValidateOptions{Today: coaching.DateOf(time.Now())}}
	c.lineBreaks(reflect.ValueOf(p).Elem(), "")
	c.plan(p)
	return c.report().Advisories
}

func (c *checker) report() Report {
	byPath := func(list []coaching.FieldProblem) {
		sort.SliceStable(list, func(i, j int) bool { return lessPath(list[i].Field, list[j].Field) })
	}
	byPath(c.list)
	byPath(c.adv)
	return Report{Problems: c.list, Advisories: c.adv}
}

// lessPath orders JSON paths with numeric indexes compared as numbers.
func lessPath(a, b string) bool {
	for a != "" && b != "" {
		ia, ib := strings.IndexByte(a, '['), strings.IndexByte(b, '[')
		if ia < 0 || ib < 0 || a[:ia] != b[:ib] {
			return a < b
		}
		a, b = a[ia+1:], b[ib+1:]
		ja, jb := strings.IndexByte(a, ']'), strings.IndexByte(b, ']')
		if ja < 0 || jb < 0 {
			return a < b
		}
		na, _ := strconv.Atoi(a[:ja])
		nb, _ := strconv.Atoi(b[:jb])
		if na != nb {
			return na < nb
		}
		a, b = a[ja+1:], b[jb+1:]
	}
	return a < b
}

var (
	validatorOnce sync.Once
	validate      *validator.Validate
)

// theValidator returns the package's validator, with the custom checks
// registered once.
func theValidator() *validator.Validate {
	validatorOnce.Do(func() {
		v := validator.New(validator.WithRequiredStructEnabled())
		v.RegisterTagNameFunc(func(f reflect.StructField) string {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				return ""
			}
			return name
		})
		v.RegisterCustomTypeFunc(func(f reflect.Value) any {
			d := f.Interface().(coaching.Date)
			return d.String()
		}, coaching.Date{})
		str := func(check func(string) bool) validator.Func {
			return func(fl validator.FieldLevel) bool {
				f := fl.Field()
				return f.Kind() == reflect.String && check(f.String())
			}
		}
		must := func(err error) {
			if err != nil {
				panic("hoks: registering validator: " + err.Error()) // programming error, at init
			}
		}
		// eHOKS checks OIDs and code URIs with Java regular expressions,
		// whose "$" also matches before a final line break; the value is
		// checked as eHOKS sees it (checker.lineBreaks advises on the break).
		// The business ID's check digit is read from the last character, so
		// a line break fails it in eHOKS too (schema.clj valid-y-tunnus?).
		javaDollar := func(check func(string) bool) func(string) bool {
			return func(s string) bool { return check(withoutFinalLineBreak(s)) }
		}
		must(v.RegisterValidation("oppija_oid", str(javaDollar(ValidLearnerOID))))
		must(v.RegisterValidation("opiskeluoikeus_oid", str(javaDollar(ValidStudyRightOID))))
		must(v.RegisterValidation("organisaatio_oid", str(javaDollar(ValidOrganisationOID))))
		must(v.RegisterValidation("y_tunnus", str(ValidBusinessID)))
		// eHOKS trims every plain string before checking it
		// (common/schema.clj trim-strings-matcher), the phone included.
		must(v.RegisterValidation("ohjaaja_puhelin", str(func(s string) bool { return validInstructorPhone(javaTrim(s)) })))
		must(v.RegisterValidation("koodi", func(fl validator.FieldLevel) bool {
			re := codePatterns[fl.Param()]
			f := fl.Field()
			return re != nil && f.Kind() == reflect.String && re.MatchString(withoutFinalLineBreak(f.String()))
		}))
		validate = v
	})
	return validate
}

type checker struct {
	opts ValidateOptions
	list []coaching.FieldProblem // problems: eHOKS rejects them
	adv  []coaching.FieldProblem // advisories: eHOKS accepts them
}

func (c *checker) add(path, format string, args ...any) {
	c.list = append(c.list, coaching.FieldProblem{Field: path, Message: fmt.Sprintf(format, args...)})
}

// advise records an advisory: a check stricter than eHOKS.
func (c *checker) advise(path, format string, args ...any) {
	c.adv = append(c.adv, coaching.FieldProblem{Field: path, Message: fmt.Sprintf(format, args...)})
}

// structural runs the struct-tag rules (required fields, formats, OIDs,
// business IDs, code URIs, ranges).
func (c *checker) structural(p *Plan) {
	err := theValidator().Struct(p)
	if err == nil {
		return
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		c.add("", "%v", err)
		return
	}
	for _, fe := range ves {
		path := fe.Namespace()
		if _, rest, ok := strings.Cut(path, "."); ok {
			path = rest
		}
		c.add(path, "%s", message(fe))
	}
}

func message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "oppija_oid":
		return fmt.Sprintf("%q is not a valid learner OID (1.2.246.562.24.… with a valid check digit)", fe.Value())
	case "opiskeluoikeus_oid":
		return fmt.Sprintf("%q is not a valid study-right OID (1.2.246.562.15.… with a valid check digit)", fe.Value())
	case "organisaatio_oid":
		return fmt.Sprintf("%q is not a valid organisation OID (1.2.246.562.10.…)", fe.Value())
	case "y_tunnus":
		return fmt.Sprintf("%q is not a valid Finnish business ID (NNNNNNN-C with a valid check digit)", fe.Value())
	case "ohjaaja_puhelin":
		return "phone number may have at most 256 characters: digits, spaces and + - ( )"
	case "koodi":
		return fmt.Sprintf("%q is not a valid code URI (want e.g. %s)", fe.Value(), codeExamples[fe.Param()])
	case "gte":
		return "must not be negative"
	case "min", "max":
		return fmt.Sprintf("is out of range (%s %s)", fe.Tag(), fe.Param())
	}
	return fmt.Sprintf("fails rule %q", fe.Tag())
}

// plan runs the cross-field rules.
func (c *checker) plan(p *Plan) {
	if !p.CompetenceReached.IsZero() {
		// eHOKS: hoks/schema.clj OsaamisenSaavuttamisenPvm.
		if !p.CompetenceReached.After(competenceReachedAfter) {
			c.add("osaamisen-saavuttamisen-pvm", "must be after 2018-01-01")
		}
		if !p.CompetenceReached.Before(c.opts.Today.AddDays(15)) {
			c.add("osaamisen-saavuttamisen-pvm", "may be at most two weeks in the future")
		}
		// Not an eHOKS rule: OsaamisenSaavuttamisenPvm does not compare
		// with ensikertainen-hyvaksyminen.
		if !p.FirstApproved.IsZero() && p.CompetenceReached.Before(p.FirstApproved) {
			c.advise("osaamisen-saavuttamisen-pvm", "is before the first approval date (ensikertainen-hyvaksyminen); eHOKS accepts this, but the end survey would then precede the start survey")
		}
	}

	// eHOKS reads instants with Joda-Time's ISO parser, so it accepts forms
	// without a time or an offset that RFC 3339 does not (see parseISOInstant).
	for _, in := range []struct {
		name string
		i    Instant
	}{{"hyvaksytty", p.Approved}, {"paivitetty", p.Updated}, {"poistettu", p.Deleted}} {
		if !in.i.rfc3339() {
			c.advise(in.name, "%q is not an RFC 3339 timestamp; eHOKS accepts it and reads it as %s", in.i.text, in.i.Time.UTC().Format(time.RFC3339Nano))
		}
	}

	// eHOKS decides TUVA from the KOSKI study right's type: on a TUVA study
	// right the units and supporting studies are rejected (hoks/schema.clj,
	// the is-tuva-opiskeluoikeus? constraints of the HATO, HYTO, HPTO,
	// AHATO, AHYTO, AHPTO and OpiskeluvalmiuksiaTukevatOpinnot templates, and
	// tuva-opiskeluoikeus-oid in HOKSModel), on any other one the TUVA parts
	// (HankittavaKoulutuksenOsa). A plan with TUVA parts and any of those is
	// therefore rejected whatever the study right's type.
	if p.IsTUVA() {
		if p.TUVAStudyRightOID != nil {
			c.add("tuva-opiskeluoikeus-oid", "is not allowed in a TUVA plan")
		}
		for _, f := range []struct {
			name string
			n    int
		}{
			{"aiemmin-hankitut-ammat-tutkinnon-osat", len(p.PriorVocationalUnits)},
			{"aiemmin-hankitut-yhteiset-tutkinnon-osat", len(p.PriorCommonUnits)},
			{"aiemmin-hankitut-paikalliset-tutkinnon-osat", len(p.PriorLocalUnits)},
			{"hankittavat-ammat-tutkinnon-osat", len(p.VocationalUnits)},
			{"hankittavat-yhteiset-tutkinnon-osat", len(p.CommonUnits)},
			{"hankittavat-paikalliset-tutkinnon-osat", len(p.LocalUnits)},
			{"opiskeluvalmiuksia-tukevat-opinnot", len(p.SupportingStudies)},
		} {
			if f.n > 0 {
				c.add(f.name, "is not allowed in a TUVA plan (one with hankittavat-koulutuksen-osat)")
			}
		}
		// OppimisenTuki has no TUVA constraint in eHOKS.
		if len(p.LearningSupport) > 0 {
			c.advise("oppimisen-tuki", "is meant for vocational plans; eHOKS accepts it on a TUVA plan (one with hankittavat-koulutuksen-osat)")
		}
	}

	for i := range p.TUVAParts {
		t := &p.TUVAParts[i]
		c.order(fmt.Sprintf("hankittavat-koulutuksen-osat[%d]", i), t.Start, t.End)
	}
	for i := range p.SupportingStudies {
		s := &p.SupportingStudies[i]
		c.order(fmt.Sprintf("opiskeluvalmiuksia-tukevat-opinnot[%d]", i), s.Start, s.End)
	}
	for i := range p.LearningSupport {
		c.learningSupport(fmt.Sprintf("oppimisen-tuki[%d]", i), &p.LearningSupport[i])
	}

	ids := map[string]string{} // yksiloiva-tunniste → path of first use
	for i := range p.VocationalUnits {
		u := &p.VocationalUnits[i]
		base := fmt.Sprintf("hankittavat-ammat-tutkinnon-osat[%d]", i)
		c.methods(base, u.Methods, ids)
		c.demonstrations(base+".osaamisen-osoittaminen", u.Demonstrations)
	}
	for i := range p.CommonUnits {
		for j := range p.CommonUnits[i].SubAreas {
			a := &p.CommonUnits[i].SubAreas[j]
			base := fmt.Sprintf("hankittavat-yhteiset-tutkinnon-osat[%d].osa-alueet[%d]", i, j)
			c.methods(base, a.Methods, ids)
			c.demonstrations(base+".osaamisen-osoittaminen", a.Demonstrations)
		}
	}
	for i := range p.LocalUnits {
		u := &p.LocalUnits[i]
		base := fmt.Sprintf("hankittavat-paikalliset-tutkinnon-osat[%d]", i)
		c.methods(base, u.Methods, ids)
		c.demonstrations(base+".osaamisen-osoittaminen", u.Demonstrations)
	}
	for i := range p.PriorVocationalUnits {
		c.demonstrations(fmt.Sprintf("aiemmin-hankitut-ammat-tutkinnon-osat[%d].tarkentavat-tiedot-naytto", i), p.PriorVocationalUnits[i].DemonstrationDetails)
	}
	for i := range p.PriorLocalUnits {
		c.demonstrations(fmt.Sprintf("aiemmin-hankitut-paikalliset-tutkinnon-osat[%d].tarkentavat-tiedot-naytto", i), p.PriorLocalUnits[i].DemonstrationDetails)
	}
	for i := range p.PriorCommonUnits {
		u := &p.PriorCommonUnits[i]
		base := fmt.Sprintf("aiemmin-hankitut-yhteiset-tutkinnon-osat[%d]", i)
		c.demonstrations(base+".tarkentavat-tiedot-naytto", u.DemonstrationDetails)
		for j := range u.SubAreas {
			c.demonstrations(fmt.Sprintf("%s.osa-alueet[%d].tarkentavat-tiedot-naytto", base, j), u.SubAreas[j].DemonstrationDetails)
		}
	}
}

// order advises on a period that ends before it starts (both dates set).
// eHOKS checks the order of dates only for acquisition periods
// (hoks/schema.clj nonnegative-duration?, see [checker.methods]); for
// demonstrations, other learning environments, interruptions, supporting
// studies, TUVA parts and learning support it accepts any dates.
func (c *checker) order(path string, start, end coaching.Date) {
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		c.advise(path+".loppu", "ends (%s) before it starts (%s); eHOKS accepts this, but the dates are probably the wrong way round", end, start)
	}
}

func (c *checker) demonstrations(base string, ds []Demonstration) {
	for i := range ds {
		c.order(fmt.Sprintf("%s[%d]", base, i), ds[i].Start, ds[i].End)
	}
}

// learningSupport is eHOKS's hoks/schema.clj has-other-fields-only-if-tukiopetus?:
// type 01 has all of alku, loppu and the unit type; types 02 and 03 have
// none of them; any other type is rejected (the strings are compared
// exactly).
func (c *checker) learningSupport(path string, s *LearningSupport) {
	if s.TypeCodeURI == nil {
		return // reported as required
	}
	switch *s.TypeCodeURI {
	case SupportRemedialTeaching:
		if s.Start.IsZero() {
			c.add(path+".alku", "is required for remedial teaching (type 01)")
		}
		if s.End.IsZero() {
			c.add(path+".loppu", "is required for remedial teaching (type 01)")
		}
		if s.UnitTypeCodeURI == nil {
			c.add(path+".tutkinnon-osan-tyyppi-koodi-uri", "is required for remedial teaching (type 01)")
		}
		c.order(path, s.Start, s.End)
	case "ammatillinenkoulutusoppimisentuentyyppi_02", "ammatillinenkoulutusoppimisentuentyyppi_03":
		if !s.Start.IsZero() {
			c.add(path+".alku", "is allowed only for remedial teaching (type 01)")
		}
		if !s.End.IsZero() {
			c.add(path+".loppu", "is allowed only for remedial teaching (type 01)")
		}
		if s.UnitTypeCodeURI != nil {
			c.add(path+".tutkinnon-osan-tyyppi-koodi-uri", "is allowed only for remedial teaching (type 01)")
		}
	default:
		// A malformed code URI is reported by the structural check.
		if codePatterns["oppimisentuentyyppi"].MatchString(withoutFinalLineBreak(*s.TypeCodeURI)) {
			c.add(path+".oppimisen-tuen-tyyppi-koodi-uri", "%q is not a type of learning support eHOKS knows (01, 02 or 03)", *s.TypeCodeURI)
		}
	}
}

// addYears is LocalDate.plusYears: 29 February becomes 28 February in a
// common year.
func addYears(d coaching.Date, n int) coaching.Date {
	out := coaching.NewDate(d.Year+n, d.Month, d.Day)
	if !out.Valid() {
		out.Day = 28
	}
	return out
}

func (c *checker) methods(base string, ms []AcquisitionMethod, ids map[string]string) {
	for i := range ms {
		m := &ms[i]
		path := fmt.Sprintf("%s.osaamisen-hankkimistavat[%d]", base, i)
		bothDates := !m.Start.IsZero() && !m.End.IsZero()
		if bothDates && m.End.Before(m.Start) {
			// eHOKS: hoks/schema.clj nonnegative-duration?
			c.add(path+".loppu", "ends (%s) before it starts (%s)", m.End, m.Start)
		} else if bothDates && m.End.After(addYears(m.Start, 5)) {
			// eHOKS: hoks/schema.clj duration-max-5-years?
			c.add(path+".loppu", "the period may last at most five years (ends %s, starts %s)", m.End, m.Start)
		}
		if m.PeriodID != nil {
			// eHOKS trims the string (common/schema.clj trim-strings-matcher),
			// then requires it non-empty: (s/constrained s/Str not-empty) in
			// OsaamisenHankkimistapa-template.
			id := javaTrim(*m.PeriodID)
			if id == "" {
				c.add(path+".yksiloiva-tunniste", "must not be empty")
			} else if first, dup := ids[id]; dup {
				// Not an eHOKS rule: the column is not unique, and eHOKS
				// upserts the workplace feedback by (HOKS, identifier)
				// (palaute/tyoelama.clj initiate-if-needed!).
				c.advise(path+".yksiloiva-tunniste", "%q is already used by %s; eHOKS accepts this, but it keys workplace feedback by the identifier, so one period's feedback replaces the other's", id, first)
			} else {
				ids[id] = path
			}
		}
		for j := range m.OtherEnvironments {
			e := &m.OtherEnvironments[j]
			c.order(fmt.Sprintf("%s.muut-oppimisymparistot[%d]", path, j), e.Start, e.End)
		}
		c.interruptions(path, m.Interruptions)
		c.partTime(path, m)

		if !m.IsWorkplacePeriod() {
			continue
		}
		// eHOKS: hoks/schema.clj tyopaikkajakso-has-yksiloiva-tunniste?,
		// except for the officials' UI (:except-methods *-virkailija).
		if m.PeriodID == nil && !c.opts.OfficialsUI {
			c.add(path+".yksiloiva-tunniste", "is required for a workplace period (training agreement or apprenticeship)")
		}
		if m.End.IsZero() {
			continue
		}
		// eHOKS: hoks/osaamisen_hankkimistapa.clj y-tunnus-missing?
		if m.Workplace != nil && m.End.After(businessIDRequiredAfter) && m.Workplace.BusinessID == nil {
			c.add(path+".tyopaikalla-jarjestettava-koulutus.tyopaikan-y-tunnus", "is required for a workplace period ending after 2021-08-25")
		}
		// eHOKS: hoks/schema.clj oppisopimus-has-perusta?
		if *m.MethodCodeURI == MethodApprenticeship && !m.End.Before(apprenticeshipBasisFrom) && m.ApprenticeshipBasisCodeURI == nil {
			c.add(path+".oppisopimuksen-perusta-koodi-uri", "is required for an apprenticeship ending on or after 2021-07-01")
		}
	}
}

// partTime is eHOKS's hoks/schema.clj osa-aikaisuustieto-valid? with
// hoks/osaamisen_hankkimistapa.clj has-required-osa-aikaisuustieto?: a
// workplace period ending after 2023-06-30 of a study right in the feedback
// target group needs a percentage from 1 to 100. eHOKS checks the range
// nowhere else; elsewhere a value outside it is an advisory.
func (c *checker) partTime(path string, m *AcquisitionMethod) {
	pct := m.PartTimePercent
	inRange := pct != nil && *pct >= 1 && *pct <= 100
	checked := m.IsWorkplacePeriod() && !m.End.IsZero() && m.End.After(partTimeRequiredAfter) && !c.opts.NotFeedbackTarget
	switch {
	case checked && pct == nil:
		c.add(path+".osa-aikaisuustieto", "is required (1–100) for a workplace period ending after 2023-06-30")
	case checked && !inRange:
		c.add(path+".osa-aikaisuustieto", "must be a percentage from 1 to 100, got %d", *pct)
	case pct != nil && !inRange:
		c.advise(path+".osa-aikaisuustieto", "should be a percentage from 1 to 100, got %d; eHOKS checks it only on workplace periods ending after 2023-06-30 in the feedback target group", *pct)
	}
}

// interruptions is eHOKS's hoks/schema.clj not-overlapping?: sorted by
// start (the order in the document does not matter), each interruption must
// end strictly before the next one starts, so only the last may be
// open-ended. eHOKS does not check that an interruption ends after it
// starts; that is an advisory.
func (c *checker) interruptions(path string, is []Interruption) {
	name := func(j int) string { return fmt.Sprintf("keskeytymisajanjaksot[%d]", j) }
	at := func(j int) string { return path + "." + name(j) }
	order := make([]int, 0, len(is))
	for j := range is {
		c.order(at(j), is[j].Start, is[j].End)
		if is[j].Start.IsZero() {
			return // reported as required; eHOKS checks the overlap only on a well-formed list
		}
		order = append(order, j)
	}
	sort.SliceStable(order, func(a, b int) bool { return is[order[a]].Start.Before(is[order[b]].Start) })
	for k := 1; k < len(order); k++ {
		prev, next := order[k-1], order[k]
		switch {
		case is[prev].End.IsZero():
			c.add(at(prev)+".loppu", "only the interruption that starts last may be open-ended (%s starts later, on %s)", name(next), is[next].Start)
		case !is[prev].End.Before(is[next].Start):
			c.add(at(next)+".alku", "overlaps %s, which ends %s; interruptions must not overlap", name(prev), is[prev].End)
		}
	}
}

// lineBreaks advises on OIDs and code URIs that end with a line break: eHOKS
// accepts them because a Java regular expression's "$" matches before a
// final line break, but the value is then not the code or OID it looks like.
func (c *checker) lineBreaks(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			c.lineBreaks(v.Elem(), path)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.String {
			return
		}
		for i := 0; i < v.Len(); i++ {
			c.lineBreaks(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Struct:
		if v.Type() == dateType || v.Type() == instantType {
			return
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			if tag := f.Tag.Get("validate"); patternChecked(tag) && fv.Kind() == reflect.Pointer && !fv.IsNil() && fv.Elem().Kind() == reflect.String {
				if s := fv.Elem().String(); s != withoutFinalLineBreak(s) {
					c.advise(join(path, name), "ends with a line break; eHOKS accepts this, but systems that look the value up will not find it")
				}
				continue
			}
			c.lineBreaks(fv, join(path, name))
		}
	}
}

// patternChecked reports whether a validate tag checks a value with one of
// eHOKS's regular expressions (OIDs and code URIs, not business IDs).
func patternChecked(tag string) bool {
	for _, rule := range strings.Split(tag, ",") {
		name, _, _ := strings.Cut(rule, "=")
		switch name {
		case "oppija_oid", "opiskeluoikeus_oid", "organisaatio_oid", "koodi":
			return true
		}
	}
	return false
}

// withoutFinalLineBreak removes one final line terminator as Java's "$"
// skips it: "\r\n", "\n", "\r", U+0085, U+2028 or U+2029.
func withoutFinalLineBreak(s string) string {
	if strings.HasSuffix(s, "\r\n") {
		return s[:len(s)-2]
	}
	for _, t := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		if strings.HasSuffix(s, t) {
			return s[:len(s)-len(t)]
		}
	}
	return s
}

// javaTrim is clojure.string/trim, which eHOKS applies to every plain
// string: it removes leading and trailing characters for which Java's
// Character.isWhitespace holds.
func javaTrim(s string) string { return strings.TrimFunc(s, javaWhitespace) }

// javaWhitespace is Java's Character.isWhitespace: the Unicode space,
// line and paragraph separators except the non-breaking ones (U+00A0,
// U+2007, U+202F), and U+0009–U+000D, U+001C–U+001F.
func javaWhitespace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r >= 0x1C && r <= 0x1F:
		return true
	case r == 0xA0 || r == 0x2007 || r == 0x202F:
		return false
	}
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}
