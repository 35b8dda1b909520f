package normalize_test

import (
	"maps"
	"testing"

	"khien.vn/khien/internal/event"
)

// syslogBatch is a mixed batch of syslog events, in proportions a
// medium-sized Vietnamese organisation sends (firewall traffic first).
func syslogBatch() []event.Event {
	var b []event.Event
	add := func(n int, ev event.Event) {
		for range n {
			b = append(b, ev)
		}
	}
	add(6, rawSyslog(fgtTraffic))
	add(1, rawSyslog(fgtDeny))
	add(4, syslogEvent("PA-3220-HN", "", csvLine(105, panTrafficCols)))
	add(1, syslogEvent("PA-3220-HN", "", csvLine(110, panThreatCols)))
	add(3, rawSyslog(`%ASA-6-302013: Built outbound TCP connection 8843721 for outside:93.184.216.34/443 (93.184.216.34/443) to inside:10.1.1.20/51000 (203.0.113.5/51000)`))
	add(3, rawSyslog(`%ASA-6-302014: Teardown TCP connection 8843721 for outside:93.184.216.34/443 to inside:10.1.1.20/51000 duration 0:01:02 bytes 6150 TCP FINs from inside`))
	add(1, rawSyslog(`%ASA-4-106023: Deny tcp src outside:198.51.100.77/51514 dst dmz:203.0.113.10/22 by access-group "OUTSIDE_IN" [0x8f2c1a3e, 0x0]`))
	add(2, syslogEvent("srv-web-01", "sshd", "Failed password for invalid user oracle from 198.51.100.77 port 41240 ssh2"))
	add(1, syslogEvent("srv-web-01", "sshd", "Accepted publickey for deploy from 10.20.3.44 port 40022 ssh2: ED25519 SHA256:Yd3Q1g2Zr0iYb2x8w2cGm7k4Xo1s2Jv9aP5qLh3Tn0E"))
	add(1, syslogEvent("srv-web-01", "sudo", "nguyen.van.a : TTY=pts/0 ; PWD=/home/nguyen.van.a ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"))
	add(2, syslogEvent("srv-db-01", "audispd", `type=SYSCALL msg=audit(1736651742.123:8812): arch=c000003e syscall=59 success=yes exit=0 a0=55d1c6a0 a1=55d1c6b0 a2=55d1c6c0 a3=0 items=2 ppid=2211 pid=2290 auid=1001 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=7 comm="cat" exe="/usr/bin/cat" subj=unconfined key="shadow_read"`))
	add(1, syslogEvent("srv-db-01", "audispd", `type=EXECVE msg=audit(1736651742.123:8812): argc=3 a0="cat" a1="-n" a2="/etc/shadow"`))
	add(4, syslogEvent("web01", "nginx", `203.0.113.7 - - [12/Jan/2025:10:00:00 +0700] "GET /dang-nhap?next=%2Fhoa-don HTTP/1.1" 200 5123 "https://portal.example.vn/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"`))
	add(3, syslogEvent("ns1", "named", "client @0x7f3a2c0b8e50 10.20.3.44#53211 (portal.example.vn): query: portal.example.vn IN A +E(0) (10.0.0.53)"))
	add(2, syslogEvent("srv-web-01", "cron", "(root) CMD (run-parts /etc/cron.hourly)")) // matched by no parser
	return b
}

func windowsBatch() []event.Event {
	return []event.Event{
		sec("4624", "TargetUserSid", "S-1-5-21-1-2-3-1013", "TargetUserName", "nguyen.van.a", "TargetDomainName", "CORP",
			"TargetLogonId", "0x8dcdc", "LogonType", "3", "WorkstationName", "KT-PC07", "IpAddress", "10.20.3.44", "IpPort", "50322",
			"ProcessId", "0x0", "ProcessName", "-"),
		sec("4688", "SubjectUserName", "tran.thi.b", "SubjectDomainName", "CORP", "NewProcessId", "0x1f40",
			"NewProcessName", `C:\Windows\System32\cmd.exe`, "ProcessId", "0x10d8", "CommandLine", `cmd.exe /c whoami`,
			"ParentProcessName", `C:\Windows\explorer.exe`),
		smon("1", "ProcessGuid", "{g}", "ProcessId", "6228", "Image", `C:\Windows\System32\certutil.exe`, "CommandLine", "certutil -urlcache",
			"User", `CORP\tran.thi.b`, "Hashes", "SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
			"ParentProcessId", "4312", "ParentImage", `C:\Windows\System32\cmd.exe`),
		smon("3", "ProcessId", "6228", "Image", `C:\Windows\System32\certutil.exe`, "Protocol", "tcp", "Initiated", "true",
			"SourceIp", "10.20.3.44", "SourcePort", "50611", "DestinationIp", "198.51.100.4", "DestinationPort", "80"),
	}
}

// BenchmarkNormalize measures Normalize over mixed batches. Each event
// starts from a copy of its fields as a listener makes them; copy_only
// measures that copy alone, to subtract.
func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct {
		name      string
		batch     []event.Event
		normalize bool
	}{
		{"syslog_mixed", syslogBatch(), true},
		{"syslog_copy_only", syslogBatch(), false},
		{"windows_mixed", windowsBatch(), true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			work := make([]event.Event, len(bc.batch))
			n := 0
			for b.Loop() {
				for i := range bc.batch {
					work[i] = bc.batch[i]
					work[i].Fields = maps.Clone(bc.batch[i].Fields)
				}
				if bc.normalize {
					defaultRegistry.NormalizeBatch(work)
				}
				n += len(work)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
		})
	}
}
