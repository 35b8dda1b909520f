//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package vlstore

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockDir opens Khiên's lock file. Without flock on this system, a
// directory in use is detected only by the library, which panics; Open
// turns the panic into an error.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open event store lock: %w", err)
	}
	return f, nil
}
