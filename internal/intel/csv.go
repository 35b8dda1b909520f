package intel

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// csvMaxSize bounds a CSV file or list.
const csvMaxSize = 64 << 20

// ParseCSV reads indicators from a CSV file or a plain list.
//
// The delimiter is ',', ';' or a tab, whichever the first line (not
// blank, not a # comment) has most of, outside quotes. When that line
// names a value column it is a header (names are case-insensitive, spaces
// and '_' equal '-'):
//
//	value, indicator, ioc, observable   the value (required)
//	type, indicator_type, ioc_type      its type: Khiên's (ip, cidr, domain, url, md5, sha1, sha256,
//	                                    sha512, file_name, email) or an alias (ipv4, ipv6, ip-dst,
//	                                    hostname, fqdn, sha-256, filename, email-addr, hash, …);
//	                                    empty or absent: guessed by DetectType
//	tlp                                 clear (white), green, amber, amber+strict, red, with or without "tlp:"
//	confidence                          0–100, or low (15), medium (50), high (85)
//	valid_until, expires                RFC 3339, or a date YYYY-MM-DD (valid through that day, UTC)
//	description, comment
//	labels, tags                        separated by ';' or '|'
//
// Other columns are ignored; under a one-column header the whole line is
// the value (URLs keep their commas). A value declared ip that is a
// network is a cidr. Without a header the input is a plain list: the first word of
// each line is the value, typed by DetectType (lines starting with #, ;
// or // are comments; "0.0.0.0 name" and "127.0.0.1 name" hosts-file
// lines give the name; "value<delimiter>more" gives the value when the
// whole word is not one). Defanged values (hxxp://, [.], [@], …) are
// accepted in both forms. Records are one line each: quoted fields do not
// span lines.
//
// A line that gives no valid indicator is Skipped (Ref "line N", Reason
// why); the same type and value again is merged into the first. Only
// unreadable input fails: more than 64 MiB, or not UTF-8. Indicators have
// no ExternalID (storage merges them by type and value), Source o.Source
// (empty: "CSV"), and the TLP and confidence of the line or o's defaults.
func ParseCSV(r io.Reader, o ImportOptions) (Batch, error) {
	data, err := io.ReadAll(io.LimitReader(r, csvMaxSize+1))
	if err != nil {
		return Batch{}, fmt.Errorf("read csv: %w", err)
	}
	if len(data) > csvMaxSize {
		return Batch{}, fmt.Errorf("read csv: larger than %d MiB", csvMaxSize>>20)
	}
	if !utf8.Valid(data) {
		return Batch{}, errors.New("read csv: not UTF-8")
	}
	lines := strings.Split(strings.TrimPrefix(string(data), "\uFEFF"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	c := csvParser{o: o, now: o.now(), seen: map[Comparison]bool{}}
	first := slices.IndexFunc(lines, func(l string) bool {
		l = strings.TrimSpace(l)
		return l != "" && !strings.HasPrefix(l, "#")
	})
	if first < 0 {
		return Batch{}, nil
	}
	c.delim = csvSniff(lines[first])
	if cols, n, ok := c.header(lines[first]); ok {
		c.cols, c.single = cols, n == 1
		for n := first + 1; n < len(lines); n++ {
			c.row(n+1, lines[n])
		}
	} else {
		for n := first; n < len(lines); n++ {
			c.plain(n+1, lines[n])
		}
	}
	return Batch{Indicators: c.inds, Skipped: c.skips.list()}, nil
}

// csvParser holds the state of one ParseCSV.
type csvParser struct {
	o     ImportOptions
	now   time.Time
	delim rune
	cols  map[string]int // column → index, for a file with a header
	// single: the header has one column, so a line is one value, commas
	// and all.
	single bool
	seen   map[Comparison]bool
	inds   []Indicator
	skips  skipTally
}

// csvSniff picks the delimiter of a line: the most frequent of ',', ';'
// and tab outside double quotes; ',' when none.
func csvSniff(line string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range line {
		switch r {
		case '"':
			quoted = !quoted
		case ',', ';', '\t':
			if !quoted {
				counts[r]++
			}
		}
	}
	best := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

// csvColumns maps header names (lower case, '-' for ' ' and '_') to
// columns.
var csvColumns = map[string]string{
	"value": "value", "indicator": "value", "ioc": "value", "observable": "value",
	"indicator-value": "value", "ioc-value": "value",
	"type": "type", "indicator-type": "type", "ioc-type": "type",
	"tlp": "tlp", "confidence": "confidence",
	"valid-until": "valid_until", "expires": "valid_until", "expiration": "valid_until",
	"description": "description", "comment": "description",
	"labels": "labels", "tags": "labels",
}

// csvTypes maps type names (lower case, '-' for ' ' and '_') to types;
// "hash" types a hash by its length.
var csvTypes = map[string]Type{
	"ip": IP, "ipv4": IP, "ipv6": IP, "ip-dst": IP, "ip-src": IP, "ip-address": IP, "ipv4-addr": IP, "ipv6-addr": IP,
	"cidr": CIDR, "network": CIDR, "subnet": CIDR, "netblock": CIDR, "ip-range": CIDR,
	"domain": Domain, "hostname": Domain, "fqdn": Domain, "domain-name": Domain, "host": Domain,
	"url": URL, "uri": URL,
	"ip-addr": IP, "md5-hash": MD5, "sha1-hash": SHA1, "sha256-hash": SHA256,
	"md5": MD5, "sha1": SHA1, "sha-1": SHA1, "sha256": SHA256, "sha-256": SHA256, "sha512": SHA512, "sha-512": SHA512,
	"hash": "hash", "file-hash": "hash", "filehash": "hash",
	"file-name": FileName, "filename": FileName,
	"email": Email, "email-addr": Email, "email-address": Email, "e-mail": Email, "email-src": Email, "email-dst": Email,
}

func csvKey(s string) string {
	s = strings.ToLower(strings.Trim(strings.TrimSpace(s), `"'`))
	return strings.NewReplacer(" ", "-", "_", "-").Replace(s)
}

// fields splits one line into fields.
func (c *csvParser) fields(line string) ([]string, error) {
	rd := csv.NewReader(strings.NewReader(line))
	rd.Comma = c.delim
	rd.LazyQuotes = true
	rd.FieldsPerRecord = -1
	rd.TrimLeadingSpace = true
	rec, err := rd.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	return rec, err
}

// header reads line as a header of n columns: ok when it names a value
// column.
func (c *csvParser) header(line string) (cols map[string]int, n int, ok bool) {
	rec, err := c.fields(line)
	if err != nil {
		return nil, 0, false
	}
	cols = map[string]int{}
	for i, name := range rec {
		if col, ok := csvColumns[csvKey(name)]; ok {
			if _, dup := cols[col]; !dup {
				cols[col] = i
			}
		}
	}
	_, ok = cols["value"]
	return cols, len(rec), ok
}

func (c *csvParser) skip(n int, format string, args ...any) {
	c.skips.add("line "+strconv.Itoa(n), fmt.Sprintf(format, args...))
}

// row reads line n of a file with a header.
func (c *csvParser) row(n int, line string) {
	if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
		return
	}
	rec, err := c.fields(line)
	if c.single {
		rec, err = []string{strings.Trim(strings.TrimSpace(line), `"`)}, nil
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		c.skip(n, "malformed CSV: %v", err)
		return
	}
	get := func(col string) string {
		if i, ok := c.cols[col]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	if !slices.ContainsFunc(rec, func(f string) bool { return strings.TrimSpace(f) != "" }) {
		return // ",,," is a blank line
	}
	raw := get("value")
	if raw == "" {
		c.skip(n, "no value")
		return
	}
	var t Type
	var v string
	switch name := get("type"); {
	case name == "":
		t, v, err = DetectType(csvRefang(raw))
	default:
		var ok bool
		if t, ok = csvTypes[csvKey(name)]; !ok {
			c.skip(n, "unknown type %q", clipText(name, 40))
			return
		}
		t, v, err = csvValue(t, raw)
	}
	if err == nil {
		v, err = canonicalValue(t, v)
	}
	if err != nil {
		c.skip(n, "%v", err)
		return
	}
	ind := c.indicator(t, v)
	if s := get("tlp"); s != "" {
		l, ok := mispTLPTag("tlp:" + strings.TrimPrefix(strings.ReplaceAll(strings.ToLower(s), " ", "+"), "tlp:"))
		if !ok {
			c.skip(n, "unknown TLP %q", clipText(s, 40))
			return
		}
		ind.TLP = l
	}
	if s := get("confidence"); s != "" {
		conf, err := csvConfidence(s)
		if err != nil {
			c.skip(n, "%v", err)
			return
		}
		ind.Confidence = conf
	}
	if s := get("valid_until"); s != "" {
		until, err := csvTime(s)
		if err != nil {
			c.skip(n, "%v", err)
			return
		}
		ind.ValidUntil = until
	}
	ind.Description = get("description")
	for _, l := range strings.FieldsFunc(get("labels"), func(r rune) bool { return r == ';' || r == '|' }) {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(ind.Labels, l) {
			ind.Labels = append(ind.Labels, l)
		}
	}
	c.add(ind)
}

// plain reads line n of a plain list.
func (c *csvParser) plain(n int, line string) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "//") {
		return
	}
	words := strings.FieldsFunc(line, unicode.IsSpace)
	word := words[0]
	if (word == "0.0.0.0" || word == "127.0.0.1") && len(words) > 1 {
		word = words[1] // hosts file: "0.0.0.0 bad.example"
	}
	unquote := func(s string) string { return strings.Trim(s, `"'`) }
	t, v, err := DetectType(csvRefang(unquote(word)))
	if err != nil {
		if head, _, ok := strings.Cut(line, string(c.delim)); ok && strings.TrimSpace(head) != "" {
			if t2, v2, err2 := DetectType(csvRefang(unquote(strings.TrimSpace(head)))); err2 == nil {
				t, v, err = t2, v2, nil
			}
		}
	}
	if err == nil {
		v, err = canonicalValue(t, v)
	}
	if err != nil {
		c.skip(n, "%v", err)
		return
	}
	c.add(c.indicator(t, v))
}

func (c *csvParser) indicator(t Type, v string) Indicator {
	return Indicator{
		UnitID:     c.o.UnitID,
		Type:       t,
		Value:      v,
		Pattern:    [][]Comparison{{{t, v}}},
		Source:     cmp.Or(c.o.Source, "CSV"),
		TLP:        c.o.defaultTLP(),
		Confidence: c.o.DefaultConfidence,
		CreatedAt:  c.now,
		UpdatedAt:  c.now,
	}
}

// add keeps ind unless its type and value came before.
func (c *csvParser) add(ind Indicator) {
	k := Comparison{ind.Type, ind.Value}
	if c.seen[k] {
		return
	}
	c.seen[k] = true
	c.inds = append(c.inds, ind)
}

// csvValue normalises raw as a value of declared type t: "hash" is typed
// by length, an ip that is a network is a cidr.
func csvValue(t Type, raw string) (Type, string, error) {
	switch t {
	case "hash":
		h := strings.TrimSpace(raw)
		ht, ok := map[int]Type{32: MD5, 40: SHA1, 64: SHA256, 128: SHA512}[len(h)]
		if !ok {
			return "", "", fmt.Errorf("%q is not an MD5, SHA-1, SHA-256 or SHA-512 hash", clipText(h, 140))
		}
		t = ht
	case IP:
		if strings.Contains(raw, "/") {
			t = CIDR
		}
	}
	if t != FileName && !mispIsHash(t) {
		raw = csvRefang(raw)
	}
	v, err := Normalize(t, raw)
	return t, v, err
}

// csvRefang undoes the usual defanging of reports: hxxp(s)://, [.], (.),
// [dot], [:], [://], [@], [at].
func csvRefang(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "hxxp") {
		s = "http" + s[4:]
	}
	return strings.NewReplacer("[.]", ".", "(.)", ".", "[dot]", ".", "[://]", "://", "[:]", ":", "[@]", "@", "[at]", "@").Replace(s)
}

// csvConfidence reads 0–100 (optionally with '%'), or low, medium, high
// and none as the STIX 2.1 confidence scales map them.
func csvConfidence(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "none":
		return 0, nil
	case "low":
		return 15, nil
	case "medium", "med":
		return 50, nil
	case "high":
		return 85, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil || n < 0 || n > 100 {
		return 0, fmt.Errorf("confidence %q is not 0–100", clipText(s, 40))
	}
	return n, nil
}

// csvTime reads valid_until: RFC 3339, or a date meaning the end of
// that day (UTC).
func csvTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err == nil {
			t = t.AddDate(0, 0, 1)
		}
	}
	if err != nil || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("valid_until %q is not an RFC 3339 time or YYYY-MM-DD date", clipText(s, 40))
	}
	return t.UTC(), nil
}
