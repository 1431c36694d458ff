package main

import (
	"encoding/json"
	"fmt"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// The organisations of the simulation. The provider OID is the one of the
// eHOKS fixtures; the workshop's business ID is synthetic (mod-11 valid).
const (
	providerOID      = "1.2.246.562.10.54453921329"
	workshopName     = "Rauman Seudun Katulähetys ry, työpaja"
	workshopBusiness = "3213687-7"
)

// unitCode gives the seed's qualification units synthetic ePerusteet-style
// codes (the real codes of these units are not in the reference material):
// household units are 9001xx, property units 9002xx, in list order.
func unitCode(name string) string {
	for f, base := range map[Field]int{FieldHousehold: 900100, FieldProperty: 900200} {
		for i, u := range units[f] {
			if u == name {
				return fmt.Sprintf("tutkinnonosat_%d", base+i)
			}
		}
	}
	return "tutkinnonosat_900999"
}

// learnerOID returns a synthetic person OID (node 24) whose last digit is
// the IBM 7-3-1 check digit, as the national learner register issues them.
func learnerOID(n int) string {
	base := fmt.Sprintf("%010d", 1000000000+n*7919)
	weights := []int{7, 3, 1}
	sum := 0
	for i := range base {
		d := int(base[len(base)-1-i] - '0')
		sum += d * weights[i%3]
	}
	return fmt.Sprintf("1.2.246.562.24.%s%d", base, (10-sum%10)%10)
}

// studyRightOID returns a synthetic KOSKI study-right OID (node 15) with a
// Luhn check digit.
func studyRightOID(n int) string {
	base := fmt.Sprintf("%010d", 2000000000+n*104729)
	sum := 0
	for i := range base {
		d := int(base[len(base)-1-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return fmt.Sprintf("1.2.246.562.15.%s%d", base, (10-sum%10)%10)
}

// plan drafts a participant's HOKS: the target units chosen at induction,
// acquired at the workshop from start to end, each with a competence
// demonstration planned at the end of the period.
func plan(n int, units []string, start, end coaching.Date) (*hoks.Plan, error) {
	type obj = map[string]any
	var parts []obj
	for _, u := range units {
		parts = append(parts, obj{
			"tutkinnon-osa-koodi-uri":    unitCode(u),
			"tutkinnon-osa-koodi-versio": 1,
			"koulutuksen-jarjestaja-oid": providerOID,
			"osaamisen-hankkimistavat": []obj{{
				"yksiloiva-tunniste":                   fmt.Sprintf("valo-%03d-%s", n, unitCode(u)),
				"osaamisen-hankkimistapa-koodi-uri":    "osaamisenhankkimistapa_oppilaitosmuotoinen",
				"osaamisen-hankkimistapa-koodi-versio": 1,
				"alku":                                 start.String(),
				"loppu":                                end.String(),
			}},
			"osaamisen-osoittaminen": []obj{{
				"jarjestaja":             obj{"oppilaitos-oid": providerOID},
				"nayttoymparisto":        obj{"nimi": workshopName, "y-tunnus": workshopBusiness},
				"sisallon-kuvaus":        []string{u},
				"alku":                   end.AddDays(-14).String(),
				"loppu":                  end.String(),
				"yksilolliset-kriteerit": []string{"Työskentelee ohjatusti"},
				"koulutuksen-jarjestaja-osaamisen-arvioijat": []obj{{"nimi": "Arvioija, Opettaja", "organisaatio": obj{"oppilaitos-oid": providerOID}}},
				"tyoelama-osaamisen-arvioijat":               []obj{{"nimi": "Arvioija, Työpaja", "organisaatio": obj{"nimi": workshopName, "y-tunnus": workshopBusiness}}},
			}},
		})
	}
	b, err := json.Marshal(obj{
		"oppija-oid":                       learnerOID(n),
		"opiskeluoikeus-oid":               studyRightOID(n),
		"osaamisen-hankkimisen-tarve":      true,
		"hankittavat-ammat-tutkinnon-osat": parts,
	})
	if err != nil {
		return nil, err
	}
	return hoks.Decode(b, nil)
}
