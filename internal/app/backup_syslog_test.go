package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/app"
	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/ingest/syslog"
	"khien.vn/khien/internal/regulation"
	"khien.vn/khien/internal/system"
)

// ictZone is the zone of the senders (the default syslog_time_zone).
var ictZone = time.FixedZone("ICT", 7*3600)

func receiverAddr(t testing.TB, a *testApp, name string) string {
	t.Helper()
	for _, r := range a.srv.Ingest().Receivers() {
		if r.Name == name {
			return r.Addr
		}
	}
	t.Fatalf("no receiver %s", name)
	return ""
}

// sendRaw writes whole syslog messages to the app's listener over proto
// (tcp: one per line; udp: one per datagram).
func sendRaw(t testing.TB, a *testApp, proto string, msgs ...string) {
	t.Helper()
	c, err := net.Dial(proto, receiverAddr(t, a, "syslog-"+proto))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range msgs {
		if proto == "tcp" {
			m += "\n"
		}
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
}

// baculaReport is a Bacula director's job report as rsyslog relays it:
// RFC 3164, the lines joined by #012, times in the director's zone.
func baculaReport(host, job string, jobID int, start, end time.Time, termination string) string {
	lines := []string{
		fmt.Sprintf("%s backup-dir JobId %d: Bacula backup-dir 13.0.4 (12Feb24):", end.In(ictZone).Format("02-Jan 15:04"), jobID),
		"  Build OS:               x86_64-pc-linux-gnu debian 12",
		fmt.Sprintf("  JobId:                  %d", jobID),
		fmt.Sprintf("  Job:                    %s.%s_03", job, start.In(ictZone).Format("2006-01-02_15.04.05")),
		"  Backup Level:           Full",
		fmt.Sprintf("  Start time:             %s", start.In(ictZone).Format("02-Jan-2006 15:04:05")),
		fmt.Sprintf("  End time:               %s", end.In(ictZone).Format("02-Jan-2006 15:04:05")),
		"  FD Files Written:       183,422",
		"  SD Files Written:       183,422",
		"  FD Bytes Written:       53,687,091,200 (53.68 GB)",
		"  SD Bytes Written:       53,712,345,678 (53.71 GB)",
		"  Non-fatal FD errors:    0",
		"  Termination:            " + termination,
	}
	return fmt.Sprintf("<14>%s %s bacula-dir: %s", end.In(ictZone).Format(time.Stamp), host, strings.Join(lines, "#012"))
}

// veeamEvent is a Veeam Backup & Replication "job finished" event (190)
// as it sends it: RFC 5424, APP-NAME Veeam_MP, the parameters after the
// [origin] element.
func veeamEvent(host, job, result string, at time.Time) string {
	code := map[string]string{"Success": "0", "Warning": "1", "Failed": "2"}[result]
	detail := "All objects have been backed up successfully."
	if result == "Failed" {
		detail = "Error: Not enough storage space on repository 'Repo-NAS01'."
	}
	return fmt.Sprintf(`<14>1 %s %s Veeam_MP - - [origin enterpriseId="31023"] [categoryId=0 instanceId=190 JobSessionID="5f1c0b9e-0d2a-4c7b-9e51-%012d" JobID="c4415b30-de82-4403-8816-ea66636356e8" JobResult="%s" JobType="0" Platform="0" WillBeRetried="False" JobName="%s" SourceType="2" VbrHostName="vbr01.corp.local" VbrVersion="12.3.1.1139" Version="1" Description="Backup job '%s' finished with %s. %s"]`,
		at.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), host, at.UnixNano()%1e12, code, job, job, result, detail)
}

func issueKinds(v backup.PlanView) []backup.IssueKind {
	var out []backup.IssueKind
	for _, is := range v.Issues {
		out = append(out, is.Kind)
	}
	return out
}

// Backup runs from syslog, end to end through the receivers: a Bacula
// report over TCP and a script's key=value line over UDP (util-linux
// logger) are recorded as runs of the plan copies naming their jobs, a
// repeated report is not recorded twice, and a failed Veeam job (its name
// in another case) over UDP makes the plan's issue run_failed. Jobs are
// looked up within the event's reach: the systems of the sender's asset
// first, then its unit, its ancestors and — for a known sender — the
// units below; unknown and ambiguous jobs are counted, not recorded.
func TestBackupRunsFromSyslog(t *testing.T) {
	a := startApp(t, func(c *config.Config) {
		c.Ingest.SyslogTCP = "127.0.0.1:0"
		c.Ingest.SyslogUDP = "127.0.0.1:0"
		c.Ingest.FlushInterval = config.Duration(100 * time.Millisecond)
	})
	ctx := context.Background()
	in := a.srv.Ingest()
	root := in.DefaultUnit()
	unitA, unitB := a.mkUnit(root, "CNA"), a.mkUnit(root, "CNB")
	mkSystem := func(unitID int64, code string) system.System {
		t.Helper()
		s, err := a.core.Systems.Create(ctx, authz.System(), system.System{UnitID: unitID, Code: code, Name: "Hệ thống " + code,
			Status: system.Operating, Hosting: system.OnPremises, Profile: regulation.Profile{SystemType: "internal", InfoTypes: []string{"public"}}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	mkPlan := func(sys system.System, name string, copies ...backup.Copy) backup.Plan {
		t.Helper()
		p, err := a.core.Backups.SavePlan(ctx, authz.System(), backup.Plan{SystemID: sys.ID, Name: name, Every: 24 * time.Hour,
			RPO: 24 * time.Hour, RTO: 4 * time.Hour, RetentionDays: 30, RestoreEvery: 90 * 24 * time.Hour, Copies: copies})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	trading := mkPlan(mkSystem(root, "GD"), "CSDL giao dịch",
		backup.Copy{Name: "NAS tại chỗ", Media: backup.NAS, Job: "TRADING-DB-daily"},
		backup.Copy{Name: "Băng từ", Media: backup.Tape, Offsite: true, Offline: true, Job: "TRADING-DB-tape"})
	sysB := mkSystem(unitB.ID, "NSB")
	planA := mkPlan(mkSystem(unitA.ID, "NSA"), "Nhân sự A", backup.Copy{Name: "NAS", Media: backup.NAS, Job: "HR-files"})
	planB := mkPlan(sysB, "Nhân sự B", backup.Copy{Name: "NAS", Media: backup.NAS, Job: "hr-FILES"})
	for _, as := range []asset.Asset{
		{UnitID: unitA.ID, Kind: asset.Host, Name: "Backup A", Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: "bk-a.example.vn"}}},
		{UnitID: root, Kind: asset.Host, Name: "Central backup", Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: "central-bk"}}},
		{UnitID: root, Kind: asset.Host, Name: "DB B", Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: "db-b"}}, SystemIDs: []int64{sysB.ID}},
	} {
		if _, err := a.core.Assets.Save(ctx, authz.System(), as); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Attributor.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	runs := func(p backup.Plan) []backup.Run {
		t.Helper()
		rs, err := a.core.Backend.ListBackupRuns(ctx, p.ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	view := func() backup.PlanView {
		t.Helper()
		v, err := a.core.Backups.View(ctx, authz.System(), trading.ID)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if k := issueKinds(view()); !slices.Contains(k, backup.IssueNoBackup) {
		t.Fatalf("issues before any run: %v", k)
	}

	now := time.Now().Truncate(time.Second)
	start, end := now.Add(-45*time.Minute), now.Add(-30*time.Minute)
	sendRaw(t, a, "tcp", baculaReport("backup01", "TRADING-DB-daily", 1234, start, end, "Backup OK"),
		"<38>1 "+now.UTC().Format(time.RFC3339)+" web01 sshd 4242 - - Accepted publickey for root from 10.0.0.8 port 40023 ssh2")
	tapeEnd := now.Add(-20 * time.Minute)
	kv := fmt.Sprintf(`job="TRADING-DB-tape" status=success bytes=1048576000 files=2 tool=restic snapshot=4f2a9c1e finished=%s`, tapeEnd.Format(time.RFC3339))
	if _, err := exec.LookPath("logger"); err == nil {
		host, port, _ := net.SplitHostPort(receiverAddr(t, a, "syslog-udp"))
		if out, err := exec.Command("logger", "--server", host, "--port", port, "--udp", "--rfc5424", "--tag", "khien-backup", "--", kv).CombinedOutput(); err != nil {
			t.Fatalf("logger: %v %s", err, out)
		}
	} else {
		t.Log("util-linux logger missing: the key=value line is sent by hand")
		sendRaw(t, a, "udp", "<13>1 "+now.UTC().Format(time.RFC3339)+" db01 khien-backup - - - "+kv)
	}
	at := now.Add(-10 * time.Minute)
	sendRaw(t, a, "udp",
		veeamEvent("bk-a.example.vn", "HR-files", "Success", at), // unit A's asset: plan A
		veeamEvent("db-b", "HR-files", "Warning", at),            // an asset of system B: plan B
		veeamEvent("central-bk", "HR-files", "Success", at),      // a root asset: plans A and B below, ambiguous
		veeamEvent("somewhere", "HR-files", "Success", at),       // unknown sender (top-level unit): not below
		veeamEvent("vbr01", "NIGHTLY-UNKNOWN", "Success", at))    // no plan names it
	waitUntil(t, "the first runs", func() bool {
		s := in.BackupRuns.Stats()
		return s.Recorded == 4 && s.UnknownJob == 2 && s.Ambiguous == 1
	})
	// The same report again (a relay delivering twice): not recorded twice.
	sendRaw(t, a, "tcp", baculaReport("backup01", "TRADING-DB-daily", 1234, start, end, "Backup OK"))
	waitUntil(t, "the duplicate", func() bool { return in.BackupRuns.Stats().Duplicates == 1 })

	got := runs(trading)
	if len(got) != 2 {
		t.Fatalf("trading runs: %+v", got)
	}
	tape, nas := got[0], got[1]
	if nas.Copy != "NAS tại chỗ" || nas.Source != app.RunSourceSyslog || nas.Status != backup.RunSuccess || nas.Tool != "Bacula 13.0.4" ||
		nas.Bytes != 53712345678 || nas.Files != 183422 || nas.SnapshotID != "1234" || !nas.StartedAt.Equal(start) || !nas.FinishedAt.Equal(end) ||
		nas.Message != "Backup OK" {
		t.Errorf("Bacula run: %+v (start %s end %s)", nas, start.UTC(), end.UTC())
	}
	if tape.Copy != "Băng từ" || tape.Source != app.RunSourceSyslog || tape.Status != backup.RunSuccess || tape.Tool != "restic" ||
		tape.Bytes != 1048576000 || tape.Files != 2 || tape.SnapshotID != "4f2a9c1e" || !tape.FinishedAt.Equal(tapeEnd) {
		t.Errorf("script run: %+v", tape)
	}
	if ra, rb := runs(planA), runs(planB); len(ra) != 1 || ra[0].Status != backup.RunSuccess || ra[0].Copy != "NAS" ||
		len(rb) != 1 || rb[0].Status != backup.RunWarning || !strings.HasPrefix(rb[0].Tool, "Veeam Backup & Replication 12.3") || !rb[0].FinishedAt.Equal(at) {
		t.Errorf("plan A runs %+v, plan B runs %+v", ra, rb)
	}
	if k := issueKinds(view()); slices.Contains(k, backup.IssueNoBackup) || slices.Contains(k, backup.IssueRunFailed) || slices.Contains(k, backup.IssueMissed) {
		t.Errorf("issues after good runs: %v", k)
	}

	// Veeam says the daily job failed (its name in another case): the
	// plan's newest run failed.
	sendRaw(t, a, "udp", veeamEvent("VBR01", "trading-db-DAILY", "Failed", now))
	waitUntil(t, "the failed run", func() bool { return in.BackupRuns.Stats().Recorded == 5 })
	v := view()
	if k := issueKinds(v); !slices.Contains(k, backup.IssueRunFailed) {
		t.Errorf("issues after the failed run: %v", k)
	}
	last := v.State.LastRun
	if last == nil || last.Status != backup.RunFailed || last.Copy != "NAS tại chỗ" || !strings.Contains(last.Message, "Not enough storage space") {
		t.Errorf("last run: %+v", last)
	}
	if s := in.BackupRuns.Stats(); s.Recognised != 9 || s.Failed != 0 {
		t.Errorf("stats: %+v", s)
	}
	resp, err := http.Get(a.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `khien_backup_syslog_results_total{outcome="duplicate"} 1`; !strings.Contains(string(m), want) {
		t.Errorf("/metrics lacks %q", want)
	}
	// The events are stored as any other.
	waitUntil(t, "the events stored", func() bool { st := in.Status(); return st.Stored == 10 && st.BacklogBytes == 0 })
	n := 0
	err = in.Store.Query(ctx, eventstore.Query{Units: []int64{root, unitA.ID, unitB.ID}, From: time.Now().Add(-time.Hour),
		To: time.Now().Add(time.Minute), Expr: `process.name:="Veeam_MP"`}, func(event.Event) error { n++; return nil })
	if err != nil || n != 6 {
		t.Errorf("%d Veeam events stored, want 6 (%v)", n, err)
	}
}

// lockedBuffer is a log destination shared by the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A job no plan names is counted for every message and logged (at debug
// level) once per job name, not once per message.
func TestBackupRunsFromSyslog_unknownJobLoggedOnce(t *testing.T) {
	logs := &lockedBuffer{}
	cfg := config.Default()
	cfg.Listen, cfg.DataDir, cfg.TLS.InsecureHTTP = "127.0.0.1:0", t.TempDir(), true
	cfg.Ingest.SyslogUDP = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	core, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.Bootstrap(ctx, "Tổ chức thử nghiệm"); err != nil {
		t.Fatal(err)
	}
	srv, err := app.NewServer(ctx, core, app.ServeOptions{Out: app.Printer{W: io.Discard}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with %v", err)
		}
		if err := core.Close(); err != nil {
			t.Error(err)
		}
	})
	in := srv.Ingest()
	p := syslog.NewParser()
	var batch []event.Event
	for i := range 60 {
		job := []string{"NIGHTLY-A", "nightly-a", "NIGHTLY-B"}[i%3]
		e := p.Parse([]byte(veeamEvent("vbr01", job, "Success", time.Now())), time.Now(), nil)
		e.UnitID, e.Source = in.DefaultUnit(), event.Source{Kind: event.KindSyslog, Name: "syslog-udp", Addr: "127.0.0.1"}
		batch = append(batch, e)
	}
	in.BackupRuns.Stage(ctx, batch)
	in.BackupRuns.Stage(ctx, batch)
	if s := in.BackupRuns.Stats(); s.Recognised != 120 || s.UnknownJob != 120 || s.Recorded != 0 {
		t.Errorf("stats: %+v", s)
	}
	if n := strings.Count(logs.String(), "backup job in no plan"); n != 2 {
		t.Errorf("%d log lines for two unknown jobs:\n%s", n, logs.String())
	}
}

// BenchmarkBackupRunsStage: the stage's cost on ordinary events (sshd,
// sudo, FortiGate — none a backup result), the price every ingested event
// pays, and on a batch holding a Bacula report.
// Run: go test ./internal/app -run '^$' -bench BackupRunsStage
func BenchmarkBackupRunsStage(b *testing.B) {
	a := startApp(b, func(c *config.Config) { c.Ingest.SyslogTCP = "127.0.0.1:0" })
	stage := a.srv.Ingest().BackupRuns.Stage
	batch := syslogMix(1000)
	ctx := context.Background()
	b.Run("no_match", func(b *testing.B) {
		for b.Loop() {
			stage(ctx, batch)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/event")
	})
	p := syslog.NewParser()
	report := p.Parse([]byte(baculaReport("backup01", "NO-SUCH-JOB", 7, time.Now().Add(-time.Hour), time.Now(), "Backup OK")), time.Now(), nil)
	report.UnitID, report.Source = 1, event.Source{Kind: event.KindSyslog, Addr: "127.0.0.1"}
	mixed := append(slices.Clone(batch[:999]), report)
	b.Run("one_report_per_1000", func(b *testing.B) {
		for b.Loop() {
			stage(ctx, mixed)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(mixed)), "ns/event")
	})
}
