// Package ransom looks for signs that a backup snapshot holds data
// encrypted by ransomware, by comparing it with the previous snapshot of
// the same system. Its purpose is twofold: to raise an alert when the
// latest backup shows an attack in progress, and to tell, after an
// attack, which snapshot is the last clean one to restore.
//
// # Inputs
//
// The caller lists the files of both snapshots (path, size, modification
// time: `restic ls --json`), asks [Pick] which changed files are worth
// reading, reads a bounded sample of each with [Sample] (random access,
// 3 × 16 KiB: head, middle, tail) or [SampleHead] (a stream such as
// `restic dump`, stopped after 48 KiB), and calls [Compare]. Pick chooses
// at most Options.MaxSamples files of the new snapshot — modified files
// and rename targets first, spread evenly over the tree — and the previous
// version of each, so that a night costs at most a few MiB of reads
// whatever the size of the system. All functions are pure: no I/O besides
// the readers given to the samplers, no goroutines, safe for concurrent
// use.
//
// # Content: what encrypted data looks like
//
// Ciphertext from a modern cipher (AES-CTR or -GCM, ChaCha20, Salsa20 — what
// ransomware uses for file data) is indistinguishable from uniformly random
// bytes. [Looks] classifies a sample in this order:
//
//   - a known magic number at the start (zip and the Office formats built
//     on it, gzip, bzip2, xz, zstd, lz4, 7z, rar, cab, png, jpeg, gif,
//     tiff, webp, wav, avi, mp4/mov/heic, mkv/webm, ogg, flac, mp3, pdf,
//     OLE2 (.doc, .xls, and password-protected Office files), SQLite, ELF,
//     PE, and the deliberately encrypted age, KeePass and LUKS containers)
//     → KnownFormat;
//   - valid UTF-8 or UTF-16 text → PlainText;
//   - under Options.MinSampleBytes (1 KiB) → Undecided;
//   - Shannon entropy ≥ Options.MinEntropy (7.5 bits per byte) AND Pearson's
//     χ² against uniform bytes ≤ Options.MaxChiSquare (350) → EncryptedLike;
//   - high entropy but a larger χ² → Dense; otherwise → Binary.
//
// Why these thresholds. Text has an entropy of 4–5.5 bits per byte,
// executables and databases 5–7; compressed and encrypted data exceed 7.9
// over a few KiB. Entropy is biased low on short inputs (random bytes give
// about 8 − 184/n: 7.82 over 1 KiB), hence 7.5 and the 1 KiB minimum.
// Entropy alone cannot tell ciphertext from compressed data, and most of a
// file server is compressed: Office files are zip archives, PDFs are
// mostly Flate streams, photos and videos are compressed. The magic number
// is what excludes them, which is why it is checked first. χ² is a second,
// weaker filter: for random bytes it follows a χ² law with 255 degrees of
// freedom (255 ± 23; 350 is exceeded about once in 14,000 samples), while
// image data and most compressed streams keep enough structure to score
// 400 to several thousand over 48 KiB — but a raw Deflate stream scores
// 340–600 there, on the threshold or just above, and passes over a few
// KiB.
//
// Looks trims Options.MaxOverhead bytes from each end of the sample before
// its statistics, where a ransomware header or footer (a marker, the
// wrapped file key, the original name) would sit, and also tests the first
// 4 KiB alone when the rest is of ordinary entropy: several families
// encrypt only the beginning of big files.
//
// So the signal is not "this file is high-entropy" but a change: a file
// that was text, a known format or an ordinary binary in the previous
// snapshot (by its sample, or failing that by its name: a .docx, a .txt) is
// now encrypted-like, or is now high-entropy without the magic number its
// name promises (what a fast mode leaves of a big archive or video).
// Files whose extension is meant to hold opaque data without a magic
// number (VeraCrypt volumes, binary OpenPGP, Brotli; the "opaque" entries
// of indicators.txt) are not counted, nor are files under
// Options.SkipPrefixes (another backup tool's repository, say).
//
// # Names
//
// Ransomware renames what it encrypts, and leaves notes. Compare reports:
//
//   - mass renames: a file gone and a file new in the same directory, whose
//     name is the old one plus extensions ("a.docx.lockbit",
//     "a.docx.id[…].[mail].phobos") or the old stem with another extension,
//     whose size differs by at most Options.MaxOverhead (1 KiB: the
//     headers and footers described for common families are a few hundred
//     bytes), and whose new extension
//     was never seen on the system (or is a known ransomware one) and is
//     not a benign suffix (".bak", ".old", ".1", "~"…: log rotation and
//     editors rename files too);
//   - new extensions: an extension absent from the previous snapshot
//     carried by at least 10 new files at once;
//   - known ransomware extensions and ransom-note file names, kept as data
//     in indicators.txt (embedded; its header says where the entries come
//     from and what was left out on purpose, such as ".djvu").
//
// # Losses
//
// Deleted files (gone and not renamed) and a fall of the total size are
// reported too, but weigh little: a mass deletion may be a wiper or an
// attacker covering tracks, but also a clean-up; it is not encryption.
// Deleted or pruned snapshots are the business of the tampering checks,
// not of this package.
//
// # Score
//
// Each signal has a weight and an Options Threshold: nothing below Min
// files, then a strength growing linearly to 1 at Files files or at Ratio
// of its population, whichever comes first (counts matter on big file
// servers, ratios on small systems). Points = weight × strength, Score =
// their sum capped at 100, Suspicious = Score ≥ 50.
//
//	signal             weight  Min  Files  Ratio  of
//	encrypted_content      60    3     10   0.30  sampled changed files
//	encrypted_new          30    5     50   0.50  sampled changed files
//	mass_rename            40    3     50   0.10  previous snapshot
//	new_extension          20   10    100   0.10  new snapshot
//	ransom_extension       50    1      5      -
//	ransom_note            50    1      2      -
//	mass_deletion          30   10  10000   0.30  previous snapshot
//	size_drop              10   total size fell by 30 % or more
//
// So content, known extensions or ransom notes suffice alone; renames need
// corroboration (a shared new extension, content, notes); deletion and
// size drop never make a snapshot suspicious alone. Every signal carries
// its count, ratio, points, up to 20 example paths and a reason in
// English and Vietnamese.
//
// # Limits
//
// These are heuristics against an adversary who can read them.
//
//   - Compression without a container (raw Deflate, Brotli, LZMA) looks
//     like encryption; so do VeraCrypt volumes, key files and other backup
//     tools' repositories. The opaque list and SkipPrefixes cover the
//     common cases; the others need a readable previous version to count.
//   - A file is changed when its size or modification time changed.
//     Encryption that keeps both, or content that is unchanged but was never
//     sampled, is invisible to the content signals.
//   - Samples are 48 KiB of head, middle and tail. Intermittent encryption
//     (every n-th block) or encryption that spares the first 4 KiB and the
//     sampled blocks is missed by content; so is ciphertext that is
//     re-encoded to lower its entropy (Base64 gives 6 bits per byte and
//     passes for text), or prefixed with a fake magic number.
//   - Files under 1 KiB are not judged by content.
//   - Renames are matched within one directory only; families that rename
//     files to random names are seen through new extensions, content and
//     deletions instead. Extension and note lists go stale, and many
//     families pick a random extension per victim.
//   - A snapshot is taken after the fact: this tells that backups hold
//     encrypted data and which one is the last clean, it does not stop an
//     attack. Detection of the attack itself belongs to the detection rules.
package ransom
