package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/pipeline"
)

// Fields the detection stage sets on an event that matches rules
// (docs/detection.md).
const (
	// FieldSigmaRuleID lists the ids of the rules (and correlation rules)
	// the event matched, separated by commas.
	FieldSigmaRuleID = "sigma.rule_id"
	// FieldSigmaRuleTitle lists their titles, separated by " | ".
	FieldSigmaRuleTitle = "sigma.rule_title"
	// FieldSigmaLevel is the highest level among them.
	FieldSigmaLevel = "sigma.level"
)

// Detection holds the compiled rules ingested events are matched against
// and the per-rule hit counts. It is built once per process (Core.Detection).
type Detection struct {
	Engine *detect.Engine
	// Problems are the rules that did not load, and notes on those that
	// did (unmapped logsources …).
	Problems []detect.Problem
	mu       sync.Mutex
	hits     map[*sigma.Rule]*atomic.Uint64
}

// detection is Core's lazily built Detection.
type detectionOnce struct {
	once sync.Once
	d    *Detection
	err  error
}

// LoadDetection compiles the built-in rule pack (detect.builtin_rules)
// and the rule directories of detect.rules_dirs. A directory that cannot
// be read, or a rule file that does not parse, is an error: a SOC must
// know its rules are not running.
func LoadDetection(cfg config.Config) (*Detection, error) {
	var rules []*sigma.Rule
	if cfg.Detect.BuiltinRules {
		rs, err := detect.BuiltinRules()
		if err != nil {
			return nil, fmt.Errorf("built-in rules: %w", err)
		}
		rules = append(rules, rs...)
	}
	var errs []error
	for _, dir := range config.SplitList(cfg.Detect.RulesDirs) {
		rs, err := sigma.LoadDir(dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("detect.rules_dirs %s: %w", dir, err))
		}
		rules = append(rules, rs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	eng, problems, err := detect.Compile(rules, detect.Options{})
	if err != nil {
		return nil, err
	}
	return &Detection{Engine: eng, Problems: problems, hits: make(map[*sigma.Rule]*atomic.Uint64)}, nil
}

// Detection returns the process's compiled rules, loading them on first
// use.
func (c *Core) Detection() (*Detection, error) {
	c.detection.once.Do(func() {
		c.detection.d, c.detection.err = LoadDetection(c.Config)
		if c.detection.err == nil {
			d := c.detection.d
			notLoaded := 0
			for _, p := range d.Problems {
				if !p.Loaded {
					notLoaded++
					c.Logger.Warn("detection rule not loaded", "rule", p.Rule.Title, "id", p.Rule.ID, "path", p.Rule.Path, "reason", p.Reason)
				}
			}
			c.Logger.Info("detection rules loaded", "rules", len(d.Engine.Rules()), "correlations", len(d.Engine.CorrelationRules()), "not_loaded", notLoaded)
		}
	})
	return c.detection.d, c.detection.err
}

// Hits returns the number of events each rule matched since start, for
// the rules that matched at least once.
func (d *Detection) Hits() map[*sigma.Rule]uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[*sigma.Rule]uint64, len(d.hits))
	for r, n := range d.hits {
		out[r] = n.Load()
	}
	return out
}

func (d *Detection) hit(r *sigma.Rule) {
	d.mu.Lock()
	n, ok := d.hits[r]
	if !ok {
		n = new(atomic.Uint64)
		d.hits[r] = n
	}
	d.mu.Unlock()
	n.Add(1)
}

// levels orders Sigma levels.
var levels = []string{"", "informational", "low", "medium", "high", "critical"}

// Stage returns a pipeline stage matching every event against the rules
// and correlations, in order: an event that matches a rule switched on for
// its unit gets the sigma.* fields, the hit counts grow, and the match is
// given to alerts (nil: no alerts), which groups it into an alert unless
// an exception covers it. One stage has its own matcher and correlation
// state; it runs on one goroutine.
func (d *Detection) Stage(alerts *alert.Service) pipeline.Stage {
	sc := &stageState{d: d, alerts: alerts, rules: map[*sigma.Rule]*alert.Rule{}}
	sc.scanner = d.Engine.NewScanner(sc.match, true)
	return sc.run
}

type stageState struct {
	d         *Detection
	alerts    *alert.Service
	rules     map[*sigma.Rule]*alert.Rule
	scanner   *detect.Scanner
	cur       *event.Event
	lastFlush time.Time
}

// flushEvery is how often the stage closes ended correlation windows.
const flushEvery = 10 * time.Second

func (s *stageState) run(_ context.Context, batch []event.Event) {
	for i := range batch {
		s.cur = &batch[i]
		_ = s.scanner.Event(s.cur, 0) // match never fails
	}
	s.cur = nil
	if now := time.Now(); now.Sub(s.lastFlush) >= flushEvery {
		s.lastFlush = now
		_ = s.scanner.Flush(now) // counted as hits; no event to tag
	}
}

// match tags the current event with a rule it matched and hands the
// match to alerts.
func (s *stageState) match(r *sigma.Rule, _ int) error {
	ev := s.cur
	if ev == nil {
		s.d.hit(r)
		return nil // a window closed at the end of the stream
	}
	ar := s.rules[r]
	if ar == nil {
		ar = alertRule(r)
		s.rules[r] = ar
	}
	id := ar.ID
	if s.alerts != nil && !s.alerts.Policy().Enabled(ev.UnitID, id) {
		return nil
	}
	s.d.hit(r)
	if s.alerts != nil {
		s.alerts.Add(alert.Hit{Rule: ar, UnitID: ev.UnitID, Time: ev.Time, Fields: ev.Fields, Message: ev.Message})
	}
	if old := ev.Fields[FieldSigmaRuleID]; old != "" {
		if slices.Contains(strings.Split(old, ","), id) {
			return nil
		}
		ev.Set(FieldSigmaRuleID, old+","+id)
		ev.Set(FieldSigmaRuleTitle, ev.Fields[FieldSigmaRuleTitle]+" | "+r.Title)
	} else {
		ev.Set(FieldSigmaRuleID, id)
		ev.Set(FieldSigmaRuleTitle, r.Title)
	}
	if slices.Index(levels, r.Level) > slices.Index(levels, ev.Fields[FieldSigmaLevel]) {
		ev.Set(FieldSigmaLevel, r.Level)
	}
	return nil
}

// Rules lists every configured rule with its state and its hits since
// start, the most matched first.
func (d *Detection) Rules() []detect.RuleStatus {
	out := d.Engine.Statuses(d.Problems)
	hits := d.Hits()
	for i := range out {
		out[i].Hits = hits[out[i].Rule]
	}
	slices.SortStableFunc(out, func(a, b detect.RuleStatus) int {
		if a.Hits != b.Hits {
			if a.Hits > b.Hits {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Rule.Title, b.Rule.Title)
	})
	return out
}
