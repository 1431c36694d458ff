package hoks

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

func loadBench(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile("testdata/ehoks/hoksit.json")
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkDecodeValidateEncode is the full path: decode hoksit.json,
// validate it, encode it back.
func BenchmarkDecodeValidateEncode(b *testing.B) {
	data := loadBench(b)
	opts := ValidateOptions{Today: coaching.NewDate(2025, time.June, 1)}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := Decode(data, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := ValidateWith(p, opts); err != nil {
			b.Fatal(err)
		}
		if _, err := Encode(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineMapAny is encoding/json decoding the same bytes into
// map[string]any, the floor any typed decoder is compared with.
func BenchmarkBaselineMapAny(b *testing.B) {
	data := loadBench(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}
