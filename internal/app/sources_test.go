package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
)

func startIngestApp(t *testing.T) *testApp {
	return startApp(t, func(c *config.Config) {
		c.Ingest.SyslogTCP = "127.0.0.1:0"
		c.Ingest.FlushInterval = config.Duration(100 * time.Millisecond)
	})
}

// sendSyslog writes RFC 5424 lines from host to the app's syslog TCP listener.
func sendSyslog(t *testing.T, a *testApp, host string, lines ...string) {
	t.Helper()
	var addr string
	for _, r := range a.srv.Ingest().Receivers() {
		if r.Name == "syslog-tcp" {
			addr = r.Addr
		}
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, l := range lines {
		fmt.Fprintf(c, "<38>1 %s %s sshd 4242 - - %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"), host, l)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A syslog sender appears on the sources page with its rate and parse
// state, as an unknown source; one click creates its asset, and its next
// events are attributed to it.
func TestSourcesPageAndUnknownSourceToAsset(t *testing.T) {
	a := startIngestApp(t)
	in := a.srv.Ingest()
	sendSyslog(t, a, "web01.example.vn",
		"Failed password for invalid user admin from 203.0.113.9 port 52814 ssh2",
		"Accepted password for lan.nguyen from 10.0.0.7 port 40022 ssh2")
	waitUntil(t, "the source to be tracked", func() bool { return len(in.Sources()) == 1 && in.Sources()[0].Events == 2 })
	if u := in.Unknowns(); len(u) != 1 || u[0].Key != "web01.example.vn" {
		t.Fatalf("unknown sources = %+v", u)
	}

	b := a.browser()
	admin := a.mkUser("src.admin", authz.RoleAdmin, in.DefaultUnit())
	b.login(admin.Username, testPassword)
	r := b.get("/sources")
	body := string(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, "web01.example.vn") || !strings.Contains(body, `<svg class="sparkline"`) ||
		!strings.Contains(body, "syslog-tcp") || !strings.Contains(body, "Unknown sources (1)") {
		t.Fatalf("sources page: %d\n%s", r.status, body)
	}
	r = b.get("/sources/unknown")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "web01.example.vn") {
		t.Fatalf("unknown sources page: %d\n%s", r.status, r.body)
	}
	r = b.post("/sources/unknown", url.Values{"key": {"web01.example.vn"}, "name": {"Web server 01"}, "kind": {"host"},
		"unit_id": {fmt.Sprint(in.DefaultUnit())}})
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/assets/") {
		t.Fatalf("create asset: %d %s %s", r.status, loc, r.body)
	}
	list, err := a.core.Assets.List(context.Background(), authz.System(), asset.Filter{})
	if err != nil || len(list) != 1 || list[0].Name != "Web server 01" || list[0].Identifiers[0] != (asset.Identifier{Type: asset.Hostname, Value: "web01.example.vn"}) {
		t.Fatalf("assets = %+v, %v", list, err)
	}
	if len(in.Unknowns()) != 0 {
		t.Errorf("the source is still unknown: %+v", in.Unknowns())
	}
	sendSyslog(t, a, "web01.example.vn", "Accepted publickey for root from 10.0.0.8 port 40023 ssh2")
	waitUntil(t, "the next event attributed", func() bool {
		s := in.Sources()
		return len(s) == 1 && s[0].Events == 3 && s[0].AssetID == fmt.Sprint(list[0].ID)
	})
	if len(in.Unknowns()) != 0 {
		t.Errorf("the attributed source came back as unknown")
	}

	// A viewer (no event.read) does not see the page; an analyst of a
	// sub-unit does not see the top-level unit's unknown sources.
	viewer := a.browser()
	v := a.mkUser("src.viewer", authz.RoleViewer, in.DefaultUnit())
	viewer.login(v.Username, testPassword)
	if r := viewer.get("/sources"); r.status != http.StatusForbidden {
		t.Errorf("viewer on /sources: %d", r.status)
	}
	sub := a.mkUnit(in.DefaultUnit(), "SUB")
	analyst := a.browser()
	an := a.mkUser("src.analyst", authz.RoleAnalyst, sub.ID)
	analyst.login(an.Username, testPassword)
	if r := analyst.get("/sources/unknown"); r.status != http.StatusForbidden {
		t.Errorf("sub-unit analyst on /sources/unknown: %d", r.status)
	}
	if r := analyst.get("/sources"); r.status != http.StatusOK || strings.Contains(string(r.body), "web01.example.vn") {
		t.Errorf("sub-unit analyst sees the top-level unit's source: %d", r.status)
	}
	if r := analyst.post("/sources/unknown", url.Values{"key": {"x"}, "unit_id": {fmt.Sprint(sub.ID)}}); r.status != http.StatusForbidden {
		t.Errorf("sub-unit analyst creating from an unknown source: %d", r.status)
	}

	// Metrics show the listener and the pipeline.
	resp, err := http.Get(a.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`khien_ingest_received_events_total{listener="syslog-tcp",protocol="tcp"} 3`,
		"khien_pipeline_stored_events_total 3", "khien_ingest_sources 1", "khien_spool_backlog_bytes"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// A source that used to send and stopped is notified once to its unit.
func TestSilentSourceNotified(t *testing.T) {
	a := startIngestApp(t)
	in := a.srv.Ingest()
	old := time.Now().Add(-2 * time.Hour)
	batch := make([]event.Event, 12)
	for i := range batch {
		batch[i] = event.Event{Received: old, UnitID: in.DefaultUnit(), Source: event.Source{Kind: event.KindSyslog, Name: "syslog-udp"},
			Fields: map[string]string{event.FieldHostName: "fw01.example.vn"}}
	}
	in.Tracker.Observe(batch)
	ctx := context.Background()
	in.CheckSourcesNow(ctx)
	in.CheckSourcesNow(ctx) // reported once
	a.mkUser("silent.admin", authz.RoleAdmin, in.DefaultUnit())
	r := a.api("GET", "/api/v1/notifications", a.token("silent.admin"), nil)
	var list struct{ Items []notify.Notification }
	r.json(t, &list)
	n := 0
	for _, x := range list.Items {
		if strings.Contains(x.TitleEN, "fw01.example.vn (syslog) stopped sending") && x.Link == "/sources" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d silent-source notifications, want 1: %+v", n, list)
	}
	if _, err := os.Stat(filepath.Join(a.core.Config.DataDir, "sources.json")); err != nil {
		t.Errorf("source statistics not saved: %v", err)
	}
}

// An .evtx upload in the UI becomes a job whose result says what was
// imported.
func TestImportEVTXUpload(t *testing.T) {
	a := startIngestApp(t)
	in := a.srv.Ingest()
	b := a.browser()
	admin := a.mkUser("imp.admin", authz.RoleAdmin, in.DefaultUnit())
	b.login(admin.Username, testPassword)

	upload := func(data []byte) apiResponse {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("unit_id", fmt.Sprint(in.DefaultUnit()))
		fw, _ := mw.CreateFormFile("file", "Security.evtx")
		_, _ = fw.Write(data)
		_ = mw.Close()
		req, _ := http.NewRequest("POST", a.url+"/sources/import", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", a.url)
		req.Header.Set("Accept-Language", "en")
		return b.do(req)
	}
	r := upload(emptyEVTX())
	loc := r.header.Get("Location")
	m := regexp.MustCompile(`^/jobs/(\d+)$`).FindStringSubmatch(loc)
	if r.status != http.StatusSeeOther || m == nil {
		t.Fatalf("upload: %d %q %s", r.status, loc, r.body)
	}
	var j job.Job
	waitUntil(t, "the import job", func() bool {
		var err error
		j, err = a.core.Jobs.Get(context.Background(), parseInt(m[1]))
		return err == nil && j.Status.Final()
	})
	if j.Status != job.Succeeded || !strings.Contains(j.Result, "Security.evtx: 0 records, 0 events imported") {
		t.Errorf("job = %s %q %q", j.Status, j.Result, j.Error)
	}
	if entries, _ := os.ReadDir(filepath.Join(a.core.Config.DataDir, "uploads")); len(entries) != 0 {
		t.Errorf("the upload was not removed after the import: %v", entries)
	}
	// Not an .evtx file: refused with a clear error, nothing kept.
	r = upload([]byte("MZ this is not an event log"))
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "not a Windows event log") {
		t.Errorf("bad upload: %d %s", r.status, r.body)
	}
	if entries, _ := os.ReadDir(filepath.Join(a.core.Config.DataDir, "uploads")); len(entries) != 0 {
		t.Errorf("a refused upload was kept: %v", entries)
	}
}

func parseInt(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}
