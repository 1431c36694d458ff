//go:build !race

package coaching_test

// raceEnabled: the race detector is on, and it changes what allocates.
const raceEnabled = false
