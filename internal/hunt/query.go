// Package hunt runs threat hunts over stored events: LogsQL queries
// bounded to the hunter's units, a time range, a duration and a result
// size, with the time histogram and field summary a hunting page shows,
// and exports of the results. See docs/hunting.md.
package hunt

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/eventstore"
)

// Defaults and bounds of Options.
const (
	DefaultPage      = 100
	DefaultMaxRange  = 400 * 24 * time.Hour
	DefaultMaxExport = 100_000
	MaxQueryLen      = 64 << 10 // bytes of LogsQL (long in(…) lists fit)
	// MaxSweepLen bounds the LogsQL of Each, whose filter Khiên builds
	// from the active indicators (intel.Matcher.SweepQuery): 10,000 IP
	// indicators make about 1.6 MB (one in(…) list per IP field).
	MaxSweepLen      = 32 << 20
	histogramBuckets = 60
	summaryFields    = 40 // fields summarised per page
	topValues        = 5
)

// Options configure a Service.
type Options struct {
	// Units returns every unit id (for a principal that sees all).
	Units func(ctx context.Context) ([]int64, error)
	// MaxRange bounds a query's time range (default DefaultMaxRange).
	MaxRange time.Duration
	// MaxExport bounds an export's rows (default DefaultMaxExport).
	MaxExport int
	// Timeout bounds each query (0: the store's own limit).
	Timeout time.Duration
	Now     func() time.Time
}

// Service runs hunts.
type Service struct {
	store eventstore.Store
	o     Options

	mu      sync.Mutex
	fields  map[string]bool // FieldNames' list
	fieldAt time.Time
}

// New returns a Service over store.
func New(store eventstore.Store, o Options) *Service {
	if o.MaxRange <= 0 {
		o.MaxRange = DefaultMaxRange
	}
	if o.MaxExport <= 0 {
		o.MaxExport = DefaultMaxExport
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{store: store, o: o}
}

// Query is a hunt query as a user gives it.
type Query struct {
	// Expr is LogsQL: filters, then optional pipes (stats, sort, limit,
	// fields …); "" or "*" is every event.
	Expr string
	// From and To bound the events' time (From <= time < To); zero To is
	// now, zero From is 24 hours before To.
	From, To time.Time
	// Units narrows the search to these units (and must be in the
	// hunter's scope); nil is every unit of the scope.
	Units []int64
	// Limit is the number of results (default DefaultPage).
	Limit int
	// Oldest returns the oldest first instead of the newest.
	Oldest bool
}

// SyntaxError is a query the event store cannot parse: Pos is the byte
// offset in the query where it gave up (-1 when unknown).
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	if e.Pos < 0 {
		return "query syntax: " + e.Msg
	}
	return fmt.Sprintf("query syntax at byte %d: %s", e.Pos, e.Msg)
}

// Public makes the error one the API and UI show, with its position.
func (e *SyntaxError) Public() error {
	return errs.Invalid("q", "err.query_syntax", max(e.Pos, 0), e.Msg)
}

// prepare checks p's permission and q's bounds (a query of at most maxLen
// bytes) and returns the store query.
func (s *Service) prepare(ctx context.Context, p *authz.Principal, q Query, maxLen int) (eventstore.Query, error) {
	if err := p.Authorize(authz.PermEventRead, 0); err != nil {
		return eventstore.Query{}, err
	}
	expr := strings.TrimSpace(q.Expr)
	if expr == "" {
		expr = "*"
	}
	if len(expr) > maxLen || !utf8.ValidString(expr) {
		return eventstore.Query{}, errs.Invalid("q", "err.query_too_long", maxLen)
	}
	to, from := q.To, q.From
	if to.IsZero() {
		to = s.o.Now()
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	if !from.Before(to) {
		return eventstore.Query{}, errs.Invalid("from", "err.time_range")
	}
	if to.Sub(from) > s.o.MaxRange {
		return eventstore.Query{}, errs.Invalid("from", "err.time_range_long", int(s.o.MaxRange.Hours()/24))
	}
	units, err := s.units(ctx, p, q.Units)
	if err != nil {
		return eventstore.Query{}, err
	}
	order := eventstore.Newest
	if q.Oldest {
		order = eventstore.Oldest
	}
	return eventstore.Query{Units: units, From: from.UTC(), To: to.UTC(), Expr: expr, Limit: q.Limit, Order: order, Timeout: s.o.Timeout}, nil
}

// units returns the units a query of p searches: the asked ones, each of
// which p must see, or all of p's scope. The store never returns events
// of other units, whatever the expression says.
func (s *Service) units(ctx context.Context, p *authz.Principal, asked []int64) ([]int64, error) {
	if asked != nil {
		for _, u := range asked {
			if err := p.Authorize(authz.PermEventRead, u); err != nil {
				return nil, err
			}
		}
		if len(asked) == 0 {
			return nil, errs.Invalid("unit", "err.unit_required")
		}
		return slices.Clone(asked), nil
	}
	if !p.All {
		units := p.ScopeList()
		if len(units) == 0 {
			return nil, errs.Public(errs.ErrForbidden, "err.out_of_scope")
		}
		return units, nil
	}
	if s.o.Units == nil {
		return nil, errors.New("hunt: no unit list")
	}
	return s.o.Units(ctx)
}

// syntax turns the store's parse error into a SyntaxError with the
// position: the store quotes the part of the query it read, as
// "context: [<prefix>]".
func syntax(expr string, err error) error {
	if !errors.Is(err, errs.ErrInvalid) {
		return err
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "event query: ")
	msg = strings.TrimSuffix(msg, ": "+errs.ErrInvalid.Error())
	pos := -1
	if i := strings.LastIndex(msg, "; context: ["); i >= 0 && strings.HasSuffix(msg, "]") {
		ctx := msg[i+len("; context: [") : len(msg)-1]
		msg = msg[:i]
		if j := strings.Index(expr, ctx); j >= 0 {
			pos = j + len(ctx)
		} else if strings.HasPrefix(expr, strings.TrimSpace(ctx)) {
			pos = len(strings.TrimSpace(ctx))
		}
	}
	return &SyntaxError{Pos: pos, Msg: msg}
}

// Page is one page of a hunt.
type Page struct {
	// Query is the store query that ran (units, range, expression).
	Query  eventstore.Query `json:"query"`
	Events []event.Event    `json:"events"`
	// More is set when the page is full: there may be more results.
	More bool `json:"more"`
	// Fields summarise the page's fields: how many events have each and
	// the most frequent values.
	Fields []FieldSummary `json:"fields"`
	// Histogram counts all matching events (not only the page) over the
	// range; empty for queries whose pipes reshape rows.
	Histogram eventstore.Hits `json:"histogram"`
	Took      time.Duration   `json:"took_ns"`
}

// FieldSummary is one field of a page.
type FieldSummary struct {
	Name   string       `json:"name"`
	Events int          `json:"events"`
	Top    []ValueCount `json:"top"`
}

// ValueCount is a value and how many events of the page have it.
type ValueCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Search runs one page of a hunt with its histogram.
func (s *Service) Search(ctx context.Context, p *authz.Principal, q Query) (Page, error) {
	sq, err := s.prepare(ctx, p, q, MaxQueryLen)
	if err != nil {
		return Page{}, err
	}
	if sq.Limit <= 0 {
		sq.Limit = DefaultPage
	}
	start := s.o.Now()
	res := Page{Query: sq}
	err = s.store.Query(ctx, sq, func(e event.Event) error {
		res.Events = append(res.Events, e)
		return nil
	})
	if err != nil {
		return Page{}, syntax(sq.Expr, err)
	}
	res.More = len(res.Events) >= sq.Limit
	res.Fields = summarise(res.Events)
	step := max(sq.To.Sub(sq.From)/histogramBuckets, time.Second).Round(time.Second)
	if h, err := s.store.Hits(ctx, sq, step); err == nil {
		res.Histogram = h
	}
	res.Took = s.o.Now().Sub(start)
	return res, nil
}

// summarise counts the fields of events and their most frequent values.
func summarise(events []event.Event) []FieldSummary {
	type counts struct {
		events int
		values map[string]int
	}
	all := map[string]*counts{}
	for _, e := range events {
		for k, v := range e.Fields {
			c := all[k]
			if c == nil {
				c = &counts{values: map[string]int{}}
				all[k] = c
			}
			c.events++
			if len(c.values) < 1000 || c.values[v] > 0 {
				c.values[v]++
			}
		}
	}
	out := make([]FieldSummary, 0, len(all))
	for name, c := range all {
		fs := FieldSummary{Name: name, Events: c.events}
		for v, n := range c.values {
			fs.Top = append(fs.Top, ValueCount{Value: v, Count: n})
		}
		sort.Slice(fs.Top, func(i, j int) bool {
			if fs.Top[i].Count != fs.Top[j].Count {
				return fs.Top[i].Count > fs.Top[j].Count
			}
			return fs.Top[i].Value < fs.Top[j].Value
		})
		fs.Top = fs.Top[:min(len(fs.Top), topValues)]
		out = append(out, fs)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Events != out[j].Events {
			return out[i].Events > out[j].Events
		}
		return out[i].Name < out[j].Name
	})
	return out[:min(len(out), summaryFields)]
}

// Formats of Export.
const (
	CSV   = "csv"
	JSONL = "jsonl"
)

// DefaultCSVFields are the columns of a CSV export when none are asked.
var DefaultCSVFields = []string{"host.name", "user.name", "source.ip", "destination.ip", "event.dataset", "event.action", "process.command_line"}

// Export writes up to MaxExport results of q to w: JSON lines (every
// event whole) or CSV (time, unit, the given fields or DefaultCSVFields,
// message). It returns how many it wrote.
func (s *Service) Export(ctx context.Context, p *authz.Principal, q Query, format string, fields []string, w io.Writer) (int, error) {
	sq, err := s.prepare(ctx, p, q, MaxQueryLen)
	if err != nil {
		return 0, err
	}
	if sq.Limit <= 0 || sq.Limit > s.o.MaxExport {
		sq.Limit = s.o.MaxExport
	}
	n := 0
	switch format {
	case JSONL:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		err = s.store.Query(ctx, sq, func(e event.Event) error {
			n++
			return enc.Encode(e)
		})
	case CSV:
		if len(fields) == 0 {
			fields = DefaultCSVFields
		}
		cw := csv.NewWriter(w)
		if err := cw.Write(append(append([]string{"time", "unit_id"}, fields...), "message")); err != nil {
			return 0, err
		}
		row := make([]string, len(fields)+3)
		err = s.store.Query(ctx, sq, func(e event.Event) error {
			row[0], row[1] = e.Time.UTC().Format(time.RFC3339Nano), fmt.Sprint(e.UnitID)
			for i, f := range fields {
				row[i+2] = csvSafe(e.Fields[f])
			}
			row[len(row)-1] = csvSafe(e.Message)
			n++
			return cw.Write(row)
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
	default:
		return 0, errs.Invalid("format", "err.invalid")
	}
	if err != nil {
		return n, syntax(sq.Expr, err)
	}
	return n, nil
}

// csvSafe defuses values a spreadsheet would run as a formula (CSV
// injection): a leading =, +, -, @, tab or carriage return gets a quote.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// Quote quotes a value for LogsQL (a double-quoted string with Go
// escapes, which LogsQL reads).
func Quote(v string) string { return strconv.Quote(v) }

// QuoteField quotes a field name when it holds anything but letters,
// digits, dots, underscores and dashes.
func QuoteField(name string) string {
	for _, r := range name {
		if !(r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return strconv.Quote(name)
		}
	}
	return name
}

// AddFilter returns expr with the exact-match filter field:="value" added
// to its filters (before its first pipe), for "click a value to filter".
func AddFilter(expr, field, value string) string {
	filter := QuoteField(field) + ":=" + Quote(value)
	expr = strings.TrimSpace(expr)
	if expr == "" || expr == "*" {
		return filter
	}
	filters, pipes := splitPipes(expr)
	filters = strings.TrimSpace(filters)
	if filters == "" || filters == "*" {
		filters = filter
	} else {
		filters = "(" + filters + ") " + filter
	}
	if pipes != "" {
		return filters + " " + pipes
	}
	return filters
}

// splitPipes splits a LogsQL query at its first pipe outside quotes.
func splitPipes(expr string) (filters, pipes string) {
	var quote byte
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '|':
			return expr[:i], expr[i:]
		}
	}
	return expr, ""
}

// fieldNamesTTL is how long FieldNames reuses its list.
const fieldNamesTTL = 5 * time.Minute

// FieldNames reports which fields the stored events of any unit carry (at
// most MaxRange back), for IOC sweeps to leave out the fields no event
// has: each field repeats an indicator list that may hold thousands of
// values. The list is reused for fieldNamesTTL — a field first seen
// meanwhile is left out of sweeps until then (live matching sees it). It
// returns nil (every field may be present) when the list is unknown.
func (s *Service) FieldNames(ctx context.Context) func(string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	if s.fields == nil || now.Sub(s.fieldAt) > fieldNamesTTL {
		if s.o.Units == nil {
			return nil
		}
		units, err := s.o.Units(ctx)
		if err != nil || len(units) == 0 {
			return nil
		}
		names := map[string]bool{}
		q := eventstore.Query{Units: units, From: now.Add(-s.o.MaxRange), To: now.Add(time.Minute), Expr: "* | field_names",
			Limit: 100_000, Order: eventstore.Unordered, Timeout: s.o.Timeout}
		if err := s.store.Query(ctx, q, func(e event.Event) error {
			names[e.Fields["name"]] = true
			return nil
		}); err != nil || len(names) == 0 {
			return nil
		}
		s.fields, s.fieldAt = names, now
	}
	fields := s.fields
	return func(f string) bool { return fields[f] }
}
