package outcomes

import (
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

// Fast paths for the two record payloads every case of a report carries —
// a destination and a checkpoint result — in any member order and
// spacing, so that both the form encoding/json writes and the form
// PostgreSQL's jsonb gives back (keys sorted, a space after ':' and ',')
// decode without encoding/json. Each accepts only what it can decode
// exactly as encoding/json would: members known by their exact names,
// strings without escapes, integers, booleans and null (which leaves a
// field as it is, as encoding/json does). Anything else — an unknown or
// differently cased member, an escape, a value of another type, a date
// not in YYYY-MM-DD form — makes it report false, and the caller hands the
// document to encoding/json.

// knownKinds are the destination kinds, compared with a payload's bytes
// without converting them to a string.
var knownKinds = pathway.Kinds()

// kindOf returns the destination kind spelled b.
func kindOf(b []byte) (pathway.Kind, bool) {
	for _, k := range knownKinds {
		if string(b) == string(k) {
			return k, true
		}
	}
	return "", false
}

// plainDate decodes a JSON date string in YYYY-MM-DD form.
func plainDate(val []byte) (coaching.Date, bool) {
	s, ok := plainString(val)
	if !ok {
		return coaching.Date{}, false
	}
	return parseISODate(s)
}

// fastDestination decodes a destination and reports true when it is in a
// plain form and valid (pathway.Destination.Validate).
func fastDestination(b []byte, d *pathway.Destination) bool {
	*d = pathway.Destination{}
	ok := true
	err := eachMember(b, func(key, val []byte) bool {
		if string(val) == "null" {
			ok = !foldsTo(key, "destination", "date", "note")
			return ok
		}
		switch string(key) {
		case "destination":
			var s []byte
			if s, ok = plainString(val); ok {
				d.Kind, ok = kindOf(s)
			}
		case "date":
			d.Date, ok = plainDate(val)
		case "note":
			var s []byte
			if s, ok = plainString(val); ok {
				d.Note = string(s)
			}
		default:
			ok = false
		}
		return ok
	})
	if err != nil || !ok {
		*d = pathway.Destination{}
		return false
	}
	return d.Validate() == nil
}

// fastCheckpoint decodes a checkpoint result and reports whether it could;
// a result it decodes is one encoding/json decodes without an error (the
// checkpoint's members are checked, not kept: no figure reads them).
func fastCheckpoint(b []byte, res *pathway.CheckpointResult) bool {
	*res = pathway.CheckpointResult{}
	ok := true
	err := eachMember(b, func(key, val []byte) bool {
		if string(val) == "null" {
			ok = !foldsTo(key, "checkpoint", "found", "status", "observed_on")
			return ok
		}
		switch string(key) {
		case "checkpoint":
			ok = plainCheckpoint(val)
		case "found":
			res.Found, ok = plainBool(val)
		case "status":
			var s []byte
			if s, ok = plainString(val); ok {
				// encoding/json takes any string; Valid is checked by the caller.
				if res.Status, ok = kindOf(s); !ok {
					res.Status, ok = pathway.Kind(s), true
				}
			}
		case "observed_on":
			res.ObservedOn, ok = plainDate(val)
		default:
			ok = false
		}
		return ok
	})
	if err != nil || !ok {
		*res = pathway.CheckpointResult{}
		return false
	}
	return true
}

// plainCheckpoint reports whether a checkpoint object is plain and would
// decode without an error.
func plainCheckpoint(b []byte) bool {
	ok := true
	err := eachMember(b, func(key, val []byte) bool {
		if string(val) == "null" {
			ok = !foldsTo(key, "kind", "n", "from", "to", "due")
			return ok
		}
		switch string(key) {
		case "kind":
			_, ok = plainString(val)
		case "n":
			_, ok = plainInt(val)
		case "from", "to", "due":
			_, ok = plainDate(val)
		default:
			ok = false
		}
		return ok
	})
	return err == nil && ok
}
