package httpapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpapi/internal/openapigen"
	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/sis"
)

type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Security   []map[string][]string                  `json:"security"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas         map[string]json.RawMessage `json:"schemas"`
		Responses       map[string]json.RawMessage `json:"responses"`
		SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
	} `json:"components"`
}

type openAPIOperation struct {
	OperationID string `json:"operationId"`
	Security    *[]any `json:"security"`
	Parameters  []struct {
		Name     string `json:"name"`
		In       string `json:"in"`
		Required bool   `json:"required"`
	} `json:"parameters"`
	Responses map[string]json.RawMessage `json:"responses"`
}

// The OpenAPI document describes exactly the routes the service registers:
// the same methods and paths, every path parameter declared, every
// operation with an id, a success response and problem-details errors.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	var doc openAPIDoc
	dec := json.NewDecoder(strings.NewReader(string(openAPI)))
	require.NoError(t, dec.Decode(&doc))
	assert.Regexp(t, `^3\.1\.\d+$`, doc.OpenAPI)
	// Signed in with an OpenID Connect bearer token, or (development, unsafe)
	// the identity headers.
	assert.Equal(t, []map[string][]string{{"bearer": {}}, {"signOn": {}}}, doc.Security)
	assert.JSONEq(t, `"http"`, jsonMember(t, doc.Components.SecuritySchemes["bearer"], "type"))
	assert.JSONEq(t, `"bearer"`, jsonMember(t, doc.Components.SecuritySchemes["bearer"], "scheme"))
	assert.JSONEq(t, `"JWT"`, jsonMember(t, doc.Components.SecuritySchemes["bearer"], "bearerFormat"))

	_, srv := newAPI(t, memory.New(), nil, nil)
	registered := srv.Routes()
	public := map[string]bool{}
	for _, rt := range srv.routes {
		public[rt.method+" "+rt.pattern] = rt.public
	}
	var documented []string
	ids := map[string]bool{}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			t.Run(strings.ToUpper(method)+" "+path, func(t *testing.T) {
				require.NotEmpty(t, op.OperationID)
				assert.False(t, ids[op.OperationID], "operationId %s is unique", op.OperationID)
				ids[op.OperationID] = true
				for _, m := range param.FindAllStringSubmatch(path, -1) {
					found := slices.ContainsFunc(op.Parameters, func(p struct {
						Name     string `json:"name"`
						In       string `json:"in"`
						Required bool   `json:"required"`
					}) bool {
						return p.Name == m[1] && p.In == "path" && p.Required
					})
					assert.True(t, found, "path parameter %s is declared, in path, required", m[1])
				}
				var ok2xx bool
				for code, resp := range op.Responses {
					if code[0] == '2' {
						ok2xx = true
					}
					if code[0] == '4' || code[0] == '5' {
						m := regexp.MustCompile(`^\{"\$ref":"#/components/responses/([A-Za-z]+)"\}$`).FindSubmatch(compact(t, resp))
						require.NotNil(t, m, "error %s refers to a response component: %s", code, resp)
						assert.Contains(t, string(doc.Components.Responses[string(m[1])]), `"application/problem+json"`, "error %s is problem details", code)
					}
				}
				assert.True(t, ok2xx, "a success response")
				if op.Security != nil && len(*op.Security) == 0 {
					assert.True(t, public[strings.ToUpper(method)+" "+path], "only a public route says security: []")
				}
				if op.Security == nil {
					assert.False(t, public[strings.ToUpper(method)+" "+path], "public routes say security: []")
					// Every sign-on failure the authenticators answer.
					assert.JSONEq(t, `{"$ref":"#/components/responses/Unauthorized"}`, string(op.Responses["401"]), "a signed-in route documents 401")
					assert.JSONEq(t, `{"$ref":"#/components/responses/SignOnRefused"}`, string(op.Responses["400"]), "a signed-in route documents 400")
					assert.JSONEq(t, `{"$ref":"#/components/responses/Unavailable"}`, string(op.Responses["503"]), "a signed-in route documents 503")
				}
			})
		}
	}
	slices.Sort(registered)
	slices.Sort(documented)
	assert.Equal(t, registered, documented, "the document and the registered routes agree")

	// Every $ref points at a component that exists.
	refs := regexp.MustCompile(`"#/components/(schemas|responses)/([A-Za-z0-9_]+)"`).FindAllStringSubmatch(string(openAPI), -1)
	require.NotEmpty(t, refs)
	for _, ref := range refs {
		var ok bool
		if ref[1] == "schemas" {
			_, ok = doc.Components.Schemas[ref[2]]
		} else {
			_, ok = doc.Components.Responses[ref[2]]
		}
		assert.True(t, ok, "%s/%s exists", ref[1], ref[2])
	}
}

func compact(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, raw))
	return buf.Bytes()
}

func jsonMember(t *testing.T, raw json.RawMessage, name string) string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	require.Contains(t, m, name)
	return string(m[name])
}

// openapi.json is what the generator writes from openapi.base.json and the
// default models' payload types: a payload type changed without the
// document regenerated fails here.
func TestOpenAPIIsGenerated(t *testing.T) {
	base, err := os.ReadFile("openapi.base.json")
	require.NoError(t, err)
	models, err := DefaultModels()
	require.NoError(t, err)
	want, err := openapigen.Generate(&openapigen.Options{Base: base, Models: models})
	require.NoError(t, err)
	if !bytes.Equal(want, openAPI) {
		t.Fatalf("openapi.json is not what the generator writes from openapi.base.json and the models' payload types: " +
			"edit openapi.base.json (never openapi.json) and run `go generate ./adapters/httpapi`")
	}
}

// The fire operation's payload is one of the events' payload types, each
// event's schema generated from its Go type: EntryAssessment's criteria
// are required and enumerated, as their validate tags have them.
func TestOpenAPIPayloadSchemas(t *testing.T) {
	var doc openAPIDoc
	require.NoError(t, json.Unmarshal(openAPI, &doc))
	models, err := DefaultModels()
	require.NoError(t, err)
	var fire struct {
		Post struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Properties struct {
							Payload struct {
								AnyOf  []map[string]string          `json:"anyOf"`
								Events map[string]map[string]string `json:"x-event-payloads"`
							} `json:"payload"`
						} `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"post"`
	}
	var paths map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(jsonRaw(t, openAPI, "paths"), &paths))
	require.NoError(t, json.Unmarshal(paths["/cases/{case}/events/{event}"], &fire))
	payload := fire.Post.RequestBody.Content["application/json"].Schema.Properties.Payload
	n := 0
	for _, m := range models {
		for _, e := range m.Spec().Events {
			ref, ok := payload.Events[m.Name()][e.Name]
			if e.Payload == nil {
				assert.False(t, ok, "%s/%s takes no payload", m.Name(), e.Name)
				continue
			}
			n++
			name := "Payload_" + m.Name() + "_" + e.Name
			assert.Equal(t, "#/components/schemas/"+name, ref)
			assert.Contains(t, string(doc.Components.Schemas[name]), `"#/components/schemas/`+reflect.TypeOf(e.Payload).Name()+`"`)
			assert.Contains(t, payload.AnyOf, map[string]string{"$ref": "#/components/schemas/" + reflect.TypeOf(e.Payload).Name()})
		}
	}
	assert.Equal(t, 7, n, "the events with a payload")
	assert.JSONEq(t, `["motivation","working_life_skills","attendance_commitment","work_commitment","goal_commitment"]`,
		jsonMember(t, doc.Components.Schemas["EntryAssessment"], "required"))
	assert.JSONEq(t, `false`, jsonMember(t, doc.Components.Schemas["EntryAssessment"], "additionalProperties"))
	assert.JSONEq(t, `{"type":"string","format":"date"}`, jsonMember(t, jsonRaw(t, doc.Components.Schemas["Destination"], "properties"), "date"))
}

func jsonRaw(t *testing.T, raw []byte, name string) json.RawMessage {
	t.Helper()
	return json.RawMessage(jsonMember(t, raw, name))
}

// notWritten are members of the Go types that the API never writes or
// reads, so the document leaves them out: an import through the API never
// updates participants already enrolled (sis.Options.Update), nor runs
// dry or as a full export (sis.Options.DryRun, FullExport), so its report
// has no updated rows, no conflicts, no dry_run flag and no missing
// students.
var notWritten = map[string]map[string]bool{"ImportReport": {"updated": true, "conflicts": true, "dry_run": true, "missing": true}}

// answerOnly are the components only answers have (never a request body):
// their members written whatever the value are required.
var answerOnly = map[string]bool{"Case": true, "AuditEntry": true, "Mark": true, "Notice": true, "HOKSVersion": true,
	"ImportReport": true, "RiskFlag": true}

// alwaysWritten are the JSON members of struct type t that encoding/json
// writes whatever their value (no omitempty, no omitzero).
func alwaysWritten(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,") {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, alwaysWritten(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// jsonMembers are the JSON member names encoding/json writes for struct
// type t, embedded structs flattened.
func jsonMembers(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonMembers(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// The hand-written component schemas list exactly the members of the Go
// types the service writes and reads, so that a member added to a type
// and not to openapi.base.json (or one removed) fails here, whether or not
// an end-to-end test happens to see it.
func TestOpenAPIComponentsHaveTheTypesMembers(t *testing.T) {
	var doc openAPIDoc
	require.NoError(t, json.Unmarshal(openAPI, &doc))
	for name, typ := range map[string]reflect.Type{
		"Problem":      reflect.TypeFor[problem](),
		"FieldProblem": reflect.TypeFor[coaching.FieldProblem](),
		"Contact":      reflect.TypeFor[coaching.Contact](),
		"Guardian":     reflect.TypeFor[coaching.Guardian](),
		"Participant":  reflect.TypeFor[coaching.Participant](),
		"TeamMember":   reflect.TypeFor[coaching.TeamMember](),
		"Enrolment":    reflect.TypeFor[coaching.EnrolParams](),
		"Case":         reflect.TypeFor[coaching.Case](),
		"AuditEntry":   reflect.TypeFor[coaching.AuditEntry](),
		"MarkInput":    reflect.TypeFor[attendance.MarkInput](),
		"Mark":         reflect.TypeFor[attendance.Mark](),
		"Notice":       reflect.TypeFor[coaching.Notice](),
		"HOKSVersion":  reflect.TypeFor[hoksVersion](),
		"ImportReport": reflect.TypeFor[sis.Report](),
		"RiskFlag":     reflect.TypeFor[attendance.RiskFlag](),
	} {
		t.Run(name, func(t *testing.T) {
			var s struct {
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			}
			require.Contains(t, doc.Components.Schemas, name)
			require.NoError(t, json.Unmarshal(doc.Components.Schemas[name], &s))
			documented := slices.Sorted(maps.Keys(s.Properties))
			members := slices.DeleteFunc(jsonMembers(typ), func(m string) bool { return notWritten[name][m] })
			slices.Sort(members)
			assert.Equal(t, members, documented, "the members of %s", typ)
			if answerOnly[name] {
				// What the service writes always is required, so that
				// validating an answer finds one missing.
				always := slices.DeleteFunc(alwaysWritten(typ), func(m string) bool { return notWritten[name][m] })
				slices.Sort(always)
				slices.Sort(s.Required)
				assert.Equal(t, always, s.Required, "the members %s always has", typ)
			}
		})
	}
}
