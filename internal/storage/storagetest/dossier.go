package storagetest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
)

// dossierFixture is a unit with one system, for dossier tests.
type dossierFixture struct {
	unit, other int64 // two units
	sys, sys2   system.System
}

func newDossierFixture(t *testing.T, b Backend) dossierFixture {
	t.Helper()
	u, o := mustUnit(t, b, "u", 0), mustUnit(t, b, "o", 0)
	return dossierFixture{unit: u.ID, other: o.ID,
		sys: mustSystem(t, b, u.ID, 0, "S1", system.Operating), sys2: mustSystem(t, b, o.ID, 0, "S2", system.Operating)}
}

func mustDossier(t *testing.T, b Backend, sys system.System, state system.DossierState) system.Dossier {
	t.Helper()
	d := system.Dossier{SystemID: sys.ID, UnitID: sys.UnitID, PackID: "decree85-2016", Level: 2, State: state,
		CreatedBy: 1, CreatedAt: t0, UpdatedAt: t0}
	ok(t, "create dossier", b.CreateDossier(t.Context(), &d))
	return d
}

// storedDossier is d as every backend gives it back.
func storedDossier(d system.Dossier) system.Dossier {
	d.Decision.Date = stored(d.Decision.Date)
	d.CreatedAt, d.UpdatedAt = stored(d.CreatedAt), stored(d.UpdatedAt)
	d.SubmittedAt, d.DecidedAt = stored(d.SubmittedAt), stored(d.DecidedAt)
	return d
}

func dossierIDs(list []system.Dossier) []int64 {
	var out []int64
	for _, d := range list {
		out = append(out, d.ID)
	}
	return out
}

func testDossiers(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("create_get", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		fx := newDossierFixture(t, b)
		in := system.Dossier{SystemID: fx.sys.ID, UnitID: fx.unit, PackID: "decree85-2016", Level: 3,
			State: system.Returned, Rationale: "Điều 9 khoản 2 điểm c", Appraiser: "Hội đồng thẩm định",
			AppraiserUnit: fx.other, Independence: "independent_council",
			Decision:     system.Decision{Number: "12/QĐ-UBND", Date: t0.Add(-time.Hour), Signer: "Chủ tịch"},
			ReturnReason: "Thiếu sơ đồ mạng", CreatedBy: 42, CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
			SubmittedAt: t0.Add(2 * time.Second), DecidedAt: t0.Add(3 * time.Second)}
		d := in
		ok(t, "create", b.CreateDossier(ctx, &d))
		if d.ID <= 0 {
			t.Fatalf("CreateDossier set ID %d", d.ID)
		}
		want := storedDossier(in)
		want.ID = d.ID
		if d := cmp.Diff(want, d); d != "" {
			t.Errorf("CreateDossier did not write back the stored form (-want +got):\n%s", d)
		}
		got, err := b.GetDossier(ctx, d.ID)
		ok(t, "get", err)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("GetDossier (-want +got):\n%s", d)
		}
		checkUTC(t, "GetDossier", got.Decision.Date, got.CreatedAt, got.UpdatedAt, got.SubmittedAt, got.DecidedAt)

		// Defaults: draft, now, zero times zero.
		before := time.Now().Add(-time.Second)
		blank := system.Dossier{SystemID: fx.sys.ID, UnitID: fx.unit}
		ok(t, "create blank", b.CreateDossier(ctx, &blank))
		got, err = b.GetDossier(ctx, blank.ID)
		ok(t, "get blank", err)
		if got.State != system.Draft || got.CreatedAt.Before(before) || !got.UpdatedAt.Equal(got.CreatedAt) {
			t.Errorf("a dossier created without state or times came back as %q at %v/%v, want draft at about now",
				got.State, got.CreatedAt, got.UpdatedAt)
		}
		if !got.Decision.Date.IsZero() || !got.SubmittedAt.IsZero() || !got.DecidedAt.IsZero() || got.AppraiserUnit != 0 {
			t.Errorf("zero values came back as %+v", got)
		}
		if d := cmp.Diff(blank, got); d != "" {
			t.Errorf("CreateDossier with defaults did not write back the stored form (-want +got):\n%s", d)
		}
	})

	t.Run("unknown_references", func(t *testing.T) {
		b := open(t)
		fx := newDossierFixture(t, b)
		for _, tc := range []struct {
			name               string
			sys, unit, apprUni int64
		}{
			{"system", 999, fx.unit, 0},
			{"unit", fx.sys.ID, 999, 0},
			{"appraiser_unit", fx.sys.ID, fx.unit, 999},
		} {
			d := system.Dossier{SystemID: tc.sys, UnitID: tc.unit, AppraiserUnit: tc.apprUni}
			wantKind(t, "CreateDossier(unknown "+tc.name+")", b.CreateDossier(t.Context(), &d), errs.ErrInvalid)
		}
		d := mustDossier(t, b, fx.sys, system.Draft)
		d.AppraiserUnit = 999
		wantKind(t, "UpdateDossier(unknown appraiser unit)", b.UpdateDossier(t.Context(), &d), errs.ErrInvalid)
	})

	t.Run("not_found", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		_, err := b.GetDossier(ctx, 4242)
		wantKind(t, "GetDossier", err, errs.ErrNotFound)
		wantKind(t, "UpdateDossier", b.UpdateDossier(ctx, &system.Dossier{ID: 4242, State: system.Draft}), errs.ErrNotFound)
		ev := system.Event{Action: system.ActSubmit}
		err = b.TransitionDossier(ctx, &system.Dossier{ID: 4242, State: system.Submitted}, system.Draft, &ev)
		wantKind(t, "TransitionDossier", err, errs.ErrNotFound)
		_, _, err = b.AttachmentData(ctx, 4242)
		wantKind(t, "AttachmentData", err, errs.ErrNotFound)
		evs, err := b.ListEvents(ctx, 4242)
		ok(t, "ListEvents", err)
		atts, err := b.ListAttachments(ctx, 4242)
		ok(t, "ListAttachments", err)
		if len(evs) != 0 || len(atts) != 0 {
			t.Errorf("unknown dossier has events %v and attachments %v", evs, atts)
		}
	})

	t.Run("update", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		fx := newDossierFixture(t, b)
		d := mustDossier(t, b, fx.sys, system.Draft)
		orig := d
		upd := d
		upd.PackID, upd.Level, upd.Rationale = "pack-2", 4, "Cấp độ 4"
		upd.Appraiser, upd.AppraiserUnit, upd.Independence = "Sở TT&TT", fx.other, "other_subordinate_unit"
		upd.Decision = system.Decision{Number: "1/QĐ", Date: t0.Add(time.Minute), Signer: "Giám đốc"}
		upd.ReturnReason, upd.UpdatedAt = "r", t0.Add(time.Hour)
		// Not written by UpdateDossier.
		upd.SystemID, upd.UnitID, upd.CreatedBy, upd.CreatedAt = fx.sys2.ID, fx.other, 99, t0.Add(-time.Hour)
		upd.SubmittedAt, upd.DecidedAt = t0.Add(time.Hour), t0.Add(time.Hour)
		in := upd
		ok(t, "update", b.UpdateDossier(ctx, &upd))
		got, err := b.GetDossier(ctx, d.ID)
		ok(t, "get", err)
		want := storedDossier(in)
		want.SystemID, want.UnitID, want.CreatedBy, want.CreatedAt = orig.SystemID, orig.UnitID, orig.CreatedBy, orig.CreatedAt
		want.SubmittedAt, want.DecidedAt = time.Time{}, time.Time{}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("after UpdateDossier (-want +got):\n%s", d)
		}
		if !upd.UpdatedAt.Equal(stored(in.UpdatedAt)) || upd.UpdatedAt.Location() != time.UTC {
			t.Errorf("UpdateDossier wrote back UpdatedAt %v", upd.UpdatedAt)
		}

		// The state is not written, and a dossier that moved on since it was
		// read is not overwritten.
		for _, tc := range []struct {
			name  string
			state system.DossierState
			kind  error
		}{
			{"other_state", system.Submitted, errs.ErrConflict},
			{"empty_state", "", errs.ErrConflict},
		} {
			t.Run(tc.name, func(t *testing.T) {
				stale := got
				stale.State, stale.Rationale = tc.state, "stale edit"
				wantKind(t, "UpdateDossier", b.UpdateDossier(ctx, &stale), tc.kind)
				now, err := b.GetDossier(ctx, d.ID)
				ok(t, "get", err)
				if d := cmp.Diff(got, now); d != "" {
					t.Errorf("refused UpdateDossier changed the dossier (-want +got):\n%s", d)
				}
			})
		}
	})

	t.Run("list", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		fx := newDossierFixture(t, b)
		sys3 := mustSystem(t, b, fx.unit, 0, "S3", system.Operating)
		got, err := b.ListDossiers(ctx, system.DossierFilter{})
		ok(t, "list empty", err)
		if len(got) != 0 {
			t.Errorf("ListDossiers on an empty database = %v", got)
		}
		var ids []int64 // 0-based as created
		for _, c := range []struct {
			sys   system.System
			state system.DossierState
		}{
			{fx.sys, system.Approved},   // 0
			{fx.sys2, system.Draft},     // 1
			{fx.sys, system.Returned},   // 2
			{sys3, system.Draft},        // 3
			{fx.sys2, system.Submitted}, // 4
			{fx.sys, system.Draft},      // 5
		} {
			ids = append(ids, mustDossier(t, b, c.sys, c.state).ID)
		}
		at := func(is ...int) []int64 {
			var out []int64
			for _, i := range is {
				out = append(out, ids[i])
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    system.DossierFilter
			want []int64
		}{
			{"all", system.DossierFilter{}, at(5, 4, 3, 2, 1, 0)},
			{"unit", system.DossierFilter{Units: []int64{fx.unit}}, at(5, 3, 2, 0)},
			{"units", system.DossierFilter{Units: []int64{fx.other, fx.unit}}, at(5, 4, 3, 2, 1, 0)},
			{"no_units", system.DossierFilter{Units: []int64{}}, nil},
			{"system", system.DossierFilter{SystemID: fx.sys.ID}, at(5, 2, 0)},
			{"system_other_unit", system.DossierFilter{SystemID: fx.sys.ID, Units: []int64{fx.other}}, nil},
			{"state", system.DossierFilter{State: system.Draft}, at(5, 3, 1)},
			{"state_unit", system.DossierFilter{State: system.Draft, Units: []int64{fx.unit}}, at(5, 3)},
			{"state_system", system.DossierFilter{State: system.Draft, SystemID: fx.sys.ID}, at(5)},
			{"limit", system.DossierFilter{Limit: 2}, at(5, 4)},
			{"limit_filtered", system.DossierFilter{SystemID: fx.sys.ID, Limit: 2}, at(5, 2)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := b.ListDossiers(ctx, tc.f)
				ok(t, "list", err)
				if d := diff(tc.want, dossierIDs(got)); d != "" {
					t.Errorf("ListDossiers(%+v) ids (-want +got):\n%s", tc.f, d)
				}
			})
		}
		got, err = b.ListDossiers(ctx, system.DossierFilter{Limit: 1})
		ok(t, "list", err)
		want, err := b.GetDossier(ctx, ids[5])
		ok(t, "get", err)
		if len(got) != 1 || cmp.Diff(want, got[0]) != "" {
			t.Errorf("listed dossier %+v, want %+v", got, want)
		}
	})

	t.Run("transition", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		fx := newDossierFixture(t, b)
		d := mustDossier(t, b, fx.sys, system.Draft)
		orig := d

		// draft → submitted, with every writable field changed.
		sub := d
		sub.State, sub.SubmittedAt, sub.UpdatedAt, sub.Level, sub.Rationale = system.Submitted, t0.Add(time.Minute), t0.Add(time.Minute), 3, "lý do"
		sub.CreatedAt = t0.Add(-time.Hour) // fixed at creation
		ev := system.Event{Action: system.ActSubmit, From: system.Draft, To: system.Submitted, ActorID: 7, Actor: "lan",
			Note: "nộp hồ sơ", At: t0.Add(time.Minute)}
		in, inEv := sub, ev
		ok(t, "submit", b.TransitionDossier(ctx, &sub, system.Draft, &ev))
		if ev.ID <= 0 || ev.DossierID != d.ID {
			t.Errorf("TransitionDossier wrote back event ID %d, dossier %d; want > 0 and %d", ev.ID, ev.DossierID, d.ID)
		}
		got, err := b.GetDossier(ctx, d.ID)
		ok(t, "get", err)
		want := storedDossier(in)
		want.CreatedAt = orig.CreatedAt
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("after submit (-want +got):\n%s", d)
		}

		// The same transition again: the state is no longer draft.
		again := got
		again.State, again.Rationale = system.Submitted, "second"
		ev2 := system.Event{Action: system.ActSubmit, From: system.Draft, To: system.Submitted, At: t0.Add(2 * time.Minute)}
		wantKind(t, "second submit", b.TransitionDossier(ctx, &again, system.Draft, &ev2), errs.ErrConflict)
		after, err := b.GetDossier(ctx, d.ID)
		ok(t, "get", err)
		if d := cmp.Diff(got, after); d != "" {
			t.Errorf("refused transition changed the dossier (-want +got):\n%s", d)
		}

		// submitted → under appraisal → approved; the event gets defaults.
		app := after
		app.State, app.Appraiser, app.AppraiserUnit, app.UpdatedAt = system.UnderAppraisal, "Sở TT&TT", fx.other, t0.Add(3*time.Minute)
		ev3 := system.Event{Action: system.ActAppraise, ActorID: 8, Actor: "minh"}
		before := time.Now().Add(-time.Second)
		ok(t, "appraise", b.TransitionDossier(ctx, &app, system.Submitted, &ev3))
		if ev3.From != system.Submitted || ev3.To != system.UnderAppraisal || ev3.At.Before(before) || ev3.At.Location() != time.UTC {
			t.Errorf("event defaults: from %q to %q at %v; want submitted, under_appraisal, about now in UTC", ev3.From, ev3.To, ev3.At)
		}
		dec := app
		dec.State, dec.DecidedAt, dec.UpdatedAt = system.Approved, t0.Add(4*time.Minute), t0.Add(4*time.Minute)
		dec.Decision = system.Decision{Number: "99/QĐ-UBND", Date: t0.Add(4 * time.Minute), Signer: "Chủ tịch"}
		ev4 := system.Event{Action: system.ActApprove, From: system.UnderAppraisal, To: system.Approved, ActorID: 9,
			Actor: "hoa", At: t0.Add(4 * time.Minute)}
		decIn := dec
		ok(t, "approve", b.TransitionDossier(ctx, &dec, system.UnderAppraisal, &ev4))
		got, err = b.GetDossier(ctx, d.ID)
		ok(t, "get", err)
		want = storedDossier(decIn)
		want.CreatedAt = orig.CreatedAt
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("after approve (-want +got):\n%s", d)
		}
		if d := cmp.Diff(got, dec); d != "" {
			t.Errorf("TransitionDossier did not write back the stored form (-want +got):\n%s", d)
		}

		evs, err := b.ListEvents(ctx, d.ID)
		ok(t, "list events", err)
		wantEvs := []system.Event{inEv, ev3, ev4}
		wantEvs[0].ID, wantEvs[0].DossierID, wantEvs[0].At = ev.ID, d.ID, stored(inEv.At)
		if d := cmp.Diff(wantEvs, evs); d != "" {
			t.Errorf("ListEvents (-want +got):\n%s", d)
		}
		for i, e := range evs {
			checkUTC(t, "event", e.At)
			if i > 0 && e.ID <= evs[i-1].ID {
				t.Errorf("events not oldest first: %d after %d", e.ID, evs[i-1].ID)
			}
		}
		// Another dossier's history is separate.
		other := mustDossier(t, b, fx.sys2, system.Draft)
		otherEvs, err := b.ListEvents(ctx, other.ID)
		ok(t, "list events", err)
		if len(otherEvs) != 0 {
			t.Errorf("new dossier has events %v", otherEvs)
		}
	})

	// Eight goroutines take the same step from the same state at once:
	// exactly one succeeds and writes one event, the others get ErrConflict.
	t.Run("transition_concurrent", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		fx := newDossierFixture(t, b)
		d := mustDossier(t, b, fx.sys, system.Draft)
		const n = 8
		errList := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				mine := d
				mine.State, mine.SubmittedAt, mine.Rationale = system.Submitted, t0.Add(time.Duration(i)*time.Second), string(rune('a'+i))
				ev := system.Event{Action: system.ActSubmit, From: system.Draft, To: system.Submitted, ActorID: int64(i), At: t0}
				<-start
				errList[i] = b.TransitionDossier(ctx, &mine, system.Draft, &ev)
			})
		}
		close(start)
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent transitions did not finish")
		}
		winner := -1
		for i, err := range errList {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("transitions %d and %d both succeeded", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, errs.ErrConflict):
				t.Errorf("transition %d: %v, want nil or ErrConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no transition succeeded")
		}
		evs, err := b.ListEvents(ctx, d.ID)
		ok(t, "list events", err)
		if len(evs) != 1 || evs[0].ActorID != int64(winner) {
			t.Fatalf("events after concurrent transitions = %+v, want one by actor %d", evs, winner)
		}
		got, err := b.GetDossier(ctx, d.ID)
		ok(t, "get", err)
		if got.State != system.Submitted || got.Rationale != string(rune('a'+winner)) {
			t.Errorf("dossier after concurrent transitions: state %s rationale %q, want submitted by %d", got.State, got.Rationale, winner)
		}
	})

	t.Run("attachments", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		fx := newDossierFixture(t, b)
		d := mustDossier(t, b, fx.sys, system.Draft)
		other := mustDossier(t, b, fx.sys2, system.Draft)
		every := make([]byte, 512)
		for i := range every {
			every[i] = byte(i)
		}
		big := make([]byte, 3<<20+7)
		rand.Read(big)
		var added []system.Attachment
		for _, tc := range []struct {
			name, contentType string
			data              []byte
			sha               string // "" means the real one
		}{
			{"sơ đồ mạng.pdf", "application/pdf", []byte("%PDF-1.7\n…"), ""},
			{"every-byte.bin", "application/octet-stream", every, ""},
			{"nul.bin", "", []byte{0, 0, 0}, ""},
			{"empty.txt", "text/plain", nil, ""},
			{"big.bin", "application/octet-stream", big, ""},
			{"as-given.txt", "text/plain; charset=utf-8", []byte("x"), "not-a-sha256-but-stored-as-given"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				sha := tc.sha
				if sha == "" {
					sum := sha256.Sum256(tc.data)
					sha = hex.EncodeToString(sum[:])
				}
				in := system.Attachment{DossierID: d.ID, Name: tc.name, ContentType: tc.contentType,
					Size: int64(len(tc.data)), SHA256: sha, CreatedBy: 5, CreatedAt: t0.Add(time.Duration(len(added)) * time.Second)}
				a := in
				ok(t, "add", b.AddAttachment(ctx, &a, tc.data))
				if a.ID <= 0 {
					t.Fatalf("AddAttachment set ID %d", a.ID)
				}
				want := in
				want.ID, want.CreatedAt = a.ID, stored(in.CreatedAt)
				if d := cmp.Diff(want, a); d != "" {
					t.Errorf("AddAttachment did not write back the stored form (-want +got):\n%s", d)
				}
				gotA, data, err := b.AttachmentData(ctx, a.ID)
				ok(t, "data", err)
				if d := cmp.Diff(want, gotA); d != "" {
					t.Errorf("AttachmentData metadata (-want +got):\n%s", d)
				}
				checkUTC(t, "AttachmentData", gotA.CreatedAt)
				if !bytes.Equal(data, tc.data) {
					t.Errorf("AttachmentData returned %d bytes that differ from the %d stored", len(data), len(tc.data))
				}
				added = append(added, want)
			})
		}
		list, err := b.ListAttachments(ctx, d.ID)
		ok(t, "list", err)
		if d := cmp.Diff(added, list); d != "" {
			t.Errorf("ListAttachments (-want +got):\n%s", d)
		}
		list, err = b.ListAttachments(ctx, other.ID)
		ok(t, "list other", err)
		if len(list) != 0 {
			t.Errorf("another dossier lists %d attachments", len(list))
		}

		// Size is the length of the bytes stored; a zero CreatedAt is now.
		before := time.Now().Add(-time.Second)
		a := system.Attachment{DossierID: other.ID, Name: "n", Size: 99, SHA256: "s"}
		ok(t, "add", b.AddAttachment(ctx, &a, []byte("four")))
		got, _, err := b.AttachmentData(ctx, a.ID)
		ok(t, "data", err)
		if got.Size != 4 || a.Size != 4 || got.CreatedAt.Before(before) {
			t.Errorf("attachment stored with size %d (written back %d) at %v; want 4 at about now", got.Size, a.Size, got.CreatedAt)
		}

		bad := system.Attachment{DossierID: 4242, Name: "x", SHA256: "s"}
		wantKind(t, "AddAttachment(unknown dossier)", b.AddAttachment(ctx, &bad, []byte("x")), errs.ErrInvalid)
	})
}
