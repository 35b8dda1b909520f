package ui

import (
	"net/http"
	"slices"
	"strconv"

	"khien.vn/khien/internal/audit"
	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/backup"
	"khien.vn/khien/internal/compliance"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/system"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/web/respond"
)

type auditRow struct {
	audit.Entry
	UnitName string
}

type homePage struct {
	Base
	ScopeCount   int
	Units        int
	Users        int
	AuditEntries int64
	ActiveJobs   int
	MFAEnabled   bool
	Recent       []auditRow
	// Compliance: share of requirements met, stale evidence and the
	// overdue obligations of the systems in scope (first ones listed).
	Compliance   compliance.Summary
	Systems      int
	OverdueCount int
	Overdue      []overdueRow
	// Backups: the systems' ransomware readiness (nil: not shown).
	Backups *homeBackups
}

// homeBackups sums up the ransomware readiness of the systems in scope:
// how many, how many without a backup plan, the weakest ones first.
type homeBackups struct {
	Systems, WithoutPlan int
	Weakest              []backup.SystemReadiness
}

type overdueRow struct {
	System     system.System
	Obligation compliance.Obligation
	Due        compliance.Due
}

// AuditFilter returns the audit filter that restricts f to p's scope.
func AuditFilter(p *authz.Principal, f audit.Filter) audit.Filter {
	if !p.All {
		f.Units = p.ScopeList()
	}
	f.IncludeGlobal = p.SeesGlobal()
	return f
}

// JobFilter returns the job filter that restricts f to p's scope.
func JobFilter(p *authz.Principal, f job.Filter) job.Filter {
	if !p.All {
		f.Units = p.ScopeList()
	}
	f.IncludeGlobal = p.SeesGlobal()
	return f
}

func (h *Handler) auditRows(tree *unit.Tree, entries []audit.Entry) []auditRow {
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		rows[i] = auditRow{Entry: e}
		if u, ok := tree.Get(e.UnitID); ok {
			rows[i].UnitName = u.Name
		}
	}
	return rows
}

// Home shows counts of what the user can see and recent activity.
func (h *Handler) Home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := respond.Principal(r)
	v := homePage{Base: h.base(w, r, "home.title", "home"), MFAEnabled: p.MFAEnabled}
	nodes, err := h.Units.List(ctx, p)
	if err != nil {
		return err
	}
	v.Units, v.ScopeCount = len(nodes), len(p.Units)
	if p.Can(authz.PermUserRead) {
		users, err := h.Users.List(ctx, p)
		if err != nil {
			return err
		}
		v.Users = len(users)
	}
	if p.Can(authz.PermAuditRead) {
		tree, err := h.Units.Tree(ctx)
		if err != nil {
			return err
		}
		entries, err := h.Audit.List(ctx, AuditFilter(p, audit.Filter{Limit: 10}))
		if err != nil {
			return err
		}
		v.Recent = h.auditRows(tree, entries)
		if p.SeesGlobal() {
			if v.AuditEntries, err = h.Audit.Count(ctx); err != nil {
				return err
			}
		} else {
			all, err := h.Audit.List(ctx, AuditFilter(p, audit.Filter{Limit: 1000}))
			if err != nil {
				return err
			}
			v.AuditEntries = int64(len(all))
		}
	}
	if p.Can(authz.PermSystemRead) && h.Compliance != nil {
		rows, err := h.Compliance.Dashboard(ctx, p, 0)
		if err != nil {
			return err
		}
		v.Systems = len(rows)
		for _, st := range rows {
			v.Compliance.Add(st.Summary)
			for _, o := range st.Overdue {
				v.OverdueCount++
				v.Overdue = append(v.Overdue, overdueRow{System: st.System, Obligation: o.Obligation, Due: o.Due})
			}
		}
		// The longest overdue first, at most ten.
		slices.SortStableFunc(v.Overdue, func(a, b overdueRow) int { return a.Due.At.Compare(b.Due.At) })
		v.Overdue = v.Overdue[:min(len(v.Overdue), 10)]
	}
	if p.Can(authz.PermBackupRead) && h.Deps.Backups != nil {
		ov, err := h.Deps.Backups.Overview(ctx, p)
		if err != nil {
			return err
		}
		hb := &homeBackups{}
		for _, u := range ov.Units {
			hb.Systems += len(u.Systems)
			hb.WithoutPlan += u.WithoutPlan
			hb.Weakest = append(hb.Weakest, u.Systems...)
		}
		// The five weakest systems, below full readiness.
		slices.SortStableFunc(hb.Weakest, func(a, b backup.SystemReadiness) int { return a.Readiness.Score - b.Readiness.Score })
		hb.Weakest = slices.DeleteFunc(hb.Weakest, func(s backup.SystemReadiness) bool { return s.Readiness.Score >= 100 })
		hb.Weakest = hb.Weakest[:min(len(hb.Weakest), 5)]
		if hb.Systems > 0 {
			v.Backups = hb
		}
	}
	if p.Can(authz.PermJobRead) {
		for _, st := range []job.Status{job.Queued, job.Running} {
			jobs, err := h.Jobs.List(ctx, JobFilter(p, job.Filter{Status: st, Limit: 500}))
			if err != nil {
				return err
			}
			v.ActiveJobs += len(jobs)
		}
	}
	return h.render(w, r, http.StatusOK, "home", v)
}

func parseID(s string) int64 {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 0 {
		return -1
	}
	return id
}
