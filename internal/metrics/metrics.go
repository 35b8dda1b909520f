// Package metrics is a small registry of counters, gauges and histograms
// written in the Prometheus text exposition format (version 0.0.4). It
// covers what Khiên exposes at /metrics without pulling in a client library.
package metrics

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Registry holds metric families. It is safe for concurrent use.
type Registry struct {
	mu        sync.Mutex
	families  []*family
	collects  []func(emit func(name, help, kind string, value float64))
	families2 []collected
}

// collected is a family whose series are computed at each scrape.
type collected struct {
	name, help, kind string
	labels           []string
	fn               func(emit func(value float64, labelValues ...string))
}

type family struct {
	name, help, kind string
	labels           []string
	buckets          []float64

	mu     sync.Mutex
	series map[string]*series
}

type series struct {
	labelValues []string
	value       float64
	counts      []uint64 // histogram buckets
	sum         float64
	count       uint64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) add(name, help, kind string, labels []string, buckets []float64) *family {
	f := &family{name: name, help: help, kind: kind, labels: labels, buckets: buckets, series: make(map[string]*series)}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.families {
		if g.name == name {
			panic("metrics: duplicate family " + name)
		}
	}
	r.families = append(r.families, f)
	return f
}

// CounterVec is a counter family partitioned by labels.
type CounterVec struct{ f *family }

// NewCounterVec registers a counter family.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	return &CounterVec{r.add(name, help, "counter", labels, nil)}
}

// Add adds v (≥ 0) to the series with the given label values.
func (c *CounterVec) Add(v float64, labelValues ...string) {
	c.f.mu.Lock()
	c.f.get(labelValues).value += v
	c.f.mu.Unlock()
}

// Inc adds one.
func (c *CounterVec) Inc(labelValues ...string) { c.Add(1, labelValues...) }

// GaugeVec is a gauge family partitioned by labels.
type GaugeVec struct{ f *family }

// NewGaugeVec registers a gauge family.
func (r *Registry) NewGaugeVec(name, help string, labels ...string) *GaugeVec {
	return &GaugeVec{r.add(name, help, "gauge", labels, nil)}
}

// Set sets the series to v.
func (g *GaugeVec) Set(v float64, labelValues ...string) {
	g.f.mu.Lock()
	g.f.get(labelValues).value = v
	g.f.mu.Unlock()
}

// Add adds v (may be negative).
func (g *GaugeVec) Add(v float64, labelValues ...string) {
	g.f.mu.Lock()
	g.f.get(labelValues).value += v
	g.f.mu.Unlock()
}

// HistogramVec is a histogram family partitioned by labels.
type HistogramVec struct{ f *family }

// DefBuckets are latency buckets in seconds.
var DefBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// NewHistogramVec registers a histogram family with upper bounds buckets.
func (r *Registry) NewHistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	b := slices.Clone(buckets)
	slices.Sort(b)
	return &HistogramVec{r.add(name, help, "histogram", labels, b)}
}

// Observe records v.
func (h *HistogramVec) Observe(v float64, labelValues ...string) {
	h.f.mu.Lock()
	s := h.f.get(labelValues)
	if s.counts == nil {
		s.counts = make([]uint64, len(h.f.buckets))
	}
	for i, ub := range h.f.buckets {
		if v <= ub {
			s.counts[i]++
		}
	}
	s.sum += v
	s.count++
	h.f.mu.Unlock()
}

// Collect registers a function called at each scrape to emit untyped-label
// gauges or counters computed on demand (e.g. memory in use).
func (r *Registry) Collect(fn func(emit func(name, help, kind string, value float64))) {
	r.mu.Lock()
	r.collects = append(r.collects, fn)
	r.mu.Unlock()
}

// CollectVec registers a counter or gauge family (kind "counter" or
// "gauge") whose labelled series fn emits at each scrape, from counters
// kept elsewhere (listener statistics, for instance). fn must emit as many
// label values as labels, and each combination once.
func (r *Registry) CollectVec(name, help, kind string, labels []string, fn func(emit func(value float64, labelValues ...string))) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.families {
		if g.name == name {
			panic("metrics: duplicate family " + name)
		}
	}
	for _, g := range r.families2 {
		if g.name == name {
			panic("metrics: duplicate family " + name)
		}
	}
	r.families2 = append(r.families2, collected{name: name, help: help, kind: kind, labels: slices.Clone(labels), fn: fn})
}

func (f *family) get(labelValues []string) *series {
	if len(labelValues) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s wants %d label values, got %d", f.name, len(f.labels), len(labelValues)))
	}
	key := strings.Join(labelValues, "\xff")
	s := f.series[key]
	if s == nil {
		s = &series{labelValues: slices.Clone(labelValues)}
		f.series[key] = s
	}
	return s
}

// WriteText writes every family in the Prometheus text format.
func (r *Registry) WriteText(w io.Writer) error {
	r.mu.Lock()
	fams := slices.Clone(r.families)
	collects := slices.Clone(r.collects)
	vecs := slices.Clone(r.families2)
	r.mu.Unlock()
	var b strings.Builder
	for _, fn := range collects {
		fn(func(name, help, kind string, v float64) {
			fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, escapeHelp(help), name, kind, name, formatFloat(v))
		})
	}
	for _, c := range vecs {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", c.name, escapeHelp(c.help), c.name, c.kind)
		c.fn(func(v float64, labelValues ...string) {
			if len(labelValues) != len(c.labels) {
				panic(fmt.Sprintf("metrics: %s wants %d label values, got %d", c.name, len(c.labels), len(labelValues)))
			}
			fmt.Fprintf(&b, "%s%s %s\n", c.name, labelString(c.labels, labelValues, "", ""), formatFloat(v))
		})
	}
	for _, f := range fams {
		f.mu.Lock()
		keys := make([]string, 0, len(f.series))
		for k := range f.series {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
		for _, k := range keys {
			s := f.series[k]
			if f.kind != "histogram" {
				fmt.Fprintf(&b, "%s%s %s\n", f.name, labelString(f.labels, s.labelValues, "", ""), formatFloat(s.value))
				continue
			}
			for i, ub := range f.buckets {
				var c uint64
				if s.counts != nil {
					c = s.counts[i]
				}
				fmt.Fprintf(&b, "%s_bucket%s %d\n", f.name, labelString(f.labels, s.labelValues, "le", formatFloat(ub)), c)
			}
			fmt.Fprintf(&b, "%s_bucket%s %d\n", f.name, labelString(f.labels, s.labelValues, "le", "+Inf"), s.count)
			fmt.Fprintf(&b, "%s_sum%s %s\n", f.name, labelString(f.labels, s.labelValues, "", ""), formatFloat(s.sum))
			fmt.Fprintf(&b, "%s_count%s %d\n", f.name, labelString(f.labels, s.labelValues, "", ""), s.count)
		}
		f.mu.Unlock()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func labelString(names, values []string, extraName, extraValue string) string {
	if len(names) == 0 && extraName == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escapeLabel(values[i]))
		b.WriteByte('"')
	}
	if extraName != "" {
		if len(names) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(extraName)
		b.WriteString(`="`)
		b.WriteString(extraValue)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
