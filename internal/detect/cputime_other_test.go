//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package detect_test

import "time"

// cpuTime returns 0: not measured on this system.
func cpuTime() time.Duration { return 0 }
