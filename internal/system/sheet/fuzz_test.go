package sheet_test

import (
	"bytes"
	"errors"
	"testing"

	"khien.vn/khien/internal/system/sheet"
)

// checkReport holds for every report, whatever the input.
func checkReport(t *testing.T, rep sheet.Report, err error) {
	if err != nil {
		var fe *sheet.FileError
		if !errors.As(err, &fe) {
			t.Fatalf("error is not a FileError: %v", err)
		}
		return
	}
	if len(rep.Rows) > sheet.MaxRows {
		t.Fatalf("%d rows, over the limit", len(rep.Rows))
	}
	last := 0
	for _, r := range rep.Rows {
		if r.Line <= last {
			t.Fatalf("row lines not increasing: %d after %d", r.Line, last)
		}
		last = r.Line
		if r.System.UnitID != 0 || r.System.ParentID != 0 {
			t.Fatalf("ids set: %+v", r.System)
		}
		for _, p := range r.Problems {
			if p.Key == "" || p.Message.EN == "" || p.Line != r.Line {
				t.Fatalf("bad problem %+v on row %d", p, r.Line)
			}
		}
		if len(r.Problems) == 0 && len(rep.FileProblems) == 0 {
			// A row without problems is a valid system once its unit is set.
			s := r.System
			s.UnitID = 1
			if err := s.Validate(); err != nil {
				t.Fatalf("row %d has no problems but Validate says %v", r.Line, err)
			}
		}
	}
	for _, p := range rep.FileProblems {
		if p.Key == "" || p.Message.EN == "" {
			t.Fatalf("bad file problem %+v", p)
		}
	}
}

func seeds(f *testing.F, export func(*bytes.Buffer) error) {
	var b bytes.Buffer
	if err := export(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
}

func FuzzParseCSV(f *testing.F) {
	p := pack(f)
	systems, units, codes := registerFixture(p)
	seeds(f, func(b *bytes.Buffer) error { return sheet.TemplateCSV(b, p) })
	seeds(f, func(b *bytes.Buffer) error {
		return sheet.ExportCSV(b, p, systems, func(id int64) string { return units[id] }, func(id int64) string { return codes[id] })
	})
	for _, s := range []string{
		"",
		"\xEF\xBB\xBFcode;name;unit_code;status;hosting;system_type\r\nA;Một;U;planned;cloud;other\r\n",
		"sep=;\ncode;name\n\"a\"\"b\";\"c\n",
		"code,name,unit_code,status,hosting,system_type,parent_code\nA,x,U,planned,cloud,other,B\nB,y,U,planned,cloud,other,A\n",
		"code,code,,foo\n,,,,,x\n",
		"Mã hệ thống\tTên\n\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := sheet.ParseCSV(bytes.NewReader(data), p)
		checkReport(t, rep, err)
	})
}

func FuzzParseXLSX(f *testing.F) {
	p := pack(f)
	systems, units, codes := registerFixture(p)
	seeds(f, func(b *bytes.Buffer) error { return sheet.TemplateXLSX(b, p) })
	seeds(f, func(b *bytes.Buffer) error {
		return sheet.ExportXLSX(b, p, systems, func(id int64) string { return units[id] }, func(id int64) string { return codes[id] })
	})
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := sheet.ParseXLSX(bytes.NewReader(data), p)
		checkReport(t, rep, err)
	})
}
