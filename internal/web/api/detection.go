package api

import (
	"net/http"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/detect/sigma"
	"khien.vn/khien/internal/web/respond"
)

// RuleView is a detection rule in GET /api/v1/detection/rules.
type RuleView struct {
	ID          string        `json:"id,omitempty"`
	Name        string        `json:"name,omitempty"`
	Title       string        `json:"title"`
	Level       string        `json:"level,omitempty"`
	Status      string        `json:"status,omitempty"`
	Tags        []string      `json:"tags,omitempty"`
	LogSource   LogSourceView `json:"logsource"`
	Correlation bool          `json:"correlation"`
	// Loaded is false for a rule that was left out; Reason says why, or,
	// for a loaded rule, gives its notes.
	Loaded bool   `json:"loaded"`
	Reason string `json:"reason,omitempty"`
	// Hits are the ingested events the rule matched since start.
	Hits uint64 `json:"hits"`
	// Path is the rule's file ("" for the built-in pack).
	Path string `json:"path,omitempty"`
}

// LogSourceView is a rule's logsource.
type LogSourceView struct {
	Product  string `json:"product,omitempty"`
	Category string `json:"category,omitempty"`
	Service  string `json:"service,omitempty"`
}

func logSourceView(l sigma.LogSource) LogSourceView {
	return LogSourceView{Product: l.Product, Category: l.Category, Service: l.Service}
}

// ListDetectionRules returns every configured Sigma rule with its state
// and its matches since start, the most matched first (permission
// event.read).
func (h *Handler) ListDetectionRules(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if !p.Can(authz.PermEventRead) {
		return p.Authorize(authz.PermEventRead, 0)
	}
	in, err := h.ingest()
	if err != nil {
		return err
	}
	var items []RuleView
	for _, s := range in.DetectionRules() {
		r := s.Rule
		items = append(items, RuleView{ID: r.ID, Name: r.Name, Title: r.Title, Level: r.Level, Status: r.Status, Tags: r.Tags,
			LogSource: logSourceView(r.LogSource), Correlation: s.Correlation, Loaded: s.Loaded, Reason: s.Reason, Hits: s.Hits, Path: r.Path})
	}
	return ok(w, Page[RuleView]{Items: items})
}
