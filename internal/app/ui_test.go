package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/user"
)

// Every page renders for an administrator, in both languages.
func TestPagesRender(t *testing.T) {
	a := startApp(t, nil)
	admin := a.mkUser("boss", authz.RoleAdmin, 1)
	for _, lang := range []string{"vi", "en"} {
		b := a.browser()
		b.login(admin.Username, testPassword)
		if r := b.post("/profile/language", url.Values{"lang": {lang}}); r.status != http.StatusSeeOther {
			t.Fatalf("set language: %d", r.status)
		}
		for _, path := range []string{"/", "/units", "/units/1", "/users", "/users/new", "/users/" + itoa(admin.ID),
			"/audit", "/jobs", "/profile", "/profile/mfa", "/password", "/vulnerabilities"} {
			r := b.get(path)
			if r.status != http.StatusOK {
				t.Errorf("%s %s: status %d", lang, path, r.status)
				continue
			}
			body := string(r.body)
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: page not in %s", lang, path, lang)
			}
			// A catalogue key left untranslated shows up as a dotted key.
			if m := regexp.MustCompile(`>\s*((?:nav|common|err|users|units|audit|jobs|profile|tokens|mfa|password|home|login|role|job|jobstatus|vulns|vulnstatus|vulnsev)\.[a-z_.]+)\s*<`).FindStringSubmatch(body); m != nil {
				t.Errorf("%s %s: untranslated key %s", lang, path, m[1])
			}
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLoginFlow(t *testing.T) {
	a := startApp(t, nil)
	b := a.browser()
	// Not signed in: pages redirect to the login page.
	if r := b.get("/users"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Fatalf("anonymous /users: %d %s", r.status, r.header.Get("Location"))
	}
	// The bootstrap admin must change the one-time password before anything else.
	b.login("admin", a.admin)
	if r := b.get("/users"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/password" {
		t.Fatalf("before password change /users: %d %s", r.status, r.header.Get("Location"))
	}
	r := b.post("/password", url.Values{"current_password": {a.admin}, "new_password": {"short"}, "repeat_password": {"short"}})
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "at least 12") {
		t.Fatalf("weak password: %d", r.status)
	}
	r = b.post("/password", url.Values{"current_password": {a.admin}, "new_password": {"a fresh secret phrase"}, "repeat_password": {"a fresh secret phrase"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("password change: %d %s", r.status, r.body)
	}
	if r := b.get("/users"); r.status != http.StatusOK {
		t.Fatalf("after password change /users: %d", r.status)
	}
	// The one-time password no longer works.
	b2 := a.browser()
	if r := b2.post("/login", url.Values{"username": {"admin"}, "password": {a.admin}}); r.status != http.StatusUnauthorized {
		t.Fatalf("login with the old one-time password: %d", r.status)
	}
}

func TestSessionRotationAndLogout(t *testing.T) {
	a := startApp(t, nil)
	a.mkUser("carol", authz.RoleAnalyst, 1)
	b := a.browser()
	// A session id planted before login is not kept (fixation).
	u, _ := url.Parse(a.url)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "khien_session", Value: "planted-by-attacker"}})
	b.login("carol", testPassword)
	var sid string
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "khien_session" {
			sid = c.Value
		}
	}
	if sid == "" || sid == "planted-by-attacker" {
		t.Fatalf("session cookie after login = %q", sid)
	}
	r := b.post("/login", url.Values{"username": {"carol"}, "password": {testPassword}})
	if r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "khien_session" && c.Value == sid {
			t.Error("session id not rotated at a new login")
		}
	}
	// Cookie flags.
	resp := b.post("/login", url.Values{"username": {"carol"}, "password": {testPassword}})
	setCookie := strings.Join(resp.header.Values("Set-Cookie"), "\n")
	if !strings.Contains(setCookie, "HttpOnly") || !strings.Contains(setCookie, "SameSite=Lax") {
		t.Errorf("session cookie flags: %s", setCookie)
	}
	// A second browser; "sign out everywhere" ends both.
	b2 := a.browser()
	b2.login("carol", testPassword)
	if r := b.post("/profile/logout-all", nil); r.status != http.StatusSeeOther {
		t.Fatalf("logout-all: %d", r.status)
	}
	if r := b2.get("/profile"); r.status != http.StatusSeeOther {
		t.Errorf("other browser after logout-all: %d, want a redirect to login", r.status)
	}
}

func TestLockout(t *testing.T) {
	a := startApp(t, nil)
	a.mkUser("dave", authz.RoleViewer, 1)
	b := a.browser()
	for i := range 5 {
		if r := b.post("/login", url.Values{"username": {"dave"}, "password": {"wrong password " + itoa(int64(i))}}); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i, r.status)
		}
	}
	// Locked now: even the right password is refused, with the same message.
	r := b.post("/login", url.Values{"username": {"dave"}, "password": {testPassword}})
	if r.status != http.StatusUnauthorized {
		t.Fatalf("right password while locked: status %d", r.status)
	}
	u, err := a.core.Backend.GetUserByUsername(context.Background(), "dave")
	if err != nil {
		t.Fatal(err)
	}
	if u.FailedLogins != 5 || time.Until(u.LockedUntil) < 30*time.Second {
		t.Errorf("after 5 failures: failed=%d locked_until=%v", u.FailedLogins, u.LockedUntil)
	}
	// An unknown user gets the same answer.
	r2 := b.post("/login", url.Values{"username": {"nobody"}, "password": {testPassword}})
	if r2.status != http.StatusUnauthorized || !strings.Contains(string(r2.body), "temporarily locked") {
		t.Errorf("unknown user: %d", r2.status)
	}
	entries, err := a.core.Backend.ListAudit(context.Background(), auditFilterAll("user.login_failed"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 7 {
		t.Errorf("%d login failures audited, want 7", len(entries))
	}
}

func TestMFALoginAndRecoveryCode(t *testing.T) {
	a := startApp(t, nil)
	a.mkUser("erin", authz.RoleAnalyst, 1)
	ctx := context.Background()
	res, err := a.core.Users.Login(ctx, "erin", testPassword, user.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := a.core.Users.Authenticate(ctx, res.Token, "")
	if err != nil {
		t.Fatal(err)
	}
	e := a.core.Users.BeginMFA(p)
	code, _ := user.TOTPCode(e.Secret, user.TOTPStep(time.Now()))
	codes, err := a.core.Users.ConfirmMFA(ctx, p, e.Secret, code)
	if err != nil {
		t.Fatal(err)
	}
	b := a.browser()
	b.login("erin", testPassword)
	// Password alone does not give a session.
	if r := b.get("/profile"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Fatalf("after password only: %d %s", r.status, r.header.Get("Location"))
	}
	// The code already used at enrolment is refused (replay).
	if r := b.post("/login/mfa", url.Values{"code": {code}}); r.status != http.StatusUnauthorized {
		t.Fatalf("replayed code: %d", r.status)
	}
	// A recovery code works once.
	if r := b.post("/login/mfa", url.Values{"code": {codes[0]}}); r.status != http.StatusSeeOther {
		t.Fatalf("recovery code: %d %s", r.status, r.body)
	}
	if r := b.get("/profile"); r.status != http.StatusOK {
		t.Fatalf("after MFA: %d", r.status)
	}
	b2 := a.browser()
	b2.login("erin", testPassword)
	if r := b2.post("/login/mfa", url.Values{"code": {codes[0]}}); r.status != http.StatusUnauthorized {
		t.Errorf("recovery code reused: %d", r.status)
	}
}

// Pages enforce unit scope too, not only the API.
func TestUIScope(t *testing.T) {
	a := startApp(t, nil)
	ua := a.mkUnit(1, "UA")
	ub := a.mkUnit(1, "UB")
	a.mkUser("frank", authz.RoleAdmin, ua.ID)
	other := a.mkUser("grace", authz.RoleViewer, ub.ID)
	b := a.browser()
	b.login("frank", testPassword)
	for path, want := range map[string]int{
		"/units/" + itoa(ua.ID):    http.StatusOK,
		"/units/" + itoa(ub.ID):    http.StatusForbidden,
		"/users/" + itoa(other.ID): http.StatusForbidden,
	} {
		if r := b.get(path); r.status != want {
			t.Errorf("%s: %d, want %d", path, r.status, want)
		}
	}
	if r := b.get("/users"); strings.Contains(string(r.body), "grace") {
		t.Error("user list shows an out-of-scope user")
	}
	if r := b.post("/units", url.Values{"parent_id": {itoa(ub.ID)}, "code": {"X1"}, "name": {"Sneaky"}}); r.status != http.StatusForbidden {
		t.Errorf("create unit under an out-of-scope parent: %d", r.status)
	}
	if r := b.post("/users/"+itoa(other.ID)+"/reset-password", nil); r.status != http.StatusForbidden {
		t.Errorf("reset out-of-scope password: %d", r.status)
	}
	// Granting a unit outside one's own scope is refused.
	r := b.post("/users", url.Values{"username": {"henry"}, "display_name": {"Henry"}, "role": {"viewer"},
		"unit_id": {itoa(ua.ID)}, "unit_ids": {itoa(ub.ID)}})
	if r.status != http.StatusForbidden {
		t.Errorf("grant out-of-scope unit: %d", r.status)
	}
}

// A token made on the profile page works on the API with the chosen role
// and units only, is shown once, and can be revoked.
func TestTokenFromUI(t *testing.T) {
	a := startApp(t, nil)
	ua := a.mkUnit(1, "TA")
	ub := a.mkUnit(1, "TB")
	a.mkUser("judy", authz.RoleSecurityLead, 1)
	b := a.browser()
	b.login("judy", testPassword)
	r := b.post("/profile/tokens", url.Values{"name": {"siem export"}, "role": {"viewer"}, "unit_ids": {itoa(ua.ID)}, "ttl_days": {"30"}})
	m := regexp.MustCompile(`id="secret-value">(khien_[A-Za-z0-9_-]+)<`).FindStringSubmatch(string(r.body))
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("create token: %d", r.status)
	}
	tok := m[1]
	var me struct {
		Scope       []int64  `json:"scope"`
		Permissions []string `json:"permissions"`
		TokenRole   string   `json:"token_role"`
	}
	a.api("GET", "/api/v1/me", tok, nil).json(t, &me)
	if len(me.Scope) != 1 || me.Scope[0] != ua.ID || me.TokenRole != "viewer" {
		t.Errorf("token scope %v role %q, want [%d] viewer", me.Scope, me.TokenRole, ua.ID)
	}
	if r := a.api("GET", "/api/v1/units/"+itoa(ub.ID), tok, nil); r.status != http.StatusForbidden {
		t.Errorf("unit outside the token's units: %d", r.status)
	}
	if r := a.api("GET", "/api/v1/users", tok, nil); r.status != http.StatusForbidden {
		t.Errorf("users with a viewer token of a security lead: %d", r.status)
	}
	// Only a prefix is kept for display; the profile never shows the token again.
	if p := b.get("/profile"); strings.Contains(string(p.body), tok) || !strings.Contains(string(p.body), tok[:12]) {
		t.Error("profile shows the whole token, or not its prefix")
	}
	// A role above one's own is refused.
	if r := b.post("/profile/tokens", url.Values{"name": {"too much"}, "role": {"admin"}}); r.status != http.StatusBadRequest {
		t.Errorf("token with a higher role: %d", r.status)
	}
	var list struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	a.api("GET", "/api/v1/tokens", tok, nil).json(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("tokens: %+v", list)
	}
	if r := b.post("/profile/tokens/"+itoa(list.Items[0].ID)+"/delete", nil); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.status)
	}
	if r := a.api("GET", "/api/v1/me", tok, nil); r.status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", r.status)
	}
}

// The audit verification job runs in the background and its page reports
// progress until it ends; the API shows the same job.
func TestAuditVerifyJob(t *testing.T) {
	a := startApp(t, nil)
	a.mkUser("kim", authz.RoleSecurityLead, 1)
	b := a.browser()
	b.login("kim", testPassword)
	r := b.post("/audit/verify", nil)
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !regexp.MustCompile(`^/jobs/\d+$`).MatchString(loc) {
		t.Fatalf("start verification: %d %q", r.status, loc)
	}
	var st struct {
		Status string `json:"status"`
		Final  bool   `json:"final"`
		Pct    int    `json:"percent"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for !st.Final {
		if time.Now().After(deadline) {
			t.Fatalf("job not finished: %+v", st)
		}
		b.get(loc+"/status").json(t, &st)
		if !st.Final {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if st.Status != "succeeded" || st.Pct != 100 {
		t.Fatalf("job ended %+v", st)
	}
	page := b.get(loc)
	if !strings.Contains(string(page.body), "chain intact") {
		t.Errorf("job page lacks the result")
	}
	// Cancelling a finished job is refused with a clear message.
	if r := b.post(loc+"/cancel", nil); r.status != http.StatusConflict {
		t.Errorf("cancel finished job: %d", r.status)
	}
}
