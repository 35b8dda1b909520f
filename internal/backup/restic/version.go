package restic

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// versionLine is the first line of `restic version`: "restic 0.14.0
// compiled with go1.19.8 on linux/amd64".
var versionLine = regexp.MustCompile(`^restic ([0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+~-]*)(?: |$)`)

// parseVersion returns the version number in the output of `restic
// version`.
func parseVersion(out string) (string, error) {
	first, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	m := versionLine.FindStringSubmatch(first)
	if m == nil {
		return "", fmt.Errorf("parse version: unexpected %q", truncate(first, 80))
	}
	return m[1], nil
}

// Version returns restic's version number ("0.14.0"). It needs no
// repository; a missing binary is ErrNotFound.
func (c *Client) Version(ctx context.Context) (string, error) {
	res, err := c.run(ctx, nil, runOpts{stdoutMax: maxSmallOutput}, "version")
	if err != nil {
		return "", err
	}
	if res.exitCode != 0 {
		return "", c.fail(nil, "version", res)
	}
	v, err := parseVersion(string(res.stdout))
	if err != nil {
		return "", fmt.Errorf("restic version: %w: %w", ErrUnexpectedOutput, err)
	}
	return v, nil
}
