//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package detect_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) the process has used: on a
// shared machine, events per CPU-second vary less than events per second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
