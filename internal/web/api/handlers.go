package api

import (
	"net/http"
	"strconv"
	"strings"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
	"khien.vn/khien/internal/web/respond"
)

type meResponse struct {
	User        user.User          `json:"user"`
	Permissions []authz.Permission `json:"permissions"`
	Scope       []int64            `json:"scope"`
	TokenRole   authz.Role         `json:"token_role,omitempty"`
}

// Me describes the token's owner and what the token may do.
func (h *Handler) Me(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	u, err := h.Users.Get(r.Context(), p, p.UserID)
	if err != nil {
		return err
	}
	resp := meResponse{User: u, Scope: p.ScopeList(), TokenRole: p.TokenRole}
	for _, perm := range authz.Permissions {
		if p.Can(perm) {
			resp.Permissions = append(resp.Permissions, perm)
		}
	}
	return ok(w, resp)
}

type statsResponse struct {
	Units      int `json:"units"`
	Users      int `json:"users"`
	ActiveJobs int `json:"active_jobs"`
}

// Stats returns counts of what the principal can see.
func (h *Handler) Stats(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	var s statsResponse
	nodes, err := h.Units.List(ctx, p)
	if err != nil {
		return err
	}
	s.Units = len(nodes)
	if p.Can(authz.PermUserRead) {
		users, err := h.Users.List(ctx, p)
		if err != nil {
			return err
		}
		s.Users = len(users)
	}
	if p.Can(authz.PermJobRead) {
		for _, st := range []job.Status{job.Queued, job.Running} {
			jobs, err := h.Jobs.List(ctx, h.JobFilter(p, job.Filter{Status: st, Limit: 500}))
			if err != nil {
				return err
			}
			s.ActiveJobs += len(jobs)
		}
	}
	return ok(w, s)
}

// ListUnits lists the units in scope, in tree order.
func (h *Handler) ListUnits(w http.ResponseWriter, r *http.Request) error {
	nodes, err := h.Units.List(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	items := make([]unit.Unit, len(nodes))
	for i, n := range nodes {
		items[i] = n.Unit
	}
	return ok(w, Page[unit.Unit]{Items: items})
}

// GetUnit returns one unit.
func (h *Handler) GetUnit(w http.ResponseWriter, r *http.Request) error {
	u, err := h.Units.Get(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, u)
}

type unitInput struct {
	ParentID *int64  `json:"parent_id"`
	Code     *string `json:"code"`
	Name     *string `json:"name"`
}

// apply copies the fields that are present onto u.
func (in unitInput) apply(u *unit.Unit) {
	if in.ParentID != nil {
		u.ParentID = *in.ParentID
	}
	if in.Code != nil {
		u.Code = *in.Code
	}
	if in.Name != nil {
		u.Name = *in.Name
	}
}

// CreateUnit adds a unit.
func (h *Handler) CreateUnit(w http.ResponseWriter, r *http.Request) error {
	var in unitInput
	if err := decode(r, &in); err != nil {
		return err
	}
	u := unit.Unit{}
	in.apply(&u)
	created, err := h.Units.Create(r.Context(), respond.Principal(r), u)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, created)
}

// UpdateUnit changes a unit; absent fields are kept.
func (h *Handler) UpdateUnit(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	u, err := h.Units.Get(r.Context(), p, pathID(r))
	if err != nil {
		return err
	}
	var in unitInput
	if err := decode(r, &in); err != nil {
		return err
	}
	in.apply(&u)
	updated, err := h.Units.Update(r.Context(), p, u)
	if err != nil {
		return err
	}
	return ok(w, updated)
}

// ListUsers lists accounts in scope.
func (h *Handler) ListUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := h.Users.List(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	return ok(w, Page[user.User]{Items: users})
}

// GetUser returns one account.
func (h *Handler) GetUser(w http.ResponseWriter, r *http.Request) error {
	u, err := h.Users.Get(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, u)
}

type createdUser struct {
	User user.User `json:"user"`
	// OneTimePassword is set when no password was given; it must be changed at first login.
	OneTimePassword string `json:"one_time_password,omitempty"`
}

// CreateUser adds an account.
func (h *Handler) CreateUser(w http.ResponseWriter, r *http.Request) error {
	var in user.NewUser
	if err := decode(r, &in); err != nil {
		return err
	}
	u, password, err := h.Users.Create(r.Context(), respond.Principal(r), in)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, createdUser{User: u, OneTimePassword: password})
}

// UpdateUser changes an account; absent fields are kept.
func (h *Handler) UpdateUser(w http.ResponseWriter, r *http.Request) error {
	var pt user.Patch
	if err := decode(r, &pt); err != nil {
		return err
	}
	u, err := h.Users.Update(r.Context(), respond.Principal(r), pathID(r), pt)
	if err != nil {
		return err
	}
	return ok(w, u)
}

// ResetPassword gives an account a new one-time password.
func (h *Handler) ResetPassword(w http.ResponseWriter, r *http.Request) error {
	password, err := h.Users.ResetPassword(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, map[string]string{"one_time_password": password})
}

// LogoutUser ends every session of an account.
func (h *Handler) LogoutUser(w http.ResponseWriter, r *http.Request) error {
	if err := h.Users.LogoutEverywhere(r.Context(), respond.Principal(r), pathID(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ListAudit returns audit entries in scope, newest first; ?before=SEQ pages.
func (h *Handler) ListAudit(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermAuditRead, 0); err != nil {
		return err
	}
	limit := int(min(queryInt(r, "limit", 100), 1000))
	f := h.AuditFilter(p, audit.Filter{Action: strings.TrimSpace(r.URL.Query().Get("action")),
		BeforeSeq: queryInt(r, "before", 0), Limit: limit})
	entries, err := h.Audit.List(r.Context(), f)
	if err != nil {
		return err
	}
	page := Page[audit.Entry]{Items: entries}
	if len(entries) == f.Limit && len(entries) > 0 {
		page.NextCursor = strconv.FormatInt(entries[len(entries)-1].Seq, 10)
	}
	return ok(w, page)
}

// VerifyAudit starts a verification job of the whole chain.
func (h *Handler) VerifyAudit(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if err := p.AuthorizeGlobal(authz.PermAuditVerify); err != nil {
		return err
	}
	j, err := h.Jobs.Submit(r.Context(), job.Spec{Kind: h.AuditVerifyKind, CreatedBy: p.UserID})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/jobs/"+strconv.FormatInt(j.ID, 10))
	return respond.WriteJSON(w, http.StatusAccepted, j)
}

// ListJobs returns jobs in scope, newest first; ?before=ID pages.
func (h *Handler) ListJobs(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermJobRead, 0); err != nil {
		return err
	}
	limit := int(min(queryInt(r, "limit", 50), 500))
	status := job.Status(r.URL.Query().Get("status"))
	f := h.JobFilter(p, job.Filter{BeforeID: queryInt(r, "before", 0), Limit: limit, Status: status})
	jobs, err := h.Jobs.List(r.Context(), f)
	if err != nil {
		return err
	}
	// Jobs a user started themselves without a unit are theirs to see too.
	out := jobs[:0]
	for _, j := range jobs {
		if h.AuthorizeJob(p, j, false) == nil {
			out = append(out, j)
		}
	}
	page := Page[job.Job]{Items: out}
	if len(jobs) == f.Limit && len(jobs) > 0 {
		page.NextCursor = strconv.FormatInt(jobs[len(jobs)-1].ID, 10)
	}
	return ok(w, page)
}

func (h *Handler) loadJob(r *http.Request, manage bool) (job.Job, error) {
	j, err := h.Jobs.Get(r.Context(), pathID(r))
	if err != nil {
		return job.Job{}, err
	}
	return j, h.AuthorizeJob(respond.Principal(r), j, manage)
}

// GetJob returns one job with its progress.
func (h *Handler) GetJob(w http.ResponseWriter, r *http.Request) error {
	j, err := h.loadJob(r, false)
	if err != nil {
		return err
	}
	return ok(w, j)
}

// CancelJob asks a job to stop.
func (h *Handler) CancelJob(w http.ResponseWriter, r *http.Request) error {
	j, err := h.loadJob(r, true)
	if err != nil {
		return err
	}
	if err := h.Jobs.Cancel(r.Context(), j.ID); err != nil {
		return err
	}
	j, err = h.Jobs.Get(r.Context(), j.ID)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusAccepted, j)
}

// ListTokens lists the owner's API tokens (never their secrets).
func (h *Handler) ListTokens(w http.ResponseWriter, r *http.Request) error {
	tokens, err := h.Users.ListTokens(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	return ok(w, Page[user.APIToken]{Items: tokens})
}

// DeleteToken revokes one of the owner's tokens (a token may revoke itself).
func (h *Handler) DeleteToken(w http.ResponseWriter, r *http.Request) error {
	id := pathID(r)
	if id <= 0 {
		return errs.NotFound("token", r.PathValue("id"))
	}
	if err := h.Users.DeleteToken(r.Context(), respond.Principal(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
