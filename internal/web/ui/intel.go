package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

// maxIntelUpload bounds an uploaded intelligence file.
const maxIntelUpload = 64 << 20

type intelPage struct {
	Base
	Indicators []intelRow
	Total      int
	Type       intel.Type
	Types      []intel.Type
	TLPs       []intel.TLP
	Units      []unit.Node
	CanWrite   bool
	Next       int64
	Result     *intel.ImportResult
}

type intelRow struct {
	intel.Indicator
	UnitName string
	Active   bool
}

// IntelPage lists the indicators of the user's units, with the import form.
func (h *Handler) IntelPage(w http.ResponseWriter, r *http.Request) error {
	return h.intelPage(w, r, http.StatusOK, nil, nil)
}

func (h *Handler) intelPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash, res *intel.ImportResult) error {
	if h.Deps.Intel == nil {
		return fmt.Errorf("intelligence is not available: %w", errs.ErrUnavailable)
	}
	p := respond.Principal(r)
	v := intelPage{Base: h.base(w, r, "intel.title", "intel"), Types: intel.Types, TLPs: intel.TLPs, Result: res,
		Type: intel.Type(r.URL.Query().Get("type"))}
	if !v.Type.Valid() {
		v.Type = ""
	}
	const limit = 200
	f := intel.Filter{Type: v.Type, BeforeID: max(parseID(r.URL.Query().Get("before")), 0), Limit: limit}
	list, err := h.Deps.Intel.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	if v.Total, err = h.Deps.Intel.Count(r.Context(), p, intel.Filter{Type: v.Type}); err != nil {
		return err
	}
	unitName, _ := h.names(r)
	now := time.Now()
	for _, ind := range list {
		v.Indicators = append(v.Indicators, intelRow{Indicator: ind, UnitName: unitName(ind.UnitID), Active: ind.Active(now)})
	}
	if len(list) == limit {
		v.Next = list[len(list)-1].ID
	}
	v.CanWrite = p.Can(authz.PermHuntWrite)
	if v.CanWrite {
		if v.Units, err = h.Units.List(r.Context(), p); err != nil {
			return err
		}
	}
	if flash != nil {
		v.Flash = flash
	}
	return h.render(w, r, status, "intel", v)
}

// ImportIntel imports an uploaded STIX bundle, MISP event or CSV list.
func (h *Handler) ImportIntel(w http.ResponseWriter, r *http.Request) error {
	if h.Deps.Intel == nil {
		return fmt.Errorf("intelligence is not available: %w", errs.ErrUnavailable)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxIntelUpload+1<<20)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return h.intelPage(w, r, http.StatusRequestEntityTooLarge, &Flash{Kind: "error", Text: h.Translate(r, "err.too_large")}, nil)
		}
		return h.intelPage(w, r, http.StatusBadRequest, &Flash{Kind: "error", Text: h.Translate(r, "err.evidence_form")}, nil)
	}
	defer file.Close()
	source := strings.TrimSpace(r.PostFormValue("source"))
	if source == "" {
		source = hdr.Filename
	}
	conf, _ := strconv.Atoi(r.PostFormValue("confidence"))
	o := intel.ImportOptions{UnitID: parseID(r.PostFormValue("unit_id")), Source: source,
		DefaultTLP: intel.TLP(r.PostFormValue("tlp")), DefaultConfidence: min(max(conf, 0), 100)}
	res, err := h.Deps.Intel.Import(r.Context(), respond.Principal(r), r.PostFormValue("format"), file, o)
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.intelPage(w, r, status, flash, nil)
		}
		return err
	}
	flash := &Flash{Kind: "ok", Text: h.Translate(r, "intel.imported", res.Format, res.Inserted, res.Updated, len(res.Skipped))}
	return h.intelPage(w, r, http.StatusOK, flash, &res)
}

// DeleteIndicator removes an indicator.
func (h *Handler) DeleteIndicator(w http.ResponseWriter, r *http.Request) error {
	if h.Deps.Intel == nil {
		return fmt.Errorf("intelligence is not available: %w", errs.ErrUnavailable)
	}
	if err := h.Deps.Intel.Delete(r.Context(), respond.Principal(r), parseID(r.PathValue("id"))); err != nil {
		return err
	}
	return h.redirect(w, r, "/intel", "ok", "intel.deleted")
}
