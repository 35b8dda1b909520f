package cli

import (
	"context"
	"errors"

	"fmt"
	"log/slog"
	"strconv"
	"text/tabwriter"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/user"
)

func slogDefault(l *slog.Logger) { slog.SetDefault(l) }

// openCore loads the configuration and opens the services for an offline command.
func openCore(ctx context.Context, e *env, flags *config.Flags) (*app.Core, int) {
	cfg, ok := loadConfig(e, flags)
	if !ok {
		return nil, exitUsage
	}
	logger := newLogger(cfg, e.stderr)
	core, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return nil, fail(e, err)
	}
	return core, exitOK
}

func runMigrate(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "migrate")
	flags := config.BindFlags(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	cfg, ok := loadConfig(e, flags)
	if !ok {
		return exitUsage
	}
	be, err := app.OpenBackend(ctx, cfg, newLogger(cfg, e.stderr), false)
	if err != nil && be == nil {
		// Opening refuses an old schema without auto-migration; open again allowing it.
		be, err = app.OpenBackend(ctx, cfg, newLogger(cfg, e.stderr), true)
	}
	if err != nil {
		return fail(e, err)
	}
	defer be.Close()
	if err := be.Migrate(ctx); err != nil {
		return fail(e, err)
	}
	cur, latest, err := be.SchemaVersion(ctx)
	if err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.stdout, "schema version %d (latest %d)\n", cur, latest)
	return exitOK
}

func runUser(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "Usage: khien user create|reset-password|list|disable [flags]")
		return exitUsage
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet(e, "user "+sub)
	flags := config.BindFlags(fs)
	var username, name, email, role, unitRef string
	switch sub {
	case "create":
		fs.StringVar(&username, "username", "", "username (required)")
		fs.StringVar(&name, "name", "", "full name (required)")
		fs.StringVar(&email, "email", "", "e-mail address")
		fs.StringVar(&role, "role", "viewer", "role: admin, security_lead, analyst, system_owner, assessor, viewer")
		fs.StringVar(&unitRef, "unit", "", "unit code or id (default: the top-level unit)")
	case "reset-password", "disable", "list":
	default:
		fmt.Fprintf(e.stderr, "khien user: unknown sub-command %q\n", sub)
		return exitUsage
	}
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if sub == "reset-password" || sub == "disable" {
		if fs.NArg() != 1 {
			fmt.Fprintf(e.stderr, "Usage: khien user %s [flags] USERNAME\n", sub)
			return exitUsage
		}
		username = fs.Arg(0)
	}
	core, code := openCore(ctx, e, flags)
	if core == nil {
		return code
	}
	defer core.Close()
	sys := authz.System()
	switch sub {
	case "create":
		unitID, err := findUnit(ctx, core, unitRef)
		if err != nil {
			return fail(e, err)
		}
		u, password, err := core.Users.Create(ctx, sys, user.NewUser{Username: username, DisplayName: name,
			Email: email, Role: authz.Role(role), UnitID: unitID})
		if err != nil {
			return fail(e, describe(core, err))
		}
		fmt.Fprintf(e.stdout, "created user %s (id %d, role %s)\none-time password: %s\n", u.Username, u.ID, u.Role, password)
	case "reset-password":
		u, err := core.Backend.GetUserByUsername(ctx, user.NormalizeUsername(username))
		if err != nil {
			return fail(e, fmt.Errorf("user %s: %w", username, err))
		}
		password, err := core.Users.ResetPassword(ctx, sys, u.ID)
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stdout, "one-time password for %s: %s\n", u.Username, password)
	case "disable":
		u, err := core.Backend.GetUserByUsername(ctx, user.NormalizeUsername(username))
		if err != nil {
			return fail(e, fmt.Errorf("user %s: %w", username, err))
		}
		yes := true
		if _, err := core.Users.Update(ctx, sys, u.ID, user.Patch{Disabled: &yes}); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stdout, "disabled %s and ended their sessions\n", u.Username)
	case "list":
		users, err := core.Users.List(ctx, sys)
		if err != nil {
			return fail(e, err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tNAME\tROLE\tUNIT\tMFA\tDISABLED")
		for _, u := range users {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%t\t%t\n", u.ID, u.Username, u.DisplayName, u.Role, u.UnitID, u.MFAEnabled, u.Disabled)
		}
		_ = tw.Flush()
	}
	return exitOK
}

// describe turns a public error into its English message for the terminal.
func describe(core *app.Core, err error) error {
	if pe, ok := errs.AsPublic(err); ok {
		return errors.New(core.Catalog.T("en", pe.Key, pe.Args...))
	}
	return err
}

func findUnit(ctx context.Context, core *app.Core, ref string) (int64, error) {
	tree, err := core.Units.Tree(ctx)
	if err != nil {
		return 0, err
	}
	if ref == "" {
		if roots := tree.Children(0); len(roots) > 0 {
			return roots[0], nil
		}
		return 0, errors.New("no unit exists yet: start 'khien serve' once first")
	}
	for _, n := range tree.Walk(nil) {
		if n.Code == ref || strconv.FormatInt(n.ID, 10) == ref {
			return n.ID, nil
		}
	}
	return 0, fmt.Errorf("no unit with code or id %q", ref)
}

func runAudit(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(e.stderr, "Usage: khien audit verify [flags]")
		return exitUsage
	}
	fs := newFlagSet(e, "audit verify")
	flags := config.BindFlags(fs)
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	core, code := openCore(ctx, e, flags)
	if core == nil {
		return code
	}
	defer core.Close()
	n, err := audit.Verify(ctx, core.Backend, nil)
	var brk *audit.Break
	switch {
	case errors.As(err, &brk):
		fmt.Fprintf(e.stdout, "audit chain BROKEN at seq %d: %s (%d entries verified before it)\n", brk.Seq, brk.Reason, n)
		return exitFailure
	case err != nil:
		return fail(e, err)
	}
	fmt.Fprintf(e.stdout, "audit chain intact: %d entries verified\n", n)
	return exitOK
}

func runConfig(_ context.Context, e *env, args []string) int {
	if len(args) == 0 || (args[0] != "check" && args[0] != "dump") {
		fmt.Fprintln(e.stderr, "Usage: khien config check|dump [flags]")
		return exitUsage
	}
	fs := newFlagSet(e, "config "+args[0])
	flags := config.BindFlags(fs)
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	cfg, ok := loadConfig(e, flags)
	if !ok {
		return exitFailure
	}
	if args[0] == "check" {
		fmt.Fprintln(e.stdout, "configuration OK")
		return exitOK
	}
	fmt.Fprint(e.stdout, cfg.String())
	return exitOK
}
