package webui_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Odd input never answers 500.
func TestProbeOddInputNever500(t *testing.T) {
	f := newFixture(t, "")
	c := f.client(t)
	c.signIn("", "head-a", "fi")
	v := string(f.cases["Virtanen"].ID)
	gets := []string{
		"/figures?from=0001-01-01&to=9999-12-31", "/figures?from=9999-12-31&to=9999-12-31", "/figures.csv?from=0001-01-01&to=0001-01-02",
		"/week?date=9999-12-27", "/week?date=0001-01-01", "/week?date=2026-02-30",
		"/?no_contact=99999999999999999999", "/?cursor=%00%ff", "/?group=%F0%9F%98%80", "/?scope=org&sort=zzz",
		"/alerts?after=%00&scope=org", "/alerts?status=closed&after=zzzz",
		"/attendance?group=A&date=0001-01-01", "/attendance?group=A&minutes=1e3",
		"/attendance/history?case=" + v + "&date=0001-01-01&lesson=%00",
		"/cases/" + v + "/hoks/diff?from=9223372036854775807&to=1",
		"/cases/%00", "/cases/" + v + "?fired=%00", "/family/" + v + "?explain=9999-12-31",
	}
	for _, p := range gets {
		rec := c.get(p)
		assert.Less(t, rec.Code, 500, "GET %s: %d", p, rec.Code)
	}
	posts := map[string]url.Values{
		"/attendance":                            {"group": {"A"}, "date": {"9999-12-31"}, "status:" + v: {"present"}},
		"/week/items/zz/held":                    {"version": {"1"}, "on": {"0001-01-01"}, "hours": {"1e9999"}},
		"/alerts/zz/resolve":                     {"version": {"99999999999999999999"}},
		"/cases/" + v + "/events/start_coaching": {"version": {"1"}, "payload.x": {"\x00"}},
	}
	for p, form := range posts {
		rec := c.post(p, form)
		assert.Less(t, rec.Code, 500, "POST %s: %d", p, rec.Code)
	}
}
