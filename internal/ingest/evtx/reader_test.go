package evtx_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/evtx"
)

func readBytes(t *testing.T, data []byte) ([]evtx.Record, *evtx.Reader) {
	t.Helper()
	rd, err := evtx.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var recs []evtx.Record
	if err := rd.Records(t.Context(), func(r evtx.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return recs, rd
}

var t0 = time.Date(2025, 11, 27, 7, 40, 10, 165324700, time.UTC)

// oneRecord builds a file with one record of the System template and the
// given payload.
func oneRecord(payload func(w *chunkWriter)) []byte {
	w := newChunkWriter()
	ev := sysEvent{provider: "Microsoft-Windows-Security-Auditing", eventID: 4688, level: 0,
		keywords: 0x8020000000000000, time: t0, recordID: 571146, channel: "Security",
		computer: "dc1.example.org", payload: payload}
	w.record(7, t0.Add(time.Second), func(w *chunkWriter) {
		w.fragment()
		w.instance(0, systemTemplate, ev.values())
		w.eof()
	})
	return evtxFile(w.bytes())
}

func TestRecord_Event(t *testing.T) {
	payload := eventDataTemplate(
		[]string{"SubjectUserSid", "NewProcessName", "", "", "CommandLine", "Empty"},
		[]tv{{typ: vSID, data: sidBytes(5, 21, 1004336348, 1177238915, 682003330, 512)},
			str(`C:\Windows\System32\cmd.exe`), str("unnamed one"), u32v(42),
			str(`cmd.exe /c "echo a<b & c>d" `), null()})
	recs, rd := readBytes(t, oneRecord(payload))
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	rec := recs[0]
	if rec.Err != nil {
		t.Fatal(rec.Err)
	}
	if rec.ID != 571146 || rec.HeaderID != 7 || !rec.Time.Equal(t0) || !rec.Written.Equal(t0.Add(time.Second)) || rec.Chunk != 0 {
		t.Errorf("record = id %d header id %d time %v written %v chunk %d", rec.ID, rec.HeaderID, rec.Time, rec.Written, rec.Chunk)
	}
	wantXML := `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>` +
		`<Provider Name='Microsoft-Windows-Security-Auditing' Guid='{5770385F-C22A-43E0-BF4C-06F5698FFBD9}'/>` +
		`<EventID>4688</EventID><Version>5</Version><Level>0</Level><Task>1</Task><Opcode>0</Opcode>` +
		`<Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='2025-11-27T07:40:10.1653247Z'/>` +
		`<EventRecordID>571146</EventRecordID><Correlation/><Execution ProcessID='3544' ThreadID='4272'/>` +
		`<Channel>Security</Channel><Computer>dc1.example.org</Computer><Security UserID='S-1-5-18'/></System>` +
		`<EventData><Data Name='SubjectUserSid'>S-1-5-21-1004336348-1177238915-682003330-512</Data>` +
		`<Data Name='NewProcessName'>C:\Windows\System32\cmd.exe</Data><Data>unnamed one</Data><Data>42</Data>` +
		`<Data Name='CommandLine'>cmd.exe /c "echo a&lt;b &amp; c&gt;d" </Data><Data Name='Empty'/></EventData></Event>`
	if diff := cmp.Diff(wantXML, rec.XML.XML()); diff != "" {
		t.Errorf("XML (-want +got):\n%s", diff)
	}

	ev := rec.Event("evtx:Security.evtx")
	want := event.Event{
		Time:    t0,
		Source:  event.Source{Kind: event.KindEVTX, Name: "evtx:Security.evtx"},
		Message: wantXML,
		Fields: map[string]string{
			"@timestamp":                       "2025-11-27T07:40:10.1653247Z",
			"event.code":                       "4688",
			"event.provider":                   "Microsoft-Windows-Security-Auditing",
			"event.outcome":                    "success",
			"host.name":                        "dc1.example.org",
			"log.level":                        "information",
			"winlog.channel":                   "Security",
			"winlog.computer_name":             "dc1.example.org",
			"winlog.event_id":                  "4688",
			"winlog.keywords":                  "0x8020000000000000",
			"winlog.opcode":                    "0",
			"winlog.process.pid":               "3544",
			"winlog.process.thread.id":         "4272",
			"winlog.provider_guid":             "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
			"winlog.provider_name":             "Microsoft-Windows-Security-Auditing",
			"winlog.record_id":                 "571146",
			"winlog.task":                      "1",
			"winlog.user.identifier":           "S-1-5-18",
			"winlog.version":                   "5",
			"winlog.event_data.SubjectUserSid": "S-1-5-21-1004336348-1177238915-682003330-512",
			"winlog.event_data.NewProcessName": `C:\Windows\System32\cmd.exe`,
			"winlog.event_data.param1":         "unnamed one",
			"winlog.event_data.param2":         "42",
			"winlog.event_data.CommandLine":    `cmd.exe /c "echo a<b & c>d" `,
		},
	}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	if st := rd.Stats(); st != (evtx.Stats{Chunks: 1, ChunksDone: 1, Records: 1}) {
		t.Errorf("stats = %+v", st)
	}
}

func TestRecord_Event_userData(t *testing.T) {
	// UserData as BinXML without a template: its element starts carry no
	// dependency identifier, as in Windows' own BinXML values.
	payload := func(w *chunkWriter) {
		w.fragment()
		w.open("UserData", false, -1)
		w.closeStart()
		w.open("Operation_ClientFailure", true, -1)
		w.attr("xmlns")
		w.text("http://manifests.microsoft.com/win/2006/windows/WMI")
		w.closeStart()
		for _, kv := range [][2]string{{"Id", "{00000000-0000-0000-0000-000000000000}"}, {"Operation", "Start IWbemServices::ExecMethod"}, {"Item", "a"}, {"Item", "b"}} {
			w.open(kv[0], false, -1)
			w.closeStart()
			w.text(kv[1])
			w.end()
		}
		w.open("Error", true, -1)
		w.attr("Code")
		w.text("15007")
		w.closeEmpty()
		w.end()
		w.end()
		w.eof()
	}
	recs, _ := readBytes(t, oneRecord(payload))
	rec := recs[0]
	if rec.Err != nil {
		t.Fatal(rec.Err)
	}
	ev := rec.Event("x")
	got := map[string]string{}
	for k, v := range ev.Fields {
		if strings.HasPrefix(k, "winlog.user_data.") {
			got[k] = v
		}
	}
	want := map[string]string{
		"winlog.user_data.xml_name":   "Operation_ClientFailure",
		"winlog.user_data.Id":         "{00000000-0000-0000-0000-000000000000}",
		"winlog.user_data.Operation":  "Start IWbemServices::ExecMethod",
		"winlog.user_data.Item":       "a",
		"winlog.user_data.Item_2":     "b",
		"winlog.user_data.Error.Code": "15007",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user data (-want +got):\n%s", diff)
	}
	if !strings.Contains(ev.Message, `<UserData><Operation_ClientFailure xmlns='http://manifests.microsoft.com/win/2006/windows/WMI'><Id>`) {
		t.Errorf("message = %s", ev.Message)
	}
}

func TestReader_templates(t *testing.T) {
	tests := []struct {
		name    string
		payload func(w *chunkWriter)
		want    string // the record's XML after </System>
	}{
		{
			name: "array_repeats_element",
			payload: eventDataTemplate([]string{"Names", "Ports"}, []tv{
				{typ: vString | vArray, data: append(append(utf16le("one"), 0, 0), append(utf16le("two"), 0, 0)...)},
				{typ: vUint16 | vArray, data: append(le16(80), le16(443)...)},
			}),
			want: `<EventData><Data Name='Names'>one</Data><Data Name='Names'>two</Data>` +
				`<Data Name='Ports'>80</Data><Data Name='Ports'>443</Data></EventData>`,
		},
		{
			name: "empty_array_gives_one_empty_element",
			payload: eventDataTemplate([]string{"Names"}, []tv{
				{typ: vString | vArray},
			}),
			want: `<EventData><Data Name='Names'/></EventData>`,
		},
		{
			name: "value_types",
			payload: eventDataTemplate([]string{"b", "i8", "i64", "f", "bin", "hex32", "size", "st", "bool"}, []tv{
				{typ: vBinary, data: []byte{0xde, 0xad, 0x01}},
				{typ: vInt8, data: []byte{0xff}},
				{typ: vInt64, data: le64(1 << 63)},
				{typ: vReal64, data: le64(0x400921fb54442d18)},
				{typ: vAnsi, data: []byte("ansi\x00")},
				{typ: vHex32, data: le32(0x3e7)},
				{typ: vSizeT, data: le64(0x7ff6a0000000)},
				{typ: vSysTime, data: append(append(append(le16(2024), le16(2)...), append(le16(4), le16(29)...)...), append(append(le16(23), le16(59)...), append(le16(58), le16(7)...)...)...)},
				{typ: vBool, data: le32(1)},
			}),
			want: `<EventData><Data Name='b'>DEAD01</Data><Data Name='i8'>-1</Data>` +
				`<Data Name='i64'>-9223372036854775808</Data><Data Name='f'>3.141592653589793</Data>` +
				`<Data Name='bin'>ansi</Data><Data Name='hex32'>0x3e7</Data><Data Name='size'>0x7ff6a0000000</Data>` +
				`<Data Name='st'>2024-02-29T23:59:58.007Z</Data><Data Name='bool'>true</Data></EventData>`,
		},
		{
			name: "nested_binxml_in_binxml",
			payload: func(w *chunkWriter) {
				w.fragment()
				w.instance(0, func(w *chunkWriter) {
					w.fragment()
					w.open("UserData", false, 0xffff)
					w.closeStart()
					w.subst(0, vBinXML, false)
					w.end()
					w.eof()
				}, []tv{{typ: vBinXML, xml: func(w *chunkWriter) {
					w.fragment()
					w.instance(0, func(w *chunkWriter) {
						w.fragment()
						w.open("Inner", true, 0xffff)
						w.attr("A")
						w.subst(0, vUint32, false)
						w.closeStart()
						w.text("x")
						w.u8(0x08) // character reference
						w.u16('&')
						w.u8(0x09) // entity reference
						w.name("lt")
						w.subst(1, vString, true)
						w.end()
						w.eof()
					}, []tv{u32v(5), str("y")})
					w.eof()
				}}})
				w.eof()
			},
			want: `<UserData><Inner A='5'>x&amp;&lt;y</Inner></UserData>`,
		},
		{
			name: "dependency_on_null_value_drops_element",
			payload: func(w *chunkWriter) {
				w.fragment()
				w.instance(0, func(w *chunkWriter) {
					w.fragment()
					w.open("EventData", false, 0xffff)
					w.closeStart()
					w.open("Kept", false, 0)
					w.closeStart()
					w.subst(0, vString, true)
					w.end()
					w.open("Dropped", false, 1)
					w.closeStart()
					w.subst(1, vString, true)
					w.end()
					w.open("Optional", true, 0xffff)
					w.attr("Gone")
					w.subst(1, vString, true)
					w.attr("Here")
					w.subst(0, vString, true)
					w.closeEmpty()
					w.end()
					w.eof()
				}, []tv{str("v"), null()})
				w.eof()
			},
			want: `<EventData><Kept>v</Kept><Optional Here='v'/></EventData>`,
		},
		{
			name: "binxml_value_with_dependency_ids",
			payload: func(w *chunkWriter) {
				w.fragment()
				w.open("UserData", false, 0xffff)
				w.closeStart()
				w.open("X", true, 0xffff)
				w.attr("a")
				w.text("1")
				w.closeEmpty()
				w.end()
				w.eof()
			},
			want: `<UserData><X a='1'/></UserData>`,
		},
		{
			name: "cdata_and_pi",
			payload: func(w *chunkWriter) {
				w.fragment()
				w.open("EventData", false, -1)
				w.closeStart()
				w.u8(0x07)
				w.u16(5)
				w.raw(utf16le("a]]>b"))
				w.u8(0x0a)
				w.name("pi")
				w.u8(0x0b)
				w.u16(4)
				w.raw(utf16le("data"))
				w.end()
				w.eof()
			},
			want: `<EventData><![CDATA[a]]]]><![CDATA[>b]]><?pi data?></EventData>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, _ := readBytes(t, oneRecord(tt.payload))
			if len(recs) != 1 {
				t.Fatalf("%d records", len(recs))
			}
			if recs[0].Err != nil {
				t.Fatal(recs[0].Err)
			}
			xml := recs[0].XML.XML()
			_, got, _ := strings.Cut(xml, "</System>")
			got = strings.TrimSuffix(got, "</Event>")
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestReader_arrayMapping(t *testing.T) {
	payload := eventDataTemplate([]string{"Names"}, []tv{
		{typ: vString | vArray, data: append(append(utf16le("one"), 0, 0), append(utf16le("two"), 0, 0)...)},
	})
	recs, _ := readBytes(t, oneRecord(payload))
	ev := recs[0].Event("x")
	if got := ev.Get("winlog.event_data.Names"); got != "one, two" {
		t.Errorf("Names = %q", got)
	}
}

func TestReader_corruption(t *testing.T) {
	good := sysmonLikeFile(3)
	goodChunk := good[testFileHdr:]

	t.Run("corrupt_chunk_skipped", func(t *testing.T) {
		bad := bytes.Clone(goodChunk)
		bad[8] ^= 0xff // first record number: header checksum no longer matches
		zero := make([]byte, testChunkSize)
		recs, rd := readBytes(t, evtxFile(bad, zero, goodChunk))
		if len(recs) != 3 {
			t.Errorf("%d records, want 3 from the good chunk", len(recs))
		}
		st := rd.Stats()
		if st != (evtx.Stats{Chunks: 3, ChunksDone: 3, ChunksSkipped: 1, Records: 3}) {
			t.Errorf("stats = %+v", st)
		}
		if errs := rd.Errors(); len(errs) != 1 || !errors.Is(errs[0], evtx.ErrCorrupt) {
			t.Errorf("errors = %v", errs)
		}
		if recs[0].Chunk != 2 {
			t.Errorf("chunk = %d", recs[0].Chunk)
		}
	})

	t.Run("bad_binxml_gives_record_error", func(t *testing.T) {
		bad := bytes.Clone(goodChunk)
		// Break the second record's BinXML: its first token.
		off := 512
		size := int(bad[off+4]) | int(bad[off+5])<<8
		bad[off+size+24] = 0x7f
		fixChunkCRC(bad)
		recs, rd := readBytes(t, evtxFile(bad))
		if len(recs) != 3 {
			t.Fatalf("%d records", len(recs))
		}
		if recs[0].Err != nil || recs[2].Err != nil {
			t.Errorf("errors on good records: %v, %v", recs[0].Err, recs[2].Err)
		}
		if !errors.Is(recs[1].Err, evtx.ErrCorrupt) {
			t.Errorf("record 1 error = %v", recs[1].Err)
		}
		ev := recs[1].Event("x")
		if ev.ParseError == "" || ev.Get("winlog.record_id") != "2" || !ev.Time.Equal(recs[1].Written) {
			t.Errorf("event of a bad record = %+v", ev)
		}
		if st := rd.Stats(); st.RecordErrors != 1 || st.Records != 3 {
			t.Errorf("stats = %+v", st)
		}
		if len(rd.Errors()) != 1 { // the records checksum mismatch
			t.Errorf("errors = %v", rd.Errors())
		}
	})

	t.Run("bad_record_header_skipped", func(t *testing.T) {
		bad := bytes.Clone(goodChunk)
		bad[512+4] ^= 0x10 // first record's size
		fixChunkCRC(bad)
		recs, rd := readBytes(t, evtxFile(bad))
		if len(recs) != 2 || recs[0].ID != 1001 {
			t.Errorf("%d records (first %d), want the last 2", len(recs), recs[0].ID)
		}
		if st := rd.Stats(); st.RecordErrors != 1 {
			t.Errorf("stats = %+v", st)
		}
	})

	t.Run("cyclic_template", func(t *testing.T) {
		w := newChunkWriter()
		w.record(1, t0, func(w *chunkWriter) {
			w.fragment()
			w.instance(0, func(w *chunkWriter) {
				w.fragment()
				w.open("Event", false, 0xffff)
				w.closeStart()
				// An instance of the template being defined, which starts
				// after the record header, fragment header and instance
				// token of the record.
				w.instance(512+24+4+10, nil, nil)
				w.end()
				w.eof()
			}, nil)
			w.eof()
		})
		recs, _ := readBytes(t, evtxFile(w.bytes()))
		if len(recs) != 1 || !errors.Is(recs[0].Err, evtx.ErrCorrupt) {
			t.Fatalf("records = %+v", recs)
		}
		if recs[0].XML == nil || recs[0].XML.Name != "Event" {
			t.Errorf("partial tree = %v", recs[0].XML.XML())
		}
	})

	t.Run("text_bomb", func(t *testing.T) {
		// 12,000 references to one 4,000-byte value: 48 MB of text from
		// a 60 KB record. Expansion stops at MaxTextBytes, in linear time.
		w := newChunkWriter()
		w.record(1, t0, func(w *chunkWriter) {
			w.fragment()
			w.instance(0, func(w *chunkWriter) {
				w.fragment()
				w.open("Event", false, 0xffff)
				w.closeStart()
				for range 12000 {
					w.subst(0, vString, false)
				}
				w.end()
				w.eof()
			}, []tv{str(strings.Repeat("x", 2000))})
			w.eof()
		})
		recs, _ := readBytes(t, evtxFile(w.bytes()))
		if len(recs) != 1 || !errors.Is(recs[0].Err, evtx.ErrCorrupt) {
			t.Fatalf("records = %+v", recs)
		}
		if n := len(recs[0].XML.InnerText()); n > evtx.MaxTextBytes || n < evtx.MaxTextBytes/2 {
			t.Errorf("%d bytes of text", n)
		}
	})

	t.Run("template_bomb", func(t *testing.T) {
		// Three levels of templates, each instantiating the next one
		// 1,000 times: 10^9 elements. Expansion stops at the limits.
		w := newChunkWriter()
		level := func(name string, inner func(w *chunkWriter)) func(w *chunkWriter) {
			return func(w *chunkWriter) {
				w.fragment()
				w.open(name, false, 0xffff)
				w.closeStart()
				if inner == nil {
					w.text("x")
				} else {
					ref := w.instance(0, inner, nil)
					for range 999 {
						w.instance(ref, nil, nil)
					}
				}
				w.end()
				w.eof()
			}
		}
		w.record(1, t0, func(w *chunkWriter) {
			w.fragment()
			w.instance(0, level("A", level("B", level("C", level("D", nil)))), nil)
			w.eof()
		})
		recs, _ := readBytes(t, evtxFile(w.bytes()))
		if len(recs) != 1 || !errors.Is(recs[0].Err, evtx.ErrCorrupt) || recs[0].XML == nil {
			t.Fatalf("records = %+v", recs)
		}
	})

	t.Run("truncated_chunk_read_as_far_as_it_goes", func(t *testing.T) {
		// Cut inside the third record: the first two are read.
		used := int(binary.LittleEndian.Uint32(goodChunk[48:]))
		data := good[:testFileHdr+used-10]
		recs, rd := readBytes(t, data)
		if len(recs) != 2 || rd.Stats().Chunks != 1 || rd.Stats().RecordErrors != 1 {
			t.Errorf("records %d, stats %+v", len(recs), rd.Stats())
		}
		if errs := rd.Errors(); len(errs) != 3 { // truncated, checksum, unreadable record
			t.Errorf("errors = %v", errs)
		}
	})

	t.Run("trailing_bytes_ignored", func(t *testing.T) {
		data := append(bytes.Clone(good), make([]byte, 100)...)
		recs, rd := readBytes(t, data)
		if len(recs) != 3 || len(rd.Errors()) != 1 || rd.Stats().Chunks != 1 {
			t.Errorf("records %d, errors %v, stats %+v", len(recs), rd.Errors(), rd.Stats())
		}
	})
}

func TestOpen_notEVTX(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("ElfFile"), bytes.Repeat([]byte("x"), 5000)} {
		if _, err := evtx.Open(bytes.NewReader(data), int64(len(data))); !errors.Is(err, evtx.ErrNotEVTX) {
			t.Errorf("Open(%d bytes) = %v", len(data), err)
		}
	}
	rd, err := evtx.Open(bytes.NewReader(evtxFile()), testFileHdr)
	if err != nil {
		t.Fatal(err)
	}
	h := rd.Header()
	if h.MajorVersion != 3 || h.MinorVersion != 1 || !h.ChecksumOK || h.Dirty() || h.Full() || h.NextRecordID != 100 {
		t.Errorf("header = %+v", h)
	}
}

func TestReader_Records_stops(t *testing.T) {
	data := sysmonLikeFile(5)
	rd, err := evtx.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	err = rd.Records(t.Context(), func(evtx.Record) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("err = %v after %d records", err, n)
	}
	if st := rd.Stats(); st.Records != 2 || st.ChunksDone != 0 {
		t.Errorf("stats after stop = %+v", st)
	}
	n = 0
	if err := rd.Records(t.Context(), func(evtx.Record) error { n++; return nil }); err != nil || n != 5 {
		t.Errorf("second pass: %v, %d records", err, n)
	}
	if st := rd.Stats(); st != (evtx.Stats{Chunks: 1, ChunksDone: 1, Records: 5}) {
		t.Errorf("stats after a second pass = %+v", st)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := rd.Records(ctx, func(evtx.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestNode(t *testing.T) {
	n := &evtx.Node{Kind: evtx.ElementNode, Name: "A", Attrs: []evtx.Attr{{Name: "q", Value: `it's "x" & <y>`}}, Children: []*evtx.Node{
		{Kind: evtx.TextNode, Text: "t1 "},
		{Kind: evtx.ElementNode, Name: "B", Children: []*evtx.Node{{Kind: evtx.TextNode, Text: "b"}}},
		{Kind: evtx.CDATANode, Text: "c"},
	}}
	if got, want := n.XML(), `<A q='it&apos;s &quot;x&quot; &amp; &lt;y&gt;'>t1 <B>b</B><![CDATA[c]]></A>`; got != want {
		t.Errorf("XML = %s, want %s", got, want)
	}
	if got := n.InnerText(); got != "t1 bc" {
		t.Errorf("InnerText = %q", got)
	}
	if n.Child("B") == nil || n.Child("C") != nil || len(n.Elements()) != 1 {
		t.Error("Child/Elements")
	}
	var nilNode *evtx.Node
	if nilNode.Child("x") != nil || nilNode.InnerText() != "" || nilNode.XML() != "" {
		t.Error("nil node")
	}
	if _, ok := nilNode.Attr("x"); ok {
		t.Error("nil node attr")
	}
}

// TestReader_Stats_progress polls Stats from another goroutine while
// Records runs, as a job's progress bar does (run with -race).
func TestReader_Stats_progress(t *testing.T) {
	good := sysmonLikeFile(20)
	chunk := good[testFileHdr:]
	data := evtxFile(chunk, chunk, chunk, chunk)
	rd, err := evtx.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	polled := make(chan evtx.Stats)
	go func() {
		var last evtx.Stats
		for {
			select {
			case <-done:
				polled <- last
				return
			default:
				st := rd.Stats()
				if st.ChunksDone < last.ChunksDone || st.ChunksDone > st.Chunks {
					t.Errorf("progress went from %+v to %+v", last, st)
				}
				last = st
				_ = rd.Errors()
			}
		}
	}()
	err = rd.Records(t.Context(), func(evtx.Record) error { return nil })
	close(done)
	<-polled
	if err != nil {
		t.Fatal(err)
	}
	if st := rd.Stats(); st.ChunksDone != 4 || st.Chunks != 4 || st.Records != 80 {
		t.Errorf("stats = %+v", st)
	}
}
