// Package sources tracks every event source (a listener kind, a listener
// or token name, and a sending host) for the Sources page and the
// silent-source alert: when it was first and last seen, how many events,
// parse errors and bytes it sent, its event rate per time bucket over a
// window (for a sparkline), and its latest parse errors. A source that used
// to send and has gone quiet is silent; CheckSilent reports each one once.
// The state can be saved and loaded so that it survives restarts.
//
// See docs/sources.md.
package sources

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest"
)

// fieldAssetID is the field attribution adds with the matched asset's id
// (attribute.FieldAssetID, repeated so that this package does not depend on
// the asset domain; a test keeps the two equal).
const fieldAssetID = "khien.asset.id"

// Limits of a parse-error sample, in bytes.
const (
	MaxSampleReason  = 300
	MaxSampleMessage = 500
)

// maxBuckets bounds Window/Bucket (a day of one-minute buckets), so that a
// mistaken option cannot make every source allocate a huge ring.
const maxBuckets = 1440

// Defaults of Options.
const (
	DefaultBucket      = time.Minute
	DefaultWindow      = time.Hour
	DefaultSamples     = 5
	DefaultMaxSources  = 10000
	DefaultSilentAfter = 15 * time.Minute
	DefaultMinEvents   = 10
)

// Key identifies a source.
type Key struct {
	// Kind is the listener kind (event.Source.Kind: "syslog", "bulk", …).
	Kind string `json:"kind"`
	// Name is the listener or token name (event.Source.Name).
	Name string `json:"name"`
	// Host is the sender: the event's host.name lower-cased, else the IP
	// of its sender address, else "".
	Host string `json:"host"`
}

// KeyOf returns the key of the source that sent e.
func KeyOf(e *event.Event) Key {
	k := Key{Kind: e.Source.Kind, Name: e.Source.Name}
	if h := e.Fields[event.FieldHostName]; h != "" {
		k.Host = strings.ToLower(h)
	} else if e.Source.Addr != "" {
		k.Host = ingest.HostOf(e.Source.Addr)
	}
	return k
}

// Options tune a Tracker. Zero values take the defaults.
type Options struct {
	// Now returns the current time; time.Now when nil. It is called
	// without the tracker's lock, so it must be safe for concurrent use.
	Now func() time.Time
	// Bucket is the width of one rate bucket (default 1 min).
	Bucket time.Duration
	// Window is how far back the rate buckets go (default 1 h); the number
	// of buckets is Window/Bucket, at least 1 and at most 1440.
	Window time.Duration
	// Samples is how many parse-error samples are kept per source, the
	// newest (default 5; negative keeps none).
	Samples int
	// MaxSources bounds the number of sources tracked (default 10,000).
	// Events of further new sources are only counted (Overflow).
	MaxSources int
	// SilentAfter is how long a source that used to send may stay quiet
	// before it is silent (default 15 min).
	SilentAfter time.Duration
	// MinEvents is how many events a source must have sent to count as
	// one that used to send (default 10).
	MinEvents uint64
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Bucket <= 0 {
		o.Bucket = DefaultBucket
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Window < o.Bucket {
		o.Window = o.Bucket
	}
	if o.Window/o.Bucket > maxBuckets {
		o.Window = maxBuckets * o.Bucket
	}
	switch {
	case o.Samples == 0:
		o.Samples = DefaultSamples
	case o.Samples < 0:
		o.Samples = 0
	}
	if o.MaxSources <= 0 {
		o.MaxSources = DefaultMaxSources
	}
	if o.SilentAfter <= 0 {
		o.SilentAfter = DefaultSilentAfter
	}
	if o.MinEvents == 0 {
		o.MinEvents = DefaultMinEvents
	}
	return o
}

// Sample is a parse error a source caused.
type Sample struct {
	// Time is when the event was received.
	Time time.Time `json:"time"`
	// Reason is the event's ParseError, cut to MaxSampleReason bytes.
	Reason string `json:"reason"`
	// Message is the start of the event's message, at most
	// MaxSampleMessage bytes of valid UTF-8.
	Message string `json:"message"`
}

// Source is a snapshot of one source.
type Source struct {
	Key
	// UnitID is the last non-zero unit the source's events belonged to.
	UnitID int64 `json:"unit_id"`
	// AssetID is the last asset id attribution gave its events ("" when
	// none ever matched).
	AssetID string `json:"asset_id,omitempty"`
	// FirstSeen and LastSeen are the earliest and latest receive times.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Events counts the events, ParseErrors those with a ParseError, and
	// Bytes the length of their messages.
	Events      uint64 `json:"events"`
	ParseErrors uint64 `json:"parse_errors"`
	Bytes       uint64 `json:"bytes"`
	// Rate is the events per second of each bucket of the window, oldest
	// first; the last one is the current bucket, still filling (its count
	// is divided by the whole bucket width).
	Rate []float64 `json:"rate"`
	// Samples are the latest parse errors, newest first.
	Samples []Sample `json:"samples,omitempty"`
	// Silent says that the source sent at least MinEvents events and none
	// for longer than SilentAfter; SilentSince is then its LastSeen.
	Silent      bool      `json:"silent"`
	SilentSince time.Time `json:"silent_since,omitzero"`
}

// source is the tracked state of one source.
type source struct {
	key                        Key
	unitID                     int64
	assetID                    string
	first, last                time.Time
	events, parseErrors, bytes uint64
	// ring[mod(b)] counts the events of absolute bucket b, for b in
	// (head-len(ring), head]; older buckets are stale.
	head     int64
	ring     []uint64
	samples  []Sample // oldest first
	reported bool     // CheckSilent reported it silent and it has not sent since
}

// Tracker tracks sources. It is safe for concurrent use.
type Tracker struct {
	opts    Options
	nb      int64   // number of buckets
	bucketS float64 // bucket width in seconds

	mu       sync.Mutex
	m        map[Key]*source
	overflow uint64
}

// New returns an empty tracker.
func New(opts Options) *Tracker {
	opts = opts.withDefaults()
	return &Tracker{
		opts:    opts,
		nb:      int64(opts.Window / opts.Bucket),
		bucketS: opts.Bucket.Seconds(),
		m:       make(map[Key]*source),
	}
}

var epoch = time.Unix(0, 0)

// bucketOf returns the absolute index of the bucket holding at. Times
// beyond ±292 years of 1970 saturate rather than overflow.
func (t *Tracker) bucketOf(at time.Time) int64 {
	d, w := int64(at.Sub(epoch)), int64(t.opts.Bucket)
	q := d / w
	if d%w < 0 {
		q--
	}
	return q
}

// bucketStart returns the start time of bucket b, saturating like
// bucketOf.
func (t *Tracker) bucketStart(b int64) time.Time {
	w := int64(t.opts.Bucket)
	switch {
	case b > math.MaxInt64/w:
		return epoch.Add(math.MaxInt64)
	case b < math.MinInt64/w:
		return epoch.Add(math.MinInt64)
	}
	return epoch.Add(time.Duration(b * w))
}

func (t *Tracker) slot(b int64) int64 {
	s := b % t.nb
	if s < 0 {
		s += t.nb
	}
	return s
}

// add counts n events in bucket b of s, moving the ring forward first if b
// is newer than its head. Buckets older than the ring are ignored.
func (t *Tracker) add(s *source, b int64, n uint64) {
	if b > s.head {
		if b-s.head >= t.nb {
			clear(s.ring)
		} else {
			for x := s.head + 1; x <= b; x++ {
				s.ring[t.slot(x)] = 0
			}
		}
		s.head = b
	}
	if b > s.head-t.nb {
		s.ring[t.slot(b)] += n
	}
}

func (t *Tracker) newSource(k Key, nowB int64) *source {
	return &source{
		key:  Key{Kind: strings.Clone(k.Kind), Name: strings.Clone(k.Name), Host: strings.Clone(k.Host)},
		head: nowB - t.nb,
		ring: make([]uint64, t.nb),
	}
}

// group is what one batch says about one source.
type group struct {
	key                        Key
	events, parseErrors, bytes uint64
	first, last                time.Time
	unitID                     int64
	assetID                    string
	counts                     []bucketCount
	errs                       []int // indexes of events with a ParseError
	lastIdx                    int32 // index of the group's last event
	samples                    []Sample
}

type bucketCount struct {
	b int64
	n uint64
}

// grouper groups the events of one batch by source. The first groups are
// found by a linear search, which beats a map for the few sources a batch
// usually holds; idx takes over beyond that.
type grouper struct {
	groups []group
	idx    map[Key]int
	last   int
	lowers []lowered // host names lower-cased so far
}

type lowered struct{ raw, low string }

// lower lower-cases a host name, remembering the first few so that a
// batch interleaving a few senders does not allocate for each run.
func (g *grouper) lower(h string) string {
	for _, l := range g.lowers {
		if l.raw == h {
			return l.low
		}
	}
	low := strings.ToLower(h)
	if len(g.lowers) < linearGroups {
		g.lowers = append(g.lowers, lowered{h, low})
	}
	return low
}

const linearGroups = 16

// maxChunk bounds the events Observe groups at once (and so the scratch
// memory it needs); larger batches are taken in chunks.
const maxChunk = 1 << 16

func (g *grouper) find(k Key) *group {
	if g.last < len(g.groups) && g.groups[g.last].key == k {
		return &g.groups[g.last]
	}
	if g.idx != nil {
		if i, ok := g.idx[k]; ok {
			g.last = i
			return &g.groups[i]
		}
	} else {
		for i := range g.groups {
			if g.groups[i].key == k {
				g.last = i
				return &g.groups[i]
			}
		}
	}
	g.groups = append(g.groups, group{key: k, lastIdx: -1})
	g.last = len(g.groups) - 1
	switch {
	case g.idx != nil:
		g.idx[k] = g.last
	case len(g.groups) > linearGroups:
		g.idx = make(map[Key]int, 2*len(g.groups))
		for i := range g.groups {
			g.idx[g.groups[i].key] = i
		}
	}
	return &g.groups[g.last]
}

// received returns when e was received, or now when that is unknown or
// after now.
func received(e *event.Event, now time.Time) time.Time {
	if e.Received.IsZero() || e.Received.After(now) {
		return now
	}
	return e.Received
}

// Observe records a batch of stored events. It is meant for the ingest
// pipeline, after attribution and normalisation, and takes the tracker's
// lock once per batch. It does not retain the batch or its strings.
func (t *Tracker) Observe(batch []event.Event) {
	for len(batch) > maxChunk {
		t.Observe(batch[:maxChunk])
		batch = batch[maxChunk:]
	}
	if len(batch) == 0 {
		return
	}
	now := t.opts.Now()
	nowB := t.bucketOf(now)
	oldestB := nowB - t.nb + 1

	var g grouper
	// prev[i] is the index of the previous event of batch[i]'s group (-1
	// for none), so that each group's events can be walked backwards.
	prev := make([]int32, len(batch))
	// Consecutive events usually share their host, address and bucket:
	// remember the last conversion instead of redoing it each time.
	var rawHost, lowHost, rawAddr, addrHost string
	oldest := t.bucketStart(oldestB)
	curB := nowB
	curStart := t.bucketStart(curB)
	curEnd := curStart.Add(t.opts.Bucket)
	for i := range batch {
		e := &batch[i]
		k := Key{Kind: e.Source.Kind, Name: e.Source.Name}
		if h := e.Fields[event.FieldHostName]; h != "" {
			if h != rawHost {
				rawHost, lowHost = h, g.lower(h)
			}
			k.Host = lowHost
		} else if a := e.Source.Addr; a != "" {
			if a != rawAddr {
				rawAddr, addrHost = a, ingest.HostOf(a)
			}
			k.Host = addrHost
		}
		gr := g.find(k)
		prev[i], gr.lastIdx = gr.lastIdx, int32(i)
		at := received(e, now)
		if gr.events == 0 || at.Before(gr.first) {
			gr.first = at
		}
		if at.After(gr.last) {
			gr.last = at
		}
		gr.events++
		gr.bytes += uint64(len(e.Message))
		if e.ParseError != "" {
			gr.parseErrors++
			gr.errs = append(gr.errs, i)
		}
		if e.UnitID != 0 {
			gr.unitID = e.UnitID
		}
		if at.Before(oldest) {
			continue
		}
		if at.Before(curStart) || !at.Before(curEnd) {
			curB = t.bucketOf(at)
			curStart = t.bucketStart(curB)
			curEnd = curStart.Add(t.opts.Bucket)
		}
		if n := len(gr.counts); n > 0 && gr.counts[n-1].b == curB {
			gr.counts[n-1].n++
			continue
		}
		if j := slices.IndexFunc(gr.counts, func(c bucketCount) bool { return c.b == curB }); j >= 0 {
			gr.counts[j].n++
			continue
		}
		gr.counts = append(gr.counts, bucketCount{b: curB, n: 1})
	}
	// The asset is the last one given: usually that of the group's last
	// event, found without a lookup for every event.
	for i := range g.groups {
		gr := &g.groups[i]
		for j := gr.lastIdx; j >= 0; j = prev[j] {
			if a := batch[j].Fields[fieldAssetID]; a != "" {
				gr.assetID = a
				break
			}
		}
	}
	// Cut and copy the samples before taking the lock.
	for i := range g.groups {
		gr := &g.groups[i]
		errs := gr.errs[max(0, len(gr.errs)-t.opts.Samples):]
		if len(errs) == 0 {
			continue
		}
		gr.samples = make([]Sample, len(errs))
		for j, x := range errs {
			e := &batch[x]
			gr.samples[j] = Sample{
				Time:    received(e, now),
				Reason:  clip(e.ParseError, MaxSampleReason),
				Message: clip(e.Message, MaxSampleMessage),
			}
		}
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range g.groups {
		t.apply(&g.groups[i], nowB)
	}
}

// apply adds a group to its source. t.mu is held.
func (t *Tracker) apply(g *group, nowB int64) {
	s := t.m[g.key]
	if s == nil {
		if len(t.m) >= t.opts.MaxSources {
			t.overflow += g.events
			return
		}
		s = t.newSource(g.key, nowB)
		t.m[s.key] = s
	}
	if s.events == 0 || g.first.Before(s.first) {
		s.first = g.first
	}
	if g.last.After(s.last) {
		s.last = g.last
	}
	s.events += g.events
	s.parseErrors += g.parseErrors
	s.bytes += g.bytes
	if g.unitID != 0 {
		s.unitID = g.unitID
	}
	if g.assetID != "" && g.assetID != s.assetID {
		s.assetID = strings.Clone(g.assetID)
	}
	for _, c := range g.counts {
		t.add(s, c.b, c.n)
	}
	t.addSamples(s, g.samples)
	s.reported = false
}

// addSamples appends samples (oldest first), keeping the newest. t.mu is
// held.
func (t *Tracker) addSamples(s *source, samples []Sample) {
	if len(samples) == 0 {
		return
	}
	s.samples = append(s.samples, samples...)
	if extra := len(s.samples) - t.opts.Samples; extra > 0 {
		n := copy(s.samples, s.samples[extra:])
		clear(s.samples[n:])
		s.samples = s.samples[:n]
	}
}

func (t *Tracker) silent(s *source, now time.Time) bool {
	return s.events >= t.opts.MinEvents && now.Sub(s.last) > t.opts.SilentAfter
}

// snapshot copies s. t.mu is held.
func (t *Tracker) snapshot(s *source, now time.Time, nowB int64) Source {
	out := Source{
		Key:         s.key,
		UnitID:      s.unitID,
		AssetID:     s.assetID,
		FirstSeen:   s.first,
		LastSeen:    s.last,
		Events:      s.events,
		ParseErrors: s.parseErrors,
		Bytes:       s.bytes,
		Rate:        make([]float64, t.nb),
	}
	for i := range out.Rate {
		b := nowB - t.nb + 1 + int64(i)
		if b <= s.head && b > s.head-t.nb {
			out.Rate[i] = float64(s.ring[t.slot(b)]) / t.bucketS
		}
	}
	if len(s.samples) > 0 {
		out.Samples = slices.Clone(s.samples)
		slices.Reverse(out.Samples)
	}
	if t.silent(s, now) {
		out.Silent, out.SilentSince = true, s.last
	}
	return out
}

func compareKeys(a, b Key) int {
	return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name), strings.Compare(a.Host, b.Host))
}

func sortSources(list []Source) {
	slices.SortFunc(list, func(a, b Source) int { return compareKeys(a.Key, b.Key) })
}

// List returns a snapshot of every source, sorted by Kind, Name and Host.
func (t *Tracker) List() []Source {
	now := t.opts.Now()
	nowB := t.bucketOf(now)
	t.mu.Lock()
	out := make([]Source, 0, len(t.m))
	for _, s := range t.m {
		out = append(out, t.snapshot(s, now, nowB))
	}
	t.mu.Unlock()
	sortSources(out)
	return out
}

// Get returns a snapshot of one source.
func (t *Tracker) Get(k Key) (Source, bool) {
	now := t.opts.Now()
	nowB := t.bucketOf(now)
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.m[k]
	if s == nil {
		return Source{}, false
	}
	return t.snapshot(s, now, nowB), true
}

// Len returns the number of sources tracked.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// Overflow returns how many events came from sources that could not be
// tracked because MaxSources were tracked already.
func (t *Tracker) Overflow() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.overflow
}

// Forget stops tracking a source (an operator retired it). If it sends
// again it is a new source.
func (t *Tracker) Forget(k Key) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, k)
}

// CheckSilent returns the sources that became silent since the previous
// call, sorted like List, for notifications. A source is reported once;
// once it sends again it may be reported again when it next falls silent.
// The reported state is saved by Save.
func (t *Tracker) CheckSilent() []Source {
	now := t.opts.Now()
	nowB := t.bucketOf(now)
	t.mu.Lock()
	var out []Source
	for _, s := range t.m {
		switch {
		case !t.silent(s, now):
			s.reported = false
		case !s.reported:
			s.reported = true
			out = append(out, t.snapshot(s, now, nowB))
		}
	}
	t.mu.Unlock()
	sortSources(out)
	return out
}

// clip returns at most n bytes of the start of s as valid UTF-8 (invalid
// bytes become U+FFFD), never cutting a character in two. The result does
// not share memory with s.
func clip(s string, n int) string {
	if len(s) <= n && utf8.ValidString(s) {
		return strings.Clone(s)
	}
	var sb strings.Builder
	sb.Grow(min(len(s), n))
	for _, r := range s { // an invalid byte decodes as utf8.RuneError, itself valid
		if sb.Len()+utf8.RuneLen(r) > n {
			break
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// saturate adds without wrapping.
func saturate(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

// Visible returns the sources of list whose unit may be seen: a source
// belongs to the unit of its events, defaultUnit when none was attributed.
func Visible(list []Source, defaultUnit int64, may func(unitID int64) bool) []Source {
	out := []Source{}
	for _, s := range list {
		u := s.UnitID
		if u == 0 {
			u = defaultUnit
		}
		if may(u) {
			out = append(out, s)
		}
	}
	return out
}
