package cli

import (
	"context"
	"fmt"
	"strings"

	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/ingest/evtx"
)

// runImport imports event files straight into the event store.
func runImport(ctx context.Context, e *env, args []string) int {
	usageLine := "Usage: khien import evtx [--unit CODE] FILE..."
	if len(args) == 0 || args[0] != "evtx" {
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}
	fs := newFlagSet(e, "import evtx")
	flags := config.BindFlags(fs)
	unitCode := fs.String("unit", "", "code of the unit the events belong to (default: attribution by host, else the top-level unit)")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}
	core, code := openCore(ctx, e, flags)
	if core == nil {
		return code
	}
	defer core.Close()
	var unitID int64
	if *unitCode != "" {
		tree, err := core.Units.Tree(ctx)
		if err != nil {
			return fail(e, err)
		}
		for _, n := range tree.Walk(nil) {
			if strings.EqualFold(n.Code, *unitCode) {
				unitID = n.ID
			}
		}
		if unitID == 0 {
			fmt.Fprintf(e.stderr, "khien: no unit with code %q\n", *unitCode)
			return exitUsage
		}
	}
	last := map[string]int{}
	lines, err := core.ImportEVTXFiles(ctx, fs.Args(), unitID, func(file string, st evtx.Stats) {
		if st.Chunks == 0 {
			return
		}
		// One progress line per 10 %.
		if pct := st.ChunksDone * 10 / st.Chunks; pct > last[file] || st.ChunksDone == st.Chunks {
			last[file] = pct
			fmt.Fprintf(e.stderr, "%s: %d/%d chunks, %d records\n", file, st.ChunksDone, st.Chunks, st.Records)
		}
	})
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l)
	}
	if err != nil {
		return fail(e, err)
	}
	return exitOK
}
