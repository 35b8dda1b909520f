// Package cpe reads CPE 2.3 names and match criteria, compares them as
// NIST's CPE specifications do, evaluates the configurations of an NVD CVE
// record against the CPEs known for one asset, and names Windows programs
// by CPE.
//
//	n, err := cpe.Parse(`cpe:2.3:a:notepad-plus-plus:notepad\+\+:8.5.2:*:*:*:*:windows:*:*`)
//	conf, err := cpe.Compile(advisory.CPEs)     // one CVE's flattened configurations
//	hits := conf.Evaluate([]cpe.Name{n, cpe.WindowsPlatform()})
//
// # Names (NISTIR 7695)
//
// A Name holds the eleven attributes of a well-formed name, each as the
// formatted-string binding writes it: lower-case, special characters quoted
// with a backslash ("notepad\+\+"), Any ("*", any value) or NA ("-", not
// applicable), and in match criteria the unquoted wildcards "*" and "?" at
// the start or end of a value. Parse reads the formatted string
// cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:target_hw:other
// and refuses anything else (with a *ParseError wrapping ErrMalformed that
// names the attribute): a wrong prefix or number of components, a part other
// than a, o or h, a character the binding does not allow unquoted, a wildcard
// inside a value. CPE 2.2 URIs ("cpe:/a:…") are not read. Values are
// re-quoted canonically ("\." becomes ".") so that equal values are equal
// strings.
//
// # Matching (NISTIR 7696)
//
// Match(source, target) is the specification's name comparison: every
// attribute of the source must be a superset of, or equal to, the target's.
// Source Any is a superset of every value and equal to Any; source NA equals
// NA only; a value equals the same value and is a superset of nothing; a
// value with wildcards is a superset of the values it matches. A target
// attribute that is Any is a subset of a source value — so a target that
// does not say its update, edition, software edition, target software or
// hardware never matches criteria that name one: a finding is rather missed
// than invented. Versions compare with CompareVersion ("8.5" equals
// "8.5.0"), other values as text.
//
// A Criterion is one cpeMatch of NVD: its criteria and the version bounds
// (versionStartIncluding/Excluding, versionEndIncluding/Excluding), which
// apply to a target whose version is a value (Any is not in any range).
//
// # Versions
//
// NVD gives no ecosystem, so versions compare by one generic rule
// (CompareVersion): split into runs of digits and runs of letters
// (everything else separates); digit runs compare as numbers, letter runs
// as text (case-insensitive), a digit run is above a letter run; trailing
// zero runs do not count ("1.0" = "1.0.0"), and otherwise a version that
// continues another is above it ("1.0" < "1.0.1", "1.0.2" < "1.0.2a", as
// OpenSSL's letter releases need). Pre-releases written in the version
// ("2.0rc1") therefore sort after the release; NVD writes them in the update
// attribute instead ("2.0:rc1").
//
// # Configurations
//
// An NVD CVE's configurations are a list of configurations, each a list of
// nodes combined by the configuration's operator (AND, OR), each node a
// list of cpeMatches combined by the node's operator, negated when the node
// says so. The CVE applies to an asset when one configuration is true. A
// cpeMatch is true when one of the asset's CPEs matches it; the vulnerable
// software is what matches a cpeMatch marked vulnerable in a node that is
// true, within a configuration that is true. Platform cpeMatches (not
// vulnerable: "running on Windows") must be met by the asset's CPEs too, so
// when the platform of an asset is not known such configurations do not
// apply. Evaluate returns the hits: which vulnerable cpeMatch, met by which
// of the given names.
//
// # Windows programs
//
// Windows lists programs by display name, publisher and display version.
// Windows() is the curated dictionary (windows.yaml, data): a pattern on the
// display name (and optionally the publisher) gives the NVD vendor:product
// pairs of a program, and may take the version or update from the name
// (Python's display version is not its version). Guess is the fallback for
// programs not in the dictionary: the publisher and the display name
// normalised (ProductName strips version text, architecture and language
// tags; VendorName legal suffixes), to be used only when NVD data names
// exactly that vendor:product pair. Program names are given target_sw
// "windows", update NA and the architecture the display name states;
// WindowsPlatform is the platform CPE of a Windows asset.
package cpe
