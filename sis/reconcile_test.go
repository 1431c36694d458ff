package sis_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/contactchange"
	"github.com/valmennus/valmennus/sis"
)

// importer is on the students' teams as their personal tutor and is the
// head of studies: they decide contact changes and may list the
// organisation's students (a full export).
var importer = coaching.Actor{ID: "tutor-1", Organisation: org, Roles: []coaching.Role{coaching.RolePersonalTutor, coaching.RoleHeadOfStudies}}

const reconcileHeader = "Opiskelijanumero;Sukunimi;Etunimet;Syntymäaika;Sähköposti;Matkapuhelin;Ryhmä;Äidinkieli;Huoltaja;Huoltajan sähköposti;Huoltaja 2;Huoltaja 2 sähköposti;Muokattu\r\n"

// firstExport is the first import, in UTF-8.
const firstExport = reconcileHeader +
	"S1;Virtanen;Aino;14.3.2010;aino@example.fi;040 111 1111;TVO25A;suomi;Pekka Virtanen;pekka@example.fi;Liisa Virtanen;liisa@example.fi;1.8.2026\r\n" +
	"S2;Lindqvist;Elias;2.11.2009;elias@example.fi;;TVO25A;ruotsi;Karin Lindqvist;karin@example.fi;;;1.8.2026\r\n" +
	"S3;Ahmed;Sara;30.6.2010;;;TVO25B;englanti;Omar Ahmed;omar@example.fi;;;1.8.2026\r\n"

// secondExport is the SIS three weeks later: Aino's e-mail, language and
// group changed and her second guardian gone; Elias has a second guardian;
// Sara is as she was; Onni is new.
const secondExport = reconcileHeader +
	"S1;Virtanen;Aino;14.3.2010;aino.uusi@example.fi;040 111 1111;TVO25B;ruotsi;Pekka Virtanen;pekka@example.fi;;;20.8.2026\r\n" +
	"S2;Lindqvist;Elias;2.11.2009;elias@example.fi;;TVO25A;ruotsi;Karin Lindqvist;karin@example.fi;Johan Lindqvist;johan@example.fi;20.8.2026\r\n" +
	"S3;Ahmed;Sara;30.6.2010;;;TVO25B;englanti;Omar Ahmed;omar@example.fi;;;1.8.2026\r\n" +
	"S4;Mäkinen;Onni;21.1.2008;onni@example.fi;;TVO25B;suomi;;;;;20.8.2026\r\n"

type reconcileFixture struct {
	ctx   context.Context
	clock *ct.Clock
	store *memory.Store
	eng   *coaching.Engine
	opts  sis.Options
	cases map[string]coaching.CaseID
}

func newReconcileFixture(t *testing.T) *reconcileFixture {
	t.Helper()
	f := &reconcileFixture{ctx: context.Background(), clock: ct.NewClock(ct.DefaultStart), store: memory.New(), cases: map[string]coaching.CaseID{}}
	var err error
	f.eng, err = coaching.New(f.store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: f.clock, Documents: contactchange.Documents()})
	require.NoError(t, err)
	f.opts = sis.Options{Model: coaching.ModelPilot, Organisation: org,
		Team: []coaching.TeamMember{{ActorID: importer.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}}
	rep, err := sis.Import(f.ctx, f.eng, importer, strings.NewReader(firstExport), f.opts)
	require.NoError(t, err)
	require.Empty(t, rep.Problems)
	require.Len(t, rep.Enrolled, 3)
	for _, e := range rep.Enrolled {
		f.cases[e.ExternalID] = e.Case
	}
	f.clock.Set(ct.DefaultStart.AddDate(0, 0, 21)) // 2026-08-31
	f.opts.Update = true
	return f
}

// windows1252 encodes an export as Finnish Excel saves it.
func windows1252(t *testing.T, s string) *strings.Reader {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().String(s)
	require.NoError(t, err)
	return strings.NewReader(b)
}

func (f *reconcileFixture) participant(t *testing.T, ext string) coaching.Participant {
	t.Helper()
	return readParticipant(t, f.store, sis.ParticipantID(org, ext))
}

// snapshot is everything the store holds: every case with its records,
// audit trail and participant, the outbox, the timers and the access log.
func (f *reconcileFixture) snapshot(t *testing.T) string {
	t.Helper()
	var all []any
	for c, err := range f.store.Cases(f.ctx, coaching.CaseQuery{}) {
		require.NoError(t, err)
		require.NoError(t, f.store.View(f.ctx, func(tx coaching.ReadTx) error {
			recs, err := tx.Records(f.ctx, c.ID, coaching.RecordQuery{})
			if err != nil {
				return err
			}
			trail, err := tx.AuditTrail(f.ctx, c.ID, 0)
			if err != nil {
				return err
			}
			p, err := tx.Participant(f.ctx, c.Organisation, c.ParticipantID)
			if err != nil {
				return err
			}
			all = append(all, c, recs, trail, p, p.IdentityCode.Reveal())
			return nil
		}))
	}
	notices, err := f.store.Notices(f.ctx, coaching.NoticeQuery{})
	require.NoError(t, err)
	timers, err := f.store.DueTimers(f.ctx, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 1000)
	require.NoError(t, err)
	var access []coaching.AccessEntry
	require.NoError(t, f.store.View(f.ctx, func(tx coaching.ReadTx) error {
		access, err = tx.AccessLog(f.ctx, coaching.AccessQuery{})
		return err
	}))
	all = append(all, notices, timers, access)
	b, err := json.Marshal(all)
	require.NoError(t, err)
	return string(b)
}

// A re-import of a Windows-1252 export updates contact details,
// guardians (one removed, one added), group and language, reporting a diff
// per field and auditing the columns, never the values. A dry run first
// reports the same and writes nothing.
func TestReimportUpdatesWithDiffs(t *testing.T) {
	f := newReconcileFixture(t)

	// The dry run: the report of the import, nothing written.
	before := f.snapshot(t)
	dry := f.opts
	dry.DryRun = true
	dryRep, err := sis.Import(f.ctx, f.eng, importer, windows1252(t, secondExport), dry)
	require.NoError(t, err)
	assert.True(t, dryRep.DryRun)
	assert.Equal(t, sis.EncodingWindows1252, dryRep.Encoding)
	require.Len(t, dryRep.Enrolled, 1)
	assert.Equal(t, sis.Enrolled{Line: 5, ExternalID: "S4", Participant: sis.ParticipantID(org, "S4")}, dryRep.Enrolled[0], "no case id: no case was made")
	assert.Equal(t, before, f.snapshot(t), "a dry run writes nothing: no participant, case, record, audit entry, notice, timer or access entry")

	// The import itself.
	rep, err := sis.Import(f.ctx, f.eng, importer, windows1252(t, secondExport), f.opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	assert.Empty(t, rep.Conflicts)
	require.Len(t, rep.Enrolled, 1)
	assert.NotEmpty(t, rep.Enrolled[0].Case)
	assert.Equal(t, []sis.Updated{
		{Line: 2, ExternalID: "S1", Participant: sis.ParticipantID(org, "S1"),
			Columns: []string{"email", "language", "group", "guardian2_name", "guardian2_email"},
			Diffs: []sis.FieldDiff{
				{Column: "email", Before: "aino@example.fi", After: "aino.uusi@example.fi"},
				{Column: "language", Before: "fi", After: "sv"},
				{Column: "group", Before: "TVO25A", After: "TVO25B"},
				{Column: "guardian2_name", Before: "Liisa Virtanen", After: ""},
				{Column: "guardian2_email", Before: "liisa@example.fi", After: ""},
			}},
		{Line: 3, ExternalID: "S2", Participant: sis.ParticipantID(org, "S2"),
			Columns: []string{"guardian2_name", "guardian2_email"},
			Diffs: []sis.FieldDiff{
				{Column: "guardian2_name", Before: "", After: "Johan Lindqvist"},
				{Column: "guardian2_email", Before: "", After: "johan@example.fi"},
			}},
	}, rep.Updated)
	assert.Equal(t, rep.Updated, dryRep.Updated, "the dry run reported what the import did")
	assert.Equal(t, rep.Conflicts, dryRep.Conflicts)
	assert.Equal(t, "group changed", rep.Updated[0].Diffs[2].String(), "a diff prints its column, never its values")

	aino := f.participant(t, "S1")
	assert.Equal(t, coaching.Contact{Email: "aino.uusi@example.fi", Phone: "040 111 1111"}, aino.Contact)
	assert.Equal(t, coaching.Swedish, aino.Language)
	require.Len(t, aino.Guardians, 1)
	assert.Equal(t, "Pekka Virtanen", aino.Guardians[0].Name)
	elias := f.participant(t, "S2")
	require.Len(t, elias.Guardians, 2)
	assert.Equal(t, sis.ParticipantID(org, "S2")+":guardian2", coaching.ParticipantID(elias.Guardians[1].ID))
	assert.Equal(t, coaching.Contact{Email: "johan@example.fi"}, elias.Guardians[1].SISContact)

	// The group is the case's latest enrolment record, written by the
	// importer; the update is audited on the case, by column.
	c, err := f.eng.Case(f.ctx, importer, f.cases["S1"])
	require.NoError(t, err)
	var er sis.EnrolmentRecord
	require.NoError(t, c.DecodeRecord(sis.RecordName, &er))
	assert.Equal(t, "TVO25B", er.Group)
	trail, err := ct.ReadCase(f.ctx, f.eng, importer, coaching.OpReadCase, c.ID, (*coaching.CaseView).AuditTrail)
	require.NoError(t, err)
	last := trail[len(trail)-1]
	assert.Equal(t, sis.AuditKind, last.Kind)
	assert.Equal(t, sis.EventUpdated, last.Event)
	assert.Equal(t, importer.ID, last.ActorID)
	assert.Equal(t, "SIS import, line 2", last.Reason)
	assert.JSONEq(t, `{"columns":["email","language","group","guardian2_name","guardian2_email"]}`, string(last.Payload))
	for _, v := range []string{"example.fi", "Liisa", "TVO25"} {
		assert.NotContains(t, string(last.Payload)+last.Reason, v)
	}

	// The same export again changes nothing.
	rep, err = sis.Import(f.ctx, f.eng, importer, windows1252(t, secondExport), f.opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Updated)
	assert.Empty(t, rep.Enrolled)
}

// A guardian's own approved change, newer than the SIS record, is kept
// and reported as a conflict (with both values for the importer), not
// overwritten; so is the removal of that guardian by an older record.
func TestReimportConflictWithNewerApprovedChange(t *testing.T) {
	f := newReconcileFixture(t)
	pid := sis.ParticipantID(org, "S2")
	changes, err := contactchange.New(f.eng, nil)
	require.NoError(t, err)
	karin := coaching.Actor{ID: string(pid) + ":guardian1", Organisation: org, Roles: []coaching.Role{coaching.RoleGuardian}}
	pro, err := changes.Propose(f.ctx, karin, f.cases["S2"], coaching.Contact{Email: "karin.uusi@example.fi"})
	require.NoError(t, err)
	_, err = changes.Decide(f.ctx, importer, f.cases["S2"], pro.ID, contactchange.Decision{Approve: true, Version: pro.Version})
	require.NoError(t, err) // approved 2026-08-31

	// The SIS's own change, dated before the approval.
	older := strings.Replace(firstExport, "karin@example.fi", "karin@koti.example.fi", 1)
	older = strings.ReplaceAll(older, "1.8.2026", "20.8.2026")
	rep, err := sis.Import(f.ctx, f.eng, importer, windows1252(t, older), f.opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	assert.Empty(t, rep.Updated)
	require.Len(t, rep.Conflicts, 1)
	cf := rep.Conflicts[0]
	assert.Equal(t, 3, cf.Line)
	assert.Equal(t, pid, cf.Participant)
	assert.Equal(t, "guardian1_email", cf.Column)
	assert.Equal(t, "karin.uusi@example.fi", cf.Kept)
	assert.Equal(t, "karin@koti.example.fi", cf.SIS)
	assert.Contains(t, cf.Message, "changed in valmennus on 2026-08-31, on or after the SIS record (updated_on 2026-08-20)")
	assert.NotContains(t, cf.String(), "example.fi", "the message never repeats a value")
	assert.Equal(t, "karin.uusi@example.fi", f.participant(t, "S2").Guardians[0].Contact.Email, "not overwritten")

	// An older record without the guardian does not remove her.
	gone := strings.Replace(older, "Karin Lindqvist;karin@koti.example.fi", ";", 1)
	rep, err = sis.Import(f.ctx, f.eng, importer, strings.NewReader(gone), f.opts)
	require.NoError(t, err)
	require.Len(t, rep.Conflicts, 1)
	assert.Equal(t, "guardian1_name", rep.Conflicts[0].Column)
	assert.Contains(t, rep.Conflicts[0].Message, "not removed")
	assert.Len(t, f.participant(t, "S2").Guardians, 1)

	// A SIS record dated after the approval, with a value changed since the
	// last import, wins, and says so by a diff.
	newer := strings.ReplaceAll(strings.Replace(older, "karin@koti.example.fi", "karin@toinen.example.fi", 1), "20.8.2026", "2.9.2026")
	f.clock.Set(ct.DefaultStart.AddDate(0, 0, 30))
	rep, err = sis.Import(f.ctx, f.eng, importer, strings.NewReader(newer), f.opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Conflicts)
	require.Len(t, rep.Updated, 1)
	assert.Equal(t, []sis.FieldDiff{{Column: "guardian1_email", Before: "karin.uusi@example.fi", After: "karin@toinen.example.fi"}}, rep.Updated[0].Diffs)
	assert.Equal(t, []string{"guardian1"}, rep.Updated[0].SISAgain)
}

// A full export reports the students it no longer lists, without
// closing or deleting anything; a row with problems still lists its
// student. Listing the organisation's students needs read_figures.
func TestFullExportReportsMissingStudents(t *testing.T) {
	f := newReconcileFixture(t)
	full := f.opts
	full.FullExport = true
	export := reconcileHeader +
		"S1;Virtanen;Aino;14.3.2010;aino@example.fi;040 111 1111;TVO25A;suomi;Pekka Virtanen;pekka@example.fi;Liisa Virtanen;liisa@example.fi;1.8.2026\r\n" +
		"S2;Lindqvist;Elias;2.11.09;elias@example.fi;;TVO25A;ruotsi;Karin Lindqvist;karin@example.fi;;;1.8.2026\r\n"
	before := f.snapshot(t)
	dry := full
	dry.DryRun = true
	rep, err := sis.Import(f.ctx, f.eng, importer, windows1252(t, export), dry)
	require.NoError(t, err)
	assert.Equal(t, []sis.Missing{{ExternalID: "S3", Participant: sis.ParticipantID(org, "S3"), Cases: []coaching.CaseID{f.cases["S3"]}}}, rep.Missing)
	assert.Equal(t, before, f.snapshot(t))

	rep, err = sis.Import(f.ctx, f.eng, importer, windows1252(t, export), full)
	require.NoError(t, err)
	assert.Equal(t, []sis.Missing{{ExternalID: "S3", Participant: sis.ParticipantID(org, "S3"), Cases: []coaching.CaseID{f.cases["S3"]}}}, rep.Missing)
	require.Len(t, rep.Problems, 1, "S2's two-digit year: a problem, but S2 is listed")
	assert.Equal(t, "birth_date", rep.Problems[0].Column)
	c, err := f.eng.Case(f.ctx, importer, f.cases["S3"])
	require.NoError(t, err)
	assert.False(t, c.Closed(), "a missing student is reported, not closed")
	assert.Equal(t, "Sara", f.participant(t, "S3").GivenNames, "nor deleted")

	// Without a full export nobody is missing; a tutor who may not read
	// the organisation's figures cannot ask.
	rep, err = sis.Import(f.ctx, f.eng, importer, windows1252(t, export), f.opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Missing)
	_, err = sis.Import(f.ctx, f.eng, tutor, windows1252(t, export), full)
	ct.RequireForbidden(t, err)
}
