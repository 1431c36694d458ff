package coaching

import (
	"errors"
	"fmt"
)

// SystemKey is the host's grant to run a package's system action — one no
// actor asks for, such as coaching/erasure's retention run — as the
// engine's own actor ([Engine.System]). The host makes one, gives it to
// [New] in Options.SystemKey, and hands it only to the code that runs
// those actions (its scheduled jobs): code that holds only the engine — an
// HTTP handler, a feature package — cannot act as the engine, so the
// engine offers no public way around the policy. Keys are compared by
// identity.
type SystemKey struct {
	_ byte // not zero-sized: distinct keys have distinct addresses
}

// NewSystemKey returns a new key for Options.SystemKey.
func NewSystemKey() *SystemKey { return new(SystemKey) }

// errSystemKey: Engine.System was given a key the engine was not.
var errSystemKey = errors.New("valmennus: Engine.System: the key is not the one the engine was given in Options.SystemKey")

// System returns the engine for a system action run under key (the one
// given in Options.SystemKey; any other key, or none, is an error), and the
// engine's own actor ([Actor.IsEngine], id "system") to pass to its calls.
// For that actor the returned engine asks no policy: every operation is
// allowed by rule, which names the action (e.g. "retention", a lower-case
// identifier), and the access log records every logged operation (erase,
// welfare and identity-code reads) under it, as it records any actor's.
// Every other actor is asked as by e. The engine itself is unchanged.
//
// A system action is still written once, through the same extension points
// as any command ([Engine.ChangeParticipant], [Engine.ChangeCase],
// [Engine.Write], [Engine.Figures]); the key only decides who may run it
// without an actor the policy allows.
func (e *Engine) System(key *SystemKey, rule string) (*Engine, Actor, error) {
	if key == nil || key != e.sysKey {
		return nil, Actor{}, errSystemKey
	}
	if !validName(rule) {
		return nil, Actor{}, fmt.Errorf("valmennus: Engine.System: the rule must be a lower-case identifier, got %q", rule)
	}
	b := *e
	b.system = rule
	return &b, systemActor(), nil
}
