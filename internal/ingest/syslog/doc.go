// Package syslog receives syslog over UDP, TCP and TLS and turns each
// message into an [event.Event] handed to an [ingest.Sink] in batches.
//
// A [Listener] is bound by [Listen] and served by [Listener.Run]. TCP and
// TLS connections detect their framing from their first bytes: octet
// counting (RFC 6587 §3.4.1, "123 <34>1 …") or a delimiter (LF, with CR LF
// and NUL tolerated, RFC 6587 §3.4.2). UDP takes one datagram as one
// message. Every message is parsed by a [Parser]: RFC 5424 or RFC 3164,
// decided per message; a message that cannot be parsed is kept whole with a
// ParseError, never dropped.
//
// Back-pressure follows the ingest contract: events go to one batch per
// listener, which is handed to the sink when it holds BatchSize events or
// BatchBytes bytes, or BatchDelay after its first event; while the sink
// blocks, TCP and TLS connections stop reading (the senders' writes
// eventually block) and UDP datagrams that do not fit are dropped and
// counted in [ingest.Stats].Dropped.
//
// docs/syslog.md describes the listeners, the mapping to ECS fields, the
// time-zone and year rules for RFC 3164 and tested shipper configurations.
package syslog
