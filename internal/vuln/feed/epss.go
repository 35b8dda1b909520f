package feed

import (
	"context"
	"fmt"
	"time"

	"khien.vn/khien/internal/vuln/advisory"
)

// fetchEPSS fetches the day's EPSS scores and replaces the stored ones,
// unless their score date is the cursor's. A file without a score date is
// always stored, and leaves no date in the cursor. The request is
// conditional on the validator kept in the cursor: a 304 stores nothing
// and keeps the cursor.
func (f *Fetcher) fetchEPSS(ctx context.Context, cursor string) (outcome, error) {
	u := f.Config.EPSSURL
	stored, cond := splitValidator(cursor)
	resp, err := f.open(ctx, request{url: u, cond: cond})
	if err != nil {
		return outcome{}, err
	}
	if resp.notModified {
		return outcome{cursor: withValidator(stored, resp.validator), notModified: true}, nil
	}
	model, date, list, err := advisory.ParseEPSS(resp.body)
	resp.body.Close()
	if err != nil {
		return outcome{}, bodyError(u, err)
	}
	key := ""
	if !date.IsZero() {
		key = date.UTC().Format(time.RFC3339)
	}
	next := withValidator(key, resp.validator)
	if key != "" && key == stored {
		return outcome{cursor: next}, nil
	}
	if len(list) == 0 {
		// A cut download must not empty the stored scores.
		return outcome{}, fmt.Errorf("%s: no scores", redact(u))
	}
	if err := f.Sink.StoreEPSS(ctx, model, date, list); err != nil {
		return outcome{}, fmt.Errorf("store epss %s: %w", key, err)
	}
	return outcome{cursor: next, written: len(list)}, nil
}
