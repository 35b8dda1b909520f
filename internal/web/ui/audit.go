package ui

import (
	"net/http"
	"strconv"
	"strings"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/web/respond"
)

// JobAuditVerify is the kind of the job that verifies the audit chain.
const JobAuditVerify = "audit.verify"

type auditPage struct {
	Base
	Entries   []auditRow
	Action    string
	Next      int64
	CanVerify bool
}

// AuditList shows the audit log within the user's scope, newest first.
func (h *Handler) AuditList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermAuditRead, 0); err != nil {
		return err
	}
	const pageSize = 100
	action := strings.TrimSpace(r.URL.Query().Get("action"))
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	entries, err := h.Audit.List(ctx, AuditFilter(p, audit.Filter{Action: action, BeforeSeq: before, Limit: pageSize}))
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	v := auditPage{Base: h.base(w, r, "audit.title", "audit"), Entries: h.auditRows(tree, entries), Action: action,
		CanVerify: p.AuthorizeGlobal(authz.PermAuditVerify) == nil}
	if len(entries) == pageSize {
		v.Next = entries[len(entries)-1].Seq
	}
	return h.render(w, r, http.StatusOK, "audit", v)
}

// AuditVerify starts a background verification of the whole chain.
func (h *Handler) AuditVerify(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if err := p.AuthorizeGlobal(authz.PermAuditVerify); err != nil {
		return err
	}
	j, err := h.Jobs.Submit(r.Context(), job.Spec{Kind: JobAuditVerify, CreatedBy: p.UserID})
	if err != nil {
		return err
	}
	return h.redirect(w, r, "/jobs/"+strconv.FormatInt(j.ID, 10), "ok", "jobs.started_msg")
}
