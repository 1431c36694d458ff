package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes/figurestest"
)

// The figures through the port (one narrow SELECT) equal the figures from
// whole cases and participants, on a varied cohort, for every query.
func TestFiguresPortEqualsWholeCases(t *testing.T) {
	figurestest.Check(t, newStore(t), 600)
}

// figuresGroupBy is the baseline: the VALO categories counted by
// PostgreSQL itself, with a hand-written GROUP BY over the same tables
// and columns the port reads (migration 0005's narrow columns: the
// participant's birth_date and background members read with ->> and #>>,
// the latest destination record of each case from latest_records, joined;
// the age with age() on the Helsinki entry date).
var figuresGroupBy = fmt.Sprintf(`SELECT coalesce(g, ''), coalesce(edu, ''), coalesce(dest, ''),
	CASE WHEN b IS NULL OR b = '' THEN 2 WHEN extract(year FROM age(e, b::date)) < 30 THEN 0 ELSE 1 END,
	CASE WHEN ls IN ('%s', '%s', '%s') THEN 0 WHEN m IS NULL OR m < 0 THEN 2 WHEN m > 12 THEN 1 ELSE 0 END,
	count(*)
FROM (SELECT p.background ->> 'gender' AS g, p.background ->> 'education_level' AS edu,
		p.birth_date #>> '{}' AS b, (c.opened_at AT TIME ZONE 'Europe/Helsinki')::date AS e,
		p.background ->> 'labour_status' AS ls, (p.background ->> 'unemployed_months')::int AS m,
		d.data ->> 'destination' AS dest
	FROM %%[1]s.cases c LEFT JOIN %%[1]s.participants p ON p.id = c.participant_id
		LEFT JOIN %%[1]s.latest_records d ON d.case_id = c.id AND d.name = 'destination') f
GROUP BY 1, 2, 3, 4, 5`, coaching.LabourEmployed, coaching.LabourInactive, coaching.LabourInEducation)

func groupBy(tb testing.TB, store *postgres.Store) []figurestest.Group {
	ctx := context.Background()
	pool := sharedPool(tb)
	rows, err := pool.Query(ctx, fmt.Sprintf(figuresGroupBy, pgx.Identifier{store.Schema()}.Sanitize()))
	require.NoError(tb, err)
	defer rows.Close()
	return figurestest.ScanGroups(tb, rows)
}

// figuresBenchStore returns a store holding figurestest.Synthetic(0..n-1)
// in the schema valmennus_figures_<n>, which is kept and reused by later
// runs (drop it to load it again). The rows are written with COPY, encoded
// as the store encodes them (the JSON of the participant without its
// identity code, the JSON of the case without its history and records,
// the records in their table; the trigger on records keeps latest_records
// and the participants' narrow columns are generated).
func figuresBenchStore(b *testing.B, n int) *postgres.Store {
	ctx := context.Background()
	pool := sharedPool(b)
	schema := fmt.Sprintf("valmennus_figures_%d", n)
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(b, err)
	require.NoError(b, store.Migrate(ctx))
	ident := pgx.Identifier{schema}.Sanitize()
	var have int
	require.NoError(b, pool.QueryRow(ctx, "SELECT count(*) FROM "+ident+".cases").Scan(&have))
	if have == n {
		return store
	}
	_, err = pool.Exec(ctx, "TRUNCATE "+ident+".cases, "+ident+".participants, "+ident+".records, "+ident+".latest_records CASCADE")
	require.NoError(b, err)
	for lo := 0; lo < n; lo += 50_000 {
		var ps, cs, rs [][]any
		for i := lo; i < min(n, lo+50_000); i++ {
			p, c := figurestest.Synthetic(i)
			pdata, err := json.Marshal(p)
			require.NoError(b, err)
			for _, r := range c.Records {
				rs = append(rs, []any{string(c.ID), r.Seq, r.Name, r.At, r.By, []byte(r.Data)})
			}
			c.History, c.Records = nil, nil
			cdata, err := json.Marshal(c)
			require.NoError(b, err)
			ps = append(ps, []any{string(p.ID), string(p.Organisation), nil, pdata})
			cs = append(cs, []any{string(c.ID), string(c.ParticipantID), string(c.Organisation), c.Model, c.State, c.Version,
				c.OpenedAt, pgtype.Timestamptz{Time: c.ClosedAt, Valid: !c.ClosedAt.IsZero()}, cdata})
		}
		_, err := pool.CopyFrom(ctx, pgx.Identifier{schema, "participants"}, []string{"id", "organisation", "identity_code", "data"}, pgx.CopyFromRows(ps))
		require.NoError(b, err)
		_, err = pool.CopyFrom(ctx, pgx.Identifier{schema, "cases"},
			[]string{"id", "participant_id", "organisation", "model", "state", "version", "opened_at", "closed_at", "data"}, pgx.CopyFromRows(cs))
		require.NoError(b, err)
		_, err = pool.CopyFrom(ctx, pgx.Identifier{schema, "records"}, []string{"case_id", "seq", "name", "at", "by", "data"}, pgx.CopyFromRows(rs))
		require.NoError(b, err)
	}
	_, err = pool.Exec(ctx, "VACUUM ANALYZE "+ident+".participants")
	require.NoError(b, err)
	_, err = pool.Exec(ctx, "VACUUM ANALYZE "+ident+".cases")
	require.NoError(b, err)
	_, err = pool.Exec(ctx, "VACUUM ANALYZE "+ident+".records")
	require.NoError(b, err)
	_, err = pool.Exec(ctx, "VACUUM ANALYZE "+ident+".latest_records")
	require.NoError(b, err)
	// The load updated each case's figures row once per record after
	// inserting it; autovacuum and HOT updates keep a live table near its
	// live size, which FULL gives at once.
	_, err = pool.Exec(ctx, "VACUUM (FULL, ANALYZE) "+ident+".case_figures")
	require.NoError(b, err)
	return store
}

// BenchmarkFiguresPostgres: the VALO report over n cases (10 000 at
// -benchtime 1x, else 1 000 000; see figurestest.BenchCases) through the
// figures port, against a hand-written GROUP BY over the same tables in
// the same run (figurestest.Bench).
func BenchmarkFiguresPostgres(b *testing.B) {
	n := figurestest.BenchCases()
	store := figuresBenchStore(b, n)
	figurestest.Bench(b, store, n, func(tb testing.TB) []figurestest.Group { return groupBy(tb, store) })
}
