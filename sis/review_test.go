package sis_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/contactchange"
	"github.com/valmennus/valmennus/sis"
)

type reimport struct {
	ctx   context.Context
	clock *ct.Clock
	store *memory.Store
	eng   *coaching.Engine
	opts  sis.Options
	c     coaching.CaseID
	pid   coaching.ParticipantID
}

const fullHeader = "external_id;given_names;family_name;birth_date;email;phone;guardian1_name;guardian1_email;guardian1_phone;guardian2_name;guardian2_email;updated_on\n"

// newReimport enrols one student with two guardians, on 2026-08-10.
func newReimport(t *testing.T) *reimport {
	t.Helper()
	r := &reimport{ctx: context.Background(), clock: ct.NewClock(ct.DefaultStart), store: memory.New()}
	var err error
	r.eng, err = coaching.New(r.store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: r.clock,
		Documents: contactchange.Documents()})
	require.NoError(t, err)
	r.opts = sis.Options{Model: coaching.ModelPilot, Organisation: org,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}}
	first := fullHeader + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;040 111 1111;Pekka Virtanen;pekka@example.fi;050 111 1111;Maija Virtanen;maija@example.fi;2026-08-01\n"
	rep, err := sis.Import(r.ctx, r.eng, tutor, strings.NewReader(first), r.opts)
	require.NoError(t, err)
	require.Len(t, rep.Enrolled, 1)
	r.c, r.pid = rep.Enrolled[0].Case, rep.Enrolled[0].Participant
	r.opts.Update = true
	r.clock.Set(ct.DefaultStart.AddDate(0, 0, 15)) // 2026-08-25
	return r
}

func (r *reimport) run(t *testing.T, actor coaching.Actor, csv string) *sis.Report {
	t.Helper()
	rep, err := sis.Import(r.ctx, r.eng, actor, strings.NewReader(csv), r.opts)
	require.NoError(t, err)
	return rep
}

// A re-import whose header does not name a contact column leaves that
// detail as it is; an empty cell in a column the header names clears it.
func TestReimportWritesOnlyTheColumnsNamed(t *testing.T) {
	r := newReimport(t)
	rep := r.run(t, tutor, "external_id;given_names;family_name;birth_date;email\nS1;Aino;Virtanen;2010-03-14;aino.uusi@example.fi\n")
	assert.Empty(t, rep.Problems)
	require.Len(t, rep.Updated, 1)
	assert.Equal(t, []string{"email"}, rep.Updated[0].Columns)
	p := readParticipant(t, r.store, r.pid)
	assert.Equal(t, coaching.Contact{Email: "aino.uusi@example.fi", Phone: "040 111 1111"}, p.Contact, "the phone column was not in the file")
	require.Len(t, p.Guardians, 2)
	assert.Equal(t, coaching.Contact{Email: "pekka@example.fi", Phone: "050 111 1111"}, p.Guardians[0].Contact)
	assert.Equal(t, "maija@example.fi", p.Guardians[1].Contact.Email)

	rep = r.run(t, tutor, "external_id;given_names;family_name;birth_date;email;phone\nS1;Aino;Virtanen;2010-03-14;aino.uusi@example.fi;\n")
	require.Len(t, rep.Updated, 1)
	assert.Equal(t, []string{"phone"}, rep.Updated[0].Columns)
	assert.Empty(t, readParticipant(t, r.store, r.pid).Contact.Phone, "an empty cell of a named column clears the value")
}

// Guardians in another order in the file are not updated by number: a
// guardian whose name differs from the one recorded under that number is
// kept and reported.
func TestReimportDoesNotSwapReorderedGuardians(t *testing.T) {
	r := newReimport(t)
	swapped := fullHeader + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;040 111 1111;Maija Virtanen;maija@example.fi;;Pekka Virtanen;pekka@example.fi;2026-08-20\n"
	rep := r.run(t, tutor, swapped)
	assert.Empty(t, rep.Updated)
	require.Len(t, rep.Conflicts, 2)
	assert.Equal(t, "guardian1_name", rep.Conflicts[0].Column)
	assert.Equal(t, "guardian2_name", rep.Conflicts[1].Column)
	assert.NotContains(t, rep.Conflicts[0].Message, "Maija")
	p := readParticipant(t, r.store, r.pid)
	assert.Equal(t, coaching.Contact{Email: "pekka@example.fi", Phone: "050 111 1111"}, p.Guardians[0].Contact)
	assert.Equal(t, "maija@example.fi", p.Guardians[1].Contact.Email)
	// The same name, other case and spacing: the same guardian.
	same := fullHeader + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;040 111 1111;pekka  VIRTANEN;pekka@koti.example.fi;050 111 1111;Maija Virtanen;maija@example.fi;2026-08-20\n"
	rep = r.run(t, tutor, same)
	assert.Empty(t, rep.Conflicts)
	require.Len(t, rep.Updated, 1)
	assert.Equal(t, []string{"guardian1_email"}, rep.Updated[0].Columns)
}

// A re-import's update is for the school's staff on one of the student's
// teams (or the head of studies): a personal tutor on none of the
// student's teams gets a row problem, and nothing changes.
func TestReimportUpdateIsForTheStudentsStaff(t *testing.T) {
	r := newReimport(t)
	stranger := coaching.Actor{ID: "tutor-2", Organisation: org, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	csv := fullHeader + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;040 111 1111;Pekka Virtanen;hyokkaaja@example.fi;050 111 1111;Maija Virtanen;maija@example.fi;2026-08-20\n"
	rep := r.run(t, stranger, csv)
	assert.Empty(t, rep.Updated)
	require.Len(t, rep.Problems, 1)
	assert.Contains(t, rep.Problems[0].Message, "not updated")
	assert.Equal(t, "pekka@example.fi", readParticipant(t, r.store, r.pid).Guardians[0].Contact.Email)
	rep = r.run(t, tutor, csv)
	require.Len(t, rep.Updated, 1, "the tutor on the student's team updates")
}

// A SIS record dated the same day as the change in valmennus keeps the
// valmennus value (a tie is never decided silently); a newer record with
// the values valmennus already has makes the contact the SIS's again, and
// the report and the audit entry say so.
func TestReimportTieAndDateOnly(t *testing.T) {
	r := newReimport(t)
	r.clock.Set(ct.DefaultStart.AddDate(0, 0, 22)) // 2026-09-01
	changes, err := contactchange.New(r.eng, nil)
	require.NoError(t, err)
	g := coaching.Actor{ID: string(r.pid) + ":guardian1", Organisation: org, Roles: []coaching.Role{coaching.RoleGuardian}}
	pro, err := changes.Propose(r.ctx, g, r.c, coaching.Contact{Email: "pekka.uusi@example.fi"})
	require.NoError(t, err)
	_, err = changes.Decide(r.ctx, tutor, r.c, pro.ID, contactchange.Decision{Approve: true, Version: pro.Version})
	require.NoError(t, err)

	tie := fullHeader + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;040 111 1111;Pekka Virtanen;pekka@example.fi;050 111 1111;Maija Virtanen;maija@example.fi;2026-09-01\n"
	rep := r.run(t, tutor, tie)
	require.Len(t, rep.Conflicts, 1)
	assert.Equal(t, "guardian1_email", rep.Conflicts[0].Column)
	assert.Equal(t, "pekka.uusi@example.fi", readParticipant(t, r.store, r.pid).Guardians[0].Contact.Email)

	r.clock.Set(ct.DefaultStart.AddDate(0, 0, 30))
	newer := strings.Replace(tie, "pekka@example.fi;050 111 1111;", "pekka.uusi@example.fi;050 111 1111;", 1)
	newer = strings.Replace(newer, "2026-09-01", "2026-09-05", 1)
	rep = r.run(t, tutor, newer)
	assert.Empty(t, rep.Conflicts)
	require.Len(t, rep.Updated, 1, "the contact is the SIS's again")
	assert.Empty(t, rep.Updated[0].Columns)
	assert.Equal(t, []string{"guardian1"}, rep.Updated[0].SISAgain)
	assert.True(t, readParticipant(t, r.store, r.pid).Guardians[0].ContactChangedOn.IsZero())
	var trail []coaching.AuditEntry
	require.NoError(t, r.store.View(r.ctx, func(tx coaching.ReadTx) error {
		trail, err = tx.AuditTrail(r.ctx, r.c, 0)
		return err
	}))
	last := trail[len(trail)-1]
	require.Equal(t, sis.AuditKind, last.Kind)
	var payload map[string][]string
	require.NoError(t, json.Unmarshal(last.Payload, &payload))
	assert.NotNil(t, payload["columns"], "columns is a list, empty")
	assert.Equal(t, []string{"guardian1"}, payload["sis_again"])
}

// A re-import's update is for those who decide the student's contact
// changes (contactchange.MayDecide): a teacher or a curator on the
// student's team — whom the policy lets act on the case, and who may
// import, holding the study counsellor's role elsewhere — gets a row
// problem naming the rule, and nothing changes.
func TestReimportUpdateIsNotForTeachersOrWelfareStaff(t *testing.T) {
	ctx := context.Background()
	clock := ct.NewClock(ct.DefaultStart)
	store := memory.New()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: clock, Documents: contactchange.Documents()})
	require.NoError(t, err)
	teacher := coaching.Actor{ID: "teacher-1", Organisation: org, Roles: []coaching.Role{coaching.RoleTeacher, coaching.RoleStudyCounsellor}}
	curator := coaching.Actor{ID: "curator-1", Organisation: org, Roles: []coaching.Role{coaching.RoleCurator, coaching.RoleStudyCounsellor}}
	opts := sis.Options{Model: coaching.ModelPilot, Organisation: org, Team: []coaching.TeamMember{
		{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"},
		{ActorID: teacher.ID, Role: coaching.RoleTeacher, Name: "Opettaja"},
		{ActorID: curator.ID, Role: coaching.RoleCurator, Name: "Kuraattori"}}}
	first := fullHeader + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;040 111 1111;Pekka Virtanen;pekka@example.fi;050 111 1111;Maija Virtanen;maija@example.fi;2026-08-01\n"
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(first), opts)
	require.NoError(t, err)
	pid := rep.Enrolled[0].Participant
	opts.Update = true
	csv := strings.Replace(first, "pekka@", "pekka.uusi@", 1)
	for _, a := range []coaching.Actor{teacher, curator} {
		rep, err = sis.Import(ctx, eng, a, strings.NewReader(csv), opts)
		require.NoError(t, err, a.ID)
		assert.Empty(t, rep.Updated, a.ID)
		require.Len(t, rep.Problems, 1, a.ID)
		assert.Contains(t, rep.Problems[0].Message, "not updated: the importer decides no contact change", a.ID)
		assert.Contains(t, []string{contactchange.RuleDecider, coaching.RuleDeciders, coaching.RuleWelfareChannel, coaching.RuleSupportTeam},
			ruleIn(rep.Problems[0].Message), a.ID+": "+rep.Problems[0].Message)
		assert.Equal(t, "pekka@example.fi", readParticipant(t, store, pid).Guardians[0].Contact.Email)
	}
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(csv), opts)
	require.NoError(t, err)
	require.Len(t, rep.Updated, 1, "the personal tutor updates")
}

// ruleIn returns the rule a row problem names last, in parentheses.
func ruleIn(msg string) string {
	i := strings.LastIndexByte(msg, '(')
	if i < 0 || !strings.HasSuffix(msg, ")") {
		return ""
	}
	return msg[i+1 : len(msg)-1]
}
