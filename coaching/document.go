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

// DocumentChange is the argument of [CaseChange.SaveDocument].
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

// SaveDocument stores a new version of the case's document with the
// change: the version, the change's audit entry (kind [AuditDocument],
// event dc.Event or "save_<kind>"), a new case version and the notices and
// timers of dc, in the change's transaction. Open the change under
// OpChangeCase: the policy's change_case rule decides who may (the
// default: the case's support team and the head of studies).
//
// Kinds starting "welfare_" are welfare (opiskeluhuolto) records: only a
// welfare role on the student's team may save or read them (the default
// policy's read_welfare rule). The kinds of a feature's registered
// [DocumentKind] are guarded as it says: a reserved family's (a
// referral's) are written only through the feature's own commands. A
// change based on anything but the latest version is a *ConflictError. A
// change records one audit entry, so it saves one document and calls
// neither Audit nor ChangeTeam besides.
func (ch *CaseChange) SaveDocument(dc DocumentChange) (Document, error) {
	return ch.saveDocument(dc, false)
}

// saveDocument is SaveDocument. A feature (Scope.SaveDocument) may write
// its reserved kinds, and guarded kinds the actor may not read back: who
// may write them is the feature's to decide.
func (ch *CaseChange) saveDocument(dc DocumentChange, feature bool) (Document, error) {
	e, c := ch.e, &ch.c
	pr := problems{subject: "document change"}
	if !validName(dc.Kind) {
		pr.add("kind", "must be a lower-case identifier, got %q", dc.Kind)
	}
	fam := e.documentKind(dc.Kind)
	if !feature && fam != nil && fam.Reserved {
		pr.add("kind", "documents of %s are kept by the feature that registered them: use its commands", fam.describe())
	}
	switch {
	case len(dc.Data) == 0:
		pr.add("data", "required")
	case len(dc.Data) > maxDocumentBytes:
		pr.add("data", "larger than %d bytes", maxDocumentBytes)
	case !json.Valid(dc.Data):
		pr.add("data", "not valid JSON")
	}
	if dc.BasedOn < 0 {
		pr.add("based_on", "must not be negative")
	}
	checkText(&pr, "status", dc.Status, 64)
	checkText(&pr, "event", dc.Event, 64)
	checkMultiline(&pr, "reason", dc.Reason, 4000)
	if err := pr.err(); err != nil {
		return Document{}, err
	}
	if err := ch.ownEntry(); err != nil {
		return Document{}, err
	}
	event := dc.Event
	if event == "" {
		event = "save_" + dc.Kind
	}
	if !feature && fam != nil {
		// Nobody writes what they may not know of.
		if _, _, err := e.askGuard(ch.ctx, ch.tx, ch.actor, c, fam, ""); err != nil {
			return Document{}, err
		}
	}
	var latest int64
	switch last, err := ch.tx.Document(ch.ctx, c.ID, dc.Kind, 0); {
	case err == nil:
		latest = last.Version
	case !isNotFound(err):
		return Document{}, err
	}
	if dc.BasedOn != latest {
		return Document{}, &ConflictError{CaseID: c.ID, Subject: "document " + dc.Kind, Expected: dc.BasedOn, Current: latest}
	}
	// The change writes one audit entry, so the case's next version is the
	// entry's and the document's Seq.
	doc := Document{CaseID: c.ID, Kind: dc.Kind, Version: latest + 1, Status: dc.Status, At: ch.now, By: ch.actor.ID,
		Seq: c.Version + 1, Data: slices.Clone(dc.Data)}
	ch.own = &AuditEntry{Kind: AuditDocument, Event: event, Reason: dc.Reason,
		Payload: json.RawMessage(`{"kind":` + strconv.Quote(dc.Kind) + `,"version":` + strconv.FormatInt(doc.Version, 10) +
			`,"status":` + strconv.Quote(dc.Status) + `}`)}
	ch.audit, ch.doc = ch.own, &doc
	ch.Notify(e.stampNotices(dc.Kind, dc.Notices)...)
	ch.SetTimer(dc.Timers...)
	return doc.Clone(), nil
}

// ownEntry refuses a kernel change method (SaveDocument, ChangeTeam) in a
// change that already records an audit entry: a change records one.
func (ch *CaseChange) ownEntry() error {
	if ch.audit == nil {
		return nil
	}
	return &ValidationError{Subject: "change", Problems: []FieldProblem{{Field: "audit",
		Message: fmt.Sprintf("the change already records its audit entry (%s %s); a change records one", ch.audit.Kind, ch.audit.Event)}}}
}

// saveDocument stores a document version in a change of its own, run by
// run; a feature (Scope.SaveDocument) may write its reserved kinds.
func (e *Engine) saveDocument(ctx context.Context, run txRunner, actor Actor, id CaseID, dc DocumentChange, feature bool) (Document, error) {
	if err := e.screen(run, actor, OpChangeCase); err != nil {
		return Document{}, err
	}
	var doc Document
	err := run(func(tx Tx) error {
		_, err := e.changeCase(ctx, tx, actor, OpChangeCase, id, func(ch *CaseChange) error {
			var err error
			doc, err = ch.saveDocument(dc, feature)
			return err
		})
		return err
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
