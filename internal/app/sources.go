package app

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/ingest/sources"
	"khien.vn/khien/internal/notify"
)

func (in *Ingest) sourcesFile() string { return filepath.Join(in.core.Config.DataDir, "sources.json") }

// sourceCheckInterval is how often source statistics are saved and silent
// sources looked for.
var sourceCheckInterval = time.Minute

// watchSources saves the source statistics and notifies silent sources
// every minute until ctx ends.
func (in *Ingest) watchSources(ctx context.Context) {
	t := time.NewTicker(sourceCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		in.checkSources(ctx)
	}
}

func (in *Ingest) checkSources(ctx context.Context) {
	if err := in.Tracker.SaveFile(in.sourcesFile()); err != nil {
		in.logger.Warn("save source statistics", "err", err)
	}
	for _, s := range in.Tracker.CheckSilent() {
		if _, err := in.core.Notify.Notify(ctx, in.silentNotification(s)); err != nil {
			in.logger.Warn("notify silent source", "source", s.Key, "err", err)
		}
	}
}

// silentNotification tells the users of the source's unit that it stopped
// sending.
func (in *Ingest) silentNotification(s sources.Source) *notify.Notification {
	unit := s.UnitID
	if unit == 0 {
		unit = in.defaultUnit
	}
	who := s.Host
	if who == "" {
		who = s.Name
	}
	since := s.LastSeen.In(vietnam).Format("2006-01-02 15:04")
	return &notify.Notification{
		UnitID:    unit,
		Kind:      notify.SourceSilent,
		Severity:  notify.Warning,
		TitleVI:   fmt.Sprintf("Nguồn nhật ký %s (%s) đã ngừng gửi", who, s.Kind),
		TitleEN:   fmt.Sprintf("Log source %s (%s) stopped sending", who, s.Kind),
		BodyVI:    fmt.Sprintf("Không nhận được sự kiện nào từ %s qua %s kể từ %s (%d sự kiện trước đó). Kiểm tra thiết bị, tác tử thu thập và đường truyền.", who, s.Name, since, s.Events),
		BodyEN:    fmt.Sprintf("No event from %s through %s since %s (%d events before). Check the device, the shipper and the network path.", who, s.Name, since, s.Events),
		Link:      "/sources",
		DedupeKey: fmt.Sprintf("source_silent:%s/%s/%s:%d", s.Kind, s.Name, s.Host, s.SilentSince.Unix()),
	}
}

// CreateSourceAsset creates, as p, an asset in unitID for an unknown
// source (its host name and address as identifiers) and attributes its
// next events to it.
func (in *Ingest) CreateSourceAsset(ctx context.Context, p *authz.Principal, key string, unitID int64, name string, kind asset.Kind) (asset.Asset, error) {
	var u *struct{ key, addr string }
	for _, x := range in.Attributor.Unknowns() {
		if x.Key == strings.ToLower(key) {
			u = &struct{ key, addr string }{x.Key, x.Addr}
			break
		}
	}
	if u == nil {
		return asset.Asset{}, fmt.Errorf("unknown source %q: %w", key, errs.ErrNotFound)
	}
	if strings.TrimSpace(name) == "" {
		name = u.key
	}
	a := asset.Asset{UnitID: unitID, Kind: kind, Name: name, Description: "Created from an unknown event source / Tạo từ nguồn sự kiện chưa xác định"}
	if ip, err := netip.ParseAddr(u.key); err == nil {
		a.Identifiers = append(a.Identifiers, asset.Identifier{Type: asset.IP, Value: ip.String()})
	} else {
		a.Identifiers = append(a.Identifiers, asset.Identifier{Type: asset.Hostname, Value: u.key})
		if ip, err := netip.ParseAddr(u.addr); err == nil {
			a.Identifiers = append(a.Identifiers, asset.Identifier{Type: asset.IP, Value: ip.String()})
		}
	}
	saved, err := in.core.Assets.Save(ctx, p, a)
	if err != nil {
		return asset.Asset{}, err
	}
	in.Attributor.Forget(u.key)
	if err := in.Attributor.Rebuild(ctx); err != nil {
		in.logger.Warn("rebuild attribution index", "err", err)
	}
	return saved, nil
}
