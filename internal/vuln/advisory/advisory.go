package advisory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Limits on untrusted input.
const (
	// MaxDocument is the largest JSON document (OSV record, KEV catalogue,
	// NVD page, CSAF document) the parsers read, in bytes.
	MaxDocument = 32 << 20
	// MaxZipEntries is the most entries ReadOSVZip accepts in one archive.
	MaxZipEntries = 2_000_000
	// MaxZipEntry is the largest uncompressed zip entry ReadOSVZip reads.
	MaxZipEntry = 8 << 20
	// MaxModifiedCSV is the largest modified_id.csv ParseOSVModified reads,
	// in bytes, and MaxModifiedLine its longest line.
	MaxModifiedCSV  = 256 << 20
	MaxModifiedLine = 4 << 10
)

// maxModifiedCSV is the limit in force; tests lower it.
var maxModifiedCSV int64 = MaxModifiedCSV

// Sources, the values of Advisory.Source.
const (
	SourceOSV  = "osv"
	SourceNVD  = "nvd"
	SourceCSAF = "csaf"
	SourceKEV  = "kev"
)

// Severity types, the values of Severity.Type the parsers produce. Other
// OSV types are kept as given.
const (
	SeverityCVSSv2 = "CVSS_V2"
	SeverityCVSSv3 = "CVSS_V3" // CVSS 3.0 and 3.1
	SeverityCVSSv4 = "CVSS_V4"
	SeverityUbuntu = "Ubuntu"
	// SeverityDatabase is a rating given by the publishing database itself
	// without a CVSS vector (OSV database_specific.severity, as GitHub
	// advisories carry).
	SeverityDatabase = "DATABASE"
)

// Advisory is one vulnerability record, whatever the format it came from.
type Advisory struct {
	ID      string   // OSV id, CVE id (NVD, and CSAF per vulnerability)
	Source  string   // SourceOSV, SourceNVD, SourceCSAF
	Aliases []string // other ids of the same vulnerability (CVE-…, GHSA-…, CSAF tracking id), sorted, deduplicated, never ID itself
	// Related lists ids of different but connected records: OSV related
	// and upstream (a DSA's upstream CVEs). Sorted, deduplicated.
	Related  []string
	Summary  string
	Details  string
	Severity []Severity
	CWEs     []string // "CWE-79", sorted, deduplicated
	// Published, Modified and Withdrawn are UTC; zero when not given.
	// Withdrawn is set for withdrawn OSV records and for CVEs NVD has
	// rejected (then it is the CVE's last modification time).
	Published  time.Time
	Modified   time.Time
	Withdrawn  time.Time
	Affected   []Affected
	References []string   // URLs, in document order, deduplicated
	CPEs       []CPEMatch // NVD configurations flattened; CSAF affected products known only by CPE
}

// Severity is one severity statement about an advisory or a package.
type Severity struct {
	Type   string  // SeverityCVSSv3, SeverityCVSSv4, SeverityCVSSv2, SeverityUbuntu, SeverityDatabase, or an OSV type as given
	Vector string  // CVSS vector string, "" for ratings without one
	Score  float64 // base score when the source states it (NVD, CSAF); 0 when only a vector is given (OSV): no score is computed from vectors
	Rating string  // "NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL" when known (GitHub's "MODERATE" becomes "MEDIUM"; Ubuntu's priorities are upper-cased as given)
	Source string  // who scored it, when stated (NVD metric source: "nvd@nist.gov")
}

// Affected is one package an advisory affects.
type Affected struct {
	// Ecosystem is the OSV ecosystem, as given by OSV ("Debian:12",
	// "npm"); for CSAF it is derived from the purl type and namespace
	// ("Debian", "npm", "Red Hat") and empty when there is no mapping.
	Ecosystem string
	Name      string // package name in the ecosystem's notation ("@scope/pkg", "group:artifact")
	PURL      string // package URL without version; CSAF keeps the qualifiers (arch, distro)
	// Ranges are the affected version ranges. CSAF: one ECOSYSTEM range
	// introduced "0", fixed v when the package's fixed products give
	// exactly one version v (see ParseCSAF).
	Ranges   []Range
	Versions []string   // affected versions listed one by one
	Severity []Severity // OSV per-package severity
	// CSAF only: the product ids this entry was built from; the platform
	// a relationship installs the package on (the platform product's CPE,
	// else its name), so that "expat on Example Linux 8" and "expat on
	// Example Linux 9" stay apart; and the versions of the fixed
	// (first_fixed, fixed) products, in document order.
	ProductIDs []string
	Platform   string
	Fixed      []string
}

// Range is a range of affected versions, in the shape of OSV's ranges.
//
// Range and Event have the shape of version.Range and version.Event
// (internal/vuln/version), field for field, so that one converts to the
// other (version.Range(r)); they are not aliases only to keep this
// package free of the version package's dependencies. They can become
// aliases at no cost to callers.
type Range struct {
	Type   string  `json:"type"`           // "ECOSYSTEM", "SEMVER" or "GIT"
	Repo   string  `json:"repo,omitempty"` // GIT ranges: the repository
	Events []Event `json:"events"`
}

// Event is one event of a Range; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// CPEMatch is one cpeMatch of an NVD configuration, not yet matched
// against anything. Config and Node locate it in the CVE's configurations
// so that AND configurations (an application running on a platform) can
// be evaluated: a configuration whose ConfigOperator is "AND" needs all
// its nodes to match; a node whose NodeOperator is "AND" needs all its
// matches; Negate inverts a node.
type CPEMatch struct {
	Criteria              string // CPE 2.3 match string
	MatchCriteriaID       string
	Vulnerable            bool // false for platform context in AND configurations
	VersionStartIncluding string
	VersionStartExcluding string
	VersionEndIncluding   string
	VersionEndExcluding   string
	Config                int
	Node                  int
	ConfigOperator        string
	NodeOperator          string
	Negate                bool
}

// KEV is one entry of CISA's Known Exploited Vulnerabilities catalogue.
type KEV struct {
	CVE            string
	Vendor         string // vendorProject
	Product        string
	Name           string // vulnerabilityName
	Description    string // shortDescription
	RequiredAction string
	Added          time.Time // dateAdded, UTC midnight
	Due            time.Time // dueDate, UTC midnight; zero when absent
	Ransomware     bool      // knownRansomwareCampaignUse == "Known"
	Notes          string
	CWEs           []string
}

// Modified is one line of an OSV modified_id.csv.
type Modified struct {
	ID string
	// Ecosystem is set when the line names the record as
	// "<ecosystem>/<id>", as the bucket's top-level modified_id.csv does.
	Ecosystem string
	Modified  time.Time
}

// The error kinds. Every error the parsers return for bad input wraps one
// of them; test with errors.Is.
var (
	ErrMalformed = errors.New("malformed")
	ErrTooLarge  = errors.New("too large")
)

// Error describes a refused document: what it is, where the fault is and
// why. It wraps its Kind (ErrMalformed or ErrTooLarge) and its cause, if
// any (a *json.SyntaxError, a *json.UnmarshalTypeError, zip.ErrFormat…).
type Error struct {
	Kind   error  // ErrMalformed or ErrTooLarge
	Format string // "osv", "osv zip", "osv modified_id.csv", "kev", "nvd", "csaf", "epss"
	Entry  string // zip entry name, when the document came from a zip
	Doc    string // record id when known ("GHSA-…", "CVE-…", CSAF tracking id)
	// Path locates the fault: a JSON path ("$.affected[0].ranges[1]"; for
	// JSON type errors the field path without indices,
	// "$.affected.ranges.type"), or "line 12" in a CSV file.
	Path string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("advisory: ")
	b.WriteString(e.Kind.Error())
	b.WriteString(" ")
	b.WriteString(e.Format)
	if e.Entry != "" {
		fmt.Fprintf(&b, " zip entry %q", e.Entry)
	}
	if e.Doc != "" {
		fmt.Fprintf(&b, " %q", e.Doc)
	}
	if e.Path != "" {
		b.WriteString(" at ")
		b.WriteString(e.Path)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// fault builds errors for one document.
type fault struct {
	format string
	doc    string
}

func (f fault) at(path, format string, args ...any) *Error {
	return &Error{Kind: ErrMalformed, Format: f.format, Doc: f.doc, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// readDocument reads all of r, refusing more than MaxDocument bytes.
func readDocument(format string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocument+1))
	if err != nil {
		return nil, err // an I/O error, not a verdict on the document
	}
	if len(data) > MaxDocument {
		return nil, &Error{Kind: ErrTooLarge, Format: format, Msg: fmt.Sprintf("larger than %d bytes", MaxDocument)}
	}
	return data, nil
}

// decodeJSON unmarshals data into v, turning JSON errors into *Error.
// docID, if not nil, is called after a type error to name the document
// (encoding/json keeps decoding past type errors, so ids are usually set).
func decodeJSON(format string, data []byte, v any, docID func() string) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // tolerate a UTF-8 byte order mark
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	e := &Error{Kind: ErrMalformed, Format: format, Err: err}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		e.Msg = fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if docID != nil {
			e.Doc = docID()
		}
		e.Path = "$"
		if typ.Field != "" {
			e.Path += "." + typ.Field
		}
		e.Msg = fmt.Sprintf("JSON %s where %s expected", typ.Value, jsonKind(typ.Type))
		e.Err = nil
	default:
		e.Msg = "invalid JSON"
	}
	return e
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}

// jsonObject is a JSON object (or null) kept raw: database_specific and
// ecosystem_specific, whose content belongs to their databases.
type jsonObject json.RawMessage

func (o *jsonObject) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '{' && string(b) != "null" {
		return &json.UnmarshalTypeError{Value: valueKind(b), Type: reflect.TypeFor[map[string]any]()}
	}
	*o = append((*o)[:0], b...)
	return nil
}

// valueKind names the JSON kind of a raw value, as encoding/json does.
func valueKind(b []byte) string {
	if len(b) == 0 {
		return "value"
	}
	switch b[0] {
	case '"':
		return "string"
	case '[':
		return "array"
	case '{':
		return "object"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// Timestamp shapes. time.Parse alone is laxer (it takes one-digit hours).
var (
	rfc3339RE  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$`)
	localTSRE  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?$`)
	dateOnlyRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	errTime    = errors.New("not a timestamp")
)

// plausible refuses times before 1900: the zero time stands for "not
// given", and no advisory is older.
func plausible(t time.Time, err error) (time.Time, error) {
	if err != nil {
		return time.Time{}, err
	}
	t = t.UTC()
	if t.Year() < 1900 {
		return time.Time{}, errTime
	}
	return t, nil
}

// parseRFC3339 parses an RFC 3339 timestamp, with or without fractional
// seconds, and returns it in UTC.
func parseRFC3339(s string) (time.Time, error) {
	if !rfc3339RE.MatchString(s) {
		return time.Time{}, errTime
	}
	return plausible(time.Parse(time.RFC3339, s))
}

// timeField parses the optional timestamp at path with parse; "" gives
// the zero time.
func timeField(f fault, path, s string, parse func(string) (time.Time, error)) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := parse(s)
	if err != nil {
		return time.Time{}, f.at(path, "bad timestamp %q", s)
	}
	return t, nil
}

var cveRE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// validCVE reports whether s is a CVE id: CVE-YYYY-NNNN with four or more
// digits in the sequence number.
func validCVE(s string) bool { return cveRE.MatchString(s) }

// sortedSet returns the non-empty strings of ss except skip, sorted and
// deduplicated; nil when none remain.
func sortedSet(ss []string, skip string) []string {
	var out []string
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s != "" && s != skip {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// appendUnique appends the non-empty s to list unless it is there already.
func appendUnique(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// normRating upper-cases a severity rating and maps GitHub's MODERATE to
// MEDIUM.
func normRating(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "MODERATE" {
		return "MEDIUM"
	}
	return s
}
