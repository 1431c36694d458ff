package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// fakeInspector answers OutboxHealth with a fixed oldest due time, or an
// error, and records the instant it was asked about.
type fakeInspector struct {
	oldestDue time.Time
	due       int
	dead      map[string]int
	err       error
	asked     time.Time
}

func (f *fakeInspector) OutboxHealth(_ context.Context, now time.Time) (coaching.OutboxHealth, error) {
	f.asked = now
	if f.err != nil {
		return coaching.OutboxHealth{}, f.err
	}
	return coaching.OutboxHealth{At: now, Pending: f.due, Due: f.due, OldestDueAt: f.oldestDue, Dead: f.dead}, nil
}

// The outbox check fails exactly when the oldest due notice has waited
// longer than MaxLag (15 minutes by default); dead notices never fail
// it; its error gives the lag and the count.
func TestOutboxCheck(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, coaching.Helsinki)
	for _, tc := range []struct {
		name    string
		waited  time.Duration // since the oldest due notice became due; 0 for none due
		due     int
		dead    map[string]int
		maxLag  time.Duration
		failure string // "" for ready
	}{
		{name: "nothing due", dead: map[string]int{}},
		{name: "due just now", waited: time.Nanosecond, due: 1},
		{name: "14m59s under the default", waited: 14*time.Minute + 59*time.Second, due: 2},
		{name: "exactly the default", waited: DefaultOutboxMaxLag, due: 2},
		{name: "a 15:00 digest at 15:15:01", waited: 15*time.Minute + time.Second, due: 3,
			failure: "the outbox lags: a due notice has waited 15m1s to be delivered (more than 15m0s); 3 due now"},
		{name: "many dead, none late", waited: time.Minute, due: 1, dead: map[string]int{"email": 40, "": 2}},
		{name: "a lower threshold", waited: 2*time.Minute + 500*time.Millisecond, due: 1, maxLag: 2 * time.Minute,
			failure: "the outbox lags: a due notice has waited 2m1s to be delivered (more than 2m0s); 1 due now"},
		{name: "a higher threshold", waited: time.Hour, due: 9, maxLag: 2 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeInspector{due: tc.due, dead: tc.dead}
			if tc.waited > 0 {
				f.oldestDue = now.Add(-tc.waited)
			}
			c := OutboxCheck(f, &OutboxCheckOptions{MaxLag: tc.maxLag, Clock: coaching.ClockFunc(func() time.Time { return now })})
			require.NoError(t, checkNames([]Check{c}))
			assert.Equal(t, "outbox", c.Name)
			err := c.Func(context.Background())
			assert.Equal(t, now, f.asked, "the health is taken at the clock's time")
			if tc.failure == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.failure, err.Error())
			var lag *OutboxLagError
			require.ErrorAs(t, err, &lag)
			assert.Equal(t, tc.waited, lag.Lag)
			assert.Equal(t, tc.due, lag.Due)
		})
	}
}

// An outbox that cannot tell its health fails the check with its error;
// a nil outbox or a negative MaxLag is refused when the handler is built.
func TestOutboxCheckErrorsAndOptions(t *testing.T) {
	boom := errors.New("connection refused")
	err := OutboxCheck(&fakeInspector{err: boom}, nil).Func(context.Background())
	assert.ErrorIs(t, err, boom)

	eo, err := EngineOptions()
	require.NoError(t, err)
	eng, err := coaching.New(memory.New(), eo)
	require.NoError(t, err)
	for want, c := range map[string]Check{
		"needs an outbox":               OutboxCheck(nil, nil),
		"MaxLag must not be negative":   OutboxCheck(&fakeInspector{}, &OutboxCheckOptions{MaxLag: -time.Second}),
		"DispatcherCheck email needs a": DispatcherCheck(nil, "email"),
		"needs a Name":                  DispatcherCheck(&coaching.Dispatcher{}, ""),
	} {
		_, err := New(eng, &Options{Authenticator: AuthenticatorFunc(nil), Ready: []Check{c}})
		assert.ErrorContains(t, err, want)
	}
}

// /readyz with the outbox check: 503 naming "outbox" while a notice is
// late, 200 again once the lag drops; the log gets the lag, the answer
// only the check's name.
func TestReadyzOutboxLag(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 3, 2, 15, 0, 0, 0, coaching.Helsinki)}
	f := &fakeInspector{}
	var logs lockedBuffer
	_, h := newAPI(t, memory.New(), nil, &Options{Ready: []Check{OutboxCheck(f, &OutboxCheckOptions{Clock: clock})},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.Equal(t, http.StatusOK, serve(h, "GET", "/readyz", "").status)

	f.oldestDue, f.due = clock.Now(), 1
	clock.advance(16 * time.Minute)
	r := serve(h, "GET", "/readyz", "")
	p := requireProblem(t, r, http.StatusServiceUnavailable)
	assert.Equal(t, map[string]any{"outbox": "failing"}, p["checks"])
	documented(t, "GET", "/readyz", "", r)
	assert.NotContains(t, string(r.body), "16m")
	assert.Contains(t, logs.String(), "check=outbox")
	assert.Contains(t, logs.String(), "waited 16m0s")

	f.oldestDue, f.due = time.Time{}, 0 // delivered
	require.Equal(t, http.StatusOK, serve(h, "GET", "/readyz", "").status)
}

// misconfiguredSender refuses every send as the channel's fault, until
// fixed.
type misconfiguredSender struct{ fixed bool }

func (s *misconfiguredSender) Send(context.Context, coaching.Notice) error {
	if s.fixed {
		return nil
	}
	return coaching.Misconfigured(errors.New("535 5.7.8 authentication failed at mail.school.example"))
}

// The dispatcher check fails while the channel is paused after a
// misconfigured send, naming the channel and the end of the pause, and
// passes once the pause is over.
func TestDispatcherCheck(t *testing.T) {
	store := memory.New()
	clock := ct.NewClock(ct.DefaultStart)
	require.NoError(t, store.Update(context.Background(), func(tx coaching.Tx) error {
		_, err := tx.Enqueue(context.Background(), coaching.Notice{ID: "n-1", Kind: "test", Status: coaching.NoticePending,
			NotBefore: ct.DefaultStart, CreatedAt: ct.DefaultStart})
		return err
	}))
	sender := &misconfiguredSender{}
	disp, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{Clock: clock, Channel: "email", Pause: 5 * time.Minute})
	require.NoError(t, err)
	c := DispatcherCheck(disp, "email")
	assert.Equal(t, "email", c.Name)
	require.NoError(t, c.Func(context.Background()), "not paused before any send")

	_, err = disp.RunOnce(context.Background())
	require.ErrorIs(t, err, coaching.ErrChannelPaused)
	err = c.Func(context.Background())
	require.ErrorIs(t, err, coaching.ErrChannelPaused)
	var p *coaching.ChannelPausedError
	require.ErrorAs(t, err, &p)
	assert.Equal(t, "email", p.Channel)
	assert.Equal(t, ct.DefaultStart.Add(5*time.Minute), p.Until)
	assert.Contains(t, err.Error(), "email is paused until "+p.Until.Format(time.RFC3339))
	assert.NotContains(t, err.Error(), "n-1")

	clock.Advance(5*time.Minute - time.Second)
	assert.Error(t, c.Func(context.Background()), "still paused")
	clock.Advance(time.Second)
	assert.NoError(t, c.Func(context.Background()), "the pause is over")
	sender.fixed = true
	rep, err := disp.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Sent)
	assert.NoError(t, c.Func(context.Background()))
}

// /readyz over the memory store: the guardians' 15:00 digest makes the
// outbox check fail once it has waited more than 15 minutes unsent, and
// pass again once the dispatcher has delivered it.
func TestReadyzOutboxLagOverTheMemoryStore(t *testing.T) {
	store := memory.New()
	clock := ct.NewClock(e2eStart)
	_, h := newAPI(t, store, clock, &Options{Ready: []Check{OutboxCheck(store, &OutboxCheckOptions{Clock: clock})}})
	tutor := []string{httpauth.HeaderActorID, "tutor-1", httpauth.HeaderActorRoles, "personal_tutor", httpauth.HeaderOrganisation, "school-1"}
	teacher := []string{httpauth.HeaderActorID, "teacher-1", httpauth.HeaderActorRoles, "teacher", httpauth.HeaderOrganisation, "school-1"}
	minor := enrolment(coaching.ModelPilot, "Eetu", "2008-06-30", team("tutor-1", "personal_tutor"), func(p map[string]any) {
		p["guardians"] = []map[string]any{{"id": "parent-1", "name": "Maija Testinen", "contact": map[string]string{"email": "maija@koti.example"}}}
	})
	r := serve(h, "POST", "/enrolments", mustJSON(t, minor), append([]string{"Content-Type", "application/json"}, tutor...)...)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	id := r.json(t)["id"].(string)
	marks := map[string]any{"marks": []map[string]any{{"case_id": id, "date": "2024-04-02", "lesson": "1", "minutes": 90, "status": "absent_unexplained"}}}
	r = serve(h, "POST", "/attendance", mustJSON(t, marks), append([]string{"Content-Type", "application/json"}, teacher...)...)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, http.StatusOK, serve(h, "GET", "/readyz", "").status, "not due yet")

	clock.Set(time.Date(2024, 4, 2, 15, 15, 0, 0, coaching.Helsinki))
	require.Equal(t, http.StatusOK, serve(h, "GET", "/readyz", "").status, "15 minutes late is the most allowed")
	clock.Advance(time.Second)
	p := requireProblem(t, serve(h, "GET", "/readyz", ""), http.StatusServiceUnavailable)
	assert.Equal(t, map[string]any{"outbox": "failing"}, p["checks"])

	disp, err := coaching.NewDispatcher(store, &ct.Sender{}, &coaching.DispatcherOptions{Clock: clock})
	require.NoError(t, err)
	rep, err := disp.RunOnce(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, rep.Sent)
	require.Equal(t, http.StatusOK, serve(h, "GET", "/readyz", "").status, "delivered")
}
