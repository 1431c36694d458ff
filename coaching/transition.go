package coaching

import (
	"context"
	"sync"
	"time"
)

// Transition is what a [Rule] sees: the case as it was before the event,
// the event, who fired it, with which payload and reason, and when.
type Transition struct {
	// Case is the case before the transition. Do not modify it.
	Case  Case
	Event string
	From  string
	To    string
	Actor Actor
	// Reason is the written reason given with the event, if any.
	Reason string
	// Payload is a pointer to the decoded, validated payload struct of the
	// event's declared type, or nil.
	Payload any
	// Now is the engine clock's time of the command.
	Now time.Time

	engine *Engine
	// tx, when set, is the transaction the command runs in (Engine.In): rules
	// read through it, so they see the host's uncommitted writes and never
	// wait for the store while it is held.
	tx             ReadTx
	once           sync.Once
	participant    *Participant
	participantErr error
}

// Today returns the civil date of the command in Helsinki.
func (t *Transition) Today() Date { return DateOf(t.Now) }

// Participant loads the case's participant (once per transition).
func (t *Transition) Participant(ctx context.Context) (Participant, error) {
	t.once.Do(func() {
		if t.engine == nil {
			t.participantErr = &NotFoundError{Kind: "participant", ID: string(t.Case.ParticipantID)}
			return
		}
		p, err := viewed(ctx, t, func(tx ReadTx) (Participant, error) {
			return tx.Participant(ctx, t.Case.Organisation, t.Case.ParticipantID)
		})
		t.participant, t.participantErr = &p, err
	})
	if t.participantErr != nil {
		return Participant{}, t.participantErr
	}
	return *t.participant, nil
}

// PayloadAs returns the transition's payload as *T, or nil when the event
// carried no payload of that type.
func PayloadAs[T any](t *Transition) *T {
	p, _ := t.Payload.(*T)
	return p
}

// Documents returns every version of the case's document of the given
// kind, oldest first, as committed before this transition (rules use it to
// check, say, that the HOKS is approved).
func (t *Transition) Documents(ctx context.Context, kind string) ([]Document, error) {
	if t.engine == nil {
		return nil, &NotFoundError{Kind: "document", ID: string(t.Case.ID) + "/" + kind}
	}
	return viewed(ctx, t, func(tx ReadTx) ([]Document, error) {
		return tx.Documents(ctx, t.Case.ID, kind)
	})
}

// Records returns the case's records that q selects, oldest first, as
// stored before this transition (the event's own record is its Payload).
// A rule or an effect reads only the records it needs (say, the latest of
// one name), so its cost does not grow with the case's history.
func (t *Transition) Records(ctx context.Context, q RecordQuery) ([]Record, error) {
	if t.engine == nil {
		return []Record{}, nil
	}
	return viewed(ctx, t, func(tx ReadTx) ([]Record, error) {
		return tx.Records(ctx, t.Case.ID, q)
	})
}

// view reads through the command's transaction, or the store.
func (t *Transition) view(ctx context.Context, fn func(ReadTx) error) error {
	if t.tx != nil {
		return fn(t.tx)
	}
	return t.engine.view(ctx, fn)
}

// viewed runs one read through t.view and returns what it read.
func viewed[T any](ctx context.Context, t *Transition, read func(ReadTx) (T, error)) (T, error) {
	var out T
	err := t.view(ctx, func(tx ReadTx) error {
		var err error
		out, err = read(tx)
		return err
	})
	return out, err
}
