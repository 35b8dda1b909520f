package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/system/sheet"
)

// runSystems imports, exports or classifies the information-system register.
func runSystems(ctx context.Context, e *env, args []string) int {
	usageLine := "Usage: khien systems import FILE | export FILE | classify [CODE]"
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}
	sub := args[0]
	fs := newFlagSet(e, "systems "+sub)
	flags := config.BindFlags(fs)
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	switch sub {
	case "import", "export":
		if fs.NArg() != 1 {
			fmt.Fprintln(e.stderr, usageLine)
			return exitUsage
		}
	case "classify":
	default:
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}
	core, code := openCore(ctx, e, flags)
	if core == nil {
		return code
	}
	defer core.Close()
	sys := authz.System()
	pack, err := core.Systems.Pack("")
	if err != nil {
		return fail(e, err)
	}
	tree, err := core.Units.Tree(ctx)
	if err != nil {
		return fail(e, err)
	}
	switch sub {
	case "import":
		data, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return fail(e, err)
		}
		var rep sheet.Report
		if strings.EqualFold(filepath.Ext(fs.Arg(0)), ".xlsx") {
			rep, err = sheet.ParseXLSX(bytes.NewReader(data), pack)
		} else {
			rep, err = sheet.ParseCSV(bytes.NewReader(data), pack)
		}
		if err != nil {
			return fail(e, err)
		}
		codes := map[string]int64{}
		for _, n := range tree.Walk(nil) {
			codes[n.Code] = n.ID
		}
		res, err := sheet.Import(ctx, core.Systems, sys, rep, func(c string) (int64, bool) { id, ok := codes[c]; return id, ok })
		if err != nil {
			return fail(e, err)
		}
		if problems := res.Report.Problems(); len(problems) > 0 {
			fmt.Fprintf(e.stdout, "nothing imported: %d problems\n", len(problems))
			for _, p := range problems {
				text := p.String()
				if p.Message.EN == "" || p.Message.EN == p.Key {
					text = strings.TrimSuffix(text, p.Key) + core.Catalog.T("en", p.Key, p.Args...)
				}
				fmt.Fprintln(e.stdout, "  "+text)
			}
			return exitFailure
		}
		fmt.Fprintf(e.stdout, "imported: %d created, %d updated\n", len(res.Created), len(res.Updated))
		if res.Failed != nil {
			fmt.Fprintf(e.stdout, "stopped part-way: %s\n", res.Failed)
			return exitFailure
		}
	case "export":
		systems, err := core.Systems.List(ctx, sys, system.Filter{})
		if err != nil {
			return fail(e, err)
		}
		codes := map[int64]string{}
		for _, s := range systems {
			codes[s.ID] = s.Code
		}
		unitCode := func(id int64) string { u, _ := tree.Get(id); return u.Code }
		var buf bytes.Buffer
		if strings.EqualFold(filepath.Ext(fs.Arg(0)), ".xlsx") {
			err = sheet.ExportXLSX(&buf, pack, systems, unitCode, func(id int64) string { return codes[id] })
		} else {
			err = sheet.ExportCSV(&buf, pack, systems, unitCode, func(id int64) string { return codes[id] })
		}
		if err != nil {
			return fail(e, err)
		}
		if err := os.WriteFile(fs.Arg(0), buf.Bytes(), 0o600); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.stdout, "exported %d systems to %s\n", len(systems), fs.Arg(0))
	case "classify":
		systems, err := core.Systems.List(ctx, sys, system.Filter{})
		if err != nil {
			return fail(e, err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CODE\tPROPOSED\tAPPROVED\tREVIEW\tCRITERIA")
		for _, s := range systems {
			if fs.NArg() > 0 && s.Code != fs.Arg(0) {
				continue
			}
			res, err := core.Systems.Assess(ctx, s)
			if err != nil {
				return fail(e, err)
			}
			var crit []string
			for _, m := range res.Matches {
				crit = append(crit, m.CriterionID+" ("+m.Source.Citation.EN+")")
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%t\t%s\n", s.Code, res.Level, s.ApprovedLevel, res.NeedsReview, strings.Join(crit, "; "))
		}
		_ = tw.Flush()
	}
	return exitOK
}
