package app

import (
	"context"
	"time"
)

// CheckSourcesNow runs one round of the sources watcher: save the
// statistics, notify the sources that fell silent.
func (in *Ingest) CheckSourcesNow(ctx context.Context) { in.checkSources(ctx) }

// RemindPeriodic runs the periodic-report reminders as at now.
func (c *Core) RemindPeriodic(ctx context.Context, now time.Time) (n, created int, err error) {
	return c.remindPeriodic(ctx, now)
}
