package evtx

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"
)

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func systemTime(f ...uint16) []byte {
	var b []byte
	for _, v := range f {
		b = append(b, le16(v)...)
	}
	return b
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		name string
		typ  byte
		data []byte
		want string
	}{
		{"null", typeNull, nil, ""},
		{"string", typeString, []byte{'h', 0, 'i', 0, 0, 0}, "hi"},
		{"string_non_ascii", typeString, []byte{0xe9, 0, 0x3d, 0xd8, 0x00, 0xde}, "é😀"},
		{"string_lone_surrogate", typeString, []byte{0x3d, 0xd8, 'a', 0}, "\uFFFDa"},
		{"ansi_latin1", typeAnsi, []byte{'c', 0xe9, 0}, "cé"},
		{"int8", typeInt8, []byte{0x80}, "-128"},
		{"uint8", typeUint8, []byte{0xff}, "255"},
		{"int16", typeInt16, le16(0xfffe), "-2"},
		{"uint16", typeUint16, le16(65535), "65535"},
		{"int32", typeInt32, le32(0xffffffff), "-1"},
		{"uint32", typeUint32, le32(4294967295), "4294967295"},
		{"int64", typeInt64, le64(math.MaxUint64), "-1"},
		{"uint64", typeUint64, le64(math.MaxUint64), "18446744073709551615"},
		{"real32", typeReal32, le32(math.Float32bits(1.5)), "1.5"},
		{"real64", typeReal64, le64(math.Float64bits(0.1)), "0.1"},
		{"real64_inf", typeReal64, le64(math.Float64bits(math.Inf(-1))), "-1.#INF"},
		{"real64_nan", typeReal64, le64(math.Float64bits(math.NaN())), "-1.#IND"},
		{"bool_true", typeBool, le32(1), "true"},
		{"bool_false", typeBool, le32(0), "false"},
		{"binary", typeBinary, []byte{0x00, 0xab, 0x0f}, "00AB0F"},
		{"binary_empty", typeBinary, nil, ""},
		// {54849625-5478-4994-A5BA-3E3B0328C30D}: the Security auditing provider.
		{"guid", typeGUID, []byte{0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28, 0xc3, 0x0d}, "{54849625-5478-4994-A5BA-3E3B0328C30D}"},
		{"size_t_32", typeSizeT, le32(0x1000), "0x1000"},
		{"size_t_64", typeSizeT, le64(0xfffff80012345678), "0xfffff80012345678"},
		// 2025-11-27T07:40:10.1653247Z
		{"filetime", typeFileTime, le64(134087028101653247), "2025-11-27T07:40:10.1653247Z"},
		{"filetime_zero", typeFileTime, le64(0), "1601-01-01T00:00:00.0000000Z"},
		{"filetime_max", typeFileTime, le64(math.MaxUint64), "60056-05-28T05:36:10.9551615Z"},
		{"systemtime", typeSysTime, systemTime(2025, 11, 4, 27, 7, 40, 10, 132), "2025-11-27T07:40:10.132Z"},
		{"systemtime_as_stored", typeSysTime, systemTime(0, 13, 0, 0, 25, 0, 0, 1000), "0000-13-00T25:00:00.1000Z"},
		{"sid_system", typeSID, []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}, "S-1-5-18"},
		{"sid_domain", typeSID, append([]byte{1, 5, 0, 0, 0, 0, 0, 5}, slices.Concat(le32(21), le32(1004336348), le32(1177238915), le32(682003330), le32(500))...), "S-1-5-21-1004336348-1177238915-682003330-500"},
		{"sid_null", typeSID, []byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "S-1-0-0"},
		{"sid_big_authority", typeSID, []byte{1, 0, 0x01, 0, 0, 0, 0, 0}, "S-1-0x010000000000"},
		{"hex32", typeHex32, le32(0x3e7), "0x3e7"},
		{"hex32_zero", typeHex32, le32(0), "0x0"},
		{"hex64", typeHex64, le64(0x8020000000000000), "0x8020000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := formatValue(tt.typ, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("formatValue(0x%02x, % x) = %q, want %q", tt.typ, tt.data, got, tt.want)
			}
		})
	}
}

func TestFormatValue_errors(t *testing.T) {
	tests := []struct {
		name string
		typ  byte
		data []byte
		want string // the value rendered anyway
	}{
		{"short_int", typeUint32, []byte{1, 2}, "0102"},
		{"long_guid", typeGUID, make([]byte, 17), "0000000000000000000000000000000000"},
		{"short_sid", typeSID, []byte{1, 2, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0}, "010200000000000501000000"},
		{"sid_with_trailing_bytes", typeSID, []byte{1, 0, 0, 0, 0, 0, 0, 5, 9}, "010000000000000509"},
		{"size_t_3_bytes", typeSizeT, []byte{1, 2, 3}, "010203"},
		{"unknown_type", 0x42, []byte{0xff}, "FF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := formatValue(tt.typ, tt.data)
			if !errors.Is(err, errValue) {
				t.Errorf("err = %v", err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatArray(t *testing.T) {
	sid := []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}
	tests := []struct {
		name    string
		typ     byte
		data    []byte
		want    []string
		wantErr bool
	}{
		{"strings", typeArray | typeString, []byte{'a', 0, 0, 0, 'b', 0, 'c', 0, 0, 0}, []string{"a", "bc"}, false},
		{"strings_unterminated", typeArray | typeString, []byte{'a', 0, 0, 0, 'b', 0}, []string{"a", "b"}, false},
		{"strings_empty_item", typeArray | typeString, []byte{0, 0, 'b', 0, 0, 0}, []string{"", "b"}, false},
		{"ansi", typeArray | typeAnsi, []byte("x\x00yz\x00"), []string{"x", "yz"}, false},
		{"uint16", typeArray | typeUint16, slices.Concat(le16(1), le16(2)), []string{"1", "2"}, false},
		{"hex64", typeArray | typeHex64, slices.Concat(le64(1), le64(0xff)), []string{"0x1", "0xff"}, false},
		{"guid", typeArray | typeGUID, make([]byte, 32), []string{"{00000000-0000-0000-0000-000000000000}", "{00000000-0000-0000-0000-000000000000}"}, false},
		{"sid", typeArray | typeSID, slices.Concat(sid, sid), []string{"S-1-5-18", "S-1-5-18"}, false},
		{"size_t_64", typeArray | typeSizeT, slices.Concat(le64(1), le64(2)), []string{"0x1", "0x2"}, false},
		{"size_t_32", typeArray | typeSizeT, slices.Concat(le32(1), le32(2), le32(3)), []string{"0x1", "0x2", "0x3"}, false},
		{"empty", typeArray | typeUint32, nil, []string{}, false},
		{"trailing_bytes", typeArray | typeUint32, []byte{1, 0, 0, 0, 9}, []string{"1"}, true},
		{"sid_truncated", typeArray | typeSID, slices.Concat(sid, sid[:5]), []string{"S-1-5-18"}, true},
		{"binary_array_as_one", typeArray | typeBinary, []byte{1, 2}, []string{"0102"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := formatArray(tt.typ, tt.data)
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
