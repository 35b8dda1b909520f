package normalize

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/event"
)

// PANOS normalises Palo Alto Networks PAN-OS syslog in the default CSV
// format. TRAFFIC and THREAT logs (field order of PAN-OS 10.x/11.x, which
// extends 9.1's) are mapped to ECS; every column is kept as
// panw.panos.<name> (the field names of the PAN-OS syslog documentation),
// columns beyond the documented ones as panw.panos.column_<position>.
// Other log types (SYSTEM, CONFIG, …) get the common header fields only.
type PANOS struct{}

var _ Parser = PANOS{}

// Name implements Parser.
func (PANOS) Name() string { return "panos" }

// Dataset implements Parser.
func (PANOS) Dataset() string { return "panw.panos" }

var panosTypes = map[string]bool{
	"TRAFFIC": true, "THREAT": true, "SYSTEM": true, "CONFIG": true, "HIPMATCH": true,
	"GLOBALPROTECT": true, "USERID": true, "AUTHENTICATION": true, "DECRYPTION": true,
	"TUNNEL": true, "GTP": true, "SCTP": true, "CORRELATION": true, "IPTAG": true,
}

// Match accepts lines whose first columns are a number, a receive time
// (YYYY/MM/DD hh:mm:ss), a serial number and a PAN-OS log type.
func (PANOS) Match(e *event.Event) bool {
	s := strings.TrimLeft(text(e), " ")
	f0, s, ok := strings.Cut(s, ",")
	if !ok || !isDigits(f0) {
		return false
	}
	f1, s, ok := strings.Cut(s, ",")
	if !ok || len(f1) != 19 || f1[4] != '/' || f1[7] != '/' {
		return false
	}
	_, s, ok = strings.Cut(s, ",")
	if !ok {
		return false
	}
	f3, _, ok := strings.Cut(s, ",")
	return ok && panosTypes[f3]
}

const panosNS = "panw.panos."

// Column names, by position, of the PAN-OS syslog formats. "" is a
// FUTURE_USE column.
var panosTrafficColumns = panosNames([]string{
	"", "receive_time", "serial", "type", "subtype", "", "time_generated", "src", "dst", "natsrc",
	"natdst", "rule", "srcuser", "dstuser", "app", "vsys", "from", "to", "inbound_if", "outbound_if",
	"logset", "", "sessionid", "repeatcnt", "sport", "dport", "natsport", "natdport", "flags", "proto",
	"action", "bytes", "bytes_sent", "bytes_received", "packets", "start", "elapsed", "category", "", "seqno",
	"actionflags", "srcloc", "dstloc", "", "pkts_sent", "pkts_received", "session_end_reason", "dg_hier_level_1", "dg_hier_level_2", "dg_hier_level_3",
	"dg_hier_level_4", "vsys_name", "device_name", "action_source", "src_uuid", "dst_uuid", "tunnelid_imsi", "monitortag_imei", "parent_session_id", "parent_start_time",
	"tunnel", "assoc_id", "chunks", "chunks_sent", "chunks_received", "rule_uuid", "http2_connection", "link_change_count", "policy_id", "link_switches",
	"sdwan_cluster", "sdwan_device_type", "sdwan_cluster_type", "sdwan_site", "dynusergroup_name", "xff_ip", "src_category", "src_profile", "src_model", "src_vendor",
	"src_osfamily", "src_osversion", "src_host", "src_mac", "dst_category", "dst_profile", "dst_model", "dst_vendor", "dst_osfamily", "dst_osversion",
	"dst_host", "dst_mac", "container_id", "pod_namespace", "pod_name", "src_edl", "dst_edl", "hostid", "serialnumber", "src_dag",
	"dst_dag", "session_owner", "high_res_timestamp",
})

var panosThreatColumns = panosNames([]string{
	"", "receive_time", "serial", "type", "subtype", "", "time_generated", "src", "dst", "natsrc",
	"natdst", "rule", "srcuser", "dstuser", "app", "vsys", "from", "to", "inbound_if", "outbound_if",
	"logset", "", "sessionid", "repeatcnt", "sport", "dport", "natsport", "natdport", "flags", "proto",
	"action", "misc", "threatid", "category", "severity", "direction", "seqno", "actionflags", "srcloc", "dstloc",
	"", "contenttype", "pcap_id", "filedigest", "cloud", "url_idx", "user_agent", "filetype", "xff", "referer",
	"sender", "subject", "recipient", "reportid", "dg_hier_level_1", "dg_hier_level_2", "dg_hier_level_3", "dg_hier_level_4", "vsys_name", "device_name",
	"", "src_uuid", "dst_uuid", "http_method", "tunnelid_imsi", "monitortag_imei", "parent_session_id", "parent_start_time", "tunnel", "thr_category",
	"contentver", "", "assoc_id", "ppid", "http_headers", "url_category_list", "rule_uuid", "http2_connection", "dynusergroup_name", "xff_ip",
	"src_category", "src_profile", "src_model", "src_vendor", "src_osfamily", "src_osversion", "src_host", "src_mac", "dst_category", "dst_profile",
	"dst_model", "dst_vendor", "dst_osfamily", "dst_osversion", "dst_host", "dst_mac", "container_id", "pod_namespace", "pod_name", "src_edl",
	"dst_edl", "hostid", "serialnumber", "domain_edl", "src_dag", "dst_dag", "partial_hash", "high_res_timestamp", "reason", "justification",
})

// The header columns every PAN-OS log type shares.
var panosHeaderColumns = panosTrafficColumns[:7]

// panosNames prefixes the column names once, so that parsing allocates no
// field names.
func panosNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		if n != "" {
			out[i] = panosNS + n
		}
	}
	return out
}

// Parse implements Parser.
func (PANOS) Parse(e *event.Event) error {
	reserve(e, strings.Count(text(e), ",")/2+48)
	var buf [128]string
	cols, err := splitCSV(text(e), buf[:0])
	if err != nil {
		return err
	}
	if len(cols) < 7 {
		return errors.New("fewer than 7 columns")
	}
	typ := cols[3]
	names := panosHeaderColumns
	switch typ {
	case "TRAFFIC":
		names = panosTrafficColumns
	case "THREAT":
		names = panosThreatColumns
	}
	for i, v := range cols {
		if v == "" {
			continue
		}
		switch {
		case i < len(names):
			if names[i] != "" {
				e.Set(names[i], v)
			}
		case typ == "TRAFFIC" || typ == "THREAT":
			e.Set(panosNS+"column_"+strconv.Itoa(i+1), v)
		}
	}
	e.Set("observer.vendor", "Palo Alto Networks")
	e.Set("observer.product", "PAN-OS")
	e.Set("observer.type", "firewall")
	e.Set("observer.serial_number", cols[2])
	col := func(i int) string {
		if i < len(cols) {
			return cols[i]
		}
		return ""
	}
	var errs errList
	switch typ {
	case "TRAFFIC":
		if len(cols) < 47 {
			errs.addf("TRAFFIC log with %d columns, want at least 47", len(cols))
		}
		mapPANOSSession(e, &errs, col)
		setCounters(e, &errs, col(32), col(33), ".bytes")
		setCounters(e, &errs, col(44), col(45), ".packets")
		if d := col(36); d != "" {
			if ns, ok := secondsToNS(d); ok {
				e.Set("event.duration", ns)
			}
		}
		e.Set("observer.name", col(52))
		e.Set("rule.uuid", col(65))
		setPANOSTime(e, col(102))
		setList(e, event.FieldEventCategory, "network")
		types := []string{"connection"}
		switch col(4) {
		case "start":
			types = append(types, "start")
		case "end":
			types = append(types, "end")
		}
		setPANOSVerdict(e, col(30), types)
	case "THREAT":
		if len(cols) < 42 {
			errs.addf("THREAT log with %d columns, want at least 42", len(cols))
		}
		mapPANOSSession(e, &errs, col)
		mapPANOSThreat(e, col)
		e.Set("observer.name", col(59))
		e.Set("rule.uuid", col(76))
		setPANOSTime(e, col(107))
	}
	return errs.err()
}

// mapPANOSSession maps the columns TRAFFIC and THREAT logs share.
func mapPANOSSession(e *event.Event, errs *errList, col func(int) string) {
	setIP(e, errs, "source.ip", col(7))
	setIP(e, errs, "destination.ip", col(8))
	setIP(e, errs, "source.nat.ip", col(9))
	setIP(e, errs, "destination.nat.ip", col(10))
	e.Set("rule.name", col(11))
	if u := col(12); u != "" {
		setDomainUser(e, "source.user", u)
		setDomainUser(e, "user", u)
	}
	setDomainUser(e, "destination.user", col(13))
	e.Set("network.application", col(14))
	e.Set("observer.ingress.zone", col(16))
	e.Set("observer.egress.zone", col(17))
	e.Set("observer.ingress.interface.name", col(18))
	e.Set("observer.egress.interface.name", col(19))
	setPort(e, errs, "source.port", col(24))
	setPort(e, errs, "destination.port", col(25))
	setPort(e, errs, "source.nat.port", col(26))
	setPort(e, errs, "destination.nat.port", col(27))
	e.Set("network.transport", col(29))
	e.Set(event.FieldEventAction, col(30))
}

var panosSeverity = map[string]string{
	"informational": "1", "low": "2", "medium": "3", "high": "4", "critical": "5",
}

func mapPANOSThreat(e *event.Event, col func(int) string) {
	sub := col(4)
	misc := col(31)
	e.Set(FieldEventKind, "alert")
	switch sub {
	case "virus", "wildfire-virus", "wildfire":
		setList(e, event.FieldEventCategory, "malware")
		e.Set("file.name", misc)
	case "spyware", "vulnerability", "flood", "scan", "packet":
		setList(e, event.FieldEventCategory, "intrusion_detection")
	case "url":
		e.Set(FieldEventKind, "event")
		setList(e, event.FieldEventCategory, "web")
		e.Set("url.original", misc)
		if d, _, _ := strings.Cut(misc, "/"); d != "" && !strings.Contains(d, ":") {
			e.Set("url.domain", d)
		}
	case "file", "data":
		e.Set(FieldEventKind, "event")
		setList(e, event.FieldEventCategory, "file")
		e.Set("file.name", misc)
	}
	// Threat/Content Name: "Eicar Test File(39040)".
	if t := col(32); t != "" {
		name, id := t, ""
		if i := strings.LastIndexByte(t, '('); i >= 0 && strings.HasSuffix(t, ")") {
			name, id = strings.TrimSpace(t[:i]), t[i+1:len(t)-1]
		}
		e.Set(panosNS+"threat.name", name)
		e.Set(panosNS+"threat.id", id)
	}
	if sev := col(34); sev != "" {
		e.Set(event.FieldLogLevel, sev)
		e.Set("event.severity", panosSeverity[sev])
	}
	if h := col(43); len(h) == 64 && isHexDigits(h) {
		e.Set("file.hash.sha256", lower(h))
	}
	e.Set("user_agent.original", col(46))
	e.Set("http.request.referrer", col(49))
	e.Set("email.from.address", col(50))
	e.Set("email.subject", col(51))
	e.Set("email.to.address", col(52))
	e.Set("http.request.method", col(63))
	setPANOSVerdict(e, col(30), nil)
}

// setPANOSVerdict adds allowed/denied to types and sets event.outcome
// from a PAN-OS action.
func setPANOSVerdict(e *event.Event, action string, types []string) {
	switch action {
	case "allow", "alert", "continue", "override":
		types = append(types, "allowed")
		e.Set(event.FieldEventOutcome, "success")
	case "deny", "drop", "drop-icmp", "drop-all-packets", "reset-client", "reset-server",
		"reset-both", "block", "block-url", "block-continue", "block-override", "block-ip",
		"sinkhole", "random-drop":
		types = append(types, "denied")
		e.Set(event.FieldEventOutcome, "failure")
	}
	setList(e, FieldEventType, types...)
}

// setPANOSTime sets the event time from the High Resolution Timestamp
// (RFC 3339, with zone); the other PAN-OS times have no zone.
func setPANOSTime(e *event.Event, ts string) {
	if ts == "" {
		return
	}
	if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		e.Time = t.UTC()
	}
}

// splitCSV splits one CSV line into dst. A field may be double-quoted;
// inside quotes a comma is data and "" is one quote.
func splitCSV(s string, dst []string) ([]string, error) {
	for {
		if len(s) > 0 && s[0] == '"' {
			var b []byte
			i := 1
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return dst, errors.New("unterminated quoted column")
				}
				b = append(b, s[i:i+j]...)
				i += j + 1
				if i < len(s) && s[i] == '"' { // "" inside quotes
					b = append(b, '"')
					i++
					continue
				}
				break
			}
			dst = append(dst, string(b))
			s = s[i:]
			if s == "" {
				return dst, nil
			}
			if s[0] != ',' {
				return dst, errors.New("text after a quoted column")
			}
			s = s[1:]
			continue
		}
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return append(dst, s), nil
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}
