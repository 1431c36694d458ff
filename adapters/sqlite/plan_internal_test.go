package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valmennus/valmennus/coaching/caseload"
)

// "My caseload" reads the member's cases from case_team's primary key and
// each case by its id: no query plan of the list scans the cases table
// (every sort, with and without a role or a flag filter).
func TestMyCaseloadReadsTheTeamIndex(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"), &Options{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, f := range []caseload.Filter{{Member: "a-1"}, {Member: "a-1", MemberRole: "coach", Flagged: true},
		{Member: "a-1", Sort: caseload.SortName}, {Member: "a-1", Sort: caseload.SortOpened}} {
		f.Organisation, f.Status, f.Now, f.Limit = "org-a", caseload.StatusOpen, time.Now(), 50
		q, args, err := summariesQuery(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, "SEARCH case_team USING PRIMARY KEY") || strings.Contains(all, "SCAN c\n") || strings.HasSuffix(all, "SCAN c") {
			t.Errorf("%+v: the plan does not read the member's cases from case_team:\n%s", f, all)
		}
	}
}
