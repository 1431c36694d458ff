package workplace

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Timer kinds of workplace periods, set when the agreement is signed.
const (
	TimerStarting = "workplace_starting"
	TimerEnding   = "workplace_ending"
)

// Notice kinds of workplace periods (fields case, workplace, date; their
// texts are in coaching.DefaultTexts). Each goes to the workplace
// instructor and to the staff member who signed the agreement, with the id
// "<timer key>:<date>:<recipient's actor id>" (the date the notice names:
// a period the plan moves gets a notice for its new date, each once).
const (
	// NoticeKindStarting: the signed period starts in
	// Options.NoticeDaysBeforeStart days.
	NoticeKindStarting = "workplace_period_starting"
	// NoticeKindEnding: the running (or interrupted) period ends in
	// Options.NoticeDaysBeforeEnd days.
	NoticeKindEnding = "workplace_period_ending"
)

// TimerHandlers returns the engine timer handlers of workplace periods,
// for coaching.Options.TimerHandlers (pass the options given to [New]): a
// starting notice is sent only if the period is still signed (not
// cancelled), an ending notice only while it runs or is interrupted. The
// dates are the plan in force's, read when the timer fires: an approved
// HOKS update may have moved them since the agreement was signed. A timer
// that fires before the notice is due for the plan's current date sets
// itself again for that date and sends nothing; one whose date has passed
// sends nothing. A handler reads the period's document and the plan in
// force (one or two versions): its cost does not grow with the case's
// history. The notices concern the period's document, so they are shown
// only to those who may read the HOKS.
func TimerHandlers(opts *Options) (map[string]coaching.TimerHandler, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	handler := func(kind string, daysBefore int, when func(Period, Facts) (bool, coaching.Date)) coaching.TimerHandler {
		return coaching.TimerHandlerFunc(func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, t coaching.Timer, now time.Time) (coaching.TimerResult, error) {
			k := t.Key[strings.LastIndexByte(t.Key, ':')+1:]
			_, p, err := readKind(ctx, tx, c.ID, k, k)
			if isNotFound(err) {
				return coaching.TimerResult{}, nil
			}
			if err != nil {
				return coaching.TimerResult{}, err
			}
			facts, _, err := planInForce(ctx, tx, c.ID, p)
			if err != nil {
				return coaching.TimerResult{}, err
			}
			ok, date := when(p, facts)
			if !ok || date.Before(coaching.DateOf(now)) {
				return coaching.TimerResult{}, nil
			}
			if due := noticeDue(date, daysBefore); due.After(now) {
				// The plan moved the date later: fire again when the
				// notice for the new date is due.
				re := coaching.Timer{Key: t.Key, CaseID: t.CaseID, Kind: t.Kind, DueAt: due, Ref: t.Ref}
				return coaching.TimerResult{Writes: []coaching.FeatureWrite{func(ctx context.Context, tx coaching.Tx) error {
					return tx.PutTimer(ctx, re)
				}}}, nil
			}
			res := coaching.TimerResult{Audit: t.Kind + "_due", Document: k}
			sent := map[string]bool{}
			for _, m := range c.Team {
				instructor := m.Role == coaching.RoleWorkplaceInstructor && p.Instructor != nil && m.ActorID == p.Instructor.ActorID
				if !instructor && m.ActorID != p.SignedBy || sent[m.ActorID] {
					continue
				}
				sent[m.ActorID] = true
				to := m.Recipient()
				subject, body := o.Texts.RenderNotice(kind, to.Language, map[string]string{"case": string(c.ID),
					"workplace": facts.WorkplaceName, "date": dateText(date, to.Language)})
				res.Notices = append(res.Notices, coaching.Notice{ID: t.Key + ":" + date.String() + ":" + m.ActorID, CaseID: c.ID, Kind: kind,
					Recipient: to, Subject: subject, Body: body,
					Data: map[string]string{"case_id": string(c.ID), "yksiloiva_tunniste": p.PeriodID, "date": date.String(),
						coaching.NoticeDataDocument: k},
					CreatedAt: now, NotBefore: now, Status: coaching.NoticePending})
			}
			return res, nil
		})
	}
	return map[string]coaching.TimerHandler{
		TimerStarting: handler(NoticeKindStarting, o.NoticeDaysBeforeStart, func(p Period, f Facts) (bool, coaching.Date) {
			return p.Status == Signed, f.Start
		}),
		TimerEnding: handler(NoticeKindEnding, o.NoticeDaysBeforeEnd, func(p Period, f Facts) (bool, coaching.Date) {
			return p.Status == Running || p.Status == Interrupted, f.End
		}),
	}, nil
}

// noticeDue is when a notice daysBefore a period's date is due: 09:00
// Helsinki time.
func noticeDue(date coaching.Date, daysBefore int) time.Time {
	return date.AddDays(-daysBefore).At(9, 0)
}

// timer is the timer of kind for period periodID of case id, due
// daysBefore its date.
func timer(kind string, id coaching.CaseID, periodID string, date coaching.Date, daysBefore int) coaching.Timer {
	return coaching.Timer{Key: kind + ":" + string(id) + ":" + key(periodID), CaseID: id, Kind: kind, DueAt: noticeDue(date, daysBefore)}
}

// planInForce reads period p's entry in the case's HOKS in force. A period
// the plan in force no longer has, or no longer as a workplace period with
// both dates, keeps the facts last read (p.Plan) and removed is true: the
// commands that end or move it still need its dates.
func planInForce(ctx context.Context, tx coaching.ReadTx, id coaching.CaseID, p Period) (f Facts, removed bool, err error) {
	f, err = planFacts(ctx, tx, id, p.PeriodID)
	var (
		nf *coaching.NotFoundError
		ve *coaching.ValidationError
	)
	switch {
	case errors.As(err, &nf) || errors.As(err, &ve):
		return p.Plan, true, nil
	case err != nil:
		return Facts{}, false, err
	}
	return f, false, nil
}
