package vlstore

import (
	"syscall"

	"github.com/VictoriaMetrics/VictoriaMetrics/lib/cgroup"
)

// totalMemory returns the memory the library will see as the machine's
// (RAM, or the cgroup limit when lower), as it computes it.
func totalMemory() int64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	total := int64(si.Totalram) * int64(si.Unit)
	for _, limit := range []int64{cgroup.GetMemoryLimit(), cgroup.GetHierarchicalMemoryLimit()} {
		if limit > 0 && limit < total {
			return limit
		}
	}
	return total
}
