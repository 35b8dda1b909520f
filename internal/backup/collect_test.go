package backup_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/backup/restic"
)

// Backup assurance with Debian's real restic (issue 10's first
// acceptance line): a repository created and backed up twice, watched as a
// plan's copy — the collection records the snapshots as runs, the data
// check passes, a restore test restores and verifies with its evidence;
// then a pack file corrupted in place gives the integrity alert, and a
// snapshot deleted outside the retention the tampering alert.
func TestCollectWithRestic(t *testing.T) {
	if _, err := exec.LookPath("restic"); err != nil {
		t.Skip("restic is not installed (Debian package restic; ./scripts/test installs it)")
	}
	ctx := context.Background()
	f := newFixture(t)
	dir, db, keys, u, sys := f.dir, f.db, f.keys, f.unit, f.sys
	svc := backup.NewService(db, db, keys, nil)
	owner := &authz.Principal{UserID: 1, Username: "owner", Role: authz.RoleSystemOwner, Units: map[int64]bool{u.ID: true}}
	plan, err := svc.SavePlan(ctx, owner, backup.Plan{SystemID: sys.ID, Name: "Dữ liệu giao dịch", Every: 24 * time.Hour,
		RPO: 24 * time.Hour, RTO: time.Hour, RetentionDays: 30, RestoreEvery: 30 * 24 * time.Hour, Central: true,
		Copies: []backup.Copy{{Name: "NAS", Media: backup.NAS}, {Name: "Băng từ", Media: backup.Tape, Offsite: true, Offline: true}}})
	if err != nil {
		t.Fatal(err)
	}

	// The data and its repository, backed up twice.
	src := filepath.Join(dir, "src")
	rng := rand.New(rand.NewChaCha8([32]byte{7}))
	random := make([]byte, 96<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	docs := map[string][]byte{"db/orders.bin": random, "db/ledger.csv": bytes.Repeat([]byte("id,amount\n1,100\n"), 200)}
	for i := range 12 {
		docs[fmt.Sprintf("hop-dong/hd-%02d.txt", i)] = []byte(strings.Repeat(fmt.Sprintf("Hợp đồng số %d giữa Công ty Chứng khoán và khách hàng, điều khoản thanh toán và bảo mật. ", i), 40))
	}
	for name, data := range docs {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const password = "mật khẩu kho sao lưu"
	repoDir := filepath.Join(dir, "repo")
	rc := &restic.Client{CacheDir: filepath.Join(dir, "cache"), Timeout: time.Minute}
	repo := restic.Repo{Location: repoDir, Password: password}
	if err := rc.Init(ctx, repo); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := rc.Backup(ctx, repo, []string{src}, nil); err != nil {
			t.Fatal(err)
		}
	}
	watched, err := svc.AddRepository(ctx, owner, plan.ID, "NAS", repoDir, password, nil, "100%")
	if err != nil {
		t.Fatal(err)
	}

	got, err := svc.Collect(ctx, owner, rc, watched.ID)
	if err != nil || len(got.New) != 2 || len(got.Gone) != 0 || got.New[0].Size <= int64(len(random)) {
		t.Fatalf("first collection: %+v %v", got, err)
	}
	if got, err := svc.Collect(ctx, owner, rc, watched.ID); err != nil || len(got.New)+len(got.Gone) != 0 {
		t.Errorf("second collection: %+v %v", got, err)
	}
	if runs, _ := db.ListBackupRuns(ctx, plan.ID, 10); len(runs) != 2 || runs[0].Source != "restic" || runs[0].Copy != "NAS" {
		t.Errorf("runs recorded: %+v", runs)
	}
	if c, err := svc.Check(ctx, owner, rc, watched.ID); err != nil || !c.OK || c.Subset != "100%" {
		t.Fatalf("check: %+v %v", c, err)
	}
	rt, err := svc.RestoreTest(ctx, owner, rc, watched.ID, filepath.Join(dir, "scratch"))
	if err != nil || !rt.Verified || rt.Files != 14 || rt.Duration <= 0 || rt.Bytes <= int64(len(random)) || rt.DataAge() < 0 {
		t.Fatalf("restore test: %+v %v", rt, err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "scratch")); len(left) != 0 {
		t.Errorf("the restore test left %d entries in its scratch directory", len(left))
	}
	if c, err := svc.Examine(ctx, owner, rc, watched.ID, filepath.Join(dir, "scratch")); err != nil || c.Suspicious || c.Files != 14 || c.PreviousID == "" {
		t.Fatalf("content check of two ordinary snapshots: %+v %v", c, err)
	}
	v, err := svc.View(ctx, owner, plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k := issueKinds(v.Issues); k != "" {
		t.Errorf("issues after a good collection, check and restore: %s", k)
	}

	// Ransomware encrypts the contracts in place, renames them .lockbit and
	// drops its notes; the next backup holds that: the content check
	// says so.
	block, err := aes.NewCipher(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		name := filepath.Join(src, fmt.Sprintf("hop-dong/hd-%02d.txt", i))
		plain, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		enc := make([]byte, len(plain))
		cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(enc, plain)
		if err := os.WriteFile(name+".lockbit", enc, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"hop-dong", "db"} {
		if err := os.WriteFile(filepath.Join(src, d, "Restore-My-Files.txt"), []byte("All your files are encrypted."), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rc.Backup(ctx, repo, []string{src}, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.Collect(ctx, owner, rc, watched.ID); err != nil || len(got.New) != 1 {
		t.Fatalf("collection of the encrypted backup: %+v %v", got, err)
	}
	c, err := svc.Examine(ctx, owner, rc, watched.ID, filepath.Join(dir, "scratch"))
	if err != nil || !c.Suspicious || c.Score < 90 || c.Sampled == 0 || len(c.EN) == 0 || len(c.VI) != len(c.EN) {
		t.Fatalf("content check of the encrypted backup: %+v %v", c, err)
	}
	v, _ = svc.View(ctx, owner, plan.ID)
	if k := issueKinds(v.Issues); k != "encrypted_content" || !v.Issues[0].Critical || !strings.Contains(v.Issues[0].EN, "lockbit") {
		t.Errorf("issues after the encrypted backup: %s %+v", k, v.Issues)
	}
	if f := failedChecks(v.Checks); f != "" {
		t.Errorf("failed checks: %s", f)
	}

	// A pack corrupted in place: the data check finds it.
	pack := largestPack(t, repoDir)
	if err := os.Chmod(pack, 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(pack)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(data) / 2; i < len(data)/2+16; i++ {
		data[i] ^= 0xFF
	}
	if err := os.WriteFile(pack, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := svc.Check(ctx, owner, rc, watched.ID); err != nil || c.OK || c.Errors == "" {
		t.Fatalf("check of the corrupted repository: %+v %v", c, err)
	}
	v, _ = svc.View(ctx, owner, plan.ID)
	if k := issueKinds(v.Issues); k != "integrity_failed,encrypted_content" || !v.Issues[0].Critical {
		t.Errorf("issues after the corruption: %s", k)
	}

	// The older snapshot deleted (within the 30-day retention): tampering.
	snaps, err := rc.Snapshots(ctx, repo)
	if err != nil || len(snaps) != 3 {
		t.Fatalf("snapshots: %v %v", snaps, err)
	}
	if err := rc.Forget(ctx, repo, snaps[0].ID); err != nil {
		t.Fatal(err)
	}
	got, err = svc.Collect(ctx, owner, rc, watched.ID)
	if err != nil || len(got.Gone) != 1 || got.Gone[0].ID != snaps[0].ID {
		t.Fatalf("collection after the deletion: %+v %v", got, err)
	}
	v, _ = svc.View(ctx, owner, plan.ID)
	if k := issueKinds(v.Issues); k != "integrity_failed,snapshot_deleted,encrypted_content" {
		t.Errorf("issues after the deletion: %s", k)
	}

	// A wrong password: the collection fails, the repository says why, and
	// nothing says the password.
	stored, _ := db.GetBackupRepository(ctx, watched.ID)
	wrong, err := keys.Seal([]byte("sai"), "backup.repository:"+itoa(plan.ID)+":NAS:password")
	if err != nil {
		t.Fatal(err)
	}
	stored.PasswordSealed = wrong
	if err := db.UpdateBackupRepository(ctx, &stored); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Collect(ctx, owner, rc, watched.ID); !errors.Is(err, restic.ErrWrongPassword) {
		t.Errorf("collection with a wrong password: %v", err)
	}
	after, _ := db.GetBackupRepository(ctx, watched.ID)
	if after.LastError == "" || strings.Contains(after.LastError, password) || strings.Contains(after.LastError, "sai") {
		t.Errorf("the repository's last error: %q", after.LastError)
	}
}

// largestPack returns the largest file under the repository's data/.
func largestPack(t *testing.T, repoDir string) string {
	t.Helper()
	var best string
	var size int64 = -1
	_ = filepath.WalkDir(filepath.Join(repoDir, "data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err == nil && info.Size() > size {
			best, size = p, info.Size()
		}
		return nil
	})
	if best == "" {
		t.Fatal("no pack")
	}
	return best
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
