package intel_test

import (
	"testing"

	"khien.vn/khien/internal/intel"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		t        intel.Type
		in, want string
	}{
		{intel.IP, " 203.0.113.7 ", "203.0.113.7"},
		{intel.IP, "::ffff:198.51.100.1", "198.51.100.1"},
		{intel.IP, "2001:DB8::1", "2001:db8::1"},
		{intel.CIDR, "10.1.2.3/8", "10.0.0.0/8"},
		{intel.CIDR, "198.51.100.7", "198.51.100.7/32"},
		{intel.Domain, "Evil.Example.VN.", "evil.example.vn"},
		{intel.Domain, "việtnam.vn", "xn--vitnam-jk8b.vn"},
		{intel.MD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
		{intel.Email, "Phishing@Example.vn", "phishing@example.vn"},
		{intel.URL, "http://c2.bad.example/gate.php?id=1", "http://c2.bad.example/gate.php?id=1"},
		{intel.FileName, "invoice.pdf.exe", "invoice.pdf.exe"},
	} {
		got, err := intel.Normalize(tc.t, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%s, %q) = %q, %v; want %q", tc.t, tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		t  intel.Type
		in string
	}{
		{intel.IP, "203.0.113"}, {intel.IP, "fe80::1%eth0"}, {intel.CIDR, "10.0.0.0/33"}, {intel.Domain, "localhost"},
		{intel.Domain, "bad domain.vn"}, {intel.MD5, "abc"}, {intel.SHA256, "zz" + string(make([]byte, 62))},
		{intel.URL, "/relative"}, {intel.FileName, `C:\x.exe`}, {intel.Email, "Bob <b@x.vn>"}, {intel.IP, "1.2.\n3.4"},
		{"hostname", "x"}, {intel.CIDR, "0.0.0.0/0"}, {intel.CIDR, "10.0.0.0/7"}, {intel.CIDR, "2001::/12"},
		{intel.Email, `"a b"@x.example`},
	} {
		if got, err := intel.Normalize(tc.t, tc.in); err == nil {
			t.Errorf("Normalize(%s, %q) = %q, want an error", tc.t, tc.in, got)
		}
	}
}

func TestDetectType(t *testing.T) {
	for _, tc := range []struct {
		in    string
		typ   intel.Type
		value string
	}{
		{"203.0.113.7", intel.IP, "203.0.113.7"},
		{"203.0.113.0/24", intel.CIDR, "203.0.113.0/24"},
		{"hxxp://c2[.]bad[.]example/x", intel.URL, "http://c2.bad.example/x"},
		{"evil[.]example[.]vn", intel.Domain, "evil.example.vn"},
		{"44d88612fea8a8f36de82e1278abb02f", intel.MD5, "44d88612fea8a8f36de82e1278abb02f"},
		{"3395856CE81F2B7382DEE72602F798B642F14140", intel.SHA1, "3395856ce81f2b7382dee72602f798b642f14140"},
		{"275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", intel.SHA256, "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"},
		{"attacker[@]mail.example", intel.Email, "attacker@mail.example"},
	} {
		typ, v, err := intel.DetectType(tc.in)
		if err != nil || typ != tc.typ || v != tc.value {
			t.Errorf("DetectType(%q) = %s %q %v; want %s %q", tc.in, typ, v, err, tc.typ, tc.value)
		}
	}
	for _, in := range []string{"", "hello world", "not/a/thing", "localhost", "1.2.3.4.5", "12.5", "2026.03.10"} {
		if typ, v, err := intel.DetectType(in); err == nil {
			t.Errorf("DetectType(%q) = %s %q, want an error", in, typ, v)
		}
	}
}
