package restic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// Init creates a repository at repo.Location, encrypted with repo.Password
// (`restic init`). A repository already there is ErrRepositoryExists.
func (c *Client) Init(ctx context.Context, repo Repo) error {
	res, err := c.run(ctx, &repo, runOpts{stdoutMax: maxSmallOutput}, "init")
	if err != nil {
		return err
	}
	if res.exitCode != 0 {
		return c.fail(&repo, "init", res)
	}
	return nil
}

// Summary is the summary message of `restic backup --json`. restic 0.14
// gives SnapshotID as a short ID (8 digits); later versions the full one.
type Summary struct {
	SnapshotID          string `json:"snapshot_id"`
	FilesNew            int64  `json:"files_new"`
	FilesChanged        int64  `json:"files_changed"`
	FilesUnmodified     int64  `json:"files_unmodified"`
	DirsNew             int64  `json:"dirs_new"`
	DirsChanged         int64  `json:"dirs_changed"`
	DirsUnmodified      int64  `json:"dirs_unmodified"`
	DataBlobs           int64  `json:"data_blobs"`
	TreeBlobs           int64  `json:"tree_blobs"`
	DataAdded           int64  `json:"data_added"`
	TotalFilesProcessed int64  `json:"total_files_processed"`
	TotalBytesProcessed int64  `json:"total_bytes_processed"`
	// Duration is restic's total_duration.
	Duration time.Duration `json:"duration"`
	// Incomplete: some source data could not be read (restic's exit
	// status 3); the snapshot was made without it.
	Incomplete bool `json:"incomplete,omitempty"`
	// Errors are the items restic could not back up (error messages), and
	// its warnings (such as a path that does not exist), redacted.
	Errors []string `json:"errors,omitempty"`
}

// Bounds of what parseBackupSummary keeps.
const (
	maxMessages = 100 // errors and warnings kept
	maxMessage  = 512 // bytes per message
)

// shortOrFullID is an ID as restic prints it: 8 to 64 hexadecimal digits.
var shortOrFullID = regexp.MustCompile(`^[0-9a-f]{8,64}$`)

// parseBackupSummary parses the output of `restic backup --json --quiet`:
// JSON lines, one of which has message_type "summary"; "error" messages
// are collected, "status" and other messages skipped.
func parseBackupSummary(data []byte) (Summary, error) {
	if len(data) > MaxJSONOutput {
		return Summary{}, fmt.Errorf("parse backup summary: %w: %d bytes", ErrOutputTooLarge, len(data))
	}
	var (
		sum   Summary
		found bool
		msgs  []string
	)
	for n, line := 1, []byte(nil); len(data) > 0; n++ {
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var head struct {
			MessageType string          `json:"message_type"`
			Error       json.RawMessage `json:"error"`
			During      string          `json:"during"`
			Item        string          `json:"item"`
		}
		if err := json.Unmarshal(line, &head); err != nil {
			return Summary{}, fmt.Errorf("parse backup summary: line %d: %w", n, err)
		}
		switch head.MessageType {
		case "summary":
			if found {
				return Summary{}, fmt.Errorf("parse backup summary: line %d: a second summary", n)
			}
			s, err := decodeSummary(line)
			if err != nil {
				return Summary{}, fmt.Errorf("parse backup summary: line %d: %w", n, err)
			}
			sum, found = s, true
		case "error":
			if len(msgs) < maxMessages {
				msgs = append(msgs, truncate(backupErrorText(head.Item, head.During, head.Error), maxMessage))
			}
		}
	}
	if !found {
		return Summary{}, errors.New("parse backup summary: no summary message")
	}
	sum.Errors = msgs
	return sum, nil
}

// decodeSummary decodes and checks one summary message.
func decodeSummary(line []byte) (Summary, error) {
	var raw struct {
		Summary
		TotalDuration float64 `json:"total_duration"`
	}
	if err := json.Unmarshal(line, &raw); err != nil {
		return Summary{}, err
	}
	s := raw.Summary
	if !shortOrFullID.MatchString(s.SnapshotID) {
		return Summary{}, fmt.Errorf("invalid snapshot_id %q", truncate(s.SnapshotID, 80))
	}
	for _, v := range []int64{s.FilesNew, s.FilesChanged, s.FilesUnmodified, s.DirsNew, s.DirsChanged,
		s.DirsUnmodified, s.DataBlobs, s.TreeBlobs, s.DataAdded, s.TotalFilesProcessed, s.TotalBytesProcessed} {
		if v < 0 {
			return Summary{}, errors.New("negative count")
		}
	}
	d := raw.TotalDuration
	if d < 0 || math.IsNaN(d) || d > float64(math.MaxInt64)/float64(time.Second) {
		return Summary{}, fmt.Errorf("invalid total_duration %v", d)
	}
	s.Duration = time.Duration(d * float64(time.Second))
	s.Incomplete, s.Errors = false, nil
	return s, nil
}

// backupErrorText renders an error message of restic backup --json: restic
// 0.14 marshals the Go error value, often as "{}", so the item and the
// phase carry most of the information.
func backupErrorText(item, during string, msg json.RawMessage) string {
	var b strings.Builder
	if item != "" {
		b.WriteString(item)
	} else {
		b.WriteString("?")
	}
	if during != "" {
		b.WriteString(" (")
		b.WriteString(during)
		b.WriteString(")")
	}
	var text string
	if json.Unmarshal(msg, &text) != nil {
		var obj struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(msg, &obj) == nil {
			text = obj.Message
		}
	}
	if text != "" {
		b.WriteString(": ")
		b.WriteString(text)
	}
	return b.String()
}

// Backup backs up paths into a new snapshot tagged tags (`restic backup
// --json --quiet --tag <t>… -- <path>…`) and returns restic's summary.
// Exit status 3 (some files unreadable, snapshot made without them) is
// not an error: Summary.Incomplete says so. Khiên does not back systems up
// itself; this is for tests and demonstrations.
func (c *Client) Backup(ctx context.Context, repo Repo, paths []string, tags []string) (Summary, error) {
	if len(paths) == 0 {
		return Summary{}, fmt.Errorf("restic backup: %w", checkArg("path", ""))
	}
	args := []string{"backup", "--json", "--quiet"}
	for _, t := range tags {
		if err := checkArg("tag", t); err != nil {
			return Summary{}, fmt.Errorf("restic backup: %w", err)
		}
		if strings.Contains(t, ",") { // restic would split it into two tags
			return Summary{}, fmt.Errorf("restic backup: tag %q contains a comma: %w", truncate(t, 80), errs.ErrInvalid)
		}
		args = append(args, "--tag="+t)
	}
	for _, p := range paths {
		if err := checkArg("path", p); err != nil {
			return Summary{}, fmt.Errorf("restic backup: %w", err)
		}
	}
	args = append(append(args, "--"), paths...)
	res, err := c.run(ctx, &repo, runOpts{stdoutMax: MaxJSONOutput}, args...)
	if err != nil {
		return Summary{}, err
	}
	if res.exitCode != 0 && res.exitCode != 3 {
		return Summary{}, c.fail(&repo, "backup", res)
	}
	sum, err := parseBackupSummary(res.stdout)
	if err != nil {
		return Summary{}, fmt.Errorf("restic backup: %w: %w", ErrUnexpectedOutput, err)
	}
	red := c.redactor(&repo)
	sum.Errors = red.redactAll(sum.Errors)
	sum.Incomplete = res.exitCode == 3
	for line := range strings.Lines(red.redact(res.stderr)) {
		if line = strings.TrimSpace(line); line != "" && len(sum.Errors) < maxMessages {
			sum.Errors = append(sum.Errors, truncate(line, maxMessage))
		}
	}
	return sum, nil
}
