package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/system"
)

// complianceFixture is a level-3 system in unit IT with its requirement set.
type complianceFixture struct {
	a     *testApp
	unit  int64
	other int64
	sys   system.System
	item  int64 // mgmt.policy.document
}

func newComplianceFixture(t *testing.T) complianceFixture {
	t.Helper()
	a := startApp(t, nil)
	ctx := context.Background()
	it := a.mkUnit(1, "IT")
	other := a.mkUnit(1, "KT")
	sys, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: it.ID, Code: "DVC", Name: "Cổng dịch vụ công",
		Status: system.Operating, Hosting: system.OnPremises, ISUnit: system.Party{Name: "Phòng ATTT"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.core.Backend.SetSystemApproval(ctx, sys.ID, 3, time.Now()); err != nil {
		t.Fatal(err)
	}
	v, err := a.core.Compliance.Set(ctx, authz.System(), sys.ID)
	if err != nil {
		t.Fatal(err)
	}
	f := complianceFixture{a: a, unit: it.ID, other: other.ID, sys: sys}
	for _, iv := range v.Items {
		if iv.Item.RequirementID == "mgmt.policy.document" {
			f.item = iv.Item.ID
		}
	}
	return f
}

// TestEvidenceDownload checks the evidence rules end to end: the size limit,
// the sniffed type, storage outside the web root, attachment disposition,
// authorisation and the hash check on download.
func TestEvidenceDownload(t *testing.T) {
	f := newComplianceFixture(t)
	a := f.a
	a.mkUser("owner", authz.RoleSystemOwner, f.unit)
	a.mkUser("stranger", authz.RoleAdmin, f.other)
	owner, stranger := a.token("owner"), a.token("stranger")

	body := []byte("<!DOCTYPE html><html><script>alert('x')</script></html>")
	r := a.apiRaw("POST", "/api/v1/requirement-items/"+itoa(f.item)+"/evidence?name=bien-ban.pdf", owner, body)
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var e compliance.Evidence
	r.json(t, &e)
	sum := sha256.Sum256(body)
	if e.SHA256 != hex.EncodeToString(sum[:]) || !strings.HasPrefix(e.ContentType, "text/html") {
		t.Fatalf("stored evidence %+v", e)
	}
	// The file lives under data_dir/evidence, not anywhere the web server serves.
	path := filepath.Join(a.core.Config.DataDir, "evidence", e.SHA256[:2], e.SHA256)
	if data, err := os.ReadFile(path); err != nil || string(data) != string(body) {
		t.Fatalf("evidence file at %s: %v", path, err)
	}
	if r := a.api("GET", "/static/../evidence/"+e.SHA256[:2]+"/"+e.SHA256, "", nil); r.status == http.StatusOK {
		t.Fatal("evidence file reachable without authentication")
	}

	// Downloads are attachments, never sniffed, with the stored digest.
	for _, path := range []string{"/api/v1/evidence/" + itoa(e.ID)} {
		r := a.api("GET", path, owner, nil)
		if r.status != 200 || string(r.body) != string(body) {
			t.Fatalf("download %s: %d", path, r.status)
		}
		if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "bien-ban.pdf") {
			t.Errorf("Content-Disposition %q", cd)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") ||
			r.header.Get("Digest") != "sha-256="+e.SHA256 {
			t.Errorf("download headers %v", r.header)
		}
	}
	b := a.browser()
	b.login("owner", testPassword)
	if r := b.get("/evidence/" + itoa(e.ID)); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("UI download: %d %v", r.status, r.header)
	}
	// Another unit's administrator may not read it, through the API or the UI.
	if r := a.api("GET", "/api/v1/evidence/"+itoa(e.ID), stranger, nil); r.status != http.StatusForbidden {
		t.Errorf("other unit download: %d", r.status)
	}
	sb := a.browser()
	sb.login("stranger", testPassword)
	if r := sb.get("/evidence/" + itoa(e.ID)); r.status != http.StatusForbidden || strings.Contains(string(r.body), "alert(") {
		t.Errorf("other unit UI download: %d", r.status)
	}

	// Over the limit: refused with a clear error, nothing kept.
	big := make([]byte, a.core.Compliance.Files().Max()+1)
	r = a.apiRaw("POST", "/api/v1/requirement-items/"+itoa(f.item)+"/evidence?name=big.bin", owner, big)
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "MiB") {
		t.Errorf("oversized upload: %d %s", r.status, r.body)
	}

	// A file changed on disk is not served.
	if err := os.WriteFile(path, []byte("tampered"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := a.api("GET", "/api/v1/evidence/"+itoa(e.ID), owner, nil); r.status != http.StatusInternalServerError || strings.Contains(string(r.body), "tampered") {
		t.Errorf("tampered download: %d %s", r.status, r.body)
	}
}

// TestCompliancePagesRender renders every compliance page in both languages.
func TestCompliancePagesRender(t *testing.T) {
	f := newComplianceFixture(t)
	a := f.a
	ctx := context.Background()
	admin := a.mkUser("boss", authz.RoleAdmin, 1)
	eng, err := a.core.Compliance.CreateEngagement(ctx, authz.System(), compliance.Engagement{UnitID: f.unit, Title: "Đánh giá 2026",
		Assessor: "Công ty ABC", Start: time.Now(), End: time.Now(), SystemIDs: []int64{f.sys.ID}})
	if err != nil {
		t.Fatal(err)
	}
	fw, err := a.core.Compliance.ImportFramework(ctx, authz.System(), "k.json", strings.NewReader(
		`{"catalog":{"uuid":"00000000-0000-4000-8000-000000000001","metadata":{"title":"Khung","last-modified":"2026-01-01T00:00:00Z","version":"1","oscal-version":"1.1.2"},"controls":[{"id":"c-1","title":"C1"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	untranslated := regexp.MustCompile(`>\s*((?:nav|common|err|req|cal|comp|eng|reports|fw|notif|itemstatus|itemevent|engstatus|severity|findingstatus|notifsev)\.[a-z_.]+)\s*<`)
	for _, lang := range []string{"vi", "en"} {
		b := a.browser()
		b.login(admin.Username, testPassword)
		if r := b.post("/profile/language", url.Values{"lang": {lang}}); r.status != http.StatusSeeOther {
			t.Fatalf("set language: %d", r.status)
		}
		for _, path := range []string{"/compliance", "/systems/" + itoa(f.sys.ID) + "/requirements",
			"/systems/" + itoa(f.sys.ID) + "/requirements?status=stale", "/requirement-items/" + itoa(f.item),
			"/systems/" + itoa(f.sys.ID) + "/calendar", "/engagements", "/engagements/" + itoa(eng.ID), "/reports",
			"/frameworks", "/frameworks/" + itoa(fw.ID), "/notifications", "/notifications/channels"} {
			r := b.get(path)
			if r.status != http.StatusOK {
				t.Errorf("%s %s: status %d", lang, path, r.status)
				continue
			}
			if m := untranslated.FindStringSubmatch(string(r.body)); m != nil {
				t.Errorf("%s %s: untranslated key %s", lang, path, m[1])
			}
		}
		if r := b.get("/"); !strings.Contains(string(r.body), `id="home-compliance"`) {
			t.Errorf("%s home page lacks the compliance panel", lang)
		}
		for _, path := range []string{"/oscal/catalog?lang=" + lang, "/oscal/profiles/3", "/systems/" + itoa(f.sys.ID) + "/oscal-assessment-results.json",
			"/engagements/" + itoa(eng.ID) + "/report.pdf", "/engagements/" + itoa(eng.ID) + "/report.docx"} {
			if r := b.get(path); r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") {
				t.Errorf("%s %s: %d %q", lang, path, r.status, r.header.Get("Content-Disposition"))
			}
		}
	}
}

// TestRemindersReachTheInbox runs the reminder job: the owner of the
// system's unit sees the reminders in the inbox, a user of another unit
// does not, and running the job again adds nothing.
func TestRemindersReachTheInbox(t *testing.T) {
	f := newComplianceFixture(t)
	a := f.a
	ctx := context.Background()
	a.mkUser("owner", authz.RoleSystemOwner, f.unit)
	a.mkUser("stranger", authz.RoleSystemOwner, f.other)
	a.mkUser("boss", authz.RoleAdmin, 1)
	// An administrator adds a webhook channel; the reminders reach it signed.
	var (
		mu       sync.Mutex
		received []string
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if notify.VerifySignature([]byte("hook-secret"), body, r.Header.Get(notify.SignatureHeader)) {
			received = append(received, string(body))
		}
	}))
	defer hook.Close()
	boss := a.browser()
	boss.login("boss", testPassword)
	if r := boss.post("/notifications/channels", url.Values{"kind": {"webhook"}, "name": {"SOC"}, "config": {`{"url": "` + hook.URL + `"}`},
		"secret": {"hook-secret"}, "min_severity": {"info"}, "enabled": {"on"}}); r.status != http.StatusSeeOther {
		t.Fatalf("create channel: %d %s", r.status, r.body)
	}
	run := func() string {
		j, err := a.core.Jobs.Submit(ctx, job.Spec{Kind: "compliance.reminders"})
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if j, err = a.core.Jobs.Get(ctx, j.ID); err == nil && j.Status.Final() {
				break
			}
		}
		if j.Status != job.Succeeded {
			t.Fatalf("reminder job %s: %s", j.Status, j.Error)
		}
		return j.Result
	}
	first := run()
	if !strings.Contains(first, " new") || strings.Contains(first, " 0 new") {
		t.Fatalf("first run: %s", first)
	}
	if second := run(); !strings.HasSuffix(second, ", 0 new") {
		t.Errorf("second run created more: %s", second)
	}
	mu.Lock()
	got := len(received)
	sample := ""
	if got > 0 {
		sample = received[0]
	}
	mu.Unlock()
	if got == 0 || !strings.Contains(sample, "DVC") {
		t.Errorf("webhook received %d signed reminders: %s", got, sample)
	}
	b := a.browser()
	b.login("owner", testPassword)
	r := b.get("/notifications")
	if r.status != 200 || !strings.Contains(string(r.body), "DVC") || !strings.Contains(string(r.body), `id="unread-count"`) {
		t.Fatalf("owner's inbox: %d\n%s", r.status, r.body)
	}
	sb := a.browser()
	sb.login("stranger", testPassword)
	if r := sb.get("/notifications"); strings.Contains(string(r.body), "DVC") {
		t.Error("another unit's user sees the reminders")
	}
	// Opening one marks it read and follows its link inside Khiên.
	list, err := a.core.Notify.Inbox(ctx, a.principal("owner"), true, 0, 0)
	if err != nil || len(list) == 0 {
		t.Fatalf("inbox: %v", err)
	}
	r = b.post("/notifications/"+itoa(list[0].ID)+"/open", nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != list[0].Link {
		t.Errorf("open: %d → %s, want %s", r.status, r.header.Get("Location"), list[0].Link)
	}
	if r := sb.post("/notifications/"+itoa(list[0].ID)+"/open", nil); r.status != http.StatusNotFound {
		t.Errorf("stranger opened another unit's notification: %d", r.status)
	}
	after, _ := a.core.Notify.Inbox(ctx, a.principal("owner"), true, 0, 0)
	if len(after) != len(list)-1 {
		t.Errorf("unread %d → %d after opening one", len(list), len(after))
	}
	// Channels are for administrators of the whole organisation.
	if r := b.get("/notifications/channels"); r.status != http.StatusForbidden {
		t.Errorf("owner on channels page: %d", r.status)
	}
}
