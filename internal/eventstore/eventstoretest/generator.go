package eventstoretest

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"khien.vn/khien/internal/event"
)

// Generator makes realistic security events for benchmarks, the same for a
// given seed: Windows logons (40%) and process creations (30%), Linux sshd
// authentications (20%) and firewall decisions (10%), each with 15 fields
// (ECS names), a message of 100–250 bytes, and the cardinalities of a
// mid-sized network — 4 units, 200 hosts, 2,000 users, 20,000 internal
// addresses, 5,000 executables (SHA-256). One process creation in 10,000 is
// a "vssadmin delete shadows" command line, for hunts.
type Generator struct {
	rng    *rand.Rand
	next   time.Time
	step   time.Duration
	record uint64
	hosts  []string
	users  []string
	hashes []string
	bins   []string
}

// GeneratorUnits are the units of generated events.
var GeneratorUnits = []int64{1, 2, 3, 4}

// NewGenerator returns a generator whose events start at start and are
// step apart (with jitter of up to a millisecond).
func NewGenerator(seed uint64, start time.Time, step time.Duration) *Generator {
	g := &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), next: start, step: step}
	for i := range 200 {
		prefix := []string{"web", "db", "dc", "ws", "app"}[i%5]
		g.hosts = append(g.hosts, fmt.Sprintf("%s%03d.so-tttt.gov.vn", prefix, i))
	}
	given := []string{"an", "binh", "cuong", "dung", "giang", "ha", "hai", "hoa", "hung", "lan", "linh", "minh", "nam", "phuong", "quang", "son", "thao", "trang", "tuan", "vy"}
	family := []string{"nguyen", "tran", "le", "pham", "hoang", "phan", "vu", "vo", "dang", "bui"}
	for i := range 2000 {
		g.users = append(g.users, fmt.Sprintf("%s.%s%d", given[i%len(given)], family[(i/len(given))%len(family)], i/200))
	}
	b := make([]byte, 32)
	bins := []string{"svchost.exe", "powershell.exe", "cmd.exe", "chrome.exe", "explorer.exe", "rundll32.exe", "msedge.exe", "wmic.exe", "net.exe", "teams.exe"}
	for i := range 5000 {
		for j := range b {
			b[j] = byte(g.rng.Uint32())
		}
		g.hashes = append(g.hashes, hex.EncodeToString(b))
		g.bins = append(g.bins, bins[i%len(bins)])
	}
	return g
}

// Hash returns the SHA-256 of the i-th executable (for exact-match hunts).
func (g *Generator) Hash(i int) string { return g.hashes[i%len(g.hashes)] }

// Host returns the i-th host name.
func (g *Generator) Host(i int) string { return g.hosts[i%len(g.hosts)] }

// User returns the i-th user name.
func (g *Generator) User(i int) string { return g.users[i%len(g.users)] }

// Batch appends n events to dst[:0] and returns it.
func (g *Generator) Batch(dst []event.Event, n int) []event.Event {
	dst = dst[:0]
	for range n {
		dst = append(dst, g.Event())
	}
	return dst
}

// pick returns an index in [0, n) skewed towards small values, as real
// activity is (a few hosts and users make most events).
func (g *Generator) pick(n int) int {
	x := g.rng.Float64()
	return int(x * x * float64(n))
}

func (g *Generator) ip() string {
	return "10." + strconv.Itoa(g.rng.IntN(20)) + "." + strconv.Itoa(g.rng.IntN(40)) + "." + strconv.Itoa(1+g.rng.IntN(25))
}

func (g *Generator) publicIP() string {
	return strconv.Itoa(1+g.rng.IntN(223)) + "." + strconv.Itoa(g.rng.IntN(256)) + "." + strconv.Itoa(g.rng.IntN(256)) + "." + strconv.Itoa(1+g.rng.IntN(254))
}

// Event returns the next event.
func (g *Generator) Event() event.Event {
	t := g.next.Add(time.Duration(g.rng.IntN(int(time.Millisecond))))
	g.next = g.next.Add(g.step)
	g.record++
	hostIdx := g.pick(len(g.hosts))
	host := g.hosts[hostIdx]
	ev := event.Event{
		Time:     t.UTC(),
		Received: t.Add(time.Duration(g.rng.IntN(2000)) * time.Millisecond).UTC(),
		UnitID:   GeneratorUnits[hostIdx%len(GeneratorUnits)],
		Fields:   make(map[string]string, 16),
	}
	ev.Set(event.FieldHostName, host)
	user := g.users[g.pick(len(g.users))]
	switch r := g.rng.IntN(10); {
	case r < 4:
		failed := g.rng.IntN(4) == 0
		code, action, outcome := "4624", "logged-in", "success"
		if failed {
			code, action, outcome = "4625", "logon-failed", "failure"
		}
		logonType := []string{"2", "3", "3", "3", "10", "5"}[g.rng.IntN(6)]
		src := g.ip()
		ev.Source = event.Source{Kind: event.KindBulk, Name: "winlogbeat", Addr: "10.0.0.10"}
		ev.Set(event.FieldEventCode, code)
		ev.Set(event.FieldEventProvider, "Microsoft-Windows-Security-Auditing")
		ev.Set(event.FieldEventAction, action)
		ev.Set(event.FieldEventOutcome, outcome)
		ev.Set(event.FieldEventCategory, "authentication")
		ev.Set(event.FieldUserName, user)
		ev.Set("user.domain", "SO-TTTT")
		ev.Set(event.FieldSourceIP, src)
		ev.Set(event.FieldSourcePort, strconv.Itoa(49152+g.rng.IntN(16000)))
		ev.Set("winlog.channel", "Security")
		ev.Set("winlog.event_data.LogonType", logonType)
		ev.Set("winlog.event_data.WorkstationName", "WS"+strconv.Itoa(g.rng.IntN(500)))
		ev.Set("winlog.record_id", strconv.FormatUint(g.record, 10))
		ev.Set(event.FieldLogLevel, "information")
		if failed {
			ev.Message = fmt.Sprintf("An account failed to log on. Account Name: %s Account Domain: SO-TTTT Logon Type: %s Failure Reason: Unknown user name or bad password. Source Network Address: %s", user, logonType, src)
		} else {
			ev.Message = fmt.Sprintf("An account was successfully logged on. Account Name: %s Account Domain: SO-TTTT Logon Type: %s Source Network Address: %s", user, logonType, src)
		}
	case r < 7:
		bin := g.pick(len(g.hashes))
		name := g.bins[bin]
		cmd := fmt.Sprintf(`C:\Windows\System32\%s -k netsvcs -p -s %s`, name, []string{"Schedule", "BITS", "wuauserv", "Dnscache", "LanmanServer"}[g.rng.IntN(5)])
		if name == "powershell.exe" {
			cmd = fmt.Sprintf(`powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\Scripts\job%d.ps1`, g.rng.IntN(300))
		}
		if g.rng.IntN(10000) == 0 {
			name, cmd = "vssadmin.exe", `"C:\Windows\system32\vssadmin.exe" Delete Shadows /All /Quiet`
		}
		pid := strconv.Itoa(1000 + g.rng.IntN(60000))
		ev.Source = event.Source{Kind: event.KindBulk, Name: "winlogbeat", Addr: "10.0.0.10"}
		ev.Set(event.FieldEventCode, "4688")
		ev.Set(event.FieldEventProvider, "Microsoft-Windows-Security-Auditing")
		ev.Set(event.FieldEventAction, "created-process")
		ev.Set(event.FieldEventCategory, "process")
		ev.Set(event.FieldUserName, user)
		ev.Set("user.domain", "SO-TTTT")
		ev.Set(event.FieldProcessName, name)
		ev.Set(event.FieldProcessPID, pid)
		ev.Set(event.FieldProcessCmd, cmd)
		ev.Set("process.executable", `C:\Windows\System32\`+name)
		ev.Set("process.parent.name", []string{"services.exe", "explorer.exe", "cmd.exe", "svchost.exe"}[g.rng.IntN(4)])
		ev.Set("process.hash.sha256", g.hashes[bin])
		ev.Set("winlog.channel", "Security")
		ev.Set("winlog.record_id", strconv.FormatUint(g.record, 10))
		ev.Message = "A new process has been created. New Process Name: C:\\Windows\\System32\\" + name + " Process Command Line: " + cmd + " Creator Subject: " + user
	case r < 9:
		failed := g.rng.IntN(3) == 0
		src := g.publicIP()
		port := strconv.Itoa(1024 + g.rng.IntN(64000))
		pid := strconv.Itoa(1000 + g.rng.IntN(60000))
		ev.Source = event.Source{Kind: event.KindSyslog, Name: "syslog-udp", Addr: "10.0.1." + strconv.Itoa(hostIdx%250+1)}
		ev.Set("log.syslog.appname", "sshd")
		ev.Set(event.FieldProcessPID, pid)
		ev.Set(event.FieldEventAction, "ssh_login")
		ev.Set(event.FieldEventCategory, "authentication")
		ev.Set(event.FieldEventDataset, "system.auth")
		ev.Set(event.FieldUserName, user)
		ev.Set(event.FieldSourceIP, src)
		ev.Set(event.FieldSourcePort, port)
		ev.Set("log.syslog.facility.name", "auth")
		ev.Set(event.FieldHostIP, "10.0.1."+strconv.Itoa(hostIdx%250+1))
		ev.Set("related.ip", src)
		if failed {
			ev.Set(event.FieldEventOutcome, "failure")
			ev.Set("log.syslog.severity.name", "warning")
			ev.Set(event.FieldLogLevel, "warning")
			ev.Message = fmt.Sprintf("<38>%s %s sshd[%s]: Failed password for %s from %s port %s ssh2", t.Format(time.Stamp), host, pid, user, src, port)
		} else {
			ev.Set(event.FieldEventOutcome, "success")
			ev.Set("log.syslog.severity.name", "informational")
			ev.Set(event.FieldLogLevel, "info")
			ev.Message = fmt.Sprintf("<38>%s %s sshd[%s]: Accepted publickey for %s from %s port %s ssh2: ED25519 SHA256:%s", t.Format(time.Stamp), host, pid, user, src, port, g.hashes[g.rng.IntN(50)][:43])
		}
	default:
		allow := g.rng.IntN(3) > 0
		action := "deny"
		if allow {
			action = "allow"
		}
		src, dst := g.publicIP(), g.ip()
		sport, dport := strconv.Itoa(1024+g.rng.IntN(64000)), []string{"443", "80", "22", "3389", "445", "53"}[g.rng.IntN(6)]
		proto := []string{"tcp", "tcp", "tcp", "udp"}[g.rng.IntN(4)]
		ev.Source = event.Source{Kind: event.KindSyslog, Name: "syslog-tcp", Addr: "10.0.0.1"}
		ev.Set(event.FieldEventAction, action)
		ev.Set(event.FieldSourceIP, src)
		ev.Set(event.FieldSourcePort, sport)
		ev.Set(event.FieldDestIP, dst)
		ev.Set(event.FieldDestPort, dport)
		ev.Set("network.transport", proto)
		ev.Set("network.bytes", strconv.Itoa(40+g.rng.IntN(20000)))
		ev.Set("rule.name", "rule-"+strconv.Itoa(g.rng.IntN(40)))
		ev.Set("observer.vendor", "Fortinet")
		ev.Set(event.FieldEventDataset, "fortinet.firewall")
		ev.Set(event.FieldEventCategory, "network")
		ev.Set(event.FieldEventOutcome, map[bool]string{true: "success", false: "failure"}[allow])
		ev.Set("interface.name", []string{"wan1", "wan2", "internal"}[g.rng.IntN(3)])
		ev.Set(event.FieldLogLevel, "notice")
		ev.Message = fmt.Sprintf("date=%s time=%s devname=FGT-HN action=%s srcip=%s srcport=%s dstip=%s dstport=%s proto=%s policyid=%d", t.Format("2006-01-02"), t.Format("15:04:05"), action, src, sport, dst, dport, proto, g.rng.IntN(40))
	}
	return ev
}
