//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vlstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"khien.vn/khien/internal/eventstore"
)

// lockDir takes Khiên's own lock on dir (khien.lock, held until Close) and
// checks that the library's lock (flock.lock) is free, so that a directory
// in use by another store — in this process or another, Khiên or a
// VictoriaLogs server — gives ErrInUse instead of the library's panic.
// flock locks belong to an open file, so a second Open in the same process
// conflicts too.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open event store lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by another Khiên store", eventstore.ErrInUse, dir)
		}
		return nil, fmt.Errorf("lock event store %s: %w", dir, err)
	}
	if err := checkFree(filepath.Join(dir, engineLockFileName)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkFree returns ErrInUse when another process holds the lock at path.
func checkFree(path string) error {
	g, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check event store engine lock: %w", err)
	}
	defer g.Close()
	if err := syscall.Flock(int(g.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("%w: %s is held by another process (a VictoriaLogs server?)", eventstore.ErrInUse, filepath.Dir(path))
		}
		return fmt.Errorf("check event store engine lock: %w", err)
	}
	return syscall.Flock(int(g.Fd()), syscall.LOCK_UN)
}
