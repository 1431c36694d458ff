package coaching_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/contactchange"
	"github.com/valmennus/valmennus/coaching/message"
	"github.com/valmennus/valmennus/coaching/referral"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/hoks/workplace"
	"github.com/valmennus/valmennus/pathway"
)

// Every kind of notice the library sends has its text in the one
// catalogue, in Finnish, Swedish and English, and renders with the fields
// its notices carry.
func TestEveryNoticeKindHasItsTexts(t *testing.T) {
	texts := coaching.DefaultTexts()
	kinds := []string{coaching.NoticeKindTransition, coaching.NoticeKindPhaseOverdue, coaching.NoticeKindAbsence,
		coaching.NoticeKindAbsenceCorrection, coaching.NoticeKindGuardianUnreachable, coaching.NoticeKindRiskAlert,
		referral.NoticeKindFollowUp, pathway.NoticeKindFollowUp, hoks.NoticeKindSurvey}
	kinds = append(kinds, message.NoticeKindMessage, message.NoticeKindReply, contactchange.NoticeKindProposed, contactchange.NoticeKindDecided)
	kinds = append(kinds, hoks.NoticeKindProposalSubmitted, hoks.NoticeKindProposalDecided)
	kinds = append(kinds, absence.NoticeKindSubmitted, absence.NoticeKindDecided)
	kinds = append(kinds, workplace.NoticeKindStarting, workplace.NoticeKindEnding, workplace.NoticeKindTEP)
	assert.ElementsMatch(t, kinds, texts.Kinds())
	for _, kind := range kinds {
		fields := map[string]string{}
		for _, f := range coaching.TextFields(kind) {
			fields[f] = "«" + f + "»"
		}
		for _, lang := range []coaching.Language{coaching.Finnish, coaching.Swedish, coaching.English} {
			subject, body, err := texts.Render(kind, lang, fields)
			require.NoError(t, err, "%s/%s", kind, lang)
			assert.NotEmpty(t, subject, "%s/%s", kind, lang)
			assert.NotContains(t, subject, "\n")
			assert.NotEmpty(t, body, "%s/%s", kind, lang)
		}
	}
}

// A host's wording replaces the built-in one for that kind and language;
// a text that cannot render is refused when it is set, naming the problem.
func TestTextsCanBeOverridden(t *testing.T) {
	texts := coaching.DefaultTexts()
	cases := []struct {
		name  string
		kind  string
		lang  coaching.Language
		text  coaching.Text
		field string
	}{
		{"a field the notices do not carry", coaching.NoticeKindRiskAlert, coaching.English, coaching.Text{Subject: "Alert {{.case}}", Body: "{{.student_name}}"}, "body"},
		{"a template that does not parse", coaching.NoticeKindRiskAlert, coaching.English, coaching.Text{Subject: "Alert {{.case", Body: "x"}, "subject"},
		{"an empty body", coaching.NoticeKindRiskAlert, coaching.English, coaching.Text{Subject: "Alert", Body: " "}, "body"},
		{"a subject of two lines", coaching.NoticeKindRiskAlert, coaching.English, coaching.Text{Subject: "Alert\nBcc: x", Body: "x"}, "subject"},
		{"an unknown language", coaching.NoticeKindRiskAlert, "de", coaching.Text{Subject: "Warnung", Body: "x"}, "language"},
		{"a kind that is not a name", "Risk Alert", coaching.English, coaching.Text{Subject: "x", Body: "x"}, "kind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ct.RequireInvalid(t, texts.Set(tc.kind, tc.lang, tc.text), tc.field)
		})
	}
	before, _ := texts.Text(coaching.NoticeKindRiskAlert, coaching.English)
	assert.Equal(t, "Early warning: case {{.case}}", before.Subject, "a refused text changes nothing")

	require.NoError(t, texts.Set(coaching.NoticeKindTransition, coaching.English, coaching.Text{
		Subject: "[Workshop] {{.case}} is now in {{.to}}", Body: "Moved {{.when}} from {{.from}}."}))
	env := ct.New(t, &ct.Options{Engine: coaching.Options{Texts: texts}})
	tutor := ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor)
	tutor.Language = coaching.English
	counsellor := coaching.TeamMember{ActorID: "opo-1", Role: coaching.RoleStudyCounsellor, Name: "Opo"} // Finnish: the built-in wording
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), tutor, counsellor)
	res, err := env.Engine.Fire(context.Background(), ct.Staff, c.ID, coaching.PilotRedirect, &coaching.FireOptions{Reason: "moves to logistics"})
	require.NoError(t, err)
	bySubject := map[string]string{}
	for _, n := range res.Notices {
		bySubject[n.Recipient.ID] = n.Subject
	}
	assert.Equal(t, map[string]string{
		ct.Tutor.ID: "[Workshop] " + string(c.ID) + " is now in Redirected to a better-suited field",
		"opo-1":     "Valmennusasia " + string(c.ID) + ": Redirected to a better-suited field",
	}, bySubject)
	// A custom kind without a text in the reader's language falls back to
	// Finnish.
	require.NoError(t, texts.Set("host_reminder", coaching.Finnish, coaching.Text{Subject: "Muistutus", Body: "Asia {{.case}}"}))
	subject, body, err := texts.Render("host_reminder", coaching.Swedish, map[string]string{"case": "c-1"})
	require.NoError(t, err)
	assert.Equal(t, "Muistutus", subject)
	assert.Equal(t, "Asia c-1", body)
	_, _, err = texts.Render("nobody_sends_this", coaching.Finnish, nil)
	assert.ErrorIs(t, err, coaching.ErrNotFound)
}
