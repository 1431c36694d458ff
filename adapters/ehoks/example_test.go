package ehoks_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/valmennus/valmennus/adapters/ehoks"
	"github.com/valmennus/valmennus/adapters/ehoks/ehokstest"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// A plan goes to eHOKS, comes back with eHOKS's ids, is changed, and a
// plan eHOKS refuses names the refused member by its path.
func Example() {
	ctx := context.Background()
	fake := ehokstest.New(nil)
	defer fake.Close()
	c, err := ehoks.New(fake.ClientOptions("1.2.246.562.10.00000000001.valmennus"))
	if err != nil {
		panic(err)
	}

	plan, err := hoks.Decode([]byte(`{
	  "oppija-oid": "1.2.246.562.24.44651722625",
	  "opiskeluoikeus-oid": "1.2.246.562.15.76811932045",
	  "ensikertainen-hyvaksyminen": "2024-01-02",
	  "osaamisen-hankkimisen-tarve": true,
	  "sahkoposti": "opiskelija@example.fi"}`), nil)
	if err != nil {
		panic(err)
	}
	id, err := c.Create(ctx, plan)
	if err != nil {
		panic(err)
	}
	plan.Phone = hoks.Ref("040 123 4567")
	if err := c.Put(ctx, id, plan); err != nil {
		panic(err)
	}
	got, err := c.GetByStudyRight(ctx, *plan.StudyRightOID)
	if err != nil {
		panic(err)
	}
	ours, _ := ehoks.Normalize(plan)
	theirs, _ := ehoks.Normalize(got)
	fmt.Println("id", *got.ID, "phone", *got.Phone, "differences", len(hoks.Diff(ours, theirs)))

	_, err = c.Create(ctx, plan)
	fmt.Println("again:", errors.Is(err, ehoks.ErrExists))

	other := *plan
	other.StudyRightOID = hoks.Ref("1.2.246.562.15.76811932052")
	other.NeedsCompetence = nil
	_, err = c.Create(ctx, &other)
	var ve *coaching.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println("refused:", p.Field, p.Message)
		}
	}
	// Output:
	// id 1 phone 040 123 4567 differences 0
	// again: true
	// refused: osaamisen-hankkimisen-tarve is required
}
