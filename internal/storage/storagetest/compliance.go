package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
)

func testCompliance(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("items", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		other := mustSystem(t, b, u.ID, 0, "S2", system.Operating)

		a := compliance.Item{SystemID: s.ID, RequirementID: "mgmt.policy.document", Status: compliance.ItemOpen,
			StatusSource: compliance.SourceManual, CreatedAt: t0, UpdatedAt: t0}
		c := compliance.Item{SystemID: s.ID, RequirementID: "tech.srv.authn", Status: compliance.ItemMet,
			StatusSource: compliance.SourceProbe, ProbeID: "admin_mfa", Owner: "Nguyễn Văn A",
			Due: t0.Add(48 * time.Hour), Notes: "ghi chú", CreatedAt: t0, UpdatedAt: t0}
		ok(t, "save", b.SaveItems(ctx, []compliance.ItemChange{
			{Item: &a, Event: compliance.ItemEvent{At: t0, Actor: "system", Action: compliance.EventAdded}},
			{Item: &c, Event: compliance.ItemEvent{At: t0, ActorID: 7, Actor: "probe", Action: compliance.EventAdded, Detail: "level 3"}},
		}))
		if a.ID == 0 || c.ID <= a.ID {
			t.Fatalf("ids not set in order: %d, %d", a.ID, c.ID)
		}
		checkUTC(t, "saved item", c.Due, c.CreatedAt, c.UpdatedAt)
		got, err := b.ListItems(ctx, s.ID)
		ok(t, "list", err)
		if d := diff([]compliance.Item{a, c}, got); d != "" {
			t.Errorf("list (-want +got):\n%s", d)
		}
		if got[1].Due != stored(t0.Add(48*time.Hour)) {
			t.Errorf("due = %v", got[1].Due)
		}
		if l, _ := b.ListItems(ctx, other.ID); len(l) != 0 {
			t.Errorf("other system has items: %v", l)
		}

		// Update keeps CreatedAt and appends an event.
		a.Status, a.Justification, a.Retired, a.UpdatedAt, a.UpdatedBy = compliance.ItemNotApplicable, "không có", true, t0.Add(time.Hour), "alice"
		a.CreatedAt = time.Time{}
		ok(t, "update", b.SaveItems(ctx, []compliance.ItemChange{{Item: &a,
			Event: compliance.ItemEvent{At: t0.Add(time.Hour), Actor: "alice", Action: compliance.EventUpdated, Detail: "status: open → not_applicable"}}}))
		if !a.CreatedAt.Equal(stored(t0)) {
			t.Errorf("CreatedAt after update = %v, want %v", a.CreatedAt, stored(t0))
		}
		g, err := b.GetItem(ctx, a.ID)
		ok(t, "get", err)
		if d := diff(a, g); d != "" {
			t.Errorf("get after update (-want +got):\n%s", d)
		}
		evs, err := b.ListItemEvents(ctx, a.ID)
		ok(t, "events", err)
		if len(evs) != 2 || evs[0].Action != compliance.EventAdded || evs[1].Action != compliance.EventUpdated ||
			evs[1].Detail != "status: open → not_applicable" || evs[1].SystemID != s.ID || !evs[1].At.Equal(stored(t0.Add(time.Hour))) {
			t.Errorf("events = %+v", evs)
		}

		// A second item for the same requirement is a conflict, and the whole batch is rolled back.
		dup := compliance.Item{SystemID: s.ID, RequirementID: "mgmt.policy.document", Status: compliance.ItemOpen, StatusSource: compliance.SourceManual}
		fresh := compliance.Item{SystemID: s.ID, RequirementID: "mgmt.policy.review", Status: compliance.ItemOpen, StatusSource: compliance.SourceManual}
		err = b.SaveItems(ctx, []compliance.ItemChange{{Item: &fresh, Event: compliance.ItemEvent{Action: compliance.EventAdded}},
			{Item: &dup, Event: compliance.ItemEvent{Action: compliance.EventAdded}}})
		wantKind(t, "duplicate requirement", err, errs.ErrConflict)
		if l, _ := b.ListItems(ctx, s.ID); len(l) != 2 {
			t.Errorf("after failed batch: %d items, want 2", len(l))
		}
		// Unknown ids and an item moved to another system are not found.
		missing := compliance.Item{ID: 999, SystemID: s.ID, Status: compliance.ItemOpen}
		wantKind(t, "update unknown", b.SaveItems(ctx, []compliance.ItemChange{{Item: &missing}}), errs.ErrNotFound)
		moved := a
		moved.SystemID = other.ID
		wantKind(t, "update other system", b.SaveItems(ctx, []compliance.ItemChange{{Item: &moved}}), errs.ErrNotFound)
		_, err = b.GetItem(ctx, 999)
		wantKind(t, "get unknown", err, errs.ErrNotFound)
		bad := compliance.Item{SystemID: 999, RequirementID: "x", Status: compliance.ItemOpen}
		wantKind(t, "unknown system", b.SaveItems(ctx, []compliance.ItemChange{{Item: &bad}}), errs.ErrInvalid)
	})

	t.Run("evidence", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		other := mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		it := compliance.Item{SystemID: s.ID, RequirementID: "mgmt.policy.document", Status: compliance.ItemOpen, StatusSource: compliance.SourceManual}
		ok(t, "save item", b.SaveItems(ctx, []compliance.ItemChange{{Item: &it, Event: compliance.ItemEvent{Action: compliance.EventAdded}}}))

		f := compliance.Evidence{SystemID: s.ID, ItemID: it.ID, Kind: compliance.EvidenceFile, Name: "Quy chế ATTT.pdf",
			SHA256: "ab12", Size: 1234, ContentType: "application/pdf", CreatedAt: t0, CreatedByID: 3, CreatedBy: "alice"}
		l := compliance.Evidence{SystemID: s.ID, ItemID: it.ID, Kind: compliance.EvidenceLink, Name: "Wiki",
			URL: "https://wiki.example.vn/attt?a=1&b=2", Description: "mô tả", CreatedAt: t0}
		ok(t, "create file", b.CreateEvidence(ctx, &f))
		ok(t, "create link", b.CreateEvidence(ctx, &l))
		got, err := b.ListEvidence(ctx, s.ID)
		ok(t, "list", err)
		if d := diff([]compliance.Evidence{f, l}, got); d != "" {
			t.Errorf("list (-want +got):\n%s", d)
		}
		g, err := b.GetEvidence(ctx, f.ID)
		ok(t, "get", err)
		if d := diff(f, g); d != "" {
			t.Errorf("get (-want +got):\n%s", d)
		}
		n, err := b.EvidenceRefs(ctx, "ab12")
		ok(t, "refs", err)
		if n != 1 {
			t.Errorf("refs = %d, want 1", n)
		}
		// Evidence must point at an item of its own system.
		wrong := compliance.Evidence{SystemID: other.ID, ItemID: it.ID, Kind: compliance.EvidenceLink, Name: "x"}
		wantKind(t, "item of another system", b.CreateEvidence(ctx, &wrong), errs.ErrInvalid)
		ok(t, "delete", b.DeleteEvidence(ctx, f.ID))
		wantKind(t, "delete again", b.DeleteEvidence(ctx, f.ID), errs.ErrNotFound)
		_, err = b.GetEvidence(ctx, f.ID)
		wantKind(t, "get deleted", err, errs.ErrNotFound)
		if n, _ := b.EvidenceRefs(ctx, "ab12"); n != 0 {
			t.Errorf("refs after delete = %d", n)
		}
	})

	t.Run("probe_records", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		r1 := compliance.ProbeRecord{SystemID: s.ID, ProbeID: "responsibility", Requirements: []string{"mgmt.org.is_unit"},
			Status: compliance.StatusMet, At: t0, Freshness: 24 * time.Hour, Proof: "ok", ProofVI: "đạt",
			Facts: map[string]string{"focal_points": "2"}}
		r2 := compliance.ProbeRecord{SystemID: s.ID, ProbeID: "admin_mfa", Requirements: []string{"tech.srv.authn", "tech.app.authn"},
			Status: compliance.StatusNotMet, At: t0, Freshness: time.Hour, Proof: "no"}
		ok(t, "save 1", b.SaveProbeRecord(ctx, r1))
		ok(t, "save 2", b.SaveProbeRecord(ctx, r2))
		r2.Status, r2.At, r2.Error = compliance.StatusUnknown, t0.Add(time.Minute), "boom"
		ok(t, "replace 2", b.SaveProbeRecord(ctx, r2))
		got, err := b.ListProbeRecords(ctx, s.ID)
		ok(t, "list", err)
		r1.At, r2.At = stored(r1.At), stored(r2.At)
		if d := diff([]compliance.ProbeRecord{r2, r1}, got); d != "" {
			t.Errorf("list (-want +got):\n%s", d)
		}
		wantKind(t, "unknown system", b.SaveProbeRecord(ctx, compliance.ProbeRecord{SystemID: 999, ProbeID: "x",
			Status: compliance.StatusMet, At: t0}), errs.ErrInvalid)
	})

	t.Run("completions", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		c1 := compliance.Completion{SystemID: s.ID, ObligationID: "vuln_scan", DoneAt: t0, Note: "quét", RecordedBy: "alice", CreatedAt: t0}
		c2 := compliance.Completion{SystemID: s.ID, ObligationID: "threat_hunt", DoneAt: t0.Add(24 * time.Hour), CreatedAt: t0}
		c3 := compliance.Completion{SystemID: s.ID, ObligationID: "vuln_scan", DoneAt: t0.Add(-24 * time.Hour), CreatedAt: t0}
		for _, c := range []*compliance.Completion{&c1, &c2, &c3} {
			ok(t, "create", b.CreateCompletion(ctx, c))
		}
		got, err := b.ListCompletions(ctx, s.ID)
		ok(t, "list", err)
		if d := diff([]compliance.Completion{c2, c1, c3}, got); d != "" {
			t.Errorf("list newest first (-want +got):\n%s", d)
		}
		wantKind(t, "no time", b.CreateCompletion(ctx, &compliance.Completion{SystemID: s.ID, ObligationID: "x"}), errs.ErrInvalid)
		wantKind(t, "unknown system", b.CreateCompletion(ctx, &compliance.Completion{SystemID: 999, ObligationID: "x", DoneAt: t0}), errs.ErrInvalid)
	})

	t.Run("engagements", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		v := mustUnit(t, b, "v", 0)
		s1 := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		s2 := mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		s3 := mustSystem(t, b, v.ID, 0, "S3", system.Operating)
		e := compliance.Engagement{UnitID: u.ID, Title: "Kiểm tra định kỳ 2026", Assessor: "Công ty ABC", Method: "grey_box",
			Start: t0, End: t0.Add(30 * 24 * time.Hour), SystemIDs: []int64{s2.ID, s1.ID, s2.ID}, Status: compliance.EngagementPlanned,
			Scope: "phạm vi", CreatedAt: t0, CreatedBy: "lead"}
		ok(t, "create", b.CreateEngagement(ctx, &e))
		if d := diff([]int64{s1.ID, s2.ID}, e.SystemIDs); d != "" {
			t.Errorf("systems sorted without duplicates (-want +got):\n%s", d)
		}
		e2 := compliance.Engagement{UnitID: v.ID, Title: "Khác", Start: t0, End: t0, SystemIDs: []int64{s3.ID},
			Status: compliance.EngagementPlanned, CreatedAt: t0}
		ok(t, "create 2", b.CreateEngagement(ctx, &e2))
		g, err := b.GetEngagement(ctx, e.ID)
		ok(t, "get", err)
		if d := diff(e, g); d != "" {
			t.Errorf("get (-want +got):\n%s", d)
		}
		all, err := b.ListEngagements(ctx, nil, 0)
		ok(t, "list all", err)
		if len(all) != 2 || all[0].ID != e2.ID {
			t.Errorf("list all newest first: %+v", all)
		}
		inU, _ := b.ListEngagements(ctx, []int64{u.ID}, 0)
		if len(inU) != 1 || inU[0].ID != e.ID {
			t.Errorf("list unit u: %+v", inU)
		}
		if none, _ := b.ListEngagements(ctx, []int64{}, 0); len(none) != 0 {
			t.Errorf("empty units matched %d", len(none))
		}
		bySys, _ := b.ListEngagements(ctx, nil, s3.ID)
		if len(bySys) != 1 || bySys[0].ID != e2.ID {
			t.Errorf("list by system: %+v", bySys)
		}

		e.Status, e.Summary, e.SystemIDs, e.UpdatedAt = compliance.EngagementClosed, "kết luận", []int64{s1.ID}, t0.Add(time.Hour)
		ok(t, "update", b.UpdateEngagement(ctx, &e))
		if !e.CreatedAt.Equal(stored(t0)) || e.CreatedBy != "lead" || len(e.SystemIDs) != 1 || e.Summary != "kết luận" {
			t.Errorf("after update: %+v", e)
		}
		missing := compliance.Engagement{ID: 999, Start: t0, End: t0}
		wantKind(t, "update unknown", b.UpdateEngagement(ctx, &missing), errs.ErrNotFound)

		f := compliance.Finding{EngagementID: e.ID, SystemID: s1.ID, RequirementID: "tech.srv.authn", Severity: "high",
			Title: "Thiếu MFA", Description: "mô tả", Recommendation: "bật MFA", Status: "open", CreatedAt: t0, CreatedBy: "auditor"}
		ok(t, "create finding", b.CreateFinding(ctx, &f))
		// The system must be in the engagement's scope.
		outside := compliance.Finding{EngagementID: e.ID, SystemID: s2.ID, Severity: "low", Title: "x", Status: "open"}
		wantKind(t, "finding outside scope", b.CreateFinding(ctx, &outside), errs.ErrInvalid)
		f.Status, f.UpdatedAt = "resolved", t0.Add(time.Hour)
		ok(t, "update finding", b.UpdateFinding(ctx, &f))
		got, err := b.ListFindings(ctx, e.ID)
		ok(t, "list findings", err)
		if d := diff([]compliance.Finding{f}, got); d != "" {
			t.Errorf("findings (-want +got):\n%s", d)
		}
		wantKind(t, "update unknown finding", b.UpdateFinding(ctx, &compliance.Finding{ID: 999}), errs.ErrNotFound)
		_, err = b.GetFinding(ctx, 999)
		wantKind(t, "get unknown finding", err, errs.ErrNotFound)
	})

	t.Run("frameworks", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		body := []byte(`{"id":"nist-800-53","controls":[{"id":"ac-1","title":"Chính sách"}]}`)
		f := compliance.Framework{Key: "nist-800-53", Title: "NIST SP 800-53", Version: "5.1", Source: "nist.json",
			Controls: 1, Body: body, ImportedAt: t0, ImportedBy: "alice"}
		ok(t, "create", b.CreateFramework(ctx, &f))
		a := compliance.Framework{Key: "a-first", Title: "A", Body: []byte(`{}`), ImportedAt: t0}
		ok(t, "create 2", b.CreateFramework(ctx, &a))
		dup := compliance.Framework{Key: "nist-800-53", Title: "again", Body: []byte(`{}`)}
		wantKind(t, "duplicate key", b.CreateFramework(ctx, &dup), errs.ErrConflict)
		g, err := b.GetFramework(ctx, f.ID)
		ok(t, "get", err)
		var want, got any
		_ = json.Unmarshal(body, &want)
		if err := json.Unmarshal(g.Body, &got); err != nil || diff(want, got) != "" {
			t.Errorf("body came back as %s", g.Body)
		}
		g.Body, f.Body = nil, nil
		f.ImportedAt = stored(f.ImportedAt)
		if d := diff(f, g); d != "" {
			t.Errorf("get (-want +got):\n%s", d)
		}
		list, err := b.ListFrameworks(ctx)
		ok(t, "list", err)
		if len(list) != 2 || list[0].Key != "a-first" || list[1].Key != "nist-800-53" || len(list[1].Body) != 0 {
			t.Errorf("list = %+v", list)
		}
		_, err = b.GetFramework(ctx, 999)
		wantKind(t, "get unknown", err, errs.ErrNotFound)
	})

	t.Run("summaries", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		s1 := mustSystem(t, b, u.ID, 0, "S1", system.Operating)
		s2 := mustSystem(t, b, u.ID, 0, "S2", system.Operating)
		mk := func(sys int64, req, group string, st compliance.ItemStatus, probe string, retired bool) compliance.ItemChange {
			it := &compliance.Item{SystemID: sys, RequirementID: req, GroupID: group, Status: st, StatusSource: compliance.SourceManual,
				Retired: retired, CreatedAt: t0, UpdatedAt: t0}
			if probe != "" {
				it.StatusSource, it.ProbeID = compliance.SourceProbe, probe
			}
			return compliance.ItemChange{Item: it, Event: compliance.ItemEvent{Action: compliance.EventAdded}}
		}
		changes := []compliance.ItemChange{
			mk(s1.ID, "m1", "management", compliance.ItemMet, "", false),
			mk(s1.ID, "m2", "management", compliance.ItemMet, "fresh", false),
			mk(s1.ID, "m3", "management", compliance.ItemMet, "old", false),
			mk(s1.ID, "m4", "management", compliance.ItemNotMet, "missing", false),
			mk(s1.ID, "t1", "technical", compliance.ItemOpen, "", false),
			mk(s1.ID, "t2", "technical", compliance.ItemMet, "", true), // retired: not counted
			mk(s2.ID, "m1", "management", compliance.ItemPartial, "", false),
		}
		ok(t, "save", b.SaveItems(ctx, changes))
		now := t0.Add(48 * time.Hour)
		ok(t, "fresh", b.SaveProbeRecord(ctx, compliance.ProbeRecord{SystemID: s1.ID, ProbeID: "fresh", Status: compliance.StatusMet,
			At: now.Add(-time.Hour), Freshness: 2 * time.Hour}))
		ok(t, "old", b.SaveProbeRecord(ctx, compliance.ProbeRecord{SystemID: s1.ID, ProbeID: "old", Status: compliance.StatusMet,
			At: now.Add(-3 * time.Hour), Freshness: 2 * time.Hour}))
		got, err := b.SummarizeItems(ctx, nil, now)
		ok(t, "summarize", err)
		want := []compliance.ItemCount{
			{SystemID: s1.ID, GroupID: "management", Status: compliance.ItemMet, Count: 3, Stale: 1},
			{SystemID: s1.ID, GroupID: "management", Status: compliance.ItemNotMet, Count: 1, Stale: 1},
			{SystemID: s1.ID, GroupID: "technical", Status: compliance.ItemOpen, Count: 1},
			{SystemID: s2.ID, GroupID: "management", Status: compliance.ItemPartial, Count: 1},
		}
		if d := diff(want, got); d != "" {
			t.Errorf("summaries (-want +got):\n%s", d)
		}
		only, err := b.SummarizeItems(ctx, []int64{s2.ID}, now)
		ok(t, "summarize one", err)
		if len(only) != 1 || only[0].SystemID != s2.ID {
			t.Errorf("summaries of S2: %+v", only)
		}
		if none, _ := b.SummarizeItems(ctx, []int64{}, now); len(none) != 0 {
			t.Errorf("empty ids matched %d", len(none))
		}
		// A change without an action is not part of the history.
		it := *changes[0].Item
		it.GroupID = "general"
		ok(t, "regroup", b.SaveItems(ctx, []compliance.ItemChange{{Item: &it}}))
		evs, _ := b.ListItemEvents(ctx, it.ID)
		if len(evs) != 1 || it.GroupID != "general" {
			t.Errorf("regroup wrote events %+v / group %q", evs, it.GroupID)
		}

		for _, c := range []compliance.Completion{
			{SystemID: s1.ID, ObligationID: "vuln_scan", DoneAt: t0},
			{SystemID: s1.ID, ObligationID: "vuln_scan", DoneAt: t0.Add(24 * time.Hour)},
			{SystemID: s1.ID, ObligationID: "threat_hunt", DoneAt: t0},
			{SystemID: s2.ID, ObligationID: "vuln_scan", DoneAt: t0.Add(-24 * time.Hour)},
		} {
			ok(t, "completion", b.CreateCompletion(ctx, &c))
		}
		latest, err := b.LatestCompletions(ctx, []int64{s1.ID})
		ok(t, "latest", err)
		if len(latest) != 2 || latest[0].ObligationID != "threat_hunt" || !latest[1].DoneAt.Equal(stored(t0.Add(24*time.Hour))) {
			t.Errorf("latest completions of S1: %+v", latest)
		}
		if all, _ := b.LatestCompletions(ctx, nil); len(all) != 3 {
			t.Errorf("latest completions of all: %+v", all)
		}

		bases, err := b.SyncBases(ctx)
		ok(t, "bases", err)
		if len(bases) != 0 {
			t.Errorf("bases before any: %v", bases)
		}
		ok(t, "set basis", b.SetSyncBasis(ctx, s1.ID, "decree85-2016@1:3:false"))
		ok(t, "replace basis", b.SetSyncBasis(ctx, s1.ID, "decree85-2016@1:2:false"))
		bases, _ = b.SyncBases(ctx)
		if len(bases) != 1 || bases[s1.ID] != "decree85-2016@1:2:false" {
			t.Errorf("bases = %v", bases)
		}
		wantKind(t, "basis of unknown system", b.SetSyncBasis(ctx, 999, "x"), errs.ErrInvalid)
	})
}
