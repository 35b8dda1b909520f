package app_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/intel"
)

const testBundle = `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z",
 "name":"Brute-force source","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z","confidence":80,
 "object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
{"type":"indicator","spec_version":"2.1","id":"indicator--0f4b1c1e-2d6a-4a3e-9d7a-3c1e2b4d5f60","created":"2026-11-01T00:00:00Z","modified":"2026-11-01T00:00:00Z",
 "pattern":"[domain-name:value = 'c2.bad.example']","pattern_type":"stix","valid_from":"2026-11-01T00:00:00Z"}]}`

// Indicators imported from a STIX bundle are matched live against every
// ingested event of their unit: the event is tagged, an alert is raised and
// a sighting kept.
func TestLiveIOCMatching(t *testing.T) {
	a := startIngestApp(t)
	ctx := context.Background()
	in := a.srv.Ingest()
	root := in.DefaultUnit()
	res, err := a.core.Intel.Import(ctx, authz.System(), intel.FormatAuto, strings.NewReader(testBundle),
		intel.ImportOptions{UnitID: root, Source: "VNCERT feed"})
	if err != nil || res.Format != intel.FormatSTIX || res.Inserted != 2 {
		t.Fatalf("import: %+v %v", res, err)
	}
	// Importing again merges.
	if res, err := a.core.Intel.Import(ctx, authz.System(), intel.FormatAuto, strings.NewReader(testBundle),
		intel.ImportOptions{UnitID: root, Source: "VNCERT feed"}); err != nil || res.Inserted != 0 || res.Updated != 2 {
		t.Fatalf("second import: %+v %v", res, err)
	}
	sendSyslog(t, a, "bastion.example.vn",
		"Failed password for root from 198.51.100.7 port 50000 ssh2",
		"Accepted password for lan.nguyen from 10.0.0.7 port 40022 ssh2")
	var ioc []alert.Alert
	waitUntil(t, "the IOC alert", func() bool {
		list, err := a.core.Alerts.List(ctx, authz.System(), alert.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		ioc = ioc[:0]
		for _, al := range list {
			if strings.HasPrefix(al.RuleID, "ioc-") {
				ioc = append(ioc, al)
			}
		}
		return len(ioc) == 1
	})
	if al := ioc[0]; al.RuleTitle != "IOC: ip 198.51.100.7 (Brute-force source)" || al.Severity != alert.High || al.Count != 1 {
		t.Errorf("IOC alert %+v", al)
	}
	waitUntil(t, "the events stored", func() bool { return in.Status().Stored == 2 && in.Status().BacklogBytes == 0 })
	n := 0
	err = in.Store.Query(ctx, eventstore.Query{Units: []int64{root}, From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Minute),
		Expr: app.FieldIOC + `:~"."`}, func(e event.Event) error {
		n++
		if !strings.Contains(e.Message, "198.51.100.7") {
			t.Errorf("tagged event %q", e.Message)
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("tagged events: %d, %v", n, err)
	}
	inds, err := a.core.Intel.List(ctx, authz.System(), intel.Filter{Type: intel.IP})
	if err != nil || len(inds) != 1 {
		t.Fatalf("indicators %v %v", inds, err)
	}
	sg, err := a.core.Backend.ListSightings(ctx, inds[0].ID, 10)
	if err != nil || len(sg) != 1 || sg[0].Count != 1 || sg[0].Field != "source.ip" || sg[0].Host != "bastion.example.vn" {
		t.Errorf("sightings %+v %v", sg, err)
	}
}

// The indicators page: an analyst imports a plain list from the form, sees
// the indicators and deletes one; a system owner may see but not import.
func TestIntelPage(t *testing.T) {
	a := startIngestApp(t)
	root := a.srv.Ingest().DefaultUnit()
	a.mkUser("intel.analyst", authz.RoleAnalyst, root)
	a.mkUser("intel.owner", authz.RoleSystemOwner, root)
	upload := func(b *browser, content string) apiResponse {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "iocs.txt")
		fw.Write([]byte(content))
		for k, v := range map[string]string{"format": "auto", "unit_id": strconv.FormatInt(root, 10), "source": "Cảnh báo 123/CSO", "tlp": "green", "confidence": "70"} {
			mw.WriteField(k, v)
		}
		mw.Close()
		req, _ := http.NewRequest("POST", a.url+"/intel/import", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", a.url)
		req.Header.Set("Accept-Language", "en")
		return b.do(req)
	}
	an := a.browser()
	an.login("intel.analyst", testPassword)
	r := upload(an, "# from the warning\n203.0.113.99\nc2[.]bad[.]example\nnot a value at all\n")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "Imported (csv): 2 new, 0 updated, 1 skipped.") ||
		!strings.Contains(string(r.body), "203.0.113.99") || !strings.Contains(string(r.body), "TLP:green") {
		t.Fatalf("import: %d\n%s", r.status, r.body)
	}
	ow := a.browser()
	ow.login("intel.owner", testPassword)
	if r := ow.get("/intel"); r.status != http.StatusOK || !strings.Contains(string(r.body), "c2.bad.example") || strings.Contains(string(r.body), `id="intel-form"`) {
		t.Errorf("owner's view: %d", r.status)
	}
	if r := upload(ow, "198.51.100.1\n"); r.status != http.StatusForbidden {
		t.Errorf("owner imports: %d", r.status)
	}
	inds, _ := a.core.Intel.List(context.Background(), authz.System(), intel.Filter{Type: intel.IP})
	if len(inds) != 1 {
		t.Fatalf("indicators %v", inds)
	}
	// Sharing: a STIX bundle with the sighting, bounded by the TLP chosen.
	now := time.Now().UTC()
	if err := a.core.Intel.RecordSighting(context.Background(), &intel.Sighting{IndicatorID: inds[0].ID, UnitID: root, Field: "source.ip",
		Value: "203.0.113.99", Host: "web01", FirstSeen: now.Add(-time.Hour), LastSeen: now, Count: 3}); err != nil {
		t.Fatal(err)
	}
	if r := an.get("/intel"); !strings.Contains(string(r.body), `id="intel-share"`) {
		t.Errorf("the analyst's page has no share form")
	}
	r = an.get("/intel/share?format=stix&max_tlp=green")
	if body := string(r.body); r.status != http.StatusOK || !strings.Contains(body, `"type": "sighting"`) && !strings.Contains(body, `"type":"sighting"`) ||
		!strings.Contains(body, "203.0.113.99") || strings.Contains(body, "web01") || !strings.Contains(r.header.Get("Content-Disposition"), "stix") {
		t.Errorf("share stix: %d %s\n%s", r.status, r.header, body)
	}
	if r := an.get("/intel/share?format=misp&max_tlp=clear"); r.status != http.StatusOK || strings.Contains(string(r.body), "203.0.113.99") {
		t.Errorf("share misp, TLP:CLEAR only: %d\n%s", r.status, r.body)
	}
	if r := an.get("/intel/share?format=xml&max_tlp=green"); r.status != http.StatusBadRequest {
		t.Errorf("share xml: %d", r.status)
	}
	if r := ow.get("/intel/share?format=stix&max_tlp=green"); r.status != http.StatusForbidden || strings.Contains(string(r.body), "203.0.113.99") {
		t.Errorf("owner shares: %d", r.status)
	}
	if entries, err := a.core.Backend.ListAudit(context.Background(), auditFilterAll("intel.share")); err != nil || len(entries) != 2 {
		t.Errorf("audit of sharing: %d entries, %v", len(entries), err)
	}
	if r := ow.post("/intel/"+strconv.FormatInt(inds[0].ID, 10)+"/delete", nil); r.status != http.StatusForbidden {
		t.Errorf("owner deletes: %d", r.status)
	}
	if r := an.post("/intel/"+strconv.FormatInt(inds[0].ID, 10)+"/delete", nil); r.status != http.StatusSeeOther {
		t.Errorf("analyst deletes: %d", r.status)
	}
	if n, _ := a.core.Intel.Count(context.Background(), authz.System(), intel.Filter{}); n != 1 {
		t.Errorf("%d indicators left, want 1", n)
	}
}
