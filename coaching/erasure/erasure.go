// Package erasure erases a participant's personal data — on request (GDPR
// Art. 17, [Service.Erase]) and when a retention period has passed
// ([Service.ApplyRetention]) — and keeps what the outcome figures count, so
// the VALO table and the ESF indicators are the same before and after.
//
// It is a feature built on the coaching kernel's extension points. An
// erasure is a policy-scoped change of the participant under the erase
// operation ([coaching.Engine.ChangeParticipant]): the package decides what
// the participant keeps (the figures' facts) and which case records the
// figures keep ([Options]); the kernel erases each case
// ([coaching.CaseChange.Erase]), because only the kernel knows where a
// case's data lives — the store's PurgeCase and, through
// [coaching.FeatureEraser], what a store keeps for feature packages. A
// retention run is the engine's own action, run with the host's
// [coaching.SystemKey] ([coaching.Engine.System]). The package keeps no data
// of its own.
package erasure

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Options say what an erasure keeps for the figures. The zero value (and
// nil) keeps no case record.
type Options struct {
	// KeepRecords names the case records the outcome figures count (for
	// the VALO table: pathway.ErasureOptions keeps the destination and the
	// follow-up checkpoints). Every other record is removed.
	KeepRecords []string
	// ScrubRecord, when set, rewrites a kept record's data, e.g. to drop
	// a free-text note that might name a person; it must return JSON. An
	// error aborts the erasure.
	ScrubRecord func(name string, data json.RawMessage) (json.RawMessage, error)
}

// keep is the one place that decides what becomes of a case record in an
// erasure: whether it is kept (KeepRecords) and with what data
// (ScrubRecord). The kernel applies it wherever it keeps the records.
func (o *Options) keep(name string, data json.RawMessage) (json.RawMessage, bool, error) {
	if o == nil || !slices.Contains(o.KeepRecords, name) {
		return nil, false, nil
	}
	if o.ScrubRecord == nil {
		return data, true, nil
	}
	out, err := o.ScrubRecord(name, data)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// Report tells what an erasure did.
type Report struct {
	// Organisation and Participant name the participant erased (ids are
	// scoped per organisation).
	Organisation coaching.OrganisationID
	Participant  coaching.ParticipantID
	// Cases are the participant's cases that were purged.
	Cases []coaching.CaseID
	// RecordsRemoved counts case records removed (kept ones are not
	// counted).
	RecordsRemoved int
	// AlreadyErased is true when the participant had been erased before;
	// nothing was changed.
	AlreadyErased bool
}

// Service erases participants over an engine.
type Service struct {
	eng *coaching.Engine
}

// New returns the erasure commands of eng.
func New(eng *coaching.Engine) (*Service, error) {
	if eng == nil {
		return nil, errors.New("erasure: New: engine is nil")
	}
	return &Service{eng: eng}, nil
}

// Erase erases a participant's personal data on request and keeps what
// the outcome figures count:
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
//     record and timer of the case is deleted, the reasons and payloads of
//     its audit entries are cleared, and the free text a feature keeps
//     about the case (the topics and peer-support notes of its coaching
//     sessions) is erased; a new audit entry records the erasure;
//   - attendance marks and risk flags stay (coaching/attendance keeps
//     them; they hold no free text a person typed) and the access log
//     keeps its entries (it is the controller's accountability).
//
// The erasure and its access-log entry are one transaction. The policy's
// erase rule decides who may erase (the default: the organisation's head
// of studies). Cases opened for the participant while the erasure runs are
// not erased; erase again. Erasing an erased participant changes nothing
// (Report.AlreadyErased). id names a participant of the actor's
// organisation (ids are scoped per organisation; see
// [coaching.Engine.ChangeParticipant]): one of another organisation is not
// found.
func (s *Service) Erase(ctx context.Context, actor coaching.Actor, id coaching.ParticipantID, opts *Options) (Report, error) {
	return erase(ctx, s.eng, actor, id, opts)
}

// erase erases participant id on eng for actor: a host's actor the policy
// allows, or the engine's own actor on a system engine.
func erase(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.ParticipantID, opts *Options) (Report, error) {
	var rep Report
	_, err := eng.ChangeParticipant(ctx, actor, coaching.OpErase, id, func(ch *coaching.ParticipantChange) error {
		p := ch.Participant()
		rep = Report{Organisation: p.Organisation, Participant: id}
		if !p.ErasedOn.IsZero() {
			rep.AlreadyErased = true
			return nil
		}
		cases := ch.Cases()
		entries := make([]coaching.Date, len(cases))
		for i, c := range cases {
			entries[i] = coaching.DateOf(c.OpenedAt)
		}
		erased := coaching.Participant{ID: p.ID, Organisation: p.Organisation, Language: p.Language, Background: p.Background,
			BirthDate: coarseBirthDate(p.BirthDate, entries), ErasedOn: coaching.DateOf(ch.Now())}
		if err := ch.Update(erased); err != nil {
			return err
		}
		return ch.EachCase(func(cc *coaching.CaseChange) error {
			removed, err := cc.Erase(opts.keep)
			if err != nil {
				return err
			}
			rep.RecordsRemoved += removed
			rep.Cases = append(rep.Cases, cc.Case().ID)
			return nil
		})
	})
	if err != nil {
		return Report{}, err
	}
	return rep, nil
}

// coarseBirthDate returns the latest date that gives the same age as
// birth on every entry date: the age groups of the figures are kept, the
// day of birth is not. With no entries it keeps the year only (1 January).
func coarseBirthDate(birth coaching.Date, entries []coaching.Date) coaching.Date {
	if !birth.Valid() {
		return coaching.Date{}
	}
	if len(entries) == 0 {
		return coaching.Date{Year: birth.Year, Month: time.January, Day: 1}
	}
	var best coaching.Date
	for i, e := range entries {
		age := birth.AgeOn(e)
		cand := coaching.Date{Year: e.Year - age, Month: e.Month, Day: e.Day}
		if !cand.Valid() { // 29 February in a common year
			cand = coaching.Date{Year: cand.Year, Month: time.February, Day: 28}
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
