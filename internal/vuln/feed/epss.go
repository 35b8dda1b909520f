package feed

import (
	"context"
	"fmt"
	"time"

	"khien.vn/khien/internal/vuln/advisory"
)

// fetchEPSS fetches the day's EPSS scores and replaces the stored ones,
// unless their score date is the cursor. A file without a score date is
// always stored, and leaves no cursor.
func (f *Fetcher) fetchEPSS(ctx context.Context, cursor string) (outcome, error) {
	u := f.Config.EPSSURL
	body, err := f.get(ctx, u, nil)
	if err != nil {
		return outcome{}, err
	}
	model, date, list, err := advisory.ParseEPSS(body)
	body.Close()
	if err != nil {
		return outcome{}, bodyError(u, err)
	}
	next := ""
	if !date.IsZero() {
		next = date.UTC().Format(time.RFC3339)
	}
	if next != "" && next == cursor {
		return outcome{cursor: cursor}, nil
	}
	if len(list) == 0 {
		// A cut download must not empty the stored scores.
		return outcome{}, fmt.Errorf("%s: no scores", redact(u))
	}
	if err := f.Sink.StoreEPSS(ctx, model, date, list); err != nil {
		return outcome{}, fmt.Errorf("store epss %s: %w", next, err)
	}
	return outcome{cursor: next, written: len(list)}, nil
}
