// Package cli implements the khien command line: serve, demo, migrate,
// user, audit, config and version. Each sub-command parses its own flags
// with its own FlagSet (never the global one).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"khien.vn/khien/internal/config"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

type command struct {
	name, summary string
	run           func(ctx context.Context, env *env, args []string) int
}

// env is what every command gets: output streams and the environment.
type env struct {
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
}

func commands() []command {
	return []command{
		{"serve", "run Khiên", runServe},
		{"demo", "run Khiên with demo data in a fresh data directory", runDemo},
		{"migrate", "bring the database schema up to date", runMigrate},
		{"user", "manage accounts: create, reset-password, list, disable", runUser},
		{"audit", "audit log: verify", runAudit},
		{"config", "configuration: check, dump", runConfig},
		{"regulation", "regulation packs: list, validate DIR", runRegulation},
		{"systems", "information-system register: import FILE, export FILE, classify [CODE]", runSystems},
		{"report", "reports to the authority: annual, implementation (PDF, DOCX, XLSX)", runReport},
		{"oscal", "OSCAL: catalog, profile LEVEL, assessment-results CODE, import FILE", runOSCAL},
		{"import", "import event files into the event store: evtx [--unit CODE] FILE...", runImport},
		{"sigma", "offline Sigma scan: scan --rules DIR --events FILE.jsonl|FILE.evtx", runSigma},
		{"rules", "detection rules as code: validate [DIR...], test [DIR...] (golden events; built-in pack by default)", runRules},
		{"version", "print the version", runVersion},
	}
}

// Run executes the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, &env{stdout: stdout, stderr: stderr, lookupEnv: os.LookupEnv})
}

func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "khien: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: khien <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'khien <command> -h' for the flags of a command.")
}

// newFlagSet returns a FlagSet that reports errors instead of exiting.
func newFlagSet(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("khien "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parse parses args; it returns false with the exit code to use when parsing stopped.
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
}

// loadConfig loads the configuration from the sources and reports every problem.
func loadConfig(e *env, flags *config.Flags) (config.Config, bool) {
	cfg, err := config.Load(config.Sources{File: flags.ConfigFile(), LookupEnv: e.lookupEnv, Flags: flags})
	if err != nil {
		fmt.Fprintln(e.stderr, "khien: configuration problems:")
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(e.stderr, "  - "+line)
		}
		return cfg, false
	}
	return cfg, true
}

// newLogger builds the process logger from the configuration.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func fail(e *env, err error) int {
	fmt.Fprintf(e.stderr, "khien: %v\n", err)
	return exitFailure
}
