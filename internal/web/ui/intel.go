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
	"khien.vn/khien/internal/web/api"
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
	Feeds      []feedRow
	FeedKinds  []intel.FeedKind
}

type feedRow struct {
	intel.Feed
	UnitName string
	Hours    float64
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
	if h.Deps.Feeds != nil {
		feeds, err := h.Deps.Feeds.List(r.Context(), p)
		if err != nil {
			return err
		}
		for _, f := range feeds {
			v.Feeds = append(v.Feeds, feedRow{Feed: f, UnitName: unitName(f.UnitID), Hours: f.Interval.Hours()})
		}
		v.FeedKinds = intel.FeedKinds
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

// ShareIntel downloads the indicators (and sightings) of the user's units
// for sharing; see intel.Service.Share.
func (h *Handler) ShareIntel(w http.ResponseWriter, r *http.Request) error {
	if h.Deps.Intel == nil {
		return fmt.Errorf("intelligence is not available: %w", errs.ErrUnavailable)
	}
	q := r.URL.Query()
	return api.ShareIndicators(w, r, h.Deps.Intel, q.Get("format"), intel.TLP(q.Get("max_tlp")))
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

// CreateFeed subscribes to a TAXII collection or a MISP feed.
func (h *Handler) CreateFeed(w http.ResponseWriter, r *http.Request) error {
	if h.Deps.Feeds == nil {
		return fmt.Errorf("feeds are not available: %w", errs.ErrUnavailable)
	}
	hours, err := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("interval_hours")), 64)
	if err != nil || hours <= 0 || hours > 24*365 {
		hours = intel.DefaultFeedInterval.Hours()
	}
	conf, _ := strconv.Atoi(r.PostFormValue("confidence"))
	f := intel.Feed{UnitID: parseID(r.PostFormValue("unit_id")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Kind: intel.FeedKind(r.PostFormValue("kind")), URL: strings.TrimSpace(r.PostFormValue("url")),
		APIRoot: strings.TrimSpace(r.PostFormValue("api_root")), CollectionID: strings.TrimSpace(r.PostFormValue("collection_id")),
		Username: strings.TrimSpace(r.PostFormValue("username")), Password: r.PostFormValue("password"),
		DefaultTLP: intel.TLP(r.PostFormValue("tlp")), Confidence: min(max(conf, 0), 100),
		Interval: time.Duration(hours * float64(time.Hour)), Enabled: r.PostFormValue("enabled") != ""}
	if _, err := h.Deps.Feeds.Create(r.Context(), respond.Principal(r), f); err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.intelPage(w, r, status, flash, nil)
		}
		return err
	}
	return h.redirect(w, r, "/intel", "ok", "intel.feed_created")
}

// PullFeed pulls a feed now and shows what it brought.
func (h *Handler) PullFeed(w http.ResponseWriter, r *http.Request) error {
	if h.Deps.Feeds == nil {
		return fmt.Errorf("feeds are not available: %w", errs.ErrUnavailable)
	}
	run, err := h.Deps.Feeds.PullNow(r.Context(), respond.Principal(r), parseID(r.PathValue("id")))
	if err != nil {
		if flash, status, ok := formErr(h, r, err); ok {
			return h.intelPage(w, r, status, flash, nil)
		}
		return err
	}
	if !run.OK {
		return h.intelPage(w, r, http.StatusOK, &Flash{Kind: "error", Text: h.Translate(r, "intel.feed_failed", run.Error)}, nil)
	}
	return h.intelPage(w, r, http.StatusOK, &Flash{Kind: "ok", Text: h.Translate(r, "intel.feed_pulled", run.Added, run.Updated, run.Skipped)}, nil)
}

// DeleteFeed ends a subscription (the indicators it brought stay).
func (h *Handler) DeleteFeed(w http.ResponseWriter, r *http.Request) error {
	if h.Deps.Feeds == nil {
		return fmt.Errorf("feeds are not available: %w", errs.ErrUnavailable)
	}
	if err := h.Deps.Feeds.Delete(r.Context(), respond.Principal(r), parseID(r.PathValue("id"))); err != nil {
		return err
	}
	return h.redirect(w, r, "/intel", "ok", "intel.feed_deleted")
}
