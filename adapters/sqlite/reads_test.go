package sqlite_test

import (
	"context"

	"github.com/valmennus/valmennus/coaching"
)

// readAuditTrail reads a case's audit trail through a policy-scoped view
// of the case (read_case), as a host does.
func readAuditTrail(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID) ([]coaching.AuditEntry, error) {
	var trail []coaching.AuditEntry
	err := eng.ReadCase(ctx, actor, coaching.OpReadCase, id, func(v *coaching.CaseView) error {
		var err error
		trail, err = v.AuditTrail()
		return err
	})
	return trail, err
}
