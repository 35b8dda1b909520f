package storagetest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/incident"
	"khien.vn/khien/internal/intel"
)

// observableKind is intel type t as an observable kind.
func observableKind(t intel.Type) incident.ObservableKind { return incident.ObservableKind(t) }

// newObservable returns an observable of case caseID, as
// incident.Observable.Check leaves it.
func newObservable(caseID int64, kind incident.ObservableKind, value string) incident.Observable {
	return incident.Observable{CaseID: caseID, Kind: kind, Value: value, AddedBy: 1, CreatedAt: t0}
}

// mustObservable adds o and returns it as written back.
func mustObservable(t *testing.T, b Backend, o incident.Observable) incident.Observable {
	t.Helper()
	ok(t, "add observable "+string(o.Kind)+" "+o.Value, b.AddObservable(t.Context(), &o))
	if o.ID <= 0 {
		t.Fatalf("AddObservable set ID %d", o.ID)
	}
	checkUTC(t, "written-back observable", o.CreatedAt)
	return o
}

func mustListObservables(t *testing.T, b Backend, caseID int64) []incident.Observable {
	t.Helper()
	list, err := b.ListObservables(t.Context(), caseID)
	ok(t, "list observables", err)
	for _, o := range list {
		checkUTC(t, "ListObservables", o.CreatedAt)
	}
	return list
}

func testIncidentObservables(t *testing.T, open func(t *testing.T) Backend) {
	t.Run("add_list", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		if got := mustListObservables(t, b, c.ID); len(got) != 0 {
			t.Errorf("ListObservables of a case without observables = %+v", got)
		}

		// Every field set, CreatedAt in another zone with nanoseconds; the
		// ID is the store's.
		in := incident.Observable{ID: 999, CaseID: c.ID, Kind: observableKind(intel.URL),
			Value: `https://xn--bcher-kva.example/tải-về?x=1&y="2"`,
			Note:  "Tải mã độc\nDòng 2 <b>không phải html</b> & \"trích\"\ttab", AddedBy: 42, CreatedAt: t0}
		o := mustObservable(t, b, in)
		want := in
		want.ID, want.CreatedAt = o.ID, stored(in.CreatedAt)
		if d := diff(want, o); d != "" {
			t.Errorf("AddObservable did not write back the stored observable (-want +got):\n%s", d)
		}
		if d := diff([]incident.Observable{want}, mustListObservables(t, b, c.ID)); d != "" {
			t.Errorf("ListObservables after AddObservable (-want +got):\n%s", d)
		}

		// Nothing but the required fields: a zero CreatedAt becomes now.
		before := time.Now().Add(-time.Second)
		bare := mustObservable(t, b, incident.Observable{CaseID: c.ID, Kind: incident.Host, Value: "kt-pc01"})
		if bare.ID <= o.ID {
			t.Errorf("second observable got id %d after %d", bare.ID, o.ID)
		}
		if bare.CreatedAt.Before(before) || bare.CreatedAt.After(time.Now()) || bare.CreatedAt != stored(bare.CreatedAt) {
			t.Errorf("bare observable written back as %+v; want CreatedAt now", bare)
		}

		// Listed by id, only the case's own, whatever the kind, value or
		// CreatedAt.
		acct := mustObservable(t, b, incident.Observable{CaseID: c.ID, Kind: incident.Account, Value: `KT\nguyen.van.a`,
			CreatedAt: t0.Add(-24 * time.Hour)})
		oo := mustObservable(t, b, newObservable(other.ID, observableKind(intel.IP), "203.0.113.7"))
		ip := mustObservable(t, b, newObservable(c.ID, observableKind(intel.IP), "198.51.100.1"))
		if d := diff([]incident.Observable{want, bare, acct, ip}, mustListObservables(t, b, c.ID)); d != "" {
			t.Errorf("ListObservables (-want +got):\n%s", d)
		}
		if d := diff([]incident.Observable{oo}, mustListObservables(t, b, other.ID)); d != "" {
			t.Errorf("ListObservables of another case (-want +got):\n%s", d)
		}
		for _, id := range []int64{999, 0} {
			if got, err := b.ListObservables(ctx, id); err != nil || len(got) != 0 {
				t.Errorf("ListObservables(unknown case %d) = %+v, %v; want none", id, got, err)
			}
		}
		wantRows(t, b, 5, `incident_observables`)
	})

	t.Run("add_refused", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		// refused checks that AddObservable fails with kind and leaves its
		// argument as it was.
		refused := func(name string, kind error, o incident.Observable) {
			t.Helper()
			was := o
			wantKind(t, "AddObservable("+name+")", b.AddObservable(t.Context(), &o), kind)
			if d := diff(was, o); d != "" {
				t.Errorf("a refused AddObservable(%s) wrote back (-want +got):\n%s", name, d)
			}
		}

		// An unknown case is not found, and nothing is stored.
		for _, id := range []int64{999, 0} {
			refused("unknown case", errs.ErrNotFound, newObservable(id, incident.Host, "h"))
		}
		wantRows(t, b, 0, `incident_observables`)

		// Text that cannot be stored is invalid.
		for name, edit := range map[string]func(o *incident.Observable){
			"kind_nul":   func(o *incident.Observable) { o.Kind = "ho\x00st" },
			"kind_utf8":  func(o *incident.Observable) { o.Kind = "\xff" },
			"value_nul":  func(o *incident.Observable) { o.Value = "a\x00b" },
			"value_utf8": func(o *incident.Observable) { o.Value = "ab\xc3" },
			"note_nul":   func(o *incident.Observable) { o.Note = "\x00" },
			"note_utf8":  func(o *incident.Observable) { o.Note = "ghi chú \xe0\x80" },
		} {
			o := newObservable(c.ID, incident.Host, "h")
			edit(&o)
			refused(name, errs.ErrInvalid, o)
		}
		wantRows(t, b, 0, `incident_observables`)

		// A kind and value once per case: the same value in another case or
		// of another kind is another observable; values compare bytewise
		// (normalising them is incident.Observable.Check's business).
		hash := strings.Repeat("ab", 32)
		first := mustObservable(t, b, newObservable(c.ID, observableKind(intel.SHA256), hash))
		refused("duplicate", errs.ErrConflict, newObservable(c.ID, observableKind(intel.SHA256), hash))
		dup := newObservable(c.ID, observableKind(intel.SHA256), hash)
		dup.Note, dup.AddedBy, dup.CreatedAt = "again", 7, time.Time{}
		refused("duplicate with other note", errs.ErrConflict, dup)
		inOther := mustObservable(t, b, newObservable(other.ID, observableKind(intel.SHA256), hash))
		host := mustObservable(t, b, newObservable(c.ID, incident.Host, "kt-pc01"))
		acct := mustObservable(t, b, newObservable(c.ID, incident.Account, "kt-pc01"))
		upper := mustObservable(t, b, newObservable(c.ID, incident.Account, "KT-PC01"))
		refused("duplicate account", errs.ErrConflict, newObservable(c.ID, incident.Account, "kt-pc01"))
		if d := diff([]incident.Observable{first, host, acct, upper}, mustListObservables(t, b, c.ID)); d != "" {
			t.Errorf("ListObservables after refused duplicates (-want +got):\n%s", d)
		}
		if d := diff([]incident.Observable{inOther}, mustListObservables(t, b, other.ID)); d != "" {
			t.Errorf("ListObservables of the other case (-want +got):\n%s", d)
		}
		wantRows(t, b, 5, `incident_observables`)
	})

	t.Run("concurrent_add", func(t *testing.T) {
		b := open(t)
		u := mustUnit(t, b, "u", 0)
		c := mustCase(t, b, newCase(u.ID, "c", t0))
		// Of concurrent adds of one kind and value exactly one succeeds, the
		// others get errs.ErrConflict.
		const workers = 8
		var (
			wg             sync.WaitGroup
			mu             sync.Mutex
			added, refused int
		)
		for range workers {
			wg.Go(func() {
				o := newObservable(c.ID, observableKind(intel.Domain), "c2.example")
				err := b.AddObservable(t.Context(), &o)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					added++
				case errors.Is(err, errs.ErrConflict):
					refused++
				default:
					t.Error(err)
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("concurrent AddObservable did not finish")
		}
		if added != 1 || refused != workers-1 {
			t.Errorf("of %d concurrent adds %d succeeded and %d conflicted, want 1 and %d", workers, added, refused,
				workers-1)
		}
		wantRows(t, b, 1, `incident_observables`)
	})

	t.Run("delete", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		o1 := mustObservable(t, b, newObservable(c.ID, observableKind(intel.IP), "203.0.113.7"))
		o2 := mustObservable(t, b, newObservable(c.ID, observableKind(intel.Domain), "c2.example"))
		oo := mustObservable(t, b, newObservable(other.ID, observableKind(intel.IP), "203.0.113.7"))

		// Only with its own case's id, and only an observable that exists.
		wantKind(t, "DeleteObservable(wrong case)", b.DeleteObservable(ctx, other.ID, o1.ID), errs.ErrNotFound)
		wantKind(t, "DeleteObservable(unknown case)", b.DeleteObservable(ctx, 999, o1.ID), errs.ErrNotFound)
		wantKind(t, "DeleteObservable(unknown id)", b.DeleteObservable(ctx, c.ID, 999), errs.ErrNotFound)
		wantKind(t, "DeleteObservable(id 0)", b.DeleteObservable(ctx, c.ID, 0), errs.ErrNotFound)
		if d := diff([]incident.Observable{o1, o2}, mustListObservables(t, b, c.ID)); d != "" {
			t.Errorf("ListObservables after refused deletes (-want +got):\n%s", d)
		}
		wantRows(t, b, 3, `incident_observables`)

		ok(t, "delete observable", b.DeleteObservable(ctx, c.ID, o1.ID))
		if d := diff([]incident.Observable{o2}, mustListObservables(t, b, c.ID)); d != "" {
			t.Errorf("ListObservables after DeleteObservable (-want +got):\n%s", d)
		}
		if d := diff([]incident.Observable{oo}, mustListObservables(t, b, other.ID)); d != "" {
			t.Errorf("ListObservables of the other case after DeleteObservable (-want +got):\n%s", d)
		}
		wantKind(t, "DeleteObservable(deleted)", b.DeleteObservable(ctx, c.ID, o1.ID), errs.ErrNotFound)
		wantRows(t, b, 2, `incident_observables`)

		// A deleted observable can be added again, under a new id.
		again := mustObservable(t, b, newObservable(c.ID, observableKind(intel.IP), "203.0.113.7"))
		if again.ID <= oo.ID {
			t.Errorf("re-added observable got id %d, want one above %d", again.ID, oo.ID)
		}
		if d := diff([]incident.Observable{o2, again}, mustListObservables(t, b, c.ID)); d != "" {
			t.Errorf("ListObservables after adding again (-want +got):\n%s", d)
		}
	})

	t.Run("delete_case", func(t *testing.T) {
		b := open(t)
		ctx := t.Context()
		u := mustUnit(t, b, "u", 0)
		c, other := mustCase(t, b, newCase(u.ID, "c", t0)), mustCase(t, b, newCase(u.ID, "other", t0))
		o1 := mustObservable(t, b, newObservable(c.ID, observableKind(intel.IP), "203.0.113.7"))
		mustObservable(t, b, newObservable(c.ID, incident.Host, "kt-pc01"))
		oo := mustObservable(t, b, newObservable(other.ID, observableKind(intel.IP), "203.0.113.7"))
		wantRows(t, b, 3, `incident_observables`)

		// The observables go with their case.
		ok(t, "delete case", b.Exec(ctx, `DELETE FROM incident_cases WHERE id = $1`, c.ID))
		if got := mustListObservables(t, b, c.ID); len(got) != 0 {
			t.Errorf("ListObservables of a deleted case = %+v", got)
		}
		wantKind(t, "DeleteObservable(observable of a deleted case)", b.DeleteObservable(ctx, c.ID, o1.ID),
			errs.ErrNotFound)
		gone := newObservable(c.ID, incident.Host, "h")
		wantKind(t, "AddObservable(deleted case)", b.AddObservable(ctx, &gone), errs.ErrNotFound)
		wantRows(t, b, 1, `incident_observables`)
		if d := diff([]incident.Observable{oo}, mustListObservables(t, b, other.ID)); d != "" {
			t.Errorf("ListObservables of the other case (-want +got):\n%s", d)
		}
	})
}
