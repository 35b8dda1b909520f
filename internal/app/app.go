// Package app is Khiên's composition root: the only package that wires
// concrete types together. Open builds the storage backend and the domain
// services; Serve adds the HTTP server and background work and supervises
// them until the context ends, then shuts down in order.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/i18n"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/storage/postgres"
	"khien.vn/khien/internal/storage/sqlite"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/warning"
)

// Backend is what a storage backend provides: every domain Store, plus
// readiness and closing.
type Backend interface {
	unit.Store
	user.Store
	audit.Store
	job.Store
	system.Store
	system.DossierStore
	asset.Store
	compliance.Store
	notify.Store
	alert.Store
	intel.Store
	intel.FeedStore
	hunt.Store
	hunt.SavedQueryStore
	warning.Store
	incident.Store
	incident.TaskStore
	incident.EvidenceStore
	incident.ObservableStore
	incident.PlanStore
	vuln.Store
	backup.Store
	Ping(ctx context.Context) error
	Migrate(ctx context.Context) error
	SchemaVersion(ctx context.Context) (current, latest int, err error)
	Close() error
}

var (
	_ Backend = (*sqlite.DB)(nil)
	_ Backend = (*postgres.DB)(nil)
)

// Core holds the storage backend and the domain services. Commands that
// need no HTTP server (user, audit verify, migrate) use it alone.
type Core struct {
	Config  config.Config
	Logger  *slog.Logger
	Backend Backend
	Audit   *audit.Log
	Units   *unit.Service
	Users   *user.Service
	Jobs    *job.Runner
	Systems *system.Service
	Assets  *asset.Service
	Probes  *compliance.Registry
	// Compliance manages requirement sets, evidence, the calendar and engagements.
	Compliance *compliance.Service
	// Notify stores in-app notifications and sends them on outbound channels.
	Notify *notify.Service
	// Alerts raises alerts from detections and runs their triage.
	Alerts *alert.Service
	// Intel holds the indicators of compromise.
	Intel *intel.Service
	// Feeds pulls TAXII collections and MISP feeds into Intel.
	Feeds *intel.Feeds
	// SavedQueries are the hunters' saved LogsQL queries.
	SavedQueries *hunt.SavedQueries
	// Warnings is the register of national warnings.
	Warnings *warning.Service
	// Incidents holds the incident cases and their legal clocks.
	Incidents *incident.Service
	// Vulns holds software inventories, advisories and vulnerability findings.
	Vulns *vuln.Service
	// Backups holds backup plans, runs, integrity checks, restore tests and
	// the repositories Khiên watches.
	Backups *backup.Service
	Packs   *regulation.Registry
	Catalog *i18n.Catalog

	detection  detectionOnce
	alertNotes *alertNotifier
}

// OpenBackend opens the configured database. With migrate false, an
// out-of-date schema is an error that says to run `khien migrate`.
func OpenBackend(ctx context.Context, cfg config.Config, logger *slog.Logger, migrate bool) (Backend, error) {
	switch cfg.Database.Driver {
	case "postgres":
		db, err := postgres.Open(ctx, cfg.Database.URL.Reveal(), postgres.Options{Logger: logger, AutoMigrate: migrate})
		if err != nil {
			return nil, fmt.Errorf("open postgresql: %w", err)
		}
		return db, nil
	default:
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		db, err := sqlite.Open(ctx, cfg.DatabasePath(), sqlite.Options{Logger: logger, AutoMigrate: migrate})
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		return db, nil
	}
}

// Open opens the backend and builds the services.
func Open(ctx context.Context, cfg config.Config, logger *slog.Logger) (*Core, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	be, err := OpenBackend(ctx, cfg, logger, cfg.Database.AutoMigrate)
	if err != nil {
		return nil, err
	}
	c, err := newCore(cfg, logger, be)
	if err != nil {
		return nil, errors.Join(err, be.Close())
	}
	return c, nil
}

func newCore(cfg config.Config, logger *slog.Logger, be Backend) (*Core, error) {
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	log := audit.NewLog(be, logger)
	units := unit.NewService(be, log)
	users, err := user.NewService(be, units, log, user.Options{
		SessionTTL:       time.Duration(cfg.Auth.SessionTTL),
		SessionIdle:      time.Duration(cfg.Auth.SessionIdle),
		LockoutThreshold: cfg.Auth.LockoutThreshold,
		LockoutBase:      time.Duration(cfg.Auth.LockoutBase),
		LockoutMax:       time.Duration(cfg.Auth.LockoutMax),
		Issuer:           "Khien",
	})
	if err != nil {
		return nil, err
	}
	jobs := job.NewRunner(be, job.Options{Logger: logger})
	packs, err := regulation.LoadEmbedded()
	if err != nil {
		return nil, fmt.Errorf("load regulation packs: %w", err)
	}
	if cfg.Regulation.Dir != "" {
		if err := packs.Override(cfg.Regulation.Dir); err != nil {
			return nil, fmt.Errorf("load regulation packs from %s: %w", cfg.Regulation.Dir, err)
		}
	}
	systems, err := system.NewService(be, be, packs, log, DefaultPack)
	if err != nil {
		return nil, err
	}
	if cfg.Regulation.Deadlines != "" {
		dates, err := parseDeadlines(cfg.Regulation.Deadlines)
		if err == nil {
			err = systems.SetDeadlines(dates)
		}
		if err != nil {
			return nil, fmt.Errorf("regulation.deadlines: %w", err)
		}
	}
	c := &Core{Config: cfg, Logger: logger, Backend: be, Audit: log, Units: units, Users: users, Jobs: jobs,
		Systems: systems, Assets: asset.NewService(be, systems, log), Packs: packs, Catalog: cat}
	c.Probes = newProbes(c)
	c.Notify = notify.New(be, notify.Options{Logger: logger, Covers: c.unitCovers})
	c.openAlerts()
	c.Intel = intel.NewService(be, log)
	c.Feeds = intel.NewFeeds(be, c.Intel, intel.FeedOptions{Audit: log, Logger: logger, AllowLocal: cfg.Intel.FeedLocalAddresses})
	c.SavedQueries = hunt.NewSavedQueries(be, log)
	if err := c.openCompliance(); err != nil {
		return nil, err
	}
	c.registerJobs()
	c.registerComplianceJobs()
	c.openWarnings()
	if err := c.openIncidents(); err != nil {
		return nil, err
	}
	if err := c.openVulns(); err != nil {
		return nil, err
	}
	if err := c.openBackups(); err != nil {
		return nil, err
	}
	c.Incidents.OnDrill(c.drillRecorded)
	return c, nil
}

// DefaultPack is the regulation pack new systems use.
const DefaultPack = "decree85-2016"

// Close closes the backend.
func (c *Core) Close() error { return c.Backend.Close() }

// JobAuditVerify is the job kind that verifies the audit chain.
const JobAuditVerify = "audit.verify"

func (c *Core) registerJobs() {
	c.Jobs.Register(JobAuditVerify, func(ctx context.Context, p *job.Progress) error {
		total, err := c.Backend.CountAudit(ctx)
		if err != nil {
			return err
		}
		p.SetTotal(total)
		p.Message("verifying")
		checked, err := audit.Verify(ctx, c.Backend, func(n int64) { p.Set(n, total) })
		p.Set(checked, total)
		j := p.Job()
		var brk *audit.Break
		switch {
		case errors.As(err, &brk):
			p.SetResult(fmt.Sprintf("BROKEN at seq %d: %s (%d entries intact before it)", brk.Seq, brk.Reason, checked))
			_ = c.Audit.Record(ctx, audit.Entry{ActorID: j.CreatedBy, Actor: "job", Action: "audit.verify_failed",
				Target: fmt.Sprintf("job:%d", j.ID), Detail: brk.Error()})
			return brk
		case err != nil:
			return err
		}
		p.SetResult(fmt.Sprintf("OK: %d entries, chain intact", checked))
		return c.Audit.Record(ctx, audit.Entry{ActorID: j.CreatedBy, Actor: "job", Action: "audit.verify",
			Target: fmt.Sprintf("job:%d", j.ID), Detail: fmt.Sprintf("intact entries=%d", checked)})
	})
}

// Bootstrap makes a fresh database usable: it creates the top-level unit
// and the first administrator when there are none. It returns the
// administrator's one-time password, or "" when nothing was created.
func (c *Core) Bootstrap(ctx context.Context, orgName string) (string, error) {
	n, err := c.Users.Count(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	tree, err := c.Units.Tree(ctx)
	if err != nil {
		return "", err
	}
	var root int64
	if roots := tree.Children(0); len(roots) > 0 {
		root = roots[0]
	} else {
		u, err := c.Units.Create(ctx, systemPrincipal(), unit.Unit{Code: "ORG", Name: orgName})
		if err != nil {
			return "", fmt.Errorf("create top-level unit: %w", err)
		}
		root = u.ID
	}
	password, _, err := c.Users.Bootstrap(ctx, root, "admin")
	return password, err
}

// Printer writes operator-facing lines (URLs, one-time secrets) to the
// terminal: these are meant for the person who started Khiên, not the log.
type Printer struct{ W io.Writer }

// Printf writes one line.
func (p Printer) Printf(format string, args ...any) {
	if p.W != nil {
		fmt.Fprintf(p.W, format+"\n", args...)
	}
}

// parseDeadlines reads "id=YYYY-MM-DD, id2=YYYY-MM-DD".
func parseDeadlines(s string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for pair := range strings.SplitSeq(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		id, date, ok := strings.Cut(pair, "=")
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(date))
		if !ok || err != nil || strings.TrimSpace(id) == "" {
			return nil, fmt.Errorf("%q is not id=YYYY-MM-DD", pair)
		}
		out[strings.TrimSpace(id)] = t
	}
	return out, nil
}
