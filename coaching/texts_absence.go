package coaching

// absenceTexts are the notice texts of absence reports, explanations and leave requests (package coaching/absence), in Finnish, Swedish and English.
// They name the kind of request, its days and its decision: never the
// reason category or the family's own words.
var absenceTexts = map[string]textSpec{
	// A request waits for its decider (absence.NoticeKindSubmitted): the
	// deciders are told, or the personal tutor when no head of studies is
	// on the team.
	"absence_request_submitted": {fields: []string{"case", "kind", "days", "decider"}, texts: map[Language]Text{
		Finnish: {`{{template "K" .}} odottaa päätöstä (asia {{.case}})`,
			`Asiassa {{.case}} on uusi {{template "k" .}} ajalle {{.days}}. Sen päättää {{if eq .decider "head_of_studies"}}apulaisrehtori tai opintojen johtaja{{else}}omaohjaaja{{end}}.` +
				`{{define "k"}}{{if eq .kind "leave"}}lomahakemus{{else if eq .kind "explanation"}}poissaolon selvitys{{else}}poissaoloilmoitus{{end}}{{end}}` +
				`{{define "K"}}{{if eq .kind "leave"}}Lomahakemus{{else if eq .kind "explanation"}}Poissaolon selvitys{{else}}Poissaoloilmoitus{{end}}{{end}}`},
		Swedish: {`{{template "K" .}} väntar på beslut (ärende {{.case}})`,
			`I ärendet {{.case}} finns en ny {{template "k" .}} för tiden {{.days}}. Den avgörs av {{if eq .decider "head_of_studies"}}studierektorn{{else}}ansvarsläraren{{end}}.` +
				`{{define "k"}}{{if eq .kind "leave"}}ledighetsansökan{{else if eq .kind "explanation"}}frånvaroförklaring{{else}}frånvaroanmälan{{end}}{{end}}` +
				`{{define "K"}}{{if eq .kind "leave"}}Ledighetsansökan{{else if eq .kind "explanation"}}Frånvaroförklaring{{else}}Frånvaroanmälan{{end}}{{end}}`},
		English: {`{{template "A" .}} awaits a decision (case {{.case}})`,
			`Case {{.case}} has a new {{template "k" .}} for {{.days}}. It is decided by the {{if eq .decider "head_of_studies"}}head of studies{{else}}personal tutor{{end}}.` +
				`{{define "k"}}{{if eq .kind "leave"}}leave request{{else if eq .kind "explanation"}}absence explanation{{else}}absence report{{end}}{{end}}` +
				`{{define "A"}}{{if eq .kind "leave"}}A leave request{{else if eq .kind "explanation"}}An absence explanation{{else}}An absence report{{end}}{{end}}`},
	}},
	// Whoever submitted a request is told its decision (absence.NoticeKindDecided).
	"absence_request_decided": {fields: []string{"given_names", "kind", "days", "decision"}, texts: map[Language]Text{
		Finnish: {`{{template "k" .}} {{.days}}: {{template "d" .}} ({{.given_names}})`,
			`{{.given_names}}: {{template "k" .}} ajalle {{.days}} on {{template "d" .}}.` +
				`{{define "k"}}{{if eq .kind "leave"}}Lomahakemus{{else if eq .kind "explanation"}}Poissaolon selvitys{{else}}Poissaoloilmoitus{{end}}{{end}}` +
				`{{define "d"}}{{if eq .decision "accepted"}}hyväksytty{{else if eq .decision "granted"}}myönnetty{{else}}hylätty{{end}}{{end}}`},
		Swedish: {`{{template "k" .}} {{.days}}: {{template "d" .}} ({{.given_names}})`,
			`{{.given_names}}: {{template "k" .}} för tiden {{.days}} har {{template "d" .}}.` +
				`{{define "k"}}{{if eq .kind "leave"}}Ledighetsansökan{{else if eq .kind "explanation"}}Frånvaroförklaringen{{else}}Frånvaroanmälan{{end}}{{end}}` +
				`{{define "d"}}{{if eq .decision "accepted"}}godkänts{{else if eq .decision "granted"}}beviljats{{else}}avslagits{{end}}{{end}}`},
		English: {`{{template "k" .}} {{.days}}: {{template "d" .}} ({{.given_names}})`,
			`{{.given_names}}: the {{template "kl" .}} for {{.days}} has been {{template "d" .}}.` +
				`{{define "k"}}{{if eq .kind "leave"}}Leave request{{else if eq .kind "explanation"}}Absence explanation{{else}}Absence report{{end}}{{end}}` +
				`{{define "kl"}}{{if eq .kind "leave"}}leave request{{else if eq .kind "explanation"}}absence explanation{{else}}absence report{{end}}{{end}}` +
				`{{define "d"}}{{if eq .decision "accepted"}}accepted{{else if eq .decision "granted"}}granted{{else if eq .decision "refused"}}refused{{else}}rejected{{end}}{{end}}`},
	}},
}
