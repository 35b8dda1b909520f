package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/i18n"
	"khien.vn/khien/internal/incident"
)

// caseObservableFor returns a new case of unit A (in) or B with one
// observable.
func (f *authzFixture) caseObservableFor(in bool) (caseID, observableID int64) {
	caseID = f.caseFor(in)
	o, err := f.app.core.Incidents.AddObservable(context.Background(), authz.System(), caseID,
		incident.Observable{Kind: incident.ObservableKind("domain"), Value: fmt.Sprintf("c2-%d.example.net", caseID)})
	if err != nil {
		f.app.t.Fatal(err)
	}
	return caseID, o.ID
}

// observableOut is an observable as the API returns it.
type observableOut struct {
	ID        int64
	Kind      string
	Value     string
	Note      string
	HuntQuery string `json:"hunt_query"`
}

// errorOut is the API's error envelope.
type errorOut struct {
	Error struct{ Kind, Message, Field, ID string }
}

// newObservableCase opens a case in unit as the system.
func newObservableCase(t *testing.T, a *testApp, unitID int64, title string, detected time.Time) incident.Case {
	t.Helper()
	c, err := a.core.Incidents.Create(context.Background(), authz.System(), incident.Case{UnitID: unitID, Title: title,
		Category: incident.Intrusion, Severity: incident.High, DetectedAt: detected})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Observables through the API: added with their values normalised, listed
// with their hunt queries, a duplicate refused (409), a bad value refused
// with a message naming the kind (400), removed; a system owner of the
// unit lists them but may neither add nor remove one.
func TestIncidentObservablesAPI(t *testing.T) {
	a := startApp(t, nil)
	root := a.srv.Ingest().DefaultUnit()
	a.mkUser("obs.analyst", authz.RoleAnalyst, root)
	a.mkUser("obs.owner", authz.RoleSystemOwner, root)
	analyst, owner := a.token("obs.analyst"), a.token("obs.owner")
	c := newObservableCase(t, a, root, "Máy trạm kết nối máy chủ điều khiển", time.Now().Add(-2*time.Hour))
	path := "/api/v1/incidents/" + itoa(c.ID) + "/observables"

	for _, tc := range []struct{ kind, value, want string }{
		{"ip", " 203.0.113.7 ", "203.0.113.7"},
		{"domain", "C2.Example.COM.", "c2.example.com"},
		{"sha256", strings.Repeat("AB", 32), strings.Repeat("ab", 32)},
		{"host", " WS-Ketoan-01 ", "ws-ketoan-01"},
		{"account", ` CORP\lan.nguyen `, `CORP\lan.nguyen`},
	} {
		r := a.api("POST", path, analyst, map[string]any{"kind": tc.kind, "value": tc.value, "note": "thấy trong nhật ký tường lửa"})
		if r.status != http.StatusCreated {
			t.Fatalf("add %s %q: %d %s", tc.kind, tc.value, r.status, r.body)
		}
		var o observableOut
		r.json(t, &o)
		if o.ID == 0 || o.Kind != tc.kind || o.Value != tc.want || o.Note != "thấy trong nhật ký tường lửa" || o.HuntQuery == "" {
			t.Errorf("added %s %q: %+v, want the value %q", tc.kind, tc.value, o, tc.want)
		}
	}

	// The same kind and value again, however written: a conflict.
	r := a.api("POST", path, analyst, map[string]any{"kind": "domain", "value": "c2.example.com"})
	var e errorOut
	if r.status != http.StatusConflict {
		t.Fatalf("duplicate: %d %s", r.status, r.body)
	}
	r.json(t, &e)
	cat := i18n.MustLoad()
	if e.Error.Message != cat.T("vi", "err.incident_observable_duplicate") && e.Error.Message != cat.T("en", "err.incident_observable_duplicate") {
		t.Errorf("duplicate: message %q", e.Error.Message)
	}
	// A bad value: 400, naming the field and the kind.
	r = a.api("POST", path, analyst, map[string]any{"kind": "ip", "value": "999.1.1.1"})
	e = errorOut{}
	if r.status != http.StatusBadRequest {
		t.Fatalf("bad IP: %d %s", r.status, r.body)
	}
	r.json(t, &e)
	if e.Error.Field != "value" || (e.Error.Message != cat.T("vi", "err.incident_observable", "ip") && e.Error.Message != cat.T("en", "err.incident_observable", "ip")) {
		t.Errorf("bad IP: %+v", e.Error)
	}
	if r := a.api("POST", path, analyst, map[string]any{"kind": "registry_key", "value": `HKLM\Run`}); r.status != http.StatusBadRequest {
		t.Errorf("unknown kind: %d %s", r.status, r.body)
	}

	// Listed by id, each with its hunt; an account is looked for in the
	// account fields, case-insensitively.
	var list struct{ Items []observableOut }
	r = a.api("GET", path, analyst, nil)
	if r.status != http.StatusOK {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	r.json(t, &list)
	if len(list.Items) != 5 || list.Items[0].Value != "203.0.113.7" || list.Items[4].Kind != "account" ||
		!strings.Contains(list.Items[4].HuntQuery, `user.name:i("CORP\\lan.nguyen")`) {
		t.Fatalf("list: %+v", list.Items)
	}
	for _, o := range list.Items {
		want := incident.Observable{Kind: incident.ObservableKind(o.Kind), Value: o.Value}.HuntQuery()
		if o.HuntQuery != want {
			t.Errorf("%s %s: hunt %q, want %q", o.Kind, o.Value, o.HuntQuery, want)
		}
	}

	// A system owner reads them but changes nothing.
	if r := a.api("GET", path, owner, nil); r.status != http.StatusOK || !strings.Contains(string(r.body), "203.0.113.7") {
		t.Errorf("owner list: %d %s", r.status, r.body)
	}
	if r := a.api("POST", path, owner, map[string]any{"kind": "ip", "value": "198.51.100.1"}); r.status != http.StatusForbidden {
		t.Errorf("owner add: %d %s", r.status, r.body)
	}
	first := path + "/" + itoa(list.Items[0].ID)
	if r := a.api("DELETE", first, owner, nil); r.status != http.StatusForbidden {
		t.Errorf("owner delete: %d %s", r.status, r.body)
	}

	// Removed by the analyst, once.
	if r := a.api("DELETE", first, analyst, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := a.api("DELETE", first, analyst, nil); r.status != http.StatusNotFound {
		t.Errorf("delete again: %d %s", r.status, r.body)
	}
	if r := a.api("DELETE", path+"/abc", analyst, nil); r.status != http.StatusBadRequest {
		t.Errorf("delete a bad id: %d %s", r.status, r.body)
	}
	list.Items = nil
	a.api("GET", path, analyst, nil).json(t, &list)
	if len(list.Items) != 4 || list.Items[0].Kind != "domain" {
		t.Errorf("after the delete: %+v", list.Items)
	}
	// The timeline keeps the additions.
	timeline, err := a.core.Incidents.Timeline(context.Background(), authz.System(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range timeline {
		if e.Kind == incident.EntryObservable {
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d observable entries in the timeline, want 5", n)
	}
}

// The observables on the case page: each with a hunt link over the case's
// time carrying its query, which the hunt page runs; added and removed
// through the forms, a bad value shown again with its error; a system
// owner sees them without the forms.
func TestIncidentObservablesPage(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	a.mkUser("obsp.analyst", authz.RoleAnalyst, root)
	a.mkUser("obsp.owner", authz.RoleSystemOwner, root)
	detected := time.Now().Add(-3 * time.Hour)
	c := newObservableCase(t, a, root, "Đăng nhập bất thường", detected)
	o, err := a.core.Incidents.AddObservable(ctx, authz.System(), c.ID, incident.Observable{Kind: "account", Value: `CORP\kế.toán`, Note: "tài khoản bị lộ"})
	if err != nil {
		t.Fatal(err)
	}
	casePath := "/incidents/" + itoa(c.ID)

	analyst := a.browser()
	analyst.login("obsp.analyst", testPassword)
	body := string(analyst.get(casePath).body)
	row := regexp.MustCompile(`(?s)<tr id="observable-` + itoa(o.ID) + `" data-kind="account">.*?</tr>`).FindString(body)
	if row == "" || !strings.Contains(row, "<code>CORP\\kế.toán</code>") || !strings.Contains(row, "Account") ||
		!strings.Contains(row, "tài khoản bị lộ") || !strings.Contains(row, `id="observable-delete-`+itoa(o.ID)+`"`) {
		t.Fatalf("the case page's observable row:\n%s\n%s", row, body)
	}
	if !strings.Contains(body, `id="observable-add"`) || !strings.Contains(body, `<option value="file_name" >File name</option>`) {
		t.Errorf("no add form with the kinds' names")
	}
	// The hunt link: the query url-escaped, from a day before detection.
	m := regexp.MustCompile(`<a href="([^"]+)" class="hunt-link" id="observable-hunt-` + itoa(o.ID) + `">Hunt</a>`).FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("no hunt link in %s", row)
	}
	link := html.UnescapeString(m[1])
	query := o.HuntQuery()
	if !strings.HasPrefix(link, "/hunt?") || !strings.Contains(link, "q="+url.QueryEscape(query)) {
		t.Fatalf("hunt link %q does not carry %q escaped", link, query)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	from, err := time.ParseInLocation("2006-01-02T15:04", u.Query().Get("from"), incident.Vietnam)
	if want := detected.Add(-24 * time.Hour).Truncate(time.Minute); err != nil || !from.Equal(want) || u.Query().Get("q") != query {
		t.Errorf("hunt link %q: from %v (%v), want %v", link, from, err, want)
	}
	if r := analyst.get(link); r.status != http.StatusOK || !strings.Contains(string(r.body), "winlog.event_data.TargetUserName") {
		t.Errorf("the hunt link: %d\n%s", r.status, r.body)
	}

	// A bad value: the page again, with the error and what was typed.
	r := analyst.post(casePath+"/observables", url.Values{"kind": {"ip"}, "value": {"10.0.0.999"}, "note": {"máy chủ C2"}})
	body = string(r.body)
	if r.status != http.StatusBadRequest || !strings.Contains(body, "Value: This is not a valid ip value.") ||
		!strings.Contains(body, `value="10.0.0.999"`) || !strings.Contains(body, `value="máy chủ C2"`) ||
		!strings.Contains(body, `<option value="ip" selected>`) || !regexp.MustCompile(`<details id="observable-add-panel" open>`).MatchString(body) {
		t.Fatalf("bad value: %d\n%s", r.status, body)
	}
	r = analyst.post(casePath+"/observables", url.Values{"kind": {"ip"}, "value": {"10.0.0.99"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != casePath+"#observables" {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	if body := string(analyst.get(casePath).body); !strings.Contains(body, "Observable added.") || !strings.Contains(body, "<code>10.0.0.99</code>") {
		t.Errorf("no flash or row after the add")
	}
	r = analyst.post(casePath+"/observables", url.Values{"kind": {"ip"}, "value": {" 10.0.0.99"}})
	if r.status != http.StatusConflict || !strings.Contains(string(r.body), "The case already has this observable.") {
		t.Errorf("duplicate: %d\n%s", r.status, r.body)
	}
	list, err := a.core.Incidents.Observables(ctx, authz.System(), c.ID)
	if err != nil || len(list) != 2 || list[1].Value != "10.0.0.99" {
		t.Fatalf("after the add: %+v %v", list, err)
	}

	// The system owner: the observables and their hunts, no forms, no export.
	owner := a.browser()
	owner.login("obsp.owner", testPassword)
	body = string(owner.get(casePath).body)
	if !strings.Contains(body, `id="observables"`) || !strings.Contains(body, "<code>10.0.0.99</code>") ||
		!strings.Contains(body, `id="observable-hunt-`+itoa(o.ID)+`"`) || strings.Contains(body, `id="observable-add"`) ||
		strings.Contains(body, `id="observable-delete-`) || strings.Contains(body, `id="incident-export"`) {
		t.Errorf("the owner's case page:\n%s", body)
	}
	if r := owner.post(casePath+"/observables/"+itoa(list[1].ID)+"/delete", nil); r.status != http.StatusForbidden {
		t.Errorf("owner delete: %d", r.status)
	}

	// Removed by the analyst.
	if r := analyst.post(casePath+"/observables/"+itoa(list[1].ID)+"/delete", nil); r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := analyst.post(casePath+"/observables/"+itoa(list[1].ID)+"/delete", nil); r.status != http.StatusNotFound {
		t.Errorf("delete again: %d", r.status)
	}
	if list, _ := a.core.Incidents.Observables(ctx, authz.System(), c.ID); len(list) != 1 {
		t.Errorf("after the delete: %+v", list)
	}
}

// The export of a case through the API and the case page's links, as an
// analyst: the JSON package with the evidence's SHA-256 verified, the
// STIX bundle with the incident and its indicator. A system owner may
// not export.
func TestIncidentExport(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	a.mkUser("exp.analyst", authz.RoleAnalyst, root)
	a.mkUser("exp.owner", authz.RoleSystemOwner, root)
	analystTok, ownerTok := a.token("exp.analyst"), a.token("exp.owner")
	c := newObservableCase(t, a, root, "Rò rỉ dữ liệu khách hàng", time.Now().Add(-time.Hour))
	e, err := a.core.Incidents.AddEvidence(ctx, authz.System(), c.ID, incident.Evidence{Name: "access.log"},
		strings.NewReader("GET /export?all=1 HTTP/1.1 200 1048576\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.core.Incidents.AddObservable(ctx, authz.System(), c.ID, incident.Observable{Kind: "ip", Value: "198.51.100.23"}); err != nil {
		t.Fatal(err)
	}
	apiPath := "/api/v1/incidents/" + itoa(c.ID) + "/export"

	checkJSON := func(name string, r apiResponse) {
		t.Helper()
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") ||
			!strings.Contains(r.header.Get("Content-Disposition"), c.Ref+".json") {
			t.Fatalf("%s: %d %v %s", name, r.status, r.header, r.body)
		}
		var pkg struct {
			Format   string
			Case     struct{ ID int64 }
			Evidence []struct {
				SHA256   string
				Verified bool
			}
			Observables []struct{ Value string }
		}
		r.json(t, &pkg)
		if pkg.Format != incident.PackageFormat || pkg.Case.ID != c.ID || len(pkg.Evidence) != 1 || pkg.Evidence[0].SHA256 != e.SHA256 ||
			!pkg.Evidence[0].Verified || len(pkg.Observables) != 1 || pkg.Observables[0].Value != "198.51.100.23" {
			t.Errorf("%s: %s", name, r.body)
		}
	}
	checkSTIX := func(name string, r apiResponse) {
		t.Helper()
		if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Disposition"), c.Ref+".stix.json") {
			t.Fatalf("%s: %d %v %s", name, r.status, r.header, r.body)
		}
		var b struct {
			Type    string
			Objects []map[string]any
		}
		if err := json.Unmarshal(r.body, &b); err != nil {
			t.Fatalf("%s: not JSON: %v", name, err)
		}
		types := map[string]int{}
		for _, o := range b.Objects {
			types[fmt.Sprint(o["type"])]++
		}
		if b.Type != "bundle" || types["incident"] != 1 || types["indicator"] != 1 || types["file"] != 1 || types["identity"] != 1 {
			t.Errorf("%s: bundle %s with %v", name, b.Type, types)
		}
		if !strings.Contains(string(r.body), e.SHA256) || !strings.Contains(string(r.body), "[ipv4-addr:value = '198.51.100.23']") {
			t.Errorf("%s: %s", name, r.body)
		}
	}
	checkJSON("API JSON", a.api("GET", apiPath, analystTok, nil))
	checkJSON("API ?format=json", a.api("GET", apiPath+"?format=json", analystTok, nil))
	checkSTIX("API STIX", a.api("GET", apiPath+"?format=stix", analystTok, nil))
	if r := a.api("GET", apiPath+"?format=xml", analystTok, nil); r.status != http.StatusBadRequest {
		t.Errorf("unknown format: %d %s", r.status, r.body)
	}
	if r := a.api("GET", apiPath, ownerTok, nil); r.status != http.StatusForbidden {
		t.Errorf("owner API export: %d %s", r.status, r.body)
	}

	// The case page links both; they download the same.
	analyst := a.browser()
	analyst.login("exp.analyst", testPassword)
	casePath := "/incidents/" + itoa(c.ID)
	body := string(analyst.get(casePath).body)
	if !strings.Contains(body, `id="incident-export"`) || !strings.Contains(body, `href="`+casePath+`/export?format=json" id="incident-export-json"`) ||
		!strings.Contains(body, `href="`+casePath+`/export?format=stix" id="incident-export-stix"`) {
		t.Fatalf("no export links on the case page:\n%s", body)
	}
	checkJSON("UI JSON", analyst.get(casePath+"/export?format=json"))
	checkSTIX("UI STIX", analyst.get(casePath+"/export?format=stix"))

	owner := a.browser()
	owner.login("exp.owner", testPassword)
	if r := owner.get(casePath + "/export?format=json"); r.status != http.StatusForbidden || strings.Contains(string(r.body), e.SHA256) {
		t.Errorf("owner UI export: %d", r.status)
	}
	// Each export is in the item's chain of custody.
	view, err := a.core.Incidents.GetEvidence(ctx, authz.System(), c.ID, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	exported := 0
	for _, k := range view.Custody {
		if k.Action == incident.Exported {
			exported++
		}
	}
	if exported != 5 {
		t.Errorf("%d exports in the chain of custody, want 5", exported)
	}
}

// metricsOut is the metrics API's answer.
type metricsOut struct {
	Overall metricsJSON
	Groups  []struct {
		Key     string
		Metrics metricsJSON
	}
}

type metricsJSON struct {
	MTTD, MTTA, MTTR struct {
		Count        int
		Mean, Median time.Duration
		P90          time.Duration
	}
	Cases, Open int
	OpenByClock map[string]int `json:"open_by_clock"`
}

// Response metrics over two cases of a unit — one acknowledged, one
// recovered — through the API and the page; a user of another unit sees
// none of them.
func TestIncidentMetrics(t *testing.T) {
	a := startApp(t, nil)
	ctx := context.Background()
	root := a.srv.Ingest().DefaultUnit()
	other := a.mkUnit(root, "KHAC").ID
	a.mkUser("met.analyst", authz.RoleAnalyst, root)
	a.mkUser("met.other", authz.RoleAnalyst, other)
	a.mkUser("met.viewer", authz.RoleViewer, root)
	tok, otherTok := a.token("met.analyst"), a.token("met.other")

	acked := newObservableCase(t, a, root, "Quét cổng từ bên ngoài", time.Now().Add(-3*time.Hour))
	if _, err := a.core.Incidents.Transition(ctx, authz.System(), acked.ID, incident.Triage, "đang xem xét"); err != nil {
		t.Fatal(err)
	}
	recovered, err := a.core.Incidents.Create(ctx, authz.System(), incident.Case{UnitID: root, Title: "Mã độc tống tiền",
		Category: incident.Ransomware, Severity: incident.Critical, DetectedAt: time.Now().Add(-5 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []incident.Status{incident.Triage, incident.Contained, incident.Recovered} {
		if _, err := a.core.Incidents.Transition(ctx, authz.System(), recovered.ID, s, ""); err != nil {
			t.Fatal(err)
		}
	}

	var m metricsOut
	r := a.api("GET", "/api/v1/incident-metrics", tok, nil)
	if r.status != http.StatusOK {
		t.Fatalf("metrics: %d %s", r.status, r.body)
	}
	r.json(t, &m)
	o := m.Overall
	near := func(d, want time.Duration) bool { return d >= want && d < want+time.Minute }
	if o.Cases != 2 || o.Open != 2 || o.MTTD.Count != 0 || o.MTTA.Count != 2 || !near(o.MTTA.Mean, 4*time.Hour) ||
		!near(o.MTTA.Median, 3*time.Hour) || !near(o.MTTA.P90, 5*time.Hour) || o.MTTR.Count != 1 || !near(o.MTTR.Mean, 5*time.Hour) {
		t.Errorf("overall: %+v", o)
	}
	if len(m.Groups) != 1 || m.Groups[0].Key != itoa(root) || m.Groups[0].Metrics.Cases != 2 {
		t.Errorf("groups by unit: %+v", m.Groups)
	}
	m = metricsOut{}
	a.api("GET", "/api/v1/incident-metrics?group=category&closed=0", tok, nil).json(t, &m)
	if len(m.Groups) != 2 || m.Groups[0].Key != "intrusion" || m.Groups[1].Key != "ransomware" || m.Groups[1].Metrics.MTTR.Count != 1 {
		t.Errorf("groups by category: %+v", m.Groups)
	}
	for q, want := range map[string]int{
		"closed=1": 0,
		"from=" + time.Now().In(incident.Vietnam).AddDate(0, 0, 1).Format(time.DateOnly): 0,
		"from=" + time.Now().Add(-4*time.Hour).UTC().Format(time.RFC3339):                1,
		"to=" + time.Now().In(incident.Vietnam).Format(time.DateOnly):                    2,
		"unit=" + itoa(other): 0,
	} {
		m = metricsOut{}
		r := a.api("GET", "/api/v1/incident-metrics?"+q, tok, nil)
		if r.status != http.StatusOK {
			t.Errorf("%s: %d %s", q, r.status, r.body)
			continue
		}
		r.json(t, &m)
		if m.Overall.Cases != want {
			t.Errorf("%s: %d cases, want %d", q, m.Overall.Cases, want)
		}
	}
	for _, q := range []string{"group=owner", "from=2026-13-01", "from=2026-05-02&to=2026-05-01", "unit=x", "closed=yes"} {
		if r := a.api("GET", "/api/v1/incident-metrics?"+q, tok, nil); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	// The other unit's user: none of the cases, and not the parent unit.
	m = metricsOut{}
	a.api("GET", "/api/v1/incident-metrics", otherTok, nil).json(t, &m)
	if m.Overall.Cases != 0 || len(m.Groups) != 0 {
		t.Errorf("another unit's metrics: %+v", m)
	}
	if r := a.api("GET", "/api/v1/incident-metrics?unit="+itoa(root), otherTok, nil); r.status != http.StatusForbidden {
		t.Errorf("another unit's user asking for the parent: %d %s", r.status, r.body)
	}

	// The page: linked from the list, the MTTA in words, the unit's row.
	b := a.browser()
	b.login("met.analyst", testPassword)
	if body := string(b.get("/incidents").body); !strings.Contains(body, `<a href="/incidents/metrics" id="incident-metrics-link">`) {
		t.Errorf("the list does not link the metrics")
	}
	r = b.get("/incidents/metrics")
	body := string(r.body)
	mtta := regexp.MustCompile(`(?s)<tr id="metrics-mtta">.*?</tr>`).FindString(body)
	if r.status != http.StatusOK || !regexp.MustCompile(`<td>2</td><td class="metric-mean">4 h</td><td>3 h</td><td>5 h</td>`).MatchString(mtta) ||
		!strings.Contains(body, "2 cases, 2 of them open.") || !strings.Contains(body, `id="metrics-group-`+itoa(root)+`"`) {
		t.Fatalf("metrics page: %d\nMTTA row: %s\n%s", r.status, mtta, body)
	}
	body = string(b.get("/incidents/metrics?group=category").body)
	if !strings.Contains(body, `<tr id="metrics-group-ransomware"><td class="words group-name">ransomware</td>`) {
		t.Errorf("by category:\n%s", body)
	}
	if r := b.get("/incidents/metrics?from=2026-05-02&to=2026-05-01"); r.status != http.StatusBadRequest ||
		!strings.Contains(string(r.body), "The end of the period is before its start.") {
		t.Errorf("a bad period: %d", r.status)
	}

	ob := a.browser()
	ob.login("met.other", testPassword)
	r = ob.get("/incidents/metrics")
	body = string(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, "0 cases, 0 of them open.") || strings.Contains(body, `id="metrics-group-`) ||
		strings.Contains(body, "Quét cổng") {
		t.Errorf("another unit's metrics page: %d\n%s", r.status, body)
	}
	vb := a.browser()
	vb.login("met.viewer", testPassword)
	if r := vb.get("/incidents/metrics"); r.status != http.StatusForbidden {
		t.Errorf("viewer: %d", r.status)
	}
}
