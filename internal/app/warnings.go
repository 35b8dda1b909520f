package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/warning"
)

// JobWarningReminders is the job kind that reminds the units of the
// deadlines of national warnings (hourly, idempotent: one notification
// per system, deadline and kind).
const JobWarningReminders = "warning.reminders"

// Notification kinds of the warnings register.
const (
	NotifyWarningDue     notify.Kind = "warning_due"
	NotifyWarningOverdue notify.Kind = "warning_overdue"
)

// openWarnings builds the warnings register: its indicators go to the
// intelligence store (live matching and sweeps), its deadlines to the
// reminder job.
func (c *Core) openWarnings() {
	c.Warnings = warning.NewService(c.Backend, c.Backend, c.Units, c.Audit)
	c.Warnings.OnCreate = func(ctx context.Context, p *authz.Principal, w warning.Warning) {
		c.importWarningIndicators(ctx, p, w)
		if len(w.CVEs) > 0 {
			// Flag the findings of the CVEs it names, and bring their due
			// dates forward to its deadline.
			if _, err := c.Jobs.Submit(ctx, job.Spec{Kind: JobVulnReflag}); err != nil {
				c.Logger.Warn("cannot submit the reflag of vulnerability findings", "warning_id", w.ID, "err", err)
			}
		}
	}
	c.Jobs.Register(JobWarningReminders, func(ctx context.Context, p *job.Progress) error {
		list, err := c.Warnings.Reminders(ctx, authz.System(), warning.RemindWithin)
		if err != nil {
			return err
		}
		p.SetTotal(int64(len(list)))
		created := 0
		for i, r := range list {
			n := warningNotification(r, c.systemLabel(ctx, r.Target.SystemID))
			ok, err := c.Notify.Notify(ctx, &n)
			if err != nil {
				return err
			}
			if ok {
				created++
			}
			p.Set(int64(i+1), int64(len(list)))
		}
		p.SetResult(fmt.Sprintf("%d deadlines near or past, %d new reminders", len(list), created))
		return nil
	})
}

// importWarningIndicators imports the indicators of a new warning into its
// unit, with the warning as source (warning.IndicatorSource), TLP:AMBER
// and confidence 80: live matching watches for them from now on and an
// IOC hunt of that source sweeps history for them. A failure is logged:
// the warning itself is kept.
func (c *Core) importWarningIndicators(ctx context.Context, p *authz.Principal, w warning.Warning) {
	if len(w.Indicators) == 0 {
		return
	}
	res, err := c.Intel.Import(ctx, p, intel.FormatCSV, strings.NewReader(strings.Join(w.Indicators, "\n")),
		intel.ImportOptions{UnitID: w.UnitID, Source: warning.IndicatorSource(w), DefaultTLP: intel.TLPAmber, DefaultConfidence: 80})
	if err != nil {
		c.Logger.Warn("import the indicators of a warning", "warning", w.ID, "err", err)
		return
	}
	if len(res.Skipped) > 0 {
		c.Logger.Info("indicators of a warning skipped", "warning", w.ID, "imported", res.Inserted+res.Updated, "skipped", len(res.Skipped))
	}
}

// systemLabel is "CODE — name" of a system, or its id.
func (c *Core) systemLabel(ctx context.Context, id int64) string {
	s, err := c.Backend.GetSystem(ctx, id)
	if err != nil {
		return fmt.Sprintf("#%d", id)
	}
	return s.Code + " — " + s.Name
}

// warningNotification is the reminder of one deadline, in both languages.
func warningNotification(r warning.Reminder, system string) notify.Notification {
	ref := r.Warning.Ref
	if ref == "" {
		ref = "#" + fmt.Sprint(r.Warning.ID)
	}
	due := r.Due.In(time.FixedZone("ICT", 7*3600)).Format("02/01/2006 15:04")
	whatVI, whatEN := "xử lý", "applying the actions on"
	if r.What == warning.DueReport {
		whatVI, whatEN = "báo cáo kết quả của", "reporting back on"
	}
	n := notify.Notification{UnitID: r.Warning.UnitID, SystemID: r.Target.SystemID, Kind: NotifyWarningDue, Severity: notify.Warning,
		TitleVI: fmt.Sprintf("Cảnh báo %s: hạn %s hệ thống %s là %s", ref, whatVI, system, due),
		TitleEN: fmt.Sprintf("Warning %s: %s %s is due %s", ref, whatEN, system, due),
		BodyVI:  r.Warning.Title, BodyEN: r.Warning.Title,
		Link:      fmt.Sprintf("/warnings/%d", r.Warning.ID),
		DedupeKey: fmt.Sprintf("warning_due:%d:system=%d:%s:%d", r.Warning.ID, r.Target.SystemID, r.What, r.Due.Unix())}
	if r.Overdue {
		n.Kind, n.Severity = NotifyWarningOverdue, notify.Critical
		n.TitleVI = fmt.Sprintf("Cảnh báo %s: đã quá hạn %s hệ thống %s (hạn %s)", ref, whatVI, system, due)
		n.TitleEN = fmt.Sprintf("Warning %s: %s %s is overdue (was due %s)", ref, whatEN, system, due)
		n.DedupeKey = fmt.Sprintf("warning_overdue:%d:system=%d:%s:%d", r.Warning.ID, r.Target.SystemID, r.What, r.Due.Unix())
	}
	return n
}
