package storetest

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// The Normalize functions bring a value into the form the suite compares:
// what a store must keep, without what it may legitimately lose or
// re-encode. They never change their argument. Adapters can use them in
// their own tests.
//
// What a store may lose:
//   - the monotonic clock reading and the location of a time.Time (a
//     timestamptz column returns the instant, in some zone);
//   - the difference between a nil and an empty slice or map;
//   - the spelling of a JSON payload (white space, key order), since jsonb
//     columns re-encode it. The suite's payloads use only strings, integers
//     and booleans, so number spelling does not come into it.
//
// What it may not lose: anything else, including sub-millisecond time
// (the suite writes times with microsecond digits and expects them back).

// NormalizeTime returns t as a UTC instant without a monotonic reading. The
// zero time stays the zero time (in whatever location it was), so a store
// may keep "unset" as NULL.
func NormalizeTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC() // UTC also strips the monotonic reading
}

// CanonicalJSON re-encodes a JSON value with sorted keys and no
// insignificant white space; numbers keep their spelling. Empty input
// becomes nil and input that is not JSON is returned as a copy.
func CanonicalJSON(b json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return append(json.RawMessage(nil), b...)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return append(json.RawMessage(nil), b...)
	}
	return out
}

// NormalizeParticipant normalises a participant for comparison.
func NormalizeParticipant(p coaching.Participant) coaching.Participant {
	q := p.Clone()
	if len(q.Guardians) == 0 {
		q.Guardians = nil
	}
	if len(q.ExternalIDs) == 0 {
		q.ExternalIDs = nil
	}
	return q
}

// NormalizeCase normalises a case for comparison.
func NormalizeCase(c coaching.Case) coaching.Case {
	q := c.Clone()
	q.OpenedAt = NormalizeTime(q.OpenedAt)
	q.ClosedAt = NormalizeTime(q.ClosedAt)
	q.Phase.EnteredAt = NormalizeTime(q.Phase.EnteredAt)
	q.Phase.PausedAt = NormalizeTime(q.Phase.PausedAt)
	q.Phase.DueAt = NormalizeTime(q.Phase.DueAt)
	q.Phase.OverdueAt = NormalizeTime(q.Phase.OverdueAt)
	// History is the audit trail's, not the case row's: stores keep none
	// (coaching.Case.History), so it is not compared.
	q.History = nil
	if len(q.Team) == 0 {
		q.Team = nil
	}
	if len(q.Records) == 0 {
		q.Records = nil
	}
	for i := range q.Records {
		q.Records[i] = NormalizeRecord(q.Records[i])
	}
	return q
}

// NormalizeRecord normalises a case record for comparison: its instant to
// the microsecond, its data as canonical JSON.
func NormalizeRecord(r coaching.Record) coaching.Record {
	r.At = NormalizeTime(r.At)
	r.Data = CanonicalJSON(r.Data)
	return r
}

// NormalizeAuditEntry normalises an audit entry for comparison.
func NormalizeAuditEntry(a coaching.AuditEntry) coaching.AuditEntry {
	q := a.Clone()
	q.At = NormalizeTime(q.At)
	if len(q.Roles) == 0 {
		q.Roles = nil
	}
	q.Payload = CanonicalJSON(q.Payload)
	return q
}

// NormalizeCommand normalises a command record for comparison.
func NormalizeCommand(r coaching.CommandRecord) coaching.CommandRecord {
	r.At = NormalizeTime(r.At)
	return r
}

// NormalizeNotice normalises a notice for comparison.
func NormalizeNotice(n coaching.Notice) coaching.Notice {
	q := n.Clone()
	if len(q.Data) == 0 {
		q.Data = nil
	}
	q.CreatedAt = NormalizeTime(q.CreatedAt)
	q.NotBefore = NormalizeTime(q.NotBefore)
	q.LeaseUntil = NormalizeTime(q.LeaseUntil)
	q.SentAt = NormalizeTime(q.SentAt)
	q.DueAt = NormalizeTime(q.DueAt)
	return q
}

// NormalizeTimer normalises a timer for comparison.
func NormalizeTimer(t coaching.Timer) coaching.Timer {
	t.DueAt = NormalizeTime(t.DueAt)
	return t
}

func normalizeAll[T any](in []T, f func(T) T) []T {
	if len(in) == 0 {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
