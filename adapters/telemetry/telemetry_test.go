package telemetry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/valmennus/valmennus/adapters/telemetry"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

func allMet() coaching.EntryAssessment {
	m := coaching.CriterionMet
	return coaching.EntryAssessment{Motivation: m, WorkingLifeSkills: m, AttendanceCommitment: m, WorkCommitment: m, GoalCommitment: m}
}

// env is a coachingtest environment whose engine and dispatcher report to
// the rig's observer.
func env(t *testing.T, r *rig) *ct.Env {
	return ct.New(t, &ct.Options{Engine: coaching.Options{Observer: r.obs},
		Dispatcher: &coaching.DispatcherOptions{Observer: r.obs, Channel: "email", BaseBackoff: time.Minute, MaxAttempts: 3}})
}

// A few Fires — a rules rejection, a denial, a version conflict, an
// admission and its replay — then a tick and the deliveries: every counter
// and histogram counts them under their labels, and no attribute of any
// data point or span holds the test's people's ids, names, e-mails or
// identity code.
func TestMetricsOfFires(t *testing.T) {
	r := newRig(t, nil)
	e := env(t, r)
	ctx := context.Background()
	code, err := ct.SyntheticIdentityCode(coaching.NewDate(2000, 3, 15), 917)
	require.NoError(t, err)
	p := ct.Participant(func(p *coaching.Participant) { p.IdentityCode = code })
	c := e.Enrol(t, coaching.ModelVALO, p, ct.TeamMember(ct.Coach, coaching.RoleCoach), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))

	notMet := allMet()
	notMet.Motivation = coaching.CriterionNotMet
	_, err = e.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: notMet})
	rej := ct.RequireRejected(t, err)
	_, err = e.Engine.Fire(ctx, ct.Tutor, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	ct.RequireForbidden(t, err)
	_, err = e.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet(), ExpectedVersion: c.Version + 7})
	require.ErrorIs(t, err, coaching.ErrConflict)
	_, err = e.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet(), IdempotencyKey: "k1"})
	require.NoError(t, err)
	res, err := e.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet(), IdempotencyKey: "k1"})
	require.NoError(t, err)
	require.True(t, res.Replayed)

	rm := r.collect(t)
	admit := map[string]string{"model": coaching.ModelVALO, "event": coaching.ValoAdmit}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	assert.EqualValues(t, 5, count(t, rm, "valmennus.transitions", nil))
	assert.EqualValues(t, 1, count(t, rm, "valmennus.transitions", with(admit, "from", coaching.ValoRecruitment, "to", coaching.ValoInduction, "outcome", "rules_rejected")))
	assert.EqualValues(t, 1, count(t, rm, "valmennus.transitions", map[string]string{"outcome": "forbidden"}))
	assert.EqualValues(t, 1, count(t, rm, "valmennus.transitions", with(admit, "outcome", "conflict")))
	assert.EqualValues(t, 2, count(t, rm, "valmennus.transitions", with(admit, "outcome", "ok")), "the admission and its replay")
	assert.EqualValues(t, 1, count(t, rm, "valmennus.transitions", with(admit, "from", coaching.ValoRecruitment, "to", coaching.ValoInduction, "outcome", "ok")))
	assert.EqualValues(t, 2, histCount(t, rm, "valmennus.transition.duration", with(admit, "outcome", "ok")))
	assert.EqualValues(t, 5, histCount(t, rm, "valmennus.transition.duration", nil))
	assert.EqualValues(t, 1, count(t, rm, "valmennus.rule.rejections", with(admit, "rule", rej.Failures[0].Rule)))
	assert.EqualValues(t, 1, count(t, rm, "valmennus.policy.denials", map[string]string{"operation": string(coaching.OpFireEvent), "rule": "event_roles"}))
	assert.Positive(t, histCount(t, rm, "valmennus.store.tx.duration", map[string]string{"write": "true", "outcome": "ok"}))
	assert.EqualValues(t, 1, histCount(t, rm, "valmennus.store.tx.duration", map[string]string{"write": "true", "outcome": "conflict"}),
		"the version conflict is a transaction with outcome conflict")

	// The phase deadline passes: the tick enqueues overdue notices; the
	// sender fails once (retried), then delivers ten minutes later.
	e.Clock.AdvanceDays(40)
	rep := e.Tick(t)
	require.Positive(t, rep.Notices)
	e.Sender.FailWith(errors.New("connection refused"))
	e.Deliver(t)
	e.Sender.FailWith(nil)
	e.Clock.Advance(10 * time.Minute)
	sent := e.Deliver(t)
	require.Len(t, sent, rep.Notices)

	rm = r.collect(t)
	overdue := map[string]string{"kind": coaching.NoticeKindPhaseOverdue}
	n := int64(rep.Notices)
	assert.Equal(t, n, count(t, rm, "valmennus.notices", with(overdue, "outcome", "enqueued", "channel", "")))
	assert.Equal(t, n, count(t, rm, "valmennus.notices", with(overdue, "outcome", "retried", "channel", "email")))
	assert.Equal(t, n, count(t, rm, "valmennus.notices", with(overdue, "outcome", "sent", "channel", "email")))
	assert.EqualValues(t, n, histCount(t, rm, "valmennus.notice.latency", with(overdue, "channel", "email")))
	lat := find(t, rm, "valmennus.notice.latency")
	assert.Equal(t, "s", lat.Unit)
	assert.EqualValues(t, 1, count(t, rm, "valmennus.cycles", map[string]string{"kind": "tick", "outcome": "ok"}))
	assert.EqualValues(t, 2, count(t, rm, "valmennus.cycles", map[string]string{"kind": "dispatch", "channel": "email", "outcome": "ok"}))
	assert.Equal(t, 2*n, count(t, rm, "valmennus.cycle.items", map[string]string{"kind": "dispatch", "channel": "email"}))
	assert.EqualValues(t, 3, histCount(t, rm, "valmennus.cycle.duration", nil))

	personal := []string{string(c.ID), string(c.ParticipantID), p.GivenNames, p.FamilyName, p.Contact.Email, p.Contact.Phone,
		ct.Coach.ID, ct.Coach.Name, ct.Tutor.ID, ct.Tutor.Name, ct.Coach.ID + "@example.fi", "k1", code.Reveal()}
	for _, n := range e.Sender.Sent() {
		personal = append(personal, n.ID, n.Recipient.ID, n.Recipient.Name, n.Recipient.Contact.Email)
	}
	requireNoPersonal(t, rm, r.spans.GetSpans(), personal...)
}

// A Fire is a span valmennus.fire with the transition's attributes, whose
// store transactions are its child spans valmennus.store.tx, timed by the
// transactions themselves; a Fire under a span of the host's is that
// span's child and carries its trace in the context's propagation form.
func TestFireSpanTree(t *testing.T) {
	r := newRig(t, nil)
	e := env(t, r)
	c := e.Enrol(t, coaching.ModelVALO, ct.Participant())
	hostCtx, host := r.tp.Tracer("host").Start(context.Background(), "host")
	_, err := e.Engine.Fire(hostCtx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	require.NoError(t, err)
	host.End()

	spans := r.spans.GetSpans()
	fires := byName(spans, "valmennus.fire")
	require.Len(t, fires, 1)
	fire := fires[0]
	assert.Equal(t, host.SpanContext().SpanID(), fire.Parent.SpanID(), "the fire span is the host span's child")
	assert.Equal(t, host.SpanContext().TraceID(), fire.SpanContext.TraceID())
	for k, v := range map[string]string{"model": coaching.ModelVALO, "event": coaching.ValoAdmit, "from": coaching.ValoRecruitment,
		"to": coaching.ValoInduction, "outcome": "ok", "replayed": "false"} {
		got, ok := attr(fire.Attributes, k)
		assert.True(t, ok, k)
		assert.Equal(t, v, got, k)
	}
	assert.Equal(t, codes.Unset, fire.Status.Code)
	txs := byName(spans, "valmennus.store.tx")
	require.NotEmpty(t, txs)
	for _, tx := range txs {
		assert.Equal(t, fire.SpanContext.SpanID(), tx.Parent.SpanID(), "a transaction is its call's child")
		assert.False(t, tx.StartTime.Before(fire.StartTime), "the transaction starts within the Fire")
		assert.False(t, tx.EndTime.After(fire.EndTime), "the transaction ends within the Fire")
		assert.True(t, tx.EndTime.After(tx.StartTime))
		w, _ := attr(tx.Attributes, "write")
		assert.Equal(t, "true", w)
	}

	// With MinStoreTxSpan, short transactions get no span, only their
	// duration in the histogram.
	short := newRig(t, &telemetry.Options{MinStoreTxSpan: time.Hour})
	se := env(t, short)
	sc := se.Enrol(t, coaching.ModelVALO, ct.Participant())
	_, err = se.Engine.Fire(context.Background(), ct.Coach, sc.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	require.NoError(t, err)
	require.Len(t, byName(short.spans.GetSpans(), "valmennus.fire"), 1)
	assert.Empty(t, byName(short.spans.GetSpans(), "valmennus.store.tx"))
	assert.Positive(t, histCount(t, short.collect(t), "valmennus.store.tx.duration", nil))
	_, err = telemetry.New(&telemetry.Options{MinStoreTxSpan: -time.Second})
	require.Error(t, err)

	// A Fire that fails in the store is an error span.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.spans.Reset()
	_, err = e.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoStartAcquisition, nil)
	require.Equal(t, coaching.OutcomeError, coaching.OutcomeOf(err), "%v", err)
	fires = byName(r.spans.GetSpans(), "valmennus.fire")
	require.Len(t, fires, 1)
	assert.Equal(t, codes.Error, fires[0].Status.Code)
}

// End marks OutcomeError spans as errors and records every outcome; the
// propagation form Begin puts in the context names the call's span and
// is a traceparent only: a tracestate (caller-chosen text) is neither put
// in it nor read back from a form stored by an older version.
func TestBeginEndAndTraceForm(t *testing.T) {
	r := newRig(t, nil)
	call := coaching.Call{Name: coaching.CallTick}
	ctx := r.obs.Begin(context.Background(), call)
	sc := trace.SpanContextFromContext(ctx)
	require.True(t, sc.IsValid())
	assert.Equal(t, "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01", coaching.TraceFrom(ctx))
	r.obs.End(ctx, call, coaching.OutcomeError)
	ctx = r.obs.Begin(context.Background(), coaching.Call{Name: coaching.CallRead})
	r.obs.End(ctx, coaching.Call{Name: coaching.CallRead}, coaching.OutcomeForbidden)

	spans := r.spans.GetSpans()
	require.Len(t, spans, 2)
	assert.Equal(t, "valmennus.tick", spans[0].Name)
	assert.Equal(t, codes.Error, spans[0].Status.Code)
	o, _ := attr(spans[0].Attributes, "outcome")
	assert.Equal(t, "error", o)
	assert.Equal(t, "valmennus.read", spans[1].Name)
	assert.Equal(t, codes.Unset, spans[1].Status.Code, "a refusal is an answer, not an error")
	o, _ = attr(spans[1].Attributes, "outcome")
	assert.Equal(t, "forbidden", o)

	// A send's parent is the notice's trace, linked to the dispatch span;
	// the tracestate an older version stored after ";" is ignored.
	ts, err := trace.ParseTraceState("vendor=abc")
	require.NoError(t, err)
	enq := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5}, TraceFlags: trace.FlagsSampled, TraceState: ts})
	form := "00-" + enq.TraceID().String() + "-" + enq.SpanID().String() + "-01;vendor=abc"
	dctx := r.obs.Begin(context.Background(), coaching.Call{Name: coaching.CallDispatch, Channel: "email"})
	send := coaching.Call{Name: coaching.CallSend, Trace: form, Kind: "absence", Channel: "email"}
	sctx := r.obs.Begin(dctx, send)
	assert.Contains(t, coaching.TraceFrom(sctx), enq.TraceID().String())
	ssc := trace.SpanContextFromContext(sctx)
	assert.Equal(t, "00-"+enq.TraceID().String()+"-"+ssc.SpanID().String()+"-01", coaching.TraceFrom(sctx), "a traceparent, nothing after it")
	r.obs.End(sctx, send, coaching.OutcomePaused)
	r.obs.End(dctx, coaching.Call{Name: coaching.CallDispatch}, coaching.OutcomeOK)
	s := byName(r.spans.GetSpans(), "valmennus.send")
	require.Len(t, s, 1)
	assert.Equal(t, enq.TraceID(), s[0].SpanContext.TraceID())
	assert.Equal(t, enq.SpanID(), s[0].Parent.SpanID())
	assert.Empty(t, s[0].SpanContext.TraceState().String())
	require.Len(t, s[0].Links, 1)
	assert.Equal(t, trace.SpanContextFromContext(dctx).SpanID(), s[0].Links[0].SpanContext.SpanID())
	for k, v := range map[string]string{"kind": "absence", "channel": "email", "outcome": "paused"} {
		got, _ := attr(s[0].Attributes, k)
		assert.Equal(t, v, got, k)
	}

	// A malformed trace leaves the send under the dispatch span.
	bad := coaching.Call{Name: coaching.CallSend, Trace: "00-nonsense", Kind: "absence", Channel: "email"}
	bctx := r.obs.Begin(dctx, bad)
	r.obs.End(bctx, bad, coaching.OutcomeOK)
	s = byName(r.spans.GetSpans(), "valmennus.send")
	require.Len(t, s, 2)
	assert.Equal(t, trace.SpanContextFromContext(dctx).SpanID(), s[1].Parent.SpanID())
	assert.Empty(t, s[1].Links)

	// Without a dispatch span there is nothing to link to.
	lone := r.obs.Begin(context.Background(), send)
	r.obs.End(lone, send, coaching.OutcomeOK)
	s = byName(r.spans.GetSpans(), "valmennus.send")
	require.Len(t, s, 3)
	assert.Equal(t, enq.SpanID(), s[2].Parent.SpanID())
	assert.Empty(t, s[2].Links)
}

// Nil options are the global providers' defaults, which are no-ops until
// a host sets them: every method works and records nothing.
func TestNilOptions(t *testing.T) {
	obs, err := telemetry.New(nil)
	require.NoError(t, err)
	defer obs.Close()
	e := ct.New(t, &ct.Options{Engine: coaching.Options{Observer: obs}})
	c := e.Enrol(t, coaching.ModelVALO, ct.Participant())
	_, err = e.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	require.NoError(t, err)
	_, err = telemetry.New(&telemetry.Options{OutboxTimeout: -time.Second})
	require.Error(t, err)
}
