package ehokstest

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

type method int

const (
	methodPost method = iota
	methodPut
	methodPatch
)

// access is a member's rule for a method (schema/generator.clj get-access).
type access int

const (
	optional access = iota
	required
	excluded
)

// topAccess is HOKSModel's top level (hoks/schema.clj l.1016–1150) for
// POST, PUT and PATCH.
func topAccess(key string, list bool, m method) access {
	switch key {
	case "id":
		return [...]access{excluded, required, required}[m]
	case "eid", "manuaalisyotto", "poistettu":
		return excluded
	case "oppija-oid", "opiskeluoikeus-oid":
		return [...]access{required, optional, optional}[m]
	case "ensikertainen-hyvaksyminen", "osaamisen-hankkimisen-tarve":
		return [...]access{required, required, optional}[m]
	}
	if list && m == methodPatch {
		return excluded
	}
	return optional
}

// planKeys are the top-level members of a plan and whether each is a list.
var planKeys = func() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeFor[hoks.Plan]()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		keys[name] = f.Type.Kind() == reflect.Slice
	}
	return keys
}()

// readPlan checks a request body as eHOKS does for method and returns the
// plan to store, or the 400 (or 404-free) answer. old is the stored plan
// for PUT and PATCH.
func (s *Server) readPlan(raw []byte, m method, old *hoks.Plan) (*hoks.Plan, *reply) {
	doc, err := decodeDoc(raw)
	if err != nil {
		return nil, &reply{http.StatusBadRequest, map[string]any{
			"type": "compojure.api.exception/request-parsing", "message": "Malformed application/json request."}}
	}
	var tree any
	for key, v := range doc {
		list, known := planKeys[key]
		if _, isList := v.([]any); isList {
			list = true
		}
		if !known || topAccess(key, list, m) == excluded {
			tree = put(tree, []step{{key: key}}, "disallowed-key")
		}
	}
	for key, list := range planKeys {
		if _, ok := doc[key]; !ok && topAccess(key, list, m) == required {
			tree = put(tree, []step{{key: key}}, "missing-required-key")
		}
	}
	if _, ok := doc["id"]; ok && m != methodPost {
		if _, err := strconv.ParseInt(fmt.Sprint(doc["id"]), 10, 64); err != nil {
			tree = put(tree, []step{{key: "id"}}, "(not (integer? a-value))")
		}
	}
	if tree != nil {
		return nil, validationReply(doc, tree)
	}
	delete(doc, "id")

	// The document to store: the body itself (POST, PUT) or the stored
	// plan with the body's values (PATCH).
	merged := doc
	if m == methodPatch {
		b, err := hoks.Encode(old)
		if err != nil {
			return nil, &reply{http.StatusInternalServerError, nil}
		}
		if merged, err = decodeDoc(b); err != nil {
			return nil, &reply{http.StatusInternalServerError, nil}
		}
		for k, v := range doc {
			merged[k] = v
		}
	}
	if old != nil {
		for key, oldValue := range map[string]*string{"opiskeluoikeus-oid": old.StudyRightOID, "oppija-oid": old.LearnerOID} {
			v, ok := merged[key]
			if !ok {
				merged[key] = *oldValue
				continue
			}
			if str, _ := v.(string); strings.TrimSpace(str) != *oldValue {
				return nil, ptr(errorReply(http.StatusBadRequest, fmt.Sprintf(
					"Tried to update `%s` from `%s` to `%v` but updating `%s` in HOKS is not allowed!", key, *oldValue, v, key)))
			}
		}
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return nil, &reply{http.StatusInternalServerError, nil}
	}
	p, err := hoks.Decode(b, nil)
	var de *hoks.DecodeError
	if errors.As(err, &de) {
		for _, pr := range de.Problems {
			leaf := "(not (" + strconv.Quote(pr.Message) + " a-value))"
			if strings.HasPrefix(pr.Message, "unknown member") {
				leaf = "disallowed-key"
			}
			tree = put(tree, parsePath(pr.Field), leaf)
		}
		return nil, validationReply(doc, tree)
	} else if err != nil {
		return nil, &reply{http.StatusBadRequest, map[string]any{"error": "Malformed request body"}}
	}
	storeForm(p)
	if m != methodPatch {
		walkParts(reflect.ValueOf(p).Elem(), "", true, func(v reflect.Value, path string, module bool) {
			id := v.FieldByName("ID")
			if (module || m == methodPost) && !id.IsNil() {
				tree = put(tree, parsePath(path+".id"), "disallowed-key")
			}
			if module && !v.FieldByName("ModuleID").IsNil() {
				tree = put(tree, parsePath(path+".module-id"), "disallowed-key")
			}
		})
		if tree != nil {
			return nil, validationReply(doc, tree)
		}
	}
	if err := hoks.ValidateWith(p, hoks.ValidateOptions{Today: s.opts.Today}); err != nil {
		var ve *coaching.ValidationError
		if !errors.As(err, &ve) {
			return nil, &reply{http.StatusInternalServerError, nil}
		}
		for _, pr := range ve.Problems {
			path, leaf := schemaLeaf(pr.Field, pr.Message)
			tree = put(tree, parsePath(path), leaf)
		}
		return nil, validationReply(doc, tree)
	}
	return p, nil
}

func ptr[T any](v T) *T { return &v }

// validationReply is compojure-api's request-validation answer.
func validationReply(doc map[string]any, tree any) *reply {
	return &reply{http.StatusBadRequest, map[string]any{
		"type": "compojure.api.exception/request-validation", "coercion": "schema",
		"in": []string{"request", "body-params"}, "value": doc, "errors": tree}}
}

// periodConstraint maps a hoks.Validate problem of an acquisition period
// to the OsaamisenHankkimistapa constraint eHOKS reports for it, on the
// period itself (hoks/schema.clj l.330–372).
var periodConstraint = regexp.MustCompile(`^(.*\.osaamisen-hankkimistavat\[\d+\])\.(osa-aikaisuustieto|yksiloiva-tunniste|oppisopimuksen-perusta-koodi-uri|loppu|tyopaikalla-jarjestettava-koulutus\.tyopaikan-y-tunnus)$`)

// schemaLeaf words a hoks.Validate problem as a prismatic-schema error
// leaf and says where it goes.
func schemaLeaf(field, msg string) (string, string) {
	if msg == "is required" {
		return field, "missing-required-key"
	}
	if m := periodConstraint.FindStringSubmatch(field); m != nil {
		desc := ""
		switch {
		case m[2] == "osa-aikaisuustieto":
			desc = "Lisää osa-aikaisuustieto, joka on välillä 1-100."
		case m[2] == "yksiloiva-tunniste" && strings.HasPrefix(msg, "is required"):
			desc = "Lisää työpaikkajaksoon yksilöivä tunniste."
		case m[2] == "oppisopimuksen-perusta-koodi-uri" && strings.HasPrefix(msg, "is required"):
			desc = "Lisää jaksoon oppisopimuksen perustan koodi-uri."
		case strings.HasSuffix(m[2], "tyopaikan-y-tunnus") && strings.HasPrefix(msg, "is required"):
			desc = "Lisää työpaikkajaksoon työpaikan Y-tunnus."
		case m[2] == "loppu" && strings.HasPrefix(msg, "ends"):
			desc = "Korjaa alku- ja loppupäivämäärä oikein päin."
		case m[2] == "loppu" && strings.Contains(msg, "five years"):
			desc = "Korjaa jakso enintään 5 vuoden pituiseksi."
		}
		if desc != "" {
			return m[1], "(not (" + strconv.Quote(desc) + " a-clojure.lang.PersistentArrayMap))"
		}
	}
	return field, "(not (" + strconv.Quote(msg) + " a-value))"
}

// step is one step of a path: a member or an index.
type step struct {
	key   string
	idx   int
	isIdx bool
}

var indexRE = regexp.MustCompile(`\[(\d+)\]`)

// parsePath splits "a[0].b.c[2]" into steps.
func parsePath(path string) []step {
	var out []step
	if path == "" {
		return []step{{key: ""}}
	}
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			out = append(out, step{key: name})
		}
		if rest != "" {
			for _, m := range indexRE.FindAllStringSubmatch("["+rest, -1) {
				i, _ := strconv.Atoi(m[1])
				out = append(out, step{idx: i, isIdx: true})
			}
		}
	}
	return out
}

// put adds leaf to an error tree at steps: objects for members, arrays
// with null for the elements without an error. A leaf already there wins.
func put(node any, steps []step, leaf string) any {
	if len(steps) == 0 {
		if node != nil {
			return node
		}
		return leaf
	}
	if _, isLeaf := node.(string); isLeaf {
		return node
	}
	st := steps[0]
	if !st.isIdx {
		m, _ := node.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		m[st.key] = put(m[st.key], steps[1:], leaf)
		return m
	}
	a, _ := node.([]any)
	for len(a) <= st.idx {
		a = append(a, nil)
	}
	a[st.idx] = put(a[st.idx], steps[1:], leaf)
	return a
}

// storeForm makes a plan what eHOKS stores: every string trimmed (its
// coercion trims the body's strings) and the instants as its database
// gives them back, in UTC with milliseconds.
func storeForm(p *hoks.Plan) {
	var trim func(v reflect.Value)
	trim = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				trim(v.Elem())
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				trim(v.Index(i))
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					trim(v.Field(i))
				}
			}
		case reflect.String:
			v.SetString(strings.TrimSpace(v.String()))
		}
	}
	trim(reflect.ValueOf(p).Elem())
	for _, in := range []*hoks.Instant{&p.Approved, &p.Updated, &p.Deleted} {
		if !in.IsZero() {
			*in = hoks.InstantOf(in.Time.UTC())
		}
	}
}

var supportingStudyType = reflect.TypeFor[hoks.SupportingStudy]()

// walkParts calls fn for every part of a plan that eHOKS gives an id of
// its own: the units, sub-areas, acquisition periods and demonstrations
// (module is true: they also have a module-id) and the supporting studies.
func walkParts(v reflect.Value, path string, root bool, fn func(v reflect.Value, path string, module bool)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkParts(v.Elem(), path, false, fn)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkParts(v.Index(i), path+"["+strconv.Itoa(i)+"]", false, fn)
		}
	case reflect.Struct:
		t := v.Type()
		if !root {
			if _, ok := t.FieldByName("ModuleID"); ok {
				fn(v, path, true)
			} else if t == supportingStudyType {
				fn(v, path, false)
			}
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if k := f.Type.Kind(); k == reflect.Slice || (k == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct) {
				walkParts(v.Field(i), joinPath(path, name), false, fn)
			}
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// assignIDs gives every part of p a new id (and module-id), as eHOKS's
// insert does. Called with s.mu held.
func (s *Server) assignIDs(p *hoks.Plan) {
	walkParts(reflect.ValueOf(p).Elem(), "", true, func(v reflect.Value, _ string, module bool) {
		s.nextChild++
		v.FieldByName("ID").Set(reflect.ValueOf(hoks.Ref(s.nextChild)))
		if module {
			v.FieldByName("ModuleID").Set(reflect.ValueOf(hoks.Ref(newUUID())))
		}
	})
}

// addEmptyLists sets the plan's absent lists to empty ones, as eHOKS's
// GET answers.
func addEmptyLists(p *hoks.Plan) {
	v := reflect.ValueOf(p).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Slice && f.IsNil() && v.Type().Field(i).Tag.Get("json") != "" {
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
		}
	}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
