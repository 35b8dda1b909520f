package app_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/system"
)

// The dossier explanation of a real dossier renders as a PDF whose text
// (pdftotext) carries its Vietnamese headings and the legal basis, and
// whose first page rasterises (pdftoppm).
func TestExplanationPDF(t *testing.T) {
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install poppler-utils): PDF check skipped", tool)
		}
	}
	a := startApp(t, nil)
	ctx := context.Background()
	s, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: 1, Code: "HSCV", Name: "Hệ thống quản lý văn bản và điều hành",
		Status: system.Operating, Hosting: system.OnPremises, Owner: system.Party{Name: "Sở Thông tin và Truyền thông"},
		Operator: system.Party{Name: "Trung tâm Công nghệ thông tin"}, Scope: "Cán bộ, công chức toàn tỉnh",
		Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"private", "personal"}, DataSubjects: 1200}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.core.Systems.OpenDossier(ctx, authz.System(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Downloads from the dossier page.
	a.mkUser("lead", authz.RoleSecurityLead, 1)
	b := a.browser()
	b.login("lead", testPassword)
	for ext, ctype := range map[string]string{"docx": report.ContentTypeDOCX, "pdf": report.ContentTypePDF} {
		r := b.get("/dossiers/" + itoa(d.ID) + "/explanation." + ext)
		if r.status != 200 || r.header.Get("Content-Type") != ctype || len(r.body) < 1000 {
			t.Errorf("explanation.%s: %d %q %d bytes", ext, r.status, r.header.Get("Content-Type"), len(r.body))
		}
	}
	doc, err := a.core.Systems.Explanation(ctx, authz.System(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WritePDF(&buf, doc); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pdf := filepath.Join(dir, "thuyet-minh.pdf")
	if err := os.WriteFile(pdf, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := norm.NFC.String(string(out))
	for _, want := range []string{"THUYẾT MINH HỒ SƠ ĐỀ XUẤT CẤP ĐỘ", "Hệ thống quản lý văn bản và điều hành", "Trung tâm Công nghệ thông tin",
		"85-8.1", "Nghị định 85/2016/NĐ-CP"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if err := exec.Command("pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", pdf, filepath.Join(dir, "page")).Run(); err != nil {
		t.Fatal(err)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pngs) != 1 {
		t.Fatalf("rasterised pages: %v", pngs)
	}
	if fi, err := os.Stat(pngs[0]); err != nil || fi.Size() < 5000 {
		t.Errorf("first page image too small: %v %v", fi, err)
	}
	if shots := os.Getenv("KHIEN_SCREENSHOTS"); shots != "" {
		if b, err := os.ReadFile(pngs[0]); err == nil {
			_ = os.WriteFile(filepath.Join(shots, "20-explanation.png"), b, 0o644)
		}
	}
}
