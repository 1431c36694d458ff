package erasure

import (
	"context"
	"errors"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// RuleRetention is the rule under which the access log records the
// erasures of a retention run (with the actor "system").
const RuleRetention = "retention"

// RetentionRule removes personal data past its period: a participant whose
// cases are all closed, the last one longer ago than After, is erased as by
// [Service.Erase] (the figures' counts stay).
type RetentionRule struct {
	// After is the retention period after the last case closed, e.g.
	// coaching.Months(60) for five years. Required.
	After coaching.Period
	// Erasure says what the erasures keep.
	Erasure *Options
	// Limit caps the participants erased in one call (0: no cap), so a
	// first run over years of data can be spread out.
	Limit int
}

// RetentionReport lists what [Service.ApplyRetention] erased.
type RetentionReport struct {
	Erased []Report
	// Remaining counts the participants past their period not erased
	// because of Limit.
	Remaining int
}

// ApplyRetention erases every participant whose retention period has
// passed on now. It is the engine's own action, like
// [coaching.Engine.Tick]: no actor asks for it, so it runs with the key the
// host gave the engine (Options.SystemKey; see [coaching.Engine.System]) as
// the engine's own actor (id "system"), not through the policy, and each
// erasure is written to the access log under the rule "retention"
// ([RuleRetention]). Each participant is erased in a transaction of its
// own; participants already erased are passed over without a new entry.
// It reads the cases through the engine's figures source, the kernel's
// stream of cases ([coaching.Engine.Figures]), so it cannot run on a bound
// engine.
func (s *Service) ApplyRetention(ctx context.Context, key *coaching.SystemKey, now time.Time, rule RetentionRule) (RetentionReport, error) {
	if rule.After.IsZero() || rule.After.Months < 0 || rule.After.Days < 0 {
		return RetentionReport{}, &coaching.ValidationError{Subject: "retention rule", Problems: []coaching.FieldProblem{{Field: "after", Message: "required: a positive period"}}}
	}
	sys, actor, err := s.eng.System(key, RuleRetention)
	if err != nil {
		return RetentionReport{}, err
	}
	src, err := sys.Figures(ctx, actor, coaching.CaseQuery{})
	if err != nil {
		return RetentionReport{}, err
	}
	type state struct {
		open, erased bool
		lastClosed   time.Time
	}
	// Participant ids are scoped per organisation: the key is both.
	type pkey struct {
		org coaching.OrganisationID
		id  coaching.ParticipantID
	}
	byParticipant := map[pkey]*state{}
	var order []pkey
	for row, err := range src.Rows(ctx) {
		if err != nil {
			return RetentionReport{}, err
		}
		c := row.Case
		if !row.HasParticipant {
			continue // a case without a stored participant: nothing personal to erase
		}
		k := pkey{c.Organisation, c.ParticipantID}
		st, ok := byParticipant[k]
		if !ok {
			st = &state{erased: !row.Participant.ErasedOn.IsZero()}
			byParticipant[k] = st
			order = append(order, k)
		}
		if !c.Closed() {
			st.open = true
		} else if c.ClosedAt.After(st.lastClosed) {
			st.lastClosed = c.ClosedAt
		}
	}
	today := coaching.DateOf(now)
	var rep RetentionReport
	for _, k := range order {
		st := byParticipant[k]
		if st.open || st.erased || k.id == "" || !rule.After.AddTo(coaching.DateOf(st.lastClosed)).Before(today) {
			continue
		}
		if rule.Limit > 0 && len(rep.Erased) == rule.Limit {
			rep.Remaining++
			continue
		}
		// The engine's own actor addresses the participant in its
		// organisation (coaching.Engine.ChangeParticipant).
		inOrg := actor
		inOrg.Organisation = k.org
		r, err := erase(ctx, sys, inOrg, k.id, rule.Erasure)
		switch {
		case errors.Is(err, coaching.ErrNotFound):
			continue // erased from the store meanwhile: nothing personal to erase
		case err != nil:
			return rep, err
		}
		if !r.AlreadyErased {
			rep.Erased = append(rep.Erased, r)
		}
	}
	return rep, nil
}
