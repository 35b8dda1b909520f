// Package attribute links events to the asset they come from, and so to
// the unit and information systems the asset belongs to: by agent id
// (an asset's cloud_id identifier), host name (hostname or FQDN, case
// insensitive, short name too), or IP address (exact, then the narrowest
// CIDR), in that order, trying the event's reported host before the
// sender's address. Sources no asset matches are remembered, with the
// last time seen and a count, for a user to assign.
package attribute

import (
	"context"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/event"
)

// Fields the attributor adds to an event.
const (
	FieldAssetID   = "khien.asset.id"
	FieldSystemIDs = "khien.system.ids" // comma-separated system ids
)

// Ref is what an event is attributed to.
type Ref struct {
	AssetID   int64
	UnitID    int64
	SystemIDs []int64
}

type cidrRef struct {
	prefix netip.Prefix
	ref    Ref
}

// Index answers lookups from a snapshot of the assets.
type Index struct {
	byAgent map[string]Ref
	byHost  map[string]Ref
	byIP    map[netip.Addr]Ref
	cidrs   []cidrRef // narrowest first
}

// Build indexes assets. When two assets claim one identifier the one with
// the lower id wins, so that lookups do not depend on map order.
func Build(assets []asset.Asset) *Index {
	ix := &Index{byAgent: map[string]Ref{}, byHost: map[string]Ref{}, byIP: map[netip.Addr]Ref{}}
	sorted := slices.Clone(assets)
	slices.SortFunc(sorted, func(a, b asset.Asset) int { return int(a.ID - b.ID) })
	put := func(m map[string]Ref, k string, r Ref) {
		if _, taken := m[k]; !taken && k != "" {
			m[k] = r
		}
	}
	for _, a := range sorted {
		r := Ref{AssetID: a.ID, UnitID: a.UnitID, SystemIDs: slices.Clone(a.SystemIDs)}
		for _, id := range a.Identifiers {
			v := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(id.Value), "."))
			switch id.Type {
			case asset.CloudID:
				put(ix.byAgent, v, r)
			case asset.Hostname, asset.FQDN:
				put(ix.byHost, v, r)
				if short, _, ok := strings.Cut(v, "."); ok {
					put(ix.byHost, short, r)
				}
			case asset.IP:
				if ip, err := netip.ParseAddr(v); err == nil {
					if _, taken := ix.byIP[ip.Unmap()]; !taken {
						ix.byIP[ip.Unmap()] = r
					}
				}
			case asset.CIDR:
				if p, err := netip.ParsePrefix(v); err == nil {
					ix.cidrs = append(ix.cidrs, cidrRef{prefix: p.Masked(), ref: r})
				}
			}
		}
	}
	sort.SliceStable(ix.cidrs, func(i, j int) bool { return ix.cidrs[i].prefix.Bits() > ix.cidrs[j].prefix.Bits() })
	return ix
}

// lookupIP finds an asset by exact address, then by the narrowest CIDR.
func (ix *Index) lookupIP(s string) (Ref, bool) {
	ip, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return Ref{}, false
	}
	ip = ip.Unmap()
	if r, ok := ix.byIP[ip]; ok {
		return r, true
	}
	for _, c := range ix.cidrs {
		if c.prefix.Contains(ip) {
			return c.ref, true
		}
	}
	return Ref{}, false
}

// Lookup attributes one event.
func (ix *Index) Lookup(e *event.Event) (Ref, bool) {
	if id := strings.ToLower(e.Fields[event.FieldAgentID]); id != "" {
		if r, ok := ix.byAgent[id]; ok {
			return r, true
		}
	}
	if h := strings.ToLower(strings.TrimSuffix(e.Fields[event.FieldHostName], ".")); h != "" {
		if r, ok := ix.byHost[h]; ok {
			return r, true
		}
		if short, _, ok := strings.Cut(h, "."); ok {
			if r, ok := ix.byHost[short]; ok {
				return r, true
			}
		}
		if r, ok := ix.lookupIP(h); ok { // some senders put an address in the host name
			return r, true
		}
	}
	if ip := e.Fields[event.FieldHostIP]; ip != "" {
		for _, one := range strings.Split(strings.Trim(ip, `[]"`), ",") {
			if r, ok := ix.lookupIP(strings.Trim(one, `" `)); ok {
				return r, true
			}
		}
	}
	if e.Source.Addr != "" {
		if r, ok := ix.lookupIP(e.Source.Addr); ok {
			return r, true
		}
	}
	return Ref{}, false
}

// Unknown is a source no asset matched.
type Unknown struct {
	Key      string    `json:"key"`  // host name, else sender address
	Kind     string    `json:"kind"` // source kind
	Addr     string    `json:"addr"`
	Count    uint64    `json:"count"`
	LastSeen time.Time `json:"last_seen"`
}

// MaxUnknown bounds how many unknown sources are remembered.
const MaxUnknown = 10000

// Attributor attributes batches with an index it rebuilds from the assets
// every Refresh.
type Attributor struct {
	list    func(ctx context.Context) ([]asset.Asset, error)
	refresh time.Duration
	ix      atomic.Pointer[Index]
	built   atomic.Int64 // unix nanoseconds of the last build

	mu      sync.Mutex
	unknown map[string]*Unknown
}

// New returns an attributor over the assets list returns (every asset).
func New(list func(ctx context.Context) ([]asset.Asset, error), refresh time.Duration) *Attributor {
	if refresh <= 0 {
		refresh = time.Minute
	}
	a := &Attributor{list: list, refresh: refresh, unknown: map[string]*Unknown{}}
	a.ix.Store(Build(nil))
	return a
}

// Rebuild reads the assets again now (after an asset was created, for
// instance).
func (a *Attributor) Rebuild(ctx context.Context) error {
	assets, err := a.list(ctx)
	if err != nil {
		return err
	}
	a.ix.Store(Build(assets))
	a.built.Store(time.Now().UnixNano())
	return nil
}

// Attribute sets the unit of events that have none and adds the asset and
// system fields to those an asset matched; it records the others as
// unknown sources. A failed index refresh keeps the previous index.
func (a *Attributor) Attribute(ctx context.Context, batch []event.Event) {
	if time.Since(time.Unix(0, a.built.Load())) > a.refresh {
		_ = a.Rebuild(ctx)
	}
	ix := a.ix.Load()
	for i := range batch {
		e := &batch[i]
		r, ok := ix.Lookup(e)
		if !ok {
			a.note(e)
			continue
		}
		if e.UnitID == 0 {
			e.UnitID = r.UnitID
		}
		e.Set(FieldAssetID, strconv.FormatInt(r.AssetID, 10))
		if len(r.SystemIDs) > 0 {
			ids := make([]string, len(r.SystemIDs))
			for j, id := range r.SystemIDs {
				ids[j] = strconv.FormatInt(id, 10)
			}
			e.Set(FieldSystemIDs, strings.Join(ids, ","))
		}
	}
}

func (a *Attributor) note(e *event.Event) {
	key := strings.ToLower(e.Fields[event.FieldHostName])
	if key == "" {
		key = e.Source.Addr
	}
	if key == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.unknown[key]
	if u == nil {
		if len(a.unknown) >= MaxUnknown {
			return
		}
		u = &Unknown{Key: key, Kind: e.Source.Kind, Addr: e.Source.Addr}
		a.unknown[key] = u
	}
	u.Count++
	if e.Received.After(u.LastSeen) {
		u.LastSeen = e.Received
	}
}

// Unknowns returns the unknown sources, most recently seen first.
func (a *Attributor) Unknowns() []Unknown {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Unknown, 0, len(a.unknown))
	for _, u := range a.unknown {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(x, y Unknown) int {
		if c := y.LastSeen.Compare(x.LastSeen); c != 0 {
			return c
		}
		return strings.Compare(x.Key, y.Key)
	})
	return out
}

// Forget drops an unknown source (once a user assigned it to an asset).
func (a *Attributor) Forget(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.unknown, strings.ToLower(key))
}
