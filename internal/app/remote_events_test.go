package app_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// startVictoriaLogs runs a victoria-logs server (the binary of the pinned
// VictoriaLogs version, see scripts/build-victoria-logs) on a free port.
func startVictoriaLogs(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("KHIEN_VICTORIA_LOGS")
	if bin == "" {
		if p, err := exec.LookPath("victoria-logs"); err == nil {
			bin = p
		}
	}
	if bin == "" {
		t.Skip("victoria-logs binary not found: run scripts/build-victoria-logs (or set KHIEN_VICTORIA_LOGS)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var out bytes.Buffer
	cmd := exec.Command(bin, "-httpListenAddr="+addr, "-storageDataPath="+t.TempDir(), "-loggerLevel=WARN",
		"-memory.allowedBytes=256MiB", "-retentionPeriod=90d", "-insert.maxFieldsPerLine=2001", "-insert.maxLineSizeBytes=8MiB",
		"-search.maxQueryLen=1MiB", "-defaultMsgValue=")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return "http://" + addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("victoria-logs did not start:\n%s", out.String())
		}
	}
}

// With events.store remote, the same pipeline stores in a VictoriaLogs
// server, and the spool is committed only after it flushed.
func TestRemoteEventStore(t *testing.T) {
	url := startVictoriaLogs(t)
	a := startApp(t, func(c *config.Config) {
		c.Events.Store, c.Events.URL = config.EventsRemote, url
		c.Ingest.SyslogTCP = "127.0.0.1:0"
		c.Ingest.FlushInterval = config.Duration(100 * time.Millisecond)
	})
	in := a.srv.Ingest()
	if st := in.Status(); st.Store != "remote" {
		t.Fatalf("store = %q", st.Store)
	}
	sendSyslog(t, a, "db02.example.vn",
		"Failed password for root from 198.51.100.7 port 50022 ssh2",
		"Failed password for root from 198.51.100.7 port 50023 ssh2",
		"Accepted password for lan.nguyen from 10.0.0.7 port 40022 ssh2")
	waitUntil(t, "the events stored and the spool committed", func() bool {
		st := in.Status()
		return st.Stored == 3 && st.BacklogBytes == 0
	})
	var got []event.Event
	err := in.Store.Query(context.Background(), eventstore.Query{Units: []int64{in.DefaultUnit()}, From: time.Now().Add(-time.Hour),
		To: time.Now().Add(time.Minute), Expr: `host.name:="db02.example.vn" event.outcome:=failure`}, func(e event.Event) error {
		got = append(got, e)
		return nil
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("remote store: %d events, %v", len(got), err)
	}
	if got[0].Fields["source.ip"] != "198.51.100.7" || got[0].Source.Kind != event.KindSyslog {
		t.Errorf("stored event = %+v", got[0])
	}
}

// An unreachable remote store is reported at start, clearly.
func TestRemoteEventStoreUnreachable(t *testing.T) {
	cfg := config.Default()
	cfg.Events.Store, cfg.Events.URL = config.EventsRemote, "http://127.0.0.1:1"
	_, err := app.OpenEvents(context.Background(), cfg, nil)
	if err == nil {
		t.Fatal("no error")
	}
	if want := "open remote event store http://127.0.0.1:1"; !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("error %q lacks %q", err, want)
	}
}
