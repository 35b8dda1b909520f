package restic

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
)

// Node is one entry of a snapshot as `restic ls --json` lists it.
type Node struct {
	Name string `json:"name"`
	// Type is "file", "dir", "symlink", "dev", "chardev", "fifo" or
	// "socket".
	Type string `json:"type"`
	// Path is the entry's path inside the snapshot, absolute ("/src/a.txt"
	// for a backup of the relative path src; the full path for a backup of
	// an absolute one): the path Dump and Restore's include take.
	Path string `json:"path"`
	UID  uint32 `json:"uid"`
	GID  uint32 `json:"gid"`
	// Size is the file's size (0 for other types).
	Size int64 `json:"size,omitempty"`
	// Mode is Go's fs.FileMode of the entry, as restic stores it.
	Mode        fs.FileMode `json:"mode"`
	Permissions string      `json:"permissions,omitempty"`
	MTime       time.Time   `json:"mtime"`
	ATime       time.Time   `json:"atime"`
	CTime       time.Time   `json:"ctime"`
}

// lsLine is one line of `restic ls --json`, snapshot or node, decoded in
// one pass: restic 0.14 says which in struct_type, restic 0.17 also in
// message_type. (The two share only uid and gid.)
type lsLine struct {
	StructType  string `json:"struct_type"`
	MessageType string `json:"message_type"`

	ID             string    `json:"id"`
	ShortID        string    `json:"short_id"`
	Time           time.Time `json:"time"`
	Tree           string    `json:"tree"`
	Parent         string    `json:"parent"`
	Paths          []string  `json:"paths"`
	Hostname       string    `json:"hostname"`
	Username       string    `json:"username"`
	Excludes       []string  `json:"excludes"`
	Tags           []string  `json:"tags"`
	Original       string    `json:"original"`
	ProgramVersion string    `json:"program_version"`

	Name        string      `json:"name"`
	Type        string      `json:"type"`
	Path        string      `json:"path"`
	Size        int64       `json:"size"`
	Mode        fs.FileMode `json:"mode"`
	Permissions string      `json:"permissions"`
	MTime       time.Time   `json:"mtime"`
	ATime       time.Time   `json:"atime"`
	CTime       time.Time   `json:"ctime"`

	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
}

func (l *lsLine) is(kind string) bool { return l.StructType == kind || l.MessageType == kind }

func (l *lsLine) snapshot() Snapshot {
	return Snapshot{ID: l.ID, ShortID: l.ShortID, Time: l.Time, Tree: l.Tree, Parent: l.Parent, Paths: l.Paths,
		Hostname: l.Hostname, Username: l.Username, UID: l.UID, GID: l.GID, Excludes: l.Excludes, Tags: l.Tags,
		Original: l.Original, ProgramVersion: l.ProgramVersion}
}

func (l *lsLine) node() Node {
	return Node{Name: l.Name, Type: l.Type, Path: l.Path, UID: l.UID, GID: l.GID, Size: l.Size, Mode: l.Mode,
		Permissions: l.Permissions, MTime: l.MTime, ATime: l.ATime, CTime: l.CTime}
}

// errNoSnapshot: ls printed nothing, which restic 0.14 does (exit status 0)
// for an ID that matches no snapshot.
var errNoSnapshot = errors.New("no snapshot line")

// parseLs reads the output of `restic ls --json` from r: a first line
// describing the snapshot, then one line per node, handed to fn in order.
// Lines longer than MaxLine are refused. It stops at the first error,
// fn's included (returned as is).
func parseLs(r io.Reader, fn func(Node) error) (Snapshot, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4<<10), MaxLine)
	var (
		snap Snapshot
		seen bool
		n    int
	)
	for sc.Scan() {
		n++
		text := sc.Bytes()
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		var line lsLine
		if err := json.Unmarshal(text, &line); err != nil {
			return snap, fmt.Errorf("parse ls: line %d: %w", n, err)
		}
		if !seen {
			if !line.is("snapshot") {
				return snap, fmt.Errorf("parse ls: line %d: want the snapshot first, got %q", n, truncate(line.StructType+line.MessageType, 40))
			}
			snap = line.snapshot()
			if err := snap.validate(); err != nil {
				return Snapshot{}, fmt.Errorf("parse ls: line %d: %w", n, err)
			}
			seen = true
			continue
		}
		if !line.is("node") {
			return snap, fmt.Errorf("parse ls: line %d: want a node, got %q", n, truncate(line.StructType+line.MessageType, 40))
		}
		node := line.node()
		if err := node.validate(); err != nil {
			return snap, fmt.Errorf("parse ls: line %d: %w", n, err)
		}
		if err := fn(node); err != nil {
			return snap, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return snap, fmt.Errorf("parse ls: line %d: %w: longer than %d bytes", n+1, ErrOutputTooLarge, MaxLine)
		}
		return snap, fmt.Errorf("parse ls: %w", err)
	}
	if !seen {
		return snap, errNoSnapshot
	}
	return snap, nil
}

// validate checks what a node must have.
func (nd *Node) validate() error {
	switch {
	case nd.Name == "":
		return errors.New("node without a name")
	case nd.Type == "":
		return fmt.Errorf("node %q without a type", truncate(nd.Path, 200))
	case !strings.HasPrefix(nd.Path, "/") || strings.ContainsRune(nd.Path, 0):
		return fmt.Errorf("node %q: path not absolute", truncate(nd.Path, 200))
	case nd.Size < 0:
		return fmt.Errorf("node %q: negative size", truncate(nd.Path, 200))
	}
	return nil
}

// Ls lists the snapshot's entries (`restic ls --json <id>`; "latest" is
// allowed), handing each to fn as restic prints it, directories before
// their content. Returning an error from fn stops restic; Ls returns that
// error. An ID that matches no snapshot is ErrSnapshotNotFound.
func (c *Client) Ls(ctx context.Context, repo Repo, snapshotID string, fn func(Node) error) error {
	if err := checkSnapshotRef(snapshotID, true); err != nil {
		return fmt.Errorf("restic ls: %w", err)
	}
	var fnErr error
	noSnapshot := false
	res, err := c.run(ctx, &repo, runOpts{readOnly: true, stream: func(r io.Reader) error {
		_, err := parseLs(r, func(nd Node) error {
			fnErr = fn(nd)
			return fnErr
		})
		switch {
		case err == nil:
			return nil
		case fnErr != nil:
			return fnErr
		case errors.Is(err, errNoSnapshot):
			noSnapshot = true
			return nil // read to the end: the exit status and stderr say why
		}
		return fmt.Errorf("restic ls: %w: %w", ErrUnexpectedOutput, err)
	}}, "ls", "--json", "--", snapshotID)
	switch {
	case err != nil:
		return err
	case res.exitCode != 0:
		return c.fail(&repo, "ls", res)
	case noSnapshot && ignoredID(res.stderr):
		return c.notFound(&repo, "ls", res)
	case noSnapshot:
		return fmt.Errorf("restic ls: %w: %w", ErrUnexpectedOutput, errNoSnapshot)
	}
	return nil
}
