package app

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/filestore"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/notify"
)

// JobIncidentClocks is the job kind that reminds the units of the legal
// clocks of their open incident cases (hourly, idempotent: one
// notification per case, clock, deadline and kind).
const JobIncidentClocks = "incident.clocks"

// Notification kinds of the incident cases.
const (
	NotifyIncidentDue     notify.Kind = "incident_due"
	NotifyIncidentOverdue notify.Kind = "incident_overdue"
)

// openIncidents builds the incident cases, with their evidence store in
// data_dir/incident-evidence, and registers their reminder job.
func (c *Core) openIncidents() error {
	c.Incidents = incident.NewService(c.Backend, c.Backend, c.Units, c.Audit)
	files, err := filestore.New(filepath.Join(c.Config.DataDir, "incident-evidence"), int64(c.Config.Incident.EvidenceMaxMB)<<20)
	if err != nil {
		return err
	}
	c.Incidents.SetEvidenceFiles(files)
	c.Incidents.OnTamper(c.notifyTamper)
	c.Jobs.Register(JobIncidentClocks, func(ctx context.Context, p *job.Progress) error {
		n, created, err := c.remindIncidentClocks(ctx)
		if err != nil {
			return err
		}
		pn, pcreated, err := c.remindPeriodic(ctx, time.Now())
		if err != nil {
			return err
		}
		p.SetResult(fmt.Sprintf("%d clocks due soon or overdue, %d new reminders; %d periodic reports due, %d new reminders",
			n, created, pn, pcreated))
		return nil
	})
	return nil
}

// NotifyEvidenceTampered is the notification kind of an incident evidence
// item found altered.
const NotifyEvidenceTampered notify.Kind = "incident_evidence_tampered"

// notifyTamper tells the case's unit that an evidence item no longer
// matches its SHA-256 or its chain of custody.
func (c *Core) notifyTamper(ctx context.Context, cs incident.Case, e incident.Evidence, detail string) {
	n := notify.Notification{UnitID: cs.UnitID, Kind: NotifyEvidenceTampered, Severity: notify.Critical,
		TitleVI: fmt.Sprintf("Sự cố %s: chứng cứ %q đã bị thay đổi", cs.Ref, e.Name),
		TitleEN: fmt.Sprintf("Incident %s: evidence %q was altered", cs.Ref, e.Name),
		BodyVI:  detail, BodyEN: detail,
		Link:      fmt.Sprintf("/incidents/%d/evidence/%d", cs.ID, e.ID),
		DedupeKey: fmt.Sprintf("incident_evidence_tampered:%d:%s", e.ID, detail)}
	if _, err := c.Notify.Notify(ctx, &n); err != nil {
		c.Logger.Error("notify evidence tampering", "case", cs.ID, "evidence", e.ID, "err", err)
	}
}

// remindIncidentClocks notifies the clocks of open cases that are due
// soon or overdue.
func (c *Core) remindIncidentClocks(ctx context.Context) (n, created int, err error) {
	sys := authz.System()
	open := true
	for offset := 0; ; offset += 500 {
		cases, total, err := c.Incidents.List(ctx, sys, incident.Filter{Open: &open, Limit: 500, Offset: offset})
		if err != nil {
			return n, created, err
		}
		for _, cs := range cases {
			subs, err := c.Incidents.Submissions(ctx, sys, cs.ID)
			if err != nil {
				return n, created, err
			}
			clocks, _, err := c.Incidents.Clocks(ctx, cs, subs)
			if err != nil {
				return n, created, err
			}
			for _, k := range clocks {
				if k.State != incident.DueSoon && k.State != incident.Overdue {
					continue
				}
				n++
				note := incidentNotification(cs, k)
				ok, err := c.Notify.Notify(ctx, &note)
				if err != nil {
					return n, created, err
				}
				if ok {
					created++
				}
			}
		}
		if offset+len(cases) >= total || len(cases) == 0 {
			return n, created, nil
		}
	}
}

// incidentNotification is the reminder of one legal clock, in both
// languages.
func incidentNotification(c incident.Case, k incident.ClockView) notify.Notification {
	due := k.Due.In(incident.Vietnam).Format("02/01/2006 15:04")
	n := notify.Notification{UnitID: c.UnitID, Kind: NotifyIncidentDue, Severity: notify.Warning,
		TitleVI: fmt.Sprintf("Sự cố %s: hạn %s là %s", c.Ref, k.Rule.Title.VI, due),
		TitleEN: fmt.Sprintf("Incident %s: %s is due %s", c.Ref, k.Rule.Title.EN, due),
		BodyVI:  c.Title, BodyEN: c.Title,
		Link:      fmt.Sprintf("/incidents/%d", c.ID),
		DedupeKey: fmt.Sprintf("incident_due:%d:%s:%d", c.ID, k.Rule.ID, k.Due.Unix())}
	if k.State == incident.Overdue {
		n.Kind, n.Severity = NotifyIncidentOverdue, notify.Critical
		n.TitleVI = fmt.Sprintf("Sự cố %s: đã quá hạn %s (hạn %s)", c.Ref, k.Rule.Title.VI, due)
		n.TitleEN = fmt.Sprintf("Incident %s: %s is overdue (was due %s)", c.Ref, k.Rule.Title.EN, due)
		n.DedupeKey = fmt.Sprintf("incident_overdue:%d:%s:%d", c.ID, k.Rule.ID, k.Due.Unix())
	}
	return n
}

// NotifyIncidentPeriodic is the notification kind of a periodic incident
// report (Form 05) coming due.
const NotifyIncidentPeriodic notify.Kind = "incident_periodic_due"

// periodicNotice are the days before a periodic report's due day on which
// the top-level units are reminded of it.
var periodicNotice = []int{30, 7}

// remindPeriodic reminds every top-level unit of the periodic reports of
// the rules (Circular 20/2017's Form 05) falling due within 30 days of
// now: once when 30 days or fewer are left, again at 7 (idempotent).
func (c *Core) remindPeriodic(ctx context.Context, now time.Time) (n, created int, err error) {
	dues := c.Incidents.Rules().PeriodicDue(now, now.Add(time.Duration(periodicNotice[0])*24*time.Hour+time.Hour))
	if len(dues) == 0 {
		return 0, 0, nil
	}
	tree, err := c.Units.Tree(ctx)
	if err != nil {
		return 0, 0, err
	}
	rules := c.Incidents.Rules()
	for _, d := range dues {
		left := int(d.Due.Sub(now).Hours() / 24)
		stage := periodicNotice[0]
		for _, s := range periodicNotice {
			if left <= s {
				stage = s
			}
		}
		f, _ := rules.Form(d.Rule.Form)
		day := d.Due.Format("02/01/2006")
		for _, unit := range tree.Children(0) {
			n++
			note := notify.Notification{UnitID: unit, Kind: NotifyIncidentPeriodic, Severity: notify.Warning,
				TitleVI:   fmt.Sprintf("%s: hạn gửi trước ngày %s", d.Rule.Title.VI, day),
				TitleEN:   fmt.Sprintf("%s: due before %s", d.Rule.Title.EN, day),
				BodyVI:    d.Rule.Note.VI + " " + f.Number + " — " + f.Title.VI + ".",
				BodyEN:    d.Rule.Note.EN + " " + f.Number + " — " + f.Title.EN + ".",
				Link:      "/incidents#unit-forms",
				DedupeKey: fmt.Sprintf("incident_periodic:%s:%d:%d:%d", d.Rule.ID, d.Due.Year(), unit, stage)}
			ok, err := c.Notify.Notify(ctx, &note)
			if err != nil {
				return n, created, err
			}
			if ok {
				created++
			}
		}
	}
	return n, created, nil
}
