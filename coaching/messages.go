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

// Notice kinds of attendance (coaching/attendance sends them; their texts
// are here, the one home of notice texts).
const (
	NoticeKindAbsence             = "guardian_absence"
	NoticeKindAbsenceCorrection   = "guardian_absence_correction"
	NoticeKindGuardianUnreachable = "guardian_unreachable"
	NoticeKindRiskAlert           = "risk_alert"
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

// Recipient is the team member as a notice's recipient, in their language
// (Finnish when none is recorded).
func (tm TeamMember) Recipient() Recipient {
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
func (e *Engine) transitionNotices(m *Model, c Case, entry AuditEntry, roles []Role, actorID string) []Notice {
	var out []Notice
	for _, tm := range teamFor(c, roles, actorID) {
		r := tm.Recipient()
		subject, body := e.texts.RenderNotice(NoticeKindTransition, r.Language, map[string]string{"case": string(c.ID),
			"from": stateTitle(m, entry.From), "to": stateTitle(m, entry.To), "when": formatWhen(entry.At, r.Language)})
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
func (e *Engine) overdueNotices(m *Model, c Case, st *StateSpec, now time.Time) []Notice {
	var out []Notice
	for _, tm := range teamFor(c, st.NotifyOverdue, "") {
		r := tm.Recipient()
		subject, body := e.texts.RenderNotice(NoticeKindPhaseOverdue, r.Language, map[string]string{"case": string(c.ID),
			"phase": stateTitle(m, c.State), "due": formatWhen(c.Phase.DueAt, r.Language), "deadline": periodText(st.Deadline, r.Language)})
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
