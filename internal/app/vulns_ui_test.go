package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/vuln"
)

// testOSVZip packs the vuln package's test advisories as an OSV
// ecosystem dump (all.zip).
func testOSVZip(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	files, _ := filepath.Glob(filepath.Join("..", "vuln", "testdata", "advisories", "*.json"))
	if len(files) == 0 {
		t.Fatal("no test advisories")
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(filepath.Base(name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postFile submits a multipart form with one file as a same-origin browser would.
func (b *browser) postFile(path string, fields url.Values, name string, data []byte) apiResponse {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		b.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Accept-Language", "en")
	return b.do(req)
}

type findingsPage struct {
	Items []vuln.StoredFinding `json:"items"`
	Total int                  `json:"total"`
}

// The vulnerability API and pages end to end: advisories imported by an
// analyst of the top-level unit (refused to one of a child unit), a
// malformed inventory refused with nothing kept, a Debian package list
// imported (two findings), the findings listed in scope only, a risk
// accepted by a security lead (refused to the analyst), and the page's
// list, evidence, upload and accept forms.
func TestVulnAPIAndPages(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	unitA := a.mkUnit(1, "A").ID
	unitB := a.mkUnit(1, "B").ID
	a.mkUser("vuln.analyst", authz.RoleAnalyst, 1)
	a.mkUser("vuln.child", authz.RoleAnalyst, unitA)
	a.mkUser("vuln.lead", authz.RoleSecurityLead, 1)
	a.mkUser("vuln.owner.b", authz.RoleSystemOwner, unitB)
	analyst, child, lead, ownerB := a.token("vuln.analyst"), a.token("vuln.child"), a.token("vuln.lead"), a.token("vuln.owner.b")
	web01 := asset.Asset{UnitID: unitA, Kind: asset.Host, Name: "web01.so-a.gov.vn"}
	if err := a.core.Backend.CreateAsset(ctx, &web01); err != nil {
		t.Fatal(err)
	}
	assetPath := "/api/v1/assets/" + itoa(web01.ID) + "/inventories?format=dpkg&distro=debian&release=12"

	// Advisories: a top-level unit is needed.
	zipData := testOSVZip(t)
	if r := a.apiRaw("POST", "/api/v1/vuln-advisories?format=osv-zip", child, zipData); r.status != http.StatusForbidden {
		t.Fatalf("advisories by a child unit's analyst: %d %s", r.status, r.body)
	}
	r := a.apiRaw("POST", "/api/v1/vuln-advisories?format=osv-zip", analyst, zipData)
	if r.status != http.StatusOK {
		t.Fatalf("import advisories: %d %s", r.status, r.body)
	}
	var written struct{ Written int }
	r.json(t, &written)
	if written.Written < 10 {
		t.Fatalf("advisories written: %d", written.Written)
	}
	if r := a.apiRaw("POST", "/api/v1/vuln-advisories?format=osv", analyst, []byte(`{"id": `)); r.status != http.StatusBadRequest {
		t.Fatalf("malformed advisory: %d %s", r.status, r.body)
	}

	// A malformed inventory: 400, nothing kept.
	if r := a.apiRaw("POST", assetPath, analyst, []byte("curl\n")); r.status != http.StatusBadRequest {
		t.Fatalf("malformed inventory: %d %s", r.status, r.body)
	}
	if imps, err := a.core.Backend.ListInventoryImports(ctx, web01.ID, 10); err != nil || len(imps) != 0 {
		t.Fatalf("imports after a malformed file: %v, %v", imps, err)
	}
	var page findingsPage
	a.api("GET", "/api/v1/vuln-findings", analyst, nil).json(t, &page)
	if page.Total != 0 || len(page.Items) != 0 {
		t.Fatalf("findings after a malformed file: %+v", page)
	}

	// The Debian list: two findings (curl and libcurl4, CVE-2026-9002).
	dpkg, err := os.ReadFile(filepath.Join("..", "vuln", "testdata", "debian12.dpkg"))
	if err != nil {
		t.Fatal(err)
	}
	if r := a.apiRaw("POST", assetPath, ownerB, dpkg); r.status != http.StatusForbidden {
		t.Fatalf("import by another unit's owner: %d %s", r.status, r.body)
	}
	r = a.apiRaw("POST", assetPath, analyst, dpkg)
	if r.status != http.StatusCreated {
		t.Fatalf("import inventory: %d %s", r.status, r.body)
	}
	var res vuln.ImportResult
	r.json(t, &res)
	if res.Import.PackageCount != 7 || len(res.Opened) != 2 || res.Open != 2 {
		t.Fatalf("import result: %+v", res)
	}
	a.api("GET", "/api/v1/vuln-findings?asset_id="+itoa(web01.ID)+"&status=open", analyst, nil).json(t, &page)
	if page.Total != 2 || len(page.Items) != 2 {
		t.Fatalf("findings: %+v", page)
	}
	for _, f := range page.Items {
		if f.VulnID != "CVE-2026-9002" || f.Fixed != "7.88.1-10+deb12u7" || len(f.Evidence) == 0 || f.Evidence[0].Advisory != "DSA-9002-1" {
			t.Errorf("finding: %+v", f)
		}
	}
	var other findingsPage
	a.api("GET", "/api/v1/vuln-findings", ownerB, nil).json(t, &other)
	if other.Total != 0 || len(other.Items) != 0 {
		t.Fatalf("another unit's owner sees %+v", other)
	}
	if r := a.api("GET", "/api/v1/vuln-findings?status=bogus", analyst, nil); r.status != http.StatusBadRequest {
		t.Fatalf("bad status filter: %d", r.status)
	}

	// Accepting a risk: vuln.accept (a security lead, not an analyst), a future date.
	target := page.Items[0].ID
	accept := map[string]any{"accepted_by": "Nguyễn Văn A, Giám đốc Sở", "reason": "Máy chủ không ra Internet",
		"until": time.Now().AddDate(0, 2, 0).Format(time.DateOnly)}
	acceptPath := "/api/v1/vuln-findings/" + itoa(target) + "/accept"
	if r := a.api("POST", acceptPath, analyst, accept); r.status != http.StatusForbidden {
		t.Fatalf("accept by an analyst: %d %s", r.status, r.body)
	}
	past := map[string]any{"accepted_by": "X", "reason": "Y", "until": "2020-01-01"}
	if r := a.api("POST", acceptPath, lead, past); r.status != http.StatusBadRequest {
		t.Fatalf("accept until a past date: %d %s", r.status, r.body)
	}
	r = a.api("POST", acceptPath, lead, accept)
	if r.status != http.StatusOK {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	var accepted vuln.StoredFinding
	r.json(t, &accepted)
	if accepted.Status != vuln.Accepted || accepted.AcceptedBy == "" || accepted.AcceptUntil.IsZero() {
		t.Fatalf("accepted: %+v", accepted)
	}

	// The page: both findings with their evidence and fixed version.
	b := a.browser()
	b.login("vuln.lead", testPassword)
	pg := b.get("/vulnerabilities")
	if pg.status != http.StatusOK {
		t.Fatalf("page: %d %s", pg.status, pg.body)
	}
	body := html.UnescapeString(string(pg.body)) // html/template writes "+" as &#43;
	for _, want := range []string{`id="nav-vulns"`, "web01.so-a.gov.vn", "DSA-9002-1", "7.88.1-10+deb12u7", "CVE-2026-9002",
		"introduced 0, fixed 7.88.1-10+deb12u7", `id="vuln-` + itoa(target) + `"`, "libcurl4", `id="vuln-inventory-form"`, `id="vuln-advisories-form"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The accept form is offered for the open finding only.
	open := page.Items[1].ID
	if !strings.Contains(body, `action="/vulnerabilities/findings/`+itoa(open)+`/accept"`) ||
		strings.Contains(body, `action="/vulnerabilities/findings/`+itoa(target)+`/accept"`) {
		t.Error("accept forms: want one for the open finding only")
	}
	if pg := b.get("/vulnerabilities?status=accepted"); !strings.Contains(string(pg.body), `id="vuln-`+itoa(target)+`"`) ||
		strings.Contains(string(pg.body), `id="vuln-`+itoa(open)+`"`) {
		t.Error("status filter")
	}

	// The accept form.
	r = b.post("/vulnerabilities/findings/"+itoa(open)+"/accept", url.Values{"accepted_by": {"Trần Thị B, Phó Giám đốc"},
		"reason": {"Chờ bản vá của nhà cung cấp"}, "until": {time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("accept form: %d %s", r.status, r.body)
	}
	a.api("GET", "/api/v1/vuln-findings?status=accepted", lead, nil).json(t, &page)
	if page.Total != 2 {
		t.Fatalf("accepted after the form: %+v", page)
	}

	// The upload form, as the analyst, for a second asset.
	db01 := asset.Asset{UnitID: unitA, Kind: asset.Host, Name: "db01.so-a.gov.vn"}
	if err := a.core.Backend.CreateAsset(ctx, &db01); err != nil {
		t.Fatal(err)
	}
	ba := a.browser()
	ba.login("vuln.analyst", testPassword)
	r = ba.postFile("/vulnerabilities/inventories", url.Values{"asset_id": {itoa(db01.ID)}, "format": {"detect"},
		"distro": {"debian"}, "release": {"12"}}, "debian12.dpkg", dpkg)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "Inventory imported (dpkg, 7 packages): 2 opened, 0 fixed, 2 open.") {
		t.Fatalf("upload form: %d %s", r.status, r.body)
	}
	if !strings.Contains(string(r.body), "db01.so-a.gov.vn") {
		t.Error("the page after the upload lacks the new findings")
	}
	// The analyst may not accept: no accept form.
	if strings.Contains(string(r.body), `/accept"`) {
		t.Error("an analyst is offered the accept form")
	}
	// A malformed upload: an error flash, 400.
	r = ba.postFile("/vulnerabilities/inventories", url.Values{"asset_id": {itoa(db01.ID)}, "format": {"dpkg"},
		"distro": {"debian"}, "release": {"12"}}, "bad.dpkg", []byte("curl\n"))
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "nothing of it was kept") {
		t.Fatalf("malformed upload: %d %s", r.status, r.body)
	}
	// The advisory form.
	r = ba.postFile("/vulnerabilities/advisories", url.Values{"format": {"osv-zip"}}, "all.zip", zipData)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "Advisories imported (osv-zip)") {
		t.Fatalf("advisory form: %d %s", r.status, r.body)
	}
	// A child unit's analyst: no advisory form, and a refusal.
	bc := a.browser()
	bc.login("vuln.child", testPassword)
	if pg := bc.get("/vulnerabilities"); pg.status != http.StatusOK || strings.Contains(string(pg.body), `id="vuln-advisories-form"`) {
		t.Fatalf("child unit's page: %d", pg.status)
	}
	if r := bc.postFile("/vulnerabilities/advisories", url.Values{"format": {"osv-zip"}}, "all.zip", zipData); r.status != http.StatusForbidden {
		t.Fatalf("advisory form by a child unit's analyst: %d", r.status)
	}
	// Fetching is off here: no button, and a refusal.
	if pg := b.get("/vulnerabilities/dashboard"); pg.status != http.StatusOK || strings.Contains(string(pg.body), `id="vulndash-fetch"`) {
		t.Errorf("dashboard with fetching off: %d", pg.status)
	}
	if r := b.post("/vulnerabilities/feeds", nil); r.status != http.StatusConflict {
		t.Errorf("fetch with fetching off: %d", r.status)
	}
	// A viewer has no vuln.read: no nav link.
	a.mkUser("vuln.viewer", authz.RoleViewer, 1)
	bv := a.browser()
	bv.login("vuln.viewer", testPassword)
	if pg := bv.get("/"); strings.Contains(string(pg.body), `id="nav-vulns"`) {
		t.Error("a viewer sees the vulnerabilities link")
	}
}
