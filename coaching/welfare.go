package coaching

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
)

// This file keeps welfare (opiskeluhuolto) information from reaching, by a
// side door, readers the policy keeps it from. A referral or a welfare
// record is a case document; the audit entries its changes wrote and the
// notices sent about it concern that document, and every read that returns
// such entries or notices shows them only to an actor who may read the
// document itself — by the very rule that guards it (read_referral with
// the need-to-know exception for a referral, read_welfare for a welfare
// record). A teacher on the team who may not know of a referral sees no
// "referral_proposed" entry and no follow-up notice about it.

// NoticeDataDocument is the key in [Notice.Data] naming the case document a
// notice concerns (e.g. "referral_ab12" for a referral's follow-up). A
// notice about a welfare document is shown only to actors who may read
// that document.
const NoticeDataDocument = "document"

// welfareUnknown stands for a welfare document an entry or notice concerns
// without naming it (written before entries named their document): it is
// shown only to those who may read welfare records.
const welfareUnknown = "welfare_"

// concernedDocument returns the kind of the welfare document an audit
// entry concerns, or "". Entries the engine writes about documents and
// timers carry it in their payload's "kind"; a referral's entry without
// one counts as an unnamed welfare document.
func concernedDocument(a *AuditEntry) string {
	if a.Kind != AuditDocument && a.Kind != AuditTimer {
		return ""
	}
	var p struct {
		Kind string `json:"kind"`
	}
	if len(a.Payload) > 0 && json.Unmarshal(a.Payload, &p) == nil && p.Kind != "" {
		if isWelfareKind(p.Kind) {
			return p.Kind
		}
		return ""
	}
	if strings.HasPrefix(a.Event, "referral_") || strings.HasPrefix(a.Event, "welfare_") {
		return welfareUnknown
	}
	return ""
}

// noticeDocument returns the welfare document a notice concerns, or "".
func noticeDocument(n *Notice) string {
	if kind := n.Data[NoticeDataDocument]; isWelfareKind(kind) {
		return kind
	}
	if n.Kind == NoticeKindReferralFollowUp {
		return welfareUnknown
	}
	return ""
}

// stampNotices marks notices written with a change of a welfare document
// as concerning it, so that they are shown as the document is.
func stampNotices(kind string, ns []Notice) []Notice {
	if !isWelfareKind(kind) || len(ns) == 0 {
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
// see what concerns a welfare document, deciding each document once.
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

// visible reports whether the actor may read the document kind. It asks
// the policy as a read of the document would, without writing the access
// log: nothing of the document is shown, and a hidden entry is no denial of
// what the actor asked for.
func (f *welfareFilter) visible(ctx context.Context, kind string) (bool, error) {
	if kind == "" {
		return true, nil
	}
	if v, ok := f.seen[kind]; ok {
		return v, nil
	}
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	var tune func(*Request)
	op := OpReadWelfare
	if id, ok := strings.CutPrefix(kind, "referral_"); ok {
		_, r, err := readReferral(ctx, f.tx, f.c.ID, id)
		switch {
		case isNotFound(err):
			f.seen[kind] = false
			return false, nil
		case err != nil:
			return false, err
		}
		op = OpReadReferral
		tune = func(req *Request) {
			req.SharedForTeaching, req.OwnRecord = r.SharedForTeaching, r.ProposedBy == f.actor.ID
		}
	}
	_, _, err := f.e.authorize(ctx, f.tx, f.actor, op, f.c, "", "", tune)
	v := err == nil
	if _, denied := err.(*ForbiddenError); err != nil && !denied {
		return false, err
	}
	f.seen[kind] = v
	return v, nil
}

// auditEntries returns the entries the actor may see.
func (f *welfareFilter) auditEntries(ctx context.Context, all []AuditEntry) ([]AuditEntry, error) {
	out := all[:0:0]
	for i := range all {
		ok, err := f.visible(ctx, concernedDocument(&all[i]))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// notices returns the notices the actor may see.
func (f *welfareFilter) notices(ctx context.Context, all []Notice) ([]Notice, error) {
	out := all[:0:0]
	for i := range all {
		ok, err := f.visible(ctx, noticeDocument(&all[i]))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, all[i])
		}
	}
	return out, nil
}
