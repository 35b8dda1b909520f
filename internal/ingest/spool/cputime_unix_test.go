//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package spool_test

import (
	"syscall"
	"time"
)

// cpuTime returns the user and system CPU time this process has used, so
// that benchmarks can report CPU cost per event, which, unlike wall time,
// other load on the machine barely changes.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
