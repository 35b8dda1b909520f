package app

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/vlremote"
	"khien.vn/khien/internal/eventstore/vlstore"
	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/attribute"
	"khien.vn/khien/internal/ingest/bulk"
	"khien.vn/khien/internal/ingest/hec"
	"khien.vn/khien/internal/ingest/jsonl"
	"khien.vn/khien/internal/ingest/normalize"
	"khien.vn/khien/internal/ingest/otlp"
	"khien.vn/khien/internal/ingest/pipeline"
	"khien.vn/khien/internal/ingest/sources"
	"khien.vn/khien/internal/ingest/spool"
	"khien.vn/khien/internal/ingest/syslog"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/tlscert"
)

// OpenEvents opens the configured event store: the embedded engine in
// data_dir/events, or a remote server.
func OpenEvents(ctx context.Context, cfg config.Config, logger *slog.Logger) (eventstore.Store, error) {
	switch cfg.Events.Store {
	case config.EventsRemote:
		return openRemoteEvents(ctx, cfg, logger)
	default:
		s, err := vlstore.Open(ctx, filepath.Join(cfg.DataDir, "events"), vlstore.Options{
			Retention:    eventsRetention(cfg),
			MemoryBudget: int64(cfg.Events.MemoryMB) << 20,
			QueryTimeout: time.Duration(cfg.Events.QueryTimeout),
			// IOC sweeps look the IP fields up (hunt.SweepSpec.Values).
			IndexFields: intel.Fields[intel.IP],
			Logger:      logger,
		})
		if err != nil {
			return nil, fmt.Errorf("open event store: %w", err)
		}
		return s, nil
	}
}

func eventsRetention(cfg config.Config) eventstore.Retention {
	return eventstore.Retention{Days: cfg.Events.RetentionDays, MaxDiskBytes: int64(cfg.Events.MaxDiskMB) << 20}
}

// Ingest is the telemetry path of a running Khiên: the listeners, the
// spool they write to, and the pipeline that stores what the spool holds.
type Ingest struct {
	core       *Core
	logger     *slog.Logger
	Store      eventstore.Store
	Spool      *spool.Spool
	Pipeline   *pipeline.Pipeline
	Attributor *attribute.Attributor
	Normalizer *normalize.Registry
	// Detection matches every ingested event against the Sigma rules.
	Detection *Detection
	// Tracker follows every source: last seen, rates, parse errors.
	Tracker *sources.Tracker
	// BackupRuns records backup software's job results as plan runs.
	BackupRuns *BackupRuns

	syslog     []*syslog.Listener
	httpSrv    *http.Server
	httpLn     net.Listener
	httpTLS    bool
	jsonlLn    net.Listener
	jsonlStats *ingest.Stats
	receivers  []receiver // name → stats, for /metrics and the sources page

	defaultUnit int64
}

// receiver is one listener's counters.
type receiver struct {
	Name     string
	Protocol string
	Addr     string
	Stats    *ingest.Stats
}

// ingestToken is a parsed ingest.tokens entry.
type ingestToken struct {
	name   string
	unitID int64
	secret []byte
}

// OpenIngest opens the event store and the spool and binds every enabled
// listener, so that a port conflict is reported before anything runs.
// webTLS is the web listener's TLS configuration (nil for plain HTTP).
func OpenIngest(ctx context.Context, core *Core, webTLS *tls.Config) (in *Ingest, err error) {
	cfg := core.Config
	in = &Ingest{core: core, logger: core.Logger.With("component", "ingest")}
	defer func() {
		if err != nil {
			err = errors.Join(err, in.Close())
			in = nil
		}
	}()
	tree, err := core.Units.Tree(ctx)
	if err != nil {
		return nil, err
	}
	tokens, err := resolveTokens(cfg, func(code string) (int64, bool) {
		for _, n := range tree.Walk(nil) {
			if strings.EqualFold(n.Code, code) {
				return n.ID, true
			}
		}
		return 0, false
	})
	if err != nil {
		return nil, err
	}

	in.Store, err = OpenEvents(ctx, cfg, core.Logger)
	if err != nil {
		return nil, err
	}
	in.Spool, err = spool.Open(ctx, filepath.Join(cfg.DataDir, "spool"), spool.Options{
		MaxBacklog: int64(cfg.Ingest.SpoolMaxMB) << 20,
		Logger:     core.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	proc, err := core.newProcessor(ctx)
	if err != nil {
		return nil, err
	}
	in.Attributor, in.Normalizer, in.defaultUnit = proc.attributor, proc.normalizer, proc.defaultUnit
	in.Detection, in.BackupRuns = proc.detection, proc.backupRuns
	in.Tracker = sources.New(sources.Options{SilentAfter: time.Duration(cfg.Ingest.SilentAfter)})
	if err := in.Tracker.LoadFile(in.sourcesFile()); err != nil {
		in.logger.Warn("source statistics not restored; starting afresh", "file", in.sourcesFile(), "err", err)
	}
	in.Pipeline, err = pipeline.New(pipeline.Options{
		Source:        in.Spool,
		Store:         in.Store,
		Stages:        append(proc.stages(), func(_ context.Context, b []event.Event) { in.Tracker.Observe(b) }),
		FlushInterval: time.Duration(cfg.Ingest.FlushInterval),
		Logger:        in.logger,
	})
	if err != nil {
		return nil, err
	}

	var tlsCfg *tls.Config
	needTLS := cfg.Ingest.SyslogTLS != "" || (cfg.Ingest.HTTP != "" && !cfg.Ingest.InsecureHTTP)
	if needTLS {
		if tlsCfg, err = ingestTLS(cfg, webTLS); err != nil {
			return nil, err
		}
	}
	syslogTLS := tlsCfg
	if cfg.Ingest.SyslogTLS != "" && cfg.Ingest.SyslogTLSClientCA != "" {
		if syslogTLS, err = requireClientCerts(tlsCfg, cfg.Ingest.SyslogTLSClientCA); err != nil {
			return nil, err
		}
	}
	zones, err := syslogZones(cfg)
	if err != nil {
		return nil, err
	}
	for _, l := range []struct{ proto, addr string }{
		{syslog.ProtocolUDP, cfg.Ingest.SyslogUDP}, {syslog.ProtocolTCP, cfg.Ingest.SyslogTCP}, {syslog.ProtocolTLS, cfg.Ingest.SyslogTLS},
	} {
		if l.addr == "" {
			continue
		}
		sl, err := syslog.Listen(ctx, syslog.Options{Protocol: l.proto, Addr: l.addr, TLSConfig: syslogTLS, TimeZones: zones, Logger: core.Logger})
		if err != nil {
			return nil, fmt.Errorf("ingest.syslog_%s: %w", l.proto, err)
		}
		in.syslog = append(in.syslog, sl)
		in.receivers = append(in.receivers, receiver{Name: sl.Name(), Protocol: l.proto, Addr: sl.Addr().String(), Stats: sl.Stats()})
	}
	if cfg.Ingest.JSONLinesTCP != "" {
		var lc net.ListenConfig
		if in.jsonlLn, err = lc.Listen(ctx, "tcp", cfg.Ingest.JSONLinesTCP); err != nil {
			return nil, fmt.Errorf("ingest.jsonl_tcp: %w", err)
		}
		in.jsonlStats = new(ingest.Stats)
		in.receivers = append(in.receivers, receiver{Name: "jsonl-tcp", Protocol: "tcp", Addr: in.jsonlLn.Addr().String(), Stats: in.jsonlStats})
	}
	if cfg.Ingest.HTTP != "" {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", cfg.Ingest.HTTP)
		if err != nil {
			return nil, fmt.Errorf("ingest.http: %w", err)
		}
		if tlsCfg != nil && !cfg.Ingest.InsecureHTTP {
			ln = tls.NewListener(ln, tlsCfg)
			in.httpTLS = true
		}
		in.httpLn = ln
		in.httpSrv = &http.Server{
			Handler:           in.httpHandler(tokens),
			ReadHeaderTimeout: time.Duration(cfg.HTTP.ReadHeaderTimeout),
			ReadTimeout:       5 * time.Minute, // big bulk bodies from slow links
			IdleTimeout:       time.Duration(cfg.HTTP.IdleTimeout),
			MaxHeaderBytes:    cfg.HTTP.MaxHeaderBytes,
		}
	}
	return in, nil
}

// openRemoteEvents opens a VictoriaLogs server or cluster over HTTP. The
// server keeps its own retention (-retentionPeriod); docs/eventstore.md
// lists the server flags Khiên needs.
func openRemoteEvents(ctx context.Context, cfg config.Config, logger *slog.Logger) (eventstore.Store, error) {
	s, err := vlremote.Open(ctx, vlremote.Options{
		URL:          cfg.Events.URL,
		Username:     cfg.Events.Username,
		Password:     cfg.Events.Password.Reveal(),
		QueryTimeout: time.Duration(cfg.Events.QueryTimeout),
		Logger:       logger,
	})
	if err != nil {
		return nil, fmt.Errorf("open remote event store %s: %w", cfg.Events.URL, err)
	}
	return s, nil
}

// processor holds the processing steps between the spool and the store:
// normalisation, then attribution to assets (and the top-level unit for
// what none claims).
type processor struct {
	attributor  *attribute.Attributor
	normalizer  *normalize.Registry
	auditJoin   *normalize.AuditJoin
	defaultUnit int64
	detection   *Detection
	alerts      *alert.Service
	intel       pipeline.Stage
	backupRuns  *BackupRuns
}

func (c *Core) newProcessor(ctx context.Context) (*processor, error) {
	tree, err := c.Units.Tree(ctx)
	if err != nil {
		return nil, err
	}
	p := &processor{normalizer: normalize.Default(), auditJoin: normalize.NewAuditJoin()}
	if p.detection, err = c.Detection(); err != nil {
		return nil, err
	}
	if err := c.Alerts.Reload(ctx); err != nil {
		return nil, err
	}
	p.alerts = c.Alerts
	p.intel = c.intelStage()
	if p.backupRuns, err = c.newBackupRuns(); err != nil {
		return nil, err
	}
	if roots := tree.Children(0); len(roots) > 0 {
		p.defaultUnit = roots[0]
	}
	p.attributor = attribute.New(func(ctx context.Context) ([]asset.Asset, error) {
		return c.Backend.ListAssets(ctx, asset.Filter{})
	}, time.Minute)
	if err := p.attributor.Rebuild(ctx); err != nil {
		return nil, fmt.Errorf("read assets for attribution: %w", err)
	}
	return p, nil
}

func (p *processor) stages() []pipeline.Stage {
	// Normalisation first: parsers find the host name in some payloads,
	// and attribution looks for it.
	return []pipeline.Stage{
		func(_ context.Context, b []event.Event) {
			p.normalizer.NormalizeBatch(b)
			p.auditJoin.Apply(b)
		},
		p.attributor.Attribute,
		func(_ context.Context, b []event.Event) {
			for i := range b {
				if b[i].UnitID == 0 {
					b[i].UnitID = p.defaultUnit
				}
			}
		},
		p.detection.Stage(p.alerts),
		p.backupRuns.Stage,
		p.intel,
	}
}

// Sink is where receivers and imports put events: the spool.
func (in *Ingest) Sink() ingest.Sink { return in.Spool }

// HTTPAddr is the address of the HTTP receivers ("" when off) and whether
// they use TLS.
func (in *Ingest) HTTPAddr() (string, bool) {
	if in.httpLn == nil {
		return "", false
	}
	return in.httpLn.Addr().String(), in.httpTLS
}

// Receivers lists the enabled listeners with their counters.
func (in *Ingest) Receivers() []ingest.Receiver {
	out := make([]ingest.Receiver, len(in.receivers))
	for i, r := range in.receivers {
		out[i] = ingest.Receiver{Name: r.Name, Protocol: r.Protocol, Addr: r.Addr, Received: r.Stats.Received.Load(),
			Dropped: r.Stats.Dropped.Load(), ParseErrors: r.Stats.ParseErrors.Load(), Bytes: r.Stats.Bytes.Load()}
	}
	return out
}

// Status summarises the path from the spool to the store.
func (in *Ingest) Status() ingest.Status {
	ps, sp := in.Pipeline.Stats(), in.Spool.Stats()
	return ingest.Status{Store: in.core.Config.Events.Store, Events: ps.Events, Stored: ps.Stored, TooOld: ps.TooOld, TooNew: ps.TooNew,
		Invalid: ps.Invalid, BacklogBytes: sp.BacklogBytes, BlockedAppends: sp.BlockedAppends, LastFlush: ps.LastFlush,
		LastError: ps.LastError, UnknownSources: len(in.Attributor.Unknowns())}
}

// Sources lists every source seen (all units: callers filter by scope).
func (in *Ingest) Sources() []sources.Source { return in.Tracker.List() }

// Unknowns lists the senders no asset matched, most recent first.
func (in *Ingest) Unknowns() []attribute.Unknown { return in.Attributor.Unknowns() }

// DetectionRules lists the Sigma rules ingested events are matched
// against, with their state and hits.
func (in *Ingest) DetectionRules() []detect.RuleStatus {
	if in.Detection == nil {
		return nil
	}
	return in.Detection.Rules()
}

// DefaultUnit is the unit of events no asset or token placed: the
// top-level unit. Unknown sources belong to it.
func (in *Ingest) DefaultUnit() int64 { return in.defaultUnit }

// Run runs the listeners and the pipeline until ctx ends, then stops in
// order: listeners first, then the pipeline stores and flushes what it
// has read (the rest stays in the spool for the next start).
func (in *Ingest) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	fail := func(what string, err error) {
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			mu.Lock()
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
			mu.Unlock()
		}
	}
	for _, sl := range in.syslog {
		wg.Go(func() { fail(sl.Name(), sl.Run(ctx, in.Spool)) })
	}
	if in.jsonlLn != nil {
		wg.Go(func() {
			fail("jsonl-tcp", jsonl.Serve(ctx, in.jsonlLn, jsonl.Options{Sink: in.Spool, Name: "jsonl-tcp", Stats: in.jsonlStats}))
		})
	}
	if in.httpSrv != nil {
		wg.Go(func() { fail("ingest http", in.httpSrv.Serve(in.httpLn)) })
		wg.Go(func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := in.httpSrv.Shutdown(sctx); err != nil {
				_ = in.httpSrv.Close()
			}
		})
	}
	wg.Go(func() { in.watchSources(ctx) })
	pctx, stopPipeline := context.WithCancel(context.WithoutCancel(ctx))
	pdone := make(chan error, 1)
	go func() { pdone <- in.Pipeline.Run(pctx) }()
	// Listeners first; the pipeline stops after them, so the batches they
	// accepted last are stored now rather than at the next start.
	wg.Wait()
	stopPipeline()
	fail("pipeline", <-pdone)
	if err := in.Tracker.SaveFile(in.sourcesFile()); err != nil {
		fail("save source statistics", err)
	}
	return errors.Join(errs...)
}

// Close releases the listeners, the spool and the store. It is safe after
// a failed OpenIngest.
func (in *Ingest) Close() error {
	var errs []error
	for _, sl := range in.syslog {
		_ = sl.Close()
	}
	if in.httpLn != nil {
		_ = in.httpLn.Close()
	}
	if in.jsonlLn != nil {
		_ = in.jsonlLn.Close()
	}
	if in.Spool != nil {
		errs = append(errs, in.Spool.Close())
	}
	if in.Store != nil {
		errs = append(errs, in.Store.Close())
	}
	return errors.Join(errs...)
}

// ingestTLS returns the certificate of the syslog TLS listener and the HTTP
// receivers: their own files, else the web certificate, else the
// self-signed one in data_dir/tls.
func ingestTLS(cfg config.Config, webTLS *tls.Config) (*tls.Config, error) {
	switch {
	case cfg.Ingest.TLSCertFile != "":
		cert, _, err := tlscert.LoadFiles(cfg.Ingest.TLSCertFile, cfg.Ingest.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load ingest tls certificate: %w", err)
		}
		return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
	case webTLS != nil:
		return webTLS.Clone(), nil
	}
	host, _, _ := net.SplitHostPort(cfg.Listen)
	cert, _, _, err := tlscert.LoadOrCreate(filepath.Join(cfg.DataDir, "tls"), []string{host}, time.Now())
	if err != nil {
		return nil, fmt.Errorf("self-signed certificate for the ingest listeners: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// requireClientCerts returns base requiring client certificates signed by
// the CAs in caFile.
func requireClientCerts(base *tls.Config, caFile string) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("ingest.syslog_tls_client_ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ingest.syslog_tls_client_ca: %s holds no PEM certificate", caFile)
	}
	c := base.Clone()
	c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, pool
	return c, nil
}

func syslogZones(cfg config.Config) (*syslog.TimeZones, error) {
	senders := map[string]string{}
	for pair := range strings.SplitSeq(cfg.Ingest.SyslogTimeZones, ",") {
		who, zone, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok {
			senders[strings.TrimSpace(who)] = strings.TrimSpace(zone)
		}
	}
	z, err := syslog.NewTimeZones(cfg.Ingest.SyslogTimeZone, senders)
	if err != nil {
		return nil, fmt.Errorf("ingest.syslog_time_zones: %w", err)
	}
	return z, nil
}

// resolveTokens parses ingest.tokens and finds each token's unit.
func resolveTokens(cfg config.Config, unitByCode func(string) (int64, bool)) ([]ingestToken, error) {
	parsed, err := config.ParseTokens(cfg.Ingest.Tokens.Reveal())
	if err != nil {
		return nil, fmt.Errorf("ingest.tokens: %w", err)
	}
	out := make([]ingestToken, 0, len(parsed))
	for _, t := range parsed {
		var id int64
		if t.Unit != "" {
			var ok bool
			if id, ok = unitByCode(t.Unit); !ok {
				return nil, fmt.Errorf("ingest.tokens: %q names unit %q, which does not exist", t.Name, t.Unit)
			}
		}
		out = append(out, ingestToken{name: t.Name, unitID: id, secret: []byte(t.Token)})
	}
	return out, nil
}

// lookupToken finds the sender presenting secret, in constant time per
// token.
func lookupToken(tokens []ingestToken, secret string) (ingestToken, bool) {
	var found ingestToken
	ok := false
	for _, t := range tokens {
		if subtle.ConstantTimeCompare(t.secret, []byte(secret)) == 1 {
			found, ok = t, true
		}
	}
	return found, ok && secret != ""
}

// requestToken reads the secret a sender presents: a Bearer or Splunk
// token, an Elasticsearch API key (base64 of id:key, or the key alone) or
// the password of HTTP Basic authentication.
func requestToken(r *http.Request) string {
	if _, pw, ok := r.BasicAuth(); ok {
		return pw
	}
	scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	value = strings.TrimSpace(value)
	switch strings.ToLower(scheme) {
	case "bearer", "splunk":
		return value
	case "apikey":
		if b, err := base64.StdEncoding.DecodeString(value); err == nil {
			if _, key, ok := strings.Cut(string(b), ":"); ok {
				return key
			}
		}
		return value
	}
	return ""
}

// httpHandler routes the HTTP receivers: HEC, OTLP and JSON lines at their
// paths, the Elasticsearch emulation at every other path.
func (in *Ingest) httpHandler(tokens []ingestToken) http.Handler {
	byRequest := func(r *http.Request) (ingestToken, bool) { return lookupToken(tokens, requestToken(r)) }
	bulkStats, hecStats, otlpStats, jsonlStats := new(ingest.Stats), new(ingest.Stats), new(ingest.Stats), new(ingest.Stats)
	addr := in.core.Config.Ingest.HTTP
	in.receivers = append(in.receivers,
		receiver{Name: "bulk", Protocol: "http", Addr: addr, Stats: bulkStats},
		receiver{Name: "hec", Protocol: "http", Addr: addr, Stats: hecStats},
		receiver{Name: "otlp", Protocol: "http", Addr: addr, Stats: otlpStats},
		receiver{Name: "jsonl-http", Protocol: "http", Addr: addr, Stats: jsonlStats})
	mux := http.NewServeMux()
	hecH := hec.New(hec.Options{Sink: in.Spool, Stats: hecStats, Authenticate: func(token string) (hec.Source, bool) {
		t, ok := lookupToken(tokens, token)
		return hec.Source{Name: t.name, UnitID: t.unitID}, ok
	}})
	mux.Handle("/services/collector", hecH)
	mux.Handle("/services/collector/", hecH)
	mux.Handle("/v1/logs", otlp.New(otlp.Options{Sink: in.Spool, Stats: otlpStats, Authenticate: func(r *http.Request) (string, int64, bool) {
		t, ok := byRequest(r)
		return t.name, t.unitID, ok
	}}))
	mux.Handle("/ingest/jsonl", jsonl.NewHandler(jsonl.Options{Sink: in.Spool, Name: "jsonl-http", Stats: jsonlStats,
		Authenticate: func(r *http.Request) (int64, bool) {
			t, ok := byRequest(r)
			return t.unitID, ok
		}}))
	mux.Handle("/", bulk.New(bulk.Options{Sink: in.Spool, Stats: bulkStats, Authenticate: func(r *http.Request) (bulk.Source, bool) {
		t, ok := byRequest(r)
		return bulk.Source{Name: t.name, UnitID: t.unitID}, ok
	}}))
	return mux
}
