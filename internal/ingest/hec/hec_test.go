package hec_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/hec"
)

type memSink struct {
	mu     sync.Mutex
	events []event.Event
	fail   bool
}

func (s *memSink) Accept(_ context.Context, b []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("busy")
	}
	s.events = append(s.events, b...)
	return nil
}

func post(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Splunk "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestHEC(t *testing.T) {
	sink := &memSink{}
	srv := httptest.NewServer(hec.New(hec.Options{Sink: sink, Authenticate: func(tok string) (hec.Source, bool) {
		return hec.Source{Name: "fw-hec", UnitID: 3}, tok == "11111111-2222"
	}, Now: func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }}))
	defer srv.Close()

	body := `{"time": 1764201600.5, "host": "fw01", "sourcetype": "fortigate", "event": {"message": "deny tcp", "srcip": "10.0.0.9", "n": 3}, "fields": {"site": "HN"}}
{"event": "plain line: Đăng nhập thất bại", "time": "1764201601"}`
	status, out := post(t, srv.URL+"/services/collector/event", "11111111-2222", body)
	if status != 200 || out["text"] != "Success" {
		t.Fatalf("event: %d %v", status, out)
	}
	if len(sink.events) != 2 {
		t.Fatalf("%d events", len(sink.events))
	}
	e0, e1 := sink.events[0], sink.events[1]
	if e0.Message != "deny tcp" || e0.Fields["srcip"] != "10.0.0.9" || e0.Fields["n"] != "3" || e0.Fields["site"] != "HN" ||
		e0.Fields["host.name"] != "fw01" || e0.UnitID != 3 || e0.Source.Kind != event.KindHEC || e0.Source.Name != "fw-hec" ||
		!e0.Time.Equal(time.Unix(1764201600, 5e8).UTC()) {
		t.Errorf("event 0: %+v", e0)
	}
	if e1.Message != "plain line: Đăng nhập thất bại" || !e1.Time.Equal(time.Unix(1764201601, 0).UTC()) {
		t.Errorf("event 1: %+v", e1)
	}
	// Raw endpoint.
	status, _ = post(t, srv.URL+"/services/collector/raw?host=web01&sourcetype=nginx", "11111111-2222", "line one\nline two\n")
	if status != 200 || len(sink.events) != 4 || sink.events[3].Message != "line two" || sink.events[3].Fields["host.name"] != "web01" {
		t.Errorf("raw: %d %+v", status, sink.events[2:])
	}
	// Authentication, malformed data (nothing stored), busy sink.
	if status, out := post(t, srv.URL+"/services/collector/event", "", `{"event":"x"}`); status != 401 || out["code"] != float64(2) {
		t.Errorf("no token: %d %v", status, out)
	}
	if status, _ := post(t, srv.URL+"/services/collector/event", "wrong", `{"event":"x"}`); status != 403 {
		t.Errorf("bad token: %d", status)
	}
	if status, _ := post(t, srv.URL+"/services/collector/event", "11111111-2222", `{"event":"ok"}{"time":1}`); status != 400 || len(sink.events) != 4 {
		t.Errorf("event without event field: %d, %d stored", status, len(sink.events))
	}
	sink.fail = true
	if status, out := post(t, srv.URL+"/services/collector/event", "11111111-2222", `{"event":"x"}`); status != 503 || out["code"] != float64(9) {
		t.Errorf("busy: %d %v", status, out)
	}
	resp, err := http.Get(srv.URL + "/services/collector/health")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("health: %v %v", resp, err)
	}
}

func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(`{"event":"x","time":1.5,"fields":{"a":[1,{"b":2}]}}{"event":{"m":"y"}}`))
	f.Add([]byte(`{"event":123}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := hec.ParseEvents(data, time.Unix(0, 0))
		if err != nil {
			return
		}
		for _, e := range evs {
			if _, bad := e.Fields[""]; bad {
				t.Fatalf("empty field name from %q", data)
			}
		}
	})
}
