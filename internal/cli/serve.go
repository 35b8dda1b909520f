package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"text/tabwriter"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/version"
)

func runServe(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "serve")
	flags := config.BindFlags(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	cfg, ok := loadConfig(e, flags)
	if !ok {
		return exitUsage
	}
	logger := newLogger(cfg, e.stderr)
	slogDefault(logger)
	logger.Info("starting", "version", version.Get().String(), "data_dir", cfg.DataDir, "database", cfg.Database.Driver)
	core, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return fail(e, err)
	}
	defer core.Close()
	out := app.Printer{W: e.stdout}
	password, err := core.Bootstrap(ctx, "Tổ chức")
	if err != nil {
		return fail(e, err)
	}
	srv, err := app.NewServer(ctx, core, app.ServeOptions{Out: out})
	if err != nil {
		return fail(e, err)
	}
	out.Printf("Khiên is running at %s", srv.URL())
	if password != "" {
		out.Printf("First start: an administrator account was created.")
		out.Printf("  username: admin")
		out.Printf("  one-time password: %s", password)
		out.Printf("  (shown once; you must choose your own password at first sign-in)")
	}
	if err := srv.Run(ctx); err != nil {
		return fail(e, err)
	}
	return exitOK
}

func runDemo(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "demo")
	flags := config.BindFlags(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	cfg, ok := loadConfig(e, flags)
	if !ok {
		return exitUsage
	}
	// The demo keeps its data apart unless told where: a fresh directory
	// each run, so it never touches a real installation's data.
	if cfg.DataDir == config.Default().DataDir {
		dir, err := os.MkdirTemp("", "khien-demo-")
		if err != nil {
			return fail(e, err)
		}
		cfg.DataDir = dir
	}
	ingestToken := demoIngest(&cfg)
	logger := newLogger(cfg, e.stderr)
	slogDefault(logger)
	core, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return fail(e, err)
	}
	defer core.Close()
	accounts, err := core.SeedDemo(ctx)
	if err != nil {
		return fail(e, err)
	}
	out := app.Printer{W: e.stdout}
	srv, err := app.NewServer(ctx, core, app.ServeOptions{Out: out, PlainOnLoopback: true})
	if err != nil {
		return fail(e, err)
	}
	if n, err := srv.SeedDemoEvents(ctx); err != nil {
		return fail(e, err)
	} else if n > 0 {
		logger.Info("demo events queued", "events", n)
	}
	out.Printf("Khiên demo is running at %s", srv.URL())
	out.Printf("Data directory: %s", cfg.DataDir)
	if cfg.Ingest.SyslogTCP != "" {
		out.Printf("Syslog (RFC 3164/5424) on udp and tcp %s", cfg.Ingest.SyslogTCP)
	}
	if addr, tls := srv.Ingest().HTTPAddr(); addr != "" && ingestToken != "" {
		scheme := "http"
		if tls {
			scheme = "https"
		}
		out.Printf("Elasticsearch _bulk, Splunk HEC, OTLP/HTTP and JSON lines on %s://%s (ingest token: %s)", scheme, addr, ingestToken)
	}
	if len(accounts) > 0 {
		out.Printf("Sign in as admin with the one-time password below (you will choose your own at first sign-in).")
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  username\trole\tunit\tone-time password")
		for _, a := range accounts {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Username, a.Role, a.Unit, a.Password)
		}
		_ = tw.Flush()
	} else {
		out.Printf("Existing demo data reused; use 'khien user reset-password --data %s USERNAME' if you lost a password.", cfg.DataDir)
	}
	out.Printf("Press Ctrl+C to stop.")
	if err := srv.Run(ctx); err != nil {
		return fail(e, err)
	}
	return exitOK
}

func runVersion(_ context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "version")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	fmt.Fprintln(e.stdout, version.Get().String())
	return exitOK
}

// demoIngest turns on the ingest listeners on loopback for the demo, where
// the usual ports are free and the configuration leaves them off, and
// returns the ingest token it made ("" when the HTTP receivers stay off).
func demoIngest(cfg *config.Config) string {
	free := func(network, addr string) bool {
		switch network {
		case "udp":
			c, err := net.ListenPacket("udp", addr)
			if err != nil {
				return false
			}
			return c.Close() == nil
		default:
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return false
			}
			return ln.Close() == nil
		}
	}
	if cfg.Ingest.SyslogTCP == "" && cfg.Ingest.SyslogUDP == "" && free("tcp", "127.0.0.1:5514") && free("udp", "127.0.0.1:5514") {
		cfg.Ingest.SyslogTCP, cfg.Ingest.SyslogUDP = "127.0.0.1:5514", "127.0.0.1:5514"
	}
	if cfg.Ingest.HTTP != "" || cfg.Ingest.Tokens != "" || !free("tcp", "127.0.0.1:9200") {
		return ""
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	cfg.Ingest.HTTP, cfg.Ingest.InsecureHTTP, cfg.Ingest.Tokens = "127.0.0.1:9200", true, config.Secret("demo="+token)
	return token
}
