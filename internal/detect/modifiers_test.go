package detect_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"

	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
)

// compileOne compiles a rule whose detection is det (YAML, indented by 4)
// with condition cond, on a product without a mapping (fields as named).
func compileOne(t *testing.T, det, cond string, opts detect.Options) *detect.Engine {
	t.Helper()
	doc := fmt.Sprintf("title: golden\nid: 00000000-0000-0000-0000-000000000001\nlogsource:\n    product: test\ndetection:\n%s\n    condition: %s\n", det, cond)
	rules, err := sigma.Parse([]byte(doc), "golden.yml")
	if err != nil {
		t.Fatalf("parse:\n%s\n%v", doc, err)
	}
	if opts.Mapping == nil {
		opts.Mapping = testMapping(t)
	}
	eng, problems, err := detect.Compile(rules, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if !p.Loaded {
			t.Fatalf("not loaded:\n%s\n%s", doc, p)
		}
	}
	return eng
}

func matches(eng *detect.Engine, fields map[string]string) bool {
	m := eng.NewMatcher()
	m.Reset(0)
	for k, v := range fields {
		m.Add(k, v)
	}
	return len(m.Match()) == 1
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func utf16le(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

func utf16be(s string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return string(b)
}

type golden struct {
	name   string
	det    string // the search "sel", indented by 8
	event  map[string]string
	want   bool
	places map[string][]string
}

func ev(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestModifiers is the golden test of every value modifier and value form.
func TestModifiers(t *testing.T) {
	tests := []golden{
		// Plain values: whole value, case-insensitive, wildcards.
		{"equal any case", `Image: 'C:\Windows\System32\cmd.exe'`, ev("Image", `c:\windows\system32\CMD.EXE`), true, nil},
		{"equal is whole value", `Image: 'cmd.exe'`, ev("Image", `C:\cmd.exe`), false, nil},
		{"star", `Image: '*\cmd.exe'`, ev("Image", `C:\x\cmd.exe`), true, nil},
		{"inner star", `Image: 'C:\\*\cmd.exe'`, ev("Image", `C:\a\b\cmd.exe`), true, nil},
		{"question mark", `Image: 'cm?.exe'`, ev("Image", `cmd.exe`), true, nil},
		{"question mark is one character", `Image: 'cm?.exe'`, ev("Image", `cm.exe`), false, nil},
		{"escaped star", `Image: 'a\*b'`, ev("Image", `a*b`), true, nil},
		{"escaped star is literal", `Image: 'a\*b'`, ev("Image", `axxb`), false, nil},
		{"escaped backslash", `Image: 'a\\*'`, ev("Image", `a\anything`), true, nil},
		{"list is any", "Image:\n            - 'a.exe'\n            - 'b.exe'", ev("Image", "B.EXE"), true, nil},
		{"number", `EventID: 4688`, ev("EventID", "4688"), true, nil},
		{"number differs", `EventID: 4688`, ev("EventID", "46880"), false, nil},
		{"bool", `Enabled: true`, ev("Enabled", "true"), true, nil},
		{"absent field", `Image: 'x'`, ev("Other", "x"), false, nil},
		{"unicode folding", `User: 'NGUYỄN'`, ev("User", "nguyễn"), true, nil},

		// contains / startswith / endswith / all.
		{"contains", `CommandLine|contains: 'VSSADMIN'`, ev("CommandLine", "cmd /c vssadmin delete shadows"), true, nil},
		{"contains miss", `CommandLine|contains: 'wbadmin'`, ev("CommandLine", "vssadmin"), false, nil},
		{"startswith", `CommandLine|startswith: 'cmd '`, ev("CommandLine", "CMD /c x"), true, nil},
		{"startswith miss", `CommandLine|startswith: 'cmd '`, ev("CommandLine", "x cmd /c"), false, nil},
		{"endswith", `Image|endswith: '\rundll32.exe'`, ev("Image", `C:\Windows\RUNDLL32.exe`), true, nil},
		{"endswith miss", `Image|endswith: '\rundll32.exe'`, ev("Image", `C:\rundll32.exe.bak`), false, nil},
		{"contains with wildcard", `CommandLine|contains: 'delete*shadows'`, ev("CommandLine", "vssadmin delete all shadows /quiet"), true, nil},
		{"contains|all", "CommandLine|contains|all:\n            - 'delete'\n            - 'shadows'", ev("CommandLine", "vssadmin delete shadows"), true, nil},
		{"contains|all needs all", "CommandLine|contains|all:\n            - 'delete'\n            - 'catalog'", ev("CommandLine", "vssadmin delete shadows"), false, nil},
		{"cased", `CommandLine|contains|cased: 'Invoke-Mimikatz'`, ev("CommandLine", "Invoke-Mimikatz -x"), true, nil},
		{"cased miss", `CommandLine|contains|cased: 'Invoke-Mimikatz'`, ev("CommandLine", "invoke-mimikatz -x"), false, nil},

		// Regular expressions.
		{"re", `CommandLine|re: '^cmd\.exe /c [a-z]+$'`, ev("CommandLine", "cmd.exe /c whoami"), true, nil},
		{"re is case-sensitive", `CommandLine|re: '^cmd'`, ev("CommandLine", "CMD"), false, nil},
		{"re|i", `CommandLine|re|i: '^cmd'`, ev("CommandLine", "CMD"), true, nil},
		{"re|m", `Text|re|m: '^second$'`, ev("Text", "first\nsecond\nthird"), true, nil},
		{"re without m", `Text|re: '^second$'`, ev("Text", "first\nsecond\nthird"), false, nil},
		{"re|s", `Text|re|s: 'first.second'`, ev("Text", "first\nsecond"), true, nil},
		{"re without s", `Text|re: 'first.second'`, ev("Text", "first\nsecond"), false, nil},

		// Encodings.
		{"base64", `Data|base64: 'hello world'`, ev("Data", b64("hello world")), true, nil},
		{"base64|contains", `Data|base64|contains: 'hello'`, ev("Data", "x "+b64("hello")+" y"), true, nil},
		{"base64offset 0", `Data|base64offset|contains: 'http://'`, ev("Data", b64("http://evil")), true, nil},
		{"base64offset 1", `Data|base64offset|contains: 'http://'`, ev("Data", b64("xhttp://evil")), true, nil},
		{"base64offset 2", `Data|base64offset|contains: 'http://'`, ev("Data", b64("xyhttp://evil")), true, nil},
		{"base64offset miss", `Data|base64offset|contains: 'http://'`, ev("Data", b64("ftp://evil")), false, nil},
		{"utf16le|base64offset", `Data|utf16le|base64offset|contains: 'Invoke'`, ev("Data", b64(utf16le("xInvoke-Expression"))), true, nil},
		{"wide|base64offset", `Data|wide|base64offset|contains: 'Invoke'`, ev("Data", b64(utf16le("Invoke-Expression"))), true, nil},
		{"utf16be|base64", `Data|utf16be|base64: 'ab'`, ev("Data", b64(utf16be("ab"))), true, nil},
		{"utf16|base64", `Data|utf16|base64: 'ab'`, ev("Data", b64("\xff\xfe"+utf16le("ab"))), true, nil},
		{"windash slash", `CommandLine|contains|windash: ' -f '`, ev("CommandLine", "x.exe /f y"), true, nil},
		{"windash en dash", `CommandLine|contains|windash: ' -f '`, ev("CommandLine", "x.exe \u2013f y"), true, nil},
		{"windash dash", `CommandLine|contains|windash: ' -f '`, ev("CommandLine", "x.exe -f y"), true, nil},
		{"windash miss", `CommandLine|contains|windash: ' -f '`, ev("CommandLine", "x.exe +f y"), false, nil},

		// Networks and numbers.
		{"cidr", `SourceIp|cidr: '10.0.0.0/8'`, ev("SourceIp", "10.1.2.3"), true, nil},
		{"cidr miss", `SourceIp|cidr: '10.0.0.0/8'`, ev("SourceIp", "11.1.2.3"), false, nil},
		{"cidr ipv6", `SourceIp|cidr: 'fe80::/10'`, ev("SourceIp", "fe80::1"), true, nil},
		{"cidr not an address", `SourceIp|cidr: '10.0.0.0/8'`, ev("SourceIp", "ten"), false, nil},
		{"lt", `Count|lt: 10`, ev("Count", "9"), true, nil},
		{"lt boundary", `Count|lt: 10`, ev("Count", "10"), false, nil},
		{"lte", `Count|lte: 10`, ev("Count", "10"), true, nil},
		{"gt", `Count|gt: 10`, ev("Count", "10.5"), true, nil},
		{"gte", `Count|gte: 10`, ev("Count", "9"), false, nil},
		{"gt not a number", `Count|gt: 10`, ev("Count", "many"), false, nil},

		// Presence.
		{"exists true", `Image|exists: true`, ev("Image", ""), true, nil},
		{"exists true absent", `Image|exists: true`, ev("Other", "x"), false, nil},
		{"exists false", `Image|exists: false`, ev("Other", "x"), true, nil},
		{"null absent", `Image: null`, ev("Other", "x"), true, nil},
		{"null empty", `Image: null`, ev("Image", ""), true, nil},
		{"null present", `Image: null`, ev("Image", "x"), false, nil},
		{"empty string", `Image: ''`, ev("Image", ""), true, nil},
		{"empty string present", `Image: ''`, ev("Image", "x"), false, nil},
		{"star alone", `Image: '*'`, ev("Image", "x"), true, nil},
		{"star alone absent", `Image: '*'`, ev("Other", "x"), false, nil},

		// Field references.
		{"fieldref", `TargetUserName|fieldref: SubjectUserName`, ev("TargetUserName", "Admin", "SubjectUserName", "admin"), true, nil},
		{"fieldref differs", `TargetUserName|fieldref: SubjectUserName`, ev("TargetUserName", "a", "SubjectUserName", "b"), false, nil},
		{"fieldref absent", `TargetUserName|fieldref: SubjectUserName`, ev("TargetUserName", "a"), false, nil},
		{"fieldref|endswith", `TargetFilename|fieldref|endswith: Name`, ev("TargetFilename", `C:\x\evil.exe`, "Name", "EVIL.exe"), true, nil},
		{"fieldref|contains", `CommandLine|fieldref|contains: Name`, ev("CommandLine", "run evil.exe now", "Name", "evil.exe"), true, nil},

		// Placeholders.
		{"expand", `Host|expand: '%dc%'`, ev("Host", "DC01"), true, map[string][]string{"dc": {"dc01", "dc02"}}},
		{"expand other", `Host|expand: '%dc%'`, ev("Host", "ws01"), false, map[string][]string{"dc": {"dc01", "dc02"}}},
		{"expand unconfigured matches nothing", `Host|expand: '%dc%'`, ev("Host", "%dc%"), false, nil},
		{"expand in text", `Path|expand|startswith: '%root%\bin'`, ev("Path", `C:\app\bin\x`), true, map[string][]string{"root": {`C:\app`}}},

		// Not equal (Sigma 2.1).
		{"neq", `User|neq: 'system'`, ev("User", "alice"), true, nil},
		{"neq equal", `User|neq: 'system'`, ev("User", "SYSTEM"), false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			det := "    sel:\n        " + tt.det
			eng := compileOne(t, det, "sel", detect.Options{Placeholders: tt.places})
			if got := matches(eng, tt.event); got != tt.want {
				t.Errorf("%s on %v: got %v, want %v", tt.det, tt.event, got, tt.want)
			}
		})
	}
}

// TestConditions is the golden test of conditions and search forms.
func TestConditions(t *testing.T) {
	det := strings.Join([]string{
		"    selection_img:",
		"        Image|endswith: '\\vssadmin.exe'",
		"    selection_cli:",
		"        CommandLine|contains: 'delete'",
		"    filter_main:",
		"        User: 'backup'",
		"    alt:",
		"        - Image: 'a.exe'",
		"        - CommandLine: 'b'",
		"    keywords:",
		"        - 'Failed password'",
		"        - 'authentication failure'",
	}, "\n")
	vss := ev("Image", `C:\vssadmin.exe`, "CommandLine", "vssadmin delete shadows", "User", "alice")
	tests := []struct {
		cond  string
		event map[string]string
		want  bool
	}{
		{"all of selection_*", vss, true},
		{"all of selection_* and not filter_main", vss, true},
		{"all of selection_* and not filter_main", ev("Image", `C:\vssadmin.exe`, "CommandLine", "delete", "User", "BACKUP"), false},
		{"1 of selection_*", ev("CommandLine", "delete"), true},
		{"all of selection_*", ev("CommandLine", "delete"), false},
		{"not filter_main", ev("Image", "x"), true},
		{"not 1 of filter_*", ev("User", "backup"), false},
		{"selection_img or (selection_cli and not filter_main)", ev("CommandLine", "delete", "User", "bob"), true},
		{"(selection_img or selection_cli) and filter_main", ev("CommandLine", "delete", "User", "bob"), false},
		{"alt", ev("CommandLine", "b"), true},
		{"alt", ev("Image", "b"), false},
		{"keywords", ev("message", "sshd: Failed password for root"), true},
		{"keywords", ev("message", "Accepted password for root"), false},
		{"1 of them", ev("User", "backup"), true},
		{"all of them", vss, false},
	}
	for _, tt := range tests {
		eng := compileOne(t, det, tt.cond, detect.Options{})
		if got := matches(eng, tt.event); got != tt.want {
			t.Errorf("%s on %v: got %v, want %v", tt.cond, tt.event, got, tt.want)
		}
	}
}

// testMapping maps the product "test": fields as named, no guard.
func testMapping(t testing.TB) *detect.Mapping {
	t.Helper()
	m, err := detect.ParseMapping([]byte("version: test\nproducts:\n  test:\n    fallback: [\"\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
