package postgres

import "github.com/valmennus/valmennus/coaching/caseload"

// SummariesSQL exposes the statement of a Summaries call to the tests
// that EXPLAIN it and the benchmark.
func SummariesSQL(s *Store, f caseload.Filter) (string, []any) { return summariesSQL(s.ident, &f) }
