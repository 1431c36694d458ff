package caseload

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// List limits.
const (
	// DefaultLimit is a page's size when the query sets none.
	DefaultLimit = 50
	// MaxLimit is the largest page.
	MaxLimit = 500
	// maxFetches bounds how many batches of candidates one List call
	// reads from the store while the policy filters them out: a page
	// that the bound cut short still returns a cursor.
	maxFetches = 8
)

// cursorVersion is the version of the cursor's encoding.
const cursorVersion = 1

// cursor is what a page's Next carries: opaque to callers (base64url
// JSON).
type cursor struct {
	V int       `json:"v"`
	H string    `json:"h"`
	N time.Time `json:"n"`
	K Key       `json:"k"`
}

// List returns a page of the cases matching q that the policy lets actor
// read (read_case), in q.Sort's order. Defaults: the actor's
// organisation, open cases, by urgency, 50 rows (at most 500). Every
// field is checked: an unknown sort or status, a limit out of range,
// OpenedFrom after OpenedTo, negative days, or a cursor from another query
// (or tampered with) is a *coaching.ValidationError naming the field. A
// page shorter than the limit may still have a Next cursor when the scan
// was bounded; an empty Next means the list ended. The rows keep the
// first page's instant (the cursor carries it), so the urgency order
// holds from page to page under concurrent writes.
func (s *Service) List(ctx context.Context, actor coaching.Actor, q Query) (Page, error) {
	f, limit, err := resolve(actor, q, s.seal)
	if err != nil {
		return Page{}, err
	}
	var page Page
	err = s.eng.Read(ctx, actor, func(sc *coaching.Scope) error {
		if f.Now.IsZero() {
			f.Now = sc.Now().Truncate(time.Microsecond) // see Filter.Now
		}
		if q.NoContactDays > 0 {
			f.ContactBefore = coaching.DateOf(f.Now).AddDays(1 - q.NoContactDays)
		}
		rd, err := readPort(sc)
		if err != nil {
			return err
		}
		page, err = list(ctx, sc, rd, f, limit, func(k Key) string {
			return encodeCursor(cursor{V: cursorVersion, H: s.seal.sum(actor, q, f.Now, k), N: f.Now, K: k})
		})
		return err
	})
	if err != nil {
		return Page{}, err
	}
	return page, nil
}

// Mine is List of the cases on whose team actor is (q.Member = actor.ID).
func (s *Service) Mine(ctx context.Context, actor coaching.Actor, q Query) (Page, error) {
	q.Member = actor.ID
	return s.List(ctx, actor, q)
}

// list reads a page of f for the scope's actor; next is the cursor after
// a key.
func list(ctx context.Context, sc *coaching.Scope, rd Reader, f Filter, limit int, next func(Key) string) (Page, error) {
	page := Page{Rows: []Row{}}
	f.Limit = limit + 1
	staff := isStaff(sc.Actor())
	for range maxFetches {
		batch, err := rd.Summaries(ctx, f)
		if err != nil {
			return Page{}, err
		}
		for i, sm := range batch {
			k := KeyOf(sm, f.Sort, f.Now)
			f.After = &k
			c := sm.Case()
			if !sc.MayRead(coaching.OpReadCase, c) {
				continue
			}
			r, err := rowOf(sc, sm, c, f.Now, staff)
			if err != nil {
				return Page{}, err
			}
			page.Rows = append(page.Rows, r)
			if len(page.Rows) == limit {
				if i < len(batch)-1 || len(batch) == f.Limit {
					page.Next = next(k)
				}
				return page, nil
			}
		}
		if len(batch) < f.Limit {
			return page, nil
		}
	}
	// The scan bound: more candidates may follow the last one read.
	page.Next = next(*f.After)
	return page, nil
}

// rowOf builds a row the policy allowed. Its next planned item is the
// summary's Next, or NextWelfare when that comes first and the policy
// allows read_welfare on the case (asked only then, and access-logged as
// every welfare read is).
func rowOf(sc *coaching.Scope, sm Summary, c coaching.Case, now time.Time, staff bool) (Row, error) {
	r := Row{CaseID: sm.CaseID, ParticipantID: sm.ParticipantID, Organisation: sm.Organisation,
		Name: strings.TrimSpace(sm.GivenNames + " " + sm.FamilyName), Group: sm.Group, Model: sm.Model, State: sm.State,
		OpenedAt: sm.OpenedAt, Closed: !sm.ClosedAt.IsZero(), PhaseDue: sm.Phase.DueAt, Paused: !sm.Phase.PausedAt.IsZero(),
		Overdue: sm.Overdue(now), Flags: Rules(sm.Flags), LastContact: sm.LastContact,
		Roles: rolesOn(sm.Team, sc.Actor().ID)}
	// Alerts are staff work: a student or a guardian counts none.
	if staff {
		r.OpenAlerts = sm.ActiveAlerts
		if sm.ActiveWelfareAlerts > 0 && sc.MayRead(coaching.OpReadWelfare, c) {
			r.OpenAlerts += sm.ActiveWelfareAlerts
		}
	}
	next := sm.Next
	if w := sm.NextWelfare; w != nil && staff && (next == nil || upcomingBefore(*w, *next)) {
		ok, err := sc.Reveal(coaching.OpReadWelfare, c, "caseload_list")
		if err != nil {
			return Row{}, err
		}
		if ok {
			next = w
		}
	}
	if next != nil {
		n := *next
		if !staff {
			// A planned item's title is staff's wording; a student or a
			// guardian sees its kind and date.
			n.Title = ""
		}
		r.Next = &n
	}
	return r, nil
}

// upcomingBefore reports whether a comes before b in a case's planned
// items (by On, then id).
func upcomingBefore(a, b Upcoming) bool {
	if a.On != b.On {
		return a.On.Before(b.On)
	}
	return a.ID < b.ID
}

// resolve checks q and returns the store's filter (Now set from the
// cursor, if any) and the page size.
func resolve(actor coaching.Actor, q Query, seal sealer) (Filter, int, error) {
	var pr []coaching.FieldProblem
	add := func(field, format string, args ...any) {
		pr = append(pr, coaching.FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	f := Filter{Organisation: q.Organisation, Member: q.Member, MemberRole: q.MemberRole, Models: slices.Clone(q.Models),
		States: slices.Clone(q.States), Status: q.Status, Overdue: q.Overdue, Flagged: q.Flagged || q.FlagRule != "",
		FlagRule: q.FlagRule, Participant: q.Participant, Group: q.Group, Sort: q.Sort}
	if f.Organisation == "" {
		f.Organisation = actor.Organisation
	}
	if f.Organisation == "" {
		add("organisation", "required: the actor has no organisation")
	}
	switch f.Status {
	case "":
		f.Status = StatusOpen
	case StatusOpen, StatusClosed, StatusAny:
	default:
		add("status", "must be open, closed or any, got %q", q.Status)
	}
	switch f.Sort {
	case "":
		f.Sort = SortUrgency
	case SortUrgency, SortName, SortOpened:
	default:
		add("sort", "must be urgency, name or opened, got %q", q.Sort)
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		add("limit", "must be 1–%d, got %d", MaxLimit, q.Limit)
	}
	if q.NoContactDays < 0 || q.NoContactDays > 3660 {
		add("no_contact_days", "must be 0–3660 days, got %d", q.NoContactDays)
	}
	if q.MemberRole != "" && q.Member == "" {
		add("member_role", "needs member")
	}
	pr = append(pr, coaching.TextProblems("member", q.Member, 200, false)...)
	pr = append(pr, coaching.TextProblems("flag_rule", q.FlagRule, 200, false)...)
	pr = append(pr, coaching.TextProblems("group", q.Group, 200, false)...)
	for i, m := range q.Models {
		if strings.TrimSpace(m) == "" {
			add(fmt.Sprintf("models[%d]", i), "empty")
		}
	}
	for i, st := range q.States {
		if strings.TrimSpace(st) == "" {
			add(fmt.Sprintf("states[%d]", i), "empty")
		}
	}
	if !q.OpenedFrom.IsZero() {
		if !q.OpenedFrom.Valid() {
			add("opened_from", "not a calendar date")
		} else {
			f.OpenedFrom = q.OpenedFrom.Start()
		}
	}
	if !q.OpenedTo.IsZero() {
		if !q.OpenedTo.Valid() {
			add("opened_to", "not a calendar date")
		} else {
			f.OpenedTo = q.OpenedTo.AddDays(1).Start()
		}
	}
	if !q.OpenedFrom.IsZero() && !q.OpenedTo.IsZero() && q.OpenedFrom.After(q.OpenedTo) {
		add("opened_from", "is after opened_to")
	}
	if q.Cursor != "" && len(pr) == 0 {
		c, err := decodeCursor(q.Cursor)
		switch {
		case err != nil:
			add("cursor", "not a cursor of this list: %v", err)
		case !seal.valid(c.H, actor, q, c.N, c.K):
			add("cursor", "not issued for this query (the filters or the sort differ), to this actor or by this service, or altered")
		default:
			f.Now, f.After = c.N, &c.K
		}
	}
	if len(pr) > 0 {
		return Filter{}, 0, &coaching.ValidationError{Subject: "caseload query", Problems: pr}
	}
	return f, limit, nil
}

// sealer signs cursors with its key: a cursor's seal is an HMAC-SHA256
// of the actor's id, the query's filters and sort (not its page size or
// cursor), and the page's instant and key. A caller cannot forge one, nor
// reuse one for another query or pass it to another actor.
type sealer []byte

func (k sealer) sum(actor coaching.Actor, q Query, now time.Time, key Key) string {
	q.Cursor, q.Limit = "", 0
	if q.Sort == "" {
		q.Sort = SortUrgency
	}
	if q.Status == "" {
		q.Status = StatusOpen
	}
	b, _ := json.Marshal(struct {
		A string    `json:"a"`
		Q Query     `json:"q"`
		N time.Time `json:"n"`
		K Key       `json:"k"`
	}{string(actor.ID), q, now.UTC(), key}) // always encodes
	m := hmac.New(sha256.New, k)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (k sealer) valid(seal string, actor coaching.Actor, q Query, now time.Time, key Key) bool {
	return hmac.Equal([]byte(seal), []byte(k.sum(actor, q, now, key)))
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c) // a cursor always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	if len(s) > 4096 {
		return cursor{}, fmt.Errorf("too long")
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, fmt.Errorf("not base64url")
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return cursor{}, fmt.Errorf("not a cursor")
	}
	if c.V != cursorVersion {
		return cursor{}, fmt.Errorf("version %d unknown", c.V)
	}
	if c.N.IsZero() || c.K.CaseID == "" {
		return cursor{}, fmt.Errorf("incomplete")
	}
	return c, nil
}

// defaultListLimit is the page size of the alert, planned-item and
// contact listings when the caller gives none.
const defaultListLimit = 100

// listLimit is a listing's page size: n, or defaultListLimit for 0; a
// problem on "limit" when n is negative or above MaxLimit.
func listLimit(n int) (int, *coaching.FieldProblem) {
	switch {
	case n == 0:
		return defaultListLimit, nil
	case n < 0 || n > MaxLimit:
		return 0, &coaching.FieldProblem{Field: "limit", Message: fmt.Sprintf("must be 1–%d, got %d", MaxLimit, n)}
	}
	return n, nil
}
