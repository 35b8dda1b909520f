package feed

import (
	"context"
	"fmt"

	"khien.vn/khien/internal/vuln/advisory"
)

// fetchKEV fetches CISA's KEV catalogue and replaces the stored one,
// unless its catalogVersion is the cursor's. The request is conditional
// on the validator kept in the cursor: a 304 stores nothing and keeps the
// cursor.
func (f *Fetcher) fetchKEV(ctx context.Context, cursor string) (outcome, error) {
	u := f.Config.KEVURL
	stored, cond := splitValidator(cursor)
	resp, err := f.open(ctx, request{url: u, cond: cond})
	if err != nil {
		return outcome{}, err
	}
	if resp.notModified {
		return outcome{cursor: withValidator(stored, resp.validator), notModified: true}, nil
	}
	version, _, list, err := advisory.ParseKEV(resp.body)
	resp.body.Close()
	if err != nil {
		return outcome{}, bodyError(u, err)
	}
	next := withValidator(version, resp.validator)
	if version == stored {
		return outcome{cursor: next}, nil
	}
	if len(list) == 0 {
		// A cut download must not empty the stored catalogue.
		return outcome{}, fmt.Errorf("%s: catalogue %s has no entries", redact(u), version)
	}
	if err := f.Sink.StoreKEV(ctx, version, list); err != nil {
		return outcome{}, fmt.Errorf("store kev %s: %w", version, err)
	}
	return outcome{cursor: next, written: len(list)}, nil
}
