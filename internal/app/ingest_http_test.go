package app_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/config"
)

const testIngestToken = "app-test-ingest-token-0123456789"

// The HTTP receivers authenticate senders by token in every form the
// shippers use, and each listener counts its own events.
func TestIngestReceiversAndTokens(t *testing.T) {
	a := startApp(t, func(c *config.Config) {
		c.Ingest.HTTP = "127.0.0.1:0"
		c.Ingest.InsecureHTTP = true
		c.Ingest.Tokens = config.Secret("beats@ORG=" + testIngestToken)
		c.Ingest.JSONLinesTCP = "127.0.0.1:0"
		c.Ingest.FlushInterval = config.Duration(100 * time.Millisecond)
	})
	in := a.srv.Ingest()
	addr, tls := in.HTTPAddr()
	if addr == "" || tls {
		t.Fatalf("HTTP receivers on %q (tls %v)", addr, tls)
	}
	base := "http://" + addr
	post := func(path, body string, set func(*http.Request)) int {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		set(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	hec := `{"event":"login failed","host":"hec01","time":` + fmt.Sprint(time.Now().Unix()) + `}`
	if code := post("/services/collector/event", hec, func(r *http.Request) { r.Header.Set("Authorization", "Splunk "+testIngestToken) }); code != http.StatusOK {
		t.Errorf("HEC with the token: %d", code)
	}
	if code := post("/services/collector/event", hec, func(r *http.Request) { r.Header.Set("Authorization", "Splunk wrong-token-0123456789") }); code == http.StatusOK {
		t.Errorf("HEC with a wrong token accepted")
	}
	bulk := `{"index":{"_index":"winlogbeat"}}` + "\n" + `{"@timestamp":"` + time.Now().UTC().Format(time.RFC3339) + `","message":"x","host":{"name":"ws01"}}` + "\n"
	setBulk := func(r *http.Request) {
		r.SetBasicAuth("winlogbeat", testIngestToken)
		r.Header.Set("Content-Type", "application/x-ndjson")
	}
	if code := post("/_bulk", bulk, setBulk); code != http.StatusOK {
		t.Errorf("_bulk with Basic auth: %d", code)
	}
	if code := post("/_bulk", bulk, func(r *http.Request) { r.Header.Set("Content-Type", "application/x-ndjson") }); code != http.StatusUnauthorized {
		t.Errorf("_bulk without credentials: %d, want 401", code)
	}
	var tcpAddr string
	for _, r := range in.Receivers() {
		if r.Name == "jsonl-tcp" {
			tcpAddr = r.Addr
		}
	}
	c, err := net.Dial("tcp", tcpAddr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, `{"message":"over tcp","host":{"name":"tcp01"}}`+"\n")
	c.Close()
	waitUntil(t, "three events stored", func() bool { return in.Status().Stored == 3 })
	got := map[string]uint64{}
	for _, r := range in.Receivers() {
		got[r.Name] = r.Received
	}
	if got["hec"] != 1 || got["bulk"] != 1 || got["jsonl-tcp"] != 1 || got["jsonl-http"] != 0 {
		t.Errorf("received per listener = %v", got)
	}
	// The token's unit (ORG, the top-level unit) is the events' unit.
	for _, s := range in.Sources() {
		if s.UnitID != in.DefaultUnit() {
			t.Errorf("source %+v not in the token's unit %d", s.Key, in.DefaultUnit())
		}
	}
}
