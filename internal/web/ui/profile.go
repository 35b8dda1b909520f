package ui

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"rsc.io/qr"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/web/respond"
)

type profilePage struct {
	Base
	Me         user.User
	Tokens     []user.APIToken
	TokenRoles []authz.Role
	Units      []unit.Node
}

// Profile shows the user's own account: details, language, password, MFA, tokens.
func (h *Handler) Profile(w http.ResponseWriter, r *http.Request) error {
	return h.profilePage(w, r, http.StatusOK, nil)
}

func (h *Handler) profilePage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	ctx := r.Context()
	p := respond.Principal(r)
	me, err := h.Users.Get(ctx, p, p.UserID)
	if err != nil {
		return err
	}
	tokens, err := h.Users.ListTokens(ctx, p)
	if err != nil {
		return err
	}
	nodes, err := h.Units.List(ctx, p)
	if err != nil {
		return err
	}
	v := profilePage{Base: h.base(w, r, "profile.title", "profile"), Me: me, Tokens: tokens, Units: nodes}
	for _, role := range authz.Roles {
		if p.Role.Covers(role) {
			v.TokenRoles = append(v.TokenRoles, role)
		}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "profile", v)
}

func (h *Handler) profileErr(w http.ResponseWriter, r *http.Request, err error) error {
	if flash, status, ok := formErr(h, r, err); ok {
		return h.profilePage(w, r, status, flash)
	}
	return err
}

// UpdateProfile saves display name and e-mail.
func (h *Handler) UpdateProfile(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if _, err := h.Users.UpdateProfile(r.Context(), respond.Principal(r), r.PostFormValue("display_name"), r.PostFormValue("email")); err != nil {
		return h.profileErr(w, r, err)
	}
	return h.redirect(w, r, "/profile", "ok", "common.saved")
}

// ProfileLanguage sets the user's language ("" follows the browser).
func (h *Handler) ProfileLanguage(w http.ResponseWriter, r *http.Request) error {
	lang := r.PostFormValue("lang")
	if err := h.Users.SetLocale(r.Context(), respond.Principal(r), lang); err != nil {
		return h.profileErr(w, r, err)
	}
	if lang == "" {
		clearCookie(w, r, LangCookie)
	} else {
		h.setLangCookie(w, r, lang)
	}
	return h.redirect(w, r, "/profile", "ok", "common.saved")
}

type mfaPage struct {
	Base
	Secret string
	QR     template.HTML
}

// MFASetup shows a new TOTP secret as a QR code and as text.
func (h *Handler) MFASetup(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if p.MFAEnabled {
		return h.redirect(w, r, "/profile", "warn", "mfa.already")
	}
	return h.mfaPage(w, r, http.StatusOK, h.Users.BeginMFA(p), nil)
}

func (h *Handler) mfaPage(w http.ResponseWriter, r *http.Request, status int, e user.MFAEnrolment, flash *Flash) error {
	svg, err := qrSVG(e.URI)
	if err != nil {
		return err
	}
	v := mfaPage{Base: h.base(w, r, "mfa.setup_title", "profile"), Secret: e.Secret, QR: svg}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "mfa_setup", v)
}

// MFAConfirm enables MFA once the code from the app matches, and shows the
// recovery codes once.
func (h *Handler) MFAConfirm(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	secret := r.PostFormValue("secret")
	codes, err := h.Users.ConfirmMFA(r.Context(), p, secret, r.PostFormValue("code"))
	if err != nil {
		if errors.Is(err, errs.ErrInvalid) {
			msg, _ := respond.Message(r, h.Translate, err, http.StatusBadRequest)
			e := h.Users.EnrolmentFor(p, secret)
			return h.mfaPage(w, r, http.StatusBadRequest, e, &Flash{Kind: "error", Text: msg})
		}
		return err
	}
	return h.secretPage(w, r, secretPage{Heading: h.Translate(r, "mfa.enabled"), Intro: h.Translate(r, "mfa.recovery_intro"),
		Codes: codes, Next: "/profile"})
}

// MFADisable turns MFA off after a password check.
func (h *Handler) MFADisable(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := h.Users.DisableMFA(r.Context(), respond.Principal(r), r.PostFormValue("password")); err != nil {
		return h.profileErr(w, r, err)
	}
	return h.redirect(w, r, "/profile", "ok", "mfa.disabled")
}

// ProfileLogoutAll ends every session of the user, this one included.
func (h *Handler) ProfileLogoutAll(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if err := h.Users.LogoutEverywhere(r.Context(), p, p.UserID); err != nil {
		return err
	}
	clearCookie(w, r, SessionCookie)
	return h.redirect(w, r, "/login", "ok", "profile.logged_out_all")
}

// CreateToken issues an API token and shows it once.
func (h *Handler) CreateToken(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	days, _ := strconv.Atoi(r.PostFormValue("ttl_days"))
	if days < 0 || days > 3650 {
		days = 90
	}
	raw, t, err := h.Users.CreateToken(r.Context(), respond.Principal(r), user.NewToken{Name: r.PostFormValue("name"),
		Role: authz.Role(r.PostFormValue("role")), UnitIDs: formIDs(r, "unit_ids"), TTL: time.Duration(days) * 24 * time.Hour})
	if err != nil {
		return h.profileErr(w, r, err)
	}
	return h.secretPage(w, r, secretPage{Heading: h.Translate(r, "tokens.created"),
		Intro: h.Translate(r, "tokens.created_intro", t.Name), Secret: raw, Next: "/profile"})
}

// DeleteToken revokes one of the user's tokens.
func (h *Handler) DeleteToken(w http.ResponseWriter, r *http.Request) error {
	if err := h.Users.DeleteToken(r.Context(), respond.Principal(r), parseID(r.PathValue("id"))); err != nil {
		return err
	}
	return h.redirect(w, r, "/profile", "ok", "tokens.deleted")
}

// qrSVG renders text as a QR code in SVG, drawn by Go so no script or
// external service is involved.
func qrSVG(text string) (template.HTML, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("encode qr: %w", err)
	}
	const quiet = 4
	n := c.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n, n, n)
	for y := range c.Size {
		for x := range c.Size {
			if c.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil //nolint:gosec // built from numbers only
}
