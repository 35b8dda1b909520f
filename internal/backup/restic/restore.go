package restic

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// RestoreResult is the outcome of a test restore.
type RestoreResult struct {
	// OK: restic restored every file without error and, when verification
	// was asked for, verified them all.
	OK bool `json:"ok"`
	// Verified: restic read the restored files back and found them equal
	// to the snapshot ("finished verifying N files").
	Verified bool `json:"verified"`
	// FilesVerified is the N of that line.
	FilesVerified int64 `json:"files_verified"`
	// VerifyDuration is how long the verification took, as restic printed
	// it (to the millisecond).
	VerifyDuration time.Duration `json:"verify_duration"`
	// Duration is the wall-clock time of the whole restore, verification
	// included: the actual time to recover this data.
	Duration time.Duration `json:"duration"`
	// Errors are restic's "ignoring error for <path>: <error>" messages,
	// at most 100, redacted; ErrorCount is restic's count ("There were N
	// errors").
	Errors     []string `json:"errors,omitempty"`
	ErrorCount int      `json:"error_count"`
	// Output is an excerpt of what restic printed, redacted.
	Output string `json:"output"`
}

var (
	// "finished verifying 2 files in /tmp/t (took 1ms)"
	restoreVerified = regexp.MustCompile(`^finished verifying (\d+) files in .* \(took ([0-9a-zµ.]+)\)$`)
	// "Fatal: There were 2 errors"
	restoreErrors = regexp.MustCompile(`^Fatal: There were (\d+) errors$`)
)

// parseRestore reads the text output of `restic restore [--verify]` and
// its exit status. restic 0.14 prints on stdout "restoring <Snapshot …>
// to <target>", then with --verify "verifying files in <target>" and
// "finished verifying N files in <target> (took D)"; each file it could not
// restore or verify is "ignoring error for <path>: <error>" on stderr
// (verification errors read "Invalid file size for …: expected X, got Y"
// or "Unexpected content in …, starting at offset N"), and the run ends
// with "Fatal: There were N errors" and exit status 1 — before
// verification when the restore itself had errors. The bool is false when
// the output is neither a success nor that list of errors.
func parseRestore(stdout, stderr string, exitCode int, verify bool) (RestoreResult, bool) {
	var res RestoreResult
	finished := false
	for line := range strings.Lines(stdout) {
		if m := restoreVerified.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			n, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				continue
			}
			finished = true
			res.FilesVerified = n
			if d, err := time.ParseDuration(m[2]); err == nil && d >= 0 {
				res.VerifyDuration = d
			}
		}
	}
	counted := false
	for line := range strings.Lines(stderr) {
		line = strings.TrimSpace(line)
		if m := restoreErrors.FindStringSubmatch(line); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				res.ErrorCount, counted = n, true
			}
			continue
		}
		if msg, ok := strings.CutPrefix(line, "ignoring error for "); ok && len(res.Errors) < maxMessages {
			res.Errors = append(res.Errors, truncate(msg, maxMessage))
		}
	}
	res.Output = checkOutput(stdout, stderr)
	switch {
	case exitCode == 0 && (finished || !verify):
		res.OK = true
		res.Verified = verify
		res.Errors, res.ErrorCount = nil, 0
		return res, true
	case exitCode != 0 && counted:
		if res.ErrorCount < len(res.Errors) {
			res.ErrorCount = len(res.Errors)
		}
		res.FilesVerified, res.VerifyDuration = 0, 0
		return res, true
	}
	return res, false
}

// Restore restores the snapshot (or only the paths matching include, restic
// patterns such as "/srv/data") into target, which must be an absolute
// path other than "/" — a scratch directory the caller creates and removes
// — and with verify reads every restored file back to compare it with the
// snapshot (`restic restore --target <target> --include <p>… --verify
// <id>`; "latest" is allowed). Files land under target at their path in
// the snapshot (target/srv/data/… for a backup of /srv/data). Duration is
// measured around the whole run.
//
// A restore that ran and reported errors (unreadable blobs, files that do
// not verify) is not an error: the result has OK false and the errors.
// An error means there was no restore to judge (wrong password, snapshot
// not found, timeout…).
func (c *Client) Restore(ctx context.Context, repo Repo, snapshotID, target string, include []string, verify bool) (RestoreResult, error) {
	if err := checkSnapshotRef(snapshotID, true); err != nil {
		return RestoreResult{}, fmt.Errorf("restic restore: %w", err)
	}
	if err := checkArg("target", target); err != nil || !filepath.IsAbs(target) || filepath.Clean(target) == "/" {
		return RestoreResult{}, fmt.Errorf("restic restore: target %q: want an absolute scratch directory: %w", truncate(target, 200), errs.ErrInvalid)
	}
	args := []string{"restore", "--target=" + target}
	for _, p := range include {
		if err := checkArg("include pattern", p); err != nil {
			return RestoreResult{}, fmt.Errorf("restic restore: %w", err)
		}
		args = append(args, "--include="+p)
	}
	if verify {
		args = append(args, "--verify")
	}
	args = append(args, "--", snapshotID)
	res, err := c.run(ctx, &repo, runOpts{readOnly: true, text: true}, args...)
	if err != nil {
		return RestoreResult{}, err
	}
	red := c.redactor(&repo)
	out, ok := parseRestore(red.redact(string(res.stdout)), red.redact(res.stderr), res.exitCode, verify)
	if !ok {
		e := c.fail(&repo, "restore", res)
		if res.exitCode == 0 {
			e.Kind = ErrUnexpectedOutput
		}
		return RestoreResult{}, e
	}
	out.Duration = res.elapsed
	return out, nil
}
