package ransom

import (
	"strings"
	"testing"
)

func TestParseIndicators(t *testing.T) {
	tests := []struct {
		name, text, wantErr string
	}{
		{"ok", "# c\n\next lockbit ; LockBit\nnote  FILES ENCRYPTED.txt ; Dharma\n", ""},
		{"unknown_kind", "extension lockbit ; x\n", `line 1: unknown kind "extension"`},
		{"missing_pattern", "\next ; x\n", "line 2: missing pattern"},
		{"bad_glob", "note [abc ; x\n", `line 1: pattern "[abc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseIndicators(tt.text)
			if tt.wantErr == "" {
				if err != nil || s.exts.len() != 1 || s.notes.len() != 1 || s.notes.exact["files encrypted.txt"].Comment != "Dharma" {
					t.Fatalf("parseIndicators = %+v, %v", s, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestThreshold_strength(t *testing.T) {
	th := Threshold{Min: 3, Files: 50, Ratio: 0.1}
	tests := []struct {
		name  string
		t     Threshold
		n     int
		ratio float64
		want  float64
	}{
		{"below_min", th, 2, 0.9, 0},
		{"by_count", th, 10, 0.001, 0.2},
		{"by_ratio", th, 3, 0.05, 0.5},
		{"capped", th, 500, 0.8, 1},
		{"count_only", Threshold{Min: 1, Files: 5}, 2, 0.9, 0.4},
		{"zero", th, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.t.strength(tt.n, tt.ratio); got != tt.want {
				t.Errorf("strength = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBenignExt(t *testing.T) {
	for ext, want := range map[string]bool{
		"": true, "1": true, "20260301": true, "bak": true, "docx~": true, "dpkg-old": true,
		"lockbit": false, "x7kq2mzpa": false, "1a": false,
	} {
		if got := benignExt(ext); got != want {
			t.Errorf("benignExt(%q) = %t, want %t", ext, got, want)
		}
	}
}
