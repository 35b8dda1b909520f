package main

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/bench/internal/sysinfo"
)

// ---------------------------------------------------------------------------
// Machine description.

type machine struct {
	sysinfo.Machine
	binVersion string
}

func (m machine) String() string {
	return fmt.Sprintf("%d vCPU (%s), %s RAM, Linux %s, harness %s %s/%s", m.CPUs, m.Model, m.MemTotal, m.Kernel,
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func describeMachine(ctx context.Context, bin string) machine {
	m := machine{Machine: sysinfo.DescribeMachine(), binVersion: "?"}
	if bin != "" {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, bin, "version")
		cmd.Env = sysinfo.ChildEnv()
		if b, err := cmd.Output(); err == nil {
			m.binVersion = strings.TrimSpace(string(b))
		}
	}
	return m
}

// ---------------------------------------------------------------------------
// /proc readers.

// threadCPU is the time thread tid of the harness spent on a CPU
// (/proc/self/task/TID/schedstat, in nanoseconds); 0 once it has ended.
func threadCPU(tid int) time.Duration {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/schedstat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return 0
	}
	ns, _ := strconv.ParseInt(f[0], 10, 64)
	return time.Duration(ns)
}

// dirSize is the sum of the sizes of the regular files under dir (0 when
// it does not exist).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// ---------------------------------------------------------------------------
// Background load: the machine is shared, so every figure comes with how
// much CPU the other processes used meanwhile.

// cpuMeter measures, over an interval, the CPU used by everything except
// the harness and its child (pid, "" for none).
type cpuMeter struct {
	t0               time.Time
	busy, self, serv time.Duration
	pid              string
}

func startMeter(pid string) cpuMeter {
	m := cpuMeter{t0: time.Now(), pid: pid}
	m.busy, _ = sysinfo.BusyTime()
	m.self = selfCPU()
	if pid != "" {
		m.serv, _ = sysinfo.ProcCPU(pid)
	}
	return m
}

// others is the average number of cores the other processes used since
// the start.
func (m cpuMeter) others() float64 {
	wall := time.Since(m.t0)
	busy, err := sysinfo.BusyTime()
	if err != nil || wall <= 0 {
		return math.NaN()
	}
	other := (busy - m.busy) - (selfCPU() - m.self)
	if m.pid != "" {
		if serv, err := sysinfo.ProcCPU(m.pid); err == nil {
			other -= serv - m.serv
		}
	}
	return max(0, other.Seconds()/wall.Seconds())
}
