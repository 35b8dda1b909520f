package regulation

import "testing"

func TestFormatCount(t *testing.T) {
	tests := []struct {
		n      int
		vi, en string
	}{
		{0, "0", "0"},
		{999, "999", "999"},
		{1000, "1.000", "1,000"},
		{9999, "9.999", "9,999"},
		{10000, "10.000", "10,000"},
		{2000000, "2.000.000", "2,000,000"},
		{-12345, "-12.345", "-12,345"},
	}
	for _, tt := range tests {
		if got := formatCount("vi", tt.n); got != tt.vi {
			t.Errorf("formatCount(vi, %d) = %q, want %q", tt.n, got, tt.vi)
		}
		if got := formatCount("en", tt.n); got != tt.en {
			t.Errorf("formatCount(en, %d) = %q, want %q", tt.n, got, tt.en)
		}
	}
}

func TestDescribeRange(t *testing.T) {
	tests := []struct {
		r    IntRange
		want Text
	}{
		{IntRange{Max: 9999, HasMax: true}, Text{VI: "không quá 9.999", EN: "at most 9,999"}},
		{IntRange{Min: 10000, HasMin: true}, Text{VI: "từ 10.000 trở lên", EN: "10,000 or more"}},
		{IntRange{Min: 1, Max: 2, HasMin: true, HasMax: true}, Text{VI: "từ 1 đến 2", EN: "from 1 to 2"}},
		{IntRange{Min: 3, Max: 3, HasMin: true, HasMax: true}, Text{VI: "3", EN: "3"}},
	}
	for _, tt := range tests {
		if got := describeRange(tt.r); got != tt.want {
			t.Errorf("describeRange(%+v) = %+v, want %+v", tt.r, got, tt.want)
		}
	}
}
