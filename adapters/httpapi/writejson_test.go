package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The pooled writeJSON answers what MarshalIndent did,
// concurrently and after a failed encoding (a func value does not
// encode), so the pool hands out no buffer holding a failed answer's bytes.
func TestWriteJSONSameBytesAsMarshalIndent(t *testing.T) {
	vals := []any{map[string]any{"a": "<b>&", "r": json.RawMessage(` { "x" : [1, 2] } `)}, []int{}, nil, "\u2028",
		problem{Type: "t", Title: "x", Status: 404, Detail: "d"}}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 200; n++ {
				rec := httptest.NewRecorder()
				writeJSON(rec, 200, "application/json", func() {})
				for _, v := range vals {
					rec := httptest.NewRecorder()
					writeJSON(rec, 200, "application/json", v)
					want, err := json.MarshalIndent(v, "", "  ")
					require.NoError(t, err)
					require.Equal(t, string(append(want, '\n')), rec.Body.String())
				}
			}
		}()
	}
	wg.Wait()
}
