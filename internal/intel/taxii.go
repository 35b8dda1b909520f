package intel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TAXIIMediaType is the media type of TAXII 2.1 requests and responses.
const TAXIIMediaType = "application/taxii+json;version=2.1"

const (
	// maxTAXIIResponse bounds one response body, like MaxBundleSize.
	maxTAXIIResponse = MaxBundleSize
	// maxTAXIIPages bounds the pages of one Objects call.
	maxTAXIIPages = 10_000
)

// TAXIIClient reads STIX objects from a TAXII 2.1 server. Its methods are
// safe for concurrent use; each honours its context.
type TAXIIClient struct {
	// BaseURL is the server's discovery URL ("https://cti.example/taxii2/");
	// a URL without a path gets "/taxii2/". Credentials in it are
	// ignored: use Username and Password.
	BaseURL string
	// Username and Password, when set, are sent with HTTP basic
	// authentication. The password never appears in errors.
	Username, Password string
	// HTTP sends the requests; nil means http.DefaultClient. Its Timeout,
	// if any, applies to each request.
	HTTP *http.Client
}

// TAXIIDiscovery is the answer of the discovery endpoint.
type TAXIIDiscovery struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Contact     string `json:"contact,omitempty"`
	// Default and APIRoots are URLs, resolved against BaseURL.
	Default  string   `json:"default,omitempty"`
	APIRoots []string `json:"api_roots,omitempty"`
}

// TAXIIAPIRoot describes an API root.
type TAXIIAPIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// TAXIICollection describes a collection of an API root.
type TAXIICollection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// TAXIIError is a TAXII server's answer with a status other than 2xx. It
// names the host and path but no credentials.
type TAXIIError struct {
	Host, Path string
	StatusCode int
	// Title is the server's error title (TAXII error message), if any.
	Title string
}

// Error names the host, path and status.
func (e *TAXIIError) Error() string {
	msg := fmt.Sprintf("taxii %s%s: HTTP %d %s", e.Host, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Title != "" {
		msg += ": " + e.Title
	}
	return msg
}

// Discovery returns the server's discovery information, with API root URLs
// made absolute.
func (c *TAXIIClient) Discovery(ctx context.Context) (TAXIIDiscovery, error) {
	base, err := c.discoveryURL()
	if err != nil {
		return TAXIIDiscovery{}, err
	}
	var d TAXIIDiscovery
	if _, err := c.getJSON(ctx, base, &d); err != nil {
		return TAXIIDiscovery{}, err
	}
	for i, r := range d.APIRoots {
		d.APIRoots[i] = resolveURL(base, r)
	}
	if d.Default != "" {
		d.Default = resolveURL(base, d.Default)
	}
	return d, nil
}

// APIRoot returns the description of an API root (a URL, or a path
// resolved against BaseURL).
func (c *TAXIIClient) APIRoot(ctx context.Context, apiRoot string) (TAXIIAPIRoot, error) {
	u, err := c.rootURL(apiRoot, "")
	if err != nil {
		return TAXIIAPIRoot{}, err
	}
	var r TAXIIAPIRoot
	_, err = c.getJSON(ctx, u, &r)
	return r, err
}

// Collections lists the collections of an API root.
func (c *TAXIIClient) Collections(ctx context.Context, apiRoot string) ([]TAXIICollection, error) {
	u, err := c.rootURL(apiRoot, "collections/")
	if err != nil {
		return nil, err
	}
	var r struct {
		Collections []TAXIICollection `json:"collections"`
	}
	if _, err := c.getJSON(ctx, u, &r); err != nil {
		return nil, err
	}
	return r.Collections, nil
}

// Objects pulls the objects added to a collection after addedAfter (all
// when zero), page by page, and calls fn with each page's envelope as
// received (ParseSTIXBundle reads it). It follows "more" with "next", or,
// from servers that give no "next", with the X-TAXII-Date-Added-Last of
// the page as the new added_after. It returns the latest
// X-TAXII-Date-Added-Last seen — the addedAfter to use next time — or
// addedAfter when the server sent none. An error of fn stops it and is
// returned as is.
func (c *TAXIIClient) Objects(ctx context.Context, apiRoot, collectionID string, addedAfter time.Time,
	fn func(envelope []byte) error) (last time.Time, err error) {
	if collectionID == "" {
		return addedAfter, errors.New("taxii objects: no collection id")
	}
	u, err := c.rootURL(apiRoot, "collections/"+url.PathEscape(collectionID)+"/objects/")
	if err != nil {
		return addedAfter, err
	}
	last = addedAfter
	after, next := addedAfter, ""
	for page := 0; ; page++ {
		if page == maxTAXIIPages {
			return last, fmt.Errorf("taxii objects: more than %d pages", maxTAXIIPages)
		}
		q := url.Values{}
		if !after.IsZero() {
			q.Set("added_after", after.UTC().Format(time.RFC3339Nano))
		}
		if next != "" {
			q.Set("next", next)
		}
		pageURL := *u
		pageURL.RawQuery = q.Encode()
		var env struct {
			More bool   `json:"more"`
			Next string `json:"next"`
		}
		resp, err := c.get(ctx, &pageURL)
		if err != nil {
			return last, err
		}
		if len(bytes.TrimSpace(resp.body)) > 0 {
			if err := json.Unmarshal(resp.body, &env); err != nil {
				return last, fmt.Errorf("taxii %s%s: not a TAXII envelope: %w", u.Host, u.Path, err)
			}
		}
		pageLast, _ := time.Parse(time.RFC3339Nano, resp.header.Get("X-TAXII-Date-Added-Last"))
		if pageLast.After(last) {
			last = pageLast
		}
		if len(resp.body) > 0 {
			if err := fn(resp.body); err != nil {
				return last, err
			}
		}
		switch {
		case !env.More:
			return last, nil
		case env.Next != "":
			if env.Next == next {
				return last, fmt.Errorf("taxii %s%s: the server repeats the same next", u.Host, u.Path)
			}
			next = env.Next
		case pageLast.After(after):
			after, next = pageLast, ""
		default:
			return last, fmt.Errorf("taxii %s%s: more objects but no next and no later X-TAXII-Date-Added-Last", u.Host, u.Path)
		}
	}
}

func (c *TAXIIClient) discoveryURL() (*url.URL, error) {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("taxii: base URL is not an http(s) URL")
	}
	u.User = nil
	if u.Path == "" || u.Path == "/" {
		u.Path = "/taxii2/"
	}
	return u, nil
}

// rootURL resolves apiRoot against the base URL and appends rel.
func (c *TAXIIClient) rootURL(apiRoot, rel string) (*url.URL, error) {
	base, err := c.discoveryURL()
	if err != nil {
		return nil, err
	}
	if apiRoot == "" {
		return nil, errors.New("taxii: no API root")
	}
	u, err := url.Parse(resolveURL(base, apiRoot))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("taxii: API root %q is not a URL", apiRoot)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		u.RawPath = ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	ref, err := url.Parse(rel)
	if err != nil {
		return nil, fmt.Errorf("taxii: %w", err)
	}
	return u.ResolveReference(ref), nil
}

func resolveURL(base *url.URL, ref string) string {
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return base.ResolveReference(r).String()
}

type taxiiResponse struct {
	header http.Header
	body   []byte
}

func (c *TAXIIClient) getJSON(ctx context.Context, u *url.URL, v any) (taxiiResponse, error) {
	resp, err := c.get(ctx, u)
	if err != nil {
		return resp, err
	}
	if err := json.Unmarshal(resp.body, v); err != nil {
		return resp, fmt.Errorf("taxii %s%s: %w", u.Host, u.Path, err)
	}
	return resp, nil
}

// get fetches u and returns a 2xx response's header and body.
func (c *TAXIIClient) get(ctx context.Context, u *url.URL) (taxiiResponse, error) {
	where := u.Host + u.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return taxiiResponse{}, fmt.Errorf("taxii %s: %w", where, err)
	}
	req.Header.Set("Accept", TAXIIMediaType)
	req.Header.Set("User-Agent", "Khien-TAXII/1")
	if c.Username != "" || c.Password != "" {
		req.SetBasicAuth(c.Username, c.Password)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return taxiiResponse{}, fmt.Errorf("taxii %s: %w", where, ctxErr)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL may carry the query; we name host and path
		}
		return taxiiResponse{}, fmt.Errorf("taxii %s: %w", where, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTAXIIResponse+1))
	if err != nil {
		return taxiiResponse{}, fmt.Errorf("taxii %s: read: %w", where, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &TAXIIError{Host: u.Host, Path: u.Path, StatusCode: resp.StatusCode}
		var msg struct {
			Title string `json:"title"`
		}
		if json.Unmarshal(body, &msg) == nil {
			e.Title = printable(msg.Title, 200)
		}
		return taxiiResponse{}, e
	}
	if len(body) > maxTAXIIResponse {
		return taxiiResponse{}, fmt.Errorf("taxii %s: response larger than %d bytes", where, maxTAXIIResponse)
	}
	return taxiiResponse{header: resp.Header, body: body}, nil
}

// printable shortens s to n bytes and drops control characters.
func printable(s string, n int) string {
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
