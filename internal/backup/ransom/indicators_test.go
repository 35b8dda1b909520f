package ransom_test

import (
	"testing"

	"khien.vn/khien/internal/backup/ransom"
)

func TestIndicators(t *testing.T) {
	counts := map[string]int{}
	for _, in := range ransom.Indicators() {
		counts[in.Kind]++
		if in.Comment == "" {
			t.Errorf("%s %q has no comment saying where it comes from", in.Kind, in.Pattern)
		}
	}
	want := map[string]int{"ext": 43, "note": 32, "opaque": 8, "benign": 17}
	for kind, n := range want {
		if counts[kind] != n {
			t.Errorf("%d %s entries, want %d (update the counts in indicators.txt's comments too)", counts[kind], kind, n)
		}
	}
}

func TestMatchExtension(t *testing.T) {
	tests := []struct {
		name    string
		ok      bool
		pattern string
	}{
		{"/srv/a/hop-dong.docx.lockbit", true, "lockbit"},
		{"BAO-CAO.XLSX.LOCKBIT", true, "lockbit"},
		{"/srv/a/report.pdf.id[1E857D00-2275].[restore@mail.cc].phobos", true, "phobos"},
		{"db.mdf.ragnar_0a1b2c3d", true, "ragnar_*"},
		{"photo.jpg._locked", true, "_locked"},
		{"notes.txt.encrypted", true, "encrypted"},
		{"book.djvu", false, ""},   // DjVu documents, not STOP/Djvu
		{"wallet.dat", false, ""},  // Bitcoin Core
		{"report.docx", false, ""}, // ordinary
		{"lockbit", false, ""},     // no extension
		{".lockbit", false, ""},    // a dot-file, not an extension
	}
	for _, tt := range tests {
		if in, ok := ransom.MatchExtension(tt.name); ok != tt.ok || in.Pattern != tt.pattern {
			t.Errorf("MatchExtension(%q) = %q, %t; want %q, %t", tt.name, in.Pattern, ok, tt.pattern, tt.ok)
		}
	}
}

func TestMatchNote(t *testing.T) {
	tests := []struct {
		name    string
		ok      bool
		comment string
	}{
		{"/srv/share/Restore-My-Files.txt", true, "LockBit 2.0"},
		{"/srv/share/x7Kq2mZpA.README.txt", true, "LockBit 3.0 (victim id + \".README.txt\")"},
		{"/home/u/_readme.txt", true, "STOP/Djvu"},
		{"C/Users/u/Desktop/FILES ENCRYPTED.txt", true, "Dharma/CrySiS"},
		{"/srv/# DECRYPT MY FILES #.html", true, "Cerber"},
		{"/srv/HOW_TO_RECOVER_DATA.html", true, "generic"},
		{"/srv/README_DECRYPT.txt", true, "generic"},
		{"/srv/info.hta", true, "Phobos (its info.txt twin is too common a name)"},
		{"/srv/README.txt", false, ""},
		{"/srv/info.txt", false, ""},
		{"/srv/project.README.txt", false, ""}, // 7 characters, not LockBit's 9
		{"/srv/readme.md", false, ""},
	}
	for _, tt := range tests {
		if in, ok := ransom.MatchNote(tt.name); ok != tt.ok || in.Comment != tt.comment {
			t.Errorf("MatchNote(%q) = %q, %t; want %q, %t", tt.name, in.Comment, ok, tt.comment, tt.ok)
		}
	}
}
