// Package eventstore is the contract between Khiên and its event store: append
// batches of events, hunt them with LogsQL over a time range within the
// user's units, count them per interval, and keep them for a configured
// time and disk budget (DESIGN.md §5, docs/eventstore.md).
//
// The engine is VictoriaLogs; this package does not import it. The embedded
// implementation is in eventstore/vlstore, the remote one (over the
// engine's HTTP API) in eventstore/vlremote; what both do alike — the
// mapping of events to rows, the engine's limits, query bounds, the series
// of Hits — is here, and the shared behavioural suite is in
// eventstore/eventstoretest.
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
)

// Store keeps events. Every method is safe for concurrent use. Methods that
// block honour ctx; after Close every method returns ErrClosed.
type Store interface {
	// Append stores a batch of events, each in the tenant of its UnitID.
	// The store does not retain events after the call.
	//
	// Events the store refuses — older than the retention, too far in the
	// future, beyond the engine's limits — are not stored and are counted
	// in the result by reason; the error is nil for them. A non-nil error
	// means the batch was not (or not entirely) stored — the store is
	// closed, the disk is full, ctx ended, the engine failed — and the
	// caller may retry it from its spool; a retry may store some events
	// twice.
	//
	// Appended events become searchable within a few seconds, or at once
	// after Flush; they are on disk only after Flush or Close (the engine
	// has no write-ahead log), so callers keep them in a durable spool
	// until then.
	Append(ctx context.Context, events []event.Event) (AppendResult, error)

	// Query runs q and calls fn for each result — one call at a time,
	// possibly from the store's own goroutines, so fn must not panic — at
	// most q.Limit times (the store's default when 0, capped by the
	// store's maximum). Without pipes that reshape rows, results are
	// events, newest first unless q.Order says otherwise. When q.Expr ends
	// in pipes such as stats, top or uniq, each output row comes back as
	// an Event whose Fields hold its columns (Time is zero unless the row
	// has _time). Each Event is the caller's to keep: the store does not
	// reuse it. An error from fn stops the query and is returned as is.
	// The query stops at the store's timeout (or q.Timeout, if shorter)
	// with an error wrapping ErrTimeout.
	Query(ctx context.Context, q Query, fn func(event.Event) error) error

	// Hits counts the events matching q per interval of step, starting at
	// q.From: the sparkline and histogram of the hunts and sources pages.
	// With by, one series per distinct combination of those fields' values;
	// q.Limit bounds the number of series (the rest are summed in one
	// series with Other set). Pipes in q.Expr that reshape rows are
	// ignored.
	Hits(ctx context.Context, q Query, step time.Duration, by ...string) (Hits, error)

	// Flush makes every event appended before the call searchable and
	// writes it to disk. It is slower than Append (up to about a second);
	// call it when a spool segment is to be released, not per batch.
	Flush(ctx context.Context) error

	// Close flushes what is pending to disk and releases the store. It
	// waits for running calls to return.
	Close() error
}

// ValueIndex is implemented by stores that index the values of some fields
// as events are appended (vlstore with Options.IndexFields: the IP
// fields), so that looking many values up does not read every event.
type ValueIndex interface {
	// IndexedFields lists the indexed fields (names as in events).
	IndexedFields() []string
	// Occurrences calls fn with each occurrence of one of values in one of
	// fields among the events of q.Units with q.From <= Time < q.To (q.Expr
	// and the other fields of q are ignored): the same events as the query
	// `field1:in(values) or field2:in(values) …`, one call per field that
	// matches. Calls come day by day, the oldest first, in no order within
	// a day. It fails with an error wrapping ErrNotIndexed when the index
	// cannot answer — a field is not indexed, or a day of the range holds
	// events stored before the index existed — and the caller queries
	// instead.
	Occurrences(ctx context.Context, q Query, fields, values []string, fn func(Occurrence) error) error
}

// Occurrence is one indexed value of one stored event.
type Occurrence struct {
	Time  time.Time
	Unit  int64
	Host  string // host.name
	Field string
	Value string
}

// ErrNotIndexed is returned by ValueIndex.Occurrences when the index does
// not cover the look-up.
var ErrNotIndexed = errors.New("not covered by the value index")

// UsageReporter is implemented by stores that can report their size; the
// system page and /metrics show it.
type UsageReporter interface {
	Usage(ctx context.Context) (Usage, error)
}

// Usage describes what a store holds.
type Usage struct {
	// DiskBytes is the size of the stored data (compressed, with indexes).
	DiskBytes int64
	// MaxDiskBytes is the configured disk budget, 0 when unlimited.
	MaxDiskBytes int64
	// Rows is the number of stored events.
	Rows uint64
	// Partitions is the number of per-day partitions.
	Partitions int
	// Oldest and Newest are the smallest and largest event times stored;
	// zero when the store is empty.
	Oldest, Newest time.Time
	// ReadOnly is set when free disk space fell below the configured
	// minimum: Append fails with ErrReadOnly until space is freed.
	ReadOnly bool
}

// Retention says how long events are kept. Whichever limit is reached
// first applies; events are deleted by whole days, oldest first.
type Retention struct {
	// Days is the age, in days, beyond which events are deleted and new
	// events are refused (counted in AppendResult.TooOld). At least 1.
	Days int
	// MaxDiskBytes, when > 0, bounds the store's size on disk: the oldest
	// days are deleted when it is exceeded (the newest two days are always
	// kept). Events for an already deleted day are refused.
	MaxDiskBytes int64
}

// DefaultRetention keeps events for 30 days without a size limit.
func DefaultRetention() Retention { return Retention{Days: 30} }

// Check reports an invalid retention, wrapping errs.ErrInvalid.
func (r Retention) Check() error {
	var problems []error
	if r.Days < 1 {
		problems = append(problems, fmt.Errorf("retention days %d: must be at least 1: %w", r.Days, errs.ErrInvalid))
	}
	if r.MaxDiskBytes < 0 {
		problems = append(problems, fmt.Errorf("retention max disk bytes %d: must not be negative: %w", r.MaxDiskBytes, errs.ErrInvalid))
	}
	return errors.Join(problems...)
}

// AppendResult counts what Append did with a batch.
type AppendResult struct {
	// Stored is the number of events stored.
	Stored int
	// TooOld counts events older than the retention, or for a day already
	// deleted to keep within the disk budget.
	TooOld int
	// TooNew counts events more than the allowed skew (two days) in the
	// future.
	TooNew int
	// Invalid counts events the engine cannot hold: a unit id out of
	// range, more than 2,000 fields, a field name longer than 128 bytes, or
	// more than 2 MiB in all.
	Invalid int
}

// Dropped returns the number of events not stored.
func (r AppendResult) Dropped() int { return r.TooOld + r.TooNew + r.Invalid }

// Add adds o's counts to r.
func (r *AppendResult) Add(o AppendResult) {
	r.Stored += o.Stored
	r.TooOld += o.TooOld
	r.TooNew += o.TooNew
	r.Invalid += o.Invalid
}

// Order is the order of Query results.
type Order int

// Orders of Query results.
const (
	// Newest returns the newest events first (the default).
	Newest Order = iota
	// Oldest returns the oldest events first.
	Oldest
	// Unordered returns events as the store finds them: the cheapest, for
	// exports and retro-hunts that do not need an order.
	Unordered
)

// Query selects events.
type Query struct {
	// Units are the units (tenants) to search; at least one. Events of
	// other units are never returned, whatever Expr says.
	Units []int64
	// From and To bound the events' time: From <= Time < To. Both are
	// required.
	From, To time.Time
	// Expr is a LogsQL query (filters, optionally followed by pipes); ""
	// means every event.
	Expr string
	// Limit is the maximum number of results; 0 means the store's default.
	// Values above the store's maximum are lowered to it.
	Limit int
	// Fields, when set, restricts results to these fields (names as stored,
	// see docs/eventstore.md); _time is always kept.
	Fields []string
	// Order is the order of results when Expr has no pipe that reshapes
	// rows.
	Order Order
	// Timeout, when > 0 and shorter than the store's maximum query
	// duration, bounds this query.
	Timeout time.Duration
}

// MaxUnitID is the largest unit id the store can hold (the engine's tenant
// ids are 32-bit).
const MaxUnitID = 1<<32 - 1

// Check reports a query that no store can run, wrapping errs.ErrInvalid.
func (q Query) Check() error {
	var problems []error
	if len(q.Units) == 0 {
		problems = append(problems, errors.New("no unit"))
	}
	for _, u := range q.Units {
		if u < 0 || u > MaxUnitID {
			problems = append(problems, fmt.Errorf("unit %d out of range", u))
		}
	}
	switch {
	case q.From.IsZero() || q.To.IsZero():
		problems = append(problems, errors.New("time range must have both ends"))
	case !q.From.Before(q.To):
		problems = append(problems, fmt.Errorf("empty time range [%s, %s)", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339)))
	}
	if q.Limit < 0 {
		problems = append(problems, fmt.Errorf("negative limit %d", q.Limit))
	}
	if q.Order < Newest || q.Order > Unordered {
		problems = append(problems, fmt.Errorf("unknown order %d", q.Order))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("event query: %w: %w", errors.Join(problems...), errs.ErrInvalid)
}

// Hits is the result of Store.Hits: counts per interval.
type Hits struct {
	// Start is the start of the first interval (the query's From).
	Start time.Time
	// Step is the length of each interval.
	Step time.Duration
	// Buckets is the number of intervals, the last one possibly cut by the
	// query's To.
	Buckets int
	// Series are the counts, largest total first; empty when nothing
	// matched.
	Series []Series
}

// Series is one group's counts.
type Series struct {
	// Labels are the values of the grouping fields ("" when an event lacks
	// the field); nil without grouping.
	Labels map[string]string
	// Counts has one count per interval (len = Hits.Buckets).
	Counts []uint64
	// Total is the sum of Counts.
	Total uint64
	// Other is set on the series that sums every group beyond the limit.
	Other bool
}

// MaxHitsBuckets bounds the number of intervals of a Hits call.
const MaxHitsBuckets = 10_000

// Names of the fields the store adds to every event, besides the engine's
// _time (Event.Time) and _msg (Event.Message). Event fields with these names
// or with the engine's reserved names are stored under FieldEscapePrefix and
// returned under their own names.
const (
	FieldUnit         = "khien.unit"
	FieldSourceKind   = "khien.source.kind"
	FieldSourceName   = "khien.source.name"
	FieldSourceAddr   = "khien.source.addr"
	FieldReceived     = "khien.received"
	FieldParseError   = "khien.parse_error"
	FieldEscapePrefix = "khien.field."
)

// Errors of the event store. Each wraps an errs kind.
var (
	// ErrClosed is returned by every method after Close.
	ErrClosed = fmt.Errorf("event store closed: %w", errs.ErrUnavailable)
	// ErrInUse is returned by Open when the data directory is held by
	// another store, in this process or another.
	ErrInUse = fmt.Errorf("event store directory in use: %w", errs.ErrLocked)
	// ErrReadOnly is returned by Append while free disk space is below the
	// configured minimum.
	ErrReadOnly = fmt.Errorf("event store read-only: free disk space below minimum: %w", errs.ErrUnavailable)
	// ErrTimeout is returned when a query exceeds its time budget.
	ErrTimeout = fmt.Errorf("event query timed out: %w", errs.ErrUnavailable)
	// ErrFailed is returned after the engine failed (an I/O error it could
	// not handle); the process should restart and replay its spool.
	ErrFailed = fmt.Errorf("event store failed: %w", errs.ErrUnavailable)
)
