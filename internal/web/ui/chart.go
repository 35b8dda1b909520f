package ui

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// Bar is one bar of a chart.
type Bar struct {
	Label string
	Value int
	Class string // CSS class of the bar (colour)
}

// barChart draws a horizontal bar chart as inline SVG. It is drawn by Go
// from numbers and escaped labels only, so it needs no script and no
// external resource, and it is safe to embed as template.HTML.
func barChart(title string, bars []Bar) template.HTML {
	const rowH, labelW, barW, pad = 24, 150, 170, 6
	maxV := 1
	for _, b := range bars {
		maxV = max(maxV, b.Value)
	}
	h := len(bars)*rowH + 2*pad
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		labelW+barW+60, h, labelW+barW+60, h, html.EscapeString(title))
	for i, b := range bars {
		y := pad + i*rowH
		w := b.Value * barW / maxV
		if b.Value > 0 {
			w = max(w, 2)
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" class="chart-label" text-anchor="end">%s</text>`, labelW-8, y+17, html.EscapeString(b.Label))
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" class="bar %s"/>`, labelW, y+4, w, rowH-8, html.EscapeString(b.Class))
		fmt.Fprintf(&sb, `<text x="%d" y="%d" class="chart-value">%d</text>`, labelW+w+6, y+17, b.Value)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String()) //nolint:gosec // built from escaped labels and numbers
}

// gauge draws a percentage as a horizontal meter in SVG.
func gauge(pct int, class string) template.HTML {
	pct = min(max(pct, 0), 100)
	return template.HTML(fmt.Sprintf(`<svg class="gauge" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 10" width="120" height="12" role="img" aria-label="%d%%">`+
		`<rect x="0" y="0" width="100" height="10" rx="5" class="gauge-bg"/><rect x="0" y="0" width="%d" height="10" rx="5" class="bar %s"/></svg>`,
		pct, pct, html.EscapeString(class))) //nolint:gosec // numbers and an escaped class only
}
