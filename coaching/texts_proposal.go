package coaching

// proposalTexts are the notice texts of students' comments on and proposals to their plan (the HOKS), in Finnish, Swedish and English.
var proposalTexts = map[string]textSpec{
	// hoks's notice to the personal tutor of a new proposal
	// (hoks.NoticeKindProposalSubmitted). The title is the student's own
	// heading; the description and the change stay in the plan.
	"hoks_proposal_submitted": {fields: []string{"case", "number", "title"}, texts: map[Language]Text{
		Finnish: {"HOKS-muutosehdotus (asia {{.case}})",
			`Opiskelija ehdottaa muutosta henkilökohtaiseen osaamisen kehittämissuunnitelmaansa (HOKS): "{{.title}}" (ehdotus {{.number}}, asia {{.case}}). Käsittele ehdotus: hyväksy se suunnitelman uuteen versioon tai hylkää se perustellen.`},
		Swedish: {"Förslag till ändring i PUK (ärende {{.case}})",
			`Den studerande föreslår en ändring i sin personliga utvecklingsplan för kunnande (PUK): "{{.title}}" (förslag {{.number}}, ärende {{.case}}). Behandla förslaget: godkänn det i en ny version av planen eller avslå det med en motivering.`},
		English: {"HOKS change proposal (case {{.case}})",
			`The student proposes a change to their personal competence development plan (HOKS): "{{.title}}" (proposal {{.number}}, case {{.case}}). Decide on it: accept it into a new version of the plan, or decline it with a reason.`},
	}},
	// hoks's notice to the student of the decision on their proposal
	// (hoks.NoticeKindProposalDecided): never the reason or a staff note.
	"hoks_proposal_decided": {fields: []string{"title", "decision", "version"}, texts: map[Language]Text{
		Finnish: {`{{if eq .decision "accepted"}}HOKS-ehdotuksesi hyväksyttiin{{else}}HOKS-ehdotustasi ei hyväksytty{{end}}`,
			`{{if eq .decision "accepted"}}Ehdotuksesi "{{.title}}" hyväksyttiin: muutos on HOKSisi versiossa {{.version}}.{{else}}Ehdotustasi "{{.title}}" ei hyväksytty. Perustelu näkyy HOKSisi ehdotuksissa.{{end}}`},
		Swedish: {`{{if eq .decision "accepted"}}Ditt förslag till din PUK godkändes{{else}}Ditt förslag till din PUK avslogs{{end}}`,
			`{{if eq .decision "accepted"}}Ditt förslag "{{.title}}" godkändes: ändringen finns i version {{.version}} av din PUK.{{else}}Ditt förslag "{{.title}}" avslogs. Motiveringen finns bland förslagen i din PUK.{{end}}`},
		English: {`{{if eq .decision "accepted"}}Your HOKS proposal was accepted{{else}}Your HOKS proposal was declined{{end}}`,
			`{{if eq .decision "accepted"}}Your proposal "{{.title}}" was accepted: the change is in version {{.version}} of your HOKS.{{else}}Your proposal "{{.title}}" was declined. You can read the reason with your HOKS's proposals.{{end}}`},
	}},
}
