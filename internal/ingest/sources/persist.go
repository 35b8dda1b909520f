package sources

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
)

// stateVersion is the version of the saved state's format
// (docs/sources.md).
const stateVersion = 1

// maxStateSize bounds what Load reads: far more than 10,000 sources with
// full rings and samples take.
const maxStateSize = 512 << 20

// fileState is the saved state.
type fileState struct {
	Version  int          `json:"version"`
	SavedAt  time.Time    `json:"saved_at"`
	BucketNS int64        `json:"bucket_ns"` // width of a bucket
	Overflow uint64       `json:"overflow"`
	Sources  []fileSource `json:"sources"`
}

type fileSource struct {
	Key
	UnitID         int64        `json:"unit_id,omitempty"`
	AssetID        string       `json:"asset_id,omitempty"`
	FirstSeen      time.Time    `json:"first_seen"`
	LastSeen       time.Time    `json:"last_seen"`
	Events         uint64       `json:"events"`
	ParseErrors    uint64       `json:"parse_errors"`
	Bytes          uint64       `json:"bytes"`
	SilentReported bool         `json:"silent_reported,omitempty"`
	Buckets        []fileBucket `json:"buckets,omitempty"` // oldest first, non-zero only
	Samples        []Sample     `json:"samples,omitempty"` // oldest first
}

type fileBucket struct {
	Start time.Time `json:"start"`
	Count uint64    `json:"count"`
}

// Save writes the state (every source, its totals, the buckets of the
// current window with their start times, its samples and whether it was
// reported silent) as JSON.
func (t *Tracker) Save(w io.Writer) error {
	f := t.state()
	enc := json.NewEncoder(w)
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("save sources: %w", err)
	}
	return nil
}

func (t *Tracker) state() fileState {
	now := t.opts.Now()
	nowB := t.bucketOf(now)
	t.mu.Lock()
	defer t.mu.Unlock()
	f := fileState{
		Version:  stateVersion,
		SavedAt:  now.UTC(),
		BucketNS: int64(t.opts.Bucket),
		Overflow: t.overflow,
		Sources:  make([]fileSource, 0, len(t.m)),
	}
	for _, s := range t.m {
		fs := fileSource{
			Key:            s.key,
			UnitID:         s.unitID,
			AssetID:        s.assetID,
			FirstSeen:      s.first.UTC(),
			LastSeen:       s.last.UTC(),
			Events:         s.events,
			ParseErrors:    s.parseErrors,
			Bytes:          s.bytes,
			SilentReported: s.reported,
			Samples:        slices.Clone(s.samples),
		}
		for i := range fs.Samples {
			fs.Samples[i].Time = fs.Samples[i].Time.UTC()
		}
		// The buckets both in the ring and in the window ending now.
		for b := max(s.head, nowB) - t.nb + 1; b <= min(s.head, nowB); b++ {
			if n := s.ring[t.slot(b)]; n > 0 {
				fs.Buckets = append(fs.Buckets, fileBucket{Start: t.bucketStart(b).UTC(), Count: n})
			}
		}
		f.Sources = append(f.Sources, fs)
	}
	slices.SortFunc(f.Sources, func(a, b fileSource) int { return compareKeys(a.Key, b.Key) })
	return f
}

// Load replaces the tracker's state with one Save wrote. Buckets are
// placed by their start times, so that the rate shows the time the
// tracker was stopped; those now out of the window are dropped. If the
// state holds more than MaxSources sources, the most recently seen are
// kept and the events of the others are added to Overflow. Input that is
// not such a state returns an error wrapping errs.ErrInvalid and leaves
// the tracker unchanged.
func (t *Tracker) Load(r io.Reader) error {
	if err := t.load(r); err != nil {
		return fmt.Errorf("load sources: %w", err)
	}
	return nil
}

func (t *Tracker) load(r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, maxStateSize+1))
	if err != nil {
		return err
	}
	if len(data) > maxStateSize {
		return fmt.Errorf("%w: larger than %d bytes", errs.ErrInvalid, maxStateSize)
	}
	m, overflow, err := t.parse(data)
	if err != nil {
		return fmt.Errorf("%w: %w", errs.ErrInvalid, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m, t.overflow = m, overflow
	return nil
}

// parse decodes and checks a saved state.
func (t *Tracker) parse(data []byte) (map[Key]*source, uint64, error) {
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, 0, errors.New("empty input")
	}
	var v struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, 0, fmt.Errorf("not a sources state: %w", err)
	}
	switch {
	case v.Version == nil:
		return nil, 0, errors.New("not a sources state: no version")
	case *v.Version != stateVersion:
		return nil, 0, fmt.Errorf("unsupported version %d (want %d)", *v.Version, stateVersion)
	}
	var f fileState
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, 0, err
	}
	if f.BucketNS <= 0 {
		return nil, 0, fmt.Errorf("bucket_ns %d: must be positive", f.BucketNS)
	}

	now := t.opts.Now()
	nowB := t.bucketOf(now)
	m := make(map[Key]*source, len(f.Sources))
	for i, fs := range f.Sources {
		if _, dup := m[fs.Key]; dup {
			return nil, 0, fmt.Errorf("source %d (%s/%s/%s): listed twice", i, fs.Kind, fs.Name, fs.Host)
		}
		if err := fs.check(); err != nil {
			return nil, 0, fmt.Errorf("source %d (%s/%s/%s): %w", i, fs.Kind, fs.Name, fs.Host, err)
		}
		s := t.newSource(fs.Key, nowB)
		s.unitID, s.assetID = fs.UnitID, fs.AssetID
		s.first, s.last = fs.FirstSeen.UTC(), fs.LastSeen.UTC()
		s.events, s.parseErrors, s.bytes = fs.Events, fs.ParseErrors, fs.Bytes
		s.reported = fs.SilentReported
		for _, fb := range fs.Buckets {
			if fb.Count == 0 || fb.Start.After(now) {
				continue
			}
			if b := t.bucketOf(fb.Start); b > nowB-t.nb {
				t.add(s, b, fb.Count)
			}
		}
		samples := fs.Samples[max(0, len(fs.Samples)-t.opts.Samples):]
		for _, sm := range samples {
			s.samples = append(s.samples, Sample{
				Time:    sm.Time.UTC(),
				Reason:  clip(sm.Reason, MaxSampleReason),
				Message: clip(sm.Message, MaxSampleMessage),
			})
		}
		m[s.key] = s
	}

	overflow := f.Overflow
	if extra := len(m) - t.opts.MaxSources; extra > 0 {
		all := make([]*source, 0, len(m))
		for _, s := range m {
			all = append(all, s)
		}
		slices.SortFunc(all, func(a, b *source) int {
			if c := a.last.Compare(b.last); c != 0 {
				return c // oldest first
			}
			return compareKeys(a.key, b.key)
		})
		for _, s := range all[:extra] {
			overflow = saturate(overflow, s.events)
			delete(m, s.key)
		}
	}
	return m, overflow, nil
}

func (fs *fileSource) check() error {
	if fs.ParseErrors > fs.Events {
		return fmt.Errorf("%d parse errors in %d events", fs.ParseErrors, fs.Events)
	}
	for _, at := range []time.Time{fs.FirstSeen, fs.LastSeen} {
		if !savable(at) {
			return fmt.Errorf("time %s: out of range", at)
		}
	}
	for _, sm := range fs.Samples {
		if !savable(sm.Time) {
			return fmt.Errorf("sample time %s: out of range", sm.Time)
		}
	}
	if !fs.FirstSeen.IsZero() && fs.FirstSeen.After(fs.LastSeen) {
		return errors.New("first_seen after last_seen")
	}
	var sum uint64
	for _, b := range fs.Buckets {
		sum = saturate(sum, b.Count)
		if !savable(b.Start) {
			return fmt.Errorf("bucket start %s: out of range", b.Start)
		}
	}
	if sum > fs.Events {
		return fmt.Errorf("%d events in buckets but %d in all", sum, fs.Events)
	}
	return nil
}

// SaveFile saves the state to path atomically and durably: it writes a
// temporary file in the same directory, fsyncs it, renames it over path
// and fsyncs the directory. The file is readable by its owner only.
func (t *Tracker) SaveFile(path string) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("save sources: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriter(f)
	err = t.Save(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("save sources %s: %w", path, err)
	}
	return nil
}

// LoadFile loads the state from path. A missing file is an empty state
// that changes nothing: the tracker is left as it is.
func (t *Tracker) LoadFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load sources %s: %w", path, err)
	}
	defer f.Close()
	if err := t.load(f); err != nil {
		return fmt.Errorf("load sources %s: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a directory so that a rename in it is durable. Windows
// cannot sync a directory; its renames are durable with the file.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// savable says whether t, in UTC, can be saved again: JSON times have
// four-digit years, and an offset can push one out of them.
func savable(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}
