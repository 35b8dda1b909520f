// Package secret keeps credentials that users enter (backup repository
// passwords, cloud access keys, later notification tokens and feed
// passwords) encrypted at rest in the database and masked in memory.
//
// # Threat model
//
// Encryption at rest protects against a stolen or leaked copy of the
// database: an SQL dump, a PostgreSQL replica or backup, a copied khien.db,
// a database administrator browsing tables. Without the key file those
// columns are opaque. Each value is also bound to the row and field it
// belongs to (see Context below), so someone who can write to the database
// but not read the key cannot move a sealed password into another row, for
// example into a repository whose URL they control.
//
// It does not protect against an attacker who controls the running host or
// the Khiên process: they can read the key file, the process memory or the
// credentials as Khiên hands them to restic. Nor does it hide a secret from
// code that calls [Value.Reveal] and then prints the result.
//
// # The key file
//
// The keys live in data_dir/secrets.key ([FileName]), next to the SQLite
// database but never inside it, also when the state store is PostgreSQL.
// [OpenKeyring] creates the file with one fresh random 256-bit key on first
// start (mode 0600, written to a temporary file and linked into place, so a
// concurrent or interrupted start never sees half a file) and afterwards
// refuses to use it if group or others may access it.
//
// Back the key file up, but separately from the database backups: a backup
// that holds both protects nothing, and a database restored without its key
// file has lost every stored credential (users must enter them again).
//
// The format is text, one key per line; blank lines and lines starting with
// "#" are ignored:
//
//	# comment
//	k2 <base64 of 32 random bytes>
//	k1 <base64 of 32 random bytes>
//
// A key id is 1 to 32 characters of [A-Za-z0-9._-]. The first key is the
// current key: it seals new values. Every key listed opens values sealed
// with it.
//
// # Sealed values
//
// [Keyring.Seal] returns a string that is safe to store in a text column:
//
//	v1:<key id>:<base64url, unpadded, of nonce(12) || ciphertext || tag(16)>
//
// The cipher is AES-256-GCM with a random 96-bit nonce per value. The
// additional authenticated data is "khien.secret.v1", a NUL byte, the key
// id, a NUL byte and the caller's context, so the header cannot be altered
// either. The context names where the value belongs, table or kind, row ID
// and field, e.g. "backup.repo:42:password"; [Keyring.Open] must be given
// the same context. Values longer than [MaxSize] bytes are refused.
//
// # Rotation
//
// [Rotate] adds a new current key at the top of the key file and keeps the
// old ones. After a restart new values are sealed with the new key; old
// values still open, and [Keyring.NeedsReseal] reports them so that a job or
// command can rewrite them with [Keyring.Reseal]. Once none is left, the old
// key's line may be deleted from the file. Rotate does not guard against
// a concurrent Rotate of the same file; run it from one place.
//
// # Values in memory
//
// [Value] holds a revealed secret in memory. Printing it with fmt (every
// verb, also inside structs, slices and maps, exported field or not),
// logging it with log/slog, or encoding it as JSON, text or YAML shows
// "********" (or "" when it is empty); [Value.Reveal] is the only way to
// get the secret back. Keep credentials in Values from the moment they are
// read from a form or opened until the moment they are handed to the
// program that uses them.
package secret
