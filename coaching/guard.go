package coaching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// This file keeps what concerns a guarded case document from reaching, by
// a side door, readers the policy keeps the document from. A feature
// registers the families of documents it keeps ([DocumentKind], passed in
// [Options.Documents]); the kernel registers its own welfare records
// ("welfare_", guarded by read_welfare). The audit entries a document's
// changes wrote and the notices sent about it concern that document, and
// every read that returns such entries or notices ([CaseView.AuditTrail],
// [CaseView.Notices]) shows them only to an actor who may know of the
// document itself — by the very question that guards it, asked with the
// document's own facts. The kernel knows no feature by
// name: a referral (coaching/referral) is guarded because the host passed
// its kinds.

// DocumentKind declares a family of case documents — every document kind
// that begins with Prefix, or (Exact) the one kind Prefix names — that a
// feature keeps and the policy guards.
// The kernel then shows what concerns one of them exactly as the document
// is shown:
//
//   - an audit entry of kind document or timer whose payload's "kind"
//     names a document of the family, and a notice whose
//     Data[NoticeDataDocument] names one, are shown only to an actor the
//     policy allows Guard on the case, asked with the document's Facts; a
//     document Facts cannot find hides them from everyone;
//   - an entry or a notice that concerns a document of the family without
//     naming it (written before entries and notices named their document:
//     an entry's event begins with one of Events, a notice's kind is one
//     of Notices) is shown only to an actor the policy allows read_welfare
//     when the family is welfare information, otherwise Guard without
//     facts;
//   - notices written with a change of a document of the family (in
//     DocumentChange.Notices, or with a timer whose TimerResult.Document
//     names one) are marked as concerning it;
//   - reading a stored version ([CaseView.Document], [CaseView.Documents])
//     needs read_welfare, which the access log records, when the family is
//     welfare information, and otherwise Guard with the document's facts
//     besides the operation the view was opened with;
//   - [CaseChange.SaveDocument] refuses a Reserved family's kinds, and writes
//     another family's only for an actor allowed read_welfare (welfare
//     information) or Guard without facts. The feature writes its own
//     through [Scope.SaveDocument] and shows them after [Scope.Guard].
//
// Prefixes must not overlap, nor overlap the kernel's "welfare_"; a host
// must pass the kinds of every feature whose documents its store keeps,
// or they are ordinary case documents to the kernel (a feature's own
// commands refuse to run without them: [Scope.Guard] fails on a kind no
// family covers).
type DocumentKind struct {
	// Prefix names the family: a lower-case identifier ending in "_"
	// ("referral_"), or with Exact the family's one kind.
	Prefix string
	// Exact makes the family the one document kind Prefix names (a
	// lower-case identifier that does not end in "_"), for a feature that
	// keeps one document per case: the HOKS, kind "hoks"
	// (hoks.Documents()).
	Exact bool
	// Guard is the operation the policy is asked before an actor learns
	// that a document of the family exists (e.g. OpReadReferral); one the
	// policy knows. Required.
	Guard Operation
	// Facts, if set, reads through tx what the policy decides Guard on
	// for one document of the family: who made it and whether it was
	// shared for teaching (they become Request.OwnRecord and
	// Request.SharedForTeaching). A document that does not exist is a
	// *NotFoundError. Facts runs inside the engine's transactions: it
	// reads through tx only, never through the engine.
	Facts func(ctx context.Context, tx ReadTx, c Case, kind string) (DocumentFacts, error)
	// Welfare marks the documents as welfare (opiskeluhuolto)
	// information: their stored versions are read only under
	// read_welfare.
	Welfare bool
	// Reserved documents are written only by their feature (through
	// Scope.SaveDocument); CaseChange.SaveDocument refuses them.
	Reserved bool
	// Private documents are read only through their feature's own
	// commands: CaseView.Document and CaseView.Documents refuse them (a
	// *ForbiddenError under rule feature_document, logged) whatever Guard
	// allows. A feature sets it when who may read a document depends on
	// more than the case — a message thread shown to its parties only, a
	// request whose free text only the deciders and the family see — so
	// that the generic read cannot show what the feature withholds. Audit
	// entries and notices about the documents are still shown as Guard
	// says.
	Private bool
	// Notices are the notice kinds that concern a document of the family
	// (e.g. a follow-up of it).
	Notices []string
	// Events are prefixes of the audit events that concern a document of
	// the family.
	Events []string
}

// DocumentFacts are the facts of one guarded document the policy decides
// on (see [DocumentKind.Facts]).
type DocumentFacts struct {
	// By is who made the document: Request.OwnRecord is set when it is
	// the actor asking.
	By string
	// SharedForTeaching: whoever made the document judged its existence
	// information needed for arranging teaching (the need-to-know
	// exception of the Student Welfare Act); it becomes
	// Request.SharedForTeaching.
	SharedForTeaching bool
}

// welfareDocuments are the kernel's own welfare records: any actor who may
// read welfare records knows of them, and no one else.
var welfareDocuments = DocumentKind{Prefix: "welfare_", Guard: OpReadWelfare, Welfare: true, Events: []string{"welfare_"}}

// documentKinds checks the host's families and returns them after the
// kernel's own.
func documentKinds(in []DocumentKind) ([]DocumentKind, error) {
	out := []DocumentKind{welfareDocuments}
	for i, d := range in {
		field := fmt.Sprintf("Options.Documents[%d]", i)
		switch {
		case d.Exact && (strings.HasSuffix(d.Prefix, "_") || !validName(d.Prefix)):
			return nil, fmt.Errorf("valmennus: New: %s.Prefix of an Exact family must be a lower-case identifier (the document kind) not ending in \"_\", got %q", field, d.Prefix)
		case !d.Exact && (!strings.HasSuffix(d.Prefix, "_") || !validName(d.Prefix)):
			return nil, fmt.Errorf("valmennus: New: %s.Prefix must be a lower-case identifier ending in \"_\", got %q", field, d.Prefix)
		}
		if d.Guard == "" {
			return nil, fmt.Errorf("valmennus: New: %s.Guard is empty: name the operation that guards %s documents", field, d.Prefix)
		}
		for _, o := range out {
			if overlap(&d, &o) {
				return nil, fmt.Errorf("valmennus: New: %s.Prefix %q overlaps the document kinds %q", field, d.Prefix, o.Prefix)
			}
		}
		for _, k := range d.Notices {
			if !validName(k) {
				return nil, fmt.Errorf("valmennus: New: %s.Notices: %q is not a notice kind (a lower-case identifier)", field, k)
			}
		}
		for _, ev := range d.Events {
			if ev == "" {
				return nil, fmt.Errorf("valmennus: New: %s.Events: an empty prefix would match every event", field)
			}
		}
		d.Notices, d.Events = slices.Clone(d.Notices), slices.Clone(d.Events)
		out = append(out, d)
	}
	return out, nil
}

// overlap reports whether some document kind would belong to both
// families a and b.
func overlap(a, b *DocumentKind) bool {
	switch {
	case a.Exact && b.Exact:
		return a.Prefix == b.Prefix
	case a.Exact:
		return strings.HasPrefix(a.Prefix, b.Prefix)
	case b.Exact:
		return strings.HasPrefix(b.Prefix, a.Prefix)
	}
	return strings.HasPrefix(a.Prefix, b.Prefix) || strings.HasPrefix(b.Prefix, a.Prefix)
}

// holds reports whether document kind belongs to the family.
func (d *DocumentKind) holds(kind string) bool {
	if d.Exact {
		return kind == d.Prefix
	}
	return strings.HasPrefix(kind, d.Prefix)
}

// describe names the family's kinds in a message.
func (d *DocumentKind) describe() string {
	if d.Exact {
		return "the kind " + d.Prefix
	}
	return "kinds starting " + d.Prefix
}

// documentKind returns the family document kind belongs to, or nil.
func (e *Engine) documentKind(kind string) *DocumentKind {
	for i := range e.docs {
		if e.docs[i].holds(kind) {
			return &e.docs[i]
		}
	}
	return nil
}

// errUnguarded: a feature asked about a kind no registered family covers.
func errUnguarded(kind string) error {
	return fmt.Errorf("valmennus: no registered DocumentKind covers the document kind %q: pass the kinds of the feature that keeps it in Options.Documents", kind)
}

// askGuard asks the policy the question that guards the document kind of
// case c (see [DocumentKind]): Guard with the document's facts, or for a
// document not named (kind ""), read_welfare for welfare information and
// Guard without facts otherwise. A document Facts cannot find is a
// *NotFoundError; a refusal is a *ForbiddenError.
func (e *Engine) askGuard(ctx context.Context, tx ReadTx, actor Actor, c *Case, fam *DocumentKind, kind string) (*Request, Decision, error) {
	op := fam.Guard
	var tune func(*Request)
	switch {
	case kind == "":
		if fam.Welfare {
			op = OpReadWelfare
		}
	case fam.Facts != nil:
		facts, err := fam.Facts(ctx, tx, *c, kind)
		if err != nil {
			return nil, Decision{}, err
		}
		tune = func(r *Request) {
			r.SharedForTeaching, r.OwnRecord = facts.SharedForTeaching, facts.By != "" && facts.By == actor.ID
		}
	}
	return e.authorize(ctx, tx, actor, op, c, "", "", tune)
}

// NoticeDataDocument is the key in [Notice.Data] naming the case document a
// notice concerns (e.g. "welfare_note_3"). A notice about a guarded
// document is shown only to actors who may know of that document.
const NoticeDataDocument = "document"

// concern is the guarded document an audit entry or a notice concerns:
// none (fam nil), one named by kind, or (kind "") one of fam not named.
type concern struct {
	fam  *DocumentKind
	kind string
}

// auditConcern returns the guarded document an audit entry concerns.
// Entries the engine writes about documents and timers carry it in their
// payload's "kind"; an entry without one whose event a family claims
// concerns an unnamed document of it.
func (e *Engine) auditConcern(a *AuditEntry) concern {
	if a.Kind != AuditDocument && a.Kind != AuditTimer {
		return concern{}
	}
	var p struct {
		Kind string `json:"kind"`
	}
	if len(a.Payload) > 0 && json.Unmarshal(a.Payload, &p) == nil && p.Kind != "" {
		if fam := e.documentKind(p.Kind); fam != nil {
			return concern{fam: fam, kind: p.Kind}
		}
		return concern{}
	}
	for i := range e.docs {
		for _, ev := range e.docs[i].Events {
			if strings.HasPrefix(a.Event, ev) {
				return concern{fam: &e.docs[i]}
			}
		}
	}
	return concern{}
}

// noticeConcern returns the guarded document a notice concerns.
func (e *Engine) noticeConcern(n *Notice) concern {
	if kind := n.Data[NoticeDataDocument]; kind != "" {
		if fam := e.documentKind(kind); fam != nil {
			return concern{fam: fam, kind: kind}
		}
	}
	for i := range e.docs {
		if slices.Contains(e.docs[i].Notices, n.Kind) {
			return concern{fam: &e.docs[i]}
		}
	}
	return concern{}
}

// stampNotices marks notices written with a change of a guarded document
// as concerning it, so that they are shown as the document is.
func (e *Engine) stampNotices(kind string, ns []Notice) []Notice {
	if kind == "" || e.documentKind(kind) == nil || len(ns) == 0 {
		return ns
	}
	out := make([]Notice, len(ns))
	for i, n := range ns {
		n.Data = maps.Clone(n.Data)
		if n.Data == nil {
			n.Data = map[string]string{}
		}
		n.Data[NoticeDataDocument] = kind
		out[i] = n
	}
	return out
}

// welfareFilter answers, for one actor and one case, whether the actor may
// see what concerns a guarded document, deciding each document once.
type welfareFilter struct {
	e     *Engine
	tx    ReadTx
	actor Actor
	c     *Case
	seen  map[string]bool
}

func (e *Engine) welfareFilter(tx ReadTx, actor Actor, c *Case) *welfareFilter {
	return &welfareFilter{e: e, tx: tx, actor: actor, c: c}
}

// visible reports whether the actor may know of the document. It asks the
// policy as a read of the document would, without writing the access log:
// nothing of the document is shown, and a hidden entry is no denial of
// what the actor asked for.
func (f *welfareFilter) visible(ctx context.Context, c concern) (bool, error) {
	if c.fam == nil {
		return true, nil
	}
	key := c.kind
	if key == "" {
		key = "\x00" + c.fam.Prefix // no kind begins with NUL
	}
	if v, ok := f.seen[key]; ok {
		return v, nil
	}
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	_, _, err := f.e.askGuard(ctx, f.tx, f.actor, f.c, c.fam, c.kind)
	var fe *ForbiddenError
	switch {
	case err == nil:
		f.seen[key] = true
	case errors.As(err, &fe), errors.Is(err, ErrNotFound):
		f.seen[key] = false
	default:
		return false, err
	}
	return f.seen[key], nil
}

// auditEntries returns the entries the actor may see.
func (f *welfareFilter) auditEntries(ctx context.Context, all []AuditEntry) ([]AuditEntry, error) {
	return keep(ctx, f, all, f.e.auditConcern)
}

// notices returns the notices the actor may see.
func (f *welfareFilter) notices(ctx context.Context, all []Notice) ([]Notice, error) {
	return keep(ctx, f, all, f.e.noticeConcern)
}

// keep returns the items the actor may see, each judged by the document it
// concerns.
func keep[T any](ctx context.Context, f *welfareFilter, all []T, about func(*T) concern) ([]T, error) {
	out := all[:0:0]
	for i := range all {
		ok, err := f.visible(ctx, about(&all[i]))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// RequireDocuments returns an error unless a document family registered
// with eng ([Options.Documents]) covers every one of kinds. A feature's
// constructor calls it, so that an engine built without the feature's
// documents is refused when the host wires it, not at the first write.
func RequireDocuments(eng *Engine, kinds ...string) error {
	if eng == nil {
		return errors.New("valmennus: the engine is nil")
	}
	for _, k := range kinds {
		if eng.documentKind(k) == nil {
			return errUnguarded(k)
		}
	}
	return nil
}
