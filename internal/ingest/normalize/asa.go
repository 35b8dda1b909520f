package normalize

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"khien.vn/khien/internal/event"
)

// ASA normalises Cisco ASA (and Firepower Threat Defense) syslog
// messages, %ASA-<severity>-<id>: <text>. Every message gets its ID and
// severity; the IDs listed in docs/normalize.md are read into ECS fields
// and cisco.asa.*.
type ASA struct{}

var _ Parser = ASA{}

// Name implements Parser.
func (ASA) Name() string { return "cisco-asa" }

// Dataset implements Parser.
func (ASA) Dataset() string { return "cisco.asa" }

// Match accepts messages carrying %ASA-n-nnnnnn (or %FTD-…), in the text
// or as the syslog tag that the syslog parser put in event.code.
func (ASA) Match(e *event.Event) bool {
	if c := e.Fields[event.FieldEventCode]; len(c) > 4 && (c[:4] == "ASA-" || c[:4] == "FTD-") {
		return true
	}
	_, _, _, _, ok := findASATag(text(e))
	return ok
}

// findASATag finds "%ASA-6-302013:" (or %FTD-…) in s and returns the
// product, the severity digit, the message ID and the text after the tag.
func findASATag(s string) (product, sev, id, body string, ok bool) {
	for _, tag := range [2]string{"%ASA-", "%FTD-"} {
		for off := 0; off < len(s); {
			i := strings.Index(s[off:], tag)
			if i < 0 {
				break
			}
			i += off
			if product, sev, id, body, ok = splitASATag(s[i+1:]); ok {
				return product, sev, id, body, true
			}
			off = i + 1
		}
	}
	return "", "", "", "", false
}

// splitASATag reads "ASA-6-302013: text" (the colon is optional).
func splitASATag(s string) (product, sev, id, body string, ok bool) {
	if len(s) < 8 || s[3] != '-' || s[4] < '0' || s[4] > '7' || s[5] != '-' {
		return
	}
	j := 6
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j-6 < 6 || j-6 > 7 {
		return
	}
	rest := s[j:]
	rest = strings.TrimPrefix(rest, ":")
	return s[:3], s[4:5], s[6:j], strings.TrimLeft(rest, " "), true
}

var asaLevels = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// Parse implements Parser.
func (ASA) Parse(e *event.Event) error {
	reserve(e, 24)
	s := text(e)
	product, sev, id, body, ok := findASATag(s)
	if !ok {
		// The syslog parser took "%ASA-6-302013" as the tag.
		product, sev, id, _, ok = splitASATag(e.Fields[event.FieldEventCode])
		if !ok {
			return errors.New("no %ASA-n-nnnnnn tag")
		}
		body = s
	}
	e.Set("observer.vendor", "Cisco")
	e.Set("observer.product", product)
	e.Set("observer.type", "firewall")
	if h := e.Fields[event.FieldHostName]; h != "" {
		e.Set("observer.name", h)
	}
	e.Set(event.FieldEventCode, id)
	e.Set("cisco.asa.message_id", id)
	e.Set("event.severity", sev)
	e.Set(event.FieldLogLevel, asaLevels[sev[0]-'0'])
	var errs errList
	switch id {
	case "106023":
		parseASADeny(e, &errs, body)
	case "302013", "302015":
		parseASABuilt(e, &errs, body)
	case "302014", "302016":
		parseASATeardown(e, &errs, body)
	case "113004", "113005", "113015":
		parseASAAAA(e, &errs, id, body)
	case "605004", "605005":
		parseASALogin(e, &errs, id, body)
	case "111008":
		parseASACommand(e, &errs, body)
	case "733100":
		parseASADropRate(e, &errs, body)
	}
	return errs.err()
}

// asaEndpoint is "interface:address/port" with the optional "(mapped
// address/port)" and "(user)" that follow it.
type asaEndpoint struct {
	iface, ip, port, mappedIP, mappedPort, user string
}

// readEndpoint reads an endpoint at toks[i] and the parenthesised tokens
// after it; it returns the index of the next token.
func readEndpoint(toks []string, i int) (asaEndpoint, int, error) {
	var ep asaEndpoint
	if i >= len(toks) {
		return ep, i, errors.New("missing address")
	}
	iface, addr, ok := strings.Cut(toks[i], ":")
	if !ok {
		return ep, i, fmt.Errorf("%q is not interface:address", toks[i])
	}
	ep.iface = iface
	i++
	if j := strings.IndexByte(addr, '('); j >= 0 {
		// "10.1.1.50/137(CORP\user)": the user is glued to the port and
		// may go on over the next tokens.
		user := addr[j+1:]
		addr = addr[:j]
		for !strings.HasSuffix(user, ")") && i < len(toks) {
			user += " " + toks[i]
			i++
		}
		ep.user = strings.TrimSuffix(user, ")")
	}
	ep.ip, ep.port = splitAddrPort(addr)
	for i < len(toks) && strings.HasPrefix(toks[i], "(") && !strings.HasPrefix(toks[i], "(type") {
		// A user name may contain spaces: join tokens up to ")".
		j := i
		for j < len(toks) && !strings.HasSuffix(toks[j], ")") {
			j++
		}
		if j == len(toks) {
			return ep, i, errors.New("unterminated parenthesis")
		}
		inner := strings.Join(toks[i:j+1], " ")
		inner = inner[1 : len(inner)-1]
		if ip, port := splitAddrPort(inner); ep.mappedIP == "" && isIP(ip) {
			ep.mappedIP, ep.mappedPort = ip, port
		} else if ep.user == "" {
			ep.user = inner
		}
		i = j + 1
	}
	return ep, i, nil
}

// splitAddrPort splits "10.0.0.1/443" (IPv6 addresses have no '/').
func splitAddrPort(s string) (addr, port string) {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// asaSide holds the field names of one side of a connection.
type asaSide struct {
	prefix, iface, username, mappedIP, mappedPort string
}

var (
	asaSource      = asaSide{"source", "cisco.asa.source_interface", "cisco.asa.source_username", "cisco.asa.mapped_source_ip", "cisco.asa.mapped_source_port"}
	asaDestination = asaSide{"destination", "cisco.asa.destination_interface", "cisco.asa.destination_username", "cisco.asa.mapped_destination_ip", "cisco.asa.mapped_destination_port"}
)

// setEndpoint maps an endpoint to source.* or destination.* and
// cisco.asa.<side>_interface/_username, mapped_<side>_ip/_port.
func setEndpoint(e *event.Event, errs *errList, side asaSide, ep asaEndpoint) {
	if ip, ok := cleanIP(ep.ip); ok {
		setf(e, side.prefix, ".ip", ip)
	} else {
		setf(e, side.prefix, ".address", ep.ip)
		setf(e, side.prefix, ".domain", ep.ip)
	}
	setPort(e, errs, fname(side.prefix, ".port"), ep.port)
	e.Set(side.iface, ep.iface)
	if ep.user != "" {
		e.Set(side.username, ep.user)
		setDomainUser(e, fname(side.prefix, ".user"), ep.user)
	}
	if ep.mappedIP != "" && (ep.mappedIP != ep.ip || ep.mappedPort != ep.port) {
		e.Set(side.mappedIP, ep.mappedIP)
		e.Set(side.mappedPort, ep.mappedPort)
		setf(e, side.prefix, ".nat.ip", ep.mappedIP)
		if isPort(ep.mappedPort) {
			setf(e, side.prefix, ".nat.port", ep.mappedPort)
		}
	}
}

// setTransport sets network.transport from an ASA protocol word or number.
func setTransport(e *event.Event, proto string) {
	p := lower(proto)
	if isDigits(p) {
		e.Set("network.iana_number", p)
		p = transportName(p)
	}
	e.Set("network.transport", p)
}

// 106023: Deny tcp src outside:192.0.2.10/51514 dst inside:10.1.1.5/22
// by access-group "OUTSIDE_IN" [0x8f2c1a3e, 0x0]
func parseASADeny(e *event.Event, errs *errList, body string) {
	toks := strings.Fields(body)
	if len(toks) < 6 || toks[0] != "Deny" {
		errs.addf("106023: cannot read %q", body)
		return
	}
	i := 1
	proto := toks[i]
	if proto == "protocol" && i+1 < len(toks) {
		i++
		proto = toks[i]
	}
	i++
	setTransport(e, proto)
	if i >= len(toks) || toks[i] != "src" {
		errs.addf("106023: no src in %q", body)
		return
	}
	src, i, err := readEndpoint(toks, i+1)
	if err != nil {
		errs.addf("106023: source: %v", err)
		return
	}
	if i >= len(toks) || toks[i] != "dst" {
		errs.addf("106023: no dst in %q", body)
		return
	}
	dst, i, err := readEndpoint(toks, i+1)
	if err != nil {
		errs.addf("106023: destination: %v", err)
		return
	}
	setEndpoint(e, errs, asaSource, src)
	setEndpoint(e, errs, asaDestination, dst)
	rest := strings.Join(toks[i:], " ")
	if r, ok := strings.CutPrefix(rest, "(type "); ok {
		// "(type 8, code 0)"
		inner, _, _ := strings.Cut(r, ")")
		t, c, _ := strings.Cut(inner, ",")
		e.Set("cisco.asa.icmp_type", strings.TrimSpace(t))
		e.Set("cisco.asa.icmp_code", strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c), "code")))
	}
	if _, acl, ok := strings.Cut(rest, "access-group "); ok {
		acl, _, _ = strings.Cut(acl, " [")
		acl = strings.Trim(acl, `"`)
		e.Set("cisco.asa.rule_name", acl)
		e.Set("rule.name", acl)
	}
	e.Set(event.FieldEventAction, "deny")
	setList(e, event.FieldEventCategory, "network")
	setList(e, FieldEventType, "connection", "denied")
	e.Set(event.FieldEventOutcome, "failure")
}

// readConnection reads "<proto> connection <id> for <ep> to <ep>" from
// toks (after "Built inbound" or "Teardown") and returns the index after.
func readConnection(e *event.Event, errs *errList, toks []string) (first, second asaEndpoint, i int, ok bool) {
	if len(toks) < 6 || toks[1] != "connection" || toks[3] != "for" {
		errs.addf("cannot read connection in %q", strings.Join(toks, " "))
		return
	}
	setTransport(e, toks[0])
	e.Set("cisco.asa.connection_id", toks[2])
	first, i, err := readEndpoint(toks, 4)
	if err != nil {
		errs.addf("first address: %v", err)
		return
	}
	if i >= len(toks) || toks[i] != "to" {
		errs.addf("no 'to' in %q", strings.Join(toks, " "))
		return
	}
	second, i, err = readEndpoint(toks, i+1)
	if err != nil {
		errs.addf("second address: %v", err)
		return
	}
	return first, second, i, true
}

// 302013/302015: Built {inbound|outbound} TCP connection 12 for
// outside:198.51.100.7/443 (198.51.100.7/443) to inside:10.1.1.20/51000
// (203.0.113.5/51000). The first address is on the outside (lower
// security) interface; the direction says which side opened the
// connection.
func parseASABuilt(e *event.Event, errs *errList, body string) {
	toks := strings.Fields(body)
	if len(toks) < 3 || toks[0] != "Built" {
		errs.addf("cannot read %q", body)
		return
	}
	dir := toks[1]
	first, second, _, ok := readConnection(e, errs, toks[2:])
	if !ok {
		return
	}
	switch dir {
	case "inbound":
		setEndpoint(e, errs, asaSource, first)
		setEndpoint(e, errs, asaDestination, second)
		e.Set("network.direction", "inbound")
	case "outbound":
		setEndpoint(e, errs, asaSource, second)
		setEndpoint(e, errs, asaDestination, first)
		e.Set("network.direction", "outbound")
	default:
		errs.addf("unknown direction %q", dir)
		return
	}
	e.Set(event.FieldEventAction, "built-connection")
	setList(e, event.FieldEventCategory, "network")
	setList(e, FieldEventType, "connection", "start", "allowed")
	e.Set(event.FieldEventOutcome, "success")
}

// 302014/302016: Teardown TCP connection 12 for outside:198.51.100.7/443
// to inside:10.1.1.20/51000 duration 0:00:30 bytes 6150 TCP FINs from
// inside (alice). The message does not say which side opened the
// connection; like other ECS mappings, the first address is the source
// (join on cisco.asa.connection_id with 302013/302015 for the direction).
func parseASATeardown(e *event.Event, errs *errList, body string) {
	toks := strings.Fields(body)
	if len(toks) < 2 || toks[0] != "Teardown" {
		errs.addf("cannot read %q", body)
		return
	}
	first, second, i, ok := readConnection(e, errs, toks[1:])
	if !ok {
		return
	}
	i++ // toks[1:] offset
	setEndpoint(e, errs, asaSource, first)
	setEndpoint(e, errs, asaDestination, second)
	e.Set(event.FieldEventAction, "teardown-connection")
	setList(e, event.FieldEventCategory, "network")
	setList(e, FieldEventType, "connection", "end")
	for i < len(toks) {
		switch toks[i] {
		case "duration":
			if i+1 < len(toks) {
				if ns, ok := asaDuration(toks[i+1]); ok {
					e.Set("event.duration", ns)
				} else {
					errs.addf("duration %q", toks[i+1])
				}
			}
			i += 2
			continue
		case "bytes":
			if i+1 < len(toks) {
				if isDigits(toks[i+1]) {
					e.Set("network.bytes", toks[i+1])
				} else {
					errs.addf("bytes %q", toks[i+1])
				}
			}
			i += 2
			// The rest is the reason, then "(user)".
			rest := strings.Join(toks[min(i, len(toks)):], " ")
			if j := strings.LastIndexByte(rest, '('); j >= 0 && strings.HasSuffix(rest, ")") {
				u := rest[j+1 : len(rest)-1]
				e.Set("cisco.asa.username", u)
				setDomainUser(e, "user", u)
				rest = strings.TrimSpace(rest[:j])
			}
			e.Set("event.reason", rest)
			e.Set("cisco.asa.termination_reason", rest)
			return
		}
		i++
	}
}

// asaDuration turns "h:mm:ss" (hours may exceed 24) into nanoseconds.
func asaDuration(s string) (string, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return "", false
	}
	var total int64
	for _, p := range parts {
		if !isDigits(p) || len(p) > 6 {
			return "", false
		}
		n, _ := strconv.ParseInt(p, 10, 64)
		total = total*60 + n
	}
	return strconv.FormatInt(total*1e9, 10), true
}

// 113004: AAA user authentication Successful : server = 10.1.1.10 : user = alice
// 113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.10 : user = ***** : user IP = 198.51.100.23
// 113015: AAA user authentication Rejected : reason = Invalid password : local database : user = admin : user IP = 198.51.100.23
func parseASAAAA(e *event.Event, errs *errList, id, body string) {
	segs := strings.Split(body, ": ")
	head := strings.Fields(segs[0])
	if len(head) < 4 || head[0] != "AAA" || head[1] != "user" {
		errs.addf("%s: cannot read %q", id, body)
		return
	}
	kind := head[2] // authentication, authorization, accounting
	e.Set("cisco.asa.aaa.type", kind)
	for _, seg := range segs[1:] {
		k, v, ok := strings.Cut(seg, " = ")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			if seg = strings.TrimSpace(seg); seg != "" {
				e.Set("cisco.asa.aaa.server", seg) // "local database"
			}
			continue
		}
		switch k {
		case "server":
			e.Set("cisco.asa.aaa.server", v)
		case "user":
			e.Set(event.FieldUserName, v)
		case "user IP":
			setIP(e, errs, "source.ip", v)
		case "reason":
			e.Set("event.reason", v)
		}
	}
	if kind == "authentication" {
		setList(e, event.FieldEventCategory, "authentication")
		setList(e, FieldEventType, "start")
	} else {
		setList(e, event.FieldEventCategory, "iam")
		setList(e, FieldEventType, "info")
	}
	if id == "113004" {
		e.Set(event.FieldEventAction, "aaa-success")
		e.Set(event.FieldEventOutcome, "success")
	} else {
		e.Set(event.FieldEventAction, "aaa-rejected")
		e.Set(event.FieldEventOutcome, "failure")
	}
}

var asaServicePorts = map[string]string{
	"ssh": "22", "telnet": "23", "http": "80", "https": "443",
}

// 605004: Login denied from 198.51.100.23/52314 to outside:203.0.113.1/ssh for user "admin"
// 605005: Login permitted from 10.1.1.50/51234 to inside:10.1.1.1/https for user "admin"
func parseASALogin(e *event.Event, errs *errList, id, body string) {
	toks := strings.Fields(body)
	if len(toks) < 6 || toks[0] != "Login" || toks[2] != "from" {
		errs.addf("%s: cannot read %q", id, body)
		return
	}
	ip, port := splitAddrPort(toks[3])
	if ip != "serial" {
		setIP(e, errs, "source.ip", ip)
		setPort(e, errs, "source.port", port)
	}
	if toks[4] == "to" {
		if iface, addr, ok := strings.Cut(toks[5], ":"); ok {
			dip, svc := splitAddrPort(addr)
			setIP(e, errs, "destination.ip", dip)
			e.Set("cisco.asa.destination_interface", iface)
			if p, ok := asaServicePorts[svc]; ok {
				e.Set("destination.port", p)
				e.Set("network.protocol", svc)
			} else if isPort(svc) {
				e.Set("destination.port", svc)
			}
		}
	}
	if _, u, ok := strings.Cut(body, " for user "); ok {
		e.Set(event.FieldUserName, strings.Trim(strings.TrimSpace(u), `"'`))
	}
	setList(e, event.FieldEventCategory, "authentication")
	setList(e, FieldEventType, "start")
	if id == "605005" {
		e.Set(event.FieldEventAction, "login-permitted")
		e.Set(event.FieldEventOutcome, "success")
	} else {
		e.Set(event.FieldEventAction, "login-denied")
		e.Set(event.FieldEventOutcome, "failure")
	}
}

// 111008: User 'admin' executed the 'write memory' command.
func parseASACommand(e *event.Event, errs *errList, body string) {
	rest, ok := strings.CutPrefix(body, "User '")
	if !ok {
		errs.addf("111008: cannot read %q", body)
		return
	}
	user, rest, ok := strings.Cut(rest, "' executed the '")
	if !ok {
		errs.addf("111008: cannot read %q", body)
		return
	}
	cmd := strings.TrimSuffix(strings.TrimSuffix(rest, "."), " command")
	cmd = strings.TrimSuffix(cmd, "'")
	e.Set(event.FieldUserName, user)
	e.Set("cisco.asa.command_line", cmd)
	e.Set(event.FieldEventAction, "command-executed")
	setList(e, event.FieldEventCategory, "configuration")
	setList(e, FieldEventType, "change")
	e.Set(event.FieldEventOutcome, "success")
}

// 733100: [ Scanning] drop rate-1 exceeded. Current burst rate is 10 per
// second, max configured rate is 10; Current average rate is 7 per second,
// max configured rate is 5; Cumulative total count is 4234
func parseASADropRate(e *event.Event, errs *errList, body string) {
	if !strings.HasPrefix(body, "[") {
		errs.addf("733100: cannot read %q", body)
		return
	}
	end := strings.IndexByte(body, ']')
	if end < 0 {
		errs.addf("733100: cannot read %q", body)
		return
	}
	object := strings.TrimSpace(body[1:end])
	e.Set("cisco.asa.burst.object", object)
	if ip, ok := cleanIP(object); ok {
		e.Set("source.ip", ip)
	}
	rest := body[end+1:]
	if _, r, ok := strings.Cut(rest, "drop "); ok {
		id, _, _ := strings.Cut(r, " ")
		e.Set("cisco.asa.burst.id", id)
	}
	burst, avg, _ := strings.Cut(rest, ";")
	avg, total, _ := strings.Cut(avg, ";")
	e.Set("cisco.asa.burst.current_burst_rate", numberAfter(burst, "Current burst rate is "))
	e.Set("cisco.asa.burst.configured_burst_rate", numberAfter(burst, "max configured rate is "))
	e.Set("cisco.asa.burst.current_average_rate", numberAfter(avg, "Current average rate is "))
	e.Set("cisco.asa.burst.configured_average_rate", numberAfter(avg, "max configured rate is "))
	e.Set("cisco.asa.burst.cumulative_count", numberAfter(total, "Cumulative total count is "))
	e.Set(event.FieldEventAction, "drop-rate-exceeded")
	setList(e, event.FieldEventCategory, "intrusion_detection")
	setList(e, FieldEventType, "info")
	e.Set(FieldEventKind, "alert")
}

// numberAfter returns the digits that follow prefix in s ("" when none).
func numberAfter(s, prefix string) string {
	_, r, ok := strings.Cut(s, prefix)
	if !ok {
		return ""
	}
	j := 0
	for j < len(r) && r[j] >= '0' && r[j] <= '9' {
		j++
	}
	return r[:j]
}
