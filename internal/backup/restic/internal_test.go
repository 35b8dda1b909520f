package restic

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
)

func TestRedactor(t *testing.T) {
	tests := []struct {
		name string
		repo Repo
		in   string
		want string
	}{
		{name: "password", repo: Repo{Password: "hunter2"}, in: "Fatal: hunter2 rejected", want: "Fatal: [REDACTED] rejected"},
		{name: "short_password_still_redacted", repo: Repo{Password: "pw"}, in: "pw: pwpw", want: "[REDACTED]: [REDACTED]"},
		{name: "credential", repo: Repo{Password: "x1", Env: map[string]string{"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG"}},
			in: "signature for wJalrXUtnFEMI/K7MDENG failed", want: "signature for [REDACTED] failed"},
		{name: "credential_url_escaped", repo: Repo{Password: "x1", Env: map[string]string{"B2_ACCOUNT_KEY": "a/b+c d"}},
			in: "GET /?k=a%2Fb%2Bc+d and /a%2Fb+c%20d", want: "GET /?k=[REDACTED] and /[REDACTED]"},
		{name: "short_setting_kept", repo: Repo{Password: "x1", Env: map[string]string{"AWS_DEFAULT_REGION": "eu"}},
			in: "region eu", want: "region eu"},
		{name: "location_password", repo: Repo{Password: "x1", Location: "rest:https://khien:s3cr3t@backup.example/repo"},
			in: `Get "https://khien:s3cr3t@backup.example/repo/config": EOF`, want: `Get "https://khien:[REDACTED]@backup.example/repo/config": EOF`},
		{name: "location_password_escaped", repo: Repo{Password: "x1", Location: "rest:https://khien:p%40ss:w0rd@backup.example/repo"},
			in: "p%40ss:w0rd or p@ss:w0rd", want: "[REDACTED] or [REDACTED]"},
		{name: "overlapping_secrets", repo: Repo{Password: "abcd", Env: map[string]string{"K": "cdef"}},
			in: "xxabcdefyy", want: "xx[REDACTED]yy"},
		{name: "overlapping_occurrences", repo: Repo{Password: "aba"}, in: "ababa!", want: "[REDACTED]!"},
		{name: "nothing_to_hide", repo: Repo{Password: "secret"}, in: "all good", want: "all good"},
		{name: "empty", repo: Repo{Password: "secret"}, in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newRedactor(tt.repo).redact(tt.in); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskLocation(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/srv/restic", "/srv/restic"},
		{"sftp:backup@host:/srv/restic", "sftp:backup@host:/srv/restic"},
		{"s3:s3.amazonaws.com/bucket/khien", "s3:s3.amazonaws.com/bucket/khien"},
		{"rest:https://khien:s3cr3t@backup.example:8000/repo", "rest:https://khien:***@backup.example:8000/repo"},
		{"rest:https://khien:p%40ss@backup.example/", "rest:https://khien:***@backup.example/"},
		{"rest:https://khien:p@ss@backup.example/", "rest:https://khien:***@backup.example/"},
		{"rest:https://khien@backup.example/", "rest:https://khien@backup.example/"},
		{"rest:https://backup.example/a@b", "rest:https://backup.example/a@b"},
	}
	for _, tt := range tests {
		if got := maskLocation(tt.in); got != tt.want {
			t.Errorf("maskLocation(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		stderr string
		code   int
		want   error
	}{
		{name: "wrong_password", stderr: "Fatal: wrong password or no key found\n", code: 1, want: ErrWrongPassword},
		{name: "wrong_password_0.17", stderr: "Fatal: wrong password or no key found\n", code: 12, want: ErrWrongPassword},
		{name: "no_repository_local", stderr: "Fatal: unable to open config file: stat /r/config: no such file or directory\nIs there a repository at the following location?\n/r\n", code: 1, want: ErrNoRepository},
		{name: "no_repository_s3", stderr: "Fatal: unable to open config file: Stat: The specified key does not exist.\nIs there a repository at the following location?\ns3:s3.amazonaws.com/b\n", code: 1, want: ErrNoRepository},
		{name: "no_repository_0.17", stderr: "Fatal: repository does not exist: unable to open config file\n", code: 10, want: ErrNoRepository},
		{name: "rest_refused", stderr: "Fatal: unable to open config file: client.Head: Head \"http://u:***@127.0.0.1:1/config\": dial tcp 127.0.0.1:1: connect: connection refused\nIs there a repository at the following location?\nrest:http://u:***@127.0.0.1:1/\n", code: 1, want: ErrUnreachable},
		{name: "s3_denied", stderr: "Fatal: unable to open config file: Stat: Access Denied.\nIs there a repository at the following location?\n", code: 1, want: ErrUnreachable},
		{name: "sftp_down", stderr: "subprocess ssh: ssh: Could not resolve hostname nohost.invalid: Name or service not known\nFatal: unable to open repository at sftp:nohost.invalid:/x: unable to start the sftp session, error: EOF\n", code: 1, want: ErrUnreachable},
		{name: "locked", stderr: "unable to create lock in backend: repository is already locked exclusively by PID 7 on h by root (UID 0, GID 0)\nlock was created at 2026-11-28 03:00:00 (1m0s ago)\n", code: 1, want: ErrLocked},
		{name: "locked_0.17", stderr: "Fatal: unable to create lock in backend\n", code: 11, want: ErrLocked},
		{name: "exists", stderr: "Fatal: create repository at /r failed: config file already exists\n", code: 1, want: ErrRepositoryExists},
		{name: "no_snapshot", stderr: "Ignoring \"deadbeef\": no matching ID found for prefix \"deadbeef\"\n", code: 0, want: ErrSnapshotNotFound},
		{name: "no_snapshot_restore", stderr: "Fatal: failed to find snapshot: no matching ID found for prefix \"deadbeef\"\n", code: 1, want: ErrSnapshotNotFound},
		{name: "no_latest", stderr: "Ignoring \"latest\", no snapshot matched given filter (Paths:[] Tags:[] Hosts:[])\n", code: 0, want: ErrSnapshotNotFound},
		{name: "dump_path", stderr: "cannot dump file: path \"/tmp\" not found in snapshot\n", code: 1, want: ErrPathNotFound},
		{name: "other", stderr: "Fatal: something else\n", code: 1, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.stderr, tt.code); got != tt.want {
				t.Errorf("classify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	for _, tt := range []struct{ err, kind error }{
		{ErrWrongPassword, errs.ErrUnauthorized},
		{ErrNoRepository, errs.ErrNotFound},
		{ErrSnapshotNotFound, errs.ErrNotFound},
		{ErrPathNotFound, errs.ErrNotFound},
		{ErrUnreachable, errs.ErrUnavailable},
		{ErrLocked, errs.ErrLocked},
		{ErrRepositoryExists, errs.ErrConflict},
		{ErrOutputTooLarge, errs.ErrInvalid},
		{ErrUnexpectedOutput, errs.ErrInvalid},
	} {
		wrapped := &CommandError{Command: "snapshots", ExitCode: 1, Kind: tt.err}
		if !errors.Is(wrapped, tt.err) || !errors.Is(wrapped, tt.kind) {
			t.Errorf("%v: errors.Is(%v) or errors.Is(%v) fails", wrapped, tt.err, tt.kind)
		}
		if errors.Is(wrapped, ErrNotFound) {
			t.Errorf("%v matches ErrNotFound (the missing binary)", wrapped)
		}
	}
}

func TestCommandError(t *testing.T) {
	e := &CommandError{Command: "check", ExitCode: 1, Kind: ErrLocked, Stderr: "Fatal: unable to create lock"}
	if got, want := e.Error(), "restic check: repository is locked: exit status 1: Fatal: unable to create lock"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &CommandError{Command: "ls", ExitCode: -1, Err: errors.New("timed out after 1s")}
	if got, want := e.Error(), "restic ls: timed out after 1s"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestExcerpt(t *testing.T) {
	stderr := "Load(<data/21b3d0c589>, 0, 0) returned error, retrying after 552ms: open x: no such file\n" +
		"error for tree 99403b23:\n  ReadFull(<data/21b3d0c589>): no such file\n\nFatal: repository contains errors\n"
	want := "Fatal: repository contains errors; error for tree 99403b23:; ReadFull(<data/21b3d0c589>): no such file"
	if got := excerpt(stderr); got != want {
		t.Errorf("excerpt = %q, want %q", got, want)
	}
	long := excerpt(strings.Repeat("é", 1000))
	if len(long) > maxExcerpt || !strings.HasSuffix(long, "…") || !strings.HasPrefix(long, "é") {
		t.Errorf("excerpt of a long line: %d bytes, %q…", len(long), long[:10])
	}
}

func TestHeadTail(t *testing.T) {
	b := &headTail{headMax: 4, tailMax: 4}
	for _, s := range []string{"ab", "cdef", "ghij", "k", "lmnopq", "rs"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got, want := b.String(), "abcd\n[… 11 bytes left out …]\npqrs"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	small := &headTail{headMax: 4, tailMax: 4}
	_, _ = small.Write([]byte("abcdef"))
	if got := small.String(); got != "abcdef" {
		t.Errorf("String() = %q, want everything", got)
	}
	big := &headTail{headMax: 2, tailMax: 3}
	_, _ = big.Write([]byte("0123456789"))
	if got, want := big.String(), "01\n[… 5 bytes left out …]\n789"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestCapBuffer(t *testing.T) {
	stopped := 0
	b := &capBuffer{max: 5, stop: func() { stopped++ }}
	for _, s := range []string{"abc", "def", "ghi"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	got, over := b.bytes()
	if string(got) != "abcde" || !over || stopped != 1 {
		t.Errorf("bytes() = %q, %v; stopped %d times", got, over, stopped)
	}
}

func TestCheckSubset(t *testing.T) {
	for _, ok := range []string{"", "100%", "5%", "0.5%", "2.5%", "1/20", "20/20", "500M", "10k", "2G", "1t"} {
		if err := checkSubset(ok); err != nil {
			t.Errorf("checkSubset(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"0%", "100.5%", "101%", "%", "0/2", "3/2", "1/0", "1.5/3", "1000", "1.5G", "5 %", "-5%", "--read-data", "1/2 --no-lock", "10kk"} {
		if err := checkSubset(bad); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("checkSubset(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestEnviron(t *testing.T) {
	t.Setenv("KHIEN_DATABASE_URL", "postgres://secret")
	t.Setenv("RESTIC_PASSWORD_COMMAND", "cat /etc/shadow")
	t.Setenv("TMPDIR", "/var/tmp")
	t.Setenv("PATH", "/usr/bin:/bin")
	c := &Client{CacheDir: "/var/cache/khien/restic"}
	repo := Repo{Location: "s3:s3.amazonaws.com/bucket", Password: "pw", Env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIA", "HOME": "/etc/khien/ssh"}}
	want := []string{
		"AWS_ACCESS_KEY_ID=AKIA",
		"HOME=/etc/khien/ssh", // Repo.Env may point ssh at its configuration
		"PATH=/usr/bin:/bin",
		"RESTIC_PASSWORD=pw",
		"RESTIC_REPOSITORY=s3:s3.amazonaws.com/bucket",
		"TMPDIR=/var/tmp",
		"XDG_CACHE_HOME=/var/cache/khien/restic",
	}
	if diff := cmp.Diff(want, c.environ(&repo)); diff != "" {
		t.Errorf("environ (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"PATH=/usr/bin:/bin", "TMPDIR=/var/tmp"}, (&Client{}).environ(nil)); diff != "" {
		t.Errorf("environ without repository nor cache (-want +got):\n%s", diff)
	}
}

func TestRepo_validate(t *testing.T) {
	good := Repo{Location: "/srv/restic", Password: "pw"}
	if err := good.validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	tests := []struct {
		name string
		edit func(r *Repo)
	}{
		{"no_location", func(r *Repo) { r.Location = " " }},
		{"location_newline", func(r *Repo) { r.Location = "/srv\n/x" }},
		{"no_password", func(r *Repo) { r.Password = "" }},
		{"password_nul", func(r *Repo) { r.Password = "a\x00b" }},
		{"env_name", func(r *Repo) { r.Env = map[string]string{"A=B": "x"} }},
		{"env_empty_name", func(r *Repo) { r.Env = map[string]string{"": "x"} }},
		{"env_password_command", func(r *Repo) { r.Env = map[string]string{"RESTIC_PASSWORD_COMMAND": "sh -c evil"} }},
		{"env_password_file", func(r *Repo) { r.Env = map[string]string{"restic_password_file": "/etc/shadow"} }},
		{"env_repository", func(r *Repo) { r.Env = map[string]string{"RESTIC_REPOSITORY": "/other"} }},
		{"env_path", func(r *Repo) { r.Env = map[string]string{"PATH": "/tmp/evil"} }},
		{"env_value_nul", func(r *Repo) { r.Env = map[string]string{"AWS_SECRET_ACCESS_KEY": "top\x00secret"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.edit(&r)
			err := r.validate()
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("validate = %v, want ErrInvalid", err)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "evil") {
				t.Errorf("error %q quotes a value", err)
			}
		})
	}
}
