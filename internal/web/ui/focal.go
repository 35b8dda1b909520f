package ui

import (
	"net/http"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

type focalRow struct {
	system.FocalPoint
	UnitName string
}

type focalPage struct {
	Base
	Rows     []focalRow
	Units    []unit.Node
	CanWrite bool
}

// FocalPoints lists the people the authority may contact, per unit.
func (h *Handler) FocalPoints(w http.ResponseWriter, r *http.Request) error {
	return h.focalPage(w, r, http.StatusOK, nil)
}

func (h *Handler) focalPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	ctx := r.Context()
	p := respond.Principal(r)
	list, err := h.Systems.FocalPoints(ctx, p)
	if err != nil {
		return err
	}
	nodes, err := h.Units.List(ctx, p)
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	v := focalPage{Base: h.base(w, r, "focal.title", "systems"), Units: nodes, CanWrite: p.Can(authz.PermSystemWrite)}
	for _, f := range list {
		u, _ := tree.Get(f.UnitID)
		v.Rows = append(v.Rows, focalRow{FocalPoint: f, UnitName: u.Name})
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "focal_points", v)
}

// SaveFocalPoint adds a focal point.
func (h *Handler) SaveFocalPoint(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	f := system.FocalPoint{UnitID: parseID(r.PostFormValue("unit_id")), Name: r.PostFormValue("name"), Role: r.PostFormValue("role"),
		Phone: r.PostFormValue("phone"), Email: r.PostFormValue("email")}
	if _, err := h.Systems.SaveFocalPoint(r.Context(), respond.Principal(r), f); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.focalPage(w, r, status, flash)
		}
		return err
	}
	return h.redirect(w, r, "/focal-points", "ok", "common.saved")
}

// DeleteFocalPoint removes a focal point.
func (h *Handler) DeleteFocalPoint(w http.ResponseWriter, r *http.Request) error {
	if err := h.Systems.DeleteFocalPoint(r.Context(), respond.Principal(r), parseID(r.PathValue("id"))); err != nil {
		return err
	}
	return h.redirect(w, r, "/focal-points", "ok", "common.saved")
}
