package user

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// tokenPrefix starts every API token, so that leaked tokens are easy to
// recognise by secret scanners.
const tokenPrefix = "khien_"

// maxTokensPerUser bounds how many tokens one account may hold.
const maxTokensPerUser = 50

// NewToken is the input to CreateToken.
type NewToken struct {
	Name string     `json:"name"`
	Role authz.Role `json:"role"`
	// UnitIDs default to the principal's grants.
	UnitIDs []int64 `json:"unit_ids"`
	// TTL of zero means no expiry.
	TTL time.Duration `json:"-"`
}

// CreateToken issues an API token for the principal's own account. Its
// role must be covered by the user's role and its units by their scope.
// The raw token is returned once; only its hash is kept.
func (s *Service) CreateToken(ctx context.Context, p *authz.Principal, in NewToken) (string, APIToken, error) {
	if err := p.Authorize(authz.PermSelf, 0); err != nil {
		return "", APIToken{}, err
	}
	if p.TokenID != 0 {
		return "", APIToken{}, errs.Public(errs.ErrForbidden, "err.session_only")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		return "", APIToken{}, errs.Invalid("name", "err.token_name")
	}
	if in.Role == "" {
		in.Role = p.Role
	}
	if !p.Role.Covers(in.Role) {
		return "", APIToken{}, errs.Invalid("role", "err.token_role")
	}
	if len(in.UnitIDs) == 0 {
		in.UnitIDs = p.Grants
	}
	if err := s.checkGrants(ctx, p, in.UnitIDs); err != nil {
		return "", APIToken{}, err
	}
	existing, err := s.store.ListAPITokens(ctx, p.UserID)
	if err != nil {
		return "", APIToken{}, err
	}
	if len(existing) >= maxTokensPerUser {
		return "", APIToken{}, errs.Public(errs.ErrConflict, "err.token_limit", maxTokensPerUser)
	}
	raw := newToken(tokenPrefix)
	now := s.now()
	t := APIToken{UserID: p.UserID, Name: in.Name, Prefix: raw[:len(tokenPrefix)+6], Hash: HashToken(raw),
		Role: in.Role, UnitIDs: normalizeIDs(in.UnitIDs), CreatedAt: now}
	if in.TTL > 0 {
		t.ExpiresAt = now.Add(in.TTL)
	}
	if err := s.store.CreateAPIToken(ctx, &t); err != nil {
		return "", APIToken{}, fmt.Errorf("create api token: %w", err)
	}
	err = s.audit.Record(ctx, s.entry(p, "token.create", p.UserID, 0,
		fmt.Sprintf("token=%d name=%q role=%s units=%v", t.ID, t.Name, t.Role, t.UnitIDs)))
	return raw, t, err
}

// ListTokens returns the principal's own tokens.
func (s *Service) ListTokens(ctx context.Context, p *authz.Principal) ([]APIToken, error) {
	if err := p.Authorize(authz.PermSelf, 0); err != nil {
		return nil, err
	}
	return s.store.ListAPITokens(ctx, p.UserID)
}

// DeleteToken revokes one of the principal's own tokens.
func (s *Service) DeleteToken(ctx context.Context, p *authz.Principal, id int64) error {
	if err := p.Authorize(authz.PermSelf, 0); err != nil {
		return err
	}
	if err := s.store.DeleteAPIToken(ctx, p.UserID, id); err != nil {
		return err
	}
	return s.audit.Record(ctx, s.entry(p, "token.delete", p.UserID, 0, fmt.Sprintf("token=%d", id)))
}
