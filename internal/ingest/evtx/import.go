package evtx

import (
	"context"
	"fmt"
	"io"
	"time"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
)

// ImportOptions configure Import.
type ImportOptions struct {
	// Sink receives the events in batches; required.
	Sink ingest.Sink
	// Source names the import in Source.Name, e.g. "evtx:Security.evtx".
	Source string
	// UnitID, when not 0, is the unit of every event (else attribution
	// decides).
	UnitID int64
	// OldestKept, when not zero, is the oldest event time the event store
	// keeps: older events are not sent and are counted in TooOld, so that
	// the caller can say so rather than lose them silently.
	OldestKept time.Time
	// BatchSize is the number of events per Sink call (default 1,000).
	BatchSize int
	// Progress, if not nil, is called after each batch with the reader's
	// counters (ChunksDone of Chunks).
	Progress func(Stats)
	// Now is the clock of Received (time.Now when nil).
	Now func() time.Time
}

// ImportResult says what Import did.
type ImportResult struct {
	Records       int       // records read
	Events        int       // events handed to the sink
	TooOld        int       // events older than OldestKept, not sent
	RecordErrors  int       // records only partly decoded (sent with a parse error)
	ChunksSkipped int       // corrupt chunks skipped
	Oldest        time.Time // oldest event time seen (also of those too old)
	Newest        time.Time // newest event time seen
}

// Import reads every record of the EVTX data in r and hands the events to
// opts.Sink. A sink error stops the import: what was accepted before stays
// accepted, and the result counts it.
func Import(ctx context.Context, r io.ReaderAt, size int64, opts ImportOptions) (ImportResult, error) {
	var res ImportResult
	rd, err := Open(r, size)
	if err != nil {
		return res, err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	batch := make([]event.Event, 0, opts.BatchSize)
	send := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := opts.Sink.Accept(ctx, batch); err != nil {
			return fmt.Errorf("store events: %w", err)
		}
		res.Events += len(batch)
		batch = make([]event.Event, 0, opts.BatchSize)
		if opts.Progress != nil {
			opts.Progress(rd.Stats())
		}
		return nil
	}
	received := opts.Now().UTC()
	err = rd.Records(ctx, func(rec Record) error {
		res.Records++
		ev := rec.Event(opts.Source)
		if !ev.Time.IsZero() {
			if res.Oldest.IsZero() || ev.Time.Before(res.Oldest) {
				res.Oldest = ev.Time
			}
			if ev.Time.After(res.Newest) {
				res.Newest = ev.Time
			}
			if !opts.OldestKept.IsZero() && ev.Time.Before(opts.OldestKept) {
				res.TooOld++
				return nil
			}
		}
		ev.Received = received
		ev.UnitID = opts.UnitID
		batch = append(batch, ev)
		if len(batch) >= opts.BatchSize {
			return send()
		}
		return nil
	})
	if err == nil {
		err = send()
	}
	st := rd.Stats()
	res.RecordErrors, res.ChunksSkipped = st.RecordErrors, st.ChunksSkipped
	if opts.Progress != nil {
		opts.Progress(st)
	}
	return res, err
}
