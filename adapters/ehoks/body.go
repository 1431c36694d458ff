package ehoks

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// readOnly are the top-level members eHOKS fills in and refuses in every
// request body (hoks/schema.clj HOKSModel: :eid, :manuaalisyotto and
// :poistettu are excluded for every method; :id for POST, and set from
// the call's id for PUT and PATCH).
var readOnly = []string{"id", "eid", "manuaalisyotto", "poistettu"}

// requestBody writes p as the body of method: HOKSLuonti for POST,
// HOKSKorvaus for PUT (both without read-only members and without the
// parts' ids and module-ids, which eHOKS excludes there), HOKSPaivitys for
// PATCH (top-level values only, with the id).
func requestBody(p *hoks.Plan, method string, id int64) ([]byte, error) {
	if p == nil {
		return nil, &coaching.ValidationError{Subject: "HOKS", Problems: []coaching.FieldProblem{{Message: "plan is missing"}}}
	}
	doc, err := toMap(p)
	if err != nil {
		return nil, err
	}
	for _, k := range readOnly {
		delete(doc, k)
	}
	switch method {
	case http.MethodPost, http.MethodPut:
		for k, v := range doc {
			doc[k] = stripIDs(v)
		}
	case http.MethodPatch:
		var lists []string
		for k, v := range doc {
			if _, ok := v.([]any); ok {
				lists = append(lists, k)
			}
		}
		if len(lists) > 0 {
			sort.Strings(lists)
			problems := make([]coaching.FieldProblem, len(lists))
			for i, k := range lists {
				problems[i] = coaching.FieldProblem{Field: k, Message: "eHOKS's PATCH cannot change a list of parts; leave it unset or use Put"}
			}
			return nil, &coaching.ValidationError{Subject: "HOKS patch", Problems: problems}
		}
	}
	if method != http.MethodPost {
		doc["id"] = id
	}
	return marshal(doc)
}

// stripIDs removes "id" and "module-id" from every object in v.
func stripIDs(v any) any {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "id")
		delete(v, "module-id")
		for k, x := range v {
			v[k] = stripIDs(x)
		}
	case []any:
		for i, x := range v {
			v[i] = stripIDs(x)
		}
	}
	return v
}

func toMap(p *hoks.Plan) (map[string]any, error) {
	b, err := hoks.Encode(p)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Normalize returns a copy of p as eHOKS would store it: every string
// trimmed (eHOKS trims the strings of a request body) and the instants
// (hyvaksytty, paivitetty, poistettu) written as eHOKS writes them, in UTC
// with milliseconds. Compare a plan with eHOKS's copy of it with
// hoks.Diff(Normalize(ours), Normalize(theirs)): the read-only members eHOKS
// adds are ignored by [hoks.Diff].
func Normalize(p *hoks.Plan) (*hoks.Plan, error) {
	if p == nil {
		return nil, errors.New("ehoks: Normalize of a nil plan")
	}
	doc, err := toMap(p)
	if err != nil {
		return nil, err
	}
	trimStrings(doc)
	b, err := marshal(doc)
	if err != nil {
		return nil, err
	}
	q, err := hoks.Decode(b, &hoks.DecodeOptions{KeepUnknown: true})
	if err != nil {
		return nil, err
	}
	for _, in := range []*hoks.Instant{&q.Approved, &q.Updated, &q.Deleted} {
		if !in.IsZero() {
			*in = hoks.InstantOf(in.Time)
		}
	}
	return q, nil
}

// trimStrings trims every string value in v, in place.
func trimStrings(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = trimStrings(x)
		}
	case []any:
		for i, x := range v {
			v[i] = trimStrings(x)
		}
	case string:
		return strings.TrimSpace(v)
	}
	return v
}
