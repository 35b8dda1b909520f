package inventory

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	"github.com/spdx/tools-golang/tagvalue"
)

// record builds a Package from what an SBOM or a scanner says of it. typeEco
// is the ecosystem the record's own type gives, used when the package URL
// gives none.
func (b *builder) record(name, group, version, purl, typeEco string) Package {
	purl = strings.TrimSpace(purl)
	pi := parsePURL(purl)
	eco := pi.eco
	if eco == "" {
		eco = typeEco
	}
	b.notePURLDistro(pi.distro, pi.release)
	version = strings.TrimSpace(version)
	if version == "" && pi.ok {
		version = pi.version
	}
	p := Package{
		Name:      fullName(name, group, eco, pi),
		Version:   withEpoch(version, pi),
		Ecosystem: eco,
		PURL:      purl,
		Arch:      pi.quals["arch"],
	}
	p.SourceName, p.SourceVersion = upstream(pi)
	return p
}

// isSubject reports whether a package URL names a container image or
// another scanned thing rather than installed software.
func isSubject(pi purlInfo) bool {
	return pi.ok && (pi.typ == "oci" || pi.typ == "docker")
}

// ---- CycloneDX ----

func parseCycloneDXJSON(b *builder, data []byte, _ Options) error {
	if err := checkJSONObject(b.format, data); err != nil {
		return err
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return jsonError(b.format, data, err)
	}
	if bom.BOMFormat != cdx.BOMFormat {
		return malformed(b.format, "bomFormat", "want %q, got %q", cdx.BOMFormat, bom.BOMFormat)
	}
	return cycloneDX(b, &bom)
}

func parseCycloneDXXML(b *builder, data []byte, _ Options) error {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatXML).Decode(&bom); err != nil {
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			return malformed(b.format, fmt.Sprintf("line %d", syn.Line), "%s", syn.Msg)
		}
		return malformed(b.format, "", "%s", err.Error())
	}
	if !strings.HasPrefix(bom.XMLNS, "http://cyclonedx.org/schema/bom/") {
		return malformed(b.format, "<bom>", "not a CycloneDX namespace: %q", bom.XMLNS)
	}
	// The XML decoder stops after the root element; anything but
	// whitespace, comments or processing instructions after it is an error.
	if err := checkXMLTrailer(data); err != nil {
		return malformed(b.format, "", "%s", err.Error())
	}
	return cycloneDX(b, &bom)
}

// checkXMLTrailer reports content after the root element.
func checkXMLTrailer(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	depth, roots := 0, 0
	for {
		tok, err := d.RawToken()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				return fmt.Errorf("line %d: %s", syn.Line, syn.Msg)
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 {
					return fmt.Errorf("more than one root element (<%s>)", t.Name.Local)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("text outside the root element")
			}
		}
	}
}

func cycloneDX(b *builder, bom *cdx.BOM) error {
	if m := bom.Metadata; m != nil {
		b.inv.Created = parseTime(m.Timestamp)
		b.inv.Tool = cdxTools(m.Tools)
		if m.Component != nil {
			// The subject of the BOM (the scanned image or application) is
			// not itself installed software; what it contains is.
			if err := cdxComponents(b, "metadata.component", m.Component.Components); err != nil {
				return err
			}
		}
	}
	return cdxComponents(b, "components", bom.Components)
}

func cdxTools(t *cdx.ToolsChoice) string {
	if t == nil {
		return ""
	}
	var names []string
	add := func(name, version string) {
		name, version = strings.TrimSpace(name), strings.TrimSpace(version)
		if name == "" {
			return
		}
		if version != "" {
			name += " " + version
		}
		names = append(names, name)
	}
	if t.Components != nil {
		for _, c := range *t.Components {
			add(c.Name, c.Version)
		}
	}
	if t.Services != nil {
		for _, s := range *t.Services {
			add(s.Name, s.Version)
		}
	}
	if t.Tools != nil {
		for _, c := range *t.Tools {
			add(c.Name, c.Version)
		}
	}
	return strings.Join(names, ", ")
}

// cdxSkipTypes are component types that are not installed software.
var cdxSkipTypes = map[cdx.ComponentType]bool{
	cdx.ComponentTypeOS:                   true,
	cdx.ComponentTypeFile:                 true,
	cdx.ComponentTypeContainer:            true,
	cdx.ComponentTypeData:                 true,
	cdx.ComponentTypeMachineLearningModel: true,
	cdx.ComponentTypeCryptographicAsset:   true,
	cdx.ComponentTypeDevice:               true,
	cdx.ComponentTypePlatform:             true,
}

func cdxComponents(b *builder, path string, cs *[]cdx.Component) error {
	if cs == nil {
		return nil
	}
	for i := range *cs {
		c := &(*cs)[i]
		where := path + "[" + strconv.Itoa(i) + "]"
		if c.Type == cdx.ComponentTypeOS {
			b.setDistro(c.Name, c.Version)
		}
		if !cdxSkipTypes[c.Type] && (c.Version != "" || c.PackageURL != "" || strings.TrimSpace(c.CPE) != "") {
			if strings.TrimSpace(c.Name) == "" && strings.TrimSpace(c.PackageURL) == "" {
				return malformed(b.format, where, "component has no name")
			}
			if !isSubject(parsePURL(c.PackageURL)) {
				p := b.record(c.Name, c.Group, c.Version, c.PackageURL, "")
				p.CPE = c.CPE
				props := cdxProps(c.Properties)
				if p.SourceName == "" {
					p.SourceName, p.SourceVersion = cdxSource(props)
				}
				if !isOSEcosystem(p.Ecosystem) {
					p.Location = cdxLocation(props)
				}
				if err := b.add(where, p); err != nil {
					return err
				}
			}
		}
		if err := cdxComponents(b, where+".components", c.Components); err != nil {
			return err
		}
	}
	return nil
}

func cdxProps(ps *[]cdx.Property) map[string]string {
	m := map[string]string{}
	if ps == nil {
		return m
	}
	for _, p := range *ps {
		if _, ok := m[p.Name]; !ok {
			m[p.Name] = strings.TrimSpace(p.Value)
		}
	}
	return m
}

// cdxSource reads the source package from Trivy's or Syft's properties.
func cdxSource(props map[string]string) (name, version string) {
	if n := props["aquasecurity:trivy:SrcName"]; n != "" {
		return n, osVersion(props["aquasecurity:trivy:SrcEpoch"], props["aquasecurity:trivy:SrcVersion"], props["aquasecurity:trivy:SrcRelease"])
	}
	if n := props["syft:metadata:source"]; n != "" {
		return n, props["syft:metadata:sourceVersion"]
	}
	if n, v, ok := splitSourceRPM(props["syft:metadata:sourceRpm"]); ok {
		return n, v
	}
	return "", ""
}

func cdxLocation(props map[string]string) string {
	if l := props["aquasecurity:trivy:FilePath"]; l != "" {
		return l
	}
	return props["syft:location:0:path"]
}

// osVersion joins an epoch, version and release as dpkg and rpm write them,
// the epoch only when non-zero.
func osVersion(epoch, version, release string) string {
	v := version
	if release != "" && v != "" {
		v += "-" + release
	}
	if epoch != "" && epoch != "0" && v != "" {
		v = epoch + ":" + v
	}
	return v
}

// isOSEcosystem reports whether eco is a distribution's.
func isOSEcosystem(eco string) bool {
	base, _, _ := strings.Cut(eco, ":")
	switch base {
	case ecoDebian, ecoUbuntu, ecoAlpine, ecoRedHat, ecoRocky, ecoAlma, ecoWolfi, ecoChainguard:
		return true
	}
	return false
}

// ---- SPDX ----

func parseSPDXJSON(b *builder, data []byte, _ Options) error {
	if err := checkJSONObject(b.format, data); err != nil {
		return err
	}
	doc, err := spdxjson.Read(bytes.NewReader(data))
	if err != nil {
		return jsonError(b.format, data, err)
	}
	return spdxDoc(b, doc)
}

func parseSPDXTV(b *builder, data []byte, _ Options) error {
	if err := checkTagValue(b.format, data); err != nil {
		return err
	}
	doc, err := tagvalue.Read(bytes.NewReader(data))
	if err != nil {
		return malformed(b.format, "", "%s", err.Error())
	}
	return spdxDoc(b, doc)
}

// checkTagValue finds, with its line number, the first line the tag-value
// reader would refuse, and a missing SPDXVersion.
func checkTagValue(format string, data []byte) error {
	inText, textLine, version := false, 0, false
	for n, line := range strings.Split(string(data), "\n") {
		n++
		if len(line) >= 64*1024 {
			return malformed(format, fmt.Sprintf("line %d", n), "line longer than 64 KiB")
		}
		if inText {
			if strings.Contains(line, "</text>") {
				inText = false
			}
			continue
		}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		tag, value, ok := strings.Cut(t, ":")
		if !ok {
			return malformed(format, fmt.Sprintf("line %d", n), "want TAG: VALUE, got %q", truncate(t, 60))
		}
		if strings.TrimSpace(tag) == "SPDXVersion" {
			version = true
		}
		if _, after, ok := strings.Cut(value, "<text>"); ok && !strings.Contains(after, "</text>") {
			inText, textLine = true, n
		}
	}
	if inText {
		return malformed(format, fmt.Sprintf("line %d", textLine), "<text> is not closed by </text>")
	}
	if !version {
		return malformed(format, "", "no SPDXVersion tag")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

func spdxDoc(b *builder, doc *spdx.Document) error {
	if doc == nil {
		return malformed(b.format, "", "empty document")
	}
	if ci := doc.CreationInfo; ci != nil {
		b.inv.Created = parseTime(ci.Created)
		var tools []string
		for _, c := range ci.Creators {
			if strings.EqualFold(c.CreatorType, "Tool") && strings.TrimSpace(c.Creator) != "" {
				tools = append(tools, strings.TrimSpace(c.Creator))
			}
		}
		b.inv.Tool = strings.Join(tools, ", ")
	}
	described := map[spdx.ElementID]bool{}
	for _, r := range doc.Relationships {
		if r == nil {
			continue
		}
		switch strings.ToUpper(r.Relationship) {
		case "DESCRIBES":
			if r.RefA.ElementRefID == doc.SPDXIdentifier || r.RefA.ElementRefID == "DOCUMENT" {
				described[r.RefB.ElementRefID] = true
			}
		case "DESCRIBED_BY":
			if r.RefB.ElementRefID == doc.SPDXIdentifier || r.RefB.ElementRefID == "DOCUMENT" {
				described[r.RefA.ElementRefID] = true
			}
		}
	}
	// The operating system first, so that packages without a distro in
	// their purl get its release.
	for _, p := range doc.Packages {
		if p != nil && strings.EqualFold(p.PrimaryPackagePurpose, "OPERATING-SYSTEM") {
			b.setDistro(p.PackageName, spdxValue(p.PackageVersion))
		}
	}
	for i, p := range doc.Packages {
		if p == nil {
			continue
		}
		where := fmt.Sprintf("packages[%d] (%s)", i, p.PackageSPDXIdentifier)
		purpose := strings.ToUpper(p.PrimaryPackagePurpose)
		if purpose == "OPERATING-SYSTEM" || purpose == "CONTAINER" {
			continue
		}
		version, purl, cpe := spdxValue(p.PackageVersion), spdxPURL(p), spdxCPE(p)
		pi := parsePURL(purl)
		if version == "" && purl == "" && cpe == "" || isSubject(pi) {
			continue
		}
		if described[p.PackageSPDXIdentifier] && (!pi.ok || pi.eco == "") {
			// The package the document describes is the scanned thing;
			// it is kept only when its purl names a package ecosystem.
			continue
		}
		if strings.TrimSpace(p.PackageName) == "" && purl == "" {
			return malformed(b.format, where, "package has no name")
		}
		pkg := b.record(p.PackageName, "", version, purl, "")
		pkg.CPE = cpe
		if pkg.SourceName == "" {
			pkg.SourceName, pkg.SourceVersion = spdxSourceInfo(p.PackageSourceInfo)
		}
		if err := b.add(where, pkg); err != nil {
			return err
		}
	}
	return nil
}

// spdxValue drops SPDX's NOASSERTION and NONE.
func spdxValue(s string) string {
	s = strings.TrimSpace(s)
	if s == "NOASSERTION" || s == "NONE" {
		return ""
	}
	return s
}

func spdxPURL(p *spdx.Package) string {
	for _, r := range p.PackageExternalReferences {
		if r != nil && strings.EqualFold(strings.TrimSpace(r.RefType), "purl") {
			return strings.TrimSpace(r.Locator)
		}
	}
	return ""
}

// spdxCPE returns the first cpe23Type external reference of p ("" when
// none). Syft writes several, candidates of its own making, for packages
// that also have a purl: those are kept but matched by their purl.
func spdxCPE(p *spdx.Package) string {
	for _, r := range p.PackageExternalReferences {
		if r != nil && strings.EqualFold(strings.TrimSpace(r.RefType), "cpe23Type") {
			return strings.TrimSpace(r.Locator)
		}
	}
	return ""
}

// spdxSourceInfo reads Trivy's "built package from: openssl 3.0.11-1".
func spdxSourceInfo(s string) (name, version string) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "built package from:")
	if !ok {
		return "", ""
	}
	f := strings.Fields(rest)
	if len(f) != 2 {
		return "", ""
	}
	return f[0], f[1]
}
