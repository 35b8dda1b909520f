package spool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/spool"
)

func TestSpool_RoundTrip(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	vietnamese := event.Event{
		Time:     time.Date(2026, 2, 17, 0, 0, 0, 123456789, time.UTC),
		Received: time.Date(2026, 2, 17, 0, 0, 1, 0, time.UTC),
		UnitID:   42,
		Source:   event.Source{Kind: event.KindSyslog, Name: "syslog-udp", Addr: "192.0.2.7"},
		Message:  "Người dùng Nguyễn Văn Ánh đăng nhập thất bại từ Hà Nội — mật khẩu sai (lần thứ 3) ✓",
		Fields: map[string]string{
			event.FieldUserName:     "nguyễn.văn.ánh",
			"winlog.event_data.Tên": "Đơn vị chuyên trách ATTT",
			event.FieldHostName:     "máy-chủ-01",
		},
		ParseError: "không phân tích được trường “level”",
	}
	many := event.Event{Source: event.Source{Kind: event.KindBulk}, Fields: map[string]string{}}
	for i := range 1000 {
		many.Fields[fmt.Sprintf("winlog.event_data.Field%04d", i)] = strings.Repeat("v", i%37)
	}
	many.Fields["empty.value"] = ""
	huge := event.Event{Source: event.Source{Kind: event.KindJSONL}, Message: strings.Repeat("Ă", 400_000)} // 800 KB
	// Larger than a record (16 MiB): split into several records.
	var split []event.Event
	for i := range 24 {
		ev := event.Event{Source: event.Source{Kind: event.KindHEC}, Message: strings.Repeat(strconv.Itoa(i%10), 900_000)}
		ev.Set(batchField, strconv.Itoa(i))
		split = append(split, ev)
	}

	tests := []struct {
		name    string
		batch   []event.Event
		want    []event.Event // nil: the batch itself
		records int
	}{
		{name: "vietnamese", batch: []event.Event{vietnamese}, records: 1},
		{name: "zero_event", batch: []event.Event{{}}, records: 1},
		{name: "many_fields", batch: []event.Event{many}, records: 1},
		{name: "empty_message", batch: []event.Event{{Source: event.Source{Kind: event.KindOTLP}, Message: "", Fields: map[string]string{"a": "b"}}}, records: 1},
		{name: "huge_message", batch: []event.Event{huge}, records: 1},
		{name: "negative_unit_and_old_time", batch: []event.Event{{UnitID: -9, Time: time.Date(1601, 1, 1, 0, 0, 0, 1, time.UTC)}}, records: 1},
		{
			name:  "local_time_comes_back_utc",
			batch: []event.Event{{Time: time.Date(2026, 1, 1, 7, 0, 0, 5, hcm)}},
			want:  []event.Event{{Time: time.Date(2026, 1, 1, 0, 0, 0, 5, time.UTC)}}, records: 1,
		},
		{name: "realistic_1000", batch: testBatch(1, 1000), records: 1},
		{name: "split_over_records", batch: split, records: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, t.TempDir(), spool.Options{})
			appendAll(t, s, tt.batch)
			got := drain(t, s)
			if len(got) != tt.records {
				t.Errorf("got %d records, want %d", len(got), tt.records)
			}
			var events []event.Event
			for _, b := range got {
				events = append(events, b.Events...)
			}
			want := tt.want
			if want == nil {
				want = tt.batch
			}
			if diff := cmp.Diff(want, events, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("events differ (-want +got):\n%.2000s", diff)
			}
			for _, ev := range events {
				if ev.Time.Location() != time.UTC {
					t.Errorf("time %v not in UTC", ev.Time)
				}
			}
			st := s.Stats()
			if st.AppendedEvents != uint64(len(tt.batch)) || st.AppendedRecords != uint64(tt.records) || st.TruncatedEvents != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestSpool_OversizedEvents(t *testing.T) {
	const limit = 4096
	bigValues := event.Event{Message: "m", Fields: map[string]string{}}
	for i := range 10 {
		bigValues.Fields[fmt.Sprintf("f%d", i)] = strings.Repeat("đ", 500) // 1000 bytes each
	}
	manyKeys := event.Event{Message: "m", Fields: map[string]string{}}
	for i := range 500 {
		manyKeys.Fields[fmt.Sprintf("winlog.event_data.Key%04d", i)] = "x"
	}

	tests := []struct {
		name  string
		ev    event.Event
		check func(t *testing.T, got event.Event)
	}{
		{
			name: "message_cut_at_rune_boundary",
			ev:   event.Event{Message: strings.Repeat("ệ", 5000), ParseError: "bad json", Fields: map[string]string{"host.name": "h"}},
			check: func(t *testing.T, got event.Event) {
				if len(got.Message) >= 15000 || len(got.Message) < limit/2 || !utf8.ValidString(got.Message) {
					t.Errorf("message of %d bytes, valid UTF-8 %v", len(got.Message), utf8.ValidString(got.Message))
				}
				if !strings.HasPrefix(got.ParseError, "bad json; spool: event truncated") || got.Get("host.name") != "h" {
					t.Errorf("got ParseError %q, fields %v", got.ParseError, got.Fields)
				}
			},
		},
		{
			name: "values_cut",
			ev:   bigValues,
			check: func(t *testing.T, got event.Event) {
				if len(got.Fields) != 10 || !strings.HasPrefix(got.ParseError, "spool: event truncated") {
					t.Errorf("got %d fields, ParseError %q", len(got.Fields), got.ParseError)
				}
				for k, v := range got.Fields {
					if !utf8.ValidString(v) {
						t.Errorf("field %s is not valid UTF-8", k)
					}
				}
			},
		},
		{
			name: "fields_dropped_when_keys_are_too_many",
			ev:   manyKeys,
			check: func(t *testing.T, got event.Event) {
				if got.Fields != nil || got.Message != "m" || !strings.Contains(got.ParseError, "fields dropped") {
					t.Errorf("got %d fields, message %q, ParseError %q", len(got.Fields), got.Message, got.ParseError)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, t.TempDir(), spool.Options{MaxEventSize: limit})
			orig := cloneEvent(tt.ev)
			batch := []event.Event{{Message: "before"}, tt.ev, {Message: "after"}}
			appendAll(t, s, batch)
			if diff := cmp.Diff(orig, batch[1]); diff != "" {
				t.Errorf("Append changed the caller's event:\n%s", diff)
			}
			got := drain(t, s)
			if len(got) != 1 || len(got[0].Events) != 3 || got[0].Events[0].Message != "before" || got[0].Events[2].Message != "after" {
				t.Fatalf("got %+v", got)
			}
			tt.check(t, got[0].Events[1])
			if n := s.Stats().TruncatedEvents; n != 1 {
				t.Errorf("TruncatedEvents = %d", n)
			}
		})
	}

	t.Run("rejected_when_source_too_large", func(t *testing.T) {
		s := open(t, t.TempDir(), spool.Options{MaxEventSize: limit})
		err := s.Append(t.Context(), []event.Event{{Message: "ok"}, {Source: event.Source{Name: strings.Repeat("n", 2*limit)}}})
		if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), "event 1 of 2") {
			t.Fatalf("Append = %v, want ErrInvalid naming event 1", err)
		}
		if got := drain(t, s); len(got) != 0 {
			t.Errorf("rejected batch was stored: %d records", len(got))
		}
	})
}

func cloneEvent(ev event.Event) event.Event {
	if ev.Fields != nil {
		f := make(map[string]string, len(ev.Fields))
		for k, v := range ev.Fields {
			f[k] = v
		}
		ev.Fields = f
	}
	return ev
}

func TestSpool_CommitResumes(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, spool.Options{SegmentSize: 4096})
	for i := range 30 {
		appendAll(t, s, testBatch(i, 3))
	}
	if n := len(segments(t, dir)); n < 5 {
		t.Fatalf("%d segments, want several", n)
	}
	got := drain(t, s)
	if diff := cmp.Diff(seq(0, 30), batchIDs(t, got)); diff != "" {
		t.Fatalf("first read (-want +got):\n%s", diff)
	}
	if err := s.Commit(t.Context(), got[19].Pos); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(t.Context(), got[5].Pos); err != nil { // older: no-op
		t.Fatal(err)
	}
	st := s.Stats()
	if st.CommittedRecords != 20 || st.CommittedEvents != 60 || st.BacklogRecords != 10 {
		t.Errorf("stats after commit: %+v", st)
	}
	if first := segments(t, dir)[0]; !strings.HasSuffix(first, fmt.Sprintf("%012d.seg", got[19].Pos.Segment)) {
		t.Errorf("first segment %s, want the committed one %d (earlier ones deleted)", first, got[19].Pos.Segment)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir, spool.Options{SegmentSize: 4096})
	got = drain(t, s)
	if diff := cmp.Diff(seq(20, 30), batchIDs(t, got)); diff != "" {
		t.Fatalf("after reopen (-want +got):\n%s", diff)
	}
	if got[0].Seq != 21 {
		t.Errorf("first seq after reopen %d, want 21", got[0].Seq)
	}
	appendAll(t, s, testBatch(30, 3))
	more := drain(t, s)
	if len(more) != 1 || more[0].Seq != 31 {
		t.Errorf("appended after reopen: %+v", more)
	}
	if err := s.Commit(t.Context(), more[0].Pos); err != nil {
		t.Fatal(err)
	}
	st = s.Stats()
	if st.BacklogBytes != 0 || st.BacklogRecords != 0 || st.Segments != 1 || len(segments(t, dir)) != 1 {
		t.Errorf("after committing everything: %+v, files %v", st, segments(t, dir))
	}

	err := s.Commit(t.Context(), spool.Pos{Segment: more[0].Pos.Segment, Offset: more[0].Pos.Offset + 1})
	if !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("commit beyond the read position = %v, want ErrInvalid", err)
	}
}

func TestSpool_Locked(t *testing.T) {
	dir := t.TempDir()
	open(t, dir, spool.Options{})
	if s, err := spool.Open(t.Context(), dir, spool.Options{}); err == nil {
		s.Close()
		t.Fatal("second Open of a locked spool succeeded")
	}
}

func TestOpen_BadOptions(t *testing.T) {
	for _, opts := range []spool.Options{{SegmentSize: 10}, {MaxBacklog: -1}, {MaxEventSize: 100}, {MaxEventSize: spool.MaxRecordSize}} {
		if _, err := spool.Open(t.Context(), t.TempDir(), opts); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("Open(%+v) = %v, want ErrInvalid", opts, err)
		}
	}
}

// TestCrash_TornTail cuts the last segment at every byte offset of its
// final record, as a crash in the middle of the write would, and checks
// what a reopened spool delivers.
func TestCrash_TornTail(t *testing.T) {
	for _, tt := range []struct {
		name      string
		opts      spool.Options
		batches   int
		committed int // batches read and committed before the crash
	}{
		{name: "one_segment", batches: 20},
		{name: "many_segments_after_commit", opts: spool.Options{SegmentSize: 2048}, batches: 40, committed: 25},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := open(t, dir, tt.opts)
			for i := range tt.batches - 1 {
				appendAll(t, s, testBatch(i, 2))
			}
			if tt.committed > 0 {
				got := drain(t, s)
				if err := s.Commit(t.Context(), got[tt.committed-1].Pos); err != nil {
					t.Fatal(err)
				}
			}
			appendAll(t, s, tinyBatch(tt.batches-1))
			segs := segments(t, dir)
			last := segs[len(segs)-1]
			offs := recordOffsets(t, last)
			start, end := offs[len(offs)-1], fileSize(t, last)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			for cut := start; cut <= end; cut++ {
				crashed := copyDir(t, dir)
				if err := os.Truncate(filepath.Join(crashed, filepath.Base(last)), cut); err != nil {
					t.Fatal(err)
				}
				r, err := spool.Open(t.Context(), crashed, tt.opts)
				if err != nil {
					t.Fatalf("cut %d: Open: %v", cut, err)
				}
				want := seq(tt.committed, tt.batches-1)
				if cut == end {
					want = append(want, tt.batches-1)
				}
				got := drain(t, r)
				if diff := cmp.Diff(want, batchIDs(t, got)); diff != "" {
					t.Errorf("cut %d of [%d, %d] (-want +got):\n%s", cut, start, end, diff)
				}
				if st := r.Stats(); st.TruncatedTailBytes != uint64((cut-start)*boolInt(cut < end)) || st.CorruptRegions != 0 {
					t.Errorf("cut %d: stats %+v", cut, st)
				}
				if cut == start || cut == end-1 {
					// The spool keeps working after the repair.
					appendAll(t, r, tinyBatch(1000))
					if ids := batchIDs(t, drain(t, r)); len(ids) != 1 || ids[0] != 1000 {
						t.Errorf("cut %d: after repair got %v", cut, ids)
					}
				}
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// TestCrash_Damage damages spool files in the ways a crash or a bad disk
// can, and checks that every intact batch is still delivered, exactly once,
// twice in a row (recovery is idempotent).
func TestCrash_Damage(t *testing.T) {
	const n = 30
	opts := spool.Options{SegmentSize: 4096}
	// damage harms the spool in dir; where maps segment file names to the
	// batch ids of their records; it returns the ids lost.
	type damageFunc func(t *testing.T, dir string, where map[string][]int) (lost []int)
	corruptRecord := func(seg func(segs []string) string, rec int, off int64, b []byte) damageFunc {
		return func(t *testing.T, dir string, where map[string][]int) []int {
			path := seg(segments(t, dir))
			patch(t, path, recordOffsets(t, path)[rec]+off, b)
			return []int{where[filepath.Base(path)][rec]}
		}
	}
	second := func(segs []string) string { return segs[1] }
	last := func(segs []string) string { return segs[len(segs)-1] }
	tests := []struct {
		name    string
		damage  damageFunc
		corrupt uint64 // regions the reader reports
	}{
		{name: "payload_byte_flipped_in_sealed_segment", damage: corruptRecord(second, 1, 100, []byte{0xff}), corrupt: 1},
		{name: "record_header_zeroed_in_sealed_segment", damage: corruptRecord(second, 0, 0, make([]byte, 24)), corrupt: 1},
		{name: "length_changed_in_sealed_segment", damage: corruptRecord(second, 1, 4, []byte{0xff, 0xff}), corrupt: 1},
		{name: "middle_of_last_segment_kept", damage: corruptRecord(last, 1, 30, []byte("garbage")), corrupt: 1},
		{
			name: "segment_header_damaged",
			damage: func(t *testing.T, dir string, _ map[string][]int) []int {
				patch(t, segments(t, dir)[1], 0, []byte("XXXXXXXX"))
				return nil
			},
			corrupt: 1,
		},
		{
			name: "zeros_after_the_tail",
			damage: func(t *testing.T, dir string, _ map[string][]int) []int {
				f, err := os.OpenFile(last(segments(t, dir)), os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := f.Write(make([]byte, 8192)); err != nil {
					t.Fatal(err)
				}
				return nil
			},
		},
		{
			name: "torn_new_segment_header",
			damage: func(t *testing.T, dir string, _ map[string][]int) []int {
				next := filepath.Join(dir, fmt.Sprintf("%012d.seg", len(segments(t, dir))+1))
				if err := os.WriteFile(next, []byte("KHS"), 0o640); err != nil {
					t.Fatal(err)
				}
				return nil
			},
		},
		{
			name: "foreign_files_ignored",
			damage: func(t *testing.T, dir string, _ map[string][]int) []int {
				for _, name := range []string{"notes.txt", "1.seg", "00000000000x.seg"} {
					if err := os.WriteFile(filepath.Join(dir, name), []byte("KSR1 hello"), 0o640); err != nil {
						t.Fatal(err)
					}
				}
				return nil
			},
		},
		{
			name: "checkpoint_damaged_replays_everything",
			damage: func(t *testing.T, dir string, _ map[string][]int) []int {
				if err := os.WriteFile(filepath.Join(dir, "checkpoint"), []byte("not a checkpoint"), 0o640); err != nil {
					t.Fatal(err)
				}
				return nil
			},
		},
		{
			name: "stale_checkpoint_tmp_ignored",
			damage: func(t *testing.T, dir string, _ map[string][]int) []int {
				if err := os.WriteFile(filepath.Join(dir, "checkpoint.tmp"), []byte("half"), 0o640); err != nil {
					t.Fatal(err)
				}
				return nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := open(t, dir, opts)
			for i := range n {
				appendAll(t, s, testBatch(i, 3))
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if len(recordOffsets(t, last(segments(t, dir)))) < 3 {
				t.Fatal("the last segment needs three records for these cases")
			}
			want := seq(0, n)
			for _, id := range tt.damage(t, dir, locate(t, dir, opts)) {
				want = without(want, id)
			}
			for round := range 2 {
				r := open(t, dir, opts)
				got := drain(t, r)
				if diff := cmp.Diff(want, batchIDs(t, got)); diff != "" {
					t.Errorf("round %d (-want +got):\n%s", round, diff)
				}
				if st := r.Stats(); st.CorruptRegions != tt.corrupt {
					t.Errorf("round %d: CorruptRegions = %d, want %d", round, st.CorruptRegions, tt.corrupt)
				}
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// locate maps each segment file name to the batch ids of its records.
func locate(t *testing.T, dir string, opts spool.Options) map[string][]int {
	t.Helper()
	s := open(t, copyDir(t, dir), opts)
	where := map[string][]int{}
	for _, b := range drain(t, s) {
		name := fmt.Sprintf("%012d.seg", b.Pos.Segment)
		where[name] = append(where[name], batchIDs(t, []spool.Batch{b})...)
	}
	return where
}

func without(s []int, v int) []int {
	var out []int
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

func TestSpool_BackPressure(t *testing.T) {
	s := open(t, t.TempDir(), spool.Options{MaxBacklog: 2000})
	appendAll(t, s, testBatch(0, 2), testBatch(1, 2)) // about 1.3 KB: under the limit
	if b := s.Stats().BacklogBytes; b < 2000 {
		appendAll(t, s, testBatch(2, 2))
	}

	done := make(chan error, 1)
	go func() { done <- s.Append(context.Background(), testBatch(9, 2)) }()
	waitFor(t, func() bool { return s.Stats().BlockedAppends == 1 })
	select {
	case err := <-done:
		t.Fatalf("Append over the backlog limit returned %v without waiting", err)
	default:
	}
	// The consumer catches up: the blocked Append goes through.
	got := drain(t, s)
	if err := s.Commit(t.Context(), got[len(got)-1].Pos); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("blocked Append = %v after Commit", err)
	}

	// Fill up again; a cancelled context unblocks the writer.
	for s.Stats().BacklogBytes < 2000 {
		appendAll(t, s, testBatch(10, 2))
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { done <- s.Append(ctx, testBatch(11, 2)) }()
	waitFor(t, func() bool { return s.Stats().BlockedAppends == 2 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Append after cancel = %v, want context.Canceled", err)
	}

	// Close unblocks too.
	go func() { done <- s.Append(context.Background(), testBatch(12, 2)) }()
	waitFor(t, func() bool { return s.Stats().BlockedAppends == 3 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, spool.ErrClosed) {
		t.Fatalf("Append blocked at Close = %v, want ErrClosed", err)
	}
}

// waitFor polls cond: the condition is another goroutine reaching a
// blocking point, which no channel reports.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSpool_NextWaitsAndCloses(t *testing.T) {
	s := open(t, t.TempDir(), spool.Options{})
	got := make(chan spool.Batch, 1)
	go func() {
		b, err := s.Next(t.Context())
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	appendAll(t, s, testBatch(7, 1))
	if ids := batchIDs(t, []spool.Batch{<-got}); ids[0] != 7 {
		t.Errorf("Next got %v", ids)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next with nothing to read = %v, want deadline exceeded", err)
	}

	errc := make(chan error, 1)
	go func() { errc <- s.Read(t.Context(), func(spool.Batch) error { return nil }) }()
	s.Close()
	if err := <-errc; !errors.Is(err, spool.ErrClosed) {
		t.Errorf("Read at Close = %v, want ErrClosed", err)
	}
	if err := s.Append(t.Context(), testBatch(8, 1)); !errors.Is(err, spool.ErrClosed) {
		t.Errorf("Append after Close = %v", err)
	}
}

// TestSpool_Concurrent has many writers and a consumer that reads and
// commits, with small segments and a small backlog limit (run with -race).
func TestSpool_Concurrent(t *testing.T) {
	const writers, perWriter, size = 8, 40, 10
	dir := t.TempDir()
	s := open(t, dir, spool.Options{SegmentSize: 16 << 10, MaxBacklog: 64 << 10})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type seen struct{ writer, n int }
	var got []seen
	consumerDone := make(chan error, 1)
	go func() {
		var read int
		consumerDone <- s.Read(ctx, func(b spool.Batch) error {
			id, _ := strconv.Atoi(b.Events[0].Get(batchField))
			got = append(got, seen{id / 1000, id % 1000})
			read++
			if read%3 == 0 || read == writers*perWriter {
				if err := s.Commit(ctx, b.Pos); err != nil {
					return err
				}
			}
			if read == writers*perWriter {
				return errors.New("done")
			}
			return nil
		})
	}()

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				if err := s.Append(ctx, testBatch(w*1000+i, size)); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := <-consumerDone; err == nil || err.Error() != "done" {
		t.Fatalf("consumer: %v", err)
	}

	next := make([]int, writers)
	for _, g := range got {
		if g.n != next[g.writer] {
			t.Fatalf("writer %d: got batch %d, want %d (out of order or duplicated)", g.writer, g.n, next[g.writer])
		}
		next[g.writer]++
	}
	st := s.Stats()
	if st.AppendedRecords != writers*perWriter || st.CommittedRecords != writers*perWriter ||
		st.CommittedEvents != writers*perWriter*size || st.BacklogBytes != 0 || st.BacklogRecords != 0 || st.Segments != 1 {
		t.Errorf("stats %+v", st)
	}
	if st.Syncs >= st.AppendedRecords {
		t.Logf("no group commit happened: %d syncs for %d records", st.Syncs, st.AppendedRecords)
	}
	if n := len(segments(t, dir)); n != 1 {
		t.Errorf("%d segment files left after committing everything", n)
	}
}

// TestCrash_CopyWhileWriting copies the spool directory at arbitrary moments
// while writers append (a crash image: the last record is often half
// copied), and checks that every batch acknowledged before the copy began
// is in the copy.
func TestCrash_CopyWhileWriting(t *testing.T) {
	opts := spool.Options{SegmentSize: 32 << 10}
	dir := t.TempDir()
	s := open(t, dir, opts)
	ctx, cancel := context.WithCancel(t.Context())
	var mu sync.Mutex
	var acked []int
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				id := i*4 + w
				if err := s.Append(ctx, testBatch(id, 1+id%7)); err != nil {
					if ctx.Err() == nil {
						t.Error(err)
					}
					return
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		})
	}
	for round := range 6 {
		waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(acked) > 20*(round+1) })
		mu.Lock()
		before := slices.Clone(acked)
		mu.Unlock()
		crashed := copyDir(t, dir)
		r, err := spool.Open(t.Context(), crashed, opts)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int]bool{}
		for _, id := range batchIDs(t, drain(t, r)) {
			if got[id] {
				t.Errorf("round %d: batch %d delivered twice", round, id)
			}
			got[id] = true
		}
		r.Close()
		for _, id := range before {
			if !got[id] {
				t.Errorf("round %d: acknowledged batch %d missing from the copy", round, id)
			}
		}
	}
	cancel()
	wg.Wait()
}

func TestSpool_SegmentRemovedWhileOpen(t *testing.T) {
	opts := spool.Options{SegmentSize: 4096}
	dir := t.TempDir()
	s := open(t, dir, opts)
	for i := range 12 {
		appendAll(t, s, testBatch(i, 3))
	}
	where := locate(t, dir, opts)
	victim := segments(t, dir)[1]
	if err := os.Remove(victim); err != nil {
		t.Fatal(err)
	}
	want := seq(0, 12)
	for _, id := range where[filepath.Base(victim)] {
		want = without(want, id)
	}
	if diff := cmp.Diff(want, batchIDs(t, drain(t, s))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if st := s.Stats(); st.CorruptRegions != 1 {
		t.Errorf("CorruptRegions = %d", st.CorruptRegions)
	}
}
