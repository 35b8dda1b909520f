package flatjson_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/ingest"
	"khien.vn/khien/internal/ingest/flatjson"
)

func TestLimitsMatchIngest(t *testing.T) {
	if flatjson.MaxDepth != ingest.MaxDepth || flatjson.MaxFields != ingest.MaxFields {
		t.Errorf("limits %d, %d; ingest has %d, %d", flatjson.MaxDepth, flatjson.MaxFields, ingest.MaxDepth, ingest.MaxFields)
	}
}

// nest returns {"k":{"k":…inner…}} with n objects around inner.
func nest(n int, inner string) string {
	return strings.Repeat(`{"k":`, n) + inner + strings.Repeat(`}`, n)
}

// fields returns a flat object with n fields and then tail.
func fields(n int, tail string) string {
	var b strings.Builder
	b.WriteString(`{`)
	for i := range n {
		if i > 0 {
			b.WriteString(`,`)
		}
		fmt.Fprintf(&b, `"f%d":%d`, i, i)
	}
	return b.String() + tail + `}`
}

func TestDecode(t *testing.T) {
	deepKey := strings.TrimSuffix(strings.Repeat("k.", 32), ".")
	for _, tc := range []struct {
		name string
		in   string
		want map[string]string
		err  error // the kind, nil for success
	}{
		{name: "empty_object", in: `{}`, want: map[string]string{}},
		{name: "flat", in: `{"a":"x","n":-1.5e+3,"t":true,"f":false}`,
			want: map[string]string{"a": "x", "n": "-1.5e+3", "t": "true", "f": "false"}},
		{name: "white_space", in: " \t\r\n{ \"a\" :\n1 , \"b\"\t: \"c\" }\r\n ",
			want: map[string]string{"a": "1", "b": "c"}},
		{name: "nested", in: `{"host":{"name":"a","os":{"family":"windows"}},"x":1}`,
			want: map[string]string{"host.name": "a", "host.os.family": "windows", "x": "1"}},
		{name: "numbers_as_written", in: `{"a":0,"b":-0,"c":1.0,"d":1E400,"e":12345678901234567890,"f":0.5e-7}`,
			want: map[string]string{"a": "0", "b": "-0", "c": "1.0", "d": "1E400", "e": "12345678901234567890", "f": "0.5e-7"}},
		{name: "nulls_left_out", in: `{"a":null,"b":{"c":null}}`, want: map[string]string{}},
		{name: "empty_objects_left_out", in: `{"a":{},"b":{"c":{}}}`, want: map[string]string{}},
		{name: "empty_key_left_out", in: `{"":"x","a":{"":{"b":1},"c":2}}`, want: map[string]string{"a.c": "2"}},
		{name: "escapes", in: `{"s":"\"\\\/\b\f\n\r\t\u0041\u00e9\u4e2d"}`,
			want: map[string]string{"s": "\"\\/\b\f\n\r\tAé中"}},
		{name: "surrogate_pair", in: `{"s":"\ud83d\ude00\uD83D\uDE00"}`, want: map[string]string{"s": "😀😀"}},
		{name: "lone_surrogates", in: `{"s":"\ud800|\udc00|\ud800\u0041|\ud800\ud800\udc00|\ud800"}`,
			want: map[string]string{"s": "\uFFFD|\uFFFD|\uFFFDA|\uFFFD\U00010000|\uFFFD"}},
		{name: "invalid_utf8", in: "{\"s\":\"a\xffb\xc3(\xe2\x82\",\"ok\":\"Đăng nhập\"}",
			want: map[string]string{"s": "a\uFFFDb\uFFFD(\uFFFD\uFFFD", "ok": "Đăng nhập"}},
		{name: "escaped_key", in: `{"\u0061b":{"c\"d":1}}`, want: map[string]string{"ab.c\"d": "1"}},
		{name: "invalid_utf8_key", in: "{\"k\xff\":1}", want: map[string]string{"k\uFFFD": "1"}},
		{name: "nul_key", in: `{"\u0000":1}`, want: map[string]string{"\x00": "1"}},
		{name: "control_escapes", in: `{"s":"\u0000\u001f\u007f"}`, want: map[string]string{"s": "\x00\x1f\x7f"}},
		{name: "array", in: `{"a":[1, "x" ,true,null,[ ],{}]}`, want: map[string]string{"a": `[1,"x",true,null,[],{}]`}},
		{name: "array_html_escaped", in: `{"a":["<a&b>","\u2028\u2029","\n\t\u0001\b\f\r","é\ud800"]}`,
			want: map[string]string{"a": `["\u003ca\u0026b\u003e","\u2028\u2029","\n\t\u0001\b\f\r","é` + "\uFFFD" + `"]`}},
		{name: "array_objects_sorted", in: `{"a":[{"z":1,"b":{"y":2,"x":[3]},"z":4,"":5}]}`,
			want: map[string]string{"a": `[{"":5,"b":{"x":[3],"y":2},"z":4}]`}},
		{name: "array_escaped_keys", in: `{"a":[{"\u0062":1,"a":2,"b":3}]}`, want: map[string]string{"a": `[{"a":2,"b":3}]`}},
		{name: "array_deep", in: `{"a":` + strings.Repeat(`[{"k":`, 40) + `1` + strings.Repeat(`}]`, 40) + `}`,
			want: map[string]string{"a": strings.Repeat(`[{"k":`, 40) + `1` + strings.Repeat(`}]`, 40)}},
		{name: "array_numbers_as_written", in: `{"a":[1.50,-0,1e2]}`, want: map[string]string{"a": `[1.50,-0,1e2]`}},
		{name: "duplicate_keeps_last", in: `{"a":1,"b":2,"a":3}`, want: map[string]string{"a": "3", "b": "2"}},
		{name: "duplicate_null_removes", in: `{"a":1,"a":null}`, want: map[string]string{}},
		{name: "duplicate_object_replaced", in: `{"a":{"x":1},"a":{"y":2}}`, want: map[string]string{"a.y": "2"}},
		{name: "duplicate_object_by_scalar", in: `{"a":{"x":1},"a":2}`, want: map[string]string{"a": "2"}},
		{name: "duplicate_escaped_key", in: `{"a":1,"\u0061":2}`, want: map[string]string{"a": "2"}},
		{name: "duplicate_replaces_too_deep", in: `{"a":` + nest(40, "1") + `,"a":1}`, want: map[string]string{"a": "1"}},
		{name: "trailing_close_ignored", in: `{"a":1} ]]] anything`, want: map[string]string{"a": "1"}},
		{name: "trailing_brace_ignored", in: `{"a":1}}`, want: map[string]string{"a": "1"}},
		{name: "depth_limit_ok", in: nest(32, "1"), want: map[string]string{deepKey: "1"}},
		{name: "depth_limit_empty_inner", in: nest(32, "{}"), want: map[string]string{}},
		{name: "depth_under_empty_key", in: `{"":` + nest(40, "1") + `}`, want: map[string]string{}},
		{name: "depth_in_array", in: `{"a":[` + nest(40, "1") + `]}`,
			want: map[string]string{"a": "[" + nest(40, "1") + "]"}},
		{name: "nesting_limit_ok", in: `{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
			want: map[string]string{"a": strings.Repeat("[", 9999) + strings.Repeat("]", 9999)}},
		{name: "nesting_limit_ok_empty_keys", in: strings.Repeat(`{"":`, 9999) + `{}` + strings.Repeat(`}`, 9999),
			want: map[string]string{}},
		{name: "fields_limit_ok", in: fields(2000, ""), want: fieldsMap(2000)},
		{name: "fields_limit_off_by_one", in: fields(2001, ""), want: fieldsMap(2001)},

		{name: "depth_exceeded", in: nest(33, "1"), err: flatjson.ErrTooDeep},
		{name: "depth_exceeded_null", in: nest(33, "null"), err: flatjson.ErrTooDeep},
		{name: "fields_exceeded", in: fields(2002, ""), err: flatjson.ErrTooManyFields},
		{name: "fields_exceeded_by_null", in: fields(2001, `,"n":null`), err: flatjson.ErrTooManyFields},
		{name: "nesting_exceeded", in: `{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
			err: flatjson.ErrSyntax},
		{name: "nesting_exceeded_empty_keys", in: strings.Repeat(`{"":`, 10000) + `{}` + strings.Repeat(`}`, 10000),
			err: flatjson.ErrSyntax},
		{name: "top_level_array", in: `[{"a":1}]`, err: flatjson.ErrNotObject},
		{name: "top_level_string", in: `"s"`, err: flatjson.ErrNotObject},
		{name: "top_level_number", in: ` 1 `, err: flatjson.ErrNotObject},
		{name: "top_level_null", in: `null`, err: flatjson.ErrNotObject},
		{name: "empty", in: ``, err: flatjson.ErrSyntax},
		{name: "blank", in: " \n", err: flatjson.ErrSyntax},
		{name: "truncated_object", in: `{"a":1`, err: flatjson.ErrSyntax},
		{name: "truncated_key", in: `{"a`, err: flatjson.ErrSyntax},
		{name: "truncated_after_key", in: `{"a"`, err: flatjson.ErrSyntax},
		{name: "truncated_after_colon", in: `{"a":`, err: flatjson.ErrSyntax},
		{name: "truncated_string", in: `{"a":"x`, err: flatjson.ErrSyntax},
		{name: "truncated_escape", in: `{"a":"x\`, err: flatjson.ErrSyntax},
		{name: "truncated_unicode", in: `{"a":"\u00`, err: flatjson.ErrSyntax},
		{name: "truncated_array", in: `{"a":[1,`, err: flatjson.ErrSyntax},
		{name: "truncated_literal", in: `{"a":tru`, err: flatjson.ErrSyntax},
		{name: "bad_escape", in: `{"a":"\x"}`, err: flatjson.ErrSyntax},
		{name: "bad_escape_quote", in: `{"a":"\'"}`, err: flatjson.ErrSyntax},
		{name: "bad_unicode", in: `{"a":"\u12G4"}`, err: flatjson.ErrSyntax},
		{name: "control_in_string", in: "{\"a\":\"x\ty\"}", err: flatjson.ErrSyntax},
		{name: "control_in_key", in: "{\"a\n\":1}", err: flatjson.ErrSyntax},
		{name: "number_leading_zero", in: `{"a":01}`, err: flatjson.ErrSyntax},
		{name: "number_bare_point", in: `{"a":1.}`, err: flatjson.ErrSyntax},
		{name: "number_bare_minus", in: `{"a":-}`, err: flatjson.ErrSyntax},
		{name: "number_bare_exponent", in: `{"a":1e}`, err: flatjson.ErrSyntax},
		{name: "number_exponent_sign", in: `{"a":1e+}`, err: flatjson.ErrSyntax},
		{name: "number_plus", in: `{"a":+1}`, err: flatjson.ErrSyntax},
		{name: "number_point_first", in: `{"a":.5}`, err: flatjson.ErrSyntax},
		{name: "number_hex", in: `{"a":0x1}`, err: flatjson.ErrSyntax},
		{name: "number_in_array", in: `{"a":[01]}`, err: flatjson.ErrSyntax},
		{name: "literal_case", in: `{"a":True}`, err: flatjson.ErrSyntax},
		{name: "literal_suffix", in: `{"a":nullx}`, err: flatjson.ErrSyntax},
		{name: "single_quotes", in: `{'a':1}`, err: flatjson.ErrSyntax},
		{name: "unquoted_key", in: `{a:1}`, err: flatjson.ErrSyntax},
		{name: "missing_colon", in: `{"a" 1}`, err: flatjson.ErrSyntax},
		{name: "missing_comma", in: `{"a":1 "b":2}`, err: flatjson.ErrSyntax},
		{name: "trailing_comma", in: `{"a":1,}`, err: flatjson.ErrSyntax},
		{name: "trailing_comma_array", in: `{"a":[1,]}`, err: flatjson.ErrSyntax},
		{name: "mismatched_close", in: `{"a":[1}}`, err: flatjson.ErrSyntax},
		{name: "trailing_garbage", in: `{"a":1} x`, err: flatjson.ErrSyntax},
		{name: "trailing_value", in: `{"a":1}{"b":2}`, err: flatjson.ErrSyntax},
		{name: "trailing_nul", in: "{\"a\":1}\x00", err: flatjson.ErrSyntax},
		{name: "bom", in: "\ufeff{}", err: flatjson.ErrSyntax},
		{name: "invalid_utf8_outside_string", in: "{\"a\":1\xff}", err: flatjson.ErrSyntax},
		{name: "bad_value_after_empty_key", in: `{"":[1,]}`, err: flatjson.ErrSyntax},
		{name: "bad_value_in_replaced", in: `{"a":{"b":01},"a":1}`, err: flatjson.ErrSyntax},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d flatjson.Decoder
			got, _, err := decode(&d, []byte(tc.in))
			if tc.err != nil {
				var de *flatjson.DecodeError
				if !errors.Is(err, tc.err) || !errors.As(err, &de) {
					t.Fatalf("error %v, want a *DecodeError of kind %v", err, tc.err)
				}
			} else {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
			}
			checkAgainstReference(t, &d, []byte(tc.in))
			// Flatten agrees.
			m, err := flatjson.Flatten([]byte(tc.in))
			if (err == nil) != (tc.err == nil) || (err == nil && !cmp.Equal(m, tc.want)) {
				t.Errorf("Flatten = %v, %v", m, err)
			}
		})
	}
}

func fieldsMap(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("f%d", i)] = fmt.Sprint(i)
	}
	return m
}

func TestDecode_order(t *testing.T) {
	var got []string
	var d flatjson.Decoder
	err := d.Decode([]byte(`{"b":1,"a":{"y":"s","x":[2]},"a.x":3,"c":null,"b":4,"d":{"e":{"f":true}}}`),
		func(k, v []byte) { got = append(got, string(k)+"="+string(v)) })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.y=s", "a.x=[2]", "a.x=3", "b=4", "d.e.f=true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("leaves (-want +got):\n%s", diff)
	}
}

func TestDecode_errors(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		calls    int // leaves reported before the error
	}{
		{in: `{"a":1,"b":x}`, want: "invalid character 'x' looking for beginning of value at offset 11"},
		{in: `{"a":"x`, want: "unexpected end of JSON input at offset 7"},
		{in: `{"a":"\q"}`, want: `invalid character 'q' in string escape code at offset 7`},
		{in: "{\"a\":\"\x01\"}", want: `invalid character '\x01' in string literal at offset 6`},
		{in: `{"a":01}`, want: "invalid character '1' after object key:value pair at offset 6"},
		{in: `{"a":1} 2`, want: "invalid character '2' after top-level value at offset 8"},
		{in: `[1]`, want: "a JSON array is not a document at offset 0"},
		{in: ` "s"`, want: "not a JSON object at offset 1"},
		{in: `{"x":"y",` + nest(33, "1")[1:], want: "nested deeper than 32 levels at offset 173", calls: 1},
		{in: fields(2002, ""), want: "more than 2000 fields at offset", calls: 2001},
	} {
		var d flatjson.Decoder
		calls := 0
		err := d.Decode([]byte(tc.in), func(k, v []byte) { calls++ })
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || calls != tc.calls {
			t.Errorf("%.40q: error %v after %d calls, want %q after %d", tc.in, err, calls, tc.want, tc.calls)
		}
	}
}

// TestDecode_reuse checks that a Decoder carries nothing from one line to
// the next.
func TestDecode_reuse(t *testing.T) {
	var d flatjson.Decoder
	lines := []string{
		`{"a\u0041":{"b":"x\ny"},"c":[{"z":1,"y":2}]}`,
		`{"a":"\ud800"}`,
		`{"a":1,`,
		`{"q":"plain","a":{"b":1}}`,
		nest(40, "1"),
		`{"z":true}`,
	}
	for range 3 {
		for _, l := range lines {
			checkAgainstReference(t, &d, []byte(l))
		}
	}
}

func TestDecode_allocs(t *testing.T) {
	var d flatjson.Decoder
	if !strings.Contains(string(ecsArraysLine), `"tags":["windows"`) {
		t.Fatalf("ecsArraysLine lacks its arrays: %s", ecsArraysLine)
	}
	for name, line := range map[string][]byte{
		"windows":       windowsLine,
		"ecs":           ecsLine,
		"ecs_arrays":    ecsArraysLine,
		"escaped":       []byte(`{"k\u00e9y":"a\tb\u00e9\ud83d\ude00","x":"` + "\xff" + `"}`),
		"scalar_arrays": []byte(`{"tags":["a","<b>","c\u00e9"],"n":[1,2.5,[true,null]]}`),
		"object_arrays": []byte(`{"a":[{"z":1,"b":{"y":2,"x":[3]},"z":4}]}`),
	} {
		n := 0
		fn := func(k, v []byte) { n++ }
		if err := d.Decode(line, fn); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if allocs := testing.AllocsPerRun(100, func() { _ = d.Decode(line, fn) }); allocs != 0 {
			t.Errorf("%s: %v allocations per Decode, want 0", name, allocs)
		}
	}
}

// TestDecode_largeObjects checks duplicate keys in objects too large for
// the Bloom filter, on both sides of the switch to the table, and in
// nested large objects that share keys.
func TestDecode_largeObjects(t *testing.T) {
	large := func(n, keys int, inner func(i int) string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%s`, i%keys, inner(i))
		}
		return b.String() + "}"
	}
	num := func(i int) string { return fmt.Sprint(i) }
	null := func(i int) string {
		if i%7 == 0 {
			return "null"
		}
		return fmt.Sprint(i)
	}
	var d flatjson.Decoder
	for _, line := range []string{
		large(200, 1000, num),
		large(200, 65, num),
		large(200, 64, null),
		large(200, 63, null),
		large(1000, 80, null),
		large(5000, 5000, func(int) string { return "null" }),
		large(100, 90, func(i int) string { return large(100, 70+i%10, num) }),
		large(70, 66, func(i int) string {
			if i%2 == 0 {
				return `{"x":1}`
			}
			return large(70, 60, null)
		}),
	} {
		checkAgainstReference(t, &d, []byte(line))
	}
	// Linear time: a megabyte of members with the same key, or with keys
	// alike but for their middle, decodes in one pass.
	same := "{" + strings.Repeat(`"k":1,`, 200000) + `"k":2}`
	got, _, err := decode(&d, []byte(same))
	if err != nil || len(got) != 1 || got["k"] != "2" {
		t.Errorf("same key: %v, %v", got, err)
	}
}
