package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/intel"
)

var _ intel.FeedStore = (*DB)(nil)

const feedColumns = `id, unit_id, name, kind, url, api_root, collection_id, username, password, default_tlp,
	confidence, interval_ns, enabled, cursor, last_run_at, last_ok, last_error, last_added, last_updated,
	created_at, updated_at`

func scanFeed(row pgx.Row) (intel.Feed, error) {
	var (
		f                intel.Feed
		kind, tlp        string
		interval         int64
		cursor, lastRun  *time.Time
		created, updated time.Time
	)
	err := row.Scan(&f.ID, &f.UnitID, &f.Name, &kind, &f.URL, &f.APIRoot, &f.CollectionID, &f.Username, &f.Password,
		&tlp, &f.Confidence, &interval, &f.Enabled, &cursor, &lastRun, &f.LastOK, &f.LastError, &f.LastAdded,
		&f.LastUpdated, &created, &updated)
	if err != nil {
		return intel.Feed{}, err
	}
	f.Kind, f.DefaultTLP, f.Interval = intel.FeedKind(kind), intel.TLP(tlp), time.Duration(interval)
	f.Cursor, f.LastRunAt = fromDB(cursor), fromDB(lastRun)
	f.CreatedAt, f.UpdatedAt = created.UTC(), updated.UTC()
	return f, nil
}

// checkFeed returns an errs.ErrInvalid error unless f can be stored in
// both backends alike: a name of at most maxKeyText bytes (it is unique
// per unit) and a LastError of at most intel.MaxFeedError.
func checkFeed(f *intel.Feed) error {
	switch {
	case len(f.Name) > maxKeyText:
		return errs.Invalid("name", "err.invalid")
	case len(f.LastError) > intel.MaxFeedError:
		return errs.Invalid("last_error", "err.invalid")
	}
	return nil
}

// normFeed returns f with its times as stored.
func normFeed(f intel.Feed) intel.Feed {
	f.Cursor, f.LastRunAt = toTime(f.Cursor), toTime(f.LastRunAt)
	f.CreatedAt, f.UpdatedAt = toTime(f.CreatedAt), toTime(f.UpdatedAt)
	return f
}

// CreateFeed inserts f, run state included, and writes the stored form
// back. A zero CreatedAt or UpdatedAt becomes now.
func (db *DB) CreateFeed(ctx context.Context, f *intel.Feed) error {
	v := normFeed(*f)
	if err := checkFeed(&v); err != nil {
		return fmt.Errorf("create feed: %w", err)
	}
	now := toTime(time.Now())
	if v.CreatedAt.IsZero() {
		v.CreatedAt = now
	}
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = now
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO intel_feeds (unit_id, name, kind, url, api_root, collection_id,
		username, password, default_tlp, confidence, interval_ns, enabled, cursor, last_run_at, last_ok, last_error,
		last_added, last_updated, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
		$13, $14, $15, $16, $17, $18, $19, $20) RETURNING id`,
		v.UnitID, v.Name, string(v.Kind), v.URL, v.APIRoot, v.CollectionID, v.Username, v.Password,
		string(v.DefaultTLP), v.Confidence, int64(v.Interval), v.Enabled, timeArg(v.Cursor), timeArg(v.LastRunAt),
		v.LastOK, v.LastError, v.LastAdded, v.LastUpdated, v.CreatedAt, v.UpdatedAt).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create feed: %w", translate(err))
	}
	*f = v
	return nil
}

// GetFeed returns the feed with id, password included.
func (db *DB) GetFeed(ctx context.Context, id int64) (intel.Feed, error) {
	f, err := scanFeed(db.pool.QueryRow(ctx, `SELECT `+feedColumns+` FROM intel_feeds WHERE id = $1`, id))
	if err != nil {
		return intel.Feed{}, fmt.Errorf("get feed: %w", notFound(err, "feed", id))
	}
	return f, nil
}

// ListFeeds returns the feeds of units (nil: every unit) by id, passwords
// included.
func (db *DB) ListFeeds(ctx context.Context, units []int64) ([]intel.Feed, error) {
	var q query
	if !q.inUnits(units) {
		return nil, nil
	}
	out, err := list(ctx, db.pool, scanFeed, `SELECT `+feedColumns+` FROM intel_feeds`+q.clause()+` ORDER BY id`,
		q.args...)
	if err != nil {
		return nil, fmt.Errorf("list feeds: %w", err)
	}
	return out, nil
}

// UpdateFeed calls update on feed id, read FOR UPDATE, and writes back
// every field but ID, UnitID, CreatedAt and the results of the last run,
// with UpdatedAt now, in the same transaction. update runs while the row
// is locked, so it must not call the DB. If update fails, its error is
// returned and nothing is written.
func (db *DB) UpdateFeed(ctx context.Context, id int64, update func(*intel.Feed) error) (intel.Feed, error) {
	var out intel.Feed
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanFeed(tx.QueryRow(ctx, `SELECT `+feedColumns+` FROM intel_feeds WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return notFound(err, "feed", id)
		}
		v, err := applyFeed(cur, update)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE intel_feeds SET name = $1, kind = $2, url = $3, api_root = $4,
			collection_id = $5, username = $6, password = $7, default_tlp = $8, confidence = $9, interval_ns = $10,
			enabled = $11, cursor = $12, updated_at = $13 WHERE id = $14`,
			v.Name, string(v.Kind), v.URL, v.APIRoot, v.CollectionID, v.Username, v.Password, string(v.DefaultTLP),
			v.Confidence, int64(v.Interval), v.Enabled, timeArg(v.Cursor), v.UpdatedAt, id)
		if err != nil {
			return translate(err)
		}
		out = v
		return nil
	})
	if err != nil {
		return intel.Feed{}, fmt.Errorf("update feed: %w", err)
	}
	return out, nil
}

// applyFeed calls update on a copy of cur and returns what is stored: its
// settings and cursor, with ID, UnitID, CreatedAt and the run results of
// cur and UpdatedAt now. It returns update's error, or an errs.ErrInvalid
// one if the result cannot be stored.
func applyFeed(cur intel.Feed, update func(*intel.Feed) error) (intel.Feed, error) {
	c := cur
	if err := update(&c); err != nil {
		return intel.Feed{}, err
	}
	v := normFeed(c)
	v.ID, v.UnitID, v.CreatedAt, v.UpdatedAt = cur.ID, cur.UnitID, cur.CreatedAt, toTime(time.Now())
	v.LastRunAt, v.LastOK, v.LastError, v.LastAdded, v.LastUpdated = cur.LastRunAt, cur.LastOK, cur.LastError,
		cur.LastAdded, cur.LastUpdated
	if err := checkFeed(&v); err != nil {
		return intel.Feed{}, err
	}
	return v, nil
}

// DeleteFeed deletes feed id; its indicators stay.
func (db *DB) DeleteFeed(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM intel_feeds WHERE id = $1`, id)
	if err := mustAffect(tag, err, "feed", id); err != nil {
		return fmt.Errorf("delete feed: %w", err)
	}
	return nil
}

// checkFeedRun returns an errs.ErrInvalid error unless run can be
// recorded: a time, an error of at most intel.MaxFeedError bytes.
func checkFeedRun(run intel.FeedRun) error {
	switch {
	case run.At.IsZero():
		return errs.Invalid("at", "err.invalid")
	case len(run.Error) > intel.MaxFeedError:
		return errs.Invalid("error", "err.invalid")
	}
	return nil
}

// RecordFeedRun stores the outcome of a pull of feed id in one statement,
// the cursor only when run.OK.
func (db *DB) RecordFeedRun(ctx context.Context, id int64, run intel.FeedRun) error {
	if err := checkFeedRun(run); err != nil {
		return fmt.Errorf("record feed run: %w", err)
	}
	tag, err := db.pool.Exec(ctx, `UPDATE intel_feeds SET last_run_at = $1, last_ok = $2, last_error = $3,
		last_added = $4, last_updated = $5, cursor = CASE WHEN $2 THEN $6::timestamptz ELSE cursor END WHERE id = $7`,
		toTime(run.At), run.OK, run.Error, run.Added, run.Updated, timeArg(run.Cursor), id)
	if err := mustAffect(tag, err, "feed", id); err != nil {
		return fmt.Errorf("record feed run: %w", err)
	}
	return nil
}
