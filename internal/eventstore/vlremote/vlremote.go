// Package vlremote is the remote event store: eventstore.Store over the HTTP
// API of an external VictoriaLogs server — a single-node victoria-logs, or
// a cluster's vlinsert and vlselect nodes — of the version the embedded
// store is built on (v1.52.1).
//
// Rows are written exactly as the embedded store (eventstore/vlstore)
// writes them: same tenants, stream fields, field names and escaping, so a
// data directory written by either can be read by the other. It does not
// import VictoriaLogs: everything goes through HTTP, with the standard
// library. docs/eventstore.md ("Remote VictoriaLogs") describes what the
// server must be configured with, how queries over several units work and
// what Flush guarantees.
package vlremote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/eventstore"
)

// Options configure a Store. Zero fields take the defaults of
// DefaultOptions.
type Options struct {
	// URL is the server's base URL (http or https), e.g.
	// "http://127.0.0.1:9428". Required unless both InsertURL and
	// SelectURL are set.
	URL string
	// InsertURL and SelectURL, for a cluster, are the base URLs of its
	// vlinsert and vlselect nodes (or of a load balancer in front of
	// them); both default to URL.
	InsertURL, SelectURL string
	// StorageURLs are the base URLs of the servers that hold the data:
	// Flush makes appended events durable there, and Usage reads their
	// metrics. Default: InsertURL (a single-node server). For a cluster,
	// list its vlstorage nodes; Open fails if one of them does not serve
	// the partition API (a vlinsert or vlselect node).
	StorageURLs []string

	// Username and Password, when Username is set, are sent as HTTP basic
	// auth (the server's -httpAuth.username and -httpAuth.password).
	Username, Password string
	// BearerToken, when set, is sent as "Authorization: Bearer" (for a
	// proxy such as vmauth in front of the server; VictoriaLogs itself
	// only knows basic auth). Username and BearerToken are exclusive.
	BearerToken string
	// AuthKeys are the server's -*AuthKey flags, for the endpoints that
	// take an authKey instead of basic auth.
	AuthKeys AuthKeys

	// TLSConfig is used for https URLs. When nil, CAFile and
	// InsecureSkipVerify build one.
	TLSConfig *tls.Config
	// CAFile is a PEM file of the certificate authorities to trust for
	// https URLs, instead of the system's.
	CAFile string
	// InsecureSkipVerify disables the verification of the server's
	// certificate. For tests only.
	InsecureSkipVerify bool
	// HTTPClient, when set, replaces the client the store builds (and so
	// the TLS options above).
	HTTPClient *http.Client

	// Retention is what Khiên expects of the server's retention. The
	// server owns retention: it keeps events for its -retentionPeriod
	// and -retention.maxDiskSpaceUsageBytes flags and drops older events
	// at ingest without telling the client. Append refuses (and counts
	// in TooOld) events older than Retention.Days, or than the server's
	// -retentionPeriod when Days is 0 and Open could read it; Open warns
	// when the two differ. MaxDiskBytes is reported by Usage when the
	// server's own budget is not known.
	Retention eventstore.Retention
	// QueryTimeout is the longest a Query or Hits call may run (sent to
	// the server as its timeout too); default 30 s. The server's
	// -search.maxQueryDuration (default 30 s) caps it.
	QueryTimeout time.Duration
	// RequestTimeout bounds each insert, flush and administrative request;
	// default 1 min.
	RequestTimeout time.Duration
	// DefaultLimit is the number of Query results when Query.Limit is 0;
	// default 1,000.
	DefaultLimit int
	// MaxLimit caps Query.Limit and the number of Hits series; default
	// 100,000.
	MaxLimit int
	// Logger receives the store's log lines; nil discards them.
	Logger *slog.Logger
}

// AuthKeys are the values of the server's -*AuthKey flags, sent as the
// authKey query argument of the endpoints they protect. Empty means the
// flag is not set (basic auth applies).
type AuthKeys struct {
	// ForceFlush is -forceFlushAuthKey (/internal/force_flush, Flush).
	ForceFlush string
	// PartitionManage is -partitionManageAuthKey (/internal/partition/*,
	// Flush).
	PartitionManage string
	// Metrics is -metricsAuthKey (/metrics, Usage).
	Metrics string
	// Flags is -flagsAuthKey (/flags, read by Open).
	Flags string
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	q := eventstore.DefaultQueryLimits()
	return Options{
		QueryTimeout:   q.Timeout,
		RequestTimeout: time.Minute,
		DefaultLimit:   q.DefaultLimit,
		MaxLimit:       q.MaxLimit,
	}
}

// queryLimits returns the query bounds of o.
func (o Options) queryLimits() eventstore.QueryLimits {
	return eventstore.QueryLimits{Timeout: o.QueryTimeout, DefaultLimit: o.DefaultLimit, MaxLimit: o.MaxLimit}
}

// withDefaults fills the zero fields of o and checks the result.
func (o Options) withDefaults() (Options, error) {
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultOptions().RequestTimeout
	}
	q := o.queryLimits().WithDefaults()
	o.QueryTimeout, o.DefaultLimit, o.MaxLimit = q.Timeout, q.DefaultLimit, q.MaxLimit
	if o.InsertURL == "" {
		o.InsertURL = o.URL
	}
	if o.SelectURL == "" {
		o.SelectURL = o.URL
	}
	if len(o.StorageURLs) == 0 && o.InsertURL != "" {
		o.StorageURLs = []string{o.InsertURL}
	}
	var problems []error
	if o.Retention != (eventstore.Retention{}) {
		if o.Retention.Days < 0 || o.Retention.MaxDiskBytes < 0 {
			problems = append(problems, o.Retention.Check())
		}
	}
	if o.InsertURL == "" || o.SelectURL == "" {
		problems = append(problems, fmt.Errorf("no server URL: %w", errs.ErrInvalid))
	}
	for _, u := range append([]string{o.InsertURL, o.SelectURL}, o.StorageURLs...) {
		if u == "" {
			continue
		}
		if err := checkURL(u); err != nil {
			problems = append(problems, err)
		}
	}
	if o.Username != "" && o.BearerToken != "" {
		problems = append(problems, fmt.Errorf("basic auth and bearer token are exclusive: %w", errs.ErrInvalid))
	}
	if o.QueryTimeout < 0 || o.RequestTimeout < 0 || o.DefaultLimit < 0 || o.MaxLimit < 0 {
		problems = append(problems, fmt.Errorf("timeouts and limits must not be negative: %w", errs.ErrInvalid))
	}
	return o, errors.Join(problems...)
}

// checkURL reports a base URL the store cannot use. The URL itself is not
// quoted: it may carry credentials.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("server URL: %w", errors.Join(errs.ErrInvalid, errors.Unwrap(err)))
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("server URL %s://%s: want http(s)://host[:port][/path]: %w", u.Scheme, u.Host, errs.ErrInvalid)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("server URL %s://%s%s: must have no query or fragment: %w", u.Scheme, u.Host, u.Path, errs.ErrInvalid)
	}
	return nil
}

// Store is the remote event store. It implements eventstore.Store and
// eventstore.UsageReporter.
type Store struct {
	opts   Options
	limits eventstore.QueryLimits
	log    *slog.Logger
	client *http.Client
	// ownClient is set when the store built client (and so closes its
	// idle connections at Close).
	ownClient bool
	server    serverConfig

	// mu is held for reading by every call and for writing by Close.
	mu     sync.RWMutex
	closed bool
	// done is cancelled when Close starts, to stop running queries.
	done    context.Context
	stopAll context.CancelFunc

	dirty eventstore.DaySet // days appended to since the last Flush
}

var (
	_ eventstore.Store         = (*Store)(nil)
	_ eventstore.UsageReporter = (*Store)(nil)
)

// Open checks that the server is reachable, that it accepts the
// credentials on its insert and select endpoints, and (on each storage
// URL) that it serves the partition API Flush needs; it reads the
// server's flags where it may, to check its limits against Khiên's (see
// docs/eventstore.md), and warns of those that differ.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open remote event store: %w", err)
	}
	log := eventstore.Logger(opts.Logger)
	client, own, err := newClient(opts)
	if err != nil {
		return nil, fmt.Errorf("open remote event store: %w", err)
	}
	done, stopAll := context.WithCancel(context.Background())
	s := &Store{
		opts:      opts,
		limits:    opts.queryLimits(),
		log:       log,
		client:    client,
		ownClient: own,
		done:      done,
		stopAll:   stopAll,
	}
	if err := s.probe(ctx); err != nil {
		stopAll()
		if own {
			client.CloseIdleConnections()
		}
		return nil, fmt.Errorf("open remote event store: %w", err)
	}
	log.Info("event store opened", slog.String("insert_url", redact(opts.InsertURL)),
		slog.String("select_url", redact(opts.SelectURL)), slog.Int("storage_nodes", len(opts.StorageURLs)),
		slog.Int("retention_days", s.server.retentionDays(opts.Retention)))
	return s, nil
}

// newClient returns the HTTP client of opts, and whether the store built it.
func newClient(opts Options) (*http.Client, bool, error) {
	if opts.HTTPClient != nil {
		return opts.HTTPClient, false, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	tr.ResponseHeaderTimeout = 0 // queries are bounded by their context
	tlsCfg := opts.TLSConfig
	if tlsCfg == nil && (opts.CAFile != "" || opts.InsecureSkipVerify) {
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.InsecureSkipVerify} //nolint:gosec // an explicit, documented test option
		if opts.CAFile != "" {
			pem, err := os.ReadFile(opts.CAFile)
			if err != nil {
				return nil, false, fmt.Errorf("read CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, false, fmt.Errorf("CA file %s: no PEM certificate: %w", opts.CAFile, errs.ErrInvalid)
			}
			tlsCfg.RootCAs = pool
		}
	}
	if tlsCfg != nil {
		tr.TLSClientConfig = tlsCfg
	}
	return &http.Client{Transport: tr}, true, nil
}

// probe is Open's round of requests: health, credentials, flags, storage
// nodes.
func (s *Store) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	bases := []string{s.opts.InsertURL}
	if s.opts.SelectURL != s.opts.InsertURL {
		bases = append(bases, s.opts.SelectURL)
	}
	for _, base := range bases {
		if err := s.call(ctx, http.MethodGet, base, "/health", nil, nil, nil); err != nil {
			return err
		}
	}
	// Credentials: an empty insert and a query that reads nothing.
	if err := s.call(ctx, http.MethodPost, s.opts.InsertURL, "/insert/jsonline", insertParams(), tenantHeader(0), strings.NewReader("")); err != nil {
		return err
	}
	probe := url.Values{"query": {"* | limit 0"}, "start": {"1970-01-01T00:00:00Z"}, "end": {"1970-01-01T00:00:01Z"}}
	if err := s.call(ctx, http.MethodPost, s.opts.SelectURL, "/select/logsql/query", probe, tenantHeader(0), nil); err != nil {
		return err
	}
	s.server = s.readFlags(ctx)
	for _, base := range s.opts.StorageURLs {
		v := url.Values{}
		s.authKey(v, s.opts.AuthKeys.PartitionManage)
		if err := s.call(ctx, http.MethodGet, base, "/internal/partition/list", v, nil, nil); err != nil {
			if errors.Is(err, errNotStorage) {
				return fmt.Errorf("storage URL %s does not serve /internal/partition/* (a cluster's vlinsert or vlselect node?): "+
					"list the vlstorage nodes in StorageURLs: %w", redact(base), errs.ErrInvalid)
			}
			return err
		}
	}
	s.warnFlags()
	return nil
}

// Close flushes what was appended since the last Flush and releases the
// store's connections. Running queries are cancelled; Close waits for
// running calls to return.
func (s *Store) Close() error {
	s.stopAll()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.RequestTimeout)
	defer cancel()
	err := s.flush(ctx)
	s.closed = true
	if s.ownClient {
		s.client.CloseIdleConnections()
	}
	s.log.Info("event store closed", slog.String("insert_url", redact(s.opts.InsertURL)))
	if err != nil {
		return fmt.Errorf("close remote event store: %w", err)
	}
	return nil
}

// begin starts a call: it takes the read lock and checks the store is
// open. The caller must call s.mu.RUnlock when begin returns nil.
func (s *Store) begin() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return eventstore.ErrClosed
	}
	return nil
}

// queryError returns the error of a query that failed, or that was
// stopped by ctx: ErrTimeout, ErrClosed or the cause of ctx.
func (s *Store) queryError(ctx context.Context, q eventstore.Query, err error) error {
	if stopErr := s.limits.StopError(ctx, s.done, q.Timeout); stopErr != nil {
		return stopErr
	}
	return err
}

// Errors of the HTTP exchange.
var (
	// errNotStorage is returned for a path the server does not serve.
	errNotStorage = errors.New("unsupported path")
	// errServerTimeout marks the server's own query time-out.
	errServerTimeout = errors.New("server query time-out")
)

// maxErrorBody bounds what is read of an error response.
const maxErrorBody = 64 << 10

// do sends a request to base+path with the form values (as the query
// string of a GET, as a form body of a POST without body) or body, and
// returns the response body on a 2xx status. The caller closes the body.
// With a nil body and a POST, params are sent as a form.
func (s *Store) do(ctx context.Context, method, base, path string, params url.Values, header http.Header, body io.Reader) (io.ReadCloser, error) {
	resp, err := s.send(ctx, method, base, path, params, header, body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp.Body, nil
	}
	defer resp.Body.Close()
	return nil, responseError(base, path, resp)
}

// call is do for a request whose response body does not matter: it reads
// (up to maxErrorBody) and closes it, so that the connection is reused.
func (s *Store) call(ctx context.Context, method, base, path string, params url.Values, header http.Header, body io.Reader) error {
	rb, err := s.do(ctx, method, base, path, params, header, body)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, io.LimitReader(rb, maxErrorBody))
	return errors.Join(err, rb.Close())
}

// send sends the request and returns the response, whatever its status.
func (s *Store) send(ctx context.Context, method, base, path string, params url.Values, header http.Header, body io.Reader) (*http.Response, error) {
	target := strings.TrimSuffix(base, "/") + path
	contentType := ""
	switch {
	case method == http.MethodGet || body != nil:
		if len(params) > 0 {
			target += "?" + params.Encode()
		}
	case len(params) > 0:
		body = strings.NewReader(params.Encode())
		contentType = "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("remote event store %s: %w", path, errors.Join(errs.ErrInvalid, err))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch {
	case s.opts.Username != "":
		req.SetBasicAuth(s.opts.Username, s.opts.Password)
	case s.opts.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+s.opts.BearerToken)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("remote event store %s unreachable: %w: %w", redact(base), unwrapURLError(err), errs.ErrUnavailable)
	}
	return resp, nil
}

// unwrapURLError drops the *url.Error layer, whose message repeats the URL
// (and so any credentials in it).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// responseError turns a non-2xx response into an error wrapping the errs
// kind its status means, with the server's message.
func responseError(base, path string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg := strings.TrimSpace(string(b))
	where := redact(base) + path
	kind := errs.ErrUnavailable
	switch code := resp.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("remote event store %s: the server refused the credentials (HTTP %d): %s: %w", where, code, msg, errs.ErrUnauthorized)
	case code == http.StatusBadRequest && strings.HasPrefix(msg, "unsupported path requested"),
		code == http.StatusNotFound:
		return fmt.Errorf("remote event store %s: %w (HTTP %d): %s", where, errNotStorage, code, msg)
	case code == http.StatusTooManyRequests && strings.Contains(msg, "read-only"):
		return fmt.Errorf("%w: %s: %s", eventstore.ErrReadOnly, where, msg)
	case code == http.StatusServiceUnavailable && strings.Contains(msg, "maxQueryDuration"):
		return fmt.Errorf("remote event store %s: %w: %s: %w", where, errServerTimeout, msg, eventstore.ErrTimeout)
	case code == http.StatusBadRequest || code == http.StatusUnprocessableEntity:
		kind = errs.ErrInvalid
	}
	return fmt.Errorf("remote event store %s: HTTP %d: %s: %w", where, resp.StatusCode, msg, kind)
}

// redact returns a URL without its user information.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.User = nil
	return u.String()
}

// tenantHeader returns the headers that select a unit's tenant.
func tenantHeader(unit int64) http.Header {
	return http.Header{
		"Accountid": {strconv.FormatInt(unit, 10)},
		"Projectid": {"0"},
	}
}

// authKey adds the authKey argument when key is set.
func (s *Store) authKey(v url.Values, key string) {
	if key != "" {
		v.Set("authKey", key)
	}
}
