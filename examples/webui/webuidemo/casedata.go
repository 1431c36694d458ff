package webuidemo

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
)

// addCaseData records the guidance work a case page shows for a couple
// of cases, through the services' real commands: coaching sessions
// (the tutor's individual ones with the flagged student, the coach's
// group session with the coach's students), contacts (the tutor's call
// to the flagged student's guardian) and planned items (a follow-up
// session and a HOKS discussion to come, a session planned and held
// today, one cancelled).
//
// Sessions and contacts are dated before today, the demo's day; planned
// items are dated from the engine's today, which is the system clock's
// (an item is never planned in the past), and Options.Now may be earlier.
func (d *Demo) addCaseData(ctx context.Context, today coaching.Date) error {
	sessions, err := session.New(d.Engine)
	if err != nil {
		return fmt.Errorf("webuidemo: the sessions service: %w", err)
	}
	cl, err := caseload.New(d.Engine, nil)
	if err != nil {
		return fmt.Errorf("webuidemo: the caseload service: %w", err)
	}
	tutorStaff := []session.Staff{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor}}
	coachStaff := []session.Staff{{ActorID: coach.ID, Role: coaching.RoleCoach}}
	// The coach's students are every other student (enrolCohort).
	var coached []coaching.CaseID
	for i, id := range d.Cases {
		if i%2 == 1 {
			coached = append(coached, id)
		}
	}
	recs := []struct {
		by coaching.Actor
		s  session.Session
	}{
		{tutor, session.Session{Kind: session.Individual, Date: today.AddDays(-20), Hours: decimal.RequireFromString("1"), Staff: tutorStaff,
			Cases: []coaching.CaseID{d.Flagged}, Elements: []session.ApproachElement{session.ElementTrust, session.ElementPresence},
			Topic: "Opintojen aloitus ja HOKSin laatiminen"}},
		{coach, session.Session{Kind: session.Group, Date: today.AddDays(-9), Hours: decimal.RequireFromString("1.5"), Staff: coachStaff,
			Cases: coached, Elements: []session.ApproachElement{session.ElementParticipation, session.ElementInteraction},
			PeerSupport: "Parityöskentely", Topic: "Ryhmävalmennus: opiskelutaidot"}},
		{tutor, session.Session{Kind: session.Individual, Date: today.AddDays(-6), Hours: decimal.RequireFromString("0.75"), Staff: tutorStaff,
			Cases: []coaching.CaseID{d.Flagged}, Elements: []session.ApproachElement{session.ElementTrust, session.ElementAppreciation},
			Topic: "Työpaikkajakson valmistelu"}},
		{tutor, session.Session{Kind: session.Individual, Date: today.AddDays(-3), Hours: decimal.RequireFromString("0.5"), Staff: tutorStaff,
			Cases: []coaching.CaseID{d.Cases[0]}, Elements: []session.ApproachElement{session.ElementPresence}, Topic: "Kuulumiset"}},
	}
	for _, r := range recs {
		if _, err := sessions.Record(ctx, r.by, r.s); err != nil {
			return fmt.Errorf("webuidemo: recording a session: %w", err)
		}
	}
	contacts := []caseload.Contact{
		{CaseID: d.Flagged, Kind: caseload.ContactMessage, On: today.AddDays(-2), Note: "Viesti opiskelijalle poissaoloista"},
		{CaseID: d.Flagged, Kind: caseload.ContactPhone, On: today.AddDays(-1), WithGuardian: true, Note: "Soitto huoltajalle, sovittu tapaaminen"},
		{CaseID: d.Cases[2], Kind: caseload.ContactMeeting, On: today.AddDays(-4), Note: "Lyhyt tapaaminen käytävällä"},
	}
	for _, c := range contacts {
		if _, err := cl.LogContact(ctx, tutor, c); err != nil {
			return fmt.Errorf("webuidemo: logging a contact: %w", err)
		}
	}
	return d.plan(ctx, cl)
}

// plan records the flagged student's planned items, dated from the
// engine's today: a session planned and held today, one cancelled, and a
// follow-up session and a HOKS discussion to come; and a guardian meeting
// of another student.
func (d *Demo) plan(ctx context.Context, cl *caseload.Service) error {
	now := d.Engine.Clock().Now()
	day := coaching.DateOf(now)
	planned := func(k caseload.PlannedKind, title string, on coaching.Date, cases ...coaching.CaseID) (caseload.Planned, error) {
		p, err := cl.Plan(ctx, tutor, caseload.Planned{Kind: k, Title: title, Cases: cases, On: on})
		if err != nil {
			return p, fmt.Errorf("webuidemo: planning %q: %w", title, err)
		}
		return p, nil
	}
	held, err := planned(caseload.PlanIndividualSession, "Poissaolojen läpikäynti", day, d.Flagged)
	if err != nil {
		return err
	}
	if _, err := cl.Held(ctx, tutor, held.ID, held.Version, caseload.HeldSession{Hours: decimal.RequireFromString("0.5"),
		Elements: []session.ApproachElement{session.ElementTrust, session.ElementEmotionalConnection},
		Topic:    "Poissaolot ja niiden syyt", Note: "Sovittu seurannasta"}); err != nil {
		return fmt.Errorf("webuidemo: holding a planned session: %w", err)
	}
	cancelled, err := planned(caseload.PlanWorkplaceVisit, "Tutustumiskäynti työpaikalla", day.AddDays(2), d.Flagged)
	if err != nil {
		return err
	}
	if _, err := cl.Cancel(ctx, tutor, cancelled.ID, cancelled.Version, "Työpaikka siirsi käynnin"); err != nil {
		return fmt.Errorf("webuidemo: cancelling a planned item: %w", err)
	}
	for _, p := range []struct {
		kind  caseload.PlannedKind
		title string
		on    coaching.Date
		id    coaching.CaseID
	}{
		{caseload.PlanIndividualSession, "Seurantatapaaminen", day.AddDays(3), d.Flagged},
		{caseload.PlanHOKSDiscussion, "HOKSin päivitys: työpaikkajakso", day.AddDays(10), d.Flagged},
		{caseload.PlanGuardianMeeting, "Huoltajatapaaminen", day.AddDays(5), d.Cases[2]},
	} {
		if _, err := planned(p.kind, p.title, p.on, p.id); err != nil {
			return err
		}
	}
	return nil
}
