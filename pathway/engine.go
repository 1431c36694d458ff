package pathway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Timer and notice kinds of the follow-up checkpoints.
const (
	TimerFollowUp      = "follow_up"
	NoticeKindFollowUp = "follow_up_due"
)

// FollowUpOptions configure [Attach], [FollowUpEffect] and [TimerHandlers].
type FollowUpOptions struct {
	// Alumni adds later alumni contacts after the six-month checkpoint,
	// e.g. coaching.Months(12). None by default.
	Alumni []coaching.Period
	// Notify are the team roles told when a checkpoint is due. Defaults to
	// coach, personal tutor and study counsellor.
	Notify []coaching.Role
	// Hour is the Helsinki hour of the due day the notice goes out.
	// Defaults to 9.
	Hour int
	// Texts word the follow-up notices (kind [NoticeKindFollowUp]: fields
	// case, checkpoint, alumni). Defaults to coaching.DefaultTexts; pass
	// the engine's (coaching.Options.Texts) to use the host's wording.
	Texts *coaching.Texts
}

func (o *FollowUpOptions) withDefaults() FollowUpOptions {
	var out FollowUpOptions
	if o != nil {
		out = *o
	}
	if len(out.Notify) == 0 {
		out.Notify = []coaching.Role{coaching.RoleCoach, coaching.RolePersonalTutor, coaching.RoleStudyCounsellor}
	}
	if out.Hour <= 0 || out.Hour > 23 {
		out.Hour = 9
	}
	if out.Texts == nil {
		out.Texts = coaching.DefaultTexts()
	}
	return out
}

// Attach makes the exit events of a model spec record the participant's
// destination (a [Destination] payload, required, stored as
// [RecordDestination]), declare the warm-handover records
// ([RecordInboundHandover], [RecordOutboundHandover]) and schedule the follow-up checkpoints after
// leaving. Build the spec afterwards and pass [TimerHandlers] to the engine
// so the checkpoints' due notices go out.
//
//	spec := coaching.VALOSpec()
//	err := pathway.Attach(&spec, nil, coaching.ValoClose, coaching.ValoDiscontinue, coaching.ValoRedirect)
func Attach(spec *coaching.ModelSpec, opts *FollowUpOptions, exitEvents ...string) error {
	if spec == nil || len(exitEvents) == 0 {
		return errors.New("pathway: Attach needs a spec and at least one exit event")
	}
	if err := spec.SetPayload(Destination{}, RecordDestination, true, exitEvents...); err != nil {
		return err
	}
	// The handovers are declared so that one given as JSON is decoded
	// into its type and checked like one given as a value.
	spec.SetRecord(RecordInboundHandover, InboundHandover{})
	spec.SetRecord(RecordOutboundHandover, OutboundHandover{})
	sched, err := NewSchedule(coaching.NewDate(2020, 1, 1), opts.withDefaults().Alumni...)
	if err != nil {
		return err
	}
	for _, cp := range sched.Checkpoints {
		spec.SetRecord(checkpointRecord(cp.Key()), CheckpointResult{})
	}
	return spec.AddEffects([]coaching.Effect{FollowUpEffect(opts)}, exitEvents...)
}

// FollowUpEffect schedules the follow-up checkpoints (28 days, six months,
// alumni contacts) as durable timers when a transition closes a case.
func FollowUpEffect(opts *FollowUpOptions) coaching.Effect {
	o := opts.withDefaults()
	return coaching.NewEffect("follow_up_checkpoints", func(_ context.Context, _ *coaching.Transition, next coaching.Case) (coaching.EffectWrites, error) {
		if !next.Closed() {
			return coaching.EffectWrites{}, nil
		}
		s, err := NewSchedule(coaching.DateOf(next.ClosedAt), o.Alumni...)
		if err != nil {
			return coaching.EffectWrites{}, err
		}
		var w coaching.EffectWrites
		for i, cp := range s.Checkpoints {
			w.Timers = append(w.Timers, coaching.Timer{Key: followUpKey(next.ID, cp), CaseID: next.ID, Kind: TimerFollowUp,
				DueAt: cp.Due.At(o.Hour, 0), Ref: int64(i)})
		}
		return w, nil
	})
}

func followUpKey(id coaching.CaseID, cp Checkpoint) string {
	return TimerFollowUp + ":" + string(id) + ":" + cp.Key()
}

// TimerHandlers returns the engine timer handlers for the follow-up
// checkpoints, for coaching.Options.TimerHandlers. A due checkpoint whose
// result is already recorded sends nothing.
func TimerHandlers(opts *FollowUpOptions) map[string]coaching.TimerHandler {
	o := opts.withDefaults()
	return map[string]coaching.TimerHandler{TimerFollowUp: coaching.TimerHandlerFunc(
		func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, t coaching.Timer, now time.Time) (coaching.TimerResult, error) {
			cpKey := t.Key[strings.LastIndexByte(t.Key, ':')+1:]
			// Only the latest result of this checkpoint is read, however
			// many records the case has.
			recorded, err := tx.Records(ctx, c.ID, coaching.RecordQuery{Names: []string{checkpointRecord(cpKey)}, Latest: true})
			if err != nil {
				return coaching.TimerResult{}, err
			}
			if len(recorded) > 0 {
				return coaching.TimerResult{}, nil
			}
			var res coaching.TimerResult
			seen := map[string]bool{}
			for _, m := range c.Team {
				if seen[m.ActorID] || !slices.Contains(o.Notify, m.Role) {
					continue
				}
				seen[m.ActorID] = true
				lang := m.Language
				if lang == "" {
					lang = coaching.Finnish
				}
				subject, body, err := o.Texts.Render(NoticeKindFollowUp, lang, map[string]string{"case": string(c.ID),
					"checkpoint": cpKey, "alumni": strings.TrimPrefix(cpKey, "alumni_")})
				if err != nil {
					return coaching.TimerResult{}, fmt.Errorf("pathway: the follow-up notice's text: %w", err)
				}
				res.Notices = append(res.Notices, coaching.Notice{
					ID: t.Key + ":" + m.ActorID, CaseID: c.ID, Kind: NoticeKindFollowUp,
					Recipient: coaching.Recipient{ID: m.ActorID, Name: m.Name, Role: m.Role, Contact: m.Contact, Language: lang},
					Subject:   subject, Body: body,
					Data:      map[string]string{"case_id": string(c.ID), "checkpoint": cpKey},
					CreatedAt: now, NotBefore: now, Status: coaching.NoticePending,
				})
			}
			res.Audit = "follow_up_due:" + cpKey
			return res, nil
		})}
}

// checkpointRecord names the record a checkpoint's result is stored as.
func checkpointRecord(cpKey string) string {
	switch cpKey {
	case string(UponLeaving):
		return RecordUponLeaving
	case string(SixMonths):
		return RecordSixMonths
	}
	return "follow_up_" + cpKey
}

// RecordCheckpoint stores the status found at a checkpoint on the (closed)
// case, under [RecordUponLeaving], [RecordSixMonths] or
// "follow_up_alumni_N". The result's window must contain the observation.
func RecordCheckpoint(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID, r CheckpointResult) (coaching.Case, error) {
	if eng == nil {
		return coaching.Case{}, errors.New("pathway: RecordCheckpoint: engine is nil")
	}
	// The engine checks r (its tags and Validate) as it stores it.
	return eng.ChangeCase(ctx, actor, coaching.OpChangeCase, id, func(ch *coaching.CaseChange) error {
		return ch.Record(checkpointRecord(r.Checkpoint.Key()), r, "follow-up "+r.Checkpoint.Key()+" "+strconv.FormatBool(r.Found))
	})
}

// Register adds what [Attach] puts on a model — the destination payload
// ("destination") and the follow-up effect ("follow_up_checkpoints") — to
// a registry, so that models written as JSON can name them and
// [coaching.ModelJSON] can write such models out. opts are the follow-up
// options the effect uses.
func Register(reg *coaching.ModelRegistry, opts *FollowUpOptions) {
	if reg.Payloads == nil {
		reg.Payloads = map[string]any{}
	}
	if reg.Effects == nil {
		reg.Effects = map[string]coaching.Effect{}
	}
	reg.Payloads["destination"] = Destination{}
	e := FollowUpEffect(opts)
	reg.Effects[e.Name()] = e
}
