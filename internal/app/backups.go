package app

import (
	"fmt"
	"os"
	"path/filepath"

	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/secret"
)

// openBackups builds backup assurance over the backend, with the keyring
// that seals repository credentials: data_dir/secrets.key, created on first
// start (docs/backups.md: back it up apart from the database).
func (c *Core) openBackups() error {
	if err := os.MkdirAll(c.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	keys, err := secret.OpenKeyring(filepath.Join(c.Config.DataDir, secret.FileName))
	if err != nil {
		return fmt.Errorf("open the keyring: %w", err)
	}
	c.Backups = backup.NewService(c.Backend, c.Backend, keys, c.Audit)
	return nil
}
