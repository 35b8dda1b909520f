package ui

import (
	"fmt"
	"net/http"
	"strconv"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/web/respond"
)

type jobsPage struct {
	Base
	Jobs []job.Job
}

// JobList shows recent background jobs in the user's scope.
func (h *Handler) JobList(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if err := p.Authorize(authz.PermJobRead, 0); err != nil {
		return err
	}
	jobs, err := h.Jobs.List(r.Context(), JobFilter(p, job.Filter{Limit: 100}))
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "jobs", jobsPage{Base: h.base(w, r, "jobs.title", "jobs"), Jobs: jobs})
}

// AuthorizeJob decides whether p may see (or, with manage, cancel) j:
// jobs of a unit follow the unit; system-wide jobs need a root unit,
// except for the user who started them.
func AuthorizeJob(p *authz.Principal, j job.Job, manage bool) error {
	if manage && j.CreatedBy == p.UserID && p.Can(authz.PermJobRead) {
		return nil
	}
	perm := authz.PermJobRead
	if manage {
		perm = authz.PermJobManage
	}
	if j.UnitID == 0 {
		if j.CreatedBy == p.UserID {
			return p.Authorize(perm, 0)
		}
		return p.AuthorizeGlobal(perm)
	}
	return p.Authorize(perm, j.UnitID)
}

func (h *Handler) loadJob(r *http.Request, manage bool) (job.Job, error) {
	j, err := h.Jobs.Get(r.Context(), parseID(r.PathValue("id")))
	if err != nil {
		return job.Job{}, err
	}
	return j, AuthorizeJob(respond.Principal(r), j, manage)
}

type jobPage struct {
	Base
	Job          job.Job
	ProgressText string
	CanCancel    bool
	// ReportFiles are the formats of a finished report, offered for download.
	ReportFiles []string
}

func (h *Handler) progressText(r *http.Request, j job.Job) string {
	if j.Total > 0 {
		return h.Translate(r, "jobs.progress_of", j.Done, j.Total, j.Percent())
	}
	return h.Translate(r, "jobs.progress_n", j.Done)
}

// JobView shows one job; a script polls JobStatus until it ends.
func (h *Handler) JobView(w http.ResponseWriter, r *http.Request) error {
	j, err := h.loadJob(r, false)
	if err != nil {
		return err
	}
	v := jobPage{Base: h.base(w, r, "jobs.job", "jobs"), Job: j, ProgressText: h.progressText(r, j),
		CanCancel: AuthorizeJob(respond.Principal(r), j, true) == nil, ReportFiles: reportFiles(j)}
	v.Title = fmt.Sprintf("%s #%d", v.Title, j.ID)
	return h.render(w, r, http.StatusOK, "job", v)
}

// JobStatus answers the progress poll of the job page.
func (h *Handler) JobStatus(w http.ResponseWriter, r *http.Request) error {
	j, err := h.loadJob(r, false)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusOK, map[string]any{
		"status": j.Status, "status_text": h.Translate(r, "jobstatus."+string(j.Status)),
		"percent": j.Percent(), "progress_text": h.progressText(r, j), "final": j.Status.Final(),
	})
}

// JobCancel asks a job to stop.
func (h *Handler) JobCancel(w http.ResponseWriter, r *http.Request) error {
	j, err := h.loadJob(r, true)
	if err != nil {
		return err
	}
	if err := h.Jobs.Cancel(r.Context(), j.ID); err != nil {
		return err
	}
	return h.redirect(w, r, "/jobs/"+strconv.FormatInt(j.ID, 10), "ok", "jobs.cancel_requested")
}
