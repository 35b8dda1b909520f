//go:build !linux

package vlstore

// totalMemory returns 0: unknown on this system.
func totalMemory() int64 { return 0 }
