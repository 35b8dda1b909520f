package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"khien.vn/khien/internal/alert"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/notify"
	"khien.vn/khien/internal/system"
)

// alertNotifier sends a notification for every new alert, each on its own
// goroutine so that a slow channel never holds up the writing of alerts.
type alertNotifier struct {
	core *Core
	wg   sync.WaitGroup
}

func (c *Core) openAlerts() {
	c.alertNotes = &alertNotifier{core: c}
	c.Alerts = alert.New(c.Backend, alert.Options{
		Audit:        c.Audit,
		Window:       time.Duration(c.Config.Detect.AlertWindow),
		Logger:       c.Logger,
		Parents:      c.unitParents,
		SystemLevels: c.systemLevels,
		OnNew:        c.alertNotes.raised,
	})
}

// allUnits lists every unit id (hunts of a principal that sees all).
func (c *Core) allUnits(ctx context.Context) ([]int64, error) {
	tree, err := c.Units.Tree(ctx)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, n := range tree.Walk(nil) {
		out = append(out, n.ID)
	}
	return out, nil
}

// unitParents maps every unit to its parent, for the alert policy.
func (c *Core) unitParents(ctx context.Context) (map[int64]int64, error) {
	tree, err := c.Units.Tree(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int64]int64{}
	for _, n := range tree.Walk(nil) {
		out[n.ID] = n.ParentID
	}
	return out, nil
}

// systemLevels maps every information system to its security level: the
// approved one, else the one the level engine proposes.
func (c *Core) systemLevels(ctx context.Context) (map[int64]int, error) {
	list, err := c.Backend.ListSystems(ctx, system.Filter{})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int, len(list))
	for _, s := range list {
		out[s.ID] = s.ProposedLevel
		if s.ApprovedLevel > 0 {
			out[s.ID] = s.ApprovedLevel
		}
	}
	return out, nil
}

// WaitAlertNotifications waits for the notifications of new alerts being sent.
func (c *Core) WaitAlertNotifications() { c.alertNotes.wg.Wait() }

// notifySeverity maps alert severities onto the three notification ones:
// high and critical alerts are critical notifications.
func notifySeverity(s alert.Severity) notify.Severity {
	switch s {
	case alert.Critical, alert.High:
		return notify.Critical
	case alert.Medium:
		return notify.Warning
	}
	return notify.Info
}

var severityVI = map[alert.Severity]string{alert.Low: "Thấp", alert.Medium: "Trung bình", alert.High: "Cao", alert.Critical: "Nghiêm trọng"}

// AlertNotification is the notification for a new alert.
func AlertNotification(a alert.Alert) *notify.Notification {
	var key []string
	for _, f := range a.Key {
		key = append(key, f.Name+" = "+f.Value)
	}
	keys := strings.Join(key, "\n")
	when := a.FirstSeen.UTC().Format(time.RFC3339)
	tags := strings.Join(a.Tags, ", ")
	n := &notify.Notification{UnitID: a.UnitID, SystemID: a.SystemID, Kind: notify.AlertRaised, Severity: notifySeverity(a.Severity),
		TitleVI: fmt.Sprintf("Cảnh báo [%s]: %s", severityVI[a.Severity], a.RuleTitle),
		TitleEN: fmt.Sprintf("Alert [%s]: %s", a.Severity, a.RuleTitle),
		BodyVI: fmt.Sprintf("Luật “%s” (mức %s) phát hiện %d sự kiện từ %s.\n%s\nATT&CK: %s",
			a.RuleTitle, a.RuleLevel, a.Count, when, keys, tags),
		BodyEN: fmt.Sprintf("Rule “%s” (level %s) matched %d event(s) from %s.\n%s\nATT&CK: %s",
			a.RuleTitle, a.RuleLevel, a.Count, when, keys, tags),
		Link:      fmt.Sprintf("/alerts/%d", a.ID),
		DedupeKey: fmt.Sprintf("alert:%d", a.ID),
	}
	if tags == "" {
		n.BodyVI, n.BodyEN = strings.TrimSuffix(n.BodyVI, "\nATT&CK: "), strings.TrimSuffix(n.BodyEN, "\nATT&CK: ")
	}
	return n
}

func (an *alertNotifier) raised(ctx context.Context, a alert.Alert) {
	an.wg.Go(func() {
		n := AlertNotification(a)
		if _, err := an.core.Notify.Notify(context.WithoutCancel(ctx), n); err != nil {
			an.core.Logger.Error("cannot notify a new alert", "alert_id", a.ID, "err", err)
		}
	})
}

// alertRule is what an alert needs of a Sigma rule. Its key fields are the
// rule's khien_alert_group_by list when it has one, else a correlation's
// group-by fields (alert.Service falls back to the defaults when the
// events carry none of them under those names).
func alertRule(r *sigma.Rule) *alert.Rule {
	id := r.ID
	if id == "" {
		id = r.Title
	}
	ar := &alert.Rule{ID: id, Title: r.Title, Level: r.Level, Tags: r.Tags}
	if r.Correlation != nil {
		ar.KeyFields = r.Correlation.GroupBy
	}
	if list, ok := r.Custom["khien_alert_group_by"].([]any); ok {
		ar.KeyFields = nil
		for _, v := range list {
			if s, ok := v.(string); ok && s != "" {
				ar.KeyFields = append(ar.KeyFields, s)
			}
		}
	}
	return ar
}

// AlertQuery is the LogsQL query that finds an alert's events in the
// event store: the events of its rule with its key field values (the time
// range is the alert's first to last event).
func AlertQuery(a alert.Alert) string {
	var b strings.Builder
	b.WriteString(FieldSigmaRuleID + `:` + hunt.Quote(a.RuleID))
	for _, f := range a.Key {
		b.WriteString(" " + hunt.QuoteField(f.Name) + `:=` + hunt.Quote(f.Value))
	}
	return b.String()
}

// AlertEvents returns up to limit of the events an alert stands for,
// oldest first, and the query that finds them.
func (in *Ingest) AlertEvents(ctx context.Context, a alert.Alert, limit int) ([]event.Event, string, error) {
	q := AlertQuery(a)
	var out []event.Event
	err := in.Store.Query(ctx, eventstore.Query{Units: []int64{a.UnitID}, From: a.FirstSeen, To: a.LastSeen.Add(time.Microsecond),
		Expr: q, Limit: limit, Order: eventstore.Oldest, Timeout: 10 * time.Second}, func(e event.Event) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, q, fmt.Errorf("alert %d events: %w", a.ID, err)
	}
	return out, q, nil
}
