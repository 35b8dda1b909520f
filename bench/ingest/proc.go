package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ---------------------------------------------------------------------------
// Machine description.

type machine struct {
	cpus       int
	model      string
	memTotal   string
	kernel     string
	binVersion string
}

func (m machine) String() string {
	return fmt.Sprintf("%d vCPU (%s), %s RAM, Linux %s, harness %s %s/%s", m.cpus, m.model, m.memTotal, m.kernel,
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func describeMachine(ctx context.Context, bin string) machine {
	m := machine{cpus: runtime.NumCPU(), model: "?", memTotal: "?", kernel: "?", binVersion: "?"}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.model = strings.TrimSpace(v)
				break
			}
		}
		_ = f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				m.memTotal = strconv.FormatFloat(float64(kb)/(1<<20), 'f', 1, 64) + " GiB"
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	if bin != "" {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(cctx, bin, "version")
		cmd.Env = childEnv()
		if b, err := cmd.Output(); err == nil {
			m.binVersion = strings.TrimSpace(string(b))
		}
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// childEnv is the environment minus any KHIEN_* setting, so that the
// measured server runs on its defaults plus what the harness sets.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KHIEN_") {
			env = append(env, kv)
		}
	}
	return env
}

// ---------------------------------------------------------------------------
// /proc readers.

// procCPU reads the user+system CPU time of /proc/<pid> ("self" for the
// harness), in USER_HZ ticks of 10 ms.
func procCPU(pid string) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// After the command name: field 3 (state) is f[0], so field N is f[N-3].
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed /proc stat times")
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// selfCPU is the harness's CPU time with microsecond resolution.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		d, _ := procCPU("self")
		return d
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

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

// memStatus reads VmRSS and VmHWM (KiB) of /proc/<pid>.
func memStatus(pid string) (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS in /proc status")
	}
	return rss, hwm, nil
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

// busyTime is the CPU time all CPUs spent not idle (/proc/stat, first line).
func busyTime() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, errors.New("malformed /proc/stat")
	}
	var busy int64
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, errors.New("malformed /proc/stat")
		}
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return time.Duration(busy) * 10 * time.Millisecond, nil
}

// cpuMeter measures, over an interval, the CPU used by everything except
// the harness and its child (pid, "" for none).
type cpuMeter struct {
	t0               time.Time
	busy, self, serv time.Duration
	pid              string
}

func startMeter(pid string) cpuMeter {
	m := cpuMeter{t0: time.Now(), pid: pid}
	m.busy, _ = busyTime()
	m.self = selfCPU()
	if pid != "" {
		m.serv, _ = procCPU(pid)
	}
	return m
}

// others is the average number of cores the other processes used since
// the start.
func (m cpuMeter) others() float64 {
	wall := time.Since(m.t0)
	busy, err := busyTime()
	if err != nil || wall <= 0 {
		return math.NaN()
	}
	other := (busy - m.busy) - (selfCPU() - m.self)
	if m.pid != "" {
		if serv, err := procCPU(m.pid); err == nil {
			other -= serv - m.serv
		}
	}
	return max(0, other.Seconds()/wall.Seconds())
}
