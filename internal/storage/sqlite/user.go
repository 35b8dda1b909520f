package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/user"
)

const userColumns = `id, unit_id, username, display_name, email, role, locale,
	disabled, must_change_password, mfa_enabled, created_at, updated_at, last_login_at,
	password_hash, mfa_secret, recovery_codes, failed_logins, locked_until, mfa_last_step,
	(SELECT json_group_array(unit_id ORDER BY unit_id) FROM user_units WHERE user_id = users.id)`

func scanUser(s scanner) (user.User, error) {
	var (
		u                               user.User
		role                            string
		created, updated, login, locked sql.NullInt64
		codes, units                    string
	)
	err := s.Scan(&u.ID, &u.UnitID, &u.Username, &u.DisplayName, &u.Email, &role, &u.Locale,
		&u.Disabled, &u.MustChangePassword, &u.MFAEnabled, &created, &updated, &login,
		&u.PasswordHash, &u.MFASecret, &codes, &u.FailedLogins, &locked, &u.MFALastStep, &units)
	if err != nil {
		return user.User{}, err
	}
	u.Role = authz.Role(role)
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	u.LastLoginAt, u.LockedUntil = fromMicros(login), fromMicros(locked)
	if u.RecoveryCodes, err = decodeList[string](codes); err != nil {
		return user.User{}, fmt.Errorf("decode recovery codes of user %d: %w", u.ID, err)
	}
	if u.UnitIDs, err = decodeList[int64](units); err != nil {
		return user.User{}, fmt.Errorf("decode units of user %d: %w", u.ID, err)
	}
	return u, nil
}

// decodeList decodes a JSON array; an empty one gives nil.
func decodeList[T any](s string) ([]T, error) {
	var out []T
	if s == "" || s == "[]" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// encodeList encodes a list as a JSON array ("[]" for nil).
func encodeList[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // strings and integers always encode
	return string(b)
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
func setUnits(ctx context.Context, tx *sql.Tx, table, ownerCol string, owner int64, ids []int64, replace bool) error {
	if replace {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+ownerCol+` = $1`, owner); err != nil {
			return translate(err)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+table+` (`+ownerCol+`, unit_id) VALUES ($1, $2)`)
	if err != nil {
		return translate(err)
	}
	defer stmt.Close()
	for _, id := range ids {
		if _, err := stmt.ExecContext(ctx, owner, id); err != nil {
			return translate(err)
		}
	}
	return nil
}

// CountUsers returns the number of accounts.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
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
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO users (unit_id, username, display_name, email, role, locale,
			disabled, must_change_password, mfa_enabled, created_at, updated_at, last_login_at,
			password_hash, mfa_secret, recovery_codes, failed_logins, locked_until, mfa_last_step)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
			RETURNING id`,
			u.UnitID, name, u.DisplayName, u.Email, string(u.Role), u.Locale,
			boolArg(u.Disabled), boolArg(u.MustChangePassword), boolArg(u.MFAEnabled),
			created.UnixMicro(), updated.UnixMicro(), timeArg(u.LastLoginAt),
			u.PasswordHash, u.MFASecret, encodeList(u.RecoveryCodes), u.FailedLogins,
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
	u, err := scanUser(db.getUser.QueryRowContext(ctx, id))
	if err != nil {
		return user.User{}, fmt.Errorf("get user: %w", notFound(err, "user", id))
	}
	return u, nil
}

// GetUserByUsername returns the account whose username is exactly username.
func (db *DB) GetUserByUsername(ctx context.Context, username string) (user.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	if err != nil {
		return user.User{}, fmt.Errorf("get user: %w", notFound(err, "user", fmt.Sprintf("%q", username)))
	}
	return u, nil
}

// ListUsers returns every account, ordered by id.
func (db *DB) ListUsers(ctx context.Context) ([]user.User, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", translate(err))
	}
	defer rows.Close()
	var out []user.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", translate(err))
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", translate(err))
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
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET unit_id = $1, username = $2, display_name = $3,
			email = $4, role = $5, locale = $6, disabled = $7, must_change_password = $8, mfa_enabled = $9,
			updated_at = $10, password_hash = $11, mfa_secret = $12, recovery_codes = $13
			WHERE id = $14`,
			u.UnitID, name, u.DisplayName, u.Email, string(u.Role), u.Locale,
			boolArg(u.Disabled), boolArg(u.MustChangePassword), boolArg(u.MFAEnabled),
			updated.UnixMicro(), u.PasswordHash, u.MFASecret, encodeList(u.RecoveryCodes), u.ID)
		if err := mustAffect(res, err, "user", u.ID); err != nil {
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
// LockedUntil to lock(new count), in one write transaction.
func (db *DB) RecordLoginFailure(ctx context.Context, id int64, lock func(failures int) time.Time) (int, error) {
	var n int
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx,
			`UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins`, id).Scan(&n)
		if err != nil {
			return notFound(err, "user", id)
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET locked_until = $1 WHERE id = $2`, timeArg(lock(n)), id)
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
	res, err := db.w.ExecContext(ctx,
		`UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1 WHERE id = $2`,
		timeArg(at), id)
	if err := mustAffect(res, err, "user", id); err != nil {
		return fmt.Errorf("record login success: %w", err)
	}
	return nil
}

// UseTOTPStep stores step as the last used TOTP step of user id if it is
// greater than the stored one, in one statement, and reports whether it did.
func (db *DB) UseTOTPStep(ctx context.Context, id int64, step int64) (bool, error) {
	res, err := db.w.ExecContext(ctx,
		`UPDATE users SET mfa_last_step = $1 WHERE id = $2 AND mfa_last_step < $1`, step, id)
	err = mustAffect(res, err, "user", id)
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, errs.ErrNotFound):
		return false, fmt.Errorf("use totp step: %w", err)
	}
	// No row changed: the step was used already, or there is no such user.
	var exists bool
	if err := db.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, id).Scan(&exists); err != nil {
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
	_, err := db.w.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.IDHash, s.UserID, boolArg(s.MFAPending), created.UnixMicro(), timeArg(s.ExpiresAt),
		timeArg(s.LastSeenAt), s.IP, s.UserAgent)
	if err != nil {
		return fmt.Errorf("create session: %w", translate(err))
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = created, toTime(s.ExpiresAt), toTime(s.LastSeenAt)
	return nil
}

// GetSession returns the session whose token hashes to idHash.
func (db *DB) GetSession(ctx context.Context, idHash string) (user.Session, error) {
	var (
		s                      user.Session
		created, expires, seen sql.NullInt64
	)
	err := db.getSession.QueryRowContext(ctx, idHash).
		Scan(&s.IDHash, &s.UserID, &s.MFAPending, &created, &expires, &seen, &s.IP, &s.UserAgent)
	if err != nil {
		// The hash is a credential: it is not repeated in the error.
		return user.Session{}, fmt.Errorf("get session: %w", notFound(err, "session", "(hash)"))
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = fromMicros(created), fromMicros(expires), fromMicros(seen)
	return s, nil
}

// TouchSession sets the LastSeenAt of a session.
func (db *DB) TouchSession(ctx context.Context, idHash string, at time.Time) error {
	res, err := db.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2`, timeArg(at), idHash)
	if err := mustAffect(res, err, "session", "(hash)"); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession deletes one session.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	if err := mustAffect(res, err, "session", "(hash)"); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions deletes every session of a user and returns how many.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	return db.deleteSessions(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
}

// DeleteExpiredSessions deletes the sessions that expired before now and
// returns how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	return db.deleteSessions(ctx, `DELETE FROM sessions WHERE expires_at < $1`, now.UnixMicro())
}

func (db *DB) deleteSessions(ctx context.Context, query string, arg any) (int, error) {
	res, err := db.w.ExecContext(ctx, query, arg)
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", translate(err))
	}
	return int(n), nil
}

const tokenColumns = `id, user_id, name, prefix, hash, role, created_at, expires_at, last_used_at,
	(SELECT json_group_array(unit_id ORDER BY unit_id) FROM api_token_units WHERE token_id = api_tokens.id)`

func scanToken(s scanner) (user.APIToken, error) {
	var (
		t                    user.APIToken
		role, units          string
		created, exp, usedAt sql.NullInt64
	)
	if err := s.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.Hash, &role, &created, &exp, &usedAt, &units); err != nil {
		return user.APIToken{}, err
	}
	t.Role = authz.Role(role)
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = fromMicros(created), fromMicros(exp), fromMicros(usedAt)
	var err error
	if t.UnitIDs, err = decodeList[int64](units); err != nil {
		return user.APIToken{}, fmt.Errorf("decode units of token %d: %w", t.ID, err)
	}
	return t, nil
}

// CreateAPIToken inserts t with its units and sets t.ID. A duplicate hash is
// errs.ErrConflict. A zero CreatedAt becomes now; normalised fields are
// written back.
func (db *DB) CreateAPIToken(ctx context.Context, t *user.APIToken) error {
	created := nowIfZero(t.CreatedAt)
	units := uniqueIDs(t.UnitIDs)
	var id int64
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens
			(user_id, name, prefix, hash, role, created_at, expires_at, last_used_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			t.UserID, t.Name, t.Prefix, t.Hash, string(t.Role), created.UnixMicro(),
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
	t, err := scanToken(db.getToken.QueryRowContext(ctx, hash))
	if err != nil {
		return user.APIToken{}, fmt.Errorf("get api token: %w", notFound(err, "api token", "(hash)"))
	}
	return t, nil
}

// ListAPITokens returns the tokens of a user, ordered by id.
func (db *DB) ListAPITokens(ctx context.Context, userID int64) ([]user.APIToken, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", translate(err))
	}
	defer rows.Close()
	var out []user.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list api tokens: %w", translate(err))
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list api tokens: %w", translate(err))
	}
	return out, nil
}

// DeleteAPIToken deletes token id if it belongs to userID; otherwise the
// result is errs.ErrNotFound, as for an unknown id.
func (db *DB) DeleteAPIToken(ctx context.Context, userID, id int64) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = $1 AND user_id = $2`, id, userID)
	if err := mustAffect(res, err, "api token", id); err != nil {
		return fmt.Errorf("delete api token: %w", err)
	}
	return nil
}

// TouchAPIToken sets the LastUsedAt of token id.
func (db *DB) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	res, err := db.w.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, timeArg(at), id)
	if err := mustAffect(res, err, "api token", id); err != nil {
		return fmt.Errorf("touch api token: %w", err)
	}
	return nil
}
