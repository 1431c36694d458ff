package hoks_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// Decode a real eHOKS document and look at its workplace periods.
func ExampleDecode() {
	data, err := os.ReadFile("testdata/ehoks/hoksit.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := hoks.Decode(data, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("learner:", *plan.LearnerOID)
	fmt.Println("first approved:", plan.FirstApproved)
	fmt.Println("vocational units to acquire:", len(plan.VocationalUnits))
	for _, unit := range plan.VocationalUnits {
		for _, m := range unit.Methods {
			if m.IsWorkplacePeriod() && m.Workplace != nil {
				fmt.Printf("%s %s…%s at %s\n", *unit.UnitCodeURI, m.Start, m.End, *m.Workplace.WorkplaceName)
			}
		}
	}
	// Output:
	// learner: 1.2.246.562.24.44651722625
	// first approved: 2017-10-25
	// vocational units to acquire: 7
	// tutkinnonosat_103590 2018-11-16…2018-12-13 at Vastuullinen Työpaikka Oyj
	// tutkinnonosat_103590 2018-11-16…2021-12-13 at Gofore Oyj
	// tutkinnonosat_103590 2019-05-02…2023-08-11 at Terraframe
}

// Validate lists every problem with its JSON path.
func ExampleValidate() {
	data := []byte(`{
	  "oppija-oid": "1.2.246.562.24.44651722626",
	  "opiskeluoikeus-oid": "1.2.246.562.15.76811932029",
	  "ensikertainen-hyvaksyminen": "2024-01-10",
	  "osaamisen-hankkimisen-tarve": true,
	  "hankittavat-ammat-tutkinnon-osat": [{
	    "tutkinnon-osa-koodi-uri": "tutkinnonosat_106233",
	    "tutkinnon-osa-koodi-versio": 2,
	    "osaamisen-hankkimistavat": [{
	      "osaamisen-hankkimistapa-koodi-uri": "osaamisenhankkimistapa_oppisopimus",
	      "osaamisen-hankkimistapa-koodi-versio": 1,
	      "alku": "2024-03-01", "loppu": "2024-02-01"
	    }]
	  }]
	}`)
	plan, err := hoks.Decode(data, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = hoks.ValidateWith(plan, hoks.ValidateOptions{Today: coaching.NewDate(2025, 1, 1)})
	var ve *coaching.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Printf("%s: %s\n", p.Field, p.Message)
		}
	}
	fmt.Println(errors.Is(err, coaching.ErrInvalid))
	// Output:
	// hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0].loppu: ends (2024-02-01) before it starts (2024-03-01)
	// hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0].oppisopimuksen-perusta-koodi-uri: is required for an apprenticeship ending on or after 2021-07-01
	// hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0].osa-aikaisuustieto: is required (1–100) for a workplace period ending after 2023-06-30
	// hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0].yksiloiva-tunniste: is required for a workplace period (training agreement or apprenticeship)
	// oppija-oid: "1.2.246.562.24.44651722626" is not a valid learner OID (1.2.246.562.24.… with a valid check digit)
	// true
}

// Unknown members are an error naming their path, unless kept.
func ExampleDecode_unknownMembers() {
	data := []byte(`{"oppija-oid": "1.2.246.562.24.44651722625", "oppimisen-tuki": [{"lisatieto": "x"}]}`)
	_, err := hoks.Decode(data, nil)
	fmt.Println(err)

	plan, _ := hoks.Decode(data, &hoks.DecodeOptions{KeepUnknown: true})
	out, _ := hoks.Encode(plan)
	fmt.Println(string(out))
	// Output:
	// hoks: cannot decode eHOKS JSON: oppimisen-tuki[0].lisatieto: unknown member "lisatieto"
	// {"oppija-oid":"1.2.246.562.24.44651722625","oppimisen-tuki":[{"lisatieto":"x"}]}
}
