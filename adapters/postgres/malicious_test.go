package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/session"
)

// Every text field the port stores is set, one at a time, to hostile
// values. Each write is then either read back exactly, or refused with a
// *coaching.ValidationError whose problems name the field. The fields are
// found by reflection, so a field added to a record later is covered
// without touching this test.

// hostile are the values. reject says the value must be refused (it holds
// what PostgreSQL text cannot); the others must round-trip, except that a
// key may refuse the 10 MB value (its index entry is limited).
var hostile = []struct {
	name   string
	value  string
	reject bool
}{
	{name: "quotes", value: `O'Brien said "hi" \ and ` + "`backticks`"},
	{name: "drop_table", value: `'; DROP TABLE cases; --`},
	{name: "injection", value: `x') OR 1=1; DELETE FROM participants; -- $1 %s {{schema}} {s} "valmennus".cases`},
	{name: "emoji", value: "🧑‍🏫 Åsa Ärlig 中文 \u202eevil\u202c 🇫🇮"},
	{name: "controls", value: "tab\tnew\nline\rcr \x1b[31m"},
	{name: "escaped_nul_text", value: `\u0000 and \x00 as text`},
	{name: "10MB", value: strings.Repeat("ab'c\"😀 ;--", 10<<20/14)},
	{name: "nul", value: "before\x00after", reject: true},
	{name: "invalid_utf8", value: "bad \xff\xfe bytes", reject: true},
}

// fieldRef locates a string inside a value: a path of struct fields, slice
// elements and map entries.
type fieldRef struct {
	path  string // JSON-style, as the store names fields in its errors
	steps []step
}

type step struct {
	field  int
	index  int
	mapKey string
	kind   int // 0 field, 1 index, 2 map value, 3 map key
}

var (
	timeT  = reflect.TypeFor[time.Time]()
	identT = reflect.TypeFor[coaching.IdentityCode]()
	decT   = reflect.TypeFor[decimal.Decimal]()
)

// stringFields lists every string reachable in v.
func stringFields(v reflect.Value, path string, steps []step) []fieldRef {
	switch v.Kind() {
	case reflect.String:
		return []fieldRef{{path: path, steps: append([]step(nil), steps...)}}
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return stringFields(v.Elem(), path, steps)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // JSON documents: tested separately
		}
		if v.Len() == 0 {
			return nil
		}
		return stringFields(v.Index(0), path+"[0]", append(steps, step{kind: 1, index: 0}))
	case reflect.Map:
		var out []fieldRef
		for _, k := range v.MapKeys() {
			ks := k.String()
			out = append(out, fieldRef{path: path, steps: append(append([]step(nil), steps...), step{kind: 3, mapKey: ks})})
			out = append(out, stringFields(v.MapIndex(k), path+"["+strconv.Quote(ks)+"]", append(steps, step{kind: 2, mapKey: ks}))...)
		}
		return out
	case reflect.Struct:
		t := v.Type()
		if t == timeT || t == identT || t == decT {
			return nil
		}
		var out []fieldRef
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			if path != "" {
				name = path + "." + name
			}
			out = append(out, stringFields(v.Field(i), name, append(steps, step{kind: 0, field: i}))...)
		}
		return out
	}
	return nil
}

// set sets the string at ref in the value root points to.
func (ref fieldRef) set(root any, s string) {
	v := reflect.ValueOf(root).Elem()
	for i, st := range ref.steps {
		for v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		switch st.kind {
		case 0:
			v = v.Field(st.field)
		case 1:
			v = v.Index(st.index)
		case 2, 3:
			// Maps are replaced by a copy with the entry changed, so
			// fixtures never share a map.
			m := reflect.MakeMap(v.Type())
			for _, k := range v.MapKeys() {
				m.SetMapIndex(k, v.MapIndex(k))
			}
			key := reflect.ValueOf(st.mapKey).Convert(v.Type().Key())
			if st.kind == 3 {
				val := m.MapIndex(key)
				m.SetMapIndex(key, reflect.Value{})
				m.SetMapIndex(reflect.ValueOf(s).Convert(v.Type().Key()), val)
				v.Set(m)
				return
			}
			if i != len(ref.steps)-1 {
				panic("map values are strings")
			}
			m.SetMapIndex(key, reflect.ValueOf(s).Convert(v.Type().Elem()))
			v.Set(m)
			return
		}
	}
	v.SetString(s)
}

// record is one kind of record the port stores: a fixture, how to write it
// and read it back (inside one transaction, so every trial is independent
// and rolled back), and how to compare.
type record struct {
	name  string
	fresh func() any
	// roundTrip writes v and reads it back.
	roundTrip func(ctx context.Context, tx coaching.Tx, v any) (any, error)
	norm      func(any) any
	// sanitized: the store keeps every such record, with its text
	// sanitized (the access log), instead of refusing text PostgreSQL
	// cannot hold; norm says what is kept.
	sanitized bool
}

var testTime = time.Date(2025, 3, 4, 10, 11, 12, 123456000, coaching.Helsinki)

func hostileRecords() []record {
	// ensureCase inserts the case a record belongs to. When the case id
	// itself is refused, the record's own write reports it.
	ensureCase := func(ctx context.Context, tx coaching.Tx, id coaching.CaseID) error {
		if _, err := tx.Case(ctx, id); err == nil {
			return nil
		}
		_ = tx.InsertCase(ctx, coaching.Case{ID: id, ParticipantID: "p", Model: "valo", State: "intake", Version: 1, OpenedAt: testTime})
		return nil
	}
	months, yes := 3, true
	return []record{
		{
			name: "participant",
			fresh: func() any {
				return &coaching.Participant{ID: "p-1", Organisation: "org", GivenNames: "Matti", FamilyName: "Meikäläinen",
					BirthDate: coaching.NewDate(1952, 10, 13), Contact: coaching.Contact{Email: "m@example.fi", Phone: "+358 40 1"},
					Language: coaching.Finnish, Guardians: []coaching.Guardian{{ID: "g-1", Name: "Maija", Contact: coaching.Contact{Email: "g@example.fi", Phone: "040"}, Language: coaching.Swedish}},
					Background: coaching.Background{Gender: coaching.GenderFemale, EducationLevel: coaching.EducationBasic, LabourStatus: coaching.LabourUnemployed,
						UnemployedMonths: &months, ForeignBackground: &yes, Disability: &yes},
					ExternalIDs: map[string]string{"sis": "S1"}}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				p := *v.(*coaching.Participant)
				if err := tx.InsertParticipant(ctx, p); err != nil {
					return nil, err
				}
				got, err := tx.Participant(ctx, p.Organisation, p.ID)
				return &got, err
			},
			norm: func(v any) any { return storetest.NormalizeParticipant(*v.(*coaching.Participant)) },
		},
		{
			// A case record, in the records table beside the case row:
			// found again by its name.
			name: "record",
			fresh: func() any {
				return &coaching.Record{Name: "entry", At: testTime, By: "a-1", Seq: 1, Data: json.RawMessage(`{"a":1}`)}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				r := *v.(*coaching.Record)
				if err := ensureCase(ctx, tx, "c-rec"); err != nil {
					return nil, err
				}
				if err := tx.AppendRecords(ctx, "c-rec", []coaching.Record{r}); err != nil {
					return nil, err
				}
				got, err := tx.Records(ctx, "c-rec", coaching.RecordQuery{Names: []string{r.Name}, Latest: true})
				if err != nil {
					return nil, err
				}
				if len(got) != 1 {
					return nil, fmt.Errorf("the record is not found by its name: %d records", len(got))
				}
				return &got[0], nil
			},
			norm: func(v any) any { return storetest.NormalizeRecord(*v.(*coaching.Record)) },
		},
		{
			name: "case",
			fresh: func() any {
				return &coaching.Case{ID: "c-1", ParticipantID: "p-1", Organisation: "org", Model: "valo", State: "paused", Version: 1, OpenedAt: testTime,
					Phase:   coaching.PhaseClock{State: "induction", EnteredAt: testTime, EntrySeq: 1, DueAt: testTime.Add(time.Hour)},
					History: []coaching.PhaseEntry{{State: "induction", At: testTime, Seq: 1}},
					Team:    []coaching.TeamMember{{ActorID: "a-1", Role: coaching.RoleCoach, Name: "Kaisa", Contact: coaching.Contact{Email: "k@example.fi", Phone: "050"}, Language: coaching.Finnish}}}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				c := *v.(*coaching.Case)
				if err := tx.InsertCase(ctx, c); err != nil {
					return nil, err
				}
				got, err := tx.Case(ctx, c.ID)
				return &got, err
			},
			norm: func(v any) any { return storetest.NormalizeCase(*v.(*coaching.Case)) },
		},
		{
			name: "audit entry",
			fresh: func() any {
				return &coaching.AuditEntry{CaseID: "c-1", Seq: 1, At: testTime, Kind: coaching.AuditTransition, ActorID: "a-1", Roles: []coaching.Role{coaching.RoleCoach},
					Event: "pause", From: "a", To: "b", Reason: "why", Payload: json.RawMessage(`{"x":"y"}`), IdempotencyKey: "k-1"}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				a := *v.(*coaching.AuditEntry)
				if err := ensureCase(ctx, tx, a.CaseID); err != nil {
					return nil, err
				}
				if err := tx.AppendAudit(ctx, a); err != nil {
					return nil, err
				}
				got, err := tx.AuditTrail(ctx, a.CaseID, 0)
				if err != nil || len(got) != 1 {
					return nil, fmt.Errorf("trail %v: %w", got, err)
				}
				return &got[0], nil
			},
			norm: func(v any) any { return storetest.NormalizeAuditEntry(*v.(*coaching.AuditEntry)) },
		},
		{
			name: "command",
			fresh: func() any {
				return &coaching.CommandRecord{CaseID: "c-1", Key: "k-1", Fingerprint: "fp", Seq: 2, At: testTime}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				r := *v.(*coaching.CommandRecord)
				if err := ensureCase(ctx, tx, r.CaseID); err != nil {
					return nil, err
				}
				if err := tx.PutCommand(ctx, r); err != nil {
					return nil, err
				}
				got, err := tx.Command(ctx, r.CaseID, r.Key)
				return &got, err
			},
			norm: func(v any) any { return storetest.NormalizeCommand(*v.(*coaching.CommandRecord)) },
		},
		{
			name: "notice",
			fresh: func() any {
				return &coaching.Notice{ID: "n-1", CaseID: "c-1", Kind: "transition",
					Recipient: coaching.Recipient{ID: "a-1", Name: "Kaisa", Role: coaching.RoleCoach, Contact: coaching.Contact{Email: "k@example.fi", Phone: "050"}, Language: coaching.Finnish},
					Subject:   "subject", Body: "body", Data: map[string]string{"to": "induction"}, CreatedAt: testTime, NotBefore: testTime, DueAt: testTime,
					Status: coaching.NoticeDead, Attempts: 3, LeaseUntil: testTime, LastError: "550 no"}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				n := *v.(*coaching.Notice)
				if _, err := tx.Enqueue(ctx, n); err != nil {
					return nil, err
				}
				got, err := tx.Notice(ctx, n.ID)
				return &got, err
			},
			norm: func(v any) any { return storetest.NormalizeNotice(*v.(*coaching.Notice)) },
		},
		{
			name: "timer",
			fresh: func() any {
				return &coaching.Timer{Key: "t-1", CaseID: "c-1", Kind: "phase_deadline", DueAt: testTime, Ref: 4}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				tm := *v.(*coaching.Timer)
				if err := tx.PutTimer(ctx, tm); err != nil {
					return nil, err
				}
				// Timers are read outside transactions (DueTimers); the
				// transaction's own delete proves the key round-trips and
				// the read-back happens in the committed test below.
				return v, tx.DeleteTimer(ctx, tm.Key)
			},
			norm: func(v any) any { return storetest.NormalizeTimer(*v.(*coaching.Timer)) },
		},
		{
			name: "session",
			fresh: func() any {
				return &session.Session{ID: "s-1", Kind: session.Group, Date: coaching.NewDate(2025, 3, 4), Hours: decimal.RequireFromString("1.5"),
					Staff: []session.Staff{{ActorID: "a-1", Role: coaching.RoleCoach}}, Cases: []coaching.CaseID{"c-1"},
					Elements: []session.ApproachElement{session.ElementTrust}, PeerSupport: "peer", Contacts: 2, Topic: "topic", Organisation: "org", At: testTime, By: "a-1"}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				s := *v.(*session.Session)
				if err := tx.(session.Store).PutSession(ctx, s); err != nil {
					return nil, err
				}
				got, err := tx.(session.Reader).Sessions(ctx, session.Query{})
				if err != nil || len(got) != 1 {
					return nil, fmt.Errorf("sessions %d: %w", len(got), err)
				}
				return &got[0], nil
			},
			norm: func(v any) any {
				s := v.(*session.Session).Clone()
				s.At = storetest.NormalizeTime(s.At)
				s.Hours = decimal.RequireFromString(s.Hours.String()) // compare the value, not the representation
				return s.Hours.String() + fmt.Sprint(s)
			},
		},
		{
			name: "attendance mark",
			fresh: func() any {
				return &attendance.Mark{CaseID: "c-1", Date: coaching.NewDate(2025, 3, 4), Lesson: "L1", Title: "Maths", Minutes: 90,
					Status: attendance.Explained, Reason: attendance.ReasonFamily, Revision: 1, At: testTime, By: "a-1"}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				m := *v.(*attendance.Mark)
				if err := ensureCase(ctx, tx, m.CaseID); err != nil {
					return nil, err
				}
				if err := tx.(attendance.Store).PutMarks(ctx, []attendance.Mark{m}); err != nil {
					return nil, err
				}
				got, err := tx.(attendance.Reader).MarkHistory(ctx, m.CaseID, m.Key())
				if err != nil || len(got) != 1 {
					return nil, fmt.Errorf("history %d: %w", len(got), err)
				}
				return &got[0], nil
			},
			norm: func(v any) any { return storetest.NormalizeMark(*v.(*attendance.Mark)) },
		},
		{
			name: "attendance flag",
			fresh: func() any {
				return &attendance.RiskFlag{Rule: "absences", Reason: "many", Since: testTime, Seq: 1}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				f := *v.(*attendance.RiskFlag)
				if err := ensureCase(ctx, tx, "c-1"); err != nil {
					return nil, err
				}
				if err := tx.(attendance.Store).PutFlags(ctx, "c-1", []attendance.RiskFlag{f}); err != nil {
					return nil, err
				}
				st, err := tx.(attendance.Reader).State(ctx, "c-1")
				if err != nil || len(st.Flags) != 1 {
					return nil, fmt.Errorf("flags %d: %w", len(st.Flags), err)
				}
				return &st.Flags[0], nil
			},
			norm: func(v any) any {
				f := *v.(*attendance.RiskFlag)
				f.Since = storetest.NormalizeTime(f.Since)
				return f
			},
		},
		{
			name: "access-log entry",
			fresh: func() any {
				return &coaching.AccessEntry{At: testTime, ActorID: "a-1", Roles: []coaching.Role{coaching.RoleCurator}, Organisation: "org",
					Operation: coaching.OpReadWelfare, CaseID: "c-1", ParticipantID: "p-1", Allowed: true, Rule: "welfare_records",
					Purpose: "meeting", Subject: "referral-1"}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				if err := tx.AppendAccess(ctx, *v.(*coaching.AccessEntry)); err != nil {
					return nil, err
				}
				got, err := tx.AccessLog(ctx, coaching.AccessQuery{})
				if err != nil || len(got) != 1 {
					return nil, fmt.Errorf("access log %d: %w", len(got), err)
				}
				return &got[0], nil
			},
			norm: func(v any) any {
				a := storetest.NormalizeAccessEntry(v.(*coaching.AccessEntry).Sanitized())
				a.Seq = 0 // the store numbers the entry
				return a
			},
			sanitized: true,
		},
		{
			name: "document",
			fresh: func() any {
				return &coaching.Document{CaseID: "c-1", Kind: "hoks", Version: 1, Status: "draft", At: testTime, By: "a-1", Seq: 2, Data: json.RawMessage(`{"a":"b"}`)}
			},
			roundTrip: func(ctx context.Context, tx coaching.Tx, v any) (any, error) {
				d := *v.(*coaching.Document)
				if err := ensureCase(ctx, tx, d.CaseID); err != nil {
					return nil, err
				}
				if err := tx.PutDocument(ctx, d); err != nil {
					return nil, err
				}
				got, err := tx.Document(ctx, d.CaseID, d.Kind, 0)
				return &got, err
			},
			norm: func(v any) any { return storetest.NormalizeDocument(*v.(*coaching.Document)) },
		},
	}
}

var errRollback = errors.New("roll back the trial")

// keyFields are the fields kept in index keys, which refuse values longer
// than the store's limits (1 kB ids, 512-byte names, 2 kB composed keys).
var keyFields = map[string]bool{
	"participant.id": true, "participant.organisation": true, "participant.sign_on": true, "case.id": true, "case.participant_id": true,
	"case.organisation": true, "case.model": true, "case.state": true, "audit entry.case_id": true,
	"command.case_id": true, "command.key": true, "notice.id": true, "notice.case_id": true, "timer.key": true,
	"timer.case_id": true, "session.id": true, "session.cases[0]": true, "attendance mark.case_id": true,
	"attendance mark.lesson": true, "document.case_id": true, "document.kind": true,
	"access-log entry.actor_id": true, "access-log entry.case_id": true, "access-log entry.participant_id": true,
	"access-log entry.organisation": true, "record.name": true,
}

// mayRefuse are the text fields with a closed set of values, which the
// store checks: a notice's status, and its trace (printable ASCII, at most
// coaching.MaxTraceBytes, as coaching.WithTrace carries).
var mayRefuse = map[string]bool{"notice.status": true, "notice.trace": true}

// ignored are the text fields the store sets whatever the caller gives: a
// notice's channel is "" at Enqueue (only completions record one, and
// they refuse anything but a short printable ASCII name).
var ignored = map[string]bool{"notice.channel": true}

func TestHostileStrings(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	ctx := context.Background()
	var refused []string
	for _, rec := range hostileRecords() {
		fields := stringFields(reflect.ValueOf(rec.fresh()), "", nil)
		require.NotEmpty(t, fields, rec.name)
		bigDone := false
		for _, f := range fields {
			if ignored[rec.name+"."+f.path] {
				continue
			}
			for _, h := range hostile {
				// Under the race detector the 10 MB value goes through the
				// record's key fields and its first other text field only
				// (the other fields take the same encoding path); without
				// it, through every field.
				if raceEnabled && h.name == "10MB" && !keyFields[rec.name+"."+f.path] {
					if bigDone {
						continue
					}
					bigDone = true
				}
				v := rec.fresh()
				f.set(v, h.value)
				want := rec.norm(v)
				var got any
				err := store.Update(ctx, func(tx coaching.Tx) error {
					back, err := rec.roundTrip(ctx, tx, v)
					if err != nil {
						return err
					}
					got = back
					return errRollback
				})
				what := fmt.Sprintf("%s.%s = %s", rec.name, f.path, h.name)
				if errors.Is(err, errRollback) {
					if h.reject && !rec.sanitized {
						t.Errorf("%s: stored, but PostgreSQL text cannot hold it exactly", what)
						continue
					}
					if !reflect.DeepEqual(want, rec.norm(got)) {
						t.Errorf("%s: read back differently", what)
					}
					continue
				}
				var ve *coaching.ValidationError
				if rec.sanitized {
					t.Errorf("%s: must be stored sanitized, never refused: %v", what, err)
					continue
				}
				if !errors.As(err, &ve) {
					t.Errorf("%s: want a round trip or a *coaching.ValidationError, got %v", what, err)
					continue
				}
				named := false
				for _, p := range ve.Problems {
					if strings.HasSuffix(p.Field, f.path) || (f.steps[len(f.steps)-1].kind == 3 && strings.HasPrefix(p.Field, f.path)) {
						named = true
					}
				}
				assert.True(t, named, "%s: the error must name the field: %v", what, err)
				if !h.reject {
					switch {
					case mayRefuse[rec.name+"."+f.path]:
					case h.name == "10MB" && keyFields[rec.name+"."+f.path]:
						refused = append(refused, rec.name+"."+f.path)
					default:
						t.Errorf("%s: refused a value PostgreSQL can store: %v", what, err)
					}
				}
				assert.NotContains(t, err.Error(), "\x00", "%s: the error must not carry the raw value", what)
			}
		}
	}
	t.Logf("fields that refuse a 10 MB value (index keys, limited to %d–%d bytes): %s", 512, 2048, strings.Join(refused, ", "))
}

// JSON documents (record data, audit payloads, document data) are kept as
// jsonb: the same JSON value comes back; \u0000 (which jsonb cannot hold)
// and invalid JSON are refused naming the field.
func TestHostileJSON(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	ctx := context.Background()
	big := `{"text":"` + strings.Repeat(`'; DROP TABLE audit; -- \" 😀 `, 10<<20/32) + `"}`
	docs := []struct {
		name, doc string
		ok        bool
	}{
		{"quotes and sql", `{"a":"'; DROP TABLE cases; --","b":"\"quoted\""}`, true},
		{"escaped backslash-u", `{"a":"\\u0000 is text"}`, true},
		{"unicode escapes", `{"a":"\u00e4\ud83d\ude00"}`, true},
		{"10MB", big, true},
		{"nul escape", `{"a":"x\u0000y"}`, false},
		{"not json", `{"a":`, false},
	}
	for _, d := range docs {
		if raceEnabled && d.name == "10MB" {
			continue // TestHostileStrings sends 10 MB through a record's data
		}
		err := store.Update(ctx, func(tx coaching.Tx) error {
			c := coaching.Case{ID: "c-json", ParticipantID: "p", Model: "valo", State: "s", Version: 1, OpenedAt: testTime}
			if err := tx.InsertCase(ctx, c); err != nil {
				return err
			}
			if err := tx.AppendRecords(ctx, c.ID, []coaching.Record{{Name: "r", At: testTime, Data: json.RawMessage(d.doc)}}); err != nil {
				return err
			}
			got, err := tx.Records(ctx, c.ID, coaching.RecordQuery{})
			if err != nil {
				return err
			}
			assert.JSONEq(t, d.doc, string(got[0].Data), "%s: record data", d.name)
			if err := tx.AppendAudit(ctx, coaching.AuditEntry{CaseID: c.ID, Seq: 1, At: testTime, Kind: coaching.AuditOpened, Payload: json.RawMessage(d.doc)}); err != nil {
				return err
			}
			trail, err := tx.AuditTrail(ctx, c.ID, 0)
			if err != nil {
				return err
			}
			assert.JSONEq(t, d.doc, string(trail[0].Payload), "%s: audit payload", d.name)
			if err := tx.PutDocument(ctx, coaching.Document{CaseID: c.ID, Kind: "hoks", Version: 1, At: testTime, Data: json.RawMessage(d.doc)}); err != nil {
				return err
			}
			doc, err := tx.Document(ctx, c.ID, "hoks", 1)
			if err != nil {
				return err
			}
			assert.JSONEq(t, d.doc, string(doc.Data), "%s: document data", d.name)
			return errRollback
		})
		if d.ok {
			assert.ErrorIs(t, err, errRollback, "%s: must be stored", d.name)
			continue
		}
		var ve *coaching.ValidationError
		if assert.ErrorAs(t, err, &ve, "%s: must be refused", d.name) {
			assert.Contains(t, ve.Problems[0].Field, "records[0].data", d.name)
		}
	}
}

// Committed hostile values are read back by the paths outside
// transactions too: Cases, CasesWithParticipants, DueTimers, Notices.
func TestHostileCommitted(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	ctx := context.Background()
	for i, h := range hostile {
		if h.reject {
			continue
		}
		if raceEnabled && h.name == "10MB" {
			h.value = "10MB skipped under the race detector"
		}
		id := coaching.CaseID(fmt.Sprintf("c-%d-%s", i, hostile[min(i, 5)].value))
		c := coaching.Case{ID: id, ParticipantID: coaching.ParticipantID(id), Organisation: "org", Model: "valo", State: "s", Version: 1, OpenedAt: testTime,
			Team: []coaching.TeamMember{{ActorID: "a", Name: h.value}}}
		p := coaching.Participant{ID: coaching.ParticipantID(id), Organisation: c.Organisation, GivenNames: h.value, FamilyName: h.value, BirthDate: coaching.NewDate(2000, 1, 1)}
		n := coaching.Notice{ID: string(id), CaseID: id, Kind: "k", Subject: h.value, Body: h.value, Data: map[string]string{"v": h.value}, CreatedAt: testTime, NotBefore: testTime}
		tm := coaching.Timer{Key: string(id), CaseID: id, Kind: h.value, DueAt: testTime.Add(time.Duration(i) * time.Second)}
		require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
			return errors.Join(tx.InsertParticipant(ctx, p), tx.InsertCase(ctx, c), func() error { _, err := tx.Enqueue(ctx, n); return err }(), tx.PutTimer(ctx, tm))
		}), h.name)
	}
	var rows int
	for row, err := range store.CasesWithParticipants(ctx, coaching.CaseQuery{Organisation: "org"}) {
		require.NoError(t, err)
		require.True(t, row.HasParticipant)
		assert.Equal(t, row.Case.Team[0].Name, row.Participant.GivenNames)
		rows++
	}
	assert.Equal(t, len(hostile)-2, rows)
	ns, err := store.Notices(ctx, coaching.NoticeQuery{Kind: "k"})
	require.NoError(t, err)
	require.Len(t, ns, len(hostile)-2)
	for _, n := range ns {
		assert.Equal(t, n.Subject, n.Data["v"])
		assert.Equal(t, n.Subject, n.Body)
	}
	ts, err := store.DueTimers(ctx, testTime.Add(time.Hour), 0)
	require.NoError(t, err)
	require.Len(t, ts, len(hostile)-2)
	for i, tm := range ts {
		if raceEnabled && hostile[i].name == "10MB" {
			continue
		}
		assert.Equal(t, hostile[i].value, tm.Kind, "timer %d", i)
	}
	// The tables are all still there.
	assert.Equal(t, tableCount(t, newStore(t).Schema()), tableCount(t, store.Schema()))
}

// A sender's error comes from outside (an SMTP reply, an HTTP body) and may
// hold anything. CompleteNotice keeps it with each run of invalid UTF-8 and
// each NUL replaced by U+FFFD; refusing it would leave the notice claimed,
// to be sent again and again.
func TestHostileNoticeError(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	ctx := context.Background()
	tests := []struct{ name, in, want string }{
		{"clean, multi-line", "550 5.1.1 no such user\n550 try later", "550 5.1.1 no such user\n550 try later"},
		{"NUL", "550 bad\x00reply\x00", "550 bad\uFFFDreply\uFFFD"},
		{"invalid UTF-8", "550 \xff\xfe latin-1: \xe4", "550 \uFFFD latin-1: \uFFFD"},
		{"both", "\x00\xff", "\uFFFD\uFFFD"},
	}
	for i, tt := range tests {
		n := coaching.Notice{ID: fmt.Sprintf("n-%d", i), Kind: "k", Subject: "s", Body: "b", CreatedAt: testTime, NotBefore: testTime}
		require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { _, err := tx.Enqueue(ctx, n); return err }))
		claimed, err := store.ClaimNotices(ctx, coaching.ClaimParams{Now: testTime.Add(time.Hour), Limit: 1, Lease: time.Minute})
		require.NoError(t, err)
		require.Len(t, claimed, 1)
		require.NoError(t, store.CompleteNotice(ctx, n.ID, claimed[0].Attempts, coaching.NoticeResult{Status: coaching.NoticeDead, At: testTime, Error: tt.in}), tt.name)
		got, err := store.Notice(ctx, n.ID)
		require.NoError(t, err)
		assert.Equal(t, coaching.NoticeDead, got.Status, tt.name)
		assert.Equal(t, tt.want, got.LastError, tt.name)
	}
}
