package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/erasure"
	"github.com/valmennus/valmennus/coaching/referral"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// RunErasure runs the erasure and retention of package coaching/erasure
// over a store, end to end: a small cohort with plans, referrals,
// attendance, notices and destinations is erased — half on request
// ([erasure.Service.Erase]), half by the retention rule
// ([erasure.Service.ApplyRetention]) — and the VALO
// table and ESF indicators must be the same afterwards while the personal
// data is gone. Adapters call it beside [Run]:
//
//	func TestErasure(t *testing.T) { storetest.RunErasure(t, newStore) }
func RunErasure(t *testing.T, newStore Harness) {
	t.Helper()
	ctx := t.Context()
	store := newStore(t)
	require.NotNil(t, store, "the harness returned a nil store")
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng, key := erasureEngine(t, store, func() time.Time { return now })
	att, err := attendance.New(eng, nil)
	require.NoError(t, err)
	er, err := erasure.New(eng)
	require.NoError(t, err)
	sessions, err := session.New(eng)
	require.NoError(t, err)
	const org coaching.OrganisationID = "org-erasure"
	head := coaching.Actor{ID: "head", Organisation: org, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	tutor := coaching.Actor{ID: "tutor", Organisation: org, Roles: []coaching.Role{coaching.RolePersonalTutor}}

	// Birth dates around the age-group edges (a 29 February among them),
	// both genders, several education levels and destinations.
	births := []coaching.Date{coaching.NewDate(2000, 2, 29), coaching.NewDate(1996, 6, 1), coaching.NewDate(1996, 6, 2),
		coaching.NewDate(1971, 5, 31), coaching.NewDate(1971, 6, 1), coaching.NewDate(2008, 1, 15), coaching.NewDate(1988, 12, 31),
		coaching.NewDate(1990, 3, 3)}
	levels := []coaching.EducationLevel{coaching.EducationBasic, coaching.EducationVocational, coaching.EducationGeneralUpperSecondary, coaching.EducationHigher}
	kinds := []pathway.Kind{pathway.WorkOpen, pathway.StudiesQualification, pathway.JobSeeking, pathway.Unemployed}
	var ids []coaching.ParticipantID
	var cases []coaching.CaseID
	for i, b := range births {
		months := 6 + 5*i
		foreign := i%3 == 0
		p := coaching.Participant{ID: coaching.ParticipantID(fmt.Sprintf("erase-%d", i)), Organisation: org,
			GivenNames: "Etu", FamilyName: fmt.Sprintf("Suku%d", i), BirthDate: b, Language: coaching.Finnish,
			Contact:     coaching.Contact{Email: fmt.Sprintf("p%d@example.fi", i), Phone: "+358 40 000 000" + fmt.Sprint(i)},
			Guardians:   []coaching.Guardian{{ID: fmt.Sprintf("g-%d", i), Name: "Huoltaja", Contact: coaching.Contact{Email: "h@example.fi"}}},
			ExternalIDs: map[string]string{"sis": fmt.Sprintf("S%d", i)},
			Background: coaching.Background{Gender: []coaching.Gender{coaching.GenderFemale, coaching.GenderMale}[i%2],
				EducationLevel: levels[i%len(levels)], LabourStatus: coaching.LabourUnemployed, UnemployedMonths: &months, ForeignBackground: &foreign}}
		c, err := eng.Enrol(ctx, head, coaching.EnrolParams{Model: "erasure", Participant: p,
			Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor", Contact: coaching.Contact{Email: "t@example.fi"}}}})
		require.NoError(t, err)
		_, err = eng.ChangeCase(ctx, tutor, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
			_, err := ch.SaveDocument(coaching.DocumentChange{Kind: "plan", Data: json.RawMessage(`{"goal":"Suku` + fmt.Sprint(i) + ` wants to be a cook"}`)})
			return err
		})
		require.NoError(t, err)
		_, err = referrals(t, eng).Propose(ctx, tutor, c.ID, referral.Input{Service: referral.ServiceCurator, Reason: "worried about home"})
		require.NoError(t, err)
		_, err = att.Record(ctx, tutor, []attendance.MarkInput{{CaseID: c.ID, Date: coaching.DateOf(now), Lesson: "1", Minutes: 45,
			Status: attendance.Unexplained}})
		require.NoError(t, err)
		_, err = sessions.Record(ctx, tutor, session.Session{Kind: session.Individual, Date: coaching.DateOf(now), Hours: decimal.RequireFromString("1.5"),
			Staff: []session.Staff{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor}}, Cases: []coaching.CaseID{c.ID},
			Topic: "Suku" + fmt.Sprint(i) + "'s study plan", PeerSupport: "met Suku" + fmt.Sprint(i) + "'s friend"})
		require.NoError(t, err)
		event := "complete"
		if i%4 == 3 {
			event = "drop"
		}
		_, err = eng.Fire(ctx, tutor, c.ID, event, &coaching.FireOptions{Reason: "moved on",
			Payload: pathway.Destination{Kind: kinds[i%len(kinds)], Date: coaching.DateOf(now), Note: "works for Suku" + fmt.Sprint(i) + " Oy"}})
		require.NoError(t, err)
		ids, cases = append(ids, p.ID), append(cases, c.ID)
	}
	figures := func() (string, outcomes.ESFReport, []session.StaffHours) {
		t.Helper()
		valo, esf := outcomes.NewVALO(nil), outcomes.NewESF()
		_, err := outcomes.FromEngine(ctx, eng, head, coaching.CaseQuery{}, valo, esf)
		require.NoError(t, err)
		table, err := valo.Table(outcomes.Options{})
		require.NoError(t, err)
		hours, err := sessions.TeamHours(ctx, head, coaching.Date{}, coaching.Date{})
		require.NoError(t, err)
		return table.Markdown(), esf.Report(), hours
	}
	tableBefore, esfBefore, hoursBefore := figures()
	require.Len(t, hoursBefore, 1)

	for _, id := range ids[:len(ids)/2] {
		rep, err := er.Erase(ctx, head, id, pathway.ErasureOptions())
		require.NoError(t, err, "erase %s", id)
		require.Len(t, rep.Cases, 1)
	}
	now = now.AddDate(5, 1, 0)
	ret, err := er.ApplyRetention(ctx, key, now, erasure.RetentionRule{After: coaching.Months(60), Erasure: pathway.ErasureOptions()})
	require.NoError(t, err)
	assert.Len(t, ret.Erased, len(ids)-len(ids)/2, "the rest are past five years since closing")

	tableAfter, esfAfter, hoursAfter := figures()
	assert.Equal(t, tableBefore, tableAfter, "erasure keeps the VALO table")
	assert.Equal(t, esfBefore, esfAfter, "erasure keeps the ESF indicators")
	assert.Equal(t, hoursBefore, hoursAfter, "erasure keeps the team hours")

	for i, id := range ids {
		var (
			p      coaching.Participant
			c      coaching.Case
			trail  []coaching.AuditEntry
			recs   []coaching.Record
			docs   []coaching.Document
			access []coaching.AccessEntry
			held   []session.Session
		)
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			var err error
			if p, err = tx.Participant(ctx, org, id); err != nil {
				return err
			}
			if c, err = tx.Case(ctx, cases[i]); err != nil {
				return err
			}
			if trail, err = tx.AuditTrail(ctx, c.ID, 0); err != nil {
				return err
			}
			if recs, err = tx.Records(ctx, c.ID, coaching.RecordQuery{}); err != nil {
				return err
			}
			if docs, err = tx.Documents(ctx, c.ID, "plan"); err != nil {
				return err
			}
			if access, err = tx.AccessLog(ctx, coaching.AccessQuery{ParticipantID: id}); err != nil {
				return err
			}
			rd, ok := tx.(session.Reader)
			if !ok {
				return fmt.Errorf("the store's read transactions do not implement session.Reader (%T)", tx)
			}
			held, err = rd.Sessions(ctx, session.Query{CaseID: c.ID})
			return err
		}))
		require.Len(t, held, 1, "the session stays for the team hours")
		assert.Empty(t, held[0].Topic+held[0].PeerSupport, "without its free text")
		assert.False(t, p.ErasedOn.IsZero(), "%s is marked erased", id)
		assert.Empty(t, p.GivenNames+p.FamilyName+p.Contact.Email+p.Contact.Phone, "names and contacts are gone")
		assert.True(t, p.IdentityCode.IsZero())
		assert.Empty(t, p.Guardians)
		assert.Empty(t, p.ExternalIDs)
		assert.Equal(t, births[i].AgeOn(coaching.DateOf(c.OpenedAt)), p.BirthDate.AgeOn(coaching.DateOf(c.OpenedAt)), "the age at entry stays")
		assert.Empty(t, docs, "documents are gone")
		for _, e := range trail {
			assert.Empty(t, e.Reason)
			assert.Empty(t, e.Payload)
		}
		assert.Equal(t, coaching.AuditErased, trail[len(trail)-1].Kind)
		require.Empty(t, c.Records, "the case row holds no records")
		c.Records = recs
		rec, ok := c.Record(pathway.RecordDestination)
		require.True(t, ok, "the destination is kept for the figures")
		for _, r := range recs {
			assert.Contains(t, []string{pathway.RecordDestination, pathway.RecordUponLeaving, pathway.RecordSixMonths}, r.Name,
				"only the records the erasure keeps are left")
		}
		assert.NotContains(t, string(rec.Data), "Suku", "without its note")
		marks, err := att.Marks(ctx, head, c.ID, coaching.Date{}, coaching.Date{})
		require.NoError(t, err)
		assert.Len(t, marks, 1, "attendance stays")
		notices, err := store.Notices(ctx, coaching.NoticeQuery{CaseID: c.ID})
		require.NoError(t, err)
		assert.Empty(t, notices, "notices are gone")
		require.NotEmpty(t, access, "the erasure is in the access log")
		assert.Equal(t, coaching.OpErase, access[len(access)-1].Operation)
	}
}

// Erased is what [EraseParticipant] wrote and then erased.
type Erased struct {
	// Organisation and Participant are the erased participant's key.
	Organisation coaching.OrganisationID
	Participant  coaching.ParticipantID
	Case         coaching.CaseID
	// Secrets are the personal values the erasure removed: the identity
	// code, the participant's and the guardian's e-mail addresses, the
	// names, the referral's reason, the reason of a transition, the note
	// of the destination it recorded, a note in the plan and the topic of
	// a coaching session. Each is distinctive, so a scan of the raw
	// database files for one of them finds nothing else.
	Secrets []string
}

// Values EraseParticipant writes; the tests of the stores scan their files
// for them after the erasure.
const (
	erasedIdentityCode  = "010203A9998" // not a real person's code; it parses
	erasedGuardianEmail = "huoltaja.poistettava@example.fi"
	erasedEmail         = "opiskelija.poistettava@example.fi"
	erasedGivenNames    = "Poistettava Etunimi"
	erasedFamilyName    = "Poistettavainen"
	erasedReason        = "Poistettava lähetteen syy: huoli kotioloista"
	erasedFireReason    = "Poistettava siirtymän syy: muutti"
	erasedNote          = "Poistettava muistiinpano: Poistettavainen Oy"
	erasedPlanNote      = "Poistettava suunnitelman muistiinpano"
	erasedTopic         = "Poistettava valmennuksen aihe"
)

// EraseParticipant runs one erasure through a real engine on store, as a
// host would: a participant with an identity code, an e-mail address and a
// guardian with an e-mail address is enrolled, a referral with a reason is
// proposed, a plan is saved, a coaching session with a topic is recorded,
// the case is completed with a reason and a destination with a note, and
// the organisation's head of studies erases the participant ([erasure.Service.Erase]). It checks that the store no
// longer returns the personal values and returns them, for tests that scan
// a store's files (the SQLite file and its WAL, PostgreSQL's pages) for
// bytes the erasure should have overwritten. The plan is large and does not
// compress, so a store keeps it out of line (SQLite overflow pages,
// PostgreSQL TOAST).
//
// before, when not nil, is called once everything is written and before the
// erasure, with what will be erased: a test checks there that its scan
// finds the secrets while they are live data, so that "none found" after
// the erasure means something.
func EraseParticipant(t testing.TB, store coaching.Store, before func(Erased)) Erased {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng, _ := erasureEngine(t, store, func() time.Time { return now })
	er, err := erasure.New(eng)
	require.NoError(t, err)
	const org coaching.OrganisationID = "org-erase-one"
	head := coaching.Actor{ID: "head", Organisation: org, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	tutor := coaching.Actor{ID: "tutor", Organisation: org, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	code, err := coaching.ParseIdentityCode(erasedIdentityCode)
	require.NoError(t, err)
	p := coaching.Participant{ID: "erase-one", Organisation: org, GivenNames: erasedGivenNames, FamilyName: erasedFamilyName,
		BirthDate: coaching.NewDate(2003, 2, 1), IdentityCode: code, Language: coaching.Finnish,
		Contact:   coaching.Contact{Email: erasedEmail, Phone: "+358 40 987 6543"},
		Guardians: []coaching.Guardian{{ID: "g-erase", Name: "Huoltaja", Contact: coaching.Contact{Email: erasedGuardianEmail}}}}
	c, err := eng.Enrol(ctx, head, coaching.EnrolParams{Model: "erasure", Participant: p,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor"}}})
	require.NoError(t, err)
	// The plan is large and does not compress (random base64), so that a
	// store keeps it out of line (SQLite overflow pages, PostgreSQL TOAST)
	// with the secret at its start in clear.
	noise := make([]byte, 6000)
	_, _ = rand.Read(noise)
	plan, err := json.Marshal(map[string]string{"goal": erasedFamilyName + " wants to be a cook",
		"notes": erasedPlanNote + " " + base64.StdEncoding.EncodeToString(noise)})
	require.NoError(t, err)
	_, err = eng.ChangeCase(ctx, tutor, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
		_, err := ch.SaveDocument(coaching.DocumentChange{Kind: "plan", Data: plan})
		return err
	})
	require.NoError(t, err)
	_, err = referrals(t, eng).Propose(ctx, tutor, c.ID, referral.Input{Service: referral.ServiceCurator, Reason: erasedReason})
	require.NoError(t, err)
	sessions, err := session.New(eng)
	require.NoError(t, err)
	_, err = sessions.Record(ctx, tutor, session.Session{Kind: session.Individual, Date: coaching.DateOf(now), Hours: decimal.NewFromInt(1),
		Staff: []session.Staff{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor}}, Cases: []coaching.CaseID{c.ID}, Topic: erasedTopic})
	require.NoError(t, err)
	_, err = eng.Fire(ctx, tutor, c.ID, "complete", &coaching.FireOptions{Reason: erasedFireReason,
		Payload: pathway.Destination{Kind: pathway.WorkOpen, Date: coaching.DateOf(now), Note: erasedNote}})
	require.NoError(t, err)

	erased := Erased{Organisation: p.Organisation, Participant: p.ID, Case: c.ID,
		Secrets: []string{erasedIdentityCode, erasedGuardianEmail, erasedEmail, erasedGivenNames, erasedFamilyName, erasedReason, erasedFireReason, erasedNote, erasedPlanNote, erasedTopic}}
	if before != nil {
		before(erased)
	}

	rep, err := er.Erase(ctx, head, p.ID, pathway.ErasureOptions())
	require.NoError(t, err)
	require.Equal(t, []coaching.CaseID{c.ID}, rep.Cases)
	var got coaching.Participant
	err = eng.Read(ctx, head, func(s *coaching.Scope) error {
		got, err = s.Participant(coaching.OpReadParticipant, p.ID)
		return err
	})
	require.NoError(t, err)
	require.False(t, got.ErasedOn.IsZero())
	require.True(t, got.IdentityCode.IsZero())
	require.Empty(t, got.Guardians)
	return erased
}

// erasureEngine is an engine over store with the erasure suites' model: a
// coaching phase that completes or is dropped, with pathway's destination
// and follow-ups attached; the key lets the suite run retention.
func erasureEngine(t testing.TB, store coaching.Store, now func() time.Time) (*coaching.Engine, *coaching.SystemKey) {
	t.Helper()
	spec := coaching.ModelSpec{Name: "erasure", Initial: "coaching", Openers: []coaching.Role{coaching.RoleHeadOfStudies},
		States: []coaching.StateSpec{{Name: "coaching", Kind: coaching.Active},
			{Name: "completed", Kind: coaching.Terminal, Exit: coaching.ExitCompleted},
			{Name: "dropped", Kind: coaching.Terminal, Exit: coaching.ExitDiscontinued}},
		Events: []coaching.EventSpec{
			{Name: "complete", From: []string{"coaching"}, To: "completed", Roles: []coaching.Role{coaching.RolePersonalTutor}},
			{Name: "drop", From: []string{"coaching"}, To: "dropped", Roles: []coaching.Role{coaching.RolePersonalTutor}},
		}}
	require.NoError(t, pathway.Attach(&spec, nil, "complete", "drop"))
	model, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	handlers := pathway.TimerHandlers(nil)
	maps.Copy(handlers, referral.TimerHandlers(nil))
	key := coaching.NewSystemKey()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{model}, TimerHandlers: handlers,
		Documents: referral.Documents(), Clock: coaching.ClockFunc(now), SystemKey: key})
	require.NoError(t, err)
	return eng, key
}

// referrals is the referral feature over eng.
func referrals(t testing.TB, eng *coaching.Engine) *referral.Service {
	t.Helper()
	s, err := referral.New(eng)
	require.NoError(t, err)
	return s
}
