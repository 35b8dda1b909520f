package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/eventstore/vlstore"
)

// sigmaEVTX returns one .evtx file of SigmaHQ's regression data, or skips.
func sigmaEVTX(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("KHIEN_SIGMAHQ_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata", "sigmahq")
	}
	var found string
	_ = filepath.WalkDir(filepath.Join(dir, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && found == "" && strings.HasSuffix(path, ".evtx") {
			found = path
		}
		return nil
	})
	if found == "" {
		t.Skipf("no .evtx file under %s (SigmaHQ regression data; set KHIEN_SIGMAHQ_DIR)", dir)
	}
	return found
}

func TestImportEVTX(t *testing.T) {
	file := sigmaEVTX(t)
	dir := t.TempDir()
	data := []string{"--data", dir}

	// While a server runs, it holds the event store: the command says to
	// upload instead.
	_, stop := startCLI(t, "serve", "--data", dir, "--listen", "127.0.0.1:0", "--insecure-http")
	code, _, errOut := runCLI(t, nil, append([]string{"import", "evtx"}, append(data, file)...)...)
	if code == 0 || !strings.Contains(errOut, "a running khien holds the event store") {
		t.Errorf("import while serving: %d %s", code, errOut)
	}
	stop()

	// The regression events are older than the default retention: they
	// are counted and the operator told what to do, not dropped silently.
	code, out, errOut := runCLI(t, nil, append([]string{"import", "evtx"}, append(data, file)...)...)
	if code != 0 || !regexp.MustCompile(`WARNING: \d+ events are older than the 90-day retention and were NOT stored — set events.retention_days to at least \d+`).MatchString(out) {
		t.Fatalf("import of old events: %d\n%s\n%s", code, out, errOut)
	}

	keep := map[string]string{"KHIEN_EVENTS_RETENTION_DAYS": "36600"}
	code, out, errOut = runCLI(t, keep, append([]string{"import", "evtx", "--unit", "ORG"}, append(data, file)...)...)
	m := regexp.MustCompile(`: (\d+) records, (\d+) events imported`).FindStringSubmatch(out)
	if code != 0 || m == nil || strings.Contains(out, "WARNING") {
		t.Fatalf("import: %d\n%s\n%s", code, out, errOut)
	}
	n, _ := strconv.Atoi(m[2])
	if n == 0 {
		t.Fatalf("no event imported: %s", out)
	}
	code, _, errOut = runCLI(t, nil, append([]string{"import", "evtx", "--unit", "NOPE"}, append(data, file)...)...)
	if code == 0 || !strings.Contains(errOut, `no unit with code "NOPE"`) {
		t.Errorf("unknown unit: %d %s", code, errOut)
	}

	store, err := vlstore.Open(t.Context(), filepath.Join(dir, "events"), vlstore.Options{Retention: eventstore.Retention{Days: 36600}, MemoryBudget: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var got int
	var sample event.Event
	err = store.Query(t.Context(), eventstore.Query{Units: []int64{1}, From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Now().Add(time.Hour),
		Expr: `khien.source.kind:=evtx`, Limit: 100_000}, func(e event.Event) error {
		got++
		sample = e
		return nil
	})
	if err != nil || got != n {
		t.Fatalf("store holds %d evtx events (%v), want %d", got, err, n)
	}
	if sample.Fields["winlog.channel"] == "" || sample.Fields["event.code"] == "" || !strings.HasPrefix(sample.Message, "<Event") {
		t.Errorf("stored event lacks the Windows fields or the XML message: %+v", sample)
	}
}
