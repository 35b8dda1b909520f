package normalize

import (
	"errors"
	"strings"

	"khien.vn/khien/internal/event"
)

// BIND normalises BIND 9 query logs (category queries), from a file or
// syslog, with or without the timestamp and category prefix:
//
//	12-Jan-2025 10:00:00.123 queries: info: client @0x7f3a2c0b8e50 10.0.0.15#53211 (portal.example.vn): query: portal.example.vn IN A +E(0)K (10.0.0.53)
//	client @0x7f… 10.0.0.15#53211 (x.vn): view internal: query (cache) 'x.vn/A/IN' denied
type BIND struct{}

var _ Parser = BIND{}

// Name implements Parser.
func (BIND) Name() string { return "bind" }

// Dataset implements Parser.
func (BIND) Dataset() string { return "bind.query" }

// Match accepts lines with "client " followed by ": query".
func (BIND) Match(e *event.Event) bool {
	s := text(e)
	i := strings.Index(s, "client ")
	return i >= 0 && strings.Contains(s[i:], ": query")
}

// Parse implements Parser.
func (BIND) Parse(e *event.Event) error {
	reserve(e, 18)
	s := text(e)
	i := strings.Index(s, "client ")
	if i < 0 {
		return errors.New("no 'client '")
	}
	rest := s[i+len("client "):]
	tok, rest := cutWord(rest)
	if strings.HasPrefix(tok, "@0x") {
		tok, rest = cutWord(rest)
	}
	var errs errList
	addr, port, ok := strings.Cut(strings.TrimSuffix(tok, ":"), "#")
	if !ok {
		return errors.New("client address without #port")
	}
	setIP(e, &errs, "source.ip", addr)
	setPort(e, &errs, "source.port", port)
	// "(name): " then optional "view v: ".
	if strings.HasPrefix(rest, "(") {
		if j := strings.Index(rest, "): "); j >= 0 {
			rest = rest[j+3:]
		}
	}
	if v, r, ok := strings.Cut(rest, ": "); ok && strings.HasPrefix(v, "view ") {
		e.Set("bind.view", v[len("view "):])
		rest = r
	}
	e.Set("network.protocol", "dns")
	e.Set("dns.type", "query")
	setList(e, event.FieldEventCategory, "network")
	if q, ok := strings.CutPrefix(rest, "query: "); ok {
		// name class type flags (server)
		name, q := cutWord(q)
		class, q := cutWord(q)
		typ, q := cutWord(q)
		flags, q := cutWord(q)
		if name == "" || typ == "" {
			errs.addf("query: want name, class and type")
			return errs.err()
		}
		e.Set("dns.question.name", name)
		e.Set("dns.question.class", class)
		e.Set("dns.question.type", typ)
		e.Set("bind.query.flags", flags)
		var hf []string
		transport := "udp"
		for k := 0; k < len(flags); k++ {
			switch flags[k] {
			case '+':
				hf = append(hf, "RD")
			case 'T':
				transport = "tcp"
			case 'D':
				hf = append(hf, "DO")
			case 'C':
				hf = append(hf, "CD")
			case 'E': // "E(0)": EDNS version
				if end := strings.IndexByte(flags[k:], ')'); end > 0 {
					k += end
				}
			}
		}
		setList(e, "dns.header_flags", hf...)
		e.Set("network.transport", transport)
		if srv := strings.Trim(strings.TrimSpace(q), "()"); srv != "" {
			setIP(e, &errs, "destination.ip", srv)
		}
		setList(e, FieldEventType, "protocol")
		e.Set(event.FieldEventAction, "dns-query")
		return errs.err()
	}
	// query (cache) 'name/TYPE/CLASS' denied (…)
	if _, q, ok := strings.Cut(rest, "'"); ok && strings.HasPrefix(rest, "query") {
		spec, tail, _ := strings.Cut(q, "'")
		parts := strings.Split(spec, "/")
		if len(parts) == 3 {
			e.Set("dns.question.name", parts[0])
			e.Set("dns.question.type", parts[1])
			e.Set("dns.question.class", parts[2])
		}
		if strings.HasPrefix(strings.TrimSpace(tail), "denied") {
			e.Set(event.FieldEventAction, "dns-query-denied")
			setList(e, FieldEventType, "protocol", "denied")
			e.Set(event.FieldEventOutcome, "failure")
			e.Set("event.reason", strings.TrimSpace(tail))
		}
		return errs.err()
	}
	errs.addf("cannot read query in %q", rest)
	return errs.err()
}

// WindowsDNS normalises the packet lines of the Windows DNS Server debug
// log (dns.log):
//
//	1/12/2025 10:00:00 AM 0A1C PACKET  000001DC8B9F6190 UDP Rcv 10.0.0.25       8e2f   Q [0001   D   NOERROR] A      (6)portal(7)example(2)vn(0)
//
// The date is in the server's locale and has no zone: Event.Time is not
// changed.
type WindowsDNS struct{}

var _ Parser = WindowsDNS{}

// Name implements Parser.
func (WindowsDNS) Name() string { return "windows-dns" }

// Dataset implements Parser.
func (WindowsDNS) Dataset() string { return "windows.dns_debug" }

// Match accepts lines whose first word is a date (d/m/y in any order)
// and that have a PACKET column.
func (WindowsDNS) Match(e *event.Event) bool {
	s := strings.TrimLeft(text(e), " ")
	d, _ := cutWord(s)
	if strings.Count(d, "/") != 2 && strings.Count(d, "-") != 2 && strings.Count(d, ".") != 2 {
		return false
	}
	return strings.Contains(s[:min(len(s), 80)], " PACKET ")
}

const winDNSNS = "windows.dns_debug."

var dnsOpcodes = map[string]string{"Q": "QUERY", "N": "NOTIFY", "U": "UPDATE"}

// Parse implements Parser.
func (WindowsDNS) Parse(e *event.Event) error {
	reserve(e, 20)
	toks := strings.Fields(text(e))
	p := -1
	for i, t := range toks {
		if t == "PACKET" {
			p = i
			break
		}
	}
	if p < 1 || p+7 >= len(toks) {
		return errors.New("cannot find the PACKET columns")
	}
	e.Set(winDNSNS+"thread_id", toks[p-1])
	e.Set(winDNSNS+"packet_id", toks[p+1])
	proto, dir, ip, xid := toks[p+2], toks[p+3], toks[p+4], toks[p+5]
	i := p + 6
	var errs errList
	e.Set("network.transport", lower(proto))
	e.Set("network.protocol", "dns")
	e.Set(winDNSNS+"direction", dir)
	switch dir {
	case "Rcv":
		setIP(e, &errs, "source.ip", ip)
	case "Snd":
		setIP(e, &errs, "destination.ip", ip)
	default:
		errs.addf("direction %q: want Snd or Rcv", dir)
	}
	e.Set("dns.id", xid)
	dnsType := "query"
	if toks[i] == "R" {
		dnsType = "answer"
		i++
	}
	e.Set("dns.type", dnsType)
	if i < len(toks) {
		if op, ok := dnsOpcodes[toks[i]]; ok {
			e.Set("dns.op_code", op)
		}
		i++
	}
	if i >= len(toks) || !strings.HasPrefix(toks[i], "[") {
		errs.addf("no [flags]")
		return errs.err()
	}
	e.Set(winDNSNS+"flags", toks[i][1:])
	i++
	var hf []string
	for ; i < len(toks); i++ {
		t := toks[i]
		if rc, ok := strings.CutSuffix(t, "]"); ok {
			e.Set("dns.response_code", rc)
			i++
			break
		}
		for k := 0; k < len(t); k++ {
			switch t[k] {
			case 'A':
				hf = append(hf, "AA")
			case 'T':
				hf = append(hf, "TC")
			case 'D':
				hf = append(hf, "RD")
			case 'R':
				hf = append(hf, "RA")
			}
		}
	}
	setList(e, "dns.header_flags", hf...)
	if i+1 >= len(toks) {
		errs.addf("no question type and name")
		return errs.err()
	}
	e.Set("dns.question.type", toks[i])
	e.Set("dns.question.name", decodeDNSName(toks[i+1]))
	setList(e, event.FieldEventCategory, "network")
	setList(e, FieldEventType, "protocol")
	e.Set(event.FieldEventAction, "dns-"+dnsType)
	return errs.err()
}

// decodeDNSName turns "(6)portal(7)example(2)vn(0)" into
// "portal.example.vn".
func decodeDNSName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '(' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := strings.IndexByte(s[i:], ')')
		if j < 0 || !isDigits(s[i+1:i+j]) {
			b.WriteString(s[i:])
			break
		}
		i += j + 1
		if b.Len() > 0 && i < len(s) {
			b.WriteByte('.')
		}
	}
	return b.String()
}
