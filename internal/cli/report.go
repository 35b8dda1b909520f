package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/system"
)

// runReport generates a report to the authority from the command line:
// khien report annual --unit CODE --year 2026 --out DIR
// khien report implementation --unit CODE --from 2026-01-01 --to 2026-11-30 --out DIR
func runReport(ctx context.Context, e *env, args []string) int {
	usageLine := "Usage: khien report annual|implementation --unit CODE [--year Y | --from D --to D] [--out DIR] [--number N] [--recipient R] [--signer-role R] [--signer-name N]"
	if len(args) == 0 || (args[0] != "annual" && args[0] != "implementation") {
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}
	req := compliance.ReportRequest{Kind: args[0]}
	fs := newFlagSet(e, "report "+args[0])
	flags := config.BindFlags(fs)
	unitCode := fs.String("unit", "", "code of the reporting unit (its sub-units are included)")
	out := fs.String("out", ".", "directory the PDF, DOCX and XLSX files are written to")
	fs.IntVar(&req.Year, "year", time.Now().Year(), "year of the annual report (data period 15/12 of the year before to 14/12)")
	fs.StringVar(&req.From, "from", "", "first day of the implementation report's period (YYYY-MM-DD)")
	fs.StringVar(&req.To, "to", "", "last day of the implementation report's period (YYYY-MM-DD)")
	fs.StringVar(&req.Number, "number", "", "document number")
	fs.StringVar(&req.Recipient, "recipient", "", "recipient (Kính gửi)")
	fs.StringVar(&req.Place, "place", "", "place of the date line")
	fs.StringVar(&req.SignerRole, "signer-role", "", "signer's title")
	fs.StringVar(&req.SignerName, "signer-name", "", "signer's name")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	if *unitCode == "" || fs.NArg() != 0 {
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}
	if req.Kind == "implementation" {
		req.Year = 0
	}
	core, code := openCore(ctx, e, flags)
	if core == nil {
		return code
	}
	defer core.Close()
	tree, err := core.Units.Tree(ctx)
	if err != nil {
		return fail(e, err)
	}
	for _, n := range tree.Walk(nil) {
		if strings.EqualFold(n.Code, *unitCode) {
			req.UnitID = n.ID
		}
	}
	if req.UnitID == 0 {
		return fail(e, fmt.Errorf("no unit has the code %q", *unitCode))
	}
	kind, err := compliance.CheckReport(&req, time.Now())
	if err != nil {
		return fail(e, err)
	}
	res, err := core.Compliance.GenerateReport(ctx, kind, req, nil)
	if err != nil {
		return fail(e, err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fail(e, err)
	}
	for _, format := range compliance.ReportFormats {
		path := filepath.Join(*out, res.FileName(format))
		if err := os.WriteFile(path, res.Files[format], 0o644); err != nil {
			return fail(e, err)
		}
		fmt.Fprintln(e.stdout, path)
	}
	fmt.Fprintf(e.stdout, "%d systems reported\n", res.Systems)
	return exitOK
}

// runOSCAL exports the requirement catalogue, a level's profile or a
// system's assessment results as OSCAL JSON on standard output, or imports
// an OSCAL catalog as a custom framework.
func runOSCAL(ctx context.Context, e *env, args []string) int {
	usageLine := "Usage: khien oscal catalog [--lang vi|en] | profile LEVEL | assessment-results SYSTEM-CODE | import FILE"
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}
	sub := args[0]
	fs := newFlagSet(e, "oscal "+sub)
	flags := config.BindFlags(fs)
	lang := fs.String("lang", "vi", "language of titles: vi or en")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	want := map[string]int{"catalog": 0, "profile": 1, "assessment-results": 1, "import": 1}
	if n, ok := want[sub]; !ok || fs.NArg() != n {
		fmt.Fprintln(e.stderr, usageLine)
		return exitUsage
	}
	core, code := openCore(ctx, e, flags)
	if core == nil {
		return code
	}
	defer core.Close()
	sys := authz.System()
	var data []byte
	var err error
	switch sub {
	case "catalog":
		data, err = core.Compliance.OSCALCatalog(sys, *lang)
	case "profile":
		level, convErr := strconv.Atoi(fs.Arg(0))
		if convErr != nil {
			fmt.Fprintln(e.stderr, usageLine)
			return exitUsage
		}
		data, err = core.Compliance.OSCALProfile(sys, level, "catalog.json")
	case "assessment-results":
		var s system.System
		if s, err = core.Backend.GetSystemByCode(ctx, fs.Arg(0)); err == nil {
			data, err = core.Compliance.OSCALAssessmentResults(ctx, sys, s.ID, *lang)
		}
	case "import":
		f, openErr := os.Open(fs.Arg(0))
		if openErr != nil {
			return fail(e, openErr)
		}
		defer f.Close()
		fw, importErr := core.Compliance.ImportFramework(ctx, sys, filepath.Base(fs.Arg(0)), f)
		if importErr != nil {
			return fail(e, importErr)
		}
		fmt.Fprintf(e.stdout, "imported framework %s (%s, version %s): %d controls\n", fw.Key, fw.Title, fw.Version, fw.Controls)
		return exitOK
	}
	if err != nil {
		return fail(e, err)
	}
	if _, err := e.stdout.Write(append(data, '\n')); err != nil {
		return fail(e, err)
	}
	return exitOK
}
