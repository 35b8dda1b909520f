package api

import (
	"net/http"

	"khien.vn/khien/internal/asset"
	"khien.vn/khien/internal/web/respond"
)

// ListAssets lists assets in scope; ?system= and ?kind= filter.
func (h *Handler) ListAssets(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Assets.List(r.Context(), respond.Principal(r), asset.Filter{SystemID: queryInt(r, "system", 0), Kind: asset.Kind(r.URL.Query().Get("kind"))})
	if err != nil {
		return err
	}
	return ok(w, Page[asset.Asset]{Items: list})
}

// GetAsset returns one asset.
func (h *Handler) GetAsset(w http.ResponseWriter, r *http.Request) error {
	a, err := h.Assets.Get(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, a)
}

// CreateAsset adds an asset with its identifiers and system links.
func (h *Handler) CreateAsset(w http.ResponseWriter, r *http.Request) error {
	var a asset.Asset
	if err := decode(r, &a); err != nil {
		return err
	}
	a.ID = 0
	created, err := h.Assets.Save(r.Context(), respond.Principal(r), a)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, created)
}

// UpdateAsset changes an asset; fields present replace the stored ones.
func (h *Handler) UpdateAsset(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	a, err := h.Assets.Get(r.Context(), p, pathID(r))
	if err != nil {
		return err
	}
	id := a.ID
	if err := decode(r, &a); err != nil {
		return err
	}
	a.ID = id
	updated, err := h.Assets.Save(r.Context(), p, a)
	if err != nil {
		return err
	}
	return ok(w, updated)
}

// DeleteAsset removes an asset.
func (h *Handler) DeleteAsset(w http.ResponseWriter, r *http.Request) error {
	if err := h.Assets.Delete(r.Context(), respond.Principal(r), pathID(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
