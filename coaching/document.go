package coaching

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// maxDocumentBytes bounds one document version (a HOKS is tens of kB).
const maxDocumentBytes = 2 << 20

// Document is one version of a structured document attached to a case,
// such as the HOKS (kind "hoks"). Versions of a (case, kind) are numbered
// 1, 2, 3, ... and immutable: a change stores a new version. Every version
// is written in the same transaction as a new case version and an audit
// entry, so the document's history is part of the case's audit trail.
type Document struct {
	CaseID CaseID `json:"case_id"`
	Kind   string `json:"kind"`
	// Version counts the document's versions from 1.
	Version int64 `json:"version"`
	// Status is the document's lifecycle status as its owner package
	// defines it (e.g. "draft", "approved").
	Status string    `json:"status,omitempty"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	// Seq is the audit entry (and case version) that stored this version.
	Seq  int64           `json:"seq"`
	Data json.RawMessage `json:"data"`
}

// Clone returns a deep copy.
func (d Document) Clone() Document {
	d.Data = slices.Clone(d.Data)
	return d
}

// AuditDocument is the audit kind of a stored document version.
const AuditDocument AuditKind = "document"

// DocumentChange is the argument of [Engine.SaveDocument].
type DocumentChange struct {
	// Kind names the document, a lower-case identifier ("hoks").
	Kind string
	// BasedOn is the version the change was made from; 0 for the first
	// version. A change based on anything but the latest version is a
	// *ConflictError: two people editing one plan cannot overwrite each
	// other's work.
	BasedOn int64
	// Status is the lifecycle status of the new version.
	Status string
	// Data is the document as JSON (at most 2 MiB).
	Data json.RawMessage
	// Event names the change in the audit trail (e.g. "hoks_approved");
	// defaults to "save_<kind>".
	Event string
	// Reason is recorded in the audit entry.
	Reason string
	// Notices are enqueued in the same transaction.
	Notices []Notice
	// Timers are set in the same transaction.
	Timers []Timer
}

// SaveDocument stores a new version of a case's document, in one
// transaction with a new case version, an audit entry and the change's
// notices and timers. The policy's change_case rule decides who may (the
// default: the case's support team and the head of studies).
//
// Kinds starting "welfare_" are welfare (opiskeluhuolto) records: only a
// welfare role on the student's team may save or read them (the default
// policy's read_welfare rule). The kinds of a feature's registered
// [DocumentKind] are guarded as it says: a reserved family's (a
// referral's) are written only through the feature's own commands.
func (e *Engine) SaveDocument(ctx context.Context, actor Actor, id CaseID, ch DocumentChange) (Document, error) {
	return e.saveDocument(ctx, e.run(ctx), actor, id, ch, false)
}

// saveDocument stores a document version. A feature (Scope.SaveDocument)
// may write its reserved kinds, and guarded kinds the actor may not read
// back: who may write them is the feature's to decide.
func (e *Engine) saveDocument(ctx context.Context, run txRunner, actor Actor, id CaseID, ch DocumentChange, feature bool) (Document, error) {
	if err := e.screen(run, actor, OpChangeCase); err != nil {
		return Document{}, err
	}
	pr := problems{subject: "document change"}
	if !validName(ch.Kind) {
		pr.add("kind", "must be a lower-case identifier, got %q", ch.Kind)
	}
	fam := e.documentKind(ch.Kind)
	if !feature && fam != nil && fam.Reserved {
		pr.add("kind", "kinds starting %s are kept by the feature that registered them: use its commands", fam.Prefix)
	}
	switch {
	case len(ch.Data) == 0:
		pr.add("data", "required")
	case len(ch.Data) > maxDocumentBytes:
		pr.add("data", "larger than %d bytes", maxDocumentBytes)
	case !json.Valid(ch.Data):
		pr.add("data", "not valid JSON")
	}
	if ch.BasedOn < 0 {
		pr.add("based_on", "must not be negative")
	}
	checkText(&pr, "status", ch.Status, 64)
	checkText(&pr, "event", ch.Event, 64)
	checkMultiline(&pr, "reason", ch.Reason, 4000)
	if err := pr.err(); err != nil {
		return Document{}, err
	}
	event := ch.Event
	if event == "" {
		event = "save_" + ch.Kind
	}
	now := e.clock.Now()
	var doc Document
	err := run(func(tx Tx) error {
		c, err := e.caseFor(ctx, tx, actor, id, OpChangeCase)
		if err != nil {
			return err
		}
		if !feature && fam != nil {
			// Nobody writes what they may not know of.
			if _, _, err := e.askGuard(ctx, tx, actor, &c, fam, ""); err != nil {
				return err
			}
		}
		var latest int64
		switch last, err := tx.Document(ctx, id, ch.Kind, 0); {
		case err == nil:
			latest = last.Version
		case !isNotFound(err):
			return err
		}
		if ch.BasedOn != latest {
			return &ConflictError{CaseID: id, Subject: "document " + ch.Kind, Expected: ch.BasedOn, Current: latest}
		}
		next := c
		next.Version++
		doc = Document{CaseID: id, Kind: ch.Kind, Version: latest + 1, Status: ch.Status, At: now, By: actor.ID,
			Seq: next.Version, Data: slices.Clone(ch.Data)}
		entry := AuditEntry{CaseID: id, Seq: next.Version, At: now, Kind: AuditDocument, ActorID: actor.ID, Roles: slices.Clone(actor.Roles),
			Event: event, From: c.State, To: c.State, Reason: ch.Reason,
			Payload: json.RawMessage(`{"kind":` + strconv.Quote(ch.Kind) + `,"version":` + strconv.FormatInt(doc.Version, 10) +
				`,"status":` + strconv.Quote(ch.Status) + `}`)}
		if err := tx.UpdateCase(ctx, next, c.Version); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, entry); err != nil {
			return err
		}
		if err := tx.PutDocument(ctx, doc); err != nil {
			return err
		}
		for _, n := range e.stampNotices(ch.Kind, ch.Notices) {
			if _, err := tx.Enqueue(ctx, n); err != nil {
				return err
			}
		}
		for _, t := range ch.Timers {
			if err := tx.PutTimer(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Document{}, err
	}
	return doc, nil
}

// caseFor loads a case for op after the policy allowed it.
func (e *Engine) caseFor(ctx context.Context, tx ReadTx, actor Actor, id CaseID, op Operation) (Case, error) {
	c, err := tx.Case(ctx, id)
	if err != nil {
		return Case{}, err
	}
	if _, ok := e.models[c.Model]; !ok {
		return Case{}, fmt.Errorf("valmennus: case %q uses model %q, which this engine was not given", c.ID, c.Model)
	}
	if _, _, err := e.authorize(ctx, tx, actor, op, &c, "", "", nil); err != nil {
		return Case{}, err
	}
	return c, nil
}

func isNotFound(err error) bool {
	_, ok := err.(*NotFoundError)
	return ok || err == ErrNotFound
}
