package storagetest

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
)

// newEvidence returns an evidence item of case caseID named name, as the
// incident service builds it.
func newEvidence(caseID int64, name string) incident.Evidence {
	return incident.Evidence{CaseID: caseID, Name: name, SHA256: strings.Repeat("0f", 32), Size: 1234,
		ContentType: "application/octet-stream", AddedBy: 1, CreatedAt: t0}
}

// hashRE is the format of a custody entry's Hash.
var hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// mustEvidence adds e with its first custody entry and returns both as
// written back.
func mustEvidence(t *testing.T, b Backend, e incident.Evidence, first incident.Custody) (incident.Evidence, incident.Custody) {
	t.Helper()
	ok(t, "add evidence "+e.Name, b.AddIncidentEvidence(t.Context(), &e, &first))
	if e.ID <= 0 || first.ID <= 0 {
		t.Fatalf("AddIncidentEvidence set IDs %d (item), %d (custody)", e.ID, first.ID)
	}
	if first.EvidenceID != e.ID || first.CaseID != e.CaseID || first.PrevHash != "" || !hashRE.MatchString(first.Hash) {
		t.Errorf("AddIncidentEvidence wrote back the first custody entry %+v of item %d of case %d; "+
			"want it the head of the item's chain", first, e.ID, e.CaseID)
	}
	if i := incident.VerifyCustody([]incident.Custody{first}); i != -1 {
		t.Errorf("the written-back first custody entry does not verify: %+v", first)
	}
	checkUTC(t, "written-back evidence", e.CollectedAt, e.CreatedAt, first.At)
	return e, first
}

// mustAppend appends c to its item's chain and returns it as written
// back.
func mustAppend(t *testing.T, b Backend, c incident.Custody) incident.Custody {
	t.Helper()
	ok(t, "append custody", b.AppendCustody(t.Context(), &c))
	if c.ID <= 0 || !hashRE.MatchString(c.Hash) {
		t.Fatalf("AppendCustody wrote back %+v", c)
	}
	checkUTC(t, "written-back custody", c.At)
	return c
}

func mustListEvidence(t *testing.T, b Backend, caseID int64) []incident.Evidence {
	t.Helper()
	list, err := b.ListIncidentEvidence(t.Context(), caseID)
	ok(t, "list evidence", err)
	for _, e := range list {
		checkUTC(t, "ListIncidentEvidence", e.CollectedAt, e.CreatedAt)
	}
	return list
}

func mustCustody(t *testing.T, b Backend, evidenceID int64) []incident.Custody {
	t.Helper()
	list, err := b.ListCustody(t.Context(), evidenceID)
	ok(t, "list custody", err)
	for _, c := range list {
		checkUTC(t, "ListCustody", c.At)
	}
	return list
}

// appendChain appends n entries to item evidenceID and returns its whole
// chain as listed, which must verify.
func appendChain(t *testing.T, b Backend, evidenceID int64, n int) []incident.Custody {
	t.Helper()
	for i := range n {
		mustAppend(t, b, incident.Custody{EvidenceID: evidenceID, At: t0.Add(time.Duration(i) * time.Minute),
			Action: incident.Viewed, ActorID: int64(i), Actor: "user", IP: "192.0.2.1", Detail: "lần " + string(rune('a'+i))})
	}
	chain := mustCustody(t, b, evidenceID)
	if i := incident.VerifyCustody(chain); i != -1 {
		t.Fatalf("chain of item %d breaks at %d: %+v", evidenceID, i, chain)
	}
	return chain
}

func testIncidentEvidence(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("add_get_list", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		if got := mustListEvidence(t, b, c.ID); len(got) != 0 {
			t.Errorf("ListIncidentEvidence of a case without evidence = %+v", got)
		}

		// Every field set, times in another zone with nanoseconds; the
		// item's ID and the entry's ID, EvidenceID, CaseID, PrevHash and
		// Hash are the store's.
		in := incident.Evidence{ID: 999, CaseID: c.ID, Name: "ổ đĩa máy kế toán.E01",
			Description: "Ảnh đĩa\nDòng 2 <b>không phải html</b> & \"trích\"\ttab", SHA256: strings.Repeat("ab", 32),
			Size: 5 << 30, ContentType: "application/octet-stream", Source: "KT-PC01:/dev/sda",
			CollectedBy: "FTK Imager 4.7", CollectedAt: t0.Add(-2 * time.Hour), AddedBy: 42, CreatedAt: t0}
		firstIn := incident.Custody{ID: 7, EvidenceID: 999, CaseID: other.ID, At: t0.Add(time.Minute),
			Action: incident.Collected, ActorID: 42, Actor: "nguyễn.văn.a", IP: "2001:db8::1",
			Detail: "sha256=" + in.SHA256 + " size=5368709120", PrevHash: "bogus", Hash: "bogus"}
		e, first := mustEvidence(t, b, in, firstIn)
		want := in
		want.ID, want.CollectedAt, want.CreatedAt = e.ID, stored(in.CollectedAt), stored(in.CreatedAt)
		if d := diff(want, e); d != "" {
			t.Errorf("AddIncidentEvidence did not write back the stored item (-want +got):\n%s", d)
		}
		wantFirst := firstIn
		wantFirst.EvidenceID, wantFirst.CaseID, wantFirst.At = e.ID, c.ID, stored(firstIn.At)
		wantFirst.Seal("")
		wantFirst.ID = first.ID
		if d := diff(wantFirst, first); d != "" {
			t.Errorf("AddIncidentEvidence did not write back the sealed first entry (-want +got):\n%s", d)
		}
		got, err := b.GetIncidentEvidence(ctx, e.ID)
		ok(t, "get evidence", err)
		checkUTC(t, "GetIncidentEvidence", got.CollectedAt, got.CreatedAt)
		if d := diff(want, got); d != "" {
			t.Errorf("GetIncidentEvidence (-want +got):\n%s", d)
		}
		if d := diff([]incident.Custody{wantFirst}, mustCustody(t, b, e.ID)); d != "" {
			t.Errorf("ListCustody after AddIncidentEvidence (-want +got):\n%s", d)
		}

		// Nothing but the required fields: a zero CreatedAt becomes now,
		// and the CollectedAt and the first entry's At the CreatedAt.
		before := time.Now().Add(-time.Second)
		bare, bareFirst := mustEvidence(t, b, incident.Evidence{CaseID: c.ID, Name: "b", SHA256: strings.Repeat("cd", 32)},
			incident.Custody{Action: incident.Collected})
		if bare.ID <= e.ID || bareFirst.ID <= first.ID {
			t.Errorf("second item got ids %d, %d after %d, %d", bare.ID, bareFirst.ID, e.ID, first.ID)
		}
		if bare.CreatedAt.Before(before) || bare.CreatedAt.After(time.Now()) || !bare.CollectedAt.Equal(bare.CreatedAt) ||
			!bareFirst.At.Equal(bare.CreatedAt) || bare.CreatedAt != stored(bare.CreatedAt) {
			t.Errorf("bare item written back as %+v, %+v; want CreatedAt now, CollectedAt and At the same", bare, bareFirst)
		}
		got, err = b.GetIncidentEvidence(ctx, bare.ID)
		ok(t, "get bare evidence", err)
		if d := diff(bare, got); d != "" {
			t.Errorf("GetIncidentEvidence(bare) (-want +got):\n%s", d)
		}
		if d := diff([]incident.Custody{bareFirst}, mustCustody(t, b, bare.ID)); d != "" {
			t.Errorf("ListCustody(bare) (-want +got):\n%s", d)
		}

		// Listed by id, only the case's own.
		o, _ := mustEvidence(t, b, newEvidence(other.ID, "o"), incident.Custody{Action: incident.Collected})
		if d := diff([]incident.Evidence{want, bare}, mustListEvidence(t, b, c.ID)); d != "" {
			t.Errorf("ListIncidentEvidence (-want +got):\n%s", d)
		}
		if d := diff([]incident.Evidence{o}, mustListEvidence(t, b, other.ID)); d != "" {
			t.Errorf("ListIncidentEvidence of another case (-want +got):\n%s", d)
		}
		if got, err := b.ListIncidentEvidence(ctx, 999); err != nil || len(got) != 0 {
			t.Errorf("ListIncidentEvidence(unknown case) = %+v, %v; want none", got, err)
		}
		if got, err := b.ListCustody(ctx, 999); err != nil || len(got) != 0 {
			t.Errorf("ListCustody(unknown item) = %+v, %v; want none", got, err)
		}
		_, err = b.GetIncidentEvidence(ctx, 999)
		wantKind(t, "GetIncidentEvidence(unknown)", err, errs.ErrNotFound)
		wantRows(t, b, 3, `incident_evidence`)
		wantRows(t, b, 3, `incident_custody`)
	})

	t.Run("add_refused", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		c := mustCase(t, b, newCase(u.ID, "c", t0))
		// refused checks that AddIncidentEvidence fails with kind and leaves its
		// arguments as they were.
		refused := func(name string, kind error, e incident.Evidence, first incident.Custody) {
			t.Helper()
			wasE, wasFirst := e, first
			wantKind(t, "AddIncidentEvidence("+name+")", b.AddIncidentEvidence(t.Context(), &e, &first), kind)
			if d := diff(wasE, e); d != "" {
				t.Errorf("a refused AddIncidentEvidence(%s) wrote back the item (-want +got):\n%s", name, d)
			}
			if d := diff(wasFirst, first); d != "" {
				t.Errorf("a refused AddIncidentEvidence(%s) wrote back the entry (-want +got):\n%s", name, d)
			}
		}
		collected := incident.Custody{Action: incident.Collected, Actor: "a"}
		refused("unknown_case", errs.ErrNotFound, newEvidence(999, "e"), collected)
		refused("no_case", errs.ErrNotFound, newEvidence(0, "e"), collected)
		for name, edit := range map[string]func(e *incident.Evidence, first *incident.Custody){
			"name_nul":          func(e *incident.Evidence, _ *incident.Custody) { e.Name = "a\x00b" },
			"source_not_utf8":   func(e *incident.Evidence, _ *incident.Custody) { e.Source = "\xff" },
			"detail_nul":        func(_ *incident.Evidence, first *incident.Custody) { first.Detail = "\x00" },
			"actor_not_utf8":    func(_ *incident.Evidence, first *incident.Custody) { first.Actor = "a\xc3" },
			"description_nul":   func(e *incident.Evidence, _ *incident.Custody) { e.Description = "x\x00" },
			"collected_by_utf8": func(e *incident.Evidence, _ *incident.Custody) { e.CollectedBy = "\xe0\x80" },
		} {
			e, first := newEvidence(c.ID, "e"), collected
			edit(&e, &first)
			refused(name, errs.ErrInvalid, e, first)
		}
		wantRows(t, b, 0, `incident_evidence`)
		wantRows(t, b, 0, `incident_custody`)

		// Text that cannot be stored is not appended either.
		e, first := mustEvidence(t, b, newEvidence(c.ID, "e"), collected)
		bad := incident.Custody{EvidenceID: e.ID, Action: incident.Viewed, Detail: "a\x00b"}
		was := bad
		wantKind(t, "AppendCustody(detail_nul)", b.AppendCustody(t.Context(), &bad), errs.ErrInvalid)
		if d := diff(was, bad); d != "" {
			t.Errorf("a refused AppendCustody wrote back (-want +got):\n%s", d)
		}
		if d := diff([]incident.Custody{first}, mustCustody(t, b, e.ID)); d != "" {
			t.Errorf("a refused AppendCustody wrote (-want +got):\n%s", d)
		}
	})

	t.Run("custody_chain", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		e, first := mustEvidence(t, b, newEvidence(c.ID, "e"), incident.Custody{Action: incident.Collected, Actor: "a"})
		o, oFirst := mustEvidence(t, b, newEvidence(other.ID, "o"), incident.Custody{Action: incident.Collected, Actor: "a"})

		// ID, CaseID, PrevHash and Hash are the store's; a zero At is now;
		// the chain is in id order whatever the At.
		ict := time.FixedZone("ICT", 7*3600)
		in := []incident.Custody{
			{ID: 999, EvidenceID: e.ID, CaseID: other.ID, At: time.Date(2026, 2, 3, 4, 5, 6, 789012345, ict),
				Action: incident.Viewed, ActorID: 5, Actor: "trần.thị.b", IP: "10.0.0.5", PrevHash: "x", Hash: "y"},
			{EvidenceID: e.ID, Action: incident.Downloaded, ActorID: 5, Actor: "trần.thị.b", Detail: "sha256 verified"},
			{EvidenceID: e.ID, At: t0.Add(time.Hour), Action: incident.Denied, ActorID: 9,
				Actor: "khách \"lạ\"\n<script>", IP: "2001:db8::9", Detail: "downloaded"},
			{EvidenceID: e.ID, At: t0.Add(-24 * time.Hour), Action: incident.Tampered, ActorID: 5, Actor: "x",
				Detail: "downloaded: content missing\t(ổ đĩa)"},
			{EvidenceID: e.ID, At: t0.Add(2 * time.Hour), Action: incident.Exported, Detail: strings.Repeat("d", 5000)},
		}
		chain := []incident.Custody{first}
		for i, v := range in {
			before := time.Now().Add(-time.Second)
			got := mustAppend(t, b, v)
			prev := chain[len(chain)-1]
			want := v
			want.ID, want.CaseID, want.At = got.ID, c.ID, stored(v.At)
			if v.At.IsZero() {
				if got.At.Before(before) || got.At.After(time.Now()) || got.At != stored(got.At) {
					t.Errorf("append %d: a zero At became %v, want now", i, got.At)
				}
				want.At = got.At
			}
			want.Seal(prev.Hash)
			if d := diff(want, got); d != "" {
				t.Errorf("append %d: AppendCustody wrote back (-want +got):\n%s", i, d)
			}
			if got.ID <= prev.ID || got.PrevHash != prev.Hash || got.CaseID != c.ID {
				t.Errorf("append %d: entry %+v does not follow %+v", i, got, prev)
			}
			chain = append(chain, got)
			// Another item's chain is its own.
			if i == 1 {
				og := mustAppend(t, b, incident.Custody{EvidenceID: o.ID, Action: incident.Viewed})
				if og.PrevHash != oFirst.Hash || og.CaseID != other.ID {
					t.Errorf("an append to item %d follows %q in case %d, want %q in case %d", o.ID, og.PrevHash,
						og.CaseID, oFirst.Hash, other.ID)
				}
			}
		}
		list := mustCustody(t, b, e.ID)
		if d := diff(chain, list); d != "" {
			t.Errorf("ListCustody (-want +got):\n%s", d)
		}
		if i := incident.VerifyCustody(list); i != -1 {
			t.Errorf("VerifyCustody(ListCustody) = %d, want -1", i)
		}
		for i := 1; i < len(list); i++ {
			if list[i].PrevHash != list[i-1].Hash {
				t.Errorf("entry %d links to %q, want the hash %q of entry %d", i, list[i].PrevHash, list[i-1].Hash, i-1)
			}
		}
		if i := incident.VerifyCustody(mustCustody(t, b, o.ID)); i != -1 {
			t.Errorf("VerifyCustody of another item's chain = %d, want -1", i)
		}

		// An unknown item is not found, and nothing is written back.
		for _, id := range []int64{999, 0} {
			x := incident.Custody{EvidenceID: id, Action: incident.Viewed, Actor: "a"}
			was := x
			wantKind(t, "AppendCustody(unknown)", b.AppendCustody(ctx, &x), errs.ErrNotFound)
			if d := diff(was, x); d != "" {
				t.Errorf("a refused AppendCustody wrote back (-want +got):\n%s", d)
			}
		}
		wantRows(t, b, len(chain)+2, `incident_custody`)
	})

	t.Run("concurrent_append", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		c := mustCase(t, b, newCase(u.ID, "c", t0))
		e, _ := mustEvidence(t, b, newEvidence(c.ID, "e"), incident.Custody{Action: incident.Collected})
		// Concurrent appends to one item never follow the same entry.
		const workers, appends = 8, 10
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range appends {
					x := incident.Custody{EvidenceID: e.ID, Action: incident.Viewed, ActorID: int64(w),
						Actor: "worker", Detail: string(rune('a'+w)) + string(rune('0'+i))}
					if err := b.AppendCustody(t.Context(), &x); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent AppendCustody did not finish")
		}
		list := mustCustody(t, b, e.ID)
		if len(list) != 1+workers*appends {
			t.Errorf("after %d concurrent appends the chain has %d entries, want %d", workers*appends, len(list),
				1+workers*appends)
		}
		if i := incident.VerifyCustody(list); i != -1 {
			t.Errorf("VerifyCustody after concurrent appends = %d, want -1 (the chain forked)", i)
		}
		seen := make(map[string]bool, len(list))
		for _, x := range list {
			if seen[x.PrevHash] {
				t.Errorf("two entries follow %q", x.PrevHash)
			}
			seen[x.PrevHash] = true
		}
	})

	t.Run("tampering", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c := mustCase(t, b, newCase(u.ID, "c", t0))
		// A change made in the database, past the store, breaks the chain
		// at the changed entry (or at the one after a removed one).
		for _, tc := range []struct {
			name string
			at   int // entry changed
			sql  string
			want int // what VerifyCustody returns
		}{
			{"detail", 2, `UPDATE incident_custody SET detail = 'đã sửa' WHERE id = $1`, 2},
			{"actor", 3, `UPDATE incident_custody SET actor = 'someone else' WHERE id = $1`, 3},
			{"actor_id", 1, `UPDATE incident_custody SET actor_id = actor_id + 1 WHERE id = $1`, 1},
			{"action", 4, `UPDATE incident_custody SET action = 'verified' WHERE id = $1`, 4},
			{"case_id", 0, `UPDATE incident_custody SET case_id = case_id + 1000 WHERE id = $1`, 0},
			{"hash", 2, `UPDATE incident_custody SET hash = 'f' || substr(hash, 2) WHERE id = $1`, 2},
			{"removed", 2, `DELETE FROM incident_custody WHERE id = $1`, 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e, _ := mustEvidence(t, b, newEvidence(c.ID, tc.name), incident.Custody{Action: incident.Collected})
				chain := appendChain(t, b, e.ID, 4)
				ok(t, "tamper", b.Exec(ctx, tc.sql, chain[tc.at].ID))
				if i := incident.VerifyCustody(mustCustody(t, b, e.ID)); i != tc.want {
					t.Errorf("VerifyCustody after changing entry %d (%s) = %d, want %d", tc.at, tc.name, i, tc.want)
				}
			})
		}

		// Putting the value back mends the chain: what is stored is
		// exactly what was sealed.
		e, _ := mustEvidence(t, b, newEvidence(c.ID, "mended"), incident.Custody{Action: incident.Collected})
		chain := appendChain(t, b, e.ID, 3)
		ok(t, "tamper", b.Exec(ctx, `UPDATE incident_custody SET detail = 'x' WHERE id = $1`, chain[1].ID))
		if i := incident.VerifyCustody(mustCustody(t, b, e.ID)); i != 1 {
			t.Errorf("VerifyCustody after changing entry 1 = %d, want 1", i)
		}
		ok(t, "mend", b.Exec(ctx, `UPDATE incident_custody SET detail = $1 WHERE id = $2`, chain[1].Detail, chain[1].ID))
		if d := diff(chain, mustCustody(t, b, e.ID)); d != "" {
			t.Errorf("ListCustody after mending (-want +got):\n%s", d)
		}
		if i := incident.VerifyCustody(mustCustody(t, b, e.ID)); i != -1 {
			t.Errorf("VerifyCustody after mending = %d, want -1", i)
		}
	})

	t.Run("delete_case", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		e1, _ := mustEvidence(t, b, newEvidence(c.ID, "e1"), incident.Custody{Action: incident.Collected})
		e2, _ := mustEvidence(t, b, newEvidence(c.ID, "e2"), incident.Custody{Action: incident.Collected})
		appendChain(t, b, e1.ID, 3)
		appendChain(t, b, e2.ID, 2)
		o, _ := mustEvidence(t, b, newEvidence(other.ID, "o"), incident.Custody{Action: incident.Collected})
		oChain := appendChain(t, b, o.ID, 2)
		wantRows(t, b, 3, `incident_evidence`)
		wantRows(t, b, 10, `incident_custody`)

		// The items and their chains go with their case.
		ok(t, "delete case", b.Exec(ctx, `DELETE FROM incident_cases WHERE id = $1`, c.ID))
		if got := mustListEvidence(t, b, c.ID); len(got) != 0 {
			t.Errorf("ListIncidentEvidence of a deleted case = %+v", got)
		}
		for _, id := range []int64{e1.ID, e2.ID} {
			if got := mustCustody(t, b, id); len(got) != 0 {
				t.Errorf("ListCustody of item %d of a deleted case = %+v", id, got)
			}
			_, err := b.GetIncidentEvidence(ctx, id)
			wantKind(t, "GetIncidentEvidence(item of a deleted case)", err, errs.ErrNotFound)
			wantKind(t, "AppendCustody(item of a deleted case)",
				b.AppendCustody(ctx, &incident.Custody{EvidenceID: id, Action: incident.Viewed}), errs.ErrNotFound)
		}
		wantRows(t, b, 1, `incident_evidence`)
		wantRows(t, b, 3, `incident_custody`)
		if d := diff([]incident.Evidence{o}, mustListEvidence(t, b, other.ID)); d != "" {
			t.Errorf("ListIncidentEvidence of the other case (-want +got):\n%s", d)
		}
		if d := diff(oChain, mustCustody(t, b, o.ID)); d != "" {
			t.Errorf("ListCustody of the other case's item (-want +got):\n%s", d)
		}
	})
}
