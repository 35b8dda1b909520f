package restic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"khien.vn/khien/internal/errs"
)

// The counting modes of `restic stats --mode`.
const (
	// ModeRestoreSize counts the size of the files a restore would write
	// (restic's default): the figure to watch for a sudden size drop.
	ModeRestoreSize = "restore-size"
	// ModeRawData counts the blobs stored in the repository, after
	// deduplication (and compression for repository version 2).
	ModeRawData        = "raw-data"
	ModeFilesByContent = "files-by-contents"
	ModeBlobsPerFile   = "blobs-per-file"
)

var statsModes = []string{ModeRestoreSize, ModeRawData, ModeFilesByContent, ModeBlobsPerFile}

// Stats is what `restic stats --json` reports for a set of snapshots (all
// of them when none is named). restic 0.14 prints total_blob_count only in
// the raw-data and blobs-per-file modes; TotalUncompressedSize and
// CompressionRatio come with restic 0.15 (raw-data, repository version 2)
// and are zero otherwise.
type Stats struct {
	// Mode is the counting mode the figures are for.
	Mode                  string  `json:"mode"`
	TotalSize             int64   `json:"total_size"`
	TotalFileCount        int64   `json:"total_file_count"`
	TotalBlobCount        int64   `json:"total_blob_count,omitempty"`
	SnapshotsCount        int64   `json:"snapshots_count"`
	TotalUncompressedSize int64   `json:"total_uncompressed_size,omitempty"`
	CompressionRatio      float64 `json:"compression_ratio,omitempty"`
}

// parseStats parses the output of `restic stats --json`: one JSON object
// with at least total_size and snapshots_count.
func parseStats(data []byte) (Stats, error) {
	if len(data) > maxSmallOutput {
		return Stats{}, fmt.Errorf("parse stats: %w: %d bytes", ErrOutputTooLarge, len(data))
	}
	var raw struct {
		TotalSize             *int64  `json:"total_size"`
		TotalFileCount        int64   `json:"total_file_count"`
		TotalBlobCount        int64   `json:"total_blob_count"`
		SnapshotsCount        *int64  `json:"snapshots_count"`
		TotalUncompressedSize int64   `json:"total_uncompressed_size"`
		CompressionRatio      float64 `json:"compression_ratio"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return Stats{}, fmt.Errorf("parse stats: %w", err)
	}
	switch {
	case raw.TotalSize == nil:
		return Stats{}, errors.New("parse stats: no total_size")
	case raw.SnapshotsCount == nil:
		return Stats{}, errors.New("parse stats: no snapshots_count")
	case *raw.TotalSize < 0 || raw.TotalFileCount < 0 || raw.TotalBlobCount < 0 || *raw.SnapshotsCount < 0 || raw.TotalUncompressedSize < 0:
		return Stats{}, errors.New("parse stats: negative count")
	case raw.CompressionRatio < 0 || math.IsInf(raw.CompressionRatio, 0):
		return Stats{}, errors.New("parse stats: invalid compression_ratio")
	}
	return Stats{
		TotalSize:             *raw.TotalSize,
		TotalFileCount:        raw.TotalFileCount,
		TotalBlobCount:        raw.TotalBlobCount,
		SnapshotsCount:        *raw.SnapshotsCount,
		TotalUncompressedSize: raw.TotalUncompressedSize,
		CompressionRatio:      raw.CompressionRatio,
	}, nil
}

// Stats counts the data of the snapshots named (all when none; "latest"
// is allowed) in mode ("" is ModeRestoreSize): `restic stats --json
// --mode <mode> <id>…`. A named snapshot that does not exist is
// ErrSnapshotNotFound (restic 0.14 only warns and counts the others).
func (c *Client) Stats(ctx context.Context, repo Repo, mode string, snapshotIDs ...string) (Stats, error) {
	if mode == "" {
		mode = ModeRestoreSize
	}
	if !slices.Contains(statsModes, mode) {
		return Stats{}, fmt.Errorf("restic stats: unknown mode %q: %w", truncate(mode, 40), errs.ErrInvalid)
	}
	for _, id := range snapshotIDs {
		if err := checkSnapshotRef(id, true); err != nil {
			return Stats{}, fmt.Errorf("restic stats: %w", err)
		}
	}
	args := append([]string{"stats", "--json", "--mode=" + mode, "--"}, snapshotIDs...)
	res, err := c.run(ctx, &repo, runOpts{readOnly: true, stdoutMax: maxSmallOutput}, args...)
	if err != nil {
		return Stats{}, err
	}
	if res.exitCode != 0 {
		return Stats{}, c.fail(&repo, "stats", res)
	}
	if len(snapshotIDs) > 0 && ignoredID(res.stderr) {
		return Stats{}, c.notFound(&repo, "stats", res)
	}
	st, err := parseStats(res.stdout)
	if err != nil {
		return Stats{}, fmt.Errorf("restic stats: %w: %w", ErrUnexpectedOutput, err)
	}
	st.Mode = mode
	return st, nil
}
