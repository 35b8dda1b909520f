//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package spool_test

import "time"

// cpuTime is not measured here.
func cpuTime() time.Duration { return 0 }
