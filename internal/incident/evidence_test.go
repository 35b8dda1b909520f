package incident_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/filestore"
	"khien.vn/khien/internal/incident"
)

// evidenceFixture is a fixture whose service keeps evidence in dir.
func evidenceFixture(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "evidence")
	fs, err := filestore.New(dir, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	f.svc.SetEvidenceFiles(fs)
	return f, dir
}

func actions(chain []incident.Custody) []string {
	var out []string
	for _, c := range chain {
		out = append(out, string(c.Action)+":"+c.Actor)
	}
	return out
}

// chainOf reads an item's chain as the admin would, without adding to it.
func chainOf(t *testing.T, f *fixture, id int64) []incident.Custody {
	t.Helper()
	chain, err := f.db.ListCustody(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if i := incident.VerifyCustody(chain); i >= 0 {
		t.Fatalf("chain of custody breaks at entry %d: %v", i, actions(chain))
	}
	return chain
}

// Evidence is hashed on arrival; only the holders of incident.evidence on
// the case's unit reach it; every access, and every refused attempt, is
// one entry of its chain of custody.
func TestEvidenceCustodyAndScoping(t *testing.T) {
	f, _ := evidenceFixture(t)
	ctx := t.Context()
	c, err := f.svc.Create(ctx, f.analyst, ransomware(f.child, f.sChild.ID))
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("Your files are encrypted. Liên hệ để chuộc dữ liệu.\n")
	sum := sha256.Sum256(content)
	e, err := f.svc.AddEvidence(ctx, f.analyst, c.ID, incident.Evidence{Name: " README_DECRYPT.txt ", Source: "FS01:C:\\Users\\Public",
		CollectedBy: "Nguyễn Văn A", Description: "Ransom note"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if e.SHA256 != hex.EncodeToString(sum[:]) || e.Size != int64(len(content)) || e.Name != "README_DECRYPT.txt" || e.CaseID != c.ID {
		t.Fatalf("stored item %+v, want SHA-256 %x of %d bytes", e, sum, len(content))
	}
	if !strings.HasPrefix(e.ContentType, "text/plain") {
		t.Errorf("content type %q sniffed, want text/plain", e.ContentType)
	}

	// Who may reach it: the analyst and lead of the case's unit, and
	// nobody else — not even roles that may read the case.
	for _, p := range []*authz.Principal{f.owner, f.viewer, f.outsider} {
		if _, err := f.svc.ListEvidence(ctx, p, c.ID); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s lists the evidence: %v", p.Username, err)
		}
		if _, err := f.svc.GetEvidence(ctx, p, c.ID, e.ID); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s views the item: %v", p.Username, err)
		}
		if _, _, err := f.svc.OpenEvidence(ctx, p, c.ID, e.ID); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s downloads the item: %v", p.Username, err)
		}
		if _, err := f.svc.AddEvidence(ctx, p, c.ID, incident.Evidence{Name: "x"}, strings.NewReader("x")); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("%s adds an item: %v", p.Username, err)
		}
	}
	if _, err := f.svc.Get(ctx, f.owner, c.ID); err != nil {
		t.Errorf("the system owner cannot read the case itself: %v", err)
	}
	list, err := f.svc.ListEvidence(ctx, f.lead, c.ID)
	if err != nil || len(list) != 1 || list[0].ID != e.ID {
		t.Fatalf("lead lists %+v, %v", list, err)
	}
	// An item asked for under another case is not found there.
	other, err := f.svc.Create(ctx, f.lead, ransomware(f.root, f.sRoot.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetEvidence(ctx, f.lead, other.ID, e.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("item under another case: %v", err)
	}

	v, err := f.svc.GetEvidence(ctx, f.lead, c.ID, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, r, err := f.svc.OpenEvidence(ctx, f.analyst, c.ID, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, content) {
		t.Errorf("downloaded %q", got)
	}
	want := []string{"collected:analyst",
		"denied:owner", "denied:owner", // view, download (listing and adding are refused before any item is reached)
		"denied:viewer", "denied:viewer",
		"denied:outsider", "denied:outsider",
		"viewed:lead", "downloaded:analyst"}
	if a := actions(chainOf(t, f, e.ID)); strings.Join(a, " ") != strings.Join(want, " ") {
		t.Errorf("chain of custody\n got %v\nwant %v", a, want)
	}
	if n := len(v.Custody); n != 8 || v.Broken != -1 || v.Custody[n-1].Action != incident.Viewed {
		t.Errorf("the view shows %d entries (broken at %d), want the 8 up to itself", n, v.Broken)
	}
	for _, cu := range chainOf(t, f, e.ID) {
		if cu.CaseID != c.ID || cu.At.IsZero() {
			t.Errorf("custody entry %+v", cu)
		}
	}
	tl, err := f.svc.Timeline(ctx, f.lead, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := tl[len(tl)-1]; last.Kind != incident.EntryEvidence || !strings.Contains(last.Text, "README_DECRYPT.txt") {
		t.Errorf("timeline ends with %+v", last)
	}
	// The system owner reads the timeline but not the item's name and hash.
	tl, err = f.svc.Timeline(ctx, f.owner, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := tl[len(tl)-1]; last.Kind != incident.EntryEvidence || last.Text != "" {
		t.Errorf("the owner's timeline ends with %+v", last)
	}
}

// Bad uploads are refused with a clear error and store nothing.
func TestEvidenceRefusesBadUploads(t *testing.T) {
	f, _ := evidenceFixture(t)
	ctx := t.Context()
	c, err := f.svc.Create(ctx, f.analyst, ransomware(f.child, f.sChild.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, field string
		e           incident.Evidence
		content     string
	}{
		{"empty file", "file", incident.Evidence{Name: "empty.bin"}, ""},
		{"over the limit", "file", incident.Evidence{Name: "big.bin"}, strings.Repeat("x", 1<<10+1)},
		{"no name", "name", incident.Evidence{Name: "  "}, "x"},
		{"a path for a name", "name", incident.Evidence{Name: "../../etc/passwd"}, "x"},
		{"control characters", "source", incident.Evidence{Name: "a.txt", Source: "a\x00b"}, "x"},
	} {
		_, err := f.svc.AddEvidence(ctx, f.analyst, c.ID, tc.e, strings.NewReader(tc.content))
		pe, ok := errs.AsPublic(err)
		if !errors.Is(err, errs.ErrInvalid) || !ok || pe.Field != tc.field {
			t.Errorf("%s: %v, want invalid %s", tc.name, err, tc.field)
		}
	}
	if list, err := f.svc.ListEvidence(ctx, f.analyst, c.ID); err != nil || len(list) != 0 {
		t.Errorf("after refused uploads: %v, %v", list, err)
	}
}

// A stored file changed on disk, or removed, or a custody entry changed
// in the database, is detected when the item is next reached: the access
// fails, the chain records the tampering, and the unit is told.
func TestEvidenceTamperDetected(t *testing.T) {
	f, dir := evidenceFixture(t)
	ctx := t.Context()
	var told []string
	f.svc.OnTamper(func(_ context.Context, c incident.Case, e incident.Evidence, detail string) {
		told = append(told, e.Name+": "+detail)
	})
	c, err := f.svc.Create(ctx, f.analyst, ransomware(f.child, f.sChild.ID))
	if err != nil {
		t.Fatal(err)
	}
	add := func(name, content string) incident.Evidence {
		e, err := f.svc.AddEvidence(ctx, f.analyst, c.ID, incident.Evidence{Name: name}, strings.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	note, logs, image := add("note.txt", "pay 5 BTC"), add("auth.log", "Failed password for root"), add("mem.raw", "MZ memory")

	if res, err := f.svc.VerifyEvidence(ctx, f.lead, c.ID); err != nil || len(res) != 3 || !res[0].OK || !res[1].OK || !res[2].OK {
		t.Fatalf("verify before tampering: %+v, %v", res, err)
	}

	// The attacker edits the note on disk, removes the image, and edits
	// the custody log of the log extract in the database.
	if err := os.WriteFile(filepath.Join(dir, note.SHA256[:2], note.SHA256), []byte("pay 1 BTC"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, image.SHA256[:2], image.SHA256)); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, "UPDATE incident_custody SET actor = 'someone-else' WHERE evidence_id = ? AND action = 'collected'", logs.ID); err != nil {
		t.Fatal(err)
	}

	_, _, err = f.svc.OpenEvidence(ctx, f.analyst, c.ID, note.ID)
	if !errors.Is(err, incident.ErrTampered) || !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("download of an altered file: %v, want ErrTampered", err)
	}
	res, err := f.svc.VerifyEvidence(ctx, f.lead, c.ID)
	if err != nil || len(res) != 3 {
		t.Fatalf("verify: %+v, %v", res, err)
	}
	for i, want := range []string{"content does not match", "custody entry 1 altered", "content missing"} {
		if res[i].OK || !strings.Contains(res[i].Problem, want) {
			t.Errorf("verify %s: %+v, want %q", res[i].Evidence.Name, res[i], want)
		}
	}
	if len(told) != 4 {
		t.Errorf("the unit was told %d times, want 4 (download + 3 verifications): %v", len(told), told)
	}
	chain, _ := f.db.ListCustody(ctx, note.ID)
	if a := actions(chain); strings.Join(a, " ") != "collected:analyst verified:lead tampered:analyst tampered:lead" {
		t.Errorf("note's chain: %v", a)
	}
	if i := incident.VerifyCustody(chain); i != -1 {
		t.Errorf("the note's own chain is intact but verifies broken at %d", i)
	}
	chain, _ = f.db.ListCustody(ctx, logs.ID)
	if i := incident.VerifyCustody(chain); i != 0 {
		t.Errorf("the edited chain verifies broken at %d, want 0", i)
	}

	// The audit log has the tampering too.
	entries, err := f.db.ListAudit(ctx, audit.Filter{Action: "incident.evidence.tampered"})
	if err != nil || len(entries) != 4 {
		t.Errorf("audit entries of tampering: %d, %v", len(entries), err)
	}
}
