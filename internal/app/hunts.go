package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/system"
)

// JobHunt is the job kind that runs a hunt.
const JobHunt = "hunt.run"

// ObligationThreatHunt is the calendar obligation a closed hunt fulfils
// for each system it covers (regulation pack decree85-2016).
const ObligationThreatHunt = "threat_hunt"

type huntJobParams struct {
	HuntID int64 `json:"hunt_id"`
}

// openHunts builds the hunt records over the running event store and
// registers the job that runs them.
func (s *Server) openHunts(q *hunt.Service) *hunt.Records {
	c := s.core
	rec := hunt.NewRecords(c.Backend, q, hunt.RecordOptions{
		Audit:   c.Audit,
		Sigma:   c.sigmaEngine,
		OnClose: c.huntClosed,
		SweepQuery: func(ctx context.Context, unit int64, source string) (hunt.SweepSource, error) {
			pol := c.Alerts.Policy()
			m, err := c.Intel.ActiveFor(ctx, unit, source, pol.Covers)
			if err != nil {
				return hunt.SweepSource{}, err
			}
			return hunt.SweepSource{Query: m.SweepQueryFor(q.FieldNames(ctx)), Fields: m.SweepFields(), Exact: m.Exact(), Values: m.IndexValues(),
				Which: func(e event.Event) (string, string, bool) {
					hits := m.Match(&e)
					if len(hits) == 0 {
						return "", "", false
					}
					ind := m.Indicator(hits[0].IndicatorID)
					return "ioc:" + strconv.FormatInt(ind.ID, 10), string(ind.Type) + " " + ind.Value, true
				},
				Sighting: func(ctx context.Context, huntID int64, e *event.Event, n int64, first, last time.Time) error {
					if e.UnitID == 0 {
						return nil
					}
					for _, hit := range m.Match(e) {
						sg := intel.Sighting{IndicatorID: hit.IndicatorID, UnitID: e.UnitID, HuntID: huntID, Host: e.Fields[event.FieldHostName],
							Field: hit.Field, Value: hit.Value, FirstSeen: first, LastSeen: last, Count: n}
						if err := c.Intel.RecordSighting(ctx, &sg); err != nil {
							if ctx.Err() != nil {
								return ctx.Err()
							}
							// A sighting that cannot be kept (an over-long host name) does not fail the hunt.
							c.Logger.Warn("record a sighting of a sweep", "hunt", huntID, "indicator", hit.IndicatorID, "err", err)
						}
					}
					return nil
				}}, nil
		},
	})
	c.Jobs.Register(JobHunt, func(ctx context.Context, p *job.Progress) error {
		var params huntJobParams
		if err := json.Unmarshal([]byte(p.Job().Params), &params); err != nil {
			return fmt.Errorf("job parameters: %w", err)
		}
		// Access was checked when the hunt was started; the job reads the
		// hunt's own unit only.
		err := rec.Execute(ctx, authz.System(), params.HuntID, func(f float64) { p.Set(int64(f*1000), 1000) })
		if h, gerr := c.Backend.GetHunt(context.WithoutCancel(ctx), params.HuntID); gerr == nil {
			p.SetResult(fmt.Sprintf("%d matching events", h.Matches))
		}
		return err
	})
	s.huntRecords = rec
	s.registerHuntSchedule(rec)
	return rec
}

// StartHunt submits the job that runs hunt id and marks it running.
// The hunt is marked running before the job is submitted, so that a job
// finishing at once is not overwritten.
func StartHunt(ctx context.Context, jobs *job.Runner, rec *hunt.Records, p *authz.Principal, id int64) (hunt.Hunt, error) {
	h, err := rec.Start(ctx, p, id, 0)
	if err != nil {
		return hunt.Hunt{}, err
	}
	params, _ := json.Marshal(huntJobParams{HuntID: id})
	j, err := jobs.Submit(ctx, job.Spec{Kind: JobHunt, UnitID: h.UnitID, CreatedBy: p.UserID, Params: string(params)})
	if err != nil {
		rec.Abort(context.WithoutCancel(ctx), id, err)
		return hunt.Hunt{}, err
	}
	return rec.SetJob(ctx, id, j.ID)
}

// sigmaEngine compiles the configured detection rules with the given ids
// (all of them when ids is empty) for a retro-hunt.
func (c *Core) sigmaEngine(ids []string) (*detect.Engine, error) {
	d, err := c.Detection()
	if err != nil {
		return nil, err
	}
	rules := d.Engine.Rules()
	if len(ids) > 0 {
		var pick []*sigma.Rule
		for _, r := range rules {
			id := r.ID
			if id == "" {
				id = r.Title
			}
			if slices.Contains(ids, id) {
				pick = append(pick, r)
			}
		}
		if len(pick) == 0 {
			return nil, fmt.Errorf("none of the rules %v is configured", ids)
		}
		rules = pick
	}
	eng, _, err := detect.Compile(rules, detect.Options{})
	return eng, err
}

// huntClosed records the threat-hunt obligation as done for every system
// a closed hunt covers.
func (c *Core) huntClosed(ctx context.Context, h hunt.Hunt) {
	for _, sys := range h.SystemIDs {
		note := fmt.Sprintf("Hunt #%d “%s”: %s", h.ID, h.Title, h.Outcome)
		if _, err := c.Compliance.RecordCompletion(ctx, authz.System(), sys, ObligationThreatHunt, h.ClosedAt, note); err != nil {
			c.Logger.Warn("cannot record the threat-hunt obligation", "hunt_id", h.ID, "system_id", sys, "err", err)
		}
	}
}

// JobHuntSchedule is the job kind that opens the periodic hunts.
const JobHuntSchedule = "hunt.schedule"

// HuntEvery is how often each operating system is hunted (Directive
// 18/CT-TTg); a planned hunt is opened two weeks before it falls due.
const (
	HuntEvery   = 183 * 24 * time.Hour
	huntNotice  = 14 * 24 * time.Hour
	huntHistory = 183 * 24 * time.Hour
)

// registerHuntSchedule registers the job that opens, for every operating
// system whose last closed hunt is older than HuntEvery less two weeks and
// that has no hunt under way, a planned Sigma retro-hunt over its recent
// history, for an analyst to review and run.
func (s *Server) registerHuntSchedule(rec *hunt.Records) {
	c := s.core
	c.Jobs.Register(JobHuntSchedule, func(ctx context.Context, p *job.Progress) error {
		n, err := s.openDueHunts(ctx, rec, time.Now())
		p.SetResult(fmt.Sprintf("%d periodic hunts opened", n))
		return err
	})
}

func (s *Server) openDueHunts(ctx context.Context, rec *hunt.Records, now time.Time) (int, error) {
	c := s.core
	systems, err := c.Backend.ListSystems(ctx, system.Filter{Status: system.Operating})
	if err != nil {
		return 0, err
	}
	opened := 0
	for _, sys := range systems {
		last, found, err := c.Backend.LastClosed(ctx, sys.ID)
		if err != nil {
			return opened, err
		}
		if found && now.Sub(last.ClosedAt) < HuntEvery-huntNotice {
			continue
		}
		open, err := c.Backend.ListHunts(ctx, hunt.Filter{SystemID: sys.ID, Statuses: []hunt.Status{hunt.Planned, hunt.Running, hunt.Done, hunt.Failed}, Limit: 1})
		if err != nil {
			return opened, err
		}
		if len(open) > 0 {
			continue
		}
		from := now.Add(-huntHistory)
		if oldest := now.AddDate(0, 0, -c.Config.Events.RetentionDays); from.Before(oldest) {
			from = oldest
		}
		_, err = rec.Open(ctx, authz.System(), hunt.Hunt{UnitID: sys.UnitID, SystemIDs: []int64{sys.ID}, Kind: hunt.KindSigma,
			Title:      fmt.Sprintf("Săn lùng mối nguy hại định kỳ / Periodic threat hunt: %s", sys.Code),
			Hypothesis: "Định kỳ 6 tháng (Chỉ thị 18/CT-TTg): tìm dấu hiệu xâm nhập bằng toàn bộ luật phát hiện trên dữ liệu đã lưu. / Every 6 months (Directive 18/CT-TTg): look for signs of intrusion with every detection rule over the stored events.",
			From:       from, To: now, Trigger: hunt.TriggerSchedule, TriggerRef: "6 months"})
		if err != nil {
			return opened, fmt.Errorf("open the periodic hunt of system %d: %w", sys.ID, err)
		}
		opened++
	}
	return opened, nil
}

// OpenVulnerabilityHunt opens and starts the retro-hunt the vulnerability
// module asks for when a serious vulnerability of a system is fixed: every
// detection rule over the events since the system was exposed (at most the
// retention), so that an intrusion before the fix is found.
func (s *Server) OpenVulnerabilityHunt(ctx context.Context, systemID int64, ref string, exposedSince time.Time) (hunt.Hunt, error) {
	if s.huntRecords == nil {
		return hunt.Hunt{}, fmt.Errorf("hunts need the event store")
	}
	c := s.core
	sys, err := c.Backend.GetSystem(ctx, systemID)
	if err != nil {
		return hunt.Hunt{}, err
	}
	now := time.Now()
	from := exposedSince
	if oldest := now.AddDate(0, 0, -c.Config.Events.RetentionDays); from.IsZero() || from.Before(oldest) {
		from = oldest
	}
	h, err := s.huntRecords.Open(ctx, authz.System(), hunt.Hunt{UnitID: sys.UnitID, SystemIDs: []int64{sys.ID}, Kind: hunt.KindSigma,
		Title:      fmt.Sprintf("Săn lại sau khi vá / Retro-hunt after fixing %s on %s", ref, sys.Code),
		Hypothesis: fmt.Sprintf("%s đã được khắc phục; tìm dấu hiệu khai thác trước khi vá. / %s was fixed; look for exploitation before the fix.", ref, ref),
		From:       from, To: now, Trigger: hunt.TriggerVuln, TriggerRef: ref})
	if err != nil {
		return hunt.Hunt{}, err
	}
	return StartHunt(ctx, c.Jobs, s.huntRecords, authz.System(), h.ID)
}
