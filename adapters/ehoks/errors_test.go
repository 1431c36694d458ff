package ehoks

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// The 400 bodies below are eHOKS's own, from its tests
// (hoks_handler_test.clj create-new-hoks-without-osa-aikaisuus,
// invalid_hoks_handler_test.clj y-tunnus-validation-failure), with the
// request echo ("value") that must never reach the error.
func TestParseValidationAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want []coaching.FieldProblem
	}{{
		name: "constraint on a period",
		body: `{"type":"compojure.api.exception/request-validation","coercion":"schema","in":["request","body-params"],
		  "value":{"oppija-oid":"1.2.246.562.24.12312312319","sahkoposti":"matti.meikalainen@example.fi"},
		  "errors":{"hankittavat-ammat-tutkinnon-osat":[{"osaamisen-hankkimistavat":["(not (\"Lisää osa-aikaisuustieto, joka on välillä 1-100.\" a-clojure.lang.PersistentArrayMap))"]}]}}`,
		want: []coaching.FieldProblem{{Field: "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0]", Message: "Lisää osa-aikaisuustieto, joka on välillä 1-100."}},
	}, {
		name: "predicate on a value",
		body: `{"errors":{"hankittavat-ammat-tutkinnon-osat":[{"osaamisen-hankkimistavat":[{"tyopaikalla-jarjestettava-koulutus":{"tyopaikan-y-tunnus":"(not (re-find #\"^[0-9]{7}-[0-9]$\" \"1234567-1 \"))"}}]}]}}`,
		want: []coaching.FieldProblem{{Field: "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0].tyopaikalla-jarjestettava-koulutus.tyopaikan-y-tunnus",
			Message: `(not (re-find #"^[0-9]{7}-[0-9]$" …))`}},
	}, {
		name: "keys, nulls for good elements",
		body: `{"errors":{"oppija-oid":"missing-required-key","eid":"disallowed-key",
		  "hankittavat-yhteiset-tutkinnon-osat":[null,{"osa-alueet":[null,{"osaamisen-hankkimistavat":[null,null,{"module-id":"disallowed-key"}]}]}]}}`,
		want: []coaching.FieldProblem{
			{Field: "eid", Message: "is not allowed here"},
			{Field: "hankittavat-yhteiset-tutkinnon-osat[1].osa-alueet[1].osaamisen-hankkimistavat[2].module-id", Message: "is not allowed here"},
			{Field: "oppija-oid", Message: "is required"},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := parseError("POST", "/hoks", http.StatusBadRequest, []byte(tc.body))
			require.Equal(t, tc.want, e.Problems)
			var ve *coaching.ValidationError
			require.True(t, errors.As(e, &ve))
			require.Equal(t, tc.want, ve.Problems)
			require.NotContains(t, e.Error(), "matti.meikalainen")
			require.False(t, errors.Is(e, ErrExists))
		})
	}
}

func TestParseErrorAnswers(t *testing.T) {
	e := parseError("POST", "/hoks", http.StatusBadRequest, []byte(`{"error":"HOKS with the same opiskeluoikeus-oid already exists"}`))
	require.ErrorIs(t, e, ErrExists)
	require.ErrorIs(t, e, coaching.ErrInvalid)
	require.Equal(t, []coaching.FieldProblem{{Field: "opiskeluoikeus-oid", Message: "HOKS with the same opiskeluoikeus-oid already exists"}}, e.Problems)

	e = parseError("POST", "/hoks", http.StatusBadRequest, []byte(`{"error":"Oppija `+"`1.2.246.562.24.12312312319`"+` not found in Oppijanumerorekisteri"}`))
	require.Equal(t, "oppija-oid", e.Problems[0].Field)
	require.NotErrorIs(t, e, ErrExists)

	e = parseError("GET", "/hoks/:id", http.StatusBadGateway, []byte(`<html>Bad gateway</html>`))
	require.Equal(t, "ehoks: GET /hoks/:id: 502 Bad Gateway", e.Error())
	require.Nil(t, e.Unwrap())

	e = parseError("GET", "/hoks/:id", http.StatusNotFound, []byte(`{"error":"HOKS not found"}`))
	require.ErrorIs(t, e, ErrNotFound)
	require.Empty(t, e.Problems)
}

// A schema leaf quotes the value eHOKS refused; the problem keeps the
// predicate or the constraint's description and the path, never the
// value, and a message is never longer than maxMessage bytes nor holds an
// identity code.
func TestSchemaLeafWithoutTheRefusedValue(t *testing.T) {
	long := strings.Repeat("Lisää tieto, joka on välillä 1-100. ", 20)
	for leaf, want := range map[string]string{
		`(not (string-shorter-than? "Opiskelija 010101-123N tarvitsee tukea"))`:                        `(not (string-shorter-than? …))`,
		`(not (re-find #"^[0-9]{7}-[0-9]$" "Matti Meikäläinen, \"tuki\" (ks. liite)"))`:                `(not (re-find #"^[0-9]{7}-[0-9]$" …))`,
		`(not (instance? java.lang.String 12345))`:                                                     `(not (instance? java.lang.String …))`,
		`(not (#{"a" "b"} "Meikäläinen"))`:                                                             `(not (#{"a" "b"} …))`,
		`(not (map? {:nimi "Matti"}))`:                                                                 `(not (map? …))`,
		`(not ("Lisää osa-aikaisuustieto, joka on välillä 1-100." a-clojure.lang.PersistentArrayMap))`: "Lisää osa-aikaisuustieto, joka on välillä 1-100.",
		`(not ("Tarkista 010101-123N" a-clojure.lang.PersistentArrayMap))`:                             refusedValue,
		`(not ("` + long + `" a-clojure.lang.PersistentArrayMap))`:                                     strings.TrimRight(long[:maxMessage-len("…")], "\xa4\xc3") + "…",
		`(named (not (string? 12)) "Matti")`:                                                           refusedValue,
		`(not (re-find #"x" "unterminated))`:                                                           refusedValue,
		`Matti Meikäläinen`:                                                                            refusedValue,
	} {
		got := humanMessage(leaf)
		require.Equal(t, want, got, leaf)
		require.LessOrEqual(t, len(got), maxMessage)
		require.True(t, utf8.ValidString(got), got)
	}
}

// eHOKS's answer to a HOKS whose free text holds an identity code: the
// error callers log has the path and the predicate, not the text.
func TestSchemaErrorDoesNotEchoTheValue(t *testing.T) {
	e := parseError("PUT", "/hoks/:id", http.StatusBadRequest, []byte(`{"errors":{"hankittavat-ammat-tutkinnon-osat":[{"lisatiedot":"(not (string-shorter-than? \"Opiskelija 010101-123N tarvitsee tukea\"))"}],"010101-123N":"disallowed-key"}}`))
	require.Equal(t, []coaching.FieldProblem{
		{Field: "?", Message: "is not allowed here"},
		{Field: "hankittavat-ammat-tutkinnon-osat[0].lisatiedot", Message: "(not (string-shorter-than? …))"},
	}, e.Problems)
	require.NotContains(t, e.Error(), "010101-123N")
	require.NotContains(t, e.Error(), "tarvitsee tukea")

	e = parseError("GET", "/hoks/:id", http.StatusInternalServerError, []byte(`{"error":"Oppija 010101-123N: `+strings.Repeat("x", 500)+`"}`))
	require.Equal(t, refusedValue, e.Message)
	e = parseError("GET", "/hoks/:id", http.StatusInternalServerError, []byte(`{"error":"`+strings.Repeat("ä", 500)+`"}`))
	require.Len(t, e.Message, maxMessage-1)
	require.True(t, utf8.ValidString(e.Message))
}
