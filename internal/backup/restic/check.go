package restic

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// CheckResult is the verdict of `restic check`.
type CheckResult struct {
	// OK: restic found no error. When false, Errors says what it found.
	OK bool `json:"ok"`
	// Subset is the --read-data-subset the check ran with ("" for a
	// structure-only check, which does not read the data packs).
	Subset string `json:"subset,omitempty"`
	// PacksRead is how many data packs were read and verified, as restic's
	// progress reported it (0 when none were read, or it did not say).
	PacksRead int64 `json:"packs_read"`
	// Errors are the errors restic reported, one per error (a tree's
	// error with its detail lines joined), at most 100, redacted;
	// ErrorCount counts them all.
	Errors     []string `json:"errors,omitempty"`
	ErrorCount int      `json:"error_count"`
	// Duration is how long the check took.
	Duration time.Duration `json:"duration"`
	// Output is an excerpt of what restic printed (stdout, then stderr),
	// redacted, for the evidence.
	Output string `json:"output"`
}

// maxCheckOutput bounds CheckResult.Output (each of stdout and stderr).
const maxCheckOutput = 4 << 10

// What restic 0.14's check prints at the end: on stdout when it found
// nothing, on stderr (exit status 1) when it found errors.
const (
	checkPassed       = "no errors were found"
	checkFailed       = "Fatal: repository contains errors"
	checkIndexFailed  = "Fatal: LoadIndex returned errors"
	checkReadDataLine = "read " // "read all data", "read 5.0% of data packs", "read group #1 of 3 data packs…"
)

// packProgress matches the end of the data-read progress line: "[0:00]
// 100.00%  4 / 4 packs" or "[0:00]          0 packs".
var packProgress = regexp.MustCompile(`(?:^|\s)(\d+)(?: / \d+)? packs\s*$`)

// parseCheck reads the text output of `restic check` and its exit status.
// The bool is false when the output is not one of the two verdicts
// restic prints (see the package documentation): the caller then treats
// the run as failed, not as checked.
func parseCheck(stdout, stderr string, exitCode int) (CheckResult, bool) {
	res := CheckResult{}
	passed, failed := false, false
	reading := false
	for line := range strings.Lines(stdout) {
		line = strings.TrimSpace(line)
		switch {
		case line == checkPassed:
			passed = true
		case strings.HasPrefix(line, checkReadDataLine):
			reading = true
		case reading:
			if m := packProgress.FindStringSubmatch(line); m != nil {
				if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
					res.PacksRead = n
				}
			}
		}
	}
	last := -1 // the error continuation lines go to
	for line := range strings.Lines(stderr) {
		indented := strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")
		line = strings.TrimSpace(line)
		switch {
		case line == "", isRetryNoise(line), strings.HasPrefix(line, "[… "):
		case line == checkFailed, line == checkIndexFailed:
			failed = true
		case strings.HasPrefix(line, "Fatal:"):
			// another fatal error: not a verdict
		case indented && last >= 0:
			res.Errors[last] = truncate(strings.TrimSuffix(res.Errors[last], ":")+": "+line, maxMessage)
		default:
			res.ErrorCount++
			last = -1
			if len(res.Errors) < maxMessages {
				res.Errors = append(res.Errors, truncate(line, maxMessage))
				last = len(res.Errors) - 1
			}
		}
	}
	res.Output = checkOutput(stdout, stderr)
	switch {
	case exitCode == 0 && passed && !failed:
		res.OK = true
		res.Errors, res.ErrorCount = nil, 0 // warnings, not errors
		return res, true
	case exitCode != 0 && failed:
		if res.ErrorCount == 0 {
			res.ErrorCount = 1 // restic said so, though the lines were lost
			res.Errors = []string{strings.TrimPrefix(checkFailed, "Fatal: ")}
		}
		return res, true
	}
	return res, false
}

// checkOutput is the excerpt kept as evidence.
func checkOutput(stdout, stderr string) string {
	out := truncate(strings.TrimSpace(stdout), maxCheckOutput)
	if e := strings.TrimSpace(stderr); e != "" {
		out += "\n" + truncate(e, maxCheckOutput)
	}
	return out
}

// subsetPattern is what restic 0.14 accepts for --read-data-subset: n/t,
// x% or x.y%, or a size with a k/K, m/M, g/G, t/T suffix.
var subsetPattern = regexp.MustCompile(`^(?:[1-9][0-9]{0,8}/[1-9][0-9]{0,8}|[0-9]{1,3}(?:\.[0-9]{1,6})?%|[1-9][0-9]{0,15}[kKmMgGtT])$`)

// checkSubset validates a --read-data-subset value ("" for none).
func checkSubset(subset string) error {
	if subset == "" {
		return nil
	}
	if !subsetPattern.MatchString(subset) {
		return fmt.Errorf("restic check: invalid --read-data-subset %q (want n/t, x%%, or a size such as 500M): %w", truncate(subset, 40), errs.ErrInvalid)
	}
	if n, t, ok := strings.Cut(subset, "/"); ok {
		ni, _ := strconv.Atoi(n)
		ti, _ := strconv.Atoi(t)
		if ni > ti {
			return fmt.Errorf("restic check: --read-data-subset %s: n greater than t: %w", subset, errs.ErrInvalid)
		}
	}
	if p, ok := strings.CutSuffix(subset, "%"); ok {
		f, _ := strconv.ParseFloat(p, 64)
		if f <= 0 || f > 100 {
			return fmt.Errorf("restic check: --read-data-subset %s: want a percentage above 0 and at most 100: %w", subset, errs.ErrInvalid)
		}
	}
	return nil
}

// Check checks the repository's integrity (`restic check
// --read-data-subset=<subset>`). readDataSubset is "100%" to read all
// data, "5%" for a random twentieth, "3/20" for the third of twenty fixed
// parts, "500M" for about that much; "" runs a structure-only check, which
// does not read the data packs and so misses corrupted pack contents.
//
// A check that ran and found errors is not an error: the result has OK
// false and the errors found. An error means the check did not give a
// verdict (wrong password, repository missing or locked, backend
// unreachable, timeout, output not understood).
func (c *Client) Check(ctx context.Context, repo Repo, readDataSubset string) (CheckResult, error) {
	if err := checkSubset(readDataSubset); err != nil {
		return CheckResult{}, err
	}
	args := []string{"check"}
	if readDataSubset != "" {
		args = append(args, "--read-data-subset="+readDataSubset)
	}
	res, err := c.run(ctx, &repo, runOpts{readOnly: true, text: true}, args...)
	if err != nil {
		return CheckResult{}, err
	}
	red := c.redactor(&repo)
	out, ok := parseCheck(red.redact(string(res.stdout)), red.redact(res.stderr), res.exitCode)
	if !ok {
		e := c.fail(&repo, "check", res)
		if res.exitCode == 0 {
			e.Kind = ErrUnexpectedOutput
		}
		return CheckResult{}, e
	}
	out.Subset = readDataSubset
	out.Duration = res.elapsed
	return out, nil
}
