package restic

import (
	"fmt"
	"regexp"
	"strings"

	"khien.vn/khien/internal/errs"
)

// kindError is a sentinel that also matches one of the errs kinds, so that
// errors.Is(err, ErrWrongPassword) and errors.Is(err, errs.ErrUnauthorized)
// both hold.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

// ErrNotFound is returned, wrapped, when the restic binary cannot be found
// or executed: callers report restic as unavailable (it matches
// errs.ErrUnavailable, not errs.ErrNotFound), tests skip.
var ErrNotFound error = &kindError{"restic binary not found", errs.ErrUnavailable}

// What restic said went wrong, read from its exit status and stderr. Each
// also matches the errs kind named in its comment.
var (
	// ErrWrongPassword: no key of the repository opens with the password
	// (errs.ErrUnauthorized).
	ErrWrongPassword error = &kindError{"wrong password or no key found", errs.ErrUnauthorized}
	// ErrNoRepository: there is no repository at the location
	// (errs.ErrNotFound).
	ErrNoRepository error = &kindError{"no repository at the location", errs.ErrNotFound}
	// ErrUnreachable: the backend could not be reached or refused access
	// (errs.ErrUnavailable).
	ErrUnreachable error = &kindError{"repository unreachable", errs.ErrUnavailable}
	// ErrLocked: another restic process holds a conflicting lock
	// (errs.ErrLocked).
	ErrLocked error = &kindError{"repository is locked", errs.ErrLocked}
	// ErrRepositoryExists: Init found a repository already there
	// (errs.ErrConflict).
	ErrRepositoryExists error = &kindError{"repository already exists", errs.ErrConflict}
	// ErrSnapshotNotFound: no snapshot matches the ID (or "latest" found
	// none) (errs.ErrNotFound).
	ErrSnapshotNotFound error = &kindError{"snapshot not found", errs.ErrNotFound}
	// ErrPathNotFound: Dump was asked for a path that the snapshot does not
	// hold, or that is not a regular file (errs.ErrNotFound).
	ErrPathNotFound error = &kindError{"path not found in snapshot", errs.ErrNotFound}
	// ErrOutputTooLarge: restic printed more than the parser accepts; the
	// process was stopped (errs.ErrInvalid).
	ErrOutputTooLarge error = &kindError{"restic output too large", errs.ErrInvalid}
	// ErrUnexpectedOutput: restic exited without error but printed
	// something the parser does not recognise (errs.ErrInvalid).
	ErrUnexpectedOutput error = &kindError{"unexpected restic output", errs.ErrInvalid}
)

// CommandError is a restic run that failed: it exited with a non-zero
// status, or was stopped. Stderr is a short excerpt of what restic printed
// (the "Fatal:" line first), with the repository's secrets redacted.
type CommandError struct {
	// Command is restic's sub-command ("snapshots", "check").
	Command string
	// ExitCode is restic's exit status; -1 when it was killed.
	ExitCode int
	// Stderr is the redacted excerpt.
	Stderr string
	// Kind is one of the sentinels above when restic's message was
	// recognised, else nil.
	Kind error
	// Err is the cause when the process did not simply exit non-zero
	// (context cancelled, deadline exceeded), else nil.
	Err error
}

// Error returns "restic <command>: <kind>: exit status N: <excerpt>".
func (e *CommandError) Error() string {
	var b strings.Builder
	b.WriteString("restic ")
	b.WriteString(e.Command)
	if e.Kind != nil {
		b.WriteString(": ")
		b.WriteString(e.Kind.Error())
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.ExitCode >= 0 {
		fmt.Fprintf(&b, ": exit status %d", e.ExitCode)
	}
	if e.Stderr != "" {
		b.WriteString(": ")
		b.WriteString(e.Stderr)
	}
	return b.String()
}

// Unwrap returns Kind and Err, those that are set.
func (e *CommandError) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Exit statuses of restic 0.17 and later; 0.14 exits 1 for all of these,
// so the messages are read as well.
const (
	exitNoRepository  = 10
	exitLocked        = 11
	exitWrongPassword = 12
)

// notExist recognises a backend's "not there" in restic's "unable to open
// config file: …" message: local and sftp, S3, B2/GCS/Azure, REST.
var notExist = regexp.MustCompile(`(?i)no such file or directory|does not exist|not found|NoSuchKey|NoSuchBucket|404`)

// classify reads restic's stderr (already redacted) and exit status and
// returns the matching sentinel, or nil.
func classify(stderr string, exitCode int) error {
	switch {
	case exitCode == exitWrongPassword || strings.Contains(stderr, "wrong password or no key found"):
		return ErrWrongPassword
	case exitCode == exitLocked || strings.Contains(stderr, "repository is already locked"):
		return ErrLocked
	case strings.Contains(stderr, "config file already exists"):
		return ErrRepositoryExists
	case exitCode == exitNoRepository:
		return ErrNoRepository
	case strings.Contains(stderr, "Is there a repository at the following location?"),
		strings.Contains(stderr, "unable to open config file"):
		if notExist.MatchString(stderr) {
			return ErrNoRepository
		}
		return ErrUnreachable
	case strings.Contains(stderr, "unable to open repository at"),
		strings.Contains(stderr, "unable to open repo at"):
		return ErrUnreachable
	case strings.Contains(stderr, "no matching ID found"),
		strings.Contains(stderr, "no snapshot matched given filter"),
		strings.Contains(stderr, "no snapshot found"),
		strings.Contains(stderr, "failed to find snapshot"):
		return ErrSnapshotNotFound
	case strings.Contains(stderr, "cannot dump file"):
		return ErrPathNotFound
	}
	return nil
}

// maxExcerpt bounds CommandError.Stderr.
const maxExcerpt = 512

// excerpt picks the lines of stderr worth showing in an error: "Fatal:"
// lines first, then the others, without restic's retry noise, joined with
// "; " and cut at maxExcerpt bytes.
func excerpt(stderr string) string {
	var fatal, other []string
	for line := range strings.Lines(stderr) {
		line = strings.TrimSpace(line)
		switch {
		case line == "", isRetryNoise(line):
		case strings.HasPrefix(line, "Fatal:"):
			fatal = append(fatal, line)
		default:
			other = append(other, line)
		}
	}
	return truncate(strings.Join(append(fatal, other...), "; "), maxExcerpt)
}

// isRetryNoise reports restic's backend retry messages ("Load(<data/…>, 0,
// 0) returned error, retrying after 1.2s: …"), repeated many times.
func isRetryNoise(line string) bool {
	return strings.Contains(line, "returned error, retrying after")
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
