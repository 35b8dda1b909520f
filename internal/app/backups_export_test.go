package app

import (
	"context"

	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/system"
)

// ReadinessFacts is the app's readiness facts of one system (View's).
func (c *Core) ReadinessFacts(ctx context.Context, sys system.System) (backup.ReadinessFacts, error) {
	return c.readinessFacts(ctx, sys)
}

// ReadinessFactsBatch is the app's readiness facts of many systems
// (Overview's).
func (c *Core) ReadinessFactsBatch(ctx context.Context, systems []system.System) ([]backup.ReadinessFacts, error) {
	return c.readinessFactsBatch(ctx, systems)
}

// ReadinessFactsVia returns the app's readiness facts functions, one
// system's and many systems', reading through b instead of c.Backend (with
// c's detection rules and alert policy), so that benchmarks can count the
// queries they make.
func (c *Core) ReadinessFactsVia(b Backend) (
	one func(ctx context.Context, sys system.System) (backup.ReadinessFacts, error),
	many func(ctx context.Context, systems []system.System) ([]backup.ReadinessFacts, error),
) {
	v := &Core{Config: c.Config, Logger: c.Logger, Backend: b, Alerts: c.Alerts}
	v.detection.d, v.detection.err = c.Detection()
	v.detection.once.Do(func() {})
	return v.readinessFacts, v.readinessFactsBatch
}
