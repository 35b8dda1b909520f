package flatjson_test

import (
	"strings"
	"testing"

	"khien.vn/khien/internal/ingest/flatjson"
)

// FuzzDecode checks Decode against ingest.DecodeJSON and ingest.Flatten:
// both fail, or both succeed with the same fields.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{}`,
		` {"a":1} `,
		`{"EventID":4688,"Channel":"Security","NewProcessName":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami"}`,
		`{"@timestamp":"2026-01-02T03:04:05Z","host":{"name":"ws01","ip":["10.0.0.1","fe80::1"]},"process":{"parent":{"pid":4}}}`,
		`{"a":{"b":{"c":{"d":null}}},"e":[],"f":{},"":{"g":1}}`,
		`{"s":"\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00\ud800\udc00x\ud800\u0041\udc00","k\u0041":1}`,
		"{\"bad\":\"\xff\xfe\xc3(\xe2\x82\",\"\xf0key\":2}",
		`{"a":[1,-0.5e+10,1E5,true,false,null,"<&>\u2028\u2029",[[]],{"z":1,"a":2,"z":3,"k":{"y":1,"x":[{}]}}]}`,
		`{"a":1,"a":null,"b":{"x":1},"b":{"y":2},"c":{"x":1},"c":3}`,
		`{"a.b":1,"a":{"b":2}}`,
		`{"n":01}`, `{"n":1.}`, `{"n":-}`, `{"n":1e}`, `{"n":-0.0e-0}`,
		`{"a":1}]trailing`, `{"a":1} }`, `{"a":1} x`, `{"a":1}{"b":2}`,
		`[{"a":1}]`, `"s"`, `1`, `null`, ``, ` `, `{"a":tru}`, `{"a":"x`, "{\"a\":\"\x01\"}",
		`{"\u0000":"\u0000","\u001f":"\u007f"}`,
		// Past the Bloom filter: the table of keys of large objects.
		"{" + strings.Repeat(`"a":1,"b":{"c":null},"d":[{"e":1,"e":2}],`, 30) + `"a":{"x":"y"}}`,
		// Deep: past MaxDepth, inside arrays, under an empty key.
		nest(33, "1"), `{"a":[` + nest(40, `[`+nest(3, "2")+`]`) + `]}`, `{"":` + nest(40, "null") + `}`,
	} {
		f.Add([]byte(s))
	}
	var d flatjson.Decoder // reused across inputs, as in production
	f.Fuzz(func(t *testing.T, line []byte) {
		checkAgainstReference(t, &d, line)
	})
}
