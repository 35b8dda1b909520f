package intel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// Feed subscriptions: a TAXII 2.1 collection or a MISP feed directory that
// Khiên pulls on a schedule into the indicators of one unit.
//
// Each pull asks only for what is new since the feed's Cursor — for TAXII
// the objects added after it (added_after, the cursor being the last
// X-TAXII-Date-Added-Last the server sent), for a MISP feed the events
// whose manifest timestamp is after it (the cursor being the newest
// manifest timestamp, at most the time of the pull) — and upserts the
// indicators as Service.Import does, so that an indicator delivered twice
// is merged, not duplicated. Every indicator of a feed gets the feed's
// Name as Source (whatever producer the STIX bundle or MISP event names),
// so that the merge key (unit, source, external id) stays the same from
// one pull, or one TAXII page, to the next; renaming a feed therefore
// starts a new source, and the indicators already pulled keep the old one.
// The cursor advances only when a pull succeeds: a failed pull is
// recorded (LastOK false, LastError) and the next one asks again from the
// same cursor.

// FeedKind is the protocol of a feed.
type FeedKind string

// The feed kinds.
const (
	FeedTAXII FeedKind = "taxii"     // a collection of a TAXII 2.1 server (TAXIIClient)
	FeedMISP  FeedKind = "misp_feed" // a MISP feed directory: manifest.json and event files (MISPFeed)
)

// FeedKinds lists every feed kind.
var FeedKinds = []FeedKind{FeedTAXII, FeedMISP}

// Limits and defaults of a feed.
const (
	DefaultFeedInterval = 6 * time.Hour
	MinFeedInterval     = 15 * time.Minute
	MaxFeedInterval     = 30 * 24 * time.Hour
	// MaxFeedName bounds the name in bytes: it is the Source of the
	// feed's indicators, which is at most 255 bytes.
	MaxFeedName = 255
	// MaxFeedURL bounds the URL and the API root in bytes.
	MaxFeedURL = 2048
	// MaxFeedError bounds LastError in bytes.
	MaxFeedError = 2000

	maxFeedKey      = 255 // collection id, user name
	maxFeedPassword = 4096
	// defaultPullTimeout bounds one pull when FeedOptions leaves it zero.
	defaultPullTimeout = 30 * time.Minute
)

// Feed is a subscription to a threat-intelligence feed.
type Feed struct {
	ID int64 `json:"id"`
	// UnitID owns the indicators the feed brings.
	UnitID int64 `json:"unit_id"`
	// Name is unique in the unit and is the Source of the feed's indicators.
	Name string   `json:"name"`
	Kind FeedKind `json:"kind"`
	// URL is, for TAXII, the server's discovery URL (TAXIIClient.BaseURL)
	// and, for a MISP feed, the feed's directory (MISPFeed.BaseURL). It
	// carries no credentials: those are Username and Password.
	URL string `json:"url"`
	// APIRoot (a URL, or a path resolved against URL) and CollectionID
	// name the TAXII collection; both are required for TAXII and empty for
	// a MISP feed.
	APIRoot      string `json:"api_root,omitempty"`
	CollectionID string `json:"collection_id,omitempty"`
	// Username and Password, when set, are sent with HTTP basic
	// authentication (for a MISP feed, only to the host of URL). The
	// password is stored in the database as given, like the secrets of
	// notification channels: the database and its backups must be
	// protected accordingly. It is never written to JSON or logs.
	Username string `json:"username,omitempty"`
	Password string `json:"-"`
	// DefaultTLP and Confidence apply to indicators the feed does not
	// mark with a TLP or a confidence.
	DefaultTLP TLP `json:"default_tlp"`
	Confidence int `json:"confidence"`
	// Interval is the time between pulls (MinFeedInterval–MaxFeedInterval).
	Interval time.Duration `json:"interval_ns"`
	Enabled  bool          `json:"enabled"`
	// Cursor is where the next pull starts: TAXII added_after, MISP since
	// (zero: from the beginning).
	Cursor time.Time `json:"cursor,omitzero"`
	// The outcome of the last pull (zero LastRunAt: never pulled).
	LastRunAt   time.Time `json:"last_run_at,omitzero"`
	LastOK      bool      `json:"last_ok"`
	LastError   string    `json:"last_error,omitempty"`
	LastAdded   int       `json:"last_added"`
	LastUpdated int       `json:"last_updated"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// LogValue leaves the credentials out of log records.
func (f Feed) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", f.ID), slog.String("kind", string(f.Kind)), slog.String("name", f.Name))
}

// HasPassword reports whether a password is set, for forms that show "••••".
func (f Feed) HasPassword() bool { return f.Password != "" }

// Validate checks and normalises the fields a user supplies: texts are
// trimmed, a MISP feed's APIRoot and CollectionID cleared, an empty
// DefaultTLP becomes amber and a zero Interval DefaultFeedInterval. The
// run state (Cursor, Last*) is not checked.
func (f *Feed) Validate() error {
	f.Name, f.URL = strings.TrimSpace(f.Name), strings.TrimSpace(f.URL)
	f.APIRoot, f.CollectionID = strings.TrimSpace(f.APIRoot), strings.TrimSpace(f.CollectionID)
	f.Username = strings.TrimSpace(f.Username)
	if f.Kind == FeedMISP {
		f.APIRoot, f.CollectionID = "", ""
	}
	if f.DefaultTLP == "" {
		f.DefaultTLP = TLPAmber
	}
	if f.Interval == 0 {
		f.Interval = DefaultFeedInterval
	}
	switch {
	case f.UnitID <= 0:
		return errs.Invalid("unit_id", "err.unit_required")
	case f.Name == "" || len(f.Name) > MaxFeedName || !feedText(f.Name):
		return errs.Invalid("name", "err.invalid")
	case !slices.Contains(FeedKinds, f.Kind):
		return errs.Invalid("kind", "err.invalid")
	case !feedURL(f.URL):
		return errs.Invalid("url", "err.feed_url")
	case f.Kind == FeedTAXII && (f.APIRoot == "" || len(f.APIRoot) > MaxFeedURL || !feedText(f.APIRoot)):
		return errs.Invalid("api_root", "err.invalid")
	case f.Kind == FeedTAXII && (f.CollectionID == "" || len(f.CollectionID) > maxFeedKey || !feedText(f.CollectionID)):
		return errs.Invalid("collection_id", "err.invalid")
	case len(f.Username) > maxFeedKey || !feedText(f.Username):
		return errs.Invalid("username", "err.invalid")
	case len(f.Password) > maxFeedPassword || !feedText(f.Password):
		return errs.Invalid("password", "err.invalid")
	case f.DefaultTLP.Rank() == 0:
		return errs.Invalid("default_tlp", "err.invalid")
	case f.Confidence < 0 || f.Confidence > 100:
		return errs.Invalid("confidence", "err.invalid")
	case f.Interval < MinFeedInterval || f.Interval > MaxFeedInterval:
		return errs.Invalid("interval", "err.feed_interval", int(MinFeedInterval/time.Minute), int(MaxFeedInterval/(24*time.Hour)))
	}
	return nil
}

// feedText reports whether s is valid UTF-8 without control characters.
func feedText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// feedURL reports whether s is an http(s) URL with a host, without
// credentials or fragment, of at most MaxFeedURL bytes.
func feedURL(s string) bool {
	if len(s) > MaxFeedURL || !feedText(s) || strings.ContainsAny(s, " \\") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" && u.User == nil &&
		u.Fragment == "" && u.Opaque == ""
}

// sameSource reports whether a and b read from the same place, so that a
// cursor of one holds for the other.
func sameSource(a, b Feed) bool {
	return a.Kind == b.Kind && a.URL == b.URL && a.APIRoot == b.APIRoot && a.CollectionID == b.CollectionID
}

// FeedRun is the outcome of one pull.
type FeedRun struct {
	At time.Time `json:"at"`
	OK bool      `json:"ok"`
	// Error says why the pull failed (at most MaxFeedError bytes, no
	// credentials).
	Error   string `json:"error,omitempty"`
	Added   int    `json:"added"`
	Updated int    `json:"updated"`
	// Skipped counts the items left out (not indicators, invalid); it is
	// reported, not stored.
	Skipped int `json:"skipped"`
	// Cursor is where the next pull starts; stored only when OK.
	Cursor time.Time `json:"cursor,omitzero"`
}

// FeedStore persists feed subscriptions. Its methods are safe for
// concurrent use.
//
// CreateFeed stores f, run state included, and writes the stored form
// back (ID, times UTC µs, zero CreatedAt and UpdatedAt now); an unknown
// unit is errs.ErrInvalid and a name the unit already has errs.ErrConflict.
// ListFeeds returns the feeds of units (nil: every unit, non-nil empty:
// none) by id. UpdateFeed reads feed id, calls update on it and writes
// back every field but ID, UnitID, CreatedAt and the run results
// (LastRunAt, LastOK, LastError, LastAdded, LastUpdated) — the Cursor
// included — with UpdatedAt now, atomically (update must not call the
// store; its error is returned and nothing written). DeleteFeed removes a
// feed; the indicators it brought stay. RecordFeedRun stores a run
// atomically: LastRunAt = run.At, LastOK, LastError, LastAdded and
// LastUpdated always, the Cursor only when run.OK. Unknown ids are
// errs.ErrNotFound.
type FeedStore interface {
	CreateFeed(ctx context.Context, f *Feed) error
	GetFeed(ctx context.Context, id int64) (Feed, error)
	ListFeeds(ctx context.Context, units []int64) ([]Feed, error)
	UpdateFeed(ctx context.Context, id int64, update func(*Feed) error) (Feed, error)
	DeleteFeed(ctx context.Context, id int64) error
	RecordFeedRun(ctx context.Context, id int64, run FeedRun) error
}

// FeedOptions configure Feeds.
type FeedOptions struct {
	Audit *audit.Log
	// HTTP sends the requests of pulls; nil: a client with a 5-minute
	// timeout per request that refuses to connect to loopback, link-local
	// (cloud metadata services), unspecified and multicast addresses unless
	// AllowLocal: feeds are added by analysts, and the server must not
	// become their way into its own host.
	HTTP       *http.Client
	AllowLocal bool
	// Logger receives the outcome of scheduled pulls; nil discards it.
	Logger *slog.Logger
	// PullTimeout bounds one pull; 0: 30 minutes.
	PullTimeout time.Duration
	Now         func() time.Time
}

// Feeds manages feed subscriptions with authorisation and auditing, and
// pulls them: on demand (PullNow) and when due (PullDue, Run). A feed is
// pulled by one caller at a time. Its methods are safe for concurrent use.
type Feeds struct {
	store FeedStore
	intel *Service
	o     FeedOptions

	mu      sync.Mutex
	running map[int64]bool
}

// NewFeeds returns Feeds over store, upserting indicators through svc's
// store as svc.Import does (and refreshing svc's matcher).
func NewFeeds(store FeedStore, svc *Service, o FeedOptions) *Feeds {
	if o.HTTP == nil {
		o.HTTP = feedClient(o.AllowLocal)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Logger = o.Logger.With("component", "intel")
	if o.PullTimeout <= 0 {
		o.PullTimeout = defaultPullTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Feeds{store: store, intel: svc, o: o, running: map[int64]bool{}}
}

func (s *Feeds) record(ctx context.Context, p *authz.Principal, action string, f Feed, detail string) error {
	if s.o.Audit == nil {
		return nil
	}
	return s.o.Audit.Record(ctx, audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: f.UnitID,
		Action: action, Target: "feed:" + strconv.FormatInt(f.ID, 10), Detail: detail})
}

// nameTaken turns a conflict of the store into the user's message.
func nameTaken(err error) error {
	if errors.Is(err, errs.ErrConflict) {
		return &errs.PublicError{Kind: errs.ErrConflict, Key: "err.feed_name_taken", Field: "name"}
	}
	return err
}

// Create validates and stores a new feed (hunt.write on its unit). The
// run state is reset: it is first pulled when the scheduler next looks.
func (s *Feeds) Create(ctx context.Context, p *authz.Principal, f Feed) (Feed, error) {
	if err := p.Authorize(authz.PermHuntWrite, f.UnitID); err != nil {
		return Feed{}, err
	}
	if err := f.Validate(); err != nil {
		return Feed{}, err
	}
	now := s.o.Now()
	f.ID, f.Cursor, f.LastRunAt, f.LastOK, f.LastError, f.LastAdded, f.LastUpdated = 0, time.Time{}, time.Time{}, false, "", 0, 0
	f.CreatedAt, f.UpdatedAt = now, now
	if err := s.store.CreateFeed(ctx, &f); err != nil {
		return Feed{}, nameTaken(err)
	}
	return f, s.record(ctx, p, "intel.feed_create", f, string(f.Kind)+" "+f.Name+" "+f.URL)
}

// Get returns a feed p may see (event.read on its unit).
func (s *Feeds) Get(ctx context.Context, p *authz.Principal, id int64) (Feed, error) {
	f, err := s.store.GetFeed(ctx, id)
	if err != nil {
		return Feed{}, err
	}
	return f, p.Authorize(authz.PermEventRead, f.UnitID)
}

// List returns the feeds of p's units, by id.
func (s *Feeds) List(ctx context.Context, p *authz.Principal) ([]Feed, error) {
	if err := p.Authorize(authz.PermEventRead, 0); err != nil {
		return nil, err
	}
	var units []int64
	if !p.All {
		units = p.ScopeList()
	}
	return s.store.ListFeeds(ctx, units)
}

// Update replaces the settings of feed id (hunt.write on its unit) with
// those of in: Name, Kind, URL, APIRoot, CollectionID, Username,
// Password, DefaultTLP, Confidence, Interval and Enabled. An empty
// Password keeps the stored one, unless Username is empty too. When the
// feed then reads from elsewhere (kind, URL, API root or collection), its
// Cursor is reset so that the next pull starts from the beginning.
func (s *Feeds) Update(ctx context.Context, p *authz.Principal, id int64, in Feed) (Feed, error) {
	cur, err := s.store.GetFeed(ctx, id)
	if err != nil {
		return Feed{}, err
	}
	if err := p.Authorize(authz.PermHuntWrite, cur.UnitID); err != nil {
		return Feed{}, err
	}
	f, err := s.store.UpdateFeed(ctx, id, func(f *Feed) error {
		v := *f
		v.Name, v.Kind, v.URL, v.APIRoot, v.CollectionID = in.Name, in.Kind, in.URL, in.APIRoot, in.CollectionID
		v.Username, v.DefaultTLP, v.Confidence, v.Interval, v.Enabled = in.Username, in.DefaultTLP, in.Confidence, in.Interval, in.Enabled
		if in.Password != "" || strings.TrimSpace(in.Username) == "" {
			v.Password = in.Password
		}
		if err := v.Validate(); err != nil {
			return err
		}
		if !sameSource(*f, v) {
			v.Cursor = time.Time{}
		}
		*f = v
		return nil
	})
	if err != nil {
		return Feed{}, nameTaken(err)
	}
	return f, s.record(ctx, p, "intel.feed_update", f, string(f.Kind)+" "+f.Name+" "+f.URL)
}

// Delete removes feed id (hunt.write on its unit); the indicators it
// brought stay.
func (s *Feeds) Delete(ctx context.Context, p *authz.Principal, id int64) error {
	f, err := s.store.GetFeed(ctx, id)
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermHuntWrite, f.UnitID); err != nil {
		return err
	}
	if err := s.store.DeleteFeed(ctx, id); err != nil {
		return err
	}
	return s.record(ctx, p, "intel.feed_delete", f, f.Name)
}

// PullNow pulls feed id at once, enabled or not (hunt.write on its unit),
// and returns the run, failed or not (run.OK, run.Error). Its error is
// for what kept a run from being recorded: errs.ErrConflict when the feed
// is being pulled already, the end of ctx, a failure of the store.
func (s *Feeds) PullNow(ctx context.Context, p *authz.Principal, id int64) (FeedRun, error) {
	f, err := s.store.GetFeed(ctx, id)
	if err != nil {
		return FeedRun{}, err
	}
	if err := p.Authorize(authz.PermHuntWrite, f.UnitID); err != nil {
		return FeedRun{}, err
	}
	run, err := s.pull(ctx, f)
	if err != nil {
		return run, err
	}
	detail := fmt.Sprintf("%s: %d new, %d updated, %d skipped", f.Name, run.Added, run.Updated, run.Skipped)
	if !run.OK {
		detail = f.Name + ": " + run.Error
	}
	return run, s.record(ctx, p, "intel.feed_pull", f, detail)
}

// Due returns the enabled feeds of list that are due at now: never
// pulled, or last pulled at least Interval (DefaultFeedInterval when not
// positive) before now.
func Due(list []Feed, now time.Time) []Feed {
	var out []Feed
	for _, f := range list {
		every := f.Interval
		if every <= 0 {
			every = DefaultFeedInterval
		}
		if f.Enabled && (f.LastRunAt.IsZero() || !f.LastRunAt.Add(every).After(now)) {
			out = append(out, f)
		}
	}
	return out
}

// PullDue pulls, one after the other, every feed that is due. The failure
// of a feed is recorded with it and logged, and the others are pulled
// all the same; PullDue returns only the errors of listing the feeds and
// of recording runs, and stops when ctx is done.
func (s *Feeds) PullDue(ctx context.Context) error {
	list, err := s.store.ListFeeds(ctx, nil)
	if err != nil {
		return fmt.Errorf("pull feeds: %w", err)
	}
	var errList []error
	for _, f := range Due(list, s.o.Now()) {
		if ctx.Err() != nil {
			break
		}
		run, recErr := s.pull(ctx, f)
		switch {
		case errors.Is(recErr, errs.ErrConflict):
			// Pulled by someone else right now.
		case recErr != nil:
			errList = append(errList, fmt.Errorf("pull feed %d: %w", f.ID, recErr))
		case !run.OK:
			s.o.Logger.Warn("feed pull failed", "feed", f, "err", run.Error)
		default:
			s.o.Logger.Debug("feed pulled", "feed", f, "added", run.Added, "updated", run.Updated, "skipped", run.Skipped)
		}
	}
	return errors.Join(errList...)
}

// Run calls PullDue every interval (a minute when not positive) until ctx
// is done, logging its errors.
func (s *Feeds) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.PullDue(ctx); err != nil && ctx.Err() == nil {
				s.o.Logger.Warn("feed pulls failed", "err", err)
			}
		}
	}
}

// Pull reads what is new in f since its Cursor, upserts the indicators
// into f.UnitID and records the run (RecordFeedRun). The error is the
// pull's (also in run.Error, run.OK false) or that of recording the run;
// a feed that is being pulled already gives errs.ErrConflict and no run.
// When ctx ends during the pull nothing is recorded and ctx's error is
// returned; a pull that exceeds FeedOptions.PullTimeout is a failed run.
func (s *Feeds) Pull(ctx context.Context, f Feed) (FeedRun, error) {
	run, err := s.pull(ctx, f)
	switch {
	case err != nil:
		return run, fmt.Errorf("pull feed %d: %w", f.ID, err)
	case !run.OK:
		return run, fmt.Errorf("pull feed %d: %s", f.ID, run.Error)
	}
	return run, nil
}

// pull runs and records one pull and returns the run and the error of
// recording it (or errs.ErrConflict, or ctx's error).
func (s *Feeds) pull(ctx context.Context, f Feed) (FeedRun, error) {
	s.mu.Lock()
	if s.running[f.ID] {
		s.mu.Unlock()
		return FeedRun{}, errs.Public(errs.ErrConflict, "err.feed_running")
	}
	s.running[f.ID] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, f.ID)
		s.mu.Unlock()
	}()

	run := FeedRun{At: s.o.Now(), Cursor: f.Cursor}
	pctx, cancel := context.WithTimeout(ctx, s.o.PullTimeout)
	cursor, err := s.fetch(pctx, f, run.At, &run)
	cancel()
	if run.Added+run.Updated > 0 {
		s.intel.invalidate()
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return run, ctxErr
	}
	if err != nil {
		run.Error = clipText(strings.ToValidUTF8(err.Error(), "?"), MaxFeedError-len("…"))
	} else {
		run.OK, run.Cursor = true, cursor
	}
	if err := s.store.RecordFeedRun(ctx, f.ID, run); err != nil {
		return run, fmt.Errorf("record run: %w", err)
	}
	return run, nil
}

// fetch reads f from cursor on, upserting each batch, and adds up the
// counts in run. It returns the cursor of the next pull.
func (s *Feeds) fetch(ctx context.Context, f Feed, at time.Time, run *FeedRun) (time.Time, error) {
	o := ImportOptions{UnitID: f.UnitID, Source: f.Name, DefaultTLP: f.DefaultTLP, DefaultConfidence: f.Confidence,
		Now: s.o.Now}
	upsert := func(b Batch) error {
		run.Skipped += len(b.Skipped)
		if len(b.Indicators) == 0 {
			return nil
		}
		for i := range b.Indicators {
			// The same source on every page and pull: see the comment at
			// the top of this file.
			b.Indicators[i].UnitID, b.Indicators[i].Source = f.UnitID, f.Name
		}
		ins, upd, err := s.intel.store.UpsertIndicators(ctx, b.Indicators)
		if err != nil {
			return fmt.Errorf("store indicators: %w", err)
		}
		run.Added, run.Updated = run.Added+ins, run.Updated+upd
		return nil
	}
	switch f.Kind {
	case FeedTAXII:
		c := &TAXIIClient{BaseURL: f.URL, Username: f.Username, Password: f.Password, HTTP: s.o.HTTP}
		return c.Objects(ctx, f.APIRoot, f.CollectionID, f.Cursor, func(envelope []byte) error {
			b, err := ParseSTIXBundle(bytes.NewReader(envelope), o)
			if err != nil {
				return err
			}
			return upsert(b)
		})
	case FeedMISP:
		base, err := url.Parse(f.URL)
		if err != nil {
			return f.Cursor, fmt.Errorf("misp feed: %w", err)
		}
		tap := &mispTap{next: s.o.HTTP.Transport, host: base.Host, username: f.Username, password: f.Password}
		if tap.next == nil {
			tap.next = http.DefaultTransport
		}
		hc := *s.o.HTTP
		hc.Transport = tap
		if err := (MISPFeed{BaseURL: f.URL, HTTP: &hc}).Fetch(ctx, f.Cursor, o, upsert); err != nil {
			return f.Cursor, err
		}
		cursor := f.Cursor
		if latest := tap.latestEvent(); latest.After(cursor) {
			cursor = latest
		}
		if cursor.After(at) {
			cursor = at // a publisher's clock ahead: ask again for what is newer than now
		}
		return cursor, nil
	}
	return f.Cursor, fmt.Errorf("feed kind %q", f.Kind)
}

// mispTap is the transport of a MISP feed pull: it adds the feed's
// credentials to requests for the feed's host, and notes the newest
// event timestamp of the manifest that MISPFeed.Fetch reads, which is the
// cursor of the next pull when this one succeeds.
type mispTap struct {
	next               http.RoundTripper
	host               string
	username, password string

	mu     sync.Mutex
	latest time.Time
}

func (t *mispTap) RoundTrip(req *http.Request) (*http.Response, error) {
	if (t.username != "" || t.password != "") && req.URL.Host == t.host {
		req = req.Clone(req.Context())
		req.SetBasicAuth(t.username, t.password)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || path.Base(req.URL.Path) != "manifest.json" {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, mispMaxDocument+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var manifest map[string]json.RawMessage
	if json.Unmarshal(body, &manifest) == nil {
		t.mu.Lock()
		for _, raw := range manifest {
			var meta struct {
				Timestamp mispStr `json:"timestamp"`
			}
			_ = json.Unmarshal(raw, &meta) // no usable timestamp: Fetch reads the event every time
			if ts := mispTime(meta.Timestamp.String()); ts.After(t.latest) {
				t.latest = ts
			}
		}
		t.mu.Unlock()
	}
	return resp, nil
}

func (t *mispTap) latestEvent() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.latest
}

// feedClient is the HTTP client of pulls: a 5-minute timeout per request
// and, unless allowLocal, no connection to a loopback, link-local,
// unspecified or multicast address (checked on the address dialled, after
// name resolution and on every redirect).
func feedClient(allowLocal bool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the address checked is the one connected to
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if !allowLocal {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil {
				return fmt.Errorf("feed address %q: %w", host, err)
			}
			if LocalAddr(ip) {
				return fmt.Errorf("feeds may not connect to %s (loopback, link-local, unspecified or multicast)", ip)
			}
			return nil
		}
	}
	tr.DialContext = d.DialContext
	return &http.Client{Timeout: 5 * time.Minute, Transport: tr}
}

// LocalAddr reports whether a feed pull must not connect to ip.
func LocalAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() ||
		ip.IsMulticast() || ip.IsUnspecified()
}
