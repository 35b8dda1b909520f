package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
)

// csafJSON is a minimal valid CSAF 2.0 security advisory fixing cve in
// one product, released (current_release_date) at released.
func csafJSON(id, cve, released string) []byte {
	return fmt.Appendf(nil, `{
  "document": {
    "category": "csaf_security_advisory",
    "csaf_version": "2.0",
    "title": "Example Linux security update: %[1]s",
    "publisher": {"category": "vendor", "name": "Example Linux Security Team", "namespace": "https://linux.example"},
    "tracking": {
      "id": %[1]q,
      "current_release_date": %[3]q,
      "initial_release_date": "2025-01-02T00:00:00Z",
      "revision_history": [{"date": %[3]q, "number": "1", "summary": "Initial version"}],
      "status": "final",
      "version": "1"
    }
  },
  "product_tree": {"full_product_names": [{"name": "expat-2.5.0-1.el9.x86_64", "product_id": "P1",
    "product_identification_helper": {"purl": "pkg:rpm/example/expat@2.5.0-1.el9?arch=x86_64"}}]},
  "vulnerabilities": [{"cve": %[2]q, "product_status": {"fixed": ["P1"]}}]
}
`, id, cve, released)
}

// csafDoc is a document of the test directory.
type csafDoc struct {
	path, id, cve, released string
	hash                    string // "sha256", "sha512" or "": the hash file published
}

// csafDocs is the test directory: one document changed long ago, three in
// March 2025, with their hash files.
var csafDocs = []csafDoc{
	{"2024/exa-2024-0007.json", "EXA-2024-0007", "CVE-2024-10007", "2024-12-01T00:00:00Z", "sha256"},
	{"2025/exa-2025-0001.json", "EXA-2025-0001", "CVE-2025-10001", "2025-03-01T00:00:00Z", "sha256"},
	{"2025/exa-2025-0002.json", "EXA-2025-0002", "CVE-2025-10002", "2025-03-10T08:00:00Z", "sha512"},
	{"2025/exa-2025-0003.json", "EXA-2025-0003", "CVE-2025-10003", "2025-03-18T12:00:00Z", "sha256"},
}

// csafChanges is the test directory's changes.csv, newest first, with
// CRLF line ends, an offset time and a document listed twice (it changed
// twice), as the standard's example has.
const csafChanges = "\"2025/exa-2025-0003.json\",\"2025-03-18T12:00:00Z\"\r\n" +
	"\"2025/exa-2025-0002.json\",\"2025-03-10T09:00:00+01:00\"\r\n" +
	"\"2025/exa-2025-0001.json\",\"2025-03-01T00:00:00Z\"\r\n" +
	"\"2025/exa-2025-0001.json\",\"2025-02-01T00:00:00Z\"\r\n" +
	"\"2024/exa-2024-0007.json\",\"2024-12-01T00:00:00Z\"\r\n"

// publish puts documents and their hash files in the fixture's /csaf/.
func (fx *fixture) publish(docs ...csafDoc) {
	for _, d := range docs {
		data := csafJSON(d.id, d.cve, d.released)
		fx.srv.set("/csaf/"+d.path, data)
		for _, ext := range []string{"sha256", "sha512"} {
			fx.srv.remove("/csaf/" + d.path + "." + ext)
		}
		switch d.hash {
		case "sha256":
			fx.srv.set("/csaf/"+d.path+".sha256", fmt.Appendf(nil, "%x  %s\n", sha256.Sum256(data), path.Base(d.path)))
		case "sha512":
			fx.srv.set("/csaf/"+d.path+".sha512", fmt.Appendf(nil, "%X\n", sha512.Sum512(data))) // upper case, no name
		}
	}
}

func (s *server) remove(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, path)
}

// newCSAFFixture is a fixture with one feed, the test directory, whose
// first run takes 30 days; it returns the feed's name.
func newCSAFFixture(t *testing.T) (*fixture, string) {
	t.Helper()
	fx := newFixture(t)
	base := strings.TrimSuffix(fx.f.Config.KEVURL, "/kev.json")
	fx.f.Config = Config{CSAFURLs: []string{base + "/csaf/"}, CSAFFirstDays: 30}
	fx.publish(csafDocs...)
	fx.srv.set("/csaf/changes.csv", []byte(csafChanges))
	return fx, "csaf:" + strings.TrimPrefix(base, "http://") + "/csaf"
}

// docRequests are the requests that fetch a document and look for its
// hash files.
func docRequests(d csafDoc) []string {
	u := "/csaf/" + d.path
	switch d.hash {
	case "sha256":
		return []string{u, u + ".sha256"}
	case "sha512":
		return []string{u, u + ".sha256", u + ".sha512"}
	}
	return []string{u, u + ".sha256", u + ".sha512"}
}

// wantRequests checks the requests since the last call: changes.csv, then
// those of docs in any order (they are fetched concurrently).
func wantRequests(t *testing.T, fx *fixture, docs ...csafDoc) {
	t.Helper()
	got := fx.srv.requests()
	want := []string{}
	for _, d := range docs {
		want = append(want, docRequests(d)...)
	}
	slices.Sort(want)
	want = append([]string{"/csaf/changes.csv"}, want...)
	if len(got) > 0 {
		slices.Sort(got[1:])
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func (s *fakeStore) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.advs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestCSAFFirstThenIncremental(t *testing.T) {
	fx, name := newCSAFFixture(t)
	ctx := t.Context()

	// First run: the changes of the last 30 days, each document once
	// (EXA-2025-0001 is listed twice), the one of December left for
	// importing as a file.
	states := fx.f.Run(ctx)
	if len(states) != 1 || states[0].Name != name {
		t.Fatalf("states %+v, want one named %q", states, name)
	}
	wantState(t, states[0], "2025-03-18T12:00:00Z", 3)
	wantRequests(t, fx, csafDocs[1:]...)
	if keys := fx.store.keys(); !slices.Equal(keys, []string{"csaf/EXA-2025-0001/CVE-2025-10001", "csaf/EXA-2025-0002/CVE-2025-10002", "csaf/EXA-2025-0003/CVE-2025-10003"}) {
		t.Errorf("stored %v", keys)
	}
	if got := fx.store.advs["csaf/EXA-2025-0002/CVE-2025-10002"]; !slices.Contains(got.Aliases, "EXA-2025-0002") || len(got.Affected) != 1 {
		t.Errorf("CVE-2025-10002 stored as %+v", got)
	}

	// Second run, 4 hours later: EXA-2025-0002 revised, EXA-2025-0004
	// new (its copy older than changes.csv says: stored, and a warning).
	fx.now = fx.now.Add(4 * time.Hour)
	revised := csafDoc{"2025/exa-2025-0002.json", "EXA-2025-0002", "CVE-2025-10002", "2025-03-20T07:00:00Z", "sha512"}
	added := csafDoc{"2025/exa-2025-0004.json", "EXA-2025-0004", "CVE-2025-10004", "2025-03-19T23:00:00Z", ""}
	fx.publish(revised, added)
	fx.srv.set("/csaf/changes.csv", []byte("\"2025/exa-2025-0004.json\",\"2025-03-20T08:00:00Z\"\n"+
		"\"2025/exa-2025-0002.json\",\"2025-03-20T07:00:00.000Z\"\n"+csafChanges))
	wantState(t, fx.f.Run(ctx)[0], "2025-03-20T08:00:00Z", 2)
	wantRequests(t, fx, revised, added)
	if m := fx.store.modified("csaf/EXA-2025-0002/CVE-2025-10002"); !m.Equal(time.Date(2025, 3, 20, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("CVE-2025-10002 modified %v after its revision", m)
	}
	if !strings.Contains(fx.logs.String(), `msg="vuln feed csaf documents older than changes.csv says"`) ||
		!strings.Contains(fx.logs.String(), "example=2025/exa-2025-0004.json") {
		t.Errorf("stale copy not logged:\n%s", fx.logs)
	}

	// Third run: nothing changed.
	wantState(t, fx.f.Run(ctx)[0], "2025-03-20T08:00:00Z", 0)
	wantRequests(t, fx)
}

func TestCSAFFirstRunNothingRecent(t *testing.T) {
	fx, _ := newCSAFFixture(t)
	fx.f.Config.CSAFFirstDays = 1
	// Nothing changed in the last day: nothing fetched, and the next run
	// starts after the newest change.
	wantState(t, fx.f.Run(t.Context())[0], "2025-03-18T12:00:00Z", 0)
	wantRequests(t, fx)

	// The default is 90 days: everything but December's document.
	fx, _ = newCSAFFixture(t)
	fx.f.Config.CSAFFirstDays = 0
	fx.now = time.Date(2025, 5, 30, 0, 0, 0, 0, time.UTC) // 90 days after 2025-03-01
	wantState(t, fx.f.Run(t.Context())[0], "2025-03-18T12:00:00Z", 3)
	wantRequests(t, fx, csafDocs[1:]...)
}

// orderSink records the ids it is given to store, in order.
type orderSink struct {
	*fakeStore
	mu  sync.Mutex
	ids []string
}

func (s *orderSink) StoreAdvisories(ctx context.Context, advs []advisory.Advisory) (int, error) {
	s.mu.Lock()
	for _, a := range advs {
		s.ids = append(s.ids, a.ID)
	}
	s.mu.Unlock()
	return s.fakeStore.StoreAdvisories(ctx, advs)
}

func (s *orderSink) stored() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.ids
	s.ids = nil
	return out
}

func TestCSAFMaxPerRun(t *testing.T) {
	fx, name := newCSAFFixture(t)
	sink := &orderSink{fakeStore: fx.store}
	fx.f.Sink = sink
	fx.f.Config.CSAFMaxPerRun = 2
	fx.store.states[name] = vuln.FeedState{Name: name, Cursor: "2025-03-01T00:00:00Z"}
	// Four documents changed after the cursor, two of them at the same
	// time; none has a hash file.
	docs := []csafDoc{
		{"2025/a.json", "EXA-A", "CVE-2025-20001", "2025-03-02T00:00:00Z", ""},
		{"2025/b.json", "EXA-B", "CVE-2025-20002", "2025-03-03T00:00:00Z", ""},
		{"2025/c.json", "EXA-C", "CVE-2025-20003", "2025-03-03T00:00:00Z", ""},
		{"2025/d.json", "EXA-D", "CVE-2025-20004", "2025-03-04T00:00:00Z", ""},
	}
	fx.publish(docs...)
	fx.srv.set("/csaf/changes.csv", []byte(`"2025/d.json","2025-03-04T00:00:00Z"
"2025/c.json","2025-03-03T00:00:00Z"
"2025/b.json","2025-03-03T00:00:00Z"
"2025/a.json","2025-03-02T00:00:00Z"
"2025/exa-2025-0001.json","2025-03-01T00:00:00Z"
`))

	for i, want := range []struct {
		cursor string
		docs   []csafDoc
	}{
		{"2025-03-02T00:00:00Z", docs[:1]}, // the cap falls between b and c: neither is taken
		{"2025-03-03T00:00:00Z", docs[1:3]},
		{"2025-03-04T00:00:00Z", docs[3:]},
		{"2025-03-04T00:00:00Z", nil},
	} {
		wantState(t, fx.f.Run(t.Context())[0], want.cursor, len(want.docs))
		wantRequests(t, fx, want.docs...)
		var ids []string
		for _, d := range want.docs {
			ids = append(ids, d.id+"/"+d.cve)
		}
		if got := sink.stored(); !slices.Equal(got, ids) {
			t.Errorf("run %d stored %v, want %v (oldest first)", i+1, got, ids)
		}
	}
	if !strings.Contains(fx.logs.String(), "going on next run") {
		t.Errorf("cap not logged:\n%s", fx.logs)
	}

	// A time with more documents than the cap is taken whole.
	fx.store.states[name] = vuln.FeedState{Name: name, Cursor: "2025-03-02T00:00:00Z"}
	fx.f.Config.CSAFMaxPerRun = 1
	wantState(t, fx.f.Run(t.Context())[0], "2025-03-03T00:00:00Z", 0) // stored before, not newer
	wantRequests(t, fx, docs[1:3]...)
	if got := sink.stored(); !slices.Equal(got, []string{"EXA-B/CVE-2025-20002", "EXA-C/CVE-2025-20003"}) {
		t.Errorf("stored %v", got)
	}
}

func TestCSAFConditional(t *testing.T) {
	fx, name := newCSAFFixture(t)
	ctx := t.Context()
	fx.srv.validators("/csaf/changes.csv", `"c1"`, "")
	ifNoneMatch := func() string { return fx.srv.header("/csaf/changes.csv").Get("If-None-Match") }

	// Every change taken: the cursor keeps changes.csv's ETag, and the
	// next request of it is conditional; a 304 fetches nothing else.
	wantState(t, fx.f.Run(ctx)[0], `2025-03-18T12:00:00Z etag="c1"`, 3)
	wantRequests(t, fx, csafDocs[1:]...)
	wantState(t, fx.f.Run(ctx)[0], `2025-03-18T12:00:00Z etag="c1"`, 0)
	wantRequests(t, fx)
	if c := ifNoneMatch(); c != `"c1"` {
		t.Errorf("If-None-Match %q", c)
	}

	// A run capped before the end of the changes keeps no validator: the
	// next one asks for changes.csv whole and goes on.
	docs := []csafDoc{
		{"2025/a.json", "EXA-A", "CVE-2025-20001", "2025-03-19T00:00:00Z", ""},
		{"2025/b.json", "EXA-B", "CVE-2025-20002", "2025-03-19T06:00:00Z", ""},
	}
	fx.publish(docs...)
	fx.srv.set("/csaf/changes.csv", []byte(`"2025/b.json","2025-03-19T06:00:00Z"`+"\n"+`"2025/a.json","2025-03-19T00:00:00Z"`+"\n"+csafChanges))
	fx.srv.validators("/csaf/changes.csv", `"c2"`, "")
	fx.f.Config.CSAFMaxPerRun = 1
	wantState(t, fx.f.Run(ctx)[0], "2025-03-19T00:00:00Z", 1)
	wantRequests(t, fx, docs[0])
	wantState(t, fx.f.Run(ctx)[0], `2025-03-19T06:00:00Z etag="c2"`, 1)
	wantRequests(t, fx, docs[1])
	if c := ifNoneMatch(); c != "" {
		t.Errorf("after a capped run, If-None-Match %q", c)
	}
	wantState(t, fx.f.Run(ctx)[0], `2025-03-19T06:00:00Z etag="c2"`, 0)
	wantRequests(t, fx)

	// An unreadable cursor starts afresh, unconditionally.
	fx.f.Config.CSAFMaxPerRun = 0
	fx.store.states[name] = vuln.FeedState{Name: name, Cursor: `yesterday etag="c2"`}
	wantState(t, fx.f.Run(ctx)[0], `2025-03-19T06:00:00Z etag="c2"`, 0) // stored before, not newer
	wantRequests(t, fx, slices.Concat(csafDocs[1:], docs)...)
	if c := ifNoneMatch(); c != "" {
		t.Errorf("with an unreadable cursor, If-None-Match %q", c)
	}
}

func TestCSAFCutAndProgress(t *testing.T) {
	at := func(days ...int) []csafChange {
		var out []csafChange
		for i, d := range days {
			out = append(out, csafChange{path: fmt.Sprintf("%d.json", i), time: time.Date(2025, 3, d, 0, 0, 0, 0, time.UTC)})
		}
		return out
	}
	for _, c := range []struct {
		name  string
		todo  []csafChange
		limit int
		want  int
	}{
		{"between_times", at(1, 2, 3), 2, 2},
		{"tie_at_cut", at(1, 2, 2, 3), 2, 1},
		{"tie_at_start", at(2, 2, 2, 3), 2, 3},
		{"all_one_time", at(2, 2, 2), 1, 3},
	} {
		if got := csafCut(c.todo, c.limit); got != c.want {
			t.Errorf("cut %s: %d, want %d", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		name string
		todo []csafChange
		n    int
		want string
	}{
		{"none", at(1, 2), 0, ""},
		{"all", at(1, 2), 2, "2025-03-02T00:00:00Z"},
		{"group_done", at(1, 2, 2, 3), 3, "2025-03-02T00:00:00Z"},
		{"group_half", at(1, 2, 2, 3), 2, "2025-03-01T00:00:00Z"},
		{"first_group_half", at(2, 2, 3), 1, ""},
	} {
		if got := csafProgress(c.todo, c.n); got != c.want {
			t.Errorf("progress %s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCSAFBadChanges(t *testing.T) {
	for _, c := range []struct {
		name, line, msg string
	}{
		{"unquoted", `2025/x.json,2025-03-10T00:00:00Z`, `want two quoted fields`},
		{"one_field", `"2025/x.json"`, `want two quoted fields`},
		{"three_fields", `"2025/x.json","2025-03-10T00:00:00Z","x"`, `want two quoted fields`},
		{"space_after_comma", `"2025/x.json", "2025-03-10T00:00:00Z"`, `want two quoted fields`},
		{"date_only", `"2025/x.json","2025-03-10"`, `bad time "2025-03-10", want RFC 3339`},
		{"no_zone", `"2025/x.json","2025-03-10T00:00:00"`, `bad time`},
		{"parent", `"../x.json","2025-03-10T00:00:00Z"`, `bad path "../x.json": not clean`},
		{"inner_parent", `"2025/../../x.json","2025-03-10T00:00:00Z"`, `bad path "2025/../../x.json": not clean`},
		{"dot", `"./x.json","2025-03-10T00:00:00Z"`, `bad path "./x.json": not clean`},
		{"double_slash", `"2025//x.json","2025-03-10T00:00:00Z"`, `bad path "2025//x.json": not clean`},
		{"absolute", `"/etc/x.json","2025-03-10T00:00:00Z"`, `bad path "/etc/x.json": absolute`},
		{"scheme", `"https://evil/x.json","2025-03-10T00:00:00Z"`, `bad path "https://evil/x.json": not a relative path`},
		{"backslash", `"2025\x.json","2025-03-10T00:00:00Z"`, `bad path "2025\\x.json": backslash`},
		{"query", `"2025/x.json?a=b","2025-03-10T00:00:00Z"`, `bad path "2025/x.json?a=b": character '?'`},
		{"escape", `"2025/%2e%2e/x.json","2025-03-10T00:00:00Z"`, `bad path "2025/%2e%2e/x.json": character '%'`},
		{"not_json", `"2025/x.txt","2025-03-10T00:00:00Z"`, `bad path "2025/x.txt": not a .json file`},
		{"empty_path", `"","2025-03-10T00:00:00Z"`, `bad path "": empty`},
		{"long_line", `"` + strings.Repeat("a/", 3000) + `x.json","2025-03-10T00:00:00Z"`, `line longer than 4096 bytes`},
	} {
		t.Run(c.name, func(t *testing.T) {
			fx, name := newCSAFFixture(t)
			earlier := time.Date(2025, 3, 19, 0, 0, 0, 0, time.UTC)
			fx.store.states[name] = vuln.FeedState{Name: name, Cursor: "2025-02-20T00:00:00Z", LastOK: earlier, Written: 7}
			fx.srv.set("/csaf/changes.csv", []byte(`"2025/exa-2025-0003.json","2025-03-18T12:00:00Z"`+"\n"+c.line+"\n"+csafChanges))
			st := fx.f.Run(t.Context())[0]
			want := "/csaf/changes.csv: advisory: malformed csaf changes.csv at line 2: " + c.msg
			if !strings.Contains(st.LastError, want) || st.Cursor != "2025-02-20T00:00:00Z" || st.LastOK != earlier || st.Written != 7 {
				t.Errorf("state %+v, want error %q", st, want)
			}
			if reqs := fx.srv.requests(); !slices.Equal(reqs, []string{"/csaf/changes.csv"}) {
				t.Errorf("requests %v", reqs)
			}
			if len(fx.store.advs) != 0 {
				t.Errorf("stored %v", fx.store.keys())
			}
		})
	}
}

func TestCSAFDocumentFailures(t *testing.T) {
	const cursor = "2025-02-20T00:00:00Z" // EXA-2025-0001 to 0003 changed since
	for _, c := range []struct {
		name   string
		spoil  func(fx *fixture)
		parts  []string
		cursor string   // after the failure
		stored []string // CVEs stored
	}{
		{
			name:   "missing_first_document",
			spoil:  func(fx *fixture) { fx.srv.remove("/csaf/2025/exa-2025-0001.json") },
			parts:  []string{"GET http://", "/csaf/2025/exa-2025-0001.json: HTTP 404 Not Found"},
			cursor: cursor,
		},
		{
			name: "hash_mismatch",
			spoil: func(fx *fixture) {
				fx.srv.set("/csaf/2025/exa-2025-0002.json", csafJSON("EXA-2025-0002", "CVE-2025-66666", "2025-03-10T08:00:00Z"))
			},
			parts: []string{"/csaf/2025/exa-2025-0002.json: hash mismatch: sha512 ",
				"/csaf/2025/exa-2025-0002.json.sha512 says "},
			cursor: "2025-03-01T00:00:00Z", // EXA-2025-0001 stored
			stored: []string{"csaf/EXA-2025-0001/CVE-2025-10001"},
		},
		{
			name: "malformed_document",
			spoil: func(fx *fixture) {
				fx.srv.set("/csaf/2025/exa-2025-0003.json", []byte(`{"document": {"csaf_version": "2.0"}}`))
				fx.srv.remove("/csaf/2025/exa-2025-0003.json.sha256")
			},
			parts:  []string{"/csaf/2025/exa-2025-0003.json: advisory: malformed csaf at $.document.category"},
			cursor: "2025-03-10T08:00:00Z",
			stored: []string{"csaf/EXA-2025-0001/CVE-2025-10001", "csaf/EXA-2025-0002/CVE-2025-10002"},
		},
		{
			name:   "hash_file_unavailable",
			spoil:  func(fx *fixture) { fx.srv.fail("/csaf/2025/exa-2025-0001.json.sha256", http.StatusServiceUnavailable) },
			parts:  []string{"/csaf/2025/exa-2025-0001.json.sha256: HTTP 503 Service Unavailable"},
			cursor: cursor,
		},
		{
			name:   "malformed_hash_file",
			spoil:  func(fx *fixture) { fx.srv.set("/csaf/2025/exa-2025-0003.json.sha256", []byte("see the .asc file\n")) },
			parts:  []string{"/csaf/2025/exa-2025-0003.json.sha256: malformed hash file: want 64 hex digits first, have \"see\""},
			cursor: "2025-03-10T08:00:00Z",
			stored: []string{"csaf/EXA-2025-0001/CVE-2025-10001", "csaf/EXA-2025-0002/CVE-2025-10002"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			fx, name := newCSAFFixture(t)
			fx.store.states[name] = vuln.FeedState{Name: name, Cursor: cursor}
			c.spoil(fx)
			st := fx.f.Run(t.Context())[0]
			if st.Cursor != c.cursor || !st.LastOK.IsZero() {
				t.Errorf("state %+v, want cursor %q", st, c.cursor)
			}
			for _, p := range c.parts {
				if !strings.Contains(st.LastError, p) {
					t.Errorf("error %q does not contain %q", st.LastError, p)
				}
			}
			if keys := fx.store.keys(); !slices.Equal(keys, c.stored) {
				t.Errorf("stored %v, want %v", keys, c.stored)
			}

			// Mended, the next run goes on from the cursor.
			fx.srv.mu.Lock()
			clear(fx.srv.status)
			fx.srv.mu.Unlock()
			fx.publish(csafDocs...)
			wantState(t, fx.f.Run(t.Context())[0], "2025-03-18T12:00:00Z", 3-len(c.stored))
		})
	}

	t.Run("hash_mismatch_is", func(t *testing.T) {
		fx, _ := newCSAFFixture(t)
		f := fx.f
		base := strings.TrimSuffix(f.Config.CSAFURLs[0], "/csaf/")
		err := f.checkHash(t.Context(), base+"/csaf/2025/exa-2025-0001.json", []byte("other"))
		if !errors.Is(err, ErrHashMismatch) {
			t.Errorf("%v", err)
		}
		if err := f.checkHash(t.Context(), base+"/csaf/2025/none.json", []byte("any")); err != nil {
			t.Errorf("no hash file: %v", err)
		}
	})
}

func TestCSAFResponseSizeLimits(t *testing.T) {
	fx, name := newCSAFFixture(t)
	fx.f.MaxBytes = 100 // changes.csv is larger
	st := fx.f.Run(t.Context())[0]
	if !strings.Contains(st.LastError, "/csaf/changes.csv: response too large") || len(fx.store.advs) != 0 || st.Cursor != "" {
		t.Errorf("oversize changes.csv: %+v", st)
	}

	// changes.csv fits, the documents do not.
	fx.f.MaxBytes = 400
	st = fx.f.Run(t.Context())[0]
	if !strings.Contains(st.LastError, "/csaf/2025/exa-2025-0001.json: response too large") || len(fx.store.advs) != 0 || st.Cursor != "" {
		t.Errorf("oversize document: %+v", st)
	}

	// A hash file over 4 KiB.
	fx.f.MaxBytes = 0
	fx.srv.set("/csaf/2025/exa-2025-0001.json.sha256", bytes.Repeat([]byte("0"), 5000))
	st = fx.f.Run(t.Context())[0]
	if !strings.Contains(st.LastError, "/csaf/2025/exa-2025-0001.json.sha256: response too large: more than 4096 bytes") || st.Name != name {
		t.Errorf("oversize hash file: %+v", st)
	}

	// The bound of getLimited itself.
	base := strings.TrimSuffix(fx.f.Config.CSAFURLs[0], "/csaf/")
	if _, err := fx.f.getLimited(t.Context(), base+"/csaf/changes.csv", 10); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 10 bytes") {
		t.Errorf("getLimited: %v", err)
	}
	if data, err := fx.f.getLimited(t.Context(), base+"/csaf/changes.csv", int64(len(csafChanges))); err != nil || string(data) != csafChanges {
		t.Errorf("getLimited at the limit: %v", err)
	}
}

func TestCSAFDirectoryURL(t *testing.T) {
	fx, _ := newCSAFFixture(t)
	base := strings.TrimSuffix(fx.f.Config.CSAFURLs[0], "/csaf/")
	fx.f.Config.CSAFURLs = []string{"ftp://mirror.internal/csaf/", base + "/csaf/?token=s3cret#top"}
	got := fx.f.Run(t.Context())
	if len(got) != 2 {
		t.Fatalf("states %+v", got)
	}
	if e := got[0].LastError; e != "csaf directory ftp://mirror.internal/csaf/: not an http(s) URL" {
		t.Errorf("ftp: %q", e)
	}
	if e := got[1].LastError; !strings.HasSuffix(e, "/csaf/: a directory URL has no query or fragment") || strings.Contains(e, "s3cret") ||
		strings.Contains(got[1].Name, "s3cret") {
		t.Errorf("query: %+v", got[1])
	}
	if reqs := fx.srv.requests(); len(reqs) != 0 {
		t.Errorf("requests %v", reqs)
	}

	// Without its trailing slash, the same directory, under the same name.
	fx.f.Config.CSAFURLs = []string{base + "/csaf"}
	wantState(t, fx.f.Run(t.Context())[0], "2025-03-18T12:00:00Z", 3)
	wantRequests(t, fx, csafDocs[1:]...)
}

func TestCSAFFeedName(t *testing.T) {
	long := "https://csaf.example/" + strings.Repeat("advisories/", 30)
	for _, c := range []struct{ url, want string }{
		{"https://security.access.redhat.com/data/csaf/v2/advisories/", "csaf:security.access.redhat.com/data/csaf/v2/advisories"},
		{"https://mirror:hunter2@Security.Access.RedHat.com/data/csaf/v2/advisories", "csaf:security.access.redhat.com/data/csaf/v2/advisories"},
		{"http://mirror.internal:8080/csaf/red%20hat/", "csaf:mirror.internal:8080/csaf/red%20hat"},
		{"::", "csaf:::"},
	} {
		if got := csafFeedName(c.url); got != c.want {
			t.Errorf("%s: %q, want %q", c.url, got, c.want)
		}
	}
	a, b := csafFeedName(long+"a/"), csafFeedName(long+"b/")
	if len(a) > 255 || len(b) > 255 || a == b || a != csafFeedName(long+"a") || !strings.HasPrefix(a, "csaf:csaf.example/advisories/") {
		t.Errorf("long names %q (%d bytes), %q", a, len(a), b)
	}

	// Feeds: after the OSV ecosystems, one per directory, in order.
	f := &Fetcher{Config: Config{OSVBase: "https://osv.example", OSVEcosystems: []string{"Debian"}, KEVURL: "https://kev.example/kev.json",
		CSAFURLs: []string{"https://a.example/csaf/", "", "https://b.example/csaf/", "http://A.example/csaf"}}}
	var names []string
	for _, fd := range f.feeds() {
		names = append(names, fd.name)
	}
	if want := []string{"osv:Debian", "csaf:a.example/csaf", "csaf:b.example/csaf", "kev"}; !slices.Equal(names, want) {
		t.Errorf("feeds %v, want %v", names, want)
	}
}

func TestCSAFDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.CSAFFirstDays != DefaultCSAFFirstDays || c.CSAFMaxPerRun != DefaultCSAFMaxPerRun || len(c.CSAFURLs) != 0 ||
		DefaultCSAFFirstDays != 90 || DefaultCSAFMaxPerRun != 1000 {
		t.Errorf("default config %v", c)
	}
	c.CSAFURLs = []string{"https://mirror:hunter2@csaf.example/advisories/"}
	if s := c.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "csaf=[https://mirror:xxxxx@csaf.example/advisories/] (first days 90, max per run 1000)") {
		t.Errorf("config text %s", s)
	}
}

func FuzzParseCSAFChanges(f *testing.F) {
	f.Add([]byte(csafChanges))
	f.Add([]byte("\ufeff\"2025/a.json\",\"2025-03-01T00:00:00.123+07:00\"\n\n"))
	f.Add([]byte(`"../a.json","2025-03-01T00:00:00Z"`))
	f.Add([]byte(`"a.json","2025-03-01T00:00:00Z","b"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := parseCSAFChanges(data)
		if err != nil {
			if !errors.Is(err, advisory.ErrMalformed) || list != nil {
				t.Fatalf("error %v with %d changes", err, len(list))
			}
			return
		}
		for _, c := range list {
			if why := csafPath(c.path); why != "" || c.time.IsZero() || c.time.Location() != time.UTC {
				t.Fatalf("accepted %q at %v: %s", c.path, c.time, why)
			}
		}
	})
}
