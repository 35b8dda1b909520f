package normalize_test

import (
	"maps"
	"strings"
	"testing"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/normalize"
)

var defaultRegistry = normalize.Default()

// tcase is one table-test case: an event in, the parser that must take
// it, fields that must have a value, fields that must be absent, and a
// substring of the expected ParseError ("" = none).
type tcase struct {
	name    string
	ev      event.Event
	parser  string
	want    map[string]string
	absent  []string
	wantErr string
}

// Fields a parser may refine (set again with a better value) although
// the event arrived with them.
var refinable = map[string]bool{
	event.FieldEventCode: true, event.FieldLogLevel: true, event.FieldEventOutcome: true,
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	reg := normalize.Default()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev
			ev.Fields = maps.Clone(tc.ev.Fields)
			before := maps.Clone(ev.Fields)
			msg := ev.Message
			got := reg.Normalize(&ev)
			if got != tc.parser {
				t.Fatalf("parser = %q, want %q", got, tc.parser)
			}
			if ev.Message != msg {
				t.Errorf("Message changed:\n got %q\nwant %q", ev.Message, msg)
			}
			for k, v := range before {
				if nv, ok := ev.Fields[k]; !ok {
					t.Errorf("field %s removed", k)
				} else if nv != v && !refinable[k] && !moved(ev.Fields, k, v) {
					t.Errorf("field %s changed from %q to %q", k, v, nv)
				}
			}
			for k, v := range tc.want {
				if g, ok := ev.Fields[k]; !ok {
					t.Errorf("%s missing, want %q", k, v)
				} else if g != v {
					t.Errorf("%s = %q, want %q", k, g, v)
				}
			}
			for _, k := range tc.absent {
				if g, ok := ev.Fields[k]; ok {
					t.Errorf("%s = %q, want absent", k, g)
				}
			}
			switch {
			case tc.wantErr == "" && ev.ParseError != "":
				t.Errorf("ParseError = %q, want none", ev.ParseError)
			case tc.wantErr != "" && !strings.Contains(ev.ParseError, tc.wantErr):
				t.Errorf("ParseError = %q, want it to contain %q", ev.ParseError, tc.wantErr)
			}
			if t.Failed() {
				for _, k := range ev.FieldNames() {
					t.Logf("  %s = %q", k, ev.Fields[k])
				}
			}
		})
	}
}

// moved reports whether a parser that took process.name/pid for the
// process an event describes kept the sender's value in log.syslog.*.
func moved(f map[string]string, k, v string) bool {
	switch k {
	case "process.name":
		return f["log.syslog.appname"] == v
	case "process.pid":
		return f["log.syslog.procid"] == v
	}
	return false
}

// syslogEvent is what the syslog listener makes of an RFC 3164 line from
// host with the given tag: the MSG part in "message", the tag in
// process.name.
func syslogEvent(host, tag, msg string) event.Event {
	f := map[string]string{
		"log.syslog.priority": "86",
		"log.level":           "info",
		"host.name":           host,
	}
	if msg != "" {
		f["message"] = msg
	}
	header := "<86>Jan 12 10:00:00 " + host + " "
	if tag != "" {
		f["process.name"] = tag
		header += tag + ": "
	}
	return event.Event{Source: event.Source{Kind: event.KindSyslog, Name: "syslog-udp", Addr: "10.0.0.9"},
		Message: header + msg, Fields: f}
}

// rawSyslog is a message after <PRI> that the syslog parser did not split
// (FortiGate, PAN-OS without header): everything in "message".
func rawSyslog(msg string) event.Event {
	ev := event.Event{Source: event.Source{Kind: event.KindSyslog, Name: "syslog-udp", Addr: "10.0.0.1"},
		Message: "<189>" + msg, Fields: map[string]string{"log.syslog.priority": "189", "log.level": "notice"}}
	ev.Set("message", msg)
	return ev
}

// lineEvent is a plain line from a JSON-lines or HEC shipper: no fields.
func lineEvent(line string) event.Event {
	return event.Event{Source: event.Source{Kind: event.KindJSONL, Name: "jsonl"}, Message: line}
}

// winEvent is a Windows event as the EVTX reader or Winlogbeat delivers
// it; data are Name, value pairs of EventData.
func winEvent(channel, provider, code string, data ...string) event.Event {
	f := map[string]string{
		"winlog.channel":       channel,
		"event.provider":       provider,
		"winlog.provider_name": provider,
		"event.code":           code,
		"winlog.event_id":      code,
		"host.name":            "WS-HN-023.corp.example.vn",
		"winlog.computer_name": "WS-HN-023.corp.example.vn",
	}
	for i := 0; i+1 < len(data); i += 2 {
		f["winlog.event_data."+data[i]] = data[i+1]
	}
	return event.Event{Source: event.Source{Kind: event.KindEVTX, Name: "evtx:" + channel},
		Message: "<Event>…</Event>", Fields: f}
}

// csvLine builds a PAN-OS CSV line of n columns from the non-empty ones;
// values with a comma or a quote are quoted as PAN-OS does.
func csvLine(n int, cols map[int]string) string {
	parts := make([]string, n)
	for i, v := range cols {
		if strings.ContainsAny(v, `,"`) {
			v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		parts[i] = v
	}
	return strings.Join(parts, ",")
}
