package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/user"
)

const userColumns = `id, unit_id, username, display_name, email, role, locale,
	disabled, must_change_password, mfa_enabled, created_at, updated_at, last_login_at,
	password_hash, mfa_secret, recovery_codes, failed_logins, locked_until, mfa_last_step,
	ARRAY(SELECT unit_id FROM user_units WHERE user_id = users.id ORDER BY unit_id)`

func scanUser(row pgx.Row) (user.User, error) {
	var (
		u                user.User
		role             string
		created, updated time.Time
		login, locked    *time.Time
	)
	err := row.Scan(&u.ID, &u.UnitID, &u.Username, &u.DisplayName, &u.Email, &role, &u.Locale,
		&u.Disabled, &u.MustChangePassword, &u.MFAEnabled, &created, &updated, &login,
		&u.PasswordHash, &u.MFASecret, &u.RecoveryCodes, &u.FailedLogins, &locked, &u.MFALastStep, &u.UnitIDs)
	if err != nil {
		return user.User{}, err
	}
	u.Role = authz.Role(role)
	u.CreatedAt, u.UpdatedAt = created.UTC(), updated.UTC()
	u.LastLoginAt, u.LockedUntil = fromDB(login), fromDB(locked)
	u.RecoveryCodes, u.UnitIDs = nilIfEmpty(u.RecoveryCodes), nilIfEmpty(u.UnitIDs)
	return u, nil
}

func nilIfEmpty[T any](v []T) []T {
	if len(v) == 0 {
		return nil
	}
	return v
}

// notNil returns v, or an empty slice for nil (pgx writes a nil slice as NULL).
func notNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// uniqueIDs returns ids sorted without duplicates, nil when empty.
func uniqueIDs(ids []int64) []int64 {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// setUnits replaces the rows of a join table (user_units, api_token_units)
// for owner with ids.
func setUnits(ctx context.Context, tx pgx.Tx, table, ownerCol string, owner int64, ids []int64, replace bool) error {
	if replace {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE `+ownerCol+` = $1`, owner); err != nil {
			return translate(err)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+ownerCol+`, unit_id) SELECT $1, unnest($2::bigint[])`, owner, ids)
	return translate(err)
}

// CountUsers returns the number of accounts.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", translate(err))
	}
	return n, nil
}

// CreateUser inserts u with its grants and sets u.ID. Every field is written,
// the login counters included. The username is stored lower-case; a zero
// CreatedAt becomes now and a zero UpdatedAt CreatedAt. Fields that the
// database normalises (username, times, UnitIDs sorted and de-duplicated)
// are written back to u.
func (db *DB) CreateUser(ctx context.Context, u *user.User) error {
	name := user.NormalizeUsername(u.Username)
	created := nowIfZero(u.CreatedAt)
	updated := toTime(u.UpdatedAt)
	if updated.IsZero() {
		updated = created
	}
	units := uniqueIDs(u.UnitIDs)
	var id int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO users (unit_id, username, display_name, email, role, locale,
			disabled, must_change_password, mfa_enabled, created_at, updated_at, last_login_at,
			password_hash, mfa_secret, recovery_codes, failed_logins, locked_until, mfa_last_step)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
			RETURNING id`,
			u.UnitID, name, u.DisplayName, u.Email, string(u.Role), u.Locale,
			u.Disabled, u.MustChangePassword, u.MFAEnabled, created, updated, timeArg(u.LastLoginAt),
			u.PasswordHash, u.MFASecret, notNil(u.RecoveryCodes), u.FailedLogins,
			timeArg(u.LockedUntil), u.MFALastStep).Scan(&id)
		if err != nil {
			return translate(err)
		}
		return setUnits(ctx, tx, "user_units", "user_id", id, units, false)
	})
	if err != nil {
		return fmt.Errorf("create user %q: %w", name, err)
	}
	u.ID, u.Username, u.UnitIDs = id, name, units
	u.CreatedAt, u.UpdatedAt = created, updated
	u.LastLoginAt, u.LockedUntil = toTime(u.LastLoginAt), toTime(u.LockedUntil)
	return nil
}

// GetUser returns the account with id.
func (db *DB) GetUser(ctx context.Context, id int64) (user.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return user.User{}, fmt.Errorf("get user: %w", notFound(err, "user", id))
	}
	return u, nil
}

// GetUserByUsername returns the account whose username is exactly username.
func (db *DB) GetUserByUsername(ctx context.Context, username string) (user.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	if err != nil {
		return user.User{}, fmt.Errorf("get user: %w", notFound(err, "user", fmt.Sprintf("%q", username)))
	}
	return u, nil
}

// ListUsers returns every account, ordered by id.
func (db *DB) ListUsers(ctx context.Context) ([]user.User, error) {
	out, err := list(ctx, db.pool, scanUser, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser writes every field of u except the login counters
// (FailedLogins, LockedUntil, LastLoginAt, MFALastStep) and CreatedAt, and
// replaces its grants. A zero UpdatedAt becomes now.
func (db *DB) UpdateUser(ctx context.Context, u *user.User) error {
	name := user.NormalizeUsername(u.Username)
	updated := nowIfZero(u.UpdatedAt)
	units := uniqueIDs(u.UnitIDs)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET unit_id = $1, username = $2, display_name = $3,
			email = $4, role = $5, locale = $6, disabled = $7, must_change_password = $8, mfa_enabled = $9,
			updated_at = $10, password_hash = $11, mfa_secret = $12, recovery_codes = $13
			WHERE id = $14`,
			u.UnitID, name, u.DisplayName, u.Email, string(u.Role), u.Locale,
			u.Disabled, u.MustChangePassword, u.MFAEnabled,
			updated, u.PasswordHash, u.MFASecret, notNil(u.RecoveryCodes), u.ID)
		if err := mustAffect(tag, err, "user", u.ID); err != nil {
			return err
		}
		return setUnits(ctx, tx, "user_units", "user_id", u.ID, units, true)
	})
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	u.Username, u.UnitIDs, u.UpdatedAt = name, units, updated
	return nil
}

// RecordLoginFailure increments the failure count of user id and sets
// LockedUntil to lock(new count), in one transaction: the first UPDATE locks
// the row until commit, so concurrent failures are counted one after another.
func (db *DB) RecordLoginFailure(ctx context.Context, id int64, lock func(failures int) time.Time) (int, error) {
	var n int
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx,
			`UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins`, id).Scan(&n)
		if err != nil {
			return notFound(err, "user", id)
		}
		_, err = tx.Exec(ctx, `UPDATE users SET locked_until = $1 WHERE id = $2`, timeArg(lock(n)), id)
		return translate(err)
	})
	if err != nil {
		return 0, fmt.Errorf("record login failure: %w", err)
	}
	return n, nil
}

// RecordLoginSuccess resets the failure count and lock of user id and sets
// LastLoginAt.
func (db *DB) RecordLoginSuccess(ctx context.Context, id int64, at time.Time) error {
	tag, err := db.pool.Exec(ctx,
		`UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1 WHERE id = $2`,
		timeArg(at), id)
	if err := mustAffect(tag, err, "user", id); err != nil {
		return fmt.Errorf("record login success: %w", err)
	}
	return nil
}

// UseTOTPStep stores step as the last used TOTP step of user id if it is
// greater than the stored one, in one statement, and reports whether it did.
func (db *DB) UseTOTPStep(ctx context.Context, id int64, step int64) (bool, error) {
	tag, err := db.pool.Exec(ctx,
		`UPDATE users SET mfa_last_step = $1 WHERE id = $2 AND mfa_last_step < $1`, step, id)
	err = mustAffect(tag, err, "user", id)
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, errs.ErrNotFound):
		return false, fmt.Errorf("use totp step: %w", err)
	}
	// No row changed: the step was used already, or there is no such user.
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, id).Scan(&exists); err != nil {
		return false, fmt.Errorf("use totp step: %w", translate(err))
	}
	if !exists {
		return false, fmt.Errorf("use totp step: %w", errs.NotFound("user", id))
	}
	return false, nil
}

const sessionColumns = `id_hash, user_id, mfa_pending, created_at, expires_at, last_seen_at, ip, user_agent`

// CreateSession inserts s. A zero CreatedAt becomes now; ExpiresAt is
// required (errs.ErrInvalid when zero). Times are written back normalised.
func (db *DB) CreateSession(ctx context.Context, s *user.Session) error {
	created := nowIfZero(s.CreatedAt)
	_, err := db.pool.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.IDHash, s.UserID, s.MFAPending, created, timeArg(s.ExpiresAt), timeArg(s.LastSeenAt), s.IP, s.UserAgent)
	if err != nil {
		return fmt.Errorf("create session: %w", translate(err))
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = created, toTime(s.ExpiresAt), toTime(s.LastSeenAt)
	return nil
}

// GetSession returns the session whose token hashes to idHash.
func (db *DB) GetSession(ctx context.Context, idHash string) (user.Session, error) {
	var (
		s                user.Session
		created, expires time.Time
		seen             *time.Time
	)
	err := db.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id_hash = $1`, idHash).
		Scan(&s.IDHash, &s.UserID, &s.MFAPending, &created, &expires, &seen, &s.IP, &s.UserAgent)
	if err != nil {
		// The hash is a credential: it is not repeated in the error.
		return user.Session{}, fmt.Errorf("get session: %w", notFound(err, "session", "(hash)"))
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = created.UTC(), expires.UTC(), fromDB(seen)
	return s, nil
}

// TouchSession sets the LastSeenAt of a session.
func (db *DB) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2`, timeArg(at), idHash)
	if err := mustAffect(tag, err, "session", "(hash)"); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession deletes one session.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	if err := mustAffect(tag, err, "session", "(hash)"); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions deletes every session of a user and returns how many.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete user sessions: %w", translate(err))
	}
	return int(tag.RowsAffected()), nil
}

// DeleteExpiredSessions deletes the sessions that expired before now and
// returns how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < $1`, toTime(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", translate(err))
	}
	return int(tag.RowsAffected()), nil
}

const tokenColumns = `id, user_id, name, prefix, hash, role, created_at, expires_at, last_used_at,
	ARRAY(SELECT unit_id FROM api_token_units WHERE token_id = api_tokens.id ORDER BY unit_id)`

func scanToken(row pgx.Row) (user.APIToken, error) {
	var (
		t           user.APIToken
		role        string
		created     time.Time
		exp, usedAt *time.Time
	)
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.Hash, &role, &created, &exp, &usedAt, &t.UnitIDs); err != nil {
		return user.APIToken{}, err
	}
	t.Role = authz.Role(role)
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = created.UTC(), fromDB(exp), fromDB(usedAt)
	t.UnitIDs = nilIfEmpty(t.UnitIDs)
	return t, nil
}

// CreateAPIToken inserts t with its units and sets t.ID. A duplicate hash is
// errs.ErrConflict. A zero CreatedAt becomes now; normalised fields are
// written back.
func (db *DB) CreateAPIToken(ctx context.Context, t *user.APIToken) error {
	created := nowIfZero(t.CreatedAt)
	units := uniqueIDs(t.UnitIDs)
	var id int64
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO api_tokens
			(user_id, name, prefix, hash, role, created_at, expires_at, last_used_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			t.UserID, t.Name, t.Prefix, t.Hash, string(t.Role), created,
			timeArg(t.ExpiresAt), timeArg(t.LastUsedAt)).Scan(&id)
		if err != nil {
			return translate(err)
		}
		return setUnits(ctx, tx, "api_token_units", "token_id", id, units, false)
	})
	if err != nil {
		return fmt.Errorf("create api token: %w", err)
	}
	t.ID, t.UnitIDs, t.CreatedAt = id, units, created
	t.ExpiresAt, t.LastUsedAt = toTime(t.ExpiresAt), toTime(t.LastUsedAt)
	return nil
}

// GetAPITokenByHash returns the token whose SHA-256 is hash.
func (db *DB) GetAPITokenByHash(ctx context.Context, hash string) (user.APIToken, error) {
	t, err := scanToken(db.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	if err != nil {
		return user.APIToken{}, fmt.Errorf("get api token: %w", notFound(err, "api token", "(hash)"))
	}
	return t, nil
}

// ListAPITokens returns the tokens of a user, ordered by id.
func (db *DB) ListAPITokens(ctx context.Context, userID int64) ([]user.APIToken, error) {
	out, err := list(ctx, db.pool, scanToken,
		`SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}

// DeleteAPIToken deletes token id if it belongs to userID; otherwise the
// result is errs.ErrNotFound, as for an unknown id.
func (db *DB) DeleteAPIToken(ctx context.Context, userID, id int64) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM api_tokens WHERE id = $1 AND user_id = $2`, id, userID)
	if err := mustAffect(tag, err, "api token", id); err != nil {
		return fmt.Errorf("delete api token: %w", err)
	}
	return nil
}

// TouchAPIToken sets the LastUsedAt of token id.
func (db *DB) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, timeArg(at), id)
	if err := mustAffect(tag, err, "api token", id); err != nil {
		return fmt.Errorf("touch api token: %w", err)
	}
	return nil
}
