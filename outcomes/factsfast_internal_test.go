package outcomes

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/pathway"
)

// payloads are destination and checkpoint documents in every form a store
// may give back: as encoding/json writes them, as PostgreSQL's jsonb
// prints them (keys sorted, spaces), and forms only encoding/json can
// decide (escapes, other cases, unknown members, wrong types, impossible
// dates, nulls, duplicates, malformed JSON).
var payloads = []string{
	`{"destination":"work_open","date":"2024-03-01"}`,
	`{"date": "2024-03-01", "destination": "work_open"}`,
	`{"date": "2024-03-01", "destination": "work_open", "note": "talo A"}`,
	`{"destination":"work_open","date":"2024-03-01","note":"Hämeenlinna"}`,
	`{"destination":"work_open","date":"2024-03-01","note":"a \"quoted\" note"}`,
	`{"destination":"work_open","date":"2024-03-01","note":"bad utf8 ` + "\xff" + `"}`,
	`{"destination":"work_open","date":"2024-02-30"}`,
	`{"destination":"work_open","date":"2024-3-1"}`,
	`{"destination":"moon","date":"2024-03-01"}`,
	`{"destination":"unknown","date":"2024-03-01"}`,
	`{"destination":"work_open"}`,
	`{"Destination":"work_open","date":"2024-03-01"}`,
	`{"destinatio\u006e":"work_open","date":"2024-03-01"}`,
	`{"destination":"work_open","date":"2024-03-01","extra":1}`,
	`{"destination":"work_open","date":"2024-03-01","extra":[1,{"a":"}"}]}`,
	`{"destination":null,"date":"2024-03-01"}`,
	`{"destination":"work_open","date":null}`,
	`{"destination":"work_open","date":"2024-03-01","destination":"unemployed"}`,
	`{"destination":3,"date":"2024-03-01"}`,
	`{"destination":"work_open","date":"2024-03-01"`,
	`{"destination":"work_open","date":"2024-03-01"} x`,
	`[]`, `null`, `"text"`, ``,
	`{"checkpoint":{"kind":"upon_leaving","from":"2024-03-01","to":"2024-03-29","due":"2024-04-05"},"found":true,"status":"work_open","observed_on":"2024-03-10"}`,
	`{"found": true, "status": "work_open", "checkpoint": {"n": 0, "to": "2024-03-29", "due": "2024-04-05", "from": "2024-03-01", "kind": "upon_leaving"}, "observed_on": "2024-03-10"}`,
	`{"checkpoint":{"kind":"six_months","from":"","to":"","due":""},"found":true,"status":"unemployed"}`,
	`{"checkpoint":{"kind":"alumni","n":2,"from":"2024-03-01","to":"2024-03-29","due":"2024-04-05"},"found":false,"status":"unknown"}`,
	`{"checkpoint":{"kind":"alumni","n":2.5,"from":"2024-03-01","to":"2024-03-29","due":"2024-04-05"},"found":true,"status":"work_open"}`,
	`{"checkpoint":{"kind":"upon_leaving","from":"2024-13-01"},"found":true,"status":"work_open"}`,
	`{"checkpoint":null,"found":true,"status":"studies_other"}`,
	`{"checkpoint":{"kind":"upon_leaving","extra":true},"found":true,"status":"studies_other"}`,
	`{"checkpoint":"upon_leaving","found":true,"status":"studies_other"}`,
	`{"found":"true","status":"work_open"}`,
	`{"found":true,"status":"the moon"}`,
	`{"found":true,"status":"work_open","observed_on":"2024-02-30"}`,
	`{"Found":true,"status":"work_open"}`,
	`{"found":true,"status":"work_open","found":false}`,
	`{"found":true,"status":"work_\u006fpen"}`,
	`{"found":true,"status":null,"observed_on":null}`,
}

// The fast paths decide exactly as encoding/json does, or leave the
// document to it.
func TestFastRecordDecodersAgreeWithEncodingJSON(t *testing.T) {
	fastDest, fastCheck := 0, 0
	for _, p := range payloads {
		var want pathway.Destination
		wantOK := json.Unmarshal([]byte(p), &want) == nil && want.Validate() == nil
		var got pathway.Destination
		if fastDestination([]byte(p), &got) {
			fastDest++
			assert.True(t, wantOK, "fast destination accepts %s", p)
			assert.Equal(t, want, got, p)
		}
		var d pathway.Destination
		assert.Equal(t, wantOK, decodeDestination([]byte(p), &d), p)

		var wantRes pathway.CheckpointResult
		wantErr := json.Unmarshal([]byte(p), &wantRes)
		var res pathway.CheckpointResult
		if fastCheckpoint([]byte(p), &res) {
			fastCheck++
			assert.NoError(t, wantErr, "fast checkpoint accepts %s", p)
			assert.Equal(t, wantRes.Found, res.Found, p)
			assert.Equal(t, wantRes.Status, res.Status, p)
			assert.Equal(t, wantRes.ObservedOn, res.ObservedOn, p)
		}
	}
	// The fast paths are taken for the plain forms, not only refused.
	assert.GreaterOrEqual(t, fastDest, 4)
	assert.GreaterOrEqual(t, fastCheck, 5)
}

// FuzzFastRecordDecoders: whatever the bytes, a fast path that decides
// decides as encoding/json does.
func FuzzFastRecordDecoders(f *testing.F) {
	for _, p := range payloads {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d pathway.Destination
		if fastDestination(b, &d) {
			var want pathway.Destination
			if err := json.Unmarshal(b, &want); err != nil || want.Validate() != nil || want != d {
				t.Fatalf("fast destination %+v, encoding/json %+v (%v) for %q", d, want, err, b)
			}
		}
		var res pathway.CheckpointResult
		if fastCheckpoint(b, &res) {
			var want pathway.CheckpointResult
			if err := json.Unmarshal(b, &want); err != nil || want.Found != res.Found || want.Status != res.Status || want.ObservedOn != res.ObservedOn {
				t.Fatalf("fast checkpoint %+v, encoding/json %+v (%v) for %q", res, want, err, b)
			}
		}
	})
}
