//go:build !linux

package main

import (
	"os/exec"
	"time"
)

// setProcAttr does nothing outside Linux (the memory and CPU figures need /proc anyway).
func setProcAttr(*exec.Cmd) {}

func gettid() int { return 0 }

func fsType(string) string { return "?" }

// selfCPU is not measured outside Linux.
func selfCPU() time.Duration { return 0 }
