//go:build linux

package main

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill the child if the harness dies without
// cleaning up (SIGKILL, crash).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
