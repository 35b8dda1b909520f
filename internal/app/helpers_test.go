package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
)

// testApp is a Khiên started on 127.0.0.1:0 with SQLite in a temporary directory.
type testApp struct {
	t     testing.TB
	core  *app.Core
	srv   *app.Server
	url   string
	admin string // one-time password of the bootstrap admin
	out   *bytes.Buffer
}

func startApp(t testing.TB, mutate func(*config.Config)) *testApp {
	t.Helper()
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.TLS.InsecureHTTP = true
	if mutate != nil {
		mutate(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	core, err := app.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	password, err := core.Bootstrap(ctx, "Tổ chức thử nghiệm")
	if err != nil {
		t.Fatal(err)
	}
	out := &bytes.Buffer{}
	ready := make(chan string, 1)
	srv, err := app.NewServer(ctx, core, app.ServeOptions{Out: app.Printer{W: out}, Ready: ready})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	ta := &testApp{t: t, core: core, srv: srv, url: <-ready, admin: password, out: out}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("server did not stop")
		}
		if err := core.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return ta
}

// mkUnit creates a unit as the system.
func (a *testApp) mkUnit(parent int64, code string) unit.Unit {
	a.t.Helper()
	u, err := a.core.Units.Create(context.Background(), authz.System(), unit.Unit{ParentID: parent, Code: code, Name: "Unit " + code})
	if err != nil {
		a.t.Fatal(err)
	}
	return u
}

// mkUser creates an account with a known password that need not be changed.
func (a *testApp) mkUser(name string, role authz.Role, units ...int64) user.User {
	a.t.Helper()
	u, _, err := a.core.Users.Create(context.Background(), authz.System(), user.NewUser{Username: name,
		DisplayName: "User " + name, Role: role, UnitID: units[0], UnitIDs: units, Password: testPassword})
	if err != nil {
		a.t.Fatal(err)
	}
	return u
}

const testPassword = "a long test password 123"

// token signs name in through the service and issues an API token with its full role.
func (a *testApp) token(name string) string {
	a.t.Helper()
	ctx := context.Background()
	res, err := a.core.Users.Login(ctx, name, testPassword, user.Meta{IP: "127.0.0.1"})
	if err != nil {
		a.t.Fatal(err)
	}
	p, _, err := a.core.Users.Authenticate(ctx, res.Token, "127.0.0.1")
	if err != nil {
		a.t.Fatal(err)
	}
	raw, _, err := a.core.Users.CreateToken(ctx, p, user.NewToken{Name: "test"})
	if err != nil {
		a.t.Fatal(err)
	}
	return raw
}

type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r apiResponse) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// api sends one request with a bearer token.
func (a *testApp) api(method, path, token string, body any) apiResponse {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// browser is an HTTP client with a cookie jar that does not follow redirects.
type browser struct {
	t      testing.TB
	base   string
	client *http.Client
}

func (a *testApp) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: a.t, base: a.url, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(req *http.Request) apiResponse {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: body}
}

func (b *browser) get(path string) apiResponse {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	req.Header.Set("Accept-Language", "en")
	return b.do(req)
}

// post submits a form as a same-origin browser would.
func (b *browser) post(path string, form url.Values) apiResponse {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Accept-Language", "en")
	return b.do(req)
}

func (b *browser) login(name, password string) {
	b.t.Helper()
	r := b.post("/login", url.Values{"username": {name}, "password": {password}})
	if r.status != http.StatusSeeOther {
		b.t.Fatalf("login %s: status %d: %s", name, r.status, r.body)
	}
}

func auditFilterAll(action string) audit.Filter {
	return audit.Filter{Action: action, IncludeGlobal: true, Limit: 1000}
}

// apiRaw sends a request with a raw body and a bearer token.
func (a *testApp) apiRaw(method, path, token string, body []byte) apiResponse {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: b}
}
