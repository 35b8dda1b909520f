// Package sysinfo reads what the benchmark harnesses report about the
// machine and the processes they measure: system-wide busy CPU time,
// a process's CPU time, the load average (Linux /proc; elsewhere the
// readers return errors or "?"), and the environment a measured child gets.
package sysinfo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// BusyTime is the CPU time all CPUs spent not idle (/proc/stat, first line).
func BusyTime() (time.Duration, error) {
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

// ProcCPU is the user + system CPU time of process pid (/proc/PID/stat).
func ProcCPU(pid string) (time.Duration, error) {
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

// LoadAvg is the 1, 5 and 15 minute load average, or "?".
func LoadAvg() string {
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

// ChildEnv is the harness's environment without KHIEN_* variables, so that
// a measured khien runs with only what the harness sets.
func ChildEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KHIEN_") {
			env = append(env, kv)
		}
	}
	return env
}

// Machine describes the computer a benchmark ran on.
type Machine struct {
	CPUs     int
	Model    string // CPU model name, "?" when unknown
	MemTotal string // e.g. "23.5 GiB", "?" when unknown
	Kernel   string // Linux release, "?" when unknown
}

// DescribeMachine reads the CPU model, memory and kernel from /proc.
func DescribeMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Model: "?", MemTotal: "?", Kernel: "?"}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
		_ = f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				m.MemTotal = strconv.FormatFloat(float64(kb)/(1<<20), 'f', 1, 64) + " GiB"
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// MemStatus reads VmRSS and VmHWM (KiB) of process pid ("self" for the
// caller) from /proc/PID/status.
func MemStatus(pid string) (rss, hwm int64, err error) {
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

// OtherCores samples for d and returns the average number of cores that
// processes other than the caller used meanwhile (NaN when /proc cannot
// tell, or ctx ended first).
func OtherCores(ctx context.Context, d time.Duration) float64 {
	t0 := time.Now()
	busy0, err1 := BusyTime()
	self0, err2 := ProcCPU("self")
	if err1 != nil || err2 != nil {
		return math.NaN()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return math.NaN()
	case <-t.C:
	}
	busy1, err1 := BusyTime()
	self1, err2 := ProcCPU("self")
	wall := time.Since(t0)
	if err1 != nil || err2 != nil || wall <= 0 {
		return math.NaN()
	}
	return max(0, ((busy1-busy0)-(self1-self0)).Seconds()/wall.Seconds())
}

// WaitQuiet waits, up to maxWait, for a 1 s sample in which other
// processes use fewer than quietCores cores, and returns the last sample
// (NaN without a wait or without /proc). It reports on stderr that it is
// waiting, and calls busy when it gives up (the figure is measured
// anyway, and the harness notes it).
func WaitQuiet(ctx context.Context, what string, maxWait time.Duration, quietCores float64, busy func(last float64)) float64 {
	if maxWait <= 0 {
		return math.NaN()
	}
	deadline := time.Now().Add(maxWait)
	last := math.NaN()
	for n := 0; n < 10_000; n++ {
		last = OtherCores(ctx, time.Second)
		if ctx.Err() != nil || last < quietCores || math.IsNaN(last) {
			return last
		}
		if time.Now().After(deadline) {
			busy(last)
			return last
		}
		if n == 0 {
			fmt.Fprintf(os.Stderr, "%s: waiting for a quiet machine (other processes use %.2f cores)\n", what, last)
		}
	}
	return last
}
