package normalize_test

import (
	"maps"
	"strings"
	"testing"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/normalize"
)

// fuzzParsers runs each parser's Match and Parse on the event (Parse
// even when Match says no: it must not panic on anything), then the
// default registry, and checks the invariants every parser keeps.
func fuzzParsers(t *testing.T, ev event.Event, parsers ...normalize.Parser) {
	for _, p := range parsers {
		e := ev
		e.Fields = maps.Clone(ev.Fields)
		p.Match(&e)
		_ = p.Parse(&e)
		checkInvariants(t, ev, e)
	}
	e := ev
	e.Fields = maps.Clone(ev.Fields)
	defaultRegistry.Normalize(&e)
	if strings.Contains(e.ParseError, "internal error") {
		t.Fatalf("parser panicked: %s", e.ParseError)
	}
	checkInvariants(t, ev, e)
}

func checkInvariants(t *testing.T, before, after event.Event) {
	t.Helper()
	if after.Message != before.Message {
		t.Fatalf("Message changed")
	}
	for k := range before.Fields {
		if _, ok := after.Fields[k]; !ok {
			t.Fatalf("field %s removed", k)
		}
	}
	for k, v := range after.Fields {
		if k == "" || v == "" {
			t.Fatalf("empty field name or value: %q=%q", k, v)
		}
	}
}

func FuzzFortigate(f *testing.F) {
	for _, s := range []string{fgtTraffic, fgtDeny, fgtVirus, fgtIPS, fgtAdminLogin, fgtConfig,
		`date=2025-01-12 devid="FG1" msg="a\"b\\" x=`, `logver=700 devid=FG1 eventtime=1736651742123 srcip=::1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzParsers(t, rawSyslog(s), normalize.FortiGate{})
	})
}

func FuzzPANOS(f *testing.F) {
	f.Add(csvLine(105, panTrafficCols))
	f.Add(csvLine(110, panThreatCols))
	f.Add(`1,2025/01/12 10:30:05,0123,THREAT,url,1,2025/01/12 10:30:05,"a""b",,,,,,,,,,,,,,,,,,,,,,,,"x,y",(1)`)
	f.Add(`1,2025/01/12 10:30:05,0123,TRAFFIC,end`)
	f.Fuzz(func(t *testing.T, s string) {
		fuzzParsers(t, rawSyslog(s), normalize.PANOS{})
	})
}

func FuzzASA(f *testing.F) {
	for _, s := range []string{
		`%ASA-4-106023: Deny tcp src outside:198.51.100.77/51514 dst dmz:203.0.113.10/22 by access-group "OUTSIDE_IN" [0x8f2c1a3e, 0x0]`,
		`%ASA-4-106023: Deny icmp src outside:198.51.100.9 dst inside:10.1.1.5 (type 8, code 0) by access-group "X" [0x0, 0x0]`,
		`%ASA-4-106023: Deny udp src inside:10.1.1.50/137(CORP\Nguyen Van A) dst outside:203.0.113.255/137 by access-group "I" [0x0, 0x0]`,
		`%ASA-6-302013: Built outbound TCP connection 1 for outside:93.184.216.34/443 (93.184.216.34/443) to inside:10.1.1.20/51000 (203.0.113.5/51000)`,
		`%ASA-6-302014: Teardown TCP connection 1 for outside:93.184.216.34/443 to inside:10.1.1.20/51000 duration 0:01:02 bytes 6150 TCP FINs from inside (u)`,
		`%ASA-6-302016: Teardown UDP connection 9 for outside:2001:db8::53/53 to inside:10.1.1.20/61000 duration 99:99:99 bytes 1`,
		`%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = x : user IP = 1.2.3.4`,
		`%ASA-6-605004: Login denied from 198.51.100.23/52314 to outside:203.0.113.1/ssh for user "admin"`,
		`%ASA-5-111008: User 'admin' executed the 'write memory' command.`,
		`%ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 12 per second, max configured rate is 10; Current average rate is 7 per second, max configured rate is 5; Cumulative total count is 4234`,
		`%FTD-9-1: x`, `%ASA-6-302013:`, `(`,
	} {
		f.Add(s, "")
		f.Add(strings.TrimPrefix(s[min(len(s), 15):], " "), "ASA-6-302013")
	}
	f.Fuzz(func(t *testing.T, s, code string) {
		ev := rawSyslog(s)
		if code != "" {
			ev.Fields["event.code"] = code
		}
		fuzzParsers(t, ev, normalize.ASA{})
	})
}

func FuzzSSHD(f *testing.F) {
	for _, s := range []string{
		"Accepted publickey for deploy from 2001:db8::10 port 40022 ssh2: ED25519 SHA256:Yd3Q",
		"Failed password for invalid user oracle from 198.51.100.77 port 41240 ssh2",
		"Invalid user admin from 198.51.100.77 port 41234",
		"Disconnected from authenticating user root 198.51.100.77 port 41234 [preauth]",
		"Connection closed by invalid user  port  [preauth]",
		"Received disconnect from 198.51.100.78 port 39000:11: Bye Bye [preauth]",
		"error: maximum authentication attempts exceeded for root from 1.2.3.4 port 22 ssh2 [preauth]",
		"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.77  user=root",
		"pam_unix(sshd:session): session opened for user a(uid=1) by (uid=0)",
		"alice : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home ; USER=root ; COMMAND=/bin/bash",
		"Accepted x for", "Disconnected from user a", "pam_unix(",
	} {
		f.Add(s, "sshd")
		f.Add(s, "sudo")
	}
	f.Fuzz(func(t *testing.T, s, proc string) {
		ev := syslogEvent("h", proc, s)
		fuzzParsers(t, ev, normalize.SSHD{}, normalize.Sudo{})
	})
}

func FuzzAuditd(f *testing.F) {
	for _, s := range []string{
		`type=SYSCALL msg=audit(1736651742.123:8812): arch=c000003e syscall=59 success=yes exit=0 a0=55d1c6a0 ppid=2211 pid=2290 auid=1001 uid=0 comm="cat" exe="/usr/bin/cat" key="k"`,
		`type=EXECVE msg=audit(1736651742.123:8812): argc=4 a0="curl" a1="-s" a2=2D6F202F746D702F782073682E7368 a3="x"`,
		`type=EXECVE msg=audit(1.2:3): argc=99999 a0="e" a1_len=10 a1[0]=68656C6C6F a1[4095]=776F726C64 a1[x]=1`,
		"type=USER_CMD msg=audit(1.0:1): pid=1 msg='cwd=\"/\" cmd=6C73 res=success'\x1dUID=\"root\"",
		`node=h type=USER_LOGIN msg=audit(1736651760.500:8830): pid=2500 uid=0 msg='op=login acct="root" addr=198.51.100.77 res=failed'`,
		`type=PROCTITLE msg=audit(1736651742.123:8812): proctitle=636174002F6574632F736861646F77`,
		`type=SOCKADDR msg=audit(1.0:1): saddr={ fam=inet laddr=10.0.0.1 lport=80 }`,
		`type=X msg=audit(99999999999999999999.1:1): a='`, `type=`, `node=`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzParsers(t, lineEvent(s), normalize.Auditd{})
	})
}

func FuzzAccessLog(f *testing.F) {
	for _, s := range []string{
		`203.0.113.7 - - [12/Jan/2025:10:00:00 +0700] "GET /a?b=1 HTTP/1.1" 200 5123 "https://r/" "Mozilla/5.0"`,
		`10.20.3.44 - u [12/Jan/2025:10:00:01 +0700] "POST /wp-login.php HTTP/1.0" 401 -`,
		`2001:db8::7 - - [12/Jan/2025:10:00:02 +0000] "GET http://h/x HTTP/2.0" 304 0 "-" "ok" "1.2.3.4"`,
		`v:443 1.2.3.4 - - [12/Jan/2025:10:00:06 +0700] "\"" 200 1 "\\" "-"`,
		`a b c [00/Jan/2025:10:00:00 +0700] "`, `x [12/Jan/2025:10:00:00 +0700] "GET / HTTP/1.1"`,
	} {
		f.Add(s, "nginx")
	}
	f.Fuzz(func(t *testing.T, s, proc string) {
		fuzzParsers(t, syslogEvent("h", proc, s), normalize.AccessLog{})
	})
}

func FuzzBind(f *testing.F) {
	for _, s := range []string{
		"client @0x7f3a2c0b8e50 10.20.3.44#53211 (portal.example.vn): query: portal.example.vn IN A +E(0) (10.0.0.53)",
		"12-Jan-2025 10:00:00.123 queries: info: client @0x7f 2001:db8::44#40000 (e.vn): view v: query: e.vn IN DNSKEY -TDCE(0 (::1)",
		"client 10.20.3.44#53211: query: mail.example.vn IN MX + (10.0.0.53)",
		"client @0x7f00 198.51.100.77#4444 (example.vn): query (cache) 'example.vn/ANY/IN' denied",
		"client @0x7f00 1#2 (: query '",
		"1/12/2025 10:00:00 AM 0A1C PACKET  000001DC8B9F6190 UDP Rcv 10.20.3.44      8e2f   Q [0001   D   NOERROR] A      (6)portal(7)example(2)vn(0)",
		"12/01/2025 22:00:00 0B20 PACKET  0 UDP Snd 10.20.3.44 8e30 R Q [8183 DR NXDOMAIN] AAAA (3)c2x(99",
		"1/1/1 PACKET a b c d e f g h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzParsers(t, syslogEvent("ns1", "named", s), normalize.BIND{}, normalize.WindowsDNS{})
	})
}
