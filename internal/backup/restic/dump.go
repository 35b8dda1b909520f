package restic

import (
	"context"
	"fmt"
	"io"
	"strings"

	"khien.vn/khien/internal/errs"
)

// Dump writes the content of the file at path in the snapshot to w, at
// most limit bytes (`restic dump <id> <path>`; "latest" is allowed). When
// the file is longer, restic is stopped once limit bytes are written and
// Dump returns nil: compare with the node's Size to know whether the
// content was cut. path is the node's Path as Ls gives it; it should be a
// regular file (restic dumps a directory as a tar archive). A path the
// snapshot does not hold, or that is not a file, is ErrPathNotFound.
func (c *Client) Dump(ctx context.Context, repo Repo, snapshotID, path string, w io.Writer, limit int64) error {
	if err := checkSnapshotRef(snapshotID, true); err != nil {
		return fmt.Errorf("restic dump: %w", err)
	}
	if err := checkArg("path", path); err != nil || !strings.HasPrefix(path, "/") {
		return fmt.Errorf("restic dump: path %q not absolute: %w", truncate(path, 200), errs.ErrInvalid)
	}
	if limit <= 0 {
		return fmt.Errorf("restic dump: limit %d: %w", limit, errs.ErrInvalid)
	}
	res, err := c.run(ctx, &repo, runOpts{readOnly: true, stream: func(r io.Reader) error {
		if _, err := io.Copy(w, io.LimitReader(r, limit)); err != nil {
			return fmt.Errorf("restic dump: %w", err)
		}
		var one [1]byte
		if n, _ := io.ReadFull(r, one[:]); n > 0 {
			return errStop // more than limit: enough read
		}
		return nil
	}}, "dump", "--", snapshotID, path)
	switch {
	case err != nil:
		return err
	case res.stopped:
		return nil
	case res.exitCode != 0:
		return c.fail(&repo, "dump", res)
	case ignoredID(res.stderr):
		return c.notFound(&repo, "dump", res)
	}
	return nil
}
