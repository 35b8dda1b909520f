package advisory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode"
)

// osvDoc is an OSV record as read. Fields Khiên does not use (credits,
// schema_version…) are not decoded, so their content cannot fail a record.
type osvDoc struct {
	ID               string         `json:"id"`
	Modified         string         `json:"modified"`
	Published        string         `json:"published"`
	Withdrawn        string         `json:"withdrawn"`
	Aliases          []string       `json:"aliases"`
	Related          []osvRelated   `json:"related"`
	Upstream         []string       `json:"upstream"`
	Summary          string         `json:"summary"`
	Details          string         `json:"details"`
	Severity         []osvSeverity  `json:"severity"`
	Affected         []osvAffected  `json:"affected"`
	References       []osvReference `json:"references"`
	DatabaseSpecific jsonObject     `json:"database_specific"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvAffected struct {
	Package           *osvPackage   `json:"package"`
	Severity          []osvSeverity `json:"severity"`
	Ranges            []osvRange    `json:"ranges"`
	Versions          []string      `json:"versions"`
	EcosystemSpecific jsonObject    `json:"ecosystem_specific"`
	DatabaseSpecific  jsonObject    `json:"database_specific"`
}

type osvPackage struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl"`
}

type osvRange struct {
	Type             string     `json:"type"`
	Repo             string     `json:"repo"`
	Events           []osvEvent `json:"events"`
	DatabaseSpecific jsonObject `json:"database_specific"`
}

// osvEvent keeps pointers to tell a missing key from an empty value.
type osvEvent struct {
	Introduced   *string `json:"introduced"`
	Fixed        *string `json:"fixed"`
	LastAffected *string `json:"last_affected"`
	Limit        *string `json:"limit"`
}

type osvReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// osvRelated is an entry of related: an id, or (in newer schema versions)
// an object carrying one.
type osvRelated string

func (r *osvRelated) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return &json.UnmarshalTypeError{Value: "object", Type: reflect.TypeFor[string](), Field: "id"}
		}
		*r = osvRelated(o.ID)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: valueKind(b), Type: reflect.TypeFor[string]()}
	}
	*r = osvRelated(s)
	return nil
}

// ParseOSV reads one OSV record (https://ossf.github.io/osv-schema/).
//
// It requires id and modified, RFC 3339 timestamps, a package ecosystem
// and name where a package is given, severity entries with type and score,
// and ranges of type ECOSYSTEM, SEMVER or GIT (GIT with a repo) whose
// events each set exactly one non-empty field and include an introduced
// event. Unknown fields are ignored; a known field of the wrong JSON type
// is an error. References without a URL are skipped.
func ParseOSV(r io.Reader) (Advisory, error) {
	data, err := readDocument("osv", r)
	if err != nil {
		return Advisory{}, err
	}
	return parseOSV(data)
}

func parseOSV(data []byte) (Advisory, error) {
	var d osvDoc
	if err := decodeJSON("osv", data, &d, func() string { return d.ID }); err != nil {
		return Advisory{}, err
	}
	f := fault{format: "osv", doc: d.ID}
	if d.ID == "" {
		return Advisory{}, f.at("$.id", "missing id")
	}
	if !validID(d.ID) {
		f.doc = ""
		return Advisory{}, f.at("$.id", "bad id %q", d.ID)
	}
	if d.Modified == "" {
		return Advisory{}, f.at("$.modified", "missing modified")
	}
	a := Advisory{
		ID:      d.ID,
		Source:  SourceOSV,
		Aliases: sortedSet(d.Aliases, d.ID),
		Summary: d.Summary,
		Details: d.Details,
	}
	var err error
	if a.Modified, err = timeField(f, "$.modified", d.Modified, parseRFC3339); err != nil {
		return Advisory{}, err
	}
	if a.Published, err = timeField(f, "$.published", d.Published, parseRFC3339); err != nil {
		return Advisory{}, err
	}
	if a.Withdrawn, err = timeField(f, "$.withdrawn", d.Withdrawn, parseRFC3339); err != nil {
		return Advisory{}, err
	}
	related := d.Upstream
	for _, r := range d.Related {
		related = append(related, string(r))
	}
	a.Related = sortedSet(related, d.ID)
	if a.Severity, err = osvSeverities(f, "$.severity", d.Severity); err != nil {
		return Advisory{}, err
	}
	dbSev, cwes := osvDatabaseSpecific(d.DatabaseSpecific)
	if dbSev != "" {
		a.Severity = append(a.Severity, Severity{Type: SeverityDatabase, Rating: dbSev})
	}
	a.CWEs = sortedSet(cwes, "")
	for i, in := range d.Affected {
		out, err := osvAffectedEntry(f, fmt.Sprintf("$.affected[%d]", i), in)
		if err != nil {
			return Advisory{}, err
		}
		a.Affected = append(a.Affected, out)
	}
	for _, ref := range d.References {
		a.References = appendUnique(a.References, strings.TrimSpace(ref.URL))
	}
	return a, nil
}

// validID reports whether s can serve as a record id: at most 256
// characters, no spaces or control characters.
func validID(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

func osvSeverities(f fault, path string, in []osvSeverity) ([]Severity, error) {
	var out []Severity
	for i, s := range in {
		p := fmt.Sprintf("%s[%d]", path, i)
		if s.Type == "" {
			return nil, f.at(p+".type", "missing severity type")
		}
		if strings.TrimSpace(s.Score) == "" {
			return nil, f.at(p+".score", "missing severity score")
		}
		if s.Type == SeverityUbuntu {
			out = append(out, Severity{Type: s.Type, Rating: normRating(s.Score)})
			continue
		}
		out = append(out, Severity{Type: s.Type, Vector: strings.TrimSpace(s.Score)})
	}
	return out, nil
}

// osvDatabaseSpecific reads the severity rating and CWE ids GitHub puts in
// database_specific. Its content is the database's own: anything else, or
// another shape, is ignored rather than refused.
func osvDatabaseSpecific(raw jsonObject) (rating string, cwes []string) {
	if len(raw) == 0 {
		return "", nil
	}
	var ds struct {
		Severity json.RawMessage `json:"severity"`
		CWEIDs   json.RawMessage `json:"cwe_ids"`
	}
	if json.Unmarshal(raw, &ds) != nil {
		return "", nil
	}
	var s string
	if json.Unmarshal(ds.Severity, &s) == nil {
		rating = normRating(s)
	}
	if json.Unmarshal(ds.CWEIDs, &cwes) != nil {
		cwes = nil
	}
	return rating, cwes
}

func osvAffectedEntry(f fault, p string, in osvAffected) (Affected, error) {
	var out Affected
	if in.Package != nil {
		if in.Package.Ecosystem == "" {
			return out, f.at(p+".package.ecosystem", "missing ecosystem")
		}
		if in.Package.Name == "" {
			return out, f.at(p+".package.name", "missing name")
		}
		out.Ecosystem, out.Name, out.PURL = in.Package.Ecosystem, in.Package.Name, in.Package.PURL
	}
	var err error
	if out.Severity, err = osvSeverities(f, p+".severity", in.Severity); err != nil {
		return out, err
	}
	for j, rg := range in.Ranges {
		rp := fmt.Sprintf("%s.ranges[%d]", p, j)
		switch rg.Type {
		case "ECOSYSTEM", "SEMVER":
		case "GIT":
			if rg.Repo == "" {
				return out, f.at(rp+".repo", "GIT range without repo")
			}
		case "":
			return out, f.at(rp+".type", "missing range type")
		default:
			return out, f.at(rp+".type", "range type %q is not ECOSYSTEM, SEMVER or GIT", rg.Type)
		}
		if len(rg.Events) == 0 {
			return out, f.at(rp+".events", "range without events")
		}
		r := Range{Type: rg.Type, Repo: rg.Repo, Events: make([]Event, 0, len(rg.Events))}
		introduced := false
		for k, ev := range rg.Events {
			e, err := osvEventOf(f, fmt.Sprintf("%s.events[%d]", rp, k), ev)
			if err != nil {
				return out, err
			}
			introduced = introduced || e.Introduced != ""
			r.Events = append(r.Events, e)
		}
		if !introduced {
			return out, f.at(rp+".events", "range without an introduced event")
		}
		out.Ranges = append(out.Ranges, r)
	}
	for k, v := range in.Versions {
		if strings.TrimSpace(v) == "" {
			return out, f.at(fmt.Sprintf("%s.versions[%d]", p, k), "empty version")
		}
		out.Versions = append(out.Versions, v)
	}
	return out, nil
}

func osvEventOf(f fault, p string, ev osvEvent) (Event, error) {
	var e Event
	n := 0
	set := func(dst *string, v *string) {
		if v != nil {
			n++
			*dst = *v
		}
	}
	set(&e.Introduced, ev.Introduced)
	set(&e.Fixed, ev.Fixed)
	set(&e.LastAffected, ev.LastAffected)
	set(&e.Limit, ev.Limit)
	if n != 1 {
		return e, f.at(p, "event must have exactly one of introduced, fixed, last_affected, limit; has %d", n)
	}
	if strings.TrimSpace(e.Introduced+e.Fixed+e.LastAffected+e.Limit) == "" {
		return e, f.at(p, "empty event version")
	}
	return e, nil
}

// ParseOSVModified reads an OSV modified_id.csv: one "<modified>,<id>"
// line per record, the timestamp in RFC 3339, newest first as the OSV
// exporter writes it (order is not checked). The bucket's top-level file
// names records "<ecosystem>/<id>"; such lines fill Modified.Ecosystem.
// Blank lines are skipped; fields may be CSV-quoted. Any other line is an
// error naming its number, and nothing is returned.
func ParseOSVModified(r io.Reader) ([]Modified, error) {
	const format = "osv modified_id.csv"
	f := fault{format: format}
	lr := &io.LimitedReader{R: r, N: maxModifiedCSV + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 512), MaxModifiedLine)
	tooLarge := &Error{Kind: ErrTooLarge, Format: format, Msg: fmt.Sprintf("larger than %d bytes", maxModifiedCSV)}
	// fail reports a bad line, unless the line was cut by the size limit.
	fail := func(e *Error) ([]Modified, error) {
		if lr.N <= 0 {
			return nil, tooLarge
		}
		return nil, e
	}
	var out []Modified
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		path := fmt.Sprintf("line %d", line)
		fields := strings.Split(text, ",")
		if len(fields) != 2 {
			return fail(f.at(path, "want 2 comma-separated fields, have %d", len(fields)))
		}
		ts, id := unquoteCSV(fields[0]), unquoteCSV(fields[1])
		t, err := parseRFC3339(ts)
		if err != nil {
			return fail(f.at(path, "bad timestamp %q", ts))
		}
		m := Modified{ID: id, Modified: t}
		if eco, rest, ok := strings.Cut(id, "/"); ok {
			m.Ecosystem, m.ID = eco, rest
			if eco == "" || !validID(strings.ReplaceAll(eco, " ", "_")) {
				return fail(f.at(path, "bad ecosystem in %q", id))
			}
		}
		if !validID(m.ID) || strings.Contains(m.ID, "/") {
			return fail(f.at(path, "bad id %q", id))
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &Error{Kind: ErrTooLarge, Format: format, Path: fmt.Sprintf("line %d", line+1), Msg: fmt.Sprintf("line longer than %d bytes", MaxModifiedLine)}
		}
		return nil, err
	}
	if lr.N <= 0 {
		return nil, tooLarge
	}
	return out, nil
}

// unquoteCSV removes CSV quoting from a field, if it has any.
func unquoteCSV(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return s
}

// ChangedSince returns the entries of list modified strictly after since,
// in list order: the records an incremental import has to fetch.
func ChangedSince(list []Modified, since time.Time) []Modified {
	var out []Modified
	for _, m := range list {
		if m.Modified.After(since) {
			out = append(out, m)
		}
	}
	return out
}
