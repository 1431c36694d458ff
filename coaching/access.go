package coaching

import (
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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

// Bounds of the access log's text fields, in bytes. Longer values are
// cut at a character boundary and end in "…".
const (
	MaxAccessTextBytes  = 1000 // actor id, purpose, subject
	MaxAccessShortBytes = 200  // roles, organisation, rule, case and participant ids
)

// Sanitized returns the entry with every text field made safe to store and
// to show: invalid UTF-8 and control characters (NUL included) are replaced
// by U+FFFD and over-long values are cut (see [MaxAccessTextBytes]). The
// fields come from callers — an actor id from a header, a purpose a person
// typed — and an entry must never be lost because a store refuses its text
// (PostgreSQL rejects invalid UTF-8 and NUL), nor forge a line in a log
// viewer. The engine sanitizes every entry it writes; stores may call it
// again (it is idempotent).
func (e AccessEntry) Sanitized() AccessEntry {
	e.ActorID = SafeText(e.ActorID, MaxAccessTextBytes)
	e.Purpose = SafeText(e.Purpose, MaxAccessTextBytes)
	e.Subject = SafeText(e.Subject, MaxAccessTextBytes)
	e.Rule = SafeText(e.Rule, MaxAccessShortBytes)
	e.Organisation = OrganisationID(SafeText(string(e.Organisation), MaxAccessShortBytes))
	e.Operation = Operation(SafeText(string(e.Operation), MaxAccessShortBytes))
	e.CaseID = CaseID(SafeText(string(e.CaseID), MaxAccessShortBytes))
	e.ParticipantID = ParticipantID(SafeText(string(e.ParticipantID), MaxAccessShortBytes))
	if e.Roles != nil {
		roles := make([]Role, len(e.Roles))
		for i, r := range e.Roles {
			roles[i] = Role(SafeText(string(r), MaxAccessShortBytes))
		}
		e.Roles = roles
	}
	return e
}

// SafeText returns s as valid UTF-8 without control characters (each
// invalid byte sequence and each control character becomes U+FFFD), cut to
// at most max bytes at a character boundary ("…" marks a cut). max < 4
// means no bound.
func SafeText(s string, max int) string {
	clean := utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
	if clean && (max < 4 || len(s) <= max) {
		return s
	}
	if !clean {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return utf8.RuneError
			}
			return r
		}, strings.ToValidUTF8(s, string(utf8.RuneError)))
	}
	if max >= 4 && len(s) > max {
		cut := max - len("…")
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
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
