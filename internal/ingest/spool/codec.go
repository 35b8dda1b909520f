package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
)

// Record payload (one batch of events), docs/spool.md:
//
//	version  byte       codecVersion
//	count    uint32 LE  number of events
//	events   count × event
//
//	event    time      zigzag varint seconds (delta from the previous event's time) + uvarint nanoseconds
//	         received  the same, delta from the previous event's received time
//	         unit_id   zigzag varint
//	         source    ref kind, ref name, ref addr
//	         message   str
//	         parse_err str
//	         fields    uvarint n, then n × (ref key, str value)
//
//	str      uvarint length + bytes
//	ref      uvarint x: 0 = a str follows and becomes the next table entry;
//	         x > 0 = table entry x-1 (the table is per record)
const (
	codecVersion       = 1
	payloadHeaderSize  = 5
	minEncodedEventLen = 11
)

// encoder turns batches into framed records in buf. One encoder serves one
// Append at a time; it is reused through the spool's pool.
type encoder struct {
	buf      []byte
	recs     []int // start offset of each record in buf
	recStart int
	count    uint32
	table    map[string]uint64
	strs     []string
	prevTime int64
	prevRecv int64
	events   []int // events per record

	truncated int // events truncated to fit MaxEventSize
}

func newEncoder() *encoder { return &encoder{table: make(map[string]uint64, 64)} }

func (e *encoder) reset() {
	e.buf = e.buf[:0]
	e.recs = e.recs[:0]
	e.events = e.events[:0]
	e.truncated = 0
}

// encode appends batch to the encoder as one or more records; their seq
// and header CRC are filled in by seal.
func (e *encoder) encode(batch []event.Event, maxEvent int) error {
	e.startRecord()
	for i := range batch {
		if err := e.appendEvent(&batch[i], maxEvent); err != nil {
			return fmt.Errorf("event %d of %d: %w", i, len(batch), err)
		}
	}
	e.finishRecord()
	return nil
}

func (e *encoder) startRecord() {
	e.recStart = len(e.buf)
	e.buf = append(e.buf, make([]byte, recordHeaderSize)...)
	e.buf = append(e.buf, codecVersion, 0, 0, 0, 0)
	e.count = 0
	clear(e.table)
	e.strs = e.strs[:0]
	e.prevTime, e.prevRecv = 0, 0
}

// finishRecord fills in the count, length and payload CRC of the current
// record.
func (e *encoder) finishRecord() {
	p := e.buf[e.recStart+recordHeaderSize:]
	binary.LittleEndian.PutUint32(p[1:], e.count)
	h := e.buf[e.recStart:]
	binary.LittleEndian.PutUint32(h[4:], uint32(len(p)))
	binary.LittleEndian.PutUint32(h[16:], crc32.Checksum(p, castagnoli))
	e.recs = append(e.recs, e.recStart)
	e.events = append(e.events, int(e.count))
}

// seal numbers the records from seq on and fills in their header
// checksums; it returns the next free sequence number.
func (e *encoder) seal(seq uint64) uint64 {
	for _, start := range e.recs {
		h := e.buf[start:]
		putRecordHeader(h, binary.LittleEndian.Uint32(h[4:]), seq, binary.LittleEndian.Uint32(h[16:]))
		seq++
	}
	return seq
}

// appendEvent encodes ev into the current record, opening a new record
// when this one is full. An event larger than maxEvent is stored
// truncated: first its message, parse error and longest field values are
// cut; if that is not enough its fields are dropped (and the message and
// parse error cut as needed); if even that is too large (a huge source),
// it is an error.
func (e *encoder) appendEvent(ev *event.Event, maxEvent int) error {
	orig, cur, stage, origSize := ev, ev, 0, 0
	for {
		mark, nstr, pt, pr := len(e.buf), len(e.strs), e.prevTime, e.prevRecv
		e.encodeEvent(cur)
		size := len(e.buf) - mark
		payload := len(e.buf) - e.recStart - recordHeaderSize
		if size <= maxEvent && payload <= MaxRecordSize {
			e.count++
			if stage > 0 {
				e.truncated++
			}
			return nil
		}
		// Roll back this event.
		e.buf = e.buf[:mark]
		for _, s := range e.strs[nstr:] {
			delete(e.table, s)
		}
		e.strs = e.strs[:nstr]
		e.prevTime, e.prevRecv = pt, pr
		if size <= maxEvent && e.count > 0 {
			// The record is full: the event opens the next one.
			e.finishRecord()
			e.startRecord()
			continue
		}
		if stage == 0 {
			origSize = size
		}
		var t event.Event
		switch stage {
		case 0:
			t = truncateEvent(*orig, size, maxEvent,
				fmt.Sprintf("spool: event truncated: encoded size %d bytes exceeds the %d-byte limit", origSize, maxEvent))
		case 1, 2:
			t = *orig
			t.Fields = nil
			note := fmt.Sprintf("spool: event truncated, fields dropped: encoded size %d bytes exceeds the %d-byte limit", origSize, maxEvent)
			if stage == 1 {
				t.ParseError = joinNote(t.ParseError, note)
			} else {
				t = truncateEvent(t, size, maxEvent, note)
			}
		default:
			return fmt.Errorf("encoded size %d exceeds the %d-byte event limit even without its fields: %w", origSize, maxEvent, errs.ErrInvalid)
		}
		cur = &t
		stage++
	}
}

func (e *encoder) encodeEvent(ev *event.Event) {
	b := e.buf
	b, e.prevTime = appendTime(b, ev.Time, e.prevTime)
	b, e.prevRecv = appendTime(b, ev.Received, e.prevRecv)
	b = binary.AppendVarint(b, ev.UnitID)
	b = e.appendRef(b, ev.Source.Kind)
	b = e.appendRef(b, ev.Source.Name)
	b = e.appendRef(b, ev.Source.Addr)
	b = appendString(b, ev.Message)
	b = appendString(b, ev.ParseError)
	b = binary.AppendUvarint(b, uint64(len(ev.Fields)))
	for k, v := range ev.Fields {
		b = e.appendRef(b, k)
		b = appendString(b, v)
	}
	e.buf = b
}

func appendTime(b []byte, t time.Time, prev int64) ([]byte, int64) {
	sec := t.Unix()
	b = binary.AppendVarint(b, sec-prev)
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	return b, sec
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (e *encoder) appendRef(b []byte, s string) []byte {
	if i, ok := e.table[s]; ok {
		return binary.AppendUvarint(b, i+1)
	}
	e.table[s] = uint64(len(e.strs))
	e.strs = append(e.strs, s)
	b = append(b, 0)
	return appendString(b, s)
}

// truncateEvent returns a copy of ev, whose encoding takes size bytes, with
// its message, parse error and longest field values shortened (at rune
// boundaries) so that it fits in limit bytes, and note added to its parse
// error.
func truncateEvent(ev event.Event, size, limit int, note string) event.Event {
	excess := size - limit + len(note) + 32 // 32: varint lengths, separator
	cut := func(s string) string {
		if excess <= 0 || s == "" {
			return s
		}
		n := max(0, len(s)-excess)
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		excess -= len(s) - n
		return s[:n]
	}
	ev.Message = cut(ev.Message)
	parseErr := cut(ev.ParseError)
	if excess > 0 && len(ev.Fields) > 0 {
		keys := make([]string, 0, len(ev.Fields))
		for k := range ev.Fields {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int { return len(ev.Fields[b]) - len(ev.Fields[a]) })
		fields := make(map[string]string, len(ev.Fields))
		for _, k := range keys {
			fields[k] = cut(ev.Fields[k])
		}
		ev.Fields = fields
	}
	ev.ParseError = joinNote(parseErr, note)
	return ev
}

func joinNote(parseErr, note string) string {
	if parseErr == "" {
		return note
	}
	return parseErr + "; " + note
}

var errPayload = errors.New("invalid payload")

// decodeBatch decodes a record payload. The strings of the events share
// one allocation (a copy of p); p is not retained.
func decodeBatch(p []byte) ([]event.Event, error) {
	if len(p) < payloadHeaderSize || p[0] != codecVersion {
		return nil, fmt.Errorf("%w: bad header", errPayload)
	}
	count := binary.LittleEndian.Uint32(p[1:])
	if uint64(count) > uint64(len(p)-payloadHeaderSize)/minEncodedEventLen {
		return nil, fmt.Errorf("%w: count %d too large for %d bytes", errPayload, count, len(p))
	}
	d := decoder{s: string(p), off: payloadHeaderSize}
	events := make([]event.Event, count)
	for i := range events {
		if err := d.event(&events[i]); err != nil {
			return nil, fmt.Errorf("%w: event %d: %w", errPayload, i, err)
		}
	}
	if d.off != len(d.s) {
		return nil, fmt.Errorf("%w: %d trailing bytes", errPayload, len(d.s)-d.off)
	}
	return events, nil
}

type decoder struct {
	s        string
	off      int
	strs     []string
	prevTime int64
	prevRecv int64
}

var (
	errShort = errors.New("truncated")
	errRef   = errors.New("bad string reference")
	errNanos = errors.New("bad nanoseconds")
)

func (d *decoder) event(ev *event.Event) error {
	var err error
	if ev.Time, d.prevTime, err = d.time(d.prevTime); err != nil {
		return err
	}
	if ev.Received, d.prevRecv, err = d.time(d.prevRecv); err != nil {
		return err
	}
	if ev.UnitID, err = d.varint(); err != nil {
		return err
	}
	if ev.Source.Kind, err = d.ref(); err != nil {
		return err
	}
	if ev.Source.Name, err = d.ref(); err != nil {
		return err
	}
	if ev.Source.Addr, err = d.ref(); err != nil {
		return err
	}
	if ev.Message, err = d.str(); err != nil {
		return err
	}
	if ev.ParseError, err = d.str(); err != nil {
		return err
	}
	n, err := d.uvarint()
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if n > uint64(len(d.s)-d.off)/2 {
		return errShort
	}
	ev.Fields = make(map[string]string, n)
	for range n {
		k, err := d.ref()
		if err != nil {
			return err
		}
		v, err := d.str()
		if err != nil {
			return err
		}
		ev.Fields[k] = v
	}
	return nil
}

func (d *decoder) time(prev int64) (time.Time, int64, error) {
	delta, err := d.varint()
	if err != nil {
		return time.Time{}, 0, err
	}
	nsec, err := d.uvarint()
	if err != nil {
		return time.Time{}, 0, err
	}
	if nsec >= 1e9 {
		return time.Time{}, 0, errNanos
	}
	sec := prev + delta
	return time.Unix(sec, int64(nsec)).UTC(), sec, nil
}

func (d *decoder) uvarint() (uint64, error) {
	v, n := uvarintString(d.s[d.off:])
	if n <= 0 {
		return 0, errShort
	}
	d.off += n
	return v, nil
}

func (d *decoder) varint() (int64, error) {
	u, err := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x, err
}

func (d *decoder) str() (string, error) {
	n, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(len(d.s)-d.off) {
		return "", errShort
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s, nil
}

func (d *decoder) ref() (string, error) {
	x, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if x == 0 {
		s, err := d.str()
		if err != nil {
			return "", err
		}
		d.strs = append(d.strs, s)
		return s, nil
	}
	if x-1 >= uint64(len(d.strs)) {
		return "", errRef
	}
	return d.strs[x-1], nil
}

// uvarintString is binary.Uvarint over a string, without a copy.
func uvarintString(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		b := s[i]
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				return 0, -(i + 1) // overflow
			}
			return x | uint64(b)<<shift, i + 1
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	return 0, 0
}
