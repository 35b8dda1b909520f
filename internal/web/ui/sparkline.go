package ui

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Default size of a sparkline, in pixels.
const (
	sparklineWidth  = 120
	sparklineHeight = 24
)

// sparkline draws values (oldest first, such as a source's event rate per
// bucket) as a small line chart in inline SVG: a polyline over a light
// area fill, scaled so that the largest value touches the top. All-zero
// values draw a flat line at the bottom and no area; no values draw an
// empty chart. Negative and non-finite values count as zero. A width or
// height of zero or less takes the default (120×24).
//
// The label names the chart for assistive technology (aria-label and a
// <title>, which browsers show as a tooltip); it is escaped. The chart
// is drawn by Go from numbers and the escaped label only: no script, no
// external resource and no style attribute, so it is safe to embed as
// template.HTML under the CSP. Colours come from the CSS classes
// "sparkline", "sparkline-line" and "sparkline-area"; the presentation
// attributes (currentColor, a faint fill) are only fallbacks, which any
// CSS rule overrides. The drawing stretches to the size CSS gives it
// (preserveAspectRatio="none") with a stroke that does not scale.
func sparkline(values []float64, width, height int, label string) template.HTML {
	if width <= 0 {
		width = sparklineWidth
	}
	if height <= 0 {
		height = sparklineHeight
	}
	label = html.EscapeString(xmlChars(label))
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" preserveAspectRatio="none" role="img" aria-label="%s"><title>%s</title>`,
		width, height, width, height, label, label)
	if len(values) == 0 {
		sb.WriteString(`</svg>`)
		return template.HTML(sb.String()) //nolint:gosec // numbers and an escaped label only
	}

	vs := make([]float64, len(values))
	maxV := 0.0
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			v = 0
		}
		vs[i] = v
		maxV = max(maxV, v)
	}
	if len(vs) == 1 { // a single value: a flat line across
		vs = append(vs, vs[0])
	}
	// Keep the stroke inside the box: one pixel of padding at the top and
	// the bottom (less in a box lower than 2 pixels).
	pad := min(1, float64(height)/2)
	top, bottom := pad, float64(height)-pad
	step := float64(width) / float64(len(vs)-1)
	var pts strings.Builder
	for i, v := range vs {
		y := bottom
		if maxV > 0 {
			y = bottom - v/maxV*(bottom-top)
		}
		if i > 0 {
			pts.WriteByte(' ')
		}
		pts.WriteString(svgNum(float64(i) * step))
		pts.WriteByte(',')
		pts.WriteString(svgNum(y))
	}
	if maxV > 0 {
		fmt.Fprintf(&sb, `<polygon class="sparkline-area" points="%s %d,%s 0,%s" fill="currentColor" fill-opacity="0.15" stroke="none"/>`,
			pts.String(), width, svgNum(bottom), svgNum(bottom))
	}
	fmt.Fprintf(&sb, `<polyline class="sparkline-line" points="%s" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke"/>`,
		pts.String())
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) //nolint:gosec // numbers and an escaped label only
}

// svgNum formats a coordinate with at most two decimals.
func svgNum(v float64) string {
	v = math.Round(v*100) / 100
	if v == 0 {
		return "0" // not "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// xmlChars returns s as valid UTF-8 without the characters XML 1.0 does
// not allow (most control characters), which no escaping can carry.
func xmlChars(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return -1
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
