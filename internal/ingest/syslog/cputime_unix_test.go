//go:build unix

package syslog_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the test process has
// used: on a shared machine, CPU per operation says more than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
