package app_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"khien.vn/khien/internal/user"
)

// chromium returns the path of a Chromium browser, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed (apt-get install chromium): browser test skipped")
	return ""
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first call starts the browser; its context must not carry the timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return tctx
}

// page drives one tab and fails the test at the first error.
type page struct {
	t   *testing.T
	ctx context.Context
}

func (p page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

func (p page) text(id string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		p.t.Fatal(err)
	}
	return strings.TrimSpace(s)
}

func (p page) location() string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// shot saves a screenshot to $KHIEN_SCREENSHOTS/name.png when that is set.
func (p page) shot(name string) {
	p.t.Helper()
	dir := os.Getenv("KHIEN_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// TestBrowserFirstRun drives a real Chromium through a first start: the
// administrator signs in with the one-time password, chooses a password,
// enrols TOTP, signs in again with it, switches to Vietnamese, creates a
// unit and a user, and finds both in the audit log.
func TestBrowserFirstRun(t *testing.T) {
	p := page{t: t, ctx: newBrowser(t)}
	a := startApp(t, nil)
	if a.admin == "" {
		t.Fatal("no one-time admin password")
	}
	const newPassword = "my own strong pass phrase 2026"
	id := func(s string) chromedp.ID { return chromedp.ID(s) }

	p.do(
		chromedp.Navigate(a.url+"/"),
		chromedp.WaitVisible(id("username")),
	)
	p.shot("01-login")
	p.do(
		chromedp.SendKeys(id("username"), "admin"),
		chromedp.SendKeys(id("password"), a.admin),
		chromedp.Click(id("login-submit")),
		// A one-time password must be replaced first.
		chromedp.WaitVisible(id("new_password")),
	)
	if loc := p.location(); !strings.HasSuffix(loc, "/password") {
		t.Fatalf("after first login at %s, want /password", loc)
	}
	p.do(
		chromedp.SendKeys(id("current_password"), a.admin),
		chromedp.SendKeys(id("new_password"), newPassword),
		chromedp.SendKeys(id("repeat_password"), newPassword),
		chromedp.Click(id("password-submit")),
		chromedp.WaitVisible(id("count-units")),
	)
	p.shot("02-home")

	// MFA enrolment.
	p.do(
		chromedp.Navigate(a.url+"/profile/mfa"),
		chromedp.WaitVisible(id("mfa-secret")),
	)
	p.shot("03-mfa")
	secret := p.text("mfa-secret")
	code, err := user.TOTPCode(secret, user.TOTPStep(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	p.do(
		chromedp.SendKeys(id("mfa-code"), code),
		chromedp.Click(id("mfa-confirm")),
		chromedp.WaitVisible(id("recovery-codes")),
	)
	if n := len(strings.Fields(p.text("recovery-codes"))); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	// Sign out and in again: now the second factor is asked for.
	p.do(
		chromedp.Click(id("secret-continue")),
		chromedp.WaitVisible(id("profile-lang")),
		chromedp.Click(id("logout")),
		chromedp.WaitVisible(id("username")),
		chromedp.SendKeys(id("username"), "admin"),
		chromedp.SendKeys(id("password"), newPassword),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("code")),
	)
	// The enrolment used the current step; the next one is still within the allowed skew.
	code, _ = user.TOTPCode(secret, user.TOTPStep(time.Now())+1)
	p.do(
		chromedp.SendKeys(id("code"), code),
		chromedp.Click(id("mfa-submit")),
		chromedp.WaitVisible(id("count-units")),
		// Switch to Vietnamese.
		chromedp.Navigate(a.url+"/profile"),
		chromedp.WaitVisible(id("profile-lang")),
		chromedp.SetValue(id("profile-lang"), "vi"),
		chromedp.Click(id("profile-lang-save")),
		chromedp.WaitVisible(chromedp.Search("//h1[contains(., 'Tài khoản của tôi')]")),
	)
	nav, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS("header.top nav")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(nav, "Đơn vị") || !strings.Contains(nav, "Nhật ký kiểm toán") {
		t.Fatalf("navigation after switching to Vietnamese: %q", nav)
	}

	// Create a unit, then a user in it.
	p.do(
		chromedp.Navigate(a.url+"/units"),
		chromedp.WaitVisible(id("unit-code")),
		chromedp.SendKeys(id("unit-code"), "HN-CNTT"),
		chromedp.SendKeys(id("unit-name"), "Phòng Công nghệ thông tin Hà Nội"),
		chromedp.Click(id("unit-create")),
		chromedp.WaitVisible(chromedp.Search("//h1[contains(., 'Phòng Công nghệ thông tin Hà Nội')]")),
	)
	p.shot("04-unit")
	p.do(
		chromedp.Navigate(a.url+"/users/new"),
		chromedp.WaitVisible(id("user-username")),
		chromedp.SendKeys(id("user-username"), "nguyen.van.binh"),
		chromedp.SendKeys(id("user-display-name"), "Nguyễn Văn Bình"),
		chromedp.SetValue(id("user-role"), "analyst"),
		chromedp.Click(id("user-save")),
		chromedp.WaitVisible(id("secret-value")),
	)
	p.shot("05-user-created")
	if created := p.text("secret-value"); len(created) != 20 {
		t.Errorf("one-time password of the new user %q", created)
	}

	// Both appear in the audit log.
	p.do(
		chromedp.Navigate(a.url+"/audit"),
		chromedp.WaitVisible(id("audit-table")),
	)
	p.shot("06-audit")
	body := p.text("audit-table")
	for _, want := range []string{"unit.create", "HN-CNTT", "user.create", "nguyen.van.binh", "user.mfa_enable", "user.login", "user.password_change"} {
		if !strings.Contains(body, want) {
			t.Errorf("audit log lacks %q:\n%s", want, body)
		}
	}
	// The same happened in the database, not only on screen.
	users, err := a.core.Backend.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range users {
		if u.Username == "nguyen.van.binh" && u.Role == "analyst" && u.MustChangePassword {
			found = true
		}
		if u.Username == "admin" && (!u.MFAEnabled || u.Locale != "vi") {
			t.Errorf("admin after the run: mfa=%t locale=%q", u.MFAEnabled, u.Locale)
		}
	}
	if !found {
		t.Error("the new user is not in the database")
	}
}
