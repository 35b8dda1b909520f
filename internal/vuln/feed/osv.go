package feed

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"khien.vn/khien/internal/vuln/advisory"
)

const (
	// osvBatch is how many records of an all.zip are stored per call.
	osvBatch = 5000
	// osvWorkers is how many records an incremental run fetches at once.
	osvWorkers = 8
)

// fetchOSV fetches one ecosystem of the OSV bucket: the records changed
// since cursor, or all.zip when there is no (usable) cursor or too many
// changed.
func (f *Fetcher) fetchOSV(ctx context.Context, eco, cursor string) (outcome, error) {
	dir := strings.TrimRight(f.Config.OSVBase, "/") + "/" + url.PathEscape(eco) + "/"
	if key, cond := splitValidator(cursor); key != "" {
		since, err := time.Parse(time.RFC3339Nano, key)
		if err != nil {
			f.logger().Warn("vuln feed cursor unreadable, fetching everything", "feed", "osv:"+eco, "cursor", cursor)
		} else if out, done, err := f.osvChanged(ctx, eco, dir, since, cond); done || err != nil {
			return out, err
		}
	}
	return f.osvAll(ctx, dir)
}

// osvChanged fetches and stores the records modified after since, unless
// there are more than OSVMaxChanged of them: then it reports not done.
// The request of modified_id.csv is conditional on cond, the validator
// of the list whose changes were all stored by the last run; a 304 means
// nothing changed since. The cursor keeps the list's validator when all
// its changes are stored.
func (f *Fetcher) osvChanged(ctx context.Context, eco, dir string, since time.Time, cond validator) (out outcome, done bool, err error) {
	u := dir + "modified_id.csv"
	resp, err := f.open(ctx, request{url: u, cond: cond})
	if err != nil {
		return outcome{}, false, err
	}
	if resp.notModified {
		return outcome{cursor: withValidator(formatCursor(since), resp.validator), notModified: true}, true, nil
	}
	list, err := advisory.ParseOSVModified(resp.body)
	resp.body.Close()
	if err != nil {
		return outcome{}, false, bodyError(u, err)
	}
	changed := advisory.ChangedSince(list, since)
	newest := since
	seen := make(map[string]bool, len(changed))
	ids := make([]string, 0, len(changed))
	for _, m := range changed {
		newest = later(newest, m.Modified)
		if !seen[m.ID] {
			seen[m.ID] = true
			ids = append(ids, m.ID)
		}
	}
	limit := f.Config.OSVMaxChanged
	if limit <= 0 {
		limit = DefaultOSVMaxChanged
	}
	if len(ids) > limit {
		f.logger().Info("vuln feed changed too much, fetching everything", "feed", "osv:"+eco, "changed", len(ids), "limit", limit)
		return outcome{}, false, nil
	}
	if len(ids) == 0 {
		return outcome{cursor: withValidator(formatCursor(newest), resp.validator)}, true, nil
	}
	advs, err := f.osvRecords(ctx, dir, ids)
	if err != nil {
		return outcome{}, true, err
	}
	for _, a := range advs {
		newest = later(newest, a.Modified)
	}
	n, err := f.Sink.StoreAdvisories(ctx, advs)
	if err != nil {
		return outcome{}, true, fmt.Errorf("store osv advisories: %w", err)
	}
	return outcome{cursor: withValidator(formatCursor(newest), resp.validator), written: n}, true, nil
}

// osvRecords fetches the records ids of dir, a few at a time, and returns
// them in the order of ids; the first failure stops them all.
func (f *Fetcher) osvRecords(ctx context.Context, dir string, ids []string) ([]advisory.Advisory, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]advisory.Advisory, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(osvWorkers, len(ids)) {
		wg.Go(func() {
			for i := range next {
				a, err := f.osvRecord(ctx, dir, ids[i])
				if err != nil {
					cancel(err)
					return
				}
				out[i] = a
			}
		})
	}
send:
	for i := range ids {
		select {
		case next <- i:
		case <-ctx.Done():
			break send
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// osvRecord fetches one record, which must have the id asked for.
func (f *Fetcher) osvRecord(ctx context.Context, dir, id string) (advisory.Advisory, error) {
	u := dir + url.PathEscape(id) + ".json"
	body, err := f.get(ctx, u, nil)
	if err != nil {
		return advisory.Advisory{}, err
	}
	defer body.Close()
	a, err := advisory.ParseOSV(body)
	if err != nil {
		return advisory.Advisory{}, bodyError(u, err)
	}
	if a.ID != id {
		return advisory.Advisory{}, fmt.Errorf("%s: record %q, want %q", redact(u), a.ID, id)
	}
	return a, nil
}

// osvAll fetches dir's all.zip, checks every record, then stores them in
// batches. The cursor is the newest modification time in the archive.
func (f *Fetcher) osvAll(ctx context.Context, dir string) (outcome, error) {
	u := dir + "all.zip"
	file, size, remove, err := f.download(ctx, u)
	if err != nil {
		return outcome{}, err
	}
	defer remove()

	// First pass: every record parses (nothing is stored from a bad
	// archive), and the newest modification time.
	var newest time.Time
	if _, err := advisory.ReadOSVZip(file, size, func(a advisory.Advisory) error {
		newest = later(newest, a.Modified)
		return ctx.Err()
	}); err != nil {
		return outcome{}, parseError(u, err)
	}

	// Second pass: store, a batch at a time.
	per := f.batch
	if per <= 0 {
		per = osvBatch
	}
	var batch []advisory.Advisory
	written := 0
	flush := func() error {
		n, err := f.Sink.StoreAdvisories(ctx, batch)
		written += n
		batch = nil
		if err != nil {
			return fmt.Errorf("store osv advisories: %w", err)
		}
		return nil
	}
	if _, err := advisory.ReadOSVZip(file, size, func(a advisory.Advisory) error {
		if batch == nil {
			batch = make([]advisory.Advisory, 0, per)
		}
		batch = append(batch, a)
		if len(batch) == per {
			return flush()
		}
		return nil
	}); err != nil {
		return outcome{}, err
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return outcome{}, err
		}
	}
	return outcome{cursor: formatCursor(newest), written: written}, nil
}

// parseError wraps an error of a parser with the URL of the document.
func parseError(rawURL string, err error) error {
	return fmt.Errorf("%s: %w", redact(rawURL), err)
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// formatCursor writes a time cursor; the zero time is no cursor.
func formatCursor(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
