package coaching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// ErasureOptions say what an erasure keeps for the figures. The zero value
// keeps no case record.
type ErasureOptions struct {
	// KeepRecords names the case records the outcome figures count (for
	// the VALO table: pathway.ErasureOptions keeps the destination and the
	// follow-up checkpoints). Every other record is removed.
	KeepRecords []string
	// ScrubRecord, when set, rewrites a kept record's data, e.g. to drop
	// a free-text note that might name a person. An error aborts the
	// erasure.
	ScrubRecord func(name string, data json.RawMessage) (json.RawMessage, error)
}

// ErasureReport tells what an erasure did.
type ErasureReport struct {
	Participant ParticipantID
	// Cases are the participant's cases that were purged.
	Cases []CaseID
	// RecordsRemoved counts case records removed (kept ones are not
	// counted).
	RecordsRemoved int
	// AlreadyErased is true when the participant had been erased before;
	// nothing was changed.
	AlreadyErased bool
}

// Erase erases a participant's personal data on request (GDPR Art. 17) and
// keeps what the outcome figures count, so the VALO table and the ESF
// indicators are the same before and after:
//
//   - the participant keeps the id, organisation, language and background
//     facts (gender, education, labour status, …: the figures' breakdowns);
//     names, identity code, contacts, guardians, consent and external ids
//     are removed, and the birth date is replaced by the latest date that
//     gives the same age at the entry of every case (the age groups stay,
//     the day of birth goes);
//   - each case keeps its states, phase history, dates and team (minus
//     guardians), and the records opts keeps; every document
//     version (HOKS, referrals, welfare records), every notice, idempotency
//     record and timer of the case is deleted, and the reasons and payloads
//     of its audit entries are cleared; a new audit entry records the
//     erasure;
//   - attendance marks and risk flags stay (coaching/attendance keeps
//     them; they hold no free text) and the access log
//     keeps its entries (it is the controller's accountability).
//
// The erasure and its access-log entry are one transaction. The policy's
// erase rule decides who may erase (the default: the organisation's head
// of studies). Cases opened for the participant while the erasure runs are
// not erased; erase again.
func (e *Engine) Erase(ctx context.Context, actor Actor, id ParticipantID, opts *ErasureOptions) (ErasureReport, error) {
	ids, err := e.caseIDsOf(ctx, id)
	if err != nil {
		return ErasureReport{}, err
	}
	var rep ErasureReport
	err = e.update(ctx, func(tx Tx) error {
		req, d, err := e.authorize(ctx, tx, actor, OpErase, nil, id, "", nil)
		if err != nil {
			return err
		}
		if err := tx.AppendAccess(ctx, e.accessEntry(req, d, "erasure")); err != nil {
			return err
		}
		if req.Participant == nil {
			return &NotFoundError{Kind: "participant", ID: string(id)}
		}
		rep, err = e.erase(ctx, tx, actor, *req.Participant, ids, opts)
		return err
	})
	if err != nil {
		return ErasureReport{}, err
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "participant erased", slog.String("participant_id", string(id)), slog.Int("cases", len(rep.Cases)))
	return rep, nil
}

// caseIDsOf lists the participant's cases. Cases are streamed outside
// transactions, so a bound engine cannot list them inside the host's.
func (e *Engine) caseIDsOf(ctx context.Context, id ParticipantID) ([]CaseID, error) {
	if e.bound {
		return nil, errBound
	}
	var ids []CaseID
	for c, err := range e.store.Cases(ctx, CaseQuery{Participant: id}) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, c.ID)
	}
	return ids, nil
}

func (e *Engine) erase(ctx context.Context, tx Tx, actor Actor, p Participant, ids []CaseID, opts *ErasureOptions) (ErasureReport, error) {
	if opts == nil {
		opts = &ErasureOptions{}
	}
	rep := ErasureReport{Participant: p.ID}
	if !p.ErasedOn.IsZero() {
		rep.AlreadyErased = true
		return rep, nil
	}
	now := e.clock.Now()
	cases := make([]Case, 0, len(ids))
	for _, cid := range ids {
		c, err := tx.Case(ctx, cid)
		if err != nil {
			return ErasureReport{}, err
		}
		if c.ParticipantID != p.ID {
			continue
		}
		cases = append(cases, c)
	}
	entries := make([]Date, len(cases))
	for i, c := range cases {
		entries[i] = DateOf(c.OpenedAt)
	}
	erased := Participant{ID: p.ID, Organisation: p.Organisation, Language: p.Language, Background: p.Background,
		BirthDate: coarseBirthDate(p.BirthDate, entries), ErasedOn: DateOf(now)}
	erased.Background = p.clone().Background
	if err := tx.UpdateParticipant(ctx, erased); err != nil {
		return ErasureReport{}, err
	}
	for _, c := range cases {
		if err := tx.PurgeCase(ctx, c.ID); err != nil {
			return ErasureReport{}, err
		}
		// The records are kept beside the row (Case.Records): the ones the
		// figures count stay, scrubbed, and the others go.
		records, err := tx.Records(ctx, c.ID, RecordQuery{})
		if err != nil {
			return ErasureReport{}, err
		}
		kept := make([]Record, 0, len(records))
		for _, r := range records {
			if !slices.Contains(opts.KeepRecords, r.Name) {
				rep.RecordsRemoved++
				continue
			}
			if opts.ScrubRecord != nil {
				data, err := opts.ScrubRecord(r.Name, r.Data)
				if err != nil {
					return ErasureReport{}, fmt.Errorf("valmennus: erasure: scrubbing record %s of case %s: %w", r.Name, c.ID, err)
				}
				r.Data = data
			}
			kept = append(kept, r)
		}
		next := c.Clone()
		next.Version++
		next.History, next.Records = nil, nil
		next.Team = slices.DeleteFunc(next.Team, func(m TeamMember) bool { return m.Role == RoleGuardian })
		if err := tx.UpdateCase(ctx, next, c.Version); err != nil {
			return ErasureReport{}, err
		}
		entry := AuditEntry{CaseID: c.ID, Seq: next.Version, At: now, Kind: AuditErased, ActorID: actor.ID,
			Roles: slices.Clone(actor.Roles), From: c.State, To: c.State}
		if err := tx.AppendAudit(ctx, entry); err != nil {
			return ErasureReport{}, err
		}
		if len(records) > 0 {
			if err := tx.ReplaceRecords(ctx, c.ID, kept); err != nil {
				return ErasureReport{}, err
			}
		}
		rep.Cases = append(rep.Cases, c.ID)
	}
	return rep, nil
}

// coarseBirthDate returns the latest date that gives the same age as
// birth on every entry date: the age groups of the figures are kept, the
// day of birth is not. With no entries it keeps the year only (1 January).
func coarseBirthDate(birth Date, entries []Date) Date {
	if !birth.Valid() {
		return Date{}
	}
	if len(entries) == 0 {
		return Date{Year: birth.Year, Month: time.January, Day: 1}
	}
	var best Date
	for i, e := range entries {
		age := birth.AgeOn(e)
		cand := Date{Year: e.Year - age, Month: e.Month, Day: e.Day}
		if !cand.Valid() { // 29 February in a common year
			cand = Date{Year: cand.Year, Month: time.February, Day: 28}
		}
		if i == 0 || cand.Before(best) {
			best = cand
		}
	}
	// best is on or after the real birth date, which gives the right ages;
	// step back to the first date that does (at most a year, in practice
	// none).
	for d := best; !d.Before(birth); d = d.AddDays(-1) {
		ok := true
		for _, e := range entries {
			if d.AgeOn(e) != birth.AgeOn(e) {
				ok = false
				break
			}
		}
		if ok {
			return d
		}
	}
	return birth
}

// RetentionRule removes personal data past its period: a participant whose
// cases are all closed, the last one longer ago than After, is erased as by
// [Engine.Erase] (the figures' counts stay).
type RetentionRule struct {
	// After is the retention period after the last case closed, e.g.
	// Months(60) for five years. Required.
	After Period
	// Erasure says what the erasures keep.
	Erasure *ErasureOptions
	// Limit caps the participants erased in one call (0: no cap), so a
	// first run over years of data can be spread out.
	Limit int
}

// RetentionReport lists what [Engine.ApplyRetention] erased.
type RetentionReport struct {
	Erased []ErasureReport
	// Remaining counts the participants past their period not erased
	// because of Limit.
	Remaining int
}

// ApplyRetention erases every participant whose retention period has
// passed on now. It is the engine's own action, like [Engine.Tick]: it runs
// as the engine's own actor (id "system"), not through the policy, and each erasure is written to
// the access log under the rule "retention". Each participant is erased
// in a transaction of its own.
func (e *Engine) ApplyRetention(ctx context.Context, now time.Time, rule RetentionRule) (RetentionReport, error) {
	if e.bound {
		return RetentionReport{}, errBound
	}
	if rule.After.IsZero() || rule.After.Months < 0 || rule.After.Days < 0 {
		return RetentionReport{}, &ValidationError{Subject: "retention rule", Problems: []FieldProblem{{Field: "after", Message: "required: a positive period"}}}
	}
	type state struct {
		open       bool
		lastClosed time.Time
		ids        []CaseID
	}
	byParticipant := map[ParticipantID]*state{}
	var order []ParticipantID
	for c, err := range e.store.Cases(ctx, CaseQuery{}) {
		if err != nil {
			return RetentionReport{}, err
		}
		st, ok := byParticipant[c.ParticipantID]
		if !ok {
			st = &state{}
			byParticipant[c.ParticipantID] = st
			order = append(order, c.ParticipantID)
		}
		st.ids = append(st.ids, c.ID)
		if !c.Closed() {
			st.open = true
		} else if c.ClosedAt.After(st.lastClosed) {
			st.lastClosed = c.ClosedAt
		}
	}
	today := DateOf(now)
	var rep RetentionReport
	for _, pid := range order {
		st := byParticipant[pid]
		if st.open || pid == "" || !rule.After.AddTo(DateOf(st.lastClosed)).Before(today) {
			continue
		}
		if rule.Limit > 0 && len(rep.Erased) == rule.Limit {
			rep.Remaining++
			continue
		}
		var r ErasureReport
		err := e.store.Update(ctx, func(tx Tx) error {
			p, err := tx.Participant(ctx, pid)
			if err != nil {
				return err
			}
			if !p.ErasedOn.IsZero() {
				r = ErasureReport{Participant: pid, AlreadyErased: true}
				return nil
			}
			sys := systemActor()
			entry := AccessEntry{At: e.clock.Now(), ActorID: sys.ID, Roles: sys.Roles, Organisation: p.Organisation,
				Operation: OpErase, ParticipantID: pid, Allowed: true, Rule: "retention", Subject: "erasure"}
			if err := tx.AppendAccess(ctx, entry); err != nil {
				return err
			}
			r, err = e.erase(ctx, tx, sys, p, st.ids, rule.Erasure)
			return err
		})
		switch {
		case errors.Is(err, ErrNotFound):
			continue // cases without a stored participant: nothing personal to erase
		case err != nil:
			return rep, err
		}
		if !r.AlreadyErased {
			rep.Erased = append(rep.Erased, r)
		}
	}
	return rep, nil
}
