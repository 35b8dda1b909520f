package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"khien.vn/khien/internal/event"
)

func TestEachStringPair(t *testing.T) {
	line := []byte(`{"time":"2026-11-27T00:00:00Z","unit_id":3,"tags":["a","b"],"fields":{"source.ip":"203.0.113.7","msg":"say \"hi\"","destination.ip":"10.0.0.1"}}`)
	got := map[string]string{}
	eachStringPair(line, func(k, v []byte) bool {
		got[string(k)] = string(v)
		return true
	})
	for k, v := range map[string]string{"time": "2026-11-27T00:00:00Z", "source.ip": "203.0.113.7", "msg": `say \"hi\"`, "destination.ip": "10.0.0.1"} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %q)", k, got[k], v, got)
		}
	}
}

func TestContainsFoldASCII(t *testing.T) {
	for s, want := range map[string]bool{`C:\Windows\VSSADMIN.exe`: true, "vssadmin": true, "vssadmi": false, "xVsSaDmInx": true, "": false, "v v v vssadmiN": true} {
		if got := containsFoldASCII([]byte(s), []byte("vssadmin")); got != want {
			t.Errorf("containsFoldASCII(%q) = %v", s, got)
		}
	}
}

// scanJSONL sees every line once, whatever the chunk boundaries.
func TestScanJSONL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.jsonl")
	var b strings.Builder
	enc := json.NewEncoder(&b)
	const n = 30_000
	for i := range n {
		e := event.Event{Message: strings.Repeat("x", i%700)}
		if i%7 == 0 {
			e.Message += "VSSadmin"
		}
		if err := enc.Encode(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, err := scanJSONL(context.Background(), path, func([]byte) bool { return true })
	if err != nil || lines != n {
		t.Errorf("%d lines, %v; want %d", lines, err, n)
	}
	hits, err := scanJSONL(context.Background(), path, func(l []byte) bool { return containsFoldASCII(l, []byte("vssadmin")) })
	if err != nil || hits != (n+6)/7 {
		t.Errorf("%d hits, %v; want %d", hits, err, (n+6)/7)
	}
}
