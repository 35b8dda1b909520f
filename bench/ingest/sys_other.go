//go:build !linux

package main

import "os/exec"

// setProcAttr does nothing outside Linux (the memory and CPU figures need /proc anyway).
func setProcAttr(*exec.Cmd) {}

func gettid() int { return 0 }

func fsType(string) string { return "?" }
