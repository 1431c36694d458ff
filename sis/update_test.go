package sis_test

import (
	"context"
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

// A re-import keeps a contact detail changed in valmennus after the SIS
// record and reports it, while it writes what the SIS changed and
// valmennus did not; a SIS record dated after the change wins.
func TestReimportKeepsNewerValmennusContact(t *testing.T) {
	ctx := context.Background()
	clock := ct.NewClock(ct.DefaultStart) // 2026-08-10
	store := memory.New()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: clock,
		Documents: contactchange.Documents()})
	require.NoError(t, err)
	opts := sis.Options{Model: coaching.ModelPilot, Organisation: org,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}}
	const header = "external_id;given_names;family_name;birth_date;email;phone;guardian1_name;guardian1_email;updated_on\n"
	first := header + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;;Pekka Virtanen;pekka@example.fi;2026-08-01\n"
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(first), opts)
	require.NoError(t, err)
	require.Len(t, rep.Enrolled, 1)
	c := rep.Enrolled[0].Case
	pid := rep.Enrolled[0].Participant

	// The guardian's new address, approved in valmennus on 2026-09-01.
	clock.Set(ct.DefaultStart.AddDate(0, 0, 22))
	changes, err := contactchange.New(eng, nil)
	require.NoError(t, err)
	guardian := coaching.Actor{ID: string(pid) + ":guardian1", Organisation: org, Roles: []coaching.Role{coaching.RoleGuardian}}
	pro, err := changes.Propose(ctx, guardian, c, coaching.Contact{Email: "pekka.uusi@example.fi"})
	require.NoError(t, err)
	_, err = changes.Decide(ctx, tutor, c, pro.ID, contactchange.Decision{Approve: true, Version: pro.Version})
	require.NoError(t, err)

	// Without Update, a re-import reports the row as enrolled already.
	clock.Set(ct.DefaultStart.AddDate(0, 0, 30))
	stale := header + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;040 111 2222;Pekka Virtanen;pekka@example.fi;2026-08-20\n"
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(stale), opts)
	require.NoError(t, err)
	require.Len(t, rep.Problems, 1)
	assert.Equal(t, "already enrolled", rep.Problems[0].Message)

	// With Update: the SIS record (2026-08-20) is older than the change
	// (2026-09-01): the guardian's address stays, and the conflict is
	// reported without either value; the student's new phone is written.
	opts.Update = true
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(stale), opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	require.Len(t, rep.Conflicts, 1)
	assert.Equal(t, "guardian1_email", rep.Conflicts[0].Column)
	assert.Equal(t, 2, rep.Conflicts[0].Line)
	assert.Contains(t, rep.Conflicts[0].String(), "changed in valmennus on 2026-09-01")
	assert.NotContains(t, rep.Conflicts[0].Message, "pekka")
	require.Len(t, rep.Updated, 1)
	assert.Equal(t, []string{"phone"}, rep.Updated[0].Columns)
	p := readParticipant(t, store, pid)
	assert.Equal(t, "pekka.uusi@example.fi", p.Guardians[0].Contact.Email, "the newer valmennus address is kept")
	assert.Equal(t, "040 111 2222", p.Contact.Phone)

	// A record without a date: the change since the last import is kept.
	undated := strings.Replace(stale, ";2026-08-20\n", ";\n", 1)
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(undated), opts)
	require.NoError(t, err)
	require.Len(t, rep.Conflicts, 1)
	assert.Contains(t, rep.Conflicts[0].Message, "the SIS still gives the value of its last import")
	undatedNew := strings.Replace(undated, "pekka@example.fi", "pekka.toinen@example.fi", 1)
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(undatedNew), opts)
	require.NoError(t, err)
	require.Len(t, rep.Conflicts, 1, "changed in both, the SIS record undated: kept")
	assert.Contains(t, rep.Conflicts[0].Message, "no updated_on")
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(undated), opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Updated, "nothing else changed")

	// A SIS record dated after the change wins, and the contact is the
	// SIS's again.
	newer := header + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;040 111 2222;Pekka Virtanen;pekka@koti.example.fi;2026-09-05\n"
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(newer), opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Conflicts)
	require.Len(t, rep.Updated, 1)
	assert.Equal(t, []string{"guardian1_email"}, rep.Updated[0].Columns)
	p = readParticipant(t, store, pid)
	assert.Equal(t, "pekka@koti.example.fi", p.Guardians[0].Contact.Email)
	assert.True(t, p.Guardians[0].ContactChangedOn.IsZero())

	// Every update is audited on the case, naming columns, never values.
	var trail []coaching.AuditEntry
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		trail, err = tx.AuditTrail(ctx, c, 0)
		return err
	}))
	var updates int
	for _, e := range trail {
		if e.Kind == sis.AuditKind {
			updates++
			assert.NotContains(t, string(e.Payload)+e.Reason, "example.fi")
		}
	}
	assert.Equal(t, 2, updates)

	bad := header + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;;;;2027-01-01\nS2;Ella;Virtanen;2010-03-14;;;;;1.9.26\n"
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(bad), opts)
	require.NoError(t, err)
	require.Len(t, rep.Problems, 2)
	assert.Equal(t, "line 2, updated_on: is in the future", rep.Problems[0].String())
	assert.Equal(t, "line 3, updated_on: the year has two digits: write it in full (d.m.yyyy)", rep.Problems[1].String())

	_, err = sis.Import(ctx, eng, tutor, strings.NewReader(newer), sis.Options{Model: coaching.ModelPilot, Organisation: org, Update: true, Strict: true})
	ct.RequireInvalid(t, err, "update")
}

// A row's updated_on covers every column: a SIS change of the student's
// phone dated after an approved change of the guardian's e-mail does not
// put back the SIS's old e-mail, which it still gives as it did at the last
// import. The change is dated by its approval, not by its proposal.
func TestReimportKeepsApprovedFieldTheSISDidNotChange(t *testing.T) {
	ctx := context.Background()
	clock := ct.NewClock(ct.DefaultStart) // 2026-08-10
	store := memory.New()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: clock, Documents: contactchange.Documents()})
	require.NoError(t, err)
	opts := sis.Options{Model: coaching.ModelPilot, Organisation: org,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}}
	const header = "external_id;given_names;family_name;birth_date;email;phone;guardian1_name;guardian1_email;updated_on\n"
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(header+"S1;Aino;Virtanen;2010-03-14;aino@example.fi;;Pekka Virtanen;pekka@example.fi;2026-08-01\n"), opts)
	require.NoError(t, err)
	c, pid := rep.Enrolled[0].Case, rep.Enrolled[0].Participant
	clock.Set(ct.DefaultStart.AddDate(0, 0, 22)) // proposed 2026-09-01
	changes, err := contactchange.New(eng, nil)
	require.NoError(t, err)
	g := coaching.Actor{ID: string(pid) + ":guardian1", Organisation: org, Roles: []coaching.Role{coaching.RoleGuardian}}
	pro, err := changes.Propose(ctx, g, c, coaching.Contact{Email: "pekka.uusi@example.fi"})
	require.NoError(t, err)
	clock.Set(ct.DefaultStart.AddDate(0, 0, 26)) // approved 2026-09-05
	_, err = changes.Decide(ctx, tutor, c, pro.ID, contactchange.Decision{Approve: true, Version: pro.Version})
	require.NoError(t, err)
	assert.Equal(t, coaching.NewDate(2026, 9, 5), readParticipant(t, store, pid).Guardians[0].ContactChangedOn)

	clock.Set(ct.DefaultStart.AddDate(0, 0, 30))
	opts.Update = true
	row := header + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;040 111 2222;Pekka Virtanen;pekka@example.fi;2026-09-03\n"
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(row), opts)
	require.NoError(t, err)
	p := readParticipant(t, store, pid)
	assert.Equal(t, "pekka.uusi@example.fi", p.Guardians[0].Contact.Email, "the approved address is kept")
	assert.Equal(t, coaching.NewDate(2026, 9, 5), p.Guardians[0].ContactChangedOn)
	assert.Equal(t, "040 111 2222", p.Contact.Phone, "the SIS's own change is written")
	require.Len(t, rep.Conflicts, 1)
	assert.Equal(t, "guardian1_email", rep.Conflicts[0].Column)
	require.Len(t, rep.Updated, 1)
	assert.Equal(t, []string{"phone"}, rep.Updated[0].Columns)
	assert.Empty(t, rep.Updated[0].SISAgain)

	// Even a row dated after the approval keeps it while the SIS still
	// gives its old value; once the SIS's value changes, that newer record wins.
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(strings.Replace(row, "2026-09-03", "2026-09-08", 1)), opts)
	require.NoError(t, err)
	require.Len(t, rep.Conflicts, 1)
	assert.Equal(t, "pekka.uusi@example.fi", readParticipant(t, store, pid).Guardians[0].Contact.Email)
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(strings.Replace(strings.Replace(row, "2026-09-03", "2026-09-08", 1), "pekka@", "pekka.koti@", 1)), opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Conflicts)
	p = readParticipant(t, store, pid)
	assert.Equal(t, "pekka.koti@example.fi", p.Guardians[0].Contact.Email)
	assert.True(t, p.Guardians[0].ContactChangedOn.IsZero(), "the SIS's again")
}

func readParticipant(t *testing.T, store *memory.Store, id coaching.ParticipantID) coaching.Participant {
	t.Helper()
	var p coaching.Participant
	require.NoError(t, store.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		p, err = tx.Participant(context.Background(), org, id)
		return err
	}))
	return p
}
