package outcomes

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

// Documents in forms other than the plain one encoding/json writes are
// read as encoding/json reads them: escaped and differently cased keys,
// repeated keys (the last wins), white space, nulls.
func TestFactsDocumentsReadAsEncodingJSON(t *testing.T) {
	cases := []string{
		`{"opened_at":"2024-01-08T09:00:00+02:00","closed_at":"2024-07-08T15:00:00Z","records":[{"name":"destination","data":{"destination":"work_open","date":"2024-07-08"}}]}`,
		` { "OPENED_AT" : "2024-01-08T09:00:00+02:00" , "records" : null } `,
		`{"opened_at":"2024-01-08T09:00:00+02:00","opened_at":"2025-01-08T09:00:00Z","records":[],"records":[{"name":"follow_up_six_months"}]}`,
		`{"\u006fpened_at":"2024-01-08T09:00:00+02:00","closed_at":null,"records":[{"NAME":"destination","Data":{"destination":"studies_other","date":"2024-07-08"}}]}`,
		`{"records":[{"name":"destin\u0061tion","data":{"destination":"studies_other","date":"2024-07-08"}},{"name":"follow_up_upon_leaving","data":null}]}`,
		`{"history":[{"state":"a\"}]","at":"x"}],"records":[{"name":"destination","data":"\\\""},{"data":1,"name":"destination"}]}`,
	}
	for _, doc := range cases {
		opened, closed, records, err := caseMembers([]byte(doc))
		require.NoError(t, err, doc)
		var want struct {
			OpenedAt time.Time `json:"opened_at"`
			ClosedAt time.Time `json:"closed_at"`
			Records  []coaching.Record
		}
		require.NoError(t, json.Unmarshal([]byte(doc), &want), doc)
		var got time.Time
		require.NoError(t, unmarshalTime(opened, &got))
		assert.True(t, want.OpenedAt.Equal(got), doc)
		got = time.Time{}
		require.NoError(t, unmarshalTime(closed, &got))
		assert.True(t, want.ClosedAt.Equal(got), doc)
		c := coaching.Case{Records: want.Records}
		dest, upon, six := []byte(nil), []byte(nil), []byte(nil)
		if records != nil {
			dest, upon, six, err = latestRecords(records)
			require.NoError(t, err, doc)
		}
		for name, got := range map[string][]byte{pathway.RecordDestination: dest, pathway.RecordUponLeaving: upon, pathway.RecordSixMonths: six} {
			data, ok := recordData(&c, name)
			assert.Equal(t, ok, got != nil, "%s: %s", name, doc)
			if ok {
				assert.JSONEq(t, orNull(data), orNull(got), "%s: %s", name, doc)
			}
		}
	}

	for _, doc := range []string{
		`{"gender":"female","education_level":"basic","labour_status":"unemployed","unemployed_months":13,"foreign_background":true,"disability":false}`,
		`{"Gender":"male","unemployed_months":null,"disability":null}`,
		`{"gender":"fem\u0061le","unemployed_months":-0,"foreign_background":false,"foreign_background":true}`,
		`{"unemployed_months":1e1}`,
		`{"third_country_national":true,"minority":false,"disability":null}`,
		`{"MINORITY":true,"Third_Country_National":false}`,
		`{"gender":"male","not_a_fact":1,"minority":true}`,
		`{"disability":true,"disability":null,"unemployed_months":3,"unemployed_months":null,"minority":false}`,
		`{}`,
	} {
		var x factsFiller
		var got, want coaching.Background
		errGot, errWant := x.background([]byte(doc), &got), json.Unmarshal([]byte(doc), &want)
		assert.Equal(t, errWant != nil, errGot != nil, doc)
		if errWant == nil {
			assert.Equal(t, want, got, doc)
		}
	}
	_, _, _, err := caseMembers([]byte(`{"records":[`))
	assert.Error(t, err)
}

// Every fact of coaching.Background is decoded from stored JSON, whether
// or not the fast reader has been taught its key: a fact it does not know
// goes through encoding/json instead of being dropped.
func TestEveryBackgroundFactIsDecoded(t *testing.T) {
	typ := reflect.TypeFor[coaching.Background]()
	require.Positive(t, typ.NumField())
	for i := range typ.NumField() {
		f := typ.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		require.NotEmpty(t, key, f.Name)
		var val string
		switch f.Type.Kind() {
		case reflect.String:
			val = `"x"`
		case reflect.Pointer:
			switch f.Type.Elem().Kind() {
			case reflect.Bool:
				val = "false"
			case reflect.Int:
				val = "0"
			}
		}
		require.NotEmpty(t, val, "the test knows no value for %s (%s)", f.Name, f.Type)
		doc := []byte(`{"` + key + `":` + val + `}`)
		var x factsFiller
		var got coaching.Background
		require.NoError(t, x.background(doc, &got), f.Name)
		assert.False(t, reflect.ValueOf(got).Field(i).IsZero(), "%s (%s) was dropped", f.Name, doc)
	}
}

func orNull(b []byte) string {
	if len(b) == 0 {
		return "null"
	}
	return string(b)
}
