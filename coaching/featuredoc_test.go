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

func TestDocumentIDs(t *testing.T) {
	assert.Equal(t, "ab12cd", coaching.DocumentID("AB-12_cd"))
	assert.Equal(t, "", coaching.DocumentID("ÄÖ-!"))
	assert.Len(t, coaching.DocumentID("0123456789abcdef0123456789abcdef0123"), 32)
	assert.True(t, coaching.ValidDocumentID("note_", "a_1"))
	for _, bad := range []string{"", "A1", "a-1", "a/../b", "ä", string(make([]byte, 60))} {
		assert.False(t, coaching.ValidDocumentID("note_", bad), "%q", bad)
	}
}

func TestReadDocumentJSON(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, &ct.Options{Engine: coaching.Options{Documents: []coaching.DocumentKind{{Prefix: "note_", Guard: coaching.OpReadCase, Reserved: true}}}})
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	type note struct {
		Text string `json:"text"`
	}
	require.NoError(t, env.Engine.Write(ctx, ct.Tutor, func(sc *coaching.Scope) error {
		if _, err := sc.SaveDocument(c.ID, coaching.DocumentChange{Kind: "note_a", Data: json.RawMessage(`{"text":"hei"}`)}); err != nil {
			return err
		}
		_, err := sc.SaveDocument(c.ID, coaching.DocumentChange{Kind: "note_b", Data: json.RawMessage(`[1]`)})
		return err
	}))
	require.NoError(t, env.Engine.Read(ctx, ct.Tutor, func(sc *coaching.Scope) error {
		doc, n, err := coaching.ReadDocumentJSON[note](ctx, sc.ReadTx(), c.ID, "note_", "a", "note")
		require.NoError(t, err)
		assert.Equal(t, "hei", n.Text)
		assert.Equal(t, int64(1), doc.Version)
		for _, id := range []string{"missing", "../x", ""} {
			_, _, err = coaching.ReadDocumentJSON[note](ctx, sc.ReadTx(), c.ID, "note_", id, "note")
			var nf *coaching.NotFoundError
			require.ErrorAs(t, err, &nf, id)
			assert.Equal(t, "note", nf.Kind)
		}
		_, _, err = coaching.ReadDocumentJSON[note](ctx, sc.ReadTx(), c.ID, "note_", "b", "note")
		assert.ErrorContains(t, err, "stored note b does not decode")
		return nil
	}))
}
