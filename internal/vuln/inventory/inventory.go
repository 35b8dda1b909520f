package inventory

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Package is one installed piece of software.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Ecosystem is the OSV ecosystem the version compares in, with the
	// release where OSV keys advisories by release ("Debian:12",
	// "Ubuntu:22.04:LTS", "Alpine:v3.20", "Rocky Linux:9", "AlmaLinux:9",
	// "Red Hat", "npm", "PyPI", "Maven", "Go", …), or "" when unknown (a
	// Windows program, a component without package URL).
	Ecosystem string `json:"ecosystem,omitempty"`
	PURL      string `json:"purl,omitempty"`
	// CPE is the CPE 2.3 name the file gives the package (a CycloneDX
	// component's cpe, an SPDX package's cpe23Type external reference), as
	// written. Packages without an ecosystem are matched by it against
	// NVD's configurations.
	CPE  string `json:"cpe,omitempty"`
	Arch string `json:"arch,omitempty"`
	// SourceName and SourceVersion name the source package of a distribution
	// binary package (dpkg ${source:Package}, rpm %{SOURCERPM}), which
	// distribution advisories name. Empty when the file does not say.
	SourceName    string `json:"source_name,omitempty"`
	SourceVersion string `json:"source_version,omitempty"`
	// Vendor is the publisher of a Windows program (Publisher). Only the
	// windows-csv format sets it, so a package with a Vendor and no
	// Ecosystem is a Windows program: the matcher names it by CPE from its
	// name and publisher, and takes its asset to run Windows.
	Vendor string `json:"vendor,omitempty"`
	// Location is the file a language package was found in (Trivy, Grype,
	// and CycloneDX files made by them or by Syft).
	Location string `json:"location,omitempty"`
}

// Inventory is the software found in one imported file.
type Inventory struct {
	// Format is the file's format, one of Formats.
	Format string `json:"format"`
	// Tool is the generator tool and its version, when the file says.
	Tool string `json:"tool,omitempty"`
	// Distro and Release name the operating system ("debian", "12.5"),
	// from the file or else from Options. Distro is normalised to one of
	// debian, ubuntu, alpine, rhel, rocky, almalinux, wolfi, chainguard, or
	// else the file's own lower-cased name; Release is as given.
	Distro  string `json:"distro,omitempty"`
	Release string `json:"release,omitempty"`
	// Created is when the file says it was made; zero when it does not
	// say, or says it in a form that cannot be read.
	Created time.Time `json:"created,omitzero"`
	// Packages is sorted by Ecosystem, Name, Version, Arch (then the other
	// fields), with exact duplicates removed.
	Packages []Package `json:"packages"`
}

// The formats Parse reads.
const (
	FormatCycloneDXJSON = "cyclonedx-json"
	FormatCycloneDXXML  = "cyclonedx-xml"
	FormatSPDXJSON      = "spdx-json"
	FormatSPDXTV        = "spdx-tv"
	FormatDPKG          = "dpkg"
	FormatRPM           = "rpm"
	FormatWindowsCSV    = "windows-csv"
	FormatTrivyJSON     = "trivy-json"
	FormatGrypeJSON     = "grype-json"
)

// Formats lists the formats Parse reads.
var Formats = []string{
	FormatCycloneDXJSON, FormatCycloneDXXML, FormatSPDXJSON, FormatSPDXTV,
	FormatDPKG, FormatRPM, FormatWindowsCSV, FormatTrivyJSON, FormatGrypeJSON,
}

// Limits. Parse refuses larger files and files with more distinct packages,
// with an error wrapping ErrTooLarge.
const (
	MaxBytes    = 64 << 20
	MaxPackages = 200000
)

// The limits in force; tests lower them.
var (
	maxBytes    int64 = MaxBytes
	maxPackages       = MaxPackages
)

// Errors. Every error Parse returns wraps one of these.
var (
	// ErrMalformed: the file is not valid in the format it was parsed as.
	ErrMalformed = errors.New("malformed inventory file")
	// ErrTooLarge: the file is bigger than MaxBytes or lists more than
	// MaxPackages packages.
	ErrTooLarge = errors.New("inventory file too large")
	// ErrUnknownFormat: the format is not one of Formats.
	ErrUnknownFormat = errors.New("unknown inventory format")
	// ErrOptions: a dpkg or rpm list was parsed without the distribution and
	// release in Options, or with ones it cannot use.
	ErrOptions = errors.New("missing or unsupported inventory options")
)

// ParseError is the error Parse returns for a file it refuses. Kind is
// ErrMalformed or ErrTooLarge; errors.Is sees through to it.
type ParseError struct {
	Format string // one of Formats
	// Where locates the fault: "line 3", "line 2, column 14",
	// "Results[0].Packages[4]", or "" for the file as a whole.
	Where string
	Msg   string
	Kind  error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("inventory: ")
	b.WriteString(e.Format)
	if e.Kind == ErrMalformed {
		b.WriteString(": malformed")
	}
	if e.Where != "" {
		b.WriteString(": ")
		b.WriteString(e.Where)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns Kind.
func (e *ParseError) Unwrap() error { return e.Kind }

func malformed(format, where, msg string, args ...any) error {
	if len(args) > 0 {
		msg = fmt.Sprintf(msg, args...)
	}
	return &ParseError{Format: format, Where: where, Msg: msg, Kind: ErrMalformed}
}

func tooLarge(format, msg string, args ...any) error {
	return &ParseError{Format: format, Msg: fmt.Sprintf(msg, args...), Kind: ErrTooLarge}
}

// Options supplies what a file does not say. Distro and Release are required
// for dpkg and rpm lists: {"debian", "12"}, {"ubuntu", "22.04"},
// {"rhel", "9"}, {"rocky", "9"}, {"almalinux", "9"}. For other formats they
// are a fallback used when the file names no operating system (e.g.
// {"alpine", "3.20"} for an SBOM whose apk packages carry no distro).
type Options struct {
	Distro, Release string
}

// Parse reads one file of the given format. On any error it returns the zero
// Inventory: nothing is imported partially.
func Parse(format string, r io.Reader, o Options) (inv Inventory, err error) {
	parse, ok := parsers[format]
	if !ok {
		return Inventory{}, fmt.Errorf("inventory: %q (want one of %s): %w", format, strings.Join(Formats, ", "), ErrUnknownFormat)
	}
	if r == nil {
		return Inventory{}, malformed(format, "", "no input")
	}
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return Inventory{}, fmt.Errorf("inventory: %s: read: %w", format, err)
	}
	if int64(len(data)) > maxBytes {
		return Inventory{}, tooLarge(format, "file is larger than %d bytes", maxBytes)
	}
	data, err = decodeText(format, data)
	if err != nil {
		return Inventory{}, err
	}
	defer func() {
		// The third-party decoders are fuzzed through this package, but a
		// panic on hostile input must still not take the caller down.
		if p := recover(); p != nil {
			inv, err = Inventory{}, malformed(format, "", "parser failure: %v", p)
		}
	}()
	b := &builder{format: format, seen: map[Package]struct{}{}}
	b.inv.Format = format
	if err := parse(b, data, o); err != nil {
		return Inventory{}, err
	}
	return b.finish(o)
}

var parsers = map[string]func(*builder, []byte, Options) error{
	FormatCycloneDXJSON: parseCycloneDXJSON,
	FormatCycloneDXXML:  parseCycloneDXXML,
	FormatSPDXJSON:      parseSPDXJSON,
	FormatSPDXTV:        parseSPDXTV,
	FormatDPKG:          parseDPKG,
	FormatRPM:           parseRPM,
	FormatWindowsCSV:    parseWindowsCSV,
	FormatTrivyJSON:     parseTrivy,
	FormatGrypeJSON:     parseGrype,
}

// decodeText strips a UTF-8 byte-order mark and converts UTF-16 with a
// byte-order mark (as Windows PowerShell writes) to UTF-8.
func decodeText(format string, data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		le := data[0] == 0xFF
		data = data[2:]
		if len(data)%2 != 0 {
			return nil, malformed(format, "", "UTF-16 text has an odd number of bytes")
		}
		u := make([]uint16, len(data)/2)
		for i := range u {
			if le {
				u[i] = uint16(data[2*i]) | uint16(data[2*i+1])<<8
			} else {
				u[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
			}
		}
		out := make([]byte, 0, len(u)+len(u)/2)
		for _, r := range utf16.Decode(u) {
			out = utf8.AppendRune(out, r)
		}
		if int64(len(out)) > maxBytes {
			return nil, tooLarge(format, "file is larger than %d bytes", maxBytes)
		}
		return out, nil
	}
	return data, nil
}

// builder collects what a parser finds.
type builder struct {
	format string
	inv    Inventory
	seen   map[Package]struct{}
	pkgs   []Package
	// purlDistro and purlRelease are the first operating system named by a
	// package URL's distro qualifier, used when the file names none.
	purlDistro, purlRelease string
}

// add records p. where locates it in the file for the error, if any.
func (b *builder) add(where string, p Package) error {
	p = clean(p)
	if p.Name == "" {
		return malformed(b.format, where, "package has no name")
	}
	if _, dup := b.seen[p]; dup {
		return nil
	}
	if len(b.seen) >= maxPackages {
		return tooLarge(b.format, "more than %d packages", maxPackages)
	}
	b.seen[p] = struct{}{}
	b.pkgs = append(b.pkgs, p)
	return nil
}

// setDistro records the operating system the file names, the first one wins.
func (b *builder) setDistro(name, release string) {
	name = canonDistro(name)
	if b.inv.Distro == "" && name != "" {
		b.inv.Distro, b.inv.Release = name, strings.TrimSpace(release)
	}
}

// notePURLDistro remembers the distribution a package URL names.
func (b *builder) notePURLDistro(distro, release string) {
	if b.purlDistro == "" && distro != "" && release != "" {
		b.purlDistro, b.purlRelease = distro, release
	}
}

func (b *builder) finish(o Options) (Inventory, error) {
	inv := b.inv
	if inv.Distro == "" {
		inv.Distro, inv.Release = b.purlDistro, b.purlRelease
	}
	if o.Distro != "" && (inv.Distro == "" || inv.Distro == canonDistro(o.Distro) && inv.Release == "") {
		inv.Distro, inv.Release = canonDistro(o.Distro), strings.TrimSpace(o.Release)
	}
	// Packages whose ecosystem is a bare distribution family ("Debian")
	// because their own record named no release take the file's release.
	base, full := ecosystemFor(inv.Distro, ""), ecosystemFor(inv.Distro, inv.Release)
	pkgs := b.pkgs[:0:0]
	for _, p := range b.pkgs {
		if base != "" && p.Ecosystem == base {
			p.Ecosystem = full
		}
		p.Version = normaliseVersion(p.Ecosystem, p.Version)
		pkgs = append(pkgs, p)
	}
	slices.SortFunc(pkgs, comparePackages)
	inv.Packages = slices.Compact(pkgs)
	if inv.Packages == nil {
		inv.Packages = []Package{}
	}
	return inv, nil
}

func comparePackages(a, b Package) int {
	return cmp.Or(
		cmp.Compare(a.Ecosystem, b.Ecosystem),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.Version, b.Version),
		cmp.Compare(a.Arch, b.Arch),
		cmp.Compare(a.Location, b.Location),
		cmp.Compare(a.PURL, b.PURL),
		cmp.Compare(a.CPE, b.CPE),
		cmp.Compare(a.SourceName, b.SourceName),
		cmp.Compare(a.SourceVersion, b.SourceVersion),
		cmp.Compare(a.Vendor, b.Vendor),
	)
}

// clean trims every field and replaces invalid UTF-8.
func clean(p Package) Package {
	for _, s := range []*string{&p.Name, &p.Version, &p.Ecosystem, &p.PURL, &p.CPE, &p.Arch, &p.SourceName, &p.SourceVersion, &p.Vendor, &p.Location} {
		*s = strings.TrimSpace(strings.ToValidUTF8(*s, "\uFFFD"))
	}
	return p
}

// parseTime reads a timestamp as SBOMs and scanners write it; zero when it
// cannot.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05.999999999 -0700 MST"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// jsonError turns an encoding/json error into a ParseError that says where.
func jsonError(format string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return malformed(format, lineCol(data, syn.Offset), "%s", syn.Error())
	case errors.As(err, &typ):
		where := typ.Field
		if where == "" {
			where = "top level"
		}
		where = "at " + where + " (" + lineCol(data, typ.Offset) + ")"
		return malformed(format, where, "want %s, got JSON %s", typeName(typ), typ.Value)
	}
	return malformed(format, "", "%s", err.Error())
}

func typeName(e *json.UnmarshalTypeError) string {
	if e.Type == nil {
		return "another type"
	}
	switch e.Type.Kind().String() {
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	return "a " + e.Type.Kind().String()
}

// lineCol says where byte offset off of data is, 1-based.
func lineCol(data []byte, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// checkJSONObject reports a syntax error in data, or that it is not a JSON
// object, with where it is.
func checkJSONObject(format string, data []byte) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field == "" {
			return malformed(format, "", "want a JSON object at the top level, got JSON %s", typ.Value)
		}
		return jsonError(format, data, err)
	}
	if obj == nil {
		return malformed(format, "", "want a JSON object at the top level, got null")
	}
	return nil
}
