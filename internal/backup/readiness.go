package backup

import (
	"fmt"
	"strings"
	"time"
)

// ReadinessFacts are the facts of a system beyond its backups that its
// ransomware readiness depends on.
type ReadinessFacts struct {
	// RansomwareRules: the detection rules for ransomware are enabled for
	// the system's events (the built-in pack, not disabled).
	RansomwareRules bool
	// RulesOff names the ransomware rules switched off for the system's
	// unit (by the unit's or a parent's rule setting).
	RulesOff []string
	// OpenCritical counts the open critical (or KEV) vulnerability
	// findings on the system's assets.
	OpenCritical int
}

// ReadinessItem is one point of the readiness score: whether it holds,
// its weight, and why, in both languages.
type ReadinessItem struct {
	Code   string `json:"code"`
	OK     bool   `json:"ok"`
	Weight int    `json:"weight"`
	EN     string `json:"en"`
	VI     string `json:"vi"`
}

// Readiness is a system's ransomware readiness: a score out of 100, the
// sum of the weights of the items that hold, with every item's reason.
type Readiness struct {
	Score int             `json:"score"`
	Items []ReadinessItem `json:"items"`
}

// Weights of the readiness items; they add up to 100.
const (
	weightPlan     = 10
	weightFresh    = 25
	weightOffline  = 20
	weightRestore  = 20
	weightRules    = 10
	weightCritical = 15
)

// ReadinessOf scores a system's readiness to recover from ransomware at
// now: a backup plan (p nil: none), a backup within the plan's RPO, an
// offline or immutable copy, a restore test passed within the plan's
// interval, the ransomware detection rules on, and no open critical
// vulnerability on the system. Without a plan only the last two can hold.
func ReadinessOf(p *Plan, s State, f ReadinessFacts, now time.Time) Readiness {
	var r Readiness
	add := func(code string, ok bool, weight int, en, vi string) {
		r.Items = append(r.Items, ReadinessItem{Code: code, OK: ok, Weight: weight, EN: en, VI: vi})
		if ok {
			r.Score += weight
		}
	}
	vn := func(t time.Time) string { return t.In(vietnam).Format("2006-01-02 15:04") }
	if p == nil {
		add("plan", false, weightPlan, "The system has no backup plan.", "Hệ thống chưa có kế hoạch sao lưu.")
		add("fresh", false, weightFresh, "No backup is known.", "Chưa biết bản sao lưu nào.")
		add("offline", false, weightOffline, "No offline or immutable copy is known.", "Chưa biết bản sao lưu ngoại tuyến hoặc không thể sửa xóa nào.")
		add("restore", false, weightRestore, "No restore test is known.", "Chưa biết lần thử phục hồi nào.")
	} else {
		add("plan", true, weightPlan, fmt.Sprintf("Backup plan “%s”.", p.Name), fmt.Sprintf("Kế hoạch sao lưu “%s”.", p.Name))
		switch {
		case s.LastSuccess.IsZero():
			add("fresh", false, weightFresh, "No successful backup is recorded.", "Chưa ghi nhận lần sao lưu thành công nào.")
		case now.Sub(s.LastSuccess) > p.RPO:
			add("fresh", false, weightFresh,
				fmt.Sprintf("The newest good backup (%s) is older than the RPO of %s.", vn(s.LastSuccess), hours(p.RPO)),
				fmt.Sprintf("Bản sao lưu tốt mới nhất (%s) cũ hơn RPO %s.", vn(s.LastSuccess), hoursVI(p.RPO)))
		default:
			add("fresh", true, weightFresh,
				fmt.Sprintf("The newest good backup (%s) is within the RPO of %s.", vn(s.LastSuccess), hours(p.RPO)),
				fmt.Sprintf("Bản sao lưu tốt mới nhất (%s) nằm trong RPO %s.", vn(s.LastSuccess), hoursVI(p.RPO)))
		}
		var safe string
		for _, c := range p.Copies {
			if c.Offline || c.Immutable {
				safe = c.Name
				break
			}
		}
		add("offline", safe != "", weightOffline,
			yesNo(safe != "", fmt.Sprintf("Copy “%s” is offline or immutable.", safe), "No copy is offline or immutable."),
			yesNo(safe != "", fmt.Sprintf("Bản sao “%s” ngoại tuyến hoặc không thể sửa xóa.", safe), "Chưa có bản sao ngoại tuyến hoặc không thể sửa xóa."))
		switch t := s.LastRestore; {
		case t == nil:
			add("restore", false, weightRestore, "No restore test is recorded.", "Chưa ghi nhận lần thử phục hồi nào.")
		case !t.OK():
			add("restore", false, weightRestore, fmt.Sprintf("The last restore test (%s) failed.", vn(t.StartedAt)),
				fmt.Sprintf("Lần thử phục hồi gần nhất (%s) thất bại.", vn(t.StartedAt)))
		case now.Sub(t.StartedAt) > p.RestoreEvery:
			add("restore", false, weightRestore,
				fmt.Sprintf("The last restore test (%s) is older than the plan's interval of %s.", vn(t.StartedAt), days(p.RestoreEvery)),
				fmt.Sprintf("Lần thử phục hồi gần nhất (%s) đã quá chu kỳ %s của kế hoạch.", vn(t.StartedAt), daysVI(p.RestoreEvery)))
		default:
			add("restore", true, weightRestore,
				fmt.Sprintf("A restore test passed on %s, restoring in %s data %s old.", vn(t.StartedAt), t.Duration.Round(time.Second), hours(t.DataAge().Round(time.Hour))),
				fmt.Sprintf("Thử phục hồi đạt ngày %s, phục hồi trong %s dữ liệu cũ %s.", vn(t.StartedAt), t.Duration.Round(time.Second), hoursVI(t.DataAge().Round(time.Hour))))
		}
	}
	rulesEN, rulesVI := "The ransomware detection rules are on.", "Các luật phát hiện mã độc tống tiền đang bật."
	switch {
	case f.RansomwareRules:
	case len(f.RulesOff) > 0:
		rulesEN = fmt.Sprintf("%d ransomware detection rules are off for the system's unit: %s.", len(f.RulesOff), strings.Join(f.RulesOff, "; "))
		rulesVI = fmt.Sprintf("%d luật phát hiện mã độc tống tiền đang tắt cho đơn vị của hệ thống: %s.", len(f.RulesOff), strings.Join(f.RulesOff, "; "))
	default:
		rulesEN, rulesVI = "The ransomware detection rules are off.", "Các luật phát hiện mã độc tống tiền đang tắt."
	}
	add("rules", f.RansomwareRules, weightRules, rulesEN, rulesVI)
	add("critical", f.OpenCritical == 0, weightCritical,
		yesNo(f.OpenCritical == 0, "No open critical vulnerability on the system.",
			fmt.Sprintf("%d open critical or known-exploited vulnerabilities on the system.", f.OpenCritical)),
		yesNo(f.OpenCritical == 0, "Hệ thống không còn lỗ hổng nghiêm trọng đang mở.",
			fmt.Sprintf("Hệ thống còn %d lỗ hổng nghiêm trọng hoặc đang bị khai thác chưa khắc phục.", f.OpenCritical)))
	return r
}
