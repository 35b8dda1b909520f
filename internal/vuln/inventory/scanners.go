package inventory

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ---- Trivy ----

type trivyReport struct {
	SchemaVersion int    `json:"SchemaVersion"`
	CreatedAt     string `json:"CreatedAt"`
	ArtifactName  string `json:"ArtifactName"`
	Metadata      struct {
		OS *struct {
			Family string `json:"Family"`
			Name   string `json:"Name"`
		} `json:"OS"`
	} `json:"Metadata"`
	Results *[]trivyResult `json:"Results"`
	Trivy   struct {
		Version string `json:"Version"`
	} `json:"Trivy"`
}

type trivyResult struct {
	Target          string         `json:"Target"`
	Class           string         `json:"Class"`
	Type            string         `json:"Type"`
	Packages        []trivyPackage `json:"Packages"`
	Vulnerabilities []trivyVuln    `json:"Vulnerabilities"`
}

type trivyID struct {
	PURL string `json:"PURL"`
}

type trivyPackage struct {
	Name       string  `json:"Name"`
	Identifier trivyID `json:"Identifier"`
	Version    string  `json:"Version"`
	Release    string  `json:"Release"`
	Epoch      int     `json:"Epoch"`
	Arch       string  `json:"Arch"`
	SrcName    string  `json:"SrcName"`
	SrcVersion string  `json:"SrcVersion"`
	SrcRelease string  `json:"SrcRelease"`
	SrcEpoch   int     `json:"SrcEpoch"`
	FilePath   string  `json:"FilePath"`
}

type trivyVuln struct {
	PkgName          string  `json:"PkgName"`
	PkgPath          string  `json:"PkgPath"`
	PkgIdentifier    trivyID `json:"PkgIdentifier"`
	InstalledVersion string  `json:"InstalledVersion"`
}

// trivyTypes maps Trivy result types to ecosystems. Operating-system types
// are resolved through the report's OS.
var trivyTypes = map[string]string{
	"npm": ecoNPM, "node-pkg": ecoNPM, "yarn": ecoNPM, "pnpm": ecoNPM, "bun": ecoNPM,
	"pip": ecoPyPI, "pipenv": ecoPyPI, "poetry": ecoPyPI, "python-pkg": ecoPyPI, "uv": ecoPyPI,
	"gomod": ecoGo, "gobinary": ecoGo,
	"jar": ecoMaven, "pom": ecoMaven, "gradle": ecoMaven, "sbt": ecoMaven,
	"nuget": ecoNuGet, "dotnet-core": ecoNuGet, "packages-props": ecoNuGet,
	"bundler": ecoRubyGems, "gemspec": ecoRubyGems,
	"cargo": ecoCrates, "rust-binary": ecoCrates,
	"composer": ecoPackagist, "composer-vendor": ecoPackagist,
	"pub": ecoPub, "mix-lock": ecoHex,
}

func epochString(e int) string {
	if e <= 0 {
		return ""
	}
	return strconv.Itoa(e)
}

func parseTrivy(b *builder, data []byte, _ Options) error {
	if err := checkJSONObject(b.format, data); err != nil {
		return err
	}
	var rep trivyReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return jsonError(b.format, data, err)
	}
	if rep.SchemaVersion == 0 && rep.ArtifactName == "" && rep.Results == nil {
		return malformed(b.format, "", "not a Trivy JSON report: no SchemaVersion, ArtifactName or Results")
	}
	b.inv.Created = parseTime(rep.CreatedAt)
	b.inv.Tool = "trivy"
	if v := strings.TrimSpace(rep.Trivy.Version); v != "" {
		b.inv.Tool += " " + v
	}
	if os := rep.Metadata.OS; os != nil {
		b.setDistro(os.Family, os.Name)
	}
	if rep.Results == nil {
		return nil
	}
	for i, res := range *rep.Results {
		path := fmt.Sprintf("Results[%d]", i)
		typeEco := trivyTypes[res.Type]
		isOS := res.Class == "os-pkgs" || typeEco == "" && ecosystemFor(res.Type, "") != ""
		if isOS {
			// The result type is the OS family ("debian", "redhat").
			release := ""
			if canonDistro(res.Type) == b.inv.Distro {
				release = b.inv.Release
			}
			typeEco = ecosystemFor(res.Type, release)
		}
		location := func(own string) string {
			if isOS {
				return ""
			}
			if own != "" {
				return own
			}
			if res.Class == "lang-pkgs" {
				return res.Target // the lock file
			}
			return ""
		}
		// With --list-all-pkgs, Packages lists everything and
		// Vulnerabilities repeats some of it; without, only the
		// vulnerable packages are known.
		if len(res.Packages) > 0 {
			for j, tp := range res.Packages {
				where := fmt.Sprintf("%s.Packages[%d]", path, j)
				if strings.TrimSpace(tp.Name) == "" {
					return malformed(b.format, where, "package has no Name")
				}
				version := tp.Version
				if isOS {
					version = osVersion(epochString(tp.Epoch), tp.Version, tp.Release)
				}
				p := b.record(tp.Name, "", version, tp.Identifier.PURL, typeEco)
				if p.Arch == "" {
					p.Arch = tp.Arch
				}
				if tp.SrcName != "" {
					p.SourceName = tp.SrcName
					p.SourceVersion = osVersion(epochString(tp.SrcEpoch), tp.SrcVersion, tp.SrcRelease)
				}
				p.Location = location(tp.FilePath)
				if err := b.add(where, p); err != nil {
					return err
				}
			}
			continue
		}
		for j, v := range res.Vulnerabilities {
			where := fmt.Sprintf("%s.Vulnerabilities[%d]", path, j)
			if strings.TrimSpace(v.PkgName) == "" {
				return malformed(b.format, where, "vulnerability has no PkgName")
			}
			p := b.record(v.PkgName, "", v.InstalledVersion, v.PkgIdentifier.PURL, typeEco)
			p.Location = location(v.PkgPath)
			if err := b.add(where, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// ---- Grype ----

type grypeReport struct {
	Matches *[]struct {
		Artifact *struct {
			Name      string `json:"name"`
			Version   string `json:"version"`
			Type      string `json:"type"`
			PURL      string `json:"purl"`
			Locations []struct {
				Path string `json:"path"`
			} `json:"locations"`
			Upstreams []struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"upstreams"`
		} `json:"artifact"`
	} `json:"matches"`
	Distro struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"distro"`
	Descriptor struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		Timestamp string `json:"timestamp"`
	} `json:"descriptor"`
}

// grypeTypes maps Grype (Syft) package types to ecosystems; deb, rpm and
// apk are resolved through the report's distro.
var grypeTypes = map[string]string{
	"npm": ecoNPM, "python": ecoPyPI, "go-module": ecoGo, "java-archive": ecoMaven,
	"dotnet": ecoNuGet, "gem": ecoRubyGems, "rust-crate": ecoCrates,
	"php-composer": ecoPackagist, "dart-pub": ecoPub, "hex": ecoHex,
}

func parseGrype(b *builder, data []byte, _ Options) error {
	if err := checkJSONObject(b.format, data); err != nil {
		return err
	}
	var rep grypeReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return jsonError(b.format, data, err)
	}
	if rep.Matches == nil {
		return malformed(b.format, "", "not a Grype JSON report: no matches")
	}
	b.inv.Created = parseTime(rep.Descriptor.Timestamp)
	if n := strings.TrimSpace(rep.Descriptor.Name); n != "" {
		b.inv.Tool = n
		if v := strings.TrimSpace(rep.Descriptor.Version); v != "" {
			b.inv.Tool += " " + v
		}
	}
	b.setDistro(rep.Distro.Name, rep.Distro.Version)
	for i, m := range *rep.Matches {
		where := fmt.Sprintf("matches[%d].artifact", i)
		a := m.Artifact
		if a == nil {
			return malformed(b.format, where, "match has no artifact")
		}
		if strings.TrimSpace(a.Name) == "" {
			return malformed(b.format, where, "artifact has no name")
		}
		typeEco := grypeTypes[a.Type]
		isOS := false
		switch a.Type {
		case "deb", "rpm", "apk":
			typeEco, isOS = ecosystemFor(b.inv.Distro, b.inv.Release), true
		}
		p := b.record(a.Name, "", a.Version, a.PURL, typeEco)
		if len(a.Upstreams) > 0 && p.SourceName == "" {
			p.SourceName, p.SourceVersion = a.Upstreams[0].Name, a.Upstreams[0].Version
		}
		if !isOS && len(a.Locations) > 0 {
			p.Location = a.Locations[0].Path
		}
		if err := b.add(where, p); err != nil {
			return err
		}
	}
	return nil
}
