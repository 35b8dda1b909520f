package syslog_test

// Integration tests with the syslog daemons Debian ships: each test writes
// a minimal configuration in a temporary directory, runs the daemon in the
// foreground as a child process (own pid file, work directory and state,
// no system path), lets it read a file of N lines and forward them to a
// listener, and checks that all N arrive with the right fields. Without
// the daemon the tests skip, naming the Debian packages to install. The
// configurations are the ones docs/syslog.md documents.

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"khien.vn/khien/internal/ingest/syslog"
)

const shipperLines = 200

// findDaemon returns the path of a daemon: $env when set, else name in
// PATH or /usr/sbin. It skips the test when there is none.
func findDaemon(t *testing.T, name, env, packages string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join("/usr/sbin", name); fileExists(p) {
		return p
	}
	t.Skipf("%s not found: install the Debian package(s) %s (or set %s to the binary) to run this test", name, packages, env)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// rsyslogModule reports whether rsyslog's loadable module (e.g.
// "lmnsd_gtls") is installed.
func rsyslogModule(name string) bool {
	for _, dir := range []string{"/usr/lib/x86_64-linux-gnu/rsyslog", "/usr/lib/aarch64-linux-gnu/rsyslog", "/usr/lib/rsyslog", "/usr/lib64/rsyslog"} {
		if fileExists(filepath.Join(dir, name+".so")) {
			return true
		}
	}
	matches, _ := filepath.Glob("/usr/lib/*/rsyslog/" + name + ".so")
	return len(matches) > 0
}

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runDaemon starts a daemon in the foreground and stops it (SIGTERM, then
// SIGKILL after 5 s) when the test ends; its output is logged if the test
// failed.
func runDaemon(t *testing.T, dir, path string, args ...string) {
	t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(path), out.String())
		}
	})
}

// writeLines writes the input file: n numbered lines naming the test.
func writeLines(t *testing.T, path, name string, n int) []string {
	t.Helper()
	var b strings.Builder
	lines := make([]string, n)
	for i := range n {
		lines[i] = fmt.Sprintf("khien %s line %04d: user=ops action=login result=ok", name, i)
		b.WriteString(lines[i] + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return lines
}

// writeConfig renders a configuration template into dir/name.
func writeConfig(t *testing.T, dir, name, tmpl string, data any) string {
	t.Helper()
	var b strings.Builder
	if err := template.Must(template.New(name).Parse(tmpl)).Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkShipped checks that every line arrived once with the fields the
// shipper was configured to send.
func checkShipped(t *testing.T, sink *memSink, lines []string, clientCN string) {
	t.Helper()
	evs := sink.wait(t, len(lines), 30*time.Second)
	seen := make(map[string]int)
	for _, ev := range evs {
		seen[ev.Get("message")]++
		bad := []string{}
		check := func(field, want string) {
			if got := ev.Get(field); got != want {
				bad = append(bad, fmt.Sprintf("%s=%q (want %q)", field, got, want))
			}
		}
		check("process.name", "khien-test")
		check("log.syslog.facility.name", "local3")
		check("log.syslog.severity.name", "Notice")
		if ev.Get("host.name") == "" {
			bad = append(bad, "no host.name")
		}
		if ev.ParseError != "" {
			bad = append(bad, "ParseError "+ev.ParseError)
		}
		if ev.Source.Addr != "127.0.0.1" {
			bad = append(bad, "Source.Addr "+ev.Source.Addr)
		}
		if d := time.Since(ev.Time); d < -time.Minute || d > time.Hour {
			bad = append(bad, fmt.Sprintf("Time %v is %v from now", ev.Time, d))
		}
		if clientCN != "" && !strings.Contains(ev.Get(syslog.FieldTLSClientSubject), "CN="+clientCN) {
			bad = append(bad, "tls.client.subject "+ev.Get(syslog.FieldTLSClientSubject))
		}
		if len(bad) > 0 {
			t.Errorf("event %q: %s", ev.Message, strings.Join(bad, ", "))
			return
		}
	}
	wrong := 0
	for _, l := range lines {
		if seen[l] != 1 {
			if wrong++; wrong <= 3 {
				t.Errorf("line %q arrived %d times", l, seen[l])
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d lines did not arrive once; first event: %+v", wrong, len(lines), evs[0])
	}
	if len(evs) != len(lines) {
		t.Errorf("%d events, want %d", len(evs), len(lines))
	}
}

// rsyslogConfig forwards a file with omfwd. TLS uses the driver
// .Driver with the test CA and a client certificate.
const rsyslogConfig = `global(
  workDirectory="{{.Dir}}/work"
  maxMessageSize="64k"
{{- if .TLS}}
  DefaultNetstreamDriverCAFile="{{.CA}}"
  DefaultNetstreamDriverCertFile="{{.Cert}}"
  DefaultNetstreamDriverKeyFile="{{.Key}}"
{{- end}}
)
module(load="imfile")
input(type="imfile" File="{{.Dir}}/in.log" Tag="khien-test:" Facility="local3" Severity="notice")
action(type="omfwd" Target="127.0.0.1" Port="{{.Port}}" Protocol="tcp"
{{- if .TLS}}
  StreamDriver="{{.Driver}}" StreamDriverMode="1"
  StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost"
  Template="RSYSLOG_ForwardFormat"
{{- else}}
  TCP_Framing="octet-counted"
  Template="RSYSLOG_SyslogProtocol23Format"
{{- end}}
  action.resumeRetryCount="-1" action.resumeInterval="1")
`

func TestShipper_rsyslog(t *testing.T) {
	rsyslogd := findDaemon(t, "rsyslogd", "KHIEN_TEST_RSYSLOGD", "rsyslog (and rsyslog-gnutls or rsyslog-openssl for TLS)")
	pki := newTestPKI(t)
	tests := []struct {
		name   string
		tls    bool
		driver string
		module string
	}{
		{name: "tcp_octet_counted_rfc5424"},
		{name: "tls_gtls_rfc3164", tls: true, driver: "gtls", module: "lmnsd_gtls"},
		{name: "tls_ossl_rfc3164", tls: true, driver: "ossl", module: "lmnsd_ossl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.module != "" && !rsyslogModule(tt.module) {
				pkg := map[string]string{"gtls": "rsyslog-gnutls", "ossl": "rsyslog-openssl"}[tt.driver]
				t.Skipf("rsyslog's %s driver is not installed: install the Debian package %s", tt.driver, pkg)
			}
			proto, cfg := syslog.ProtocolTCP, (*testPKI)(nil)
			if tt.tls {
				proto, cfg = syslog.ProtocolTLS, pki
			}
			opts := syslog.Options{Name: "rsyslog-" + tt.name, Protocol: proto, BatchDelay: 10 * time.Millisecond}
			if cfg != nil {
				opts.TLSConfig = cfg.serverConfig(true)
			}
			sink := newMemSink()
			l := start(t, opts, sink)

			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "work"), 0o700); err != nil {
				t.Fatal(err)
			}
			lines := writeLines(t, filepath.Join(dir, "in.log"), "rsyslog "+tt.name, shipperLines)
			conf := writeConfig(t, dir, "rsyslog.conf", rsyslogConfig, map[string]any{
				"Dir": dir, "Port": l.Addr().(*net.TCPAddr).Port, "TLS": tt.tls, "Driver": tt.driver,
				"CA": pki.CAFile, "Cert": pki.ClientCert, "Key": pki.ClientKey,
			})
			runDaemon(t, dir, rsyslogd, "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslogd.pid"))
			cn := ""
			if tt.tls {
				cn = pki.ClientSubjectCN
			}
			checkShipped(t, sink, lines, cn)
		})
	}
}

// syslogNGConfig forwards a file with network() (RFC 3164, LF framing)
// over TCP, or with syslog() (RFC 5424, octet counting) over TLS.
const syslogNGConfig = `@version: 3.38
options { use-dns(no); stats-freq(0); };
source s_in {
  file("{{.Dir}}/in.log" flags(no-parse) program-override("khien-test")
       default-facility(local3) default-priority(notice) follow-freq(1));
};
destination d_khien {
{{- if .TLS}}
  syslog("127.0.0.1" port({{.Port}}) transport("tls")
    tls(ca-file("{{.CA}}") cert-file("{{.Cert}}") key-file("{{.Key}}") peer-verify(required-trusted)));
{{- else}}
  network("127.0.0.1" port({{.Port}}) transport("tcp"));
{{- end}}
};
log { source(s_in); destination(d_khien); };
`

func TestShipper_syslogNG(t *testing.T) {
	syslogNG := findDaemon(t, "syslog-ng", "KHIEN_TEST_SYSLOG_NG", "syslog-ng-core")
	pki := newTestPKI(t)
	for _, tt := range []struct {
		name string
		tls  bool
	}{{"tcp_network_rfc3164", false}, {"tls_syslog_rfc5424", true}} {
		t.Run(tt.name, func(t *testing.T) {
			// network() writes RFC 3164 timestamps in the sender's local
			// time, here the zone of the machine.
			zones, err := syslog.NewTimeZones("", map[string]string{"127.0.0.1": "Local"})
			if err != nil {
				t.Fatal(err)
			}
			opts := syslog.Options{Name: "syslog-ng-" + tt.name, Protocol: syslog.ProtocolTCP, TimeZones: zones, BatchDelay: 10 * time.Millisecond}
			if tt.tls {
				opts.Protocol, opts.TLSConfig = syslog.ProtocolTLS, pki.serverConfig(true)
			}
			sink := newMemSink()
			l := start(t, opts, sink)

			dir := t.TempDir()
			lines := writeLines(t, filepath.Join(dir, "in.log"), "syslog-ng "+tt.name, shipperLines)
			conf := writeConfig(t, dir, "syslog-ng.conf", syslogNGConfig, map[string]any{
				"Dir": dir, "Port": l.Addr().(*net.TCPAddr).Port, "TLS": tt.tls,
				"CA": pki.CAFile, "Cert": pki.ClientCert, "Key": pki.ClientKey,
			})
			runDaemon(t, dir, syslogNG, "-F", "-e", "--no-caps", "-f", conf,
				"-R", filepath.Join(dir, "syslog-ng.persist"),
				"-p", filepath.Join(dir, "syslog-ng.pid"),
				"-c", filepath.Join(dir, "syslog-ng.ctl"))
			cn := ""
			if tt.tls {
				cn = pki.ClientSubjectCN
			}
			checkShipped(t, sink, lines, cn)
		})
	}
}
