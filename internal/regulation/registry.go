package regulation

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// embedded holds the packs shipped in the binary.
//
//go:embed packs/*.yaml
var embedded embed.FS

// Registry holds the packs available to an installation, by id. It is safe
// for concurrent use; the packs it returns are immutable.
type Registry struct {
	mu    sync.RWMutex
	packs map[string]*Pack
}

// LoadEmbedded loads the packs shipped in the binary.
func LoadEmbedded() (*Registry, error) {
	sub, err := fs.Sub(embedded, "packs")
	if err != nil {
		return nil, fmt.Errorf("load embedded packs: %w", err)
	}
	packs, err := loadFS(sub, func(name string) string { return "embedded:" + name })
	if err != nil {
		return nil, fmt.Errorf("load embedded packs: %w", err)
	}
	return &Registry{packs: packs}, nil
}

// Load loads every pack file (*.yaml, *.yml) at the root of fsys. Problems
// in any file are returned together in a *ValidationError.
func Load(fsys fs.FS) (*Registry, error) {
	packs, err := loadFS(fsys, func(name string) string { return name })
	if err != nil {
		return nil, err
	}
	return &Registry{packs: packs}, nil
}

// Override loads the packs in dir: each replaces the pack with the same id
// or adds a new one. Either every pack of dir is valid and applied, or none
// is and the registry is unchanged.
func (r *Registry) Override(dir string) error {
	packs, err := loadFS(os.DirFS(dir), func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) })
	if err != nil {
		return fmt.Errorf("override packs from %s: %w", dir, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	merged := make(map[string]*Pack, len(r.packs)+len(packs))
	for id, p := range r.packs {
		merged[id] = p
	}
	for id, p := range packs {
		merged[id] = p
	}
	r.packs = merged
	return nil
}

// ValidateDir checks every pack file in dir and returns all problems (a
// *ValidationError), or nil. A directory without pack files is an error.
func ValidateDir(dir string) error {
	packs, err := loadFS(os.DirFS(dir), func(name string) string { return filepath.Join(dir, filepath.FromSlash(name)) })
	if err != nil {
		return err
	}
	if len(packs) == 0 {
		return fmt.Errorf("%s: no pack files (*.yaml, *.yml)", dir)
	}
	return nil
}

// Pack returns the pack with the given id.
func (r *Registry) Pack(id string) (*Pack, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.packs[id]
	return p, ok
}

// Packs returns every pack, sorted by id.
func (r *Registry) Packs() []*Pack {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Pack, 0, len(r.packs))
	for _, p := range r.packs {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Pack) int { return strings.Compare(a.id, b.id) })
	return out
}

// loadFS parses every pack file at the root of fsys; display turns a file
// name into the name used in messages and Pack.Origin.
func loadFS(fsys fs.FS, display func(string) string) (map[string]*Pack, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read pack directory: %w", err)
	}
	packs := map[string]*Pack{}
	files := map[string]string{} // pack id → file, to report the same id twice
	var problems []Problem
	for _, e := range entries {
		name := e.Name()
		ext := path.Ext(name)
		if e.IsDir() || strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read pack %s: %w", display(name), err)
		}
		p, err := parse(display(name), name, data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				return nil, err
			}
			problems = append(problems, ve.Problems...)
			continue
		}
		if first, dup := files[p.id]; dup {
			problems = append(problems, Problem{File: display(name), Message: fmt.Sprintf("pack %q is also defined by %s", p.id, first)})
			continue
		}
		files[p.id] = display(name)
		packs[p.id] = p
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return packs, nil
}
