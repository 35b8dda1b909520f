package ui

import (
	"fmt"
	"net/http"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/detect"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/web/respond"
)

type detectionRulesPage struct {
	Base
	Rules          []detect.RuleStatus
	Running, Total int
}

// DetectionRules lists the Sigma rules ingested events are matched
// against: their logsource, whether they run (or why not) and how many
// events each matched since start.
func (h *Handler) DetectionRules(w http.ResponseWriter, r *http.Request) error {
	p := respond.Principal(r)
	if !p.Can(authz.PermEventRead) {
		return p.Authorize(authz.PermEventRead, 0)
	}
	if h.Ingest == nil {
		return fmt.Errorf("ingest is not running: %w", errs.ErrUnavailable)
	}
	v := detectionRulesPage{Base: h.base(w, r, "rules.title", "rules"), Rules: h.Ingest.DetectionRules()}
	v.Total = len(v.Rules)
	for _, s := range v.Rules {
		if s.Loaded && s.Reason == "" {
			v.Running++
		}
	}
	return h.render(w, r, http.StatusOK, "detection_rules", v)
}
