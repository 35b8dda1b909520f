package sysinfo_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

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
