package sheet

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"khien.vn/khien/internal/authz"
	"khien.vn/khien/internal/errs"
	"khien.vn/khien/internal/system"
)

// Importer is what Import needs of the register.
type Importer interface {
	List(ctx context.Context, p *authz.Principal, f system.Filter) ([]system.System, error)
	CheckSystem(ctx context.Context, p *authz.Principal, s system.System) error
	Create(ctx context.Context, p *authz.Principal, s system.System) (system.System, error)
	Update(ctx context.Context, p *authz.Principal, s system.System) (system.System, error)
}

// Result is the outcome of an import.
type Result struct {
	// Report carries every problem found; when it is not OK nothing was written.
	Report Report
	// Created and Updated list the codes written, in order.
	Created, Updated []string
	// Failed is set when a write failed part-way: the rows before it were
	// written (Created/Updated say which), the rest were not.
	Failed *Problem
}

// Import checks every row of a parsed register against the register itself
// (unit codes, parent codes, permissions, the profile) and writes nothing
// unless all rows pass. Then it creates new systems and updates those whose
// code exists, parents before components. unitID resolves a unit code.
func Import(ctx context.Context, reg Importer, p *authz.Principal, rep Report, unitID func(code string) (int64, bool)) (Result, error) {
	// The rows are copied: the problems found here must not change the caller's report.
	rep.Rows = slices.Clone(rep.Rows)
	res := Result{Report: rep}
	if !rep.OK() {
		return res, nil
	}
	existing, err := reg.List(ctx, p, system.Filter{})
	if err != nil {
		return res, err
	}
	byCode := make(map[string]system.System, len(existing))
	for _, s := range existing {
		byCode[s.Code] = s
	}
	inFile := make(map[string]bool, len(rep.Rows))
	for _, row := range rep.Rows {
		inFile[row.System.Code] = true
	}
	rows := res.Report.Rows
	for i := range rows {
		row := &rows[i]
		uid, ok := unitID(row.UnitCode)
		if !ok {
			row.AddProblem(KeyUnitCode, row.UnitCode, KeyUnknownUnit, row.UnitCode)
			continue
		}
		row.System.UnitID = uid
		if row.ParentCode != "" && !inFile[row.ParentCode] {
			if _, ok := byCode[row.ParentCode]; !ok {
				row.AddProblem(KeyParentCode, row.ParentCode, KeyUnknownParent, row.ParentCode)
			}
		}
		s := row.System
		if old, ok := byCode[s.Code]; ok {
			s.ID = old.ID
		}
		if err := reg.CheckSystem(ctx, p, s); err != nil {
			if pe, ok := errs.AsPublic(err); ok {
				row.AddProblem(problemColumn(pe.Field), "", pe.Key, pe.Args...)
				continue
			}
			return res, err
		}
	}
	if !res.Report.OK() {
		return res, nil
	}
	// Write parents before their components: a row waits until its parent exists.
	done := make(map[int]bool, len(rows))
	for progress := true; progress && len(done) < len(rows); {
		progress = false
		for i := range rows {
			row := &rows[i]
			if done[i] {
				continue
			}
			s := row.System
			if row.ParentCode != "" {
				parent, ok := byCode[row.ParentCode]
				if !ok {
					continue // its parent is on a later row, not written yet
				}
				s.ParentID = parent.ID
			}
			var written system.System
			if old, ok := byCode[s.Code]; ok {
				s.ID, s.CreatedAt = old.ID, old.CreatedAt
				s.Layers = old.Layers // the register file does not carry the 4-layer status
				written, err = reg.Update(ctx, p, s)
				if err == nil {
					res.Updated = append(res.Updated, s.Code)
				}
			} else {
				written, err = reg.Create(ctx, p, s)
				if err == nil {
					res.Created = append(res.Created, s.Code)
				}
			}
			if err != nil {
				pb := newProblem(row.Line, KeyCode, s.Code, "sheet.write_failed", err.Error())
				res.Failed = &pb
				var pe *errs.PublicError
				if errors.As(err, &pe) {
					return res, nil
				}
				return res, fmt.Errorf("import row %d: %w", row.Line, err)
			}
			byCode[written.Code] = written
			done[i], progress = true, true
		}
	}
	return res, nil
}

// problemColumn maps a service field name to a register column.
func problemColumn(field string) string {
	switch field {
	case "code", "name", "status", "hosting", "description", "scope":
		return field
	case "unit_id":
		return KeyUnitCode
	case "parent_id":
		return KeyParentCode
	case "profile":
		return "system_type"
	}
	return field
}
