package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErasedTables returns the tables [Store.VacuumErased] rewrites, in the
// order it rewrites them: the ones an erasure (coaching/erasure's
// Service.Erase) or a retention run (Service.ApplyRetention) changes.
// participants and cases are rewritten by UPDATE, audit entries and
// sessions have their free text (reason and payload; topic and
// peer-support text) cleared by UPDATE, a case's records are replaced by
// the ones the erasure keeps (DELETE, INSERT; latest_records and
// case_figures follow them, and case_figures follows the participant's
// rewrite), and documents, notices,
// commands and timers are deleted. The access log and attendance marks are
// not changed by an erasure. The caseload's contacts, alerts and planned
// items have their free text cleared by UPDATE (EraseFeatureData).
func ErasedTables() []string {
	return []string{"participants", "cases", "audit", "records", "latest_records", "case_figures", "documents", "notices", "commands", "timers", "sessions",
		"contacts", "alerts", "planned"}
}

// VacuumErased makes the bytes an erasure removed leave the table files.
// Call it after coaching/erasure's Service.Erase or Service.ApplyRetention
// (once after a batch of erasures is enough), outside any transaction.
//
// An erasure's UPDATEs and DELETEs only mark the old row versions dead:
// the identity code, names, e-mail addresses, referral reasons and audit
// reasons stay byte for byte in the table's pages (and its TOAST table's)
// until the space is reused. A plain VACUUM is not enough: it removes the
// dead versions from the page's item list and compacts the page, but the
// freed bytes are not overwritten (the test of this function finds an
// identity code in a participants page after VACUUM (INDEX_CLEANUP ON)).
// VacuumErased therefore runs VACUUM (FULL, ANALYZE) on each of
// [ErasedTables]: FULL copies the live rows into new files, rebuilds the
// table's indexes and its TOAST table, and the old files are truncated and
// removed when it commits (the first segment of each at the next
// checkpoint); ANALYZE replaces the planner statistics (pg_statistic), whose
// most-common values and histogram bounds are samples of the column values
// and may hold erased ones. The audit trail's append-only trigger does not
// stand in the way: VACUUM is not an UPDATE or DELETE.
//
// VACUUM FULL takes an ACCESS EXCLUSIVE lock on each table in turn while it
// copies it: it waits for every open transaction that has used the table,
// reads and writes of the table wait for it (for a large cases or audit
// table, seconds or more), and it needs free disk space for the copy. Run
// it when that is acceptable, e.g. after the nightly retention run.
//
// A row version that a transaction still open could see is copied, not
// removed. VacuumErased therefore first waits until every transaction
// older than the call has ended (the sessions of this database, prepared
// transactions, replication slots and standbys' hot_standby_feedback hold
// them), polling until ctx is done; a host's long transaction, or one left
// idle in transaction, makes it wait. If ctx ends first it returns an
// error that wraps ctx.Err() and names the backends it waited for, and
// vacuums nothing.
//
// The role of the pool must be allowed to vacuum the tables: their owner (the
// role that ran Migrate), the database's owner or a superuser (from
// PostgreSQL 17, a role with the MAINTAIN privilege). PostgreSQL skips a
// table it may not vacuum with only a warning; VacuumErased checks first and
// returns an error naming the tables instead. It also returns an error if
// the schema has not been migrated.
//
// What VacuumErased cannot reach — the WAL, WAL archives, base backups,
// replicas, and the disk blocks the old files occupied — is described in
// the package documentation under "Erasure".
func (s *Store) VacuumErased(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: vacuum: %w", err)
	}
	defer conn.Release()
	if err := s.vacuumAllowed(ctx, conn); err != nil {
		return err
	}
	if err := waitForOlderTransactions(ctx, conn); err != nil {
		return err
	}
	for _, t := range ErasedTables() {
		if _, err := conn.Exec(ctx, "VACUUM (FULL, ANALYZE) "+s.ident+"."+pgx.Identifier{t}.Sanitize()); err != nil {
			return fmt.Errorf("postgres: vacuum %s.%s: %w", s.opts.Schema, t, err)
		}
	}
	return nil
}

// vacuumAllowed checks that every table exists and that the current role
// may vacuum it.
func (s *Store) vacuumAllowed(ctx context.Context, conn *pgxpool.Conn) error {
	var version int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&version); err != nil {
		return fmt.Errorf("postgres: vacuum: %w", err)
	}
	may := `pg_has_role(c.relowner, 'USAGE')
		OR pg_has_role((SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE')
		OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)`
	if version >= 170000 {
		may += ` OR has_table_privilege(c.oid, 'MAINTAIN')`
	}
	rows, err := conn.Query(ctx, `
		SELECT t.name, c.oid IS NOT NULL, coalesce(`+may+`, false)
		FROM unnest($2::text[]) AS t(name)
		LEFT JOIN pg_class c ON c.relname = t.name AND c.relkind = 'r'
			AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
		ORDER BY t.name`, s.opts.Schema, ErasedTables())
	if err != nil {
		return fmt.Errorf("postgres: vacuum: %w", err)
	}
	var missing, refused []string
	for rows.Next() {
		var name string
		var exists, allowed bool
		if err := rows.Scan(&name, &exists, &allowed); err != nil {
			rows.Close()
			return fmt.Errorf("postgres: vacuum: %w", err)
		}
		switch {
		case !exists:
			missing = append(missing, name)
		case !allowed:
			refused = append(refused, name)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: vacuum: %w", err)
	}
	switch {
	case len(missing) > 0:
		return fmt.Errorf("postgres: vacuum: schema %s has no table %s (run Store.Migrate)", s.opts.Schema, strings.Join(missing, ", "))
	case len(refused) > 0:
		return fmt.Errorf("postgres: vacuum: the current role may not vacuum %s.%s: it must own the tables (the role that ran Migrate), own the database, or be a superuser",
			s.opts.Schema, strings.Join(refused, ", "+s.opts.Schema+"."))
	}
	return nil
}

// olderSQL lists what holds back the oldest transaction horizon to before
// $1 (the 32-bit form of a transaction id taken when VacuumErased began):
// other sessions of this database (their snapshot's xmin or their own
// transaction id), walsenders (a standby's hot_standby_feedback),
// prepared transactions and replication slots. Transaction ids wrap
// around at 2^32; x is older than $1 when ($1 - x) mod 2^32 is in (0, 2^31].
const olderSQL = `
	SELECT DISTINCT o.what FROM (
		SELECT 'pid ' || pid AS what, backend_xmin AS x FROM pg_stat_activity
			WHERE pid <> pg_backend_pid() AND (datname = current_database() OR backend_type = 'walsender')
		UNION ALL
		SELECT 'pid ' || pid, backend_xid FROM pg_stat_activity
			WHERE pid <> pg_backend_pid() AND datname = current_database()
		UNION ALL
		SELECT 'prepared transaction ' || gid, transaction FROM pg_prepared_xacts WHERE database = current_database()
		UNION ALL
		SELECT 'replication slot ' || slot_name, xmin FROM pg_replication_slots WHERE database IS NULL OR database = current_database()
	) o
	WHERE o.x IS NOT NULL AND ($1::bigint - o.x::text::bigint + 4294967296) % 4294967296 BETWEEN 1 AND 2147483648
	ORDER BY 1`

// waitForOlderTransactions waits until nothing that began before the call
// can still see a row version deleted before it.
func waitForOlderTransactions(ctx context.Context, conn *pgxpool.Conn) error {
	// xmax of a snapshot taken now: every transaction that had committed
	// (every erasure the host made before calling) has a smaller id.
	var next string
	if err := conn.QueryRow(ctx, "SELECT pg_snapshot_xmax(pg_current_snapshot())::text").Scan(&next); err != nil {
		return fmt.Errorf("postgres: vacuum: %w", err)
	}
	full, err := strconv.ParseUint(next, 10, 64)
	if err != nil {
		return fmt.Errorf("postgres: vacuum: transaction id %q: %w", next, err)
	}
	mark := int64(full % (1 << 32))
	wait := 10 * time.Millisecond
	var last []string // what the previous look found still open
	for {
		rows, err := conn.Query(ctx, olderSQL, mark)
		var older []string
		if err == nil {
			older, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil {
			if ctx.Err() != nil && len(last) > 0 {
				// The context ended during a look: name what the last one
				// found.
				return fmt.Errorf("postgres: vacuum: transactions older than the erasure are still open (%s); rows they can see would be kept: %w",
					strings.Join(last, ", "), ctx.Err())
			}
			if ctx.Err() != nil {
				return fmt.Errorf("postgres: vacuum: waiting for older transactions: %w", ctx.Err())
			}
			return fmt.Errorf("postgres: vacuum: %w", err)
		}
		last = older
		if len(older) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres: vacuum: transactions older than the erasure are still open (%s); rows they can see would be kept: %w",
				strings.Join(older, ", "), ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}
