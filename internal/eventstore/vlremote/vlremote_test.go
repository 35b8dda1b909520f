package vlremote_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/eventstoretest"
	"khien.vn/khien/internal/eventstore/vlremote"
)

// server is a victoria-logs process started for a test.
type server struct {
	url string
	dir string
	cmd *exec.Cmd
	out *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// serverBinary returns the victoria-logs binary to test against, or skips.
func serverBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("KHIEN_VICTORIA_LOGS"); p != "" {
		return p
	}
	if p, err := exec.LookPath("victoria-logs"); err == nil {
		return p
	}
	t.Skip("victoria-logs binary not found: run scripts/build-victoria-logs (or set KHIEN_VICTORIA_LOGS)")
	return ""
}

// recommendedFlags are the server flags docs/eventstore.md asks for.
var recommendedFlags = []string{
	"-insert.maxFieldsPerLine=2001",
	"-insert.maxLineSizeBytes=8MiB",
	"-search.maxQueryLen=1MiB",
	"-defaultMsgValue=",
}

// startServer starts victoria-logs on a free local port and a data
// directory dir (a new one when ""), and stops it at the end of the test.
func startServer(t testing.TB, dir string, args ...string) *server {
	t.Helper()
	bin := serverBinary(t)
	if dir == "" {
		dir = t.TempDir()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	scheme, client := "http", http.DefaultClient
	if slices.Contains(args, "-tls") {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // waiting for a test server
		scheme, client = "https", &http.Client{Transport: tr}
		defer tr.CloseIdleConnections()
	}
	srv := &server{url: scheme + "://" + addr, dir: dir, out: &syncBuffer{}}
	args = append([]string{
		"-httpListenAddr=" + addr,
		"-storageDataPath=" + dir,
		"-loggerLevel=WARN",
		"-memory.allowedBytes=256MiB",
	}, args...)
	srv.cmd = exec.Command(bin, args...)
	srv.cmd.Stdout, srv.cmd.Stderr = srv.out, srv.out
	dieWithParent(srv.cmd)
	if err := srv.cmd.Start(); err != nil {
		t.Fatalf("start victoria-logs: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		srv.cmd.Wait() //nolint:errcheck // the exit is seen through exited
		close(exited)
	}()
	t.Cleanup(func() {
		srv.cmd.Process.Kill() //nolint:errcheck // it may have exited
		<-exited
		if t.Failed() {
			t.Logf("victoria-logs output:\n%s", srv.out.String())
		}
	})
	// Wait for /health.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("victoria-logs exited at start:\n%s", srv.out.String())
		case <-deadline:
			t.Fatalf("victoria-logs not healthy after 30s:\n%s", srv.out.String())
		case <-tick.C:
		}
		resp, err := client.Get(srv.url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return srv
			}
		}
	}
}

// stop stops the server as kill -9 would.
func (srv *server) stop(t testing.TB) {
	t.Helper()
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Process.Wait() //nolint:errcheck // killed
}

func openStore(t testing.TB, opts vlremote.Options) *vlremote.Store {
	t.Helper()
	s, err := vlremote.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	eventstoretest.CloseAtCleanup(t, s)
	return s
}

func TestConformance(t *testing.T) {
	serverBinary(t)
	eventstoretest.Run(t, func(t *testing.T, r eventstore.Retention) eventstore.Store {
		// The suite uses fixed unit ids and times: one server a case.
		srv := startServer(t, "", append([]string{"-retentionPeriod=" + strconv.Itoa(r.Days) + "d"}, recommendedFlags...)...)
		return openStore(t, vlremote.Options{URL: srv.url, Retention: r})
	})
}

func sample(t0 time.Time, unit int64, i int) event.Event {
	ev := event.Event{
		Time:     t0.Add(time.Duration(i) * time.Second),
		Received: t0.Add(time.Duration(i)*time.Second + time.Millisecond),
		UnitID:   unit,
		Source:   event.Source{Kind: event.KindSyslog, Name: "syslog-udp", Addr: "10.1.2.3"},
		Message:  "Phiên đăng nhập SSH bị từ chối " + strconv.Itoa(i),
	}
	ev.Set(event.FieldHostName, "web0"+strconv.Itoa(i%3))
	ev.Set(event.FieldEventCode, "4625")
	ev.Set(event.FieldUserName, "user"+strconv.Itoa(i%5))
	return ev
}

func appendAll(t testing.TB, s eventstore.Store, events []event.Event) {
	t.Helper()
	res, err := s.Append(t.Context(), events)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if res.Stored != len(events) {
		t.Fatalf("Append = %+v, want %d stored", res, len(events))
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func collect(t testing.TB, s eventstore.Store, q eventstore.Query) ([]event.Event, error) {
	t.Helper()
	var out []event.Event
	err := s.Query(t.Context(), q, func(ev event.Event) error {
		out = append(out, ev)
		return nil
	})
	return out, err
}

func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = vlremote.Open(t.Context(), vlremote.Options{URL: "http://" + addr, RequestTimeout: 5 * time.Second})
	if !errors.Is(err, errs.ErrUnavailable) || !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), addr) {
		t.Errorf("Open(closed port) = %v, want an ErrUnavailable saying the server at %s is unreachable", err, addr)
	}
}

func TestOpenInvalidOptions(t *testing.T) {
	for name, opts := range map[string]vlremote.Options{
		"no_url":         {},
		"ftp":            {URL: "ftp://example.com"},
		"query":          {URL: "http://example.com/?x=1"},
		"basic_and_bear": {URL: "http://example.com", Username: "u", BearerToken: "t"},
		"bad_ca_file":    {URL: "https://example.com", CAFile: "/nonexistent/ca.pem"},
		"negative_limit": {URL: "http://example.com", MaxLimit: -1},
	} {
		if _, err := vlremote.Open(t.Context(), opts); err == nil {
			t.Errorf("%s: Open succeeded", name)
		} else if name != "bad_ca_file" && !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: Open = %v, want ErrInvalid", name, err)
		}
	}
}

func TestOpenAuth(t *testing.T) {
	srv := startServer(t, "", append([]string{"-httpAuth.username=khien", "-httpAuth.password=s3cret"}, recommendedFlags...)...)
	for name, opts := range map[string]vlremote.Options{
		"none":           {URL: srv.url},
		"wrong_password": {URL: srv.url, Username: "khien", Password: "wrong"},
	} {
		_, err := vlremote.Open(t.Context(), opts)
		if !errors.Is(err, errs.ErrUnauthorized) || !strings.Contains(err.Error(), "refused the credentials") {
			t.Errorf("%s: Open = %v, want ErrUnauthorized saying the credentials were refused", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "wrong") {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
	s := openStore(t, vlremote.Options{URL: srv.url, Username: "khien", Password: "s3cret"})
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	appendAll(t, s, []event.Event{sample(t0, 7, 0)})
	got, err := collect(t, s, eventstore.Query{Units: []int64{7}, From: t0.Add(-time.Minute), To: t0.Add(time.Minute)})
	if err != nil || len(got) != 1 {
		t.Errorf("Query with credentials = %d events, %v; want 1", len(got), err)
	}
}

func TestSeveralUnits(t *testing.T) {
	srv := startServer(t, "", recommendedFlags...)
	s := openStore(t, vlremote.Options{URL: srv.url})
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var events []event.Event
	for i := range 30 {
		events = append(events, sample(t0, int64(1+i%3), i))
	}
	appendAll(t, s, events)
	q := eventstore.Query{Units: []int64{1, 2, 3}, From: t0, To: t0.Add(time.Hour)}

	// Row-by-row pipes: the union of each unit's results, merged in order.
	for _, order := range []eventstore.Order{eventstore.Newest, eventstore.Oldest} {
		q := q
		q.Order, q.Limit, q.Expr = order, 10, `user.name:~"user[0-3]" | fields _time, seq, user.name`
		got, err := collect(t, s, q)
		if err != nil {
			t.Fatal(err)
		}
		var want []time.Time
		for i := range 30 {
			j := i
			if order == eventstore.Newest {
				j = 29 - i
			}
			if j%5 <= 3 && len(want) < 10 {
				want = append(want, t0.Add(time.Duration(j)*time.Second))
			}
		}
		var times []time.Time
		for _, ev := range got {
			times = append(times, ev.Time)
		}
		if diff := cmp.Diff(want, times); diff != "" {
			t.Errorf("order %d over 3 units (-want +got):\n%s", order, diff)
		}
	}

	// Unordered: every event once, up to the limit.
	q.Order, q.Limit = eventstore.Unordered, 25
	if got, err := collect(t, s, q); err != nil || len(got) != 25 {
		t.Errorf("Unordered, limit 25 over 3 units: %d events, %v", len(got), err)
	}

	// Aggregates over several units: refused, not wrong.
	for _, expr := range []string{
		`* | stats count() n`,
		`* | count()`,
		`* | top 3 by (host.name)`,
		`* | sort by (user.name) | limit 3`,
		`user.name:in(khien.unit:2 | fields user.name)`,
	} {
		q.Expr = expr
		if _, err := collect(t, s, q); !errors.Is(err, vlremote.ErrSeveralUnits) || !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s over 3 units: %v, want ErrSeveralUnits", expr, err)
		}
		q1 := q
		q1.Units = []int64{2}
		if _, err := collect(t, s, q1); err != nil {
			t.Errorf("%s over one unit: %v", expr, err)
		}
	}

	// Hits add up over units.
	h, err := s.Hits(t.Context(), eventstore.Query{Units: []int64{1, 2, 3}, From: t0, To: t0.Add(time.Minute), Expr: `* | stats count()`}, 10*time.Second, event.FieldHostName)
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for _, sr := range h.Series {
		total += sr.Total
	}
	if len(h.Series) != 3 || total != 30 || h.Buckets != 6 {
		t.Errorf("Hits by host over 3 units = %+v, want 3 series, 30 events in 6 buckets", h)
	}
}

func TestQueryTimeout(t *testing.T) {
	srv := startServer(t, "", recommendedFlags...)
	s := openStore(t, vlremote.Options{URL: srv.url})
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	appendAll(t, s, []event.Event{sample(t0, 1, 0)})
	q := eventstore.Query{Units: []int64{1}, From: t0.Add(-time.Minute), To: t0.Add(time.Minute), Timeout: time.Nanosecond}
	if _, err := collect(t, s, q); !errors.Is(err, eventstore.ErrTimeout) {
		t.Errorf("Query with a 1ns timeout: %v, want ErrTimeout", err)
	}
}

func TestUsage(t *testing.T) {
	srv := startServer(t, "", recommendedFlags...)
	s := openStore(t, vlremote.Options{URL: srv.url})
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var events []event.Event
	for i := range 100 {
		events = append(events, sample(t0, 1, i))
	}
	appendAll(t, s, events)
	u, err := s.Usage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if u.Rows != 100 || u.DiskBytes <= 0 || u.Partitions != 1 || u.Oldest.IsZero() || u.Newest.Before(u.Oldest) || u.ReadOnly {
		t.Errorf("Usage = %+v", u)
	}
}

func TestFlushDurable(t *testing.T) {
	srv := startServer(t, "", append([]string{"-inmemoryDataFlushInterval=1h"}, recommendedFlags...)...)
	s := openStore(t, vlremote.Options{URL: srv.url})
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var events []event.Event
	for i := range 500 {
		events = append(events, sample(t0, 3, i))
	}
	appendAll(t, s, events) // with Flush

	// kill -9, then a new server on the same directory.
	srv.stop(t)
	srv2 := startServer(t, srv.dir, recommendedFlags...)
	s2 := openStore(t, vlremote.Options{URL: srv2.url})
	got, err := collect(t, s2, eventstore.Query{Units: []int64{3}, From: t0, To: t0.Add(time.Hour), Limit: 1000})
	if err != nil || len(got) != 500 {
		t.Errorf("after Flush and kill -9: %d events, %v; want 500", len(got), err)
	}
}

func TestCloseFlushes(t *testing.T) {
	srv := startServer(t, "", recommendedFlags...)
	s, err := vlremote.Open(t.Context(), vlremote.Options{URL: srv.url})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	if _, err := s.Append(t.Context(), []event.Event{sample(t0, 4, 0), sample(t0, 4, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, vlremote.Options{URL: srv.url})
	if got, err := collect(t, s2, eventstore.Query{Units: []int64{4}, From: t0, To: t0.Add(time.Hour)}); err != nil || len(got) != 2 {
		t.Errorf("after Close: %d events, %v; want 2", len(got), err)
	}
}

func TestEmptyMessage(t *testing.T) {
	// A server started without -defaultMsgValue= adds a message to events
	// without one; the store drops it again.
	for _, flags := range [][]string{recommendedFlags, nil} {
		t.Run(fmt.Sprintf("flags_%d", len(flags)), func(t *testing.T) {
			srv := startServer(t, "", flags...)
			s := openStore(t, vlremote.Options{URL: srv.url})
			t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
			ev := sample(t0, 1, 0)
			ev.Message = ""
			appendAll(t, s, []event.Event{ev})
			got, err := collect(t, s, eventstore.Query{Units: []int64{1}, From: t0, To: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]event.Event{ev}, got); diff != "" {
				t.Errorf("event without message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServerLimitsCounted(t *testing.T) {
	// With the server's default limits (1,000 fields, 256 KiB lines),
	// events beyond them are counted as invalid, not lost silently.
	srv := startServer(t, "")
	s := openStore(t, vlremote.Options{URL: srv.url})
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	many := sample(t0, 1, 0)
	for i := range 1200 {
		many.Set("f"+strconv.Itoa(i), "v")
	}
	long := sample(t0, 1, 1)
	long.Message = strings.Repeat("x", 300<<10)
	ok := sample(t0, 1, 2)
	res, err := s.Append(t.Context(), []event.Event{many, long, ok})
	if err != nil {
		t.Fatal(err)
	}
	if want := (eventstore.AppendResult{Stored: 1, Invalid: 2}); res != want {
		t.Errorf("Append = %+v, want %+v", res, want)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}

	// A long in(…) list needs -search.maxQueryLen raised: the server's
	// refusal is an invalid query, with its message.
	q := eventstore.Query{Units: []int64{1}, From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
	var list []string
	for i := range 2000 {
		list = append(list, strconv.Quote("ioc-"+strconv.Itoa(i)))
	}
	q.Expr = "user.name:in(" + strings.Join(list, ",") + ")"
	if _, err := collect(t, s, q); !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "maxQueryLen") {
		t.Errorf("long in() list: %v, want ErrInvalid naming -search.maxQueryLen", err)
	}
	// A trailing comment does not swallow the pipes the store appends.
	q.Expr, q.Order, q.Limit, q.Fields = "user.name:user2 # a comment", eventstore.Oldest, 1, []string{"user.name"}
	if got, err := collect(t, s, q); err != nil || len(got) != 1 || len(got[0].Fields) != 1 {
		t.Errorf("expression with a comment: %+v, %v; want one event with one field", got, err)
	}
}
