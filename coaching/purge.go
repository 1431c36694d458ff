package coaching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// What erasing a case means is the kernel's, because only the kernel knows
// where a case's data lives: the store's PurgeCase (documents, notices,
// idempotency records, timers, the reasons and payloads of audit entries),
// the records beside the case row (Tx.ReplaceRecords), the row's team,
// and — through FeatureEraser — what a store keeps for feature packages.
// Package coaching/erasure decides who, when and which records the
// figures keep.

// FeatureEraser is an optional interface of a write transaction ([Tx]): a
// store that keeps a feature package's own data holding free text about a
// person implements it, and every erasure of a case ([CaseChange.Erase])
// calls it after [Tx.PurgeCase], in the same transaction. A feature whose
// data is such declares it in its port (coaching/session's Store embeds
// it: the topic and peer-support text of the case's sessions), so a store
// cannot keep the feature's data without erasing it; the feature's
// conformance cases in adapters/storetest prove it.
type FeatureEraser interface {
	// EraseFeatureData erases what the store keeps about case id for
	// feature packages beyond the facts their figures need, as each
	// feature's port says; facts without free text (hours, dates, ids)
	// stay. A case the store keeps no such data of is no error.
	EraseFeatureData(ctx context.Context, id CaseID) error
}

// Erase erases the case for its participant's erasure (package
// coaching/erasure decides who may, when, and what the figures keep). When
// the change commits, the store purges the case ([Tx.PurgeCase]: every
// version of every document, the notices, idempotency records and timers
// of the case, and the reasons and payloads of its audit entries) and its
// feature data ([FeatureEraser]); the case keeps its states, dates,
// clocks, flags and its team without the guardians, and of its records
// only those keep keeps, with the data keep returns; the change's audit
// entry is the erasure's own (kind erased, no reason or payload). The
// attendance marks and the access log stay.
//
// keep is called with each record's name and data (a copy) and returns the
// data to keep — rewritten, e.g. without a free-text note — and whether to
// keep the record at all; nil keep keeps none. An error from keep aborts
// the erasure. Erase returns how many records the erasure removes. Only a
// change opened under [OpErase] erases, and an erasure records nothing
// else (no Audit, records, notices or timers).
func (ch *CaseChange) Erase(keep func(name string, data json.RawMessage) (json.RawMessage, bool, error)) (removed int, err error) {
	if ch.op != OpErase {
		return 0, fmt.Errorf("valmennus: CaseChange.Erase: the change was opened under %s, not %s", ch.op, OpErase)
	}
	// The records are kept beside the case row (Case.Records): the ones
	// keep keeps stay, rewritten, and the others go (Tx.ReplaceRecords,
	// written when the change commits).
	records, err := ch.tx.Records(ch.ctx, ch.c.ID, RecordQuery{})
	if err != nil {
		return 0, err
	}
	kept := make([]Record, 0, len(records))
	for _, r := range records {
		if keep == nil {
			removed++
			continue
		}
		data, ok, err := keep(r.Name, slices.Clone(r.Data))
		if err != nil {
			return 0, fmt.Errorf("valmennus: erasure: record %s of case %s: %w", r.Name, ch.c.ID, err)
		}
		if !ok {
			removed++
			continue
		}
		if !json.Valid(data) {
			return 0, fmt.Errorf("valmennus: erasure: the data kept of record %s of case %s is not JSON", r.Name, ch.c.ID)
		}
		r.Data = slices.Clone(data)
		kept = append(kept, r)
	}
	ch.erased = &kept
	ch.hadRecords = len(records) > 0
	return removed, nil
}

// errErasureOnly: an erasure was combined with other writes of the change.
var errErasureOnly = errors.New("valmennus: an erasure records nothing else (no audit entry, records, notices or timers)")

// commitErasure writes an erasure (see CaseChange.Erase).
func (ch *CaseChange) commitErasure() (Case, error) {
	ctx, tx, c := ch.ctx, ch.tx, ch.c
	if ch.audit != nil || len(ch.records)+len(ch.notices)+len(ch.timers) > 0 {
		return Case{}, errErasureOnly
	}
	if err := tx.PurgeCase(ctx, c.ID); err != nil {
		return Case{}, err
	}
	if fe, ok := tx.(FeatureEraser); ok {
		if err := fe.EraseFeatureData(ctx, c.ID); err != nil {
			return Case{}, err
		}
	}
	next := c
	next.Version++
	next.History, next.Records = nil, nil // neither is the row's (Case.Records)
	next.Team = slices.DeleteFunc(slices.Clone(c.Team), func(m TeamMember) bool { return m.Role == RoleGuardian })
	if err := tx.UpdateCase(ctx, next, c.Version); err != nil {
		return Case{}, err
	}
	entry := AuditEntry{CaseID: c.ID, Seq: next.Version, At: ch.now, Kind: AuditErased, ActorID: ch.actor.ID,
		Roles: slices.Clone(ch.actor.Roles), From: c.State, To: c.State}
	if err := tx.AppendAudit(ctx, entry); err != nil {
		return Case{}, err
	}
	if ch.hadRecords {
		if err := tx.ReplaceRecords(ctx, c.ID, *ch.erased); err != nil {
			return Case{}, err
		}
	}
	return next, nil
}
