package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

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

// get requests rawURL with the extra header hdr and returns the body of a
// 2xx response, limited to MaxBytes; the caller closes it. Errors name the
// URL without user information.
func (f *Fetcher) get(ctx context.Context, rawURL string, hdr http.Header) (io.ReadCloser, error) {
	where := redact(rawURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return nil, fmt.Errorf("GET %s: %w", where, err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
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
		if cause := context.Cause(ctx); cause != nil && errors.Is(err, ctx.Err()) {
			err = cause
		}
		return nil, fmt.Errorf("GET %s: %w", where, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4*maxExcerpt))
		excerpt := printable(string(b), maxExcerpt)
		if excerpt == "" {
			excerpt = printable(resp.Header.Get("message"), maxExcerpt) // NVD explains errors in this header
		}
		return nil, &StatusError{URL: where, StatusCode: resp.StatusCode, Body: excerpt}
	}
	limit := f.maxBytes()
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %w: %d bytes, limit %d", where, ErrTooLarge, resp.ContentLength, limit)
	}
	return &limitedBody{rc: resp.Body, left: limit, limit: limit, where: where}, nil
}

// getAll reads the whole body of a 2xx response to rawURL.
func (f *Fetcher) getAll(ctx context.Context, rawURL string, hdr http.Header) ([]byte, error) {
	body, err := f.get(ctx, rawURL, hdr)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, readError(rawURL, err)
	}
	return data, nil
}

// getLimited reads the whole body of a 2xx response to rawURL, refusing
// more than limit bytes (as well as more than MaxBytes).
func (f *Fetcher) getLimited(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	body, err := f.get(ctx, rawURL, nil)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, readError(rawURL, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("GET %s: %w: more than %d bytes", redact(rawURL), ErrTooLarge, limit)
	}
	return data, nil
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
