package postgres

import (
	"strings"

	"github.com/valmennus/valmennus/coaching/caseload"
)

// SummariesSQL exposes the statement of a Summaries call to the tests
// that EXPLAIN it and the benchmark.
func SummariesSQL(s *Store, f caseload.Filter) (string, []any) { return summariesSQL(s.ident, &f) }

// LegacyWrites makes s write participants and cases as the store did
// before migration 0011 (without sort_name and team_key), and notices as
// it did before 0013 (without due_at, channel and trace), so that the
// migration tests can write rows into a schema at an older version
// through the store; off, the store's own statements again. The extra
// argument each statement is given is read and ignored.
func LegacyWrites(s *Store, on bool) {
	q := buildQueries(s.ident)
	if on {
		r := strings.NewReplacer("{s}", s.ident)
		// $6 (the sign-on id 0012 checks) is read and ignored too; the
		// participants' organisation column is as old as the table.
		q.insertParticipant = r.Replace(`INSERT INTO {s}.participants (id, organisation, identity_code, data)
			VALUES ($1, $2, CASE WHEN $5::text IS NULL OR $6::text IS NULL THEN $3::text ELSE $3::text END, $4) ON CONFLICT DO NOTHING`)
		q.updateParticipant = r.Replace(`UPDATE {s}.participants SET
			identity_code = CASE WHEN $5::text IS NULL OR $6::text IS NULL THEN $3::text ELSE $3::text END, data = $4 WHERE organisation = $2 AND id = $1`)
		q.insertCase = r.Replace(`INSERT INTO {s}.cases (id, participant_id, organisation, model, state, version, opened_at, closed_at, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $10::text IS NULL THEN $9::jsonb ELSE $9::jsonb END) ON CONFLICT DO NOTHING`)
		q.updateCase = r.Replace(`UPDATE {s}.cases SET participant_id = $3, organisation = $4, model = $5, state = $6, version = $7,
			opened_at = $8, closed_at = $9, data = CASE WHEN $11::text IS NULL THEN $10::jsonb ELSE $10::jsonb END WHERE id = $1 AND version = $2`)
		q.updateCaseOrFail = q.updateCase
		// Notices without 0013's due_at, channel and trace ($15, $16):
		// the statement of the builds before 0013.
		q.enqueue = r.Replace(`INSERT INTO {s}.notices (id, case_id, kind, recipient, subject, body, data, created_at, not_before, status, attempts, lease_until, sent_at, last_error)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, CASE WHEN $15::timestamptz IS NULL OR $16::text IS NULL THEN $14::text ELSE $14::text END)
			ON CONFLICT (id) DO NOTHING`)
	}
	s.q = q
}
