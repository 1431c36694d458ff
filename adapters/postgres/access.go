package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// AccessLog implements coaching.ReadTx. Only the filters q sets appear in
// the WHERE clause (as in casesSQL), so each combination gets a plan that
// walks the matching (key, seq) index in Seq order.
func (t *txn) AccessLog(ctx context.Context, q coaching.AccessQuery) ([]coaching.AccessEntry, error) {
	out := []coaching.AccessEntry{}
	for _, v := range []string{q.ActorID, string(q.CaseID), string(q.ParticipantID), string(q.Organisation)} {
		if !storableText(v) {
			// No stored entry can match a filter PostgreSQL cannot store.
			return out, nil
		}
	}
	sql, args := t.s.accessSQL(q)
	rows, err := t.db.Query(ctx, sql, args...)
	return collect(rows, err, out, target{kind: "access log"}, scanAccess)
}

// accessSQL builds AccessLog's query from constant fragments; every value
// is a parameter.
func (s *Store) accessSQL(q coaching.AccessQuery) (string, []any) {
	var b strings.Builder
	b.WriteString(s.q.accessSelect)
	args := make([]any, 1, 8)
	args[0] = q.AfterSeq
	cond := func(sql string, v any) {
		args = append(args, v)
		b.WriteString(" AND ")
		b.WriteString(strings.ReplaceAll(sql, "$", "$"+strconv.Itoa(len(args))))
	}
	if q.ActorID != "" {
		cond("a.actor_id = $", q.ActorID)
	}
	if q.CaseID != "" {
		cond("a.case_id = $", string(q.CaseID))
	}
	if q.ParticipantID != "" {
		cond("a.participant_id = $", string(q.ParticipantID))
	}
	if q.Organisation != "" {
		cond("a.organisation = $", string(q.Organisation))
	}
	if !q.From.IsZero() {
		cond("a.at >= $", q.From)
	}
	if !q.To.IsZero() {
		cond("a.at < $", q.To)
	}
	b.WriteString(" ORDER BY a.seq")
	if q.Limit > 0 {
		args = append(args, q.Limit)
		b.WriteString(" LIMIT $" + strconv.Itoa(len(args)))
	}
	return b.String(), args
}

// AppendAccess implements coaching.Tx. The identity column numbers the
// entry; the caller's Seq is ignored. (Seq is unique and ascends in
// insertion order; see migrations/0002_access_log.sql for what that means
// for transactions that overlap.) Every entry is stored: its text is
// stored as [coaching.AccessEntry.Sanitized] returns it (invalid UTF-8,
// NUL and other control characters replaced by U+FFFD, long text cut), so
// text PostgreSQL cannot hold never fails the statement, and with it the
// transaction and the denial it records.
func (t *txn) AppendAccess(ctx context.Context, e coaching.AccessEntry) error {
	e = e.Sanitized()
	_, err := t.db.Exec(ctx, t.s.q.appendAccess, e.At, e.ActorID, roleStrings(e.Roles), string(e.Organisation), string(e.Operation),
		string(e.CaseID), string(e.ParticipantID), e.Allowed, e.Rule, e.Purpose, e.Subject)
	return interpretError(err, target{kind: "access-log entry"})
}

// PurgeCase implements coaching.Tx: it deletes the case's documents,
// notices, commands and timers and clears the reasons and payloads of its
// audit entries, in the transaction (so a rollback undoes it). The case
// row, its marks, its sessions (see EraseFeatureData) and the access log
// are kept.
func (t *txn) PurgeCase(ctx context.Context, id coaching.CaseID) error {
	if !lookupKey(string(id), maxIDBytes) {
		return &coaching.NotFoundError{Kind: "case", ID: string(id)}
	}
	if err := t.caseMustExist(ctx, id); err != nil {
		return err
	}
	tg := target{kind: "case", id: string(id), caseID: id}
	for _, sql := range []string{t.s.q.purgeDocuments, t.s.q.purgeNotices, t.s.q.purgeCommands, t.s.q.purgeTimers, t.s.q.purgeAudit} {
		if _, err := t.db.Exec(ctx, sql, string(id)); err != nil {
			return interpretError(err, tg)
		}
	}
	return nil
}

// EraseFeatureData implements coaching.FeatureEraser for the features this
// store keeps data of: the topic and the peer-support text of every
// coaching session the case attended are cleared (session.Store); the
// hours, staff, dates and cases stay for the team hours. The caseload's
// (caseload.Store): the notes of the case's contacts, the titles (kept as
// the cause's kind), reasons and action notes of its alerts, and the
// titles and reasons of the planned items that list the case alone. The
// old row versions stay in the table files until [Store.VacuumErased]
// rewrites the tables.
func (t *txn) EraseFeatureData(ctx context.Context, id coaching.CaseID) error {
	if !lookupKey(string(id), maxIDBytes) {
		return nil // no session can list a case id the store would refuse
	}
	for _, sql := range []string{t.s.q.eraseSessions, t.s.q.eraseContacts, t.s.q.eraseAlerts, t.s.q.erasePlanned} {
		if _, err := t.db.Exec(ctx, sql, string(id)); err != nil {
			return interpretError(err, target{kind: "feature data of case", id: string(id), caseID: id})
		}
	}
	return nil
}
