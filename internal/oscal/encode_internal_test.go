package oscal

import (
	"testing"
	"time"
)

func TestUUIDv5(t *testing.T) {
	// RFC 4122 / Python uuid.uuid5(NAMESPACE_DNS, "python.org").
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	if got, want := formatUUID(uuidV5Bytes(dns, "python.org")), "886313e1-3b8a-5372-9b90-0c9aee199e5d"; got != want {
		t.Errorf("uuid5(dns, python.org) = %s, want %s", got, want)
	}
	// The Khiên name space is fixed: changing it would change every
	// exported UUID.
	if got, want := formatUUID(khienSpace), formatUUID(uuidV5Bytes(uuidSpaceURL, "https://khien.vn/ns/oscal")); got != want {
		t.Errorf("khienSpace = %s, want %s", got, want)
	}
	a, b := uuidFor("x", "y"), uuidFor("x", "y")
	if a != b || !uuidPattern.MatchString(a) || a[14] != '5' {
		t.Errorf("uuidFor = %s, %s: want equal version 5 UUIDs", a, b)
	}
	if uuidFor("xy") == uuidFor("x", "y") {
		t.Error("uuidFor does not separate its parts")
	}
}

func TestStamp(t *testing.T) {
	ict := time.FixedZone("ICT", 7*3600)
	tests := []struct {
		in      time.Time
		want    string
		wantErr bool
	}{
		{time.Date(2025, 7, 1, 9, 30, 15, 999_999_999, ict), "2025-07-01T02:30:15Z", false},
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), "1900-01-01T00:00:00Z", false},
		{time.Time{}, "", true},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), "", true},
	}
	for _, tt := range tests {
		got, err := stamp("t", tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("stamp(%v) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"  a \n\t b  ":     "a b",
		"x\u00a0y\u2028 z": "x y z",
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
