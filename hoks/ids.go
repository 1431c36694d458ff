package hoks

import (
	"regexp"
	"strings"
)

// OPH (Opetushallitus, the Finnish National Agency for Education) OIDs all
// live under the arc 1.2.246.562; the next component is the node class. The
// regular expressions are the ones eHOKS uses (src/oph/ehoks/schema/oid.clj).
var (
	learnerOIDPattern      = regexp.MustCompile(`^1\.2\.246\.562\.(24|[12]?98)\.([1-9]\d{9})(\d|10)$`)
	studyRightOIDPattern   = regexp.MustCompile(`^1\.2\.246\.562\.15\.([1-9]\d{9})(\d|10)$`)
	organisationOIDPattern = regexp.MustCompile(`^1\.2\.246\.562\.(10|[12]?99)\.([1-9]\d{9}(\d|10)|0{10}1|201[34]\d{18})$`)
	businessIDPattern      = regexp.MustCompile(`^[0-9]{7}-[0-9]$`)
)

// ValidLearnerOID reports whether s is a learner (oppija, person) OID: node 24
// for real persons or 98/198/298 for test persons, a ten-digit base that does
// not start with 0, and a valid check digit. As in eHOKS, node 24 uses the
// IBM 1-3-7 check digit (weights 7, 3, 1 from the right) and the test nodes
// use Luhn. A legacy twelve-digit tail ending in "10" means check digit 0.
func ValidLearnerOID(s string) bool {
	m := learnerOIDPattern.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	check := checkDigitOf(m[3])
	if m[1] == "24" {
		return ibm137(m[2]) == check
	}
	return luhn(m[2]) == check
}

// ValidStudyRightOID reports whether s is a KOSKI study-right (opiskeluoikeus)
// OID: node 15, a ten-digit base and a Luhn check digit (legacy "10" = 0).
func ValidStudyRightOID(s string) bool {
	m := studyRightOIDPattern.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	return luhn(m[1]) == checkDigitOf(m[2])
}

// ValidOrganisationOID reports whether s has the shape of an organisation OID
// (node 10, or 99/199/299 for test organisations). Only the format is
// checked: real organisation OIDs exist whose check digit is wrong, the root
// 1.2.246.562.10.00000000001 among them, and eHOKS accepts them all.
func ValidOrganisationOID(s string) bool {
	return organisationOIDPattern.MatchString(s)
}

// ValidBusinessID reports whether s is a Finnish business ID (Y-tunnus,
// "NNNNNNN-C"): seven digits weighted 7, 9, 10, 5, 8, 4, 2, r = sum mod 11;
// r = 0 gives check digit 0, r = 1 is never issued, otherwise the check
// digit is 11 − r.
func ValidBusinessID(s string) bool {
	if !businessIDPattern.MatchString(s) {
		return false
	}
	weights := [7]int{7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	r := sum % 11
	switch r {
	case 0:
		return s[8] == '0'
	case 1:
		return false
	default:
		return int(s[8]-'0') == 11-r
	}
}

// checkDigitOf reads the check-digit group of an OID tail: one digit, or the
// legacy "10" written by an old generator bug, which means 0.
func checkDigitOf(g string) int {
	if g == "10" {
		return 0
	}
	return int(g[0] - '0')
}

// ibm137 is the IBM check digit used by OPH's person OIDs: the base digits
// are weighted 7, 3, 1, 7, 3, 1, … starting from the rightmost digit.
func ibm137(base string) int {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(base); i++ {
		d := int(base[len(base)-1-i] - '0')
		sum += d * weights[i%3]
	}
	return (10 - sum%10) % 10
}

// luhn is the Luhn check digit of base: walking from the right, every other
// digit starting with the rightmost is doubled (minus 9 when over 9).
func luhn(base string) int {
	sum := 0
	for i := 0; i < len(base); i++ {
		d := int(base[len(base)-1-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// Code sets (koodisto) used by HOKS, by the short name the validate tag
// "koodi=<name>" uses. The patterns are eHOKS's.
var codePatterns = map[string]*regexp.Regexp{
	"tutkinnonosat":                 regexp.MustCompile(`^tutkinnonosat_\d+$`),
	"urasuunnitelma":                regexp.MustCompile(`^urasuunnitelma_\d{4}$`),
	"osaamisenhankkimistapa":        regexp.MustCompile(`^osaamisenhankkimistapa_.+$`),
	"ammatillisenoppiaineet":        regexp.MustCompile(`^ammatillisenoppiaineet_.+$`),
	"osaamisentodentamisenprosessi": regexp.MustCompile(`^osaamisentodentamisenprosessi_\d+$`),
	"oppimisymparistot":             regexp.MustCompile(`^oppimisymparistot_\d{4}$`),
	"oppisopimuksenperusta":         regexp.MustCompile(`^oppisopimuksenperusta_.+$`),
	"koulutuksenosattuva":           regexp.MustCompile(`^koulutuksenosattuva_\d{3}$`),
	"oppimisentuentyyppi":           regexp.MustCompile(`^ammatillinenkoulutusoppimisentuentyyppi_\d{2}$`),
	"tutkinnonosanryhma":            regexp.MustCompile(`^ammatillisentutkinnonosanryhma_[12]$`),
}

// codeExamples are shown in messages about malformed code URIs.
var codeExamples = map[string]string{
	"tutkinnonosat":                 "tutkinnonosat_106727",
	"urasuunnitelma":                "urasuunnitelma_0001",
	"osaamisenhankkimistapa":        "osaamisenhankkimistapa_koulutussopimus",
	"ammatillisenoppiaineet":        "ammatillisenoppiaineet_vvai",
	"osaamisentodentamisenprosessi": "osaamisentodentamisenprosessi_0001",
	"oppimisymparistot":             "oppimisymparistot_0002",
	"oppisopimuksenperusta":         "oppisopimuksenperusta_01",
	"koulutuksenosattuva":           "koulutuksenosattuva_102",
	"oppimisentuentyyppi":           "ammatillinenkoulutusoppimisentuentyyppi_01",
	"tutkinnonosanryhma":            "ammatillisentutkinnonosanryhma_1",
}

// validInstructorPhone is eHOKS's rule for a workplace instructor's phone:
// at most 256 characters of digits, spaces and + - ( ).
func validInstructorPhone(s string) bool {
	if len(s) > 256 {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !strings.ContainsRune("0123456789 +-()", r)
	})
}
