package sqlite

// The store's fixed statements. Every value is a parameter; the only SQL
// built at run time (Cases, Notices and AccessLog filters) is assembled
// from constant fragments.
const (
	// Participants are keyed by (organisation, id) (migration 0012): ids
	// are scoped per organisation.
	qParticipant = `SELECT identity_code, data FROM participants WHERE organisation = ? AND id = ?`
	// The participant's birth_date and background columns (migration
	// 0005, read by the figures) are the members of the JSON written, in
	// the same statement.
	// sort_name (migration 0011) is caseload.NameKey of the participant's
	// names, computed in Go.
	// sign_on (migration 0012) is generated from data. The organisation
	// never changes: an update is of the participant with the key.
	qInsertParticipant = `INSERT INTO participants (id, identity_code, data, birth_date, background, sort_name, organisation)
		VALUES (?1, ?2, ?3, CAST(?3 AS TEXT) -> '$.birth_date', CAST(?3 AS TEXT) -> '$.background', ?4, ?5)`
	qUpdateParticipant = `UPDATE participants SET identity_code = ?1, data = ?2,
		birth_date = CAST(?2 AS TEXT) -> '$.birth_date', background = CAST(?2 AS TEXT) -> '$.background', sort_name = ?4
		WHERE organisation = ?5 AND id = ?3`
	// qSignOnHolder finds the participant of an organisation holding a
	// sign-on id: a write checks it first (SQLite has one writer at a
	// time, so the check holds until the write), and the sign-on lookup
	// reads it.
	qSignOnHolder = `SELECT id FROM participants WHERE organisation = ? AND sign_on = ?`

	// caseCols are the columns a case is read from: the indexed ones hold
	// the fields they index (exactly, whatever bytes they are), the JSON in
	// data everything else.
	caseCols     = `id, participant_id, model, state, organisation, version, data`
	qCase        = `SELECT ` + caseCols + ` FROM cases WHERE id = ?`
	qCaseVersion = `SELECT version FROM cases WHERE id = ?`
	// qUpdateCaseData is UpdateCase's usual statement: it assigns only the
	// columns no index holds, so it writes the row's page and nothing else
	// (SQLite rewrites an index entry whenever an UPDATE assigns one of its
	// columns, even to the same value). It matches only when the indexed
	// columns keep their values; qUpdateCase handles the rest.
	// phase_due (migration 0011) is unindexed too. team_key is compared,
	// not assigned: a statement that does not set it does not run the
	// case_team trigger (not even its WHEN test), and a team change, which
	// is rare, takes qUpdateCase.
	qUpdateCaseData = `UPDATE cases SET state = ?, version = ?, data = ?, opened_at = ?, closed_at = ?, phase_due = ?
		WHERE id = ? AND version = ? AND participant_id = ? AND model = ? AND organisation = ? AND closed = ? AND team_key IS ?`
	// opened_at and closed_at (migration 0005, read by the figures) are
	// the case's instants in microseconds, closed_at NULL while it is open.
	qInsertCase = `INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data, opened_at, closed_at, phase_due, team_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateCase = `UPDATE cases SET participant_id = ?, model = ?, state = ?, organisation = ?, closed = ?, version = ?, data = ?,
		opened_at = ?, closed_at = ?, phase_due = ?, team_key = ? WHERE id = ? AND version = ?`

	qAudit = `SELECT seq, at, kind, actor_id, roles, event, from_state, to_state, reason, payload, idempotency_key
		FROM audit WHERE case_id = ? AND seq > ? ORDER BY seq`
	qLastSeq = `SELECT COALESCE(MAX(seq), 0) FROM audit WHERE case_id = ?`
	// qAppendAudit inserts the entry only if it is the next of its case,
	// in one statement.
	qAppendAudit = `INSERT INTO audit (case_id, seq, at, kind, actor_id, roles, event, from_state, to_state, reason, payload, idempotency_key)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE (SELECT COALESCE(MAX(seq), 0) FROM audit WHERE case_id = ?) = ?`

	// A case's records, in the order they were appended (the rowid, which
	// both indexes end in); the latest of one name is one backward step.
	recordCols    = `id, seq, name, at, by_actor, data`
	qRecords      = `SELECT ` + recordCols + ` FROM records WHERE case_id = ? AND seq >= ? ORDER BY id`
	qRecordsNamed = `SELECT ` + recordCols + ` FROM records WHERE case_id = ? AND name = ? AND seq >= ? ORDER BY id`
	qLatestRecord = `SELECT ` + recordCols + ` FROM records WHERE case_id = ? AND name = ? AND seq >= ? ORDER BY id DESC LIMIT 1`
	// qAppendRecord inserts the record only if its case exists (whether
	// or not the connection enforces foreign keys).
	qAppendRecord = `INSERT INTO records (case_id, seq, name, at, by_actor, data)
		SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM cases WHERE id = ?)`
	qInsertRecord  = `INSERT INTO records (case_id, seq, name, at, by_actor, data) VALUES (?, ?, ?, ?, ?, ?)`
	qDeleteRecords = `DELETE FROM records WHERE case_id = ?`
	qCaseExists    = `SELECT 1 FROM cases WHERE id = ?`
	// qBatchRecords reads the records of a range of cases, by case and
	// then in the order appended (the records_case index's order).
	qBatchRecords = `SELECT case_id, seq, name, at, by_actor, data FROM records
		WHERE case_id BETWEEN ? AND ? ORDER BY case_id, id`

	qCommand    = `SELECT fingerprint, seq, at FROM commands WHERE case_id = ? AND key = ?`
	qPutCommand = `INSERT INTO commands (case_id, key, fingerprint, seq, at) VALUES (?, ?, ?, ?, ?)`

	documentCols      = `version, status, at, by_actor, seq, data`
	qDocument         = `SELECT ` + documentCols + ` FROM documents WHERE case_id = ? AND kind = ? AND version = ?`
	qLatestDocument   = `SELECT ` + documentCols + ` FROM documents WHERE case_id = ? AND kind = ? ORDER BY version DESC LIMIT 1`
	qDocuments        = `SELECT ` + documentCols + ` FROM documents WHERE case_id = ? AND kind = ? ORDER BY version`
	qLatestDocVersion = `SELECT COALESCE(MAX(version), 0) FROM documents WHERE case_id = ? AND kind = ?`
	qPutDocument      = `INSERT INTO documents (case_id, kind, version, status, at, by_actor, seq, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qPutMark          = `INSERT INTO mark_revisions (case_id, day, lesson, revision, title, minutes, status, reason, at, by_actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qMarkHistory      = `SELECT day, lesson, revision, title, minutes, status, reason, at, by_actor FROM mark_revisions WHERE case_id = ? AND day = ? AND lesson = ? ORDER BY revision`
	// qMarks returns the latest revision of each mark: with one MAX()
	// aggregate SQLite takes the other (bare) columns from the row that
	// has the maximum.
	qMarks = `SELECT day, lesson, MAX(revision), title, minutes, status, reason, at, by_actor FROM mark_revisions
		WHERE case_id = ? AND day BETWEEN ? AND ? GROUP BY day, lesson ORDER BY day, lesson`
	// qLatestMarkContent is the latest revision of one mark, whole (no row
	// for a new mark): PutMarks checks the revision and adjusts the totals
	// by the difference.
	qLatestMarkContent = `SELECT day, lesson, revision, title, minutes, status, reason, at, by_actor FROM mark_revisions
		WHERE case_id = ? AND day = ? AND lesson = ? ORDER BY revision DESC LIMIT 1`
	// qWindowStart is the oldest of the last ?3 dates with marks on or
	// before ?2 (NULL for none): each step of the recursion is one index
	// seek to the next earlier date, so it reads ?3 rows however many
	// marks the case has.
	qWindowStart = `WITH RECURSIVE w(day, n) AS (
		SELECT (SELECT MAX(day) FROM mark_revisions WHERE case_id = ?1 AND day <= ?2), 1
		UNION ALL
		SELECT (SELECT MAX(day) FROM mark_revisions WHERE case_id = ?1 AND day < w.day), n + 1 FROM w WHERE w.day IS NOT NULL AND n < ?3
	) SELECT MIN(day) FROM w`
	qAttendanceState = `SELECT marks, minutes, absent_marks, absent_minutes, unexplained, flags FROM attendance_state WHERE case_id = ?`
	// qAddTotals adds to the case's running totals and replaces its window
	// of latest days (?7; see windowDays).
	qAddTotals = `INSERT INTO attendance_state (case_id, marks, minutes, absent_marks, absent_minutes, unexplained, flags, recent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '[]', ?7)
		ON CONFLICT (case_id) DO UPDATE SET marks = marks + ?2, minutes = minutes + ?3, absent_marks = absent_marks + ?4,
		absent_minutes = absent_minutes + ?5, unexplained = unexplained + ?6, recent = ?7`
	qAttendanceWindow = `SELECT recent FROM attendance_state WHERE case_id = ?`
	qAddDayTotals     = `INSERT INTO attendance_days (case_id, day, marks, minutes, absent_marks, absent_minutes, unexplained) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
		ON CONFLICT (case_id, day) DO UPDATE SET marks = marks + ?3, minutes = minutes + ?4, absent_marks = absent_marks + ?5,
		absent_minutes = absent_minutes + ?6, unexplained = unexplained + ?7`
	// qRecentDays reads the last ?3 days on or before ?2 backwards along
	// the primary key: ?3 rows, however many days the case has.
	qRecentDays = `SELECT day, marks, minutes, absent_marks, absent_minutes, unexplained FROM attendance_days
		WHERE case_id = ?1 AND day <= ?2 ORDER BY day DESC LIMIT ?3`
	qPutFlags = `INSERT INTO attendance_state (case_id, flags) VALUES (?1, ?2) ON CONFLICT (case_id) DO UPDATE SET flags = ?2`

	sessionCols = `id, kind, day, hours, staff, cases, elements, peer_support, contacts, topic, at, by_actor, organisation`
	qSessions   = `SELECT ` + sessionCols + ` FROM sessions WHERE day BETWEEN ? AND ? ORDER BY day, id`
	qPutSession = `INSERT INTO sessions (` + sessionCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// accessCols are the access log's columns but seq, which SQLite
	// assigns (the rowid).
	accessCols    = `at, actor_id, roles, organisation, operation, case_id, participant_id, allowed, rule, purpose, subject`
	qAppendAccess = `INSERT INTO access_log (` + accessCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// PurgeCase's statements, run in this order in the caller's
	// transaction.
	qPurgeDocuments = `DELETE FROM documents WHERE case_id = ?`
	qPurgeNotices   = `DELETE FROM notices WHERE case_id = ?`
	qPurgeCommands  = `DELETE FROM commands WHERE case_id = ?`
	// No index holds a timer's case (an index would cost every PutTimer
	// one more write); an erasure is rare and scans the timers once.
	qPurgeTimers = `DELETE FROM timers WHERE case_id = ?`
	qPurgeAudit  = `UPDATE audit SET reason = '', payload = NULL WHERE case_id = ? AND (reason <> '' OR payload IS NOT NULL)`
	// qEraseSessions clears the free text of the sessions a case attended
	// (cases is a JSON array kept as a BLOB, read as text: a BLOB would be
	// taken for JSONB).
	qEraseSessions = `UPDATE sessions SET topic = '', peer_support = ''
		WHERE (topic <> '' OR peer_support <> '') AND EXISTS (SELECT 1 FROM json_each(CAST(sessions.cases AS TEXT)) WHERE value = ?)`

	// due_at, channel and trace are migration 0013's.
	noticeCols = `id, case_id, kind, recipient, subject, body, data, created_at, not_before, status, attempts, lease_until, sent_at, last_error,
		due_at, channel, trace`
	qNotice  = `SELECT ` + noticeCols + ` FROM notices WHERE id = ?`
	qEnqueue = `INSERT INTO notices (` + noticeCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`
	// qUpdateNotice moves due_at with not_before (?8, or created_at when
	// ?8 is NULL) only while the notice has never been claimed: attempts
	// 0 and no last_error, since a refunded or released claim leaves
	// attempts at 0 and always an error (coaching.Tx.UpdateNotice).
	qUpdateNotice = `UPDATE notices SET recipient = ?1, subject = ?2, body = ?3, data = ?4, not_before = ?5,
		due_at = CASE WHEN attempts = 0 AND last_error = '' THEN coalesce(?8, created_at) ELSE due_at END,
		status = CASE WHEN ?6 THEN 'cancelled' ELSE status END
		WHERE id = ?7 AND status = 'pending'`
	qNoticeState = `SELECT status, attempts, case_id FROM notices WHERE id = ?`
	// qClaim leases the due notices in one statement: pending ones whose
	// NotBefore has come, and claimed ones whose lease has run out, oldest
	// first. The single writer (and BEGIN IMMEDIATE across processes)
	// makes the select-and-update atomic. RETURNING comes back in no
	// particular order; ClaimNotices sorts.
	qClaim = `UPDATE notices SET status = 'claimed', attempts = attempts + 1, lease_until = ?
		WHERE id IN (
			SELECT id FROM notices
			WHERE status IN ('pending', 'claimed')
				AND ((status = 'pending' AND not_before <= ?) OR (status = 'claimed' AND lease_until <= ?))
			ORDER BY not_before, id LIMIT ?)
		RETURNING ` + noticeCols
	// qComplete records an outcome; a refund (a retry whose claim did not
	// count) takes one off attempts, after the WHERE has matched the
	// claim's.
	qComplete = `UPDATE notices SET status = ?, last_error = ?, lease_until = ?, sent_at = COALESCE(?, sent_at), not_before = COALESCE(?, not_before),
		channel = ?, attempts = CASE WHEN ? THEN max(attempts - 1, 0) ELSE attempts END
		WHERE id = ? AND status = 'claimed' AND attempts = ?`
	// qOutboxHealth is the outbox's health at ?1 in one statement (one
	// snapshot): the waiting notices through the partial index
	// notices_active (0001), the dead ones by channel through notices_dead
	// (0013). Sent and cancelled notices are in neither index and never
	// read. It returns one row per channel with dead notices, or one row
	// whose channel is NULL when there are none. ?2 is the zero time's
	// micros: a zero due_at is no instant a notice waited from, and as
	// the minimum it would hide every other notice's lag.
	qOutboxHealth = `SELECT w.pending, w.claimed, w.due, w.retrying, w.oldest, d.channel, d.n
		FROM (SELECT coalesce(sum(status = 'pending'), 0) AS pending, coalesce(sum(status = 'claimed'), 0) AS claimed,
				coalesce(sum(CASE WHEN status = 'pending' THEN not_before <= ?1 ELSE lease_until <= ?1 END), 0) AS due,
				coalesce(sum(last_error <> ''), 0) AS retrying,
				min(CASE WHEN due_at <= ?1 AND due_at <> ?2 THEN due_at END) AS oldest
			FROM notices INDEXED BY notices_active WHERE status IN ('pending', 'claimed')) AS w
		LEFT JOIN (SELECT channel, count(*) AS n FROM notices INDEXED BY notices_dead WHERE status = 'dead' GROUP BY channel) AS d ON 1`

	qPutTimer = `INSERT INTO timers (key, case_id, kind, due_at, ref) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET case_id = excluded.case_id, kind = excluded.kind, due_at = excluded.due_at, ref = excluded.ref`
	qDeleteTimer = `DELETE FROM timers WHERE key = ?`
	qDueTimers   = `SELECT key, case_id, kind, due_at, ref FROM timers WHERE due_at <= ? ORDER BY due_at, key LIMIT ?`
)

// statements are prepared once per pool (see stmtCache).
var statements = []string{
	qParticipant, qInsertParticipant, qUpdateParticipant, qSignOnHolder,
	qCase, qCaseVersion, qUpdateCaseData, qInsertCase, qUpdateCase,
	qAudit, qLastSeq, qAppendAudit,
	qRecords, qRecordsNamed, qLatestRecord, qAppendRecord, qInsertRecord, qDeleteRecords, qCaseExists,
	qCommand, qPutCommand,
	qDocument, qLatestDocument, qDocuments, qLatestDocVersion, qPutDocument,
	qLatestMarkContent, qPutMark, qMarkHistory, qMarks, qWindowStart, qAttendanceState, qAddTotals, qAttendanceWindow, qAddDayTotals, qRecentDays, qPutFlags,
	qSessions, qPutSession,
	qAppendAccess,
	qPurgeDocuments, qPurgeNotices, qPurgeCommands, qPurgeTimers, qPurgeAudit, qEraseSessions,
	qNotice, qEnqueue, qUpdateNotice, qNoticeState, qClaim, qComplete, qOutboxHealth,
	qPutTimer, qDeleteTimer, qDueTimers,
	qAlert, qActiveAlert, qPutAlert, qUpdateAlert, qAlertKeys,
	qPlanned, qPutPlanned, qUpdatePlanned, qPlannedVersion, qDeletePlannedCases, qPutPlannedCase,
	qPutContact, qContacts, qEraseContacts, qEraseAlerts, qErasePlanned,
}
