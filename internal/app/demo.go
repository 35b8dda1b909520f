package app

import (
	"context"
	"fmt"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/job"
	"khien.vn/khien/internal/unit"
	"khien.vn/khien/internal/user"
)

// DemoAccount is a seeded account and its one-time password.
type DemoAccount struct {
	Username string
	Role     authz.Role
	Unit     string
	Password string
}

// SeedDemo fills an empty database with a demo organisation: a parent unit
// with two member units and users of every role. It does nothing when
// accounts exist already (a demo restarted on the same data directory).
func (c *Core) SeedDemo(ctx context.Context) ([]DemoAccount, error) {
	n, err := c.Users.Count(ctx)
	if err != nil || n > 0 {
		return nil, err
	}
	sys := systemPrincipal()
	root, err := c.Units.Create(ctx, sys, unit.Unit{Code: "DEMO", Name: "Công ty Cổ phần Chứng khoán Demo"})
	if err != nil {
		return nil, fmt.Errorf("seed units: %w", err)
	}
	hn, err := c.Units.Create(ctx, sys, unit.Unit{ParentID: root.ID, Code: "DEMO-HN", Name: "Chi nhánh Hà Nội"})
	if err != nil {
		return nil, fmt.Errorf("seed units: %w", err)
	}
	hcm, err := c.Units.Create(ctx, sys, unit.Unit{ParentID: root.ID, Code: "DEMO-HCM", Name: "Chi nhánh TP. Hồ Chí Minh"})
	if err != nil {
		return nil, fmt.Errorf("seed units: %w", err)
	}
	people := []struct {
		username, name string
		role           authz.Role
		unit           unit.Unit
	}{
		{"admin", "Quản trị viên", authz.RoleAdmin, root},
		{"ciso", "Nguyễn Văn An", authz.RoleSecurityLead, root},
		{"soc.hn", "Trần Thị Bình", authz.RoleAnalyst, hn},
		{"soc.hcm", "Lê Minh Châu", authz.RoleAnalyst, hcm},
		{"owner.hn", "Phạm Quốc Dũng", authz.RoleSystemOwner, hn},
		{"owner.hcm", "Hoàng Thu Hà", authz.RoleSystemOwner, hcm},
		{"assessor", "Vũ Đức Khải", authz.RoleAssessor, root},
		{"viewer", "Đỗ Thanh Lan", authz.RoleViewer, hn},
	}
	var out []DemoAccount
	for _, p := range people {
		_, password, err := c.Users.Create(ctx, sys, user.NewUser{Username: p.username, DisplayName: p.name,
			Role: p.role, UnitID: p.unit.ID})
		if err != nil {
			return nil, fmt.Errorf("seed user %s: %w", p.username, err)
		}
		out = append(out, DemoAccount{Username: p.username, Role: p.role, Unit: p.unit.Name, Password: password})
	}
	// One finished job, so the jobs page shows what a job looks like.
	if _, err := c.Jobs.Submit(ctx, job.Spec{Kind: JobAuditVerify}); err != nil {
		return nil, fmt.Errorf("seed job: %w", err)
	}
	return out, nil
}
