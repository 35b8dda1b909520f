package metrics_test

import (
	"strings"
	"testing"

	"khien.vn/khien/internal/metrics"
)

func TestWriteText(t *testing.T) {
	r := metrics.NewRegistry()
	c := r.NewCounterVec("khien_requests_total", "Requests served.", "route", "code")
	c.Inc("/a", "200")
	c.Add(2, "/a", "200")
	c.Inc(`/b"x`, "500")
	h := r.NewHistogramVec("khien_latency_seconds", "Latency.", []float64{0.1, 1}, "route")
	h.Observe(0.05, "/a")
	h.Observe(0.5, "/a")
	h.Observe(5, "/a")
	r.Collect(func(emit func(name, help, kind string, v float64)) { emit("khien_up", "Up.", "gauge", 1) })
	r.CollectVec("khien_ingest_events_total", "Events.", "counter", []string{"listener"}, func(emit func(float64, ...string)) {
		emit(42, "syslog-tcp")
		emit(7, `a"b`)
	})
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"# TYPE khien_requests_total counter\n",
		`khien_requests_total{route="/a",code="200"} 3` + "\n",
		`khien_requests_total{route="/b\"x",code="500"} 1` + "\n",
		`khien_latency_seconds_bucket{route="/a",le="0.1"} 1` + "\n",
		`khien_latency_seconds_bucket{route="/a",le="1"} 2` + "\n",
		`khien_latency_seconds_bucket{route="/a",le="+Inf"} 3` + "\n",
		`khien_latency_seconds_sum{route="/a"} 5.55` + "\n",
		`khien_latency_seconds_count{route="/a"} 3` + "\n",
		"khien_up 1\n",
		"# TYPE khien_ingest_events_total counter\n",
		`khien_ingest_events_total{listener="syslog-tcp"} 42` + "\n",
		`khien_ingest_events_total{listener="a\"b"} 7` + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q\n%s", want, got)
		}
	}
}

func TestDuplicateFamilyPanics(t *testing.T) {
	r := metrics.NewRegistry()
	r.NewCounterVec("x_total", "x")
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on duplicate family")
		}
	}()
	r.NewGaugeVec("x_total", "x")
}
