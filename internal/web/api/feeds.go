package api

import (
	"fmt"
	"net/http"
	"time"

	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/intel"
	"khien.vn/khien/internal/web/respond"
)

func (h *Handler) feeds() (*intel.Feeds, error) {
	if h.Feeds == nil {
		return nil, fmt.Errorf("feeds are not available: %w", errs.ErrUnavailable)
	}
	return h.Feeds, nil
}

// feedInput is a feed subscription as the API takes it (interval in
// minutes; the password is write-only).
type feedInput struct {
	UnitID          int64          `json:"unit_id"`
	Name            string         `json:"name"`
	Kind            intel.FeedKind `json:"kind"`
	URL             string         `json:"url"`
	APIRoot         string         `json:"api_root"`
	CollectionID    string         `json:"collection_id"`
	Username        string         `json:"username"`
	Password        string         `json:"password"`
	DefaultTLP      intel.TLP      `json:"default_tlp"`
	Confidence      int            `json:"confidence"`
	IntervalMinutes int            `json:"interval_minutes"`
	Enabled         *bool          `json:"enabled"`
}

// ListFeeds returns the feed subscriptions of the units in scope
// (permission event.read).
func (h *Handler) ListFeeds(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.feeds()
	if err != nil {
		return err
	}
	list, err := svc.List(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	if list == nil {
		list = []intel.Feed{}
	}
	return ok(w, Page[intel.Feed]{Items: list})
}

// CreateFeed subscribes a unit to a TAXII collection or a MISP feed
// (permission hunt.write on the unit).
func (h *Handler) CreateFeed(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.feeds()
	if err != nil {
		return err
	}
	var in feedInput
	if err := decode(r, &in); err != nil {
		return err
	}
	f := intel.Feed{UnitID: in.UnitID, Name: in.Name, Kind: in.Kind, URL: in.URL, APIRoot: in.APIRoot, CollectionID: in.CollectionID,
		Username: in.Username, Password: in.Password, DefaultTLP: in.DefaultTLP, Confidence: in.Confidence,
		Interval: time.Duration(in.IntervalMinutes) * time.Minute, Enabled: in.Enabled == nil || *in.Enabled}
	if in.IntervalMinutes == 0 {
		f.Interval = intel.DefaultFeedInterval
	}
	f, err = svc.Create(r.Context(), respond.Principal(r), f)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, f)
}

// PullFeed pulls a feed now and returns the run (permission hunt.write on
// its unit); a failed pull is a run with ok false.
func (h *Handler) PullFeed(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.feeds()
	if err != nil {
		return err
	}
	run, err := svc.PullNow(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return ok(w, run)
}

// DeleteFeed ends a subscription; its indicators stay (permission
// hunt.write on its unit).
func (h *Handler) DeleteFeed(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.feeds()
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), respond.Principal(r), pathID(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) savedQueries() (*hunt.SavedQueries, error) {
	if h.SavedQueries == nil {
		return nil, fmt.Errorf("saved queries are not available: %w", errs.ErrUnavailable)
	}
	return h.SavedQueries, nil
}

// ListSavedQueries returns the user's saved queries and those shared in
// the units in scope (permission event.read).
func (h *Handler) ListSavedQueries(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.savedQueries()
	if err != nil {
		return err
	}
	list, err := svc.List(r.Context(), respond.Principal(r))
	if err != nil {
		return err
	}
	if list == nil {
		list = []hunt.SavedQuery{}
	}
	return ok(w, Page[hunt.SavedQuery]{Items: list})
}

// CreateSavedQuery saves a query (permission hunt.write on its unit).
func (h *Handler) CreateSavedQuery(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.savedQueries()
	if err != nil {
		return err
	}
	var in hunt.SavedQuery
	if err := decode(r, &in); err != nil {
		return err
	}
	q, err := svc.Create(r.Context(), respond.Principal(r), in)
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusCreated, q)
}

// DeleteSavedQuery removes a saved query (its owner or an admin).
func (h *Handler) DeleteSavedQuery(w http.ResponseWriter, r *http.Request) error {
	svc, err := h.savedQueries()
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), respond.Principal(r), pathID(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
