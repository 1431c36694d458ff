package coachingtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/coachingtest"
)

// Drive an engine with the kit's clock and catch what it would send with
// the recording sender. In a test, coachingtest.New(t, nil) builds the same
// wiring in one call.
func ExampleSender() {
	ctx := context.Background()
	clock := coachingtest.NewClock(coachingtest.DefaultStart)
	store := memory.New()
	eng, _ := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}, Clock: clock})
	sender := &coachingtest.Sender{}
	dispatcher, _ := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{Clock: clock})

	team := coachingtest.TeamMember(coachingtest.Coach, coaching.RoleCoach)
	team.Language = coaching.English
	_, _ = eng.Enrol(ctx, coachingtest.Staff, coaching.EnrolParams{Model: coaching.ModelVALO,
		Participant: coachingtest.Participant(), Team: []coaching.TeamMember{team}})

	clock.AdvanceDays(35) // recruitment should take a month
	_, _ = eng.Tick(ctx, clock.Now())
	_, _ = dispatcher.RunOnce(ctx)
	for _, n := range sender.Sent() {
		fmt.Println(n.Kind, "to", n.Recipient.ID)
	}
	// Output:
	// phase_overdue to coach-1
}

// AdvanceDays moves by civil days in Helsinki: the day summer time ends is
// 25 hours long.
func ExampleClock_AdvanceDays() {
	clock := coachingtest.NewClock(time.Date(2026, 10, 24, 9, 0, 0, 0, coaching.Helsinki))
	before := clock.Now()
	clock.AdvanceDays(1)
	fmt.Println(clock.Now().Sub(before), clock.Now().In(coaching.Helsinki).Format("2006-01-02 15:04"))
	// Output:
	// 25h0m0s 2026-10-25 09:00
}
