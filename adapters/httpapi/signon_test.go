package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/httpauth"
	"github.com/valmennus/valmennus/adapters/memory"
)

// rawDo sends a request with the headers exactly as listed, repeats
// included (the way curl sends two -H options with one name).
func (s *liveService) rawDo(t testing.TB, method, path string, body io.Reader, headers [][2]string) response {
	t.Helper()
	var reqBody []byte
	if body != nil {
		var err error
		reqBody, err = io.ReadAll(body) // kept for the OpenAPI validation
		require.NoError(t, err)
		body = bytes.NewReader(reqBody)
	}
	req, err := http.NewRequest(method, s.base+path, body)
	require.NoError(t, err)
	for _, h := range headers {
		req.Header.Add(h[0], h[1])
	}
	res, err := s.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	out := response{status: res.StatusCode, header: res.Header, body: data}
	validateExchange(t, req, reqBody, out) // every answer as the OpenAPI document has it
	return out
}

// An ambiguous or reserved sign-on identity is refused with a 400 naming
// the header, before the engine sees any actor: a repeated header (whose
// first value would otherwise win, so a client's header sent before the
// gateway's would be believed), a comma-joined list in a single-valued
// header, and the engine's reserved "system" role or id.
func TestSignOnHeadersAreUnambiguous(t *testing.T) {
	s := startService(t, memory.New())
	e := enrolment("valo", "Aino", "1994-05-17", team("coach-1", "coach"))
	e["case_id"] = "school-1:case-1"
	r := s.do(t, coachHdr, "POST", "/enrolments", e)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)

	coach := [][2]string{{httpauth.HeaderActorID, "coach-1"}, {httpauth.HeaderActorRoles, "coach"}, {httpauth.HeaderOrganisation, "school-1"}}
	plus := func(extra ...[2]string) [][2]string { return append(append([][2]string{}, coach...), extra...) }
	for _, tc := range []struct {
		name    string
		headers [][2]string
		header  string
	}{
		{"a second actor id", plus([2]string{httpauth.HeaderActorID, "parent-9"}), httpauth.HeaderActorID},
		{"a second role list", plus([2]string{httpauth.HeaderActorRoles, "head_of_studies"}), httpauth.HeaderActorRoles},
		{"a second organisation", plus([2]string{httpauth.HeaderOrganisation, "school-2"}), httpauth.HeaderOrganisation},
		{"a second guardian list", plus([2]string{httpauth.HeaderGuardianOf, "p-1"}, [2]string{httpauth.HeaderGuardianOf, "p-2"}), httpauth.HeaderGuardianOf},
		{"a second participant", plus([2]string{httpauth.HeaderSelf, "p-1"}, [2]string{httpauth.HeaderSelf, "p-2"}), httpauth.HeaderSelf},
		{"a second purpose", plus([2]string{httpauth.HeaderPurpose, "a"}, [2]string{httpauth.HeaderPurpose, "b"}), httpauth.HeaderPurpose},
		{"a comma-joined actor id", [][2]string{{httpauth.HeaderActorID, "parent-9, coach-1"}, {httpauth.HeaderActorRoles, "coach"}, {httpauth.HeaderOrganisation, "school-1"}}, httpauth.HeaderActorID},
		{"a comma-joined organisation", [][2]string{{httpauth.HeaderActorID, "coach-1"}, {httpauth.HeaderActorRoles, "coach"}, {httpauth.HeaderOrganisation, "school-2,school-1"}}, httpauth.HeaderOrganisation},
		{"a comma-joined participant", plus([2]string{httpauth.HeaderSelf, "p-1,p-2"}), httpauth.HeaderSelf},
		{"the reserved role", [][2]string{{httpauth.HeaderActorID, "coach-1"}, {httpauth.HeaderActorRoles, "coach, system"}, {httpauth.HeaderOrganisation, "school-1"}}, httpauth.HeaderActorRoles},
		{"the reserved role in capitals", [][2]string{{httpauth.HeaderActorID, "coach-1"}, {httpauth.HeaderActorRoles, "SYSTEM"}, {httpauth.HeaderOrganisation, "school-1"}}, httpauth.HeaderActorRoles},
		{"the reserved id", [][2]string{{httpauth.HeaderActorID, "system"}, {httpauth.HeaderActorRoles, "coach"}, {httpauth.HeaderOrganisation, "school-1"}}, httpauth.HeaderActorID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.rawDo(t, "GET", "/cases/school-1:case-1", nil, tc.headers)
			require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
			assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
			p := r.json(t)
			assert.Equal(t, tc.header, p["header"])
			assert.EqualValues(t, http.StatusBadRequest, p["status"])
			assert.Contains(t, p["detail"], tc.header)
			assert.NotContains(t, string(r.body), `"state"`, "no case in the answer")
		})
	}

	// A purpose with commas is one free-text value; a list header given once
	// with several values is what the gateway sends.
	r = s.rawDo(t, "GET", "/cases/school-1:case-1", nil, plus([2]string{httpauth.HeaderPurpose, "planning, follow-up"}))
	assert.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = s.rawDo(t, "GET", "/cases/school-1:case-1", nil, [][2]string{{httpauth.HeaderActorID, "coach-1"}, {httpauth.HeaderActorRoles, "coach, teacher"}, {httpauth.HeaderOrganisation, "school-1"}})
	assert.Equal(t, http.StatusOK, r.status, "%s", r.body)
}

// An import without team_role puts the importing staff member on every new
// case's team in their own role, so they are not locked out of the cases
// they just created.
func TestImportWithoutTeamRoleKeepsTheImporterOnTheCases(t *testing.T) {
	s := startService(t, memory.New())
	csv := "external_id;given_names;family_name;birth_date;email;language;group;start_date\r\n" +
		"S1;Eetu;Esimerkki;2008-06-30;eetu@example.fi;fi;TVO24A;2024-03-01\r\n" +
		"S2;Ella;Esimerkki;2008-02-10;ella@example.fi;fi;TVO24A;2024-03-01\r\n"
	r := s.do(t, tutorHdr, "POST", "/imports?model=first_year_pilot", csv)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	enrolled := r.json(t)["enrolled"].([]any)
	require.Len(t, enrolled, 2)
	for _, e := range enrolled {
		id := e.(map[string]any)["case"].(string)
		r = s.do(t, tutorHdr, "GET", "/cases/"+id, nil)
		require.Equal(t, http.StatusOK, r.status, "the importing tutor reads the case they created: %s", r.body)
		team := mustJSON(t, r.json(t)["case"].(map[string]any)["team"])
		assert.Contains(t, team, `"actor_id":"tutor-1"`)
		assert.Contains(t, team, `"role":"personal_tutor"`)
	}

	// The first of the importer's roles that a team member holds: a
	// counsellor who is also a teacher joins as the counsellor.
	counsellor := caller{httpauth.HeaderActorID: "counsellor-1", httpauth.HeaderActorRoles: "head_of_studies,study_counsellor,teacher", httpauth.HeaderOrganisation: "school-1"}
	r = s.do(t, counsellor, "POST", "/imports?model=first_year_pilot", strings.ReplaceAll(csv, "\nS", "\nT"))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	id := r.json(t)["enrolled"].([]any)[0].(map[string]any)["case"].(string)
	r = s.do(t, counsellor, "GET", "/cases/"+id, nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Contains(t, mustJSON(t, r.json(t)["case"].(map[string]any)["team"]), `"role":"study_counsellor"`)
}

// The OpenAPI document names the models an import accepts: exactly the
// ones the service runs by default.
func TestOpenAPINamesTheImportModels(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name     string                     `json:"name"`
				Examples map[string]json.RawMessage `json:"examples"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(openAPI, &doc))
	models, err := DefaultModels()
	require.NoError(t, err)
	var want []string
	for _, m := range models {
		want = append(want, m.Name())
	}
	for _, p := range doc.Paths["/imports"]["post"].Parameters {
		if p.Name == "model" {
			assert.ElementsMatch(t, want, slices.Collect(maps.Keys(p.Examples)))
			return
		}
	}
	t.Fatal("POST /imports documents no model parameter")
}
