package attribute_test

import (
	"context"
	"testing"
	"time"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/attribute"
)

var assets = []asset.Asset{
	{ID: 1, UnitID: 10, SystemIDs: []int64{100}, Identifiers: []asset.Identifier{
		{Type: asset.FQDN, Value: "DC01.corp.example.vn"}, {Type: asset.IP, Value: "10.0.0.5"}}},
	{ID: 2, UnitID: 20, SystemIDs: []int64{200, 201}, Identifiers: []asset.Identifier{{Type: asset.CIDR, Value: "10.0.0.0/16"}}},
	{ID: 3, UnitID: 20, Identifiers: []asset.Identifier{{Type: asset.CIDR, Value: "10.0.9.0/24"}, {Type: asset.CloudID, Value: "agent-7f3a"}}},
	{ID: 4, UnitID: 30, Identifiers: []asset.Identifier{{Type: asset.Hostname, Value: "dc01"}}}, // loses to asset 1
}

func TestLookup(t *testing.T) {
	ix := attribute.Build(assets)
	tests := []struct {
		name  string
		e     event.Event
		asset int64
		found bool
	}{
		{"fqdn any case", event.Event{Fields: map[string]string{"host.name": "dc01.CORP.example.vn."}}, 1, true},
		{"short name", event.Event{Fields: map[string]string{"host.name": "DC01"}}, 1, true},
		{"short of an unknown fqdn", event.Event{Fields: map[string]string{"host.name": "dc01.other.vn"}}, 1, true},
		{"agent id first", event.Event{Fields: map[string]string{"agent.id": "AGENT-7F3A", "host.name": "dc01"}}, 3, true},
		{"exact ip beats cidr", event.Event{Source: event.Source{Addr: "10.0.0.5"}}, 1, true},
		{"narrowest cidr", event.Event{Source: event.Source{Addr: "10.0.9.77"}}, 3, true},
		{"wider cidr", event.Event{Source: event.Source{Addr: "10.0.200.1"}}, 2, true},
		{"host.ip list", event.Event{Fields: map[string]string{"host.ip": `["fe80::1","10.0.0.5"]`}}, 1, true},
		{"ip in host name", event.Event{Fields: map[string]string{"host.name": "10.0.9.1"}}, 3, true},
		{"mapped v6 sender", event.Event{Source: event.Source{Addr: "::ffff:10.0.0.5"}}, 1, true},
		{"unknown", event.Event{Fields: map[string]string{"host.name": "laptop"}, Source: event.Source{Addr: "192.168.1.1"}}, 0, false},
	}
	for _, tt := range tests {
		r, ok := ix.Lookup(&tt.e)
		if ok != tt.found || r.AssetID != tt.asset {
			t.Errorf("%s: got asset %d (%v), want %d (%v)", tt.name, r.AssetID, ok, tt.asset, tt.found)
		}
	}
}

func TestAttributor(t *testing.T) {
	calls := 0
	a := attribute.New(func(context.Context) ([]asset.Asset, error) { calls++; return assets, nil }, time.Hour)
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	batch := []event.Event{
		{Received: now, Source: event.Source{Kind: event.KindSyslog, Addr: "10.0.0.5"}},
		{Received: now, UnitID: 99, Fields: map[string]string{"host.name": "fw01.example.vn"}, Source: event.Source{Addr: "10.0.200.9"}},
		{Received: now, Fields: map[string]string{"host.name": "Laptop-7"}, Source: event.Source{Kind: event.KindBulk, Addr: "192.168.1.7"}},
		{Received: now.Add(time.Second), Fields: map[string]string{"host.name": "laptop-7"}, Source: event.Source{Kind: event.KindBulk}},
	}
	a.Attribute(context.Background(), batch)
	if batch[0].UnitID != 10 || batch[0].Fields[attribute.FieldAssetID] != "1" || batch[0].Fields[attribute.FieldSystemIDs] != "100" {
		t.Errorf("event 0: %+v", batch[0])
	}
	// A unit set by the receiver (the sender's token) is kept.
	if batch[1].UnitID != 99 || batch[1].Fields[attribute.FieldSystemIDs] != "200,201" {
		t.Errorf("event 1: %+v", batch[1])
	}
	if batch[2].UnitID != 0 || batch[2].Fields[attribute.FieldAssetID] != "" {
		t.Errorf("event 2 attributed: %+v", batch[2])
	}
	un := a.Unknowns()
	if len(un) != 1 || un[0].Key != "laptop-7" || un[0].Count != 2 || !un[0].LastSeen.Equal(now.Add(time.Second)) {
		t.Errorf("unknowns %+v", un)
	}
	a.Forget("LAPTOP-7")
	if len(a.Unknowns()) != 0 {
		t.Error("forget kept the source")
	}
	a.Attribute(context.Background(), batch[:1])
	if calls != 1 {
		t.Errorf("index built %d times within the refresh interval", calls)
	}
}
