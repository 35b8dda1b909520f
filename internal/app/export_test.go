package app

import "context"

// CheckSourcesNow runs one round of the sources watcher: save the
// statistics, notify the sources that fell silent.
func (in *Ingest) CheckSourcesNow(ctx context.Context) { in.checkSources(ctx) }
