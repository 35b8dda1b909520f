package evtx_test

import (
	"encoding/binary"
	"hash/crc32"
	"time"
	"unicode/utf16"
)

// This file builds EVTX files by hand for the tests: a file header, chunks
// with correct checksums and records whose BinXML is written token by
// token. Offsets in BinXML are chunk offsets, so the writer writes into
// the chunk directly.

const (
	testChunkSize = 65536
	testFileHdr   = 4096
)

// Value types, as in the format.
const (
	vNull     = 0x00
	vString   = 0x01
	vAnsi     = 0x02
	vInt8     = 0x03
	vUint8    = 0x04
	vInt16    = 0x05
	vUint16   = 0x06
	vInt32    = 0x07
	vUint32   = 0x08
	vInt64    = 0x09
	vUint64   = 0x0a
	vReal32   = 0x0b
	vReal64   = 0x0c
	vBool     = 0x0d
	vBinary   = 0x0e
	vGUID     = 0x0f
	vSizeT    = 0x10
	vFileTime = 0x11
	vSysTime  = 0x12
	vSID      = 0x13
	vHex32    = 0x14
	vHex64    = 0x15
	vBinXML   = 0x21
	vArray    = 0x80
)

// chunkWriter writes one chunk.
type chunkWriter struct {
	buf      []byte
	firstID  uint64
	lastID   uint64
	lastRec  int
	records  int
	nameOffs map[string]uint32 // names already written, to refer back to them
}

func newChunkWriter() *chunkWriter {
	return &chunkWriter{buf: make([]byte, 512), nameOffs: map[string]uint32{}}
}

func (w *chunkWriter) pos() int     { return len(w.buf) }
func (w *chunkWriter) u8(v byte)    { w.buf = append(w.buf, v) }
func (w *chunkWriter) u16(v uint16) { w.buf = binary.LittleEndian.AppendUint16(w.buf, v) }
func (w *chunkWriter) u32(v uint32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }
func (w *chunkWriter) u64(v uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, v) }
func (w *chunkWriter) raw(b []byte) { w.buf = append(w.buf, b...) }
func (w *chunkWriter) put32(at int, v uint32) {
	binary.LittleEndian.PutUint32(w.buf[at:], v)
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// name writes a name reference: back to an earlier copy of the name, or
// inline (offset = the position right after it).
func (w *chunkWriter) name(s string) {
	if off, ok := w.nameOffs[s]; ok {
		w.u32(off)
		return
	}
	off := uint32(w.pos() + 4)
	w.nameOffs[s] = off
	w.u32(off)
	w.u32(0) // next name in the hash bucket
	w.u16(0) // hash (not checked by readers)
	w.u16(uint16(len([]rune(s))))
	w.raw(utf16le(s))
	w.u16(0)
}

func (w *chunkWriter) fragment() { w.raw([]byte{0x0f, 0x01, 0x01, 0x00}) }
func (w *chunkWriter) eof()      { w.u8(0x00) }

// open writes an element start; dep is the dependency identifier, or -1
// to leave it out (as BinXML values do).
func (w *chunkWriter) open(name string, attrs bool, dep int) {
	tok := byte(0x01)
	if attrs {
		tok = 0x41
	}
	w.u8(tok)
	if dep >= 0 {
		w.u16(uint16(dep))
	}
	w.u32(0) // data size (not needed by readers)
	w.name(name)
	if attrs {
		w.u32(0) // attribute list size
	}
}

func (w *chunkWriter) attr(name string) { w.u8(0x06); w.name(name) }
func (w *chunkWriter) closeStart()      { w.u8(0x02) }
func (w *chunkWriter) closeEmpty()      { w.u8(0x03) }
func (w *chunkWriter) end()             { w.u8(0x04) }

func (w *chunkWriter) text(s string) {
	w.u8(0x05)
	w.u8(vString)
	w.u16(uint16(len([]rune(s))))
	w.raw(utf16le(s))
}

func (w *chunkWriter) subst(id uint16, typ byte, optional bool) {
	if optional {
		w.u8(0x0e)
	} else {
		w.u8(0x0d)
	}
	w.u16(id)
	w.u8(typ)
}

// tv is one template instance value: raw data, or BinXML written by xml.
type tv struct {
	typ  byte
	data []byte
	xml  func(w *chunkWriter)
}

// instance writes a template instance. With body not nil the definition
// is written inline (its offset is returned to refer to it again);
// otherwise ref is the offset of an earlier definition.
func (w *chunkWriter) instance(ref uint32, body func(w *chunkWriter), vals []tv) uint32 {
	w.u8(0x0c)
	w.u8(0x01)
	w.u32(0xdeadbeef) // template identifier
	if body != nil {
		ref = uint32(w.pos() + 4)
		w.u32(ref)
		w.u32(0) // next template
		w.raw([]byte("0123456789abcdef"))
		sizeAt := w.pos()
		w.u32(0)
		start := w.pos()
		body(w)
		w.put32(sizeAt, uint32(w.pos()-start))
	} else {
		w.u32(ref)
	}
	w.u32(uint32(len(vals)))
	descAt := w.pos()
	for _, v := range vals {
		w.u16(uint16(len(v.data)))
		w.u8(v.typ)
		w.u8(0)
	}
	for i, v := range vals {
		start := w.pos()
		if v.xml != nil {
			v.xml(w)
		} else {
			w.raw(v.data)
		}
		binary.LittleEndian.PutUint16(w.buf[descAt+4*i:], uint16(w.pos()-start))
	}
	return ref
}

// record writes one event record whose BinXML is written by xml.
func (w *chunkWriter) record(id uint64, written time.Time, xml func(w *chunkWriter)) {
	start := w.pos()
	w.raw([]byte{0x2a, 0x2a, 0, 0})
	w.u32(0)
	w.u64(id)
	w.u64(filetime(written))
	xml(w)
	w.u32(0)
	size := uint32(w.pos() - start)
	w.put32(start+4, size)
	w.put32(w.pos()-4, size)
	if w.records == 0 {
		w.firstID = id
	}
	w.lastID = id
	w.lastRec = start
	w.records++
}

// bytes finishes the chunk: header fields, padding, checksums.
func (w *chunkWriter) bytes() []byte {
	if len(w.buf) > testChunkSize {
		panic("chunk overflow")
	}
	b := make([]byte, testChunkSize)
	copy(b, w.buf)
	le := binary.LittleEndian
	copy(b, "ElfChnk\x00")
	le.PutUint64(b[8:], w.firstID)
	le.PutUint64(b[16:], w.lastID)
	le.PutUint64(b[24:], w.firstID)
	le.PutUint64(b[32:], w.lastID)
	le.PutUint32(b[40:], 128)
	le.PutUint32(b[44:], uint32(w.lastRec))
	le.PutUint32(b[48:], uint32(len(w.buf)))
	le.PutUint32(b[52:], crc32.ChecksumIEEE(b[512:len(w.buf)]))
	fixChunkCRC(b)
	return b
}

// fixChunkCRC recomputes a chunk header's checksum.
func fixChunkCRC(b []byte) {
	crc := crc32.ChecksumIEEE(b[:120])
	crc = crc32.Update(crc, crc32.IEEETable, b[128:512])
	binary.LittleEndian.PutUint32(b[124:], crc)
}

// evtxFile assembles a file from chunks.
func evtxFile(chunks ...[]byte) []byte {
	h := make([]byte, testFileHdr)
	le := binary.LittleEndian
	copy(h, "ElfFile\x00")
	le.PutUint64(h[16:], uint64(max(len(chunks)-1, 0)))
	le.PutUint64(h[24:], 100)
	le.PutUint32(h[32:], 128)
	le.PutUint16(h[36:], 1)
	le.PutUint16(h[38:], 3)
	le.PutUint16(h[40:], 4096)
	le.PutUint16(h[42:], uint16(len(chunks)))
	le.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	out := h
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out
}

func filetime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100 + 116444736000000000)
}

// Encoders for values.
func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func str(s string) tv      { return tv{typ: vString, data: utf16le(s)} }
func u8v(v byte) tv        { return tv{typ: vUint8, data: []byte{v}} }
func u16v(v uint16) tv     { return tv{typ: vUint16, data: le16(v)} }
func u32v(v uint32) tv     { return tv{typ: vUint32, data: le32(v)} }
func null() tv             { return tv{typ: vNull} }

// guidBytes encodes a GUID given as its canonical string.
func guidBytes(d1 uint32, d2, d3 uint16, d4 [8]byte) []byte {
	b := le32(d1)
	b = append(b, le16(d2)...)
	b = append(b, le16(d3)...)
	return append(b, d4[:]...)
}

// sidBytes encodes S-1-<auth>-<subs…>.
func sidBytes(auth uint64, subs ...uint32) []byte {
	b := []byte{1, byte(len(subs))}
	for i := 5; i >= 0; i-- {
		b = append(b, byte(auth>>(8*i)))
	}
	for _, s := range subs {
		b = append(b, le32(s)...)
	}
	return b
}

// systemTemplate writes a template like the one Windows uses for the
// <System> part of every event: values 0–12 fill it; value 13 is the
// event payload (EventData or UserData, BinXML).
//
//	0 Provider Name   1 Provider Guid   2 EventID     3 Qualifiers
//	4 Version         5 Level           6 Task        7 Opcode
//	8 Keywords        9 TimeCreated    10 RecordID   11 ActivityID
//	12 ProcessID     13 ThreadID       14 Channel    15 Computer
//	16 UserID        17 payload (BinXML)
func systemTemplate(w *chunkWriter) {
	w.fragment()
	w.open("Event", true, 0xffff)
	w.attr("xmlns")
	w.text("http://schemas.microsoft.com/win/2004/08/events/event")
	w.closeStart()
	w.open("System", false, 0xffff)
	w.closeStart()

	w.open("Provider", true, 0xffff)
	w.attr("Name")
	w.subst(0, vString, true)
	w.attr("Guid")
	w.subst(1, vGUID, true)
	w.closeEmpty()

	w.open("EventID", true, 2)
	w.attr("Qualifiers")
	w.subst(3, vUint16, true)
	w.closeStart()
	w.subst(2, vUint16, true)
	w.end()

	for _, e := range []struct {
		name string
		id   uint16
		typ  byte
	}{{"Version", 4, vUint8}, {"Level", 5, vUint8}, {"Task", 6, vUint16}, {"Opcode", 7, vUint8}, {"Keywords", 8, vHex64}} {
		w.open(e.name, false, int(e.id))
		w.closeStart()
		w.subst(e.id, e.typ, true)
		w.end()
	}

	w.open("TimeCreated", true, 0xffff)
	w.attr("SystemTime")
	w.subst(9, vFileTime, true)
	w.closeEmpty()

	w.open("EventRecordID", false, 10)
	w.closeStart()
	w.subst(10, vUint64, true)
	w.end()

	w.open("Correlation", true, 0xffff)
	w.attr("ActivityID")
	w.subst(11, vGUID, true)
	w.closeEmpty()

	w.open("Execution", true, 0xffff)
	w.attr("ProcessID")
	w.subst(12, vUint32, true)
	w.attr("ThreadID")
	w.subst(13, vUint32, true)
	w.closeEmpty()

	w.open("Channel", false, 14)
	w.closeStart()
	w.subst(14, vString, true)
	w.end()

	w.open("Computer", false, 0xffff)
	w.closeStart()
	w.subst(15, vString, true)
	w.end()

	w.open("Security", true, 0xffff)
	w.attr("UserID")
	w.subst(16, vSID, true)
	w.closeEmpty()

	w.end() // System
	w.subst(17, vBinXML, true)
	w.end() // Event
	w.eof()
}

// sysEvent describes the System values of a test event.
type sysEvent struct {
	provider string
	eventID  uint16
	level    byte
	keywords uint64
	time     time.Time
	recordID uint64
	channel  string
	computer string
	payload  func(w *chunkWriter) // BinXML of EventData/UserData; nil for none
}

func (e sysEvent) values() []tv {
	payload := null()
	if e.payload != nil {
		payload = tv{typ: vBinXML, xml: e.payload}
	}
	return []tv{
		str(e.provider),
		{typ: vGUID, data: guidBytes(0x5770385f, 0xc22a, 0x43e0, [8]byte{0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9})},
		u16v(e.eventID),
		null(), // no qualifiers
		u8v(5),
		u8v(e.level),
		u16v(1),
		u8v(0),
		{typ: vHex64, data: le64(e.keywords)},
		{typ: vFileTime, data: le64(filetime(e.time))},
		{typ: vUint64, data: le64(e.recordID)},
		null(), // no activity
		u32v(3544),
		u32v(4272),
		str(e.channel),
		str(e.computer),
		{typ: vSID, data: sidBytes(5, 18)},
		payload,
	}
}

// eventDataTemplate writes a BinXML value holding <EventData> with one
// <Data Name=…> per name, each substituted from the value of the same index.
func eventDataTemplate(names []string, vals []tv) func(w *chunkWriter) {
	return func(w *chunkWriter) {
		w.fragment()
		w.instance(0, func(w *chunkWriter) {
			w.fragment()
			w.open("EventData", false, 0xffff)
			w.closeStart()
			for i, n := range names {
				if n == "" {
					w.open("Data", false, 0xffff)
					w.closeStart()
				} else {
					w.open("Data", true, 0xffff)
					w.attr("Name")
					w.text(n)
					w.closeStart()
				}
				w.subst(uint16(i), vString, true)
				w.end()
			}
			w.end()
			w.eof()
		}, vals)
		w.eof()
	}
}

// sysmonLikeFile builds a one-chunk file of n records that look like
// Sysmon process-creation events, sharing one System template and one
// EventData template as Windows does.
func sysmonLikeFile(n int) []byte {
	w := newChunkWriter()
	t0 := time.Date(2025, 11, 27, 7, 40, 10, 165324000, time.UTC)
	var sysRef, edRef uint32
	names := []string{"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "CommandLine", "User", "Hashes"}
	for i := range n {
		if w.pos() > testChunkSize-4096 {
			break
		}
		ev := sysEvent{provider: "Microsoft-Windows-Sysmon", eventID: 1, level: 4, keywords: 0x8000000000000000,
			time: t0.Add(time.Duration(i) * time.Second), recordID: uint64(1000 + i),
			channel: "Microsoft-Windows-Sysmon/Operational", computer: "host.example"}
		vals := []tv{str("-"), str(t0.Format("2006-01-02 15:04:05.000")),
			{typ: vGUID, data: guidBytes(0x0197231e, 0x005a, 0x6928, [8]byte{0xa5, 0x0b, 0, 0, 0, 0, 0x0d, 0})},
			u32v(uint32(4000 + i)), str(`C:\Windows\System32\cmd.exe`), str(`cmd.exe /c whoami & echo <done>`),
			str(`HOST\user`), str("SHA256=1B48A4F8D20026E6C56E3AB4CC4788FA6425C8A75F8D91C2869FA533DE6B209E")}
		ev.payload = func(w *chunkWriter) {
			w.fragment()
			if edRef == 0 {
				edRef = w.instance(0, func(w *chunkWriter) {
					w.fragment()
					w.open("EventData", false, 0xffff)
					w.closeStart()
					for j, nm := range names {
						w.open("Data", true, 0xffff)
						w.attr("Name")
						w.text(nm)
						w.closeStart()
						w.subst(uint16(j), vString, true)
						w.end()
					}
					w.end()
					w.eof()
				}, vals)
			} else {
				w.instance(edRef, nil, vals)
			}
			w.eof()
		}
		w.record(uint64(i+1), ev.time, func(w *chunkWriter) {
			w.fragment()
			if sysRef == 0 {
				sysRef = w.instance(0, systemTemplate, ev.values())
			} else {
				w.instance(sysRef, nil, ev.values())
			}
			w.eof()
		})
	}
	return evtxFile(w.bytes())
}
