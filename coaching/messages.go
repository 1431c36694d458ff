package coaching

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Notice kinds the engine itself enqueues.
const (
	NoticeKindTransition   = "transition"
	NoticeKindPhaseOverdue = "phase_overdue"
)

// formatWhen formats an instant for a reader of language l, in Helsinki.
func formatWhen(t time.Time, l Language) string {
	t = t.In(Helsinki)
	if l == English {
		return t.Format("2006-01-02 15:04")
	}
	return fmt.Sprintf("%d.%d.%d klo %s", t.Day(), int(t.Month()), t.Year(), t.Format("15.04"))
}

// periodText writes a period in language l.
func periodText(p Period, l Language) string {
	unit := func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("1 %s", one)
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	var months, days string
	switch l {
	case Swedish:
		months, days = unit(p.Months, "månad", "månader"), unit(p.Days, "dag", "dagar")
	case English:
		months, days = unit(p.Months, "month", "months"), unit(p.Days, "day", "days")
	default:
		months, days = unit(p.Months, "kuukausi", "kuukautta"), unit(p.Days, "päivä", "päivää")
	}
	switch {
	case p.Months != 0 && p.Days != 0:
		return months + " " + days
	case p.Days != 0:
		return days
	}
	return months
}

func stateTitle(m *Model, s string) string {
	if st, ok := m.states[s]; ok && st.Title != "" {
		return st.Title
	}
	return s
}

func recipientOf(tm TeamMember) Recipient {
	lang := tm.Language
	if lang == "" {
		lang = Finnish
	}
	return Recipient{ID: tm.ActorID, Name: tm.Name, Role: tm.Role, Contact: tm.Contact, Language: lang}
}

// teamFor returns the members with any of the roles, in team order, each
// person once.
func teamFor(c Case, roles []Role, skipActor string) []TeamMember {
	var out []TeamMember
	seen := map[string]bool{}
	for _, tm := range c.Team {
		if tm.ActorID == skipActor || seen[tm.ActorID] || !slices.Contains(roles, tm.Role) {
			continue
		}
		seen[tm.ActorID] = true
		out = append(out, tm)
	}
	return out
}

// transitionNotices tells the team roles an event names that it happened.
// The text names the case and the phases, never the participant's personal
// data: it goes by e-mail.
func transitionNotices(m *Model, c Case, entry AuditEntry, roles []Role, actorID string) []Notice {
	var out []Notice
	for _, tm := range teamFor(c, roles, actorID) {
		r := recipientOf(tm)
		from, to := stateTitle(m, entry.From), stateTitle(m, entry.To)
		when := formatWhen(entry.At, r.Language)
		var subject, body string
		switch r.Language {
		case Swedish:
			subject = fmt.Sprintf("Coachningsärende %s: %s", c.ID, to)
			body = fmt.Sprintf("Ärendet %s flyttades från fasen %q till fasen %q %s.", c.ID, from, to, when)
		case English:
			subject = fmt.Sprintf("Coaching case %s: %s", c.ID, to)
			body = fmt.Sprintf("Case %s moved from the phase %q to the phase %q on %s.", c.ID, from, to, when)
		default:
			subject = fmt.Sprintf("Valmennusasia %s: %s", c.ID, to)
			body = fmt.Sprintf("Asia %s siirtyi vaiheesta %q vaiheeseen %q %s.", c.ID, from, to, when)
		}
		out = append(out, Notice{
			ID:        string(c.ID) + ":" + strconv.FormatInt(entry.Seq, 10) + ":" + NoticeKindTransition + ":" + tm.ActorID,
			CaseID:    c.ID,
			Kind:      NoticeKindTransition,
			Recipient: r,
			Subject:   subject,
			Body:      body,
			Data:      map[string]string{"case_id": string(c.ID), "event": entry.Event, "from": entry.From, "to": entry.To},
			CreatedAt: entry.At,
			NotBefore: entry.At,
			Status:    NoticePending,
		})
	}
	return out
}

// overdueNotices tells the roles a phase names that its deadline passed.
func overdueNotices(m *Model, c Case, st *StateSpec, now time.Time) []Notice {
	var out []Notice
	for _, tm := range teamFor(c, st.NotifyOverdue, "") {
		r := recipientOf(tm)
		phase := stateTitle(m, c.State)
		due := formatWhen(c.Phase.DueAt, r.Language)
		var subject, body string
		switch r.Language {
		case Swedish:
			subject = fmt.Sprintf("Tidsfristen har gått ut: %s (ärende %s)", phase, c.ID)
			body = fmt.Sprintf("Fasen %q i ärendet %s skulle ha varit klar %s (%s efter att fasen började, pauser oräknade).", phase, c.ID, due, periodText(st.Deadline, r.Language))
		case English:
			subject = fmt.Sprintf("Deadline passed: %s (case %s)", phase, c.ID)
			body = fmt.Sprintf("The phase %q of case %s was due on %s (%s after it began, pauses excluded).", phase, c.ID, due, periodText(st.Deadline, r.Language))
		default:
			subject = fmt.Sprintf("Määräaika ylittyi: %s (asia %s)", phase, c.ID)
			body = fmt.Sprintf("Asian %s vaiheen %q piti valmistua %s (%s vaiheen alusta, tauot pois lukien).", c.ID, phase, due, periodText(st.Deadline, r.Language))
		}
		out = append(out, Notice{
			ID:        deadlineKey(c.ID, c.Phase.EntrySeq) + ":" + tm.ActorID,
			CaseID:    c.ID,
			Kind:      NoticeKindPhaseOverdue,
			Recipient: r,
			Subject:   subject,
			Body:      body,
			Data:      map[string]string{"case_id": string(c.ID), "state": c.State, "due_at": c.Phase.DueAt.UTC().Format(time.RFC3339)},
			CreatedAt: now,
			NotBefore: now,
			Status:    NoticePending,
		})
	}
	return out
}

// formatDate writes a civil date for a reader of language l.
func formatDate(d Date, l Language) string {
	if l == English {
		return d.String()
	}
	return fmt.Sprintf("%d.%d.%d", d.Day, int(d.Month), d.Year)
}

// contactLine says whom a guardian can contact, with what guardians may see
// of that person: name, e-mail, phone.
func contactLine(l Language, contact *TeamMember) string {
	if contact == nil {
		return ""
	}
	ways := contact.Name
	if contact.Contact.Email != "" {
		ways += ", " + contact.Contact.Email
	}
	if contact.Contact.Phone != "" {
		ways += ", " + contact.Contact.Phone
	}
	switch l {
	case Swedish:
		return " Kontakta vid behov " + ways + "."
	case English:
		return " If you have questions, contact " + ways + "."
	default:
		return " Lisätietoja: " + ways + "."
	}
}

// absenceText is a guardian's absence notice: the student's name, the date
// and the lessons missed, and whom to contact. Never a reason, never
// welfare or health information.
func absenceText(l Language, p Participant, d Date, ms []Mark, contact *TeamMember) (subject, body string) {
	date, name, lessons := formatDate(d, l), p.Name(), lessonList(ms)
	switch l {
	case Swedish:
		return fmt.Sprintf("Frånvaro %s: %s", date, p.GivenNames),
			fmt.Sprintf("%s var frånvarande utan förklaring %s från följande lektioner: %s.%s", name, date, lessons, contactLine(l, contact))
	case English:
		return fmt.Sprintf("Absence on %s: %s", date, p.GivenNames),
			fmt.Sprintf("%s was absent without an explanation on %s from these lessons: %s.%s", name, date, lessons, contactLine(l, contact))
	default:
		return fmt.Sprintf("Poissaolo %s: %s", date, p.GivenNames),
			fmt.Sprintf("%s oli selvittämättä poissa %s seuraavilta tunneilta: %s.%s", name, date, lessons, contactLine(l, contact))
	}
}

// correctionText tells a guardian that absences they were told about are
// no longer unexplained.
func correctionText(l Language, p Participant, d Date, ms []Mark) (subject, body string) {
	date, name, lessons := formatDate(d, l), p.Name(), lessonList(ms)
	switch l {
	case Swedish:
		return fmt.Sprintf("Rättelse om frånvaro %s: %s", date, p.GivenNames),
			fmt.Sprintf("Rättelse: %s:s frånvaro %s från lektionerna %s är inte längre oförklarad.", name, date, lessons)
	case English:
		return fmt.Sprintf("Correction to the absence on %s: %s", date, p.GivenNames),
			fmt.Sprintf("Correction: %s's absence on %s from %s is no longer unexplained.", name, date, lessons)
	default:
		return fmt.Sprintf("Korjaus poissaoloon %s: %s", date, p.GivenNames),
			fmt.Sprintf("Korjaus: %s ei enää ole selvittämättä poissa %s tunneilta %s.", name, date, lessons)
	}
}

// unreachableText tells a personal tutor that a guardian cannot be reached.
func unreachableText(l Language, id CaseID, guardian string) (subject, body string) {
	switch l {
	case Swedish:
		return fmt.Sprintf("Vårdnadshavaren kan inte nås (ärende %s)", id),
			fmt.Sprintf("Vårdnadshavaren %s i ärendet %s har inga kontaktuppgifter: frånvaromeddelanden kan inte skickas.", guardian, id)
	case English:
		return fmt.Sprintf("Guardian cannot be reached (case %s)", id),
			fmt.Sprintf("Guardian %s of case %s has no contact details: absence notices cannot be sent.", guardian, id)
	default:
		return fmt.Sprintf("Huoltajaa ei tavoiteta (asia %s)", id),
			fmt.Sprintf("Asian %s huoltajalla %s ei ole yhteystietoja: poissaoloilmoituksia ei voi lähettää.", id, guardian)
	}
}

// riskText is an early-warning alert to staff.
func riskText(l Language, id CaseID, reason string) (subject, body string) {
	switch l {
	case Swedish:
		return fmt.Sprintf("Tidig varning: ärende %s", id), fmt.Sprintf("Ärende %s: %s.", id, reason)
	case English:
		return fmt.Sprintf("Early warning: case %s", id), fmt.Sprintf("Case %s: %s.", id, reason)
	default:
		return fmt.Sprintf("Varhainen varoitus: asia %s", id), fmt.Sprintf("Asia %s: %s.", id, reason)
	}
}
