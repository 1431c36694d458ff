package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// Nothing the example prints or logs (at debug level) holds an identity
// code, although every participant has one in the store; nor do the
// participants, cases and audit trails as JSON.
func TestNoIdentityCodeInOutputOrLogs(t *testing.T) {
	var logs bytes.Buffer
	saved := logger
	logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() { logger = saved })
	ctx := context.Background()
	sim, err := simulate(ctx, Seed, memory.New())
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, sim.report(ctx, &out))
	require.NotZero(t, logs.Len(), "the engine logged at debug level")
	ct.RequireNoIdentityCodes(t, "the printed report", out.String())
	ct.RequireNoIdentityCodes(t, "the logs", logs.String())

	for _, c := range sim.cases {
		pid := c.member.Participant.ID
		code, err := ct.Read(ctx, sim.eng, Coordinator, func(s *coaching.Scope) (coaching.IdentityCode, error) { return s.IdentityCode(pid) })
		require.NoError(t, err)
		require.True(t, code.Equal(c.member.Participant.IdentityCode), "the scan means something only if the codes are there")
		p, err := ct.Read(ctx, sim.eng, Coordinator, func(s *coaching.Scope) (coaching.Participant, error) {
			return s.Participant(coaching.OpReadParticipant, pid)
		})
		require.NoError(t, err)
		cs, err := sim.eng.Case(ctx, Coordinator, c.id)
		require.NoError(t, err)
		trail, err := ct.ReadCase(ctx, sim.eng, Coordinator, coaching.OpReadCase, c.id, (*coaching.CaseView).AuditTrail)
		require.NoError(t, err)
		b, err := json.Marshal([]any{p, cs, trail})
		require.NoError(t, err)
		ct.RequireNoIdentityCodes(t, "participant, case and audit trail as JSON", string(b))
	}
	log, err := ct.Read(ctx, sim.eng, Coordinator, func(s *coaching.Scope) ([]coaching.AccessEntry, error) {
		return s.AccessLog(coaching.AccessQuery{ActorID: Coordinator.ID})
	})
	require.NoError(t, err)
	reads := 0
	for _, e := range log {
		if e.Operation == coaching.OpReadIdentityCode && e.Allowed {
			reads++
		}
	}
	require.Equal(t, len(sim.cases), reads, "every identity-code read is in the access log")
}
