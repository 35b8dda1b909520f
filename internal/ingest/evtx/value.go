package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// BinXML value types (MS-EVEN6 2.2.18, libyal's "Value types").
const (
	typeNull     = 0x00
	typeString   = 0x01
	typeAnsi     = 0x02
	typeInt8     = 0x03
	typeUint8    = 0x04
	typeInt16    = 0x05
	typeUint16   = 0x06
	typeInt32    = 0x07
	typeUint32   = 0x08
	typeInt64    = 0x09
	typeUint64   = 0x0a
	typeReal32   = 0x0b
	typeReal64   = 0x0c
	typeBool     = 0x0d
	typeBinary   = 0x0e
	typeGUID     = 0x0f
	typeSizeT    = 0x10
	typeFileTime = 0x11
	typeSysTime  = 0x12
	typeSID      = 0x13
	typeHex32    = 0x14
	typeHex64    = 0x15
	typeHandle   = 0x20
	typeBinXML   = 0x21
	typeEvtXML   = 0x23
	typeArray    = 0x80
)

// errValue is wrapped by every value decoding error.
var errValue = errors.New("bad value")

// fixedSize is the size of one item of the fixed-size value types (0 for
// variable-size types).
func fixedSize(t byte) int {
	switch t {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeReal32, typeBool, typeHex32:
		return 4
	case typeInt64, typeUint64, typeReal64, typeFileTime, typeHex64:
		return 8
	case typeGUID, typeSysTime:
		return 16
	}
	return 0
}

// formatValue renders one scalar value of type t as Windows renders it in
// event XML. On malformed data it returns the bytes as hex and an error.
func formatValue(t byte, b []byte) (string, error) {
	if n := fixedSize(t); n != 0 && len(b) != n {
		return hexUpper(b), fmt.Errorf("%w: type 0x%02x needs %d bytes, has %d", errValue, t, n, len(b))
	}
	le := binary.LittleEndian
	switch t {
	case typeNull:
		return "", nil
	case typeString:
		return utf16String(b), nil
	case typeAnsi, typeEvtXML:
		return ansiString(b), nil
	case typeInt8:
		return strconv.Itoa(int(int8(b[0]))), nil
	case typeUint8:
		return strconv.Itoa(int(b[0])), nil
	case typeInt16:
		return strconv.Itoa(int(int16(le.Uint16(b)))), nil
	case typeUint16:
		return strconv.Itoa(int(le.Uint16(b))), nil
	case typeInt32:
		return strconv.FormatInt(int64(int32(le.Uint32(b))), 10), nil
	case typeUint32:
		return strconv.FormatUint(uint64(le.Uint32(b)), 10), nil
	case typeInt64:
		return strconv.FormatInt(int64(le.Uint64(b)), 10), nil
	case typeUint64:
		return strconv.FormatUint(le.Uint64(b), 10), nil
	case typeReal32:
		return formatFloat(float64(math.Float32frombits(le.Uint32(b))), 32), nil
	case typeReal64:
		return formatFloat(math.Float64frombits(le.Uint64(b)), 64), nil
	case typeBool:
		if le.Uint32(b) != 0 {
			return "true", nil
		}
		return "false", nil
	case typeBinary:
		return hexUpper(b), nil
	case typeGUID:
		return formatGUID(b), nil
	case typeSizeT, typeHandle:
		switch len(b) {
		case 4:
			return "0x" + strconv.FormatUint(uint64(le.Uint32(b)), 16), nil
		case 8:
			return "0x" + strconv.FormatUint(le.Uint64(b), 16), nil
		}
		return hexUpper(b), fmt.Errorf("%w: type 0x%02x of %d bytes", errValue, t, len(b))
	case typeFileTime:
		return formatFileTime(le.Uint64(b)), nil
	case typeSysTime:
		return formatSystemTime(b), nil
	case typeSID:
		s, n, err := formatSID(b)
		if err == nil && n != len(b) {
			err = fmt.Errorf("%w: SID of %d bytes in a value of %d", errValue, n, len(b))
		}
		if err != nil {
			return hexUpper(b), err
		}
		return s, nil
	case typeHex32:
		return "0x" + strconv.FormatUint(uint64(le.Uint32(b)), 16), nil
	case typeHex64:
		return "0x" + strconv.FormatUint(le.Uint64(b), 16), nil
	}
	return hexUpper(b), fmt.Errorf("%w: unknown value type 0x%02x", errValue, t)
}

// formatArray renders the items of an array value (t has the 0x80 bit).
// Strings are NUL-separated, SIDs follow each other, the other types are
// fixed-size items.
func formatArray(t byte, b []byte) ([]string, error) {
	item := t &^ typeArray
	switch item {
	case typeString:
		s := utf16.Decode(u16s(b))
		var out []string
		start := 0
		for i, r := range s {
			if r == 0 {
				out = append(out, utf16Runes(s[start:i]))
				start = i + 1
			}
		}
		if start < len(s) {
			out = append(out, utf16Runes(s[start:]))
		}
		return out, nil
	case typeAnsi:
		parts := strings.Split(string(b), "\x00")
		if len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		for i, p := range parts {
			parts[i] = ansiString([]byte(p))
		}
		return parts, nil
	case typeSID:
		var out []string
		for len(b) > 0 {
			s, n, err := formatSID(b)
			if err != nil {
				return out, err
			}
			out = append(out, s)
			b = b[n:]
		}
		return out, nil
	}
	size := fixedSize(item)
	if item == typeSizeT || item == typeHandle {
		size = 8
		if len(b)%8 != 0 {
			size = 4
		}
	}
	if size == 0 {
		s, err := formatValue(item, b)
		return []string{s}, err
	}
	out := make([]string, 0, len(b)/size)
	var err error
	for len(b) >= size {
		s, e := formatValue(item, b[:size])
		if e != nil && err == nil {
			err = e
		}
		out = append(out, s)
		b = b[size:]
	}
	if len(b) != 0 && err == nil {
		err = fmt.Errorf("%w: array of type 0x%02x has %d trailing bytes", errValue, t, len(b))
	}
	return out, err
}

// u16s reads b as little-endian UTF-16 code units (an odd last byte is
// dropped).
func u16s(b []byte) []uint16 {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return u
}

// utf16String decodes UTF-16LE text, dropping trailing NUL characters;
// unpaired surrogates become U+FFFD.
func utf16String(b []byte) string {
	n := len(b) / 2
	for n > 0 && b[2*n-2] == 0 && b[2*n-1] == 0 {
		n--
	}
	// Fast path for the common all-ASCII case.
	ascii := true
	for i := 0; i < n; i++ {
		if b[2*i+1] != 0 || b[2*i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = b[2*i]
		}
		return string(buf)
	}
	return utf16Runes(utf16.Decode(u16s(b[:2*n])))
}

func utf16Runes(r []rune) string {
	var sb strings.Builder
	sb.Grow(len(r))
	for _, c := range r {
		sb.WriteRune(c)
	}
	return sb.String()
}

// ansiString decodes a code-page string: UTF-8 when it is valid UTF-8,
// otherwise each byte as the Latin-1 character of the same value (the
// code page is not recorded in the file). Trailing NULs are dropped.
func ansiString(b []byte) string {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

const hexDigits = "0123456789ABCDEF"

// hexUpper renders bytes as upper-case hex without separators, as Windows
// renders binary values.
func hexUpper(b []byte) string {
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i] = hexDigits[c>>4]
		out[2*i+1] = hexDigits[c&0xf]
	}
	return string(out)
}

// formatGUID renders a 16-byte little-endian GUID as Windows does:
// {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}, upper case, in braces.
func formatGUID(b []byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("{%08X-%04X-%04X-%X-%X}", le.Uint32(b), le.Uint16(b[4:]), le.Uint16(b[6:]), b[8:10], b[10:16])
}

// filetimeEpoch is 1601-01-01 in Unix seconds.
const filetimeEpoch = -11644473600

// fileTime converts a FILETIME (100 ns intervals since 1601-01-01 UTC).
func fileTime(ft uint64) time.Time {
	return time.Unix(int64(ft/1e7)+filetimeEpoch, int64(ft%1e7)*100).UTC()
}

// formatFileTime renders a FILETIME as Windows does in event XML: UTC with
// seven fractional digits ("2025-11-27T07:40:10.1653240Z").
func formatFileTime(ft uint64) string {
	return fileTime(ft).Format("2006-01-02T15:04:05.0000000Z")
}

// formatSystemTime renders a 16-byte SYSTEMTIME as UTC with milliseconds
// ("2025-11-27T07:40:10.132Z"). The fields are printed as stored, even
// when out of range, so that nothing is normalised away.
func formatSystemTime(b []byte) string {
	le := binary.LittleEndian
	f := func(i int) int { return int(le.Uint16(b[2*i:])) }
	// Fields: year, month, day of week, day, hour, minute, second, ms.
	return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", f(0), f(1), f(3), f(4), f(5), f(6), f(7))
}

// formatSID renders a binary security identifier as "S-1-5-21-…" and
// returns how many bytes it used.
func formatSID(b []byte) (string, int, error) {
	if len(b) < 8 {
		return "", 0, fmt.Errorf("%w: SID of %d bytes", errValue, len(b))
	}
	subs := int(b[1])
	n := 8 + 4*subs
	if len(b) < n {
		return "", 0, fmt.Errorf("%w: SID with %d sub-authorities in %d bytes", errValue, subs, len(b))
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var sb strings.Builder
	sb.WriteString("S-")
	sb.WriteString(strconv.Itoa(int(b[0])))
	sb.WriteByte('-')
	if auth >= 1<<32 {
		fmt.Fprintf(&sb, "0x%012X", auth)
	} else {
		sb.WriteString(strconv.FormatUint(auth, 10))
	}
	for i := range subs {
		sb.WriteByte('-')
		sb.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10))
	}
	return sb.String(), n, nil
}

// formatFloat renders a real value: the shortest decimal that reads back
// to the same value, and Windows' spellings for infinities and NaN.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsInf(f, 1):
		return "1.#INF"
	case math.IsInf(f, -1):
		return "-1.#INF"
	case math.IsNaN(f):
		return "-1.#IND"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
