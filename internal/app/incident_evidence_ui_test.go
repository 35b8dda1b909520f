package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/incident"
)

// uploadEvidence posts a multipart form with one file as a same-origin browser
// would (the file last, after the other fields).
func (b *browser) uploadEvidence(path string, fields map[string]string, filename string, content []byte) apiResponse {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			b.t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		b.t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		b.t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", b.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Accept-Language", "en")
	return b.do(req)
}

// storedFiles counts the files of the incident evidence store.
func storedFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIncidentEvidencePages follows an evidence item through the pages:
// an analyst uploads it (named by the file, without its directories),
// finds it on the case page with its SHA-256, reads its chain of custody,
// downloads it and verifies the case's evidence. A system owner of the
// same unit reads the case but sees nothing of its evidence and may not
// open it. Too large or empty files are refused and keep nothing; a file
// altered on disk is refused (409) and the attempt is in the chain.
func TestIncidentEvidencePages(t *testing.T) {
	a := startApp(t, func(c *config.Config) { c.Incident.EvidenceMaxMB = 1 })
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	a.mkUser("evp.analyst", authz.RoleAnalyst, root)
	a.mkUser("evp.owner", authz.RoleSystemOwner, root)
	c, err := a.core.Incidents.Create(ctx, authz.System(), incident.Case{UnitID: root, Title: "Mã hóa tống tiền máy chủ tệp",
		Category: incident.Ransomware, Severity: incident.Critical, DetectedAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	casePath := "/incidents/" + itoa(c.ID)
	store := filepath.Join(a.core.Config.DataDir, "incident-evidence")

	analyst := a.browser()
	analyst.login("evp.analyst", testPassword)
	if body := string(analyst.get(casePath).body); !strings.Contains(body, `id="evidence"`) || !strings.Contains(body, `id="evidence-add"`) ||
		!strings.Contains(body, `enctype="multipart/form-data"`) {
		t.Fatalf("the analyst's case page has no evidence section:\n%s", body)
	}

	// Upload: the name comes from the file, without the client's directories.
	content := []byte("!! ALL YOUR FILES ARE ENCRYPTED !!\nLiên hệ để giải mã.\n")
	sum := sha256.Sum256(content)
	hash := hex.EncodeToString(sum[:])
	collected := time.Now().In(incident.Vietnam).Add(-30 * time.Minute)
	r := analyst.uploadEvidence(casePath+"/evidence", map[string]string{"name": "", "description": "Thư đòi tiền chuộc trên FS01",
		"source": `FS01:D:\Share\README.txt`, "collected_by": "Trần B", "collected_date": collected.Format("2006-01-02"),
		"collected_time": collected.Format("15:04")}, `C:\Users\lan\Desktop\README.txt`, content)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != casePath+"#evidence" {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	list, err := a.core.Incidents.ListEvidence(ctx, authz.System(), c.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("evidence after the upload: %+v %v", list, err)
	}
	e := list[0]
	if e.Name != "README.txt" || e.SHA256 != hash || e.Size != int64(len(content)) || e.CollectedBy != "Trần B" ||
		!e.CollectedAt.Equal(collected.Truncate(time.Minute)) || e.Description != "Thư đòi tiền chuộc trên FS01" {
		t.Fatalf("stored %+v", e)
	}
	itemPath := casePath + "/evidence/" + itoa(e.ID)

	// Listed on the case page with its SHA-256 (in full in the title).
	body := string(analyst.get(casePath).body)
	row := regexp.MustCompile(`(?s)<tr id="evidence-` + itoa(e.ID) + `">.*?</tr>`).FindString(body)
	if !strings.Contains(row, `href="`+itemPath+`"`) || !strings.Contains(row, ">README.txt<") || !strings.Contains(row, `title="`+hash+`"`) ||
		!strings.Contains(row, hash[:16]) || !strings.Contains(row, "Trần B") {
		t.Errorf("the case page's evidence row:\n%s", row)
	}
	if !strings.Contains(body, "Evidence added") || !strings.Contains(body, "README.txt (SHA-256 "+hash[:16]) {
		t.Errorf("no flash or timeline entry for the upload:\n%s", body)
	}

	// The item page: the facts and the chain, collected then viewed.
	r = analyst.get(itemPath)
	body = string(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, `<code id="evidence-sha256" class="words">`+hash+`</code>`) ||
		!strings.Contains(body, `data-action="collected"`) || !strings.Contains(body, `data-action="viewed"`) ||
		!strings.Contains(body, `id="custody-intact"`) || strings.Contains(body, `id="custody-broken"`) ||
		!strings.Contains(body, `href="`+itemPath+`/content"`) || !strings.Contains(body, "text/plain") {
		t.Fatalf("item page: %d\n%s", r.status, body)
	}

	// The download: the same bytes, the stored digest, an attachment.
	r = analyst.get(itemPath + "/content")
	if r.status != http.StatusOK || !bytes.Equal(r.body, content) || r.header.Get("Digest") != "sha-256="+hash ||
		!strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("download: %d %v %q", r.status, r.header, r.body)
	}
	if body := string(analyst.get(itemPath).body); !strings.Contains(body, `data-action="downloaded"`) {
		t.Errorf("the download is not in the chain:\n%s", body)
	}

	// Verify all: each item's result on the page.
	r = analyst.post(casePath+"/evidence/verify", nil)
	if body := string(r.body); r.status != http.StatusOK || !strings.Contains(body, `id="evidence-verification"`) ||
		!strings.Contains(body, `id="verified-`+itoa(e.ID)+`" data-ok="true"`) || !strings.Contains(body, "All 1 evidence items match") {
		t.Errorf("verify: %d\n%s", r.status, body)
	}

	// Too large (1 MiB + 1 byte, then well over the form's limit) and
	// empty files: a clear error, nothing stored.
	files := storedFiles(t, store)
	for _, size := range []int{1<<20 + 1, 3 << 20} {
		r = analyst.uploadEvidence(casePath+"/evidence", map[string]string{"name": "disk.img"}, "disk.img", bytes.Repeat([]byte{'x'}, size))
		if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.body), "The file is larger than 1 MiB.") {
			t.Errorf("an upload of %d bytes: %d\n%s", size, r.status, r.body)
		}
	}
	r = analyst.uploadEvidence(casePath+"/evidence", map[string]string{"name": "empty.bin", "source": "FS02"}, "empty.bin", nil)
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "The file is empty.") || !strings.Contains(string(r.body), `value="FS02"`) {
		t.Errorf("an empty upload: %d\n%s", r.status, r.body)
	}
	if list, _ := a.core.Incidents.ListEvidence(ctx, authz.System(), c.ID); len(list) != 1 {
		t.Errorf("refused uploads stored evidence: %+v", list)
	}
	if n := storedFiles(t, store); n != files {
		t.Errorf("refused uploads left files: %d, want %d", n, files)
	}

	// A cross-origin upload is refused.
	req, _ := http.NewRequest("POST", a.url+casePath+"/evidence", strings.NewReader("--x--\r\n"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Origin", "https://evil.example")
	if r := analyst.do(req); r.status != http.StatusForbidden {
		t.Errorf("cross-origin upload: %d", r.status)
	}

	// The system owner reads the case but nothing of its evidence.
	owner := a.browser()
	owner.login("evp.owner", testPassword)
	r = owner.get(casePath)
	body = string(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, "Mã hóa tống tiền máy chủ tệp") || strings.Contains(body, `id="evidence"`) ||
		strings.Contains(body, hash[:16]) || strings.Contains(body, "README.txt") || !strings.Contains(body, "An evidence item was added.") {
		t.Errorf("the owner's case page: %d\n%s", r.status, body)
	}
	for _, p := range []string{itemPath, itemPath + "/content"} {
		if r := owner.get(p); r.status != http.StatusForbidden || strings.Contains(string(r.body), hash) || bytes.Contains(r.body, content) {
			t.Errorf("owner GET %s: %d", p, r.status)
		}
	}
	if r := owner.uploadEvidence(casePath+"/evidence", nil, "x.txt", []byte("x")); r.status != http.StatusForbidden {
		t.Errorf("owner uploads: %d", r.status)
	}
	if r := owner.post(casePath+"/evidence/verify", nil); r.status != http.StatusForbidden {
		t.Errorf("owner verifies: %d", r.status)
	}
	if body := string(analyst.get(itemPath).body); !strings.Contains(body, `data-action="denied"`) {
		t.Errorf("the owner's attempts are not in the chain:\n%s", body)
	}

	// Altered on disk: the download is refused, nothing of it sent.
	file := filepath.Join(store, hash[:2], hash)
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("nothing to see here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = analyst.get(itemPath + "/content")
	body = string(r.body)
	if r.status != http.StatusConflict || !strings.Contains(body, `id="evidence-tampered"`) ||
		!strings.Contains(body, "The evidence item README.txt no longer matches the SHA-256") || strings.Contains(body, "nothing to see here") ||
		strings.Contains(body, "ALL YOUR FILES") || r.header.Get("Content-Disposition") != "" || r.header.Get("Digest") != "" ||
		!strings.Contains(body, `data-action="tampered"`) {
		t.Errorf("tampered download: %d %v\n%s", r.status, r.header, body)
	}
	if body := string(analyst.get(itemPath).body); !strings.Contains(body, `data-action="tampered"`) {
		t.Errorf("the item page lists no tampered entry:\n%s", body)
	}
	r = analyst.post(casePath+"/evidence/verify", nil)
	if body := string(r.body); r.status != http.StatusOK || !strings.Contains(body, `id="verified-`+itoa(e.ID)+`" data-ok="false"`) ||
		!strings.Contains(body, "1 of 1 evidence items no longer hold") || !strings.Contains(body, "content does not match") {
		t.Errorf("verify after tampering: %d\n%s", r.status, body)
	}
}
