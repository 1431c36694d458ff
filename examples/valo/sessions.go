package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/outcomes"
)

// coachingStyle is how a participant's coach works with them in the
// simulation: the approach elements of their sessions and whether they
// join a peer group. Synthetic, drawn once per participant from a fixed
// seed, with no link to the planned outcome: the coaching-elements report
// shows what chance alone does.
type coachingStyle struct {
	elements []session.ApproachElement
	peer     bool
	rng      *rand.Rand
}

// styleOf draws participant i's style.
func styleOf(i int) *coachingStyle {
	rng := rand.New(rand.NewPCG(uint64(i)+1, 0x5e55))
	st := &coachingStyle{rng: rng, peer: rng.IntN(3) == 0}
	for _, e := range session.ApproachElements {
		if rng.IntN(10) < 6 {
			st.elements = append(st.elements, e)
		}
	}
	return st
}

// coachingDay records, on Wednesdays, an individual session (1–2 h) by
// each open participant's coach with the participant's elements, and
// every other Wednesday a peer group (1.5 h) for those in one. Sessions
// are given ids of their own, so the engine's generated ids stay those of
// the rest of the simulation.
func (s *simulation) coachingDay(ctx context.Context, day coaching.Date) error {
	if day.Start().Weekday() != time.Wednesday {
		return nil
	}
	for i, c := range s.cases {
		if c.applicant {
			continue
		}
		cs, err := s.eng.Case(ctx, Coordinator, c.id)
		if err != nil {
			continue // not enrolled yet
		}
		if cs.Closed() {
			continue
		}
		st := s.styles[i]
		coach := c.member.Coach
		in := session.Session{
			ID: fmt.Sprintf("valo-session-%05d", s.sessions+1), Kind: session.Individual, Date: day,
			Hours: decimal.New(int64(10+5*st.rng.IntN(3)), -1), Staff: []session.Staff{{ActorID: coach.ID, Role: coaching.RoleCoach}},
			Cases: []coaching.CaseID{c.id}, Elements: st.elements, Topic: "yksilövalmennus",
		}
		if _, err := s.sess.Record(ctx, coach.Actor(), in); err != nil {
			return fmt.Errorf("record a session for %s: %w", c.id, err)
		}
		s.sessions++
		if st.peer && day.Start().YearDay()/7%2 == 0 {
			in.ID, in.Kind, in.Hours = fmt.Sprintf("valo-session-%05d", s.sessions+1), session.Group, decimal.New(15, -1)
			in.Elements, in.PeerSupport, in.Topic = []session.ApproachElement{session.ElementParticipation, session.ElementInteraction}, "vertaisryhmä", "vertaisryhmä"
			if _, err := s.sess.Record(ctx, coach.Actor(), in); err != nil {
				return fmt.Errorf("record a peer group for %s: %w", c.id, err)
			}
			s.sessions++
		}
	}
	return nil
}

// coachingElements prints how the coaching the admitted leavers had
// relates to their onward paths: read as the coordinator (the head of
// studies), the cases under the read_figures rule and the sessions under
// the session service's own rule. The report holds no per-participant
// data.
func (s *simulation) coachingElements(ctx context.Context, r *reportWriter) error {
	all, err := s.sess.List(ctx, Coordinator, session.Query{})
	if err != nil {
		return err
	}
	agg := outcomes.NewElements(nil, all)
	if _, err := outcomes.FromEngine(ctx, s.eng, Coordinator, coaching.CaseQuery{Model: coaching.ModelVALO}, admitted{agg}); err != nil {
		return err
	}
	r.line("Coaching sessions recorded: %d (synthetic; elements and peer groups drawn per participant, unrelated to the outcome)", len(all))
	r.line("%s", strings.TrimRight(agg.Report().Markdown(), "\n"))
	return nil
}
