package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/session"
)

// The engine validates most text (no control characters, lengths); the
// store must still keep whatever the port lets through, exactly, or refuse
// it with a clear error. These values go into every text field of every
// record the port stores, at the store level (below the engine's checks).
var hostile = []struct {
	name, s string
}{
	{"quotes", `it's a "quoted" \ back\slash`},
	{"sql injection", `'; DROP TABLE cases; --`},
	{"sql injection 2", `Robert'); DROP TABLE participants;-- x`},
	{"placeholders", `? ?1 :name @p $1 %s %`},
	{"like wildcards", `%_[]*`},
	{"nul", "a\x00b\x00"},
	{"only nul", "\x00"},
	{"controls", "line\nbreak\r\ttab\x1b[31m\x7f"},
	{"emoji", "😀 👩‍👩‍👧 ääkköset Åström 中文"},
	{"bidi", "\u202eevil\u202c \u2066x\u2069"},
	{"json", `{"a":[1,2],"b":null}`},
	{"escaped json", `\u0000 \ufffd \"`},
	{"replacement char", "\ufffd"},
	{"long", strings.Repeat("Ää'\"", 1000)},
}

// invalidUTF8 is a string Go can hold that is not UTF-8.
const invalidUTF8 = "bad \xff\xfe utf-8"

// tenMB is a 10 MiB value with quotes, NUL and multi-byte characters.
var tenMB = strings.Repeat("x'\"\x00ä😀", (10<<20)/12) // 12 bytes a repetition

type fixture struct {
	ctx   context.Context
	t     *testing.T
	store *sqlite.Store
}

func (f *fixture) update(fn func(tx coaching.Tx) error) error { return f.store.Update(f.ctx, fn) }

func (f *fixture) view(fn func(tx coaching.ReadTx) error) {
	f.t.Helper()
	require.NoError(f.t, f.store.View(f.ctx, fn))
}

// roundTrip writes a record of each kind and reads everything back. key
// goes into every identity (ids, keys, indexed and filtered columns), v(f)
// into every other text field f.
func roundTrip(t *testing.T, f *fixture, key string, v func(field string) string) {
	ctx := f.ctx
	at := testNow.Add(123456 * time.Microsecond)
	s := key
	pid := coaching.ParticipantID("p-" + s)
	cid := coaching.CaseID("c-" + s)
	months := 3
	p := coaching.Participant{ID: pid, Organisation: coaching.OrganisationID(v("organisation")), GivenNames: v("given_names"), FamilyName: v("family_name"),
		BirthDate: coaching.NewDate(2001, 2, 3), Contact: coaching.Contact{Email: v("email"), Phone: v("phone")}, Language: coaching.Language(v("language")),
		Guardians: []coaching.Guardian{{ID: v("guardian.id"), Name: v("guardian.name"), Contact: coaching.Contact{Email: v("guardian.email")}, Language: coaching.Language(v("language"))}},
		Background: coaching.Background{Gender: coaching.Gender(v("gender")), EducationLevel: coaching.EducationLevel(v("education")),
			LabourStatus: coaching.LabourStatus(v("labour")), UnemployedMonths: &months},
		ExternalIDs: map[string]string{s: v("external_id"), "sis": v("external_id")}}
	data, err := json.Marshal(map[string]string{s: v("record.data")})
	require.NoError(t, err)
	c := coaching.Case{ID: cid, ParticipantID: pid, Organisation: coaching.OrganisationID(s), Model: s, State: s, Version: 1, OpenedAt: at,
		Phase:   coaching.PhaseClock{State: v("phase.state"), EnteredAt: at, EntrySeq: 1},
		History: []coaching.PhaseEntry{{State: v("history.state"), At: at, Seq: 1}},
		Team: []coaching.TeamMember{{ActorID: v("team.actor_id"), Role: coaching.Role(v("role")), Name: v("team.name"),
			Contact: coaching.Contact{Phone: v("phone")}, Language: coaching.Language(v("language"))}}}
	records := []coaching.Record{{Name: v("record.name"), At: at, By: v("record.by"), Seq: 1, Data: data}}
	flags := []attendance.RiskFlag{{Rule: v("flag.rule"), Reason: v("flag.reason"), Since: at, Seq: 1}}
	a := coaching.AuditEntry{CaseID: cid, Seq: 1, At: at, Kind: coaching.AuditKind(v("audit.kind")), ActorID: v("audit.actor"), Roles: []coaching.Role{coaching.Role(v("role"))},
		Event: v("audit.event"), From: v("audit.from"), To: v("audit.to"), Reason: v("audit.reason"), Payload: []byte(v("audit.payload")), IdempotencyKey: s}
	cmd := coaching.CommandRecord{CaseID: cid, Key: s, Fingerprint: v("command.fingerprint"), Seq: 1, At: at}
	n := coaching.Notice{ID: "n-" + s, CaseID: cid, Kind: s,
		Recipient: coaching.Recipient{ID: v("recipient.id"), Name: v("recipient.name"), Role: coaching.Role(v("role")), Contact: coaching.Contact{Email: v("email")}, Language: coaching.Language(v("language"))},
		Subject:   v("notice.subject"), Body: v("notice.body"), Data: map[string]string{s: v("notice.data")}, CreatedAt: at, NotBefore: at, Status: coaching.NoticePending}
	tm := coaching.Timer{Key: "t-" + s, CaseID: cid, Kind: v("timer.kind"), DueAt: at, Ref: 1}
	sess := session.Session{ID: "s-" + s, Kind: session.Kind(s), Date: coaching.NewDate(2026, 8, 31), Hours: decimal.RequireFromString("1.25"),
		Staff: []session.Staff{{ActorID: s, Role: coaching.Role(v("role"))}}, Cases: []coaching.CaseID{cid},
		Elements:    []session.ApproachElement{session.ApproachElement(v("element"))},
		PeerSupport: v("session.peer_support"), Contacts: 2, Topic: v("session.topic"), Organisation: coaching.OrganisationID(v("session.organisation")),
		At: at, By: v("session.by")}
	mk := attendance.Mark{CaseID: cid, Date: coaching.NewDate(2026, 8, 31), Lesson: s, Title: v("mark.title"), Minutes: 45, Status: attendance.Status(v("mark.status")),
		Reason: attendance.AbsenceReason(v("mark.reason")), Revision: 1, At: at, By: v("mark.by")}
	doc := coaching.Document{CaseID: cid, Kind: s, Version: 1, Status: v("document.status"), At: at, By: v("document.by"), Seq: 1,
		Data: []byte(v("document.data"))} // not even JSON: kept as bytes
	acc := coaching.AccessEntry{At: at, ActorID: s, Roles: []coaching.Role{coaching.Role(v("role"))}, Organisation: coaching.OrganisationID(s),
		Operation: coaching.Operation(v("access.operation")), CaseID: cid, ParticipantID: pid, Allowed: true, Rule: v("access.rule"),
		Purpose: v("access.purpose"), Subject: v("access.subject")}

	require.NoError(t, f.update(func(tx coaching.Tx) error {
		for _, step := range []func() error{
			func() error { return tx.InsertParticipant(ctx, p) },
			func() error { return tx.InsertCase(ctx, c) },
			func() error { return tx.AppendAudit(ctx, a) },
			func() error { return tx.AppendRecords(ctx, cid, records) },
			func() error { return tx.PutCommand(ctx, cmd) },
			func() error {
				ok, err := tx.Enqueue(ctx, n)
				if err == nil && !ok {
					err = fmt.Errorf("Enqueue: not inserted")
				}
				return err
			},
			func() error { return tx.PutTimer(ctx, tm) },
			func() error { return tx.(session.Store).PutSession(ctx, sess) },
			func() error { return tx.(attendance.Store).PutMarks(ctx, []attendance.Mark{mk}) },
			func() error { return tx.(attendance.Store).PutFlags(ctx, cid, flags) },
			func() error { return tx.PutDocument(ctx, doc) },
			func() error { return tx.AppendAccess(ctx, acc) },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	}), "writing every record")

	f.view(func(tx coaching.ReadTx) error {
		gotP, err := tx.Participant(ctx, p.Organisation, pid)
		require.NoError(t, err)
		assert.Equal(t, p, gotP, "participant")
		gotC, err := tx.Case(ctx, cid)
		require.NoError(t, err)
		assert.True(t, gotC.OpenedAt.Equal(at))
		gotC.OpenedAt, gotC.Phase.EnteredAt = at, at
		wantC := c
		wantC.History = nil // the audit trail's, not the row's
		assert.Equal(t, wantC, gotC, "case")
		gotR, err := tx.Records(ctx, cid, coaching.RecordQuery{Names: []string{v("record.name")}, Latest: true})
		require.NoError(t, err)
		require.Len(t, gotR, 1, "the record found by its hostile name")
		gotR[0].At = at
		assert.Equal(t, records, gotR, "records (data byte for byte)")
		trail, err := tx.AuditTrail(ctx, cid, 0)
		require.NoError(t, err)
		require.Len(t, trail, 1)
		trail[0].At = at
		assert.Equal(t, a, trail[0], "audit entry (payload byte for byte)")
		gotCmd, err := tx.Command(ctx, cid, s)
		require.NoError(t, err)
		gotCmd.At = at
		assert.Equal(t, cmd, gotCmd, "command")
		sessions, err := tx.(session.Reader).Sessions(ctx, session.Query{CaseID: cid, ActorID: s, Kind: session.Kind(s)})
		require.NoError(t, err)
		require.Len(t, sessions, 1, "session found by hostile case, actor and kind")
		assert.True(t, sessions[0].Hours.Equal(sess.Hours))
		sessions[0].Hours, sessions[0].At = sess.Hours, at
		assert.Equal(t, sess, sessions[0], "session")
		st, err := tx.(attendance.Reader).State(ctx, cid)
		require.NoError(t, err)
		require.Len(t, st.Flags, 1)
		st.Flags[0].Since = at
		assert.Equal(t, flags, st.Flags, "flags")
		marks, err := tx.(attendance.Reader).Marks(ctx, cid, coaching.Date{}, coaching.Date{})
		require.NoError(t, err)
		require.Len(t, marks, 1)
		marks[0].At = at
		assert.Equal(t, mk, marks[0], "mark")
		hist, err := tx.(attendance.Reader).MarkHistory(ctx, cid, mk.Key())
		require.NoError(t, err)
		assert.Len(t, hist, 1, "mark history by hostile lesson")
		gotDoc, err := tx.Document(ctx, cid, s, 0)
		require.NoError(t, err)
		gotDoc.At = at
		assert.Equal(t, doc, gotDoc, "document (data byte for byte)")
		gotN, err := tx.Notice(ctx, n.ID)
		require.NoError(t, err)
		assert.True(t, gotN.DueAt.Equal(at), "notice DueAt = NotBefore")
		gotN.CreatedAt, gotN.NotBefore, gotN.DueAt = at, at, n.DueAt
		assert.Equal(t, n, gotN, "notice")
		// The access log keeps untrusted text sanitized, as every store
		// does.
		want := acc.Sanitized()
		log, err := tx.AccessLog(ctx, coaching.AccessQuery{ActorID: want.ActorID, CaseID: want.CaseID, ParticipantID: want.ParticipantID, Organisation: want.Organisation})
		require.NoError(t, err)
		// (Two hostile values may sanitize to the same text, "\x00" and
		// "\ufffd": this trial's entry is the last one.)
		require.NotEmpty(t, log, "access-log entry found by hostile actor, case, participant and organisation")
		last := log[len(log)-1]
		want.Seq, last.At = last.Seq, at
		assert.Equal(t, want, last, "access-log entry")
		return nil
	})
	// The store-level reads and filters with the hostile values.
	ns, err := f.store.Notices(ctx, coaching.NoticeQuery{CaseID: cid, Kind: s})
	require.NoError(t, err)
	require.Len(t, ns, 1, "Notices by hostile case and kind")
	var ids []coaching.CaseID
	for got, err := range f.store.Cases(ctx, coaching.CaseQuery{Model: s, State: s, Organisation: coaching.OrganisationID(s)}) {
		require.NoError(t, err)
		ids = append(ids, got.ID)
	}
	assert.Equal(t, []coaching.CaseID{cid}, ids, "Cases by hostile model, state and organisation")
	ids = nil
	for got, err := range f.store.Cases(ctx, coaching.CaseQuery{Participant: pid}) {
		require.NoError(t, err)
		ids = append(ids, got.ID)
	}
	assert.Equal(t, []coaching.CaseID{cid}, ids, "Cases by hostile participant")
	claimed, err := f.store.ClaimNotices(ctx, coaching.ClaimParams{Now: at.Add(time.Hour), Limit: 100, Lease: time.Minute})
	require.NoError(t, err)
	var claimedIt bool
	for _, cn := range claimed {
		if cn.ID == n.ID {
			claimedIt = true
			require.NoError(t, f.store.CompleteNotice(ctx, cn.ID, cn.Attempts, coaching.NoticeResult{Status: coaching.NoticeDead, At: at, Error: v("notice.last_error")}))
		}
	}
	require.True(t, claimedIt)
	got, err := f.store.Notice(ctx, n.ID)
	require.NoError(t, err)
	assert.Equal(t, v("notice.last_error"), got.LastError, "LastError")
	timers, err := f.store.DueTimers(ctx, at, 0)
	require.NoError(t, err)
	var keys []string
	for _, tm := range timers {
		keys = append(keys, tm.Key)
	}
	assert.Contains(t, keys, tm.Key)
	require.NoError(t, f.update(func(tx coaching.Tx) error { return tx.DeleteTimer(ctx, tm.Key) }), "DeleteTimer by hostile key")
	require.NoError(t, f.update(func(tx coaching.Tx) error { return tx.PurgeCase(ctx, cid) }), "PurgeCase by hostile id")
	f.view(func(tx coaching.ReadTx) error {
		_, err := tx.Document(ctx, cid, s, 0)
		assert.ErrorIs(t, err, coaching.ErrNotFound, "the purge deleted the document")
		trail, err := tx.AuditTrail(ctx, cid, 0)
		require.NoError(t, err)
		require.Len(t, trail, 1)
		assert.Empty(t, trail[0].Reason, "the purge cleared the audit reason")
		return nil
	})
}

func TestHostileStrings(t *testing.T) {
	f := &fixture{ctx: t.Context(), t: t, store: openTemp(t)}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			f.t = t
			roundTrip(t, f, h.s, func(string) string { return h.s })
		})
	}
	f.t = t
	checkIntact(t, f)
}

// Ten MiB values in the free-text fields of every kind of record (the
// engine caps ids and keys at a few hundred bytes, so they stay short
// here): names, team member, record data, audit reason and payload,
// command fingerprint, notice body, data and error, session topic and
// organisation, mark title, document data, access-log purpose.
func TestTenMegabyteValues(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 130 MB")
	}
	big := map[string]bool{"given_names": true, "team.name": true, "record.data": true, "audit.reason": true, "audit.payload": true,
		"command.fingerprint": true, "notice.body": true, "notice.data": true, "notice.last_error": true, "session.topic": true,
		"session.organisation": true, "mark.title": true, "document.data": true, "access.purpose": true}
	f := &fixture{ctx: t.Context(), t: t, store: openTemp(t)}
	roundTrip(t, f, "big", func(field string) string {
		if big[field] {
			return tenMB
		}
		return "x"
	})
	checkIntact(t, f)
}

// checkIntact checks the schema survived (no injected statement ran) and
// the database is consistent.
func checkIntact(t *testing.T, f *fixture) {
	t.Helper()
	var ok string
	require.NoError(t, f.store.DB().QueryRowContext(f.ctx, `PRAGMA integrity_check`).Scan(&ok))
	assert.Equal(t, "ok", ok)
	var tables int
	require.NoError(t, f.store.DB().QueryRowContext(f.ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('cases', 'participants', 'audit', 'notices')`).Scan(&tables))
	assert.Equal(t, 4, tables)
}

// Invalid UTF-8: kept byte for byte where the store keeps the value in a
// column of its own (ids, the case's model, state and organisation, notice
// subject and body, audit fields, document data), refused
// with a *coaching.ValidationError naming the field where it would go into
// JSON (which can only hold UTF-8 and would silently replace the bytes).
func TestInvalidUTF8(t *testing.T) {
	ctx := t.Context()
	store := openTemp(t)
	s := invalidUTF8
	at := testNow

	// Kept exactly.
	cid := coaching.CaseID("c-" + s)
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		if err := tx.InsertCase(ctx, coaching.Case{ID: cid, ParticipantID: coaching.ParticipantID(s), Model: s, State: s, Organisation: coaching.OrganisationID(s), Version: 1}); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, coaching.AuditEntry{CaseID: cid, Seq: 1, At: at, Kind: coaching.AuditKind(s), ActorID: s, Event: s, From: s, To: s, Reason: s,
			Payload: []byte(s), IdempotencyKey: s}); err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, coaching.Notice{ID: s, CaseID: cid, Kind: s, Subject: s, Body: s, CreatedAt: at, NotBefore: at}); err != nil {
			return err
		}
		return tx.PutDocument(ctx, coaching.Document{CaseID: cid, Kind: s, Version: 1, Status: s, By: s, At: at, Data: []byte(s)})
	}))
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		c, err := tx.Case(ctx, cid)
		require.NoError(t, err)
		assert.Equal(t, coaching.ParticipantID(s), c.ParticipantID)
		assert.Equal(t, s, c.State)
		assert.Equal(t, s, c.Model)
		trail, err := tx.AuditTrail(ctx, cid, 0)
		require.NoError(t, err)
		require.Len(t, trail, 1)
		assert.Equal(t, s, trail[0].Reason)
		assert.Equal(t, []byte(s), []byte(trail[0].Payload))
		n, err := tx.Notice(ctx, s)
		require.NoError(t, err)
		assert.Equal(t, s, n.Body)
		d, err := tx.Document(ctx, cid, s, 1)
		require.NoError(t, err)
		assert.Equal(t, []byte(s), []byte(d.Data))
		return nil
	}))

	// Refused, with the field named; nothing of the transaction is kept.
	refused := []struct {
		name, field string
		write       func(tx coaching.Tx) error
	}{
		{"participant name", "given_names", func(tx coaching.Tx) error {
			p := participant("p-1")
			p.GivenNames = s
			return tx.InsertParticipant(ctx, p)
		}},
		{"external id", "external_ids", func(tx coaching.Tx) error {
			p := participant("p-1")
			p.ExternalIDs = map[string]string{"sis": s}
			return tx.UpdateParticipant(ctx, p)
		}},
		{"phase state", "phase.state", func(tx coaching.Tx) error {
			return tx.InsertCase(ctx, coaching.Case{ID: "c-2", Model: "valo", State: "x", Version: 1, Phase: coaching.PhaseClock{State: s}})
		}},
		{"team member name", "team[0].name", func(tx coaching.Tx) error {
			return tx.InsertCase(ctx, coaching.Case{ID: "c-2", Model: "valo", State: "x", Version: 1, Team: []coaching.TeamMember{{ActorID: "a", Name: s}}})
		}},
		{"audit role", "[0]", func(tx coaching.Tx) error {
			return tx.AppendAudit(ctx, coaching.AuditEntry{CaseID: cid, Seq: 2, Roles: []coaching.Role{coaching.Role(s)}})
		}},
		{"notice recipient", "name", func(tx coaching.Tx) error {
			_, err := tx.Enqueue(ctx, coaching.Notice{ID: "n-2", Recipient: coaching.Recipient{Name: s}})
			return err
		}},
		{"notice data", `["sis"]`, func(tx coaching.Tx) error {
			_, err := tx.Enqueue(ctx, coaching.Notice{ID: "n-2", Data: map[string]string{"sis": s}})
			return err
		}},
		{"session staff", "[0].actor_id", func(tx coaching.Tx) error {
			return tx.(session.Store).PutSession(ctx, session.Session{ID: "s-1", Date: coaching.NewDate(2026, 1, 2), Staff: []session.Staff{{ActorID: s}}})
		}},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			err := store.Update(ctx, func(tx coaching.Tx) error {
				if err := tx.InsertParticipant(ctx, participant("p-before")); err != nil {
					return err
				}
				return r.write(tx)
			})
			require.ErrorIs(t, err, coaching.ErrInvalid)
			var ve *coaching.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Problems, 1)
			assert.Contains(t, ve.Problems[0].Field, r.field)
			assert.Contains(t, ve.Problems[0].Message, "UTF-8")
			require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
				_, err := tx.Participant(ctx, "", "p-before")
				assert.ErrorIs(t, err, coaching.ErrNotFound, "the failed transaction's earlier write was rolled back")
				return nil
			}))
		})
	}
}

// Dates the store cannot order or read back (not on the calendar) are
// refused with a clear error rather than stored.
func TestInvalidDatesRefused(t *testing.T) {
	ctx := t.Context()
	store := openTemp(t)
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		return tx.InsertCase(ctx, coaching.Case{ID: "c", Model: "valo", State: "x", Version: 1})
	}))
	for name, write := range map[string]func(tx coaching.Tx) error{
		"birth date": func(tx coaching.Tx) error {
			p := participant("p")
			p.BirthDate = coaching.NewDate(2025, 2, 30)
			return tx.InsertParticipant(ctx, p)
		},
		"mark date": func(tx coaching.Tx) error {
			return tx.(attendance.Store).PutMarks(ctx, []attendance.Mark{{CaseID: "c", Date: coaching.NewDate(2025, 13, 1), Revision: 1}})
		},
		"session date": func(tx coaching.Tx) error {
			return tx.(session.Store).PutSession(ctx, session.Session{ID: "s", Date: coaching.Date{Year: -1, Month: 1, Day: 1}})
		},
	} {
		err := store.Update(ctx, write)
		assert.ErrorIs(t, err, coaching.ErrInvalid, name)
	}
}

// Record data is JSON (coaching.Record.Data): data that is not is refused
// with a clear error, and nothing is written. (Documents and audit
// payloads are kept as bytes.)
func TestRecordDataMustBeJSON(t *testing.T) {
	ctx := t.Context()
	store := openTemp(t)
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		return tx.InsertCase(ctx, coaching.Case{ID: "c", Model: "valo", State: "x", Version: 1})
	}))
	for name, write := range map[string]func(tx coaching.Tx) error{
		"append": func(tx coaching.Tx) error {
			return tx.AppendRecords(ctx, "c", []coaching.Record{{Name: "ok", Data: []byte(`{}`)}, {Name: "r", Data: []byte(`{not json`)}})
		},
		"replace": func(tx coaching.Tx) error {
			return tx.ReplaceRecords(ctx, "c", []coaching.Record{{Name: "ok", Data: []byte(`{}`)}, {Name: "r", Data: []byte(`{not json`)}})
		},
	} {
		err := store.Update(ctx, write)
		require.ErrorIs(t, err, coaching.ErrInvalid, name)
		assert.Contains(t, err.Error(), "records[1].data", name)
		assert.Contains(t, err.Error(), "JSON", name)
	}
	var n int
	require.NoError(t, store.DB().QueryRowContext(ctx, `SELECT count(*) FROM records`).Scan(&n))
	assert.Zero(t, n, "nothing was written")
}
