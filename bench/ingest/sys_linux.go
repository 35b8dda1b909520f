//go:build linux

package main

import (
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"khien.vn/khien/bench/internal/sysinfo"
)

// setProcAttr makes the kernel kill the child if the harness dies without
// cleaning up (SIGKILL, crash).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

func gettid() int { return syscall.Gettid() }

// fsType names the file system holding dir (the spool's fsync cost
// depends on it).
func fsType(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "?"
	}
	switch st.Type {
	case 0xef53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683e:
		return "btrfs"
	case 0x01021994:
		return "tmpfs (fsync costs nothing: not a durable measurement)"
	case 0x794c7630:
		return "overlayfs"
	}
	return "0x" + strconv.FormatUint(uint64(st.Type), 16)
}

// selfCPU is the harness's CPU time with microsecond resolution.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		d, _ := sysinfo.ProcCPU("self")
		return d
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
