package normalize_test

import (
	"errors"
	"strings"
	"testing"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/normalize"
)

func TestBuiltin_order(t *testing.T) {
	var names []string
	for _, p := range normalize.Builtin() {
		names = append(names, p.Name())
	}
	want := "windows-security sysmon powershell defender fortigate panos cisco-asa sshd sudo auditd bind windows-dns squid access-log"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("order = %s\nwant    %s", got, want)
	}
}

// stub is a parser whose behaviour a test chooses.
type stub struct {
	name  string
	match bool
	err   error
	panic bool
}

func (s stub) Name() string            { return s.name }
func (s stub) Dataset() string         { return "stub.test" }
func (s stub) Match(*event.Event) bool { return s.match }
func (s stub) Parse(e *event.Event) error {
	e.Set("stub.seen", "yes")
	if s.panic {
		panic("boom")
	}
	return s.err
}

func TestRegistry_Normalize(t *testing.T) {
	tests := []struct {
		name       string
		parsers    []normalize.Parser
		parseError string // already on the event
		wantName   string
		wantErr    string
		wantFields map[string]string
	}{
		{
			name:     "first_match_wins",
			parsers:  []normalize.Parser{stub{name: "a"}, stub{name: "b", match: true}, stub{name: "c", match: true, err: errors.New("never")}},
			wantName: "b",
			wantFields: map[string]string{
				"event.dataset": "stub.test", "event.module": "stub", "event.kind": "event", "stub.seen": "yes",
			},
		},
		{
			name:     "no_match",
			parsers:  []normalize.Parser{stub{name: "a"}},
			wantName: "",
		},
		{
			name:       "error_kept_with_fields",
			parsers:    []normalize.Parser{stub{name: "a", match: true, err: errors.New("bad srcip")}},
			wantName:   "a",
			wantErr:    "normalize a: bad srcip",
			wantFields: map[string]string{"stub.seen": "yes", "event.dataset": "stub.test"},
		},
		{
			name:       "error_appended",
			parsers:    []normalize.Parser{stub{name: "a", match: true, err: errors.New("bad")}},
			parseError: "message truncated to 65536 of 70000 bytes",
			wantName:   "a",
			wantErr:    "message truncated to 65536 of 70000 bytes; normalize a: bad",
		},
		{
			name:       "panic_recovered",
			parsers:    []normalize.Parser{stub{name: "a", match: true, panic: true}},
			wantName:   "a",
			wantErr:    "normalize a: internal error: boom",
			wantFields: map[string]string{"stub.seen": "yes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event.Event{Message: "raw line", ParseError: tt.parseError,
				Fields: map[string]string{"host.name": "h1"}}
			got := normalize.New(tt.parsers...).Normalize(&ev)
			if got != tt.wantName {
				t.Errorf("Normalize = %q, want %q", got, tt.wantName)
			}
			if ev.Message != "raw line" || ev.Fields["host.name"] != "h1" {
				t.Errorf("event lost what it came with: %+v", ev)
			}
			wantErr := tt.wantErr
			if wantErr == "" {
				wantErr = tt.parseError
			}
			if ev.ParseError != wantErr {
				t.Errorf("ParseError = %q, want %q", ev.ParseError, wantErr)
			}
			for k, v := range tt.wantFields {
				if ev.Fields[k] != v {
					t.Errorf("%s = %q, want %q", k, ev.Fields[k], v)
				}
			}
			if tt.wantName == "" && len(ev.Fields) != 1 {
				t.Errorf("unmatched event changed: %v", ev.Fields)
			}
		})
	}
}

func TestRegistry_NormalizeNilFields(t *testing.T) {
	ev := event.Event{Message: `%ASA-6-605005: Login permitted from 10.1.1.50/51234 to inside:10.1.1.1/https for user "admin"`}
	if got := normalize.Default().Normalize(&ev); got != "cisco-asa" {
		t.Fatalf("Normalize = %q", got)
	}
	if ev.Fields["user.name"] != "admin" || ev.ParseError != "" {
		t.Errorf("fields %v, error %q", ev.Fields, ev.ParseError)
	}
}

func TestRegistry_NormalizeBatch(t *testing.T) {
	batch := []event.Event{
		syslogEvent("web01", "sshd", "Accepted password for alice from 203.0.113.5 port 52144 ssh2"),
		syslogEvent("web01", "sshd", "Accepted password for alice from 203.0.113.999 port 52144 ssh2"),
		lineEvent("nothing we know"),
	}
	if n := normalize.Default().NormalizeBatch(batch); n != 1 {
		t.Errorf("parse errors = %d, want 1", n)
	}
	if batch[0].Fields["event.outcome"] != "success" || batch[2].Fields != nil {
		t.Errorf("batch not normalised in place: %v / %v", batch[0].Fields, batch[2].Fields)
	}
}
