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
	for _, bad := range []struct{ json, field string }{
		{`{"unit":"tutkinnonosat_106233","grade":"excellent","date":"2024-05-02","competence_points":15}`, "payload.grade"},
		{`{"unit":"tutkinnonosat_106233","grade":"3","date":"2024-05-02","competence_points":15,"extra":1}`, "payload"},
	} {
		_, err := e.Engine.AddRecord(context.Background(), ct.Coach, e.id, hoks.RecordDemonstrationResult, json.RawMessage(bad.json), nil)
		ct.RequireInvalid(t, err, bad.field)
	}
	_, err = e.Engine.AddRecord(context.Background(), ct.Coach, e.id, hoks.RecordDemonstrationResult,
		json.RawMessage(`{"unit":"tutkinnonosat_106233","grade":"3","date":"2024-05-02","competence_points":15}`), nil)
	require.NoError(t, err)
}
