package compliance

import "khien.vn/khien/internal/filestore"

// FileStore keeps evidence files on disk under their SHA-256 (see
// package filestore).
type FileStore = filestore.Store

// Stored describes a file written by FileStore.Put.
type Stored = filestore.Stored

// DefaultMaxEvidence is the default size limit of one evidence file.
const DefaultMaxEvidence = filestore.DefaultMax

// The errors of FileStore: a file over the limit, a stored file that no
// longer matches its SHA-256.
var (
	ErrTooLarge = filestore.ErrTooLarge
	ErrCorrupt  = filestore.ErrCorrupt
)

// NewFileStore returns a FileStore in dir (see filestore.New).
func NewFileStore(dir string, max int64) (*FileStore, error) { return filestore.New(dir, max) }
