package compliance

import (
	"context"
	"fmt"

	"khien.vn/khien/internal/notify"
)

// ReminderDays are the days before a due date on which a reminder is sent
// (one notification per obligation and due date for each threshold), in
// decreasing order.
var ReminderDays = []int{30, 7, 1}

// Reminders returns the notifications the calendar and the probes call for
// now, for every active system: obligations coming due (30, 7 and 1 days
// ahead), obligations overdue, and items whose automatic evidence went
// stale. Each carries a dedupe key, so running this every hour notifies
// each event once.
func (s *Service) Reminders(ctx context.Context) ([]notify.Notification, error) {
	systems, err := s.ActiveSystems(ctx)
	if err != nil {
		return nil, err
	}
	var out []notify.Notification
	for _, sys := range systems {
		sched, _, err := s.calendar(ctx, sys)
		if err != nil {
			return nil, err
		}
		name := sys.Code + " — " + sys.Name
		link := fmt.Sprintf("/systems/%d/calendar", sys.ID)
		for _, sc := range sched {
			o, d := sc.Obligation, sc.Due
			due := d.At.Format("02/01/2006")
			key := fmt.Sprintf("%d:%s:%s", sys.ID, o.ID, d.At.Format("2006-01-02"))
			switch {
			case d.Overdue:
				sev := notify.Warning
				if d.DaysLeft < -30 {
					sev = notify.Critical
				}
				out = append(out, notify.Notification{UnitID: sys.UnitID, Kind: notify.ObligationOverdue, Severity: sev,
					TitleVI: fmt.Sprintf("Quá hạn: %s — %s", o.TitleIn("vi"), sys.Code),
					TitleEN: fmt.Sprintf("Overdue: %s — %s", o.Title, sys.Code),
					BodyVI:  fmt.Sprintf("%s: nghĩa vụ \"%s\" đến hạn ngày %s, đã quá hạn %d ngày. Căn cứ: %s.", name, o.TitleIn("vi"), due, -d.DaysLeft, o.SourceIn("vi")),
					BodyEN:  fmt.Sprintf("%s: \"%s\" was due on %s and is %d days overdue. Basis: %s.", name, o.Title, due, -d.DaysLeft, o.Source),
					Link:    link, DedupeKey: "obligation_overdue:" + key})
			case d.NeverDone && o.Annual == nil:
				// Never recorded: one reminder, so that the calendar gets its first date.
				out = append(out, notify.Notification{UnitID: sys.UnitID, Kind: notify.ObligationDue, Severity: notify.Warning,
					TitleVI: fmt.Sprintf("Chưa ghi nhận: %s — %s", o.TitleIn("vi"), sys.Code),
					TitleEN: fmt.Sprintf("Never recorded: %s — %s", o.Title, sys.Code),
					BodyVI:  fmt.Sprintf("%s: chưa ghi nhận lần thực hiện nào của nghĩa vụ \"%s\". Căn cứ: %s.", name, o.TitleIn("vi"), o.SourceIn("vi")),
					BodyEN:  fmt.Sprintf("%s: no completion of \"%s\" has been recorded. Basis: %s.", name, o.Title, o.Source),
					Link:    link, DedupeKey: fmt.Sprintf("obligation_never:%d:%s", sys.ID, o.ID)})
			default:
				// The nearest threshold: 5 days ahead is the 7-day reminder.
				for i := len(ReminderDays) - 1; i >= 0; i-- {
					days := ReminderDays[i]
					if d.DaysLeft > days {
						continue
					}
					out = append(out, notify.Notification{UnitID: sys.UnitID, Kind: notify.ObligationDue, Severity: notify.Info,
						TitleVI: fmt.Sprintf("Sắp đến hạn (%s): %s — %s", due, o.TitleIn("vi"), sys.Code),
						TitleEN: fmt.Sprintf("Due %s: %s — %s", due, o.Title, sys.Code),
						BodyVI:  fmt.Sprintf("%s: nghĩa vụ \"%s\" đến hạn ngày %s (còn %d ngày). Căn cứ: %s.", name, o.TitleIn("vi"), due, d.DaysLeft, o.SourceIn("vi")),
						BodyEN:  fmt.Sprintf("%s: \"%s\" is due on %s (%d days left). Basis: %s.", name, o.Title, due, d.DaysLeft, o.Source),
						Link:    link, DedupeKey: fmt.Sprintf("obligation_due:%s:%d", key, days)})
					break
				}
			}
		}
		v, err := s.set(ctx, sys)
		if err != nil {
			return nil, err
		}
		for _, iv := range v.Items {
			if !iv.Stale {
				continue
			}
			at := ""
			for _, pv := range iv.Probes {
				if pv.Record.ProbeID == iv.Item.ProbeID {
					at = pv.Record.At.Format("2006-01-02T15:04:05")
				}
			}
			out = append(out, notify.Notification{UnitID: sys.UnitID, Kind: notify.EvidenceStale, Severity: notify.Warning,
				TitleVI:   fmt.Sprintf("Bằng chứng quá hạn: %s — %s", iv.Item.RequirementID, sys.Code),
				TitleEN:   fmt.Sprintf("Stale evidence: %s — %s", iv.Item.RequirementID, sys.Code),
				BodyVI:    fmt.Sprintf("%s: kết quả kiểm tra tự động của yêu cầu \"%s\" đã quá thời hạn hiệu lực; hãy chạy lại kiểm tra hoặc đánh giá thủ công.", name, iv.Requirement.Title.VI),
				BodyEN:    fmt.Sprintf("%s: the automatic check of \"%s\" is older than its freshness window; run the checks again or assess the item by hand.", name, iv.Requirement.Title.EN),
				Link:      fmt.Sprintf("/requirement-items/%d", iv.Item.ID),
				DedupeKey: fmt.Sprintf("evidence_stale:%d:%d:%s", sys.ID, iv.Item.ID, at)})
		}
	}
	return out, nil
}
