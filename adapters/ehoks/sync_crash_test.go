package ehoks_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/ehoks"
	"github.com/valmennus/valmennus/adapters/ehoks/ehokstest"
	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// The crash test runs the push dispatcher in a child process (this test
// binary again, running only TestHelperPushDispatcher) on a SQLite file,
// against the fake eHOKS in the parent reached over HTTP through a proxy.
// The proxy lets the child's N-th write (POST or PUT) reach eHOKS and
// then SIGKILLs the child before it hears the answer: eHOKS has the plan,
// the case has no record of it, the notice is claimed by a dead process.
// The parent approves another version while no dispatcher runs, restarts
// the child (which takes the dead claims over when their leases end), kills
// it again, and lets a third child drain the outbox. Then eHOKS must hold
// exactly one HOKS per study right, each equal to the case's version in
// force with that version's number, the case's record must name it, every
// push notice must be sent, and every body sent for one version must be
// the same (a crash replays an identical write; request counts are not
// asserted).

const (
	crashDBEnv  = "VALMENNUS_EHOKS_CRASH_DB"
	crashURLEnv = "VALMENNUS_EHOKS_CRASH_URL"
	crashCases  = 6
	crashLease  = time.Second
)

// crashEngine opens the engine both processes use on the file.
func crashEngine(t testing.TB, store *sqlite.Store, key *coaching.SystemKey) *coaching.Engine {
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Documents: hoks.Documents(), SystemKey: key})
	require.NoError(t, err)
	return eng
}

// TestHelperPushDispatcher is the child process of TestPushCrash; it does
// nothing in a normal test run.
func TestHelperPushDispatcher(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		t.Skip("the dispatcher process of TestPushCrash")
	}
	ctx := context.Background()
	fail := func(what string, err error) {
		fmt.Fprintln(os.Stderr, what+":", err)
		os.Exit(2)
	}
	store, err := sqlite.Open(ctx, path, nil) // the parent migrated
	if err != nil {
		fail("open", err)
	}
	key := coaching.NewSystemKey()
	eng := crashEngine(t, store, key)
	api, err := ehoks.New(ehoks.Options{BaseURL: os.Getenv(crashURLEnv), Username: "valmennus-palvelu", Password: "fake-password",
		CallerID: callerID, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		fail("client", err)
	}
	s, err := ehoks.NewSync(ehoks.SyncOptions{Engine: eng, SystemKey: key, API: api})
	if err != nil {
		fail("sync", err)
	}
	discard := coaching.SenderFunc(func(context.Context, coaching.Notice) error { return nil })
	disp, err := coaching.NewDispatcher(store, ehoks.Route(map[string]coaching.Sender{ehoks.NoticeKindPush: s}, discard),
		&coaching.DispatcherOptions{Lease: crashLease, Concurrency: 4, BatchSize: 4, BaseBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		fail("dispatcher", err)
	}
	_, _ = os.Stdout.WriteString("READY\n")
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if _, err := disp.RunOnce(ctx); err != nil {
			fail("dispatch", err)
		}
		waiting := 0
		for _, st := range []coaching.NoticeStatus{coaching.NoticePending, coaching.NoticeClaimed} {
			ns, err := store.Notices(ctx, coaching.NoticeQuery{Kind: ehoks.NoticeKindPush, Status: st})
			if err != nil {
				fail("notices", err)
			}
			waiting += len(ns)
		}
		if waiting == 0 {
			_, _ = os.Stdout.WriteString("DONE\n")
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	fail("drain", fmt.Errorf("push notices still waiting after a minute"))
}

// killProxy forwards the child's requests to the fake and kills the child
// once the killAt-th write of the round has reached the fake. It keeps
// every write's body, by study right and versio.
type killProxy struct {
	fake   *ehokstest.Server
	client *http.Client
	self   string // the proxy's URL

	mu     sync.Mutex
	writes int
	killAt int
	kill   func()
	bodies map[string]map[string]bool // "oid versio" → distinct bodies
}

func (p *killProxy) arm(killAt int, kill func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes, p.killAt, p.kill = 0, killAt, kill
}

func (p *killProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/cas/v1/tickets/") {
		// A service ticket is for the service the client names, which is
		// on the proxy's host; the fake knows it on its own.
		body = bytes.ReplaceAll(body, []byte(url.QueryEscape(p.self)), []byte(url.QueryEscape(p.fake.URL)))
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.fake.URL+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, ehokstest.APIPath) {
		p.mu.Lock()
		p.keep(body)
		p.writes++
		if p.writes == p.killAt && p.kill != nil {
			// eHOKS has the write; the child never hears of it.
			p.kill()
			p.kill = nil
		}
		p.mu.Unlock()
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		w.Header().Set("Location", strings.Replace(loc, p.fake.URL, p.self, 1))
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// keep files a write's body without its "id" (PUT has it, POST does not).
func (p *killProxy) keep(body []byte) {
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return
	}
	delete(doc, "id")
	canonical, _ := json.Marshal(doc)
	k := fmt.Sprint(doc["opiskeluoikeus-oid"], " ", doc["versio"])
	if p.bodies[k] == nil {
		p.bodies[k] = map[string]bool{}
	}
	p.bodies[k][string(canonical)] = true
}

// studyRightOID returns the i-th valid study-right OID of a test series.
func studyRightOID(t *testing.T, i int) string {
	for c := range 10 {
		oid := fmt.Sprintf("1.2.246.562.15.%010d%d", 7681193200+i, c)
		if hoks.ValidStudyRightOID(oid) {
			return oid
		}
	}
	t.Fatalf("no check digit for study right %d", i)
	return ""
}

func TestPushCrash(t *testing.T) {
	if os.Getenv(crashDBEnv) != "" {
		t.Skip("inside the dispatcher process")
	}
	if testing.Short() {
		t.Skip("starts and kills dispatcher processes")
	}
	ctx := t.Context()
	fake := ehokstest.New(nil)
	t.Cleanup(fake.Close)
	proxy := &killProxy{fake: fake, client: fake.ClientOptions(callerID).HTTPClient, bodies: map[string]map[string]bool{}}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	proxy.self = front.URL

	path := filepath.Join(t.TempDir(), "push.db")
	store, err := sqlite.Open(ctx, path, &sqlite.Options{Migrate: true})
	require.NoError(t, err)
	key := coaching.NewSystemKey()
	eng := crashEngine(t, store, key)
	plans, err := hoks.NewServiceWith(eng, hoks.ServiceOptions{InForce: ehoks.PushNotices})
	require.NoError(t, err)
	today := coaching.DateOf(eng.Clock().Now())
	base, err := os.ReadFile("../../hoks/testdata/valid_plan.json")
	require.NoError(t, err)

	wantNotices := map[string]bool{}
	approve := func(id coaching.CaseID, basedOn int64, p *hoks.Plan) hoks.Version {
		d, err := plans.SaveDraft(ctx, ct.Tutor, id, basedOn, p)
		require.NoError(t, err)
		v, err := plans.Approve(ctx, ct.Tutor, id, d.Number, today)
		require.NoError(t, err)
		wantNotices[fmt.Sprintf("ehoks_push:%s:%d", id, v.Number)] = true
		return v
	}
	var ids []coaching.CaseID
	for i := range crashCases {
		c, err := eng.Enrol(ctx, ct.Staff, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: ct.Participant(),
			Team: []coaching.TeamMember{ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor)}})
		require.NoError(t, err)
		ids = append(ids, c.ID)
		p, err := hoks.Decode(base, nil)
		require.NoError(t, err)
		p.FirstApproved = coaching.Date{}
		p.StudyRightOID = hoks.Ref(studyRightOID(t, i))
		v := approve(c.ID, 0, p)
		if i%2 == 0 {
			// A second approved version, before anything was pushed.
			v.Plan.Phone = hoks.Ref(fmt.Sprintf("040 000 00%02d", i))
			approve(c.ID, v.Number, v.Plan)
		}
	}
	require.NoError(t, store.Close())

	run := func(round, killAt int) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPushDispatcher$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDBEnv+"="+path, crashURLEnv+"="+front.URL)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// Armed after Start, so that the kill sees the process (the
		// proxy's lock orders the two); arming restarts the count.
		proc, killed := cmd.Process, make(chan struct{})
		proxy.arm(killAt, func() {
			_ = proc.Signal(syscall.SIGKILL)
			close(killed)
		})
		done := false
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			done = done || sc.Text() == "DONE"
		}
		err = cmd.Wait()
		proxy.arm(0, nil)
		if killAt == 0 {
			require.NoError(t, err, "round %d: %s", round, stderr.String())
			require.True(t, done, "round %d: the dispatcher did not drain the outbox", round)
			return
		}
		select {
		case <-killed:
		default:
			t.Fatalf("round %d: the dispatcher ended before its write %d (done %v): %v\n%s", round, killAt, done, err, stderr.String())
		}
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "round %d: not killed by SIGKILL: %v", round, err)
	}

	run(0, 2)
	// While no dispatcher runs, case 1's plan is approved again.
	store, err = sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	eng = crashEngine(t, store, key)
	plans, err = hoks.NewServiceWith(eng, hoks.ServiceOptions{InForce: ehoks.PushNotices})
	require.NoError(t, err)
	cur, err := plans.Current(ctx, ct.Tutor, ids[1])
	require.NoError(t, err)
	cur.Plan.Email = hoks.Ref("uusi.osoite@example.fi")
	approve(ids[1], cur.Number, cur.Plan)
	require.NoError(t, store.Close())
	run(1, 3)
	run(2, 0)

	store, err = sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer store.Close()
	eng = crashEngine(t, store, key)
	plans, err = hoks.NewService(eng)
	require.NoError(t, err)
	s, err := ehoks.NewSync(ehoks.SyncOptions{Engine: eng, SystemKey: key, API: mustClient(t, fake)})
	require.NoError(t, err)

	assert.Equal(t, crashCases, fake.Len(), "one HOKS per study right")
	for _, id := range ids {
		v, err := plans.InForce(ctx, ct.Tutor, id)
		require.NoError(t, err)
		rec, ok, err := s.Pushed(ctx, id)
		require.NoError(t, err)
		require.True(t, ok, "case %s has no push record", id)
		assert.Equal(t, v.Number, rec.Version, "case %s: the record names the version in force", id)
		theirs := fake.Plan(rec.ID)
		require.NotNil(t, theirs, "case %s: the recorded HOKS is not in eHOKS", id)
		assert.Equal(t, *v.Plan.StudyRightOID, *theirs.StudyRightOID, "case %s: the recorded HOKS is another study right's", id)
		require.NotNil(t, theirs.Version)
		assert.Equal(t, int(v.Number), *theirs.Version, "case %s: eHOKS holds another version", id)
		a, err := ehoks.Normalize(v.Plan)
		require.NoError(t, err)
		b, err := ehoks.Normalize(theirs)
		require.NoError(t, err)
		assert.Empty(t, hoks.Diff(a, b), "case %s: eHOKS's copy differs from the version in force", id)
	}
	ns, err := store.Notices(ctx, coaching.NoticeQuery{Kind: ehoks.NoticeKindPush})
	require.NoError(t, err)
	got := map[string]bool{}
	for _, n := range ns {
		got[n.ID] = true
		assert.Equal(t, coaching.NoticeSent, n.Status, "notice %s", n.ID)
	}
	assert.Equal(t, wantNotices, got, "one push notice per version in force")
	for k, bodies := range proxy.bodies {
		assert.Len(t, bodies, 1, "the writes of %s sent different bodies", k)
	}
	adopted := 0
	for _, r := range fake.Requests() {
		if r.Method == http.MethodPost && r.Status == http.StatusBadRequest {
			adopted++
		}
	}
	// The first round's second write is a POST the child never heard
	// answered: its successor's POST is refused and the HOKS adopted.
	assert.NotZero(t, adopted, "no HOKS created before a crash was adopted after it")
	t.Logf("crash: %d API requests, %d adoptions, %d distinct version bodies", len(fake.Requests()), adopted, len(proxy.bodies))
}

func mustClient(t *testing.T, fake *ehokstest.Server) *ehoks.Client {
	c, err := ehoks.New(fake.ClientOptions(callerID))
	require.NoError(t, err)
	return c
}
