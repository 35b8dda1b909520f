package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/notify"
)

// fakeChannels records what each channel (by name) was asked to send and
// fails the first fails[name] attempts of each.
type fakeChannels struct {
	mu    sync.Mutex
	sent  map[string][]int64 // channel name → notification ids, successful or not
	fails map[string]int
}

func newFakes() *fakeChannels {
	return &fakeChannels{sent: map[string][]int64{}, fails: map[string]int{}}
}

func (f *fakeChannels) build(c notify.ChannelConfig) (notify.Channel, error) {
	if c.Kind == "broken" {
		return nil, errors.New("cannot build")
	}
	return fakeChannel{f: f, name: c.Name}, nil
}

func (f *fakeChannels) sends(name string) []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent[name])
}

type fakeChannel struct {
	f    *fakeChannels
	name string
}

func (c fakeChannel) Send(_ context.Context, n notify.Notification) error {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.sent[c.name] = append(c.f.sent[c.name], n.ID)
	if c.f.fails[c.name] > 0 {
		c.f.fails[c.name]--
		return fmt.Errorf("%s: http status 503", c.name)
	}
	return nil
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)

func note(unitID int64, sev notify.Severity, key string) *notify.Notification {
	return &notify.Notification{UnitID: unitID, Kind: notify.ObligationDue, Severity: sev,
		TitleVI: "Báo cáo định kỳ sắp đến hạn", TitleEN: "Periodic report falls due", DedupeKey: key}
}

func mustChannel(t *testing.T, s notify.Store, c notify.ChannelConfig) notify.ChannelConfig {
	t.Helper()
	if c.Kind == "" {
		c.Kind = notify.WebhookChannel
	}
	if c.MinSeverity == "" {
		c.MinSeverity = notify.Info
	}
	if err := s.CreateChannel(t.Context(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestService_Notify_scoping(t *testing.T) {
	store, fakes := newMemStore(), newFakes()
	// Unit 2 is a child of unit 1.
	parent := map[int64]int64{2: 1}
	svc := notify.New(store, notify.Options{NewChannel: fakes.build, Now: (&clock{t: t0}).Now,
		Covers: func(_ context.Context, scope, unit int64) (bool, error) {
			for u := unit; u != 0; u = parent[u] {
				if u == scope {
					return true, nil
				}
			}
			return false, nil
		}})
	for _, c := range []notify.ChannelConfig{
		{Name: "global", Enabled: true},
		{Name: "unit1", UnitID: 1, Enabled: true},
		{Name: "unit2", UnitID: 2, Enabled: true},
		{Name: "unit3", UnitID: 3, Enabled: true},
		{Name: "disabled", Enabled: false},
		{Name: "critical_only", Enabled: true, MinSeverity: notify.Critical},
		{Name: "warning_up", Enabled: true, MinSeverity: notify.Warning},
	} {
		mustChannel(t, store, c)
	}
	for _, tc := range []struct {
		name string
		n    *notify.Notification
		want []string
	}{
		{"unit1_info", note(1, notify.Info, ""), []string{"global", "unit1"}},
		{"child_unit_warning", note(2, notify.Warning, ""), []string{"global", "unit1", "unit2", "warning_up"}},
		{"critical", note(3, notify.Critical, ""), []string{"critical_only", "global", "unit3", "warning_up"}},
		{"personal_no_unit", &notify.Notification{UserID: 7, Kind: notify.DossierDecided, Severity: notify.Warning,
			TitleVI: "Hồ sơ đã được quyết định", TitleEN: "Dossier decided"}, []string{"global", "warning_up"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			created, err := svc.Notify(t.Context(), tc.n)
			if err != nil || !created {
				t.Fatalf("Notify = %v, %v", created, err)
			}
			var got []string
			for _, name := range []string{"global", "unit1", "unit2", "unit3", "disabled", "critical_only", "warning_up"} {
				if slices.Contains(fakes.sends(name), tc.n.ID) {
					got = append(got, name)
				}
			}
			slices.Sort(got)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("channels that got notification %d (-want +got):\n%s", tc.n.ID, d)
			}
			var recorded []int64
			for _, d := range store.deliveries() {
				if d.NotificationID == tc.n.ID {
					if !d.OK || d.Attempt != 1 || !d.At.Equal(t0) {
						t.Errorf("delivery %+v, want a successful first attempt at t0", d)
					}
					recorded = append(recorded, d.ChannelID)
				}
			}
			if len(recorded) != len(tc.want) {
				t.Errorf("%d deliveries recorded, want %d", len(recorded), len(tc.want))
			}
		})
	}
}

func TestService_Notify_dedupe(t *testing.T) {
	store, fakes := newMemStore(), newFakes()
	svc := notify.New(store, notify.Options{NewChannel: fakes.build})
	mustChannel(t, store, notify.ChannelConfig{Name: "global", Enabled: true})
	ctx := t.Context()
	// A reminder job that runs every hour must not repeat itself.
	var first int64
	for i := range 3 {
		n := note(1, notify.Warning, "obligation_due:unit=1:annual_report:2026")
		created, err := svc.Notify(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if created != (i == 0) {
			t.Errorf("run %d: created = %v", i, created)
		}
		if i == 0 {
			first = n.ID
		} else if n.ID != first {
			t.Errorf("run %d: got id %d, want the existing %d", i, n.ID, first)
		}
	}
	if got := fakes.sends("global"); !slices.Equal(got, []int64{first}) {
		t.Errorf("sent %v, want only notification %d once", got, first)
	}
	if n := len(store.deliveries()); n != 1 {
		t.Errorf("%d deliveries recorded, want 1", n)
	}
}

func TestService_Notify_invalid(t *testing.T) {
	store := newMemStore()
	svc := notify.New(store, notify.Options{NewChannel: newFakes().build})
	n := note(1, notify.Info, "")
	n.Link = "https://evil.example/"
	if _, err := svc.Notify(t.Context(), n); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("Notify with an absolute link = %v, want ErrInvalid", err)
	}
	if len(store.notes) != 0 {
		t.Error("an invalid notification was stored")
	}
}

// A delivery failure is recorded and logged, and the in-app notification
// stands.
func TestService_Notify_failureRecorded(t *testing.T) {
	store := newMemStore()
	var logs bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream is down", http.StatusBadGateway)
	}))
	defer srv.Close()
	cfg := notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "soc", Enabled: true, Secret: "k",
		Config: `{"url":"` + srv.URL + `/hook/SECRET-PATH"}`}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	mustChannel(t, store, cfg)
	svc := notify.New(store, notify.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	n := note(1, notify.Warning, "k1")
	created, err := svc.Notify(t.Context(), n)
	if err != nil || !created {
		t.Fatalf("Notify = %v, %v; a delivery failure must not fail it", created, err)
	}
	ds := store.deliveries()
	if len(ds) != 1 || ds[0].OK || ds[0].Attempt != 1 || !strings.Contains(ds[0].Error, "502") ||
		!strings.Contains(ds[0].Error, "upstream is down") {
		t.Fatalf("deliveries = %+v, want one failed attempt with the status and body", ds)
	}
	if !strings.Contains(logs.String(), "notification delivery failed") || strings.Contains(logs.String(), "SECRET-PATH") {
		t.Errorf("log = %q, want the failure logged without the URL's path", logs.String())
	}
}

func TestService_Notify_buildError(t *testing.T) {
	store, fakes := newMemStore(), newFakes()
	mustChannel(t, store, notify.ChannelConfig{Kind: "broken", Name: "b", Enabled: true})
	mustChannel(t, store, notify.ChannelConfig{Name: "ok", Enabled: true})
	svc := notify.New(store, notify.Options{NewChannel: fakes.build})
	if _, err := svc.Notify(t.Context(), note(1, notify.Info, "")); err != nil {
		t.Fatal(err)
	}
	ds := store.deliveries()
	slices.SortFunc(ds, func(a, b notify.Delivery) int { return int(a.ChannelID - b.ChannelID) })
	if len(ds) != 2 || ds[0].OK || !strings.Contains(ds[0].Error, "cannot build") || !ds[1].OK {
		t.Errorf("deliveries = %+v, want the broken channel recorded as failed and the other delivered", ds)
	}
}

func TestService_Notify_channelListError(t *testing.T) {
	store := newMemStore()
	store.failList = errors.New("database is down")
	var logs bytes.Buffer
	svc := notify.New(store, notify.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	created, err := svc.Notify(t.Context(), note(1, notify.Info, ""))
	if err != nil || !created {
		t.Fatalf("Notify = %v, %v; want the in-app notification kept", created, err)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("log = %q, want an error for the lost outbound copies", logs.String())
	}
}

func TestService_RetryFailed(t *testing.T) {
	store, fakes := newMemStore(), newFakes()
	clk := &clock{t: t0}
	var logs bytes.Buffer
	svc := notify.New(store, notify.Options{NewChannel: fakes.build, Now: clk.Now, MaxAttempts: 4,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	flaky := mustChannel(t, store, notify.ChannelConfig{Name: "flaky", Enabled: true})
	dead := mustChannel(t, store, notify.ChannelConfig{Name: "dead", Enabled: true})
	mustChannel(t, store, notify.ChannelConfig{Name: "fine", Enabled: true})
	fakes.fails["flaky"] = 2
	fakes.fails["dead"] = 1000
	ctx := t.Context()
	n := note(1, notify.Warning, "")
	if _, err := svc.Notify(ctx, n); err != nil {
		t.Fatal(err)
	}

	// attempts returns the attempts (as "n:ok"/"n:fail") per channel id.
	attempts := func(ch int64) []string {
		var out []string
		for _, d := range store.deliveries() {
			if d.ChannelID == ch {
				out = append(out, fmt.Sprintf("%d:%v", d.Attempt, d.OK))
			}
		}
		return out
	}
	retry := func(want int) {
		t.Helper()
		got, err := svc.RetryFailed(ctx)
		if err != nil || got != want {
			t.Fatalf("RetryFailed at +%v = %d, %v; want %d", clk.Now().Sub(t0), got, err, want)
		}
	}
	retry(0) // the backoff after attempt 1 (1 minute) has not passed
	clk.Add(time.Minute)
	retry(2) // flaky and dead; fine succeeded
	clk.Add(time.Minute)
	retry(0) // after attempt 2 the wait is 4 minutes
	clk.Add(3 * time.Minute)
	retry(2)
	if d := cmp.Diff([]string{"1:false", "2:false", "3:true"}, attempts(flaky.ID)); d != "" {
		t.Errorf("flaky attempts (-want +got):\n%s", d)
	}
	clk.Add(16 * time.Minute)
	retry(1) // dead's attempt 4, the last
	clk.Add(24 * time.Hour)
	retry(0)
	if d := cmp.Diff([]string{"1:false", "2:false", "3:false", "4:false"}, attempts(dead.ID)); d != "" {
		t.Errorf("dead attempts (-want +got):\n%s", d)
	}
	if !strings.Contains(logs.String(), "notification delivery given up") {
		t.Errorf("the last failed attempt was not logged as given up:\n%s", logs.String())
	}
	for _, d := range store.deliveries() {
		if !d.OK && !strings.Contains(d.Error, "503") {
			t.Errorf("failed delivery %+v has no reason", d)
		}
	}
}

func TestService_RetryFailed_skips(t *testing.T) {
	store, fakes := newMemStore(), newFakes()
	clk := &clock{t: t0}
	svc := notify.New(store, notify.Options{NewChannel: fakes.build, Now: clk.Now})
	off := mustChannel(t, store, notify.ChannelConfig{Name: "off", Enabled: true})
	gone := mustChannel(t, store, notify.ChannelConfig{Name: "gone", Enabled: true})
	mustChannel(t, store, notify.ChannelConfig{Name: "on", Enabled: true})
	fakes.fails["off"], fakes.fails["gone"], fakes.fails["on"] = 10, 10, 10
	ctx := t.Context()
	n := note(1, notify.Info, "")
	if _, err := svc.Notify(ctx, n); err != nil {
		t.Fatal(err)
	}
	off.Enabled = false
	if err := store.UpdateChannel(ctx, &off); err != nil {
		t.Fatal(err)
	}
	// A deleted channel takes its log with it; keep one record of it as if
	// the channel went between the listing and the lookup.
	if err := store.DeleteChannel(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	store.log = append(store.log, notify.Delivery{ID: 999, ChannelID: gone.ID, NotificationID: n.ID, Attempt: 1, At: t0})
	clk.Add(time.Minute)
	if got, err := svc.RetryFailed(ctx); err != nil || got != 1 {
		t.Errorf("RetryFailed = %d, %v; want only the enabled channel retried", got, err)
	}
	if len(fakes.sends("off")) != 1 || len(fakes.sends("gone")) != 1 || len(fakes.sends("on")) != 2 {
		t.Errorf("sends: off %v, gone %v, on %v", fakes.sends("off"), fakes.sends("gone"), fakes.sends("on"))
	}

	// Failures older than the window are left alone.
	narrow := notify.New(store, notify.Options{NewChannel: fakes.build, Now: clk.Now, RetryWindow: time.Hour})
	clk.Add(2 * time.Hour)
	if got, err := narrow.RetryFailed(ctx); err != nil || got != 0 {
		t.Errorf("RetryFailed beyond the window = %d, %v; want 0", got, err)
	}
	if got, err := svc.RetryFailed(ctx); err != nil || got != 1 {
		t.Errorf("RetryFailed within the default window = %d, %v; want 1", got, err)
	}
}

// A caller that gives up (its context is cancelled) leaves the attempt
// recorded as failed, to be retried.
func TestService_Notify_cancelled(t *testing.T) {
	store := newMemStore()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	mustChannel(t, store, notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "slow", Enabled: true,
		Config: `{"url":"` + srv.URL + `"}`})
	svc := notify.New(store, notify.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	created, err := svc.Notify(ctx, note(1, notify.Info, ""))
	if err != nil || !created {
		t.Fatalf("Notify = %v, %v", created, err)
	}
	ds := store.deliveries()
	if len(ds) != 1 || ds[0].OK || !strings.Contains(ds[0].Error, "deadline exceeded") {
		t.Errorf("deliveries = %+v, want one failed attempt", ds)
	}
}

func TestService_SendTest(t *testing.T) {
	store := newMemStore()
	var got notify.WebhookPayload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &got)
	}))
	defer srv.Close()
	c := mustChannel(t, store, notify.ChannelConfig{Kind: notify.WebhookChannel, Name: "Kênh SOC",
		Config: `{"url":"` + srv.URL + `"}`})
	svc := notify.New(store, notify.Options{})
	if err := svc.SendTest(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	if got.Kind != notify.Test || !strings.Contains(got.TitleVI, "Kênh SOC") {
		t.Errorf("test message = %+v", got)
	}
	if len(store.deliveries()) != 0 || len(store.notes) != 0 {
		t.Error("SendTest stored something")
	}
	if err := svc.SendTest(t.Context(), 999); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("SendTest(unknown) = %v, want ErrNotFound", err)
	}
}

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{time.Minute, 4 * time.Minute, 16 * time.Minute, 64 * time.Minute, 256 * time.Minute, 6 * time.Hour, 6 * time.Hour}
	for i, w := range want {
		if got := notify.DefaultBackoff(i + 1); got != w {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

// A channel limited to a system carries only the notifications about it;
// channels without a system carry those too.
func TestService_Notify_systemRouting(t *testing.T) {
	store, fakes := newMemStore(), newFakes()
	svc := notify.New(store, notify.Options{NewChannel: fakes.build, Now: (&clock{t: t0}).Now})
	mustChannel(t, store, notify.ChannelConfig{Name: "any", Enabled: true})
	mustChannel(t, store, notify.ChannelConfig{Name: "sys7", SystemID: 7, Enabled: true})
	about := func(sys int64) *notify.Notification {
		n := note(1, notify.Critical, "")
		n.Kind, n.SystemID = notify.AlertRaised, sys
		return n
	}
	n7, n8, none := about(7), about(8), about(0)
	for _, n := range []*notify.Notification{n7, n8, none} {
		if _, err := svc.Notify(t.Context(), n); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := fakes.sends("sys7"), []int64{n7.ID}; !slices.Equal(got, want) {
		t.Errorf("system channel got %v, want %v", got, want)
	}
	if got, want := fakes.sends("any"), []int64{n7.ID, n8.ID, none.ID}; !slices.Equal(got, want) {
		t.Errorf("unrestricted channel got %v, want %v", got, want)
	}
	bad := about(-1)
	if _, err := svc.Notify(t.Context(), bad); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("negative system id: %v", err)
	}
	c := notify.ChannelConfig{Name: "x", Kind: notify.WebhookChannel, Config: `{"url":"https://example.vn/hook"}`, SystemID: -2}
	if err := c.Validate(); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("channel with negative system id: %v", err)
	}
}

// A channel with a rate limit sends at most that many notifications in any
// hour; the others are recorded as suppressed, never retried, and the
// limit frees up as the hour slides.
func TestService_Notify_rateLimit(t *testing.T) {
	store, fakes := newMemStore(), newFakes()
	clk := &clock{t: t0}
	svc := notify.New(store, notify.Options{NewChannel: fakes.build, Now: clk.Now})
	limited := mustChannel(t, store, notify.ChannelConfig{Name: "limited", RateLimit: 3, Enabled: true})
	mustChannel(t, store, notify.ChannelConfig{Name: "free", Enabled: true})
	var ids []int64
	for i := range 5 {
		n := note(1, notify.Warning, fmt.Sprintf("k%d", i))
		if _, err := svc.Notify(t.Context(), n); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
		clk.Add(time.Minute)
	}
	if got := fakes.sends("limited"); !slices.Equal(got, ids[:3]) {
		t.Errorf("limited channel sent %v, want the first three of %v", got, ids)
	}
	if got := fakes.sends("free"); !slices.Equal(got, ids) {
		t.Errorf("unlimited channel sent %v, want %v", got, ids)
	}
	var suppressed []int64
	for _, d := range store.deliveries() {
		if d.ChannelID == limited.ID && d.Suppressed {
			if d.OK || !strings.Contains(d.Error, "rate limit") {
				t.Errorf("suppressed delivery %+v", d)
			}
			suppressed = append(suppressed, d.NotificationID)
		}
	}
	slices.Sort(suppressed)
	if !slices.Equal(suppressed, ids[3:]) {
		t.Errorf("suppressed %v, want %v", suppressed, ids[3:])
	}
	// Much later: nothing is retried, and the channel sends again.
	clk.Add(2 * time.Hour)
	if n, err := svc.RetryFailed(t.Context()); err != nil || n != 0 {
		t.Errorf("RetryFailed = %d, %v; suppressed deliveries must not be retried", n, err)
	}
	n := note(1, notify.Warning, "later")
	if _, err := svc.Notify(t.Context(), n); err != nil {
		t.Fatal(err)
	}
	if got := fakes.sends("limited"); len(got) != 4 || got[3] != n.ID {
		t.Errorf("after the hour the limited channel sent %v, want %d last", got, n.ID)
	}
	c := notify.ChannelConfig{Name: "x", Kind: notify.WebhookChannel, Config: `{"url":"https://example.vn/hook"}`, RateLimit: -1}
	if err := c.Validate(); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("negative rate limit: %v", err)
	}
}
