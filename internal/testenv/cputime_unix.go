//go:build unix

package testenv

import (
	"syscall"
	"time"
)

// ProcessCPU returns the user and system time the process has used,
// which, unlike wall time, other processes on a busy machine inflate
// little: benchmarks report it beside their wall time.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
