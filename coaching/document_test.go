package coaching_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

func TestSaveDocumentVersions(t *testing.T) {
	env := ct.New(t, nil)
	ctx := context.Background()
	tutor := ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor)
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), tutor)

	d1, err := saveDocument(ctx, env.Engine, ct.Tutor, c.ID, coaching.DocumentChange{Kind: "hoks", Status: "draft",
		Data: json.RawMessage(`{"a":1}`)})
	require.NoError(t, err)
	assert.Equal(t, int64(1), d1.Version)
	notice := coaching.Notice{ID: "survey-1", CaseID: c.ID, Kind: "survey", Status: coaching.NoticePending, NotBefore: env.Clock.Now()}
	d2, err := saveDocument(ctx, env.Engine, ct.Tutor, c.ID, coaching.DocumentChange{Kind: "hoks", BasedOn: 1, Status: "approved",
		Data: json.RawMessage(`{"a":2}`), Event: "hoks_approved", Notices: []coaching.Notice{notice}})
	require.NoError(t, err)
	assert.Equal(t, int64(2), d2.Version)

	// A change based on a version that is no longer the latest is a conflict.
	_, err = saveDocument(ctx, env.Engine, ct.Tutor, c.ID, coaching.DocumentChange{Kind: "hoks", BasedOn: 1, Data: json.RawMessage(`{"a":3}`)})
	var ce *coaching.ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, int64(2), ce.Current)
	assert.Contains(t, err.Error(), "document hoks")

	require.NoError(t, env.Engine.ReadCase(ctx, ct.Staff, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		all, err := v.Documents("hoks")
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.JSONEq(t, `{"a":1}`, string(all[0].Data), "earlier versions stay as they were")
		latest, err := v.Document("hoks", 0)
		require.NoError(t, err)
		assert.Equal(t, "approved", latest.Status)
		return nil
	}))

	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	last := trail[len(trail)-1]
	assert.Equal(t, coaching.AuditDocument, last.Kind)
	assert.Equal(t, "hoks_approved", last.Event)
	assert.Equal(t, last.Seq, d2.Seq)
	ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: "survey"})

	// Not on the team and not an opener of the model.
	_, err = saveDocument(ctx, env.Engine, ct.Coach, c.ID, coaching.DocumentChange{Kind: "hoks", BasedOn: 2, Data: json.RawMessage(`{}`)})
	ct.RequireForbidden(t, err)
	_, err = saveDocument(ctx, env.Engine, ct.Tutor, c.ID, coaching.DocumentChange{Kind: "Bad Kind", Data: json.RawMessage(`{`)})
	ct.RequireInvalid(t, err, "kind", "data")
	_, err = saveDocument(ctx, env.Engine, ct.Tutor, "ghost", coaching.DocumentChange{Kind: "hoks", Data: json.RawMessage(`{}`)})
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	ct.RequireAuditTrail(t, env.Engine, c.ID)
}

// The kernel's own change methods record the change's one audit entry: a
// change cannot save two documents, change the team besides, or replace
// the document's entry with another — and such a change writes nothing.
func TestKernelChangeMethodsRecordOneEntry(t *testing.T) {
	env := ct.New(t, nil)
	ctx := context.Background()
	tutor := ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor)
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), tutor)
	nurse := coaching.TeamMember{ActorID: "nurse-1", Role: coaching.RoleNurse, Name: "Nurse"}
	plan := coaching.DocumentChange{Kind: "hoks", Data: json.RawMessage(`{"a":1}`)}
	for _, tc := range []struct {
		name string
		fn   func(ch *coaching.CaseChange) error
	}{
		{"two documents", func(ch *coaching.CaseChange) error {
			if _, err := ch.SaveDocument(plan); err != nil {
				return err
			}
			_, err := ch.SaveDocument(coaching.DocumentChange{Kind: "notes", Data: json.RawMessage(`{}`)})
			return err
		}},
		{"a document and the team", func(ch *coaching.CaseChange) error {
			if _, err := ch.SaveDocument(plan); err != nil {
				return err
			}
			return ch.ChangeTeam(coaching.TeamChange{Add: &nurse})
		}},
		{"the document's entry replaced", func(ch *coaching.CaseChange) error {
			if _, err := ch.SaveDocument(plan); err != nil {
				return err
			}
			ch.Audit("plan", "plan_saved", "", nil)
			return nil
		}},
		{"the team's entry replaced by a record's", func(ch *coaching.CaseChange) error {
			if err := ch.ChangeTeam(coaching.TeamChange{Add: &nurse}); err != nil {
				return err
			}
			return ch.Record("note", map[string]string{"a": "b"}, "")
		}},
		{"a document after the caller's entry", func(ch *coaching.CaseChange) error {
			ch.Audit("plan", "plan_started", "", nil)
			_, err := ch.SaveDocument(plan)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.Engine.ChangeCase(ctx, ct.Tutor, coaching.OpChangeCase, c.ID, tc.fn)
			ct.RequireInvalid(t, err, "audit")
			assert.Equal(t, c.Version, ct.RequireState(t, env.Engine, c.ID, c.State).Version, "nothing written")
		})
	}
	var doc coaching.Document
	got, err := env.Engine.ChangeCase(ctx, ct.Tutor, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
		if err := ch.AddRecord("note", map[string]string{"a": "b"}); err != nil {
			return err
		}
		var err error
		doc, err = ch.SaveDocument(plan)
		return err
	})
	require.NoError(t, err, "a record rides along with the document's entry")
	assert.Equal(t, got.Version, doc.Seq)
	got, err = env.Engine.Case(ctx, ct.Tutor, c.ID)
	require.NoError(t, err)
	rec, ok := got.Record("note")
	require.True(t, ok)
	assert.Equal(t, doc.Seq, rec.Seq)
}
