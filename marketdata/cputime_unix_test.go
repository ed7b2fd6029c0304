//go:build unix

package marketdata

import (
	"syscall"
	"time"
)

// processCPUTime returns the user and system time the process has used,
// which, unlike wall time, other processes on a busy machine do not
// inflate.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
