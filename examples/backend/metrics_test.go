package main

import (
	"context"
	"flag"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// scrape reads GET url as the Prometheus text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	require.NoError(t, err)
	return families
}

// labels is a metric's labels as a map.
func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// series returns the value of each series of family name whose labels
// include want, keyed by the rest of its labels (otel_scope_* left out).
func series(t *testing.T, families map[string]*dto.MetricFamily, name string, want map[string]string) map[string]float64 {
	t.Helper()
	f, ok := families[name]
	require.True(t, ok, "no metric %s", name)
	out := map[string]float64{}
next:
	for _, m := range f.GetMetric() {
		ls := labels(m)
		for k, v := range want {
			if ls[k] != v {
				continue next
			}
		}
		var rest []string
		for k, v := range ls {
			if _, fixed := want[k]; !fixed && !strings.HasPrefix(k, "otel_scope_") {
				rest = append(rest, k+"="+v)
			}
		}
		sort.Strings(rest)
		var v float64
		switch {
		case m.Counter != nil:
			v = m.Counter.GetValue()
		case m.Gauge != nil:
			v = m.Gauge.GetValue()
		case m.Histogram != nil:
			v = float64(m.Histogram.GetSampleCount())
		}
		out[strings.Join(rest, ",")] = v
	}
	return out
}

// GET /metrics after an enrolment, a Fire and a delivered digest: the
// transition, notice, outbox and channel series with their labels and
// counts, and no label value anywhere that holds a person's id, name,
// e-mail address or identity code, or a case's id.
func TestRunMetrics(t *testing.T) {
	mail := startMailServer(t)
	clock := ct.NewClock(pilotStart)
	// The outbox is read at every scrape: the test's clock stands still
	// while it waits for the send to be recorded.
	base, _ := startRunWith(t, &testHooks{clock: clock, dispatchInterval: 10 * time.Millisecond, outboxMinInterval: -1},
		"-dev-identities", "-smtp", mail.addr, "-smtp-insecure", "-metrics-addr", "api")

	enrol := `{"model":"valo","participant":{"given_names":"Aino","family_name":"Virtanen","birth_date":"1994-05-17",
		"identity_code":"170594-904D","language":"fi","organisation":"school-1","contact":{"email":"aino@example.fi"}},
		"team":[{"actor_id":"coach-1","role":"coach","name":"Maija Kares"}]}`
	res, p := send(t, "POST", base+"/enrolments", enrol, coach...)
	require.Equal(t, http.StatusCreated, res.StatusCode, "%v", p)
	valoCase := p["id"].(string)
	notYet := `{"payload":{"motivation":"not_met","working_life_skills":"met","attendance_commitment":"met","work_commitment":"met","goal_commitment":"met"}}`
	res, p = send(t, "POST", base+"/cases/"+valoCase+"/events/admit", notYet, coach...)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, "a criterion not met: %v", p)
	admit := `{"payload":{"motivation":"met","working_life_skills":"met","attendance_commitment":"met","work_commitment":"met","goal_commitment":"met"}}`
	res, p = send(t, "POST", base+"/cases/"+valoCase+"/events/admit", admit, coach...)
	require.Equal(t, http.StatusOK, res.StatusCode, "%v", p)
	res, p = send(t, "POST", base+"/cases/"+valoCase+"/events/admit", admit, coach...)
	require.Equal(t, http.StatusConflict, res.StatusCode, "admitted already: %v", p)
	res, p = get(t, base+"/cases/"+valoCase, "X-Actor-Id", "parent-9", "X-Actor-Roles", "guardian", "X-Actor-Organisation", "school-1")
	require.Equal(t, http.StatusForbidden, res.StatusCode, "not this participant's guardian: %v", p)

	minorCase := enrolMinorAbsent(t, base)
	clock.Set(time.Date(2024, 4, 2, 15, 1, 0, 0, coaching.Helsinki))
	eventually(t, "the digest delivered", func() bool { return len(mail.messages()) == 1 })
	// The send is counted once it is recorded in the outbox, just after
	// the message is accepted.
	var fams map[string]*dto.MetricFamily
	eventually(t, "the send counted", func() bool {
		fams = scrape(t, base+"/metrics")
		return series(t, fams, "valmennus_notices_total", map[string]string{"outcome": "sent"})["channel=email,kind=guardian_absence"] == 1
	})

	// The admission, and the second one refused: the case has moved on.
	assert.Equal(t, map[string]float64{"from=recruitment,outcome=rules_rejected,to=induction": 1, "from=recruitment,outcome=ok,to=induction": 1,
		"from=induction,outcome=invalid,to=": 1},
		series(t, fams, "valmennus_transitions_total", map[string]string{"model": "valo", "event": "admit"}))
	assert.Equal(t, map[string]float64{"outcome=rules_rejected": 1, "outcome=ok": 1, "outcome=invalid": 1},
		series(t, fams, "valmennus_transition_duration_seconds", map[string]string{"model": "valo", "event": "admit"}))
	assert.Equal(t, map[string]float64{"rule=entry_criteria_met": 1},
		series(t, fams, "valmennus_rule_rejections_total", map[string]string{"model": "valo", "event": "admit"}))
	assert.Equal(t, map[string]float64{"operation=read_case,rule=guardian_relation": 1},
		series(t, fams, "valmennus_policy_denials_total", nil))
	// The digest: enqueued (before any channel took it), then sent by
	// e-mail, six hours after it was written (09:00 to 15:01).
	assert.Equal(t, map[string]float64{"channel=,outcome=enqueued": 1, "channel=email,outcome=sent": 1},
		series(t, fams, "valmennus_notices_total", map[string]string{"kind": "guardian_absence"}))
	latency := fams["valmennus_notice_latency_seconds"]
	require.NotNil(t, latency)
	require.Len(t, latency.GetMetric(), 1)
	assert.Equal(t, map[string]string{"channel": "email", "kind": "guardian_absence"}, withoutScope(labels(latency.GetMetric()[0])))
	assert.Equal(t, (6*time.Hour + time.Minute).Seconds(), latency.GetMetric()[0].GetHistogram().GetSampleSum())
	// The outbox is drained and the channel not paused.
	assert.Equal(t, map[string]float64{"": 0}, series(t, fams, "valmennus_channel_paused", map[string]string{"channel": "email"}))
	assert.Equal(t, map[string]float64{"status=pending": 0, "status=claimed": 0}, series(t, fams, "valmennus_outbox_depth", nil))
	assert.Equal(t, map[string]float64{"": 0}, series(t, fams, "valmennus_outbox_lag_seconds", nil))

	// The README's operations section names every series, and no other.
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, ops, ok := strings.Cut(string(readme), "**Operations.**")
	require.True(t, ok)
	ops, _, _ = strings.Cut(ops, "\n## ")
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`valmennus_[a-z_]+`).FindAllString(ops, -1) {
		documented[m] = true
	}
	for name := range fams {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if strings.HasPrefix(name, "valmennus_") {
			assert.True(t, documented[base], "the README does not name %s", base)
			delete(documented, base)
		}
	}
	delete(documented, "valmennus_outbox_dead") // no notice died here
	assert.Empty(t, documented, "the README names series that were not scraped")

	// No label value holds personal data or a case's id.
	personal := append([]string{valoCase, minorCase, "Aino", "Virtanen", "170594-904D", "aino@example.fi", "coach-1", "Maija Kares"}, minorsData...)
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				for _, pd := range personal {
					assert.NotContains(t, l.GetValue(), pd, "%s{%s}", name, l.GetName())
				}
			}
		}
	}
}

// withoutScope leaves out the labels of the instrumentation scope.
func withoutScope(ls map[string]string) map[string]string {
	for k := range ls {
		if strings.HasPrefix(k, "otel_scope_") {
			delete(ls, k)
		}
	}
	return ls
}

// GET /metrics is served on the -metrics-addr listener only, loopback
// 127.0.0.1:9464 by default: the API's listener answers it as an unknown
// route. Serving it beside the API takes -metrics-addr api; "off" serves
// it nowhere.
func TestRunMetricsAddr(t *testing.T) {
	var help strings.Builder
	require.ErrorIs(t, run(context.Background(), []string{"-h"}, &help, nil), flag.ErrHelp)
	assert.Contains(t, help.String(), `(default "127.0.0.1:9464")`, "loopback by default")
	assert.Equal(t, "127.0.0.1:9464", defaultMetricsAddr)

	metricsAt := make(chan string, 1)
	base, _ := startRunWith(t, &testHooks{metricsListening: metricsAt}, "-metrics-addr", "127.0.0.1:0")
	addr := <-metricsAt
	fams := scrape(t, "http://"+addr+"/metrics")
	assert.Contains(t, fams, "target_info")
	assert.Contains(t, fams, "valmennus_channel_paused")
	res, _ := get(t, base+"/metrics")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)

	metricsAt = make(chan string, 1)
	base, logs := startRunWith(t, &testHooks{metricsListening: metricsAt}, "-metrics-addr", "api")
	fams = scrape(t, base+"/metrics")
	assert.Contains(t, fams, "valmennus_channel_paused", "-metrics-addr api: beside the API")
	assert.Contains(t, logs.String(), "without sign-on")
	assert.Empty(t, metricsAt, "no listener of its own")

	base, _ = startRunWith(t, &testHooks{metricsListening: metricsAt}, "-metrics-addr", "off")
	res, _ = get(t, base+"/metrics")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Empty(t, metricsAt)
}
