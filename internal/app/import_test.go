package app_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

func (b *browser) upload(path, field, name string, data []byte) apiResponse {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile(field, name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Accept-Language", "en")
	return b.do(req)
}

// The register round-trips through a spreadsheet; a file with a bad row
// writes nothing and reports the row and column.
func TestRegisterImportExport(t *testing.T) {
	a := startApp(t, nil)
	it := a.mkUnit(1, "IT")
	a.mkUser("owner", authz.RoleSystemOwner, it.ID)
	ctx := context.Background()
	if _, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: it.ID, Code: "MAIL", Name: "Thư điện tử",
		Status: system.Operating, Hosting: system.OnPremises,
		Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"private"}}}); err != nil {
		t.Fatal(err)
	}
	b := a.browser()
	b.login("owner", testPassword)
	for _, path := range []string{"/systems/template.csv", "/systems/template.xlsx", "/systems/export.xlsx"} {
		if r := b.get(path); r.status != 200 || len(r.body) == 0 {
			t.Errorf("%s: %d", path, r.status)
		}
	}
	exp := b.get("/systems/export.csv")
	if exp.status != 200 || !strings.Contains(string(exp.body), "MAIL") || !strings.Contains(string(exp.body), "Thư điện tử") {
		t.Fatalf("export: %d\n%s", exp.status, exp.body)
	}
	// A second system copied from the first, and a bad row: nothing is written.
	lines := strings.Split(strings.TrimRight(string(exp.body), "\r\n"), "\n")
	row := lines[len(lines)-1]
	good := strings.Replace(row, "MAIL", "HR", 1)
	bad := strings.Replace(strings.Replace(row, "MAIL", "BAD", 1), "operating", "exploding", 1)
	file := strings.Join(append(lines, good, bad), "\n") + "\n"
	r := b.upload("/systems/import", "file", "register.csv", []byte(file))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "exploding") {
		t.Fatalf("bad import: %d\n%s", r.status, r.body)
	}
	if _, err := a.core.Backend.GetSystemByCode(ctx, "HR"); err == nil {
		t.Fatal("a file with a bad row was partly imported")
	}
	// Without the bad row: HR is created, MAIL updated.
	file = strings.Join(append(lines, good), "\n") + "\n"
	r = b.upload("/systems/import", "file", "register.csv", []byte(file))
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "1 systems added, 1 updated") {
		t.Fatalf("good import: %d\n%s", r.status, r.body)
	}
	hr, err := a.core.Backend.GetSystemByCode(ctx, "HR")
	if err != nil || hr.ProposedLevel != 2 || hr.UnitID != it.ID {
		t.Fatalf("imported system %+v %v", hr, err)
	}
	// A unit outside the owner's scope is refused row by row.
	other := a.mkUnit(1, "OTHER")
	file = strings.Join(append(lines, strings.Replace(strings.Replace(row, "MAIL", "X1", 1), ","+"IT"+",", ","+other.Code+",", 1)), "\n") + "\n"
	if r := b.upload("/systems/import", "file", "register.csv", []byte(file)); r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "outside your scope") {
		t.Errorf("import into an out-of-scope unit: %d", r.status)
	}
}
