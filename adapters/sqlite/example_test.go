package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/erasure"
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
	var trail []coaching.AuditEntry
	err = eng.ReadCase(ctx, head, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		trail, err = v.AuditTrail()
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.State, len(trail), trail[0].Kind)
	// Output:
	// case-1 recruitment 1
	// recruitment 1 opened
}

// After an erasure the erased bytes are in neither the database file nor
// its WAL: the store overwrites deleted content (secure_delete) and
// checkpoints the WAL after the erasing transaction. Checkpoint does the
// latter on demand, e.g. after an erasure in a host transaction, and says
// whether it completed.
func ExampleStore_Checkpoint() {
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
	defer store.Close()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}})
	if err != nil {
		log.Fatal(err)
	}
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	if _, err := eng.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO, CaseID: "case-1",
		Participant: coaching.Participant{ID: "p-1", GivenNames: "Aino", FamilyName: "Virtanen",
			BirthDate: coaching.NewDate(1990, time.May, 17), Language: coaching.Finnish,
			Contact: coaching.Contact{Email: "aino.virtanen@example.fi"}}}); err != nil {
		log.Fatal(err)
	}
	er, err := erasure.New(eng)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := er.Erase(ctx, head, "p-1", nil); err != nil {
		log.Fatal(err)
	}
	if err := store.Checkpoint(ctx); err != nil {
		log.Fatal(err) // a reader kept it from completing: try again later
	}
	wal, _ := os.ReadFile(path + "-wal")
	db, _ := os.ReadFile(path)
	fmt.Println("WAL bytes:", len(wal))
	fmt.Println("e-mail in the file:", bytes.Contains(db, []byte("aino.virtanen@example.fi")))
	// Output:
	// WAL bytes: 0
	// e-mail in the file: false
}
