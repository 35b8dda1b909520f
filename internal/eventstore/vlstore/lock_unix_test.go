//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vlstore_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/vlstore"
)

func TestOpenDirLockedByEngine(t *testing.T) {
	// Another process (say a VictoriaLogs server) holds the library's own
	// lock: simulated with a separate open file, which flock treats alike.
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "flock.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Skipf("the temporary directory's file system does not support flock (%v): lock check skipped", err)
	}
	_, err = vlstore.Open(t.Context(), dir, vlstore.Options{})
	if !errors.Is(err, eventstore.ErrInUse) {
		t.Fatalf("Open: %v, want ErrInUse", err)
	}
	// Khiên's own lock was released: once the other process is gone, the
	// directory opens.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	open(t, dir, vlstore.Options{})
}
