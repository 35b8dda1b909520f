package ui

import (
	"errors"
	"net/http"
	"strconv"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/web/respond"
)

type userRow struct {
	user.User
	UnitName string
}

type usersPage struct {
	Base
	Users    []userRow
	CanWrite bool
}

// UserList lists the accounts in the user's scope.
func (h *Handler) UserList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	list, err := h.Users.List(ctx, p)
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	v := usersPage{Base: h.base(w, r, "users.title", "users"), CanWrite: p.Can(authz.PermUserWrite)}
	for _, u := range list {
		row := userRow{User: u}
		if un, ok := tree.Get(u.UnitID); ok {
			row.UnitName = un.Name
		}
		v.Users = append(v.Users, row)
	}
	return h.render(w, r, http.StatusOK, "users", v)
}

type userForm struct {
	Username    string
	DisplayName string
	Email       string
	Role        authz.Role
	UnitID      int64
	Disabled    bool
}

type userFormPage struct {
	Base
	IsNew      bool
	ID         int64
	Self       bool
	MFAEnabled bool
	Form       userForm
	Granted    map[int64]bool
	Units      []unit.Node
	Roles      []authz.Role
}

func (h *Handler) userFormPage(w http.ResponseWriter, r *http.Request, status int, v userFormPage, flash *Flash) error {
	p := respond.Principal(r)
	nodes, err := h.Units.List(r.Context(), p)
	if err != nil {
		return err
	}
	title := "users.new"
	if !v.IsNew {
		title = "users.edit"
	}
	v.Base = h.base(w, r, title, "users")
	v.Units, v.Roles = nodes, authz.Roles
	if v.Granted == nil {
		v.Granted = map[int64]bool{}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "user_form", v)
}

// NewUserForm shows an empty account form.
func (h *Handler) NewUserForm(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermUserWrite, 0); err != nil {
		return err
	}
	v := userFormPage{IsNew: true, Form: userForm{Role: authz.RoleViewer}}
	if len(p.Grants) > 0 {
		v.Form.UnitID = p.Grants[0]
	}
	return h.userFormPage(w, r, http.StatusOK, v, nil)
}

func formIDs(r *http.Request, name string) []int64 {
	var ids []int64
	for _, s := range r.PostForm[name] {
		if id := parseID(s); id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

func formErr(h *Handler, r *http.Request, err error) (*Flash, int, bool) {
	if errors.Is(err, errs.ErrInvalid) || errors.Is(err, errs.ErrConflict) {
		msg, _ := respond.Message(r, h.Translate, err, respond.Status(err))
		return &Flash{Kind: "error", Text: msg}, respond.Status(err), true
	}
	return nil, 0, false
}

// CreateUser adds an account and shows its one-time password.
func (h *Handler) CreateUser(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	in := user.NewUser{Username: r.PostFormValue("username"), DisplayName: r.PostFormValue("display_name"),
		Email: r.PostFormValue("email"), Role: authz.Role(r.PostFormValue("role")),
		UnitID: parseID(r.PostFormValue("unit_id")), UnitIDs: formIDs(r, "unit_ids")}
	u, password, err := h.Users.Create(r.Context(), p, in)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			v := userFormPage{IsNew: true, Form: userForm{Username: in.Username, DisplayName: in.DisplayName,
				Email: in.Email, Role: in.Role, UnitID: in.UnitID}, Granted: map[int64]bool{}}
			for _, id := range in.UnitIDs {
				v.Granted[id] = true
			}
			return h.userFormPage(w, r, status, v, flash)
		}
		return err
	}
	return h.secretPage(w, r, secretPage{Heading: h.Translate(r, "users.created"),
		Intro: h.Translate(r, "users.created_intro", u.Username), Secret: password, Next: "/users/" + strconv.FormatInt(u.ID, 10)})
}

// EditUserForm shows an account.
func (h *Handler) EditUserForm(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	u, err := h.Users.Get(r.Context(), p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	if err := p.Authorize(authz.PermUserRead, u.UnitID); err != nil {
		return err
	}
	return h.userFormPage(w, r, http.StatusOK, editForm(p, u), nil)
}

func editForm(p *authz.Principal, u user.User) userFormPage {
	v := userFormPage{ID: u.ID, Self: u.ID == p.UserID, MFAEnabled: u.MFAEnabled, Granted: map[int64]bool{},
		Form: userForm{Username: u.Username, DisplayName: u.DisplayName, Email: u.Email, Role: u.Role, UnitID: u.UnitID, Disabled: u.Disabled}}
	for _, id := range u.UnitIDs {
		v.Granted[id] = true
	}
	return v
}

// UpdateUser saves an account.
func (h *Handler) UpdateUser(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	id := parseID(r.PathValue("id"))
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	name, email := r.PostFormValue("display_name"), r.PostFormValue("email")
	unitID := parseID(r.PostFormValue("unit_id"))
	pt := user.Patch{DisplayName: &name, Email: &email, UnitID: &unitID}
	if id != p.UserID {
		role := authz.Role(r.PostFormValue("role"))
		ids := formIDs(r, "unit_ids")
		disabled := r.PostFormValue("disabled") == "1"
		pt.Role, pt.UnitIDs, pt.Disabled = &role, &ids, &disabled
	}
	u, err := h.Users.Update(r.Context(), p, id, pt)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			old, gerr := h.Users.Get(r.Context(), p, id)
			if gerr != nil {
				return gerr
			}
			return h.userFormPage(w, r, status, editForm(p, old), flash)
		}
		return err
	}
	return h.redirect(w, r, "/users/"+strconv.FormatInt(u.ID, 10), "ok", "common.saved")
}

// ResetUserPassword gives an account a new one-time password.
func (h *Handler) ResetUserPassword(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	id := parseID(r.PathValue("id"))
	password, err := h.Users.ResetPassword(r.Context(), p, id)
	if err != nil {
		return err
	}
	u, err := h.Users.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	return h.secretPage(w, r, secretPage{Heading: h.Translate(r, "users.reset_password"),
		Intro: h.Translate(r, "users.created_intro", u.Username), Secret: password, Next: "/users/" + strconv.FormatInt(id, 10)})
}

// ResetUserMFA turns off another user's MFA.
func (h *Handler) ResetUserMFA(w http.ResponseWriter, r *http.Request) error {
	id := parseID(r.PathValue("id"))
	if err := h.Users.ResetMFA(r.Context(), respond.Principal(r), id); err != nil {
		return err
	}
	return h.redirect(w, r, "/users/"+strconv.FormatInt(id, 10), "ok", "users.mfa_was_reset")
}

// LogoutUser ends every session of an account.
func (h *Handler) LogoutUser(w http.ResponseWriter, r *http.Request) error {
	id := parseID(r.PathValue("id"))
	if err := h.Users.LogoutEverywhere(r.Context(), respond.Principal(r), id); err != nil {
		return err
	}
	return h.redirect(w, r, "/users/"+strconv.FormatInt(id, 10), "ok", "users.logged_out")
}

type secretPage struct {
	Base
	Heading string
	Intro   string
	Secret  string
	Codes   []string
	Next    string
}

func (h *Handler) secretPage(w http.ResponseWriter, r *http.Request, v secretPage) error {
	v.Base = h.base(w, r, "secret.title", "")
	v.Title = v.Heading
	return h.render(w, r, http.StatusOK, "secret", v)
}
