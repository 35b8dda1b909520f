package app

import (
	"context"
	"strconv"
	"strings"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/pipeline"
	"khien.vn/khien/internal/intel"
)

// FieldIOC lists the ids of the indicators an event matched (live
// matching), separated by commas (an ECS name: fields named khien.* are
// stored escaped, and a hunter would not find them by this name).
const FieldIOC = "threat.indicator.id"

// iocLevel is the alert level of an indicator match from its confidence.
func iocLevel(confidence int) string {
	switch {
	case confidence >= 75:
		return "high"
	case confidence >= 40:
		return "medium"
	}
	return "low"
}

// intelStage matches every ingested event against the active indicators
// of its unit (and its ancestors): a match tags the event, raises an alert
// (grouped like rule alerts) and is kept as a sighting.
func (c *Core) intelStage() pipeline.Stage {
	st := &intelState{c: c, pending: map[sightingKey]*intel.Sighting{}, rules: map[int64]*alert.Rule{}}
	return st.run
}

type sightingKey struct {
	ind, unit          int64
	field, value, host string
}

type intelState struct {
	c       *Core
	pending map[sightingKey]*intel.Sighting
	rules   map[int64]*alert.Rule
}

func (s *intelState) run(ctx context.Context, batch []event.Event) {
	m, err := s.c.Intel.Active(ctx)
	if err != nil {
		s.c.Logger.Warn("cannot read the active indicators", "err", err)
	}
	if m != nil && m.Len() > 0 {
		pol := s.c.Alerts.Policy()
		for i := range batch {
			e := &batch[i]
			for _, h := range m.Match(e) {
				ind := m.Indicator(h.IndicatorID)
				if ind == nil || !pol.Covers(ind.UnitID, e.UnitID) {
					continue
				}
				s.hit(e, ind, h)
			}
		}
	}
	// Sightings are few (matches only): written with the batch that made
	// them, merged per indicator, unit, field, value and host.
	if len(s.pending) > 0 {
		s.flush(ctx)
	}
}

func (s *intelState) hit(e *event.Event, ind *intel.Indicator, h intel.Hit) {
	id := strconv.FormatInt(ind.ID, 10)
	if old := e.Fields[FieldIOC]; old == "" {
		e.Set(FieldIOC, id)
	} else if !strings.Contains(","+old+",", ","+id+",") {
		e.Set(FieldIOC, old+","+id)
	}
	r := s.rules[ind.ID]
	if r == nil {
		title := "IOC: " + string(ind.Type) + " " + ind.Value
		if ind.Name != "" {
			title += " (" + ind.Name + ")"
		}
		r = &alert.Rule{ID: "ioc-" + id, Title: title, Level: iocLevel(ind.Confidence), Tags: ind.Labels,
			KeyFields: []string{"host.name", h.Field}}
		s.rules[ind.ID] = r
	}
	s.c.Alerts.Add(alert.Hit{Rule: r, UnitID: e.UnitID, Time: e.Time, Fields: e.Fields, Message: e.Message})
	k := sightingKey{ind.ID, e.UnitID, h.Field, h.Value, e.Fields[event.FieldHostName]}
	if sg := s.pending[k]; sg != nil {
		sg.Count++
		if e.Time.Before(sg.FirstSeen) {
			sg.FirstSeen = e.Time
		}
		if e.Time.After(sg.LastSeen) {
			sg.LastSeen = e.Time
		}
		return
	}
	if len(s.pending) < 10_000 {
		s.pending[k] = &intel.Sighting{IndicatorID: ind.ID, UnitID: e.UnitID, Host: k.host, Field: h.Field, Value: h.Value,
			FirstSeen: e.Time, LastSeen: e.Time, Count: 1}
	}
}

func (s *intelState) flush(ctx context.Context) {
	for k, sg := range s.pending {
		if err := s.c.Intel.RecordSighting(ctx, sg); err != nil {
			s.c.Logger.Warn("cannot record an indicator sighting", "indicator_id", sg.IndicatorID, "err", err)
			if ctx.Err() != nil {
				return
			}
		}
		delete(s.pending, k)
	}
}
