package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/notify"
)

var _ notify.Store = (*DB)(nil)

const notificationColumns = `n.id, n.user_id, n.unit_id, coalesce(n.system_id, 0), n.kind, n.severity, n.title_vi,
	n.title_en, n.body_vi, n.body_en, n.link, n.dedupe_key, n.created_at`

func scanNotification(row pgx.Row) (notify.Notification, error) {
	var (
		n              notify.Notification
		userID, unitID *int64
		kind, sev      string
		key            *string
		created        time.Time
		read           *time.Time
	)
	if err := row.Scan(&n.ID, &userID, &unitID, &n.SystemID, &kind, &sev, &n.TitleVI, &n.TitleEN, &n.BodyVI,
		&n.BodyEN, &n.Link, &key, &created, &read); err != nil {
		return notify.Notification{}, err
	}
	if userID != nil {
		n.UserID = *userID
	}
	if unitID != nil {
		n.UnitID = *unitID
	}
	if key != nil {
		n.DedupeKey = *key
	}
	n.Kind, n.Severity = notify.Kind(kind), notify.Severity(sev)
	n.CreatedAt, n.ReadAt = created.UTC(), fromDB(read)
	return n, nil
}

// CreateNotification inserts n unless a notification with its non-empty
// DedupeKey exists, in which case that one is written back to n and created
// is false. INSERT … ON CONFLICT DO NOTHING waits for a concurrent insert
// of the same key to commit or roll back, so exactly one of concurrent
// creates inserts; the others then read the committed row in a statement
// of their own (under READ COMMITTED a new statement sees it).
func (db *DB) CreateNotification(ctx context.Context, n *notify.Notification) (bool, error) {
	v := *n
	v.CreatedAt, v.ReadAt = nowIfZero(v.CreatedAt), time.Time{}
	var key any
	if v.DedupeKey != "" {
		key = v.DedupeKey
	}
	// The existing row can only vanish (its user deleted) between the two
	// statements; then the insert is tried again.
	for range 3 {
		err := db.pool.QueryRow(ctx, `INSERT INTO notifications (user_id, unit_id, system_id, kind, severity, title_vi,
			title_en, body_vi, body_en, link, dedupe_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
			$11, $12) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
			idArg(v.UserID), idArg(v.UnitID), idArg(v.SystemID), string(v.Kind), string(v.Severity), v.TitleVI,
			v.TitleEN, v.BodyVI, v.BodyEN, v.Link, key, v.CreatedAt).Scan(&v.ID)
		if err == nil {
			*n = v
			return true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return false, fmt.Errorf("create notification: %w", translate(err))
		}
		got, err := scanNotification(db.pool.QueryRow(ctx,
			`SELECT `+notificationColumns+`, NULL::timestamptz FROM notifications n WHERE n.dedupe_key = $1`, key))
		if err == nil {
			*n = got
			return false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return false, fmt.Errorf("create notification: %w", translate(err))
		}
	}
	return false, fmt.Errorf("create notification: dedupe key %q: %w", v.DedupeKey, errs.ErrUnavailable)
}

// GetNotification returns the notification with id, ReadAt zero.
func (db *DB) GetNotification(ctx context.Context, id int64) (notify.Notification, error) {
	n, err := scanNotification(db.pool.QueryRow(ctx,
		`SELECT `+notificationColumns+`, NULL::timestamptz FROM notifications n WHERE n.id = $1`, id))
	if err != nil {
		return notify.Notification{}, fmt.Errorf("get notification: %w", notFound(err, "notification", id))
	}
	return n, nil
}

// inbox returns the query selecting what f selects, as seen by f.UserID
// (whose id is $1, used by the caller's join on notification_reads). It
// reports false when nothing can match.
func inbox(f notify.Filter, withBefore bool) (query, bool) {
	q := query{args: []any{f.UserID}}
	var unitCond string
	switch {
	case f.Units == nil:
		unitCond = `n.user_id IS NULL`
	case len(f.Units) > 0:
		q.args = append(q.args, f.Units)
		unitCond = `n.user_id IS NULL AND n.unit_id = ANY($2::bigint[])`
	}
	switch {
	case f.UserID != 0 && unitCond != "":
		q.conds = append(q.conds, `(n.user_id = $1 OR `+unitCond+`)`)
	case f.UserID != 0:
		q.conds = append(q.conds, `n.user_id = $1`)
	case unitCond != "":
		q.conds = append(q.conds, unitCond)
	default:
		return q, false
	}
	if withBefore && f.BeforeID > 0 {
		q.where(`n.id < ?`, f.BeforeID)
	}
	return q, true
}

// ListNotifications returns what f selects, newest first, with ReadAt for
// f.UserID.
func (db *DB) ListNotifications(ctx context.Context, f notify.Filter) ([]notify.Notification, error) {
	q, ok := inbox(f, true)
	if !ok {
		return nil, nil
	}
	if f.UnreadOnly {
		q.where(`r.read_at IS NULL`)
	}
	out, err := list(ctx, db.pool, scanNotification, `SELECT `+notificationColumns+`, r.read_at
		FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = $1::bigint`+
		q.clause()+` ORDER BY n.id DESC`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// MarkNotificationRead records that userID read notification id at at,
// keeping an earlier record.
func (db *DB) MarkNotificationRead(ctx context.Context, id, userID int64, at time.Time) error {
	if userID <= 0 {
		return fmt.Errorf("mark notification read: %w", errs.Invalid("user_id", "err.invalid"))
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var owner *int64
		if err := tx.QueryRow(ctx, `SELECT user_id FROM notifications WHERE id = $1`, id).Scan(&owner); err != nil {
			return notFound(err, "notification", id)
		}
		if owner != nil && *owner != userID {
			return errs.NotFound("notification", id)
		}
		_, err := tx.Exec(ctx, `INSERT INTO notification_reads (notification_id, user_id, read_at)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, id, userID, nowIfZero(at))
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("mark notification read: %w", err)
	}
	return nil
}

// MarkAllRead marks read for f.UserID everything f selects.
func (db *DB) MarkAllRead(ctx context.Context, f notify.Filter, at time.Time) (int, error) {
	if f.UserID <= 0 {
		return 0, fmt.Errorf("mark all notifications read: %w", errs.Invalid("user_id", "err.invalid"))
	}
	q, _ := inbox(f, true)
	q.args = append(q.args, nowIfZero(at))
	tag, err := db.pool.Exec(ctx, fmt.Sprintf(`INSERT INTO notification_reads (notification_id, user_id, read_at)
		SELECT n.id, $1::bigint, $%d::timestamptz FROM notifications n`, len(q.args))+q.clause()+`
		ON CONFLICT DO NOTHING`, q.args...)
	if err != nil {
		return 0, fmt.Errorf("mark all notifications read: %w", translate(err))
	}
	return int(tag.RowsAffected()), nil
}

// CountUnread counts what f selects that f.UserID has not read.
func (db *DB) CountUnread(ctx context.Context, f notify.Filter) (int, error) {
	if f.UserID <= 0 {
		return 0, fmt.Errorf("count unread notifications: %w", errs.Invalid("user_id", "err.invalid"))
	}
	q, _ := inbox(f, true)
	q.where(`NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = $1::bigint)`)
	var count int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM notifications n`+q.clause(), q.args...).Scan(&count); err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", translate(err))
	}
	return count, nil
}

const channelColumns = `id, kind, name, unit_id, coalesce(system_id, 0), rate_limit, config, secret, enabled,
	min_severity, created_at, updated_at`

func scanChannel(row pgx.Row) (notify.ChannelConfig, error) {
	var (
		c                notify.ChannelConfig
		kind, sev        string
		unitID           *int64
		created, updated time.Time
	)
	if err := row.Scan(&c.ID, &kind, &c.Name, &unitID, &c.SystemID, &c.RateLimit, &c.Config, &c.Secret, &c.Enabled,
		&sev, &created, &updated); err != nil {
		return notify.ChannelConfig{}, err
	}
	if unitID != nil {
		c.UnitID = *unitID
	}
	c.Kind, c.MinSeverity = notify.ChannelKind(kind), notify.Severity(sev)
	c.CreatedAt, c.UpdatedAt = created.UTC(), updated.UTC()
	return c, nil
}

// CreateChannel inserts c and sets c.ID. A zero CreatedAt becomes now and
// a zero UpdatedAt CreatedAt.
func (db *DB) CreateChannel(ctx context.Context, c *notify.ChannelConfig) error {
	v := *c
	v.CreatedAt = nowIfZero(v.CreatedAt)
	v.UpdatedAt = toTime(v.UpdatedAt)
	if v.UpdatedAt.IsZero() {
		v.UpdatedAt = v.CreatedAt
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO notification_channels (kind, name, unit_id, system_id, rate_limit,
		config, secret, enabled, min_severity, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
		$10, $11) RETURNING id`,
		string(v.Kind), v.Name, idArg(v.UnitID), idArg(v.SystemID), v.RateLimit, v.Config, v.Secret, v.Enabled,
		string(v.MinSeverity), v.CreatedAt, v.UpdatedAt).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create notification channel: %w", translate(err))
	}
	*c = v
	return nil
}

// GetChannel returns the channel with id, secret included.
func (db *DB) GetChannel(ctx context.Context, id int64) (notify.ChannelConfig, error) {
	c, err := scanChannel(db.pool.QueryRow(ctx, `SELECT `+channelColumns+` FROM notification_channels WHERE id = $1`, id))
	if err != nil {
		return notify.ChannelConfig{}, fmt.Errorf("get notification channel: %w", notFound(err, "notification channel", id))
	}
	return c, nil
}

// ListChannels returns every channel by id, secrets included.
func (db *DB) ListChannels(ctx context.Context) ([]notify.ChannelConfig, error) {
	out, err := list(ctx, db.pool, scanChannel, `SELECT `+channelColumns+` FROM notification_channels ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list notification channels: %w", err)
	}
	return out, nil
}

// UpdateChannel writes every field of c but CreatedAt. A zero UpdatedAt
// becomes now.
func (db *DB) UpdateChannel(ctx context.Context, c *notify.ChannelConfig) error {
	v := *c
	v.UpdatedAt = nowIfZero(v.UpdatedAt)
	tag, err := db.pool.Exec(ctx, `UPDATE notification_channels SET kind = $1, name = $2, unit_id = $3, config = $4,
		secret = $5, enabled = $6, min_severity = $7, updated_at = $8, system_id = $10, rate_limit = $11 WHERE id = $9`,
		string(v.Kind), v.Name, idArg(v.UnitID), v.Config, v.Secret, v.Enabled, string(v.MinSeverity),
		v.UpdatedAt, v.ID, idArg(v.SystemID), v.RateLimit)
	if err := mustAffect(tag, err, "notification channel", v.ID); err != nil {
		return fmt.Errorf("update notification channel: %w", err)
	}
	c.UpdatedAt = v.UpdatedAt
	return nil
}

// DeleteChannel deletes channel id and its delivery log.
func (db *DB) DeleteChannel(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM notification_channels WHERE id = $1`, id)
	if err := mustAffect(tag, err, "notification channel", id); err != nil {
		return fmt.Errorf("delete notification channel: %w", err)
	}
	return nil
}

const deliveryColumns = `id, channel_id, notification_id, attempt, ok, error, suppressed, at`

func scanDelivery(row pgx.Row) (notify.Delivery, error) {
	var (
		d  notify.Delivery
		at time.Time
	)
	if err := row.Scan(&d.ID, &d.ChannelID, &d.NotificationID, &d.Attempt, &d.OK, &d.Error, &d.Suppressed,
		&at); err != nil {
		return notify.Delivery{}, err
	}
	d.At = at.UTC()
	return d, nil
}

// RecordDelivery appends d to the log and sets d.ID. A zero At becomes now.
func (db *DB) RecordDelivery(ctx context.Context, d *notify.Delivery) error {
	v := *d
	v.At = nowIfZero(v.At)
	err := db.pool.QueryRow(ctx, `INSERT INTO notification_deliveries (channel_id, notification_id, attempt, ok,
		error, suppressed, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		v.ChannelID, v.NotificationID, v.Attempt, v.OK, v.Error, v.Suppressed, v.At).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("record notification delivery: %w", translate(err))
	}
	*d = v
	return nil
}

// ListDeliveries returns the records f selects, newest first.
func (db *DB) ListDeliveries(ctx context.Context, f notify.DeliveryFilter) ([]notify.Delivery, error) {
	var q query
	if f.ChannelID != 0 {
		q.where(`channel_id = ?`, f.ChannelID)
	}
	if f.NotificationID != 0 {
		q.where(`notification_id = ?`, f.NotificationID)
	}
	if !f.Since.IsZero() {
		q.where(`at >= ?`, toTime(f.Since))
	}
	if f.FailedOnly {
		q.where(`NOT ok`)
	}
	if f.BeforeID > 0 {
		q.where(`id < ?`, f.BeforeID)
	}
	out, err := list(ctx, db.pool, scanDelivery,
		`SELECT `+deliveryColumns+` FROM notification_deliveries`+q.clause()+` ORDER BY id DESC`+q.limit(f.Limit), q.args...)
	if err != nil {
		return nil, fmt.Errorf("list notification deliveries: %w", err)
	}
	return out, nil
}
