// Package user holds accounts, roles and permissions, sessions, MFA and API
// tokens, and the one place where authorisation is decided
// (Principal.Authorize).
package user

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// User is an account. UnitID is the unit the account belongs to; UnitIDs
// are the units the user may act in (with their descendants).
type User struct {
	ID                 int64      `json:"id"`
	UnitID             int64      `json:"unit_id"`
	Username           string     `json:"username"`
	DisplayName        string     `json:"display_name"`
	Email              string     `json:"email,omitempty"`
	Role               authz.Role `json:"role"`
	Locale             string     `json:"locale,omitempty"`
	UnitIDs            []int64    `json:"unit_ids"`
	Disabled           bool       `json:"disabled"`
	MustChangePassword bool       `json:"must_change_password"`
	MFAEnabled         bool       `json:"mfa_enabled"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	LastLoginAt        time.Time  `json:"last_login_at,omitzero"`

	PasswordHash  string    `json:"-"`
	MFASecret     string    `json:"-"`
	RecoveryCodes []string  `json:"-"` // SHA-256 hex of unused recovery codes
	FailedLogins  int       `json:"-"`
	LockedUntil   time.Time `json:"-"`
	MFALastStep   int64     `json:"-"`
}

// Session is a browser login. The cookie carries a random token; only its
// SHA-256 (IDHash) is stored. MFAPending sessions have passed the password
// step only and grant nothing but the MFA step.
type Session struct {
	IDHash     string
	UserID     int64
	MFAPending bool
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// APIToken is a bearer token for /api/v1. Only its SHA-256 is stored;
// Prefix (the first characters) lets its owner recognise it.
type APIToken struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Hash       string     `json:"-"`
	Role       authz.Role `json:"role"`
	UnitIDs    []int64    `json:"unit_ids"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at,omitzero"`
	LastUsedAt time.Time  `json:"last_used_at,omitzero"`
}

// Store persists accounts, sessions and tokens. Implementations are safe for
// concurrent use and translate driver errors into errs kinds: unknown ids
// and hashes give errs.ErrNotFound, a duplicate username errs.ErrConflict.
// Usernames are stored lower-case; GetUserByUsername matches exactly.
// UpdateUser writes every field except the login counters (FailedLogins,
// LockedUntil, LastLoginAt, MFALastStep), which only the Record* and
// UseTOTPStep methods change, atomically.
type Store interface {
	AccountStore
	SessionStore
	TokenStore
}

// AccountStore persists accounts and their login counters.
type AccountStore interface {
	CountUsers(ctx context.Context) (int, error)
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id int64) (User, error)
	GetUserByUsername(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	UpdateUser(ctx context.Context, u *User) error
	// RecordLoginFailure increments the failure count, sets LockedUntil to
	// lock(newCount) and returns the new count. lock runs inside the
	// store's transaction: it must be quick and must not call the store.
	RecordLoginFailure(ctx context.Context, id int64, lock func(failures int) time.Time) (int, error)
	// RecordLoginSuccess resets the failure count and lock and sets LastLoginAt.
	RecordLoginSuccess(ctx context.Context, id int64, at time.Time) error
	// UseTOTPStep sets MFALastStep to step if it is greater than the stored
	// one and reports whether it did (a code is accepted once).
	UseTOTPStep(ctx context.Context, id int64, step int64) (bool, error)
}

// SessionStore persists browser sessions, keyed by the SHA-256 of their token.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	GetSession(ctx context.Context, idHash string) (Session, error)
	TouchSession(ctx context.Context, idHash string, at time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// TokenStore persists API tokens, keyed by the SHA-256 of their secret.
type TokenStore interface {
	CreateAPIToken(ctx context.Context, t *APIToken) error
	GetAPITokenByHash(ctx context.Context, hash string) (APIToken, error)
	ListAPITokens(ctx context.Context, userID int64) ([]APIToken, error)
	DeleteAPIToken(ctx context.Context, userID, id int64) error
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// NormalizeUsername lower-cases and trims a username.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Validate checks the profile fields of u.
func (u *User) Validate() error {
	u.Username = NormalizeUsername(u.Username)
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	u.Email = strings.TrimSpace(u.Email)
	switch {
	case !usernameRE.MatchString(u.Username):
		return errs.Invalid("username", "err.username")
	case u.DisplayName == "" || utf8.RuneCountInString(u.DisplayName) > 200:
		return errs.Invalid("display_name", "err.display_name")
	case !u.Role.Valid():
		return errs.Invalid("role", "err.role")
	case u.Locale != "" && u.Locale != "vi" && u.Locale != "en":
		return errs.Invalid("locale", "err.locale")
	case u.UnitID <= 0:
		return errs.Invalid("unit_id", "err.unit_required")
	}
	if u.Email != "" {
		if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
			return errs.Invalid("email", "err.email")
		}
	}
	return nil
}
