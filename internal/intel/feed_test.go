package intel_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/unit"
)

// feedNow is the Now of the feed tests.
var feedNow = time.Date(2026, 4, 10, 8, 0, 0, 0, time.UTC)

type feedEnv struct {
	db    *sqlite.DB
	feeds *intel.Feeds
	unit  unit.Unit
	other unit.Unit
}

func newFeedEnv(t *testing.T, hc *http.Client) *feedEnv {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "k.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	e := &feedEnv{db: db}
	for i, u := range []*unit.Unit{&e.unit, &e.other} {
		u.Code, u.Name = fmt.Sprintf("U%d", i+1), "Unit"
		if err := db.CreateUnit(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	e.feeds = intel.NewFeeds(db, intel.NewService(db, nil), intel.FeedOptions{HTTP: hc,
		Now: func() time.Time { return feedNow }})
	return e
}

// create stores f through the service, as the system.
func (e *feedEnv) create(t *testing.T, f intel.Feed) intel.Feed {
	t.Helper()
	f, err := e.feeds.Create(t.Context(), authz.System(), f)
	if err != nil {
		t.Fatalf("create feed: %v", err)
	}
	return f
}

func (e *feedEnv) get(t *testing.T, id int64) intel.Feed {
	t.Helper()
	f, err := e.db.GetFeed(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// indicators returns the indicators of the feed's unit, oldest first.
func (e *feedEnv) indicators(t *testing.T) []intel.Indicator {
	t.Helper()
	list, err := e.db.ListIndicators(t.Context(), intel.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(list)
	return list
}

// taxiiFeed is a TAXII 2.1 collection whose content the test changes: the
// objects, each with its date added, served two a page with more/next and
// the X-TAXII-Date-Added-First/Last headers, filtered by added_after.
type taxiiFeed struct {
	*httptest.Server

	mu      sync.Mutex
	entries []taxiiEntry
	fail    int                // status of every objects request; 0: none
	queries []url.Values       // of the objects requests
	hold    chan chan struct{} // when set, each objects request sends a channel and waits for it to close
	auth    func(u, p string) bool
}

type taxiiEntry struct {
	added time.Time
	obj   map[string]any
}

func newTAXIIFeed(t *testing.T) *taxiiFeed {
	t.Helper()
	s := &taxiiFeed{auth: func(u, p string) bool { return u == taxiiUser && p == taxiiPassword }}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api1/collections/{id}/objects/{$}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != taxiiColl {
			reply(w, http.StatusNotFound, map[string]any{"title": "Collection not found"}, nil)
			return
		}
		s.mu.Lock()
		q := r.URL.Query()
		s.queries = append(s.queries, q)
		fail, hold := s.fail, s.hold
		var page []taxiiEntry
		for _, e := range s.entries {
			after, _ := time.Parse(time.RFC3339Nano, q.Get("added_after"))
			if e.added.After(after) {
				page = append(page, e)
			}
		}
		s.mu.Unlock()
		if hold != nil {
			release := make(chan struct{})
			hold <- release
			<-release
		}
		if fail != 0 {
			reply(w, fail, map[string]any{"title": "Try again later"}, nil)
			return
		}
		offset, _ := strconv.Atoi(q.Get("next"))
		page = page[min(offset, len(page)):]
		env := map[string]any{"more": len(page) > 2}
		if len(page) > 2 {
			env["next"] = strconv.Itoa(offset + 2)
			page = page[:2]
		}
		var objects []any
		for _, e := range page {
			objects = append(objects, e.obj)
		}
		env["objects"] = objects
		headers := map[string]string{}
		if len(page) > 0 {
			headers["X-TAXII-Date-Added-First"] = page[0].added.Format(time.RFC3339Nano)
			headers["X-TAXII-Date-Added-Last"] = page[len(page)-1].added.Format(time.RFC3339Nano)
		}
		reply(w, http.StatusOK, env, headers)
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || !s.auth(u, p) {
			reply(w, http.StatusUnauthorized, map[string]any{"title": "Authentication required"}, nil)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func reply(w http.ResponseWriter, status int, body any, headers map[string]string) {
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", intel.TAXIIMediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// add adds an indicator (a new version when id is known) added at added.
func (s *taxiiFeed) add(id, pattern, name string, added time.Time) {
	obj := stixIndicatorObject(id, pattern)
	obj["name"] = name
	obj["modified"] = added.Format(time.RFC3339Nano)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = append(s.entries, taxiiEntry{added, obj})
}

// takeQueries returns the queries received since the last call.
func (s *taxiiFeed) takeQueries() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queries
	s.queries = nil
	return q
}

func (s *taxiiFeed) feed(unitID int64) intel.Feed {
	return intel.Feed{UnitID: unitID, Name: "VNCERT TAXII", Kind: intel.FeedTAXII, URL: s.URL + "/taxii2/",
		APIRoot: s.URL + "/api1/", CollectionID: taxiiColl, Username: taxiiUser, Password: taxiiPassword,
		DefaultTLP: intel.TLPGreen, Confidence: 70, Enabled: true}
}

const (
	indA = "indicator--a0000000-0000-4000-8000-000000000001"
	indB = "indicator--b0000000-0000-4000-8000-000000000002"
	indC = "indicator--c0000000-0000-4000-8000-000000000003"
	indD = "indicator--d0000000-0000-4000-8000-000000000004"
)

func TestFeeds_PullTAXII(t *testing.T) {
	srv := newTAXIIFeed(t)
	env := newFeedEnv(t, srv.Client())
	ctx := t.Context()
	at := func(h int) time.Time { return time.Date(2026, 4, 1, h, 0, 0, 123000, time.UTC) }
	srv.add(indA, "[ipv4-addr:value = '192.0.2.1']", "A", at(1))
	srv.add(indB, "[domain-name:value = 'c2.bad.example']", "B", at(2))
	srv.add(indC, "[file:hashes.'SHA-256' = '"+strings.Repeat("ab", 32)+"']", "C", at(3))
	f := env.create(t, srv.feed(env.unit.ID))

	// The first pull reads everything, page by page.
	run, err := env.feeds.Pull(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	want := intel.FeedRun{At: feedNow, OK: true, Added: 3, Cursor: at(3)}
	if diff := cmp.Diff(want, run); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]url.Values{{}, {"next": {"2"}}}, srv.takeQueries()); diff != "" {
		t.Errorf("first pull's queries (-want +got):\n%s", diff)
	}
	got := env.get(t, f.ID)
	if !got.Cursor.Equal(at(3)) || !got.LastRunAt.Equal(feedNow) || !got.LastOK || got.LastError != "" ||
		got.LastAdded != 3 || got.LastUpdated != 0 {
		t.Errorf("feed after the first pull: %+v", got)
	}
	inds := env.indicators(t)
	if len(inds) != 3 {
		t.Fatalf("%d indicators after the first pull, want 3", len(inds))
	}
	for _, ind := range inds {
		// The feed's unit and name as source; its TLP and confidence for
		// what the objects do not say.
		if ind.UnitID != env.unit.ID || ind.Source != "VNCERT TAXII" || ind.TLP != intel.TLPGreen || ind.Confidence != 70 {
			t.Errorf("indicator %+v", ind)
		}
	}

	// The second pull asks for what was added after the cursor: a new
	// version of A, which is merged even though it now names its
	// producer (the source stays the feed's name), and a new indicator.
	const producer = "identity--e0000000-0000-4000-8000-000000000005"
	srv.mu.Lock()
	srv.entries = append(srv.entries, taxiiEntry{at(4), map[string]any{"type": "identity", "spec_version": "2.1",
		"id": producer, "name": "VNCERT", "created": "2026-04-01T00:00:00Z", "modified": "2026-04-01T00:00:00Z"}})
	srv.mu.Unlock()
	srv.add(indA, "[ipv4-addr:value = '192.0.2.1']", "A v2", at(4))
	srv.mu.Lock()
	srv.entries[len(srv.entries)-1].obj["created_by_ref"] = producer
	srv.mu.Unlock()
	srv.add(indD, "[url:value = 'http://bad.example/x']", "D", at(5))
	run, err = env.feeds.Pull(ctx, env.get(t, f.ID))
	if err != nil {
		t.Fatal(err)
	}
	want = intel.FeedRun{At: feedNow, OK: true, Added: 1, Updated: 1, Cursor: at(5)}
	if diff := cmp.Diff(want, run); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	after3 := at(3).Format(time.RFC3339Nano)
	if diff := cmp.Diff([]url.Values{{"added_after": {after3}}, {"added_after": {after3}, "next": {"2"}}},
		srv.takeQueries()); diff != "" {
		t.Errorf("second pull's queries (-want +got):\n%s", diff)
	}
	inds = env.indicators(t)
	var names []string
	for _, ind := range inds {
		names = append(names, ind.ExternalID+" "+ind.Name)
	}
	if diff := cmp.Diff([]string{indA + " A v2", indB + " B", indC + " C", indD + " D"}, names); diff != "" {
		t.Errorf("indicators after the second pull (-want +got):\n%s", diff)
	}

	// Nothing new: nothing imported, the cursor stays.
	run, err = env.feeds.Pull(ctx, env.get(t, f.ID))
	if err != nil || run.Added+run.Updated != 0 || !run.Cursor.Equal(at(5)) {
		t.Errorf("third run %+v, %v", run, err)
	}
	srv.takeQueries()

	// A failing server: the failure is recorded, the cursor kept, and the
	// next pull asks again from it.
	srv.mu.Lock()
	srv.fail = http.StatusServiceUnavailable
	srv.mu.Unlock()
	run, err = env.feeds.Pull(ctx, env.get(t, f.ID))
	if err == nil || run.OK || !strings.Contains(run.Error, "503") || !strings.Contains(run.Error, "Try again later") {
		t.Errorf("run against a failing server: %+v, %v", run, err)
	}
	if strings.Contains(run.Error, taxiiPassword) {
		t.Errorf("error %q shows the password", run.Error)
	}
	got = env.get(t, f.ID)
	if got.LastOK || got.LastError != run.Error || !got.Cursor.Equal(at(5)) || !got.LastRunAt.Equal(feedNow) {
		t.Errorf("feed after a failed pull: %+v", got)
	}
	srv.mu.Lock()
	srv.fail = 0
	srv.mu.Unlock()
	srv.takeQueries()
	if _, err := env.feeds.Pull(ctx, env.get(t, f.ID)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]url.Values{{"added_after": {at(5).Format(time.RFC3339Nano)}}}, srv.takeQueries()); diff != "" {
		t.Errorf("queries after a failure (-want +got):\n%s", diff)
	}
	if got := env.get(t, f.ID); !got.LastOK || got.LastError != "" {
		t.Errorf("feed after recovering: %+v", got)
	}
	if n := len(env.indicators(t)); n != 4 {
		t.Errorf("%d indicators in the end, want 4", n)
	}
}

// mispFeed is a MISP feed directory whose events the test changes.
type mispFeed struct {
	*httptest.Server

	mu       sync.Mutex
	events   map[string]mispFeedEvent // by UUID
	requests []string                 // paths
	user     string                   // basic authentication required when set
	fail     int
}

type mispFeedEvent struct {
	ts    int64
	attrs [][3]string // uuid, type, value
}

func newMISPFeed(t *testing.T) *mispFeed {
	t.Helper()
	s := &mispFeed{events: map[string]mispFeedEvent{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests = append(s.requests, r.URL.Path)
		if u, p, _ := r.BasicAuth(); s.user != "" && (u != s.user || p != "feed-pass") {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		if s.fail != 0 {
			http.Error(w, "down", s.fail)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/feed/")
		if name == "manifest.json" {
			m := map[string]any{}
			for id, e := range s.events {
				m[id] = map[string]any{"info": "Event " + id, "timestamp": e.ts, "Orgc": map[string]any{"name": "CIRCL"}}
			}
			_ = json.NewEncoder(w).Encode(m)
			return
		}
		e, ok := s.events[strings.TrimSuffix(name, ".json")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		var attrs []any
		for _, a := range e.attrs {
			attrs = append(attrs, map[string]any{"uuid": a[0], "type": a[1], "value": a[2], "to_ids": true,
				"category": "Network activity", "timestamp": strconv.FormatInt(e.ts, 10)})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Event": map[string]any{"uuid": strings.TrimSuffix(name, ".json"),
			"info": "OSINT event", "timestamp": strconv.FormatInt(e.ts, 10), "Orgc": map[string]any{"name": "CIRCL"},
			"Attribute": attrs}})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *mispFeed) set(id string, e mispFeedEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events[id] = e
}

func (s *mispFeed) takeRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	slices.Sort(r)
	return r
}

const (
	ev1 = "3f6b1c2a-0d4e-4b8a-9c7f-1e2d3a4b5c6d"
	ev2 = "8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d"
	ev3 = "c0ffee00-1111-4222-8333-444455556666"
)

func TestFeeds_PullMISP(t *testing.T) {
	srv := newMISPFeed(t)
	srv.user = "feed-user"
	env := newFeedEnv(t, srv.Client())
	ctx := t.Context()
	srv.set(ev1, mispFeedEvent{1772000000, [][3]string{{"a1000000-0000-4000-8000-000000000001", "ip-dst", "198.51.100.7"},
		{"a1000000-0000-4000-8000-000000000002", "domain", "evil.example"}}})
	srv.set(ev2, mispFeedEvent{1773000000, [][3]string{{"a2000000-0000-4000-8000-000000000001", "md5", strings.Repeat("0a", 16)}}})
	f := env.create(t, intel.Feed{UnitID: env.unit.ID, Name: "CIRCL OSINT", Kind: intel.FeedMISP, URL: srv.URL + "/feed",
		Username: "feed-user", Password: "feed-pass", Confidence: 40, Enabled: true})

	run, err := env.feeds.Pull(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	want := intel.FeedRun{At: feedNow, OK: true, Added: 3, Cursor: time.Unix(1773000000, 0)}
	if diff := cmp.Diff(want, run); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/feed/" + ev1 + ".json", "/feed/" + ev2 + ".json", "/feed/manifest.json"},
		srv.takeRequests()); diff != "" {
		t.Errorf("first pull's requests (-want +got):\n%s", diff)
	}
	for _, ind := range env.indicators(t) {
		if ind.Source != "CIRCL OSINT" || ind.TLP != intel.TLPAmber || ind.Confidence != 40 || ind.UnitID != env.unit.ID {
			t.Errorf("indicator %+v", ind)
		}
	}

	// The second pull reads only the events changed since the cursor: a
	// new one and ev2 again, whose indicator is merged.
	srv.set(ev3, mispFeedEvent{1773100000, [][3]string{{"a3000000-0000-4000-8000-000000000001", "url", "http://x.example/a"}}})
	srv.set(ev2, mispFeedEvent{1773200000, [][3]string{{"a2000000-0000-4000-8000-000000000001", "md5", strings.Repeat("0a", 16)}}})
	run, err = env.feeds.Pull(ctx, env.get(t, f.ID))
	if err != nil {
		t.Fatal(err)
	}
	want = intel.FeedRun{At: feedNow, OK: true, Added: 1, Updated: 1, Cursor: time.Unix(1773200000, 0)}
	if diff := cmp.Diff(want, run); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/feed/" + ev2 + ".json", "/feed/" + ev3 + ".json", "/feed/manifest.json"},
		srv.takeRequests()); diff != "" {
		t.Errorf("second pull's requests (-want +got):\n%s", diff)
	}
	if n := len(env.indicators(t)); n != 4 {
		t.Errorf("%d indicators, want 4", n)
	}

	// A timestamp in the future does not carry the cursor past the pull.
	srv.set(ev1, mispFeedEvent{feedNow.Add(time.Hour).Unix(), nil})
	run, err = env.feeds.Pull(ctx, env.get(t, f.ID))
	if err != nil || !run.Cursor.Equal(feedNow) {
		t.Errorf("run with a future timestamp: %+v, %v; want the cursor at the pull", run, err)
	}

	// A failure is recorded and keeps the cursor.
	srv.mu.Lock()
	srv.fail = http.StatusBadGateway
	srv.mu.Unlock()
	run, err = env.feeds.Pull(ctx, env.get(t, f.ID))
	if err == nil || run.OK || !strings.Contains(run.Error, "502") {
		t.Errorf("run against a failing feed: %+v, %v", run, err)
	}
	if got := env.get(t, f.ID); got.LastOK || got.LastError != run.Error || !got.Cursor.Equal(feedNow) {
		t.Errorf("feed after a failed pull: %+v", got)
	}
}

func TestFeeds_credentialsOnlyToTheFeedHost(t *testing.T) {
	// A MISP feed on one host, its events on another (a CDN): the
	// credentials go to the feed's host only.
	var mu sync.Mutex
	var otherAuth []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		_, p, _ := r.BasicAuth()
		otherAuth = append(otherAuth, p)
		mu.Unlock()
		http.NotFound(w, r)
	}))
	t.Cleanup(other.Close)
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, p, _ := r.BasicAuth(); p != "feed-pass" {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		if strings.HasSuffix(r.URL.Path, "manifest.json") {
			fmt.Fprintf(w, `{%q: {"timestamp": 1772000000}}`, ev1)
			return
		}
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	t.Cleanup(feed.Close)
	env := newFeedEnv(t, feed.Client())
	f := env.create(t, intel.Feed{UnitID: env.unit.ID, Name: "f", Kind: intel.FeedMISP, URL: feed.URL,
		Username: "u", Password: "feed-pass", Enabled: true})
	run, err := env.feeds.Pull(t.Context(), f)
	if err != nil || run.Skipped != 1 {
		t.Errorf("run %+v, %v; want OK with the event skipped (404)", run, err)
	}
	if slices.Contains(otherAuth, "feed-pass") || len(otherAuth) != 1 {
		t.Errorf("the other host got %q", otherAuth)
	}
}

func TestDue(t *testing.T) {
	now := feedNow
	feed := func(id int64, enabled bool, every time.Duration, last time.Time) intel.Feed {
		return intel.Feed{ID: id, Enabled: enabled, Interval: every, LastRunAt: last}
	}
	list := []intel.Feed{
		feed(1, true, time.Hour, time.Time{}),                             // never pulled
		feed(2, true, time.Hour, now.Add(-time.Hour)),                     // exactly due
		feed(3, true, time.Hour, now.Add(-59*time.Minute)),                // not yet
		feed(4, false, time.Hour, time.Time{}),                            // disabled
		feed(5, true, 0, now.Add(-intel.DefaultFeedInterval)),             // default interval
		feed(6, true, 0, now.Add(-intel.DefaultFeedInterval+time.Second)), // not yet
		feed(7, true, 15*time.Minute, now.Add(time.Hour)),                 // last run in the future: not due
	}
	var ids []int64
	for _, f := range intel.Due(list, now) {
		ids = append(ids, f.ID)
	}
	if diff := cmp.Diff([]int64{1, 2, 5}, ids); diff != "" {
		t.Errorf("Due (-want +got):\n%s", diff)
	}
}

func TestFeeds_PullDue(t *testing.T) {
	srv := newTAXIIFeed(t)
	srv.add(indA, "[ipv4-addr:value = '192.0.2.1']", "A", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	env := newFeedEnv(t, srv.Client())
	good := env.create(t, srv.feed(env.unit.ID))
	bad := srv.feed(env.unit.ID)
	bad.Name, bad.CollectionID = "bad", "no-such-collection"
	bad = env.create(t, bad)
	off := srv.feed(env.other.ID)
	off.Enabled = false
	off = env.create(t, off)
	if err := env.feeds.PullDue(t.Context()); err != nil {
		t.Fatalf("PullDue: %v", err)
	}
	if f := env.get(t, good.ID); !f.LastOK || f.LastAdded != 1 {
		t.Errorf("good feed: %+v", f)
	}
	if f := env.get(t, bad.ID); f.LastOK || !strings.Contains(f.LastError, "404") || f.LastRunAt.IsZero() {
		t.Errorf("bad feed: %+v", f)
	}
	if f := env.get(t, off.ID); !f.LastRunAt.IsZero() {
		t.Errorf("disabled feed was pulled: %+v", f)
	}
	// Pulled feeds are not due again until their interval has passed.
	srv.takeQueries()
	if err := env.feeds.PullDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if q := srv.takeQueries(); len(q) != 0 {
		t.Errorf("feeds pulled again at once: %v", q)
	}
}

func TestFeeds_PullNow(t *testing.T) {
	srv := newTAXIIFeed(t)
	srv.add(indA, "[ipv4-addr:value = '192.0.2.1']", "A", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	env := newFeedEnv(t, srv.Client())
	f := env.create(t, srv.feed(env.unit.ID))
	ctx := t.Context()

	viewer := &authz.Principal{UserID: 2, Role: authz.RoleViewer, Units: map[int64]bool{env.unit.ID: true}}
	outside := &authz.Principal{UserID: 3, Role: authz.RoleAnalyst, Units: map[int64]bool{env.other.ID: true}}
	analyst := &authz.Principal{UserID: 4, Role: authz.RoleAnalyst, Units: map[int64]bool{env.unit.ID: true}}
	for _, p := range []*authz.Principal{viewer, outside} {
		if _, err := env.feeds.PullNow(ctx, p, f.ID); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("PullNow by %s of another unit or without hunt.write: %v", p.Role, err)
		}
	}

	// One pull of a feed at a time.
	srv.mu.Lock()
	srv.hold = make(chan chan struct{})
	hold := srv.hold
	srv.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := env.feeds.PullNow(ctx, analyst, f.ID)
		done <- err
	}()
	release := <-hold
	if _, err := env.feeds.PullNow(ctx, analyst, f.ID); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("PullNow during a pull: %v, want a conflict", err)
	}
	srv.mu.Lock()
	srv.hold = nil
	srv.mu.Unlock()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// A failed pull is a run, not an error of PullNow.
	srv.mu.Lock()
	srv.fail = http.StatusInternalServerError
	srv.mu.Unlock()
	run, err := env.feeds.PullNow(ctx, analyst, f.ID)
	if err != nil || run.OK || !strings.Contains(run.Error, "500") {
		t.Errorf("PullNow of a failing feed: %+v, %v", run, err)
	}
	if _, err := env.feeds.PullNow(ctx, analyst, 999); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("PullNow(unknown): %v", err)
	}
}

func TestFeeds_manage(t *testing.T) {
	env := newFeedEnv(t, nil)
	ctx := t.Context()
	sys := authz.System()
	base := intel.Feed{UnitID: env.unit.ID, Name: "  VNCERT  ", Kind: intel.FeedTAXII, URL: "https://cti.example.org/taxii2/",
		APIRoot: "/api1/", CollectionID: "c1", Username: "u", Password: "p"}

	t.Run("invalid", func(t *testing.T) {
		for _, tc := range []struct {
			name, field string
			edit        func(f *intel.Feed)
		}{
			{"no_unit", "unit_id", func(f *intel.Feed) { f.UnitID = 0 }},
			{"no_name", "name", func(f *intel.Feed) { f.Name = " " }},
			{"long_name", "name", func(f *intel.Feed) { f.Name = strings.Repeat("ê", 128) }},
			{"name_with_newline", "name", func(f *intel.Feed) { f.Name = "a\nb" }},
			{"kind", "kind", func(f *intel.Feed) { f.Kind = "rss" }},
			{"ftp_url", "url", func(f *intel.Feed) { f.URL = "ftp://cti.example.org/" }},
			{"url_without_host", "url", func(f *intel.Feed) { f.URL = "https:///taxii2/" }},
			{"credentials_in_url", "url", func(f *intel.Feed) { f.URL = "https://u:p@cti.example.org/" }},
			{"long_url", "url", func(f *intel.Feed) { f.URL = "https://cti.example.org/" + strings.Repeat("x", 2048) }},
			{"no_api_root", "api_root", func(f *intel.Feed) { f.APIRoot = "" }},
			{"no_collection", "collection_id", func(f *intel.Feed) { f.CollectionID = "" }},
			{"tlp", "default_tlp", func(f *intel.Feed) { f.DefaultTLP = "white" }},
			{"confidence", "confidence", func(f *intel.Feed) { f.Confidence = 101 }},
			{"short_interval", "interval", func(f *intel.Feed) { f.Interval = 14 * time.Minute }},
			{"long_interval", "interval", func(f *intel.Feed) { f.Interval = 31 * 24 * time.Hour }},
			{"password_control", "password", func(f *intel.Feed) { f.Password = "a\x00b" }},
		} {
			f := base
			tc.edit(&f)
			_, err := env.feeds.Create(ctx, sys, f)
			pe, ok := errs.AsPublic(err)
			if !errors.Is(err, errs.ErrInvalid) || !ok || pe.Field != tc.field {
				t.Errorf("Create(%s) = %v, want invalid %s", tc.name, err, tc.field)
			}
		}
	})

	f, err := env.feeds.Create(ctx, sys, base)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "VNCERT" || f.Interval != intel.DefaultFeedInterval || f.DefaultTLP != intel.TLPAmber || f.Enabled {
		t.Errorf("created %+v; want the name trimmed, default interval and TLP", f)
	}
	if _, err := env.feeds.Create(ctx, sys, base); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("Create with a taken name: %v", err)
	}
	// A MISP feed has no API root or collection.
	m, err := env.feeds.Create(ctx, sys, intel.Feed{UnitID: env.unit.ID, Name: "m", Kind: intel.FeedMISP,
		URL: "https://feed.example/", APIRoot: "/x/", CollectionID: "y", Interval: intel.MinFeedInterval})
	if err != nil || m.APIRoot != "" || m.CollectionID != "" {
		t.Errorf("Create(misp) = %+v, %v", m, err)
	}

	// The password never reaches JSON.
	b, _ := json.Marshal(f)
	if strings.Contains(string(b), `"p"`) || strings.Contains(string(b), "password") || !f.HasPassword() {
		t.Errorf("JSON of a feed: %s", b)
	}

	viewer := &authz.Principal{UserID: 2, Role: authz.RoleViewer, Units: map[int64]bool{env.unit.ID: true}}
	analyst := &authz.Principal{UserID: 3, Role: authz.RoleAnalyst, Units: map[int64]bool{env.unit.ID: true}}
	outside := &authz.Principal{UserID: 4, Role: authz.RoleAnalyst, Units: map[int64]bool{env.other.ID: true}}
	if _, err := env.feeds.Create(ctx, viewer, base); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("Create by a viewer: %v", err)
	}
	if _, err := env.feeds.Get(ctx, outside, f.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("Get from another unit: %v", err)
	}
	if list, err := env.feeds.List(ctx, outside); err != nil || len(list) != 0 {
		t.Errorf("List from another unit: %v, %v", list, err)
	}
	if list, err := env.feeds.List(ctx, analyst); err != nil || len(list) != 2 {
		t.Errorf("List: %v, %v", list, err)
	}

	// Update: an empty password keeps the stored one; the cursor stays
	// while the source does and is reset when it changes.
	if err := env.db.RecordFeedRun(ctx, f.ID, intel.FeedRun{At: feedNow, OK: true, Cursor: feedNow}); err != nil {
		t.Fatal(err)
	}
	in := f
	in.Name, in.Password, in.Enabled, in.Interval = "VNCERT 2", "", true, time.Hour
	got, err := env.feeds.Update(ctx, analyst, f.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "VNCERT 2" || got.Password != "p" || !got.Enabled || got.Interval != time.Hour || !got.Cursor.Equal(feedNow) ||
		!got.LastRunAt.Equal(feedNow) {
		t.Errorf("updated %+v", got)
	}
	in = got
	in.CollectionID, in.Username, in.Password = "c2", "", ""
	got, err = env.feeds.Update(ctx, analyst, f.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Cursor.IsZero() || got.Password != "" || got.Username != "" {
		t.Errorf("after a change of collection and credentials: %+v", got)
	}
	if _, err := env.feeds.Update(ctx, analyst, f.ID, intel.Feed{Name: "m", Kind: intel.FeedMISP, URL: "https://x.example/"}); !errors.Is(err, errs.ErrConflict) {
		t.Errorf("Update to a taken name: %v", err)
	}
	if _, err := env.feeds.Update(ctx, viewer, f.ID, in); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("Update by a viewer: %v", err)
	}
	bad := in
	bad.URL = "gopher://x"
	if _, err := env.feeds.Update(ctx, analyst, f.ID, bad); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("Update with a bad URL: %v", err)
	}

	if err := env.feeds.Delete(ctx, outside, f.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("Delete from another unit: %v", err)
	}
	if err := env.feeds.Delete(ctx, analyst, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.feeds.Get(ctx, analyst, f.ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
}
