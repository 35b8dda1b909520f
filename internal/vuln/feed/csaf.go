package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/vuln/advisory"
)

const (
	// csafWorkers is how many documents a CSAF run fetches at once.
	csafWorkers = 4
	// csafBatch is how many documents a CSAF run stores per call.
	csafBatch = 100
	// maxCSAFLine bounds a line of changes.csv, and maxCSAFPath a path in
	// it, in bytes.
	maxCSAFLine = 4 << 10
	maxCSAFPath = 1 << 10
	// maxHashFile bounds a .sha256 or .sha512 file, in bytes.
	maxHashFile = 4 << 10
	// maxFeedName is the longest feed name the stores accept, in bytes.
	maxFeedName = 255
)

// ErrHashMismatch is wrapped by the error for a CSAF document whose
// SHA-256 or SHA-512 differs from the hash file published next to it.
var ErrHashMismatch = errors.New("hash mismatch")

// csafChange is one document of changes.csv: its path relative to the
// directory and its current_release_date.
type csafChange struct {
	path string
	time time.Time
}

// csafFeedName names the feed of the CSAF directory rawURL: "csaf:" and
// the URL's host and path, without scheme, user information, query or
// trailing slash, so that one directory keeps one name (and one cursor)
// however it is written. A name over 255 bytes is cut and ends with "~"
// and 16 hex digits of the SHA-256 of the whole.
func csafFeedName(rawURL string) string {
	var s string
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		s = strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/")
	} else {
		s = printable(rawURL, 2*maxFeedName)
	}
	name := "csaf:" + strings.ToValidUTF8(s, "?")
	if len(name) <= maxFeedName {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := "~" + hex.EncodeToString(sum[:8])
	cut := maxFeedName - len(suffix)
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + suffix
}

// csafDir checks a configured directory URL and returns it ending in "/".
func csafDir(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("csaf directory %s: not an http(s) URL", redact(rawURL))
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		bare := *u // the query may hold a token: not repeated
		bare.RawQuery, bare.ForceQuery, bare.Fragment, bare.RawFragment = "", false, "", ""
		return "", fmt.Errorf("csaf directory %s: a directory URL has no query or fragment", redact(bare.String()))
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u.String(), nil
}

// fetchCSAF fetches the documents of a CSAF provider's directory that
// changed since cursor (on the first run, within CSAFFirstDays), at most
// CSAFMaxPerRun of them, oldest first, and stores their advisories. The
// cursor is the changes.csv time of the newest document stored; it never
// splits documents of one time, and never passes one not stored. When a
// run has taken every change listed, the cursor keeps changes.csv's
// validator too, and the next run's request of it is conditional: a 304
// means nothing changed.
func (f *Fetcher) fetchCSAF(ctx context.Context, name, rawDir, cursor string) (outcome, error) {
	dir, err := csafDir(rawDir)
	if err != nil {
		return outcome{}, err
	}
	var since time.Time
	cursor, cond := splitValidator(cursor)
	if cursor != "" {
		if since, err = time.Parse(time.RFC3339Nano, cursor); err != nil {
			f.logger().Warn("vuln feed cursor unreadable, starting afresh", "feed", name, "cursor", cursor)
			cursor, cond = "", validator{}
		}
	}
	u := dir + "changes.csv"
	data, resp, err := f.readLimited(ctx, request{url: u, cond: cond}, MaxCSAFChanges)
	if err != nil {
		return outcome{}, err
	}
	if resp.notModified {
		return outcome{cursor: withValidator(cursor, resp.validator), notModified: true}, nil
	}
	changes, err := parseCSAFChanges(data)
	if err != nil {
		return outcome{}, bodyError(u, err)
	}

	// Each document once, at its latest change (a document changed twice
	// is listed twice).
	latest := make(map[string]time.Time, len(changes))
	var newest time.Time
	for _, c := range changes {
		if t, ok := latest[c.path]; !ok || c.time.After(t) {
			latest[c.path] = c.time
		}
		newest = later(newest, c.time)
	}

	first := cursor == ""
	if first {
		days := f.Config.CSAFFirstDays
		if days <= 0 {
			days = DefaultCSAFFirstDays
		}
		since = f.now().AddDate(0, 0, -days)
	}
	var todo []csafChange
	for p, t := range latest {
		if t.After(since) || (first && t.Equal(since)) {
			todo = append(todo, csafChange{path: p, time: t})
		}
	}
	if len(todo) == 0 {
		if first {
			// Nothing within the first days: what is older is for
			// importing as files, and the next run starts after it.
			return outcome{cursor: withValidator(formatCursor(newest), resp.validator)}, nil
		}
		return outcome{cursor: withValidator(cursor, resp.validator)}, nil
	}
	slices.SortFunc(todo, func(a, b csafChange) int {
		if c := a.time.Compare(b.time); c != 0 {
			return c
		}
		return strings.Compare(a.path, b.path)
	})
	done := resp.validator // every change listed taken: changes.csv's validator, for the cursor
	if limit := f.csafMaxPerRun(); len(todo) > limit {
		cut := csafCut(todo, limit)
		f.logger().Info("vuln feed has more changes than a run takes, going on next run", "feed", name,
			"changed", len(todo), "this_run", cut, "limit", limit)
		if cut < len(todo) {
			todo, done = todo[:cut], validator{}
		}
	}

	run := &csafRun{f: f, dir: dir}
	written, stored := 0, 0
	for stored < len(todo) {
		batch := todo[stored:min(stored+csafBatch, len(todo))]
		advs, n, ferr := run.documents(ctx, batch)
		if len(advs) > 0 {
			w, err := f.Sink.StoreAdvisories(ctx, advs)
			written += w
			if err != nil {
				return outcome{cursor: csafProgress(todo, stored), written: written}, fmt.Errorf("store csaf advisories: %w", err)
			}
		}
		stored += n
		if ferr != nil {
			return outcome{cursor: csafProgress(todo, stored), written: written}, ferr
		}
	}
	if run.stale > 0 {
		f.logger().Warn("vuln feed csaf documents older than changes.csv says", "feed", name,
			"documents", run.stale, "example", run.staleExample)
	}
	return outcome{cursor: withValidator(formatCursor(todo[len(todo)-1].time), done), written: written}, nil
}

func (f *Fetcher) csafMaxPerRun() int {
	if f.Config.CSAFMaxPerRun <= 0 {
		return DefaultCSAFMaxPerRun
	}
	return f.Config.CSAFMaxPerRun
}

// csafCut returns how many of the sorted changes a capped run takes: at
// most limit, ending before the time the limit falls in so that the
// cursor can pass all of its documents; but the whole first time when it
// alone is over the limit, or the feed would never move on.
func csafCut(todo []csafChange, limit int) int {
	cut := limit
	for cut > 0 && todo[cut].time.Equal(todo[cut-1].time) {
		cut--
	}
	if cut > 0 {
		return cut
	}
	cut = limit
	for cut < len(todo) && todo[cut].time.Equal(todo[cut-1].time) {
		cut++
	}
	return cut
}

// csafProgress is the cursor after the first n of the sorted changes
// todo were stored: the time of the last one, unless documents of that
// time remain, then the time before it ("" when there is none: the
// cursor stays).
func csafProgress(todo []csafChange, n int) string {
	if n == 0 {
		return ""
	}
	t := todo[n-1].time
	if n < len(todo) && todo[n].time.Equal(t) {
		for n > 0 && todo[n-1].time.Equal(t) {
			n--
		}
		if n == 0 {
			return ""
		}
		t = todo[n-1].time
	}
	return formatCursor(t)
}

// csafRun is one run's fetching of documents from a directory.
type csafRun struct {
	f   *Fetcher
	dir string

	mu           sync.Mutex
	stale        int    // documents whose current_release_date is before their changes.csv time
	staleExample string // the path of one
}

// documents fetches, checks and parses the documents of batch, a few at a
// time, and returns their advisories in batch order with how many
// documents they come from: all of them, or those before the first that
// failed, with its error. Once one has failed, no other starts.
func (r *csafRun) documents(ctx context.Context, batch []csafChange) ([]advisory.Advisory, int, error) {
	type result struct {
		advs []advisory.Advisory
		err  error
	}
	res := make([]result, len(batch))
	next := make(chan int)
	failed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for range min(csafWorkers, len(batch)) {
		wg.Go(func() {
			for i := range next {
				advs, err := r.document(ctx, batch[i])
				res[i] = result{advs, err}
				if err != nil {
					once.Do(func() { close(failed) })
				}
			}
		})
	}
	// Documents are handed out in order: when one fails, every earlier
	// one has started and is waited for.
	sent := 0
send:
	for ; sent < len(batch); sent++ {
		select {
		case next <- sent:
		case <-failed:
			break send
		case <-ctx.Done():
			break send
		}
	}
	close(next)
	wg.Wait()
	var advs []advisory.Advisory
	for i := range sent {
		if res[i].err != nil {
			return advs, i, res[i].err
		}
		advs = append(advs, res[i].advs...)
	}
	if sent < len(batch) {
		return advs, sent, context.Cause(ctx)
	}
	return advs, sent, nil
}

// document fetches one document, checks it against its hash file when
// the provider publishes one, and parses it.
func (r *csafRun) document(ctx context.Context, c csafChange) ([]advisory.Advisory, error) {
	u := r.dir + c.path // the path's characters need no escaping
	data, err := r.f.getLimited(ctx, u, advisory.MaxDocument)
	if err != nil {
		return nil, err
	}
	if err := r.f.checkHash(ctx, u, data); err != nil {
		return nil, err
	}
	advs, err := advisory.ParseCSAF(bytes.NewReader(data))
	if err != nil {
		return nil, bodyError(u, err)
	}
	for _, a := range advs {
		if a.Modified.Before(c.time) {
			// A stale copy (a cache behind changes.csv), or a provider
			// listing other times: stored all the same, and said once.
			r.mu.Lock()
			r.stale++
			if r.staleExample == "" {
				r.staleExample = c.path
			}
			r.mu.Unlock()
			break
		}
	}
	return advs, nil
}

// hashes are the hash files a CSAF document may have next to it, in the
// order they are looked for (CSAF 2.0 §7.1.18).
var hashes = []struct {
	ext  string
	size int
	sum  func([]byte) []byte
}{
	{"sha256", sha256.Size, func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
	{"sha512", sha512.Size, func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }},
}

// checkHash compares data, the body of docURL, with the first of
// docURL.sha256 and docURL.sha512 the provider publishes (a 404 or 410
// means it does not); with neither, data is taken unchecked.
func (f *Fetcher) checkHash(ctx context.Context, docURL string, data []byte) error {
	for _, h := range hashes {
		hu := docURL + "." + h.ext
		body, err := f.getLimited(ctx, hu, maxHashFile)
		if se, ok := errors.AsType[*StatusError](err); ok && (se.StatusCode == http.StatusNotFound || se.StatusCode == http.StatusGone) {
			continue
		}
		if err != nil {
			return err
		}
		want, err := parseHashFile(body, h.size)
		if err != nil {
			return fmt.Errorf("%s: %w", redact(hu), err)
		}
		if got := h.sum(data); !bytes.Equal(got, want) {
			return fmt.Errorf("%s: %w: %s %x, %s says %x", redact(docURL), ErrHashMismatch, h.ext, got, redact(hu), want)
		}
		return nil
	}
	return nil
}

// parseHashFile reads a hash file: the hash in hex (size bytes), then
// optionally white space and anything (sha256sum writes the file name).
func parseHashFile(data []byte, size int) ([]byte, error) {
	s := string(data)
	if i := strings.IndexAny(s, " \t\r\n"); i >= 0 {
		s = s[:i]
	}
	sum, err := hex.DecodeString(s)
	if err != nil || len(sum) != size {
		return nil, fmt.Errorf("malformed hash file: want %d hex digits first, have %q", 2*size, printable(s, 2*size+8))
	}
	return sum, nil
}

// parseCSAFChanges reads a changes.csv (CSAF 2.0 §7.1.13): one line per
// change, `"<path>","<current_release_date>"`, newest first (the order
// is not relied upon). Each path must be relative and clean (see
// csafPath) and each time RFC 3339. Blank lines are skipped; any other
// line is an error naming it, and nothing is returned.
func parseCSAFChanges(data []byte) ([]csafChange, error) {
	bad := func(line int, format string, args ...any) error {
		return &advisory.Error{Kind: advisory.ErrMalformed, Format: "csaf changes.csv", Path: fmt.Sprintf("line %d", line),
			Msg: fmt.Sprintf(format, args...)}
	}
	var out []csafChange
	for n, text := range strings.Split(string(data), "\n") {
		line := n + 1
		if len(text) > maxCSAFLine {
			return nil, bad(line, "line longer than %d bytes", maxCSAFLine)
		}
		text = strings.TrimSuffix(text, "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if !utf8.ValidString(text) {
			return nil, bad(line, "not UTF-8")
		}
		inner, ok1 := strings.CutPrefix(text, `"`)
		inner, ok2 := strings.CutSuffix(inner, `"`)
		p, ts, ok3 := strings.Cut(inner, `","`)
		if !ok1 || !ok2 || !ok3 || strings.Contains(ts, `"`) {
			return nil, bad(line, `want two quoted fields, "<path>","<time>", have %q`, printable(text, 200))
		}
		if why := csafPath(p); why != "" {
			return nil, bad(line, "bad path %q: %s", printable(p, 200), why)
		}
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil || t.Year() < 1900 {
			return nil, bad(line, "bad time %q, want RFC 3339", printable(ts, 100))
		}
		out = append(out, csafChange{path: p, time: t.UTC()})
	}
	return out, nil
}

// csafPath says what is wrong with p as the path of a document in a
// directory ("" when nothing): it must be relative, clean (no empty, "."
// or ".." segment), of ASCII letters, digits and "+-_./" only (the
// characters of CSAF file names, so no scheme, query, escape or
// backslash), and end in ".json".
func csafPath(p string) string {
	switch {
	case p == "":
		return "empty"
	case len(p) > maxCSAFPath:
		return fmt.Sprintf("longer than %d bytes", maxCSAFPath)
	case strings.HasPrefix(p, "/"):
		return "absolute"
	case strings.Contains(p, `\`):
		return "backslash"
	case strings.Contains(p, ":"):
		return "not a relative path"
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "not clean"
		}
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+-_./", r)) {
			return fmt.Sprintf("character %q", r)
		}
	}
	if base := p[strings.LastIndex(p, "/")+1:]; len(base) <= len(".json") || !strings.HasSuffix(base, ".json") {
		return "not a .json file"
	}
	return ""
}
