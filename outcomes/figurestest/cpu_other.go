//go:build !unix

package figurestest

import "time"

// cpuTime is not measured on this system: cpu-ns/case reads 0.
func cpuTime() time.Duration { return 0 }
