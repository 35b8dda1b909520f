package app_test

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
)

// Every API route is in the OpenAPI document and every documented
// operation is a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := startApp(t, nil)
	r := a.api("GET", "/api/v1/openapi.json", "", nil)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.json(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	routed := map[string]bool{}
	for _, rt := range a.srv.Handler().Routes() {
		if !strings.HasPrefix(rt.Pattern, "/api/") {
			continue
		}
		key := rt.Method + " " + rt.Pattern
		routed[key] = true
		if !documented[key] {
			t.Errorf("route %s is not in the OpenAPI document", key)
		}
	}
	for key := range documented {
		if !routed[key] {
			t.Errorf("OpenAPI documents %s, which is not a route", key)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	a := startApp(t, nil)
	b := a.browser()
	for _, path := range []string{"/login", "/healthz", "/api/v1/me", "/no-such-page"} {
		r := b.get(path)
		csp := r.header.Get("Content-Security-Policy")
		if !regexp.MustCompile(`script-src 'nonce-[A-Za-z0-9_-]{16,}'`).MatchString(csp) || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
	}
	// Each response gets its own nonce, and the page's scripts carry it.
	r1, r2 := b.get("/login"), b.get("/login")
	n1 := nonceOf(r1.header.Get("Content-Security-Policy"))
	if n1 == "" || n1 == nonceOf(r2.header.Get("Content-Security-Policy")) {
		t.Error("nonce is missing or repeated")
	}
	if !strings.Contains(string(r1.body), `nonce="`+n1+`"`) {
		t.Error("page script does not carry the response nonce")
	}
	if strings.Contains(string(r1.body), " onclick=") || strings.Contains(string(r1.body), "<script>") {
		t.Error("page has inline handlers or inline scripts")
	}
}

func nonceOf(csp string) string {
	m := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
	if m == nil {
		return ""
	}
	return m[1]
}

// State-changing requests from another origin are refused, sessions or not.
func TestCrossOriginProtection(t *testing.T) {
	a := startApp(t, nil)
	a.mkUser("alice", authz.RoleAdmin, 1)
	b := a.browser()
	b.login("alice", testPassword)
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"cross_site_fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"foreign_origin", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"same_origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"parent_id": {"1"}, "code": {"X-" + tc.name}, "name": {"Cross " + tc.name}}
			req, _ := http.NewRequest("POST", a.url+"/units", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if r := b.do(req); r.status != tc.want {
				t.Errorf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
		})
	}
}

func TestProbesAndMetrics(t *testing.T) {
	a := startApp(t, nil)
	b := a.browser()
	if r := b.get("/healthz"); r.status != 200 {
		t.Errorf("healthz %d", r.status)
	}
	if r := b.get("/readyz"); r.status != 200 || !strings.Contains(string(r.body), "ready") {
		t.Errorf("readyz %d %s", r.status, r.body)
	}
	b.post("/login", url.Values{"username": {"nobody"}, "password": {"wrong password here"}})
	r := b.get("/metrics")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics %d %q", r.status, r.header.Get("Content-Type"))
	}
	for _, want := range []string{
		`khien_http_requests_total{route="GET /healthz",code="200"} 1`,
		`khien_login_attempts_total{result="failure"} 1`,
		"# TYPE khien_http_request_duration_seconds histogram",
		"go_goroutines ",
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// Under TLS the session cookie is Secure and HSTS is sent.
func TestTLSCookiesAndHSTS(t *testing.T) {
	a := startApp(t, func(c *config.Config) { c.TLS.InsecureHTTP = false })
	if !strings.HasPrefix(a.url, "https://") {
		t.Fatalf("server URL %s", a.url)
	}
	a.mkUser("ivan", authz.RoleViewer, 1)
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // self-signed test server
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	form := url.Values{"username": {"ivan"}, "password": {testPassword}}
	req, _ := http.NewRequest("POST", a.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login over TLS: %d", resp.StatusCode)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "khien_session" {
			session = c
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie over TLS: %+v", session)
	}
	if h := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
		t.Errorf("no HSTS over TLS: %q", h)
	}
	if !strings.Contains(a.out.String(), "TLS certificate SHA-256 fingerprint") {
		t.Errorf("fingerprint not printed: %s", a.out)
	}
}
