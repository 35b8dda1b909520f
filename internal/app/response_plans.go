package app

import (
	"context"
	"fmt"
	"slices"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/incident"
)

// ObligationIRDrill is the calendar obligation a recorded drill fulfils
// for the systems it covered (decree85 pack: levels 3–5, every 12 months).
const ObligationIRDrill = "ir_drill"

// drillRecorded records the drill obligation as done, on the drill's date,
// for every system a live drill covered whose level the obligation
// applies to; the other systems need no drill and are left alone. The
// obligation is a live drill (diễn tập thực chiến): a tabletop or
// technical exercise is evidence for the requirement's check, but does not
// fulfil it.
func (c *Core) drillRecorded(ctx context.Context, d incident.Drill) {
	if d.Kind != incident.DrillLive {
		return
	}
	sys := authz.System()
	for _, id := range d.SystemIDs {
		s, err := c.Systems.Get(ctx, sys, id)
		if err != nil {
			c.Logger.Warn("cannot read a drilled system", "drill_id", d.ID, "system_id", id, "err", err)
			continue
		}
		obs, err := c.Compliance.Obligations(s)
		if err != nil {
			c.Logger.Warn("cannot read the obligations of a drilled system", "drill_id", d.ID, "system_id", id, "err", err)
			continue
		}
		level, _ := compliance.Basis(s)
		if !slices.ContainsFunc(obs, func(o compliance.Obligation) bool { return o.ID == ObligationIRDrill && o.AppliesTo(level) }) {
			continue
		}
		note := fmt.Sprintf("Drill #%d (%s): %s", d.ID, d.Kind, d.Scenario)
		if _, err := c.Compliance.RecordCompletion(ctx, sys, id, ObligationIRDrill, d.Date, note); err != nil {
			c.Logger.Warn("cannot record the drill obligation", "drill_id", d.ID, "system_id", id, "err", err)
		}
	}
}
