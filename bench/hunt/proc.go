package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
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
}

func (m machine) String() string {
	return fmt.Sprintf("%d vCPU (%s), %s RAM, Linux %s, %s %s/%s, GOMAXPROCS %d", m.CPUs, m.Model, m.MemTotal, m.Kernel,
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
}

func describeMachine() machine {
	m := machine{Machine: sysinfo.DescribeMachine()}
	return m
}

// ---------------------------------------------------------------------------
// /proc readers.

// memory is the harness process's memory (KiB) from /proc/self/status.
// The store runs in this process; the engine reads its files through
// mmap, so RssFile counts data pages mapped from the store's files and
// RssAnon the heap.
type memory struct {
	rss, hwm, anon, file int64
}

// memStatus reads VmRSS, VmHWM, RssAnon and RssFile of the harness process.
func memStatus() (memory, error) {
	var m memory
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return m, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			m.rss = n
		case "VmHWM":
			m.hwm = n
		case "RssAnon":
			m.anon = n
		case "RssFile":
			m.file = n
		}
	}
	if m.rss == 0 {
		return m, errors.New("no VmRSS in /proc/self/status")
	}
	return m, nil
}

// threadCPU is the CPU time of the calling OS thread (/proc/thread-self/stat
// fields 14 and 15, in USER_HZ ticks of 10 ms on Linux). The caller must
// have locked its goroutine to the thread.
func threadCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/thread-self/stat")
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

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	return n, err
}

// ---------------------------------------------------------------------------
// Background load: the machine is shared, so every figure comes with how
// much CPU the other processes used meanwhile.

// cpuMeter measures, over an interval, the CPU used by the harness process
// (the store included) and by everything else.
type cpuMeter struct {
	t0         time.Time
	busy, self time.Duration
}

func startMeter() cpuMeter {
	m := cpuMeter{t0: time.Now(), self: processCPU()}
	m.busy, _ = sysinfo.BusyTime()
	return m
}

// others is the average number of cores the other processes used since
// the meter started.
func (m cpuMeter) others() float64 {
	wall := time.Since(m.t0)
	busy, err := sysinfo.BusyTime()
	if err != nil || wall <= 0 {
		return math.NaN()
	}
	other := (busy - m.busy) - (processCPU() - m.self)
	return max(0, other.Seconds()/wall.Seconds())
}

// own is the average number of cores the harness process used since the
// meter started.
func (m cpuMeter) own() float64 {
	wall := time.Since(m.t0)
	if wall <= 0 {
		return math.NaN()
	}
	return (processCPU() - m.self).Seconds() / wall.Seconds()
}

// sleep waits for d or the end of ctx.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// waitQuiet waits, up to the -quiet-wait bound, for a 1 s sample in which
// the other processes use less than -quiet-cores; it returns the last sample.
func (h *harness) waitQuiet(ctx context.Context, what string) float64 {
	return sysinfo.WaitQuiet(ctx, what, h.opts.quietWait, h.opts.quietCores, func(last float64) {
		h.note("%s: machine still busy after %s (other processes %.2f cores); measured anyway", what, h.opts.quietWait, last)
	})
}

// settle waits, up to the -settle-wait bound, until the store's own
// background work (merges after a reopen) uses less than 0.05 cores over
// two consecutive 1 s samples. It returns how long it waited and the last
// sample.
func (h *harness) settle(ctx context.Context) (time.Duration, float64) {
	t0 := time.Now()
	last := math.NaN()
	quiet := 0
	for n := 0; n < 100_000 && time.Since(t0) < h.opts.settleWait; n++ {
		m := startMeter()
		if sleep(ctx, time.Second) != nil {
			break
		}
		last = m.own()
		if last < 0.05 {
			if quiet++; quiet == 2 {
				return time.Since(t0), last
			}
			continue
		}
		quiet = 0
		if n%10 == 0 {
			fmt.Fprintf(os.Stderr, "settle: the store's background work uses %.2f cores\n", last)
		}
	}
	if ctx.Err() == nil {
		h.note("the store's background work still used %.2f cores after %s; hunts measured anyway", last, h.opts.settleWait)
	}
	return time.Since(t0), last
}
