package compliance

import (
	"context"
	"fmt"
	"time"
)

// HuntIntervalProbeID identifies the probe of periodic threat hunting.
const HuntIntervalProbeID = "threat_hunt_interval"

// HuntFacts says when a system was last covered by a closed threat hunt.
type HuntFacts interface {
	// LastHunt returns the close time, id, title and outcome of the hunt
	// closed most recently among those covering systemID; a zero time and
	// a nil error when none.
	LastHunt(ctx context.Context, systemID int64) (closed time.Time, id int64, title, outcome string, err error)
}

// HuntIntervalProbe gives evidence that a system is hunted for threats
// regularly: met when a hunt covering it was closed with a conclusion
// within the interval (Directive 18/CT-TTg: every 6 months), not met when
// the last one is older or there is none.
type HuntIntervalProbe struct {
	facts    HuntFacts
	reqs     []string
	interval time.Duration
	now      func() time.Time
}

// NewHuntIntervalProbe returns the probe for requirementID; it panics when
// interval is not positive, a programmer error at start-up.
func NewHuntIntervalProbe(facts HuntFacts, requirementID string, interval time.Duration, now func() time.Time) *HuntIntervalProbe {
	if interval <= 0 {
		panic(fmt.Sprintf("compliance: hunt interval %v is not positive", interval))
	}
	return &HuntIntervalProbe{facts: facts, reqs: []string{requirementID}, interval: interval, now: now}
}

// ID returns HuntIntervalProbeID.
func (p *HuntIntervalProbe) ID() string { return HuntIntervalProbeID }

// Requirements returns the requirement given to NewHuntIntervalProbe.
func (p *HuntIntervalProbe) Requirements() []string { return p.reqs }

// Freshness is one day: a met result lapses within a day of the last hunt
// falling out of its interval.
func (p *HuntIntervalProbe) Freshness() time.Duration { return 24 * time.Hour }

// Evaluate reads the last closed hunt of the system.
func (p *HuntIntervalProbe) Evaluate(ctx context.Context, s Subject) (Result, error) {
	at := p.now()
	closed, id, title, outcome, err := p.facts.LastHunt(ctx, s.SystemID)
	if err != nil {
		return Result{}, fmt.Errorf("get last hunt of system %d: %w", s.SystemID, err)
	}
	if closed.IsZero() {
		return Result{Status: StatusNotMet, At: at,
			Proof:   fmt.Sprintf("No closed threat hunt covers system %d.", s.SystemID),
			ProofVI: fmt.Sprintf("Chưa có đợt săn lùng mối nguy hại nào đã kết thúc bao gồm hệ thống %d.", s.SystemID),
			Facts:   map[string]string{}}, nil
	}
	next := closed.Add(p.interval)
	facts := map[string]string{"last_hunt": closed.Format(probeDateLayout), "hunt_id": fmt.Sprint(id), "title": title,
		"outcome": outcome, "next_due": next.Format(probeDateLayout)}
	if at.After(next) {
		return Result{Status: StatusNotMet, At: at,
			Proof: fmt.Sprintf("The last threat hunt covering system %d (#%d “%s”) was closed on %s; the next was due by %s.",
				s.SystemID, id, title, closed.Format(probeDateLayout), next.Format(probeDateLayout)),
			ProofVI: fmt.Sprintf("Đợt săn lùng mối nguy hại gần nhất của hệ thống %d (#%d “%s”) kết thúc ngày %s; đợt tiếp theo phải xong trước %s.",
				s.SystemID, id, title, closed.Format(probeDateLayout), next.Format(probeDateLayout)),
			Facts: facts}, nil
	}
	return Result{Status: StatusMet, At: at,
		Proof: fmt.Sprintf("Threat hunt #%d “%s” covering system %d was closed on %s (%s); the next is due by %s.",
			id, title, s.SystemID, closed.Format(probeDateLayout), outcome, next.Format(probeDateLayout)),
		ProofVI: fmt.Sprintf("Đợt săn lùng mối nguy hại #%d “%s” của hệ thống %d kết thúc ngày %s (%s); đợt tiếp theo trước %s.",
			id, title, s.SystemID, closed.Format(probeDateLayout), outcome, next.Format(probeDateLayout)),
		Facts: facts}, nil
}
