package spool

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"khien.vn/khien/internal/event"
)

func TestDecodeBatch_Invalid(t *testing.T) {
	valid := encodeOne(t, []event.Event{{Message: "xin chào", Fields: map[string]string{"a": "b"}}})
	tests := []struct {
		name string
		p    []byte
	}{
		{name: "empty", p: nil},
		{name: "bad_version", p: append([]byte{9}, valid[1:]...)},
		{name: "count_too_large", p: binary.LittleEndian.AppendUint32([]byte{codecVersion}, 1<<30)},
		{name: "cut_short", p: valid[:len(valid)-1]},
		{name: "trailing_bytes", p: append(bytes.Clone(valid), 0)},
		{name: "bad_ref", p: append([]byte{codecVersion, 1, 0, 0, 0}, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0)},
		{name: "bad_nanos", p: append([]byte{codecVersion, 1, 0, 0, 0}, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
		{name: "varint_overflow", p: append([]byte{codecVersion, 1, 0, 0, 0}, bytes.Repeat([]byte{0xff}, 11)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if evs, err := decodeBatch(tt.p); err == nil {
				t.Errorf("decodeBatch accepted %x: %+v", tt.p, evs)
			}
		})
	}
}

func TestDecodeBatch_ZeroTime(t *testing.T) {
	evs, err := decodeBatch(encodeOne(t, []event.Event{{}}))
	if err != nil {
		t.Fatal(err)
	}
	if !evs[0].Time.IsZero() || evs[0].Time != (time.Time{}) {
		t.Errorf("zero time came back as %#v", evs[0].Time)
	}
}

// encodeOne returns the payload of the single record encoding batch.
func encodeOne(t testing.TB, batch []event.Event) []byte {
	t.Helper()
	e := newEncoder()
	if err := e.encode(batch, DefaultMaxEventSize); err != nil {
		t.Fatal(err)
	}
	if len(e.recs) != 1 {
		t.Fatalf("%d records", len(e.recs))
	}
	return e.buf[recordHeaderSize:]
}

// FuzzDecodeBatch: arbitrary payloads never panic the decoder, and what it
// accepts encodes and decodes back to the same events.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(encodeOne(f, []event.Event{{Message: "a", Fields: map[string]string{"k": "v", "k2": "v"}}, {Message: "b", Fields: map[string]string{"k": "w"}}}))
	f.Add(encodeOne(f, []event.Event{{Time: time.Unix(1e9, 5), Source: event.Source{Kind: "syslog"}, Message: strings.Repeat("ư", 20)}}))
	f.Add([]byte{codecVersion, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, p []byte) {
		evs, err := decodeBatch(p)
		if err != nil || len(evs) == 0 {
			return
		}
		again, err := decodeBatch(encodeOne(t, evs))
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if diff := cmp.Diff(evs, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip differs:\n%s", diff)
		}
	})
}

// benchEvents returns n events shaped like an sshd failure with 15 ECS
// fields (the same shape as the external tests' realisticEvent).
func benchEvents(n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		t := time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * 1137 * time.Microsecond)
		host := fmt.Sprintf("web-%02d.hanoi.gov.vn", i%17)
		src := fmt.Sprintf("203.0.113.%d", i%251)
		port := strconv.Itoa(1024 + i%60000)
		user := []string{"admin", "root", "nguyenvana", "tranthib", "oracle"}[i%5]
		pid := strconv.Itoa(4000 + i%900)
		evs[i] = event.Event{
			Time: t, Received: t.Add(37 * time.Millisecond), UnitID: int64(1 + i%4),
			Source: event.Source{Kind: event.KindSyslog, Name: "syslog-tcp", Addr: "10.20.30.40"},
			Message: fmt.Sprintf("<38>1 %s %s sshd %s - - Failed password for invalid user %s from %s port %s ssh2",
				t.Format(time.RFC3339Nano), host, pid, user, src, port),
			Fields: map[string]string{
				event.FieldHostName: host, event.FieldHostIP: "10.20.30." + strconv.Itoa(i%17),
				event.FieldEventCode: "4625", event.FieldEventProvider: "sshd", event.FieldEventDataset: "system.auth",
				event.FieldEventModule: "system", event.FieldEventCategory: "authentication",
				event.FieldEventAction: "ssh_login", event.FieldEventOutcome: "failure", event.FieldLogLevel: "warning",
				event.FieldSourceIP: src, event.FieldSourcePort: port, event.FieldUserName: user,
				event.FieldProcessName: "sshd", event.FieldProcessPID: pid,
			},
		}
	}
	return evs
}

// BenchmarkCodec compares the spool's binary encoding of a 1,000-event
// batch with encoding/gob and encoding/json (the alternatives considered).
func BenchmarkCodec(b *testing.B) {
	batch := benchEvents(1000)
	type codec struct {
		name   string
		encode func() []byte
		decode func([]byte) error
	}
	enc := newEncoder()
	codecs := []codec{
		{
			name: "binary",
			encode: func() []byte {
				enc.reset()
				if err := enc.encode(batch, DefaultMaxEventSize); err != nil {
					b.Fatal(err)
				}
				return enc.buf[recordHeaderSize:]
			},
			decode: func(p []byte) error { _, err := decodeBatch(p); return err },
		},
		{
			name: "gob",
			encode: func() []byte {
				var buf bytes.Buffer
				if err := gob.NewEncoder(&buf).Encode(batch); err != nil {
					b.Fatal(err)
				}
				return buf.Bytes()
			},
			decode: func(p []byte) error {
				var out []event.Event
				return gob.NewDecoder(bytes.NewReader(p)).Decode(&out)
			},
		},
		{
			name: "json",
			encode: func() []byte {
				p, err := json.Marshal(batch)
				if err != nil {
					b.Fatal(err)
				}
				return p
			},
			decode: func(p []byte) error {
				var out []event.Event
				return json.Unmarshal(p, &out)
			},
		},
	}
	for _, c := range codecs {
		p := bytes.Clone(c.encode())
		b.Run(c.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.encode()
			}
			b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(len(p))/float64(len(batch)), "B/event")
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.decode(p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(batch)*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
