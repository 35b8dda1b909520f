package sysinfo_test

import (
	"context"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/bench/internal/sysinfo"
)

func TestReaders(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc: Linux only")
	}
	if b, err := sysinfo.BusyTime(); err != nil || b <= 0 {
		t.Errorf("BusyTime = %v, %v", b, err)
	}
	if _, err := sysinfo.ProcCPU(strconv.Itoa(os.Getpid())); err != nil {
		t.Errorf("ProcCPU(self): %v", err)
	}
	if _, err := sysinfo.ProcCPU("0"); err == nil {
		t.Error("ProcCPU of no process: no error")
	}
	if rss, hwm, err := sysinfo.MemStatus("self"); err != nil || rss <= 0 || hwm < rss {
		t.Errorf("MemStatus(self) = %d, %d, %v", rss, hwm, err)
	}
	if _, _, err := sysinfo.MemStatus("0"); err == nil {
		t.Error("MemStatus of no process: no error")
	}
	if c := sysinfo.OtherCores(context.Background(), 50*time.Millisecond); math.IsNaN(c) || c < 0 || c > float64(runtime.NumCPU())+0.5 {
		t.Errorf("OtherCores = %v", c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c := sysinfo.OtherCores(ctx, time.Second); !math.IsNaN(c) {
		t.Errorf("OtherCores after the context ended = %v, want NaN", c)
	}
	if c := sysinfo.WaitQuiet(context.Background(), "test", 0, 0.3, func(float64) { t.Error("busy called without a wait") }); !math.IsNaN(c) {
		t.Errorf("WaitQuiet without a wait = %v, want NaN", c)
	}
	if f := strings.Fields(sysinfo.LoadAvg()); len(f) != 3 {
		t.Errorf("LoadAvg = %q", sysinfo.LoadAvg())
	}
	t.Setenv("KHIEN_DATA_DIR", "/x")
	for _, kv := range sysinfo.ChildEnv() {
		if strings.HasPrefix(kv, "KHIEN_") {
			t.Errorf("ChildEnv keeps %s", kv)
		}
	}
}

func TestDescribeMachine(t *testing.T) {
	m := sysinfo.DescribeMachine()
	if m.CPUs != runtime.NumCPU() {
		t.Errorf("CPUs = %d, want %d", m.CPUs, runtime.NumCPU())
	}
	if runtime.GOOS == "linux" && (m.Kernel == "?" || m.MemTotal == "?" || !strings.HasSuffix(m.MemTotal, " GiB")) {
		t.Errorf("DescribeMachine on Linux = %+v", m)
	}
}
