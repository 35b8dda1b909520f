// Package flatjson decodes one JSON object — typically one JSON line — into
// flattened leaves without building a tree and, in steady state, without
// allocating. It is the fast form of ingest.DecodeJSON followed by
// ingest.Flatten (as jsonl.Line uses them), and it gives the same result:
//
//   - the document must be an object: a top-level array or scalar is an
//     error (ErrNotObject);
//   - nested objects flatten to dotted names: {"host":{"name":"a"}} gives
//     host.name = a;
//   - strings are unescaped as encoding/json does it, each invalid UTF-8
//     byte and each lone surrogate escape becoming U+FFFD;
//   - numbers keep their text as written, booleans are true or false, and
//     nulls are left out, as are empty keys with their whole subtree;
//   - an array is kept as its JSON text exactly as json.Marshal writes the
//     decoded []any: compact, object keys sorted and deduplicated, <, >, &,
//     U+2028 and U+2029 escaped, numbers as written;
//   - a member inside more than MaxDepth objects (ErrTooDeep), more than
//     MaxFields fields (ErrTooManyFields), and arrays and objects nested
//     more than MaxNesting deep (ErrSyntax) fail;
//   - within one object a later duplicate key replaces the earlier member
//     and its whole subtree, as the map assignment in encoding/json does:
//     the earlier member is not reported at all.
//
// # How
//
// Decoder.Decode makes two passes. The first checks the whole line and
// records each member of the objects to flatten (key and value offsets,
// kind) in a reused slice, marking the members a later duplicate replaces;
// strings are scanned eight bytes at a time. The second walks that record
// and calls the caller's function with the dotted key (built in a reused
// buffer) and the value, which aliases the line unless it had to be
// unescaped or, for an array, re-encoded into a reused buffer. Arrays that
// hold arrays and objects nested more than 32 deep are re-encoded with
// encoding/json, the one path that allocates. Time grows linearly with the
// line (n log n for the keys of objects inside arrays): duplicate keys are
// found with a small Bloom filter per object and, past 64 members, a
// seeded hash table.
//
// A Decoder's buffers grow to the largest document it has seen; drop the
// Decoder to release them.
//
// # Parity notes
//
// Where the reference is odd, Decode keeps its behaviour on purpose:
//
//   - after the object and optional white space, anything that starts with
//     ']' or '}' is ignored ({"a":1}]x decodes), because json.Decoder.More
//     reports no further value there; any other trailing data is an error;
//   - the field limit is checked, as in ingest.Flatten, before each member
//     (null and object members included) against the fields already
//     written, so a flat object of exactly MaxFields+1 leaves still decodes;
//   - ingest.Flatten itself accepts a top-level scalar and writes nothing;
//     like jsonl.Line, Decode rejects it (ErrNotObject);
//   - a dotted key can equal a nested one ({"a.b":1,"a":{"b":2}}): the
//     reference's value then depends on map iteration order, while Decode
//     reports both leaves in document order (Flatten keeps the last), and
//     counts both against MaxFields where the reference counts one key.
package flatjson
