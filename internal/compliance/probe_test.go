package compliance_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
)

var probeNow = time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)

func probeClock() time.Time { return probeNow }

// fakeProbe is a configurable Probe.
type fakeProbe struct {
	id        string
	reqs      []string
	freshness time.Duration
	eval      func(ctx context.Context, s compliance.Subject) (compliance.Result, error)
}

func (p *fakeProbe) ID() string               { return p.id }
func (p *fakeProbe) Requirements() []string   { return p.reqs }
func (p *fakeProbe) Freshness() time.Duration { return p.freshness }
func (p *fakeProbe) Evaluate(ctx context.Context, s compliance.Subject) (compliance.Result, error) {
	return p.eval(ctx, s)
}

func metProbe(id string, reqs ...string) *fakeProbe {
	return &fakeProbe{id: id, reqs: reqs, freshness: time.Hour,
		eval: func(context.Context, compliance.Subject) (compliance.Result, error) {
			return compliance.Result{Status: compliance.StatusMet, Proof: id + " ok"}, nil
		}}
}

func probeIDs(ps []compliance.Probe) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID())
	}
	return ids
}

func TestRegistryOrdering(t *testing.T) {
	r := compliance.NewRegistry()
	r.Register(metProbe("zeta", "mgmt.ops.incident"))
	r.Register(metProbe("alpha", "tech.srv.authn", "mgmt.ops.incident"))
	r.Register(metProbe("mid", "tech.srv.authn", "tech.srv.authn"))

	tests := []struct {
		name string
		got  []compliance.Probe
		want []string
	}{
		{"all", r.Probes(), []string{"alpha", "mid", "zeta"}},
		{"incident", r.For("mgmt.ops.incident"), []string{"alpha", "zeta"}},
		{"authn", r.For("tech.srv.authn"), []string{"alpha", "mid"}},
		{"unknown requirement", r.For("no.such"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, probeIDs(tt.got)); diff != "" {
				t.Errorf("probe IDs (-want +got):\n%s", diff)
			}
		})
	}

	outs := r.Run(t.Context(), compliance.Subject{SystemID: 1}, probeClock)
	var got []string
	for _, o := range outs {
		got = append(got, o.ProbeID)
	}
	if diff := cmp.Diff([]string{"alpha", "mid", "zeta"}, got); diff != "" {
		t.Errorf("Run order (-want +got):\n%s", diff)
	}
}

func TestRegistryZeroValue(t *testing.T) {
	var r compliance.Registry
	if got := r.Probes(); len(got) != 0 {
		t.Fatalf("Probes() on zero registry = %v", got)
	}
	if got := r.Run(t.Context(), compliance.Subject{}, probeClock); len(got) != 0 {
		t.Fatalf("Run on zero registry = %v", got)
	}
	r.Register(metProbe("a", "x"))
	if got := probeIDs(r.For("x")); !cmp.Equal(got, []string{"a"}) {
		t.Fatalf("For(x) = %v", got)
	}
}

func TestRegisterPanics(t *testing.T) {
	tests := []struct {
		name  string
		setup []compliance.Probe
		probe compliance.Probe
		want  string
	}{
		{"duplicate", []compliance.Probe{metProbe("a", "x")}, metProbe("a", "y"), `duplicate probe ID "a"`},
		{"nil", nil, nil, "nil probe"},
		{"empty id", nil, metProbe("", "x"), "empty ID"},
		{"no requirements", nil, metProbe("a"), "no requirements"},
		{"empty requirement", nil, metProbe("a", ""), "empty requirement"},
		{"zero freshness", nil, &fakeProbe{id: "a", reqs: []string{"x"}}, "non-positive freshness"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := compliance.NewRegistry()
			for _, p := range tt.setup {
				r.Register(p)
			}
			defer func() {
				v := recover()
				if v == nil {
					t.Fatal("Register did not panic")
				}
				if msg := fmt.Sprint(v); !strings.Contains(msg, tt.want) {
					t.Errorf("panic = %q, want it to contain %q", msg, tt.want)
				}
			}()
			r.Register(tt.probe)
		})
	}
}

func TestRegisterCopiesRequirements(t *testing.T) {
	p := metProbe("a", "x")
	r := compliance.NewRegistry()
	r.Register(p)
	p.reqs[0] = "changed"
	if got := probeIDs(r.For("x")); !cmp.Equal(got, []string{"a"}) {
		t.Errorf("For(x) after caller modified slice = %v", got)
	}
}

var errProbeStorage = errors.New("storage down")

func TestRunIsolation(t *testing.T) {
	stamped := probeNow.Add(-time.Minute)
	r := compliance.NewRegistry()
	r.Register(&fakeProbe{id: "a_err", reqs: []string{"x"}, freshness: time.Hour,
		eval: func(context.Context, compliance.Subject) (compliance.Result, error) {
			return compliance.Result{Status: compliance.StatusMet}, errProbeStorage
		}})
	r.Register(&fakeProbe{id: "b_panic", reqs: []string{"x"}, freshness: time.Hour,
		eval: func(context.Context, compliance.Subject) (compliance.Result, error) {
			panic("boom")
		}})
	r.Register(&fakeProbe{id: "c_invalid", reqs: []string{"x"}, freshness: time.Hour,
		eval: func(context.Context, compliance.Subject) (compliance.Result, error) {
			return compliance.Result{Status: "green"}, nil
		}})
	r.Register(&fakeProbe{id: "d_stamped", reqs: []string{"x"}, freshness: time.Hour,
		eval: func(_ context.Context, s compliance.Subject) (compliance.Result, error) {
			return compliance.Result{Status: compliance.StatusNotMet, At: stamped,
				Proof: fmt.Sprintf("system %d", s.SystemID)}, nil
		}})
	r.Register(metProbe("e_ok", "x"))

	outs := r.Run(t.Context(), compliance.Subject{SystemID: 7}, probeClock)

	type row struct {
		ID     string
		Status compliance.Status
		At     time.Time
		Proof  string
	}
	wantErr := []error{errProbeStorage, compliance.ErrProbePanic, errs.ErrInvalid, nil, nil}
	want := []row{
		{"a_err", compliance.StatusUnknown, probeNow, "Not evaluated: the probe failed."},
		{"b_panic", compliance.StatusUnknown, probeNow, "Not evaluated: the probe failed."},
		{"c_invalid", compliance.StatusUnknown, probeNow, "Not evaluated: the probe returned an invalid status."},
		{"d_stamped", compliance.StatusNotMet, stamped, "system 7"},
		{"e_ok", compliance.StatusMet, probeNow, "e_ok ok"},
	}
	if len(outs) != len(want) {
		t.Fatalf("got %d outcomes, want %d", len(outs), len(want))
	}
	for i, w := range want {
		o := outs[i]
		t.Run(w.ID, func(t *testing.T) {
			got := row{o.ProbeID, o.Result.Status, o.Result.At, o.Result.Proof}
			wantIs := wantErr[i]
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			switch {
			case wantIs == nil && o.Err != nil:
				t.Errorf("Err = %v, want nil", o.Err)
			case wantIs != nil && !errors.Is(o.Err, wantIs):
				t.Errorf("Err = %v, want it to wrap %v", o.Err, wantIs)
			case wantIs != nil && !strings.HasPrefix(o.Err.Error(), "run probe "+w.ID+": "):
				t.Errorf("Err = %q, want prefix naming the probe", o.Err)
			}
		})
	}
	if !strings.Contains(outs[1].Err.Error(), "boom") {
		t.Errorf("panic Err = %q, want the panic value", outs[1].Err)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	r := compliance.NewRegistry()
	r.Register(&fakeProbe{id: "a", reqs: []string{"x"}, freshness: time.Hour,
		eval: func(context.Context, compliance.Subject) (compliance.Result, error) {
			cancel()
			return compliance.Result{Status: compliance.StatusMet}, nil
		}})
	r.Register(metProbe("b", "x"))

	outs := r.Run(ctx, compliance.Subject{}, probeClock)
	if outs[0].Err != nil || outs[0].Result.Status != compliance.StatusMet {
		t.Errorf("first outcome = %+v, want met", outs[0])
	}
	if !errors.Is(outs[1].Err, context.Canceled) || outs[1].Result.Status != compliance.StatusUnknown {
		t.Errorf("second outcome = %+v, want unknown with context.Canceled", outs[1])
	}
}

func TestRunConcurrent(t *testing.T) {
	r := compliance.NewRegistry()
	for i := range 5 {
		r.Register(&fakeProbe{id: fmt.Sprintf("p%d", i), reqs: []string{"x"}, freshness: time.Hour,
			eval: func(_ context.Context, s compliance.Subject) (compliance.Result, error) {
				if s.SystemID%2 == 0 {
					return compliance.Result{}, errProbeStorage
				}
				return compliance.Result{Status: compliance.StatusMet,
					Facts: map[string]string{"system": fmt.Sprint(s.SystemID)}}, nil
			}})
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			s := compliance.Subject{SystemID: int64(i)}
			outs := r.Run(t.Context(), s, probeClock)
			if len(outs) < 5 {
				t.Errorf("system %d: %d outcomes", i, len(outs))
				return
			}
			for _, o := range outs {
				if !strings.HasPrefix(o.ProbeID, "p") {
					continue // registered concurrently, always met
				}
				if (o.Err != nil) != (i%2 == 0) {
					t.Errorf("system %d probe %s: Err = %v", i, o.ProbeID, o.Err)
				}
			}
		})
		// Registration and lookups race with runs.
		wg.Go(func() {
			r.Register(metProbe(fmt.Sprintf("late%02d", i), "y"))
			_ = r.For("x")
			_ = r.Probes()
		})
	}
	wg.Wait()
	if got := len(r.Probes()); got != 21 {
		t.Errorf("len(Probes()) = %d, want 21", got)
	}
}

func TestStaleEffective(t *testing.T) {
	const window = 24 * time.Hour
	at := probeNow.Add(-window)
	tests := []struct {
		name      string
		r         compliance.Result
		freshness time.Duration
		wantStale bool
		wantEff   compliance.Status
	}{
		{"fresh", compliance.Result{Status: compliance.StatusMet, At: probeNow.Add(-time.Hour)}, window, false, compliance.StatusMet},
		{"observed now", compliance.Result{Status: compliance.StatusNotMet, At: probeNow}, window, false, compliance.StatusNotMet},
		{"exactly at edge", compliance.Result{Status: compliance.StatusMet, At: at}, window, false, compliance.StatusMet},
		{"one ns past edge", compliance.Result{Status: compliance.StatusMet, At: at.Add(-time.Nanosecond)}, window, true, compliance.StatusUnknown},
		{"not met turns unknown", compliance.Result{Status: compliance.StatusNotMet, At: at.Add(-time.Second)}, window, true, compliance.StatusUnknown},
		{"zero time", compliance.Result{Status: compliance.StatusMet}, window, true, compliance.StatusUnknown},
		{"zero freshness", compliance.Result{Status: compliance.StatusMet, At: probeNow}, 0, true, compliance.StatusUnknown},
		{"future result", compliance.Result{Status: compliance.StatusMet, At: probeNow.Add(time.Hour)}, window, false, compliance.StatusMet},
		{"invalid status", compliance.Result{Status: "green", At: probeNow}, window, false, compliance.StatusUnknown},
		{"empty status", compliance.Result{At: probeNow}, window, false, compliance.StatusUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compliance.Stale(tt.r, tt.freshness, probeNow); got != tt.wantStale {
				t.Errorf("Stale = %v, want %v", got, tt.wantStale)
			}
			if got := compliance.Effective(tt.r, tt.freshness, probeNow); got != tt.wantEff {
				t.Errorf("Effective = %q, want %q", got, tt.wantEff)
			}
		})
	}
}
