package syslog

import (
	"strconv"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/ciscoios"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"khien.vn/khien/internal/event"
)

// Field names set by the parser, besides the common ones of package event.
const (
	FieldFacilityCode = "log.syslog.facility.code"
	FieldFacilityName = "log.syslog.facility.name"
	FieldSeverityCode = "log.syslog.severity.code"
	FieldSeverityName = "log.syslog.severity.name"
	FieldPriority     = "log.syslog.priority"
	FieldMsgID        = "log.syslog.msgid"
	FieldVersion      = "log.syslog.version"
	// FieldProcID holds a PROCID that is not a number (a number goes to
	// process.pid).
	FieldProcID = "log.syslog.procid"
	// FieldSequence holds a Cisco IOS sequence number.
	FieldSequence = "event.sequence"
	// FieldTLSClientSubject is the distinguished name of a verified TLS
	// client certificate.
	FieldTLSClientSubject = "tls.client.subject"
	// FieldSDPrefix prefixes RFC 5424 structured data:
	// "syslog.sd.<SD-ID>.<PARAM-NAME>".
	FieldSDPrefix = "syslog.sd."
)

// YearSlack is how far in the future an RFC 3164 timestamp, which has no
// year, may lie before it is taken to belong to the year before: a
// "Dec 31 23:59:58" read on 1 January is last year's, a "Jan  3" read on
// 1 January (a sender's clock a little ahead) is this year's.
const YearSlack = 7 * 24 * time.Hour

// facilityNames are the keywords of the 24 facilities (RFC 5424 table 1,
// as syslog.conf and rsyslog write them).
var facilityNames = [24]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// severityNames are the names of the 8 severities, as ECS writes them
// (log.syslog.severity.name "Error").
var severityNames = [8]string{
	"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
}

// severityLevels are the syslog.conf keywords of the severities, used
// for log.level.
var severityLevels = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// smallInts holds the decimal strings 0–191, so that codes cost no
// allocation.
var smallInts = func() (s [192]string) {
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

// Parser parses single syslog messages (without framing) into events.
// It is not safe for concurrent use: each connection or reader has its
// own. The zero value is not usable; call [NewParser].
type Parser struct {
	rfc5424 gosyslog.Machine
	rfc3164 gosyslog.Machine // RFC 3164, also with RFC 3339 timestamps
	cisco   gosyslog.Machine // Cisco IOS: counters and "*Jan  8 19:46:03.295:"
}

// NewParser returns a parser.
func NewParser() *Parser {
	return &Parser{
		rfc5424: rfc5424.NewMachine(rfc5424.WithBestEffort()),
		rfc3164: rfc3164.NewMachine(
			rfc3164.WithBestEffort(),
			rfc3164.WithYear(rfc3164.Year{YYYY: 0}), // the year is ours to decide
			rfc3164.WithRFC3339(),
			rfc3164.WithSecondFractions(),
			rfc3164.WithLenientDay(),
			rfc3164.WithEmbeddedNewlines(),
		),
		cisco: rfc3164.NewMachine(
			rfc3164.WithBestEffort(),
			rfc3164.WithYear(rfc3164.Year{YYYY: 0}),
			rfc3164.WithCiscoIOSComponents(ciscoios.All),
			rfc3164.WithLenientDay(),
			rfc3164.WithEmbeddedNewlines(),
		),
	}
}

// Parse parses one message received at received (the clock for the
// year of RFC 3164 timestamps and the time of messages that carry none)
// from a sender whose RFC 3164 timestamps are in loc (nil =
// [DefaultLocation]). The event's Message is msg, whole; Source is left
// for the caller. A message that is not syslog is returned with
// ParseError set, never dropped. msg is not retained.
func (p *Parser) Parse(msg []byte, received time.Time, loc *time.Location) event.Event {
	if loc == nil {
		loc = DefaultLocation
	}
	received = received.UTC()
	ev := event.Event{
		Time:     received,
		Received: received,
		Message:  string(msg),
	}
	pri, rest, ok := splitPRI(msg)
	if !ok {
		ev.ParseError = "not syslog: no valid <PRI> at the start of the message"
		return ev
	}
	if isRFC5424(rest) {
		p.parse5424(&ev, pri, msg)
		return ev
	}
	p.parse3164(&ev, pri, msg, rest, loc, received)
	return ev
}

// baseFields is how many fields a parsed message has besides structured
// data: the map is sized once.
const baseFields = 13

// splitPRI reads "<N>" with N in 0–191 (at most 3 digits, no leading
// zero but for "0") and returns N and what follows.
func splitPRI(msg []byte) (pri int, rest []byte, ok bool) {
	if len(msg) < 3 || msg[0] != '<' {
		return 0, nil, false
	}
	i := 1
	for ; i < len(msg) && i <= 4 && msg[i] >= '0' && msg[i] <= '9'; i++ {
		pri = pri*10 + int(msg[i]-'0')
	}
	digits := i - 1
	if digits == 0 || digits > 3 || i >= len(msg) || msg[i] != '>' || pri > 191 || (digits > 1 && msg[1] == '0') {
		return 0, nil, false
	}
	return pri, msg[i+1:], true
}

// isRFC5424 reports whether what follows PRI starts with an RFC 5424
// VERSION ("1 ", at most 3 digits, then a space).
func isRFC5424(rest []byte) bool {
	i := 0
	for ; i < len(rest) && i < 3 && rest[i] >= '0' && rest[i] <= '9'; i++ {
	}
	return i > 0 && rest[0] != '0' && i < len(rest) && rest[i] == ' '
}

func setPriority(ev *event.Event, pri int) {
	fac, sev := pri/8, pri%8
	ev.Fields[FieldPriority] = smallInts[pri]
	ev.Fields[FieldFacilityCode] = smallInts[fac]
	ev.Fields[FieldFacilityName] = facilityNames[fac]
	ev.Fields[FieldSeverityCode] = smallInts[sev]
	ev.Fields[FieldSeverityName] = severityNames[sev]
	ev.Fields[event.FieldLogLevel] = severityLevels[sev]
}

func (p *Parser) parse5424(ev *event.Event, pri int, msg []byte) {
	m, err := p.rfc5424.Parse(msg)
	if err != nil {
		ev.ParseError = "rfc5424: " + err.Error()
	}
	sm, _ := m.(*rfc5424.SyslogMessage)
	params := 0
	if sm != nil && sm.StructuredData != nil {
		for _, el := range *sm.StructuredData {
			params += len(el)
		}
	}
	ev.Fields = make(map[string]string, baseFields+params)
	setPriority(ev, pri)
	if sm == nil {
		return
	}
	if sm.Version > 0 {
		ev.Fields[FieldVersion] = strconv.Itoa(int(sm.Version))
	}
	if sm.Timestamp != nil {
		ev.Time = sm.Timestamp.UTC()
	}
	setString(ev, event.FieldHostName, sm.Hostname)
	setString(ev, event.FieldProcessName, sm.Appname)
	setProcID(ev, sm.ProcID)
	setString(ev, FieldMsgID, sm.MsgID)
	if sm.StructuredData != nil {
		for id, params := range *sm.StructuredData {
			for name, value := range params {
				ev.Set(FieldSDPrefix+id+"."+name, value)
			}
		}
	}
	if sm.Message != nil {
		text := *sm.Message
		if len(text) >= 3 && text[:3] == "\ufeff" { // RFC 5424 §6.4: BOM marks UTF-8
			text = text[3:]
		}
		ev.Set(event.FieldMessage, text)
	}
}

func (p *Parser) parse3164(ev *event.Event, pri int, msg, rest []byte, loc *time.Location, received time.Time) {
	ev.Fields = make(map[string]string, baseFields)
	setPriority(ev, pri)
	sm := parsed3164(p.rfc3164.Parse(msg))
	if sm == nil {
		sm = parsed3164(p.cisco.Parse(msg))
	}
	if sm == nil {
		// RFC 3164 §4.3.3: without a valid TIMESTAMP the rest of the
		// packet is the CONTENT, and the time is the receipt time.
		ev.Set(event.FieldMessage, string(rest))
		return
	}
	ts := *sm.Timestamp
	if ts.Year() == 0 { // "Mmm dd hh:mm:ss": no year, no zone
		ev.Time = resolveStamp(ts, loc, received).UTC()
	} else { // RFC 3339, with its offset
		ev.Time = ts.UTC()
	}
	setString(ev, event.FieldHostName, sm.Hostname)
	if sm.Appname != nil {
		tag := *sm.Appname
		if len(tag) > 1 && tag[0] == '%' { // Cisco "%FACILITY-SEVERITY-MNEMONIC"
			ev.Fields[event.FieldEventCode] = tag[1:]
		} else {
			ev.Set(event.FieldProcessName, tag)
		}
	}
	setProcID(ev, sm.ProcID)
	if sm.Sequence != nil {
		ev.Fields[FieldSequence] = strconv.FormatUint(uint64(*sm.Sequence), 10)
	}
	setString(ev, event.FieldMessage, sm.Message)
}

// parsed3164 returns a message the RFC 3164 machine read fully, with a
// timestamp; nil otherwise.
func parsed3164(m gosyslog.Message, err error) *rfc3164.SyslogMessage {
	sm, _ := m.(*rfc3164.SyslogMessage)
	if err != nil || sm == nil || sm.Timestamp == nil || sm.Priority == nil {
		return nil
	}
	return sm
}

// resolveStamp places an RFC 3164 "Mmm dd hh:mm:ss" timestamp (parsed in
// year 0) in loc and in the latest year that does not put it more than
// [YearSlack] after received. Feb 29 goes to the latest leap year.
func resolveStamp(ts time.Time, loc *time.Location, received time.Time) time.Time {
	now := received.In(loc)
	limit := now.Add(YearSlack)
	for y := now.Year() + 1; y >= now.Year()-8; y-- {
		t := time.Date(y, ts.Month(), ts.Day(), ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond(), loc)
		if t.Month() != ts.Month() { // Feb 29 in a common year
			continue
		}
		if !t.After(limit) {
			return t
		}
	}
	return time.Date(now.Year(), ts.Month(), ts.Day(), ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond(), loc)
}

func setString(ev *event.Event, name string, v *string) {
	if v != nil {
		ev.Set(name, *v)
	}
}

// setProcID puts a numeric PROCID in process.pid and any other in
// log.syslog.procid.
func setProcID(ev *event.Event, v *string) {
	if v == nil || *v == "" {
		return
	}
	if isDigits(*v) {
		ev.Fields[event.FieldProcessPID] = *v
		return
	}
	ev.Fields[FieldProcID] = *v
}

func isDigits(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
