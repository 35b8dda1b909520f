package user

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
)

// NewUser is the input to Create.
type NewUser struct {
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	Email       string     `json:"email"`
	Role        authz.Role `json:"role"`
	Locale      string     `json:"locale"`
	UnitID      int64      `json:"unit_id"`
	// UnitIDs are the units granted; empty means the home unit only.
	UnitIDs []int64 `json:"unit_ids"`
	// Password, when empty, is generated and must be changed at first login.
	Password string `json:"password,omitempty"`
}

// Count returns the number of accounts.
func (s *Service) Count(ctx context.Context) (int, error) { return s.store.CountUsers(ctx) }

// Create adds an account in units within p's scope. It returns the
// one-time password when none was given.
func (s *Service) Create(ctx context.Context, p *authz.Principal, in NewUser) (User, string, error) {
	if err := p.Authorize(authz.PermUserWrite, in.UnitID); err != nil {
		return User{}, "", err
	}
	if len(in.UnitIDs) == 0 {
		in.UnitIDs = []int64{in.UnitID}
	}
	if err := s.checkGrants(ctx, p, in.UnitIDs); err != nil {
		return User{}, "", err
	}
	now := s.now()
	u := User{UnitID: in.UnitID, Username: in.Username, DisplayName: in.DisplayName, Email: in.Email,
		Role: in.Role, Locale: in.Locale, UnitIDs: normalizeIDs(in.UnitIDs), CreatedAt: now, UpdatedAt: now}
	if err := u.Validate(); err != nil {
		return User{}, "", err
	}
	password, oneTime := in.Password, in.Password == ""
	if oneTime {
		password = RandomPassword()
		u.MustChangePassword = true
	} else if err := CheckPasswordPolicy(password, u.Username); err != nil {
		return User{}, "", err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return User{}, "", err
	}
	u.PasswordHash = hash
	if err := s.store.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, errs.ErrConflict) {
			return User{}, "", &errs.PublicError{Kind: errs.ErrConflict, Key: "err.username_taken", Field: "username"}
		}
		return User{}, "", fmt.Errorf("create user: %w", err)
	}
	err = s.audit.Record(ctx, s.entry(p, "user.create", u.ID, u.UnitID,
		fmt.Sprintf("username=%s role=%s units=%v", u.Username, u.Role, u.UnitIDs)))
	if !oneTime {
		password = ""
	}
	return u, password, err
}

// checkGrants refuses grants of units that do not exist or lie outside p's scope.
func (s *Service) checkGrants(ctx context.Context, p *authz.Principal, ids []int64) error {
	tree, err := s.units.Tree(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok := tree.Get(id); !ok {
			return errs.Invalid("unit_ids", "err.unit_unknown", id)
		}
		if !p.InScope(id) {
			return errs.Public(errs.ErrForbidden, "err.out_of_scope")
		}
	}
	return nil
}

// Get returns an account that p may see (their own always).
func (s *Service) Get(ctx context.Context, p *authz.Principal, id int64) (User, error) {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	if id == p.UserID && p.Can(authz.PermSelf) {
		return u, nil
	}
	if err := p.Authorize(authz.PermUserRead, u.UnitID); err != nil {
		return User{}, err
	}
	return u, nil
}

// DisplayName returns the name (display name, else user name) of account
// id when its home unit is in p's scope — a colleague, whose name p may
// see on the records they share without holding user.read — and
// errs.ErrForbidden otherwise. Nothing else of the account is returned.
func (s *Service) DisplayName(ctx context.Context, p *authz.Principal, id int64) (string, error) {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return "", err
	}
	if id != p.UserID && !p.InScope(u.UnitID) {
		return "", errs.ErrForbidden
	}
	if u.DisplayName != "" {
		return u.DisplayName, nil
	}
	return u.Username, nil
}

// List returns the accounts whose home unit is in p's scope.
func (s *Service) List(ctx context.Context, p *authz.Principal) ([]User, error) {
	if err := p.Authorize(authz.PermUserRead, 0); err != nil {
		return nil, err
	}
	all, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, u := range all {
		if p.InScope(u.UnitID) {
			out = append(out, u)
		}
	}
	return out, nil
}

// Patch holds the fields Update may change; nil leaves a field as it is.
type Patch struct {
	DisplayName *string     `json:"display_name,omitempty"`
	Email       *string     `json:"email,omitempty"`
	Role        *authz.Role `json:"role,omitempty"`
	Locale      *string     `json:"locale,omitempty"`
	UnitID      *int64      `json:"unit_id,omitempty"`
	UnitIDs     *[]int64    `json:"unit_ids,omitempty"`
	Disabled    *bool       `json:"disabled,omitempty"`
}

// Update changes an account. Nobody may disable themselves or change their
// own role or grants, so an administrator cannot lock everyone out.
func (s *Service) Update(ctx context.Context, p *authz.Principal, id int64, pt Patch) (User, error) {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	if err := p.Authorize(authz.PermUserWrite, u.UnitID); err != nil {
		return User{}, err
	}
	old := u
	var changes []string
	if pt.DisplayName != nil {
		u.DisplayName = *pt.DisplayName
	}
	if pt.Email != nil {
		u.Email = *pt.Email
	}
	if pt.Locale != nil {
		u.Locale = *pt.Locale
	}
	if pt.Role != nil && *pt.Role != u.Role {
		changes = append(changes, fmt.Sprintf("role %s→%s", u.Role, *pt.Role))
		u.Role = *pt.Role
	}
	if pt.UnitID != nil && *pt.UnitID != u.UnitID {
		if err := p.Authorize(authz.PermUserWrite, *pt.UnitID); err != nil {
			return User{}, err
		}
		changes = append(changes, fmt.Sprintf("unit %d→%d", u.UnitID, *pt.UnitID))
		u.UnitID = *pt.UnitID
	}
	if pt.UnitIDs != nil {
		ids := normalizeIDs(*pt.UnitIDs)
		if len(ids) == 0 {
			return User{}, errs.Invalid("unit_ids", "err.grants_required")
		}
		if !slices.Equal(ids, u.UnitIDs) {
			if err := s.checkGrants(ctx, p, ids); err != nil {
				return User{}, err
			}
			changes = append(changes, fmt.Sprintf("units %v→%v", u.UnitIDs, ids))
			u.UnitIDs = ids
		}
	}
	if pt.Disabled != nil && *pt.Disabled != u.Disabled {
		changes = append(changes, fmt.Sprintf("disabled %t→%t", u.Disabled, *pt.Disabled))
		u.Disabled = *pt.Disabled
	}
	if id == p.UserID && (u.Role != old.Role || u.Disabled || !slices.Equal(u.UnitIDs, old.UnitIDs)) {
		return User{}, errs.Invalid("", "err.self_change")
	}
	if err := u.Validate(); err != nil {
		return User{}, err
	}
	u.UpdatedAt = s.now()
	if err := s.store.UpdateUser(ctx, &u); err != nil {
		return User{}, fmt.Errorf("update user: %w", err)
	}
	if u.Disabled && !old.Disabled {
		if _, err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
			return User{}, err
		}
	}
	action := "user.update"
	if len(changes) > 0 {
		action = "user.access_change"
	}
	err = s.audit.Record(ctx, s.entry(p, action, u.ID, u.UnitID, strings.Join(changes, "; ")))
	return u, err
}

// ResetPassword sets a new one-time password, clears any lockout and ends
// the account's sessions. It returns the new password.
func (s *Service) ResetPassword(ctx context.Context, p *authz.Principal, id int64) (string, error) {
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return "", err
	}
	if err := p.Authorize(authz.PermUserWrite, u.UnitID); err != nil {
		return "", err
	}
	password := RandomPassword()
	if u.PasswordHash, err = s.hashPassword(ctx, password); err != nil {
		return "", err
	}
	u.MustChangePassword = true
	u.UpdatedAt = s.now()
	if err := s.store.UpdateUser(ctx, &u); err != nil {
		return "", err
	}
	if err := s.store.RecordLoginSuccess(ctx, u.ID, u.LastLoginAt); err != nil {
		return "", err
	}
	if _, err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
		return "", err
	}
	return password, s.audit.Record(ctx, s.entry(p, "user.password_reset", u.ID, u.UnitID, ""))
}

// Bootstrap creates the first administrator, granted unitID, when there is
// no account at all. It returns the one-time password, or created=false.
func (s *Service) Bootstrap(ctx context.Context, unitID int64, username string) (password string, created bool, err error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", false, err
	}
	u, password, err := s.Create(ctx, authz.System(), NewUser{Username: username, DisplayName: "Administrator",
		Role: authz.RoleAdmin, UnitID: unitID})
	if err != nil {
		return "", false, fmt.Errorf("create first administrator: %w", err)
	}
	_ = u
	return password, true, nil
}

func normalizeIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
