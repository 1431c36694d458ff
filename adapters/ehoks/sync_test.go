package ehoks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/ehoks"
	"github.com/valmennus/valmennus/adapters/ehoks/ehokstest"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// syncEnv is an engine keeping plans with the push hook, a fake eHOKS, a
// sync over it and a dispatcher routing push notices to the sync and every
// other notice to the kit's recording sender.
type syncEnv struct {
	*ct.Env
	plans *hoks.Service
	fake  *ehokstest.Server
	api   *ehoks.Client
	sync  *ehoks.Sync
	disp  *coaching.Dispatcher
	id    coaching.CaseID
}

func newSyncEnv(t *testing.T) *syncEnv {
	t.Helper()
	key := coaching.NewSystemKey()
	// 2024-04-02: after the test plan's periods, inside the financing
	// period that began on 1 July 2023 (as the hoks package's tests).
	start := time.Date(2024, 4, 2, 10, 0, 0, 0, coaching.Helsinki)
	env := ct.New(t, &ct.Options{Start: start, Engine: coaching.Options{Documents: hoks.Documents(), SystemKey: key}})
	plans, err := hoks.NewServiceWith(env.Engine, hoks.ServiceOptions{InForce: ehoks.PushNotices})
	require.NoError(t, err)
	fake := ehokstest.New(&ehokstest.Options{Today: coaching.DateOf(start)})
	t.Cleanup(fake.Close)
	api, err := ehoks.New(fake.ClientOptions(callerID))
	require.NoError(t, err)
	s, err := ehoks.NewSync(ehoks.SyncOptions{Engine: env.Engine, SystemKey: key, API: api})
	require.NoError(t, err)
	disp, err := coaching.NewDispatcher(env.Store, ehoks.Route(map[string]coaching.Sender{ehoks.NoticeKindPush: s}, env.Sender),
		&coaching.DispatcherOptions{Clock: env.Clock, MaxAttempts: 3})
	require.NoError(t, err)
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	return &syncEnv{Env: env, plans: plans, fake: fake, api: api, sync: s, disp: disp, id: c.ID}
}

// plan is the hoks package's valid test plan, before its first approval.
func (e *syncEnv) plan(t *testing.T) *hoks.Plan {
	t.Helper()
	b, err := os.ReadFile("../../hoks/testdata/valid_plan.json")
	require.NoError(t, err)
	p, err := hoks.Decode(b, nil)
	require.NoError(t, err)
	p.FirstApproved = coaching.Date{}
	return p
}

// approve saves p as a draft over version basedOn and approves it.
func (e *syncEnv) approve(t *testing.T, basedOn int64, p *hoks.Plan) hoks.Version {
	t.Helper()
	ctx := context.Background()
	d, err := e.plans.SaveDraft(ctx, ct.Tutor, e.id, basedOn, p)
	require.NoError(t, err)
	v, err := e.plans.Approve(ctx, ct.Tutor, e.id, d.Number, coaching.DateOf(e.Clock.Now()))
	require.NoError(t, err)
	return v
}

// deliver runs the dispatcher until nothing is due, moving the clock past
// every backoff.
func (e *syncEnv) deliver(t *testing.T) {
	t.Helper()
	for range 10 {
		r, err := e.disp.RunOnce(context.Background())
		require.NoError(t, err)
		if r.Claimed == 0 {
			return
		}
		e.Clock.Advance(2 * time.Hour)
	}
	t.Fatal("the outbox did not drain")
}

func (e *syncEnv) pushNotices(t *testing.T) []coaching.Notice {
	t.Helper()
	ns, err := e.Store.Notices(context.Background(), coaching.NoticeQuery{CaseID: e.id, Kind: ehoks.NoticeKindPush})
	require.NoError(t, err)
	return ns
}

// theirs is eHOKS's copy of the plan, by study right.
func (e *syncEnv) theirs(t *testing.T, p *hoks.Plan) *hoks.Plan {
	t.Helper()
	got, err := e.api.GetByStudyRight(context.Background(), *p.StudyRightOID)
	require.NoError(t, err)
	return got
}

// requireSame fails unless eHOKS's copy is our version v.
func (e *syncEnv) requireSame(t *testing.T, v hoks.Version) {
	t.Helper()
	got := e.theirs(t, v.Plan)
	require.NotNil(t, got.Version)
	assert.Equal(t, int(v.Number), *got.Version, "eHOKS's versio is our version number")
	a, err := ehoks.Normalize(v.Plan)
	require.NoError(t, err)
	b, err := ehoks.Normalize(got)
	require.NoError(t, err)
	assert.Empty(t, hoks.Diff(a, b), "eHOKS holds the version as we approved it")
}

func writes(reqs []ehokstest.Request) []string {
	var out []string
	for _, r := range reqs {
		if r.Method != http.MethodGet {
			out = append(out, r.Method+" "+strconv.Itoa(r.Status))
		}
	}
	return out
}

func TestPushAfterApproval(t *testing.T) {
	e := newSyncEnv(t)
	ctx := context.Background()
	v := e.approve(t, 0, e.plan(t))
	require.Equal(t, int64(2), v.Number)

	ns := e.pushNotices(t)
	require.Len(t, ns, 1, "one push notice, for the approved version only (not the draft)")
	assert.Equal(t, "ehoks_push:"+string(e.id)+":2", ns[0].ID)
	assert.Equal(t, "2", ns[0].Data["version"])
	assert.Empty(t, ns[0].Recipient.ID)
	assert.Zero(t, e.fake.Len(), "nothing reaches eHOKS before the dispatcher runs")

	e.deliver(t)
	require.Equal(t, 1, e.fake.Len())
	e.requireSame(t, v)
	assert.Equal(t, []string{"POST 200"}, writes(e.fake.Requests()), "the first push creates the HOKS")
	rec, ok, err := e.sync.Pushed(ctx, e.id)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, *e.theirs(t, v.Plan).ID, rec.ID)
	assert.Equal(t, int64(2), rec.Version)
	n, err := e.Store.Notice(ctx, ns[0].ID)
	require.NoError(t, err)
	assert.Equal(t, coaching.NoticeSent, n.Status)
	assert.Equal(t, 1, n.Attempts)
	// The survey the approval queued went to the other sender.
	ct.RequireNotice(t, e.Sender.Sent(), ct.NoticeMatch{Kind: hoks.NoticeKindSurvey})
	ct.RequireNoNotice(t, e.Sender.Sent(), ct.NoticeMatch{Kind: ehoks.NoticeKindPush})

	// The record's audit entry is the engine's, under the sync's rule.
	trail := ct.RequireAuditTrail(t, e.Engine, e.id)
	last := trail[len(trail)-1]
	assert.Equal(t, "record:"+ehoks.RecordPushed, last.Event)
	assert.Equal(t, "system", last.ActorID)

	// A notice delivered again (at-least-once) sends nothing.
	before := len(e.fake.Requests())
	require.NoError(t, e.sync.Send(ctx, ns[0]))
	assert.Len(t, e.fake.Requests(), before, "a version eHOKS has is not sent again")
	assert.Len(t, ct.RequireAuditTrail(t, e.Engine, e.id), len(trail), "nor recorded again")

	// Starting the plan is a version in force too: pushed as such.
	v3, err := e.plans.Start(ctx, ct.Tutor, e.id, v.Number)
	require.NoError(t, err)
	e.deliver(t)
	e.requireSame(t, v3)
	assert.Equal(t, []string{"POST 200", "PUT 204"}, writes(e.fake.Requests()))
}

func TestSecondApprovalPushesNewVersion(t *testing.T) {
	e := newSyncEnv(t)
	ctx := context.Background()
	p := e.plan(t)
	v2 := e.approve(t, 0, p)
	e.deliver(t)

	// An update waits for re-approval: nothing is pushed for it.
	p = v2.Plan
	p.Phone = hoks.Ref("040 765 4321")
	d, err := e.plans.SaveDraft(ctx, ct.Tutor, e.id, v2.Number, p)
	require.NoError(t, err)
	require.Equal(t, hoks.StatusUpdated, d.Status)
	require.Len(t, e.pushNotices(t), 1)
	e.Clock.Advance(time.Hour)
	v4, err := e.plans.Approve(ctx, ct.Tutor, e.id, d.Number, coaching.DateOf(e.Clock.Now()))
	require.NoError(t, err)
	ns := e.pushNotices(t)
	require.Len(t, ns, 2)
	assert.Equal(t, "ehoks_push:"+string(e.id)+":4", ns[1].ID)

	e.deliver(t)
	require.Equal(t, 1, e.fake.Len(), "the same HOKS, replaced")
	e.requireSame(t, v4)
	assert.Equal(t, "040 765 4321", *e.theirs(t, p).Phone)
	var versios []int
	for _, r := range e.fake.Requests() {
		if r.Method != http.MethodGet {
			require.NotNil(t, r.Versio)
			versios = append(versios, *r.Versio)
		}
	}
	assert.Equal(t, []int{2, 4}, versios, "one write per version in force")

	// The older version's notice, delivered late, sends nothing and leaves
	// the newer version in eHOKS.
	before := len(e.fake.Requests())
	require.NoError(t, e.sync.Send(ctx, ns[0]))
	assert.Len(t, e.fake.Requests(), before)
	rec, _, err := e.sync.Pushed(ctx, e.id)
	require.NoError(t, err)
	assert.Equal(t, int64(4), rec.Version)
}

func TestPushAdoptsExistingHOKS(t *testing.T) {
	e := newSyncEnv(t)
	ctx := context.Background()
	p := e.plan(t)
	// Another system (or a push whose record a crash lost) made the study
	// right's HOKS already, with other content.
	other := e.plan(t)
	other.FirstApproved = coaching.NewDate(2023, 10, 6)
	other.Email = hoks.Ref("vanha@example.fi")
	existing, err := e.api.Create(ctx, other)
	require.NoError(t, err)

	v := e.approve(t, 0, p)
	e.deliver(t)
	require.Equal(t, 1, e.fake.Len(), "no second HOKS for the study right")
	e.requireSame(t, v)
	assert.Equal(t, []string{"POST 200", "POST 400", "PUT 204"}, writes(e.fake.Requests()), "refused as a duplicate, adopted, replaced")
	rec, ok, err := e.sync.Pushed(ctx, e.id)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, existing, rec.ID)
}

func TestPushRefusedIsPermanent(t *testing.T) {
	e := newSyncEnv(t)
	ctx := context.Background()
	// eHOKS holds the study right's HOKS for another learner: adopting it
	// would change the learner, which eHOKS refuses (400).
	other := e.plan(t)
	other.FirstApproved = coaching.NewDate(2023, 10, 6)
	other.LearnerOID = hoks.Ref("1.2.246.562.24.44651722625")
	_, err := e.api.Create(ctx, other)
	require.NoError(t, err)

	var dead []coaching.Notice
	disp, err := coaching.NewDispatcher(e.Store, ehoks.Route(map[string]coaching.Sender{ehoks.NoticeKindPush: e.sync}, e.Sender),
		&coaching.DispatcherOptions{Clock: e.Clock, OnDead: func(_ context.Context, n coaching.Notice) { dead = append(dead, n) }})
	require.NoError(t, err)
	e.disp = disp
	e.approve(t, 0, e.plan(t))
	e.deliver(t)

	ns := e.pushNotices(t)
	require.Len(t, ns, 1)
	assert.Equal(t, coaching.NoticeDead, ns[0].Status, "a 4xx is not retried")
	assert.Equal(t, 1, ns[0].Attempts)
	assert.Contains(t, ns[0].LastError, "400")
	require.Len(t, dead, 1)
	assert.Equal(t, ns[0].ID, dead[0].ID)
	_, ok, err := e.sync.Pushed(ctx, e.id)
	require.NoError(t, err)
	assert.False(t, ok, "nothing recorded")
	assert.Equal(t, []string{"POST 200", "POST 400", "PUT 400"}, writes(e.fake.Requests()))
}

func TestPushRetriesWhenEHOKSIsDown(t *testing.T) {
	e := newSyncEnv(t)
	v := e.approve(t, 0, e.plan(t))
	// The POST and the client's reads after it (did it create?) all fail.
	e.fake.FailNext(1+ehoks.DefaultMaxAttempts, http.StatusServiceUnavailable)
	r, err := e.disp.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, r.Retried)
	ns := e.pushNotices(t)
	assert.Equal(t, coaching.NoticePending, ns[0].Status, "a 5xx is retried later")
	e.Clock.Advance(2 * time.Hour)
	e.deliver(t)
	e.requireSame(t, v)
	assert.Equal(t, 1, e.fake.Len())
}

func TestPullReportsDifferences(t *testing.T) {
	e := newSyncEnv(t)
	ctx := context.Background()
	v := e.approve(t, 0, e.plan(t))
	e.deliver(t)

	changes, err := e.sync.Pull(ctx, e.id)
	require.NoError(t, err)
	assert.Empty(t, changes, "eHOKS's trimming and instants are no difference")

	// Someone changes the plan in eHOKS.
	theirs := e.theirs(t, v.Plan)
	require.NoError(t, e.api.Patch(ctx, *theirs.ID, &hoks.Plan{Phone: hoks.Ref("050 111 2222")}))
	changes, err = e.sync.Pull(ctx, e.id)
	require.NoError(t, err)
	require.Len(t, changes, 1)
	assert.Equal(t, "puhelinnumero", changes[0].Path)

	// Pull never writes the plan; it audits the count.
	cur, err := e.plans.Current(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	assert.Equal(t, v.Number, cur.Number)
	assert.Equal(t, v.Plan.Phone, cur.Plan.Phone)
	trail := ct.RequireAuditTrail(t, e.Engine, e.id)
	last := trail[len(trail)-1]
	assert.Equal(t, ehoks.EventPulled, last.Event)
	assert.Equal(t, ehoks.AuditKindSync, last.Kind)
	var payload struct{ Differences int }
	require.NoError(t, json.Unmarshal(last.Payload, &payload))
	assert.Equal(t, 1, payload.Differences)
	assert.NotContains(t, string(last.Payload), "050", "the audit entry holds the count, not the values")
}

func TestRoute(t *testing.T) {
	var got []string
	rec := func(name string) coaching.Sender {
		return coaching.SenderFunc(func(_ context.Context, n coaching.Notice) error {
			got = append(got, name+":"+n.Kind)
			return nil
		})
	}
	r := ehoks.Route(map[string]coaching.Sender{ehoks.NoticeKindPush: rec("sync")}, rec("mail"))
	ctx := context.Background()
	require.NoError(t, r.Send(ctx, coaching.Notice{Kind: ehoks.NoticeKindPush}))
	require.NoError(t, r.Send(ctx, coaching.Notice{Kind: "absence"}))
	assert.Equal(t, []string{"sync:ehoks_push", "mail:absence"}, got)

	err := ehoks.Route(nil, nil).Send(ctx, coaching.Notice{Kind: "absence"})
	assert.True(t, coaching.IsPermanent(err))

	s := (&ehoks.Sync{}).Send(ctx, coaching.Notice{Kind: "absence"})
	assert.True(t, coaching.IsPermanent(s), "the sync refuses a notice of another kind")
}
