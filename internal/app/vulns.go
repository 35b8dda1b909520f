package app

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/vuln"
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
