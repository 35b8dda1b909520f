package user

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/unit"
)

// TreeSource gives the current unit tree, to expand a user's grants.
type TreeSource interface {
	Tree(ctx context.Context) (*unit.Tree, error)
}

// Options configure the Service.
type Options struct {
	SessionTTL       time.Duration // absolute lifetime of a session
	SessionIdle      time.Duration // a session unused this long ends
	LockoutThreshold int           // failures before the account locks
	LockoutBase      time.Duration // first lock; doubled each further failure
	LockoutMax       time.Duration
	Issuer           string // shown in authenticator apps
	Now              func() time.Time
}

// Meta describes the request behind an unauthenticated action.
type Meta struct {
	IP        string
	UserAgent string
}

// Service implements accounts, login, sessions, MFA and API tokens.
type Service struct {
	store     Store
	units     TreeSource
	audit     *audit.Log
	opts      Options
	dummyHash string
	// hashing bounds how many argon2id computations run at once: each
	// takes 19 MiB and ~50 ms of CPU, so unbounded concurrent logins (even
	// of unknown users) would only queue on the CPUs while memory grows.
	hashing chan struct{}
}

// dummyHash is checked for unknown users so that their timing matches that
// of known ones. It has the parameters HashPassword uses (a test checks);
// its password is a discarded random one, and a match would be ignored anyway.
// A constant saves an argon2id computation (~50 ms, 19 MiB) at every start.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$+7Q7u4VCfhWktmMimF8wug$QbNgY/5+B820IyvZp97k2YTjkl52A+Xt0LoM/PjZ5pM"

// pendingTTL bounds the time between the password and the MFA step.
const pendingTTL = 5 * time.Minute

// NewService returns a Service.
func NewService(store Store, units TreeSource, log *audit.Log, opts Options) (*Service, error) {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = time.Hour
	}
	if opts.LockoutThreshold <= 0 {
		opts.LockoutThreshold = 5
	}
	if opts.LockoutBase <= 0 {
		opts.LockoutBase = time.Minute
	}
	if opts.LockoutMax <= 0 {
		opts.LockoutMax = time.Hour
	}
	if opts.Issuer == "" {
		opts.Issuer = "Khien"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{store: store, units: units, audit: log, opts: opts, dummyHash: dummyHash,
		hashing: make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))}, nil
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// errLogin is the one answer to every failed login, so that it tells
// nothing about which part failed or whether the account exists.
var errLogin = errs.Public(errs.ErrUnauthorized, "err.login_failed")

// HashToken returns the stored form of a session or API token.
func HashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

func newToken(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// checkPassword is CheckPassword with the concurrency bound.
func (s *Service) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.hashing }()
	return CheckPassword(hash, password)
}

// hashPassword is HashPassword with the concurrency bound.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.hashing }()
	return HashPassword(password)
}

// LoginResult is the outcome of a correct password.
type LoginResult struct {
	// Token is the new session's cookie value.
	Token string
	// MFARequired means Token is a pending session that only LoginMFA accepts.
	MFARequired bool
	User        User
}

// Login checks a username and password. Failures count towards a lockout.
func (s *Service) Login(ctx context.Context, username, password string, m Meta) (LoginResult, error) {
	name := NormalizeUsername(username)
	u, err := s.store.GetUserByUsername(ctx, name)
	if errors.Is(err, errs.ErrNotFound) {
		_, _ = s.checkPassword(ctx, s.dummyHash, password)
		return LoginResult{}, s.loginFailed(ctx, nil, name, "unknown user", m)
	}
	if err != nil {
		return LoginResult{}, err
	}
	now := s.now()
	if now.Before(u.LockedUntil) {
		// The password is not even checked while locked: a locked account
		// must not reveal whether a guess was right.
		return LoginResult{}, s.loginFailed(ctx, &u, name, "account locked", m)
	}
	ok, err := s.checkPassword(ctx, u.PasswordHash, password)
	if err != nil {
		return LoginResult{}, fmt.Errorf("check password of user %d: %w", u.ID, err)
	}
	if !ok {
		if _, err := s.store.RecordLoginFailure(ctx, u.ID, s.lockUntil); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, s.loginFailed(ctx, &u, name, "bad password", m)
	}
	if u.Disabled {
		return LoginResult{}, s.loginFailed(ctx, &u, name, "account disabled", m)
	}
	if u.MFAEnabled {
		tok := newToken("")
		sess := Session{IDHash: HashToken(tok), UserID: u.ID, MFAPending: true, CreatedAt: now,
			ExpiresAt: now.Add(pendingTTL), LastSeenAt: now, IP: m.IP, UserAgent: trim(m.UserAgent, 300)}
		if err := s.store.CreateSession(ctx, &sess); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{Token: tok, MFARequired: true, User: u}, nil
	}
	tok, err := s.startSession(ctx, u, m, "password")
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: tok, User: u}, nil
}

// lockUntil is the lockout policy: from the threshold on, each failure locks
// the account for twice as long as the one before, up to LockoutMax.
func (s *Service) lockUntil(failures int) time.Time {
	if failures < s.opts.LockoutThreshold {
		return time.Time{}
	}
	d := s.opts.LockoutBase
	for i := s.opts.LockoutThreshold; i < failures && d < s.opts.LockoutMax; i++ {
		d *= 2
	}
	return s.now().Add(min(d, s.opts.LockoutMax))
}

func (s *Service) loginFailed(ctx context.Context, u *User, name, reason string, m Meta) error {
	e := audit.Entry{Actor: trim(name, 64), Action: "user.login_failed", Detail: reason, IP: m.IP}
	if u != nil {
		e.ActorID, e.UnitID, e.Target = u.ID, u.UnitID, "user:"+strconv.FormatInt(u.ID, 10)
	}
	if err := s.audit.Record(ctx, e); err != nil {
		return err
	}
	return errLogin
}

// startSession creates a full session for u (a new id every time: the id is
// rotated at each login step) and records the login.
func (s *Service) startSession(ctx context.Context, u User, m Meta, how string) (string, error) {
	now := s.now()
	if err := s.store.RecordLoginSuccess(ctx, u.ID, now); err != nil {
		return "", err
	}
	tok := newToken("")
	sess := Session{IDHash: HashToken(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.opts.SessionTTL),
		LastSeenAt: now, IP: m.IP, UserAgent: trim(m.UserAgent, 300)}
	if err := s.store.CreateSession(ctx, &sess); err != nil {
		return "", err
	}
	err := s.audit.Record(ctx, audit.Entry{ActorID: u.ID, Actor: u.Username, UnitID: u.UnitID, Action: "user.login",
		Target: "user:" + strconv.FormatInt(u.ID, 10), Detail: how, IP: m.IP})
	return tok, err
}

// PendingUser returns the user of a pending (password-only) session.
func (s *Service) PendingUser(ctx context.Context, token string) (User, error) {
	sess, err := s.store.GetSession(ctx, HashToken(token))
	if err != nil || !sess.MFAPending || s.now().After(sess.ExpiresAt) {
		return User{}, errs.Public(errs.ErrUnauthorized, "err.session_expired")
	}
	return s.store.GetUser(ctx, sess.UserID)
}

// LoginMFA completes a login with a TOTP code or a recovery code. On
// success the pending session is replaced by a new full one.
func (s *Service) LoginMFA(ctx context.Context, pendingToken, code string, m Meta) (string, User, error) {
	u, err := s.PendingUser(ctx, pendingToken)
	if err != nil {
		return "", User{}, err
	}
	if s.now().Before(u.LockedUntil) || u.Disabled {
		_ = s.store.DeleteSession(ctx, HashToken(pendingToken))
		return "", User{}, s.loginFailed(ctx, &u, u.Username, "account locked during mfa", m)
	}
	how, ok, err := s.checkSecondFactor(ctx, &u, code)
	if err != nil {
		return "", User{}, err
	}
	if !ok {
		if _, err := s.store.RecordLoginFailure(ctx, u.ID, s.lockUntil); err != nil {
			return "", User{}, err
		}
		return "", User{}, s.loginFailed(ctx, &u, u.Username, "bad mfa code", m)
	}
	if err := s.store.DeleteSession(ctx, HashToken(pendingToken)); err != nil {
		return "", User{}, err
	}
	tok, err := s.startSession(ctx, u, m, how)
	return tok, u, err
}

// checkSecondFactor accepts a fresh TOTP code or an unused recovery code
// (which it then consumes).
func (s *Service) checkSecondFactor(ctx context.Context, u *User, code string) (string, bool, error) {
	code = strings.TrimSpace(code)
	if step := MatchTOTP(u.MFASecret, code, s.now()); step >= 0 {
		fresh, err := s.store.UseTOTPStep(ctx, u.ID, step)
		return "password+totp", fresh, err
	}
	h := HashToken(normalizeRecovery(code))
	if i := slices.Index(u.RecoveryCodes, h); i >= 0 && len(code) >= 10 {
		u.RecoveryCodes = slices.Delete(u.RecoveryCodes, i, i+1)
		u.UpdatedAt = s.now()
		if err := s.store.UpdateUser(ctx, u); err != nil {
			return "", false, err
		}
		return "password+recovery_code", true, nil
	}
	return "", false, nil
}

func normalizeRecovery(code string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))
}

// Authenticate returns the principal of a full session token.
func (s *Service) Authenticate(ctx context.Context, token string, ip string) (*authz.Principal, Session, error) {
	unauth := errs.Public(errs.ErrUnauthorized, "err.session_expired")
	if token == "" {
		return nil, Session{}, unauth
	}
	h := HashToken(token)
	sess, err := s.store.GetSession(ctx, h)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, Session{}, unauth
	}
	if err != nil {
		return nil, Session{}, err
	}
	now := s.now()
	if sess.MFAPending {
		return nil, Session{}, unauth
	}
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.opts.SessionIdle {
		_ = s.store.DeleteSession(ctx, h)
		return nil, Session{}, unauth
	}
	u, err := s.store.GetUser(ctx, sess.UserID)
	if err != nil {
		return nil, Session{}, err
	}
	if u.Disabled {
		return nil, Session{}, unauth
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.store.TouchSession(ctx, h, now); err != nil {
			return nil, Session{}, err
		}
	}
	p, err := s.principal(ctx, u, ip)
	return p, sess, err
}

// AuthenticateToken returns the principal of an API token: the token's role
// and units narrow the owner's current ones.
func (s *Service) AuthenticateToken(ctx context.Context, raw, ip string) (*authz.Principal, error) {
	unauth := errs.Public(errs.ErrUnauthorized, "err.token_invalid")
	if !strings.HasPrefix(raw, tokenPrefix) {
		return nil, unauth
	}
	t, err := s.store.GetAPITokenByHash(ctx, HashToken(raw))
	if errors.Is(err, errs.ErrNotFound) {
		return nil, unauth
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !t.ExpiresAt.IsZero() && now.After(t.ExpiresAt) {
		return nil, unauth
	}
	u, err := s.store.GetUser(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, unauth
	}
	p, err := s.principal(ctx, u, ip)
	if err != nil {
		return nil, err
	}
	tree, err := s.units.Tree(ctx)
	if err != nil {
		return nil, err
	}
	tokUnits := tree.Expand(t.UnitIDs)
	for id := range p.Units {
		if !tokUnits[id] {
			delete(p.Units, id)
		}
	}
	tokGlobal := false
	for _, id := range t.UnitIDs {
		if un, ok := tree.Get(id); ok && un.ParentID == 0 && p.Units[id] {
			tokGlobal = true
		}
	}
	p.Global = p.Global && tokGlobal
	p.TokenRole, p.TokenID = t.Role, t.ID
	if now.Sub(t.LastUsedAt) > time.Minute {
		if err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (s *Service) principal(ctx context.Context, u User, ip string) (*authz.Principal, error) {
	tree, err := s.units.Tree(ctx)
	if err != nil {
		return nil, err
	}
	global := false
	for _, id := range u.UnitIDs {
		if un, ok := tree.Get(id); ok && un.ParentID == 0 {
			global = true
		}
	}
	return &authz.Principal{UserID: u.ID, Global: global, Username: u.Username, Role: u.Role, Units: tree.Expand(u.UnitIDs),
		Grants: slices.Clone(u.UnitIDs), Locale: u.Locale, IP: ip, DisplayName: u.DisplayName,
		MustChangePassword: u.MustChangePassword, MFAEnabled: u.MFAEnabled}, nil
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, token string, p *authz.Principal) error {
	if err := s.store.DeleteSession(ctx, HashToken(token)); err != nil && !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	if p == nil {
		return nil
	}
	return s.audit.Record(ctx, s.entry(p, "user.logout", p.UserID, 0, ""))
}

// LogoutEverywhere ends every session of user id (the principal's own, or,
// with user.write, another user's).
func (s *Service) LogoutEverywhere(ctx context.Context, p *authz.Principal, id int64) error {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if id != p.UserID {
		if err := p.Authorize(authz.PermUserWrite, u.UnitID); err != nil {
			return err
		}
	}
	n, err := s.store.DeleteUserSessions(ctx, id)
	if err != nil {
		return err
	}
	return s.audit.Record(ctx, s.entry(p, "user.logout_all", id, u.UnitID, fmt.Sprintf("sessions=%d", n)))
}

func (s *Service) entry(p *authz.Principal, action string, target, unitID int64, detail string) audit.Entry {
	e := audit.Entry{ActorID: p.UserID, Actor: p.Username, IP: p.IP, UnitID: unitID, Action: action, Detail: detail}
	if target != 0 {
		e.Target = "user:" + strconv.FormatInt(target, 10)
	}
	return e
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
