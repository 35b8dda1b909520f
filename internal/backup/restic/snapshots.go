package restic

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Snapshot is a snapshot as `restic snapshots --json` (and the first line
// of `restic ls --json`) describe it. Fields that restic 0.14 leaves out
// when empty (parent, uid and gid 0, tags, excludes, original) are zero
// here; ProgramVersion is printed from restic 0.15 on.
type Snapshot struct {
	// ID is the full ID (64 hexadecimal digits), ShortID its first 8.
	ID      string    `json:"id"`
	ShortID string    `json:"short_id"`
	Time    time.Time `json:"time"`
	// Tree is the ID of the snapshot's root tree; Parent the snapshot it
	// was made against ("" for the first).
	Tree   string `json:"tree"`
	Parent string `json:"parent,omitempty"`
	// Paths are the paths backed up, as given to restic backup (absolute).
	Paths    []string `json:"paths"`
	Hostname string   `json:"hostname"`
	Username string   `json:"username"`
	UID      uint32   `json:"uid,omitempty"`
	GID      uint32   `json:"gid,omitempty"`
	Excludes []string `json:"excludes,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// Original is the ID of the snapshot this one replaced when its tags
	// were changed (restic tag): a sign of rewriting.
	Original       string `json:"original,omitempty"`
	ProgramVersion string `json:"program_version,omitempty"`
}

// fullID is a full restic ID.
var fullID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// validate checks what a snapshot must have and the shape of its IDs, so
// that an ID read from restic can be passed back to it as an argument.
func (s *Snapshot) validate() error {
	switch {
	case !fullID.MatchString(s.ID):
		return fmt.Errorf("invalid id %q", truncate(s.ID, 80))
	case s.ShortID != "" && (len(s.ShortID) < 8 || !strings.HasPrefix(s.ID, s.ShortID)):
		return fmt.Errorf("short_id %q is not a prefix of id %s", truncate(s.ShortID, 80), s.ID)
	case !fullID.MatchString(s.Tree):
		return fmt.Errorf("snapshot %s: invalid tree %q", s.ID[:8], truncate(s.Tree, 80))
	case s.Parent != "" && !fullID.MatchString(s.Parent):
		return fmt.Errorf("snapshot %s: invalid parent %q", s.ID[:8], truncate(s.Parent, 80))
	case s.Original != "" && !fullID.MatchString(s.Original):
		return fmt.Errorf("snapshot %s: invalid original %q", s.ID[:8], truncate(s.Original, 80))
	case s.Time.IsZero():
		return fmt.Errorf("snapshot %s: no time", s.ID[:8])
	}
	if s.ShortID == "" {
		s.ShortID = s.ID[:8]
	}
	return nil
}

// parseSnapshots parses the output of `restic snapshots --json`: one JSON
// array of snapshots, in restic's order (oldest first).
func parseSnapshots(data []byte) ([]Snapshot, error) {
	if len(data) > MaxJSONOutput {
		return nil, fmt.Errorf("parse snapshots: %w: %d bytes", ErrOutputTooLarge, len(data))
	}
	var list []Snapshot
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("parse snapshots: %w", err)
	}
	if list == nil { // "null"
		list = []Snapshot{}
	}
	for i := range list {
		if err := list[i].validate(); err != nil {
			return nil, fmt.Errorf("parse snapshots: snapshot %d: %w", i, err)
		}
	}
	return list, nil
}

// Snapshots lists the repository's snapshots, oldest first (`restic
// snapshots --json`). An empty repository gives an empty list.
func (c *Client) Snapshots(ctx context.Context, repo Repo) ([]Snapshot, error) {
	res, err := c.run(ctx, &repo, runOpts{readOnly: true, stdoutMax: MaxJSONOutput}, "snapshots", "--json")
	if err != nil {
		return nil, err
	}
	if res.exitCode != 0 {
		return nil, c.fail(&repo, "snapshots", res)
	}
	list, err := parseSnapshots(res.stdout)
	if err != nil {
		return nil, fmt.Errorf("restic snapshots: %w: %w", ErrUnexpectedOutput, err)
	}
	return list, nil
}

// Forget removes snapshots by ID (full, or a prefix of at least 8 digits)
// without pruning their data (`restic forget <id>…`). An ID that matches
// no snapshot is ErrSnapshotNotFound; the others are removed all the same.
// Khiên itself never forgets: tests use this to play the attacker who
// deletes snapshots.
func (c *Client) Forget(ctx context.Context, repo Repo, snapshotIDs ...string) error {
	if len(snapshotIDs) == 0 {
		return fmt.Errorf("restic forget: %w", checkSnapshotRef("", false))
	}
	for _, id := range snapshotIDs {
		if err := checkSnapshotRef(id, false); err != nil {
			return fmt.Errorf("restic forget: %w", err)
		}
	}
	args := append([]string{"forget", "--"}, snapshotIDs...)
	res, err := c.run(ctx, &repo, runOpts{stdoutMax: maxSmallOutput}, args...)
	if err != nil {
		return err
	}
	if res.exitCode != 0 {
		return c.fail(&repo, "forget", res)
	}
	if ignoredID(res.stderr) {
		return c.notFound(&repo, "forget", res)
	}
	return nil
}
