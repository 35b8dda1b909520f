package compliance

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// VulnScanProbeID identifies the probe of periodic vulnerability scans.
const VulnScanProbeID = "vuln_scan_interval"

// vulnMaxNames is how many assets a proof names before it says "and N more".
const vulnMaxNames = 10

// AssetScan is what VulnScanProbe needs of one asset of a system.
type AssetScan struct {
	AssetID  int64
	Name     string
	LastScan time.Time // the last inventory import; zero: never scanned
	ImportID int64
	Tool     string // the scanner or format of the last import ("trivy", "dpkg"…)
	Packages int
	// Open findings of the asset, how many are past their SLA due date, and
	// how many of those are critical or in CISA's KEV catalogue.
	Open, Overdue, OverdueCritical int
}

// VulnScanFacts answers questions about the vulnerability scans of systems
// for VulnScanProbe. Implementations must be safe for concurrent use and
// honour ctx.
type VulnScanFacts interface {
	// VulnScans returns the assets of systemID that can be scanned (hosts,
	// applications, databases…), by name. The slice belongs to the caller.
	VulnScans(ctx context.Context, systemID int64) ([]AssetScan, error)
	// Advisories returns how many advisories Khiên matches against and when
	// they were last updated (zero: never).
	Advisories(ctx context.Context) (count int, updated time.Time, err error)
}

// VulnScanProbe gives evidence that a system is scanned for vulnerabilities
// regularly (Directive 18/CT-TTg: at least every 6 months). An inventory
// import is the asset scanned against the advisory database, so the probe
// is met when every scannable asset of the system had one within the
// interval and advisories are loaded. It is not met when the system has no
// scannable asset, no advisory is loaded (a scan against an empty database
// proves nothing), or any asset was never scanned or not within the
// interval. Findings past their SLA due date do not fail the probe —
// remediation is a separate matter — but the proof and the facts state them.
//
// Facts: assets, scanned (at least once) and stale (never scanned or not
// within the interval) count assets; oldest_scan is the date of the oldest
// last scan ("never" when an asset was never scanned) and next_due that
// date plus the interval; open, overdue and overdue_critical count
// findings; advisories and advisories_updated ("never" when not) describe
// the advisory database. Dates are in Vietnam time.
type VulnScanProbe struct {
	facts    VulnScanFacts
	reqs     []string
	interval time.Duration
	now      func() time.Time
}

var _ Probe = (*VulnScanProbe)(nil)

// NewVulnScanProbe returns the probe for requirementID (usually
// "mgmt.ops.vulnerability"): every asset must have been scanned at most
// interval before now. It panics when interval is not positive, a
// programmer error at start-up.
func NewVulnScanProbe(facts VulnScanFacts, requirementID string, interval time.Duration, now func() time.Time) *VulnScanProbe {
	if interval <= 0 {
		panic(fmt.Sprintf("compliance: vulnerability scan interval %v is not positive", interval))
	}
	return &VulnScanProbe{facts: facts, reqs: []string{requirementID}, interval: interval, now: now}
}

// ID returns VulnScanProbeID.
func (p *VulnScanProbe) ID() string { return VulnScanProbeID }

// Requirements returns the requirement given to NewVulnScanProbe.
func (p *VulnScanProbe) Requirements() []string { return p.reqs }

// Freshness is one day: a met result lapses within a day of the oldest scan
// falling out of its interval.
func (p *VulnScanProbe) Freshness() time.Duration { return 24 * time.Hour }

// Evaluate reads the last scan of each scannable asset of the system and
// the state of the advisory database. A scan exactly interval old is still
// in time.
func (p *VulnScanProbe) Evaluate(ctx context.Context, s Subject) (Result, error) {
	at := p.now()
	assets, err := p.facts.VulnScans(ctx, s.SystemID)
	if err != nil {
		return Result{}, fmt.Errorf("list vulnerability scans of system %d: %w", s.SystemID, err)
	}
	advisories, updated, err := p.facts.Advisories(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("count advisories: %w", err)
	}

	// Never scanned first, then the oldest scans; ties by name.
	assets = slices.Clone(assets)
	slices.SortFunc(assets, func(a, b AssetScan) int {
		return cmp.Or(a.LastScan.Compare(b.LastScan), strings.Compare(a.Name, b.Name), cmp.Compare(a.AssetID, b.AssetID))
	})
	var (
		scanned, open, overdue, overdueCrit int
		oldest                              *AssetScan
		late                                []AssetScan
	)
	for i, a := range assets {
		open, overdue, overdueCrit = open+a.Open, overdue+a.Overdue, overdueCrit+a.OverdueCritical
		if !a.LastScan.IsZero() {
			scanned++
			if oldest == nil {
				oldest = &assets[i]
			}
		}
		if a.LastScan.IsZero() || at.After(a.LastScan.Add(p.interval)) {
			late = append(late, a)
		}
	}

	updatedFact := "never"
	if !updated.IsZero() {
		updatedFact = vnDate(updated)
	}
	facts := map[string]string{
		"assets":             strconv.Itoa(len(assets)),
		"scanned":            strconv.Itoa(scanned),
		"stale":              strconv.Itoa(len(late)),
		"open":               strconv.Itoa(open),
		"overdue":            strconv.Itoa(overdue),
		"overdue_critical":   strconv.Itoa(overdueCrit),
		"advisories":         strconv.Itoa(advisories),
		"advisories_updated": updatedFact,
	}
	var next time.Time
	switch {
	case scanned < len(assets):
		facts["oldest_scan"] = "never"
	case oldest != nil:
		next = oldest.LastScan.Add(p.interval)
		facts["oldest_scan"] = vnDate(oldest.LastScan)
		facts["next_due"] = vnDate(next)
	}
	notMet := func(en, vi string) Result {
		return Result{Status: StatusNotMet, At: at, Proof: en, ProofVI: vi, Facts: facts}
	}
	findings, findingsVI := vulnFindings(open, overdue, overdueCrit)
	days, daysVI := vulnInterval(p.interval)

	if len(assets) == 0 {
		return notMet(fmt.Sprintf("System %d has no asset to scan for vulnerabilities: add the system's assets (hosts, applications, databases).", s.SystemID),
			fmt.Sprintf("Hệ thống %d chưa có tài sản nào để rà quét lỗ hổng: hãy khai báo các tài sản của hệ thống (máy chủ, ứng dụng, cơ sở dữ liệu).", s.SystemID)), nil
	}
	if advisories <= 0 {
		return notMet(fmt.Sprintf("No vulnerability advisories are loaded, so the scans of the %s of system %d prove nothing: a scan against an empty database finds no vulnerability. Import the advisory database.",
			vulnAssets(len(assets)), s.SystemID),
			fmt.Sprintf("Khiên chưa nạp cơ sở dữ liệu lỗ hổng nào nên việc rà quét lỗ hổng %d tài sản của hệ thống %d không chứng minh được gì: rà quét với cơ sở dữ liệu rỗng không tìm ra lỗ hổng nào. Hãy nạp cơ sở dữ liệu lỗ hổng.",
				len(assets), s.SystemID)), nil
	}
	if len(late) > 0 {
		en := make([]string, len(late))
		vi := make([]string, len(late))
		for i, a := range late {
			name := vulnAssetName(a)
			if a.LastScan.IsZero() {
				en[i], vi[i] = name+" (never scanned)", name+" (chưa từng rà quét)"
				continue
			}
			last, due := vnDate(a.LastScan), vnDate(a.LastScan.Add(p.interval))
			en[i] = fmt.Sprintf("%s (last scanned on %s, due by %s)", name, last, due)
			vi[i] = fmt.Sprintf("%s (rà quét lần cuối ngày %s, hạn rà quét lại %s)", name, last, due)
		}
		verb := "have"
		if len(late) == 1 {
			verb = "has"
		}
		proof := fmt.Sprintf("%d of %s of system %d %s not been scanned for vulnerabilities within %s: %s.",
			len(late), vulnAssets(len(assets)), s.SystemID, verb, days, vulnNameList(en, "and %d more"))
		proofVI := fmt.Sprintf("%d trên %d tài sản của hệ thống %d chưa được rà quét lỗ hổng trong vòng %s: %s.",
			len(late), len(assets), s.SystemID, daysVI, vulnNameList(vi, "và %d tài sản khác"))
		if overdue > 0 {
			proof += " " + findings
			proofVI += " " + findingsVI
		}
		return notMet(proof, proofVI), nil
	}

	tool := oldest.Tool
	if tool == "" {
		tool = "unknown tool"
	}
	toolVI := oldest.Tool
	if toolVI == "" {
		toolVI = "không rõ công cụ"
	}
	updatedEN, updatedVI := "never updated", "chưa cập nhật"
	if !updated.IsZero() {
		updatedEN, updatedVI = "updated on "+vnDate(updated), "cập nhật ngày "+vnDate(updated)
	}
	allEN := fmt.Sprintf("All %d assets of system %d were", len(assets), s.SystemID)
	allVI := fmt.Sprintf("Cả %d tài sản của hệ thống %d đã", len(assets), s.SystemID)
	if len(assets) == 1 {
		allEN = fmt.Sprintf("The one asset of system %d was", s.SystemID)
		allVI = fmt.Sprintf("Tài sản duy nhất của hệ thống %d đã", s.SystemID)
	}
	return Result{Status: StatusMet, At: at,
		Proof: fmt.Sprintf("%s scanned for vulnerabilities within %s, against %d advisories (%s); the oldest scan, of %s, was on %s (%s, %s), so the next is due by %s. %s",
			allEN, days, advisories, updatedEN,
			vulnAssetName(*oldest), vnDate(oldest.LastScan), tool, vulnCount(oldest.Packages, "package", "packages"), vnDate(next), findings),
		ProofVI: fmt.Sprintf("%s được rà quét lỗ hổng trong vòng %s, đối chiếu với %d cảnh báo lỗ hổng (%s); lần rà quét cũ nhất, của %s, là ngày %s (%s, %d gói phần mềm), nên lần tiếp theo phải xong trước %s. %s",
			allVI, daysVI, advisories, updatedVI,
			vulnAssetName(*oldest), vnDate(oldest.LastScan), toolVI, oldest.Packages, vnDate(next), findingsVI),
		Facts: facts}, nil
}

// vulnFindings says, in English and Vietnamese, how many findings are open
// and how many are past their SLA due date.
func vulnFindings(open, overdue, critical int) (en, vi string) {
	if open == 0 {
		return "No finding is open.", "Không có phát hiện nào đang mở."
	}
	if overdue == 0 {
		return fmt.Sprintf("%s, none past its SLA due date.", vulnCount(open, "open finding", "open findings")),
			fmt.Sprintf("%d phát hiện đang mở, không có lỗ hổng quá hạn khắc phục.", open)
	}
	en = fmt.Sprintf("%s; %d past the SLA due date", vulnCount(open, "open finding", "open findings"), overdue)
	vi = fmt.Sprintf("%d phát hiện đang mở; %d lỗ hổng quá hạn khắc phục", open, overdue)
	if critical > 0 {
		en += fmt.Sprintf(", %d of them critical or in CISA's KEV catalogue", critical)
		vi += fmt.Sprintf(", trong đó %d lỗ hổng nghiêm trọng hoặc thuộc danh mục KEV của CISA", critical)
	}
	return en + ": remediation is overdue.", vi + ": cần khắc phục ngay."
}

// vulnInterval renders d in whole days when it is a whole number of days.
func vulnInterval(d time.Duration) (en, vi string) {
	if d%(24*time.Hour) == 0 {
		n := int64(d / (24 * time.Hour))
		if n == 1 {
			return "1 day", "1 ngày"
		}
		return fmt.Sprintf("%d days", n), fmt.Sprintf("%d ngày", n)
	}
	return d.String(), d.String()
}

// vulnAssets renders n assets in English.
func vulnAssets(n int) string { return vulnCount(n, "asset", "assets") }

// vulnCount renders n things in English, singular or plural.
func vulnCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// vulnAssetName is the asset's name, or its ID when it has none.
func vulnAssetName(a AssetScan) string {
	if name := strings.TrimSpace(a.Name); name != "" {
		return name
	}
	return fmt.Sprintf("#%d", a.AssetID)
}

// vulnNameList joins at most vulnMaxNames items and ends with more (a format
// taking the number left out) when there are more.
func vulnNameList(items []string, more string) string {
	if len(items) <= vulnMaxNames {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:vulnMaxNames], ", ") + ", " + fmt.Sprintf(more, len(items)-vulnMaxNames)
}
