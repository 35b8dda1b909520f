package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// The message generator: realistic syslog lines of the sources the
// normaliser parses, deterministic for a seed and a base time. The pool is
// built once before any run, so that generation costs nothing while the
// senders send.

// ict is the zone of the RFC 3164 timestamps (Khiên's default
// ingest.syslog_time_zone is Asia/Ho_Chi_Minh, UTC+7 without DST).
var ict = time.FixedZone("+07", 7*3600)

// slot is the one numeric field of a line the sender rewrites on every
// pass over the pool (a session id, a pid, a port…), so that no line is
// stored twice verbatim: without it the store would see the pool repeat
// and compress it unrealistically well. The value stays in [lo, lo+span)
// and keeps its width.
type slot struct {
	off   int // offset in the line
	width int
	v     int64 // value in the pool
	lo    int64
	span  int64
}

// line is one generated message, without the newline.
type line struct {
	src  int // index in mix
	text []byte
	slot slot // width 0: none
}

// lineBuf builds one line.
type lineBuf struct {
	b    []byte
	slot slot
}

func (l *lineBuf) s(parts ...string) *lineBuf {
	for _, p := range parts {
		l.b = append(l.b, p...)
	}
	return l
}

func (l *lineBuf) n(v int) *lineBuf { l.b = strconv.AppendInt(l.b, int64(v), 10); return l }

// counter writes the line's slot: a value in [lo, hi) whose bounds have
// the same number of digits.
func (l *lineBuf) counter(r *rand.Rand, lo, hi int64) *lineBuf {
	v := lo + r.Int64N(hi-lo)
	l.slot = slot{off: len(l.b), width: len(strconv.FormatInt(hi-1, 10)), v: v, lo: lo, span: hi - lo}
	l.b = strconv.AppendInt(l.b, v, 10)
	return l
}

// patch rewrites the slot of a copy of the line (b starts at the line) for
// pass number pass (0: as generated).
func (s slot) patch(b []byte, pass int64) {
	if s.width == 0 || pass == 0 {
		return
	}
	v := s.lo + (s.v-s.lo+pass*7_919_113)%s.span
	for i := s.off + s.width - 1; i >= s.off; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
}

// source is one kind of message in the mix.
type source struct {
	name   string
	format string // RFC 5424, RFC 3164 or no header
	parser string // the normaliser that must take it
	weight int    // lines per 100
	gen    func(g *generator, l *lineBuf, t time.Time)
}

// mix is the sources: firewall traffic first, as a medium-sized
// organisation sends it (the proportions of the normaliser's benchmark).
var mix = []source{
	{"FortiGate traffic (kv)", "no header", "fortigate", 20, (*generator).fortiTraffic},
	{"FortiGate deny (kv)", "no header", "fortigate", 4, (*generator).fortiDeny},
	{"PAN-OS traffic (CSV)", "RFC 3164", "panos", 12, (*generator).panTraffic},
	{"PAN-OS threat (CSV)", "RFC 3164", "panos", 2, (*generator).panThreat},
	{"Cisco ASA built/teardown", "RFC 3164 (Cisco)", "cisco-asa", 12, (*generator).asaConn},
	{"Cisco ASA deny", "RFC 3164 (Cisco)", "cisco-asa", 3, (*generator).asaDeny},
	{"sshd failed password", "RFC 3164", "sshd", 8, (*generator).sshFailed},
	{"sshd accepted", "RFC 5424", "sshd", 4, (*generator).sshAccepted},
	{"sudo command", "RFC 3164", "sudo", 4, (*generator).sudo},
	{"auditd SYSCALL/EXECVE", "RFC 5424", "auditd", 7, (*generator).auditd},
	{"nginx access", "RFC 5424", "access-log", 14, (*generator).nginx},
	{"BIND query", "RFC 3164", "bind", 10, (*generator).bind},
}

// generator holds the deterministic random source and the vocabularies.
type generator struct {
	r *rand.Rand
}

var (
	fortigates = []struct{ name, serial string }{
		{"FGT-HN-01", "FG100FTK22012345"}, {"FGT-HN-02", "FG100FTK22012346"},
		{"FGT-HCM-01", "FG200FTK21004711"}, {"FGT-DN-01", "FG60FTK2209A1B2"},
	}
	palos = []struct{ name, serial string }{{"PA-3220-HN", "016201000123"}, {"PA-3220-HCM", "016201000456"}}
	asas  = []string{"ASA-HN-01", "ASA-DC-01"}
	users = []string{"nguyen.van.a", "tran.thi.b", "le.van.cuong", "pham.thi.dung", "hoang.van.em", "vu.thi.giang",
		"dang.van.hai", "bui.thi.hoa", "do.van.khanh", "ngo.thi.lan", "duong.van.minh", "ly.thi.nga", "trinh.van.phuc",
		"mai.thi.quyen", "dinh.van.son", "luong.thi.thu"}
	svcUsers    = []string{"deploy", "backup", "ansible", "root", "admin", "oracle", "postgres", "test", "ubuntu", "git", "support", "ftpuser"}
	domainNames = []string{"portal.so-tttt.gov.vn", "mail.so-tttt.gov.vn", "dichvucong.gov.vn", "vnexpress.net", "zalo.me",
		"www.google.com", "login.microsoftonline.com", "update.microsoft.com", "tuoitre.vn", "vietcombank.com.vn",
		"github.com", "api.so-tttt.gov.vn", "hoadon.so-tttt.gov.vn", "cdn.jsdelivr.net", "facebook.com", "youtube.com",
		"outlook.office365.com", "s3.amazonaws.com", "ocsp.digicert.com", "time.windows.com"}
	webPaths = []string{"/", "/dang-nhap", "/dang-nhap?next=%2Fhoa-don", "/hoa-don/2025/01", "/api/v1/hoso?page=2",
		"/static/app.3f9c1a.js", "/static/style.css", "/tin-tuc/thong-bao-nghi-tet", "/wp-login.php", "/.env",
		"/api/v1/tra-cuu?ma=0101234567", "/favicon.ico", "/cgi-bin/luci", "/tai-lieu/bieu-mau.pdf"}
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		"curl/8.5.0", "python-requests/2.31.0", "Zalo/24.1 (Android 14)",
	}
	services = []struct {
		name  string
		port  int
		proto int
	}{{"HTTPS", 443, 6}, {"HTTP", 80, 6}, {"DNS", 53, 17}, {"SMTP", 25, 6}, {"NTP", 123, 17}, {"SSH", 22, 6}, {"RDP", 3389, 6}}
	commands = []string{"/usr/bin/systemctl restart nginx", "/usr/bin/apt-get upgrade -y", "/bin/cat /var/log/auth.log",
		"/usr/bin/docker ps -a", "/usr/sbin/iptables -L -n", "/usr/bin/journalctl -u khien --since today",
		"/bin/su - postgres", "/usr/bin/vim /etc/ssh/sshd_config"}
	auditExes = []struct{ comm, exe, key string }{{"cat", "/usr/bin/cat", "shadow_read"}, {"curl", "/usr/bin/curl", "net_tools"},
		{"bash", "/usr/bin/bash", "exec"}, {"useradd", "/usr/sbin/useradd", "user_mgmt"}, {"crontab", "/usr/bin/crontab", "cron"}}
	months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

func (g *generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *generator) internalIP() string {
	return fmt.Sprintf("10.%d.%d.%d", 10+g.r.IntN(30), g.r.IntN(16), 1+g.r.IntN(254))
}

func (g *generator) externalIP() string {
	for {
		a := 11 + g.r.IntN(213)
		switch a {
		case 100, 127, 169, 172, 192, 198, 203:
			continue
		}
		return fmt.Sprintf("%d.%d.%d.%d", a, g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	}
}

func (g *generator) port() int { return 1024 + g.r.IntN(64511) }

// stamp3164 is "Mmm dd hh:mm:ss" in +07:00.
func stamp3164(t time.Time) string {
	t = t.In(ict)
	return fmt.Sprintf("%s %2d %02d:%02d:%02d", months[t.Month()-1], t.Day(), t.Hour(), t.Minute(), t.Second())
}

// stamp5424 is RFC 3339 with microseconds, in +07:00.
func stamp5424(t time.Time) string { return t.In(ict).Format("2006-01-02T15:04:05.000000-07:00") }

func (g *generator) fortiTraffic(l *lineBuf, t time.Time) {
	fw := fortigates[g.r.IntN(len(fortigates))]
	svc := services[g.r.IntN(4)]
	lt := t.In(ict)
	action := "close"
	if g.r.IntN(4) == 0 {
		action = "accept"
	}
	l.s(`<189>date=`, lt.Format("2006-01-02"), ` time=`, lt.Format("15:04:05"), ` devname="`, fw.name, `" devid="`, fw.serial,
		`" eventtime=`, strconv.FormatInt(t.UnixNano(), 10), ` tz="+0700" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root"`,
		` srcip=`, g.internalIP(), ` srcport=`).n(g.port()).s(` srcintf="port1" srcintfrole="lan" dstip=`, g.externalIP(), ` dstport=`).n(svc.port).
		s(` dstintf="wan1" dstintfrole="wan" sessionid=`).counter(g.r, 10_000_000, 99_999_999).s(` proto=`).n(svc.proto).
		s(` action="`, action, `" policyid=`).n(1+g.r.IntN(40)).s(` policytype="policy" service="`, svc.name, `" trandisp="snat" transip=198.51.100.`).
		n(1+g.r.IntN(8)).s(` transport=`).n(g.port()).s(` duration=`).n(g.r.IntN(600)).s(` sentbyte=`).n(g.r.IntN(200_000)).
		s(` rcvdbyte=`).n(g.r.IntN(2_000_000)).s(` sentpkt=`).n(1+g.r.IntN(300)).s(` rcvdpkt=`).n(1+g.r.IntN(2000)).
		s(` user="`, g.pick(users), `" group="KeToan"`)
}

func (g *generator) fortiDeny(l *lineBuf, t time.Time) {
	fw := fortigates[g.r.IntN(len(fortigates))]
	svc := services[3+g.r.IntN(4)]
	lt := t.In(ict)
	l.s(`<189>date=`, lt.Format("2006-01-02"), ` time=`, lt.Format("15:04:05"), ` devname="`, fw.name, `" devid="`, fw.serial,
		`" eventtime=`, strconv.FormatInt(t.UnixNano(), 10), ` tz="+0700" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root"`,
		` srcip=`, g.externalIP(), ` srcport=`).counter(g.r, 10000, 65536).s(` srcintf="wan1" dstip=203.0.113.`).n(1+g.r.IntN(30)).
		s(` dstport=`).n(svc.port).s(` dstintf="dmz" proto=`).n(svc.proto).
		s(` action="deny" policyid=0 policytype="policy" service="`, svc.name, `" sentbyte=0 rcvdbyte=0 crscore=30 craction=131072`)
}

// panCSV joins PAN-OS columns; values with a comma or a quote are quoted.
func panCSV(l *lineBuf, n int, cols map[int]string, counterCol int, g *generator, lo, hi int64) {
	for i := range n {
		if i > 0 {
			l.s(",")
		}
		if i == counterCol {
			l.counter(g.r, lo, hi)
			continue
		}
		v := cols[i]
		if strings.ContainsAny(v, `,"`) {
			v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		l.s(v)
	}
}

func (g *generator) panTraffic(l *lineBuf, t time.Time) {
	fw := palos[g.r.IntN(len(palos))]
	lt := t.In(ict)
	ts := lt.Format("2006/01/02 15:04:05")
	svc := services[g.r.IntN(3)]
	src, dst := g.internalIP(), g.externalIP()
	app := []string{"ssl", "web-browsing", "dns", "zalo-base", "ms-update", "google-base"}[g.r.IntN(6)]
	cols := map[int]string{
		0: "1", 1: ts, 2: fw.serial, 3: "TRAFFIC", 4: "end", 5: "2561", 6: ts, 7: src, 8: dst, 9: "198.51.100.2", 10: dst,
		11: "Allow-Web", 12: `corp\` + g.pick(users), 14: app, 15: "vsys1", 16: "trust", 17: "untrust", 18: "ethernet1/2",
		19: "ethernet1/1", 20: "Log-Forward", 21: ts, 23: "1", 24: strconv.Itoa(g.port()), 25: strconv.Itoa(svc.port),
		26: strconv.Itoa(g.port()), 27: strconv.Itoa(svc.port), 28: "0x40041c", 29: []string{"tcp", "tcp", "udp"}[g.r.IntN(3)],
		30: "allow", 31: strconv.Itoa(g.r.IntN(100_000)), 32: strconv.Itoa(g.r.IntN(20_000)), 33: strconv.Itoa(g.r.IntN(80_000)),
		34: strconv.Itoa(1 + g.r.IntN(200)), 35: ts, 36: strconv.Itoa(g.r.IntN(300)), 37: "computer-and-internet-info", 38: "0",
		39: strconv.FormatInt(7_328_000_000+g.r.Int64N(1_000_000), 10), 40: "0x8000000000000000", 41: "10.0.0.0-10.255.255.255",
		42: "Vietnam", 44: strconv.Itoa(1 + g.r.IntN(100)), 45: strconv.Itoa(1 + g.r.IntN(150)), 46: "tcp-fin", 52: fw.name,
		53: "from-policy", 82: fmt.Sprintf("KT-PC%02d", 1+g.r.IntN(60)), 102: lt.Format("2006-01-02T15:04:05.000-07:00"),
	}
	l.s("<14>", stamp3164(t), " ", fw.name, " ")
	panCSV(l, 103, cols, 22, g, 100_000, 999_999)
}

func (g *generator) panThreat(l *lineBuf, t time.Time) {
	fw := palos[g.r.IntN(len(palos))]
	lt := t.In(ict)
	ts := lt.Format("2006/01/02 15:04:05")
	src := g.externalIP()
	threat := []string{"Apache Log4j Remote Code Execution Vulnerability(91991)", "SSH User Authentication Brute Force Attempt(40015)",
		"HTTP Directory Traversal Vulnerability(30844)", "Microsoft Exchange Server SSRF Vulnerability(91368)"}[g.r.IntN(4)]
	cols := map[int]string{
		0: "1", 1: ts, 2: fw.serial, 3: "THREAT", 4: "vulnerability", 5: "2561", 6: ts, 7: src, 8: "203.0.113.10", 9: "0.0.0.0",
		10: "10.30.0.10", 11: "Inbound-DMZ", 14: "web-browsing", 15: "vsys1", 16: "untrust", 17: "dmz", 18: "ethernet1/1",
		19: "ethernet1/3", 20: "Log-Forward", 23: "1", 24: strconv.Itoa(g.port()), 25: "443", 26: "0", 27: "443", 28: "0x2000",
		29: "tcp", 30: "reset-both", 31: "portal.so-tttt.gov.vn" + g.pick(webPaths), 32: threat, 33: "any", 34: "critical",
		35: "client-to-server", 36: strconv.FormatInt(7_328_000_000+g.r.Int64N(1_000_000), 10), 37: "0x2000000000000000",
		38: "Netherlands", 39: "10.0.0.0-10.255.255.255", 59: fw.name, 63: "get", 69: "code-execution",
		107: lt.Format("2006-01-02T15:04:05.000-07:00"),
	}
	l.s("<14>", stamp3164(t), " ", fw.name, " ")
	panCSV(l, 108, cols, 22, g, 100_000, 999_999)
}

// asaHeader is "<PRI>Mmm dd yyyy hh:mm:ss HOST : " (logging timestamp,
// logging device-id hostname).
func asaHeader(l *lineBuf, pri int, t time.Time, host string) {
	lt := t.In(ict)
	l.s("<").n(pri).s(">", fmt.Sprintf("%s %02d %d %02d:%02d:%02d", months[lt.Month()-1], lt.Day(), lt.Year(), lt.Hour(), lt.Minute(), lt.Second()),
		" ", host, " : ")
}

func (g *generator) asaConn(l *lineBuf, t time.Time) {
	host := asas[g.r.IntN(len(asas))]
	ext, in := g.externalIP(), g.internalIP()
	eport, iport := []int{443, 80, 53, 25}[g.r.IntN(4)], g.port()
	proto := "TCP"
	if eport == 53 {
		proto = "UDP"
	}
	if g.r.IntN(2) == 0 {
		asaHeader(l, 166, t, host)
		l.s("%ASA-6-302013: Built outbound ", proto, " connection ").counter(g.r, 100_000_000, 999_999_999).
			s(" for outside:", ext, "/").n(eport).s(" (", ext, "/").n(eport).s(") to inside:", in, "/").n(iport).
			s(" (198.51.100.", strconv.Itoa(1+g.r.IntN(8)), "/").n(g.port()).s(")")
		return
	}
	asaHeader(l, 166, t, host)
	l.s("%ASA-6-302014: Teardown ", proto, " connection ").counter(g.r, 100_000_000, 999_999_999).
		s(" for outside:", ext, "/").n(eport).s(" to inside:", in, "/").n(iport).
		s(" duration 0:", fmt.Sprintf("%02d:%02d", g.r.IntN(60), g.r.IntN(60)), " bytes ").n(g.r.IntN(500_000)).
		s(" ", []string{"TCP FINs from inside", "TCP Reset-O from outside", "Idle Timeout"}[g.r.IntN(3)])
}

func (g *generator) asaDeny(l *lineBuf, t time.Time) {
	asaHeader(l, 164, t, asas[g.r.IntN(len(asas))])
	l.s("%ASA-4-106023: Deny tcp src outside:", g.externalIP(), "/").counter(g.r, 10000, 65536).
		s(" dst dmz:203.0.113.", strconv.Itoa(1+g.r.IntN(30)), "/").n([]int{22, 23, 445, 3389, 1433, 8080}[g.r.IntN(6)]).
		s(` by access-group "OUTSIDE_IN" [0x8f2c1a3e, 0x0]`)
}

func (g *generator) linuxHost() string {
	return []string{"srv-web", "srv-app", "srv-db", "srv-mail", "srv-file", "bastion"}[g.r.IntN(6)] + fmt.Sprintf("-%02d", 1+g.r.IntN(8))
}

func (g *generator) sshFailed(l *lineBuf, t time.Time) {
	l.s("<38>", stamp3164(t), " ", g.linuxHost(), " sshd[").counter(g.r, 10000, 99999).s("]: Failed password for ")
	if g.r.IntN(3) > 0 {
		l.s("invalid user ")
	}
	l.s(g.pick(svcUsers), " from ", g.externalIP(), " port ").n(g.port()).s(" ssh2")
}

func (g *generator) sshAccepted(l *lineBuf, t time.Time) {
	l.s("<38>1 ", stamp5424(t), " ", g.linuxHost(), ".so-tttt.gov.vn sshd ").counter(g.r, 10000, 99999).s(" - - ")
	user, from := g.pick(users), g.internalIP()
	if g.r.IntN(2) == 0 {
		l.s("Accepted password for ", user, " from ", from, " port ").n(g.port()).s(" ssh2")
		return
	}
	l.s("Accepted publickey for ", user, " from ", from, " port ").n(g.port()).
		s(" ssh2: ED25519 SHA256:", fmt.Sprintf("%016x%016x%011x", g.r.Uint64(), g.r.Uint64(), g.r.Uint64()>>20))
}

func (g *generator) sudo(l *lineBuf, t time.Time) {
	u := g.pick(users)
	l.s("<85>", stamp3164(t), " ", g.linuxHost(), " sudo: ", u, " : TTY=pts/").n(g.r.IntN(6)).
		s(" ; PWD=/home/", u, " ; USER=root ; COMMAND=", g.pick(commands))
}

func (g *generator) auditd(l *lineBuf, t time.Time) {
	host := []string{"srv-db", "srv-app", "bastion"}[g.r.IntN(3)] + fmt.Sprintf("-%02d", 1+g.r.IntN(8))
	x := auditExes[g.r.IntN(len(auditExes))]
	l.s("<110>1 ", stamp5424(t), " ", host, " audispd - - - ")
	stamp := fmt.Sprintf("%d.%03d", t.Unix(), t.Nanosecond()/1e6)
	if g.r.IntN(3) == 0 {
		l.s(`type=EXECVE msg=audit(`, stamp, `:`).counter(g.r, 100_000, 999_999).
			s(`): argc=3 a0="`, x.comm, `" a1="-n" a2="/etc/shadow"`)
		return
	}
	pid := 2000 + g.r.IntN(60000)
	l.s(`type=SYSCALL msg=audit(`, stamp, `:`).counter(g.r, 100_000, 999_999).
		s(`): arch=c000003e syscall=59 success=yes exit=0 a0=55d1c6a0 a1=55d1c6b0 a2=55d1c6c0 a3=0 items=2 ppid=`).n(pid-1-g.r.IntN(50)).
		s(` pid=`).n(pid).s(` auid=`).n(1000+g.r.IntN(20)).s(` uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts`).n(g.r.IntN(6)).
		s(` ses=`).n(1+g.r.IntN(40)).s(` comm="`, x.comm, `" exe="`, x.exe, `" subj=unconfined key="`, x.key, `"`)
}

func (g *generator) nginx(l *lineBuf, t time.Time) {
	lt := t.In(ict)
	client := g.externalIP()
	if g.r.IntN(3) == 0 {
		client = g.internalIP()
	}
	status := []int{200, 200, 200, 200, 304, 302, 404, 403, 500}[g.r.IntN(9)]
	l.s("<190>1 ", stamp5424(t), " ", fmt.Sprintf("web%02d", 1+g.r.IntN(6)), " nginx - - - ", client, " - - [",
		lt.Format("02/Jan/2006:15:04:05 -0700"), `] "`, []string{"GET", "GET", "GET", "POST"}[g.r.IntN(4)], " ", g.pick(webPaths),
		` HTTP/1.1" `).n(status).s(" ").counter(g.r, 10000, 99999).s(` "https://portal.so-tttt.gov.vn/" "`, g.pick(userAgents), `"`)
}

func (g *generator) bind(l *lineBuf, t time.Time) {
	q := g.pick(domainNames)
	l.s("<30>", stamp3164(t), " ", fmt.Sprintf("ns%d", 1+g.r.IntN(3)), " named[812]: client @0x7f3a2c",
		fmt.Sprintf("%06x", g.r.IntN(1<<24)), " ", g.internalIP(), "#").counter(g.r, 10000, 65536).
		s(" (", q, "): query: ", q, " IN ", []string{"A", "A", "AAAA", "HTTPS", "MX", "TXT"}[g.r.IntN(6)], " +E(0) (10.0.0.53)")
}

// generate returns n lines from the mix, with times spread evenly over
// span before base.
func generate(seed uint64, n int, base time.Time, span time.Duration) []line {
	g := &generator{r: rand.New(rand.NewPCG(seed, 0x6b6869656e))}
	total := 0
	for _, s := range mix {
		total += s.weight
	}
	out := make([]line, 0, n)
	for i := range n {
		t := base.Add(-span + time.Duration(int64(span)/int64(n)*int64(i)))
		k := g.r.IntN(total)
		si := 0
		for ; k >= mix[si].weight; si++ {
			k -= mix[si].weight
		}
		var l lineBuf
		mix[si].gen(g, &l, t)
		out = append(out, line{src: si, text: l.b, slot: l.slot})
	}
	return out
}

// block is a run of newline-framed lines the senders write with one call.
type block struct {
	data  []byte
	lines int
	slots []slot // offsets relative to data
}

// pool is the generated lines cut into blocks.
type pool struct {
	blocks []block
	lines  int
	bytes  int64 // with the newlines
}

func newPool(lines []line, blockBytes int) *pool {
	p := &pool{lines: len(lines)}
	var cur block
	for _, l := range lines {
		if len(cur.data) > 0 && len(cur.data)+len(l.text)+1 > blockBytes {
			p.blocks = append(p.blocks, cur)
			cur = block{}
		}
		if l.slot.width > 0 {
			s := l.slot
			s.off += len(cur.data)
			cur.slots = append(cur.slots, s)
		}
		cur.data = append(append(cur.data, l.text...), '\n')
		cur.lines++
		p.bytes += int64(len(l.text) + 1)
	}
	if cur.lines > 0 {
		p.blocks = append(p.blocks, cur)
	}
	return p
}
