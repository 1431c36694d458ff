package coaching

// workplaceTexts are the notice texts of workplace learning periods
// (hoks/workplace: training agreements and apprenticeships), in Finnish,
// Swedish and English. They name the case, the workplace and dates, never
// why a period was interrupted.
var workplaceTexts = map[string]textSpec{
	// hoks/workplace's notice before a signed period starts
	// (workplace.NoticeKindStarting), to the workplace instructor and the
	// staff member who signed the agreement.
	"workplace_period_starting": {fields: []string{"case", "workplace", "date"}, texts: map[Language]Text{
		Finnish: {"Työpaikkajakso alkaa {{.date}} (asia {{.case}})",
			"Asian {{.case}} opiskelijan työpaikalla oppimisen jakso työpaikassa {{.workplace}} alkaa {{.date}}. Varmistakaa, että perehdytys ja ohjaus on sovittu."},
		Swedish: {"Arbetsplatsperioden börjar {{.date}} (ärende {{.case}})",
			"Den studerandes period av lärande i arbetet i ärendet {{.case}} på arbetsplatsen {{.workplace}} börjar {{.date}}. Se till att introduktionen och handledningen är överenskomna."},
		English: {"Workplace period starts on {{.date}} (case {{.case}})",
			"The student's workplace learning period of case {{.case}} at {{.workplace}} starts on {{.date}}. Make sure the induction and the instruction are agreed."},
	}},
	// hoks/workplace's notice before a running period ends
	// (workplace.NoticeKindEnding).
	"workplace_period_ending": {fields: []string{"case", "workplace", "date"}, texts: map[Language]Text{
		Finnish: {"Työpaikkajakso päättyy {{.date}} (asia {{.case}})",
			"Asian {{.case}} opiskelijan työpaikalla oppimisen jakso työpaikassa {{.workplace}} päättyy {{.date}}. Sopikaa osaamisen arvioinnista ja jakson päättämisestä."},
		Swedish: {"Arbetsplatsperioden slutar {{.date}} (ärende {{.case}})",
			"Den studerandes period av lärande i arbetet i ärendet {{.case}} på arbetsplatsen {{.workplace}} slutar {{.date}}. Kom överens om bedömningen av kunnandet och om hur perioden avslutas."},
		English: {"Workplace period ends on {{.date}} (case {{.case}})",
			"The student's workplace learning period of case {{.case}} at {{.workplace}} ends on {{.date}}. Agree on assessing the competence and on closing the period."},
	}},
	// hoks/workplace's working-life feedback survey (TEP) to the workplace
	// instructor when a period has ended (workplace.NoticeKindTEP).
	"tep_survey": {fields: []string{"workplace", "end_date", "opens", "closes"}, texts: map[Language]Text{
		Finnish: {"Työelämäpalaute: työpaikkajakso päättyi {{.end_date}}",
			"Opiskelijan työpaikalla oppimisen jakso työpaikassa {{.workplace}} päättyi {{.end_date}}. Kertokaa kokemuksistanne työpaikkaohjaajana: vastatkaa työelämäpalautekyselyyn {{.opens}}–{{.closes}}."},
		Swedish: {"Arbetslivsrespons: arbetsplatsperioden slutade {{.end_date}}",
			"Den studerandes period av lärande i arbetet på arbetsplatsen {{.workplace}} slutade {{.end_date}}. Berätta om era erfarenheter som arbetsplatshandledare: svara på enkäten för arbetslivsrespons {{.opens}}–{{.closes}}."},
		English: {"Working-life feedback: the workplace period ended on {{.end_date}}",
			"The student's workplace learning period at {{.workplace}} ended on {{.end_date}}. Tell us about your experience as the workplace instructor: answer the working-life feedback survey between {{.opens}} and {{.closes}}."},
	}},
}
