package webui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// BenchmarkCaseloadPage renders a 50-row caseload page (GET / with a
// session cookie: the cookie's HMAC, caseload.Service.Mine, the template)
// and, interleaved in the same loop so that both see the same machine, the
// same list as JSON the way a JSON route answers it (Mine, then the list
// encoded indented, as adapters/httpapi writes its answers). It reports
// each side's median as html-p50-ns and json-p50-ns and their ratio
// (issue 18 asks the page's p50 to be at most twice the JSON's).
func BenchmarkCaseloadPage(b *testing.B) {
	env := ct.New(b, nil)
	svc, err := caseload.New(env.Engine, nil)
	require.NoError(b, err)
	for i := range 50 {
		p := ct.Participant(func(p *coaching.Participant) {
			p.GivenNames, p.FamilyName, p.Organisation = "Testi", "Opiskelija"+strings.Repeat("x", i%7), orgA
		})
		_, err := env.Engine.Enrol(context.Background(), headA, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
			Team: []coaching.TeamMember{ct.TeamMember(tutorA, coaching.RolePersonalTutor)}})
		require.NoError(b, err)
	}
	ui, err := webui.New(env.Engine, &webui.Options{SessionKey: sessionKey, Login: devLogin(b), Caseload: svc})
	require.NoError(b, err)
	c := &client{t: b, h: ui}
	c.signIn("", "tutor-a", "fi")
	page := httptest.NewRequest(http.MethodGet, "/", nil)
	page.AddCookie(&http.Cookie{Name: webui.CookieName, Value: c.cookie})
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := svc.Mine(r.Context(), tutorA, caseload.Query{})
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(p)
	})
	list := httptest.NewRequest(http.MethodGet, "/caseload", nil)

	rec := httptest.NewRecorder()
	ui.ServeHTTP(rec, page)
	require.Equal(b, http.StatusOK, rec.Code)
	require.Equal(b, 50, strings.Count(rec.Body.String(), `<th scope="row">`), "50 rows on the page")

	var htmlTimes, jsonTimes []time.Duration
	for b.Loop() {
		t0 := time.Now()
		rec := httptest.NewRecorder()
		ui.ServeHTTP(rec, page)
		t1 := time.Now()
		rec = httptest.NewRecorder()
		api.ServeHTTP(rec, list)
		t2 := time.Now()
		htmlTimes, jsonTimes = append(htmlTimes, t1.Sub(t0)), append(jsonTimes, t2.Sub(t1))
	}
	h, j := median(htmlTimes), median(jsonTimes)
	b.ReportMetric(float64(h.Nanoseconds()), "html-p50-ns")
	b.ReportMetric(float64(j.Nanoseconds()), "json-p50-ns")
	if j > 0 {
		b.ReportMetric(float64(h)/float64(j), "html/json")
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
