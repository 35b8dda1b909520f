// Package restic runs the restic command-line program against a repository
// and parses what it prints: the snapshots, their statistics, an integrity
// check, a file listing, a file's content, a verified test restore.
//
// It is written against restic 0.14 (Debian's package), whose output it was
// checked on, and reads newer versions' output where it is compatible.
//
// # Secrets
//
// The repository password and the backend's credentials (Repo.Password,
// Repo.Env) reach restic only through its environment (RESTIC_PASSWORD and
// the backend's variables), never its command line. The child's environment
// is otherwise minimal: PATH, TMPDIR when set, and HOME and XDG_CACHE_HOME
// pointing at Client.CacheDir. Every excerpt of restic's output that ends up
// in an error or a result has the password and the credential values
// replaced by "[REDACTED]"; a Repo formats itself without its secrets.
//
// # Untrusted output
//
// A repository is data an attacker may control (a compromised backup host,
// a tampered bucket), and restic prints some of it back. Every parser bounds
// the size it reads, checks the identifiers it returns (hexadecimal IDs, so
// that one cannot be taken for a flag when passed back to restic), and
// fails with a clear error rather than guess. Each parser has a fuzz target.
//
// # Integrity checks
//
// A plain `restic check` verifies the repository's structure (index, packs
// listed, snapshots and trees readable) but does not read the data packs
// back: a pack whose content was corrupted or encrypted in place passes it.
// Check therefore takes a --read-data-subset ("100%", "5%", "1/20", "500M")
// so that the packs read are decrypted and their hashes verified; a
// scheduled check that reads a different subset each time ("n/t" with n
// rotating) covers the whole repository over t runs. A verified restore
// (Restore with verify) is the other way to read the data back.
//
// restic 0.14's check has no JSON output. Check reads its exit status and
// its text: "no errors were found" on stdout with exit status 0 is a pass;
// "Fatal: repository contains errors" (or "Fatal: LoadIndex returned
// errors") with a non-zero status is a completed check that found errors,
// listed from stderr; anything else (wrong password, locked repository,
// unreachable backend, timeout) is an error, not a verdict.
//
// # Processes
//
// Each call starts one restic process with exec.CommandContext. When ctx is
// done (or Client.Timeout passes) restic gets an interrupt, so that it can
// remove its lock, and is killed GracePeriod later. Client is safe for
// concurrent use; restic itself serialises access to a repository with
// its locks (ErrLocked).
package restic
