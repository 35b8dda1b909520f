// Package inventory reads the software installed on an asset from SBOMs,
// operating-system package lists, Windows program lists and scanner
// reports, and compares two readings.
//
//	format, ok := inventory.Detect(head)             // sniff the first KiB
//	inv, err := inventory.Parse(format, r, inventory.Options{Distro: "debian", Release: "12"})
//	added, removed, changed := inventory.Diff(previous, inv)
//
// The caller ties each Inventory to an asset and to the time of import, and
// keeps the previous one to Diff against; Inventory.Created is only when
// the file says it was made.
//
// # Packages and ecosystems
//
// Every Package has a Name and, where the file says, a Version. Ecosystem is
// the OSV ecosystem its version compares in, so that advisories can be
// matched without knowing the file it came from:
//
//	Debian:12  Ubuntu:22.04:LTS  Ubuntu:24.10  Alpine:v3.20
//	Rocky Linux:9  AlmaLinux:9  Red Hat  Wolfi  Chainguard
//	npm  PyPI  Maven  Go  NuGet  RubyGems  crates.io  Packagist  Hex  Pub  CRAN  Hackage
//	""  (unknown: a Windows program, a component without package URL)
//
// Debian, Rocky Linux and AlmaLinux are keyed by major release, Alpine by
// "v" major.minor, Ubuntu by YY.MM with ":LTS" for the even-year April
// releases, as in OSV. Red Hat is the exception: OSV keys Red Hat
// advisories by product stream and repository
// ("Red Hat:enterprise_linux:9::appstream", "…::baseos"), which an
// installed-package list does not tell, so RHEL packages get the bare
// "Red Hat" and the release stays in Inventory.Release; a matcher compares
// them with every "Red Hat:enterprise_linux:<major>:…" ecosystem.
//
// The ecosystem comes from the package URL when there is one
// (pkg:deb/debian/openssl@…?distro=debian-12 → "Debian:12";
// pkg:apk/alpine/musl@…?distro=3.20.1 → "Alpine:v3.20";
// pkg:rpm/rocky/…?distro=rocky-9.3 → "Rocky Linux:9"; pkg:maven/g/a →
// "Maven" named "g:a"; pkg:golang → "Go"; pkg:gem → "RubyGems";
// pkg:cargo → "crates.io"), else from the record's type (Trivy result type,
// Grype artifact type) and the operating system the file names. A
// distribution package whose URL names no release takes the release of the
// operating system the file names, else the one a package URL names, else
// Options. Versions are written as OSV writes them: dpkg and rpm versions
// as "epoch:version-release" with the epoch only when non-zero
// ("1:3.0.7-27.el9"), Go versions without the leading "v".
//
// Inventory.Packages is sorted by Ecosystem, Name, Version, Arch with exact
// duplicates removed; a package installed in several versions, several
// architectures or several places (Location) is listed once for each.
//
// # Formats
//
// cyclonedx-json, cyclonedx-xml: CycloneDX 1.x SBOMs. Components are read
// recursively (nested components too, also those nested in
// metadata.component); metadata.component itself, the subject of the BOM,
// is not. Components of type operating-system name the distribution
// (Inventory.Distro, Release); those of type file, container, data,
// platform, device, machine-learning-model and cryptographic-asset are not
// software packages and are skipped, as are components with neither
// version nor purl (such as Trivy's per-lock-file "application" entries)
// and container images (pkg:oci, pkg:docker). Tool is metadata.tools
// ("syft 1.4.1"), Created metadata.timestamp. The source package and
// Location come from the purl's upstream qualifier or from Syft's and
// Trivy's properties. A component's cpe is kept as Package.CPE, and a
// component with only a CPE is kept.
//
// spdx-json, spdx-tv: SPDX 2.1–2.3, JSON and tag-value. Packages are read
// with their PACKAGE-MANAGER purl external reference. A package of
// primaryPackagePurpose OPERATING-SYSTEM names the distribution; CONTAINER
// packages, packages with neither version nor purl, and container images
// are skipped. The package(s) the document DESCRIBES (the scanned image or
// directory) are skipped unless their purl names a package ecosystem: an
// SBOM describing one npm application keeps it, one describing a directory
// or an image does not. Tool is the "Tool:" creators as written
// ("syft-1.4.1"), Created creationInfo.created. The first cpe23Type
// external reference is kept as Package.CPE.
//
// dpkg: the output of
//
//	dpkg-query -W -f='${Package} ${Version} ${Architecture}\n'
//
// one package a line, optionally with the source package and its version
// as fourth and fifth columns:
//
//	dpkg-query -W -f='${binary:Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\n'
//
// A ":arch" suffix on the name (multi-arch ${binary:Package}) is dropped;
// the Architecture column says it. The old ${Source} field, "name
// (version)", is understood too. The output of dpkg -l is also accepted;
// from it only installed packages (status "?i") are kept. Options.Distro
// ("debian" or "ubuntu") and Options.Release ("12", "22.04", or a code name)
// are required.
//
// rpm: the output of
//
//	rpm -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\n'
//
// (with %{EPOCH}, an epoch of "(none)" is accepted too; the SOURCERPM column
// may be left out), or of plain rpm -qa, NAME-VERSION-RELEASE.ARCH, which
// is split from the right but carries no epoch, so prefer the query format.
// gpg-pubkey entries (imported signing keys) are skipped. Options.Distro
// ("rhel", "rocky" or "almalinux") and Options.Release ("9", "9.4") are
// required.
//
// windows-csv: the installed programs, as exported from the registry's
// Uninstall key by PowerShell:
//
//	Get-ItemProperty HKLM:\Software\Microsoft\Windows\CurrentVersion\Uninstall\*,
//	    HKLM:\Software\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\* |
//	  Select-Object DisplayName, DisplayVersion, Publisher, InstallDate |
//	  Export-Csv -NoTypeInformation -Encoding UTF8 programs.csv
//
// (the second registry path, for 32-bit programs on 64-bit Windows, is
// optional). The header must have a DisplayName column; DisplayVersion
// and Publisher (Package.Vendor) are read when present, in any column order.
// Rows without DisplayName are skipped. UTF-8 with or without byte-order
// mark and UTF-16 with byte-order mark (what Windows PowerShell's ">" and
// -Encoding Unicode write) are read, and a leading "#TYPE" line is skipped.
// Ecosystem is "". The name is DisplayName without the DisplayVersion
// where it carries it as a word ("7-Zip 23.01 (x64)" is "7-Zip (x64)"),
// so that an upgraded program keeps its name.
//
// trivy-json: trivy image|fs|rootfs --format json. Results[].Packages (with
// --list-all-pkgs) are read; a result without Packages contributes the
// packages named by its Vulnerabilities (PkgName, InstalledVersion), which
// without --list-all-pkgs is all Trivy reports. Metadata.OS names the
// distribution; Results[].Type gives the ecosystem when there is no
// PkgIdentifier.PURL (debian, ubuntu, alpine, redhat, rocky, alma; npm,
// node-pkg, yarn, pnpm → npm; pip, pipenv, poetry, python-pkg, uv → PyPI;
// gomod, gobinary → Go; jar, pom, gradle, sbt → Maven; nuget, dotnet-core,
// packages-props → NuGet; bundler, gemspec → RubyGems; cargo, rust-binary →
// crates.io; composer → Packagist). Location is the package's FilePath or
// PkgPath, else the result's Target for language packages.
//
// grype-json: grype -o json. matches[].artifact gives name, version, type,
// purl, locations (Location, for language packages) and upstreams (the
// source package); distro names the distribution; descriptor gives Tool and
// Created. Only packages with a match are in a Grype report. Artifact
// types deb, rpm and apk take the distro's ecosystem; npm, python,
// go-module, java-archive, dotnet, gem, rust-crate, php-composer, dart-pub
// and hex map to npm, PyPI, Go, Maven, NuGet, RubyGems, crates.io,
// Packagist, Pub and Hex.
//
// # Errors
//
// Parse imports a file entirely or not at all: on any error it returns the
// zero Inventory. A file that is not valid in its format gives a
// *ParseError wrapping ErrMalformed that names the format and where the
// fault is ("line 3", "line 2, column 14", "Results[0].Packages[4]"); a
// file bigger than MaxBytes or with more than MaxPackages distinct
// packages one wrapping ErrTooLarge. An unknown format gives
// ErrUnknownFormat; a dpkg or rpm list without a usable Options.Distro and
// Options.Release, ErrOptions.
//
// # Diff
//
// Diff identifies a package by Ecosystem, Name and Arch and compares its
// versions: a package whose version moved is a Change, one that appeared or
// went is added or removed. See Diff for packages installed in several
// versions at once.
package inventory
