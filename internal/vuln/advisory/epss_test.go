package advisory

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// epssFile is a day's file as FIRST publishes it (2025, model v4).
const epssFile = "#model_version:v2025.03.14,score_date:2025-03-16T12:55:00Z\n" +
	"cve,epss,percentile\n" +
	"CVE-1999-0001,0.01141,0.77966\n" +
	"CVE-2021-44228,0.94358,0.99957\n" +
	"CVE-2024-99010,4.3e-05,0.00367\n" +
	"CVE-2024-1234567,0,0\n" +
	"CVE-2025-0001,1,1.0\n"

var epssScores = []EPSS{
	{CVE: "CVE-1999-0001", Score: 0.01141, Percentile: 0.77966},
	{CVE: "CVE-2021-44228", Score: 0.94358, Percentile: 0.99957},
	{CVE: "CVE-2024-99010", Score: 0.000043, Percentile: 0.00367},
	{CVE: "CVE-2024-1234567", Score: 0, Percentile: 0},
	{CVE: "CVE-2025-0001", Score: 1, Percentile: 1},
}

// gzipBytes compresses data as the published .csv.gz files are.
func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseEPSS(t *testing.T) {
	for _, c := range []struct {
		name, file string
		model      string
		date       time.Time
		list       []EPSS
	}{
		{"current", epssFile, "v2025.03.14", ts(t, "2025-03-16T12:55:00Z"), epssScores},
		{"compact offset", "#model_version:v2023.03.01,score_date:2023-03-05T00:00:00+0000\ncve,epss,percentile\nCVE-1999-0001,0.01141,0.77966\n",
			"v2023.03.01", ts(t, "2023-03-05T00:00:00Z"), epssScores[:1]},
		{"offset converted to UTC", "#score_date:2023-03-05T07:00:00+0700,model_version:v2023.03.01\ncve,epss,percentile\n",
			"v2023.03.01", ts(t, "2023-03-05T00:00:00Z"), []EPSS{}},
		{"no comment line", "cve,epss,percentile\nCVE-1999-0001,0.01141,0.77966\n", "", time.Time{}, epssScores[:1]},
		{"crlf bom quotes blanks", "\ufeff#model_version:v2025.03.14,score_date:2025-03-16\r\n\r\n\"cve\",\"epss\",\"percentile\"\r\n\"CVE-1999-0001\",\"0.01141\",\"0.77966\"\r\n\r\n",
			"v2025.03.14", ts(t, "2025-03-16T00:00:00Z"), epssScores[:1]},
		{"unknown keys", "#model_version:v1,extra:yes,score_date:2025-03-16T12:55:00.5Z\nCVE,EPSS,Percentile\n", "v1", ts(t, "2025-03-16T12:55:00.5Z"), []EPSS{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			model, date, list, err := ParseEPSS(strings.NewReader(c.file))
			if err != nil {
				t.Fatal(err)
			}
			if model != c.model || !date.Equal(c.date) || date.Location() != time.UTC {
				t.Errorf("model %q date %v, want %q %v", model, date, c.model, c.date)
			}
			same(t, "scores", list, c.list)
		})
	}
}

func TestParseEPSSGzip(t *testing.T) {
	model, date, list, err := ParseEPSS(bytes.NewReader(gzipBytes(t, []byte(epssFile))))
	if err != nil {
		t.Fatal(err)
	}
	if model != "v2025.03.14" || !date.Equal(ts(t, "2025-03-16T12:55:00Z")) {
		t.Errorf("model %q date %v", model, date)
	}
	same(t, "scores", list, epssScores)

	// Concatenated gzip members read as one file, as gzip(1) does.
	half := strings.Index(epssFile, "CVE-2021")
	two := append(gzipBytes(t, []byte(epssFile[:half])), gzipBytes(t, []byte(epssFile[half:]))...)
	if _, _, list, err = ParseEPSS(bytes.NewReader(two)); err != nil || len(list) != len(epssScores) {
		t.Errorf("multistream: %d scores, %v", len(list), err)
	}
}

func TestParseEPSSMalformed(t *testing.T) {
	const head = "#model_version:v2025.03.14,score_date:2025-03-16T12:55:00Z\ncve,epss,percentile\nCVE-1999-0001,0.01141,0.77966\n"
	for _, c := range []struct {
		name, file string
		parts      []string
	}{
		{"empty", "", []string{"at line 1: missing header"}},
		{"comment only", "#model_version:v1\n", []string{"at line 2: missing header"}},
		{"no percentile", "cve,epss\nCVE-1999-0001,0.5\n", []string{"at line 1", `header "cve,epss"`}},
		{"wrong header", "id,epss,percentile\n", []string{"at line 1", "want cve,epss,percentile"}},
		{"no header", "CVE-1999-0001,0.01141,0.77966\n", []string{"at line 1", "header"}},
		{"bad date", "#model_version:v1,score_date:16/03/2025\ncve,epss,percentile\n", []string{"at line 1", `bad score_date "16/03/2025"`}},
		{"impossible date", "#score_date:2025-02-30T00:00:00+0000\ncve,epss,percentile\n", []string{"at line 1", "bad score_date"}},
		{"two fields", head + "CVE-1999-0002,0.5\n", []string{"at line 4", "want 3 comma-separated fields, have 2"}},
		{"four fields", head + "CVE-1999-0002,0.5,0.5,x\n", []string{"at line 4", "have 4"}},
		{"bad cve", head + "CVE-99-0002,0.5,0.5\n", []string{"at line 4", `bad CVE id "CVE-99-0002"`}},
		{"lower cve", head + "cve-1999-0002,0.5,0.5\n", []string{"at line 4", "bad CVE id"}},
		{"adjacent duplicate", head + "CVE-1999-0001,0.5,0.5\n", []string{"at line 4", "CVE-1999-0001 given twice"}},
		{"duplicate", head + "CVE-2000-0001,0.5,0.5\nCVE-1999-0001,0.5,0.5\n", []string{"at line 5", "CVE-1999-0001 given twice"}},
		{"score above one", head + "CVE-1999-0002,1.5,0.5\n", []string{"at line 4", `bad epss "1.5" for CVE-1999-0002`}},
		{"negative score", head + "CVE-1999-0002,-0.1,0.5\n", []string{"at line 4", `bad epss "-0.1"`}},
		{"nan", head + "CVE-1999-0002,NaN,0.5\n", []string{"at line 4", `bad epss "NaN"`}},
		{"inf", head + "CVE-1999-0002,0.5,Inf\n", []string{"at line 4", `bad percentile "Inf"`}},
		{"hex float", head + "CVE-1999-0002,0x1p-2,0.5\n", []string{"at line 4", "bad epss"}},
		{"empty score", head + "CVE-1999-0002,,0.5\n", []string{"at line 4", `bad epss ""`}},
		{"text", head + "CVE-1999-0002,0.5,high\n", []string{"at line 4", `bad percentile "high"`}},
		{"comment after header", head + "#score_date:2025-01-01\n", []string{"at line 4", "have 1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			model, date, list, err := ParseEPSS(strings.NewReader(c.file))
			wantErr(t, err, ErrMalformed, append([]string{"advisory: malformed epss"}, c.parts...)...)
			if model != "" || !date.IsZero() || list != nil {
				t.Errorf("partial result %q %v %v", model, date, list)
			}
		})
	}
}

func TestParseEPSSBadGzip(t *testing.T) {
	z := gzipBytes(t, []byte(epssFile))
	for _, c := range []struct {
		name  string
		data  []byte
		parts []string
	}{
		{"truncated", z[:len(z)-10], []string{"bad gzip data"}},
		{"header only", z[:5], []string{"bad gzip header"}},
		{"checksum", append(append([]byte{}, z[:len(z)-8]...), 0, 0, 0, 0, 0, 0, 0, 0), []string{"bad gzip data", "checksum"}},
		{"trailing garbage", append(append([]byte{}, z...), "garbage"...), []string{"bad gzip data"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, list, err := ParseEPSS(bytes.NewReader(c.data))
			wantErr(t, err, ErrMalformed, append([]string{"advisory: malformed epss"}, c.parts...)...)
			if list != nil {
				t.Errorf("partial result %v", list)
			}
		})
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestParseEPSSReadError(t *testing.T) {
	// A failing source is its own error, not a verdict on the file,
	// whether plain or compressed.
	boom := errors.New("connection reset")
	for _, data := range [][]byte{[]byte(epssFile[:100]), gzipBytes(t, []byte(epssFile))[:60], nil} {
		_, _, list, err := ParseEPSS(&failingReader{data: data, err: boom})
		if !errors.Is(err, boom) || errors.Is(err, ErrMalformed) || list != nil {
			t.Errorf("%d bytes then a read error: %v, %v", len(data), list, err)
		}
	}
}

// lowerLimit sets *v to n for the test (the real limits take hundreds of
// megabytes to reach, slow under the race detector).
func lowerLimit[T int | int64](t *testing.T, v *T, n T) {
	old := *v
	*v = n
	t.Cleanup(func() { *v = old })
}

func TestParseEPSSTooLarge(t *testing.T) {
	// Whole blank lines of 4001 bytes after the header, then 500 bytes
	// short of the limit: the bad line below crosses it.
	lowerLimit(t, &maxEPSS, 2000*4001+int64(len("cve,epss,percentile\n"))+500)
	// A gzip bomb: 1 MiB of blank lines compresses to about 1 KiB; 300
	// such gzip members, concatenated, inflate to 300 MiB. The reader
	// stops at MaxEPSS.
	member := gzipBytes(t, bytes.Repeat([]byte(strings.Repeat(" ", 1023)+"\n"), 1024))
	buf := bytes.NewBuffer(gzipBytes(t, []byte("cve,epss,percentile\n")))
	for range 300 {
		buf.Write(member)
	}
	if buf.Len() > 1<<20 {
		t.Fatalf("bomb is %d bytes compressed", buf.Len())
	}
	_, _, list, err := ParseEPSS(buf)
	wantErr(t, err, ErrTooLarge, "advisory: too large epss", fmt.Sprint(maxEPSS))
	if list != nil {
		t.Error("partial result")
	}

	// A bad line cut by the limit is too large, not malformed.
	blank := strings.Repeat(" ", 4000) + "\n"
	r := io.MultiReader(strings.NewReader("cve,epss,percentile\n"),
		io.LimitReader(&lineReader{line: blank}, maxEPSS/int64(len(blank))*int64(len(blank))),
		strings.NewReader("CVE-2024-1234,0.5,0.5"+strings.Repeat("0", 1000)+"\n"))
	_, _, _, err = ParseEPSS(r)
	wantErr(t, err, ErrTooLarge, "larger than")

	_, _, _, err = ParseEPSS(strings.NewReader("cve,epss,percentile\nCVE-2024-1234,0.5," + strings.Repeat("1", MaxEPSSLine) + "\n"))
	wantErr(t, err, ErrTooLarge, "at line 2", "line longer than")
}

func TestParseEPSSTooManyRows(t *testing.T) {
	lowerLimit(t, &maxEPSSRows, 20_000)
	r, w := io.Pipe()
	go func() {
		bw := bytes.NewBufferString("cve,epss,percentile\n")
		for i := range maxEPSSRows + 1 {
			fmt.Fprintf(bw, "CVE-2024-%07d,0.5,0.5\n", i)
			if bw.Len() > 64<<10 {
				if _, err := w.Write(bw.Bytes()); err != nil {
					return
				}
				bw.Reset()
			}
		}
		w.Write(bw.Bytes())
		w.Close()
	}()
	defer r.Close()
	_, _, list, err := ParseEPSS(r)
	wantErr(t, err, ErrTooLarge, fmt.Sprintf("at line %d", maxEPSSRows+2), fmt.Sprintf("more than %d scores", maxEPSSRows))
	if list != nil {
		t.Error("partial result")
	}
}

func TestIsCVE(t *testing.T) {
	for _, s := range []string{"CVE-2024-1234", "CVE-2024-12345678901234", "CVE-2024-123", "CVE-24-1234", "cve-2024-1234",
		"CVE-2024_1234", "CVE-2024-12a4", "CVE-202a-1234", "CVE-2024-1234 ", "CVE-2024--1234", "", "CVE-2024-", "XCVE-2024-1234"} {
		if isCVE(s) != validCVE(s) {
			t.Errorf("isCVE(%q) = %v, validCVE %v", s, isCVE(s), validCVE(s))
		}
	}
}
