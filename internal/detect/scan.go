package detect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"khien.vn/khien/internal/detect/correlate"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/flatjson"
)

// MaxLine bounds one JSON line of ScanJSONLines.
const MaxLine = 4 << 20

// ScanStats count what a scan read.
type ScanStats struct {
	Events  int // lines read as events
	Invalid int // lines that are not a JSON object (skipped, reported)
	Matches int // detection and correlation matches reported
}

// timeFields are the fields, in order, an event's time is read from for
// correlation windows (SigmaHQ's flat events, ECS, Sysmon).
var timeFields = []string{"@timestamp", "timestamp", "TimeCreated", "SystemTime", "UtcTime", "time"}

// timeLayouts are the layouts they are parsed with.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

// eventTime returns the event's time, or the zero time when it has none
// (then every event of a scan is at the same instant for correlations).
func (m *Matcher) eventTime() time.Time {
	if m.src != nil {
		if !m.src.Time.IsZero() {
			return m.src.Time
		}
		return m.src.Received
	}
	for _, f := range timeFields {
		for i, k := range m.keys {
			if k != f {
				continue
			}
			for _, l := range timeLayouts {
				if t, err := time.Parse(l, m.all[i]); err == nil {
					return t
				}
			}
		}
	}
	return time.Time{}
}

// scanState reports a scan's matches: detection matches (unless a
// correlation rule consumes them without generate) and the firings of
// correlation rules.
type scanState struct {
	e     *Engine
	m     *Matcher
	corr  *correlate.Engine
	match func(rule *sigma.Rule, line int) error
	st    *ScanStats
	// all reports every detection match, also those a correlation rule
	// consumes without generate (tagging events, counting hits).
	all bool
}

func (s *scanState) event(line int) error {
	matched := s.m.Match()
	if len(matched) == 0 {
		return nil
	}
	var t time.Time
	if s.corr != nil {
		t = s.m.eventTime()
	}
	for _, r := range matched {
		if s.corr == nil || s.all || s.corr.Generate(r) {
			s.st.Matches++
			if err := s.match(s.e.rules[r], line); err != nil {
				return err
			}
		}
		if s.corr == nil {
			continue
		}
		firings := s.corr.Observe(correlate.Observation{Base: r, Time: t, Ref: uint64(line), Field: s.m.Field})
		if err := s.fired(firings, line); err != nil {
			return err
		}
	}
	return nil
}

// fired reports correlation firings; line is the event that completed
// them (-1: the end of the stream, then their last event).
func (s *scanState) fired(firings []correlate.Firing, line int) error {
	for _, f := range firings {
		if f.Internal {
			continue
		}
		at := line
		if at < 0 && len(f.Events) > 0 {
			at = int(f.Events[len(f.Events)-1])
		}
		s.st.Matches++
		if err := s.match(f.Rule, at); err != nil {
			return err
		}
	}
	return nil
}

// end closes every open correlation window.
func (s *scanState) end() error {
	if s.corr == nil {
		return nil
	}
	return s.fired(s.corr.Flush(time.Unix(1<<40, 0)), -1)
}

// ScanJSONLines matches every line of r (one JSON object per line:
// SigmaHQ's flat Windows events — EventID, Channel, Image … — or Khiên's
// own events, nested objects flattened to dotted names) and calls match
// for every rule that fires, with the rule and the 0-based line number;
// correlation rules fire with the line of the event that completed them
// (windows closed at the end of the stream: their last event). A line
// that is not a JSON object is counted, reported to bad (which may be
// nil), and skipped; empty lines count as lines but are not events.
func (e *Engine) ScanJSONLines(ctx context.Context, r io.Reader, match func(rule *sigma.Rule, line int) error, bad func(line int, err error)) (st ScanStats, err error) {
	br := bufio.NewReaderSize(r, 256<<10)
	m := e.NewMatcher()
	sc := &scanState{e: e, m: m, corr: e.NewCorrelator(correlate.Options{}), match: match, st: &st}
	defer func() {
		if err == nil {
			err = sc.end()
		}
	}()
	var dec flatjson.Decoder
	add := m.AddBytes
	var long []byte
	for line := 0; ; line++ {
		if line&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
		}
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = br.ReadSlice('\n')
				long = append(long, b...)
				if len(long) > MaxLine {
					return st, fmt.Errorf("line %d: longer than %d bytes", line+1, MaxLine)
				}
			}
			b = long
		}
		if len(b) == 0 && err == io.EOF {
			return st, nil
		}
		if err != nil && err != io.EOF {
			return st, err
		}
		if trimmed := trimSpace(b); len(trimmed) > 0 {
			m.Reset(2 * len(trimmed)) // values and keys
			if derr := dec.Decode(trimmed, add); derr != nil {
				st.Invalid++
				if bad != nil {
					bad(line, derr)
				}
			} else {
				st.Events++
				if err := sc.event(line); err != nil {
					return st, err
				}
			}
		}
		if err == io.EOF {
			return st, nil
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// Scanner matches a stream of stored events (an .evtx import, a
// retro-hunt) with detection and correlation rules.
type Scanner struct {
	sc scanState
	st ScanStats
}

// NewScanner returns a scanner calling match for every match. With all
// false, the matches of a detection rule that correlation rules consume
// (without generate: true) are not reported, as the specification says of
// results; with all true every match is (to tag events, count hits).
func (e *Engine) NewScanner(match func(rule *sigma.Rule, index int) error, all bool) *Scanner {
	s := &Scanner{}
	s.sc = scanState{e: e, m: e.NewMatcher(), corr: e.NewCorrelator(correlate.Options{}), match: match, st: &s.st, all: all}
	return s
}

// Event matches the next event, index identifying it in match calls.
func (s *Scanner) Event(ev *event.Event, index int) error {
	s.st.Events++
	s.sc.m.loadEvent(ev)
	return s.sc.event(index)
}

// Flush closes the correlation windows that ended before now (event
// time): rules with lt, lte, eq or neq conditions are decided when their
// window closes, which otherwise waits for a later event of the group.
// Their firings are reported with index -1 (or their last event's).
func (s *Scanner) Flush(now time.Time) error {
	if s.sc.corr == nil {
		return nil
	}
	return s.sc.fired(s.sc.corr.Flush(now), -1)
}

// End closes the correlation windows still open and returns the counts.
func (s *Scanner) End() (ScanStats, error) {
	err := s.sc.end()
	return s.st, err
}
