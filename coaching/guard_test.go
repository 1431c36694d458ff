package coaching_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// A host's own guarded documents: incident reports. Whether an actor may
// know of one is the host's read_incident rule — its maker, the head of
// studies, and the team when the maker shared it — asked with the
// report's facts, exactly as a referral is guarded by read_referral.
const (
	opReadIncident       coaching.Operation = "read_incident"
	noticeKindIncident                      = "incident_follow_up"
	timerIncidentCheck                      = "incident_check"
	ruleIncidentKnow                        = "incident_need_to_know"
	incidentEventPrefix                     = "incident_"
	incidentHiddenReason                    = "the incident was not shared"
)

type incidentReport struct {
	By     string `json:"by"`
	Shared bool   `json:"shared"`
}

func incidentDocuments() []coaching.DocumentKind {
	return []coaching.DocumentKind{{Prefix: "incident_", Guard: opReadIncident, Reserved: true,
		Notices: []string{noticeKindIncident}, Events: []string{incidentEventPrefix},
		Facts: func(ctx context.Context, tx coaching.ReadTx, c coaching.Case, kind string) (coaching.DocumentFacts, error) {
			doc, err := tx.Document(ctx, c.ID, kind, 0)
			if err != nil {
				return coaching.DocumentFacts{}, err
			}
			var r incidentReport
			if err := json.Unmarshal(doc.Data, &r); err != nil {
				return coaching.DocumentFacts{}, err
			}
			return coaching.DocumentFacts{By: r.By, SharedForTeaching: r.Shared}, nil
		}}}
}

// incidentPolicy wraps the default policy with the read_incident rule.
func incidentPolicy() coaching.Policy {
	def := coaching.DefaultPolicy()
	return coaching.PolicyFunc(func(ctx context.Context, r *coaching.Request) coaching.Decision {
		if r.Operation != opReadIncident {
			return def.Decide(ctx, r)
		}
		base := *r
		base.Operation = coaching.OpReadCase
		if d := def.Decide(ctx, &base); !d.Allowed {
			return d
		}
		switch {
		case r.Actor.HasRole(coaching.RoleHeadOfStudies):
			return coaching.Allow("incident_head")
		case r.OwnRecord:
			return coaching.Allow("incident_own")
		case r.SharedForTeaching:
			return coaching.Allow("incident_shared")
		}
		return coaching.Deny(ruleIncidentKnow, incidentHiddenReason)
	})
}

// A document kind a host registers is guarded as the kernel guards a
// referral: its audit entries and the notices about it — marked by the
// change or the timer that wrote them, or by their kind and event when
// they do not name it — are shown only to those the guard allows, asked
// with the document's own facts; reading it directly asks the same guard;
// the feature alone writes it.
func TestHostRegisteredDocumentKindIsGuarded(t *testing.T) {
	ctx := context.Background()
	handlers := map[string]coaching.TimerHandler{timerIncidentCheck: coaching.TimerHandlerFunc(
		func(_ context.Context, _ coaching.ReadTx, c coaching.Case, tm coaching.Timer, now time.Time) (coaching.TimerResult, error) {
			return coaching.TimerResult{Audit: "incident_check_due", Document: "incident_hidden",
				Notices: []coaching.Notice{incidentNotice(c.ID, tm.Key, now, "")}}, nil
		})}
	env := ct.New(t, &ct.Options{Engine: coaching.Options{Documents: incidentDocuments(), Policy: incidentPolicy(), TimerHandlers: handlers}})
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor),
		ct.TeamMember(teacher, coaching.RoleTeacher))

	// The tutor reports two incidents through a feature's scope: one kept
	// to themself, one shared with the team. Each change sends a notice,
	// and the hidden one sets a timer whose handler sends another.
	report := func(kind string, shared bool, timers ...coaching.Timer) {
		t.Helper()
		data, err := json.Marshal(incidentReport{By: ct.Tutor.ID, Shared: shared})
		require.NoError(t, err)
		require.NoError(t, env.Engine.Write(ctx, ct.Tutor, func(sc *coaching.Scope) error {
			_, err := sc.SaveDocument(c.ID, coaching.DocumentChange{Kind: kind, Data: data, Event: "incident_reported",
				Notices: []coaching.Notice{incidentNotice(c.ID, kind, sc.Now(), "")}, Timers: timers})
			return err
		}))
	}
	report("incident_hidden", false, coaching.Timer{Key: "incident:" + string(c.ID), CaseID: c.ID, Kind: timerIncidentCheck,
		DueAt: env.Clock.Now().Add(time.Hour)})
	report("incident_shared", true)
	env.Clock.Advance(2 * time.Hour)
	require.Equal(t, 1, env.Tick(t).Handled)
	// Traces that concern an incident without naming it: an entry whose
	// event the family claims, and a notice of the family's kind.
	_, err := env.Engine.ChangeCase(ctx, ct.Tutor, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
		ch.Audit(coaching.AuditDocument, "incident_legacy", "", nil)
		ch.Notify(incidentNotice(c.ID, "legacy", ch.Now(), noticeKindIncident))
		return nil
	})
	require.NoError(t, err)

	// What each actor is shown, by the document each trace concerns.
	type shown struct{ hidden, shared, unnamed int }
	traces := func(who coaching.Actor) (entries, notices shown) {
		t.Helper()
		count := func(s *shown, doc, event, kind string) {
			switch {
			case doc == "incident_hidden":
				s.hidden++
			case doc == "incident_shared":
				s.shared++
			case event == "incident_legacy" || kind == noticeKindIncident:
				s.unnamed++
			}
		}
		trail, err := readAuditTrail(ctx, env.Engine, who, c.ID)
		require.NoError(t, err)
		for _, e := range trail {
			var p struct {
				Kind string `json:"kind"`
			}
			_ = json.Unmarshal(e.Payload, &p)
			count(&entries, p.Kind, e.Event, "")
		}
		ns, err := readNotices(ctx, env.Engine, who, c.ID)
		require.NoError(t, err)
		for _, n := range ns {
			count(&notices, n.Data[coaching.NoticeDataDocument], "", n.Kind)
		}
		return entries, notices
	}
	for _, tc := range []struct {
		who coaching.Actor
		// want: the entries (reported, and the hidden one's timer), the
		// notices (with the change, and the hidden one's timer) and the
		// unnamed traces the actor is shown.
		entries, notices shown
	}{
		{ct.Tutor, shown{hidden: 2, shared: 1}, shown{hidden: 2, shared: 1}},                         // the maker knows their own
		{teacher, shown{shared: 1}, shown{shared: 1}},                                                // the team, only the shared one
		{ct.Staff, shown{hidden: 2, shared: 1, unnamed: 1}, shown{hidden: 2, shared: 1, unnamed: 1}}, // the head, everything
	} {
		entries, notices := traces(tc.who)
		assert.Equal(t, tc.entries, entries, "audit trail of %s", tc.who.ID)
		assert.Equal(t, tc.notices, notices, "notices of %s", tc.who.ID)
	}

	// Reading the document asks the same guard with the same facts.
	_, err = readDocument(ctx, env.Engine, teacher, coaching.OpReadCase, c.ID, "incident_hidden", 0)
	assert.Equal(t, ruleIncidentKnow, ct.RequireForbidden(t, err).Rule)
	_, err = readDocument(ctx, env.Engine, teacher, coaching.OpReadCase, c.ID, "incident_shared", 0)
	require.NoError(t, err)
	_, err = readDocument(ctx, env.Engine, ct.Tutor, coaching.OpReadCase, c.ID, "incident_none", 0)
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	err = env.Engine.ReadCase(ctx, teacher, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		_, err := v.Documents("incident_hidden")
		return err
	})
	assert.Equal(t, ruleIncidentKnow, ct.RequireForbidden(t, err).Rule)
	err = env.Engine.ReadCase(ctx, ct.Tutor, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		versions, err := v.Documents("incident_hidden")
		assert.Len(t, versions, 1)
		return err
	})
	require.NoError(t, err)

	// A feature shows its document after the same question (Scope.Guard);
	// the refusal is logged like every denial.
	err = env.Engine.Read(ctx, teacher, func(sc *coaching.Scope) error {
		_, err := sc.Guard(c.ID, "incident_hidden")
		return err
	})
	assert.Equal(t, ruleIncidentKnow, ct.RequireForbidden(t, err).Rule)
	var log []coaching.AccessEntry
	require.NoError(t, env.Store.View(ctx, func(tx coaching.ReadTx) error {
		log, err = tx.AccessLog(ctx, coaching.AccessQuery{CaseID: c.ID})
		return err
	}))
	require.NotEmpty(t, log)
	last := log[len(log)-1]
	assert.Equal(t, opReadIncident, last.Operation)
	assert.False(t, last.Allowed)
	require.NoError(t, env.Engine.Read(ctx, teacher, func(sc *coaching.Scope) error {
		got, err := sc.Guard(c.ID, "incident_shared")
		assert.Equal(t, c.ID, got.ID)
		return err
	}))
	err = env.Engine.Read(ctx, ct.Tutor, func(sc *coaching.Scope) error {
		_, err := sc.Guard(c.ID, "incident_none")
		return err
	})
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	err = env.Engine.Read(ctx, ct.Tutor, func(sc *coaching.Scope) error {
		_, err := sc.Guard(c.ID, "unregistered_1")
		return err
	})
	assert.ErrorContains(t, err, `no registered DocumentKind covers the document kind "unregistered_1"`)

	// The family is reserved: hosts' users cannot write it, and a read
	// scope writes nothing.
	_, err = saveDocument(ctx, env.Engine, ct.Staff, c.ID, coaching.DocumentChange{Kind: "incident_forged", Data: []byte(`{}`)})
	ct.RequireInvalid(t, err, "kind")
	err = env.Engine.Read(ctx, ct.Tutor, func(sc *coaching.Scope) error {
		_, err := sc.SaveDocument(c.ID, coaching.DocumentChange{Kind: "incident_3", Data: []byte(`{}`)})
		return err
	})
	assert.ErrorContains(t, err, "a read scope saves no document")
}

func incidentNotice(id coaching.CaseID, key string, now time.Time, kind string) coaching.Notice {
	if kind == "" {
		kind = "incident_note"
	}
	return coaching.Notice{ID: fmt.Sprintf("%s:%s:%s", kind, id, key), CaseID: id, Kind: kind,
		Recipient: coaching.Recipient{ID: ct.Staff.ID, Name: "Head", Role: coaching.RoleHeadOfStudies, Language: coaching.Finnish,
			Contact: coaching.Contact{Email: "head@example.fi"}},
		Subject: "Incident", Body: "An incident was reported.", CreatedAt: now, NotBefore: now, Status: coaching.NoticePending}
}

// The document kinds a host registers are checked when the engine is
// built: a prefix that is no identifier ending in "_", one that overlaps
// another family (the kernel's welfare records among them), a family
// without its guard, a notice kind that is no identifier and an empty
// event prefix are refused, naming the field.
func TestDocumentKindsAreChecked(t *testing.T) {
	ok := incidentDocuments()[0]
	with := func(edit func(*coaching.DocumentKind)) []coaching.DocumentKind {
		d := ok
		edit(&d)
		return []coaching.DocumentKind{d}
	}
	for _, tc := range []struct {
		name string
		docs []coaching.DocumentKind
		want string
	}{
		{"no underscore", with(func(d *coaching.DocumentKind) { d.Prefix = "incident" }), `Options.Documents[0].Prefix must be a lower-case identifier ending in "_"`},
		{"not an identifier", with(func(d *coaching.DocumentKind) { d.Prefix = "Incident_" }), `Options.Documents[0].Prefix must be`},
		{"empty", with(func(d *coaching.DocumentKind) { d.Prefix = "" }), `Options.Documents[0].Prefix must be`},
		{"inside welfare records", with(func(d *coaching.DocumentKind) { d.Prefix = "welfare_incident_" }), `overlaps the document kinds "welfare_"`},
		{"around another", append(incidentDocuments(), coaching.DocumentKind{Prefix: "incident_x_", Guard: opReadIncident}),
			`Options.Documents[1].Prefix "incident_x_" overlaps the document kinds "incident_"`},
		{"no guard", with(func(d *coaching.DocumentKind) { d.Guard = "" }), `Options.Documents[0].Guard is empty`},
		{"bad notice kind", with(func(d *coaching.DocumentKind) { d.Notices = []string{"Incident follow-up"} }), `Options.Documents[0].Notices`},
		{"empty event prefix", with(func(d *coaching.DocumentKind) { d.Events = []string{""} }), `Options.Documents[0].Events`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Documents: tc.docs})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Documents: incidentDocuments()})
	require.NoError(t, err)
}

// A private family's documents are read through their feature alone: the
// generic read refuses them, with an access-log entry naming the case,
// even to an actor the family's guard allows; the feature reads them
// through its scope's transaction.
func TestPrivateDocumentsAreReadThroughTheirFeature(t *testing.T) {
	ctx := context.Background()
	docs := []coaching.DocumentKind{{Prefix: "note_", Guard: coaching.OpReadCase, Reserved: true, Private: true}}
	env := ct.New(t, &ct.Options{Engine: coaching.Options{Documents: docs}})
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	require.NoError(t, env.Engine.Write(ctx, ct.Tutor, func(sc *coaching.Scope) error {
		_, err := sc.SaveDocument(c.ID, coaching.DocumentChange{Kind: "note_1", Data: json.RawMessage(`{"text":"for the tutor only"}`)})
		return err
	}))
	accessLog := func() []coaching.AccessEntry {
		t.Helper()
		var log []coaching.AccessEntry
		require.NoError(t, env.Store.View(ctx, func(tx coaching.ReadTx) error {
			var err error
			log, err = tx.AccessLog(ctx, coaching.AccessQuery{CaseID: c.ID})
			return err
		}))
		return log
	}
	before := len(accessLog())
	err := env.Engine.ReadCase(ctx, ct.Tutor, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		_, err := v.Document("note_1", 0)
		return err
	})
	fe := ct.RequireForbidden(t, err)
	assert.Equal(t, coaching.RuleFeatureDocument, fe.Rule)
	err = env.Engine.ReadCase(ctx, ct.Tutor, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		_, err := v.Documents("note_1")
		return err
	})
	assert.Equal(t, coaching.RuleFeatureDocument, ct.RequireForbidden(t, err).Rule)
	log := accessLog()
	require.Len(t, log, before+2, "each refusal logged, naming the case")
	assert.Equal(t, c.ID, log[len(log)-1].CaseID)

	require.NoError(t, env.Engine.Read(ctx, ct.Tutor, func(sc *coaching.Scope) error {
		d, err := sc.ReadTx().Document(ctx, c.ID, "note_1", 0)
		if err == nil {
			assert.JSONEq(t, `{"text":"for the tutor only"}`, string(d.Data))
		}
		return err
	}), "the feature reads it through its scope")

	// A feature's own refusal about the case is logged naming it too.
	err = env.Engine.Read(ctx, ct.Tutor, func(sc *coaching.Scope) error {
		return sc.DenyCase(coaching.OpReadRequests, c, "note_owner", "only the note's writer reads it")
	})
	fe = ct.RequireForbidden(t, err)
	assert.Equal(t, "note_owner", fe.Rule)
	log = accessLog()
	require.Len(t, log, before+3)
	assert.Equal(t, "note_owner", log[len(log)-1].Rule)
	assert.False(t, log[len(log)-1].Allowed)
}
