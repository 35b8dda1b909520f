package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/i18n"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/web/respond"
)

func meta(r *http.Request) user.Meta {
	return user.Meta{IP: ClientIP(r), UserAgent: r.UserAgent()}
}

// ClientIP is the address of the peer (Khiên does not trust forwarding
// headers: behind a proxy, the proxy's address is what is recorded).
func ClientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

func (h *Handler) setSession(w http.ResponseWriter, r *http.Request, name, token string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: token, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds())})
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

type loginPage struct {
	Base
	Username string
}

// LoginForm shows the login page.
func (h *Handler) LoginForm(w http.ResponseWriter, r *http.Request) error {
	if respond.Principal(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return h.render(w, r, http.StatusOK, "login", loginPage{Base: h.base(w, r, "login.title", "")})
}

// Login checks the password and starts a session, or the MFA step.
func (h *Handler) Login(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	res, err := h.Users.Login(r.Context(), username, password, meta(r))
	if err != nil {
		if errors.Is(err, errs.ErrUnauthorized) {
			h.OnLogin("failure")
			v := loginPage{Base: h.base(w, r, "login.title", ""), Username: username}
			v.Flash = &Flash{Kind: "error", Text: h.Translate(r, "err.login_failed")}
			return h.render(w, r, http.StatusUnauthorized, "login", v)
		}
		return err
	}
	if res.MFARequired {
		h.setSession(w, r, PendingCookie, res.Token, 5*time.Minute)
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return nil
	}
	h.OnLogin("success")
	h.setSession(w, r, SessionCookie, res.Token, 0)
	h.setLangCookie(w, r, res.User.Locale)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// MFAForm asks for the second factor.
func (h *Handler) MFAForm(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(PendingCookie)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	if _, err := h.Users.PendingUser(r.Context(), c.Value); err != nil {
		clearCookie(w, r, PendingCookie)
		return h.redirect(w, r, "/login", "error", "err.session_expired")
	}
	return h.render(w, r, http.StatusOK, "login_mfa", struct{ Base }{h.base(w, r, "mfa.login_title", "")})
}

// MFA checks the second factor and replaces the pending session by a full one.
func (h *Handler) MFA(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(PendingCookie)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	tok, u, err := h.Users.LoginMFA(r.Context(), c.Value, r.PostFormValue("code"), meta(r))
	if err != nil {
		if errors.Is(err, errs.ErrUnauthorized) {
			h.OnLogin("mfa_failure")
			if _, perr := h.Users.PendingUser(r.Context(), c.Value); perr != nil {
				clearCookie(w, r, PendingCookie)
				return h.redirect(w, r, "/login", "error", "err.login_failed")
			}
			v := struct{ Base }{h.base(w, r, "mfa.login_title", "")}
			v.Flash = &Flash{Kind: "error", Text: h.Translate(r, "err.mfa_code")}
			return h.render(w, r, http.StatusUnauthorized, "login_mfa", v)
		}
		return err
	}
	h.OnLogin("success")
	clearCookie(w, r, PendingCookie)
	h.setSession(w, r, SessionCookie, tok, 0)
	h.setLangCookie(w, r, u.Locale)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// Logout ends the session.
func (h *Handler) Logout(w http.ResponseWriter, r *http.Request) error {
	if tok := respond.SessionToken(r); tok != "" {
		if err := h.Users.Logout(r.Context(), tok, respond.Principal(r)); err != nil {
			return err
		}
	}
	clearCookie(w, r, SessionCookie)
	return h.redirect(w, r, "/login", "ok", "login.logged_out")
}

func (h *Handler) setLangCookie(w http.ResponseWriter, r *http.Request, lang string) {
	if !i18n.Supported(lang) {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: r.TLS != nil, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// SetLang switches the language of an anonymous visitor (a cookie), or of
// the signed-in user (their profile).
func (h *Handler) SetLang(w http.ResponseWriter, r *http.Request) error {
	lang := r.PostFormValue("lang")
	if !i18n.Supported(lang) {
		return errs.Invalid("lang", "err.locale")
	}
	if p := respond.Principal(r); p != nil {
		if err := h.Users.SetLocale(r.Context(), p, lang); err != nil {
			return err
		}
	}
	h.setLangCookie(w, r, lang)
	next := r.PostFormValue("next")
	if u, err := url.Parse(next); err != nil || next == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

type passwordPage struct {
	Base
	Forced    bool
	MinLength int
}

// PasswordForm shows the password change form (forced after a one-time password).
func (h *Handler) PasswordForm(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	return h.render(w, r, http.StatusOK, "password", passwordPage{Base: h.base(w, r, "password.title", "profile"),
		Forced: p.MustChangePassword, MinLength: user.MinPasswordLength})
}

// Password changes the user's password and renews the session.
func (h *Handler) Password(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	cur, next, rep := r.PostFormValue("current_password"), r.PostFormValue("new_password"), r.PostFormValue("repeat_password")
	var err error
	if next != rep {
		err = errs.Invalid("repeat_password", "err.password_repeat")
	} else {
		err = h.Users.ChangePassword(r.Context(), p, cur, next)
	}
	if err != nil {
		if !errors.Is(err, errs.ErrInvalid) {
			return err
		}
		msg, _ := respond.Message(r, h.Translate, err, http.StatusBadRequest)
		v := passwordPage{Base: h.base(w, r, "password.title", "profile"), Forced: p.MustChangePassword, MinLength: user.MinPasswordLength}
		v.Flash = &Flash{Kind: "error", Text: msg}
		return h.render(w, r, http.StatusBadRequest, "password", v)
	}
	tok, err := h.Users.NewSession(r.Context(), p, meta(r))
	if err != nil {
		return err
	}
	h.setSession(w, r, SessionCookie, tok, 0)
	return h.redirect(w, r, "/", "ok", "password.changed")
}
