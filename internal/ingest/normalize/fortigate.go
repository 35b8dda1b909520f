package normalize

import (
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/event"
)

// FortiGate normalises FortiOS key=value logs (date= time= devname=
// devid= logid= type= subtype= …) of every type: traffic, utm and event.
// Every pair is kept as fortinet.firewall.<key>.
type FortiGate struct{}

var _ Parser = FortiGate{}

// Name implements Parser.
func (FortiGate) Name() string { return "fortigate" }

// Dataset implements Parser.
func (FortiGate) Dataset() string { return "fortinet.firewall" }

// Match accepts lines that start like a FortiOS log (date=, logver=,
// eventtime= or timestamp=) and carry a devid= pair.
func (FortiGate) Match(e *event.Event) bool {
	s := strings.TrimLeft(text(e), " ")
	if !(strings.HasPrefix(s, "date=") || strings.HasPrefix(s, "logver=") ||
		strings.HasPrefix(s, "eventtime=") || strings.HasPrefix(s, "timestamp=")) {
		return false
	}
	return strings.Contains(s, "devid=")
}

const fortiNS = "fortinet.firewall."

// fortiKeys holds the field names of the keys FortiOS writes most, so
// that parsing does not build them for every event.
var fortiKeys = func() map[string]string {
	keys := strings.Fields(`date time devname devid eventtime tz logid type subtype level vd logdesc
		srcip srcport srcintf srcintfrole srcname srcmac srcserver srccountry srcuuid srcfamily srchwvendor srcswversion
		dstip dstport dstintf dstintfrole dstcountry dstmac dstserver dstuuid dstdevtype dstosname dsthwvendor
		mastersrcmac masterdstmac sessionid proto action policyid policytype poluuid policyname service
		trandisp transip transport tranip tranport natip natport appid app appcat apprisk applist appact
		duration sentbyte rcvdbyte sentpkt rcvdpkt sentdelta rcvddelta vwlid vwlquality wanin wanout lanin lanout
		crscore craction crlevel countapp countweb countips countav countdlp user group authserver unauthuser
		unauthusersource osname devtype hostname url catdesc cat reqtype direction msg eventtype profile
		status reason ui method sn cfgtid cfgpath cfgobj cfgattr virus virusid dtype ref filename filetype
		quarskip agent analyticssubmit attack attackid severity incidentserialnum ref crscore
		tunneltype tunnelid remip locip remport locport xauthuser xauthgroup vpntunnel assignip`)
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = fortiNS + k
	}
	return m
}()

// Parse implements Parser.
func (FortiGate) Parse(e *event.Event) error {
	reserve(e, strings.Count(text(e), "=")+32)
	var errs errList
	var kv fortiFields
	err := scanKV(text(e), func(k, v string) {
		if v == "" {
			return
		}
		name, ok := fortiKeys[k]
		if !ok {
			name = fortiNS + k
		}
		e.Fields[name] = v
		kv.set(k, v)
	})
	if err != nil {
		errs.addf("%v", err)
	}
	if kv.devid == "" {
		errs.addf("no devid")
	}
	kv.apply(e, &errs)
	return errs.err()
}

// fortiFields holds the pairs the ECS mapping reads.
type fortiFields struct {
	date, tm, tz, eventtime                       string
	devname, devid, logid, typ, subtype, level    string
	srcip, srcport, dstip, dstport, proto, action string
	srcintf, dstintf, srcmac, dstmac, srccountry  string
	dstcountry, policyid, policyname, poluuid     string
	transip, transport, tranip, tranport, service string
	app, sentbyte, rcvdbyte, sentpkt, rcvdpkt     string
	duration, user, group, hostname, url, status  string
	ui, virus, logdesc, cfgpath                   string
}

func (f *fortiFields) set(k, v string) {
	switch k {
	case "date":
		f.date = v
	case "time":
		f.tm = v
	case "tz":
		f.tz = v
	case "eventtime":
		f.eventtime = v
	case "devname":
		f.devname = v
	case "devid":
		f.devid = v
	case "logid":
		f.logid = v
	case "type":
		f.typ = v
	case "subtype":
		f.subtype = v
	case "level":
		f.level = v
	case "srcip":
		f.srcip = v
	case "srcport":
		f.srcport = v
	case "dstip":
		f.dstip = v
	case "dstport":
		f.dstport = v
	case "proto":
		f.proto = v
	case "action":
		f.action = v
	case "srcintf":
		f.srcintf = v
	case "dstintf":
		f.dstintf = v
	case "srcmac":
		f.srcmac = v
	case "dstmac":
		f.dstmac = v
	case "srccountry":
		f.srccountry = v
	case "dstcountry":
		f.dstcountry = v
	case "policyid":
		f.policyid = v
	case "policyname":
		f.policyname = v
	case "poluuid":
		f.poluuid = v
	case "transip":
		f.transip = v
	case "transport":
		f.transport = v
	case "tranip":
		f.tranip = v
	case "tranport":
		f.tranport = v
	case "service":
		f.service = v
	case "app":
		f.app = v
	case "sentbyte":
		f.sentbyte = v
	case "rcvdbyte":
		f.rcvdbyte = v
	case "sentpkt":
		f.sentpkt = v
	case "rcvdpkt":
		f.rcvdpkt = v
	case "duration":
		f.duration = v
	case "user":
		f.user = v
	case "group":
		f.group = v
	case "hostname":
		f.hostname = v
	case "url":
		f.url = v
	case "status":
		f.status = v
	case "ui":
		f.ui = v
	case "virus":
		f.virus = v
	case "logdesc":
		f.logdesc = v
	case "cfgpath":
		f.cfgpath = v
	}
}

func (f *fortiFields) apply(e *event.Event, errs *errList) {
	e.Set("observer.vendor", "Fortinet")
	e.Set("observer.product", "FortiGate")
	e.Set("observer.type", "firewall")
	e.Set("observer.name", f.devname)
	e.Set("observer.serial_number", f.devid)
	e.Set(event.FieldEventCode, f.logid)
	e.Set(event.FieldLogLevel, f.level)
	e.Set("event.timezone", f.tz)
	if t, ok := fortiTime(f.eventtime, f.date, f.tm, f.tz); ok {
		e.Time = t
	}

	setIP(e, errs, "source.ip", f.srcip)
	setPort(e, errs, "source.port", f.srcport)
	setIP(e, errs, "destination.ip", f.dstip)
	setPort(e, errs, "destination.port", f.dstport)
	setIP(e, errs, "source.nat.ip", f.transip)
	setPort(e, errs, "source.nat.port", f.transport)
	setIP(e, errs, "destination.nat.ip", f.tranip)
	setPort(e, errs, "destination.nat.port", f.tranport)
	e.Set("source.mac", ecsMAC(f.srcmac))
	e.Set("destination.mac", ecsMAC(f.dstmac))
	if f.srccountry != "Reserved" {
		e.Set("source.geo.country_name", f.srccountry)
	}
	if f.dstcountry != "Reserved" {
		e.Set("destination.geo.country_name", f.dstcountry)
	}
	e.Set("observer.ingress.interface.name", f.srcintf)
	e.Set("observer.egress.interface.name", f.dstintf)
	if f.proto != "" {
		e.Set("network.iana_number", f.proto)
		e.Set("network.transport", transportName(f.proto))
	}
	if isWord(f.service) {
		e.Set("network.protocol", lower(f.service))
	}
	e.Set("network.application", lower(f.app))
	e.Set("rule.id", f.policyid)
	e.Set("rule.name", f.policyname)
	e.Set("rule.uuid", f.poluuid)
	setCounters(e, errs, f.sentbyte, f.rcvdbyte, ".bytes")
	setCounters(e, errs, f.sentpkt, f.rcvdpkt, ".packets")
	if f.duration != "" {
		if ns, ok := secondsToNS(f.duration); ok {
			e.Set("event.duration", ns)
		} else {
			errs.addf("duration: %q is not a number of seconds", f.duration)
		}
	}
	if f.user != "" {
		e.Set("source.user.name", f.user)
		e.Set(event.FieldUserName, f.user)
	}
	e.Set("source.user.group.name", f.group)
	e.Set("destination.domain", f.hostname)
	e.Set(event.FieldEventAction, f.action)

	allowed, denied := fortiVerdict(f.action)
	var types []string
	switch f.typ {
	case "traffic":
		setList(e, event.FieldEventCategory, "network")
		types = append(types, "connection")
		switch f.action {
		case "start":
			types = append(types, "start")
		case "close", "timeout", "client-rst", "server-rst":
			types = append(types, "end")
		}
	case "utm":
		e.Set(FieldEventKind, "alert")
		switch f.subtype {
		case "virus":
			setList(e, event.FieldEventCategory, "malware")
			e.Set("threat.software.name", f.virus)
		case "ips", "anomaly":
			setList(e, event.FieldEventCategory, "intrusion_detection")
		case "webfilter":
			setList(e, event.FieldEventCategory, "web")
			e.Set("url.domain", f.hostname)
			e.Set("url.original", f.url)
		default:
			e.Set(FieldEventKind, "event")
			setList(e, event.FieldEventCategory, "network")
		}
	case "event":
		switch {
		case strings.Contains(f.action, "login") || strings.Contains(f.action, "logout"):
			setList(e, event.FieldEventCategory, "authentication")
			if strings.Contains(f.action, "logout") {
				types = append(types, "end")
			} else {
				types = append(types, "start")
			}
			switch f.status {
			case "success":
				e.Set(event.FieldEventOutcome, "success")
			case "failed", "failure":
				e.Set(event.FieldEventOutcome, "failure")
			}
			if f.srcip == "" {
				if ip := parenIP(f.ui); ip != "" {
					e.Set("source.ip", ip)
				}
			}
		case f.cfgpath != "":
			setList(e, event.FieldEventCategory, "configuration")
			types = append(types, "change")
		}
	}
	switch {
	case allowed:
		types = append(types, "allowed")
		if f.typ != "event" {
			e.Set(event.FieldEventOutcome, "success")
		}
	case denied:
		types = append(types, "denied")
		if f.typ != "event" {
			e.Set(event.FieldEventOutcome, "failure")
		}
	}
	setList(e, FieldEventType, types...)
}

// fortiVerdict says whether a FortiOS action let the traffic through or
// stopped it (neither for other actions).
func fortiVerdict(action string) (allowed, denied bool) {
	switch action {
	case "accept", "close", "timeout", "client-rst", "server-rst", "start",
		"pass", "passthrough", "allowed", "monitored", "detected":
		return true, false
	case "deny", "blocked", "block", "dropped", "drop", "reset", "reject", "clear_session":
		return false, true
	}
	return false, false
}

// fortiTime reads eventtime (seconds, milliseconds, microseconds or
// nanoseconds since 1970, by its length) or date+time with a tz offset.
func fortiTime(eventtime, date, tm, tz string) (time.Time, bool) {
	if isDigits(eventtime) {
		n, err := strconv.ParseInt(eventtime, 10, 64)
		if err == nil {
			switch len(eventtime) {
			case 10:
				return time.Unix(n, 0).UTC(), true
			case 13:
				return time.UnixMilli(n).UTC(), true
			case 16:
				return time.UnixMicro(n).UTC(), true
			case 19:
				return time.Unix(0, n).UTC(), true
			}
		}
	}
	if date == "" || tm == "" || tz == "" {
		return time.Time{}, false
	}
	layout := "2006-01-02 15:04:05 -0700"
	if strings.IndexByte(tz, ':') > 0 {
		layout = "2006-01-02 15:04:05 -07:00"
	}
	t, err := time.Parse(layout, date+" "+tm+" "+tz)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// setCounters sets source<unit>, destination<unit> and network<unit>
// (their sum) from sent and received counters; unit is ".bytes" or
// ".packets".
func setCounters(e *event.Event, errs *errList, sent, rcvd, unit string) {
	var total uint64
	ok := false
	for _, c := range [2]struct{ name, v string }{{fname("source", unit), sent}, {fname("destination", unit), rcvd}} {
		if c.v == "" {
			continue
		}
		n, err := strconv.ParseUint(c.v, 10, 64)
		if err != nil {
			errs.addf("%s: %q is not a count", c.name, c.v)
			continue
		}
		e.Set(c.name, c.v)
		total += n
		ok = true
	}
	if ok {
		e.Set(fname("network", unit), strconv.FormatUint(total, 10))
	}
}

// ecsMAC writes a MAC address as ECS asks: upper case, dash-separated.
func ecsMAC(mac string) string {
	if len(mac) != 17 {
		return mac
	}
	b := []byte(mac)
	for i, c := range b {
		switch {
		case c == ':':
			b[i] = '-'
		case c >= 'a' && c <= 'f':
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// parenIP returns the address in "https(10.0.0.5)", or "".
func parenIP(s string) string {
	i := strings.IndexByte(s, '(')
	if i < 0 || !strings.HasSuffix(s, ")") {
		return ""
	}
	if ip, ok := cleanIP(s[i+1 : len(s)-1]); ok {
		return ip
	}
	return ""
}

// isWord reports whether s is letters, digits, '-' and '_' and starts
// with a letter ("HTTPS", "DNS"; not "tcp/8443").
func isWord(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
