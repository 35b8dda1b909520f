package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/vuln"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/incident/form"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/metrics"
	"khien.vn/khien/internal/tlscert"
	"khien.vn/khien/internal/version"
	"khien.vn/khien/internal/web"
	"khien.vn/khien/internal/web/api"
	"khien.vn/khien/internal/web/assets"
	"khien.vn/khien/internal/web/ui"
)

func systemPrincipal() *authz.Principal { return authz.System() }

// ServeOptions tune Serve.
type ServeOptions struct {
	// Out receives the operator-facing lines (URL, fingerprint, first-run secret).
	Out Printer
	// PlainOnLoopback serves plain HTTP when listening on a loopback
	// address without certificate files (the demo).
	PlainOnLoopback bool
	// Ready, if not nil, receives the listening address once the server accepts connections.
	Ready chan<- string
	// Metrics is the registry to expose; nil makes a new one.
	Metrics *metrics.Registry
}

// Server is a running Khiên: HTTP listener, job runner and housekeeping.
type Server struct {
	core    *Core
	opts    ServeOptions
	handler *web.Server
	http    *http.Server
	ln      net.Listener
	scheme  string
	ingest  *Ingest
	// huntRecords are the hunts as records (set by openHunts).
	huntRecords *hunt.Records
}

// NewServer builds the HTTP surface over core and opens the listener, so
// that a port conflict is reported before anything else starts.
func NewServer(ctx context.Context, core *Core, opts ServeOptions) (*Server, error) {
	cfg := core.Config
	if opts.Metrics == nil {
		opts.Metrics = metrics.NewRegistry()
	}
	static, err := assets.NewStatic("/static/")
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		loc = time.FixedZone("ICT", 7*3600)
	}
	s := &Server{core: core, opts: opts}
	tlsCfg, fingerprint, err := s.tlsConfig()
	if err != nil {
		return nil, err
	}
	s.ingest, err = OpenIngest(ctx, core, tlsCfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if s.http == nil {
			_ = s.ingest.Close()
		}
	}()
	registerIngestMetrics(opts.Metrics, s.ingest)
	hunts := hunt.New(s.ingest.Store, hunt.Options{Units: core.allUnits, Timeout: time.Duration(cfg.Events.QueryTimeout)})
	records := s.openHunts(hunts)
	huntRecords := &ui.HuntRecords{Records: records, Start: func(ctx context.Context, p *authz.Principal, id int64) (hunt.Hunt, error) {
		return StartHunt(ctx, core.Jobs, records, p, id)
	}}
	core.Vulns.OnFixed(func(ctx context.Context, a asset.Asset, fixed []vuln.StoredFinding) {
		s.retroHunt(ctx, records, a, fixed)
	})
	s.registerImportJob()
	// The official incident-report forms read the case through the incident
	// service (with the user's rights) and its systems, unit and focal
	// points directly, as the case's context.
	forms := &form.Sources{Incidents: core.Incidents, Systems: core.Backend, Units: core.Backend, FocalPoints: core.Backend}
	logins := opts.Metrics.NewCounterVec("khien_login_attempts_total", "Login attempts by result.", "result")
	uiH, err := ui.New(ui.Deps{Units: core.Units, Users: core.Users, Audit: core.Audit, Jobs: core.Jobs, Systems: core.Systems, Assets: core.Assets, Checks: core.Checks,
		Compliance: core.Compliance, Notify: core.Notify, Ingest: s.ingest, Alerts: core.Alerts, Hunt: hunts, Intel: core.Intel, Feeds: core.Feeds, SavedQueries: core.SavedQueries, HuntRecords: huntRecords, Warnings: core.Warnings,
		Incidents: core.Incidents, IncidentForms: forms, Vulns: core.Vulns, VulnFetch: core.Config.Vuln.FetchInterval > 0, Backups: core.Backups,
		Catalog: core.Catalog, Static: static, Logger: core.Logger, Version: version.Get().Version, Location: loc,
		OnLogin: func(result string) { logins.Inc(result) }})
	if err != nil {
		return nil, err
	}
	apiH := api.New(api.Deps{Units: core.Units, Users: core.Users, Audit: core.Audit, Jobs: core.Jobs, Systems: core.Systems, Assets: core.Assets,
		Compliance: core.Compliance, ServeEvidence: ui.ServeEvidence, ServeFile: ui.ServeFile, Notify: core.Notify,
		Catalog: core.Catalog, Logger: core.Logger, AuthorizeJob: ui.AuthorizeJob, AuditFilter: ui.AuditFilter,
		JobFilter: ui.JobFilter, AuditVerifyKind: JobAuditVerify, Ingest: s.ingest, Alerts: core.Alerts, Hunt: hunts, Intel: core.Intel,
		Feeds: core.Feeds, SavedQueries: core.SavedQueries, HuntRecords: huntRecords, Warnings: core.Warnings, Incidents: core.Incidents,
		IncidentForms: forms, Vulns: core.Vulns, Backups: core.Backups})
	h, err := web.New(web.Deps{UI: uiH, API: apiH, Users: core.Users, Static: static, Catalog: core.Catalog,
		Metrics: opts.Metrics, Logger: core.Logger, Ready: core.Backend.Ping})
	if err != nil {
		return nil, err
	}
	s.handler = h
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s.http = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: time.Duration(cfg.HTTP.ReadHeaderTimeout),
		ReadTimeout:       time.Duration(cfg.HTTP.ReadTimeout),
		WriteTimeout:      time.Duration(cfg.HTTP.WriteTimeout),
		IdleTimeout:       time.Duration(cfg.HTTP.IdleTimeout),
		MaxHeaderBytes:    cfg.HTTP.MaxHeaderBytes,
		ErrorLog:          nil,
	}
	s.scheme = "http"
	if tlsCfg != nil {
		s.http.TLSConfig = tlsCfg
		ln = tls.NewListener(ln, tlsCfg)
		s.scheme = "https"
	}
	s.ln = ln
	if fingerprint != "" {
		opts.Out.Printf("TLS certificate SHA-256 fingerprint: %s", fingerprint)
	}
	return s, nil
}

// Ingest returns the telemetry path (listeners, spool, pipeline, store).
func (s *Server) Ingest() *Ingest { return s.ingest }

// Handler returns the root HTTP handler (for tests).
func (s *Server) Handler() *web.Server { return s.handler }

// URL is the base URL the server answers on.
func (s *Server) URL() string { return s.scheme + "://" + s.ln.Addr().String() }

// tlsConfig decides between certificate files, a self-signed certificate
// and plain HTTP (DESIGN.md §7: TLS on every listener). Plain HTTP is served
// only when asked for with tls.insecure_http (--insecure-http), or by the
// demo on a loopback address.
func (s *Server) tlsConfig() (*tls.Config, string, error) {
	cfg := s.core.Config
	var cert tls.Certificate
	var fp string
	var err error
	switch {
	case cfg.TLS.CertFile != "":
		cert, fp, err = tlscert.LoadFiles(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return nil, "", fmt.Errorf("load tls certificate: %w", err)
		}
	case cfg.TLS.InsecureHTTP || (s.opts.PlainOnLoopback && IsLoopback(cfg.Listen)):
		if !IsLoopback(cfg.Listen) {
			s.core.Logger.Warn("serving plain HTTP on a non-loopback address", "listen", cfg.Listen)
		}
		return nil, "", nil
	default:
		host, _, _ := net.SplitHostPort(cfg.Listen)
		dir := filepath.Join(cfg.DataDir, "tls")
		var created bool
		cert, fp, created, err = tlscert.LoadOrCreate(dir, []string{host}, time.Now())
		if err != nil {
			return nil, "", fmt.Errorf("self-signed certificate: %w", err)
		}
		if created {
			s.opts.Out.Printf("Created a self-signed TLS certificate in %s", dir)
		}
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, fp, nil
}

// IsLoopback reports whether addr (host:port) is on a loopback address.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Run serves until ctx ends, then shuts down in order: stop accepting and
// drain requests, stop the job runner, close the store (by the caller).
func (s *Server) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	wg.Go(func() {
		if err := s.core.Jobs.Run(runCtx); err != nil {
			errc <- fmt.Errorf("job runner: %w", err)
			cancel(err)
		}
	})
	wg.Go(func() { s.housekeeping(runCtx) })
	wg.Go(func() { s.schedule(runCtx) })
	wg.Go(func() { _ = s.core.Notify.Run(runCtx, 0) })
	wg.Go(func() { _ = s.core.Feeds.Run(runCtx, time.Minute) })
	// Alerts outlive the ingest pipeline, so that its last batches' matches are written.
	alertCtx, stopAlerts := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAlerts()
	alertsDone := make(chan struct{})
	go func() {
		defer close(alertsDone)
		_ = s.core.Alerts.Run(alertCtx)
	}()
	wg.Go(func() {
		if err := s.ingest.Run(runCtx); err != nil {
			errc <- fmt.Errorf("ingest: %w", err)
		}
	})
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Serve(s.ln) }()
	s.core.Logger.Info("listening", "url", s.URL())
	if s.opts.Ready != nil {
		s.opts.Ready <- s.URL()
	}
	var err error
	select {
	case err = <-serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		cancel(err)
	case <-runCtx.Done():
	}
	grace := time.Duration(s.core.Config.HTTP.ShutdownGrace)
	shutCtx, stop := context.WithTimeoutCause(context.WithoutCancel(ctx), grace, errors.New("shutdown grace period over"))
	defer stop()
	if serr := s.http.Shutdown(shutCtx); serr != nil {
		err = errors.Join(err, fmt.Errorf("http shutdown: %w", serr))
		_ = s.http.Close()
	}
	cancel(nil)
	wg.Wait()
	stopAlerts()
	<-alertsDone
	s.core.WaitAlertNotifications()
	if cerr := s.ingest.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close event store and spool: %w", cerr))
	}
	close(errc)
	for e := range errc {
		err = errors.Join(err, e)
	}
	s.core.Logger.Info("stopped")
	return err
}

// housekeeping removes expired sessions every ten minutes.
func (s *Server) housekeeping(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.core.Backend.DeleteExpiredSessions(ctx, time.Now().UTC()); err != nil {
				s.core.Logger.Warn("delete expired sessions", "err", err)
			} else if n > 0 {
				s.core.Logger.Debug("expired sessions deleted", "count", n)
			}
		}
	}
}

// scheduleDelay is how long after start the first scheduled jobs run.
var scheduleDelay = time.Minute

// schedule submits the periodic compliance jobs: the automatic evidence
// probes every compliance.probe_interval and the reminders every hour,
// each only when its previous run has finished.
func (s *Server) schedule(ctx context.Context) {
	probeEvery := time.Duration(s.core.Config.Compliance.ProbeInterval)
	last := map[string]int64{}
	submit := func(kind string) {
		if id := last[kind]; id != 0 {
			if j, err := s.core.Jobs.Get(ctx, id); err == nil && !j.Status.Final() {
				return
			}
		}
		j, err := s.core.Jobs.Submit(ctx, job.Spec{Kind: kind})
		if err != nil {
			s.core.Logger.Warn("schedule job", "kind", kind, "err", err)
			return
		}
		last[kind] = j.ID
	}
	start := time.NewTimer(scheduleDelay)
	defer start.Stop()
	select {
	case <-ctx.Done():
		return
	case <-start.C:
	}
	if probeEvery > 0 {
		submit(JobProbes)
	}
	submit(JobReminders)
	submit(JobWarningReminders)
	submit(JobIncidentClocks)
	submit(JobVulnReflag)
	submit(JobBackupCollect)
	if s.huntRecords != nil {
		submit(JobHuntSchedule)
	}
	probes := make(<-chan time.Time)
	if probeEvery > 0 {
		t := time.NewTicker(probeEvery)
		defer t.Stop()
		probes = t.C
	}
	// Advisory feeds, when fetching is on.
	feeds := make(<-chan time.Time)
	if every := time.Duration(s.core.Config.Vuln.FetchInterval); every > 0 {
		submit(JobVulnFeeds)
		t := time.NewTicker(every)
		defer t.Stop()
		feeds = t.C
	}
	hourly := time.NewTicker(time.Hour)
	defer hourly.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-feeds:
			submit(JobVulnFeeds)
		case <-probes:
			submit(JobProbes)
		case <-hourly.C:
			submit(JobReminders)
			submit(JobWarningReminders)
			submit(JobIncidentClocks)
			submit(JobVulnReflag)
			submit(JobBackupCollect)
			if s.huntRecords != nil {
				submit(JobHuntSchedule)
			}
		}
	}
}
