package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/job"
)

// Job kinds of the compliance capability.
const (
	// JobProbes runs the automatic evidence probes of every system.
	JobProbes = "compliance.probes"
	// JobReminders sends the calendar and stale-evidence reminders.
	JobReminders = "compliance.reminders"
)

// unitCovers reports whether a channel scoped to unit scope carries the
// notifications of unit: the unit itself or one of its descendants.
func (c *Core) unitCovers(ctx context.Context, scope, unit int64) (bool, error) {
	tree, err := c.Units.Tree(ctx)
	if err != nil {
		return false, err
	}
	return tree.Expand([]int64{scope})[unit], nil
}

func (c *Core) openCompliance() error {
	files, err := compliance.NewFileStore(filepath.Join(c.Config.DataDir, "evidence"),
		int64(c.Config.Compliance.EvidenceMaxMB)<<20)
	if err != nil {
		return err
	}
	intervals, err := parseIntervals(c.Config.Compliance.Intervals)
	if err != nil {
		return fmt.Errorf("compliance.intervals: %w", err)
	}
	c.Compliance, err = compliance.NewService(c.Backend, c.Backend, c.Packs, c.Probes, files, c.Audit,
		compliance.Options{DefaultPack: DefaultPack, Intervals: intervals, Location: vietnam})
	if err != nil {
		return fmt.Errorf("compliance: %w", err)
	}
	return c.Compliance.SetReportDeps(compliance.ReportDeps{Units: c.Units, Dossiers: c.Backend,
		FocalPoints: c.Backend, Jobs: c.Jobs, Dir: filepath.Join(c.Config.DataDir, "reports")})
}

// vietnam is Vietnam time (UTC+7, no DST since 1975) without tzdata.
var vietnam = time.FixedZone("ICT", 7*3600)

// parseIntervals reads "id=months, id2=months".
func parseIntervals(s string) (map[string]int, error) {
	out := map[string]int{}
	for pair := range strings.SplitSeq(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		id, months, ok := strings.Cut(pair, "=")
		n, err := strconv.Atoi(strings.TrimSpace(months))
		if !ok || err != nil || strings.TrimSpace(id) == "" {
			return nil, fmt.Errorf("%q is not id=months", pair)
		}
		out[strings.TrimSpace(id)] = n
	}
	return out, nil
}

func (c *Core) registerComplianceJobs() {
	c.Jobs.Register(JobReminders, func(ctx context.Context, p *job.Progress) error {
		list, err := c.Compliance.Reminders(ctx)
		if err != nil {
			return err
		}
		p.SetTotal(int64(len(list)))
		created := 0
		for i := range list {
			ok, err := c.Notify.Notify(ctx, &list[i])
			if err != nil {
				return err
			}
			if ok {
				created++
			}
			p.Set(int64(i+1), int64(len(list)))
		}
		p.SetResult(fmt.Sprintf("%d reminders due, %d new", len(list), created))
		return nil
	})
	c.Jobs.Register(compliance.JobAnnualReport, c.Compliance.BuildReport)
	c.Jobs.Register(compliance.JobImplementationReport, c.Compliance.BuildReport)
	c.Jobs.Register(JobProbes, func(ctx context.Context, p *job.Progress) error {
		systems, err := c.Compliance.ActiveSystems(ctx)
		if err != nil {
			return err
		}
		total := int64(len(systems))
		p.SetTotal(total)
		var failed []string
		met := 0
		for i, sys := range systems {
			p.Message(sys.Code)
			outs, err := c.Compliance.RunProbes(ctx, sys)
			if errors.Is(err, context.Canceled) {
				return err
			}
			if err != nil {
				failed = append(failed, sys.Code+": "+err.Error())
			}
			for _, o := range outs {
				if o.Err == nil && o.Result.Status == compliance.StatusMet {
					met++
				}
			}
			p.Set(int64(i+1), total)
		}
		p.SetResult(fmt.Sprintf("%d systems checked, %d probe results met, %d failed", len(systems), met, len(failed)))
		j := p.Job()
		_ = c.Audit.Record(ctx, audit.Entry{ActorID: j.CreatedBy, Actor: "job", Action: "compliance.probes_run",
			Target: fmt.Sprintf("job:%d", j.ID), Detail: fmt.Sprintf("systems=%d failed=%d", len(systems), len(failed))})
		if len(failed) > 0 {
			return errors.New(strings.Join(failed, "; "))
		}
		return nil
	})
}
