// Package migration loads the numbered SQL migrations that each storage
// backend embeds. Applying them is the backend's business: each runs one
// file in one transaction and records its version in schema_version.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema change: the file NNNN_name.sql.
type Migration struct {
	Version int    // NNNN, from 1 up without gaps
	Name    string // the file name
	SQL     string
}

// Load reads dir/*.sql from fsys, sorted by version. File names must start
// with a positive number followed by an underscore, numbers must run from 1
// without gaps or duplicates, and no file may be empty.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		if strings.TrimSpace(string(b)) == "" {
			return nil, fmt.Errorf("migration %s is empty", e.Name())
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d (versions must run from 1 without gaps or duplicates)", m.Name, i+1)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return out, nil
}

// Latest returns the highest version in ms, or 0.
func Latest(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// BehindError reports a database schema older than this build needs, when
// migrations are not applied automatically.
type BehindError struct {
	Current, Latest int
}

func (e *BehindError) Error() string {
	return fmt.Sprintf("database schema is at version %d but this build needs version %d: run `khien migrate` (or enable auto-migration)", e.Current, e.Latest)
}

// AheadError reports a database schema newer than this build knows, which
// happens when an older binary is started on an upgraded database.
type AheadError struct {
	Current, Latest int
}

func (e *AheadError) Error() string {
	return fmt.Sprintf("database schema is at version %d, newer than the %d this build knows: upgrade khien", e.Current, e.Latest)
}

// Check returns a *BehindError or *AheadError when current is not latest.
func Check(current, latest int) error {
	switch {
	case current < latest:
		return &BehindError{Current: current, Latest: latest}
	case current > latest:
		return &AheadError{Current: current, Latest: latest}
	}
	return nil
}
