package bulk_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/bulk"
)

// memSink keeps what it accepted; fail makes it refuse.
type memSink struct {
	mu     sync.Mutex
	events []event.Event
	fail   bool
}

func (s *memSink) Accept(_ context.Context, batch []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("spool full")
	}
	s.events = append(s.events, batch...)
	return nil
}

func (s *memSink) all() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]event.Event(nil), s.events...)
}

// TestOfficialClient drives the emulation with the official Go client: its
// product check must accept Khiên, and its bulk indexer must see every
// document indexed.
func TestOfficialClient(t *testing.T) {
	sink := &memSink{}
	srv := httptest.NewServer(bulk.New(bulk.Options{Sink: sink, Authenticate: func(r *http.Request) (bulk.Source, bool) {
		u, p, ok := r.BasicAuth()
		return bulk.Source{Name: u, UnitID: 7}, ok && u == "winlogbeat" && p == "s3cret"
	}}))
	defer srv.Close()
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{srv.URL}, Username: "winlogbeat", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := es.Info()
	if err != nil {
		t.Fatalf("the client refuses Khiên as Elasticsearch: %v", err)
	}
	info.Body.Close()
	if info.IsError() {
		t.Fatalf("info: %s", info.Status())
	}
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: es, Index: "winlogbeat-8.19.0", NumWorkers: 2, FlushBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2500
	var ok sync.WaitGroup
	var okCount, failCount int
	var mu sync.Mutex
	for i := range n {
		doc := `{"@timestamp":"2026-11-27T01:02:03.456Z","message":"An account failed to log on: Nguyễn","event":{"code":"4625","provider":"Microsoft-Windows-Security-Auditing"},"host":{"name":"dc01"},"winlog":{"event_data":{"TargetUserName":"user` + strconv.Itoa(i) + `","IpAddress":"10.0.0.5"}},"tags":["beats","windows"]}`
		ok.Add(1)
		err := bi.Add(context.Background(), esutil.BulkIndexerItem{Action: "create", Body: strings.NewReader(doc),
			OnSuccess: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem) {
				mu.Lock()
				okCount++
				mu.Unlock()
				ok.Done()
			},
			OnFailure: func(_ context.Context, _ esutil.BulkIndexerItem, res esutil.BulkIndexerResponseItem, err error) {
				mu.Lock()
				failCount++
				mu.Unlock()
				t.Errorf("item failed: %v %+v", err, res.Error)
				ok.Done()
			}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := bi.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ok.Wait()
	st := bi.Stats()
	if okCount != n || failCount != 0 || st.NumFailed != 0 || st.NumCreated != n {
		t.Fatalf("indexed %d, failed %d, stats %+v", okCount, failCount, st)
	}
	got := sink.all()
	if len(got) != n {
		t.Fatalf("sink has %d events, want %d", len(got), n)
	}
	e := got[0]
	if e.Source.Kind != event.KindBulk || e.UnitID != 7 || !strings.HasPrefix(e.Source.Name, "winlogbeat/") ||
		e.Fields["event.code"] != "4625" || e.Fields["host.name"] != "dc01" || e.Fields["tags"] != `["beats","windows"]` ||
		e.Message != "An account failed to log on: Nguyễn" || !e.Time.Equal(time.Date(2026, 11, 27, 1, 2, 3, 456e6, time.UTC)) {
		t.Errorf("event %+v", e)
	}
	// Wrong credentials: 401, and the client reports it.
	bad, _ := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{srv.URL}, Username: "x", Password: "y"})
	res, err := bad.Info()
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad credentials: %d", res.StatusCode)
	}
}

// TestSetupCalls answers the calls Beats make before sending.
func TestSetupCalls(t *testing.T) {
	srv := httptest.NewServer(bulk.New(bulk.Options{Sink: &memSink{}}))
	defer srv.Close()
	for _, c := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/_license"}, {"GET", "/_xpack"}, {"HEAD", "/_index_template/filebeat-8.19.0"},
		{"GET", "/_index_template/filebeat-8.19.0"}, {"PUT", "/_index_template/filebeat-8.19.0"},
		{"GET", "/_ilm/policy/filebeat"}, {"PUT", "/_ilm/policy/filebeat"}, {"PUT", "/_ingest/pipeline/p1"},
		{"GET", "/_data_stream/logs-generic-default"}, {"GET", "/_nodes/_local"}, {"GET", "/_cluster/health"},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Elastic-Product") != "Elasticsearch" {
			t.Errorf("%s %s: %d %q", c.method, c.path, resp.StatusCode, resp.Header.Get("X-Elastic-Product"))
		}
	}
}

// TestBulkItems checks per-item results, gzip bodies, refused documents and
// the whole-request 429 when the sink cannot store.
func TestBulkItems(t *testing.T) {
	sink := &memSink{}
	srv := httptest.NewServer(bulk.New(bulk.Options{Sink: sink}))
	defer srv.Close()
	body := `{"index":{"_index":"logs","_id":"a1"}}
{"@timestamp":"2026-11-27T00:00:00Z","message":"ok"}
{"create":{}}
not json
{"delete":{"_index":"logs","_id":"a1"}}
{"create":{"_index":"logs"}}
{"@timestamp":"yesterday","message":"odd time","n":12.50,"b":true,"x":null}
`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(body))
	_ = zw.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/default/_bulk", &gz)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Errors bool
		Items  []map[string]struct {
			Index  string `json:"_index"`
			ID     string `json:"_id"`
			Status int
		}
	}
	decodeJSON(t, resp, &out)
	if !out.Errors || len(out.Items) != 4 {
		t.Fatalf("reply %+v", out)
	}
	want := []struct {
		action string
		status int
		index  string
	}{{"index", 201, "logs"}, {"create", 400, "default"}, {"delete", 400, "logs"}, {"create", 201, "logs"}}
	for i, w := range want {
		it, ok := out.Items[i][w.action]
		if !ok || it.Status != w.status || it.Index != w.index {
			t.Errorf("item %d: %+v, want %+v", i, out.Items[i], w)
		}
	}
	got := sink.all()
	if len(got) != 2 || got[1].ParseError == "" || got[1].Fields["n"] != "12.50" || got[1].Fields["b"] != "true" {
		t.Fatalf("events %+v", got)
	}
	if _, has := got[1].Fields["x"]; has {
		t.Error("null kept as a field")
	}
	// The sink refuses: nothing is acknowledged.
	sink.fail = true
	resp, err = http.Post(srv.URL+"/_bulk", "application/x-ndjson", strings.NewReader("{\"index\":{}}\n{\"message\":\"x\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("sink failure: %d", resp.StatusCode)
	}
}

func TestParseErrors(t *testing.T) {
	for name, body := range map[string]string{
		"bad action":       "{not json}\n",
		"two actions":      `{"index":{},"create":{}}` + "\n{}\n",
		"missing document": `{"index":{}}` + "\n",
		"unknown action":   `{"upsert":{}}` + "\n{}\n",
		"line too long":    `{"index":{}}` + "\n" + `{"m":"` + strings.Repeat("x", bulk.MaxLine) + `"}` + "\n",
	} {
		if _, err := bulk.Parse(strings.NewReader(body), "i", time.Now()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	deep := strings.Repeat(`{"a":`, bulk.MaxDepth+2) + "1" + strings.Repeat("}", bulk.MaxDepth+2)
	if _, err := bulk.Document([]byte(deep), "i", time.Now()); err == nil {
		t.Error("too deep: no error")
	}
	_ = ingest.Stats{}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("{\"index\":{}}\n{\"message\":\"x\",\"a\":{\"b\":[1,2]}}\n"))
	f.Add([]byte("{\"create\":{\"_index\":\"x\",\"_id\":\"1\"}}\n{}\n{\"delete\":{}}\n"))
	f.Add([]byte("{\"update\":{}}\n{\"doc\":{}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := bulk.Parse(bytes.NewReader(data), "i", time.Unix(0, 0))
		if err != nil {
			return
		}
		created := 0
		for _, it := range res.Items {
			if it.Status == 201 {
				created++
			}
		}
		if created != len(res.Events) {
			t.Fatalf("%d items created, %d events", created, len(res.Events))
		}
		for _, e := range res.Events {
			if _, bad := e.Fields[""]; bad {
				t.Fatalf("empty field name from %q", data)
			}
		}
	})
}
