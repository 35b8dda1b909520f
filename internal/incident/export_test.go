package incident_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/VictoriaLogs/lib/logstorage"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/intel"
)

// Observables are normalised, unique per case, written by the roles that
// change the case, and each gives a LogsQL hunt that the engine accepts.
func TestObservablesAndPivot(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c, err := f.svc.Create(ctx, f.analyst, ransomware(f.child, f.sChild.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind        incident.ObservableKind
		value, want string
		query       string // a term the hunt must have
	}{
		{"ip", " 203.0.113.7 ", "203.0.113.7", `source.ip:in("203.0.113.7")`},
		{"domain", "EVIL.Example.", "evil.example", `dns.question.name:in("evil.example")`},
		{"sha256", strings.Repeat("AB", 32), strings.Repeat("ab", 32), `file.hash.sha256:in("` + strings.Repeat("ab", 32) + `")`},
		{incident.Account, ` CORP\admin `, `CORP\admin`, `user.name:i("CORP\\admin")`},
		{incident.Host, "FS01.corp.local", "fs01.corp.local", `host.name:i("fs01.corp.local")`},
	} {
		o, err := f.svc.AddObservable(ctx, f.analyst, c.ID, incident.Observable{Kind: tc.kind, Value: tc.value, Note: "từ ghi chú tống tiền"})
		if err != nil {
			t.Fatalf("%s %q: %v", tc.kind, tc.value, err)
		}
		if o.Value != tc.want || o.ID == 0 || o.CaseID != c.ID {
			t.Errorf("%s stored as %+v, want value %q", tc.kind, o, tc.want)
		}
		q := o.HuntQuery()
		if !strings.Contains(q, tc.query) {
			t.Errorf("%s hunt %q lacks %q", tc.kind, q, tc.query)
		}
		if _, err := logstorage.ParseQuery(q); err != nil {
			t.Errorf("%s hunt %q is not LogsQL: %v", tc.kind, q, err)
		}
		if _, err := f.svc.AddObservable(ctx, f.lead, c.ID, incident.Observable{Kind: tc.kind, Value: tc.value}); !errors.Is(err, errs.ErrConflict) {
			t.Errorf("%s twice: %v", tc.kind, err)
		}
	}
	for _, bad := range []incident.Observable{{Kind: "ip", Value: "300.1.1.1"}, {Kind: "md5", Value: "xyz"}, {Kind: "mac", Value: "aa"},
		{Kind: incident.Account, Value: ""}, {Kind: incident.Host, Value: "a\nb"}} {
		if _, err := f.svc.AddObservable(ctx, f.analyst, c.ID, bad); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}
	if _, err := f.svc.AddObservable(ctx, f.owner, c.ID, incident.Observable{Kind: "ip", Value: "198.51.100.1"}); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("the system owner adds an observable: %v", err)
	}
	list, err := f.svc.Observables(ctx, f.owner, c.ID)
	if err != nil || len(list) != 5 {
		t.Fatalf("the owner lists %d observables, %v", len(list), err)
	}
	if _, err := f.svc.Observables(ctx, f.outsider, c.ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("outsider lists: %v", err)
	}
	if err := f.svc.DeleteObservable(ctx, f.owner, c.ID, list[0].ID); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("the owner deletes: %v", err)
	}
	if err := f.svc.DeleteObservable(ctx, f.analyst, c.ID, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteObservable(ctx, f.analyst, c.ID, list[0].ID); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("deleted twice: %v", err)
	}
}

// The export: a JSON package with the evidence hashes, each item verified
// on export (and the export in its chain), and a STIX 2.1 bundle whose
// indicators Khiên's own STIX reader takes back.
func TestExport(t *testing.T) {
	f, dir := evidenceFixture(t)
	ctx := t.Context()
	c, err := f.svc.Create(ctx, f.analyst, ransomware(f.child, f.sChild.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []incident.Observable{{Kind: "ip", Value: "203.0.113.7"}, {Kind: "sha256", Value: strings.Repeat("cd", 32)},
		{Kind: incident.Account, Value: "svc_backup"}, {Kind: incident.Host, Value: "fs01"}} {
		if _, err := f.svc.AddObservable(ctx, f.analyst, c.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	good, err := f.svc.AddEvidence(ctx, f.analyst, c.ID, incident.Evidence{Name: "note.txt"}, strings.NewReader("pay 5 BTC"))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := f.svc.AddEvidence(ctx, f.analyst, c.ID, incident.Evidence{Name: "auth.log"}, strings.NewReader("Accepted password for svc_backup"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, bad.SHA256[:2], bad.SHA256), []byte("nothing"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Export(ctx, f.owner, c.ID, "Sở B"); !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("the system owner exports the evidence list: %v", err)
	}
	pkg, err := f.svc.Export(ctx, f.lead, c.ID, "Sở B")
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Format != incident.PackageFormat || pkg.Case.ID != c.ID || len(pkg.Observables) != 4 || len(pkg.Evidence) != 2 || len(pkg.Clocks) == 0 {
		t.Fatalf("package %+v", pkg)
	}
	if e := pkg.Evidence[0]; !e.Verified || e.SHA256 != good.SHA256 || e.Custody[len(e.Custody)-1].Action != incident.Exported ||
		incident.VerifyCustody(e.Custody) != -1 {
		t.Errorf("exported good item %+v", e)
	}
	if e := pkg.Evidence[1]; e.Verified || !strings.Contains(e.Problem, "does not match") || e.Custody[len(e.Custody)-1].Action != incident.Tampered {
		t.Errorf("exported altered item %+v", e)
	}
	var js bytes.Buffer
	if err := pkg.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"sha256": "`+good.SHA256+`"`) || !json.Valid(js.Bytes()) {
		t.Errorf("JSON package:\n%s", js.String())
	}

	var sx bytes.Buffer
	if err := pkg.WriteSTIX(&sx); err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Type    string
		ID      string
		Objects []map[string]any
	}
	if err := json.Unmarshal(sx.Bytes(), &bundle); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	ids := map[string]bool{}
	var incidentID string
	for _, o := range bundle.Objects {
		typ, id := o["type"].(string), o["id"].(string)
		count[typ]++
		if !strings.HasPrefix(id, typ+"--") || ids[id] {
			t.Errorf("object id %q of type %s (duplicate %v)", id, typ, ids[id])
		}
		ids[id] = true
		if o["spec_version"] != "2.1" {
			t.Errorf("%s without spec_version 2.1", id)
		}
		if typ == "incident" {
			incidentID = id
			if o["name"] != c.Title || o["x_khien_ref"] != c.Ref || len(o["x_khien_hosts"].([]any)) != 1 {
				t.Errorf("incident object %v", o)
			}
		}
	}
	for _, o := range bundle.Objects {
		if o["type"] == "relationship" && (!ids[o["source_ref"].(string)] || o["target_ref"] != incidentID) {
			t.Errorf("relationship %v does not point into the bundle at the incident", o)
		}
	}
	if bundle.Type != "bundle" || count["identity"] != 1 || count["incident"] != 1 || count["indicator"] != 2 || count["file"] != 2 ||
		count["relationship"] != 4 {
		t.Errorf("bundle objects %v", count)
	}
	batch, err := intel.ParseSTIXBundle(bytes.NewReader(sx.Bytes()), intel.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Indicators) != 2 {
		t.Errorf("the STIX reader takes back %d indicators, want 2", len(batch.Indicators))
	}
}

func TestGuessObservable(t *testing.T) {
	for value, want := range map[string]string{
		"203.0.113.7":                  "ip 203.0.113.7",
		"2001:db8::1":                  "ip 2001:db8::1",
		"198.51.100.0/24":              "cidr 198.51.100.0/24",
		strings.Repeat("A", 32):        "md5 " + strings.Repeat("a", 32),
		strings.Repeat("b", 40):        "sha1 " + strings.Repeat("b", 40),
		strings.Repeat("c", 64):        "sha256 " + strings.Repeat("c", 64),
		"Evil@Example.VN":              "email evil@example.vn",
		"http://evil.example/pay.html": "url http://evil.example/pay.html",
		"C2.Evil.Example":              "domain c2.evil.example",
		"not a value":                  "",
		"mimikatz.exe":                 "domain mimikatz.exe", // a file name reads as a domain: its type is lost without its indicator
	} {
		o, ok := incident.GuessObservable(value)
		got := ""
		if ok {
			got = string(o.Kind) + " " + o.Value
		}
		if got != want {
			t.Errorf("GuessObservable(%q) = %q, want %q", value, got, want)
		}
	}
}
