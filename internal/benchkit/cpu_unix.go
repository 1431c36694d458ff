//go:build unix

package benchkit

import (
	"syscall"
	"time"
)

// CPUTime is the user and system CPU time this process has used (every
// thread: the garbage collector's work counts), or 0 when unknown.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
