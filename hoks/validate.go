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

// Validate checks p against eHOKS's rules (hoks.md §3) and the rules eHOKS
// is known to miss (a demonstration or other period that ends before it
// starts; interruptions out of order; duplicate period identifiers). It
// returns nil or one *[coaching.ValidationError] listing every problem with
// its JSON path, sorted by path. It validates as for a create (POST) or
// replace (PUT) body, but accepts the read-only members of a read document
// (id, eid, module-id, manuaalisyotto, poistettu).
func Validate(p *Plan) error { return ValidateWith(p, ValidateOptions{}) }

// ValidateWith is [Validate] with options.
func ValidateWith(p *Plan, opts ValidateOptions) error {
	if p == nil {
		return &coaching.ValidationError{Subject: "HOKS", Problems: []coaching.FieldProblem{{Message: "plan is missing"}}}
	}
	if opts.Today.IsZero() {
		opts.Today = coaching.DateOf(time.Now())
	}
	c := checker{opts: opts}
	c.structural(p)
	c.plan(p)
	if len(c.list) == 0 {
		return nil
	}
	sort.SliceStable(c.list, func(i, j int) bool { return lessPath(c.list[i].Field, c.list[j].Field) })
	return &coaching.ValidationError{Subject: "HOKS", Problems: c.list}
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
		must(v.RegisterValidation("oppija_oid", str(ValidLearnerOID)))
		must(v.RegisterValidation("opiskeluoikeus_oid", str(ValidStudyRightOID)))
		must(v.RegisterValidation("organisaatio_oid", str(ValidOrganisationOID)))
		must(v.RegisterValidation("y_tunnus", str(ValidBusinessID)))
		must(v.RegisterValidation("ohjaaja_puhelin", str(validInstructorPhone)))
		must(v.RegisterValidation("koodi", func(fl validator.FieldLevel) bool {
			re := codePatterns[fl.Param()]
			f := fl.Field()
			return re != nil && f.Kind() == reflect.String && re.MatchString(f.String())
		}))
		validate = v
	})
	return validate
}

type checker struct {
	opts ValidateOptions
	list []coaching.FieldProblem
}

func (c *checker) add(path, format string, args ...any) {
	c.list = append(c.list, coaching.FieldProblem{Field: path, Message: fmt.Sprintf(format, args...)})
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
		if !p.CompetenceReached.After(competenceReachedAfter) {
			c.add("osaamisen-saavuttamisen-pvm", "must be after 2018-01-01")
		}
		if !p.CompetenceReached.Before(c.opts.Today.AddDays(15)) {
			c.add("osaamisen-saavuttamisen-pvm", "may be at most two weeks in the future")
		}
		if !p.FirstApproved.IsZero() && p.CompetenceReached.Before(p.FirstApproved) {
			c.add("osaamisen-saavuttamisen-pvm", "is before the first approval date (ensikertainen-hyvaksyminen)")
		}
	}

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
			{"oppimisen-tuki", len(p.LearningSupport)},
		} {
			if f.n > 0 {
				c.add(f.name, "is not allowed in a TUVA plan (one with hankittavat-koulutuksen-osat)")
			}
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

// order reports a period that ends before it starts (both dates set).
func (c *checker) order(path string, start, end coaching.Date) {
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		c.add(path+".loppu", "ends (%s) before it starts (%s)", end, start)
	}
}

func (c *checker) demonstrations(base string, ds []Demonstration) {
	for i := range ds {
		c.order(fmt.Sprintf("%s[%d]", base, i), ds[i].Start, ds[i].End)
	}
}

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
	default:
		if !s.Start.IsZero() {
			c.add(path+".alku", "is allowed only for remedial teaching (type 01)")
		}
		if !s.End.IsZero() {
			c.add(path+".loppu", "is allowed only for remedial teaching (type 01)")
		}
		if s.UnitTypeCodeURI != nil {
			c.add(path+".tutkinnon-osan-tyyppi-koodi-uri", "is allowed only for remedial teaching (type 01)")
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
			c.add(path+".loppu", "ends (%s) before it starts (%s)", m.End, m.Start)
		} else if bothDates && m.End.After(addYears(m.Start, 5)) {
			c.add(path+".loppu", "the period may last at most five years (ends %s, starts %s)", m.End, m.Start)
		}
		if m.PeriodID != nil {
			if *m.PeriodID == "" {
				c.add(path+".yksiloiva-tunniste", "must not be empty")
			} else if first, dup := ids[*m.PeriodID]; dup {
				c.add(path+".yksiloiva-tunniste", "%q is already used by %s; it must be unique within the plan", *m.PeriodID, first)
			} else {
				ids[*m.PeriodID] = path
			}
		}
		if m.PartTimePercent != nil && (*m.PartTimePercent < 1 || *m.PartTimePercent > 100) {
			c.add(path+".osa-aikaisuustieto", "must be a percentage from 1 to 100, got %d", *m.PartTimePercent)
		}
		for j := range m.OtherEnvironments {
			e := &m.OtherEnvironments[j]
			c.order(fmt.Sprintf("%s.muut-oppimisymparistot[%d]", path, j), e.Start, e.End)
		}
		c.interruptions(path, m.Interruptions)

		if !m.IsWorkplacePeriod() {
			continue
		}
		if m.PeriodID == nil && !c.opts.OfficialsUI {
			c.add(path+".yksiloiva-tunniste", "is required for a workplace period (training agreement or apprenticeship)")
		}
		if m.End.IsZero() {
			continue
		}
		if m.Workplace != nil && m.End.After(businessIDRequiredAfter) && m.Workplace.BusinessID == nil {
			c.add(path+".tyopaikalla-jarjestettava-koulutus.tyopaikan-y-tunnus", "is required for a workplace period ending after 2021-08-25")
		}
		if *m.MethodCodeURI == MethodApprenticeship && !m.End.Before(apprenticeshipBasisFrom) && m.ApprenticeshipBasisCodeURI == nil {
			c.add(path+".oppisopimuksen-perusta-koodi-uri", "is required for an apprenticeship ending on or after 2021-07-01")
		}
		if m.End.After(partTimeRequiredAfter) && m.PartTimePercent == nil && !c.opts.NotFeedbackTarget {
			c.add(path+".osa-aikaisuustieto", "is required (1–100) for a workplace period ending after 2023-06-30")
		}
	}
}

// interruptions: sorted by start, each ends strictly before the next
// starts, only the last may be open-ended (eHOKS), and none ends before it
// starts (missed by eHOKS).
func (c *checker) interruptions(path string, is []Interruption) {
	for j := range is {
		p := fmt.Sprintf("%s.keskeytymisajanjaksot[%d]", path, j)
		c.order(p, is[j].Start, is[j].End)
		if j == 0 {
			continue
		}
		prev := &is[j-1]
		switch {
		case is[j].Start.IsZero() || prev.Start.IsZero():
		case is[j].Start.Before(prev.Start):
			c.add(p+".alku", "interruptions must be in order of start date")
		case prev.End.IsZero():
			c.add(fmt.Sprintf("%s.keskeytymisajanjaksot[%d].loppu", path, j-1), "only the last interruption may be open-ended")
		case !prev.End.Before(is[j].Start):
			c.add(p+".alku", "overlaps the previous interruption (which ends %s)", prev.End)
		}
	}
}
