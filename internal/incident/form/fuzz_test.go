package form_test

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"khien.vn/khien/internal/incident/form"
	"khien.vn/khien/internal/report"
)

// FuzzDocument fills forms with arbitrary text — as the user's values for
// every key, as the case's title and description, as a party's name —
// and renders them (as PDF when which's high bit is set, else DOCX):
// nothing panics, Prefill keeps the form's shape, and rendering either
// succeeds or fails with an error.
func FuzzDocument(f *testing.F) {
	f.Add(uint8(2), "Có", caseTitle, caseDesc)
	f.Add(uint8(0x82), "Có", caseTitle, caseDesc)
	f.Add(uint8(0x84), "Tấn công mã hóa dữ liệu (mã độc tống tiền): 3\nghi chú", "", "")
	f.Add(uint8(4), "Tấn công mã hóa dữ liệu (mã độc tống tiền): 3\nghi chú", "", "")
	f.Add(uint8(0x80), "\x00\xff\ufffe\r\n\t", "a\u0301", "e\u0302\u0301 \u200b")
	f.Add(uint8(3), ":\n:::\n: 1", strings.Repeat("x", 5000), "\n\n\n")
	f.Add(uint8(5), "99999999999999999999: 99999999999999999999", "🙂", "ﷺ")
	all := forms()
	f.Fuzz(func(t *testing.T, which uint8, value, title, desc string) {
		fm := all[int(which)%len(all)]
		in := sampleInput(fm)
		in.Case.Title, in.Case.Description = title, desc
		in.Systems[0].Operator.Name = value
		in.Reporter.Title = value
		in.Values = map[string]string{}
		for i, k := range fm.Fields {
			if i%2 == int(which)%2 {
				in.Values[k] = value
			}
		}
		fields := form.Prefill(in)
		if len(fields) != len(fm.Fields) {
			t.Fatalf("%d fields for %d keys", len(fields), len(fm.Fields))
		}
		// One format per input: a PDF costs several times a DOCX, and
		// the fuzzer needs executions.
		format := "docx"
		if which&0x80 != 0 {
			format = "pdf"
		}
		data, _, err := report.Render(format, form.Document(in, fields))
		if err == nil && len(data) == 0 {
			t.Fatalf("%s: no error and no output", format)
		}
	})
}

// TestDocument_nfd: decomposed Vietnamese input comes out precomposed.
func TestDocument_nfd(t *testing.T) {
	in := sampleInput(mustForm("tt20.form03"))
	in.Case.Title = norm.NFD.String(caseTitle)
	in.Values = map[string]string{"recommendations": norm.NFD.String("Đề nghị VNCERT/CC hỗ trợ phân tích mẫu mã độc")}
	text, err := docxText(render(t, "docx", form.Document(in, form.Prefill(in))))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{caseTitle, "Đề nghị VNCERT/CC hỗ trợ phân tích mẫu mã độc"} {
		if !strings.Contains(text, want) {
			t.Errorf("DOCX text lacks NFC %q", want)
		}
	}
}
