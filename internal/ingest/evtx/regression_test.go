package evtx_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/ingest/evtx"
)

// sigmaDir is SigmaHQ's regression data: small .evtx files, each next to
// a .json file with the same events as an EVTX-to-JSON dumper printed
// them (one JSON document per event, concatenated). The data is shared
// test data outside the repository (KHIEN_SIGMAHQ_DIR, by default
// ../shared/testdata/sigmahq from the project root); tests skip when it
// is absent.
func sigmaDir(t testing.TB) string {
	t.Helper()
	dir, err := sigmaRegressionDir()
	if err != nil {
		t.Skipf("SigmaHQ regression data not found (set KHIEN_SIGMAHQ_DIR): %v", err)
	}
	return dir
}

func sigmaRegressionDir() (string, error) {
	dir := os.Getenv("KHIEN_SIGMAHQ_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "testdata", "sigmahq")
	}
	dir = filepath.Join(dir, "regression_data")
	_, err := os.Stat(dir)
	return dir, err
}

func evtxFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".evtx") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func readAll(t testing.TB, path string) ([]evtx.Record, *evtx.Reader) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := evtx.Open(f, st.Size())
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	var recs []evtx.Record
	if err := rd.Records(t.Context(), func(r evtx.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatalf("records of %s: %v", path, err)
	}
	return recs, rd
}

// readExpected decodes the concatenated JSON documents of a .json file.
func readExpected(t testing.TB, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, doc)
	}
}

// TestRegressionSigmaHQ reads every .evtx file of SigmaHQ's regression
// data and compares each record with the JSON next to it: same number of
// events, same EventRecordIDs in the same order, and the same values for
// every System, EventData and UserData field, attributes included.
//
// The dumper's JSON turns <Data Name="X">v</Data> into "X": v, an
// element's attributes into "#attributes", its text (beside attributes)
// into "#text" and an empty element into null; our tree is flattened the
// same way into path → string. Values are compared as strings after
// normalising what the dumper prints differently from Windows (see
// normalise): GUIDs without braces, FILETIMEs with six fractional digits,
// numbers as JSON numbers.
func TestRegressionSigmaHQ(t *testing.T) {
	dir := sigmaDir(t)
	files := evtxFiles(t, dir)
	if len(files) == 0 {
		t.Skipf("no .evtx files under %s", dir)
	}
	var nFiles, nFilesOK, nEvents, nEventsOK, nFields, nErrata int
	for _, path := range files {
		rel, _ := filepath.Rel(dir, path)
		jsonPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".json"
		if _, err := os.Stat(jsonPath); err != nil {
			t.Logf("%s: no JSON next to it, skipped", rel)
			continue
		}
		nFiles++
		want := readExpected(t, jsonPath)
		recs, rd := readAll(t, path)
		if errs := rd.Errors(); len(errs) > 0 {
			t.Errorf("%s: reader errors: %v", rel, errs)
		}
		nEvents += len(want)
		fileOK := len(recs) == len(want)
		if !fileOK {
			t.Errorf("%s: %d records, want %d", rel, len(recs), len(want))
		}
		for i := 0; i < len(recs) && i < len(want); i++ {
			rec := recs[i]
			exp := map[string]string{}
			flattenJSON(exp, "", want[i])
			for path, v := range jsonErrata[filepath.Base(path)] {
				if _, ok := exp[path]; ok {
					exp[path] = v
					nErrata++
				}
			}
			got := map[string]string{}
			if rec.XML != nil {
				flattenNode(got, "/"+rec.XML.Name, rec.XML, false)
			}
			var diffs []string
			if rec.Err != nil {
				diffs = append(diffs, "decode error: "+rec.Err.Error())
			}
			if wantID := exp["/Event/System/EventRecordID"]; strconv.FormatUint(rec.ID, 10) != wantID {
				diffs = append(diffs, fmt.Sprintf("Record.ID %d, want %s", rec.ID, wantID))
			}
			diffs = append(diffs, compareFields(got, exp)...)
			diffs = append(diffs, compareEvent(rec, exp)...)
			nFields += len(exp)
			if len(diffs) > 0 {
				fileOK = false
				t.Errorf("%s: event %d (EventRecordID %s):\n  %s", rel, i, exp["/Event/System/EventRecordID"], strings.Join(diffs, "\n  "))
				continue
			}
			nEventsOK++
		}
		if fileOK {
			nFilesOK++
		}
	}
	t.Logf("SigmaHQ regression: %d/%d files and %d/%d events match exactly (%d fields compared, %d JSON values corrected by jsonErrata)", nFilesOK, nFiles, nEventsOK, nEvents, nFields, nErrata)
}

// flattenJSON flattens the dumper's JSON into path → value.
func flattenJSON(out map[string]string, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			switch k {
			case "#attributes":
				attrs, _ := val.(map[string]any)
				for ak, av := range attrs {
					out[prefix+"/@"+ak] = jsonScalar(av)
				}
			case "#text":
				out[prefix] = jsonScalar(val)
			default:
				flattenJSON(out, prefix+"/"+k, val)
			}
		}
	case []any:
		for i, item := range x {
			flattenJSON(out, fmt.Sprintf("%s[%d]", prefix, i), item)
		}
	default:
		out[prefix] = jsonScalar(v)
	}
}

func jsonScalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = jsonScalar(p)
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// flattenNode flattens our tree the way the dumper shapes its JSON.
func flattenNode(out map[string]string, path string, n *evtx.Node, inEventData bool) {
	for _, a := range n.Attrs {
		if inEventData && n.Name == "Data" && a.Name == "Name" {
			continue // the Data element is named by it
		}
		out[path+"/@"+a.Name] = a.Value
	}
	els := n.Elements()
	if len(els) == 0 {
		if text := n.InnerText(); text != "" || len(n.Attrs) == 0 || (inEventData && n.Name == "Data" && len(n.Attrs) == 1) {
			out[path] = text
		}
		return
	}
	for _, c := range els {
		name := c.Name
		if n.Name == "EventData" && c.Name == "Data" {
			if dn, ok := c.Attr("Name"); ok {
				name = dn
			}
		}
		flattenNode(out, path+"/"+name, c, n.Name == "EventData")
	}
}

var guidRE = regexp.MustCompile(`^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$`)

// normalise maps a value to the form both sides agree on:
//   - GUIDs: Windows renders {UPPER-CASE} in braces, the dumper without
//     braces; compared without braces, in upper case.
//   - Date-times (RFC 3339, as for TimeCreated/@SystemTime): Windows
//     renders seven fractional digits (100 ns), the dumper six;
//     compared at microsecond precision.
//   - Trailing white space: the dumper trims it from strings (Sysmon's
//     CommandLine often ends with a space, which the .evtx holds and we
//     keep); compared without it.
//
// Numbers need no normalisation: the dumper prints integers as JSON
// numbers, which read back as the same decimal text, and hexadecimal
// integers as strings with the same "0x…" form.
func normalise(s string) string {
	s = strings.TrimRight(s, " \t\r\n")
	if m := guidRE.FindStringSubmatch(s); m != nil {
		return strings.ToUpper(m[1])
	}
	if strings.Contains(s, "T") && strings.HasSuffix(s, "Z") {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.Truncate(time.Microsecond).Format(time.RFC3339Nano)
		}
	}
	return s
}

// jsonErrata corrects the few values where the JSON next to a file does
// not say what the .evtx holds, by file name and path: the value the
// .evtx bytes hold (checked by hand with a hex dump).
var jsonErrata = map[string]map[string]string{
	// The record's UTF-16 data reads "C:\Windows\Explorer.EXE"; the JSON
	// was edited (or made by another tool) and says "Explorer.exe".
	"ad691d92-15f2-4181-9aa4-723c74f9ddc3.evtx": {
		"/Event/EventData/ParentCommandLine": `C:\Windows\Explorer.EXE`,
	},
}

func compareFields(got, want map[string]string) []string {
	var diffs []string
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s missing, want %q", k, want[k]))
			continue
		}
		if normalise(g) != normalise(want[k]) {
			diffs = append(diffs, fmt.Sprintf("%s = %q, want %q", k, g, want[k]))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s = %q not expected", k, g))
		}
	}
	return diffs
}

// compareEvent checks the event mapping against the JSON: the System
// fields and every EventData value.
func compareEvent(rec evtx.Record, exp map[string]string) []string {
	ev := rec.Event("evtx:test")
	var diffs []string
	check := func(field, path string) {
		want, ok := exp[path]
		if !ok {
			return
		}
		if got := ev.Get(field); normalise(got) != normalise(want) {
			diffs = append(diffs, fmt.Sprintf("event field %s = %q, want %q (%s)", field, got, want, path))
		}
	}
	for field, path := range map[string]string{
		"event.code":               "/Event/System/EventID",
		"winlog.event_id":          "/Event/System/EventID",
		"event.provider":           "/Event/System/Provider/@Name",
		"winlog.provider_name":     "/Event/System/Provider/@Name",
		"winlog.provider_guid":     "/Event/System/Provider/@Guid",
		"host.name":                "/Event/System/Computer",
		"winlog.computer_name":     "/Event/System/Computer",
		"winlog.channel":           "/Event/System/Channel",
		"winlog.record_id":         "/Event/System/EventRecordID",
		"winlog.process.pid":       "/Event/System/Execution/@ProcessID",
		"winlog.process.thread.id": "/Event/System/Execution/@ThreadID",
		"winlog.user.identifier":   "/Event/System/Security/@UserID",
		"winlog.keywords":          "/Event/System/Keywords",
		"winlog.opcode":            "/Event/System/Opcode",
		"winlog.task":              "/Event/System/Task",
		"winlog.version":           "/Event/System/Version",
		"@timestamp":               "/Event/System/TimeCreated/@SystemTime",
	} {
		check(field, path)
	}
	for path := range exp {
		if name, ok := strings.CutPrefix(path, "/Event/EventData/"); ok && !strings.ContainsAny(name, "/@") {
			check("winlog.event_data."+name, path)
		}
	}
	if ev.Source.Kind != "evtx" || ev.Message != rec.XML.XML() || ev.ParseError != "" {
		diffs = append(diffs, fmt.Sprintf("event source %+v, parse error %q", ev.Source, ev.ParseError))
	}
	return diffs
}
