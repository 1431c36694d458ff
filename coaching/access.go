package coaching

import (
	"log/slog"
	"slices"
	"time"
)

// AccessEntry is one line of the access log: a read of a welfare record or
// of an identity code, an erasure, or any request the [Policy] denied.
// The log answers "who looked at this student's welfare records, when, and
// why" — the question a data protection officer must be able to answer
// (domain.md §3.2: audit every welfare read). Entries never hold the data
// that was read.
type AccessEntry struct {
	// Seq is assigned by the store, ascending in commit order.
	Seq          int64          `json:"seq"`
	At           time.Time      `json:"at"`
	ActorID      string         `json:"actor_id"`
	Roles        []Role         `json:"roles,omitempty"`
	Organisation OrganisationID `json:"organisation,omitempty"`
	Operation    Operation      `json:"operation"`
	// CaseID and ParticipantID name what was read; either may be empty
	// (an organisation's figures name neither).
	CaseID        CaseID        `json:"case_id,omitempty"`
	ParticipantID ParticipantID `json:"participant_id,omitempty"`
	// Allowed is false for a denied request.
	Allowed bool `json:"allowed"`
	// Rule is the policy rule that allowed or denied the request.
	Rule string `json:"rule"`
	// Purpose is why the actor asked ([Actor.Purpose]).
	Purpose string `json:"purpose,omitempty"`
	// Subject narrows what was read within the case, e.g. the referral id
	// whose reason was shown.
	Subject string `json:"subject,omitempty"`
}

// LogValue logs the entry without the purpose text (free text a person
// typed).
func (e AccessEntry) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("seq", e.Seq), slog.String("actor_id", e.ActorID),
		slog.String("operation", string(e.Operation)), slog.String("case_id", string(e.CaseID)),
		slog.Bool("allowed", e.Allowed), slog.String("rule", e.Rule))
}

// Clone returns a deep copy.
func (e AccessEntry) Clone() AccessEntry {
	e.Roles = slices.Clone(e.Roles)
	return e
}

// AccessQuery filters the access log. Zero fields do not filter.
type AccessQuery struct {
	ActorID       string
	CaseID        CaseID
	ParticipantID ParticipantID
	Organisation  OrganisationID
	// From and To bound At (inclusive From, exclusive To).
	From, To time.Time
	// AfterSeq returns entries with Seq > AfterSeq (for paging).
	AfterSeq int64
	// Limit caps the result; 0 means no limit.
	Limit int
}

// Match reports whether e passes the filter (except Limit). Stores may use
// it to filter in memory.
func (q AccessQuery) Match(e AccessEntry) bool {
	switch {
	case q.ActorID != "" && e.ActorID != q.ActorID:
		return false
	case q.CaseID != "" && e.CaseID != q.CaseID:
		return false
	case q.ParticipantID != "" && e.ParticipantID != q.ParticipantID:
		return false
	case q.Organisation != "" && e.Organisation != q.Organisation:
		return false
	case !q.From.IsZero() && e.At.Before(q.From):
		return false
	case !q.To.IsZero() && !e.At.Before(q.To):
		return false
	case e.Seq <= q.AfterSeq:
		return false
	}
	return true
}
