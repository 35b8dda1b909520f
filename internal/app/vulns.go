package app

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/config"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/vuln"
	"khien.vn/khien/internal/vuln/feed"
	"khien.vn/khien/internal/warning"
)

// retroHunt opens and starts a Sigma retro-hunt over an asset's systems
// and hosts covering the exposure window of the findings an import proved
// fixed (from a day before the first was seen to the fix): after a
// serious vulnerability is fixed, the 2024 dispatch asks to look for an
// intrusion that used it before.
func (s *Server) retroHunt(ctx context.Context, records *hunt.Records, a asset.Asset, fixed []vuln.StoredFinding) {
	if len(fixed) == 0 {
		return
	}
	from, to := fixed[0].FirstSeen, fixed[0].FixedAt
	var ids []string
	for _, f := range fixed {
		if f.FirstSeen.Before(from) {
			from = f.FirstSeen
		}
		if f.FixedAt.After(to) {
			to = f.FixedAt
		}
		if len(ids) < 5 && !slices.Contains(ids, f.VulnID) {
			ids = append(ids, f.VulnID)
		}
	}
	which := strings.Join(ids, ", ")
	if len(fixed) > len(ids) {
		which += ", …"
	}
	var hosts []string
	for _, id := range a.Identifiers {
		if id.Type == asset.Hostname || id.Type == asset.FQDN {
			hosts = append(hosts, `host.name:i(`+strconv.Quote(id.Value)+`)`)
		}
	}
	if len(hosts) == 0 && a.Kind == asset.Host {
		hosts = append(hosts, `host.name:i(`+strconv.Quote(a.Name)+`)`)
	}
	h := hunt.Hunt{UnitID: a.UnitID, Title: fmt.Sprintf("Săn tìm hồi cứu sau khắc phục %s trên %s", which, a.Name),
		Hypothesis: "Lỗ hổng có thể đã bị khai thác trước khi được khắc phục: tìm dấu hiệu xâm nhập trong thời gian phơi nhiễm " +
			"(từ khi phát hiện lỗ hổng đến khi khắc phục).",
		Kind: hunt.KindSigma, Query: strings.Join(hosts, " OR "), SystemIDs: a.SystemIDs,
		From: from.Add(-24 * time.Hour), To: to, Trigger: hunt.TriggerVuln, TriggerRef: which + " / asset " + strconv.FormatInt(a.ID, 10)}
	sys := authz.System()
	opened, err := records.Open(ctx, sys, h)
	if err != nil {
		s.core.Logger.Error("open the retro-hunt of a fixed vulnerability", "asset", a.ID, "err", err)
		return
	}
	if _, err := StartHunt(ctx, s.core.Jobs, records, sys, opened.ID); err != nil {
		s.core.Logger.Error("start the retro-hunt of a fixed vulnerability", "asset", a.ID, "hunt", opened.ID, "err", err)
	}
}

// Job kinds of vulnerability management.
const (
	// JobVulnReflag brings the findings' KEV and national-warning flags
	// and due dates up to date (hourly: warnings change between imports).
	JobVulnReflag = "vuln.reflag"
	// JobVulnFeeds fetches the advisory feeds (every vuln.fetch_interval
	// when set).
	JobVulnFeeds = "vuln.feeds"
)

// commaList splits a comma-separated option, trimmed, empty items left out.
func commaList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// feedConfig returns the advisory feeds as configured.
func feedConfig(v config.Vuln) feed.Config {
	cfg := feed.DefaultConfig()
	cfg.OSVBase, cfg.KEVURL, cfg.NVDBase, cfg.EPSSURL = v.OSVURL, v.KEVURL, v.NVDURL, v.EPSSURL
	cfg.NVDAPIKey = v.NVDAPIKey.Reveal()
	cfg.OSVEcosystems, cfg.CSAFURLs = commaList(v.OSVEcosystems), commaList(v.CSAFURLs)
	return cfg
}

// ObligationVulnScan is the calendar obligation a full round of
// vulnerability scans fulfils for a system (decree85 pack: every level,
// every 6 months; Directive 18/CT-TTg).
const ObligationVulnScan = "vuln_scan"

// VulnScanInterval is how recent every scannable asset's last inventory
// import must be for a system to count as scanned (Directive 18/CT-TTg:
// at least every 6 months).
const VulnScanInterval = 183 * 24 * time.Hour

// scannable reports whether an asset of kind k holds software an
// inventory import can list: hosts, applications and databases. Network
// devices and cloud resources are scanned by other means (their firmware
// and configuration), which inventories do not cover.
func scannable(k asset.Kind) bool {
	return k == asset.Host || k == asset.Application || k == asset.Database
}

// openVulns builds vulnerability management: the service with the
// organisation's SLA matrix (vuln.sla_file), the national warnings it flags
// findings with, the vuln_scan obligation recorded on import, and the
// reflag and feeds jobs.
func (c *Core) openVulns() error {
	c.Vulns = vuln.NewService(c.Backend, c.Backend, c.Backend, c.Audit)
	if f := c.Config.Vuln.SLAFile; f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("vuln.sla_file: %w", err)
		}
		sla, err := vuln.ParseSLA(data)
		if err != nil {
			return fmt.Errorf("vuln.sla_file %s: %w", f, err)
		}
		c.Vulns.SetSLA(sla)
	}
	c.Vulns.SetWarnings(vulnWarnings{c})
	c.Vulns.OnImport(c.vulnScanRecorded)
	c.Jobs.Register(JobVulnReflag, func(ctx context.Context, p *job.Progress) error {
		n, err := c.Vulns.Reflag(ctx)
		p.SetResult(fmt.Sprintf("%d findings updated", n))
		return err
	})
	c.Jobs.Register(JobVulnFeeds, func(ctx context.Context, p *job.Progress) error {
		f := feed.New(feedConfig(c.Config.Vuln), c.Vulns, c.Backend, c.Logger)
		states := f.Run(ctx)
		var parts, failed []string
		for _, st := range states {
			if st.LastError != "" {
				failed = append(failed, st.Name+": "+st.LastError)
				continue
			}
			parts = append(parts, fmt.Sprintf("%s %d", st.Name, st.Written))
		}
		p.SetResult("written: " + strings.Join(parts, ", "))
		if len(failed) > 0 {
			return fmt.Errorf("%d of %d feeds failed: %s", len(failed), len(states), strings.Join(failed, "; "))
		}
		return nil
	})
	return nil
}

// vulnWarnings gives the vulnerability service the national warnings.
type vulnWarnings struct{ c *Core }

// CVEWarnings returns, by CVE, the open national warnings received by the
// asset's unit or one of its parents (a warning sent to a ministry bears
// on its departments' assets): the warning's number (else its title) and
// the deadline for acting, the earliest when several name one CVE.
func (v vulnWarnings) CVEWarnings(ctx context.Context, a asset.Asset) (map[string]vuln.WarningFlag, error) {
	tree, err := v.c.Units.Tree(ctx)
	if err != nil {
		return nil, err
	}
	var units []int64
	for id := a.UnitID; id != 0 && len(units) <= 64; {
		units = append(units, id)
		u, ok := tree.Get(id)
		if !ok {
			break
		}
		id = u.ParentID
	}
	open := true
	list, err := v.c.Backend.ListWarnings(ctx, warning.Filter{Units: units, Open: &open})
	if err != nil {
		return nil, err
	}
	out := map[string]vuln.WarningFlag{}
	for _, w := range list {
		ref := w.Ref
		if ref == "" {
			ref = w.Title
		}
		for _, cve := range w.CVEs {
			cur, ok := out[cve]
			if !ok || !w.ActionDue.IsZero() && (cur.Due.IsZero() || w.ActionDue.Before(cur.Due)) {
				out[cve] = vuln.WarningFlag{Ref: ref, Due: w.ActionDue}
			}
		}
	}
	return out, nil
}

// vulnScanRecorded records the vuln_scan obligation done for each system
// of the imported asset once a new round of scans is complete: every
// scannable asset of the system has an import within VulnScanInterval,
// and the oldest of those is later than the last completion recorded (so
// that one round is recorded once, dated by the import that completed
// it). A failure is logged: the import itself is kept.
func (c *Core) vulnScanRecorded(ctx context.Context, a asset.Asset, imp vuln.Import) {
	sys := authz.System()
	for _, id := range a.SystemIDs {
		scans, err := probeFacts{c}.VulnScans(ctx, id)
		if err != nil {
			c.Logger.Warn("cannot read the scans of a system", "system_id", id, "err", err)
			continue
		}
		var oldest time.Time
		complete := len(scans) > 0
		for _, s := range scans {
			if s.LastScan.IsZero() || imp.ImportedAt.Sub(s.LastScan) > VulnScanInterval {
				complete = false
				break
			}
			if oldest.IsZero() || s.LastScan.Before(oldest) {
				oldest = s.LastScan
			}
		}
		if !complete {
			continue
		}
		s, err := c.Systems.Get(ctx, sys, id)
		if err != nil {
			c.Logger.Warn("cannot read a scanned system", "system_id", id, "err", err)
			continue
		}
		obs, err := c.Compliance.Obligations(s)
		if err != nil {
			c.Logger.Warn("cannot read the obligations of a scanned system", "system_id", id, "err", err)
			continue
		}
		level, _ := compliance.Basis(s)
		if !slices.ContainsFunc(obs, func(o compliance.Obligation) bool { return o.ID == ObligationVulnScan && o.AppliesTo(level) }) {
			continue
		}
		done, err := c.Backend.ListCompletions(ctx, id)
		if err != nil {
			c.Logger.Warn("cannot read the completions of a scanned system", "system_id", id, "err", err)
			continue
		}
		if slices.ContainsFunc(done, func(d compliance.Completion) bool {
			return d.ObligationID == ObligationVulnScan && !d.DoneAt.Before(oldest)
		}) {
			continue
		}
		note := fmt.Sprintf("Vulnerability scan round complete: %d assets scanned, the last by import #%d (%s) of %s",
			len(scans), imp.ID, imp.Format, a.Name)
		if _, err := c.Compliance.RecordCompletion(ctx, sys, id, ObligationVulnScan, imp.ImportedAt, note); err != nil {
			c.Logger.Warn("cannot record the vulnerability-scan obligation", "system_id", id, "err", err)
		}
	}
}
