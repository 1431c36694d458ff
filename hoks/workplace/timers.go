package workplace

import (
	"context"
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
// "<timer key>:<recipient's actor id>".
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
// cancelled), an ending notice only while it runs or is interrupted. A
// handler reads the one period's document: its cost does not grow with
// the case's history. The notices concern the period's document, so they
// are shown only to those who may read the HOKS.
func TimerHandlers(opts *Options) (map[string]coaching.TimerHandler, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	handler := func(kind string, when func(Period) (bool, coaching.Date)) coaching.TimerHandler {
		return coaching.TimerHandlerFunc(func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, t coaching.Timer, now time.Time) (coaching.TimerResult, error) {
			k := t.Key[strings.LastIndexByte(t.Key, ':')+1:]
			_, p, err := readKind(ctx, tx, c.ID, k, k)
			if isNotFound(err) {
				return coaching.TimerResult{}, nil
			}
			if err != nil {
				return coaching.TimerResult{}, err
			}
			ok, date := when(p)
			if !ok {
				return coaching.TimerResult{}, nil
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
					"workplace": p.Plan.WorkplaceName, "date": dateText(date, to.Language)})
				res.Notices = append(res.Notices, coaching.Notice{ID: t.Key + ":" + m.ActorID, CaseID: c.ID, Kind: kind,
					Recipient: to, Subject: subject, Body: body,
					Data: map[string]string{"case_id": string(c.ID), "yksiloiva_tunniste": p.PeriodID, "date": date.String(),
						coaching.NoticeDataDocument: k},
					CreatedAt: now, NotBefore: now, Status: coaching.NoticePending})
			}
			return res, nil
		})
	}
	return map[string]coaching.TimerHandler{
		TimerStarting: handler(NoticeKindStarting, func(p Period) (bool, coaching.Date) { return p.Status == Signed, p.Plan.Start }),
		TimerEnding: handler(NoticeKindEnding, func(p Period) (bool, coaching.Date) {
			return p.Status == Running || p.Status == Interrupted, p.Plan.End
		}),
	}, nil
}
