package memory

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/sis"
)

// The caseload feature's port (coaching/caseload): alerts, planned items
// and contacts, and the caseload list's summaries.
//
// The list is answered from indexes, not by walking every case: members
// maps a team member's actor id to the rows of the cases they are on
// (kept in step with every case write that changes the team), and each
// case row carries what a summary needs beside the case — its alerts'
// ids, its planned items' ids, its contacts and last contact date — so a
// summary is computed per candidate row.
var (
	_ caseload.Store  = (*tx)(nil)
	_ caseload.Reader = (*readTx)(nil)
)

// caseloadData is the store's caseload data.
type caseloadData struct {
	alerts   map[string]*caseload.Alert
	planned  map[string]*caseload.Planned
	contacts map[string]*caseload.Contact
	// active maps a case's cause to its active (open or acknowledged)
	// alert's id: one at a time.
	active map[causeKey]string
	// members maps an actor id to the rows of the cases whose team names
	// them (any role).
	members map[string]map[*caseRow]struct{}
}

type causeKey struct {
	caseID coaching.CaseID
	kind   caseload.CauseKind
	key    string
}

func causeOf(a *caseload.Alert) causeKey {
	return causeKey{caseID: a.CaseID, kind: a.Cause.Kind, key: a.Cause.Key}
}

// caseloadRow is what a case row keeps for the caseload: the ids of its
// alerts and planned items, its contacts, and its last contact date.
type caseloadRow struct {
	alerts      []string
	planned     []string
	contacts    []*caseload.Contact
	lastContact coaching.Date
}

// undoFunc records a caseload write's undo as a function: these writes are
// rare beside the kernel's, so a closure each costs nothing that matters.
func (t *tx) undoFunc(f func()) {
	t.undo = append(t.undo, undoOp{kind: undoCaseload, old: f})
}

// ---- the member index -----------------------------------------------------

// sameMembers reports whether two teams name the same actors.
func sameMembers(a, b []coaching.TeamMember) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ActorID != b[i].ActorID {
			return false
		}
	}
	return true
}

func (s *Store) indexMembers(r *caseRow, team []coaching.TeamMember) {
	for _, m := range team {
		set := s.cl.members[m.ActorID]
		if set == nil {
			set = make(map[*caseRow]struct{})
			s.cl.members[m.ActorID] = set
		}
		set[r] = struct{}{}
	}
}

func (s *Store) unindexMembers(r *caseRow, team []coaching.TeamMember) {
	for _, m := range team {
		if set := s.cl.members[m.ActorID]; set != nil {
			delete(set, r)
			if len(set) == 0 {
				delete(s.cl.members, m.ActorID)
			}
		}
	}
}

// reindexMembers moves row r from the members of team old to those of
// team next, when they differ (a transition keeps the team: nothing to do).
func (t *tx) reindexMembers(r *caseRow, old, next []coaching.TeamMember) {
	if sameMembers(old, next) {
		return
	}
	s := t.s
	s.unindexMembers(r, old)
	s.indexMembers(r, next)
	t.undoFunc(func() {
		s.unindexMembers(r, next)
		s.indexMembers(r, old)
	})
}

// ---- reads ----------------------------------------------------------------

func (t *readTx) Alert(_ context.Context, id string) (caseload.Alert, error) {
	a, ok := t.cl.alerts[id]
	if !ok {
		return caseload.Alert{}, &coaching.NotFoundError{Kind: "alert", ID: id}
	}
	return cloneAlert(a), nil
}

func cloneAlert(a *caseload.Alert) caseload.Alert {
	out := *a
	if a.Action != nil {
		act := *a.Action
		out.Action = &act
	}
	return out
}

func clonePlanned(p *caseload.Planned) caseload.Planned {
	out := *p
	out.Cases = slices.Clone(p.Cases)
	return out
}

func (t *readTx) Alerts(_ context.Context, q caseload.AlertQuery) ([]caseload.Alert, error) {
	statuses := q.Statuses
	if len(statuses) == 0 {
		statuses = []caseload.AlertStatus{caseload.AlertOpen, caseload.AlertAcknowledged}
	}
	match := func(a *caseload.Alert) bool {
		return (q.Organisation == "" || a.Organisation == q.Organisation) && (q.Owner == "" || a.Owner.ActorID == q.Owner) &&
			(q.CaseID == "" || a.CaseID == q.CaseID) && slices.Contains(statuses, a.Status) &&
			(len(q.Kinds) == 0 || slices.Contains(q.Kinds, a.Cause.Kind)) && a.ID > q.After
	}
	found := selectItems(t, q.CaseID, t.cl.alerts, func(r *caseRow) []string { return r.cl.alerts }, match)
	slices.SortFunc(found, func(a, b *caseload.Alert) int { return cmp.Compare(a.ID, b.ID) })
	if q.Limit > 0 && len(found) > q.Limit {
		found = found[:q.Limit]
	}
	out := make([]caseload.Alert, len(found))
	for i, a := range found {
		out[i] = cloneAlert(a)
	}
	return out, nil
}

// selectItems returns the items of all that match: with a case id, only
// that case's (ofCase lists their ids on its row), without walking the rest.
func selectItems[T any](t *readTx, caseID coaching.CaseID, all map[string]*T, ofCase func(*caseRow) []string, match func(*T) bool) []*T {
	var found []*T
	if caseID != "" {
		if r, ok := t.cases[caseID]; ok {
			for _, id := range ofCase(r) {
				if x := all[id]; match(x) {
					found = append(found, x)
				}
			}
		}
		return found
	}
	for _, x := range all {
		if match(x) {
			found = append(found, x)
		}
	}
	return found
}

func (t *readTx) PlannedItem(_ context.Context, id string) (caseload.Planned, error) {
	p, ok := t.cl.planned[id]
	if !ok {
		return caseload.Planned{}, &coaching.NotFoundError{Kind: "planned", ID: id}
	}
	return clonePlanned(p), nil
}

func comparePlanned(a, b *caseload.Planned) int {
	if c := a.On.Compare(b.On); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func (t *readTx) PlannedItems(_ context.Context, q caseload.PlannedQuery) ([]caseload.Planned, error) {
	statuses := q.Statuses
	if len(statuses) == 0 {
		statuses = []caseload.PlannedStatus{caseload.PlannedOpen}
	}
	match := func(p *caseload.Planned) bool {
		return (q.Organisation == "" || p.Organisation == q.Organisation) && (q.Owner == "" || p.Owner.ActorID == q.Owner) &&
			(q.CaseID == "" || slices.Contains(p.Cases, q.CaseID)) && slices.Contains(statuses, p.Status) &&
			(q.From.IsZero() || !p.On.Before(q.From)) && (q.To.IsZero() || !p.On.After(q.To))
	}
	found := selectItems(t, q.CaseID, t.cl.planned, func(r *caseRow) []string { return r.cl.planned }, match)
	slices.SortFunc(found, comparePlanned)
	// After pages by id within the (On, id) order: the item named After
	// and everything before it are skipped.
	if q.After != "" {
		if i := slices.IndexFunc(found, func(p *caseload.Planned) bool { return p.ID == q.After }); i >= 0 {
			found = found[i+1:]
		} else if a, ok := t.cl.planned[q.After]; ok {
			i, _ := slices.BinarySearchFunc(found, a, comparePlanned)
			found = found[i:]
		}
	}
	if q.Limit > 0 && len(found) > q.Limit {
		found = found[:q.Limit]
	}
	out := make([]caseload.Planned, len(found))
	for i, p := range found {
		out[i] = clonePlanned(p)
	}
	return out, nil
}

func (t *readTx) Contacts(_ context.Context, id coaching.CaseID, limit int) ([]caseload.Contact, error) {
	out := []caseload.Contact{}
	r, ok := t.cases[id]
	if !ok {
		return out, nil
	}
	for _, c := range r.cl.contacts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b caseload.Contact) int {
		if c := b.On.Compare(a.On); c != 0 {
			return c
		}
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ---- summaries ------------------------------------------------------------

// candidate is a row that passed the filter, with its key.
type candidate struct {
	key caseload.Key
	r   *caseRow
}

func (t *readTx) Summaries(ctx context.Context, f caseload.Filter) ([]caseload.Summary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		return []caseload.Summary{}, nil
	}
	var found []candidate
	consider := func(r *caseRow) {
		if !t.matches(r, &f) {
			return
		}
		k := t.keyOf(r, f.Sort, f.Now)
		if f.After != nil && !f.After.Less(k, f.Sort) {
			return
		}
		found = append(found, candidate{k, r})
	}
	switch {
	case f.Member != "":
		for r := range t.cl.members[f.Member] {
			consider(r)
		}
	default:
		for _, r := range t.order {
			consider(r)
		}
	}
	less := func(a, b candidate) int {
		switch {
		case a.key.Less(b.key, f.Sort):
			return -1
		case b.key.Less(a.key, f.Sort):
			return 1
		}
		return 0
	}
	if len(found) > f.Limit {
		found = smallest(found, f.Limit, less)
	} else {
		slices.SortFunc(found, less)
	}
	out := make([]caseload.Summary, len(found))
	for i, c := range found {
		out[i] = t.summary(c.r)
	}
	return out, nil
}

// smallest returns the n smallest of cs in order, selecting before it
// sorts: an organisation's list sorts a page's worth, not every case.
func smallest(cs []candidate, n int, cmpf func(a, b candidate) int) []candidate {
	// A bounded insertion into a sorted prefix: n is a page (≤ 500).
	top := make([]candidate, 0, n)
	for _, c := range cs {
		if len(top) == n && cmpf(c, top[n-1]) >= 0 {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, c, cmpf)
		if len(top) < n {
			top = append(top, candidate{})
		}
		copy(top[i+1:], top[i:len(top)-1])
		top[i] = c
	}
	return top
}

// matches reports whether row r passes every filter of f.
func (t *readTx) matches(r *caseRow, f *caseload.Filter) bool {
	c := r.c
	if c.Organisation != f.Organisation {
		return false
	}
	if f.Member != "" && !onTeam(c.Team, f.Member, f.MemberRole) {
		return false
	}
	if len(f.Models) > 0 && !slices.Contains(f.Models, c.Model) {
		return false
	}
	if len(f.States) > 0 && !slices.Contains(f.States, c.State) {
		return false
	}
	switch f.Status {
	case caseload.StatusOpen:
		if !c.ClosedAt.IsZero() {
			return false
		}
	case caseload.StatusClosed:
		if c.ClosedAt.IsZero() {
			return false
		}
	}
	if f.Participant != "" && c.ParticipantID != f.Participant {
		return false
	}
	if !f.OpenedFrom.IsZero() && c.OpenedAt.Before(f.OpenedFrom) {
		return false
	}
	if !f.OpenedTo.IsZero() && !c.OpenedAt.Before(f.OpenedTo) {
		return false
	}
	if f.Overdue && !overdue(c, f) {
		return false
	}
	if f.Flagged || f.FlagRule != "" {
		if len(r.flags) == 0 {
			return false
		}
		if f.FlagRule != "" && !slices.ContainsFunc(r.flags, func(fl attendance.RiskFlag) bool { return fl.Rule == f.FlagRule }) {
			return false
		}
	}
	if !f.ContactBefore.IsZero() && !r.cl.lastContact.IsZero() && !r.cl.lastContact.Before(f.ContactBefore) {
		return false
	}
	if f.Group != "" && groupOf(r) != f.Group {
		return false
	}
	return true
}

func overdue(c *coaching.Case, f *caseload.Filter) bool {
	return c.ClosedAt.IsZero() && c.Phase.PausedAt.IsZero() && !c.Phase.DueAt.IsZero() && c.Phase.DueAt.Before(f.Now)
}

func onTeam(team []coaching.TeamMember, actor string, role coaching.Role) bool {
	for _, m := range team {
		if m.ActorID == actor && (role == "" || m.Role == role) {
			return true
		}
	}
	return false
}

// groupOf returns the group of the case's latest SIS enrolment record.
func groupOf(r *caseRow) string {
	for i := len(r.records) - 1; i >= 0; i-- {
		if r.records[i].Name != sis.RecordName {
			continue
		}
		var v struct {
			Group string `json:"group"`
		}
		if json.Unmarshal(r.records[i].Data, &v) != nil {
			return ""
		}
		return v.Group
	}
	return ""
}

// activeAlerts counts the case's open and acknowledged alerts, the
// welfare ones apart.
func (t *readTx) activeAlerts(r *caseRow) (all, welfare int) {
	for _, id := range r.cl.alerts {
		a := t.cl.alerts[id]
		if !a.Active() {
			continue
		}
		if a.Welfare {
			welfare++
		} else {
			all++
		}
	}
	return all, welfare
}

// keyOf is caseload.KeyOf for a row, without building its summary.
func (t *readTx) keyOf(r *caseRow, by caseload.Sort, now time.Time) caseload.Key {
	k := caseload.Key{CaseID: r.id}
	switch by {
	case caseload.SortName:
		if p := r.participant.p; p != nil {
			k.Name = caseload.NameKey(p.FamilyName, p.GivenNames)
		} else {
			k.Name = caseload.NameKey("", "")
		}
	case caseload.SortOpened:
		k.Opened = r.c.OpenedAt
	default:
		c := r.c
		switch {
		case c.ClosedAt.IsZero() && c.Phase.PausedAt.IsZero() && !c.Phase.DueAt.IsZero() && c.Phase.DueAt.Before(now):
			k.Rank = caseload.RankOverdue
		case len(r.flags) > 0 || t.hasActiveAlert(r):
			k.Rank = caseload.RankFlagged
		default:
			k.Rank = caseload.RankOther
		}
		k.Contact = r.cl.lastContact
	}
	return k
}

// hasActiveAlert reports whether the case has an active non-welfare alert:
// welfare alerts never raise the urgency rank (caseload.RankFlagged).
func (t *readTx) hasActiveAlert(r *caseRow) bool {
	for _, id := range r.cl.alerts {
		if a := t.cl.alerts[id]; a.Active() && !a.Welfare {
			return true
		}
	}
	return false
}

// summary builds row r's summary.
func (t *readTx) summary(r *caseRow) caseload.Summary {
	c := r.c
	s := caseload.Summary{CaseID: c.ID, ParticipantID: c.ParticipantID, Organisation: c.Organisation, Model: c.Model,
		State: c.State, OpenedAt: c.OpenedAt, ClosedAt: c.ClosedAt, Phase: c.Phase, Team: slices.Clone(c.Team),
		Group: groupOf(r), LastContact: r.cl.lastContact}
	if p := r.participant.p; p != nil {
		s.GivenNames, s.FamilyName = p.GivenNames, p.FamilyName
	}
	for _, fl := range r.flags {
		s.Flags = append(s.Flags, caseload.Flag{Rule: fl.Rule, Seq: fl.Seq})
	}
	s.ActiveAlerts, s.ActiveWelfareAlerts = t.activeAlerts(r)
	var next [2]*caseload.Planned // [0] not welfare-owned, [1] welfare-owned
	for _, id := range r.cl.planned {
		p := t.cl.planned[id]
		i := 0
		if p.Owner.Role.IsWelfare() {
			i = 1
		}
		if p.Status == caseload.PlannedOpen && (next[i] == nil || comparePlanned(p, next[i]) < 0) {
			next[i] = p
		}
	}
	for i, dst := range []**caseload.Upcoming{&s.Next, &s.NextWelfare} {
		if p := next[i]; p != nil {
			*dst = &caseload.Upcoming{ID: p.ID, Kind: p.Kind, Title: p.Title, On: p.On}
		}
	}
	return s
}

// ---- writes ---------------------------------------------------------------

// checkNewID refuses an empty id (a *coaching.ValidationError) and a
// taken one (a *coaching.DuplicateError) of a new item of kind.
func checkNewID[T any](kind, id string, items map[string]*T) error {
	if id == "" {
		return &coaching.ValidationError{Subject: kind, Problems: []coaching.FieldProblem{{Field: "id", Message: "is required"}}}
	}
	if _, dup := items[id]; dup {
		return &coaching.DuplicateError{Kind: kind, ID: id}
	}
	return nil
}

func (t *tx) PutAlert(_ context.Context, a caseload.Alert) error {
	if err := checkNewID("alert", a.ID, t.s.cl.alerts); err != nil {
		return err
	}
	r, err := t.row(a.CaseID)
	if err != nil {
		return err
	}
	cp := cloneAlert(&a)
	cp.Version = 1
	k := causeOf(&cp)
	if cp.Active() {
		if id, ok := t.s.cl.active[k]; ok {
			return &coaching.DuplicateError{Kind: "alert", ID: id}
		}
		t.s.cl.active[k] = cp.ID
	}
	s := t.s
	s.cl.alerts[cp.ID] = &cp
	r.cl.alerts = append(r.cl.alerts, cp.ID)
	t.undoFunc(func() {
		delete(s.cl.alerts, cp.ID)
		if s.cl.active[k] == cp.ID {
			delete(s.cl.active, k)
		}
		r.cl.alerts = r.cl.alerts[:len(r.cl.alerts)-1]
	})
	return nil
}

func (t *tx) UpdateAlert(_ context.Context, a caseload.Alert, expected int64) error {
	s := t.s
	cur, ok := s.cl.alerts[a.ID]
	if !ok {
		return &coaching.NotFoundError{Kind: "alert", ID: a.ID}
	}
	if cur.Version != expected {
		return &coaching.ConflictError{CaseID: cur.CaseID, Subject: "alert " + a.ID, Expected: expected, Current: cur.Version}
	}
	cp := cloneAlert(&a)
	cp.CaseID, cp.Cause, cp.Version = cur.CaseID, cur.Cause, expected+1
	k := causeOf(cur)
	switch {
	case cur.Active() && !cp.Active():
		delete(s.cl.active, k)
	case !cur.Active() && cp.Active():
		if id, taken := s.cl.active[k]; taken {
			return &coaching.DuplicateError{Kind: "alert", ID: id}
		}
		s.cl.active[k] = cp.ID
	}
	s.cl.alerts[cp.ID] = &cp
	t.undoFunc(func() {
		s.cl.alerts[cur.ID] = cur
		switch {
		case cur.Active():
			s.cl.active[k] = cur.ID
		case s.cl.active[k] == cur.ID:
			delete(s.cl.active, k)
		}
	})
	return nil
}

// plannedRows returns the rows of a planned item's cases, or a
// *coaching.NotFoundError.
func (t *tx) plannedRows(p *caseload.Planned) ([]*caseRow, error) {
	rows := make([]*caseRow, 0, len(p.Cases))
	for _, id := range p.Cases {
		r, ok := t.s.cases[id]
		if !ok {
			return nil, &coaching.NotFoundError{Kind: "case", ID: string(id)}
		}
		if !slices.Contains(rows, r) {
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// linkPlanned adds (or with remove, removes) the id to the planned lists
// of rows, copying each list: readers may share it.
func linkPlanned(rows []*caseRow, id string, remove bool) {
	for _, r := range rows {
		if remove {
			r.cl.planned = slices.DeleteFunc(slices.Clone(r.cl.planned), func(x string) bool { return x == id })
		} else {
			r.cl.planned = append(slices.Clip(r.cl.planned), id)
		}
	}
}

func (t *tx) PutPlanned(_ context.Context, p caseload.Planned) error {
	if err := checkNewID("planned", p.ID, t.s.cl.planned); err != nil {
		return err
	}
	rows, err := t.plannedRows(&p)
	if err != nil {
		return err
	}
	cp := clonePlanned(&p)
	cp.Version = 1
	s := t.s
	s.cl.planned[cp.ID] = &cp
	linkPlanned(rows, cp.ID, false)
	t.undoFunc(func() {
		delete(s.cl.planned, cp.ID)
		linkPlanned(rows, cp.ID, true)
	})
	return nil
}

func (t *tx) UpdatePlanned(_ context.Context, p caseload.Planned, expected int64) error {
	s := t.s
	cur, ok := s.cl.planned[p.ID]
	if !ok {
		return &coaching.NotFoundError{Kind: "planned", ID: p.ID}
	}
	if cur.Version != expected {
		var caseID coaching.CaseID
		if len(cur.Cases) > 0 {
			caseID = cur.Cases[0]
		}
		return &coaching.ConflictError{CaseID: caseID, Subject: "planned " + p.ID, Expected: expected, Current: cur.Version}
	}
	newRows, err := t.plannedRows(&p)
	if err != nil {
		return err
	}
	oldRows, _ := t.plannedRows(cur) // its cases exist: cases are never deleted
	cp := clonePlanned(&p)
	cp.Version = expected + 1
	s.cl.planned[cp.ID] = &cp
	linkPlanned(oldRows, cp.ID, true)
	linkPlanned(newRows, cp.ID, false)
	t.undoFunc(func() {
		s.cl.planned[cur.ID] = cur
		linkPlanned(newRows, cur.ID, true)
		linkPlanned(oldRows, cur.ID, false)
	})
	return nil
}

func (t *tx) PutContact(_ context.Context, c caseload.Contact) error {
	if err := checkNewID("contact", c.ID, t.s.cl.contacts); err != nil {
		return err
	}
	r, err := t.row(c.CaseID)
	if err != nil {
		return err
	}
	s := t.s
	cp := c
	s.cl.contacts[c.ID] = &cp
	prev, prevContacts := r.cl.lastContact, r.cl.contacts
	r.cl.contacts = append(slices.Clip(r.cl.contacts), &cp)
	if c.On.After(prev) {
		r.cl.lastContact = c.On
	}
	t.undoFunc(func() {
		delete(s.cl.contacts, cp.ID)
		r.cl.contacts, r.cl.lastContact = prevContacts, prev
	})
	return nil
}

// eraseCaseload clears the free text of case id's caseload data
// (caseload.Store's FeatureEraser): its contacts' notes, its alerts'
// titles (down to the cause's kind), reasons and action notes, and the
// title and reason of the planned items that list it alone.
func (t *tx) eraseCaseload(id coaching.CaseID) {
	r, ok := t.s.cases[id]
	if !ok {
		return
	}
	s := t.s
	for i, c := range r.cl.contacts {
		if c.Note == "" {
			continue
		}
		cp := *c
		cp.Note = ""
		contacts := slices.Clone(r.cl.contacts)
		contacts[i] = &cp
		old := r.cl.contacts
		r.cl.contacts, s.cl.contacts[c.ID] = contacts, &cp
		t.undoFunc(func() { r.cl.contacts, s.cl.contacts[c.ID] = old, c })
	}
	for _, aid := range r.cl.alerts {
		cur := s.cl.alerts[aid]
		cp := cloneAlert(cur)
		cp.Title, cp.Reason = string(cur.Cause.Kind), ""
		if cp.Action != nil {
			cp.Action.Note = ""
		}
		s.cl.alerts[aid] = &cp
		t.undoFunc(func() { s.cl.alerts[aid] = cur })
	}
	for _, pid := range r.cl.planned {
		cur := s.cl.planned[pid]
		if len(cur.Cases) != 1 || cur.Title == "" && cur.Reason == "" {
			continue
		}
		cp := clonePlanned(cur)
		cp.Title, cp.Reason = "", ""
		s.cl.planned[pid] = &cp
		t.undoFunc(func() { s.cl.planned[pid] = cur })
	}
}
