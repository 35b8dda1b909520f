// Package evtx reads Windows XML Event Log files (.evtx) with the standard
// library only: the file header, the 64 KiB chunks (header, string table,
// template table), the event records and their BinXML (templates,
// substitution values of every type, nested BinXML), giving for each
// record its identifier, time and XML tree; Record.Event maps a record to
// an event.Event (ECS and winlog.* fields, the XML text as Message).
//
// The input is untrusted: every length is checked against the chunk,
// nesting is limited (MaxDepth), template references are checked for
// cycles and the expansion of one record is bounded (MaxNodes,
// MaxTextBytes). A record that cannot be decoded is still delivered, with
// Err set and whatever could be decoded; a corrupt chunk is skipped and
// counted. docs/evtx.md describes the format parts implemented and the
// field mapping.
package evtx
