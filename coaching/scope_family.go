package coaching

import "errors"

// This file holds the kernel's small additions for the features of
// families' two-way contact (coaching/message, coaching/contactchange):
// documents a guardian or a student writes under the operation the policy
// allows them (send_message, propose_change) rather than change_case,
// which is staff's; the question whether a notice concerns a guarded
// document; and a feature's reserved document saved with a change of the
// participant.

// SaveDocumentAs is [Scope.SaveDocument] asking the policy for op on the
// case instead of change_case: a feature stores what a family writes — a
// reply to a notice (OpSendMessage), a proposed change (OpProposeChange) —
// under the operation the policy lets them do, with a new case version,
// its audit entry (by the scope's actor) and the change's notices and
// timers, in the scope's transaction. Like SaveDocument it writes the
// kinds a [DocumentKind] reserves to its feature; which actor may write
// which document is the feature's to decide. A refusal is a
// *ForbiddenError whose entry is logged. A read scope saves nothing.
func (s *Scope) SaveDocumentAs(op Operation, id CaseID, dc DocumentChange) (Document, error) {
	if s.w == nil {
		return Document{}, errors.New("valmennus: a read scope saves no document (Engine.Write opens one that does)")
	}
	if op == "" {
		return Document{}, errors.New("valmennus: SaveDocumentAs: the operation is empty")
	}
	var doc Document
	err := inTx(s.ctx, s.w)(func(tx Tx) error {
		_, err := s.e.changeCase(s.ctx, tx, s.actor, op, id, func(ch *CaseChange) error {
			var err error
			doc, err = ch.saveDocument(dc, true)
			return err
		})
		return err
	})
	if err != nil {
		return Document{}, err
	}
	return doc, nil
}

// NoticeDocument returns the registered family ([DocumentKind], the
// kernel's welfare records among them) of the guarded document notice n
// concerns — the one named in n.Data[NoticeDataDocument], or the family
// that claims n's kind — and whether it concerns one at all. A feature
// that answers notices asks it before it lets a notice's content travel
// on (a reply to a notice about a welfare record is refused).
func (s *Scope) NoticeDocument(n Notice) (DocumentKind, bool) {
	c := s.e.noticeConcern(&n)
	if c.fam == nil {
		return DocumentKind{}, false
	}
	return *c.fam, true
}

// SaveFeatureDocument is [CaseChange.SaveDocument] for the feature that
// registered the document's family: it writes a Reserved family's kinds
// (and a guarded kind the actor may not read back), so that a feature
// stores its document together with a change of the participant
// ([ParticipantChange.EachCase]) in one transaction — an approved change
// of contact details and the participant it changes —, or a feature that
// decides who may write its document by the operation it opens the
// change under (hoks: change_hoks, approve_hoks) stores it in that
// change. Which actor may write which document is the feature's to
// decide. A kind no registered family covers is an error (the host did
// not pass the feature's kinds in Options.Documents): a feature's
// document is never written unguarded.
func (ch *CaseChange) SaveFeatureDocument(dc DocumentChange) (Document, error) {
	if validName(dc.Kind) && ch.e.documentKind(dc.Kind) == nil {
		return Document{}, errUnguarded(dc.Kind)
	}
	return ch.saveDocument(dc, true)
}
