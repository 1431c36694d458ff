package sis_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/sis"
)

func ExampleImport() {
	ctx := context.Background()
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}})
	if err != nil {
		panic(err)
	}
	org := coaching.OrganisationID("1.2.246.562.10.00000000001")
	counsellor := coaching.Actor{ID: "counsellor-1", Organisation: org, Roles: []coaching.Role{coaching.RoleStudyCounsellor}}

	// A semicolon-separated export, as Finnish Excel writes it.
	export := `external_id;given_names;family_name;birth_date;identity_code;language;group;start_date;guardian1_name;guardian1_email
S1001;Aino;Virtanen;2010-03-14;140310A9013;fi;TVO25A;2026-08-10;Pekka Virtanen;pekka@example.fi
S1002;Elias;Lindqvist;2009-11-02;021109A902X;sv;TVO25A;2026-08-10;Karin Lindqvist;karin(at)example.fi
S1003;Sara;Ahmed;2010-06-30;;en;TVO25B;2026-08-17;;
`
	rep, err := sis.Import(ctx, eng, counsellor, strings.NewReader(export), sis.Options{Model: coaching.ModelPilot, Organisation: org})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d rows, %d enrolled\n", rep.Rows, len(rep.Enrolled))
	for _, e := range rep.Enrolled {
		fmt.Printf("line %d: %s is %s\n", e.Line, e.ExternalID, e.Participant)
	}
	for _, p := range rep.Problems {
		fmt.Println(p)
	}

	// Importing the same file again enrols nobody twice.
	rep, err = sis.Import(ctx, eng, counsellor, strings.NewReader(export), sis.Options{Model: coaching.ModelPilot, Organisation: org})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Problems[0])
	// Output:
	// 3 rows, 2 enrolled
	// line 2: S1001 is sis:1.2.246.562.10.00000000001:S1001
	// line 4: S1003 is sis:1.2.246.562.10.00000000001:S1003
	// line 3, identity_code: identity code: the check character does not match
	// line 3, guardian1_email: not a valid e-mail address
	// line 2, external_id: already enrolled
}
