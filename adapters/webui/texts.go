package webui

import "github.com/valmennus/valmennus/coaching"

// text is one catalogue entry in the three languages of the interface.
type text struct{ fi, sv, en string }

// in returns the entry in lang (Finnish for any other).
func (t text) in(lang coaching.Language) string {
	switch lang {
	case coaching.Swedish:
		return t.sv
	case coaching.English:
		return t.en
	}
	return t.fi
}

// languages are the interface's languages, Finnish (the default) first.
var languages = []coaching.Language{coaching.Finnish, coaching.Swedish, coaching.English}

// catalogue holds every text of the interface, in Finnish, Swedish and
// English: templates name a key with {{t "key"}}, and a test checks that
// every key a template uses is here and that every entry has all three
// languages. Keys with a prefix ending in a dot followed by a name from the
// data (role., state.<model>., model., flag.) are looked up with {{label}}
// and fall back to the data's own name for a host's own models, roles or
// rules.
var catalogue = map[string]text{
	"app.name":     {"Valmennus", "Valmennus", "Valmennus"},
	"skip":         {"Siirry pääsisältöön", "Hoppa till huvudinnehållet", "Skip to main content"},
	"nav.label":    {"Päävalikko", "Huvudmeny", "Main menu"},
	"nav.caseload": {"Oma työlista", "Min arbetslista", "My caseload"},
	"header.user":  {"Kirjautunut käyttäjä", "Inloggad användare", "Signed-in user"},
	"lang.label":   {"Kieli", "Språk", "Language"},
	"lang.fi":      {"Suomeksi", "Suomeksi", "Suomeksi"},
	"lang.sv":      {"På svenska", "På svenska", "På svenska"},
	"lang.en":      {"In English", "In English", "In English"},
	"signout":      {"Kirjaudu ulos", "Logga ut", "Sign out"},

	"login.title": {"Kirjaudu sisään", "Logga in", "Sign in"},
	"login.dev.warning": {
		"Kehitystila: kuka tahansa voi kirjautua kenä tahansa. Älä koskaan käytä tätä tuotannossa.",
		"Utvecklingsläge: vem som helst kan logga in som vem som helst. Använd aldrig detta i produktion.",
		"Development mode: anyone can sign in as anyone. Never use this in production."},
	"login.choose":   {"Kirjaudu demokäyttäjänä", "Logga in som demoanvändare", "Sign in as a demo user"},
	"login.language": {"Käyttöliittymän kieli", "Gränssnittets språk", "Interface language"},
	"login.failed": {"Kirjautuminen ei onnistunut. Yritä uudelleen.", "Inloggningen misslyckades. Försök igen.",
		"Signing in failed. Please try again."},
	"login.continue": {"Jatka kirjautumiseen", "Fortsätt till inloggningen", "Continue to sign in"},

	"caseload.title":        {"Oma työlista", "Min arbetslista", "My caseload"},
	"caseload.filters":      {"Rajaa listaa", "Filtrera listan", "Filter the list"},
	"caseload.status":       {"Tapaukset", "Ärenden", "Cases"},
	"caseload.status.open":  {"Avoimet", "Öppna", "Open"},
	"caseload.status.close": {"Päättyneet", "Avslutade", "Closed"},
	"caseload.status.any":   {"Kaikki", "Alla", "All"},
	"caseload.sort":         {"Järjestys", "Ordning", "Order"},
	"caseload.sort.urgency": {"Kiireellisimmät ensin", "Mest brådskande först", "Most urgent first"},
	"caseload.sort.name":    {"Nimen mukaan", "Efter namn", "By name"},
	"caseload.sort.opened":  {"Uusimmat ensin", "Nyaste först", "Newest first"},
	"caseload.overdue":      {"Vain määräajan ylittäneet", "Endast försenade", "Overdue only"},
	"caseload.flagged":      {"Vain varoituksen saaneet", "Endast med varning", "Flagged only"},
	"caseload.nocontact": {"Ei yhteydenottoa vähintään (päivää)", "Ingen kontakt på minst (dagar)",
		"No contact for at least (days)"},
	"caseload.group":   {"Ryhmä", "Grupp", "Group"},
	"caseload.apply":   {"Näytä", "Visa", "Show"},
	"caseload.empty":   {"Ei tapauksia tällä rajauksella.", "Inga ärenden med detta filter.", "No cases match this filter."},
	"caseload.invalid": {"Rajaus ei kelpaa:", "Filtret är ogiltigt:", "The filter is not valid:"},
	"caseload.next":    {"Seuraava sivu", "Nästa sida", "Next page"},
	"caseload.caption": {"Tapaukset", "Ärenden", "Cases"},
	"caseload.first":   {"Ensimmäinen sivu", "Första sidan", "First page"},

	"col.name":    {"Nimi", "Namn", "Name"},
	"col.group":   {"Ryhmä", "Grupp", "Group"},
	"col.model":   {"Prosessi", "Process", "Process"},
	"col.state":   {"Vaihe", "Fas", "Phase"},
	"col.due":     {"Vaiheen määräaika", "Fasens tidsfrist", "Phase deadline"},
	"col.flags":   {"Varoitukset", "Varningar", "Warnings"},
	"col.alerts":  {"Avoimet hälytykset", "Öppna larm", "Open alerts"},
	"col.contact": {"Viimeisin yhteydenotto", "Senaste kontakt", "Last contact"},
	"col.next":    {"Seuraavaksi suunniteltu", "Nästa planerade", "Next planned"},
	"col.role":    {"Rooli", "Roll", "Role"},

	"badge.overdue": {"Myöhässä", "Försenad", "Overdue"},
	"badge.paused":  {"Tauolla", "Pausad", "Paused"},
	"badge.closed":  {"Päättynyt", "Avslutat", "Closed"},

	"case.title":       {"Tapaus", "Ärende", "Case"},
	"case.namehidden":  {"Osallistujan nimeä ei näytetä sinulle.", "Deltagarens namn visas inte för dig.", "The participant's name is not shown to you."},
	"case.summary":     {"Yhteenveto", "Sammanfattning", "Summary"},
	"case.model":       {"Prosessi", "Process", "Process"},
	"case.state":       {"Nykyinen vaihe", "Nuvarande fas", "Current phase"},
	"case.deadline":    {"Vaiheen määräaika", "Fasens tidsfrist", "Phase deadline"},
	"case.nodeadline":  {"Ei määräaikaa", "Ingen tidsfrist", "No deadline"},
	"case.opened":      {"Avattu", "Öppnat", "Opened"},
	"case.closedon":    {"Päättynyt", "Avslutat", "Closed"},
	"case.timeline":    {"Vaiheet", "Faser", "Phases"},
	"case.current":     {"nykyinen vaihe", "nuvarande fas", "current phase"},
	"case.done":        {"käyty", "genomgången", "done"},
	"case.endings":     {"Päättymistavat", "Avslutningar", "Ways the case can end"},
	"case.team":        {"Tiimi", "Team", "Team"},
	"case.noteam":      {"Tapauksella ei ole tiimiä.", "Ärendet har inget team.", "The case has no team."},
	"case.back":        {"Takaisin työlistaan", "Tillbaka till arbetslistan", "Back to the caseload"},
	"case.teamcaption": {"Tapauksen tiimi", "Ärendets team", "The case's team"},

	"error.400.title": {"Virheellinen pyyntö", "Felaktig begäran", "Bad request"},
	"error.400.body":  {"Pyyntöä ei voitu käsitellä.", "Begäran kunde inte behandlas.", "The request could not be handled."},
	"error.403.title": {"Ei käyttöoikeutta", "Ingen behörighet", "Access denied"},
	"error.403.body":  {"Sinulla ei ole oikeutta tähän tietoon.", "Du har inte behörighet till denna uppgift.", "You do not have access to this information."},
	"error.csrf.body": {"Pyyntö tuli toiselta sivustolta, joten se hylättiin. Palaa sivulle ja yritä uudelleen.",
		"Begäran kom från en annan webbplats och avvisades. Gå tillbaka till sidan och försök igen.",
		"The request came from another site and was refused. Go back to the page and try again."},
	"error.404.title": {"Sivua ei löytynyt", "Sidan hittades inte", "Page not found"},
	"error.404.body":  {"Hakemaasi sivua tai tapausta ei ole.", "Sidan eller ärendet du söker finns inte.", "The page or case you asked for does not exist."},
	"error.500.title": {"Virhe", "Fel", "Error"},
	"error.500.body":  {"Jokin meni vikaan. Yritä myöhemmin uudelleen.", "Något gick fel. Försök igen senare.", "Something went wrong. Please try again later."},
	"error.503.title": {"Palvelu ei ole käytettävissä", "Tjänsten är inte tillgänglig", "Service unavailable"},
	"error.503.body":  {"Tietoja ei juuri nyt saada. Yritä hetken kuluttua uudelleen.", "Uppgifterna kan inte nås just nu. Försök igen om en stund.", "The data cannot be reached right now. Please try again shortly."},
	"error.home":      {"Etusivulle", "Till startsidan", "Go to the start page"},

	"model.valo":             {"Työpajavalmennus (VALO)", "Verkstadscoachning (VALO)", "Workshop coaching (VALO)"},
	"model.first_year_pilot": {"Ensimmäisen vuoden valmennus", "Coachning under första året", "First-year coaching"},

	"state.valo.recruitment":       {"Rekrytointi", "Rekrytering", "Recruitment"},
	"state.valo.induction":         {"Perehdytys", "Introduktion", "Induction"},
	"state.valo.skill_acquisition": {"Osaamisen hankkiminen", "Förvärvande av kunnande", "Skill acquisition"},
	"state.valo.demonstration":     {"Näyttö", "Yrkesprov", "Competence demonstration"},
	"state.valo.onward_guidance":   {"Jatko-ohjaus", "Fortsatt handledning", "Onward guidance"},
	"state.valo.paused":            {"Tauolla", "Pausad", "Paused"},
	"state.valo.closed":            {"Päättynyt", "Avslutad", "Closed"},
	"state.valo.declined":          {"Ei aloittanut", "Inte antagen", "Declined"},
	"state.valo.discontinued":      {"Keskeytynyt", "Avbruten", "Discontinued"},
	"state.valo.redirected":        {"Ohjattu sopivammalle alalle", "Omdirigerad till en lämpligare bransch", "Redirected to a better-suited field"},

	"state.first_year_pilot.start_of_studies":  {"Opintojen alku", "Studiestart", "Start of studies"},
	"state.first_year_pilot.coaching":          {"Yksilö- ja ryhmävalmennus", "Individuell coachning och gruppcoachning", "Individual and group coaching"},
	"state.first_year_pilot.end_of_first_year": {"Ensimmäisen vuoden päätös", "Slutet av första året", "End of the first year"},
	"state.first_year_pilot.continuing":        {"Jatkaa opintoja", "Fortsätter studierna", "Continuing studies"},
	"state.first_year_pilot.redirected":        {"Ohjattu sopivammalle alalle", "Omdirigerad till en lämpligare bransch", "Redirected to a better-suited field"},
	"state.first_year_pilot.discontinued":      {"Keskeytynyt", "Avbruten", "Discontinued"},

	"role.personal_tutor":        {"Omaohjaaja", "Egen handledare", "Personal tutor"},
	"role.coach":                 {"Valmentaja", "Coach", "Coach"},
	"role.teacher":               {"Opettaja", "Lärare", "Teacher"},
	"role.special_needs_teacher": {"Erityisopettaja", "Speciallärare", "Special needs teacher"},
	"role.study_counsellor":      {"Opinto-ohjaaja", "Studiehandledare", "Study counsellor"},
	"role.curator":               {"Kuraattori", "Kurator", "Curator"},
	"role.psychologist":          {"Psykologi", "Psykolog", "Psychologist"},
	"role.nurse":                 {"Terveydenhoitaja", "Hälsovårdare", "Nurse"},
	"role.guardian":              {"Huoltaja", "Vårdnadshavare", "Guardian"},
	"role.workplace_instructor":  {"Työpaikkaohjaaja", "Arbetsplatshandledare", "Workplace instructor"},
	"role.peer_coach":            {"Vertaisvalmentaja", "Kamratcoach", "Peer coach"},
	"role.head_of_studies":       {"Opintojen johtaja", "Studiechef", "Head of studies"},
	"role.student":               {"Opiskelija", "Studerande", "Student"},
	"role.funder":                {"Rahoittaja", "Finansiär", "Funder"},

	"flag.attendance_below_90": {"Läsnäolo alle 90 %", "Närvaro under 90 %", "Attendance below 90%"},
	"flag.unexplained_3_in_10": {"3 selvittämätöntä poissaoloa 10 päivässä", "3 oförklarade frånvaron på 10 dagar", "3 unexplained absences in 10 days"},
	"flag.absence_25h":         {"Poissaoloja 25 h", "Frånvaro 25 h", "25 hours absent"},
	"flag.absence_30h":         {"Poissaoloja 30 h", "Frånvaro 30 h", "30 hours absent"},
	"flag.absence_50h":         {"Poissaoloja 50 h", "Frånvaro 50 h", "50 hours absent"},
	"flag.absence_70h":         {"Poissaoloja 70 h", "Frånvaro 70 h", "70 hours absent"},

	"planned.individual_session": {"Yksilövalmennus", "Individuell coachning", "Individual session"},
	"planned.group_session":      {"Ryhmävalmennus", "Gruppcoachning", "Group session"},
	"planned.guardian_meeting":   {"Huoltajatapaaminen", "Möte med vårdnadshavare", "Guardian meeting"},
	"planned.hoks_discussion":    {"HOKS-keskustelu", "PUK-samtal", "HOKS discussion"},
	"planned.workplace_visit":    {"Työpaikkakäynti", "Arbetsplatsbesök", "Workplace visit"},
	"planned.demonstration":      {"Näyttö", "Yrkesprov", "Demonstration"},
	"planned.task":               {"Tehtävä", "Uppgift", "Task"},

	// The case's events and their forms (events.go, event.html).
	"case.events":   {"Kirjaa tapahtuma", "Registrera en händelse", "Record an event"},
	"case.noevents": {"Sinulla ei ole nyt kirjattavia tapahtumia tässä tapauksessa.", "Du har inga händelser att registrera i detta ärende just nu.", "There are no events you can record on this case now."},
	"event.back":    {"Takaisin tapaukseen", "Tillbaka till ärendet", "Back to the case"},
	"event.submit":  {"Kirjaa", "Registrera", "Record"},
	"event.fired":   {"Kirjattu: %s.", "Registrerat: %s.", "Recorded: %s."},
	"event.rules":   {"Tapahtumaa ei voitu kirjata", "Händelsen kunde inte registreras", "The event could not be recorded"},
	"event.conflict": {"Joku muu muutti tapausta sillä välin. Lomake näyttää nyt tapauksen uusimman tilan: tarkista tiedot ja lähetä uudelleen.",
		"Någon annan ändrade ärendet under tiden. Formuläret visar nu ärendets senaste läge: kontrollera uppgifterna och skicka igen.",
		"Someone else changed the case meanwhile. The form now shows the case as it is: check the details and send again."},
	"event.notnow":  {"Tätä tapahtumaa ei voi kirjata tapaukselle nyt.", "Denna händelse kan inte registreras för ärendet nu.", "This event cannot be recorded on the case now."},
	"form.errors":   {"Korjaa seuraavat kohdat", "Rätta följande", "Please correct the following"},
	"form.required": {"pakollinen", "obligatorisk", "required"},
	"form.missing":  {"Pakollinen tieto puuttuu.", "Obligatorisk uppgift saknas.", "This is required."},
	"form.required.note": {"Tähdellä (*) merkityt kentät ovat pakollisia.", "Fält märkta med asterisk (*) är obligatoriska.",
		"Fields marked with an asterisk (*) are required."},
	"form.choose":    {"– valitse –", "– välj –", "– choose –"},
	"form.reason":    {"Perustelu", "Motivering", "Reason"},
	"form.list.hint": {"Yksi kohta riville.", "En punkt per rad.", "One item a line."},
	"form.json.hint": {"Arvo JSON-muodossa.", "Värdet i JSON-format.", "The value as JSON."},
	"form.oneof":     {"Valitse jokin vaihtoehdoista.", "Välj ett av alternativen.", "Choose one of the options."},
	"form.number":    {"Anna luku.", "Ange ett tal.", "Enter a number."},
	"form.date":      {"Anna päivämäärä muodossa VVVV-KK-PP.", "Ange ett datum som ÅÅÅÅ-MM-DD.", "Enter a date as YYYY-MM-DD."},
	"form.json":      {"Arvo ei ole kelvollista JSONia.", "Värdet är inte giltig JSON.", "The value is not valid JSON."},
	"form.max":       {"Liian suuri tai pitkä (enintään %s).", "För stort eller långt (högst %s).", "Too large or too long (at most %s)."},
	"form.min":       {"Liian pieni tai lyhyt (vähintään %s).", "För litet eller kort (minst %s).", "Too small or too short (at least %s)."},
	"form.invalid":   {"Arvo ei kelpaa.", "Värdet är ogiltigt.", "The value is not valid."},

	"event.valo.admit":                    {"Ota valmennukseen alkuarvion jälkeen", "Anta efter inledande bedömning", "Admit after the entry assessment"},
	"event.valo.decline":                  {"Ei oteta: aloitusedellytykset eivät täyty", "Antas inte: villkoren uppfylls inte", "Decline: entry criteria not met"},
	"event.valo.start_acquisition":        {"Perehdytys valmis: aloita osaamisen hankkiminen", "Introduktionen klar: börja förvärva kunnande", "Induction done: start skill acquisition"},
	"event.valo.start_demonstration":      {"Valmis näyttöön", "Redo för yrkesprov", "Ready to demonstrate"},
	"event.valo.return_to_acquisition":    {"Tarvitaan lisää harjoittelua", "Mer övning behövs", "More practice needed"},
	"event.valo.start_onward_guidance":    {"Näyttö annettu: suunnittele jatkopolku", "Yrkesprovet avlagt: planera fortsättningen", "Demonstrated: plan the onward path"},
	"event.valo.close":                    {"Päätä jakso", "Avsluta perioden", "Close the period"},
	"event.valo.discontinue":              {"Keskeytä", "Avbryt", "Discontinue"},
	"event.valo.redirect":                 {"Ohjaa sopivammalle alalle", "Omdirigera till en lämpligare bransch", "Redirect to a better-suited field"},
	"event.valo.pause":                    {"Tauko (sairausloma tms.)", "Paus (sjukledighet e.d.)", "Pause (sick leave etc.)"},
	"event.valo.resume_induction":         {"Jatka perehdytystä", "Återuppta introduktionen", "Resume induction"},
	"event.valo.resume_skill_acquisition": {"Jatka osaamisen hankkimista", "Återuppta förvärvandet av kunnande", "Resume skill acquisition"},
	"event.valo.resume_demonstration":     {"Jatka näyttöä", "Återuppta yrkesprovet", "Resume demonstration"},
	"event.valo.resume_onward_guidance":   {"Jatka jatko-ohjausta", "Återuppta den fortsatta handledningen", "Resume onward guidance"},

	"event.first_year_pilot.map_initial_situation": {"Lähtötilanne kartoitettu", "Utgångsläget kartlagt", "Initial situation mapped"},
	"event.first_year_pilot.end_first_year":        {"Ensimmäinen vuosi päättyy", "Första året slutar", "First year ends"},
	"event.first_year_pilot.continue_studies":      {"Jatkaa toiselle vuodelle", "Fortsätter till andra året", "Continues to the second year"},
	"event.first_year_pilot.redirect":              {"Ohjattu sopivammalle alalle", "Omdirigerad till en lämpligare bransch", "Redirected to a better-suited field"},
	"event.first_year_pilot.discontinue":           {"Keskeyttänyt", "Avbrutit", "Discontinued"},

	"field.motivation":             {"Oma motivaatio", "Egen motivation", "Own motivation"},
	"field.working_life_skills":    {"Työelämätaidot", "Arbetslivsfärdigheter", "Working-life skills"},
	"field.attendance_commitment":  {"Sitoutuminen läsnäoloon", "Engagemang för närvaro", "Commitment to attendance"},
	"field.work_commitment":        {"Sitoutuminen työhön", "Engagemang för arbetet", "Commitment to work"},
	"field.goal_commitment":        {"Sitoutuminen tavoitteelliseen jaksoon", "Engagemang för en målinriktad period", "Commitment to a goal-oriented period"},
	"field.notes":                  {"Muistiinpanot", "Anteckningar", "Notes"},
	"field.field_suitability":      {"Soveltuvuus alalle", "Lämplighet för branschen", "Suitability for the field"},
	"field.current_competence":     {"Nykyinen osaaminen", "Nuvarande kunnande", "Current competence"},
	"field.target_units":           {"Tavoitellut tutkinnon osat", "Eftersträvade examensdelar", "Target qualification units"},
	"field.support_needs":          {"Tuen tarpeet", "Stödbehov", "Support needs"},
	"field.literacy_screening":     {"Lukiseulan tulos", "Resultat av läs- och skrivscreening", "Literacy screening result"},
	"field.maths_screening":        {"Matematiikan seulan tulos", "Resultat av matematikscreening", "Maths screening result"},
	"field.initial_interview_date": {"Alkuhaastattelun päivä", "Datum för inledande intervju", "Date of the initial interview"},
	"field.hoks_drafting_started":  {"HOKSin laatiminen aloitettu", "PUK-arbetet påbörjat", "HOKS drafting started"},

	"option.met":             {"Täyttyy", "Uppfylls", "Met"},
	"option.not_met":         {"Ei täyty", "Uppfylls inte", "Not met"},
	"option.no_support_need": {"Ei tuen tarvetta", "Inget stödbehov", "No support need"},
	"option.support_need":    {"Tuen tarve", "Stödbehov", "Support need"},
	"option.not_taken":       {"Ei tehty", "Inte gjord", "Not taken"},

	"rule.entry_criteria_met": {"Kaikkien aloitusedellytysten on täytyttävä, jotta osallistuja voidaan ottaa valmennukseen.",
		"Alla villkor måste uppfyllas för att deltagaren ska kunna antas.",
		"Every entry criterion must be met to admit the participant."},
	"rule.initial_situation_complete": {"Alkuhaastattelun ja HOKSin laatimisen aloituksen päivät tarvitaan, eivätkä ne voi olla tulevaisuudessa.",
		"Datum för den inledande intervjun och för när PUK-arbetet påbörjades behövs och får inte ligga i framtiden.",
		"The dates of the initial interview and of the start of HOKS drafting are needed and cannot be in the future."},
}
