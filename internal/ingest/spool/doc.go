// Package spool is the durable queue between the ingest listeners and the
// event store (DESIGN.md §5): an append-only, checksummed segment log in
// the data directory.
//
// Listeners hand batches to Append (the spool is their ingest.Sink); it
// returns once the batch is written and fdatasynced, with concurrent
// appends sharing one fdatasync (group commit), so a sender is
// acknowledged only for what survives a crash. One consumer reads the
// batches back in order (Next, TryNext, Read) and calls Commit once the
// event store has made them durable; Commit writes a checkpoint and
// deletes wholly committed segments. Open replays everything after the
// checkpoint, cuts a record torn by a crash off the tail and skips (counts
// and logs) corruption elsewhere. Delivery is at least once.
//
// When the uncommitted backlog reaches Options.MaxBacklog, Append blocks
// until Commit frees space: that is the back-pressure that slows TCP and
// HTTP senders. docs/spool.md describes the file format, the guarantees
// and the measured throughput.
package spool
