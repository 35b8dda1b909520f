package user

import (
	"context"
	"fmt"
	"strings"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// ChangePassword changes the principal's own password after checking the
// current one, and ends all their sessions (the caller starts a new one).
func (s *Service) ChangePassword(ctx context.Context, p *authz.Principal, current, next string) error {
	if err := p.Authorize(authz.PermSelf, 0); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	ok, err := s.checkPassword(ctx, u.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Invalid("current_password", "err.password_wrong")
	}
	if err := CheckPasswordPolicy(next, u.Username); err != nil {
		return err
	}
	if current == next {
		return errs.Invalid("new_password", "err.password_same")
	}
	if u.PasswordHash, err = s.hashPassword(ctx, next); err != nil {
		return err
	}
	u.MustChangePassword = false
	u.UpdatedAt = s.now()
	if err := s.store.UpdateUser(ctx, &u); err != nil {
		return err
	}
	if _, err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	return s.audit.Record(ctx, s.entry(p, "user.password_change", u.ID, u.UnitID, ""))
}

// NewSession starts a session for the principal's user without a password
// check, after ChangePassword or MFA changes ended the old one.
func (s *Service) NewSession(ctx context.Context, p *authz.Principal, m Meta) (string, error) {
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return "", err
	}
	return s.startSession(ctx, u, m, "session renewal")
}

// SetLocale sets the principal's language ("vi", "en", or "" to follow the browser).
func (s *Service) SetLocale(ctx context.Context, p *authz.Principal, locale string) error {
	if err := p.Authorize(authz.PermSelf, 0); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	u.Locale = locale
	if err := u.Validate(); err != nil {
		return err
	}
	u.UpdatedAt = s.now()
	return s.store.UpdateUser(ctx, &u)
}

// UpdateProfile changes the principal's own display name and e-mail.
func (s *Service) UpdateProfile(ctx context.Context, p *authz.Principal, displayName, email string) (User, error) {
	if err := p.Authorize(authz.PermSelf, 0); err != nil {
		return User{}, err
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return User{}, err
	}
	u.DisplayName, u.Email = displayName, email
	if err := u.Validate(); err != nil {
		return User{}, err
	}
	u.UpdatedAt = s.now()
	if err := s.store.UpdateUser(ctx, &u); err != nil {
		return User{}, err
	}
	return u, s.audit.Record(ctx, s.entry(p, "user.profile_update", u.ID, u.UnitID, ""))
}

// MFAEnrolment is a secret offered to the user before it is confirmed.
type MFAEnrolment struct {
	Secret string
	URI    string
}

// BeginMFA returns a new secret for the principal to add to an
// authenticator app. Nothing is stored until ConfirmMFA.
func (s *Service) BeginMFA(p *authz.Principal) MFAEnrolment {
	return s.EnrolmentFor(p, NewTOTPSecret())
}

// EnrolmentFor describes an offered secret again (when a confirmation failed).
func (s *Service) EnrolmentFor(p *authz.Principal, secret string) MFAEnrolment {
	return MFAEnrolment{Secret: secret, URI: TOTPURI(s.opts.Issuer, p.Username, secret)}
}

// ConfirmMFA enables MFA with secret once code proves the app has it. It
// returns ten one-time recovery codes, shown once and stored hashed.
func (s *Service) ConfirmMFA(ctx context.Context, p *authz.Principal, secret, code string) ([]string, error) {
	if err := p.Authorize(authz.PermSelf, 0); err != nil {
		return nil, err
	}
	if p.TokenID != 0 {
		return nil, errs.Public(errs.ErrForbidden, "err.session_only")
	}
	secret = strings.ToUpper(strings.TrimSpace(secret))
	if len(secret) < 16 {
		return nil, errs.Invalid("secret", "err.mfa_secret")
	}
	step := MatchTOTP(secret, code, s.now())
	if step < 0 {
		return nil, errs.Invalid("code", "err.mfa_code")
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	codes := make([]string, 10)
	u.RecoveryCodes = make([]string, 10)
	for i := range codes {
		c := randomString("abcdefghjkmnpqrstuvwxyz23456789", 10)
		codes[i] = c[:5] + "-" + c[5:]
		u.RecoveryCodes[i] = HashToken(c)
	}
	u.MFASecret, u.MFAEnabled = secret, true
	u.UpdatedAt = s.now()
	if err := s.store.UpdateUser(ctx, &u); err != nil {
		return nil, err
	}
	if _, err := s.store.UseTOTPStep(ctx, u.ID, step); err != nil {
		return nil, err
	}
	return codes, s.audit.Record(ctx, s.entry(p, "user.mfa_enable", u.ID, u.UnitID, ""))
}

// DisableMFA turns MFA off for the principal after checking their password.
func (s *Service) DisableMFA(ctx context.Context, p *authz.Principal, password string) error {
	if err := p.Authorize(authz.PermSelf, 0); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	ok, err := s.checkPassword(ctx, u.PasswordHash, password)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Invalid("password", "err.password_wrong")
	}
	u.MFAEnabled, u.MFASecret, u.RecoveryCodes = false, "", nil
	u.UpdatedAt = s.now()
	if err := s.store.UpdateUser(ctx, &u); err != nil {
		return err
	}
	return s.audit.Record(ctx, s.entry(p, "user.mfa_disable", u.ID, u.UnitID, ""))
}

// ResetMFA turns MFA off for another user (an administrator's recovery
// path for a lost authenticator).
func (s *Service) ResetMFA(ctx context.Context, p *authz.Principal, id int64) error {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermUserWrite, u.UnitID); err != nil {
		return err
	}
	u.MFAEnabled, u.MFASecret, u.RecoveryCodes = false, "", nil
	u.UpdatedAt = s.now()
	if err := s.store.UpdateUser(ctx, &u); err != nil {
		return fmt.Errorf("reset mfa: %w", err)
	}
	return s.audit.Record(ctx, s.entry(p, "user.mfa_reset", u.ID, u.UnitID, ""))
}
