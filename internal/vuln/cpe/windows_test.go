package cpe_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"khien.vn/khien/internal/vuln/cpe"
)

func names(ns []cpe.Name) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.String())
	}
	return out
}

// The embedded dictionary parses and names the common programs of a
// Vietnamese office as Windows lists them (display names and versions as
// their installers write them).
func TestWindowsLookup(t *testing.T) {
	if n := cpe.Windows().Len(); n < 40 {
		t.Errorf("the dictionary has %d entries, want at least 40", n)
	}
	for _, tc := range []struct {
		name, publisher, version string
		want                     []string
	}{
		{"Mozilla Firefox (x64 en-US)", "Mozilla", "115.0.2",
			[]string{"cpe:2.3:a:mozilla:firefox:115.0.2:-:*:*:*:windows:x64:*"}},
		{"Mozilla Firefox (x64 en-US) 115.0.2", "Mozilla", "",
			[]string{"cpe:2.3:a:mozilla:firefox:115.0.2:-:*:*:*:windows:x64:*"}},
		{"Mozilla Firefox 115.6.0 ESR (x64 en-US)", "Mozilla", "115.6.0",
			[]string{"cpe:2.3:a:mozilla:firefox_esr:115.6.0:-:*:*:*:windows:x64:*"}},
		{"Google Chrome", "Google LLC", "125.0.6422.142",
			[]string{"cpe:2.3:a:google:chrome:125.0.6422.142:-:*:*:*:windows:*:*"}},
		{"Google Chrome", "Not Google", "125.0.6422.142", nil},
		{"Microsoft Edge", "Microsoft Corporation", "125.0.2535.67",
			[]string{"cpe:2.3:a:microsoft:edge_chromium:125.0.2535.67:-:*:*:*:windows:*:*"}},
		{"Microsoft Edge WebView2 Runtime", "Microsoft Corporation", "125.0.2535.67", nil},
		{"7-Zip 23.01 (x64)", "Igor Pavlov", "23.01", []string{"cpe:2.3:a:7-zip:7-zip:23.01:-:*:*:*:windows:x64:*"}},
		{"WinRAR 6.24 (64-bit)", "win.rar GmbH", "6.24.0", []string{"cpe:2.3:a:rarlab:winrar:6.24.0:-:*:*:*:windows:x64:*"}},
		{"Notepad++ (64-bit x64)", "Notepad++ Team", "8.5.2",
			[]string{`cpe:2.3:a:notepad-plus-plus:notepad\+\+:8.5.2:-:*:*:*:windows:x64:*`}},
		{"Adobe Acrobat Reader DC", "Adobe Systems Incorporated", "24.002.20759",
			[]string{"cpe:2.3:a:adobe:acrobat_reader_dc:24.002.20759:-:*:*:continuous:windows:*:*"}},
		{"Adobe Acrobat Reader 2020", "Adobe Systems Incorporated", "20.005.30636",
			[]string{"cpe:2.3:a:adobe:acrobat_reader:20.005.30636:-:*:*:classic:windows:*:*"}},
		{"Foxit PDF Reader", "Foxit Software Inc.", "2024.1.0.23997",
			[]string{"cpe:2.3:a:foxit:pdf_reader:2024.1.0.23997:-:*:*:*:windows:*:*",
				"cpe:2.3:a:foxit:reader:2024.1.0.23997:-:*:*:*:windows:*:*"}},
		{"VLC media player", "VideoLAN", "3.0.20", []string{"cpe:2.3:a:videolan:vlc_media_player:3.0.20:-:*:*:*:windows:*:*"}},
		{"Java 8 Update 411 (64-bit)", "Oracle Corporation", "8.0.4110.9",
			[]string{"cpe:2.3:a:oracle:jre:1.8.0:update411:*:*:*:windows:x64:*"}},
		{"Java(TM) SE Development Kit 17.0.9 (64-bit)", "Oracle Corporation", "17.0.9.0",
			[]string{"cpe:2.3:a:oracle:jdk:17.0.9:-:*:*:*:windows:x64:*"}},
		{"Zoom Workplace (64-bit)", "Zoom Video Communications, Inc.", "6.0.11 (39959)",
			[]string{"cpe:2.3:a:zoom:meetings:6.0.11:-:*:*:*:windows:x64:*", "cpe:2.3:a:zoom:zoom:6.0.11:-:*:*:*:windows:x64:*"}},
		{"TeamViewer", "TeamViewer", "15.54.6", []string{"cpe:2.3:a:teamviewer:teamviewer:15.54.6:-:*:*:*:windows:*:*"}},
		{"AnyDesk", "AnyDesk Software GmbH", "ad 8.0.9", []string{"cpe:2.3:a:anydesk:anydesk:8.0.9:-:*:*:*:windows:*:*"}},
		{"UltraViewer version 6.6.57", "DucFabulous", "6.6.57",
			[]string{"cpe:2.3:a:ultraviewer:ultraviewer:6.6.57:-:*:*:*:windows:*:*"}},
		{"FileZilla 3.66.4", "Tim Kosse", "3.66.4", []string{"cpe:2.3:a:filezilla-project:filezilla_client:3.66.4:-:*:*:*:windows:*:*"}},
		{"FileZilla Server", "FileZilla Project", "1.8.1", []string{"cpe:2.3:a:filezilla-project:filezilla_server:1.8.1:-:*:*:*:windows:*:*"}},
		{"WinSCP 6.1.2", "Martin Prikryl", "6.1.2", []string{"cpe:2.3:a:winscp:winscp:6.1.2:-:*:*:*:windows:*:*"}},
		{"PuTTY release 0.80 (64-bit)", "Simon Tatham", "0.80.0.0", []string{"cpe:2.3:a:putty:putty:0.80.0.0:-:*:*:*:windows:x64:*"}},
		{"Wireshark 4.2.5 x64", "The Wireshark developer community, https://www.wireshark.org", "4.2.5",
			[]string{"cpe:2.3:a:wireshark:wireshark:4.2.5:-:*:*:*:windows:x64:*"}},
		{"Python 3.12.1 (64-bit)", "Python Software Foundation", "3.12.1150.0",
			[]string{"cpe:2.3:a:python:python:3.12.1:-:*:*:*:windows:x64:*"}},
		{"Python 3.12.1 Core Interpreter (64-bit)", "Python Software Foundation", "3.12.1150.0", nil},
		{"Python Launcher", "Python Software Foundation", "3.12.1150.0", nil},
		{"Git", "The Git Development Community", "2.45.1", []string{"cpe:2.3:a:git-scm:git:2.45.1:-:*:*:*:windows:*:*"}},
		{"Node.js", "Node.js Foundation", "20.12.2", []string{"cpe:2.3:a:nodejs:node.js:20.12.2:-:*:*:*:windows:*:*"}},
		{"OpenVPN 2.6.8-I001 amd64", "OpenVPN, Inc.", "2.6.801", []string{"cpe:2.3:a:openvpn:openvpn:2.6.8:-:*:*:*:windows:x64:*"}},
		{"Microsoft Office Professional Plus 2016", "Microsoft Corporation", "16.0.4266.1001",
			[]string{"cpe:2.3:a:microsoft:office:2016:-:*:*:*:windows:*:*"}},
		{"LibreOffice 7.6.4.1", "The Document Foundation", "7.6.4.1",
			[]string{"cpe:2.3:a:libreoffice:libreoffice:7.6.4.1:-:*:*:*:windows:*:*"}},
		{"Microsoft .NET Runtime - 8.0.4 (x64)", "Microsoft Corporation", "64.16.49657",
			[]string{"cpe:2.3:a:microsoft:.net:8.0.4:-:*:*:*:windows:x64:*"}},
		{"FortiClient VPN", "Fortinet Technologies Inc", "7.2.3.0929",
			[]string{"cpe:2.3:a:fortinet:forticlient:7.2.3.0929:-:*:*:*:windows:*:*"}},
		{"UniKey 4.3", "", "4.3", nil},
		{"Phần mềm Kế toán MISA SME 2024", "Công ty Cổ phần MISA", "27.1.0.12", nil},
		{"Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.38.33135", "Microsoft Corporation", "14.38.33135.0", nil},
		{"Mozilla Firefox", "Mozilla", "", nil}, // no version known
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := names(cpe.Windows().Lookup(cpe.Program{Name: tc.name, Publisher: tc.publisher, Version: tc.version}))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Lookup(%q, %q, %q)\n got %q\nwant %q", tc.name, tc.publisher, tc.version, got, tc.want)
			}
			for _, s := range got {
				if _, err := cpe.Parse(s); err != nil {
					t.Errorf("the name does not parse: %v", err)
				}
			}
		})
	}
}

func TestProductName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Mozilla Firefox (x64 en-US) 115.0.2", "Mozilla Firefox"},
		{"Mozilla Firefox 115.6.0 ESR (x64 en-US)", "Mozilla Firefox ESR"},
		{"7-Zip 23.01 (x64)", "7-Zip"},
		{"Notepad++ (64-bit x64)", "Notepad++"},
		{"PuTTY release 0.80 (64-bit)", "PuTTY"},
		{"Wireshark 4.2.5 x64", "Wireshark"},
		{"OpenVPN 2.6.8-I001 amd64", "OpenVPN"},
		{"UltraViewer version 6.6.57", "UltraViewer"},
		{"Microsoft Office Professional Plus 2016 - en-us", "Microsoft Office Professional Plus 2016"},
		{"Java(TM) SE Development Kit 17.0.9 (64-bit)", "Java SE Development Kit"},
		{"Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.38.33135", "Microsoft Visual C++ 2015-2022 Redistributable"},
		{"Node.js", "Node.js"},
		{"Phần mềm Kế toán MISA SME 2024", "Phần mềm Kế toán MISA SME 2024"},
		{"  Foo   Bar v2.1  ", "Foo Bar"},
	} {
		if got := cpe.ProductName(tc.in); got != tc.want {
			t.Errorf("ProductName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestVendorName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Google LLC", "google"},
		{"Microsoft Corporation", "microsoft"},
		{"Acme Software, Inc.", "acme_software"},
		{"The Document Foundation", "document_foundation"},
		{"TeamViewer Germany GmbH", "teamviewer_germany"},
		{"Mozilla", "mozilla"},
		{"Corporation", "corporation"},
		{"", ""},
	} {
		if got := cpe.VendorName(tc.in); got != tc.want {
			t.Errorf("VendorName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGuess(t *testing.T) {
	for _, tc := range []struct {
		prog cpe.Program
		want []string
	}{
		{cpe.Program{Name: "Google Chrome", Publisher: "Google LLC", Version: "125.0.6422.142"},
			[]string{"cpe:2.3:a:google:chrome:125.0.6422.142:-:*:*:*:windows:*:*",
				"cpe:2.3:a:google:google_chrome:125.0.6422.142:-:*:*:*:windows:*:*"}},
		{cpe.Program{Name: "Acme \"Pro\" Backup Agent, Server Edition", Publisher: "Acme Software, Inc.", Version: "5.2"},
			[]string{`cpe:2.3:a:acme_software:acme_\"pro\"_backup_agent\,_server_edition:5.2:-:*:*:*:windows:*:*`}},
		{cpe.Program{Name: "Phần mềm Kế toán MISA SME 2024", Publisher: "Công ty Cổ phần MISA", Version: "27.1.0.12"}, nil},
		{cpe.Program{Name: "KB5034441"}, nil},
		{cpe.Program{Name: "Tool", Publisher: "Acme", Version: ""}, nil},
	} {
		got := names(cpe.Guess(tc.prog))
		if !slices.Equal(got, tc.want) {
			t.Errorf("Guess(%+v)\n got %q\nwant %q", tc.prog, got, tc.want)
		}
		for _, s := range got {
			if _, err := cpe.Parse(s); err != nil {
				t.Errorf("the guess does not parse: %v", err)
			}
		}
	}
}

func TestParseDictionaryErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"not_yaml", "programs: [", []string{"invalid CPE dictionary"}},
		{"unknown_field", "format: 1\nprograms:\n  - name: x\n    cpe: [a:b]\n    product: c\n", []string{"unknown field"}},
		{"everything_wrong", `format: 2
programs:
  - cpe: [a:b]
  - name: '^Foo('
    cpe: [a]
  - name: '^Bar (\d+)'
    publisher: '('
    cpe: ['a:b*', 'c:-']
    version: '$2'
    sw_edition: 'x y'
  - name: '^Baz'
`, []string{"format 2: want 1", "programs[0] (): no name pattern", "programs[1] (^Foo(): name:", `cpe "a": want vendor:product`,
			"programs[2] (^Bar (\\d+)): publisher:", `cpe "a:b*": "b*" is not a plain value`, `cpe "c:-"`,
			`template "$2" refers to group 2; the name has 1`, "sw_edition:", "programs[3] (^Baz): no cpe"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cpe.ParseDictionary([]byte(tc.in))
			if !errors.Is(err, cpe.ErrDictionary) {
				t.Fatalf("error %v, want ErrDictionary", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}
