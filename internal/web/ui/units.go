package ui

import (
	"errors"
	"net/http"
	"strconv"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

type unitsPage struct {
	Base
	Nodes    []unit.Node
	Parents  []unit.Node
	CanWrite bool
}

// UnitList lists the unit tree and offers a form for a new unit.
func (h *Handler) UnitList(w http.ResponseWriter, r *http.Request) error {
	return h.unitsPage(w, r, http.StatusOK, nil)
}

func (h *Handler) unitsPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	p := respond.Principal(r)
	nodes, err := h.Units.List(r.Context(), p)
	if err != nil {
		return err
	}
	v := unitsPage{Base: h.base(w, r, "units.title", "units"), Nodes: nodes, CanWrite: p.Can(authz.PermUnitWrite)}
	v.Parents = writable(p, nodes)
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "units", v)
}

func writable(p *authz.Principal, nodes []unit.Node) []unit.Node {
	var out []unit.Node
	for _, n := range nodes {
		if p.Authorize(authz.PermUnitWrite, n.ID) == nil {
			out = append(out, n)
		}
	}
	return out
}

// CreateUnit adds a unit.
func (h *Handler) CreateUnit(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	u := unit.Unit{ParentID: parseID(r.PostFormValue("parent_id")), Code: r.PostFormValue("code"), Name: r.PostFormValue("name")}
	created, err := h.Units.Create(r.Context(), p, u)
	if err != nil {
		if errors.Is(err, errs.ErrInvalid) || errors.Is(err, errs.ErrConflict) {
			msg, _ := respond.Message(r, h.Translate, err, respond.Status(err))
			return h.unitsPage(w, r, respond.Status(err), &Flash{Kind: "error", Text: msg})
		}
		return err
	}
	return h.redirect(w, r, "/units/"+strconv.FormatInt(created.ID, 10), "ok", "units.created")
}

type unitPage struct {
	Base
	Unit     unit.Unit
	Path     string
	Parents  []unit.Node
	CanWrite bool
}

// UnitView shows one unit with an edit form.
func (h *Handler) UnitView(w http.ResponseWriter, r *http.Request) error {
	return h.unitPage(w, r, http.StatusOK, nil, nil)
}

func (h *Handler) unitPage(w http.ResponseWriter, r *http.Request, status int, edited *unit.Unit, flash *Flash) error {
	ctx := r.Context()
	p := respond.Principal(r)
	u, err := h.Units.Get(ctx, p, parseID(r.PathValue("id")))
	if err != nil {
		return err
	}
	tree, err := h.Units.Tree(ctx)
	if err != nil {
		return err
	}
	nodes, err := h.Units.List(ctx, p)
	if err != nil {
		return err
	}
	var parents []unit.Node
	for _, n := range writable(p, nodes) {
		if !tree.IsAncestor(u.ID, n.ID) {
			parents = append(parents, n)
		}
	}
	v := unitPage{Base: h.base(w, r, "units.title", "units"), Unit: u, Path: tree.Path(u.ID), Parents: parents,
		CanWrite: p.Authorize(authz.PermUnitWrite, u.ID) == nil}
	v.Title = u.Name
	if edited != nil {
		v.Unit = *edited
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "unit", v)
}

// UpdateUnit saves a unit.
func (h *Handler) UpdateUnit(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	u := unit.Unit{ID: parseID(r.PathValue("id")), ParentID: parseID(r.PostFormValue("parent_id")),
		Code: r.PostFormValue("code"), Name: r.PostFormValue("name")}
	if _, err := h.Units.Update(r.Context(), p, u); err != nil {
		if errors.Is(err, errs.ErrInvalid) || errors.Is(err, errs.ErrConflict) {
			msg, _ := respond.Message(r, h.Translate, err, respond.Status(err))
			return h.unitPage(w, r, respond.Status(err), &u, &Flash{Kind: "error", Text: msg})
		}
		return err
	}
	return h.redirect(w, r, "/units/"+strconv.FormatInt(u.ID, 10), "ok", "common.saved")
}
