package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/erasure"
)

// Building a store touches no database: pgxpool connects on first use, and
// the store only when it is used. (Migrate and every store method need the
// server.)
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://app@127.0.0.1:1/school?sslmode=disable")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()

	store, err := postgres.New(pool, &postgres.Options{Schema: "school_a"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("schema:", store.Schema(), "- schema version:", postgres.LatestVersion())

	_, err = postgres.New(pool, &postgres.Options{Schema: "school-a"})
	fmt.Println(err)
	_, err = postgres.New(nil, nil)
	fmt.Println(err)
	// Output:
	// schema: school_a - schema version: 15
	// postgres: Options.Schema "school-a" is not a plain identifier (a letter or _, then letters, digits or _, at most 63 bytes)
	// postgres: New: pool is nil
}

// A host changes a case and its own table in one transaction: the engine's
// An engine bound with In works in the host's pgx transaction through Store.Tx, and the host
// commits (or rolls back) everything together. (Not run: it needs a
// database; TestHostOwnedTransaction runs the same against one.)
func ExampleStore_Tx() {
	ctx := context.Background()
	pool, _ := pgxpool.New(ctx, "postgres://app@db.example:5432/school")
	defer pool.Close()
	store, _ := postgres.New(pool, nil)
	eng, _ := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}})
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}

	tx, err := pool.Begin(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = tx.Rollback(ctx) }() // a no-op after Commit
	if _, err := tx.Exec(ctx, `INSERT INTO sis.leave (student, reason) VALUES ($1, $2)`, "S1234", "sick leave"); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := eng.In(store.Tx(tx)).Fire(ctx, coach, "case-1", coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave"}); err != nil {
		fmt.Println(err) // e.g. a *coaching.ConflictError: roll back, reload, decide again
		return
	}
	if err := tx.Commit(ctx); err != nil {
		fmt.Println(err)
	}
}

// After an erasure (or the nightly retention run) the host vacuums the
// tables the erasure changed, so that the erased bytes leave the table
// files. The example runs the whole sequence when VALMENNUS_POSTGRES_DSN
// names a server (in a schema of its own, dropped at the end); without one
// it only prints the tables.
func ExampleStore_VacuumErased() {
	fmt.Println("rewritten:", strings.Join(postgres.ErasedTables(), ", "))
	dsn := os.Getenv("VALMENNUS_POSTGRES_DSN")
	if dsn == "" {
		return
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	store, err := postgres.New(pool, &postgres.Options{Schema: "example_vacuum_erased"})
	if err != nil {
		fmt.Println(err)
		return
	}
	drop := func() { _, _ = pool.Exec(ctx, `DROP SCHEMA IF EXISTS example_vacuum_erased CASCADE`) }
	drop() // left over from an interrupted run
	defer drop()
	if err := store.Migrate(ctx); err != nil {
		fmt.Println(err)
		return
	}
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	const org = "org-1"
	coach := coaching.Actor{ID: "coach-1", Organisation: org, Roles: []coaching.Role{coaching.RoleCoach}}
	head := coaching.Actor{ID: "head-1", Organisation: org, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	if _, err := eng.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO, CaseID: org + ":case-1",
		Participant: coaching.Participant{ID: "p-1", Organisation: org, GivenNames: "Aino", FamilyName: "Virtanen",
			BirthDate: coaching.NewDate(2005, 5, 17), Language: coaching.Finnish, Contact: coaching.Contact{Email: "aino@example.fi"}},
		Team: []coaching.TeamMember{{ActorID: coach.ID, Role: coaching.RoleCoach, Name: "Maija Kares"}}}); err != nil {
		fmt.Println(err)
		return
	}

	er, err := erasure.New(eng)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := er.Erase(ctx, head, "p-1", nil); err != nil {
		fmt.Println(err)
		return
	}
	// Waits for transactions older than the erasure, then rewrites the
	// tables (an ACCESS EXCLUSIVE lock on each in turn).
	vctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := store.VacuumErased(vctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// rewritten: participants, cases, audit, records, latest_records, case_figures, documents, notices, commands, timers, sessions, contacts, alerts, planned
}
