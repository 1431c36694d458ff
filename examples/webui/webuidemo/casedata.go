package webuidemo

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
)

// addCaseData adds the steps of the guidance work a case page shows,
// through the services' real commands at their dates: coaching sessions
// (the tutor's individual ones with the flagged student since the student
// joined, the coach's group session with the coach's students, a check-in
// with the first student), contacts (the tutor's message to the flagged
// student and call to the guardian, the second tutor's attempts to reach
// the students whose initial situation is not mapped) and planned items
// (a session agreed on the call and held today, a workplace visit
// cancelled, a follow-up and a HOKS discussion to come).
func (d *Demo) addCaseData(tl *timeline, cl *caseload.Service) error {
	sessions, err := session.New(d.Engine)
	if err != nil {
		return fmt.Errorf("webuidemo: the sessions service: %w", err)
	}
	today := tl.today
	joined := flaggedStart(today)
	tutorStaff := []session.Staff{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor}}
	coachStaff := []session.Staff{{ActorID: coach.ID, Role: coaching.RoleCoach}}
	record := func(day coaching.Date, hour int, by coaching.Actor, s session.Session, cases func() []coaching.CaseID) {
		tl.at(day, hour, 0, "recording the session "+s.Topic, func(ctx context.Context) error {
			s.Date, s.Cases = day, cases()
			_, err := sessions.Record(ctx, by, s)
			return err
		})
	}
	flagged := func() []coaching.CaseID { return []coaching.CaseID{d.Flagged} }
	record(weekdayFrom(joined.AddDays(1)), 10, tutor, session.Session{Kind: session.Individual, Hours: decimal.RequireFromString("1"), Staff: tutorStaff,
		Elements: []session.ApproachElement{session.ElementTrust, session.ElementPresence},
		Topic:    "Opintojen aloitus ja HOKSin laatiminen"}, flagged)
	// The coach's group session is with the coach's students (every
	// other student, see enrol) who had started by then.
	group := weekdayBefore(today.AddDays(-9))
	record(group, 12, coach, session.Session{Kind: session.Group, Hours: decimal.RequireFromString("1.5"), Staff: coachStaff,
		Elements:    []session.ApproachElement{session.ElementParticipation, session.ElementInteraction},
		PeerSupport: "Parityöskentely", Topic: "Ryhmävalmennus: opiskelutaidot"}, func() []coaching.CaseID {
		var coached []coaching.CaseID
		for i, s := range cohort {
			if i%2 == 1 && !group.Before(s.start(today)) {
				coached = append(coached, d.Cases[i])
			}
		}
		return coached
	})
	record(weekdayBefore(today.AddDays(-6)), 11, tutor, session.Session{Kind: session.Individual, Hours: decimal.RequireFromString("0.75"), Staff: tutorStaff,
		Elements: []session.ApproachElement{session.ElementTrust, session.ElementAppreciation},
		Topic:    "Työpaikkajakson valmistelu"}, flagged)
	record(weekdayBefore(today.AddDays(-3)), 10, tutor, session.Session{Kind: session.Individual, Hours: decimal.RequireFromString("0.5"), Staff: tutorStaff,
		Elements: []session.ApproachElement{session.ElementPresence}, Topic: "Kuulumiset"},
		func() []coaching.CaseID { return []coaching.CaseID{d.Cases[0]} })

	// Contacts: the tutor's about the flagged student's absences (the
	// call to the guardian agrees on the session held today, see plan),
	// a short meeting with another student, and the second tutor's
	// attempts to reach the two students whose initial situation is not
	// mapped.
	for _, c := range []struct {
		by      coaching.Actor
		student int
		kind    caseload.ContactKind
		day     coaching.Date
		hour    int
		guard   bool
		note    string
	}{
		{tutor, flaggedIndex, caseload.ContactMessage, weekdayBefore(today.AddDays(-2)), 9, false, "Viesti opiskelijalle poissaoloista"},
		{tutor, flaggedIndex, caseload.ContactPhone, weekdayBefore(today.AddDays(-1)), 16, true, "Soitto huoltajalle, sovittu tapaaminen"},
		{tutor, 2, caseload.ContactMeeting, weekdayBefore(today.AddDays(-4)), 12, false, "Lyhyt tapaaminen käytävällä"},
		{secondTutor, 13, caseload.ContactMessage, weekdayBefore(today.AddDays(-cohortDays + 10)), 13, false, "Alkukeskustelun aika sovittu"},
		{secondTutor, 13, caseload.ContactMessage, weekdayBefore(today.AddDays(-cohortDays + 17)), 13, false, "Ei saapunut alkukeskusteluun, uusi aika ehdotettu"},
		{secondTutor, 15, caseload.ContactPhone, weekdayBefore(today.AddDays(-cohortDays + 24)), 15, true, "Alkukartoitus kesken: lukiseulonta siirtyi sairastumisen vuoksi"},
	} {
		tl.at(c.day, c.hour, 0, "logging a contact", func(ctx context.Context) error {
			_, err := cl.LogContact(ctx, c.by, caseload.Contact{CaseID: d.Cases[c.student], Kind: c.kind, On: c.day, WithGuardian: c.guard, Note: c.note})
			return err
		})
	}
	d.plan(tl, cl)
	return nil
}

// flaggedStart is the day the flagged student started, about three weeks
// before today: the group had started already, and the student joined
// through continuous admission.
func flaggedStart(today coaching.Date) coaching.Date {
	return cohort[flaggedIndex].start(today)
}

// plan adds the steps of the flagged student's planned items: a session
// agreed on the call to the guardian and held today; a workplace visit
// planned after the session preparing the workplace period and cancelled
// by the workplace; and, after today's session, a follow-up session and
// a HOKS discussion to come; and a guardian meeting of another student
// agreed after meeting the student.
func (d *Demo) plan(tl *timeline, cl *caseload.Service) {
	today := tl.today
	var held, cancelled caseload.Planned
	planned := func(into *caseload.Planned, day coaching.Date, hour, minute int, k caseload.PlannedKind, title string, on coaching.Date, student int) {
		tl.at(day, hour, minute, "planning "+title, func(ctx context.Context) error {
			p, err := cl.Plan(ctx, tutor, caseload.Planned{Kind: k, Title: title, Cases: []coaching.CaseID{d.Cases[student]}, On: on})
			if into != nil {
				*into = p
			}
			return err
		})
	}
	call := weekdayBefore(today.AddDays(-1))
	planned(&held, call, 16, 10, caseload.PlanIndividualSession, "Poissaolojen läpikäynti", today, flaggedIndex)
	tl.at(today, 11, 0, "holding a planned session", func(ctx context.Context) error {
		_, err := cl.Held(ctx, tutor, held.ID, held.Version, caseload.HeldSession{Hours: decimal.RequireFromString("0.5"),
			Elements: []session.ApproachElement{session.ElementTrust, session.ElementEmotionalConnection},
			Topic:    "Poissaolot ja niiden syyt", Note: "Sovittu seurannasta"})
		return err
	})
	planned(&cancelled, weekdayBefore(today.AddDays(-6)), 11, 50, caseload.PlanWorkplaceVisit, "Tutustumiskäynti työpaikalla", today.AddDays(2), flaggedIndex)
	tl.at(weekdayBefore(today.AddDays(-1)), 9, 0, "cancelling a planned item", func(ctx context.Context) error {
		_, err := cl.Cancel(ctx, tutor, cancelled.ID, cancelled.Version, "Työpaikka siirsi käynnin")
		return err
	})
	planned(nil, today, 11, 5, caseload.PlanIndividualSession, "Seurantatapaaminen", today.AddDays(3), flaggedIndex)
	planned(nil, today, 11, 6, caseload.PlanHOKSDiscussion, "HOKSin päivitys: työpaikkajakso", today.AddDays(10), flaggedIndex)
	planned(nil, weekdayBefore(today.AddDays(-4)), 12, 15, caseload.PlanGuardianMeeting, "Huoltajatapaaminen", today.AddDays(5), 2)
}
