package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"khien.vn/khien/internal/regulation"
)

// runRegulation lists the embedded regulation packs or validates a
// directory of packs, printing every problem with its file, line and column.
func runRegulation(_ context.Context, e *env, args []string) int {
	if len(args) == 0 || (args[0] != "validate" && args[0] != "list") {
		fmt.Fprintln(e.stderr, "Usage: khien regulation list | validate DIR")
		return exitUsage
	}
	fs := newFlagSet(e, "regulation "+args[0])
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	switch args[0] {
	case "validate":
		if fs.NArg() != 1 {
			fmt.Fprintln(e.stderr, "Usage: khien regulation validate DIR")
			return exitUsage
		}
		if err := regulation.ValidateDir(fs.Arg(0)); err != nil {
			fmt.Fprintln(e.stdout, err)
			return exitFailure
		}
		fmt.Fprintf(e.stdout, "%s: regulation packs valid\n", fs.Arg(0))
	case "list":
		reg, err := regulation.LoadEmbedded()
		if err != nil {
			return fail(e, err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tVERSION\tIN FORCE\tTITLE")
		for _, p := range reg.Packs() {
			in := p.InForce()
			until := "…"
			if !in.Until.IsZero() {
				until = in.Until.Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s – %s\t%s\n", p.ID(), p.Version(), in.From.Format(time.DateOnly), until, p.Title().EN)
		}
		_ = tw.Flush()
	}
	return exitOK
}
