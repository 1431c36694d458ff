package coachingtest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/valmennus/valmennus/coaching"
)

// Observer is a [coaching.Observer] that records every event, for a host's
// tests of what its engine and dispatchers report: pass it in
// Options.Engine.Observer and Options.Dispatcher.Observer. It is safe for
// concurrent use.
type Observer struct {
	mu          sync.Mutex
	begins      []coaching.Call
	ends        []Ended
	transitions []coaching.TransitionEvent
	denials     []coaching.DenialEvent
	notices     []coaching.NoticeEvent
	cycles      []coaching.CycleEvent
	txs         []coaching.TxEvent
}

var _ coaching.Observer = (*Observer)(nil)

// Ended is a call the observer saw end, with its outcome.
type Ended struct {
	Call    coaching.Call
	Outcome coaching.Outcome
}

// Begin records the call and returns ctx.
func (o *Observer) Begin(ctx context.Context, call coaching.Call) context.Context {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.begins = append(o.begins, call)
	return ctx
}

// End records the call's end.
func (o *Observer) End(_ context.Context, call coaching.Call, outcome coaching.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ends = append(o.ends, Ended{Call: call, Outcome: outcome})
}

// Transition records e.
func (o *Observer) Transition(_ context.Context, e coaching.TransitionEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e.Rules = slices.Clone(e.Rules)
	o.transitions = append(o.transitions, e)
}

// Denial records e.
func (o *Observer) Denial(_ context.Context, e coaching.DenialEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.denials = append(o.denials, e)
}

// Notice records e.
func (o *Observer) Notice(_ context.Context, e coaching.NoticeEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notices = append(o.notices, e)
}

// Cycle records e.
func (o *Observer) Cycle(_ context.Context, e coaching.CycleEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cycles = append(o.cycles, e)
}

// StoreTx records e.
func (o *Observer) StoreTx(_ context.Context, e coaching.TxEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.txs = append(o.txs, e)
}

// Begins returns the calls begun so far, in order.
func (o *Observer) Begins() []coaching.Call { return snapshot(o, &o.begins) }

// Ends returns the calls ended so far, in order.
func (o *Observer) Ends() []Ended { return snapshot(o, &o.ends) }

// BeginCount counts the calls named name begun so far.
func (o *Observer) BeginCount(name string) int {
	n := 0
	for _, c := range o.Begins() {
		if c.Name == name {
			n++
		}
	}
	return n
}

// Unended returns how many calls of each name were begun and not (yet)
// ended; an empty map when every Begin had its End.
func (o *Observer) Unended() map[string]int {
	open := map[string]int{}
	for _, c := range o.Begins() {
		open[c.Name]++
	}
	for _, e := range o.Ends() {
		open[e.Call.Name]--
	}
	for k, v := range open {
		if v == 0 {
			delete(open, k)
		}
	}
	return open
}

// Transitions returns the transition events so far, in order.
func (o *Observer) Transitions() []coaching.TransitionEvent { return snapshot(o, &o.transitions) }

// Denials returns the denial events so far, in order.
func (o *Observer) Denials() []coaching.DenialEvent { return snapshot(o, &o.denials) }

// Notices returns the notice events so far, in order.
func (o *Observer) Notices() []coaching.NoticeEvent { return snapshot(o, &o.notices) }

// Cycles returns the cycle events so far, in order.
func (o *Observer) Cycles() []coaching.CycleEvent { return snapshot(o, &o.cycles) }

// StoreTxs returns the store transaction events so far, in order.
func (o *Observer) StoreTxs() []coaching.TxEvent { return snapshot(o, &o.txs) }

func snapshot[T any](o *Observer, s *[]T) []T {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(*s)
}

// NoticeCount counts the notice events of kind (every kind when empty)
// with the outcome.
func (o *Observer) NoticeCount(kind string, outcome coaching.NoticeOutcome) int {
	n := 0
	for _, e := range o.Notices() {
		if e.Outcome == outcome && (kind == "" || e.Kind == kind) {
			n++
		}
	}
	return n
}

// Labels returns every text value any recorded event carries (the values
// an adapter would turn into metric labels or span attributes), once each.
func (o *Observer) Labels() []string {
	var out []string
	add := func(ss ...string) {
		for _, s := range ss {
			if s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	for _, c := range o.Begins() {
		add(c.Name, c.Kind, c.Channel)
	}
	for _, e := range o.Ends() {
		add(string(e.Outcome))
	}
	for _, e := range o.Transitions() {
		add(e.Model, e.Event, e.From, e.To, string(e.Outcome))
		add(e.Rules...)
	}
	for _, e := range o.Denials() {
		add(string(e.Operation), e.Rule)
	}
	for _, e := range o.Notices() {
		add(e.Kind, e.Channel, string(e.Outcome))
	}
	for _, e := range o.Cycles() {
		add(e.Kind, e.Channel, string(e.Outcome))
	}
	for _, e := range o.StoreTxs() {
		add(string(e.Outcome))
	}
	return out
}

// RequireNoPersonalLabel fails unless no label the observer recorded
// contains any of values — the ids, names, e-mail addresses and identity
// codes of the test's people and cases (empty values are skipped).
func RequireNoPersonalLabel(t testing.TB, o *Observer, values ...string) {
	t.Helper()
	requireNoPersonalLabel(t, o, values)
}

func requireNoPersonalLabel(t testingT, o *Observer, values []string) {
	t.Helper()
	for _, l := range o.Labels() {
		for _, v := range values {
			if v != "" && strings.Contains(l, v) {
				fail(t, "the observer label %q contains %q, a value of the test's people or cases", l, v)
			}
		}
	}
}
