package restic_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/backup/restic"
	"khien.vn/khien/internal/errs"
)

// newRealClient returns a client of the restic on PATH, with its cache in a
// temporary directory, or skips the test when there is none.
func newRealClient(t *testing.T) *restic.Client {
	t.Helper()
	c := &restic.Client{
		CacheDir: t.TempDir(),
		Timeout:  2 * time.Minute,
		Logger:   slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	v, err := c.Version(t.Context())
	if errors.Is(err, restic.ErrNotFound) {
		t.Skipf("restic is not installed (%v): skipping the tests against the real restic", err)
	}
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	t.Logf("restic %s", v)
	return c
}

// testLog writes log records to the test's log (shown with -v): how long
// each restic run took.
type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// writeTree creates the files of tree (path → content) under dir.
func writeTree(t *testing.T, dir string, tree map[string][]byte) {
	t.Helper()
	for name, data := range tree {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// randomBytes returns n bytes of deterministic, incompressible data.
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// largestPack returns the largest file under the repository's data/: with
// the test's data, the pack holding the random file's blobs.
func largestPack(t *testing.T, repoDir string) string {
	t.Helper()
	var best string
	var bestSize int64 = -1
	err := filepath.WalkDir(filepath.Join(repoDir, "data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > bestSize {
			best, bestSize = p, info.Size()
		}
		return nil
	})
	if err != nil || best == "" {
		t.Fatalf("no pack under %s: %v", repoDir, err)
	}
	return best
}

// flipMiddle inverts 16 bytes in the middle of the file: the damage a
// failing disk or an attacker encrypting the backup in place does, which
// leaves the repository's structure intact.
func flipMiddle(t *testing.T, path string) {
	t.Helper()
	if err := os.Chmod(path, 0o600); err != nil { // restic writes packs read-only
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mid := len(data) / 2
	for i := mid; i < mid+16 && i < len(data); i++ {
		data[i] ^= 0xFF
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestClient_restic drives the real restic through a repository's life:
// backups, listing, statistics, content, a verified restore, an integrity
// check, a deleted snapshot, a corrupted pack that only the data check
// sees, a wrong password. Steps depend on the ones before.
func TestClient_restic(t *testing.T) {
	t.Parallel()
	c := newRealClient(t)
	ctx := t.Context()
	dir := t.TempDir()
	const password = "correct horse battery staple"
	repo := restic.Repo{Location: filepath.Join(dir, "repo"), Password: password}
	src := filepath.Join(dir, "src")
	files := map[string][]byte{
		"notes.txt":        []byte("kế hoạch sao lưu\n"),
		"data/random.bin":  randomBytes(1, 64<<10),
		"data/sub/log.txt": bytes.Repeat([]byte("line of a log\n"), 100),
	}
	writeTree(t, src, files)

	if err := c.Init(ctx, repo); err != nil {
		t.Fatalf("Init: %v", err)
	}
	first, err := c.Backup(ctx, repo, []string{src}, []string{"khien", "test"})
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if first.FilesNew != 3 || first.SnapshotID == "" || first.Incomplete {
		t.Fatalf("first backup summary = %+v, want 3 new files and a snapshot", first)
	}
	files["notes.txt"] = []byte("kế hoạch sao lưu, phiên bản 2\n")
	writeTree(t, src, map[string][]byte{"notes.txt": files["notes.txt"]})
	second, err := c.Backup(ctx, repo, []string{src}, nil)
	if err != nil {
		t.Fatalf("second Backup: %v", err)
	}
	if second.FilesChanged != 1 || second.FilesUnmodified != 2 {
		t.Fatalf("second backup summary = %+v, want 1 changed and 2 unmodified", second)
	}

	snaps, err := c.Snapshots(ctx, repo)
	if err != nil {
		t.Fatalf("Snapshots: %v", err)
	}
	if len(snaps) != 2 {
		t.Fatalf("Snapshots = %d, want 2", len(snaps))
	}
	old, latest := snaps[0], snaps[1]
	if !strings.HasPrefix(old.ID, first.SnapshotID) || !strings.HasPrefix(latest.ID, second.SnapshotID) {
		t.Errorf("snapshot IDs %s, %s do not match the backups' %s, %s", old.ID, latest.ID, first.SnapshotID, second.SnapshotID)
	}
	if latest.Parent != old.ID || !slices.Equal(old.Tags, []string{"khien", "test"}) || !slices.Equal(latest.Paths, []string{src}) {
		t.Errorf("snapshots = %+v", snaps)
	}
	if latest.Hostname == "" || latest.Time.IsZero() || latest.ShortID != latest.ID[:8] {
		t.Errorf("latest snapshot = %+v", latest)
	}

	// Read-only steps run in parallel: each restic run spends most of its
	// time deriving the key from the password.
	// They also use --no-lock, as Khiên does with read-only credentials.
	ro := *c
	ro.NoLock = true
	t.Run("read", func(t *testing.T) {
		t.Run("stats", func(t *testing.T) {
			t.Parallel()
			var want int64
			for _, data := range files {
				want += int64(len(data))
			}
			st, err := ro.Stats(ctx, repo, restic.ModeRestoreSize, latest.ID)
			if err != nil {
				t.Fatalf("Stats: %v", err)
			}
			if st.TotalSize != want || st.SnapshotsCount != 1 || st.Mode != restic.ModeRestoreSize {
				t.Errorf("restore-size stats = %+v, want total_size %d of 1 snapshot", st, want)
			}
			raw, err := ro.Stats(ctx, repo, restic.ModeRawData)
			if err != nil {
				t.Fatalf("Stats raw-data: %v", err)
			}
			if raw.SnapshotsCount != 2 || raw.TotalBlobCount == 0 || raw.TotalSize == 0 {
				t.Errorf("raw-data stats = %+v", raw)
			}
		})

		t.Run("ls", func(t *testing.T) {
			t.Parallel()
			sizes := map[string]int64{}
			err := ro.Ls(ctx, repo, "latest", func(n restic.Node) error {
				if n.Type == "file" {
					sizes[strings.TrimPrefix(n.Path, filepath.ToSlash(src)+"/")] = n.Size
				}
				return nil
			})
			if err != nil {
				t.Fatalf("Ls: %v", err)
			}
			for name, data := range files {
				if sizes[name] != int64(len(data)) {
					t.Errorf("ls: %s has size %d, want %d (files seen: %v)", name, sizes[name], len(data), sizes)
				}
			}
		})

		t.Run("dump", func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := ro.Dump(ctx, repo, latest.ID, filepath.ToSlash(filepath.Join(src, "data/random.bin")), &buf, 1000); err != nil {
				t.Fatalf("Dump: %v", err)
			}
			if !bytes.Equal(buf.Bytes(), files["data/random.bin"][:1000]) {
				t.Errorf("Dump with limit 1000 gave %d bytes, not the file's first 1000", buf.Len())
			}
			buf.Reset()
			if err := ro.Dump(ctx, repo, latest.ID, filepath.ToSlash(filepath.Join(src, "notes.txt")), &buf, 1<<20); err != nil {
				t.Fatalf("Dump: %v", err)
			}
			if !bytes.Equal(buf.Bytes(), files["notes.txt"]) {
				t.Errorf("Dump = %q, want %q", buf.Bytes(), files["notes.txt"])
			}
		})

		t.Run("dump_missing_path", func(t *testing.T) {
			t.Parallel()
			err := ro.Dump(ctx, repo, latest.ID, "/no/such/file", io.Discard, 10)
			if !errors.Is(err, restic.ErrPathNotFound) || !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("Dump of a missing path: %v, want ErrPathNotFound", err)
			}
		})

		t.Run("restore_verify", func(t *testing.T) {
			t.Parallel()
			target := filepath.Join(t.TempDir(), "restore")
			res, err := ro.Restore(ctx, repo, latest.ID, target, nil, true)
			if err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if !res.OK || !res.Verified || res.FilesVerified != int64(len(files)) || res.Duration <= 0 || res.ErrorCount != 0 {
				t.Fatalf("Restore = %+v, want OK, verified, %d files, a duration", res, len(files))
			}
			t.Logf("restore took %s (verification %s)", res.Duration, res.VerifyDuration)
			for name, want := range files {
				got, err := os.ReadFile(filepath.Join(target, src, name)) // restic restores the full path
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("restored %s differs from the original", name)
				}
			}
		})

		t.Run("wrong_password", func(t *testing.T) {
			t.Parallel()
			bad := repo
			bad.Password = "not " + password
			_, err := ro.Snapshots(ctx, bad)
			if !errors.Is(err, restic.ErrWrongPassword) || !errors.Is(err, errs.ErrUnauthorized) {
				t.Fatalf("Snapshots with a wrong password: %v, want ErrWrongPassword", err)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error %q shows the password", err)
			}
			t.Logf("wrong password: %v", err)
		})
	})

	t.Run("check_ok", func(t *testing.T) {
		res, err := c.Check(ctx, repo, "100%")
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if !res.OK || res.PacksRead == 0 || len(res.Errors) != 0 || res.Subset != "100%" {
			t.Errorf("Check 100%% = %+v, want OK with packs read", res)
		}
	})

	t.Run("forget", func(t *testing.T) {
		if err := c.Forget(ctx, repo, old.ID); err != nil {
			t.Fatalf("Forget: %v", err)
		}
		after, err := c.Snapshots(ctx, repo)
		if err != nil {
			t.Fatalf("Snapshots: %v", err)
		}
		if len(after) != 1 || after[0].ID != latest.ID {
			t.Errorf("after Forget: %d snapshots, want only the latest", len(after))
		}
		_, err = c.Stats(ctx, repo, "", old.ID)
		if !errors.Is(err, restic.ErrSnapshotNotFound) || !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("Stats of the forgotten snapshot: %v, want ErrSnapshotNotFound", err)
		}
	})

	// The attacker (or a failing disk) damages a data pack in place.
	flipMiddle(t, largestPack(t, repo.Location))

	t.Run("plain_check_misses_corruption", func(t *testing.T) {
		res, err := c.Check(ctx, repo, "")
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if !res.OK {
			t.Errorf("plain check = %+v; restic 0.14's check without a data read was expected to miss the damage", res)
		}
	})

	t.Run("data_check_finds_corruption", func(t *testing.T) {
		res, err := c.Check(ctx, repo, "100%")
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if res.OK || res.ErrorCount == 0 || len(res.Errors) == 0 {
			t.Fatalf("Check 100%% after corruption = %+v, want errors", res)
		}
		t.Logf("check errors: %q", res.Errors)
	})

	t.Run("restore_finds_corruption", func(t *testing.T) {
		res, err := c.Restore(ctx, repo, latest.ID, filepath.Join(t.TempDir(), "restore"), nil, true)
		if err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if res.OK || res.Verified || res.ErrorCount == 0 || len(res.Errors) == 0 {
			t.Fatalf("Restore after corruption = %+v, want errors", res)
		}
		t.Logf("restore errors: %q", res.Errors)
	})
}

// TestClient_missingRepository: no repository at the location is a clear
// ErrNoRepository.
func TestClient_missingRepository(t *testing.T) {
	t.Parallel()
	c := newRealClient(t)
	repo := restic.Repo{Location: filepath.Join(t.TempDir(), "nothing-here"), Password: "secret password"}
	_, err := c.Snapshots(t.Context(), repo)
	if !errors.Is(err, restic.ErrNoRepository) || !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("Snapshots of a missing repository: %v, want ErrNoRepository", err)
	}
	var cmdErr *restic.CommandError
	if !errors.As(err, &cmdErr) || cmdErr.ExitCode == 0 || !strings.Contains(cmdErr.Stderr, "nothing-here") {
		t.Errorf("error = %#v, want the exit status and restic's message", err)
	}
	if strings.Contains(err.Error(), repo.Password) {
		t.Errorf("error %q shows the password", err)
	}
}
