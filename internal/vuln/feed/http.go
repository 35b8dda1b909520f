package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"khien.vn/khien/internal/vuln/advisory"
)

// ErrTooLarge is wrapped by the error for a response over Fetcher.MaxBytes.
var ErrTooLarge = errors.New("response too large")

// StatusError is a response whose status is not 2xx.
type StatusError struct {
	URL        string // without user information
	StatusCode int
	// Body is the start of the response body (or NVD's message header
	// when the body is empty), printable characters only.
	Body string

	// retryAfter is the response's Retry-After, when hasRetryAfter.
	retryAfter    time.Duration
	hasRetryAfter bool
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// maxExcerpt bounds StatusError.Body, in bytes.
const maxExcerpt = 300

// maxETag bounds an ETag kept for a conditional request, in bytes.
const maxETag = 256

// request is one GET of a feed.
type request struct {
	url    string
	header http.Header // extra fields; nil: none
	// minWait is the shortest wait before a retry: NVD's pause, so that
	// retries keep to its rate limit too.
	minWait time.Duration
	// cond, when set, makes the request conditional (If-None-Match, else
	// If-Modified-Since): a 304 answer is then not an error.
	cond validator
}

// response is the answer to a request: the body of a 2xx response,
// limited to MaxBytes (the caller closes it), with its validator; or,
// to a conditional request, notModified and no body.
type response struct {
	body        io.ReadCloser
	notModified bool
	validator   validator
}

// get requests rawURL with the extra header hdr and returns the body of a
// 2xx response, limited to MaxBytes; the caller closes it. Errors name the
// URL without user information.
func (f *Fetcher) get(ctx context.Context, rawURL string, hdr http.Header) (io.ReadCloser, error) {
	resp, err := f.open(ctx, request{url: rawURL, header: hdr})
	return resp.body, err
}

// open sends rq, repeating it after a transient failure (see retryWait),
// and returns the response: 2xx, or 304 to a conditional request. Any
// other status is a *StatusError. A retry waits as the response's
// Retry-After says (failing at once when that is over MaxRetryWait),
// else RetryWait doubled at each retry, give or take a quarter, at most
// MaxRetryWait; never less than rq.minWait. Once a body is returned,
// nothing is repeated: a body cut while read is the caller's error. When
// ctx ends, open returns at once, waiting or not.
func (f *Fetcher) open(ctx context.Context, rq request) (response, error) {
	where := redact(rq.url)
	for retry := 0; ; retry++ {
		resp, err := f.send(ctx, rq, where)
		if err == nil {
			return resp, nil
		}
		wait, again, why := f.retryWait(err, retry, rq.minWait)
		if !again || ctx.Err() != nil {
			if why != "" {
				err = fmt.Errorf("%w (%s)", err, why)
			}
			return response{}, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			// The feed's time would run out while waiting.
			return response{}, fmt.Errorf("%w (%d attempts; no time left to wait %v for another)", err, retry+1, wait)
		}
		f.logger().Warn("vuln feed request failed, retrying", "url", where, "err", f.errorText(err),
			"attempt", retry+1, "wait", wait)
		if werr := f.pauseFor(ctx, wait); werr != nil {
			return response{}, fmt.Errorf("GET %s: %w while waiting to retry after: %v", where, werr, f.errorText(err))
		}
	}
}

// send makes one attempt at rq. Its errors are a *StatusError (with
// Retry-After read), a *sendError (no response) or another error (no
// request could be made, or ctx ended).
func (f *Fetcher) send(ctx context.Context, rq request, where string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rq.url, nil)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return response{}, fmt.Errorf("GET %s: %w", where, err)
	}
	for k, v := range rq.header {
		req.Header[k] = v
	}
	rq.cond.set(req.Header)
	req.Header.Set("User-Agent", userAgent())
	hc := f.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // its URL is ours, maybe with user information
		}
		if cause := context.Cause(ctx); cause != nil {
			if errors.Is(err, ctx.Err()) {
				err = cause
			}
			return response{}, fmt.Errorf("GET %s: %w", where, err)
		}
		return response{}, &sendError{where: where, err: err}
	}
	if resp.StatusCode == http.StatusNotModified && !rq.cond.isZero() {
		resp.Body.Close()
		return response{notModified: true, validator: rq.cond.renewed(resp.Header)}, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4*maxExcerpt))
		excerpt := printable(string(b), maxExcerpt)
		if excerpt == "" {
			excerpt = printable(resp.Header.Get("message"), maxExcerpt) // NVD explains errors in this header
		}
		se := &StatusError{URL: where, StatusCode: resp.StatusCode, Body: excerpt}
		se.retryAfter, se.hasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), f.now())
		return response{}, se
	}
	limit := f.maxBytes()
	if resp.ContentLength > limit {
		resp.Body.Close()
		return response{}, fmt.Errorf("GET %s: %w: %d bytes, limit %d", where, ErrTooLarge, resp.ContentLength, limit)
	}
	return response{
		body:      &limitedBody{rc: resp.Body, left: limit, limit: limit, where: where},
		validator: validatorOf(resp.Header),
	}, nil
}

// sendError is a request that got no response: the connection failed,
// was reset or closed, or timed out, before any byte of a body.
type sendError struct {
	where string
	err   error
}

func (e *sendError) Error() string { return "GET " + e.where + ": " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// retryWait says whether err, met at the retry-th retry (0: the first
// attempt), is worth another attempt and after how long; when it is
// not, why says so when that is worth adding to the error ("" when
// not).
//
// Retried: HTTP 429, 502, 503 and 504, and a connection reset, closed or
// timed out before the response. Not retried: any other status (a 403
// included: NVD documents its rate limits but not how it refuses a
// request over them, and a 403 is also its answer to a bad API key; its
// pause keeps under the limits), a refused connection or unknown host
// (a setting to correct, not a moment to wait out), a response too
// large.
func (f *Fetcher) retryWait(err error, retry int, minWait time.Duration) (wait time.Duration, again bool, why string) {
	attempts := fmt.Sprintf("%d attempts", retry+1)
	if retry == 0 {
		attempts = ""
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		switch se.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		default:
			return 0, false, attempts
		}
		if retry >= f.retries() {
			return 0, false, attempts
		}
		if se.hasRetryAfter {
			if limit := f.maxRetryWait(); se.retryAfter > limit {
				why := fmt.Sprintf("Retry-After %v, over %v: not retried", se.retryAfter, limit)
				if attempts != "" {
					why = attempts + "; " + why
				}
				return 0, false, why
			}
			return max(se.retryAfter, minWait), true, ""
		}
		return f.backoff(retry, minWait), true, ""
	}
	if se, ok := errors.AsType[*sendError](err); ok && transient(se.err) && retry < f.retries() {
		return f.backoff(retry, minWait), true, ""
	}
	return 0, false, attempts
}

// transient reports whether err, from sending a request, is a connection
// reset, closed or timed out: worth another attempt.
func transient(err error) bool {
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// backoff is the wait before the retry-th retry (from 0) when the server
// does not say: RetryWait doubled retry times, give or take a quarter, at
// most MaxRetryWait, at least minWait.
func (f *Fetcher) backoff(retry int, minWait time.Duration) time.Duration {
	limit := f.maxRetryWait()
	d := f.retryBase()
	for range retry {
		if d >= limit {
			break
		}
		d *= 2
	}
	d = d - d/4 + rand.N(d/2+1)
	return max(min(d, limit), minWait)
}

// parseRetryAfter reads a Retry-After field: seconds, or an HTTP date
// (later than now; an earlier one means now). ok is false when there is
// none or it is unreadable.
func parseRetryAfter(s string, now time.Time) (d time.Duration, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if strings.Trim(s, "0123456789") == "" {
		const most = uint64(math.MaxInt64 / int64(time.Second))
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil { // out of range
			n = most
		}
		return time.Duration(min(n, most)) * time.Second, true
	}
	if t, err := http.ParseTime(s); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// pauseFor waits d, or less when ctx ends first (then it returns ctx's
// cause).
func (f *Fetcher) pauseFor(ctx context.Context, d time.Duration) error {
	if f.sleep != nil {
		return f.sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

// sleepCtx waits d, or less when ctx ends first (then it returns ctx's
// cause).
func sleepCtx(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// validator identifies the version of a document a feed last stored, for
// a conditional request: its ETag, else its Last-Modified (in the HTTP
// date form).
type validator struct {
	etag, lastModified string
}

func (v validator) isZero() bool { return v == validator{} }

// set makes a request conditional on v: If-None-Match, else
// If-Modified-Since.
func (v validator) set(h http.Header) {
	switch {
	case v.etag != "":
		h.Set("If-None-Match", v.etag)
	case v.lastModified != "":
		h.Set("If-Modified-Since", v.lastModified)
	}
}

// renewed is v after a 304 response with header h, which may carry the
// ETag anew (RFC 9110 §15.4.5): that ETag then replaces v.
func (v validator) renewed(h http.Header) validator {
	if n := validatorOf(h); n.etag != "" {
		return n
	}
	return v
}

// validatorOf reads the validator of a response: its ETag when usable
// (printable ASCII without spaces, at most maxETag bytes), else its
// Last-Modified when a valid HTTP date; zero when neither.
func validatorOf(h http.Header) validator {
	if e := h.Get("ETag"); validETag(e) {
		return validator{etag: e}
	}
	if lm := canonicalDate(h.Get("Last-Modified")); lm != "" {
		return validator{lastModified: lm}
	}
	return validator{}
}

// validETag reports whether e is an ETag to keep and send back: printable
// ASCII without spaces, at most maxETag bytes.
func validETag(e string) bool {
	if e == "" || len(e) > maxETag {
		return false
	}
	for i := range len(e) {
		if e[i] <= ' ' || e[i] >= 0x7f {
			return false
		}
	}
	return true
}

// canonicalDate returns the HTTP date s in the form http.TimeFormat, or
// "" when s is not one.
func canonicalDate(s string) string {
	t, err := http.ParseTime(s)
	if err != nil || t.Year() < 1970 {
		return ""
	}
	return t.UTC().Format(http.TimeFormat)
}

// Markers of the validator in a cursor.
const (
	etagMark     = " etag="
	modifiedMark = " last-modified="
)

// withValidator is the cursor key followed, when v is set, by v:
// `2025.03.18 etag="5f2a"` or
// `2025.03.18 last-modified=Tue, 18 Mar 2025 17:02:14 GMT`.
func withValidator(key string, v validator) string {
	switch {
	case v.etag != "":
		return key + etagMark + v.etag
	case v.lastModified != "":
		return key + modifiedMark + v.lastModified
	}
	return key
}

// splitValidator splits a cursor written by withValidator into its key
// and validator. A cursor without a validator (as written before
// conditional requests) is all key; an unusable validator is dropped
// (the request is then unconditional).
func splitValidator(cursor string) (key string, v validator) {
	if k, e, ok := strings.Cut(cursor, etagMark); ok {
		if validETag(e) {
			v.etag = e
		}
		return k, v
	}
	if k, lm, ok := strings.Cut(cursor, modifiedMark); ok {
		return k, validator{lastModified: canonicalDate(lm)}
	}
	return cursor, validator{}
}

// getAll reads the whole body of a 2xx response to rq.
func (f *Fetcher) getAll(ctx context.Context, rq request) ([]byte, error) {
	resp, err := f.open(ctx, rq)
	if err != nil {
		return nil, err
	}
	defer resp.body.Close()
	data, err := io.ReadAll(resp.body)
	if err != nil {
		return nil, readError(rq.url, err)
	}
	return data, nil
}

// getLimited reads the whole body of a 2xx response to rawURL, refusing
// more than limit bytes (as well as more than MaxBytes).
func (f *Fetcher) getLimited(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	data, _, err := f.readLimited(ctx, request{url: rawURL}, limit)
	return data, err
}

// readLimited is getLimited for rq: the response comes with the data,
// its body already read and closed; a 304 to a conditional request has
// no data.
func (f *Fetcher) readLimited(ctx context.Context, rq request, limit int64) ([]byte, response, error) {
	resp, err := f.open(ctx, rq)
	if err != nil || resp.notModified {
		return nil, resp, err
	}
	defer resp.body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.body, limit+1))
	if err != nil {
		return nil, response{}, readError(rq.url, err)
	}
	if int64(len(data)) > limit {
		return nil, response{}, fmt.Errorf("GET %s: %w: more than %d bytes", redact(rq.url), ErrTooLarge, limit)
	}
	resp.body = nil
	return data, resp, nil
}

// download saves the body of a 2xx response to rawURL in a temporary
// file and returns it, open, with its size; remove deletes it.
func (f *Fetcher) download(ctx context.Context, rawURL string) (file *os.File, size int64, remove func(), err error) {
	body, err := f.get(ctx, rawURL, nil)
	if err != nil {
		return nil, 0, nil, err
	}
	defer body.Close()
	tmp, err := os.CreateTemp(f.TempDir, "khien-feed-*")
	if err != nil {
		return nil, 0, nil, fmt.Errorf("download %s: %w", redact(rawURL), err)
	}
	remove = func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}
	size, err = io.Copy(tmp, body)
	if err != nil {
		remove()
		return nil, 0, nil, readError(rawURL, err)
	}
	return tmp, size, remove, nil
}

// bodyError wraps an error of a parser reading rawURL's body: the
// document's fault, or the body's.
func bodyError(rawURL string, err error) error {
	if _, ok := errors.AsType[*advisory.Error](err); ok {
		return parseError(rawURL, err)
	}
	return readError(rawURL, err)
}

// readError wraps an error met while reading rawURL's body.
func readError(rawURL string, err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err // names the URL already
	}
	return fmt.Errorf("GET %s: read: %w", redact(rawURL), err)
}

// limitedBody reads a response body up to limit bytes and fails, rather
// than stopping silently, when there is more.
type limitedBody struct {
	rc          io.ReadCloser
	left, limit int64
	where       string
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("GET %s: %w: more than %d bytes", b.where, ErrTooLarge, b.limit)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// redact returns rawURL without its user information (a mirror's
// credentials) for messages.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(bad URL)"
	}
	return u.Redacted()
}

// printable shortens s to about n bytes, on one line, without control
// characters.
func printable(s string, n int) string {
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "?")), " ")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}
