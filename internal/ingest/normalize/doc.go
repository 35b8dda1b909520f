// Package normalize maps events from known sources to Elastic Common Schema
// (ECS) field names: Windows Security, Sysmon, PowerShell and Defender
// events, Linux sshd, sudo and auditd, FortiGate, PAN-OS and Cisco ASA
// firewalls, nginx/Apache access logs and BIND / Windows DNS query logs.
//
// A [Registry] holds [Parser]s in order; [Registry.Normalize] gives an event
// to the first parser whose Match accepts it. Parsers only add fields: the
// fields an event arrived with stay (a source's own fields under its vendor
// namespace: winlog.event_data.*, fortinet.firewall.*, panw.panos.*,
// cisco.asa.*, auditd.log.*), Event.Message is never changed, and an event a
// parser cannot read is kept with Event.ParseError saying what failed.
//
// Every value is a string (package event). An ECS field that is a list
// (event.category, event.type, dns.header_flags…) holds its value when it has
// one, and the JSON text of the list when it has several
// (`["connection","end"]`), as ingest.Flatten keeps JSON arrays.
//
// Parsers read the syslog MSG part (field "message") when the event has one,
// otherwise Event.Message, so they work on syslog events and on plain lines
// (JSON lines, HEC, bulk) alike. See docs/normalize.md.
package normalize
