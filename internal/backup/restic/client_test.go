package restic_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/backup/restic"
	"khien.vn/khien/internal/errs"
)

// fakeRestic is a stand-in for restic: a shell script whose behaviour is
// chosen by FAKE_MODE, which the tests pass in Repo.Env like a backend
// credential. It records its environment and arguments in $FAKE_OUT.
const fakeRestic = `#!/bin/sh
if [ -n "$FAKE_OUT" ]; then
	env > "$FAKE_OUT.env"
	for a in "$@"; do echo "$a"; done > "$FAKE_OUT.args"
fi
case "$FAKE_MODE" in
leak)
	echo "Fatal: cannot open repository with password $RESTIC_PASSWORD and key $AWS_SECRET_ACCESS_KEY" >&2
	echo "stat https://khien:$RESTIC_PASSWORD@backup.example/config" >&2
	exit 1 ;;
empty) echo '[]' ;;
flood) exec yes ;;
slow) exec sleep 30 ;;
zeros) exec head -c 10000000 /dev/zero ;;
injected) echo '[{"time":"2026-01-01T00:00:00Z","tree":"--password-command=sh","id":"--no-lock"}]' ;;
check-silent) echo "load indexes" ;;
ls-hang) echo "$FAKE_SNAPSHOT"; exec sleep 30 ;;
ls-endless) echo "$FAKE_SNAPSHOT"; while :; do echo "$FAKE_NODE"; done ;;
*) echo "unknown FAKE_MODE" >&2; exit 99 ;;
esac
`

// What the fake prints for ls.
const (
	fakeSnapshot = `{"time":"2026-11-28T03:55:38Z","tree":"9291277e85b77df733bbd9ce1b8f80ab4e5064b4889e608a3cd06d98c1a41ed6","paths":["/srv"],"hostname":"h","username":"u","id":"a102dcd8adce1c2cff5623a66252f9c68804b41daefe3470b19f0075b75918fb","short_id":"a102dcd8","struct_type":"snapshot"}`
	fakeNode     = `{"name":"a","type":"file","path":"/srv/a","size":1,"mode":420,"mtime":"2026-11-28T03:55:36Z","atime":"2026-11-28T03:55:36Z","ctime":"2026-11-28T03:55:36Z","struct_type":"node"}`
)

// newFakeClient returns a client running fakeRestic, and a repository
// whose Env selects mode.
func newFakeClient(t *testing.T, mode string) (*restic.Client, restic.Repo) {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh for the fake restic")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "restic")
	if err := os.WriteFile(bin, []byte(fakeRestic), 0o755); err != nil {
		t.Fatal(err)
	}
	c := &restic.Client{Binary: bin, CacheDir: filepath.Join(dir, "cache"), Timeout: 20 * time.Second}
	repo := restic.Repo{
		Location: "/srv/backup/restic",
		Password: "Tr0ub4dor&3-password",
		Env: map[string]string{
			"FAKE_MODE":             mode,
			"FAKE_SNAPSHOT":         fakeSnapshot,
			"FAKE_NODE":             fakeNode,
			"FAKE_OUT":              filepath.Join(dir, "out"),
			"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		},
	}
	return c, repo
}

func TestClient_secretsStayOutOfErrors(t *testing.T) {
	t.Parallel()
	c, repo := newFakeClient(t, "leak")
	var logs bytes.Buffer
	c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := c.Snapshots(t.Context(), repo)
	var cmdErr *restic.CommandError
	if !errors.As(err, &cmdErr) || cmdErr.ExitCode != 1 {
		t.Fatalf("Snapshots = %v, want a CommandError with exit status 1", err)
	}
	for _, secret := range []string{repo.Password, repo.Env["AWS_SECRET_ACCESS_KEY"]} {
		for what, text := range map[string]string{"error": err.Error(), "log": logs.String(), "%#v": fmt.Sprintf("%#v", err)} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows a secret: %s", what, text)
			}
		}
	}
	if !strings.Contains(err.Error(), "[REDACTED]") || !strings.Contains(err.Error(), "cannot open repository") {
		t.Errorf("error %q: want restic's message with the secrets redacted", err)
	}
}

func TestClient_environmentAndArguments(t *testing.T) {
	t.Setenv("KHIEN_DATABASE_URL", "postgres://khien:dbsecret@db/khien")
	t.Setenv("RESTIC_PASSWORD_FILE", "/etc/khien/other-password")
	c, repo := newFakeClient(t, "empty")
	list, err := c.Snapshots(t.Context(), repo)
	if err != nil || len(list) != 0 {
		t.Fatalf("Snapshots = %v, %v, want an empty list", list, err)
	}
	out := repo.Env["FAKE_OUT"]
	args, err := os.ReadFile(out + ".args")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(args)); !slices.Equal(got, []string{"snapshots", "--json"}) {
		t.Errorf("arguments = %q, want snapshots --json", got)
	}
	env, err := os.ReadFile(out + ".env")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(env)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		vars[k] = v
	}
	want := map[string]string{
		"RESTIC_PASSWORD":   repo.Password,
		"RESTIC_REPOSITORY": repo.Location,
		"HOME":              c.CacheDir,
		"XDG_CACHE_HOME":    c.CacheDir,
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("child's %s = %q, want %q", k, vars[k], v)
		}
	}
	allowed := []string{"PATH", "TMPDIR", "HOME", "XDG_CACHE_HOME", "RESTIC_PASSWORD", "RESTIC_REPOSITORY",
		"FAKE_MODE", "FAKE_OUT", "FAKE_SNAPSHOT", "FAKE_NODE", "AWS_SECRET_ACCESS_KEY",
		"PWD", "SHLVL", "_", "OLDPWD"} // set by the shell itself
	for k := range vars {
		if !slices.Contains(allowed, k) {
			t.Errorf("child's environment has %s", k)
		}
	}
}

func TestClient_outputTooLarge(t *testing.T) {
	t.Parallel()
	c, repo := newFakeClient(t, "flood")
	start := time.Now()
	_, err := c.Stats(t.Context(), repo, "")
	if !errors.Is(err, restic.ErrOutputTooLarge) || !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("Stats of an endless output = %v, want ErrOutputTooLarge", err)
	}
	if d := time.Since(start); d > restic.GracePeriod {
		t.Errorf("stopping the flood took %s", d)
	}
}

func TestClient_timeout(t *testing.T) {
	t.Parallel()
	c, repo := newFakeClient(t, "slow")
	c.Timeout = 200 * time.Millisecond
	start := time.Now()
	_, err := c.Snapshots(t.Context(), repo)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 200ms") {
		t.Fatalf("Snapshots = %v, want a timeout", err)
	}
	if d := time.Since(start); d > restic.GracePeriod {
		t.Errorf("the timeout took %s: restic was not interrupted", d)
	}
}

func TestClient_cancel(t *testing.T) {
	t.Parallel()
	c, repo := newFakeClient(t, "slow")
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Check(ctx, repo, "5%")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Check = %v, want the context's error", err)
	}
}

func TestClient_lsStops(t *testing.T) {
	t.Parallel()
	c, repo := newFakeClient(t, "ls-endless")
	enough := errors.New("enough nodes")
	nodes := 0
	err := c.Ls(t.Context(), repo, "latest", func(n restic.Node) error {
		if nodes++; nodes == 3 {
			return enough
		}
		return nil
	})
	if !errors.Is(err, enough) || nodes != 3 {
		t.Fatalf("Ls = %v after %d nodes, want fn's error after 3", err, nodes)
	}
}

func TestClient_lsCancelled(t *testing.T) {
	t.Parallel()
	c, repo := newFakeClient(t, "ls-hang")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err := c.Ls(ctx, repo, "latest", func(restic.Node) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ls = %v, want the context's error", err)
	}
}

func TestClient_dumpLimit(t *testing.T) {
	t.Parallel()
	c, repo := newFakeClient(t, "zeros")
	var buf bytes.Buffer
	start := time.Now()
	if err := c.Dump(t.Context(), repo, "latest", "/srv/big.img", &buf, 4096); err != nil {
		t.Fatalf("Dump: %v", err)
	}
	if buf.Len() != 4096 {
		t.Errorf("Dump wrote %d bytes, want the limit 4096", buf.Len())
	}
	if d := time.Since(start); d > restic.GracePeriod {
		t.Errorf("stopping restic took %s", d)
	}
}

func TestClient_untrustedOutput(t *testing.T) {
	t.Parallel()
	c, repo := newFakeClient(t, "injected")
	_, err := c.Snapshots(t.Context(), repo)
	if !errors.Is(err, restic.ErrUnexpectedOutput) || !strings.Contains(err.Error(), `invalid id "--no-lock"`) {
		t.Fatalf("Snapshots of a forged listing = %v, want ErrUnexpectedOutput", err)
	}
}

func TestClient_checkWithoutVerdict(t *testing.T) {
	t.Parallel()
	c, repo := newFakeClient(t, "check-silent")
	_, err := c.Check(t.Context(), repo, "")
	if !errors.Is(err, restic.ErrUnexpectedOutput) {
		t.Fatalf("Check whose output has no verdict = %v, want ErrUnexpectedOutput", err)
	}
}

func TestClient_missingBinary(t *testing.T) {
	t.Parallel()
	for _, bin := range []string{"restic-not-installed-here", filepath.Join(t.TempDir(), "restic")} {
		c := &restic.Client{Binary: bin}
		if _, err := c.Version(t.Context()); !errors.Is(err, restic.ErrNotFound) || !errors.Is(err, errs.ErrUnavailable) {
			t.Errorf("Version with Binary %q = %v, want ErrNotFound", bin, err)
		}
		_, err := c.Snapshots(t.Context(), restic.Repo{Location: "/r", Password: "pw"})
		if !errors.Is(err, restic.ErrNotFound) {
			t.Errorf("Snapshots with Binary %q = %v, want ErrNotFound", bin, err)
		}
	}
}

// TestClient_invalidArguments: what restic could misread (a flag for an ID,
// a path it would resolve elsewhere) is refused before restic runs — the
// fake would otherwise answer with its exit status 99.
func TestClient_invalidArguments(t *testing.T) {
	t.Parallel()
	c, repo := newFakeClient(t, "no such mode")
	ctx := t.Context()
	noPassword := repo
	noPassword.Password = ""
	passwordCommand := repo
	passwordCommand.Env = map[string]string{"RESTIC_PASSWORD_COMMAND": "cat /etc/shadow"}
	discard := func(restic.Node) error { return nil }
	tests := []struct {
		name string
		call func() error
	}{
		{"no_password", func() error { _, err := c.Snapshots(ctx, noPassword); return err }},
		{"password_command", func() error { _, err := c.Snapshots(ctx, passwordCommand); return err }},
		{"stats_mode", func() error { _, err := c.Stats(ctx, repo, "--help"); return err }},
		{"stats_id_flag", func() error { _, err := c.Stats(ctx, repo, "", "--no-lock"); return err }},
		{"check_subset", func() error { _, err := c.Check(ctx, repo, "all"); return err }},
		{"ls_id_flag", func() error { return c.Ls(ctx, repo, "-l", discard) }},
		{"ls_short_id", func() error { return c.Ls(ctx, repo, "abc", discard) }},
		{"dump_relative", func() error { return c.Dump(ctx, repo, "latest", "etc/passwd", &bytes.Buffer{}, 10) }},
		{"dump_no_limit", func() error { return c.Dump(ctx, repo, "latest", "/etc/passwd", &bytes.Buffer{}, 0) }},
		{"restore_root", func() error { _, err := c.Restore(ctx, repo, "latest", "/", nil, true); return err }},
		{"restore_root_unclean", func() error { _, err := c.Restore(ctx, repo, "latest", "/tmp/..", nil, true); return err }},
		{"restore_relative", func() error { _, err := c.Restore(ctx, repo, "latest", "scratch", nil, true); return err }},
		{"restore_empty_include", func() error { _, err := c.Restore(ctx, repo, "latest", "/tmp/x", []string{""}, true); return err }},
		{"forget_latest", func() error { return c.Forget(ctx, repo, "latest") }},
		{"forget_nothing", func() error { return c.Forget(ctx, repo) }},
		{"backup_no_path", func() error { _, err := c.Backup(ctx, repo, nil, nil); return err }},
		{"backup_tag_comma", func() error { _, err := c.Backup(ctx, repo, []string{"/srv"}, []string{"a,b"}); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("got %v, want errs.ErrInvalid", err)
			}
		})
	}
}

func TestRepo_String(t *testing.T) {
	repo := restic.Repo{
		Location: "rest:https://khien:l0cati0n-secret@backup.example/repo",
		Password: "Tr0ub4dor&3-password",
		Env:      map[string]string{"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG"},
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("collect", "repo", repo)
	for _, text := range []string{
		fmt.Sprint(repo), fmt.Sprintf("%v", repo), fmt.Sprintf("%+v", repo), fmt.Sprintf("%#v", repo),
		fmt.Sprintf("%v", struct{ R restic.Repo }{repo}), logs.String(),
	} {
		for _, secret := range []string{repo.Password, repo.Env["AWS_SECRET_ACCESS_KEY"], "l0cati0n-secret"} {
			if strings.Contains(text, secret) {
				t.Errorf("%q shows a secret", text)
			}
		}
		if !strings.Contains(text, "backup.example") {
			t.Errorf("%q does not say which repository", text)
		}
	}
}
