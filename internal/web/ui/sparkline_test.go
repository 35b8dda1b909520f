package ui

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// svgDoc is what the tests read back from a sparkline.
type svgDoc struct {
	XMLName   xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	Class     string   `xml:"class,attr"`
	Role      string   `xml:"role,attr"`
	AriaLabel string   `xml:"aria-label,attr"`
	Width     string   `xml:"width,attr"`
	Height    string   `xml:"height,attr"`
	ViewBox   string   `xml:"viewBox,attr"`
	Title     string   `xml:"title"`
	Lines     []shape  `xml:"polyline"`
	Areas     []shape  `xml:"polygon"`
}

type shape struct {
	Class  string `xml:"class,attr"`
	Points string `xml:"points,attr"`
}

type point struct{ x, y float64 }

func parsePoints(t *testing.T, s string) []point {
	t.Helper()
	var out []point
	for _, f := range strings.Fields(s) {
		xs, ys, ok := strings.Cut(f, ",")
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(ys, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad point %q in %q", f, s)
		}
		out = append(out, point{x, y})
	}
	return out
}

// parseSVG checks that out is one well-formed SVG element and returns it.
func parseSVG(t *testing.T, out string) svgDoc {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(out))
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("not well-formed XML: %v\n%s", err, out)
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 {
				t.Fatalf("text outside the svg element:\n%s", out)
			}
		}
	}
	if roots != 1 {
		t.Fatalf("%d root elements, want 1:\n%s", roots, out)
	}
	var doc svgDoc
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("unmarshal: %v\n%s", err, out)
	}
	if doc.Class != "sparkline" || doc.Role != "img" {
		t.Errorf("class, role = %q, %q", doc.Class, doc.Role)
	}
	// CSP and air-gap: no script, no style attribute, no reference out.
	for _, bad := range []string{"<script", "style=", "href", "url(", "javascript:", "<foreignObject"} {
		if strings.Contains(strings.ToLower(out), strings.ToLower(bad)) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
	// Limited precision.
	for _, n := range regexp.MustCompile(`[0-9.]+`).FindAllString(doc.linePoints()+" "+doc.areaPoints(), -1) {
		if _, frac, ok := strings.Cut(n, "."); ok && len(frac) > 2 {
			t.Errorf("number %s has more than two decimals", n)
		}
	}
	return doc
}

func (d svgDoc) linePoints() string {
	if len(d.Lines) == 0 {
		return ""
	}
	return d.Lines[0].Points
}

func (d svgDoc) areaPoints() string {
	if len(d.Areas) == 0 {
		return ""
	}
	return d.Areas[0].Points
}

func TestSparkline(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name          string
		values        []float64
		width, height int
		wantSize      string    // width x height
		wantY         []float64 // y of each point; nil: no line
		wantX         []float64 // x of each point; nil: not checked
		wantArea      bool
	}{
		{name: "empty", values: nil, width: 100, height: 20, wantSize: "100x20"},
		{name: "empty_slice", values: []float64{}, width: 100, height: 20, wantSize: "100x20"},
		{
			name: "all_zero_flat_at_bottom", values: []float64{0, 0, 0, 0}, width: 90, height: 20, wantSize: "90x20",
			wantY: []float64{19, 19, 19, 19}, wantX: []float64{0, 30, 60, 90},
		},
		{
			name: "scaled_to_max", values: []float64{0, 5, 10, 2.5}, width: 90, height: 20, wantSize: "90x20",
			wantY: []float64{19, 10, 1, 14.5}, wantX: []float64{0, 30, 60, 90}, wantArea: true,
		},
		{
			name: "scale_independent_of_magnitude", values: []float64{1e-9, 2e-9}, width: 10, height: 10, wantSize: "10x10",
			wantY: []float64{5, 1}, wantX: []float64{0, 10}, wantArea: true,
		},
		{
			name: "limited_precision", values: []float64{1, 3}, width: 7, height: 10, wantSize: "7x10",
			wantY: []float64{6.33, 1}, wantArea: true,
		},
		{
			name: "single_value_flat_across", values: []float64{4}, width: 50, height: 10, wantSize: "50x10",
			wantY: []float64{1, 1}, wantX: []float64{0, 50}, wantArea: true,
		},
		{
			name: "negative_and_non_finite_as_zero", values: []float64{nan, -3, inf, math.Inf(-1), 8}, width: 40, height: 10, wantSize: "40x10",
			wantY: []float64{9, 9, 9, 9, 1}, wantArea: true,
		},
		{
			name: "default_size", values: []float64{1, 2}, width: 0, height: -5, wantSize: "120x24",
			wantY: []float64{12, 1}, wantX: []float64{0, 120}, wantArea: true,
		},
		{
			name: "one_pixel_high", values: []float64{0, 1}, width: 10, height: 1, wantSize: "10x1",
			wantY: []float64{0.5, 0.5}, wantArea: true,
		},
		{
			name: "sixty_buckets", values: make([]float64, 60), width: 120, height: 24, wantSize: "120x24",
			wantY: func() []float64 {
				y := make([]float64, 60)
				for i := range y {
					y[i] = 23
				}
				return y
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(sparkline(tt.values, tt.width, tt.height, "events per second"))
			doc := parseSVG(t, out)
			w, h, _ := strings.Cut(tt.wantSize, "x")
			if doc.Width != w || doc.Height != h || doc.ViewBox != "0 0 "+w+" "+h {
				t.Errorf("size %s×%s, viewBox %q; want %s", doc.Width, doc.Height, doc.ViewBox, tt.wantSize)
			}
			if doc.AriaLabel != "events per second" || doc.Title != "events per second" {
				t.Errorf("aria-label, title = %q, %q", doc.AriaLabel, doc.Title)
			}
			if tt.wantY == nil {
				if len(doc.Lines)+len(doc.Areas) != 0 {
					t.Errorf("an empty sparkline draws something:\n%s", out)
				}
				return
			}
			if len(doc.Lines) != 1 || doc.Lines[0].Class != "sparkline-line" {
				t.Fatalf("want one polyline of class sparkline-line:\n%s", out)
			}
			pts := parsePoints(t, doc.Lines[0].Points)
			if len(pts) != len(tt.wantY) {
				t.Fatalf("%d points, want %d: %s", len(pts), len(tt.wantY), doc.Lines[0].Points)
			}
			for i, p := range pts {
				if p.y != tt.wantY[i] {
					t.Errorf("point %d: y = %v, want %v", i, p.y, tt.wantY[i])
				}
				if tt.wantX != nil && p.x != tt.wantX[i] {
					t.Errorf("point %d: x = %v, want %v", i, p.x, tt.wantX[i])
				}
			}
			if !tt.wantArea {
				if len(doc.Areas) != 0 {
					t.Errorf("unexpected area:\n%s", out)
				}
				return
			}
			if len(doc.Areas) != 1 || doc.Areas[0].Class != "sparkline-area" {
				t.Fatalf("want one polygon of class sparkline-area:\n%s", out)
			}
			area := parsePoints(t, doc.Areas[0].Points)
			if len(area) != len(pts)+2 {
				t.Fatalf("area has %d points, want the line's %d and two at the bottom", len(area), len(pts))
			}
			hf, _ := strconv.ParseFloat(h, 64)
			bottom := hf - min(1, hf/2)
			if a, b := area[len(area)-2], area[len(area)-1]; a.y != bottom || b.y != bottom || b.x != 0 {
				t.Errorf("area does not close along the bottom: %v %v (bottom %v)", a, b, bottom)
			}
		})
	}
}

func TestSparkline_label(t *testing.T) {
	tests := []struct {
		name, label, want string
	}{
		{"plain", "syslog / web-01", "syslog / web-01"},
		{"hostile", `"></title></svg><script>alert(1)</script><svg onload='x'>&amp;`, `"></title></svg><script>alert(1)</script><svg onload='x'>&amp;`},
		{"control_characters_dropped", "a\x00b\x1bc\td", "abc\td"},
		{"invalid_utf8", "host\xff", "host\uFFFD"},
		{"vietnamese", "Máy chủ Hà Nội", "Máy chủ Hà Nội"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, values := range [][]float64{nil, {1, 2, 3}} {
				out := string(sparkline(values, 60, 12, tt.label))
				doc := parseSVG(t, out)
				if doc.AriaLabel != tt.want || doc.Title != tt.want {
					t.Errorf("aria-label, title = %q, %q; want %q", doc.AriaLabel, doc.Title, tt.want)
				}
				if strings.Contains(out, "<script") || strings.Count(out, "<svg") != 1 {
					t.Errorf("label not escaped:\n%s", out)
				}
			}
		})
	}
}

func TestSvgNum(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "0"}, {-0.001, "0"}, {1, "1"}, {2.5, "2.5"},
		{1.0 / 3, "0.33"}, {2.0 / 3, "0.67"}, {119.999, "120"}, {1e-9, "0"},
	}
	for _, tt := range tests {
		if got := svgNum(tt.in); got != tt.want {
			t.Errorf("svgNum(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
