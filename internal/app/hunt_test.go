package app_test

import (
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"khien.vn/khien/internal/authz"
)

// The hunt page runs LogsQL over the user's units: results, histogram,
// fields whose values add filters, exports, and a syntax error that says
// where the query is wrong.
func TestHuntPage(t *testing.T) {
	a := startIngestApp(t)
	in := a.srv.Ingest()
	root := in.DefaultUnit()
	other := a.mkUnit(root, "OTHER")
	a.mkUser("hunter", authz.RoleAnalyst, root)
	a.mkUser("hunter.other", authz.RoleAnalyst, other.ID)
	a.mkUser("hunt.viewer", authz.RoleViewer, root)
	sendSyslog(t, a, "bastion.example.vn",
		"Failed password for root from 198.51.100.7 port 50000 ssh2",
		"Failed password for admin from 198.51.100.7 port 50001 ssh2",
		"Accepted password for lan.nguyen from 10.0.0.7 port 40022 ssh2")
	waitUntil(t, "the events stored", func() bool { return in.Status().Stored == 3 && in.Status().BacklogBytes == 0 })

	b := a.browser()
	b.login("hunter", testPassword)
	r := b.get("/hunt?" + url.Values{"q": {`"Failed password"`}, "range": {"1h"}}.Encode())
	body := string(r.body)
	if r.status != http.StatusOK || strings.Count(body, "Failed password for") < 2 || strings.Contains(body, "Accepted password") ||
		!strings.Contains(body, `id="hunt-histogram"`) || !strings.Contains(body, "2 events shown") {
		t.Fatalf("hunt page: %d\n%s", r.status, body)
	}
	// A value of the field list adds an exact filter to the query.
	want := url.Values{"q": {`("Failed password") user.name:="admin"`}, "range": {"1h"}}.Encode()
	if !strings.Contains(html.UnescapeString(body), want) {
		t.Errorf("no link adding user.name:=\"admin\" (%s) in\n%s", want, body)
	}
	r = b.get("/hunt?" + want)
	if !strings.Contains(string(r.body), "1 events shown") {
		t.Errorf("filtered hunt:\n%s", r.body)
	}
	// Syntax errors point at the position.
	r = b.get("/hunt?" + url.Values{"q": {`user.name:="root" and (`}}.Encode())
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "not valid at character 23") {
		t.Errorf("syntax error: %d\n%s", r.status, r.body)
	}
	// CSV export of the same hunt.
	r = b.get("/hunt/export?" + url.Values{"q": {`"Failed password"`}, "range": {"1h"}, "format": {"csv"}, "fields": {"user.name,source.ip"}}.Encode())
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if r.status != http.StatusOK || err != nil || len(rows) != 3 || rows[0][2] != "user.name" || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("export: %d %v %v", r.status, rows, err)
	}
	// Another unit's analyst finds nothing; a viewer may not hunt.
	o := a.browser()
	o.login("hunter.other", testPassword)
	if r := o.get("/hunt?q=*&range=1h"); r.status != http.StatusOK || strings.Contains(string(r.body), "bastion.example.vn") {
		t.Errorf("another unit's analyst: %d, sees the events: %v", r.status, strings.Contains(string(r.body), "bastion.example.vn"))
	}
	v := a.browser()
	v.login("hunt.viewer", testPassword)
	if r := v.get("/hunt?q=*"); r.status != http.StatusForbidden {
		t.Errorf("viewer: %d", r.status)
	}
}
