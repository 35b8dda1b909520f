package ui

import (
	"net/http"
	"strings"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

type assetRow struct {
	asset.Asset
	UnitName    string
	SystemCodes []string
}

type assetsPage struct {
	Base
	Rows      []assetRow
	Form      asset.Asset
	IdentText string
	Linked    map[int64]bool
	Kinds     []asset.Kind
	Units     []unit.Node
	Systems   []system.System
	CanWrite  bool
}

// AssetList shows the assets in scope with a form for a new one; with
// ?system=ID only that system's; /assets/{id} fills the form with one asset.
func (h *Handler) AssetList(w http.ResponseWriter, r *http.Request) error {
	v := assetsPage{Form: asset.Asset{Kind: asset.Host}}
	if id := parseID(r.PathValue("id")); id > 0 {
		a, err := h.Assets.Get(r.Context(), respond.Principal(r), id)
		if err != nil {
			return err
		}
		v.Form = a
	}
	return h.assetsPage(w, r, http.StatusOK, v, nil)
}

func (h *Handler) assetsPage(w http.ResponseWriter, r *http.Request, status int, v assetsPage, flash *Flash) error {
	ctx := r.Context()
	p := respond.Principal(r)
	list, err := h.Assets.List(ctx, p, asset.Filter{SystemID: max(parseID(r.URL.Query().Get("system")), 0)})
	if err != nil {
		return err
	}
	systems, err := h.Systems.List(ctx, p, system.Filter{})
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
	codes := map[int64]string{}
	for _, s := range systems {
		codes[s.ID] = s.Code
	}
	v.Base = h.base(w, r, "assets.title", "systems")
	v.Kinds, v.Units, v.Systems, v.CanWrite = asset.Kinds, nodes, systems, p.Can(authz.PermSystemWrite)
	if v.Form.UnitID == 0 && len(p.Grants) > 0 {
		v.Form.UnitID = p.Grants[0]
	}
	for _, a := range list {
		row := assetRow{Asset: a}
		u, _ := tree.Get(a.UnitID)
		row.UnitName = u.Name
		for _, id := range a.SystemIDs {
			row.SystemCodes = append(row.SystemCodes, codes[id])
		}
		v.Rows = append(v.Rows, row)
	}
	v.Linked = map[int64]bool{}
	for _, id := range v.Form.SystemIDs {
		v.Linked[id] = true
	}
	if v.IdentText == "" {
		var ids []string
		for _, id := range v.Form.Identifiers {
			ids = append(ids, id.Value)
		}
		v.IdentText = strings.Join(ids, "\n")
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "assets", v)
}

// SaveAsset creates or updates an asset.
func (h *Handler) SaveAsset(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "err.invalid")
	}
	a := asset.Asset{ID: max(parseID(r.PathValue("id")), 0), UnitID: parseID(r.PostFormValue("unit_id")), Kind: asset.Kind(r.PostFormValue("kind")),
		Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), SystemIDs: formIDs(r, "system_ids")}
	text := r.PostFormValue("identifiers")
	ids, err := asset.ParseIdentifiers(text)
	if err == nil {
		a.Identifiers = ids
		_, err = h.Assets.Save(r.Context(), respond.Principal(r), a)
	}
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.assetsPage(w, r, status, assetsPage{Form: a, IdentText: text}, flash)
		}
		return err
	}
	return h.redirect(w, r, "/assets", "ok", "common.saved")
}

// DeleteAsset removes an asset.
func (h *Handler) DeleteAsset(w http.ResponseWriter, r *http.Request) error {
	if err := h.Assets.Delete(r.Context(), respond.Principal(r), parseID(r.PathValue("id"))); err != nil {
		return err
	}
	return h.redirect(w, r, "/assets", "ok", "common.saved")
}
