package detect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"khien.vn/khien/internal/event"
	"khien.vn/khien/internal/ingest/flatjson"
)

// MaxLine bounds one JSON line of ScanJSONLines.
const MaxLine = 4 << 20

// ScanStats count what a scan read.
type ScanStats struct {
	Events  int // lines read as events
	Invalid int // lines that are not a JSON object (skipped, reported)
	Matches int
}

// ScanJSONLines matches every line of r (one JSON object per line:
// SigmaHQ's flat Windows events — EventID, Channel, Image … — or Khiên's
// own events, nested objects flattened to dotted names) and calls match
// for every rule that fires, with the rule's index in Engine.Rules and the
// 0-based line number. A line that is not a JSON object is counted,
// reported to bad (which may be nil), and skipped; empty lines count as
// lines but are not events.
func (e *Engine) ScanJSONLines(ctx context.Context, r io.Reader, match func(rule, line int) error, bad func(line int, err error)) (ScanStats, error) {
	var st ScanStats
	br := bufio.NewReaderSize(r, 256<<10)
	m := e.NewMatcher()
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
			m.Reset(len(trimmed))
			if derr := dec.Decode(trimmed, add); derr != nil {
				st.Invalid++
				if bad != nil {
					bad(line, derr)
				}
			} else {
				st.Events++
				for _, r := range m.Match() {
					st.Matches++
					if err := match(r, line); err != nil {
						return st, err
					}
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

// MatchEvents matches stored events (from the pipeline or an import) and
// calls match for every rule that fires, with the event's index.
func (e *Engine) MatchEvents(events []event.Event, match func(rule, index int)) {
	m := e.NewMatcher()
	for i := range events {
		for _, r := range m.MatchEvent(&events[i]) {
			match(r, i)
		}
	}
}
