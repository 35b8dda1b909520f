package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/audit"
)

// appendN appends n entries e1..en (times a second apart from t0) and
// returns them as stored.
func appendN(t *testing.T, b Backend, n int) []audit.Entry {
	t.Helper()
	out := make([]audit.Entry, 0, n)
	for i := 1; i <= n; i++ {
		e := audit.Entry{Time: t0.Add(time.Duration(i) * time.Second), ActorID: int64(i % 3), Actor: fmt.Sprintf("user%d", i%3),
			UnitID: int64(i % 4), Action: "test.append", Target: fmt.Sprintf("thing:%d", i),
			Detail: fmt.Sprintf("entry %d, with ünïcödé and | separators:", i), IP: "198.51.100.9"}
		ok(t, "append", b.AppendAudit(t.Context(), &e))
		out = append(out, e)
	}
	return out
}

// scanAll returns every stored entry in Seq order.
func scanAll(t *testing.T, b Backend) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	ok(t, "scan", b.ScanAudit(t.Context(), 0, func(e audit.Entry) error {
		out = append(out, e)
		return nil
	}))
	return out
}

func testAudit(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("empty", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		seq, hash, err := b.AuditHead(ctx)
		ok(t, "head", err)
		if seq != 0 || hash != audit.Genesis {
			t.Errorf("AuditHead of an empty chain = %d, %q; want 0, Genesis", seq, hash)
		}
		n, err := b.CountAudit(ctx)
		ok(t, "count", err)
		if n != 0 {
			t.Errorf("CountAudit = %d, want 0", n)
		}
		checked, err := audit.Verify(ctx, b, nil)
		if checked != 0 || err != nil {
			t.Errorf("Verify(empty) = %d, %v; want 0, nil", checked, err)
		}
		got, err := b.ListAudit(ctx, audit.Filter{IncludeGlobal: true})
		ok(t, "list", err)
		if len(got) != 0 {
			t.Errorf("ListAudit(empty) = %v", got)
		}
	})

	t.Run("append_assigns_chain", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		first := audit.Entry{Time: t0, ActorID: 7, Actor: "admin", UnitID: 3, Action: "unit.create",
			Target: "unit:3", Detail: "code=a", IP: "203.0.113.5", Seq: 99, PrevHash: "forged", Hash: "forged"}
		ok(t, "append", b.AppendAudit(ctx, &first))
		want := audit.Entry{Seq: 1, Time: stored(t0), ActorID: 7, Actor: "admin", UnitID: 3, Action: "unit.create",
			Target: "unit:3", Detail: "code=a", IP: "203.0.113.5", PrevHash: audit.Genesis}
		want.Hash = audit.ComputeHash(audit.Genesis, want)
		if d := diff(want, first); d != "" {
			t.Errorf("first AppendAudit (-want +got):\n%s", d)
		}
		second := audit.Entry{Time: t0.Add(time.Second), Actor: "system", Action: "job.start"}
		ok(t, "append", b.AppendAudit(ctx, &second))
		if second.Seq != 2 || second.PrevHash != first.Hash || second.Hash != audit.ComputeHash(first.Hash, second) {
			t.Errorf("second entry: Seq=%d PrevHash=%q Hash=%q; want 2, the first hash, its own hash",
				second.Seq, second.PrevHash, second.Hash)
		}
		got := scanAll(t, b)
		if d := diff([]audit.Entry{first, second}, got); d != "" {
			t.Errorf("stored entries (-want +got):\n%s", d)
		}
		for _, e := range got {
			checkUTC(t, "stored entry", e.Time)
		}
		seq, hash, err := b.AuditHead(ctx)
		ok(t, "head", err)
		if seq != 2 || hash != second.Hash {
			t.Errorf("AuditHead = %d, %q; want 2, %q", seq, hash, second.Hash)
		}
	})

	t.Run("verify_50", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		entries := appendN(t, b, 50)
		var progress []int64
		checked, err := audit.Verify(ctx, b, func(n int64) { progress = append(progress, n) })
		if checked != 50 || err != nil {
			t.Fatalf("Verify = %d, %v; want 50, nil", checked, err)
		}
		n, err := b.CountAudit(ctx)
		ok(t, "count", err)
		if n != 50 {
			t.Errorf("CountAudit = %d, want 50", n)
		}
		seq, hash, err := b.AuditHead(ctx)
		ok(t, "head", err)
		if seq != 50 || hash != entries[49].Hash {
			t.Errorf("AuditHead = %d, %q; want 50, %q", seq, hash, entries[49].Hash)
		}
		if d := diff(entries, scanAll(t, b)); d != "" {
			t.Errorf("stored entries (-want +got):\n%s", d)
		}
	})

	t.Run("tamper", func(t *testing.T) { testTamper(t, open) })

	t.Run("scan", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		entries := appendN(t, b, 10)
		var seqs []int64
		ok(t, "scan", b.ScanAudit(ctx, 6, func(e audit.Entry) error {
			seqs = append(seqs, e.Seq)
			return nil
		}))
		if d := diff([]int64{7, 8, 9, 10}, seqs); d != "" {
			t.Errorf("ScanAudit(after 6) (-want +got):\n%s", d)
		}
		stop := errors.New("stop here")
		seqs = nil
		err := b.ScanAudit(ctx, 0, func(e audit.Entry) error {
			seqs = append(seqs, e.Seq)
			if e.Seq == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Errorf("ScanAudit returned %v, want the error fn returned", err)
		}
		if d := diff([]int64{1, 2, 3}, seqs); d != "" {
			t.Errorf("ScanAudit did not stop at the first error (-want +got):\n%s", d)
		}
		ok(t, "scan past the end", b.ScanAudit(ctx, int64(len(entries)), func(audit.Entry) error {
			return errors.New("called past the end")
		}))
	})

	t.Run("scan_many", func(t *testing.T) {
		// More entries than a backend is likely to read in one batch.
		b := open(t)
		const n = 2345
		appendN(t, b, n)
		checked, err := audit.Verify(t.Context(), b, nil)
		if checked != n || err != nil {
			t.Errorf("Verify = %d, %v; want %d, nil", checked, err, n)
		}
	})

	t.Run("filter", func(t *testing.T) { testAuditFilter(t, open) })

	t.Run("log_concurrent", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		log := audit.NewLog(b, nil)
		const goroutines, each = 8, 25
		var wg sync.WaitGroup
		failures := make(chan error, goroutines*each)
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					err := log.Record(ctx, audit.Entry{ActorID: int64(g + 1), Actor: fmt.Sprintf("worker%d", g),
						UnitID: int64(g % 3), Action: "test.concurrent", Detail: fmt.Sprintf("%d/%d", g, i)})
					if err != nil {
						failures <- err
					}
				}
			})
		}
		wg.Wait()
		close(failures)
		for err := range failures {
			t.Errorf("concurrent Record: %v", err)
		}
		checked, err := audit.Verify(ctx, b, nil)
		if checked != goroutines*each || err != nil {
			t.Errorf("Verify after concurrent appends = %d, %v; want %d, nil", checked, err, goroutines*each)
		}
		n, err := log.Count(ctx)
		ok(t, "count", err)
		if n != goroutines*each {
			t.Errorf("Count = %d, want %d", n, goroutines*each)
		}
	})

	// Verify on a live system: entries appended while it runs are no break.
	t.Run("verify_while_appending", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		log := audit.NewLog(b, nil)
		for i := range 1500 {
			ok(t, "record", log.Record(ctx, audit.Entry{Actor: "seed", Action: "test.seed", Detail: fmt.Sprint(i)}))
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := log.Record(ctx, audit.Entry{Actor: "live", Action: "test.live", Detail: fmt.Sprint(i)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
		for range 3 {
			if checked, err := audit.Verify(ctx, b, nil); err != nil || checked < 1500 {
				t.Errorf("Verify during appends = %d, %v", checked, err)
			}
		}
		close(stop)
		wg.Wait()
	})
}

// testTamper edits the stored chain behind the store's back and checks that
// audit.Verify reports the first place where it no longer holds.
func testTamper(t *testing.T, open func(t *testing.T) Backend) {
	const n = 50
	cases := []struct {
		name string
		// tamper edits the stored rows; entries are the appended ones.
		tamper     func(ctx context.Context, b Backend, entries []audit.Entry) error
		wantSeq    int64
		wantReason string
	}{
		{
			name: "edit_detail",
			tamper: func(ctx context.Context, b Backend, _ []audit.Entry) error {
				return b.Exec(ctx, `UPDATE audit_log SET detail = $1 WHERE seq = $2`, "nothing happened", 17)
			},
			wantSeq: 17, wantReason: "hash mismatch",
		},
		{
			name: "edit_time",
			tamper: func(ctx context.Context, b Backend, _ []audit.Entry) error {
				return b.Exec(ctx, `UPDATE audit_log SET time_us = time_us + 1 WHERE seq = $1`, 5)
			},
			wantSeq: 5, wantReason: "hash mismatch",
		},
		{
			name: "edit_first_actor",
			tamper: func(ctx context.Context, b Backend, _ []audit.Entry) error {
				return b.Exec(ctx, `UPDATE audit_log SET actor = $1, actor_id = $2 WHERE seq = $3`, "someone-else", 42, 1)
			},
			wantSeq: 1, wantReason: "hash mismatch",
		},
		{
			// A forger who recomputes the edited row's hash breaks the link
			// to the next row instead.
			name: "edit_and_rehash",
			tamper: func(ctx context.Context, b Backend, entries []audit.Entry) error {
				e := entries[19]
				e.Detail = "rewritten"
				return b.Exec(ctx, `UPDATE audit_log SET detail = $1, hash = $2 WHERE seq = $3`,
					e.Detail, audit.ComputeHash(e.PrevHash, e), e.Seq)
			},
			wantSeq: 21, wantReason: "prev hash mismatch",
		},
		{
			name: "delete_middle",
			tamper: func(ctx context.Context, b Backend, _ []audit.Entry) error {
				return b.Exec(ctx, `DELETE FROM audit_log WHERE seq = $1`, 25)
			},
			wantSeq: 25, wantReason: "missing entry",
		},
		{
			name: "delete_last",
			tamper: func(ctx context.Context, b Backend, _ []audit.Entry) error {
				return b.Exec(ctx, `DELETE FROM audit_log WHERE seq = $1`, n)
			},
			wantSeq: n, wantReason: "missing entry",
		},
		{
			name: "delete_newest_five",
			tamper: func(ctx context.Context, b Backend, _ []audit.Entry) error {
				return b.Exec(ctx, `DELETE FROM audit_log WHERE seq > $1`, n-5)
			},
			wantSeq: n - 4, wantReason: "missing entry",
		},
		{
			name: "delete_all",
			tamper: func(ctx context.Context, b Backend, _ []audit.Entry) error {
				return b.Exec(ctx, `DELETE FROM audit_log`)
			},
			wantSeq: 1, wantReason: "missing entry",
		},
		{
			// A well-formed entry inserted after the head, bypassing AppendAudit.
			name: "insert_beyond_head",
			tamper: func(ctx context.Context, b Backend, entries []audit.Entry) error {
				last := entries[len(entries)-1]
				e := audit.Entry{Seq: last.Seq + 1, Time: last.Time.Add(time.Second), Actor: "intruder",
					Action: "user.create", PrevHash: last.Hash}
				e.Hash = audit.ComputeHash(e.PrevHash, e)
				return b.Exec(ctx, `INSERT INTO audit_log
					(seq, time_us, actor_id, actor, unit_id, action, target, detail, ip, prev_hash, hash)
					VALUES ($1, $2, 0, $3, 0, $4, '', '', '', $5, $6)`,
					e.Seq, e.Time.UnixMicro(), e.Actor, e.Action, e.PrevHash, e.Hash)
			},
			wantSeq: n + 1, wantReason: "entry beyond recorded head",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := open(t)
			ctx := t.Context()
			entries := appendN(t, b, n)
			if _, err := audit.Verify(ctx, b, nil); err != nil {
				t.Fatalf("Verify before tampering: %v", err)
			}
			ok(t, "tamper", c.tamper(ctx, b, entries))
			_, err := audit.Verify(ctx, b, nil)
			var brk *audit.Break
			if !errors.As(err, &brk) {
				t.Fatalf("Verify after tampering = %v, want a *audit.Break", err)
			}
			if brk.Seq != c.wantSeq || brk.Reason != c.wantReason {
				t.Errorf("Verify found %q at seq %d, want %q at seq %d", brk.Reason, brk.Seq, c.wantReason, c.wantSeq)
			}
		})
	}
}

func testAuditFilter(t *testing.T, open func(t *testing.T) Backend) {
	b := open(t)
	ctx := t.Context()
	// seq: unit, actor, action
	for i, e := range []struct {
		unit, actor int64
		action      string
	}{
		{0, 1, "system.start"},      // 1
		{1, 1, "user.login"},        // 2
		{2, 2, "user.login"},        // 3
		{1, 2, "unit.create"},       // 4
		{3, 1, "user.logout"},       // 5
		{0, 2, "job.cancel"},        // 6
		{2, 1, "user.login"},        // 7
		{1, 1, "userx.other"},       // 8
		{3, 2, "user.create"},       // 9
		{0, 1, "user.login_failed"}, // 10
	} {
		entry := audit.Entry{Time: t0.Add(time.Duration(i) * time.Minute), ActorID: e.actor,
			Actor: fmt.Sprintf("u%d", e.actor), UnitID: e.unit, Action: e.action}
		ok(t, "append", b.AppendAudit(ctx, &entry))
	}
	for _, c := range []struct {
		name string
		f    audit.Filter
		want []int64
	}{
		{"everything", audit.Filter{IncludeGlobal: true}, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"all_units_no_global", audit.Filter{}, []int64{9, 8, 7, 5, 4, 3, 2}},
		{"one_unit", audit.Filter{Units: []int64{1}}, []int64{8, 4, 2}},
		{"units_and_global", audit.Filter{Units: []int64{1, 2}, IncludeGlobal: true}, []int64{10, 8, 7, 6, 4, 3, 2, 1}},
		{"no_units_global_only", audit.Filter{Units: []int64{}, IncludeGlobal: true}, []int64{10, 6, 1}},
		{"no_units_nothing", audit.Filter{Units: []int64{}}, nil},
		{"unknown_unit", audit.Filter{Units: []int64{99}}, nil},
		{"action_prefix", audit.Filter{Action: "user.", IncludeGlobal: true}, []int64{10, 9, 7, 5, 3, 2}},
		{"action_prefix_is_not_exact", audit.Filter{Action: "user.login", IncludeGlobal: true}, []int64{10, 7, 3, 2}},
		{"action_no_wildcards", audit.Filter{Action: "user%", IncludeGlobal: true}, nil},
		{"action_no_underscore_wildcard", audit.Filter{Action: "user_", IncludeGlobal: true}, nil},
		{"action_case_sensitive", audit.Filter{Action: "USER.", IncludeGlobal: true}, nil},
		{"actor", audit.Filter{ActorID: 2, IncludeGlobal: true}, []int64{9, 6, 4, 3}},
		{"before_seq", audit.Filter{BeforeSeq: 7, IncludeGlobal: true}, []int64{6, 5, 4, 3, 2, 1}},
		{"limit", audit.Filter{Limit: 3, IncludeGlobal: true}, []int64{10, 9, 8}},
		{"page_two", audit.Filter{Units: []int64{1, 2}, BeforeSeq: 9, Limit: 2}, []int64{8, 7}},
		{"combined", audit.Filter{Units: []int64{1, 2, 3}, Action: "user.", ActorID: 1}, []int64{7, 5, 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := b.ListAudit(ctx, c.f)
			ok(t, "list", err)
			var seqs []int64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if d := diff(c.want, seqs); d != "" {
				t.Errorf("ListAudit(%+v) seqs (-want +got):\n%s", c.f, d)
			}
		})
	}
	t.Run("entries_complete", func(t *testing.T) {
		got, err := b.ListAudit(ctx, audit.Filter{IncludeGlobal: true, Limit: 1})
		ok(t, "list", err)
		all := scanAll(t, b)
		if d := diff(all[len(all)-1:], got); d != "" {
			t.Errorf("ListAudit returns whole entries (-want +got):\n%s", d)
		}
	})
}
