package sheet_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system/sheet"
)

func pack(tb testing.TB) *regulation.Pack {
	tb.Helper()
	reg, err := regulation.LoadEmbedded()
	if err != nil {
		tb.Fatal(err)
	}
	p, ok := reg.Pack("decree85-2016")
	if !ok {
		tb.Fatal("pack decree85-2016 not embedded")
	}
	return p
}

// parser is ParseCSV or ParseXLSX.
type parser func(io.Reader, *regulation.Pack) (sheet.Report, error)

func parseCSV(tb testing.TB, p *regulation.Pack, lines ...string) sheet.Report {
	tb.Helper()
	rep, err := sheet.ParseCSV(strings.NewReader(strings.Join(lines, "\n")+"\n"), p)
	if err != nil {
		tb.Fatalf("ParseCSV: %v", err)
	}
	return rep
}

// at is a problem reduced to where it is and what it is.
type at struct {
	Line   int
	Column string
	Key    string
}

func ats(ps []sheet.Problem) []at {
	var out []at
	for _, p := range ps {
		out = append(out, at{p.Line, p.Column, p.Key})
	}
	return out
}

func rowProblems(rep sheet.Report) []at {
	var out []at
	for _, r := range rep.Rows {
		out = append(out, ats(r.Problems)...)
	}
	return out
}

func diff(tb testing.TB, what string, want, got any, opts ...cmp.Option) {
	tb.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		tb.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func csvBytes(lines ...string) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}
