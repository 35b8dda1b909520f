package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/web/respond"
)

func (h *Handler) backups() (*backup.Service, error) {
	if h.Backups == nil {
		return nil, fmt.Errorf("backup assurance is not available: %w", errs.ErrUnavailable)
	}
	return h.Backups, nil
}

// ListBackupPlans returns the backup plans of the units in scope (system_id
// narrows to one system; permission backup.read).
func (h *Handler) ListBackupPlans(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	list, err := svc.Plans(r.Context(), respond.Principal(r), queryInt(r, "system_id", 0))
	if err != nil {
		return err
	}
	if list == nil {
		list = []backup.Plan{}
	}
	return ok(w, list)
}

// CreateBackupPlan creates a system's backup plan (permission backup.write
// on the system's unit) and answers it, 201.
func (h *Handler) CreateBackupPlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	var in backup.Plan
	if err := decode(r, &in); err != nil {
		return err
	}
	in.ID = 0
	p, err := svc.SavePlan(r.Context(), respond.Principal(r), in)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, p)
}

// GetBackupPlan returns plan {id} with what it proves: the 3-2-1-1-0 and
// level checks and the issues of its backups (permission backup.read).
func (h *Handler) GetBackupPlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	v, err := svc.View(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, v)
}

// UpdateBackupPlan replaces plan {id} (its system stays; permission
// backup.write).
func (h *Handler) UpdateBackupPlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	var in backup.Plan
	if err := decode(r, &in); err != nil {
		return err
	}
	in.ID = pathID(r)
	p, err := svc.SavePlan(r.Context(), respond.Principal(r), in)
	if err != nil {
		return err
	}
	return ok(w, p)
}

// DeleteBackupPlan removes plan {id} with its history (permission
// backup.write).
func (h *Handler) DeleteBackupPlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	if err := svc.DeletePlan(r.Context(), respond.Principal(r), pathID(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ReportBackupRun records the run a backup tool reports (the JSON of
// backup.RunReport; permission backup.write on the plan's unit) and
// answers it, 201.
func (h *Handler) ReportBackupRun(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, backup.MaxReport+1)
	run, err := backup.ParseRunReport(r.Body, time.Now())
	if err != nil {
		return errs.Invalid("", "err.backup_report", err.Error())
	}
	run, err = svc.ReportRun(r.Context(), respond.Principal(r), run)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, run)
}

// BackupReadiness returns the ransomware readiness of every system in the
// user's units, by unit, with each system's plans and the reasons
// (backup.Overview; permission backup.read).
func (h *Handler) BackupReadiness(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	ov, err := svc.Overview(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	if ov.Units == nil {
		ov.Units = []backup.UnitReadiness{}
	}
	return ok(w, ov)
}

// ListBackupRepositories returns the repositories watched as copies of
// plan {id}, never their credentials (permission backup.read).
func (h *Handler) ListBackupRepositories(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	list, err := svc.Repositories(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	if list == nil {
		list = []backup.Repository{}
	}
	return ok(w, list)
}

// DeleteBackupRepository stops watching repository {repo} of plan {id}
// (permission backup.write): its credentials and the snapshots seen go,
// the plan's history stays.
func (h *Handler) DeleteBackupRepository(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	repo, err := strconv.ParseInt(r.PathValue("repo"), 10, 64)
	if err != nil || repo <= 0 {
		return errs.NotFound("repository", r.PathValue("repo"))
	}
	if err := svc.DeleteRepository(r.Context(), respond.Principal(r), pathID(r), repo); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// AddBackupRepository records a restic repository as a copy of plan {id}
// ({"copy", "location", "password", "env": {…}, "check_subset"};
// permission backup.write): the password and environment are sealed and
// never answered again.
func (h *Handler) AddBackupRepository(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.backups()
	if err != nil {
		return err
	}
	var in struct {
		Copy        string            `json:"copy"`
		Location    string            `json:"location"`
		Password    string            `json:"password"`
		Env         map[string]string `json:"env"`
		CheckSubset string            `json:"check_subset"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	repo, err := svc.AddRepository(r.Context(), respond.Principal(r), pathID(r), in.Copy, in.Location, in.Password, in.Env, in.CheckSubset)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, repo)
}
