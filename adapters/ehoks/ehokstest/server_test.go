package ehokstest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/ehoks/ehokstest"
)

// raw speaks to the fake without the client, to pin its answers down.
type raw struct {
	t    *testing.T
	fake *ehokstest.Server
	tgt  string
}

func newRaw(t *testing.T) *raw {
	fake := ehokstest.New(nil)
	t.Cleanup(fake.Close)
	r := &raw{t: t, fake: fake}
	resp, err := http.PostForm(fake.URL+"/cas/v1/tickets", url.Values{"username": {"valmennus-palvelu"}, "password": {"fake-password"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	r.tgt = resp.Header.Get("Location")
	return r
}

func (r *raw) st(service string) string {
	resp, err := http.PostForm(r.tgt, url.Values{"service": {service}})
	require.NoError(r.t, err)
	defer resp.Body.Close()
	require.Equal(r.t, http.StatusOK, resp.StatusCode)
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// do sends a request with the given headers and returns status and body.
func (r *raw) do(method, path, body string, headers map[string]string) (int, map[string]any) {
	req, err := http.NewRequest(method, r.fake.URL+ehokstest.APIPath+path, strings.NewReader(body))
	require.NoError(r.t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		require.NoError(r.t, json.Unmarshal(b, &out), string(b))
	}
	return resp.StatusCode, out
}

// call sends with a fresh ticket and the caller-id.
func (r *raw) call(method, path, body string) (int, map[string]any) {
	return r.do(method, path, body, map[string]string{"ticket": r.st(r.fake.URL + ehokstest.ServicePath), "caller-id": "test"})
}

const minimal = `{"oppija-oid":"1.2.246.562.24.44651722625","opiskeluoikeus-oid":"1.2.246.562.15.76811932045",
  "ensikertainen-hyvaksyminen":"2024-01-02","osaamisen-hankkimisen-tarve":true,"sahkoposti":"  a@example.fi ",
  "hankittavat-paikalliset-tutkinnon-osat":[{"nimi":"Osa","laajuus":5,"osaamisen-hankkimistavat":[{"alku":"2024-01-08","loppu":"2024-01-31",
    "osaamisen-hankkimistapa-koodi-uri":"osaamisenhankkimistapa_oppilaitosmuotoinenkoulutus","osaamisen-hankkimistapa-koodi-versio":1}]}]}`

func errorsOf(body map[string]any) string {
	b, _ := json.Marshal(body["errors"])
	return string(b)
}

func TestHeadersAndTickets(t *testing.T) {
	r := newRaw(t)
	service := r.fake.URL + ehokstest.ServicePath
	status, body := r.do("GET", "/1", "", map[string]string{"ticket": r.st(service)})
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, `{"caller-id":"missing-required-key"}`, errorsOf(body))

	st := r.st(service)
	h := map[string]string{"ticket": st, "caller-id": "test"}
	status, body = r.do("GET", "/1", "", h)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "HOKS not found", body["error"])
	status, body = r.do("GET", "/1", "", h)
	require.Equal(t, http.StatusUnauthorized, status, "a service ticket is single-use")
	require.Equal(t, "User not found for given ticket. Ticket may be expired.", body["error"])

	status, _ = r.do("GET", "/1", "", map[string]string{"ticket": r.st(r.fake.URL + "/another-service"), "caller-id": "test"})
	require.Equal(t, http.StatusUnauthorized, status, "a ticket for another service")

	r.fake.ExpireTGTs()
	resp, err := http.PostForm(r.tgt, url.Values{"service": {service}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestCreateShapeAndGet(t *testing.T) {
	r := newRaw(t)
	status, body := r.call("POST", "", minimal)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, map[string]any{"meta": map[string]any{"id": 1.0}, "data": map[string]any{"uri": ehokstest.APIPath + "/1"}}, body)

	status, body = r.call("GET", "/1", "")
	require.Equal(t, http.StatusOK, status)
	data := body["data"].(map[string]any)
	require.Equal(t, 1.0, data["id"])
	require.NotEmpty(t, data["eid"])
	require.Equal(t, false, data["manuaalisyotto"])
	require.Equal(t, "a@example.fi", data["sahkoposti"], "strings are trimmed")
	require.Equal(t, []any{}, data["hankittavat-ammat-tutkinnon-osat"])
	unit := data["hankittavat-paikalliset-tutkinnon-osat"].([]any)[0].(map[string]any)
	require.NotNil(t, unit["id"])
	require.NotEmpty(t, unit["module-id"])
	period := unit["osaamisen-hankkimistavat"].([]any)[0].(map[string]any)
	require.NotEmpty(t, period["module-id"])

	status, body = r.call("POST", "", minimal)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "HOKS with the same opiskeluoikeus-oid already exists", body["error"])
}

func TestSchemaPerMethod(t *testing.T) {
	r := newRaw(t)
	withIDs := strings.Replace(minimal, `{"nimi":"Osa"`, `{"id":7,"module-id":"x","nimi":"Osa"`, 1)
	status, body := r.call("POST", "", strings.Replace(withIDs, `{"oppija-oid"`, `{"eid":"x","tuntematon":1,"oppija-oid"`, 1))
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, `{"eid":"disallowed-key","tuntematon":"disallowed-key"}`, errorsOf(body))

	status, body = r.call("POST", "", withIDs)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, `{"hankittavat-paikalliset-tutkinnon-osat":[{"id":"disallowed-key","module-id":"disallowed-key"}]}`, errorsOf(body))

	status, _ = r.call("POST", "", minimal)
	require.Equal(t, http.StatusOK, status)

	status, body = r.call("PATCH", "/1", `{"sahkoposti":"b@example.fi","hankittavat-ammat-tutkinnon-osat":[]}`)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, `{"hankittavat-ammat-tutkinnon-osat":"disallowed-key","id":"missing-required-key"}`, errorsOf(body))
	status, _ = r.call("PATCH", "/1", `{"id":1,"sahkoposti":"b@example.fi"}`)
	require.Equal(t, http.StatusNoContent, status)

	status, body = r.call("PUT", "/1", `{"id":1,"osaamisen-hankkimisen-tarve":false}`)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, `{"ensikertainen-hyvaksyminen":"missing-required-key"}`, errorsOf(body))

	// PUT empties what it leaves out; the study right stays.
	status, _ = r.call("PUT", "/1", `{"id":1,"osaamisen-hankkimisen-tarve":false,"ensikertainen-hyvaksyminen":"2024-01-03"}`)
	require.Equal(t, http.StatusNoContent, status)
	_, body = r.call("GET", "/opiskeluoikeus/1.2.246.562.15.76811932045", "")
	data := body["data"].(map[string]any)
	require.Nil(t, data["sahkoposti"])
	require.Equal(t, []any{}, data["hankittavat-paikalliset-tutkinnon-osat"])
	require.Equal(t, "1.2.246.562.24.44651722625", data["oppija-oid"])

	require.Equal(t, http.StatusNotFound, func() int { s, _ := r.call("PUT", "/9", `{"id":9}`); return s }())
}

func TestTicketsExpire(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	fake := ehokstest.New(&ehokstest.Options{Now: func() time.Time { return now }})
	t.Cleanup(fake.Close)
	r := &raw{t: t, fake: fake}
	resp, err := http.PostForm(fake.URL+"/cas/v1/tickets", url.Values{"username": {"valmennus-palvelu"}, "password": {"wrong"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, err = http.PostForm(fake.URL+"/cas/v1/tickets", url.Values{"username": {"valmennus-palvelu"}, "password": {"fake-password"}})
	require.NoError(t, err)
	resp.Body.Close()
	r.tgt = resp.Header.Get("Location")
	service := fake.URL + ehokstest.ServicePath
	h := func(st string) map[string]string { return map[string]string{"ticket": st, "caller-id": "test"} }

	old := r.st(service)
	now = now.Add(11 * time.Second) // past the 10 s lifetime
	status, _ := r.do("GET", "/1", "", h(old))
	require.Equal(t, http.StatusUnauthorized, status)

	a, b := r.st(service), r.st(service)
	fake.ExpireTicketsNow()
	for _, st := range []string{a, b} {
		status, _ := r.do("GET", "/1", "", h(st))
		require.Equal(t, http.StatusUnauthorized, status)
	}
	status, _ = r.do("GET", "/1", "", h(r.st(service)))
	require.Equal(t, http.StatusNotFound, status, "tickets issued later are good")
	require.Equal(t, ehokstest.Stats{TGTs: 1, STs: 4}, fake.Stats())
}
