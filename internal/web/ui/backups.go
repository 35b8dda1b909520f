package ui

import (
	"fmt"
	"net/http"

	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/web/respond"
)

type backupsPage struct {
	Base
	Plans []backupPlanRow
}

type backupPlanRow struct {
	backup.PlanView
	System string
	// Lang picks the language of the reasons.
	Lang string
}

// Backups lists the backup plans of the user's units with what each
// proves: the 3-2-1-1-0 and level checks, the issues of its backups and
// the readiness score, every one with its reason.
func (h *Handler) Backups(w http.ResponseWriter, r *http.Request) error {
	if h.Deps.Backups == nil {
		return fmt.Errorf("backup assurance is not available: %w", errs.ErrUnavailable)
	}
	p := respond.Principal(r)
	ctx := r.Context()
	plans, err := h.Deps.Backups.Plans(ctx, p, 0)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	if list, err := h.Systems.List(ctx, p, system.Filter{}); err == nil {
		for _, s := range list {
			names[s.ID] = s.Code + " — " + s.Name
		}
	}
	v := backupsPage{Base: h.base(w, r, "backups.title", "backups")}
	for _, pl := range plans {
		view, err := h.Deps.Backups.View(ctx, p, pl.ID)
		if err != nil {
			return err
		}
		name := names[pl.SystemID]
		if name == "" {
			name = fmt.Sprintf("#%d", pl.SystemID)
		}
		v.Plans = append(v.Plans, backupPlanRow{PlanView: view, System: name, Lang: v.Lang})
	}
	return h.render(w, r, http.StatusOK, "backups", v)
}
