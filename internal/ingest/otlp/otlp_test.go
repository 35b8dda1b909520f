package otlp_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/otlp"
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

func sample() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("host.name", "app01")
	rl.Resource().Attributes().PutStr("service.name", "cong-dvc")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("khien.test")
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)))
	lr.SetSeverityText("WARN")
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.Body().SetStr("Đăng nhập thất bại cho người dùng an")
	lr.Attributes().PutStr("user.name", "an")
	lr.Attributes().PutInt("http.response.status_code", 401)
	lr.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	lr2 := sl.LogRecords().AppendEmpty()
	lr2.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)))
	m := lr2.Body().SetEmptyMap()
	m.PutStr("message", "structured")
	m.PutBool("ok", true)
	return ld
}

func TestOTLP(t *testing.T) {
	sink := &memSink{}
	srv := httptest.NewServer(otlp.New(otlp.Options{Sink: sink}))
	defer srv.Close()
	req := plogotlp.NewExportRequestFromLogs(sample())

	// Protobuf, gzip-compressed.
	pb, err := req.MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(pb)
	_ = zw.Close()
	hr, _ := http.NewRequest("POST", srv.URL+"/v1/logs", &gz)
	hr.Header.Set("Content-Type", "application/x-protobuf")
	hr.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("protobuf: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// JSON.
	js, _ := req.MarshalJSON()
	resp, err = http.Post(srv.URL+"/v1/logs", "application/json", bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(sink.events) != 4 {
		t.Fatalf("json: %d, %d events", resp.StatusCode, len(sink.events))
	}
	e := sink.events[0]
	if e.Message != "Đăng nhập thất bại cho người dùng an" || e.Fields["host.name"] != "app01" || e.Fields["service.name"] != "cong-dvc" ||
		e.Fields["user.name"] != "an" || e.Fields["http.response.status_code"] != "401" || e.Fields["log.level"] != "warn" ||
		e.Fields["trace.id"] != "0102030405060708090a0b0c0d0e0f10" || e.Source.Kind != event.KindOTLP ||
		!e.Time.Equal(time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("event 0: %+v", e)
	}
	e = sink.events[1]
	if e.Fields["ok"] != "true" || e.Fields["message"] != "structured" || !e.Time.Equal(time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("event 1: %+v", e)
	}
	// Garbage is refused; a busy sink gets 503 (retryable).
	resp, _ = http.Post(srv.URL+"/v1/logs", "application/x-protobuf", bytes.NewReader([]byte{0xff, 0xff, 0xff}))
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("garbage: %d", resp.StatusCode)
	}
	sink.fail = true
	resp, _ = http.Post(srv.URL+"/v1/logs", "application/json", bytes.NewReader(js))
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("busy: %d", resp.StatusCode)
	}
}

func FuzzDecode(f *testing.F) {
	pb, _ := plogotlp.NewExportRequestFromLogs(sample()).MarshalProto()
	f.Add(pb)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		req := plogotlp.NewExportRequest()
		if req.UnmarshalProto(data) != nil {
			return
		}
		for _, e := range otlp.Events(req.Logs(), "f", "", time.Unix(0, 0)) {
			if _, bad := e.Fields[""]; bad {
				t.Fatal("empty field name")
			}
		}
	})
}
