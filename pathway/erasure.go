package pathway

import (
	"encoding/json"
	"fmt"

	"github.com/valmennus/valmennus/coaching/erasure"
)

// ErasureOptions returns what an erasure ([erasure.Service.Erase],
// [erasure.Service.ApplyRetention]) keeps so that the VALO table and the
// ESF result indicators stay the same: the destination recorded at
// closing and the follow-up checkpoint results, without their free-text
// notes (a note may name a person or an employer).
func ErasureOptions() *erasure.Options {
	return &erasure.Options{
		KeepRecords: []string{RecordDestination, RecordUponLeaving, RecordSixMonths},
		ScrubRecord: scrubNote,
	}
}

func scrubNote(name string, data json.RawMessage) (json.RawMessage, error) {
	var out any
	switch name {
	case RecordDestination:
		var d Destination
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("pathway: destination record does not decode: %w", err)
		}
		d.Note = ""
		out = d
	default:
		var r CheckpointResult
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("pathway: checkpoint record %s does not decode: %w", name, err)
		}
		out = r
	}
	return json.Marshal(out)
}
