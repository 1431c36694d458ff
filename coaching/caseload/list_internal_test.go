package caseload

import (
	"testing"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// A cursor is input: whatever a caller sends, resolve refuses it with an
// error naming the field or accepts it, and never panics; a cursor it
// issued round-trips.
func FuzzResolveCursor(f *testing.F) {
	a := coaching.Actor{ID: "coach-a", Organisation: "org-a", Roles: []coaching.Role{coaching.RoleCoach}}
	q := Query{Sort: SortName}
	now := time.Date(2026, 8, 10, 9, 0, 0, 0, coaching.Helsinki)
	k := Key{Name: NameKey("Aho", "Aino"), CaseID: "case-1"}
	seal := sealer("a key of thirty-two bytes or more!")
	good := encodeCursor(cursor{V: cursorVersion, H: seal.sum(a, q, now, k), N: now, K: k})
	f.Add(good)
	f.Add("")
	f.Add("e30")
	f.Add("not a cursor")
	f.Fuzz(func(t *testing.T, s string) {
		q := q
		q.Cursor = s
		fl, _, err := resolve(a, q, seal)
		if err != nil {
			ve, ok := err.(*coaching.ValidationError)
			if !ok || len(ve.Problems) != 1 || ve.Problems[0].Field != "cursor" {
				t.Fatalf("cursor %q: %v", s, err)
			}
			return
		}
		if s != "" && (fl.After == nil || fl.Now.IsZero()) {
			t.Fatalf("cursor %q accepted without a key", s)
		}
		if s == good && (fl.After.CaseID != "case-1" || !fl.Now.Equal(now)) {
			t.Fatalf("round trip: %+v at %v", fl.After, fl.Now)
		}
	})
}
