// Package feed fetches vulnerability advisories over HTTP, for sites with
// Internet access, from the sources that air-gapped sites import as files
// (internal/vuln/advisory parses both): OSV per ecosystem, CSAF 2.0
// providers' directories, CISA's Known Exploited Vulnerabilities
// catalogue, the NVD CVE API 2.0 and FIRST's EPSS scores.
//
// A Fetcher runs every configured feed once per Run, one after the other;
// a scheduler (Schedule, or the application's job runner) calls it every
// few hours. Each feed keeps a vuln.FeedState: a cursor saying where the
// next run starts, and the outcome of the last run. Feeds are independent:
// one failing is recorded in its state (LastError) and the others run all
// the same. A cursor advances only over what has been stored, so a failed
// run is repeated by the next one; storing is idempotent (an advisory
// replaces the stored one only when newer).
//
// # Feeds
//
//   - "osv:<ecosystem>": the first run (no cursor) fetches
//     {OSVBase}/{ecosystem}/all.zip; later runs fetch the ecosystem's
//     modified_id.csv and then only the records modified after the cursor,
//     {OSVBase}/{ecosystem}/{id}.json, or all.zip again when more than
//     Config.OSVMaxChanged records changed. The cursor is the newest
//     modification time seen, and the validator of the modified_id.csv
//     whose changes were all stored (see Conditional requests). Ecosystems are named as in the bucket's
//     ecosystems.txt ("Debian", "Ubuntu", "Red Hat", "npm", "PyPI",
//     "Maven"…): the bucket keeps each distribution's releases in one
//     directory ("Debian" holds the records of Debian:11 and Debian:12;
//     the per-release directories such as "Debian:12" are no longer
//     updated). Names are path-escaped ("Red Hat" is "Red%20Hat").
//   - "csaf:<host><path>": a CSAF 2.0 provider's directory-based
//     distribution (CSAF 2.0 §7.1.11–7.1.13: documents under year
//     folders, changes.csv at the root listing
//     "<path>","<current_release_date>" newest first), such as Red Hat's
//     https://security.access.redhat.com/data/csaf/v2/advisories/. The
//     name is the URL's host and path without scheme, user information
//     or trailing slash (cut to 255 bytes, ending in a hash of the whole,
//     when longer); a URL with a query or fragment is refused. Each run
//     fetches changes.csv (at most MaxCSAFChanges bytes) and takes each
//     document listed once, at its latest time: those changed after the
//     cursor, or on the first run those changed in the last
//     Config.CSAFFirstDays days (90 by default: a provider has tens of
//     thousands, older ones are imported as files, format "csaf"), oldest
//     first, at most Config.CSAFMaxPerRun (1,000) per run; the next run
//     goes on from there. A run never stops between documents of the same
//     time, since the cursor could not tell them apart: the cap falls
//     before them, or, when the oldest time alone has more documents than
//     the cap, the run takes them all. Documents are fetched 4 at a time
//     and their advisories (advisory.ParseCSAF: one per CVE) stored 100
//     documents at a time, in order. The cursor is the changes.csv time of
//     the newest document stored. When a document fails (unreachable,
//     too large, malformed, or its hash differs), the run stops there:
//     the documents before it are kept and the cursor advances over them
//     (not into a time some of whose documents are not stored); it and
//     the later ones are fetched again by the next run. A run that took
//     every change listed keeps changes.csv's validator in the cursor
//     (not one stopped by the cap or a failure). A document that
//     stays missing stops the feed until the provider mends it;
//     LastError names it. When the first run finds nothing within its
//     days, the cursor is the newest time listed. A document whose
//     current_release_date is before its changes.csv time (a stale copy
//     in a cache) is stored all the same and logged as a warning, once
//     per run. index.txt, ROLIE feeds and provider-metadata.json are not
//     read.
//   - "kev": the catalogue JSON, stored whole (Sink.StoreKEV)
//     unless its catalogVersion is the cursor's. The request is
//     conditional.
//   - "nvd": the CVE API 2.0 by last-modification date
//     (lastModStartDate/lastModEndDate, split into windows of at most 120
//     days, which is all the API accepts), paged with startIndex and
//     resultsPerPage (2000) until totalResults, waiting Fetcher.Pause
//     between requests (NVD allows 5 requests in 30 s without an API key,
//     50 with one). The cursor is the end of the last window stored; a
//     run starts an hour before it, as NVD's records can show up in the
//     API a little after their lastModified. The first run fetches only
//     the last Config.NVDFirstDays days (120 by default): the full NVD
//     (some 300,000 CVEs) is loaded offline, by importing NVD responses
//     as files (vuln.Service.ImportAdvisories, format "nvd", each file at
//     most 32 MiB), after which the feed keeps up. (A large NVDFirstDays
//     also loads it all, window by window: some 150 pages plus a request
//     per 120 days, about 25 minutes at the pace without an API key.)
//   - "epss": the day's scores file (gzip CSV), stored whole
//     (Sink.StoreEPSS) unless its score date is the cursor's. The
//     request is conditional.
//
// # Retries
//
// A request is repeated after a transient failure: HTTP 429, 502, 503 or
// 504, or the connection reset, closed or timed out before a response.
// It waits as the response's Retry-After says (seconds, or an HTTP date
// read against Fetcher.Now), else Fetcher.RetryWait (2 s) doubled at
// each retry, give or take a quarter (2, 4, 8 s); Fetcher.Retries (3)
// times at most, so 4 attempts. No wait is over Fetcher.MaxRetryWait
// (2 min): a Retry-After asking for longer fails the request at once
// (the next run tries again), as does one the feed's remaining time
// (FeedTimeout) cannot wait for. Retries of NVD requests wait at least
// Fetcher.Pause, so that they keep to its rate limit. Nothing else is
// retried: not another status (a 403 included: NVD documents its rate
// limits but not the answer to a request over them, and also answers a
// bad API key with a 403; the pause keeps under the limits), not a
// refused connection or an unknown host, and never a response whose
// body was being read (a body cut short fails the feed's run, which the
// next run repeats). When ctx ends during a wait, the request returns at
// once with ctx's cause. Each retry is logged (Warn: the URL without
// user information, the error, the attempt and the wait; never the API
// key).
//
// # Conditional requests
//
// The cursors of "kev" and "epss", and those of "osv:<ecosystem>" and
// "csaf:<host><path>" for modified_id.csv and changes.csv, keep the
// validator of the response their data came from: its ETag, else its
// Last-Modified (an ETag of printable ASCII without spaces, at most 256
// bytes; a valid HTTP date), after the cursor proper:
// `2025.03.18 etag="5f2a"`, `2025-03-16T12:55:00Z last-modified=Sun, 16
// Mar 2025 13:00:00 GMT`. The next request carries it (If-None-Match,
// else If-Modified-Since); a 304 stores nothing, keeps the cursor (with
// the ETag the 304 may bring anew) and records the run as a success that
// wrote nothing, logged as "vuln feed not modified". A cursor without a
// validator (as stored before conditional requests, or when the server
// sent none) still reads, and the request is then unconditional; so is
// one with a validator that is not usable. A failed run gains no
// validator: KEV, EPSS and OSV keep the cursor they started with; a
// CSAF run that stored part of its documents advances its cursor without
// one.
//
// # Untrusted input
//
// Every response must be 2xx, or 304 to a conditional request (else,
// after any retries, a *StatusError naming the URL, the status and a
// short excerpt of the body) and at most Fetcher.MaxBytes
// (else an error wrapping ErrTooLarge); the parsers of
// internal/vuln/advisory then apply their own limits (documents of 32 MiB,
// zip entries and zip bombs, 256 MiB of EPSS once decompressed). A
// malformed document stores nothing of that document. An all.zip is
// spooled to a temporary file, checked whole (every record parsed), then
// stored in batches of 5,000; per-record fetches of an incremental OSV run
// are stored together, as are the scores of an EPSS file and the KEV
// catalogue. An NVD page larger than the parser's 32 MiB is fetched again
// with half as many results per page.
//
// A CSAF directory's changes.csv is parsed strictly: every line but blank
// ones is two double-quoted fields separated by a comma, a path and an
// RFC 3339 time; the path must be relative and clean (no empty, "." or
// ".." segment, no leading "/"), of ASCII letters, digits and "+-_./" only
// (so no scheme, query, percent-escape or backslash), and end in ".json".
// Any other line fails the run, naming the line, and nothing is fetched.
// A CSAF document may be at most advisory.MaxDocument (32 MiB). When the
// provider publishes a hash file next to it (CSAF 2.0 §7.1.18:
// <file>.sha256, else <file>.sha512: the hash in hex, then optionally
// white space and the file name; at most 4 KiB), the document must have
// that hash, or the run fails with an error wrapping ErrHashMismatch
// that names it; a hash file that answers 404 or 410 is taken as not
// published and the document as it is. OpenPGP signatures (<file>.asc,
// §7.1.19) are not checked: hash files from the same server guard
// against corruption, not against a forged server.
//
// Error texts name URLs without user information and never contain the
// NVD API key, which is sent as the apiKey header.
package feed
