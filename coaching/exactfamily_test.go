package coaching_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// An Exact family is the one kind its Prefix names: it must not end in
// "_", must not overlap another family, and covers neither longer kinds
// nor other ones.
func TestExactDocumentFamily(t *testing.T) {
	opts := func(docs ...coaching.DocumentKind) *coaching.Options {
		return &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Documents: docs}
	}
	for name, docs := range map[string][]coaching.DocumentKind{
		"ends in _":      {{Prefix: "plan_", Exact: true, Guard: coaching.OpReadHOKS}},
		"not a name":     {{Prefix: "Plan", Exact: true, Guard: coaching.OpReadHOKS}},
		"no guard":       {{Prefix: "plan", Exact: true}},
		"twice":          {{Prefix: "plan", Exact: true, Guard: coaching.OpReadHOKS}, {Prefix: "plan", Exact: true, Guard: coaching.OpReadHOKS}},
		"inside family":  {{Prefix: "plan_", Guard: coaching.OpReadHOKS}, {Prefix: "plan_a", Exact: true, Guard: coaching.OpReadHOKS}},
		"family over it": {{Prefix: "plan_a", Exact: true, Guard: coaching.OpReadHOKS}, {Prefix: "plan_", Guard: coaching.OpReadHOKS}},
		"welfare":        {{Prefix: "welfare_x", Exact: true, Guard: coaching.OpReadHOKS}},
	} {
		_, err := coaching.New(memory.New(), opts(docs...))
		assert.Error(t, err, name)
	}
	_, err := coaching.New(memory.New(), opts(coaching.DocumentKind{Prefix: "plan", Exact: true, Guard: coaching.OpReadHOKS},
		coaching.DocumentKind{Prefix: "plan_note_", Guard: coaching.OpReadHOKS}))
	require.NoError(t, err, "an exact kind does not overlap a family whose prefix begins with it")

	ctx := context.Background()
	env := ct.New(t, &ct.Options{Engine: coaching.Options{Documents: []coaching.DocumentKind{
		{Prefix: "plan", Exact: true, Guard: coaching.OpReadHOKSSummary, Reserved: true}}}})
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	save := func(kind string, feature bool) error {
		_, err := env.Engine.ChangeCase(ctx, ct.Tutor, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
			dc := coaching.DocumentChange{Kind: kind, Data: json.RawMessage(`{}`)}
			var err error
			if feature {
				_, err = ch.SaveFeatureDocument(dc)
			} else {
				_, err = ch.SaveDocument(dc)
			}
			return err
		})
		return err
	}
	ct.RequireInvalid(t, save("plan", false), "kind")
	require.NoError(t, save("plans", false), "a longer kind is not the exact family's")
	require.NoError(t, save("plan", true), "the feature writes its reserved kind")
	err = save("other", true)
	require.Error(t, err, "a feature's document is never written unguarded")
	assert.Contains(t, err.Error(), "Options.Documents")
}
