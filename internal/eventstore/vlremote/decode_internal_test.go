package vlremote

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// pairs decodes a row into its name-value pairs, the last of a name
// winning (as encoding/json does).
func pairs(line []byte) (map[string]string, error) {
	d := jsonObject{b: line}
	if err := d.begin(); err != nil {
		return nil, err
	}
	m := map[string]string{}
	for {
		name, value, ok, err := d.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return m, nil
		}
		m[name] = value
	}
}

var rowSeeds = []string{
	`{"_time":"2026-01-02T03:04:05.123456789Z","_msg":"hello","khien.unit":"3","host.name":"web01"}`,
	`{"_msg":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\udd12\ud800x"}`,
	`{ "a" : "b" , "c":"" }`,
	`{"host.name":"web01","n":"30"}`,
	`{}`,
	`{"a":1}`,
	`{"a":"b"`,
	`{"a":"b"} x`,
	`cannot execute query: the query exceeded -search.maxQueryDuration`,
	`{"a":"\u12"}`,
	`{"a":"b",}`,
	"{\"a\":\"\xff\xfe\"}",
}

func FuzzDecodeRow(f *testing.F) {
	for _, s := range rowSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := decodeRow(line, true, "")
		if err != nil {
			if !errors.Is(err, errs.ErrUnavailable) && !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("decodeRow error %v wraps no errs kind", err)
			}
		} else if ev.Fields != nil && len(ev.Fields) == 0 {
			t.Errorf("empty Fields map")
		}
		mine, mineErr := pairs(line)
		if !utf8.Valid(line) {
			return // encoding/json replaces invalid UTF-8; the store keeps it
		}
		var std map[string]any
		stdErr := json.Unmarshal(line, &std)
		if stdErr != nil {
			if mineErr == nil {
				t.Errorf("%q: accepted, encoding/json says %v", line, stdErr)
			}
			return
		}
		strs := map[string]string{}
		for k, v := range std {
			s, ok := v.(string)
			if !ok {
				if mineErr == nil {
					t.Errorf("%q: accepted a %T value", line, v)
				}
				return
			}
			strs[k] = s
		}
		if mineErr != nil {
			t.Fatalf("%q: %v, encoding/json accepts it", line, mineErr)
		}
		if diff := cmp.Diff(strs, mine); diff != "" {
			t.Errorf("%q (-encoding/json +decoder):\n%s", line, diff)
		}
	})
}

func FuzzEncodeRow(f *testing.F) {
	f.Add("web01", "Đăng nhập thất bại \"x\"\n\t\\", "user.name", "Nguyễn Văn Ánh", "_msg", "\x00\x1f\x7f\xff")
	f.Add("", "", "khien.unit", "spoofed", "", "v")
	f.Fuzz(func(t *testing.T, host, msg, name1, value1, name2, value2 string) {
		ev := event.Event{
			Time:    time.Unix(1_800_000_000, 123456789).UTC(),
			UnitID:  42,
			Source:  event.Source{Kind: "syslog", Name: "n", Addr: "a"},
			Message: msg,
		}
		ev.Set(event.FieldHostName, host)
		ev.Set(name1, value1)
		ev.Set(name2, value2)
		enc := newRowEncoder(serverConfig{maxFieldsPerLine: 1 << 20, maxLineSize: 1 << 30})
		line, ok := enc.encode(&ev, ev.Time.UnixNano())
		if !ok {
			for name := range ev.Fields {
				if len(eventstore.StoredFieldName(name)) > eventstore.MaxFieldNameSize {
					return
				}
			}
			t.Fatalf("encode refused %+v", ev)
		}
		if bytes.Count(line, []byte{'\n'}) != 1 || line[len(line)-1] != '\n' {
			t.Fatalf("not one line: %q", line)
		}
		if utf8.Valid(line) && !json.Valid(line) {
			t.Fatalf("invalid JSON: %q", line)
		}
		got, err := decodeRow(line[:len(line)-1], false, "")
		if err != nil {
			t.Fatalf("decodeRow(%q): %v", line, err)
		}
		if diff := cmp.Diff(ev, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	})
}

func TestRowReaderServerError(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		want error
	}{
		"timeout": {"{\"_msg\":\"a\"}\n\nthe request couldn&#39;t be executed in 1.000 seconds; possible solutions: to increase -search.maxQueryDuration=30s\n", eventstore.ErrTimeout},
		"memory":  {"{\"_msg\":\"a\"}\n\ncannot execute query [*]: not enough memory\n", errs.ErrUnavailable},
		"eof":     {"{\"_msg\":\"a\"}\n{\"_msg\":\"b\"}", io.EOF},
	} {
		rr := newRowReader(strings.NewReader(tc.body), false, "")
		var err error
		n := 0
		for err == nil {
			if _, err = rr.next(); err == nil {
				n++
			}
		}
		if !errors.Is(err, tc.want) || n < 1 {
			t.Errorf("%s: %d rows, then %v; want %v", name, n, err, tc.want)
		}
		if name == "timeout" && !strings.Contains(err.Error(), "couldn't be executed") {
			t.Errorf("%s: message not unescaped: %v", name, err)
		}
	}
}
