package api

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/report"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/web/respond"
)

// ListFocalPoints lists the focal points of the units in scope.
func (h *Handler) ListFocalPoints(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Systems.FocalPoints(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	return ok(w, Page[system.FocalPoint]{Items: list})
}

// CreateFocalPoint adds a focal point.
func (h *Handler) CreateFocalPoint(w http.ResponseWriter, r *http.Request) error {
	var f system.FocalPoint
	if err := decode(r, &f); err != nil {
		return err
	}
	f.ID = 0
	saved, err := h.Systems.SaveFocalPoint(r.Context(), respond.Principal(r), f)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, saved)
}

// UpdateFocalPoint changes a focal point; fields present replace the stored ones.
func (h *Handler) UpdateFocalPoint(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	list, err := h.Systems.FocalPoints(r.Context(), p)
	if err != nil {
		return err
	}
	id := pathID(r)
	for _, f := range list {
		if f.ID != id {
			continue
		}
		if err := decode(r, &f); err != nil {
			return err
		}
		f.ID = id
		saved, err := h.Systems.SaveFocalPoint(r.Context(), p, f)
		if err != nil {
			return err
		}
		return ok(w, saved)
	}
	// Not in scope or not there: the service decides which to say.
	return h.Systems.DeleteFocalPointCheck(r.Context(), p, id)
}

// DeleteFocalPoint removes a focal point.
func (h *Handler) DeleteFocalPoint(w http.ResponseWriter, r *http.Request) error {
	if err := h.Systems.DeleteFocalPoint(r.Context(), respond.Principal(r), pathID(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// UploadAttachment stores the request body with a dossier; ?name= names the file.
func (h *Handler) UploadAttachment(w http.ResponseWriter, r *http.Request) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, system.MaxAttachment+1))
	if err != nil {
		return errs.Invalid("file", "err.attachment_size", system.MaxAttachment>>20)
	}
	a, err := h.Systems.AddAttachment(r.Context(), respond.Principal(r), pathID(r), r.URL.Query().Get("name"), r.Header.Get("Content-Type"), data)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/attachments/"+strconv.FormatInt(a.ID, 10))
	return respond.WriteJSON(w, http.StatusCreated, a)
}

// DownloadAttachment sends a stored file after checking its SHA-256.
func (h *Handler) DownloadAttachment(w http.ResponseWriter, r *http.Request) error {
	a, data, err := h.Systems.Attachment(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(a.Name))
	w.Header().Set("Digest", "sha-256="+a.SHA256)
	_, err = w.Write(data)
	return err
}

// Explanation renders the dossier explanation; ?format=pdf or docx (default).
func (h *Handler) Explanation(w http.ResponseWriter, r *http.Request) error {
	doc, err := h.Systems.Explanation(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "docx"
	}
	data, ctype, err := report.Render(format, doc)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="thuyet-minh-ho-so-%d.%s"`, pathID(r), format))
	_, err = w.Write(data)
	return err
}
