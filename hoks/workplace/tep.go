package workplace

import (
	"fmt"
	"strconv"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// NoticeKindTEP is the notice kind of the workplace-instructor feedback
// survey (työelämäpalaute, TEP): its ID is "tep:<case>:<period key>", its
// recipient the workplace instructor, its NotBefore 09:00 on the day the
// answer window opens, and its Data the survey's facts (see
// [TEPDecision]): kyselytyyppi, yksiloiva_tunniste, hoks_id (eHOKS's id,
// when the plan carries one), heratepvm, vastaamisaika_alkaa,
// vastaamisaika_loppuu, tyopaikan_nimi, tyopaikan_y_tunnus, case_id.
const NoticeKindTEP = "tep_survey"

// SurveyType is eHOKS's kyselytyyppi of the survey.
const SurveyType = "tyopaikkajakson_suorittaneet"

// partTimeRequiredAfter is the last end date for which eHOKS does not
// require osa-aikaisuustieto (the rule took effect 1.7.2023).
var partTimeRequiredAfter = coaching.NewDate(2023, time.June, 30)

// TEPDecision says whether the workplace-instructor feedback survey was
// queued and, if not, which of eHOKS's rules excluded it.
type TEPDecision struct {
	// TriggerDate is heratepvm: the period's last day.
	TriggerDate coaching.Date `json:"trigger_date"`
	// Opens and Closes bound the answer window: it opens on the first day
	// of the month after the trigger date (eHOKS bundles the surveys
	// monthly since 1.7.2025) and closes 29 days later, but no later than
	// 59 days after the trigger date.
	Opens  coaching.Date `json:"opens,omitzero"`
	Closes coaching.Date `json:"closes,omitzero"`
	// NoticeID is the queued notice's id ("" when excluded).
	NoticeID string `json:"notice_id,omitempty"`
	// Excluded is the reason for no survey ("" when one was queued).
	Excluded string `json:"excluded,omitempty"`
}

// AnswerWindow returns the survey's answer window for trigger date
// heratepvm: it opens on the first of the next month and closes
// min(heratepvm+59, opens+29) (eHOKS's palaute.clj vastaamisajan-loppupvm).
func AnswerWindow(heratepvm coaching.Date) (opens, closes coaching.Date) {
	y, m := heratepvm.Year, heratepvm.Month+1
	if m > time.December {
		y, m = y+1, time.January
	}
	opens = coaching.NewDate(y, m, 1)
	closes = opens.AddDays(29)
	if last := heratepvm.AddDays(59); last.Before(closes) {
		closes = last
	}
	return opens, closes
}

// DecideTEP decides the survey for a period whose last day is end, as
// eHOKS decides it from the HOKS (hoks.md §4.2, palaute/tyoelama.clj): an
// eligible period is a training agreement or an apprenticeship with an end
// date; it gets no survey when the plan lacks the workplace instructor,
// the workplace's name or its Y-tunnus, when it ended after 30.6.2023
// without an osa-aikaisuustieto of 1–100, or when an interruption (the
// plan's or one recorded here) covers its last day. The checks on the
// study right and the financing period need KOSKI and are the host's.
func DecideTEP(f Facts, recorded []Interruption, end coaching.Date) TEPDecision {
	d := TEPDecision{TriggerDate: end}
	switch {
	case f.Method != hoks.MethodTrainingAgreement && f.Method != hoks.MethodApprenticeship:
		d.Excluded = "not a training agreement or an apprenticeship"
	case end.IsZero():
		d.Excluded = "the period has no end date"
	case f.InstructorName == "":
		d.Excluded = "the HOKS names no workplace instructor (vastuullinen-tyopaikka-ohjaaja)"
	case f.WorkplaceName == "":
		d.Excluded = "the HOKS names no workplace (tyopaikan-nimi)"
	case f.BusinessID == "":
		d.Excluded = "the HOKS has no Y-tunnus of the workplace (tyopaikan-y-tunnus)"
	case end.After(partTimeRequiredAfter) && (f.PartTimePercent == nil || *f.PartTimePercent < 1 || *f.PartTimePercent > 100):
		d.Excluded = "the HOKS has no osa-aikaisuustieto of 1–100, required for periods ending after 30.6.2023"
	case coveredBy(f.Interruptions, end) || coveredBy(recorded, end):
		d.Excluded = "an interruption covers the period's last day"
	}
	if d.Excluded == "" {
		d.Opens, d.Closes = AnswerWindow(end)
	}
	return d
}

func coveredBy(is []Interruption, d coaching.Date) bool {
	for _, i := range is {
		if i.covers(d) {
			return true
		}
	}
	return false
}

// tep decides the survey of an ending period and builds its notice. An
// end recorded after the answer window closed gets no survey (the window
// stays in the decision, with the reason).
func (s *Service) tep(p Period, now time.Time) (TEPDecision, *coaching.Notice) {
	d := DecideTEP(p.Plan, p.Interruptions, p.EndedOn)
	if d.Excluded != "" {
		return d, nil
	}
	if coaching.DateOf(now).After(d.Closes) {
		// The end was recorded late: eHOKS does not send a survey outside
		// its answer window, nor does this package.
		d.Excluded = "the end was recorded after the survey's answer window closed on " + d.Closes.String()
		return d, nil
	}
	d.NoticeID = "tep:" + string(p.CaseID) + ":" + key(p.PeriodID)
	to := coaching.Recipient{Name: p.Plan.InstructorName, Role: coaching.RoleWorkplaceInstructor,
		Contact: coaching.Contact{Email: p.Plan.InstructorEmail, Phone: p.Plan.InstructorPhone}, Language: coaching.Finnish}
	if p.Instructor != nil {
		to = p.Instructor.Recipient()
	}
	subject, body := s.opts.Texts.RenderNotice(NoticeKindTEP, to.Language, map[string]string{"workplace": p.Plan.WorkplaceName,
		"end_date": dateText(d.TriggerDate, to.Language), "opens": dateText(d.Opens, to.Language), "closes": dateText(d.Closes, to.Language)})
	data := map[string]string{"kyselytyyppi": SurveyType, "yksiloiva_tunniste": p.PeriodID, "heratepvm": d.TriggerDate.String(),
		"vastaamisaika_alkaa": d.Opens.String(), "vastaamisaika_loppuu": d.Closes.String(), "tyopaikan_nimi": p.Plan.WorkplaceName,
		"tyopaikan_y_tunnus": p.Plan.BusinessID, "case_id": string(p.CaseID), coaching.NoticeDataDocument: key(p.PeriodID)}
	if p.Plan.EHOKSID != nil {
		data["hoks_id"] = strconv.FormatInt(*p.Plan.EHOKSID, 10)
	}
	at := d.Opens.At(9, 0)
	if at.Before(now) {
		at = now
	}
	return d, &coaching.Notice{ID: d.NoticeID, CaseID: p.CaseID, Kind: NoticeKindTEP, Recipient: to, Subject: subject, Body: body,
		Data: data, CreatedAt: now, NotBefore: at, Status: coaching.NoticePending}
}

// dateText writes a date as a reader of lang does: 11.12.2026 in Finnish
// and Swedish, 2026-12-11 in English.
func dateText(d coaching.Date, lang coaching.Language) string {
	if lang == coaching.English {
		return d.String()
	}
	return fmt.Sprintf("%d.%d.%d", d.Day, int(d.Month), d.Year)
}
