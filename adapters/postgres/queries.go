package postgres

import "strings"

// queries are the store's SQL statements with its schema filled in. Only
// the schema (a validated, quoted identifier) is put into the text; every
// value is a parameter.
type queries struct {
	participant, insertParticipant, updateParticipant, participantExists, signOnHolder string

	caseByID, caseVersion, caseExists, insertCase, updateCase, updateCaseOrFail string

	auditTrail, appendAudit, appendAuditOrFail, lastAudit string

	records, recordsNamed, latestRecords, appendRecord, deleteRecords, batchRecords string

	command, putCommand string

	document, documentLatest, documents, putDocument, lastDocument string

	marks, markHistory, putMark, lastMark, recentMarks, recentDays, attendanceState, putFlags, addTotals, addDayTotals string

	sessions, putSession string

	appendAccess, accessSelect string

	purgeDocuments, purgeNotices, purgeCommands, purgeTimers, purgeAudit string

	eraseSessions, eraseContacts, eraseAlerts, erasePlanned string

	notice, enqueue, updateNotice, noticeStatus string

	claimNotices, completeNotice, noticeAttempts, notices, outboxHealth string

	putTimer, deleteTimer, dueTimers string

	casesSelect, casesWithParticipantsSelect string

	missingCases string
}

const (
	participantCols = `data, identity_code`
	caseCols        = `data`
	auditCols       = `case_id, seq, at, kind, actor_id, roles, event, from_state, to_state, reason, payload, idempotency_key`
	documentCols    = `case_id, kind, version, status, at, by, seq, data`
	markCols        = `case_id, date, lesson, revision, title, minutes, status, reason, at, by`
	sessionCols     = `id, kind, date, hours::text, staff, cases, elements, peer_support, contacts, topic, at, by, organisation`
	accessCols      = `at, actor_id, roles, organisation, operation, case_id, participant_id, allowed, rule, purpose, subject`
	noticeCols      = `id, case_id, kind, recipient, subject, body, data, created_at, not_before, status, attempts, lease_until, sent_at, last_error, due_at, channel, trace`
	timerCols       = `key, case_id, kind, due_at, ref`
	recordCols      = `id, seq, name, at, by, data`
)

func buildQueries(schema string) *queries {
	r := strings.NewReplacer("{s}", schema)
	q := &queries{
		// Participants are keyed by (organisation, id) (migration 0012).
		// A write whose sign-on id ($6) another participant of the
		// organisation holds writes nothing, as a duplicate key does (the
		// store then asks which it was); the unique index refuses what a
		// concurrent transaction took.
		participant: `SELECT ` + participantCols + ` FROM {s}.participants WHERE organisation = $1 AND id = $2`,
		insertParticipant: `INSERT INTO {s}.participants (id, organisation, identity_code, data, sort_name)
			SELECT $1, $2, $3::text, $4::jsonb, $5::text
			WHERE NOT EXISTS (SELECT 1 FROM {s}.participants WHERE organisation = $2 AND sign_on = $6::text)
			ON CONFLICT (organisation, id) DO NOTHING`,
		updateParticipant: `UPDATE {s}.participants SET identity_code = $3, data = $4, sort_name = $5
			WHERE organisation = $2 AND id = $1
				AND NOT EXISTS (SELECT 1 FROM {s}.participants o WHERE o.organisation = $2 AND o.sign_on = $6 AND o.id <> $1)`,
		participantExists: `SELECT EXISTS (SELECT 1 FROM {s}.participants WHERE organisation = $1 AND id = $2)`,
		signOnHolder:      `SELECT id FROM {s}.participants WHERE organisation = $1 AND sign_on = $2`,

		caseByID:    `SELECT ` + caseCols + ` FROM {s}.cases WHERE id = $1`,
		caseVersion: `SELECT version FROM {s}.cases WHERE id = $1`,
		caseExists:  `SELECT EXISTS (SELECT 1 FROM {s}.cases WHERE id = $1)`,
		insertCase: `INSERT INTO {s}.cases (id, participant_id, organisation, model, state, version, opened_at, closed_at, data, team_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		updateCase: `UPDATE {s}.cases SET participant_id = $3, organisation = $4, model = $5, state = $6, version = $7,
			opened_at = $8, closed_at = $9, data = $10, team_key = $11 WHERE id = $1 AND version = $2`,
		// The pipelined form (see txn.UpdateCaseLater): when the UPDATE
		// matched no row, case_not_updated (migrations/0009) raises VC409
		// or VC404, which aborts the transaction. It returns no row.
		updateCaseOrFail: `WITH u AS (UPDATE {s}.cases SET participant_id = $3, organisation = $4, model = $5, state = $6, version = $7,
				opened_at = $8, closed_at = $9, data = $10, team_key = $11 WHERE id = $1 AND version = $2 RETURNING 1)
			SELECT {s}.case_not_updated($1, $2) WHERE NOT EXISTS (SELECT 1 FROM u)`,

		auditTrail: `SELECT ` + auditCols + ` FROM {s}.audit WHERE case_id = $1 AND seq > $2 ORDER BY seq`,
		// The entry goes in only if its case exists and its Seq follows the
		// case's last entry; ON CONFLICT catches a concurrent writer of the
		// same Seq without failing the transaction. The last entry (here,
		// in lastAudit and in audit_follows, migrations/0008; a document's
		// last version likewise) is the first of a backward index scan,
		// asked for with ORDER BY ... LIMIT 1 rather than max(): the
		// statement is prepared, and the generic plan PostgreSQL makes
		// without statistics aggregates max() over the case's whole trail.
		appendAudit: `INSERT INTO {s}.audit (` + auditCols + `)
			SELECT $1::text, $2::bigint, $3::timestamptz, $4::text, $5::text, $6::text[], $7::text, $8::text, $9::text, $10::text, $11::jsonb, $12::text
			WHERE EXISTS (SELECT 1 FROM {s}.cases WHERE id = $1)
			  AND coalesce((SELECT seq FROM {s}.audit WHERE case_id = $1 ORDER BY seq DESC LIMIT 1), 0) = $2 - 1
			ON CONFLICT DO NOTHING`,
		// The pipelined form (see txn.AppendAudit): instead of inserting
		// nothing, it fails with SQLSTATE VA409 (or 23505 on a concurrent
		// duplicate), which aborts the transaction.
		appendAuditOrFail: `INSERT INTO {s}.audit (` + auditCols + `)
			SELECT $1::text, $2::bigint, $3::timestamptz, $4::text, $5::text, $6::text[], $7::text, $8::text, $9::text, $10::text, $11::jsonb, $12::text
			WHERE {s}.audit_follows($1, $2)`,
		lastAudit: `SELECT EXISTS (SELECT 1 FROM {s}.cases WHERE id = $1),
			coalesce((SELECT seq FROM {s}.audit WHERE case_id = $1 ORDER BY seq DESC LIMIT 1), 0)`,

		// A case's records in the order appended (id); for names, the
		// records_case_name index in each name's order, then sorted; the
		// latest of each name is one backward index step per name.
		records:      `SELECT ` + recordCols + ` FROM {s}.records WHERE case_id = $1 AND seq >= $2 ORDER BY id`,
		recordsNamed: `SELECT ` + recordCols + ` FROM {s}.records WHERE case_id = $1 AND name = ANY($2::text[]) AND seq >= $3 ORDER BY id`,
		latestRecords: `SELECT r.id, r.seq, r.name, r.at, r.by, r.data FROM unnest($2::text[]) AS n (name)
			CROSS JOIN LATERAL (SELECT ` + recordCols + ` FROM {s}.records
				WHERE case_id = $1 AND name = n.name AND seq >= $3 ORDER BY id DESC LIMIT 1) r ORDER BY r.id`,
		// The foreign key refuses a record of an unknown case (23503: a
		// *coaching.NotFoundError), so an INSERT never quietly inserts
		// nothing and may be deferred (txn.AppendRecords).
		appendRecord:  `INSERT INTO {s}.records (case_id, seq, name, at, by, data) VALUES ($1, $2, $3, $4, $5, $6)`,
		deleteRecords: `DELETE FROM {s}.records WHERE case_id = $1`,
		// The records of a page of cases, by case and then in order.
		batchRecords: `SELECT case_id, seq, name, at, by, data FROM {s}.records WHERE case_id = ANY($1::text[]) ORDER BY case_id, id`,

		command: `SELECT case_id, key, fingerprint, seq, at FROM {s}.commands WHERE case_id = $1 AND key = $2`,
		putCommand: `INSERT INTO {s}.commands (case_id, key, fingerprint, seq, at)
			SELECT $1::text, $2::text, $3::text, $4::bigint, $5::timestamptz WHERE EXISTS (SELECT 1 FROM {s}.cases WHERE id = $1)
			ON CONFLICT DO NOTHING`,

		document:       `SELECT ` + documentCols + ` FROM {s}.documents WHERE case_id = $1 AND kind = $2 AND version = $3`,
		documentLatest: `SELECT ` + documentCols + ` FROM {s}.documents WHERE case_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1`,
		documents:      `SELECT ` + documentCols + ` FROM {s}.documents WHERE case_id = $1 AND kind = $2 ORDER BY version`,
		putDocument: `INSERT INTO {s}.documents (` + documentCols + `)
			SELECT $1::text, $2::text, $3::bigint, $4::text, $5::timestamptz, $6::text, $7::bigint, $8::jsonb
			WHERE EXISTS (SELECT 1 FROM {s}.cases WHERE id = $1)
			  AND coalesce((SELECT version FROM {s}.documents WHERE case_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1), 0) = $3 - 1
			ON CONFLICT DO NOTHING`,
		lastDocument: `SELECT EXISTS (SELECT 1 FROM {s}.cases WHERE id = $1),
			coalesce((SELECT version FROM {s}.documents WHERE case_id = $1 AND kind = $2 ORDER BY version DESC LIMIT 1), 0)`,

		// The latest revision of each (date, lesson): DISTINCT ON walks the
		// primary key index of the case's marks in order.
		marks: `SELECT DISTINCT ON (date, lesson) ` + markCols + ` FROM {s}.marks
			WHERE case_id = $1 AND ($2::date IS NULL OR date >= $2) AND ($3::date IS NULL OR date <= $3)
			ORDER BY date, lesson, revision DESC`,
		markHistory: `SELECT ` + markCols + ` FROM {s}.marks WHERE case_id = $1 AND date = $2 AND lesson = $3 ORDER BY revision`,
		// putMark inserts a mark if its revision follows the latest, and
		// adds the difference it makes to the running totals of its case and
		// of its case and date (attendance.Totals.Apply: itself, less the
		// revision it replaces) in the same statement; no row is affected
		// when it was refused.
		putMark: `WITH prev AS (
				SELECT minutes, status FROM {s}.marks WHERE case_id = $1 AND date = $2 AND lesson = $3 AND revision = $4 - 1
			), ins AS (
				INSERT INTO {s}.marks (` + markCols + `)
				SELECT $1::text, $2::date, $3::text, $4::integer, $5::text, $6::integer, $7::text, $8::text, $9::timestamptz, $10::text
				WHERE EXISTS (SELECT 1 FROM {s}.cases WHERE id = $1)
				  AND (SELECT coalesce(max(revision), 0) FROM {s}.marks WHERE case_id = $1 AND date = $2 AND lesson = $3) = $4 - 1
				ON CONFLICT DO NOTHING
				RETURNING 1
			), d AS (
				SELECT 1 - count(p.*) AS marks,
					$6::integer - coalesce(sum(p.minutes), 0) AS minutes,
					($7::text IN ('absent_unexplained', 'absent_explained', 'sick'))::int
						- count(*) FILTER (WHERE p.status IN ('absent_unexplained', 'absent_explained', 'sick')) AS absent_marks,
					CASE WHEN $7::text IN ('absent_unexplained', 'absent_explained', 'sick') THEN $6::integer ELSE 0 END
						- coalesce(sum(p.minutes) FILTER (WHERE p.status IN ('absent_unexplained', 'absent_explained', 'sick')), 0) AS absent_minutes,
					($7::text = 'absent_unexplained')::int - count(*) FILTER (WHERE p.status = 'absent_unexplained') AS unexplained
				FROM (SELECT 1) one LEFT JOIN prev p ON true
			)
			, st AS (
				INSERT INTO {s}.attendance_state AS a (case_id, marks, minutes, absent_marks, absent_minutes, unexplained)
				SELECT $1::text, d.marks, d.minutes, d.absent_marks, d.absent_minutes, d.unexplained FROM d, ins
				ON CONFLICT (case_id) DO UPDATE SET marks = a.marks + excluded.marks, minutes = a.minutes + excluded.minutes,
					absent_marks = a.absent_marks + excluded.absent_marks, absent_minutes = a.absent_minutes + excluded.absent_minutes,
					unexplained = a.unexplained + excluded.unexplained
			)
			INSERT INTO {s}.attendance_days AS a (case_id, date, marks, minutes, absent_marks, absent_minutes, unexplained)
			SELECT $1::text, $2::date, d.marks, d.minutes, d.absent_marks, d.absent_minutes, d.unexplained FROM d, ins
			ON CONFLICT (case_id, date) DO UPDATE SET marks = a.marks + excluded.marks, minutes = a.minutes + excluded.minutes,
				absent_marks = a.absent_marks + excluded.absent_marks, absent_minutes = a.absent_minutes + excluded.absent_minutes,
				unexplained = a.unexplained + excluded.unexplained`,
		// recentDays: the last $3 days on or before $2, read backwards along
		// the primary key ($3 rows, however many days the case has).
		recentDays: `SELECT date, marks, minutes, absent_marks, absent_minutes, unexplained FROM {s}.attendance_days
			WHERE case_id = $1 AND date <= $2 ORDER BY date DESC LIMIT $3`,
		// recentMarks: the current marks of the last $3 dates with marks on
		// or before $2. The recursion finds the window's first date one
		// index step per date (a loose index scan), so it reads the window
		// however many marks the case has. Each step is ORDER BY ... DESC
		// LIMIT 1, not max(), for the reason given at appendAudit: the
		// generic plan of max() without statistics reads every mark of the
		// case up to the date.
		recentMarks: `WITH RECURSIVE w(date, n) AS (
				SELECT (SELECT date FROM {s}.marks WHERE case_id = $1 AND date <= $2 ORDER BY date DESC LIMIT 1), 1
				UNION ALL
				SELECT (SELECT m.date FROM {s}.marks m WHERE m.case_id = $1 AND m.date < w.date ORDER BY m.date DESC LIMIT 1), w.n + 1
				FROM w WHERE w.date IS NOT NULL AND w.n < $3
			)
			SELECT DISTINCT ON (date, lesson) ` + markCols + ` FROM {s}.marks
			WHERE case_id = $1 AND date >= (SELECT min(date) FROM w) AND date <= $2
			ORDER BY date, lesson, revision DESC`,
		attendanceState: `SELECT marks, minutes, absent_marks, absent_minutes, unexplained, flags FROM {s}.attendance_state WHERE case_id = $1`,
		putFlags: `INSERT INTO {s}.attendance_state AS a (case_id, flags) SELECT $1::text, $2::jsonb
			WHERE EXISTS (SELECT 1 FROM {s}.cases WHERE id = $1)
			ON CONFLICT (case_id) DO UPDATE SET flags = excluded.flags`,
		// addDayTotals adds per-case-and-date differences (BulkMarks).
		addDayTotals: `INSERT INTO {s}.attendance_days AS a (case_id, date, marks, minutes, absent_marks, absent_minutes, unexplained)
			SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
			ON CONFLICT (case_id, date) DO UPDATE SET marks = a.marks + excluded.marks, minutes = a.minutes + excluded.minutes,
				absent_marks = a.absent_marks + excluded.absent_marks, absent_minutes = a.absent_minutes + excluded.absent_minutes,
				unexplained = a.unexplained + excluded.unexplained`,
		// addTotals adds per-case differences (BulkMarks) to the totals.
		addTotals: `INSERT INTO {s}.attendance_state AS a (case_id, marks, minutes, absent_marks, absent_minutes, unexplained)
			SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
			ON CONFLICT (case_id) DO UPDATE SET marks = a.marks + excluded.marks, minutes = a.minutes + excluded.minutes,
				absent_marks = a.absent_marks + excluded.absent_marks, absent_minutes = a.absent_minutes + excluded.absent_minutes,
				unexplained = a.unexplained + excluded.unexplained`,
		lastMark: `SELECT EXISTS (SELECT 1 FROM {s}.cases WHERE id = $1),
			(SELECT coalesce(max(revision), 0)::bigint FROM {s}.marks WHERE case_id = $1 AND date = $2 AND lesson = $3)`,

		sessions: `SELECT ` + sessionCols + ` FROM {s}.sessions
			WHERE ($1::date IS NULL OR date >= $1) AND ($2::date IS NULL OR date <= $2)
			  AND ($3::text IS NULL OR staff @> jsonb_build_array(jsonb_build_object('actor_id', $3::text)))
			  AND ($4::text IS NULL OR cases @> ARRAY[$4::text COLLATE "C"])
			  AND ($5::text IS NULL OR kind = $5)
			ORDER BY date, id`,
		putSession: `INSERT INTO {s}.sessions (id, kind, date, hours, staff, cases, elements, peer_support, contacts, topic, at, by, organisation)
			VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`,

		// seq is the identity column (see migrations/0002_access_log.sql).
		appendAccess: `INSERT INTO {s}.access_log (` + accessCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		// The start of AccessLog's query; the filters q sets are added to
		// it (see txn.AccessLog).
		accessSelect: `SELECT seq, ` + accessCols + ` FROM {s}.access_log a WHERE a.seq > $1`,

		// PurgeCase's statements, run in this order in the caller's
		// transaction. The audit UPDATE is the one change the audit
		// trigger lets through (migrations/0002_access_log.sql). No index
		// holds a timer's case (it would cost every PutTimer a write): an
		// erasure is rare and scans the timers once.
		purgeDocuments: `DELETE FROM {s}.documents WHERE case_id = $1`,
		purgeNotices:   `DELETE FROM {s}.notices WHERE case_id = $1`,
		purgeCommands:  `DELETE FROM {s}.commands WHERE case_id = $1`,
		purgeTimers:    `DELETE FROM {s}.timers WHERE case_id = $1`,
		purgeAudit: `UPDATE {s}.audit SET reason = '', payload = NULL
			WHERE case_id = $1 AND (reason <> '' OR payload IS NOT NULL)`,
		// EraseFeatureData's: the free text of the sessions the case
		// attended (sessions_cases, the GIN index, finds them).
		eraseSessions: `UPDATE {s}.sessions SET topic = '', peer_support = ''
			WHERE cases @> ARRAY[$1::text COLLATE "C"] AND (topic <> '' OR peer_support <> '')`,
		// The caseload's free text (caseload.Store's FeatureEraser).
		eraseContacts: `UPDATE {s}.contacts SET data = data - 'note' WHERE case_id = $1 AND data ? 'note'`,
		eraseAlerts: `UPDATE {s}.alerts SET data = ((data - 'reason') || jsonb_build_object('title', cause_kind)) #- '{action,note}'
			WHERE case_id = $1`,
		erasePlanned: `UPDATE {s}.planned SET data = (data - 'reason') || jsonb_build_object('title', '')
			WHERE id IN (SELECT planned_id FROM {s}.planned_cases WHERE case_id = $1) AND jsonb_array_length(data -> 'cases') = 1`,

		notice: `SELECT ` + noticeCols + ` FROM {s}.notices WHERE id = $1`,
		// due_at ($15) is not_before, or created_at when that is zero
		// (Enqueue computes it); channel keeps its default '' (migration
		// 0013 added it, due_at and trace).
		enqueue: `INSERT INTO {s}.notices (id, case_id, kind, recipient, subject, body, data, created_at, not_before, status, attempts, lease_until, sent_at, last_error,
				due_at, trace)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (id) DO NOTHING`,
		// due_at moves with not_before ($8, or created_at when $8 is NULL)
		// only while the notice has never been claimed: attempts 0 and no
		// last_error, since a refunded or released claim leaves attempts
		// at 0 and always an error (coaching.Tx.UpdateNotice).
		updateNotice: `UPDATE {s}.notices SET recipient = $2, subject = $3, body = $4, data = $5, not_before = $6,
			due_at = CASE WHEN attempts = 0 AND last_error = '' THEN coalesce($8::timestamptz, created_at) ELSE due_at END,
			status = CASE WHEN $7 THEN 'cancelled' ELSE status END
			WHERE id = $1 AND status = 'pending'`,
		noticeStatus: `SELECT status FROM {s}.notices WHERE id = $1`,

		// The claim: lock the oldest due notices that no other claimer has
		// locked (SKIP LOCKED), then lease them. RETURNING does not keep the
		// CTE's order, so the caller sorts the result.
		claimNotices: `WITH due AS (
				SELECT id FROM {s}.notices
				WHERE (status = 'pending' AND not_before <= $1) OR (status = 'claimed' AND lease_until <= $1)
				ORDER BY not_before, id
				LIMIT $2
				FOR UPDATE SKIP LOCKED)
			UPDATE {s}.notices n SET status = 'claimed', attempts = n.attempts + 1, lease_until = $3
			FROM due WHERE n.id = due.id
			RETURNING n.id, n.case_id, n.kind, n.recipient, n.subject, n.body, n.data, n.created_at, n.not_before,
				n.status, n.attempts, n.lease_until, n.sent_at, n.last_error, n.due_at, n.channel, n.trace`,
		// completeNotice records an outcome; a refund ($8, only with status
		// pending) takes one off attempts after the WHERE has matched the
		// claim's.
		completeNotice: `UPDATE {s}.notices SET status = $3, last_error = $4, lease_until = $5,
				sent_at = CASE WHEN $3 = 'sent' THEN $5 ELSE sent_at END,
				not_before = CASE WHEN $3 = 'pending' THEN $6 ELSE not_before END,
				channel = $7, attempts = CASE WHEN $8 THEN greatest(attempts - 1, 0) ELSE attempts END
			WHERE id = $1 AND status = 'claimed' AND attempts = $2`,
		noticeAttempts: `SELECT attempts FROM {s}.notices WHERE id = $1`,
		notices: `SELECT ` + noticeCols + ` FROM {s}.notices
			WHERE ($1::text IS NULL OR case_id = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR status = $3)
			ORDER BY created_at, seq
			LIMIT $4`,
		// outboxHealth is the outbox's health at $1 in one statement (one
		// snapshot, one round trip): the waiting notices through the
		// partial index notices_due (0001), the dead ones by channel
		// through notices_dead (0013); sent and cancelled notices are in
		// neither and never read. One row per channel with dead notices,
		// or one row whose channel is NULL when there are none. A zero
		// due_at (year 1, Go's zero time) is no instant a notice waited
		// from; as the minimum it would hide every other notice's lag.
		outboxHealth: `SELECT w.pending, w.claimed, w.due, w.retrying, w.oldest, d.channel, d.n
			FROM (SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
					count(*) FILTER (WHERE status = 'claimed') AS claimed,
					count(*) FILTER (WHERE (status = 'pending' AND not_before <= $1) OR (status = 'claimed' AND lease_until <= $1)) AS due,
					count(*) FILTER (WHERE last_error <> '') AS retrying,
					min(due_at) FILTER (WHERE due_at <= $1 AND due_at <> '0001-01-01 00:00:00+00') AS oldest
				FROM {s}.notices WHERE status IN ('pending', 'claimed')) w
			LEFT JOIN (SELECT channel, count(*) AS n FROM {s}.notices WHERE status = 'dead' GROUP BY channel) d ON true`,

		putTimer: `INSERT INTO {s}.timers (` + timerCols + `) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (key) DO UPDATE SET case_id = excluded.case_id, kind = excluded.kind, due_at = excluded.due_at, ref = excluded.ref`,
		deleteTimer: `DELETE FROM {s}.timers WHERE key = $1`,
		dueTimers:   `SELECT ` + timerCols + ` FROM {s}.timers WHERE due_at <= $1 ORDER BY due_at, key LIMIT $2`,

		casesSelect:                 `SELECT c.data FROM {s}.cases c`,
		casesWithParticipantsSelect: `SELECT c.data, p.data, p.identity_code FROM {s}.cases c LEFT JOIN {s}.participants p ON p.organisation = c.organisation AND p.id = c.participant_id`,

		missingCases: `SELECT x FROM unnest($1::text[]) AS x WHERE NOT EXISTS (SELECT 1 FROM {s}.cases WHERE id = x) LIMIT 1`,
	}
	for _, p := range []*string{
		&q.participant, &q.insertParticipant, &q.updateParticipant, &q.participantExists, &q.signOnHolder,
		&q.caseByID, &q.caseVersion, &q.caseExists, &q.insertCase, &q.updateCase, &q.updateCaseOrFail,
		&q.auditTrail, &q.appendAudit, &q.appendAuditOrFail, &q.lastAudit,
		&q.records, &q.recordsNamed, &q.latestRecords, &q.appendRecord, &q.deleteRecords, &q.batchRecords,
		&q.command, &q.putCommand,
		&q.document, &q.documentLatest, &q.documents, &q.putDocument, &q.lastDocument,
		&q.marks, &q.markHistory, &q.putMark, &q.lastMark, &q.recentMarks, &q.recentDays, &q.attendanceState, &q.putFlags, &q.addTotals, &q.addDayTotals,
		&q.sessions, &q.putSession,
		&q.appendAccess, &q.accessSelect,
		&q.purgeDocuments, &q.purgeNotices, &q.purgeCommands, &q.purgeTimers, &q.purgeAudit,
		&q.eraseSessions, &q.eraseContacts, &q.eraseAlerts, &q.erasePlanned,
		&q.notice, &q.enqueue, &q.updateNotice, &q.noticeStatus,
		&q.claimNotices, &q.completeNotice, &q.noticeAttempts, &q.notices, &q.outboxHealth,
		&q.putTimer, &q.deleteTimer, &q.dueTimers,
		&q.casesSelect, &q.casesWithParticipantsSelect,
		&q.missingCases,
	} {
		*p = r.Replace(*p)
	}
	return q
}
