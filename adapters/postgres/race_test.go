//go:build race

package postgres_test

// raceEnabled reports whether the tests run under the race detector, which
// makes encoding/json about ten times slower: the hostile-string tests
// then send their 10 MB value through fewer fields (see TestHostileStrings).
const raceEnabled = true
