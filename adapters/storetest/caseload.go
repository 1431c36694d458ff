package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/sis"
)

// RunCaseload runs the conformance cases of the caseload's store port
// (coaching/caseload: caseload.Store on write transactions, with the
// erasure of a case's caseload data, and caseload.Reader on read
// transactions), as a subtest group "Caseload" of t. A store that keeps
// caseload data runs it beside [Run]:
//
//	func TestCaseload(t *testing.T) { storetest.RunCaseload(t, newStore) }
//
// The list's cases need the attendance port too (a case's early-warning
// flags are attendance's, put with attendance.Store.PutFlags).
func RunCaseload(t *testing.T, newStore Harness) {
	t.Helper()
	runGroups(t, newStore, []group{{"Caseload", caseloadCases()}})
}

func clStore(e *env, tx coaching.Tx) caseload.Store { return port[caseload.Store](e, tx) }

func clReader(e *env, tx coaching.ReadTx) caseload.Reader { return port[caseload.Reader](e, tx) }

// clNow is the suite's "now" of the caseload list: day 20 after base
// (2025-03-24).
var clNow = at(20 * day)

// clFixture is one case of the list's data set.
type clFixture struct {
	id            coaching.CaseID
	participant   coaching.ParticipantID // default "p-"+id
	org           coaching.OrganisationID
	model, state  string
	team          []coaching.TeamMember
	opened        time.Duration // after base
	due           time.Duration // after base; 0: no deadline
	paused        bool
	closed        bool
	family, given string
	groups        []string // SIS enrolment records' groups, oldest first
	flags         []string
	contacts      []coaching.Date
	alert         bool // an open alert
}

func member(actor string, role coaching.Role) coaching.TeamMember {
	return coaching.TeamMember{ActorID: actor, Role: role, Name: "Tiimi " + actor}
}

func (f clFixture) kase() coaching.Case {
	c := basicCase(f.id, f.model, f.state, f.org, f.closed)
	if f.participant != "" {
		c.ParticipantID = f.participant
	}
	c.OpenedAt = at(f.opened)
	c.Phase.EnteredAt = at(f.opened)
	if f.due != 0 {
		c.Phase.DueAt = at(f.due)
	}
	if f.paused {
		c.Phase.PausedAt = at(f.opened + hour)
	}
	c.Team = f.team
	return c
}

// clDate is a civil date of March 2025.
func clDate(d int) coaching.Date { return coaching.NewDate(2025, time.March, d) }

// clFixtures is the list's data set; the expectations of the filter and
// sort cases below are written out from it by hand.
//
// At clNow, c-01 is overdue; c-03's deadline has passed but it is paused;
// c-04's has passed but it is closed; c-09's is clNow itself (not
// before: not overdue). Flags: c-02, c-03, c-07; c-06 has an open alert
// only.
func clFixtures() []clFixture {
	a1c, a1t, a2c, a2r, a3c := member("a-1", coaching.RoleCoach), member("a-1", coaching.RolePersonalTutor),
		member("a-2", coaching.RoleCoach), member("a-2", coaching.RoleCurator), member("a-3", coaching.RoleCoach)
	return []clFixture{
		{id: "c-01", org: "org-a", model: "valo", state: "intake", team: []coaching.TeamMember{a1c}, opened: 0, due: 5 * day,
			family: "Aho", given: "Anna", groups: []string{"TVT21"}},
		{id: "c-02", org: "org-a", model: "valo", state: "induction", team: []coaching.TeamMember{a1c, a2r}, opened: day, due: 30 * day,
			family: "Ahonen", given: "Bertta", flags: []string{"absence"}, contacts: []coaching.Date{clDate(10)}},
		{id: "c-03", org: "org-a", model: "tuva", state: "active", team: []coaching.TeamMember{a2c}, opened: 2 * day, due: 5 * day, paused: true,
			family: "Äijälä", given: "Cecilia", groups: []string{"TVT22"}, flags: []string{"lateness"}, contacts: []coaching.Date{clDate(5)}},
		{id: "c-04", org: "org-a", model: "valo", state: "intake", team: []coaching.TeamMember{a1t}, opened: 3 * day, due: 5 * day, closed: true,
			family: "Öhman", given: "Daniel", contacts: []coaching.Date{clDate(20)}},
		{id: "c-05", org: "org-b", model: "valo", state: "intake", team: []coaching.TeamMember{a1c}, opened: day,
			family: "Aho", given: "Anna"},
		{id: "c-06", org: "org-a", model: "valo", state: "intake", opened: day,
			family: "Zetterberg", given: "Eero", contacts: []coaching.Date{clDate(3), clDate(10), clDate(7)}, alert: true},
		{id: "c-07", org: "org-a", model: "tuva", state: "intake", team: []coaching.TeamMember{a1c}, opened: 4 * day,
			family: "Åberg", given: "Fanny", groups: []string{"TVT21", "TVT22"}, flags: []string{"absence", "lateness"}},
		{id: "c-08", participant: "p-c-01", org: "org-a", model: "valo", state: "intake", team: []coaching.TeamMember{a1c}, opened: 6 * day, closed: true},
		{id: "c-09", org: "org-a", model: "valo", state: "intake", team: []coaching.TeamMember{a3c}, opened: 5 * day, due: 20 * day,
			family: "Virtanen", given: "Ville", contacts: []coaching.Date{clDate(1)}},
	}
}

// seedCaseload stores fixtures: participants with their names, cases,
// SIS enrolment records, attendance flags, contacts and alerts.
func seedCaseload(e *env, fs []clFixture) {
	e.Helper()
	e.update(func(tx coaching.Tx) error {
		for _, f := range fs {
			c := f.kase()
			if f.participant == "" {
				p := minimalParticipant(c.ParticipantID)
				p.Organisation = c.Organisation // ids are scoped per organisation
				p.FamilyName, p.GivenNames = f.family, f.given
				if err := tx.InsertParticipant(e.ctx, p); err != nil {
					return err
				}
			}
			if err := tx.InsertCase(e.ctx, c); err != nil {
				return err
			}
			for i, g := range f.groups {
				data, _ := json.Marshal(map[string]string{"group": g, "school": "Koulu"})
				rs := []coaching.Record{{Name: sis.RecordName, At: at(f.opened + time.Duration(i)*hour), By: "sis", Seq: 1, Data: data},
					{Name: "other_record", At: at(f.opened + time.Duration(i)*hour), By: "sis", Seq: 1, Data: json.RawMessage(`{"group":"not this"}`)}}
				if err := tx.AppendRecords(e.ctx, c.ID, rs); err != nil {
					return err
				}
			}
			if len(f.flags) > 0 {
				var flags []attendance.RiskFlag
				for i, r := range f.flags {
					flags = append(flags, attendance.RiskFlag{Rule: r, Reason: "syy", Since: at(f.opened), Seq: int64(i + 1)})
				}
				if err := attStore(e, tx).PutFlags(e.ctx, c.ID, flags); err != nil {
					return err
				}
			}
			for i, d := range f.contacts {
				if err := clStore(e, tx).PutContact(e.ctx, sampleContact(fmt.Sprintf("k-%s-%d", c.ID, i), c.ID, d)); err != nil {
					return err
				}
			}
			if f.alert {
				if err := clStore(e, tx).PutAlert(e.ctx, sampleAlert("al-"+string(c.ID), c.ID, caseload.CauseManual, string(c.ID))); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func sampleContact(id string, c coaching.CaseID, on coaching.Date) caseload.Contact {
	return caseload.Contact{ID: id, CaseID: c, Organisation: "org-a", Kind: caseload.ContactPhone, On: on, WithGuardian: true,
		Note: "soitto: sovittiin tapaaminen", At: on.At(12, 30), By: "a-1"}
}

func sampleAlert(id string, c coaching.CaseID, kind caseload.CauseKind, key string) caseload.Alert {
	return caseload.Alert{ID: id, CaseID: c, Organisation: "org-a", Cause: caseload.Cause{Kind: kind, Key: key},
		Title: "Vaihe myöhässä: perehdytys", Owner: caseload.Owner{ActorID: "a-1", Role: coaching.RoleCoach},
		Status: caseload.AlertOpen, Due: clDate(28), RaisedAt: at(2 * hour), RaisedBy: "system", Version: 1}
}

func samplePlanned(id string, on coaching.Date, cases ...coaching.CaseID) caseload.Planned {
	return caseload.Planned{ID: id, Kind: caseload.PlanIndividualSession, Title: "Tapaaminen " + id, Cases: cases,
		Organisation: "org-a", Owner: caseload.Owner{ActorID: "a-1", Role: coaching.RoleCoach}, On: on, Start: on.At(9, 15),
		Status: caseload.PlannedOpen, Template: "induction", CreatedAt: at(hour), CreatedBy: "a-1", UpdatedAt: at(hour), UpdatedBy: "a-1", Version: 1}
}

// summaries reads one page of a list.
func (e *env) summaries(f caseload.Filter) []caseload.Summary {
	e.Helper()
	if f.Organisation == "" {
		f.Organisation = "org-a"
	}
	if f.Status == "" {
		f.Status = caseload.StatusOpen
	}
	if f.Sort == "" {
		f.Sort = caseload.SortUrgency
	}
	if f.Now.IsZero() {
		f.Now = clNow
	}
	if f.Limit == 0 {
		f.Limit = 500
	}
	out := viewed(e, func(tx coaching.ReadTx) ([]caseload.Summary, error) { return clReader(e, tx).Summaries(e.ctx, f) })
	require.LessOrEqual(e, len(out), f.Limit, "Summaries returns at most Limit rows")
	return out
}

func summaryIDs(ss []caseload.Summary) []coaching.CaseID {
	out := make([]coaching.CaseID, len(ss))
	for i, s := range ss {
		out[i] = s.CaseID
	}
	return out
}

// sortedIDs returns ids sorted, for set comparisons.
func sortedIDs(ss []caseload.Summary) []coaching.CaseID {
	out := summaryIDs(ss)
	slices.Sort(out)
	return out
}

func ids(s ...coaching.CaseID) []coaching.CaseID { return append([]coaching.CaseID{}, s...) }

// requireOrdered checks ss is in f's order as caseload.Key.Less says.
func requireOrdered(e *env, ss []caseload.Summary, by caseload.Sort, now time.Time) {
	e.Helper()
	for i := 1; i < len(ss); i++ {
		a, b := caseload.KeyOf(ss[i-1], by, now), caseload.KeyOf(ss[i], by, now)
		require.True(e, a.Less(b, by), "sort %s: row %d (%s) must come before row %d (%s) as Key.Less says", by, i-1, ss[i-1].CaseID, i, ss[i].CaseID)
	}
}

// pageAll reads a whole list in pages of limit rows, between pages
// calling between (nil: nothing), and returns the rows in order.
func pageAll(e *env, f caseload.Filter, limit int, between func(page int)) []caseload.Summary {
	e.Helper()
	var all []caseload.Summary
	f.Limit = limit
	f.After = nil
	for page := 0; page < 1000; page++ {
		rows := e.summaries(f)
		all = append(all, rows...)
		if len(rows) < limit {
			return all
		}
		k := caseload.KeyOf(rows[len(rows)-1], cmpSort(f.Sort), clNow)
		f.After = &k
		if between != nil && page < 3 { // a few pages of inserts: the list must end
			between(page)
		}
	}
	e.Fatalf("paging did not end")
	return nil
}

func cmpSort(s caseload.Sort) caseload.Sort {
	if s == "" {
		return caseload.SortUrgency
	}
	return s
}

func caseloadCases() []testCase {
	return []testCase{
		{
			name: "SummaryFields",
			rule: "caseload.Reader.Summaries returns the case's small fields, team and phase, its participant's names, the group of its latest sis_enrolment record, its attendance flags' rules in order, its last contact (the latest On of its contacts), Next (the earliest planned item with status planned listing it, by On then id, whose owner's role is not welfare) and NextWelfare (the same of the items whose owner's role is coaching.Role.IsWelfare) and its active alerts (open or acknowledged; welfare ones counted apart)",
			run: func(e *env) {
				fs := clFixtures()
				seedCaseload(e, fs)
				e.update(func(tx coaching.Tx) error {
					st := clStore(e, tx)
					held, cancelled := samplePlanned("pl-0", clDate(21), "c-07"), samplePlanned("pl-1", clDate(22), "c-07")
					held.Status, cancelled.Status = caseload.PlannedHeld, caseload.PlannedCancelled
					welfare := sampleAlert("al-2", "c-07", caseload.CauseReferralFollowUp, "referral")
					welfare.Welfare, welfare.Status = true, caseload.AlertAcknowledged
					resolved := sampleAlert("al-3", "c-07", caseload.CauseEarlyWarning, "absence")
					resolved.Status = caseload.AlertResolved
					welfareHeld, curator, nurse := samplePlanned("pl-w0", clDate(20), "c-07"), samplePlanned("pl-w1", clDate(23), "c-07"), samplePlanned("pl-w2", clDate(24), "c-07", "c-02")
					welfareHeld.Status = caseload.PlannedHeld
					welfareHeld.Owner = caseload.Owner{ActorID: "w-1", Role: coaching.RoleCurator}
					curator.Owner = welfareHeld.Owner
					nurse.Owner = caseload.Owner{ActorID: "w-2", Role: coaching.RoleNurse}
					for _, p := range []caseload.Planned{held, cancelled, welfareHeld, curator, nurse, samplePlanned("pl-3", clDate(30), "c-07"),
						samplePlanned("pl-2b", clDate(25), "c-02", "c-07"), samplePlanned("pl-2a", clDate(25), "c-02")} {
						if err := st.PutPlanned(e.ctx, p); err != nil {
							return err
						}
					}
					for _, a := range []caseload.Alert{sampleAlert("al-1", "c-07", caseload.CausePhaseOverdue, "intake@1"), welfare, resolved} {
						if err := st.PutAlert(e.ctx, a); err != nil {
							return err
						}
					}
					return nil
				})
				all := e.summaries(caseload.Filter{Status: caseload.StatusAny})
				byID := map[coaching.CaseID]caseload.Summary{}
				for _, s := range all {
					byID[s.CaseID] = s
				}
				s, ok := byID["c-07"]
				require.True(e, ok, "c-07 is listed")
				f := fs[6]
				want := f.kase()
				assert.Equal(e, want.ID, s.CaseID)
				assert.Equal(e, want.ParticipantID, s.ParticipantID)
				assert.Equal(e, want.Organisation, s.Organisation)
				assert.Equal(e, "tuva", s.Model)
				assert.Equal(e, "intake", s.State)
				assert.Equal(e, NormalizeTime(want.OpenedAt), NormalizeTime(s.OpenedAt))
				assert.True(e, s.ClosedAt.IsZero(), "an open case's ClosedAt is zero")
				assert.Equal(e, NormalizeCase(coaching.Case{Phase: want.Phase}).Phase, NormalizeCase(coaching.Case{Phase: s.Phase}).Phase, "Phase")
				assert.Equal(e, want.Team, s.Team, "Team")
				assert.Equal(e, "Åberg", s.FamilyName)
				assert.Equal(e, "Fanny", s.GivenNames)
				assert.Equal(e, "TVT22", s.Group, "the latest sis_enrolment record's group")
				assert.Equal(e, []caseload.Flag{{Rule: "absence", Seq: 1}, {Rule: "lateness", Seq: 2}}, s.Flags, "each flag with the seq that raised it")
				assert.True(e, s.LastContact.IsZero(), "never contacted")
				require.NotNil(e, s.Next, "Next")
				assert.Equal(e, caseload.Upcoming{ID: "pl-2b", Kind: caseload.PlanIndividualSession, Title: "Tapaaminen pl-2b", On: clDate(25)}, *s.Next,
					"Next skips held and cancelled items, and items owned by welfare staff, and lists items of several cases")
				require.NotNil(e, s.NextWelfare, "NextWelfare")
				assert.Equal(e, caseload.Upcoming{ID: "pl-w1", Kind: caseload.PlanIndividualSession, Title: "Tapaaminen pl-w1", On: clDate(23)}, *s.NextWelfare,
					"NextWelfare: the earliest open item owned by welfare staff")
				if n := byID["c-02"].NextWelfare; assert.NotNil(e, n, "c-02's NextWelfare") {
					assert.Equal(e, "pl-w2", n.ID, "a nurse's item of several cases")
				}
				assert.Nil(e, byID["c-09"].NextWelfare)
				assert.Equal(e, 1, s.ActiveAlerts, "ActiveAlerts: the open one (the resolved one does not count, the welfare one is apart)")
				assert.Equal(e, 1, s.ActiveWelfareAlerts, "ActiveWelfareAlerts")

				assert.Equal(e, "pl-2a", byID["c-02"].Next.ID, "same day: the smaller id first")
				assert.Equal(e, clDate(10), byID["c-06"].LastContact, "the latest On, whatever the order the contacts came in")
				assert.Equal(e, 1, byID["c-06"].ActiveAlerts)
				assert.Equal(e, "TVT21", byID["c-01"].Group)
				assert.Empty(e, byID["c-09"].Group)
				assert.Empty(e, byID["c-09"].Flags)
				assert.Nil(e, byID["c-09"].Next)
				assert.Equal(e, "Aho", byID["c-08"].FamilyName, "a second case of a participant has its names")
				assert.False(e, byID["c-04"].ClosedAt.IsZero(), "a closed case's ClosedAt")
				assert.Equal(e, NormalizeTime(at(10*day)), NormalizeTime(byID["c-04"].ClosedAt))
				assert.Equal(e, []coaching.TeamMember{member("a-1", coaching.RolePersonalTutor)}, byID["c-04"].Team)
			},
		},
		{
			name: "SummaryFilters",
			rule: "caseload.Reader.Summaries keeps exactly the cases matching every filter of caseload.Filter: organisation, member (any role or one), models, states, status open/closed/any, overdue (due before Now, not paused, not closed), flagged and flag rule, ContactBefore (never contacted included), participant, SIS group (the latest record's) and OpenedFrom ≤ OpenedAt < OpenedTo",
			run: func(e *env) {
				seedCaseload(e, clFixtures())
				for _, tc := range []struct {
					what string
					f    caseload.Filter
					want []coaching.CaseID
				}{
					{"open cases of org-a", caseload.Filter{}, ids("c-01", "c-02", "c-03", "c-06", "c-07", "c-09")},
					{"closed", caseload.Filter{Status: caseload.StatusClosed}, ids("c-04", "c-08")},
					{"any status", caseload.Filter{Status: caseload.StatusAny}, ids("c-01", "c-02", "c-03", "c-04", "c-06", "c-07", "c-08", "c-09")},
					{"org-b", caseload.Filter{Organisation: "org-b", Status: caseload.StatusAny}, ids("c-05")},
					{"an organisation without cases", caseload.Filter{Organisation: "org-none", Status: caseload.StatusAny}, ids()},
					{"member a-1", caseload.Filter{Member: "a-1"}, ids("c-01", "c-02", "c-07")},
					{"member a-1, any status", caseload.Filter{Member: "a-1", Status: caseload.StatusAny}, ids("c-01", "c-02", "c-04", "c-07", "c-08")},
					{"member a-1 as personal tutor", caseload.Filter{Member: "a-1", MemberRole: coaching.RolePersonalTutor, Status: caseload.StatusAny}, ids("c-04")},
					{"member a-1 as coach", caseload.Filter{Member: "a-1", MemberRole: coaching.RoleCoach, Status: caseload.StatusAny}, ids("c-01", "c-02", "c-07", "c-08")},
					{"member a-2", caseload.Filter{Member: "a-2"}, ids("c-02", "c-03")},
					{"member a-2 as curator", caseload.Filter{Member: "a-2", MemberRole: coaching.RoleCurator}, ids("c-02")},
					{"member on no team", caseload.Filter{Member: "a-nobody", Status: caseload.StatusAny}, ids()},
					{"model tuva", caseload.Filter{Models: []string{"tuva"}}, ids("c-03", "c-07")},
					{"models valo, tuva", caseload.Filter{Models: []string{"valo", "tuva"}}, ids("c-01", "c-02", "c-03", "c-06", "c-07", "c-09")},
					{"states", caseload.Filter{States: []string{"induction", "active"}}, ids("c-02", "c-03")},
					{"overdue", caseload.Filter{Overdue: true, Status: caseload.StatusAny}, ids("c-01")},
					{"overdue a day earlier", caseload.Filter{Overdue: true, Now: at(5*day - time.Microsecond)}, ids()},
					{"flagged", caseload.Filter{Flagged: true}, ids("c-02", "c-03", "c-07")},
					{"flag rule lateness", caseload.Filter{FlagRule: "lateness"}, ids("c-03", "c-07")},
					{"flagged, rule absence", caseload.Filter{Flagged: true, FlagRule: "absence"}, ids("c-02", "c-07")},
					{"a rule nobody raised", caseload.Filter{Flagged: true, FlagRule: "none"}, ids()},
					{"member a-1, flagged", caseload.Filter{Member: "a-1", Flagged: true}, ids("c-02", "c-07")},
					{"no contact since 10.3.", caseload.Filter{ContactBefore: clDate(10)}, ids("c-01", "c-03", "c-07", "c-09")},
					{"no contact since 11.3., any status", caseload.Filter{ContactBefore: clDate(11), Status: caseload.StatusAny},
						ids("c-01", "c-02", "c-03", "c-06", "c-07", "c-08", "c-09")},
					{"participant", caseload.Filter{Participant: "p-c-01", Status: caseload.StatusAny}, ids("c-01", "c-08")},
					{"group TVT22", caseload.Filter{Group: "TVT22"}, ids("c-03", "c-07")},
					{"group TVT21 (c-07's latest is TVT22)", caseload.Filter{Group: "TVT21"}, ids("c-01")},
					{"group of another record", caseload.Filter{Group: "not this"}, ids()},
					{"opened between", caseload.Filter{OpenedFrom: at(day), OpenedTo: at(4 * day)}, ids("c-02", "c-03", "c-06")},
					{"opened from", caseload.Filter{OpenedFrom: at(4 * day), Status: caseload.StatusAny}, ids("c-07", "c-08", "c-09")},
					{"opened before", caseload.Filter{OpenedTo: at(day)}, ids("c-01")},
					{"every filter", caseload.Filter{Member: "a-1", MemberRole: coaching.RoleCoach, Models: []string{"tuva"}, States: []string{"intake"},
						Flagged: true, FlagRule: "lateness", ContactBefore: clDate(2), Participant: "p-c-07", Group: "TVT22",
						OpenedFrom: at(4 * day), OpenedTo: at(5 * day)}, ids("c-07")},
				} {
					for _, by := range []caseload.Sort{caseload.SortUrgency, caseload.SortName, caseload.SortOpened} {
						f := tc.f
						f.Sort = by
						got := e.summaries(f)
						assert.Equal(e, tc.want, sortedIDs(got), "%s (sort %s)", tc.what, by)
					}
				}
			},
		},
		{
			name: "SummarySorts",
			rule: "caseload.Reader.Summaries orders rows as caseload.Key.Less says: urgency (overdue, then flagged or with an active non-welfare alert, then the rest; never contacted first, then the oldest contact; then the id), name (caseload.NameKey: Finnish alphabetical order, then the id) and opened (newest first, then the id)",
			run: func(e *env) {
				seedCaseload(e, clFixtures())
				for by, want := range map[caseload.Sort][]coaching.CaseID{
					caseload.SortUrgency: ids("c-01", "c-07", "c-03", "c-02", "c-06", "c-08", "c-09", "c-04"),
					caseload.SortName:    ids("c-01", "c-08", "c-02", "c-09", "c-06", "c-07", "c-03", "c-04"),
					caseload.SortOpened:  ids("c-08", "c-09", "c-07", "c-04", "c-03", "c-02", "c-06", "c-01"),
				} {
					got := e.summaries(caseload.Filter{Status: caseload.StatusAny, Sort: by})
					assert.Equal(e, want, summaryIDs(got), "sort %s", by)
					requireOrdered(e, got, by, clNow)
					mine := e.summaries(caseload.Filter{Member: "a-1", Status: caseload.StatusAny, Sort: by})
					assert.Equal(e, slices.DeleteFunc(slices.Clone(want), func(id coaching.CaseID) bool {
						return !slices.Contains(ids("c-01", "c-02", "c-04", "c-07", "c-08"), id)
					}), summaryIDs(mine), "member a-1, sort %s", by)
				}
				// Another Now moves c-09 (due at clNow) to overdue.
				later := e.summaries(caseload.Filter{Now: clNow.Add(time.Microsecond)})
				assert.Equal(e, ids("c-01", "c-09", "c-07", "c-03", "c-02", "c-06"), summaryIDs(later), "Now decides which phases are overdue")
			},
		},
		{
			name: "SummaryWelfareRank",
			rule: "caseload.Reader.Summaries ranks a case whose only active alert is a welfare alert caseload.RankOther, as caseload.KeyOf does: welfare alerts never raise the urgency rank, in the order or in a page's After key, so that the order tells no reader of one",
			run: func(e *env) {
				seedCaseload(e, clFixtures())
				e.update(func(tx coaching.Tx) error {
					w := sampleAlert("al-w", "c-09", caseload.CauseReferralFollowUp, "referral")
					w.Welfare = true
					return clStore(e, tx).PutAlert(e.ctx, w)
				})
				f := caseload.Filter{Status: caseload.StatusAny, Sort: caseload.SortUrgency}
				got := e.summaries(f)
				assert.Equal(e, ids("c-01", "c-07", "c-03", "c-02", "c-06", "c-08", "c-09", "c-04"), summaryIDs(got),
					"c-09 (a welfare alert only) stays among the rest")
				requireOrdered(e, got, caseload.SortUrgency, clNow)
				for _, s := range got {
					if s.CaseID == "c-09" {
						assert.Equal(e, 1, s.ActiveWelfareAlerts, "the welfare alert is active")
						assert.Equal(e, 0, s.ActiveAlerts)
						assert.Equal(e, caseload.RankOther, caseload.KeyOf(s, caseload.SortUrgency, clNow).Rank, "KeyOf")
					}
				}
				// The keyset uses the same rank: after the last flagged row come
				// the rest, c-09 among them.
				f.After = &caseload.Key{Rank: caseload.RankFlagged, Contact: clDate(10), CaseID: "c-06"}
				assert.Equal(e, ids("c-08", "c-09", "c-04"), summaryIDs(e.summaries(f)), "rows after the last flagged one")
				f.After = &caseload.Key{Rank: caseload.RankOther, CaseID: "c-08"}
				assert.Equal(e, ids("c-09", "c-04"), summaryIDs(e.summaries(f)), "rows after c-08's key")
			},
		},
		{
			name: "SummaryPaging",
			rule: "caseload.Reader.Summaries pages by key: with After set to the last row's key (caseload.KeyOf), pages of Limit rows put together are the whole list, without duplicates or gaps, in every sort",
			run: func(e *env) {
				seedCaseload(e, clFixtures())
				for _, by := range []caseload.Sort{caseload.SortUrgency, caseload.SortName, caseload.SortOpened} {
					for _, f := range []caseload.Filter{{Status: caseload.StatusAny, Sort: by}, {Member: "a-1", Status: caseload.StatusAny, Sort: by}} {
						whole := summaryIDs(e.summaries(f))
						for _, limit := range []int{1, 2, 3, len(whole)} {
							assert.Equal(e, whole, summaryIDs(pageAll(e, f, limit, nil)), "sort %s, member %q, pages of %d", by, f.Member, limit)
						}
					}
					// A key between rows: only the rows after it.
					k := caseload.Key{Rank: caseload.RankFlagged, Contact: clDate(6), Name: "b", Opened: at(3*day + hour), CaseID: "c-00"}
					rows := e.summaries(caseload.Filter{Status: caseload.StatusAny, Sort: by, After: &k})
					for _, s := range rows {
						assert.True(e, k.Less(caseload.KeyOf(s, by, clNow), by), "sort %s: %s is after the key", by, s.CaseID)
					}
					all := e.summaries(caseload.Filter{Status: caseload.StatusAny, Sort: by})
					n := 0
					for _, s := range all {
						if k.Less(caseload.KeyOf(s, by, clNow), by) {
							n++
						}
					}
					assert.Len(e, rows, n, "sort %s: every row after the key", by)
				}
			},
		},
		{
			name: "SummaryPagingConcurrentInserts",
			rule: "paging caseload.Reader.Summaries while cases are inserted and contacted: no row repeats, every case that did not change appears exactly once, and an inserted case appears at most once",
			run: func(e *env) {
				fs := clFixtures()
				seedCaseload(e, fs)
				for _, by := range []caseload.Sort{caseload.SortUrgency, caseload.SortName, caseload.SortOpened} {
					n := 0
					insert := func(int) {
						var more []clFixture
						for _, pos := range []struct {
							family string
							opened time.Duration
						}{{"Aaa", -day}, {"Mmm", 3*day + hour}, {"Ööö", 9 * day}} {
							n++
							more = append(more, clFixture{id: coaching.CaseID(fmt.Sprintf("c-%s-new-%02d", by, n)), org: "org-a", model: "valo", state: "intake",
								team: []coaching.TeamMember{member("a-1", coaching.RoleCoach)}, opened: pos.opened, due: time.Duration(n%3) * 10 * day,
								family: pos.family, given: "Uusi", flags: []string{"absence"}[:n%2], contacts: []coaching.Date{clDate(n%28 + 1)}[:n%3%2]})
						}
						seedCaseload(e, more)
					}
					before := summaryIDs(e.summaries(caseload.Filter{Status: caseload.StatusAny, Sort: by}))
					for _, f := range []caseload.Filter{{Status: caseload.StatusAny, Sort: by}, {Member: "a-1", Status: caseload.StatusAny, Sort: by}} {
						got := summaryIDs(pageAll(e, f, 2, insert))
						seen := map[coaching.CaseID]int{}
						for _, id := range got {
							seen[id]++
							assert.Equal(e, 1, seen[id], "sort %s: %s repeats", by, id)
						}
						for _, fx := range fs {
							if fx.org == "org-a" && (f.Member == "" || onTeamOf(fx.team, "a-1")) && slices.Contains(before, fx.id) {
								assert.Equal(e, 1, seen[fx.id], "sort %s, member %q: %s, which did not change, appears once", by, f.Member, fx.id)
							}
						}
					}
				}
			},
		},
		{
			name: "SummaryPagingWhileWriting",
			rule: "paging caseload.Reader.Summaries while another goroutine inserts cases, contacts and flags them in transactions of its own: no row repeats and every case that did not change appears exactly once",
			run: func(e *env) {
				fs := clFixtures()
				seedCaseload(e, fs)
				stop := make(chan struct{})
				done := make(chan error, 1)
				go func() {
					// A bounded number of inserts, so that the lists end.
					for i := 0; ; i++ {
						select {
						case <-stop:
							done <- nil
							return
						default:
						}
						if i == 120 {
							<-stop
							done <- nil
							return
						}
						id := coaching.CaseID(fmt.Sprintf("c-w-%04d", i))
						err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
							f := clFixture{id: id, org: "org-a", model: "valo", state: "intake", team: []coaching.TeamMember{member("a-1", coaching.RoleCoach)},
								opened: time.Duration(i%9) * day, family: []string{"Aaa", "Mmm", "Ööö"}[i%3], given: "Uusi"}
							p := minimalParticipant(f.kase().ParticipantID)
							p.Organisation = f.kase().Organisation
							p.FamilyName, p.GivenNames = f.family, f.given
							if err := tx.InsertParticipant(e.ctx, p); err != nil {
								return err
							}
							if err := tx.InsertCase(e.ctx, f.kase()); err != nil {
								return err
							}
							return clStore(e, tx).PutContact(e.ctx, sampleContact("k-"+string(id), id, clDate(i%28+1)))
						})
						if err != nil {
							done <- err
							return
						}
					}
				}()
				defer func() {
					close(stop)
					require.NoError(e, <-done, "the writer")
				}()
				for _, by := range []caseload.Sort{caseload.SortUrgency, caseload.SortName, caseload.SortOpened} {
					for _, f := range []caseload.Filter{{Status: caseload.StatusAny, Sort: by}, {Member: "a-1", Status: caseload.StatusAny, Sort: by}} {
						seen := map[coaching.CaseID]int{}
						for _, id := range summaryIDs(pageAll(e, f, 3, nil)) {
							seen[id]++
							assert.Equal(e, 1, seen[id], "sort %s: %s repeats", by, id)
						}
						for _, fx := range fs {
							if fx.org == "org-a" && (f.Member == "" || onTeamOf(fx.team, "a-1")) {
								assert.Equal(e, 1, seen[fx.id], "sort %s, member %q: %s, which did not change, appears once", by, f.Member, fx.id)
							}
						}
					}
				}
			},
		},
		{
			name: "MemberFollowsTeam",
			rule: "caseload.Filter.Member follows the case's team as the case is updated: a member added is found, one removed is not, and a rolled-back team change changes nothing",
			run: func(e *env) {
				seedCaseload(e, clFixtures())
				c := e.mustCase("c-09")
				next := c.Clone()
				next.Version++
				next.Team = []coaching.TeamMember{member("a-1", coaching.RoleCoach)}
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := tx.UpdateCase(e.ctx, next, c.Version); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				assert.Equal(e, ids("c-09"), summaryIDs(e.summaries(caseload.Filter{Member: "a-3"})), "a rolled-back team change")
				assert.Equal(e, ids("c-01", "c-02", "c-07"), sortedIDs(e.summaries(caseload.Filter{Member: "a-1"})), "a rolled-back team change")
				e.update(func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, next, c.Version) })
				assert.Empty(e, e.summaries(caseload.Filter{Member: "a-3"}), "a member removed")
				assert.Equal(e, ids("c-01", "c-02", "c-07", "c-09"), sortedIDs(e.summaries(caseload.Filter{Member: "a-1"})), "a member added")
				// A transition that keeps the team keeps the case listed.
				moved := nextVersion(next, "induction", at(7*day))
				moved.Team = next.Team
				e.update(func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, moved, next.Version) })
				got := e.summaries(caseload.Filter{Member: "a-1", States: []string{"induction"}})
				assert.Equal(e, ids("c-02", "c-09"), sortedIDs(got), "after a transition")
				// A case inserted in a rolled-back transaction is never listed.
				err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
					f := clFixtures()[0]
					f.id, f.participant = "c-rolled", "p-c-01"
					if err := tx.InsertCase(e.ctx, f.kase()); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				assert.Equal(e, ids("c-01", "c-02", "c-07", "c-09"), sortedIDs(e.summaries(caseload.Filter{Member: "a-1"})), "a rolled-back insert")
			},
		},
		{
			name: "Alerts",
			rule: "caseload.Store.PutAlert stores an alert (Version 1) whose every field round-trips; a taken id, or a second active alert of the case's cause, is a *coaching.DuplicateError (Kind \"alert\", ID: the existing alert's); once resolved or dismissed the cause may be raised again; UpdateAlert checks the version (*coaching.ConflictError, Subject \"alert <id>\") and the id (*coaching.NotFoundError); a failed transaction stores nothing",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				full := sampleAlert("al-1", "c-1", caseload.CausePhaseOverdue, "induction@2")
				full.Welfare = true
				full.Status = caseload.AlertAcknowledged
				full.AcknowledgedAt, full.AcknowledgedBy = at(3*hour), "a-1"
				full.Action = &caseload.Action{Kind: caseload.ActionGuardianContact, Ref: "k-1", Note: "soitettu"}
				e.update(func(tx coaching.Tx) error { return clStore(e, tx).PutAlert(e.ctx, full) })
				got := viewed(e, func(tx coaching.ReadTx) (caseload.Alert, error) { return clReader(e, tx).Alert(e.ctx, "al-1") })
				assert.Equal(e, normalizeAlert(full), normalizeAlert(got), "field for field")

				put := func(a caseload.Alert) error {
					return e.store.Update(e.ctx, func(tx coaching.Tx) error { return clStore(e, tx).PutAlert(e.ctx, a) })
				}
				de := requireDuplicate(e, put(sampleAlert("al-1", "c-2", caseload.CauseManual, "x")), "PutAlert with a taken id")
				assert.Equal(e, "alert", de.Kind)
				de = requireDuplicate(e, put(sampleAlert("al-9", "c-1", caseload.CausePhaseOverdue, "induction@2")), "a second active alert for the cause")
				assert.Equal(e, "alert", de.Kind)
				assert.Equal(e, "al-1", de.ID, "the DuplicateError names the active alert")
				require.NoError(e, put(sampleAlert("al-2", "c-2", caseload.CausePhaseOverdue, "induction@2")), "the same cause on another case")
				require.NoError(e, put(sampleAlert("al-3", "c-1", caseload.CausePhaseOverdue, "induction@3")), "another key")
				require.NoError(e, put(sampleAlert("al-4", "c-1", caseload.CauseEarlyWarning, "induction@2")), "another kind")
				nf := put(sampleAlert("al-5", "c-missing", caseload.CauseManual, "x"))
				requireNotFound(e, nf, "case", "c-missing", "PutAlert on a missing case")

				// Failed transaction: nothing stored, the cause still free.
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := clStore(e, tx).PutAlert(e.ctx, sampleAlert("al-6", "c-2", caseload.CauseManual, "m")); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				_, err = alertOf(e, "al-6")
				requireNotFound(e, err, "alert", "al-6", "an alert of a failed transaction")
				require.NoError(e, put(sampleAlert("al-7", "c-2", caseload.CauseManual, "m")), "the cause of a rolled-back alert is free")

				// Resolve al-1, then raise the cause again.
				upd := func(a caseload.Alert, expected int64) error {
					return e.store.Update(e.ctx, func(tx coaching.Tx) error { return clStore(e, tx).UpdateAlert(e.ctx, a, expected) })
				}
				resolved := got
				resolved.Status, resolved.ClosedAt, resolved.ClosedBy, resolved.Reason = caseload.AlertResolved, at(5*hour), "a-1", "hoidettu"
				resolved.Owner = caseload.Owner{ActorID: "a-2", Role: coaching.RoleCurator}
				ce := requireConflict(e, upd(resolved, 2), "UpdateAlert with a stale version")
				assert.Equal(e, "alert al-1", ce.Subject)
				assert.Equal(e, int64(1), ce.Current)
				requireNotFound(e, upd(sampleAlert("al-missing", "c-1", caseload.CauseManual, "q"), 1), "alert", "al-missing", "UpdateAlert of a missing alert")
				// A rolled-back resolution keeps the cause taken.
				err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := clStore(e, tx).UpdateAlert(e.ctx, resolved, 1); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				requireDuplicate(e, put(sampleAlert("al-8", "c-1", caseload.CausePhaseOverdue, "induction@2")), "the cause after a rolled-back resolution")
				require.NoError(e, upd(resolved, 1))
				after, err := alertOf(e, "al-1")
				require.NoError(e, err)
				resolved.Version = 2
				assert.Equal(e, normalizeAlert(resolved), normalizeAlert(after), "an update replaces every field and sets Version to expected+1")
				require.NoError(e, put(sampleAlert("al-8", "c-1", caseload.CausePhaseOverdue, "induction@2")), "raised again after resolution")
				dismissed, err := alertOf(e, "al-8")
				require.NoError(e, err)
				dismissed.Status, dismissed.Reason = caseload.AlertDismissed, "ei aihetta"
				require.NoError(e, upd(dismissed, 1))
				require.NoError(e, put(sampleAlert("al-9", "c-1", caseload.CausePhaseOverdue, "induction@2")), "raised again after dismissal")
			},
		},
		{
			name: "AlertQueries",
			rule: "caseload.Reader.Alerts filters by organisation, owner, case, statuses (default: open and acknowledged) and kinds, pages by id (After, Limit), and orders by id",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				var all []caseload.Alert
				for i, spec := range []struct {
					c      coaching.CaseID
					org    coaching.OrganisationID
					owner  string
					status caseload.AlertStatus
					kind   caseload.CauseKind
				}{
					{"c-1", "org-a", "a-1", caseload.AlertOpen, caseload.CausePhaseOverdue},
					{"c-1", "org-a", "a-2", caseload.AlertAcknowledged, caseload.CauseEarlyWarning},
					{"c-2", "org-a", "a-1", caseload.AlertResolved, caseload.CausePhaseOverdue},
					{"c-2", "org-b", "a-1", caseload.AlertDismissed, caseload.CauseManual},
					{"c-2", "org-b", "a-2", caseload.AlertOpen, caseload.CausePlannedOverdue},
					{"c-1", "org-a", "a-1", caseload.AlertOpen, caseload.CauseCheckpointDue},
				} {
					a := sampleAlert(fmt.Sprintf("al-%d", 6-i), spec.c, spec.kind, "k")
					a.Organisation, a.Owner.ActorID, a.Status = spec.org, spec.owner, spec.status
					all = append(all, a)
				}
				e.update(func(tx coaching.Tx) error {
					for _, a := range all {
						if err := clStore(e, tx).PutAlert(e.ctx, a); err != nil {
							return err
						}
					}
					return nil
				})
				alertIDs := func(q caseload.AlertQuery) []string {
					return idsOf(viewed(e, func(tx coaching.ReadTx) ([]caseload.Alert, error) { return clReader(e, tx).Alerts(e.ctx, q) }),
						func(a caseload.Alert) string { return a.ID })
				}
				// ids: al-6 c-1 open, al-5 c-1 ack, al-4 c-2 resolved, al-3 c-2 dismissed org-b, al-2 c-2 open org-b, al-1 c-1 open
				for _, tc := range []struct {
					q    caseload.AlertQuery
					want []string
				}{
					{caseload.AlertQuery{}, []string{"al-1", "al-2", "al-5", "al-6"}},
					{caseload.AlertQuery{Organisation: "org-a"}, []string{"al-1", "al-5", "al-6"}},
					{caseload.AlertQuery{Owner: "a-1"}, []string{"al-1", "al-6"}},
					{caseload.AlertQuery{CaseID: "c-2"}, []string{"al-2"}},
					{caseload.AlertQuery{CaseID: "c-2", Statuses: []caseload.AlertStatus{caseload.AlertResolved, caseload.AlertDismissed}}, []string{"al-3", "al-4"}},
					{caseload.AlertQuery{Statuses: []caseload.AlertStatus{caseload.AlertOpen}}, []string{"al-1", "al-2", "al-6"}},
					{caseload.AlertQuery{Kinds: []caseload.CauseKind{caseload.CausePhaseOverdue, caseload.CauseEarlyWarning}}, []string{"al-5", "al-6"}},
					{caseload.AlertQuery{Owner: "a-1", Statuses: []caseload.AlertStatus{caseload.AlertOpen, caseload.AlertAcknowledged, caseload.AlertResolved, caseload.AlertDismissed}},
						[]string{"al-1", "al-3", "al-4", "al-6"}},
					{caseload.AlertQuery{After: "al-2"}, []string{"al-5", "al-6"}},
					{caseload.AlertQuery{Limit: 2}, []string{"al-1", "al-2"}},
					{caseload.AlertQuery{After: "al-1", Limit: 2}, []string{"al-2", "al-5"}},
					{caseload.AlertQuery{CaseID: "c-missing"}, []string{}},
				} {
					assert.Equal(e, tc.want, alertIDs(tc.q), "Alerts(%+v)", tc.q)
				}
			},
		},
		{
			name: "Planned",
			rule: "caseload.Store.PutPlanned stores a planned item (Version 1) whose every field round-trips (a taken id: *coaching.DuplicateError); UpdatePlanned checks the version (*coaching.ConflictError, Subject \"planned <id>\") and the id (*coaching.NotFoundError); PlannedItems filters by organisation, owner, case (items listing several cases), statuses (default: planned), From/To (inclusive) and pages with After/Limit, ordered by On then id; a failed transaction stores nothing",
			run: func(e *env) {
				e.seed("c-1", "c-2", "c-3")
				p1 := samplePlanned("pl-1", clDate(25), "c-1", "c-2")
				p1.Kind, p1.Moves, p1.Session, p1.Reason = caseload.PlanGroupSession, 2, "s-9", "syy"
				items := []caseload.Planned{p1, samplePlanned("pl-2", clDate(24), "c-2"), samplePlanned("pl-3", clDate(25), "c-3"),
					samplePlanned("pl-0", clDate(26), "c-1"), samplePlanned("pl-4", clDate(27), "c-1")}
				items[3].Owner.ActorID = "a-2"
				items[3].Organisation = "org-b"
				items[4].Status = caseload.PlannedHeld
				e.update(func(tx coaching.Tx) error {
					for _, p := range items {
						if err := clStore(e, tx).PutPlanned(e.ctx, p); err != nil {
							return err
						}
					}
					return nil
				})
				got := viewed(e, func(tx coaching.ReadTx) (caseload.Planned, error) { return clReader(e, tx).PlannedItem(e.ctx, "pl-1") })
				assert.Equal(e, normalizePlanned(p1), normalizePlanned(got), "field for field")
				putP := func(p caseload.Planned) error {
					return e.store.Update(e.ctx, func(tx coaching.Tx) error { return clStore(e, tx).PutPlanned(e.ctx, p) })
				}
				de := requireDuplicate(e, putP(samplePlanned("pl-1", clDate(25), "c-3")), "PutPlanned with a taken id")
				assert.Equal(e, "planned", de.Kind)
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := clStore(e, tx).PutPlanned(e.ctx, samplePlanned("pl-9", clDate(25), "c-3")); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				_, err = plannedOf(e, "pl-9")
				requireNotFound(e, err, "planned", "pl-9", "a planned item of a failed transaction")

				plannedIDs := func(q caseload.PlannedQuery) []string {
					return idsOf(viewed(e, func(tx coaching.ReadTx) ([]caseload.Planned, error) { return clReader(e, tx).PlannedItems(e.ctx, q) }),
						func(p caseload.Planned) string { return p.ID })
				}
				for _, tc := range []struct {
					q    caseload.PlannedQuery
					want []string
				}{
					{caseload.PlannedQuery{}, []string{"pl-2", "pl-1", "pl-3", "pl-0"}},
					{caseload.PlannedQuery{Organisation: "org-a"}, []string{"pl-2", "pl-1", "pl-3"}},
					{caseload.PlannedQuery{Owner: "a-2"}, []string{"pl-0"}},
					{caseload.PlannedQuery{CaseID: "c-2"}, []string{"pl-2", "pl-1"}},
					{caseload.PlannedQuery{CaseID: "c-1"}, []string{"pl-1", "pl-0"}},
					{caseload.PlannedQuery{CaseID: "c-1", Statuses: []caseload.PlannedStatus{caseload.PlannedHeld, caseload.PlannedOpen}}, []string{"pl-1", "pl-0", "pl-4"}},
					{caseload.PlannedQuery{Statuses: []caseload.PlannedStatus{caseload.PlannedHeld}}, []string{"pl-4"}},
					{caseload.PlannedQuery{From: clDate(25), To: clDate(25)}, []string{"pl-1", "pl-3"}},
					{caseload.PlannedQuery{From: clDate(25)}, []string{"pl-1", "pl-3", "pl-0"}},
					{caseload.PlannedQuery{To: clDate(24)}, []string{"pl-2"}},
					{caseload.PlannedQuery{Limit: 2}, []string{"pl-2", "pl-1"}},
					{caseload.PlannedQuery{After: "pl-1", Limit: 2}, []string{"pl-3", "pl-0"}},
				} {
					assert.Equal(e, tc.want, plannedIDs(tc.q), "PlannedItems(%+v)", tc.q)
				}

				updP := func(p caseload.Planned, expected int64) error {
					return e.store.Update(e.ctx, func(tx coaching.Tx) error { return clStore(e, tx).UpdatePlanned(e.ctx, p, expected) })
				}
				moved := got
				moved.On, moved.Start, moved.Moves, moved.Cases = clDate(28), clDate(28).At(10, 0), 3, []coaching.CaseID{"c-3"}
				moved.UpdatedAt, moved.UpdatedBy = at(4*hour), "a-2"
				ce := requireConflict(e, updP(moved, 3), "UpdatePlanned with a stale version")
				assert.Equal(e, "planned pl-1", ce.Subject)
				requireNotFound(e, updP(samplePlanned("pl-missing", clDate(25), "c-1"), 1), "planned", "pl-missing", "UpdatePlanned of a missing item")
				require.NoError(e, updP(moved, 1))
				after, err := plannedOf(e, "pl-1")
				require.NoError(e, err)
				moved.Version = 2
				assert.Equal(e, normalizePlanned(moved), normalizePlanned(after), "an update replaces every field, Version expected+1")
				assert.Equal(e, []string{"pl-0"}, plannedIDs(caseload.PlannedQuery{CaseID: "c-1"}), "an item moved off a case")
				assert.Equal(e, []string{"pl-3", "pl-1"}, plannedIDs(caseload.PlannedQuery{CaseID: "c-3"}), "an item moved to a case")
			},
		},
		{
			name: "Contacts",
			rule: "caseload.Store.PutContact stores a contact, its Welfare mark included (a taken id: *coaching.DuplicateError, Kind \"contact\") and moves the case's last contact only forward; Contacts returns the case's contacts newest first (On, then At), at most limit; a failed transaction stores nothing",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				welfare := sampleContact("k-2", "c-1", clDate(12))
				welfare.Welfare = true
				e.update(func(tx coaching.Tx) error {
					for _, c := range []caseload.Contact{sampleContact("k-1", "c-1", clDate(10)), welfare,
						sampleContact("k-3", "c-1", clDate(5)), sampleContact("k-4", "c-2", clDate(1))} {
						if err := clStore(e, tx).PutContact(e.ctx, c); err != nil {
							return err
						}
					}
					late := sampleContact("k-5", "c-1", clDate(12))
					late.At = late.At.Add(hour)
					return clStore(e, tx).PutContact(e.ctx, late)
				})
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					return clStore(e, tx).PutContact(e.ctx, sampleContact("k-1", "c-2", clDate(2)))
				})
				de := requireDuplicate(e, err, "PutContact with a taken id")
				assert.Equal(e, "contact", de.Kind)
				err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := clStore(e, tx).PutContact(e.ctx, sampleContact("k-6", "c-1", clDate(20))); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				contacts := func(id coaching.CaseID, limit int) []caseload.Contact {
					return viewed(e, func(tx coaching.ReadTx) ([]caseload.Contact, error) {
						return clReader(e, tx).Contacts(e.ctx, id, limit)
					})
				}
				got := contacts("c-1", 0)
				var gotIDs []string
				for _, c := range got {
					gotIDs = append(gotIDs, c.ID)
				}
				assert.Equal(e, []string{"k-5", "k-2", "k-1", "k-3"}, gotIDs, "newest first; a failed transaction's contact is not stored")
				assert.Equal(e, normalizeContact(welfare), normalizeContact(got[1]), "field for field, Welfare too")
				assert.False(e, got[0].Welfare, "a contact not marked stays unmarked")
				assert.Len(e, contacts("c-1", 2), 2)
				assert.Empty(e, contacts("c-missing", 0))
				byID := map[coaching.CaseID]caseload.Summary{}
				for _, s := range e.summaries(caseload.Filter{Organisation: "org-a"}) {
					byID[s.CaseID] = s
				}
				assert.Equal(e, clDate(12), byID["c-1"].LastContact, "the latest, not the last stored, and not a rolled-back one")
				assert.Equal(e, clDate(1), byID["c-2"].LastContact)
			},
		},
		{
			name: "Erased",
			rule: "caseload.Store's EraseFeatureData clears the free text of the case's caseload data — contact notes, alert titles (to the cause's kind), reasons and action notes, the title and reason of planned items listing the case alone — and keeps dates, kinds, owners and statuses; other cases' data and items shared with other cases stay; a rolled-back erasure changes nothing",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				a := sampleAlert("al-1", "c-1", caseload.CauseManual, "m")
				a.Reason, a.Action = "syy", &caseload.Action{Kind: caseload.ActionNote, Ref: "r", Note: "muistiinpano"}
				alone, shared := samplePlanned("pl-1", clDate(25), "c-1"), samplePlanned("pl-2", clDate(25), "c-1", "c-2")
				alone.Reason = "peruttu"
				e.update(func(tx coaching.Tx) error {
					st := clStore(e, tx)
					for _, err := range []error{st.PutAlert(e.ctx, a), st.PutAlert(e.ctx, sampleAlert("al-2", "c-2", caseload.CauseManual, "m")),
						st.PutPlanned(e.ctx, alone), st.PutPlanned(e.ctx, shared),
						st.PutContact(e.ctx, sampleContact("k-1", "c-1", clDate(3))), st.PutContact(e.ctx, sampleContact("k-2", "c-2", clDate(3)))} {
						if err != nil {
							return err
						}
					}
					return nil
				})
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := clStore(e, tx).EraseFeatureData(e.ctx, "c-1"); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				got, err := alertOf(e, "al-1")
				require.NoError(e, err)
				assert.Equal(e, normalizeAlert(a), normalizeAlert(got), "a rolled-back erasure")
				e.update(func(tx coaching.Tx) error {
					if err := clStore(e, tx).EraseFeatureData(e.ctx, "c-1"); err != nil {
						return err
					}
					return clStore(e, tx).EraseFeatureData(e.ctx, "c-unknown")
				})
				got, err = alertOf(e, "al-1")
				require.NoError(e, err)
				want := a
				want.Title, want.Reason = string(caseload.CauseManual), ""
				want.Action = &caseload.Action{Kind: caseload.ActionNote, Ref: "r"}
				assert.Equal(e, normalizeAlert(want), normalizeAlert(got), "the erased alert")
				other, err := alertOf(e, "al-2")
				require.NoError(e, err)
				assert.Equal(e, normalizeAlert(sampleAlert("al-2", "c-2", caseload.CauseManual, "m")), normalizeAlert(other), "another case's alert")
				p, err := plannedOf(e, "pl-1")
				require.NoError(e, err)
				wantP := alone
				wantP.Title, wantP.Reason = "", ""
				assert.Equal(e, normalizePlanned(wantP), normalizePlanned(p), "an item of the case alone")
				p, err = plannedOf(e, "pl-2")
				require.NoError(e, err)
				assert.Equal(e, normalizePlanned(shared), normalizePlanned(p), "an item shared with another case")
				cs := viewed(e, func(tx coaching.ReadTx) ([]caseload.Contact, error) { return clReader(e, tx).Contacts(e.ctx, "c-1", 0) })
				require.Len(e, cs, 1)
				wantC := sampleContact("k-1", "c-1", clDate(3))
				wantC.Note = ""
				assert.Equal(e, normalizeContact(wantC), normalizeContact(cs[0]), "the erased contact")
				cs = viewed(e, func(tx coaching.ReadTx) ([]caseload.Contact, error) { return clReader(e, tx).Contacts(e.ctx, "c-2", 0) })
				require.Len(e, cs, 1)
				assert.Equal(e, "soitto: sovittiin tapaaminen", cs[0].Note, "another case's contact")
			},
		},
	}
}

// idsOf returns the ids of xs, never nil.
func idsOf[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func onTeamOf(team []coaching.TeamMember, actor string) bool {
	return slices.ContainsFunc(team, func(m coaching.TeamMember) bool { return m.ActorID == actor })
}

func alertOf(e *env, id string) (caseload.Alert, error) {
	var a caseload.Alert
	err := e.store.View(e.ctx, func(tx coaching.ReadTx) error {
		var err error
		a, err = clReader(e, tx).Alert(e.ctx, id)
		return err
	})
	return a, err
}

func plannedOf(e *env, id string) (caseload.Planned, error) {
	var p caseload.Planned
	err := e.store.View(e.ctx, func(tx coaching.ReadTx) error {
		var err error
		p, err = clReader(e, tx).PlannedItem(e.ctx, id)
		return err
	})
	return p, err
}

func normalizeAlert(a caseload.Alert) caseload.Alert {
	a.RaisedAt, a.AcknowledgedAt, a.ClosedAt = NormalizeTime(a.RaisedAt), NormalizeTime(a.AcknowledgedAt), NormalizeTime(a.ClosedAt)
	return a
}

func normalizePlanned(p caseload.Planned) caseload.Planned {
	p.Start, p.CreatedAt, p.UpdatedAt = NormalizeTime(p.Start), NormalizeTime(p.CreatedAt), NormalizeTime(p.UpdatedAt)
	return p
}

func normalizeContact(c caseload.Contact) caseload.Contact {
	c.At = NormalizeTime(c.At)
	return c
}
