package feed

import (
	"context"
	"fmt"

	"khien.vn/khien/internal/vuln/advisory"
)

// fetchKEV fetches CISA's KEV catalogue and replaces the stored one,
// unless its catalogVersion is the cursor.
func (f *Fetcher) fetchKEV(ctx context.Context, cursor string) (outcome, error) {
	u := f.Config.KEVURL
	body, err := f.get(ctx, u, nil)
	if err != nil {
		return outcome{}, err
	}
	version, _, list, err := advisory.ParseKEV(body)
	body.Close()
	if err != nil {
		return outcome{}, bodyError(u, err)
	}
	if version == cursor {
		return outcome{cursor: cursor}, nil
	}
	if len(list) == 0 {
		// A cut download must not empty the stored catalogue.
		return outcome{}, fmt.Errorf("%s: catalogue %s has no entries", redact(u), version)
	}
	if err := f.Sink.StoreKEV(ctx, version, list); err != nil {
		return outcome{}, fmt.Errorf("store kev %s: %w", version, err)
	}
	return outcome{cursor: version, written: len(list)}, nil
}
