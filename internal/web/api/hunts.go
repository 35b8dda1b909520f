package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/hunt"
	"khien.vn/khien/internal/web/respond"
)

// HuntRecords is what the hunt pages and endpoints need of the app: the
// records and a way to start one (which submits its job).
type HuntRecords struct {
	Records *hunt.Records
	Start   func(ctx context.Context, p *authz.Principal, id int64) (hunt.Hunt, error)
}

func (h *Handler) records() (*HuntRecords, error) {
	if h.HuntRecords == nil || h.HuntRecords.Records == nil {
		return nil, fmt.Errorf("hunts need the event store: %w", errs.ErrUnavailable)
	}
	return h.HuntRecords, nil
}

// ListHunts returns the hunts of the units in scope, newest first
// (status, system_id, before, limit; permission event.read).
func (h *Handler) ListHunts(w http.ResponseWriter, r *http.Request) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	f := hunt.Filter{SystemID: queryInt(r, "system_id", 0), BeforeID: queryInt(r, "before", 0), Limit: int(min(max(queryInt(r, "limit", 100), 1), 1000))}
	if st := hunt.Status(r.URL.Query().Get("status")); st != "" {
		f.Statuses = []hunt.Status{st}
	}
	list, err := hr.Records.List(r.Context(), respond.Principal(r), f)
	if err != nil {
		return err
	}
	page := Page[hunt.Hunt]{Items: list}
	if page.Items == nil {
		page.Items = []hunt.Hunt{}
	}
	if len(list) == f.Limit {
		page.NextCursor = strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	return ok(w, page)
}

type huntInput struct {
	UnitID          int64     `json:"unit_id"`
	Title           string    `json:"title"`
	Hypothesis      string    `json:"hypothesis"`
	Kind            hunt.Kind `json:"kind"`
	Query           string    `json:"query"`
	RuleIDs         []string  `json:"rule_ids"`
	IndicatorSource string    `json:"indicator_source"`
	SystemIDs       []int64   `json:"system_ids"`
	From            time.Time `json:"from"`
	To              time.Time `json:"to"`
	Run             bool      `json:"run"`
}

// OpenHunt opens a hunt (permission hunt.write on its unit) and, with
// run, starts it.
func (h *Handler) OpenHunt(w http.ResponseWriter, r *http.Request) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	var in huntInput
	if err := decode(r, &in); err != nil {
		return err
	}
	p := respond.Principal(r)
	hu, err := hr.Records.Open(r.Context(), p, hunt.Hunt{UnitID: in.UnitID, Title: in.Title, Hypothesis: in.Hypothesis, Kind: in.Kind,
		Query: in.Query, RuleIDs: in.RuleIDs, IndicatorSource: in.IndicatorSource, SystemIDs: in.SystemIDs, From: in.From, To: in.To})
	if err != nil {
		return err
	}
	if in.Run {
		if hu, err = hr.Start(r.Context(), p, hu.ID); err != nil {
			return err
		}
	}
	return respond.WriteJSON(w, http.StatusCreated, hu)
}

// GetHunt returns a hunt with its kept results (permission event.read).
func (h *Handler) GetHunt(w http.ResponseWriter, r *http.Request) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	p := respond.Principal(r)
	hu, err := hr.Records.Get(r.Context(), p, pathID(r))
	if err != nil {
		return err
	}
	res, err := hr.Records.Results(r.Context(), p, hu.ID, int(queryInt(r, "offset", 0)), int(min(max(queryInt(r, "limit", 100), 1), 1000)))
	if err != nil {
		return err
	}
	if res == nil {
		res = []hunt.Result{}
	}
	return ok(w, map[string]any{"hunt": hu, "results": res})
}

// RunHuntRecord starts a hunt that is not running or closed (hunt.write).
func (h *Handler) RunHuntRecord(w http.ResponseWriter, r *http.Request) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	hu, err := hr.Start(r.Context(), respond.Principal(r), pathID(r))
	if err != nil {
		return err
	}
	return respond.WriteJSON(w, http.StatusAccepted, hu)
}

// CloseHunt closes a done hunt with an outcome and a conclusion (hunt.write).
func (h *Handler) CloseHunt(w http.ResponseWriter, r *http.Request) error {
	hr, err := h.records()
	if err != nil {
		return err
	}
	var in struct {
		Outcome    hunt.Outcome `json:"outcome"`
		Conclusion string       `json:"conclusion"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	hu, err := hr.Records.Close(r.Context(), respond.Principal(r), pathID(r), in.Outcome, in.Conclusion)
	if err != nil {
		return err
	}
	return ok(w, hu)
}
