package outcomes

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

// Sink takes cases one at a time; [VALOAggregator] and [ESFAggregator] are
// sinks. A sink must not keep or change in or anything it points to.
type Sink interface {
	Add(in *Input)
}

// Resolver fills in the facts of one case. in is reused for every case:
// the resolver overwrites all of it. An error stops [Feed]; a missing fact
// is not an error (leave it unknown).
type Resolver func(ctx context.Context, c coaching.Case, in *Input) error

// Feed streams cases (typically coaching.Store.Cases) through resolve into
// the sinks, one at a time, and returns how many cases it fed. Memory stays
// flat: one Input is reused and nothing is kept per case. It stops at the
// first error from the stream, the resolver or the context.
func Feed(ctx context.Context, cases iter.Seq2[coaching.Case, error], resolve Resolver, sinks ...Sink) (int64, error) {
	if cases == nil {
		return 0, errors.New("outcomes: no case stream")
	}
	if resolve == nil {
		resolve = CaseOnly
	}
	var in Input
	var n int64
	for c, err := range cases {
		if err != nil {
			return n, err
		}
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		if err := resolve(ctx, c, &in); err != nil {
			return n, err
		}
		for _, s := range sinks {
			s.Add(&in)
		}
		n++
	}
	return n, ctx.Err()
}

// FeedInputs feeds a stream of ready inputs into the sinks.
func FeedInputs(inputs iter.Seq2[*Input, error], sinks ...Sink) (int64, error) {
	if inputs == nil {
		return 0, errors.New("outcomes: no input stream")
	}
	var n int64
	for in, err := range inputs {
		if err != nil {
			return n, err
		}
		for _, s := range sinks {
			s.Add(in)
		}
		n++
	}
	return n, nil
}

// CaseOnly is a resolver that knows only the case (no participant, no
// destination); every participant fact is unknown.
func CaseOnly(_ context.Context, c coaching.Case, in *Input) error {
	*in = Input{Case: c}
	return nil
}

// StoreResolver resolves a case's facts from a store: the participant
// (a participant that is not found leaves every fact unknown), the
// destination recorded on the case as pathway.RecordDestination, and the
// checkpoint statuses recorded as pathway.RecordUponLeaving and
// pathway.RecordSixMonths (pathway.CheckpointResult payloads). Upon
// leaving, the ESF rule applies to both observations the case holds: of
// the upon-leaving result and the destination, when dated within the 28
// days after the case closed, the one observed last counts (the result on
// a tie). A record that
// does not decode is treated as missing. The records are the case's
// (Case.Records) when it carries any, else the latest of those three read
// from the store with the participant (a case row, as Store.Cases streams
// it, carries none). The entry date is the date the case was opened. The
// returned resolver is not safe for concurrent use.
func StoreResolver(store coaching.Store) Resolver {
	if store == nil {
		return func(context.Context, coaching.Case, *Input) error { return errors.New("outcomes: no store") }
	}
	r := &storeResolver{store: store}
	return r.resolve
}

type storeResolver struct {
	store coaching.Store
	dest  pathway.Destination
	id    coaching.ParticipantID
	p     coaching.Participant
	err   error
	view  func(tx coaching.ReadTx) error
	ctx   context.Context
	// c is the case being resolved; its records are read in the view
	// when it carries none (a case row, as Store.Cases streams it).
	c *coaching.Case
}

// figureRecords are the records the figures read: the latest of each.
var figureRecords = coaching.RecordQuery{Names: []string{pathway.RecordDestination, pathway.RecordUponLeaving, pathway.RecordSixMonths}, Latest: true}

func (r *storeResolver) resolve(ctx context.Context, c coaching.Case, in *Input) error {
	if r.view == nil {
		r.view = func(tx coaching.ReadTx) error {
			if r.c.Records == nil {
				records, err := tx.Records(r.ctx, r.c.ID, figureRecords)
				if err != nil {
					return err
				}
				r.c.Records = records
			}
			r.p, r.err = tx.Participant(r.ctx, r.c.Organisation, r.id)
			return nil
		}
	}
	r.ctx, r.id, r.c = ctx, c.ParticipantID, &c
	if err := r.store.View(ctx, r.view); err != nil {
		return err
	}
	r.ctx, r.c = nil, nil
	found := false
	switch {
	case r.err == nil:
		found = true
	case !errors.Is(r.err, coaching.ErrNotFound):
		return r.err
	}
	r.fill(&c, &r.p, found, in)
	return nil
}

// fill sets in from a case and its participant (when found): the
// destination and follow-up records are read from the case.
func (r *storeResolver) fill(c *coaching.Case, p *coaching.Participant, found bool, in *Input) {
	*in = Input{Case: *c}
	if found {
		in.Participant = *p
	}
	dest, _ := recordData(c, pathway.RecordDestination)
	upon, hasUpon := recordData(c, pathway.RecordUponLeaving)
	six, hasSix := recordData(c, pathway.RecordSixMonths)
	r.records(in, dest, upon, hasUpon, six, hasSix)
}

// records sets the destination and the follow-up statuses of in from the
// data of the latest destination, upon-leaving and six-month records (has*
// report whether there is such a record). in.Case's instants must be set.
func (r *storeResolver) records(in *Input, dest, upon []byte, hasUpon bool, six []byte, hasSix bool) {
	if dest != nil && decodeDestination(dest, &r.dest) {
		in.Destination = &r.dest
	}
	in.UponLeaving = uponLeaving(&in.Case, upon, hasUpon, in.Destination)
	in.SixMonths, _ = checkpointStatus(six, hasSix)
}

// uponLeaving applies the ESF rule — the last status observed in the 28
// days after leaving counts — to the upon-leaving result recorded on c
// (its data, when has) and to dest. The destination counts when it is
// dated inside the window and after the result's observation (a result
// with no observation date is taken as the last word).
func uponLeaving(c *coaching.Case, upon []byte, has bool, dest *pathway.Destination) pathway.Kind {
	status, observed := checkpointStatus(upon, has)
	if dest == nil || !dest.Kind.Valid() || dest.Kind == pathway.Unknown || !c.Closed() {
		return status
	}
	closed := coaching.DateOf(c.ClosedAt)
	window := pathway.Checkpoint{Kind: pathway.UponLeaving, From: closed, To: closed.AddDays(pathway.UponLeavingDays)}
	if !window.Contains(dest.Date) {
		return status
	}
	if status == pathway.Unknown || (!observed.IsZero() && dest.Date.After(observed)) {
		return dest.Kind
	}
	return status
}

// checkpointStatus returns the status recorded in a checkpoint record's
// data (when has) and the date it was observed; Unknown when there is
// none or it does not decode.
func checkpointStatus(data []byte, has bool) (pathway.Kind, coaching.Date) {
	if !has || notFound(data) {
		return pathway.Unknown, coaching.Date{}
	}
	var res pathway.CheckpointResult
	if !fastCheckpoint(data, &res) && json.Unmarshal(data, &res) != nil {
		return pathway.Unknown, coaching.Date{}
	}
	if !res.Found || !res.Status.Valid() {
		return pathway.Unknown, coaching.Date{}
	}
	return res.Status, res.ObservedOn
}

// notFound reports whether data is an object whose (last) found member is
// false, written plainly: whether it decodes or not, such a result is not
// found, so it need not be decoded.
func notFound(data []byte) bool {
	found, plain := []byte(nil), true
	err := eachMember(data, func(key, val []byte) bool {
		if string(key) == "found" {
			found = val
		} else if foldsTo(key, "found") {
			plain = false
		}
		return plain
	})
	return err == nil && plain && string(found) == "false"
}

// decodeDestination decodes a destination record: a plain one (see
// fastDestination; the form the engine writes and the form jsonb prints)
// without encoding/json, anything else through it. It reports false for data that does not decode to a valid
// destination.
func decodeDestination(data []byte, d *pathway.Destination) bool {
	if fastDestination(data, d) {
		return true
	}
	*d = pathway.Destination{}
	if json.Unmarshal(data, d) != nil || d.Validate() != nil {
		*d = pathway.Destination{}
		return false
	}
	return true
}

func parseISODate(b []byte) (coaching.Date, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return coaching.Date{}, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(b[0:4])
	m, ok2 := num(b[5:7])
	dd, ok3 := num(b[8:10])
	d := coaching.Date{Year: y, Month: time.Month(m), Day: dd}
	return d, ok1 && ok2 && ok3 && d.Valid()
}

// FromStore streams the cases matching q out of store, resolves each with
// [StoreResolver] and feeds them to the sinks. A store that implements
// [FactsStreamer] (the figures port) streams only the facts the figures
// read; then a sink sees, in [Input.Case], the case's id, participant,
// organisation, model, state, version and opening and closing instants
// (no history, team, records or flags) and, in [Input.Participant], the
// participant's id, birth date and background (no names, contacts or
// identity code). Otherwise a store that implements coaching.CaseStreamer
// streams each case with its participant in one pass, without a read per
// case, and the sinks see whole cases and participants. The figures are
// the same on every path.
func FromStore(ctx context.Context, store coaching.Store, q coaching.CaseQuery, sinks ...Sink) (int64, error) {
	if store == nil {
		return 0, errors.New("outcomes: no store")
	}
	if facts, ok := store.(FactsStreamer); ok {
		return feedFacts(ctx, facts, q, sinks)
	}
	streamer, ok := store.(coaching.CaseStreamer)
	if !ok {
		return Feed(ctx, store.Cases(ctx, q), StoreResolver(store), sinks...)
	}
	return feedCaseRows(ctx, streamer.CasesWithParticipants(ctx, q), sinks)
}

// feedCaseRows feeds the sinks from cases streamed with their participants.
func feedCaseRows(ctx context.Context, rows iter.Seq2[*coaching.CaseRow, error], sinks []Sink) (int64, error) {
	var r storeResolver
	return feedRows(ctx, rows, func(row *coaching.CaseRow, in *Input) error {
		r.fill(row.Case, row.Participant, row.HasParticipant, in)
		return nil
	}, sinks)
}

// feedRows feeds the sinks an Input filled from each row, reusing one
// Input; it stops at the first error from the rows, fill or ctx.
func feedRows[T any](ctx context.Context, rows iter.Seq2[T, error], fill func(T, *Input) error, sinks []Sink) (int64, error) {
	var (
		in Input
		n  int64
	)
	for row, err := range rows {
		if err != nil {
			return n, err
		}
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		if err := fill(row, &in); err != nil {
			return n, err
		}
		for _, s := range sinks {
			s.Add(&in)
		}
		n++
	}
	return n, ctx.Err()
}

// feedFacts is FromStore through the figures port.
func feedFacts(ctx context.Context, facts FactsStreamer, q coaching.CaseQuery, sinks []Sink) (int64, error) {
	var x factsFiller
	return feedRows(ctx, facts.CaseFacts(ctx, q), x.fill, sinks)
}

// FromEngine is [FromStore] for an actor, under the engine's access policy:
// figures are an operation on an organisation (coaching.OpReadFigures).
// An actor of one organisation gets their own organisation's figures
// (q.Organisation defaults to theirs); naming another is asked of the
// policy as such, and the default policy denies it. A funder
// (coaching.RoleFunder) reads figures across organisations in aggregate —
// the sinks aggregate; no case or person reaches the caller.
func FromEngine(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, q coaching.CaseQuery, sinks ...Sink) (int64, error) {
	if eng == nil {
		return 0, errors.New("outcomes: no engine")
	}
	src, err := eng.Figures(ctx, actor, q)
	if err != nil {
		return 0, err
	}
	// The figures port reads only what the policy allowed: the query
	// Figures returned.
	var facts FactsStreamer
	if src.Port(&facts) {
		return feedFacts(ctx, facts, src.Query(), sinks)
	}
	return feedCaseRows(ctx, src.Rows(ctx), sinks)
}
