package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/vuln"
)

// The advisory feeds as configured, fetched by their job from a mirror
// over real HTTP: OSV's Debian dump, the KEV catalogue, an NVD page and
// EPSS scores stored, each feed's state kept and shown by the database
// API; a feed the mirror does not serve fails alone, with its error.
func TestVulnFeedsJob(t *testing.T) {
	osv := testOSVZip(t)
	csafDoc, err := os.ReadFile(filepath.Join("..", "vuln", "advisory", "testdata", "csaf", "exl-2025-0142.json"))
	if err != nil {
		t.Fatal(err)
	}
	changes := `"2025/exl-2025-0142.json","` + time.Now().UTC().Add(-24*time.Hour).Format(time.RFC3339) + `"` + "\n"
	var (
		mu   sync.Mutex
		reqs []string
	)
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/osv/Debian/all.zip":
			w.Write(osv)
		case "/kev.json":
			w.Write([]byte(`{"title": "CISA KEV", "catalogVersion": "2026.11.27", "dateReleased": "2026-11-27T12:00:00.000Z", "count": 1,
 "vulnerabilities": [{"cveID": "CVE-2026-9002", "vendorProject": "haxx", "product": "curl", "vulnerabilityName": "curl overflow (test)",
  "dateAdded": "2026-11-20", "shortDescription": "test", "requiredAction": "Apply updates.", "dueDate": "2026-12-11",
  "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []}]}`))
		case "/nvd":
			w.Write([]byte(`{"resultsPerPage": 0, "startIndex": 0, "totalResults": 0, "format": "NVD_CVE", "version": "2.0",
  "timestamp": "2026-11-27T08:15:02.311", "vulnerabilities": []}`))
		case "/csaf/changes.csv":
			w.Write([]byte(changes))
		case "/csaf/2025/exl-2025-0142.json":
			w.Write(csafDoc)
		case "/epss.csv.gz":
			w.Write([]byte("#model_version:v2025.03.14,score_date:2026-11-27T00:00:00Z\ncve,epss,percentile\nCVE-2026-9002,0.51000,0.97000\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(mirror.Close)
	a := startApp(t, func(c *config.Config) {
		c.Vuln.OSVURL, c.Vuln.OSVEcosystems = mirror.URL+"/osv", "Debian, npm" // npm is not mirrored
		c.Vuln.KEVURL, c.Vuln.NVDURL, c.Vuln.EPSSURL = mirror.URL+"/kev.json", mirror.URL+"/nvd", mirror.URL+"/epss.csv.gz"
		c.Vuln.NVDAPIKey = "test-key-0123" // the shorter pause between NVD requests
		c.Vuln.FetchInterval = config.Duration(24 * time.Hour)
		c.Vuln.CSAFURLs = mirror.URL + "/csaf/"
	})
	ctx := context.Background()
	// Fetching now, from the dashboard: a security lead of the top-level
	// unit may, an analyst of a child unit may not.
	a.mkUser("feeds.lead", authz.RoleSecurityLead, 1)
	a.mkUser("feeds.child", authz.RoleAnalyst, a.mkUnit(1, "FC").ID)
	bc := a.browser()
	bc.login("feeds.child", testPassword)
	if pg := bc.get("/vulnerabilities/dashboard"); strings.Contains(string(pg.body), `id="vulndash-fetch"`) {
		t.Error("a child unit's analyst is offered to fetch the feeds")
	}
	if r := bc.post("/vulnerabilities/feeds", nil); r.status != http.StatusForbidden {
		t.Errorf("fetch by a child unit's analyst: %d", r.status)
	}
	bl := a.browser()
	bl.login("feeds.lead", testPassword)
	if pg := bl.get("/vulnerabilities/dashboard"); !strings.Contains(string(pg.body), `id="vulndash-fetch"`) {
		t.Error("the security lead is not offered to fetch the feeds")
	}
	r := bl.post("/vulnerabilities/feeds", nil)
	jobID, err := strconv.ParseInt(strings.TrimPrefix(r.header.Get("Location"), "/jobs/"), 10, 64)
	if r.status != http.StatusSeeOther || err != nil {
		t.Fatalf("fetch now: %d %s", r.status, r.header.Get("Location"))
	}
	j, err := a.core.Jobs.Get(ctx, jobID)
	if err != nil || j.Kind != app.JobVulnFeeds {
		t.Fatalf("the fetch job: %+v %v", j, err)
	}
	waitUntil(t, "the feeds job to finish", func() bool {
		j, _ = a.core.Jobs.Get(ctx, j.ID)
		return j.Status.Final()
	})
	if j.Status != job.Failed || !strings.Contains(j.Error, "osv:npm") || strings.Contains(j.Error, "test-key-0123") {
		t.Errorf("feeds job: %s %q (want failed for osv:npm only, without the API key)", j.Status, j.Error)
	}
	st, err := a.core.Vulns.DBStatus(ctx, authz.System())
	if err != nil {
		t.Fatal(err)
	}
	if st.Advisories["osv"] != 10 || st.Advisories["csaf"] != 3 || st.KEV != 1 || st.EPSS.Count != 1 || st.EPSS.Model != "v2025.03.14" ||
		len(st.Feeds) != 6 {
		t.Fatalf("after the feeds: %+v", st)
	}
	for _, f := range st.Feeds {
		failed := f.Name == "osv:npm"
		if (f.LastError != "") != failed || f.LastRun.IsZero() || f.LastOK.IsZero() == !failed {
			t.Errorf("feed %+v", f)
		}
	}
	a.mkUser("feeds.analyst", authz.RoleAnalyst, 1)
	var got vuln.DBStatus
	a.api("GET", "/api/v1/vuln-database", a.token("feeds.analyst"), nil).json(t, &got)
	if got.KEV != 1 || len(got.Feeds) != 6 {
		t.Errorf("vuln-database API: %+v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(reqs, " "), "/osv/Debian/all.zip") {
		t.Errorf("requests: %v", reqs)
	}
}
