package sqlite_test

import (
	"database/sql"
	"os"
	"testing"
	"time"
	"syscall"
)

func TestZZExp(t *testing.T) {
	db, err := sql.Open("sqlite", "file:/tmp/valmennus-figures-100000.db?_pragma=mmap_size(1073741824)&_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"SELECT case_id, participant_id, organisation, model, state, opened_at, closed_at, has_participant, birth_date, background, destination, upon_leaving, six_months FROM case_figures",
		"SELECT case_id, organisation, model, state, opened_at, closed_at, has_participant, birth_date, background, destination, upon_leaving, six_months FROM case_figures",
		"SELECT case_id || organisation || model || state || opened_at || coalesce(closed_at,'') || has_participant || coalesce(birth_date,'') || coalesce(background,'') || coalesce(destination,'') || coalesce(upon_leaving,'') || coalesce(six_months,'') FROM case_figures",
		"SELECT concat(length(case_id),':',case_id,length(organisation),':',organisation,length(model),':',model,length(state),':',state,opened_at,':',closed_at,':',has_participant,length(birth_date),':',birth_date,length(background),':',background,length(destination),':',destination,length(upon_leaving),':',upon_leaving,length(six_months),':',six_months) FROM case_figures",
		"SELECT count(*) FROM case_figures",
	} {
		for range 3 {
			start := cpu()
			rows, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			dest := make([]any, len(cols))
			for i := range dest {
				dest[i] = new(sql.RawBytes)
			}
			n := 0
			for rows.Next() {
				if err := rows.Scan(dest...); err != nil {
					t.Fatal(err)
				}
				n++
			}
			rows.Close()
			t.Logf("%d cols: %v per row (%d rows)", len(cols), (cpu()-start)/time.Duration(n), n)
		}
	}
	_ = os.Stdout
}

func cpu() time.Duration {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
