package sis

import (
	"reflect"
	"strconv"

	"github.com/valmennus/valmennus/coaching"
)

// The background columns ([coaching.Background]): the facts at entry that
// ESF+ participant data and the figures need.
const (
	colGender               = "gender"
	colEducationLevel       = "education_level"
	colLabourStatus         = "labour_status"
	colUnemployedMonths     = "unemployed_months"
	colForeignBackground    = "foreign_background"
	colDisability           = "disability"
	colThirdCountryNational = "third_country_national"
	colMinority             = "minority"
)

// backgroundColumns are the background columns in the documented order.
var backgroundColumns = []string{colGender, colEducationLevel, colLabourStatus, colUnemployedMonths,
	colForeignBackground, colDisability, colThirdCountryNational, colMinority}

// Words the background columns take besides the documented codes, as
// Finnish exports write them (Finnish, Swedish), compared normalised
// ([normalizeHeader]).
var (
	genderWords = map[string]coaching.Gender{
		"female": coaching.GenderFemale, "nainen": coaching.GenderFemale, "kvinna": coaching.GenderFemale, "n": coaching.GenderFemale, "2": coaching.GenderFemale,
		"male": coaching.GenderMale, "mies": coaching.GenderMale, "man": coaching.GenderMale, "m": coaching.GenderMale, "1": coaching.GenderMale,
		"nonbinary": coaching.GenderNonBinary, "muunsukupuolinen": coaching.GenderNonBinary, "eibinaarinen": coaching.GenderNonBinary, "ickebinar": coaching.GenderNonBinary,
	}
	educationWords = map[string]coaching.EducationLevel{
		"belowbasic": coaching.EducationBelowBasic, "eiperuskoulua": coaching.EducationBelowBasic,
		"basic": coaching.EducationBasic, "peruskoulu": coaching.EducationBasic, "perusopetus": coaching.EducationBasic, "grundskola": coaching.EducationBasic,
		"generaluppersecondary": coaching.EducationGeneralUpperSecondary, "lukio": coaching.EducationGeneralUpperSecondary, "ylioppilas": coaching.EducationGeneralUpperSecondary, "gymnasium": coaching.EducationGeneralUpperSecondary,
		"vocational": coaching.EducationVocational, "ammatillinen": coaching.EducationVocational, "ammatillinenperustutkinto": coaching.EducationVocational, "ammattitutkinto": coaching.EducationVocational, "yrkesinriktad": coaching.EducationVocational,
		"specialistvocational": coaching.EducationSpecialistVocational, "erikoisammattitutkinto": coaching.EducationSpecialistVocational, "specialyrkesexamen": coaching.EducationSpecialistVocational,
		"higher": coaching.EducationHigher, "korkeakoulu": coaching.EducationHigher, "korkeakoulututkinto": coaching.EducationHigher, "hogskola": coaching.EducationHigher,
	}
	labourWords = map[string]coaching.LabourStatus{
		"unemployed": coaching.LabourUnemployed, "tyoton": coaching.LabourUnemployed, "arbetslos": coaching.LabourUnemployed,
		"employed": coaching.LabourEmployed, "tyollinen": coaching.LabourEmployed, "tyossa": coaching.LabourEmployed, "sysselsatt": coaching.LabourEmployed,
		"inactive": coaching.LabourInactive, "tyovoimanulkopuolella": coaching.LabourInactive, "utanforarbetskraften": coaching.LabourInactive,
		"ineducation": coaching.LabourInEducation, "opiskelija": coaching.LabourInEducation, "opiskelee": coaching.LabourInEducation, "studerande": coaching.LabourInEducation,
	}
	yesNoWords = map[string]bool{
		"true": true, "yes": true, "kylla": true, "k": true, "ja": true, "1": true, "x": true,
		"false": false, "no": false, "ei": false, "e": false, "nej": false, "0": false,
	}
)

// background reads the row's background columns (an empty cell is
// unknown); a problem, never repeating the value, is added for a value
// that is none of the column's.
func (c *rowChecker) background(get func(string) string) coaching.Background {
	var b coaching.Background
	word := func(col string) (string, bool) {
		s := get(col)
		if s == "" || c.bad[col] {
			return "", false
		}
		return normalizeHeader(s), true
	}
	if w, ok := word(colGender); ok {
		if b.Gender, ok = genderWords[w]; !ok {
			c.add(colGender, "must be female, male or non_binary (nainen, mies; kvinna, man; 2, 1)")
		}
	}
	if w, ok := word(colEducationLevel); ok {
		if b.EducationLevel, ok = educationWords[w]; !ok {
			c.add(colEducationLevel, "must be below_basic, basic, general_upper_secondary, vocational, specialist_vocational or higher (or a Finnish or Swedish name of one)")
		}
	}
	if w, ok := word(colLabourStatus); ok {
		if b.LabourStatus, ok = labourWords[w]; !ok {
			c.add(colLabourStatus, "must be unemployed, employed, inactive or in_education (or a Finnish or Swedish name of one)")
		}
	}
	if s := get(colUnemployedMonths); s != "" && !c.bad[colUnemployedMonths] {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 12*60 {
			c.add(colUnemployedMonths, "must be whole months from 0 to 720")
		} else {
			b.UnemployedMonths = &n
		}
	}
	for _, col := range []string{colForeignBackground, colDisability, colThirdCountryNational, colMinority} {
		if w, ok := word(col); ok {
			v, ok := yesNoWords[w]
			if !ok {
				c.add(col, "must be yes or no (kyllä, ei; ja, nej; 1, 0), or empty for unknown")
				continue
			}
			*backgroundField(&b, col).(**bool) = &v
		}
	}
	return b
}

// backgroundField returns a pointer to b's field of the background
// column col: a *coaching.Gender, *coaching.EducationLevel,
// *coaching.LabourStatus, **int or **bool.
func backgroundField(b *coaching.Background, col string) any {
	switch col {
	case colGender:
		return &b.Gender
	case colEducationLevel:
		return &b.EducationLevel
	case colLabourStatus:
		return &b.LabourStatus
	case colUnemployedMonths:
		return &b.UnemployedMonths
	case colForeignBackground:
		return &b.ForeignBackground
	case colDisability:
		return &b.Disability
	case colThirdCountryNational:
		return &b.ThirdCountryNational
	case colMinority:
		return &b.Minority
	}
	return nil
}

// backgroundText is the value of a background column as a diff shows it:
// the documented code, "yes", "no", a number, or "" for unknown.
func backgroundText(b coaching.Background, col string) string {
	switch v := backgroundField(&b, col).(type) {
	case *coaching.Gender:
		return string(*v)
	case *coaching.EducationLevel:
		return string(*v)
	case *coaching.LabourStatus:
		return string(*v)
	case **int:
		if *v != nil {
			return strconv.Itoa(**v)
		}
	case **bool:
		if *v != nil && **v {
			return "yes"
		}
		if *v != nil {
			return "no"
		}
	}
	return ""
}

// mergeBackground merges the background columns the header names onto
// cur, the background of a participant who has a case: the facts at entry
// ([coaching.Background]), which a later SIS record must not rewrite (a
// participant unemployed at entry who has since found work still counts
// as unemployed at entry on the ESF+ form). A column is written only where
// cur does not know it (zero or nil), with a diff; a value that differs
// from a known one is not written but returned as a conflict (the values
// in Kept and SIS only); an empty cell (unknown) never erases a value.
func mergeBackground(cur, in coaching.Background, named map[string]int) (coaching.Background, []FieldDiff, []Conflict) {
	out := cur
	var diffs []FieldDiff
	var conflicts []Conflict
	for _, col := range backgroundColumns {
		if !hasCol(named, col) {
			continue
		}
		before, after := backgroundText(cur, col), backgroundText(in, col)
		switch {
		case after == "" || before == after:
		case before != "":
			conflicts = append(conflicts, Conflict{Column: col, Kept: before, SIS: after,
				Message: "not updated: the background is the facts at entry, kept once the participant has a case; the SIS gives another value now (correct an error at entry by hand)"})
		default:
			diffs = append(diffs, FieldDiff{Column: col, Before: before, After: after})
			reflect.ValueOf(backgroundField(&out, col)).Elem().Set(reflect.ValueOf(backgroundField(&in, col)).Elem())
		}
	}
	return out, diffs, conflicts
}

// backgroundAliases are the background columns' header names in Finnish
// and Swedish exports.
var backgroundAliases = map[string]string{
	"Sukupuoli": colGender, "Kön": colGender,
	"Koulutustaso": colEducationLevel, "Pohjakoulutus": colEducationLevel, "Utbildningsnivå": colEducationLevel, "Grundutbildning": colEducationLevel,
	"Työmarkkina-asema": colLabourStatus, "Ställning på arbetsmarknaden": colLabourStatus,
	"Työttömyyden kesto": colUnemployedMonths, "Työttömyyden kesto (kk)": colUnemployedMonths, "Arbetslöshetens längd": colUnemployedMonths,
	"Maahanmuuttajatausta": colForeignBackground, "Ulkomaalaistausta": colForeignBackground, "Utländsk bakgrund": colForeignBackground, "Invandrarbakgrund": colForeignBackground,
	"Vamma": colDisability, "Vammaisuus": colDisability, "Funktionsnedsättning": colDisability,
	"Kolmannen maan kansalainen": colThirdCountryNational, "Tredjelandsmedborgare": colThirdCountryNational,
	"Vähemmistö": colMinority, "Vähemmistöön kuuluva": colMinority, "Minoritet": colMinority,
}

func init() {
	for k, v := range backgroundAliases {
		defaultAliases[k] = v
	}
}
