package ehoks_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/ehoks"
	"github.com/valmennus/valmennus/adapters/ehoks/ehokstest"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

const callerID = "1.2.246.562.10.00000000001.valmennus"

// newClient starts a fake and a client of it; tweak adjusts the options.
func newClient(t *testing.T, fo *ehokstest.Options, tweak func(*ehoks.Options)) (*ehoks.Client, *ehokstest.Server) {
	t.Helper()
	fake := ehokstest.New(fo)
	t.Cleanup(fake.Close)
	opts := fake.ClientOptions(callerID)
	if tweak != nil {
		tweak(&opts)
	}
	c, err := ehoks.New(opts)
	require.NoError(t, err)
	return c, fake
}

// demoPlans reads the real demo-data plans.
func demoPlans(t *testing.T) map[string]*hoks.Plan {
	t.Helper()
	files, err := filepath.Glob("../../hoks/testdata/ehoks/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]*hoks.Plan{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		plans, err := hoks.DecodeAll(b, nil)
		require.NoError(t, err, f)
		for i, p := range plans {
			out[filepath.Base(f)+"#"+string(rune('0'+i))] = withPeriodIDs(p)
		}
	}
	return out
}

// withPeriodIDs gives every workplace period without one a period
// identifier (yksiloiva-tunniste). The demo plans were entered in eHOKS's
// officials' interface, which fills it in; the service API requires it
// (TestDemoPlanWithoutPeriodIDs).
func withPeriodIDs(p *hoks.Plan) *hoks.Plan {
	n := 0
	fill := func(ms []hoks.AcquisitionMethod) {
		for i := range ms {
			if ms[i].IsWorkplacePeriod() && ms[i].PeriodID == nil {
				n++
				ms[i].PeriodID = hoks.Ref("valmennus-jakso-" + string(rune('0'+n)))
			}
		}
	}
	for i := range p.VocationalUnits {
		fill(p.VocationalUnits[i].Methods)
	}
	for i := range p.LocalUnits {
		fill(p.LocalUnits[i].Methods)
	}
	for i := range p.CommonUnits {
		for j := range p.CommonUnits[i].SubAreas {
			fill(p.CommonUnits[i].SubAreas[j].Methods)
		}
	}
	return p
}

// A demo plan as the officials' interface stored it lacks the period
// identifiers the service API requires: eHOKS's 400 names each period.
func TestDemoPlanWithoutPeriodIDs(t *testing.T) {
	b, err := os.ReadFile("../../hoks/testdata/ehoks/hoks_ainoastaan_YTOja.json")
	require.NoError(t, err)
	plan, err := hoks.Decode(b, nil)
	require.NoError(t, err)
	c, fake := newClient(t, nil, nil)
	_, err = c.Create(context.Background(), plan)
	var ve *coaching.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, []coaching.FieldProblem{
		{Field: "hankittavat-yhteiset-tutkinnon-osat[0].osa-alueet[0].osaamisen-hankkimistavat[0]", Message: "Lisää työpaikkajaksoon yksilöivä tunniste."},
		{Field: "hankittavat-yhteiset-tutkinnon-osat[0].osa-alueet[1].osaamisen-hankkimistavat[0]", Message: "Lisää työpaikkajaksoon yksilöivä tunniste."},
	}, ve.Problems)
	require.Zero(t, fake.Len())
}

// requireSame fails when eHOKS's copy differs from ours.
func requireSame(t *testing.T, want, got *hoks.Plan) {
	t.Helper()
	a, err := ehoks.Normalize(want)
	require.NoError(t, err)
	b, err := ehoks.Normalize(got)
	require.NoError(t, err)
	require.Empty(t, hoks.Diff(a, b))
}

func statuses(reqs []ehokstest.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Method + " " + r.Path + " " + http.StatusText(r.Status)
	}
	return out
}

// Every demo plan goes to eHOKS, is replaced (PUT) and patched (PATCH), and
// reads back equal each time, by id and by study right.
func TestCreateUpdateReadBack(t *testing.T) {
	ctx := context.Background()
	for name, plan := range demoPlans(t) {
		t.Run(name, func(t *testing.T) {
			c, fake := newClient(t, nil, nil)
			id, err := c.Create(ctx, plan)
			require.NoError(t, err)
			got, err := c.Get(ctx, id)
			require.NoError(t, err)
			requireSame(t, plan, got)
			require.Equal(t, id, *got.ID)
			require.NotNil(t, got.EID)
			require.False(t, *got.ManualEntry)

			// PUT: a changed contact, a new version, the first unit
			// gone; the parts come back with new ids.
			changed, err := ehoks.Normalize(got) // a read plan carries ids: Put must strip them
			require.NoError(t, err)
			changed.Email = hoks.Ref("uusi.osoite@example.fi")
			changed.Version = hoks.Ref(2)
			var oldIDs []int64
			for _, u := range got.VocationalUnits {
				oldIDs = append(oldIDs, *u.ID)
			}
			if len(changed.VocationalUnits) > 1 {
				changed.VocationalUnits = changed.VocationalUnits[1:]
			}
			require.NoError(t, c.Put(ctx, id, changed))
			got, err = c.GetByStudyRight(ctx, *plan.StudyRightOID)
			require.NoError(t, err)
			requireSame(t, changed, got)
			for _, u := range got.VocationalUnits {
				require.NotContains(t, oldIDs, *u.ID, "PUT gives the parts new ids")
			}

			// PATCH: top-level values only; the parts stay as they are.
			patch := &hoks.Plan{Phone: hoks.Ref("040 123 4567"), Version: hoks.Ref(3)}
			require.NoError(t, c.Patch(ctx, id, patch))
			got, err = c.Get(ctx, id)
			require.NoError(t, err)
			changed.Phone, changed.Version = patch.Phone, patch.Version
			requireSame(t, changed, got)
			require.Equal(t, 3, *got.Version)

			require.Equal(t, 1, fake.Len())
			require.Equal(t, []string{"POST / OK", "GET /1 OK", "PUT /1 No Content", "GET /opiskeluoikeus/" + *plan.StudyRightOID + " OK",
				"PATCH /1 No Content", "GET /1 OK"}, statuses(fake.Requests()))
			require.Equal(t, ehokstest.Stats{TGTs: 1, STs: 6}, fake.Stats(), "one TGT, one ST per request")
		})
	}
}

// eHOKS trims strings and writes instants its own way: Normalize makes the
// copies comparable.
func TestNormalizeTrimsAndInstants(t *testing.T) {
	ctx := context.Background()
	plan := demoPlans(t)["hoks_tuva.json#0"]
	plan.Email = hoks.Ref("  testikayttaja@testi.fi ")
	in, err := hoks.Decode([]byte(`{"hyvaksytty":"2024-01-02T12:00:00+02:00"}`), nil)
	require.NoError(t, err)
	plan.Approved = in.Approved
	c, fake := newClient(t, nil, nil)
	id, err := c.Create(ctx, plan)
	require.NoError(t, err)
	got, err := c.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, "testikayttaja@testi.fi", *got.Email)
	require.Equal(t, "2024-01-02T10:00:00.000Z", got.Approved.String())
	require.NotEmpty(t, hoks.Diff(plan, got), "without Normalize the copies differ")
	requireSame(t, plan, got)
	require.Len(t, fake.Requests(), 2)
}

// A PATCH cannot carry lists: the client says so before sending.
func TestPatchRefusesLists(t *testing.T) {
	c, fake := newClient(t, nil, nil)
	err := c.Patch(context.Background(), 1, &hoks.Plan{VocationalUnits: []hoks.VocationalUnit{}})
	var ve *coaching.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "hankittavat-ammat-tutkinnon-osat", ve.Problems[0].Field)
	require.Empty(t, fake.Requests())
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// The TGT is kept for its lifetime and replaced when CAS forgets it; an ST
// eHOKS refuses is replaced once; a second refusal is a misconfiguration.
func TestTicketExpiryMidSync(t *testing.T) {
	ctx := context.Background()
	plan := demoPlans(t)["hoks_ainoastaan_ammatillisia.json#0"]
	clock := &fakeClock{now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	c, fake := newClient(t, &ehokstest.Options{Now: clock.Now}, func(o *ehoks.Options) { o.Now = clock.Now })
	id, err := c.Create(ctx, plan)
	require.NoError(t, err)
	_, err = c.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, ehokstest.Stats{TGTs: 1, STs: 2}, fake.Stats())

	// The TGT's lifetime ends: a new one before the next ST.
	clock.Add(ehoks.DefaultTGTLifetime + time.Second)
	_, err = c.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, ehokstest.Stats{TGTs: 2, STs: 3}, fake.Stats())

	// CAS forgets the TGT (a restart): 404 for the ST, a new TGT, the ST.
	fake.ExpireTGTs()
	require.NoError(t, c.Put(ctx, id, plan))
	require.Equal(t, []string{"TGT 201", "ST 200", "ST 200", "TGT 201", "ST 200", "ST 404", "TGT 201", "ST 200"}, fake.CASLog())

	// eHOKS refuses the ST (it expired on the way): a fresh ST under a
	// fresh TGT, the request again.
	fake.ExpireNextST()
	_, err = c.Get(ctx, id)
	require.NoError(t, err)
	reqs := fake.Requests()
	require.Equal(t, []string{"GET /1 Unauthorized", "GET /1 OK"}, statuses(reqs[len(reqs)-2:]))

	// The account lost its privilege: the 401 survives a fresh ticket.
	fake.DenyAccess(true)
	before := len(fake.Requests())
	_, err = c.Get(ctx, id)
	require.ErrorIs(t, err, ehoks.ErrUnauthorized)
	require.ErrorIs(t, err, coaching.ErrForbidden)
	require.True(t, coaching.IsMisconfigured(err))
	var ae *ehoks.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusUnauthorized, ae.Status)
	require.Len(t, fake.Requests(), before+2, "renewed once, then given up, never retried")
}

// A CAS account that is not a service account gets 403: misconfigured at
// once; wrong credentials are refused by CAS: misconfigured, no API call.
func TestAccountRefused(t *testing.T) {
	ctx := context.Background()
	c, fake := newClient(t, &ehokstest.Options{AccountType: "VIRKAILIJA"}, nil)
	_, err := c.Get(ctx, 1)
	require.ErrorIs(t, err, ehoks.ErrUnauthorized)
	require.True(t, coaching.IsMisconfigured(err))
	require.Len(t, fake.Requests(), 1)

	c, fake = newClient(t, nil, func(o *ehoks.Options) { o.Password = "väärä-salasana" })
	_, err = c.Get(ctx, 1)
	require.ErrorIs(t, err, ehoks.ErrUnauthorized)
	require.True(t, coaching.IsMisconfigured(err))
	require.Empty(t, fake.Requests())
	require.NotContains(t, err.Error(), "väärä-salasana")
}

// sleeps records the waits between attempts.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

// 5xx answers are retried with growing, jittered waits until success or
// MaxAttempts; 4xx answers never.
func TestRetries(t *testing.T) {
	ctx := context.Background()
	plan := demoPlans(t)["hoks_ainoastaan_paikallisia.json#0"]
	var slept sleeps
	c, fake := newClient(t, nil, func(o *ehoks.Options) {
		o.Sleep, o.MaxAttempts, o.BaseBackoff, o.MaxBackoff = slept.Sleep, 4, 100*time.Millisecond, 300*time.Millisecond
	})
	id, err := c.Create(ctx, plan)
	require.NoError(t, err)

	fake.FailNext(3, http.StatusServiceUnavailable)
	_, err = c.Get(ctx, id)
	require.NoError(t, err)
	require.Len(t, slept.d, 3)
	bounds := [][2]time.Duration{{50, 100}, {100, 200}, {150, 300}} // half fixed, half random; capped at 300
	for i, d := range slept.d {
		require.GreaterOrEqual(t, d, bounds[i][0]*time.Millisecond, "wait %d", i)
		require.LessOrEqual(t, d, bounds[i][1]*time.Millisecond, "wait %d", i)
	}

	fake.FailNext(10, http.StatusInternalServerError)
	requireGivesUpAfter4(t, c, fake, id, plan, http.StatusInternalServerError)

	// 4xx: never retried.
	for _, call := range []func() error{
		func() error { _, err := c.Get(ctx, 999); return err },
		func() error { _, err := c.Create(ctx, plan); return err },
		func() error { return c.Put(ctx, 999, plan) },
	} {
		before := len(fake.Requests())
		n := len(slept.d)
		err := call()
		require.Error(t, err)
		require.Len(t, fake.Requests(), before+1)
		require.Len(t, slept.d, n)
	}
	_, err = c.Get(ctx, 999)
	require.ErrorIs(t, err, ehoks.ErrNotFound)
	require.ErrorIs(t, err, coaching.ErrNotFound)
	_, err = c.GetByStudyRight(ctx, "1.2.246.562.15.10000000009")
	require.ErrorIs(t, err, ehoks.ErrNotFound)
	_, err = c.Create(ctx, plan)
	require.ErrorIs(t, err, ehoks.ErrExists)
	require.ErrorIs(t, err, coaching.ErrDuplicate)
	require.Equal(t, 1, fake.Len())

	// A done context stops the waiting between attempts.
	fake.FailNext(1, http.StatusBadGateway)
	requireDoneContextEndsWait(t, fake, id, time.Minute)
}

// requireGivesUpAfter4 puts plan as HOKS id through c, a client with
// MaxAttempts 4, while fake fails every request with status: the answer
// is an *APIError with that status after four requests. It clears fake's
// failures after.
func requireGivesUpAfter4(t *testing.T, c *ehoks.Client, fake *ehokstest.Server, id int64, plan *hoks.Plan, status int) {
	t.Helper()
	defer fake.FailNext(0, 0)
	before := len(fake.Requests())
	err := c.Put(context.Background(), id, plan)
	var ae *ehoks.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, status, ae.Status)
	require.Len(t, fake.Requests(), before+4, "gives up after MaxAttempts")
}

// requireDoneContextEndsWait reads HOKS id through a client of fake that
// really sleeps (backoff base, at most a minute) with a context that ends
// after 50ms, and requires the context's error well before the wait would
// end. Set the fake to fail first.
func requireDoneContextEndsWait(t *testing.T, fake *ehokstest.Server, id int64, base time.Duration) {
	t.Helper()
	o := fake.ClientOptions(callerID)
	o.Sleep, o.BaseBackoff, o.MaxBackoff = nil, base, time.Minute
	c, err := ehoks.New(o)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Get(ctx, id)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
}

// A POST whose answer is lost may have created the HOKS: the retry adopts
// it instead of creating a second one (or failing on the duplicate).
func TestCreateRetryAdopts(t *testing.T) {
	ctx := context.Background()
	plan := demoPlans(t)["hoksit.json#0"]

	c, fake := newClient(t, nil, nil)
	fake.FailNextAfterWrite(1, http.StatusGatewayTimeout)
	id, err := c.Create(ctx, plan)
	require.NoError(t, err)
	require.Equal(t, int64(1), id)
	require.Equal(t, 1, fake.Len())
	require.Equal(t, []string{"POST / Gateway Timeout", "GET /opiskeluoikeus/" + *plan.StudyRightOID + " OK"}, statuses(fake.Requests()))

	// Failed before the write: nothing there, so POST again.
	c, fake = newClient(t, nil, nil)
	fake.FailNext(1, http.StatusServiceUnavailable)
	id, err = c.Create(ctx, plan)
	require.NoError(t, err)
	require.Equal(t, 1, fake.Len())
	require.Equal(t, []string{"POST / Service Unavailable", "GET /opiskeluoikeus/" + *plan.StudyRightOID + " Not Found", "POST / OK"}, statuses(fake.Requests()))
	require.Equal(t, int64(1), id)

	// Someone else's different HOKS for the study right is not adopted.
	other := *plan
	other.Email = hoks.Ref("toinen@example.fi")
	fake.FailNext(1, http.StatusServiceUnavailable)
	_, err = c.Create(ctx, &other)
	require.ErrorIs(t, err, ehoks.ErrExists)
	require.Equal(t, 1, fake.Len())
}

// badPlan is a valid plan with one workplace period whose part-time
// percentage eHOKS refuses.
func badPlan(t *testing.T) *hoks.Plan {
	t.Helper()
	p, err := hoks.Decode([]byte(`{
	  "oppija-oid": "1.2.246.562.24.44651722625",
	  "opiskeluoikeus-oid": "1.2.246.562.15.76811932045",
	  "ensikertainen-hyvaksyminen": "2024-01-02",
	  "osaamisen-hankkimisen-tarve": true,
	  "hankittavat-ammat-tutkinnon-osat": [{
	    "tutkinnon-osa-koodi-uri": "tutkinnonosat_106727",
	    "tutkinnon-osa-koodi-versio": 1,
	    "osaamisen-hankkimistavat": [
	      {"alku": "2024-01-08", "loppu": "2024-01-31",
	       "osaamisen-hankkimistapa-koodi-uri": "osaamisenhankkimistapa_oppilaitosmuotoinenkoulutus",
	       "osaamisen-hankkimistapa-koodi-versio": 1},
	      {"alku": "2024-02-01", "loppu": "2024-03-29", "yksiloiva-tunniste": "jakso-1",
	       "osaamisen-hankkimistapa-koodi-uri": "osaamisenhankkimistapa_koulutussopimus",
	       "osaamisen-hankkimistapa-koodi-versio": 1,
	       "osa-aikaisuustieto": 150,
	       "tyopaikalla-jarjestettava-koulutus": {
	         "vastuullinen-tyopaikka-ohjaaja": {"nimi": "Olli Ohjaaja"},
	         "tyopaikan-nimi": "Rakennus Oy", "tyopaikan-y-tunnus": "1234567-1",
	         "keskeiset-tyotehtavat": ["Laatoitus"]}}]}]}`), nil)
	require.NoError(t, err)
	return p
}

// eHOKS's 400 answers become validation problems under our paths.
func TestValidationMappedToPaths(t *testing.T) {
	ctx := context.Background()
	c, fake := newClient(t, nil, nil)

	_, err := c.Create(ctx, badPlan(t))
	var ae *ehoks.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, http.StatusBadRequest, ae.Status)
	want := []coaching.FieldProblem{{
		Field:   "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1]",
		Message: "Lisää osa-aikaisuustieto, joka on välillä 1-100.",
	}}
	require.Equal(t, want, ae.Problems)
	var ve *coaching.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, want, ve.Problems)
	require.ErrorIs(t, err, coaching.ErrInvalid)
	require.NotErrorIs(t, err, ehoks.ErrExists)
	require.NotContains(t, err.Error(), "Olli Ohjaaja", "the echoed body stays out")

	// Missing required members and a period ending before it starts.
	p := badPlan(t)
	p.NeedsCompetence = nil
	p.FirstApproved = coaching.Date{}
	p.VocationalUnits[0].Methods[1].PartTimePercent = hoks.Ref(100)
	p.VocationalUnits[0].Methods[0].End = coaching.NewDate(2023, time.December, 1)
	_, err = c.Create(ctx, p)
	require.ErrorAs(t, err, &ae)
	require.Equal(t, []coaching.FieldProblem{
		{Field: "ensikertainen-hyvaksyminen", Message: "is required"},
		{Field: "osaamisen-hankkimisen-tarve", Message: "is required"},
	}, ae.Problems)
	p.NeedsCompetence, p.FirstApproved = hoks.Ref(true), coaching.NewDate(2024, time.January, 2)
	_, err = c.Create(ctx, p)
	require.ErrorAs(t, err, &ae)
	require.Equal(t, []coaching.FieldProblem{{
		Field:   "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0]",
		Message: "Korjaa alku- ja loppupäivämäärä oikein päin.",
	}}, ae.Problems)
	require.Zero(t, fake.Len())

	// Changing the study right by PUT is eHOKS's disallowed update.
	p.VocationalUnits[0].Methods[0].End = coaching.NewDate(2024, time.January, 31)
	id, err := c.Create(ctx, p)
	require.NoError(t, err)
	p.StudyRightOID = hoks.Ref("1.2.246.562.15.76811932052")
	err = c.Put(ctx, id, p)
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "opiskeluoikeus-oid", ae.Problems[0].Field)
	require.Contains(t, ae.Message, "Tried to update `opiskeluoikeus-oid`")
}

// Passwords, TGTs and STs are credentials: no error ever shows one.
func TestSecretsNeverInErrors(t *testing.T) {
	ctx := context.Background()
	var errs []error
	collect := func(err error) {
		require.Error(t, err)
		errs = append(errs, err)
	}

	// CAS hands out a TGT whose URL leads nowhere.
	cas := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://127.0.0.1:1/cas/v1/tickets/TGT-1-salainen")
		w.WriteHeader(http.StatusCreated)
	}))
	defer cas.Close()
	c, err := ehoks.New(ehoks.Options{BaseURL: cas.URL, Username: "u", Password: "salasana-123", CallerID: callerID,
		MaxAttempts: 2, Sleep: func(context.Context, time.Duration) error { return nil }})
	require.NoError(t, err)
	_, err = c.Get(ctx, 1)
	collect(err)

	// CAS answers 500; eHOKS answers 500 until given up; a 401 twice.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "password=salasana-123", http.StatusInternalServerError)
	}))
	defer down.Close()
	c, err = ehoks.New(ehoks.Options{BaseURL: down.URL, Username: "u", Password: "salasana-123", CallerID: callerID,
		MaxAttempts: 2, Sleep: func(context.Context, time.Duration) error { return nil }})
	require.NoError(t, err)
	_, err = c.Get(ctx, 1)
	collect(err)

	c, fake := newClient(t, nil, func(o *ehoks.Options) { o.MaxAttempts = 2 })
	fake.FailNext(5, http.StatusInternalServerError)
	_, err = c.Get(ctx, 1)
	collect(err)
	fake.FailNext(0, 0)
	fake.DenyAccess(true)
	_, err = c.Get(ctx, 1)
	collect(err)

	for _, err := range errs {
		msg := err.Error()
		for _, secret := range []string{"salasana-123", "fake-password", "TGT-", "ST-", "salainen"} {
			require.NotContains(t, msg, secret)
		}
	}
}

// New refuses options it cannot work with.
func TestNewChecksOptions(t *testing.T) {
	_, err := ehoks.New(ehoks.Options{BaseURL: "ftp://x", CASURL: "https://user:pw@cas.example"})
	var ve *coaching.ValidationError
	require.ErrorAs(t, err, &ve)
	fields := []string{}
	for _, p := range ve.Problems {
		fields = append(fields, p.Field)
	}
	require.Equal(t, []string{"BaseURL", "CASURL", "Username", "Password", "CallerID"}, fields)
	require.False(t, strings.Contains(err.Error(), "pw@"))
}

// Concurrent calls share one TGT and each take their own ST.
func TestConcurrentCalls(t *testing.T) {
	ctx := context.Background()
	c, fake := newClient(t, nil, nil)
	id, err := c.Create(ctx, demoPlans(t)["hoks_tuva.json#0"])
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Get(ctx, id)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, ehokstest.Stats{TGTs: 1, STs: 17}, fake.Stats())
}

// eHOKS's 400 quotes the refused value, here free text with an identity
// code in it; the client's error keeps the path and the predicate only.
func TestSchemaErrorFromEHOKSDoesNotEchoTheValue(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cas/v1/tickets":
			w.Header().Set("Location", "http://"+r.Host+"/cas/v1/tickets/TGT-1")
			w.WriteHeader(http.StatusCreated)
		case "/cas/v1/tickets/TGT-1":
			_, _ = w.Write([]byte("ST-1"))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"errors":{"hankittavat-ammat-tutkinnon-osat":[{"lisatiedot":"(not (string-shorter-than? \"Opiskelija 010101-123N tarvitsee tukea\"))"}]}}`))
		}
	}))
	defer srv.Close()
	c, err := ehoks.New(ehoks.Options{BaseURL: srv.URL, Username: "u", Password: "p", CallerID: callerID, MaxAttempts: 1})
	require.NoError(t, err)
	_, err = c.Get(context.Background(), 1)
	require.ErrorIs(t, err, coaching.ErrInvalid)
	require.Equal(t, "ehoks: GET /hoks/:id: 400 Bad Request: "+(&coaching.ValidationError{Subject: "HOKS (eHOKS)", Problems: []coaching.FieldProblem{
		{Field: "hankittavat-ammat-tutkinnon-osat[0].lisatiedot", Message: "(not (string-shorter-than? …))"}}}).Error(), err.Error())
	require.NotContains(t, err.Error(), "010101-123N")
}

// While one call waits for CAS to grant a TGT, a second call waits for its
// turn; when the second call's context ends first it returns at once with
// the context's error, and the first call is not disturbed.
func TestTGTWaitEndsWithTheContext(t *testing.T) {
	release := make(chan struct{})
	var releaseOnce sync.Once
	var tgtPosts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cas/v1/tickets" {
			tgtPosts.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	defer releaseOnce.Do(func() { close(release) }) // before Close, which waits for the handler
	c, err := ehoks.New(ehoks.Options{BaseURL: srv.URL, Username: "u", Password: "p", CallerID: callerID, MaxAttempts: 1})
	require.NoError(t, err)
	first := make(chan error, 1)
	go func() { _, err := c.Get(context.Background(), 1); first <- err }()
	for tgtPosts.Load() == 0 {
		time.Sleep(time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	second := make(chan error, 1)
	go func() { _, err := c.Get(ctx, 2); second <- err }()
	select {
	case err := <-second:
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.NotContains(t, err.Error(), srv.URL)
	case <-time.After(5 * time.Second):
		t.Fatal("a call whose context ended after 50ms is still waiting for the TGT after 5s")
	}
	require.Equal(t, int32(1), tgtPosts.Load(), "the second call sent no TGT request of its own")

	releaseOnce.Do(func() { close(release) })
	select {
	case err := <-first:
		require.ErrorContains(t, err, "CAS refused the ticket-granting ticket request: 503")
	case <-time.After(5 * time.Second):
		t.Fatal("the first call did not end")
	}
}

// A 429 is retried like a 5xx, waiting what eHOKS's Retry-After asks
// (seconds or an HTTP date) when that is longer than the backoff, never
// over MaxBackoff; a POST refused with 429 is sent again without reading
// the study right first (eHOKS did not take it).
func TestTooManyRequestsRetriedAfterRetryAfter(t *testing.T) {
	ctx := context.Background()
	plan := demoPlans(t)["hoks_ainoastaan_paikallisia.json#0"]
	clock := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	var slept sleeps
	c, fake := newClient(t, nil, func(o *ehoks.Options) {
		o.Sleep, o.Now, o.MaxAttempts, o.BaseBackoff, o.MaxBackoff = slept.Sleep, clock.Now, 4, 100*time.Millisecond, 10*time.Second
	})

	fake.ThrottleNext(1, "")
	id, err := c.Create(ctx, plan)
	require.NoError(t, err)
	require.Equal(t, []string{"POST / Too Many Requests", "POST / OK"}, statuses(fake.Requests()))
	require.Len(t, slept.d, 1)
	require.LessOrEqual(t, slept.d[0], 100*time.Millisecond, "no Retry-After: the backoff")

	for _, tc := range []struct {
		retryAfter string
		want       time.Duration
	}{
		{"7", 7 * time.Second},
		{" 3 ", 3 * time.Second},
		{clock.Now().Add(4 * time.Second).Format(http.TimeFormat), 4 * time.Second},
		{"30", 10 * time.Second},                   // capped at MaxBackoff
		{"99999999999999999999", 10 * time.Second}, // overflow: capped
	} {
		slept.d = nil
		fake.ThrottleNext(2, tc.retryAfter)
		_, err := c.Get(ctx, id)
		require.NoError(t, err, tc.retryAfter)
		require.Equal(t, []time.Duration{tc.want, tc.want}, slept.d, tc.retryAfter)
	}
	for _, useless := range []string{"soon", clock.Now().Add(-time.Hour).Format(http.TimeFormat), "-5"} {
		slept.d = nil
		fake.ThrottleNext(1, useless)
		require.NoError(t, c.Put(ctx, id, plan), useless)
		require.Len(t, slept.d, 1, useless)
		require.LessOrEqual(t, slept.d[0], 100*time.Millisecond, "%q: the backoff", useless)
	}

	fake.ThrottleNext(10, "1")
	requireGivesUpAfter4(t, c, fake, id, plan, http.StatusTooManyRequests)

	// A done context ends a long Retry-After wait.
	fake.ThrottleNext(1, "60")
	requireDoneContextEndsWait(t, fake, id, time.Millisecond)
}

// CAS answering 429 to the TGT request is a busy CAS, not refused
// credentials: retried, never ErrUnauthorized.
func TestCASTooManyRequestsRetried(t *testing.T) {
	var tgtPosts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cas/v1/tickets":
			if tgtPosts.Add(1) == 1 {
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			w.Header().Set("Location", "http://"+r.Host+"/cas/v1/tickets/TGT-1")
			w.WriteHeader(http.StatusCreated)
		case "/cas/v1/tickets/TGT-1":
			_, _ = w.Write([]byte("ST-1"))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	var slept sleeps
	c, err := ehoks.New(ehoks.Options{BaseURL: srv.URL, Username: "u", Password: "p", CallerID: callerID, Sleep: slept.Sleep})
	require.NoError(t, err)
	_, err = c.Get(context.Background(), 1)
	require.ErrorIs(t, err, ehoks.ErrNotFound)
	require.Equal(t, int32(2), tgtPosts.Load())
	require.Len(t, slept.d, 1)
}
