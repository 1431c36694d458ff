package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
)

// Open a database file, apply the schema, enrol a participant into a VALO
// case, and read the case back after reopening the file.
func Example() {
	dir, err := os.MkdirTemp("", "valmennus-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "valmennus.db")
	ctx := context.Background()

	store, err := sqlite.Open(ctx, path, &sqlite.Options{Migrate: true})
	if err != nil {
		log.Fatal(err)
	}
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}})
	if err != nil {
		log.Fatal(err)
	}
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	c, err := eng.Enrol(ctx, coach, coaching.EnrolParams{
		Model:  coaching.ModelVALO,
		CaseID: "case-1",
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: "Virtanen",
			BirthDate: coaching.NewDate(1990, time.May, 17), Language: coaching.Finnish},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.ID, c.State, c.Version)
	if err := store.Close(); err != nil {
		log.Fatal(err)
	}

	// The case is in the file.
	store, err = sqlite.Open(ctx, path, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	eng, err = coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}})
	if err != nil {
		log.Fatal(err)
	}
	// Reading goes through the engine's policy: the organisation's head of
	// studies may read its cases.
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	c, err = eng.Case(ctx, head, "case-1")
	if err != nil {
		log.Fatal(err)
	}
	trail, err := eng.AuditTrail(ctx, head, c.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.State, len(trail), trail[0].Kind)
	// Output:
	// case-1 recruitment 1
	// recruitment 1 opened
}
