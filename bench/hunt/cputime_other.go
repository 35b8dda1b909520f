//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "time"

// processCPU returns 0: not measured on this system.
func processCPU() time.Duration { return 0 }
