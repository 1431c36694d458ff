package httpapi

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
)

type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas   map[string]json.RawMessage `json:"schemas"`
		Responses map[string]json.RawMessage `json:"responses"`
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

	_, srv := newAPI(t, memory.New(), nil, nil)
	registered := srv.Routes()
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
						assert.Contains(t, string(resp), "#/components/responses/Problem", "error %s is problem details", code)
					}
				}
				assert.True(t, ok2xx, "a success response")
				if op.Security == nil {
					_, public := slices.BinarySearch([]string{"/healthz", "/openapi.json"}, path)
					assert.False(t, public, "public routes say security: []")
					assert.Contains(t, op.Responses, "401", "a signed-in route documents 401")
				}
			})
		}
	}
	slices.Sort(registered)
	slices.Sort(documented)
	assert.Equal(t, registered, documented, "the document and the registered routes agree")

	// Every $ref points at a component that exists.
	refs := regexp.MustCompile(`"#/components/(schemas|responses)/([A-Za-z]+)"`).FindAllStringSubmatch(string(openAPI), -1)
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
