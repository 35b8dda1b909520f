// Package advisory reads vulnerability advisories from the files their
// publishers distribute, so that air-gapped sites can import them offline:
//
//   - OSV records (ParseOSV), the OSV bucket's per-ecosystem all.zip dumps
//     (ReadOSVZip) and its modified_id.csv change lists (ParseOSVModified,
//     ChangedSince) for incremental updates;
//   - CISA's Known Exploited Vulnerabilities catalogue (ParseKEV);
//   - NVD CVE API 2.0 responses and JSON 2.0 feed files (ParseNVD);
//   - CSAF 2.0 documents, advisories and VEX (ParseCSAF);
//   - FIRST's daily EPSS scores (ParseEPSS).
//
// Each format becomes an Advisory (KEV entries stay KEV and EPSS scores
// EPSS: they say a CVE is exploited, or how likely it is to be, not what
// it affects). The parsers do not fetch anything and
// do not match anything: OSV ranges are kept as events (Range, Event) for
// internal/vuln/version to evaluate, NVD configurations as flattened
// CPEMatch entries.
//
// # Untrusted input
//
// Documents are read whole, up to MaxDocument bytes (ErrTooLarge beyond).
// Zip dumps are checked before any record is handed over: at most
// MaxZipEntries entries, none over MaxZipEntry bytes uncompressed (checked
// against the header and again while inflating), none overlapping another
// (the zip-bomb construction). Unknown JSON fields are ignored, since the
// formats evolve; a known field of the wrong JSON type, a missing required
// field, a bad timestamp, an impossible range are errors.
//
// # Errors and partial imports
//
// A parser either returns everything a document holds or an error and
// nothing. Errors are *Error values wrapping ErrMalformed or ErrTooLarge;
// their text names the format, the zip entry, the record id and the JSON
// path of the fault:
//
//	advisory: malformed osv zip entry "GHSA-x.json" "GHSA-x" at $.affected[0].ranges[0].events: range without an introduced event
//
// ReadOSVZip streams records to a callback and stops at the first bad
// entry; the callback must collect the records and the caller commit them
// only after ReadOSVZip returns nil, so that a bad dump imports nothing.
//
// # Decisions
//
//   - Severity.Score is the base score the source states (NVD, CSAF). OSV
//     gives CVSS vectors only and no score is computed from them: Score is
//     0 and Vector is set. GitHub's database_specific.severity becomes a
//     Severity of type SeverityDatabase with only a Rating.
//   - Timestamps are UTC. OSV, KEV's dateReleased and CSAF use RFC 3339;
//     NVD's zone-less "2024-01-01T00:00:00.000" is read as UTC; KEV dates
//     are days (UTC midnight).
//   - Aliases never contain the advisory's own id; OSV related and
//     upstream ids go to Related, not Aliases.
//   - NVD: the English description is Details; a rejected CVE gets
//     Withdrawn. CSAF: see ParseCSAF for how product status becomes
//     Affected (exact versions of known_affected purls, a derived fixed
//     range only where a package has one fixed version).
//   - Range and Event have the shape of version.Range and version.Event
//     (convertible, not aliased: this package uses the standard library
//     only).
package advisory
