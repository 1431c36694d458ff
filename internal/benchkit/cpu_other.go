//go:build !unix

package benchkit

import "time"

// CPUTime is 0 where the process's CPU time is not known here.
func CPUTime() time.Duration { return 0 }
