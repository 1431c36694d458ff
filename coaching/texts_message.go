package coaching

// messageTexts are the notice texts of replies, messages and contact-detail proposals (package coaching/message), in Finnish, Swedish and English.
var messageTexts = map[string]textSpec{
	// coaching/message: staff's message to the student or the guardians
	// (message.NoticeKindMessage). The text is the writer's own.
	"message": {fields: []string{"case", "from", "subject", "text"}, texts: map[Language]Text{
		Finnish: {"Viesti: {{.subject}}", "{{.from}} kirjoitti:\n\n{{.text}}\n\nVoit vastata viestiin valmennuksen palvelussa."},
		Swedish: {"Meddelande: {{.subject}}", "{{.from}} skrev:\n\n{{.text}}\n\nDu kan svara på meddelandet i coachningstjänsten."},
		English: {"Message: {{.subject}}", "{{.from}} wrote:\n\n{{.text}}\n\nYou can reply to this message in the coaching service."},
	}},
	// coaching/message: a reply to a notice or to a message
	// (message.NoticeKindReply).
	"message_reply": {fields: []string{"case", "from", "subject", "text"}, texts: map[Language]Text{
		Finnish: {"Vastaus: {{.subject}}", "{{.from}} vastasi (asia {{.case}}):\n\n{{.text}}"},
		Swedish: {"Svar: {{.subject}}", "{{.from}} svarade (ärende {{.case}}):\n\n{{.text}}"},
		English: {"Reply: {{.subject}}", "{{.from}} replied (case {{.case}}):\n\n{{.text}}"},
	}},
	// coaching/contactchange: a proposed change of contact details, to the
	// staff who decide it (contactchange.NoticeKindProposed).
	"contact_change_proposed": {fields: []string{"case", "from", "whose"}, texts: map[Language]Text{
		Finnish: {"Yhteystietojen muutosehdotus (asia {{.case}})", "{{.from}} ehdottaa muutosta {{if eq .whose \"guardian\"}}huoltajan{{else}}opiskelijan{{end}} yhteystietoihin. Hyväksy tai hylkää ehdotus."},
		Swedish: {"Förslag om ändrade kontaktuppgifter (ärende {{.case}})", "{{.from}} föreslår en ändring av {{if eq .whose \"guardian\"}}vårdnadshavarens{{else}}den studerandes{{end}} kontaktuppgifter. Godkänn eller avslå förslaget."},
		English: {"Proposed change of contact details (case {{.case}})", "{{.from}} proposes a change to the {{if eq .whose \"guardian\"}}guardian's{{else}}student's{{end}} contact details. Approve or decline the proposal."},
	}},
	// coaching/contactchange: the decision, to whoever proposed the change
	// (contactchange.NoticeKindDecided).
	"contact_change_decided": {fields: []string{"case", "decision", "reason"}, texts: map[Language]Text{
		Finnish: {"{{if eq .decision \"approved\"}}Yhteystietosi on päivitetty{{else}}Yhteystietojen muutosta ei tehty{{end}}",
			"{{if eq .decision \"approved\"}}Ehdottamasi muutos yhteystietoihin on hyväksytty ja tallennettu.{{else}}Ehdottamaasi muutosta yhteystietoihin ei hyväksytty.{{if .reason}} Perustelu: {{.reason}}{{end}}{{end}}"},
		Swedish: {"{{if eq .decision \"approved\"}}Dina kontaktuppgifter har uppdaterats{{else}}Kontaktuppgifterna ändrades inte{{end}}",
			"{{if eq .decision \"approved\"}}Den ändring av kontaktuppgifterna som du föreslog har godkänts och sparats.{{else}}Den ändring av kontaktuppgifterna som du föreslog godkändes inte.{{if .reason}} Motivering: {{.reason}}{{end}}{{end}}"},
		English: {"{{if eq .decision \"approved\"}}Your contact details were updated{{else}}Your contact details were not changed{{end}}",
			"{{if eq .decision \"approved\"}}The change to your contact details you proposed was approved and saved.{{else}}The change to your contact details you proposed was declined.{{if .reason}} Reason: {{.reason}}{{end}}{{end}}"},
	}},
}
