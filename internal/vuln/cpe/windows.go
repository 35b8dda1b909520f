package cpe

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
)

//go:embed windows.yaml
var windowsYAML []byte

// Program is a program as Windows lists it in the registry's Uninstall
// keys: DisplayName, Publisher, DisplayVersion.
type Program struct {
	Name      string
	Publisher string
	Version   string
}

// Dictionary maps Windows programs to NVD vendor:product pairs (see
// ParseDictionary for its format). It is immutable and safe for concurrent
// use.
type Dictionary struct {
	entries []dictEntry
}

type dictEntry struct {
	name, publisher *regexp.Regexp
	products        [][2]string // canonical vendor, product
	version, update string      // templates ("": the display version; NA)
	swEdition       string
}

// dictFile is the YAML form of a dictionary.
type dictFile struct {
	Format   int `yaml:"format"`
	Programs []struct {
		Name      string   `yaml:"name"`
		Publisher string   `yaml:"publisher"`
		CPE       []string `yaml:"cpe"`
		Version   string   `yaml:"version"`
		Update    string   `yaml:"update"`
		SWEdition string   `yaml:"sw_edition"`
		Note      string   `yaml:"note"`
	} `yaml:"programs"`
}

// ErrDictionary is wrapped by the errors of ParseDictionary.
var ErrDictionary = errors.New("invalid CPE dictionary")

// ParseDictionary reads a dictionary of Windows programs: YAML with
// "format: 1" and a list "programs" of entries, tried in order, the first
// that fits a program giving its names:
//
//	name:       regular expression (RE2, case-insensitive) on the display name; required
//	publisher:  regular expression on the publisher; optional
//	cpe:        list of NVD "vendor:product" pairs, quoted as in a formatted string ("notepad-plus-plus:notepad\+\+")
//	version:    template for the version from the name's groups ("$1"); default the display version
//	update:     template for the update attribute ("update$2"); default NA
//	sw_edition: software edition attribute ("continuous"); default Any
//	note:       free text: where the names come from, what is unsure
//
// Every problem is reported, joined.
func ParseDictionary(data []byte) (*Dictionary, error) {
	var f dictFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("cpe: %w: %w", ErrDictionary, err)
	}
	var problems []string
	if f.Format != 1 {
		problems = append(problems, fmt.Sprintf("format %d: want 1", f.Format))
	}
	d := &Dictionary{}
	for i, p := range f.Programs {
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("programs[%d] (%s): %s", i, p.Name, fmt.Sprintf(format, args...)))
		}
		e := dictEntry{version: p.Version, update: p.Update}
		var err error
		if p.Name == "" {
			bad("no name pattern")
		} else if e.name, err = regexp.Compile("(?i)" + p.Name); err != nil {
			bad("name: %v", err)
		}
		if p.Publisher != "" {
			if e.publisher, err = regexp.Compile("(?i)" + p.Publisher); err != nil {
				bad("publisher: %v", err)
			}
		}
		if len(p.CPE) == 0 {
			bad("no cpe")
		}
		for _, vp := range p.CPE {
			parts, err := splitFS(vp)
			if err != nil || len(parts) != 2 {
				bad("cpe %q: want vendor:product", vp)
				continue
			}
			var pair [2]string
			for k, part := range parts {
				v, err := canonical(part)
				if err != nil || v == Any || v == NA || wild(v) {
					bad("cpe %q: %q is not a plain value", vp, part)
				}
				pair[k] = v
			}
			e.products = append(e.products, pair)
		}
		for _, tmpl := range []string{p.Version, p.Update} {
			for _, m := range templateRefRE.FindAllStringSubmatch(tmpl, -1) {
				if g, err := strconv.Atoi(m[1]); e.name != nil && (err != nil || g > e.name.NumSubexp()) {
					bad("template %q refers to group %s; the name has %d", tmpl, m[1], e.name.NumSubexp())
				}
			}
		}
		if p.SWEdition != "" {
			if e.swEdition, err = canonical(p.SWEdition); err != nil {
				bad("sw_edition: %v", err)
			}
		}
		d.entries = append(d.entries, e)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("cpe: %w: %s", ErrDictionary, strings.Join(problems, "; "))
	}
	return d, nil
}

var templateRefRE = regexp.MustCompile(`\$\{?([0-9]+)\}?`)

var windowsDict = sync.OnceValue(func() *Dictionary {
	d, err := ParseDictionary(windowsYAML)
	if err != nil {
		panic(err) // the embedded data is checked by a test
	}
	return d
})

// Windows returns the curated dictionary of Windows programs (windows.yaml).
func Windows() *Dictionary { return windowsDict() }

// Len returns the number of entries.
func (d *Dictionary) Len() int { return len(d.entries) }

// Lookup returns the names of program p by the first entry that fits its
// display name (and publisher): one per vendor:product of the entry, with
// the version (the entry's template, else the display version), update,
// software edition, target_sw "windows" and the architecture the display
// name states. Nil when no entry fits or no version is known.
func (d *Dictionary) Lookup(p Program) []Name {
	name := strings.TrimSpace(p.Name)
	for _, e := range d.entries {
		m := e.name.FindStringSubmatchIndex(name)
		if m == nil || e.publisher != nil && !e.publisher.MatchString(strings.TrimSpace(p.Publisher)) {
			continue
		}
		version := programVersion(p.Version, name)
		if e.version != "" {
			version = string(e.name.ExpandString(nil, e.version, name, m))
		}
		if version == "" {
			return nil
		}
		update := NA
		if e.update != "" {
			update = Quote(string(e.name.ExpandString(nil, e.update, name, m)))
		}
		out := make([]Name, 0, len(e.products))
		for _, vp := range e.products {
			n := programName(vp[0], vp[1], version, name)
			n.Update = update
			if e.swEdition != "" {
				n.SWEdition = e.swEdition
			}
			out = append(out, n)
		}
		return out
	}
	return nil
}

// programName is the name of an application running on Windows.
func programName(vendor, product, version, displayName string) Name {
	return Name{Part: "a", Vendor: vendor, Product: product, Version: Quote(version), Update: NA, Edition: Any,
		Language: Any, SWEdition: Any, TargetSW: "windows", TargetHW: arch(displayName), Other: Any}
}

// WindowsPlatform returns the platform of a Windows asset,
// cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*, which meets NVD's "running
// on Windows" criteria (o:microsoft:windows with version - or *) and no
// criteria naming a Windows release (windows_10, windows_server_2019):
// which release an installed-programs list was taken on is not known.
func WindowsPlatform() Name {
	return Name{Part: "o", Vendor: "microsoft", Product: "windows", Version: NA, Update: Any, Edition: Any, Language: Any,
		SWEdition: Any, TargetSW: Any, TargetHW: Any, Other: Any}
}

var (
	versionInTextRE = regexp.MustCompile(`[0-9][0-9A-Za-z._+~-]*`)
	versionInNameRE = regexp.MustCompile(`(?i)(?:^|\s)v?([0-9]+(?:[._][0-9]+)+[0-9A-Za-z._+-]*)`)
	x64RE           = regexp.MustCompile(`(?i)\b(?:x64|amd64|win64|x86_64|64-bit|64bit)\b`)
	x86RE           = regexp.MustCompile(`(?i)\b(?:x86|win32|32-bit|32bit)\b`)
	arm64RE         = regexp.MustCompile(`(?i)\b(?:arm64|aarch64)\b`)
)

// programVersion returns the version of a program: the first run starting
// with a digit in its display version ("ad 8.0.9" → "8.0.9"), else the last
// dotted version in its display name ("Mozilla Firefox (x64 en-US)
// 115.0.2" → "115.0.2"), else "".
func programVersion(displayVersion, displayName string) string {
	if v := versionInTextRE.FindString(displayVersion); v != "" {
		return strings.TrimRight(v, ".-_+~")
	}
	all := versionInNameRE.FindAllStringSubmatch(displayName, -1)
	if len(all) == 0 {
		return ""
	}
	return strings.TrimRight(all[len(all)-1][1], ".-_+~")
}

// arch returns the target_hw the display name states: x64, x86, arm64, or
// Any when it states none or several.
func arch(displayName string) string {
	var found []string
	if x64RE.MatchString(displayName) {
		found = append(found, "x64")
	}
	if x86RE.MatchString(displayName) {
		found = append(found, "x86")
	}
	if arm64RE.MatchString(displayName) {
		found = append(found, "arm64")
	}
	if len(found) != 1 {
		return Any
	}
	return found[0]
}

var (
	bracketsRE   = regexp.MustCompile(`\([^()]*\)|\[[^\[\]]*\]`)
	versionTokRE = regexp.MustCompile(`(?i)^v?[0-9]+(?:[._][0-9]+)+[0-9a-z._+-]*$`)
	archTokRE    = regexp.MustCompile(`(?i)^(?:x64|x86|amd64|arm64|aarch64|x86_64|win64|win32|64-bit|32-bit|64bit|32bit)$`)
	langTokRE    = regexp.MustCompile(`(?i)^[a-z]{2,3}-[a-z]{2}$`)
	fillerTok    = map[string]bool{"version": true, "ver": true, "ver.": true, "release": true, "build": true, "-": true, "–": true}
)

// ProductName returns a display name without what is not the product's
// name: bracketed parts ("(x64 en-US)", "(TM)"), versions ("115.0.2",
// "v2.1", "2.6.8-I001"), architecture and language tags, and words left
// dangling at the end ("version", "release", "-"). "Mozilla Firefox (x64
// en-US) 115.0.2" → "Mozilla Firefox"; "PuTTY release 0.80 (64-bit)" →
// "PuTTY"; "Microsoft Office Professional Plus 2016" is kept whole.
func ProductName(displayName string) string {
	s := displayName
	for {
		t := bracketsRE.ReplaceAllString(s, " ")
		if t == s {
			break
		}
		s = t
	}
	var kept []string
	for _, tok := range strings.Fields(s) {
		bare := strings.TrimRight(tok, ",;")
		if versionTokRE.MatchString(bare) || archTokRE.MatchString(bare) || langTokRE.MatchString(bare) {
			continue
		}
		kept = append(kept, tok)
	}
	for len(kept) > 0 && fillerTok[strings.ToLower(strings.TrimRight(kept[len(kept)-1], ",;"))] {
		kept = kept[:len(kept)-1]
	}
	return strings.TrimRight(strings.Join(kept, " "), " ,;-")
}

// legalSuffix are the words VendorName drops from the end of a publisher.
var legalSuffix = map[string]bool{
	"inc": true, "incorporated": true, "corporation": true, "corp": true, "co": true, "company": true, "ltd": true,
	"limited": true, "llc": true, "l.l.c": true, "gmbh": true, "ag": true, "s.a": true, "sa": true, "s.r.l": true,
	"srl": true, "b.v": true, "bv": true, "plc": true, "pty": true, "jsc": true, "ab": true, "oy": true, "a/s": true,
	"s.p.a": true, "s.a.s": true, "sas": true, "k.k": true,
}

// VendorName returns a publisher as an NVD vendor might be named:
// lower-case, without a leading "the" and trailing legal forms ("Inc.",
// "Corporation", "GmbH", "LLC", "Ltd."), words joined by "_". "Google LLC"
// → "google"; "Microsoft Corporation" → "microsoft".
func VendorName(publisher string) string {
	words := strings.Fields(strings.ToLower(strings.ReplaceAll(publisher, ",", " ")))
	if len(words) > 1 && words[0] == "the" {
		words = words[1:]
	}
	for len(words) > 1 && legalSuffix[strings.TrimRight(words[len(words)-1], ".")] {
		words = words[:len(words)-1]
	}
	return strings.TrimRight(strings.Join(words, "_"), ".")
}

// Guess returns the names a program not in the dictionary might have in
// NVD: vendor VendorName(publisher), product ProductName(display name)
// lower-cased with "_" for spaces — and, when that starts with the vendor
// ("google_chrome" of Google), the product without it ("chrome"), first.
// Nil without publisher, product or version, or when either is not ASCII.
// These are guesses: use one
// only when NVD data names exactly its vendor:product.
func Guess(p Program) []Name {
	vendorText, productText := VendorName(p.Publisher), strings.ToLower(ProductName(p.Name))
	if !printableASCII(vendorText) || !printableASCII(productText) {
		return nil // NVD's names are ASCII: "Công ty Cổ phần MISA" has none
	}
	vendor, product := Quote(vendorText), Quote(productText)
	version := programVersion(p.Version, p.Name)
	if vendor == Any || product == Any || version == "" {
		return nil
	}
	var out []Name
	if short, ok := strings.CutPrefix(product, vendor+"_"); ok && short != "" {
		out = append(out, programName(vendor, short, version, p.Name))
	}
	return append(out, programName(vendor, product, version, p.Name))
}

// printableASCII reports whether s is printable ASCII (spaces included).
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
