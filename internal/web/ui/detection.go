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
	ruleManagement
	// Off maps rule ids to the names of the units they are switched off for.
	Off map[string][]string
}

// DetectionRules lists the Sigma rules ingested events are matched
// against: their logsource, whether they run (or why not) and how many
// events each matched since start.
func (h *Handler) DetectionRules(w http.ResponseWriter, r *http.Request) error {
	return h.rulesPage(w, r, http.StatusOK, nil)
}

func (h *Handler) rulesPage(w http.ResponseWriter, r *http.Request, status int, flash *Flash) error {
	p := respond.Principal(r)
	if !p.Can(authz.PermEventRead) {
		return p.Authorize(authz.PermEventRead, 0)
	}
	if h.Ingest == nil {
		return fmt.Errorf("ingest is not running: %w", errs.ErrUnavailable)
	}
	m, err := h.ruleManagement(r)
	if err != nil {
		return err
	}
	v := detectionRulesPage{Base: h.base(w, r, "rules.title", "rules"), Rules: h.Ingest.DetectionRules(), ruleManagement: m,
		Off: map[string][]string{}}
	if flash != nil {
		v.Flash = flash
	}
	for _, s := range m.Settings {
		if !s.Enabled {
			v.Off[s.RuleID] = append(v.Off[s.RuleID], s.UnitName)
		}
	}
	v.Total = len(v.Rules)
	for _, s := range v.Rules {
		if s.Loaded && s.Reason == "" {
			v.Running++
		}
	}
	return h.render(w, r, status, "detection_rules", v)
}
