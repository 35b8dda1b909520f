package inventory_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"khien.vn/khien/internal/vuln/inventory"
)

// fuzzParse checks what Parse promises for any input: no panic (not even
// one Parse recovers from); either an
// error wrapping one of the sentinels with the zero Inventory, or an
// Inventory whose packages all have a name, sorted without duplicates.
func fuzzParse(f *testing.F, format string, opts inventory.Options, seeds ...string) {
	for _, s := range seeds {
		f.Add(readFixture(f, s))
	}
	f.Add([]byte(""))
	f.Add([]byte("{}"))
	f.Add([]byte("\xff\xfe{\x00}\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := inventory.Parse(format, bytes.NewReader(data), opts)
		if err != nil {
			if strings.Contains(err.Error(), "parser failure") {
				t.Fatalf("Parse recovered from a panic: %v", err)
			}
			if !errors.Is(err, inventory.ErrMalformed) && !errors.Is(err, inventory.ErrTooLarge) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			if !reflect.DeepEqual(inv, inventory.Inventory{}) {
				t.Fatalf("error %v with a non-zero inventory: %+v", err, inv)
			}
			return
		}
		if inv.Format != format {
			t.Fatalf("Format = %q", inv.Format)
		}
		checkInvariants(t, inv)
		inventory.Detect(data) // must not panic either
	})
}

func FuzzParseCycloneDXJSON(f *testing.F) {
	fuzzParse(f, "cyclonedx-json", inventory.Options{}, "cyclonedx-node-debian.json")
}

func FuzzParseCycloneDXXML(f *testing.F) {
	fuzzParse(f, "cyclonedx-xml", inventory.Options{}, "cyclonedx-node-debian.xml")
}

func FuzzParseSPDXJSON(f *testing.F) {
	fuzzParse(f, "spdx-json", inventory.Options{}, "spdx-python-alpine.json")
}

func FuzzParseSPDXTV(f *testing.F) {
	fuzzParse(f, "spdx-tv", inventory.Options{}, "spdx-java-ubuntu.spdx")
}

func FuzzParseDPKG(f *testing.F) {
	f.Add([]byte("Desired=Unknown/Install/Remove/Purge/Hold\n||/ Name Version Architecture Description\n+++-====-====-====-====\nii  bash 5.2.15-2+b2 amd64 GNU Bourne Again SHell\n"))
	fuzzParse(f, "dpkg", inventory.Options{Distro: "debian", Release: "12"}, "dpkg-debian12.txt")
}

func FuzzParseRPM(f *testing.F) {
	fuzzParse(f, "rpm", inventory.Options{Distro: "rocky", Release: "9"}, "rpm-qf-rocky9.txt", "rpm-qa-rhel9.txt")
}

func FuzzParseWindowsCSV(f *testing.F) {
	f.Add([]byte("\ufeff\"DisplayName\",\"DisplayVersion\",\"Publisher\"\r\n\"7-Zip 23.01 (x64)\",\"23.01\",\"Igor Pavlov\"\r\n"))
	fuzzParse(f, "windows-csv", inventory.Options{}, "windows-programs.csv")
}

func FuzzParseTrivy(f *testing.F) {
	fuzzParse(f, "trivy-json", inventory.Options{}, "trivy-node-debian.json")
}

func FuzzParseGrype(f *testing.F) {
	fuzzParse(f, "grype-json", inventory.Options{}, "grype-rocky9.json")
}
