package storetest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// base is the suite's reference instant. It has microsecond digits (and no
// finer ones) so that a store keeping microseconds passes and one keeping
// only milliseconds or seconds fails; it is in Helsinki, so a store that
// returns times in another location must still return the same instant.
var base = time.Date(2025, time.March, 4, 10, 11, 12, 123456000, coaching.Helsinki)

// at returns base+d.
func at(d time.Duration) time.Time { return base.Add(d) }

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// identityCode is a valid Finnish personal identity code (born 1952-10-13).
const identityCode = "131052-308T"

func mustIdentityCode() coaching.IdentityCode {
	c, err := coaching.ParseIdentityCode(identityCode)
	if err != nil {
		panic("storetest: fixture identity code does not parse: " + err.Error())
	}
	return c
}

// fullParticipant has every field set, including pointers to false and zero
// so that a store cannot get away with "nil means false".
// fullOrg is fullParticipant's organisation; minimalParticipant's is the
// empty one.
const fullOrg coaching.OrganisationID = "1.2.246.562.10.00000000001"

func fullParticipant(id coaching.ParticipantID) coaching.Participant {
	months, foreign, disability, thirdCountry, minority := 0, true, false, false, true
	return coaching.Participant{
		ID:           id,
		Organisation: fullOrg,
		GivenNames:   "Matti Åke Juhani",
		FamilyName:   "Meikäläinen",
		BirthDate:    coaching.NewDate(1952, time.October, 13),
		IdentityCode: mustIdentityCode(),
		Contact:      coaching.Contact{Email: "matti@example.fi", Phone: "+358 40 123 4567"},
		Language:     coaching.Finnish,
		Guardians: []coaching.Guardian{
			{ID: "g-1", Name: "Maija Meikäläinen", Contact: coaching.Contact{Email: "maija@example.fi"}, Language: coaching.Swedish,
				ContactChangedOn: coaching.NewDate(2026, time.September, 5), SISContact: coaching.Contact{Email: "maija.vanha@example.fi", Phone: "040 111 2222"},
				SignOn: "https://tunnistus.example.fi|maija"},
			{ID: "g-2", Name: "Örjan Ström", Contact: coaching.Contact{Phone: "040 765 4321"}},
		},
		Background: coaching.Background{
			Gender:               coaching.GenderNonBinary,
			EducationLevel:       coaching.EducationVocational,
			LabourStatus:         coaching.LabourUnemployed,
			UnemployedMonths:     &months,
			ForeignBackground:    &foreign,
			Disability:           &disability,
			ThirdCountryNational: &thirdCountry,
			Minority:             &minority,
		},
		ExternalIDs:      map[string]string{"sis": "S1234", "oppija_oid": "1.2.246.562.24.00000000001"},
		SignOn:           "https://idp.example.fi|matti",
		ContactChangedOn: coaching.NewDate(2026, time.August, 31),
		SISContact:       coaching.Contact{Email: "matti.vanha@example.fi", Phone: "+358 40 000 0000"},
	}
}

// minimalParticipant has only what a participant needs.
func minimalParticipant(id coaching.ParticipantID) coaching.Participant {
	return coaching.Participant{
		ID:         id,
		GivenNames: "Liisa",
		FamilyName: "Esimerkki",
		BirthDate:  coaching.NewDate(2007, time.May, 17),
		Language:   coaching.Swedish,
	}
}

// fullCase has every field set: history, team, records with JSON data, and
// a phase clock whose times are in different locations.
func fullCase(id coaching.CaseID) coaching.Case {
	return coaching.Case{
		ID:            id,
		ParticipantID: coaching.ParticipantID("p-" + string(id)),
		Organisation:  "org-a",
		Model:         "valo",
		State:         "paused",
		Version:       1,
		OpenedAt:      at(0),
		Phase: coaching.PhaseClock{
			State:     "induction",
			EnteredAt: at(1 * hour).UTC(),
			EntrySeq:  2,
			PausedAt:  at(3*day + 7*time.Microsecond),
			PausedFor: 90*time.Minute + 1500*time.Microsecond,
			DueAt:     at(30 * day).In(time.FixedZone("UTC-7", -7*3600)),
			OverdueAt: at(31 * day),
		},
		History: []coaching.PhaseEntry{
			{State: "intake", At: at(0), Seq: 1},
			{State: "induction", At: at(1 * hour), Seq: 2},
			{State: "paused", At: at(3*day + 7*time.Microsecond), Seq: 3},
		},
		Team: []coaching.TeamMember{
			{ActorID: "a-coach", Role: coaching.RoleCoach, Name: "Kaisa Valmentaja", Contact: coaching.Contact{Email: "kaisa@example.fi"}, Language: coaching.Finnish},
			{ActorID: "a-curator", Role: coaching.RoleCurator, Name: "Kurt Kuraattori", Contact: coaching.Contact{Phone: "+358 50 111 2222"}},
		},
	}
}

// fullRecords are records of fullCase's kind: JSON of several shapes
// (objects with nested members in no particular order, arrays, text
// beyond ASCII) and instants with microseconds. They are appended beside
// the case row (coaching.Tx.AppendRecords), never put in it.
func fullRecords() []coaching.Record {
	return []coaching.Record{
		{Name: "entry_assessment", At: at(2 * hour), By: "a-coach", Seq: 2,
			Data: json.RawMessage(`{"score": 3, "notes": "hyvä alku", "flags": [true, false], "nested": {"b": 2, "a": 1}}`)},
		{Name: "induction_findings", At: at(2*day + 999999*time.Microsecond), By: "a-curator", Seq: 3,
			Data: json.RawMessage(`["one","two"]`)},
	}
}

// basicCase is a small case for filtering and iteration tests.
func basicCase(id coaching.CaseID, model, state string, org coaching.OrganisationID, closed bool) coaching.Case {
	c := coaching.Case{
		ID:            id,
		ParticipantID: coaching.ParticipantID("p-" + string(id)),
		Organisation:  org,
		Model:         model,
		State:         state,
		Version:       1,
		OpenedAt:      at(0),
		Phase:         coaching.PhaseClock{State: state, EnteredAt: at(0), EntrySeq: 1},
		History:       []coaching.PhaseEntry{{State: state, At: at(0), Seq: 1}},
	}
	if closed {
		c.ClosedAt = at(10 * day)
	}
	return c
}

// nextVersion returns c moved to state with the version bumped.
func nextVersion(c coaching.Case, state string, when time.Time) coaching.Case {
	n := c.Clone()
	n.Version++
	n.State = state
	n.Phase = coaching.PhaseClock{State: state, EnteredAt: when, EntrySeq: n.Version}
	n.History = append(n.History, coaching.PhaseEntry{State: state, At: when, Seq: n.Version})
	return n
}

func auditEntry(id coaching.CaseID, seq int64) coaching.AuditEntry {
	return coaching.AuditEntry{
		CaseID:         id,
		Seq:            seq,
		At:             at(time.Duration(seq)*hour + time.Duration(seq)*time.Microsecond),
		Kind:           coaching.AuditTransition,
		ActorID:        "a-coach",
		Roles:          []coaching.Role{coaching.RoleCoach, coaching.RolePersonalTutor},
		Event:          fmt.Sprintf("event-%d", seq),
		From:           fmt.Sprintf("state-%d", seq-1),
		To:             fmt.Sprintf("state-%d", seq),
		Reason:         "syy: ääkköset toimivat",
		Payload:        json.RawMessage(fmt.Sprintf(`{"seq": %d, "note": "x"}`, seq)),
		IdempotencyKey: fmt.Sprintf("key-%d", seq),
	}
}

func command(id coaching.CaseID, key string, seq int64) coaching.CommandRecord {
	return coaching.CommandRecord{CaseID: id, Key: key, Fingerprint: "fp:" + key + ":" + string(id), Seq: seq, At: at(time.Duration(seq) * time.Minute)}
}

// notice returns a pending notice. CreatedAt runs one hour before NotBefore,
// so "oldest first" gives the same order whether a store reads it as
// oldest NotBefore or oldest CreatedAt.
func notice(id string, caseID coaching.CaseID, kind string, notBefore time.Time) coaching.Notice {
	return coaching.Notice{
		ID:     id,
		CaseID: caseID,
		Kind:   kind,
		Recipient: coaching.Recipient{
			ID: "a-coach", Name: "Kaisa Valmentaja", Role: coaching.RoleCoach,
			Contact: coaching.Contact{Email: "kaisa@example.fi", Phone: "+358 40 000 0000"}, Language: coaching.Finnish,
		},
		Subject:   "Valmennusasia " + string(caseID) + ": perehdytys",
		Body:      "Asia siirtyi vaiheeseen \"perehdytys\".",
		Data:      map[string]string{"case_id": string(caseID), "to": "induction"},
		CreatedAt: notBefore.Add(-hour),
		NotBefore: notBefore,
		// DueAt is what the outbox sets (NotBefore), so that a stored
		// notice compares equal to the one enqueued.
		DueAt:  notBefore,
		Status: coaching.NoticePending,
	}
}

func timer(key string, caseID coaching.CaseID, dueAt time.Time) coaching.Timer {
	return coaching.Timer{Key: key, CaseID: caseID, Kind: coaching.TimerPhaseDeadline, DueAt: dueAt, Ref: 7}
}

func caseIDs(cs []coaching.Case) []coaching.CaseID {
	out := make([]coaching.CaseID, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func noticeIDs(ns []coaching.Notice) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

func timerKeys(ts []coaching.Timer) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Key
	}
	return out
}
