package feed

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
)

// fakeStore is an in-memory Sink and State.
type fakeStore struct {
	mu       sync.Mutex
	advs     map[string]advisory.Advisory // by source/id
	putSizes []int                        // len(advs) of each StoreAdvisories call
	kevVer   string
	kev      []advisory.KEV
	kevCalls int
	epssDate time.Time
	epss     []advisory.EPSS
	epssCall int
	states   map[string]vuln.FeedState
	onPut    func(vuln.FeedState) // called by PutVulnFeed
}

var (
	_ Sink  = (*fakeStore)(nil)
	_ State = (*fakeStore)(nil)
)

func newFakeStore() *fakeStore {
	return &fakeStore{advs: map[string]advisory.Advisory{}, states: map[string]vuln.FeedState{}}
}

func (s *fakeStore) StoreAdvisories(ctx context.Context, advs []advisory.Advisory) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putSizes = append(s.putSizes, len(advs))
	n := 0
	for _, a := range advs {
		key := a.Source + "/" + a.ID
		if old, ok := s.advs[key]; ok && !a.Modified.After(old.Modified) {
			continue
		}
		s.advs[key] = a
		n++
	}
	return n, nil
}

func (s *fakeStore) StoreKEV(ctx context.Context, version string, list []advisory.KEV) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kevVer, s.kev = version, list
	s.kevCalls++
	return nil
}

func (s *fakeStore) StoreEPSS(ctx context.Context, model string, date time.Time, list []advisory.EPSS) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epssDate, s.epss = date, list
	s.epssCall++
	return nil
}

func (s *fakeStore) GetVulnFeed(ctx context.Context, name string) (vuln.FeedState, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.states[name]
	return st, ok, nil
}

func (s *fakeStore) PutVulnFeed(ctx context.Context, st vuln.FeedState) error {
	s.mu.Lock()
	s.states[st.Name] = st
	on := s.onPut
	s.mu.Unlock()
	if on != nil {
		on(st)
	}
	return nil
}

func (s *fakeStore) modified(key string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.advs[key].Modified
}

// server serves fixture files by escaped path, and NVD pages by query.
type server struct {
	mu      sync.Mutex
	files   map[string][]byte
	status  map[string]int // a forced status per escaped path
	nvd     func(q url.Values) (int, []byte)
	seen    []string
	headers []http.Header
	// etag and lastMod are the validators of files by escaped path: sent
	// with them, and a request carrying the same answered with a 304.
	etag, lastMod map[string]string
	last          map[string]http.Header // the latest request's header by escaped path
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	key := r.URL.EscapedPath()
	req := key
	if r.URL.RawQuery != "" {
		req += "?" + r.URL.RawQuery
	}
	s.seen = append(s.seen, req)
	s.headers = append(s.headers, r.Header.Clone())
	s.last[key] = r.Header.Clone()
	data, ok := s.files[key]
	status, forced := s.status[key]
	nvd := s.nvd
	etag, lastMod := s.etag[key], s.lastMod[key]
	s.mu.Unlock()
	if ok && !forced && etag != "" {
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if ok && !forced && lastMod != "" {
		w.Header().Set("Last-Modified", lastMod)
		if r.Header.Get("If-Modified-Since") == lastMod {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	switch {
	case forced:
		w.WriteHeader(status)
		fmt.Fprint(w, "upstream exploded\x00\n  badly")
	case key == "/nvd" && nvd != nil:
		status, body := nvd(r.URL.Query())
		w.WriteHeader(status)
		w.Write(body)
	case !ok:
		http.NotFound(w, r)
	default:
		w.Write(data)
	}
}

func (s *server) set(path string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = data
}

// validators sets the ETag and Last-Modified of the file at path (""
// for none).
func (s *server) validators(path, etag, lastMod string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.etag[path], s.lastMod[path] = etag, lastMod
}

// header returns the header of the latest request of path.
func (s *server) header(path string) http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[path]
}

func (s *server) fail(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[path] = status
}

// requests returns the requests seen since the last call.
func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.seen
	s.seen = nil
	return out
}

func osvJSON(id, eco, modified string) []byte {
	return fmt.Appendf(nil, `{"id": %q, "modified": %q, "affected": [{"package": {"ecosystem": %q, "name": "libexpat"},
		"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.5.0-1+deb12u2"}]}]}]}`, id, modified, eco)
}

// zipOf builds an all.zip of the given records (id, ecosystem, modified).
func zipOf(t testing.TB, recs ...[3]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, r := range recs {
		w, err := zw.Create(r[0] + ".json")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(osvJSON(r[0], r[1], r[2]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func kevJSON(version string) []byte {
	return fmt.Appendf(nil, `{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": %q,
		"dateReleased": "2025-03-18T17:02:14.5123Z", "count": 2, "vulnerabilities": [
		{"cveID": "CVE-2024-99010", "vendorProject": "libexpat", "product": "libexpat", "dateAdded": "2025-03-18", "dueDate": "2025-04-08"},
		{"cveID": "CVE-2023-990001", "vendorProject": "Acme", "product": "Edge Gateway", "dateAdded": "2025-02-27", "dueDate": "2025-03-20"}]}`, version)
}

func epssGz(t testing.TB, date string, rows int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, "#model_version:v2025.03.14,score_date:%sT12:55:00Z\ncve,epss,percentile\n", date)
	for i := range rows {
		fmt.Fprintf(zw, "CVE-2024-%05d,0.%05d,0.%05d\n", 10000+i, i, i)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nvdPage is a CVE API 2.0 response with the given CVEs.
func nvdPage(total, start int, cves ...string) []byte {
	var items []string
	for _, c := range cves {
		items = append(items, fmt.Sprintf(`{"cve": {"id": %q, "published": "2025-03-01T10:00:00.000", "lastModified": "2025-03-19T14:02:05.997",
			"vulnStatus": "Analyzed", "descriptions": [{"lang": "en", "value": "An issue in %s."}]}}`, c, c))
	}
	return fmt.Appendf(nil, `{"resultsPerPage": %d, "startIndex": %d, "totalResults": %d, "format": "NVD_CVE", "version": "2.0",
		"timestamp": "2025-03-20T08:15:02.311", "vulnerabilities": [%s]}`, len(cves), start, total, strings.Join(items, ","))
}

// fixture is a test server with every feed, a store and a fetcher over
// them; now is the fetcher's clock. The fetcher does not wait before
// retries: it records the waits.
type fixture struct {
	srv   *server
	store *fakeStore
	f     *Fetcher
	now   time.Time
	logs  *bytes.Buffer

	mu    sync.Mutex
	waits []time.Duration
}

// retryWaits returns the waits before retries since the last call.
func (fx *fixture) retryWaits() []time.Duration {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	out := fx.waits
	fx.waits = nil
	return out
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := &server{files: map[string][]byte{}, status: map[string]int{}, etag: map[string]string{}, lastMod: map[string]string{},
		last: map[string]http.Header{}}
	srv.files["/osv/Debian/all.zip"] = zipOf(t,
		[3]string{"DSA-5901-1", "Debian:12", "2025-03-01T00:00:00Z"},
		[3]string{"DSA-5902-1", "Debian:11", "2025-03-10T08:00:00.5Z"})
	srv.files["/osv/Red%20Hat/all.zip"] = zipOf(t, [3]string{"RHSA-2025:0001", "Red Hat:enterprise_linux:9::appstream", "2025-03-05T00:00:00Z"})
	srv.files["/kev.json"] = kevJSON("2025.03.18")
	srv.files["/epss.csv.gz"] = epssGz(t, "2025-03-16", 3)
	srv.nvd = func(q url.Values) (int, []byte) { return 200, nvdPage(1, 0, "CVE-2025-0001") }
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	fx := &fixture{srv: srv, store: newFakeStore(), now: time.Date(2025, 3, 20, 6, 0, 0, 0, time.UTC), logs: &bytes.Buffer{}}
	fx.f = &Fetcher{
		HTTP: ts.Client(),
		Config: Config{
			OSVBase:       ts.URL + "/osv/",
			OSVEcosystems: []string{"Debian", "Red Hat"},
			KEVURL:        ts.URL + "/kev.json",
			NVDBase:       ts.URL + "/nvd",
			EPSSURL:       ts.URL + "/epss.csv.gz",
		},
		Sink:      fx.store,
		State:     fx.store,
		Now:       func() time.Time { return fx.now },
		Logger:    slog.New(slog.NewTextHandler(fx.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RetryWait: time.Millisecond,
		sleep: func(ctx context.Context, d time.Duration) error {
			fx.mu.Lock()
			fx.waits = append(fx.waits, d)
			fx.mu.Unlock()
			return context.Cause(ctx)
		},
	}
	return fx
}

// byName indexes states by feed name.
func byName(list []vuln.FeedState) map[string]vuln.FeedState {
	m := map[string]vuln.FeedState{}
	for _, st := range list {
		m[st.Name] = st
	}
	return m
}

func wantState(t *testing.T, st vuln.FeedState, cursor string, written int) {
	t.Helper()
	if st.LastError != "" || st.Cursor != cursor || st.Written != written || st.LastOK.IsZero() || !st.LastOK.Equal(st.LastRun) {
		t.Errorf("%s: cursor %q written %d error %q ok %v run %v; want cursor %q written %d", st.Name, st.Cursor, st.Written,
			st.LastError, st.LastOK, st.LastRun, cursor, written)
	}
}

func TestRunFirstThenIncremental(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()

	// First run: every all.zip, the catalogue, the last 120 days of NVD,
	// the scores.
	states := fx.f.Run(ctx)
	if names := slices.Collect(func(yield func(string) bool) {
		for _, st := range states {
			yield(st.Name)
		}
	}); !slices.Equal(names, []string{"osv:Debian", "osv:Red Hat", "kev", "nvd", "epss"}) {
		t.Fatalf("feeds %v", names)
	}
	got := byName(states)
	wantState(t, got["osv:Debian"], "2025-03-10T08:00:00.5Z", 2)
	wantState(t, got["osv:Red Hat"], "2025-03-05T00:00:00Z", 1)
	wantState(t, got["kev"], "2025.03.18", 2)
	wantState(t, got["nvd"], "2025-03-20T06:00:00Z", 1)
	wantState(t, got["epss"], "2025-03-16T12:55:00Z", 3)
	if !slices.Equal(states, slices.Collect(func(yield func(vuln.FeedState) bool) {
		for _, st := range states {
			yield(fx.store.states[st.Name])
		}
	})) {
		t.Error("returned states differ from the recorded ones")
	}
	nvdFirst := "/nvd?lastModEndDate=2025-03-20T06%3A00%3A00.000%2B00%3A00&lastModStartDate=2024-11-20T06%3A00%3A00.000%2B00%3A00&resultsPerPage=2000&startIndex=0"
	if reqs := fx.srv.requests(); !slices.Equal(reqs, []string{"/osv/Debian/all.zip", "/osv/Red%20Hat/all.zip", "/kev.json", nvdFirst, "/epss.csv.gz"}) {
		t.Errorf("first run requests:\n%s", strings.Join(reqs, "\n"))
	}
	for _, h := range fx.srv.headers {
		if ua := h.Get("User-Agent"); !strings.HasPrefix(ua, "Khien/") || h.Get("apiKey") != "" {
			t.Errorf("User-Agent %q, apiKey %q", ua, h.Get("apiKey"))
		}
	}
	if len(fx.store.advs) != 4 || fx.store.kevCalls != 1 || fx.store.epssCall != 1 || len(fx.store.epss) != 3 || len(fx.store.kev) != 2 {
		t.Errorf("stored %d advisories, %d KEV replacements of %d, %d EPSS of %d", len(fx.store.advs), fx.store.kevCalls, len(fx.store.kev),
			fx.store.epssCall, len(fx.store.epss))
	}

	// Second run, 4 hours later: DSA-5902-1 modified again and DSA-5903-1
	// new; RHSA-2025:0002 new; the catalogue and the scores unchanged.
	fx.now = fx.now.Add(4 * time.Hour)
	fx.srv.set("/osv/Debian/modified_id.csv", []byte("2025-03-20T09:00:00Z,DSA-5903-1\n2025-03-20T08:00:00Z,DSA-5902-1\n2025-03-10T08:00:00.5Z,DSA-5902-1\n2025-03-01T00:00:00Z,DSA-5901-1\n"))
	fx.srv.set("/osv/Debian/DSA-5902-1.json", osvJSON("DSA-5902-1", "Debian:11", "2025-03-20T08:00:00Z"))
	fx.srv.set("/osv/Debian/DSA-5903-1.json", osvJSON("DSA-5903-1", "Debian:12", "2025-03-20T09:00:00Z"))
	fx.srv.set("/osv/Red%20Hat/modified_id.csv", []byte("2025-03-20T07:00:00Z,RHSA-2025:0002\n2025-03-05T00:00:00Z,RHSA-2025:0001\n"))
	fx.srv.set("/osv/Red%20Hat/RHSA-2025:0002.json", osvJSON("RHSA-2025:0002", "Red Hat", "2025-03-20T07:00:00Z"))
	fx.srv.nvd = func(q url.Values) (int, []byte) { return 200, nvdPage(0, 0) }

	got = byName(fx.f.Run(ctx))
	wantState(t, got["osv:Debian"], "2025-03-20T09:00:00Z", 2)
	wantState(t, got["osv:Red Hat"], "2025-03-20T07:00:00Z", 1)
	wantState(t, got["kev"], "2025.03.18", 0)
	wantState(t, got["nvd"], "2025-03-20T10:00:00Z", 0)
	wantState(t, got["epss"], "2025-03-16T12:55:00Z", 0)
	reqs := fx.srv.requests()
	slices.Sort(reqs[1:3]) // fetched concurrently
	nvdNext := "/nvd?lastModEndDate=2025-03-20T10%3A00%3A00.000%2B00%3A00&lastModStartDate=2025-03-20T05%3A00%3A00.000%2B00%3A00&resultsPerPage=2000&startIndex=0"
	if want := []string{"/osv/Debian/modified_id.csv", "/osv/Debian/DSA-5902-1.json", "/osv/Debian/DSA-5903-1.json",
		"/osv/Red%20Hat/modified_id.csv", "/osv/Red%20Hat/RHSA-2025:0002.json", "/kev.json", nvdNext, "/epss.csv.gz"}; !slices.Equal(reqs, want) {
		t.Errorf("second run requests:\n%s\nwant:\n%s", strings.Join(reqs, "\n"), strings.Join(want, "\n"))
	}
	if len(fx.store.advs) != 6 || !fx.store.modified("osv/DSA-5902-1").Equal(time.Date(2025, 3, 20, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("stored %d advisories, DSA-5902-1 modified %v", len(fx.store.advs), fx.store.modified("osv/DSA-5902-1"))
	}
	if fx.store.kevCalls != 1 || fx.store.epssCall != 1 {
		t.Errorf("unchanged catalogue or scores stored again: %d, %d", fx.store.kevCalls, fx.store.epssCall)
	}

	// Third run: nothing changed anywhere but a new catalogue and new
	// scores.
	fx.now = fx.now.Add(4 * time.Hour)
	fx.srv.set("/kev.json", kevJSON("2025.03.20"))
	fx.srv.set("/epss.csv.gz", epssGz(t, "2025-03-20", 4))
	got = byName(fx.f.Run(ctx))
	wantState(t, got["osv:Debian"], "2025-03-20T09:00:00Z", 0)
	wantState(t, got["kev"], "2025.03.20", 2)
	wantState(t, got["epss"], "2025-03-20T12:55:00Z", 4)
	if reqs := fx.srv.requests(); len(reqs) != 5 || fx.store.kevCalls != 2 || fx.store.kevVer != "2025.03.20" || fx.store.epssCall != 2 {
		t.Errorf("third run: requests %v, KEV stored %d times, EPSS %d", reqs, fx.store.kevCalls, fx.store.epssCall)
	}
}

func TestOSVTooManyChanged(t *testing.T) {
	fx := newFixture(t)
	fx.f.Config.OSVEcosystems = []string{"Debian"}
	fx.f.Config.OSVMaxChanged = 1
	fx.f.Config.KEVURL, fx.f.Config.NVDBase, fx.f.Config.EPSSURL = "", "", ""
	fx.store.states["osv:Debian"] = vuln.FeedState{Name: "osv:Debian", Cursor: "2025-03-01T00:00:00Z"}
	fx.srv.set("/osv/Debian/modified_id.csv", []byte("2025-03-10T08:00:00.5Z,DSA-5902-1\n2025-03-05T00:00:00Z,DSA-5900-1\n2025-03-01T00:00:00Z,DSA-5901-1\n"))

	got := fx.f.Run(t.Context())
	if len(got) != 1 {
		t.Fatalf("states %v", got)
	}
	wantState(t, got[0], "2025-03-10T08:00:00.5Z", 2)
	if reqs := fx.srv.requests(); !slices.Equal(reqs, []string{"/osv/Debian/modified_id.csv", "/osv/Debian/all.zip"}) {
		t.Errorf("requests %v", reqs)
	}
}

func TestOSVZipStoredInBatchesAfterCheck(t *testing.T) {
	fx := newFixture(t)
	fx.f.Config.OSVEcosystems = []string{"npm"}
	fx.f.Config.KEVURL, fx.f.Config.NVDBase, fx.f.Config.EPSSURL = "", "", ""
	fx.f.batch = 3
	recs := make([][3]string, 8)
	for i := range recs {
		recs[i] = [3]string{fmt.Sprintf("GHSA-%04d", i), "npm", "2025-03-01T00:00:00Z"}
	}
	recs[7][2] = "2025-03-02T00:00:00Z"
	fx.srv.set("/osv/npm/all.zip", zipOf(t, recs...))
	wantState(t, fx.f.Run(t.Context())[0], "2025-03-02T00:00:00Z", 8)
	if !slices.Equal(fx.store.putSizes, []int{3, 3, 2}) {
		t.Errorf("batches %v", fx.store.putSizes)
	}

	// One bad record: nothing is stored, the cursor stays.
	fx.store = newFakeStore()
	fx.f.Sink, fx.f.State = fx.store, fx.store
	buf := bytes.NewBuffer(nil)
	zw := zip.NewWriter(buf)
	for i := range 3 {
		w, _ := zw.Create(fmt.Sprintf("GHSA-%04d.json", i))
		if i == 2 {
			w.Write([]byte(`{"id": "GHSA-0002"}`))
			continue
		}
		w.Write(osvJSON(fmt.Sprintf("GHSA-%04d", i), "npm", "2025-03-01T00:00:00Z"))
	}
	zw.Close()
	fx.srv.set("/osv/npm/all.zip", buf.Bytes())
	st := fx.f.Run(t.Context())[0]
	if st.Cursor != "" || !strings.Contains(st.LastError, `malformed osv zip entry "GHSA-0002.json"`) || !st.LastOK.IsZero() || fx.store.putSizes != nil {
		t.Errorf("bad archive: %+v, stored %v", st, fx.store.putSizes)
	}
}

func TestRunFeedFailureIsolated(t *testing.T) {
	fx := newFixture(t)
	earlier := time.Date(2025, 3, 19, 0, 0, 0, 0, time.UTC)
	fx.store.states["kev"] = vuln.FeedState{Name: "kev", Cursor: "2025.03.01", LastRun: earlier, LastOK: earlier, Written: 7}
	fx.store.states["osv:Debian"] = vuln.FeedState{Name: "osv:Debian", Cursor: "2025-03-01T00:00:00Z", LastRun: earlier, LastOK: earlier}
	fx.srv.fail("/kev.json", http.StatusInternalServerError)
	// Debian: one of the changed records is missing; none is stored.
	fx.srv.set("/osv/Debian/modified_id.csv", []byte("2025-03-10T08:00:00.5Z,DSA-5902-1\n2025-03-09T00:00:00Z,DSA-5909-1\n"))
	fx.srv.set("/osv/Debian/DSA-5902-1.json", osvJSON("DSA-5902-1", "Debian:11", "2025-03-10T08:00:00.5Z"))
	// EPSS: malformed.
	fx.srv.set("/epss.csv.gz", []byte("cve,epss,percentile\nCVE-2024-1234,2,0.5\n"))

	got := byName(fx.f.Run(t.Context()))
	for _, c := range []struct {
		name, cursor string
		parts        []string
	}{
		{"kev", "2025.03.01", []string{"GET http://", "/kev.json: HTTP 500 Internal Server Error: upstream exploded badly"}},
		{"osv:Debian", "2025-03-01T00:00:00Z", []string{"/osv/Debian/DSA-5909-1.json: HTTP 404 Not Found"}},
		{"epss", "", []string{"/epss.csv.gz: advisory: malformed epss at line 2: bad epss \"2\""}},
	} {
		st := got[c.name]
		if st.Cursor != c.cursor || st.LastRun != fx.now || st.Written != fx.store.states[c.name].Written {
			t.Errorf("%s: %+v", c.name, st)
		}
		for _, p := range c.parts {
			if !strings.Contains(st.LastError, p) {
				t.Errorf("%s: error %q does not contain %q", c.name, st.LastError, p)
			}
		}
	}
	if got["kev"].LastOK != earlier || got["kev"].Written != 7 {
		t.Errorf("kev's last success lost: %+v", got["kev"])
	}
	if fx.store.kevCalls != 0 || fx.store.epssCall != 0 || len(fx.store.advs) != 2 {
		t.Errorf("stored after failures: KEV %d, EPSS %d, advisories %d", fx.store.kevCalls, fx.store.epssCall, len(fx.store.advs))
	}
	wantState(t, got["osv:Red Hat"], "2025-03-05T00:00:00Z", 1)
	wantState(t, got["nvd"], "2025-03-20T06:00:00Z", 1)
	if !strings.Contains(fx.logs.String(), "vuln feed failed") {
		t.Errorf("failures not logged:\n%s", fx.logs)
	}

	// The next run, with the server well again, resumes from the cursors.
	fx.srv.mu.Lock()
	delete(fx.srv.status, "/kev.json")
	fx.srv.mu.Unlock()
	fx.srv.set("/osv/Debian/DSA-5909-1.json", osvJSON("DSA-5909-1", "Debian:12", "2025-03-09T00:00:00Z"))
	got = byName(fx.f.Run(t.Context()))
	wantState(t, got["kev"], "2025.03.18", 2)
	wantState(t, got["osv:Debian"], "2025-03-10T08:00:00.5Z", 2)
}

func TestNVDWindowsAndPaging(t *testing.T) {
	type call struct {
		from, to      string
		start, number int
	}
	fx := newFixture(t)
	fx.f.Config = Config{NVDBase: fx.f.Config.NVDBase, NVDAPIKey: "secret-nvd-key-0123"}
	var calls []call
	// Window 1 has three CVEs, on two pages; window 2 none.
	fx.srv.nvd = func(q url.Values) (int, []byte) {
		start, _ := strconv.Atoi(q.Get("startIndex"))
		n, _ := strconv.Atoi(q.Get("resultsPerPage"))
		calls = append(calls, call{q.Get("lastModStartDate"), q.Get("lastModEndDate"), start, n})
		switch {
		case len(calls) == 1:
			return 200, nvdPage(3, 0, "CVE-2025-0001", "CVE-2025-0002")
		case len(calls) == 2:
			return 200, nvdPage(3, 2, "CVE-2025-0003")
		}
		return 200, nvdPage(0, 0)
	}
	fx.store.states["nvd"] = vuln.FeedState{Name: "nvd", Cursor: "2024-09-01T00:00:00Z"} // 200 days before
	fx.f.Pause = 20 * time.Millisecond
	t0 := time.Now()
	st := fx.f.Run(t.Context())[0]
	if d := time.Since(t0); d < 2*fx.f.Pause {
		t.Errorf("3 requests in %v, want pauses of %v between them", d, fx.f.Pause)
	}
	wantState(t, st, "2025-03-20T06:00:00Z", 3)
	want := []call{
		{"2024-08-31T23:00:00.000+00:00", "2024-12-29T23:00:00.000+00:00", 0, 2000}, // the cursor less an hour, +120 days
		{"2024-08-31T23:00:00.000+00:00", "2024-12-29T23:00:00.000+00:00", 2, 2000},
		{"2024-12-29T23:00:00.000+00:00", "2025-03-20T06:00:00.000+00:00", 0, 2000},
	}
	if !slices.Equal(calls, want) {
		t.Errorf("NVD requests %+v\nwant %+v", calls, want)
	}
	for _, h := range fx.srv.headers {
		if h.Get("apiKey") != "secret-nvd-key-0123" {
			t.Errorf("apiKey header %q", h.Get("apiKey"))
		}
	}

	// The first run, with 200 days asked for: two windows.
	calls = nil
	fx.store.states = map[string]vuln.FeedState{}
	fx.f.Config.NVDFirstDays = 200
	fx.f.Pause = 0
	wantState(t, fx.f.Run(t.Context())[0], "2025-03-20T06:00:00Z", 0) // the same three CVEs, not newer
	if len(calls) != 3 || calls[0].from != "2024-09-01T06:00:00.000+00:00" || calls[2].to != "2025-03-20T06:00:00.000+00:00" {
		t.Errorf("first run requests %+v", calls)
	}

	// A 503 is retried, waiting at least the pause between requests.
	calls = nil
	fx.store.states = map[string]vuln.FeedState{}
	fx.srv.nvd = func(q url.Values) (int, []byte) {
		calls = append(calls, call{})
		if len(calls) == 2 || len(calls) == 3 {
			return http.StatusServiceUnavailable, nil
		}
		return 200, nvdPage(3, 0, "CVE-2025-0001", "CVE-2025-0002", "CVE-2025-0003")
	}
	fx.f.Config.NVDFirstDays = 300
	fx.f.Pause = time.Millisecond
	fx.f.RetryWait = time.Microsecond
	fx.retryWaits()
	wantState(t, fx.f.Run(t.Context())[0], "2025-03-20T06:00:00Z", 0)
	if waits := fx.retryWaits(); len(calls) != 5 || !slices.Equal(waits, []time.Duration{fx.f.Pause, fx.f.Pause}) {
		t.Errorf("retried NVD: %d requests, waits %v", len(calls), waits)
	}

	// A failure in the third window (300 days) that lasts keeps the
	// first two.
	calls = nil
	fx.store.states = map[string]vuln.FeedState{}
	fx.srv.nvd = func(q url.Values) (int, []byte) {
		calls = append(calls, call{})
		if len(calls) >= 3 {
			return http.StatusServiceUnavailable, nil
		}
		return 200, nvdPage(3, 0, "CVE-2025-0001", "CVE-2025-0002", "CVE-2025-0003")
	}
	st = fx.f.Run(t.Context())[0]
	if st.Cursor != "2025-01-19T06:00:00Z" || !strings.Contains(st.LastError, "HTTP 503") || !strings.Contains(st.LastError, "(4 attempts)") ||
		!st.LastOK.IsZero() || len(calls) != 2+1+DefaultRetries {
		t.Errorf("failed third window after %d requests: %+v", len(calls), st)
	}
}

func TestNVDAPIKeyNotInErrors(t *testing.T) {
	const key = "secret-nvd-key-0123"
	fx := newFixture(t)
	fx.f.Config = Config{NVDBase: fx.f.Config.NVDBase, NVDAPIKey: key}
	for _, c := range []struct {
		name   string
		status int
		body   string
	}{
		{"refused", http.StatusForbidden, "apiKey " + key + " is not valid"},
		{"malformed", 200, `{"totalResults": 1, "vulnerabilities": [{"cve": {"id": "` + key + `"}}]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			fx.logs.Reset()
			fx.srv.nvd = func(q url.Values) (int, []byte) { return c.status, []byte(c.body) }
			st := fx.f.Run(t.Context())[0]
			if st.LastError == "" || strings.Contains(st.LastError, key) || !strings.Contains(st.LastError, "[api key]") {
				t.Errorf("error %q", st.LastError)
			}
			if strings.Contains(fx.logs.String(), key) {
				t.Errorf("key logged:\n%s", fx.logs)
			}
			if s := fmt.Sprint(fx.f.Config); strings.Contains(s, key) {
				t.Errorf("key in the config's text: %s", s)
			}
		})
	}
}

func TestNVDPageTooLargeForParser(t *testing.T) {
	fx := newFixture(t)
	fx.f.Config = Config{NVDBase: fx.f.Config.NVDBase}
	big := nvdPage(1, 0, "CVE-2025-0001")
	big = bytes.Replace(big, []byte("An issue"), bytes.Repeat([]byte("x"), advisory.MaxDocument), 1)
	var sizes []string
	fx.srv.nvd = func(q url.Values) (int, []byte) {
		sizes = append(sizes, q.Get("resultsPerPage"))
		if q.Get("resultsPerPage") == "2000" {
			return 200, big
		}
		return 200, nvdPage(1, 0, "CVE-2025-0001")
	}
	wantState(t, fx.f.Run(t.Context())[0], "2025-03-20T06:00:00Z", 1)
	if !slices.Equal(sizes, []string{"2000", "1000"}) {
		t.Errorf("results per page asked: %v", sizes)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	var chunked bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if chunked {
			w.Write(bytes.Repeat([]byte("a"), 600))
			w.(http.Flusher).Flush() // no Content-Length
			w.Write(bytes.Repeat([]byte("a"), 600))
			return
		}
		w.Write(bytes.Repeat([]byte("a"), 1200))
	}))
	defer ts.Close()
	f := &Fetcher{HTTP: ts.Client(), MaxBytes: 1000}
	for _, chunked = range []bool{false, true} {
		_, err := f.getAll(t.Context(), request{url: ts.URL + "/big"})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "/big") || !strings.Contains(err.Error(), "1000") {
			t.Errorf("chunked %v: %v", chunked, err)
		}
	}
	f.MaxBytes = 1200
	if data, err := f.getAll(t.Context(), request{url: ts.URL}); err != nil || len(data) != 1200 {
		t.Errorf("exactly the limit: %d bytes, %v", len(data), err)
	}

	// Through a feed: an all.zip over the limit is refused, nothing stored.
	fx := newFixture(t)
	fx.f.MaxBytes = 300
	fx.f.Config = Config{OSVBase: fx.f.Config.OSVBase, OSVEcosystems: []string{"Debian"}}
	if st := fx.f.Run(t.Context())[0]; !strings.Contains(st.LastError, "all.zip: response too large") || len(fx.store.advs) != 0 {
		t.Errorf("oversize all.zip: %+v, %d stored", st, len(fx.store.advs))
	}
}

func TestRedactedURL(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusUnauthorized)
	}))
	defer ts.Close()
	f := &Fetcher{HTTP: ts.Client()}
	u := strings.Replace(ts.URL, "http://", "http://mirror:hunter2@", 1) + "/kev.json"
	_, err := f.get(t.Context(), u, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 401 || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("error %v", err)
	}
	_, err = f.get(t.Context(), "http://mirror:hunter2@127.0.0.1:1/x", nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("connection error %v", err)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	fx := newFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	fx.store.onPut = func(vuln.FeedState) { cancel() }
	// Schedule runs once, then sees ctx done: the first feed ran, no other.
	if err := fx.f.Schedule(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if len(fx.store.states) != 1 || fx.store.states["osv:Debian"].LastError != "" {
		t.Errorf("states %v", fx.store.states)
	}
}

func TestErrorText(t *testing.T) {
	f := &Fetcher{Config: Config{NVDAPIKey: "k3y"}}
	s := f.errorText(errors.New(strings.Repeat("é", MaxErrorText) + "k3y"))
	if len(s) > MaxErrorText || !strings.HasSuffix(s, "…") || strings.Contains(s, "k3y") || !strings.HasPrefix(s, "éé") {
		t.Errorf("%d bytes: %q…", len(s), s[:20])
	}
	if s := f.errorText(errors.New("bad k3y\xff")); s != "bad [api key]?" {
		t.Errorf("%q", s)
	}
}

func TestDefaultConfigAndNew(t *testing.T) {
	c := DefaultConfig()
	if c.OSVBase != DefaultOSVBase || c.KEVURL == "" || c.NVDBase == "" || c.EPSSURL == "" || len(c.OSVEcosystems) != 0 {
		t.Errorf("default config %v", c)
	}
	if f := New(c, nil, nil, nil); f.Pause != NVDPause || f.HTTP == nil || f.MaxBytes != DefaultMaxBytes ||
		f.Retries != DefaultRetries || f.RetryWait != 2*time.Second || f.MaxRetryWait != 2*time.Minute {
		t.Errorf("New: pause %v", f.Pause)
	}
	c.NVDAPIKey = "k"
	if f := New(c, nil, nil, nil); f.Pause != NVDPauseWithKey {
		t.Errorf("New with a key: pause %v", f.Pause)
	}
	if names := len((&Fetcher{Config: c}).feeds()); names != 3 {
		t.Errorf("%d feeds without OSV ecosystems", names)
	}
}

func TestFeedTimeout(t *testing.T) {
	fx := newFixture(t)
	fx.f.Config = Config{NVDBase: fx.f.Config.NVDBase}
	fx.f.FeedTimeout = 50 * time.Millisecond
	fx.f.Pause = time.Hour
	fx.srv.nvd = func(q url.Values) (int, []byte) { return 200, nvdPage(2, 0, "CVE-2025-0001") } // a second page to wait for
	st := fx.f.Run(t.Context())[0]
	if st.LastError != "feed nvd took longer than 50ms" || len(fx.store.advs) != 1 {
		t.Errorf("%+v", st)
	}
}

// step is one answer of a scripted server: a status, its Retry-After
// and body; or the connection closed (reset: with a TCP reset) or left
// without an answer (hang) before any byte; or a body cut short of its
// Content-Length.
type step struct {
	status           int
	retryAfter, body string
	closed, reset    bool
	hang, cut        bool
}

// scripted serves steps in order, the last one again when there are no
// more, and counts the requests.
func scripted(t *testing.T, steps []step) (*httptest.Server, func() int) {
	t.Helper()
	var (
		mu sync.Mutex
		n  int
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		st := steps[min(n, len(steps)-1)]
		n++
		mu.Unlock()
		switch {
		case st.closed || st.reset:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok && st.reset {
				tc.SetLinger(0)
			}
			conn.Close()
			return
		case st.hang:
			<-r.Context().Done() // the client gave up
			return
		case st.cut:
			w.Header().Set("Content-Length", strconv.Itoa(len(st.body)+100))
		}
		if st.retryAfter != "" {
			w.Header().Set("Retry-After", st.retryAfter)
		}
		w.WriteHeader(st.status)
		io.WriteString(w, st.body)
	}))
	t.Cleanup(ts.Close)
	return ts, func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// firstTimesOut sends the first request through short, a transport that
// soon gives up awaiting the headers, and the others through normal.
type firstTimesOut struct {
	n             atomic.Int32
	short, normal http.RoundTripper
}

func (rt *firstTimesOut) RoundTrip(r *http.Request) (*http.Response, error) {
	if rt.n.Add(1) == 1 {
		return rt.short.RoundTrip(r)
	}
	return rt.normal.RoundTrip(r)
}

func TestRetries(t *testing.T) {
	const key = "secret-nvd-key-0123"
	now := time.Date(2025, 3, 20, 6, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		steps    []step
		minWait  time.Duration // request.minWait (NVD's pause)
		timeout  bool          // the client times out awaiting headers
		waits    []time.Duration
		backoff  int // or this many waits of RetryWait (1 ms) doubled, give or take a quarter
		requests int
		body     string   // on success
		err      []string // parts of the error
	}{
		{
			name:  "503_twice_then_ok",
			steps: []step{{status: 503, retryAfter: "1"}, {status: 503, retryAfter: "2"}, {status: 200, body: "ok"}},
			waits: []time.Duration{time.Second, 2 * time.Second}, requests: 3, body: "ok",
		},
		{
			name: "429_with_http_date",
			steps: []step{{status: 429, retryAfter: now.Add(90 * time.Second).Format(http.TimeFormat), body: "slow down"},
				{status: 200, body: "ok"}},
			waits: []time.Duration{90 * time.Second}, requests: 2, body: "ok",
		},
		{
			name:  "retry_after_in_the_past",
			steps: []step{{status: 503, retryAfter: now.Add(-time.Hour).Format(http.TimeFormat)}, {status: 200, body: "ok"}},
			waits: []time.Duration{0}, requests: 2, body: "ok",
		},
		{
			name:     "retry_after_over_the_limit",
			steps:    []step{{status: 503, retryAfter: "3600", body: "maintenance"}, {status: 200, body: "ok"}},
			requests: 1, err: []string{"HTTP 503 Service Unavailable: maintenance", "Retry-After 1h0m0s, over 2m0s: not retried"},
		},
		{
			name:    "backoff_then_give_up",
			steps:   []step{{status: 502}, {status: 504}, {status: 503, retryAfter: "soon"}, {status: 503, body: "still down"}, {status: 200}},
			backoff: 3, requests: 4, err: []string{"HTTP 503 Service Unavailable: still down (4 attempts)"},
		},
		{
			name:    "nvd_pause_is_the_least_wait",
			minWait: 6 * time.Second,
			steps:   []step{{status: 503, retryAfter: "1"}, {status: 503}, {status: 200, body: "ok"}},
			waits:   []time.Duration{6 * time.Second, 6 * time.Second}, requests: 3, body: "ok",
		},
		{
			name:     "not_found_not_retried",
			steps:    []step{{status: 404, body: "no such file"}, {status: 200}},
			requests: 1, err: []string{"HTTP 404 Not Found: no such file"},
		},
		{
			name:     "forbidden_not_retried",
			steps:    []step{{status: 403, body: "Request forbidden by administrative rules"}, {status: 200}},
			requests: 1, err: []string{"HTTP 403 Forbidden"},
		},
		{
			name:     "server_error_not_retried",
			steps:    []step{{status: 500}, {status: 200}},
			requests: 1, err: []string{"HTTP 500 Internal Server Error"},
		},
		{
			name:  "not_found_after_a_retry",
			steps: []step{{status: 503, retryAfter: "1"}, {status: 404}},
			waits: []time.Duration{time.Second}, requests: 2, err: []string{"HTTP 404 Not Found (2 attempts)"},
		},
		{
			name:    "connection_closed_before_an_answer",
			steps:   []step{{closed: true}, {status: 200, body: "ok"}},
			backoff: 1, requests: 2, body: "ok",
		},
		{
			name:    "connection_reset_before_an_answer",
			steps:   []step{{reset: true}, {reset: true}, {status: 200, body: "ok"}},
			backoff: 2, requests: 3, body: "ok",
		},
		{
			name:    "timeout_awaiting_headers",
			timeout: true,
			steps:   []step{{hang: true}, {status: 200, body: "ok"}},
			backoff: 1, requests: 2, body: "ok",
		},
		{
			name:     "body_cut_not_retried",
			steps:    []step{{status: 200, body: "partial", cut: true}, {status: 200, body: "ok"}},
			requests: 1, err: []string{"/feed: read: unexpected EOF"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts, requests := scripted(t, c.steps)
			var logs bytes.Buffer
			var waits []time.Duration
			client := ts.Client()
			if c.timeout {
				short := client.Transport.(*http.Transport).Clone()
				short.ResponseHeaderTimeout = 20 * time.Millisecond
				client = &http.Client{Transport: &firstTimesOut{short: short, normal: client.Transport}}
			}
			f := &Fetcher{
				HTTP:      client,
				Config:    Config{NVDAPIKey: key},
				Now:       func() time.Time { return now },
				Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
				RetryWait: time.Millisecond,
				sleep: func(ctx context.Context, d time.Duration) error {
					waits = append(waits, d)
					return context.Cause(ctx)
				},
			}
			u := strings.Replace(ts.URL, "http://", "http://mirror:hunter2@", 1) + "/feed"
			data, err := f.getAll(t.Context(), request{url: u, header: http.Header{"apiKey": {key}}, minWait: c.minWait})

			if n := requests(); n != c.requests {
				t.Errorf("%d requests, want %d", n, c.requests)
			}
			if c.backoff > 0 {
				if len(waits) != c.backoff {
					t.Errorf("waits %v, want %d", waits, c.backoff)
				}
				for i, w := range waits {
					if base := time.Millisecond << i; w < base*3/4 || w > base*5/4 {
						t.Errorf("wait %d: %v, want %v give or take a quarter", i+1, w, base)
					}
				}
			} else if !slices.Equal(waits, c.waits) {
				t.Errorf("waits %v, want %v", waits, c.waits)
			}
			if c.err == nil && (err != nil || string(data) != c.body) {
				t.Errorf("got %q, %v; want %q", data, err, c.body)
			}
			for _, p := range c.err {
				if err == nil || !strings.Contains(err.Error(), p) {
					t.Errorf("error %v, want it to contain %q", err, p)
				}
			}
			if n := strings.Count(logs.String(), `msg="vuln feed request failed, retrying"`); n != len(waits) {
				t.Errorf("%d retries logged, %d made:\n%s", n, len(waits), &logs)
			}
			for _, secret := range []string{"hunter2", key} {
				if strings.Contains(logs.String(), secret) || (err != nil && strings.Contains(err.Error(), secret)) {
					t.Errorf("%s in the log or error:\n%s\n%v", secret, &logs, err)
				}
			}
		})
	}
}

func TestRetryWaits(t *testing.T) {
	down := []step{{status: 503}, {status: 200, body: "ok"}}

	t.Run("on_a_timer", func(t *testing.T) {
		ts, requests := scripted(t, down)
		f := &Fetcher{HTTP: ts.Client(), RetryWait: time.Millisecond}
		if data, err := f.getAll(t.Context(), request{url: ts.URL}); err != nil || string(data) != "ok" || requests() != 2 {
			t.Errorf("got %q, %v after %d requests", data, err, requests())
		}
	})

	t.Run("context_ends_while_waiting", func(t *testing.T) {
		ts, requests := scripted(t, down)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		f := &Fetcher{HTTP: ts.Client(), RetryWait: time.Hour, MaxRetryWait: 2 * time.Hour,
			sleep: func(ctx context.Context, d time.Duration) error {
				cancel()
				return sleepCtx(ctx, d) // returns at once, or the test times out
			}}
		_, err := f.getAll(ctx, request{url: ts.URL})
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "while waiting to retry after: GET") ||
			!strings.Contains(err.Error(), "HTTP 503") || requests() != 1 {
			t.Errorf("error %v after %d requests", err, requests())
		}
	})

	t.Run("no_time_left", func(t *testing.T) {
		ts, requests := scripted(t, []step{{status: 503, retryAfter: "100"}, {status: 200}})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		f := &Fetcher{HTTP: ts.Client(), sleep: func(context.Context, time.Duration) error {
			t.Error("waited")
			return nil
		}}
		_, err := f.getAll(ctx, request{url: ts.URL})
		if err == nil || !strings.Contains(err.Error(), "HTTP 503") || !strings.Contains(err.Error(), "no time left to wait 1m40s") || requests() != 1 {
			t.Errorf("error %v after %d requests", err, requests())
		}
	})

	t.Run("retries_off", func(t *testing.T) {
		ts, requests := scripted(t, down)
		f := &Fetcher{HTTP: ts.Client(), Retries: -1}
		if _, err := f.getAll(t.Context(), request{url: ts.URL}); err == nil || requests() != 1 {
			t.Errorf("error %v after %d requests", err, requests())
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 20, 6, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"99999999999999999999", time.Duration(math.MaxInt64/int64(time.Second)) * time.Second, true},
		{"Thu, 20 Mar 2025 06:01:30 GMT", 90 * time.Second, true},
		{"Thursday, 20-Mar-25 06:01:30 GMT", 90 * time.Second, true}, // RFC 850
		{"Thu Mar 20 06:01:30 2025", 90 * time.Second, true},         // asctime
		{"Wed, 19 Mar 2025 06:00:00 GMT", 0, true},
		{"tomorrow", 0, false},
	} {
		if got, ok := parseRetryAfter(c.in, now); got != c.want || ok != c.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestCursorValidator(t *testing.T) {
	for _, c := range []struct {
		cursor string
		key    string
		v      validator
		again  string // the cursor written back; "": cursor
	}{
		{cursor: "2025.03.18", key: "2025.03.18"}, // written before conditional requests
		{cursor: "2025-03-16T12:55:00Z", key: "2025-03-16T12:55:00Z"},
		{cursor: "", key: ""},
		{cursor: `2025.03.18 etag="5f2a-b"`, key: "2025.03.18", v: validator{etag: `"5f2a-b"`}},
		{cursor: `2025.03.18 etag=W/"5f2a"`, key: "2025.03.18", v: validator{etag: `W/"5f2a"`}},
		{cursor: `2025-03-16T12:55:00Z last-modified=Sun, 16 Mar 2025 13:00:00 GMT`, key: "2025-03-16T12:55:00Z",
			v: validator{lastModified: "Sun, 16 Mar 2025 13:00:00 GMT"}},
		{cursor: ` etag="x"`, key: "", v: validator{etag: `"x"`}},
		{cursor: `2025.03.18 etag="a b"`, key: "2025.03.18", again: "2025.03.18"},              // unusable: dropped
		{cursor: `2025.03.18 last-modified=yesterday`, key: "2025.03.18", again: "2025.03.18"}, // unusable: dropped
	} {
		key, v := splitValidator(c.cursor)
		again := c.again
		if again == "" {
			again = c.cursor
		}
		if key != c.key || v != c.v || withValidator(key, v) != again {
			t.Errorf("splitValidator(%q) = %q, %+v (again %q); want %q, %+v", c.cursor, key, v, withValidator(key, v), c.key, c.v)
		}
	}

	for _, c := range []struct {
		etag, lastMod string
		want          validator
	}{
		{`"abc"`, "Sun, 16 Mar 2025 13:00:00 GMT", validator{etag: `"abc"`}},
		{"", "Sunday, 16-Mar-25 13:00:00 GMT", validator{lastModified: "Sun, 16 Mar 2025 13:00:00 GMT"}},
		{`"a b"`, "", validator{}},
		{`"` + strings.Repeat("x", maxETag) + `"`, "", validator{}},
		{"\"\x01\"", "never", validator{}},
	} {
		h := http.Header{}
		if c.etag != "" {
			h.Set("ETag", c.etag)
		}
		if c.lastMod != "" {
			h.Set("Last-Modified", c.lastMod)
		}
		if got := validatorOf(h); got != c.want {
			t.Errorf("validatorOf(%q, %q) = %+v, want %+v", c.etag, c.lastMod, got, c.want)
		}
	}
}

func TestConditionalRequests(t *testing.T) {
	fx := newFixture(t)
	ctx := t.Context()
	fx.f.Config.OSVEcosystems, fx.f.Config.NVDBase = []string{"Debian"}, ""
	const (
		lm1 = "Sun, 16 Mar 2025 13:00:00 GMT"
		lm2 = "Thu, 20 Mar 2025 13:00:00 GMT"
	)
	fx.srv.validators("/kev.json", `"kev-1"`, "")
	fx.srv.validators("/epss.csv.gz", "", lm1)
	fx.srv.validators("/osv/Debian/modified_id.csv", `W/"csv-1"`, lm1) // the ETag is kept
	// Debian's cursor was written before conditional requests: it still
	// reads, and nothing changed after it.
	fx.store.states["osv:Debian"] = vuln.FeedState{Name: "osv:Debian", Cursor: "2025-03-10T08:00:00.5Z"}
	fx.srv.set("/osv/Debian/modified_id.csv", []byte("2025-03-10T08:00:00.5Z,DSA-5902-1\n2025-03-01T00:00:00Z,DSA-5901-1\n"))
	conditional := func(path string) string {
		h := fx.srv.header(path)
		return h.Get("If-None-Match") + h.Get("If-Modified-Since")
	}
	const (
		kevPath, epssPath, osvPath = "/kev.json", "/epss.csv.gz", "/osv/Debian/modified_id.csv"
	)

	// First run: no validator to send; the responses' are kept.
	got := byName(fx.f.Run(ctx))
	wantState(t, got["kev"], `2025.03.18 etag="kev-1"`, 2)
	wantState(t, got["epss"], "2025-03-16T12:55:00Z last-modified="+lm1, 3)
	wantState(t, got["osv:Debian"], `2025-03-10T08:00:00.5Z etag=W/"csv-1"`, 0)
	for _, p := range []string{kevPath, epssPath, osvPath} {
		if c := conditional(p); c != "" {
			t.Errorf("first request of %s conditional: %q", p, c)
		}
	}
	fx.srv.requests()

	// Second run: nothing changed; the requests carry the validators, get
	// 304s, and nothing is stored again.
	fx.now = fx.now.Add(4 * time.Hour)
	fx.logs.Reset()
	got = byName(fx.f.Run(ctx))
	wantState(t, got["kev"], `2025.03.18 etag="kev-1"`, 0)
	wantState(t, got["epss"], "2025-03-16T12:55:00Z last-modified="+lm1, 0)
	wantState(t, got["osv:Debian"], `2025-03-10T08:00:00.5Z etag=W/"csv-1"`, 0)
	for p, want := range map[string]string{kevPath: `"kev-1"`, epssPath: lm1, osvPath: `W/"csv-1"`} {
		if c := conditional(p); c != want {
			t.Errorf("request of %s conditional on %q, want %q", p, c, want)
		}
	}
	if reqs := fx.srv.requests(); !slices.Equal(reqs, []string{osvPath, kevPath, epssPath}) {
		t.Errorf("second run requests %v", reqs)
	}
	if fx.store.kevCalls != 1 || fx.store.epssCall != 1 {
		t.Errorf("not modified, stored again: KEV %d, EPSS %d", fx.store.kevCalls, fx.store.epssCall)
	}
	for _, name := range []string{"osv:Debian", "kev", "epss"} {
		if !strings.Contains(fx.logs.String(), `msg="vuln feed not modified" component=vuln.feed feed=`+name) {
			t.Errorf("%s not logged as not modified:\n%s", name, fx.logs)
		}
	}

	// Third run: a new catalogue, the same scores republished; a new
	// record in Debian.
	fx.now = fx.now.Add(4 * time.Hour)
	fx.srv.set(kevPath, kevJSON("2025.03.20"))
	fx.srv.validators(kevPath, `"kev-2"`, "")
	fx.srv.validators(epssPath, "", lm2)
	fx.srv.set(osvPath, []byte("2025-03-20T09:00:00Z,DSA-5903-1\n2025-03-10T08:00:00.5Z,DSA-5902-1\n"))
	fx.srv.set("/osv/Debian/DSA-5903-1.json", osvJSON("DSA-5903-1", "Debian:12", "2025-03-20T09:00:00Z"))
	fx.srv.validators(osvPath, `W/"csv-2"`, "")
	got = byName(fx.f.Run(ctx))
	wantState(t, got["kev"], `2025.03.20 etag="kev-2"`, 2)
	wantState(t, got["epss"], "2025-03-16T12:55:00Z last-modified="+lm2, 0)
	wantState(t, got["osv:Debian"], `2025-03-20T09:00:00Z etag=W/"csv-2"`, 1)
	if fx.store.kevCalls != 2 || fx.store.kevVer != "2025.03.20" || fx.store.epssCall != 1 {
		t.Errorf("KEV stored %d times (%s), EPSS %d", fx.store.kevCalls, fx.store.kevVer, fx.store.epssCall)
	}

	// Cursors written before conditional requests, or with a validator
	// that is not usable: the request is unconditional, the unchanged
	// catalogue and scores are not stored again, and the cursors gain
	// the validators.
	for _, c := range []struct{ kev, epss string }{
		{"2025.03.20", "2025-03-16T12:55:00Z"},
		{`2025.03.20 etag="kev 2"`, "2025-03-16T12:55:00Z last-modified=then"},
	} {
		fx.store.states["kev"] = vuln.FeedState{Name: "kev", Cursor: c.kev}
		fx.store.states["epss"] = vuln.FeedState{Name: "epss", Cursor: c.epss}
		got = byName(fx.f.Run(ctx))
		wantState(t, got["kev"], `2025.03.20 etag="kev-2"`, 0)
		wantState(t, got["epss"], "2025-03-16T12:55:00Z last-modified="+lm2, 0)
		if ck, ce := conditional(kevPath), conditional(epssPath); ck != "" || ce != "" {
			t.Errorf("cursors %q, %q: conditional requests %q, %q", c.kev, c.epss, ck, ce)
		}
		if fx.store.kevCalls != 2 || fx.store.epssCall != 1 {
			t.Errorf("cursors %q, %q: KEV stored %d times, EPSS %d", c.kev, c.epss, fx.store.kevCalls, fx.store.epssCall)
		}
	}

	// A failed run keeps the validator: the next one is conditional.
	fx.srv.fail(kevPath, http.StatusInternalServerError)
	if st := fx.f.Run(ctx); byName(st)["kev"].Cursor != `2025.03.20 etag="kev-2"` || byName(st)["kev"].LastError == "" {
		t.Errorf("failed run: %+v", byName(st)["kev"])
	}
	fx.srv.mu.Lock()
	clear(fx.srv.status)
	fx.srv.mu.Unlock()
	wantState(t, byName(fx.f.Run(ctx))["kev"], `2025.03.20 etag="kev-2"`, 0)
	if c := conditional(kevPath); c != `"kev-2"` {
		t.Errorf("after a failure, conditional on %q", c)
	}
}
