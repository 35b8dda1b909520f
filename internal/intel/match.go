package intel

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"khien.vn/khien/internal/event"
)

// Fields lists, per indicator type, the event fields (ECS names and the
// raw vendor names Khiên stores) whose values an indicator of that type
// is compared with.
var Fields = map[Type][]string{
	IP: {"source.ip", "destination.ip", "client.ip", "server.ip", "host.ip", "related.ip",
		"winlog.event_data.IpAddress", "winlog.event_data.SourceIp", "winlog.event_data.DestinationIp"},
	CIDR: {"source.ip", "destination.ip", "client.ip", "server.ip", "related.ip"},
	Domain: {"dns.question.name", "url.domain", "destination.domain", "server.domain", "source.domain",
		"winlog.event_data.QueryName", "winlog.event_data.DestinationHostname"},
	URL:      {"url.original", "url.full"},
	MD5:      {"file.hash.md5", "process.hash.md5", "hash.md5"},
	SHA1:     {"file.hash.sha1", "process.hash.sha1", "hash.sha1"},
	SHA256:   {"file.hash.sha256", "process.hash.sha256", "hash.sha256"},
	SHA512:   {"file.hash.sha512", "process.hash.sha512"},
	FileName: {"file.name", "process.name"},
	Email:    {"email.from.address", "email.to.address", "email.sender.address", "user.email", "source.user.email"},
}

// sysmonHashes is Sysmon's raw field "MD5=…,SHA256=…,IMPHASH=…", where
// hashes are also looked for.
const sysmonHashes = "winlog.event_data.Hashes"

// Exact reports whether every event SweepQuery selects matches: each
// indicator is one comparison, or an OR of single comparisons, of a type
// the query compares exactly (not a network, whose ranges the query
// widens, nor a hash, also looked for in Sysmon's Hashes text).
func (m *Matcher) Exact() bool {
	for _, ind := range m.inds {
		for _, conj := range ind.Pattern {
			if len(conj) != 1 {
				return false
			}
			switch conj[0].Type {
			case CIDR, MD5, SHA1, SHA256, SHA512:
				return false
			}
		}
	}
	return true
}

// IndexValues returns the values SweepQuery looks for when every
// indicator is an IP address, or an OR of addresses: SweepQuery then
// selects exactly the events with one of them in one of SweepFields, which
// an event store's value index answers (hunt.SweepSpec.Values). Otherwise
// it returns nil.
func (m *Matcher) IndexValues() []string {
	if len(m.types) != 1 || m.types[0] != IP || !m.Exact() {
		return nil
	}
	out := make([]string, 0, len(m.exact))
	for c := range m.exact {
		out = append(out, c.Value)
	}
	slices.Sort(out)
	return out
}

// SweepFields lists the event fields the indicators are compared with:
// all an IOC sweep needs to read of each candidate of SweepQuery.
func (m *Matcher) SweepFields() []string {
	var out []string
	for _, t := range m.types {
		for _, f := range Fields[t] {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
		switch t {
		case MD5, SHA1, SHA256, SHA512:
			if !slices.Contains(out, sysmonHashes) {
				out = append(out, sysmonHashes)
			}
		}
	}
	return out
}

// Hit is one indicator an event matched.
type Hit struct {
	IndicatorID int64
	// Field and Value are those of the first comparison that matched.
	Field, Value string
}

// Matcher matches events against a set of indicators: every comparison
// value is indexed, so an event costs a few map look-ups per field.
type Matcher struct {
	inds  map[int64]*Indicator
	exact map[Comparison][]int64 // normalised comparison → indicators using it
	nets  []netEntry
	types []Type // types present, in a fixed order
}

type netEntry struct {
	prefix netip.Prefix
	ids    []int64
}

// NewMatcher indexes the indicators (revoked and inactive ones are the
// caller's to leave out).
func NewMatcher(list []Indicator) *Matcher {
	m := &Matcher{inds: make(map[int64]*Indicator, len(list)), exact: map[Comparison][]int64{}}
	present := map[Type]bool{}
	nets := map[netip.Prefix][]int64{}
	for i := range list {
		ind := &list[i]
		m.inds[ind.ID] = ind
		for _, conj := range ind.Pattern {
			for _, c := range conj {
				present[c.Type] = true
				if c.Type == CIDR {
					if p, err := netip.ParsePrefix(c.Value); err == nil && !slices.Contains(nets[p], ind.ID) {
						nets[p] = append(nets[p], ind.ID)
					}
					continue
				}
				if ids := m.exact[c]; !slices.Contains(ids, ind.ID) {
					m.exact[c] = append(ids, ind.ID)
				}
			}
		}
	}
	for p, ids := range nets {
		m.nets = append(m.nets, netEntry{p, ids})
	}
	slices.SortFunc(m.nets, func(a, b netEntry) int { return b.prefix.Bits() - a.prefix.Bits() })
	for _, t := range Types {
		if present[t] {
			m.types = append(m.types, t)
		}
	}
	return m
}

// Len is the number of indicators.
func (m *Matcher) Len() int { return len(m.inds) }

// Match returns the indicators the event matches: those with a
// conjunction whose every comparison matches one of the event's fields.
func (m *Matcher) Match(e *event.Event) []Hit {
	if len(m.inds) == 0 || len(e.Fields) == 0 {
		return nil
	}
	// The comparisons the event satisfies, with where.
	var found map[Comparison]Hit
	add := func(c Comparison, field, value string) {
		if found == nil {
			found = map[Comparison]Hit{}
		}
		if _, ok := found[c]; !ok {
			found[c] = Hit{Field: field, Value: value}
		}
	}
	for _, t := range m.types {
		for _, f := range Fields[t] {
			v := e.Fields[f]
			if v == "" {
				continue
			}
			switch t {
			case CIDR:
				a, err := netip.ParseAddr(v)
				if err != nil {
					continue
				}
				a = a.Unmap()
				for _, n := range m.nets {
					if n.prefix.Contains(a) {
						add(Comparison{CIDR, n.prefix.String()}, f, v)
					}
				}
			default:
				if n, err := Normalize(t, v); err == nil {
					if _, ok := m.exact[Comparison{t, n}]; ok {
						add(Comparison{t, n}, f, v)
					}
				}
			}
		}
	}
	if h := e.Fields[sysmonHashes]; h != "" {
		for part := range strings.SplitSeq(h, ",") {
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				continue
			}
			t := map[string]Type{"MD5": MD5, "SHA1": SHA1, "SHA256": SHA256, "SHA512": SHA512}[strings.ToUpper(strings.TrimSpace(k))]
			if t == "" {
				continue
			}
			c := Comparison{t, strings.ToLower(strings.TrimSpace(v))}
			if _, ok := m.exact[c]; ok {
				add(c, sysmonHashes, v)
			}
		}
	}
	if len(found) == 0 {
		return nil
	}
	// The indicators touched, checked against their whole pattern.
	var cand []int64
	for c := range found {
		for _, id := range m.exact[c] {
			cand = append(cand, id)
		}
		if c.Type == CIDR {
			for _, n := range m.nets {
				if n.prefix.String() == c.Value {
					cand = append(cand, n.ids...)
				}
			}
		}
	}
	slices.Sort(cand)
	cand = slices.Compact(cand)
	var hits []Hit
	for _, id := range cand {
		ind := m.inds[id]
		for _, conj := range ind.Pattern {
			ok := len(conj) > 0
			for _, c := range conj {
				if _, in := found[c]; !in {
					ok = false
					break
				}
			}
			if ok {
				h := found[conj[0]]
				h.IndicatorID = id
				hits = append(hits, h)
				break
			}
		}
	}
	return hits
}

// Indicator returns an indexed indicator.
func (m *Matcher) Indicator(id int64) *Indicator { return m.inds[id] }

// SweepQuery is a LogsQL filter that selects every event that may match
// one of the indicators (a superset: events are then checked with Match):
// in(…) lists per field for exact values, ipv4_range/ipv6_range per
// network, a case-insensitive regular expression over Sysmon's Hashes.
// It is "" when there is nothing to look for.
func (m *Matcher) SweepQuery() string { return m.SweepQueryFor(nil) }

// SweepQueryFor is SweepQuery leaving out the fields present reports
// absent from the stored events (nil: none): an IOC sweep's lists are long,
// and each field repeats them.
func (m *Matcher) SweepQueryFor(present func(field string) bool) string {
	has := func(f string) bool { return present == nil || present(f) }
	byType := map[Type][]string{}
	for c := range m.exact {
		byType[c.Type] = append(byType[c.Type], c.Value)
	}
	var terms []string
	for _, t := range m.types {
		vals := byType[t]
		slices.Sort(vals)
		if t == CIDR {
			for _, n := range m.nets {
				fn := "ipv4_range"
				if n.prefix.Addr().Is6() {
					fn = "ipv6_range"
				}
				for _, f := range Fields[CIDR] {
					if !has(f) {
						continue
					}
					terms = append(terms, f+":"+fn+"("+strconv.Quote(n.prefix.String())+")")
				}
			}
			continue
		}
		if len(vals) == 0 {
			continue
		}
		quoted := make([]string, len(vals))
		for i, v := range vals {
			quoted[i] = strconv.Quote(v)
		}
		list := strings.Join(quoted, ",")
		for _, f := range Fields[t] {
			if has(f) {
				terms = append(terms, f+":in("+list+")")
			}
		}
		switch t {
		case MD5, SHA1, SHA256, SHA512:
			if has(sysmonHashes) {
				terms = append(terms, sysmonHashes+`:~"(?i)(`+strings.Join(vals, "|")+`)"`)
			}
		case Domain:
			// Hosts and DNS logs may write names in any case.
			for _, f := range Fields[t] {
				if has(f) {
					terms = append(terms, f+":in("+upperList(vals)+")")
				}
			}
		}
	}
	return strings.Join(terms, " OR ")
}

func upperList(vals []string) string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strconv.Quote(strings.ToUpper(v))
	}
	return strings.Join(out, ",")
}
