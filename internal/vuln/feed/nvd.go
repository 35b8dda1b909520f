package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"khien.vn/khien/internal/vuln/advisory"
)

const (
	// nvdTime is the timestamp form of lastModStartDate/lastModEndDate:
	// ISO 8601 with milliseconds and an offset.
	nvdTime = "2006-01-02T15:04:05.000-07:00"
	// nvdOverlap is how far before its cursor a run starts: NVD's records
	// can appear in the API some time after their lastModified.
	nvdOverlap = time.Hour
	// nvdMinPage is the fewest results per page asked when pages are too
	// large for the parser.
	nvdMinPage = NVDPageSize / 16
)

// fetchNVD fetches the CVEs modified since cursor (the last
// NVDFirstDays days without one) until now, window by window. The cursor
// advances at the end of each window stored, so a failure keeps the
// windows before it.
func (f *Fetcher) fetchNVD(ctx context.Context, cursor string) (outcome, error) {
	now := f.now().Truncate(time.Millisecond)
	var from time.Time
	if cursor != "" {
		t, err := time.Parse(time.RFC3339Nano, cursor)
		if err != nil {
			f.logger().Warn("vuln feed cursor unreadable, starting afresh", "feed", "nvd", "cursor", cursor)
			cursor = ""
		} else {
			from = t.Add(-nvdOverlap)
		}
	}
	if cursor == "" {
		days := f.Config.NVDFirstDays
		if days <= 0 {
			days = DefaultNVDFirstDays
		}
		from = now.AddDate(0, 0, -days)
	}
	r := &nvdRun{f: f, base: f.Config.NVDBase, hdr: http.Header{}}
	if key := f.Config.NVDAPIKey; key != "" {
		r.hdr.Set("apiKey", key)
	}
	out := outcome{cursor: cursor}
	for from.Before(now) {
		to := from.Add(NVDMaxWindow)
		if to.After(now) {
			to = now
		}
		n, err := r.window(ctx, from, to)
		out.written += n
		if err != nil {
			return out, err
		}
		out.cursor = formatCursor(to)
		from = to
	}
	return out, nil
}

// nvdRun is one run's requests to the NVD API.
type nvdRun struct {
	f        *Fetcher
	base     string
	hdr      http.Header
	requests int
}

// window fetches and stores, page by page, the CVEs last modified from
// from to to.
func (r *nvdRun) window(ctx context.Context, from, to time.Time) (written int, err error) {
	size := NVDPageSize
	for start := 0; ; {
		q := url.Values{}
		q.Set("lastModStartDate", from.Format(nvdTime))
		q.Set("lastModEndDate", to.Format(nvdTime))
		q.Set("resultsPerPage", strconv.Itoa(size))
		q.Set("startIndex", strconv.Itoa(start))
		u := r.base + "?" + q.Encode()
		if err := r.pause(ctx); err != nil {
			return written, err
		}
		data, err := r.f.getAll(ctx, request{url: u, header: r.hdr, minWait: r.f.Pause})
		if err != nil {
			return written, err
		}
		advs, err := advisory.ParseNVD(bytes.NewReader(data))
		if errors.Is(err, advisory.ErrTooLarge) && size > nvdMinPage {
			size /= 2
			r.f.logger().Info("vuln feed page too large, asking fewer results", "feed", "nvd", "results_per_page", size)
			continue
		}
		if err != nil {
			return written, parseError(u, err)
		}
		var head struct {
			TotalResults *int `json:"totalResults"`
		}
		if err := json.Unmarshal(data, &head); err != nil || head.TotalResults == nil || *head.TotalResults < 0 {
			return written, fmt.Errorf("%s: no totalResults", redact(u))
		}
		total := *head.TotalResults
		if len(advs) > 0 {
			n, err := r.f.Sink.StoreAdvisories(ctx, advs)
			written += n
			if err != nil {
				return written, fmt.Errorf("store nvd advisories: %w", err)
			}
		}
		start += len(advs)
		if start >= total {
			return written, nil
		}
		if len(advs) == 0 {
			return written, fmt.Errorf("%s: empty page at %d of %d results", redact(u), start, total)
		}
	}
}

// pause waits Fetcher.Pause before every request but the run's first.
// (Retries of a request wait at least as long.)
func (r *nvdRun) pause(ctx context.Context) error {
	r.requests++
	if r.requests == 1 || r.f.Pause <= 0 {
		return ctx.Err()
	}
	return sleepCtx(ctx, r.f.Pause)
}
