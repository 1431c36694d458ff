package hoks_test

import (
	"fmt"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// Check separates the problems, which eHOKS would reject, from the
// advisories: checks stricter than eHOKS that never make a plan invalid.
// Here the interruptions are listed out of order (eHOKS sorts them, so that
// is fine), one of them ends before it starts and a demonstration is dated
// the wrong way round: eHOKS accepts both, so they are advisories.
func ExampleCheck() {
	data := []byte(`{
	  "oppija-oid": "1.2.246.562.24.44651722625",
	  "opiskeluoikeus-oid": "1.2.246.562.15.76811932029",
	  "ensikertainen-hyvaksyminen": "2024-01-10",
	  "osaamisen-hankkimisen-tarve": true,
	  "hankittavat-ammat-tutkinnon-osat": [{
	    "tutkinnon-osa-koodi-uri": "tutkinnonosat_106233",
	    "tutkinnon-osa-koodi-versio": 2,
	    "osaamisen-hankkimistavat": [{
	      "osaamisen-hankkimistapa-koodi-uri": "osaamisenhankkimistapa_oppilaitosmuotoinenkoulutus",
	      "osaamisen-hankkimistapa-koodi-versio": 1,
	      "alku": "2024-01-15", "loppu": "2024-05-31",
	      "keskeytymisajanjaksot": [
	        {"alku": "2024-04-01"},
	        {"alku": "2024-03-01", "loppu": "2024-02-20"}
	      ]
	    }],
	    "osaamisen-osoittaminen": [{
	      "nayttoymparisto": {"nimi": "Kukkakauppa Oy"},
	      "sisallon-kuvaus": ["Asiakaspalvelu"],
	      "alku": "2024-05-20", "loppu": "2024-05-02"
	    }]
	  }]
	}`)
	plan, err := hoks.Decode(data, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	r := hoks.Check(plan, hoks.ValidateOptions{Today: coaching.NewDate(2024, 6, 1)})
	fmt.Println("valid:", r.Valid(), "error:", r.Err())
	for _, a := range r.Advisories {
		fmt.Println(a.Field)
		fmt.Println("  ", a.Message)
	}
	// Output:
	// valid: true error: <nil>
	// hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0].keskeytymisajanjaksot[1].loppu
	//    ends (2024-02-20) before it starts (2024-03-01); eHOKS accepts this, but the dates are probably the wrong way round
	// hankittavat-ammat-tutkinnon-osat[0].osaamisen-osoittaminen[0].loppu
	//    ends (2024-05-02) before it starts (2024-05-20); eHOKS accepts this, but the dates are probably the wrong way round
}
