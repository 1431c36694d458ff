package hoks_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// A demonstration result given to the engine directly, as JSON, is
// checked like one RecordResult stores: AttachRules declares the record.
func TestDemonstrationResultRecordIsTyped(t *testing.T) {
	spec := coaching.VALOSpec()
	require.NoError(t, hoks.AttachRules(&spec, coaching.ValoStartAcquisition, coaching.ValoStartDemonstration))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	e := newHoksEnv(t, m)
	record := func(payload json.RawMessage) error {
		_, err := e.Engine.ChangeCase(context.Background(), ct.Coach, coaching.OpChangeCase, e.id, func(ch *coaching.CaseChange) error {
			return ch.Record(hoks.RecordDemonstrationResult, payload, "")
		})
		return err
	}
	for _, bad := range []struct{ json, field string }{
		{`{"unit":"tutkinnonosat_106233","grade":"excellent","date":"2024-05-02","competence_points":15}`, "payload.grade"},
		{`{"unit":"tutkinnonosat_106233","grade":"3","date":"2024-05-02","competence_points":15,"extra":1}`, "payload"},
	} {
		ct.RequireInvalid(t, record(json.RawMessage(bad.json)), bad.field)
	}
	require.NoError(t, record(json.RawMessage(`{"unit":"tutkinnonosat_106233","grade":"3","date":"2024-05-02","competence_points":15}`)))
}
