package inventory

import (
	"strings"
	"testing"
)

func TestWithoutVersion(t *testing.T) {
	for _, c := range []struct{ name, version, want string }{
		{"7-Zip 23.01 (x64)", "23.01", "7-Zip (x64)"},
		{"Mozilla Firefox (x64 en-US) 115.0.2", "115.0.2", "Mozilla Firefox (x64 en-US)"},
		{"Notepad++ (64-bit x64)", "8.5.2", "Notepad++ (64-bit x64)"},       // no version in the name
		{"Python 3.12.1 (64-bit)", "3.12.1150.0", "Python 3.12.1 (64-bit)"}, // another version
		{"Tool 1.2.3", "1.2", "Tool 1.2.3"},                                 // part of a longer version
		{"Tool v1.2", "1.2", "Tool v1.2"},                                   // part of a word
		{"WinRAR 6.24 (64-bit)", "6.24.0", "WinRAR 6.24 (64-bit)"},
		{"Zalo 24.1.1 (24.1.1)", "24.1.1", "Zalo (24.1.1)"},
		{"1.0", "1.0", "1.0"}, // only the version: kept
		{"(1.0)", "1.0", "(1.0)"},
		{"Chrome", "", "Chrome"},
	} {
		if got := withoutVersion(c.name, c.version); got != c.want {
			t.Errorf("withoutVersion(%q, %q) = %q, want %q", c.name, c.version, got, c.want)
		}
	}
}

// An upgraded Windows program keeps its name, so the import's changes
// show a version change.
func TestWindowsUpgradeIsAChange(t *testing.T) {
	parse := func(csv string) Inventory {
		t.Helper()
		inv, err := Parse(FormatWindowsCSV, strings.NewReader(csv), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	before := parse("\"DisplayName\",\"DisplayVersion\",\"Publisher\"\r\n\"7-Zip 23.01 (x64)\",\"23.01\",\"Igor Pavlov\"\r\n")
	after := parse("\"DisplayName\",\"DisplayVersion\",\"Publisher\"\r\n\"7-Zip 24.08 (x64)\",\"24.08\",\"Igor Pavlov\"\r\n")
	added, removed, changed := Diff(before, after)
	if len(added) != 0 || len(removed) != 0 || len(changed) != 1 || changed[0].Name != "7-Zip (x64)" || changed[0].From != "23.01" ||
		changed[0].To != "24.08" {
		t.Errorf("upgrade: added %v, removed %v, changed %v", added, removed, changed)
	}
}
