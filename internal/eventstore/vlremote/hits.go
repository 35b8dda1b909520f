package vlremote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/eventstore"
)

// maxHitsBody bounds a /select/logsql/hits response.
const maxHitsBody = 256 << 20

// Hits counts events per interval; see eventstore.Store. It asks the
// server's /select/logsql/hits in each unit's tenant, with the offset that
// makes buckets start at q.From, and sums the counts over units (counts
// add up, so this is exact); the limit on series and the Other series are
// applied to the sum, as the embedded store does.
func (s *Store) Hits(ctx context.Context, q eventstore.Query, step time.Duration, by ...string) (h eventstore.Hits, err error) {
	if err := ctx.Err(); err != nil {
		return h, err
	}
	if err := s.begin(); err != nil {
		return h, err
	}
	defer s.mu.RUnlock()

	hb, err := eventstore.NewHitsBuilder(q, step, by)
	if err != nil {
		return h, err
	}
	sh, units, err := checkQuery(q)
	if err != nil {
		return h, err
	}
	if len(units) > 1 && !sh.hitsDistributive {
		return h, fmt.Errorf("%w (units %v)", ErrSeveralUnits, units)
	}

	ctx, cancel := s.limits.Context(ctx, s.done, q.Timeout)
	defer cancel()

	params := s.rangeParams(q, time.Now())
	params.Set("query", exprOf(q))
	params.Set("step", fmt.Sprintf("%dns", int64(step)))
	params.Set("offset", fmt.Sprintf("%dns", hb.Offset()))
	for _, f := range by {
		params.Add("field", f)
	}

	for _, u := range units {
		if err := s.hitsUnit(ctx, u, params, hb); err != nil {
			return eventstore.Hits{}, s.queryError(ctx, q, err)
		}
	}
	return hb.Hits(s.limits.LimitFor(q.Limit)), nil
}

// hitsResponse is the body of /select/logsql/hits.
type hitsResponse struct {
	Hits []struct {
		Fields     map[string]string `json:"fields"`
		Timestamps []string          `json:"timestamps"`
		Values     []uint64          `json:"values"`
	} `json:"hits"`
}

// hitsUnit adds one unit's counts to hb.
func (s *Store) hitsUnit(ctx context.Context, unit int64, params map[string][]string, hb *eventstore.HitsBuilder) error {
	body, err := s.do(ctx, http.MethodPost, s.opts.SelectURL, "/select/logsql/hits", params, tenantHeader(unit), nil)
	if err != nil {
		return fmt.Errorf("event hits: %w", err)
	}
	defer body.Close()
	var resp hitsResponse
	dec := json.NewDecoder(&limitedReader{r: body, n: maxHitsBody})
	if err := dec.Decode(&resp); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("event hits: response: %w: %w", errs.ErrUnavailable, err)
	}
	for _, hs := range resp.Hits {
		if len(hs.Timestamps) != len(hs.Values) {
			return fmt.Errorf("event hits: response: %d timestamps for %d values: %w", len(hs.Timestamps), len(hs.Values), errs.ErrUnavailable)
		}
		value := func(f string) string { return hs.Fields[f] }
		for i, ts := range hs.Timestamps {
			count := hs.Values[i]
			if count == 0 {
				continue // the server's zero-filling
			}
			t, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				return fmt.Errorf("event hits: bucket time: %w: %w", errs.ErrUnavailable, err)
			}
			hb.Add(t.UnixNano(), count, value)
		}
	}
	return nil
}

// limitedReader fails beyond n bytes, rather than truncating silently.
type limitedReader struct {
	r    io.Reader
	n    int64
	read int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.read >= l.n {
		return 0, fmt.Errorf("response larger than %d bytes", l.n)
	}
	if rest := l.n - l.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}
