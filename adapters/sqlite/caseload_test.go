package sqlite_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// caseloadFixture is a random caseload and the summaries it should give.
type caseloadFixture struct {
	now       time.Time
	summaries []caseload.Summary // what the store should return, unordered
	members   map[coaching.CaseID][]coaching.TeamMember
}

func buildCaseload(t *testing.T, s *sqlite.Store, rng *rand.Rand, n int) caseloadFixture {
	t.Helper()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	fx := caseloadFixture{now: now, members: map[coaching.CaseID][]coaching.TeamMember{}}
	families := []string{"Aho", "Ahonen", "Äijälä", "Öhman", "Virtanen", "Åberg", "Zetterberg", "Korhonen", "aho"}
	givens := []string{"Aino", "Eero", "Ülla", "Juha-Pekka", "Anna"}
	roles := []coaching.Role{coaching.RoleCoach, coaching.RoleCurator}
	ctx := t.Context()
	err := s.Update(ctx, func(tx coaching.Tx) error {
		st := tx.(caseload.Store)
		for i := range n {
			id := coaching.CaseID(fmt.Sprintf("c-%03d", i))
			sum := caseload.Summary{CaseID: id, Organisation: coaching.OrganisationID([]string{"org-a", "org-a", "org-b"}[rng.IntN(3)]),
				Model: []string{"valo", "pathway"}[rng.IntN(2)], State: []string{"intake", "induction"}[rng.IntN(2)],
				OpenedAt: now.Add(-time.Duration(rng.IntN(5)) * 24 * time.Hour)}
			if rng.IntN(8) > 0 {
				p := coaching.Participant{ID: coaching.ParticipantID("p-" + string(id)), Organisation: sum.Organisation, FamilyName: families[rng.IntN(len(families))],
					GivenNames: givens[rng.IntN(len(givens))], BirthDate: coaching.NewDate(2008, 1, 1)}
				if err := tx.InsertParticipant(ctx, p); err != nil {
					return err
				}
				sum.ParticipantID, sum.FamilyName, sum.GivenNames = p.ID, p.FamilyName, p.GivenNames
			} else {
				sum.ParticipantID = coaching.ParticipantID("p-missing-" + string(id))
			}
			if rng.IntN(5) == 0 {
				sum.ClosedAt = now.Add(-time.Hour)
			}
			sum.Phase = coaching.PhaseClock{State: sum.State, EnteredAt: sum.OpenedAt, EntrySeq: 1}
			switch rng.IntN(3) {
			case 0:
				sum.Phase.DueAt = now.Add(-time.Hour)
			case 1:
				sum.Phase.DueAt = now.Add(time.Hour)
			}
			if rng.IntN(4) == 0 {
				sum.Phase.PausedAt = now.Add(-2 * time.Hour)
			}
			for _, a := range []string{"a-1", "a-2", "a-3"} {
				if rng.IntN(2) == 0 {
					sum.Team = append(sum.Team, coaching.TeamMember{ActorID: a, Role: roles[rng.IntN(2)], Name: a})
				}
			}
			c := coaching.Case{ID: id, ParticipantID: sum.ParticipantID, Organisation: sum.Organisation, Model: sum.Model, State: sum.State,
				Version: 1, OpenedAt: sum.OpenedAt, ClosedAt: sum.ClosedAt, Phase: sum.Phase, Team: sum.Team}
			if err := tx.InsertCase(ctx, c); err != nil {
				return err
			}
			if rng.IntN(2) == 0 {
				// A team change and a transition: the membership follows.
				c2 := c.Clone()
				c2.Version = 2
				if len(c2.Team) > 0 {
					c2.Team = c2.Team[1:]
				} else {
					c2.Team = []coaching.TeamMember{{ActorID: "a-4", Role: coaching.RoleCoach}}
				}
				if err := tx.UpdateCase(ctx, c2, 1); err != nil {
					return err
				}
				sum.Team = c2.Team
			}
			if rng.IntN(3) == 0 {
				sum.Group = []string{"G1", "G2"}[rng.IntN(2)]
				if err := tx.AppendRecords(ctx, id, []coaching.Record{{Name: "sis_enrolment", Seq: 1, At: now, By: "sis",
					Data: json.RawMessage(fmt.Sprintf(`{"group":%q}`, sum.Group))}}); err != nil {
					return err
				}
			}
			if rng.IntN(3) == 0 {
				flags := []attendance.RiskFlag{{Rule: []string{"absence", "lateness"}[rng.IntN(2)], Since: now, Seq: int64(1 + rng.IntN(9))}}
				if err := tx.(attendance.Store).PutFlags(ctx, id, flags); err != nil {
					return err
				}
				sum.Flags = []caseload.Flag{{Rule: flags[0].Rule, Seq: flags[0].Seq}}
			}
			for j := range rng.IntN(3) {
				on := coaching.NewDate(2026, 3, 1+rng.IntN(9))
				if err := st.PutContact(ctx, caseload.Contact{ID: fmt.Sprintf("k-%s-%d", id, j), CaseID: id, Kind: caseload.ContactPhone,
					On: on, At: now, By: "a-1"}); err != nil {
					return err
				}
				if on.After(sum.LastContact) {
					sum.LastContact = on
				}
			}
			for j := range rng.IntN(3) {
				a := caseload.Alert{ID: fmt.Sprintf("al-%s-%d", id, j), CaseID: id, Organisation: sum.Organisation,
					Cause: caseload.Cause{Kind: caseload.CauseManual, Key: fmt.Sprint(j)}, Title: "x", Welfare: rng.IntN(2) == 0,
					Owner: caseload.Owner{ActorID: "a-1"}, Status: []caseload.AlertStatus{caseload.AlertOpen, caseload.AlertResolved}[rng.IntN(2)],
					RaisedAt: now, RaisedBy: "a-1"}
				if err := st.PutAlert(ctx, a); err != nil {
					return err
				}
				if a.Active() && a.Welfare {
					sum.ActiveWelfareAlerts++
				} else if a.Active() {
					sum.ActiveAlerts++
				}
			}
			for j := range rng.IntN(3) {
				p := caseload.Planned{ID: fmt.Sprintf("pl-%s-%d", id, j), Kind: caseload.PlanTask, Title: "t" + fmt.Sprint(j),
					Cases: []coaching.CaseID{id}, Organisation: sum.Organisation, On: coaching.NewDate(2026, 3, 11+rng.IntN(3)),
					Status: []caseload.PlannedStatus{caseload.PlannedOpen, caseload.PlannedHeld}[rng.IntN(2)], CreatedAt: now}
				if err := st.PutPlanned(ctx, p); err != nil {
					return err
				}
				if p.Status == caseload.PlannedOpen {
					u := &caseload.Upcoming{ID: p.ID, Kind: p.Kind, Title: p.Title, On: p.On}
					if sum.Next == nil || u.On.Before(sum.Next.On) || (u.On == sum.Next.On && u.ID < sum.Next.ID) {
						sum.Next = u
					}
				}
			}
			fx.summaries = append(fx.summaries, sum)
		}
		return nil
	})
	require.NoError(t, err)
	return fx
}

// want filters and orders the fixture's summaries as the port says.
func (fx caseloadFixture) want(f caseload.Filter) []caseload.Summary {
	var out []caseload.Summary
	for _, s := range fx.summaries {
		switch {
		case s.Organisation != f.Organisation,
			f.Status == caseload.StatusOpen && !s.ClosedAt.IsZero(),
			f.Status == caseload.StatusClosed && s.ClosedAt.IsZero(),
			len(f.Models) > 0 && !slices.Contains(f.Models, s.Model),
			len(f.States) > 0 && !slices.Contains(f.States, s.State),
			f.Overdue && !s.Overdue(f.Now),
			f.Flagged && len(s.Flags) == 0,
			f.FlagRule != "" && !slices.Contains(caseload.Rules(s.Flags), f.FlagRule),
			!f.ContactBefore.IsZero() && !s.LastContact.IsZero() && !s.LastContact.Before(f.ContactBefore),
			f.Participant != "" && s.ParticipantID != f.Participant,
			f.Group != "" && s.Group != f.Group,
			!f.OpenedFrom.IsZero() && s.OpenedAt.Before(f.OpenedFrom),
			!f.OpenedTo.IsZero() && !s.OpenedAt.Before(f.OpenedTo):
			continue
		}
		if f.Member != "" && !slices.ContainsFunc(s.Team, func(m coaching.TeamMember) bool {
			return m.ActorID == f.Member && (f.MemberRole == "" || m.Role == f.MemberRole)
		}) {
			continue
		}
		out = append(out, s)
	}
	caseload.SortSummaries(out, f.Sort, f.Now)
	return out
}

// Summaries agrees with the port's definition (caseload.KeyOf, Key.Less
// and the filters) on a random caseload, page by page.
func TestCaseloadSummariesAgreeWithTheOrder(t *testing.T) {
	s := openTemp(t)
	rng := rand.New(rand.NewPCG(14, 1))
	fx := buildCaseload(t, s, rng, 120)
	filters := []caseload.Filter{
		{},
		{Member: "a-1"},
		{Member: "a-2", MemberRole: coaching.RoleCurator},
		{Status: caseload.StatusAny},
		{Status: caseload.StatusClosed},
		{Overdue: true},
		{Flagged: true},
		{FlagRule: "absence"},
		{ContactBefore: coaching.NewDate(2026, 3, 5)},
		{Group: "G1"},
		{Models: []string{"valo"}, States: []string{"intake"}},
		{Participant: "p-c-007"},
		{OpenedFrom: fx.now.Add(-72 * time.Hour), OpenedTo: fx.now.Add(-24 * time.Hour)},
	}
	total := 0
	for _, base := range filters {
		for _, by := range []caseload.Sort{caseload.SortUrgency, caseload.SortName, caseload.SortOpened} {
			f := base
			f.Organisation, f.Now, f.Sort, f.Limit = "org-a", fx.now, by, 7
			if f.Status == "" {
				f.Status = caseload.StatusOpen
			}
			want := fx.want(f)
			var got []caseload.Summary
			for range 100 {
				var page []caseload.Summary
				require.NoError(t, s.View(t.Context(), func(tx coaching.ReadTx) error {
					var err error
					page, err = tx.(caseload.Reader).Summaries(t.Context(), f)
					return err
				}))
				got = append(got, page...)
				if len(page) < f.Limit {
					break
				}
				k := caseload.KeyOf(page[len(page)-1], by, fx.now)
				f.After = &k
			}
			name := fmt.Sprintf("%+v by %s", base, by)
			total += len(want)
			require.Equal(t, ids(want), ids(got), name)
			for i := range want {
				w, g := want[i], got[i]
				assert.Equal(t, w.Flags, g.Flags, name)
				assert.Equal(t, w.LastContact, g.LastContact, name)
				assert.Equal(t, w.Next, g.Next, name)
				assert.Equal(t, w.Group, g.Group, name)
				assert.Equal(t, [2]int{w.ActiveAlerts, w.ActiveWelfareAlerts}, [2]int{g.ActiveAlerts, g.ActiveWelfareAlerts}, name)
				assert.Equal(t, [2]string{w.FamilyName, w.GivenNames}, [2]string{g.FamilyName, g.GivenNames}, name)
				assert.Equal(t, w.Overdue(fx.now), g.Overdue(fx.now), name)
				assert.Equal(t, len(w.Team), len(g.Team), name)
			}
		}
	}
	require.Greater(t, total, 300, "the filters keep enough rows to test the order")
}

func ids(ss []caseload.Summary) []coaching.CaseID {
	out := []coaching.CaseID{}
	for _, s := range ss {
		out = append(out, s.CaseID)
	}
	return out
}

// Alerts: one active alert per cause, versions checked, queries by owner
// and status; planned items and contacts round-trip; erasure clears the
// free text.
func TestCaseloadAlertsPlannedContacts(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	require.NoError(t, s.Update(ctx, func(tx coaching.Tx) error {
		return tx.InsertCase(ctx, coaching.Case{ID: "c-1", ParticipantID: "p-1", Organisation: "org-a", Model: "valo", State: "intake",
			Version: 1, OpenedAt: now})
	}))
	a := caseload.Alert{ID: "al-1", CaseID: "c-1", Organisation: "org-a", Cause: caseload.Cause{Kind: caseload.CauseEarlyWarning, Key: "absence"},
		Title: "Poissaoloja", Owner: caseload.Owner{ActorID: "a-1", Role: coaching.RoleCoach}, Status: caseload.AlertOpen, RaisedAt: now, RaisedBy: "system",
		Reason: "r", Action: &caseload.Action{Kind: caseload.ActionNote, Note: "soitettu"}}
	update := func(fn func(st caseload.Store) error) error {
		return s.Update(ctx, func(tx coaching.Tx) error { return fn(tx.(caseload.Store)) })
	}
	require.NoError(t, update(func(st caseload.Store) error { return st.PutAlert(ctx, a) }))
	b := a
	b.ID = "al-2"
	err := update(func(st caseload.Store) error { return st.PutAlert(ctx, b) })
	var dup *coaching.DuplicateError
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, "al-1", dup.ID)
	err = update(func(st caseload.Store) error { return st.PutAlert(ctx, a) })
	require.ErrorAs(t, err, &dup)
	err = update(func(st caseload.Store) error { b.CaseID = "c-x"; return st.PutAlert(ctx, b) })
	var nf *coaching.NotFoundError
	require.ErrorAs(t, err, &nf)

	a.Status, a.Version = caseload.AlertResolved, 0
	require.NoError(t, update(func(st caseload.Store) error { return st.UpdateAlert(ctx, a, 1) }))
	var conflict *coaching.ConflictError
	require.ErrorAs(t, update(func(st caseload.Store) error { return st.UpdateAlert(ctx, a, 1) }), &conflict)
	assert.Equal(t, int64(2), conflict.Current)
	require.ErrorAs(t, update(func(st caseload.Store) error { a.ID = "nope"; return st.UpdateAlert(ctx, a, 1) }), &nf)
	b.CaseID = "c-1"
	require.NoError(t, update(func(st caseload.Store) error { return st.PutAlert(ctx, b) }), "the cause's alert is resolved")

	p := caseload.Planned{ID: "pl-1", Kind: caseload.PlanGuardianMeeting, Title: "Huoltajatapaaminen", Cases: []coaching.CaseID{"c-1"},
		Organisation: "org-a", Owner: caseload.Owner{ActorID: "a-1"}, On: coaching.NewDate(2026, 3, 12), Status: caseload.PlannedOpen, CreatedAt: now}
	require.NoError(t, update(func(st caseload.Store) error { return st.PutPlanned(ctx, p) }))
	require.ErrorAs(t, update(func(st caseload.Store) error { return st.PutPlanned(ctx, p) }), &dup)
	p.On, p.Moves = coaching.NewDate(2026, 3, 13), 1
	require.NoError(t, update(func(st caseload.Store) error { return st.UpdatePlanned(ctx, p, 1) }))
	require.ErrorAs(t, update(func(st caseload.Store) error { return st.UpdatePlanned(ctx, p, 1) }), &conflict)
	require.NoError(t, update(func(st caseload.Store) error {
		return st.PutContact(ctx, caseload.Contact{ID: "k-1", CaseID: "c-1", Organisation: "org-a", Kind: caseload.ContactPhone,
			On: coaching.NewDate(2026, 3, 9), Note: "puhelu", At: now, By: "a-1"})
	}))
	require.NoError(t, s.View(ctx, func(tx coaching.ReadTx) error {
		r := tx.(caseload.Reader)
		as, err := r.Alerts(ctx, caseload.AlertQuery{Owner: "a-1"})
		require.NoError(t, err)
		require.Len(t, as, 1)
		assert.Equal(t, "al-2", as[0].ID)
		as, err = r.Alerts(ctx, caseload.AlertQuery{Statuses: []caseload.AlertStatus{caseload.AlertResolved}})
		require.NoError(t, err)
		require.Len(t, as, 1)
		assert.Equal(t, int64(2), as[0].Version)
		ps, err := r.PlannedItems(ctx, caseload.PlannedQuery{CaseID: "c-1", From: coaching.NewDate(2026, 3, 13)})
		require.NoError(t, err)
		require.Len(t, ps, 1)
		assert.Equal(t, 1, ps[0].Moves)
		assert.Equal(t, int64(2), ps[0].Version)
		ks, err := r.Contacts(ctx, "c-1", 0)
		require.NoError(t, err)
		require.Len(t, ks, 1)
		assert.Equal(t, "puhelu", ks[0].Note)
		return nil
	}))
	require.NoError(t, s.Update(ctx, func(tx coaching.Tx) error { return tx.(coaching.FeatureEraser).EraseFeatureData(ctx, "c-1") }))
	require.NoError(t, s.View(ctx, func(tx coaching.ReadTx) error {
		r := tx.(caseload.Reader)
		al, err := r.Alert(ctx, "al-1")
		require.NoError(t, err)
		assert.Equal(t, "early_warning", al.Title)
		assert.Empty(t, al.Reason)
		assert.Empty(t, al.Action.Note)
		assert.Equal(t, caseload.ActionNote, al.Action.Kind)
		pl, err := r.PlannedItem(ctx, "pl-1")
		require.NoError(t, err)
		assert.Empty(t, pl.Title)
		ks, err := r.Contacts(ctx, "c-1", 1)
		require.NoError(t, err)
		assert.Empty(t, ks[0].Note)
		return nil
	}))
}

// A database at schema version 10 migrates to the caseload's columns: the
// cases' team memberships, phase deadlines and the participants' name keys
// are filled from the stored JSON, so that the list reads them; a later
// team change moves the membership, a transition keeps it.
func TestMigrateCaseloadFromVersion10(t *testing.T) {
	ctx := t.Context()
	store, _ := openAt(t, 10,
		`INSERT INTO participants (id, identity_code, data) VALUES
			('p-1', NULL, '{"organisation":"org-a","given_names":"Aino","family_name":"Äijälä"}'),
			('p-2', NULL, '{"organisation":"org-a","given_names":"Eero","family_name":"Aho"}')`,
		`INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data, opened_at) VALUES
			('c-1', 'p-1', 'pilot', 'start', 'org-a', 0, 1, '{"opened_at":"2026-01-01T00:00:00Z","phase":{"state":"start","entered_at":"2026-01-01T00:00:00Z","entry_seq":1,"due_at":"2026-02-01T00:00:00Z"},"team":[{"actor_id":"t-1","role":"personal_tutor","name":"T"}]}', 0),
			('c-2', 'p-2', 'pilot', 'start', 'org-a', 0, 1, '{"opened_at":"2026-01-01T00:00:00Z","phase":{"state":"start","entered_at":"2026-01-01T00:00:00Z","entry_seq":1,"due_at":"2026-02-01T00:00:00Z","paused_at":"2026-01-15T00:00:00Z"},"team":[{"actor_id":"t-1","role":"teacher","name":"T"},{"actor_id":"t-2","role":"teacher","name":"U"}]}', 0),
			('c-3', 'p-2', 'pilot', 'start', 'org-a', 0, 1, '{"opened_at":"2026-01-01T00:00:00Z","phase":{"state":"start","entered_at":"2026-01-01T00:00:00Z","entry_seq":1}}', 0)`)
	requireLatest(t, store)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	list := func(f caseload.Filter) []caseload.Summary {
		f.Organisation, f.Status, f.Now, f.Limit = "org-a", caseload.StatusOpen, now, 10
		var out []caseload.Summary
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			var err error
			out, err = tx.(caseload.Reader).Summaries(ctx, f)
			return err
		}))
		return out
	}
	assert.Equal(t, []coaching.CaseID{"c-2", "c-1"}, ids(list(caseload.Filter{Member: "t-1", Sort: caseload.SortName})), "Aho before Äijälä")
	assert.Equal(t, []coaching.CaseID{"c-1"}, ids(list(caseload.Filter{Member: "t-1", MemberRole: "personal_tutor"})))
	assert.Equal(t, []coaching.CaseID{"c-1"}, ids(list(caseload.Filter{Overdue: true})), "c-2 is paused, c-3 has no deadline")

	var c coaching.Case
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		var err error
		c, err = tx.Case(ctx, "c-2")
		return err
	}))
	next := c.Clone()
	next.Version, next.State = 2, "middle"
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.UpdateCase(ctx, next, 1) }))
	assert.Equal(t, []coaching.CaseID{"c-2"}, ids(list(caseload.Filter{Member: "t-2"})), "a transition keeps the team")
	next = next.Clone()
	next.Version, next.Team = 3, next.Team[:1]
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.UpdateCase(ctx, next, 2) }))
	assert.Empty(t, list(caseload.Filter{Member: "t-2"}), "a team change moves the membership")
}
