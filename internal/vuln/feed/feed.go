package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/version"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/advisory"
)

// Default sources and settings.
const (
	DefaultOSVBase = "https://osv-vulnerabilities.storage.googleapis.com"
	DefaultKEVURL  = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	DefaultNVDBase = "https://services.nvd.nist.gov/rest/json/cves/2.0"
	DefaultEPSSURL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"

	// DefaultNVDFirstDays is how far back the first NVD run goes.
	DefaultNVDFirstDays = 120
	// DefaultOSVMaxChanged is the most changed OSV records fetched one by
	// one; beyond it the ecosystem's all.zip is fetched.
	DefaultOSVMaxChanged = 5000
	// DefaultCSAFFirstDays is how far back the first run of a CSAF
	// directory goes.
	DefaultCSAFFirstDays = 90
	// DefaultCSAFMaxPerRun is the most documents a run of a CSAF directory
	// stores; the next run goes on from there.
	DefaultCSAFMaxPerRun = 1000
	// MaxCSAFChanges bounds a CSAF directory's changes.csv, in bytes.
	MaxCSAFChanges = 64 << 20
	// DefaultMaxBytes bounds one response (npm's all.zip is over 200 MB).
	DefaultMaxBytes = 1 << 30
	// DefaultFeedTimeout bounds one feed's run.
	DefaultFeedTimeout = time.Hour

	// DefaultRetries is how many times a request is repeated after a
	// transient failure (HTTP 429, 502, 503, 504, or the connection reset
	// or timed out before a response): 4 attempts in all.
	DefaultRetries = 3
	// DefaultRetryWait is the wait before the first retry when the server
	// does not say (Retry-After), doubled before each next one (2 s, 4 s,
	// 8 s), give or take a quarter.
	DefaultRetryWait = 2 * time.Second
	// DefaultMaxRetryWait bounds the waits before retries; a Retry-After
	// asking for longer is not waited for: the request fails at once and
	// the next run tries again.
	DefaultMaxRetryWait = 2 * time.Minute

	// NVDPause and NVDPauseWithKey space NVD requests as its rate limits
	// ask: 5 requests in a rolling 30 seconds without an API key, 50 with
	// one.
	NVDPause        = 6 * time.Second
	NVDPauseWithKey = 600 * time.Millisecond
	// NVDMaxWindow is the longest lastMod range the NVD API accepts.
	NVDMaxWindow = 120 * 24 * time.Hour
	// NVDPageSize is the number of results asked per NVD page, the API's
	// maximum.
	NVDPageSize = 2000

	// MaxErrorText bounds FeedState.LastError, in bytes.
	MaxErrorText = 1000
)

// Config says which feeds to fetch, and where from. A feed with an empty
// URL (OSV: an empty base or no ecosystem) is off.
type Config struct {
	// OSVBase is the OSV bucket; OSVEcosystems the ecosystems to fetch,
	// named as in the bucket's ecosystems.txt ("Debian", "Ubuntu",
	// "Red Hat", "npm", "PyPI", "Go", "Maven"…), one feed each.
	OSVBase       string
	OSVEcosystems []string
	// OSVMaxChanged: when more records of an ecosystem changed since the
	// last run, its all.zip is fetched again instead (0:
	// DefaultOSVMaxChanged).
	OSVMaxChanged int
	// CSAFURLs are CSAF 2.0 providers' directories (directory-based
	// distribution: changes.csv at the root, documents under year
	// folders), such as
	// https://security.access.redhat.com/data/csaf/v2/advisories/; one
	// feed each, named "csaf:" and the URL's host and path. CSAFFirstDays
	// is how many days of changes the first run fetches (0:
	// DefaultCSAFFirstDays; older documents are imported as files);
	// CSAFMaxPerRun the most documents a run stores, oldest changes first
	// (0: DefaultCSAFMaxPerRun; the next run goes on from there).
	CSAFURLs      []string
	CSAFFirstDays int
	CSAFMaxPerRun int
	// KEVURL is CISA's known_exploited_vulnerabilities.json.
	KEVURL string
	// NVDBase is the NVD CVE API 2.0; NVDAPIKey, optional, raises its rate
	// limit (a secret: sent as a header, never logged); NVDFirstDays is
	// how many days the first run fetches (0: DefaultNVDFirstDays).
	NVDBase      string
	NVDAPIKey    string
	NVDFirstDays int
	// EPSSURL is FIRST's current EPSS scores file (.csv.gz).
	EPSSURL string
}

// DefaultConfig returns the public sources: KEV, NVD (last 120 days on the
// first run, no API key) and EPSS on, OSV's bucket set but no ecosystem
// chosen and no CSAF provider, since which ones matter depends on the
// software inventoried.
func DefaultConfig() Config {
	return Config{
		OSVBase:       DefaultOSVBase,
		OSVMaxChanged: DefaultOSVMaxChanged,
		CSAFFirstDays: DefaultCSAFFirstDays,
		CSAFMaxPerRun: DefaultCSAFMaxPerRun,
		KEVURL:        DefaultKEVURL,
		NVDBase:       DefaultNVDBase,
		NVDFirstDays:  DefaultNVDFirstDays,
		EPSSURL:       DefaultEPSSURL,
	}
}

// String describes c with the NVD API key and the URLs' user information
// masked.
func (c Config) String() string {
	key := ""
	if c.NVDAPIKey != "" {
		key = "***"
	}
	csaf := make([]string, len(c.CSAFURLs))
	for i, u := range c.CSAFURLs {
		csaf[i] = redact(u)
	}
	return fmt.Sprintf("osv=%s %v (max changed %d) csaf=%v (first days %d, max per run %d) kev=%s nvd=%s (api key %q, first days %d) epss=%s",
		redact(c.OSVBase), c.OSVEcosystems, c.OSVMaxChanged, csaf, c.CSAFFirstDays, c.CSAFMaxPerRun,
		redact(c.KEVURL), redact(c.NVDBase), key, c.NVDFirstDays, redact(c.EPSSURL))
}

// A Sink stores what the feeds bring. StoreAdvisories stores advs all or
// nothing, each replacing the stored advisory of the same source and id
// only when its Modified is later (or none is stored), and returns how
// many it wrote; StoreKEV and StoreEPSS replace the stored KEV catalogue
// and EPSS scores whole. The fetcher neither keeps nor changes the slices
// after a call returns. Methods stop when ctx is done. *vuln.Service
// implements it (dropping its match index when advisories change and
// re-flagging findings when the catalogue does).
type Sink interface {
	StoreAdvisories(ctx context.Context, advs []advisory.Advisory) (written int, err error)
	StoreKEV(ctx context.Context, catalogVersion string, list []advisory.KEV) error
	StoreEPSS(ctx context.Context, model string, scoreDate time.Time, list []advisory.EPSS) error
}

// State keeps the feeds' states: GetVulnFeed returns a feed's state by
// name (false when it never ran), PutVulnFeed inserts or replaces it.
// vuln.Store implements it.
type State interface {
	GetVulnFeed(ctx context.Context, name string) (vuln.FeedState, bool, error)
	PutVulnFeed(ctx context.Context, st vuln.FeedState) error
}

var _ State = vuln.Store(nil)

// Fetcher fetches the feeds of Config into Sink, keeping their states in
// State. Build it with New, or as a literal (zero fields then take the
// defaults below, except Pause). Its fields must not change while it
// runs; Run must not overlap another Run over the same State, as both
// would start from the same cursors.
type Fetcher struct {
	// HTTP sends the requests; nil: http.DefaultClient (New sets a client
	// that honours the proxy environment and times out stalled
	// responses). Requests end when their context does.
	HTTP   *http.Client
	Config Config
	Sink   Sink
	State  State
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Pause is the wait between two NVD requests; zero waits not at all.
	// New sets NVD's rate: NVDPause, or NVDPauseWithKey with an API key.
	Pause time.Duration
	// Logger receives a line per feed run; nil discards.
	Logger *slog.Logger
	// MaxBytes bounds each response; 0: DefaultMaxBytes.
	MaxBytes int64
	// FeedTimeout bounds one feed's run; 0: DefaultFeedTimeout.
	FeedTimeout time.Duration
	// TempDir receives all.zip downloads while they are read; "": the
	// system's temporary directory.
	TempDir string
	// Retries is how many times a request is repeated after a transient
	// failure: HTTP 429, 502, 503 or 504, or the connection reset, closed
	// or timed out before a response (never after any of a body was read,
	// nor after another status); 0: DefaultRetries, negative: none.
	Retries int
	// RetryWait is the wait before the first retry when the response has
	// no Retry-After, doubled before each next one, give or take a
	// quarter; 0: DefaultRetryWait. Retries of NVD requests wait at least
	// Pause.
	RetryWait time.Duration
	// MaxRetryWait bounds the waits before retries; a Retry-After (seconds
	// or an HTTP date, against Now) over it fails the request at once; 0:
	// DefaultMaxRetryWait.
	MaxRetryWait time.Duration

	// batch is how many records of an all.zip are stored per call; 0:
	// osvBatch (tests make it small).
	batch int
	// sleep waits before a retry, returning ctx's cause when ctx ends
	// first; nil: sleepCtx (tests record the waits instead).
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a Fetcher of cfg's feeds with the defaults filled in,
// including NVD's pause.
func New(cfg Config, sink Sink, state State, logger *slog.Logger) *Fetcher {
	pause := NVDPause
	if cfg.NVDAPIKey != "" {
		pause = NVDPauseWithKey
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = 2 * time.Minute
	return &Fetcher{
		HTTP:         &http.Client{Transport: tr},
		Config:       cfg,
		Sink:         sink,
		State:        state,
		Now:          time.Now,
		Pause:        pause,
		Logger:       logger,
		MaxBytes:     DefaultMaxBytes,
		FeedTimeout:  DefaultFeedTimeout,
		Retries:      DefaultRetries,
		RetryWait:    DefaultRetryWait,
		MaxRetryWait: DefaultMaxRetryWait,
	}
}

// feed is one feed of a run: fetch reads it from cursor on and stores it.
type feed struct {
	name  string
	fetch func(ctx context.Context, cursor string) (outcome, error)
}

// outcome is what a feed's fetch achieved: the cursor of the next run and
// how many records it wrote; notModified when the source answered that
// nothing changed since the cursor (HTTP 304). After an error, cursor is
// the progress made ("" when none: the old cursor stays).
type outcome struct {
	cursor      string
	written     int
	notModified bool
}

// feeds lists the configured feeds in run order.
func (f *Fetcher) feeds() []feed {
	c := f.Config
	var list []feed
	if c.OSVBase != "" {
		for _, eco := range c.OSVEcosystems {
			list = append(list, feed{name: "osv:" + eco, fetch: func(ctx context.Context, cursor string) (outcome, error) {
				return f.fetchOSV(ctx, eco, cursor)
			}})
		}
	}
	seen := map[string]bool{}
	for _, u := range c.CSAFURLs {
		name := csafFeedName(u)
		if u == "" || seen[name] {
			continue // one directory, one feed
		}
		seen[name] = true
		list = append(list, feed{name: name, fetch: func(ctx context.Context, cursor string) (outcome, error) {
			return f.fetchCSAF(ctx, name, u, cursor)
		}})
	}
	if c.KEVURL != "" {
		list = append(list, feed{name: "kev", fetch: f.fetchKEV})
	}
	if c.NVDBase != "" {
		list = append(list, feed{name: "nvd", fetch: f.fetchNVD})
	}
	if c.EPSSURL != "" {
		list = append(list, feed{name: "epss", fetch: f.fetchEPSS})
	}
	return list
}

// Run fetches every configured feed once, one after the other — the OSV
// ecosystems and then the CSAF directories in the order configured, then
// KEV, NVD and EPSS — and returns their states as recorded. A feed's
// failure is recorded in its state (LastError, its cursor left where its
// stored progress ends) and logged; the other feeds run all the same.
// When ctx ends, the feed running records its failure and no other
// starts.
func (f *Fetcher) Run(ctx context.Context) []vuln.FeedState {
	var out []vuln.FeedState
	for _, fd := range f.feeds() {
		if ctx.Err() != nil {
			break
		}
		out = append(out, f.runFeed(ctx, fd))
	}
	return out
}

// Schedule calls Run now and then every interval until ctx is done.
func (f *Fetcher) Schedule(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("vuln feed schedule: interval %v", every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		f.Run(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// runFeed runs one feed and records its state.
func (f *Fetcher) runFeed(ctx context.Context, fd feed) vuln.FeedState {
	log := f.logger().With("feed", fd.name)
	start := f.now()
	st, _, err := f.State.GetVulnFeed(ctx, fd.name)
	if err != nil {
		st = vuln.FeedState{Name: fd.name, LastRun: start, LastError: f.errorText(fmt.Errorf("read feed state: %w", err))}
		log.Error("vuln feed state unreadable", "err", st.LastError)
		return st
	}
	st.Name, st.LastRun = fd.name, start

	timeout := f.FeedTimeout
	if timeout <= 0 {
		timeout = DefaultFeedTimeout
	}
	tooLong := fmt.Errorf("feed %s took longer than %v", fd.name, timeout)
	fctx, cancel := context.WithTimeoutCause(ctx, timeout, tooLong)
	out, err := fd.fetch(fctx, st.Cursor)
	if err != nil && errors.Is(context.Cause(fctx), tooLong) && !errors.Is(err, tooLong) {
		err = fmt.Errorf("%w: %w", tooLong, err)
	}
	cancel()
	if err != nil {
		if out.cursor != "" {
			st.Cursor = out.cursor
		}
		st.LastError = f.errorText(err)
		log.Warn("vuln feed failed", "err", st.LastError, "cursor", st.Cursor)
	} else {
		st.Cursor, st.LastOK, st.LastError, st.Written = out.cursor, start, "", out.written
		if out.notModified {
			log.Info("vuln feed not modified", "cursor", st.Cursor)
		} else {
			log.Info("vuln feed fetched", "written", out.written, "cursor", st.Cursor)
		}
	}

	// The state is recorded even when ctx has just ended.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := f.State.PutVulnFeed(sctx, st); err != nil {
		// The next run repeats this one's work.
		st.LastError = f.errorText(fmt.Errorf("save feed state: %w", err))
		log.Error("vuln feed state not saved", "err", st.LastError)
	}
	return st
}

func (f *Fetcher) now() time.Time {
	if f.Now == nil {
		return time.Now().UTC()
	}
	return f.Now().UTC()
}

func (f *Fetcher) logger() *slog.Logger {
	if f.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return f.Logger.With("component", "vuln.feed")
}

func (f *Fetcher) retries() int {
	switch {
	case f.Retries < 0:
		return 0
	case f.Retries == 0:
		return DefaultRetries
	}
	return f.Retries
}

func (f *Fetcher) retryBase() time.Duration {
	if f.RetryWait <= 0 {
		return DefaultRetryWait
	}
	return f.RetryWait
}

func (f *Fetcher) maxRetryWait() time.Duration {
	if f.MaxRetryWait <= 0 {
		return DefaultMaxRetryWait
	}
	return f.MaxRetryWait
}

func (f *Fetcher) maxBytes() int64 {
	if f.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return f.MaxBytes
}

// errorText is err's text for FeedState.LastError and logs: without the
// NVD API key, valid UTF-8, at most MaxErrorText bytes.
func (f *Fetcher) errorText(err error) string {
	s := strings.ToValidUTF8(err.Error(), "?")
	if key := f.Config.NVDAPIKey; key != "" {
		s = strings.ReplaceAll(s, key, "[api key]")
	}
	if len(s) > MaxErrorText {
		cut := MaxErrorText - len("…")
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// userAgent names Khiên in requests.
func userAgent() string {
	return "Khien/" + version.Version + " (vulnerability feeds)"
}
